/*
 * pool.c - MaxPool (with the optional Indices output), AveragePool, LpPool
 * and their Global forms, on tensors N x C x D1 x ... x Dn of any spatial
 * rank. A Global pool is the windowed pool with the window set to the whole
 * input. Relies on window.c for the geometry (pads, auto_pad, ceil_mode).
 *
 * One engine serves every op and type: for each output position it clips
 * the window to the input per axis and walks the window's rows along the
 * last axis, accumulating in double (exact for max over every supported
 * type). Planes (one channel of one batch item) are split across threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

typedef enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

typedef struct pool_params {
    /* attributes (init) */
    pool_kind kind;
    bool global;
    or_window_attrs attrs;
    bool count_include_pad;  /* AveragePool */
    bool col_major;          /* MaxPool storage_order = 1: Indices counted column-major */
    double p;                /* LpPool */
    /* geometry (infer) */
    onnxrun_dtype dtype;
    or_window w;
    int64_t planes;          /* N * C */
} pool_params;

/* What an op version defines. */
typedef struct pool_op {
    const char *name;
    pool_kind kind;
    bool global;
    int storage_order, dilations, ceil_mode, count_include_pad, int8; /* since opset, 0 = never */
} pool_op;

static const pool_op pool_ops[] = {
    { "MaxPool", POOL_MAX, false, 8, 10, 10, 0, 12 },
    { "AveragePool", POOL_AVG, false, 0, 19, 10, 7, 0 },
    { "LpPool", POOL_LP, false, 0, 18, 18, 0, 0 },
    { "GlobalMaxPool", POOL_MAX, true, 0, 0, 0, 0, 0 },
    { "GlobalAveragePool", POOL_AVG, true, 0, 0, 0, 0, 0 },
    { "GlobalLpPool", POOL_LP, true, 0, 0, 0, 0, 0 },
};

static const pool_op *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof pool_ops / sizeof pool_ops[0]; i++)
        if (strcmp(pool_ops[i].name, name) == 0) return &pool_ops[i];
    return NULL;
}

/* Whether the entry's version has a feature introduced at `since` (0 = never). */
static bool has(const or_kernel *k, int since)
{
    return since > 0 && k->def->since >= since;
}

static or_status pool_init(or_kernel *k)
{
    const pool_op *op = find_op(k->def->op_type);
    OR_CHECK_TYPE(k, op, "not a pooling op");
    pool_params *p = calloc(1, sizeof *p);
    if (!p) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory");
    k->params = p;
    p->kind = op->kind;
    p->global = op->global;
    if (!op->global) {
        unsigned allow = (has(k, op->dilations) ? OR_WIN_DILATIONS : 0) |
                         (has(k, op->ceil_mode) ? OR_WIN_CEIL : 0);
        OR_TRY(or_window_read(k, allow, &p->attrs));
        OR_CHECK(k, p->attrs.n_kernel > 0, "attribute 'kernel_shape' is required");
    }
    int64_t v;
    if (has(k, op->storage_order)) {
        OR_TRY(or_attr_int(k, "storage_order", 0, &v));
        OR_CHECK(k, v == 0 || v == 1, "attribute 'storage_order' must be 0 or 1, not %lld",
                 (long long)v);
        p->col_major = v == 1;
    } else {
        OR_CHECK(k, !or_attr_has(k, "storage_order"),
                 "attribute 'storage_order' is not defined at opset %lld", (long long)k->opset);
    }
    if (has(k, op->count_include_pad)) {
        OR_TRY(or_attr_int(k, "count_include_pad", 0, &v));
        OR_CHECK(k, v == 0 || v == 1, "attribute 'count_include_pad' must be 0 or 1, not %lld",
                 (long long)v);
        p->count_include_pad = v == 1;
    } else {
        OR_CHECK(k, !or_attr_has(k, "count_include_pad"),
                 "attribute 'count_include_pad' is not defined at opset %lld",
                 (long long)k->opset);
    }
    if (p->kind == POOL_LP) {
        float pf;
        OR_TRY(or_attr_float(k, "p", 2.0f, &pf)); /* float before opset 2, int after */
        OR_CHECK(k, pf > 0 && isfinite(pf), "attribute 'p' = %g must be positive", (double)pf);
        p->p = pf;
    }
    OR_CHECK(k, !or_out(k, 1) || (p->kind == POOL_MAX && has(k, op->storage_order)),
             "this op has no second output (Indices)");
    return ONNXRUN_OK;
}

