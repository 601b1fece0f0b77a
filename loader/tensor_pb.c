/*
 * tensor_pb.c - TensorProto -> or_tensor, shared by initializers, TENSOR
 * attributes (Constant) and the .pb files of the ONNX test layout.
 *
 * The payload comes from exactly one of: raw_data (little-endian bytes),
 * the typed field that ONNX assigns to the dtype (converted to the dense
 * layout), or external data (external.c). Its size must match the dims
 * exactly. raw_data is, for a model, a placeholder left by the wire pass
 * (wire.c) that names where the payload lies in the model's bytes: used in
 * place when those bytes are a mapping the model keeps and the payload is
 * aligned for its dtype, copied otherwise; for a lone .pb tensor it is
 * protobuf-c's buffer, taken over without a copy. Relies on a little-endian
 * host, as ONNX's raw_data is little-endian.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data is little-endian");

/* Which TensorProto field holds a dtype's values when raw_data is not used. */
typedef enum pb_field { F_NONE, F_FLOAT, F_INT32, F_INT64, F_DOUBLE, F_UINT64, F_COUNT } pb_field;

static const pb_field field_of[] = {
    [ONNXRUN_UNDEFINED] = F_NONE,
    [ONNXRUN_FLOAT] = F_FLOAT,
    [ONNXRUN_UINT8] = F_INT32,
    [ONNXRUN_INT8] = F_INT32,
    [ONNXRUN_UINT16] = F_INT32,
    [ONNXRUN_INT16] = F_INT32,
    [ONNXRUN_INT32] = F_INT32,
    [ONNXRUN_INT64] = F_INT64,
    [ONNXRUN_STRING] = F_NONE,
    [ONNXRUN_BOOL] = F_INT32,
    [ONNXRUN_FLOAT16] = F_INT32,   /* the half's bits in the low 16 bits */
    [ONNXRUN_DOUBLE] = F_DOUBLE,
    [ONNXRUN_UINT32] = F_UINT64,
    [ONNXRUN_UINT64] = F_UINT64,
    [ONNXRUN_COMPLEX64] = F_NONE,
    [ONNXRUN_COMPLEX128] = F_NONE,
    [ONNXRUN_BFLOAT16] = F_INT32,  /* the bfloat16's bits in the low 16 bits */
};
_Static_assert(sizeof field_of / sizeof field_of[0] == ONNXRUN_DTYPE_COUNT, "field table");

static const char *const field_names[F_COUNT] = {
    [F_NONE] = "none", [F_FLOAT] = "float_data", [F_INT32] = "int32_data",
    [F_INT64] = "int64_data", [F_DOUBLE] = "double_data", [F_UINT64] = "uint64_data",
};

/* See internal.h. */
const char *or_pb_dtype_name(int32_t dt)
{
    static const char *const extra[] = { "complex64", "complex128", "bfloat16", "float8e4m3fn",
                                         "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz",
                                         "uint4", "int4", "float4e2m1" };
    if (dt >= 0 && dt < ONNXRUN_DTYPE_COUNT) return onnxrun_dtype_name((onnxrun_dtype)dt);
    if (dt >= 14 && dt < 14 + (int32_t)(sizeof extra / sizeof extra[0])) return extra[dt - 14];
    return "unknown";
}

static size_t field_count(const Onnx__TensorProto *tp, pb_field f)
{
    switch (f) {
    case F_FLOAT: return tp->n_float_data;
    case F_INT32: return tp->n_int32_data;
    case F_INT64: return tp->n_int64_data;
    case F_DOUBLE: return tp->n_double_data;
    case F_UINT64: return tp->n_uint64_data;
    default: return 0;
    }
}

