/*
 * pool.c - MaxPool (with the optional Indices output), AveragePool, LpPool
 * and their Global forms, and MaxUnpool, on tensors N x C x D1 x ... x Dn of
 * any spatial rank. Relies on window.c for the geometry (pads, auto_pad,
 * ceil_mode).
 *
 * The windowed pools share one engine for every op and type, which folds
 * strided input rows into output rows (described above pool_plane); the
 * Global pools reduce each plane in double. Planes (one channel of one
 * batch item) are split across threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rowops.h"
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
    pool_params *p = k->params;
    p->kind = op->kind;
    p->global = op->global;
    if (!op->global) {
        unsigned allow = (has(k, op->dilations) ? OR_WIN_DILATIONS : 0) |
                         (has(k, op->ceil_mode) ? OR_WIN_CEIL : 0);
        OR_TRY(or_window_read(k, allow, &p->attrs));
        OR_CHECK(k, p->attrs.n_kernel > 0, "attribute 'kernel_shape' is required");
    }
    /* attributes of later versions: an explicit default is accepted */
    int64_t v;
    OR_TRY(or_attr_int(k, "storage_order", 0, &v));
    OR_CHECK(k, v == 0 || v == 1, "attribute 'storage_order' must be 0 or 1, not %lld",
             (long long)v);
    OR_CHECK(k, v == 0 || has(k, op->storage_order),
             "attribute 'storage_order' is not defined at opset %lld", (long long)k->opset);
    p->col_major = v == 1;
    OR_TRY(or_attr_int(k, "count_include_pad", 0, &v));
    OR_CHECK(k, v == 0 || v == 1, "attribute 'count_include_pad' must be 0 or 1, not %lld",
             (long long)v);
    OR_CHECK(k, v == 0 || has(k, op->count_include_pad),
             "attribute 'count_include_pad' is not defined at opset %lld", (long long)k->opset);
    p->count_include_pad = v == 1;
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

#define POOL2D_MAX_SCRATCH ((int64_t)1 << 22) /* bytes per thread, else pool_plane */

#define POOL2D_MAX_BATCH_BYTES ((int64_t)16 << 10) /* MaxPool: rows of t per batch (L1) */

typedef struct pool2d_geom {
    int64_t ld;        /* floats per padded row (and per row of the folds) */
    int64_t rows;      /* AveragePool: rows of the padded plane, (OH - 1) * sh + kh;
                        * MaxPool: output rows per batch */
    int64_t floats;    /* per thread: MaxPool a batch of padded rows; AveragePool
                        * the pad, rows and cols buffers and the tap counts */
} pool2d_geom;

/* Whether the fast path applies, and its geometry. */
static bool pool2d_geom_of(const pool_params *p, pool2d_geom *g)
{
    const or_window *w = &p->w;
    if (w->n != 2 || p->dtype != ONNXRUN_FLOAT || p->kind == POOL_LP || w->dilation[0] != 1 ||
        w->dilation[1] != 1 || w->out_size == 0 || w->stride[1] > 2 || w->kernel[1] > 64 ||
        w->kernel[0] > 64 || w->in[1] > 65536 || w->out[1] > 65536)
        return false;
    int64_t OH = w->out[0], OW = w->out[1], owr = (OW + 7) / 8 * 8;
    int64_t need = (OW - 1) * w->stride[1] + w->kernel[1];           /* columns windows read */
    int64_t reach = w->stride[1] * owr + w->kernel[1] + 16;         /* columns vectors read */
    int64_t cols = w->pad_begin[1] + w->in[1];
    if (need > cols) cols = need;
    if (reach > cols) cols = reach;
    g->ld = (cols + 7) / 8 * 8;
    if (p->kind == POOL_MAX) { /* pool2d_max_plane: a batch of rows */
        g->rows = POOL2D_MAX_BATCH_BYTES / (g->ld * (int64_t)sizeof(float));
        if (g->rows > OH) g->rows = OH;
        if (g->rows < 1) g->rows = 1;
        g->floats = g->rows * g->ld;
        return g->floats * (int64_t)sizeof(float) <= POOL2D_MAX_SCRATCH;
    }
    if (OH > (1 << 20)) return false;
    g->rows = (OH - 1) * w->stride[0] + w->kernel[0];
    if (g->rows < w->pad_begin[0] + w->in[0]) g->rows = w->pad_begin[0] + w->in[0];
    /* pad plane (+ a row of slack), row folds, column folds, tap counts per column */
    g->floats = (g->rows + 1) * g->ld + 2 * OH * g->ld + OW + 16;
    return g->floats * (int64_t)sizeof(float) <= POOL2D_MAX_SCRATCH;
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
    pool2d_geom g;
    k->scratch_bytes = 0;
    if (!p->global && !or_out(k, 1) && p->planes > 0 && pool2d_geom_of(p, &g))
        k->scratch_bytes = (size_t)(g.floats * (k->threads > 1 ? k->threads : 1)) * sizeof(float);
    return ONNXRUN_OK;
}

