/*
 * test_movement.c - Transpose, Concat, Split, Slice, Expand, Tile, Pad,
 * Trilu, DepthToSpace, SpaceToDepth and ReverseSequence run directly
 * through the kernel harness, against naive loops (random shapes and
 * permutations) and hand-computed cases (numpy's results for slices and
 * pads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static float iota[4096];
static void setup_iota(void)
{
    for (int i = 0; i < 4096; i++) iota[i] = (float)(i + 1);
}

/* ---- Transpose ---- */

/* out[j] = in[idx] where out's multi-index o maps to in's index i[perm[a]] = o[a]. */
static void naive_transpose(const char *x, const int64_t *dims, int r, const int *perm, size_t es,
                            char *y)
{
    int64_t od[OR_MAX_RANK], xs[OR_MAX_RANK], n = 1;
    for (int a = 0; a < r; a++) od[a] = dims[perm[a]];
    for (int a = r - 1, s = 1; a >= 0; a--) {
        xs[a] = s;
        s *= (int)dims[a];
    }
    for (int a = 0; a < r; a++) n *= od[a];
    for (int64_t j = 0; j < n; j++) {
        int64_t rem = j, off = 0;
        for (int a = r - 1; a >= 0; a--) {
            off += (rem % od[a]) * xs[perm[a]];
            rem /= od[a];
        }
        memcpy(y + j * (int64_t)es, x + off * (int64_t)es, es);
    }
}

static void test_transpose_random(void **state)
{
    (void)state;
    static const onnxrun_dtype types[] = { ONNXRUN_INT8, ONNXRUN_INT16, ONNXRUN_FLOAT, ONNXRUN_INT64 };
    for (int iter = 0; iter < 200; iter++) {
        int r = 1 + (int)(rnd() % 5);
        int64_t dims[OR_MAX_RANK], n = 1;
        int perm[OR_MAX_RANK];
        for (int a = 0; a < r; a++) {
            dims[a] = 1 + rnd() % 7;
            n *= dims[a];
            perm[a] = a;
        }
        for (int a = r - 1; a > 0; a--) {
            int b = (int)(rnd() % (unsigned)(a + 1)), t = perm[a];
            perm[a] = perm[b];
            perm[b] = t;
        }
        onnxrun_dtype dt = types[iter % 4];
        size_t es = onnxrun_dtype_size(dt);
        char *x = malloc((size_t)n * es), *want = malloc((size_t)n * es);
        for (int64_t i = 0; i < n * (int64_t)es; i++) x[i] = (char)rnd();
        naive_transpose(x, dims, r, perm, es, want);
        or_attr attr = { .name = (char *)"perm", .type = OR_ATTR_INTS, .n = (size_t)r,
                         .ints = (int64_t[OR_MAX_RANK]){ 0 } };
        for (int a = 0; a < r; a++) attr.ints[a] = perm[a];
        or_tensor xt = kh_tensor(dt, dims, r, x), y;
        or_tensor *ins[] = { &xt };
        assert_int_equal(run1("Transpose", 13, &attr, 1, ins, 1, &y), ONNXRUN_OK);
        for (int a = 0; a < r; a++) assert_int_equal(y.dims[a], dims[perm[a]]);
        assert_memory_equal(y.data, want, (size_t)n * es);
        free(y.data);
        free(x);
        free(want);
    }
}

/* Big enough for the tiled path: NCHW <-> NHWC and a plain 2-D transpose. */
static void test_transpose_4d_tiles(void **state)
{
    (void)state;
    static const int perms[][4] = { { 0, 2, 3, 1 }, { 0, 3, 1, 2 }, { 1, 0, 3, 2 }, { 3, 2, 1, 0 } };
    int64_t dims[] = { 2, 37, 9, 11 }, n = 2 * 37 * 9 * 11;
    float *x = malloc((size_t)n * 4), *want = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) x[i] = (float)i;
    for (size_t p = 0; p < 4; p++) {
        naive_transpose((char *)x, dims, 4, perms[p], 4, (char *)want);
        or_attr attr = KH_INTS("perm", perms[p][0], perms[p][1], perms[p][2], perms[p][3]);
        or_tensor xt = kh_tensor(ONNXRUN_FLOAT, dims, 4, x), y;
        or_tensor *ins[] = { &xt };
        assert_int_equal(run1("Transpose", 13, &attr, 1, ins, 1, &y), ONNXRUN_OK);
        assert_memory_equal(y.data, want, (size_t)n * 4);
        free(y.data);
    }
    /* default perm: reverse */
    int rev[] = { 3, 2, 1, 0 };
    naive_transpose((char *)x, dims, 4, rev, 4, (char *)want);
    or_tensor xt = kh_tensor(ONNXRUN_FLOAT, dims, 4, x), y;
    or_tensor *ins[] = { &xt };
    assert_int_equal(run1("Transpose", 1, NULL, 0, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(11, 9, 37, 2));
    assert_memory_equal(y.data, want, (size_t)n * 4);
    free(y.data);
    free(x);
    free(want);
}

