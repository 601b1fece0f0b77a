/*
 * conv_implicit_avx512.c - the register block of the implicit convolution
 * (conv_implicit.h), compiled with -mavx512f -mfma and called only when
 * the session's ISA allows it (ops/isa.h).
 *
 * Registers: 24 zmm accumulators, 64 output channels (four vectors) x 6
 * positions. Per k: four aligned loads of the packed weights, one offset
 * from the table, six broadcasts (vbroadcastss, one per position, from
 * anywhere in the input: strides and padding cost nothing here) and 24
 * FMAs, each broadcast feeding four of them. 24 FMAs against 11 loads: the
 * two FMA pipes set the pace; 24 independent chains cover the FMA latency.
 * The weights of a block (K x 256 bytes: 576 KiB at K = 2304) stay in L2
 * while the positions pass over them; they stream from memory for the
 * first block, 4 KiB ahead of use in software prefetch.
 *
 * The store (or_impl_store_avx512): 16 channels of a position at a time
 * from out, plus the bias vector, the residual gathered and the activation
 * in the register, then scattered to the 16 channels' rows of Y (indices
 * channel * n). The scalar loop it replaced, an element at a time, took
 * alexnet's 11x11 first layer (K 363) from 0.78 to 0.86 ms with a ReLU.
 *
 * Blocking (ops/conv.c): blocks of 64 channels outermost, so a thread's
 * run of blocks reads its share of the weights once; positions in runs of
 * 6 along the flattened output (a run may cross output rows: each position
 * has its own window origin).
 */
#include <immintrin.h>

#include "act_avx512.h"
#include "conv_implicit.h"

#define PF_W 1024 /* floats ahead in the weights to prefetch */

void or_impl_block_avx512(const float *w, const int32_t *koff, int64_t k,
                          const float *const xs[OR_IMPL_POS], float *out)
{
#define DECL(j) __m512 a0##j = _mm512_setzero_ps(), a1##j = a0##j, a2##j = a0##j, a3##j = a0##j;
    DECL(0) DECL(1) DECL(2) DECL(3) DECL(4) DECL(5)
#undef DECL
    const float *x0 = xs[0], *x1 = xs[1], *x2 = xs[2], *x3 = xs[3], *x4 = xs[4], *x5 = xs[5];
    for (int64_t kk = 0; kk < k; kk++) {
        __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
        __m512 w2 = _mm512_loadu_ps(w + 32), w3 = _mm512_loadu_ps(w + 48);
        _mm_prefetch((const char *)(w + PF_W), _MM_HINT_T0);
        _mm_prefetch((const char *)(w + PF_W + 32), _MM_HINT_T0);
        w += OR_IMPL_OC;
        int64_t o = koff[kk];
        __m512 b;
#define POS(j)                                \
        b = _mm512_set1_ps(x##j[o]);          \
        a0##j = _mm512_fmadd_ps(w0, b, a0##j); \
        a1##j = _mm512_fmadd_ps(w1, b, a1##j); \
        a2##j = _mm512_fmadd_ps(w2, b, a2##j); \
        a3##j = _mm512_fmadd_ps(w3, b, a3##j);
        POS(0) POS(1) POS(2) POS(3) POS(4) POS(5)
#undef POS
    }
#define STORE(j)                                           \
    _mm512_storeu_ps(out + j * OR_IMPL_OC, a0##j);         \
    _mm512_storeu_ps(out + j * OR_IMPL_OC + 16, a1##j);    \
    _mm512_storeu_ps(out + j * OR_IMPL_OC + 32, a2##j);    \
    _mm512_storeu_ps(out + j * OR_IMPL_OC + 48, a3##j);
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
#undef STORE
}

void or_impl_store_avx512(const float *out, int nl, int npos, float *y, const float *add, int64_t n,
                          const float *bias, const or_epilogue *e)
{
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (int l0 = 0; l0 < nl; l0 += 16) {
        int left = nl - l0;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        __m512i idx = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(l0)),
                                         _mm512_set1_epi32((int)n));
        __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + l0) : _mm512_setzero_ps();
        for (int j = 0; j < npos; j++) {
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(out + j * OR_IMPL_OC + l0), b);
            if (add) v = _mm512_add_ps(v, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, add + j, 4));
            if (e) v = act16(v, e);
            _mm512_mask_i32scatter_ps(y + j, m, idx, v, 4);
        }
    }
}
