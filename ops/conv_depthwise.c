/*
 * conv_depthwise.c - the vector depthwise plane (see conv_depthwise.h).
 *
 * Buffer layout: rows of d->ld floats. Stride 1: padded row r holds input
 * row r - pt at columns pl .. pl + w - 1, zeros elsewhere. Stride 2: each
 * padded row takes two rows of the buffer, its even columns then its odd
 * ones (tap j of output column q reads column 2q + j: the half j % 2 at
 * q + j / 2). A final row of slack (line) assembles stride-2 rows. The
 * zeros are written once per buffer: every plane fills the same interior.
 */
#include <string.h>

#include "conv_depthwise.h"
#include "rowops.h"

bool or_dw_plan(or_dw *d, const or_window *w)
{
    if (w->n != 2 || w->dilation[0] != 1 || w->dilation[1] != 1 || w->stride[0] != w->stride[1] ||
        w->stride[0] > 2 || w->kernel[0] * w->kernel[1] > OR_DW_MAX_TAPS ||
        w->pad_begin[0] < 0 || w->pad_begin[1] < 0 || w->out_size == 0 ||
        w->out[1] > ((int64_t)1 << 24) || w->out[0] > ((int64_t)1 << 24))
        return false;
    d->h = w->in[0];
    d->w = w->in[1];
    d->oh = w->out[0];
    d->ow = w->out[1];
    d->kh = w->kernel[0];
    d->kw = w->kernel[1];
    d->s = w->stride[0];
    d->pt = w->pad_begin[0];
    d->pl = w->pad_begin[1];
    d->rows = (d->oh - 1) * d->s + d->kh;
    int64_t owr = (d->ow + 7) / 8 * 8; /* output columns the vectors compute */
    if (d->s == 1) {
        d->ld = owr + d->kw - 1;
        if (d->ld < d->pl + d->w) d->ld = d->pl + d->w;
    } else {
        d->ld = owr + d->kw / 2 + 1;
        if (2 * d->ld < d->pl + d->w) d->ld = (d->pl + d->w + 1) / 2;
    }
    d->ld = (d->ld + 7) / 8 * 8;
    /* stride 2: two halves per row, and a line of 2 * ld (+ 16 for the shuffles) */
    d->floats = d->s == 1 ? d->rows * d->ld : 2 * d->rows * d->ld + 2 * d->ld + 16;
    return d->floats <= OR_DW_MAX_FLOATS; /* larger planes take the generic loop */
}

/* dst[0..n) = src[0..n) */
static void copy_row(float *restrict dst, const float *restrict src, int64_t n)
{
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) OR_V8F_STORE(dst + j, OR_V8F_LOAD(src + j));
    for (; j < n; j++) dst[j] = src[j];
}

/* The plane x into the buffer. The padding is written only when `fresh`
 * (the buffer's first plane): later planes leave it zero. */
static void fill_buffer(const or_dw *d, const float *x, float *buf, bool fresh)
{
    /* input rows [r0, r1) land in padded rows the windows read */
    int64_t r1 = d->rows - d->pt < d->h ? d->rows - d->pt : d->h;
    int64_t n = d->s == 1 ? d->ld - d->pl : 2 * d->ld - d->pl; /* columns that fit */
    if (n > d->w) n = d->w;
    if (d->s == 1) {
        if (fresh) or_row_fill(d->rows * d->ld, 0.0f, buf);
        for (int64_t r = 0; r < r1; r++) copy_row(buf + (r + d->pt) * d->ld + d->pl, x + r * d->w, n);
        return;
    }
    float *line = buf + 2 * d->rows * d->ld;
    if (fresh) or_row_fill(2 * d->rows * d->ld + 2 * d->ld + 16, 0.0f, buf);
    for (int64_t r = 0; r < r1; r++) {
        copy_row(line + d->pl, x + r * d->w, n);
        float *even = buf + 2 * (r + d->pt) * d->ld, *odd = even + d->ld;
        for (int64_t u = 0; u < d->ld; u += 8) {
            or_v8f lo = OR_V8F_LOAD(line + 2 * u), hi = OR_V8F_LOAD(line + 2 * u + 8);
            OR_V8F_STORE(even + u, __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14));
            OR_V8F_STORE(odd + u, __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15));
        }
    }
}

