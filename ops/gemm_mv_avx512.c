/*
 * gemm_mv_avx512.c - the register block of conv_gemm's "mv" layout
 * (conv_gemm_ukr.h): C's rows in the 16 lanes of a zmm, for products with
 * few columns (7x7 and 14x14 images, strided layers' column tiles,
 * Winograd blocks of 16 tiles), where the 6 x 32 block would leave lanes
 * empty. Compiled with -mavx512f -mfma, called only when the session's ISA
 * is AVX-512 (ops/isa.h).
 *
 * A is packed in panels of 16 rows (or_gemm_pack_mv: a[k][16]). The block
 * is P panels (up to 4: 64 rows of C) x NJ columns (up to 6): per k, P
 * vector loads of A (one 64-byte line from each panel's stream), NJ
 * broadcasts of B[k][j] (each shared by the P FMAs of its column) and
 * P x NJ FMAs into as many accumulators. At 4 x 6: 24 zmm accumulators,
 * 4 A vectors, 24 FMAs against 10 loads (the 16-row block before had 16
 * FMAs against 17 loads and ran at 60-70% of the FMA peak); 24 chains
 * cover the FMA latency (4 cycles on two pipes needs 8). The kernel is
 * specialised per (P, NJ), so narrow blocks cost in proportion.
 *
 * K comes in chunks (the caller's, so a group of 4 panels x chunk stays
 * in L2 while the column blocks pass over it); between chunks the sums
 * wait in u->part in register order. With the last chunk, the block is
 * stored through a 16 x 16 staging tile per panel (transposed to C's
 * row-major order), with the bias and activation applied on the vectors
 * and the residual added per element.
 */
#include <immintrin.h>

#include "act_avx512.h"
#include "conv_gemm_ukr.h"
#include "rowops.h"

#ifndef MV_PF_K
#define MV_PF_K 64 /* k steps ahead to prefetch A (one 64-byte line per step and panel) */
#endif

/* C rows [0, mr) of panel p of the block from its NJ column vectors v:
 * + bias and the activation on the vectors, through a staging tile to
 * C's row-major order, the residual added per element. */
__attribute__((always_inline)) static inline void mv_store(const or_mv_args *u, int p, int mr,
                                                           const __m512 *v, const int NJ)
{
    const or_epilogue *e = u->e;
    const bool act_now = e && !u->add; /* with a residual, the activation comes after it */
    const __mmask16 rows = (__mmask16)(mr >= 16 ? 0xffff : (1u << mr) - 1);
    const __m512 bias = u->bias ? _mm512_maskz_loadu_ps(rows, u->bias + p * 16) : _mm512_setzero_ps();
    _Alignas(64) float t[16][16];
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) {
        __m512 x = _mm512_add_ps(v[j], bias);
        if (act_now) x = act16(x, e);
        _mm512_store_ps(t[j], x);
    }
    float *c = u->c + p * 16 * u->ldc;
    const float *add = u->add ? u->add + p * 16 * u->ldc : NULL;
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * u->ldc;
        if (add) {
            const float *ar = add + r * u->ldc;
            for (int j = 0; j < NJ; j++) {
                float x = t[j][r] + ar[j];
                cr[j] = e ? or_act1(x, e) : x;
            }
        } else {
            for (int j = 0; j < NJ; j++) cr[j] = t[j][r];
        }
    }
}

__attribute__((always_inline)) static inline void mv_tile(const or_mv_args *u, const int P,
                                                          const int NJ)
{
    __m512 acc[4][6];
#pragma GCC unroll 4
    for (int p = 0; p < P; p++)
#pragma GCC unroll 6
        for (int j = 0; j < NJ; j++)
            acc[p][j] = u->first ? _mm512_setzero_ps() : _mm512_load_ps(u->part + (p * NJ + j) * 16);
    const float *a = u->a, *b = u->b;
    const int64_t as = u->a_step, ldb = u->ldb;
    for (int64_t kk = 0; kk < u->k; kk++, a += 16, b += ldb) {
        __m512 av[4];
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            av[p] = _mm512_loadu_ps(a + p * as);
            _mm_prefetch((const char *)(a + p * as + 16 * MV_PF_K), _MM_HINT_T0);
        }
#pragma GCC unroll 6
        for (int j = 0; j < NJ; j++) {
            __m512 bj = _mm512_set1_ps(b[j]);
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) acc[p][j] = _mm512_fmadd_ps(av[p], bj, acc[p][j]);
        }
    }
    if (!u->last) {
#pragma GCC unroll 4
        for (int p = 0; p < P; p++)
#pragma GCC unroll 6
            for (int j = 0; j < NJ; j++) _mm512_store_ps(u->part + (p * NJ + j) * 16, acc[p][j]);
        return;
    }
#pragma GCC unroll 4
    for (int p = 0; p < P; p++) mv_store(u, p, p == P - 1 ? u->mr : 16, acc[p], NJ);
}

/* One panel x NJ (up to 16) columns over the whole K, for products of at
 * most 16 columns (Winograd's blocks of 14-16 tiles): one pass over A, all
 * columns per A vector, which keeps pace with A streaming from memory
 * (4 panels x 6 columns re-read A from L2 for the second and third column
 * block: resnet50's Winograd layers 0.1-0.2 ms slower each). */
__attribute__((always_inline)) static inline void mv_wide(const or_mv_args *u, const int NJ)
{
    /* NJ is 7..16: at 7, two sets of accumulators take alternate k, so
     * that at least 8 FMA chains are in flight (4 cycles of latency on two
     * pipes) */
    const int S = NJ >= 8 ? 1 : 2;
    __m512 acc[2][16];
#pragma GCC unroll 2
    for (int s = 0; s < S; s++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[s][j] = _mm512_setzero_ps();
    const float *a = u->a, *b = u->b;
    const int64_t ldb = u->ldb;
    int64_t kk = 0;
    for (; kk + S <= u->k; kk += S, a += 16 * S, b += ldb * S) {
#pragma GCC unroll 2
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
#pragma GCC unroll 2
    for (int s = 1; s < S; s++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[0][j] = _mm512_add_ps(acc[0][j], acc[s][j]);
    mv_store(u, 0, u->mr, acc[0], NJ);
}

#define MV_CASES(P) \
    switch (u->nj) { \
    case 1: mv_tile(u, P, 1); break; \
    case 2: mv_tile(u, P, 2); break; \
    case 3: mv_tile(u, P, 3); break; \
    case 4: mv_tile(u, P, 4); break; \
    case 5: mv_tile(u, P, 5); break; \
    case 6: mv_tile(u, P, 6); break; \
    default: break; \
    }

void or_gemm_ukr_mv_avx512(const or_mv_args *u)
{
    if (u->panels == 1 && u->nj > 6) { /* the whole K (first and last) */
        switch (u->nj) {
#define CASE(n) case n: mv_wide(u, n); break;
        CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12) CASE(13) CASE(14) CASE(15) CASE(16)
#undef CASE
        default: break;
        }
        return;
    }
    switch (u->panels) {
    case 1: MV_CASES(1) break;
    case 2: MV_CASES(2) break;
    case 3: MV_CASES(3) break;
    case 4: MV_CASES(4) break;
    default: break;
    }
}
