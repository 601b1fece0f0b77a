/*
 * gemm_6x32_avx512.c - conv_gemm's 6 x 32 register block for AVX-512F (see
 * conv_gemm_ukr.h), compiled with -mavx512f -mfma and called only when the
 * session's ISA allows it (ops/isa.h).
 *
 * Registers: twelve zmm accumulators (6 rows x two 16-float halves); per k,
 * two vectors of B, six broadcasts of A (vbroadcastss from the packed
 * panel, one per row) and twelve FMAs: 12 FMAs against 8 loads, so the two
 * FMA pipes, not the loads, set the pace. A K step of six rows keeps each
 * accumulator's FMA chain six deep apart, enough to cover the FMA latency
 * with two pipes. Right edges narrower than 32 use mask registers on every
 * load and store of B and C (masked-off lanes are never touched, so no
 * read or write passes column nr); an edge of at most 16 columns runs the
 * left half only, on two packed panels at once where it can (ukr_edge12:
 * twelve zmm accumulators, 12 rows x 16; per k one load of B, twelve
 * broadcasts of A from the two panels' streams, twelve FMAs).
 */
#include <immintrin.h>

#include "act_avx512.h"
#include "conv_gemm_ukr.h"

#define NR 32
#define PF_A 1024 /* floats ahead in A to prefetch (packed weights stream from memory) */

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

/* The epilogue of 16 columns of row r with the last K chunk: + bias[r],
 * + the residual at ar (lanes of m; ar NULL: none), then the activation. */
__attribute__((always_inline)) static inline __m512 fin16(const or_ukr_args *u, __m512 v, int r,
                                                          const float *ar, __mmask16 m)
{
    if (u->bias) v = _mm512_add_ps(v, _mm512_set1_ps(u->bias[r]));
    if (ar) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ar));
    if (u->e) v = act16(v, u->e);
    return v;
}

__attribute__((always_inline)) static inline void ukr_one(const or_ukr_args *u)
{
    const int nr = u->nr;
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xffff
                         : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : (__mmask16)0;
    const bool bfull = u->bfull || nr == NR;
    const int64_t ldc = u->ldc, ldb = u->ldb;
#define DECL(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROWS(DECL)
#undef DECL
    if (u->acc) {
#define LOAD(r)                                                 \
        if (r < u->mr) {                                        \
            const float *cr = u->c + r * ldc;                   \
            c##r##0 = _mm512_maskz_loadu_ps(m0, cr);            \
            c##r##1 = _mm512_maskz_loadu_ps(m1, cr + 16);       \
        }
        ROWS(LOAD)
#undef LOAD
    }
    const float *b = u->b, *a = u->a;
    const int64_t kc = u->kc, ak = u->ak;
#define AROW(r) const int64_t o##r = u->ao[r];
    ROWS(AROW)
#undef AROW
    for (int r = 0; r < u->mr; r++) {
        _mm_prefetch((const char *)(u->c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(u->c + r * ldc + NR - 1), _MM_HINT_T0);
        if (u->fin && u->add) {
            _mm_prefetch((const char *)(u->add + r * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(u->add + r * ldc + NR - 1), _MM_HINT_T0);
        }
    }
#define FMA(r)                                                \
    {                                                         \
        __m512 av = _mm512_set1_ps(a[o##r]);                  \
        c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);           \
        c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);           \
    }
    if (u->brows) { /* indirect rows (or_gemm.brows), readable to NR floats */
        const float *const *br = u->brows;
        const int64_t bo = u->boff;
        if (nr <= 16) {
            for (int64_t kk = 0; kk < kc; kk++, a += ak) {
                __m512 b0 = _mm512_loadu_ps(br[kk] + bo);
#define FMA16(r) c##r##0 = _mm512_fmadd_ps(_mm512_set1_ps(a[o##r]), b0, c##r##0);
                ROWS(FMA16)
#undef FMA16
            }
        } else {
            for (int64_t kk = 0; kk < kc; kk++, a += ak) {
                __m512 b0 = _mm512_loadu_ps(br[kk] + bo), b1 = _mm512_loadu_ps(br[kk] + bo + 16);
                _mm_prefetch((const char *)(a + PF_A), _MM_HINT_T0);
                ROWS(FMA)
            }
        }
    } else if (nr <= 16) { /* a narrow right edge: the left half of the block */
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m512 b0 = bfull ? _mm512_loadu_ps(b) : _mm512_maskz_loadu_ps(m0, b);
#define FMA16(r) c##r##0 = _mm512_fmadd_ps(_mm512_set1_ps(a[o##r]), b0, c##r##0);
            ROWS(FMA16)
#undef FMA16
        }
    } else if (bfull) {
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
            _mm_prefetch((const char *)(b + 4 * NR), _MM_HINT_T0);
            _mm_prefetch((const char *)(a + PF_A), _MM_HINT_T0);
            ROWS(FMA)
        }
    } else {
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
            ROWS(FMA)
        }
    }
