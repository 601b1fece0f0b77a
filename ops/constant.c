/*
 * constant.c - kernels that make values: Constant, ConstantOfShape, Range,
 * EyeLike, and the type conversions Cast and CastLike.
 *
 * Constant's value lives in the model (an attribute), which outlives every
 * session; run copies it into the output. Cast converts element by element
 * through a 64-bit integer or a double, so one loop serves every pair of
 * dtypes: integers wrap like C's integer conversions, floats going to an
 * integer truncate toward zero and saturate at the type's limits (NaN -> 0),
 * anything going to bool is "nonzero". Relies on a little-endian host (the
 * low bytes of a 64-bit integer are the narrower integer).
 *
 * In a session float16 and bfloat16 values are held as float32
 * (k->wide_halves): a Cast to them gives float32 rounded to the half type,
 * and Constant / ConstantOfShape values of those types become float32.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "op.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "constant.c assumes a little-endian host"
#endif

/* ---- Constant ---- */

typedef struct constant_params {
    onnxrun_dtype dtype;
    int rank;
    int64_t dims[OR_MAX_RANK];
    const void *data;       /* in the model, or &scalar, or wide */
    union { float f; int64_t i; } scalar;
    float *wide;            /* a half-typed value as float32 (k->wide_halves) */
} constant_params;

static void constant_fini(or_kernel *k)
{
    free(((constant_params *)k->params)->wide);
}

static or_status constant_init(or_kernel *k)
{
    constant_params *p = k->params;
    static const char *const unsupported[] = { "sparse_value", "value_string", "value_strings" };
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        OR_CHECK_TYPE(k, !or_attr_has(k, unsupported[i]), "attribute '%s' is not supported",
                      unsupported[i]);
    int given = 0;
    const or_tensor *t;
    OR_TRY(or_attr_tensor(k, "value", &t));
    if (t) {
        given++;
        OR_CHECK_TYPE(k, onnxrun_dtype_size(t->dtype), "a constant of type %s is not supported",
                      onnxrun_dtype_name(t->dtype));
        p->dtype = t->dtype;
        p->rank = t->rank;
        memcpy(p->dims, t->dims, sizeof p->dims);
        p->data = t->data;
        if (k->wide_halves && or_is_half(t->dtype)) {
            int64_t n = or_numel(t);
            p->wide = malloc((size_t)(n ? n : 1) * sizeof *p->wide);
            if (!p->wide) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory");
            or_halves_to_float(t->dtype, t->data, p->wide, n);
            p->dtype = ONNXRUN_FLOAT;
            p->data = p->wide;
        }
    }
    if (k->def->since >= 12) {
        const or_attr *a;
        if ((a = or_node_attr(k->node, "value_float"))) {
            given++;
            OR_TRY(or_attr_float(k, "value_float", 0, &p->scalar.f));
            p->dtype = ONNXRUN_FLOAT;
            p->rank = 0;
            p->data = &p->scalar.f;
        }
        if ((a = or_node_attr(k->node, "value_int"))) {
            given++;
            OR_TRY(or_attr_int(k, "value_int", 0, &p->scalar.i));
            p->dtype = ONNXRUN_INT64;
            p->rank = 0;
            p->data = &p->scalar.i;
        }
        if ((a = or_node_attr(k->node, "value_floats"))) {
            given++;
            OR_CHECK(k, a->type == OR_ATTR_FLOATS, "attribute 'value_floats' must be floats");
            p->dtype = ONNXRUN_FLOAT;
            p->rank = 1;
            p->dims[0] = (int64_t)a->n;
            p->data = a->floats;
        }
        if ((a = or_node_attr(k->node, "value_ints"))) {
            given++;
            OR_CHECK(k, a->type == OR_ATTR_INTS, "attribute 'value_ints' must be ints");
            p->dtype = ONNXRUN_INT64;
            p->rank = 1;
            p->dims[0] = (int64_t)a->n;
            p->data = a->ints;
        }
    }
    OR_CHECK(k, given == 1, "exactly one value attribute must be given, not %d", given);
    return ONNXRUN_OK;
}

static or_status constant_infer(or_kernel *k)
{
    const constant_params *p = k->params;
    return or_set_shape(k, k->out[0], p->dtype, p->rank, p->dims);
}

static or_status constant_run(or_kernel *k)
{
    const constant_params *p = k->params;
    size_t bytes = or_nbytes(k->out[0]);
    if (bytes) memcpy(k->out[0]->data, p->data, bytes);
    return ONNXRUN_OK;
}

/* ---- ConstantOfShape ---- */

