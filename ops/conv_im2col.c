/*
 * conv_im2col.c - im2col, col2im and the depthwise loop (see conv_im2col.h).
 *
 * All three walk positions in runs along the last spatial axis: for a run,
 * the outer axes fix one source row (or none, when an outer coordinate falls
 * in the padding), and the positions of the run whose last coordinate lands
 * inside the row form one interval [lo, hi) computed once per kernel offset
 * (or_window_valid). So the inner loops are plain strided copies or
 * multiply-adds, whatever the rank.
 */
#include <string.h>

#include "conv_im2col.h"
#include "rowops.h"

/* Splits a row-major index over dims[0..n) into coordinates c[0..n). */
static void unravel(int n, const int64_t *dims, int64_t idx, int64_t *c)
{
    for (int i = n - 1; i >= 0; i--) {
        c[i] = dims[i] ? idx % dims[i] : 0;
        idx = dims[i] ? idx / dims[i] : 0;
    }
}

/* Row offset in the target plane of the run at walk coordinates oc with
 * kernel coordinates kc, over the outer axes; -1 when it is in the padding. */
static int64_t outer_offset(const or_window *w, const int64_t *target, const int64_t *oc,
                            const int64_t *kc)
{
    int64_t off = 0;
    for (int i = 0; i < w->n - 1; i++) {
        int64_t t = oc[i] * w->stride[i] + kc[i] * w->dilation[i] - w->pad_begin[i];
        if (t < 0 || t >= target[i]) return -1;
        off = off * target[i] + t;
    }
    return off * target[w->n - 1];
}

/* Moves to the next run: adds len to the last coordinate and carries. */
static void advance(int n, const int64_t *dims, int64_t *oc, int64_t len)
{
    oc[n - 1] += len;
    if (oc[n - 1] < dims[n - 1]) return;
    oc[n - 1] = 0;
    for (int i = n - 2; i >= 0; i--) {
        if (++oc[i] < dims[i]) return;
        oc[i] = 0;
    }
}

/*
 * One kernel offset kc, positions j0 .. j0 + cols - 1 of the walked shape:
 * gather (scatter == 0): row[j] = plane[target of j] or 0;
 * scatter: plane[target of j] += row[j].
 */
static void walk(const or_window *w, const int64_t *walkd, const int64_t *target,
                 const int64_t *kc, int64_t j0, int64_t cols, float *restrict row,
                 float *restrict plane, int scatter)
{
    int n = w->n, l = n - 1;
    int64_t oc[OR_WIN_MAX], lo, hi, s = w->stride[l];
    int64_t off = kc[l] * w->dilation[l] - w->pad_begin[l];
    or_window_valid(walkd[l], target[l], s, off, &lo, &hi);
    unravel(n, walkd, j0, oc);
    for (int64_t j = 0; j < cols;) {
        int64_t a = oc[l], len = walkd[l] - a;
        if (len > cols - j) len = cols - j;
        int64_t base = lo < hi ? outer_offset(w, target, oc, kc) : -1;
        float *r = row + j;
        int64_t va = a > lo ? a : lo, vb = a + len < hi ? a + len : hi;
        if (base < 0 || vb <= va) {
            if (!scatter) memset(r, 0, (size_t)len * sizeof *r);
        } else {
            const int64_t n_v = vb - va;
            float *p = plane + base + va * s + off;
            float *rv = r + (va - a);
            if (!scatter) {
                memset(r, 0, (size_t)(va - a) * sizeof *r);
                if (s == 1) {
                    memcpy(rv, p, (size_t)n_v * sizeof *r);
                } else if (s == 2) {
                    or_row_copy_s2(n_v, p, rv);
                } else {
                    for (int64_t q = 0; q < n_v; q++) rv[q] = p[q * s];
                }
                memset(r + (vb - a), 0, (size_t)(a + len - vb) * sizeof *r);
            } else if (s == 1) {
                or_row_add(n_v, rv, p);
            } else {
                for (int64_t q = 0; q < n_v; q++) p[q * s] += rv[q];
            }
        }
        j += len;
        advance(n, walkd, oc, len);
    }
}

/* y[0..n) = 0 as a loop: im2col's padding runs are a few floats, less than
 * a memset call costs */
static inline void zero_run(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = 0.0f;
}

/* 2-D im2col: walk's gather with the walk unrolled. Per row r (channel c,
 * kernel offset ky, kx) the valid output columns [lo, hi) are computed
 * once; each output row of the tile is then a zero run, a copy (stride 1),
 * an even-lane gather (stride 2) or a strided loop, and a zero run. */
