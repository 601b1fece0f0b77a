/*
 * resize.c - resampling: Resize (opsets 10, 11, 13, 18, 19) and Upsample
 * (7, 9) on float tensors of any rank; GridSample (16, 20 in 2-D, below).
 *
 * Every mode is separable, so the op is a chain of 1-D passes, one per
 * axis whose size or sampling changes (innermost first), each through a
 * table of taps made at infer: for each output position along the axis,
 * the first input index and n weights (nearest: 1 tap; linear: 2; cubic:
 * 4; antialiased downscaling: as many as the stretched filter covers).
 * Indices past the edges are clamped (the spec's edge padding) after the
 * exclude_outside test; a position tf_crop_and_resize maps outside the
 * input is marked and gets extrapolation_value. The taps follow the ONNX
 * reference implementation exactly: length_resized = scale * length
 * (unfloored), an integral source coordinate x takes ratio 1 from x - 1,
 * nearest rounding and clamping as there. Opset 10 and Upsample: asymmetric
 * coordinates and ONNX Runtime's "simple" nearest (ceil when downscaling,
 * else truncation), which Upsample's definition gives.
 *
 * A pass over axis a sees [outer, len, inner]: on the innermost axis
 * (inner 1) each output is a gather of its taps; elsewhere each output row
 * of inner floats is a weighted sum of input rows (a copy for 1 tap), a
 * loop the compiler vectorises. Rows are split across the threads. Passes
 * alternate between two scratch buffers, the last one writing the output.
 *
 * Scales and sizes decide the output shape: they (and roi, for
 * tf_crop_and_resize) must be known at infer.
 *
 * RoiAlign (10, 16): each region of interest (x1, y1, x2, y2, times
 * spatial_scale, minus 0.5 under half_pixel) split into output_height x
 * output_width bins, each the average (or max) of sampling_ratio^2
 * bilinear samples (adaptive: ceil(bin size) per axis) at the centres of
 * a regular grid in the bin. As ONNX Runtime: samples more than one pixel
 * outside give 0, coordinates below 0 clamp to 0, legacy mode
 * (output_half_pixel, opset 10's only one) makes regions at least 1 x 1,
 * and max mode takes the largest weighted corner of each sample.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "parallel.h"

typedef enum rmode { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC } rmode;
typedef enum rtrans {
    T_HALF_PIXEL, T_HALF_PIXEL_SYMMETRIC, T_PYTORCH_HALF_PIXEL, T_ALIGN_CORNERS, T_ASYMMETRIC,
    T_TF_HALF_PIXEL_FOR_NN, T_TF_CROP_AND_RESIZE
} rtrans;
typedef enum rnearest { N_ROUND_PREFER_FLOOR, N_ROUND_PREFER_CEIL, N_FLOOR, N_CEIL, N_SIMPLE } rnearest;
typedef enum rkeep { KEEP_STRETCH, KEEP_NOT_LARGER, KEEP_NOT_SMALLER } rkeep;

/* The taps of one axis: output i reads n weights w[i*n..] at input indices
 * first[i] + t (clamped); first[i] = -1 marks an extrapolated position. */
typedef struct axis_taps {
    int n;
    int64_t *first;
    float *w;
} axis_taps;

typedef struct resize_params {
    rmode mode;
    rtrans trans;
    rnearest nearest;
    rkeep keep;
    float cubic_a, extrapolation;
    bool exclude_outside, antialias;
    int64_t axes[OR_MAX_RANK];   /* opset 18 */
    size_t n_axes;
    /* infer */
    double scale[OR_MAX_RANK], roi0[OR_MAX_RANK], roi1[OR_MAX_RANK];
    int64_t out[OR_MAX_RANK];
    axis_taps taps[OR_MAX_RANK]; /* owned; n = 0 for an axis left as it is */
    size_t buf_floats;           /* each of the two scratch buffers */
} resize_params;

static void free_taps(resize_params *p)
{
    for (int a = 0; a < OR_MAX_RANK; a++) {
        free(p->taps[a].first);
        free(p->taps[a].w);
        p->taps[a] = (axis_taps){ 0 };
    }
}

static void resize_fini(or_kernel *k)
{
    free_taps(k->params);
}

/* Index of s in names[0..n), or -1. */
static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

static or_status string_choice(or_kernel *k, const char *attr, const char *def,
                               const char *const *names, int n, int *out)
{
    const char *s;
    OR_TRY(or_attr_string(k, attr, def, &s));
    *out = pick(s, names, n);
    if (*out < 0) return or_fail(k, ONNXRUN_E_INVALID, "attribute '%s' = '%s' is not supported", attr, s);
    return ONNXRUN_OK;
}

static bool is_upsample(const or_kernel *k)
{
    return !strcmp(k->def->op_type, "Upsample");
}

