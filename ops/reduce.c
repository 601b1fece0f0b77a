/*
 * reduce.c - reductions over axes (ReduceSum, ReduceMean, ReduceMax,
 * ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp,
 * ReduceSumSquare), index reductions over one axis (ArgMax, ArgMin), the
 * running sum along one axis (CumSum) and the selection of the k extreme
 * elements along one (TopK).
 *
 * One walk serves every reduction: infer merges adjacent dims that are all
 * reduced or all kept (dropping dims of size 1), and run visits the input
 * once in memory order, folding each element into an accumulator per
 * output element (double for float types, int64 for integer types) found
 * by an odometer over the merged dims. A final pass turns accumulators
 * into outputs (mean, sqrt, log). LogSumExp walks twice (max, then the sum
 * of exp(x - max)).
 *
 * Axes: attribute before opset 13 (ReduceSum) / 18 (the others), then an
 * optional input that must be known at infer time; empty axes reduce all
 * dims unless noop_with_empty_axes=1 (then the op copies its input).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* ---- the reduction kinds ---- */

typedef enum rkind {
    R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQUARE,
    R_KIND_COUNT
} rkind;

/* How an element is folded into an accumulator. */
typedef enum rstep { S_ADD, S_ADD_ABS, S_ADD_SQUARE, S_ADD_EXP, S_MUL, S_MAX, S_MIN } rstep;

/* What is done to an accumulator at the end. */
typedef enum rpost { P_NONE, P_DIV, P_SQRT, P_LOG, P_LOGSUMEXP } rpost;

static const struct rinfo {
    const char *op_type;
    rstep step;
    rpost post;
    bool ints;           /* integer inputs allowed */
    int axes_input;      /* first opset taking axes as an input */
} rinfo[] = {
    [R_SUM] = { "ReduceSum", S_ADD, P_NONE, true, 13 },
    [R_MEAN] = { "ReduceMean", S_ADD, P_DIV, true, 18 },
    [R_MAX] = { "ReduceMax", S_MAX, P_NONE, true, 18 },
    [R_MIN] = { "ReduceMin", S_MIN, P_NONE, true, 18 },
    [R_PROD] = { "ReduceProd", S_MUL, P_NONE, true, 18 },
    [R_L1] = { "ReduceL1", S_ADD_ABS, P_NONE, true, 18 },
    [R_L2] = { "ReduceL2", S_ADD_SQUARE, P_SQRT, false, 18 },
    [R_LOGSUM] = { "ReduceLogSum", S_ADD, P_LOG, false, 18 },
    [R_LOGSUMEXP] = { "ReduceLogSumExp", S_ADD_EXP, P_LOGSUMEXP, false, 18 },
    [R_SUMSQUARE] = { "ReduceSumSquare", S_ADD_SQUARE, P_NONE, true, 18 },
};
_Static_assert(sizeof rinfo / sizeof rinfo[0] == R_KIND_COUNT, "rinfo covers every kind");

typedef struct reduce_params {
    rkind kind;
    bool keepdims, noop_empty;
    size_t n_axes_attr;
    int64_t axes_attr[OR_MAX_RANK];
    /* set by infer */
    bool identity;                  /* no axis reduced: copy the input */
    int m;                          /* merged dims */
    int64_t dims[OR_MAX_RANK];      /* merged dims of the input */
    bool red[OR_MAX_RANK];          /* merged dim i is reduced */
    int64_t ostride[OR_MAX_RANK];   /* output stride of merged dim i (0 when reduced) */
    int64_t count;                  /* input elements per output element */
    int64_t n_out;
} reduce_params;