#undef FMA
#define STORE(r)                                                                 \
    if (r < u->mr) {                                                             \
        __m512 v0 = c##r##0, v1 = c##r##1;                                       \
        if (u->fin) {                                                            \
            const float *ar = u->add ? u->add + r * ldc : NULL;                  \
            v0 = fin16(u, v0, r, ar, m0);                                        \
            v1 = fin16(u, v1, r, ar ? ar + 16 : NULL, m1);                       \
        }                                                                        \
        float *cr = u->c + r * ldc;                                              \
        _mm512_mask_storeu_ps(cr, m0, v0);                                       \
        _mm512_mask_storeu_ps(cr + 16, m1, v1);                                  \
    }
    ROWS(STORE)
#undef STORE
}

/* A right edge of at most 16 columns on two full packed panels at once
 * (12 rows x 16): twelve accumulator chains instead of six. With six, the
 * edge block waits on the FMA latency (6 FMAs per k in 4 cycles), so a
 * 4-column edge (196 = 6 x 32 + 4, resnet50's 14x14 layers) cost two
 * thirds of a full block; twelve chains fill both pipes. Per k: one load
 * of B, twelve broadcasts, twelve FMAs. */
__attribute__((always_inline)) static inline void ukr_edge12(const or_ukr_args *u, int64_t a_step)
{
    const int nr = u->nr;
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1);
    const bool bfull = u->bfull || nr == NR;
    const int64_t ldc = u->ldc, ldb = u->ldb, kc = u->kc;
#define ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define DECL(r) __m512 c##r = u->acc ? _mm512_maskz_loadu_ps(m0, u->c + r * ldc) : _mm512_setzero_ps();
    ROWS12(DECL)
#undef DECL
    const float *a = u->a, *a2 = u->a + a_step, *b = u->b;
#define FMA_LO(r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, c##r);
#define FMA_HI(r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(a2[r - 6]), b0, c##r);
    for (int64_t kk = 0; kk < kc; kk++, a += OR_GEMM_MR, a2 += OR_GEMM_MR, b += ldb) {
        __m512 b0 = bfull ? _mm512_loadu_ps(b) : _mm512_maskz_loadu_ps(m0, b);
        FMA_LO(0) FMA_LO(1) FMA_LO(2) FMA_LO(3) FMA_LO(4) FMA_LO(5)
        FMA_HI(6) FMA_HI(7) FMA_HI(8) FMA_HI(9) FMA_HI(10) FMA_HI(11)
    }
#undef FMA_LO
#undef FMA_HI
#define STORE(r)                                                                 \
    {                                                                            \
        __m512 v = c##r;                                                         \
        if (u->fin) v = fin16(u, v, r, u->add ? u->add + r * ldc : NULL, m0);    \
        _mm512_mask_storeu_ps(u->c + r * ldc, m0, v);                            \
    }
    ROWS12(STORE)
#undef STORE
#undef ROWS12
}

void or_gemm_ukr_6x32_avx512(const or_ukr_args *run)
{
    or_ukr_args u = *run;
    /* two full packed panels at a time on a narrow edge (ukr_edge12) */
    bool pairs = run->nr <= 16 && run->packed && !run->brows;
    for (int64_t p = 0; p < run->panels; p++) {
        or_ukr_panel(&u, run, p);
        if (pairs && p + 1 < run->panels && run->m_left - p * OR_GEMM_MR >= 2 * OR_GEMM_MR) {
            ukr_edge12(&u, run->a_step);
            p++;
            continue;
        }
        or_ukr_prefetch_next(run, p, NR);
        ukr_one(&u);
    }
}
