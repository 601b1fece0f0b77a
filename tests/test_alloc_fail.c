/*
 * test_alloc_fail.c - allocation failure at every site, the way SQLite
 * tests it: the test binary wraps malloc, calloc, realloc, aligned_alloc,
 * posix_memalign, strdup and strndup (-Wl,--wrap, tests/CMakeLists.txt), so
 * every allocation the library makes goes through a counter that fails the
 * n-th one. For n = 1, 2, ... it loads a model, creates a session and runs
 * it, until a pass reaches no n-th allocation. Each failure must come back
 * as a status with a message (no crash; under the sanitizer build,
 * LeakSanitizer checks that nothing leaks), and when the model loaded, a
 * second session made without failures must run and give the reference
 * output. Models: the shipped LeNet-5, and a graph whose convolutions take
 * every algorithm (1x1 GEMM, im2col, Winograd, depthwise, and the indirect
 * one on AVX-512) with a Resize, a Softmax and a NonZero-shaped tail (a
 * plan made from data). Prints how many sites each model reached. With
 * ONNXRUN_ALLOC_FAIL_MODEL=PATH (a model with one 4-D float input of static
 * shape, e.g. googlenet) it also does that model: minutes, so not in CI.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "onnxrun.h"
#include "tests/model_builder.h"

/* ---- the wrapped allocator ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static int armed;         /* count (and fail) only while the library works */
static long fail_at, seen;

static int fail_now(void)
{
    return armed && ++seen == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
    return fail_now() ? NULL : __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n)
{
    return fail_now() ? NULL : __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n)
{
    return fail_now() ? ENOMEM : __real_posix_memalign(p, a, n);
}
char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

/* ---- one pass ---- */

typedef struct subject {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    onnxrun_tensor in;       /* one input */
    onnxrun_tensor ref;      /* its output, from a pass without failures */
} subject;

/* Load, session, run with the n-th allocation failing (n = 0: none).
 * Returns the status; *out gets a copy of output 0 on success. */
