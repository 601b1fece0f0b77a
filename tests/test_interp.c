/*
 * test_interp.c - the interpreter through the public API on models built in
 * memory: schedule order, cycles, dead nodes, unsupported ops, opset
 * resolution, shape inference and re-planning, API error paths, the arena
 * planner (no overlap of live buffers; in-place and views), its fusion
 * rules (which Add / activation nodes fold into a Conv), and several
 * sessions on one model from several threads.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops/isa.h"
#include "interp/interp.h"
#include "onnxrun.h"
#include "tests/model_builder.h"

static onnxrun_model *load_mb(mb *b, onnxrun_status want)
{
    size_t len;
    uint8_t *buf = mb_pack(b, &len);
    onnxrun_model *m = NULL;
    onnxrun_status st = onnxrun_model_load_buffer(buf, len, "mem.onnx", NULL, &m);
    free(buf);
    mb_free(b);
    if (st != want) fprintf(stderr, "load: %s\n", onnxrun_model_error(m));
    assert_int_equal(st, want);
    return m;
}

/* x -> Relu -> a -> Neg -> b -> Relu -> y, nodes written in reverse order */
static void test_schedule_order(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 });
    mb_node(&b, "Relu", "third", "b", "y");
    mb_node(&b, "Neg", "second", "a", "b");
    mb_node(&b, "Relu", "first", "x", "a");
    mb_node(&b, "Relu", "dead", "x", "unused"); /* feeds no output */
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    assert_int_equal(onnxrun_session_node_count(s), 3);
    const char *want[] = { "first", "second", "third" };
    for (size_t i = 0; i < 3; i++) {
        onnxrun_node_info ni;
        assert_int_equal(onnxrun_session_node(s, i, &ni), ONNXRUN_OK);
        assert_string_equal(ni.name, want[i]);
        assert_int_equal(ni.output.rank, 2);
        assert_int_equal(ni.output.dims[1], 3);
    }
    float x[6] = { -1, 2, -3, 4, -5, 6 };
    onnxrun_tensor in = { ONNXRUN_FLOAT, 2, { 2, 3 }, x }, out;
    const char *iname = "x";
    assert_int_equal(onnxrun_session_run(s, 1, &iname, &in, 1, NULL, &out), ONNXRUN_OK);
    for (int i = 0; i < 6; i++) assert_true(((float *)out.data)[i] == 0.0f); /* relu(-relu(x)) */
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* ties between independent nodes keep file order */
static void test_schedule_ties(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 1, (int64_t[]){ 4 });
    mb_node(&b, "Add", "join", "p,q", "y");
    mb_node(&b, "Relu", "p_node", "x", "p");
    mb_node(&b, "Neg", "q_node", "x", "q");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    onnxrun_node_info a, c;
    onnxrun_session_node(s, 0, &a);
    onnxrun_session_node(s, 1, &c);
    assert_string_equal(a.name, "p_node");
    assert_string_equal(c.name, "q_node");
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

static void test_cycle(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 1, (int64_t[]){ 4 });
    mb_node(&b, "Add", "a", "x,c", "b");
    mb_node(&b, "Relu", "loop", "b", "c");
    mb_output(&b, "c", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_E_INVALID);
    assert_non_null(strstr(onnxrun_model_error(m), "cycle"));
    assert_non_null(strstr(onnxrun_model_error(m), "mem.onnx"));
    onnxrun_model_free(m);
}

static void test_unsupported_listed_together(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 1, (int64_t[]){ 4 });
    mb_node(&b, "FrobnicateA", "n1", "x", "a");
    mb_node(&b, "FrobnicateB", "n2", "a", "b");
    mb_node(&b, "FrobnicateA", "n3", "b", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_E_UNSUPPORTED);
    const char *e = onnxrun_model_error(m);
    assert_non_null(strstr(e, "FrobnicateA"));
    assert_non_null(strstr(e, "FrobnicateB"));
    assert_null(strstr(strstr(e, "FrobnicateA") + 1, "FrobnicateA")); /* each pair once */
    onnxrun_model_free(m);
}

static void test_registry_resolution(void **state)
{
    (void)state;
    const or_op_def *d13 = or_op_find("", "Softmax", 13), *d11 = or_op_find("", "Softmax", 11);
    assert_non_null(d13);
    assert_non_null(d11);
    assert_true(d13->since <= 13 && d11->since <= 11);
    assert_true(d13->since > d11->since); /* opset 13 changed Softmax's semantics */
    assert_null(or_op_find("", "Relu", 0));
    assert_null(or_op_find("", "NoSuchOp", 13));
    assert_true(or_op_known("", "Conv"));
    /* every entry names an op and has infer and run */
    for (size_t i = 0; i < or_op_count(); i++) {
        const or_op_def *d = or_op_at(i);
        assert_non_null(d->op_type);
        if (!strncmp(d->op_type, "__none", 6)) continue;
        /* inside the versions the loader accepts (graph.h) */
        if (!d->domain[0]) assert_true(d->since >= OR_OPSET_MIN && d->since <= OR_OPSET_MAX);
        assert_non_null(d->infer);
        assert_non_null(d->run);
        /* its AVX2 compile (ops/variant.h): the same op, other code; and back */
        const or_op_def *v = or_op_variant(d, ONNXRUN_ISA_AVX2);
        assert_string_equal(v->op_type, d->op_type);
        assert_int_equal(v->since, d->since);
        assert_int_equal(v->params_size, d->params_size);
        if (or_isa_cpu() >= ONNXRUN_ISA_AVX2) assert_true(v != d && v->run != d->run);
        assert_ptr_equal(or_op_variant(v, ONNXRUN_ISA_PORTABLE), d);
        assert_ptr_equal(or_op_variant(d, ONNXRUN_ISA_PORTABLE), d);
    }
}

