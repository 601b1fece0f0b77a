/*
 * test_reduce.c - every Reduce* kernel over many axes sets, keepdims 0/1,
 * axes as attribute and as input, against a naive reference in double;
 * noop_with_empty_axes, integer types, empty reductions; ArgMax/ArgMin with
 * ties and select_last_index; error cases.
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

static uint32_t rng = 4242;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static or_tensor tensor(onnxrun_dtype dt, int rank, const int64_t *dims, void *data)
{
    or_tensor t = { .dtype = dt, .rank = rank, .data = data };
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

enum { K_SUM, K_MEAN, K_MAX, K_MIN, K_PROD, K_L1, K_L2, K_LOGSUM, K_LOGSUMEXP, K_SUMSQ, K_COUNT };
static const char *names[K_COUNT] = {
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
    "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
};

/* Naive reduction of x (rank, dims) over red[] into want (keepdims layout). */
static void naive(int kind, const float *x, int rank, const int64_t *dims, const bool *red,
                  double *want, int64_t *n_out)
{
    int64_t n = 1, no = 1, cnt = 1;
    for (int i = 0; i < rank; i++) {
        n *= dims[i];
        if (red[i]) cnt *= dims[i];
        else no *= dims[i];
    }
    double acc[256];
    for (int64_t o = 0; o < no; o++)
        acc[o] = kind == K_PROD ? 1 : kind == K_MAX ? -INFINITY : kind == K_MIN ? INFINITY : 0;
    for (int64_t e = 0; e < n; e++) {
        int64_t rem = e, o = 0, ostride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int64_t idx = rem % dims[i];
            rem /= dims[i];
            if (!red[i]) {
                o += idx * ostride;
                ostride *= dims[i];
            }
        }
        double v = x[e];
        switch (kind) {
        case K_MAX: acc[o] = fmax(acc[o], v); break;
        case K_MIN: acc[o] = fmin(acc[o], v); break;
        case K_PROD: acc[o] *= v; break;
        case K_L1: acc[o] += fabs(v); break;
        case K_L2: case K_SUMSQ: acc[o] += v * v; break;
        case K_LOGSUMEXP: acc[o] += exp(v); break;
        default: acc[o] += v; break;
        }
    }
    for (int64_t o = 0; o < no; o++) {
        double v = acc[o];
        want[o] = kind == K_MEAN ? v / (double)cnt : kind == K_L2 ? sqrt(v)
                : kind == K_LOGSUM || kind == K_LOGSUMEXP ? log(v) : v;
    }
    *n_out = no;
}

/* Runs kind over axes (n_axes; -1 = no axes given) at opset, as attribute or input. */
static void check_reduce(int kind, int opset, int rank, const int64_t *dims, const int64_t *axes,
                         int n_axes, int keepdims)
{
    or_tensor tx = tensor(ONNXRUN_FLOAT, rank, dims, NULL);
    int64_t n = or_numel(&tx);
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        x[i] = kind == K_LOGSUM ? 1.1f + frand() : kind == K_PROD ? 1.0f + 0.3f * frand() : 2 * frand();
    tx.data = x;
    bool axes_input = opset >= (kind == K_SUM ? 13 : 18);
    or_attr attrs[2] = { KH_INT("keepdims", keepdims) };
    size_t n_attrs = 1;
    if (!axes_input && n_axes > 0) {
        attrs[1] = (or_attr){ .name = "axes", .type = OR_ATTR_INTS, .ints = (int64_t *)axes,
                              .n = (size_t)n_axes };
        n_attrs = 2;
    }
    or_tensor ta = tensor(ONNXRUN_INT64, 1, (int64_t[]){ n_axes < 0 ? 0 : n_axes }, (void *)axes);
    or_tensor y = { 0 };
    or_tensor *ins[] = { &tx, &ta }, *outs[] = { &y };
    size_t n_in = axes_input && n_axes >= 0 ? 2 : 1;
    char err[512];
    or_status st = kh_run("", names[kind], opset, attrs, n_attrs, ins, n_in, outs, 1, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);

    bool red[OR_MAX_RANK] = { false };
    for (int i = 0; i < n_axes; i++) red[axes[i] < 0 ? axes[i] + rank : axes[i]] = true;
    if (n_axes <= 0)
        for (int i = 0; i < rank; i++) red[i] = true;
    int orank = 0;
    for (int i = 0; i < rank; i++) {
        if (red[i] && !keepdims) continue;
        assert_true(orank < y.rank);
        assert_int_equal(y.dims[orank], red[i] ? 1 : dims[i]);
        orank++;
    }
    assert_int_equal(y.rank, orank);
    double want[256];
    int64_t no;
    naive(kind, x, rank, dims, red, want, &no);
    assert_int_equal(or_numel(&y), no);
    for (int64_t i = 0; i < no; i++) {
        double got = ((float *)y.data)[i];
        if (fabs(got - want[i]) > 1e-5 + 1e-5 * fabs(want[i])) {
            print_error("%s opset %d element %lld: got %.8g, want %.8g\n", names[kind], opset,
                        (long long)i, got, want[i]);
            fail();
        }
    }
    free(y.data);
    free(x);
}

