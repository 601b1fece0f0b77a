/*
 * test_rnn.c - RNN, GRU and LSTM through the kernel harness, against the
 * spec's equations stepped per element in double: forward, reverse and
 * bidirectional, both layouts, sequence_lens (with zeros), initial states,
 * biases, peepholes, clip, GRU's linear_before_reset, LSTM's input_forget,
 * activations other than the defaults with their alpha / beta; the errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static uint32_t rng = 4242;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static float frand(void)
{
    return (float)((double)(rnd() % 20001) / 10000.0 - 1.0);
}

typedef struct fn {
    const char *name;
    double alpha, beta;
} fn;

static double apply(const fn *f, double x)
{
    const char *n = f->name;
    if (!strcmp(n, "Tanh")) return tanh(x);
    if (!strcmp(n, "Sigmoid")) return 1 / (1 + exp(-x));
    if (!strcmp(n, "Relu")) return x > 0 ? x : 0;
    if (!strcmp(n, "LeakyRelu")) return x >= 0 ? x : f->alpha * x;
    if (!strcmp(n, "HardSigmoid")) return fmin(fmax(f->alpha * x + f->beta, 0), 1);
    if (!strcmp(n, "ScaledTanh")) return f->alpha * tanh(f->beta * x);
    if (!strcmp(n, "Softsign")) return x / (1 + fabs(x));
    fail_msg("no function %s", n);
    return 0;
}

static double clipv(double v, double c)
{
    return c > 0 ? fmin(fmax(v, -c), c) : v;
}

static void test_rnn_random(void **state)
{
    (void)state;
    static const char *const ops[] = { "RNN", "GRU", "LSTM" };
    static const char *const dirs[] = { "forward", "reverse", "bidirectional" };
    for (int it = 0; it < 180; it++) {
        int kind = it % 3, G = kind == 0 ? 1 : kind == 1 ? 3 : 4, NA = kind + 1, dirn = (int)(rnd() % 3);
        int D = dirn == 2 ? 2 : 1;
        bool layout1 = rnd() % 2, with_b = rnd() % 2, with_lens = rnd() % 2, with_h0 = rnd() % 2;
        bool with_c0 = kind == 2 && rnd() % 2, with_p = kind == 2 && rnd() % 2, lbr = kind == 1 && rnd() % 2;
        bool input_forget = kind == 2 && rnd() % 4 == 0, custom = rnd() % 3 == 0;
        double clip = rnd() % 3 == 0 ? 0.5 + (rnd() % 10) / 10.0 : 0;
        int64_t S = 1 + rnd() % 5, B = 1 + rnd() % 3, I = 1 + rnd() % 4, H = 1 + rnd() % 4;
        int64_t nx = S * B * I, nw = D * G * H * I, nr = D * G * H * H, nb = D * 2 * G * H, ns = D * B * H;
        float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *r = malloc((size_t)nr * 4);
        float *b = malloc((size_t)nb * 4), *h0 = malloc((size_t)ns * 4), *c0 = malloc((size_t)ns * 4);
        float *p = malloc((size_t)(D * 3 * H) * 4);
        int32_t lens[3];
        for (int64_t i = 0; i < nx; i++) x[i] = frand();
        for (int64_t i = 0; i < nw; i++) w[i] = frand();
        for (int64_t i = 0; i < nr; i++) r[i] = frand();
        for (int64_t i = 0; i < nb; i++) b[i] = frand();
        for (int64_t i = 0; i < ns; i++) h0[i] = frand();
        for (int64_t i = 0; i < ns; i++) c0[i] = frand();
        for (int64_t i = 0; i < D * 3 * H; i++) p[i] = frand();
        for (int64_t i = 0; i < B; i++) lens[i] = (int32_t)(rnd() % (uint32_t)(S + 1));
        /* activations: the defaults, or others per direction */
        fn f[6];
        static const char *const defs[3][3] = { { "Tanh" }, { "Sigmoid", "Tanh" }, { "Sigmoid", "Tanh", "Tanh" } };
        static const char *const others[] = { "Relu", "LeakyRelu", "HardSigmoid", "ScaledTanh", "Softsign", "Tanh" };
        char *names[6];
        float alphas[6], betas[6];
        size_t na = 0, nbeta = 0;
        for (int i = 0; i < NA * D; i++) {
            f[i].name = custom ? others[rnd() % 6] : defs[kind][i % NA];
            bool has_a = strcmp(f[i].name, "LeakyRelu") == 0 || !strcmp(f[i].name, "HardSigmoid") ||
                         !strcmp(f[i].name, "ScaledTanh");
            bool has_b = !strcmp(f[i].name, "HardSigmoid") || !strcmp(f[i].name, "ScaledTanh");
            f[i].alpha = !strcmp(f[i].name, "LeakyRelu") ? 0.01 : !strcmp(f[i].name, "HardSigmoid") ? 0.2 : 1;
            f[i].beta = !strcmp(f[i].name, "HardSigmoid") ? 0.5 : 1;
            if (has_a) f[i].alpha = alphas[na++] = 0.1f + (float)(rnd() % 9) / 10;
            if (has_b) f[i].beta = betas[nbeta++] = 0.1f + (float)(rnd() % 9) / 10;
            names[i] = (char *)f[i].name;
        }
        /* the reference, in [dir][t][b][h] and [dir][b][h] */
        double *yr = calloc((size_t)(D * S * B * H), sizeof(double)), *yh = calloc((size_t)ns, sizeof(double));
        double *yc = calloc((size_t)ns, sizeof(double));
        for (int d = 0; d < D; d++) {
            bool rev = dirn == 1 || d == 1;
            const fn *a = f + d * NA;
            for (int64_t bb = 0; bb < B; bb++) {
                int64_t len = with_lens ? lens[bb] : S;
                double hs[4], cs[4], g[16];
                for (int64_t j = 0; j < H; j++) {
                    int64_t si = layout1 ? (bb * D + d) * H + j : (d * B + bb) * H + j;
                    hs[j] = with_h0 ? h0[si] : 0;
                    cs[j] = with_c0 ? c0[si] : 0;
                }
                for (int64_t s = 0; s < len; s++) {
                    int64_t t = rev ? len - 1 - s : s;
                    const float *xt = x + (layout1 ? bb * S + t : t * B + bb) * I;
                    /* g[q] = x W_q^T + Wb_q (+ H R_q^T + Rb_q, except GRU's h gate) */
                    for (int64_t q = 0; q < G * H; q++) {
                        double v = 0;
                        for (int64_t i = 0; i < I; i++) v += (double)xt[i] * w[(d * G * H + q) * I + i];
                        if (with_b) v += b[d * 2 * G * H + q];
                        if (!(kind == 1 && q >= 2 * H)) {
                            for (int64_t i = 0; i < H; i++) v += hs[i] * r[(d * G * H + q) * H + i];
                            if (with_b) v += b[d * 2 * G * H + G * H + q];
                        }
                        g[q] = v;
                    }
                    double nh[4];
                    for (int64_t j = 0; j < H; j++) {
                        if (kind == 0) {
                            nh[j] = apply(&a[0], clipv(g[j], clip));
                        } else if (kind == 1) {
                            double z = apply(&a[0], clipv(g[j], clip));
                            double rr = 0, rj;
                            /* recurrent part of h: (r * H) R_h^T + Rb_h, or r * (H R_h^T + Rb_h) */
                            for (int64_t i = 0; i < H; i++) {
                                double ri = apply(&a[0], clipv(g[H + i], clip));
                                double hterm = lbr ? hs[i] : ri * hs[i];
                                rr += hterm * r[(d * G * H + 2 * H + j) * H + i];
                            }
                            if (with_b) rr += b[d * 2 * G * H + G * H + 2 * H + j];
                            rj = apply(&a[0], clipv(g[H + j], clip));
                            double hh = apply(&a[1], clipv(g[2 * H + j] + (lbr ? rj * rr : rr), clip));
                            nh[j] = (1 - z) * hh + z * hs[j];
                        } else {
                            const float *pp = with_p ? p + d * 3 * H : NULL;
                            double ig = apply(&a[0], clipv(g[j] + (pp ? pp[j] * cs[j] : 0), clip));
                            double fg = input_forget ? 1 - ig
                                                     : apply(&a[0], clipv(g[2 * H + j] + (pp ? pp[2 * H + j] * cs[j] : 0), clip));
                            double cg = apply(&a[1], clipv(g[3 * H + j], clip));
                            double c1 = fg * cs[j] + ig * cg;
                            double og = apply(&a[0], clipv(g[H + j] + (pp ? pp[H + j] * c1 : 0), clip));
                            cs[j] = c1;
                            nh[j] = og * apply(&a[2], c1);
                        }
                    }
                    for (int64_t j = 0; j < H; j++) {
                        hs[j] = nh[j];
                        yr[((d * S + t) * B + bb) * H + j] = nh[j];
                    }
                }
                for (int64_t j = 0; j < H; j++) {
                    yh[(d * B + bb) * H + j] = hs[j];
                    yc[(d * B + bb) * H + j] = cs[j];
                }
            }
        }
        int64_t xd[3] = { layout1 ? B : S, layout1 ? S : B, I }, sd[3] = { layout1 ? B : D, layout1 ? D : B, H };
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, xd, 3, x), tw = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(D, G * H, I), w);
        or_tensor tr = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(D, G * H, H), r), tb = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(D, 2 * G * H), b);
        or_tensor tl = kh_tensor(ONNXRUN_INT32, &B, 1, lens), th = kh_tensor(ONNXRUN_FLOAT, sd, 3, h0);
        or_tensor tc = kh_tensor(ONNXRUN_FLOAT, sd, 3, c0), tp = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(D, 3 * H), p);
        or_tensor *ins[] = { &tx, &tw, &tr, with_b ? &tb : NULL, with_lens ? &tl : NULL, with_h0 ? &th : NULL,
                             with_c0 ? &tc : NULL, with_p ? &tp : NULL };
        or_tensor y = { 0 }, oh = { 0 }, oc = { 0 };
        bool want_y = rnd() % 4 != 0;
        or_tensor *outs[] = { want_y ? &y : NULL, &oh, &oc };
        or_attr at[10];
        size_t n_at = 0;
        at[n_at++] = (or_attr)KH_INT("hidden_size", H);
        at[n_at++] = (or_attr){ .name = (char *)"direction", .type = OR_ATTR_STRING, .s = (char *)dirs[dirn],
                                .s_len = strlen(dirs[dirn]) };
        at[n_at++] = (or_attr)KH_INT("layout", layout1);
        if (lbr) at[n_at++] = (or_attr)KH_INT("linear_before_reset", 1);
        if (input_forget) at[n_at++] = (or_attr)KH_INT("input_forget", 1);
        if (clip > 0) at[n_at++] = (or_attr)KH_FLOAT("clip", (float)clip);
        if (custom) {
            at[n_at++] = (or_attr){ .name = (char *)"activations", .type = OR_ATTR_STRINGS, .strings = names,
                                    .n = (size_t)(NA * D) };
            if (na) at[n_at++] = (or_attr){ .name = (char *)"activation_alpha", .type = OR_ATTR_FLOATS, .floats = alphas, .n = na };
            if (nbeta) at[n_at++] = (or_attr){ .name = (char *)"activation_beta", .type = OR_ATTR_FLOATS, .floats = betas, .n = nbeta };
        }
        or_status st = kh_run("", ops[kind], 14, at, n_at, ins, kind == 2 ? 8 : 6, outs, kind == 2 ? 3 : 2, err, sizeof err);
        if (st != ONNXRUN_OK) fail_msg("case %d (%s): %s", it, ops[kind], err);
        double tol = 2e-5;
        for (int d = 0; d < D; d++)
            for (int64_t t = 0; want_y && t < S; t++)
                for (int64_t bb = 0; bb < B; bb++)
                    for (int64_t j = 0; j < H; j++) {
                        int64_t at_y = layout1 ? ((bb * S + t) * D + d) * H + j : ((t * D + d) * B + bb) * H + j;
                        double want = yr[((d * S + t) * B + bb) * H + j], got = ((float *)y.data)[at_y];
                        if (fabs(got - want) > tol * (1 + fabs(want)))
                            fail_msg("case %d %s %s Y[t %lld, dir %d, b %lld, %lld]: got %.7g, want %.7g", it, ops[kind],
                                     dirs[dirn], (long long)t, d, (long long)bb, (long long)j, got, want);
                    }
        for (int d = 0; d < D; d++)
            for (int64_t bb = 0; bb < B; bb++)
                for (int64_t j = 0; j < H; j++) {
                    int64_t si = layout1 ? (bb * D + d) * H + j : (d * B + bb) * H + j;
                    double wh = yh[(d * B + bb) * H + j], wc = yc[(d * B + bb) * H + j];
                    if (fabs(((float *)oh.data)[si] - wh) > tol * (1 + fabs(wh)))
                        fail_msg("case %d %s Y_h[dir %d, b %lld, %lld]: got %.7g, want %.7g", it, ops[kind], d, (long long)bb,
                                 (long long)j, (double)((float *)oh.data)[si], wh);
                    if (kind == 2 && fabs(((float *)oc.data)[si] - wc) > tol * (1 + fabs(wc)))
                        fail_msg("case %d LSTM Y_c[%d, %lld, %lld]", it, d, (long long)bb, (long long)j);
                }
        free(y.data);
        free(oh.data);
        free(oc.data);
        free(x), free(w), free(r), free(b), free(h0), free(c0), free(p), free(yr), free(yh), free(yc);
    }
}