/* symbolic batch: plans at the first run, re-plans for another batch */
static void test_replan_batch(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ -1, 3 });
    float w[3] = { 1, 2, 3 };
    mb_init_raw(&b, "w", ONNXRUN_FLOAT, 1, (int64_t[]){ 3 }, w, sizeof w);
    mb_node(&b, "Mul", "m", "x,w", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    assert_int_equal(onnxrun_model_input_count(m), 1);
    onnxrun_value_info vi;
    assert_int_equal(onnxrun_model_input(m, 0, &vi), ONNXRUN_OK);
    assert_int_equal(vi.dims[0], -1);
    assert_string_equal(vi.dim_names[0], "N");
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    const char *iname = "x";
    for (int batch = 1; batch <= 4; batch += 3) {
        float x[12];
        for (int i = 0; i < batch * 3; i++) x[i] = (float)i;
        onnxrun_tensor in = { ONNXRUN_FLOAT, 2, { batch, 3 }, x }, out;
        assert_int_equal(onnxrun_session_run(s, 1, &iname, &in, 1, NULL, &out), ONNXRUN_OK);
        assert_int_equal(out.dims[0], batch);
        for (int i = 0; i < batch * 3; i++) assert_true(((float *)out.data)[i] == x[i] * w[i % 3]);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

static void test_api_errors(void **state)
{
    (void)state;
    onnxrun_model *m = NULL;
    assert_int_equal(onnxrun_model_load_file("/nonexistent/model.onnx", NULL, &m), ONNXRUN_E_IO);
    assert_non_null(strstr(onnxrun_model_error(m), "/nonexistent/model.onnx"));
    onnxrun_model_free(m);
    assert_int_equal(onnxrun_model_load_file(NULL, NULL, NULL), ONNXRUN_E_ARG);
    assert_int_equal(onnxrun_model_load_buffer("\xff\xff\xff", 3, "junk", NULL, &m), ONNXRUN_E_PARSE);
    assert_non_null(strstr(onnxrun_model_error(m), "junk"));
    onnxrun_session *s = NULL;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_E_ARG); /* failed model */
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    onnxrun_model_free(NULL);
    onnxrun_session_free(NULL);
    onnxrun_tensor_release(NULL);

    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ 1, 3 });
    mb_node(&b, "Relu", "r", "x", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    m = load_mb(&b, ONNXRUN_OK);
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    float x[3] = { 1, 2, 3 };
    int64_t xi[3] = { 1, 2, 3 };
    onnxrun_tensor out, ok = { ONNXRUN_FLOAT, 2, { 1, 3 }, x };
    onnxrun_tensor wrong_shape = { ONNXRUN_FLOAT, 2, { 1, 4 }, x };
    onnxrun_tensor wrong_type = { ONNXRUN_INT64, 2, { 1, 3 }, xi };
    onnxrun_tensor wrong_rank = { ONNXRUN_FLOAT, 1, { 3 }, x };
    onnxrun_tensor no_data = { ONNXRUN_FLOAT, 2, { 1, 3 }, NULL };
    const char *xn = "x", *bad = "z", *yn = "y";
    assert_int_equal(onnxrun_session_run(s, 0, NULL, NULL, 1, NULL, &out), ONNXRUN_E_ARG);
    assert_non_null(strstr(onnxrun_session_error(s), "'x' is missing"));
    assert_int_equal(onnxrun_session_run(s, 1, &bad, &ok, 1, NULL, &out), ONNXRUN_E_ARG);
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &wrong_shape, 1, NULL, &out), ONNXRUN_E_SHAPE);
    assert_non_null(strstr(onnxrun_session_error(s), "dim 1 is 4"));
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &wrong_type, 1, NULL, &out), ONNXRUN_E_ARG);
    assert_non_null(strstr(onnxrun_session_error(s), "int64"));
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &wrong_rank, 1, NULL, &out), ONNXRUN_E_SHAPE);
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &no_data, 1, NULL, &out), ONNXRUN_E_ARG);
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &ok, 1, &bad, &out), ONNXRUN_E_ARG);
    assert_non_null(strstr(onnxrun_session_error(s), "no output named 'z'"));
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &ok, 2, NULL, &out), ONNXRUN_E_ARG);
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &ok, 1, &yn, &out), ONNXRUN_OK);
    onnxrun_tensor copy;
    assert_int_equal(onnxrun_tensor_clone(&out, &copy), ONNXRUN_OK);
    assert_true(((float *)copy.data)[2] == 3.0f);
    onnxrun_tensor_release(&copy);
    assert_null(copy.data);
    assert_int_equal(onnxrun_session_set_input_shape(s, "nope", 2, (int64_t[]){ 1, 3 }), ONNXRUN_E_ARG);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* random lifetimes: buffers alive at the same step never overlap */