/*
 * The windowed engine works on output rows (runs along the last axis): a row starts
 * at the identity (lowest value or 0), then each window tap (t_outer, tx)
 * folds one strided input row into it: y[q] = op(y[q], x[q * s + off]) for
 * the interval of q where the tap lands inside the input (or_window_valid),
 * so the inner loops carry no bounds checks. Taps are visited in row-major
 * window order, which makes MaxPool keep the first maximum, as the
 * reference does. Averages divide by the per-position tap count at the end.
 */

/* y[q] = op(y[q], x[q * s]) for q in [0, n); ind[q] = at + q * s where max moves. */
#define FOLD_ROW(T)                                                                     \
    do {                                                                                \
        const T *restrict x_ = x;                                                       \
        T *restrict y_ = y;                                                             \
        if (p->kind == POOL_MAX && ind) {                                               \
            for (int64_t q = 0; q < n; q++)                                             \
                if (x_[q * s] > y_[q]) {                                                \
                    y_[q] = x_[q * s];                                                  \
                    ind[q] = at + q * s;                                                \
                }                                                                       \
        } else if (p->kind == POOL_MAX) {                                               \
            for (int64_t q = 0; q < n; q++) y_[q] = x_[q * s] > y_[q] ? x_[q * s] : y_[q]; \
        } else if (p->kind == POOL_AVG) {                                               \
            for (int64_t q = 0; q < n; q++) y_[q] += x_[q * s];                         \
        } else if (p->p == 2.0) {                                                       \
            for (int64_t q = 0; q < n; q++) y_[q] += x_[q * s] * x_[q * s];             \
        } else {                                                                        \
            for (int64_t q = 0; q < n; q++) y_[q] += (T)pow(fabs((double)x_[q * s]), p->p); \
        }                                                                               \
    } while (0)

static void fold_row(const pool_params *p, const void *x, int64_t s, void *y, int64_t n,
                     int64_t *ind, int64_t at)
{
    if (p->dtype == ONNXRUN_FLOAT && s == 1 && !ind && p->kind != POOL_LP) {
        if (p->kind == POOL_MAX) or_row_max(n, x, y);
        else or_row_add(n, x, y);
        return;
    }
    switch (p->dtype) {
    case ONNXRUN_FLOAT: FOLD_ROW(float); break;
    case ONNXRUN_DOUBLE: FOLD_ROW(double); break;
    case ONNXRUN_UINT8: FOLD_ROW(uint8_t); break; /* MaxPool only */
    case ONNXRUN_INT8: FOLD_ROW(int8_t); break;
    default: break;
    }
}

/* y[0..n) = the identity of the reduction. */
static void start_row(const pool_params *p, void *y, int64_t n)
{
    bool max = p->kind == POOL_MAX;
    for (int64_t q = 0; q < n; q++) switch (p->dtype) {
        case ONNXRUN_FLOAT: ((float *)y)[q] = max ? -INFINITY : 0.0f; break;
        case ONNXRUN_DOUBLE: ((double *)y)[q] = max ? -INFINITY : 0.0; break;
        case ONNXRUN_UINT8: ((uint8_t *)y)[q] = 0; break;
        case ONNXRUN_INT8: ((int8_t *)y)[q] = INT8_MIN; break;
        default: break;
        }
}

