/*
 * shape.c - kernels that give a tensor another shape but keep its bytes
 * (Reshape, Flatten, Squeeze, Unsqueeze, Identity, and Dropout, which is the
 * identity at inference), and kernels that report a shape (Shape, Size).
 *
 * The first group carries OR_OP_VIEW: the planner may let out[0] share
 * in[0]'s buffer and skip run; when it does not, run copies the bytes. Their
 * infer reads shape-deciding inputs (Reshape's shape, Squeeze / Unsqueeze
 * axes) only through or_known_ints.
 */
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* Input 0, which must be present and of a type with a byte size. */
static or_status data_input(or_kernel *k, const or_tensor **t)
{
    *t = or_in(k, 0);
    if (!*t) return or_fail(k, ONNXRUN_E_INVALID, "required input 0 is missing");
    if (!onnxrun_dtype_size((*t)->dtype))
        return or_fail(k, ONNXRUN_E_UNSUPPORTED, "input 0 has unsupported type %s",
                       onnxrun_dtype_name((*t)->dtype));
    return ONNXRUN_OK;
}

/* The run of every view op: out[0] holds in[0]'s bytes. */
static or_status view_run(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    size_t bytes = or_nbytes(x);
    if (y->data != x->data && bytes) memcpy(y->data, x->data, bytes);
    return ONNXRUN_OK;
}

/* ---- Reshape ---- */

static or_status reshape_infer(or_kernel *k)
{
    const or_tensor *x;
    int64_t shape[OR_MAX_RANK], allowzero = 0;
    size_t n;
    OR_TRY(data_input(k, &x));
    if (k->def->since < 5) {
        OR_CHECK(k, or_attr_has(k, "shape"), "attribute 'shape' is required");
        OR_TRY(or_attr_ints(k, "shape", OR_MAX_RANK, shape, &n));
    } else {
        OR_TRY(or_known_ints(k, 1, OR_MAX_RANK, shape, &n));
    }
    if (k->def->since >= 14) OR_TRY(or_attr_int(k, "allowzero", 0, &allowzero));
    int infer_at = -1;
    bool zero = false;
    for (size_t i = 0; i < n; i++) {
        if (shape[i] == -1) {
            OR_CHECK(k, infer_at < 0, "shape has more than one -1");
            infer_at = (int)i;
            continue;
        }
        OR_CHECK(k, shape[i] >= 0, "shape value %lld is invalid", (long long)shape[i]);
        if (shape[i] == 0 && !allowzero) {
            OR_CHECK(k, (int)i < x->rank, "shape[%zu] is 0 (copy) but the input has rank %d", i,
                     x->rank);
            shape[i] = x->dims[i];
        }
        if (shape[i] == 0) zero = true;
    }
    uint64_t known = 1, total = (uint64_t)or_numel(x);
    if (!zero)
        for (size_t i = 0; i < n; i++)
            if ((int)i != infer_at &&
                (!or_mul_ok(known, (uint64_t)shape[i], &known) || known > OR_MAX_TENSOR_BYTES))
                return or_fail(k, ONNXRUN_E_SHAPE, "shape has more elements than the input's %llu",
                               (unsigned long long)total);
    if (zero) known = 0;
    char in[128];
    or_shape_str(x, in, sizeof in);
    if (infer_at >= 0) {
        OR_CHECK_SHAPE(k, known != 0, "cannot infer the -1 of a shape that has a 0 (input %s)", in);
        OR_CHECK_SHAPE(k, total % known == 0,
                       "input %s has %llu elements, not a multiple of the %llu of the shape", in,
                       (unsigned long long)total, (unsigned long long)known);
        shape[infer_at] = (int64_t)(total / known);
    } else {
        OR_CHECK_SHAPE(k, known == total, "input %s has %llu elements but the shape has %llu", in,
                       (unsigned long long)total, (unsigned long long)known);
    }
    return or_set_shape(k, k->out[0], x->dtype, (int)n, shape);
}

/* ---- Flatten ---- */

static or_status flatten_infer(or_kernel *k)
{
    const or_tensor *x;
    int64_t axis, dims[2] = { 1, 1 };
    OR_TRY(data_input(k, &x));
    OR_TRY(or_attr_int(k, "axis", 1, &axis));
    int r = x->rank;   /* negative axes (opset 11) are accepted at every opset */
    OR_CHECK(k, axis >= -r && axis <= r, "axis %lld is out of range for rank %d", (long long)axis, r);
    if (axis < 0) axis += r;
    for (int d = 0; d < r; d++) dims[d < axis ? 0 : 1] *= x->dims[d];
    return or_set_shape(k, k->out[0], x->dtype, 2, dims);
}

/* ---- Squeeze, Unsqueeze ---- */

/* The axes of Squeeze / Unsqueeze: an attribute before opset 13, input 1
 * from then on. *present tells whether any were given. */