static or_status reduce_init(or_kernel *k)
{
    reduce_params *p = k->params;
    p->kind = R_KIND_COUNT;
    for (int i = 0; i < R_KIND_COUNT; i++)
        if (strcmp(k->def->op_type, rinfo[i].op_type) == 0) p->kind = (rkind)i;
    OR_CHECK(k, p->kind != R_KIND_COUNT, "not a reduction");
    int64_t keep, noop = 0;
    OR_TRY(or_attr_int(k, "keepdims", 1, &keep));
    if (k->def->since >= rinfo[p->kind].axes_input) {
        OR_TRY(or_attr_int(k, "noop_with_empty_axes", 0, &noop));
        OR_CHECK(k, !or_attr_has(k, "axes"), "axes is an input from opset %d, not an attribute",
                 rinfo[p->kind].axes_input);
    } else {
        OR_TRY(or_attr_ints(k, "axes", OR_MAX_RANK, p->axes_attr, &p->n_axes_attr));
    }
    p->keepdims = keep != 0;
    p->noop_empty = noop != 0;
    return ONNXRUN_OK;
}

static bool is_int(onnxrun_dtype dt)
{
    return dt == ONNXRUN_INT32 || dt == ONNXRUN_INT64 || dt == ONNXRUN_INT8 || dt == ONNXRUN_UINT8;
}

static or_status reduce_infer(or_kernel *k)
{
    reduce_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input data is missing");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_INT32, ONNXRUN_INT64,
                          ONNXRUN_INT8, ONNXRUN_UINT8, ONNXRUN_UNDEFINED));
    OR_CHECK_TYPE(k, !is_int(x->dtype) || rinfo[p->kind].ints, "type %s is not supported",
                  onnxrun_dtype_name(x->dtype));

    int64_t axes[OR_MAX_RANK];
    size_t n_axes = p->n_axes_attr;
    memcpy(axes, p->axes_attr, sizeof axes);
    if (k->def->since >= rinfo[p->kind].axes_input && or_in(k, 1)) {
        if (or_numel(or_in(k, 1)) > 0) OR_TRY(or_known_ints(k, 1, OR_MAX_RANK, axes, &n_axes));
        else n_axes = 0; /* an empty axes tensor needs no data */
    }

    bool red[OR_MAX_RANK] = { false };
    for (size_t i = 0; i < n_axes; i++) {
        int a;
        OR_TRY(or_axis(k, axes[i], x->rank, &a));
        OR_CHECK(k, !red[a], "axis %lld is listed twice", (long long)axes[i]);
        red[a] = true;
    }
    p->identity = n_axes == 0 && p->noop_empty;
    if (n_axes == 0 && !p->noop_empty)
        for (int i = 0; i < x->rank; i++) red[i] = true;
    if (p->identity) return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);

    /* output shape; merged dims (size-1 dims dropped, like neighbours joined) */
    int64_t odims[OR_MAX_RANK];
    int orank = 0;
    p->m = 0;
    p->count = 1;
    p->n_out = 1;
    for (int i = 0; i < x->rank; i++) {
        int64_t d = x->dims[i];
        if (red[i]) p->count *= d;
        else p->n_out *= d;
        if (!red[i] || p->keepdims) odims[orank++] = red[i] ? 1 : d;
        if (d == 1) continue;
        if (p->m > 0 && p->red[p->m - 1] == red[i]) {
            p->dims[p->m - 1] *= d;
        } else {
            p->dims[p->m] = d;
            p->red[p->m++] = red[i];
        }
    }
    if (p->m == 0) { /* one element: a reduction of one */
        p->dims[0] = 1;
        p->red[p->m++] = true;
    }
    int64_t acc = 1;
    for (int i = p->m - 1; i >= 0; i--) {
        p->ostride[i] = p->red[i] ? 0 : acc;
        if (!p->red[i]) acc *= p->dims[i];
    }
    size_t per = p->kind == R_LOGSUMEXP ? 2 : 1;
    k->scratch_bytes = per * (size_t)p->n_out * sizeof(double);
    return or_set_shape(k, or_out(k, 0), x->dtype, orank, odims);
}

/* Arithmetic of the accumulators: plain for double; for int64 through
 * uint64, so that overflow wraps (like the element type would) instead of
 * being undefined. */