static void test_transpose_errors(void **state)
{
    (void)state;
    or_tensor xt = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3, 4), iota), y;
    or_tensor *ins[] = { &xt };
    or_attr dup = KH_INTS("perm", 0, 1, 1);
    assert_int_equal(run1("Transpose", 13, &dup, 1, ins, 1, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "perm"));
    free(y.data);
    or_attr shortp = KH_INTS("perm", 1, 0);
    assert_int_equal(run1("Transpose", 13, &shortp, 1, ins, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
}

/* ---- Concat ---- */

static void test_concat_each_axis(void **state)
{
    (void)state;
    /* three inputs of shape [2,3,4] with axis dims 1, 2, 3 */
    for (int axis = -3; axis < 3; axis++) {
        int ax = axis < 0 ? axis + 3 : axis;
        or_tensor xs[3];
        float *bufs[3];
        for (int i = 0; i < 3; i++) {
            int64_t d[3] = { 2, 3, 4 };
            d[ax] = i + 1;
            bufs[i] = malloc(sizeof(float) * 36);
            for (int j = 0; j < 36; j++) bufs[i][j] = (float)(100 * i + j);
            xs[i] = kh_tensor(ONNXRUN_FLOAT, d, 3, bufs[i]);
        }
        or_tensor *ins[] = { &xs[0], &xs[1], &xs[2] }, y;
        or_attr attr = KH_INT("axis", axis);
        assert_int_equal(run1("Concat", 13, &attr, 1, ins, 3, &y), ONNXRUN_OK);
        int64_t od[3] = { 2, 3, 4 };
        od[ax] = 6;
        expect_shape(&y, od, 3);
        /* naive: out[i0,i1,i2] from the input whose range along ax holds it */
        const float *yd = y.data;
        for (int64_t i0 = 0; i0 < od[0]; i0++)
            for (int64_t i1 = 0; i1 < od[1]; i1++)
                for (int64_t i2 = 0; i2 < od[2]; i2++) {
                    int64_t idx[3] = { i0, i1, i2 }, at = idx[ax];
                    int src = at < 1 ? 0 : at < 3 ? 1 : 2;
                    idx[ax] = at - (src == 0 ? 0 : src == 1 ? 1 : 3);
                    const or_tensor *s = &xs[src];
                    float want = bufs[src][(idx[0] * s->dims[1] + idx[1]) * s->dims[2] + idx[2]];
                    assert_true(yd[(i0 * od[1] + i1) * od[2] + i2] == want);
                }
        free(y.data);
        for (int i = 0; i < 3; i++) free(bufs[i]);
    }
}

static void test_concat_errors(void **state)
{
    (void)state;
    or_tensor a = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), iota), b = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 3), iota);
    or_tensor c = kh_tensor(ONNXRUN_INT32, KH_DIMS(2, 3), iota), y;
    or_tensor *ab[] = { &a, &b }, *ac[] = { &a, &c };
    or_attr ax1 = KH_INT("axis", 1), neg = KH_INT("axis", -1);
    assert_int_equal(run1("Concat", 13, &ax1, 1, ab, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    assert_int_equal(run1("Concat", 13, &ax1, 1, ac, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    /* negative axes are accepted before opset 11 too; axis is required from 4 */
    or_tensor *ba[] = { &a, &b };
    or_attr ax0 = KH_INT("axis", -2);
    assert_int_equal(run1("Concat", 4, &ax0, 1, ba, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(5, 3));
    free(y.data);
    assert_int_equal(run1("Concat", 4, &neg, 1, ab, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    assert_int_equal(run1("Concat", 4, NULL, 0, ab, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    /* opset 1 defaults to axis 1 */
    or_tensor *aa[] = { &a, &a };
    assert_int_equal(run1("Concat", 1, NULL, 0, aa, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 6));
    expect_floats(&y, (float[]){ 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6 }, 12);
    free(y.data);
}

/* ---- Split ---- */

static or_status run_split(int64_t opset, or_attr *attrs, size_t na, or_tensor **ins, size_t n_in,
                           or_tensor *outs, size_t n_out)
{
    or_tensor *po[8];
    for (size_t i = 0; i < n_out; i++) {
        po[i] = &outs[i];
        outs[i].data = NULL;
    }
    return kh_run("", "Split", opset, attrs, na, ins, n_in, po, n_out, err, sizeof err);
}

static void free_outs(or_tensor *outs, size_t n)
{
    for (size_t i = 0; i < n; i++) free(outs[i].data);
}

static void test_split(void **state)
{
    (void)state;
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 6), iota), o[4];
    or_tensor *ins[] = { &x };
    /* equal parts on axis 1 */
    or_attr ax1 = KH_INT("axis", 1);
    assert_int_equal(run_split(13, &ax1, 1, ins, 1, o, 3), ONNXRUN_OK);
    expect_floats(&o[0], (float[]){ 1, 2, 7, 8 }, 4);
    expect_floats(&o[2], (float[]){ 5, 6, 11, 12 }, 4);
    free_outs(o, 3);
    /* uneven equal split is an error */
    assert_int_equal(run_split(13, &ax1, 1, ins, 1, o, 4), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "equal parts"));
    free_outs(o, 4);
    /* sizes by attribute (opset 11, negative axis) */
    or_attr a11[] = { KH_INT("axis", -1), KH_INTS("split", 1, 0, 5) };
    assert_int_equal(run_split(11, a11, 2, ins, 1, o, 3), ONNXRUN_OK);
    expect_shape(&o[1], KH_DIMS(2, 0));
    expect_floats(&o[0], (float[]){ 1, 7 }, 2);
    expect_floats(&o[2], (float[]){ 2, 3, 4, 5, 6, 8, 9, 10, 11, 12 }, 10);
    free_outs(o, 3);
    /* sizes by input (opset 13) that do not add up */
    int64_t bad[] = { 2, 2 };
    or_tensor sp = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), bad);
    or_tensor *ins2[] = { &x, &sp };
    assert_int_equal(run_split(13, &ax1, 1, ins2, 2, o, 2), ONNXRUN_E_SHAPE);
    free_outs(o, 2);
    int64_t good[] = { 4, 2 };
    sp.data = good;
    assert_int_equal(run_split(13, &ax1, 1, ins2, 2, o, 2), ONNXRUN_OK);
    expect_floats(&o[1], (float[]){ 5, 6, 11, 12 }, 4);
    free_outs(o, 2);
    /* the split input must be known at infer */
    sp.data = NULL;
    assert_int_equal(run_split(13, &ax1, 1, ins2, 2, o, 2), ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "known"));
    free_outs(o, 2);
    /* opset 18 num_outputs: the last part is smaller */
    or_attr a18[] = { KH_INT("axis", 1), KH_INT("num_outputs", 4) };
    or_tensor x7 = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 7), iota);
    or_tensor *ins7[] = { &x7 };
    assert_int_equal(run_split(18, a18, 2, ins7, 1, o, 4), ONNXRUN_OK);
    expect_floats(&o[0], (float[]){ 1, 2 }, 2);
    expect_floats(&o[3], (float[]){ 7 }, 1);
    free_outs(o, 4);
}

