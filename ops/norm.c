/*
 * norm.c - normalisation ops for inference, float32 and float64:
 * BatchNormalization, LRN, InstanceNormalization, LayerNormalization,
 * MeanVarianceNormalization.
 *
 * BatchNormalization  y = a[c]*x + b[c] with a = scale/sqrt(var+eps) and
 *   b = B - mean*a, computed into scratch at the start of each run (C
 *   values; the statistics need not be constants). With training_mode=1
 *   (14, 15) mean and var are the batch's own (population variance over N
 *   and the spatial dims), and the optional outputs running_mean/var are
 *   input * momentum + batch statistic * (1 - momentum). Versions:
 *   1 (consumed_inputs, is_test, spatial), 6 (is_test, spatial), 7
 *   (spatial), 9 (always spatial), 14 (training_mode), 15 (mixed types).
 *   spatial=0 takes per-element statistics of shape C x D1 x ... x Dn.
 * LRN  across channels, ONNX's formula (alpha divided by size).
 * InstanceNormalization  per (n, c) mean and population variance.
 * GroupNormalization (18, 21)  the same per (n, group of C / num_groups
 *   channels); scale and bias per group (18) or per channel (21).
 * LayerNormalization (17)  over axes [axis, rank); Scale and B broadcast to
 *   those dims; optional Mean and InvStdDev outputs (float).
 * MeanVarianceNormalization (9, 13)  over any set of axes (default
 *   0, 2, 3): y = (x - mean) / (sqrt(var) + 1e-9), as the op's function
 *   body in the spec; one pass gathers the sums, one writes.
 * Statistics are accumulated in double. Large tensors are split by planes
 * (rows) across the session's threads with or_parallel_for.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* x[i] of a float or double buffer, as double */
static inline double ld(const void *p, onnxrun_dtype dt, int64_t i)
{
    return dt == ONNXRUN_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static inline void st(void *p, onnxrun_dtype dt, int64_t i, double v)
{
    if (dt == ONNXRUN_FLOAT) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

/* Runs fn(k, begin, end) over planes [0, n) of `per` elements each, split
 * across the session's threads when the work is large enough. */
static void for_planes(or_kernel *k, int64_t n, int64_t per,
                       void (*fn)(void *k, int64_t begin, int64_t end))
{
    if (n > 1 && or_par_worth(k, (double)(n * per), OR_PAR_MIN_ELEMS)) or_parallel_for(k, n, fn, k);
    else if (n > 0) fn(k, 0, n);
}

/* ---- BatchNormalization ---- */

typedef struct bn_params {
    float epsilon, momentum;
    bool spatial, training;
    int64_t batch;     /* N (set by infer) */
    int64_t channels;  /* statistics per sample: C, or C*D1*..*Dn when !spatial */
    int64_t inner;     /* elements per statistic and sample: D1*..*Dn, or 1 */
} bn_params;

static or_status bn_init(or_kernel *k)
{
    bn_params *p = k->params;
    int since = k->def->since;
    int64_t spatial = 1, training = 0;
    OR_TRY(or_attr_float(k, "epsilon", 1e-5f, &p->epsilon));
    if (since < 9) OR_TRY(or_attr_int(k, "spatial", 1, &spatial));
    if (since >= 14) OR_TRY(or_attr_int(k, "training_mode", 0, &training));
    OR_TRY(or_attr_float(k, "momentum", 0.9f, &p->momentum));
    p->training = training != 0;
    for (size_t j = 1; j < k->node->n_outputs && !p->training; j++)
        if (k->node->outputs[j][0])
            return or_fail(k, ONNXRUN_E_UNSUPPORTED,
                           "output %zu ('%s'): the running statistics are outputs only with training_mode=1",
                           j, k->node->outputs[j]);
    OR_CHECK(k, p->epsilon >= 0, "epsilon must not be negative");
    p->spatial = spatial != 0;
    return ONNXRUN_OK;
}

static or_status bn_infer(or_kernel *k)
{
    bn_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, k->n_in >= 5, "needs 5 inputs (X, scale, B, mean, var), has %zu", k->n_in);
    for (size_t i = 0; i < 5; i++) OR_CHECK(k, or_in(k, i), "input %zu is missing", i);
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2, "X must have rank >= 2 (N x C x ...), has %d", x->rank);
    int64_t inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
    p->batch = x->dims[0];
    p->channels = p->spatial ? x->dims[1] : x->dims[1] * inner;
    p->inner = p->spatial ? inner : 1;
    static const char *names[] = { "X", "scale", "B", "mean", "var" };
    for (size_t i = 1; i < 5; i++) {
        const or_tensor *t = k->in[i];
        OR_CHECK_TYPE(k, t->dtype == x->dtype, "%s has type %s, X has %s (mixed types unsupported)",
                      names[i], onnxrun_dtype_name(t->dtype), onnxrun_dtype_name(x->dtype));
        OR_CHECK_SHAPE(k, or_numel(t) == p->channels && (t->rank == 1 || !p->spatial),
                       "%s must have %lld values (%s), has %lld", names[i],
                       (long long)p->channels, p->spatial ? "C" : "C x D1 x ... x Dn",
                       (long long)or_numel(t));
    }
    k->scratch_bytes = 2 * (size_t)p->channels * sizeof(double);
    for (size_t j = 1; j < 3; j++)
        if (or_out(k, j)) OR_TRY(or_set_shape(k, k->out[j], x->dtype, k->in[3]->rank, k->in[3]->dims));
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

/* training_mode: the batch's mean and population variance of channel c */
static void bn_batch_stats(const or_kernel *k, int64_t c, double *mean, double *var)
{
    const bn_params *p = k->params;
    const or_tensor *x = k->in[0];
    double s = 0, ss = 0, n = (double)(p->batch * p->inner);
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t j = 0; j < p->inner; j++) s += ld(x->data, x->dtype, (b * p->channels + c) * p->inner + j);
    *mean = n > 0 ? s / n : 0;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t j = 0; j < p->inner; j++) {
            double d = ld(x->data, x->dtype, (b * p->channels + c) * p->inner + j) - *mean;
            ss += d * d;
        }
    *var = n > 0 ? ss / n : 0;
}

