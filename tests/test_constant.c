/*
 * test_constant.c - Constant, ConstantOfShape, Range, Cast and CastLike
 * through the kernel harness: values per attribute kind and opset, Range
 * lengths at the int64 limits, and Cast's rounding, saturation, wrap-around,
 * bool and float16 conversions against hand-computed values.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

/* ---- Constant ---- */

static void test_constant(void **state)
{
    (void)state;
    int32_t vals[] = { 4, -5, 6, 7, 8, 9 };
    or_tensor t = kh_tensor(ONNXRUN_INT32, KH_DIMS(2, 3), vals), y;
    or_attr value = { .name = (char *)"value", .type = OR_ATTR_TENSOR, .t = &t };
    assert_int_equal(run1("Constant", 13, &value, 1, NULL, 0, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT32);
    expect_shape(&y, KH_DIMS(2, 3));
    assert_ptr_not_equal(y.data, vals);
    assert_memory_equal(y.data, vals, sizeof vals);
    free(y.data);
    /* value_float / value_ints (opset 12) */
    or_attr vf = KH_FLOAT("value_float", 2.5f);
    assert_int_equal(run1("Constant", 12, &vf, 1, NULL, 0, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_FLOAT);
    assert_int_equal(y.rank, 0);
    assert_true(*(float *)y.data == 2.5f);
    free(y.data);
    or_attr vi = KH_INTS("value_ints", 3, -1, 1LL << 40);
    assert_int_equal(run1("Constant", 13, &vi, 1, NULL, 0, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT64);
    expect_shape(&y, KH_DIMS(3));
    assert_int_equal(((int64_t *)y.data)[2], 1LL << 40);
    free(y.data);
    or_attr vis = KH_INT("value_int", -7);
    assert_int_equal(run1("Constant", 13, &vis, 1, NULL, 0, &y), ONNXRUN_OK);
    assert_int_equal(*(int64_t *)y.data, -7);
    free(y.data);
    /* before opset 12 only 'value' counts; two values or none are errors */
    assert_int_equal(run1("Constant", 11, &vi, 1, NULL, 0, &y), ONNXRUN_E_INVALID);
    or_attr two[] = { value, vf };
    assert_int_equal(run1("Constant", 13, two, 2, NULL, 0, &y), ONNXRUN_E_INVALID);
    assert_int_equal(run1("Constant", 13, NULL, 0, NULL, 0, &y), ONNXRUN_E_INVALID);
    or_attr sparse = { .name = (char *)"sparse_value", .type = OR_ATTR_SPARSE_TENSOR };
    assert_int_equal(run1("Constant", 13, &sparse, 1, NULL, 0, &y), ONNXRUN_E_UNSUPPORTED);
    or_tensor st = kh_tensor(ONNXRUN_STRING, KH_DIMS(1), vals);
    or_attr sv = { .name = (char *)"value", .type = OR_ATTR_TENSOR, .t = &st };
    assert_int_equal(run1("Constant", 13, &sv, 1, NULL, 0, &y), ONNXRUN_E_UNSUPPORTED);
}

/* ---- ConstantOfShape ---- */

static void test_constant_of_shape(void **state)
{
    (void)state;
    int64_t shape[] = { 2, 3 };
    or_tensor s = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), shape), y;
    or_tensor *ins[] = { &s };
    assert_int_equal(run1("ConstantOfShape", 9, NULL, 0, ins, 1, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_FLOAT);
    expect_shape(&y, KH_DIMS(2, 3));
    for (int i = 0; i < 6; i++) assert_true(((float *)y.data)[i] == 0.0f);
    free(y.data);
    int64_t v = -3;
    or_tensor vt = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), &v);
    or_attr value = { .name = (char *)"value", .type = OR_ATTR_TENSOR, .t = &vt };
    assert_int_equal(run1("ConstantOfShape", 9, &value, 1, ins, 1, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT64);
    for (int i = 0; i < 6; i++) assert_int_equal(((int64_t *)y.data)[i], -3);
    free(y.data);
    /* a 0 in the shape: empty output; an empty shape: a scalar */
    shape[1] = 0;
    assert_int_equal(run1("ConstantOfShape", 9, &value, 1, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 0));
    free(y.data);
    or_tensor e = kh_tensor(ONNXRUN_INT64, KH_DIMS(0), shape);
    or_tensor *eins[] = { &e };
    assert_int_equal(run1("ConstantOfShape", 9, &value, 1, eins, 1, &y), ONNXRUN_OK);
    assert_int_equal(y.rank, 0);
    assert_int_equal(*(int64_t *)y.data, -3);
    free(y.data);
    /* errors: negative dims, a value of two elements, an unknown shape */
    shape[1] = -1;
    assert_int_equal(run1("ConstantOfShape", 9, NULL, 0, ins, 1, &y), ONNXRUN_E_SHAPE);
    shape[1] = 1;
    vt = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), shape);
    assert_int_equal(run1("ConstantOfShape", 9, &value, 1, ins, 1, &y), ONNXRUN_E_INVALID);
    s.data = NULL;
    assert_int_equal(run1("ConstantOfShape", 9, NULL, 0, ins, 1, &y), ONNXRUN_E_UNSUPPORTED);
}

