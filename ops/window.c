/*
 * window.c - reading and resolving sliding-window attributes (see window.h).
 * Attribute values are limited to [.., 2^31) so that every product below
 * fits in int64 together with tensor dims (< 2^40, see tensor.h).
 */
#include <string.h>

#include "window.h"

#define WIN_LIMIT ((int64_t)1 << 31)

static or_status read_list(or_kernel *k, const char *name, size_t max, int64_t lo,
                           int64_t *vals, size_t *n)
{
    OR_TRY(or_attr_ints(k, name, max, vals, n));
    for (size_t i = 0; i < *n; i++)
        OR_CHECK(k, vals[i] >= lo && vals[i] < WIN_LIMIT,
                 "attribute '%s'[%zu] = %lld is out of range [%lld, 2^31)", name, i,
                 (long long)vals[i], (long long)lo);
    return ONNXRUN_OK;
}

or_status or_window_read(or_kernel *k, unsigned allow, or_window_attrs *a)
{
    static const char *const pad_names[] = { "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID" };
    const char *ap;
    memset(a, 0, sizeof *a);
    OR_TRY(read_list(k, "kernel_shape", OR_WIN_MAX, 1, a->kernel, &a->n_kernel));
    OR_TRY(read_list(k, "strides", OR_WIN_MAX, 1, a->strides, &a->n_strides));
    OR_TRY(read_list(k, "pads", 2 * OR_WIN_MAX, 0, a->pads, &a->n_pads));
    OR_CHECK(k, a->n_pads % 2 == 0, "attribute 'pads' has an odd count %zu", a->n_pads);
    /* attributes of later op versions are read anyway: an explicit default
     * value is harmless, anything else is not what this version computes */
    OR_TRY(read_list(k, "dilations", OR_WIN_MAX, 1, a->dilations, &a->n_dilations));
    for (size_t i = 0; i < a->n_dilations && !(allow & OR_WIN_DILATIONS); i++)
        OR_CHECK(k, a->dilations[i] == 1,
                 "attribute 'dilations' is not defined for this op at opset %lld",
                 (long long)k->opset);
    int64_t c;
    OR_TRY(or_attr_int(k, "ceil_mode", 0, &c));
    OR_CHECK(k, c == 0 || c == 1, "attribute 'ceil_mode' must be 0 or 1, not %lld", (long long)c);
    OR_CHECK(k, c == 0 || (allow & OR_WIN_CEIL),
             "attribute 'ceil_mode' is not defined for this op at opset %lld", (long long)k->opset);
    a->ceil_mode = c == 1;
    OR_TRY(or_attr_string(k, "auto_pad", "NOTSET", &ap));
    a->auto_pad = (or_auto_pad)-1;
    for (int i = 0; i < 4; i++)
        if (strcmp(ap, pad_names[i]) == 0) a->auto_pad = (or_auto_pad)i;
    OR_CHECK(k, (int)a->auto_pad >= 0,
             "attribute 'auto_pad' is '%s'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID",
             ap);
    if (a->auto_pad != OR_PAD_NOTSET)
        for (size_t i = 0; i < a->n_pads; i++)
            OR_CHECK(k, a->pads[i] == 0,
                     "attribute 'pads' cannot be used together with auto_pad '%s'", ap);
    return ONNXRUN_OK;
}

/* *acc *= v, kept below 2^40 (the largest tensor); false otherwise. */
static bool size_mul(int64_t *acc, int64_t v)
{
    int64_t r;
    if (__builtin_mul_overflow(*acc, v, &r) || r >= ((int64_t)1 << 40)) return false;
    *acc = r;
    return true;
}

bool or_window_extent(int64_t kernel, int64_t dilation, int64_t *ext)
{
    int64_t e;
    if (kernel < 1 || dilation < 1) return false;
    if (__builtin_mul_overflow(kernel - 1, dilation, &e) || __builtin_add_overflow(e, 1, &e))
        return false;
    *ext = e;
    return true;
}

