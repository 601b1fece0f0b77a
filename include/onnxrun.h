/*
 * onnxrun.h - the one public header of onnxrun, an ONNX model interpreter.
 *
 * Use:
 *   onnxrun_model *m;   onnxrun_model_load_file("net.onnx", NULL, &m)
 *   onnxrun_session *s; onnxrun_session_create(m, NULL, &s)
 *   onnxrun_session_run(s, 1, &in_name, &in, 1, &out_name, &out)
 *   ... read out.data ...
 *   onnxrun_session_free(s); onnxrun_model_free(m);
 *
 * Errors: every function that can fail returns an onnxrun_status (0 = OK).
 * The readable message (naming file, node and op) is kept on the object the
 * call was made on and read with onnxrun_model_error / onnxrun_session_error.
 * Constructors hand back an object even when they fail (like sqlite3_open),
 * so that the message can be read; free it as usual. Only when memory for
 * the object itself cannot be had is *out NULL (status ONNXRUN_E_NOMEM).
 * Every free function accepts NULL.
 *
 * Threads: a loaded model is read-only after loading and may be shared by
 * any number of sessions on any threads. One session is used by one thread
 * at a time.
 */
#ifndef ONNXRUN_H
#define ONNXRUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every public function carries ONNXRUN_API: the shared library is built
 * with hidden visibility and exports these names only. */
#if defined(__GNUC__) || defined(__clang__)
#define ONNXRUN_API __attribute__((visibility("default")))
#else
#define ONNXRUN_API
#endif

#define ONNXRUN_MAX_RANK 8

typedef enum onnxrun_status {
    ONNXRUN_OK = 0,
    ONNXRUN_E_ARG,         /* the caller passed a bad argument (NULL, unknown name, wrong shape) */
    ONNXRUN_E_IO,          /* a file could not be opened or read */
    ONNXRUN_E_PARSE,       /* bytes are not a valid protobuf message */
    ONNXRUN_E_INVALID,     /* the model breaks the ONNX rules (cycle, dangling input, bad attribute) */
    ONNXRUN_E_UNSUPPORTED, /* an op, opset, data type or feature onnxrun does not implement */
    ONNXRUN_E_SHAPE,       /* shapes do not fit together */
    ONNXRUN_E_LIMIT,       /* a size overflows or exceeds a configured limit */
    ONNXRUN_E_NOMEM,       /* an allocation failed */
    ONNXRUN_E_RUNTIME,     /* a kernel found bad data while running (index out of range) */
    ONNXRUN_E_CANCELLED,   /* onnxrun_session_cancel stopped the run */
    ONNXRUN_STATUS_COUNT
} onnxrun_status;

/* Element types; the numbers are ONNX's TensorProto.DataType. */
typedef enum onnxrun_dtype {
    ONNXRUN_UNDEFINED = 0,
    ONNXRUN_FLOAT = 1,
    ONNXRUN_UINT8 = 2,
    ONNXRUN_INT8 = 3,
    ONNXRUN_UINT16 = 4,
    ONNXRUN_INT16 = 5,
    ONNXRUN_INT32 = 6,
    ONNXRUN_INT64 = 7,
    ONNXRUN_STRING = 8,
    ONNXRUN_BOOL = 9,
    ONNXRUN_FLOAT16 = 10,
    ONNXRUN_DOUBLE = 11,
    ONNXRUN_UINT32 = 12,
    ONNXRUN_UINT64 = 13,
    ONNXRUN_COMPLEX64 = 14,   /* named, not held */
    ONNXRUN_COMPLEX128 = 15,  /* named, not held */
    ONNXRUN_BFLOAT16 = 16,
    ONNXRUN_DTYPE_COUNT
} onnxrun_dtype;

/* A dense tensor, row-major. The struct is a plain descriptor: who owns
 * `data` is said by the function that fills it in. */
typedef struct onnxrun_tensor {
    onnxrun_dtype dtype;
    int rank;                        /* 0 .. ONNXRUN_MAX_RANK */
    int64_t dims[ONNXRUN_MAX_RANK];  /* dims[0..rank) */
    void *data;                      /* numel * element size bytes */
} onnxrun_tensor;

/* Declared type and shape of a model input or output. */
typedef struct onnxrun_value_info {
    const char *name;                          /* owned by the model */
    onnxrun_dtype dtype;                       /* ONNXRUN_UNDEFINED if not declared */
    int rank;                                  /* -1 if the shape is not declared */
    int64_t dims[ONNXRUN_MAX_RANK];            /* -1 where unknown or symbolic */
    const char *dim_names[ONNXRUN_MAX_RANK];   /* symbolic name (dim_param) or NULL */
} onnxrun_value_info;

