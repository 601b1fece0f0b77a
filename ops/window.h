/*
 * window.h - sliding-window geometry shared by Conv, ConvTranspose and the
 * pools (ops/conv.c, ops/pool.c): the kernel_shape / strides / dilations /
 * pads / auto_pad / ceil_mode attributes, and the output size they give for
 * an input shape, with every size computation checked for overflow.
 *
 * Coordinates: along spatial axis i, output position o reads input
 * positions o * stride[i] - pad_begin[i] + t * dilation[i], t in [0, kernel[i]).
 */
#ifndef OR_WINDOW_H
#define OR_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

#define OR_WIN_MAX (OR_MAX_RANK - 2) /* spatial axes: the tensors are N, C, spatial... */

typedef enum or_auto_pad {
    OR_PAD_NOTSET = 0,
    OR_PAD_SAME_UPPER,
    OR_PAD_SAME_LOWER,
    OR_PAD_VALID,
} or_auto_pad;

/* Which optional attributes an op version defines (others must be absent). */
enum {
    OR_WIN_DILATIONS = 1u << 0,
    OR_WIN_CEIL = 1u << 1,
};

/* The window attributes as written on the node (read once, at init). A
 * count of 0 means the attribute is absent (defaults apply). */
typedef struct or_window_attrs {
    size_t n_kernel, n_strides, n_dilations, n_pads;
    int64_t kernel[OR_WIN_MAX];
    int64_t strides[OR_WIN_MAX];
    int64_t dilations[OR_WIN_MAX];
    int64_t pads[2 * OR_WIN_MAX];   /* begins of every axis, then ends */
    or_auto_pad auto_pad;
    bool ceil_mode;
} or_window_attrs;

/* Geometry resolved for one input shape (at infer). */
typedef struct or_window {
    int n;                          /* spatial rank, 1 .. OR_WIN_MAX */
    int64_t in[OR_WIN_MAX];         /* input spatial dims */
    int64_t out[OR_WIN_MAX];        /* output spatial dims */
    int64_t kernel[OR_WIN_MAX];
    int64_t stride[OR_WIN_MAX];
    int64_t dilation[OR_WIN_MAX];
    int64_t pad_begin[OR_WIN_MAX];  /* may be negative only for ConvTranspose */
    int64_t pad_end[OR_WIN_MAX];
    int64_t in_size, out_size, kernel_size; /* products of in, out, kernel */
} or_window;

/* Reads kernel_shape, strides, pads, auto_pad and, when `allow` says the op
 * version has them, dilations and ceil_mode. Fails on wrong attribute types,
 * on values out of range (stride, dilation, kernel < 1, pads < 0), on an
 * unknown auto_pad, and on an attribute the op version does not define. */
or_status or_window_read(or_kernel *k, unsigned allow, or_window_attrs *a);

/* Resolves the forward (Conv / pooling) geometry for input spatial dims
 * in[0..n). kernel is the kernel shape (from W for Conv, or NULL to take
 * kernel_shape, which is then required). Fails with a message naming the
 * axis when counts disagree with the rank, the effective kernel exceeds the
 * padded input, or a size overflows. */
or_status or_window_forward(or_kernel *k, const or_window_attrs *a, int n, const int64_t *in,
                            const int64_t *kernel, or_window *w);

/* Effective kernel extent (kernel - 1) * dilation + 1; false on overflow. */
bool or_window_extent(int64_t kernel, int64_t dilation, int64_t *ext);

/* Floor division for any signs (b > 0). */
static inline int64_t or_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Output positions o in [0, n_out) whose input position o * s + off lies in
 * [0, n_in): the range [*lo, *hi) (empty when *lo >= *hi). s >= 1. */
static inline void or_window_valid(int64_t n_out, int64_t n_in, int64_t s, int64_t off,
                                   int64_t *lo, int64_t *hi)
{
    if (s == 1) { /* the common case, without divisions */
        int64_t l = off >= 0 ? 0 : -off, h = n_in - off;
        *lo = l < n_out ? l : n_out;
        *hi = h < n_out ? h : n_out;
        if (*hi < *lo) *hi = *lo;
        return;
    }
    /* o * s + off >= 0  <=>  o >= ceil(-off / s) */
    int64_t l = off >= 0 ? 0 : or_floor_div(-off + s - 1, s);
    /* o * s + off <= n_in - 1  <=>  o <= floor((n_in - 1 - off) / s) */
    int64_t h = n_in - 1 - off < 0 ? 0 : or_floor_div(n_in - 1 - off, s) + 1;
    *lo = l < n_out ? l : n_out;
    *hi = h < n_out ? h : n_out;
    if (*hi < *lo) *hi = *lo;
}

#endif /* OR_WINDOW_H */