typedef struct fill_params {
    onnxrun_dtype dtype;
    unsigned char value[16];   /* one element */
} fill_params;

static or_status constant_of_shape_init(or_kernel *k)
{
    fill_params *p = k->params;
    const or_tensor *t;
    p->dtype = ONNXRUN_FLOAT;   /* default: float 0 */
    OR_TRY(or_attr_tensor(k, "value", &t));
    if (!t) return ONNXRUN_OK;
    size_t es = onnxrun_dtype_size(t->dtype);
    OR_CHECK_TYPE(k, es, "a value of type %s is not supported", onnxrun_dtype_name(t->dtype));
    OR_CHECK(k, or_numel(t) == 1, "attribute 'value' must hold one element");
    p->dtype = t->dtype;
    memcpy(p->value, t->data, es);
    if (k->wide_halves && or_is_half(t->dtype)) {
        float f;
        or_halves_to_float(t->dtype, t->data, &f, 1);
        p->dtype = ONNXRUN_FLOAT;
        memcpy(p->value, &f, sizeof f);
    }
    return ONNXRUN_OK;
}

static or_status constant_of_shape_infer(or_kernel *k)
{
    const fill_params *p = k->params;
    int64_t dims[OR_MAX_RANK];
    size_t n;
    OR_TRY(or_known_ints(k, 0, OR_MAX_RANK, dims, &n));
    for (size_t i = 0; i < n; i++)
        OR_CHECK_SHAPE(k, dims[i] >= 0, "shape value %lld is negative", (long long)dims[i]);
    return or_set_shape(k, k->out[0], p->dtype, (int)n, dims);
}

static or_status constant_of_shape_run(or_kernel *k)
{
    const fill_params *p = k->params;
    or_tensor *y = k->out[0];
    size_t es = onnxrun_dtype_size(y->dtype);
    int64_t n = or_numel(y);
    for (int64_t i = 0; i < n; i++) memcpy((char *)y->data + (size_t)i * es, p->value, es);
    return ONNXRUN_OK;
}

/* ---- Range ---- */

typedef struct range_params {
    int64_t count;   /* output length (infer) */
} range_params;

/* The value of a one-element int16 / int32 / int64 tensor's data. */
static int64_t int_scalar(onnxrun_dtype t, const void *d)
{
    return t == ONNXRUN_INT16 ? *(const int16_t *)d
         : t == ONNXRUN_INT32 ? *(const int32_t *)d : *(const int64_t *)d;
}

/* Reads a known scalar input as a double and (for integer types) an int64. */
static or_status range_scalar(or_kernel *k, size_t i, double *f, int64_t *v)
{
    const or_tensor *t = or_in(k, i);
    OR_CHECK(k, t, "input %zu is missing", i);
    const void *d;
    OR_TRY(or_need_known(k, i, i == 0 ? "start" : i == 1 ? "limit" : "delta", &d));
    OR_CHECK_SHAPE(k, or_numel(t) == 1, "input %zu must be a scalar", i);
    OR_CHECK(k, t->dtype == k->in[0]->dtype, "inputs must all have the same type");
    switch (t->dtype) {
    case ONNXRUN_FLOAT: *f = *(const float *)d; *v = 0; break;
    case ONNXRUN_DOUBLE: *f = *(const double *)d; *v = 0; break;
    case ONNXRUN_INT16: case ONNXRUN_INT32: case ONNXRUN_INT64:
        *v = int_scalar(t->dtype, d);
        *f = (double)*v;
        break;
    default:
        return or_fail(k, ONNXRUN_E_UNSUPPORTED, "type %s is not supported",
                       onnxrun_dtype_name(t->dtype));
    }
    return ONNXRUN_OK;
}

