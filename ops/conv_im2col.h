/*
 * conv_im2col.h - the data-movement loops under Conv and ConvTranspose
 * (ops/conv.c), for any spatial rank: im2col (gather input windows into the
 * columns of a matrix), col2im (its adjoint, scatter-adding columns back),
 * and the direct loop for depthwise convolution.
 *
 * Layout: planes are row-major spatial blocks (one channel of one batch
 * item). A column matrix has rows r = c * kernel_size + t (channel c, kernel
 * offset t, row-major over the kernel axes) and one column per position.
 */
#ifndef OR_CONV_IM2COL_H
#define OR_CONV_IM2COL_H

#include <stdint.h>

#include "window.h"

/* Conv: rows [r0, r1) of the column tile col (row length `cols`, holding
 * output positions j0 .. j0 + cols - 1). x holds the group's input planes
 * (w->in_size floats each). Padding reads as 0. */
void or_im2col(const or_window *w, const float *x, int64_t j0, int64_t cols, int64_t r0,
               int64_t r1, float *col);

/* ConvTranspose: for output channels [m0, m1) of a group, adds the tile col
 * (rows m * kernel_size + t, `cols` columns for input positions j0 ..) into
 * the output planes y (w->out_size floats each). Here w->in is the input
 * (X) spatial shape and w->out the output (Y) shape: input position p
 * lands on output position p * stride - pad_begin + t * dilation. */
void or_col2im(const or_window *w, const float *col, int64_t j0, int64_t cols, int64_t m0,
               int64_t m1, float *y);

/* Depthwise Conv of one plane: y = bias + x (*) wt, wt holding
 * w->kernel_size weights. */
void or_conv_depthwise_plane(const or_window *w, const float *x, const float *wt, float bias,
                             float *y);

#endif /* OR_CONV_IM2COL_H */