#define F_ADD(a, b) ((a) + (b))
#define F_MUL(a, b) ((a) * (b))
#define F_ABS(v) fabs(v)
#define I_ADD(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))
#define I_MUL(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))
#define I_ABS(v) ((v) < 0 ? (int64_t)(0 - (uint64_t)(v)) : (v))

/* One step of folding v into a, both of type ACC (aux: the max for
 * S_ADD_EXP). NaN propagates through max and min. */
#define STEP(ACC, ADD, MUL, ABS, s, a, v, aux) \
    ((s) == S_ADD ? ADD(a, v) \
     : (s) == S_ADD_ABS ? ADD(a, ABS(v)) \
     : (s) == S_ADD_SQUARE ? ADD(a, MUL(v, v)) \
     : (s) == S_ADD_EXP ? ADD(a, (ACC)exp((double)(v) - (double)(aux))) \
     : (s) == S_MUL ? MUL(a, v) \
     : (s) == S_MAX ? ((v) > (a) || (v) != (v) ? (v) : (a)) \
     : ((v) < (a) || (v) != (v) ? (v) : (a)))

/* Defines NAME(p, step, x, numel, acc, aux): folds x[0..numel) (type T) into
 * acc[n_out] (type ACC with arithmetic ADD, MUL, ABS), visiting x in memory
 * order. */
#define DEFINE_WALK(NAME, T, ACC, ADD, MUL, ABS) \
    static void NAME(const reduce_params *p, rstep s, const T *x, int64_t numel, ACC *acc, \
                     const ACC *aux) \
    { \
        int m = p->m; \
        int64_t inner = p->dims[m - 1], idx[OR_MAX_RANK] = { 0 }, o = 0; \
        for (int64_t r = 0; r < numel; r += inner) { \
            const T *xr = x + r; \
            if (p->red[m - 1]) { \
                ACC a = acc[o], mx = aux ? aux[o] : 0; \
                for (int64_t j = 0; j < inner; j++) \
                    a = (ACC)STEP(ACC, ADD, MUL, ABS, s, a, (ACC)xr[j], mx); \
                acc[o] = a; \
            } else { \
                for (int64_t j = 0; j < inner; j++) \
                    acc[o + j] = \
                        (ACC)STEP(ACC, ADD, MUL, ABS, s, acc[o + j], (ACC)xr[j], aux ? aux[o + j] : 0); \
            } \
            for (int i = m - 2; i >= 0; i--) { \
                o += p->ostride[i]; \
                if (++idx[i] < p->dims[i]) break; \
                o -= p->ostride[i] * idx[i]; \
                idx[i] = 0; \
            } \
        } \
    }

DEFINE_WALK(walk_f32, float, double, F_ADD, F_MUL, F_ABS)
DEFINE_WALK(walk_f64, double, double, F_ADD, F_MUL, F_ABS)
DEFINE_WALK(walk_i32, int32_t, int64_t, I_ADD, I_MUL, I_ABS)
DEFINE_WALK(walk_i64, int64_t, int64_t, I_ADD, I_MUL, I_ABS)
DEFINE_WALK(walk_i8, int8_t, int64_t, I_ADD, I_MUL, I_ABS)
DEFINE_WALK(walk_u8, uint8_t, int64_t, I_ADD, I_MUL, I_ABS)

static void walk_float(const reduce_params *p, rstep s, const or_tensor *x, double *acc,
                       const double *aux)
{
    if (x->dtype == ONNXRUN_FLOAT) walk_f32(p, s, x->data, or_numel(x), acc, aux);
    else walk_f64(p, s, x->data, or_numel(x), acc, aux);
}

static void walk_int(const reduce_params *p, rstep s, const or_tensor *x, int64_t *acc)
{
    int64_t n = or_numel(x);
    switch (x->dtype) {
    case ONNXRUN_INT32: walk_i32(p, s, x->data, n, acc, NULL); break;
    case ONNXRUN_INT64: walk_i64(p, s, x->data, n, acc, NULL); break;
    case ONNXRUN_INT8: walk_i8(p, s, x->data, n, acc, NULL); break;
    default: walk_u8(p, s, x->data, n, acc, NULL); break;
    }
}

