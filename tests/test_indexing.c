/*
 * test_indexing.c - Gather, GatherElements, GatherND, ScatterElements,
 * Scatter, ScatterND and OneHot through the kernel harness (which also runs
 * each case threaded, on the slower ISAs and in place), against
 * hand-computed cases and, on random shapes, naive references that find
 * each element's position by division (the kernels walk odometers and
 * slices). Reductions are checked on float and on int32 (wrapping), and
 * duplicate indices fold in index order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static uint32_t rng = 4242;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* An integer in [lo, hi]. */
static int64_t irand(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static int64_t numel_of(const int64_t *dims, int from, int to)
{
    int64_t n = 1;
    for (int d = from; d < to; d++) n *= dims[d];
    return n;
}

/* The multi-index of flat position j in dims (rank r). */
static void unflat(int64_t j, const int64_t *dims, int r, int64_t *idx)
{
    for (int d = r - 1; d >= 0; d--) {
        idx[d] = j % dims[d];
        j /= dims[d];
    }
}

static int64_t flat(const int64_t *idx, const int64_t *dims, int r)
{
    int64_t j = 0;
    for (int d = 0; d < r; d++) j = j * dims[d] + idx[d];
    return j;
}

/* ---- Gather, GatherElements ---- */

static void test_gather(void **state)
{
    (void)state;
    float data[] = { 1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f };
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 3), data), y;
    int64_t i64[] = { 0, -1, 1, 2 };
    or_tensor ind = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 2), i64);
    or_tensor *ins[] = { &x, &ind };
    assert_int_equal(run1("Gather", 13, NULL, 0, ins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 2, 3));
    expect_floats(&y, (float[]){ 1.0f, 1.2f, 1.9f, 4.5f, 5.7f, 5.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f }, 12);
    free(y.data);
    /* axis 1 with int32 indices */
    int32_t i32[] = { 0, 2 };
    or_tensor ind32 = kh_tensor(ONNXRUN_INT32, KH_DIMS(1, 2), i32);
    or_tensor *ins32[] = { &x, &ind32 };
    or_attr ax1 = KH_INT("axis", 1);
    assert_int_equal(run1("Gather", 13, &ax1, 1, ins32, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 1, 2));
    expect_floats(&y, (float[]){ 1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f }, 6);
    free(y.data);
    /* scalar index: the axis disappears */
    int64_t one = -2;
    or_tensor s = kh_tensor(ONNXRUN_INT64, NULL, 0, &one);
    or_tensor *inss[] = { &x, &s };
    assert_int_equal(run1("Gather", 13, &ax1, 1, inss, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3));
    expect_floats(&y, (float[]){ 1.2f, 3.4f, 5.7f }, 3);
    free(y.data);
    /* out of range, both ways: a runtime error, no read */
    int64_t far[] = { 0, 3 };
    ind = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), far);
    assert_int_equal(run1("Gather", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "out of range"));
    free(y.data);
    far[1] = -4;
    assert_int_equal(run1("Gather", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_RUNTIME);
    free(y.data);
    /* float indices are refused */
    or_tensor fi = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1), data);
    or_tensor *insf[] = { &x, &fi };
    assert_int_equal(run1("Gather", 13, NULL, 0, insf, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

static void test_gather_elements(void **state)
{
    (void)state;
    float d1[] = { 1, 2, 3, 4 };
    int64_t i1[] = { 0, 0, 1, 0 };
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 2), d1), ind = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 2), i1), y;
    or_tensor *ins[] = { &x, &ind };
    or_attr ax1 = KH_INT("axis", 1);
    assert_int_equal(run1("GatherElements", 13, &ax1, 1, ins, 2, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 1, 1, 4, 3 }, 4);
    free(y.data);
    float d2[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    int32_t i2[] = { 1, 2, 0, 2, 0, -3 };
    x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 3), d2);
    ind = kh_tensor(ONNXRUN_INT32, KH_DIMS(2, 3), i2);
    assert_int_equal(run1("GatherElements", 13, NULL, 0, ins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 3));
    expect_floats(&y, (float[]){ 4, 8, 3, 7, 2, 3 }, 6);
    free(y.data);
    i2[4] = 3;
    assert_int_equal(run1("GatherElements", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_RUNTIME);
    free(y.data);
}

