/*
 * interp.h - the interpreter's internal state: the checked model (name
 * table, schedule) and the session (values, kernels, memory plan).
 *
 * Stages, one file each:
 *   names.c     string -> value id table
 *   schedule.c  topological order, dead-node removal, op support check
 *   plan.c      shape inference, constant folding, aliasing, arena offsets
 *   exec.c      the run loop (kernels split their loops with ops/parallel.h)
 *   api.c       the public functions of include/onnxrun.h
 */
#ifndef OR_INTERP_H
#define OR_INTERP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../loader/loader.h"
#include "../ops/op.h"

#define OR_ERR_LEN 2048

/* ---- names.c: open-addressing map from a string to an index ---- */
typedef struct or_names {
    size_t cap;          /* power of two */
    const char **keys;   /* [cap]; NULL = empty slot; strings not owned */
    size_t *vals;        /* [cap] */
    size_t count;
} or_names;

or_status or_names_init(or_names *n, size_t expected);
void or_names_free(or_names *n);
/* Inserts key (must outlive the map) -> val; *existing = true if it was there (val unchanged). */
or_status or_names_put(or_names *n, const char *key, size_t val, bool *existing);
/* Looks key up; false if absent. */
bool or_names_get(const or_names *n, const char *key, size_t *val);

/* ---- values ---- */
typedef enum or_value_kind {
    OR_V_UNUSED = 0,  /* named but not needed by the scheduled graph */
    OR_V_INPUT,       /* graph input fed by the caller */
    OR_V_WEIGHT,      /* initializer: data owned by the model */
    OR_V_CONST,       /* computed at planning (folded): data owned by the session */
    OR_V_ARENA,       /* intermediate or output: lives in the arena */
} or_value_kind;

typedef struct or_value {
    const char *name;       /* owned by the model */
    or_value_kind kind;
    or_tensor t;            /* dtype, shape, data (bound per plan / run) */
    int producer;           /* graph node index, -1 for inputs and weights */
    bool is_output;         /* a graph output */
    bool input_dep;         /* value depends on graph input data (not foldable) */
    /* planning (arena values only) */
    int first, last;        /* schedule steps of production and last use */
    int root;               /* value whose buffer this one uses (itself if none) */
    size_t root_off;        /* byte offset of this value inside its root's buffer */
    size_t offset, bytes;   /* place in the arena (root only) */
    void *owned;            /* OR_V_CONST data, or a copy buffer for special outputs */
} or_value;

/* ---- the model handle (include/onnxrun.h) ---- */
struct onnxrun_model {
    or_model m;
    bool ok;                       /* false: failed load, only err is meaningful */
    char err[OR_ERR_LEN];
    int64_t opset;                 /* default-domain opset */
    or_names names;                /* tensor name -> value id */
    size_t n_values;
    const char **value_names;      /* [n_values], owned by m */
    int *value_producer;           /* [n_values] node index or -1 */
    int *value_init;               /* [n_values] initializer index or -1 */
    int *value_input;              /* [n_values] graph input index or -1 */
    size_t n_order;
    int *order;                    /* scheduled (live) node indices, topological */
    const or_op_def **defs;        /* [n_nodes] resolved kernel per node (NULL if dead) */
    size_t n_api_inputs;
    size_t *api_inputs;            /* graph input indices the caller feeds (non-initializers) */
    or_packs *packs;               /* packed weights shared by the sessions (ops/packs.c) */
    struct or_weights *weights;    /* which initializers are released once packed (weights.c) */
    or_tensor *wide_inits;         /* [n_inits]: float32 copies of the float16 / bfloat16
                                    * initializers (data NULL for the others): sessions hold
                                    * half types as float32 (or_kernel.wide_halves) */
};

/* ---- the session handle ---- */
typedef struct or_step {
    int node;                      /* graph node index */
    or_kernel k;
    or_tensor **in, **out;         /* arrays given to the kernel */
    int *in_ids, *out_ids;         /* value ids (-1 = absent) */
    bool folded;                   /* computed at planning */
    bool eager;                    /* computed at planning from the input data: a later
                                    * node's shape depends on its values (plan.c) */
    bool skip;                     /* a view aliased by the planner: nothing to run */
    bool fused;                    /* computed in its producer's epilogue: nothing to run */
    uint64_t params;               /* weight elements read */
    double ms;                     /* profiled time of the last run */
} or_step;