static double float_identity(rstep s)
{
    return s == S_MUL ? 1 : s == S_MAX ? -INFINITY : s == S_MIN ? INFINITY : 0;
}

static int64_t int_identity(rstep s, onnxrun_dtype dt)
{
    int64_t lo = dt == ONNXRUN_INT32 ? INT32_MIN : dt == ONNXRUN_INT8 ? INT8_MIN
               : dt == ONNXRUN_UINT8 ? 0 : INT64_MIN;
    int64_t hi = dt == ONNXRUN_INT32 ? INT32_MAX : dt == ONNXRUN_INT8 ? INT8_MAX
               : dt == ONNXRUN_UINT8 ? UINT8_MAX : INT64_MAX;
    return s == S_MUL ? 1 : s == S_MAX ? lo : s == S_MIN ? hi : 0;
}

static or_status reduce_float(const reduce_params *p, const or_tensor *x, or_tensor *y,
                              double *acc)
{
    const struct rinfo *ri = &rinfo[p->kind];
    double *mx = acc ? acc + p->n_out : NULL; /* no scratch when the output is empty */
    bool walk = or_numel(x) > 0;
    if (ri->post == P_LOGSUMEXP) { /* pass 1: max, kept in mx */
        for (int64_t i = 0; i < p->n_out; i++) mx[i] = -INFINITY;
        if (walk) walk_float(p, S_MAX, x, mx, NULL);
    }
    for (int64_t i = 0; i < p->n_out; i++) acc[i] = float_identity(ri->step);
    if (walk) walk_float(p, ri->step, x, acc, ri->post == P_LOGSUMEXP ? mx : NULL);
    for (int64_t i = 0; i < p->n_out; i++) {
        double v = acc[i];
        switch (ri->post) {
        case P_NONE: break;
        case P_DIV: v = v / (double)p->count; break;
        case P_SQRT: v = sqrt(v); break;
        case P_LOG: v = log(v); break;
        case P_LOGSUMEXP: v = isfinite(mx[i]) ? mx[i] + log(v) : mx[i]; break;
        }
        if (y->dtype == ONNXRUN_FLOAT) ((float *)y->data)[i] = (float)v;
        else ((double *)y->data)[i] = v;
    }
    return ONNXRUN_OK;
}

static or_status reduce_int(const reduce_params *p, const or_tensor *x, or_tensor *y,
                            int64_t *acc)
{
    const struct rinfo *ri = &rinfo[p->kind];
    for (int64_t i = 0; i < p->n_out; i++) acc[i] = int_identity(ri->step, x->dtype);
    if (or_numel(x) > 0) walk_int(p, ri->step, x, acc);
    for (int64_t i = 0; i < p->n_out; i++) {
        int64_t v = acc[i];
        if (ri->post == P_DIV) v = p->count ? v / p->count : 0;
        switch (y->dtype) { /* wraps like the type's own arithmetic */
        case ONNXRUN_INT32: ((int32_t *)y->data)[i] = (int32_t)v; break;
        case ONNXRUN_INT64: ((int64_t *)y->data)[i] = v; break;
        case ONNXRUN_INT8: ((int8_t *)y->data)[i] = (int8_t)v; break;
        default: ((uint8_t *)y->data)[i] = (uint8_t)v; break;
        }
    }
    return ONNXRUN_OK;
}

static or_status reduce_run(or_kernel *k)
{
    const reduce_params *p = k->params;
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    if (p->identity) {
        if (y->data != x->data) memcpy(y->data, x->data, or_nbytes(x));
        return ONNXRUN_OK;
    }
    if (is_int(x->dtype)) return reduce_int(p, x, y, k->scratch);
    return reduce_float(p, x, y, k->scratch);
}

/* ---- ArgMax, ArgMin ---- */

typedef struct arg_params {
    bool is_max, keepdims, last;
    int64_t axis_attr;
    int64_t outer, n, inner;   /* set by infer: x viewed as [outer, n, inner] */
} arg_params;

