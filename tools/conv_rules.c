/*
 * conv_rules.c - the measurements behind ops/conv.c's table of rules: one
 * convolution shape at a time, timed with each algorithm the kernel can be
 * forced to (or_algo), next to the one the rules pick for it.
 *
 *   conv_rules [--threads N] [--runs R] [--isa NAME] [--no-relu] SHAPE|SET...
 *
 * SHAPE: C,M,H,W,K,S,P[,G] (input channels, output channels, input height
 * and width, square kernel, stride, padding on every side, groups), one
 * image, with a bias and a fused ReLU (--no-relu: none) as the models'
 * convolutions have. SET: a model's distinct convolution shapes, as its --info lists
 * them (resnet50, googlenet, vgg16, alexnet, resnext50). Per shape and
 * algorithm it prints the minimum and median of R runs in ms and the
 * GFLOP/s of the minimum (2 x the direct method's multiply-adds), marks
 * the rules' pick with '*' and the fastest with '<'. A forced algorithm
 * that does not apply to the shape leaves the rules' pick; it is not
 * printed twice. Each algorithm's output must match the rules' pick's
 * (within 1e-4 of its largest value), else the tool stops with status 1.
 *
 * A timing: run it under ../shared/anchors/quiet-run (tools/conv_rules.sh
 * does). One layer alone keeps its weights in the caches between runs; in
 * a model they stream from memory, so at 2 threads especially a layer's
 * time in `onnxrun --bench --profile` is the figure that decides a close
 * call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/isa.h"
#include "ops/op.h"
#include "ops/parallel.h"

typedef struct shape {
    int64_t c, m, h, w, k, s, p, g;
} shape;

typedef struct set {
    const char *name;
    const char *shapes; /* SHAPEs separated by spaces */
} set;

static const set sets[] = {
    { "resnet50", "3,64,224,224,7,2,3 64,64,56,56,1,1,0 64,64,56,56,3,1,1 64,256,56,56,1,1,0 "
                  "256,64,56,56,1,1,0 256,128,56,56,1,1,0 128,128,56,56,3,2,1 128,512,28,28,1,1,0 "
                  "256,512,56,56,1,2,0 512,128,28,28,1,1,0 128,128,28,28,3,1,1 512,256,28,28,1,1,0 "
                  "256,256,28,28,3,2,1 256,1024,14,14,1,1,0 512,1024,28,28,1,2,0 1024,256,14,14,1,1,0 "
                  "256,256,14,14,3,1,1 1024,512,14,14,1,1,0 512,512,14,14,3,2,1 512,2048,7,7,1,1,0 "
                  "1024,2048,14,14,1,2,0 2048,512,7,7,1,1,0 512,512,7,7,3,1,1" },
    { "googlenet", "3,64,224,224,7,2,3 64,192,56,56,3,1,1 192,64,28,28,1,1,0 96,128,28,28,3,1,1 "
                   "16,32,28,28,3,1,1 256,128,28,28,1,1,0 128,192,28,28,3,1,1 32,96,28,28,3,1,1 "
                   "480,192,14,14,1,1,0 96,208,14,14,3,1,1 16,48,14,14,3,1,1 112,224,14,14,3,1,1 "
                   "144,288,14,14,3,1,1 160,320,14,14,3,1,1 832,256,7,7,1,1,0 160,320,7,7,3,1,1 "
                   "192,384,7,7,3,1,1 48,128,7,7,3,1,1" },
    { "vgg16", "3,64,224,224,3,1,1 64,64,224,224,3,1,1 64,128,112,112,3,1,1 128,128,112,112,3,1,1 "
               "128,256,56,56,3,1,1 256,256,56,56,3,1,1 256,512,28,28,3,1,1 512,512,28,28,3,1,1 "
               "512,512,14,14,3,1,1" },
    { "alexnet", "3,64,224,224,11,4,2 64,192,27,27,5,1,2 192,384,13,13,3,1,1 384,256,13,13,3,1,1 "
                 "256,256,13,13,3,1,1" },
    { "resnext50", "128,128,56,56,3,1,1,32 256,256,56,56,3,2,1,32 256,256,28,28,3,1,1,32 "
                   "512,512,28,28,3,2,1,32 512,512,14,14,3,1,1,32 1024,1024,14,14,3,2,1,32 "
                   "1024,1024,7,7,3,1,1,32" },
};

