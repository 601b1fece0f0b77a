/*
 * test_pool.c - MaxPool (and its Indices output), AveragePool, LpPool and
 * the Global pools against naive loops over every window tap, written from
 * the ONNX formulas: strides, pads, dilations, ceil_mode (with the rule that
 * the last window starts inside the input or the left padding),
 * count_include_pad, auto_pad, storage_order, 1-D / 2-D / 3-D, float,
 * double and (MaxPool 12) 8-bit integers; random configurations; and the
 * errors that version-gated attributes, types and shapes must give.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops/parallel.h" /* or_pool_create: worker threads for or_parallel_for */
#include "tests/kernel_harness.h"

static uint32_t rng = 777;
static uint32_t urand(uint32_t n)
{
    rng = rng * 1664525u + 1013904223u;
    return (rng >> 8) % n;
}

static bool next(int n, const int64_t *dims, int64_t *c)
{
    for (int i = n - 1; i >= 0; i--) {
        if (++c[i] < dims[i]) return true;
        c[i] = 0;
    }
    return false;
}
static int64_t prod(int n, const int64_t *d)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= d[i];
    return p;
}

typedef struct pcase {
    const char *op;
    int opset, nsp;
    int64_t n, c, in[3], k[3], s[3], d[3], pads[6];
    bool has_s, has_d, has_pads;
    const char *auto_pad;
    int ceil, cip;          /* -1 = attribute absent */
    int storage_order;      /* -1 = absent */
    float p;                /* LpPool; 0 = absent */
    bool indices;
    onnxrun_dtype dt;       /* 0 = float */
} pcase;

static bool is_global(const pcase *t) { return strncmp(t->op, "Global", 6) == 0; }
static int64_t S(const pcase *t, int i) { return t->has_s ? t->s[i] : 1; }
static int64_t D(const pcase *t, int i) { return t->has_d ? t->d[i] : 1; }
static int64_t K(const pcase *t, int i) { return is_global(t) ? t->in[i] : t->k[i]; }

/* Output size and pads on axis i, as the spec gives them. */
static void shape_of(const pcase *t, int i, int64_t *pb, int64_t *pe, int64_t *out)
{
    int64_t in = t->in[i], s = S(t, i), ext = (K(t, i) - 1) * D(t, i) + 1;
    *pb = *pe = 0;
    if (t->auto_pad && strncmp(t->auto_pad, "SAME", 4) == 0) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ext - in;
        if (total < 0) total = 0;
        *pb = strcmp(t->auto_pad, "SAME_LOWER") == 0 ? (total + 1) / 2 : total / 2;
        *pe = total - *pb;
        return;
    }
    if (t->has_pads && !t->auto_pad) {
        *pb = t->pads[i];
        *pe = t->pads[t->nsp + i];
    }
    /* the spec's VALID formula has no ceil_mode */
    bool up = t->ceil == 1 && (!t->auto_pad || strcmp(t->auto_pad, "NOTSET") == 0);
    double q = (double)(in + *pb + *pe - ext) / (double)s;
    *out = (int64_t)(up ? ceil(q) : floor(q)) + 1;
    if (up && (*out - 1) * s >= in + *pb) (*out)--;
}

static double load(onnxrun_dtype dt, const void *p, int64_t i)
{
    switch (dt) {
    case ONNXRUN_DOUBLE: return ((const double *)p)[i];
    case ONNXRUN_UINT8: return ((const uint8_t *)p)[i];
    case ONNXRUN_INT8: return ((const int8_t *)p)[i];
    default: return ((const float *)p)[i];
    }
}

static void *rand_data(onnxrun_dtype dt, int64_t n)
{
    void *b = malloc((size_t)(n ? n : 1) * 8);
    for (int64_t i = 0; i < n; i++) {
        double v = (double)urand(65536) / 4096.0 - 8.0;
        switch (dt) {
        case ONNXRUN_DOUBLE: ((double *)b)[i] = v; break;
        case ONNXRUN_UINT8: ((uint8_t *)b)[i] = (uint8_t)urand(256); break;
        case ONNXRUN_INT8: ((int8_t *)b)[i] = (int8_t)((int)urand(256) - 128); break;
        default: ((float *)b)[i] = (float)v; break;
        }
    }
    return b;
}

/* Attribute constructors for values computed at run time. */
static or_attr ints_attr(const char *name, const int64_t *v, size_t n)
{
    return (or_attr){ .name = (char *)name, .type = OR_ATTR_INTS, .ints = (int64_t *)v, .n = n };
}
static or_attr int_attr(const char *name, int64_t v)
{
    return (or_attr){ .name = (char *)name, .type = OR_ATTR_INT, .i = v };
}
static or_attr string_attr(const char *name, const char *v)
{
    return (or_attr){ .name = (char *)name, .type = OR_ATTR_STRING, .s = (char *)v,
                      .s_len = strlen(v) };
}

