/*
 * test_dense.c - Gemm and MatMul kernels against naive triple loops: every
 * transA/transB/alpha/beta/C-shape combination, legacy broadcast rules,
 * MatMul with 1-D operands and broadcast batch dims, and shape errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ops/parallel.h" /* or_pool_create: worker threads for or_parallel_for */
#include "tests/kernel_harness.h"

static uint32_t rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rand_buf(int64_t n)
{
    float *b = malloc((size_t)(n ? n : 1) * sizeof *b);
    for (int64_t i = 0; i < n; i++) b[i] = frand();
    return b;
}

static or_tensor tensor(onnxrun_dtype dt, int rank, const int64_t *dims, void *data)
{
    or_tensor t = { .dtype = dt, .rank = rank, .data = data };
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

static void assert_close(const float *got, const double *want, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double tol = 1e-5 + 1e-5 * fabs(want[i]);
        if (fabs(got[i] - want[i]) > tol) {
            print_error("element %lld: got %g, want %g\n", (long long)i, got[i], want[i]);
            fail();
        }
    }
}

/* ---- Gemm ---- */

/* C shapes: rank, dims (m/n filled in: -1 = M, -2 = N) */
typedef struct cshape {
    int rank;
    int64_t dims[2];
} cshape;

static void run_gemm_case(int64_t M, int64_t N, int64_t K, int ta, int tb, float alpha, float beta,
                          const cshape *cs, int opset)
{
    int64_t ad[2] = { ta ? K : M, ta ? M : K }, bd[2] = { tb ? N : K, tb ? K : N };
    float *a = rand_buf(M * K), *b = rand_buf(K * N);
    int64_t cd[2] = { 0, 0 };
    int64_t cm = 1, cn = 1;
    float *c = NULL;
    or_tensor ta_t = tensor(ONNXRUN_FLOAT, 2, ad, a), tb_t = tensor(ONNXRUN_FLOAT, 2, bd, b), tc;
    if (cs) {
        for (int i = 0; i < cs->rank; i++) cd[i] = cs->dims[i] == -1 ? M : cs->dims[i] == -2 ? N : cs->dims[i];
        if (cs->rank == 2) cm = cd[0];
        if (cs->rank >= 1) cn = cd[cs->rank - 1];
        c = rand_buf(cm * cn);
        tc = tensor(ONNXRUN_FLOAT, cs->rank, cd, c);
    }
    or_tensor y = { 0 };
    or_tensor *ins[] = { &ta_t, &tb_t, cs ? &tc : NULL }, *outs[] = { &y };
    or_attr attrs[] = { KH_FLOAT("alpha", alpha), KH_FLOAT("beta", beta), KH_INT("transA", ta),
                        KH_INT("transB", tb), KH_INT("broadcast", 1) };
    char err[512];
    or_status st = kh_run("", "Gemm", opset, attrs, opset < 7 ? 5 : 4, ins, cs ? 3 : 2, outs, 1,
                          err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_int_equal(y.rank, 2);
    assert_int_equal(y.dims[0], M);
    assert_int_equal(y.dims[1], N);
    double want[8 * 8];
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t q = 0; q < K; q++)
                s += (double)(ta ? a[q * M + i] : a[i * K + q]) * (tb ? b[j * K + q] : b[q * N + j]);
            double cv = c ? c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] : 0;
            want[i * N + j] = alpha * s + beta * cv;
        }
    assert_close(y.data, want, M * N);
    free(y.data);
    free(a);
    free(b);
    free(c);
}

static void test_gemm_combinations(void **state)
{
    (void)state;
    static const cshape shapes[] = {
        { 0, { 0, 0 } }, { 1, { 1, 0 } }, { 1, { -2, 0 } }, { 2, { 1, -2 } },
        { 2, { -1, 1 } }, { 2, { -1, -2 } }, { 2, { 1, 1 } },
    };
    static const float alphas[] = { 1.0f, 0.5f, -2.0f }, betas[] = { 1.0f, 0.25f, 0.0f };
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int ia = 0; ia < 3; ia++)
                for (int ib = 0; ib < 3; ib++) {
                    /* M = 1 and N = 1 take the gemv path */
                    static const int64_t mnk[][3] = { { 3, 5, 4 }, { 1, 6, 5 }, { 7, 1, 3 }, { 1, 1, 4 } };
                    for (size_t q = 0; q < sizeof mnk / sizeof mnk[0]; q++) {
                        int64_t M = mnk[q][0], N = mnk[q][1], K = mnk[q][2];
                        run_gemm_case(M, N, K, ta, tb, alphas[ia], betas[ib], NULL, 13);
                        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                            run_gemm_case(M, N, K, ta, tb, alphas[ia], betas[ib], &shapes[s], 13);
                            run_gemm_case(M, N, K, ta, tb, alphas[ia], betas[ib], &shapes[s], 6);
                        }
                    }
                }
}

