/*
 * optim.c - the optimizer steps of the ai.onnx.preview.training domain
 * (opset 1): Adagrad, Momentum (standard and Nesterov) and Adam.
 *
 * Inputs: R (learning rate, scalar), T (update count, int64 scalar), then n
 * tensors of each state: X..., G... and Adagrad H... / Momentum V... /
 * Adam V..., H...; outputs the new X... and the new states in the same
 * order. Every X_i and its states share one shape and type (float or
 * double). The update is elementwise in double, as the spec's formulas:
 *   g = norm_coefficient * x + grad
 *   Adagrad   h' = h + g^2,  x' = x - R / (1 + T * decay_factor) * g / (sqrt(h') + epsilon)
 *   Momentum  v' = alpha * v + (T > 0 ? beta : 1) * g,
 *             x' = x - R * v' (standard) or x - R * (g + alpha * v') (nesterov)
 *   Adam      v' = alpha * v + (1 - alpha) * g,  h' = beta * h + (1 - beta) * g^2,
 *             r = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R,
 *             x' = (1 - norm_coefficient_post) * (x - r * v' / (sqrt(h') + epsilon))
 */
#include <math.h>
#include <string.h>

#include "op.h"

typedef enum optim_kind { OPT_ADAGRAD, OPT_MOMENTUM, OPT_ADAM } optim_kind;

typedef struct optim_params {
    optim_kind kind;
    int states;               /* tensors per X, X itself included: 3 or 4 */
    float alpha, beta, epsilon, decay, norm, norm_post;
    bool nesterov;
} optim_params;

static or_status optim_init(or_kernel *k)
{
    optim_params *p = k->params;
    const char *op = k->def->op_type;
    p->kind = !strcmp(op, "Adagrad") ? OPT_ADAGRAD : !strcmp(op, "Momentum") ? OPT_MOMENTUM : OPT_ADAM;
    p->states = p->kind == OPT_ADAM ? 4 : 3;
    OR_TRY(or_attr_float(k, "norm_coefficient", 0, &p->norm));
    if (p->kind == OPT_ADAGRAD) {
        OR_TRY(or_attr_float(k, "decay_factor", 0, &p->decay));
        OR_TRY(or_attr_float(k, "epsilon", 1e-6f, &p->epsilon));
    } else if (p->kind == OPT_MOMENTUM) {
        const char *mode;
        OR_TRY(or_attr_float(k, "alpha", 0, &p->alpha));
        OR_TRY(or_attr_float(k, "beta", 0, &p->beta));
        OR_TRY(or_attr_string(k, "mode", "standard", &mode));
        OR_CHECK(k, !strcmp(mode, "standard") || !strcmp(mode, "nesterov"),
                 "attribute 'mode' = '%s' is not standard or nesterov", mode);
        p->nesterov = !strcmp(mode, "nesterov");
        OR_CHECK(k, or_attr_has(k, "alpha") && or_attr_has(k, "beta"), "attributes 'alpha' and 'beta' are required");
    } else {
        OR_TRY(or_attr_float(k, "alpha", 0.9f, &p->alpha));
        OR_TRY(or_attr_float(k, "beta", 0.999f, &p->beta));
        OR_TRY(or_attr_float(k, "epsilon", 1e-6f, &p->epsilon));
        OR_TRY(or_attr_float(k, "norm_coefficient_post", 0, &p->norm_post));
    }
    return ONNXRUN_OK;
}