/* ---- Range ---- */

static or_status range(onnxrun_dtype dt, const void *s, const void *l, const void *d, or_tensor *y)
{
    or_tensor ts = kh_tensor(dt, NULL, 0, s), tl = kh_tensor(dt, NULL, 0, l), td = kh_tensor(dt, NULL, 0, d);
    or_tensor *ins[] = { &ts, &tl, &td };
    return run1("Range", 11, NULL, 0, ins, 3, y);
}

static void test_range(void **state)
{
    (void)state;
    or_tensor y;
    float fs = 3, fl = 9, fd = 3;
    assert_int_equal(range(ONNXRUN_FLOAT, &fs, &fl, &fd, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2));
    assert_true(((float *)y.data)[0] == 3 && ((float *)y.data)[1] == 6);
    free(y.data);
    fs = 0, fl = 1, fd = 0.3f;   /* ceil(3.33) = 4 */
    assert_int_equal(range(ONNXRUN_FLOAT, &fs, &fl, &fd, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(4));
    assert_true(fabsf(((float *)y.data)[3] - 0.9f) < 1e-6f);
    free(y.data);
    int32_t is = 10, il = 4, id = -2;
    assert_int_equal(range(ONNXRUN_INT32, &is, &il, &id, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3));
    assert_memory_equal(y.data, ((int32_t[]){ 10, 8, 6 }), 12);
    free(y.data);
    id = 2;   /* the wrong way: empty */
    assert_int_equal(range(ONNXRUN_INT32, &is, &il, &id, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(0));
    free(y.data);
    /* the whole int64 line in steps of 2^62: no overflow in the length or the values */
    int64_t ls = INT64_MIN, ll = INT64_MAX, ld = INT64_C(1) << 62;
    assert_int_equal(range(ONNXRUN_INT64, &ls, &ll, &ld, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(4));
    assert_int_equal(((int64_t *)y.data)[3], INT64_C(1) << 62);   /* -2^63 + 3 * 2^62 */
    free(y.data);
    ld = INT64_MIN;   /* |delta| = 2^63 going down from the top: INT64_MAX, -1 */
    assert_int_equal(range(ONNXRUN_INT64, &ll, &ls, &ld, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2));
    assert_int_equal(((int64_t *)y.data)[1], -1);
    free(y.data);
    /* too many elements, a zero delta, non-finite values, mixed types */
    ld = 1;
    assert_int_equal(range(ONNXRUN_INT64, &ls, &ll, &ld, &y), ONNXRUN_E_LIMIT);
    assert_non_null(strstr(err, "too many"));
    ld = 0;
    assert_int_equal(range(ONNXRUN_INT64, &ls, &ll, &ld, &y), ONNXRUN_E_INVALID);
    fd = INFINITY;
    assert_int_equal(range(ONNXRUN_FLOAT, &fs, &fl, &fd, &y), ONNXRUN_E_INVALID);
    fs = -3e38f, fl = 3e38f, fd = 1;
    assert_int_equal(range(ONNXRUN_FLOAT, &fs, &fl, &fd, &y), ONNXRUN_E_LIMIT);
    or_tensor a = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &fs), b = kh_tensor(ONNXRUN_INT32, NULL, 0, &is);
    or_tensor *mixed[] = { &a, &b, &a };
    assert_int_equal(run1("Range", 11, NULL, 0, mixed, 3, &y), ONNXRUN_E_INVALID);
    or_tensor u = kh_tensor(ONNXRUN_FLOAT, NULL, 0, NULL);
    or_tensor *unknown[] = { &a, &u, &a };
    assert_int_equal(run1("Range", 11, NULL, 0, unknown, 3, &y), ONNXRUN_E_UNSUPPORTED);
}

/* ---- Cast ---- */

static or_status cast(onnxrun_dtype from, const void *x, int64_t n, onnxrun_dtype to, or_tensor *y)
{
    or_tensor t = kh_tensor(from, (int64_t[]){ n }, 1, x);
    or_tensor *ins[] = { &t };
    or_attr a = KH_INT("to", to);
    return run1("Cast", 13, &a, 1, ins, 1, y);
}

static void test_cast_float_to_int(void **state)
{
    (void)state;
    float x[] = { 2.7f, -2.7f, 0.5f, -0.5f, 1e10f, -1e10f, NAN, INFINITY, -INFINITY, 300.0f };
    or_tensor y;
    assert_int_equal(cast(ONNXRUN_FLOAT, x, 10, ONNXRUN_INT32, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT32);
    assert_memory_equal(y.data, ((int32_t[]){ 2, -2, 0, 0, INT32_MAX, INT32_MIN, 0, INT32_MAX,
                                              INT32_MIN, 300 }), 40);
    free(y.data);
    assert_int_equal(cast(ONNXRUN_FLOAT, x, 10, ONNXRUN_UINT8, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 2, 0, 0, 0, 255, 0, 0, 255, 0, 255 }), 10);
    free(y.data);
    assert_int_equal(cast(ONNXRUN_FLOAT, x, 10, ONNXRUN_INT8, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int8_t[]){ 2, -2, 0, 0, 127, -128, 0, 127, -128, 127 }), 10);
    free(y.data);
    double big[] = { 9.3e18, -9.3e18, 1.8e19, 9223372036854774784.0 };
    assert_int_equal(cast(ONNXRUN_DOUBLE, big, 4, ONNXRUN_INT64, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int64_t[]){ INT64_MAX, INT64_MIN, INT64_MAX,
                                              INT64_C(9223372036854774784) }), 32);
    free(y.data);
    assert_int_equal(cast(ONNXRUN_DOUBLE, big, 4, ONNXRUN_UINT64, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint64_t[]){ UINT64_C(9300000000000000000), 0,
                                               UINT64_C(18000000000000000000),
                                               UINT64_C(9223372036854774784) }), 32);
    free(y.data);
}