static void test_plan_offsets_no_overlap(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + (size_t)(rand() % 60), sizes[60], offs[60], arena, lb;
        int first[60], last[60];
        for (size_t i = 0; i < n; i++) {
            sizes[i] = 64 * (size_t)(1 + rand() % 100);
            first[i] = rand() % 40;
            last[i] = first[i] + rand() % 10;
        }
        assert_int_equal(or_plan_offsets(n, sizes, first, last, offs, &arena, &lb), ONNXRUN_OK);
        assert_true(arena >= lb);
        for (size_t i = 0; i < n; i++) {
            assert_true(offs[i] + sizes[i] <= arena);
            for (size_t j = i + 1; j < n; j++)
                if (first[i] <= last[j] && first[j] <= last[i])
                    assert_true(offs[i] + sizes[i] <= offs[j] || offs[j] + sizes[j] <= offs[i]);
        }
    }
    /* a chain reuses two buffers: arena equals the lower bound */
    size_t sizes[5] = { 640, 640, 640, 640, 640 }, offs[5], arena, lb;
    int first[5] = { 0, 1, 2, 3, 4 }, last[5] = { 1, 2, 3, 4, 5 };
    assert_int_equal(or_plan_offsets(5, sizes, first, last, offs, &arena, &lb), ONNXRUN_OK);
    assert_int_equal(arena, lb);
    assert_int_equal(arena, 1280);
}

/* elementwise chains run in place; Reshape is a view */
static void test_inplace_and_views(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ 4, 256 });
    int64_t shp[2] = { 256, 4 };
    mb_init_raw(&b, "shape", ONNXRUN_INT64, 1, (int64_t[]){ 2 }, shp, sizeof shp);
    mb_node(&b, "Relu", "r1", "x", "a");
    mb_node(&b, "Neg", "n1", "a", "c");
    mb_node(&b, "Reshape", "v", "c,shape", "d");
    mb_node(&b, "Relu", "r2", "d", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    onnxrun_memory_info mi;
    assert_int_equal(onnxrun_session_memory(s, &mi), ONNXRUN_OK);
    assert_int_equal(mi.arena_bytes, 4 * 256 * sizeof(float)); /* one buffer for the whole chain */
    assert_int_equal(mi.weights_bytes, sizeof shp);
    float x[1024];
    for (int i = 0; i < 1024; i++) x[i] = (float)(i % 7) - 3;
    onnxrun_tensor in = { ONNXRUN_FLOAT, 2, { 4, 256 }, x }, out;
    const char *xn = "x";
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &in, 1, NULL, &out), ONNXRUN_OK);
    assert_int_equal(out.dims[0], 256);
    for (int i = 0; i < 1024; i++) assert_true(((float *)out.data)[i] == 0.0f);
    assert_true(((float *)x)[3] == 0.0f); /* the caller's input is never written */
    assert_true(((float *)x)[6] == 3.0f);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* Reshape whose shape is a graph input: planned with the input values */