/* Dense little-endian values of dtype dt from its typed field; n values. */
static void convert_typed(const Onnx__TensorProto *tp, onnxrun_dtype dt, size_t n, void *dst)
{
    const int32_t *i32 = tp->int32_data;
    if (!n) return; /* the field's array may be NULL */
    switch (dt) {
    case ONNXRUN_FLOAT: memcpy(dst, tp->float_data, n * sizeof(float)); break;
    case ONNXRUN_INT32: memcpy(dst, i32, n * sizeof(int32_t)); break;
    case ONNXRUN_INT64: memcpy(dst, tp->int64_data, n * sizeof(int64_t)); break;
    case ONNXRUN_DOUBLE: memcpy(dst, tp->double_data, n * sizeof(double)); break;
    case ONNXRUN_UINT64: memcpy(dst, tp->uint64_data, n * sizeof(uint64_t)); break;
    case ONNXRUN_UINT32:
        for (size_t i = 0; i < n; i++) ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i];
        break;
    case ONNXRUN_UINT8:
        for (size_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = (uint8_t)i32[i];
        break;
    case ONNXRUN_INT8:
        for (size_t i = 0; i < n; i++) ((int8_t *)dst)[i] = (int8_t)i32[i];
        break;
    case ONNXRUN_BOOL:
        for (size_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = i32[i] != 0;
        break;
    case ONNXRUN_UINT16: case ONNXRUN_FLOAT16: case ONNXRUN_BFLOAT16:
        for (size_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = (uint16_t)i32[i];
        break;
    case ONNXRUN_INT16:
        for (size_t i = 0; i < n; i++) ((int16_t *)dst)[i] = (int16_t)i32[i];
        break;
    default: break; /* excluded by the caller */
    }
}

/* Copies of mapped payloads go by chunks of this many bytes (aligned in
 * the address space; a multiple of the page size). */
#define COPY_CHUNK ((uintptr_t)1 << 20)

/* Drops the whole pages within [lo, hi) (of a private, read-only file
 * mapping) from the process's memory once they have been copied: without
 * this a copied tensor would be held twice. Nothing was written to them,
 * so a later access would only read the file again. */
static void release_pages(uintptr_t lo, uintptr_t hi)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0 || COPY_CHUNK % (uintptr_t)ps) return;
    lo = (lo + (uintptr_t)ps - 1) / (uintptr_t)ps * (uintptr_t)ps;
    hi = hi / (uintptr_t)ps * (uintptr_t)ps;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED); /* advice only: a failure costs memory */
}

/* dst[0..bytes) = src[0..bytes); with `mapped`, src's pages are released
 * chunk by chunk, so that at most one chunk is held twice at any time. */
static void copy_payload(uint8_t *dst, const uint8_t *src, size_t bytes, bool mapped)
{
    uintptr_t p = (uintptr_t)src, end = p + bytes;
    while (p < end) {
        uintptr_t next = (p / COPY_CHUNK + 1) * COPY_CHUNK;
        if (next > end) next = end;
        memcpy(dst + (p - (uintptr_t)src), (const void *)p, next - p);
        if (mapped) release_pages(p, next);
        p = next;
    }
}

/* See internal.h. A copy is made when the payload is not aligned for dt
 * (any offset would do for bytes, every 4th for float) or, for bool, holds
 * bytes other than 0 and 1; the copied pages of a mapping are released. */
or_status or_ld_place(or_ld *ld, const uint8_t *src, uint64_t bytes, bool in_place, or_tensor *t,
                      bool *mapped)
{
    size_t align = onnxrun_dtype_size(t->dtype);
    bool ok = in_place && align && (uintptr_t)src % align == 0;
    ld->placed = in_place ? src : NULL;
    if (ok && t->dtype == ONNXRUN_BOOL)
        for (uint64_t i = 0; i < bytes && ok; i++) ok = src[i] <= 1;
    if (ok) {
        t->data = (void *)src; /* read-only: kernels never write weights */
        *mapped = true;
        return ONNXRUN_OK;
    }
    if (bytes > SIZE_MAX || !(t->data = or_ld_malloc((size_t)bytes)))
        return or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory");
    copy_payload(t->data, src, (size_t)bytes, in_place);
    if (t->dtype == ONNXRUN_BOOL)
        for (size_t i = 0; i < bytes; i++) ((uint8_t *)t->data)[i] = ((uint8_t *)t->data)[i] != 0;
    return ONNXRUN_OK;
}

