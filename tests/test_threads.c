/*
 * test_threads.c - one loaded model shared by sessions on several threads.
 *
 * For each model (data/lenet5/model.onnx with batch sizes 1..3, and a
 * conv-heavy model built here: grouped, strided, dilated and 1x1 Convs,
 * pools, BatchNormalization, Gemm), a reference is computed first on one
 * session with one thread. Then THREADS threads each create their own
 * session on the same model and run RUNS inputs (each thread in its own
 * order, so that different shapes are planned concurrently); every output
 * must equal the reference bit for bit. A second round gives each session a
 * worker pool of two threads: the kernels split rows, never a sum, so the
 * outputs must still be the one-thread bits. (This held only once dense.c
 * stopped calling OpenBLAS's sgemv, whose threaded form changed the last bit
 * of LeNet's 84x120 layer at batch 1.) Meant to run under ThreadSanitizer
 * too (build with -DONNXRUN_TSAN=ON; tests/tsan.supp explains the
 * suppressions).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "onnxrun.h"
#include "tests/model_builder.h"

#define THREADS 4
#define RUNS 50

/* A model with one float input and one float output, its inputs and the
 * single-threaded reference outputs. */
typedef struct fixture {
    onnxrun_model *model;
    const char *in_name, *out_name;     /* owned by the model */
    onnxrun_tensor in[RUNS];            /* data malloc'd here */
    onnxrun_tensor ref[RUNS];           /* one session, one thread; cloned */
} fixture;

typedef struct worker {
    const fixture *fx;
    int index;
    int session_threads;
    int mismatches;
    onnxrun_status status;
    char err[256];
} worker;

static uint32_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* Fills fx->in[k] with shape dims (dims[0] replaced by the batch for k). */
static void make_inputs(fixture *fx, int rank, const int64_t *dims, int vary_batch)
{
    uint64_t seed = 42;
    for (int k = 0; k < RUNS; k++) {
        onnxrun_tensor *t = &fx->in[k];
        t->dtype = ONNXRUN_FLOAT;
        t->rank = rank;
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
        if (vary_batch) t->dims[0] = 1 + k % 3;
        int64_t n = onnxrun_tensor_numel(t);
        float *x = malloc((size_t)n * sizeof *x);
        assert_non_null(x);
        for (int64_t i = 0; i < n; i++) x[i] = (float)rng(&seed) / 4294967296.0f * 2.0f - 0.5f;
        t->data = x;
    }
}

static void run_reference(fixture *fx)
{
    const onnxrun_session_options so = { .threads = 1 };
    onnxrun_session *s = NULL;
    assert_int_equal(onnxrun_session_create(fx->model, &so, &s), ONNXRUN_OK);
    for (int k = 0; k < RUNS; k++) {
        onnxrun_tensor y;
        onnxrun_status st = onnxrun_session_run(s, 1, &fx->in_name, &fx->in[k], 1, &fx->out_name, &y);
        if (st) fail_msg("reference run %d: %s", k, onnxrun_session_error(s));
        assert_int_equal(onnxrun_tensor_clone(&y, &fx->ref[k]), ONNXRUN_OK);
    }
    onnxrun_session_free(s);
}

static bool same_dims(const onnxrun_tensor *a, const onnxrun_tensor *b)
{
    return a->dtype == b->dtype && a->rank == b->rank &&
           !memcmp(a->dims, b->dims, (size_t)a->rank * sizeof *a->dims);
}

static void *work(void *arg)
{
    worker *w = arg;
    const fixture *fx = w->fx;
    const onnxrun_session_options so = { .threads = w->session_threads };
    onnxrun_session *s = NULL;
    w->status = onnxrun_session_create(fx->model, &so, &s);
    for (int r = 0; !w->status && r < RUNS; r++) {
        int k = (r * (2 * w->index + 1) + 7 * w->index) % RUNS; /* a different order per thread */
        onnxrun_tensor y;
        w->status = onnxrun_session_run(s, 1, &fx->in_name, &fx->in[k], 1, &fx->out_name, &y);
        if (w->status) break;
        const onnxrun_tensor *ref = &fx->ref[k];
        size_t bytes = (size_t)onnxrun_tensor_numel(ref) * onnxrun_dtype_size(ref->dtype);
        if (!same_dims(&y, ref) || memcmp(y.data, ref->data, bytes))
            w->mismatches++;
    }
    if (w->status) snprintf(w->err, sizeof w->err, "%s", onnxrun_session_error(s));
    onnxrun_session_free(s);
    return NULL;
}

static void run_threads(const fixture *fx, int session_threads)
{
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){ .fx = fx, .index = i, .session_threads = session_threads };
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        if (w[i].status) fail_msg("thread %d: %s", i, w[i].err);
        if (w[i].mismatches)
            fail_msg("thread %d (session threads %d): %d of %d outputs differ from the reference", i,
                     session_threads, w[i].mismatches, RUNS);
    }
}

static void fixture_free(fixture *fx)
{
    for (int k = 0; k < RUNS; k++) {
        free(fx->in[k].data);
        onnxrun_tensor_release(&fx->ref[k]);
    }
    onnxrun_model_free(fx->model);
}

static void check_model(fixture *fx)
{
    onnxrun_value_info vi;
    assert_int_equal(onnxrun_model_input(fx->model, 0, &vi), ONNXRUN_OK);
    fx->in_name = vi.name;
    assert_int_equal(onnxrun_model_output(fx->model, 0, &vi), ONNXRUN_OK);
    fx->out_name = vi.name;
    run_reference(fx);
    run_threads(fx, 1);
    run_threads(fx, 2);
}