static void test_shape_from_input(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 3 });
    mb_input(&b, "s", ONNXRUN_INT64, 1, (int64_t[]){ 2 });
    mb_node(&b, "Reshape", "v", "x,s", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    float x[6] = { 0, 1, 2, 3, 4, 5 };
    for (int k = 0; k < 2; k++) {
        int64_t shp[2] = { k ? 6 : 3, k ? 1 : 2 };
        onnxrun_tensor in[2] = { { ONNXRUN_FLOAT, 2, { 2, 3 }, x }, { ONNXRUN_INT64, 1, { 2 }, shp } }, out;
        const char *names[2] = { "x", "s" };
        assert_int_equal(onnxrun_session_run(s, 2, names, in, 1, NULL, &out), ONNXRUN_OK);
        assert_int_equal(out.dims[0], shp[0]);
        assert_int_equal(out.dims[1], shp[1]);
        assert_true(((float *)out.data)[5] == 5.0f);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* A shape from a computed value: Range's limit is ReduceMax(Reshape(x,
 * s)). The Reshape needs the input s at planning, so the first plan with
 * data only finds Range's need there; the Reshape and ReduceMax steps then
 * become eager (run at planning from each run's data) and the plan is
 * retried. Range's length follows the values, and the branch that does
 * not depend on them (Relu of z) still runs from the arena. */
static void test_shape_from_computed_value(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    float zero = 0, one = 1;
    mb_input(&b, "x", ONNXRUN_FLOAT, 1, (int64_t[]){ 4 });
    mb_input(&b, "z", ONNXRUN_FLOAT, 1, (int64_t[]){ 3 });
    mb_input(&b, "s", ONNXRUN_INT64, 1, (int64_t[]){ 2 });
    mb_init_raw(&b, "zero", ONNXRUN_FLOAT, 0, NULL, &zero, sizeof zero);
    mb_init_raw(&b, "one", ONNXRUN_FLOAT, 0, NULL, &one, sizeof one);
    mb_node(&b, "Reshape", "rs", "x,s", "xr");
    Onnx__NodeProto *rm = mb_node(&b, "ReduceMax", "mx", "xr", "m");
    mb_attr_int(&b, rm, "keepdims", 0);
    mb_node(&b, "Range", "rg", "zero,m,one", "r");
    mb_node(&b, "Relu", "rl", "z", "zr");
    mb_output(&b, "r", ONNXRUN_FLOAT);
    mb_output(&b, "zr", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    if (onnxrun_session_create(m, NULL, &s) != ONNXRUN_OK) fail_msg("%s", onnxrun_session_error(s));
    static const float maxima[] = { 3.0f, 5.5f, 0.0f, 2.0f };
    for (int k = 0; k < 4; k++) {
        float x[4] = { -1, maxima[k], -0.5f, -7 }, z[3] = { -1, 2, -3 };
        int64_t shp[2] = { 2, 2 };
        onnxrun_tensor in[3] = { { ONNXRUN_FLOAT, 1, { 4 }, x }, { ONNXRUN_FLOAT, 1, { 3 }, z },
                                 { ONNXRUN_INT64, 1, { 2 }, shp } }, out[2];
        const char *names[3] = { "x", "z", "s" };
        if (onnxrun_session_run(s, 3, names, in, 2, NULL, out) != ONNXRUN_OK)
            fail_msg("run %d: %s", k, onnxrun_session_error(s));
        int64_t len = (int64_t)ceilf(maxima[k]);
        assert_int_equal(out[0].rank, 1);
        assert_int_equal(out[0].dims[0], len);
        for (int64_t i = 0; i < len; i++) assert_true(((float *)out[0].data)[i] == (float)i);
        assert_true(((float *)out[1].data)[1] == 2.0f && ((float *)out[1].data)[0] == 0.0f);
    }
    onnxrun_node_info info;
    for (size_t i = 0; i < onnxrun_session_node_count(s); i++) {
        assert_int_equal(onnxrun_session_node(s, i, &info), ONNXRUN_OK);
        if (!strcmp(info.op_type, "ReduceMax")) assert_true(info.folded);
        if (!strcmp(info.op_type, "Relu")) assert_false(info.folded);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* float16 / bfloat16: held as float32 inside, converted at the edges. A
 * half input may be given as float16 or as float; a half output comes
 * back as float16; Cast to bfloat16 rounds to nearest even. */
static void test_half_types(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    uint16_t w[4] = { 0x3400, 0x3c00, 0xc000, 0x0001 }; /* 0.25, 1, -2, 2^-24 */
    mb_input(&b, "x", ONNXRUN_FLOAT16, 1, (int64_t[]){ 4 });
    mb_input(&b, "z", ONNXRUN_FLOAT, 1, (int64_t[]){ 4 });
    mb_init_raw(&b, "w", ONNXRUN_FLOAT16, 1, (int64_t[]){ 4 }, w, sizeof w);
    mb_node(&b, "Add", "add", "x,w", "s");
    mb_attr_int(&b, mb_node(&b, "Cast", "c1", "z", "zb"), "to", ONNXRUN_BFLOAT16);
    mb_attr_int(&b, mb_node(&b, "Cast", "c2", "zb", "zr"), "to", ONNXRUN_FLOAT);
    mb_output(&b, "s", ONNXRUN_FLOAT16);
    mb_output(&b, "zr", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    if (onnxrun_session_create(m, NULL, &s) != ONNXRUN_OK) fail_msg("%s", onnxrun_session_error(s));
    /* z: halfway cases of bfloat16 (7 mantissa bits) go to the even one */
    float z[4] = { 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 3.0f, -2.5f - 0x1p-10f };
    const float z_want[4] = { 1.0f, 1.0f + 0x1p-6f, 3.0f, -2.5f };
    uint16_t xh[4] = { 0x3c00, 0x4000, 0x3800, 0x0001 };  /* 1, 2, 0.5, 2^-24 */
    float xf[4] = { 1, 2, 0.5f, 0x1p-24f };
    const uint16_t s_want[4] = { 0x3d00, 0x4200, 0xbe00, 0x0002 }; /* 1.25, 3, -1.5, 2^-23 */
    for (int as_float = 0; as_float < 2; as_float++) {
        onnxrun_tensor in[2] = { { as_float ? ONNXRUN_FLOAT : ONNXRUN_FLOAT16, 1, { 4 }, as_float ? (void *)xf : (void *)xh },
                                 { ONNXRUN_FLOAT, 1, { 4 }, z } }, out[2];
        const char *names[2] = { "x", "z" };
        if (onnxrun_session_run(s, 2, names, in, 2, NULL, out) != ONNXRUN_OK) fail_msg("%s", onnxrun_session_error(s));
        assert_int_equal(out[0].dtype, ONNXRUN_FLOAT16);
        assert_memory_equal(out[0].data, s_want, sizeof s_want);
        assert_int_equal(out[1].dtype, ONNXRUN_FLOAT);
        for (int i = 0; i < 4; i++) assert_true(((float *)out[1].data)[i] == z_want[i]);
        float back[4];
        assert_int_equal(onnxrun_tensor_to_float(&out[0], back), ONNXRUN_OK);
        assert_true(back[0] == 1.25f && back[1] == 3.0f && back[2] == -1.5f && back[3] == 0x1p-23f);
    }
    /* another type for a half input is refused */
    int32_t xi[4] = { 0 };
    onnxrun_tensor bad[2] = { { ONNXRUN_INT32, 1, { 4 }, xi }, { ONNXRUN_FLOAT, 1, { 4 }, z } }, out[2];
    const char *names[2] = { "x", "z" };
    assert_int_equal(onnxrun_session_run(s, 2, names, bad, 2, NULL, out), ONNXRUN_E_ARG);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* A chain of n MatMuls by one [d, d] weight (scaled so values stay finite). */
static onnxrun_model *matmul_chain(int n, int64_t d)
{
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ d, d });
    float *w = malloc((size_t)(d * d) * sizeof *w);
    for (int64_t i = 0; i < d * d; i++) w[i] = (i % 7 == 0 ? 1.0f : 0.0f) / (float)(d / 7 + 1);
    mb_init_raw(&b, "w", ONNXRUN_FLOAT, 2, (int64_t[]){ d, d }, w, (size_t)(d * d) * sizeof *w);
    free(w);
    char in[32] = "x", out[32];
    for (int i = 0; i < n; i++) {
        snprintf(out, sizeof out, i == n - 1 ? "y" : "t%d", i);
        char ins[80], nm[32];
        snprintf(ins, sizeof ins, "%s,w", in);
        snprintf(nm, sizeof nm, "mm%d", i);
        mb_node(&b, "MatMul", nm, ins, out);
        strcpy(in, out);
    }
    mb_output(&b, "y", ONNXRUN_FLOAT);
    return load_mb(&b, ONNXRUN_OK);
}

typedef struct cancel_job {
    onnxrun_session *s;
    onnxrun_status st;
    double ms;          /* from the cancel to the run's return */
    float *x;
    int64_t d;
} cancel_job;

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *cancel_runner(void *arg)
{
    cancel_job *j = arg;
    const char *name = "x";
    onnxrun_tensor in = { ONNXRUN_FLOAT, 2, { j->d, j->d }, j->x }, out;
    j->st = onnxrun_session_run(j->s, 1, &name, &in, 1, NULL, &out);
    return NULL;
}

/* onnxrun_session_cancel: before a run (that run stops at once, the next
 * works), and from another thread during a long run (it stops at the next
 * node); the compute limit refuses a plan before anything runs. */
static void test_cancel_and_compute_limit(void **state)
{
    (void)state;
    const int64_t d = 448;
    const int n = 200; /* 200 products of 90M multiply-adds (the builder holds 256 nodes) */
    onnxrun_model *m = matmul_chain(n, d);
    onnxrun_session_options o = { .threads = 1 };
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, &o, &s), ONNXRUN_OK);
    float *x = calloc((size_t)(d * d), sizeof *x);
    for (int64_t i = 0; i < d; i++) x[i * d + i] = 1;
    cancel_job j = { .s = s, .x = x, .d = d };
    /* a cancel with no run in progress stops the next run, and only that one */
    assert_int_equal(onnxrun_session_cancel(s), ONNXRUN_OK);
    cancel_runner(&j);
    assert_int_equal(j.st, ONNXRUN_E_CANCELLED);
    assert_non_null(strstr(onnxrun_session_error(s), "cancelled before node 'mm0'"));
    double t0 = mono_ms();
    cancel_runner(&j);
    double full = mono_ms() - t0;
    assert_int_equal(j.st, ONNXRUN_OK);
    /* from another thread, mid-run */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_runner, &j), 0);
    struct timespec wait = { 0, (long)(full / 4 * 1e6) };
    nanosleep(&wait, NULL);
    t0 = mono_ms();
    assert_int_equal(onnxrun_session_cancel(s), ONNXRUN_OK);
    pthread_join(th, NULL);
    j.ms = mono_ms() - t0;
    print_message("cancel: a full run takes %.0f ms; cancelled a quarter in, it returned %.2f ms after the cancel\n",
                  full, j.ms);
    assert_int_equal(j.st, ONNXRUN_E_CANCELLED);
    assert_true(j.ms < full / 2);
    cancel_runner(&j); /* usable afterwards */
    assert_int_equal(j.st, ONNXRUN_OK);
    onnxrun_session_free(s);
    /* the compute limit: this plan needs n * d^3 multiply-adds */
    o.max_macs = (uint64_t)n * (uint64_t)(d * d * d) - 1;
    assert_int_equal(onnxrun_session_create(m, &o, &s), ONNXRUN_E_LIMIT);
    assert_non_null(strstr(onnxrun_session_error(s), "compute limit"));
    onnxrun_session_free(s);
    o.max_macs += 1;
    assert_int_equal(onnxrun_session_create(m, &o, &s), ONNXRUN_OK);
    onnxrun_session_free(s);
    free(x);
    onnxrun_model_free(m);
}

