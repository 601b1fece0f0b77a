/*
 * test_conv.c - Conv and ConvTranspose against naive N-D loops written from
 * the ONNX formulas: groups (incl. depthwise and channel multipliers),
 * strides, dilations, symmetric and asymmetric pads, every auto_pad mode,
 * 1-D / 2-D / 3-D, with and without bias, 1x1 layers, a layer large enough
 * for the im2col tiling (checking the scratch stays bounded), random
 * shapes, the MAC count, and the errors bad attributes and shapes must give.
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
#include "ops/conv_gemm.h"
#include "ops/isa.h"
#include "tests/kernel_harness.h"

static uint32_t rng = 2024;
static uint32_t urand(uint32_t n)
{
    rng = rng * 1664525u + 1013904223u;
    return (rng >> 8) % n;
}
static float frand(void)
{
    return (float)urand(65536) / 32768.0f - 1.0f;
}
static float *rand_buf(int64_t n)
{
    float *b = malloc((size_t)(n ? n : 1) * sizeof *b);
    for (int64_t i = 0; i < n; i++) b[i] = frand();
    return b;
}

/* Advances coordinates c over dims[0..n) row-major; false after the last. */
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

/* Per element: 1e-4 absolute + 1e-4 relative. With scale_tol set (Winograd,
 * whose error follows the size of the sums' terms, not of the result), the
 * model tests' criterion instead: 1e-4 of the largest |want|. */
static bool scale_tol;

static void assert_close(const float *got, const double *want, int64_t n, const char *what)
{
    double big = 0;
    for (int64_t i = 0; i < n && scale_tol; i++) big = fabs(want[i]) > big ? fabs(want[i]) : big;
    for (int64_t i = 0; i < n; i++) {
        double tol = scale_tol ? 1e-6 + 1e-4 * big : 1e-4 + 1e-4 * fabs(want[i]);
        if (!(fabs(got[i] - want[i]) <= tol)) {
            print_error("%s: element %lld: got %.7g, want %.7g\n", what, (long long)i, got[i],
                        want[i]);
            fail();
        }
    }
}

/* One Conv / ConvTranspose configuration; a false has_* leaves the attribute out. */
typedef struct ccase {
    int nsp;
    int64_t n, c, m, group;
    int64_t in[3], k[3];
    int64_t s[3], d[3], pads[6];      /* used when has_* */
    bool has_s, has_d, has_pads, bias, kernel_attr;
    const char *auto_pad;             /* NULL = absent */
    int64_t out_pad[3];               /* ConvTranspose */
    bool has_out_pad;
    int64_t out_shape[3];
    bool has_out_shape;
} ccase;

static int64_t S(const ccase *t, int i) { return t->has_s ? t->s[i] : 1; }
static int64_t D(const ccase *t, int i) { return t->has_d ? t->d[i] : 1; }

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

/* Builds the attribute list for a case into a (at most 8). */
static size_t attrs_of(const ccase *t, or_attr *a)
{
    size_t n = 0;
    size_t ns = (size_t)t->nsp;
    if (t->has_s) a[n++] = ints_attr("strides", t->s, ns);
    if (t->has_d) a[n++] = ints_attr("dilations", t->d, ns);
    if (t->has_pads) a[n++] = ints_attr("pads", t->pads, 2 * ns);
    if (t->kernel_attr) a[n++] = ints_attr("kernel_shape", t->k, ns);
    if (t->has_out_pad) a[n++] = ints_attr("output_padding", t->out_pad, ns);
    if (t->has_out_shape) a[n++] = ints_attr("output_shape", t->out_shape, ns);
    if (t->auto_pad) a[n++] = string_attr("auto_pad", t->auto_pad);
    a[n++] = int_attr("group", t->group);
    return n;
}

/* The ISA the kernels under test get (AUTO: the CPU's best). */
static onnxrun_isa test_isa = ONNXRUN_ISA_AUTO;

/* Runs a kernel's phases directly with `threads` threads: init + infer, and
 * when run is true also run (y->data is then malloc'd; caller frees).
 * Reports scratch_bytes and macs; returns the status. */
static or_status run_direct(const char *op, int opset, or_attr *attrs, size_t n_attrs,
                            or_tensor **ins, size_t n_in, or_tensor *y, int threads, bool run,
                            size_t *scratch, uint64_t *macs, const or_epilogue *post)
{
    char *in_names[3] = { "x", "w", ins[2] ? "b" : "" }, *out_names[1] = { "y" }, err[512];
    or_node node = { .name = "t", .op_type = (char *)op, .domain = "", .n_inputs = n_in,
                     .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = n_attrs, .attrs = attrs };
    or_tensor *outs[] = { y };
    or_kernel k = { .def = or_op_find("", op, opset), .node = &node, .opset = opset,
                    .n_in = n_in, .n_out = 1, .in = ins, .out = outs, .threads = threads,
                    .isa = test_isa,
                    .pool = run && threads > 1 ? or_pool_create(threads) : NULL,
                    .model_path = "t", .err = err, .err_len = sizeof err };
    if (post) k.post = *post;
    if (run && threads > 1) assert_non_null(k.pool);
    assert_non_null(k.def);
    or_status st = or_kernel_init(&k);
    if (st == ONNXRUN_OK) st = k.def->infer(&k);
    *scratch = k.scratch_bytes;
    *macs = st == ONNXRUN_OK && k.def->macs ? k.def->macs(&k) : 0;
    if (st == ONNXRUN_OK && run) {
        y->data = malloc(or_nbytes(y) ? or_nbytes(y) : 1);
        k.scratch = k.scratch_bytes ? aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64) : NULL;
        st = k.def->run(&k);
        free(k.scratch);
    }
    or_kernel_fini(&k);
    or_pool_free(k.pool);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    return st;
}

/* Forward padding per axis, resolved the way the ONNX spec states it. */
static void conv_pads(const ccase *t, int i, int64_t *pb, int64_t *pe, int64_t *out)
{
    int64_t ext = (t->k[i] - 1) * D(t, i) + 1, s = S(t, i), in = t->in[i];
    if (t->auto_pad && strncmp(t->auto_pad, "SAME", 4) == 0) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ext - in;
        if (total < 0) total = 0;
        *pb = strcmp(t->auto_pad, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
        *pe = total - *pb;
        return;
    }
    bool valid = t->auto_pad && strcmp(t->auto_pad, "VALID") == 0;
    *pb = t->has_pads && !valid ? t->pads[i] : 0;
    *pe = t->has_pads && !valid ? t->pads[t->nsp + i] : 0;
    *out = (in + *pb + *pe - ext) / s + 1;
}

static void naive_conv(const ccase *t, const float *x, const float *w, const float *b,
                       const int64_t *out, const int64_t *pb, double *y)
{
    int n = t->nsp;
    int64_t cg = t->c / t->group, mg = t->m / t->group, insz = prod(n, t->in);
    int64_t outsz = prod(n, out), ksz = prod(n, t->k);
    if (outsz == 0) return;
    for (int64_t bn = 0; bn < t->n; bn++)
        for (int64_t m = 0; m < t->m; m++) {
            int64_t g = m / mg, o[3] = { 0 };
            do {
                double acc = b ? b[m] : 0.0;
                for (int64_t c = 0; c < cg; c++) {
                    int64_t kc[3] = { 0 };
                    do {
                        int64_t xo = 0;
                        bool inside = true;
                        for (int i = 0; i < n; i++) {
                            int64_t p = o[i] * S(t, i) + kc[i] * D(t, i) - pb[i];
                            inside = inside && p >= 0 && p < t->in[i];
                            xo = xo * t->in[i] + p;
                        }
                        int64_t ko = 0;
                        for (int i = 0; i < n; i++) ko = ko * t->k[i] + kc[i];
                        if (inside)
                            acc += (double)x[(bn * t->c + g * cg + c) * insz + xo] *
                                   w[(m * cg + c) * ksz + ko];
                    } while (next(n, t->k, kc));
                }
                int64_t yo = 0;
                for (int i = 0; i < n; i++) yo = yo * out[i] + o[i];
                y[(bn * t->m + m) * outsz + yo] = acc;
            } while (next(n, out, o));
        }
}

