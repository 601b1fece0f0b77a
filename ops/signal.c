/*
 * signal.c - the signal-processing ops of opset 17: the windows
 * HannWindow, HammingWindow and BlackmanWindow, DFT (17, 20), STFT and
 * MelWeightMatrix.
 *
 * Windows: w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), n < size,
 * N = size (periodic) or size - 1 (symmetric); Hann 0.5, 0.5; Hamming
 * 25/46, 21/46; Blackman 0.42, 0.5, 0.08.
 *
 * DFT: along one axis of [batch..., n, 1 | 2] (real, or complex as
 * re, im), zero-padded or cut to dft_length, inverse scaled by 1 / n,
 * onesided keeping bins 0 .. n / 2. Computed per line in double by direct
 * summation with a precomputed twiddle table, O(n^2) per line: correct for
 * any length; nothing here is a fast transform yet.
 *
 * STFT: frames of frame_length every frame_step samples of [batch, len,
 * 1 | 2], times the window, each transformed as above (onesided by
 * default) into [batch, frames, bins, 2].
 *
 * MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular filters
 * between mel-spaced points, as the spec's reference computes them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

#define SIG_MAX_LEN ((int64_t)1 << 24) /* longest window / transform accepted */

/* A known integer scalar input (int32 or int64). */
static or_status known_int(or_kernel *k, size_t i, const char *what, int64_t *v)
{
    const or_tensor *t;
    const void *d;
    OR_TRY(or_need_input(k, i, &t));
    OR_TRY(or_check_dtype(k, i, ONNXRUN_INT32, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, or_numel(t) == 1, "%s must hold one value", what);
    OR_TRY(or_need_known(k, i, what, &d));
    *v = t->dtype == ONNXRUN_INT32 ? *(const int32_t *)d : *(const int64_t *)d;
    return ONNXRUN_OK;
}

/* A known float (or double) scalar input. */
static or_status known_real(or_kernel *k, size_t i, const char *what, double *v)
{
    const or_tensor *t;
    const void *d;
    OR_TRY(or_need_input(k, i, &t));
    OR_TRY(or_check_dtype(k, i, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, or_numel(t) == 1, "%s must hold one value", what);
    OR_TRY(or_need_known(k, i, what, &d));
    *v = t->dtype == ONNXRUN_FLOAT ? *(const float *)d : *(const double *)d;
    return ONNXRUN_OK;
}

static void store(void *y, onnxrun_dtype dt, int64_t i, double v)
{
    if (dt == ONNXRUN_DOUBLE) ((double *)y)[i] = v;
    else ((float *)y)[i] = (float)v;
}

static double load(const void *x, onnxrun_dtype dt, int64_t i)
{
    return dt == ONNXRUN_DOUBLE ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

/* output_datatype: float or double here. */
static or_status out_type(or_kernel *k, onnxrun_dtype *dt)
{
    int64_t v;
    OR_TRY(or_attr_int(k, "output_datatype", ONNXRUN_FLOAT, &v));
    OR_CHECK_TYPE(k, v == ONNXRUN_FLOAT || v == ONNXRUN_DOUBLE, "output_datatype %lld is not float or double",
                  (long long)v);
    *dt = (onnxrun_dtype)v;
    return ONNXRUN_OK;
}

/* ---- windows ---- */

typedef struct window_params {
    double a0, a1, a2;
    bool periodic;
    onnxrun_dtype dt;
    int64_t size;
} window_params;

static or_status window_init(or_kernel *k)
{
    window_params *p = k->params;
    const char *op = k->def->op_type;
    int64_t periodic;
    OR_TRY(or_attr_int(k, "periodic", 1, &periodic));
    p->periodic = periodic != 0;
    OR_TRY(out_type(k, &p->dt));
    if (op[0] == 'H' && op[2] == 'n') p->a0 = p->a1 = 0.5;            /* Hann */
    else if (op[0] == 'H') p->a0 = 25.0 / 46, p->a1 = 21.0 / 46;     /* Hamming */
    else p->a0 = 0.42, p->a1 = 0.5, p->a2 = 0.08;                     /* Blackman */
    return ONNXRUN_OK;
}

static or_status window_infer(or_kernel *k)
{
    window_params *p = k->params;
    OR_TRY(known_int(k, 0, "size", &p->size));
    OR_CHECK(k, p->size >= 0 && p->size <= SIG_MAX_LEN, "size %lld is outside [0, 2^24]", (long long)p->size);
    return or_set_shape(k, k->out[0], p->dt, 1, &p->size);
}

static or_status window_run(or_kernel *k)
{
    const window_params *p = k->params;
    double n_den = (double)(p->periodic ? p->size : p->size - 1);
    for (int64_t n = 0; n < p->size; n++) {
        double a = n_den > 0 ? 2 * M_PI * (double)n / n_den : 0;
        store(k->out[0]->data, p->dt, n, p->a0 - p->a1 * cos(a) + p->a2 * cos(2 * a));
    }
    return ONNXRUN_OK;
}

/* ---- the transform of one line ---- */

/* out[b] (b < bins) = sum over t < n of in[t] e^(-+2 pi i t b / n), in
 * complex (re, im pairs) of length n (len values given, the rest 0);
 * inverse: + and scaled by 1 / n. tw: n cos, n sin of 2 pi j / n. */
static void dft_line(const double *in, int64_t len, int64_t n, int64_t bins, bool inverse, const double *tw,
                     double *out)
{
    for (int64_t b = 0; b < bins; b++) {
        double re = 0, im = 0;
        int64_t j = 0; /* t * b mod n */
        for (int64_t t = 0; t < len; t++) {
            double c = tw[j], s = inverse ? tw[n + j] : -tw[n + j];
            re += in[2 * t] * c - in[2 * t + 1] * s;
            im += in[2 * t] * s + in[2 * t + 1] * c;
            j += b;
            if (j >= n) j -= n;
        }
        out[2 * b] = inverse ? re / (double)n : re;
        out[2 * b + 1] = inverse ? im / (double)n : im;
    }
}

static void twiddles(int64_t n, double *tw)
{
    for (int64_t j = 0; j < n; j++) {
        tw[j] = cos(2 * M_PI * (double)j / (double)n);
        tw[n + j] = sin(2 * M_PI * (double)j / (double)n);
    }
}

/* ---- DFT ---- */

typedef struct dft_params {
    int64_t axis_attr;
    bool inverse, onesided;
    int axis;
    int64_t outer, len, inner, n, bins; /* signal as [outer, len, inner, 1|2] */
} dft_params;

static or_status dft_init(or_kernel *k)
{
    dft_params *p = k->params;
    int64_t v;
    OR_TRY(or_attr_int(k, "axis", 1, &p->axis_attr));
    OR_TRY(or_attr_int(k, "inverse", 0, &v));
    p->inverse = v != 0;
    OR_TRY(or_attr_int(k, "onesided", 0, &v));
    p->onesided = v != 0;
    OR_CHECK_TYPE(k, !(p->inverse && p->onesided), "inverse with onesided is not supported");
    return ONNXRUN_OK;
}

static or_status dft_infer(or_kernel *k)
{
    dft_params *p = k->params;
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2 && (x->dims[x->rank - 1] == 1 || x->dims[x->rank - 1] == 2),
                   "input must be [batch, ..., 1 or 2] (real or complex)");
    /* opset 20 moved axis into an input, default -2; negative counts from
     * the back of the whole shape (-2: the last signal axis) */
    int64_t axis = k->opset >= 20 ? -2 : p->axis_attr;
    if (k->opset >= 20 && or_in(k, 2)) OR_TRY(known_int(k, 2, "axis", &axis));
    int a;
    OR_TRY(or_axis(k, axis, x->rank, &a));
    OR_CHECK(k, a >= 1 && a <= x->rank - 2, "axis %lld is not a signal axis (1 .. %d)", (long long)axis,
             x->rank - 2);
    p->axis = a;
    p->outer = or_dims_prod(x->dims, 0, a);
    p->len = x->dims[a];
    p->inner = or_dims_prod(x->dims, a + 1, x->rank - 1);
    p->n = p->len;
    if (or_in(k, 1)) OR_TRY(known_int(k, 1, "dft_length", &p->n));
    OR_CHECK(k, p->n >= 1 && p->n <= SIG_MAX_LEN, "dft_length %lld is outside [1, 2^24]", (long long)p->n);
    p->bins = p->onesided ? p->n / 2 + 1 : p->n;
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    dims[a] = p->bins;
    dims[x->rank - 1] = 2;
    k->scratch_bytes = (size_t)(2 * p->n + 2 * p->n + 2 * p->bins) * sizeof(double);
    return or_set_shape(k, k->out[0], x->dtype, x->rank, dims);
}

static or_status dft_run(or_kernel *k)
{
    const dft_params *p = k->params;
    const or_tensor *x = k->in[0];
    int64_t c = x->dims[x->rank - 1], take = p->len < p->n ? p->len : p->n;
    double *tw = k->scratch, *in = tw + 2 * p->n, *out = in + 2 * p->n;
    twiddles(p->n, tw);
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t e = 0; e < p->inner; e++) {
            for (int64_t t = 0; t < take; t++) {
                int64_t at = ((o * p->len + t) * p->inner + e) * c;
                in[2 * t] = load(x->data, x->dtype, at);
                in[2 * t + 1] = c == 2 ? load(x->data, x->dtype, at + 1) : 0;
            }
            dft_line(in, take, p->n, p->bins, p->inverse, tw, out);
            for (int64_t b = 0; b < p->bins; b++) {
                int64_t at = ((o * p->bins + b) * p->inner + e) * 2;
                store(k->out[0]->data, x->dtype, at, out[2 * b]);
                store(k->out[0]->data, x->dtype, at + 1, out[2 * b + 1]);
            }
        }
    return ONNXRUN_OK;
}

/* ---- STFT ---- */

typedef struct stft_params {
    bool onesided;
    int64_t step, flen, frames, bins;
} stft_params;

static or_status stft_init(or_kernel *k)
{
    stft_params *p = k->params;
    int64_t v;
    OR_TRY(or_attr_int(k, "onesided", 1, &v));
    p->onesided = v != 0;
    return ONNXRUN_OK;
}

static or_status stft_infer(or_kernel *k)
{
    stft_params *p = k->params;
    const or_tensor *x, *w = or_in(k, 2);
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_DOUBLE, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank == 3 && (x->dims[2] == 1 || x->dims[2] == 2),
                   "signal must be [batch, length, 1 or 2]");
    OR_TRY(known_int(k, 1, "frame_step", &p->step));
    OR_CHECK(k, p->step >= 1, "frame_step %lld must be positive", (long long)p->step);
    p->flen = -1;
    if (w) {
        OR_CHECK_TYPE(k, w->dtype == x->dtype, "window has type %s, the signal %s", onnxrun_dtype_name(w->dtype),
                      onnxrun_dtype_name(x->dtype));
        OR_CHECK_SHAPE(k, w->rank == 1, "window must be 1-D");
        p->flen = w->dims[0];
    }
    if (or_in(k, 3)) {
        int64_t fl;
        OR_TRY(known_int(k, 3, "frame_length", &fl));
        OR_CHECK_SHAPE(k, p->flen < 0 || fl == p->flen, "frame_length %lld differs from the window's %lld",
                       (long long)fl, (long long)p->flen);
        p->flen = fl;
    }
    OR_CHECK(k, p->flen >= 1, "a window or frame_length is required");
    OR_CHECK(k, p->flen <= x->dims[1] && p->flen <= SIG_MAX_LEN, "frame length %lld exceeds the signal's %lld",
             (long long)p->flen, (long long)x->dims[1]);
    p->frames = 1 + (x->dims[1] - p->flen) / p->step;
    p->bins = p->onesided ? p->flen / 2 + 1 : p->flen;
    k->scratch_bytes = (size_t)(6 * p->flen) * sizeof(double);
    return or_set_shape(k, k->out[0], x->dtype, 4, (int64_t[]){ x->dims[0], p->frames, p->bins, 2 });
}

