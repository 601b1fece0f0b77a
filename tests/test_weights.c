/*
 * test_weights.c - weights held once: packed forms made once per model and
 * shared by its sessions (ops/packs.c), initializers released from memory
 * once only their packed forms are read and read back from the file when
 * a session needs them again (interp/weights.c).
 *
 * The model: x [1, 64, H, W] (H, W symbolic) -> Conv 3x3 pad 1 (64 -> 64,
 * W of 144 KiB, enough to release) -> Relu -> y. Its file is written to a
 * temporary folder, then changed and deleted under the loaded model.
 * References: a naive convolution of the same weights in this file (for
 * the float16 model, of the weights and input rounded to float16).
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loader/tensor.h"
#include "onnxrun.h"
#include "tests/model_builder.h"

#define C 64
#define K 3

static float wts[C * C * K * K], bias[C];
static onnxrun_dtype model_dt = ONNXRUN_FLOAT; /* or FLOAT16: weights, x and y */
static double tol = 1e-4;                      /* of check_ref */

static float round_half(float f)
{
    return or_half_to_float(or_float_to_half(f));
}

/* Writes the model to path (the weights of seed). */
static void write_model(const char *path, unsigned seed)
{
    static uint16_t wh[C * C * K * K], bh[C];
    uint32_t r = seed * 2654435761u + 1;
    bool half = model_dt == ONNXRUN_FLOAT16;
    for (size_t i = 0; i < sizeof wts / sizeof *wts; i++) {
        r = r * 1664525u + 1013904223u;
        wts[i] = ((float)(r >> 8) / 16777216.0f - 0.5f) * 0.1f;
        if (half) wh[i] = or_float_to_half(wts[i]), wts[i] = or_half_to_float(wh[i]);
    }
    for (int i = 0; i < C; i++) {
        bias[i] = 0.01f * (float)(i % 7) - 0.03f;
        if (half) bh[i] = or_float_to_half(bias[i]), bias[i] = or_half_to_float(bh[i]);
    }
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", model_dt, 4, (int64_t[]){ 1, C, -1, -1 });
    mb_init_raw(&b, "w", model_dt, 4, (int64_t[]){ C, C, K, K }, half ? (void *)wh : wts,
                half ? sizeof wh : sizeof wts);
    mb_init_raw(&b, "b", model_dt, 1, (int64_t[]){ C }, half ? (void *)bh : bias, half ? sizeof bh : sizeof bias);
    Onnx__NodeProto *n = mb_node(&b, "Conv", "conv", "x,w,b", "c");
    mb_attr_ints(&b, n, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
    mb_node(&b, "Relu", "relu", "c", "y");
    mb_output(&b, "y", model_dt);
    /* a producer name that puts w's bytes at an odd offset: the loader
     * moves them down in place (loader/tensor_pb.c), so the read-backs
     * below check the offset arithmetic of a moved payload */
    static char prod[8];
    size_t len = 0;
    uint8_t *buf = NULL;
    const void *wbytes = half ? (void *)wh : wts;
    size_t wlen = half ? sizeof wh : sizeof wts;
    bool odd = false;
    for (int k = 1; k <= 4 && !odd; k++) {
        memset(prod, 'p', (size_t)k);
        prod[k] = 0;
        b.model.producer_name = prod;
        free(buf);
        buf = mb_pack(&b, &len);
        const uint8_t *at = memmem(buf, len, wbytes, wlen);
        assert_non_null(at);
        odd = (size_t)(at - buf) % 4 == 1;
    }
    assert_true(odd);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(buf);
    mb_free(&b);
}

/* A fresh temporary folder dir (a mkdtemp template) holding the model of
 * seed as `name`; its path in path. */
static void temp_model(char *dir, char *path, size_t path_len, const char *name, unsigned seed)
{
    assert_non_null(mkdtemp(dir));
    snprintf(path, path_len, "%s/%s", dir, name);
    write_model(path, seed);
}

/* y = relu(conv(x)) by the definition, for the weights in wts. */
static void naive(const float *x, int h, int w, float *y)
{
    for (int o = 0; o < C; o++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                double s = bias[o];
                for (int c = 0; c < C; c++)
                    for (int di = 0; di < K; di++)
                        for (int dj = 0; dj < K; dj++) {
                            int ii = i + di - 1, jj = j + dj - 1;
                            if (ii < 0 || jj < 0 || ii >= h || jj >= w) continue;
                            s += (double)wts[((o * C + c) * K + di) * K + dj] * x[(c * h + ii) * w + jj];
                        }
                y[(o * h + i) * w + j] = s > 0 ? (float)s : 0.0f;
            }
}

typedef struct run_out {
    float y[C * 20 * 20];
    int h, w;
} run_out;

static float xin[C * 20 * 20];

/* A session of m with isa and threads, planned for an h x w input; run
 * once into out. Returns the create status (the session is freed unless
 * keep is given). */
static uint64_t budget; /* max_memory_bytes of the sessions made by session() */

static onnxrun_status session(onnxrun_model *m, onnxrun_isa isa, int threads, int h, int w, run_out *out,
                              onnxrun_session **keep, char *err)
{
    onnxrun_session_options o = { .threads = threads, .isa = isa, .max_memory_bytes = budget };
    onnxrun_session *s = NULL;
    onnxrun_status st = onnxrun_session_create(m, &o, &s);
    if (!st) st = onnxrun_session_set_input_shape(s, "x", 4, (int64_t[]){ 1, C, h, w });
    if (st) {
        if (err) snprintf(err, 512, "%s", onnxrun_session_error(s));
        onnxrun_session_free(s);
        return st;
    }
    const char *in_name = "x";
    static uint16_t xh[C * 20 * 20];
    for (int i = 0; i < C * h * w; i++) xh[i] = or_float_to_half(xin[i]);
    onnxrun_tensor in = { model_dt, 4, { 1, C, h, w }, model_dt == ONNXRUN_FLOAT ? (void *)xin : xh }, y;
    assert_int_equal(onnxrun_session_run(s, 1, &in_name, &in, 1, NULL, &y), ONNXRUN_OK);
    assert_int_equal(onnxrun_tensor_to_float(&y, out->y), ONNXRUN_OK);
    out->h = h;
    out->w = w;
    if (keep) *keep = s;
    else onnxrun_session_free(s);
    return ONNXRUN_OK;
}

static void check_ref(const run_out *r)
{
    static float ref[C * 20 * 20];
    naive(xin, r->h, r->w, ref);
    for (int i = 0; i < C * r->h * r->w; i++) assert_float_equal(r->y[i], ref[i], tol * (1 + fabsf(ref[i])));
}

static onnxrun_memory_info mem(onnxrun_session *s)
{
    onnxrun_memory_info mi;
    assert_int_equal(onnxrun_session_memory(s, &mi), ONNXRUN_OK);
    return mi;
}

static void test_shared_and_released(void **state)
{
    (void)state;
    char dir[] = "/tmp/onnxrun_weightsXXXXXX", path[64], err[512];
    temp_model(dir, path, sizeof path, "conv.onnx", 1);
    for (size_t i = 0; i < sizeof xin / sizeof *xin; i++) xin[i] = (float)((i * 7919) % 201) / 100.0f - 1.0f;
    onnxrun_model *m;
    assert_int_equal(onnxrun_model_load_file(path, NULL, &m), ONNXRUN_OK);

    /* A: the weight is packed, then released from memory */
    static run_out a, b, c, e;
    onnxrun_session *sa = NULL, *sb = NULL;
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 12, 12, &a, &sa, NULL), ONNXRUN_OK);
    check_ref(&a);
    onnxrun_memory_info ma = mem(sa);
    assert_true(ma.released_bytes >= (uint64_t)120 << 10); /* most of W's 144 KiB */
    assert_true(ma.packed_bytes >= sizeof wts);
    assert_int_equal(ma.shared_bytes, ma.packed_bytes);

    /* B, 2 threads: the same form, shared (the sums split otherwise, so
     * the bits may differ from A's) */
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 2, 12, 12, &b, &sb, NULL), ONNXRUN_OK);
    onnxrun_memory_info mb_ = mem(sb);
    assert_int_equal(mb_.shared_bytes, ma.packed_bytes);
    assert_int_equal(mb_.packed_bytes, ma.packed_bytes);
    check_ref(&b);

    /* another shape asks for another form (Winograd 4x4 at 20x20): W is
     * read back from the file, packed, released again; the form stays
     * when its session is freed (W's original is gone) */
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &c, NULL, NULL), ONNXRUN_OK);
    check_ref(&c);
    onnxrun_memory_info mc = mem(sa);
    assert_int_equal(mc.released_bytes, ma.released_bytes);
    assert_true(mc.shared_bytes > ma.packed_bytes + sizeof wts);

    /* the file changes under the model: a session needing W again (4x4 on
     * AVX2: no Winograd, the AVX2 kernels' GEMM panels, a form no session
     * made yet) fails and says why; ones using the forms made still work,
     * with the results from before */
    write_model(path, 2);
    assert_int_equal(session(m, ONNXRUN_ISA_AVX2, 1, 4, 4, &e, NULL, err), ONNXRUN_E_IO);
    assert_non_null(strstr(err, "changed since the model was loaded"));
    assert_non_null(strstr(err, "'w'"));
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 12, 12, &e, NULL, NULL), ONNXRUN_OK);
    assert_memory_equal(a.y, e.y, sizeof(float) * C * 144);
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &e, NULL, NULL), ONNXRUN_OK);
    assert_memory_equal(c.y, e.y, sizeof(float) * C * 400);

    /* with every session gone the model keeps the forms (W's only copy) */
    onnxrun_session_free(sa);
    onnxrun_session_free(sb);
    assert_int_equal(unlink(path), 0);
    memset(&e, 0, sizeof e);
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 12, 12, &e, &sa, NULL), ONNXRUN_OK);
    assert_memory_equal(a.y, e.y, sizeof(float) * C * 144);
    assert_int_equal(mem(sa).shared_bytes, mc.shared_bytes);
    onnxrun_session_free(sa);
    assert_int_equal(session(m, ONNXRUN_ISA_AVX2, 1, 4, 4, &e, NULL, err), ONNXRUN_E_IO);
    assert_non_null(strstr(err, "cannot be opened"));
    onnxrun_model_free(m);
    rmdir(dir);
}

