/*
 * conv_gemm_ukr.h - the register-block kernels of conv_gemm.c, one file per
 * tile and ISA:
 *   conv_gemm.c               6 x 16 portable (the reference order of sums)
 *   gemm_6x16_avx2.c          6 x 16, AVX2 + FMA (twelve ymm accumulators)
 *   gemm_6x32_avx512.c        6 x 32, AVX-512F (twelve zmm accumulators)
 *   gemm_mv_avx512.c          (16 x up to 4) x nj (nj <= 6), or 16 x nj
 *                             (nj <= 16) in one pass, AVX-512F, the "mv"
 *                             layout: C's rows in the lanes (or_mv_args)
 * Each is called on a run of row panels sharing one column block (B block
 * kc x nr, nr <= the kernel's width) and computes
 *   C[r][0..nr) = (acc ? C : 0) + sum_k A[r][k] B[k][0..nr)
 * then, with the last K chunk (fin), + bias[r] + add[r][..] and the
 * activation, while the block is still in registers. A is the packed
 * layout of conv_gemm.h (OR_GEMM_MR rows per panel), or rows lda apart.
 */
#ifndef OR_CONV_GEMM_UKR_H
#define OR_CONV_GEMM_UKR_H

#include <stdbool.h>
#include <stdint.h>

#include "conv_gemm.h"

/* One register block: c[0..mr)[0..nr) = (acc ? c : 0) + a * b over kc, then,
 * when fin is set, + bias[r] + add[r][j] and the activation. */
typedef struct or_ukr_args {
    int64_t kc;
    const float *a;            /* A[r][k] at a[ao[r] + k * ak] */
    int64_t ao[OR_GEMM_MR], ak;
    /* the run of row panels (ukr_panels): count, rows left from the first,
     * A floats between panels, A packed (else rows lda apart) */
    int64_t panels, m_left, a_step, lda;
    bool packed;
    const float *b;
    int64_t ldb;
    /* indirect B (or_gemm.brows, AVX-512 kernel only): row k at brows[k] +
     * boff, readable to the kernel's width; NULL: row k at b + k * ldb */
    const float *const *brows;
    int64_t boff;
    float *c;
    int64_t ldc;
    int mr, nr;                /* rows and columns of C */
    bool bfull;                /* B rows hold the kernel's full width of readable floats (else nr) */
    bool acc, fin;
    const float *bias, *add;   /* bias + row0, add at c's offset; may be NULL */
    const or_epilogue *e;
} or_ukr_args;

/* u->a, ao and mr for the panel whose first row is `row` rows into the run. */
static inline void or_ukr_panel(or_ukr_args *u, const or_ukr_args *run, int64_t p)
{
    int64_t left = run->m_left - p * OR_GEMM_MR;
    u->mr = (int)(left < OR_GEMM_MR ? left : OR_GEMM_MR);
    u->a = run->a + p * run->a_step;
    u->c = run->c + p * OR_GEMM_MR * run->ldc;
    u->bias = run->bias ? run->bias + p * OR_GEMM_MR : NULL;
    u->add = run->add ? run->add + p * OR_GEMM_MR * run->ldc : NULL;
    for (int r = 0; r < OR_GEMM_MR; r++)
        u->ao[r] = run->packed ? r : (r < u->mr ? r : u->mr - 1) * run->lda;
}

/* The C rows (and residual rows) of panel p + 1, fetched while p computes
 * (width: the kernel's columns): a column block walks down all of C's rows,
 * a few lines from each, a pattern no hardware prefetcher follows. Only with
 * the last K chunk, where C is read back and the residual added. */
static inline void or_ukr_prefetch_next(const or_ukr_args *run, int64_t p, int width)
{
    int64_t row = (p + 1) * OR_GEMM_MR;
    if (p + 1 >= run->panels || !run->fin) return;
    int64_t end = run->m_left < row + OR_GEMM_MR ? run->m_left : row + OR_GEMM_MR;
    for (int64_t r = row; r < end; r++) {
        const float *c = run->c + r * run->ldc;
        __builtin_prefetch(c);
        __builtin_prefetch(c + width - 1);
        if (run->add) {
            const float *a = run->add + r * run->ldc;
            __builtin_prefetch(a);
            __builtin_prefetch(a + width - 1);
        }
    }
}


typedef void (*or_ukr_fn)(const or_ukr_args *run);

/* One block of the mv layout: panels (1..4) of 16 rows x nj (1..6)
 * columns over a chunk of k, or one panel x nj (7..16) over the whole K
 * (first and last set). Sums start at zero (first) or from part, and
 * go back to part unless last; with the last chunk
 * C = sums + bias, then the residual and the activation. */
typedef struct or_mv_args {
    int64_t k;                 /* k steps in this chunk */
    const float *a;            /* A[p * 16 + r][kk] at a[p * a_step + kk * OR_GEMM_MV + r] */
    int64_t a_step;
    int panels, nj;
    int mr;                    /* rows of the last panel (1..16) */
    const float *b;            /* B[kk][j] at b[kk * ldb + j] */
    int64_t ldb;
    float *part;               /* [panels][nj][16] sums between chunks (64-byte aligned) */
    bool first, last;
    float *c;                  /* C[r][j] at c[r * ldc + j] */
    int64_t ldc;
    const float *bias;         /* [rows] or NULL */
    const float *add;          /* like c, or NULL */
    const or_epilogue *e;      /* activation or NULL */
} or_mv_args;

void or_gemm_ukr_6x16_avx2(const or_ukr_args *run);
void or_gemm_ukr_6x32_avx512(const or_ukr_args *run);
void or_gemm_ukr_mv_avx512(const or_mv_args *u);

#endif /* OR_CONV_GEMM_UKR_H */
