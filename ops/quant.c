/*
 * quant.c - linear quantization: QuantizeLinear, DequantizeLinear (10, 13,
 * 19, 21), DynamicQuantizeLinear (11), and the integer products
 * MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv (10).
 *
 *   quantize    q = saturate(rint(x / scale) + zero_point)   (half to even)
 *   dequantize  x = (q - zero_point) * scale
 * A scale and its zero point are one value, or (opset 13 on) one per index
 * of x along `axis`. Quantized types: uint8, int8, uint16, int16 (and
 * int32 for DequantizeLinear).
 *
 * The integer products accumulate (a - a_zero) * (b - b_zero) exactly in
 * int32 (each term fits in 17 bits, so 2^14 of them cannot overflow; K is
 * refused beyond that). Rows are formed once per matrix as int32 minus
 * the zero point, then a row-by-row multiply-add (i, k, j order: the
 * inner loop runs along a row of B and of Y and vectorises). ConvInteger
 * and QLinearConv gather each group's windows into such a matrix (im2col,
 * padding reads as the zero point, so it adds 0) and multiply it by the
 * weights. The QLinear ops then requantize: y = saturate(rint(acc * a_scale
 * * b_scale / y_scale) + y_zero), with QLinearConv's int32 bias added to
 * acc first. Correct first: no packing, no SIMD kernels of their own.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "window.h"

#define Q_MAX_K (1 << 14) /* inner products at most this long stay exact in int32 */

static bool is_qtype(onnxrun_dtype dt)
{
    return dt == ONNXRUN_UINT8 || dt == ONNXRUN_INT8 || dt == ONNXRUN_UINT16 || dt == ONNXRUN_INT16;
}

