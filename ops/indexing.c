/*
 * indexing.c - ops addressed by index tensors: Gather, GatherElements,
 * GatherND, ScatterElements (Scatter: its name at opsets 9-10), ScatterND
 * and OneHot.
 *
 * Indices are data, read at run: int32 or int64 (OneHot: any number type,
 * cast to int64). A negative index counts from the end of its axis; one
 * outside [-n, n) fails with ONNXRUN_E_RUNTIME naming it (OneHot's give an
 * all-off row instead, as the spec says). Gathers and reduction-free
 * scatters move elements by their byte size, so one kernel serves every
 * dtype; the scatter reductions (add, mul, max, min) are typed, integers
 * wrapping as in two's complement.
 *
 * A scatter copies data into its output (unless the planner gave the
 * output data's own buffer: OR_OP_INPLACE), then applies the updates in
 * index order: with repeated indices the last update wins (reduction none,
 * which the spec leaves unspecified) or every update folds in.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

typedef enum scatter_red { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } scatter_red;

/* The index tuples' geometry: batch_dims b leading dims shared by data and
 * indices, tuples of kl indices into data's next axes. */
typedef struct nd_geom {
    int b, kl;
    int64_t batches;   /* product of the batch dims */
    int64_t tuples;    /* tuples per batch */
    int64_t slice;     /* elements of data per tuple (its trailing dims) */
    int64_t batch;     /* elements of data per batch */
} nd_geom;

typedef struct index_params {
    int64_t axis;          /* attribute (Gather*, Scatter*, OneHot) */
    int ax;                /* resolved at infer */
    int64_t batch_dims;    /* GatherND */
    scatter_red red;       /* ScatterElements, ScatterND */
    int64_t depth;         /* OneHot: known at infer */
    nd_geom nd;            /* GatherND, ScatterND: set at infer */
} index_params;

/* ---- shared helpers ---- */

/* Index j of an int32 or int64 tensor. */
static int64_t index_at(const or_tensor *t, int64_t j)
{
    return t->dtype == ONNXRUN_INT32 ? ((const int32_t *)t->data)[j] : ((const int64_t *)t->data)[j];
}

/* Index j of ind for an axis of size n, made non-negative; fails when it
 * lies outside [-n, n). */
static or_status checked_index(or_kernel *k, const or_tensor *ind, int64_t j, int64_t n,
                               int64_t *out)
{
    int64_t v = index_at(ind, j);
    if (v < -n || v >= n)
        return or_fail(k, ONNXRUN_E_RUNTIME, "index %lld is out of range for an axis of size %lld",
                       (long long)v, (long long)n);
    *out = v < 0 ? v + n : v;
    return ONNXRUN_OK;
}

/* The data input and int32/int64 indices (inputs 0 and 1). */
static or_status data_and_indices(or_kernel *k, const or_tensor **x, const or_tensor **ind)
{
    OR_TRY(or_need_input(k, 0, x));
    OR_TRY(or_need_input(k, 1, ind));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_INT32, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, (*x)->rank >= 1, "data must have rank >= 1");
    return ONNXRUN_OK;
}

static or_status axis_init(or_kernel *k)
{
    index_params *p = k->params;
    return or_attr_int(k, "axis", 0, &p->axis);
}

/* ---- Gather ---- */

static or_status gather_infer(or_kernel *k)
{
    index_params *p = k->params;
    const or_tensor *x, *ind;
    OR_TRY(data_and_indices(k, &x, &ind));
    OR_TRY(or_axis(k, p->axis, x->rank, &p->ax));
    int r = x->rank, q = ind->rank, ro = r - 1 + q;
    int64_t dims[OR_MAX_RANK];
    OR_CHECK_TYPE(k, ro <= OR_MAX_RANK, "output rank %d exceeds the maximum %d", ro, OR_MAX_RANK);
    memcpy(dims, x->dims, (size_t)p->ax * sizeof dims[0]);
    memcpy(dims + p->ax, ind->dims, (size_t)q * sizeof dims[0]);
    memcpy(dims + p->ax + q, x->dims + p->ax + 1, (size_t)(r - 1 - p->ax) * sizeof dims[0]);
    return or_set_shape(k, k->out[0], x->dtype, ro, dims);
}