/* A model loaded from a buffer has no file to read weights back from:
 * nothing is released. */
static void test_buffer_keeps(void **state)
{
    (void)state;
    char dir[] = "/tmp/onnxrun_weightsXXXXXX", path[64];
    temp_model(dir, path, sizeof path, "conv.onnx", 3);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    rmdir(dir);
    onnxrun_model *m;
    assert_int_equal(onnxrun_model_load_buffer(buf, len, "conv.onnx", NULL, &m), ONNXRUN_OK);
    static run_out a;
    onnxrun_session *s = NULL;
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 12, 12, &a, &s, NULL), ONNXRUN_OK);
    check_ref(&a);
    assert_int_equal(mem(s).released_bytes, 0);
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &a, NULL, NULL), ONNXRUN_OK);
    check_ref(&a);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* Sessions created and run on several threads at once: every one gets
 * the reference, the model holds each form once. */
typedef struct par {
    onnxrun_model *m;
    int h;
    run_out out;
    onnxrun_status st;
} par;

static void *par_main(void *arg)
{
    par *p = arg;
    p->st = session(p->m, ONNXRUN_ISA_AUTO, 1, p->h, p->h, &p->out, NULL, NULL);
    return NULL;
}

static void test_concurrent_sessions(void **state)
{
    (void)state;
    char dir[] = "/tmp/onnxrun_weightsXXXXXX", path[64];
    temp_model(dir, path, sizeof path, "conv.onnx", 4);
    onnxrun_model *m;
    assert_int_equal(onnxrun_model_load_file(path, NULL, &m), ONNXRUN_OK);
    enum { N = 6 };
    static par ps[N];
    pthread_t th[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            ps[i] = (par){ .m = m, .h = i % 2 ? 12 : 20 };
            assert_int_equal(pthread_create(&th[i], NULL, par_main, &ps[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(ps[i].st, ONNXRUN_OK);
            check_ref(&ps[i].out);
        }
    }
    onnxrun_model_free(m);
    unlink(path);
    rmdir(dir);
}

static uint64_t total(const onnxrun_memory_info *mi)
{
    return mi->weights_bytes + mi->packed_bytes + mi->arena_bytes + mi->scratch_bytes;
}

/* A budget below the default plan: Winograd 4x4 -> 2x2 -> GEMM until it
 * fits, same results; below the smallest plan: refused, naming it. */
static void test_budget(void **state)
{
    (void)state;
    char dir[] = "/tmp/onnxrun_weightsXXXXXX", path[64], err[512];
    temp_model(dir, path, sizeof path, "conv.onnx", 5);
    onnxrun_model *m;
    assert_int_equal(onnxrun_model_load_file(path, NULL, &m), ONNXRUN_OK);
    static run_out a;
    onnxrun_session *s = NULL;
    budget = 0;
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &a, &s, NULL), ONNXRUN_OK);
    onnxrun_memory_info d = mem(s);
    onnxrun_node_info ni;
    assert_int_equal(onnxrun_session_node(s, 0, &ni), ONNXRUN_OK);
    assert_non_null(strstr(ni.algo, "winograd 4x4"));
    assert_int_equal(ni.packed_bytes, d.packed_bytes);
    onnxrun_session_free(s);
    /* 4x4 holds 36 floats per 9 weights, 2x2 16: a budget below the
     * default plan by half that saving takes 2x2 */
    const uint64_t w = sizeof wts;
    budget = total(&d) - (w * 36 / 9 - w * 16 / 9) / 2;
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &a, &s, NULL), ONNXRUN_OK);
    check_ref(&a);
    onnxrun_memory_info mi = mem(s);
    assert_true(total(&mi) <= budget);
    assert_int_equal(mi.budget_bytes, budget);
    assert_int_equal(onnxrun_session_node(s, 0, &ni), ONNXRUN_OK);
    assert_non_null(strstr(ni.algo, "winograd 2x2"));
    onnxrun_session_free(s);
    /* too small: refused, naming the smallest plan, which then fits
     * (GEMM takes more scratch here than 2x2: the smallest is 2x2's) */
    budget = 64 << 10;
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &a, NULL, err), ONNXRUN_E_LIMIT);
    const char *at = strstr(err, "memory budget: the smallest plan needs ");
    assert_non_null(at);
    budget = strtoull(at + strlen("memory budget: the smallest plan needs "), NULL, 10);
    assert_true(budget > 64 << 10);
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &a, &s, NULL), ONNXRUN_OK);
    check_ref(&a);
    mi = mem(s);
    assert_true(total(&mi) <= budget);
    onnxrun_session_free(s);
    budget = 0;
    onnxrun_model_free(m);
    unlink(path);
    rmdir(dir);
}

