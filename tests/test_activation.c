/*
 * test_activation.c - the activation kernels (ops/activation.c) against
 * their formulas evaluated naively in double: pointwise activations with
 * default and given attributes, Clip in its attribute (1, 6) and input (11+)
 * forms, Softmax / LogSoftmax / Hardmax with the pre-13 2-D coercion and the
 * 13+ single-axis semantics, in-place runs, threads and error cases.
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
static float frand(float lo, float hi)
{
    rng = rng * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)((rng >> 8) & 0xffff) / 65535.0f;
}

static or_tensor tensor(onnxrun_dtype dt, int rank, const int64_t *dims, void *data)
{
    or_tensor t = { .dtype = dt, .rank = rank, .data = data };
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

static float *rand_floats(int64_t n, float lo, float hi)
{
    float *b = malloc((size_t)(n ? n : 1) * sizeof *b);
    for (int64_t i = 0; i < n; i++) b[i] = frand(lo, hi);
    return b;
}

/* kh_run (with its variants), or with out[0] sharing in[0]'s buffer given
 * by the test, or a thread count; the output's data is malloc'd unless in
 * place. */
static or_status run_k(const char *op, int64_t opset, or_attr *attrs, size_t n_attrs,
                       or_tensor **ins, size_t n_in, or_tensor *out, bool in_place, int threads,
                       char *err, size_t err_len)
{
    if (!in_place && threads == 1) /* with the harness's variants */
        return kh_run("", op, opset, attrs, n_attrs, ins, n_in, &out, 1, err, err_len);
    char *in_names[4], *out_names[] = { "y" };
    for (size_t i = 0; i < n_in; i++) in_names[i] = ins[i] ? "x" : "";
    or_node node = { .name = "t", .op_type = (char *)op, .domain = "", .n_inputs = n_in,
                     .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = n_attrs, .attrs = attrs };
    const or_op_def *def = or_op_find("", op, opset);
    err[0] = 0;
    if (!def) return ONNXRUN_E_UNSUPPORTED;
    or_tensor *outs[] = { out };
    or_kernel k = { .def = def, .node = &node, .opset = opset, .n_in = n_in, .n_out = 1,
                    .in = ins, .out = outs, .threads = threads, .model_path = "test",
                    .err = err, .err_len = err_len };
    or_status st = or_kernel_init(&k);
    if (st == ONNXRUN_OK) st = k.def->infer(&k);
    if (st == ONNXRUN_OK) {
        if (in_place) {
            assert_true(or_same_shape(out, ins[0]));
            assert_true(def->flags & OR_OP_INPLACE);
            out->data = ins[0]->data;
        } else {
            out->data = calloc(1, or_nbytes(out) ? or_nbytes(out) : 1);
        }
        if (k.scratch_bytes) k.scratch = aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64);
        st = k.def->run(&k);
        free(k.scratch);
    }
    or_kernel_fini(&k);
    return st;
}

static void assert_close(const float *got, const double *want, int64_t n, double tol,
                         const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol + tol * fabs(want[i]))) {
            print_error("%s element %lld: got %.8g, want %.8g\n", what, (long long)i, got[i],
                        want[i]);
            fail();
        }
}

/* ---- pointwise ---- */

typedef struct act_case {
    const char *op;
    int opset;
    double alpha, beta, gamma;   /* what the reference uses */
    int n_attrs;
    or_attr attrs[2];
} act_case;

static double ref_act(const act_case *c, double x)
{
    double a = c->alpha, b = c->beta, g = c->gamma;
    const char *op = c->op;
    if (!strcmp(op, "Relu")) return x > 0 ? x : 0;
    if (!strcmp(op, "LeakyRelu")) return x < 0 ? a * x : x;
    if (!strcmp(op, "Elu")) return x < 0 ? a * (exp(x) - 1) : x;
    if (!strcmp(op, "Selu")) return x <= 0 ? g * (a * exp(x) - a) : g * x;
    if (!strcmp(op, "Celu")) return fmax(0, x) + fmin(0, a * (exp(x / a) - 1));
    if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-x));
    if (!strcmp(op, "HardSigmoid")) return fmax(0, fmin(1, a * x + b));
    if (!strcmp(op, "HardSwish")) return x * fmax(0, fmin(1, x / 6 + 0.5));
    if (!strcmp(op, "Tanh")) return tanh(x);
    if (!strcmp(op, "Softplus")) return log(1 + exp(x));
    if (!strcmp(op, "Softsign")) return x / (1 + fabs(x));
    if (!strcmp(op, "ThresholdedRelu")) return x > a ? x : 0;
    if (!strcmp(op, "Shrink")) return x < -a ? x + b : x > a ? x - b : 0;
    if (!strcmp(op, "Mish")) return x * tanh(log(1 + exp(x)));
    if (!strcmp(op, "Gelu") && a == 0) return x * 0.5 * erfc(-x / sqrt(2.0));
    if (!strcmp(op, "Gelu")) return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * pow(x, 3))));
    fail();
    return 0;
}