/* ---- Slice ---- */

/* Slice of iota (shape dims) at opset 13 with the given vectors (n each;
 * axes / steps may be NULL). */
static or_status slice13(const int64_t *dims, int r, const int64_t *starts, const int64_t *ends,
                         const int64_t *axes, const int64_t *steps, int n, or_tensor *y)
{
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, dims, r, iota);
    int64_t nd[] = { n };
    or_tensor ts = kh_tensor(ONNXRUN_INT64, nd, 1, starts), te = kh_tensor(ONNXRUN_INT64, nd, 1, ends);
    or_tensor ta = kh_tensor(ONNXRUN_INT64, nd, 1, axes), tp = kh_tensor(ONNXRUN_INT64, nd, 1, steps);
    or_tensor *ins[] = { &x, &ts, &te, axes ? &ta : NULL, steps ? &tp : NULL };
    return run1("Slice", 13, NULL, 0, ins, 5, y);
}

static void test_slice(void **state)
{
    (void)state;
    or_tensor y;
    /* spec example 1: [[1,2,3,4],[5,6,7,8]], axes 0,1 starts 1,0 ends 2,3 steps 1,2 */
    assert_int_equal(slice13(KH_DIMS(2, 4), (int64_t[]){ 1, 0 }, (int64_t[]){ 2, 3 },
                             (int64_t[]){ 0, 1 }, (int64_t[]){ 1, 2 }, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1, 2));
    expect_floats(&y, (float[]){ 5, 7 }, 2);
    free(y.data);
    /* example 2: starts 0,1 ends -1,1000 (clamped) */
    assert_int_equal(slice13(KH_DIMS(2, 4), (int64_t[]){ 0, 1 }, (int64_t[]){ -1, 1000 }, NULL, NULL,
                             2, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 2, 3, 4 }, 3);
    free(y.data);
    /* negative steps: x[::-1] and x[2:0:-1] on [1..6], INT64_MIN / INT64_MAX ends */
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ -1 }, (int64_t[]){ INT64_MIN }, NULL,
                             (int64_t[]){ -1 }, 1, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 6, 5, 4, 3, 2, 1 }, 6);
    free(y.data);
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ 2 }, (int64_t[]){ 0 }, NULL, (int64_t[]){ -1 }, 1,
                             &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 3, 2 }, 2);
    free(y.data);
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ 100 }, (int64_t[]){ -100 }, NULL,
                             (int64_t[]){ -2 }, 1, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 6, 4, 2 }, 3);
    free(y.data);
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ 1 }, (int64_t[]){ INT64_MAX }, NULL,
                             (int64_t[]){ INT64_MAX }, 1, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 2 }, 1);
    free(y.data);
    /* the spec, unlike numpy, clamps a negative-step start before the beginning to 0 */
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ -10 }, (int64_t[]){ INT64_MIN }, NULL,
                             (int64_t[]){ -1 }, 1, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 1 }, 1);
    free(y.data);
    /* 2-D with a negative axis and step: rows reversed, columns 3:0:-2 */
    assert_int_equal(slice13(KH_DIMS(3, 4), (int64_t[]){ 3, -1 }, (int64_t[]){ 0, INT64_MIN },
                             (int64_t[]){ -1, 0 }, (int64_t[]){ -2, -1 }, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 2));
    expect_floats(&y, (float[]){ 12, 10, 8, 6, 4, 2 }, 6);
    free(y.data);
    /* empty results: start past the end, start after end */
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ 10 }, (int64_t[]){ 20 }, NULL, NULL, 1, &y),
                     ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(0));
    free(y.data);
    /* errors: step 0, repeated axis, unknown starts */
    assert_int_equal(slice13(KH_DIMS(6), (int64_t[]){ 0 }, (int64_t[]){ 3 }, NULL, (int64_t[]){ 0 }, 1,
                             &y), ONNXRUN_E_INVALID);
    free(y.data);
    assert_int_equal(slice13(KH_DIMS(2, 4), (int64_t[]){ 0, 0 }, (int64_t[]){ 1, 1 },
                             (int64_t[]){ 1, -1 }, NULL, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    assert_int_equal(slice13(KH_DIMS(6), NULL, (int64_t[]){ 3 }, NULL, NULL, 1, &y),
                     ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    /* opset 1: attributes */
    or_attr attrs[] = { KH_INTS("starts", 1), KH_INTS("ends", 1000), KH_INTS("axes", 1) };
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), iota);
    or_tensor *ins[] = { &x };
    assert_int_equal(run1("Slice", 1, attrs, 3, ins, 1, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 2));
    expect_floats(&y, (float[]){ 2, 3, 5, 6 }, 4);
    free(y.data);
}