static or_status gemm_status(int opset, int broadcast, int rank_c, const int64_t *cdims,
                             const int64_t *adims, const int64_t *bdims, char *err, size_t len)
{
    float a[64] = { 0 }, b[64] = { 0 }, c[64] = { 0 };
    or_tensor ta = tensor(ONNXRUN_FLOAT, 2, adims, a), tb = tensor(ONNXRUN_FLOAT, 2, bdims, b);
    or_tensor tc = tensor(ONNXRUN_FLOAT, rank_c < 0 ? 0 : rank_c, cdims, c), y = { 0 };
    or_tensor *ins[] = { &ta, &tb, rank_c < 0 ? NULL : &tc }, *outs[] = { &y };
    or_attr attrs[] = { KH_INT("broadcast", broadcast) };
    or_status st = kh_run("", "Gemm", opset, attrs, 1, ins, 3, outs, 1, err, len);
    free(y.data);
    return st;
}

static void test_gemm_errors(void **state)
{
    (void)state;
    char err[512];
    int64_t a[2] = { 2, 3 }, b[2] = { 3, 4 }, bad_b[2] = { 2, 4 }, c_row[1] = { 4 };
    int64_t c_full[2] = { 2, 4 }, c_bad[2] = { 3, 4 }, c_rank3[3] = { 1, 2, 4 };
    /* legacy: C must match unless broadcast=1 */
    assert_int_equal(gemm_status(6, 0, 1, c_row, a, b, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_int_equal(gemm_status(6, 1, 1, c_row, a, b, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(gemm_status(6, 0, 2, c_full, a, b, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(gemm_status(1, 0, 2, c_full, a, b, err, sizeof err), ONNXRUN_OK);
    /* opset 7: broadcast without the attribute; C still required until 11 */
    assert_int_equal(gemm_status(7, 0, 1, c_row, a, b, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(gemm_status(9, 0, -1, NULL, a, b, err, sizeof err), ONNXRUN_E_INVALID);
    assert_int_equal(gemm_status(11, 0, -1, NULL, a, b, err, sizeof err), ONNXRUN_OK);
    /* mismatches */
    assert_int_equal(gemm_status(13, 0, 1, c_row, a, bad_b, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "inner dimensions"));
    assert_int_equal(gemm_status(13, 0, 2, c_bad, a, b, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_int_equal(gemm_status(13, 0, 3, c_rank3, a, b, err, sizeof err), ONNXRUN_E_SHAPE);

    /* rank-3 A, mixed types */
    float buf[64] = { 0 };
    double dbuf[64] = { 0 };
    int64_t a3[3] = { 1, 2, 3 };
    or_tensor ta = tensor(ONNXRUN_FLOAT, 3, a3, buf), tb = tensor(ONNXRUN_FLOAT, 2, b, buf), y;
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    assert_int_equal(kh_run("", "Gemm", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    ta = tensor(ONNXRUN_FLOAT, 2, a, buf);
    tb = tensor(ONNXRUN_DOUBLE, 2, b, dbuf);
    assert_int_equal(kh_run("", "Gemm", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_INVALID);
    int32_t ibuf[64] = { 0 };
    ta = tensor(ONNXRUN_INT32, 2, a, ibuf);
    tb = tensor(ONNXRUN_INT32, 2, b, ibuf);
    assert_int_equal(kh_run("", "Gemm", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_UNSUPPORTED);
}

static void test_gemm_double_and_empty(void **state)
{
    (void)state;
    char err[512];
    int64_t ad[2] = { 2, 3 }, bd[2] = { 4, 3 };
    double a[6] = { 1, 2, 3, 4, 5, 6 }, b[12] = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1 }, c = 10;
    or_tensor ta = tensor(ONNXRUN_DOUBLE, 2, ad, a), tb = tensor(ONNXRUN_DOUBLE, 2, bd, b);
    or_tensor tc = tensor(ONNXRUN_DOUBLE, 0, NULL, &c), y = { 0 };
    or_tensor *ins[] = { &ta, &tb, &tc }, *outs[] = { &y };
    or_attr attrs[] = { KH_INT("transB", 1), KH_FLOAT("beta", 0.5f) };
    assert_int_equal(kh_run("", "Gemm", 13, attrs, 2, ins, 3, outs, 1, err, sizeof err), ONNXRUN_OK);
    double want[8] = { 6, 7, 8, 11, 9, 10, 11, 20 };
    for (int i = 0; i < 8; i++) assert_true(fabs(((double *)y.data)[i] - want[i]) < 1e-12);
    free(y.data);

    /* K = 0: Y = beta * C */
    int64_t ae[2] = { 2, 0 }, be[2] = { 0, 3 }, cd[1] = { 3 };
    float cf[3] = { 1, 2, 3 };
    ta = tensor(ONNXRUN_FLOAT, 2, ae, cf);
    tb = tensor(ONNXRUN_FLOAT, 2, be, cf);
    tc = tensor(ONNXRUN_FLOAT, 1, cd, cf);
    or_attr beta2[] = { KH_FLOAT("beta", 2.0f) };
    assert_int_equal(kh_run("", "Gemm", 13, beta2, 1, ins, 3, outs, 1, err, sizeof err), ONNXRUN_OK);
    double we[6] = { 2, 4, 6, 2, 4, 6 };
    assert_close(y.data, we, 6);
    free(y.data);
}

/* init + infer of op at opset 13, then its macs callback. */
static uint64_t macs_of(const char *op, or_attr *attrs, size_t n_attrs, or_tensor **ins, size_t n_in)
{
    char err[256], *in_names[] = { "a", "b", "c" }, *out_names[] = { "y" };
    or_node node = { .name = "m", .op_type = (char *)op, .domain = "", .n_inputs = n_in,
                     .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = n_attrs, .attrs = attrs };
    or_tensor y = { 0 }, *outs[] = { &y };
    or_kernel k = { .def = or_op_find("", op, 13), .node = &node, .opset = 13, .n_in = n_in,
                    .n_out = 1, .in = ins, .out = outs, .threads = 1, .err = err,
                    .err_len = sizeof err };
    assert_non_null(k.def);
    assert_non_null(k.def->macs);
    assert_int_equal(or_kernel_init(&k), ONNXRUN_OK);
    assert_int_equal(k.def->infer(&k), ONNXRUN_OK);
    uint64_t macs = k.def->macs(&k);
    or_kernel_fini(&k);
    return macs;
}

static void test_macs(void **state)
{
    (void)state;
    /* the VGG classifier's first layer: [1,25088] x [4096,25088]^T */
    or_tensor a = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 1, 25088 }, NULL);
    or_tensor b = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 4096, 25088 }, NULL);
    or_tensor *ins[] = { &a, &b };
    or_attr tb[] = { KH_INT("transB", 1) };
    assert_int_equal(macs_of("Gemm", tb, 1, ins, 2), (uint64_t)25088 * 4096);
    a = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 2, 3, 4 }, NULL);
    b = tensor(ONNXRUN_FLOAT, 4, (int64_t[]){ 5, 1, 4, 6 }, NULL);
    assert_int_equal(macs_of("MatMul", NULL, 0, ins, 2), (uint64_t)5 * 2 * 3 * 4 * 6);
}

/* A large FC layer (transB, weights as stored) against its known answer. */
static void test_gemm_large_fc(void **state)
{
    (void)state;
    const int64_t K = 4096, N = 1000; /* 16 MB of weights */
    float *x = rand_buf(K), *w = malloc((size_t)(K * N) * sizeof *w), bias[1000];
    for (int64_t j = 0; j < N; j++) {
        bias[j] = (float)j;
        for (int64_t q = 0; q < K; q++) w[j * K + q] = q == j ? 1.0f : 0.0f;
    }
    or_tensor a = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 1, K }, x);
    or_tensor b = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ N, K }, w);
    or_tensor c = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ N }, bias), y = { 0 };
    or_tensor *ins[] = { &a, &b, &c }, *outs[] = { &y };
    or_attr attrs[] = { KH_INT("transB", 1) };
    char err[256];
    assert_int_equal(kh_run("", "Gemm", 13, attrs, 1, ins, 3, outs, 1, err, sizeof err), ONNXRUN_OK);
    for (int64_t j = 0; j < N; j++) assert_true(fabsf(((float *)y.data)[j] - (x[j] + (float)j)) < 1e-3f);
    free(y.data);
    free(w);
    free(x);
}

/* Gemm with a fused epilogue (k->post, as the planner sets it): Y = act(A*B
 * + C + residual) for each activation, with and without the residual. */
static void test_gemm_epilogue(void **state)
{
    (void)state;
    const int64_t M = 3, N = 7, K = 5;
    float *a = rand_buf(M * K), *b = rand_buf(K * N), *c = rand_buf(N), *r = rand_buf(M * N);
    or_tensor ta = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ M, K }, a);
    or_tensor tb = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ K, N }, b);
    or_tensor tc = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ N }, c);
    or_tensor tr = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ M, N }, r);
    static const or_epilogue acts[] = {
        { .act = OR_ACT_NONE },
        { .act = OR_ACT_RELU },
        { .act = OR_ACT_CLIP, .lo = -0.25f, .hi = 0.5f },
        { .act = OR_ACT_LEAKY, .alpha = 0.2f },
    };
    for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++)
        for (int with_add = 0; with_add < 2; with_add++) {
            or_epilogue e = acts[ai];
            e.add = with_add ? &tr : NULL;
            or_tensor y = { 0 };
            or_tensor *ins[] = { &ta, &tb, &tc }, *outs[] = { &y };
            char *in_names[] = { "a", "b", "c" }, *out_names[] = { "y" }, err[256];
            or_node node = { .name = "t", .op_type = "Gemm", .domain = "", .n_inputs = 3,
                             .inputs = in_names, .n_outputs = 1, .outputs = out_names };
            or_kernel k = { .def = or_op_find("", "Gemm", 13), .node = &node, .opset = 13,
                            .n_in = 3, .n_out = 1, .in = ins, .out = outs, .threads = 1,
                            .post = e, .model_path = "t", .err = err, .err_len = sizeof err };
            assert_non_null(k.def);
            assert_true(k.def->flags & OR_OP_FUSES);
            assert_int_equal(or_kernel_init(&k), ONNXRUN_OK);
            assert_int_equal(k.def->infer(&k), ONNXRUN_OK);
            y.data = malloc(or_nbytes(&y));
            assert_int_equal(k.def->run(&k), ONNXRUN_OK);
            double want[3 * 7];
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < N; j++) {
                    double v = c[j];
                    for (int64_t q = 0; q < K; q++) v += (double)a[i * K + q] * b[q * N + j];
                    if (with_add) v += r[i * N + j];
                    if (e.act == OR_ACT_RELU) v = v > 0 ? v : 0;
                    if (e.act == OR_ACT_CLIP) v = v < e.lo ? e.lo : v > e.hi ? e.hi : v;
                    if (e.act == OR_ACT_LEAKY) v = v < 0 ? e.alpha * v : v;
                    want[i * N + j] = v;
                }
            assert_close(y.data, want, M * N);
            or_kernel_fini(&k);
            free(y.data);
        }
    free(a);
    free(b);
    free(c);
    free(r);
}