/* Resize-10 and Upsample: asymmetric coordinates, "simple" nearest */
static bool legacy(const or_kernel *k)
{
    return is_upsample(k) || k->def->since < 11;
}

static or_status resize_init(or_kernel *k)
{
    resize_params *p = k->params;
    static const char *const modes[] = { "nearest", "linear", "cubic" };
    static const char *const modes_v10[] = { "nearest", "linear", "bilinear" };
    static const char *const trans[] = { "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                         "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                                         "tf_crop_and_resize" };
    static const char *const nearest[] = { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" };
    static const char *const keep[] = { "stretch", "not_larger", "not_smaller" };
    int v;
    if (legacy(k)) { /* "bilinear" was Upsample-7's name for linear */
        OR_TRY(string_choice(k, "mode", "nearest", modes_v10, 3, &v));
        p->mode = v ? MODE_LINEAR : MODE_NEAREST;
        p->trans = T_ASYMMETRIC;
        p->nearest = N_SIMPLE;
        return ONNXRUN_OK;
    }
    OR_TRY(string_choice(k, "mode", "nearest", modes, 3, &v));
    p->mode = (rmode)v;
    OR_TRY(string_choice(k, "coordinate_transformation_mode", "half_pixel", trans, 7, &v));
    p->trans = (rtrans)v;
    OR_CHECK(k, !(p->trans == T_HALF_PIXEL_SYMMETRIC && k->def->since < 19),
             "coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
    OR_CHECK(k, !(p->trans == T_TF_HALF_PIXEL_FOR_NN && k->def->since >= 13),
             "coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed at opset 13");
    OR_TRY(string_choice(k, "nearest_mode", "round_prefer_floor", nearest, 4, &v));
    p->nearest = (rnearest)v;
    OR_TRY(or_attr_float(k, "cubic_coeff_a", -0.75f, &p->cubic_a));
    OR_TRY(or_attr_float(k, "extrapolation_value", 0.0f, &p->extrapolation));
    int64_t flag;
    OR_TRY(or_attr_int(k, "exclude_outside", 0, &flag));
    p->exclude_outside = flag != 0;
    if (k->def->since >= 18) {
        OR_TRY(or_attr_int(k, "antialias", 0, &flag));
        p->antialias = flag != 0;
        OR_TRY(or_attr_ints(k, "axes", OR_MAX_RANK, p->axes, &p->n_axes));
        OR_TRY(string_choice(k, "keep_aspect_ratio_policy", "stretch", keep, 3, &v));
        p->keep = (rkeep)v;
    }
    return ONNXRUN_OK;
}

/* ---- the taps of one axis ---- */

/* The source coordinate of output x along an axis of in input positions. */
static double source_coord(const resize_params *p, int a, int64_t in, double x)
{
    double s = p->scale[a], len = s * (double)in; /* the reference's unfloored length */
    switch (p->trans) {
    case T_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case T_HALF_PIXEL_SYMMETRIC: {
        double adj = (double)p->out[a] / (s * (double)in), center = (double)in / 2;
        return center * (1 - adj) + (x + 0.5) / s - 0.5;
    }
    case T_PYTORCH_HALF_PIXEL: return len > 1 ? (x + 0.5) / s - 0.5 : -0.5;
    case T_ALIGN_CORNERS: return len == 1 ? 0 : x * (double)(in - 1) / (len - 1);
    case T_ASYMMETRIC: return x / s;
    case T_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case T_TF_CROP_AND_RESIZE: {
        double r0 = p->roi0[a], r1 = p->roi1[a];
        double c = len == 1 ? (r1 - r0) * (double)(in - 1) / 2 : x * (r1 - r0) * (double)(in - 1) / (len - 1);
        return c + r0 * (double)(in - 1);
    }
    }
    return x;
}

static double cubic_w(double x, double A)
{
    x = fabs(x);
    if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0;
}

/* The linear or cubic filter's scale (1 / its stretch: antialiasing
 * widens it when downscaling), first tap offset and tap count. */
static int footprint(const resize_params *p, double scale, double *s, int *start)
{
    *s = p->antialias && scale < 1 ? scale : 1.0;
    *start = (int)floor((p->mode == MODE_CUBIC ? -2 : -1) / *s) + 1;
    return 2 - 2 * *start;
}

/* The filter at fraction ratio in (0, 1]: taps at base + start + t for t
 * < *n with weights w (n at most max_taps). */
static void filter(const resize_params *p, double scale, double ratio, int *start,
                   int *n, double *w)
{
    switch (p->mode) {
    case MODE_NEAREST: {
        bool up;
        switch (p->nearest) {
        case N_ROUND_PREFER_FLOOR: up = ratio > 0.5; break;
        case N_ROUND_PREFER_CEIL: up = ratio >= 0.5; break;
        case N_FLOOR: up = false; break;
        case N_CEIL: up = true; break;
        default: up = scale < 1; break; /* simple: ceil when downscaling, else truncate */
        }
        if (ratio == 1) up = true;   /* an integral coordinate: itself */
        *start = up ? 1 : 0;
        *n = 1;
        w[0] = 1;
        return;
    }
    case MODE_LINEAR:
    case MODE_CUBIC: {
        bool cubic = p->mode == MODE_CUBIC;
        double s, sum = 0;
        int st, cnt = footprint(p, scale, &s, &st);
        for (int t = 0; t < cnt; t++) {
            double d = s * ((double)(st + t) - ratio);
            w[t] = cubic ? cubic_w(d, p->cubic_a) : fmax(0.0, 1 - fabs(d));
            sum += w[t];
        }
        if (s < 1)
            for (int t = 0; t < cnt; t++) w[t] /= sum;
        *start = st;
        *n = cnt;
        return;
    }
    }
}

/* Taps an axis needs at most (the filter's footprint). */
static int max_taps(const resize_params *p, double scale)
{
    double s;
    int st;
    return p->mode == MODE_NEAREST ? 1 : footprint(p, scale, &s, &st);
}

/* Fills the taps of axis a (in input positions, p->out[a] outputs; in >=
 * 1); *identity when every output i reads input i alone (the axis is then
 * left as it is and no taps are kept). */
static or_status make_taps(or_kernel *k, resize_params *p, int a, int64_t in, bool *identity)
{
    int64_t out = p->out[a];
    int cap = max_taps(p, p->scale[a]);
    int nt = (int64_t)cap < in ? cap : (int)in; /* taps applied: never past the input */
    axis_taps *t = &p->taps[a];
    t->n = nt;
    t->first = malloc((size_t)(out ? out : 1) * sizeof *t->first);
    t->w = malloc((size_t)(out ? out : 1) * (size_t)nt * sizeof *t->w);
    double *wd = malloc((size_t)cap * sizeof *wd);
    if (!t->first || !t->w || !wd) {
        free(wd);
        return or_fail(k, ONNXRUN_E_NOMEM, "out of memory for the resize taps");
    }
    *identity = out == in;
    for (int64_t i = 0; i < out; i++) {
        double x = source_coord(p, a, in, (double)i);
        float *w = t->w + i * nt;
        memset(w, 0, (size_t)nt * sizeof *w);
        if (p->trans == T_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(in - 1))) {
            t->first[i] = -1;
            *identity = false;
            continue;
        }
        double fl = floor(x), ratio = x - fl;
        int64_t base = (int64_t)fl;
        if (ratio == 0) { /* as the reference: ratio 1 from the position before */
            ratio = 1;
            base -= 1;
        }
        int start = 0, n = 0;
        filter(p, p->scale[a], ratio, &start, &n, wd);
        int64_t lo = base + start;
        if (p->exclude_outside && n > 1) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                if (lo + j < 0 || lo + j >= in) wd[j] = 0;
                sum += wd[j];
            }
            for (int j = 0; j < n; j++) wd[j] = sum != 0 ? wd[j] / sum : 0;
        }
        /* the window [first, first + nt) inside the input; taps past an
         * edge read the edge (the spec's edge padding) */
        int64_t first = lo < 0 ? 0 : lo > in - nt ? in - nt : lo;
        for (int j = 0; j < n; j++) {
            int64_t idx = lo + j < 0 ? 0 : lo + j >= in ? in - 1 : lo + j;
            w[idx - first] += (float)wd[j];
        }
        t->first[i] = first;
        for (int j = 0; j < nt; j++)
            if (w[j] != (first + j == i ? 1.0f : 0.0f)) *identity = false;
        if (i < first || i >= first + nt) *identity = false;
    }
    free(wd);
    if (*identity) {
        free(t->first);
        free(t->w);
        *t = (axis_taps){ 0 };
    }
    return ONNXRUN_OK;
}

