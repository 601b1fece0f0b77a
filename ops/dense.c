/*
 * dense.c - matrix products: Gemm and MatMul, float32 and float64, through
 * the BLAS (blas.h: ?gemm, row-major), or a matrix-vector product when one
 * side is a single row or column (an FC layer on a batch of one).
 *
 * Gemm    Y[M,N] = alpha * A' * B' + beta * C, A' = A or A^T, B' = B or B^T.
 *         Transposes are passed to BLAS, never materialised. C is written
 *         into Y first (broadcast to [M,N]) and the product is accumulated
 *         onto it with BLAS beta = 1.
 *         Versions: 1 and 6 have the `broadcast` attribute (C must be [M,N]
 *         unless broadcast=1); 7 makes C unidirectionally broadcastable;
 *         11 makes C optional; 9 and 13 only add types.
 * MatMul  numpy.matmul: 1-D operands are promoted (A to [1,K], B to [K,1])
 *         and the added dim removed from the result; batch dims broadcast.
 *         When B has a single batch, the batch is folded into M (one call).
 *
 * Gemm fuses a following Add / activation (k->post, OR_OP_FUSES): applied to
 * Y after the product.
 *
 * A float product with a single row or column (an FC layer on a batch of
 * one) is a matrix-vector product done here (gemv below): it streams the
 * matrix once, memory bound, and leaves OpenBLAS untouched (whose worker
 * threads, once woken, spin for milliseconds and compete with the
 * session's own workers).
 *
 * Det     the determinant of each matrix of [*, M, M] (LU with partial
 *         pivoting, in double).
 *
 * Relies on: blas.h (the BLAS's int sizes; sizes are checked to fit).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "op.h"
#include "rowops.h"

/* ---- shared: one row-major product C[M,N] = alpha*op(A)*op(B) + beta*C ---- */

static bool blas_fits(int64_t m, int64_t n, int64_t k)
{
    return m <= INT_MAX && n <= INT_MAX && k <= INT_MAX;
}

/* ---- float matrix-vector products ---- */

/* y[i] = alpha * dot(mat row i, v) + (beta ? beta * y[i] : 0) for rows
 * [r0, r1); rows ld apart, length len. */
typedef struct gemv_job {
    const float *mat, *v;
    float *y;
    int64_t len, ld;
    float alpha, beta;
} gemv_job;

static void gemv_dots(void *ctx, int64_t r0, int64_t r1)
{
    const gemv_job *j = ctx;
    for (int64_t i = r0; i < r1; i++) {
        const float *row = j->mat + i * j->ld;
        or_v8f acc0 = { 0 }, acc1 = { 0 };
        int64_t q = 0;
        for (; q + 16 <= j->len; q += 16) {
            acc0 = OR_V8F_FMA(acc0, OR_V8F_LOAD(row + q), OR_V8F_LOAD(j->v + q));
            acc1 = OR_V8F_FMA(acc1, OR_V8F_LOAD(row + q + 8), OR_V8F_LOAD(j->v + q + 8));
        }
        acc0 += acc1;
        float t[8];
        OR_V8F_STORE(t, acc0);
        float sum = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
        for (; q < j->len; q++) sum += row[q] * j->v[q];
        j->y[i] = j->alpha * sum + (j->beta != 0 ? j->beta * j->y[i] : 0.0f);
    }
}

/* y[c] = alpha * sum_r v[r] * mat[r][c] + (beta ? beta * y[c] : 0) for
 * columns [c0, c1) (len rows of the matrix, ld apart), in strips that stay
 * in L1 while the rows pass. */
static void gemv_axpys(void *ctx, int64_t c0, int64_t c1)
{
    const gemv_job *j = ctx;
    enum { STRIP = 512 };
    for (int64_t s0 = c0; s0 < c1; s0 += STRIP) {
        int64_t n = c1 - s0 < STRIP ? c1 - s0 : STRIP;
        float acc[STRIP];
        or_row_fill(n, 0.0f, acc);
        for (int64_t r = 0; r < j->len; r++) or_row_axpy(n, j->v[r], j->mat + r * j->ld + s0, acc);
        for (int64_t q = 0; q < n; q++)
            j->y[s0 + q] = j->alpha * acc[q] + (j->beta != 0 ? j->beta * j->y[s0 + q] : 0.0f);
    }
}


/* ---- shared: one row-major product C[M,N] = alpha*op(A)*op(B) + beta*C ---- */

