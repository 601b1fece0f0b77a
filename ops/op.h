/*
 * op.h - the interface between the interpreter and the kernels.
 *
 * Each op family file (ops/conv.c, ops/pool.c, ...) defines a table of
 * or_op_def entries with OR_OP_TABLE(family); ops/registry.c gathers them.
 * An entry implements one op from opset `since` until the next entry of the
 * same op (resolution picks the largest since <= the model's opset).
 *
 * A kernel's life, driven by interp/ through or_kernel_init / or_kernel_fini:
 *   init   once per session: read and validate attributes into k->params,
 *          which the interpreter has zero-allocated (def->params_size bytes).
 *   infer  whenever input shapes change: from k->in[i] (dtype, rank, dims;
 *          data only through or_known) set every present k->out[j]'s dtype,
 *          rank and dims, and k->scratch_bytes if the run needs scratch.
 *   run    compute k->out[j]->data from k->in[i]->data. The interpreter has
 *          allocated every output. No allocation here; return an error only
 *          for bad data (e.g. an index out of range).
 *   fini   optional: free what params own (allocations made by init or
 *          infer); the interpreter frees params itself.
 * Errors: return or_fail(k, status, fmt, ...) (or the OR_CHECK macros), which
 * writes "file: node 'name' (#i, Op): message" into the session's error.
 *
 * Flags read by the planner:
 *   OR_OP_INPLACE  out[0] may share in[0]'s buffer when their shapes are equal
 *                  (the kernel reads element i before writing element i).
 *   OR_OP_VIEW     out[0] is in[0]'s bytes with another shape (Reshape, ...):
 *                  the planner may alias them and skip run; run must still work
 *                  when out[0]->data != in[0]->data (then it copies).
 */
#ifndef OR_OP_H
#define OR_OP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../loader/graph.h"
#include "parallel.h"
#include "variant.h"

enum {
    OR_OP_INPLACE = 1u << 0,
    OR_OP_VIEW = 1u << 1,
    OR_OP_FUSES = 1u << 2,   /* run applies k->post to out[0] (see or_epilogue) */
    OR_OP_RESIDUAL = 1u << 3, /* out[0] = in[0] + in[1] elementwise: with equal float shapes
                               * the planner may fold it into a producer's epilogue (add) */
    OR_OP_OPTIONAL_OUT0 = 1u << 4, /* out[0] may be absent (an empty name): run checks it.
                                    * Without it, or_kernel_init refuses such a node */
};

/* An epilogue the interpreter fuses into a producer that has OR_OP_FUSES
 * (Conv, Gemm): after computing out[0] (float32), the kernel applies
 *     y = act(y + add)      add: NULL or a float tensor of out[0]'s shape
 * element by element, preferably while the block is still in cache. The
 * fused Add / activation nodes then do not run. act: */
typedef enum or_act {
    OR_ACT_NONE = 0,
    OR_ACT_RELU,             /* max(y, 0) */
    OR_ACT_CLIP,             /* min(max(y, lo), hi) (ReLU6 is lo 0, hi 6) */
    OR_ACT_LEAKY,            /* y < 0 ? alpha * y : y */
} or_act;

typedef struct or_epilogue {
    const or_tensor *add;    /* residual to add first, or NULL */
    or_act act;
    float lo, hi, alpha;
} or_epilogue;

/* Algorithms an op can be forced to use (k->algo; 0 = the op's own
 * choice). Tests run a kernel with each one its entry lists in `algos`,
 * against the same naive reference; a forced algorithm that does not
 * apply to the node's shape leaves the op's own choice. */