static or_status read_axes(or_kernel *k, int64_t *axes, size_t *n, bool *present)
{
    if (k->def->since < 13) {
        *present = or_attr_has(k, "axes");
        return or_attr_ints(k, "axes", OR_MAX_RANK, axes, n);
    }
    *n = 0;
    *present = or_in(k, 1) != NULL;
    return *present ? or_known_ints(k, 1, OR_MAX_RANK, axes, n) : ONNXRUN_OK;
}

/* Marks axes (for rank r) in mark[]; duplicates are an error. Negative axes
 * (opset 11) are accepted at every opset, as exporters wrote them earlier. */
static or_status mark_axes(or_kernel *k, const int64_t *axes, size_t n, int r, bool *mark)
{
    for (int d = 0; d < r; d++) mark[d] = false;
    for (size_t i = 0; i < n; i++) {
        int a;
        OR_TRY(or_axis(k, axes[i], r, &a));
        OR_CHECK(k, !mark[a], "axis %d is given twice", a);
        mark[a] = true;
    }
    return ONNXRUN_OK;
}

static or_status squeeze_infer(or_kernel *k)
{
    const or_tensor *x;
    int64_t axes[OR_MAX_RANK], dims[OR_MAX_RANK];
    bool mark[OR_MAX_RANK], present;
    size_t n;
    int ro = 0;
    OR_TRY(data_input(k, &x));
    OR_TRY(read_axes(k, axes, &n, &present));
    OR_TRY(mark_axes(k, axes, n, x->rank, mark));
    for (int d = 0; d < x->rank; d++) {
        if (!present && x->dims[d] == 1) continue;   /* no axes: drop every 1 */
        if (mark[d]) {
            OR_CHECK_SHAPE(k, x->dims[d] == 1, "axis %d has size %lld, not 1", d,
                           (long long)x->dims[d]);
            continue;
        }
        dims[ro++] = x->dims[d];
    }
    return or_set_shape(k, k->out[0], x->dtype, ro, dims);
}

static or_status unsqueeze_infer(or_kernel *k)
{
    const or_tensor *x;
    int64_t axes[OR_MAX_RANK], dims[OR_MAX_RANK];
    bool mark[OR_MAX_RANK], present;
    size_t n;
    OR_TRY(data_input(k, &x));
    OR_TRY(read_axes(k, axes, &n, &present));
    OR_CHECK(k, present, "axes are required");
    int ro = x->rank + (int)n;
    if (ro > OR_MAX_RANK)
        return or_fail(k, ONNXRUN_E_UNSUPPORTED, "output rank %d exceeds the maximum %d", ro,
                       OR_MAX_RANK);
    OR_TRY(mark_axes(k, axes, n, ro, mark));
    for (int d = 0, j = 0; d < ro; d++) dims[d] = mark[d] ? 1 : x->dims[j++];
    return or_set_shape(k, k->out[0], x->dtype, ro, dims);
}

/* ---- Identity ---- */

static or_status identity_infer(or_kernel *k)
{
    const or_tensor *x;
    OR_TRY(data_input(k, &x));
    return or_set_shape(k, k->out[0], x->dtype, x->rank, x->dims);
}

/* ---- Dropout (inference: the identity, and an all-true mask) ---- */

/* Whether a float scalar tensor's value is zero. */
static bool float_is_zero(const or_tensor *t, const void *d)
{
    switch (t->dtype) {
    case ONNXRUN_FLOAT: return *(const float *)d == 0;
    case ONNXRUN_DOUBLE: return *(const double *)d == 0;
    case ONNXRUN_FLOAT16: return (*(const uint16_t *)d & 0x7fff) == 0;
    default: return false;
    }
}

static or_status dropout_infer(or_kernel *k)
{
    const or_tensor *x;
    OR_TRY(data_input(k, &x));
    /* before opset 12, dropout at inference is the identity (is_test only
     * matters when training); from 12 training_mode is an input, and random
     * training-mode dropout is not something an inference engine does */
    const or_tensor *tm = or_in(k, 2), *ratio = or_in(k, 1);
    if (k->def->since >= 12 && tm) {
        const void *v = or_known(k, 2);
        OR_CHECK_TYPE(k, v, "training_mode must be known before running");
        OR_CHECK(k, tm->dtype == ONNXRUN_BOOL && or_numel(tm) == 1, "training_mode must be a bool scalar");
        if (*(const uint8_t *)v) {
            const void *rv = ratio ? or_known(k, 1) : NULL;
            OR_CHECK_TYPE(k, rv && or_numel(ratio) == 1 && float_is_zero(ratio, rv),
                          "training mode with a nonzero ratio (random dropout) is not supported");
        }
    }
    OR_TRY(or_set_shape(k, k->out[0], x->dtype, x->rank, x->dims));
    or_tensor *mask = or_out(k, 1);
    if (mask) {
        onnxrun_dtype mt = k->def->since >= 10 ? ONNXRUN_BOOL : x->dtype;
        OR_CHECK_TYPE(k, mt == ONNXRUN_BOOL || mt == ONNXRUN_FLOAT || mt == ONNXRUN_DOUBLE ||
                         mt == ONNXRUN_FLOAT16,
                      "mask of type %s is not supported", onnxrun_dtype_name(mt));
        OR_TRY(or_set_shape(k, mask, mt, x->rank, x->dims));
    }
    return ONNXRUN_OK;
}

