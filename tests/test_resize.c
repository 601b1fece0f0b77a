/*
 * test_resize.c - Resize and Upsample through the kernel harness (which
 * also runs each case threaded, on the slower ISAs), against a naive
 * n-dimensional reference written after the ONNX reference implementation:
 * per output element and axis, the source coordinate, the n input indices
 * nearest to it found by search in the edge-padded axis (ties to the
 * smaller), the mode's coefficients (exclude_outside renormalising), then
 * the sum over every combination of taps (the kernel runs one separable
 * pass per axis over precomputed tap tables). Random ranks, modes,
 * coordinate modes, nearest modes, scales and sizes, axes and
 * keep_aspect_ratio_policy (opset 18), antialias; hand-made cases; errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static uint32_t rng = 99;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static const char *const MODES[] = { "nearest", "linear", "cubic" };
static const char *const TRANS[] = { "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                     "tf_crop_and_resize", "half_pixel_symmetric", "tf_half_pixel_for_nn" };
static const char *const NEAREST[] = { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" };

typedef struct rcase {
    int opset, mode, trans, nearest;   /* indices into the tables; nearest -1: "simple" (opset 10) */
    double a;                          /* cubic_coeff_a */
    bool exclude, antialias;
    double extrapolation;
    double scale[4], roi0[4], roi1[4];
    int64_t out[4];
} rcase;