/* Taps of a window starting at `start` (step d, k taps) inside [0, n). */
static int64_t taps(int64_t k, int64_t n, int64_t d, int64_t start)
{
    int64_t lo, hi;
    or_window_valid(k, n, d, start, &lo, &hi);
    return hi - lo;
}

/* Average and Lp finish: y[q] /= count, y[q] = y[q]^(1/p). `outer` is the
 * tap count over the outer axes (padding included when count_include_pad). */
static void finish_row(const pool_params *p, void *y, int64_t n, int64_t outer)
{
    const or_window *w = &p->w;
    int l = w->n - 1;
    int64_t kl = w->kernel[l], s = w->stride[l], d = w->dilation[l], pb = w->pad_begin[l];
    int64_t span = w->in[l] + (p->count_include_pad ? pb + w->pad_end[l] : 0);
    int64_t shift = p->count_include_pad ? pb : 0, ext = (kl - 1) * d + 1, qa = 0, qb = 0;
    /* [qa, qb): windows wholly inside the span, which count all kl taps */
    if (span >= ext) or_window_valid(n, span - ext + 1, s, shift - pb, &qa, &qb);
    for (int64_t q = 0; q < n; q++) {
        double v = p->dtype == ONNXRUN_FLOAT ? ((float *)y)[q] : ((double *)y)[q];
        if (p->kind == POOL_AVG) {
            int64_t cnt = q >= qa && q < qb ? kl : taps(kl, span, d, q * s - pb + shift);
            v /= (double)(outer * cnt);
        } else {
            v = p->p == 2.0 ? sqrt(v) : pow(v, 1.0 / p->p);
        }
        if (p->dtype == ONNXRUN_FLOAT) ((float *)y)[q] = (float)v;
        else ((double *)y)[q] = v;
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

/* Advances coordinates c over dims[0..n) row-major, wrapping to zeros. */
static void step(int n, const int64_t *dims, int64_t *c)
{
    for (int i = n - 1; i >= 0; i--) {
        if (++c[i] < dims[i]) return;
        c[i] = 0;
    }
}

/* Pools plane number pl: x and y point at its first element; ind (or NULL)
 * at its first index. */
static void pool_plane(const pool_params *p, int64_t pl, const char *x, char *y, int64_t *ind)
{
    const or_window *w = &p->w;
    int n = w->n, l = n - 1;
    size_t es = onnxrun_dtype_size(p->dtype);
    int64_t width = w->out[l], s = w->stride[l], kl = w->kernel[l];
    int64_t rows = width ? w->out_size / width : 0;
    int64_t oc[OR_WIN_MAX] = { 0 }, tc[OR_WIN_MAX] = { 0 };
    for (int64_t r = 0; r < rows; r++) {
        char *yr = y + (size_t)(r * width) * es;
        int64_t *ir = ind ? ind + r * width : NULL;
        start_row(p, yr, width);
        if (ir)
            for (int64_t q = 0; q < width; q++) ir[q] = -1;
        /* tap count over the outer axes, for averages */
        int64_t outer = 1;
        for (int i = 0; i < l; i++) {
            int64_t st = oc[i] * w->stride[i] - w->pad_begin[i];
            outer *= p->count_include_pad
                         ? taps(w->kernel[i], w->in[i] + w->pad_begin[i] + w->pad_end[i],
                                w->dilation[i], st + w->pad_begin[i])
                         : taps(w->kernel[i], w->in[i], w->dilation[i], st);
        }
        /* only the taps that land in the input: per outer axis a range of
         * taps for this row, along the last axis those that reach the input
         * from some output position (a kernel far wider than the input with
         * SAME padding must not cost its width per row) */
        int64_t t_lo[OR_WIN_MAX], t_hi[OR_WIN_MAX];
        bool any = true;
        for (int i = 0; i < l; i++) {
            int64_t st = oc[i] * w->stride[i] - w->pad_begin[i];
            or_window_valid(w->kernel[i], w->in[i], w->dilation[i], st, &t_lo[i], &t_hi[i]);
            any = any && t_lo[i] < t_hi[i];
            tc[i] = t_lo[i];
        }
        int64_t pb = w->pad_begin[l], d = w->dilation[l], reach = pb - (width - 1) * s;
        int64_t tx_lo = reach <= 0 ? 0 : (reach + d - 1) / d, tx_hi = (w->in[l] - 1 + pb) / d + 1;
        if (tx_hi > kl) tx_hi = kl;
        while (any) {
            int64_t base = 0;
            for (int i = 0; i < l; i++)
                base = base * w->in[i] + oc[i] * w->stride[i] - w->pad_begin[i] +
                       tc[i] * w->dilation[i];
            base *= w->in[l];
            for (int64_t tx = tx_lo; tx < tx_hi; tx++) {
                int64_t off = tx * d - pb, lo, hi;
                or_window_valid(width, w->in[l], s, off, &lo, &hi);
                if (hi <= lo) continue;
                int64_t at = base + lo * s + off; /* plane offset of the first element */
                fold_row(p, x + (size_t)at * es, s, yr + (size_t)lo * es, hi - lo,
                         ir ? ir + lo : NULL, at);
            }
            /* next outer tap, row-major within the ranges */
            int i = l - 1;
            for (; i >= 0; i--) {
                if (++tc[i] < t_hi[i]) break;
                tc[i] = t_lo[i];
            }
            any = i >= 0;
        }
        if (p->kind != POOL_MAX) finish_row(p, yr, width, outer);
        if (ir)
            for (int64_t q = 0; q < width; q++)
                if (ir[q] >= 0)
                    ir[q] = pl * w->in_size + (p->col_major ? col_major(w, ir[q]) : ir[q]);
        step(l, w->out, oc);
    }
}

/*
 * 2-D float AveragePool without dilation, separably and in whole vectors
 * (MaxPool: pool2d_max_plane below). Per plane, in the caller's scratch
 * (pool2d_geom):
 *   pad  the input with zeros into rows of `ld` floats, wide enough for
 *        every window and the vector overreach;
 *   rows sum the window's kh rows into each output row (one pass over the
 *        flattened plane when sh = 1);
 *   cols sum the window's kw columns out of those rows, then divide OW
 *        values per row by their tap counts into Y.
 */
/* y[i] = sum over t < taps of x[i + t * step], for i in [0, n) (n a
 * multiple of 8); stride 2 reads x[2i + t * step]. */
static void pool2d_sum(int64_t n, const float *x, int64_t taps, int64_t step, int stride,
                       float *restrict y)
{
    for (int64_t i = 0; i < n; i += 8) {
        or_v8f acc = { 0 };
        const float *xi = x + (stride == 2 ? 2 * i : i);
        for (int64_t t = 0; t < taps; t++) {
            or_v8f v;
            if (stride == 2) OR_V8F_EVEN(v, xi + t * step);
            else memcpy(&v, xi + t * step, sizeof v);
            acc += v;
        }
        memcpy(y + i, &acc, sizeof acc);
    }
}

/*
 * MaxPool's plane, in batches of g->rows output rows in L1 (no plane-sized
 * folds):
 *   t    = lane by lane the max of the kh input rows each window row
 *          covers, at t[q][pl ..), between -inf padding (t holds g->rows
 *          rows of ld floats), for every row of the batch;
 *   y    = then, row by row, the max of kw consecutive t (stride 1: 8
 *          outputs per step as unaligned loads at t + o + j; stride 2: the
 *          even lanes of 16).
 * A whole batch of t is written before any of it is read: reading each
 * row of t right after writing it, unaligned against the stores, stalled
 * every load on store forwarding. With 3x3 windows unrolled (MAX3),
 * googlenet's 480 x 14 x 14, 3x3 stride 1 alone 0.068 -> 0.037 ms; 192 x
 * 56 x 56, stride 2, 0.093 -> 0.068; its 13 MaxPools 1.38 -> 0.67 ms.
 * Row ends are masked vectors, not scalar loops: googlenet's 14- and
 * 7-wide planes are mostly row end (the plane-sized separable folds took
 * 0.45 ms on 832 x 14 x 14).
 * Both folds start from -inf and keep the running max when the new value
 * is NaN (OR_V8F_MAX(v, acc)), as pool_plane does. The vector loads stay
 * inside t's rows of ld floats (pool2d_geom_of sized them). The caller
 * fills t with -inf once (pool2d_planes); only t[q][pl, pl + W) is written
 * here.
 */
/* The max of a, b, c from -inf (ninf), skipping NaN as OR_V8F_MAX(v, acc)
 * does (a macro: a vector return changes the baseline build's ABI). */
#define MAX3(a, b, c) OR_V8F_MAX((c), OR_V8F_MAX((b), OR_V8F_MAX((a), ninf)))

static void pool2d_max_plane(const pool_params *p, const pool2d_geom *g, const float *x,
                             float *y, float *t)
{
    const or_window *w = &p->w;
    int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1], ld = g->ld;
    int64_t kh = w->kernel[0], kw = w->kernel[1], sh = w->stride[0], sw = w->stride[1];
    int64_t pt = w->pad_begin[0];
    const or_v8f ninf = { -INFINITY, -INFINITY, -INFINITY, -INFINITY,
                          -INFINITY, -INFINITY, -INFINITY, -INFINITY };
    for (int64_t oh0 = 0; oh0 < OH; oh0 += g->rows) {
        int64_t nb = OH - oh0 < g->rows ? OH - oh0 : g->rows;
        for (int64_t q = 0; q < nb; q++) {
            int64_t r0 = (oh0 + q) * sh - pt, r1 = r0 + kh;
            if (r0 < 0) r0 = 0;
            if (r1 > H) r1 = H;
            const float *xr = x + r0 * W;
            float *tm = t + q * ld + w->pad_begin[1];
            int64_t i = 0;
            if (r1 - r0 == 3) /* 3 rows (3x3 windows inside the plane): unrolled */
                for (; i + 8 <= W; i += 8)
                    OR_V8F_STORE(tm + i, MAX3(OR_V8F_LOAD(xr + i), OR_V8F_LOAD(xr + W + i),
                                              OR_V8F_LOAD(xr + 2 * W + i)));
            for (; i + 8 <= W; i += 8) {
                or_v8f acc = ninf;
                for (int64_t r = 0; r < r1 - r0; r++) acc = OR_V8F_MAX(OR_V8F_LOAD(xr + r * W + i), acc);
                OR_V8F_STORE(tm + i, acc);
            }
            if (i < W) { /* the last W - i columns: masked, never past the row */
                or_v8f acc = ninf, v;
                for (int64_t r = 0; r < r1 - r0; r++) {
                    OR_V8F_LOAD_N(v, xr + r * W + i, W - i);
                    acc = OR_V8F_MAX(v, acc);
                }
                OR_V8F_STORE_N(tm + i, acc, W - i);
            }
        }
        for (int64_t q = 0; q < nb; q++) {
            const float *tq = t + q * ld;
            float *yr = y + (oh0 + q) * OW;
            int64_t o = 0;
            if (kw == 3 && sw == 1) /* unrolled */
                for (; o + 8 <= OW; o += 8)
                    OR_V8F_STORE(yr + o, MAX3(OR_V8F_LOAD(tq + o), OR_V8F_LOAD(tq + o + 1),
                                              OR_V8F_LOAD(tq + o + 2)));
            for (; o < OW; o += 8) { /* t has room for the last vector's reads */
                or_v8f acc = ninf;
                for (int64_t j = 0; j < kw; j++) {
                    or_v8f v;
                    if (sw == 1) v = OR_V8F_LOAD(tq + o + j);
                    else OR_V8F_EVEN(v, tq + 2 * o + j);
                    acc = OR_V8F_MAX(v, acc);
                }
                if (o + 8 <= OW) OR_V8F_STORE(yr + o, acc);
                else OR_V8F_STORE_N(yr + o, acc, OW - o);
            }
        }
    }
}

static void pool2d_avg_plane(const pool_params *p, const pool2d_geom *g, const float *x,
                             float *y, float *buf)
{
    const or_window *w = &p->w;
    int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1], ld = g->ld;
    int64_t kh = w->kernel[0], kw = w->kernel[1], sh = w->stride[0], sw = w->stride[1];
    int64_t pt = w->pad_begin[0], pl = w->pad_begin[1], owr = (OW + 7) / 8 * 8;
    float *pad = buf, *rows = pad + (g->rows + 1) * ld, *cols = rows + OH * ld;
    float *cnt = cols + OH * ld;
    /* pad */
    or_row_fill((g->rows + 1) * ld, 0.0f, pad);
    for (int64_t r = 0; r < H; r++) memcpy(pad + (r + pt) * ld + pl, x + r * W, (size_t)W * sizeof *x);
    /* rows: rows[oh] = fold of pad rows oh * sh .. + kh */
    if (sh == 1) {
        pool2d_sum(OH * ld, pad, kh, ld, 1, rows);
    } else {
        for (int64_t oh = 0; oh < OH; oh++)
            pool2d_sum(ld, pad + oh * sh * ld, kh, ld, 1, rows + oh * ld);
    }
    /* cols: cols[oh][ow] = fold of rows[oh][ow * sw .. + kw] */
    if (sw == 1) {
        pool2d_sum((OH - 1) * ld + owr, rows, kw, 1, 1, cols);
    } else {
        for (int64_t oh = 0; oh < OH; oh++)
            pool2d_sum(owr, rows + oh * ld, kw, 1, 2, cols + oh * ld);
    }
    /* taps per column and per row, padding counted or not */
    int64_t span_c = p->count_include_pad ? W + pl + w->pad_end[1] : W;
    int64_t span_r = p->count_include_pad ? H + pt + w->pad_end[0] : H;
    int64_t shift_c = p->count_include_pad ? 0 : pl, shift_r = p->count_include_pad ? 0 : pt;
    for (int64_t ow = 0; ow < OW; ow++) cnt[ow] = (float)taps(kw, span_c, 1, ow * sw - shift_c);
    for (int64_t oh = 0; oh < OH; oh++) {
        float rc = (float)taps(kh, span_r, 1, oh * sh - shift_r);
        const float *c = cols + oh * ld;
        float *yr = y + oh * OW;
        for (int64_t ow = 0; ow < OW; ow++) yr[ow] = (float)((double)c[ow] / ((double)rc * cnt[ow]));
    }
}