/* planes [begin, end) of the [batch * channels, inner] view: y = a[c]*x + b[c] */
static void bn_planes(void *ctx, int64_t begin, int64_t end)
{
    const or_kernel *k = ctx;
    const bn_params *p = k->params;
    const double *a = k->scratch, *b = a + p->channels;
    for (int64_t pl = begin; pl < end; pl++) {
        int64_t c = pl % p->channels, off = pl * p->inner;
        if (k->in[0]->dtype == ONNXRUN_FLOAT) {
            const float *xs = (const float *)k->in[0]->data + off;
            float *ys = (float *)k->out[0]->data + off, fa = (float)a[c], fb = (float)b[c];
            for (int64_t j = 0; j < p->inner; j++) ys[j] = fa * xs[j] + fb;
        } else {
            const double *xs = (const double *)k->in[0]->data + off;
            double *ys = (double *)k->out[0]->data + off;
            for (int64_t j = 0; j < p->inner; j++) ys[j] = a[c] * xs[j] + b[c];
        }
    }
}

static or_status bn_run(or_kernel *k)
{
    const bn_params *p = k->params;
    onnxrun_dtype dt = k->in[0]->dtype;
    const void *sc = k->in[1]->data, *bi = k->in[2]->data;
    const void *mean = k->in[3]->data, *var = k->in[4]->data;
    double *a = k->scratch, *b = a + p->channels;
    for (int64_t c = 0; c < p->channels; c++) {
        double m = ld(mean, dt, c), v = ld(var, dt, c);
        if (p->training) {
            bn_batch_stats(k, c, &m, &v);
            double mo = p->momentum;
            if (or_out(k, 1)) st(k->out[1]->data, dt, c, ld(mean, dt, c) * mo + m * (1 - mo));
            if (or_out(k, 2)) st(k->out[2]->data, dt, c, ld(var, dt, c) * mo + v * (1 - mo));
        }
        a[c] = ld(sc, dt, c) / sqrt(v + p->epsilon);
        b[c] = ld(bi, dt, c) - m * a[c];
    }
    for_planes(k, p->batch * p->channels, p->inner, bn_planes);
    return ONNXRUN_OK;
}