static or_status pool_infer(or_kernel *k)
{
    pool_params *p = k->params;
    const pool_op *op = find_op(k->def->op_type);
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x && or_out(k, 0), "input X and output Y are required");
    if (has(k, op->int8))
        OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_INT8, ONNXRUN_UINT8,
                              ONNXRUN_UNDEFINED));
    else
        OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 3, "input X has rank %d; expected N x C x D1 ... (rank >= 3)",
                   x->rank);
    int nsp = x->rank - 2;
    p->dtype = x->dtype;
    p->planes = x->dims[0] * x->dims[1];
    if (p->global) {
        for (int i = 0; i < nsp; i++)
            OR_CHECK_SHAPE(k, x->dims[2 + i] >= 1, "input X is empty on spatial axis %d", i);
        OR_TRY(or_window_forward(k, &p->attrs, nsp, x->dims + 2, x->dims + 2, &p->w));
    } else {
        OR_TRY(or_window_forward(k, &p->attrs, nsp, x->dims + 2, NULL, &p->w));
    }
    int64_t dims[OR_MAX_RANK] = { x->dims[0], x->dims[1] };
    memcpy(dims + 2, p->w.out, (size_t)nsp * sizeof *dims);
    OR_TRY(or_set_shape(k, or_out(k, 0), x->dtype, x->rank, dims));
    OR_TRY(or_set_shape(k, or_out(k, 1), ONNXRUN_INT64, x->rank, dims));
    return ONNXRUN_OK;
}

/* Running reduction over one window: max (value, plane offset) or sum. */
typedef struct acc {
    double v;
    int64_t at;
} acc;

#define REDUCE_RUN(T)                                                              \
    do {                                                                           \
        const T *r_ = (const T *)plane + off;                                      \
        if (p->kind == POOL_MAX) {                                                 \
            for (int64_t q = 0; q < n; q++)                                        \
                if ((double)r_[q * d] > a->v) {                                    \
                    a->v = (double)r_[q * d];                                      \
                    a->at = off + q * d;                                           \
                }                                                                  \
        } else if (p->kind == POOL_AVG) {                                          \
            for (int64_t q = 0; q < n; q++) a->v += (double)r_[q * d];             \
        } else if (p->p == 2.0) {                                                  \
            for (int64_t q = 0; q < n; q++) a->v += (double)r_[q * d] * r_[q * d]; \
        } else {                                                                   \
            for (int64_t q = 0; q < n; q++) a->v += pow(fabs((double)r_[q * d]), p->p); \
        }                                                                          \
    } while (0)

/* Folds n elements of the plane, from offset off with step d, into a. */
static void reduce_run(const pool_params *p, const void *plane, int64_t off, int64_t n,
                       int64_t d, acc *a)
{
    switch (p->dtype) {
    case ONNXRUN_FLOAT: REDUCE_RUN(float); break;
    case ONNXRUN_DOUBLE: REDUCE_RUN(double); break;
    case ONNXRUN_UINT8: REDUCE_RUN(uint8_t); break;
    case ONNXRUN_INT8: REDUCE_RUN(int8_t); break;
    default: break;
    }
}

static void store(onnxrun_dtype dt, void *y, int64_t i, double v)
{
    switch (dt) {
    case ONNXRUN_FLOAT: ((float *)y)[i] = (float)v; break;
    case ONNXRUN_DOUBLE: ((double *)y)[i] = v; break;
    /* max of an integer type is exact; only an empty window (-inf) needs the clamp */
    case ONNXRUN_UINT8: ((uint8_t *)y)[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); break;
    case ONNXRUN_INT8: ((int8_t *)y)[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); break;
    default: break;
    }
}

/* A plane offset (row-major over w->in) as a column-major one. */
static int64_t col_major(const or_window *w, int64_t at)
{
    int64_t c[OR_WIN_MAX], r = 0;
    for (int i = w->n - 1; i >= 0; i--) {
        c[i] = at % w->in[i];
        at /= w->in[i];
    }
    for (int i = w->n - 1; i >= 0; i--) r = r * w->in[i] + c[i];
    return r;
}