/* Runs Conv on a case and compares with the naive loops; returns scratch bytes. */
static size_t check_conv(const ccase *t)
{
    int n = t->nsp;
    int64_t out[3], pb[3], pe[3];
    for (int i = 0; i < n; i++) conv_pads(t, i, &pb[i], &pe[i], &out[i]);
    int64_t xd[5] = { t->n, t->c }, wd[5] = { t->m, t->c / t->group }, bd[1] = { t->m };
    for (int i = 0; i < n; i++) {
        xd[2 + i] = t->in[i];
        wd[2 + i] = t->k[i];
    }
    float *x = rand_buf(prod(n + 2, xd)), *w = rand_buf(prod(n + 2, wd)), *b = rand_buf(t->m);
    or_tensor tx = { ONNXRUN_FLOAT, n + 2, { 0 }, x }, tw = { ONNXRUN_FLOAT, n + 2, { 0 }, w };
    or_tensor tb = { ONNXRUN_FLOAT, 1, { 0 }, b }, y = { 0 };
    memcpy(tx.dims, xd, sizeof xd);
    memcpy(tw.dims, wd, sizeof wd);
    memcpy(tb.dims, bd, sizeof bd);
    or_tensor *ins[] = { &tx, &tw, t->bias ? &tb : NULL }, *outs[] = { &y };
    or_attr attrs[8];
    size_t na = attrs_of(t, attrs);
    char err[512];
    or_status st = kh_run("", "Conv", 11, attrs, na, ins, 3, outs, 1, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_int_equal(y.rank, n + 2);
    assert_int_equal(y.dims[0], t->n);
    assert_int_equal(y.dims[1], t->m);
    for (int i = 0; i < n; i++) assert_int_equal(y.dims[2 + i], out[i]);
    int64_t ny = t->n * t->m * prod(n, out);
    double *want = malloc((size_t)(ny ? ny : 1) * sizeof *want);
    naive_conv(t, x, w, t->bias ? b : NULL, out, pb, want);
    assert_close(y.data, want, ny, "Conv");

    size_t scratch;
    uint64_t macs;
    free(y.data);
    y = (or_tensor){ 0 };
    assert_int_equal(run_direct("Conv", 11, attrs, na, ins, 3, &y, 1, false, &scratch, &macs, NULL),
                     ONNXRUN_OK);
    assert_true(macs == (uint64_t)(ny * (t->c / t->group) * prod(n, t->k)));
    free(want);
    free(x);
    free(w);
    free(b);
    return scratch;
}

static void test_conv_fixed(void **state)
{
    (void)state;
    static const ccase cases[] = {
        /* plain 2-D, with and without padding and bias */
        { .nsp = 2, .n = 1, .c = 1, .m = 1, .group = 1, .in = { 5, 5 }, .k = { 3, 3 } },
        { .nsp = 2, .n = 2, .c = 3, .m = 4, .group = 1, .in = { 7, 6 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true, .kernel_attr = true },
        /* asymmetric pads and strides */
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 7, 5 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 0, 1, 0 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 3, .m = 2, .group = 1, .in = { 9, 8 }, .k = { 3, 2 },
          .has_s = true, .s = { 3, 1 }, .has_pads = true, .pads = { 0, 2, 1, 0 } },
        /* dilations */
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 9, 10 }, .k = { 3, 3 },
          .has_d = true, .d = { 2, 3 }, .has_pads = true, .pads = { 2, 1, 1, 2 }, .bias = true },
        /* auto_pad modes */
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 7, 8 }, .k = { 3, 4 },
          .has_s = true, .s = { 2, 2 }, .auto_pad = "SAME_UPPER", .bias = true },
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 7, 8 }, .k = { 3, 4 },
          .has_s = true, .s = { 2, 2 }, .auto_pad = "SAME_LOWER" },
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 7, 8 }, .k = { 2, 3 },
          .has_s = true, .s = { 2, 3 }, .auto_pad = "VALID" },
        { .nsp = 2, .n = 1, .c = 1, .m = 1, .group = 1, .in = { 5, 5 }, .k = { 2, 2 },
          .has_d = true, .d = { 2, 2 }, .auto_pad = "SAME_UPPER" },
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 6, 6 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 0, 0, 0, 0 }, .auto_pad = "NOTSET" },
        /* groups, depthwise, depthwise with a channel multiplier */
        { .nsp = 2, .n = 2, .c = 4, .m = 6, .group = 2, .in = { 6, 5 }, .k = { 3, 2 },
          .bias = true },
        { .nsp = 2, .n = 2, .c = 5, .m = 5, .group = 5, .in = { 8, 9 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 4, .m = 4, .group = 4, .in = { 9, 11 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 0, 0, 1 } },
        { .nsp = 2, .n = 1, .c = 3, .m = 6, .group = 3, .in = { 7, 7 }, .k = { 5, 5 },
          .has_d = true, .d = { 1, 2 }, .has_pads = true, .pads = { 2, 4, 2, 4 }, .bias = true },
        /* rows long enough for the vector loops (stride 1 and 2) */
        { .nsp = 2, .n = 1, .c = 3, .m = 3, .group = 3, .in = { 7, 41 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 0, 2 } },
        { .nsp = 2, .n = 1, .c = 3, .m = 6, .group = 3, .in = { 5, 37 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 2, 1, 0 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 5, 40 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 0, 1, 2 } },
        /* 1x1: unit stride goes straight to sgemm; strided / padded / grouped ones do not */
        { .nsp = 2, .n = 2, .c = 8, .m = 5, .group = 1, .in = { 6, 7 }, .k = { 1, 1 },
          .bias = true },
        { .nsp = 2, .n = 1, .c = 8, .m = 6, .group = 2, .in = { 4, 5 }, .k = { 1, 1 } },
        { .nsp = 2, .n = 1, .c = 4, .m = 6, .group = 1, .in = { 7, 6 }, .k = { 1, 1 },
          .has_s = true, .s = { 2, 2 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 3, .m = 2, .group = 1, .in = { 4, 4 }, .k = { 1, 1 },
          .has_pads = true, .pads = { 1, 1, 1, 1 } },
        /* kernel as large as the padded input, and 1-pixel inputs */
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 3, 3 }, .k = { 5, 5 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 3, .m = 2, .group = 1, .in = { 1, 1 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 } },
        /* 1-D */
        { .nsp = 1, .n = 2, .c = 3, .m = 4, .group = 1, .in = { 17 }, .k = { 3 },
          .has_pads = true, .pads = { 1, 2 }, .bias = true },
        { .nsp = 1, .n = 1, .c = 4, .m = 4, .group = 4, .in = { 12 }, .k = { 3 },
          .has_d = true, .d = { 2 }, .has_s = true, .s = { 2 } },
        { .nsp = 1, .n = 1, .c = 4, .m = 2, .group = 2, .in = { 10 }, .k = { 5 },
          .auto_pad = "SAME_LOWER", .has_s = true, .s = { 3 } },
        /* 3-D */
        { .nsp = 3, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 5, 6, 4 }, .k = { 2, 3, 2 },
          .has_pads = true, .pads = { 1, 0, 1, 0, 1, 1 }, .bias = true },
        { .nsp = 3, .n = 2, .c = 4, .m = 4, .group = 2, .in = { 6, 5, 7 }, .k = { 3, 3, 3 },
          .has_s = true, .s = { 2, 1, 2 }, .has_d = true, .d = { 1, 2, 1 },
          .auto_pad = "SAME_UPPER" },
        { .nsp = 3, .n = 1, .c = 3, .m = 3, .group = 3, .in = { 4, 5, 6 }, .k = { 3, 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1, 1, 1 }, .bias = true },
        { .nsp = 3, .n = 1, .c = 4, .m = 3, .group = 1, .in = { 3, 4, 5 }, .k = { 1, 1, 1 } },
        /* empty batch */
        { .nsp = 2, .n = 0, .c = 2, .m = 2, .group = 1, .in = { 4, 4 }, .k = { 3, 3 },
          .bias = true },
        /* an empty spatial axis under SAME padding: an empty output (fuzz_model
         * found im2col's tile plan dividing by zero columns), on im2col, 1x1
         * strided, depthwise and a 16-channel 3x3 (the Winograd candidate) */
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 0, 5 }, .k = { 3, 3 },
          .auto_pad = "SAME_UPPER", .bias = true },
        { .nsp = 2, .n = 1, .c = 2, .m = 3, .group = 1, .in = { 6, 0 }, .k = { 1, 1 },
          .has_s = true, .s = { 2, 2 }, .auto_pad = "SAME_LOWER" },
        { .nsp = 2, .n = 1, .c = 4, .m = 4, .group = 4, .in = { 0, 9 }, .k = { 3, 3 },
          .auto_pad = "SAME_UPPER" },
        { .nsp = 2, .n = 1, .c = 16, .m = 16, .group = 1, .in = { 0, 64 }, .k = { 3, 3 },
          .auto_pad = "SAME_UPPER", .bias = true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv(&cases[i]);
}