/* ---- Expand, Tile ---- */

static void test_expand(void **state)
{
    (void)state;
    int64_t shape[] = { 2, 1, 4 };
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 1), iota), s = kh_tensor(ONNXRUN_INT64, KH_DIMS(3), shape), y;
    or_tensor *ins[] = { &x, &s };
    assert_int_equal(run1("Expand", 13, NULL, 0, ins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 3, 4));
    for (int i = 0; i < 24; i++) assert_true(((float *)y.data)[i] == (float)((i / 4) % 3 + 1));
    free(y.data);
    /* a shape smaller than the input keeps the input's dims */
    int64_t small[] = { 1 };
    s = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), small);
    assert_int_equal(run1("Expand", 8, NULL, 0, ins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(3, 1));
    free(y.data);
    int64_t bad[] = { 2, 2 };
    s = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), bad);
    assert_int_equal(run1("Expand", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
}

/* Trilu against the definition, element by element: random shapes (rank
 * 2-4, empty and one-row matrices), both triangles, k absent, 0, on both
 * sides, past the matrix and at the int64 limits; int64 and float data. */
static void test_trilu(void **state)
{
    (void)state;
    static const int64_t ks[] = { 0, 1, -1, 2, -3, 7, -9, INT64_MAX, INT64_MIN };
    for (int it = 0; it < 120; it++) {
        int r = 2 + (int)(rnd() % 3);
        int64_t dims[4];
        for (int d = 0; d < r; d++) dims[d] = d < r - 2 ? 1 + rnd() % 3 : rnd() % 7;
        int64_t n = 1;
        for (int d = 0; d < r; d++) n *= dims[d];
        int64_t *xi = malloc((size_t)(n ? n : 1) * sizeof *xi);
        for (int64_t i = 0; i < n; i++) xi[i] = 1 + (int64_t)(rnd() % 1000);
        bool use_float = it % 2, with_k = it % 5 != 0;
        int upper = (int)(rnd() % 2);
        int64_t kv = ks[rnd() % (sizeof ks / sizeof ks[0])];
        float *xf = malloc((size_t)(n ? n : 1) * sizeof *xf);
        for (int64_t i = 0; i < n; i++) xf[i] = (float)xi[i];
        or_tensor x = use_float ? kh_tensor(ONNXRUN_FLOAT, dims, r, xf) : kh_tensor(ONNXRUN_INT64, dims, r, xi);
        or_tensor kt = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), &kv), y;
        or_tensor *ins[] = { &x, with_k ? &kt : NULL };
        or_attr attr = KH_INT("upper", upper);
        assert_int_equal(run1("Trilu", 14, &attr, 1, ins, 2, &y), ONNXRUN_OK);
        expect_shape(&y, dims, r);
        int64_t rows = dims[r - 2], cols = dims[r - 1], diag = with_k ? kv : 0;
        for (int64_t e = 0; e < n; e++) {
            int64_t i = e / cols % rows, j = e % cols;
            /* j - i >= diag (upper) or <= diag (lower), in 128 bits of room */
            __int128 dji = (__int128)j - i;
            bool keep = upper ? dji >= diag : dji <= diag;
            if (use_float) assert_true(((float *)y.data)[e] == (keep ? xf[e] : 0.0f));
            else assert_true(((int64_t *)y.data)[e] == (keep ? xi[e] : 0));
        }
        free(y.data);
        free(xi);
        free(xf);
    }
    /* rank 1, k of two values, upper 2 */
    int64_t two[] = { 0, 1 };
    or_tensor v = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), iota), k2 = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), two), y;
    or_tensor *ins1[] = { &v };
    assert_int_equal(run1("Trilu", 14, NULL, 0, ins1, 1, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    or_tensor m = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 2), iota);
    or_tensor *ins2[] = { &m, &k2 };
    assert_int_equal(run1("Trilu", 14, NULL, 0, ins2, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    or_attr bad = KH_INT("upper", 2);
    or_tensor *ins3[] = { &m };
    assert_int_equal(run1("Trilu", 14, &bad, 1, ins3, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
}

/* DepthToSpace (DCR and CRD) and SpaceToDepth against the spec's own
 * reshape, transpose, reshape (naive_transpose on the 6-D view), on random
 * shapes, block sizes 1-3 and float or int8 data; and the shape errors. */
static void test_depth_space(void **state)
{
    (void)state;
    for (int it = 0; it < 60; it++) {
        int64_t b = 1 + rnd() % 3, n = 1 + rnd() % 2, c = 1 + rnd() % 3, h = 1 + rnd() % 4,
                w = 1 + rnd() % 5;
        int to_depth = it % 3 == 2, crd = it % 3 == 1;
        bool i8 = it % 4 == 0;
        size_t es = i8 ? 1 : 4;
        /* X: DepthToSpace [n, c b^2, h, w]; SpaceToDepth [n, c, h b, w b] */
        int64_t xd[4] = { n, to_depth ? c : c * b * b, to_depth ? h * b : h, to_depth ? w * b : w };
        int64_t total = n * c * b * b * h * w;
        char *x = malloc((size_t)total * es), *want = malloc((size_t)total * es);
        for (int64_t i = 0; i < total * (int64_t)es; i++) x[i] = (char)(rnd() % 251);
        if (!i8)
            for (int64_t i = 0; i < total; i++) ((float *)(void *)x)[i] = (float)(rnd() % 1000);
        int64_t v6[6];
        const int *perm;
        static const int dcr[6] = { 0, 3, 4, 1, 5, 2 }, crdp[6] = { 0, 1, 4, 2, 5, 3 },
                         s2d[6] = { 0, 3, 5, 1, 2, 4 };
        if (to_depth) {
            int64_t d[6] = { n, c, h, b, w, b };
            memcpy(v6, d, sizeof d);
            perm = s2d;
        } else if (crd) {
            int64_t d[6] = { n, c, b, b, h, w };
            memcpy(v6, d, sizeof d);
            perm = crdp;
        } else {
            int64_t d[6] = { n, b, b, c, h, w };
            memcpy(v6, d, sizeof d);
            perm = dcr;
        }
        naive_transpose(x, v6, 6, perm, es, want);
        or_tensor tx = kh_tensor(i8 ? ONNXRUN_INT8 : ONNXRUN_FLOAT, xd, 4, x), y;
        or_tensor *ins[] = { &tx };
        or_attr attrs[] = { KH_INT("blocksize", b), KH_STRING("mode", "CRD") };
        or_status st = run1(to_depth ? "SpaceToDepth" : "DepthToSpace", 13, attrs, crd ? 2 : 1, ins, 1, &y);
        assert_int_equal(st, ONNXRUN_OK);
        int64_t yd[4] = { n, to_depth ? c * b * b : c, to_depth ? h : h * b, to_depth ? w : w * b };
        expect_shape(&y, yd, 4);
        assert_memory_equal(y.data, want, (size_t)total * es);
        free(y.data);
        free(x);
        free(want);
    }
    or_tensor y;
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 3, 2, 2), iota);
    or_tensor *ins[] = { &x };
    or_attr b2 = KH_INT("blocksize", 2), b0 = KH_INT("blocksize", 0);
    assert_int_equal(run1("DepthToSpace", 13, &b2, 1, ins, 1, &y), ONNXRUN_E_SHAPE); /* 3 % 4 */
    free(y.data);
    or_tensor x3 = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 4, 3, 2), iota);
    or_tensor *ins3[] = { &x3 };
    assert_int_equal(run1("SpaceToDepth", 13, &b2, 1, ins3, 1, &y), ONNXRUN_E_SHAPE); /* 3 % 2 */
    free(y.data);
    assert_int_equal(run1("SpaceToDepth", 13, &b0, 1, ins3, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr bad[] = { KH_INT("blocksize", 2), KH_STRING("mode", "XYZ") };
    or_tensor x4 = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 4, 1, 1), iota);
    or_tensor *ins4[] = { &x4 };
    assert_int_equal(run1("DepthToSpace", 13, bad, 2, ins4, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_tensor x5 = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4, 1, 1), iota);
    or_tensor *ins5[] = { &x5 };
    assert_int_equal(run1("DepthToSpace", 13, &b2, 1, ins5, 1, &y), ONNXRUN_E_SHAPE);
    free(y.data);
}