/* ---- GatherND ---- */

/* GatherND on random shapes, batch_dims 0-2, int32 and int64 indices of
 * both signs, against the definition: output position (p over
 * indices[:-1], s over data[b+k:]) is data[p[:b], indices[p], s]. */
static void test_gather_nd_random(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        int r = (int)irand(1, 4), q = (int)irand(1, 3);
        int b = (int)irand(0, (q < r ? q : r) - 1);
        int64_t xd[4], idd[4], od[8];
        for (int d = 0; d < r; d++) xd[d] = irand(1, 4);
        for (int d = 0; d < b; d++) idd[d] = xd[d];
        for (int d = b; d < q - 1; d++) idd[d] = irand(1, 3);
        int kl = (int)irand(1, r - b);
        idd[q - 1] = kl;
        int64_t nx = numel_of(xd, 0, r), ni = numel_of(idd, 0, q);
        float *x = malloc((size_t)nx * sizeof *x);
        for (int64_t j = 0; j < nx; j++) x[j] = (float)irand(-1000, 1000);
        bool i32 = it % 2;
        int64_t *ind = malloc((size_t)ni * sizeof *ind);
        int32_t *ind32 = malloc((size_t)ni * sizeof *ind32);
        for (int64_t j = 0; j < ni; j++) {
            int64_t a = b + j % kl;
            ind[j] = irand(-xd[a], xd[a] - 1);
            ind32[j] = (int32_t)ind[j];
        }
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, xd, r, x), y;
        or_tensor ti = kh_tensor(i32 ? ONNXRUN_INT32 : ONNXRUN_INT64, idd, q,
                                 i32 ? (void *)ind32 : (void *)ind);
        or_tensor *ins[] = { &tx, &ti };
        or_attr bd = KH_INT("batch_dims", b);
        assert_int_equal(run1("GatherND", 13, &bd, 1, ins, 2, &y), ONNXRUN_OK);
        int ro = q - 1 + r - b - kl;
        memcpy(od, idd, (size_t)(q - 1) * sizeof od[0]);
        memcpy(od + q - 1, xd + b + kl, (size_t)(r - b - kl) * sizeof od[0]);
        expect_shape(&y, od, ro);
        int64_t no = numel_of(od, 0, ro);
        for (int64_t j = 0; j < no; j++) {
            int64_t oi[8], xi[4];
            unflat(j, od, ro, oi);
            int64_t t = flat(oi, idd, q - 1);
            for (int d = 0; d < b; d++) xi[d] = oi[d];
            for (int i = 0; i < kl; i++) {
                int64_t v = ind[t * kl + i];
                xi[b + i] = v < 0 ? v + xd[b + i] : v;
            }
            for (int d = b + kl; d < r; d++) xi[d] = oi[q - 1 + d - b - kl];
            float want = x[flat(xi, xd, r)], got = ((float *)y.data)[j];
            if (got != want) fail_msg("case %d element %lld: got %g, want %g", it, (long long)j, got, want);
        }
        free(y.data);
        free(x);
        free(ind);
        free(ind32);
    }
}

