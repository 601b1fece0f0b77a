/*
 * activation.c - activation functions, float32 and float64 (Clip and Relu
 * also on integers):
 *   pointwise  Relu, LeakyRelu, Elu, Selu, Celu, Sigmoid, HardSigmoid,
 *              HardSwish, Tanh, Softplus, Softsign, ThresholdedRelu, Shrink, Mish
 *              (18), Gelu (20; approximate none or tanh): one
 *              switch per type over a list of expressions with the
 *              attributes alpha / beta / gamma;
 *   Clip       bounds from attributes (opset 1, 6) or from optional scalar
 *              inputs (11+); an absent bound does not clip;
 *   Softmax, LogSoftmax, Hardmax  over an axis. Before opset 13 the input
 *              is seen as 2-D [d0*..*d(axis-1), d(axis)*..*d(n-1)] (axis
 *              default 1) and the op runs over each row; from 13 over the
 *              single axis (default -1). Both are the (outer, n, inner)
 *              walk below. Softmax subtracts the maximum before exp.
 * PRelu lives in elementwise.c (it needs broadcasting). Every op may run in
 * place: each element is read before it is written.
 */
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "op.h"
#include "vectorize.h"

#define FLOAT_TYPES(X) X(ONNXRUN_FLOAT, float, f32) X(ONNXRUN_DOUBLE, double, f64)
/* (dtype, C type, suffix, value of an absent lower bound, of an absent upper bound) */
#define CLIP_TYPES(X) \
    X(ONNXRUN_FLOAT, float, f32, -INFINITY, INFINITY) \
    X(ONNXRUN_DOUBLE, double, f64, -INFINITY, INFINITY) \
    X(ONNXRUN_INT8, int8_t, i8, INT8_MIN, INT8_MAX) \
    X(ONNXRUN_INT16, int16_t, i16, INT16_MIN, INT16_MAX) \
    X(ONNXRUN_INT32, int32_t, i32, INT32_MIN, INT32_MAX) \
    X(ONNXRUN_INT64, int64_t, i64, INT64_MIN, INT64_MAX) \
    X(ONNXRUN_UINT8, uint8_t, u8, 0, UINT8_MAX) \
    X(ONNXRUN_UINT16, uint16_t, u16, 0, UINT16_MAX) \
    X(ONNXRUN_UINT32, uint32_t, u32, 0, UINT32_MAX) \
    X(ONNXRUN_UINT64, uint64_t, u64, 0, UINT64_MAX)


/* ---- pointwise activations ---- */

typedef enum act_op {
    A_RELU, A_LEAKY, A_ELU, A_SELU, A_CELU, A_SIGMOID, A_HARDSIGMOID, A_HARDSWISH, A_TANH,
    A_SOFTPLUS, A_SOFTSIGN, A_THRESHOLDED, A_SHRINK, A_MISH, A_GELU, A_GELU_TANH,
    A_COUNT
} act_op;

/* Y(op, expression of x with the attributes a (alpha), b (beta), g (gamma)
 * and the constants zero and one, all of the element type) */
#define ACT_LIST(Y) \
    Y(A_RELU, x < zero ? zero : x) /* NaN stays NaN */ \
    Y(A_LEAKY, x < zero ? a * x : x) \
    Y(A_ELU, x < zero ? a * expm1(x) : x) \
    Y(A_SELU, x > zero ? g * x : g * a * expm1(x)) \
    Y(A_CELU, x > zero ? x : a * expm1(x / a)) \
    Y(A_SIGMOID, x >= zero ? one / (one + exp(-x)) : exp(x) / (one + exp(x))) \
    Y(A_HARDSIGMOID, fmax(zero, fmin(one, a * x + b))) \
    Y(A_HARDSWISH, x * fmax(zero, fmin(one, a * x + b))) \
    Y(A_TANH, tanh(x)) \
    Y(A_SOFTPLUS, log1p(exp(-fabs(x))) + fmax(x, zero)) \
    Y(A_SOFTSIGN, x / (one + fabs(x))) \
    Y(A_THRESHOLDED, x > a ? x : zero) \
    Y(A_SHRINK, x < -a ? x + b : x > a ? x - b : zero) \
    Y(A_MISH, x * tanh(log1p(exp(-fabs(x))) + fmax(x, zero))) \
    Y(A_GELU, (elem)0.5 * x * (one + erf(x * (elem)0.70710678118654752440))) \
    Y(A_GELU_TANH, (elem)0.5 * x * (one + tanh((elem)0.79788456080286535588 * (x + (elem)0.044715 * x * x * x))))

