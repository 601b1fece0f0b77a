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

#include "op.h"

typedef float or_v8f __attribute__((vector_size(32)));
typedef int32_t or_v8i __attribute__((vector_size(32)));
/* The same vector at any float address; loads and stores through it leave
 * the vector variable unaddressed, so it stays in a register (a memcpy into
 * or out of a variable can pin it to the stack when the function also
 * calls out). */
typedef float or_v8fu __attribute__((vector_size(32), aligned(4), may_alias));
#define OR_V8F_LOAD(p) (*(const or_v8fu *)(p))
#define OR_V8F_STORE(p, v) (*(or_v8fu *)(p) = (v))

#if defined(__AVX__) || defined(__FMA__)
#include <immintrin.h>
#endif
#ifdef __FMA__
/* acc + a * b rounded once (one vfmadd) where the target has FMA */
#define OR_V8F_FMA(acc, a, b) ((or_v8f)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(acc)))
#else
#define OR_V8F_FMA(acc, a, b) ((acc) + (a) * (b))
#endif
/* The first n (0..8) lanes only: a load with zeros past n, a store that
 * leaves p[n..8) alone (masked moves with AVX2, else lane by lane). */
#ifdef __AVX2__
#define OR_V8_MASK_(n) \
    _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define OR_V8F_LOAD_N(dst, p, n) ((dst) = (or_v8f)_mm256_maskload_ps((p), OR_V8_MASK_(n)))
#define OR_V8F_STORE_N(p, v, n) _mm256_maskstore_ps((p), OR_V8_MASK_(n), (__m256)(v))
#else
#define OR_V8F_LOAD_N(dst, p, n)                                            \
    do {                                                                    \
        float t_[8] = { 0 };                                                \
        for (int64_t i_ = 0; i_ < (int64_t)(n); i_++) t_[i_] = (p)[i_];     \
        (dst) = OR_V8F_LOAD(t_);                                            \
    } while (0)
#define OR_V8F_STORE_N(p, v, n)                                             \
    do {                                                                    \
        float t_[8];                                                        \
        OR_V8F_STORE(t_, (v));                                              \
        for (int64_t i_ = 0; i_ < (int64_t)(n); i_++) (p)[i_] = t_[i_];     \
    } while (0)
#endif

#ifdef __AVX__
/* a > b ? a : b lane by lane (b when either is NaN): one vmaxps */
#define OR_V8F_MAX(a, b) ((or_v8f)_mm256_max_ps((__m256)(a), (__m256)(b)))
#else
#define OR_V8F_MAX(a, b) \
    ((or_v8f)(((or_v8i)(a) & ((a) > (b))) | ((or_v8i)(b) & ~((a) > (b)))))
#endif

/* y[0..n) = v */
static inline void or_row_fill(int64_t n, float v, float *y)
{
    int64_t i = 0;
    or_v8f vv = { v, v, v, v, v, v, v, v };
    for (; i + 8 <= n; i += 8) memcpy(y + i, &vv, sizeof vv);
    for (; i < n; i++) y[i] = v;
}

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

/* y[i] = x[2 * i] > y[i] ? x[2 * i] : y[i] for i in [0, n); reads x[0 .. 2n - 1) only. */
static inline void or_row_max_s2(int64_t n, const float *restrict x, float *restrict y)
{
    int64_t i = 0;
    for (; i + 9 <= n; i += 8) {
        or_v8f vx, vy;
        OR_V8F_EVEN(vx, x + 2 * i);
        memcpy(&vy, y + i, sizeof vy);
        or_v8i m = vx > vy;
        vy = (or_v8f)(((or_v8i)vx & m) | ((or_v8i)vy & ~m));
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] = x[2 * i] > y[i] ? x[2 * i] : y[i];
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

/* v = the activation of e on a vector, as or_epilogue_apply does it element
 * by element (Relu maps NaN to 0; Clip and LeakyRelu keep it). A macro:
 * vectors never cross a function boundary. */
#define OR_V8F_ACT(v, e)                                                        \
    do {                                                                        \
        const or_v8f z_ = { 0 };                                                \
        or_v8i m_;                                                              \
        switch ((e)->act) {                                                     \
        case OR_ACT_RELU:                                                       \
            (v) = (or_v8f)((or_v8i)(v) & ((v) > z_));                           \
            break;                                                              \
        case OR_ACT_CLIP:                                                       \
            m_ = (v) < z_ + (e)->lo;                                            \
            (v) = (or_v8f)(((or_v8i)(z_ + (e)->lo) & m_) | ((or_v8i)(v) & ~m_)); \
            m_ = (v) > z_ + (e)->hi;                                            \
            (v) = (or_v8f)(((or_v8i)(z_ + (e)->hi) & m_) | ((or_v8i)(v) & ~m_)); \
            break;                                                              \
        case OR_ACT_LEAKY:                                                      \
            m_ = (v) < z_;                                                      \
            (v) = (or_v8f)(((or_v8i)((v) * (e)->alpha) & m_) | ((or_v8i)(v) & ~m_)); \
            break;                                                              \
        case OR_ACT_NONE:                                                       \
            break;                                                              \
        }                                                                       \
    } while (0)

static inline float or_act1(float v, const or_epilogue *e)
{
    switch (e->act) {
    case OR_ACT_RELU: return v > 0 ? v : 0;
    case OR_ACT_CLIP: return v < e->lo ? e->lo : v > e->hi ? e->hi : v;
    case OR_ACT_LEAKY: return v < 0 ? e->alpha * v : v;
    case OR_ACT_NONE: break;
    }
    return v;
}

/* y[i] = act(y[i] + bias + add[i]) for i in [0, n) (add may be NULL; e->add
 * is not read): a convolution's bias and fused epilogue in one pass. */
static inline void or_row_epilogue(int64_t n, float *restrict y, float bias,
                                   const float *restrict add, const or_epilogue *e)
{
    int64_t i = 0;
    or_v8f vb = { bias, bias, bias, bias, bias, bias, bias, bias };
    for (; i + 8 <= n; i += 8) {
        or_v8f v, a;
        memcpy(&v, y + i, sizeof v);
        v += vb;
        if (add) {
            memcpy(&a, add + i, sizeof a);
            v += a;
        }
        OR_V8F_ACT(v, e);
        memcpy(y + i, &v, sizeof v);
    }
    for (; i < n; i++) {
        float v = y[i] + bias;
        if (add) v += add[i];
        y[i] = or_act1(v, e);
    }
}

#endif /* OR_ROWOPS_H */
