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
 * Einsum  any equation (repeated labels take diagonals, '...' broadcasts,
 *         the output implicit or explicit) by one loop over every label:
 *         each output element sums the product of its inputs' elements
 *         over the labels it lacks. Sums in double (int64 for integers).
 *         Direct, not routed to the BLAS: correct for every equation,
 *         slow for large products.
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

/* Four rows at a time: four streams from memory in flight instead of one
 * (an FC layer's matrix is read once, at memory speed: alexnet's
 * classifier.1, 151 MB: 7.85 -> 6.19 ms, 19 -> 24 GB/s), each prefetched
 * GEMV_PF floats ahead. Each row's sum is the same as one row alone. */
#define GEMV_PF 256
/* (pointers: a vector argument by value changes the ABI in the baseline build) */
static float gemv_hsum(const or_v8f *pa, const or_v8f *pb)
{
    or_v8f a = *pa + *pb;
    float t[8];
    OR_V8F_STORE(t, a);
    return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
}

static void gemv_dots(void *ctx, int64_t r0, int64_t r1)
{
    const gemv_job *j = ctx;
    const float *v = j->v;
    int64_t i = r0;
    for (; i + 4 <= r1; i += 4) {
        const float *w0 = j->mat + i * j->ld, *w1 = w0 + j->ld, *w2 = w1 + j->ld, *w3 = w2 + j->ld;
        or_v8f a0 = { 0 }, b0 = { 0 }, a1 = { 0 }, b1 = { 0 }, a2 = { 0 }, b2 = { 0 }, a3 = { 0 }, b3 = { 0 };
        int64_t q = 0;
        for (; q + 16 <= j->len; q += 16) {
            __builtin_prefetch(w0 + q + GEMV_PF);
            __builtin_prefetch(w1 + q + GEMV_PF);
            __builtin_prefetch(w2 + q + GEMV_PF);
            __builtin_prefetch(w3 + q + GEMV_PF);
            or_v8f x0 = OR_V8F_LOAD(v + q), x1 = OR_V8F_LOAD(v + q + 8);
            a0 = OR_V8F_FMA(a0, OR_V8F_LOAD(w0 + q), x0);
            b0 = OR_V8F_FMA(b0, OR_V8F_LOAD(w0 + q + 8), x1);
            a1 = OR_V8F_FMA(a1, OR_V8F_LOAD(w1 + q), x0);
            b1 = OR_V8F_FMA(b1, OR_V8F_LOAD(w1 + q + 8), x1);
            a2 = OR_V8F_FMA(a2, OR_V8F_LOAD(w2 + q), x0);
            b2 = OR_V8F_FMA(b2, OR_V8F_LOAD(w2 + q + 8), x1);
            a3 = OR_V8F_FMA(a3, OR_V8F_LOAD(w3 + q), x0);
            b3 = OR_V8F_FMA(b3, OR_V8F_LOAD(w3 + q + 8), x1);
        }
        float sum[4] = { gemv_hsum(&a0, &b0), gemv_hsum(&a1, &b1), gemv_hsum(&a2, &b2),
                           gemv_hsum(&a3, &b3) };
        const float *w[4] = { w0, w1, w2, w3 };
        for (int r = 0; r < 4; r++) {
            for (int64_t t = q; t < j->len; t++) sum[r] += w[r][t] * v[t];
            j->y[i + r] = j->alpha * sum[r] + (j->beta != 0 ? j->beta * j->y[i + r] : 0.0f);
        }
    }
    for (; i < r1; i++) {
        const float *row = j->mat + i * j->ld;
        or_v8f acc0 = { 0 }, acc1 = { 0 };
        int64_t q = 0;
        for (; q + 16 <= j->len; q += 16) {
            acc0 = OR_V8F_FMA(acc0, OR_V8F_LOAD(row + q), OR_V8F_LOAD(v + q));
            acc1 = OR_V8F_FMA(acc1, OR_V8F_LOAD(row + q + 8), OR_V8F_LOAD(v + q + 8));
        }
        float sum = gemv_hsum(&acc0, &acc1);
        for (; q < j->len; q++) sum += row[q] * v[q];
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

/* ---- Einsum ---- */

#define EIN_LETTERS 52                    /* a-z, A-Z */
#define EIN_LABELS (EIN_LETTERS + OR_MAX_RANK) /* then the dims '...' stands for */
#define EIN_MAX_IN 8
#define EIN_MAX_WORK ((uint64_t)1 << 36)  /* multiply-adds refused above this */

typedef struct einsum_params {
    int n_in;
    int n_labels;                        /* labels in loop order: the output's first */
    int n_out;                           /* output rank */
    int64_t size[EIN_LABELS];            /* per loop label */
    int64_t in_step[EIN_MAX_IN][EIN_LABELS]; /* element stride of input i per loop label */
    int64_t out_step[EIN_LABELS];
} einsum_params;

static int ein_letter(char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' : c >= 'A' && c <= 'Z' ? 26 + c - 'A' : -1;
}

/* Parses one term (letters and at most one "...") into label ids; the
 * ellipsis' dims (n_ell of them, right-aligned to max_ell) are ids
 * EIN_LETTERS + .... Returns the count of labels, or -1. */
static int ein_term(const char *t, size_t len, int n_ell, int max_ell, int *labels, bool *has_ell)
{
    int n = 0;
    *has_ell = false;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == ' ') continue;
        if (t[i] == '.') {
            if (*has_ell || i + 2 >= len + 0 || t[i + 1] != '.' || t[i + 2] != '.') return -1;
            *has_ell = true;
            for (int e = 0; e < n_ell; e++) {
                if (n >= OR_MAX_RANK) return -1;
                labels[n++] = EIN_LETTERS + max_ell - n_ell + e;
            }
            i += 2;
            continue;
        }
        int l = ein_letter(t[i]);
        if (l < 0 || n >= OR_MAX_RANK) return -1;
        labels[n++] = l;
    }
    return n;
}