static or_status gather_run(or_kernel *k)
{
    const index_params *p = k->params;
    const or_tensor *x = k->in[0], *ind = k->in[1];
    size_t es = onnxrun_dtype_size(x->dtype);
    int64_t n = x->dims[p->ax], m = or_numel(ind), tmp;
    int64_t outer = or_dims_prod(x->dims, 0, p->ax);
    size_t inner = (size_t)or_dims_prod(x->dims, p->ax + 1, x->rank) * es;
    for (int64_t j = 0; j < m; j++) OR_TRY(checked_index(k, ind, j, n, &tmp));
    if (!inner) return ONNXRUN_OK;
    char *d = k->out[0]->data;
    const char *s = x->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < m; j++) {
            int64_t v = index_at(ind, j);
            if (v < 0) v += n;
            memcpy(d, s + ((size_t)o * (size_t)n + (size_t)v) * inner, inner);
            d += inner;
        }
    return ONNXRUN_OK;
}

/* ---- GatherElements, ScatterElements: one element per index ---- */

/* The walk over the elements of an index tensor of dims idims, in memory
 * order, keeping the offset (in elements of a tensor of strides xs) of the
 * same position with the axis coordinate at 0. */
typedef struct elem_walk {
    int64_t idx[OR_MAX_RANK];
    int64_t base;
} elem_walk;

static void elem_next(elem_walk *w, int r, const int64_t *idims, const int64_t *xs, int ax)
{
    for (int a = r - 1; a >= 0; a--) {
        if (a != ax) w->base += xs[a];
        if (++w->idx[a] < idims[a]) return;
        if (a != ax) w->base -= xs[a] * idims[a];
        w->idx[a] = 0;
    }
}

/* The element ops' data and indices: the same rank, the axis resolved,
 * indices no longer than data on the other axes (the axis itself is
 * checked by value at run). */
static or_status elements_inputs(or_kernel *k, const or_tensor **x, const or_tensor **ind)
{
    index_params *p = k->params;
    OR_TRY(data_and_indices(k, x, ind));
    OR_TRY(or_axis(k, p->axis, (*x)->rank, &p->ax));
    OR_CHECK_SHAPE(k, (*ind)->rank == (*x)->rank, "indices have rank %d but data has rank %d",
                   (*ind)->rank, (*x)->rank);
    for (int d = 0; d < (*x)->rank; d++)
        OR_CHECK_SHAPE(k, d == p->ax || (*ind)->dims[d] <= (*x)->dims[d],
                       "indices dim %d (%lld) exceeds the data's %lld", d,
                       (long long)(*ind)->dims[d], (long long)(*x)->dims[d]);
    return ONNXRUN_OK;
}

static or_status gather_elements_infer(or_kernel *k)
{
    const or_tensor *x, *ind;
    OR_TRY(elements_inputs(k, &x, &ind));
    return or_set_shape(k, k->out[0], x->dtype, ind->rank, ind->dims);
}

static or_status gather_elements_run(or_kernel *k)
{
    const index_params *p = k->params;
    const or_tensor *x = k->in[0], *ind = k->in[1];
    size_t es = onnxrun_dtype_size(x->dtype);
    int64_t xs[OR_MAX_RANK], m = or_numel(ind), v = 0;
    or_strides(x->rank, x->dims, xs);
    elem_walk w = { { 0 }, 0 };
    char *d = k->out[0]->data;
    const char *s = x->data;
    for (int64_t j = 0; j < m; j++) {
        OR_TRY(checked_index(k, ind, j, x->dims[p->ax], &v));
        memcpy(d + (size_t)j * es, s + (size_t)(w.base + v * xs[p->ax]) * es, es);
        elem_next(&w, x->rank, ind->dims, xs, p->ax);
    }
    return ONNXRUN_OK;
}

/* ---- the scatter reductions ---- */

static or_status reduction_init(or_kernel *k)
{
    index_params *p = k->params;
    const char *r;
    OR_TRY(or_attr_string(k, "reduction", "none", &r));
    static const char *const names[] = { "none", "add", "mul", "max", "min" };
    int allowed = k->def->since >= 18 ? 5 : k->def->since >= 16 ? 3 : 1;
    for (int i = 0; i < allowed; i++)
        if (!strcmp(r, names[i])) {
            p->red = (scatter_red)i;
            return ONNXRUN_OK;
        }
    return or_fail(k, ONNXRUN_E_INVALID, "attribute 'reduction' = '%s' is not one of %s at opset %d",
                   r, allowed == 5 ? "none, add, mul, max, min" : allowed == 3 ? "none, add, mul" : "none",
                   k->def->since);
}

