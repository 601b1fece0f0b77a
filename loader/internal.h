/*
 * internal.h - what the loader's files share (not used outside loader/,
 * except by tests/test_loader.c): the load context that carries the error
 * buffer, the byte budget and where tensor payloads lie, the allocation
 * wrappers with their failure-injection hook, and the entry points of
 * wire.c (payloads cut out of the bytes before protobuf-c), tensor_pb.c
 * (TensorProto -> or_tensor), external.c (external data) and check.c
 * (UTF-8 and graph structure). Relies on the protobuf-c code generated from
 * onnx.proto.
 */
#ifndef OR_LOADER_INTERNAL_H
#define OR_LOADER_INTERNAL_H

#include <stdarg.h>
#include <sys/stat.h>

#include "loader.h"
#include "onnx.pb-c.h"

/* Where a raw_data payload lies: bytes [off, off + len) of the input,
 * moved down by `moved` bytes once or_ld_tensor aligned it in place. */
typedef struct or_span {
    uint64_t off;
    uint64_t len;
    uint8_t moved;
} or_span;

/* One load (a model or a single .pb tensor). */
typedef struct or_ld {
    const char *path;       /* source named at the start of every message */
    const char *dir;        /* folder for external data; NULL = refuse it */
    char *err;              /* caller's message buffer (may be NULL) */
    size_t err_len;
    uint64_t max_bytes;     /* budget for all tensors of this load */
    uint64_t bytes;         /* tensor bytes counted so far */
    or_model *m;            /* model being built (keeps file mappings); NULL for a .pb tensor */
    /* set when the bytes went through or_wire_compact: raw_data fields then
     * hold span indices into src (see or_wire_span) */
    bool wire;
    const uint8_t *src;     /* the serialized model [..] the spans point into */
    or_span *spans;         /* [n_spans] */
    size_t n_spans;
    bool in_place;          /* src is one of m's mappings: aligned payloads become views */
    const uint8_t *placed;  /* where in a mapping the last tensor's bytes were (NULL: not
                             * in one): or_ld_place sets it, or_ld_tensor clears it first */
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

/* Reads the whole regular file fd (sb from fstat, size > 0) into memory
 * the model owns (page aligned, ld->m->maps), or finds it there already
 * (same device and inode); *addr = its first byte. `name` is for
 * messages. Freed by or_model_free. Read, not mapped: a loaded model never
 * sees its file change. */
or_status or_ld_map(or_ld *ld, int fd, const struct stat *sb, const char *name, const uint8_t **addr);

/* ---- the wire pass (wire.c) ---- */

/* Bytes of the placeholder that replaces a raw_data payload: the index of
 * its span, uint32 little-endian. */
#define OR_WIRE_MARK 4

/* Deepest nesting of messages accepted (ModelProto = 0; a subgraph of a
 * node of the main graph is at 4, each further one 3 deeper). */
#define OR_WIRE_MAX_DEPTH 64

/* A compacted ModelProto and where its cut-out payloads lie. */
typedef struct or_wire_out {
    uint8_t *msg;           /* ModelProto bytes without payloads [len], malloc'd */
    size_t len;
    or_span *spans;         /* payloads in file order [n_spans], malloc'd */
    size_t n_spans;
} or_wire_out;

/* Copies ModelProto bytes buf[0..len) into o->msg with every non-empty
 * raw_data of an initializer or of a TENSOR attribute of the main graph
 * replaced by a placeholder (see wire.c), the payloads' places in
 * o->spans. Malformed framing on that path -> ONNXRUN_E_PARSE ("truncated
 * or corrupt"), messages nested deeper than OR_WIRE_MAX_DEPTH ->
 * ONNXRUN_E_PARSE ("messages nested more than"); on failure o holds nothing.
 * Free o with or_wire_free. */
or_status or_wire_compact(or_ld *ld, const uint8_t *buf, size_t len, or_wire_out *o);
void or_wire_free(or_wire_out *o);

/* The span a placeholder raw_data names; false if raw is not one. */
bool or_wire_span(const or_ld *ld, const ProtobufCBinaryData *raw, or_span **sp);

/* ---- tensors (tensor_pb.c) ---- */

/* Converts tp into *t: dtype, dims and data (>= 1 byte, dense little-
 * endian). *mapped tells where the data is: true = a view into one of
 * ld->m's mappings (payloads suitably aligned for the dtype, from a mapped
 * model or external file), false = malloc'd (caller frees t->data). Without
 * the wire pass, raw_data is taken from tp, not copied (tp->raw_data.data
 * is set to NULL). The tensor's bytes are added to ld->bytes and checked
 * against ld->max_bytes. `what` names the tensor in messages ("initializer
 * 'w'"). On failure *t has no data. */
or_status or_ld_tensor(or_ld *ld, Onnx__TensorProto *tp, const char *what, or_tensor *t, bool *mapped);

/* Sets t->data to src[0..bytes) of dtype t->dtype (bytes > 0). in_place
 * says src lies in one of ld->m's mappings: then the data is used in place
 * when src is aligned for the dtype (and, for bool, holds only 0 and 1).
 * Otherwise it is a malloc'd copy (bool normalised to 0/1), after which the
 * whole pages of a mapped src are released (madvise), so that the tensor is
 * not held twice. *mapped as above. */
or_status or_ld_place(or_ld *ld, const uint8_t *src, uint64_t bytes, bool in_place, or_tensor *t,
                      bool *mapped);

/* Name of a TensorProto.DataType, including those onnxrun cannot hold. */
const char *or_pb_dtype_name(int32_t dt);

/* ---- external data (external.c) ---- */

/* The `want` bytes of tensor tp (dtype set in t) stored outside the
 * model, below ld->dir: the file is mapped (ld->m keeps the mapping) and
 * t->data set by or_ld_place (a view when aligned). */
or_status or_ld_external(or_ld *ld, const Onnx__TensorProto *tp, const char *what, uint64_t want,
                         or_tensor *t, bool *mapped);

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