static or_status range_infer(or_kernel *k)
{
    range_params *p = k->params;
    double fs = 0, fl = 0, fd = 0;
    int64_t s = 0, l = 0, d = 0;
    OR_CHECK(k, or_in(k, 0), "input 0 is missing");
    OR_TRY(range_scalar(k, 0, &fs, &s));
    OR_TRY(range_scalar(k, 1, &fl, &l));
    OR_TRY(range_scalar(k, 2, &fd, &d));
    onnxrun_dtype dt = k->in[0]->dtype;
    uint64_t limit = OR_MAX_TENSOR_BYTES / onnxrun_dtype_size(dt), count = 0;
    if (dt == ONNXRUN_FLOAT || dt == ONNXRUN_DOUBLE) {
        OR_CHECK(k, isfinite(fs) && isfinite(fl) && isfinite(fd), "start, limit and delta must be finite");
        OR_CHECK(k, fd != 0, "delta is 0");
        /* in the input's own precision, as its arithmetic would give */
        double q = dt == ONNXRUN_FLOAT ? (double)(((float)fl - (float)fs) / (float)fd) : (fl - fs) / fd;
        q = ceil(q);
        if (q > (double)limit) return or_fail(k, ONNXRUN_E_LIMIT, "range has too many elements");
        count = q > 0 ? (uint64_t)q : 0;
    } else {
        OR_CHECK(k, d != 0, "delta is 0");
        /* |limit - start| and |delta| as unsigned: no overflow anywhere */
        if ((d > 0 && l > s) || (d < 0 && l < s)) {
            uint64_t span = d > 0 ? (uint64_t)l - (uint64_t)s : (uint64_t)s - (uint64_t)l;
            uint64_t step = d > 0 ? (uint64_t)d : (uint64_t)(-(d + 1)) + 1;
            count = (span - 1) / step + 1;
        }
        if (count > limit) return or_fail(k, ONNXRUN_E_LIMIT, "range has too many elements");
    }
    p->count = (int64_t)count;
    return or_set_shape(k, k->out[0], dt, 1, &p->count);
}

static or_status range_run(or_kernel *k)
{
    const range_params *p = k->params;
    const void *s = k->in[0]->data, *d = k->in[2]->data;
    void *y = k->out[0]->data;
    switch (k->out[0]->dtype) {
    case ONNXRUN_FLOAT:
        for (int64_t i = 0; i < p->count; i++)
            ((float *)y)[i] = *(const float *)s + (float)i * *(const float *)d;
        break;
    case ONNXRUN_DOUBLE:
        for (int64_t i = 0; i < p->count; i++)
            ((double *)y)[i] = *(const double *)s + (double)i * *(const double *)d;
        break;
    default: {
        /* start + i*delta in wrapping unsigned arithmetic: the true value
         * lies between start and limit, so the low bytes are exact */
        onnxrun_dtype dt = k->out[0]->dtype;
        size_t es = onnxrun_dtype_size(dt);
        int64_t s64 = int_scalar(dt, s), d64 = int_scalar(dt, d);
        for (int64_t i = 0; i < p->count; i++) {
            uint64_t v = (uint64_t)s64 + (uint64_t)i * (uint64_t)d64;
            memcpy((char *)y + (size_t)i * es, &v, es);
        }
    }
    }
    return ONNXRUN_OK;
}

/* ---- Cast, CastLike ---- */

typedef enum num_kind { NUM_SIGNED, NUM_UNSIGNED, NUM_FLOAT, NUM_BOOL } num_kind;

static num_kind kind_of(onnxrun_dtype t)
{
    switch (t) {
    case ONNXRUN_INT8: case ONNXRUN_INT16: case ONNXRUN_INT32: case ONNXRUN_INT64:
        return NUM_SIGNED;
    case ONNXRUN_FLOAT: case ONNXRUN_DOUBLE: case ONNXRUN_FLOAT16: case ONNXRUN_BFLOAT16:
        return NUM_FLOAT;
    case ONNXRUN_BOOL:
        return NUM_BOOL;
    default:
        return NUM_UNSIGNED;
    }
}

/* One element on its way between types: an integer (its 64-bit pattern,
 * sign-extended for signed sources) or a double. */
typedef struct num {
    bool is_float;
    bool is_signed;
    uint64_t bits;
    double f;
} num;

static num load(onnxrun_dtype t, num_kind kind, size_t es, const char *p)
{
    num v = { 0 };
    if (kind == NUM_FLOAT) {
        v.is_float = true;
        if (t == ONNXRUN_FLOAT) { float f; memcpy(&f, p, 4); v.f = f; }
        else if (t == ONNXRUN_DOUBLE) memcpy(&v.f, p, 8);
        else { uint16_t h; memcpy(&h, p, 2); v.f = t == ONNXRUN_BFLOAT16 ? or_bf16_to_float(h) : or_half_to_float(h); }
        return v;
    }
    memcpy(&v.bits, p, es);
    if (kind == NUM_BOOL) v.bits = v.bits != 0;
    if (kind == NUM_SIGNED && es < 8 && (v.bits >> (8 * es - 1)) & 1)
        v.bits |= ~(uint64_t)0 << (8 * es);   /* sign-extend */
    v.is_signed = kind == NUM_SIGNED;
    return v;
}