static void test_cast_bool_and_ints(void **state)
{
    (void)state;
    or_tensor y;
    float f[] = { 0.0f, -0.0f, 0.1f, NAN, -3.0f };
    assert_int_equal(cast(ONNXRUN_FLOAT, f, 5, ONNXRUN_BOOL, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 0, 0, 1, 1, 1 }), 5);
    free(y.data);
    int64_t i[] = { 0, 256, -1, 300, INT64_MIN };
    assert_int_equal(cast(ONNXRUN_INT64, i, 5, ONNXRUN_BOOL, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint8_t[]){ 0, 1, 1, 1, 1 }), 5);
    free(y.data);
    /* integers narrow with wrap-around, widen with sign extension */
    assert_int_equal(cast(ONNXRUN_INT64, i, 5, ONNXRUN_INT8, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int8_t[]){ 0, 0, -1, 44, 0 }), 5);
    free(y.data);
    int8_t s8[] = { -1, -128, 127 };
    assert_int_equal(cast(ONNXRUN_INT8, s8, 3, ONNXRUN_INT64, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int64_t[]){ -1, -128, 127 }), 24);
    free(y.data);
    assert_int_equal(cast(ONNXRUN_INT8, s8, 3, ONNXRUN_UINT16, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((uint16_t[]){ 65535, 65408, 127 }), 6);
    free(y.data);
    uint8_t u8[] = { 255, 128 };
    assert_int_equal(cast(ONNXRUN_UINT8, u8, 2, ONNXRUN_INT32, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int32_t[]){ 255, 128 }), 8);
    free(y.data);
    /* bool in, and integers to float */
    uint8_t b[] = { 0, 1, 7 };
    assert_int_equal(cast(ONNXRUN_BOOL, b, 3, ONNXRUN_FLOAT, &y), ONNXRUN_OK);
    assert_true(((float *)y.data)[0] == 0 && ((float *)y.data)[1] == 1 && ((float *)y.data)[2] == 1);
    free(y.data);
    uint64_t um[] = { UINT64_MAX };
    assert_int_equal(cast(ONNXRUN_UINT64, um, 1, ONNXRUN_FLOAT, &y), ONNXRUN_OK);
    assert_true(*(float *)y.data == 18446744073709551616.0f);
    free(y.data);
    int64_t odd[] = { (INT64_C(1) << 53) + 1 };
    assert_int_equal(cast(ONNXRUN_INT64, odd, 1, ONNXRUN_INT64, &y), ONNXRUN_OK);
    assert_int_equal(*(int64_t *)y.data, (INT64_C(1) << 53) + 1);
    free(y.data);
    assert_int_equal(cast(ONNXRUN_INT64, odd, 1, ONNXRUN_UINT64, &y), ONNXRUN_OK);
    assert_int_equal(*(uint64_t *)y.data, (UINT64_C(1) << 53) + 1);
    free(y.data);
}