static or_status arg_init(or_kernel *k)
{
    arg_params *p = k->params;
    int64_t keep, last = 0;
    p->is_max = strcmp(k->def->op_type, "ArgMax") == 0;
    OR_TRY(or_attr_int(k, "axis", 0, &p->axis_attr));
    OR_TRY(or_attr_int(k, "keepdims", 1, &keep));
    if (k->def->since >= 12) OR_TRY(or_attr_int(k, "select_last_index", 0, &last));
    p->keepdims = keep != 0;
    p->last = last != 0;
    return ONNXRUN_OK;
}

static or_status arg_infer(or_kernel *k)
{
    arg_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input data is missing");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_INT32, ONNXRUN_INT64,
                          ONNXRUN_INT8, ONNXRUN_UINT8, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 1, "input must have rank >= 1");
    int axis, orank = 0;
    OR_TRY(or_axis(k, p->axis_attr, x->rank, &axis));
    int64_t odims[OR_MAX_RANK];
    p->outer = p->inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis) p->outer *= x->dims[i];
        if (i > axis) p->inner *= x->dims[i];
        if (i != axis || p->keepdims) odims[orank++] = i == axis ? 1 : x->dims[i];
    }
    p->n = x->dims[axis];
    OR_CHECK_SHAPE(k, p->n > 0 || p->outer * p->inner == 0,
                   "cannot take the index of an extreme over an empty axis %d", axis);
    return or_set_shape(k, or_out(k, 0), ONNXRUN_INT64, orank, odims);
}

/* Defines NAME(p, x, y): y[outer, inner] = index along n of the extreme. */
#define DEFINE_ARG(NAME, T) \
    static void NAME(const arg_params *p, const T *x, int64_t *y) \
    { \
        for (int64_t o = 0; o < p->outer; o++) { \
            const T *xo = x + o * p->n * p->inner; \
            int64_t *yo = y + o * p->inner; \
            for (int64_t i = 0; i < p->inner; i++) yo[i] = 0; \
            for (int64_t j = 1; j < p->n; j++) { \
                const T *xr = xo + j * p->inner; \
                for (int64_t i = 0; i < p->inner; i++) { \
                    T v = xr[i], b = xo[yo[i] * p->inner + i]; \
                    bool better = p->is_max ? (p->last ? v >= b : v > b) \
                                            : (p->last ? v <= b : v < b); \
                    if (better) yo[i] = j; \
                } \
            } \
        } \
    }

DEFINE_ARG(arg_f32, float)
DEFINE_ARG(arg_f64, double)
DEFINE_ARG(arg_i32, int32_t)
DEFINE_ARG(arg_i64, int64_t)
DEFINE_ARG(arg_i8, int8_t)
DEFINE_ARG(arg_u8, uint8_t)

static or_status arg_run(or_kernel *k)
{
    const arg_params *p = k->params;
    const or_tensor *x = k->in[0];
    int64_t *y = k->out[0]->data;
    if (p->n == 0) return ONNXRUN_OK; /* then the output is empty */
    switch (x->dtype) {
    case ONNXRUN_FLOAT: arg_f32(p, x->data, y); break;
    case ONNXRUN_DOUBLE: arg_f64(p, x->data, y); break;
    case ONNXRUN_INT32: arg_i32(p, x->data, y); break;
    case ONNXRUN_INT64: arg_i64(p, x->data, y); break;
    case ONNXRUN_INT8: arg_i8(p, x->data, y); break;
    default: arg_u8(p, x->data, y); break;
    }
    return ONNXRUN_OK;
}

/* ---- CumSum ---- */

/*
 * CumSum: y[.., j, ..] = the sum of x[.., t, ..] along axis (input 1, a
 * scalar read at run) for t <= j (t < j with exclusive=1; t >= j, t > j
 * with reverse=1). Each output row along the axis is the row before it
 * plus one input row, in the element type (as the reference's numpy
 * cumsum), so the inner loops run over contiguous rows; integers wrap.
 */