static onnxrun_status pass(const subject *sj, long n, onnxrun_tensor *out, int *loaded)
{
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_session_options o = { .threads = 2 };
    onnxrun_value_info vi;
    onnxrun_tensor y;
    fail_at = n;
    seen = 0;
    armed = 1;
    onnxrun_status st = onnxrun_model_load_buffer(sj->bytes, sj->len, sj->name, NULL, &m);
    *loaded = st == ONNXRUN_OK;
    /* the object that failed carries the message; only when it could not
     * be allocated itself (NULL) is a bare ONNXRUN_E_NOMEM all there is */
    const char *msg = m ? onnxrun_model_error(m) : NULL;
    if (!st) {
        onnxrun_model_input(m, 0, &vi);
        st = onnxrun_session_create(m, &o, &s);
        msg = s ? onnxrun_session_error(s) : NULL;
        if (!st) {
            st = onnxrun_session_run(s, 1, &vi.name, &sj->in, 1, NULL, &y);
            msg = onnxrun_session_error(s);
            if (!st && out) st = onnxrun_tensor_clone(&y, out);
        }
    }
    armed = 0;
    if (st && !msg && st != ONNXRUN_E_NOMEM)
        fail_msg("%s: allocation %ld failed: status %d without an object to carry a message", sj->name, n, st);
    if (st && msg && !msg[0]) fail_msg("%s: allocation %ld failed with status %d and no message", sj->name, n, st);
    if (st && *loaded) { /* the model stays usable: a fresh session runs */
        onnxrun_session *s2 = NULL;
        onnxrun_tensor y2;
        if (onnxrun_session_create(m, &o, &s2) || onnxrun_session_run(s2, 1, &vi.name, &sj->in, 1, NULL, &y2))
            fail_msg("%s: after allocation %ld failed, a new session fails: %s", sj->name, n, onnxrun_session_error(s2));
        if (sj->ref.data && memcmp(y2.data, sj->ref.data, (size_t)onnxrun_tensor_numel(&sj->ref) * 4))
            fail_msg("%s: after allocation %ld failed, a new session gives other outputs", sj->name, n);
        onnxrun_session_free(s2);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return st;
}

static void every_site(subject *sj)
{
    int loaded;
    assert_int_equal(pass(sj, 0, &sj->ref, &loaded), ONNXRUN_OK);
    long n = 1, failed = 0;
    for (;; n++) {
        onnxrun_status st = pass(sj, n, NULL, &loaded);
        if (seen < n) break; /* nothing left to fail: a full pass */
        failed += st != ONNXRUN_OK;
    }
    print_message("%s: %ld allocation sites reached, each failed once: %ld gave an error, %ld were absorbed, "
                  "0 crashes\n", sj->name, n - 1, failed, n - 1 - failed);
    assert_true(n > 10);
    onnxrun_tensor_release(&sj->ref);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void test_lenet(void **state)
{
    (void)state;
    subject sj = { .name = "lenet5" };
    uint8_t *b = read_all("../data/lenet5/model.onnx", &sj.len);
    assert_non_null(b);
    sj.bytes = b;
    float x[32 * 32];
    for (int i = 0; i < 32 * 32; i++) x[i] = (float)(i % 13) / 6.0f - 1.0f;
    sj.in = (onnxrun_tensor){ ONNXRUN_FLOAT, 4, { 1, 1, 32, 32 }, x };
    every_site(&sj);
    free(b);
}

/* convolutions of every algorithm, then Resize, Softmax, and a shape made
 * from data (NonZero of a Relu: its length is only known at the run) */
static void test_conv_algorithms(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 4, (int64_t[]){ 1, 8, 12, 64 });
    static float w1[16 * 8], w3[16 * 16 * 9], wd[16 * 9], ws[8 * 16 * 9];
    for (size_t i = 0; i < sizeof w1 / 4; i++) w1[i] = (float)((int)(i % 7) - 3) / 8;
    for (size_t i = 0; i < sizeof w3 / 4; i++) w3[i] = (float)((int)(i % 5) - 2) / 16;
    for (size_t i = 0; i < sizeof wd / 4; i++) wd[i] = (float)((int)(i % 3) - 1) / 4;
    for (size_t i = 0; i < sizeof ws / 4; i++) ws[i] = (float)((int)(i % 11) - 5) / 32;
    mb_init_raw(&b, "w1", ONNXRUN_FLOAT, 4, (int64_t[]){ 16, 8, 1, 1 }, w1, sizeof w1);
    mb_init_raw(&b, "w3", ONNXRUN_FLOAT, 4, (int64_t[]){ 16, 16, 3, 3 }, w3, sizeof w3);
    mb_init_raw(&b, "wd", ONNXRUN_FLOAT, 4, (int64_t[]){ 16, 1, 3, 3 }, wd, sizeof wd);
    mb_init_raw(&b, "ws", ONNXRUN_FLOAT, 4, (int64_t[]){ 8, 16, 3, 3 }, ws, sizeof ws);
    float scales[4] = { 1, 1, 2, 2 };
    mb_init_raw(&b, "scales", ONNXRUN_FLOAT, 1, (int64_t[]){ 4 }, scales, sizeof scales);
    mb_node(&b, "Conv", "c1x1", "x,w1", "a");                                   /* 1x1 GEMM */
    mb_attr_ints(&b, mb_node(&b, "Conv", "c3", "a,w3", "b"), "pads", 4, (int64_t[]){ 1, 1, 1, 1 }); /* Winograd / indirect */
    Onnx__NodeProto *dw = mb_node(&b, "Conv", "dw", "b,wd", "c");              /* depthwise */
    mb_attr_int(&b, dw, "group", 16);
    mb_attr_ints(&b, dw, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
    Onnx__NodeProto *st2 = mb_node(&b, "Conv", "s2", "c,ws", "d");             /* strided: im2col */
    mb_attr_ints(&b, st2, "strides", 2, (int64_t[]){ 2, 2 });
    mb_node(&b, "Resize", "up", "d,,scales", "e");
    mb_node(&b, "Softmax", "sm", "e", "f");
    mb_node(&b, "Relu", "r", "x", "g");
    mb_node(&b, "NonZero", "nz", "g", "h");
    mb_node(&b, "Cast", "hc", "h", "hf");
    mb_attr_int(&b, b.nodes[b.graph.n_node - 1], "to", ONNXRUN_FLOAT);
    mb_node(&b, "ReduceSum", "rs", "hf", "k");
    mb_attr_int(&b, b.nodes[b.graph.n_node - 1], "keepdims", 0);
    mb_node(&b, "ReduceSum", "rf", "f", "fs");
    mb_attr_int(&b, b.nodes[b.graph.n_node - 1], "keepdims", 0);
    mb_node(&b, "Add", "out", "fs,k", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    subject sj = { .name = "conv_algorithms" };
    uint8_t *bytes = mb_pack(&b, &sj.len);
    mb_free(&b);
    sj.bytes = bytes;
    static float x[8 * 12 * 64];
    for (size_t i = 0; i < sizeof x / 4; i++) x[i] = (float)((int)(i % 17) - 8) / 8;
    sj.in = (onnxrun_tensor){ ONNXRUN_FLOAT, 4, { 1, 8, 12, 64 }, x };
    every_site(&sj);
    free(bytes);
}

/* ONNXRUN_ALLOC_FAIL_MODEL: any model with one static 4-D float input */
static void test_env_model(void **state)
{
    (void)state;
    const char *path = getenv("ONNXRUN_ALLOC_FAIL_MODEL");
    if (!path || !path[0]) {
        print_message("ONNXRUN_ALLOC_FAIL_MODEL not set: no third model\n");
        skip();
    }
    subject sj = { .name = path };
    uint8_t *b = read_all(path, &sj.len);
    assert_non_null(b);
    sj.bytes = b;
    onnxrun_model *m;
    assert_int_equal(onnxrun_model_load_buffer(b, sj.len, path, NULL, &m), ONNXRUN_OK);
    onnxrun_value_info vi;
    onnxrun_model_input(m, 0, &vi);
    assert_int_equal(vi.rank, 4);
    int64_t n = 1;
    for (int d = 0; d < 4; d++) n *= vi.dims[d] = vi.dims[d] > 0 ? vi.dims[d] : 1;
    onnxrun_model_free(m);
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(i % 13) / 6.0f - 1.0f;
    sj.in = (onnxrun_tensor){ ONNXRUN_FLOAT, 4, { vi.dims[0], vi.dims[1], vi.dims[2], vi.dims[3] }, x };
    every_site(&sj);
    free(x);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenet),
        cmocka_unit_test(test_conv_algorithms),
        cmocka_unit_test(test_env_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