/* inception-like branches: Concat on channels becomes slices, no copy */
static void test_concat_slices(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 4, (int64_t[]){ 1, 2, 4, 4 });
    mb_node(&b, "Relu", "b1", "x", "p");
    mb_node(&b, "Neg", "b2", "x", "q");
    mb_node(&b, "Relu", "b2r", "q", "q2");
    mb_node(&b, "Sigmoid", "b3", "x", "r");
    Onnx__NodeProto *c = mb_node(&b, "Concat", "cat", "p,q2,r", "y0");
    mb_attr_int(&b, c, "axis", 1);
    mb_node(&b, "Neg", "after", "y0", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    onnxrun_memory_info mi;
    assert_int_equal(onnxrun_session_memory(s, &mi), ONNXRUN_OK);
    assert_int_equal(mi.arena_bytes, 6 * 16 * sizeof(float)); /* the concat output only */
    assert_int_equal(onnxrun_session_plan_count(s), 1); /* the final Neg runs in place on it too */
    onnxrun_plan_entry e0, e1;
    assert_int_equal(onnxrun_session_plan_entry(s, 0, &e0), ONNXRUN_OK);
    assert_int_equal(onnxrun_session_plan_entry(s, 1, &e1), ONNXRUN_E_ARG);
    assert_int_equal(e0.first, 0); /* the first branch writes into it */
    assert_true(e0.bytes == 6 * 16 * sizeof(float));
    assert_true(mi.arena_bytes <= mi.lower_bound_bytes);
    float x[32];
    for (int i = 0; i < 32; i++) x[i] = (float)(i % 5) - 2;
    onnxrun_tensor in = { ONNXRUN_FLOAT, 4, { 1, 2, 4, 4 }, x }, out;
    const char *xn = "x";
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &in, 1, NULL, &out), ONNXRUN_OK);
    assert_int_equal(out.dims[1], 6);
    const float *y = out.data;
    for (int i = 0; i < 32; i++) {
        float relu = x[i] > 0 ? x[i] : 0, nrelu = -x[i] > 0 ? -x[i] : 0;
        float sig = 1.0f / (1.0f + expf(-x[i]));
        assert_float_equal(y[i], -relu, 1e-6);
        assert_float_equal(y[32 + i], -nrelu, 1e-6);
        assert_float_equal(y[64 + i], -sig, 1e-6);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* DenseNet-like block: every Concat is a prefix of the last one's buffer */
static void test_dense_block_prefixes(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 4, (int64_t[]){ 1, 2, 4, 4 });
    mb_node(&b, "Sigmoid", "stem", "x", "x0");
    mb_node(&b, "Neg", "l1", "x0", "f1");
    Onnx__NodeProto *c1 = mb_node(&b, "Concat", "cat1", "x0,f1", "c1");
    mb_attr_int(&b, c1, "axis", 1);
    Onnx__NodeProto *r2 = mb_node(&b, "ReduceMean", "l2", "c1", "f2");
    mb_attr_ints(&b, r2, "axes", 1, (int64_t[]){ 1 });
    Onnx__NodeProto *c2 = mb_node(&b, "Concat", "cat2", "x0,f1,f2", "c2");
    mb_attr_int(&b, c2, "axis", 1);
    mb_node(&b, "Relu", "tail", "c2", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    onnxrun_memory_info mi;
    assert_int_equal(onnxrun_session_memory(s, &mi), ONNXRUN_OK);
    assert_int_equal(mi.arena_bytes, 5 * 16 * sizeof(float)); /* just cat2's buffer */
    float x[32];
    for (int i = 0; i < 32; i++) x[i] = (float)(i % 9) - 4;
    onnxrun_tensor in = { ONNXRUN_FLOAT, 4, { 1, 2, 4, 4 }, x }, out;
    const char *xn = "x";
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &in, 1, NULL, &out), ONNXRUN_OK);
    assert_int_equal(out.dims[1], 5);
    const float *y = out.data;
    for (int p = 0; p < 16; p++) {
        float a = 1.0f / (1.0f + expf(-x[p])), c = 1.0f / (1.0f + expf(-x[16 + p]));
        float mean = (a + c - a - c) / 4.0f; /* channels x0 (2) and f1 = -x0 (2) */
        assert_float_equal(y[p], a, 1e-6);
        assert_float_equal(y[16 + p], c, 1e-6);
        assert_float_equal(y[32 + p], 0.0f, 1e-6);     /* relu(-a) */
        assert_float_equal(y[48 + p], 0.0f, 1e-6);
        assert_float_equal(y[64 + p], mean > 0 ? mean : 0.0f, 1e-6);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* a view with a second output (Dropout's mask) still runs for the mask */
static void test_view_with_mask(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ 2, 8 });
    mb_node(&b, "Relu", "r", "x", "a");
    mb_node(&b, "Dropout", "d", "a", "y,mask");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    mb_output(&b, "mask", ONNXRUN_BOOL);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    onnxrun_session *s;
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)i - 8;
    onnxrun_tensor in = { ONNXRUN_FLOAT, 2, { 2, 8 }, x }, out[2];
    const char *xn = "x";
    assert_int_equal(onnxrun_session_run(s, 1, &xn, &in, 2, NULL, out), ONNXRUN_OK);
    assert_int_equal(out[1].dtype, ONNXRUN_BOOL);
    for (int i = 0; i < 16; i++) {
        assert_true(((float *)out[0].data)[i] == (x[i] > 0 ? x[i] : 0));
        assert_int_equal(((uint8_t *)out[1].data)[i], 1);
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

typedef struct thread_job {
    const onnxrun_model *m;
    int id, failures;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    onnxrun_session *s;
    onnxrun_session_options o = { .threads = 1 };
    if (onnxrun_session_create(j->m, &o, &s)) j->failures++;
    const char *xn = "x";
    for (int it = 0; it < 200 && !j->failures; it++) {
        float x[3] = { (float)j->id, (float)-it, 2 };
        onnxrun_tensor in = { ONNXRUN_FLOAT, 2, { 1, 3 }, x }, out;
        if (onnxrun_session_run(s, 1, &xn, &in, 1, NULL, &out)) j->failures++;
        else {
            const float *y = out.data;
            if (y[0] != (float)j->id * 2 || y[1] != 0 || y[2] != 4) j->failures++;
        }
    }
    onnxrun_session_free(s);
    return NULL;
}

/* one model, four sessions on four threads */
static void test_threads(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ 1, 3 });
    mb_node(&b, "Relu", "r", "x", "a");
    mb_node(&b, "Add", "d", "a,a", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){ m, i, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    onnxrun_model_free(m);
}