/* Element i of an integer tensor of type dt. */
static inline int32_t qget(const void *p, onnxrun_dtype dt, int64_t i)
{
    switch (dt) {
    case ONNXRUN_UINT8: return ((const uint8_t *)p)[i];
    case ONNXRUN_INT8: return ((const int8_t *)p)[i];
    case ONNXRUN_UINT16: return ((const uint16_t *)p)[i];
    case ONNXRUN_INT16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

static void qrange(onnxrun_dtype dt, float *lo, float *hi)
{
    switch (dt) {
    case ONNXRUN_INT8: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case ONNXRUN_UINT16: *lo = 0; *hi = UINT16_MAX; break;
    case ONNXRUN_INT16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    default: *lo = 0; *hi = UINT8_MAX; break;
    }
}

/* Stores rint(v) + zero saturated to dt's range (v: the scaled value). */
static inline void qput(void *p, onnxrun_dtype dt, int64_t i, float v, int32_t zero, float lo, float hi)
{
    float q = rintf(v) + (float)zero;
    q = q != q ? (float)zero : q < lo ? lo : q > hi ? hi : q; /* NaN: the zero point */
    switch (dt) {
    case ONNXRUN_UINT8: ((uint8_t *)p)[i] = (uint8_t)q; break;
    case ONNXRUN_INT8: ((int8_t *)p)[i] = (int8_t)q; break;
    case ONNXRUN_UINT16: ((uint16_t *)p)[i] = (uint16_t)q; break;
    default: ((int16_t *)p)[i] = (int16_t)q; break;
    }
}

/* ---- QuantizeLinear, DequantizeLinear ---- */

typedef struct qlin_params {
    int64_t axis;             /* attribute */
    onnxrun_dtype out_dt;     /* QuantizeLinear: the output's type */
    int64_t outer, len, inner; /* x as [outer, len, inner] around the axis (len 1: per tensor) */
} qlin_params;

static bool is_quantize(const or_kernel *k)
{
    return k->def->op_type[0] == 'Q';
}

static or_status qlin_init(or_kernel *k)
{
    qlin_params *p = k->params;
    int64_t block = 0, out_dt = 0;
    OR_TRY(or_attr_int(k, "axis", 1, &p->axis));
    OR_TRY(or_attr_int(k, "block_size", 0, &block));
    OR_CHECK_TYPE(k, block == 0, "blocked quantization (block_size %lld) is not supported",
                  (long long)block);
    if (is_quantize(k)) {
        OR_TRY(or_attr_int(k, "output_dtype", 0, &out_dt));
        OR_CHECK_TYPE(k, out_dt == 0 || is_qtype((onnxrun_dtype)out_dt),
                      "attribute 'output_dtype' = %lld is not uint8, int8, uint16 or int16",
                      (long long)out_dt);
        p->out_dt = (onnxrun_dtype)out_dt;
    }
    return ONNXRUN_OK;
}

/* Checks a scale or zero point against x: one value, or (per axis) a 1-D
 * tensor of x's length along the axis; sets p->len. */
static or_status check_qparam(or_kernel *k, size_t i, const char *name, const or_tensor *x)
{
    qlin_params *p = k->params;
    const or_tensor *t = k->in[i];
    int64_t n = or_numel(t);
    if (t->rank == 0 || (t->rank == 1 && n == 1 && p->len == 1)) return ONNXRUN_OK;
    OR_CHECK_SHAPE(k, t->rank == 1 && k->opset >= 13, "%s must be a scalar%s", name,
                   k->opset >= 13 ? " or 1-D (per axis)" : "");
    int a;
    OR_TRY(or_axis(k, p->axis, x->rank, &a));
    OR_CHECK_SHAPE(k, n == x->dims[a], "%s has %lld values but x has %lld along axis %d", name,
                   (long long)n, (long long)x->dims[a], a);
    p->outer = or_dims_prod(x->dims, 0, a);
    p->len = n;
    p->inner = or_dims_prod(x->dims, a + 1, x->rank);
    return ONNXRUN_OK;
}

static or_status qlin_infer(or_kernel *k)
{
    qlin_params *p = k->params;
    bool quant = is_quantize(k);
    const or_tensor *x, *s, *z = or_in(k, 2);
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_need_input(k, 1, &s));
    if (quant) OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_INT32, ONNXRUN_UNDEFINED));
    else OR_TRY(or_check_dtype(k, 0, ONNXRUN_UINT8, ONNXRUN_INT8, ONNXRUN_UINT16, ONNXRUN_INT16,
                               ONNXRUN_INT32, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    p->outer = or_numel(x);
    p->len = 1;
    p->inner = 1;
    OR_TRY(check_qparam(k, 1, "the scale", x));
    onnxrun_dtype qt = quant ? (p->out_dt ? p->out_dt : ONNXRUN_UINT8) : x->dtype;
    if (z) {
        OR_CHECK_TYPE(k, quant ? is_qtype(z->dtype) && (!p->out_dt || z->dtype == p->out_dt)
                               : z->dtype == x->dtype,
                      "the zero point has type %s; expected %s", onnxrun_dtype_name(z->dtype),
                      quant ? "uint8, int8, uint16 or int16 (and output_dtype)" : "x's type");
        qt = z->dtype;
        int64_t len = p->len;
        OR_TRY(check_qparam(k, 2, "the zero point", x));
        OR_CHECK_SHAPE(k, or_numel(z) == or_numel(s) || (len == 1 && p->len == 1),
                       "the zero point and the scale differ in length");
    }
    if (quant) p->out_dt = qt;
    return or_set_shape(k, k->out[0], quant ? qt : ONNXRUN_FLOAT, x->rank, x->dims);
}

static or_status qlin_run(or_kernel *k)
{
    const qlin_params *p = k->params;
    const or_tensor *x = k->in[0], *z = or_in(k, 2);
    const float *sc = k->in[1]->data;
    void *y = k->out[0]->data;
    float lo, hi;
    qrange(p->out_dt, &lo, &hi);
    for (int64_t o = 0, i = 0; o < p->outer; o++)
        for (int64_t a = 0; a < p->len; a++) {
            float s = sc[p->len > 1 ? a : 0];
            int32_t zero = z ? qget(z->data, z->dtype, p->len > 1 ? a : 0) : 0;
            if (!is_quantize(k)) {
                for (int64_t e = 0; e < p->inner; e++, i++)
                    ((float *)y)[i] = (float)((int64_t)qget(x->data, x->dtype, i) - zero) * s;
            } else if (x->dtype == ONNXRUN_FLOAT) {
                const float *xf = x->data;
                for (int64_t e = 0; e < p->inner; e++, i++) qput(y, p->out_dt, i, xf[i] / s, zero, lo, hi);
            } else {
                const int32_t *xi = x->data;
                for (int64_t e = 0; e < p->inner; e++, i++)
                    qput(y, p->out_dt, i, (float)xi[i] / s, zero, lo, hi);
            }
        }
    return ONNXRUN_OK;
}

/* ---- DynamicQuantizeLinear ---- */

static or_status dynq_infer(or_kernel *k)
{
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_TRY(or_set_shape(k, k->out[0], ONNXRUN_UINT8, x->rank, x->dims));
    if (or_out(k, 1)) OR_TRY(or_set_shape(k, k->out[1], ONNXRUN_FLOAT, 0, x->dims));
    if (or_out(k, 2)) OR_TRY(or_set_shape(k, k->out[2], ONNXRUN_UINT8, 0, x->dims));
    return ONNXRUN_OK;
}

/* scale = (max(x, 0) - min(x, 0)) / 255, zero = rint(-min / scale) in
 * [0, 255], as the spec's function body; all-zero x gives scale 0, zero 0
 * and y 0 (the body would divide by zero). */
static or_status dynq_run(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    const float *xf = x->data;
    int64_t n = or_numel(x);
    float mn = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        mn = xf[i] < mn ? xf[i] : mn;
        mx = xf[i] > mx ? xf[i] : mx;
    }
    float s = (mx - mn) / 255.0f, zf = s > 0 ? rintf(-mn / s) : 0;
    int32_t zero = !(zf >= 0) ? 0 : zf > 255 ? 255 : (int32_t)zf; /* NaN (an infinite range): 0 */
    for (int64_t i = 0; i < n; i++) {
        if (s > 0) qput(k->out[0]->data, ONNXRUN_UINT8, i, xf[i] / s, zero, 0, 255);
        else ((uint8_t *)k->out[0]->data)[i] = 0;
    }
    if (or_out(k, 1)) *(float *)k->out[1]->data = s;
    if (or_out(k, 2)) *(uint8_t *)k->out[2]->data = (uint8_t)zero;
    return ONNXRUN_OK;
}