static or_status stft_run(or_kernel *k)
{
    const stft_params *p = k->params;
    const or_tensor *x = k->in[0], *w = or_in(k, 2);
    int64_t c = x->dims[2], n = p->flen;
    double *tw = k->scratch, *in = tw + 2 * n, *out = in + 2 * n;
    twiddles(n, tw);
    for (int64_t b = 0; b < x->dims[0]; b++)
        for (int64_t f = 0; f < p->frames; f++) {
            for (int64_t t = 0; t < n; t++) {
                int64_t at = (b * x->dims[1] + f * p->step + t) * c;
                double wt = w ? load(w->data, w->dtype, t) : 1;
                in[2 * t] = load(x->data, x->dtype, at) * wt;
                in[2 * t + 1] = c == 2 ? load(x->data, x->dtype, at + 1) * wt : 0;
            }
            dft_line(in, n, n, p->bins, false, tw, out);
            for (int64_t q = 0; q < 2 * p->bins; q++)
                store(k->out[0]->data, x->dtype, ((b * p->frames + f) * p->bins) * 2 + q, out[q]);
        }
    return ONNXRUN_OK;
}

/* ---- MelWeightMatrix ---- */

typedef struct mel_params {
    onnxrun_dtype dt;
    int64_t mels, dft, rate;
    double lo, hi;
} mel_params;

