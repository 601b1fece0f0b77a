/*
 * conv_winograd.c - F(4x4, 3x3) and F(2x2, 3x3) transforms (see
 * conv_winograd.h).
 *
 * The matrices come from interpolating at the points 0, 1, -1, 2, -2 and
 * infinity for F(4x4, 3x3), at 0, 1, -1 and infinity for F(2x2, 3x3)
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2015). F(4x4, 3x3):
 *   B^T = [ 4  0 -5  0  1  0 ]   G = [  1/4     0     0  ]   A^T = [ 1 1  1 1  1 0 ]
 *         [ 0 -4 -4  1  1  0 ]       [ -1/6  -1/6  -1/6 ]         [ 0 1 -1 2 -2 0 ]
 *         [ 0  4 -4 -1  1  0 ]       [ -1/6   1/6  -1/6 ]         [ 0 1  1 4  4 0 ]
 *         [ 0 -2 -1  2  1  0 ]       [ 1/24  1/12  1/6  ]         [ 0 1 -1 8 -8 1 ]
 *         [ 0  2 -1 -2  1  0 ]       [ 1/24 -1/12  1/6  ]
 *         [ 0  4  0 -5  0  1 ]       [   0     0     1  ]
 * F(2x2, 3x3):
 *   B^T = [ 1  0 -1  0 ]   G = [  1    0    0  ]   A^T = [ 1 1  1  0 ]
 *         [ 0  1  1  0 ]       [ 1/2  1/2  1/2 ]         [ 0 1 -1 -1 ]
 *         [ 0 -1  1  0 ]       [ 1/2 -1/2  1/2 ]
 *         [ 0  1  0 -1 ]       [  0    0    1  ]
 * Each 2-D transform is the 1-D one on the columns, then on the rows.
 * Vector loops run over 8 tiles at a time (lanes = tiles). Vectors move
 * with OR_V8F_LOAD / OR_V8F_STORE: a memcpy of a vector became two 16-byte
 * moves through the stack, and the upper half's reload of a 32-byte spill
 * stalled (the hottest instruction of the input transform).
 */
#include <stdlib.h>
#include <string.h>

#include "conv_winograd.h"
#include "rowops.h"

bool or_wino_fits(const or_window *w)
{
    return w->n == 2 && w->kernel[0] == 3 && w->kernel[1] == 3 && w->stride[0] == 1 &&
           w->stride[1] == 1 && w->dilation[0] == 1 && w->dilation[1] == 1 && w->out_size > 0 &&
           w->pad_begin[0] >= 0 && w->pad_begin[1] >= 0;
}

/* The distance between V_f and V_f+1 (or M_f's) for `floats` per f: an
 * odd number of cache lines. The transforms touch all f (36 or 16 streams)
 * at the same offset; with a stride of a multiple of 4 KiB (c * block =
 * 256 x 24 floats on resnet50's layer3) they all fall in one set of the
 * 12-way L1 and evict each other (layer3's input transform took 0.44 ms,
 * two thirds as long as its products). */
static int64_t wino_stride(int64_t floats)
{
    int64_t lines = (floats + 15) / 16;
    return (lines | 1) * 16;
}

bool or_wino_plan(or_wino *g, int n, int64_t c, int64_t m, const or_window *w, int64_t budget)
{
    g->n = n;
    g->f = (n + 2) * (n + 2);
    g->c = c;
    g->m = m;
    g->h = w->in[0];
    g->w = w->in[1];
    g->oh = w->out[0];
    g->ow = w->out[1];
    g->pt = w->pad_begin[0];
    g->pl = w->pad_begin[1];
    g->th = (g->oh + n - 1) / n;
    g->tw = (g->ow + n - 1) / n;
    /* V (c rows) and M (m rows) of f x block floats each */
    double row_bytes = (double)g->f * (double)(c + m) * (double)g->tw * sizeof(float);
    if (row_bytes > 4.0 * (double)budget || g->tw > ((int64_t)1 << 24)) return false;
    g->rows = (int64_t)((double)budget / row_bytes);
    if (g->rows < 1) g->rows = 1;
    if (g->rows > g->th) g->rows = g->th;
    g->block = (g->rows * g->tw + 8 + 7) / 8 * 8; /* vectors of the last row read 8 past it */
    g->span = n * ((g->tw + 7) / 8 * 8) + 8;
    g->vf = wino_stride(c * g->block);
    g->mf = wino_stride(m * g->block);
    return true;
}