/* Runs op (Gemm with transB, or MatMul) on ins with `threads` workers;
 * y->data is malloc'd. */
static void run_threads(const char *op, or_attr *attrs, size_t n_attrs, or_tensor **ins,
                        size_t n_in, or_tensor *y, int threads)
{
    char *in_names[] = { "a", "b", "c" }, *out_names[] = { "y" }, err[256];
    or_node node = { .name = "t", .op_type = (char *)op, .domain = "", .n_inputs = n_in,
                     .inputs = in_names, .n_outputs = 1, .outputs = out_names,
                     .n_attrs = n_attrs, .attrs = attrs };
    or_tensor *outs[] = { y };
    or_kernel k = { .def = or_op_find("", op, 13), .node = &node, .opset = 13, .n_in = n_in,
                    .n_out = 1, .in = ins, .out = outs, .threads = threads,
                    .pool = or_pool_create(threads), .model_path = "t", .err = err,
                    .err_len = sizeof err };
    assert_true(threads == 1 || k.pool);
    assert_int_equal(or_kernel_init(&k), ONNXRUN_OK);
    assert_int_equal(k.def->infer(&k), ONNXRUN_OK);
    y->data = malloc(or_nbytes(y));
    assert_int_equal(k.def->run(&k), ONNXRUN_OK);
    or_kernel_fini(&k);
    or_pool_free(k.pool);
}