static void test_cast_float16(void **state)
{
    (void)state;
    or_tensor y;
    float f[] = { 1.0f, -2.0f, 65504.0f, 65519.0f, 65520.0f, 1e-8f, 6e-8f, 0.333333f,
                  INFINITY, 6.103515625e-05f, 1.0009765625f + 0.00048828125f };
    uint16_t want[] = { 0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x0000, 0x0001, 0x3555,
                        0x7c00, 0x0400, 0x3c02 };
    assert_int_equal(cast(ONNXRUN_FLOAT, f, 11, ONNXRUN_FLOAT16, &y), ONNXRUN_OK);
    for (int i = 0; i < 11; i++)
        if (((uint16_t *)y.data)[i] != want[i])
            fail_msg("float %g: got 0x%04x, want 0x%04x", f[i], ((uint16_t *)y.data)[i], want[i]);
    free(y.data);
    float nanf_[] = { NAN };
    assert_int_equal(cast(ONNXRUN_FLOAT, nanf_, 1, ONNXRUN_FLOAT16, &y), ONNXRUN_OK);
    assert_true((*(uint16_t *)y.data & 0x7c00) == 0x7c00 && (*(uint16_t *)y.data & 0x3ff));
    free(y.data);
    uint16_t h[] = { 0x3555, 0x0001, 0x8400, 0x7bff, 0xfc00 };
    assert_int_equal(cast(ONNXRUN_FLOAT16, h, 5, ONNXRUN_DOUBLE, &y), ONNXRUN_OK);
    const double *d = y.data;
    assert_true(d[0] == 0.333251953125 && d[1] == ldexp(1, -24) && d[2] == -ldexp(1, -14));
    assert_true(d[3] == 65504.0 && isinf(d[4]) && d[4] < 0);
    free(y.data);
    assert_int_equal(cast(ONNXRUN_FLOAT16, h, 5, ONNXRUN_INT16, &y), ONNXRUN_OK);
    assert_memory_equal(y.data, ((int16_t[]){ 0, 0, 0, 32767, -32768 }), 10);
    free(y.data);
}

/* EyeLike against its definition (1 where j - i = k, else 0), with the
 * expected bytes of 1 written out per type: random shapes (empty ones
 * included), k on both sides, past the matrix and at the int64 limits,
 * dtype absent (the input's: int32) or float, double, int64, uint8, bool,
 * float16; and the rank and dtype errors. */