typedef struct onnxrun_model onnxrun_model;
typedef struct onnxrun_session onnxrun_session;

/* Limits applied while loading; zero fields take the defaults. */
typedef struct onnxrun_load_options {
    uint64_t max_tensor_bytes;  /* total bytes of all initializers (default 4 GiB) */
    uint64_t max_nodes;         /* nodes in the graph (default 1,000,000) */
} onnxrun_load_options;

/* Instruction sets the kernels may use. AUTO takes the best this CPU has,
 * capped by the environment variable ONNXRUN_ISA (portable, avx2, avx512)
 * when set; a named one is capped at what the CPU has. */
typedef enum onnxrun_isa {
    ONNXRUN_ISA_AUTO = 0,
    ONNXRUN_ISA_PORTABLE,       /* plain C (vectorised by the compiler for the baseline) */
    ONNXRUN_ISA_AVX2,           /* AVX2 + FMA kernels */
    ONNXRUN_ISA_AVX512,         /* AVX-512F kernels where there are some, else AVX2 */
} onnxrun_isa;

/* Name of an ISA ("auto", "portable", "avx2", "avx512"); never NULL. */
ONNXRUN_API const char *onnxrun_isa_name(onnxrun_isa isa);

typedef struct onnxrun_session_options {
    int threads;                /* 0 = all cores */
    onnxrun_isa isa;            /* kernels' instruction set (default AUTO) */
    uint64_t max_memory_bytes;  /* memory budget of a plan: the model's weights in memory
                                 * (as onnxrun_memory_info counts them: initializers held,
                                 * the packed forms this session uses) plus arena, scratch
                                 * and folded constants. When set, the session picks per
                                 * node the algorithms whose packed weights fit (Winograd
                                 * 4x4 -> 2x2 -> GEMM, the least speed lost per byte
                                 * first); a budget nothing fits fails with ONNXRUN_E_LIMIT
                                 * naming the smallest that would. Default (0): 8 GiB and
                                 * the fastest algorithms */
    uint64_t max_macs;          /* multiply-adds one run may take (default 2^40, about a
                                 * thousand VGG-16s); a plan above fails with ONNXRUN_E_LIMIT
                                 * before any of it runs */
} onnxrun_session_options;

/* ---- version ---- */

/* The library's version, "MAJOR.MINOR.PATCH" (CMakeLists.txt's project
 * version, which also gives the SONAME and the pkg-config version). */
ONNXRUN_API const char *onnxrun_version(void);

/* ---- status ---- */

/* Short fixed name of a status ("ok", "invalid model", ...). Never NULL. */
ONNXRUN_API const char *onnxrun_status_name(onnxrun_status st);
/* Bytes per element of a dtype; 0 for types onnxrun cannot hold (string). */
ONNXRUN_API size_t onnxrun_dtype_size(onnxrun_dtype t);
/* Name of a dtype ("float", "int64", ...). Never NULL. */
ONNXRUN_API const char *onnxrun_dtype_name(onnxrun_dtype t);
/* Element count of a tensor; -1 if the product overflows. */
ONNXRUN_API int64_t onnxrun_tensor_numel(const onnxrun_tensor *t);
/* Writes t's elements as float32 into dst (onnxrun_tensor_numel(t) of
 * them): any number type, float16 and bfloat16 included (how to read a
 * model's half-typed outputs; bool as 0 / 1). ONNXRUN_E_ARG for strings,
 * complex types or missing data. */
ONNXRUN_API onnxrun_status onnxrun_tensor_to_float(const onnxrun_tensor *t, float *dst);

/* ---- models ---- */

/* Loads and validates a model file. *out receives a model that the caller
 * frees with onnxrun_model_free, also on failure (then it only carries the
 * error message). opts may be NULL. External data is read relative to the
 * file's folder. The file (and its external data) is read whole into
 * memory: changing or deleting it afterwards does not affect the model. */
ONNXRUN_API onnxrun_status onnxrun_model_load_file(const char *path, const onnxrun_load_options *opts,
                                       onnxrun_model **out);
/* Same, from a caller's buffer (not kept after the call returns). External
 * data is refused. `name` is used in messages and may be NULL. */
ONNXRUN_API onnxrun_status onnxrun_model_load_buffer(const void *buf, size_t len, const char *name,
                                         const onnxrun_load_options *opts, onnxrun_model **out);
