/*
 * test_shape.c - Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout,
 * Shape and Size through the kernel harness: inferred shapes per opset,
 * the error cases, and that the view ops copy the bytes when the output is
 * a separate buffer (the harness always gives one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static float iota[256];

/* A view op's output: same dtype and bytes as iota's first n floats. */
static void expect_iota(const or_tensor *t, int64_t n)
{
    assert_int_equal(t->dtype, ONNXRUN_FLOAT);
    assert_int_equal(or_numel(t), n);
    assert_memory_equal(t->data, iota, (size_t)n * sizeof(float));
}

/* Reshape of an iota [2,3,4] at opset 14 to shape (n values). */
static or_status reshape14(const int64_t *shape, int n, or_attr *attrs, size_t na, or_tensor *y)
{
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3, 4), iota);
    or_tensor s = kh_tensor(ONNXRUN_INT64, (int64_t[]){ n }, 1, shape);
    or_tensor *ins[] = { &x, &s };
    return run1("Reshape", 14, attrs, na, ins, 2, y);
}

static void test_reshape(void **state)
{
    (void)state;
    or_tensor y;
    assert_int_equal(reshape14((int64_t[]){ 4, -1 }, 2, NULL, 0, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(4, 6));
    expect_iota(&y, 24);
    free(y.data);
    /* 0 copies the input's dim */
    assert_int_equal(reshape14((int64_t[]){ 0, 0, 2, -1 }, 4, NULL, 0, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 3, 2, 2));
    free(y.data);
    /* empty shape: only for one element */
    assert_int_equal(reshape14((int64_t[]){ 0 }, 0, NULL, 0, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    /* errors: two -1s, a size mismatch, a bad value, -1 against a leftover */
    assert_int_equal(reshape14((int64_t[]){ -1, -1 }, 2, NULL, 0, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "-1"));
    free(y.data);
    assert_int_equal(reshape14((int64_t[]){ 5, 5 }, 2, NULL, 0, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "24"));
    free(y.data);
    assert_int_equal(reshape14((int64_t[]){ -2, 12 }, 2, NULL, 0, &y), ONNXRUN_E_INVALID);
    free(y.data);
    assert_int_equal(reshape14((int64_t[]){ 5, -1 }, 2, NULL, 0, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    /* overflowing products are refused, not wrapped */
    assert_int_equal(reshape14((int64_t[]){ INT64_MAX, INT64_MAX, 2 }, 3, NULL, 0, &y),
                     ONNXRUN_E_SHAPE);
    free(y.data);
    /* allowzero: 0 is a real 0, so [0, 24] cannot hold 24 elements... */
    or_attr az = KH_INT("allowzero", 1);
    assert_int_equal(reshape14((int64_t[]){ 0, 24 }, 2, &az, 1, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    /* ...while the default copies dim 0 */
    assert_int_equal(reshape14((int64_t[]){ 0, 12 }, 2, NULL, 0, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 12));
    free(y.data);
    /* an empty input reshaped with allowzero */
    or_tensor e = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(0, 3), iota);
    or_tensor s = kh_tensor(ONNXRUN_INT64, KH_DIMS(3), (int64_t[]){ 3, 0, 1 });
    or_tensor *ins[] = { &e, &s };
    assert_int_equal(run1("Reshape", 14, &az, 1, ins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 0, 1));
    free(y.data);
    /* 0 with -1 and allowzero cannot be inferred */
    s = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), (int64_t[]){ 0, -1 });
    assert_int_equal(run1("Reshape", 14, &az, 1, ins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    /* the shape input must be known at infer */
    s.data = NULL;
    assert_int_equal(run1("Reshape", 14, NULL, 0, ins, 2, &y), ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "known"));
    free(y.data);
    /* opset 1-4: shape attribute */
    or_attr sa = KH_INTS("shape", 4, 0, -1);
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3, 4), iota);
    or_tensor *ins1[] = { &x };
    assert_int_equal(run1("Reshape", 1, &sa, 1, ins1, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(4, 3, 2));
    free(y.data);
    assert_int_equal(run1("Reshape", 1, NULL, 0, ins1, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
    /* the op is a view: flagged for the planner */
    assert_true(or_op_find("", "Reshape", 14)->flags & OR_OP_VIEW);
}

static void test_flatten(void **state)
{
    (void)state;
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3, 4, 5), iota), y;
    or_tensor *ins[] = { &x };
    static const struct { int64_t axis, opset, d0, d1; or_status st; } cases[] = {
        { 0, 13, 1, 120, ONNXRUN_OK }, { 1, 13, 2, 60, ONNXRUN_OK }, { 3, 13, 24, 5, ONNXRUN_OK },
        { 4, 13, 120, 1, ONNXRUN_OK }, { -1, 13, 24, 5, ONNXRUN_OK }, { -4, 13, 1, 120, ONNXRUN_OK },
        { 5, 13, 0, 0, ONNXRUN_E_INVALID }, { -5, 13, 0, 0, ONNXRUN_E_INVALID },
        { -1, 9, 24, 5, ONNXRUN_OK },   /* negative axes (opset 11) accepted earlier too */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        or_attr a = KH_INT("axis", cases[i].axis);
        assert_int_equal(run1("Flatten", cases[i].opset, &a, 1, ins, 1, &y), cases[i].st);
        if (cases[i].st == ONNXRUN_OK) {
            expect_shape(&y, (int64_t[]){ cases[i].d0, cases[i].d1 }, 2);
            expect_iota(&y, 120);
        }
        free(y.data);
    }
    /* default axis 1 */
    assert_int_equal(run1("Flatten", 1, NULL, 0, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 60));
    free(y.data);
}

static void test_squeeze_unsqueeze(void **state)
{
    (void)state;
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 3, 1, 2), iota), y;
    or_tensor *ins[] = { &x };
    /* no axes: every 1 goes */
    assert_int_equal(run1("Squeeze", 13, NULL, 0, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 2));
    expect_iota(&y, 6);
    free(y.data);
    /* opset 11 attribute with a negative axis */
    or_attr a = KH_INTS("axes", -2);
    assert_int_equal(run1("Squeeze", 11, &a, 1, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1, 3, 2));
    free(y.data);
    assert_int_equal(run1("Squeeze", 1, &a, 1, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1, 3, 2));
    free(y.data);
    or_attr not1 = KH_INTS("axes", 1);
    assert_int_equal(run1("Squeeze", 1, &not1, 1, ins, 1, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    /* opset 13 input; squeezing a dim that is not 1 */
    or_tensor ax = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), (int64_t[]){ 1 });
    or_tensor *ins2[] = { &x, &ax };
    assert_int_equal(run1("Squeeze", 13, NULL, 0, ins2, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    ax = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), (int64_t[]){ 0, 2 });
    assert_int_equal(run1("Squeeze", 13, NULL, 0, ins2, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 2));
    free(y.data);
    /* Unsqueeze: axes refer to the output, any order, negative from 11 */
    or_tensor u = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 4, 5), iota);
    ax = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), (int64_t[]){ 4, 0 });
    or_tensor *uins[] = { &u, &ax };
    assert_int_equal(run1("Unsqueeze", 13, NULL, 0, uins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1, 3, 4, 5, 1));
    expect_iota(&y, 60);
    free(y.data);
    ax = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), (int64_t[]){ -1, 1 });
    assert_int_equal(run1("Unsqueeze", 13, NULL, 0, uins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 1, 4, 5, 1));
    free(y.data);
    ax = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), (int64_t[]){ 1, 1 });
    assert_int_equal(run1("Unsqueeze", 13, NULL, 0, uins, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    ax = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), (int64_t[]){ 4 });
    assert_int_equal(run1("Unsqueeze", 13, NULL, 0, uins, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr ua = KH_INTS("axes", 0, 3);
    or_tensor *uins1[] = { &u };
    assert_int_equal(run1("Unsqueeze", 1, &ua, 1, uins1, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1, 3, 4, 1, 5));
    free(y.data);
    assert_int_equal(run1("Unsqueeze", 11, NULL, 0, uins1, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
    /* scalar -> [1] */
    or_tensor sc = kh_tensor(ONNXRUN_FLOAT, NULL, 0, iota);
    or_tensor *sins[] = { &sc };
    or_attr z = KH_INTS("axes", 0);
    assert_int_equal(run1("Unsqueeze", 11, &z, 1, sins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1));
    expect_iota(&y, 1);
    free(y.data);
}

static void test_identity_dropout(void **state)
{
    (void)state;
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 5), iota), y, m;
    or_tensor *ins[] = { &x };
    assert_int_equal(run1("Identity", 16, NULL, 0, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 5));
    expect_iota(&y, 10);
    free(y.data);
    /* opset 13: identity, mask all true */
    or_tensor *outs[] = { &y, &m };
    assert_int_equal(kh_run("", "Dropout", 13, NULL, 0, ins, 1, outs, 2, err, sizeof err), ONNXRUN_OK);
    expect_iota(&y, 10);
    assert_int_equal(m.dtype, ONNXRUN_BOOL);
    for (int i = 0; i < 10; i++) assert_int_equal(((uint8_t *)m.data)[i], 1);
    free(y.data);
    free(m.data);
    /* opset 6 (is_test 0, ratio): inference is the identity; the mask has T's type */
    or_attr old[] = { KH_INT("is_test", 0), KH_FLOAT("ratio", 0.3f) };
    assert_int_equal(kh_run("", "Dropout", 6, old, 2, ins, 1, outs, 2, err, sizeof err), ONNXRUN_OK);
    expect_iota(&y, 10);
    assert_int_equal(m.dtype, ONNXRUN_FLOAT);
    for (int i = 0; i < 10; i++) assert_true(((float *)m.data)[i] == 1.0f);
    free(y.data);
    free(m.data);
    /* opset 12 with training_mode: true with a ratio of 0 is still the identity... */
    uint8_t yes = 1, no = 0;
    float r0 = 0.0f, r5 = 0.5f;
    or_tensor ratio = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &r0), tm = kh_tensor(ONNXRUN_BOOL, NULL, 0, &yes);
    or_tensor *ins3[] = { &x, &ratio, &tm };
    assert_int_equal(kh_run("", "Dropout", 13, NULL, 0, ins3, 3, outs, 2, err, sizeof err), ONNXRUN_OK);
    expect_iota(&y, 10);
    free(y.data);
    free(m.data);
    /* ...with a nonzero ratio it is random, which is refused */
    ratio.data = &r5;
    y.data = m.data = NULL;
    assert_int_equal(kh_run("", "Dropout", 13, NULL, 0, ins3, 3, outs, 2, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    free(m.data);
    tm.data = &no;
    assert_int_equal(kh_run("", "Dropout", 13, NULL, 0, ins3, 3, outs, 2, err, sizeof err), ONNXRUN_OK);
    expect_iota(&y, 10);
    free(y.data);
    free(m.data);
    assert_true(or_op_find("", "Dropout", 13)->flags & OR_OP_VIEW);
    assert_true(or_op_find("", "Identity", 16)->flags & OR_OP_VIEW);
}

/* When the planner aliases out with in, run must not copy (memcpy onto
 * itself would be undefined). */
static void test_view_in_place(void **state)
{
    (void)state;
    static const char *const ops[] = { "Identity", "Flatten", "Squeeze", "Dropout" };
    float buf[6] = { 1, 2, 3, 4, 5, 6 };
    for (size_t i = 0; i < 4; i++) {
        const or_op_def *def = or_op_find("", ops[i], 13);
        assert_non_null(def);
        assert_true(def->flags & OR_OP_VIEW);
        or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 6), buf), y = x;
        or_tensor *ins[] = { &x }, *outs[] = { &y };
        or_node node = { .name = (char *)"n", .op_type = (char *)ops[i], .domain = (char *)"" };
        or_kernel k = { .def = def, .node = &node, .opset = 13, .n_in = 1, .n_out = 1, .in = ins,
                        .out = outs, .threads = 1, .err = err, .err_len = sizeof err };
        assert_int_equal(def->run(&k), ONNXRUN_OK);
        assert_true(buf[5] == 6);
    }
}