static void test_gather_nd_errors(void **state)
{
    (void)state;
    float x[12] = { 0 };
    int64_t idx[4] = { 0, 1, 0, 1 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3, 2), x), y;
    or_tensor ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(1, 4), idx);
    or_tensor *ins[] = { &tx, &ti };
    /* a tuple longer than data's rank */
    assert_int_equal(run1("GatherND", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "last dim"));
    free(y.data);
    /* batch_dims: the batch dims must agree, and b < min(q, r) */
    ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(3, 1), idx);
    or_attr b1 = KH_INT("batch_dims", 1), b2 = KH_INT("batch_dims", 2);
    assert_int_equal(run1("GatherND", 13, &b1, 1, ins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    assert_int_equal(run1("GatherND", 13, &b2, 1, ins, 2, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "batch_dims"));
    free(y.data);
    /* an index out of range at run */
    idx[1] = 3;
    ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 2), idx);
    assert_int_equal(run1("GatherND", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "out of range"));
    free(y.data);
    /* float indices */
    ti = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), x);
    assert_int_equal(run1("GatherND", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

/* ---- scatters ---- */

static const char *const red_names[] = { "none", "add", "mul", "max", "min" };

static float fold(float a, float b, int red)
{
    switch (red) {
    case 1: return a + b;
    case 2: return a * b;
    case 3: return a > b ? a : b;
    case 4: return a < b ? a : b;
    default: return b;
    }
}

/* Runs a scatter with reduction red (0: no attribute at all) at the opset
 * that has it and compares with want. */
static void check_scatter(const char *op, int64_t axis, int red, or_tensor **ins, const float *want,
                          int64_t n, int it)
{
    or_attr a[2];
    size_t na = 0;
    if (strcmp(op, "ScatterND")) a[na++] = (or_attr)KH_INT("axis", axis);
    if (red) {
        a[na] = (or_attr){ .name = (char *)"reduction", .type = OR_ATTR_STRING,
                           .s = (char *)red_names[red], .s_len = strlen(red_names[red]) };
        na++;
    }
    or_tensor y;
    assert_int_equal(run1(op, red >= 3 ? 18 : 16, a, na, ins, 3, &y), ONNXRUN_OK);
    expect_shape(&y, ins[0]->dims, ins[0]->rank);
    for (int64_t j = 0; j < n; j++) {
        float got = ((float *)y.data)[j];
        if (got != want[j])
            fail_msg("%s case %d (%s) element %lld: got %g, want %g", op, it, red_names[red],
                     (long long)j, got, want[j]);
    }
    free(y.data);
}

/* ScatterND on random shapes with every reduction, repeated tuples
 * included (folded in index order; the last one wins without reduction),
 * against the definition: update position (p over indices[:-1], s over
 * data[k:]) goes to output[indices[p], s]. Small integer values keep the
 * sums and products exact. */
static void test_scatter_nd_random(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        int r = (int)irand(1, 4), q = (int)irand(1, 3), red = it % 5;
        int64_t xd[4], idd[4], ud[8];
        for (int d = 0; d < r; d++) xd[d] = irand(1, 4);
        for (int d = 0; d < q - 1; d++) idd[d] = irand(1, 3);
        int kl = (int)irand(1, r);
        idd[q - 1] = kl;
        int ru = q - 1 + r - kl;
        memcpy(ud, idd, (size_t)(q - 1) * sizeof ud[0]);
        memcpy(ud + q - 1, xd + kl, (size_t)(r - kl) * sizeof ud[0]);
        int64_t nx = numel_of(xd, 0, r), ni = numel_of(idd, 0, q), nu = numel_of(ud, 0, ru);
        float *x = malloc((size_t)nx * sizeof *x), *u = malloc((size_t)nu * sizeof *u);
        float *want = malloc((size_t)nx * sizeof *want);
        int64_t *ind = malloc((size_t)ni * sizeof *ind);
        for (int64_t j = 0; j < nx; j++) want[j] = x[j] = (float)irand(-3, 3);
        for (int64_t j = 0; j < nu; j++) u[j] = (float)irand(-3, 3);
        for (int64_t j = 0; j < ni; j++) ind[j] = irand(-xd[j % kl], xd[j % kl] - 1);
        for (int64_t j = 0; j < nu; j++) {
            int64_t ui[8], xi[4];
            unflat(j, ud, ru, ui);
            int64_t t = flat(ui, idd, q - 1);
            for (int i = 0; i < kl; i++) xi[i] = ind[t * kl + i] < 0 ? ind[t * kl + i] + xd[i] : ind[t * kl + i];
            for (int d = kl; d < r; d++) xi[d] = ui[q - 1 + d - kl];
            int64_t o = flat(xi, xd, r);
            want[o] = fold(want[o], u[j], red);
        }
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, xd, r, x), ti = kh_tensor(ONNXRUN_INT64, idd, q, ind);
        or_tensor tu = kh_tensor(ONNXRUN_FLOAT, ud, ru, u);
        or_tensor *ins[] = { &tx, &ti, &tu };
        check_scatter("ScatterND", 0, red, ins, want, nx, it);
        free(x);
        free(u);
        free(want);
        free(ind);
    }
}