/* a is [M,K] (or [K,M] when ta), b is [K,N] (or [N,K] when tb), c is [M,N].
 * beta is the BLAS beta applied to what c holds. K = 0 leaves beta*c. k
 * gives the threads (float matrix-vector products). */
static void gemm(const or_kernel *kern, onnxrun_dtype dt, bool ta, bool tb, int64_t m, int64_t n,
                 int64_t k, float alpha, const void *a, const void *b, float beta, void *c)
{
    if (m == 0 || n == 0) return;
    if (k == 0) { /* BLAS needs lda >= 1; the product is empty */
        size_t cnt = (size_t)m * (size_t)n;
        for (size_t i = 0; i < cnt; i++) {
            if (dt == ONNXRUN_FLOAT) ((float *)c)[i] = beta == 0 ? 0 : beta * ((float *)c)[i];
            else ((double *)c)[i] = beta == 0 ? 0 : beta * ((double *)c)[i];
        }
        return;
    }
    if (dt == ONNXRUN_FLOAT && (m == 1 || n == 1)) {
        /* y = op(B)^T a (a row times op(B)) or op(A) b; the matrix is walked
         * by its rows: dot products when they run along K, else axpys */
        bool row = m == 1;
        const float *mat = row ? b : a, *vec = row ? a : b;
        int64_t outs = row ? n : m;
        bool dots = row ? tb : !ta; /* the matrix's rows run along K */
        gemv_job j = { mat, vec, c, k, dots ? k : outs, alpha, beta };
        double work = (double)outs * (double)k;
        if (dots) {
            if (or_par_worth(kern, work, OR_PAR_MIN_GEMV)) or_parallel_for(kern, outs, gemv_dots, &j);
            else gemv_dots(&j, 0, outs);
        } else {
            if (or_par_worth(kern, work, OR_PAR_MIN_GEMV)) or_parallel_for(kern, outs, gemv_axpys, &j);
            else gemv_axpys(&j, 0, outs);
        }
        return;
    }
    int64_t lda = ta ? m : k, ldb = tb ? k : n;
    if (m == 1 || n == 1) { /* double */
        bool row = m == 1; /* y[N] from op(B) and a[K]; else y[M] = op(A) b[K] */
        const void *mat = row ? b : a, *vec = row ? a : b;
        int64_t rows = row ? (tb ? n : k) : (ta ? k : m);
        int64_t cols = row ? (tb ? k : n) : (ta ? m : k);
        bool trans = row ? !tb : ta;
        if (beta == 0) /* some OpenBLAS versions scale y by 0, keeping NaN garbage */
            memset(c, 0, (size_t)(row ? n : m) * sizeof(double));
        or_blas_dgemv(trans, rows, cols, alpha, mat, cols, vec, beta, c);
        return;
    }
    if (dt == ONNXRUN_FLOAT)
        or_blas_sgemm(kern, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    else
        or_blas_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
}

/* ---- Gemm ---- */

typedef struct gemm_params {
    float alpha, beta;
    bool trans_a, trans_b;
    bool legacy_broadcast;   /* opset < 7: the `broadcast` attribute was given non-zero */
    int64_t m, n, k;         /* set by infer */
} gemm_params;

static or_status gemm_init(or_kernel *k)
{
    gemm_params *p = k->params;
    int64_t ta, tb, bc = 0;
    OR_TRY(or_attr_float(k, "alpha", 1.0f, &p->alpha));
    OR_TRY(or_attr_float(k, "beta", 1.0f, &p->beta));
    OR_TRY(or_attr_int(k, "transA", 0, &ta));
    OR_TRY(or_attr_int(k, "transB", 0, &tb));
    if (k->def->since < 7) OR_TRY(or_attr_int(k, "broadcast", 0, &bc));
    p->trans_a = ta != 0;
    p->trans_b = tb != 0;
    p->legacy_broadcast = bc != 0;
    return ONNXRUN_OK;
}

static or_status gemm_infer(or_kernel *k)
{
    gemm_params *p = k->params;
    const or_tensor *a = or_in(k, 0), *b = or_in(k, 1), *c = or_in(k, 2);
    OR_CHECK(k, a && b, "inputs A and B are required");
    OR_CHECK(k, c || k->def->since >= 11, "input C is required before opset 11");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK(k, b->dtype == a->dtype && (!c || c->dtype == a->dtype),
             "A, B and C must have the same type (%s, %s, %s)", onnxrun_dtype_name(a->dtype),
             onnxrun_dtype_name(b->dtype), c ? onnxrun_dtype_name(c->dtype) : "-");
    OR_CHECK_SHAPE(k, a->rank == 2 && b->rank == 2, "A and B must be 2-D (ranks %d and %d)",
                   a->rank, b->rank);
    int64_t m = p->trans_a ? a->dims[1] : a->dims[0];
    int64_t ka = p->trans_a ? a->dims[0] : a->dims[1];
    int64_t kb = p->trans_b ? b->dims[1] : b->dims[0];
    int64_t n = p->trans_b ? b->dims[0] : b->dims[1];
    OR_CHECK_SHAPE(k, ka == kb, "inner dimensions differ: A gives K=%lld, B gives K=%lld",
                   (long long)ka, (long long)kb);
    if (!blas_fits(m, n, ka))
        return or_fail(k, ONNXRUN_E_LIMIT, "matrix dimensions exceed the BLAS integer range");
    if (c) {
        OR_CHECK_SHAPE(k, c->rank <= 2, "C must have rank <= 2, not %d", c->rank);
        int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        if (k->def->since < 7 && !p->legacy_broadcast)
            OR_CHECK_SHAPE(k, c->rank == 2 && cm == m && cn == n,
                           "C must be [%lld,%lld] when broadcast=0", (long long)m, (long long)n);
        OR_CHECK_SHAPE(k, (cm == m || cm == 1) && (cn == n || cn == 1),
                       "C does not broadcast to [%lld,%lld]", (long long)m, (long long)n);
    }
    p->m = m;
    p->n = n;
    p->k = ka;
    int64_t dims[2] = { m, n };
    return or_set_shape(k, or_out(k, 0), a->dtype, 2, dims);
}

/* Y = beta * C broadcast to [M,N] (C is [cm,cn] with cm in {1,M}, cn in {1,N}). */
#define FILL_BIAS(T, y, c, cm, cn, m, n, beta) \
    for (int64_t i = 0; i < (m); i++) { \
        const T *crow = (const T *)(c) + ((cm) == 1 ? 0 : i * (cn)); \
        T *yrow = (T *)(y) + i * (n); \
        for (int64_t j = 0; j < (n); j++) yrow[j] = (T)(beta) * crow[(cn) == 1 ? 0 : j]; \
    }

static or_status gemm_run(or_kernel *k)
{
    const gemm_params *p = k->params;
    const or_tensor *a = k->in[0], *b = k->in[1], *c = or_in(k, 2);
    or_tensor *y = k->out[0];
    float beta = 0;
    if (c && p->beta != 0 && or_numel(y) > 0) {
        int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        if (a->dtype == ONNXRUN_FLOAT) FILL_BIAS(float, y->data, c->data, cm, cn, p->m, p->n, p->beta)
        else FILL_BIAS(double, y->data, c->data, cm, cn, p->m, p->n, p->beta)
        beta = 1;
    }
    gemm(k, a->dtype, p->trans_a, p->trans_b, p->m, p->n, p->k, p->alpha, a->data, b->data, beta,
         y->data);
    /* fused Add / activation (the planner fuses float outputs only) */
    if (y->dtype == ONNXRUN_FLOAT && (k->post.add || k->post.act != OR_ACT_NONE))
        or_epilogue_apply(&k->post, y->data, k->post.add ? k->post.add->data : NULL, or_numel(y));
    return ONNXRUN_OK;
}

static uint64_t gemm_macs(const or_kernel *k)
{
    const gemm_params *p = k->params;
    return (uint64_t)p->m * (uint64_t)p->n * (uint64_t)p->k;
}

/* ---- MatMul ---- */

typedef struct matmul_params {
    or_matmul_geom g;
    bool fold;                        /* B has one matrix: fold the batch into M */
} matmul_params;

static or_status matmul_infer(or_kernel *k)
{
    matmul_params *p = k->params;
    const or_tensor *a = or_in(k, 0), *b = or_in(k, 1);
    OR_CHECK(k, a && b, "inputs A and B are required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK(k, b->dtype == a->dtype, "A and B must have the same type (%s, %s)",
             onnxrun_dtype_name(a->dtype), onnxrun_dtype_name(b->dtype));
    int rank;
    int64_t dims[OR_MAX_RANK + 2];
    OR_TRY(or_matmul_shape(k, a, b, &p->g, &rank, dims));
    if (!blas_fits(p->g.m, p->g.n, p->g.k))
        return or_fail(k, ONNXRUN_E_LIMIT, "matrix dimensions exceed the BLAS integer range");
    p->fold = p->g.b_single && (uint64_t)p->g.batch_count * (uint64_t)p->g.m <= INT_MAX;
    return or_set_shape(k, or_out(k, 0), a->dtype, rank, dims);
}

static or_status matmul_run(or_kernel *k)
{
    const matmul_params *p = k->params;
    const or_matmul_geom *g = &p->g;
    const or_tensor *a = k->in[0], *b = k->in[1];
    or_tensor *y = k->out[0];
    size_t es = onnxrun_dtype_size(a->dtype);
    if (p->fold) {
        gemm(k, a->dtype, false, false, g->batch_count * g->m, g->n, g->k, 1.0f, a->data, b->data,
             0, y->data);
        return ONNXRUN_OK;
    }
    int64_t idx[OR_MAX_RANK] = { 0 };
    int64_t ao = 0, bo = 0, y_mat = g->m * g->n;
    for (int64_t t = 0; t < g->batch_count; t++) {
        gemm(k, a->dtype, false, false, g->m, g->n, g->k, 1.0f, (const char *)a->data + ao * es,
             (const char *)b->data + bo * es, 0, (char *)y->data + t * y_mat * es);
        or_matmul_next(g, idx, &ao, &bo);
    }
    return ONNXRUN_OK;
}

static uint64_t matmul_macs(const or_kernel *k)
{
    const or_matmul_geom *g = &((const matmul_params *)k->params)->g;
    return (uint64_t)g->batch_count * (uint64_t)g->m * (uint64_t)g->n * (uint64_t)g->k;
}

#define GEMM(since) \
    OR_OP("Gemm", since, .flags = OR_OP_FUSES, .params_size = sizeof(gemm_params), \
          .init = gemm_init, .infer = gemm_infer, .run = gemm_run, .macs = gemm_macs)
#define MATMUL(since) \
    OR_OP("MatMul", since, .params_size = sizeof(matmul_params), .infer = matmul_infer, \
          .run = matmul_run, .macs = matmul_macs)

/* ---- Det ---- */

/* Det: the determinant of each matrix of [*, M, M], by LU decomposition
 * with partial pivoting in double (a copy in scratch), float or double. */
static or_status det_infer(or_kernel *k)
{
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input X is missing");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2 && x->dims[x->rank - 1] == x->dims[x->rank - 2],
                   "input must be [*, M, M] (square matrices)");
    int64_t m = x->dims[x->rank - 1];
    OR_CHECK_TYPE(k, m <= 4096, "matrices of %lld x %lld exceed the supported 4096", (long long)m,
                  (long long)m);
    k->scratch_bytes = (size_t)(m * m) * sizeof(double);
    return or_set_shape(k, k->out[0], x->dtype, x->rank - 2, x->dims);
}