/* Pools output position oc (coordinates) of one plane. */
static double pool_point(const pool_params *p, const void *plane, const int64_t *oc,
                         int64_t *at)
{
    const or_window *w = &p->w;
    int n = w->n, l = n - 1;
    int64_t t0[OR_WIN_MAX], t1[OR_WIN_MAX], start[OR_WIN_MAX], tc[OR_WIN_MAX];
    int64_t valid = 1, padded = 1;
    for (int i = 0; i < n; i++) {
        int64_t s = oc[i] * w->stride[i] - w->pad_begin[i], d = w->dilation[i];
        int64_t lo, hi;
        /* taps t with s + t * d inside the input, then inside input + pads */
        or_window_valid(w->kernel[i], w->in[i], d, s, &lo, &hi);
        t0[i] = lo;
        t1[i] = hi;
        valid *= hi - lo;
        if (p->count_include_pad) {
            or_window_valid(w->kernel[i], w->in[i] + w->pad_begin[i] + w->pad_end[i], d,
                            s + w->pad_begin[i], &lo, &hi);
            padded *= hi - lo;
        }
        start[i] = s;
        tc[i] = t0[i];
    }
    acc a = { p->kind == POOL_MAX ? -INFINITY : 0.0, -1 };
    if (valid > 0) {
        for (;;) {
            int64_t off = 0;
            for (int i = 0; i < l; i++) off = off * w->in[i] + start[i] + tc[i] * w->dilation[i];
            off = off * w->in[l] + start[l] + t0[l] * w->dilation[l];
            reduce_run(p, plane, off, t1[l] - t0[l], w->dilation[l], &a);
            int i = l - 1;
            for (; i >= 0; i--) {
                if (++tc[i] < t1[i]) break;
                tc[i] = t0[i];
            }
            if (i < 0) break;
        }
    }
    *at = a.at;
    switch (p->kind) {
    case POOL_MAX: return a.v;
    case POOL_AVG: return a.v / (double)(p->count_include_pad ? padded : valid);
    default: return p->p == 2.0 ? sqrt(a.v) : pow(a.v, 1.0 / p->p);
    }
}

typedef struct pool_job {
    const pool_params *p;
    const void *x;
    void *y;
    int64_t *indices;
} pool_job;

static void pool_planes(void *ctx, int64_t b0, int64_t b1)
{
    const pool_job *j = ctx;
    const pool_params *p = j->p;
    const or_window *w = &p->w;
    size_t esize = onnxrun_dtype_size(p->dtype);
    for (int64_t pl = b0; pl < b1; pl++) {
        const char *plane = (const char *)j->x + (size_t)(pl * w->in_size) * esize;
        int64_t oc[OR_WIN_MAX] = { 0 };
        for (int64_t o = 0; o < w->out_size; o++) {
            int64_t at, yi = pl * w->out_size + o;
            store(p->dtype, j->y, yi, pool_point(p, plane, oc, &at));
            if (j->indices)
                j->indices[yi] = at < 0 ? -1
                                        : pl * w->in_size + (p->col_major ? col_major(w, at) : at);
            for (int i = w->n - 1; i >= 0; i--) {
                if (++oc[i] < w->out[i]) break;
                oc[i] = 0;
            }
        }
    }
}

static or_status pool_run(or_kernel *k)
{
    const pool_params *p = k->params;
    or_tensor *ind = or_out(k, 1);
    pool_job job = { p, k->in[0]->data, k->out[0]->data, ind ? ind->data : NULL };
    double work = (double)p->planes * p->w.out_size * p->w.kernel_size;
    or_parallel_for_work(k, p->planes, work, pool_planes, &job);
    return ONNXRUN_OK;
}

#define POOL(name, since) { "", name, since, 0, pool_init, pool_infer, pool_run, NULL, NULL }

OR_OP_TABLE(pool) = {
    POOL("MaxPool", 1), POOL("MaxPool", 8), POOL("MaxPool", 10), POOL("MaxPool", 11),
    POOL("MaxPool", 12), POOL("MaxPool", 22),
    POOL("AveragePool", 1), POOL("AveragePool", 7), POOL("AveragePool", 10),
    POOL("AveragePool", 11), POOL("AveragePool", 19), POOL("AveragePool", 22),
    POOL("LpPool", 1), POOL("LpPool", 2), POOL("LpPool", 11), POOL("LpPool", 18),
    POOL("LpPool", 22),
    POOL("GlobalMaxPool", 1), POOL("GlobalMaxPool", 22),
    POOL("GlobalAveragePool", 1), POOL("GlobalAveragePool", 22),
    POOL("GlobalLpPool", 1), POOL("GlobalLpPool", 2), POOL("GlobalLpPool", 22),
};
OR_OP_TABLE_END(pool);