/* The coefficients of the reference for a fraction ratio in (0, 1]. */
static int coeffs(const rcase *c, double ratio, double scale, double *w)
{
    if (c->mode == 0) {
        bool hi;
        if (ratio == 1) hi = true;
        else if (c->nearest == 0) hi = ratio > 0.5;
        else if (c->nearest == 1) hi = ratio >= 0.5;
        else if (c->nearest == 2) hi = false;
        else if (c->nearest == 3) hi = true;
        else hi = scale < 1; /* simple */
        w[0] = !hi;
        w[1] = hi;
        return 2;
    }
    if (!c->antialias || scale >= 1) {
        if (c->mode == 1) {
            w[0] = 1 - ratio;
            w[1] = ratio;
            return 2;
        }
        double A = c->a, r = ratio, q = 1 - ratio;
        w[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
        w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
        w[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
        w[3] = ((A * (q + 1) - 5 * A) * (q + 1) + 8 * A) * (q + 1) - 4 * A;
        return 4;
    }
    /* antialias (opset 18 reference): the filter stretched by 1 / scale */
    int n = 0;
    double sum = 0;
    if (c->mode == 1) {
        int start = (int)floor(-1 / scale) + 1, fp = 2 - 2 * start;
        for (int i = start; i < start + fp; i++) {
            double v = 1 - fabs((i - ratio) * scale);
            w[n++] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    } else {
        double A = c->a;
        int i0 = (int)floor(-2 / scale) + 1, i1 = 2 - i0;
        for (int i = i0; i < i1; i++) {
            double x = fabs(scale * (i - ratio)), x2 = x * x, x3 = x2 * x;
            w[n++] = x <= 1 ? (A + 2) * x3 - (A + 3) * x2 + 1 : x < 2 ? A * x3 - 5 * A * x2 + 8 * A * x - 4 * A : 0;
        }
    }
    for (int i = 0; i < n; i++) sum += w[i];
    for (int i = 0; i < n; i++) w[i] /= sum;
    return n;
}

/* Axis a of the reference for output position x: its taps (unclamped
 * indices) and weights; -1 when tf_crop_and_resize extrapolates. */
static int ref_axis(const rcase *c, int a, int64_t in, int64_t x, int64_t *idx, double *w)
{
    double s = c->scale[a], len = s * (double)in, xo;
    switch (c->trans) {
    case 0: xo = (x + 0.5) / s - 0.5; break;
    case 1: xo = len == 1 ? -0.5 : (x + 0.5) / s - 0.5; break;
    case 2: xo = len == 1 ? 0 : x * (double)(in - 1) / (len - 1); break;
    case 3: xo = x / s; break;
    case 4:
        xo = len == 1 ? (c->roi1[a] - c->roi0[a]) * (in - 1) / 2
                      : x * (c->roi1[a] - c->roi0[a]) * (in - 1) / (len - 1);
        xo += c->roi0[a] * (in - 1);
        if (xo < 0 || xo > in - 1) return -1;
        break;
    case 5: {
        double adj = (double)c->out[a] / (s * in), center = in / 2.0;
        xo = center * (1 - adj) + (x + 0.5) / s - 0.5;
        break;
    }
    default: xo = (x + 0.5) / s; break;
    }
    double ratio = xo == floor(xo) ? 1 : xo - floor(xo);
    int n = coeffs(c, ratio, s, w);
    /* the n indices nearest xo in the axis padded by ceil(n / 2) (the
     * distances taken before padding: the reference's xo + pad can round
     * a coordinate a few ulps above an integer onto it, a tie the
     * kernel does not reproduce) */
    int64_t pad = (n + 1) / 2, plen = in + 2 * pad;
    bool *taken = calloc((size_t)plen, 1);
    for (int t = 0; t < n; t++) {
        int64_t best = -1;
        for (int64_t i = 0; i < plen; i++)
            if (!taken[i] && (best < 0 || fabs(xo - (double)(i - pad)) < fabs(xo - (double)(best - pad))))
                best = i;
        taken[best] = true;
    }
    for (int64_t i = 0, t = 0; i < plen; i++)
        if (taken[i]) idx[t++] = i - pad;
    free(taken);
    if (c->exclude) {
        double sum = 0;
        for (int t = 0; t < n; t++) {
            if (idx[t] < 0 || idx[t] >= in) w[t] = 0;
            sum += w[t];
        }
        for (int t = 0; t < n; t++) w[t] /= sum;
    }
    return n;
}

/* The reference output of X (dims, rank r) for case c. */
static double *ref_resize(const rcase *c, const float *x, const int64_t *dims, int r)
{
    int64_t ny = 1;
    for (int a = 0; a < r; a++) ny *= c->out[a];
    double *y = malloc((size_t)(ny ? ny : 1) * sizeof *y);
    for (int64_t j = 0; j < ny; j++) {
        int64_t o[4], rem = j, idx[4][64];
        double w[4][64];
        int n[4];
        bool outside = false;
        for (int a = r - 1; a >= 0; a--) {
            o[a] = rem % c->out[a];
            rem /= c->out[a];
        }
        for (int a = 0; a < r; a++) {
            n[a] = ref_axis(c, a, dims[a], o[a], idx[a], w[a]);
            if (n[a] < 0) outside = true;
        }
        if (outside) {
            y[j] = c->extrapolation;
            continue;
        }
        double acc = 0;
        int t[4] = { 0 };
        for (;;) {
            double wt = 1;
            int64_t off = 0;
            for (int a = 0; a < r; a++) {
                int64_t i = idx[a][t[a]];
                i = i < 0 ? 0 : i >= dims[a] ? dims[a] - 1 : i;
                wt *= w[a][t[a]];
                off = off * dims[a] + i;
            }
            acc += wt * x[off];
            int a = r - 1;
            while (a >= 0 && ++t[a] == n[a]) t[a--] = 0;
            if (a < 0) break;
        }
        y[j] = acc;
    }
    return y;
}

static void compare(const or_tensor *y, const double *want, int64_t n, const char *what, int it)
{
    double scale = 1;
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (int64_t i = 0; i < n; i++) {
        double got = ((const float *)y->data)[i];
        if (fabs(got - want[i]) > 2e-5 * scale)
            fail_msg("%s case %d element %lld: got %.8g, want %.8g", what, it, (long long)i, got, want[i]);
    }
}

static or_attr str_attr(const char *name, const char *v)
{
    return (or_attr){ .name = (char *)name, .type = OR_ATTR_STRING, .s = (char *)v, .s_len = strlen(v) };
}

/* Random Resize cases at opsets 11, 13, 18 and 19 (and 10: nearest and
 * linear, asymmetric and "simple" nearest) against the reference. */
static void test_resize_random(void **state)
{
    (void)state;
    static const int opsets[] = { 10, 11, 13, 18, 19 };
    for (int it = 0; it < 400; it++) {
        rcase c = { .opset = opsets[it % 5], .a = -0.75, .extrapolation = 0 };
        int r = 1 + (int)(rnd() % 4);
        int64_t dims[4];
        for (int a = 0; a < r; a++) dims[a] = 1 + rnd() % (r > 2 ? 5 : 9);
        c.mode = (int)(rnd() % (c.opset == 10 ? 2 : 3));
        int ntrans = c.opset >= 19 ? 6 : c.opset >= 13 ? 5 : 7;
        c.trans = c.opset == 10 ? 3 : (int)(rnd() % (unsigned)ntrans);
        if (c.trans == 5 && c.opset < 19) c.trans = 0;
        c.nearest = c.opset == 10 ? -1 : (int)(rnd() % 4);
        if (rnd() % 3 == 0) c.a = -0.5;
        c.exclude = c.opset > 10 && rnd() % 3 == 0;
        c.antialias = c.opset >= 18 && c.mode > 0 && rnd() % 2;
        c.extrapolation = c.trans == 4 ? 2.5 : 0;
        /* axes (opset 18+): a random subset, the rest untouched */
        int64_t axes[4];
        int na = 0;
        bool use_axes = c.opset >= 18 && rnd() % 2, in_axes[4] = { false };
        for (int a = 0; a < r; a++)
            if (!use_axes || rnd() % 2) {
                axes[na++] = rnd() % 2 ? a : a - r;
                in_axes[a] = true;
            }
        if (na == 0) {
            axes[na++] = 0;
            in_axes[0] = true;
        }
        bool sizes = rnd() % 2;
        int keep = c.opset >= 18 && sizes ? (int)(rnd() % 3) : 0;
        float sc[4], roi[8];
        int64_t sz[4];
        double kscale = keep == 1 ? INFINITY : 0;
        for (int i = 0; i < na; i++) {
            int a = (int)(axes[i] < 0 ? axes[i] + r : axes[i]);
            static const float pick[] = { 0.5f, 0.6f, 0.75f, 1.0f, 1.5f, 2.0f, 3.0f, 0.3f, 1.25f };
            sc[i] = pick[rnd() % 9];
            sz[i] = 1 + rnd() % 12;
            roi[i] = (float)(rnd() % 5) * 0.1f;
            roi[na + i] = 1.0f - (float)(rnd() % 4) * 0.1f;
            c.roi0[a] = roi[i];
            c.roi1[a] = roi[na + i];
            double s = (double)sz[i] / (double)dims[a];
            kscale = keep == 1 ? fmin(kscale, s) : fmax(kscale, s);
        }
        for (int a = 0; a < r; a++) {
            c.scale[a] = 1;
            c.out[a] = dims[a];
            if (!in_axes[a]) c.roi0[a] = 0, c.roi1[a] = 1;
        }
        for (int i = 0; i < na; i++) {
            int a = (int)(axes[i] < 0 ? axes[i] + r : axes[i]);
            if (!sizes) {
                double span = c.trans == 4 ? c.roi1[a] - c.roi0[a] : 1;
                c.scale[a] = sc[i];
                c.out[a] = (int64_t)floor(dims[a] * span * (double)sc[i]);
            } else if (keep == 0) {
                c.out[a] = sz[i];
                c.scale[a] = (double)sz[i] / (double)dims[a];
            } else {
                c.scale[a] = kscale;
                c.out[a] = (int64_t)llround(kscale * dims[a]);
            }
        }
        if (c.opset == 10) sizes = false;
        if (c.opset == 10)
            for (int a = 0; a < r; a++) {
                c.scale[a] = a < na ? sc[a] : 1;
                c.out[a] = (int64_t)floor(dims[a] * c.scale[a]);
            }
        int64_t nx = 1, ny = 1;
        for (int a = 0; a < r; a++) {
            nx *= dims[a];
            ny *= c.out[a];
        }
        float *x = malloc((size_t)nx * sizeof *x);
        for (int64_t i = 0; i < nx; i++) x[i] = (float)((int)(rnd() % 2001) - 1000) / 100.0f;
        double *want = ref_resize(&c, x, dims, r);
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, dims, r, x), y;
        int64_t nd[1] = { na }, nroi[1] = { 2 * na };
        or_tensor troi = kh_tensor(ONNXRUN_FLOAT, nroi, 1, roi), tsc = kh_tensor(ONNXRUN_FLOAT, nd, 1, sc);
        or_tensor tsz = kh_tensor(ONNXRUN_INT64, nd, 1, sz);
        or_attr at[10];
        size_t n_at = 0;
        at[n_at++] = str_attr("mode", MODES[c.mode]);
        if (c.opset > 10) {
            at[n_at++] = str_attr("coordinate_transformation_mode", TRANS[c.trans]);
            at[n_at++] = str_attr("nearest_mode", NEAREST[c.nearest]);
            at[n_at++] = (or_attr)KH_FLOAT("cubic_coeff_a", (float)c.a);
            at[n_at++] = (or_attr)KH_INT("exclude_outside", c.exclude);
            at[n_at++] = (or_attr)KH_FLOAT("extrapolation_value", (float)c.extrapolation);
        }
        if (c.opset >= 18) {
            static const char *const keeps[] = { "stretch", "not_larger", "not_smaller" };
            at[n_at++] = (or_attr)KH_INT("antialias", c.antialias);
            at[n_at++] = str_attr("keep_aspect_ratio_policy", keeps[keep]);
            if (use_axes) at[n_at++] = (or_attr){ .name = (char *)"axes", .type = OR_ATTR_INTS, .ints = axes, .n = (size_t)na };
        }
        or_tensor *ins10[] = { &tx, &tsc };
        or_tensor *ins[] = { &tx, c.trans == 4 ? &troi : NULL, sizes ? NULL : &tsc, sizes ? &tsz : NULL };
        or_status st = c.opset == 10 ? run1("Resize", 10, at, n_at, ins10, 2, &y)
                                     : run1("Resize", c.opset, at, n_at, ins, 4, &y);
        if (st != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        expect_shape(&y, c.out, r);
        compare(&y, want, ny, "Resize", it);
        free(y.data);
        free(want);
        free(x);
    }
}

/* Upsample 7 (scales attribute) and 9 (input), nearest and linear, as
 * Resize 10 (checked above against the reference). */
static void test_upsample(void **state)
{
    (void)state;
    float x[6] = { 1, 2, 3, 4, 5, 6 }, sc[4] = { 1, 1, 2, 1.5f };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 1, 2, 3), x), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), sc);
    or_tensor y, z;
    for (int m = 0; m < 2; m++) {
        or_attr mode = str_attr("mode", m ? "linear" : "nearest");
        or_tensor *ins[] = { &tx, &ts };
        assert_int_equal(run1("Resize", 10, &mode, 1, ins, 2, &y), ONNXRUN_OK);
        assert_int_equal(run1("Upsample", 9, &mode, 1, ins, 2, &z), ONNXRUN_OK);
        expect_shape(&z, KH_DIMS(1, 1, 4, 4));
        expect_floats(&z, y.data, 16);
        free(z.data);
        or_attr a7[] = { str_attr("mode", m ? "bilinear" : "nearest"), KH_FLOATS("scales", 1, 1, 2, 1.5f) };
        assert_int_equal(run1("Upsample", 7, a7, 2, ins, 1, &z), ONNXRUN_OK);
        expect_floats(&z, y.data, 16);
        free(z.data);
        free(y.data);
    }
    /* nearest x2 is each value repeated (the U-Net / FPN case) */
    or_attr nn = str_attr("mode", "nearest");
    float s2[4] = { 1, 1, 2, 2 };
    ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), s2);
    or_tensor *ins[] = { &tx, &ts };
    assert_int_equal(run1("Upsample", 9, &nn, 1, ins, 2, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6 }, 24);
    free(y.data);
}