typedef struct pool2d_job {
    const pool_params *p;
    pool2d_geom g;
    const float *x;
    float *y, *scratch;
} pool2d_job;

/* Planes [p0, p1) with the scratch slice of worker `part`. */
static void pool2d_planes(void *ctx, int64_t p0, int64_t p1, int part)
{
    const pool2d_job *j = ctx;
    const or_window *w = &j->p->w;
    float *buf = j->scratch + part * j->g.floats;
    if (j->p->kind == POOL_MAX) or_row_fill(j->g.floats, -INFINITY, buf); /* t's padding */
    for (int64_t pl = p0; pl < p1; pl++) {
        const float *x = j->x + pl * w->in_size;
        float *y = j->y + pl * w->out_size;
        if (j->p->kind == POOL_MAX) pool2d_max_plane(j->p, &j->g, x, y, buf);
        else pool2d_avg_plane(j->p, &j->g, x, y, buf);
    }
}

/* Float GlobalAveragePool / GlobalMaxPool of one plane in eight
 * independent lanes (the compiler vectorizes them): one chain of double
 * adds cost 4 cycles an element, resnet50's pool 0.11 ms for 100K floats. */
static float global_plane_f32(int kind, const float *x, int64_t n)
{
    enum { L = 8 };
    double s[L] = { 0 };
    float m[L];
    for (int j = 0; j < L; j++) m[j] = -INFINITY;
    int64_t i = 0;
    if (kind == POOL_AVG) {
        for (; i + L <= n; i += L)
            for (int j = 0; j < L; j++) s[j] += x[i + j];
    } else {
        for (; i + L <= n; i += L)
            for (int j = 0; j < L; j++) m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
    }
    double acc = 0.0;
    float mx = -INFINITY;
    for (int j = 0; j < L; j++) {
        acc += s[j];
        mx = m[j] > mx ? m[j] : mx;
    }
    for (; i < n; i++) {
        acc += x[i];
        mx = x[i] > mx ? x[i] : mx;
    }
    return kind == POOL_AVG ? (float)(acc / (double)n) : mx;
}

