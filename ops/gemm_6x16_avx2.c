/*
 * gemm_6x16_avx2.c - conv_gemm's 6 x 16 register block for AVX2 + FMA
 * (see conv_gemm_ukr.h), compiled with -mavx2 -mfma and called only when
 * the session's ISA allows it (ops/isa.h).
 *
 * Registers: twelve ymm accumulators (6 rows x two 8-float halves); per k,
 * two vectors of B, six broadcasts of A (one per row, walking the rows in
 * step) and twelve FMAs. Right edges narrower than 16 use masked loads and
 * stores (vmaskmovps), so B and C are never touched past column nr; an
 * edge of at most 8 columns runs the left half only.
 */
#include <immintrin.h>

#include "conv_gemm_ukr.h"
#include "rowops.h"

#define NR 16
#define GEMM_PF_A 1024 /* floats ahead in A to prefetch (packed weights stream from memory) */


/* The activation on one vector, exactly as or_act1 per lane. */
static inline __m256 act8(__m256 v, const or_epilogue *e)
{
    switch (e->act) {
    case OR_ACT_RELU:
        return _mm256_max_ps(v, _mm256_setzero_ps()); /* v > 0 ? v : 0 */
    case OR_ACT_CLIP:
        v = _mm256_max_ps(_mm256_set1_ps(e->lo), v);   /* lo > v ? lo : v */
        return _mm256_min_ps(_mm256_set1_ps(e->hi), v); /* hi < v ? hi : v */
    case OR_ACT_LEAKY:
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(e->alpha)),
                                _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
    case OR_ACT_NONE:
        break;
    }
    return v;
}

/* The 6 x 16 block in twelve named accumulators (arrays indexed in loops
 * would live in memory at -O2). */
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

__attribute__((always_inline)) static inline void ukr_one(const or_ukr_args *u)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(u->nr), iota);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(u->nr - 8), iota);
    const bool full = u->nr == NR, bfull = u->bfull || full;
    const int64_t ldc = u->ldc, ldb = u->ldb;
#define DECL(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROWS(DECL)
#undef DECL
    if (u->acc) {
#define LOAD(r)                                                                      \
        if (r < u->mr) {                                                             \
            const float *cr = u->c + r * ldc;                                        \
            c##r##0 = full ? _mm256_loadu_ps(cr) : _mm256_maskload_ps(cr, m0);      \
            c##r##1 = full ? _mm256_loadu_ps(cr + 8) : _mm256_maskload_ps(cr + 8, m1); \
        }
        ROWS(LOAD)
#undef LOAD
    }
    const float *b = u->b, *a = u->a;
    const int64_t kc = u->kc, ak = u->ak;
#define AROW(r) const int64_t o##r = u->ao[r];
    ROWS(AROW)
#undef AROW
#define FMA(r)                                                \
    {                                                         \
        __m256 av = _mm256_broadcast_ss(a + o##r);            \
        c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);           \
        c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);           \
    }
    /* the C block arrives while the sums are computed */
    for (int r = 0; r < u->mr; r++) {
        _mm_prefetch((const char *)(u->c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(u->c + r * ldc + NR - 1), _MM_HINT_T0);
        if (u->fin && u->add) {
            _mm_prefetch((const char *)(u->add + r * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(u->add + r * ldc + NR - 1), _MM_HINT_T0);
        }
    }
    if (u->nr <= 8) { /* a narrow right edge: the left half of the block */
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m256 b0 = bfull || u->nr == 8 ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, m0);
#define FMA8(r) c##r##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + o##r), b0, c##r##0);
            ROWS(FMA8)
#undef FMA8
        }
    } else if (bfull) {
        /* and B's next column block, for the panels that follow */
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            _mm_prefetch((const char *)(b + 2 * NR), _MM_HINT_T0);
            _mm_prefetch((const char *)(a + GEMM_PF_A), _MM_HINT_T0);
            ROWS(FMA)
        }
    } else {
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m256 b0 = _mm256_maskload_ps(b, m0), b1 = _mm256_maskload_ps(b + 8, m1);
            ROWS(FMA)
        }
    }
#undef FMA
#define STORE(r)                                                                          \
    if (r < u->mr) {                                                                      \
        __m256 v0 = c##r##0, v1 = c##r##1;                                                \
        if (u->fin) {                                                                     \
            if (u->bias) {                                                                \
                __m256 bv = _mm256_broadcast_ss(u->bias + r);                             \
                v0 = _mm256_add_ps(v0, bv);                                               \
                v1 = _mm256_add_ps(v1, bv);                                               \
            }                                                                             \
            if (u->add) {                                                                 \
                const float *ar = u->add + r * ldc;                                       \
                v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(ar) : _mm256_maskload_ps(ar, m0)); \
                v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(ar + 8)                     \
                                            : _mm256_maskload_ps(ar + 8, m1));            \
            }                                                                             \
            if (u->e) {                                                                   \
                v0 = act8(v0, u->e);                                                      \
                v1 = act8(v1, u->e);                                                      \
            }                                                                             \
        }                                                                                 \
        float *cr = u->c + r * ldc;                                                       \
        if (full) {                                                                       \
            _mm256_storeu_ps(cr, v0);                                                     \
            _mm256_storeu_ps(cr + 8, v1);                                                 \
        } else {                                                                          \
            _mm256_maskstore_ps(cr, m0, v0);                                              \
            _mm256_maskstore_ps(cr + 8, m1, v1);                                          \
        }                                                                                 \
    }
    ROWS(STORE)
#undef STORE
}

void or_gemm_ukr_6x16_avx2(const or_ukr_args *run)
{
    or_ukr_args u = *run;
    for (int64_t p = 0; p < run->panels; p++) {
        or_ukr_panel(&u, run, p);
        or_ukr_prefetch_next(run, p, NR);
        ukr_one(&u);
    }
}