/* Large 2-D bilinear and nearest upsampling (threaded row passes) and an
 * identity resize (a copy). */
static void test_resize_large(void **state)
{
    (void)state;
    int64_t dims[4] = { 1, 3, 37, 53 };
    int64_t n = 3 * 37 * 53;
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(i % 97) / 7.0f;
    for (int m = 0; m < 3; m++) {
        rcase c = { .opset = 13, .mode = m, .trans = m == 2 ? 2 : 1, .nearest = 0, .a = -0.75,
                    .scale = { 1, 1, 2, 2 }, .out = { 1, 3, 74, 106 } };
        if (m == 2) c.scale[2] = c.scale[3] = 1; /* identity on align_corners */
        if (m == 2) c.out[2] = 37, c.out[3] = 53;
        float sc[4] = { 1, 1, (float)c.scale[2], (float)c.scale[3] };
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, dims, 4, x), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), sc), y;
        or_tensor *ins[] = { &tx, NULL, &ts };
        or_attr at[] = { str_attr("mode", MODES[m == 2 ? 1 : m]), str_attr("coordinate_transformation_mode", TRANS[c.trans]) };
        assert_int_equal(run1("Resize", 13, at, 2, ins, 3, &y), ONNXRUN_OK);
        expect_shape(&y, c.out, 4);
        if (m == 2) c.mode = 1;
        double *want = ref_resize(&c, x, dims, 4);
        compare(&y, want, 3 * c.out[2] * c.out[3], "large", m);
        free(want);
        free(y.data);
    }
    free(x);
}