/* ScatterElements (and Scatter, its opset-9 name) on random shapes and
 * axes with every reduction, against the definition: update position i
 * goes to output[i with i[axis] = indices[i]]. */
static void test_scatter_elements_random(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        int r = (int)irand(1, 3), red = it % 5;
        int ax = (int)irand(0, r - 1);
        int64_t xd[3], idd[3];
        for (int d = 0; d < r; d++) {
            xd[d] = irand(1, 4);
            idd[d] = d == ax ? irand(1, 5) : irand(1, xd[d]);
        }
        int64_t nx = numel_of(xd, 0, r), ni = numel_of(idd, 0, r);
        float *x = malloc((size_t)nx * sizeof *x), *u = malloc((size_t)ni * sizeof *u);
        float *want = malloc((size_t)nx * sizeof *want);
        int32_t *ind = malloc((size_t)ni * sizeof *ind);
        for (int64_t j = 0; j < nx; j++) want[j] = x[j] = (float)irand(-3, 3);
        for (int64_t j = 0; j < ni; j++) {
            u[j] = (float)irand(-3, 3);
            ind[j] = (int32_t)irand(-xd[ax], xd[ax] - 1);
            int64_t xi[3];
            unflat(j, idd, r, xi);
            xi[ax] = ind[j] < 0 ? ind[j] + xd[ax] : ind[j];
            int64_t o = flat(xi, xd, r);
            want[o] = fold(want[o], u[j], red);
        }
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, xd, r, x), ti = kh_tensor(ONNXRUN_INT32, idd, r, ind);
        or_tensor tu = kh_tensor(ONNXRUN_FLOAT, idd, r, u);
        or_tensor *ins[] = { &tx, &ti, &tu };
        /* the axis from either end */
        check_scatter("ScatterElements", it % 2 ? ax : ax - r, red, ins, want, nx, it);
        if (red == 0) {
            or_attr a = KH_INT("axis", ax);
            or_tensor y;
            assert_int_equal(run1("Scatter", 9, &a, 1, ins, 3, &y), ONNXRUN_OK);
            expect_floats(&y, want, (size_t)nx);
            free(y.data);
        }
        free(x);
        free(u);
        free(want);
        free(ind);
    }
}

/* Integer reductions wrap; the hand-made examples of the spec. */
static void test_scatter_cases(void **state)
{
    (void)state;
    int32_t xi[] = { INT32_MAX, 5, -7 }, ui[] = { 1, 3, 2 };
    int64_t ii[] = { 0, 2, 2 };
    or_tensor tx = kh_tensor(ONNXRUN_INT32, KH_DIMS(3), xi), ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(3), ii);
    or_tensor tu = kh_tensor(ONNXRUN_INT32, KH_DIMS(3), ui), y;
    or_tensor *ins[] = { &tx, &ti, &tu };
    or_attr add = KH_STRING("reduction", "add"), mul = KH_STRING("reduction", "mul");
    assert_int_equal(run1("ScatterElements", 16, &add, 1, ins, 3, &y), ONNXRUN_OK);
    assert_int_equal(((int32_t *)y.data)[0], INT32_MIN);
    assert_int_equal(((int32_t *)y.data)[1], 5);
    assert_int_equal(((int32_t *)y.data)[2], -2);
    free(y.data);
    assert_int_equal(run1("ScatterElements", 16, &mul, 1, ins, 3, &y), ONNXRUN_OK);
    assert_int_equal(((int32_t *)y.data)[2], -42);
    free(y.data);
    /* ScatterND example 2 of the spec: slices of a 4x4x4 */
    float x[64], u[32], want[64];
    for (int i = 0; i < 64; i++) want[i] = x[i] = (float)(i % 16 / 4 + 1);
    for (int i = 0; i < 32; i++) u[i] = (float)(i / 16 * 4 + i % 16 / 4 + 5);
    int64_t nd[] = { 0, 2 };
    for (int i = 0; i < 16; i++) {
        want[i] = u[i];
        want[32 + i] = u[16 + i];
    }
    or_tensor sx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4, 4, 4), x);
    or_tensor si = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 1), nd);
    or_tensor su = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 4, 4), u);
    or_tensor *nins[] = { &sx, &si, &su };
    assert_int_equal(run1("ScatterND", 11, NULL, 0, nins, 3, &y), ONNXRUN_OK);
    expect_floats(&y, want, 64);
    free(y.data);
}