typedef struct cumsum_params {
    bool exclusive, reverse;
} cumsum_params;

static or_status cumsum_init(or_kernel *k)
{
    cumsum_params *p = k->params;
    int64_t ex, rev;
    OR_TRY(or_attr_int(k, "exclusive", 0, &ex));
    OR_TRY(or_attr_int(k, "reverse", 0, &rev));
    OR_CHECK(k, (ex == 0 || ex == 1) && (rev == 0 || rev == 1), "exclusive and reverse must be 0 or 1");
    p->exclusive = ex == 1;
    p->reverse = rev == 1;
    return ONNXRUN_OK;
}

static or_status cumsum_infer(or_kernel *k)
{
    const or_tensor *x = or_in(k, 0), *ax = or_in(k, 1);
    OR_CHECK(k, x && ax, "inputs x and axis are required");
    onnxrun_dtype t = x->dtype;
    OR_CHECK_TYPE(k, t == ONNXRUN_FLOAT || t == ONNXRUN_DOUBLE || t == ONNXRUN_INT32 ||
                         t == ONNXRUN_INT64 || t == ONNXRUN_UINT32 || t == ONNXRUN_UINT64,
                  "CumSum of %s is not supported", onnxrun_dtype_name(t));
    OR_CHECK_SHAPE(k, (ax->dtype == ONNXRUN_INT32 || ax->dtype == ONNXRUN_INT64) && or_numel(ax) == 1,
                   "axis must be one int32 or int64 value");
    OR_CHECK_SHAPE(k, x->rank >= 1, "input is a scalar; CumSum needs an axis");
    return or_set_shape(k, k->out[0], t, x->rank, x->dims);
}

/* rows [0, n) of `inner` elements along the axis, for one outer index */
#define CUMSUM_ROWS(T, UT)                                                            \
    do {                                                                              \
        const T *xs = (const T *)x->data + o * n * inner;                            \
        T *ys = (T *)y->data + o * n * inner;                                         \
        for (int64_t t = 0; t < n; t++) {                                             \
            int64_t j = p->reverse ? n - 1 - t : t, prev = p->reverse ? j + 1 : j - 1; \
            T *yr = ys + j * inner;                                                   \
            const T *xr = xs + (p->exclusive ? prev : j) * inner, *yp = ys + prev * inner; \
            if (t == 0 && p->exclusive)                                               \
                for (int64_t i = 0; i < inner; i++) yr[i] = 0;                        \
            else if (t == 0)                                                          \
                for (int64_t i = 0; i < inner; i++) yr[i] = xr[i];                    \
            else                                                                      \
                for (int64_t i = 0; i < inner; i++) yr[i] = (T)((UT)yp[i] + (UT)xr[i]); \
        }                                                                             \
    } while (0)

static or_status cumsum_run(or_kernel *k)
{
    const cumsum_params *p = k->params;
    const or_tensor *x = k->in[0], *ax = k->in[1];
    or_tensor *y = k->out[0];
    int64_t axis = ax->dtype == ONNXRUN_INT32 ? *(const int32_t *)ax->data : *(const int64_t *)ax->data;
    int a;
    OR_CHECK(k, axis >= -(int64_t)x->rank && axis < x->rank, "axis %lld is out of range for rank %d",
             (long long)axis, x->rank);
    OR_TRY(or_axis(k, axis, x->rank, &a));
    int64_t outer = 1, n = x->dims[a], inner = 1;
    for (int d = 0; d < a; d++) outer *= x->dims[d];
    for (int d = a + 1; d < x->rank; d++) inner *= x->dims[d];
    for (int64_t o = 0; o < outer && n > 0 && inner > 0; o++) {
        switch (x->dtype) {
        case ONNXRUN_FLOAT: CUMSUM_ROWS(float, float); break;
        case ONNXRUN_DOUBLE: CUMSUM_ROWS(double, double); break;
        case ONNXRUN_INT32: CUMSUM_ROWS(int32_t, uint32_t); break;
        case ONNXRUN_UINT32: CUMSUM_ROWS(uint32_t, uint32_t); break;
        case ONNXRUN_INT64: CUMSUM_ROWS(int64_t, uint64_t); break;
        case ONNXRUN_UINT64: CUMSUM_ROWS(uint64_t, uint64_t); break;
        default: break;
        }
    }
    return ONNXRUN_OK;
}

