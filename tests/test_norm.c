/*
 * test_norm.c - BatchNormalization (current and legacy spatial=0 forms,
 * in place), LRN, InstanceNormalization and LayerNormalization kernels
 * against their formulas evaluated naively in double, plus error cases.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/kernel_harness.h"

static uint32_t rng = 777;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rand_buf(int64_t n, float lo, float hi)
{
    float *b = malloc((size_t)(n ? n : 1) * sizeof *b);
    for (int64_t i = 0; i < n; i++) b[i] = lo + (hi - lo) * (frand() + 1.0f) / 2.0f;
    return b;
}

static or_tensor tensor(onnxrun_dtype dt, int rank, const int64_t *dims, void *data)
{
    or_tensor t = { .dtype = dt, .rank = rank, .data = data };
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

static void assert_close(const float *got, const double *want, int64_t n, double tol)
{
    for (int64_t i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > tol + tol * fabs(want[i])) {
            print_error("element %lld: got %.8g, want %.8g\n", (long long)i, got[i], want[i]);
            fail();
        }
}

/* ---- BatchNormalization ---- */

/* x [N, C, S...] with stats per channel (spatial) or per C*S element. */
static void check_bn(int opset, bool spatial, int rank, const int64_t *dims, bool in_place)
{
    or_tensor x = tensor(ONNXRUN_FLOAT, rank, dims, NULL);
    int64_t n = or_numel(&x), inner = n / dims[0] / dims[1];
    int64_t P = spatial ? dims[1] : dims[1] * inner;
    float *xd = rand_buf(n, -3, 3), *sc = rand_buf(P, -2, 2), *bi = rand_buf(P, -1, 1);
    float *mean = rand_buf(P, -1, 1), *var = rand_buf(P, 0.1f, 2);
    float *orig = malloc((size_t)n * sizeof *orig);
    memcpy(orig, xd, (size_t)n * sizeof *orig);
    x.data = xd;
    int64_t pd[OR_MAX_RANK];
    int prank = spatial ? 1 : rank - 1;
    pd[0] = P;
    if (!spatial)
        for (int i = 1; i < rank; i++) pd[i - 1] = dims[i];
    or_tensor ts = tensor(ONNXRUN_FLOAT, prank, pd, sc), tb = tensor(ONNXRUN_FLOAT, prank, pd, bi);
    or_tensor tm = tensor(ONNXRUN_FLOAT, prank, pd, mean), tv = tensor(ONNXRUN_FLOAT, prank, pd, var);
    or_tensor y = { 0 };
    or_tensor *ins[] = { &x, &ts, &tb, &tm, &tv }, *outs[] = { &y };
    or_attr attrs[] = { KH_FLOAT("epsilon", 1e-3f), KH_INT("spatial", spatial), KH_INT("is_test", 1),
                        KH_INTS("consumed_inputs", 0, 0, 0, 1, 1) };
    size_t n_attrs = opset < 7 ? (opset == 1 ? 4 : 3) : opset < 9 ? 2 : 1;
    char err[512];
    or_status st;
    if (!in_place) {
        st = kh_run("", "BatchNormalization", opset, attrs, n_attrs, ins, 5, outs, 1, err, sizeof err);
    } else { /* run with out[0] sharing in[0]'s buffer, as the planner may do */
        char *in_names[] = { "x", "s", "b", "m", "v" }, *out_names[] = { "y" };
        or_node node = { .name = "bn", .op_type = "BatchNormalization", .domain = "", .n_inputs = 5,
                         .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                         .n_attrs = n_attrs, .attrs = attrs };
        or_kernel k = { .def = or_op_find("", "BatchNormalization", opset), .node = &node,
                        .opset = opset, .n_in = 5, .n_out = 1, .in = ins, .out = outs,
                        .threads = 1, .err = err, .err_len = sizeof err };
        assert_true(k.def->flags & OR_OP_INPLACE);
        st = or_kernel_init(&k);
        if (st == ONNXRUN_OK) st = k.def->infer(&k);
        if (st == ONNXRUN_OK) {
            k.scratch = aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64);
            y.data = xd;
            st = k.def->run(&k);
            free(k.scratch);
        }
        or_kernel_fini(&k);
    }
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_true(or_same_shape(&x, &y));
    double *want = malloc((size_t)n * sizeof *want);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = spatial ? (i / inner) % dims[1] : i % P;
        want[i] = (orig[i] - mean[c]) / sqrt((double)var[c] + 1e-3f) * sc[c] + bi[c];
    }
    assert_close(y.data, want, n, 1e-5);
    if (!in_place) free(y.data);
    free(want);
    free(orig);
    free(xd);
    free(sc);
    free(bi);
    free(mean);
    free(var);
}