/* ---- integer matrix products ---- */

/* Input slots of the products: their operands, scales and zero points
 * (-1 where the op has none). */
typedef struct qslots {
    int a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero, bias;
} qslots;

static const qslots SLOTS_INTEGER = { 0, -1, 2, 1, -1, 3, -1, -1, -1 };
static const qslots SLOTS_QLINEAR = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };

static const qslots *slots_of(const or_kernel *k)
{
    return strncmp(k->def->op_type, "QLinear", 7) == 0 ? &SLOTS_QLINEAR : &SLOTS_INTEGER;
}

static const or_tensor *slot(const or_kernel *k, int i)
{
    return i < 0 ? NULL : or_in(k, (size_t)i);
}

typedef struct qprod_params {
    or_matmul_geom g;        /* MatMul: the product's batches */
    or_window_attrs attrs;   /* Conv: the window */
    or_window w;
    int64_t group, cg, mg;   /* Conv: groups, input and output channels per group */
    int64_t a_zero_rows;     /* MatMul: A's zero point per row (its count), or 0 */
    int64_t b_zero_cols;     /* ... B's per column; Conv: W's per output channel */
    int64_t b_scale_cols;
} qprod_params;

/* Checks operand i (a quantized type) and that its zero point, when
 * present, has its type. */