/* ---- infer ---- */

/* Input i's float values when present and known (NULL, 0 when absent or
 * empty); fails when present, non-empty and unknown. */
static or_status known_floats(or_kernel *k, size_t i, const char *what, const float **v, int64_t *n)
{
    const or_tensor *t = or_in(k, i);
    *v = NULL;
    *n = 0;
    if (!t || or_numel(t) == 0) return ONNXRUN_OK;
    OR_TRY(or_check_dtype(k, i, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, t->rank == 1, "%s must be 1-D", what);
    *v = or_known(k, i);
    if (!*v)
        return or_fail(k, ONNXRUN_E_UNSUPPORTED,
                       "input %zu (%s) must be known before running (it decides the output)", i, what);
    *n = t->dims[0];
    return ONNXRUN_OK;
}

/* The axes the scales, sizes and roi name (all of them before opset 18). */
static or_status resize_axes(or_kernel *k, int r, int *axes, int *n)
{
    const resize_params *p = k->params;
    bool seen[OR_MAX_RANK] = { false };
    if (!p->n_axes) {
        for (int a = 0; a < r; a++) axes[a] = a;
        *n = r;
        return ONNXRUN_OK;
    }
    for (size_t i = 0; i < p->n_axes; i++) {
        OR_TRY(or_axis(k, p->axes[i], r, &axes[i]));
        OR_CHECK(k, !seen[axes[i]], "axis %d is listed twice in 'axes'", axes[i]);
        seen[axes[i]] = true;
    }
    *n = (int)p->n_axes;
    return ONNXRUN_OK;
}

/* Sets p->scale and p->out from the scales or sizes. */
static or_status resize_shape(or_kernel *k, const or_tensor *x)
{
    resize_params *p = k->params;
    int r = x->rank, axes[OR_MAX_RANK], na = 0;
    OR_TRY(resize_axes(k, r, axes, &na));
    const float *sc = NULL, *roi = NULL;
    const int64_t *sz = NULL;
    int64_t nsc = 0, nroi = 0, nsz = 0;
    if (is_upsample(k) && k->def->since < 9) {
        const float *v;
        size_t n;
        OR_TRY(or_attr_floats(k, "scales", &v, &n));
        OR_CHECK(k, v, "attribute 'scales' is required");
        sc = v;
        nsc = (int64_t)n;
    } else {
        size_t si = legacy(k) ? 1 : 2;
        OR_CHECK(k, or_in(k, si) || (!legacy(k) && or_in(k, 3)), "scales or sizes is required");
        OR_TRY(known_floats(k, si, "scales", &sc, &nsc));
        if (!legacy(k)) {
            OR_TRY(known_floats(k, 1, "roi", &roi, &nroi));
            const or_tensor *ts = or_in(k, 3);
            if (ts && or_numel(ts) > 0) {
                OR_TRY(or_check_dtype(k, 3, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
                OR_CHECK_SHAPE(k, ts->rank == 1, "sizes must be 1-D");
                sz = or_known(k, 3);
                if (!sz)
                    return or_fail(k, ONNXRUN_E_UNSUPPORTED,
                                   "input 3 (sizes) must be known before running (it decides the output)");
                nsz = ts->dims[0];
            }
        }
    }
    OR_CHECK(k, (sc != NULL) != (sz != NULL), "exactly one of scales and sizes must be given");
    OR_CHECK_SHAPE(k, (sc ? nsc : nsz) == na, "%s has %lld values for %d axes", sc ? "scales" : "sizes",
                   (long long)(sc ? nsc : nsz), na);
    for (int a = 0; a < r; a++) {
        p->scale[a] = 1;
        p->out[a] = x->dims[a];
        p->roi0[a] = 0;
        p->roi1[a] = 1;
    }
    if (p->trans == T_TF_CROP_AND_RESIZE) {
        OR_CHECK_SHAPE(k, nroi == 2 * na, "roi must have 2 x %d values for tf_crop_and_resize", na);
        for (int i = 0; i < na; i++) {
            p->roi0[axes[i]] = roi[i];
            p->roi1[axes[i]] = roi[na + i];
        }
    }
    if (sc) {
        for (int i = 0; i < na; i++) {
            int a = axes[i];
            OR_CHECK(k, sc[i] > 0 && sc[i] < 1e6f, "scales[%d] = %g must be positive", i, (double)sc[i]);
            double span = p->trans == T_TF_CROP_AND_RESIZE ? p->roi1[a] - p->roi0[a] : 1.0;
            double o = floor((double)x->dims[a] * span * (double)sc[i]);
            OR_CHECK(k, o >= 0 && o < 9e15, "the output size of axis %d is out of range", a);
            p->scale[a] = sc[i];
            p->out[a] = (int64_t)o;
        }
        return ONNXRUN_OK;
    }
    double keep = p->keep == KEEP_NOT_LARGER ? INFINITY : 0;
    for (int i = 0; i < na; i++) {
        OR_CHECK(k, sz[i] >= 0 && sz[i] < ((int64_t)1 << 40), "sizes[%d] = %lld is out of range", i,
                 (long long)sz[i]);
        double s = (double)sz[i] / (double)x->dims[axes[i]];
        keep = p->keep == KEEP_NOT_LARGER ? fmin(keep, s) : fmax(keep, s);
    }
    for (int i = 0; i < na; i++) {
        int a = axes[i];
        OR_CHECK_SHAPE(k, x->dims[a] > 0 || sz[i] == 0, "axis %d is empty and cannot be resized to %lld",
                       a, (long long)sz[i]);
        if (x->dims[a] == 0) continue;
        if (p->keep == KEEP_STRETCH) {
            p->out[a] = sz[i];
            p->scale[a] = (double)sz[i] / (double)x->dims[a];
        } else {
            p->scale[a] = keep;
            p->out[a] = (int64_t)llround(keep * (double)x->dims[a]);
        }
    }
    return ONNXRUN_OK;
}

static or_status resize_infer(or_kernel *k)
{
    resize_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input X is required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 1, "X must have rank >= 1");
    free_taps(p);
    OR_TRY(resize_shape(k, x));
    for (int a = 0; p->antialias && a < x->rank; a++)
        if (p->scale[a] < 1.0 / 32768)
            return or_fail(k, ONNXRUN_E_LIMIT,
                           "antialiased downscaling of axis %d by %g: below 1/32768 is not supported", a,
                           p->scale[a]);
    OR_TRY(or_set_shape(k, k->out[0], x->dtype, x->rank, p->out));
    /* taps for each axis that changes, and the largest intermediate */
    int64_t cur[OR_MAX_RANK];
    memcpy(cur, x->dims, (size_t)x->rank * sizeof cur[0]);
    p->buf_floats = 0;
    if (or_numel(k->out[0]) == 0) return ONNXRUN_OK;
    for (int a = x->rank - 1; a >= 0; a--) {
        bool same = false;
        OR_TRY(make_taps(k, p, a, x->dims[a], &same));
        if (same) continue;
        cur[a] = p->out[a];
        size_t n = 1;
        for (int d = 0; d < x->rank; d++) n *= (size_t)cur[d];
        if (n > p->buf_floats) p->buf_floats = n;
    }
    k->scratch_bytes = 2 * p->buf_floats * sizeof(float);
    return ONNXRUN_OK;
}

/* ---- run ---- */

typedef struct pass_job {
    const axis_taps *t;
    const float *src;
    float *dst;
    int64_t len, olen, inner;   /* the axis' input and output lengths; floats per position */
    float extrapolation;
} pass_job;

/* Output rows [r0, r1) of a pass (row = outer * olen + i). */
static void pass_rows(void *ctx, int64_t r0, int64_t r1)
{
    const pass_job *j = ctx;
    int n = j->t->n;
    int64_t inner = j->inner;
    for (int64_t row = r0; row < r1; row++) {
        int64_t o = row / j->olen, i = row % j->olen, first = j->t->first[i];
        const float *w = j->t->w + i * n;
        float *restrict d = j->dst + row * inner;
        if (first < 0) {
            for (int64_t e = 0; e < inner; e++) d[e] = j->extrapolation;
            continue;
        }
        const float *s = j->src + (o * j->len + first) * inner;
        if (n == 1) {
            memcpy(d, s, (size_t)inner * sizeof *d);
            continue;
        }
        for (int64_t e = 0; e < inner; e++) d[e] = w[0] * s[e];
        for (int t = 1; t < n; t++) {
            const float *restrict st = s + t * inner;
            float wt = w[t];
            if (wt != 0)
                for (int64_t e = 0; e < inner; e++) d[e] += wt * st[e];
        }
    }
}

/* The innermost axis: outputs [r0, r1) of outer rows, each a gather. */
static void pass_gather(void *ctx, int64_t r0, int64_t r1)
{
    const pass_job *j = ctx;
    int n = j->t->n;
    for (int64_t o = r0; o < r1; o++) {
        const float *s = j->src + o * j->len;
        float *d = j->dst + o * j->olen;
        /* nearest: a plain gather (source coordinates grow with i, so only
         * the ends can be extrapolated) */
        if (n == 1 && j->t->first[0] >= 0 && j->t->first[j->olen - 1] >= 0) {
            const int64_t *f = j->t->first;
            for (int64_t i = 0; i < j->olen; i++) d[i] = s[f[i]];
            continue;
        }
        for (int64_t i = 0; i < j->olen; i++) {
            int64_t first = j->t->first[i];
            const float *w = j->t->w + i * n;
            if (first < 0) {
                d[i] = j->extrapolation;
                continue;
            }
            float acc = 0;
            for (int t = 0; t < n; t++) acc += w[t] * s[first + t];
            d[i] = acc;
        }
    }
}

static or_status resize_run(or_kernel *k)
{
    const resize_params *p = k->params;
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    int r = x->rank, last = -1;
    if (or_numel(y) == 0) return ONNXRUN_OK;
    for (int a = 0; a < r && last < 0; a++)
        if (p->taps[a].n) last = a; /* the outermost changed axis: the last pass */
    if (last < 0) {
        memcpy(y->data, x->data, (size_t)or_numel(x) * sizeof(float));
        return ONNXRUN_OK;
    }
    int64_t cur[OR_MAX_RANK];
    memcpy(cur, x->dims, (size_t)r * sizeof cur[0]);
    const float *src = x->data;
    float *bufs[2] = { k->scratch, (float *)k->scratch + p->buf_floats };
    int next = 0;
    for (int a = r - 1; a >= 0; a--) {
        if (!p->taps[a].n) continue;
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < a; d++) outer *= cur[d];
        for (int d = a + 1; d < r; d++) inner *= cur[d];
        float *dst = a == last ? y->data : bufs[next];
        pass_job j = { &p->taps[a], src, dst, cur[a], p->out[a], inner, p->extrapolation };
        double work = (double)outer * (double)p->out[a] * (double)inner * (double)p->taps[a].n;
        if (inner == 1) or_parallel_for_work(k, outer, work, pass_gather, &j);
        else or_parallel_for_work(k, outer * p->out[a], work, pass_rows, &j);
        cur[a] = p->out[a];
        src = dst;
        next ^= 1;
    }
    return ONNXRUN_OK;
}

/* ---- GridSample ---- */

/*
 * GridSample (16): output [N, C, Ho, Wo] samples input [N, C, H, W] at the
 * grid's normalised (x, y) in [-1, 1], as torch.nn.functional.grid_sample:
 * unnormalised with or without align_corners; bilinear (four corners),
 * nearest (round half to even) or bicubic (4 x 4 taps, A = -0.75);
 * padding zeros (taps outside read 0), border (coordinates clipped) or
 * reflection (reflected about the edges, then clipped). Bilinear and
 * nearest pad the sample coordinate; bicubic pads each tap's index.
 */
typedef struct grid_params {
    int mode;      /* 0 bilinear, 1 nearest, 2 bicubic */
    int padding;   /* 0 zeros, 1 border, 2 reflection */
    bool align;
} grid_params;

static or_status grid_init(or_kernel *k)
{
    grid_params *p = k->params;
    static const char *const modes[] = { "bilinear", "nearest", "bicubic" };
    static const char *const modes20[] = { "linear", "nearest", "cubic" }; /* opset 20's names */
    static const char *const pads[] = { "zeros", "border", "reflection" };
    int64_t align;
    if (k->def->since >= 20) OR_TRY(string_choice(k, "mode", "linear", modes20, 3, &p->mode));
    else OR_TRY(string_choice(k, "mode", "bilinear", modes, 3, &p->mode));
    OR_TRY(string_choice(k, "padding_mode", "zeros", pads, 3, &p->padding));
    OR_TRY(or_attr_int(k, "align_corners", 0, &align));
    p->align = align != 0;
    return ONNXRUN_OK;
}

static or_status grid_infer(or_kernel *k)
{
    const or_tensor *x = or_in(k, 0), *g = or_in(k, 1);
    OR_CHECK(k, x && g, "inputs X and grid are required");
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank == 4, "X must be [N, C, H, W] (rank 4), not rank %d", x->rank);
    OR_CHECK_SHAPE(k, g->rank == 4 && g->dims[0] == x->dims[0] && g->dims[3] == 2,
                   "grid must be [N, H_out, W_out, 2] with X's N");
    int64_t dims[4] = { x->dims[0], x->dims[1], g->dims[1], g->dims[2] };
    return or_set_shape(k, k->out[0], x->dtype, 4, dims);
}