static or_status mel_init(or_kernel *k)
{
    return out_type(k, &((mel_params *)k->params)->dt);
}

static or_status mel_infer(or_kernel *k)
{
    mel_params *p = k->params;
    OR_TRY(known_int(k, 0, "num_mel_bins", &p->mels));
    OR_TRY(known_int(k, 1, "dft_length", &p->dft));
    OR_TRY(known_int(k, 2, "sample_rate", &p->rate));
    OR_TRY(known_real(k, 3, "lower_edge_hertz", &p->lo));
    OR_TRY(known_real(k, 4, "upper_edge_hertz", &p->hi));
    OR_CHECK(k, p->mels >= 1 && p->mels <= (1 << 16) && p->dft >= 1 && p->dft <= SIG_MAX_LEN && p->rate >= 1,
             "num_mel_bins %lld, dft_length %lld and sample_rate %lld must be positive (and not huge)",
             (long long)p->mels, (long long)p->dft, (long long)p->rate);
    OR_CHECK(k, p->lo >= 0 && p->lo < p->hi && p->hi <= 1e12, "the edges %g, %g must satisfy 0 <= lower < upper <= 1e12",
             p->lo, p->hi);
    k->scratch_bytes = (size_t)(p->mels + 2) * sizeof(int64_t); /* the filter points */
    return or_set_shape(k, k->out[0], p->dt, 2, (int64_t[]){ p->dft / 2 + 1, p->mels });
}

