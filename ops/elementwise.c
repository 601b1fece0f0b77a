/*
 * elementwise.c - elementwise ops with multidirectional (numpy)
 * broadcasting: unary math (Neg, Abs, Sign, Exp, Log, Sqrt, Reciprocal,
 * Floor, Ceil, Round, Erf, the trigonometric and hyperbolic functions,
 * IsNaN, IsInf, Not), binary arithmetic (Add, Sub, Mul, Div, Mod, Pow,
 * PRelu, BitShift on unsigned integers), comparisons and logic (Equal,
 * Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor), the variadic
 * Sum, Max, Min, Mean, and Where.
 *
 * Table-driven: every (op, dtype) pair that is supported has one "row"
 * function in un_rows / bin_rows, generated from a list of expressions per
 * kind of type (float, signed, unsigned, bool), so an op is one line of a
 * list rather than one function per op and type. A row function handles a
 * contiguous run of output elements whose inputs each advance by 0 or 1.
 *
 * Broadcasting: the walker below aligns every input to the output's shape
 * with or_broadcast_strides, drops size-1 axes and merges axes that are
 * contiguous in every operand, so same-shape operands become one row, a
 * scalar operand one row with stride 0, and a channel bias ([N,C,H,W] op
 * [C,1,1]) rows of H*W against one value each; anything else walks the
 * rows with an odometer. Large outputs are split over threads by element.
 *
 * Versions: the binary ops of opset 1 and 6 (entries with since < 7) have
 * the legacy `broadcast`/`axis` attributes: B's shape must be a contiguous
 * run of A's dims starting at `axis` (default: aligned to the end; size-1
 * dims of B repeat), or B has one element; without broadcast=1 the shapes
 * must be equal. Legacy PRelu (1, 6) takes a 1-D slope of C values per
 * channel (axis 1), as Caffe2 and early PyTorch exports use it; from 7 the
 * slope broadcasts to X unidirectionally. `consumed_inputs` is ignored.
 * Sum/Max/Min/Mean broadcast at every version (the spec requires equal
 * shapes before 8; accepting more is harmless).
 *
 * PRelu is a binary op here rather than in activation.c because it needs
 * the broadcasting walker.
 *
 * Integers wrap on overflow (computed in uint64_t); integer Div truncates
 * toward zero, integer Div or Mod by zero fails the run with
 * ONNXRUN_E_RUNTIME. Mod with fmod=0 takes the sign of the divisor (also
 * for floats, where the spec asks for fmod=1), with fmod=1 the dividend's.
 * Integer Pow with a negative exponent gives the truncated result (0 unless
 * the base is 1 or -1). Bool tensors are read as bytes, nonzero = true.
 */
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "op.h"
#include "vectorize.h"

/* ---- types: (dtype, C type, suffix) per kind ---- */

#define FLOAT_TYPES(X) X(ONNXRUN_FLOAT, float, f32) X(ONNXRUN_DOUBLE, double, f64)
#define SINT_TYPES(X) \
    X(ONNXRUN_INT8, int8_t, i8) X(ONNXRUN_INT16, int16_t, i16) \
    X(ONNXRUN_INT32, int32_t, i32) X(ONNXRUN_INT64, int64_t, i64)
#define UINT_TYPES(X) \
    X(ONNXRUN_UINT8, uint8_t, u8) X(ONNXRUN_UINT16, uint16_t, u16) \
    X(ONNXRUN_UINT32, uint32_t, u32) X(ONNXRUN_UINT64, uint64_t, u64)
#define BOOL_TYPES(X) X(ONNXRUN_BOOL, uint8_t, b)


/* ---- binary row functions ---- */

typedef enum bop {
    B_ADD, B_SUB, B_MUL, B_DIV, B_MOD, B_FMOD, B_POW, B_MAX, B_MIN, B_PRELU,
    B_EQ, B_LT, B_GT, B_LE, B_GE, B_AND, B_OR, B_XOR, B_SHL, B_SHR, B_BAND, B_BOR, B_BXOR,
    B_COUNT
} bop;

/* o[i] = f(a[i*sa], b[i*sb]) for i in [0, n); sa, sb in {0, 1}. o may be a
 * (each element is read before it is written). */
typedef void (*row2_fn)(const void *a, int64_t sa, const void *b, int64_t sb, void *o, int64_t n);

#define DEF_ROW2(name, T, TO, E) \
    VECTORIZE static void name(const void *pa, int64_t sa, const void *pb, int64_t sb, void *po, int64_t n) \
    { \
        const T *A = pa, *B = pb; \
        TO *O = po; \
        if (sa && sb) { \
            for (int64_t i = 0; i < n; i++) { T x = A[i], y = B[i]; O[i] = (TO)(E); } \
        } else if (sa) { \
            const T y = B[0]; \
            for (int64_t i = 0; i < n; i++) { T x = A[i]; O[i] = (TO)(E); } \
        } else if (sb) { \
            const T x = A[0]; \
            for (int64_t i = 0; i < n; i++) { T y = B[i]; O[i] = (TO)(E); } \
        } else { \
            const T x = A[0], y = B[0]; \
            for (int64_t i = 0; i < n; i++) O[i] = (TO)(E); \
        } \
    }

static inline uint64_t ipow_u(uint64_t x, uint64_t e)
{
    uint64_t r = 1;
    for (; e; e >>= 1, x *= x)
        if (e & 1) r *= x;
    return r;
}

static inline uint64_t ipow_s(int64_t x, int64_t e)
{
    if (e >= 0) return ipow_u((uint64_t)x, (uint64_t)e);
    if (x == 1) return 1;
    if (x == -1) return (e & 1) ? (uint64_t)-1 : 1;
    return 0; /* |1 / x^-e| < 1 truncates to 0 (0^-e has no integer value either) */
}

/* Remainders. Mod's fmod=1 is C's (sign of x), fmod=0 floored (sign of y).
 * y == 0 never gets here for integers (the run checks first). */
