/*
 * test_optim.c - Adagrad, Momentum and Adam (ai.onnx.preview.training)
 * through the kernel harness, against the spec's update rules written out
 * per element in double: one to three optimized tensors, random shapes,
 * attributes and step counts (T = 0 takes the first-step branches), float
 * and double; the errors.
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

#define DOMAIN "ai.onnx.preview.training"

static uint32_t rng = 99;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static double frand(void)
{
    return (double)(rnd() % 20001) / 10000.0 - 1.0;
}

static void test_optim_random(void **state)
{
    (void)state;
    static const char *const ops[] = { "Adagrad", "Momentum", "Adam" };
    for (int it = 0; it < 150; it++) {
        int kind = it % 3, per = kind == 2 ? 4 : 3;
        bool dbl = rnd() % 3 == 0, nesterov = rnd() % 2;
        size_t n = 1 + rnd() % 3;
        int64_t T = rnd() % 3 == 0 ? 0 : 1 + rnd() % 6, len[3];
        double R = 0.01 + (rnd() % 100) / 500.0;
        float alpha = (float)(0.5 + (rnd() % 50) / 100.0), beta = (float)(0.5 + (rnd() % 50) / 100.0);
        float eps = (float)(1e-6 * (1 + rnd() % 1000)), norm = (float)((rnd() % 10) / 1000.0);
        float decay = (float)((rnd() % 10) / 10.0), post = (float)((rnd() % 10) / 100.0);
        /* inputs: states[s][i] of len[i] values, s = X, G, then the op's own */
        double *st[4][3];
        float *stf[4][3];
        or_tensor tin[4][3], tout[3][3], *ins[2 + 12], *outs[9];
        float Rf = (float)R;
        or_tensor tr = dbl ? kh_tensor(ONNXRUN_DOUBLE, NULL, 0, &R) : kh_tensor(ONNXRUN_FLOAT, NULL, 0, &Rf);
        or_tensor tt = kh_tensor(ONNXRUN_INT64, NULL, 0, &T);
        ins[0] = &tr;
        ins[1] = &tt;
        for (size_t i = 0; i < n; i++) len[i] = 1 + rnd() % 7;
        for (int s = 0; s < per; s++)
            for (size_t i = 0; i < n; i++) {
                st[s][i] = malloc((size_t)len[i] * sizeof(double));
                stf[s][i] = malloc((size_t)len[i] * sizeof(float));
                for (int64_t e = 0; e < len[i]; e++) {
                    double v = s == per - 1 && kind != 1 ? fabs(frand()) : frand(); /* H >= 0 */
                    stf[s][i][e] = (float)v;
                    st[s][i][e] = dbl ? v : (double)stf[s][i][e];
                }
                tin[s][i] = kh_tensor(dbl ? ONNXRUN_DOUBLE : ONNXRUN_FLOAT, &len[i], 1,
                                      dbl ? (void *)st[s][i] : (void *)stf[s][i]);
                ins[2 + (size_t)s * n + i] = &tin[s][i];
            }
        for (size_t o = 0; o < (size_t)(per - 1) * n; o++) {
            memset(&tout[o / n][o % n], 0, sizeof(or_tensor));
            outs[o] = &tout[o / n][o % n];
        }
        or_attr at[6];
        size_t na = 0;
        at[na++] = (or_attr)KH_FLOAT("norm_coefficient", norm);
        if (kind == 0) {
            at[na++] = (or_attr)KH_FLOAT("decay_factor", decay);
            at[na++] = (or_attr)KH_FLOAT("epsilon", eps);
        } else if (kind == 1) {
            at[na++] = (or_attr)KH_FLOAT("alpha", alpha);
            at[na++] = (or_attr)KH_FLOAT("beta", beta);
            at[na++] = nesterov ? (or_attr)KH_STRING("mode", "nesterov") : (or_attr)KH_STRING("mode", "standard");
        } else {
            at[na++] = (or_attr)KH_FLOAT("alpha", alpha);
            at[na++] = (or_attr)KH_FLOAT("beta", beta);
            at[na++] = (or_attr)KH_FLOAT("epsilon", eps);
            at[na++] = (or_attr)KH_FLOAT("norm_coefficient_post", post);
        }
        if (kh_run(DOMAIN, ops[kind], 1, at, na, ins, 2 + (size_t)per * n, outs, (size_t)(per - 1) * n, err,
                   sizeof err) != ONNXRUN_OK)
            fail_msg("case %d: %s", it, err);
        double Rv = dbl ? R : (double)Rf;
        for (size_t i = 0; i < n; i++)
            for (int64_t e = 0; e < len[i]; e++) {
                double x = st[0][i][e], g = norm * x + st[1][i][e], want[3];
                if (kind == 0) {
                    double h = st[2][i][e] + g * g, r = Rv / (1 + (double)T * decay);
                    want[0] = x - r * g / (sqrt(h) + eps);
                    want[1] = h;
                } else if (kind == 1) {
                    double v = alpha * st[2][i][e] + (T > 0 ? beta : 1.0) * g;
                    want[0] = nesterov ? x - Rv * (g + alpha * v) : x - Rv * v;
                    want[1] = v;
                } else {
                    double v = alpha * st[2][i][e] + (1 - alpha) * g;
                    double h = beta * st[3][i][e] + (1 - beta) * g * g;
                    double r = T > 0 ? Rv * sqrt(1 - pow(beta, (double)T)) / (1 - pow(alpha, (double)T)) : Rv;
                    want[0] = (1 - post) * (x - r * v / (sqrt(h) + eps));
                    want[1] = v;
                    want[2] = h;
                }
                for (int o = 0; o < per - 1; o++) {
                    const or_tensor *y = &tout[o][i];
                    double got = dbl ? ((double *)y->data)[e] : ((float *)y->data)[e];
                    if (fabs(got - want[o]) > (dbl ? 1e-12 : 1e-5) * (1 + fabs(want[o])))
                        fail_msg("case %d %s output %d of X%zu [%lld]: got %.9g, want %.9g", it, ops[kind], o, i,
                                 (long long)e, got, want[o]);
                }
            }
        for (size_t o = 0; o < (size_t)(per - 1) * n; o++) free(outs[o]->data);
        for (int s = 0; s < per; s++)
            for (size_t i = 0; i < n; i++) {
                free(st[s][i]);
                free(stf[s][i]);
            }
    }
}

