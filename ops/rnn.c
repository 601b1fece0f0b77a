/*
 * rnn.c - the recurrent layers RNN, GRU and LSTM (opsets 7, 14, 22), float.
 *
 * One direction at a time (forward, reverse, or both for bidirectional):
 *   1. the input part of every gate for every step at once, one GEMM:
 *      XW[t, b, :] = X[t, b, :] x W^T + Wb + Rb   (G gates x hidden columns)
 *      (GRU with linear_before_reset keeps Rb of its h gate apart);
 *   2. step by step, the recurrent part H x R^T for the whole batch (GEMM,
 *      batch rows), added to XW, then the gates elementwise:
 *        RNN   H = f(x + h)
 *        GRU   z = f(.), r = f(.), h~ = g(x_h + (r * H) R_h^T + Rb_h)
 *              (linear_before_reset: x_h + r * (H R_h^T + Rb_h)),
 *              H = (1 - z) * h~ + z * H
 *        LSTM  i = f(. + Pi * C), f = f(. + Pf * C) (1 - i with
 *              input_forget), c~ = g(.), C = f * C + i * c~,
 *              o = f(. + Po * C), H = o * h(C)
 *      clip bounds every gate's input before its activation.
 * With sequence_lens, batch entry b runs its first len[b] steps (reverse:
 * from len[b] - 1 down); Y past them is 0 and its Y_h / Y_c are the state
 * after its last step. Layout 1 puts batch first in X, Y, the initial
 * states and Y_h / Y_c. Gate order in W, R, B: RNN i; GRU z, r, h; LSTM
 * i, o, f, c; LSTM's P is i, o, f.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "blas.h"
#include "op.h"

#define RNN_MAX_ACTS 6

typedef enum rnn_kind { K_RNN, K_GRU, K_LSTM } rnn_kind;

typedef enum rnn_act {
    A_RELU, A_TANH, A_SIGMOID, A_AFFINE, A_LEAKY, A_THRESHOLDED, A_SCALED_TANH, A_HARD_SIGMOID,
    A_ELU, A_SOFTSIGN, A_SOFTPLUS
} rnn_act;

static const struct {
    const char *name;
    rnn_act act;
    bool alpha, beta;          /* which parameters it takes */
    float def_alpha, def_beta;
} ACTS[] = {
    { "Relu", A_RELU, false, false, 0, 0 },
    { "Tanh", A_TANH, false, false, 0, 0 },
    { "Sigmoid", A_SIGMOID, false, false, 0, 0 },
    { "Affine", A_AFFINE, true, true, 1, 0 },
    { "LeakyRelu", A_LEAKY, true, false, 0.01f, 0 },
    { "ThresholdedRelu", A_THRESHOLDED, true, false, 1, 0 },
    { "ScaledTanh", A_SCALED_TANH, true, true, 1, 1 },
    { "HardSigmoid", A_HARD_SIGMOID, true, true, 0.2f, 0.5f },
    { "Elu", A_ELU, true, false, 1, 0 },
    { "Softsign", A_SOFTSIGN, false, false, 0, 0 },
    { "Softplus", A_SOFTPLUS, false, false, 0, 0 },
};

typedef struct act_fn {
    rnn_act act;
    float alpha, beta;
} act_fn;

typedef struct rnn_params {
    rnn_kind kind;
    int gates;                 /* 1, 3, 4 */
    int n_acts;                /* activations per direction: 1, 2, 3 */
    int64_t hidden;
    int dirs;
    bool reverse;              /* direction 'reverse' (dirs 1) */
    bool layout1;
    bool lbr;                  /* GRU linear_before_reset */
    bool input_forget;         /* LSTM */
    bool has_clip;
    float clip;
    act_fn acts[RNN_MAX_ACTS]; /* [dir][n_acts] */
    int64_t seq, batch, input; /* infer */
} rnn_params;