static inline int64_t imod_s(int64_t x, int64_t y, bool floored)
{
    if (y == 0 || y == -1) return 0; /* INT64_MIN % -1 is undefined */
    int64_t r = x % y;
    return floored && r != 0 && (r < 0) != (y < 0) ? r + y : r;
}
static inline float fmod_floor_f(float x, float y)
{
    float r = fmodf(x, y);
    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
}
static inline double fmod_floor_d(double x, double y)
{
    double r = fmod(x, y);
    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
}
#define FMOD_FLOOR(x, y) _Generic((x), float: fmod_floor_f, default: fmod_floor_d)(x, y)

/* Y(op, name, dtype, T, output type, suffix, expression of x and y) */
#define COMPARE_OPS(Y, dt, T, s) \
    Y(B_EQ, eq, dt, T, uint8_t, s, x == y) \
    Y(B_LT, lt, dt, T, uint8_t, s, x < y) \
    Y(B_GT, gt, dt, T, uint8_t, s, x > y) \
    Y(B_LE, le, dt, T, uint8_t, s, x <= y) \
    Y(B_GE, ge, dt, T, uint8_t, s, x >= y)
#define FLOAT_BINOPS(Y, dt, T, s) \
    Y(B_ADD, add, dt, T, T, s, x + y) \
    Y(B_SUB, sub, dt, T, T, s, x - y) \
    Y(B_MUL, mul, dt, T, T, s, x * y) \
    Y(B_DIV, div, dt, T, T, s, x / y) \
    Y(B_MOD, mod, dt, T, T, s, FMOD_FLOOR(x, y)) \
    Y(B_FMOD, fmod, dt, T, T, s, fmod(x, y)) \
    Y(B_POW, pow, dt, T, T, s, (y == 2 ? x * x : pow(x, y))) \
    Y(B_MAX, max, dt, T, T, s, (x > y || isnan(x)) ? x : y) \
    Y(B_MIN, min, dt, T, T, s, (x < y || isnan(x)) ? x : y) \
    Y(B_PRELU, prelu, dt, T, T, s, x < 0 ? x * y : x) \
    COMPARE_OPS(Y, dt, T, s)
#define INT_BINOPS(Y, dt, T, s) \
    Y(B_BAND, band, dt, T, T, s, x & y) \
    Y(B_BOR, bor, dt, T, T, s, x | y) \
    Y(B_BXOR, bxor, dt, T, T, s, x ^ y) \
    Y(B_ADD, add, dt, T, T, s, (uint64_t)x + (uint64_t)y) \
    Y(B_SUB, sub, dt, T, T, s, (uint64_t)x - (uint64_t)y) \
    Y(B_MUL, mul, dt, T, T, s, (uint64_t)x * (uint64_t)y) \
    Y(B_MAX, max, dt, T, T, s, x > y ? x : y) \
    Y(B_MIN, min, dt, T, T, s, x < y ? x : y) \
    COMPARE_OPS(Y, dt, T, s)
/* y == 0 never reaches the division: the run checks for it first */
#define SINT_BINOPS(Y, dt, T, s) \
    INT_BINOPS(Y, dt, T, s) \
    Y(B_DIV, div, dt, T, T, s, y == 0 ? 0 : y == -1 ? 0 - (uint64_t)x : (uint64_t)(x / y)) \
    Y(B_MOD, mod, dt, T, T, s, imod_s(x, y, true)) \
    Y(B_FMOD, fmod, dt, T, T, s, imod_s(x, y, false)) \
    Y(B_POW, pow, dt, T, T, s, ipow_s(x, y))
#define UINT_BINOPS(Y, dt, T, s) \
    INT_BINOPS(Y, dt, T, s) \
    Y(B_DIV, div, dt, T, T, s, y == 0 ? 0 : x / y) \
    Y(B_MOD, mod, dt, T, T, s, y == 0 ? 0 : x % y) \
    Y(B_FMOD, fmod, dt, T, T, s, y == 0 ? 0 : x % y) \
    Y(B_POW, pow, dt, T, T, s, ipow_u(x, y)) \
    Y(B_SHL, shl, dt, T, T, s, y >= 8 * sizeof(T) ? 0 : (uint64_t)x << y) \
    Y(B_SHR, shr, dt, T, T, s, y >= 8 * sizeof(T) ? 0 : x >> y)
#define BOOL_BINOPS(Y, dt, T, s) \
    Y(B_EQ, eq, dt, T, uint8_t, s, !x == !y) \
    Y(B_AND, and, dt, T, uint8_t, s, x && y) \
    Y(B_OR, or, dt, T, uint8_t, s, x || y) \
    Y(B_XOR, xor, dt, T, uint8_t, s, !x != !y)

#define DEF_Y2(op, nm, dt, T, TO, s, E) DEF_ROW2(nm##_##s, T, TO, E)
#define TBL_Y2(op, nm, dt, T, TO, s, E) [op][dt] = nm##_##s,

#define DEF_FLOAT2(dt, T, s) FLOAT_BINOPS(DEF_Y2, dt, T, s)
#define DEF_SINT2(dt, T, s) SINT_BINOPS(DEF_Y2, dt, T, s)
#define DEF_UINT2(dt, T, s) UINT_BINOPS(DEF_Y2, dt, T, s)
#define DEF_BOOL2(dt, T, s) BOOL_BINOPS(DEF_Y2, dt, T, s)
FLOAT_TYPES(DEF_FLOAT2)
SINT_TYPES(DEF_SINT2)
UINT_TYPES(DEF_UINT2)
BOOL_TYPES(DEF_BOOL2)

#define TBL_FLOAT2(dt, T, s) FLOAT_BINOPS(TBL_Y2, dt, T, s)
#define TBL_SINT2(dt, T, s) SINT_BINOPS(TBL_Y2, dt, T, s)
#define TBL_UINT2(dt, T, s) UINT_BINOPS(TBL_Y2, dt, T, s)
#define TBL_BOOL2(dt, T, s) BOOL_BINOPS(TBL_Y2, dt, T, s)
static const row2_fn bin_rows[B_COUNT][ONNXRUN_DTYPE_COUNT] = {
    FLOAT_TYPES(TBL_FLOAT2) SINT_TYPES(TBL_SINT2) UINT_TYPES(TBL_UINT2) BOOL_TYPES(TBL_BOOL2)
};

