/*
 * conv_gemm.h - the matrix product under Conv (ops/conv.c) and its
 * Winograd path: C (M x N) = A (M x K) * B (K x N). B is read in place, row
 * k at b + k * ldb (a channel plane of the input, a row of a column tile, a
 * row of V_f). A is either read in place (row i at a + i * lda: weights not
 * known at infer) or packed once at infer (or_gemm_pack: one sequential
 * stream per row panel, which the hardware prefetches well when weights
 * come from memory). The bias and the fused epilogue (residual add,
 * activation) are applied as each block of C is stored, while it is still
 * in registers.
 *
 * Packed A: panels of OR_GEMM_MR rows (the last one zero-padded), each
 * holding A[panel rows][k] for k = 0..K-1 as OR_GEMM_MR consecutive floats.
 */
#ifndef OR_CONV_GEMM_H
#define OR_CONV_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

#define OR_GEMM_MR 6  /* rows of C per register block */
#define OR_GEMM_NR_MAX 32 /* widest register block (columns of C) of any kernel */
#define OR_GEMM_MV 16     /* rows per panel of the mv layout (C's rows in vector lanes) */

/* Floats of packed A for an M x K matrix. */
size_t or_gemm_packed_floats(int64_t m, int64_t k);

/* Packs a (M x K, row i at a + i * lda) into ap (or_gemm_packed_floats). */
void or_gemm_pack(int64_t m, int64_t k, const float *a, int64_t lda, float *ap);

/* The mv layout (or_gemm.mv): panels of OR_GEMM_MV rows, A[panel rows][k]
 * as 16 consecutive floats per k. For products with few columns on
 * AVX-512 (or_gemm_mv_pays says when); the same sums, other kernel. */
size_t or_gemm_packed_mv_floats(int64_t m, int64_t k);
void or_gemm_pack_mv(int64_t m, int64_t k, const float *a, int64_t lda, float *ap);
/* The rule: whether a product of M x K weights on N columns runs faster in
 * the mv layout on isa (AVX-512 and few columns). */
bool or_gemm_mv_pays(onnxrun_isa isa, int64_t m, int64_t n, int64_t k);

/* a (M x K, row i at a + i * lda) in panels of `rows` rows (rows past M
 * zero), each A[panel rows][k] as `rows` consecutive floats per k, panel p
 * at ap + p * rows * K: or_gemm_pack's layout for OR_GEMM_MR, the mv
 * layout's for OR_GEMM_MV, the implicit convolution's for OR_IMPL_OC. The
 * panels are split over k's threads (at session creation, where packing
 * and its page faults are the cost). */
void or_gemm_pack_threads(const or_kernel *k, int rows, int64_t m, int64_t kk, const float *a,
                          int64_t lda, float *ap);

/* One product. c's rows are ldc apart; add (or NULL) is a residual laid
 * out like c; bias (or NULL) has one value per row. */
typedef struct or_gemm {
    int64_t m, n, k;
    const float *a;            /* packed (or_gemm_pack), or row i at a + i * lda */
    int64_t lda;
    bool packed;
    bool mv;                   /* A is packed in the mv layout (implies packed; AVX-512 only) */
    const float *b;            /* row k at b + k * ldb; reads only columns < n */
    int64_t ldb;
    /* or, when set, row k at brows[k] (b and ldb unused): the rows of an
     * indirect convolution (conv.c), each readable to the kernel's width
     * past every column block it starts (columns past n - 1 are never
     * stored). Only the AVX-512 6 x 32 kernel reads them: isa AVX-512, not
     * mv. */
    const float *const *brows;
    float *c;
    int64_t ldc;
    const float *bias;         /* [m] or NULL */
    const float *add;          /* like c, or NULL */
    const or_epilogue *e;      /* activation (e->add is not read), or NULL */
    onnxrun_isa isa;           /* kernels to use (k->isa; AUTO: the CPU's best) */
    bool split_rows;           /* or_gemm_run: threads take runs of rows (each reads its part
                                * of A once; B is shared), not columns */
} or_gemm;

/* C[:, n0..n1) = A B[:, n0..n1) + bias, then the epilogue. Columns [n0, n1)
 * may be any range; threads split the columns (or_gemm_run does). */
void or_gemm_cols(const or_gemm *g, int64_t n0, int64_t n1);

/* Rows per panel of g's layout: OR_GEMM_MR, or OR_GEMM_MV for mv. */
int or_gemm_panel_rows(const or_gemm *g);

/* C rows of panels [p0, p1) (rows p0 * R .. p1 * R, R = or_gemm_panel_rows), all columns. */
void or_gemm_panels(const or_gemm *g, int64_t p0, int64_t p1);

/* The whole product on the kernel's threads (split by columns, or by row
 * panels when the columns are few). */
void or_gemm_run(const or_kernel *k, const or_gemm *g);

/* Columns of C per register block of the kernel for isa (16 or 32). */
int or_gemm_width(onnxrun_isa isa);

#endif /* OR_CONV_GEMM_H */