/* ---- LRN ---- */

typedef struct lrn_params {
    float alpha, beta, bias;
    int64_t size;
} lrn_params;

static or_status lrn_init(or_kernel *k)
{
    lrn_params *p = k->params;
    OR_CHECK(k, or_attr_has(k, "size"), "attribute 'size' is required");
    OR_TRY(or_attr_int(k, "size", 1, &p->size));
    OR_TRY(or_attr_float(k, "alpha", 1e-4f, &p->alpha));
    OR_TRY(or_attr_float(k, "beta", 0.75f, &p->beta));
    OR_TRY(or_attr_float(k, "bias", 1.0f, &p->bias));
    OR_CHECK(k, p->size >= 1, "size must be positive, is %lld", (long long)p->size);
    return ONNXRUN_OK;
}

static or_status lrn_infer(or_kernel *k)
{
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input X is missing");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2, "X must have rank >= 2 (N x C x ...), has %d", x->rank);
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

/* (n, c) planes [begin, end): the window's sum of squares is gathered for
 * a block of positions at a time, on the stack. */
static void lrn_planes(void *ctx, int64_t begin, int64_t end)
{
    enum { BLOCK = 256 };
    const or_kernel *k = ctx;
    const lrn_params *p = k->params;
    const or_tensor *x = k->in[0];
    onnxrun_dtype dt = x->dtype;
    int64_t ch = x->dims[1], inner = or_numel(x) / (x->dims[0] * ch);
    int64_t below = (p->size - 1) / 2, above = p->size - 1 - below;
    double scale = (double)p->alpha / (double)p->size, beta = p->beta;
    double sq[BLOCK];
    for (int64_t pl = begin; pl < end; pl++) {
        int64_t n = pl / ch, c = pl % ch;
        int64_t lo = c - below < 0 ? 0 : c - below;
        int64_t hi = c > ch - 1 - above ? ch - 1 : c + above;
        for (int64_t j0 = 0; j0 < inner; j0 += BLOCK) {
            int64_t jn = inner - j0 < BLOCK ? inner - j0 : BLOCK;
            memset(sq, 0, (size_t)jn * sizeof *sq);
            for (int64_t i = lo; i <= hi; i++) {
                int64_t base = (n * ch + i) * inner + j0;
                if (dt == ONNXRUN_FLOAT) {
                    const float *xs = (const float *)x->data + base;
                    for (int64_t j = 0; j < jn; j++) sq[j] += (double)xs[j] * xs[j];
                } else {
                    const double *xs = (const double *)x->data + base;
                    for (int64_t j = 0; j < jn; j++) sq[j] += xs[j] * xs[j];
                }
            }
            int64_t base = pl * inner + j0;
            for (int64_t j = 0; j < jn; j++) {
                double t = p->bias + scale * sq[j];
                double d = beta == 0.75 ? sqrt(t * sqrt(t)) : pow(t, beta);
                st(k->out[0]->data, dt, base + j, ld(x->data, dt, base + j) / d);
            }
        }
    }
}

static or_status lrn_run(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    int64_t planes = x->dims[0] * x->dims[1];
    if (planes > 0) for_planes(k, planes, or_numel(x) / planes, lrn_planes);
    return ONNXRUN_OK;
}

/* ---- InstanceNormalization and LayerNormalization: shared statistics ---- */

/* mean and 1/sqrt(population variance + eps) of x[0..n) (two passes). */
static void moments(const void *x, onnxrun_dtype dt, int64_t off, int64_t n, double eps,
                    double *mean, double *inv_std)
{
    double s = 0, ss = 0;
    for (int64_t j = 0; j < n; j++) s += ld(x, dt, off + j);
    double m = n ? s / (double)n : 0;
    for (int64_t j = 0; j < n; j++) {
        double d = ld(x, dt, off + j) - m;
        ss += d * d;
    }
    *mean = m;
    *inv_std = 1.0 / sqrt((n ? ss / (double)n : 0) + eps);
}

typedef struct inorm_params {
    float epsilon;
} inorm_params;

static or_status inorm_init(or_kernel *k)
{
    inorm_params *p = k->params;
    OR_TRY(or_attr_float(k, "epsilon", 1e-5f, &p->epsilon));
    OR_CHECK(k, p->epsilon >= 0, "epsilon must not be negative");
    return ONNXRUN_OK;
}

static or_status inorm_infer(or_kernel *k)
{
    const or_tensor *x = or_in(k, 0), *s = or_in(k, 1), *b = or_in(k, 2);
    OR_CHECK(k, x && s && b, "inputs input, scale and B are required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2, "input must have rank >= 2 (N x C x ...), has %d", x->rank);
    OR_CHECK_TYPE(k, s->dtype == x->dtype && b->dtype == x->dtype, "scale and B must have type %s",
                  onnxrun_dtype_name(x->dtype));
    OR_CHECK_SHAPE(k, s->rank == 1 && s->dims[0] == x->dims[1] && b->rank == 1 &&
                      b->dims[0] == x->dims[1],
                   "scale and B must be 1-D of size C=%lld", (long long)x->dims[1]);
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

/* (n, c) planes [begin, end) */
static void inorm_planes(void *ctx, int64_t begin, int64_t end)
{
    const or_kernel *k = ctx;
    const inorm_params *p = k->params;
    const or_tensor *x = k->in[0];
    onnxrun_dtype dt = x->dtype;
    int64_t ch = x->dims[1], inner = or_numel(x) / (x->dims[0] * ch);
    for (int64_t pl = begin; pl < end; pl++) {
        int64_t c = pl % ch, off = pl * inner;
        double mean, inv;
        moments(x->data, dt, off, inner, p->epsilon, &mean, &inv);
        double a = ld(k->in[1]->data, dt, c) * inv, b = ld(k->in[2]->data, dt, c) - mean * a;
        for (int64_t j = 0; j < inner; j++)
            st(k->out[0]->data, dt, off + j, a * ld(x->data, dt, off + j) + b);
    }
}

static or_status inorm_run(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    int64_t planes = x->dims[0] * x->dims[1];
    if (planes > 0) for_planes(k, planes, or_numel(x) / planes, inorm_planes);
    return ONNXRUN_OK;
}

/* ---- GroupNormalization ---- */

typedef struct gnorm_params {
    float epsilon;
    int64_t groups;
} gnorm_params;

static or_status gnorm_init(or_kernel *k)
{
    gnorm_params *p = k->params;
    int64_t stash;
    OR_TRY(or_attr_float(k, "epsilon", 1e-5f, &p->epsilon));
    OR_CHECK(k, p->epsilon >= 0, "epsilon must not be negative");
    OR_CHECK(k, or_attr_has(k, "num_groups"), "attribute 'num_groups' is required");
    OR_TRY(or_attr_int(k, "num_groups", 0, &p->groups));
    OR_TRY(or_attr_int(k, "stash_type", 1, &stash)); /* statistics are in double here anyway */
    return ONNXRUN_OK;
}

static or_status gnorm_infer(or_kernel *k)
{
    const gnorm_params *p = k->params;
    const or_tensor *x = or_in(k, 0), *s = or_in(k, 1), *b = or_in(k, 2);
    OR_CHECK(k, x && s && b, "inputs X, scale and bias are required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2, "X must have rank >= 2 (N x C x ...), has %d", x->rank);
    OR_CHECK(k, p->groups >= 1 && x->dims[1] % p->groups == 0, "num_groups %lld does not divide C = %lld",
             (long long)p->groups, (long long)x->dims[1]);
    int64_t per = k->def->since >= 21 ? x->dims[1] : p->groups;
    OR_CHECK_TYPE(k, s->dtype == x->dtype && b->dtype == x->dtype, "scale and bias must have type %s",
                  onnxrun_dtype_name(x->dtype));
    OR_CHECK_SHAPE(k, s->rank == 1 && s->dims[0] == per && b->rank == 1 && b->dims[0] == per,
                   "scale and bias must be 1-D of size %lld (%s)", (long long)per,
                   k->def->since >= 21 ? "C" : "num_groups");
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

/* (n, group) blocks [begin, end) */
static void gnorm_blocks(void *ctx, int64_t begin, int64_t end)
{
    const or_kernel *k = ctx;
    const gnorm_params *p = k->params;
    const or_tensor *x = k->in[0];
    onnxrun_dtype dt = x->dtype;
    int64_t cg = x->dims[1] / p->groups, inner = or_numel(x) / (x->dims[0] * x->dims[1]);
    bool per_channel = k->def->since >= 21;
    for (int64_t bl = begin; bl < end; bl++) {
        int64_t g = bl % p->groups, off = bl * cg * inner;
        double mean, inv;
        moments(x->data, dt, off, cg * inner, p->epsilon, &mean, &inv);
        for (int64_t c = 0; c < cg; c++) {
            int64_t at = per_channel ? g * cg + c : g;
            double a = ld(k->in[1]->data, dt, at) * inv, b = ld(k->in[2]->data, dt, at) - mean * a;
            for (int64_t j = 0; j < inner; j++) {
                int64_t e = off + c * inner + j;
                st(k->out[0]->data, dt, e, a * ld(x->data, dt, e) + b);
            }
        }
    }
}

static or_status gnorm_run(or_kernel *k)
{
    const gnorm_params *p = k->params;
    const or_tensor *x = k->in[0];
    int64_t blocks = x->dims[0] * p->groups;
    if (blocks > 0 && or_numel(x) > 0) for_planes(k, blocks, or_numel(x) / blocks, gnorm_blocks);
    return ONNXRUN_OK;
}

/* ---- LayerNormalization ---- */

typedef struct lnorm_params {
    int64_t axis_attr;
    float epsilon;
    int axis;           /* normalised, set by infer */
    int64_t outer;      /* d[0] * .. * d[axis-1] */
    int64_t inner;      /* d[axis] * .. * d[rank-1] */
} lnorm_params;

static or_status lnorm_init(or_kernel *k)
{
    lnorm_params *p = k->params;
    int64_t stash;
    OR_TRY(or_attr_int(k, "axis", -1, &p->axis_attr));
    OR_TRY(or_attr_float(k, "epsilon", 1e-5f, &p->epsilon));
    OR_TRY(or_attr_int(k, "stash_type", 1, &stash));
    OR_CHECK_TYPE(k, stash == ONNXRUN_FLOAT, "stash_type %lld is not supported (only float)",
                  (long long)stash);
    OR_CHECK(k, p->epsilon >= 0, "epsilon must not be negative");
    return ONNXRUN_OK;
}

/* Whether t broadcasts (aligned right) to the normalised dims x[axis..);
 * dims of t beyond those must be 1. */
static bool fits_normalised(const or_tensor *t, const or_tensor *x, int axis)
{
    int r = x->rank - axis;
    for (int i = 0; i < t->rank; i++) {
        int64_t d = t->dims[t->rank - 1 - i], xd = i < r ? x->dims[x->rank - 1 - i] : 1;
        if (d != xd && d != 1) return false;
    }
    return true;
}

static or_status lnorm_infer(or_kernel *k)
{
    lnorm_params *p = k->params;
    const or_tensor *x = or_in(k, 0), *s = or_in(k, 1), *b = or_in(k, 2);
    OR_CHECK(k, x && s, "inputs X and Scale are required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 1, "X must have rank >= 1");
    OR_TRY(or_axis(k, p->axis_attr, x->rank, &p->axis));
    OR_CHECK_TYPE(k, s->dtype == x->dtype && (!b || b->dtype == x->dtype),
                  "Scale and B must have type %s", onnxrun_dtype_name(x->dtype));
    OR_CHECK_SHAPE(k, fits_normalised(s, x, p->axis) && (!b || fits_normalised(b, x, p->axis)),
                   "Scale and B must broadcast to the normalised dims of X (from axis %d)",
                   p->axis);
    p->outer = 1;
    p->inner = 1;
    int64_t stat_dims[OR_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        if (i < p->axis) p->outer *= x->dims[i];
        else p->inner *= x->dims[i];
        stat_dims[i] = i < p->axis ? x->dims[i] : 1;
    }
    k->scratch_bytes = 2 * (size_t)p->inner * sizeof(double);
    OR_TRY(or_set_shape(k, or_out(k, 1), ONNXRUN_FLOAT, x->rank, stat_dims));
    OR_TRY(or_set_shape(k, or_out(k, 2), ONNXRUN_FLOAT, x->rank, stat_dims));
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

/* dst[0..inner) = t broadcast over the normalised dims of x (from axis). */
static void expand_normalised(const or_tensor *t, const or_tensor *x, int axis, double def,
                              double *dst, int64_t inner)
{
    if (!t) {
        for (int64_t j = 0; j < inner; j++) dst[j] = def;
        return;
    }
    int r = x->rank - axis; /* normalised rank; t is aligned to its right */
    int64_t stride[OR_MAX_RANK], idx[OR_MAX_RANK] = { 0 }, acc = 1, off = 0;
    for (int i = r - 1; i >= 0; i--) {
        int ti = i - (r - t->rank);
        int64_t d = ti >= 0 ? t->dims[ti] : 1;
        stride[i] = d == 1 ? 0 : acc;
        acc *= d;
    }
    for (int64_t j = 0; j < inner; j++) {
        dst[j] = ld(t->data, t->dtype, off);
        for (int i = r - 1; i >= 0; i--) {
            off += stride[i];
            if (++idx[i] < x->dims[axis + i]) break;
            off -= stride[i] * idx[i];
            idx[i] = 0;
        }
    }
}

/* rows [begin, end) of the [outer, inner] view */
static void lnorm_rows(void *ctx, int64_t begin, int64_t end)
{
    const or_kernel *k = ctx;
    const lnorm_params *p = k->params;
    const or_tensor *x = k->in[0];
    onnxrun_dtype dt = x->dtype;
    const double *scale = k->scratch, *bias = scale + p->inner;
    or_tensor *mean_out = or_out(k, 1), *inv_out = or_out(k, 2);
    for (int64_t o = begin; o < end; o++) {
        int64_t off = o * p->inner;
        double mean, inv;
        moments(x->data, dt, off, p->inner, p->epsilon, &mean, &inv);
        if (mean_out) ((float *)mean_out->data)[o] = (float)mean;
        if (inv_out) ((float *)inv_out->data)[o] = (float)inv;
        for (int64_t j = 0; j < p->inner; j++)
            st(k->out[0]->data, dt, off + j,
               (ld(x->data, dt, off + j) - mean) * inv * scale[j] + bias[j]);
    }
}

static or_status lnorm_run(or_kernel *k)
{
    const lnorm_params *p = k->params;
    const or_tensor *x = k->in[0];
    double *scale = k->scratch, *bias = scale + p->inner;
    expand_normalised(k->in[1], x, p->axis, 1.0, scale, p->inner);
    expand_normalised(or_in(k, 2), x, p->axis, 0.0, bias, p->inner);
    for_planes(k, p->outer, p->inner, lnorm_rows);
    return ONNXRUN_OK;
}

/* ---- MeanVarianceNormalization ---- */

typedef struct mvn_params {
    int64_t axes[OR_MAX_RANK];
    size_t n_axes;
    int64_t gs[OR_MAX_RANK];   /* per dim: its stride among the statistics (0: reduced) */
    int64_t groups, count;     /* statistics; elements in each */
} mvn_params;

static or_status mvn_init(or_kernel *k)
{
    mvn_params *p = k->params;
    OR_TRY(or_attr_ints(k, "axes", OR_MAX_RANK, p->axes, &p->n_axes));
    if (!or_attr_has(k, "axes")) {
        static const int64_t def[] = { 0, 2, 3 };
        memcpy(p->axes, def, sizeof def);
        p->n_axes = 3;
    }
    return ONNXRUN_OK;
}

static or_status mvn_infer(or_kernel *k)
{
    mvn_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input X is required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    bool reduced[OR_MAX_RANK] = { false };
    for (size_t i = 0; i < p->n_axes; i++) {
        int a;
        OR_TRY(or_axis(k, p->axes[i], x->rank, &a));
        OR_CHECK(k, !reduced[a], "axis %d is listed twice in 'axes'", a);
        reduced[a] = true;
    }
    p->groups = p->count = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        p->gs[d] = reduced[d] ? 0 : p->groups;
        if (reduced[d]) p->count *= x->dims[d];
        else p->groups *= x->dims[d];
    }
    k->scratch_bytes = (size_t)p->groups * 2 * sizeof(double);
    return or_set_shape(k, k->out[0], x->dtype, x->rank, x->dims);
}

/* Steps the multi-index idx of an element and its statistic g. */
static inline void mvn_next(const mvn_params *p, const or_tensor *x, int64_t *idx, int64_t *g)
{
    for (int a = x->rank - 1; a >= 0; a--) {
        *g += p->gs[a];
        if (++idx[a] < x->dims[a]) return;
        *g -= p->gs[a] * x->dims[a];
        idx[a] = 0;
    }
}

static or_status mvn_run(or_kernel *k)
{
    const mvn_params *p = k->params;
    const or_tensor *x = k->in[0];
    int64_t n = or_numel(x), idx[OR_MAX_RANK] = { 0 }, g = 0;
    if (n == 0) return ONNXRUN_OK;
    double *mean = k->scratch, *inv = mean + p->groups;
    memset(mean, 0, (size_t)p->groups * 2 * sizeof(double));
    for (int64_t i = 0; i < n; i++, mvn_next(p, x, idx, &g)) {
        double v = ld(x->data, x->dtype, i);
        mean[g] += v;
        inv[g] += v * v;
    }
    for (int64_t j = 0; j < p->groups; j++) {
        double m = mean[j] / (double)p->count, var = inv[j] / (double)p->count - m * m;
        mean[j] = m;
        inv[j] = 1.0 / (sqrt(var > 0 ? var : 0) + 1e-9);
    }
    for (int64_t i = 0; i < n; i++, mvn_next(p, x, idx, &g))
        st(k->out[0]->data, x->dtype, i, (ld(x->data, x->dtype, i) - mean[g]) * inv[g]);
    return ONNXRUN_OK;
}

#define BN(since) \
    OR_OP("BatchNormalization", since, .flags = OR_OP_INPLACE, .params_size = sizeof(bn_params), \
          .init = bn_init, .infer = bn_infer, .run = bn_run)

OR_OP_TABLE(norm) = {
    BN(1),   /* consumed_inputs, is_test, spatial */
    BN(6),   /* is_test, spatial */
    BN(7),   /* spatial */
    BN(9),   /* always spatial */
    BN(14),  /* training_mode */
    BN(15),  /* separate types for scale/B and mean/var */
    OR_OP("LRN", 1, .params_size = sizeof(lrn_params), .init = lrn_init, .infer = lrn_infer,
          .run = lrn_run),
    OR_OP("InstanceNormalization", 1, .params_size = sizeof(inorm_params), .init = inorm_init,
          .infer = inorm_infer, .run = inorm_run),
    OR_OP("GroupNormalization", 18, .params_size = sizeof(gnorm_params), .init = gnorm_init,
          .infer = gnorm_infer, .run = gnorm_run),
    OR_OP("GroupNormalization", 21, .params_size = sizeof(gnorm_params), .init = gnorm_init,
          .infer = gnorm_infer, .run = gnorm_run),
    OR_OP("LayerNormalization", 17, .params_size = sizeof(lnorm_params), .init = lnorm_init,
          .infer = lnorm_infer, .run = lnorm_run),
    OR_OP("MeanVarianceNormalization", 9, .params_size = sizeof(mvn_params), .init = mvn_init,
          .infer = mvn_infer, .run = mvn_run),
    OR_OP("MeanVarianceNormalization", 13, .params_size = sizeof(mvn_params), .init = mvn_init,
          .infer = mvn_infer, .run = mvn_run),
};
OR_OP_TABLE_END(norm);