/* Float to an integer of es bytes: truncate, saturate, NaN -> 0. */
static uint64_t float_to_int(double f, bool is_signed, size_t es)
{
    int bits = (int)(8 * es);
    if (f != f) return 0;
    if (is_signed) {
        double hi = ldexp(1.0, bits - 1);   /* exclusive bound; -hi is the minimum */
        if (f >= hi) return ((uint64_t)1 << (bits - 1)) - 1;
        if (f <= -hi) return ~(uint64_t)0 << (bits - 1);
        return (uint64_t)(int64_t)f;
    }
    double hi = ldexp(1.0, bits);
    if (f >= hi) return bits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << bits) - 1;
    if (f <= 0) return 0;
    return (uint64_t)f;
}

static void store(onnxrun_dtype t, num_kind kind, size_t es, char *p, num v)
{
    if (kind == NUM_FLOAT) {
        double f = v.is_float ? v.f : v.is_signed ? (double)(int64_t)v.bits : (double)v.bits;
        if (t == ONNXRUN_DOUBLE) {
            memcpy(p, &f, 8);
        } else {
            /* integers go straight to float: one rounding, not two */
            float g = v.is_float ? (float)f : v.is_signed ? (float)(int64_t)v.bits : (float)v.bits;
            if (t == ONNXRUN_FLOAT) memcpy(p, &g, 4);
            else { uint16_t h = t == ONNXRUN_BFLOAT16 ? or_float_to_bf16(g) : or_float_to_half(g); memcpy(p, &h, 2); }
        }
        return;
    }
    uint64_t bits;
    if (kind == NUM_BOOL) bits = v.is_float ? v.f != 0 : v.bits != 0;
    else bits = v.is_float ? float_to_int(v.f, kind == NUM_SIGNED, es) : v.bits;
    memcpy(p, &bits, es);   /* the low bytes: C's wrap-around for integers */
}

/* Converts n elements from dtype a at src to dtype b at dst. */
static void convert(onnxrun_dtype a, const char *src, onnxrun_dtype b, char *dst, int64_t n)
{
    size_t ea = onnxrun_dtype_size(a), eb = onnxrun_dtype_size(b);
    if (a == b) {
        if (n) memcpy(dst, src, (size_t)n * ea);
        return;
    }
    num_kind ka = kind_of(a), kb = kind_of(b);
    if (a == ONNXRUN_FLOAT && b == ONNXRUN_FLOAT16) {   /* the common fast pair */
        for (int64_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, src + 4 * i, 4);
            uint16_t h = or_float_to_half(f);
            memcpy(dst + 2 * i, &h, 2);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++)
        store(b, kb, eb, dst + (size_t)i * eb, load(a, ka, ea, src + (size_t)i * ea));
}

typedef struct cast_params {
    onnxrun_dtype to;   /* set by init (Cast) or infer (CastLike) */
} cast_params;

static onnxrun_dtype dtype_named(const char *s)
{
    for (int t = 1; t < ONNXRUN_DTYPE_COUNT; t++)
        if (!strcasecmp(s, onnxrun_dtype_name((onnxrun_dtype)t))) return (onnxrun_dtype)t;
    return ONNXRUN_UNDEFINED;
}

static or_status cast_init(or_kernel *k)
{
    cast_params *p = k->params;
    if (!strcmp(k->def->op_type, "CastLike")) return ONNXRUN_OK;
    OR_CHECK(k, or_attr_has(k, "to"), "attribute 'to' is required");
    if (k->def->since < 6) {   /* opset 1: the type's name ("FLOAT") */
        const char *name;
        OR_TRY(or_attr_string(k, "to", "", &name));
        p->to = dtype_named(name);
        OR_CHECK_TYPE(k, p->to != ONNXRUN_UNDEFINED, "cast to '%s' is not supported", name);
    } else {
        int64_t to;
        OR_TRY(or_attr_int(k, "to", 0, &to));
        OR_CHECK_TYPE(k, to > 0 && to < ONNXRUN_DTYPE_COUNT, "cast to type %lld is not supported",
                      (long long)to);
        p->to = (onnxrun_dtype)to;
    }
    return ONNXRUN_OK;
}

static or_status cast_infer(or_kernel *k)
{
    cast_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input 0 is missing");
    if (!strcmp(k->def->op_type, "CastLike")) {
        OR_CHECK(k, or_in(k, 1), "input 1 (target_type) is missing");
        p->to = k->in[1]->dtype;
    }
    OR_CHECK_TYPE(k, onnxrun_dtype_size(x->dtype) && onnxrun_dtype_size(p->to),
                  "cast from %s to %s is not supported", onnxrun_dtype_name(x->dtype),
                  onnxrun_dtype_name(p->to));
    bool wide = k->wide_halves && or_is_half(p->to);
    return or_set_shape(k, k->out[0], wide ? ONNXRUN_FLOAT : p->to, x->rank, x->dims);
}