static double reflect(double v, double twice_lo, double twice_hi)
{
    if (twice_lo == twice_hi || !isfinite(v)) return 0;
    double lo = twice_lo / 2, span = (twice_hi - twice_lo) / 2;
    v = fabs(v - lo);
    double extra = fmod(v, span);
    return (int64_t)floor(v / span) % 2 == 0 ? extra + lo : span - extra + lo;
}

/* A coordinate (or a tap index) after padding along an axis of n. */
static double pad_coord(const grid_params *p, double v, int64_t n)
{
    if (p->padding == 2) v = p->align ? reflect(v, 0, 2.0 * (double)(n - 1)) : reflect(v, -1, 2.0 * (double)n - 1);
    if (p->padding >= 1) v = fmin((double)(n - 1), fmax(v, 0));
    return v;
}

/* Plane value at (y, x), 0 outside. */
static double at(const float *plane, int64_t h, int64_t w, double y, double x)
{
    if (!(x >= 0 && x < (double)w && y >= 0 && y < (double)h)) return 0;
    return plane[(int64_t)y * w + (int64_t)x];
}

static double sample(const grid_params *p, const float *plane, int64_t h, int64_t w, double gx, double gy)
{
    double x = p->align ? (gx + 1) / 2 * (double)(w - 1) : ((gx + 1) * (double)w - 1) / 2;
    double y = p->align ? (gy + 1) / 2 * (double)(h - 1) : ((gy + 1) * (double)h - 1) / 2;
    if (p->mode == 2) { /* bicubic: taps padded one by one */
        double x0 = floor(x), y0 = floor(y), tx = x - x0, ty = y - y0, A = -0.75, cx[4], cy[4];
        for (int i = 0; i < 4; i++) {
            cx[i] = cubic_w(tx + 1 - i, A);
            cy[i] = cubic_w(ty + 1 - i, A);
        }
        double acc = 0;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                acc += cy[i] * cx[j] *
                       at(plane, h, w, pad_coord(p, y0 - 1 + i, h), pad_coord(p, x0 - 1 + j, w));
        return acc;
    }
    x = pad_coord(p, x, w);
    y = pad_coord(p, y, h);
    if (p->mode == 1) return at(plane, h, w, nearbyint(y), nearbyint(x));
    double x0 = floor(x), y0 = floor(y), fx = x - x0, fy = y - y0;
    return (1 - fy) * ((1 - fx) * at(plane, h, w, y0, x0) + fx * at(plane, h, w, y0, x0 + 1)) +
           fy * ((1 - fx) * at(plane, h, w, y0 + 1, x0) + fx * at(plane, h, w, y0 + 1, x0 + 1));
}