static size_t attrs_of(const pcase *t, or_attr *a)
{
    size_t n = 0, ns = (size_t)t->nsp;
    if (!is_global(t)) a[n++] = ints_attr("kernel_shape", t->k, ns);
    if (t->has_s) a[n++] = ints_attr("strides", t->s, ns);
    if (t->has_d) a[n++] = ints_attr("dilations", t->d, ns);
    if (t->has_pads) a[n++] = ints_attr("pads", t->pads, 2 * ns);
    if (t->auto_pad) a[n++] = string_attr("auto_pad", t->auto_pad);
    if (t->ceil >= 0) a[n++] = int_attr("ceil_mode", t->ceil);
    if (t->cip >= 0) a[n++] = int_attr("count_include_pad", t->cip);
    if (t->storage_order >= 0) a[n++] = int_attr("storage_order", t->storage_order);
    if (t->p > 0) {
        if (t->opset < 2)
            a[n++] = (or_attr){ .name = "p", .type = OR_ATTR_FLOAT, .f = t->p };
        else a[n++] = int_attr("p", (int64_t)t->p);
    }
    return n;
}

/* Runs a case; returns the status and leaves the outputs in y / ind. */
static or_status run_case(const pcase *t, void *x, or_tensor *y, or_tensor *ind, char *err,
                          size_t err_len)
{
    onnxrun_dtype dt = t->dt ? t->dt : ONNXRUN_FLOAT;
    or_tensor tx = { dt, t->nsp + 2, { t->n, t->c }, x };
    for (int i = 0; i < t->nsp; i++) tx.dims[2 + i] = t->in[i];
    or_tensor *ins[] = { &tx }, *outs[] = { y, t->indices ? ind : NULL };
    or_attr attrs[10];
    size_t na = attrs_of(t, attrs);
    return kh_run("", t->op, t->opset, attrs, na, ins, 1, outs, t->indices ? 2 : 1, err, err_len);
}

static void check_pool(const pcase *t)
{
    onnxrun_dtype dt = t->dt ? t->dt : ONNXRUN_FLOAT;
    int n = t->nsp;
    int64_t out[3], pb[3], pe[3], kd[3];
    for (int i = 0; i < n; i++) {
        shape_of(t, i, &pb[i], &pe[i], &out[i]);
        kd[i] = K(t, i);
    }
    int64_t insz = prod(n, t->in), outsz = prod(n, out), planes = t->n * t->c;
    void *x = rand_data(dt, planes * insz);
    or_tensor y = { 0 }, ind = { 0 };
    char err[512];
    or_status st = run_case(t, x, &y, &ind, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s: %s\n", t->op, err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_int_equal(y.dtype, dt);
    assert_int_equal(y.rank, n + 2);
    for (int i = 0; i < n; i++) {
        if (y.dims[2 + i] != out[i])
            print_error("%s axis %d (in %lld kernel %lld stride %lld dilation %lld pads %lld "
                        "%lld ceil %d auto_pad %s): size %lld, want %lld\n",
                        t->op, i, (long long)t->in[i], (long long)K(t, i), (long long)S(t, i),
                        (long long)D(t, i), (long long)pb[i], (long long)pe[i], t->ceil,
                        t->auto_pad ? t->auto_pad : "-", (long long)y.dims[2 + i],
                        (long long)out[i]);
        assert_int_equal(y.dims[2 + i], out[i]);
    }
    if (t->indices) {
        assert_int_equal(ind.dtype, ONNXRUN_INT64);
        assert_int_equal(ind.rank, n + 2);
    }
    bool is_max = strstr(t->op, "MaxPool") != NULL, is_avg = strstr(t->op, "AveragePool") != NULL;
    double p = t->p > 0 ? t->p : 2.0;
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t o[3] = { 0 };
        do {
            int64_t tc[3] = { 0 }, valid = 0, padded = 0, best_at = -1;
            double acc = is_max ? -INFINITY : 0.0;
            do {
                int64_t off = 0, col = 0, mul = 1;
                bool inside = true, in_pad = true;
                for (int i = 0; i < n; i++) {
                    int64_t q = o[i] * S(t, i) - pb[i] + tc[i] * D(t, i);
                    inside = inside && q >= 0 && q < t->in[i];
                    in_pad = in_pad && q >= -pb[i] && q < t->in[i] + pe[i];
                    off = off * t->in[i] + q;
                    col += q * mul;
                    mul *= t->in[i];
                }
                padded += in_pad;
                if (!inside) continue;
                valid++;
                double v = load(dt, x, pl * insz + off);
                if (is_max) {
                    if (v > acc) {
                        acc = v;
                        best_at = pl * insz + (t->storage_order == 1 ? col : off);
                    }
                } else if (is_avg) {
                    acc += v;
                } else {
                    acc += pow(fabs(v), p);
                }
            } while (next(n, kd, tc));
            double want = is_max ? acc : is_avg ? acc / (double)(t->cip == 1 ? padded : valid)
                                                : pow(acc, 1.0 / p);
            int64_t yo = 0;
            for (int i = 0; i < n; i++) yo = yo * out[i] + o[i];
            yo += pl * outsz;
            double got = load(dt, y.data, yo);
            double eps = dt == ONNXRUN_FLOAT ? 1e-5 : 1e-12;
            double tol = eps + eps * fabs(want);
            if (!(fabs(got - want) <= tol)) {
                print_error("%s: output %lld: got %.9g, want %.9g\n", t->op, (long long)yo, got,
                            want);
                fail();
            }
            if (t->indices && ((int64_t *)ind.data)[yo] != best_at) {
                print_error("%s: index %lld: got %lld, want %lld\n", t->op, (long long)yo,
                            (long long)((int64_t *)ind.data)[yo], (long long)best_at);
                fail();
            }
        } while (next(n, out, o));
    }
    free(y.data);
    free(ind.data);
    free(x);
}

