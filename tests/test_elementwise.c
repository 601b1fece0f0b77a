/*
 * test_elementwise.c - broadcasting rules (ops/broadcast.c) and the
 * elementwise kernels (ops/elementwise.c) against naive references: every
 * binary op on same-shape, scalar, channel-bias and general broadcasts, the
 * legacy broadcast/axis forms, variadic ops, Where, unary ops, integer
 * semantics (wrapping, truncating division, division by zero), in-place
 * runs (out sharing in0's buffer) and threaded runs, and error cases.
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

static uint32_t rng = 12345;
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

/* Runs the kernel like kh_run, but with out[0] sharing in[0]'s buffer
 * (in_place) and the given thread count. */
static or_status run_k(const char *op, int64_t opset, or_attr *attrs, size_t n_attrs,
                       or_tensor **ins, size_t n_in, or_tensor *out, bool in_place, int threads,
                       char *err, size_t err_len)
{
    if (!in_place && threads == 1)
        return kh_run("", op, opset, attrs, n_attrs, ins, n_in, &out, 1, err, err_len);
    char *in_names[8], *out_names[] = { "y" };
    for (size_t i = 0; i < n_in; i++) in_names[i] = ins[i] ? "x" : "";
    or_node node = { .name = "t", .op_type = (char *)op, .domain = "", .n_inputs = n_in,
                     .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = n_attrs, .attrs = attrs };
    const or_op_def *def = or_op_find("", op, opset);
    assert_non_null(def);
    or_tensor *outs[] = { out };
    or_kernel k = { .def = def, .node = &node, .opset = opset, .n_in = n_in, .n_out = 1,
                    .in = ins, .out = outs, .threads = threads, .model_path = "test",
                    .err = err, .err_len = err_len };
    err[0] = 0;
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
        st = k.def->run(&k);
    }
    or_kernel_fini(&k);
    return st;
}

/* ---- broadcasting rules ---- */

static void check_shape(int ra, const int64_t *da, int rb, const int64_t *db, bool ok, int rw,
                        const int64_t *dw)
{
    int r = -1;
    int64_t d[OR_MAX_RANK];
    assert_int_equal(or_broadcast_shape(ra, da, rb, db, &r, d), ok);
    if (!ok) return;
    assert_int_equal(r, rw);
    for (int i = 0; i < r; i++) assert_int_equal(d[i], dw[i]);
}

static void test_broadcast_shape(void **state)
{
    (void)state;
    check_shape(3, (int64_t[]){ 3, 4, 5 }, 1, (int64_t[]){ 5 }, true, 3, (int64_t[]){ 3, 4, 5 });
    check_shape(1, (int64_t[]){ 5 }, 3, (int64_t[]){ 3, 4, 5 }, true, 3, (int64_t[]){ 3, 4, 5 });
    check_shape(4, (int64_t[]){ 1, 4, 1, 6 }, 4, (int64_t[]){ 3, 1, 5, 6 }, true, 4,
                (int64_t[]){ 3, 4, 5, 6 });
    check_shape(0, NULL, 2, (int64_t[]){ 2, 3 }, true, 2, (int64_t[]){ 2, 3 });
    check_shape(0, NULL, 0, NULL, true, 0, NULL);
    check_shape(1, (int64_t[]){ 0 }, 1, (int64_t[]){ 1 }, true, 1, (int64_t[]){ 0 });
    check_shape(2, (int64_t[]){ 1, 0 }, 2, (int64_t[]){ 3, 1 }, true, 2, (int64_t[]){ 3, 0 });
    check_shape(2, (int64_t[]){ 2, 3 }, 2, (int64_t[]){ 3, 2 }, false, 0, NULL);
    check_shape(1, (int64_t[]){ 0 }, 1, (int64_t[]){ 3 }, false, 0, NULL);
    check_shape(1, (int64_t[]){ 4 }, 2, (int64_t[]){ 4, 3 }, false, 0, NULL);
    check_shape(1, (int64_t[]){ -1 }, 1, (int64_t[]){ 1 }, false, 0, NULL);
    check_shape(9, (int64_t[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 1, (int64_t[]){ 1 }, false, 0, NULL);
    check_shape(8, (int64_t[]){ 2, 1, 1, 1, 1, 1, 1, 3 }, 2, (int64_t[]){ 4, 1 }, true, 8,
                (int64_t[]){ 2, 1, 1, 1, 1, 1, 4, 3 });
    /* the output may overwrite an input's dims */
    int64_t a[3] = { 3, 1, 5 };
    int r;
    assert_true(or_broadcast_shape(3, a, 2, (int64_t[]){ 4, 1 }, &r, a));
    assert_int_equal(r, 3);
    assert_int_equal(a[0], 3);
    assert_int_equal(a[1], 4);
    assert_int_equal(a[2], 5);
}

static void test_broadcast_strides(void **state)
{
    (void)state;
    or_tensor out = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ 2, 3, 4, 5 }, NULL);
    or_tensor same = out, bias = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 3, 1, 1 }, NULL);
    or_tensor row = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 4, 5 }, NULL);
    or_tensor scalar = tensor(ONNXRUN_FLOAT, 0, NULL, NULL);
    or_tensor mixed = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ 2, 1, 4, 1 }, NULL);
    int64_t s[4];
    or_broadcast_strides(&same, &out, s);
    assert_memory_equal(s, ((int64_t[]){ 60, 20, 5, 1 }), sizeof s);
    or_broadcast_strides(&bias, &out, s);
    assert_memory_equal(s, ((int64_t[]){ 0, 1, 0, 0 }), sizeof s);
    or_broadcast_strides(&row, &out, s);
    assert_memory_equal(s, ((int64_t[]){ 0, 0, 5, 1 }), sizeof s);
    or_broadcast_strides(&scalar, &out, s);
    assert_memory_equal(s, ((int64_t[]){ 0, 0, 0, 0 }), sizeof s);
    or_broadcast_strides(&mixed, &out, s);
    assert_memory_equal(s, ((int64_t[]){ 4, 0, 1, 0 }), sizeof s);
}