#define RED_FLOAT(T)                                                          \
    static void red_##T(void *dst, const void *src, scatter_red red)         \
    {                                                                         \
        T a, b;                                                               \
        memcpy(&a, dst, sizeof a);                                            \
        memcpy(&b, src, sizeof b);                                            \
        a = red == RED_ADD ? a + b : red == RED_MUL ? a * b                   \
            : red == RED_MAX ? (a >= b || a != a ? a : b)                      \
                             : (a <= b || a != a ? a : b);                    \
        memcpy(dst, &a, sizeof a);                                            \
    }
/* integers through uint64_t: sums and products wrap instead of overflowing */
#define RED_INT(T)                                                            \
    static void red_##T(void *dst, const void *src, scatter_red red)         \
    {                                                                         \
        T a, b;                                                               \
        memcpy(&a, dst, sizeof a);                                            \
        memcpy(&b, src, sizeof b);                                            \
        a = red == RED_ADD   ? (T)((uint64_t)a + (uint64_t)b)                 \
            : red == RED_MUL ? (T)((uint64_t)a * (uint64_t)b)                 \
            : red == RED_MAX ? (a > b ? a : b)                                \
                             : (a < b ? a : b);                               \
        memcpy(dst, &a, sizeof a);                                            \
    }
RED_FLOAT(float)
RED_FLOAT(double)
RED_INT(int8_t)
RED_INT(int16_t)
RED_INT(int32_t)
RED_INT(int64_t)
RED_INT(uint8_t)
RED_INT(uint16_t)
RED_INT(uint32_t)
RED_INT(uint64_t)

typedef void (*red_fn)(void *dst, const void *src, scatter_red red);

static red_fn red_of(onnxrun_dtype dt)
{
    switch (dt) {
    case ONNXRUN_FLOAT: return red_float;
    case ONNXRUN_DOUBLE: return red_double;
    case ONNXRUN_INT8: return red_int8_t;
    case ONNXRUN_INT16: return red_int16_t;
    case ONNXRUN_INT32: return red_int32_t;
    case ONNXRUN_INT64: return red_int64_t;
    case ONNXRUN_UINT8: return red_uint8_t;
    case ONNXRUN_UINT16: return red_uint16_t;
    case ONNXRUN_UINT32: return red_uint32_t;
    case ONNXRUN_UINT64: return red_uint64_t;
    default: return NULL;
    }
}

/* Checks the updates (input 2) against data's dtype and the expected
 * shape, and a reduction against data's dtype; sets the output. */
static or_status scatter_common(or_kernel *k, const or_tensor *x, int rank, const int64_t *udims)
{
    const index_params *p = k->params;
    const or_tensor *u;
    OR_TRY(or_need_input(k, 2, &u));
    OR_CHECK_TYPE(k, u->dtype == x->dtype, "updates have type %s but data has %s",
                  onnxrun_dtype_name(u->dtype), onnxrun_dtype_name(x->dtype));
    bool same = u->rank == rank;
    for (int d = 0; same && d < rank; d++) same = u->dims[d] == udims[d];
    OR_CHECK_SHAPE(k, same, "updates must have the shape of %s",
                   strcmp(k->def->op_type, "ScatterND") ? "indices" : "indices[:-1] ++ data[k:]");
    OR_CHECK_TYPE(k, p->red == RED_NONE || red_of(x->dtype),
                  "reduction on type %s is not supported", onnxrun_dtype_name(x->dtype));
    return or_set_shape(k, k->out[0], x->dtype, x->rank, x->dims);
}

/* The output starts as data. */
static void scatter_copy(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    if (k->out[0]->data != x->data)
        memcpy(k->out[0]->data, x->data, (size_t)or_numel(x) * onnxrun_dtype_size(x->dtype));
}

/* ---- ScatterElements, Scatter ---- */

static or_status scatter_elements_init(or_kernel *k)
{
    OR_TRY(axis_init(k));
    return strcmp(k->def->op_type, "Scatter") ? reduction_init(k) : ONNXRUN_OK;
}

static or_status scatter_elements_infer(or_kernel *k)
{
    const or_tensor *x, *ind;
    OR_TRY(elements_inputs(k, &x, &ind));
    return scatter_common(k, x, ind->rank, ind->dims);
}