/* Matrix-vector products (batch of one) split over threads give the same
 * bits as on one thread, both walks (rows along K: Gemm transB; rows along
 * N: MatMul), and match the naive sums. */
static void test_gemv_threads(void **state)
{
    (void)state;
    const int64_t K = 777, N = 1500;
    float *x = rand_buf(K), *w = rand_buf(K * N), *bias = rand_buf(N);
    or_tensor a = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 1, K }, x);
    or_tensor bt = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ N, K }, w);
    or_tensor bn = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ K, N }, w);
    or_tensor c = tensor(ONNXRUN_FLOAT, 1, (int64_t[]){ N }, bias);
    or_attr attrs[] = { KH_INT("transB", 1), KH_FLOAT("alpha", 0.5f) };
    for (int form = 0; form < 2; form++) {
        or_tensor y1 = { 0 }, y2 = { 0 };
        or_tensor *gins[] = { &a, &bt, &c }, *mins[] = { &a, &bn };
        const char *op = form ? "MatMul" : "Gemm";
        run_threads(op, form ? NULL : attrs, form ? 0 : 2, form ? mins : gins, form ? 2 : 3, &y1, 1);
        run_threads(op, form ? NULL : attrs, form ? 0 : 2, form ? mins : gins, form ? 2 : 3, &y2, 2);
        assert_memory_equal(y1.data, y2.data, or_nbytes(&y1));
        double *want = malloc((size_t)N * sizeof *want);
        for (int64_t j = 0; j < N; j++) {
            double v = 0;
            for (int64_t q = 0; q < K; q++) v += (double)x[q] * (form ? w[q * N + j] : w[j * K + q]);
            want[j] = form ? v : 0.5 * v + bias[j];
        }
        assert_close(y1.data, want, N);
        free(want);
        free(y1.data);
        free(y2.data);
    }
    free(x);
    free(w);
    free(bias);
}