static void test_optim_errors(void **state)
{
    (void)state;
    float r = 0.1f, x[3] = { 0 }, g[2] = { 0 }, h[3] = { 0 };
    int64_t t = 0;
    or_tensor tr = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &r), tt = kh_tensor(ONNXRUN_INT64, NULL, 0, &t);
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3), x), tg = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), g);
    or_tensor th = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3), h), y1 = { 0 }, y2 = { 0 };
    or_tensor *ins[] = { &tr, &tt, &tx, &tg, &th }, *outs[] = { &y1, &y2 };
    /* G of another shape than X */
    assert_int_equal(kh_run(DOMAIN, "Adagrad", 1, NULL, 0, ins, 5, outs, 2, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "shape of X 0"));
    /* inputs not a multiple of the states; too few outputs */
    assert_int_equal(kh_run(DOMAIN, "Adam", 1, NULL, 0, ins, 5, outs, 2, err, sizeof err), ONNXRUN_E_INVALID);
    tg = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3), g);
    assert_int_equal(kh_run(DOMAIN, "Adagrad", 1, NULL, 0, ins, 5, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "outputs"));
    /* T not int64, an unknown mode */
    tt = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &r);
    assert_int_equal(kh_run(DOMAIN, "Adagrad", 1, NULL, 0, ins, 5, outs, 2, err, sizeof err), ONNXRUN_E_UNSUPPORTED);
    tt = kh_tensor(ONNXRUN_INT64, NULL, 0, &t);
    or_attr m[] = { KH_FLOAT("alpha", 0.9f), KH_FLOAT("beta", 0.1f), KH_STRING("mode", "adam") };
    assert_int_equal(kh_run(DOMAIN, "Momentum", 1, m, 3, ins, 5, outs, 2, err, sizeof err), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "mode"));
    free(y1.data);
    free(y2.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optim_random),
        cmocka_unit_test(test_optim_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