/* ---- binary float ops against a naive reference ---- */

typedef enum ref_op { R_ADD, R_SUB, R_MUL, R_DIV, R_POW, R_MAX, R_MIN, R_PRELU,
                      R_EQ, R_LT, R_GT, R_LE, R_GE } ref_op;

static const struct { const char *name; ref_op op; bool to_bool; } bin_ops[] = {
    { "Add", R_ADD, false }, { "Sub", R_SUB, false }, { "Mul", R_MUL, false },
    { "Div", R_DIV, false }, { "Pow", R_POW, false }, { "Max", R_MAX, false },
    { "Min", R_MIN, false }, { "PRelu", R_PRELU, false }, { "Equal", R_EQ, true },
    { "Less", R_LT, true }, { "Greater", R_GT, true }, { "LessOrEqual", R_LE, true },
    { "GreaterOrEqual", R_GE, true },
};

static double ref_bin(ref_op op, double x, double y)
{
    switch (op) {
    case R_ADD: return x + y;
    case R_SUB: return x - y;
    case R_MUL: return x * y;
    case R_DIV: return x / y;
    case R_POW: return pow(x, y);
    case R_MAX: return x > y ? x : y;
    case R_MIN: return x < y ? x : y;
    case R_PRELU: return x < 0 ? x * y : x;
    case R_EQ: return x == y;
    case R_LT: return x < y;
    case R_GT: return x > y;
    case R_LE: return x <= y;
    case R_GE: return x >= y;
    }
    return 0;
}

/* Flat index into t (aligned right with out, size-1 dims repeated) of the
 * output element at multi-index idx. */
static int64_t naive_index(const or_tensor *t, const or_tensor *out, const int64_t *idx)
{
    int64_t f = 0;
    for (int j = 0; j < t->rank; j++) {
        int i = j + out->rank - t->rank;
        f = f * t->dims[j] + (t->dims[j] == 1 ? 0 : idx[i]);
    }
    return f;
}

static void unravel(const or_tensor *t, int64_t flat, int64_t *idx)
{
    for (int i = t->rank - 1; i >= 0; i--) {
        idx[i] = flat % t->dims[i];
        flat /= t->dims[i];
    }
}

/* Runs op on float tensors of shapes a and b and compares with the
 * reference; also checks the output shape is want. */