/* ---- unary row functions ---- */

typedef enum uop {
    U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_SQRT, U_RECIP, U_FLOOR, U_CEIL, U_ROUND, U_ERF,
    U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH, U_ATANH,
    U_ISNAN, U_ISINF, U_ISPOSINF, U_ISNEGINF, U_NOT, U_BNOT,
    U_COUNT
} uop;

/* o[i] = f(a[i]) for i in [0, n); o may be a when of the same type. */
typedef void (*row1_fn)(const void *a, void *o, int64_t n);

#define DEF_ROW1(name, T, TO, E) \
    VECTORIZE static void name(const void *pa, void *po, int64_t n) \
    { \
        const T *A = pa; \
        TO *O = po; \
        for (int64_t i = 0; i < n; i++) { T x = A[i]; O[i] = (TO)(E); } \
    }

/* U(op, name, dtype, T, output type, suffix, expression of x) */
#define FLOAT_UNOPS(U, dt, T, s) \
    U(U_NEG, neg, dt, T, T, s, -x) \
    U(U_ABS, abs, dt, T, T, s, fabs(x)) \
    U(U_SIGN, sign, dt, T, T, s, (x > 0) - (x < 0)) \
    U(U_EXP, exp, dt, T, T, s, exp(x)) \
    U(U_LOG, log, dt, T, T, s, log(x)) \
    U(U_SQRT, sqrt, dt, T, T, s, sqrt(x)) \
    U(U_RECIP, recip, dt, T, T, s, 1 / x) \
    U(U_FLOOR, floor, dt, T, T, s, floor(x)) \
    U(U_CEIL, ceil, dt, T, T, s, ceil(x)) \
    U(U_ROUND, round, dt, T, T, s, rint(x)) /* halves to even in the default rounding mode */ \
    U(U_ERF, erf, dt, T, T, s, erf(x)) \
    U(U_SIN, sin, dt, T, T, s, sin(x)) \
    U(U_COS, cos, dt, T, T, s, cos(x)) \
    U(U_TAN, tan, dt, T, T, s, tan(x)) \
    U(U_ASIN, asin, dt, T, T, s, asin(x)) \
    U(U_ACOS, acos, dt, T, T, s, acos(x)) \
    U(U_ATAN, atan, dt, T, T, s, atan(x)) \
    U(U_SINH, sinh, dt, T, T, s, sinh(x)) \
    U(U_COSH, cosh, dt, T, T, s, cosh(x)) \
    U(U_ASINH, asinh, dt, T, T, s, asinh(x)) \
    U(U_ACOSH, acosh, dt, T, T, s, acosh(x)) \
    U(U_ATANH, atanh, dt, T, T, s, atanh(x)) \
    U(U_ISNAN, isnan, dt, T, uint8_t, s, isnan(x) != 0) \
    U(U_ISINF, isinf, dt, T, uint8_t, s, isinf(x) != 0) /* glibc: -1 for -inf */ \
    U(U_ISPOSINF, isposinf, dt, T, uint8_t, s, isinf(x) && x > 0) \
    U(U_ISNEGINF, isneginf, dt, T, uint8_t, s, isinf(x) && x < 0)
#define SINT_UNOPS(U, dt, T, s) \
    U(U_BNOT, bnot, dt, T, T, s, ~x) \
    U(U_NEG, neg, dt, T, T, s, 0 - (uint64_t)x) \
    U(U_ABS, abs, dt, T, T, s, x < 0 ? 0 - (uint64_t)x : (uint64_t)x) \
    U(U_SIGN, sign, dt, T, T, s, (x > 0) - (x < 0))
#define UINT_UNOPS(U, dt, T, s) \
    U(U_BNOT, bnot, dt, T, T, s, ~x) \
    U(U_ABS, abs, dt, T, T, s, x) \
    U(U_SIGN, sign, dt, T, T, s, x > 0)
#define BOOL_UNOPS(U, dt, T, s) U(U_NOT, not, dt, T, T, s, !x)

#define DEF_Y1(op, nm, dt, T, TO, s, E) DEF_ROW1(nm##1_##s, T, TO, E)
#define TBL_Y1(op, nm, dt, T, TO, s, E) [op][dt] = nm##1_##s,

#define DEF_FLOAT1(dt, T, s) FLOAT_UNOPS(DEF_Y1, dt, T, s)
#define DEF_SINT1(dt, T, s) SINT_UNOPS(DEF_Y1, dt, T, s)
#define DEF_UINT1(dt, T, s) UINT_UNOPS(DEF_Y1, dt, T, s)
#define DEF_BOOL1(dt, T, s) BOOL_UNOPS(DEF_Y1, dt, T, s)
FLOAT_TYPES(DEF_FLOAT1)
SINT_TYPES(DEF_SINT1)
UINT_TYPES(DEF_UINT1)
BOOL_TYPES(DEF_BOOL1)

#define TBL_FLOAT1(dt, T, s) FLOAT_UNOPS(TBL_Y1, dt, T, s)
#define TBL_SINT1(dt, T, s) SINT_UNOPS(TBL_Y1, dt, T, s)
#define TBL_UINT1(dt, T, s) UINT_UNOPS(TBL_Y1, dt, T, s)
#define TBL_BOOL1(dt, T, s) BOOL_UNOPS(TBL_Y1, dt, T, s)
static const row1_fn un_rows[U_COUNT][ONNXRUN_DTYPE_COUNT] = {
    FLOAT_TYPES(TBL_FLOAT1) SINT_TYPES(TBL_SINT1) UINT_TYPES(TBL_UINT1) BOOL_TYPES(TBL_BOOL1)
};

/* ---- Where rows, by element size ---- */

typedef void (*row3_fn)(const uint8_t *c, int64_t sc, const void *x, int64_t sx, const void *y,
                        int64_t sy, void *o, int64_t n);

#define DEF_WHERE(T) \
    VECTORIZE static void where_##T(const uint8_t *c, int64_t sc, const void *px, int64_t sx, \
                          const void *py, int64_t sy, void *po, int64_t n) \
    { \
        const T *X = px, *Y = py; \
        T *O = po; \
        for (int64_t i = 0; i < n; i++) O[i] = c[i * sc] ? X[i * sx] : Y[i * sy]; \
    }