static void test_scatter_errors(void **state)
{
    (void)state;
    float x[6] = { 0 }, u[4] = { 0 };
    int64_t ii[4] = { 0, 1, 0, 1 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x), ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 1), ii);
    or_tensor tu = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 2), u), y;
    or_tensor *ins[] = { &tx, &ti, &tu };
    /* ScatterND: updates must be indices[:-1] ++ data[k:] = [2, 3] */
    assert_int_equal(run1("ScatterND", 16, NULL, 0, ins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "updates"));
    free(y.data);
    /* reductions each opset knows */
    tu = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x);
    or_attr mx = KH_STRING("reduction", "max"), add = KH_STRING("reduction", "add");
    assert_int_equal(run1("ScatterND", 16, &mx, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "reduction"));
    free(y.data);
    assert_int_equal(run1("ScatterND", 13, &add, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    assert_int_equal(run1("ScatterND", 18, &mx, 1, ins, 3, &y), ONNXRUN_OK);
    free(y.data);
    /* updates of another type; a reduction on bool */
    int64_t iu[6] = { 0 };
    tu = kh_tensor(ONNXRUN_INT64, KH_DIMS(2, 3), iu);
    assert_int_equal(run1("ScatterND", 16, NULL, 0, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    uint8_t bx[6] = { 0 };
    tx = kh_tensor(ONNXRUN_BOOL, KH_DIMS(2, 3), bx);
    tu = kh_tensor(ONNXRUN_BOOL, KH_DIMS(2, 3), bx);
    assert_int_equal(run1("ScatterND", 16, NULL, 0, ins, 3, &y), ONNXRUN_OK);
    free(y.data);
    assert_int_equal(run1("ScatterND", 16, &add, 1, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    /* an index out of range, data untouched */
    tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x);
    tu = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x);
    ii[1] = -3;
    assert_int_equal(run1("ScatterND", 16, NULL, 0, ins, 3, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "out of range"));
    free(y.data);
    /* ScatterElements: ranks differ; indices longer than data off the axis */
    ii[1] = 1;
    tu = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 1), u);
    ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), ii);
    assert_int_equal(run1("ScatterElements", 16, NULL, 0, ins, 3, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(1, 4), ii);
    tu = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 4), u);
    assert_int_equal(run1("ScatterElements", 16, NULL, 0, ins, 3, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    or_attr a1 = KH_INT("axis", 1), a2 = KH_INT("axis", 2);
    assert_int_equal(run1("ScatterElements", 16, &a2, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    ii[3] = 3;   /* axis 1 has 3 */
    assert_int_equal(run1("ScatterElements", 16, &a1, 1, ins, 3, &y), ONNXRUN_E_RUNTIME);
    free(y.data);
}

/* ---- OneHot ---- */

/* OneHot on random ranks and axes, int64 / int32 / float indices (some
 * out of range, some negative), int64 or float depth, at opsets 9 (no
 * negative indices) and 11, against the definition. */
static void test_onehot_random(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        int r = (int)irand(0, 3), opset = it % 3 ? 11 : 9, kind = it % 3;
        int64_t depth = irand(1, 5), id[3], od[4];
        for (int d = 0; d < r; d++) id[d] = irand(1, 3);
        int ax = (int)irand(0, r);
        int64_t ni = numel_of(id, 0, r);
        int64_t *i64 = malloc((size_t)ni * sizeof *i64);
        int32_t *i32 = malloc((size_t)ni * sizeof *i32);
        float *f32 = malloc((size_t)ni * sizeof *f32);
        for (int64_t j = 0; j < ni; j++) {
            i64[j] = irand(-depth - 1, depth);
            i32[j] = (int32_t)i64[j];
            f32[j] = (float)i64[j] + (i64[j] < 0 ? -0.25f : 0.25f); /* truncated toward 0 */
        }
        const void *iv = kind == 0 ? (const void *)i64 : kind == 1 ? (const void *)i32 : (const void *)f32;
        onnxrun_dtype it_ = kind == 0 ? ONNXRUN_INT64 : kind == 1 ? ONNXRUN_INT32 : ONNXRUN_FLOAT;
        float fdepth = (float)depth;
        float vals[2] = { (float)irand(-3, 3), (float)irand(4, 9) };
        or_tensor ti = kh_tensor(it_, id, r, iv);
        or_tensor td = it % 2 ? kh_tensor(ONNXRUN_INT64, NULL, 0, &depth)
                              : kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1), &fdepth);
        or_tensor tv = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), vals), y;
        or_tensor *ins[] = { &ti, &td, &tv };
        or_attr a = KH_INT("axis", it % 2 ? ax - (r + 1) : ax);
        bool dflt = ax == r && it % 4 == 0;   /* the default axis -1 */
        assert_int_equal(run1("OneHot", opset, &a, dflt ? 0 : 1, ins, 3, &y), ONNXRUN_OK);
        memcpy(od, id, (size_t)ax * sizeof od[0]);
        od[ax] = depth;
        memcpy(od + ax + 1, id + ax, (size_t)(r - ax) * sizeof od[0]);
        expect_shape(&y, od, r + 1);
        int64_t no = ni * depth;
        for (int64_t j = 0; j < no; j++) {
            int64_t oi[4], ii[3];
            unflat(j, od, r + 1, oi);
            for (int d = 0, e = 0; d <= r; d++)
                if (d != ax) ii[e++] = oi[d];
            int64_t v = i64[flat(ii, id, r)];
            if (v < 0 && opset >= 11) v += depth;
            float want = v == oi[ax] ? vals[1] : vals[0], got = ((float *)y.data)[j];
            if (got != want) fail_msg("case %d element %lld: got %g, want %g", it, (long long)j, got, want);
        }
        free(y.data);
        free(i64);
        free(i32);
        free(f32);
    }
}