static void check_binary(int i_op, int ra, const int64_t *da, int rb, const int64_t *db,
                         int rw, const int64_t *dw, bool in_place, int threads)
{
    ref_op op = bin_ops[i_op].op;
    or_tensor a = tensor(ONNXRUN_FLOAT, ra, da, NULL), b = tensor(ONNXRUN_FLOAT, rb, db, NULL);
    int64_t na = or_numel(&a), nb = or_numel(&b);
    bool pos = op == R_POW; /* positive bases for Pow */
    a.data = rand_floats(na, pos ? 0.1f : -3, 3);
    b.data = rand_floats(nb, -3, 3);
    if (op == R_DIV)
        for (int64_t i = 0; i < nb; i++)
            if (fabsf(((float *)b.data)[i]) < 0.1f) ((float *)b.data)[i] = 0.5f;
    if (op >= R_EQ) /* make some elements equal */
        for (int64_t i = 0; i < na && i < nb; i += 3) ((float *)a.data)[i] = ((float *)b.data)[i];
    float *a0 = malloc((size_t)na * sizeof(float));
    memcpy(a0, a.data, (size_t)na * sizeof(float));
    or_tensor y = { 0 }, *ins[] = { &a, &b };
    char err[512];
    const char *name = bin_ops[i_op].name;
    or_status st = run_k(name, op == R_PRELU ? 16 : 14, NULL, 0, ins, 2, &y, in_place, threads,
                         err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s: %s\n", name, err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_int_equal(y.rank, rw);
    for (int i = 0; i < rw; i++) assert_int_equal(y.dims[i], dw[i]);
    assert_int_equal(y.dtype, bin_ops[i_op].to_bool ? ONNXRUN_BOOL : ONNXRUN_FLOAT);
    int64_t n = or_numel(&y), idx[OR_MAX_RANK];
    for (int64_t i = 0; i < n; i++) {
        unravel(&y, i, idx);
        double want = ref_bin(op, a0[naive_index(&a, &y, idx)],
                              ((float *)b.data)[naive_index(&b, &y, idx)]);
        double got = bin_ops[i_op].to_bool ? ((uint8_t *)y.data)[i] : ((float *)y.data)[i];
        if (fabs(got - want) > 1e-5 + 1e-5 * fabs(want)) {
            print_error("%s element %lld: got %g want %g\n", name, (long long)i, got, want);
            fail();
        }
    }
    if (!in_place) free(y.data);
    free(a.data);
    free(b.data);
    free(a0);
}

#define SHAPE(...) (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), (int64_t[]){ __VA_ARGS__ }

static void test_binary_float(void **state)
{
    (void)state;
    for (size_t o = 0; o < sizeof bin_ops / sizeof bin_ops[0]; o++) {
        bool uni = bin_ops[o].op == R_PRELU; /* slope only broadcasts into X */
        /* same shape */
        check_binary((int)o, SHAPE(3, 4, 5), SHAPE(3, 4, 5), SHAPE(3, 4, 5), false, 1);
        /* scalar on either side */
        check_binary((int)o, SHAPE(3, 4, 5), 0, NULL, SHAPE(3, 4, 5), false, 1);
        check_binary((int)o, SHAPE(2, 3, 4, 5), SHAPE(1, 1, 1, 1), SHAPE(2, 3, 4, 5), false, 1);
        if (!uni) check_binary((int)o, 0, NULL, SHAPE(7, 2), SHAPE(7, 2), false, 1);
        /* channel bias */
        check_binary((int)o, SHAPE(2, 3, 4, 5), SHAPE(3, 1, 1), SHAPE(2, 3, 4, 5), false, 1);
        check_binary((int)o, SHAPE(2, 3, 4, 5), SHAPE(1, 3, 1, 1), SHAPE(2, 3, 4, 5), false, 1);
        /* suffix and general broadcasts */
        check_binary((int)o, SHAPE(3, 4, 5), SHAPE(5), SHAPE(3, 4, 5), false, 1);
        check_binary((int)o, SHAPE(2, 3, 4, 5), SHAPE(4, 1), SHAPE(2, 3, 4, 5), false, 1);
        if (!uni) {
            check_binary((int)o, SHAPE(2, 1, 4, 1), SHAPE(3, 1, 5), SHAPE(2, 3, 4, 5), false, 1);
            check_binary((int)o, SHAPE(4, 1), SHAPE(1, 6), SHAPE(4, 6), false, 1);
            check_binary((int)o, SHAPE(1, 4, 1, 6), SHAPE(3, 1, 5, 6), SHAPE(3, 4, 5, 6), false, 1);
        }
        /* empty */
        check_binary((int)o, SHAPE(3, 0, 2), SHAPE(1, 2), SHAPE(3, 0, 2), false, 1);
    }
}

/* out sharing in0's buffer gives the same result; several threads too */
static void test_binary_inplace_threads(void **state)
{
    (void)state;
    for (int o = 0; o < 8; o++) { /* the ops flagged in place (Max, Min are variadic: not) */
        if (bin_ops[o].op == R_MAX || bin_ops[o].op == R_MIN) continue;
        check_binary(o, SHAPE(3, 4, 5), SHAPE(3, 4, 5), SHAPE(3, 4, 5), true, 1);
        check_binary(o, SHAPE(2, 3, 4, 5), SHAPE(3, 1, 1), SHAPE(2, 3, 4, 5), true, 1);
        check_binary(o, SHAPE(2, 3, 4, 5), 0, NULL, SHAPE(2, 3, 4, 5), true, 1);
    }
    /* large enough to be split over threads, rows cut mid-way */
    check_binary(0, SHAPE(2, 7, 61, 67), SHAPE(7, 1, 1), SHAPE(2, 7, 61, 67), false, 3);
    check_binary(2, SHAPE(2, 7, 61, 67), SHAPE(61, 1), SHAPE(2, 7, 61, 67), true, 2);
    check_binary(8, SHAPE(3, 1, 200, 67), SHAPE(7, 1, 67), SHAPE(3, 7, 200, 67), false, 4);
}

static void test_binary_errors(void **state)
{
    (void)state;
    float fa[6] = { 0 }, fb[6] = { 0 };
    int32_t ia[6] = { 0 };
    uint16_t ha[6] = { 0 };
    or_tensor a = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 }, fa);
    or_tensor b = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 3, 2 }, fb);
    or_tensor i = tensor(ONNXRUN_INT32, 2, (int64_t[]){ 2, 3 }, ia);
    or_tensor h = tensor(ONNXRUN_FLOAT16, 2, (int64_t[]){ 2, 3 }, ha);
    or_tensor y = { 0 };
    char err[512];
    or_tensor *ins[] = { &a, &b };
    assert_int_equal(run_k("Add", 14, NULL, 0, ins, 2, &y, false, 1, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "[2,3]"));
    ins[1] = &i;
    assert_int_equal(run_k("Mul", 14, NULL, 0, ins, 2, &y, false, 1, err, sizeof err), ONNXRUN_E_INVALID);
    ins[0] = &h;
    ins[1] = &h;
    assert_int_equal(run_k("Sub", 14, NULL, 0, ins, 2, &y, false, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "float16"));
    ins[0] = &a;
    ins[1] = NULL;
    assert_int_equal(run_k("Div", 14, NULL, 0, ins, 2, &y, false, 1, err, sizeof err), ONNXRUN_E_INVALID);
    assert_int_equal(run_k("Div", 14, NULL, 0, ins, 1, &y, false, 1, err, sizeof err), ONNXRUN_E_INVALID);
    /* PRelu's slope must not enlarge X */
    or_tensor big = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 2, 2, 3 }, NULL);
    ins[1] = &big;
    assert_int_equal(run_k("PRelu", 16, NULL, 0, ins, 2, &y, false, 1, err, sizeof err), ONNXRUN_E_SHAPE);
    /* logic ops need bool */
    ins[1] = &a;
    assert_int_equal(run_k("And", 7, NULL, 0, ins, 2, &y, false, 1, err, sizeof err), ONNXRUN_E_UNSUPPORTED);
}

/* ---- integers ---- */