typedef enum smax_mode { SM_SOFTMAX, SM_LOGSOFTMAX, SM_HARDMAX } smax_mode;

typedef struct act_params {
    act_op op;
    float alpha, beta, gamma;
    /* Clip (the `op` field is unused) */
    bool legacy_clip;        /* bounds from attributes */
    float min, max;          /* legacy bounds */
    /* Softmax family */
    smax_mode mode;
    int64_t axis;            /* attribute */
    int64_t outer, n, inner; /* set by infer */
} act_params;

#define ACT_CASE(op, E) \
    case op: \
        for (int64_t i = 0; i < n; i++) { elem x = X[i]; O[i] = (E); } \
        break;
#define DEF_ACT(dt, T, s) \
    VECTORIZE static void act_##s(const act_params *p, const void *px, void *po, int64_t n) \
    { \
        typedef T elem; \
        const elem *X = px; \
        elem *O = po; \
        const elem a = (elem)p->alpha, b = (elem)p->beta, g = (elem)p->gamma, zero = 0, one = 1; \
        switch (p->op) { \
        ACT_LIST(ACT_CASE) \
        default: break; \
        } \
    }
FLOAT_TYPES(DEF_ACT)

/* ---- Clip: x below lo becomes lo, then above hi becomes hi ---- */

/* lo, hi point to one element of the type, or are NULL when absent */
typedef void (*clip_fn)(const void *x, void *o, int64_t n, const void *lo, const void *hi);

#define DEF_CLIP(dt, T, s, LOWEST, HIGHEST) \
    VECTORIZE static void clip_##s(const void *px, void *po, int64_t n, const void *plo, const void *phi) \
    { \
        const T *X = px; \
        T *O = po, lo = LOWEST, hi = HIGHEST; \
        if (plo) memcpy(&lo, plo, sizeof lo); \
        if (phi) memcpy(&hi, phi, sizeof hi); \
        for (int64_t i = 0; i < n; i++) { \
            T x = X[i]; \
            x = x < lo ? lo : x; \
            O[i] = x > hi ? hi : x; \
        } \
    }
CLIP_TYPES(DEF_CLIP)

#define CLIP_ENTRY(dt, T, s, LOWEST, HIGHEST) [dt] = clip_##s,
static const clip_fn clip_rows[ONNXRUN_DTYPE_COUNT] = { CLIP_TYPES(CLIP_ENTRY) };

typedef void (*act_fn)(const act_params *p, const void *x, void *o, int64_t n);
#define ACT_ENTRY(dt, T, s) [dt] = act_##s,
static const act_fn act_rows[ONNXRUN_DTYPE_COUNT] = { FLOAT_TYPES(ACT_ENTRY) };

/* ---- Softmax, LogSoftmax, Hardmax over [outer, n, inner], along n ---- */

/* scratch: inner elements for the maxima, inner for the sums, inner
 * int64 for the arg max */
typedef void (*smax_fn)(smax_mode mode, const void *x, void *o, int64_t outer, int64_t n,
                        int64_t inner, void *scratch);