static or_status scatter_elements_run(or_kernel *k)
{
    const index_params *p = k->params;
    const or_tensor *x = k->in[0], *ind = k->in[1], *u = k->in[2];
    size_t es = onnxrun_dtype_size(x->dtype);
    int64_t xs[OR_MAX_RANK], m = or_numel(ind), v = 0;
    for (int64_t j = 0; j < m; j++) OR_TRY(checked_index(k, ind, j, x->dims[p->ax], &v));
    scatter_copy(k);
    or_strides(x->rank, x->dims, xs);
    elem_walk w = { { 0 }, 0 };
    char *d = k->out[0]->data;
    const char *s = u->data;
    red_fn red = red_of(x->dtype);
    for (int64_t j = 0; j < m; j++) {
        v = index_at(ind, j);
        if (v < 0) v += x->dims[p->ax];
        char *at = d + (size_t)(w.base + v * xs[p->ax]) * es;
        if (p->red == RED_NONE) memcpy(at, s + (size_t)j * es, es);
        else red(at, s + (size_t)j * es, p->red);
        elem_next(&w, x->rank, ind->dims, xs, p->ax);
    }
    return ONNXRUN_OK;
}

/* ---- GatherND, ScatterND: a slice per index tuple ---- */


static or_status nd_check(or_kernel *k, const or_tensor *x, const or_tensor *ind, int64_t b,
                          nd_geom *g)
{
    int r = x->rank, q = ind->rank;
    OR_CHECK_SHAPE(k, q >= 1, "indices must have rank >= 1");
    OR_CHECK(k, b >= 0 && b < (q < r ? q : r),
             "attribute 'batch_dims' = %lld must be in [0, min(rank(data), rank(indices)))",
             (long long)b);
    for (int d = 0; d < (int)b; d++)
        OR_CHECK_SHAPE(k, ind->dims[d] == x->dims[d],
                       "batch dim %d: indices have %lld but data has %lld", d,
                       (long long)ind->dims[d], (long long)x->dims[d]);
    int64_t kl = ind->dims[q - 1];
    OR_CHECK_SHAPE(k, kl >= 1 && kl <= r - b,
                   "indices' last dim is %lld; it must be in [1, %lld] (rank of data less "
                   "batch_dims)", (long long)kl, (long long)(r - b));
    g->b = (int)b;
    g->kl = (int)kl;
    g->batches = or_dims_prod(x->dims, 0, g->b);
    g->tuples = or_dims_prod(ind->dims, g->b, q - 1);
    g->slice = or_dims_prod(x->dims, g->b + g->kl, r);
    g->batch = or_dims_prod(x->dims, g->b, r);
    return ONNXRUN_OK;
}

/* The element offset, within its batch, of the slice tuple t (of all the
 * tuples, batches included) names; fails on an index out of range. */
static or_status nd_offset(or_kernel *k, const or_tensor *x, const or_tensor *ind,
                           const nd_geom *g, int64_t t, int64_t *off)
{
    int64_t o = 0, v = 0;
    for (int i = 0; i < g->kl; i++) {
        int a = g->b + i;
        OR_TRY(checked_index(k, ind, t * g->kl + i, x->dims[a], &v));
        o = o * x->dims[a] + v;
    }
    *off = o * g->slice;
    return ONNXRUN_OK;
}

static or_status gather_nd_init(or_kernel *k)
{
    index_params *p = k->params;
    return or_attr_int(k, "batch_dims", 0, &p->batch_dims);
}

static or_status gather_nd_infer(or_kernel *k)
{
    index_params *p = k->params;
    const or_tensor *x, *ind;
    OR_TRY(data_and_indices(k, &x, &ind));
    OR_TRY(nd_check(k, x, ind, p->batch_dims, &p->nd));
    const nd_geom g = p->nd;
    int ro = ind->rank - 1 + x->rank - g.b - g.kl;
    OR_CHECK_TYPE(k, ro <= OR_MAX_RANK, "output rank %d exceeds the maximum %d", ro, OR_MAX_RANK);
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, ind->dims, (size_t)(ind->rank - 1) * sizeof dims[0]);
    memcpy(dims + ind->rank - 1, x->dims + g.b + g.kl,
           (size_t)(x->rank - g.b - g.kl) * sizeof dims[0]);
    return or_set_shape(k, k->out[0], x->dtype, ro, dims);
}