static void test_eyelike(void **state)
{
    (void)state;
    static const int64_t ks[] = { 0, 1, -1, 2, -3, 6, -6, INT64_MAX, INT64_MIN };
    static const struct { int64_t attr; onnxrun_dtype dt; size_t es; uint8_t one[8]; } types[] = {
        { 0, ONNXRUN_INT32, 4, { 1, 0, 0, 0 } },
        { 1, ONNXRUN_FLOAT, 4, { 0, 0, 0x80, 0x3f } },
        { 11, ONNXRUN_DOUBLE, 8, { 0, 0, 0, 0, 0, 0, 0xf0, 0x3f } },
        { 7, ONNXRUN_INT64, 8, { 1 } },
        { 2, ONNXRUN_UINT8, 1, { 1 } },
        { 9, ONNXRUN_BOOL, 1, { 1 } },
        { 10, ONNXRUN_FLOAT16, 2, { 0x00, 0x3c } },
    };
    int32_t xin[64] = { 0 };
    uint32_t seed = 7;
    for (int it = 0; it < 90; it++) {
        seed = seed * 1103515245u + 12345u;
        int64_t rows = (seed >> 8) % 7, cols = (seed >> 16) % 7, kv = ks[(seed >> 4) % 9];
        size_t ti = (size_t)it % (sizeof types / sizeof types[0]);
        or_tensor x = kh_tensor(ONNXRUN_INT32, (int64_t[]){ rows, cols }, 2, xin), y;
        or_tensor *ins[] = { &x };
        or_attr attrs[] = { KH_INT("k", kv), KH_INT("dtype", types[ti].attr) };
        assert_int_equal(run1("EyeLike", 9, attrs, types[ti].attr ? 2 : 1, ins, 1, &y), ONNXRUN_OK);
        assert_int_equal(y.dtype, types[ti].dt);
        expect_shape(&y, (int64_t[]){ rows, cols }, 2);
        static const uint8_t zero[8] = { 0 };
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                bool on = (__int128)j - i == kv;
                assert_memory_equal((char *)y.data + (size_t)(i * cols + j) * types[ti].es,
                                    on ? types[ti].one : zero, types[ti].es);
            }
        free(y.data);
    }
    or_tensor x1 = kh_tensor(ONNXRUN_INT32, KH_DIMS(4), xin), x2 = kh_tensor(ONNXRUN_INT32, KH_DIMS(2, 2), xin), y;
    or_tensor *ins1[] = { &x1 }, *ins2[] = { &x2 };
    assert_int_equal(run1("EyeLike", 9, NULL, 0, ins1, 1, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    or_attr str = KH_INT("dtype", 8), bad = KH_INT("dtype", 99);
    assert_int_equal(run1("EyeLike", 9, &str, 1, ins2, 1, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    assert_int_equal(run1("EyeLike", 9, &bad, 1, ins2, 1, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

static void test_cast_attrs(void **state)
{
    (void)state;
    float x[] = { 1.5f, -1.5f };
    or_tensor t = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), x), y;
    or_tensor *ins[] = { &t };
    /* opset 1: the type by name */
    or_attr name = KH_STRING("to", "INT32");
    assert_int_equal(run1("Cast", 1, &name, 1, ins, 1, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_INT32);
    assert_memory_equal(y.data, ((int32_t[]){ 1, -1 }), 8);
    free(y.data);
    or_attr bad = KH_STRING("to", "COMPLEX64");
    assert_int_equal(run1("Cast", 1, &bad, 1, ins, 1, &y), ONNXRUN_E_UNSUPPORTED);
    or_attr str = KH_INT("to", ONNXRUN_STRING);
    assert_int_equal(run1("Cast", 13, &str, 1, ins, 1, &y), ONNXRUN_E_UNSUPPORTED);
    or_attr huge = KH_INT("to", 999);
    assert_int_equal(run1("Cast", 13, &huge, 1, ins, 1, &y), ONNXRUN_E_UNSUPPORTED);
    assert_int_equal(run1("Cast", 13, NULL, 0, ins, 1, &y), ONNXRUN_E_INVALID);
    /* CastLike takes the type of input 1 */
    double like = 0;
    or_tensor l = kh_tensor(ONNXRUN_DOUBLE, NULL, 0, &like);
    or_tensor *ins2[] = { &t, &l };
    assert_int_equal(run1("CastLike", 15, NULL, 0, ins2, 2, &y), ONNXRUN_OK);
    assert_int_equal(y.dtype, ONNXRUN_DOUBLE);
    assert_true(((double *)y.data)[1] == -1.5);
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_constant_of_shape),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_cast_float_to_int),
        cmocka_unit_test(test_cast_bool_and_ints),
        cmocka_unit_test(test_cast_float16),
        cmocka_unit_test(test_cast_attrs),
        cmocka_unit_test(test_eyelike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