static or_status check_operand(or_kernel *k, int i, int zero, const char *name)
{
    const or_tensor *t = slot(k, i), *z = slot(k, zero);
    OR_CHECK(k, t, "input %s is required", name);
    OR_TRY(or_check_dtype(k, (size_t)i, ONNXRUN_UINT8, ONNXRUN_INT8, ONNXRUN_UNDEFINED));
    if (z)
        OR_CHECK_TYPE(k, z->dtype == t->dtype, "the zero point of %s has type %s but %s has %s", name,
                      onnxrun_dtype_name(z->dtype), name, onnxrun_dtype_name(t->dtype));
    return ONNXRUN_OK;
}

/* A scale or zero point of a product: one value (returns 0) or, when
 * per > 0 allows it, `per` values (returns per). */
static or_status per_count(or_kernel *k, int i, const char *name, int64_t per, int64_t *count)
{
    const or_tensor *t = slot(k, i);
    *count = 0;
    if (!t) return ONNXRUN_OK;
    int64_t n = or_numel(t);
    if (n == 1) return ONNXRUN_OK;
    OR_CHECK_SHAPE(k, per > 0 && n == per, "%s has %lld values; expected 1%s", name, (long long)n,
                   per > 0 ? " or one per row / column / channel" : "");
    *count = per;
    return ONNXRUN_OK;
}