static void test_pointwise(void **state)
{
    (void)state;
    const act_case cases[] = {
        { "Relu", 14, 0, 0, 0, 0, { { 0 } } },
        { "Relu", 1, 0, 0, 0, 1, { KH_INTS("consumed_inputs", 0) } },
        { "LeakyRelu", 16, 0.01, 0, 0, 0, { { 0 } } },
        { "LeakyRelu", 6, 0.5, 0, 0, 1, { KH_FLOAT("alpha", 0.5f) } },
        { "Elu", 6, 1, 0, 0, 0, { { 0 } } },
        { "Elu", 6, 2, 0, 0, 1, { KH_FLOAT("alpha", 2) } },
        { "Selu", 6, 1.6732632423543772, 0, 1.0507009873554805, 0, { { 0 } } },
        { "Selu", 6, 2, 0, 3, 2, { KH_FLOAT("alpha", 2), KH_FLOAT("gamma", 3) } },
        { "Celu", 12, 2, 0, 0, 1, { KH_FLOAT("alpha", 2) } },
        { "Sigmoid", 13, 0, 0, 0, 0, { { 0 } } },
        { "HardSigmoid", 6, 0.2, 0.5, 0, 0, { { 0 } } },
        { "HardSigmoid", 6, 0.5, 0.6, 0, 2, { KH_FLOAT("alpha", 0.5f), KH_FLOAT("beta", 0.6f) } },
        { "HardSwish", 14, 0, 0, 0, 0, { { 0 } } },
        { "Tanh", 13, 0, 0, 0, 0, { { 0 } } },
        { "Softplus", 1, 0, 0, 0, 0, { { 0 } } },
        { "Softsign", 1, 0, 0, 0, 0, { { 0 } } },
        { "ThresholdedRelu", 10, 1, 0, 0, 0, { { 0 } } },
        { "ThresholdedRelu", 10, 0.5, 0, 0, 1, { KH_FLOAT("alpha", 0.5f) } },
        { "Shrink", 9, 0.5, 0, 0, 0, { { 0 } } },
        { "Shrink", 9, 1.5, 1, 0, 2, { KH_FLOAT("lambd", 1.5f), KH_FLOAT("bias", 1) } },
        { "Mish", 18, 0, 0, 0, 0, { { 0 } } },
        { "Gelu", 20, 0, 0, 0, 0, { { 0 } } },
        { "Gelu", 20, 1, 0, 0, 1, { KH_STRING("approximate", "tanh") } }, /* alpha 1: the tanh form */
    };
    int64_t dims[3] = { 3, 5, 7 }, n = 105;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int mode = 0; mode < 2; mode++) { /* separate output, in place */
            float *x = rand_floats(n, -6, 6);
            double want[105];
            for (int64_t i = 0; i < n; i++) want[i] = ref_act(&cases[c], x[i]);
            or_tensor tx = tensor(ONNXRUN_FLOAT, 3, dims, x), y = { 0 }, *ins[] = { &tx };
            char err[512];
            or_status st = run_k(cases[c].op, cases[c].opset, (or_attr *)cases[c].attrs,
                                 (size_t)cases[c].n_attrs, ins, 1, &y, mode == 1, 1, err, sizeof err);
            if (st != ONNXRUN_OK) print_error("%s: %s\n", cases[c].op, err);
            assert_int_equal(st, ONNXRUN_OK);
            assert_true(or_same_shape(&y, &tx));
            assert_close(y.data, want, n, 2e-6, cases[c].op);
            if (mode == 0) free(y.data);
            free(x);
        }
}

