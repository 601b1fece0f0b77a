/*
 * blas.h - the BLAS calls onnxrun makes, in one place (ops/blas.c): another
 * BLAS, or none, changes blas.c alone. Row-major throughout; sizes are
 * int64 here and must fit the BLAS's int (callers check, see dense.c).
 *
 * OpenBLAS is pinned to one thread on first use and never changed again:
 * the session's own workers parallelise (or_blas_sgemm splits the columns
 * over them), and OpenBLAS's threads, once woken, spin and compete with
 * them.
 */
#ifndef OR_BLAS_H
#define OR_BLAS_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

/* C[M,N] = alpha * op(A) * op(B) + beta * C; op(A) is A [M,K] (lda) or
 * A^T (A [K,M]) when ta, likewise B [K,N] or [N,K] when tb. Split by
 * columns over k's threads when large enough (k may be NULL: one thread). */
void or_blas_sgemm(const or_kernel *k, bool ta, bool tb, int64_t m, int64_t n, int64_t kk,
                   float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float beta, float *c, int64_t ldc);
void or_blas_dgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                   const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                   double *c, int64_t ldc);
/* y[rows or cols] = alpha * op(M) x + beta * y, M [rows, cols] with lda. */
void or_blas_dgemv(bool trans, int64_t rows, int64_t cols, double alpha, const double *mat,
                   int64_t lda, const double *x, double beta, double *y);

#endif /* OR_BLAS_H */