static size_t ein_letters_in(const char *t, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ein_letter(t[i]) >= 0;
    return n;
}

static or_status einsum_infer(or_kernel *k)
{
    einsum_params *p = k->params;
    const char *eq;
    OR_TRY(or_attr_string(k, "equation", "", &eq));
    OR_CHECK(k, eq[0], "attribute 'equation' is required");
    OR_CHECK(k, k->n_in >= 1 && k->n_in <= EIN_MAX_IN, "Einsum takes 1 to %d inputs, not %zu", EIN_MAX_IN, k->n_in);
    p->n_in = (int)k->n_in;
    const char *arrow = strstr(eq, "->"), *lhs_end = arrow ? arrow : eq + strlen(eq);
    const char *term[EIN_MAX_IN];
    size_t tlen[EIN_MAX_IN];
    int nt = 0;
    for (const char *c = eq;; nt++) {
        const char *comma = memchr(c, ',', (size_t)(lhs_end - c));
        OR_CHECK(k, nt < p->n_in, "the equation '%s' has more terms than the %d inputs", eq, p->n_in);
        term[nt] = c;
        tlen[nt] = (size_t)((comma ? comma : lhs_end) - c);
        if (!comma) break;
        c = comma + 1;
    }
    OR_CHECK(k, nt + 1 == p->n_in, "the equation '%s' has %d terms for %d inputs", eq, nt + 1, p->n_in);
    /* ranks of the ellipses */
    int n_ell[EIN_MAX_IN], max_ell = 0, labels[EIN_MAX_IN][OR_MAX_RANK], count[EIN_LABELS] = { 0 };
    int64_t size[EIN_LABELS];
    for (int l = 0; l < EIN_LABELS; l++) size[l] = -1;
    for (int i = 0; i < p->n_in; i++) {
        const or_tensor *t;
        OR_TRY(or_need_input(k, (size_t)i, &t));
        OR_TRY(or_check_dtype(k, (size_t)i, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_INT32, ONNXRUN_INT64,
                              ONNXRUN_UNDEFINED));
        OR_CHECK_TYPE(k, t->dtype == k->in[0]->dtype, "inputs have different types (%s, %s)",
                      onnxrun_dtype_name(k->in[0]->dtype), onnxrun_dtype_name(t->dtype));
        n_ell[i] = t->rank - (int)ein_letters_in(term[i], tlen[i]);
        if (n_ell[i] > max_ell) max_ell = n_ell[i];
    }
    for (int i = 0; i < p->n_in; i++) {
        const or_tensor *t = k->in[i];
        bool has_ell;
        int n = ein_term(term[i], tlen[i], n_ell[i] > 0 ? n_ell[i] : 0, max_ell, labels[i], &has_ell);
        OR_CHECK(k, n >= 0 && n == t->rank && (has_ell || n_ell[i] == 0),
                 "term %d of '%s' does not fit input %d of rank %d", i, eq, i, t->rank);
        for (int a = 0; a < n; a++) {
            int l = labels[i][a];
            int64_t d = t->dims[a];
            bool bcast = l >= EIN_LETTERS; /* '...' dims broadcast like numpy */
            if (count[l]++ == 0 || size[l] == d || (bcast && d == 1)) {
                if (size[l] < 0 || (bcast && size[l] == 1)) size[l] = d;
                continue;
            }
            return or_fail(k, ONNXRUN_E_SHAPE, "label '%c' has sizes %lld and %lld", l < 26 ? 'a' + l : l < 52 ? 'A' + l - 26 : '.',
                           (long long)size[l], (long long)d);
        }
    }
    /* the output's labels */
    int out[EIN_LABELS], n_out = 0;
    if (arrow) {
        bool has_ell;
        n_out = ein_term(arrow + 2, strlen(arrow + 2), max_ell, max_ell, out, &has_ell);
        OR_CHECK(k, n_out >= 0, "the output term of '%s' is not letters and '...'", eq);
        OR_CHECK(k, has_ell || max_ell == 0, "the output of '%s' must keep '...'", eq);
        for (int a = 0; a < n_out; a++) {
            OR_CHECK(k, count[out[a]] > 0, "output label '%c' of '%s' is in no input", arrow[2 + a], eq);
            for (int b = 0; b < a; b++) OR_CHECK(k, out[a] != out[b], "output label repeated in '%s'", eq);
        }
    } else { /* implicit: the ellipsis, then the letters seen once, in ASCII order */
        for (int e = 0; e < max_ell; e++) out[n_out++] = EIN_LETTERS + e;
        for (int l = 26; l < 52; l++)
            if (count[l] == 1) out[n_out++] = l;
        for (int l = 0; l < 26; l++)
            if (count[l] == 1) out[n_out++] = l;
    }
    /* loop order: output labels, then the summed ones */
    int order[EIN_LABELS], n = 0;
    bool used[EIN_LABELS] = { false };
    for (int a = 0; a < n_out; a++) used[order[n++] = out[a]] = true;
    for (int l = 0; l < EIN_LABELS; l++)
        if (count[l] && !used[l]) order[n++] = l;
    uint64_t work = 1;
    int64_t dims[OR_MAX_RANK];
    memset(p->in_step, 0, sizeof p->in_step);
    memset(p->out_step, 0, sizeof p->out_step);
    for (int j = 0; j < n; j++) {
        p->size[j] = size[order[j]];
        OR_CHECK(k, or_mul_ok(work, (uint64_t)p->size[j], &work) && work <= EIN_MAX_WORK,
                 "'%s' needs more than 2^36 multiply-adds", eq);
        if (j < n_out) dims[j] = p->size[j];
        for (int i = 0; i < p->n_in; i++) {
            const or_tensor *t = k->in[i];
            int64_t stride = 1;
            for (int a = t->rank - 1; a >= 0; a--) {
                if (labels[i][a] == order[j] && t->dims[a] != 1) p->in_step[i][j] += stride;
                stride *= t->dims[a];
            }
        }
    }
    int64_t stride = 1;
    for (int j = n_out - 1; j >= 0; j--) {
        p->out_step[j] = stride;
        stride *= p->size[j];
    }
    p->n_labels = n;
    p->n_out = n_out;
    OR_TRY(or_set_shape(k, k->out[0], k->in[0]->dtype, n_out, dims));
    k->scratch_bytes = (size_t)or_numel(k->out[0]) * 8; /* the sums, double or int64 */
    return ONNXRUN_OK;
}