static void test_reduce_all_kinds(void **state)
{
    (void)state;
    static const int64_t d3[] = { 2, 3, 4 }, d4[] = { 2, 1, 3, 2 };
    static const struct { int n; int64_t a[4]; } sets[] = {
        { -1, { 0 } }, { 1, { 0 } }, { 1, { 1 } }, { 1, { 2 } }, { 1, { -1 } }, { 2, { 0, 2 } },
        { 2, { 2, 0 } }, { 2, { 1, 2 } }, { 3, { 0, 1, 2 } }, { 2, { -3, 2 } },
    };
    static const int opsets[] = { 1, 11, 13, 18 };
    for (int kind = 0; kind < K_COUNT; kind++)
        for (size_t o = 0; o < sizeof opsets / sizeof opsets[0]; o++)
            for (int keep = 0; keep < 2; keep++)
                for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
                    check_reduce(kind, opsets[o], 3, d3, sets[s].a, sets[s].n, keep);
                    check_reduce(kind, opsets[o], 4, d4, sets[s].a, sets[s].n, keep);
                }
    /* rank 4 only: the reduced dim between kept ones, and the last dim of size 1 */
    static const int64_t d5[] = { 3, 2, 4, 1 };
    check_reduce(K_MEAN, 13, 4, d5, (int64_t[]){ 1, 3 }, 2, 1);
    check_reduce(K_MAX, 13, 4, d5, (int64_t[]){ 0, 2 }, 2, 0);
    check_reduce(K_SUM, 13, 4, d5, (int64_t[]){ 3 }, 1, 0);
    check_reduce(K_L2, 18, 4, d5, (int64_t[]){ 3 }, 1, 1);
    /* scalar input */
    float one = -3;
    or_tensor tx = tensor(ONNXRUN_FLOAT, 0, NULL, &one), y = { 0 };
    or_tensor *ins[] = { &tx }, *outs[] = { &y };
    char err[256];
    assert_int_equal(kh_run("", "ReduceL1", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.rank, 0);
    assert_true(((float *)y.data)[0] == 3.0f);
    free(y.data);
}