void or_dw_plane(const or_dw *d, const float *x, const float *wt, float bias,
                 const or_epilogue *e, const float *add, float *y, float *buf, bool fresh)
{
    fill_buffer(d, x, buf, fresh);
    const int64_t taps = d->kh * d->kw;
    int64_t off[OR_DW_MAX_TAPS]; /* tap t's offset in the buffer from output row 0, column 0 */
    for (int64_t i = 0; i < d->kh; i++)
        for (int64_t j = 0; j < d->kw; j++)
            off[i * d->kw + j] = d->s == 1 ? i * d->ld + j : (2 * i + j % 2) * d->ld + j / 2;
    const int64_t row_step = d->s == 1 ? d->ld : 4 * d->ld; /* buffer floats per output row */
    const or_v8f vb = { bias, bias, bias, bias, bias, bias, bias, bias };
    or_v8f wv[OR_DW_MAX_TAPS];
    for (int64_t t = 0; t < taps; t++) {
        float v = wt[t];
        wv[t] = (or_v8f){ v, v, v, v, v, v, v, v };
    }
    const or_v8f w0 = wv[0], w1 = wv[1 % OR_DW_MAX_TAPS], w2 = wv[2], w3 = wv[3], w4 = wv[4];
    const or_v8f w5 = wv[5], w6 = wv[6], w7 = wv[7], w8 = wv[8];
    /* output vectors (row r, columns 8v ..) numbered r * nv + v, four at a
     * time: four independent sums hide the multiply-add latency */
    const int64_t nv = (d->ow + 7) / 8, total = d->oh * nv;
    int64_t r = 0, q = 0; /* the next vector's row and first column */
    for (int64_t i0 = 0; i0 < total; i0 += 4) {
        const float *bp[4];
        int64_t at[4], cols[4];
        for (int u = 0; u < 4; u++) {
            bp[u] = buf + r * row_step + q;
            at[u] = r * d->ow + q;
            cols[u] = d->ow - q < 8 ? d->ow - q : 8;
            if (i0 + u + 1 < total) { /* else the last one is repeated */
                q += 8;
                if (q >= d->ow) {
                    q = 0;
                    r++;
                }
            }
        }
        or_v8f a0 = vb, a1 = vb, a2 = vb, a3 = vb;
        if (taps == 9) { /* 3 x 3, unrolled: the weights stay in registers */
#define DW_TAP(t)                                                 \
    {                                                             \
        a0 = OR_V8F_FMA(a0, w##t, OR_V8F_LOAD(bp[0] + off[t]));   \
        a1 = OR_V8F_FMA(a1, w##t, OR_V8F_LOAD(bp[1] + off[t]));   \
        a2 = OR_V8F_FMA(a2, w##t, OR_V8F_LOAD(bp[2] + off[t]));   \
        a3 = OR_V8F_FMA(a3, w##t, OR_V8F_LOAD(bp[3] + off[t]));   \
    }
            DW_TAP(0) DW_TAP(1) DW_TAP(2) DW_TAP(3) DW_TAP(4) DW_TAP(5) DW_TAP(6) DW_TAP(7)
            DW_TAP(8)
#undef DW_TAP
        } else {
        for (int64_t t = 0; t < taps; t++) {
            a0 = OR_V8F_FMA(a0, wv[t], OR_V8F_LOAD(bp[0] + off[t]));
            a1 = OR_V8F_FMA(a1, wv[t], OR_V8F_LOAD(bp[1] + off[t]));
            a2 = OR_V8F_FMA(a2, wv[t], OR_V8F_LOAD(bp[2] + off[t]));
            a3 = OR_V8F_FMA(a3, wv[t], OR_V8F_LOAD(bp[3] + off[t]));
        }
        }
#define DW_STORE(u)                                                             \
        if (u == 0 || i0 + u < total) {                                         \
            if (cols[u] == 8) {                                                 \
                if (add) a##u += OR_V8F_LOAD(add + at[u]);                      \
                OR_V8F_ACT(a##u, e);                                            \
                OR_V8F_STORE(y + at[u], a##u);                                  \
            } else {                                                            \
                if (add) {                                                      \
                    or_v8f av;                                                  \
                    OR_V8F_LOAD_N(av, add + at[u], cols[u]);                    \
                    a##u += av;                                                 \
                }                                                               \
                OR_V8F_ACT(a##u, e);                                            \
                OR_V8F_STORE_N(y + at[u], a##u, cols[u]);                       \
            }                                                                   \
        }
        DW_STORE(0) DW_STORE(1) DW_STORE(2) DW_STORE(3)
#undef DW_STORE
    }
}