static or_status grid_run(or_kernel *k)
{
    const grid_params *p = k->params;
    const or_tensor *x = k->in[0], *g = k->in[1];
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t ho = g->dims[1], wo = g->dims[2];
    const float *grid = g->data;
    float *y = k->out[0]->data;
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++) {
            const float *plane = (const float *)x->data + (b * c + ch) * h * w;
            for (int64_t i = 0; i < ho * wo; i++) {
                const float *gp = grid + (b * ho * wo + i) * 2;
                *y++ = (float)sample(p, plane, h, w, gp[0], gp[1]);
            }
        }
    return ONNXRUN_OK;
}

#define RESIZE(op, since)                                                                     \
    OR_OP(op, since, .params_size = sizeof(resize_params), .init = resize_init,              \
          .infer = resize_infer, .run = resize_run, .fini = resize_fini)

/* ---- RoiAlign ---- */

typedef struct roi_params {
    bool max, half_pixel;
    int64_t oh, ow, sampling;
    float scale;
} roi_params;

static or_status roi_init(or_kernel *k)
{
    roi_params *p = k->params;
    const char *mode, *ctm;
    OR_TRY(or_attr_string(k, "mode", "avg", &mode));
    OR_CHECK(k, !strcmp(mode, "avg") || !strcmp(mode, "max"), "attribute 'mode' = '%s' is not avg or max", mode);
    p->max = !strcmp(mode, "max");
    OR_TRY(or_attr_string(k, "coordinate_transformation_mode", k->def->since >= 16 ? "half_pixel" : "output_half_pixel",
                          &ctm));
    OR_CHECK(k, !strcmp(ctm, "half_pixel") || !strcmp(ctm, "output_half_pixel"),
             "attribute 'coordinate_transformation_mode' = '%s' is not half_pixel or output_half_pixel", ctm);
    p->half_pixel = !strcmp(ctm, "half_pixel");
    OR_TRY(or_attr_int(k, "output_height", 1, &p->oh));
    OR_TRY(or_attr_int(k, "output_width", 1, &p->ow));
    OR_TRY(or_attr_int(k, "sampling_ratio", 0, &p->sampling));
    OR_TRY(or_attr_float(k, "spatial_scale", 1.0f, &p->scale));
    OR_CHECK(k, p->oh >= 1 && p->ow >= 1 && p->oh <= (1 << 16) && p->ow <= (1 << 16),
             "output_height %lld and output_width %lld must be in [1, 65536]", (long long)p->oh, (long long)p->ow);
    OR_CHECK(k, p->sampling >= 0 && p->sampling <= 1024, "sampling_ratio %lld is outside [0, 1024]",
             (long long)p->sampling);
    return ONNXRUN_OK;
}