/* QLinear*: the scales are float, y's zero point sets y's type. */
static or_status check_requant(or_kernel *k, onnxrun_dtype *yt)
{
    const qslots *s = slots_of(k);
    *yt = ONNXRUN_INT32;
    if (s->y_scale < 0) return ONNXRUN_OK;
    int sl[] = { s->a_scale, s->b_scale, s->y_scale };
    for (int j = 0; j < 3; j++) {
        OR_CHECK(k, slot(k, sl[j]), "input %d (a scale) is required", sl[j]);
        OR_TRY(or_check_dtype(k, (size_t)sl[j], ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    }
    OR_CHECK(k, slot(k, s->a_zero) && slot(k, s->b_zero) && slot(k, s->y_zero),
             "the zero points (inputs %d, %d, %d) are required", s->a_zero, s->b_zero, s->y_zero);
    OR_TRY(or_check_dtype(k, (size_t)s->y_zero, ONNXRUN_UINT8, ONNXRUN_INT8, ONNXRUN_UNDEFINED));
    int64_t c;
    OR_TRY(per_count(k, s->a_scale, "a's scale", 0, &c));
    OR_TRY(per_count(k, s->y_scale, "y's scale", 0, &c));
    OR_TRY(per_count(k, s->y_zero, "y's zero point", 0, &c));
    *yt = slot(k, s->y_zero)->dtype;
    return ONNXRUN_OK;
}

/* The operands (named a, b) and what requantizes; *yt: the output type. */
static or_status check_product(or_kernel *k, const char *a, const char *b, onnxrun_dtype *yt)
{
    const qslots *s = slots_of(k);
    OR_TRY(check_operand(k, s->a, s->a_zero, a));
    OR_TRY(check_operand(k, s->b, s->b_zero, b));
    return check_requant(k, yt);
}

static or_status qmatmul_infer(or_kernel *k)
{
    qprod_params *p = k->params;
    const qslots *s = slots_of(k);
    onnxrun_dtype yt;
    OR_TRY(check_product(k, "A", "B", &yt));
    int rank;
    int64_t dims[OR_MAX_RANK + 2];
    const or_tensor *a = slot(k, s->a), *b = slot(k, s->b);
    OR_TRY(or_matmul_shape(k, a, b, &p->g, &rank, dims));
    OR_CHECK(k, p->g.k <= Q_MAX_K, "inner dimension %lld exceeds %d (int32 accumulation)",
             (long long)p->g.k, Q_MAX_K);
    OR_TRY(per_count(k, s->a_zero, "A's zero point", p->g.m, &p->a_zero_rows));
    OR_TRY(per_count(k, s->b_zero, "B's zero point", p->g.n, &p->b_zero_cols));
    OR_TRY(per_count(k, s->b_scale, "B's scale", p->g.n, &p->b_scale_cols));
    /* scratch: B minus its zero point as int32, and one int32 row of Y */
    uint64_t bytes;
    OR_CHECK(k, or_mul_ok((uint64_t)p->g.k + 1, (uint64_t)p->g.n, &bytes) &&
                 or_mul_ok(bytes, 4, &bytes) && bytes <= SIZE_MAX / 2,
             "B is too large");
    k->scratch_bytes = (size_t)bytes;
    return or_set_shape(k, k->out[0], yt, rank, dims);
}

/* One row of the product: acc[0..n) = sum over t of (a[t] - za) * bz[t, :]. */
static void int_row(const void *a, onnxrun_dtype at, int64_t a_off, int32_t za, const int32_t *bz,
                    int64_t n, int64_t kk, int32_t *acc)
{
    memset(acc, 0, (size_t)n * sizeof *acc);
    for (int64_t t = 0; t < kk; t++) {
        int32_t av = qget(a, at, a_off + t) - za;
        const int32_t *br = bz + t * n;
        if (av != 0)
            for (int64_t j = 0; j < n; j++) acc[j] += av * br[j];
    }
}

/* Stores a row of products acc[0..n) at y_off of the output: as they are
 * (Integer ops) or requantized (QLinear ops) with bias added and the
 * multiplier a_scale * bs[j * bs_step] / y_scale. */
static void put_row(const or_kernel *k, const int32_t *acc, int64_t n, int64_t y_off, int32_t bias,
                    const float *bs, int64_t bs_step)
{
    const qslots *s = slots_of(k);
    void *y = k->out[0]->data;
    if (s->y_scale < 0) {
        memcpy((int32_t *)y + y_off, acc, (size_t)n * sizeof *acc);
        return;
    }
    const or_tensor *yz = slot(k, s->y_zero);
    float as = *(const float *)slot(k, s->a_scale)->data;
    float ys = *(const float *)slot(k, s->y_scale)->data;
    int32_t zero = qget(yz->data, yz->dtype, 0);
    float lo, hi;
    qrange(yz->dtype, &lo, &hi);
    for (int64_t j = 0; j < n; j++) {
        float mult = as * bs[j * bs_step] / ys;
        qput(y, yz->dtype, y_off + j, (float)((int64_t)acc[j] + bias) * mult, zero, lo, hi);
    }
}

/* bz[r, j] = b[b_off + r * ld + j] minus its zero point (one value, or
 * per row r when per_row, or per column j when per_col). */
static void int_matrix(const or_tensor *b, int64_t b_off, int64_t ld, const or_tensor *zero, bool per_row,
                       bool per_col, int64_t rows, int64_t cols, int32_t *bz)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) {
            int32_t z = zero ? qget(zero->data, zero->dtype, per_row ? r : per_col ? j : 0) : 0;
            bz[r * cols + j] = qget(b->data, b->dtype, b_off + r * ld + j) - z;
        }
}

static or_status qmatmul_run(or_kernel *k)
{
    const qprod_params *p = k->params;
    const or_matmul_geom *g = &p->g;
    const qslots *s = slots_of(k);
    const or_tensor *a = slot(k, s->a), *b = slot(k, s->b), *az = slot(k, s->a_zero),
                    *bzero = slot(k, s->b_zero), *bs = slot(k, s->b_scale);
    if (g->m == 0 || g->n == 0 || g->batch_count == 0) return ONNXRUN_OK; /* an empty product (no scratch) */
    int32_t *bz = k->scratch, *acc = bz + g->k * g->n;
    int64_t idx[OR_MAX_RANK] = { 0 }, ao = 0, bo = 0;
    for (int64_t t = 0; t < g->batch_count; t++) {
        int_matrix(b, bo, g->n, bzero, false, p->b_zero_cols > 0, g->k, g->n, bz);
        for (int64_t i = 0; i < g->m; i++) {
            int32_t za = az ? qget(az->data, az->dtype, p->a_zero_rows ? i : 0) : 0;
            int_row(a->data, a->dtype, ao + i * g->k, za, bz, g->n, g->k, acc);
            put_row(k, acc, g->n, (t * g->m + i) * g->n, 0, bs ? bs->data : NULL, p->b_scale_cols > 0);
        }
        or_matmul_next(g, idx, &ao, &bo);
    }
    return ONNXRUN_OK;
}