/* ---- the planner's fusion rules (plan.c fuse_epilogues) ----
 * y = Conv1x1(x) (4 channels, 3x3 image), then a chain. Each case says
 * which chain nodes the planner must fuse into the Conv, and the output is
 * checked against the naive conv and the unfused ops. */
typedef struct fuse_case {
    const char *what;
    int opset;
    const char *chain;   /* "relu", "add_relu", "clip_const", "clip_input", "leaky",
                          * "sigmoid", "shared", "add_bcast" */
    int fused[3];        /* expected fused flag of chain nodes 0, 1, 2 */
} fuse_case;

static float fuse_ref(const fuse_case *t, const float *x, const float *w, int o, int c)
{
    /* o: output channel, c: pixel */
    double v = 0;
    for (int i = 0; i < 4; i++) v += (double)w[o * 4 + i] * x[i * 9 + c];
    const char *ch = t->chain;
    if (!strcmp(ch, "relu")) return v > 0 ? (float)v : 0.0f;
    if (!strcmp(ch, "add_relu")) { v += x[o * 9 + c]; return v > 0 ? (float)v : 0.0f; }
    if (!strcmp(ch, "clip_const") || !strcmp(ch, "clip_input")) return (float)fmin(fmax(v, -0.25), 0.5);
    if (!strcmp(ch, "leaky")) return v < 0 ? (float)(0.2 * v) : (float)v;
    if (!strcmp(ch, "sigmoid")) return (float)(1 / (1 + exp(-v)));
    if (!strcmp(ch, "shared")) return (float)(v > 0 ? v : 0) + (float)v;
    if (!strcmp(ch, "add_bcast")) { v += 1.5; return (float)v; }
    return (float)v;
}