static or_status roi_infer(or_kernel *k)
{
    const roi_params *p = k->params;
    const or_tensor *x, *rois, *bi;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_need_input(k, 1, &rois));
    OR_TRY(or_need_input(k, 2, &bi));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 2, ONNXRUN_INT64, ONNXRUN_INT32, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank == 4, "X must be N x C x H x W (rank %d)", x->rank);
    OR_CHECK_SHAPE(k, rois->rank == 2 && rois->dims[1] == 4, "rois must be [num_rois, 4]");
    OR_CHECK_SHAPE(k, bi->rank == 1 && bi->dims[0] == rois->dims[0], "batch_indices must be [num_rois] = [%lld]",
                   (long long)rois->dims[0]);
    return or_set_shape(k, k->out[0], ONNXRUN_FLOAT, 4, (int64_t[]){ rois->dims[0], x->dims[1], p->oh, p->ow });
}

/* One bilinear sample of plane (H x W) at (y, x): the four corner values
 * times their weights (all 0 outside). */
static void roi_sample(const float *plane, int64_t H, int64_t W, double y, double x, double wv[4])
{
    wv[0] = wv[1] = wv[2] = wv[3] = 0;
    if (!(y >= -1.0 && y <= (double)H && x >= -1.0 && x <= (double)W)) return; /* outside, or NaN */
    y = y <= 0 ? 0 : y;
    x = x <= 0 ? 0 : x;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1 = y0 + 1, x1 = x0 + 1;
    if (y0 >= H - 1) y0 = y1 = H - 1, y = (double)y0;
    if (x0 >= W - 1) x0 = x1 = W - 1, x = (double)x0;
    double ly = y - (double)y0, lx = x - (double)x0, hy = 1 - ly, hx = 1 - lx;
    wv[0] = hy * hx * plane[y0 * W + x0];
    wv[1] = hy * lx * plane[y0 * W + x1];
    wv[2] = ly * hx * plane[y1 * W + x0];
    wv[3] = ly * lx * plane[y1 * W + x1];
}