or_status or_window_forward(or_kernel *k, const or_window_attrs *a, int n, const int64_t *in,
                            const int64_t *kernel, or_window *w)
{
    OR_CHECK_SHAPE(k, n >= 1 && n <= OR_WIN_MAX,
                   "input has %d spatial axes; 1 to %d are supported", n, OR_WIN_MAX);
    if (!kernel) {
        OR_CHECK(k, a->n_kernel > 0, "attribute 'kernel_shape' is required");
        kernel = a->kernel;
    }
    OR_CHECK_SHAPE(k, a->n_kernel == 0 || a->n_kernel == (size_t)n,
                   "attribute 'kernel_shape' has %zu values for %d spatial axes", a->n_kernel, n);
    OR_CHECK_SHAPE(k, a->n_strides == 0 || a->n_strides == (size_t)n,
                   "attribute 'strides' has %zu values for %d spatial axes", a->n_strides, n);
    OR_CHECK_SHAPE(k, a->n_dilations == 0 || a->n_dilations == (size_t)n,
                   "attribute 'dilations' has %zu values for %d spatial axes", a->n_dilations, n);
    OR_CHECK_SHAPE(k, a->n_pads == 0 || a->n_pads == 2 * (size_t)n,
                   "attribute 'pads' has %zu values for %d spatial axes (expected %d)",
                   a->n_pads, n, 2 * n);
    memset(w, 0, sizeof *w);
    w->n = n;
    w->in_size = w->out_size = w->kernel_size = 1;
    for (int i = 0; i < n; i++) {
        int64_t s = a->n_strides ? a->strides[i] : 1;
        int64_t d = a->n_dilations ? a->dilations[i] : 1;
        int64_t pb = a->n_pads ? a->pads[i] : 0, pe = a->n_pads ? a->pads[n + i] : 0;
        int64_t ext, out, x = in[i];
        OR_CHECK_SHAPE(k, kernel[i] >= 1 && kernel[i] < WIN_LIMIT,
                       "kernel size %lld on spatial axis %d is out of range",
                       (long long)kernel[i], i);
        OR_CHECK_SHAPE(k, a->n_kernel == 0 || a->kernel[i] == kernel[i],
                       "attribute 'kernel_shape'[%d] = %lld disagrees with the weight's %lld", i,
                       (long long)a->kernel[i], (long long)kernel[i]);
        OR_CHECK_SHAPE(k, or_window_extent(kernel[i], d, &ext),
                       "dilated kernel size overflows on spatial axis %d", i);
        switch (a->auto_pad) {
        case OR_PAD_SAME_UPPER:
        case OR_PAD_SAME_LOWER: {
            out = x == 0 ? 0 : (x - 1) / s + 1;
            int64_t total = out == 0 ? 0 : (out - 1) * s + ext - x;
            if (total < 0) total = 0;
            pb = a->auto_pad == OR_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
            break;
        }
        case OR_PAD_VALID:
            pb = pe = 0;
            /* fall through */
        default: {
            int64_t padded = x + pb + pe; /* < 2^40 + 2^32 */
            OR_CHECK_SHAPE(k, padded >= ext,
                           "kernel extent %lld (size %lld, dilation %lld) is larger than the "
                           "padded input %lld on spatial axis %d",
                           (long long)ext, (long long)kernel[i], (long long)d, (long long)padded,
                           i);
            if (a->ceil_mode && a->auto_pad == OR_PAD_NOTSET) {
                out = (padded - ext + s - 1) / s + 1;
                /* the last window must start inside the input or the left padding */
                if ((out - 1) * s >= x + pb) out--;
            } else {
                out = (padded - ext) / s + 1;
            }
        }
        }
        w->in[i] = x;
        w->out[i] = out;
        w->kernel[i] = kernel[i];
        w->stride[i] = s;
        w->dilation[i] = d;
        w->pad_begin[i] = pb;
        w->pad_end[i] = pe;
        if (!size_mul(&w->in_size, x) || !size_mul(&w->out_size, out) ||
            !size_mul(&w->kernel_size, kernel[i]))
            return or_fail(k, ONNXRUN_E_LIMIT, "window sizes overflow on spatial axis %d", i);
    }
    return ONNXRUN_OK;
}