/* Global pools (float or double): the whole plane, accumulated in double. */
static void global_plane(const pool_params *p, const void *x, void *y)
{
    int64_t n = p->w.in_size;
    bool f32 = p->dtype == ONNXRUN_FLOAT;
    if (f32 && (p->kind == POOL_AVG || p->kind == POOL_MAX)) {
        *(float *)y = global_plane_f32(p->kind, x, n);
        return;
    }
    double acc = p->kind == POOL_MAX ? -INFINITY : 0.0;
    for (int64_t i = 0; i < n; i++) {
        double v = f32 ? ((const float *)x)[i] : ((const double *)x)[i];
        if (p->kind == POOL_MAX) acc = v > acc ? v : acc;
        else if (p->kind == POOL_AVG) acc += v;
        else acc += p->p == 2.0 ? v * v : pow(fabs(v), p->p);
    }
    if (p->kind == POOL_AVG) acc /= (double)n;
    if (p->kind == POOL_LP) acc = p->p == 2.0 ? sqrt(acc) : pow(acc, 1.0 / p->p);
    if (f32) *(float *)y = (float)acc;
    else *(double *)y = acc;
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
    size_t es = onnxrun_dtype_size(p->dtype);
    for (int64_t pl = b0; pl < b1; pl++)
        if (p->global)
            global_plane(p, (const char *)j->x + (size_t)(pl * p->w.in_size) * es,
                         (char *)j->y + (size_t)pl * es);
        else
            pool_plane(p, pl, (const char *)j->x + (size_t)(pl * p->w.in_size) * es,
                   (char *)j->y + (size_t)(pl * p->w.out_size) * es,
                   j->indices ? j->indices + pl * p->w.out_size : NULL);
}