typedef enum or_algo {
    OR_ALGO_AUTO = 0,
    OR_ALGO_GEMM_1X1,      /* Conv: the product straight on the input (1x1, stride 1, no pad) */
    OR_ALGO_IM2COL,        /* Conv: gathered windows times the weights (any shape) */
    OR_ALGO_DIRECT,        /* Conv: per-plane depthwise kernel (one input channel per group) */
    OR_ALGO_DIRECT_LOOP,   /* Conv: the same, by the generic multiply-add loop */
    OR_ALGO_WINO4,         /* Conv: Winograd F(4x4, 3x3) (3x3 stride 1, one group) */
    OR_ALGO_WINO2,         /* Conv: Winograd F(2x2, 3x3) */
    OR_ALGO_INDIRECT,      /* Conv: rows of input lines read through pointers (2-D, AVX-512) */
    OR_ALGO_IMPLICIT,      /* Conv: channels in lanes, inputs broadcast in place (2-D, AVX-512) */
    OR_ALGO_GRID,          /* Conv: stride 1 on the padded grid, B rows in place (2-D, AVX-512) */
    OR_ALGO_COUNT
} or_algo;

typedef struct or_kernel or_kernel;
typedef struct or_packs or_packs;   /* a model's packed weights (packs.c) */
typedef struct or_pack or_pack;     /* one form of one weight in it */

typedef struct or_op_def {
    const char *domain;                       /* "" = default ONNX domain */
    const char *op_type;
    int since;                                /* first opset of these semantics */
    unsigned flags;                           /* OR_OP_* */
    size_t params_size;                       /* bytes of k->params (0: none) */
    unsigned algos;                           /* bit a: the op can be forced to or_algo a */
    or_status (*init)(or_kernel *k);          /* may be NULL */
    or_status (*infer)(or_kernel *k);         /* required */
    or_status (*run)(or_kernel *k);           /* required */
    void (*fini)(or_kernel *k);               /* may be NULL: params own nothing */
    uint64_t (*macs)(const or_kernel *k);     /* may be NULL: multiply-accumulates per run */
    /* may be NULL: the op as an epilogue activation. Called after infer;
     * known has bit i set when in[i] is a constant at planning. Fills e's
     * act (and lo/hi/alpha) from the kernel's own params and returns true,
     * or false when this node cannot be one (another dtype, bounds only
     * known at run time). The planner then fuses it into a producer with
     * OR_OP_FUSES and never names an op itself. */
    bool (*epilogue)(const or_kernel *k, unsigned known, or_epilogue *e);
    /* may be NULL: after infer, the algorithm the kernel chose, for
     * --profile and --info (a static string) */
    const char *(*algo_name)(const or_kernel *k);
} or_op_def;

struct or_kernel {
    const or_op_def *def;
    const or_node *node;
    int64_t opset;              /* the model's opset for the node's domain */
    size_t n_in, n_out;
    or_tensor **in;             /* [n_in]; NULL where an optional input is absent */
    or_tensor **out;            /* [n_out]; NULL where an optional output is absent */
    void *params;               /* kernel-private, set by init */
    size_t scratch_bytes;       /* set by infer: scratch the run needs */
    size_t packed_bytes;        /* set by or_pack_get: bytes of the weights read transformed */
    void *scratch;              /* at run: scratch_bytes of 64-byte aligned memory */
    int threads;                /* threads the session may use (>= 1) */
    onnxrun_isa isa;            /* instruction set for the kernels (isa.h; AUTO: resolve) */
    or_algo algo;               /* forced algorithm (tests), OR_ALGO_AUTO = the op's choice */
    bool split_all;             /* tests: split every loop over the threads (or_par_worth) */
    bool wide_halves;           /* sessions: float16 / bfloat16 values are held as float32,
                                 * so ops that make a half type (Cast, Constant,
                                 * ConstantOfShape) make float32 rounded to it */
    or_pool *pool;              /* the session's worker threads (NULL: run serially; parallel.h) */
    or_epilogue post;           /* fused epilogue (OR_OP_FUSES kernels); zero = none */
    unsigned known_used;        /* bit i set when infer read in[i]'s data via or_known */
    /* packed weights (or_pack_get): the model's store (NULL: none, every
     * form private), the inputs that are the model's initializers (bit i:
     * the same data in every session, so forms of it can be shared), the
     * kernel's reference, and the inputs it holds packed (bit i: in[i]'s
     * own data is not read again until the next infer) */
    or_packs *packs;
    unsigned shared_in;
    or_pack *pack;
    unsigned packed_in;
    bool sizing;                /* planning to a memory budget: or_pack_get records the
                                 * form's size and makes nothing (the kernel does not run
                                 * before its next infer) */
    /* may be NULL: called by or_known before it hands out in[i]'s data;
     * the interpreter brings back a weight whose memory it released once
     * packed. On failure it writes the message and sets known_err, and
     * or_known returns NULL */
    or_status (*fetch)(or_kernel *k, size_t i);
    void *fetch_ctx;
    or_status known_err;
    const char *model_path;     /* for messages */
    char *err;                  /* session's message buffer */
    size_t err_len;
};