static void test_shape_size(void **state)
{
    (void)state;
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3, 4), NULL), y;
    or_tensor *ins[] = { &x };
    static const struct { bool has_start, has_end; int64_t start, end; int n; int64_t want[3]; } cases[] = {
        { false, false, 0, 0, 3, { 2, 3, 4 } }, { true, false, -1, 0, 1, { 4 } },
        { false, true, 0, -1, 2, { 2, 3 } }, { true, true, 1, 2, 1, { 3 } },
        { true, true, -10, 10, 3, { 2, 3, 4 } }, { true, true, 2, 1, 0, { 0 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        or_attr a[2];
        size_t na = 0;
        if (cases[i].has_start) a[na++] = (or_attr)KH_INT("start", cases[i].start);
        if (cases[i].has_end) a[na++] = (or_attr)KH_INT("end", cases[i].end);
        assert_int_equal(run1("Shape", 15, a, na, ins, 1, &y), ONNXRUN_OK);
        assert_int_equal(y.dtype, ONNXRUN_INT64);
        expect_shape(&y, (int64_t[]){ cases[i].n }, 1);
        if (cases[i].n) assert_memory_equal(y.data, cases[i].want, (size_t)cases[i].n * 8);
        free(y.data);
    }
    /* opset 1 ignores start */
    or_attr s = KH_INT("start", 1);
    assert_int_equal(run1("Shape", 13, &s, 1, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3));
    free(y.data);
    assert_int_equal(run1("Size", 13, NULL, 0, ins, 1, &y), ONNXRUN_OK);
    assert_int_equal(y.rank, 0);
    assert_int_equal(*(int64_t *)y.data, 24);
    free(y.data);
}

int main(void)
{
    for (int i = 0; i < 256; i++) iota[i] = (float)i * 0.5f;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_squeeze_unsqueeze),
        cmocka_unit_test(test_identity_dropout),
        cmocka_unit_test(test_view_in_place),
        cmocka_unit_test(test_shape_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