static or_status roi_run(or_kernel *k)
{
    const roi_params *p = k->params;
    const or_tensor *x = k->in[0], *rois = k->in[1], *bi = k->in[2];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    const float *r = rois->data;
    float *y = k->out[0]->data;
    double off = p->half_pixel ? 0.5 : 0;
    for (int64_t n = 0; n < rois->dims[0]; n++) {
        int64_t b = bi->dtype == ONNXRUN_INT64 ? ((const int64_t *)bi->data)[n] : ((const int32_t *)bi->data)[n];
        if (b < 0 || b >= N)
            return or_fail(k, ONNXRUN_E_RUNTIME, "batch_indices[%lld] = %lld is outside [0, %lld)", (long long)n,
                           (long long)b, (long long)N);
        double x1 = r[n * 4] * p->scale - off, y1 = r[n * 4 + 1] * p->scale - off;
        double rw = r[n * 4 + 2] * p->scale - off - x1, rh = r[n * 4 + 3] * p->scale - off - y1;
        if (!p->half_pixel) {
            rw = rw > 1 ? rw : 1;
            rh = rh > 1 ? rh : 1;
        }
        double bh = rh / (double)p->oh, bw = rw / (double)p->ow;
        double gh_d = p->sampling ? (double)p->sampling : ceil(rh / (double)p->oh);
        double gw_d = p->sampling ? (double)p->sampling : ceil(rw / (double)p->ow);
        int64_t gh = gh_d > 0 && gh_d < 1e6 ? (int64_t)gh_d : gh_d >= 1e6 ? 1000000 : 0;
        int64_t gw = gw_d > 0 && gw_d < 1e6 ? (int64_t)gw_d : gw_d >= 1e6 ? 1000000 : 0;
        double count = gh * gw > 0 ? (double)(gh * gw) : 1;
        for (int64_t c = 0; c < C; c++) {
            const float *plane = (const float *)x->data + (b * C + c) * H * W;
            for (int64_t ph = 0; ph < p->oh; ph++)
                for (int64_t pw = 0; pw < p->ow; pw++) {
                    double acc = 0;
                    bool first = true;
                    for (int64_t iy = 0; iy < gh; iy++)
                        for (int64_t ix = 0; ix < gw; ix++) {
                            double sy = y1 + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh;
                            double sx = x1 + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw;
                            double wv[4];
                            roi_sample(plane, H, W, sy, sx, wv);
                            if (!p->max) {
                                acc += wv[0] + wv[1] + wv[2] + wv[3];
                                continue;
                            }
                            double m = fmax(fmax(wv[0], wv[1]), fmax(wv[2], wv[3]));
                            acc = first || m > acc ? m : acc;
                            first = false;
                        }
                    y[((n * C + c) * p->oh + ph) * p->ow + pw] = (float)(p->max ? acc : acc / count);
                }
        }
    }
    return ONNXRUN_OK;
}

#define ROI(since) \
    OR_OP("RoiAlign", since, .params_size = sizeof(roi_params), .init = roi_init, .infer = roi_infer, .run = roi_run)

OR_OP_TABLE(resize) = {
    RESIZE("Upsample", 7),
    RESIZE("Upsample", 9),
    RESIZE("Resize", 10),
    RESIZE("Resize", 11),
    RESIZE("Resize", 13),
    RESIZE("Resize", 18),
    RESIZE("Resize", 19),
    OR_OP("GridSample", 16, .params_size = sizeof(grid_params), .init = grid_init, .infer = grid_infer,
          .run = grid_run),
    OR_OP("GridSample", 20, .params_size = sizeof(grid_params), .init = grid_init, .infer = grid_infer,
          .run = grid_run), /* mode names linear / cubic; 2-D only here */
    ROI(10),
    ROI(16),
};
OR_OP_TABLE_END(resize);