static float act(const act_fn *a, float x)
{
    switch (a->act) {
    case A_RELU: return x > 0 ? x : 0;
    case A_TANH: return tanhf(x);
    case A_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case A_AFFINE: return a->alpha * x + a->beta;
    case A_LEAKY: return x >= 0 ? x : a->alpha * x;
    case A_THRESHOLDED: return x >= a->alpha ? x : 0;
    case A_SCALED_TANH: return a->alpha * tanhf(a->beta * x);
    case A_HARD_SIGMOID: return fminf(fmaxf(a->alpha * x + a->beta, 0), 1);
    case A_ELU: return x >= 0 ? x : a->alpha * (expf(x) - 1);
    case A_SOFTSIGN: return x / (1 + fabsf(x));
    case A_SOFTPLUS: return log1pf(expf(x));
    }
    return x;
}

static or_status rnn_init(or_kernel *k)
{
    rnn_params *p = k->params;
    const char *op = k->def->op_type, *dir;
    p->kind = !strcmp(op, "RNN") ? K_RNN : !strcmp(op, "GRU") ? K_GRU : K_LSTM;
    p->gates = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 3 : 4;
    p->n_acts = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 2 : 3;
    OR_TRY(or_attr_int(k, "hidden_size", 0, &p->hidden));
    OR_CHECK(k, p->hidden >= 1 && p->hidden <= (1 << 20), "attribute 'hidden_size' = %lld must be in [1, 2^20]",
             (long long)p->hidden);
    OR_TRY(or_attr_string(k, "direction", "forward", &dir));
    OR_CHECK(k, !strcmp(dir, "forward") || !strcmp(dir, "reverse") || !strcmp(dir, "bidirectional"),
             "attribute 'direction' = '%s' is not forward, reverse or bidirectional", dir);
    p->dirs = strcmp(dir, "bidirectional") ? 1 : 2;
    p->reverse = !strcmp(dir, "reverse");
    int64_t v;
    OR_TRY(or_attr_int(k, "layout", 0, &v));
    OR_CHECK(k, v == 0 || v == 1, "attribute 'layout' = %lld must be 0 or 1", (long long)v);
    p->layout1 = v;
    OR_TRY(or_attr_int(k, "linear_before_reset", 0, &v));
    p->lbr = v != 0;
    OR_TRY(or_attr_int(k, "input_forget", 0, &v));
    p->input_forget = v != 0;
    p->has_clip = or_attr_has(k, "clip");
    OR_TRY(or_attr_float(k, "clip", 0, &p->clip));
    OR_CHECK(k, !p->has_clip || p->clip > 0, "attribute 'clip' = %g must be positive", (double)p->clip);

    /* activations: given (n_acts per direction) or the defaults */
    char *const *names;
    size_t n_names, want = (size_t)(p->n_acts * p->dirs);
    OR_TRY(or_attr_strings(k, "activations", &names, &n_names));
    static const char *const defaults[3][3] = { { "Tanh" }, { "Sigmoid", "Tanh" }, { "Sigmoid", "Tanh", "Tanh" } };
    OR_CHECK(k, !names || n_names == want,
             "attribute 'activations' must list %zu activation names", want);
    const float *alphas, *betas;
    size_t n_alpha, n_beta, ia = 0, ib = 0;
    OR_TRY(or_attr_floats(k, "activation_alpha", &alphas, &n_alpha));
    OR_TRY(or_attr_floats(k, "activation_beta", &betas, &n_beta));
    for (size_t i = 0; i < want; i++) {
        const char *nm = names ? names[i] : defaults[p->kind][i % (size_t)p->n_acts];
        size_t j = 0, count = sizeof ACTS / sizeof ACTS[0];
        while (j < count && strcmp(ACTS[j].name, nm)) j++;
        OR_CHECK_TYPE(k, j < count, "activation '%s' is not supported", nm);
        act_fn *a = &p->acts[i];
        a->act = ACTS[j].act;
        a->alpha = ACTS[j].alpha && ia < n_alpha ? alphas[ia++] : ACTS[j].def_alpha;
        a->beta = ACTS[j].beta && ib < n_beta ? betas[ib++] : ACTS[j].def_beta;
    }
    return ONNXRUN_OK;
}