static void test_fusion_rules(void **state)
{
    (void)state;
    static const fuse_case cases[] = {
        { "Relu after Conv", 13, "relu", { 1 } },
        { "residual Add then Relu", 13, "add_relu", { 1, 1 } },
        { "Clip with constant bounds (opset 13 inputs)", 13, "clip_const", { 1 } },
        { "Clip with legacy attribute bounds (opset 6)", 6, "clip_const", { 1 } },
        { "Clip whose bound is a graph input: not fused", 13, "clip_input", { 0 } },
        { "LeakyRelu", 13, "leaky", { 1 } },
        { "Sigmoid is no epilogue", 13, "sigmoid", { 0 } },
        { "Conv output read twice: nothing fused", 13, "shared", { 0, 0 } },
        { "Add of a broadcast scalar is no residual", 13, "add_bcast", { 0 } },
        { "Add at opset 6 (legacy broadcast) is no residual", 6, "add_relu", { 0, 0 } },
    };
    float x[36], w[16], lo = -0.25f, hi = 0.5f, one5 = 1.5f;
    for (int i = 0; i < 36; i++) x[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
    for (int i = 0; i < 16; i++) w[i] = (float)((i * 11) % 7) / 6.0f - 0.5f;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const fuse_case *t = &cases[ci];
        mb b;
        mb_init(&b, t->opset);
        mb_input(&b, "x", ONNXRUN_FLOAT, 4, (int64_t[]){ 1, 4, 3, 3 });
        mb_init_raw(&b, "w", ONNXRUN_FLOAT, 4, (int64_t[]){ 4, 4, 1, 1 }, w, sizeof w);
        mb_node(&b, "Conv", "conv", "x,w", "c");
        const char *ch = t->chain;
        bool with_lo_input = !strcmp(ch, "clip_input");
        if (with_lo_input) mb_input(&b, "lo", ONNXRUN_FLOAT, 0, NULL);
        if (!strcmp(ch, "relu")) {
            mb_node(&b, "Relu", "n0", "c", "y");
        } else if (!strcmp(ch, "add_relu")) {
            mb_node(&b, "Add", "n0", "c,x", "s");
            mb_node(&b, "Relu", "n1", "s", "y");
        } else if (!strcmp(ch, "clip_const") || with_lo_input) {
            if (t->opset < 11) {
                Onnx__NodeProto *n = mb_node(&b, "Clip", "n0", "c", "y");
                mb_attr_float(&b, n, "min", lo);
                mb_attr_float(&b, n, "max", hi);
            } else {
                if (!with_lo_input) mb_init_raw(&b, "lo", ONNXRUN_FLOAT, 0, NULL, &lo, sizeof lo);
                mb_init_raw(&b, "hi", ONNXRUN_FLOAT, 0, NULL, &hi, sizeof hi);
                mb_node(&b, "Clip", "n0", "c,lo,hi", "y");
            }
        } else if (!strcmp(ch, "leaky")) {
            mb_attr_float(&b, mb_node(&b, "LeakyRelu", "n0", "c", "y"), "alpha", 0.2f);
        } else if (!strcmp(ch, "sigmoid")) {
            mb_node(&b, "Sigmoid", "n0", "c", "y");
        } else if (!strcmp(ch, "shared")) {
            mb_node(&b, "Relu", "n0", "c", "r");
            mb_node(&b, "Add", "n1", "r,c", "y");
        } else if (!strcmp(ch, "add_bcast")) {
            mb_init_raw(&b, "k", ONNXRUN_FLOAT, 0, NULL, &one5, sizeof one5);
            mb_node(&b, "Add", "n0", "c,k", "y");
        }
        mb_output(&b, "y", ONNXRUN_FLOAT);
        onnxrun_model *m = load_mb(&b, ONNXRUN_OK);
        onnxrun_session *s;
        assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
        onnxrun_tensor in[2] = { { .dtype = ONNXRUN_FLOAT, .rank = 4, .dims = { 1, 4, 3, 3 }, .data = x },
                                 { .dtype = ONNXRUN_FLOAT, .rank = 0, .data = &lo } };
        const char *names[2] = { "x", "lo" }, *out_name = "y";
        onnxrun_tensor y;
        onnxrun_status st = onnxrun_session_run(s, with_lo_input ? 2 : 1, names, in, 1, &out_name, &y);
        if (st) fprintf(stderr, "%s: %s\n", t->what, onnxrun_session_error(s));
        assert_int_equal(st, ONNXRUN_OK);
        /* the fused flags of the chain's nodes, by name */
        for (size_t i = 0; i < onnxrun_session_node_count(s); i++) {
            onnxrun_node_info info;
            assert_int_equal(onnxrun_session_node(s, i, &info), ONNXRUN_OK);
            if (info.name[0] != 'n') {
                assert_false(info.fused);
                continue;
            }
            int idx = info.name[1] - '0';
            if (!!info.fused != t->fused[idx])
                fail_msg("%s: node %s fused %d, want %d", t->what, info.name, info.fused, t->fused[idx]);
        }
        const float *yd = y.data;
        for (int o = 0; o < 4; o++)
            for (int c = 0; c < 9; c++) {
                float want = fuse_ref(t, x, w, o, c), got = yd[o * 9 + c];
                if (fabsf(got - want) > 1e-5f * (1 + fabsf(want)))
                    fail_msg("%s: y[%d][%d] = %g, want %g", t->what, o, c, got, want);
            }
        onnxrun_session_free(s);
        onnxrun_model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_order),
        cmocka_unit_test(test_schedule_ties),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_unsupported_listed_together),
        cmocka_unit_test(test_registry_resolution),
        cmocka_unit_test(test_replan_batch),
        cmocka_unit_test(test_api_errors),
        cmocka_unit_test(test_plan_offsets_no_overlap),
        cmocka_unit_test(test_inplace_and_views),
        cmocka_unit_test(test_shape_from_input),
        cmocka_unit_test(test_shape_from_computed_value),
        cmocka_unit_test(test_half_types),
        cmocka_unit_test(test_cancel_and_compute_limit),
        cmocka_unit_test(test_concat_slices),
        cmocka_unit_test(test_view_with_mask),
        cmocka_unit_test(test_dense_block_prefixes),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_fusion_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