/* extreme inputs stay finite where the function is */
static void test_pointwise_extremes(void **state)
{
    (void)state;
    float x[4] = { -1000, -90, 90, 1000 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, x), y = { 0 }, *ins[] = { &tx };
    char err[512];
    assert_int_equal(run_k("Sigmoid", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    assert_close(y.data, (double[]){ 0, 0, 1, 1 }, 4, 1e-7, "sigmoid");
    free(y.data);
    assert_int_equal(run_k("Softplus", 1, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    assert_close(y.data, (double[]){ 0, 0, 90, 1000 }, 4, 1e-7, "softplus");
    free(y.data);
}

static void test_double_and_int(void **state)
{
    (void)state;
    double d[3] = { -1, 0.5, 2 };
    or_tensor td = tensor(ONNXRUN_DOUBLE, 1, (int64_t[]){ 3 }, d), y = { 0 }, *ins[] = { &td };
    char err[512];
    or_attr alpha[] = { KH_FLOAT("alpha", 0.25f) };
    assert_int_equal(run_k("LeakyRelu", 16, alpha, 1, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_DOUBLE);
    assert_memory_equal(y.data, ((double[]){ -0.25, 0.5, 2 }), sizeof d);
    free(y.data);
    int32_t iv[3] = { -5, 0, 7 };
    or_tensor ti = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 3 }, iv);
    ins[0] = &ti;
    assert_int_equal(run_k("Relu", 14, NULL, 0, ins, 1, &y, true, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(iv, ((int32_t[]){ 0, 0, 7 }), sizeof iv);
    assert_int_equal(run_k("Sigmoid", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "int32"));
    ins[0] = NULL;
    assert_int_equal(run_k("Tanh", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    or_attr zero[] = { KH_FLOAT("alpha", 0) };
    ins[0] = &td;
    assert_int_equal(run_k("Celu", 12, zero, 1, ins, 1, &y, false, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
}

static void test_threads(void **state)
{
    (void)state;
    int64_t dims[2] = { 301, 257 }, n = 301 * 257;
    float *x = rand_floats(n, -4, 4);
    double *want = malloc((size_t)n * sizeof *want);
    for (int64_t i = 0; i < n; i++) want[i] = tanh(x[i]);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, dims, x), y = { 0 }, *ins[] = { &tx };
    char err[512];
    assert_int_equal(run_k("Tanh", 13, NULL, 0, ins, 1, &y, true, 3, err, sizeof err), ONNXRUN_OK);
    assert_close(x, want, n, 2e-6, "tanh threads");
    free(want);
    free(x);
}

/* ---- Clip ---- */

static void check_clip(int opset, or_attr *attrs, size_t n_attrs, const float *lo, const float *hi,
                       double want_lo, double want_hi)
{
    float x[6] = { -3, -1, 0, 0.5f, 2, 9 };
    double want[6];
    for (int i = 0; i < 6; i++) want[i] = fmin(fmax(x[i], want_lo), want_hi);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 }, x);
    or_tensor tlo = tensor(ONNXRUN_FLOAT, 0, NULL, (void *)lo);
    or_tensor thi = tensor(ONNXRUN_FLOAT, 0, NULL, (void *)hi), y = { 0 };
    or_tensor *ins[] = { &tx, lo ? &tlo : NULL, hi ? &thi : NULL };
    char err[512];
    or_status st = run_k("Clip", opset, attrs, n_attrs, ins, opset >= 11 ? 3 : 1, &y, false, 1,
                         err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_close(y.data, want, 6, 0, "clip");
    free(y.data);
}

static void test_clip(void **state)
{
    (void)state;
    or_attr both[] = { KH_FLOAT("min", -0.5f), KH_FLOAT("max", 1) };
    or_attr only_max[] = { KH_FLOAT("max", 1) };
    or_attr only_min[] = { KH_FLOAT("min", -0.5f) };
    /* attributes (opset 1, 6) */
    check_clip(6, both, 2, NULL, NULL, -0.5, 1);
    check_clip(1, both, 2, NULL, NULL, -0.5, 1);
    check_clip(6, only_max, 1, NULL, NULL, -INFINITY, 1);
    check_clip(6, only_min, 1, NULL, NULL, -0.5, INFINITY);
    check_clip(6, NULL, 0, NULL, NULL, -INFINITY, INFINITY);
    /* inputs (11+), either may be absent; the attributes are no longer read */
    float lo = -0.5f, hi = 1, big = 5;
    check_clip(11, NULL, 0, &lo, &hi, -0.5, 1);
    check_clip(13, NULL, 0, &lo, NULL, -0.5, INFINITY);
    check_clip(13, NULL, 0, NULL, &hi, -INFINITY, 1);
    check_clip(12, both, 2, NULL, NULL, -INFINITY, INFINITY);
    /* min > max: everything becomes max */
    check_clip(13, NULL, 0, &big, &hi, 1, 1);

    /* integers (12+) */
    int8_t x8[4] = { -128, -3, 5, 127 }, lo8 = -4, hi8 = 100;
    or_tensor t8 = tensor(ONNXRUN_INT8, 1, (int64_t[]){ 4 }, x8);
    or_tensor tlo8 = tensor(ONNXRUN_INT8, 0, NULL, &lo8), thi8 = tensor(ONNXRUN_INT8, 1,
                                                                      (int64_t[]){ 1 }, &hi8);
    or_tensor y = { 0 }, *ins[] = { &t8, &tlo8, &thi8 };
    char err[512];
    assert_int_equal(run_k("Clip", 13, NULL, 0, ins, 3, &y, true, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(x8, ((int8_t[]){ -4, -3, 5, 100 }), 4);
    ins[1] = NULL;
    ins[2] = NULL;
    assert_int_equal(run_k("Clip", 13, NULL, 0, ins, 3, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, x8, 4);
    free(y.data);

    /* errors: bound of another type, bound not a scalar, ints before 11 */
    float fb[2] = { 0, 1 };
    or_tensor tfb = tensor(ONNXRUN_FLOAT, 0, NULL, fb), tvec = tensor(ONNXRUN_INT8, 1, (int64_t[]){ 2 }, fb);
    ins[1] = &tfb;
    assert_int_equal(run_k("Clip", 13, NULL, 0, ins, 3, &y, false, 1, err, sizeof err), ONNXRUN_E_INVALID);
    ins[1] = &tvec;
    assert_int_equal(run_k("Clip", 13, NULL, 0, ins, 3, &y, false, 1, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "scalar"));
    assert_int_equal(run_k("Clip", 6, both, 2, ins, 1, &y, false, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
}

/* ---- Softmax family ---- */

typedef enum { SOFTMAX, LOGSOFTMAX, HARDMAX } smode;

/* Reference over [outer, n, inner] along n, in double. */
static void ref_smax(smode m, const float *x, double *y, int64_t outer, int64_t n, int64_t inner)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *xs = x + o * n * inner + j;
            double *ys = y + o * n * inner + j;
            double mx = xs[0], sum = 0;
            int64_t arg = 0;
            for (int64_t k = 1; k < n; k++)
                if (xs[k * inner] > mx) { mx = xs[k * inner]; arg = k; }
            for (int64_t k = 0; k < n; k++) sum += exp(xs[k * inner] - mx);
            for (int64_t k = 0; k < n; k++)
                ys[k * inner] = m == SOFTMAX      ? exp(xs[k * inner] - mx) / sum
                                : m == LOGSOFTMAX ? xs[k * inner] - mx - log(sum)
                                                  : (double)(k == arg);
        }
}

static void check_smax(smode m, int opset, bool has_axis, int64_t axis, int rank,
                       const int64_t *dims, int64_t outer, int64_t n, int64_t inner, bool in_place)
{
    static const char *names[] = { "Softmax", "LogSoftmax", "Hardmax" };
    or_tensor tx = tensor(ONNXRUN_FLOAT, rank, dims, NULL);
    int64_t total = or_numel(&tx);
    assert_int_equal(total, outer * n * inner);
    float *x = rand_floats(total, -5, 5);
    if (m == HARDMAX && total > 3) x[2] = x[1] = 7; /* a tie: the first wins */
    double *want = malloc((size_t)total * sizeof *want);
    ref_smax(m, x, want, outer, n, inner);
    tx.data = x;
    or_attr attrs[] = { KH_INT("axis", axis) };
    or_tensor y = { 0 }, *ins[] = { &tx };
    char err[512];
    or_status st = run_k(names[m], opset, attrs, has_axis, ins, 1, &y, in_place, 1, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s: %s\n", names[m], err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_true(or_same_shape(&y, &tx));
    assert_close(y.data, want, total, 1e-5, names[m]);
    if (!in_place) free(y.data);
    free(x);
    free(want);
}

#define DIMS(...) (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), (int64_t[]){ __VA_ARGS__ }

static void test_softmax(void **state)
{
    (void)state;
    for (int m = SOFTMAX; m <= HARDMAX; m++)
        for (int ip = 0; ip < 2; ip++) {
            /* opset 13: one axis, default -1 */
            check_smax(m, 13, false, 0, DIMS(2, 3, 4), 6, 4, 1, ip);
            check_smax(m, 13, true, 1, DIMS(2, 3, 4), 2, 3, 4, ip);
            check_smax(m, 13, true, 0, DIMS(2, 3, 4), 1, 2, 12, ip);
            check_smax(m, 13, true, -2, DIMS(2, 3, 4, 5), 6, 4, 5, ip);
            /* before 13: the 2-D coercion at axis, default 1 */
            check_smax(m, 11, false, 0, DIMS(2, 3, 4), 2, 12, 1, ip);
            check_smax(m, 1, true, 2, DIMS(2, 3, 4, 5), 6, 20, 1, ip);
            check_smax(m, 11, true, -1, DIMS(2, 3, 4), 6, 4, 1, ip);
            check_smax(m, 11, true, 0, DIMS(2, 3, 4), 1, 24, 1, ip);
            check_smax(m, 6, true, 1, DIMS(10, 20), 10, 20, 1, ip);
        }
}

static void test_softmax_stable_and_errors(void **state)
{
    (void)state;
    float x[4] = { 1000, 1001, 1002, 1003 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 1, 4 }, x), y = { 0 }, *ins[] = { &tx };
    char err[512];
    double want[4], lwant[4], s = 0;
    for (int i = 0; i < 4; i++) s += exp(i - 3.0);
    for (int i = 0; i < 4; i++) {
        want[i] = exp(i - 3.0) / s;
        lwant[i] = i - 3.0 - log(s);
    }
    assert_int_equal(run_k("Softmax", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    assert_close(y.data, want, 4, 1e-6, "stable softmax");
    free(y.data);
    assert_int_equal(run_k("LogSoftmax", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    assert_close(y.data, lwant, 4, 1e-6, "stable logsoftmax");
    free(y.data);
    /* double */
    double d[3] = { 0, 1, 2 };
    or_tensor td = tensor(ONNXRUN_DOUBLE, 1, (int64_t[]){ 3 }, d);
    ins[0] = &td;
    assert_int_equal(run_k("Softmax", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    double e = exp(0) + exp(1) + exp(2);
    assert_float_equal(((double *)y.data)[2], exp(2) / e, 1e-12);
    free(y.data);
    /* axis out of range, rank 0, ints */
    or_attr ax[] = { KH_INT("axis", 2) };
    ins[0] = &tx;
    assert_int_equal(run_k("Softmax", 13, ax, 1, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "axis"));
    or_tensor scalar = tensor(ONNXRUN_FLOAT, 0, NULL, x);
    ins[0] = &scalar;
    assert_int_equal(run_k("Softmax", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_E_INVALID);
    int32_t iv[2] = { 0, 1 };
    or_tensor ti = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 2 }, iv);
    ins[0] = &ti;
    assert_int_equal(run_k("Hardmax", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    /* empty along the axis */
    or_tensor empty = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 3, 0 }, x);
    ins[0] = &empty;
    assert_int_equal(run_k("LogSoftmax", 13, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_OK);
    free(y.data);
}

static void test_registry(void **state)
{
    (void)state;
    assert_int_equal(or_op_find("", "Softmax", 12)->since, 1);
    assert_int_equal(or_op_find("", "Softmax", 13)->since, 13);
    assert_int_equal(or_op_find("", "Clip", 10)->since, 1);
    assert_int_equal(or_op_find("", "Clip", 13)->since, 11);
    assert_null(or_op_find("", "HardSwish", 13));
    for (size_t i = 0; i < or_op_count(); i++) {
        const or_op_def *d = or_op_at(i);
        if (!strcmp(d->op_type, "Relu") || !strcmp(d->op_type, "Softmax") ||
            !strcmp(d->op_type, "Clip"))
            assert_true(d->flags & OR_OP_INPLACE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointwise),
        cmocka_unit_test(test_pointwise_extremes),
        cmocka_unit_test(test_double_and_int),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_softmax_stable_and_errors),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