/* A payload of the model's own buffer that is not aligned for its dtype is
 * moved down onto the bytes of its own field's key and length (which
 * protobuf-c has read from the compacted copy, and nothing reads again),
 * so it can be used in place instead of copied: resnet50's file has 80 of
 * its 102 MB of weights at odd offsets, and the copies cost its load a
 * fresh 80 MB (page faults, which are dear on this VM) and the copy. Only
 * payloads of 16 KiB and more (a length of at least 3 bytes, so key and
 * length span 4 or more, the most a 4-byte alignment moves), once per span
 * (a span named twice is read at its new place). The file's own bytes are
 * what weights.c reads back, at the original offset (ld->placed). */
static void align_in_place(or_ld *ld, or_span *sp, onnxrun_dtype dt)
{
    size_t align = onnxrun_dtype_size(dt);
    if (sp->moved || dt == ONNXRUN_BOOL || align < 2 || sp->len < ((uint64_t)16 << 10)) return;
    uintptr_t at = (uintptr_t)(ld->src + sp->off);
    size_t r = at % align;
    if (r == 0 || r > 3 || sp->off < r) return;
    uint8_t *p = (uint8_t *)(ld->src + sp->off); /* in_place: the model's own buffer */
    memmove(p - r, p, (size_t)sp->len);
    sp->moved = (uint8_t)r;
}

/* See internal.h: typed fields are converted; raw_data is resolved through
 * the wire pass's span, or taken from tp. */
or_status or_ld_tensor(or_ld *ld, Onnx__TensorProto *tp, const char *what, or_tensor *t, bool *mapped)
{
    memset(t, 0, sizeof *t);
    *mapped = false;
    ld->placed = NULL;
    if (!tp->has_data_type || tp->data_type == ONNXRUN_UNDEFINED)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s has no data type", what);
    int32_t pdt = tp->data_type;
    if (pdt < 0 || pdt >= ONNXRUN_DTYPE_COUNT || !onnxrun_dtype_size((onnxrun_dtype)pdt))
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "%s: data type %s (%d) is not supported", what,
                          or_pb_dtype_name(pdt), (int)pdt);
    onnxrun_dtype dt = (onnxrun_dtype)pdt;
    if (tp->n_dims > OR_MAX_RANK)
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "%s: rank %zu is above onnxrun's limit of %d", what,
                          tp->n_dims, OR_MAX_RANK);
    if (tp->segment) return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "%s: segmented tensors are not supported", what);
    t->dtype = dt;
    t->rank = (int)tp->n_dims;
    for (int i = 0; i < t->rank; i++) {
        if (tp->dims[i] < 0)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: dim %d is negative (%lld)", what, i,
                              (long long)tp->dims[i]);
        t->dims[i] = tp->dims[i];
    }
    char shape[OR_MAX_RANK * 21 + 3];
    or_shape_str(t, shape, sizeof shape);
    int64_t numel;
    if (!or_shape_numel(t->rank, t->dims, dt, &numel))
        return or_ld_fail(ld, ONNXRUN_E_LIMIT, "%s: dims %s of %s overflow onnxrun's size limit of 2^40 bytes",
                          what, shape, onnxrun_dtype_name(dt));
    uint64_t bytes = (uint64_t)numel * onnxrun_dtype_size(dt);
    if (!or_add_ok(ld->bytes, bytes, &ld->bytes) || ld->bytes > ld->max_bytes)
        return or_ld_fail(ld, ONNXRUN_E_LIMIT,
                          "%s: %s %s brings the tensors to more than the limit of %llu bytes", what,
                          onnxrun_dtype_name(dt), shape, (unsigned long long)ld->max_bytes);

    /* typed fields other than the dtype's own must be empty */
    pb_field own = field_of[dt];
    for (pb_field f = F_FLOAT; f < F_COUNT; f++)
        if (f != own && field_count(tp, f))
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: has %s but its data type is %s", what,
                              field_names[f], onnxrun_dtype_name(dt));
    if (tp->n_string_data)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: has string_data but its data type is %s", what,
                          onnxrun_dtype_name(dt));
    size_t n_typed = field_count(tp, own);
    bool has_raw = tp->has_raw_data && tp->raw_data.len;

    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (has_raw || n_typed)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: has both external data and %s", what,
                              has_raw ? "raw_data" : field_names[own]);
        return or_ld_external(ld, tp, what, bytes, t, mapped);
    }
    if (has_raw) {
        if (n_typed)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: has both raw_data and %s", what, field_names[own]);
        or_span own_sp = { 0, tp->raw_data.len, 0 }, *sp = &own_sp;
        if (ld->wire && !or_wire_span(ld, &tp->raw_data, &sp))
            return or_ld_fail(ld, ONNXRUN_E_PARSE, "%s: raw_data was not resolved by the wire pass", what);
        if (sp->len != bytes)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: raw_data has %llu bytes but %s %s needs %llu", what,
                              (unsigned long long)sp->len, onnxrun_dtype_name(dt), shape, (unsigned long long)bytes);
        if (ld->wire) {
            if (ld->in_place) align_in_place(ld, sp, dt);
            or_status st = or_ld_place(ld, ld->src + sp->off - sp->moved, bytes, ld->in_place, t, mapped);
            if (ld->placed) ld->placed = ld->src + sp->off; /* the file's bytes (weights.c reads them back) */
            return st;
        }
        t->data = tp->raw_data.data; /* taken over: protobuf-c will not free it */
        tp->raw_data.data = NULL;
        tp->raw_data.len = 0;
        if (dt == ONNXRUN_BOOL)
            for (size_t i = 0; i < bytes; i++) ((uint8_t *)t->data)[i] = ((uint8_t *)t->data)[i] != 0;
        return ONNXRUN_OK;
    }
    if ((uint64_t)n_typed != (uint64_t)numel) {
        if (!n_typed)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: has no data but %s %s needs %lld values", what,
                              onnxrun_dtype_name(dt), shape, (long long)numel);
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: %s has %zu values but %s %s needs %lld", what,
                          field_names[own], n_typed, onnxrun_dtype_name(dt), shape, (long long)numel);
    }
    if (!(t->data = or_ld_malloc((size_t)bytes))) return or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory");
    convert_typed(tp, dt, n_typed, t->data);
    return ONNXRUN_OK;
}