/* ---- MatMul ---- */

/* Runs MatMul on random A (ra, ad) and B (rb, bd) and checks against
 * numpy.matmul semantics computed naively; want_rank/want dims given. */
static void run_matmul_case(int ra, const int64_t *ad, int rb, const int64_t *bd, int want_rank,
                            const int64_t *want_dims)
{
    or_tensor ta = tensor(ONNXRUN_FLOAT, ra, ad, NULL), tb = tensor(ONNXRUN_FLOAT, rb, bd, NULL);
    int64_t na = or_numel(&ta), nb = or_numel(&tb);
    float *a = rand_buf(na), *b = rand_buf(nb);
    ta.data = a;
    tb.data = b;
    or_tensor y = { 0 };
    or_tensor *ins[] = { &ta, &tb }, *outs[] = { &y };
    char err[512];
    or_status st = kh_run("", "MatMul", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err);
    if (st != ONNXRUN_OK) print_error("%s\n", err);
    assert_int_equal(st, ONNXRUN_OK);
    assert_int_equal(y.rank, want_rank);
    for (int i = 0; i < want_rank; i++) assert_int_equal(y.dims[i], want_dims[i]);

    /* naive: promote to rank >= 2, broadcast batch */
    int64_t M = ra >= 2 ? ad[ra - 2] : 1, K = ad[ra - 1], N = rb >= 2 ? bd[rb - 1] : 1;
    int bra = ra > 2 ? ra - 2 : 0, brb = rb > 2 ? rb - 2 : 0, br = bra > brb ? bra : brb;
    int64_t batch = 1, bdims[8];
    for (int i = 0; i < br; i++) {
        int64_t da = i - (br - bra) >= 0 ? ad[i - (br - bra)] : 1;
        int64_t db = i - (br - brb) >= 0 ? bd[i - (br - brb)] : 1;
        bdims[i] = da == 1 ? db : da;
        batch *= bdims[i];
    }
    double *want = malloc((size_t)(batch * M * N) * sizeof *want);
    for (int64_t t = 0; t < batch; t++) {
        int64_t rem = t, aoff = 0, boff = 0, astr = M * K, bstr = K * N;
        for (int i = br - 1; i >= 0; i--) {
            int64_t idx = rem % bdims[i];
            rem /= bdims[i];
            int ia = i - (br - bra), ib = i - (br - brb);
            if (ia >= 0) {
                aoff += (ad[ia] == 1 ? 0 : idx) * astr;
                astr *= ad[ia];
            }
            if (ib >= 0) {
                boff += (bd[ib] == 1 ? 0 : idx) * bstr;
                bstr *= bd[ib];
            }
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t q = 0; q < K; q++) s += (double)a[aoff + i * K + q] * b[boff + q * N + j];
                want[(t * M + i) * N + j] = s;
            }
    }
    assert_close(y.data, want, batch * M * N);
    free(want);
    free(y.data);
    free(a);
    free(b);
}