DEF_WHERE(uint8_t)
DEF_WHERE(uint16_t)
DEF_WHERE(uint32_t)
DEF_WHERE(uint64_t)

static row3_fn where_row(size_t esize)
{
    switch (esize) {
    case 1: return where_uint8_t;
    case 2: return where_uint16_t;
    case 4: return where_uint32_t;
    case 8: return where_uint64_t;
    default: return NULL;
    }
}

/* ---- Pow with an exponent of another type (opset 12+): through double ---- */

/* Converts v to an integer in [lo, hi] (NaN -> 0) without undefined casts. */
static int64_t sat_i64(double v, double lo, double hi)
{
    if (!(v == v)) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return (int64_t)hi;
    return (int64_t)v;
}

static void store_f64(void *p, onnxrun_dtype dt, int64_t i, double v)
{
    switch (dt) {
    case ONNXRUN_FLOAT: ((float *)p)[i] = (float)v; break;
    case ONNXRUN_DOUBLE: ((double *)p)[i] = v; break;
    case ONNXRUN_INT8: ((int8_t *)p)[i] = (int8_t)sat_i64(v, INT8_MIN, INT8_MAX); break;
    case ONNXRUN_INT16: ((int16_t *)p)[i] = (int16_t)sat_i64(v, INT16_MIN, INT16_MAX); break;
    case ONNXRUN_INT32: ((int32_t *)p)[i] = (int32_t)sat_i64(v, INT32_MIN, INT32_MAX); break;
    /* 2^63 is the first double above INT64_MAX */
    case ONNXRUN_INT64: ((int64_t *)p)[i] = sat_i64(v, -0x1p63, 0x1.fffffffffffffp62); break;
    case ONNXRUN_UINT8: ((uint8_t *)p)[i] = (uint8_t)sat_i64(v, 0, UINT8_MAX); break;
    case ONNXRUN_UINT16: ((uint16_t *)p)[i] = (uint16_t)sat_i64(v, 0, UINT16_MAX); break;
    case ONNXRUN_UINT32: ((uint32_t *)p)[i] = (uint32_t)sat_i64(v, 0, UINT32_MAX); break;
    case ONNXRUN_UINT64:
        ((uint64_t *)p)[i] = !(v > 0) ? 0 : v >= 0x1p64 ? UINT64_MAX : (uint64_t)v;
        break;
    default: break;
    }
}

static bool numeric(onnxrun_dtype dt)
{
    return dt != ONNXRUN_BOOL && dt != ONNXRUN_FLOAT16 && dt != ONNXRUN_STRING &&
           dt > ONNXRUN_UNDEFINED && dt < ONNXRUN_DTYPE_COUNT;
}

/* ---- the broadcasting walker ---- */

#define WALK_MAX_IN 3

typedef struct walk walk;
/* Called per run of output elements; in[m] is input m's first element of
 * the run, which advances by w->str[m][w->rank - 1] (0 or 1). */
typedef void (*walk_row_fn)(const walk *w, const char *const *in, char *out, int64_t n);

struct walk {
    int rank;                                  /* >= 1 after merging axes */
    int64_t dims[OR_MAX_RANK];                 /* output dims, merged */
    int n_in;
    const char *in[WALK_MAX_IN];               /* input data */
    size_t in_size[WALK_MAX_IN];               /* element bytes */
    int64_t str[WALK_MAX_IN][OR_MAX_RANK];     /* element strides over dims, 0 = broadcast */
    char *out;
    size_t out_size;
    walk_row_fn row;
    row2_fn fn2;                               /* binary ops */
    row3_fn fn3;                               /* Where */
    onnxrun_dtype dt[2];                       /* mixed Pow: base, exponent */
};

/* Prepares w to compute out from ins (each broadcastable to out's shape). */
static void walk_setup(walk *w, const or_tensor *const *ins, int n_in, const or_tensor *out,
                       walk_row_fn row)
{
    int64_t str[WALK_MAX_IN][OR_MAX_RANK];
    int r = 0;
    memset(w, 0, sizeof *w);
    for (int m = 0; m < n_in; m++) {
        or_broadcast_strides(ins[m], out, str[m]);
        w->in[m] = ins[m]->data;
        w->in_size[m] = onnxrun_dtype_size(ins[m]->dtype);
    }
    for (int i = 0; i < out->rank; i++) {
        int64_t d = out->dims[i];
        if (d == 1) continue;
        bool merge = r > 0;
        for (int m = 0; m < n_in && merge; m++)
            merge = w->str[m][r - 1] == str[m][i] * d;
        if (merge) {
            w->dims[r - 1] *= d;
            for (int m = 0; m < n_in; m++) w->str[m][r - 1] = str[m][i];
            continue;
        }
        w->dims[r] = d;
        for (int m = 0; m < n_in; m++) w->str[m][r] = str[m][i];
        r++;
    }
    if (r == 0) { /* a single element */
        w->dims[0] = 1;
        r = 1;
    }
    w->rank = r;
    w->n_in = n_in;
    w->out = out->data;
    w->out_size = onnxrun_dtype_size(out->dtype);
    w->row = row;
}

/* Computes output elements [begin, end) (flat indices). */
static void walk_range(void *ctx, int64_t begin, int64_t end)
{
    const walk *w = ctx;
    int last = w->rank - 1;
    int64_t n = w->dims[last];
    int64_t idx[OR_MAX_RANK] = { 0 }, off[WALK_MAX_IN] = { 0 };
    int64_t rest = begin / n, j = begin % n;
    for (int i = last - 1; i >= 0; i--) {
        idx[i] = rest % w->dims[i];
        rest /= w->dims[i];
        for (int m = 0; m < w->n_in; m++) off[m] += idx[i] * w->str[m][i];
    }
    for (int64_t pos = begin; pos < end;) {
        int64_t len = n - j < end - pos ? n - j : end - pos;
        const char *p[WALK_MAX_IN];
        for (int m = 0; m < w->n_in; m++)
            p[m] = w->in[m] + (off[m] + j * w->str[m][last]) * (int64_t)w->in_size[m];
        w->row(w, p, w->out + pos * (int64_t)w->out_size, len);
        pos += len;
        j = 0;
        for (int i = last - 1; i >= 0; i--) {
            for (int m = 0; m < w->n_in; m++) off[m] += w->str[m][i];
            if (++idx[i] < w->dims[i]) break;
            for (int m = 0; m < w->n_in; m++) off[m] -= w->str[m][i] * w->dims[i];
            idx[i] = 0;
        }
    }
}

