/*
 * act_avx512.h - the fused activation on one zmm vector, lane by lane as
 * or_act1 (vmaxps/vminps return the second operand when either is NaN, as
 * the AVX2 kernel does). For the AVX-512 micro-kernels only: include it in
 * files compiled with -mavx512f.
 */
#ifndef OR_ACT_AVX512_H
#define OR_ACT_AVX512_H

#include <immintrin.h>

#include "op.h"

static inline __m512 act16(__m512 v, const or_epilogue *e)
{
    switch (e->act) {
    case OR_ACT_RELU:
        return _mm512_max_ps(v, _mm512_setzero_ps());
    case OR_ACT_CLIP:
        v = _mm512_max_ps(_mm512_set1_ps(e->lo), v);
        return _mm512_min_ps(_mm512_set1_ps(e->hi), v);
    case OR_ACT_LEAKY: {
        __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
        return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(e->alpha));
    }
    case OR_ACT_NONE:
        break;
    }
    return v;
}

#endif /* OR_ACT_AVX512_H */