static void test_matmul_shapes(void **state)
{
    (void)state;
    run_matmul_case(2, (int64_t[]){ 3, 4 }, 2, (int64_t[]){ 4, 5 }, 2, (int64_t[]){ 3, 5 });
    run_matmul_case(1, (int64_t[]){ 4 }, 2, (int64_t[]){ 4, 5 }, 1, (int64_t[]){ 5 });
    run_matmul_case(2, (int64_t[]){ 3, 4 }, 1, (int64_t[]){ 4 }, 1, (int64_t[]){ 3 });
    run_matmul_case(1, (int64_t[]){ 4 }, 1, (int64_t[]){ 4 }, 0, NULL);
    /* batch folded into M (B has one matrix) */
    run_matmul_case(3, (int64_t[]){ 2, 3, 4 }, 2, (int64_t[]){ 4, 5 }, 3, (int64_t[]){ 2, 3, 5 });
    run_matmul_case(4, (int64_t[]){ 2, 3, 3, 4 }, 3, (int64_t[]){ 1, 4, 5 }, 4,
                    (int64_t[]){ 2, 3, 3, 5 });
    run_matmul_case(3, (int64_t[]){ 2, 3, 4 }, 1, (int64_t[]){ 4 }, 2, (int64_t[]){ 2, 3 });
    /* per-batch products with broadcasting on either side */
    run_matmul_case(3, (int64_t[]){ 2, 3, 4 }, 3, (int64_t[]){ 2, 4, 5 }, 3, (int64_t[]){ 2, 3, 5 });
    run_matmul_case(4, (int64_t[]){ 2, 1, 3, 4 }, 3, (int64_t[]){ 3, 4, 5 }, 4,
                    (int64_t[]){ 2, 3, 3, 5 });
    run_matmul_case(2, (int64_t[]){ 3, 4 }, 3, (int64_t[]){ 2, 4, 5 }, 3, (int64_t[]){ 2, 3, 5 });
    run_matmul_case(1, (int64_t[]){ 4 }, 3, (int64_t[]){ 2, 4, 5 }, 2, (int64_t[]){ 2, 5 });
    run_matmul_case(5, (int64_t[]){ 2, 1, 3, 2, 4 }, 4, (int64_t[]){ 2, 1, 4, 3 }, 5,
                    (int64_t[]){ 2, 2, 3, 2, 3 });
    /* empty batch and empty K */
    run_matmul_case(3, (int64_t[]){ 0, 3, 4 }, 3, (int64_t[]){ 1, 4, 5 }, 3, (int64_t[]){ 0, 3, 5 });
    run_matmul_case(2, (int64_t[]){ 3, 0 }, 2, (int64_t[]){ 0, 5 }, 2, (int64_t[]){ 3, 5 });
}

static void test_matmul_errors(void **state)
{
    (void)state;
    float buf[256] = { 0 };
    char err[512];
    or_tensor y = { 0 };
    or_tensor a = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 3, 4 }, buf);
    or_tensor b = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 5, 4 }, buf);
    or_tensor *ins[] = { &a, &b }, *outs[] = { &y };
    assert_int_equal(kh_run("", "MatMul", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    a = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 2, 3, 4 }, buf);
    b = tensor(ONNXRUN_FLOAT, 3, (int64_t[]){ 3, 4, 5 }, buf);
    assert_int_equal(kh_run("", "MatMul", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "batch"));
    a = tensor(ONNXRUN_FLOAT, 0, NULL, buf);
    assert_int_equal(kh_run("", "MatMul", 13, NULL, 0, ins, 2, outs, 1, err, sizeof err),
                     ONNXRUN_E_SHAPE);
}

/* ---- Det ---- */

/* The determinant by Leibniz's formula: the signed sum over permutations
 * (m <= 5), against the kernel's LU. */
static double leibniz(const double *a, int m)
{
    int perm[5] = { 0, 1, 2, 3, 4 };
    double total = 0;
    for (;;) {
        int inv = 0;
        double prod = 1;
        for (int i = 0; i < m; i++) {
            prod *= a[i * m + perm[i]];
            for (int j = i + 1; j < m; j++) inv += perm[i] > perm[j];
        }
        total += inv % 2 ? -prod : prod;
        int i = m - 2; /* next permutation in lexicographic order */
        while (i >= 0 && perm[i] > perm[i + 1]) i--;
        if (i < 0) break;
        int j = m - 1;
        while (perm[j] < perm[i]) j--;
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        for (int lo = i + 1, hi = m - 1; lo < hi; lo++, hi--) {
            t = perm[lo];
            perm[lo] = perm[hi];
            perm[hi] = t;
        }
    }
    return total;
}