/* ---- TopK ---- */

/*
 * TopK: the k largest (or smallest) elements along an axis and their
 * indices (int64), sorted, ties to the lower index, NaN above every number
 * (as numpy's sort). k is an attribute before opset 10, then input 1,
 * which must be known at infer (it decides the output shape). Each lane of
 * the [outer, n, inner] view is copied into scratch as (key, index) pairs
 * and sorted with qsort; integers keep exact int64 keys.
 */
typedef struct topk_params {
    int64_t axis, k;
    bool largest;
    int64_t outer, n, inner;   /* infer */
} topk_params;

typedef struct topk_item {
    double f;      /* float types */
    int64_t i;     /* integer types */
    int64_t at;    /* index along the axis */
} topk_item;

static int topk_order(int c, const topk_item *x, const topk_item *y)
{
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* NaN ranks above every number */
static int cmp_f(const topk_item *x, const topk_item *y)
{
    bool nx = x->f != x->f, ny = y->f != y->f;
    if (nx || ny) return (int)nx - (int)ny;
    return (x->f > y->f) - (x->f < y->f);
}

static int topk_f_desc(const void *a, const void *b) { return topk_order(-cmp_f(a, b), a, b); }
static int topk_f_asc(const void *a, const void *b) { return topk_order(cmp_f(a, b), a, b); }
static int cmp_i(const topk_item *x, const topk_item *y) { return (x->i > y->i) - (x->i < y->i); }
static int topk_i_desc(const void *a, const void *b) { return topk_order(-cmp_i(a, b), a, b); }
static int topk_i_asc(const void *a, const void *b) { return topk_order(cmp_i(a, b), a, b); }

static or_status topk_init(or_kernel *k)
{
    topk_params *p = k->params;
    int64_t largest = 1, sorted = 1;
    OR_TRY(or_attr_int(k, "axis", -1, &p->axis));
    if (k->def->since >= 11) {
        OR_TRY(or_attr_int(k, "largest", 1, &largest));
        OR_TRY(or_attr_int(k, "sorted", 1, &sorted)); /* unsorted output may be in any order: sorted */
    }
    p->largest = largest != 0;
    if (k->def->since < 10) {
        OR_CHECK(k, or_attr_has(k, "k"), "attribute 'k' is required");
        OR_TRY(or_attr_int(k, "k", 0, &p->k));
    }
    return ONNXRUN_OK;
}

static or_status topk_infer(or_kernel *k)
{
    topk_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input X is missing");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_INT8, ONNXRUN_INT16,
                          ONNXRUN_INT32, ONNXRUN_INT64, ONNXRUN_UINT8, ONNXRUN_UINT16, ONNXRUN_UINT32,
                          ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 1, "input must have rank >= 1");
    if (k->def->since >= 10) {
        int64_t kv[1];
        size_t n;
        OR_CHECK(k, or_in(k, 1), "input K is missing");
        OR_TRY(or_known_ints(k, 1, 1, kv, &n));
        OR_CHECK_SHAPE(k, n == 1, "K must hold one value");
        p->k = kv[0];
    }
    int ax;
    OR_TRY(or_axis(k, p->axis, x->rank, &ax));
    p->n = x->dims[ax];
    OR_CHECK(k, p->k >= 0 && p->k <= p->n, "k = %lld is outside [0, %lld] (the axis' size)",
             (long long)p->k, (long long)p->n);
    p->outer = p->inner = 1;
    int64_t dims[OR_MAX_RANK];
    for (int a = 0; a < x->rank; a++) {
        if (a < ax) p->outer *= x->dims[a];
        if (a > ax) p->inner *= x->dims[a];
        dims[a] = a == ax ? p->k : x->dims[a];
    }
    k->scratch_bytes = (size_t)p->n * sizeof(topk_item);
    OR_TRY(or_set_shape(k, k->out[0], x->dtype, x->rank, dims));
    if (or_out(k, 1)) OR_TRY(or_set_shape(k, k->out[1], ONNXRUN_INT64, x->rank, dims));
    return ONNXRUN_OK;
}