static void test_rnn_errors(void **state)
{
    (void)state;
    /* an empty batch: empty outputs, nothing read (a fuzz find: no scratch) */
    {
        float w0[6] = { 0 }, r0[4] = { 0 };
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 0, 2), NULL), tw = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 2), w0);
        or_tensor tr = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 2), r0), y = { 0 }, yh = { 0 };
        or_tensor *ins[] = { &tx, &tw, &tr }, *outs[] = { &y, &yh };
        or_attr h = KH_INT("hidden_size", 2);
        assert_int_equal(kh_run("", "RNN", 14, &h, 1, ins, 3, outs, 2, err, sizeof err), ONNXRUN_OK);
        assert_int_equal(or_numel(&y), 0);
        assert_int_equal(or_numel(&yh), 0);
        free(y.data);
        free(yh.data);
    }
    float x[6] = { 0 }, w[6] = { 0 }, r[4] = { 0 };
    int32_t lens[1] = { 4 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 1, 2), x), tw = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 2), w);
    or_tensor tr = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 2), r), tl = kh_tensor(ONNXRUN_INT32, KH_DIMS(1), lens);
    or_tensor y;
    or_tensor *ins[] = { &tx, &tw, &tr, NULL, &tl };
    or_attr h2 = KH_INT("hidden_size", 2);
    /* a sequence length past X's */
    assert_int_equal(run1("RNN", 14, &h2, 1, ins, 5, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "sequence_lens[0] = 4"));
    free(y.data);
    /* W of the wrong shape for hidden_size 1 */
    or_attr h1 = KH_INT("hidden_size", 1);
    assert_int_equal(run1("RNN", 14, &h1, 1, ins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "input W must be 1 x 1 x 2"));
    free(y.data);
    /* no hidden_size; an unknown direction; an unknown activation; too few names */
    assert_int_equal(run1("RNN", 14, NULL, 0, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr dir[] = { KH_INT("hidden_size", 2), KH_STRING("direction", "sideways") };
    assert_int_equal(run1("RNN", 14, dir, 2, ins, 3, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "sideways"));
    free(y.data);
    char *bad[] = { (char *)"Swish" }, *two[] = { (char *)"Tanh", (char *)"Tanh" };
    or_attr act[] = { KH_INT("hidden_size", 2),
                      { .name = (char *)"activations", .type = OR_ATTR_STRINGS, .strings = bad, .n = 1 } };
    assert_int_equal(run1("RNN", 14, act, 2, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "Swish"));
    free(y.data);
    act[1].strings = two;
    act[1].n = 2;
    assert_int_equal(run1("RNN", 14, act, 2, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rnn_random),
        cmocka_unit_test(test_rnn_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