static void test_det(void **state)
{
    (void)state;
    char err[256];
    for (int it = 0; it < 60; it++) {
        int m = it % 6, batch_rank = it % 3;   /* m = 0: the empty product, 1 */
        int64_t dims[4] = { 2, 3, m, m }, nb = 1;
        for (int a = 0; a < batch_rank; a++) nb *= dims[a];
        int rank = batch_rank + 2;
        int64_t d[4];
        for (int a = 0; a < batch_rank; a++) d[a] = dims[a];
        d[batch_rank] = d[batch_rank + 1] = m;
        double *x = malloc((size_t)(nb * m * m + 1) * sizeof *x);
        for (int64_t i = 0; i < nb * m * m; i++) x[i] = (double)(int)(frand() * 4) / 2;
        if (m >= 2 && it % 4 == 0) /* a singular one: two equal rows */
            for (int j = 0; j < m; j++) x[m + j] = x[j];
        bool dbl = it % 2;
        float *xf = malloc((size_t)(nb * m * m + 1) * sizeof *xf);
        for (int64_t i = 0; i < nb * m * m; i++) xf[i] = (float)x[i];
        or_tensor tx = tensor(dbl ? ONNXRUN_DOUBLE : ONNXRUN_FLOAT, rank, d, dbl ? (void *)x : (void *)xf);
        or_tensor y = { 0 }, *ins[] = { &tx }, *outs[] = { &y };
        assert_int_equal(kh_run("", "Det", 11, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_OK);
        assert_int_equal(y.rank, batch_rank);
        for (int64_t b = 0; b < nb; b++) {
            double want = m ? leibniz(x + b * m * m, m) : 1;
            double got = dbl ? ((double *)y.data)[b] : ((float *)y.data)[b];
            if (fabs(got - want) > 1e-5 * (1 + fabs(want)))
                fail_msg("case %d matrix %lld: got %.9g, want %.9g", it, (long long)b, got, want);
        }
        free(y.data);
        free(x);
        free(xf);
    }
    float x[6] = { 0 };
    or_tensor tx = tensor(ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 }, x), y = { 0 }, *ins[] = { &tx }, *outs[] = { &y };
    assert_int_equal(kh_run("", "Det", 11, NULL, 0, ins, 1, outs, 1, err, sizeof err), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(err, "square"));
}

/* ---- Einsum, against loops written for each equation ---- */

static double ein_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (double)((*seed >> 8) % 41) / 10.0 - 2.0;
}

static or_status ein_run(const char *eq, or_tensor **ins, size_t n, or_tensor *y, char *msg, size_t len)
{
    or_attr a = { .name = (char *)"equation", .type = OR_ATTR_STRING, .s = (char *)eq, .s_len = strlen(eq) };
    or_tensor *outs[] = { y };
    y->data = NULL;
    return kh_run("", "Einsum", 12, &a, 1, ins, n, outs, 1, msg, len);
}

static void expect_dims(const or_tensor *t, const int64_t *dims, int rank)
{
    assert_int_equal(t->rank, rank);
    for (int i = 0; i < rank; i++) assert_int_equal(t->dims[i], dims[i]);
}

static void ein_check(const char *eq, const or_tensor *y, const double *want, int64_t n)
{
    assert_int_equal(or_numel(y), n);
    for (int64_t i = 0; i < n; i++)
        if (fabs(((double *)y->data)[i] - want[i]) > 1e-9 * (1 + fabs(want[i])))
            fail_msg("%s element %lld: got %g, want %g", eq, (long long)i, ((double *)y->data)[i], want[i]);
}

