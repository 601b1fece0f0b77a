/*
 * internal.h - what the loader's files share (not used outside loader/,
 * except by tests/test_loader.c): the load context that carries the error
 * buffer and the byte budget, the allocation wrappers with their
 * failure-injection hook, and the entry points of tensor_pb.c (TensorProto
 * -> or_tensor), external.c (external data) and check.c (UTF-8 and graph
 * structure). Relies on the protobuf-c code generated from onnx.proto.
 */
#ifndef OR_LOADER_INTERNAL_H
#define OR_LOADER_INTERNAL_H

#include <stdarg.h>

#include "graph.h"
#include "onnx.pb-c.h"

/* One load (a model or a single .pb tensor). */
typedef struct or_ld {
    const char *path;       /* source named at the start of every message */
    const char *dir;        /* folder for external data; NULL = refuse it */
    char *err;              /* caller's message buffer (may be NULL) */
    size_t err_len;
    uint64_t max_bytes;     /* budget for all tensors of this load */
    uint64_t bytes;         /* tensor bytes counted so far */
} or_ld;

/* Writes "path: <fmt>" into ld->err (always NUL-terminated); returns st. */
or_status or_ld_fail(or_ld *ld, or_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- allocation (load.c) ---- */

/* Test hook, like SQLite's fault injection: when > 0, the loader's n-th
 * allocation from now fails (1 = the next one). Only tests set it, from
 * one thread; it stays 0 otherwise and is then only read. */
extern long or_ld_fail_alloc;

/* malloc/calloc/strdup of the loader; all go through the hook above and
 * return memory that free() releases. */
void *or_ld_malloc(size_t n);
void *or_ld_calloc(size_t n, size_t size);
char *or_ld_strndup(const char *s, size_t n);

/* A protobuf-c allocator over or_ld_malloc that remembers a failure, so a
 * NULL from unpack can be told apart as NOMEM or PARSE. */
typedef struct or_pb_alloc {
    ProtobufCAllocator a;
    bool failed;
} or_pb_alloc;
void or_pb_alloc_init(or_pb_alloc *pa);

/* ---- tensors (tensor_pb.c) ---- */

/* Converts tp into *t: dtype, dims and malloc'd data (>= 1 byte, dense
 * little-endian, caller frees t->data). raw_data is taken from tp, not
 * copied (tp->raw_data.data is set to NULL). The tensor's bytes are added
 * to ld->bytes and checked against ld->max_bytes. `what` names the tensor
 * in messages ("initializer 'w'"). On failure *t has no data. */
or_status or_ld_tensor(or_ld *ld, Onnx__TensorProto *tp, const char *what, or_tensor *t);

/* Name of a TensorProto.DataType, including those onnxrun cannot hold. */
const char *or_pb_dtype_name(int32_t dt);

/* ---- external data (external.c) ---- */

/* Reads the `want` bytes of tensor tp stored outside the model, below
 * ld->dir, into a malloc'd buffer *data (>= 1 byte, caller frees). */
or_status or_ld_external(or_ld *ld, const Onnx__TensorProto *tp, const char *what, uint64_t want,
                         void **data);

/* ---- checks (check.c) ---- */

/* Offset of the first byte of s[0..len) that breaks UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included), or len if none. */
size_t or_utf8_bad(const uint8_t *s, size_t len);

/* Validates a protobuf string (NULL = "") as UTF-8; on failure the message
 * is "<what>: <field> is not valid UTF-8 (byte 0x.. at offset n)". */
or_status or_ld_utf8(or_ld *ld, const char *s, const char *what, const char *field);

/* Structure of a converted model: op types, imported domains, unique
 * producers, every node input and graph output produced by something. */
or_status or_ld_check_graph(or_ld *ld, const or_model *m);

#endif /* OR_LOADER_INTERNAL_H */