static void walk_run(const or_kernel *k, walk *w, int64_t total)
{
    if (total <= 0) return;
    if (or_par_worth(k, (double)total, OR_PAR_MIN_ELEMS)) or_parallel_for(k, total, walk_range, w);
    else walk_range(w, 0, total);
}

static void row_binary(const walk *w, const char *const *in, char *out, int64_t n)
{
    int l = w->rank - 1;
    w->fn2(in[0], w->str[0][l], in[1], w->str[1][l], out, n);
}

static void row_where(const walk *w, const char *const *in, char *out, int64_t n)
{
    int l = w->rank - 1;
    w->fn3((const uint8_t *)in[0], w->str[0][l], in[1], w->str[1][l], in[2], w->str[2][l], out, n);
}

static void row_pow_mixed(const walk *w, const char *const *in, char *out, int64_t n)
{
    int l = w->rank - 1;
    int64_t sa = w->str[0][l], sb = w->str[1][l];
    for (int64_t i = 0; i < n; i++)
        store_f64(out, w->dt[0], i,
                  pow(or_load_f64(in[0], w->dt[0], i * sa), or_load_f64(in[1], w->dt[1], i * sb)));
}

/* ---- op descriptions ---- */

typedef enum ew_kind { K_UNARY, K_BINARY, K_VARIADIC, K_WHERE } ew_kind;

typedef struct ew_op {
    const char *name;
    ew_kind kind;
    int code;           /* uop or bop */
    bool to_bool;       /* output is bool (comparisons) */
} ew_op;

static const ew_op ew_ops[] = {
    { "Neg", K_UNARY, U_NEG, false },          { "Abs", K_UNARY, U_ABS, false },
    { "Sign", K_UNARY, U_SIGN, false },        { "Exp", K_UNARY, U_EXP, false },
    { "Log", K_UNARY, U_LOG, false },          { "Sqrt", K_UNARY, U_SQRT, false },
    { "Reciprocal", K_UNARY, U_RECIP, false }, { "Floor", K_UNARY, U_FLOOR, false },
    { "Ceil", K_UNARY, U_CEIL, false },        { "Erf", K_UNARY, U_ERF, false },
    { "Round", K_UNARY, U_ROUND, false },      { "Not", K_UNARY, U_NOT, false },
    { "Sin", K_UNARY, U_SIN, false },          { "Cos", K_UNARY, U_COS, false },
    { "Tan", K_UNARY, U_TAN, false },          { "Asin", K_UNARY, U_ASIN, false },
    { "Acos", K_UNARY, U_ACOS, false },        { "Atan", K_UNARY, U_ATAN, false },
    { "Sinh", K_UNARY, U_SINH, false },        { "Cosh", K_UNARY, U_COSH, false },
    { "Asinh", K_UNARY, U_ASINH, false },      { "Acosh", K_UNARY, U_ACOSH, false },
    { "Atanh", K_UNARY, U_ATANH, false },
    { "IsNaN", K_UNARY, U_ISNAN, true },       { "IsInf", K_UNARY, U_ISINF, true },
    { "Add", K_BINARY, B_ADD, false },         { "Sub", K_BINARY, B_SUB, false },
    { "Mul", K_BINARY, B_MUL, false },         { "Div", K_BINARY, B_DIV, false },
    { "Pow", K_BINARY, B_POW, false },         { "PRelu", K_BINARY, B_PRELU, false },
    { "Mod", K_BINARY, B_MOD, false },         { "BitShift", K_BINARY, B_SHL, false },
    { "Equal", K_BINARY, B_EQ, true },         { "Less", K_BINARY, B_LT, true },
    { "Greater", K_BINARY, B_GT, true },       { "LessOrEqual", K_BINARY, B_LE, true },
    { "GreaterOrEqual", K_BINARY, B_GE, true },
    { "And", K_BINARY, B_AND, true },          { "Or", K_BINARY, B_OR, true },
    { "Xor", K_BINARY, B_XOR, true },
    { "BitwiseAnd", K_BINARY, B_BAND, false }, { "BitwiseOr", K_BINARY, B_BOR, false },
    { "BitwiseXor", K_BINARY, B_BXOR, false }, { "BitwiseNot", K_UNARY, U_BNOT, false },
    { "Sum", K_VARIADIC, B_ADD, false },       { "Mean", K_VARIADIC, B_ADD, false },
    { "Max", K_VARIADIC, B_MAX, false },       { "Min", K_VARIADIC, B_MIN, false },
    { "Where", K_WHERE, 0, false },
};

typedef struct ew_params {
    const ew_op *op;
    int code;           /* uop or bop to run (Mod: B_MOD or B_FMOD by attribute) */
    bool legacy;        /* opset 1-6 binary semantics (broadcast / axis attributes) */
    bool bcast;         /* legacy broadcast=1 */
    bool has_axis;
    int64_t axis;       /* legacy axis */
    bool mean;          /* Mean: Sum then divide by the input count */
} ew_params;

