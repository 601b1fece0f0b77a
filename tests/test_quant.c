/*
 * test_quant.c - QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv through the
 * kernel harness, against the spec's formulas written out per element:
 * random shapes, per-tensor and per-axis scales and zero points, every
 * quantized type, ties (half to even) and saturation; integer products
 * by explicit sums over broadcast batches and over 2-D windows with
 * padding, strides, dilations and groups; the errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/op_asserts.h"

static uint32_t rng = 77;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static const onnxrun_dtype QT[] = { ONNXRUN_UINT8, ONNXRUN_INT8, ONNXRUN_UINT16, ONNXRUN_INT16 };

static double qlo(onnxrun_dtype dt)
{
    return dt == ONNXRUN_INT8 ? -128 : dt == ONNXRUN_INT16 ? -32768 : 0;
}
static double qhi(onnxrun_dtype dt)
{
    return dt == ONNXRUN_INT8 ? 127 : dt == ONNXRUN_UINT8 ? 255 : dt == ONNXRUN_INT16 ? 32767 : 65535;
}

static int64_t load(const void *p, onnxrun_dtype dt, int64_t i)
{
    switch (dt) {
    case ONNXRUN_UINT8: return ((const uint8_t *)p)[i];
    case ONNXRUN_INT8: return ((const int8_t *)p)[i];
    case ONNXRUN_UINT16: return ((const uint16_t *)p)[i];
    case ONNXRUN_INT16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

static void store(void *p, onnxrun_dtype dt, int64_t i, int64_t v)
{
    switch (dt) {
    case ONNXRUN_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case ONNXRUN_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case ONNXRUN_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case ONNXRUN_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    default: ((int32_t *)p)[i] = (int32_t)v; break;
    }
}

/* A random value of dt's range (8-bit types only for the products). */
static int64_t rq(onnxrun_dtype dt)
{
    double lo = qlo(dt), hi = qhi(dt);
    return (int64_t)lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1));
}

/* saturate(round-half-even(v) + zero) */
static int64_t quantize(double v, int64_t zero, onnxrun_dtype dt)
{
    double r = floor(v), f = v - r;
    if (f > 0.5 || (f == 0.5 && fmod(r, 2) != 0)) r += 1;
    r += (double)zero;
    return (int64_t)(r < qlo(dt) ? qlo(dt) : r > qhi(dt) ? qhi(dt) : r);
}