static or_status det_run(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    int64_t m = x->dims[x->rank - 1], count = or_numel(k->out[0]);
    double *a = k->scratch;
    bool f = x->dtype == ONNXRUN_FLOAT;
    for (int64_t b = 0; b < count; b++) {
        for (int64_t i = 0; i < m * m; i++)
            a[i] = f ? ((const float *)x->data)[b * m * m + i] : ((const double *)x->data)[b * m * m + i];
        double det = 1;
        for (int64_t c = 0; c < m && det != 0; c++) {
            int64_t piv = c;
            for (int64_t r = c + 1; r < m; r++)
                if (fabs(a[r * m + c]) > fabs(a[piv * m + c])) piv = r;
            if (a[piv * m + c] == 0) {
                det = 0;
                break;
            }
            if (piv != c) {
                for (int64_t j = 0; j < m; j++) {
                    double t = a[c * m + j];
                    a[c * m + j] = a[piv * m + j];
                    a[piv * m + j] = t;
                }
                det = -det;
            }
            det *= a[c * m + c];
            for (int64_t r = c + 1; r < m; r++) {
                double l = a[r * m + c] / a[c * m + c];
                for (int64_t j = c; j < m; j++) a[r * m + j] -= l * a[c * m + j];
            }
        }
        if (f) ((float *)k->out[0]->data)[b] = (float)det;
        else ((double *)k->out[0]->data)[b] = det;
    }
    return ONNXRUN_OK;
}

OR_OP_TABLE(dense) = {
    GEMM(1),   /* `broadcast` attribute */
    GEMM(7),   /* unidirectional broadcast of C */
    GEMM(11),  /* C optional */
    MATMUL(1),
    OR_OP("Det", 11, .infer = det_infer, .run = det_run),
};
OR_OP_TABLE_END(dense);