size_t or_wino_scratch_floats(const or_wino *g, int parts)
{
    return (size_t)(g->f * (g->vf + g->mf) + 12 * g->span * parts);
}

float *or_wino_v(const or_wino *g, float *scratch)
{
    (void)g;
    return scratch;
}

float *or_wino_m(const or_wino *g, float *scratch)
{
    return scratch + g->f * g->vf;
}

float *or_wino_lines(const or_wino *g, float *scratch, int part)
{
    return scratch + g->f * (g->vf + g->mf) + 12 * g->span * part;
}

/* out_j[l] = x[4l + j] for j < 4, l < 8: the stride-4 lanes of x[0..32). */
#define WINO_DEAL4(x, o0, o1, o2, o3)                                                    \
    do {                                                                                 \
        or_v8f a_, b_, c_, d_;                                                           \
        a_ = OR_V8F_LOAD((x));                                                          \
        b_ = OR_V8F_LOAD((x) + 8);                                                      \
        c_ = OR_V8F_LOAD((x) + 16);                                                     \
        d_ = OR_V8F_LOAD((x) + 24);                                                     \
        or_v8f p_ = __builtin_shufflevector(a_, b_, 0, 4, 8, 12, 1, 5, 9, 13);           \
        or_v8f q_ = __builtin_shufflevector(a_, b_, 2, 6, 10, 14, 3, 7, 11, 15);         \
        or_v8f r_ = __builtin_shufflevector(c_, d_, 0, 4, 8, 12, 1, 5, 9, 13);           \
        or_v8f s_ = __builtin_shufflevector(c_, d_, 2, 6, 10, 14, 3, 7, 11, 15);         \
        (o0) = __builtin_shufflevector(p_, r_, 0, 1, 2, 3, 8, 9, 10, 11);                \
        (o1) = __builtin_shufflevector(p_, r_, 4, 5, 6, 7, 12, 13, 14, 15);              \
        (o2) = __builtin_shufflevector(q_, s_, 0, 1, 2, 3, 8, 9, 10, 11);                \
        (o3) = __builtin_shufflevector(q_, s_, 4, 5, 6, 7, 12, 13, 14, 15);              \
    } while (0)

/* The inverse: y[4l + j] = o_j[l], four vectors y0..y3 (y[0..32)). */
#define WINO_GATHER4(o0, o1, o2, o3, y0, y1, y2, y3)                                     \
    do {                                                                                 \
        or_v8f l01_ = __builtin_shufflevector((o0), (o1), 0, 8, 1, 9, 2, 10, 3, 11);     \
        or_v8f h01_ = __builtin_shufflevector((o0), (o1), 4, 12, 5, 13, 6, 14, 7, 15);   \
        or_v8f l23_ = __builtin_shufflevector((o2), (o3), 0, 8, 1, 9, 2, 10, 3, 11);     \
        or_v8f h23_ = __builtin_shufflevector((o2), (o3), 4, 12, 5, 13, 6, 14, 7, 15);   \
        (y0) = __builtin_shufflevector(l01_, l23_, 0, 1, 8, 9, 2, 3, 10, 11);            \
        (y1) = __builtin_shufflevector(l01_, l23_, 4, 5, 12, 13, 6, 7, 14, 15);          \
        (y2) = __builtin_shufflevector(h01_, h23_, 0, 1, 8, 9, 2, 3, 10, 11);            \
        (y3) = __builtin_shufflevector(h01_, h23_, 4, 5, 12, 13, 6, 7, 14, 15);          \
    } while (0)

/* ---- weights: U = G g G^T ---- */