static or_status pool_run(or_kernel *k)
{
    const pool_params *p = k->params;
    or_tensor *ind = or_out(k, 1);
    pool2d_geom g;
    if (!p->global && !ind && k->scratch && pool2d_geom_of(p, &g)) {
        double work = (double)p->planes * p->w.out_size * (p->w.kernel[0] + p->w.kernel[1]);
        pool2d_job job = { p, g, k->in[0]->data, k->out[0]->data, k->scratch };
        or_parallel_dyn(k, p->planes, work, pool2d_planes, &job);
        return ONNXRUN_OK;
    }
    pool_job job = { p, k->in[0]->data, k->out[0]->data, ind ? ind->data : NULL };
    double work = (double)p->planes * p->w.out_size * p->w.kernel_size;
    or_parallel_for_work(k, p->planes, work, pool_planes, &job);
    return ONNXRUN_OK;
}

/* ---- MaxUnpool ---- */

/*
 * MaxUnpool scatters X into zeros at the flat positions I (MaxPool's
 * Indices, over the whole N x C x spatial tensor). The positions are taken
 * in the shape MaxPool's input must have had, (in - 1) * stride + kernel -
 * pads per axis; an output_shape input may make the output larger, and the
 * values then keep their coordinates (the ONNX reference's reading, which
 * the backend tests follow).
 */
