/*
 * test_loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * through the kernel harness, against the definitions written out per
 * element: random ranks 2-4, int32 and int64 targets, with and without
 * weights and ignore_index, every reduction, float and double, the
 * log_prob output; a hand-made case; the errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static uint32_t rng = 2024;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static double frand(void)
{
    return (double)(rnd() % 20001) / 5000.0 - 2.0;
}

static void test_loss_random(void **state)
{
    (void)state;
    static const char *const reds[] = { "none", "sum", "mean" };
    for (int it = 0; it < 240; it++) {
        bool sce = it % 2, dbl = it % 5 == 0, i32 = it % 3 == 0, weighted = rnd() % 2;
        bool ignore = rnd() % 2, log_prob = sce && rnd() % 2;
        int red = (int)(rnd() % 3), r = 2 + (int)(rnd() % 3);
        int64_t dims[4], tdims[3], n = 1, nt = 1, ign = (int64_t)(rnd() % 4) - 1;
        for (int a = 0; a < r; a++) {
            dims[a] = 1 + rnd() % 4;
            n *= dims[a];
        }
        int64_t C = dims[1], D = n / dims[0] / C;
        tdims[0] = dims[0];
        for (int a = 2; a < r; a++) tdims[a - 1] = dims[a];
        nt = dims[0] * D;
        double *x = malloc((size_t)n * sizeof *x), w[4];
        float *xf = malloc((size_t)n * sizeof *xf), wf[4];
        int64_t *t = malloc((size_t)nt * sizeof *t);
        int32_t *t32 = malloc((size_t)nt * sizeof *t32);
        for (int64_t i = 0; i < n; i++) xf[i] = (float)(x[i] = frand());
        for (int64_t j = 0; j < C; j++) wf[j] = (float)(w[j] = 0.25 + (double)(rnd() % 8) / 4);
        for (int64_t i = 0; i < nt; i++) {
            t[i] = (int64_t)(rnd() % (uint32_t)C);
            if (ignore && rnd() % 4 == 0) t[i] = ign;
            t32[i] = (int32_t)t[i];
        }
        /* the definition, per position (n, d) of the target */
        double *want = malloc((size_t)nt * sizeof *want), *lp = malloc((size_t)n * sizeof *lp), tot = 0, ws = 0;
        for (int64_t b = 0; b < dims[0]; b++)
            for (int64_t d = 0; d < D; d++) {
                for (int64_t c = 0; c < C; c++) {
                    double s = 0;
                    for (int64_t q = 0; q < C; q++) s += exp(x[(b * C + q) * D + d]);
                    lp[(b * C + c) * D + d] = sce ? x[(b * C + c) * D + d] - log(s) : x[(b * C + c) * D + d];
                }
                int64_t tc = t[b * D + d];
                bool skip = ignore && tc == ign;
                double wt = skip ? 0 : weighted ? w[tc] : 1;
                double l = skip ? 0 : -lp[(b * C + tc) * D + d] * wt;
                want[b * D + d] = l;
                tot += l;
                ws += wt;
            }
        if (red == 1) want[0] = tot;
        if (red == 2) want[0] = tot / ws;
        or_tensor tx = kh_tensor(dbl ? ONNXRUN_DOUBLE : ONNXRUN_FLOAT, dims, r, dbl ? (void *)x : (void *)xf);
        or_tensor tt = kh_tensor(i32 ? ONNXRUN_INT32 : ONNXRUN_INT64, tdims, r - 1, i32 ? (void *)t32 : (void *)t);
        or_tensor tw = kh_tensor(dbl ? ONNXRUN_DOUBLE : ONNXRUN_FLOAT, dims + 1, 1, dbl ? (void *)w : (void *)wf);
        or_tensor *ins[] = { &tx, &tt, weighted ? &tw : NULL };
        or_attr at[2] = { { .name = (char *)"reduction", .type = OR_ATTR_STRING, .s = (char *)reds[red],
                            .s_len = strlen(reds[red]) },
                          KH_INT("ignore_index", ign) };
        or_tensor y = { 0 }, yl = { 0 }, *outs[] = { &y, &yl };
        or_status st = kh_run("", sce ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss", 13, at,
                              ignore ? 2 : 1, ins, 3, outs, log_prob ? 2 : 1, err, sizeof err);
        if (st != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        int64_t ny = red ? 1 : nt;
        if (red) assert_int_equal(y.rank, 0);
        else expect_shape(&y, tdims, r - 1);
        for (int64_t i = 0; i < ny; i++) {
            double got = dbl ? ((double *)y.data)[i] : ((float *)y.data)[i];
            if (!(fabs(got - want[i]) <= 1e-5 * (1 + fabs(want[i]))) && !(isnan(got) && isnan(want[i])))
                fail_msg("case %d element %lld: got %.9g, want %.9g", it, (long long)i, got, want[i]);
        }
        if (log_prob) {
            expect_shape(&yl, dims, r);
            for (int64_t i = 0; i < n; i++) {
                double got = dbl ? ((double *)yl.data)[i] : ((float *)yl.data)[i];
                if (fabs(got - lp[i]) > 1e-5 * (1 + fabs(lp[i])))
                    fail_msg("case %d log_prob %lld: got %.9g, want %.9g", it, (long long)i, got, lp[i]);
            }
        }
        free(y.data);
        free(yl.data);
        free(x);
        free(xf);
        free(t);
        free(t32);
        free(want);
        free(lp);
    }
}

static void test_loss_errors(void **state)
{
    (void)state;
    float x[6] = { 0 }, w3[3] = { 1, 1, 1 };
    int64_t t[2] = { 0, 2 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x), tt = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), t), y;
    or_tensor *ins[] = { &tx, &tt };
    /* a target past C, and ignore_index lifting it */
    t[1] = 3;
    assert_int_equal(run1("NegativeLogLikelihoodLoss", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "target 3"));
    free(y.data);
    or_attr ig = KH_INT("ignore_index", 3);
    assert_int_equal(run1("NegativeLogLikelihoodLoss", 13, &ig, 1, ins, 2, &y), ONNXRUN_OK);
    free(y.data);
    t[1] = 1;
    or_attr bad = KH_STRING("reduction", "avg");
    assert_int_equal(run1("SoftmaxCrossEntropyLoss", 13, &bad, 1, ins, 2, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "avg"));
    free(y.data);
    /* shapes: target rank, weight length; types */
    tt = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 1), t);
    assert_int_equal(run1("NegativeLogLikelihoodLoss", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    tt = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), t);
    or_tensor tw = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), w3);
    or_tensor *wins[] = { &tx, &tt, &tw };
    assert_int_equal(run1("NegativeLogLikelihoodLoss", 13, NULL, 0, wins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "weight"));
    free(y.data);
    or_tensor tf = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), x);
    or_tensor *fins[] = { &tx, &tf };
    assert_int_equal(run1("NegativeLogLikelihoodLoss", 13, NULL, 0, fins, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    /* mean over a batch where every position is ignored: 0 / 0 */
    t[0] = t[1] = -1;
    or_attr ig1 = KH_INT("ignore_index", -1);
    assert_int_equal(run1("NegativeLogLikelihoodLoss", 13, &ig1, 1, ins, 2, &y), ONNXRUN_OK);
    assert_true(isnan(((float *)y.data)[0]));
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_random),
        cmocka_unit_test(test_loss_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