static void test_tile(void **state)
{
    (void)state;
    int64_t reps[] = { 2, 3, 1 };
    int16_t data[] = { 1, 2, 3, 4, 5, 6 };
    or_tensor x = kh_tensor(ONNXRUN_INT16, KH_DIMS(2, 3, 1), data), r = kh_tensor(ONNXRUN_INT64, KH_DIMS(3), reps), y;
    or_tensor *ins[] = { &x, &r };
    assert_int_equal(run1("Tile", 13, NULL, 0, ins, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(4, 9, 1));
    const int16_t *yd = y.data;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 9; j++) assert_int_equal(yd[i * 9 + j], data[(i % 2) * 3 + j % 3]);
    free(y.data);
    int64_t neg[] = { 1, -1, 1 };
    r.data = neg;
    assert_int_equal(run1("Tile", 13, NULL, 0, ins, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    /* opset 1: tiles and axis inputs */
    int64_t tiles = 2, axis = 1;
    or_tensor tt = kh_tensor(ONNXRUN_INT64, NULL, 0, &tiles), ta = kh_tensor(ONNXRUN_INT64, NULL, 0, &axis);
    or_tensor *ins1[] = { &x, &tt, &ta };
    assert_int_equal(run1("Tile", 1, NULL, 0, ins1, 3, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 6, 1));
    assert_int_equal(((int16_t *)y.data)[4], 2);
    free(y.data);
    /* an empty input tiled by huge repeats: an empty output, no stride
     * product of the huge dims (fuzz_model; UBSan caught the overflow) */
    float none[1];
    int64_t huge[4] = { 1, 2, 100663550, (int64_t)1 << 34 };
    or_tensor xe = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 3, 0), none), te = kh_tensor(ONNXRUN_INT64, KH_DIMS(4), huge);
    or_tensor *inse[] = { &xe, &te };
    assert_int_equal(run1("Tile", 6, NULL, 0, inse, 2, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(1, 4, 301990650, 0));
    free(y.data);
}

/* ---- ReverseSequence ---- */

/* Random [T, B, ...] / [B, T, ...] shapes and lengths (0 and full
 * included), float and int64 elements, against the definition:
 * out[b][t] = in[b][len[b] - 1 - t] for t < len[b], else in[b][t]. */
static void test_reverse_sequence(void **state)
{
    (void)state;
    for (int it = 0; it < 60; it++) {
        int ba = it % 2, r = 2 + (int)(rnd() % 3);
        int64_t dims[4];
        for (int d = 0; d < r; d++) dims[d] = 1 + rnd() % 4;
        int64_t nb = dims[ba], nt = dims[1 - ba], inner = 1, n = nb * nt;
        for (int d = 2; d < r; d++) inner *= dims[d];
        n *= inner;
        int64_t lens[4], *xi = malloc((size_t)n * sizeof *xi);
        for (int64_t b = 0; b < nb; b++) lens[b] = rnd() % (uint32_t)(nt + 1);
        for (int64_t i = 0; i < n; i++) xi[i] = (int64_t)rnd();
        or_tensor x = kh_tensor(ONNXRUN_INT64, dims, r, xi), tl = kh_tensor(ONNXRUN_INT64, dims + ba, 1, lens), y;
        or_tensor *ins[] = { &x, &tl };
        or_attr a[] = { KH_INT("batch_axis", ba), KH_INT("time_axis", 1 - ba) };
        assert_int_equal(run1("ReverseSequence", 10, a, 2, ins, 2, &y), ONNXRUN_OK);
        expect_shape(&y, dims, r);
        for (int64_t i = 0; i < n; i++) {
            int64_t e = i % inner, row = i / inner;
            int64_t b = ba == 0 ? row / nt : row % nb, t = ba == 0 ? row % nt : row / nb;
            int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
            int64_t src = (ba == 0 ? b * nt + from : from * nb + b) * inner + e;
            assert_int_equal(((int64_t *)y.data)[i], xi[src]);
        }
        free(y.data);
        free(xi);
    }
    /* errors: a length beyond the time axis (at run), the axes, the lengths' shape */
    float xf[6] = { 0 };
    int64_t lens[2] = { 3, 4 };
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 2), xf), tl = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), lens), y;
    or_tensor *ins[] = { &x, &tl };
    assert_int_equal(run1("ReverseSequence", 10, NULL, 0, ins, 2, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "sequence_lens[1] = 4"));
    free(y.data);
    or_attr same[] = { KH_INT("batch_axis", 0), KH_INT("time_axis", 0) };
    assert_int_equal(run1("ReverseSequence", 10, same, 2, ins, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    tl = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), lens);
    assert_int_equal(run1("ReverseSequence", 10, NULL, 0, ins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
}

/* ---- Pad ---- */

/* Pads iota [3,4] at opset 13 with pads (4 values), mode, constant value. */
static or_status pad13(const int64_t *pads, const char *mode, const float *value, or_tensor *y)
{
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3, 4), iota);
    or_tensor p = kh_tensor(ONNXRUN_INT64, KH_DIMS(4), pads), v = kh_tensor(ONNXRUN_FLOAT, NULL, 0, value);
    or_tensor *ins[] = { &x, &p, value ? &v : NULL };
    or_attr m = { .name = (char *)"mode", .type = OR_ATTR_STRING, .s = (char *)mode,
                  .s_len = strlen(mode) };
    return run1("Pad", 13, &m, 1, ins, 3, y);
}

