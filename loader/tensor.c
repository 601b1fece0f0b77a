/*
 * tensor.c - dtype tables and checked shape arithmetic (see tensor.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor.h"

typedef struct dtype_row {
    const char *name;
    size_t size;        /* 0 = cannot be held */
} dtype_row;

static const dtype_row dtypes[] = {
    [ONNXRUN_UNDEFINED] = { "undefined", 0 },
    [ONNXRUN_FLOAT] = { "float", 4 },
    [ONNXRUN_UINT8] = { "uint8", 1 },
    [ONNXRUN_INT8] = { "int8", 1 },
    [ONNXRUN_UINT16] = { "uint16", 2 },
    [ONNXRUN_INT16] = { "int16", 2 },
    [ONNXRUN_INT32] = { "int32", 4 },
    [ONNXRUN_INT64] = { "int64", 8 },
    [ONNXRUN_STRING] = { "string", 0 },
    [ONNXRUN_BOOL] = { "bool", 1 },
    [ONNXRUN_FLOAT16] = { "float16", 2 },
    [ONNXRUN_DOUBLE] = { "double", 8 },
    [ONNXRUN_UINT32] = { "uint32", 4 },
    [ONNXRUN_UINT64] = { "uint64", 8 },
    [ONNXRUN_COMPLEX64] = { "complex64", 0 },
    [ONNXRUN_COMPLEX128] = { "complex128", 0 },
    [ONNXRUN_BFLOAT16] = { "bfloat16", 2 },
};
_Static_assert(sizeof dtypes / sizeof dtypes[0] == ONNXRUN_DTYPE_COUNT, "dtype table");

size_t onnxrun_dtype_size(onnxrun_dtype t)
{
    return (unsigned)t < ONNXRUN_DTYPE_COUNT ? dtypes[t].size : 0;
}

const char *onnxrun_dtype_name(onnxrun_dtype t)
{
    return (unsigned)t < ONNXRUN_DTYPE_COUNT ? dtypes[t].name : "unknown";
}

float or_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    float f;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000 | (man << 13);               /* inf, nan */
    } else if (exp) {
        bits = sign | ((exp + 112) << 23) | (man << 13);      /* rebias 15 -> 127 */
    } else {
        f = (float)man * 0x1p-24f;                            /* zero, subnormal */
        return sign ? -f : f;
    }
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t or_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffff;
    if (ax > 0x7f800000) return sign | 0x7e00;               /* nan */
    if (ax >= 0x477ff000) return sign | 0x7c00;              /* >= 65520 rounds to inf */
    if (ax < 0x38800000) {                                   /* below 2^-14: subnormal */
        float a;
        memcpy(&a, &ax, sizeof a);
        return sign | (uint16_t)nearbyintf(a * 0x1p24f);     /* may round up to 0x400: right */
    }
    uint32_t h = ((ax >> 23) - 112) << 10 | ((ax >> 13) & 0x3ff), rest = ax & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;  /* a carry moves into the exponent */
    return sign | (uint16_t)h;
}

float or_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t or_float_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* nan stays nan */
    x += 0x7fff + ((x >> 16) & 1);                                        /* nearest even */
    return (uint16_t)(x >> 16);
}

void or_halves_to_float(onnxrun_dtype dt, const uint16_t *src, float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dst[i] = dt == ONNXRUN_BFLOAT16 ? or_bf16_to_float(src[i]) : or_half_to_float(src[i]);
}

void or_float_to_halves(onnxrun_dtype dt, const float *src, uint16_t *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dst[i] = dt == ONNXRUN_BFLOAT16 ? or_float_to_bf16(src[i]) : or_float_to_half(src[i]);
}

static const char *const status_names[] = {
    [ONNXRUN_OK] = "ok",
    [ONNXRUN_E_ARG] = "bad argument",
    [ONNXRUN_E_IO] = "i/o error",
    [ONNXRUN_E_PARSE] = "parse error",
    [ONNXRUN_E_INVALID] = "invalid model",
    [ONNXRUN_E_UNSUPPORTED] = "unsupported",
    [ONNXRUN_E_SHAPE] = "shape error",
    [ONNXRUN_E_LIMIT] = "limit exceeded",
    [ONNXRUN_E_NOMEM] = "out of memory",
    [ONNXRUN_E_RUNTIME] = "runtime error",
    [ONNXRUN_E_CANCELLED] = "cancelled",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == ONNXRUN_STATUS_COUNT, "status table");

const char *onnxrun_version(void)
{
    return ONNXRUN_VERSION_STRING;
}

const char *onnxrun_status_name(onnxrun_status st)
{
    return (unsigned)st < ONNXRUN_STATUS_COUNT ? status_names[st] : "unknown status";
}

bool or_shape_numel(int rank, const int64_t *dims, onnxrun_dtype dt, int64_t *numel)
{
    uint64_t n = 1, bytes;
    if (rank < 0 || rank > OR_MAX_RANK) return false;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || !or_mul_ok(n, (uint64_t)dims[i], &n) || n > OR_MAX_TENSOR_BYTES)
            return false;
    }
    size_t es = onnxrun_dtype_size(dt);
    if (!or_mul_ok(n, es ? es : 1, &bytes) || bytes > OR_MAX_TENSOR_BYTES) return false;
    *numel = (int64_t)n;
    return true;
}

int64_t onnxrun_tensor_numel(const onnxrun_tensor *t)
{
    int64_t n;
    if (!t || !or_shape_numel(t->rank, t->dims, t->dtype, &n)) return -1;
    return n;
}

void or_shape_str(const or_tensor *t, char *buf, size_t len)
{
    size_t used = 0;
    if (!len) return;
    buf[0] = 0;
    used += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < t->rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? "," : "", (long long)t->dims[i]);
    if (used < len) snprintf(buf + used, len - used, "]");
}

bool or_same_shape(const or_tensor *a, const or_tensor *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}