static or_status ew_init(or_kernel *k)
{
    const ew_op *op = NULL;
    for (size_t i = 0; i < sizeof ew_ops / sizeof ew_ops[0] && !op; i++)
        if (strcmp(ew_ops[i].name, k->def->op_type) == 0) op = &ew_ops[i];
    if (!op) return or_fail(k, ONNXRUN_E_UNSUPPORTED, "no elementwise kernel for this op");
    ew_params *p = k->params;
    p->op = op;
    p->code = op->code;
    if (op->kind == K_UNARY && op->code == U_ISINF) {
        int64_t neg, pos;
        OR_TRY(or_attr_int(k, "detect_negative", 1, &neg));
        OR_TRY(or_attr_int(k, "detect_positive", 1, &pos));
        p->code = neg && pos ? U_ISINF : neg ? U_ISNEGINF : pos ? U_ISPOSINF : U_NOT;
        OR_CHECK(k, neg || pos, "detect_negative and detect_positive are both 0");
    }
    if (op->kind == K_BINARY && op->code == B_SHL) {
        const char *dir;
        OR_TRY(or_attr_string(k, "direction", "", &dir));
        OR_CHECK(k, !strcmp(dir, "LEFT") || !strcmp(dir, "RIGHT"),
                 "attribute direction must be \"LEFT\" or \"RIGHT\", not \"%s\"", dir);
        if (!strcmp(dir, "RIGHT")) p->code = B_SHR;
    }
    if (op->kind == K_BINARY && op->code == B_MOD) {
        int64_t fm;
        OR_TRY(or_attr_int(k, "fmod", 0, &fm));
        OR_CHECK(k, fm == 0 || fm == 1, "attribute fmod must be 0 or 1, not %lld", (long long)fm);
        if (fm) p->code = B_FMOD;
    }
    p->mean = strcmp(op->name, "Mean") == 0;
    p->legacy = op->kind == K_BINARY && k->def->since < 7;
    if (p->legacy && op->code != B_PRELU) {
        int64_t b;
        OR_TRY(or_attr_int(k, "broadcast", 0, &b));
        OR_TRY(or_attr_int(k, "axis", 0, &p->axis));
        p->bcast = b != 0;
        p->has_axis = or_attr_has(k, "axis");
    }
    return ONNXRUN_OK;
}

/* Input i, which must be present. */
static or_status need_in(or_kernel *k, size_t i, or_tensor **t)
{
    *t = or_in(k, i);
    if (!*t) return or_fail(k, ONNXRUN_E_INVALID, "input %zu is missing", i);
    return ONNXRUN_OK;
}

static or_status bad_type(or_kernel *k, onnxrun_dtype dt)
{
    return or_fail(k, ONNXRUN_E_UNSUPPORTED, "type %s is not supported", onnxrun_dtype_name(dt));
}

static or_status bad_shapes(or_kernel *k, const char *what, const or_tensor *a, const or_tensor *b)
{
    char sa[128], sb[128];
    or_shape_str(a, sa, sizeof sa);
    or_shape_str(b, sb, sizeof sb);
    return or_fail(k, ONNXRUN_E_SHAPE, "shapes %s and %s %s", sa, sb, what);
}

/* ---- unary ---- */

typedef struct un_ctx {
    row1_fn fn;
    const char *in;
    char *out;
    size_t in_size, out_size;
} un_ctx;

static void un_range(void *ctx, int64_t begin, int64_t end)
{
    const un_ctx *c = ctx;
    c->fn(c->in + begin * (int64_t)c->in_size, c->out + begin * (int64_t)c->out_size, end - begin);
}

static or_status unary_infer(or_kernel *k)
{
    ew_params *p = k->params;
    or_tensor *x;
    OR_TRY(need_in(k, 0, &x));
    if ((unsigned)x->dtype >= ONNXRUN_DTYPE_COUNT || !un_rows[p->code][x->dtype])
        return bad_type(k, x->dtype);
    return or_set_shape(k, or_out(k, 0), p->op->to_bool ? ONNXRUN_BOOL : x->dtype, x->rank,
                        x->dims);
}

static or_status unary_run(or_kernel *k)
{
    ew_params *p = k->params;
    or_tensor *x = k->in[0], *y = or_out(k, 0);
    if (!y) return ONNXRUN_OK;
    un_ctx c = { un_rows[p->code][x->dtype], x->data, y->data, onnxrun_dtype_size(x->dtype),
                 onnxrun_dtype_size(y->dtype) };
    int64_t n = or_numel(y);
    if (or_par_worth(k, (double)n, OR_PAR_MIN_ELEMS)) or_parallel_for(k, n, un_range, &c);
    else if (n > 0) un_range(&c, 0, n);
    return ONNXRUN_OK;
}

/* ---- binary ---- */

/* The shape B takes part in numpy broadcasting with, from the legacy
 * attributes (opset < 7): B's dims then 1s so that it lines up with A at
 * `axis`. Without legacy semantics *eb is B's shape. */
static or_status legacy_shape(or_kernel *k, const or_tensor *a, const or_tensor *b, or_tensor *eb)
{
    ew_params *p = k->params;
    *eb = *b;
    if (!p->legacy) return ONNXRUN_OK;
    int ra = a->rank, rb = b->rank;
    if (p->code == B_PRELU) {
        /* a 1-D slope of C values is per channel (axis 1) */
        if (rb == 1 && ra >= 2 && b->dims[0] == a->dims[1] && b->dims[0] != 1) {
            eb->rank = ra - 1;
            for (int i = 1; i < ra - 1; i++) eb->dims[i] = 1;
        }
        return ONNXRUN_OK;
    }
    if (!p->bcast) {
        if (ra != rb || memcmp(a->dims, b->dims, (size_t)ra * sizeof a->dims[0]) != 0)
            return bad_shapes(k, "differ and the attribute broadcast is not 1", a, b);
        return ONNXRUN_OK;
    }
    if (or_numel(b) == 1) {
        eb->rank = 0;
        return ONNXRUN_OK;
    }
    int64_t axis = p->has_axis ? p->axis : ra - rb;
    if (axis < 0) axis += ra;
    if (axis < 0 || rb > ra || axis > ra - rb)
        return or_fail(k, ONNXRUN_E_SHAPE, "legacy broadcast: B of rank %d does not fit in A of "
                       "rank %d at axis %lld", rb, ra, (long long)(p->has_axis ? p->axis : axis));
    for (int i = 0; i < rb; i++)
        if (b->dims[i] != 1 && b->dims[i] != a->dims[axis + i])
            return bad_shapes(k, "do not match for legacy broadcasting", a, b);
    eb->rank = ra - (int)axis;
    for (int i = rb; i < eb->rank; i++) eb->dims[i] = 1;
    return ONNXRUN_OK;
}