static void test_lenet(void **state)
{
    (void)state;
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    onnxrun_status st = onnxrun_model_load_file("../data/lenet5/model.onnx", NULL, &fx->model);
    if (st) fail_msg("%s", onnxrun_model_error(fx->model));
    make_inputs(fx, 4, (int64_t[]){ 1, 1, 32, 32 }, 1);
    check_model(fx);
    fixture_free(fx);
    free(fx);
}

/* Adds a float initializer of n pseudo-random values in [-scale, scale). */
static void random_init(mb *b, const char *name, int rank, const int64_t *dims, float scale,
                        uint64_t *seed)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = ((float)rng(seed) / 4294967296.0f * 2.0f - 1.0f) * scale;
    mb_init_raw(b, name, ONNXRUN_FLOAT, rank, dims, v, n * sizeof *v);
    free(v);
}

/* x[N,8,48,48] -> Conv 3x3 (16) -> BatchNorm -> Relu -> Conv 3x3 stride 2,
 * group 4 -> Relu -> Conv 3x3 dilation 2, pad 2 (depthwise) -> MaxPool 2
 * -> Conv 1x1 (32) -> AveragePool 3 -> Flatten -> Gemm (10) -> y. Large
 * enough that Conv, BatchNormalization, Relu and the pools split their work
 * over a session's worker pool (ops/window.h, OR_PAR_MIN_WORK). */
static onnxrun_model *conv_model(void)
{
    mb b;
    uint64_t seed = 7;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 4, (int64_t[]){ -1, 8, 48, 48 });
    random_init(&b, "w1", 4, (int64_t[]){ 16, 8, 3, 3 }, 0.3f, &seed);
    random_init(&b, "b1", 1, (int64_t[]){ 16 }, 0.1f, &seed);
    random_init(&b, "gamma", 1, (int64_t[]){ 16 }, 1.0f, &seed);
    random_init(&b, "beta", 1, (int64_t[]){ 16 }, 0.5f, &seed);
    random_init(&b, "mean", 1, (int64_t[]){ 16 }, 0.2f, &seed);
    float var[16];
    for (int i = 0; i < 16; i++) var[i] = 0.5f + 0.1f * (float)i;
    mb_init_raw(&b, "var", ONNXRUN_FLOAT, 1, (int64_t[]){ 16 }, var, sizeof var);
    random_init(&b, "w2", 4, (int64_t[]){ 16, 4, 3, 3 }, 0.3f, &seed);
    random_init(&b, "w3", 4, (int64_t[]){ 16, 1, 3, 3 }, 0.3f, &seed);
    random_init(&b, "w4", 4, (int64_t[]){ 32, 16, 1, 1 }, 0.3f, &seed);
    random_init(&b, "b4", 1, (int64_t[]){ 32 }, 0.1f, &seed);
    random_init(&b, "wf", 2, (int64_t[]){ 10, 32 * 4 * 4 }, 0.2f, &seed);
    random_init(&b, "bf", 1, (int64_t[]){ 10 }, 0.1f, &seed);

    Onnx__NodeProto *n = mb_node(&b, "Conv", "conv1", "x,w1,b1", "c1");
    mb_attr_ints(&b, n, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
    mb_node(&b, "BatchNormalization", "bn1", "c1,gamma,beta,mean,var", "n1");
    mb_node(&b, "Relu", "relu1", "n1", "r1");
    n = mb_node(&b, "Conv", "conv2", "r1,w2", "c2");
    mb_attr_int(&b, n, "group", 4);
    mb_attr_ints(&b, n, "strides", 2, (int64_t[]){ 2, 2 });
    mb_attr_ints(&b, n, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
    mb_node(&b, "Relu", "relu2", "c2", "r2");
    n = mb_node(&b, "Conv", "conv3", "r2,w3", "c3");
    mb_attr_int(&b, n, "group", 16);
    mb_attr_ints(&b, n, "dilations", 2, (int64_t[]){ 2, 2 });
    mb_attr_ints(&b, n, "pads", 4, (int64_t[]){ 2, 2, 2, 2 });
    n = mb_node(&b, "MaxPool", "pool1", "c3", "p1");
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t[]){ 2, 2 });
    mb_attr_ints(&b, n, "strides", 2, (int64_t[]){ 2, 2 });
    mb_node(&b, "Conv", "conv4", "p1,w4,b4", "c4");
    n = mb_node(&b, "AveragePool", "pool2", "c4", "p2");
    mb_attr_ints(&b, n, "kernel_shape", 2, (int64_t[]){ 3, 3 });
    mb_attr_ints(&b, n, "strides", 2, (int64_t[]){ 3, 3 });
    mb_node(&b, "Flatten", "flat", "p2", "f");
    n = mb_node(&b, "Gemm", "fc", "f,wf,bf", "y");
    mb_attr_int(&b, n, "transB", 1);
    mb_output(&b, "y", ONNXRUN_FLOAT);

    size_t len;
    uint8_t *buf = mb_pack(&b, &len);
    onnxrun_model *m = NULL;
    onnxrun_status st = onnxrun_model_load_buffer(buf, len, "conv_model", NULL, &m);
    free(buf);
    mb_free(&b);
    if (st) fail_msg("%s", onnxrun_model_error(m));
    return m;
}

static void test_conv_model(void **state)
{
    (void)state;
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->model = conv_model();
    make_inputs(fx, 4, (int64_t[]){ 1, 8, 48, 48 }, 1);
    check_model(fx);
    /* the output has the expected shape */
    assert_int_equal(fx->ref[1].rank, 2);
    assert_int_equal(fx->ref[1].dims[0], 2);
    assert_int_equal(fx->ref[1].dims[1], 10);
    fixture_free(fx);
    free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenet),
        cmocka_unit_test(test_conv_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