/* An entry of the default domain, fields by name:
 *   OR_OP("Relu", 14, .flags = OR_OP_INPLACE, .params_size = sizeof(act_params),
 *         .init = act_init, .infer = act_infer, .run = act_run) */
#define OR_OP(type, since_, ...) { .domain = "", .op_type = (type), .since = (since_), __VA_ARGS__ }

/* A family table: OR_OP_TABLE(conv) = { OR_OP(...), OR_OP(...) }; */
#define OR_OP_TABLE(family) \
    extern const or_op_def or_ops_##family[]; \
    extern const size_t or_ops_##family##_count; \
    const or_op_def or_ops_##family[]

#define OR_OP_TABLE_END(family) \
    const size_t or_ops_##family##_count = sizeof(or_ops_##family) / sizeof(or_ops_##family[0])

/* ---- registry (ops/registry.c) ---- */

/* Entry for (domain, op_type) at a model opset, or NULL. */
const or_op_def *or_op_find(const char *domain, const char *op_type, int64_t opset);
/* Whether any entry exists for (domain, op_type), at any opset. */
bool or_op_known(const char *domain, const char *op_type);
/* Every entry, for listings and tests. */
size_t or_op_count(void);
const or_op_def *or_op_at(size_t i);
/* The same entry as compiled for isa (ops/variant.h): the baseline compile
 * for the portable path, the AVX2 compile for AVX2 and AVX-512. */
const or_op_def *or_op_variant(const or_op_def *def, onnxrun_isa isa);

/* ---- a kernel's life (ops/kernel.c) ---- */

/* Sets k->def to its variant for k->isa (or_op_variant), checks that
 * output 0 is present, allocates k->params (def->params_size, zeroed) and
 * runs def->init. On
 * failure the kernel still needs or_kernel_fini. */
or_status or_kernel_init(or_kernel *k);
/* Runs def->fini and frees k->params; safe after a failed or no init. */
void or_kernel_fini(or_kernel *k);

/* Memory for a large buffer a kernel keeps (packed weights): from 4 MiB on
 * 2 MiB aligned, its whole 2 MiB pages advised as transparent huge pages,
 * so filling it takes up to 512 times fewer page faults. Free with free();
 * NULL when out of memory. */
void *or_alloc_large(size_t bytes);

/* ---- packed weights (ops/packs.c) ---- */

#define OR_PACK_KEY 8
/* Fills dst (the entry's floats) from the kernel's weights; returns a
 * status, with the message written through or_fail. */
typedef or_status (*or_pack_fill)(or_kernel *k, float *dst);

/* *data = in[i] transformed into `form` (a static name, e.g. "winograd
 * 4x4") with layout key[] (everything the layout depends on; unused
 * fields zero), `floats` long: the model's copy when a session made it
 * before, else made now by fill and, when in[i] is an initializer
 * (k->shared_in), kept for the next sessions. The kernel holds it (k->pack,
 * one per kernel) until the next get, or_pack_drop or fini; bit i of
 * k->packed_in says in[i] need not stay in memory; k->packed_bytes is set.
 * With k->sizing only the last two are set (*data NULL). */
or_status or_pack_get(or_kernel *k, size_t i, const char *form, const int64_t key[OR_PACK_KEY],
                      size_t floats, or_pack_fill fill, const float **data);
/* Releases k->pack (NULL afterwards). */
void or_pack_drop(or_kernel *k);
/* A model's store: made empty, freed with every entry. keep (may be
 * NULL) says whether the weight feeding input `input` of node `node` (the
 * file's node index) has no original in memory: its unused forms then stay.
 * It is called with the store's lock held. */