typedef struct unpool_params {
    or_window_attrs attrs;
    int rank;
    int64_t implied[OR_MAX_RANK];    /* shape the indices refer to */
    int64_t implied_size;
} unpool_params;

static or_status unpool_init(or_kernel *k)
{
    unpool_params *p = k->params;
    OR_TRY(or_window_read(k, 0, &p->attrs));
    OR_CHECK(k, p->attrs.n_kernel > 0, "attribute 'kernel_shape' is required");
    OR_CHECK(k, p->attrs.auto_pad == OR_PAD_NOTSET, "attribute 'auto_pad' is not defined");
    return ONNXRUN_OK;
}

static or_status unpool_infer(or_kernel *k)
{
    unpool_params *p = k->params;
    const or_window_attrs *a = &p->attrs;
    const or_tensor *x = or_in(k, 0), *ind = or_in(k, 1);
    OR_CHECK(k, x && ind && or_out(k, 0), "inputs X, I and output Y are required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 3, "input X has rank %d; expected N x C x D1 ...", x->rank);
    int n = x->rank - 2;
    OR_CHECK_SHAPE(k, ind->rank == x->rank, "indices I must have the shape of X");
    for (int i = 0; i < x->rank; i++)
        OR_CHECK_SHAPE(k, ind->dims[i] == x->dims[i], "indices I must have the shape of X");
    OR_CHECK_SHAPE(k, a->n_kernel == (size_t)n && (!a->n_strides || a->n_strides == (size_t)n) &&
                          (!a->n_pads || a->n_pads == 2 * (size_t)n),
                   "kernel_shape, strides and pads must have one value per spatial axis (%d)", n);
    p->rank = x->rank;
    p->implied[0] = x->dims[0];
    p->implied[1] = x->dims[1];
    for (int i = 0; i < n; i++) {
        int64_t s = a->n_strides ? a->strides[i] : 1;
        int64_t pads = a->n_pads ? a->pads[i] + a->pads[n + i] : 0, v;
        /* attribute values are < 2^31 and dims < 2^40: no overflow */
        v = x->dims[2 + i] == 0 ? 0 : (x->dims[2 + i] - 1) * s + a->kernel[i] - pads;
        OR_CHECK_SHAPE(k, v >= 0, "pads leave no output on spatial axis %d", i);
        p->implied[2 + i] = v;
    }
    int64_t numel;
    if (!or_shape_numel(p->rank, p->implied, x->dtype, &numel))
        return or_fail(k, ONNXRUN_E_LIMIT, "output shape is too large");
    p->implied_size = numel;
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, p->implied, sizeof dims);
    if (or_in(k, 2)) {
        size_t cnt;
        OR_TRY(or_known_ints(k, 2, OR_MAX_RANK, dims, &cnt));
        OR_CHECK_SHAPE(k, cnt == (size_t)p->rank, "output_shape has %zu values for rank %d",
                       cnt, p->rank);
        for (int i = 0; i < p->rank; i++)
            OR_CHECK_SHAPE(k, dims[i] >= p->implied[i],
                           "output_shape[%d] = %lld is smaller than the unpooled size %lld", i,
                           (long long)dims[i], (long long)p->implied[i]);
    }
    return or_set_shape(k, or_out(k, 0), x->dtype, p->rank, dims);
}