static void test_bn_forms(void **state)
{
    (void)state;
    const int64_t d4[] = { 2, 3, 4, 5 }, d3[] = { 4, 5, 3 }, d2[] = { 3, 6 }, d5[] = { 2, 3, 2, 2, 2 };
    static const int opsets[] = { 1, 6, 7, 9, 14, 15 };
    for (size_t i = 0; i < sizeof opsets / sizeof opsets[0]; i++) {
        check_bn(opsets[i], true, 4, d4, false);
        check_bn(opsets[i], true, 3, d3, false);
        check_bn(opsets[i], true, 2, d2, false);
        check_bn(opsets[i], true, 5, d5, false);
    }
    /* legacy per-element statistics (C x D1 x ... x Dn) */
    check_bn(1, false, 4, d4, false);
    check_bn(6, false, 3, d3, false);
    check_bn(7, false, 4, d4, false);
    check_bn(15, true, 4, d4, true);
    check_bn(6, false, 4, d4, true);
}

static void test_bn_double(void **state)
{
    (void)state;
    double x[4] = { 1, 2, 3, 4 }, s[2] = { 2, 3 }, b[2] = { 1, -1 }, m[2] = { 1, 2 }, v[2] = { 4, 1 };
    or_tensor tx = tensor(ONNXRUN_DOUBLE, 3, (int64_t[]){ 1, 2, 2 }, x), y = { 0 };
    or_tensor ts = tensor(ONNXRUN_DOUBLE, 1, (int64_t[]){ 2 }, s), tb = ts, tm = ts, tv = ts;
    tb.data = b;
    tm.data = m;
    tv.data = v;
    or_tensor *ins[] = { &tx, &ts, &tb, &tm, &tv }, *outs[] = { &y };
    or_attr attrs[] = { KH_FLOAT("epsilon", 0.0f) };
    char err[256];
    assert_int_equal(kh_run("", "BatchNormalization", 15, attrs, 1, ins, 5, outs, 1, err, sizeof err),
                     ONNXRUN_OK);
    double want[4] = { 1, 2, 2, 5 };
    for (int i = 0; i < 4; i++) assert_true(fabs(((double *)y.data)[i] - want[i]) < 1e-12);
    free(y.data);
}

/* training_mode=1: the batch's statistics normalise, the running ones
 * move by momentum; against the definitions summed here in double */
static void test_bn_training(void **state)
{
    (void)state;
    for (int it = 0; it < 20; it++) {
        int64_t N = 1 + it % 3, C = 1 + it % 4, H = 1 + it % 5, W = 2;
        int64_t n = N * C * H * W;
        float x[120], sc[4], bi[4], mean[4], var[4], mo = 0.5f + 0.1f * (float)(it % 4), eps = 1e-3f;
        for (int64_t i = 0; i < n; i++) x[i] = (float)((i * 37 + it * 11) % 23) / 5.0f - 2.0f;
        for (int64_t c = 0; c < C; c++) {
            sc[c] = 0.5f + (float)c;
            bi[c] = (float)c - 1.0f;
            mean[c] = 0.25f * (float)c;
            var[c] = 1.0f + (float)c;
        }
        or_tensor tx = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ N, C, H, W }, x);
        or_tensor ts = tensor(ONNXRUN_FLOAT, 1, &C, sc), tb = tensor(ONNXRUN_FLOAT, 1, &C, bi);
        or_tensor tm = tensor(ONNXRUN_FLOAT, 1, &C, mean), tv = tensor(ONNXRUN_FLOAT, 1, &C, var);
        or_tensor y = { 0 }, rm = { 0 }, rv = { 0 }, *ins[] = { &tx, &ts, &tb, &tm, &tv }, *outs[] = { &y, &rm, &rv };
        or_attr at[] = { KH_INT("training_mode", 1), KH_FLOAT("momentum", mo), KH_FLOAT("epsilon", eps) };
        char err[512];
        if (kh_run("", "BatchNormalization", 15, at, 3, ins, 5, outs, 3, err, sizeof err) != ONNXRUN_OK)
            fail_msg("%s", err);
        for (int64_t c = 0; c < C; c++) {
            double s = 0, ss = 0, cnt = (double)(N * H * W);
            for (int64_t b = 0; b < N; b++)
                for (int64_t j = 0; j < H * W; j++) s += x[(b * C + c) * H * W + j];
            double m = s / cnt;
            for (int64_t b = 0; b < N; b++)
                for (int64_t j = 0; j < H * W; j++) ss += pow(x[(b * C + c) * H * W + j] - m, 2);
            double v = ss / cnt;
            assert_true(fabs(((float *)rm.data)[c] - (mean[c] * mo + m * (1 - mo))) < 1e-5);
            assert_true(fabs(((float *)rv.data)[c] - (var[c] * mo + v * (1 - mo))) < 1e-5);
            for (int64_t b = 0; b < N; b++)
                for (int64_t j = 0; j < H * W; j++) {
                    int64_t i = (b * C + c) * H * W + j;
                    double want = sc[c] * (x[i] - m) / sqrt(v + eps) + bi[c];
                    if (fabs(((float *)y.data)[i] - want) > 1e-4 * (1 + fabs(want)))
                        fail_msg("case %d y[%lld]: got %g want %g", it, (long long)i, (double)((float *)y.data)[i], want);
                }
        }
        free(y.data), free(rm.data), free(rv.data);
    }
}

