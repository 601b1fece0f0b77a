/*
 * conv_winograd.h - 2-D 3x3 stride-1 convolution by Winograd's minimal
 * filtering F(n x n, 3x3), n = 4 or 2 (ops/conv.c chooses): the output is
 * cut into n x n tiles, each computed from its a x a input patch d (a =
 * n + 2) as
 *     Y = A^T [ sum_c (G g_c G^T) . (B^T d_c B) ] A
 * so the a*a products per tile and channel pair are a*a matrix products
 * U_f (M x C) * V_f (C x tiles), f = 0 .. a*a - 1 (conv_gemm.c).
 *   U_f[m][c] = (G g_mc G^T)[f]   weights, transformed once at infer
 *   V_f[c][t] = (B^T d_ct B)[f]   input patches, transformed per run
 *   M_f = U_f V_f; Y tile t of channel m = A^T M_.[m][t] A, plus the bias
 *   and the fused epilogue, written straight into Y (edges clipped).
 * F(4x4, 3x3): 36 products per 16 outputs, 2.25 multiplies per output and
 * input channel instead of 9, weights 4x larger; F(2x2, 3x3): 16 per 4
 * (4 multiplies), weights 16/9 larger, for small outputs where 4x4 tiles
 * would be few and mostly padding.
 */
#ifndef OR_CONV_WINOGRAD_H
#define OR_CONV_WINOGRAD_H

#include <stdint.h>

#include "window.h"

#define OR_WINO_F 36 /* transformed tile elements, at most (6 x 6) */

/* The geometry of one Winograd convolution (one batch item, group 1).
 * Tiles are numbered row by row (t = tile row * tw + tile column) and
 * processed in blocks of whole tile rows. */
typedef struct or_wino {
    int n;                     /* output tile side: 4 or 2 */
    int f;                     /* products: (n + 2)^2 */
    int64_t c, m;              /* input and output channels */
    int64_t h, w;              /* input height, width */
    int64_t oh, ow;            /* output height, width */
    int64_t pt, pl;            /* top and left padding */
    int64_t th, tw;            /* tile rows and columns (n x n output tiles) */
    int64_t rows;              /* tile rows per block */
    int64_t block;             /* floats per row of V_f and M_f: rows * tw + slack */
    int64_t span;              /* floats per line buffer of or_wino_input */
    int64_t vf, mf;            /* floats from V_f to V_f+1 and from M_f to M_f+1 (c and m rows
                                * of block, padded: see or_wino_plan) */
} or_wino;

/* Whether the window is one Winograd handles: 2-D, 3x3, stride 1, no
 * dilation. */
bool or_wino_fits(const or_window *w);

/* Fills g for tile side n (4 or 2), input channels c, output channels m
 * and window w, with tile row blocks sized for about budget bytes of V and
 * M (at least one tile row). False when even one tile row needs more than
 * 4 * budget. */
bool or_wino_plan(or_wino *g, int n, int64_t c, int64_t m, const or_window *w, int64_t budget);

/* Scratch floats: V and M for one block (or_wino_v, or_wino_m), then
 * `parts` line buffers for or_wino_input (or_wino_lines). */
size_t or_wino_scratch_floats(const or_wino *g, int parts);
float *or_wino_v(const or_wino *g, float *scratch);
float *or_wino_m(const or_wino *g, float *scratch);
float *or_wino_lines(const or_wino *g, float *scratch, int part);

/* The transformed weights U_f = (G g_mc G^T)[f] from wt[m][c][3][3],
 * written straight into conv_gemm.h's packed layout with panels of `rows`
 * rows (OR_GEMM_MR, or OR_GEMM_MV for mv): U_f's panels start at
 * pack + f * step. Panels [p0, p1) (of (m + rows - 1) / rows). False when
 * out of memory (for a small buffer). */
bool or_wino_weights(const or_wino *g, const float *wt, int rows, float *pack, size_t step,
                     int64_t p0, int64_t p1);

/* Channels [c0, c1) of V_f for f in [f0, f1) (all: 0, g->f), for tile rows
 * [r0, r0 + nr) of x (c planes of h x w): v[f][c][t - r0 * tw], rows of
 * g->block floats, V_f g->vf floats apart. lines: one line buffer
 * (or_wino_lines) of the calling thread. */
void or_wino_input(const or_wino *g, const float *x, int64_t r0, int64_t nr, int64_t c0,
                   int64_t c1, int f0, int f1, float *v, float *lines);

/* Output channels [m0, m1) of tile rows [r0, r0 + nr) from mf[f][m][t - r0 *
 * tw] (rows of g->block floats, M_f g->mf apart): y planes (oh x ow) = A^T M A + bias[m]
 * (bias may be NULL), then the epilogue e with its residual read at add
 * (laid out like y, or NULL). */
void or_wino_output(const or_wino *g, const float *mf, int64_t r0, int64_t nr, int64_t m0,
                    int64_t m1, const float *bias, const or_epilogue *e, const float *add,
                    float *y);

#endif /* OR_CONV_WINOGRAD_H */
