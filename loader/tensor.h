/*
 * tensor.h - the tensor descriptor shared by every stage, and checked size
 * arithmetic. Internally a tensor is the public onnxrun_tensor: dtype, rank,
 * dims and a data pointer (row-major). Who owns `data` is said where a
 * tensor is stored (model initializers, session arena, kernel output).
 */
#ifndef OR_TENSOR_H
#define OR_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxrun.h"

#define OR_MAX_RANK ONNXRUN_MAX_RANK

typedef onnxrun_tensor or_tensor;
typedef onnxrun_status or_status;

/* Largest element count / byte size a single tensor may have (2^40 bytes):
 * keeps every later size computation far from overflow. */
#define OR_MAX_TENSOR_BYTES ((uint64_t)1 << 40)

/* a*b and a+b on non-negative sizes; false on overflow. */
static inline bool or_mul_ok(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}
static inline bool or_add_ok(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}

/* Element count of dims[0..rank); false if a dim is negative or the
 * product (or its byte size for dtype) exceeds OR_MAX_TENSOR_BYTES. */
bool or_shape_numel(int rank, const int64_t *dims, onnxrun_dtype dt, int64_t *numel);

/* Element count of a tensor whose shape is already validated. */
static inline int64_t or_numel(const or_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

/* Bytes of a tensor whose shape is already validated. */
static inline size_t or_nbytes(const or_tensor *t)
{
    return (size_t)or_numel(t) * onnxrun_dtype_size(t->dtype);
}

/* Writes "[1,3,224,224]" (or "[]" for a scalar) into buf. */
void or_shape_str(const or_tensor *t, char *buf, size_t len);

/* The 16-bit float types. IEEE half and bfloat16 to float and back
 * (round to nearest even; overflow gives infinity, NaN stays NaN). */
float or_half_to_float(uint16_t h);
uint16_t or_float_to_half(float f);
float or_bf16_to_float(uint16_t h);
uint16_t or_float_to_bf16(float f);
static inline bool or_is_half(onnxrun_dtype dt)
{
    return dt == ONNXRUN_FLOAT16 || dt == ONNXRUN_BFLOAT16;
}
/* n elements of half type dt (FLOAT16 or BFLOAT16) to float, and back. */
void or_halves_to_float(onnxrun_dtype dt, const uint16_t *src, float *dst, int64_t n);
void or_float_to_halves(onnxrun_dtype dt, const float *src, uint16_t *dst, int64_t n);

/* Same dtype, rank and dims. */
bool or_same_shape(const or_tensor *a, const or_tensor *b);

#endif /* OR_TENSOR_H */