static or_status unpool_run(or_kernel *k)
{
    const unpool_params *p = k->params;
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    const int64_t *ind = k->in[1]->data;
    size_t es = onnxrun_dtype_size(x->dtype);
    memset(y->data, 0, or_nbytes(y));
    int64_t n = or_numel(x);
    for (int64_t j = 0; j < n; j++) {
        int64_t at = ind[j], c[OR_MAX_RANK], o = 0;
        if (at < 0 || at >= p->implied_size)
            return or_fail(k, ONNXRUN_E_RUNTIME, "index I[%lld] = %lld is out of range [0, %lld)",
                           (long long)j, (long long)at, (long long)p->implied_size);
        for (int i = p->rank - 1; i >= 0; i--) {
            c[i] = at % p->implied[i];
            at /= p->implied[i];
        }
        for (int i = 0; i < p->rank; i++) o = o * y->dims[i] + c[i];
        memcpy((char *)y->data + (size_t)o * es, (const char *)x->data + (size_t)j * es, es);
    }
    return ONNXRUN_OK;
}

#define POOL(name, since) \
    OR_OP(name, since, .params_size = sizeof(pool_params), .init = pool_init, \
          .infer = pool_infer, .run = pool_run)
#define UNPOOL(since) \
    OR_OP("MaxUnpool", since, .params_size = sizeof(unpool_params), .init = unpool_init, \
          .infer = unpool_infer, .run = unpool_run)

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
    UNPOOL(9), UNPOOL(11), UNPOOL(22),
};
OR_OP_TABLE_END(pool);