typedef bool (*or_packs_keep_fn)(void *ctx, size_t node, size_t input);
or_packs *or_packs_new(or_packs_keep_fn keep, void *ctx);
void or_packs_free(or_packs *s);
/* Bytes of every form in the store. */
uint64_t or_packs_bytes(or_packs *s);

/* ---- errors ---- */

/* Writes "path: node 'name' (#index, Op): <fmt>" into k->err; returns st. */
or_status or_fail(or_kernel *k, or_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define OR_CHECK(k, cond, ...) \
    do { if (!(cond)) return or_fail((k), ONNXRUN_E_INVALID, __VA_ARGS__); } while (0)
#define OR_CHECK_SHAPE(k, cond, ...) \
    do { if (!(cond)) return or_fail((k), ONNXRUN_E_SHAPE, __VA_ARGS__); } while (0)
#define OR_CHECK_TYPE(k, cond, ...) \
    do { if (!(cond)) return or_fail((k), ONNXRUN_E_UNSUPPORTED, __VA_ARGS__); } while (0)
/* Propagates a non-OK status. */
#define OR_TRY(expr) \
    do { or_status or_try_st_ = (expr); if (or_try_st_ != ONNXRUN_OK) return or_try_st_; } while (0)

/* ---- inputs and outputs ---- */

/* in[i] or NULL when i is past the node's inputs or the input is absent. */
static inline or_tensor *or_in(const or_kernel *k, size_t i)
{
    return i < k->n_in ? k->in[i] : NULL;
}
static inline or_tensor *or_out(const or_kernel *k, size_t i)
{
    return i < k->n_out ? k->out[i] : NULL;
}

/* During infer: the data of in[i] if its value is known before running
 * (an initializer, a constant, or a graph input while planning with
 * inputs), else NULL. Records the dependency in k->known_used, so the
 * interpreter re-plans when that value changes. Use this - never
 * in[i]->data - inside infer. */
const void *or_known(or_kernel *k, size_t i);

/* Whether in[i]'s data is known at infer, without reading it: for
 * weights a kernel may never read (a packed form of it exists, or_pack_get).
 * Read it with or_known when needed. */
bool or_is_known(or_kernel *k, size_t i);

/* *data = or_known(k, i) for an input whose values decide the output's
 * shape; fails naming it (what) when it is present but not known. The
 * planner then computes it at planning from each run's data (plan.c). */
or_status or_need_known(or_kernel *k, size_t i, const char *what, const void **data);

/* Checks that a present input has one of the given dtypes (list ends with
 * ONNXRUN_UNDEFINED); fails with ONNXRUN_E_UNSUPPORTED naming the type. */
or_status or_check_dtype(or_kernel *k, size_t i, ...);

/* Sets out's dtype and shape; rank <= OR_MAX_RANK and the size is checked
 * for overflow (ONNXRUN_E_LIMIT). */
or_status or_set_shape(or_kernel *k, or_tensor *out, onnxrun_dtype dt, int rank,
                       const int64_t *dims);

/* Reads a shape-like 1-D int64 (or int32) input known at infer time into
 * vals[0..*n) (at most max). Fails naming the input if it is not known. */
or_status or_known_ints(or_kernel *k, size_t i, size_t max, int64_t *vals, size_t *n);

/* Input i, which must be present and of a dtype with a byte size (fails
 * with ONNXRUN_E_INVALID / ONNXRUN_E_UNSUPPORTED naming it). */
or_status or_need_input(or_kernel *k, size_t i, const or_tensor **t);

/* The product of dims[from..to), wrapping in uint64 (exact whenever the
 * shape is non-empty or a zero ends it). */
static inline int64_t or_dims_prod(const int64_t *dims, int from, int to)
{
    uint64_t n = 1;
    for (int d = from; d < to; d++) n *= (uint64_t)dims[d];
    return (int64_t)n;
}

/* Row-major element strides of dims (rank r), wrapping as or_dims_prod. */
static inline void or_strides(int r, const int64_t *dims, int64_t *strides)
{
    uint64_t s = 1;
    for (int d = r - 1; d >= 0; d--) {
        strides[d] = (int64_t)s;
        s *= (uint64_t)dims[d];
    }
}

/* Normalises a possibly negative axis for rank r into [0, r); fails if out
 * of range. */
or_status or_axis(or_kernel *k, int64_t axis, int r, int *out);

/* Element i of number data of type dt as a double (float, double and the
 * 8- to 64-bit integers; 0 for other types). */
double or_load_f64(const void *p, onnxrun_dtype dt, int64_t i);

/* ---- attributes (ops/kernel.c); absent -> default, wrong type -> error ---- */

bool or_attr_has(const or_kernel *k, const char *name);
or_status or_attr_int(or_kernel *k, const char *name, int64_t def, int64_t *out);
or_status or_attr_float(or_kernel *k, const char *name, float def, float *out);
/* *out points into the model (NUL-terminated). */
or_status or_attr_string(or_kernel *k, const char *name, const char *def, const char **out);
/* Copies at most max ints into vals; *n = count (0 when absent). More than
 * max is an error. */
or_status or_attr_ints(or_kernel *k, const char *name, size_t max, int64_t *vals, size_t *n);
/* *vals points into the model; *n = 0 and *vals = NULL when absent. */
or_status or_attr_floats(or_kernel *k, const char *name, const float **vals, size_t *n);
/* *vals points into the model (NUL-terminated strings); NULL, 0 when absent. */
or_status or_attr_strings(or_kernel *k, const char *name, char *const **vals, size_t *n);
/* *t points into the model, NULL when absent. */
or_status or_attr_tensor(or_kernel *k, const char *name, const or_tensor **t);

/* ---- broadcasting (ops/broadcast.c) ---- */

/* Multidirectional (numpy) broadcast of shapes a and b into out; false if
 * they do not broadcast. */
bool or_broadcast_shape(int ra, const int64_t *da, int rb, const int64_t *db, int *rout,
                        int64_t *dout);
/* Element strides of `in` for walking the shape of `out` (rank out->rank,
 * in aligned to the right): 0 on broadcast axes. */
void or_broadcast_strides(const or_tensor *in, const or_tensor *out, int64_t *strides);

/* ---- matrix products (ops/broadcast.c) ---- */

/* numpy matmul of A [..., M, K] by B [..., K, N] (a 1-D operand is a
 * single row / column): the per-batch product and the broadcast batch. */
typedef struct or_matmul_geom {
    int64_t m, n, k;
    int batch_rank;
    int64_t batch[OR_MAX_RANK];       /* broadcast batch dims */
    int64_t a_step[OR_MAX_RANK];      /* A's element stride per batch dim (0: broadcast) */
    int64_t b_step[OR_MAX_RANK];
    int64_t batch_count;              /* product of batch */
    bool b_single;                    /* B is one matrix, shared by every batch */
} or_matmul_geom;

/* Fills g from the shapes of a and b and the output's shape into rank,
 * dims (OR_MAX_RANK + 2); fails naming the dims that disagree. */
or_status or_matmul_shape(or_kernel *k, const or_tensor *a, const or_tensor *b, or_matmul_geom *g,
                          int *rank, int64_t *dims);

/* Moves the batch odometer idx (zeroed for batch 0) to the next batch and
 * the element offsets *ao, *bo of its A and B matrices with it. */
static inline void or_matmul_next(const or_matmul_geom *g, int64_t *idx, int64_t *ao, int64_t *bo)
{
    for (int i = g->batch_rank - 1; i >= 0; i--) {
        *ao += g->a_step[i];
        *bo += g->b_step[i];
        if (++idx[i] < g->batch[i]) return;
        *ao -= g->a_step[i] * idx[i];
        *bo -= g->b_step[i] * idx[i];
        idx[i] = 0;
    }
}

/* Applies e to y[0..n) in place; add_data (e->add's data offset to the
 * same block, or NULL) is read element by element. For kernels that
 * apply the epilogue per block. */
void or_epilogue_apply(const or_epilogue *e, float *y, const float *add_data, int64_t n);

#endif /* OR_OP_H */