#define DEF_SMAX(dt, T, s) \
    VECTORIZE static void smax_##s(smax_mode mode, const void *px, void *po, int64_t outer, int64_t n, \
                         int64_t inner, void *scratch) \
    { \
        T *mx = scratch, *sum = mx + inner; \
        int64_t *arg = (int64_t *)(sum + inner); \
        for (int64_t o = 0; o < outer; o++) { \
            const T *x = (const T *)px + o * n * inner; \
            T *y = (T *)po + o * n * inner; \
            for (int64_t j = 0; j < inner; j++) { mx[j] = x[j]; sum[j] = 0; arg[j] = 0; } \
            for (int64_t k = 1; k < n; k++) \
                for (int64_t j = 0; j < inner; j++) \
                    if (x[k * inner + j] > mx[j]) { mx[j] = x[k * inner + j]; arg[j] = k; } \
            if (mode == SM_HARDMAX) { \
                for (int64_t k = 0; k < n; k++) \
                    for (int64_t j = 0; j < inner; j++) y[k * inner + j] = arg[j] == k; \
            } else if (mode == SM_SOFTMAX) { \
                for (int64_t k = 0; k < n; k++) \
                    for (int64_t j = 0; j < inner; j++) { \
                        T e = exp(x[k * inner + j] - mx[j]); \
                        y[k * inner + j] = e; \
                        sum[j] += e; \
                    } \
                for (int64_t j = 0; j < inner; j++) sum[j] = 1 / sum[j]; \
                for (int64_t k = 0; k < n; k++) \
                    for (int64_t j = 0; j < inner; j++) y[k * inner + j] *= sum[j]; \
            } else { \
                for (int64_t k = 0; k < n; k++) \
                    for (int64_t j = 0; j < inner; j++) sum[j] += exp(x[k * inner + j] - mx[j]); \
                for (int64_t j = 0; j < inner; j++) sum[j] = log(sum[j]); \
                for (int64_t k = 0; k < n; k++) \
                    for (int64_t j = 0; j < inner; j++) \
                        y[k * inner + j] = (x[k * inner + j] - mx[j]) - sum[j]; \
            } \
        } \
    }
FLOAT_TYPES(DEF_SMAX)

#define SMAX_ENTRY(dt, T, s) [dt] = smax_##s,
static const smax_fn smax_rows[ONNXRUN_DTYPE_COUNT] = { FLOAT_TYPES(SMAX_ENTRY) };

/* ---- op descriptions ---- */

enum { USES_ALPHA = 1, USES_BETA = 2, USES_GAMMA = 4 };

typedef struct act_desc {
    const char *name;
    act_op op;
    unsigned attrs;             /* USES_*: attributes the op reads */
    float alpha, beta, gamma;   /* defaults (or fixed values) */
    const char *alpha_name, *beta_name; /* NULL: "alpha", "beta" */
} act_desc;

static const act_desc acts[] = {
    { .name = "Relu", .op = A_RELU },
    { .name = "LeakyRelu", .op = A_LEAKY, .attrs = USES_ALPHA, .alpha = 0.01f },
    { .name = "Elu", .op = A_ELU, .attrs = USES_ALPHA, .alpha = 1.0f },
    { .name = "Selu", .op = A_SELU, .attrs = USES_ALPHA | USES_GAMMA,
      .alpha = 1.67326319217681884765625f, .gamma = 1.05070102214813232421875f },
    { .name = "Celu", .op = A_CELU, .attrs = USES_ALPHA, .alpha = 1.0f },
    { .name = "Sigmoid", .op = A_SIGMOID },
    { .name = "HardSigmoid", .op = A_HARDSIGMOID, .attrs = USES_ALPHA | USES_BETA, .alpha = 0.2f,
      .beta = 0.5f },
    { .name = "HardSwish", .op = A_HARDSWISH, .alpha = 1.0f / 6, .beta = 0.5f },
    { .name = "Tanh", .op = A_TANH },
    { .name = "Softplus", .op = A_SOFTPLUS },
    { .name = "Softsign", .op = A_SOFTSIGN },
    { .name = "ThresholdedRelu", .op = A_THRESHOLDED, .attrs = USES_ALPHA, .alpha = 1.0f },
    { .name = "Shrink", .op = A_SHRINK, .attrs = USES_ALPHA | USES_BETA, .alpha = 0.5f,
      .alpha_name = "lambd", .beta_name = "bias" },
    { .name = "Mish", .op = A_MISH },
    { .name = "Gelu", .op = A_GELU },   /* approximate = "tanh": A_GELU_TANH (act_init) */
};