static or_status dropout_run(or_kernel *k)
{
    OR_TRY(view_run(k));
    or_tensor *mask = or_out(k, 1);
    if (!mask) return ONNXRUN_OK;
    /* every element is kept: the mask is all ones (true, or 1.0 before opset 10) */
    static const float f1 = 1.0f;
    static const double d1 = 1.0;
    static const uint16_t h1 = 0x3c00;
    static const uint8_t b1 = 1;
    const void *one = mask->dtype == ONNXRUN_FLOAT ? (const void *)&f1
                    : mask->dtype == ONNXRUN_DOUBLE ? (const void *)&d1
                    : mask->dtype == ONNXRUN_FLOAT16 ? (const void *)&h1 : (const void *)&b1;
    size_t es = onnxrun_dtype_size(mask->dtype);
    int64_t n = or_numel(mask);
    for (int64_t i = 0; i < n; i++) memcpy((char *)mask->data + (size_t)i * es, one, es);
    return ONNXRUN_OK;
}

/* ---- Shape, Size ---- */

/* Clamps a possibly negative axis bound into [0, r]. */
static int64_t clamp_bound(int64_t v, int r)
{
    if (v < 0) v += r;
    return v < 0 ? 0 : v > r ? r : v;
}

typedef struct shape_params {
    int64_t start, end;   /* of the reported dims (infer) */
} shape_params;

static or_status shape_infer(or_kernel *k)
{
    shape_params *p = k->params;
    const or_tensor *x;
    OR_TRY(data_input(k, &x));
    int r = x->rank;
    int64_t start = 0, end = r;
    if (k->def->since >= 15) {
        OR_TRY(or_attr_int(k, "start", 0, &start));
        OR_TRY(or_attr_int(k, "end", r, &end));
    }
    p->start = clamp_bound(start, r);
    p->end = clamp_bound(end, r);
    int64_t len = p->end > p->start ? p->end - p->start : 0;
    return or_set_shape(k, k->out[0], ONNXRUN_INT64, 1, &len);
}

static or_status shape_run(or_kernel *k)
{
    const shape_params *p = k->params;
    int64_t *y = k->out[0]->data;
    for (int64_t i = p->start; i < p->end; i++) y[i - p->start] = k->in[0]->dims[i];
    return ONNXRUN_OK;
}

static or_status size_infer(or_kernel *k)
{
    const or_tensor *x;
    int64_t none[1] = { 0 };
    OR_TRY(data_input(k, &x));
    return or_set_shape(k, k->out[0], ONNXRUN_INT64, 0, none);
}

static or_status size_run(or_kernel *k)
{
    *(int64_t *)k->out[0]->data = or_numel(k->in[0]);
    return ONNXRUN_OK;
}

OR_OP_TABLE(shape) = {
    OR_OP("Reshape", 1, .flags = OR_OP_VIEW, .infer = reshape_infer, .run = view_run),
    OR_OP("Reshape", 5, .flags = OR_OP_VIEW, .infer = reshape_infer, .run = view_run),
    OR_OP("Reshape", 14, .flags = OR_OP_VIEW, .infer = reshape_infer, .run = view_run),
    OR_OP("Flatten", 1, .flags = OR_OP_VIEW, .infer = flatten_infer, .run = view_run),
    OR_OP("Squeeze", 1, .flags = OR_OP_VIEW, .infer = squeeze_infer, .run = view_run),
    OR_OP("Squeeze", 13, .flags = OR_OP_VIEW, .infer = squeeze_infer, .run = view_run),
    OR_OP("Unsqueeze", 1, .flags = OR_OP_VIEW, .infer = unsqueeze_infer, .run = view_run),
    OR_OP("Unsqueeze", 13, .flags = OR_OP_VIEW, .infer = unsqueeze_infer, .run = view_run),
    OR_OP("Identity", 1, .flags = OR_OP_VIEW, .infer = identity_infer, .run = view_run),
    OR_OP("Dropout", 1, .flags = OR_OP_VIEW, .infer = dropout_infer, .run = dropout_run),
    OR_OP("Dropout", 10, .flags = OR_OP_VIEW, .infer = dropout_infer, .run = dropout_run),
    OR_OP("Dropout", 12, .flags = OR_OP_VIEW, .infer = dropout_infer, .run = dropout_run),
    OR_OP("Shape", 1, .params_size = sizeof(shape_params), .infer = shape_infer, .run = shape_run),
    OR_OP("Shape", 15, .params_size = sizeof(shape_params), .infer = shape_infer, .run = shape_run),
    OR_OP("Size", 1, .infer = size_infer, .run = size_run),
};
OR_OP_TABLE_END(shape);