struct onnxrun_session {
    const onnxrun_model *model;
    char err[OR_ERR_LEN];
    bool ok;                       /* false: failed create */
    int threads;
    onnxrun_isa isa;               /* resolved (never AUTO): what the kernels use */
    uint64_t max_memory;           /* limit on arena + scratch + folded constants, or with
                                    * budget, on the plan's whole memory (plan.c) */
    bool budget;                   /* max_memory was given: plan to it */
    bool sizing;                   /* planning for sizes only (plan.c's fit_budget) */
    uint64_t max_macs;             /* limit on a run's multiply-adds */
    atomic_bool cancel;            /* onnxrun_session_cancel: stop at the next node */
    or_pool *pool;                 /* worker threads, NULL for one thread (ops/parallel.h) */
    bool profile;
    size_t n_values;
    or_value *values;              /* [n_values], indexed like the model's */
    size_t n_steps;
    or_step *steps;                /* [n_steps] in schedule order */
    /* plan */
    bool planned;
    bool plan_needs_data;          /* inference reads graph input values: plan every run */
    void *arena;
    size_t arena_bytes;
    size_t lower_bound;
    void *scratch;
    size_t scratch_bytes;
    uint64_t const_bytes;          /* folded constants */
    /* half-typed graph inputs and outputs, converted at the edges */
    onnxrun_tensor *held_in;       /* [n_api_inputs]: the inputs as held (halves widened) */
    void **wide_in;                /* [n_api_inputs]: float32 copy of a half input */
    size_t *wide_in_cap;
    void **wide_out;               /* [graph outputs]: the half copy of a float32 output */
    size_t *wide_out_cap;
    /* weights.c: per initializer, whether this plan reads it unpacked (being
     * planned, and as counted in the model); per value, the last step
     * reading it (-1: none); the message of a weight that could not be read
     * back */
    bool *raw_now, *raw_held;
    int *last_use;
    char fetch_err[OR_ERR_LEN];
};

/* ---- schedule.c ---- */
/* The type a session holds a value of declared type dt in (half types:
 * float32). */
static inline onnxrun_dtype or_held_dtype(onnxrun_dtype dt)
{
    return or_is_half(dt) ? ONNXRUN_FLOAT : dt;
}

/* Builds names, schedule and kernel resolution into the model handle; all
 * problems go into h->err (unsupported ops listed together). */
or_status or_model_check(onnxrun_model *h);
/* Makes h->wide_inits (float32 copies of the half-typed initializers). */
or_status or_model_widen(onnxrun_model *h);

/* ---- plan.c ---- */
/* Infers shapes from the current input shapes in s->values (and input data
 * if with_data), folds constants, decides aliases and arena offsets, and
 * (re)allocates the arena and scratch. */
or_status or_plan(onnxrun_session *s, bool with_data);
/* Frees what a plan owns (folded constants, arena, scratch). */
void or_plan_free(onnxrun_session *s);

/* Offsets for n buffers of sizes[i] alive over steps [first[i], last[i]]
 * (inclusive), greedy by size with best-fit into gaps. Returns the arena
 * size; *lower_bound gets the peak of live bytes. offsets must hold n. */
or_status or_plan_offsets(size_t n, const size_t *sizes, const int *first, const int *last,
                          size_t *offsets, size_t *arena, size_t *lower_bound);

/* ---- weights.c ---- */
/* The model's store of packed weights and release state (at load). */
or_status or_weights_new(onnxrun_model *h);
void or_weights_free(onnxrun_model *h);
/* Bytes of the model file released because only packed forms are read. */
uint64_t or_weights_released(const onnxrun_model *h);
/* Initializer bytes in memory once this plan's (s->raw_now) releases are
 * made, widened halves included: what a plan counts as its weights. */
uint64_t or_weights_held(const onnxrun_session *s);
/* After build_steps: the session's bookkeeping and its kernels' hooks. */
or_status or_weights_session(onnxrun_session *s);
void or_weights_session_free(onnxrun_session *s);
/* Around a plan (or_plan): begin, reset at each inference pass, after
 * step i's infer (reads back released weights it reads unpacked, releases
 * the ones it was the last to pack), end (counts the weights the plan reads
 * unpacked when ok). */
void or_weights_plan_begin(onnxrun_session *s);
void or_weights_plan_reset(onnxrun_session *s);
or_status or_weights_step(onnxrun_session *s, size_t i);
void or_weights_plan_end(onnxrun_session *s, bool ok);

/* ---- exec.c ---- */
/* Runs every scheduled, non-folded step. Inputs must be bound. */
or_status or_exec(onnxrun_session *s);

/* Formats a message into buf (always NUL-terminated); returns st. */
or_status or_errf(char *buf, or_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* OR_INTERP_H */