static void test_resize_errors(void **state)
{
    (void)state;
    float x[4] = { 0 }, sc[4] = { 1, 1, 2, 2 }, sc3[3] = { 1, 2, 2 }, neg[4] = { 1, 1, -2, 2 };
    int64_t sz[4] = { 1, 1, 4, 4 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 1, 2, 2), x), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), sc);
    or_tensor tz = kh_tensor(ONNXRUN_INT64, KH_DIMS(4), sz), y;
    or_tensor *both[] = { &tx, NULL, &ts, &tz }, *none[] = { &tx, NULL, NULL, NULL };
    assert_int_equal(run1("Resize", 13, NULL, 0, both, 4, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "exactly one"));
    free(y.data);
    assert_int_equal(run1("Resize", 13, NULL, 0, none, 4, &y), ONNXRUN_E_INVALID);
    free(y.data);
    ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(3), sc3);
    or_tensor *ins[] = { &tx, NULL, &ts };
    assert_int_equal(run1("Resize", 13, NULL, 0, ins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "3 values for 4 axes"));
    free(y.data);
    ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), neg);
    assert_int_equal(run1("Resize", 13, NULL, 0, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(4), sc);
    or_attr bad[] = { str_attr("mode", "bicubic") }, badt[] = { str_attr("coordinate_transformation_mode", "middle") };
    assert_int_equal(run1("Resize", 13, bad, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "bicubic"));
    free(y.data);
    assert_int_equal(run1("Resize", 13, badt, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr sym[] = { str_attr("coordinate_transformation_mode", "half_pixel_symmetric") };
    assert_int_equal(run1("Resize", 18, sym, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
    or_attr crop[] = { str_attr("coordinate_transformation_mode", "tf_crop_and_resize") };
    assert_int_equal(run1("Resize", 13, crop, 1, ins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "roi"));
    free(y.data);
    /* antialiasing an axis down 1/40000: a limit, not 80000 taps per output */
    float *big = calloc(40000, sizeof *big);
    int64_t one[4] = { 1, 1, 1, 1 };
    or_tensor tb = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 1, 40000, 1), big), to = kh_tensor(ONNXRUN_INT64, KH_DIMS(4), one);
    or_tensor *aa_ins[] = { &tb, NULL, NULL, &to };
    or_attr aa[] = { str_attr("mode", "linear"), KH_INT("antialias", 1) };
    assert_int_equal(run1("Resize", 18, aa, 2, aa_ins, 4, &y), ONNXRUN_E_LIMIT);
    assert_non_null(strstr(err, "antialiased"));
    free(y.data);
    aa[1].i = 0;
    assert_int_equal(run1("Resize", 18, aa, 2, aa_ins, 4, &y), ONNXRUN_OK);
    free(y.data);
    free(big);
    int32_t xi[4] = { 0 };
    tx = kh_tensor(ONNXRUN_INT32, KH_DIMS(1, 1, 2, 2), xi);
    assert_int_equal(run1("Resize", 13, NULL, 0, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
}

/* RoiAlign beyond tests/data/torch (torchvision's avg): max mode takes
 * the largest weighted corner of a sample; bad batch indices and modes */
static void test_roialign(void **state)
{
    (void)state;
    float x[4] = { 1, 2, 3, 4 }, roi[4] = { 0, 0, 1, 1 };
    int64_t b0 = 0, b1 = 1;
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 1, 2, 2), x), tr = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 4), roi);
    or_tensor tb = kh_tensor(ONNXRUN_INT64, KH_DIMS(1), &b0), y;
    or_tensor *ins[] = { &tx, &tr, &tb };
    /* one sample at (0.5, 0.5): corners weighted 1/4 each */
    or_attr at[] = { KH_INT("sampling_ratio", 1), KH_STRING("coordinate_transformation_mode", "output_half_pixel"),
                     KH_STRING("mode", "max") };
    assert_int_equal(run1("RoiAlign", 16, at, 3, ins, 3, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 1.0f }, 1);
    free(y.data);
    assert_int_equal(run1("RoiAlign", 16, at, 2, ins, 3, &y), ONNXRUN_OK);
    expect_floats(&y, (float[]){ 2.5f }, 1);
    free(y.data);
    tb.data = &b1;
    assert_int_equal(run1("RoiAlign", 16, at, 2, ins, 3, &y), ONNXRUN_E_RUNTIME);
    assert_non_null(strstr(err, "batch_indices[0] = 1"));
    free(y.data);
    or_attr bad = KH_STRING("mode", "median");
    assert_int_equal(run1("RoiAlign", 16, &bad, 1, ins, 3, &y), ONNXRUN_E_INVALID);
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roialign),
        cmocka_unit_test(test_resize_random),
        cmocka_unit_test(test_upsample),
        cmocka_unit_test(test_resize_large),
        cmocka_unit_test(test_resize_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