static or_status gather_nd_run(or_kernel *k)
{
    const index_params *p = k->params;
    const or_tensor *x = k->in[0], *ind = k->in[1];
    const nd_geom g = p->nd;
    size_t es = onnxrun_dtype_size(x->dtype), bytes = (size_t)g.slice * es;
    char *d = k->out[0]->data;
    for (int64_t bt = 0; bt < g.batches; bt++)
        for (int64_t t = 0; t < g.tuples; t++) {
            int64_t off;
            OR_TRY(nd_offset(k, x, ind, &g, bt * g.tuples + t, &off));
            if (bytes) memcpy(d, (const char *)x->data + (size_t)(bt * g.batch + off) * es, bytes);
            d += bytes;
        }
    return ONNXRUN_OK;
}

static or_status scatter_nd_infer(or_kernel *k)
{
    index_params *p = k->params;
    const or_tensor *x, *ind;
    OR_TRY(data_and_indices(k, &x, &ind));
    OR_TRY(nd_check(k, x, ind, 0, &p->nd));
    const nd_geom g = p->nd;
    int ru = ind->rank - 1 + x->rank - g.kl;
    OR_CHECK_TYPE(k, ru <= OR_MAX_RANK, "updates' rank %d exceeds the maximum %d", ru, OR_MAX_RANK);
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, ind->dims, (size_t)(ind->rank - 1) * sizeof dims[0]);
    memcpy(dims + ind->rank - 1, x->dims + g.kl, (size_t)(x->rank - g.kl) * sizeof dims[0]);
    return scatter_common(k, x, ru, dims);
}

static or_status scatter_nd_run(or_kernel *k)
{
    const index_params *p = k->params;
    const or_tensor *x = k->in[0], *ind = k->in[1], *u = k->in[2];
    const nd_geom g = p->nd;
    int64_t off;
    for (int64_t t = 0; t < g.tuples; t++) OR_TRY(nd_offset(k, x, ind, &g, t, &off));
    scatter_copy(k);
    size_t es = onnxrun_dtype_size(x->dtype), bytes = (size_t)g.slice * es;
    char *d = k->out[0]->data;
    const char *s = u->data;
    red_fn red = red_of(x->dtype);
    for (int64_t t = 0; t < g.tuples; t++, s += bytes) {
        OR_TRY(nd_offset(k, x, ind, &g, t, &off));
        char *at = d + (size_t)off * es;
        if (p->red == RED_NONE) {
            if (bytes) memcpy(at, s, bytes);
        } else {
            for (int64_t e = 0; e < g.slice; e++) red(at + (size_t)e * es, s + (size_t)e * es, p->red);
        }
    }
    return ONNXRUN_OK;
}

/* ---- OneHot ---- */

static or_status onehot_init(or_kernel *k)
{
    index_params *p = k->params;
    return or_attr_int(k, "axis", -1, &p->axis);
}

/* Value j of a number tensor as int64: integers exactly, floats truncated
 * (NaN and out-of-range values become INT64_MIN, which no depth admits). */
static int64_t int_value(const or_tensor *t, int64_t j)
{
    switch (t->dtype) {
    case ONNXRUN_INT64: return ((const int64_t *)t->data)[j];
    case ONNXRUN_UINT64: {
        uint64_t v = ((const uint64_t *)t->data)[j];
        return v > (uint64_t)INT64_MAX ? INT64_MIN : (int64_t)v;
    }
    default: break;
    }
    double v = or_load_f64(t->data, t->dtype, j);
    return v > -9.2e18 && v < 9.2e18 ? (int64_t)v : INT64_MIN;
}

static bool is_number(onnxrun_dtype dt)
{
    switch (dt) {
    case ONNXRUN_FLOAT: case ONNXRUN_DOUBLE: case ONNXRUN_INT8: case ONNXRUN_INT16:
    case ONNXRUN_INT32: case ONNXRUN_INT64: case ONNXRUN_UINT8: case ONNXRUN_UINT16:
    case ONNXRUN_UINT32: case ONNXRUN_UINT64: return true;
    default: return false;
    }
}