/* Picks the row function for op on (a, b) and the walker's row; false if
 * the types are not supported. */
static bool binary_pick(int code, onnxrun_dtype a, onnxrun_dtype b, row2_fn *fn, walk_row_fn *row)
{
    *fn = NULL;
    *row = row_binary;
    if ((unsigned)a >= ONNXRUN_DTYPE_COUNT || (unsigned)b >= ONNXRUN_DTYPE_COUNT) return false;
    if (a == b) *fn = bin_rows[code][a];
    if (*fn) return true;
    if (code == B_POW && numeric(a) && numeric(b)) { /* mixed types, or a type without a row */
        *row = row_pow_mixed;
        return true;
    }
    return false;
}

static or_status binary_infer(or_kernel *k)
{
    ew_params *p = k->params;
    or_tensor *a, *b, eb;
    int r;
    int64_t d[OR_MAX_RANK];
    row2_fn fn;
    walk_row_fn row;
    OR_TRY(need_in(k, 0, &a));
    OR_TRY(need_in(k, 1, &b));
    if (a->dtype != b->dtype && p->code != B_POW)
        return or_fail(k, ONNXRUN_E_INVALID, "inputs have different types (%s and %s)",
                       onnxrun_dtype_name(a->dtype), onnxrun_dtype_name(b->dtype));
    if (!binary_pick(p->code, a->dtype, b->dtype, &fn, &row)) {
        if (a->dtype == b->dtype) return bad_type(k, a->dtype);
        return or_fail(k, ONNXRUN_E_UNSUPPORTED, "types %s and %s are not supported",
                       onnxrun_dtype_name(a->dtype), onnxrun_dtype_name(b->dtype));
    }
    OR_TRY(legacy_shape(k, a, b, &eb));
    if (!or_broadcast_shape(a->rank, a->dims, eb.rank, eb.dims, &r, d))
        return bad_shapes(k, "do not broadcast", a, b);
    bool uni = p->legacy || p->code == B_PRELU; /* B must not enlarge A */
    if (uni && (r != a->rank || memcmp(d, a->dims, (size_t)r * sizeof d[0]) != 0))
        return bad_shapes(k, "do not broadcast: the second must fit in the first", a, b);
    return or_set_shape(k, or_out(k, 0), p->op->to_bool ? ONNXRUN_BOOL : a->dtype, r, d);
}

/* Whether an integer tensor holds a zero (all bytes of an element zero). */
static bool has_int_zero(const or_tensor *t)
{
    size_t es = onnxrun_dtype_size(t->dtype);
    int64_t n = or_numel(t);
    const unsigned char *c = t->data;
    for (int64_t i = 0; i < n; i++, c += es) {
        size_t j = 0;
        while (j < es && c[j] == 0) j++;
        if (j == es) return true;
    }
    return false;
}

static or_status binary_run(or_kernel *k)
{
    ew_params *p = k->params;
    or_tensor *a = k->in[0], *b = k->in[1], *y = or_out(k, 0), eb;
    if (!y) return ONNXRUN_OK;
    int64_t total = or_numel(y);
    bool is_float = a->dtype == ONNXRUN_FLOAT || a->dtype == ONNXRUN_DOUBLE;
    bool divides = p->code == B_DIV || p->code == B_MOD || p->code == B_FMOD;
    if (divides && !is_float && total > 0 && has_int_zero(b))
        return or_fail(k, ONNXRUN_E_RUNTIME, "integer division by zero (input 1 holds a 0)");
    OR_TRY(legacy_shape(k, a, b, &eb));
    const or_tensor *ins[2] = { a, &eb };
    walk w;
    walk_row_fn row;
    row2_fn fn;
    binary_pick(p->code, a->dtype, b->dtype, &fn, &row);
    walk_setup(&w, ins, 2, y, row);
    w.fn2 = fn;
    w.dt[0] = a->dtype;
    w.dt[1] = b->dtype;
    walk_run(k, &w, total);
    return ONNXRUN_OK;
}

/* ---- variadic: Sum, Mean, Max, Min ---- */

static or_status variadic_infer(or_kernel *k)
{
    ew_params *p = k->params;
    or_tensor *a, *t;
    int r;
    int64_t d[OR_MAX_RANK];
    if (k->n_in < 1) return or_fail(k, ONNXRUN_E_INVALID, "needs at least one input");
    OR_TRY(need_in(k, 0, &a));
    if ((unsigned)a->dtype >= ONNXRUN_DTYPE_COUNT || !bin_rows[p->code][a->dtype] ||
        (p->mean && a->dtype != ONNXRUN_FLOAT && a->dtype != ONNXRUN_DOUBLE))
        return bad_type(k, a->dtype);
    r = a->rank;
    memcpy(d, a->dims, sizeof d);
    for (size_t i = 1; i < k->n_in; i++) {
        OR_TRY(need_in(k, i, &t));
        if (t->dtype != a->dtype)
            return or_fail(k, ONNXRUN_E_INVALID, "input %zu has type %s, input 0 has %s", i,
                           onnxrun_dtype_name(t->dtype), onnxrun_dtype_name(a->dtype));
        if (!or_broadcast_shape(r, d, t->rank, t->dims, &r, d)) {
            char st[128];
            or_shape_str(t, st, sizeof st);
            return or_fail(k, ONNXRUN_E_SHAPE, "input %zu of shape %s does not broadcast with "
                           "the inputs before it", i, st);
        }
    }
    return or_set_shape(k, or_out(k, 0), a->dtype, r, d);
}