#define NOATTR .ceil = -1, .cip = -1, .storage_order = -1

static void test_maxpool(void **state)
{
    (void)state;
    static const pcase cases[] = {
        { "MaxPool", 12, 2, 1, 1, { 4, 4 }, { 2, 2 }, NOATTR },
        { "MaxPool", 12, 2, 2, 3, { 9, 8 }, { 3, 2 }, .has_s = true, .s = { 2, 3 }, NOATTR },
        { "MaxPool", 12, 2, 1, 2, { 7, 7 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .has_pads = true, .pads = { 1, 0, 0, 1 }, NOATTR, .indices = true },
        { "MaxPool", 12, 2, 1, 1, { 4, 4 }, { 2, 2 }, .has_d = true, .d = { 2, 2 }, NOATTR },
        { "MaxPool", 12, 2, 1, 2, { 9, 10 }, { 3, 2 }, .has_d = true, .d = { 2, 3 },
          .has_s = true, .s = { 2, 1 }, .has_pads = true, .pads = { 2, 1, 1, 2 }, NOATTR,
          .indices = true },
        /* ceil_mode, including the case where the extra window would start in the right pad */
        { "MaxPool", 12, 2, 1, 1, { 4, 4 }, { 3, 3 }, .has_s = true, .s = { 2, 2 }, .ceil = 1,
          .cip = -1, .storage_order = -1 },
        { "MaxPool", 12, 1, 1, 2, { 5 }, { 2 }, .has_s = true, .s = { 2 }, .has_pads = true,
          .pads = { 1, 1 }, .ceil = 1, .cip = -1, .storage_order = -1, .indices = true },
        { "MaxPool", 11, 2, 1, 2, { 6, 7 }, { 3, 3 }, .has_s = true, .s = { 3, 2 },
          .has_pads = true, .pads = { 1, 1, 0, 0 }, .ceil = 1, .cip = -1, .storage_order = -1 },
        { "MaxPool", 12, 2, 1, 1, { 5, 5 }, { 2, 2 }, .auto_pad = "SAME_UPPER", NOATTR },
        { "MaxPool", 12, 2, 1, 1, { 5, 5 }, { 2, 2 }, .auto_pad = "SAME_LOWER", NOATTR },
        { "MaxPool", 12, 2, 1, 1, { 7, 6 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .auto_pad = "SAME_UPPER", NOATTR, .indices = true },
        { "MaxPool", 12, 2, 1, 1, { 7, 6 }, { 3, 2 }, .has_s = true, .s = { 2, 2 },
          .auto_pad = "VALID", NOATTR },
        /* Indices in both storage orders */
        { "MaxPool", 12, 2, 2, 2, { 5, 6 }, { 2, 2 }, .has_s = true, .s = { 2, 2 }, .ceil = -1,
          .cip = -1, .storage_order = 1, .indices = true },
        { "MaxPool", 8, 2, 1, 3, { 5, 5 }, { 5, 5 }, .has_pads = true, .pads = { 2, 2, 2, 2 },
          .ceil = -1, .cip = -1, .storage_order = 0, .indices = true },
        { "MaxPool", 12, 3, 1, 2, { 4, 5, 3 }, { 2, 2, 2 }, .has_pads = true,
          .pads = { 1, 0, 1, 0, 1, 1 }, .ceil = -1, .cip = -1, .storage_order = 1,
          .indices = true },
        /* 1-D, 3-D, opset 1 */
        { "MaxPool", 1, 1, 2, 2, { 11 }, { 3 }, .has_s = true, .s = { 2 }, NOATTR },
        { "MaxPool", 10, 3, 1, 2, { 5, 4, 6 }, { 2, 3, 2 }, .has_s = true, .s = { 2, 1, 2 },
          .has_d = true, .d = { 2, 1, 1 }, .ceil = 1, .cip = -1, .storage_order = -1 },
        /* other types */
        { "MaxPool", 12, 2, 1, 2, { 6, 6 }, { 3, 3 }, .has_pads = true, .pads = { 1, 1, 1, 1 },
          NOATTR, .indices = true, .dt = ONNXRUN_DOUBLE },
        { "MaxPool", 12, 2, 1, 2, { 6, 6 }, { 5, 5 }, .has_pads = true, .pads = { 2, 2, 2, 2 },
          NOATTR, .dt = ONNXRUN_UINT8 },
        { "MaxPool", 12, 2, 1, 2, { 6, 6 }, { 2, 3 }, .has_s = true, .s = { 2, 2 }, NOATTR,
          .indices = true, .dt = ONNXRUN_INT8 },
        /* later versions' attributes at their default values are accepted */
        { "MaxPool", 8, 2, 1, 1, { 5, 5 }, { 2, 2 }, .has_d = true, .d = { 1, 1 }, .ceil = 0,
          .cip = -1, .storage_order = 0, .indices = true },
        { "MaxPool", 1, 2, 1, 1, { 5, 5 }, { 2, 2 }, .ceil = 0, .cip = -1, .storage_order = 0 },
        /* rows long enough for the vector loops */
        { "MaxPool", 12, 2, 1, 2, { 5, 30 }, { 3, 3 }, .has_pads = true, .pads = { 1, 1, 1, 0 },
          NOATTR },
        { "MaxPool", 12, 1, 1, 1, { 64 }, { 5 }, .has_pads = true, .pads = { 2, 2 }, NOATTR },
        /* 1-pixel window and 1-pixel input */
        { "MaxPool", 12, 2, 1, 2, { 3, 4 }, { 1, 1 }, NOATTR, .indices = true },
        { "MaxPool", 12, 2, 1, 2, { 1, 1 }, { 3, 3 }, .has_pads = true, .pads = { 1, 1, 1, 1 },
          NOATTR },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_pool(&cases[i]);
}

static void test_averagepool(void **state)
{
    (void)state;
    static const pcase cases[] = {
        { "AveragePool", 11, 2, 1, 1, { 4, 4 }, { 2, 2 }, NOATTR },
        { "AveragePool", 11, 2, 2, 2, { 7, 7 }, { 3, 3 }, .has_pads = true,
          .pads = { 2, 2, 2, 2 }, NOATTR },
        { "AveragePool", 11, 2, 2, 2, { 7, 7 }, { 3, 3 }, .has_pads = true,
          .pads = { 2, 2, 2, 2 }, .ceil = -1, .cip = 1, .storage_order = -1 },
        { "AveragePool", 7, 2, 1, 2, { 6, 5 }, { 3, 2 }, .has_s = true, .s = { 2, 2 },
          .has_pads = true, .pads = { 1, 0, 0, 1 }, .ceil = -1, .cip = 1, .storage_order = -1 },
        /* ceil_mode: windows past the right pad count neither way */
        { "AveragePool", 11, 2, 1, 1, { 4, 4 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .ceil = 1, .cip = -1, .storage_order = -1 },
        { "AveragePool", 10, 2, 1, 2, { 6, 7 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .ceil = 1, .cip = 1, .storage_order = -1 },
        { "AveragePool", 10, 2, 1, 2, { 6, 7 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .ceil = 1, .cip = 0, .storage_order = -1 },
        { "AveragePool", 11, 2, 1, 1, { 5, 5 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .auto_pad = "SAME_UPPER", NOATTR },
        { "AveragePool", 11, 2, 1, 1, { 5, 5 }, { 2, 2 }, .auto_pad = "SAME_LOWER", .ceil = -1,
          .cip = 1, .storage_order = -1 },
        { "AveragePool", 11, 1, 1, 3, { 32 }, { 2 }, NOATTR },
        { "AveragePool", 11, 2, 1, 2, { 4, 27 }, { 3, 3 }, .has_pads = true,
          .pads = { 1, 1, 1, 1 }, .ceil = -1, .cip = 1, .storage_order = -1 },
        { "AveragePool", 11, 2, 1, 2, { 4, 27 }, { 3, 4 }, .has_pads = true,
          .pads = { 1, 2, 1, 1 }, NOATTR },
        { "AveragePool", 11, 3, 1, 3, { 5, 4, 6 }, { 2, 2, 3 }, .has_s = true, .s = { 1, 2, 2 },
          .has_pads = true, .pads = { 0, 1, 1, 1, 0, 1 }, .ceil = -1, .cip = 1,
          .storage_order = -1 },
        { "AveragePool", 1, 2, 1, 2, { 5, 5 }, { 2, 2 }, .has_s = true, .s = { 2, 2 }, NOATTR },
        { "AveragePool", 1, 2, 1, 1, { 5, 5 }, { 2, 2 }, .has_d = true, .d = { 1, 1 },
          .ceil = 0, .cip = 0, .storage_order = -1 },
        /* dilations arrive at opset 19 */
        { "AveragePool", 19, 2, 1, 2, { 8, 9 }, { 2, 3 }, .has_d = true, .d = { 3, 2 },
          .has_pads = true, .pads = { 1, 2, 2, 1 }, .ceil = -1, .cip = 1, .storage_order = -1 },
        { "AveragePool", 11, 2, 1, 2, { 6, 6 }, { 3, 3 }, .has_pads = true,
          .pads = { 1, 1, 1, 1 }, NOATTR, .dt = ONNXRUN_DOUBLE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_pool(&cases[i]);
}

static void test_lppool_global(void **state)
{
    (void)state;
    static const pcase cases[] = {
        { "LpPool", 11, 2, 1, 2, { 5, 6 }, { 2, 2 }, NOATTR },
        { "LpPool", 11, 2, 1, 2, { 5, 6 }, { 3, 2 }, .has_s = true, .s = { 2, 2 },
          .has_pads = true, .pads = { 1, 1, 0, 0 }, NOATTR, .p = 1 },
        { "LpPool", 2, 1, 2, 2, { 9 }, { 3 }, NOATTR, .p = 3 },
        { "LpPool", 1, 2, 1, 1, { 4, 4 }, { 2, 2 }, NOATTR, .p = 2 },
        { "LpPool", 18, 2, 1, 2, { 7, 7 }, { 2, 2 }, .has_s = true, .s = { 2, 2 },
          .has_d = true, .d = { 2, 1 }, .ceil = 1, .cip = -1, .storage_order = -1, .p = 2 },
        { "GlobalAveragePool", 1, 2, 2, 3, { 5, 7 }, { 0 }, NOATTR },
        { "GlobalAveragePool", 1, 1, 1, 4, { 9 }, { 0 }, NOATTR },
        { "GlobalAveragePool", 1, 3, 1, 2, { 3, 4, 5 }, { 0 }, NOATTR, .dt = ONNXRUN_DOUBLE },
        { "GlobalMaxPool", 1, 2, 2, 3, { 6, 5 }, { 0 }, NOATTR },
        { "GlobalMaxPool", 1, 3, 1, 2, { 3, 4, 2 }, { 0 }, NOATTR },
        { "GlobalLpPool", 2, 2, 1, 3, { 4, 4 }, { 0 }, NOATTR, .p = 2 },
        { "GlobalLpPool", 1, 1, 1, 2, { 7 }, { 0 }, NOATTR, .p = 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_pool(&cases[i]);
}

static void test_pool_random(void **state)
{
    (void)state;
    static const char *const ops[] = { "MaxPool", "AveragePool", "LpPool" };
    static const int opsets[] = { 12, 19, 18 };
    for (int it = 0; it < 200; it++) {
        int o = (int)urand(3);
        pcase t = { .op = ops[o], .opset = opsets[o], .nsp = 1 + (int)urand(3),
                    .n = 1 + urand(2), .c = 1 + urand(3), NOATTR };
        t.has_s = urand(2);
        t.has_d = urand(3) == 0;
        int mode = (int)urand(6);
        if (mode == 0) t.auto_pad = "SAME_UPPER";
        if (mode == 1) t.auto_pad = "SAME_LOWER";
        if (mode == 2) t.auto_pad = "VALID";
        t.has_pads = mode >= 4;
        if (urand(2)) t.ceil = (int)urand(2);
        if (o == 0) t.indices = urand(2), t.storage_order = (int)urand(3) - 1;
        if (o == 1) t.cip = (int)urand(3) - 1;
        if (o == 2) t.p = (float)(1 + urand(3));
        for (int i = 0; i < t.nsp; i++) {
            t.k[i] = 1 + urand(t.nsp == 3 ? 3 : 4);
            t.s[i] = 1 + urand(3);
            t.d[i] = 1 + urand(2);
            int64_t ext = (t.k[i] - 1) * D(&t, i) + 1;
            /* pads smaller than the window, so that no window is all padding */
            t.pads[i] = urand((uint32_t)ext);
            t.pads[t.nsp + i] = urand((uint32_t)ext);
            t.in[i] = ext + urand(7);
        }
        check_pool(&t);
    }
}

/* 2-D float MaxPool and AveragePool on rows long enough for the separable
 * whole-vector path (several vectors per output row, tails, strides 1-3,
 * ceil_mode, asymmetric pads, count_include_pad; planes of 40-80 x 200-300
 * whose MaxPool rows take several batches of 16 KiB). */
static void test_pool2d_wide(void **state)
{
    (void)state;
    for (int it = 0; it < 80; it++) {
        int o = (int)urand(2);
        pcase t = { .op = o ? "AveragePool" : "MaxPool", .opset = o ? 19 : 12, .nsp = 2,
                    .n = 1 + urand(2), .c = 1 + urand(3), NOATTR };
        t.has_s = true;
        t.has_pads = urand(4) != 0;
        if (urand(2)) t.ceil = (int)urand(2);
        if (o) t.cip = (int)urand(3) - 1;
        for (int i = 0; i < 2; i++) {
            t.k[i] = 1 + urand(5);
            t.s[i] = 1 + urand(3);
            t.pads[i] = urand((uint32_t)t.k[i]);
            t.pads[2 + i] = urand((uint32_t)t.k[i]);
            t.in[i] = t.k[i] + urand(i ? 60 : 12);
        }
        if (it % 8 == 0) { /* tall and wide: MaxPool's rows of t in several batches */
            t.in[0] = t.k[0] + 40 + urand(40);
            t.in[1] = t.k[1] + 200 + urand(100);
        }
        check_pool(&t);
    }
}

/* Kernels far wider than the input (SAME padding keeps the output the
 * input's size): only the taps that land in the input are visited, so
 * this runs in microseconds (it took minutes when every tap was visited;
 * the fuzzer's model had 2M taps). Checked against the naive loops. */
static void test_pool_huge_kernel(void **state)
{
    (void)state;
    static const char *const ops[] = { "MaxPool", "AveragePool" };
    for (int o = 0; o < 2; o++) {
        pcase t = { .op = ops[o], .opset = o ? 19 : 12, .nsp = 2, .n = 1, .c = 2,
                    .in = { 3, 4 }, .k = { 2, 200001 }, .auto_pad = "SAME_UPPER", NOATTR };
        check_pool(&t);
        pcase u = { .op = ops[o], .opset = o ? 19 : 12, .nsp = 2, .n = 1, .c = 1,
                    .in = { 5, 3 }, .k = { 100001, 3 }, .auto_pad = "SAME_LOWER", NOATTR };
        check_pool(&u);
    }
}

static void expect_error(const pcase *t, or_status st, const char *needle)
{
    onnxrun_dtype dt = t->dt ? t->dt : ONNXRUN_FLOAT;
    int64_t dims[3 + 2] = { t->n, t->c };
    for (int i = 0; i < t->nsp; i++) dims[2 + i] = t->in[i];
    void *x = rand_data(dt, prod(t->nsp + 2, dims));
    or_tensor y = { 0 }, ind = { 0 };
    char err[512];
    or_status got = run_case(t, x, &y, &ind, err, sizeof err);
    if (got != st || !strstr(err, needle))
        print_error("%s: got %d '%s', want %d with '%s'\n", t->op, got, err, st, needle);
    assert_int_equal(got, st);
    assert_non_null(strstr(err, needle));
    free(y.data);
    free(ind.data);
    free(x);
}

static void test_pool_errors(void **state)
{
    (void)state;
    /* no kernel_shape */
    {
        or_tensor tx = { ONNXRUN_FLOAT, 4, { 1, 1, 4, 4 }, calloc(16, 4) }, y = { 0 };
        or_tensor *ins[] = { &tx }, *outs[] = { &y };
        or_attr none[] = { KH_INTS("strides", 1, 1) };
        char err[512];
        assert_int_equal(kh_run("", "MaxPool", 12, none, 1, ins, 1, outs, 1, err, sizeof err),
                         ONNXRUN_E_INVALID);
        assert_non_null(strstr(err, "kernel_shape"));
        free(tx.data);
    }
    /* each case: a 4x4 single-plane MaxPool-12 with a 2x2 kernel, then one change */
    static const struct {
        const char *op;
        int opset;
        const char *what; /* the change */
        or_status st;
        const char *needle;
    } bad[] = {
        { "MaxPool", 12, "kernel 5", ONNXRUN_E_SHAPE, "larger than the padded input" },
        { "MaxPool", 12, "dilation 4", ONNXRUN_E_SHAPE, "larger than the padded input" },
        { "MaxPool", 12, "stride 0", ONNXRUN_E_INVALID, "'strides'[0] = 0" },
        { "MaxPool", 8, "ceil 1", ONNXRUN_E_INVALID, "'ceil_mode' is not defined" },
        { "AveragePool", 11, "dilation 2", ONNXRUN_E_INVALID, "'dilations' is not defined" },
        { "AveragePool", 1, "cip 1", ONNXRUN_E_INVALID, "'count_include_pad' is not defined" },
        { "MaxPool", 1, "order 1", ONNXRUN_E_INVALID, "'storage_order' is not defined" },
        { "MaxPool", 1, "indices", ONNXRUN_E_INVALID, "Indices" },
        { "MaxPool", 12, "order 2", ONNXRUN_E_INVALID, "'storage_order' must be 0 or 1" },
        { "MaxPool", 12, "ceil 2", ONNXRUN_E_INVALID, "'ceil_mode' must be 0 or 1" },
        { "MaxPool", 12, "huge pads", ONNXRUN_E_LIMIT, "overflow" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pcase t = { bad[i].op, bad[i].opset, 2, 1, 1, { 4, 4 }, { 2, 2 }, NOATTR };
        const char *w = bad[i].what;
        if (strcmp(w, "kernel 5") == 0) t.k[0] = 5;
        if (strncmp(w, "dilation", 8) == 0) {
            t.has_d = true;
            t.d[0] = w[9] - '0';
            t.d[1] = 1;
        }
        if (strcmp(w, "stride 0") == 0) t.has_s = true, t.s[1] = 1;
        if (strncmp(w, "ceil", 4) == 0) t.ceil = w[5] - '0';
        if (strcmp(w, "cip 1") == 0) t.cip = 1;
        if (strncmp(w, "order", 5) == 0) t.storage_order = w[6] - '0';
        if (strcmp(w, "indices") == 0) t.indices = true;
        if (strcmp(w, "huge pads") == 0) {
            t.has_pads = true;
            for (int j = 0; j < 4; j++) t.pads[j] = INT32_MAX;
        }
        expect_error(&t, bad[i].st, bad[i].needle);
    }
    /* types */
    pcase u11 = { "MaxPool", 11, 2, 1, 1, { 4, 4 }, { 2, 2 }, NOATTR, .dt = ONNXRUN_UINT8 };
    expect_error(&u11, ONNXRUN_E_UNSUPPORTED, "unsupported type uint8");
    pcase avgu8 = { "AveragePool", 11, 2, 1, 1, { 4, 4 }, { 2, 2 }, NOATTR, .dt = ONNXRUN_INT8 };
    expect_error(&avgu8, ONNXRUN_E_UNSUPPORTED, "unsupported type");
    pcase gl = { "GlobalMaxPool", 1, 2, 1, 1, { 4, 0 }, { 0 }, NOATTR };
    expect_error(&gl, ONNXRUN_E_SHAPE, "empty on spatial axis 1");
    /* p as a float attribute (opset 1), negative */
    {
        or_tensor tx = { ONNXRUN_FLOAT, 4, { 1, 1, 4, 4 }, calloc(16, 4) }, y = { 0 };
        or_tensor *ins[] = { &tx }, *outs[] = { &y };
        or_attr a[] = { KH_INTS("kernel_shape", 2, 2), KH_FLOAT("p", -1.0f) };
        char err[512];
        assert_int_equal(kh_run("", "LpPool", 1, a, 2, ins, 1, outs, 1, err, sizeof err),
                         ONNXRUN_E_INVALID);
        assert_non_null(strstr(err, "'p'"));
        /* rank 2 input */
        tx.rank = 2;
        assert_int_equal(kh_run("", "GlobalAveragePool", 1, NULL, 0, ins, 1, outs, 1, err,
                                sizeof err),
                         ONNXRUN_E_SHAPE);
        free(tx.data);
    }
}

/* MaxPool's Indices fed to MaxUnpool put every maximum back where it was
 * (and zeros elsewhere); an output_shape keeps coordinates; bad indices and
 * shapes fail. */
static void test_maxunpool(void **state)
{
    (void)state;
    /* rank, N, C, first two spatial dims (a third is 4); even sizes, so that
     * the unpooled shape is MaxPool's input shape, which Indices refer to */
    static const int64_t shapes[][5] = { { 4, 2, 3, 8, 6 }, { 3, 1, 2, 8, 0 }, { 5, 1, 1, 4, 6 } };
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        int rank = (int)shapes[c][0];
        int nsp = rank - 2;
        pcase t = { "MaxPool", 12, nsp, shapes[c][1], shapes[c][2], { 0 }, { 0 }, NOATTR,
                    .indices = true, .has_s = true };
        for (int i = 0; i < nsp; i++) {
            t.in[i] = i == 0 ? shapes[c][3] : i == 1 ? shapes[c][4] : 4;
            t.k[i] = 2;
            t.s[i] = 2;
        }
        int64_t xn = t.n * t.c * prod(nsp, t.in);
        void *x = rand_data(ONNXRUN_FLOAT, xn);
        or_tensor y = { 0 }, ind = { 0 }, z = { 0 }, shp;
        char err[512];
        assert_int_equal(run_case(&t, x, &y, &ind, err, sizeof err), ONNXRUN_OK);
        /* unpool into the implied shape, then into one larger by 1 per spatial axis */
        for (int big = 0; big < 2; big++) {
            int64_t out_dims[5] = { t.n, t.c }, implied[5] = { t.n, t.c };
            for (int i = 0; i < nsp; i++) {
                implied[2 + i] = (y.dims[2 + i] - 1) * 2 + 2;
                out_dims[2 + i] = implied[2 + i] + big;
            }
            shp = (or_tensor){ ONNXRUN_INT64, 1, { rank }, out_dims };
            or_tensor *ins[] = { &y, &ind, big ? &shp : NULL }, *outs[] = { &z };
            or_attr a[] = { ints_attr("kernel_shape", t.k, (size_t)nsp),
                            ints_attr("strides", t.s, (size_t)nsp) };
            or_status st = kh_run("", "MaxUnpool", 11, a, 2, ins, 3, outs, 1, err, sizeof err);
            if (st) print_error("%s\n", err);
            assert_int_equal(st, ONNXRUN_OK);
            for (int i = 0; i < rank; i++) assert_int_equal(z.dims[i], out_dims[i]);
            int64_t zn = prod(rank, out_dims), yn = prod(rank, y.dims), hits = 0;
            for (int64_t j = 0; j < yn; j++) {
                /* the index in MaxPool's input shape, as coordinates of the output */
                int64_t at = ((int64_t *)ind.data)[j], cc[5], o = 0;
                for (int i = rank - 1; i >= 0; i--) {
                    cc[i] = at % implied[i];
                    at /= implied[i];
                }
                for (int i = 0; i < rank; i++) o = o * out_dims[i] + cc[i];
                assert_true(((float *)z.data)[o] == ((float *)y.data)[j]);
                assert_true(((float *)x)[((int64_t *)ind.data)[j]] == ((float *)y.data)[j]);
            }
            for (int64_t j = 0; j < zn; j++) hits += ((float *)z.data)[j] != 0.0f;
            assert_true(hits <= yn);
            free(z.data);
            z = (or_tensor){ 0 };
        }
        /* an index out of range is a run-time error */
        if (or_numel(&ind) > 0) {
            ((int64_t *)ind.data)[0] = xn + 100;
            or_tensor *ins[] = { &y, &ind, NULL }, *outs[] = { &z };
            or_attr a[] = { ints_attr("kernel_shape", t.k, (size_t)nsp),
                            ints_attr("strides", t.s, (size_t)nsp) };
            assert_int_equal(kh_run("", "MaxUnpool", 11, a, 2, ins, 3, outs, 1, err, sizeof err),
                             ONNXRUN_E_RUNTIME);
            assert_non_null(strstr(err, "out of range"));
            free(z.data);
            z = (or_tensor){ 0 };
            /* an output_shape smaller than the unpooled size */
            int64_t small[5] = { t.n, t.c, 1, 1, 1 };
            shp = (or_tensor){ ONNXRUN_INT64, 1, { rank }, small };
            ins[2] = &shp;
            assert_int_equal(kh_run("", "MaxUnpool", 11, a, 2, ins, 3, outs, 1, err, sizeof err),
                             ONNXRUN_E_SHAPE);
            free(z.data);
        }
        free(y.data);
        free(ind.data);
        free(x);
    }
}

/* Runs a pooling op with `threads` workers; y->data and ind->data are malloc'd. */
static void run_threads(const pcase *t, void *x, int threads, or_tensor *y, or_tensor *ind)
{
    or_tensor tx = { ONNXRUN_FLOAT, t->nsp + 2, { t->n, t->c }, x };
    for (int i = 0; i < t->nsp; i++) tx.dims[2 + i] = t->in[i];
    or_tensor *ins[] = { &tx }, *outs[] = { y, ind };
    or_attr attrs[10];
    char *in_names[] = { "x" }, *out_names[] = { "y", "i" }, err[512];
    or_node node = { .name = "t", .op_type = (char *)t->op, .domain = "", .n_inputs = 1,
                     .inputs = in_names, .n_outputs = 2, .outputs = out_names,
                     .n_attrs = attrs_of(t, attrs), .attrs = attrs };
    or_kernel k = { .def = or_op_find("", t->op, t->opset), .node = &node, .opset = t->opset,
                    .n_in = 1, .n_out = ind ? 2 : 1, .in = ins, .out = outs,
                    .threads = threads, .pool = or_pool_create(threads), .model_path = "t",
                    .err = err, .err_len = sizeof err };
    assert_true(threads == 1 || k.pool);
    assert_int_equal(or_kernel_init(&k), ONNXRUN_OK);
    assert_int_equal(k.def->infer(&k), ONNXRUN_OK);
    y->data = malloc(or_nbytes(y));
    if (ind) ind->data = malloc(or_nbytes(ind));
    k.scratch = k.scratch_bytes ? aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64) : NULL;
    assert_int_equal(k.def->run(&k), ONNXRUN_OK);
    free(k.scratch);
    or_kernel_fini(&k);
    or_pool_free(k.pool);
}

/* Threaded runs (planes split across threads) give the same bits. */
static void test_threads(void **state)
{
    (void)state;
    static const pcase cases[] = {
        { "MaxPool", 12, 2, 2, 4, { 64, 64 }, { 3, 3 }, .has_pads = true,
          .pads = { 1, 1, 1, 1 }, NOATTR, .indices = true },
        { "AveragePool", 11, 2, 1, 8, { 64, 64 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          NOATTR },
        { "MaxPool", 12, 2, 2, 6, { 57, 61 }, { 3, 3 }, .has_s = true, .s = { 2, 2 },
          .has_pads = true, .pads = { 1, 0, 0, 1 }, NOATTR },
        { "GlobalAveragePool", 1, 2, 2, 64, { 32, 32 }, { 0 }, NOATTR },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pcase *t = &cases[i];
        int64_t n = t->n * t->c * t->in[0] * t->in[1];
        void *x = rand_data(ONNXRUN_FLOAT, n);
        or_tensor y1 = { 0 }, y2 = { 0 }, i1 = { 0 }, i2 = { 0 };
        run_threads(t, x, 1, &y1, t->indices ? &i1 : NULL);
        run_threads(t, x, 2, &y2, t->indices ? &i2 : NULL);
        assert_memory_equal(y1.data, y2.data, or_nbytes(&y1));
        if (t->indices) assert_memory_equal(i1.data, i2.data, or_nbytes(&i1));
        free(y1.data);
        free(y2.data);
        free(i1.data);
        free(i2.data);
        free(x);
    }
}

int main(void)
{
    /* ONNXRUN_TEST_SEED=n reruns the random cases with another seed */
    const char *seed = getenv("ONNXRUN_TEST_SEED");
    if (seed) rng = (uint32_t)strtoul(seed, NULL, 10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxpool),
        cmocka_unit_test(test_averagepool),
        cmocka_unit_test(test_lppool_global),
        cmocka_unit_test(test_pool_random),
        cmocka_unit_test(test_pool2d_wide),
        cmocka_unit_test(test_pool_huge_kernel),
        cmocka_unit_test(test_pool_errors),
        cmocka_unit_test(test_maxunpool),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
