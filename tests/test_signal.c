/*
 * test_signal.c - the windows, DFT, STFT and MelWeightMatrix through the
 * kernel harness, against the definitions: window formulas, transforms
 * summed term by term with cos/sin of each angle in long double (real and
 * complex input, padding and cutting by dft_length, inverse, onesided,
 * every signal axis), STFT frames cut by hand, the mel triangles of the
 * spec's reference; the errors.
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

static uint32_t rng = 555;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static void test_windows(void **state)
{
    (void)state;
    static const char *const ops[] = { "HannWindow", "HammingWindow", "BlackmanWindow" };
    static const double a[3][3] = { { 0.5, 0.5, 0 }, { 25.0 / 46, 21.0 / 46, 0 }, { 0.42, 0.5, 0.08 } };
    for (int op = 0; op < 3; op++)
        for (int64_t size = 0; size < 12; size++)
            for (int periodic = 0; periodic < 2; periodic++) {
                int32_t sz = (int32_t)size;
                or_tensor ts = kh_tensor(ONNXRUN_INT32, NULL, 0, &sz), y;
                or_tensor *ins[] = { &ts };
                or_attr at[] = { KH_INT("periodic", periodic), KH_INT("output_datatype", ONNXRUN_DOUBLE) };
                if (run1(ops[op], 17, at, 2, ins, 1, &y) != ONNXRUN_OK) fail_msg("%s", err);
                expect_shape(&y, &size, 1);
                double den = (double)(periodic ? size : size - 1);
                for (int64_t n = 0; n < size; n++) {
                    double x = den > 0 ? 2 * M_PI * (double)n / den : 0;
                    double want = a[op][0] - a[op][1] * cos(x) + a[op][2] * cos(2 * x);
                    if (fabs(((double *)y.data)[n] - want) > 1e-12)
                        fail_msg("%s size %lld periodic %d [%lld]", ops[op], (long long)size, periodic, (long long)n);
                }
                free(y.data);
            }
}

/* X[b] of x[0..len) (complex pairs) zero-padded to n. */
static void naive_dft(const double *x, int64_t len, int64_t n, int64_t b, bool inverse, double *re, double *im)
{
    long double sr = 0, si = 0;
    for (int64_t t = 0; t < len && t < n; t++) {
        long double ang = (inverse ? 2 : -2) * 3.14159265358979323846264338327950288L * (long double)t * (long double)b /
                          (long double)n;
        sr += x[2 * t] * cosl(ang) - x[2 * t + 1] * sinl(ang);
        si += x[2 * t] * sinl(ang) + x[2 * t + 1] * cosl(ang);
    }
    *re = (double)(inverse ? sr / n : sr);
    *im = (double)(inverse ? si / n : si);
}