static or_status onehot_infer(or_kernel *k)
{
    index_params *p = k->params;
    const or_tensor *ind, *depth, *vals;
    OR_TRY(or_need_input(k, 0, &ind));
    OR_TRY(or_need_input(k, 1, &depth));
    OR_TRY(or_need_input(k, 2, &vals));
    OR_CHECK_TYPE(k, is_number(ind->dtype) && is_number(depth->dtype),
                  "indices (%s) and depth (%s) must be numbers", onnxrun_dtype_name(ind->dtype),
                  onnxrun_dtype_name(depth->dtype));
    OR_CHECK_SHAPE(k, or_numel(depth) == 1 && depth->rank <= 1,
                   "depth must be a scalar or a 1-element 1-D tensor");
    OR_CHECK_SHAPE(k, vals->rank == 1 && vals->dims[0] == 2,
                   "values must be 1-D [off_value, on_value]");
    OR_CHECK_TYPE(k, ind->rank + 1 <= OR_MAX_RANK, "output rank %d exceeds the maximum %d",
                  ind->rank + 1, OR_MAX_RANK);
    const void *known;
    OR_TRY(or_need_known(k, 1, "depth", &known));
    p->depth = int_value(depth, 0);
    OR_CHECK(k, p->depth >= 1 && p->depth < ((int64_t)1 << 40), "depth %lld is out of range",
             (long long)p->depth);
    OR_TRY(or_axis(k, p->axis, ind->rank + 1, &p->ax));
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, ind->dims, (size_t)p->ax * sizeof dims[0]);
    dims[p->ax] = p->depth;
    memcpy(dims + p->ax + 1, ind->dims + p->ax, (size_t)(ind->rank - p->ax) * sizeof dims[0]);
    return or_set_shape(k, k->out[0], vals->dtype, ind->rank + 1, dims);
}

/* Output [outer, depth, inner]: all off, then on where index o*inner+i
 * names a class (negative ones count from the end from opset 11). */
static or_status onehot_run(or_kernel *k)
{
    const index_params *p = k->params;
    const or_tensor *ind = k->in[0], *vals = k->in[2];
    size_t es = onnxrun_dtype_size(vals->dtype);
    int64_t depth = p->depth, outer = or_dims_prod(ind->dims, 0, p->ax);
    int64_t inner = or_dims_prod(ind->dims, p->ax, ind->rank), n = or_numel(k->out[0]);
    char *y = k->out[0]->data;
    const char *off = vals->data, *on = off + es;
    for (int64_t i = 0; i < n; i++) memcpy(y + (size_t)i * es, off, es);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = int_value(ind, o * inner + i);
            if (v < (k->def->since >= 11 ? -depth : 0) || v >= depth) continue;
            if (v < 0) v += depth;
            memcpy(y + (size_t)((o * depth + v) * inner + i) * es, on, es);
        }
    return ONNXRUN_OK;
}

OR_OP_TABLE(indexing) = {
    OR_OP("Gather", 1, .params_size = sizeof(index_params), .init = axis_init,
          .infer = gather_infer, .run = gather_run),
    OR_OP("GatherElements", 11, .params_size = sizeof(index_params), .init = axis_init,
          .infer = gather_elements_infer, .run = gather_elements_run),
    OR_OP("GatherND", 11, .params_size = sizeof(index_params), .infer = gather_nd_infer,
          .run = gather_nd_run),
    OR_OP("GatherND", 12, .params_size = sizeof(index_params), .init = gather_nd_init,
          .infer = gather_nd_infer, .run = gather_nd_run),
    OR_OP("Scatter", 9, .flags = OR_OP_INPLACE, .params_size = sizeof(index_params),
          .init = scatter_elements_init, .infer = scatter_elements_infer,
          .run = scatter_elements_run),
#define SCATTER_ELEMENTS(since)                                                                 \
    OR_OP("ScatterElements", since, .flags = OR_OP_INPLACE, .params_size = sizeof(index_params), \
          .init = scatter_elements_init, .infer = scatter_elements_infer,                      \
          .run = scatter_elements_run)
    SCATTER_ELEMENTS(11), SCATTER_ELEMENTS(16), SCATTER_ELEMENTS(18),
#define SCATTER_ND(since)                                                                 \
    OR_OP("ScatterND", since, .flags = OR_OP_INPLACE, .params_size = sizeof(index_params), \
          .init = reduction_init, .infer = scatter_nd_infer, .run = scatter_nd_run)
    SCATTER_ND(11), SCATTER_ND(16), SCATTER_ND(18),
    OR_OP("OneHot", 9, .params_size = sizeof(index_params), .init = onehot_init,
          .infer = onehot_infer, .run = onehot_run),
    OR_OP("OneHot", 11, .params_size = sizeof(index_params), .init = onehot_init,
          .infer = onehot_infer, .run = onehot_run),
};
OR_OP_TABLE_END(indexing);