bool or_wino_weights(const or_wino *g, const float *wt, int rows, float *pack, size_t step,
                     int64_t p0, int64_t p1)
{
    static const double G4[6][3] = {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };
    static const double G2[4][3] = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
    enum { CB = 16 }; /* channels per block */
    const int a = g->n + 2;
    const double(*G)[3] = g->n == 4 ? G4 : G2;
    const int64_t m = g->m, c = g->c;
    /* per panel and block of CB channels, U_f's values for (channel, row)
     * are contiguous in the packed panel (conv_gemm.h's layout): gather
     * them in buf[f], then copy each f's run (one stream per f, not 36
     * scattered stores per weight) */
    float *buf = malloc((size_t)g->f * CB * (size_t)rows * sizeof *buf);
    if (!buf) return false;
    for (int64_t p = p0; p < p1; p++)
        for (int64_t c0 = 0; c0 < c; c0 += CB) {
            int64_t cn = c - c0 < CB ? c - c0 : CB;
            for (int64_t cl = 0; cl < cn; cl++)
                for (int r = 0; r < rows; r++) {
                    int64_t mi = p * rows + r;
                    float *dst = buf + cl * rows + r;
                    if (mi >= m) { /* zero rows pad the last panel */
                        for (int f = 0; f < g->f; f++) dst[f * CB * rows] = 0.0f;
                        continue;
                    }
                    const float *k = wt + (mi * c + c0 + cl) * 9;
                    double t[6][3]; /* G k */
                    for (int i = 0; i < a; i++)
                        for (int q = 0; q < 3; q++)
                            t[i][q] = G[i][0] * k[q] + G[i][1] * k[3 + q] + G[i][2] * k[6 + q];
                    for (int i = 0; i < a; i++)
                        for (int j = 0; j < a; j++) /* (G k G^T)[i][j] */
                            dst[(i * a + j) * CB * rows] =
                                (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
                }
            for (int f = 0; f < g->f; f++)
                memcpy(pack + (size_t)f * step + (p * c + c0) * rows, buf + f * CB * rows,
                       (size_t)(cn * rows) * sizeof *buf);
        }
    free(buf);
    return true;
}

#ifndef WINO_PF_OUT
#define WINO_PF_OUT 64 /* floats ahead to prefetch in each V_f (stored) and M_f (read) */
#endif

/* ---- input: V = B^T d B ---- */

/* r[0..6) = B^T s[0..6) for vectors s[k * st], r[k * rt]. */
#define WINO_BT(s, st, r, rt)                                                             \
    do {                                                                                  \
        or_v8f s0_ = (s)[0], s1_ = (s)[(st)], s2_ = (s)[2 * (st)], s3_ = (s)[3 * (st)];   \
        or_v8f s4_ = (s)[4 * (st)], s5_ = (s)[5 * (st)];                                  \
        or_v8f a_ = s4_ - 4.0f * s2_, b_ = s3_ - 4.0f * s1_;                              \
        or_v8f c_ = s4_ - s2_, d_ = 2.0f * (s3_ - s1_);                                   \
        (r)[0] = 4.0f * s0_ - 5.0f * s2_ + s4_;                                           \
        (r)[(rt)] = a_ + b_;                                                              \
        (r)[2 * (rt)] = a_ - b_;                                                          \
        (r)[3 * (rt)] = c_ + d_;                                                          \
        (r)[4 * (rt)] = c_ - d_;                                                          \
        (r)[5 * (rt)] = 4.0f * s1_ - 5.0f * s3_ + s5_;                                    \
    } while (0)

/* F(2x2): r[0..4) = B^T s[0..4). */
#define WINO_BT2(s, st, r, rt)                                                            \
    do {                                                                                  \
        or_v8f s0_ = (s)[0], s1_ = (s)[(st)], s2_ = (s)[2 * (st)], s3_ = (s)[3 * (st)];   \
        (r)[0] = s0_ - s2_;                                                               \
        (r)[(rt)] = s1_ + s2_;                                                            \
        (r)[2 * (rt)] = s2_ - s1_;                                                        \
        (r)[3 * (rt)] = s1_ - s3_;                                                        \
    } while (0)

/* o0[l] = x[2l], o1[l] = x[2l + 1]: the even and odd lanes of x[0..16). */
#define WINO_DEAL2(x, o0, o1)                                                            \
    do {                                                                                 \
        or_v8f a_, b_;                                                                   \
        a_ = OR_V8F_LOAD((x));                                                          \
        b_ = OR_V8F_LOAD((x) + 8);                                                      \
        (o0) = __builtin_shufflevector(a_, b_, 0, 2, 4, 6, 8, 10, 12, 14);               \
        (o1) = __builtin_shufflevector(a_, b_, 1, 3, 5, 7, 9, 11, 13, 15);               \
    } while (0)

/* line[0..span) = zeros, then src[0..len) at line + pl (no source: all
 * zeros); span a multiple of 8, pl + len <= span. */
static void wino_line(float *restrict line, int64_t span, int64_t pl, const float *restrict src,
                      int64_t len)
{
    const or_v8f zero = { 0 };
    for (int64_t u = 0; u < span; u += 8) OR_V8F_STORE(line + u, zero);
    if (!src) return;
    float *d = line + pl;
    int64_t q = 0;
    for (; q + 8 <= len; q += 8) OR_V8F_STORE(d + q, OR_V8F_LOAD(src + q));
    if (q < len) {
        or_v8f t;
        OR_V8F_LOAD_N(t, src + q, len - q);
        OR_V8F_STORE_N(d + q, t, len - q);
    }
}

void or_wino_input(const or_wino *g, const float *x, int64_t r0, int64_t nr, int64_t c0,
                   int64_t c1, int f0, int f1, float *v, float *lines)
{
    const int n = g->n, a = n + 2;
    /* the rows i of the transformed tile that hold f0..f1-1 (f = i * a + j) */
    const int i0 = f0 / a, i1 = f1 > f0 ? (f1 - 1) / a + 1 : i0;
    const int64_t stride_f = g->vf, span = g->span;
    float *rin = lines, *rt = lines + 6 * span; /* a padded input rows, their B^T */
    int64_t n_copy = g->w < span - g->pl ? g->w : span - g->pl;
    for (int64_t c = c0; c < c1; c++) {
        const float *xc = x + c * g->h * g->w;
        for (int64_t tr = r0; tr < r0 + nr; tr++) {
            /* rows: rin[i][u] = x[n tr - pt + i][u - pl], zero outside, in
             * vector moves (not a memset and a memcpy call per row: resnet50's
             * layer1 3x3 0.85 -> 0.81 ms with the output's masked edges) */
            for (int i = 0; i < a; i++) {
                int64_t r = tr * n - g->pt + i;
                wino_line(rin + i * span, span, g->pl,
                          r >= 0 && r < g->h ? xc + r * g->w : NULL, n_copy);
            }
            /* columns of every tile at once: rt = B^T rin, along the rows */
            for (int64_t u = 0; u < span; u += 8) {
                /* sv by plain loads, never zero-initialised: gcc made
                 * "= { 0 }" a rep stos per vector column, 30% of this
                 * function's time */
                or_v8f sv[6], tv[6];
                if (n == 4) {
                    for (int i = 0; i < 6; i++) sv[i] = OR_V8F_LOAD(rin + i * span + u);
                    WINO_BT(sv, 1, tv, 1);
                } else {
                    for (int i = 0; i < 4; i++) sv[i] = OR_V8F_LOAD(rin + i * span + u);
                    WINO_BT2(sv, 1, tv, 1);
                }
                for (int i = i0; i < i1; i++) OR_V8F_STORE(rt + i * span + u, tv[i]);
            }
            /* rows of 8 tiles at a time: the stride-n windows, then B. A
             * last group of fewer than 8 tiles is stored whole: its extra
             * lanes land on the next tile row's first tiles, which this
             * loop writes next (the rows of a channel go in order, on one
             * thread), or, after the block's last row, in the 8 floats of
             * slack at the end of each row of V (g->block): no copy of
             * variable length per f (gcc made each a loop of 8-byte moves). */
            for (int64_t tc = 0; tc < g->tw; tc += 8) {
                float *vt = v + c * g->block + (tr - r0) * g->tw + tc;
                for (int i = i0; i < i1; i++) {
                    const float *line = rt + i * span + n * tc;
                    or_v8f sv[6], tv[6];
                    if (n == 4) {
                        or_v8f unused0, unused1;
                        WINO_DEAL4(line, sv[0], sv[1], sv[2], sv[3]);
                        WINO_DEAL4(line + 4, sv[4], sv[5], unused0, unused1);
                        (void)unused0;
                        (void)unused1;
                        WINO_BT(sv, 1, tv, 1);
                    } else {
                        WINO_DEAL2(line, sv[0], sv[1]);
                        WINO_DEAL2(line + 2, sv[2], sv[3]);
                        WINO_BT2(sv, 1, tv, 1);
                    }
                    int j0 = i * a < f0 ? f0 - i * a : 0, j1 = i * a + a > f1 ? f1 - i * a : a;
                    for (int j = j0; j < j1; j++) {
                        __builtin_prefetch(vt + (i * a + j) * stride_f + WINO_PF_OUT, 1);
                        OR_V8F_STORE(vt + (i * a + j) * stride_f, tv[j]);
                    }
                }
            }
        }
    }
}

/* ---- output: Y = A^T M A ---- */


/* r[0..4) = A^T s[0..6) for vectors s[k * st], r[k * rt]. */
#define WINO_AT(s, st, r, rt)                                                             \
    do {                                                                                  \
        or_v8f s1_ = (s)[(st)], s2_ = (s)[2 * (st)], s3_ = (s)[3 * (st)], s4_ = (s)[4 * (st)]; \
        or_v8f a_ = s1_ + s2_, b_ = s1_ - s2_, c_ = s3_ + s4_, d_ = s3_ - s4_;            \
        (r)[0] = (s)[0] + a_ + c_;                                                        \
        (r)[(rt)] = b_ + 2.0f * d_;                                                       \
        (r)[2 * (rt)] = a_ + 4.0f * c_;                                                   \
        (r)[3 * (rt)] = b_ + 8.0f * d_ + (s)[5 * (st)];                                   \
    } while (0)

/* F(2x2): r[0..2) = A^T s[0..4). */
#define WINO_AT2(s, st, r, rt)                                                            \
    do {                                                                                  \
        or_v8f s1_ = (s)[(st)], s2_ = (s)[2 * (st)];                                      \
        (r)[0] = (s)[0] + s1_ + s2_;                                                      \
        (r)[(rt)] = s1_ - s2_ - (s)[3 * (st)];                                            \
    } while (0)

void or_wino_output(const or_wino *g, const float *mf, int64_t r0, int64_t nr, int64_t m0,
                    int64_t m1, const float *bias, const or_epilogue *e, const float *add,
                    float *y)
{
    const int n = g->n;
    const int64_t stride_f = g->mf, plane = g->oh * g->ow;
    for (int64_t m = m0; m < m1; m++) {
        const float b = bias ? bias[m] : 0.0f;
        float *ym = y + m * plane;
        const float *am = add ? add + m * plane : NULL;
        for (int64_t tr = r0; tr < r0 + nr; tr++)
            for (int64_t tc = 0; tc < g->tw; tc += 8) {
                or_v8f mv[36], tv[24], ov[16];
                const float *mm = mf + m * g->block + (tr - r0) * g->tw + tc;
                /* M is 36 (or 16) streams, one per f, each read in order
                 * (tiles, then the next channel): more than the hardware
                 * prefetchers follow, so each is fetched WINO_PF_OUT
                 * floats ahead */
                for (int f = 0; f < g->f; f++) {
                    __builtin_prefetch(mm + f * stride_f + WINO_PF_OUT);
                    mv[f] = OR_V8F_LOAD(mm + f * stride_f);
                }
                if (n == 4) {
                    for (int j = 0; j < 6; j++) WINO_AT(mv + j, 6, tv + j, 6);         /* 4 x 6 */
                    for (int i = 0; i < 4; i++) WINO_AT(tv + 6 * i, 1, ov + 4 * i, 1); /* 4 x 4 */
                } else {
                    for (int j = 0; j < 4; j++) WINO_AT2(mv + j, 4, tv + j, 4);        /* 2 x 4 */
                    for (int i = 0; i < 2; i++) WINO_AT2(tv + 4 * i, 1, ov + 2 * i, 1); /* 2 x 2 */
                }
                /* output row i of the 8 tiles: 8n consecutive columns from q0 */
                int64_t q0 = n * tc, cols = g->ow - q0 < 8 * n ? g->ow - q0 : 8 * n;
                for (int i = 0; i < n && tr * n + i < g->oh; i++) {
                    or_v8f seg[4];
                    if (n == 4) {
                        WINO_GATHER4(ov[4 * i], ov[4 * i + 1], ov[4 * i + 2], ov[4 * i + 3],
                                     seg[0], seg[1], seg[2], seg[3]);
                    } else {
                        seg[0] = __builtin_shufflevector(ov[2 * i], ov[2 * i + 1], 0, 8, 1, 9, 2,
                                                         10, 3, 11);
                        seg[1] = __builtin_shufflevector(ov[2 * i], ov[2 * i + 1], 4, 12, 5, 13,
                                                         6, 14, 7, 15);
                    }
                    int64_t at = (tr * n + i) * g->ow + q0;
                    /* columns [q0, q0 + cols): whole vectors, then a masked
                     * one (never past the row: the next row is written) */
                    for (int q = 0; q < n && 8 * q < cols; q++) {
                        int64_t left = cols - 8 * q;
                        seg[q] += b;
                        if (am) {
                            or_v8f av;
                            if (left >= 8) av = OR_V8F_LOAD(am + at + 8 * q);
                            else OR_V8F_LOAD_N(av, am + at + 8 * q, left);
                            seg[q] += av;
                        }
                        OR_V8F_ACT(seg[q], e);
                        if (left >= 8) OR_V8F_STORE(ym + at + 8 * q, seg[q]);
                        else OR_V8F_STORE_N(ym + at + 8 * q, seg[q], left);
                    }
                }
            }
    }
}