/* See graph.h. External data is refused (there is no folder). On failure
 * t->data and *name are NULL. */
or_status or_tensor_parse(const uint8_t *buf, size_t len, const char *what, or_tensor *t,
                          char **name, char *err, size_t err_len)
{
    or_ld ld = { .path = what ? what : "<tensor>", .err = err, .err_len = err_len,
                 .max_bytes = OR_MAX_TENSOR_BYTES };
    if (err && err_len) err[0] = 0;
    if (name) *name = NULL;
    if (!t) return or_ld_fail(&ld, ONNXRUN_E_ARG, "no tensor to fill");
    memset(t, 0, sizeof *t);
    if (!buf && len) return or_ld_fail(&ld, ONNXRUN_E_ARG, "NULL buffer of %zu bytes", len);
    or_pb_alloc pa;
    or_pb_alloc_init(&pa);
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(&pa.a, len, buf);
    if (!tp)
        return pa.failed ? or_ld_fail(&ld, ONNXRUN_E_NOMEM, "out of memory")
                         : or_ld_fail(&ld, ONNXRUN_E_PARSE,
                                      "not a valid TensorProto: the %zu bytes are truncated or corrupt", len);
    const char *nm = tp->name ? tp->name : "";
    or_status st = or_ld_utf8(&ld, nm, "tensor", "name");
    char *w = NULL;
    if (!st && !(w = or_ld_malloc(strlen(nm) + 16))) st = or_ld_fail(&ld, ONNXRUN_E_NOMEM, "out of memory");
    if (!st) {
        bool mapped; /* never: there is no model to keep a mapping */
        sprintf(w, "tensor '%s'", nm);
        st = or_ld_tensor(&ld, tp, w, t, &mapped);
    }
    if (!st && name && !(*name = or_ld_strndup(nm, strlen(nm))))
        st = or_ld_fail(&ld, ONNXRUN_E_NOMEM, "out of memory");
    free(w);
    onnx__tensor_proto__free_unpacked(tp, &pa.a);
    if (st) {
        free(t->data);
        memset(t, 0, sizeof *t);
    }
    return st;
}