static void test_quantize_dequantize(void **state)
{
    (void)state;
    for (int it = 0; it < 200; it++) {
        onnxrun_dtype qt = QT[rnd() % 4];
        bool per_axis = it % 2, with_zero = rnd() % 4 != 0 || qt != ONNXRUN_UINT8, from_int = it % 7 == 0;
        int r = 1 + (int)(rnd() % 4), axis = (int)(rnd() % (uint32_t)r);
        int64_t dims[4], n = 1;
        for (int a = 0; a < r; a++) n *= dims[a] = 1 + rnd() % 4;
        int64_t len = per_axis ? dims[axis] : 1, inner = 1;
        for (int a = axis + 1; a < r; a++) inner *= dims[a];
        float sc[4], *x = malloc((size_t)n * sizeof *x);
        int32_t *xi = malloc((size_t)n * sizeof *xi);
        int64_t zero[4];
        _Alignas(8) uint8_t zbuf[16];
        for (int64_t a = 0; a < len; a++) {
            sc[a] = (float)(0.05 + (rnd() % 100) / 40.0);
            zero[a] = with_zero ? rq(qt) / 2 : 0;
            store(zbuf, qt, a, zero[a]);
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t a = per_axis ? i / inner % len : 0;
            /* ties, far values that saturate, and plain ones */
            int kind = (int)(rnd() % 4);
            xi[i] = (int32_t)(rnd() % 600) - 300;
            x[i] = kind == 0 ? (float)((rnd() % 40) - 20 + 0.5) * sc[a]
                   : kind == 1 ? (float)((int)(rnd() % 200000) - 100000)
                               : (float)((int)(rnd() % 4001) - 2000) / 7.0f;
        }
        or_tensor tx = kh_tensor(from_int ? ONNXRUN_INT32 : ONNXRUN_FLOAT, dims, r, from_int ? (void *)xi : (void *)x);
        or_tensor ts = per_axis ? kh_tensor(ONNXRUN_FLOAT, &len, 1, sc) : kh_tensor(ONNXRUN_FLOAT, NULL, 0, sc);
        or_tensor tz = per_axis ? kh_tensor(qt, &len, 1, zbuf) : kh_tensor(qt, NULL, 0, zbuf);
        or_tensor *ins[] = { &tx, &ts, with_zero ? &tz : NULL }, y, back;
        or_attr ax = KH_INT("axis", axis - (int)(rnd() % 2) * r);
        if (run1("QuantizeLinear", 13, &ax, 1, ins, 3, &y) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        assert_int_equal(y.dtype, with_zero ? qt : ONNXRUN_UINT8);
        expect_shape(&y, dims, r);
        for (int64_t i = 0; i < n; i++) {
            int64_t a = per_axis ? i / inner % len : 0;
            float q = (from_int ? (float)xi[i] : x[i]) / sc[a];
            int64_t want = quantize(q, zero[a], y.dtype);
            if (load(y.data, y.dtype, i) != want)
                fail_msg("case %d element %lld: x %g / %g gives %lld, want %lld", it, (long long)i,
                         (double)x[i], (double)sc[a], (long long)load(y.data, y.dtype, i), (long long)want);
        }
        /* and back: (q - zero) * scale */
        or_tensor *dins[] = { &y, &ts, with_zero ? &tz : NULL };
        if (run1("DequantizeLinear", 13, &ax, 1, dins, 3, &back) != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        assert_int_equal(back.dtype, ONNXRUN_FLOAT);
        for (int64_t i = 0; i < n; i++) {
            int64_t a = per_axis ? i / inner % len : 0;
            float want = (float)(load(y.data, y.dtype, i) - zero[a]) * sc[a];
            if (((float *)back.data)[i] != want) fail_msg("case %d dequantized %lld", it, (long long)i);
        }
        free(y.data);
        free(back.data);
        free(x);
        free(xi);
    }
}

static void test_dequantize_int32(void **state)
{
    (void)state;
    int32_t q[4] = { -2000000, -1, 0, 123456 };
    float s = 0.5f, want[4] = { -1000000.0f, -0.5f, 0, 61728.0f };
    or_tensor tq = kh_tensor(ONNXRUN_INT32, KH_DIMS(4), q), ts = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &s), y;
    or_tensor *ins[] = { &tq, &ts };
    assert_int_equal(run1("DequantizeLinear", 10, NULL, 0, ins, 2, &y), ONNXRUN_OK);
    expect_floats(&y, want, 4);
    free(y.data);
}

static void test_dynamic_quantize(void **state)
{
    (void)state;
    for (int it = 0; it < 60; it++) {
        int64_t n = 1 + rnd() % 30;
        float x[30];
        int shift = it % 3; /* all positive, all negative, mixed */
        for (int64_t i = 0; i < n; i++) {
            float v = (float)(rnd() % 1000) / 97.0f;
            x[i] = shift == 0 ? v : shift == 1 ? -v : v - 5;
        }
        double mn = 0, mx = 0;
        for (int64_t i = 0; i < n; i++) {
            mn = fmin(mn, x[i]);
            mx = fmax(mx, x[i]);
        }
        float s = (float)(mx - mn) / 255.0f;
        int64_t zero = quantize(-mn / s, 0, ONNXRUN_UINT8);
        or_tensor tx = kh_tensor(ONNXRUN_FLOAT, &n, 1, x), y = { 0 }, ys = { 0 }, yz = { 0 };
        or_tensor *ins[] = { &tx }, *outs[] = { &y, &ys, &yz };
        if (kh_run("", "DynamicQuantizeLinear", 11, NULL, 0, ins, 1, outs, 3, err, sizeof err) != ONNXRUN_OK)
            fail_msg("%s", err);
        if (fabsf(*(float *)ys.data - s) > 1e-7f * s) fail_msg("case %d scale %g want %g", it, (double)*(float *)ys.data, (double)s);
        assert_int_equal(*(uint8_t *)yz.data, zero);
        for (int64_t i = 0; i < n; i++)
            assert_int_equal(((uint8_t *)y.data)[i], quantize(x[i] / s, zero, ONNXRUN_UINT8));
        free(y.data);
        free(ys.data);
        free(yz.data);
    }
}

/* ---- products ---- */

static void test_matmul_integer(void **state)
{
    (void)state;
    for (int it = 0; it < 120; it++) {
        bool qlinear = it % 2;
        onnxrun_dtype at = rnd() % 2 ? ONNXRUN_UINT8 : ONNXRUN_INT8, bt = rnd() % 2 ? ONNXRUN_UINT8 : ONNXRUN_INT8;
        onnxrun_dtype yt = rnd() % 2 ? ONNXRUN_UINT8 : ONNXRUN_INT8;
        int64_t M = 1 + rnd() % 5, K = 1 + rnd() % 9, N = 1 + rnd() % 6;
        /* batches: A [B1?, M, K], B [B1? or 1, K, N] or 2-D */
        int64_t b1 = 1 + rnd() % 3, bb = rnd() % 2 ? b1 : 1;
        bool batched = rnd() % 2, b_batched = batched && rnd() % 2;
        int64_t da[3] = { b1, M, K }, db[3] = { bb, K, N };
        int ra = batched ? 3 : 2, rb = b_batched ? 3 : 2;
        int64_t batches = batched ? b1 : 1, na = batches * M * K, nb = (b_batched ? bb : 1) * K * N;
        uint8_t *a = malloc((size_t)na), *b = malloc((size_t)nb), az[8], bz[8];
        for (int64_t i = 0; i < na; i++) store(a, at, i, rq(at));
        for (int64_t i = 0; i < nb; i++) store(b, bt, i, rq(bt));
        bool row_zero = !qlinear && rnd() % 2, col_zero = rnd() % 2, col_scale = qlinear && rnd() % 2;
        int64_t nza = row_zero ? M : 1, nzb = col_zero ? N : 1;
        for (int64_t i = 0; i < nza; i++) store(az, at, i, rq(at));
        for (int64_t i = 0; i < nzb; i++) store(bz, bt, i, rq(bt));
        float as = 0.02f + (float)(rnd() % 50) / 500, bs[8], ys = 0.5f + (float)(rnd() % 40) / 10;
        for (int64_t j = 0; j < 8; j++) bs[j] = 0.01f + (float)(rnd() % 50) / 300;
        uint8_t yz = (uint8_t)rq(yt);
        or_tensor ta = kh_tensor(at, batched ? da : da + 1, ra, a);
        or_tensor tb = kh_tensor(bt, b_batched ? db : db + 1, rb, b);
        or_tensor taz = row_zero ? kh_tensor(at, &M, 1, az) : kh_tensor(at, NULL, 0, az);
        or_tensor tbz = col_zero ? kh_tensor(bt, &N, 1, bz) : kh_tensor(bt, NULL, 0, bz);
        or_tensor tas = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &as), tys = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &ys);
        or_tensor tbs = col_scale ? kh_tensor(ONNXRUN_FLOAT, &N, 1, bs) : kh_tensor(ONNXRUN_FLOAT, NULL, 0, bs);
        or_tensor tyz = kh_tensor(yt, NULL, 0, &yz), y;
        or_tensor *ins_i[] = { &ta, &tb, &taz, &tbz };
        or_tensor *ins_q[] = { &ta, &tas, &taz, &tb, &tbs, &tbz, &tys, &tyz };
        or_status st = qlinear ? run1("QLinearMatMul", 10, NULL, 0, ins_q, 8, &y)
                               : run1("MatMulInteger", 10, NULL, 0, ins_i, 4, &y);
        if (st != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        assert_int_equal(y.dtype, qlinear ? yt : ONNXRUN_INT32);
        assert_int_equal(y.rank, batched ? 3 : 2);
        for (int64_t t = 0; t < batches; t++)
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < N; j++) {
                    int64_t acc = 0, boff = b_batched && bb > 1 ? t * K * N : 0;
                    for (int64_t q = 0; q < K; q++)
                        acc += (load(a, at, (t * M + i) * K + q) - load(az, at, row_zero ? i : 0)) *
                               (load(b, bt, boff + q * N + j) - load(bz, bt, col_zero ? j : 0));
                    int64_t want = acc, at_y = (t * M + i) * N + j;
                    if (qlinear)
                        want = quantize((float)acc * (as * bs[col_scale ? j : 0] / ys), load(&yz, yt, 0), yt);
                    if (load(y.data, y.dtype, at_y) != want)
                        fail_msg("case %d [%lld,%lld,%lld]: got %lld, want %lld", it, (long long)t, (long long)i,
                                 (long long)j, (long long)load(y.data, y.dtype, at_y), (long long)want);
                }
        free(y.data);
        free(a);
        free(b);
    }
}