/* ---- ConvInteger, QLinearConv ---- */

static or_status qconv_init(or_kernel *k)
{
    qprod_params *p = k->params;
    OR_TRY(or_window_read(k, OR_WIN_DILATIONS, &p->attrs));
    OR_TRY(or_attr_int(k, "group", 1, &p->group));
    OR_CHECK(k, p->group >= 1 && p->group <= INT_MAX, "attribute 'group' = %lld must be at least 1",
             (long long)p->group);
    return ONNXRUN_OK;
}

static or_status qconv_infer(or_kernel *k)
{
    qprod_params *p = k->params;
    const qslots *s = slots_of(k);
    onnxrun_dtype yt;
    OR_TRY(check_product(k, "X", "W", &yt));
    const or_tensor *x = slot(k, s->a), *w = slot(k, s->b), *bias = slot(k, s->bias);
    OR_CHECK_SHAPE(k, x->rank >= 3 && w->rank == x->rank,
                   "X (rank %d) must be N x C x D1 ... and W of the same rank (%d)", x->rank, w->rank);
    int64_t c = x->dims[1], m = w->dims[0];
    OR_CHECK_SHAPE(k, c % p->group == 0 && m % p->group == 0 && w->dims[1] == c / p->group,
                   "channels do not match: X has %lld, W is %lld x %lld, group %lld", (long long)c,
                   (long long)m, (long long)w->dims[1], (long long)p->group);
    OR_TRY(or_window_forward(k, &p->attrs, x->rank - 2, x->dims + 2, w->dims + 2, &p->w));
    p->cg = c / p->group;
    p->mg = m / p->group;
    int64_t unused;
    OR_TRY(per_count(k, s->a_zero, "X's zero point", 0, &unused));
    OR_TRY(per_count(k, s->b_zero, "W's zero point", m, &p->b_zero_cols));
    OR_TRY(per_count(k, s->b_scale, "W's scale", m, &p->b_scale_cols));
    if (bias) {
        OR_TRY(or_check_dtype(k, (size_t)s->bias, ONNXRUN_INT32, ONNXRUN_UNDEFINED));
        OR_CHECK_SHAPE(k, bias->rank == 1 && bias->dims[0] == m, "bias B must be 1-D of length %lld",
                       (long long)m);
    }
    uint64_t kdim, cols = (uint64_t)p->w.out_size, bytes;
    OR_CHECK(k, or_mul_ok((uint64_t)p->cg, (uint64_t)p->w.kernel_size, &kdim) && kdim <= Q_MAX_K,
             "a window of %lld channels x %lld taps exceeds %d (int32 accumulation)", (long long)p->cg,
             (long long)p->w.kernel_size, Q_MAX_K);
    OR_CHECK(k, or_mul_ok(kdim + 1, cols, &bytes) && or_mul_ok(bytes, 4, &bytes) && bytes <= SIZE_MAX / 2,
             "the gathered windows are too large");
    k->scratch_bytes = (size_t)bytes;
    int64_t dims[OR_MAX_RANK];
    dims[0] = x->dims[0];
    dims[1] = m;
    memcpy(dims + 2, p->w.out, (size_t)p->w.n * sizeof *dims);
    return or_set_shape(k, k->out[0], yt, x->rank, dims);
}

/* col[(c * taps + t), o] = x[c at tap t of window o] - x_zero, 0 outside
 * the input, for the cg channels from x_off on. */