/* float16 weights are held widened to float32: that copy is released once
 * packed and widened again when a new form needs it. */
static void test_float16_widened(void **state)
{
    (void)state;
    char dir[] = "/tmp/onnxrun_weightsXXXXXX", path[64];
    model_dt = ONNXRUN_FLOAT16;
    tol = 4e-3; /* y is rounded to float16 */
    temp_model(dir, path, sizeof path, "conv16.onnx", 6);
    for (size_t i = 0; i < sizeof xin / sizeof *xin; i++) xin[i] = round_half(xin[i]);
    onnxrun_model *m;
    assert_int_equal(onnxrun_model_load_file(path, NULL, &m), ONNXRUN_OK);
    static run_out a;
    onnxrun_session *s = NULL;
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 12, 12, &a, &s, NULL), ONNXRUN_OK);
    check_ref(&a);
    /* W widened is 144 KiB: most of it released */
    assert_true(mem(s).released_bytes >= (uint64_t)120 << 10);
    unlink(path); /* widening again needs no file */
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 4, 4, &a, NULL, NULL), ONNXRUN_OK);
    check_ref(&a);
    assert_int_equal(session(m, ONNXRUN_ISA_AUTO, 1, 20, 20, &a, NULL, NULL), ONNXRUN_OK);
    check_ref(&a);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    rmdir(dir);
    model_dt = ONNXRUN_FLOAT;
    tol = 1e-4;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_and_released),
        cmocka_unit_test(test_buffer_keeps),
        cmocka_unit_test(test_concurrent_sessions),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_float16_widened),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
