/*
 * blas.c - the only file that calls CBLAS (see blas.h).
 */
#include <cblas.h>
#include <pthread.h>

#include "blas.h"

static pthread_once_t pinned = PTHREAD_ONCE_INIT;

static void pin_one_thread(void)
{
    openblas_set_num_threads(1);
}

static enum CBLAS_TRANSPOSE tr(bool t)
{
    return t ? CblasTrans : CblasNoTrans;
}

typedef struct sgemm_job {
    bool ta, tb;
    int64_t m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int64_t lda, ldb, ldc;
} sgemm_job;

/* Columns [j0, j1) of C. */
static void sgemm_cols(void *ctx, int64_t j0, int64_t j1)
{
    const sgemm_job *j = ctx;
    const float *b = j->b + (j->tb ? j0 * j->ldb : j0);
    cblas_sgemm(CblasRowMajor, tr(j->ta), tr(j->tb), (blasint)j->m, (blasint)(j1 - j0),
                (blasint)j->k, j->alpha, j->a, (blasint)j->lda, b, (blasint)j->ldb, j->beta,
                j->c + j0, (blasint)j->ldc);
}

void or_blas_sgemm(const or_kernel *k, bool ta, bool tb, int64_t m, int64_t n, int64_t kk,
                   float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float beta, float *c, int64_t ldc)
{
    pthread_once(&pinned, pin_one_thread);
    sgemm_job j = { ta, tb, m, n, kk, alpha, beta, a, b, c, lda, ldb, ldc };
    double work = (double)m * (double)n * (double)kk / OR_PAR_MAC_PER_WORK;
    if (k && n >= 32) or_parallel_for_work(k, n, work, sgemm_cols, &j);
    else sgemm_cols(&j, 0, n);
}

void or_blas_dgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                   const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                   double *c, int64_t ldc)
{
    pthread_once(&pinned, pin_one_thread);
    cblas_dgemm(CblasRowMajor, tr(ta), tr(tb), (blasint)m, (blasint)n, (blasint)k, alpha, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

void or_blas_dgemv(bool trans, int64_t rows, int64_t cols, double alpha, const double *mat,
                   int64_t lda, const double *x, double beta, double *y)
{
    pthread_once(&pinned, pin_one_thread);
    cblas_dgemv(CblasRowMajor, tr(trans), (blasint)rows, (blasint)cols, alpha, mat, (blasint)lda,
                x, 1, beta, y, 1);
}
