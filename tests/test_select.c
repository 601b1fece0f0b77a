/*
 * test_select.c - NonZero, Compress, Unique and NonMaxSuppression through
 * the kernel harness, against naive references: indices by division,
 * selections by explicit index arithmetic, distinct items by repeated
 * minimum scans (or first occurrence), greedy suppression by repeatedly
 * taking the best remaining box; random shapes and types; the errors.
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

static uint32_t rng = 31337;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static int random_shape(int64_t *dims, int max_rank, int max_dim)
{
    int r = (int)(rnd() % (uint32_t)(max_rank + 1));
    for (int a = 0; a < r; a++) dims[a] = rnd() % (uint32_t)(max_dim + 1);
    return r;
}

static int64_t numel(const int64_t *dims, int r)
{
    int64_t n = 1;
    for (int a = 0; a < r; a++) n *= dims[a];
    return n;
}

static void test_nonzero(void **state)
{
    (void)state;
    for (int it = 0; it < 100; it++) {
        int64_t dims[4];
        int r = random_shape(dims, 4, 4);
        int64_t n = numel(dims, r);
        bool as_int = it % 2;
        float *xf = malloc((size_t)(n + 1) * sizeof *xf);
        int32_t *xi = malloc((size_t)(n + 1) * sizeof *xi);
        for (int64_t i = 0; i < n; i++) {
            xi[i] = rnd() % 3 == 0 ? (int32_t)(rnd() % 5) - 2 : 0;
            xf[i] = rnd() % 5 == 0 ? -0.0f : (float)xi[i] * 0.5f;
        }
        or_tensor tx = kh_tensor(as_int ? ONNXRUN_INT32 : ONNXRUN_FLOAT, dims, r, as_int ? (void *)xi : (void *)xf), y;
        or_tensor *ins[] = { &tx };
        if (run1("NonZero", 13, NULL, 0, ins, 1, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        int64_t cnt = 0, rr = r ? r : 1;
        for (int64_t i = 0; i < n; i++) cnt += as_int ? xi[i] != 0 : xf[i] != 0;
        expect_shape(&y, (int64_t[]){ rr, cnt }, 2);
        int64_t col = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!(as_int ? xi[i] != 0 : xf[i] != 0)) continue;
            int64_t rem = i;
            for (int a = (int)rr - 1; a >= 0; a--) {
                int64_t d = r ? dims[a] : 1, want = rem % d;
                rem /= d;
                assert_int_equal(((int64_t *)y.data)[a * cnt + col], want);
            }
            col++;
        }
        free(y.data);
        free(xf);
        free(xi);
    }
}

static void test_compress(void **state)
{
    (void)state;
    for (int it = 0; it < 100; it++) {
        int64_t dims[4];
        int r = 1 + (int)(rnd() % 3);
        for (int a = 0; a < r; a++) dims[a] = rnd() % 4 + (a == 0);
        int64_t n = numel(dims, r);
        bool axis_given = it % 3 != 0;
        int axis = (int)(rnd() % (uint32_t)r);
        int64_t len = axis_given ? dims[axis] : n, clen = len ? rnd() % (uint32_t)(len + 1) : 0;
        int64_t *x = malloc((size_t)(n + 1) * sizeof *x);
        uint8_t cond[64];
        for (int64_t i = 0; i < n; i++) x[i] = (int64_t)i * 3 + 1;
        int64_t kept = 0;
        for (int64_t i = 0; i < clen; i++) kept += cond[i] = rnd() % 2;
        or_tensor tx = kh_tensor(ONNXRUN_INT64, dims, r, x), tc = kh_tensor(ONNXRUN_BOOL, &clen, 1, cond), y;
        or_tensor *ins[] = { &tx, &tc };
        or_attr ax = KH_INT("axis", axis - (rnd() % 2 ? r : 0));
        if (run1("Compress", 11, &ax, axis_given, ins, 2, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        if (!axis_given) {
            expect_shape(&y, &kept, 1);
            for (int64_t i = 0, o = 0; i < clen; i++)
                if (cond[i]) assert_int_equal(((int64_t *)y.data)[o++], x[i]);
        } else {
            int64_t inner = numel(dims + axis + 1, r - axis - 1), outer = numel(dims, axis), o = 0;
            assert_int_equal(y.dims[axis], kept);
            for (int64_t a = 0; a < outer; a++)
                for (int64_t i = 0; i < clen; i++)
                    for (int64_t e = 0; cond[i] && e < inner; e++)
                        assert_int_equal(((int64_t *)y.data)[o++], x[(a * len + i) * inner + e]);
            assert_int_equal(o, or_numel(&y));
        }
        free(y.data);
        free(x);
    }
}

/* Items of x [outer, len, inner] compared lexicographically. */
static int cmp_item(const float *x, int64_t outer, int64_t len, int64_t inner, int64_t a, int64_t b)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t e = 0; e < inner; e++) {
            float u = x[(o * len + a) * inner + e], v = x[(o * len + b) * inner + e];
            if (u != v) return u < v ? -1 : 1;
        }
    return 0;
}