static const struct {
    or_algo algo;
    const char *name;
} algos[] = {
    { OR_ALGO_AUTO, "rules" },       { OR_ALGO_GEMM_1X1, "1x1" },     { OR_ALGO_IM2COL, "im2col" },
    { OR_ALGO_WINO4, "winograd 4x4" }, { OR_ALGO_WINO2, "winograd 2x2" }, { OR_ALGO_INDIRECT, "indirect" },
    { OR_ALGO_IMPLICIT, "implicit" }, { OR_ALGO_GRID, "grid" },       { OR_ALGO_DIRECT, "direct" },
};
#define N_ALGOS (sizeof algos / sizeof algos[0])

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool parse_shape(const char *s, shape *out)
{
    long long v[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
    int n = sscanf(s, "%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7]);
    if (n < 7) return false;
    *out = (shape){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
    /* sizes a single layer of a CNN has; the kernel checks the rest */
    return out->c > 0 && out->m > 0 && out->h > 0 && out->w > 0 && out->k > 0 && out->s > 0 &&
           out->p >= 0 && out->g > 0 && out->c % out->g == 0 && out->m % out->g == 0 &&
           out->c <= 8192 && out->m <= 8192 && out->h <= 4096 && out->w <= 4096 && out->k <= 15 &&
           out->s <= 8 && out->p < out->k && out->h + 2 * out->p >= out->k && out->w + 2 * out->p >= out->k;
}

static void fill_random(float *v, int64_t n, unsigned *seed, float scale)
{
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = scale * ((float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f);
    }
}

typedef struct timing {
    char algo[48];
    double min, median;
} timing;

/* Times `sh` forced to algorithm a; false (message printed) on failure.
 * *ref NULL: it gets a copy of the output (the caller frees it); else the
 * output must match it (within 1e-4 of its largest |value|). */
static bool relu = true; /* fuse a ReLU, as the models' convolutions have */

static bool time_one(const shape *sh, or_algo a, int threads, or_pool *pool, onnxrun_isa isa,
                     int runs, const float *x, const float *wt, const float *bias, float **ref,
                     timing *out)
{
    int64_t oh = (sh->h + 2 * sh->p - sh->k) / sh->s + 1, ow = (sh->w + 2 * sh->p - sh->k) / sh->s + 1;
    or_tensor tx = { .dtype = ONNXRUN_FLOAT, .rank = 4, .dims = { 1, sh->c, sh->h, sh->w }, .data = (void *)x };
    or_tensor tw = { .dtype = ONNXRUN_FLOAT, .rank = 4, .dims = { sh->m, sh->c / sh->g, sh->k, sh->k },
                     .data = (void *)wt };
    or_tensor tb = { .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { sh->m }, .data = (void *)bias };
    or_tensor ty = { 0 };
    or_tensor *ins[] = { &tx, &tw, &tb }, *outs[] = { &ty };
    or_attr attrs[] = {
        { .name = (char *)"kernel_shape", .type = OR_ATTR_INTS, .ints = (int64_t[]){ sh->k, sh->k }, .n = 2 },
        { .name = (char *)"strides", .type = OR_ATTR_INTS, .ints = (int64_t[]){ sh->s, sh->s }, .n = 2 },
        { .name = (char *)"pads", .type = OR_ATTR_INTS, .ints = (int64_t[]){ sh->p, sh->p, sh->p, sh->p }, .n = 4 },
        { .name = (char *)"group", .type = OR_ATTR_INT, .i = sh->g },
    };
    char *in_names[] = { (char *)"x", (char *)"w", (char *)"b" }, *out_names[] = { (char *)"y" };
    or_node node = { .name = (char *)"conv", .op_type = (char *)"Conv", .domain = (char *)"",
                     .n_inputs = 3, .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = 4, .attrs = attrs };
    char err[512] = "";
    or_kernel k = { .def = or_op_find("", "Conv", 13), .node = &node, .opset = 13, .n_in = 3, .n_out = 1,
                    .in = ins, .out = outs, .threads = threads, .pool = pool, .isa = isa, .algo = a,
                    .model_path = "conv_rules", .err = err, .err_len = sizeof err,
                    .post = { .act = relu ? OR_ACT_RELU : OR_ACT_NONE } };
    double *t = malloc((size_t)runs * sizeof *t);
    or_status st = t ? or_kernel_init(&k) : ONNXRUN_E_NOMEM;
    if (st == ONNXRUN_OK) st = k.def->infer(&k);
    if (st == ONNXRUN_OK && (ty.rank != 4 || ty.dims[2] != oh || ty.dims[3] != ow)) st = ONNXRUN_E_INVALID;
    if (st == ONNXRUN_OK) {
        ty.data = malloc(or_nbytes(&ty));
        if (k.scratch_bytes) k.scratch = aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64);
        if (!ty.data || (k.scratch_bytes && !k.scratch)) st = ONNXRUN_E_NOMEM;
    }
    for (int r = -2; r < runs && st == ONNXRUN_OK; r++) { /* two runs to warm up */
        double t0 = now_ms();
        st = k.def->run(&k);
        if (r >= 0) t[r] = now_ms() - t0;
    }
    if (st == ONNXRUN_OK) {
        const char *name = k.def->algo_name ? k.def->algo_name(&k) : "";
        snprintf(out->algo, sizeof out->algo, "%s", name);
        const float *y = ty.data;
        int64_t ny = or_numel(&ty);
        if (!*ref) {
            *ref = malloc((size_t)ny * sizeof **ref);
            if (!*ref) st = ONNXRUN_E_NOMEM;
            else memcpy(*ref, y, (size_t)ny * sizeof **ref);
        } else {
            double big = 0, worst = 0;
            for (int64_t i = 0; i < ny; i++) big = fmax(big, fabs((*ref)[i]));
            for (int64_t i = 0; i < ny; i++) worst = fmax(worst, fabs((double)y[i] - (*ref)[i]));
            if (!(worst <= 1e-4 * big + 1e-6)) {
                snprintf(err, sizeof err, "%s differs from the rules' pick by %.3g (largest |y| %.3g)",
                         name, worst, big);
                st = ONNXRUN_E_INVALID;
            }
        }
    }
    if (st == ONNXRUN_OK) {
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        out->min = t[0];
        out->median = t[runs / 2];
    } else {
        fprintf(stderr, "conv_rules: %s: %s\n", onnxrun_status_name(st), err[0] ? err : "failed");
    }
    free(t);
    free(k.scratch);
    free(ty.data);
    or_kernel_fini(&k);
    return st == ONNXRUN_OK;
}

static bool run_shape(const char *spec, int threads, or_pool *pool, onnxrun_isa isa, int runs)
{
    shape sh;
    if (!parse_shape(spec, &sh)) {
        fprintf(stderr, "conv_rules: bad shape '%s' (C,M,H,W,K,S,P[,G])\n", spec);
        return false;
    }
    int64_t oh = (sh.h + 2 * sh.p - sh.k) / sh.s + 1, ow = (sh.w + 2 * sh.p - sh.k) / sh.s + 1;
    int64_t nx = sh.c * sh.h * sh.w, nw = sh.m * (sh.c / sh.g) * sh.k * sh.k;
    double flop = 2.0 * (double)nw * (double)(oh * ow);
    float *x = malloc((size_t)nx * sizeof *x), *wt = malloc((size_t)nw * sizeof *wt);
    float *bias = malloc((size_t)sh.m * sizeof *bias);
    bool ok = x && wt && bias;
    if (ok) {
        unsigned seed = 1;
        fill_random(x, nx, &seed, 1.0f);
        fill_random(wt, nw, &seed, 1.0f / sqrtf((float)(nw / sh.m)));
        fill_random(bias, sh.m, &seed, 0.1f);
    }
    timing tm[N_ALGOS];
    size_t n = 0, best = 0;
    float *ref = NULL;
    for (size_t i = 0; i < N_ALGOS && ok; i++) {
        timing t;
        if (!time_one(&sh, algos[i].algo, threads, pool, isa, runs, x, wt, bias, &ref, &t)) {
            ok = false;
            break;
        }
        bool seen = false; /* a forced algorithm that fell back to the rules' pick */
        for (size_t j = 0; j < n; j++) seen |= strcmp(tm[j].algo, t.algo) == 0;
        if (seen) continue;
        if (t.min < tm[best].min || n == 0) best = n;
        tm[n++] = t;
    }
    printf("%s  (%lld x %lld out, %.1f MFLOP)\n", spec, (long long)oh, (long long)ow, flop * 1e-6);
    for (size_t j = 0; j < n; j++)
        printf("  %c %-18s %9.3f %9.3f ms %8.1f GFLOP/s %s\n", j == 0 ? '*' : ' ', tm[j].algo,
               tm[j].min, tm[j].median, flop / (tm[j].min * 1e6), j == best ? "<" : "");
    free(ref);
    free(x);
    free(wt);
    free(bias);
    return ok;
}

int main(int argc, char **argv)
{
    int threads = 1, runs = 20;
    onnxrun_isa isa = ONNXRUN_ISA_AUTO;
    int first = 1;
    for (; first < argc && strncmp(argv[first], "--", 2) == 0; first += 2) {
        if (strcmp(argv[first], "--no-relu") == 0) {
            relu = false;
            first--;
            continue;
        }
        if (first + 1 >= argc) break;
        if (strcmp(argv[first], "--threads") == 0) threads = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "--runs") == 0) runs = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "--isa") == 0) {
            const char *s = argv[first + 1];
            isa = strcmp(s, "portable") == 0 ? ONNXRUN_ISA_PORTABLE
                  : strcmp(s, "avx2") == 0   ? ONNXRUN_ISA_AVX2
                  : strcmp(s, "avx512") == 0 ? ONNXRUN_ISA_AVX512
                                             : (onnxrun_isa)-1;
        } else break;
    }
    if (first >= argc || threads < 1 || threads > 64 || runs < 1 || runs > 100000 || (int)isa < 0) {
        fprintf(stderr, "usage: conv_rules [--threads N] [--runs R] [--isa portable|avx2|avx512] "
                        "[--no-relu] SHAPE|SET...\n  SHAPE: C,M,H,W,K,S,P[,G]; SET:");
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) fprintf(stderr, " %s", sets[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    or_pool *pool = threads > 1 ? or_pool_create(threads) : NULL;
    printf("conv_rules: %d thread%s, isa %s, %s, min and median of %d runs; * the rules' pick, < the "
           "fastest\n", threads, threads > 1 ? "s" : "", onnxrun_isa_name(or_isa_of(isa)),
           relu ? "ReLU fused" : "no ReLU", runs);
    bool ok = true;
    for (int a = first; a < argc && ok; a++) {
        const set *st = NULL;
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
            if (strcmp(argv[a], sets[i].name) == 0) st = &sets[i];
        if (!st) {
            ok = run_shape(argv[a], threads, pool, isa, runs);
            continue;
        }
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", st->shapes);
        for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && ok; tok = strtok_r(NULL, " ", &save))
            ok = run_shape(tok, threads, pool, isa, runs);
    }
    or_pool_free(pool);
    return ok ? 0 : 1;
}