static void test_int_ops(void **state)
{
    (void)state;
    int32_t a[6] = { 7, -7, INT32_MAX, INT32_MIN, 0, -1 }, b[6] = { 2, 2, 1, -1, 5, 3 };
    or_tensor ta = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 6 }, a);
    or_tensor tb = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 6 }, b), y = { 0 };
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    char err[512];
    static const struct { const char *op; int32_t want[6]; } cases[] = {
        { "Add", { 9, -5, INT32_MIN, INT32_MAX, 5, 2 } },          /* wraps */
        { "Sub", { 5, -9, INT32_MAX - 1, INT32_MIN + 1, -5, -4 } },
        { "Mul", { 14, -14, INT32_MAX, INT32_MIN, 0, -3 } },       /* INT32_MIN * -1 wraps */
        { "Div", { 3, -3, INT32_MAX, INT32_MIN, 0, 0 } },          /* truncates toward zero */
        { "Pow", { 49, 49, INT32_MAX, 0, 0, -1 } },                /* x^-1 is 0 unless |x| = 1 */
        { "Max", { 7, 2, INT32_MAX, -1, 5, 3 } },
        { "Min", { 2, -7, 1, INT32_MIN, 0, -1 } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        or_status st = kh_run("", cases[c].op, 15, NULL, 0, ins, 2, outs, 1, err, sizeof err);
        if (st != ONNXRUN_OK) print_error("%s: %s\n", cases[c].op, err);
        assert_int_equal(st, ONNXRUN_OK);
        assert_int_equal(y.dtype, ONNXRUN_INT32);
        for (int i = 0; i < 6; i++) {
            if (((int32_t *)y.data)[i] != cases[c].want[i])
                print_error("%s element %d: got %d\n", cases[c].op, i, ((int32_t *)y.data)[i]);
            assert_int_equal(((int32_t *)y.data)[i], cases[c].want[i]);
        }
        free(y.data);
    }
    /* int64 INT64_MIN / -1 wraps instead of trapping; comparisons give bool */
    int64_t la[3] = { INT64_MIN, 10, -3 }, lb[3] = { -1, 10, 4 };
    or_tensor tla = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 3 }, la);
    or_tensor tlb = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 3 }, lb);
    ins[0] = &tla;
    ins[1] = &tlb;
    assert_int_equal(kh_run("", "Div", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(((int64_t *)y.data)[0] == INT64_MIN);
    assert_int_equal(((int64_t *)y.data)[1], 1);
    assert_int_equal(((int64_t *)y.data)[2], 0);
    free(y.data);
    assert_int_equal(kh_run("", "Less", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_BOOL);
    assert_memory_equal(y.data, ((uint8_t[]){ 1, 0, 1 }), 3);
    free(y.data);
    assert_int_equal(kh_run("", "Equal", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 0, 1, 0 }), 3);
    free(y.data);
    /* uint8 wraps */
    uint8_t ua[2] = { 250, 3 }, ub[2] = { 10, 5 };
    or_tensor tua = tensor(ONNXRUN_UINT8, 1, (int64_t[]){ 2 }, ua);
    or_tensor tub = tensor(ONNXRUN_UINT8, 1, (int64_t[]){ 2 }, ub);
    ins[0] = &tua;
    ins[1] = &tub;
    assert_int_equal(kh_run("", "Add", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 4, 8 }), 2);
    free(y.data);
    assert_int_equal(kh_run("", "Sub", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 240, 254 }), 2);
    free(y.data);
}