static void test_unique(void **state)
{
    (void)state;
    for (int it = 0; it < 120; it++) {
        int64_t dims[3];
        int r = 1 + (int)(rnd() % 3);
        for (int a = 0; a < r; a++) dims[a] = 1 + rnd() % 4;
        int64_t n = numel(dims, r);
        bool axis_given = it % 2, sorted = rnd() % 3 != 0;
        int axis = (int)(rnd() % (uint32_t)r);
        float *x = malloc((size_t)n * sizeof *x);
        for (int64_t i = 0; i < n; i++) x[i] = (float)(rnd() % 3) - 1;
        int64_t outer = axis_given ? numel(dims, axis) : 1, len = axis_given ? dims[axis] : n;
        int64_t inner = axis_given ? numel(dims + axis + 1, r - axis - 1) : 1;
        /* the reference: representatives (first occurrences) in output order */
        int64_t rep[64], nrep = 0, inv[64], cnt[64];
        bool *taken = calloc((size_t)len, 1);
        for (;;) {
            int64_t best = -1;
            for (int64_t i = 0; i < len; i++) {
                if (taken[i]) continue;
                if (best < 0 || (sorted && cmp_item(x, outer, len, inner, i, best) < 0)) best = i;
            }
            if (best < 0) break;
            cnt[nrep] = 0;
            for (int64_t i = 0; i < len; i++)
                if (!taken[i] && !cmp_item(x, outer, len, inner, i, best)) {
                    taken[i] = true;
                    inv[i] = nrep;
                    cnt[nrep]++;
                }
            rep[nrep++] = best;
        }
        free(taken);
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, dims, r, x), y = { 0 }, yi = { 0 }, yv = { 0 }, yc = { 0 };
        or_tensor *ins[] = { &tx }, *outs[] = { &y, &yi, &yv, &yc };
        or_attr at[] = { KH_INT("sorted", sorted), KH_INT("axis", axis) };
        if (kh_run("", "Unique", 11, at, axis_given ? 2 : 1, ins, 1, outs, 4, err, sizeof err) != ONNXRUN_OK)
            fail_msg("case %d: %s", it, err);
        assert_int_equal(yi.dims[0], nrep);
        for (int64_t g = 0; g < nrep; g++) {
            assert_int_equal(((int64_t *)yi.data)[g], rep[g]);
            assert_int_equal(((int64_t *)yc.data)[g], cnt[g]);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t e = 0; e < inner; e++)
                    assert_true(((float *)y.data)[(o * nrep + g) * inner + e] == x[(o * len + rep[g]) * inner + e]);
        }
        for (int64_t i = 0; i < len; i++) assert_int_equal(((int64_t *)yv.data)[i], inv[i]);
        free(y.data), free(yi.data), free(yv.data), free(yc.data);
        free(x);
    }
}

/* IoU of two corner boxes in double; 0 when either has no area. */
static double iou(const float *a, const float *b, bool center)
{
    double c[2][4];
    const float *bx[2] = { a, b };
    for (int q = 0; q < 2; q++) {
        const float *v = bx[q];
        if (center) {
            c[q][0] = v[1] - v[3] / 2.0, c[q][1] = v[0] - v[2] / 2.0, c[q][2] = v[1] + v[3] / 2.0, c[q][3] = v[0] + v[2] / 2.0;
        } else {
            c[q][0] = fmin(v[0], v[2]), c[q][1] = fmin(v[1], v[3]), c[q][2] = fmax(v[0], v[2]), c[q][3] = fmax(v[1], v[3]);
        }
    }
    double aa = (c[0][2] - c[0][0]) * (c[0][3] - c[0][1]), ab = (c[1][2] - c[1][0]) * (c[1][3] - c[1][1]);
    double h = fmin(c[0][2], c[1][2]) - fmax(c[0][0], c[1][0]), w = fmin(c[0][3], c[1][3]) - fmax(c[0][1], c[1][1]);
    if (aa <= 0 || ab <= 0 || h <= 0 || w <= 0) return 0;
    return h * w / (aa + ab - h * w);
}