static or_status topk_run(or_kernel *k)
{
    const topk_params *p = k->params;
    const or_tensor *x = k->in[0];
    onnxrun_dtype dt = x->dtype;
    size_t es = onnxrun_dtype_size(dt);
    bool fl = dt == ONNXRUN_FLOAT || dt == ONNXRUN_DOUBLE;
    int (*cmp)(const void *, const void *) = fl ? (p->largest ? topk_f_desc : topk_f_asc)
                                                : (p->largest ? topk_i_desc : topk_i_asc);
    topk_item *it = k->scratch;
    char *yv = k->out[0]->data;
    int64_t *yi = or_out(k, 1) ? k->out[1]->data : NULL;
    if (p->k == 0) return ONNXRUN_OK;
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t i = 0; i < p->inner; i++) {
            int64_t base = o * p->n * p->inner + i;
            for (int64_t j = 0; j < p->n; j++) {
                double v = or_load_f64(x->data, dt, base + j * p->inner);
                it[j].f = v;
                it[j].i = fl ? 0 : dt == ONNXRUN_INT64 ? ((const int64_t *)x->data)[base + j * p->inner] : (int64_t)v;
                it[j].at = j;
            }
            qsort(it, (size_t)p->n, sizeof *it, cmp);
            for (int64_t j = 0; j < p->k; j++) {
                int64_t out = (o * p->k + j) * p->inner + i;
                memcpy(yv + (size_t)out * es, (const char *)x->data + (size_t)(base + it[j].at * p->inner) * es, es);
                if (yi) yi[out] = it[j].at;
            }
        }
    return ONNXRUN_OK;
}

#define REDUCE(op, since) \
    OR_OP(op, since, .params_size = sizeof(reduce_params), .init = reduce_init, \
          .infer = reduce_infer, .run = reduce_run)
#define ARG(op, since) \
    OR_OP(op, since, .params_size = sizeof(arg_params), .init = arg_init, .infer = arg_infer, \
          .run = arg_run)

OR_OP_TABLE(reduce) = {
    /* axes attribute, then (13 for ReduceSum, 18 for the others) an axes input */
    REDUCE("ReduceSum", 1), REDUCE("ReduceSum", 13),
    REDUCE("ReduceMean", 1), REDUCE("ReduceMean", 18),
    REDUCE("ReduceMax", 1), REDUCE("ReduceMax", 18),
    REDUCE("ReduceMin", 1), REDUCE("ReduceMin", 18),
    REDUCE("ReduceProd", 1), REDUCE("ReduceProd", 18),
    REDUCE("ReduceL1", 1), REDUCE("ReduceL1", 18),
    REDUCE("ReduceL2", 1), REDUCE("ReduceL2", 18),
    REDUCE("ReduceLogSum", 1), REDUCE("ReduceLogSum", 18),
    REDUCE("ReduceLogSumExp", 1), REDUCE("ReduceLogSumExp", 18),
    REDUCE("ReduceSumSquare", 1), REDUCE("ReduceSumSquare", 18),
    ARG("ArgMax", 1), ARG("ArgMax", 12),  /* 12: select_last_index */
    ARG("ArgMin", 1), ARG("ArgMin", 12),
    OR_OP("CumSum", 11, .params_size = sizeof(cumsum_params), .init = cumsum_init,
          .infer = cumsum_infer, .run = cumsum_run),
#define TOPK(since) \
    OR_OP("TopK", since, .params_size = sizeof(topk_params), .init = topk_init, .infer = topk_infer, \
          .run = topk_run)
    TOPK(1), TOPK(10), TOPK(11),
};
OR_OP_TABLE_END(reduce);