/* Message of the last failed call on this model ("" if none). Owned by the model. */
ONNXRUN_API const char *onnxrun_model_error(const onnxrun_model *m);
ONNXRUN_API void onnxrun_model_free(onnxrun_model *m);

/* Graph inputs that the caller must feed (initializers are not listed). */
ONNXRUN_API size_t onnxrun_model_input_count(const onnxrun_model *m);
ONNXRUN_API size_t onnxrun_model_output_count(const onnxrun_model *m);
/* Fills *info; its strings are owned by the model. */
ONNXRUN_API onnxrun_status onnxrun_model_input(const onnxrun_model *m, size_t i, onnxrun_value_info *info);
ONNXRUN_API onnxrun_status onnxrun_model_output(const onnxrun_model *m, size_t i, onnxrun_value_info *info);
/* metadata_props value for key, or NULL. Owned by the model. */
ONNXRUN_API const char *onnxrun_model_metadata(const onnxrun_model *m, const char *key);
/* Opset of the default ONNX domain the model imports. */
ONNXRUN_API int64_t onnxrun_model_opset(const onnxrun_model *m);

/* ---- sessions ---- */

/* Creates a session on a loaded model (the model must outlive it). Shapes
 * are inferred from the declared input shapes; inputs with symbolic dims are
 * planned at the first run, or earlier with onnxrun_session_set_input_shape.
 * *out is always set (see the top of this file). opts may be NULL.
 * Weights the kernels transform (packed GEMM panels, Winograd) are made
 * once per model and form, and shared by every session of the model that
 * uses the same form (same ISA, algorithm, layout); creating sessions on
 * several threads at once is safe. An initializer that is read only in
 * packed forms is released from memory; if a later session needs it as it
 * is (another ISA, thread count or input shape asking for a form not made
 * yet), it is read back from the model's file, and that session fails with
 * ONNXRUN_E_IO if the file changed since loading. */
ONNXRUN_API onnxrun_status onnxrun_session_create(const onnxrun_model *m, const onnxrun_session_options *opts,
                                      onnxrun_session **out);
ONNXRUN_API const char *onnxrun_session_error(const onnxrun_session *s);
/* The instruction set the session's kernels use (never AUTO; PORTABLE for
 * NULL or a failed session). */
ONNXRUN_API onnxrun_isa onnxrun_session_isa(const onnxrun_session *s);
ONNXRUN_API void onnxrun_session_free(onnxrun_session *s);

/* Fixes an input's shape and plans memory for it now. */
ONNXRUN_API onnxrun_status onnxrun_session_set_input_shape(onnxrun_session *s, const char *name, int rank,
                                               const int64_t *dims);

/* Runs the model. inputs[i] (caller-owned, only read during the call) feeds
 * the graph input named in_names[i]; every graph input must be given. For
 * each out_names[j] (NULL = all graph outputs in order, then n_out must equal
 * onnxrun_model_output_count) outputs[j] is filled with a descriptor whose
 * data is OWNED BY THE SESSION and stays valid until the next run on it or
 * onnxrun_session_free; copy it with onnxrun_tensor_clone to keep it. */
ONNXRUN_API onnxrun_status onnxrun_session_run(onnxrun_session *s, size_t n_in, const char *const *in_names,
                                   const onnxrun_tensor *inputs, size_t n_out,
                                   const char *const *out_names, onnxrun_tensor *outputs);

/* Stops the run in progress on s: callable from any other thread while
 * onnxrun_session_run works. The run returns ONNXRUN_E_CANCELLED at the
 * next node (a node itself is not interrupted: on VGG-16 at one thread the
 * longest takes about 30 ms). With no run in progress, the next run is the
 * one cancelled. The session stays usable. */
ONNXRUN_API onnxrun_status onnxrun_session_cancel(onnxrun_session *s);

/* Makes a caller-owned deep copy of src into *dst; release with onnxrun_tensor_release. */
ONNXRUN_API onnxrun_status onnxrun_tensor_clone(const onnxrun_tensor *src, onnxrun_tensor *dst);
/* Frees data of a tensor made by onnxrun_tensor_clone or onnxrun_tensor_load_pb
 * and sets it to NULL. Accepts NULL. */
ONNXRUN_API void onnxrun_tensor_release(onnxrun_tensor *t);