static void test_conv_random(void **state)
{
    (void)state;
    for (int it = 0; it < 150; it++) {
        ccase t = { .nsp = 1 + (int)urand(3), .n = 1 + urand(2), .bias = urand(2) };
        t.group = 1 + urand(3);
        t.c = t.group * (1 + urand(3));
        t.m = t.group * (1 + urand(3));
        if (urand(4) == 0) t.m = t.c = t.group = 2 + urand(3); /* depthwise */
        t.has_s = urand(2);
        t.has_d = urand(3) == 0;
        int mode = (int)urand(6);
        if (mode == 0) t.auto_pad = "SAME_UPPER";
        if (mode == 1) t.auto_pad = "SAME_LOWER";
        if (mode == 2) t.auto_pad = "VALID";
        if (mode >= 3) t.has_pads = mode > 3;
        for (int i = 0; i < t.nsp; i++) {
            t.k[i] = 1 + urand(t.nsp == 3 ? 3 : 4);
            t.s[i] = 1 + urand(3);
            t.d[i] = 1 + urand(2);
            t.pads[i] = urand(3);
            t.pads[t.nsp + i] = urand(3);
            int64_t ext = (t.k[i] - 1) * D(&t, i) + 1;
            t.in[i] = ext + urand(t.nsp == 3 ? 4 : 9); /* at least the kernel */
        }
        check_conv(&t);
    }
}

/* A layer whose im2col matrix is larger than the scratch budget: the tiles
 * (which end mid-row; the harness's forced im2col on AVX-512, where the
 * rules take implicit, whose scratch is the padded input) must give the
 * same result, and scratch stays bounded. */
static void test_conv_large_tiled(void **state)
{
    (void)state;
    ccase t = { .nsp = 2, .n = 1, .c = 32, .m = 24, .group = 1, .in = { 64, 64 },
                .k = { 5, 5 }, .has_pads = true, .pads = { 2, 2, 2, 2 }, .bias = true };
    size_t scratch = check_conv(&t);
    size_t full = (size_t)32 * 25 * 64 * 64 * sizeof(float);
    assert_true(scratch > 0);
    assert_true(scratch <= ((size_t)4 << 20));
    assert_true(scratch < full);
    /* 1x1 unit-stride layers need no scratch; depthwise one padded plane */
    ccase one = { .nsp = 2, .n = 1, .c = 16, .m = 8, .group = 1, .in = { 9, 9 }, .k = { 1, 1 } };
    assert_int_equal(check_conv(&one), 0);
    ccase dw = { .nsp = 2, .n = 1, .c = 8, .m = 8, .group = 8, .in = { 9, 9 }, .k = { 3, 3 } };
    size_t dws = check_conv(&dw);
    assert_true(dws > 0 && dws <= 16 * 16 * sizeof(float));
}

/* Strided layers whose weights outgrow a tile's L2 budget gather all their
 * columns into one tile the threads share, and split the product by rows
 * (conv.c's whole tile): 6 x 32 blocks (64 x 352 x 3x3 on 10x10 outputs)
 * and the mv layout (144 x 352 x 3x3 on 8x8, weights over 1 MiB), and a 1x1
 * stride-2 layer; the harness runs each on 1, 2 and 4 threads and each ISA.
 * On one thread the scratch is the whole column matrix. 352 channels: K
 * over IMPL_MAX_K, which AVX-512 would otherwise take implicit. */
static void test_conv_whole_tile(void **state)
{
    (void)state;
    /* 100 and 64 output columns: more than the 56 a tile budget holds */
    static const int64_t ms[] = { 64, 144 }, hw[][2] = { { 20, 19 }, { 16, 16 } }, cols[] = { 100, 64 };
    for (int i = 0; i < 2; i++) {
        ccase t = { .nsp = 2, .n = 1, .c = 352, .m = ms[i], .group = 1, .in = { hw[i][0], hw[i][1] },
                    .k = { 3, 3 }, .has_s = true, .s = { 2, 2 }, .has_pads = true,
                    .pads = { 1, 1, 1, 1 }, .bias = true };
        assert_int_equal(check_conv(&t), (size_t)352 * 9 * cols[i] * sizeof(float));
    }
    ccase ds = { .nsp = 2, .n = 2, .c = 256, .m = 640, .group = 1, .in = { 14, 14 }, .k = { 1, 1 },
                 .has_s = true, .s = { 2, 2 }, .bias = true };
    check_conv(&ds);
}

/* The reference epilogue on one value (as the Add and activation nodes do). */
static double ref_act(double v, const or_epilogue *e)
{
    switch (e->act) {
    case OR_ACT_RELU: return v > 0 ? v : 0;
    case OR_ACT_CLIP: return v < e->lo ? e->lo : v > e->hi ? e->hi : v;
    case OR_ACT_LEAKY: return v < 0 ? e->alpha * v : v;
    case OR_ACT_NONE: break;
    }
    return v;
}

/* Conv with a fused epilogue (k->post: residual add and each activation)
 * on every algorithm (1x1 sgemm, im2col tiles ending mid-row, depthwise,
 * grouped, Winograd, indirect, implicit, grid), on one and two threads, against the naive
 * conv followed by the unfused add and activation. */