static void test_reduce_noop_and_empty(void **state)
{
    (void)state;
    float x[6] = { 1, -2, 3, -4, 5, -6 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 }, x), y = { 0 };
    or_tensor ta = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 0 }, NULL);
    or_tensor *ins[] = { &tx, &ta }, *outs[] = { &y };
    or_attr noop[] = { KH_INT("noop_with_empty_axes", 1) };
    char err[256];
    /* empty axes input with noop: the input unchanged */
    assert_int_equal(kh_run("", "ReduceSum", 13, noop, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(or_same_shape(&tx, &y));
    assert_memory_equal(y.data, x, sizeof x);
    free(y.data);
    assert_int_equal(kh_run("", "ReduceL2", 18, noop, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, x, sizeof x);
    free(y.data);
    /* empty axes input without noop: everything */
    assert_int_equal(kh_run("", "ReduceSum", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.rank, 2);
    assert_true(((float *)y.data)[0] == -3.0f);
    free(y.data);

    /* reducing an empty dim gives the identity */
    or_tensor te = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 0 }, x);
    or_tensor ax = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 1 }, (int64_t[]){ 1 });
    ins[0] = &te;
    ins[1] = &ax;
    assert_int_equal(kh_run("", "ReduceSum", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dims[0], 2);
    assert_true(((float *)y.data)[0] == 0 && ((float *)y.data)[1] == 0);
    free(y.data);
    assert_int_equal(kh_run("", "ReduceMax", 18, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(isinf(((float *)y.data)[0]) && ((float *)y.data)[0] < 0);
    free(y.data);
    assert_int_equal(kh_run("", "ReduceProd", 18, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(((float *)y.data)[1] == 1.0f);
    free(y.data);
}

static void test_reduce_types(void **state)
{
    (void)state;
    char err[256];
    int64_t xi[6] = { 1, -2, 3, (int64_t)1 << 60, 5, -6 };
    or_tensor tx = tensor(ONNXRUN_INT64, 2, (int64_t[]){ 2, 3 }, xi), y = { 0 };
    or_tensor ax = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 1 }, (int64_t[]){ -1 });
    or_tensor *ins[] = { &tx, &ax }, *outs[] = { &y };
    or_attr nokeep[] = { KH_INT("keepdims", 0) };
    assert_int_equal(kh_run("", "ReduceSum", 13, nokeep, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT64);
    assert_int_equal(((int64_t *)y.data)[0], 2);
    assert_int_equal(((int64_t *)y.data)[1], ((int64_t)1 << 60) - 1); /* exact, no double */
    free(y.data);

    /* int64 overflow wraps instead of being undefined */
    int64_t big[4] = { INT64_MAX, 1, INT64_MIN, 3 };
    tx = tensor(ONNXRUN_INT64, 2, (int64_t[]){ 2, 2 }, big);
    assert_int_equal(kh_run("", "ReduceSum", 13, nokeep, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(((int64_t *)y.data)[0] == INT64_MIN);
    free(y.data);
    or_attr wrap_axes[] = { KH_INTS("axes", 1) };
    assert_int_equal(kh_run("", "ReduceProd", 13, wrap_axes, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(((int64_t *)y.data)[1] == INT64_MIN); /* INT64_MIN * 3 wraps to INT64_MIN */
    free(y.data);
    assert_int_equal(kh_run("", "ReduceL1", 13, wrap_axes, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(((int64_t *)y.data)[1] == INT64_MIN + 3); /* |INT64_MIN| wraps */
    free(y.data);
    assert_int_equal(kh_run("", "ReduceSumSquare", 13, wrap_axes, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_OK);
    free(y.data);

    int32_t x32[6] = { 1, -2, 3, 7, 5, -6 };
    tx = tensor(ONNXRUN_INT32, 2, (int64_t[]){ 2, 3 }, x32);
    or_attr axes0[] = { KH_INTS("axes", 0) };
    assert_int_equal(kh_run("", "ReduceMax", 13, axes0, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT32);
    int32_t want_max[3] = { 7, 5, 3 };
    assert_memory_equal(y.data, want_max, sizeof want_max);
    free(y.data);
    assert_int_equal(kh_run("", "ReduceMin", 13, axes0, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    int32_t want_min[3] = { 1, -2, -6 };
    assert_memory_equal(y.data, want_min, sizeof want_min);
    free(y.data);
    assert_int_equal(kh_run("", "ReduceL2", 13, axes0, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);

    double xd[4] = { 1000, 1000, -1000, 1 };
    tx = tensor(ONNXRUN_DOUBLE, 2, (int64_t[]){ 2, 2 }, xd);
    or_attr axes1[] = { KH_INTS("axes", 1) };
    assert_int_equal(kh_run("", "ReduceLogSumExp", 13, axes1, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_OK); /* stable for large values */
    assert_true(fabs(((double *)y.data)[0] - (1000 + log(2.0))) < 1e-9);
    assert_true(fabs(((double *)y.data)[1] - (1 + log1p(exp(-1001.0)))) < 1e-9);
    free(y.data);
}

static void test_reduce_errors(void **state)
{
    (void)state;
    char err[256];
    float x[6] = { 0 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 }, x), y = { 0 };
    or_tensor *ins[] = { &tx, NULL }, *outs[] = { &y };
    or_attr dup[] = { KH_INTS("axes", 1, -1) }, range[] = { KH_INTS("axes", 2) };
    assert_int_equal(kh_run("", "ReduceMean", 13, dup, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(kh_run("", "ReduceMean", 13, range, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    /* axes attribute where an input is expected */
    assert_int_equal(kh_run("", "ReduceSum", 13, range, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    /* axes input of the wrong type or rank */
    or_tensor af = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 1 }, x);
    ins[1] = &af;
    assert_int_equal(kh_run("", "ReduceSum", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    or_tensor a2 = tensor(ONNXRUN_INT64, 2, (int64_t[]){ 1, 1 }, (int64_t[]){ 0 });
    ins[1] = &a2;
    assert_int_equal(kh_run("", "ReduceSum", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    /* string input */
    or_tensor ts = tensor(ONNXRUN_STRING, 1, (int64_t[]){ 1 }, x);
    ins[0] = &ts;
    assert_int_equal(kh_run("", "ReduceSum", 1, NULL, 0, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
}

/* ---- ArgMax / ArgMin ---- */

static void check_arg(bool is_max, int rank, const int64_t *dims, int64_t axis, int keepdims,
                      int last, int opset)
{
    or_tensor tx = tensor(ONNXRUN_FLOAT, rank, dims, NULL);
    int64_t n = or_numel(&tx);
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(int)(2 * (frand() + 1)); /* {0..3}: many ties */
    tx.data = x;
    or_tensor y = { 0 };
    or_tensor *ins[] = { &tx }, *outs[] = { &y };
    or_attr attrs[] = { KH_INT("axis", axis), KH_INT("keepdims", keepdims),
                        KH_INT("select_last_index", last) };
    char err[256];
    assert_int_equal(kh_run("", is_max ? "ArgMax" : "ArgMin", opset, attrs, opset >= 12 ? 3 : 2, ins, 1,
                            outs, 1, err, sizeof err),
                     ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT64);
    int a = (int)(axis < 0 ? axis + rank : axis);
    assert_int_equal(y.rank, keepdims ? rank : rank - 1);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < rank; i++) {
        if (i < a) outer *= dims[i];
        if (i > a) inner *= dims[i];
    }
    const int64_t *got = y.data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t best = 0;
            for (int64_t j = 1; j < dims[a]; j++) {
                float v = x[(o * dims[a] + j) * inner + i], b = x[(o * dims[a] + best) * inner + i];
                if (is_max ? (v > b || (last && v == b)) : (v < b || (last && v == b))) best = j;
            }
            assert_int_equal(got[o * inner + i], best);
        }
    free(y.data);
    free(x);
}

/* CumSum against the definition (each output the sum over its window of
 * the axis, in double): random shapes of rank 1-3, every axis from both
 * ends (int32 and int64 axis tensors), exclusive and reverse; float and
 * int64 (exact); and the errors. */
static void test_cumsum(void **state)
{
    (void)state;
    char err[256];
    for (int it = 0; it < 80; it++) {
        int rank = 1 + (int)((rng = rng * 1664525u + 1013904223u) >> 8) % 3;
        int64_t dims[3], n = 1;
        for (int d = 0; d < rank; d++) {
            rng = rng * 1664525u + 1013904223u;
            dims[d] = (rng >> 8) % 5;
            n *= dims[d];
        }
        rng = rng * 1664525u + 1013904223u;
        int a = (int)((rng >> 8) % (uint32_t)rank), ex = (rng >> 12) & 1, rev = (rng >> 13) & 1;
        bool is_int = (rng >> 14) & 1, ax32 = (rng >> 15) & 1;
        int64_t axis = (rng >> 16) & 1 ? a - rank : a;
        float *xf = malloc((size_t)(n ? n : 1) * sizeof *xf);
        int64_t *xi = malloc((size_t)(n ? n : 1) * sizeof *xi);
        for (int64_t i = 0; i < n; i++) {
            xf[i] = frand();
            xi[i] = (int64_t)(frand() * 1e6);
        }
        int32_t a32 = (int32_t)axis;
        or_tensor tx = is_int ? tensor(ONNXRUN_INT64, rank, dims, xi) : tensor(ONNXRUN_FLOAT, rank, dims, xf);
        or_tensor tax = ax32 ? tensor(ONNXRUN_INT32, 0, NULL, &a32) : tensor(ONNXRUN_INT64, 0, NULL, &axis);
        or_tensor y = { 0 }, *ins[] = { &tx, &tax }, *outs[] = { &y };
        or_attr attrs[] = { KH_INT("exclusive", ex), KH_INT("reverse", rev) };
        assert_int_equal(kh_run("", "CumSum", 14, attrs, 2, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
        int64_t inner = 1;
        for (int d = a + 1; d < rank; d++) inner *= dims[d];
        for (int64_t e = 0; e < n; e++) {
            int64_t j = e / inner % dims[a], base = e - j * inner;
            double want = 0;
            for (int64_t t = 0; t < dims[a]; t++) {
                bool in = rev ? (ex ? t > j : t >= j) : (ex ? t < j : t <= j);
                if (in) want += is_int ? (double)xi[base + t * inner] : (double)xf[base + t * inner];
            }
            if (is_int) assert_true(((int64_t *)y.data)[e] == (int64_t)want);
            else assert_true(fabs(((float *)y.data)[e] - want) <= 1e-5 * (1 + fabs(want)));
        }
        free(y.data);
        free(xf);
        free(xi);
    }
    int64_t d2[] = { 2, 3 }, big = 2;
    float x6[6] = { 0 };
    uint8_t u6[6] = { 0 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, d2, x6), tu = tensor(ONNXRUN_UINT8, 2, d2, u6);
    or_tensor tax = tensor(ONNXRUN_INT64, 0, NULL, &big), y = { 0 };
    or_tensor *ins[] = { &tx, &tax }, *insu[] = { &tu, &tax }, *outs[] = { &y };
    assert_int_equal(kh_run("", "CumSum", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    free(y.data);
    y = (or_tensor){ 0 };
    assert_int_equal(kh_run("", "CumSum", 14, NULL, 0, insu, 2, outs, 1, err, sizeof err), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

static void test_argmax_argmin(void **state)
{
    (void)state;
    static const int64_t d3[] = { 3, 4, 5 };
    for (int is_max = 0; is_max < 2; is_max++)
        for (int64_t axis = -3; axis < 3; axis++)
            for (int keep = 0; keep < 2; keep++) {
                check_arg(is_max, 3, d3, axis, keep, 0, 13);
                check_arg(is_max, 3, d3, axis, keep, 1, 13);
                check_arg(is_max, 3, d3, axis, keep, 0, 11);
            }
    check_arg(true, 1, (int64_t[]){ 7 }, 0, 0, 1, 13);

    int32_t xi[6] = { 4, 9, 9, -1, -1, 2 };
    or_tensor tx = tensor(ONNXRUN_INT32, 2, (int64_t[]){ 2, 3 }, xi), y = { 0 };
    or_tensor *ins[] = { &tx }, *outs[] = { &y };
    or_attr attrs[] = { KH_INT("axis", 1), KH_INT("select_last_index", 1) };
    char err[256];
    assert_int_equal(kh_run("", "ArgMax", 13, attrs, 2, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(((int64_t *)y.data)[0], 2);
    assert_int_equal(((int64_t *)y.data)[1], 2);
    free(y.data);
    assert_int_equal(kh_run("", "ArgMin", 13, attrs, 2, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(((int64_t *)y.data)[0], 0);
    assert_int_equal(((int64_t *)y.data)[1], 1);
    free(y.data);

    /* errors: axis out of range, empty axis */
    or_attr bad[] = { KH_INT("axis", 2) };
    assert_int_equal(kh_run("", "ArgMax", 13, bad, 1, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    or_tensor te = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 0 }, xi);
    ins[0] = &te;
    assert_int_equal(kh_run("", "ArgMax", 13, attrs, 2, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
}

/* ---- TopK ---- */

/* Whether (a, ia) ranks before (b, ib): larger (smaller) first, NaN above
 * every number, ties to the lower index. */
static bool ranks_before(double a, int64_t ia, double b, int64_t ib, bool largest)
{
    bool na = a != a, nb = b != b;
    int c = na || nb ? (int)na - (int)nb : (a > b) - (a < b);
    if (!largest) c = -c;
    return c > 0 || (c == 0 && ia < ib);
}

/* TopK on random shapes, axes, k (0 to n), largest or smallest, at opsets
 * 1 (k attribute), 10 and 11 (k input), float with NaN and duplicates and
 * int64 beyond 2^53, against selection by repeated scans (the kernel
 * sorts). */
static void test_topk(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        int r = 1 + (int)(rng % 3), opset = it % 3 == 0 ? 1 : it % 3 == 1 ? 10 : 11;
        frand();
        bool i64 = it % 4 == 0, largest = opset < 11 || (rng >> 9) % 2;
        int64_t dims[3], n = 1, odims[3];
        for (int a = 0; a < r; a++) {
            dims[a] = 1 + (int64_t)((frand() + 1) * 3);
            n *= dims[a];
        }
        int ax = (int)((rng >> 5) % (uint32_t)r);
        int64_t kk = (int64_t)((rng >> 11) % (uint32_t)(dims[ax] + 1));
        float *xf = malloc((size_t)n * sizeof *xf);
        int64_t *xi = malloc((size_t)n * sizeof *xi);
        for (int64_t i = 0; i < n; i++) {
            xf[i] = (float)(int)(frand() * 4) / 2;  /* few values: many ties */
            if ((rng >> 7) % 23 == 0) xf[i] = NAN;
            xi[i] = ((int64_t)1 << 60) + (int64_t)(frand() * 3);
        }
        int64_t outer = 1, inner = 1;
        for (int a = 0; a < r; a++) {
            if (a < ax) outer *= dims[a];
            if (a > ax) inner *= dims[a];
            odims[a] = a == ax ? kk : dims[a];
        }
        or_tensor tx = tensor(i64 ? ONNXRUN_INT64 : ONNXRUN_FLOAT, r, dims, i64 ? (void *)xi : (void *)xf);
        or_tensor tk = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 1 }, &kk), y = { 0 }, yi = { 0 };
        or_tensor *ins[] = { &tx, &tk }, *outs[] = { &y, &yi };
        or_attr at[] = { KH_INT("axis", ax - (it % 2 ? r : 0)), KH_INT("largest", largest), KH_INT("k", kk) };
        char err[256];
        size_t na = opset == 10 ? 1 : 2; /* axis, then k (opset 1) or largest (11) */
        if (opset < 10) at[1] = at[2];
        or_status st = kh_run("", "TopK", opset, at, na, ins, opset < 10 ? 1 : 2, outs, 2, err, sizeof err);
        if (st != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        assert_int_equal(y.rank, r);
        for (int a = 0; a < r; a++) assert_int_equal(y.dims[a], odims[a]);
        bool *used = malloc((size_t)dims[ax] * sizeof *used);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                memset(used, 0, (size_t)dims[ax] * sizeof *used);
                for (int64_t j = 0; j < kk; j++) {
                    int64_t best = -1;
                    for (int64_t q = 0; q < dims[ax]; q++) {
                        if (used[q]) continue;
                        int64_t off = (o * dims[ax] + q) * inner + i, bo = (o * dims[ax] + best) * inner + i;
                        double v = i64 ? (double)(xi[off] - ((int64_t)1 << 60)) : xf[off];
                        double b = best < 0 ? 0 : i64 ? (double)(xi[bo] - ((int64_t)1 << 60)) : xf[bo];
                        if (best < 0 || ranks_before(v, q, b, best, largest)) best = q;
                    }
                    used[best] = true;
                    int64_t out = (o * kk + j) * inner + i, src = (o * dims[ax] + best) * inner + i;
                    assert_int_equal(((int64_t *)yi.data)[out], best);
                    if (i64) assert_int_equal(((int64_t *)y.data)[out], xi[src]);
                    else assert_memory_equal(&((float *)y.data)[out], &xf[src], sizeof(float));
                }
            }
        free(used);
        free(y.data);
        free(yi.data);
        free(xf);
        free(xi);
    }
    /* k beyond the axis; k not a single value */
    float x[4] = { 1, 2, 3, 4 };
    int64_t big = 5, two[2] = { 1, 2 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, x), tk = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 1 }, &big);
    or_tensor y = { 0 }, yi = { 0 }, *ins[] = { &tx, &tk }, *outs[] = { &y, &yi };
    char err[256];
    assert_int_equal(kh_run("", "TopK", 11, NULL, 0, ins, 2, outs, 2, err, sizeof err), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "k = 5"));
    tk = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 2 }, two);
    assert_int_not_equal(kh_run("", "TopK", 11, NULL, 0, ins, 2, outs, 2, err, sizeof err), ONNXRUN_OK);
    assert_non_null(strstr(err, "at most 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reduce_all_kinds),
        cmocka_unit_test(test_reduce_noop_and_empty),
        cmocka_unit_test(test_reduce_types),
        cmocka_unit_test(test_reduce_errors),
        cmocka_unit_test(test_argmax_argmin),
        cmocka_unit_test(test_cumsum),
        cmocka_unit_test(test_topk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