static void test_conv_integer(void **state)
{
    (void)state;
    for (int it = 0; it < 120; it++) {
        bool qlinear = it % 2;
        onnxrun_dtype xt = rnd() % 2 ? ONNXRUN_UINT8 : ONNXRUN_INT8, wt = rnd() % 2 ? ONNXRUN_UINT8 : ONNXRUN_INT8;
        onnxrun_dtype yt = rnd() % 2 ? ONNXRUN_UINT8 : ONNXRUN_INT8;
        int64_t G = 1 + rnd() % 2, cg = 1 + rnd() % 3, mg = 1 + rnd() % 3, N = 1 + rnd() % 2;
        int64_t C = G * cg, M = G * mg, H = 1 + rnd() % 7, W = 1 + rnd() % 7;
        int64_t kh = 1 + rnd() % 3, kw = 1 + rnd() % 3, sh = 1 + rnd() % 2, sw = 1 + rnd() % 2;
        int64_t dh = 1 + rnd() % 2, dw = 1 + rnd() % 2, pt = rnd() % 2, pl = rnd() % 3, pb = rnd() % 2, pr = rnd() % 2;
        int64_t eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
        if (H + pt + pb < eh || W + pl + pr < ew) continue;
        int64_t OH = (H + pt + pb - eh) / sh + 1, OW = (W + pl + pr - ew) / sw + 1;
        int64_t nx = N * C * H * W, nw = M * cg * kh * kw;
        uint8_t *x = malloc((size_t)nx), *w = malloc((size_t)nw), xz = (uint8_t)rq(xt), wz[8];
        for (int64_t i = 0; i < nx; i++) store(x, xt, i, rq(xt));
        for (int64_t i = 0; i < nw; i++) store(w, wt, i, rq(wt));
        bool per_m = rnd() % 2;
        for (int64_t m = 0; m < M; m++) store(wz, wt, m, rq(wt) / 4);
        float xs = 0.01f + (float)(rnd() % 30) / 300, ws[8], ys = 0.2f + (float)(rnd() % 40) / 20;
        int32_t bias[8];
        for (int64_t m = 0; m < M; m++) {
            ws[m] = 0.01f + (float)(rnd() % 30) / 300;
            bias[m] = (int32_t)(rnd() % 2001) - 1000;
        }
        bool with_bias = qlinear && rnd() % 2;
        uint8_t yz = (uint8_t)rq(yt);
        or_tensor tx = kh_tensor(xt, KH_DIMS(N, C, H, W), x), tw = kh_tensor(wt, KH_DIMS(M, cg, kh, kw), w);
        or_tensor txz = kh_tensor(xt, NULL, 0, &xz);
        or_tensor twz = per_m ? kh_tensor(wt, &M, 1, wz) : kh_tensor(wt, NULL, 0, wz);
        or_tensor txs = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &xs), tys = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &ys);
        or_tensor tws = per_m ? kh_tensor(ONNXRUN_FLOAT, &M, 1, ws) : kh_tensor(ONNXRUN_FLOAT, NULL, 0, ws);
        or_tensor tyz = kh_tensor(yt, NULL, 0, &yz), tb = kh_tensor(ONNXRUN_INT32, &M, 1, bias), y;
        or_tensor *ins_i[] = { &tx, &tw, &txz, &twz };
        or_tensor *ins_q[] = { &tx, &txs, &txz, &tw, &tws, &twz, &tys, &tyz, with_bias ? &tb : NULL };
        or_attr at[] = { KH_INTS("strides", sh, sw), KH_INTS("dilations", dh, dw), KH_INTS("pads", pt, pl, pb, pr),
                         KH_INT("group", G) };
        or_status st = qlinear ? run1("QLinearConv", 10, at, 4, ins_q, 9, &y)
                               : run1("ConvInteger", 10, at, 4, ins_i, 4, &y);
        if (st != ONNXRUN_OK) fail_msg("case %d: %s", it, err);
        expect_shape(&y, KH_DIMS(N, M, OH, OW));
        for (int64_t n = 0; n < N; n++)
            for (int64_t m = 0; m < M; m++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++) {
                        int64_t acc = 0, g = m / mg;
                        for (int64_t c = 0; c < cg; c++)
                            for (int64_t i = 0; i < kh; i++)
                                for (int64_t j = 0; j < kw; j++) {
                                    int64_t ih = oh * sh - pt + i * dh, iw = ow * sw - pl + j * dw;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    int64_t xv = load(x, xt, ((n * C + g * cg + c) * H + ih) * W + iw);
                                    int64_t wv = load(w, wt, ((m * cg + c) * kh + i) * kw + j);
                                    acc += (xv - load(&xz, xt, 0)) * (wv - load(wz, wt, per_m ? m : 0));
                                }
                        int64_t want = acc;
                        if (qlinear) {
                            if (with_bias) acc += bias[m];
                            want = quantize((float)acc * (xs * ws[per_m ? m : 0] / ys), load(&yz, yt, 0), yt);
                        }
                        int64_t got = load(y.data, y.dtype, ((n * M + m) * OH + oh) * OW + ow);
                        if (got != want)
                            fail_msg("case %d y[%lld,%lld,%lld,%lld]: got %lld, want %lld", it, (long long)n,
                                     (long long)m, (long long)oh, (long long)ow, (long long)got, (long long)want);
                    }
        free(y.data);
        free(x);
        free(w);
    }
}

