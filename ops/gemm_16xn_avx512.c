/*
 * gemm_16xn_avx512.c - the row-vector register block of conv_gemm's
 * "mv" layout (conv_gemm_ukr.h): C[16 rows][nj <= 16 columns] with C's rows
 * in the 16 lanes of a zmm, for products with few columns (7x7 and 14x14
 * images, Winograd blocks of 16 tiles), where the 6 x 32 block would leave
 * lanes empty. Compiled with -mavx512f -mfma, called only when the
 * session's ISA is AVX-512 (ops/isa.h).
 *
 * A is packed in panels of 16 rows (or_gemm_pack_mv: a[k][16]); per k, one
 * vector of A (16 rows), nj broadcasts of B[k][j] and nj FMAs into nj
 * accumulators (one per column, up to 16 zmm). The kernel is specialised
 * per nj (1..16), so each column block costs in proportion to its columns.
 * The whole K runs in one pass (a panel of A is 64 bytes per k, read once
 * per column block from L1/L2). The block is then stored through a 16 x 16
 * staging tile (transposed to C's row-major order), with bias and
 * activation applied on the vectors and the residual added per element.
 */
#include <immintrin.h>

#include "act_avx512.h"
#include "conv_gemm_ukr.h"
#include "rowops.h"

#ifndef MV_PF_K
#define MV_PF_K 128 /* k steps ahead to prefetch A (one 64-byte line per step; weights stream from memory) */
#endif

__attribute__((always_inline)) static inline void mv_tile(const or_mv_args *u, const int NJ)
{
    /* S sets of NJ accumulators take alternate k, so that at least 8 FMA
     * chains are in flight (4 cycles of latency on two pipes): one column
     * alone was latency bound, 4 cycles a k instead of 0.5 (resnet50's
     * layer4 has 49 columns: three blocks of 16 and one of 1) */
    const int S = NJ >= 8 ? 1 : NJ >= 4 ? 2 : 4;
    __m512 acc[4][16];
#pragma GCC unroll 4
    for (int s = 0; s < S; s++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[s][j] = _mm512_setzero_ps();
    const float *a = u->a, *b = u->b;
    const int64_t ldb = u->ldb;
    int64_t kk = 0;
    for (; kk + S <= u->k; kk += S, a += 16 * S, b += ldb * S) {
#pragma GCC unroll 4
        for (int s = 0; s < S; s++) {
            __m512 av = _mm512_loadu_ps(a + 16 * s);
            _mm_prefetch((const char *)(a + 16 * s + 16 * MV_PF_K), _MM_HINT_T0);
#pragma GCC unroll 16
            for (int j = 0; j < NJ; j++)
                acc[s][j] = _mm512_fmadd_ps(av, _mm512_set1_ps(b[s * ldb + j]), acc[s][j]);
        }
    }
    for (; kk < u->k; kk++, a += 16, b += ldb) {
        __m512 av = _mm512_loadu_ps(a);
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[0][j] = _mm512_fmadd_ps(av, _mm512_set1_ps(b[j]), acc[0][j]);
    }
#pragma GCC unroll 4
    for (int s = 1; s < S; s++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[0][j] = _mm512_add_ps(acc[0][j], acc[s][j]);
    const __mmask16 rows = (__mmask16)(u->mr >= 16 ? 0xffff : (1u << u->mr) - 1);
    const __m512 bias = u->bias ? _mm512_maskz_loadu_ps(rows, u->bias) : _mm512_setzero_ps();
    const or_epilogue *e = u->e;
    const bool act_now = e && !u->add; /* with a residual, the activation comes after it */
    _Alignas(64) float t[16][16];
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) {
        __m512 v = _mm512_add_ps(acc[0][j], bias);
        if (act_now) v = act16(v, e);
        _mm512_store_ps(t[j], v);
    }
    for (int r = 0; r < u->mr; r++) {
        float *cr = u->c + r * u->ldc;
        if (u->add) {
            const float *ar = u->add + r * u->ldc;
            for (int j = 0; j < NJ; j++) {
                float v = t[j][r] + ar[j];
                cr[j] = e ? or_act1(v, e) : v;
            }
        } else {
            for (int j = 0; j < NJ; j++) cr[j] = t[j][r];
        }
    }
}

void or_gemm_ukr_mv_avx512(const or_mv_args *u)
{
    switch (u->nj) {
#define CASE(n) case n: mv_tile(u, n); break;
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
    CASE(9) CASE(10) CASE(11) CASE(12) CASE(13) CASE(14) CASE(15) CASE(16)
#undef CASE
    default:
        break;
    }
}