/* GroupNormalization: statistics per (n, group), scale and bias per group
 * (18) or per channel (21); against sums written out here */
static void test_group_norm(void **state)
{
    (void)state;
    for (int it = 0; it < 12; it++) {
        int64_t N = 1 + it % 2, G = 1 + it % 3, cg = 1 + it % 2, C = G * cg, S = 3 + it % 4, n = N * C * S;
        int since = it % 2 ? 21 : 18;
        int64_t per = since >= 21 ? C : G;
        float x[2 * 6 * 6], sc[6], bi[6];
        for (int64_t i = 0; i < n; i++) x[i] = (float)((i * 29 + it * 7) % 17) / 4.0f - 2.0f;
        for (int64_t c = 0; c < per; c++) {
            sc[c] = 0.5f + 0.25f * (float)c;
            bi[c] = 0.1f * (float)c - 0.2f;
        }
        or_tensor tx = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ N, C, S }, x);
        or_tensor ts = tensor(ONNXRUN_FLOAT, 1, &per, sc), tb = tensor(ONNXRUN_FLOAT, 1, &per, bi);
        or_tensor y = { 0 }, *ins[] = { &tx, &ts, &tb }, *outs[] = { &y };
        or_attr at[] = { KH_INT("num_groups", G), KH_FLOAT("epsilon", 1e-3f) };
        char err[512];
        if (kh_run("", "GroupNormalization", since, at, 2, ins, 3, outs, 1, err, sizeof err) != ONNXRUN_OK)
            fail_msg("%s", err);
        for (int64_t b = 0; b < N; b++)
            for (int64_t g = 0; g < G; g++) {
                double s = 0, ss = 0, cnt = (double)(cg * S);
                for (int64_t i = 0; i < cg * S; i++) s += x[(b * C + g * cg) * S + i];
                for (int64_t i = 0; i < cg * S; i++) ss += pow(x[(b * C + g * cg) * S + i] - s / cnt, 2);
                for (int64_t i = 0; i < cg * S; i++) {
                    int64_t e = (b * C + g * cg) * S + i, c = g * cg + i / S, at_sb = since >= 21 ? c : g;
                    double want = (x[e] - s / cnt) / sqrt(ss / cnt + 1e-3) * sc[at_sb] + bi[at_sb];
                    if (fabs(((float *)y.data)[e] - want) > 1e-5 * (1 + fabs(want)))
                        fail_msg("case %d y[%lld]: got %g want %g", it, (long long)e, (double)((float *)y.data)[e], want);
                }
            }
        free(y.data);
    }
    /* num_groups that does not divide C */
    float x[6] = { 0 }, p3[3] = { 1, 1, 1 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 }, x), t3 = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, p3);
    or_tensor y = { 0 }, *ins[] = { &tx, &t3, &t3 }, *outs[] = { &y };
    or_attr g2 = KH_INT("num_groups", 2);
    char err[512];
    assert_int_equal(kh_run("", "GroupNormalization", 21, &g2, 1, ins, 3, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "num_groups"));
    free(y.data);
}