static or_status einsum_run(or_kernel *k)
{
    const einsum_params *p = k->params;
    onnxrun_dtype dt = k->in[0]->dtype;
    bool integer = dt == ONNXRUN_INT32 || dt == ONNXRUN_INT64;
    int64_t total = or_numel(k->out[0]), idx[EIN_LABELS] = { 0 }, off[EIN_MAX_IN] = { 0 }, yo = 0;
    for (int j = 0; j < p->n_labels; j++)
        if (p->size[j] == 0) { /* nothing to sum: zeros */
            memset(k->out[0]->data, 0, (size_t)total * onnxrun_dtype_size(dt));
            return ONNXRUN_OK;
        }
    double *accf = k->scratch;
    int64_t *acci = k->scratch;
    for (int64_t i = 0; i < total; i++) {
        if (integer) acci[i] = 0;
        else accf[i] = 0;
    }
    for (;;) {
        double pf = 1;
        int64_t pi = 1;
        for (int i = 0; i < p->n_in; i++) {
            const void *d = k->in[i]->data;
            switch (dt) {
            case ONNXRUN_FLOAT: pf *= ((const float *)d)[off[i]]; break;
            case ONNXRUN_DOUBLE: pf *= ((const double *)d)[off[i]]; break;
            case ONNXRUN_INT32: pi *= ((const int32_t *)d)[off[i]]; break;
            default: pi *= ((const int64_t *)d)[off[i]]; break;
            }
        }
        if (integer) acci[yo] += pi;
        else accf[yo] += pf;
        int j = p->n_labels - 1; /* odometer over every label, the last fastest */
        for (; j >= 0; j--) {
            for (int i = 0; i < p->n_in; i++) off[i] += p->in_step[i][j];
            yo += j < p->n_out ? p->out_step[j] : 0;
            if (++idx[j] < p->size[j]) break;
            for (int i = 0; i < p->n_in; i++) off[i] -= p->in_step[i][j] * idx[j];
            yo -= j < p->n_out ? p->out_step[j] * idx[j] : 0;
            idx[j] = 0;
        }
        if (j < 0) break;
    }
    void *y = k->out[0]->data;
    for (int64_t i = 0; i < total; i++) {
        switch (dt) {
        case ONNXRUN_FLOAT: ((float *)y)[i] = (float)accf[i]; break;
        case ONNXRUN_DOUBLE: ((double *)y)[i] = accf[i]; break;
        case ONNXRUN_INT32: ((int32_t *)y)[i] = (int32_t)acci[i]; break;
        default: ((int64_t *)y)[i] = acci[i]; break;
        }
    }
    return ONNXRUN_OK;
}

OR_OP_TABLE(dense) = {
    GEMM(1),   /* `broadcast` attribute */
    GEMM(7),   /* unidirectional broadcast of C */
    GEMM(11),  /* C optional */
    MATMUL(1),
    OR_OP("Det", 11, .infer = det_infer, .run = det_run),
    OR_OP("Einsum", 12, .params_size = sizeof(einsum_params), .infer = einsum_infer, .run = einsum_run),
};
OR_OP_TABLE_END(dense);