static void test_int_div_by_zero(void **state)
{
    (void)state;
    int64_t a[4] = { 1, 2, 3, 4 }, b[2] = { 1, 0 };
    uint8_t ua[2] = { 1, 2 }, ub[1] = { 0 };
    or_tensor ta = tensor(ONNXRUN_INT64, 2, (int64_t[]){ 2, 2 }, a);
    or_tensor tb = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 2 }, b), y = { 0 };
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    char err[512];
    assert_int_equal(kh_run("", "Div", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "division by zero"));
    free(y.data);
    or_tensor tua = tensor(ONNXRUN_UINT8, 1, (int64_t[]){ 2 }, ua);
    or_tensor tub = tensor(ONNXRUN_UINT8, 0, NULL, ub);
    ins[0] = &tua;
    ins[1] = &tub;
    assert_int_equal(kh_run("", "Div", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_RUNTIME);
    free(y.data);
    /* float division by zero is IEEE, not an error */
    float fa[1] = { 1 }, fb[1] = { 0 };
    or_tensor tfa = tensor(ONNXRUN_FLOAT, 0, NULL, fa), tfb = tensor(ONNXRUN_FLOAT, 0, NULL, fb);
    ins[0] = &tfa;
    ins[1] = &tfb;
    assert_int_equal(kh_run("", "Div", 14, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(isinf(((float *)y.data)[0]));
    free(y.data);
}

static void test_pow_types(void **state)
{
    (void)state;
    float fx[3] = { 2, -3, 0.5f };
    int64_t ie[3] = { 3, 2, -1 };
    int64_t ix[3] = { 2, 3, 4 };
    float fe[3] = { 2.5f, 2, 0.5f };
    or_tensor tfx = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, fx);
    or_tensor tie = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 3 }, ie);
    or_tensor tix = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 3 }, ix);
    or_tensor tfe = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, fe), y = { 0 };
    or_tensor *ins[] = { &tfx, &tie }, *outs[] = { &y };
    char err[512];
    assert_int_equal(kh_run("", "Pow", 15, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_FLOAT);
    assert_float_equal(((float *)y.data)[0], 8, 1e-6);
    assert_float_equal(((float *)y.data)[1], 9, 1e-6);
    assert_float_equal(((float *)y.data)[2], 2, 1e-6);
    free(y.data);
    ins[0] = &tix;
    ins[1] = &tfe;
    assert_int_equal(kh_run("", "Pow", 15, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT64);
    assert_int_equal(((int64_t *)y.data)[0], 5); /* 2^2.5 = 5.66 truncated */
    assert_int_equal(((int64_t *)y.data)[1], 9);
    assert_int_equal(((int64_t *)y.data)[2], 2);
    free(y.data);
}

static void test_mod(void **state)
{
    (void)state;
    int32_t a[6] = { 7, -7, 7, -7, INT32_MIN, 5 }, b[6] = { 3, 3, -3, -3, -1, 7 };
    float fa[4] = { 7.5f, -7.5f, 7.5f, -7.5f }, fb[4] = { 2, 2, -2, -2 };
    or_tensor ta = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 6 }, a);
    or_tensor tb = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 6 }, b);
    or_tensor tfa = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, fa);
    or_tensor tfb = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, fb), y = { 0 };
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    or_attr c_mod[] = { KH_INT("fmod", 1) }, bad[] = { KH_INT("fmod", 2) };
    char err[512];
    /* fmod=0: the sign of the divisor */
    assert_int_equal(kh_run("", "Mod", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int32_t[]){ 1, 2, -2, -1, 0, 5 }), sizeof a);
    free(y.data);
    /* fmod=1: the sign of the dividend */
    assert_int_equal(kh_run("", "Mod", 13, c_mod, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int32_t[]){ 1, -1, 1, -1, 0, 5 }), sizeof a);
    free(y.data);
    ins[0] = &tfa;
    ins[1] = &tfb;
    assert_int_equal(kh_run("", "Mod", 13, c_mod, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((float[]){ 1.5f, -1.5f, 1.5f, -1.5f }), sizeof fa);
    free(y.data);
    assert_int_equal(kh_run("", "Mod", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((float[]){ 1.5f, 0.5f, -0.5f, -1.5f }), sizeof fa);
    free(y.data);
    assert_int_equal(kh_run("", "Mod", 13, bad, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    /* by zero */
    b[1] = 0;
    ins[0] = &ta;
    ins[1] = &tb;
    assert_int_equal(kh_run("", "Mod", 13, c_mod, 1, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_RUNTIME);
    free(y.data);
}

/* BitwiseAnd / Or / Xor / Not (18) on every integer type, broadcasting */
static void test_bitwise(void **state)
{
    (void)state;
    int32_t a[6] = { -1, 0, 5, -8, 0x7fffffff, 12345 }, b[3] = { 3, -2, 0x0f0f };
    or_tensor ta = tensor(ONNXRUN_INT32, 2, (int64_t[]){ 2, 3 }, a), tb = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 3 }, b);
    or_tensor y = { 0 }, *ins[] = { &ta, &tb }, *outs[] = { &y };
    char err[512];
    static const char *const ops[] = { "BitwiseAnd", "BitwiseOr", "BitwiseXor" };
    for (int o = 0; o < 3; o++) {
        assert_int_equal(kh_run("", ops[o], 18, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
        for (int i = 0; i < 6; i++) {
            int32_t u = a[i], v = b[i % 3], want = o == 0 ? (u & v) : o == 1 ? (u | v) : (u ^ v);
            assert_int_equal(((int32_t *)y.data)[i], want);
        }
        free(y.data);
    }
    assert_int_equal(kh_run("", "BitwiseNot", 18, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    for (int i = 0; i < 6; i++) assert_int_equal(((int32_t *)y.data)[i], ~a[i]);
    free(y.data);
    uint8_t u8[2] = { 0xf0, 0x0f };
    or_tensor tu = tensor(ONNXRUN_UINT8, 1, (int64_t[]){ 2 }, u8);
    ins[0] = &tu;
    assert_int_equal(kh_run("", "BitwiseNot", 18, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 0x0f, 0xf0 }), 2);
    free(y.data);
    y.data = NULL;
    /* floats have no bits to combine */
    float f[3] = { 1, 2, 3 };
    or_tensor tf = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, f);
    ins[0] = &tf;
    ins[1] = &tf;
    assert_int_equal(kh_run("", "BitwiseAnd", 18, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

static void test_bitshift_isinf(void **state)
{
    (void)state;
    uint16_t a[4] = { 1, 0x8001, 0xffff, 7 }, b[4] = { 3, 1, 16, 0 };
    or_tensor ta = tensor(ONNXRUN_UINT16, 1, (int64_t[]){ 4 }, a);
    or_tensor tb = tensor(ONNXRUN_UINT16, 1, (int64_t[]){ 4 }, b), y = { 0 };
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    or_attr left[] = { KH_STRING("direction", "LEFT") }, right[] = { KH_STRING("direction", "RIGHT") };
    or_attr up[] = { KH_STRING("direction", "UP") };
    char err[512];
    /* shifts of the full width or more give 0 */
    assert_int_equal(kh_run("", "BitShift", 11, left, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint16_t[]){ 8, 2, 0, 7 }), sizeof a);
    free(y.data);
    assert_int_equal(kh_run("", "BitShift", 11, right, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint16_t[]){ 0, 0x4000, 0, 7 }), sizeof a);
    free(y.data);
    assert_int_equal(kh_run("", "BitShift", 11, up, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    assert_int_equal(kh_run("", "BitShift", 11, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);

    float f[4] = { INFINITY, -INFINITY, NAN, 1 };
    or_tensor tf = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, f);
    ins[0] = &tf;
    or_attr no_neg[] = { KH_INT("detect_negative", 0) }, no_pos[] = { KH_INT("detect_positive", 0) };
    assert_int_equal(kh_run("", "IsInf", 10, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_BOOL);
    assert_memory_equal(y.data, ((uint8_t[]){ 1, 1, 0, 0 }), 4);
    free(y.data);
    assert_int_equal(kh_run("", "IsInf", 10, no_neg, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 1, 0, 0, 0 }), 4);
    free(y.data);
    assert_int_equal(kh_run("", "IsInf", 10, no_pos, 1, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 0, 1, 0, 0 }), 4);
    free(y.data);
    assert_int_equal(kh_run("", "IsNaN", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 0, 0, 1, 0 }), 4);
    free(y.data);
    assert_false(or_op_find("", "IsNaN", 13)->flags & OR_OP_INPLACE);
}

/* ---- legacy broadcast / axis (opset 1 and 6) ---- */

static void check_legacy(const char *op, int opset, or_attr *attrs, size_t n_attrs, int ra,
                         const int64_t *da, int rb, const int64_t *db, or_status want_st,
                         int axis_eff)
{
    or_tensor a = tensor(ONNXRUN_FLOAT, ra, da, NULL), b = tensor(ONNXRUN_FLOAT, rb, db, NULL);
    int64_t na = or_numel(&a), nb = or_numel(&b);
    a.data = rand_floats(na, -2, 2);
    b.data = rand_floats(nb, -2, 2);
    or_tensor y = { 0 }, *ins[] = { &a, &b }, *outs[] = { &y };
    char err[512];
    or_status st = kh_run("", op, opset, attrs, n_attrs, ins, 2, outs, 1, err, sizeof err);
    if (st != want_st) print_error("%s: %s\n", op, err);
    assert_int_equal(st, want_st);
    if (st == ONNXRUN_OK) {
        /* B lines up with A at axis_eff (-1: B is one element) */
        assert_true(or_same_shape(&y, &a));
        int64_t idx[OR_MAX_RANK];
        for (int64_t i = 0; i < na; i++) {
            unravel(&a, i, idx);
            int64_t bi = 0;
            for (int j = 0; j < rb && axis_eff >= 0; j++)
                bi = bi * db[j] + (db[j] == 1 ? 0 : idx[axis_eff + j]);
            float x = ((float *)a.data)[i], s = ((float *)b.data)[bi];
            double want = strcmp(op, "PRelu") == 0 ? (x < 0 ? x * s : x)
                          : strcmp(op, "Sub") == 0 ? x - s : x + s;
            assert_float_equal(((float *)y.data)[i], want, 1e-5);
        }
    }
    free(y.data);
    free(a.data);
    free(b.data);
}

static void test_legacy_broadcast(void **state)
{
    (void)state;
    or_attr bc[] = { KH_INT("broadcast", 1) };
    or_attr bc_ax1[] = { KH_INT("broadcast", 1), KH_INT("axis", 1) };
    or_attr bc_ax0[] = { KH_INT("broadcast", 1), KH_INT("axis", 0) };
    or_attr bc_ax3[] = { KH_INT("broadcast", 1), KH_INT("axis", 3) };
    or_attr consumed[] = { KH_INTS("consumed_inputs", 0, 0) };
    /* suffix matching by default */
    check_legacy("Add", 6, bc, 1, SHAPE(2, 3, 4, 5), SHAPE(4, 5), ONNXRUN_OK, 2);
    check_legacy("Sub", 1, bc, 1, SHAPE(2, 3, 4, 5), SHAPE(5), ONNXRUN_OK, 3);
    /* axis */
    check_legacy("Add", 6, bc_ax1, 2, SHAPE(2, 3, 4, 5), SHAPE(3, 4), ONNXRUN_OK, 1);
    check_legacy("Sub", 6, bc_ax0, 2, SHAPE(2, 3, 4, 5), SHAPE(2), ONNXRUN_OK, 0);
    /* one element, any rank */
    check_legacy("Add", 6, bc, 1, SHAPE(2, 3, 4, 5), SHAPE(1, 1), ONNXRUN_OK, -1);
    check_legacy("Add", 6, bc_ax1, 2, SHAPE(2, 3), 0, NULL, ONNXRUN_OK, -1);
    /* size-1 dims of B repeat (PyTorch exports rely on it) */
    check_legacy("Add", 6, bc_ax0, 2, SHAPE(2, 3), SHAPE(2, 1), ONNXRUN_OK, 0);
    check_legacy("Add", 6, bc_ax0, 2, SHAPE(2, 3), SHAPE(1, 3), ONNXRUN_OK, 0);
    /* without broadcast=1 the shapes must be equal */
    check_legacy("Add", 6, NULL, 0, SHAPE(2, 3), SHAPE(2, 3), ONNXRUN_OK, 0);
    check_legacy("Add", 1, consumed, 1, SHAPE(2, 3), SHAPE(2, 3), ONNXRUN_OK, 0);
    check_legacy("Add", 6, NULL, 0, SHAPE(2, 3), SHAPE(3), ONNXRUN_E_SHAPE, 0);
    /* numpy-style at opset 6 is refused: axis 0 of [2,3,4,5] is not 4 */
    check_legacy("Add", 6, bc_ax0, 2, SHAPE(2, 3, 4, 5), SHAPE(4, 5), ONNXRUN_E_SHAPE, 0);
    check_legacy("Add", 6, bc_ax3, 2, SHAPE(2, 3, 4, 5), SHAPE(4, 5), ONNXRUN_E_SHAPE, 0);
    check_legacy("Add", 6, bc, 1, SHAPE(3), SHAPE(2, 3), ONNXRUN_E_SHAPE, 0);
    /* from opset 7 the attributes are gone and broadcasting is numpy's */
    check_legacy("Add", 7, NULL, 0, SHAPE(2, 3, 4, 5), SHAPE(4, 5), ONNXRUN_OK, 2);
    /* legacy PRelu: a 1-D slope is per channel */
    check_legacy("PRelu", 6, NULL, 0, SHAPE(2, 3, 4), SHAPE(3), ONNXRUN_OK, 1);
    check_legacy("PRelu", 1, consumed, 1, SHAPE(2, 3, 4, 5), SHAPE(3), ONNXRUN_OK, 1);
    check_legacy("PRelu", 6, NULL, 0, SHAPE(2, 3, 4, 5), SHAPE(1), ONNXRUN_OK, 3);
    check_legacy("PRelu", 9, NULL, 0, SHAPE(2, 3, 4, 5), SHAPE(3, 1, 1), ONNXRUN_OK, 1);
    check_legacy("PRelu", 9, NULL, 0, SHAPE(2, 3, 4), SHAPE(3), ONNXRUN_E_SHAPE, 1);
}

/* ---- variadic ---- */

static void test_variadic(void **state)
{
    (void)state;
    float a[3] = { 1, -2, 3 }, b[2][1] = { { 10 }, { -20 } }, c[1] = { 0.5f };
    or_tensor ta = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, a);
    or_tensor tb = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 1 }, b);
    or_tensor tc = tensor(ONNXRUN_FLOAT, 0, NULL, c), y = { 0 };
    or_tensor *ins[] = { &ta, &tb, &tc }, *outs[] = { &y };
    char err[512];
    static const struct { const char *op; float want[6]; } cases[] = {
        { "Sum", { 11.5f, 8.5f, 13.5f, -18.5f, -21.5f, -16.5f } },
        { "Mean", { 11.5f / 3, 8.5f / 3, 13.5f / 3, -18.5f / 3, -21.5f / 3, -16.5f / 3 } },
        { "Max", { 10, 10, 10, 1, 0.5f, 3 } },
        { "Min", { 0.5f, -2, 0.5f, -20, -20, -20 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(kh_run("", cases[i].op, 13, NULL, 0, ins, 3, outs, 1, err, sizeof err),
                         ONNXRUN_OK);
        assert_int_equal(y.rank, 2);
        assert_int_equal(y.dims[0], 2);
        assert_int_equal(y.dims[1], 3);
        for (int j = 0; j < 6; j++) assert_float_equal(((float *)y.data)[j], cases[i].want[j], 1e-5);
        free(y.data);
    }
    /* one input is a copy; opset-6 Max still works */
    assert_int_equal(kh_run("", "Max", 6, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, a, sizeof a);
    free(y.data);
    /* Max propagates NaN */
    float n[3] = { NAN, 1, 2 }, m[3] = { 0, NAN, 1 };
    or_tensor tn = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, n);
    or_tensor tm = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, m);
    ins[0] = &tn;
    ins[1] = &tm;
    assert_int_equal(kh_run("", "Max", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_true(isnan(((float *)y.data)[0]));
    assert_true(isnan(((float *)y.data)[1]));
    assert_float_equal(((float *)y.data)[2], 2, 0);
    free(y.data);
    /* int32 Max, mismatched shapes, mismatched types, Mean on ints */
    int32_t ia[2] = { 1, 5 }, ib[2] = { 3, 2 };
    or_tensor tia = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 2 }, ia);
    or_tensor tib = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 2 }, ib);
    ins[0] = &tia;
    ins[1] = &tib;
    assert_int_equal(kh_run("", "Max", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int32_t[]){ 3, 5 }), 8);
    free(y.data);
    assert_int_equal(kh_run("", "Mean", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    ins[1] = &ta;
    assert_int_equal(kh_run("", "Sum", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    ins[0] = &ta;
    ins[1] = &(or_tensor){ .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { 2 }, .data = a };
    assert_int_equal(kh_run("", "Sum", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
}

/* ---- Where ---- */

static void test_where(void **state)
{
    (void)state;
    uint8_t c[2] = { 1, 0 };
    float x[3] = { 1, 2, 3 }, yv[1] = { -1 };
    int64_t lx[3] = { 10, 20, 30 }, ly[2] = { -5, -6 };
    or_tensor tc = tensor(ONNXRUN_BOOL, 2, (int64_t[]){ 2, 1 }, c);
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 1, 3 }, x);
    or_tensor ty = tensor(ONNXRUN_FLOAT, 0, NULL, yv), out = { 0 };
    or_tensor *ins[] = { &tc, &tx, &ty }, *outs[] = { &out };
    char err[512];
    assert_int_equal(kh_run("", "Where", 16, NULL, 0, ins, 3, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(out.rank, 2);
    assert_int_equal(out.dims[0], 2);
    assert_int_equal(out.dims[1], 3);
    assert_memory_equal(out.data, ((float[]){ 1, 2, 3, -1, -1, -1 }), 6 * sizeof(float));
    free(out.data);
    /* int64, condition broadcast along the other axis */
    or_tensor tc2 = tensor(ONNXRUN_BOOL, 1, (int64_t[]){ 2 }, c);
    or_tensor tlx = tensor(ONNXRUN_INT64, 2, (int64_t[]){ 3, 1 }, lx);
    or_tensor tly = tensor(ONNXRUN_INT64, 1, (int64_t[]){ 2 }, ly);
    ins[0] = &tc2;
    ins[1] = &tlx;
    ins[2] = &tly;
    assert_int_equal(kh_run("", "Where", 9, NULL, 0, ins, 3, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(out.data, ((int64_t[]){ 10, -6, 20, -6, 30, -6 }), 6 * sizeof(int64_t));
    free(out.data);
    /* errors: condition not bool, X and Y types differ, shapes */
    ins[0] = &tx;
    assert_int_equal(kh_run("", "Where", 16, NULL, 0, ins, 3, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    ins[0] = &tc;
    ins[2] = &ty;
    assert_int_equal(kh_run("", "Where", 16, NULL, 0, ins, 3, outs, 1, err, sizeof err), ONNXRUN_E_INVALID);
    or_tensor bad = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, NULL);
    ins[1] = &tx;
    ins[2] = &bad;
    assert_int_equal(kh_run("", "Where", 16, NULL, 0, ins, 3, outs, 1, err, sizeof err), ONNXRUN_E_SHAPE);
}

/* ---- logic ---- */

static void test_logic(void **state)
{
    (void)state;
    uint8_t a[4] = { 0, 0, 1, 1 }, b[4] = { 0, 1, 0, 1 }, two[1] = { 2 };
    or_tensor ta = tensor(ONNXRUN_BOOL, 1, (int64_t[]){ 4 }, a);
    or_tensor tb = tensor(ONNXRUN_BOOL, 1, (int64_t[]){ 4 }, b), y = { 0 };
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    char err[512];
    static const struct { const char *op; uint8_t want[4]; } cases[] = {
        { "And", { 0, 0, 0, 1 } }, { "Or", { 0, 1, 1, 1 } },
        { "Xor", { 0, 1, 1, 0 } }, { "Equal", { 1, 0, 0, 1 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(kh_run("", cases[i].op, 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                         ONNXRUN_OK);
        assert_int_equal(y.dtype, ONNXRUN_BOOL);
        assert_memory_equal(y.data, cases[i].want, 4);
        free(y.data);
    }
    /* a byte other than 0/1 counts as true */
    or_tensor t2 = tensor(ONNXRUN_BOOL, 0, NULL, two);
    ins[1] = &t2;
    assert_int_equal(kh_run("", "And", 7, NULL, 0, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, a, 4);
    free(y.data);
    assert_int_equal(kh_run("", "Not", 1, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 1, 1, 0, 0 }), 4);
    free(y.data);
    /* legacy And with broadcast=1 */
    or_attr bc[] = { KH_INT("broadcast", 1) };
    assert_int_equal(kh_run("", "Or", 1, bc, 1, ins, 2, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 1, 1, 1, 1 }), 4);
    free(y.data);
}

/* ---- unary ---- */

static void test_unary(void **state)
{
    (void)state;
    static const struct { const char *op; double (*ref)(double); float lo, hi; } ops[] = {
        { "Exp", exp, -5, 5 }, { "Log", log, 0.01f, 10 }, { "Sqrt", sqrt, 0, 10 },
        { "Floor", floor, -5, 5 }, { "Ceil", ceil, -5, 5 }, { "Erf", erf, -3, 3 },
        { "Abs", fabs, -5, 5 }, { "Sin", sin, -5, 5 }, { "Cos", cos, -5, 5 },
        { "Tan", tan, -1.5f, 1.5f }, { "Asin", asin, -1, 1 }, { "Acos", acos, -1, 1 },
        { "Atan", atan, -5, 5 }, { "Sinh", sinh, -5, 5 }, { "Cosh", cosh, -5, 5 },
        { "Asinh", asinh, -5, 5 }, { "Acosh", acosh, 1, 10 }, { "Atanh", atanh, -0.9f, 0.9f },
    };
    int64_t dims[2] = { 7, 13 };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (int in_place = 0; in_place < 2; in_place++) {
            or_tensor x = tensor(ONNXRUN_FLOAT, 2, dims, rand_floats(91, ops[o].lo, ops[o].hi));
            float x0[91];
            memcpy(x0, x.data, sizeof x0);
            or_tensor y = { 0 }, *ins[] = { &x };
            char err[512];
            assert_int_equal(run_k(ops[o].op, 13, NULL, 0, ins, 1, &y, in_place, 1, err, sizeof err),
                             ONNXRUN_OK);
            for (int i = 0; i < 91; i++) {
                double want = ops[o].ref(x0[i]);
                assert_float_equal(((float *)y.data)[i], want, 1e-5 + 1e-5 * fabs(want));
            }
            if (!in_place) free(y.data);
            free(x.data);
        }
    /* Neg, Reciprocal, Sign on floats, doubles and ints */
    float f[4] = { -2, 0, 0.5f, 4 };
    double d[4] = { -2, 0, 0.5, 4 };
    int32_t iv[4] = { -2, 0, INT32_MIN, 4 };
    or_tensor tf = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, f);
    or_tensor td = tensor(ONNXRUN_DOUBLE, 1, (int64_t[]){ 4 }, d);
    or_tensor ti = tensor(ONNXRUN_INT32, 1, (int64_t[]){ 4 }, iv), y = { 0 };
    or_tensor *ins[] = { &tf }, *outs[] = { &y };
    char err[512];
    assert_int_equal(kh_run("", "Neg", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((float[]){ 2, -0.0f, -0.5f, -4 }), sizeof f);
    free(y.data);
    assert_int_equal(kh_run("", "Sign", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((float[]){ -1, 0, 1, 1 }), sizeof f);
    free(y.data);
    ins[0] = &td;
    assert_int_equal(kh_run("", "Reciprocal", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_DOUBLE);
    assert_true(((double *)y.data)[0] == -0.5 && isinf(((double *)y.data)[1]) &&
                ((double *)y.data)[2] == 2 && ((double *)y.data)[3] == 0.25);
    free(y.data);
    ins[0] = &ti;
    assert_int_equal(kh_run("", "Neg", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int32_t[]){ 2, 0, INT32_MIN, -4 }), sizeof iv);
    free(y.data);
    assert_int_equal(kh_run("", "Abs", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int32_t[]){ 2, 0, INT32_MIN, 4 }), sizeof iv);
    free(y.data);
    /* Round: halves to even */
    float h[6] = { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f };
    or_tensor th = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ 6 }, h);
    ins[0] = &th;
    assert_int_equal(kh_run("", "Round", 11, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
    assert_memory_equal(y.data, ((float[]){ 0, 2, 2, -0.0f, -2, 2 }), sizeof h);
    free(y.data);
    ins[0] = &ti;
    /* float-only ops refuse ints; Not refuses floats */
    assert_int_equal(kh_run("", "Exp", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "int32"));
    ins[0] = &tf;
    assert_int_equal(kh_run("", "Not", 1, NULL, 0, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    ins[0] = NULL;
    assert_int_equal(kh_run("", "Exp", 13, NULL, 0, ins, 1, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
}

/* every entry of the family resolves and lists its semantics per version */
static void test_registry(void **state)
{
    (void)state;
    assert_int_equal(or_op_find("", "Add", 6)->since, 1);
    assert_int_equal(or_op_find("", "Add", 14)->since, 7);
    assert_int_equal(or_op_find("", "PRelu", 6)->since, 1);
    assert_int_equal(or_op_find("", "PRelu", 16)->since, 7);
    assert_null(or_op_find("", "Where", 8));
    assert_null(or_op_find("", "LessOrEqual", 11));
    assert_true(or_op_find("", "Add", 14)->flags & OR_OP_INPLACE);
    assert_false(or_op_find("", "Equal", 13)->flags & OR_OP_INPLACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_shape),
        cmocka_unit_test(test_broadcast_strides),
        cmocka_unit_test(test_binary_float),
        cmocka_unit_test(test_binary_inplace_threads),
        cmocka_unit_test(test_binary_errors),
        cmocka_unit_test(test_int_ops),
        cmocka_unit_test(test_int_div_by_zero),
        cmocka_unit_test(test_pow_types),
        cmocka_unit_test(test_mod),
        cmocka_unit_test(test_bitshift_isinf),
        cmocka_unit_test(test_legacy_broadcast),
        cmocka_unit_test(test_variadic),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_bitwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
