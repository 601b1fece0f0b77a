/*
 * conv_implicit.h - convolution as an implicit product (ops/conv.c's
 * ALGO_IMPLICIT, AVX-512): Y = W * cols(X) without writing cols(X). The
 * output channels lie in the vector lanes and the input values are
 * broadcast, read in place through a table of offsets, so a strided window
 * costs what a dense one does (no gather pass, no column matrix leaving
 * L2; im2col spent 16-21% of a 3x3 stride-2 layer gathering).
 *
 * Weights, packed once: blocks of OR_IMPL_OC output channels (the last one
 * zero-padded), each W[block rows][k] for k = 0..K-1 as OR_IMPL_OC
 * consecutive floats. The input: channel planes of a (padded) image, the
 * value of column k of position j at xs[j][koff[k]].
 */
#ifndef OR_CONV_IMPLICIT_H
#define OR_CONV_IMPLICIT_H

#include <stddef.h>
#include <stdint.h>

#define OR_IMPL_OC 64 /* output channels per block: four zmm */
#define OR_IMPL_POS 6 /* output positions per register block */

/* Floats of packed weights for M x K (packed by or_gemm_pack_threads
 * with rows = OR_IMPL_OC). */
static inline size_t or_impl_packed_floats(int64_t m, int64_t k)
{
    return (size_t)((m + OR_IMPL_OC - 1) / OR_IMPL_OC * OR_IMPL_OC) * (size_t)k;
}

/* One register block, OR_IMPL_OC channels x OR_IMPL_POS positions over the
 * whole K: out[j * OR_IMPL_OC + l] = sum_k w[k * OR_IMPL_OC + l] *
 * xs[j][koff[k]]. AVX-512F only. */
void or_impl_block_avx512(const float *w, const int32_t *koff, int64_t k,
                          const float *const xs[OR_IMPL_POS], float *out);

typedef struct or_epilogue or_epilogue;

/* Stores a register block's out (as or_impl_block_avx512 left it) into Y
 * with the bias and the fused epilogue: y[l * n + j] = act(out[j *
 * OR_IMPL_OC + l] + bias[l] + add[l * n + j]) for the block's nl <=
 * OR_IMPL_OC channels l and npos <= OR_IMPL_POS positions j. y, add
 * (or NULL) and bias (or NULL) point at the block's first channel and
 * position; n is the distance between channels' rows, with
 * (OR_IMPL_OC - 1) * n < 2^31 (or_impl_store_fits). e may be NULL (no
 * activation). AVX-512F only. */
void or_impl_store_avx512(const float *out, int nl, int npos, float *y, const float *add, int64_t n,
                          const float *bias, const or_epilogue *e);

static inline int or_impl_store_fits(int64_t n)
{
    return n >= 0 && n <= (int64_t)0x7fffffff / OR_IMPL_OC;
}

#endif /* OR_CONV_IMPLICIT_H */