static void test_conv_epilogue(void **state)
{
    (void)state;
    static const ccase cases[] = {
        { .nsp = 2, .n = 2, .c = 8, .m = 5, .group = 1, .in = { 6, 7 }, .k = { 1, 1 },
          .bias = true },
        { .nsp = 2, .n = 1, .c = 8, .m = 6, .group = 2, .in = { 4, 5 }, .k = { 1, 1 } },
        { .nsp = 2, .n = 1, .c = 4, .m = 6, .group = 1, .in = { 7, 6 }, .k = { 1, 1 },
          .has_s = true, .s = { 2, 2 }, .bias = true },
        { .nsp = 2, .n = 2, .c = 3, .m = 4, .group = 1, .in = { 7, 6 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 32, .m = 24, .group = 1, .in = { 64, 64 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 2, .c = 5, .m = 5, .group = 5, .in = { 8, 19 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 3, .m = 6, .group = 3, .in = { 9, 21 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 1, 1 } },
        { .nsp = 2, .n = 1, .c = 4, .m = 6, .group = 2, .in = { 6, 5 }, .k = { 3, 2 },
          .bias = true },
        { .nsp = 1, .n = 1, .c = 3, .m = 4, .group = 1, .in = { 17 }, .k = { 3 },
          .has_pads = true, .pads = { 1, 2 }, .bias = true },
        /* Winograd */
        { .nsp = 2, .n = 2, .c = 9, .m = 13, .group = 1, .in = { 11, 37 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        /* output rows of 48 or more: indirect on AVX-512 (alexnet's and
         * resnet50's first layers, narrower; 56 and 50 outputs a row: one
         * block of 32 and a masked one) */
        { .nsp = 2, .n = 1, .c = 3, .m = 10, .group = 1, .in = { 19, 230 }, .k = { 11, 11 },
          .has_s = true, .s = { 4, 4 }, .has_pads = true, .pads = { 2, 2, 2, 2 }, .bias = true },
        { .nsp = 2, .n = 2, .c = 5, .m = 16, .group = 1, .in = { 9, 100 }, .k = { 7, 7 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 3, 1, 3, 2 }, .bias = true },
        /* implicit on AVX-512 by the rules (so also on 2 and 4 threads):
         * a block of 64 channels and most of a second or third, runs of 6
         * positions across output rows and past the end, asymmetric
         * padding, dilation, unequal strides, and no padding (the input
         * read in place) */
        { .nsp = 2, .n = 2, .c = 7, .m = 112, .group = 1, .in = { 9, 13 }, .k = { 5, 5 },
          .has_pads = true, .pads = { 2, 1, 2, 2 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 6, .m = 176, .group = 1, .in = { 12, 11 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 1 }, .has_d = true, .d = { 2, 1 }, .has_pads = true,
          .pads = { 1, 0, 2, 1 } },
        { .nsp = 2, .n = 1, .c = 5, .m = 64, .group = 1, .in = { 8, 20 }, .k = { 3, 2 },
          .has_s = true, .s = { 2, 3 }, .bias = true },
        /* wide rows at stride 4 with K >= 256 (alexnet's first layer,
         * 56 channels and 56 outputs a row here): implicit by the rules,
         * indirect when forced */
        { .nsp = 2, .n = 1, .c = 3, .m = 56, .group = 1, .in = { 15, 224 }, .k = { 11, 11 },
          .has_s = true, .s = { 4, 4 }, .has_pads = true, .pads = { 2, 2, 2, 2 }, .bias = true },
        /* a deep 1x1 layer on 14x14 or less (resnet50's layer3 conv1, K
         * >= 1024): implicit by the rules, the 1x1 product when forced */
        { .nsp = 2, .n = 1, .c = 1024, .m = 56, .group = 1, .in = { 9, 10 }, .k = { 1, 1 },
          .bias = true },
        /* a small 3x3 stride-1 layer on 14x14 (googlenet's 3x3 branches):
         * implicit by the rules, Winograd when forced */
        { .nsp = 2, .n = 1, .c = 24, .m = 64, .group = 1, .in = { 14, 14 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        /* grid on AVX-512 by the rules: groups of several channels at
         * stride 1 (resnext's 3x3, 4 -> 4 per group), padded and
         * dilated, rows narrower and wider than the kernel's 32 columns */
        { .nsp = 2, .n = 2, .c = 32, .m = 32, .group = 8, .in = { 9, 7 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 12, .m = 18, .group = 3, .in = { 10, 40 }, .k = { 3, 2 },
          .has_d = true, .d = { 2, 1 }, .has_pads = true, .pads = { 2, 0, 1, 1 } },
    };
    static const or_epilogue acts[] = {
        { .act = OR_ACT_NONE },
        { .act = OR_ACT_RELU },
        { .act = OR_ACT_CLIP, .lo = -0.5f, .hi = 0.75f },
        { .act = OR_ACT_CLIP, .lo = 0.0f, .hi = 6.0f },
        { .act = OR_ACT_LEAKY, .alpha = 0.1f },
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const ccase *t = &cases[ci];
        int n = t->nsp;
        int64_t out[3], pb[3], pe[3];
        for (int i = 0; i < n; i++) conv_pads(t, i, &pb[i], &pe[i], &out[i]);
        int64_t xd[5] = { t->n, t->c }, wd[5] = { t->m, t->c / t->group };
        for (int i = 0; i < n; i++) {
            xd[2 + i] = t->in[i];
            wd[2 + i] = t->k[i];
        }
        int64_t ny = t->n * t->m * prod(n, out);
        float *x = rand_buf(prod(n + 2, xd)), *w = rand_buf(prod(n + 2, wd));
        float *b = rand_buf(t->m), *res = rand_buf(ny);
        double *conv = malloc((size_t)ny * sizeof *conv), *want = malloc((size_t)ny * sizeof *want);
        naive_conv(t, x, w, t->bias ? b : NULL, out, pb, conv);
        or_tensor tx = { ONNXRUN_FLOAT, n + 2, { 0 }, x }, tw = { ONNXRUN_FLOAT, n + 2, { 0 }, w };
        or_tensor tb = { ONNXRUN_FLOAT, 1, { t->m }, b };
        or_tensor tr = { ONNXRUN_FLOAT, n + 2, { t->n, t->m }, res };
        memcpy(tx.dims, xd, sizeof xd);
        memcpy(tw.dims, wd, sizeof wd);
        memcpy(tr.dims + 2, out, (size_t)n * sizeof *out);
        or_tensor *ins[] = { &tx, &tw, t->bias ? &tb : NULL };
        or_attr attrs[8];
        size_t na = attrs_of(t, attrs);
        for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++)
            for (int with_add = 0; with_add < 2; with_add++)
                { /* the harness adds threads, ISAs and forced algorithms */
                    or_epilogue e = acts[ai];
                    e.add = with_add ? &tr : NULL;
                    kh_scale = 0;
                    for (int64_t i = 0; i < ny; i++) {
                        double sum = conv[i] + (with_add ? res[i] : 0.0);
                        want[i] = ref_act(sum, &e);
                        if (fabs(sum) > kh_scale) kh_scale = fabs(sum); /* before the clip */
                    }
                    or_tensor y = { 0 }, *outs[] = { &y };
                    char err[512];
                    or_status st = kh_run_post("", "Conv", 11, attrs, na, ins, 3, outs, 1, &e, err,
                                               sizeof err);
                    if (st != ONNXRUN_OK) print_error("%s\n", err);
                    assert_int_equal(st, ONNXRUN_OK);
                    assert_int_equal(or_numel(&y), ny);
                    assert_close(y.data, want, ny, "Conv + epilogue");
                    free(y.data);
                    kh_scale = 0;
                }
        free(x);
        free(w);
        free(b);
        free(res);
        free(conv);
        free(want);
    }
}

/* 3x3 stride-1 layers that take Winograd F(4x4, 3x3) or, with few tiles,
 * F(2x2, 3x3): output sizes not multiples of the tile, tile rows of more than 8 tiles (a partial group of 8),
 * valid and asymmetric padding, 1-pixel-high outputs, batches, blocks of
 * tile rows (a layer whose V and M exceed the scratch budget), and the
 * portable product kernel. The tolerance is the model tests' (1e-4 of the
 * largest output). */
static void test_conv_winograd(void **state)
{
    (void)state;
    static const ccase cases[] = {
        { .nsp = 2, .n = 1, .c = 8, .m = 8, .group = 1, .in = { 8, 8 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 2, .c = 16, .m = 13, .group = 1, .in = { 30, 37 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 9, .m = 10, .group = 1, .in = { 20, 21 }, .k = { 3, 3 } },
        { .nsp = 2, .n = 1, .c = 8, .m = 8, .group = 1, .in = { 17, 19 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 2, 0, 1, 2 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 12, .m = 8, .group = 1, .in = { 9, 70 }, .k = { 3, 3 },
          .auto_pad = "SAME_UPPER" },
        { .nsp = 2, .n = 1, .c = 8, .m = 9, .group = 1, .in = { 10, 8 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 0, 1, 0, 1 } },
        /* many blocks of tile rows, each through the three phases (U under
         * 1 MiB) */
        { .nsp = 2, .n = 1, .c = 48, .m = 48, .group = 1, .in = { 40, 200 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        /* transformed weights over 1 MiB: the f split over the threads (4
         * threads: rows of the tile shared by two), output channels split,
         * two blocks of tile rows (V and M over 4 MiB) */
        { .nsp = 2, .n = 1, .c = 96, .m = 80, .group = 1, .in = { 16, 200 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        /* 16 output channels on 16 tiles: the products take the mv layout on AVX-512 */
        { .nsp = 2, .n = 1, .c = 16, .m = 32, .group = 1, .in = { 7, 7 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 24, .m = 32, .group = 1, .in = { 5, 5 }, .k = { 1, 1 }, .bias = true },
        /* few 4x4 tiles: F(2x2, 3x3) */
        { .nsp = 2, .n = 2, .c = 16, .m = 12, .group = 1, .in = { 7, 7 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 9, .m = 20, .group = 1, .in = { 13, 8 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 0, 2, 1, 1 } },
        { .nsp = 2, .n = 1, .c = 8, .m = 8, .group = 1, .in = { 5, 40 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
    };
    scale_tol = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv(&cases[i]);
    for (int isa = ONNXRUN_ISA_PORTABLE; isa <= ONNXRUN_ISA_AVX512; isa++) {
        test_isa = or_isa_resolve((onnxrun_isa)isa);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv(&cases[i]);
    }
    test_isa = ONNXRUN_ISA_AUTO;
    scale_tol = false;
}

/* Depthwise layers through the vector plane kernel (2-D, stride 1 or 2):
 * rows of several vectors with tails, 3x3 and 5x5 and non-square kernels,
 * asymmetric pads, channel multipliers, batches, 1-pixel outputs; and the
 * generic loop (stride 3, dilation, 1-D). */
static void test_conv_depthwise(void **state)
{
    (void)state;
    static const ccase cases[] = {
        { .nsp = 2, .n = 2, .c = 6, .m = 6, .group = 6, .in = { 23, 45 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 5, .m = 5, .group = 5, .in = { 24, 50 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 4, .m = 8, .group = 4, .in = { 19, 33 }, .k = { 5, 5 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 2, 1, 0, 2 } },
        { .nsp = 2, .n = 1, .c = 3, .m = 3, .group = 3, .in = { 17, 40 }, .k = { 5, 3 },
          .has_pads = true, .pads = { 0, 2, 3, 0 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 7, .m = 7, .group = 7, .in = { 7, 7 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 } },
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 2, .in = { 3, 3 }, .k = { 3, 3 } },
        { .nsp = 2, .n = 1, .c = 4, .m = 4, .group = 4, .in = { 20, 29 }, .k = { 3, 3 },
          .has_s = true, .s = { 3, 3 }, .has_pads = true, .pads = { 1, 1, 1, 1 } },
        { .nsp = 2, .n = 1, .c = 4, .m = 4, .group = 4, .in = { 20, 29 }, .k = { 3, 3 },
          .has_d = true, .d = { 2, 2 }, .has_pads = true, .pads = { 2, 2, 2, 2 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv(&cases[i]);
}

/* The product alone (conv_gemm.c) against a naive one: row counts
 * around the 6- and 16-row panels, column counts around the 16- and
 * 32-column blocks, K across the 256 (and mv's 1024) chunks and 0, row strides wider than
 * the matrices, A in place and packed, bias, residual and each activation,
 * column ranges and panel ranges, on each ISA and in the mv layout. */
static void test_gemm_kernel(void **state)
{
    (void)state;
    static const int64_t sizes[][3] = { { 1, 1, 1 },    { 6, 16, 7 },   { 7, 17, 300 },
                                        { 13, 40, 256 }, { 5, 3, 0 },   { 24, 49, 513 },
                                        { 2, 100, 3 },   { 6, 32, 9 },  { 11, 33, 70 },
                                        { 19, 95, 40 },  { 32, 49, 64 },  { 35, 16, 33 },
                                        /* the mv layout's groups of 4 panels with a
                                         * remainder, K in several 1024 chunks, column
                                         * passes of 96, blocks of 1-6 and 7-16 columns */
                                        { 80, 49, 2100 }, { 112, 13, 40 }, { 64, 100, 20 },
                                        { 48, 7, 1025 } };
    static const or_epilogue acts[] = { { .act = OR_ACT_NONE }, { .act = OR_ACT_RELU },
                                        { .act = OR_ACT_CLIP, .lo = -0.5f, .hi = 0.5f },
                                        { .act = OR_ACT_LEAKY, .alpha = 0.3f } };
    /* each ISA's kernels, then (isa one past AVX-512) the mv layout */
    for (int isa = ONNXRUN_ISA_PORTABLE; isa <= ONNXRUN_ISA_AVX512 + 1; isa++)
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int variant = 0; variant < 8; variant++) {
            bool mv = isa > ONNXRUN_ISA_AVX512;
            if (mv && or_isa_cpu() < ONNXRUN_ISA_AVX512) continue;
            int64_t m = sizes[si][0], n = sizes[si][1], kk = sizes[si][2];
            int64_t lda = kk + 3, ldb = n + 5, ldc = n + 2;
            float *a = rand_buf(m * lda), *b = rand_buf((kk ? kk : 1) * ldb);
            float *bias = rand_buf(m), *add = rand_buf(m * ldc);
            float *c = calloc((size_t)(m * ldc), sizeof *c);
            const or_epilogue *e = &acts[variant % 4];
            bool with = variant >= 4, pack = mv || variant / 2 % 2;
            float *ap = malloc((or_gemm_packed_mv_floats(m, kk) + or_gemm_packed_floats(m, kk) + 1) *
                               sizeof *ap);
            (mv ? or_gemm_pack_mv : or_gemm_pack)(m, kk, a, lda, ap);
            or_gemm g = { .m = m, .n = n, .k = kk, .a = pack ? ap : a, .lda = lda, .packed = pack,
                          .mv = mv, .b = b, .ldb = ldb, .c = c,
                          .ldc = ldc, .bias = with ? bias : NULL, .add = with ? add : NULL,
                          .e = e, .isa = or_isa_resolve(mv ? ONNXRUN_ISA_AVX512 : (onnxrun_isa)isa) };
            if (variant % 3 == 0) {
                or_gemm_cols(&g, 0, n / 3);
                or_gemm_cols(&g, n / 3, n);
            } else {
                int64_t rows = or_gemm_panel_rows(&g), panels = (m + rows - 1) / rows;
                or_gemm_panels(&g, 0, panels / 2);
                or_gemm_panels(&g, panels / 2, panels);
            }
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < ldc; j++) {
                    if (j >= n) { /* padding columns untouched */
                        assert_true(c[i * ldc + j] == 0.0f);
                        continue;
                    }
                    double v = 0;
                    for (int64_t q = 0; q < kk; q++) v += (double)a[i * lda + q] * b[q * ldb + j];
                    if (with) v += (double)bias[i] + add[i * ldc + j];
                    v = ref_act(v, e);
                    double want = v;
                    assert_close(&c[i * ldc + j], &want, 1, "conv_gemm product");
                }
            free(a);
            free(b);
            free(bias);
            free(add);
            free(c);
            free(ap);
        }
    /* NaN and infinities through each activation, as the unfused ops give them */
    const float vals[16] = { NAN, INFINITY, -INFINITY, -0.0f, 0.0f, -2.0f, 2.0f, 0.25f,
                             -0.25f, NAN, 1e30f, -1e30f, 0.5f, -0.5f, 0.75f, -0.75f };
    float one = 1.0f, c[16];
    for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++)
        for (int isa = ONNXRUN_ISA_PORTABLE; isa <= ONNXRUN_ISA_AVX512; isa++) {
            or_gemm g = { .m = 1, .n = 16, .k = 1, .a = &one, .lda = 1, .b = vals, .ldb = 16, .c = c,
                          .ldc = 16, .e = &acts[ai], .isa = or_isa_resolve((onnxrun_isa)isa) };
            or_gemm_cols(&g, 0, 16);
            for (int j = 0; j < 16; j++) {
                double want = ref_act(vals[j], &acts[ai]);
                if (isnan(want)) assert_true(isnan(c[j]));
                else assert_true(c[j] == (float)want);
            }
        }
}

/* Expects Conv (or ConvTranspose) on these shapes and attributes to fail
 * with st, with a message containing `needle`. */
static void expect_error(const char *op, int opset, int rank, const int64_t *xd,
                         const int64_t *wd, const int64_t *bd, or_attr *attrs, size_t na,
                         or_status st, const char *needle)
{
    int64_t nx = prod(rank, xd), nw = prod(rank, wd);
    float *x = calloc((size_t)(nx > 0 ? nx : 1), sizeof *x);
    float *w = calloc((size_t)(nw > 0 ? nw : 1), sizeof *w), b[64] = { 0 };
    or_tensor tx = { ONNXRUN_FLOAT, rank, { 0 }, x }, tw = { ONNXRUN_FLOAT, rank, { 0 }, w };
    or_tensor tb = { ONNXRUN_FLOAT, 1, { bd ? bd[0] : 0 }, b }, y = { 0 };
    memcpy(tx.dims, xd, (size_t)rank * sizeof *xd);
    memcpy(tw.dims, wd, (size_t)rank * sizeof *wd);
    or_tensor *ins[] = { &tx, &tw, bd ? &tb : NULL }, *outs[] = { &y };
    char err[512];
    or_status got = kh_run("", op, opset, attrs, na, ins, 3, outs, 1, err, sizeof err);
    if (got != st || !strstr(err, needle))
        print_error("%s: got status %d '%s', want %d containing '%s'\n", op, got, err, st, needle);
    assert_int_equal(got, st);
    assert_non_null(strstr(err, needle));
    free(y.data);
    free(x);
    free(w);
}

static void test_conv_errors(void **state)
{
    (void)state;
    int64_t x4[] = { 1, 4, 5, 5 }, w4[] = { 2, 2, 3, 3 }, w_big[] = { 2, 4, 7, 3 };
    int64_t x3[] = { 1, 3, 5, 5 }, w3[] = { 2, 1, 3, 3 }, w_odd[] = { 3, 2, 3, 3 };
    or_attr g2[] = { KH_INT("group", 2) };
    or_attr none[] = { KH_INT("group", 1) };
    /* channels not divisible by group */
    expect_error("Conv", 11, 4, x3, w3, NULL, g2, 1, ONNXRUN_E_SHAPE, "not divisible by group");
    /* output channels not divisible by group */
    expect_error("Conv", 11, 4, x4, w_odd, NULL, g2, 1, ONNXRUN_E_SHAPE, "not divisible by group");
    /* W channels disagree with X */
    expect_error("Conv", 11, 4, x4, w4, NULL, none, 1, ONNXRUN_E_SHAPE, "channels per group");
    /* kernel larger than the (padded) input */
    expect_error("Conv", 11, 4, x4, w_big, NULL, none, 1, ONNXRUN_E_SHAPE,
                 "larger than the padded");
    or_attr dil[] = { KH_INTS("dilations", 3, 1) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, dil, 1, ONNXRUN_E_SHAPE,
                 "larger than the padded");
    /* negative and zero strides, zero dilations, negative pads */
    or_attr neg[] = { KH_INTS("strides", -1, 1) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, neg, 1, ONNXRUN_E_INVALID,
                 "'strides'[0] = -1");
    or_attr zero[] = { KH_INTS("strides", 1, 0) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, zero, 1, ONNXRUN_E_INVALID,
                 "'strides'[1] = 0");
    or_attr zd[] = { KH_INTS("dilations", 0, 1) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, zd, 1, ONNXRUN_E_INVALID,
                 "'dilations'[0] = 0");
    or_attr np[] = { KH_INTS("pads", 0, -1, 0, 0) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, np, 1, ONNXRUN_E_INVALID,
                 "'pads'[1] = -1");
    or_attr g0[] = { KH_INT("group", 0) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, g0, 1, ONNXRUN_E_INVALID,
                 "'group'");
    /* counts that disagree with the rank */
    or_attr pc[] = { KH_INTS("pads", 1, 1) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, pc, 1, ONNXRUN_E_SHAPE,
                 "'pads' has 2 values");
    or_attr sc[] = { KH_INTS("strides", 1, 1, 1) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, sc, 1, ONNXRUN_E_SHAPE,
                 "'strides' has 3 values");
    or_attr ks[] = { KH_INTS("kernel_shape", 3, 2) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, ks, 1, ONNXRUN_E_SHAPE,
                 "disagrees with the weight");
    or_attr ap[] = { KH_STRING("auto_pad", "SAME") };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, ap, 1, ONNXRUN_E_INVALID,
                 "auto_pad");
    or_attr both[] = { KH_STRING("auto_pad", "SAME_UPPER"), KH_INTS("pads", 1, 1, 1, 1) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, both, 2, ONNXRUN_E_INVALID,
                 "cannot be used together");
    /* sizes that would overflow */
    or_attr huge[] = { KH_INTS("pads", 2147483647, 2147483647, 2147483647, 2147483647) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, huge, 1, ONNXRUN_E_LIMIT,
                 "overflow");
    or_attr s_big[] = { KH_INTS("strides", 1, 2147483648) };
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, NULL, s_big, 1, ONNXRUN_E_INVALID,
                 "out of range");
    or_attr os_big[] = { KH_INTS("output_shape", (int64_t)1 << 41, 5) };
    expect_error("ConvTranspose", 11, 4, x4, (int64_t[]){ 4, 2, 3, 3 }, NULL, os_big, 1,
                 ONNXRUN_E_INVALID, "out of range");
    or_attr os_large[] = { KH_INTS("output_shape", 1 << 20, 1 << 20) };
    expect_error("ConvTranspose", 11, 4, x4, (int64_t[]){ 4, 2, 3, 3 }, NULL, os_large, 1,
                 ONNXRUN_E_LIMIT, "too large");
    /* W rank, bias length, X rank */
    expect_error("Conv", 11, 4, x4, (int64_t[]){ 2, 4, 3, 3 }, (int64_t[]){ 3 }, none, 1,
                 ONNXRUN_E_SHAPE, "bias B");
    {
        float x[16] = { 0 }, w[16] = { 0 };
        or_tensor tx = { ONNXRUN_FLOAT, 4, { 1, 1, 4, 4 }, x };
        or_tensor tw = { ONNXRUN_FLOAT, 3, { 1, 1, 3 }, w }, y = { 0 };
        or_tensor *ins[] = { &tx, &tw, NULL }, *outs[] = { &y };
        char err[512];
        assert_int_equal(kh_run("", "Conv", 11, none, 1, ins, 3, outs, 1, err, sizeof err),
                         ONNXRUN_E_SHAPE);
        assert_non_null(strstr(err, "rank 3"));
        tw.rank = 2;
        tx.rank = 2;
        assert_int_equal(kh_run("", "Conv", 11, none, 1, ins, 3, outs, 1, err, sizeof err),
                         ONNXRUN_E_SHAPE);
        /* a type Conv does not implement */
        tx.rank = tw.rank = 4;
        tw.dims[2] = tw.dims[3] = 1;
        tx.dtype = ONNXRUN_DOUBLE;
        assert_int_equal(kh_run("", "Conv", 11, none, 1, ins, 3, outs, 1, err, sizeof err),
                         ONNXRUN_E_UNSUPPORTED);
    }
}

/* ---- ConvTranspose ---- */

/* Output size and pads per axis as the ONNX spec states them. */
static void convt_pads(const ccase *t, int i, int64_t *pb, int64_t *out)
{
    int64_t s = S(t, i), ext = (t->k[i] - 1) * D(t, i) + 1, op = t->has_out_pad ? t->out_pad[i] : 0;
    int64_t full = s * (t->in[i] - 1) + op + ext;
    bool same = t->auto_pad && strncmp(t->auto_pad, "SAME", 4) == 0;
    if (t->has_out_shape || same) {
        *out = t->has_out_shape ? t->out_shape[i] : t->in[i] * s;
        int64_t total = full - *out;
        int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); /* floor */
        *pb = same && strcmp(t->auto_pad, "SAME_UPPER") == 0 ? half : total - half;
        return;
    }
    *pb = t->has_pads ? t->pads[i] : 0;
    *out = full - *pb - (t->has_pads ? t->pads[t->nsp + i] : 0);
}

static void check_convt(const ccase *t)
{
    int n = t->nsp;
    int64_t out[3], pb[3];
    for (int i = 0; i < n; i++) convt_pads(t, i, &pb[i], &out[i]);
    int64_t cg = t->c / t->group, mg = t->m / t->group;
    int64_t xd[5] = { t->n, t->c }, wd[5] = { t->c, mg }, bd[1] = { t->m };
    for (int i = 0; i < n; i++) {
        xd[2 + i] = t->in[i];
        wd[2 + i] = t->k[i];
    }
    float *x = rand_buf(prod(n + 2, xd)), *w = rand_buf(prod(n + 2, wd)), *b = rand_buf(t->m);
    or_tensor tx = { ONNXRUN_FLOAT, n + 2, { 0 }, x }, tw = { ONNXRUN_FLOAT, n + 2, { 0 }, w };
    or_tensor tb = { ONNXRUN_FLOAT, 1, { 0 }, b }, y = { 0 };
    memcpy(tx.dims, xd, sizeof xd);
    memcpy(tw.dims, wd, sizeof wd);
    memcpy(tb.dims, bd, sizeof bd);
    or_tensor *ins[] = { &tx, &tw, t->bias ? &tb : NULL }, *outs[] = { &y };
    or_attr attrs[8];
    size_t na = attrs_of(t, attrs);
    char err[512];
    or_status st = kh_run("", "ConvTranspose", 11, attrs, na, ins, 3, outs, 1, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_int_equal(y.dims[1], t->m);
    for (int i = 0; i < n; i++) assert_int_equal(y.dims[2 + i], out[i]);
    int64_t outsz = prod(n, out), insz = prod(n, t->in), ksz = prod(n, t->k);
    int64_t ny = t->n * t->m * outsz;
    double *want = calloc((size_t)(ny ? ny : 1), sizeof *want);
    for (int64_t bn = 0; bn < t->n; bn++) {
        for (int64_t m = 0; m < t->m; m++)
            for (int64_t o = 0; o < outsz; o++)
                want[(bn * t->m + m) * outsz + o] = t->bias ? b[m] : 0.0;
        for (int64_t c = 0; c < t->c; c++) {
            int64_t g = c / cg, ic[3] = { 0 };
            do {
                int64_t kc[3] = { 0 };
                do {
                    int64_t yo = 0, ko = 0, xo = 0;
                    bool inside = true;
                    for (int i = 0; i < n; i++) {
                        int64_t p = ic[i] * S(t, i) + kc[i] * D(t, i) - pb[i];
                        inside = inside && p >= 0 && p < out[i];
                        yo = yo * out[i] + p;
                        ko = ko * t->k[i] + kc[i];
                        xo = xo * t->in[i] + ic[i];
                    }
                    if (!inside) continue;
                    for (int64_t m = 0; m < mg; m++)
                        want[(bn * t->m + g * mg + m) * outsz + yo] +=
                            (double)x[(bn * t->c + c) * insz + xo] * w[(c * mg + m) * ksz + ko];
                } while (next(n, t->k, kc));
            } while (next(n, t->in, ic));
        }
    }
    assert_close(y.data, want, ny, "ConvTranspose");
    size_t scratch;
    uint64_t macs;
    free(y.data);
    y = (or_tensor){ 0 };
    assert_int_equal(run_direct("ConvTranspose", 11, attrs, na, ins, 3, &y, 1, false, &scratch,
                                &macs, NULL),
                     ONNXRUN_OK);
    assert_true(macs == (uint64_t)(t->n * t->c * insz * mg * ksz));
    free(want);
    free(x);
    free(w);
    free(b);
}

static void test_convt_fixed(void **state)
{
    (void)state;
    static const ccase cases[] = {
        { .nsp = 2, .n = 1, .c = 1, .m = 2, .group = 1, .in = { 3, 3 }, .k = { 3, 3 } },
        { .nsp = 2, .n = 2, .c = 2, .m = 3, .group = 1, .in = { 4, 3 }, .k = { 3, 3 },
          .has_s = true, .s = { 3, 2 }, .has_pads = true, .pads = { 1, 2, 1, 2 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 3, 3 }, .k = { 3, 3 },
          .has_s = true, .s = { 3, 2 }, .has_out_pad = true, .out_pad = { 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 1, .m = 2, .group = 1, .in = { 3, 3 }, .k = { 3, 3 },
          .has_s = true, .s = { 3, 2 }, .has_out_shape = true, .out_shape = { 10, 8 } },
        { .nsp = 2, .n = 1, .c = 1, .m = 2, .group = 1, .in = { 3, 3 }, .k = { 3, 3 },
          .has_s = true, .s = { 3, 2 }, .has_out_shape = true, .out_shape = { 7, 5 } },
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 3, 4 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .auto_pad = "SAME_UPPER", .bias = true },
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 3, 4 }, .k = { 2, 3 },
          .has_s = true, .s = { 2, 3 }, .auto_pad = "SAME_LOWER" },
        { .nsp = 2, .n = 1, .c = 1, .m = 1, .group = 1, .in = { 3, 3 }, .k = { 2, 2 },
          .has_d = true, .d = { 2, 2 } },
        { .nsp = 2, .n = 2, .c = 4, .m = 6, .group = 2, .in = { 4, 5 }, .k = { 3, 2 },
          .has_s = true, .s = { 2, 1 }, .has_pads = true, .pads = { 1, 0, 0, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 3, .m = 3, .group = 3, .in = { 5, 5 }, .k = { 4, 4 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 1, 1 } },
        { .nsp = 1, .n = 1, .c = 1, .m = 2, .group = 1, .in = { 5 }, .k = { 3 } },
        { .nsp = 2, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 4, 21 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 0, 2 }, .bias = true },
        { .nsp = 1, .n = 2, .c = 2, .m = 4, .group = 2, .in = { 6 }, .k = { 4 },
          .has_s = true, .s = { 3 }, .has_d = true, .d = { 2 }, .has_out_pad = true,
          .out_pad = { 2 }, .bias = true },
        { .nsp = 3, .n = 1, .c = 1, .m = 2, .group = 1, .in = { 3, 4, 5 }, .k = { 3, 3, 3 } },
        { .nsp = 3, .n = 1, .c = 2, .m = 2, .group = 1, .in = { 2, 3, 3 }, .k = { 2, 3, 2 },
          .has_s = true, .s = { 2, 2, 1 }, .has_pads = true, .pads = { 0, 1, 1, 1, 0, 0 },
          .bias = true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_convt(&cases[i]);
}

static void test_convt_random(void **state)
{
    (void)state;
    for (int it = 0; it < 80; it++) {
        ccase t = { .nsp = 1 + (int)urand(3), .n = 1 + urand(2), .bias = urand(2) };
        t.group = 1 + urand(2);
        t.c = t.group * (1 + urand(3));
        t.m = t.group * (1 + urand(3));
        t.has_s = urand(2);
        t.has_d = urand(3) == 0;
        t.has_pads = urand(2);
        t.has_out_pad = urand(3) == 0;
        for (int i = 0; i < t.nsp; i++) {
            t.k[i] = 1 + urand(4);
            t.s[i] = 1 + urand(3);
            t.d[i] = 1 + urand(2);
            t.in[i] = 1 + urand(5);
            if (t.has_out_pad)
                t.out_pad[i] = urand((uint32_t)(S(&t, i) > D(&t, i) ? S(&t, i) : D(&t, i)));
            int64_t full = S(&t, i) * (t.in[i] - 1) + t.out_pad[i] + (t.k[i] - 1) * D(&t, i) + 1;
            t.pads[i] = urand((uint32_t)(full / 2 + 1));
            t.pads[t.nsp + i] = urand((uint32_t)((full - t.pads[i]) / 2 + 1));
        }
        if (urand(5) == 0) {
            t.has_out_shape = true;
            for (int i = 0; i < t.nsp; i++) t.out_shape[i] = 1 + urand(9);
        }
        check_convt(&t);
    }
}

static void test_convt_errors(void **state)
{
    (void)state;
    int64_t x[] = { 1, 4, 3, 3 }, w[] = { 4, 2, 3, 3 }, w_bad[] = { 3, 2, 3, 3 };
    or_attr g3[] = { KH_INT("group", 3) };
    expect_error("ConvTranspose", 11, 4, x, w, NULL, g3, 1, ONNXRUN_E_SHAPE, "not divisible");
    or_attr g1[] = { KH_INT("group", 1) };
    expect_error("ConvTranspose", 11, 4, x, w_bad, NULL, g1, 1, ONNXRUN_E_SHAPE, "input channels");
    or_attr op[] = { KH_INTS("output_padding", 2, 0), KH_INTS("strides", 2, 2) };
    expect_error("ConvTranspose", 11, 4, x, w, NULL, op, 2, ONNXRUN_E_INVALID, "output_padding");
    or_attr big[] = { KH_INTS("pads", 3, 3, 3, 3) };
    expect_error("ConvTranspose", 11, 4, x, w, NULL, big, 1, ONNXRUN_E_SHAPE, "exceed the output");
    or_attr neg[] = { KH_INTS("strides", 0, 1) };
    expect_error("ConvTranspose", 11, 4, x, w, NULL, neg, 1, ONNXRUN_E_INVALID, "'strides'[0] = 0");
    expect_error("ConvTranspose", 11, 4, x, w, (int64_t[]){ 3 }, g1, 1, ONNXRUN_E_SHAPE, "bias B");
    or_attr os[] = { KH_INTS("output_shape", 1, 9, 9, 9) };
    expect_error("ConvTranspose", 11, 4, x, w, NULL, os, 1, ONNXRUN_E_SHAPE, "output_shape");
}

/* Threaded runs (planes, im2col rows and col2im channels split across
 * threads) give the same bits as single-threaded ones. */
static void test_threads(void **state)
{
    (void)state;
    static const ccase cases[] = {
        { .nsp = 2, .n = 1, .c = 16, .m = 16, .group = 16, .in = { 64, 64 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        { .nsp = 2, .n = 1, .c = 16, .m = 8, .group = 1, .in = { 96, 96 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 1, 1 } },
        { .nsp = 2, .n = 1, .c = 8, .m = 16, .group = 1, .in = { 40, 40 }, .k = { 4, 4 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 1, 1 } },
        /* depthwise vector kernel at stride 2, planes split */
        { .nsp = 2, .n = 2, .c = 12, .m = 12, .group = 12, .in = { 40, 41 }, .k = { 3, 3 },
          .has_s = true, .s = { 2, 2 }, .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        /* Winograd: channels, products and output channels split */
        { .nsp = 2, .n = 2, .c = 24, .m = 20, .group = 1, .in = { 29, 45 }, .k = { 3, 3 },
          .has_pads = true, .pads = { 1, 1, 1, 1 }, .bias = true },
        /* 1x1 and im2col through the packed product, columns split */
        { .nsp = 2, .n = 1, .c = 16, .m = 24, .group = 1, .in = { 40, 41 }, .k = { 1, 1 },
          .bias = true },
        { .nsp = 2, .n = 1, .c = 16, .m = 8, .group = 1, .in = { 47, 45 }, .k = { 5, 5 },
          .has_pads = true, .pads = { 2, 2, 2, 2 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ccase *t = &cases[i];
        const char *op = i == 2 ? "ConvTranspose" : "Conv";
        int64_t xd[4] = { t->n, t->c, t->in[0], t->in[1] };
        int64_t wd[4] = { i == 2 ? t->c : t->m, i == 2 ? t->m / t->group : t->c / t->group,
                          t->k[0], t->k[1] };
        float *x = rand_buf(prod(4, xd)), *w = rand_buf(prod(4, wd)), *b = rand_buf(t->m);
        or_tensor tx = { ONNXRUN_FLOAT, 4, { 0 }, x }, tw = { ONNXRUN_FLOAT, 4, { 0 }, w };
        or_tensor tb = { ONNXRUN_FLOAT, 1, { t->m }, b }, y1 = { 0 }, y2 = { 0 };
        memcpy(tx.dims, xd, sizeof xd);
        memcpy(tw.dims, wd, sizeof wd);
        or_tensor *ins[] = { &tx, &tw, t->bias ? &tb : NULL };
        or_attr attrs[8];
        size_t na = attrs_of(t, attrs), scratch;
        uint64_t macs;
        assert_int_equal(run_direct(op, 11, attrs, na, ins, 3, &y1, 1, true, &scratch, &macs, NULL),
                         ONNXRUN_OK);
        assert_int_equal(run_direct(op, 11, attrs, na, ins, 3, &y2, 2, true, &scratch, &macs, NULL),
                         ONNXRUN_OK);
        assert_true(or_same_shape(&y1, &y2));
        assert_memory_equal(y1.data, y2.data, or_nbytes(&y1));
        free(y1.data);
        free(y2.data);
        free(x);
        free(w);
        free(b);
    }
}

int main(void)
{
    /* ONNXRUN_TEST_SEED=n reruns the random cases with another seed */
    const char *seed = getenv("ONNXRUN_TEST_SEED");
    if (seed) rng = (uint32_t)strtoul(seed, NULL, 10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_fixed),
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_conv_large_tiled),
        cmocka_unit_test(test_conv_epilogue),
        cmocka_unit_test(test_conv_winograd),
        cmocka_unit_test(test_conv_depthwise),
        cmocka_unit_test(test_gemm_kernel),
        cmocka_unit_test(test_conv_errors),
        cmocka_unit_test(test_convt_fixed),
        cmocka_unit_test(test_convt_random),
        cmocka_unit_test(test_convt_errors),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_conv_whole_tile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