/* Reads a serialized TensorProto (the .pb files of the ONNX test layout).
 * On success *t holds caller-owned data (onnxrun_tensor_release), and
 * *name (if name != NULL) a malloc'd copy of the tensor's name (free()).
 * On failure writes a message into err (if err != NULL). */
ONNXRUN_API onnxrun_status onnxrun_tensor_load_pb(const char *path, onnxrun_tensor *t, char **name,
                                      char *err, size_t err_len);
/* Writes *t (caller-owned, only read) to path as a serialized TensorProto
 * that onnxrun_tensor_load_pb reads back: dims, data_type, name (NULL =
 * "", must be UTF-8) and the data as little-endian raw_data. Replaces the
 * file; a file that cannot be written completely is removed. On failure
 * writes a message naming the file into err (if err != NULL): ARG for a
 * bad tensor (negative dims, NULL data), UNSUPPORTED for a dtype without a
 * byte size (string), IO when the file cannot be written. */
ONNXRUN_API onnxrun_status onnxrun_tensor_save_pb(const char *path, const onnxrun_tensor *t, const char *name,
                                      char *err, size_t err_len);

/* ---- introspection and measurement ---- */

/* One scheduled node, after shape inference. Strings owned by the session. */
typedef struct onnxrun_node_info {
    const char *name;
    const char *op_type;
    int folded;              /* computed once at planning (constant), not run */
    int fused;               /* computed inside the producer's kernel (epilogue), not run */
    onnxrun_tensor output;   /* dtype and shape of output 0; data NULL */
    uint64_t params;         /* weight elements read from initializers */
    uint64_t macs;           /* multiply-accumulates of one run */
    double ms;               /* time of the last run if profiling is on, else 0 */
    const char *algo;        /* the algorithm the kernel chose (e.g. "winograd 4x4",
                              * "gemm 1x1"), "" when the op has one way */
    uint64_t packed_bytes;   /* weights the kernel reads transformed (Winograd, GEMM panels):
                              * the model's copy, shared by every session that uses the form */
} onnxrun_node_info;

/* A session's memory. Its own: arena, scratch and folded constants. The
 * model's, shared by all its sessions: the initializers still in memory and
 * the packed weights. An initializer that every kernel reading it holds
 * packed is released from memory (read back from the file if a later
 * session needs it as it is, see onnxrun_session_create). */
typedef struct onnxrun_memory_info {
    uint64_t weights_bytes;      /* initializers still in memory, and folded constants */
    uint64_t packed_bytes;       /* weights this session's kernels read transformed (Winograd,
                                  * packed GEMM panels): the model's forms they use */
    uint64_t arena_bytes;        /* planned arena for intermediates */
    uint64_t lower_bound_bytes;  /* peak of live intermediate bytes over the schedule */
    uint64_t scratch_bytes;      /* largest kernel scratch */
    uint64_t shared_bytes;       /* every packed form the model holds (all sessions' forms) */
    uint64_t released_bytes;     /* initializer bytes released: held packed only */
    uint64_t budget_bytes;       /* the session's max_memory_bytes */
} onnxrun_memory_info;

/* One buffer of the memory plan: an intermediate tensor that owns arena
 * space (views, in-place results and Concat slices share their owner's). */
typedef struct onnxrun_plan_entry {
    const char *name;        /* tensor name (owned by the model) */
    const char *producer;    /* name of the node that writes it first ("" if unnamed) */
    const char *op_type;     /* that node's op */
    int first, last;         /* schedule steps (node indices) from production to last use;
                              * last == node count for graph outputs */
    uint64_t offset, bytes;  /* place in the arena */
} onnxrun_plan_entry;

/* Buffers of the current plan (0 before planning). */
ONNXRUN_API size_t onnxrun_session_plan_count(const onnxrun_session *s);
ONNXRUN_API onnxrun_status onnxrun_session_plan_entry(const onnxrun_session *s, size_t i, onnxrun_plan_entry *e);

/* Number of graph nodes (in schedule order); valid after planning. */
ONNXRUN_API size_t onnxrun_session_node_count(const onnxrun_session *s);
ONNXRUN_API onnxrun_status onnxrun_session_node(const onnxrun_session *s, size_t i, onnxrun_node_info *info);
ONNXRUN_API onnxrun_status onnxrun_session_memory(const onnxrun_session *s, onnxrun_memory_info *info);
/* Turns per-node timing on (1) or off (0). */
ONNXRUN_API void onnxrun_session_profile(onnxrun_session *s, int on);

#ifdef __cplusplus
}
#endif
#endif /* ONNXRUN_H */