static void test_einsum(void **state)
{
    (void)state;
    char msg[512];
    unsigned seed = 9;
    for (int it = 0; it < 20; it++) {
        int64_t B = 1 + it % 3, I = 1 + it % 4, J = 2 + it % 3, K = 1 + (it * 7) % 5, L = 1 + it % 2;
        double a[2 * 4 * 4 * 5], b[2 * 4 * 5 * 5], c[5 * 5], want[256];
        for (size_t q = 0; q < sizeof a / sizeof *a; q++) a[q] = ein_rand(&seed);
        for (size_t q = 0; q < sizeof b / sizeof *b; q++) b[q] = ein_rand(&seed);
        for (size_t q = 0; q < sizeof c / sizeof *c; q++) c[q] = ein_rand(&seed);
        or_tensor y;
        /* batch matmul, B broadcast through '...' (b has batch 1) */
        or_tensor ta = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(B, I, J), a), tb = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(1, J, K), b);
        or_tensor *ins2[] = { &ta, &tb };
        assert_int_equal(ein_run("...ij,...jk->...ik", ins2, 2, &y, msg, sizeof msg), ONNXRUN_OK);
        expect_dims(&y, KH_DIMS(B, I, K));
        for (int64_t t = 0; t < B; t++)
            for (int64_t i = 0; i < I; i++)
                for (int64_t k = 0; k < K; k++) {
                    double s = 0;
                    for (int64_t j = 0; j < J; j++) s += a[(t * I + i) * J + j] * b[j * K + k];
                    want[(t * I + i) * K + k] = s;
                }
        ein_check("batch matmul", &y, want, B * I * K);
        free(y.data);
        /* implicit output: 'ij,jk' is 'ik' */
        or_tensor ta2 = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(I, J), a), tb2 = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(J, K), b);
        or_tensor *ins3[] = { &ta2, &tb2 };
        assert_int_equal(ein_run("ij,jk", ins3, 2, &y, msg, sizeof msg), ONNXRUN_OK);
        ein_check("implicit", &y, want, I * K); /* batch 0 of the above */
        free(y.data);
        /* implicit output in ASCII order: 'kj' -> 'jk' (a transpose) */
        or_tensor tc = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(K, J), c);
        or_tensor *ins1[] = { &tc };
        assert_int_equal(ein_run("kj", ins1, 1, &y, msg, sizeof msg), ONNXRUN_OK);
        for (int64_t j = 0; j < J; j++)
            for (int64_t k = 0; k < K; k++) want[j * K + k] = c[k * J + j];
        ein_check("transpose", &y, want, J * K);
        free(y.data);
        /* diagonal, trace, sum, outer product */
        or_tensor tq = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(B, J, J), b);
        or_tensor *insq[] = { &tq };
        assert_int_equal(ein_run("bii->bi", insq, 1, &y, msg, sizeof msg), ONNXRUN_OK);
        for (int64_t t = 0; t < B; t++)
            for (int64_t i = 0; i < J; i++) want[t * J + i] = b[(t * J + i) * J + i];
        ein_check("diagonal", &y, want, B * J);
        free(y.data);
        assert_int_equal(ein_run("bii", insq, 1, &y, msg, sizeof msg), ONNXRUN_OK); /* implicit: trace per b */
        for (int64_t t = 0; t < B; t++) {
            want[t] = 0;
            for (int64_t i = 0; i < J; i++) want[t] += b[(t * J + i) * J + i];
        }
        ein_check("trace", &y, want, B);
        free(y.data);
        assert_int_equal(ein_run("ijk->", ins2, 1, &y, msg, sizeof msg), ONNXRUN_OK);
        assert_int_equal(y.rank, 0);
        want[0] = 0;
        for (int64_t q = 0; q < B * I * J; q++) want[0] += a[q];
        ein_check("sum", &y, want, 1);
        free(y.data);
        or_tensor tu = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(I), a), tv = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(L), c);
        or_tensor *inso[] = { &tu, &tv };
        assert_int_equal(ein_run("i,j->ji", inso, 2, &y, msg, sizeof msg), ONNXRUN_OK);
        for (int64_t j = 0; j < L; j++)
            for (int64_t i = 0; i < I; i++) want[j * I + i] = c[j] * a[i];
        ein_check("outer", &y, want, I * L);
        free(y.data);
        /* three operands: ij,jk,kl->il */
        or_tensor t3 = kh_tensor(ONNXRUN_DOUBLE, KH_DIMS(K, L), c);
        or_tensor *ins4[] = { &ta2, &tb2, &t3 };
        assert_int_equal(ein_run("ij,jk,kl->il", ins4, 3, &y, msg, sizeof msg), ONNXRUN_OK);
        for (int64_t i = 0; i < I; i++)
            for (int64_t l = 0; l < L; l++) {
                double s = 0;
                for (int64_t j = 0; j < J; j++)
                    for (int64_t k = 0; k < K; k++) s += a[i * J + j] * b[j * K + k] * c[k * L + l];
                want[i * L + l] = s;
            }
        ein_check("chain", &y, want, I * L);
        free(y.data);
    }
    /* int64 and the errors */
    int64_t v[3] = { 1, 2, 3 };
    or_tensor ti = kh_tensor(ONNXRUN_INT64, KH_DIMS(3), v), y;
    or_tensor *insi[] = { &ti, &ti };
    assert_int_equal(ein_run("i,i", insi, 2, &y, msg, sizeof msg), ONNXRUN_OK);
    assert_int_equal(((int64_t *)y.data)[0], 14);
    free(y.data);
    or_tensor tm = kh_tensor(ONNXRUN_INT64, KH_DIMS(2), v);
    or_tensor *insm[] = { &ti, &tm };
    assert_int_equal(ein_run("i,i->", insm, 2, &y, msg, sizeof msg), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(msg, "label 'i'"));
    free(y.data);
    assert_int_equal(ein_run("i->j", insi, 1, &y, msg, sizeof msg), ONNXRUN_E_INVALID);
    free(y.data);
    assert_int_equal(ein_run("ij->i", insi, 1, &y, msg, sizeof msg), ONNXRUN_E_INVALID); /* rank */
    free(y.data);
    assert_int_equal(ein_run("i", insi, 2, &y, msg, sizeof msg), ONNXRUN_E_INVALID); /* terms */
    free(y.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_combinations),
        cmocka_unit_test(test_gemm_errors),
        cmocka_unit_test(test_gemm_double_and_empty),
        cmocka_unit_test(test_macs),
        cmocka_unit_test(test_gemm_large_fc),
        cmocka_unit_test(test_gemm_epilogue),
        cmocka_unit_test(test_gemv_threads),
        cmocka_unit_test(test_matmul_shapes),
        cmocka_unit_test(test_matmul_errors),
        cmocka_unit_test(test_det),
        cmocka_unit_test(test_einsum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