static void test_dft(void **state)
{
    (void)state;
    for (int it = 0; it < 120; it++) {
        int r = 3 + (int)(rnd() % 2); /* [batch, d1, (d2,) c] */
        int64_t dims[4] = { 1 + rnd() % 2, 1 + rnd() % 9, 1 + rnd() % 5, 0 };
        int64_t c = 1 + rnd() % 2;
        dims[r - 1] = c;
        int axis = 1 + (int)(rnd() % (uint32_t)(r - 2));
        bool inverse = rnd() % 3 == 0, onesided = !inverse && rnd() % 2, with_len = rnd() % 2, dbl = rnd() % 2;
        int64_t len = dims[axis], n = with_len ? 1 + rnd() % 12 : len, bins = onesided ? n / 2 + 1 : n;
        int64_t total = 1;
        for (int a = 0; a < r; a++) total *= dims[a];
        double *x = malloc((size_t)total * sizeof *x);
        float *xf = malloc((size_t)total * sizeof *xf);
        for (int64_t i = 0; i < total; i++) xf[i] = (float)(x[i] = (double)(rnd() % 200) / 10.0 - 10.0);
        int64_t nlen = n;
        or_tensor tx = kh_tensor(dbl ? ONNXRUN_DOUBLE : ONNXRUN_FLOAT, dims, r, dbl ? (void *)x : (void *)xf);
        or_tensor tn = kh_tensor(ONNXRUN_INT64, NULL, 0, &nlen), y;
        or_tensor *ins[] = { &tx, with_len ? &tn : NULL };
        or_attr at[] = { KH_INT("axis", axis - (rnd() % 2 ? r : 0)), KH_INT("inverse", inverse), KH_INT("onesided", onesided) };
        if (run1("DFT", 17, at, 3, ins, 2, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        int64_t outer = 1, inner = 1;
        for (int a = 0; a < axis; a++) outer *= dims[a];
        for (int a = axis + 1; a < r - 1; a++) inner *= dims[a];
        assert_int_equal(y.dims[axis], bins);
        assert_int_equal(y.dims[r - 1], 2);
        double line[2 * 16];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t e = 0; e < inner; e++) {
                for (int64_t t = 0; t < len; t++) {
                    int64_t at_x = ((o * len + t) * inner + e) * c;
                    line[2 * t] = dbl ? x[at_x] : (double)xf[at_x];
                    line[2 * t + 1] = c == 2 ? (dbl ? x[at_x + 1] : (double)xf[at_x + 1]) : 0;
                }
                for (int64_t b = 0; b < bins; b++) {
                    double re, im;
                    naive_dft(line, len, n, b, inverse, &re, &im);
                    int64_t at_y = ((o * bins + b) * inner + e) * 2;
                    double gr = dbl ? ((double *)y.data)[at_y] : ((float *)y.data)[at_y];
                    double gi = dbl ? ((double *)y.data)[at_y + 1] : ((float *)y.data)[at_y + 1];
                    double tol = (dbl ? 1e-9 : 1e-4) * (1 + fabs(re) + fabs(im));
                    if (fabs(gr - re) > tol || fabs(gi - im) > tol)
                        fail_msg("case %d bin %lld: got (%g, %g), want (%g, %g)", it, (long long)b, gr, gi, re, im);
                }
            }
        free(y.data);
        free(x);
        free(xf);
    }
}

static void test_stft(void **state)
{
    (void)state;
    for (int it = 0; it < 60; it++) {
        int64_t B = 1 + rnd() % 2, L = 4 + rnd() % 20, flen = 1 + rnd() % 8, step = 1 + rnd() % 5;
        if (flen > L) flen = L;
        bool with_window = rnd() % 2, onesided = rnd() % 2;
        float *x = malloc((size_t)(B * L) * sizeof *x), w[8];
        for (int64_t i = 0; i < B * L; i++) x[i] = (float)(rnd() % 100) / 10.0f;
        for (int64_t i = 0; i < flen; i++) w[i] = (float)(rnd() % 10) / 10.0f;
        int64_t frames = 1 + (L - flen) / step, bins = onesided ? flen / 2 + 1 : flen;
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(B, L, 1), x), ts = kh_tensor(ONNXRUN_INT64, NULL, 0, &step);
        or_tensor tw = kh_tensor(ONNXRUN_FLOAT, &flen, 1, w), tl = kh_tensor(ONNXRUN_INT64, NULL, 0, &flen), y;
        or_tensor *ins[] = { &tx, &ts, with_window ? &tw : NULL, with_window && rnd() % 2 ? NULL : &tl };
        or_attr os = KH_INT("onesided", onesided);
        if (run1("STFT", 17, &os, 1, ins, 4, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        expect_shape(&y, KH_DIMS(B, frames, bins, 2));
        double frame[2 * 8];
        for (int64_t b = 0; b < B; b++)
            for (int64_t f = 0; f < frames; f++) {
                for (int64_t t = 0; t < flen; t++) {
                    frame[2 * t] = (double)x[b * L + f * step + t] * (with_window ? (double)w[t] : 1.0);
                    frame[2 * t + 1] = 0;
                }
                for (int64_t q = 0; q < bins; q++) {
                    double re, im;
                    naive_dft(frame, flen, flen, q, false, &re, &im);
                    const float *g = (const float *)y.data + ((b * frames + f) * bins + q) * 2;
                    if (fabs(g[0] - re) > 1e-4 * (1 + fabs(re)) || fabs(g[1] - im) > 1e-4 * (1 + fabs(im)))
                        fail_msg("case %d frame %lld bin %lld", it, (long long)f, (long long)q);
                }
            }
        free(y.data);
        free(x);
    }
}

static void test_mel(void **state)
{
    (void)state;
    for (int it = 0; it < 30; it++) {
        int32_t mels = 1 + (int32_t)(rnd() % 10), dft = 8 + (int32_t)(rnd() % 120), rate = 8000 + (int32_t)(rnd() % 40000);
        float lo = (float)(rnd() % 300), hi = lo + 1000 + (float)(rnd() % 3000);
        or_tensor ins_t[5] = { kh_tensor(ONNXRUN_INT32, NULL, 0, &mels), kh_tensor(ONNXRUN_INT32, NULL, 0, &dft),
                               kh_tensor(ONNXRUN_INT32, NULL, 0, &rate), kh_tensor(ONNXRUN_FLOAT, NULL, 0, &lo),
                               kh_tensor(ONNXRUN_FLOAT, NULL, 0, &hi) };
        or_tensor *ins[] = { &ins_t[0], &ins_t[1], &ins_t[2], &ins_t[3], &ins_t[4] }, y;
        if (run1("MelWeightMatrix", 17, NULL, 0, ins, 5, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        int64_t bins = dft / 2 + 1;
        expect_shape(&y, KH_DIMS(bins, mels));
        /* the spec's reference: points on the mel scale, then triangles */
        double mlo = 2595 * log10(1 + lo / 700.0), mhi = 2595 * log10(1 + hi / 700.0);
        int64_t pt[12];
        for (int i = 0; i < mels + 2; i++) {
            double mel = i * ((mhi - mlo) / (mels + 2)) + mlo, hz = 700 * (pow(10, mel / 2595) - 1);
            pt[i] = (int64_t)floor((dft + 1) * hz / rate);
        }
        for (int64_t j = 0; j < bins; j++)
            for (int i = 0; i < mels; i++) {
                double want = 0;
                int64_t l = pt[i], c = pt[i + 1], rr = pt[i + 2];
                if (j == c && l == c) want = 1;
                if (c > l && j >= l && j <= c) want = (double)(j - l) / (double)(c - l);
                if (rr > c && j >= c && j < rr) want = (double)(rr - j) / (double)(rr - c);
                if (fabsf(((float *)y.data)[j * mels + i] - (float)want) > 1e-6f)
                    fail_msg("case %d [%lld, %d]: got %g want %g", it, (long long)j, i, (double)((float *)y.data)[j * mels + i], want);
            }
        free(y.data);
    }
}

static void test_signal_errors(void **state)
{
    (void)state;
    int32_t neg = -1;
    or_tensor ts = kh_tensor(ONNXRUN_INT32, NULL, 0, &neg), y;
    or_tensor *ins[] = { &ts };
    assert_int_equal(run1("HannWindow", 17, NULL, 0, ins, 1, &y), ONNXRUN_E_INVALID);
    free(y.data);
    float x[8] = { 0 };
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 4, 3), x);
    or_tensor *dins[] = { &tx };
    assert_int_equal(run1("DFT", 17, NULL, 0, dins, 1, &y), ONNXRUN_E_SHAPE); /* last dim 3 */
    free(y.data);
    tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 4, 1), x);
    or_attr ax = KH_INT("axis", 0);
    assert_int_equal(run1("DFT", 17, &ax, 1, dins, 1, &y), ONNXRUN_E_INVALID); /* the batch axis */
    assert_non_null(strstr(err, "signal axis"));
    free(y.data);
    int64_t step = 1, big = 9;
    or_tensor tst = kh_tensor(ONNXRUN_INT64, NULL, 0, &step), tl = kh_tensor(ONNXRUN_INT64, NULL, 0, &big);
    or_tensor *sins[] = { &tx, &tst, NULL, &tl };
    assert_int_equal(run1("STFT", 17, NULL, 0, sins, 4, &y), ONNXRUN_E_INVALID); /* frame past the signal */
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_dft),
        cmocka_unit_test(test_stft),
        cmocka_unit_test(test_mel),
        cmocka_unit_test(test_signal_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