static void test_onehot_errors(void **state)
{
    (void)state;
    int64_t ind[2] = { 0, 1 }, depth = 0, two[2] = { 3, 3 };
    float vals[3] = { 0, 1, 2 };
    or_tensor ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), ind), td = kh_tensor(ONNXRUN_INT64, NULL, 0, &depth);
    or_tensor tv = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), vals), y;
    or_tensor *ins[] = { &ti, &td, &tv };
    assert_int_equal(run1("OneHot", 11, NULL, 0, ins, 3, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "depth"));
    free(y.data);
    depth = 3;
    tv = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3), vals);
    assert_int_equal(run1("OneHot", 11, NULL, 0, ins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "values"));
    free(y.data);
    tv = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), vals);
    td = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), two);
    assert_int_equal(run1("OneHot", 11, NULL, 0, ins, 3, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    td = kh_tensor(ONNXRUN_INT64, NULL, 0, &depth);
    or_attr a = KH_INT("axis", 2);
    assert_int_equal(run1("OneHot", 11, &a, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    uint8_t b[2] = { 1, 0 };
    ti = kh_tensor(ONNXRUN_BOOL, KH_DIMS(2), b);
    assert_int_equal(run1("OneHot", 11, NULL, 0, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_gather_elements),
        cmocka_unit_test(test_gather_nd_random),
        cmocka_unit_test(test_gather_nd_errors),
        cmocka_unit_test(test_scatter_nd_random),
        cmocka_unit_test(test_scatter_elements_random),
        cmocka_unit_test(test_scatter_cases),
        cmocka_unit_test(test_scatter_errors),
        cmocka_unit_test(test_onehot_random),
        cmocka_unit_test(test_onehot_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