static void test_nms(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        int64_t B = 1 + rnd() % 2, C = 1 + rnd() % 3, N = rnd() % 9;
        bool center = rnd() % 2, with_score = rnd() % 2;
        int64_t max_out = rnd() % 5 == 0 ? 0 : 1 + rnd() % 6;
        float iou_t = (float)(rnd() % 9) / 8.0f, score_t = (float)(rnd() % 5) / 5.0f;
        float *boxes = malloc((size_t)(B * N * 4 + 1) * sizeof(float)), *scores = malloc((size_t)(B * C * N + 1) * sizeof(float));
        for (int64_t i = 0; i < B * N * 4; i++) boxes[i] = (float)(rnd() % 41) / 8.0f;
        for (int64_t i = 0; i < B * C * N; i++) scores[i] = (float)(rnd() % 11) / 10.0f;
        or_tensor tb = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(B, N, 4), boxes), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(B, C, N), scores);
        or_tensor tm = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), &max_out), ti = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1), &iou_t);
        or_tensor tt = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1), &score_t), y;
        or_tensor *ins[] = { &tb, &ts, &tm, &ti, with_score ? &tt : NULL };
        or_attr cp = KH_INT("center_point_box", center);
        if (run1("NonMaxSuppression", 11, &cp, 1, ins, 5, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        int64_t row = 0;
        for (int64_t b = 0; b < B; b++)
            for (int64_t c = 0; c < C; c++) {
                const float *sc = scores + (b * C + c) * N;
                bool gone[16] = { false };
                int64_t kept = 0;
                while (kept < max_out) {
                    int64_t best = -1;
                    for (int64_t i = 0; i < N; i++)
                        if (!gone[i] && (!with_score || sc[i] > score_t) && (best < 0 || sc[i] > sc[best])) best = i;
                    if (best < 0) break;
                    gone[best] = true;
                    for (int64_t i = 0; i < N; i++)
                        if (iou(boxes + (b * N + best) * 4, boxes + (b * N + i) * 4, center) > iou_t) gone[i] = true;
                    if (row >= y.dims[0]) fail_msg("case %d: fewer rows than the reference", it);
                    const int64_t *yr = (const int64_t *)y.data + row * 3;
                    if (yr[0] != b || yr[1] != c || yr[2] != best)
                        fail_msg("case %d row %lld: got (%lld, %lld, %lld), want (%lld, %lld, %lld)", it, (long long)row,
                                 (long long)yr[0], (long long)yr[1], (long long)yr[2], (long long)b, (long long)c,
                                 (long long)best);
                    row++;
                    kept++;
                }
            }
        assert_int_equal(y.dims[0], row);
        free(y.data);
        free(boxes);
        free(scores);
    }
}

/* IoU exactly at the threshold keeps the box (suppression needs more) */
static void test_nms_threshold(void **state)
{
    (void)state;
    float boxes[8] = { 0, 0, 2, 1, 0, 0, 1, 1 }, scores[2] = { 0.9f, 0.8f }, half = 0.5f, less = 0.49f;
    int64_t max_out = 5;
    or_tensor tb = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 4), boxes), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 1, 2), scores);
    or_tensor tm = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), &max_out), ti = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1), &half), y;
    or_tensor *ins[] = { &tb, &ts, &tm, &ti };
    assert_int_equal(run1("NonMaxSuppression", 11, NULL, 0, ins, 4, &y), ONNXRUN_OK);
    assert_int_equal(y.dims[0], 2);
    free(y.data);
    ti.data = &less;
    assert_int_equal(run1("NonMaxSuppression", 11, NULL, 0, ins, 4, &y), ONNXRUN_OK);
    assert_int_equal(y.dims[0], 1);
    free(y.data);
}

static void test_select_errors(void **state)
{
    (void)state;
    /* Unique of nothing: empty outputs, no scratch (a fuzz-class edge) */
    {
        float none[1] = { 0 };
        or_tensor te = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(0), none), y0 = { 0 }, y1 = { 0 };
        or_tensor *ins0[] = { &te }, *outs0[] = { &y0, &y1 };
        assert_int_equal(kh_run("", "Unique", 11, NULL, 0, ins0, 1, outs0, 2, err, sizeof err), ONNXRUN_OK);
        assert_int_equal(or_numel(&y0), 0);
        assert_int_equal(or_numel(&y1), 0);
        free(y0.data);
        free(y1.data);
    }
    float x[6] = { 0 };
    uint8_t c[7] = { 1, 1, 1, 1, 1, 1, 1 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x), tc = kh_tensor(ONNXRUN_BOOL, KH_DIMS(7), c), y;
    or_tensor *ins[] = { &tx, &tc };
    /* a condition longer than the axis; one of another type */
    assert_int_equal(run1("Compress", 11, NULL, 0, ins, 2, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "7 entries"));
    free(y.data);
    tc = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), x);
    assert_int_equal(run1("Compress", 11, NULL, 0, ins, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    /* NMS: boxes of the wrong shape, a negative limit, an IoU above 1 */
    or_tensor tb = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 3), x), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 1, 2), x);
    or_tensor *nins[] = { &tb, &ts };
    assert_int_equal(run1("NonMaxSuppression", 11, NULL, 0, nins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    float boxes[8] = { 0, 0, 1, 1, 0, 0, 1, 1 }, big = 1.5f;
    int64_t neg = -1;
    tb = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 4), boxes);
    or_tensor tm = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), &neg), ti = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1), &big);
    or_tensor *nins2[] = { &tb, &ts, &tm };
    assert_int_equal(run1("NonMaxSuppression", 11, NULL, 0, nins2, 3, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "negative"));
    free(y.data);
    or_tensor *nins3[] = { &tb, &ts, NULL, &ti };
    assert_int_equal(run1("NonMaxSuppression", 11, NULL, 0, nins3, 4, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr cp = KH_INT("center_point_box", 2);
    assert_int_equal(run1("NonMaxSuppression", 11, &cp, 1, nins, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonzero),
        cmocka_unit_test(test_compress),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_nms),
        cmocka_unit_test(test_nms_threshold),
        cmocka_unit_test(test_select_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