static void test_pad(void **state)
{
    (void)state;
    or_tensor y;
    float v = 9.5f;
    assert_int_equal(pad13((int64_t[]){ 1, 2, 1, 1 }, "constant", &v, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(5, 7));
    expect_floats(&y, (float[]){ 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 1, 2, 3, 4, 9.5,
                                 9.5, 9.5, 5, 6, 7, 8, 9.5, 9.5, 9.5, 9, 10, 11, 12, 9.5,
                                 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5 }, 35);
    free(y.data);
    assert_int_equal(pad13((int64_t[]){ 1, 2, 2, 3 }, "reflect", NULL, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(6, 9));
    expect_floats(&y, (float[]){ 7, 6, 5, 6, 7, 8, 7, 6, 5, 3, 2, 1, 2, 3, 4, 3, 2, 1,
                                 7, 6, 5, 6, 7, 8, 7, 6, 5, 11, 10, 9, 10, 11, 12, 11, 10, 9,
                                 7, 6, 5, 6, 7, 8, 7, 6, 5, 3, 2, 1, 2, 3, 4, 3, 2, 1 }, 54);
    free(y.data);
    assert_int_equal(pad13((int64_t[]){ 2, 1, 1, 2 }, "edge", NULL, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 1, 1, 2, 3, 4, 4, 4, 1, 1, 2, 3, 4, 4, 4, 1, 1, 2, 3, 4, 4, 4,
                                 5, 5, 6, 7, 8, 8, 8, 9, 9, 10, 11, 12, 12, 12, 9, 9, 10, 11, 12, 12, 12 }, 42);
    free(y.data);
    /* negative pads crop, then the rest pads the cropped data */
    assert_int_equal(pad13((int64_t[]){ -1, 2, 0, -2 }, "reflect", NULL, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(2, 4));
    expect_floats(&y, (float[]){ 5, 6, 5, 6, 9, 10, 9, 10 }, 8);
    free(y.data);
    v = 7;
    assert_int_equal(pad13((int64_t[]){ 0, -1, -1, 1 }, "constant", &v, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 2, 3, 4, 7, 6, 7, 8, 7 }, 8);
    free(y.data);
    assert_int_equal(pad13((int64_t[]){ 1, 0, 0, -3 }, "edge", NULL, &y), ONNXRUN_OK);
    expect_shape(&y, KH_DIMS(4, 1));
    expect_floats(&y, (float[]){ 1, 1, 5, 9 }, 4);
    free(y.data);
    /* reflect beyond the size mirrors again (numpy) */
    or_tensor x3 = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3), iota);
    or_attr a2[] = { KH_STRING("mode", "reflect"), KH_INTS("pads", 5, 5) };
    or_tensor *ins3[] = { &x3 };
    assert_int_equal(run1("Pad", 2, a2, 2, ins3, 1, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2 }, 13);
    free(y.data);
    /* opset 2: pads and value attributes */
    or_attr c2[] = { KH_INTS("pads", 1, 0), KH_FLOAT("value", -1.5f) };
    assert_int_equal(run1("Pad", 2, c2, 2, ins3, 1, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ -1.5f, 1, 2, 3 }, 4);
    free(y.data);
    /* opset 18: axes input */
    int64_t pads[] = { 1, 2 }, axes[] = { -1 };
    or_tensor x = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 2), iota), tp = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), pads);
    or_tensor ta = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), axes);
    or_tensor *ins18[] = { &x, &tp, NULL, &ta };
    assert_int_equal(run1("Pad", 18, NULL, 0, ins18, 4, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 0, 1, 2, 0, 0, 0, 3, 4, 0, 0 }, 10);
    free(y.data);
    /* opset 19 wrap: a periodic copy (numpy's 'wrap'), also past the size; refused before 19 */
    or_attr w2 = KH_STRING("mode", "wrap");
    int64_t wp[] = { 4, 5 };
    or_tensor twp = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), wp);
    or_tensor *insw[] = { &x3, &twp };
    assert_int_equal(run1("Pad", 19, &w2, 1, insw, 2, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2 }, 12);
    free(y.data);
    assert_int_equal(run1("Pad", 18, &w2, 1, insw, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    /* errors: cropping more than the axis, wrong pads length, edge of nothing */
    assert_int_equal(pad13((int64_t[]){ -2, 0, -2, 0 }, "constant", NULL, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_tensor *ins18b[] = { &x, &tp };
    assert_int_equal(run1("Pad", 13, NULL, 0, ins18b, 2, &y), ONNXRUN_E_INVALID);
    free(y.data);
    assert_int_equal(pad13((int64_t[]){ 0, -4, 0, 1 }, "edge", NULL, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr wrap = KH_STRING("mode", "wrap");
    assert_int_equal(run1("Pad", 13, &wrap, 1, ins18b, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

/* numpy's slice index rule, step by step: the input indices one axis
 * visits, into idx; returns the count. One difference, from the ONNX spec:
 * with a negative step a start before the beginning clamps to 0, not -1. */
static int64_t naive_slice_axis(int64_t d, int64_t s, int64_t e, int64_t step, int64_t *idx)
{
    if (step > 0) {
        s = s < 0 ? (s + d < 0 ? 0 : s + d) : (s > d ? d : s);
        e = e < 0 ? (e + d < 0 ? 0 : e + d) : (e > d ? d : e);
    } else {
        s = s < 0 ? (s + d < 0 ? 0 : s + d) : (s > d - 1 ? d - 1 : s);
        e = e < 0 ? (e + d < -1 ? -1 : e + d) : (e > d - 1 ? d - 1 : e);
    }
    int64_t n = 0;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step) idx[n++] = i;
    return n;
}

static void test_slice_random(void **state)
{
    (void)state;
    for (int iter = 0; iter < 300; iter++) {
        int r = 1 + (int)(rnd() % 4);
        int64_t dims[4], starts[4], ends[4], axes[4], steps[4], idx[4][16], cnt[4];
        for (int a = 0; a < r; a++) dims[a] = 1 + rnd() % 6;
        int n = 1 + (int)(rnd() % (unsigned)r);
        bool used[4] = { false };
        for (int a = 0; a < r; a++) {
            cnt[a] = dims[a];
            for (int64_t i = 0; i < dims[a]; i++) idx[a][i] = i;
        }
        for (int i = 0; i < n; i++) {
            int a;
            do a = (int)(rnd() % (unsigned)r); while (used[a]);
            used[a] = true;
            axes[i] = rnd() % 2 ? a : a - r;
            starts[i] = (int64_t)(rnd() % 17) - 8;
            ends[i] = (int64_t)(rnd() % 17) - 8;
            steps[i] = (int64_t)(rnd() % 7) - 3;
            if (!steps[i]) steps[i] = rnd() % 2 ? INT64_MAX : INT64_MIN + 1;
            if (rnd() % 8 == 0) ends[i] = steps[i] > 0 ? INT64_MAX : INT64_MIN;
            cnt[a] = naive_slice_axis(dims[a], starts[i], ends[i],
                                      steps[i] == INT64_MAX ? 100 : steps[i] == INT64_MIN + 1 ? -100 : steps[i],
                                      idx[a]);
        }
        or_tensor y;
        assert_int_equal(slice13(dims, r, starts, ends, axes, steps, n, &y), ONNXRUN_OK);
        expect_shape(&y, cnt, r);
        int64_t total = or_numel(&y);
        for (int64_t j = 0; j < total; j++) {
            int64_t rem = j, off = 0, stride = 1;
            for (int a = r - 1; a >= 0; a--) {
                off += idx[a][rem % cnt[a]] * stride;
                rem /= cnt[a];
                stride *= dims[a];
            }
            assert_true(((float *)y.data)[j] == iota[off]);
        }
        free(y.data);
    }
}

/* Pads by bouncing off the ends (reflect) or clamping (edge) one step at a
 * time, on the data cropped by the negative pads. */
static void test_pad_random(void **state)
{
    (void)state;
    static const char *const modes[] = { "constant", "reflect", "edge" };
    for (int iter = 0; iter < 300; iter++) {
        int r = 1 + (int)(rnd() % 4), mode = (int)(rnd() % 3);
        int64_t dims[4], pads[8], od[4], n = 1;
        for (int a = 0; a < r; a++) {
            dims[a] = 1 + rnd() % 5;
            n *= dims[a];
        }
        for (int a = 0; a < r; a++) {
            do {
                pads[a] = (int64_t)(rnd() % 7) - 2;
                pads[a + r] = (int64_t)(rnd() % 7) - 2;
            } while ((pads[a] < 0 ? -pads[a] : 0) + (pads[a + r] < 0 ? -pads[a + r] : 0) >= dims[a]);
            od[a] = dims[a] + pads[a] + pads[a + r];
        }
        int16_t *x = malloc((size_t)n * 2), v = -7;
        for (int64_t i = 0; i < n; i++) x[i] = (int16_t)(i + 1);
        int64_t pd[] = { 2 * r };
        or_tensor xt = kh_tensor(ONNXRUN_INT16, dims, r, x), pt = kh_tensor(ONNXRUN_INT64, pd, 1, pads);
        or_tensor vt = kh_tensor(ONNXRUN_INT16, NULL, 0, &v), y;
        or_tensor *ins[] = { &xt, &pt, &vt };
        or_attr m = { .name = (char *)"mode", .type = OR_ATTR_STRING, .s = (char *)modes[mode],
                      .s_len = strlen(modes[mode]) };
        assert_int_equal(run1("Pad", 11, &m, 1, ins, 3, &y), ONNXRUN_OK);
        expect_shape(&y, od, r);
        int64_t total = or_numel(&y);
        for (int64_t j = 0; j < total; j++) {
            int64_t rem = j, off = 0, stride = 1;
            bool constant = false;
            for (int a = r - 1; a >= 0; a--) {
                int64_t o = rem % od[a], b = pads[a], e = pads[a + r];
                rem /= od[a];
                int64_t c0 = b < 0 ? -b : 0, len = dims[a] - c0 - (e < 0 ? -e : 0);
                int64_t t = o - (b > 0 ? b : 0);
                if (t < 0 || t >= len) {
                    if (mode == 0) constant = true;
                    else if (mode == 2) t = t < 0 ? 0 : len - 1;
                    else if (len == 1) t = 0;
                    else
                        while (t < 0 || t >= len) t = t < 0 ? -t : 2 * (len - 1) - t;
                }
                off += (c0 + t) * stride;
                stride *= dims[a];
            }
            int16_t want = constant ? v : x[off];
            if (((int16_t *)y.data)[j] != want)
                fail_msg("iter %d mode %s element %lld: got %d want %d", iter, modes[mode],
                         (long long)j, ((int16_t *)y.data)[j], want);
        }
        free(y.data);
        free(x);
    }
}

int main(void)
{
    setup_iota();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose_random),
        cmocka_unit_test(test_transpose_4d_tiles),
        cmocka_unit_test(test_transpose_errors),
        cmocka_unit_test(test_concat_each_axis),
        cmocka_unit_test(test_concat_errors),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_trilu),
        cmocka_unit_test(test_depth_space),
        cmocka_unit_test(test_tile),
        cmocka_unit_test(test_reverse_sequence),
        cmocka_unit_test(test_pad),
        cmocka_unit_test(test_slice_random),
        cmocka_unit_test(test_pad_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