static or_status optim_infer(or_kernel *k)
{
    const optim_params *p = k->params;
    const or_tensor *r, *t;
    OR_TRY(or_need_input(k, 0, &r));
    OR_TRY(or_need_input(k, 1, &t));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, or_numel(r) == 1 && or_numel(t) == 1, "R and T must be scalars");
    size_t per = (size_t)p->states, n = (k->n_in - 2) / per;
    OR_CHECK(k, k->n_in > 2 && (k->n_in - 2) % per == 0,
             "%zu inputs; expected R, T and %zu tensors for each optimized X", k->n_in, per);
    OR_CHECK(k, k->n_out == (per - 1) * n, "%zu outputs; expected %zu (new X and states)", k->n_out,
             (per - 1) * n);
    for (size_t i = 0; i < n; i++) {
        const or_tensor *x;
        OR_TRY(or_need_input(k, 2 + i, &x));
        OR_TRY(or_check_dtype(k, 2 + i, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
        for (size_t s = 1; s < per; s++) {
            const or_tensor *o;
            OR_TRY(or_need_input(k, 2 + s * n + i, &o));
            OR_CHECK_SHAPE(k, o->dtype == x->dtype && o->rank == x->rank &&
                                  !memcmp(o->dims, x->dims, (size_t)x->rank * sizeof *x->dims),
                           "input %zu must have the type and shape of X %zu (input %zu)", 2 + s * n + i, i, 2 + i);
        }
        for (size_t s = 0; s + 1 < per; s++)
            if (or_out(k, s * n + i)) OR_TRY(or_set_shape(k, k->out[s * n + i], x->dtype, x->rank, x->dims));
    }
    return ONNXRUN_OK;
}

static inline double at(const or_tensor *t, int64_t i)
{
    return t->dtype == ONNXRUN_FLOAT ? (double)((const float *)t->data)[i] : ((const double *)t->data)[i];
}

static inline void set(or_tensor *t, int64_t i, double v)
{
    if (!t) return; /* an absent output */
    if (t->dtype == ONNXRUN_FLOAT) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

static or_status optim_run(or_kernel *k)
{
    const optim_params *p = k->params;
    double R = at(k->in[0], 0);
    int64_t T = *(const int64_t *)k->in[1]->data;
    size_t per = (size_t)p->states, n = (k->n_in - 2) / per;
    double r = R;
    if (p->kind == OPT_ADAGRAD) r = R / (1 + (double)T * p->decay);
    if (p->kind == OPT_ADAM && T > 0)
        r = R * sqrt(1 - pow(p->beta, (double)T)) / (1 - pow(p->alpha, (double)T));
    double beta_t = T > 0 ? p->beta : 1;
    for (size_t i = 0; i < n; i++) {
        const or_tensor *x = k->in[2 + i], *g = k->in[2 + n + i], *s1 = k->in[2 + 2 * n + i];
        const or_tensor *s2 = per == 4 ? k->in[2 + 3 * n + i] : NULL;
        or_tensor *xo = or_out(k, i), *o1 = or_out(k, n + i), *o2 = per == 4 ? or_out(k, 2 * n + i) : NULL;
        int64_t len = or_numel(x);
        for (int64_t e = 0; e < len; e++) {
            double xv = at(x, e), gv = p->norm * xv + at(g, e), a = at(s1, e);
            switch (p->kind) {
            case OPT_ADAGRAD: {
                double h = a + gv * gv;
                set(xo, e, xv - r * gv / (sqrt(h) + p->epsilon));
                set(o1, e, h);
                break;
            }
            case OPT_MOMENTUM: {
                double v = p->alpha * a + beta_t * gv;
                set(xo, e, xv - R * (p->nesterov ? gv + p->alpha * v : v));
                set(o1, e, v);
                break;
            }
            case OPT_ADAM: {
                double v = p->alpha * a + (1 - p->alpha) * gv;
                double h = p->beta * at(s2, e) + (1 - p->beta) * gv * gv;
                set(xo, e, (1 - p->norm_post) * (xv - r * (v / (sqrt(h) + p->epsilon))));
                set(o1, e, v);
                set(o2, e, h);
                break;
            }
            }
        }
    }
    return ONNXRUN_OK;
}

#define OPTIM(op)                                                                          \
    { .domain = "ai.onnx.preview.training", .op_type = (op), .since = 1,                  \
      .params_size = sizeof(optim_params), .init = optim_init, .infer = optim_infer, .run = optim_run }

OR_OP_TABLE(optim) = {
    OPTIM("Adagrad"),
    OPTIM("Momentum"),
    OPTIM("Adam"),
};
OR_OP_TABLE_END(optim);
