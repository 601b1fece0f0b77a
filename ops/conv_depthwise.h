/*
 * conv_depthwise.h - 2-D depthwise convolution (one input channel per
 * group) with stride 1 or 2 and no dilation, one output plane at a time in
 * whole vectors (ops/conv.c chooses it; other depthwise layers take the
 * generic loop of conv_im2col.c).
 *
 * The input plane is first copied into a zero-padded buffer, so the taps
 * need no bounds checks; at stride 2 each padded row is stored as its even
 * and its odd columns, so every tap reads consecutive floats. Each output
 * vector (8 columns) sums its kh x kw taps in registers, then gets the bias
 * and the fused epilogue before it is stored.
 */
#ifndef OR_CONV_DEPTHWISE_H
#define OR_CONV_DEPTHWISE_H

#include <stdint.h>

#include "window.h"

#define OR_DW_MAX_TAPS 64 /* kernels up to 8 x 8 */
#define OR_DW_MAX_FLOATS ((int64_t)1 << 22) /* buffer per thread: 16 MiB */

typedef struct or_dw {
    int64_t h, w, oh, ow;      /* input and output plane sizes */
    int64_t kh, kw, s;         /* kernel, stride (both axes) */
    int64_t pt, pl;            /* top and left padding */
    int64_t rows;              /* padded rows the windows read */
    int64_t ld;                /* floats per padded row (stride 2: per half row) */
    int64_t floats;            /* buffer floats per thread */
} or_dw;

/* Whether the window is one this kernel handles (2-D, square stride 1 or 2,
 * no dilation, at most OR_DW_MAX_TAPS taps, pads >= 0, a padded plane of
 * at most OR_DW_MAX_FLOATS); fills d. */
bool or_dw_plan(or_dw *d, const or_window *w);

/* One output plane: y = act(bias + x (*) wt + add) (add: the residual's
 * plane or NULL; e: the activation, its add not read). x is the input
 * plane, wt its kh * kw weights, buf d->floats floats of the caller's,
 * fresh for its first plane (later planes of the same geometry reuse its
 * zero padding). */
void or_dw_plane(const or_dw *d, const float *x, const float *wt, float bias,
                 const or_epilogue *e, const float *add, float *y, float *buf, bool fresh);

#endif /* OR_CONV_DEPTHWISE_H */