static or_status one_input(or_kernel *k, or_tensor **x)
{
    *x = or_in(k, 0);
    if (!*x) return or_fail(k, ONNXRUN_E_INVALID, "input 0 is missing");
    return ONNXRUN_OK;
}

static or_status bad_type(or_kernel *k, onnxrun_dtype dt)
{
    return or_fail(k, ONNXRUN_E_UNSUPPORTED, "type %s is not supported", onnxrun_dtype_name(dt));
}

/* ---- pointwise kernels ---- */

static or_status act_init(or_kernel *k)
{
    const act_desc *d = NULL;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0] && !d; i++)
        if (strcmp(acts[i].name, k->def->op_type) == 0) d = &acts[i];
    if (!d) return or_fail(k, ONNXRUN_E_UNSUPPORTED, "no activation kernel for this op");
    act_params *p = k->params;
    p->op = d->op;
    p->alpha = d->alpha;
    p->beta = d->beta;
    p->gamma = d->gamma;
    const char *an = d->alpha_name ? d->alpha_name : "alpha";
    const char *bn = d->beta_name ? d->beta_name : "beta";
    if (d->attrs & USES_ALPHA) OR_TRY(or_attr_float(k, an, d->alpha, &p->alpha));
    if (d->attrs & USES_BETA) OR_TRY(or_attr_float(k, bn, d->beta, &p->beta));
    if (d->attrs & USES_GAMMA) OR_TRY(or_attr_float(k, "gamma", d->gamma, &p->gamma));
    OR_CHECK(k, p->op != A_CELU || p->alpha != 0, "alpha must not be 0");
    if (p->op == A_GELU) {
        const char *ap;
        OR_TRY(or_attr_string(k, "approximate", "none", &ap));
        OR_CHECK(k, !strcmp(ap, "none") || !strcmp(ap, "tanh"), "attribute 'approximate' = '%s' is not none or tanh",
                 ap);
        if (!strcmp(ap, "tanh")) p->op = A_GELU_TANH;
    }
    return ONNXRUN_OK;
}

/* Relu on integers is a clip at zero. */
static bool int_relu(const act_params *p, onnxrun_dtype dt)
{
    return p->op == A_RELU && !act_rows[dt] && clip_rows[dt];
}