static or_status variadic_run(or_kernel *k)
{
    ew_params *p = k->params;
    or_tensor *y = or_out(k, 0);
    if (!y) return ONNXRUN_OK;
    int64_t total = or_numel(y);
    row2_fn fn = bin_rows[p->code][y->dtype];
    walk w;
    if (k->n_in == 1) {
        if (y->data != k->in[0]->data) memcpy(y->data, k->in[0]->data, or_nbytes(y));
    } else {
        /* y = in0 op in1, then y = y op in_i */
        for (size_t i = 1; i < k->n_in; i++) {
            const or_tensor *ins[2] = { i == 1 ? k->in[0] : y, k->in[i] };
            walk_setup(&w, ins, 2, y, row_binary);
            w.fn2 = fn;
            walk_run(k, &w, total);
        }
    }
    if (p->mean) {
        float nf = (float)k->n_in;
        double nd = (double)k->n_in;
        or_tensor count = { .dtype = y->dtype, .rank = 0,
                            .data = y->dtype == ONNXRUN_FLOAT ? (void *)&nf : (void *)&nd };
        const or_tensor *ins[2] = { y, &count };
        walk_setup(&w, ins, 2, y, row_binary);
        w.fn2 = bin_rows[B_DIV][y->dtype];
        walk_run(k, &w, total);
    }
    return ONNXRUN_OK;
}

/* ---- Where ---- */

static or_status where_infer(or_kernel *k)
{
    or_tensor *c, *x, *y;
    int r;
    int64_t d[OR_MAX_RANK];
    OR_TRY(need_in(k, 0, &c));
    OR_TRY(need_in(k, 1, &x));
    OR_TRY(need_in(k, 2, &y));
    if (c->dtype != ONNXRUN_BOOL)
        return or_fail(k, ONNXRUN_E_INVALID, "condition must be bool, not %s",
                       onnxrun_dtype_name(c->dtype));
    if (x->dtype != y->dtype)
        return or_fail(k, ONNXRUN_E_INVALID, "X and Y have different types (%s and %s)",
                       onnxrun_dtype_name(x->dtype), onnxrun_dtype_name(y->dtype));
    if (!where_row(onnxrun_dtype_size(x->dtype))) return bad_type(k, x->dtype);
    if (!or_broadcast_shape(c->rank, c->dims, x->rank, x->dims, &r, d))
        return bad_shapes(k, "(condition and X) do not broadcast", c, x);
    if (!or_broadcast_shape(r, d, y->rank, y->dims, &r, d))
        return bad_shapes(k, "(X and Y) do not broadcast with the condition", x, y);
    return or_set_shape(k, or_out(k, 0), x->dtype, r, d);
}

static or_status where_run(or_kernel *k)
{
    or_tensor *y = or_out(k, 0);
    if (!y) return ONNXRUN_OK;
    const or_tensor *ins[3] = { k->in[0], k->in[1], k->in[2] };
    walk w;
    walk_setup(&w, ins, 3, y, row_where);
    w.fn3 = where_row(onnxrun_dtype_size(y->dtype));
    walk_run(k, &w, or_numel(y));
    return ONNXRUN_OK;
}

/* ---- the table ---- */

#define UNARY(name, since) \
    OR_OP(name, since, .flags = OR_OP_INPLACE, .params_size = sizeof(ew_params), \
          .init = ew_init, .infer = unary_infer, .run = unary_run)
#define BINARY(name, since, fl) \
    OR_OP(name, since, .flags = fl, .params_size = sizeof(ew_params), .init = ew_init, \
          .infer = binary_infer, .run = binary_run)
/* the output is bool: it may not share an input's buffer */
#define COMPARE(name, since) BINARY(name, since, 0)
#define ARITH(name) BINARY(name, 1, OR_OP_INPLACE), BINARY(name, 7, OR_OP_INPLACE)
#define VARIADIC(name) \
    OR_OP(name, 1, .params_size = sizeof(ew_params), .init = ew_init, .infer = variadic_infer, \
          .run = variadic_run)

OR_OP_TABLE(elementwise) = {
    UNARY("Neg", 1), UNARY("Abs", 1), UNARY("Exp", 1), UNARY("Log", 1), UNARY("Sqrt", 1),
    UNARY("Reciprocal", 1), UNARY("Floor", 1), UNARY("Ceil", 1), UNARY("Not", 1),
    UNARY("Erf", 9), UNARY("Sign", 9), UNARY("Round", 11),
    UNARY("Sin", 7), UNARY("Cos", 7), UNARY("Tan", 7), UNARY("Asin", 7), UNARY("Acos", 7),
    UNARY("Atan", 7), UNARY("Sinh", 9), UNARY("Cosh", 9), UNARY("Asinh", 9), UNARY("Acosh", 9),
    UNARY("Atanh", 9),
    OR_OP("IsNaN", 9, .params_size = sizeof(ew_params), .init = ew_init, .infer = unary_infer,
          .run = unary_run),
    OR_OP("IsInf", 10, .params_size = sizeof(ew_params), .init = ew_init, .infer = unary_infer,
          .run = unary_run),
    /* Add from 7 (numpy broadcasting, no `broadcast` attribute): a residual */
    BINARY("Add", 1, OR_OP_INPLACE), BINARY("Add", 7, OR_OP_INPLACE | OR_OP_RESIDUAL), ARITH("Sub"), ARITH("Mul"), ARITH("Div"), ARITH("Pow"), ARITH("PRelu"),
    BINARY("Mod", 10, OR_OP_INPLACE), BINARY("BitShift", 11, OR_OP_INPLACE),
    COMPARE("Equal", 1), COMPARE("Equal", 7), COMPARE("Less", 1), COMPARE("Less", 7),
    COMPARE("Greater", 1), COMPARE("Greater", 7),
    COMPARE("LessOrEqual", 12), COMPARE("GreaterOrEqual", 12),
    COMPARE("And", 1), COMPARE("And", 7), COMPARE("Or", 1), COMPARE("Or", 7),
    COMPARE("Xor", 1), COMPARE("Xor", 7),
    BINARY("BitwiseAnd", 18, OR_OP_INPLACE), BINARY("BitwiseOr", 18, OR_OP_INPLACE),
    BINARY("BitwiseXor", 18, OR_OP_INPLACE), UNARY("BitwiseNot", 18),
    VARIADIC("Sum"), VARIADIC("Mean"), VARIADIC("Max"), VARIADIC("Min"),
    OR_OP("Where", 9, .params_size = sizeof(ew_params), .init = ew_init, .infer = where_infer,
          .run = where_run),
};
OR_OP_TABLE_END(elementwise);