static or_status mel_run(or_kernel *k)
{
    const mel_params *p = k->params;
    int64_t bins = p->dft / 2 + 1, m = p->mels;
    int64_t *pt = k->scratch;
    double lo = 2595 * log10(1 + p->lo / 700), hi = 2595 * log10(1 + p->hi / 700), step = (hi - lo) / (double)(m + 2);
    for (int64_t i = 0; i < m + 2; i++) {
        double hz = 700 * (pow(10, ((double)i * step + lo) / 2595) - 1);
        pt[i] = (int64_t)floor((double)(p->dft + 1) * hz / (double)p->rate);
    }
    memset(k->out[0]->data, 0, (size_t)(bins * m) * onnxrun_dtype_size(p->dt));
    for (int64_t i = 0; i < m; i++) {
        int64_t l = pt[i], c = pt[i + 1], r = pt[i + 2];
        if (c == l && c >= 0 && c < bins) store(k->out[0]->data, p->dt, c * m + i, 1);
        for (int64_t j = l; c > l && j <= c; j++)
            if (j >= 0 && j < bins) store(k->out[0]->data, p->dt, j * m + i, (double)(j - l) / (double)(c - l));
        for (int64_t j = c; r > c && j < r; j++)
            if (j >= 0 && j < bins) store(k->out[0]->data, p->dt, j * m + i, (double)(r - j) / (double)(r - c));
    }
    return ONNXRUN_OK;
}

#define WINDOW(op) \
    OR_OP(op, 17, .params_size = sizeof(window_params), .init = window_init, .infer = window_infer, .run = window_run)
#define DFT(since) \
    OR_OP("DFT", since, .params_size = sizeof(dft_params), .init = dft_init, .infer = dft_infer, .run = dft_run)

OR_OP_TABLE(signal) = {
    WINDOW("HannWindow"),
    WINDOW("HammingWindow"),
    WINDOW("BlackmanWindow"),
    DFT(17),
    DFT(20),
    OR_OP("STFT", 17, .params_size = sizeof(stft_params), .init = stft_init, .infer = stft_infer, .run = stft_run),
    OR_OP("MelWeightMatrix", 17, .params_size = sizeof(mel_params), .init = mel_init, .infer = mel_infer,
          .run = mel_run),
};
OR_OP_TABLE_END(signal);