static void gather_windows(const qprod_params *p, const or_tensor *x, int64_t x_off, int32_t xz, int32_t *col)
{
    const or_window *w = &p->w;
    int64_t taps = w->kernel_size, cols = w->out_size;
    for (int64_t c = 0; c < p->cg; c++)
        for (int64_t t = 0; t < taps; t++) {
            int64_t kc[OR_WIN_MAX], rem = t;
            for (int d = w->n - 1; d >= 0; d--) {
                kc[d] = rem % w->kernel[d];
                rem /= w->kernel[d];
            }
            int32_t *row = col + (c * taps + t) * cols;
            for (int64_t o = 0; o < cols; o++) {
                int64_t orem = o, lin = 0, ic[OR_WIN_MAX];
                bool inside = true;
                for (int d = w->n - 1; d >= 0; d--) {
                    ic[d] = (orem % w->out[d]) * w->stride[d] - w->pad_begin[d] + kc[d] * w->dilation[d];
                    orem /= w->out[d];
                    inside = inside && ic[d] >= 0 && ic[d] < w->in[d];
                }
                for (int d = 0; inside && d < w->n; d++) lin = lin * w->in[d] + ic[d];
                row[o] = inside ? qget(x->data, x->dtype, x_off + c * w->in_size + lin) - xz : 0;
            }
        }
}

static or_status qconv_run(or_kernel *k)
{
    const qprod_params *p = k->params;
    const qslots *s = slots_of(k);
    const or_tensor *x = slot(k, s->a), *w = slot(k, s->b), *xzt = slot(k, s->a_zero),
                    *wzt = slot(k, s->b_zero), *ws = slot(k, s->b_scale), *bias = slot(k, s->bias);
    int64_t kdim = p->cg * p->w.kernel_size, cols = p->w.out_size, m = p->mg * p->group;
    if (cols == 0 || or_numel(k->out[0]) == 0) return ONNXRUN_OK; /* an empty output (no scratch) */
    int32_t *col = k->scratch, *acc = col + kdim * cols;
    int32_t xz = xzt ? qget(xzt->data, xzt->dtype, 0) : 0;
    for (int64_t n = 0; n < x->dims[0]; n++)
        for (int64_t g = 0; g < p->group; g++) {
            gather_windows(p, x, (n * p->group + g) * p->cg * p->w.in_size, xz, col);
            for (int64_t mm = g * p->mg; mm < (g + 1) * p->mg; mm++) {
                int32_t wz = wzt ? qget(wzt->data, wzt->dtype, p->b_zero_cols ? mm : 0) : 0;
                int_row(w->data, w->dtype, mm * kdim, wz, col, cols, kdim, acc);
                put_row(k, acc, cols, (n * m + mm) * cols, bias ? ((const int32_t *)bias->data)[mm] : 0,
                        ws ? (const float *)ws->data + (p->b_scale_cols ? mm : 0) : NULL, 0);
            }
        }
    return ONNXRUN_OK;
}

#define QLIN(op, since)                                                                     \
    OR_OP(op, since, .params_size = sizeof(qlin_params), .init = qlin_init, .infer = qlin_infer, \
          .run = qlin_run)
#define QMATMUL(op) \
    OR_OP(op, 10, .params_size = sizeof(qprod_params), .infer = qmatmul_infer, .run = qmatmul_run)
#define QCONV(op)                                                                           \
    OR_OP(op, 10, .params_size = sizeof(qprod_params), .init = qconv_init, .infer = qconv_infer, \
          .run = qconv_run)

OR_OP_TABLE(quant) = {
    QLIN("QuantizeLinear", 10), QLIN("QuantizeLinear", 13), QLIN("QuantizeLinear", 19),
    QLIN("QuantizeLinear", 21),
    QLIN("DequantizeLinear", 10), QLIN("DequantizeLinear", 13), QLIN("DequantizeLinear", 19),
    QLIN("DequantizeLinear", 21),
    OR_OP("DynamicQuantizeLinear", 11, .infer = dynq_infer, .run = dynq_run),
    QMATMUL("MatMulInteger"),
    QMATMUL("QLinearMatMul"),
    QCONV("ConvInteger"),
    QCONV("QLinearConv"),
};
OR_OP_TABLE_END(quant);