static void im2col_2d(const or_window *w, const float *x, int64_t j0, int64_t cols, int64_t r0,
                      int64_t r1, float *col)
{
    int64_t H = w->in[0], W = w->in[1], OW = w->out[1], kh = w->kernel[0], kw = w->kernel[1];
    int64_t sh = w->stride[0], sw = w->stride[1];
    /* the input rows the tile reads of each channel: [ih0, ih1) */
    int64_t ih0 = (j0 / OW) * sh - w->pad_begin[0];
    int64_t ih1 = ((j0 + cols - 1) / OW) * sh - w->pad_begin[0] + (kh - 1) * w->dilation[0] + 1;
    if (ih0 < 0) ih0 = 0;
    if (ih1 > H) ih1 = H;
    for (int64_t r = r0; r < r1; r++) {
        int64_t c = r / (kh * kw), ky = r / kw % kh, kx = r % kw, lo, hi;
        /* at a channel's first row, fetch the next channel's input rows:
         * the planes are a row stride apart, a jump the hardware
         * prefetchers do not make (3x3 stride 2, 128 channels at 56x56: the
         * gather's loads were a fifth of the layer) */
        if (ky == 0 && kx == 0 && r + kh * kw < r1)
            for (int64_t ih = ih0; ih < ih1; ih++) {
                const char *row = (const char *)(x + ((c + 1) * H + ih) * W);
                for (int64_t q = 0; q < W * (int64_t)sizeof(float); q += 64) __builtin_prefetch(row + q);
            }
        int64_t xoff = kx * w->dilation[1] - w->pad_begin[1];
        int64_t yoff = ky * w->dilation[0] - w->pad_begin[0];
        or_window_valid(OW, W, sw, xoff, &lo, &hi);
        const float *xc = x + c * H * W;
        float *dst = col + r * cols;
        int64_t oh = j0 / OW, ow = j0 % OW;
        for (int64_t j = 0; j < cols; oh++, ow = 0) {
            int64_t len = OW - ow < cols - j ? OW - ow : cols - j, ih = oh * sh + yoff;
            float *d = dst + j; /* d[o - ow]: output column o of this row */
            int64_t va = ow > lo ? ow : lo, vb = ow + len < hi ? ow + len : hi;
            j += len;
            if (ih < 0 || ih >= H || vb <= va) {
                zero_run(d, len);
                continue;
            }
            /* column o reads the row's element o * sw + xoff (>= 0 from lo on) */
            const float *src = xc + ih * W + va * sw + xoff;
            float *dv = d + (va - ow);
            zero_run(d, va - ow);
            if (sw == 1) memcpy(dv, src, (size_t)(vb - va) * sizeof *d);
            else if (sw == 2) or_row_copy_s2(vb - va, src, dv);
            else
                for (int64_t o = 0; o < vb - va; o++) dv[o] = src[o * sw];
            zero_run(d + (vb - ow), ow + len - vb);
        }
    }
}

void or_im2col(const or_window *w, const float *x, int64_t j0, int64_t cols, int64_t r0,
               int64_t r1, float *col)
{
    if (w->n == 2 && w->out[1] > 0) {
        im2col_2d(w, x, j0, cols, r0, r1, col);
        return;
    }
    int64_t kc[OR_WIN_MAX];
    for (int64_t r = r0; r < r1; r++) {
        int64_t c = r / w->kernel_size;
        unravel(w->n, w->kernel, r % w->kernel_size, kc);
        /* gather only reads the plane */
        walk(w, w->out, w->in, kc, j0, cols, col + r * cols,
             (float *)(x + c * w->in_size), 0);
    }
}

void or_col2im(const or_window *w, const float *col, int64_t j0, int64_t cols, int64_t m0,
               int64_t m1, float *y)
{
    int64_t kc[OR_WIN_MAX];
    for (int64_t m = m0; m < m1; m++)
        for (int64_t t = 0; t < w->kernel_size; t++) {
            unravel(w->n, w->kernel, t, kc);
            /* scatter only reads the row */
            walk(w, w->in, w->out, kc, j0, cols, (float *)(col + (m * w->kernel_size + t) * cols),
                 y + m * w->out_size, 1);
        }
}

/* Advances coordinates c over dims[0..n) row-major, wrapping to zeros. */
static void step(int n, const int64_t *dims, int64_t *c)
{
    for (int i = n - 1; i >= 0; i--) {
        if (++c[i] < dims[i]) return;
        c[i] = 0;
    }
}

void or_conv_depthwise_plane(const or_window *w, const float *x, const float *wt, float bias,
                             float *y)
{
    enum { KX_MAX = 16 };
    int n = w->n, l = n - 1;
    int64_t width = w->out[l], s = w->stride[l], kl = w->kernel[l];
    int64_t rows = width ? w->out_size / width : 0, k_outer = w->kernel_size / kl;
    /* per tap along the last axis: input offset and valid output range */
    int64_t kx_off[KX_MAX], kx_lo[KX_MAX], kx_hi[KX_MAX];
    for (int64_t kx = 0; kx < kl && kx < KX_MAX; kx++) {
        kx_off[kx] = kx * w->dilation[l] - w->pad_begin[l];
        or_window_valid(width, w->in[l], s, kx_off[kx], &kx_lo[kx], &kx_hi[kx]);
    }
    int64_t oc[OR_WIN_MAX] = { 0 }, kc[OR_WIN_MAX] = { 0 };
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * width;
        for (int64_t q = 0; q < width; q++) yr[q] = bias;
        for (int64_t to = 0; to < k_outer; to++) {
            int64_t base = outer_offset(w, w->in, oc, kc);
            for (int64_t kx = 0; base >= 0 && kx < kl; kx++) {
                int64_t off, lo, hi;
                if (kx < KX_MAX) {
                    off = kx_off[kx];
                    lo = kx_lo[kx];
                    hi = kx_hi[kx];
                } else {
                    off = kx * w->dilation[l] - w->pad_begin[l];
                    or_window_valid(width, w->in[l], s, off, &lo, &hi);
                }
                const int64_t n_v = hi - lo;
                if (n_v <= 0) continue;
                const float *restrict xr = x + base + lo * s + off;
                float *restrict yv = yr + lo;
                const float wv = wt[to * kl + kx];
                if (s == 1) {
                    or_row_axpy(n_v, wv, xr, yv);
                } else if (s == 2) {
                    or_row_axpy_s2(n_v, wv, xr, yv);
                } else {
                    for (int64_t q = 0; q < n_v; q++) yv[q] += wv * xr[q * s];
                }
            }
            step(l, w->kernel, kc); /* outer kernel axes only */
        }
        step(l, w->out, oc);
    }
}