static void test_bn_errors(void **state)
{
    (void)state;
    float buf[64] = { 0 };
    char err[512];
    or_tensor x = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ 1, 3, 2, 2 }, buf), y = { 0 }, rm = { 0 };
    or_tensor p3 = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, buf);
    or_tensor p4 = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, buf);
    or_tensor *ins[] = { &x, &p3, &p3, &p3, &p4 }, *outs[] = { &y, &rm };
    assert_int_equal(kh_run("", "BatchNormalization", 15, NULL, 0, ins, 5, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "var"));
    ins[4] = &p3;
    assert_int_equal(kh_run("", "BatchNormalization", 15, NULL, 0, ins, 4, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    assert_int_equal(kh_run("", "BatchNormalization", 9, NULL, 0, ins, 5, outs, 2, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    /* spatial=0 with per-channel sized statistics: wrong size */
    or_attr nonspatial[] = { KH_INT("spatial", 0) };
    assert_int_equal(kh_run("", "BatchNormalization", 7, nonspatial, 1, ins, 5, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    /* rank 1 X */
    or_tensor x1 = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, buf);
    ins[0] = &x1;
    assert_int_equal(kh_run("", "BatchNormalization", 15, NULL, 0, ins, 5, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    /* mixed types */
    double dbuf[4] = { 0 };
    or_tensor pd = tensor(ONNXRUN_DOUBLE, 1, (int64_t[]){ 3 }, dbuf);
    ins[0] = &x;
    ins[1] = &pd;
    assert_int_equal(kh_run("", "BatchNormalization", 15, NULL, 0, ins, 5, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
}

/* ---- LRN ---- */

static void check_lrn(int64_t size, float alpha, float beta, float bias)
{
    const int64_t N = 2, C = 7, H = 3, W = 2, S = H * W, n = N * C * S;
    float *x = rand_buf(n, -4, 4);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ N, C, H, W }, x), y = { 0 };
    or_tensor *ins[] = { &tx }, *outs[] = { &y };
    or_attr attrs[] = { KH_INT("size", size), KH_FLOAT("alpha", alpha), KH_FLOAT("beta", beta),
                        KH_FLOAT("bias", bias) };
    char err[256];
    assert_int_equal(kh_run("", "LRN", 13, attrs, 4, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    double want[2 * 7 * 6];
    for (int64_t b = 0; b < N; b++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t s = 0; s < S; s++) {
                double sq = 0;
                int64_t lo = c - (size - 1) / 2, hi = c + size / 2; /* ceil((size-1)/2) = size/2 */
                for (int64_t i = lo; i <= hi; i++)
                    if (i >= 0 && i < C) sq += (double)x[(b * C + i) * S + s] * x[(b * C + i) * S + s];
                int64_t at = (b * C + c) * S + s;
                want[at] = x[at] / pow(bias + alpha / size * sq, beta);
            }
    assert_close(y.data, want, n, 1e-5);
    free(y.data);
    free(x);
}

static void test_lrn(void **state)
{
    (void)state;
    check_lrn(5, 1e-4f, 0.75f, 1.0f);   /* AlexNet, GoogLeNet */
    check_lrn(3, 0.02f, 0.5f, 2.0f);
    check_lrn(4, 0.5f, 0.75f, 1.0f);    /* even: the window leans forward */
    check_lrn(1, 1.0f, 1.0f, 1.0f);
    check_lrn(15, 0.3f, 0.6f, 0.5f);    /* wider than C */

    char err[256];
    float buf[8] = { 0 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 4 }, buf), y = { 0 };
    or_tensor *ins[] = { &tx }, *outs[] = { &y };
    assert_int_equal(kh_run("", "LRN", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID); /* size is required */
    or_attr zero[] = { KH_INT("size", 0) };
    assert_int_equal(kh_run("", "LRN", 13, zero, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
}

/* ---- InstanceNormalization ---- */

static void test_instancenorm(void **state)
{
    (void)state;
    const int64_t N = 2, C = 3, S = 10, n = N * C * S;
    float *x = rand_buf(n, -5, 5), *s = rand_buf(C, -2, 2), *b = rand_buf(C, -1, 1);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ N, C, 2, 5 }, x), y = { 0 };
    or_tensor ts = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ C }, s), tb = ts;
    tb.data = b;
    or_tensor *ins[] = { &tx, &ts, &tb }, *outs[] = { &y };
    or_attr attrs[] = { KH_FLOAT("epsilon", 1e-2f) };
    char err[256];
    assert_int_equal(kh_run("", "InstanceNormalization", 6, attrs, 1, ins, 3, outs, 1, err, sizeof err),
                     ONNXRUN_OK);
    double want[2 * 3 * 10];
    for (int64_t p = 0; p < N * C; p++) {
        double m = 0, v = 0;
        for (int64_t j = 0; j < S; j++) m += x[p * S + j];
        m /= S;
        for (int64_t j = 0; j < S; j++) v += (x[p * S + j] - m) * (x[p * S + j] - m);
        v /= S;
        for (int64_t j = 0; j < S; j++)
            want[p * S + j] = s[p % C] * (x[p * S + j] - m) / sqrt(v + 1e-2f) + b[p % C];
    }
    assert_close(y.data, want, n, 1e-5);
    free(y.data);

    or_tensor bad = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ C + 1 }, s);
    ins[1] = &bad;
    assert_int_equal(kh_run("", "InstanceNormalization", 6, attrs, 1, ins, 3, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    free(x);
    free(s);
    free(b);
}

/* ---- MeanVarianceNormalization ---- */

/* Whether flat positions i and j of dims agree on every axis not in red. */
static bool same_off_axes(int64_t i, int64_t j, int r, const int64_t *dims, const bool *red)
{
    for (int d = r - 1; d >= 0; d--) {
        if (!red[d] && i % dims[d] != j % dims[d]) return false;
        i /= dims[d];
        j /= dims[d];
    }
    return true;
}

/* Random ranks and axis sets (default, negative, empty), opsets 9 and 13,
 * against the definition: for each element, the mean and the (two-pass)
 * variance of all the elements that agree with it off the axes, by brute
 * force. */
static void test_mvn(void **state)
{
    (void)state;
    for (int it = 0; it < 60; it++) {
        int r = 1 + (int)(rng % 4), opset = it % 2 ? 13 : 9;
        frand();
        int64_t dims[4], n = 1;
        for (int d = 0; d < r; d++) {
            dims[d] = 1 + (int64_t)((frand() + 1.0f) * 2.0f);
            n *= dims[d];
        }
        bool red[4] = { false };
        int64_t axes[4];
        size_t na = 0;
        bool dflt = r == 4 && it % 3 == 0;
        for (int d = 0; d < r; d++)
            if (dflt ? d != 1 : frand() > 0.0f) {
                red[d] = true;
                axes[na++] = frand() > 0.0f ? d : d - r;
            }
        float *x = rand_buf(n, -3, 3);
        double *want = malloc((size_t)n * sizeof *want);
        for (int64_t i = 0; i < n; i++) {
            double m = 0, v = 0;
            int64_t cnt = 0;
            for (int64_t j = 0; j < n; j++)
                if (same_off_axes(i, j, r, dims, red)) {
                    m += x[j];
                    cnt++;
                }
            m /= (double)cnt;
            for (int64_t j = 0; j < n; j++)
                if (same_off_axes(i, j, r, dims, red)) v += (x[j] - m) * (x[j] - m);
            v /= (double)cnt;
            want[i] = (x[i] - m) / (sqrt(v) + 1e-9);
        }
        or_tensor tx = tensor(ONNXRUN_FLOAT, r, dims, x), y = { 0 };
        or_tensor *ins[] = { &tx }, *outs[] = { &y };
        or_attr attrs[] = { { .name = (char *)"axes", .type = OR_ATTR_INTS, .ints = axes, .n = na } };
        char err[256];
        assert_int_equal(kh_run("", "MeanVarianceNormalization", opset, attrs, dflt ? 0 : 1, ins, 1,
                                outs, 1, err, sizeof err),
                         ONNXRUN_OK);
        assert_close(y.data, want, n, 2e-4);
        free(y.data);
        free(x);
        free(want);
    }
}

static void test_mvn_errors(void **state)
{
    (void)state;
    float x[6] = { 0 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 1, 2, 3 }, x), y = { 0 };
    or_tensor *ins[] = { &tx }, *outs[] = { &y };
    char err[256];
    /* the default axes 0, 2, 3 need rank 4 */
    assert_int_equal(kh_run("", "MeanVarianceNormalization", 13, NULL, 0, ins, 1, outs, 1, err,
                            sizeof err),
                     ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "axis 3"));
    or_attr twice[] = { KH_INTS("axes", 1, -2) };
    assert_int_equal(kh_run("", "MeanVarianceNormalization", 13, twice, 1, ins, 1, outs, 1, err,
                            sizeof err),
                     ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "twice"));
    int32_t xi[6] = { 0 };
    tx = tensor(ONNXRUN_INT32, 3, (int64_t[]){ 1, 2, 3 }, xi);
    or_attr one[] = { KH_INTS("axes", 1) };
    assert_int_equal(kh_run("", "MeanVarianceNormalization", 13, one, 1, ins, 1, outs, 1, err,
                            sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
}

/* ---- LayerNormalization ---- */

/* x [2,3,4]; scale/bias of rank srank aligned right to the dims from axis. */
static void check_layernorm(int64_t axis_attr, int srank, const int64_t *sdims, bool with_bias)
{
    const int64_t dims[3] = { 2, 3, 4 }, n = 24;
    int axis = (int)(axis_attr < 0 ? axis_attr + 3 : axis_attr);
    float *x = rand_buf(n, -3, 3);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 3, dims, x), ts = tensor(ONNXRUN_FLOAT, srank, sdims, NULL);
    int64_t ns = or_numel(&ts);
    float *s = rand_buf(ns, -2, 2), *b = rand_buf(ns, -1, 1);
    ts.data = s;
    or_tensor tb = ts, y = { 0 }, mean = { 0 }, inv = { 0 };
    tb.data = b;
    or_tensor *ins[] = { &tx, &ts, with_bias ? &tb : NULL }, *outs[] = { &y, &mean, &inv };
    or_attr attrs[] = { KH_INT("axis", axis_attr), KH_FLOAT("epsilon", 1e-3f) };
    char err[256];
    or_status st = kh_run("", "LayerNormalization", 17, attrs, 2, ins, 3, outs, 3, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < 3; i++) {
        if (i < axis) outer *= dims[i];
        else inner *= dims[i];
        assert_int_equal(mean.dims[i], i < axis ? dims[i] : 1);
    }
    assert_int_equal(mean.dtype, ONNXRUN_FLOAT);
    double want[24], wm[24], wi[24];
    for (int64_t o = 0; o < outer; o++) {
        double m = 0, v = 0;
        for (int64_t j = 0; j < inner; j++) m += x[o * inner + j];
        m /= inner;
        for (int64_t j = 0; j < inner; j++) v += (x[o * inner + j] - m) * (x[o * inner + j] - m);
        v /= inner;
        wm[o] = m;
        wi[o] = 1 / sqrt(v + 1e-3f);
        for (int64_t j = 0; j < inner; j++) {
            /* index of j in the broadcast scale */
            int64_t rem = j, si = 0, sstride = 1;
            for (int d = 2; d >= axis; d--) {
                int64_t idx = rem % dims[d];
                rem /= dims[d];
                int sd = d - (3 - srank);
                if (sd >= 0) {
                    si += (sdims[sd] == 1 ? 0 : idx) * sstride;
                    sstride *= sdims[sd];
                }
            }
            want[o * inner + j] = (x[o * inner + j] - m) * wi[o] * s[si] + (with_bias ? b[si] : 0);
        }
    }
    assert_close(y.data, want, n, 1e-5);
    assert_close(mean.data, wm, outer, 1e-5);
    assert_close(inv.data, wi, outer, 1e-5);
    free(y.data);
    free(mean.data);
    free(inv.data);
    free(x);
    free(s);
    free(b);
}

static void test_layernorm(void **state)
{
    (void)state;
    check_layernorm(-1, 1, (int64_t[]){ 4 }, true);
    check_layernorm(2, 1, (int64_t[]){ 4 }, false);
    check_layernorm(1, 2, (int64_t[]){ 3, 4 }, true);
    check_layernorm(-2, 2, (int64_t[]){ 3, 1 }, true);  /* broadcast scale */
    check_layernorm(0, 3, (int64_t[]){ 2, 3, 4 }, true);
    check_layernorm(0, 1, (int64_t[]){ 1 }, true);
    check_layernorm(2, 3, (int64_t[]){ 1, 1, 4 }, true); /* leading 1s beyond the normalised dims */

    char err[256];
    float buf[24] = { 0 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 2, 3, 4 }, buf), y = { 0 };
    or_tensor ts = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 3, 4 }, buf);
    or_tensor *ins[] = { &tx, &ts }, *outs[] = { &y };
    or_attr last[] = { KH_INT("axis", -1) }, out_of_range[] = { KH_INT("axis", 3) };
    assert_int_equal(kh_run("", "LayerNormalization", 17, last, 1, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    assert_int_equal(kh_run("", "LayerNormalization", 17, out_of_range, 1, ins, 2, outs, 1, err,
                            sizeof err),
                     ONNXRUN_E_INVALID);
}

/* ---- threads ---- */

/* Runs op with k.threads = threads; out->data is malloc'd (caller frees). */
static or_status run_threads(const char *op, int opset, or_attr *attrs, size_t n_attrs,
                             or_tensor **ins, size_t n_in, or_tensor *out, int threads)
{
    char err[256], *in_names[] = { "a", "b", "c", "d", "e" }, *out_names[] = { "y" };
    or_node node = { .name = "t", .op_type = (char *)op, .domain = "", .n_inputs = n_in,
                     .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = n_attrs, .attrs = attrs };
    or_tensor *outs[] = { out };
    or_kernel k = { .def = or_op_find("", op, opset), .node = &node, .opset = opset, .n_in = n_in,
                    .n_out = 1, .in = ins, .out = outs, .threads = threads, .err = err,
                    .err_len = sizeof err };
    or_status st = or_kernel_init(&k);
    if (st == ONNXRUN_OK) st = k.def->infer(&k);
    if (st == ONNXRUN_OK) {
        out->data = malloc(or_nbytes(out));
        k.scratch = k.scratch_bytes ? aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64) : NULL;
        st = k.def->run(&k);
        free(k.scratch);
    }
    or_kernel_fini(&k);
    return st;
}

/* Split across threads, each kernel gives the same bits as on one thread. */
static void test_threads_match(void **state)
{
    (void)state;
    const int64_t N = 2, C = 6, H = 40, W = 100, n = N * C * H * W; /* above PARALLEL_MIN */
    float *x = rand_buf(n, -2, 2), *p = rand_buf(C, 0.5f, 1.5f);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ N, C, H, W }, x);
    or_tensor tp = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ C }, p);
    or_tensor tl = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ W }, x);
    or_tensor *bn_ins[] = { &tx, &tp, &tp, &tp, &tp }, *ln_ins[] = { &tx, &tl, &tl };
    or_attr lrn[] = { KH_INT("size", 5) };
    struct { const char *op; int opset; or_attr *attrs; size_t n_attrs; or_tensor **ins; size_t n_in; } cases[] = {
        { "BatchNormalization", 15, NULL, 0, bn_ins, 5 },
        { "LRN", 13, lrn, 1, bn_ins, 1 },
        { "InstanceNormalization", 6, NULL, 0, bn_ins, 3 },
        { "LayerNormalization", 17, NULL, 0, ln_ins, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        or_tensor y1 = { 0 }, y2 = { 0 };
        assert_int_equal(run_threads(cases[i].op, cases[i].opset, cases[i].attrs, cases[i].n_attrs,
                                     cases[i].ins, cases[i].n_in, &y1, 1), ONNXRUN_OK);
        assert_int_equal(run_threads(cases[i].op, cases[i].opset, cases[i].attrs, cases[i].n_attrs,
                                     cases[i].ins, cases[i].n_in, &y2, 3), ONNXRUN_OK);
        assert_true(or_same_shape(&y1, &y2));
        assert_memory_equal(y1.data, y2.data, or_nbytes(&y1));
        free(y1.data);
        free(y2.data);
    }
    free(x);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bn_forms),
        cmocka_unit_test(test_bn_double),
        cmocka_unit_test(test_bn_training),
        cmocka_unit_test(test_group_norm),
        cmocka_unit_test(test_bn_errors),
        cmocka_unit_test(test_lrn),
        cmocka_unit_test(test_instancenorm),
        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_mvn),
        cmocka_unit_test(test_mvn_errors),
        cmocka_unit_test(test_threads_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
