/*
 * rowops.h - unit-stride float row loops for the conv and pool kernels,
 * written with GCC vector extensions (8 floats at a time). GCC 12 at -O2
 * uses the "very cheap" vectorizer cost model, which leaves loops of unknown
 * trip count scalar; these keep the hot rows vectorized at any -O level and
 * on any x86-64 baseline (without AVX the compiler splits each vector in two).
 * Vectors never cross a function boundary (that would change the ABI).
 */
#ifndef OR_ROWOPS_H
#define OR_ROWOPS_H

#include <stdint.h>
#include <string.h>

typedef float or_v8f __attribute__((vector_size(32)));
typedef int32_t or_v8i __attribute__((vector_size(32)));

/* y[0..n) += a * x[0..n) */
static inline void or_row_axpy(int64_t n, float a, const float *restrict x, float *restrict y)
{
    int64_t i = 0;
    or_v8f va = { a, a, a, a, a, a, a, a };
    for (; i + 8 <= n; i += 8) {
        or_v8f vx, vy;
        memcpy(&vx, x + i, sizeof vx);
        memcpy(&vy, y + i, sizeof vy);
        vy += va * vx;
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] += a * x[i];
}

/* y[0..n) += x[0..n) */
static inline void or_row_add(int64_t n, const float *restrict x, float *restrict y)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        or_v8f vx, vy;
        memcpy(&vx, x + i, sizeof vx);
        memcpy(&vy, y + i, sizeof vy);
        vy += vx;
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] += x[i];
}

/* y[i] = x[i] > y[i] ? x[i] : y[i] for i in [0, n) (a NaN in x is skipped) */
static inline void or_row_max(int64_t n, const float *restrict x, float *restrict y)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        or_v8f vx, vy;
        memcpy(&vx, x + i, sizeof vx);
        memcpy(&vy, y + i, sizeof vy);
        or_v8i m = vx > vy;
        vy = (or_v8f)(((or_v8i)vx & m) | ((or_v8i)vy & ~m));
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] = x[i] > y[i] ? x[i] : y[i];
}

/* The even lanes of x[0..16): vectors for stride-2 rows. Reads x[0..16). */
#define OR_V8F_EVEN(dst, x)                                                   \
    do {                                                                      \
        or_v8f lo_, hi_;                                                      \
        memcpy(&lo_, (x), sizeof lo_);                                        \
        memcpy(&hi_, (x) + 8, sizeof hi_);                                    \
        (dst) = __builtin_shufflevector(lo_, hi_, 0, 2, 4, 6, 8, 10, 12, 14); \
    } while (0)

/* y[0..n) += a * x[2 * i]; reads x[0 .. 2n - 1) only. */
static inline void or_row_axpy_s2(int64_t n, float a, const float *restrict x,
                                  float *restrict y)
{
    int64_t i = 0;
    or_v8f va = { a, a, a, a, a, a, a, a };
    for (; i + 9 <= n; i += 8) { /* the last vector reads x[2i + 15] <= x[2n - 3] */
        or_v8f vx, vy;
        OR_V8F_EVEN(vx, x + 2 * i);
        memcpy(&vy, y + i, sizeof vy);
        vy += va * vx;
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] += a * x[2 * i];
}

/* y[i] = x[2 * i] for i in [0, n); reads x[0 .. 2n - 1) only. */
static inline void or_row_copy_s2(int64_t n, const float *restrict x, float *restrict y)
{
    int64_t i = 0;
    for (; i + 9 <= n; i += 8) {
        or_v8f vx;
        OR_V8F_EVEN(vx, x + 2 * i);
        memcpy(y + i, &vx, sizeof vx);
    }
    for (; i < n; i++) y[i] = x[2 * i];
}

#endif /* OR_ROWOPS_H */