static or_status act_infer(or_kernel *k)
{
    act_params *p = k->params;
    or_tensor *x;
    OR_TRY(one_input(k, &x));
    if ((unsigned)x->dtype >= ONNXRUN_DTYPE_COUNT || (!act_rows[x->dtype] && !int_relu(p, x->dtype)))
        return bad_type(k, x->dtype);
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

typedef struct act_ctx {
    const act_params *p;
    act_fn fn;
    const char *x;
    char *y;
    size_t esize;
} act_ctx;

static void act_range(void *ctx, int64_t begin, int64_t end)
{
    const act_ctx *c = ctx;
    int64_t off = begin * (int64_t)c->esize;
    c->fn(c->p, c->x + off, c->y + off, end - begin);
}

static or_status act_run(or_kernel *k)
{
    act_params *p = k->params;
    or_tensor *x = k->in[0], *y = or_out(k, 0);
    if (!y) return ONNXRUN_OK;
    int64_t n = or_numel(y);
    if (int_relu(p, x->dtype)) {
        static const unsigned char zero[8];
        clip_rows[x->dtype](x->data, y->data, n, zero, NULL);
        return ONNXRUN_OK;
    }
    act_ctx c = { p, act_rows[x->dtype], x->data, y->data, onnxrun_dtype_size(x->dtype) };
    if (or_par_worth(k, (double)n, OR_PAR_MIN_ELEMS)) or_parallel_for(k, n, act_range, &c);
    else if (n > 0) act_range(&c, 0, n);
    return ONNXRUN_OK;
}

/* ---- Clip ---- */

static or_status clip_init(or_kernel *k)
{
    act_params *p = k->params;
    p->legacy_clip = k->def->since < 11;
    if (p->legacy_clip) {
        OR_TRY(or_attr_float(k, "min", -INFINITY, &p->min));
        OR_TRY(or_attr_float(k, "max", INFINITY, &p->max));
    }
    return ONNXRUN_OK;
}

static or_status clip_infer(or_kernel *k)
{
    act_params *p = k->params;
    or_tensor *x;
    OR_TRY(one_input(k, &x));
    if ((unsigned)x->dtype >= ONNXRUN_DTYPE_COUNT || !clip_rows[x->dtype] ||
        (p->legacy_clip && !act_rows[x->dtype]))
        return bad_type(k, x->dtype);
    for (size_t i = 1; i <= 2 && !p->legacy_clip; i++) {
        or_tensor *b = or_in(k, i);
        if (!b) continue;
        if (b->dtype != x->dtype)
            return or_fail(k, ONNXRUN_E_INVALID, "input %zu (%s) has type %s, the input has %s",
                           i, i == 1 ? "min" : "max", onnxrun_dtype_name(b->dtype),
                           onnxrun_dtype_name(x->dtype));
        if (or_numel(b) != 1)
            return or_fail(k, ONNXRUN_E_SHAPE, "input %zu (%s) must be a scalar", i,
                           i == 1 ? "min" : "max");
    }
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

static or_status clip_run(or_kernel *k)
{
    act_params *p = k->params;
    or_tensor *x = k->in[0], *y = or_out(k, 0);
    if (!y) return ONNXRUN_OK;
    /* legacy bounds converted to the element type (float or double) */
    union { float f; double d; } lo, hi;
    const void *plo = NULL, *phi = NULL;
    if (p->legacy_clip) {
        if (x->dtype == ONNXRUN_FLOAT) {
            lo.f = p->min;
            hi.f = p->max;
        } else {
            lo.d = p->min;
            hi.d = p->max;
        }
        plo = &lo;
        phi = &hi;
    } else {
        or_tensor *tlo = or_in(k, 1), *thi = or_in(k, 2);
        plo = tlo ? tlo->data : NULL;
        phi = thi ? thi->data : NULL;
    }
    clip_rows[x->dtype](x->data, y->data, or_numel(y), plo, phi);
    return ONNXRUN_OK;
}

/* ---- Softmax, LogSoftmax, Hardmax ---- */

static or_status smax_init(or_kernel *k)
{
    act_params *p = k->params;
    const char *t = k->def->op_type;
    p->mode = strcmp(t, "Softmax") == 0      ? SM_SOFTMAX
              : strcmp(t, "LogSoftmax") == 0 ? SM_LOGSOFTMAX
                                             : SM_HARDMAX;
    return or_attr_int(k, "axis", k->def->since < 13 ? 1 : -1, &p->axis);
}

static or_status smax_infer(or_kernel *k)
{
    act_params *p = k->params;
    or_tensor *x;
    int ax;
    OR_TRY(one_input(k, &x));
    if ((unsigned)x->dtype >= ONNXRUN_DTYPE_COUNT || !smax_rows[x->dtype])
        return bad_type(k, x->dtype);
    OR_TRY(or_axis(k, p->axis, x->rank, &ax));
    p->outer = p->n = p->inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) p->outer *= x->dims[i];
        else if (i == ax || k->def->since < 13) p->n *= x->dims[i]; /* < 13: all of [axis, rank) */
        else p->inner *= x->dims[i];
    }
    k->scratch_bytes = (size_t)p->inner * (2 * onnxrun_dtype_size(x->dtype) + sizeof(int64_t));
    return or_set_shape(k, or_out(k, 0), x->dtype, x->rank, x->dims);
}