/* Checks input i is absent or float of the given dims. */
static or_status check_in(or_kernel *k, size_t i, const char *name, int rank, const int64_t *dims)
{
    const or_tensor *t = or_in(k, i);
    if (!t) return ONNXRUN_OK;
    OR_TRY(or_check_dtype(k, i, i == 4 ? ONNXRUN_INT32 : ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    bool same = t->rank == rank;
    for (int a = 0; same && a < rank; a++) same = t->dims[a] == dims[a];
    if (same) return ONNXRUN_OK;
    char want[96];
    int at = 0;
    for (int a = 0; a < rank && at < (int)sizeof want - 24; a++)
        at += snprintf(want + at, sizeof want - (size_t)at, "%s%lld", a ? " x " : "", (long long)dims[a]);
    return or_fail(k, ONNXRUN_E_SHAPE, "input %s must be %s", name, want);
}

static or_status rnn_infer(or_kernel *k)
{
    rnn_params *p = k->params;
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank == 3, "X has rank %d; expected 3", x->rank);
    OR_CHECK(k, or_in(k, 1) && or_in(k, 2), "inputs W and R are required");
    p->seq = x->dims[p->layout1 ? 1 : 0];
    p->batch = x->dims[p->layout1 ? 0 : 1];
    p->input = x->dims[2];
    int64_t d = p->dirs, gh = p->gates * p->hidden, h = p->hidden, b = p->batch;
    OR_TRY(check_in(k, 1, "W", 3, (int64_t[]){ d, gh, p->input }));
    OR_TRY(check_in(k, 2, "R", 3, (int64_t[]){ d, gh, h }));
    OR_TRY(check_in(k, 3, "B", 2, (int64_t[]){ d, 2 * gh }));
    OR_TRY(check_in(k, 4, "sequence_lens", 1, (int64_t[]){ b }));
    int64_t state[3] = { p->layout1 ? b : d, p->layout1 ? d : b, h };
    OR_TRY(check_in(k, 5, "initial_h", 3, state));
    if (p->kind == K_LSTM) {
        OR_TRY(check_in(k, 6, "initial_c", 3, state));
        OR_TRY(check_in(k, 7, "P", 2, (int64_t[]){ d, 3 * h }));
    }
    uint64_t xw, step;
    OR_CHECK(k, or_mul_ok((uint64_t)p->seq * (uint64_t)b, (uint64_t)gh, &xw) &&
                 or_mul_ok((uint64_t)b, (uint64_t)gh + 3 * (uint64_t)h, &step) &&
                 xw + step <= ((uint64_t)1 << 40) && p->seq <= INT32_MAX,
             "the gate buffers are too large");
    k->scratch_bytes = (size_t)(xw + step) * sizeof(float);
    int64_t ydims[4] = { p->seq, d, b, h };
    if (p->layout1) {
        ydims[0] = b;
        ydims[1] = p->seq;
        ydims[2] = d;
    }
    if (or_out(k, 0)) OR_TRY(or_set_shape(k, k->out[0], ONNXRUN_FLOAT, 4, ydims));
    for (size_t o = 1; o < (p->kind == K_LSTM ? 3u : 2u); o++)
        if (or_out(k, o)) OR_TRY(or_set_shape(k, k->out[o], ONNXRUN_FLOAT, 3, state));
    return ONNXRUN_OK;
}

/* Index of state (dir, b, :) in initial_h / Y_h (either layout). */
static int64_t state_at(const rnn_params *p, int dir, int64_t b)
{
    return (p->layout1 ? b * p->dirs + dir : dir * p->batch + b) * p->hidden;
}

static inline float clipped(const rnn_params *p, float v)
{
    return p->has_clip ? fminf(fmaxf(v, -p->clip), p->clip) : v;
}

/* The gates of batch entry b from its summed inputs g[gates * hidden]
 * (input parts + recurrent parts; GRU: h gate's input part alone, its
 * recurrent part in rh), updating H (and C) in place. */
static void cell(const rnn_params *p, const act_fn *a, float *g, const float *rh, const float *peep, float *H,
                 float *C)
{
    int64_t n = p->hidden;
    for (int64_t j = 0; j < n; j++) {
        switch (p->kind) {
        case K_RNN: H[j] = act(&a[0], clipped(p, g[j])); break;
        case K_GRU: {
            float z = act(&a[0], clipped(p, g[j])), r = act(&a[0], clipped(p, g[n + j]));
            /* rh: H R_h^T + Rb_h (linear_before_reset), else (r * H) R_h^T + Rb_h */
            float hh = act(&a[1], clipped(p, g[2 * n + j] + (p->lbr ? r * rh[j] : rh[j])));
            H[j] = (1 - z) * hh + z * H[j];
            break;
        }
        case K_LSTM: {
            float c0 = C[j];
            float i = act(&a[0], clipped(p, g[j] + (peep ? peep[j] * c0 : 0)));
            float f = p->input_forget ? 1 - i : act(&a[0], clipped(p, g[2 * n + j] + (peep ? peep[2 * n + j] * c0 : 0)));
            float c = act(&a[1], clipped(p, g[3 * n + j]));
            float c1 = f * c0 + i * c;
            float o = act(&a[0], clipped(p, g[n + j] + (peep ? peep[n + j] * c1 : 0)));
            C[j] = c1;
            H[j] = o * act(&a[2], c1);
            break;
        }
        }
    }
}

/* Element off of an optional float tensor (NULL when absent or empty). */
static const float *part(const or_tensor *t, int64_t off)
{
    return t && t->data ? (const float *)t->data + off : NULL;
}

static or_status rnn_run(or_kernel *k)
{
    const rnn_params *p = k->params;
    const or_tensor *x = k->in[0], *w = k->in[1], *r = k->in[2], *bias = or_in(k, 3), *lens = or_in(k, 4);
    const or_tensor *h0 = or_in(k, 5), *c0 = p->kind == K_LSTM ? or_in(k, 6) : NULL;
    const or_tensor *peep = p->kind == K_LSTM ? or_in(k, 7) : NULL;
    or_tensor *y = or_out(k, 0), *yh = or_out(k, 1), *yc = p->kind == K_LSTM ? or_out(k, 2) : NULL;
    int64_t S = p->seq, B = p->batch, I = p->input, H = p->hidden, GH = p->gates * H, D = p->dirs;
    if (lens)
        for (int64_t b = 0; b < B; b++) {
            int32_t l = ((const int32_t *)lens->data)[b];
            if (l < 0 || l > S)
                return or_fail(k, ONNXRUN_E_RUNTIME, "sequence_lens[%lld] = %d is outside [0, %lld]", (long long)b,
                               (int)l, (long long)S);
        }
    if (B == 0) return ONNXRUN_OK; /* every output is empty (and there is no scratch) */
    float *xw = k->scratch, *g = xw + S * B * GH, *hs = g + B * GH, *cs = hs + B * H, *rh = cs + B * H;
    if (y && y->data) memset(y->data, 0, (size_t)or_numel(y) * sizeof(float));
    for (int dir = 0; dir < D; dir++) {
        bool rev = p->reverse || dir == 1;
        const act_fn *a = p->acts + dir * p->n_acts;
        const float *W = part(w, dir * GH * I), *R = part(r, dir * GH * H);
        const float *Wb = part(bias, dir * 2 * GH), *Rb = Wb ? Wb + GH : NULL;
        const float *P = part(peep, dir * 3 * H);
        /* 1. input parts of all steps (X's rows in memory order), biases added */
        if (S * B > 0 && I > 0)
            or_blas_sgemm(k, false, true, S * B, GH, I, 1.0f, x->data, I, W, I, 0.0f, xw, GH);
        else /* no input features: the input parts are 0 (BLAS wants lda >= 1) */
            memset(xw, 0, (size_t)(S * B * GH) * sizeof *xw);
        for (int64_t row = 0; row < S * B; row++)
            for (int64_t j = 0; Wb && j < GH; j++)
                xw[row * GH + j] += Wb[j] + (p->kind == K_GRU && j >= 2 * H ? 0 : Rb[j]);
        for (int64_t b = 0; b < B; b++) {
            for (int64_t j = 0; j < H; j++) {
                hs[b * H + j] = h0 ? ((const float *)h0->data)[state_at(p, dir, b) + j] : 0;
                cs[b * H + j] = c0 ? ((const float *)c0->data)[state_at(p, dir, b) + j] : 0;
            }
        }
        /* 2. step by step */
        for (int64_t s = 0; s < S; s++) {
            /* recurrent parts of every gate but GRU's h */
            int64_t rg = p->kind == K_GRU ? 2 * H : GH;
            or_blas_sgemm(k, false, true, B, rg, H, 1.0f, hs, H, R, H, 0.0f, g, GH);
            if (p->kind == K_GRU && p->lbr) /* H R_h^T, reset applied in cell */
                or_blas_sgemm(k, false, true, B, H, H, 1.0f, hs, H, R + 2 * H * H, H, 0.0f, rh, H);
            for (int64_t b = 0; b < B; b++) {
                int64_t len = lens ? ((const int32_t *)lens->data)[b] : S;
                if (s >= len) continue;
                int64_t t = rev ? len - 1 - s : s;
                const float *xr = xw + (p->layout1 ? b * S + t : t * B + b) * GH;
                float *gb = g + b * GH, *hb = hs + b * H;
                for (int64_t j = 0; j < GH; j++) gb[j] = (p->kind == K_GRU && j >= 2 * H ? 0 : gb[j]) + xr[j];
                float *rhb = rh + b * H;
                if (p->kind == K_GRU && !p->lbr) { /* (r * H) R_h^T + Rb_h: r from this step's gates */
                    float *rH = cs + b * H;        /* GRU has no cell state: its buffer is free */
                    for (int64_t j = 0; j < H; j++) rH[j] = act(&a[0], clipped(p, gb[H + j])) * hb[j];
                    for (int64_t j = 0; j < H; j++) {
                        const float *rr = R + (2 * H + j) * H;
                        float acc = Rb ? Rb[2 * H + j] : 0;
                        for (int64_t q = 0; q < H; q++) acc += rr[q] * rH[q];
                        rhb[j] = acc;
                    }
                } else if (p->kind == K_GRU && Rb) { /* H R_h^T computed above; its bias */
                    for (int64_t j = 0; j < H; j++) rhb[j] += Rb[2 * H + j];
                }
                cell(p, a, gb, rhb, P, hb, cs + b * H);
                if (y) {
                    int64_t at = p->layout1 ? ((b * S + t) * D + dir) * H : ((t * D + dir) * B + b) * H;
                    memcpy((float *)y->data + at, hb, (size_t)H * sizeof *hb);
                }
            }
        }
        for (int64_t b = 0; b < B; b++) {
            if (yh) memcpy((float *)yh->data + state_at(p, dir, b), hs + b * H, (size_t)H * sizeof(float));
            if (yc) memcpy((float *)yc->data + state_at(p, dir, b), cs + b * H, (size_t)H * sizeof(float));
        }
    }
    return ONNXRUN_OK;
}

#define RNN(op, since)                                                                     \
    OR_OP(op, since, .flags = OR_OP_OPTIONAL_OUT0, .params_size = sizeof(rnn_params), .init = rnn_init, \
          .infer = rnn_infer, .run = rnn_run)

OR_OP_TABLE(rnn) = {
    RNN("RNN", 7), RNN("RNN", 14), RNN("RNN", 22),
    RNN("GRU", 7), RNN("GRU", 14), RNN("GRU", 22),
    RNN("LSTM", 7), RNN("LSTM", 14), RNN("LSTM", 22),
};
OR_OP_TABLE_END(rnn);