static void test_quant_errors(void **state)
{
    (void)state;
    /* empty products: no scratch, empty outputs (fuzz finds) */
    {
        uint8_t one[4] = { 1, 2, 3, 4 };
        or_tensor ea = kh_tensor(ONNXRUN_UINT8, KH_DIMS(0, 2), one), eb = kh_tensor(ONNXRUN_UINT8, KH_DIMS(2, 2), one), y;
        or_tensor *ins[] = { &ea, &eb };
        assert_int_equal(run1("MatMulInteger", 10, NULL, 0, ins, 2, &y), ONNXRUN_OK);
        assert_int_equal(or_numel(&y), 0);
        free(y.data);
        eb = kh_tensor(ONNXRUN_UINT8, KH_DIMS(2, 0), one);
        ea = kh_tensor(ONNXRUN_UINT8, KH_DIMS(3, 2), one);
        assert_int_equal(run1("MatMulInteger", 10, NULL, 0, ins, 2, &y), ONNXRUN_OK);
        assert_int_equal(or_numel(&y), 0);
        free(y.data);
        or_tensor cx = kh_tensor(ONNXRUN_UINT8, KH_DIMS(0, 1, 3, 3), one), cw = kh_tensor(ONNXRUN_UINT8, KH_DIMS(1, 1, 1, 1), one);
        or_tensor *cins[] = { &cx, &cw };
        assert_int_equal(run1("ConvInteger", 10, NULL, 0, cins, 2, &y), ONNXRUN_OK);
        assert_int_equal(or_numel(&y), 0);
        free(y.data);
    }
    float x[6] = { 0 }, s2[2] = { 1, 1 }, s = 1;
    uint8_t z = 0, q[6] = { 0 };
    int8_t z8 = 0;
    or_tensor tx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2, 3), x), ts = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(2), s2), y;
    or_tensor tz = kh_tensor(ONNXRUN_UINT8, NULL, 0, &z);
    or_tensor *ins[] = { &tx, &ts, &tz };
    /* a per-axis scale of the wrong length, and at opset 10 */
    or_attr ax = KH_INT("axis", 1);
    assert_int_equal(run1("QuantizeLinear", 13, &ax, 1, ins, 2, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "along axis 1"));
    free(y.data);
    assert_int_equal(run1("QuantizeLinear", 10, NULL, 0, ins, 2, &y), ONNXRUN_E_SHAPE);
    free(y.data);
    /* the scale length right, the zero point not */
    or_attr ax0 = KH_INT("axis", 0);
    assert_int_equal(run1("QuantizeLinear", 13, &ax0, 1, ins, 3, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "differ in length"));
    free(y.data);
    /* zero point type against output_dtype; blocked quantization */
    ts = kh_tensor(ONNXRUN_FLOAT, NULL, 0, &s);
    or_attr od = KH_INT("output_dtype", ONNXRUN_INT8);
    assert_int_equal(run1("QuantizeLinear", 21, &od, 1, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    or_attr bl = KH_INT("block_size", 2);
    assert_int_equal(run1("QuantizeLinear", 21, &bl, 1, ins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "block_size"));
    free(y.data);
    /* Dequantize: zero point of another type */
    or_tensor tq = kh_tensor(ONNXRUN_UINT8, KH_DIMS(2, 3), q), tz8 = kh_tensor(ONNXRUN_INT8, NULL, 0, &z8);
    or_tensor *dins[] = { &tq, &ts, &tz8 };
    assert_int_equal(run1("DequantizeLinear", 13, NULL, 0, dins, 3, &y), ONNXRUN_E_UNSUPPORTED);
    assert_non_null(strstr(err, "zero point"));
    free(y.data);
    /* MatMulInteger: mixed zero point type, K mismatch */
    or_tensor ta = kh_tensor(ONNXRUN_UINT8, KH_DIMS(2, 3), q), tb = kh_tensor(ONNXRUN_UINT8, KH_DIMS(2, 3), q);
    or_tensor *mins[] = { &ta, &tb };
    assert_int_equal(run1("MatMulInteger", 10, NULL, 0, mins, 2, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "inner dimensions"));
    free(y.data);
    tb = kh_tensor(ONNXRUN_UINT8, KH_DIMS(3, 2), q);
    or_tensor *mins2[] = { &ta, &tb, &tz8 };
    assert_int_equal(run1("MatMulInteger", 10, NULL, 0, mins2, 3, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    /* ConvInteger: float input; channels that do not match */
    or_tensor cx = kh_tensor(ONNXRUN_FLOAT, KH_DIMS(1, 2, 3), x), cw = kh_tensor(ONNXRUN_UINT8, KH_DIMS(1, 1, 1), q);
    or_tensor *cins[] = { &cx, &cw };
    assert_int_equal(run1("ConvInteger", 10, NULL, 0, cins, 2, &y), ONNXRUN_E_UNSUPPORTED);
    free(y.data);
    cx = kh_tensor(ONNXRUN_UINT8, KH_DIMS(1, 2, 3), q);
    assert_int_equal(run1("ConvInteger", 10, NULL, 0, cins, 2, &y), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "channels"));
    free(y.data);
    /* QLinearMatMul without its zero points */
    or_tensor *qins[] = { &ta, &ts, NULL, &tb, &ts, NULL, &ts, NULL };
    assert_int_equal(run1("QLinearMatMul", 10, NULL, 0, qins, 8, &y), ONNXRUN_E_INVALID);
    assert_non_null(strstr(err, "zero points"));
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_dequantize),
        cmocka_unit_test(test_dequantize_int32),
        cmocka_unit_test(test_dynamic_quantize),
        cmocka_unit_test(test_matmul_integer),
        cmocka_unit_test(test_conv_integer),
        cmocka_unit_test(test_quant_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
