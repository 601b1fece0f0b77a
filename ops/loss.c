/*
 * loss.c - the loss ops: NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss (opsets 12, 13), float and double.
 *
 * Input [N, C, D...] is read as [N, C, D] (D the product of the trailing
 * dims), the target [N, D] as int32 or int64. Each position's loss is
 * -input[n, target, d] times its weight (weight[target], or 1), 0 where the
 * target is ignore_index. reduction 'none' keeps the target's shape, 'sum'
 * adds, 'mean' divides the sum by the sum of the weights (by the count of
 * positions when there are no weights), as the spec's function
 * bodies do. SoftmaxCrossEntropyLoss first takes log_softmax over C (its
 * optional second output) and feeds it to the same loss. Sums are in
 * double. A target outside [0, C) that is not ignore_index fails at run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

typedef enum lreduce { RED_NONE, RED_SUM, RED_MEAN } lreduce;

typedef struct loss_params {
    lreduce red;
    bool has_ignore;
    int64_t ignore;
    int64_t n, c, d;   /* infer: the [N, C, D] view */
} loss_params;

static bool is_sce(const or_kernel *k)
{
    return !strcmp(k->def->op_type, "SoftmaxCrossEntropyLoss");
}

static or_status loss_init(or_kernel *k)
{
    loss_params *p = k->params;
    const char *r;
    OR_TRY(or_attr_string(k, "reduction", "mean", &r));
    if (!strcmp(r, "none")) p->red = RED_NONE;
    else if (!strcmp(r, "sum")) p->red = RED_SUM;
    else if (!strcmp(r, "mean")) p->red = RED_MEAN;
    else return or_fail(k, ONNXRUN_E_INVALID, "attribute 'reduction' = '%s' is not one of none, sum, mean", r);
    p->has_ignore = or_attr_has(k, "ignore_index");
    return or_attr_int(k, "ignore_index", 0, &p->ignore);
}

static or_status loss_infer(or_kernel *k)
{
    loss_params *p = k->params;
    const or_tensor *x = or_in(k, 0), *t = or_in(k, 1), *w = or_in(k, 2);
    OR_CHECK(k, x && t, "inputs %s and %s are required", is_sce(k) ? "scores" : "input",
             is_sce(k) ? "labels" : "target");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_INT32, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2, "input has rank %d; expected N x C x ... (rank >= 2)", x->rank);
    bool same = t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
    for (int a = 1; same && a < t->rank; a++) same = t->dims[a] == x->dims[a + 1];
    OR_CHECK_SHAPE(k, same, "the target must have the input's shape without its axis 1 (C)");
    if (w) {
        OR_CHECK_TYPE(k, w->dtype == x->dtype, "weight has type %s but the input has %s",
                      onnxrun_dtype_name(w->dtype), onnxrun_dtype_name(x->dtype));
        OR_CHECK_SHAPE(k, w->rank == 1 && w->dims[0] == x->dims[1], "weight must be 1-D of length C = %lld",
                       (long long)x->dims[1]);
    }
    p->n = x->dims[0];
    p->c = x->dims[1];
    p->d = 1;
    for (int a = 2; a < x->rank; a++) p->d *= x->dims[a];
    if (p->red == RED_NONE) OR_TRY(or_set_shape(k, k->out[0], x->dtype, t->rank, t->dims));
    else OR_TRY(or_set_shape(k, k->out[0], x->dtype, 0, x->dims));
    if (is_sce(k) && or_out(k, 1)) OR_TRY(or_set_shape(k, k->out[1], x->dtype, x->rank, x->dims));
    /* SoftmaxCrossEntropyLoss without its log_prob output: log_softmax in scratch */
    if (is_sce(k) && !or_out(k, 1)) k->scratch_bytes = (size_t)or_numel(x) * onnxrun_dtype_size(x->dtype);
    return ONNXRUN_OK;
}

static inline double get(const void *p, onnxrun_dtype dt, int64_t i)
{
    return dt == ONNXRUN_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static inline void put(void *p, onnxrun_dtype dt, int64_t i, double v)
{
    if (dt == ONNXRUN_FLOAT) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

/* log_softmax of x over axis 1 of [N, C, D] into y. */
static void log_softmax(const void *x, void *y, onnxrun_dtype dt, int64_t n, int64_t c, int64_t d)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = 0; e < d; e++) {
            int64_t base = i * c * d + e;
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < c; j++) mx = fmax(mx, get(x, dt, base + j * d));
            for (int64_t j = 0; j < c; j++) sum += exp(get(x, dt, base + j * d) - mx);
            double lse = mx + log(sum);
            for (int64_t j = 0; j < c; j++) put(y, dt, base + j * d, get(x, dt, base + j * d) - lse);
        }
}

static or_status loss_run(or_kernel *k)
{
    const loss_params *p = k->params;
    const or_tensor *x = k->in[0], *t = k->in[1], *w = or_in(k, 2);
    onnxrun_dtype dt = x->dtype;
    const void *in = x->data;
    if (is_sce(k)) {
        void *lp = or_out(k, 1) ? k->out[1]->data : k->scratch;
        log_softmax(x->data, lp, dt, p->n, p->c, p->d);
        in = lp;
    }
    double total = 0, wsum = 0;
    for (int64_t i = 0; i < p->n; i++)
        for (int64_t e = 0; e < p->d; e++) {
            int64_t j = i * p->d + e;
            int64_t cls = t->dtype == ONNXRUN_INT32 ? ((const int32_t *)t->data)[j] : ((const int64_t *)t->data)[j];
            double l = 0, wt = 0;
            if (!(p->has_ignore && cls == p->ignore)) {
                if (cls < 0 || cls >= p->c)
                    return or_fail(k, ONNXRUN_E_RUNTIME, "target %lld is outside [0, %lld) (C)",
                                   (long long)cls, (long long)p->c);
                wt = w ? get(w->data, dt, cls) : 1.0;
                l = -get(in, dt, (i * p->c + cls) * p->d + e) * wt;
            }
            if (p->red == RED_NONE) put(k->out[0]->data, dt, j, l);
            total += l;
            wsum += wt;
        }
    if (p->red == RED_SUM) put(k->out[0]->data, dt, 0, total);
    /* the weights' sum: N x D without weights or ignore_index (0 / 0 when
     * every position is ignored: NaN, as the spec's function body) */
    if (p->red == RED_MEAN) put(k->out[0]->data, dt, 0, total / wsum);
    return ONNXRUN_OK;
}

#define LOSS(op, since)                                                                 \
    OR_OP(op, since, .params_size = sizeof(loss_params), .init = loss_init, .infer = loss_infer, \
          .run = loss_run)

OR_OP_TABLE(loss) = {
    LOSS("NegativeLogLikelihoodLoss", 12),
    LOSS("NegativeLogLikelihoodLoss", 13),
    LOSS("SoftmaxCrossEntropyLoss", 12),
    LOSS("SoftmaxCrossEntropyLoss", 13),
};
OR_OP_TABLE_END(loss);