static or_status smax_run(or_kernel *k)
{
    act_params *p = k->params;
    or_tensor *x = k->in[0], *y = or_out(k, 0);
    if (!y || p->n == 0 || p->outer == 0 || p->inner == 0) return ONNXRUN_OK;
    smax_rows[x->dtype](p->mode, x->data, y->data, p->outer, p->n, p->inner, k->scratch);
    return ONNXRUN_OK;
}

/* ---- as a fused epilogue (op.h) ---- */

static bool is_float(const or_kernel *k)
{
    return or_in(k, 0) && or_in(k, 0)->dtype == ONNXRUN_FLOAT;
}

static bool act_epilogue(const or_kernel *k, unsigned known, or_epilogue *e)
{
    (void)known;
    const act_params *p = k->params;
    if (!is_float(k)) return false;
    if (p->op == A_RELU) {
        e->act = OR_ACT_RELU;
    } else if (p->op == A_LEAKY) {
        e->act = OR_ACT_LEAKY;
        e->alpha = p->alpha;
    } else {
        return false;
    }
    return true;
}

/* Clip: the legacy attributes, or min/max inputs that are constants. */
static bool clip_epilogue(const or_kernel *k, unsigned known, or_epilogue *e)
{
    const act_params *p = k->params;
    if (!is_float(k)) return false;
    e->act = OR_ACT_CLIP;
    e->lo = p->legacy_clip ? p->min : -INFINITY;
    e->hi = p->legacy_clip ? p->max : INFINITY;
    for (size_t i = 1; i <= 2 && !p->legacy_clip; i++) {
        const or_tensor *b = or_in(k, i);
        if (!b) continue;
        if (!(known >> i & 1) || !b->data) return false;
        *(i == 1 ? &e->lo : &e->hi) = *(const float *)b->data; /* a float scalar (infer) */
    }
    return true;
}

/* ---- the table ---- */

#define ACT(name, since) \
    OR_OP(name, since, .flags = OR_OP_INPLACE, .params_size = sizeof(act_params), \
          .init = act_init, .infer = act_infer, .run = act_run, .epilogue = act_epilogue)
#define CLIP(since) \
    OR_OP("Clip", since, .flags = OR_OP_INPLACE, .params_size = sizeof(act_params), \
          .init = clip_init, .infer = clip_infer, .run = clip_run, .epilogue = clip_epilogue)
/* before 13: over the 2-D coercion at axis; from 13: over one axis */
#define SMAX(name) \
    OR_OP(name, 1, .flags = OR_OP_INPLACE, .params_size = sizeof(act_params), .init = smax_init, \
          .infer = smax_infer, .run = smax_run), \
    OR_OP(name, 13, .flags = OR_OP_INPLACE, .params_size = sizeof(act_params), \
          .init = smax_init, .infer = smax_infer, .run = smax_run)

OR_OP_TABLE(activation) = {
    ACT("Relu", 1), ACT("LeakyRelu", 1), ACT("Elu", 1), ACT("Selu", 1), ACT("Celu", 12),
    ACT("Sigmoid", 1), ACT("HardSigmoid", 1), ACT("HardSwish", 14), ACT("Tanh", 1),
    ACT("Softplus", 1), ACT("Softsign", 1), ACT("ThresholdedRelu", 10), ACT("Shrink", 9),
    ACT("Mish", 18), ACT("Gelu", 20),
    CLIP(1), CLIP(11),
    SMAX("Softmax"), SMAX("LogSoftmax"), SMAX("Hardmax"),
};
OR_OP_TABLE_END(activation);