static or_status cast_run(or_kernel *k)
{
    const cast_params *p = k->params;
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    convert(x->dtype, x->data, y->dtype, y->data, or_numel(x));
    if (y->dtype != p->to) { /* held wide: round through the half type */
        float *f = y->data;
        for (int64_t i = 0, n = or_numel(y); i < n; i++)
            f[i] = p->to == ONNXRUN_BFLOAT16 ? or_bf16_to_float(or_float_to_bf16(f[i]))
                                              : or_half_to_float(or_float_to_half(f[i]));
    }
    return ONNXRUN_OK;
}

/* ---- EyeLike ---- */

/* EyeLike: zeros of X's 2-D shape with ones on diagonal k (j - i = k; k > 0
 * above the main one), in the type of attribute dtype (default X's). */
typedef struct eye_params {
    int64_t k;
    onnxrun_dtype to;   /* UNDEFINED: X's */
} eye_params;

static or_status eye_init(or_kernel *k)
{
    eye_params *p = k->params;
    OR_TRY(or_attr_int(k, "k", 0, &p->k));
    int64_t dt;
    OR_TRY(or_attr_int(k, "dtype", 0, &dt));
    OR_CHECK_TYPE(k, dt >= 0 && dt < ONNXRUN_DTYPE_COUNT, "dtype %lld is not supported", (long long)dt);
    p->to = (onnxrun_dtype)dt;
    return ONNXRUN_OK;
}

static or_status eye_infer(or_kernel *k)
{
    const eye_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    OR_CHECK(k, x, "input 0 is missing");
    OR_CHECK_SHAPE(k, x->rank == 2, "input has rank %d; EyeLike takes a 2-D tensor", x->rank);
    onnxrun_dtype to = p->to != ONNXRUN_UNDEFINED ? p->to : x->dtype;
    OR_CHECK_TYPE(k, onnxrun_dtype_size(to) && to != ONNXRUN_STRING, "EyeLike to %s is not supported",
                  onnxrun_dtype_name(to));
    return or_set_shape(k, k->out[0], to, 2, x->dims);
}

static or_status eye_run(or_kernel *k)
{
    const eye_params *p = k->params;
    or_tensor *y = k->out[0];
    int64_t rows = y->dims[0], cols = y->dims[1];
    size_t es = onnxrun_dtype_size(y->dtype);
    char one[16];
    double d1 = 1.0;
    convert(ONNXRUN_DOUBLE, (const char *)&d1, y->dtype, one, 1);
    memset(y->data, 0, (size_t)or_numel(y) * es);
    /* rows i with column i + k in [0, cols) (k bounded so that i + k cannot overflow) */
    int64_t kk = p->k > cols ? cols : p->k < -rows ? -rows : p->k;
    for (int64_t i = kk < 0 ? -kk : 0; i < rows && i + kk < cols; i++)
        memcpy((char *)y->data + (size_t)(i * cols + i + kk) * es, one, es);
    return ONNXRUN_OK;
}

OR_OP_TABLE(constant) = {
    OR_OP("Constant", 1, .params_size = sizeof(constant_params), .init = constant_init, .fini = constant_fini,
          .infer = constant_infer, .run = constant_run),
    OR_OP("Constant", 12, .params_size = sizeof(constant_params), .init = constant_init, .fini = constant_fini,
          .infer = constant_infer, .run = constant_run),
    OR_OP("ConstantOfShape", 9, .params_size = sizeof(fill_params), .init = constant_of_shape_init,
          .infer = constant_of_shape_infer, .run = constant_of_shape_run),
    OR_OP("Range", 11, .params_size = sizeof(range_params), .infer = range_infer, .run = range_run),
    OR_OP("EyeLike", 9, .params_size = sizeof(eye_params), .init = eye_init, .infer = eye_infer,
          .run = eye_run),
    OR_OP("Cast", 1, .params_size = sizeof(cast_params), .init = cast_init, .infer = cast_infer,
          .run = cast_run),
    OR_OP("Cast", 6, .params_size = sizeof(cast_params), .init = cast_init, .infer = cast_infer,
          .run = cast_run),
    OR_OP("CastLike", 15, .params_size = sizeof(cast_params), .init = cast_init,
          .infer = cast_infer, .run = cast_run),
};
OR_OP_TABLE_END(constant);
