/*
 * test_loader.c - the loader (loader/): ModelProto -> or_model, tensors
 * (typed fields, raw_data, external data), attributes, validation messages,
 * the malformed corpus in tests/malformed (see tools/make_malformed.py),
 * truncated/flipped bytes, and a failure injected at every allocation.
 *
 * Models are built in memory with protobuf-c's own structs and packed; the
 * base model is  x[N,3] + W[3] (initializer) -> Add 'add0' -> y[?,3].
 * The wire pass (loader/wire.c) is also fed hand-made bytes, and models
 * written to files are loaded mapped, checking which tensors are views
 * into the mapping and which copies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/mman.h>

#include "loader/internal.h"

#define ERR_LEN 1024
#define CONV_DIR "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding"

#define assert_status(expr, want, err) do { \
    or_status st_ = (expr); \
    if (st_ != (want)) \
        fail_msg("status %s (%d), want %s (%d); message: %s", onnxrun_status_name(st_), (int)st_, \
                 onnxrun_status_name(want), (int)(want), (err)); \
} while (0)

#define assert_msg(err, sub) do { \
    if (!strstr((err), (sub))) fail_msg("message \"%s\" lacks \"%s\"", (err), (sub)); \
} while (0)

/* ---- a test model made of protobuf-c structs ---- */

enum { MAX_N = 4, MAX_A = 10 };

typedef struct tm {
    Onnx__ModelProto m;
    Onnx__OperatorSetIdProto os[2], *osp[2];
    Onnx__StringStringEntryProto prop[2], *propp[2];
    Onnx__GraphProto g;
    Onnx__NodeProto node[MAX_N], *nodep[MAX_N];
    char *node_in[MAX_N][3], *node_out[MAX_N][2];
    Onnx__AttributeProto attr[MAX_A], *attrp[MAX_A];
    Onnx__TensorProto init[MAX_N], *initp[MAX_N];
    int64_t init_dims[MAX_N][OR_MAX_RANK + 2];
    Onnx__ValueInfoProto vi[MAX_N], *inp[2], *outp[2];
    Onnx__TypeProto ty[MAX_N];
    Onnx__TypeProto__Tensor tt[MAX_N];
    Onnx__TensorShapeProto sh[MAX_N];
    Onnx__TensorShapeProto__Dimension dim[MAX_N][OR_MAX_RANK + 2], *dimp[MAX_N][OR_MAX_RANK + 2];
    float w[3];
} tm;

/* value info k: float tensor of the given rank; dims < 0 = unknown, params[i] != NULL = symbolic */
static void tm_vi(tm *t, int k, const char *name, int rank, const int64_t *dims, const char *const *params)
{
    Onnx__ValueInfoProto *v = &t->vi[k];
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(&t->ty[k]);
    onnx__type_proto__tensor__init(&t->tt[k]);
    onnx__tensor_shape_proto__init(&t->sh[k]);
    v->name = (char *)name;
    v->type = &t->ty[k];
    t->ty[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->ty[k].tensor_type = &t->tt[k];
    t->tt[k].has_elem_type = 1;
    t->tt[k].elem_type = ONNXRUN_FLOAT;
    t->tt[k].shape = &t->sh[k];
    t->sh[k].n_dim = (size_t)rank;
    t->sh[k].dim = t->dimp[k];
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = &t->dim[k][i];
        onnx__tensor_shape_proto__dimension__init(d);
        if (params && params[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = (char *)params[i];
        } else if (dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        t->dimp[k][i] = d;
    }
}

static void tm_node(tm *t, int k, const char *name, const char *op, const char *in0, const char *in1,
                    const char *out0)
{
    Onnx__NodeProto *n = &t->node[k];
    onnx__node_proto__init(n);
    n->name = (char *)name;
    n->op_type = (char *)op;
    t->node_in[k][0] = (char *)in0;
    t->node_in[k][1] = (char *)in1;
    n->input = t->node_in[k];
    n->n_input = in1 ? 2 : 1;
    t->node_out[k][0] = (char *)out0;
    n->output = t->node_out[k];
    n->n_output = 1;
    t->nodep[k] = n;
}

static void tm_init(tm *t)
{
    memset(t, 0, sizeof *t);
    onnx__model_proto__init(&t->m);
    t->m.has_ir_version = 1;
    t->m.ir_version = 8;
    t->m.producer_name = "test";
    onnx__operator_set_id_proto__init(&t->os[0]);
    t->os[0].domain = "";
    t->os[0].has_version = 1;
    t->os[0].version = 13;
    t->osp[0] = &t->os[0];
    t->osp[1] = &t->os[1];
    t->m.opset_import = t->osp;
    t->m.n_opset_import = 1;
    for (int i = 0; i < 2; i++) {
        onnx__string_string_entry_proto__init(&t->prop[i]);
        t->propp[i] = &t->prop[i];
    }
    t->m.metadata_props = t->propp;
    t->m.graph = &t->g;

    onnx__graph_proto__init(&t->g);
    t->g.name = "g";
    tm_vi(t, 0, "x", 2, (const int64_t[]){ -1, 3 }, (const char *const[]){ "N", NULL });
    tm_vi(t, 1, "y", 2, (const int64_t[]){ -1, 3 }, NULL);
    t->inp[0] = &t->vi[0];
    t->outp[0] = &t->vi[1];
    t->g.input = t->inp;
    t->g.n_input = 1;
    t->g.output = t->outp;
    t->g.n_output = 1;

    Onnx__TensorProto *w = &t->init[0];
    onnx__tensor_proto__init(w);
    w->name = "W";
    w->has_data_type = 1;
    w->data_type = ONNXRUN_FLOAT;
    t->init_dims[0][0] = 3;
    w->dims = t->init_dims[0];
    w->n_dims = 1;
    t->w[0] = 1, t->w[1] = 2, t->w[2] = 3;
    w->float_data = t->w;
    w->n_float_data = 3;
    for (int i = 0; i < MAX_N; i++) t->initp[i] = &t->init[i];
    t->g.initializer = t->initp;
    t->g.n_initializer = 1;

    tm_node(t, 0, "add0", "Add", "x", "W", "y");
    t->g.node = t->nodep;
    t->g.n_node = 1;
    for (int i = 0; i < MAX_A; i++) {
        onnx__attribute_proto__init(&t->attr[i]);
        t->attrp[i] = &t->attr[i];
    }
}

static uint8_t *tm_pack(const tm *t, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&t->m);
    uint8_t *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    assert_int_equal(onnx__model_proto__pack(&t->m, b), *len);
    return b;
}

static or_status tm_load_lim(const tm *t, const char *dir, const or_load_limits *lim, or_model *m, char *err)
{
    size_t len;
    uint8_t *b = tm_pack(t, &len);
    or_status st = or_model_parse(b, len, "mem.onnx", dir, lim, m, err, ERR_LEN);
    free(b);
    if (st) {
        /* a failed parse leaves the model freed */
        assert_null(m->path);
        assert_int_equal(m->graph.n_nodes, 0);
        assert_true(err[0] != 0);
        if (strncmp(err, "mem.onnx: ", 10)) fail_msg("message does not name the file: %s", err);
    }
    return st;
}

static or_status tm_load(const tm *t, or_model *m, char *err)
{
    return tm_load_lim(t, NULL, NULL, m, err);
}

/* Loads t expecting status `want` with `sub` in the message. */
static void tm_expect(const tm *t, or_status want, const char *sub)
{
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(t, &m, err), want, err);
    if (want) assert_msg(err, sub);
    or_model_free(&m);
}

/* Whether p[0..n) lies inside one of m's mappings. */
static bool in_maps(const or_model *m, const void *p, size_t n)
{
    for (size_t i = 0; i < m->n_maps; i++) {
        const uint8_t *a = m->maps[i].addr;
        if ((const uint8_t *)p >= a && (const uint8_t *)p + n <= a + m->maps[i].len) return true;
    }
    return false;
}

/* ---- the base model ---- */

static void test_base_model(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_string_equal(err, "");
    assert_string_equal(m.path, "mem.onnx");
    assert_null(m.dir);
    assert_int_equal(m.ir_version, 8);
    assert_string_equal(m.producer, "test");
    assert_int_equal(or_model_opset(&m, ""), 13);
    assert_int_equal(or_model_opset(&m, "ai.onnx"), 13);
    assert_int_equal(or_model_opset(&m, NULL), 13);
    assert_int_equal(or_model_opset(&m, "com.example"), 0);
    assert_int_equal(m.n_props, 0);

    const or_graph *g = &m.graph;
    assert_string_equal(g->name, "g");
    assert_int_equal(g->n_inputs, 1);
    const or_value_info *x = &g->inputs[0];
    assert_string_equal(x->name, "x");
    assert_int_equal(x->dtype, ONNXRUN_FLOAT);
    assert_int_equal(x->rank, 2);
    assert_int_equal(x->dims[0], -1);
    assert_string_equal(x->dim_param[0], "N");
    assert_int_equal(x->dims[1], 3);
    assert_null(x->dim_param[1]);
    const or_value_info *y = &g->outputs[0];
    assert_string_equal(y->name, "y");
    assert_int_equal(y->dims[0], -1); /* neither dim_value nor dim_param */
    assert_null(y->dim_param[0]);

    assert_int_equal(g->n_inits, 1);
    assert_string_equal(g->inits[0].name, "W");
    assert_int_equal(g->inits[0].t.dtype, ONNXRUN_FLOAT);
    assert_int_equal(g->inits[0].t.rank, 1);
    assert_int_equal(g->inits[0].t.dims[0], 3);
    assert_memory_equal(g->inits[0].t.data, ((float[]){ 1, 2, 3 }), 12);
    assert_int_equal(m.weight_bytes, 12);

    assert_int_equal(g->n_nodes, 1);
    const or_node *n = &g->nodes[0];
    assert_string_equal(n->name, "add0");
    assert_string_equal(n->op_type, "Add");
    assert_string_equal(n->domain, "");
    assert_int_equal(n->index, 0);
    assert_int_equal(n->n_inputs, 2);
    assert_string_equal(n->inputs[0], "x");
    assert_string_equal(n->inputs[1], "W");
    assert_int_equal(n->n_outputs, 1);
    assert_string_equal(n->outputs[0], "y");
    assert_int_equal(n->n_attrs, 0);
    assert_null(or_node_attr(n, "axis"));

    or_model_free(&m);
    assert_null(m.path);
    or_model_free(&m); /* again: safe on a freed model */
    or_model_free(NULL);
}

static void test_initializer_as_input_and_metadata(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    tm_vi(&t, 2, "W", 1, (const int64_t[]){ 3 }, NULL);
    t.inp[1] = &t.vi[2];
    t.g.n_input = 2;
    t.prop[0].key = "author";
    t.prop[0].value = "me";
    t.prop[1].key = "license";
    t.prop[1].value = "";
    t.m.n_metadata_props = 2;
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.graph.n_inputs, 2);
    assert_string_equal(m.graph.inputs[1].name, "W");
    assert_int_equal(m.graph.n_inits, 1);
    assert_string_equal(m.graph.inits[0].name, "W");
    assert_int_equal(m.n_props, 2);
    assert_string_equal(m.props[0].key, "author");
    assert_string_equal(m.props[0].value, "me");
    assert_string_equal(m.props[1].key, "license");
    assert_string_equal(m.props[1].value, "");
    or_model_free(&m);
}

/* ---- tensors: typed fields, raw_data ---- */

static or_status parse_tp(const Onnx__TensorProto *tp, or_tensor *t, char **name, char *err)
{
    size_t n = onnx__tensor_proto__get_packed_size(tp);
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    onnx__tensor_proto__pack(tp, b);
    or_status st = or_tensor_parse(b, n, "t.pb", t, name, err, ERR_LEN);
    free(b);
    if (st) {
        assert_null(t->data);
        if (strncmp(err, "t.pb: ", 6)) fail_msg("message does not name the file: %s", err);
    }
    return st;
}

static Onnx__TensorProto tp_new(int dt, size_t rank, int64_t *dims)
{
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    tp.name = "v";
    tp.has_data_type = 1;
    tp.data_type = dt;
    tp.n_dims = rank;
    tp.dims = dims;
    return tp;
}

/* Parses tp and compares its data with `want` (bytes). */
static void expect_data(const Onnx__TensorProto *tp, const void *want, size_t bytes)
{
    or_tensor t;
    char *name;
    char err[ERR_LEN];
    assert_status(parse_tp(tp, &t, &name, err), ONNXRUN_OK, err);
    assert_string_equal(name, "v");
    assert_int_equal(t.dtype, tp->data_type);
    assert_int_equal(or_nbytes(&t), bytes);
    assert_non_null(t.data);
    if (bytes) assert_memory_equal(t.data, want, bytes);
    free(t.data);
    free(name);
}

static void test_typed_fields(void **state)
{
    (void)state;
    int64_t d3[] = { 3 };
    Onnx__TensorProto tp;

    tp = tp_new(ONNXRUN_FLOAT, 1, d3);
    tp.n_float_data = 3;
    tp.float_data = (float[]){ 1.5f, -2, 3e10f };
    expect_data(&tp, (float[]){ 1.5f, -2, 3e10f }, 12);

    int32_t i32[] = { -1, 127, 256 + 7 };
    tp = tp_new(ONNXRUN_INT32, 1, d3);
    tp.n_int32_data = 3;
    tp.int32_data = i32;
    expect_data(&tp, i32, 12);
    tp.data_type = ONNXRUN_INT8;
    expect_data(&tp, (int8_t[]){ -1, 127, 7 }, 3);
    tp.data_type = ONNXRUN_UINT8;
    expect_data(&tp, (uint8_t[]){ 255, 127, 7 }, 3);
    tp.data_type = ONNXRUN_INT16;
    expect_data(&tp, (int16_t[]){ -1, 127, 263 }, 6);
    tp.data_type = ONNXRUN_UINT16;
    expect_data(&tp, (uint16_t[]){ 65535, 127, 263 }, 6);
    tp.data_type = ONNXRUN_BOOL;
    expect_data(&tp, (uint8_t[]){ 1, 1, 1 }, 3);
    tp.int32_data = (int32_t[]){ 0, 0x3c00, 0xc000 }; /* 0, 1.0, -2.0 as halves */
    tp.data_type = ONNXRUN_FLOAT16;
    expect_data(&tp, (uint16_t[]){ 0, 0x3c00, 0xc000 }, 6);
    tp.data_type = ONNXRUN_BOOL;
    expect_data(&tp, (uint8_t[]){ 0, 1, 1 }, 3);

    tp = tp_new(ONNXRUN_INT64, 1, d3);
    tp.n_int64_data = 3;
    tp.int64_data = (int64_t[]){ INT64_MIN, 0, INT64_MAX };
    expect_data(&tp, ((int64_t[]){ INT64_MIN, 0, INT64_MAX }), 24);

    tp = tp_new(ONNXRUN_DOUBLE, 1, d3);
    tp.n_double_data = 3;
    tp.double_data = (double[]){ 0.1, -1e300, 2 };
    expect_data(&tp, ((double[]){ 0.1, -1e300, 2 }), 24);

    tp = tp_new(ONNXRUN_UINT64, 1, d3);
    tp.n_uint64_data = 3;
    tp.uint64_data = (uint64_t[]){ UINT64_MAX, 1, 1ull << 40 };
    expect_data(&tp, ((uint64_t[]){ UINT64_MAX, 1, 1ull << 40 }), 24);
    tp.data_type = ONNXRUN_UINT32;
    tp.uint64_data = (uint64_t[]){ UINT32_MAX, 1, 77 };
    expect_data(&tp, ((uint32_t[]){ UINT32_MAX, 1, 77 }), 12);

    /* a scalar and an empty tensor */
    tp = tp_new(ONNXRUN_FLOAT, 0, NULL);
    tp.n_float_data = 1;
    tp.float_data = (float[]){ 42 };
    expect_data(&tp, (float[]){ 42 }, 4);
    tp = tp_new(ONNXRUN_INT64, 2, (int64_t[]){ 2, 0 });
    expect_data(&tp, NULL, 0);

    /* typed data in an initializer of a model (float_data: the base model) and int64_data */
    tm t;
    tm_init(&t);
    t.init[0].data_type = ONNXRUN_INT64;
    t.init[0].n_float_data = 0;
    t.init[0].n_int64_data = 3;
    t.init[0].int64_data = (int64_t[]){ 5, -6, 7 };
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_memory_equal(m.graph.inits[0].t.data, ((int64_t[]){ 5, -6, 7 }), 24);
    assert_int_equal(m.weight_bytes, 24);
    or_model_free(&m);
}

static void test_raw_data(void **state)
{
    (void)state;
    int64_t d3[] = { 3 };
    float f[3] = { 1, -2, 0.25f };
    Onnx__TensorProto tp = tp_new(ONNXRUN_FLOAT, 1, d3);
    tp.has_raw_data = 1;
    tp.raw_data.data = (uint8_t *)f;
    tp.raw_data.len = 12;
    expect_data(&tp, f, 12);

    int64_t d23[] = { 2, 3 };
    int16_t s[6] = { 1, -2, 3, -4, 5, -32768 };
    tp = tp_new(ONNXRUN_INT16, 2, d23);
    tp.has_raw_data = 1;
    tp.raw_data.data = (uint8_t *)s;
    tp.raw_data.len = sizeof s;
    expect_data(&tp, s, sizeof s);

    /* bool bytes are normalised to 0/1 */
    tp = tp_new(ONNXRUN_BOOL, 1, d3);
    tp.has_raw_data = 1;
    tp.raw_data.data = (uint8_t[]){ 0, 2, 255 };
    tp.raw_data.len = 3;
    expect_data(&tp, (uint8_t[]){ 0, 1, 1 }, 3);

    /* raw_data in a model's initializer */
    tm t;
    tm_init(&t);
    t.init[0].n_float_data = 0;
    t.init[0].has_raw_data = 1;
    t.init[0].raw_data.data = (uint8_t *)f;
    t.init[0].raw_data.len = 12;
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_memory_equal(m.graph.inits[0].t.data, f, 12);
    or_model_free(&m);

    /* a length that is not a whole number of elements, and one too short */
    t.init[0].raw_data.len = 11;
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer 'W': raw_data has 11 bytes but float [3] needs 12");
    t.init[0].raw_data.len = 8;
    tm_expect(&t, ONNXRUN_E_INVALID, "raw_data has 8 bytes");
    /* raw_data and a typed field at once */
    t.init[0].raw_data.len = 12;
    t.init[0].n_float_data = 3;
    t.init[0].float_data = t.w;
    tm_expect(&t, ONNXRUN_E_INVALID, "has both raw_data and float_data");
}

static void test_tensor_errors(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    Onnx__TensorProto *w = &t.init[0];

    w->has_data_type = 0;
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer 'W' has no data type");
    w->has_data_type = 1;
    static const struct { int dt; const char *name; } bad[] = {
        { 8, "string" }, { 14, "complex64" }, { 15, "complex128" }, { 17, "float8e4m3fn" }, { 99, "unknown" },
        { -1, "unknown" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char sub[64];
        w->data_type = bad[i].dt;
        snprintf(sub, sizeof sub, "data type %s", bad[i].name);
        tm_expect(&t, ONNXRUN_E_UNSUPPORTED, sub);
    }
    w->data_type = ONNXRUN_FLOAT;

    t.init_dims[0][0] = -3;
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer 'W': dim 0 is negative (-3)");
    t.init_dims[0][0] = INT64_MAX;
    tm_expect(&t, ONNXRUN_E_LIMIT, "overflow");
    t.init_dims[0][0] = (int64_t)1 << 40; /* numel fits, bytes do not */
    tm_expect(&t, ONNXRUN_E_LIMIT, "overflow");
    w->n_dims = 3;
    t.init_dims[0][0] = t.init_dims[0][1] = t.init_dims[0][2] = (int64_t)1 << 30;
    tm_expect(&t, ONNXRUN_E_LIMIT, "overflow");
    w->n_dims = 9;
    for (int i = 0; i < 9; i++) t.init_dims[0][i] = 1;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "rank 9");
    w->n_dims = 1;
    t.init_dims[0][0] = 3;

    w->n_float_data = 2;
    tm_expect(&t, ONNXRUN_E_INVALID, "float_data has 2 values but float [3] needs 3");
    w->n_float_data = 0;
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer 'W': has no data but float [3] needs 3 values");
    w->n_int32_data = 3;
    w->int32_data = (int32_t[]){ 1, 2, 3 };
    tm_expect(&t, ONNXRUN_E_INVALID, "has int32_data but its data type is float");
    w->n_int32_data = 0;
    w->n_float_data = 3;
    w->segment = &(Onnx__TensorProto__Segment)ONNX__TENSOR_PROTO__SEGMENT__INIT;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "segmented");
    w->segment = NULL;
    tm_expect(&t, ONNXRUN_OK, NULL);
}

static void test_tensor_parse_files(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    char err[ERR_LEN];
    assert_status(or_read_file(CONV_DIR "/test_data_set_0/input_0.pb", &buf, &len, err, ERR_LEN), ONNXRUN_OK, err);
    or_tensor t;
    char *name;
    assert_status(or_tensor_parse(buf, len, "input_0.pb", &t, &name, err, ERR_LEN), ONNXRUN_OK, err);
    assert_string_equal(name, "x");
    assert_int_equal(t.dtype, ONNXRUN_FLOAT);
    assert_int_equal(t.rank, 4);
    int64_t want_dims[] = { 1, 1, 7, 5 };
    assert_memory_equal(t.dims, want_dims, sizeof want_dims);
    for (int i = 0; i < 35; i++) assert_true(((float *)t.data)[i] == (float)i);
    free(t.data);
    free(name);
    /* name may be NULL */
    assert_status(or_tensor_parse(buf, len, "input_0.pb", &t, NULL, err, ERR_LEN), ONNXRUN_OK, err);
    free(t.data);
    /* truncated: a parse error naming the file */
    assert_status(or_tensor_parse(buf, len - 5, "input_0.pb", &t, &name, err, ERR_LEN), ONNXRUN_E_PARSE, err);
    assert_null(name);
    assert_null(t.data);
    assert_msg(err, "input_0.pb: ");
    assert_msg(err, "truncated or corrupt");
    free(buf);

    /* an empty buffer is an empty TensorProto: no data type */
    assert_status(or_tensor_parse((const uint8_t *)"", 0, "e.pb", &t, &name, err, ERR_LEN), ONNXRUN_E_INVALID, err);
    assert_msg(err, "e.pb: tensor '' has no data type");

    /* external data cannot be used from a .pb */
    int64_t d3[] = { 3 };
    Onnx__TensorProto tp = tp_new(ONNXRUN_FLOAT, 1, d3);
    Onnx__StringStringEntryProto loc = ONNX__STRING_STRING_ENTRY_PROTO__INIT, *locp = &loc;
    loc.key = "location";
    loc.value = "w.bin";
    tp.has_data_location = 1;
    tp.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    tp.n_external_data = 1;
    tp.external_data = &locp;
    assert_status(parse_tp(&tp, &t, &name, err), ONNXRUN_E_UNSUPPORTED, err);
    assert_msg(err, "loaded from a buffer");
}

/* ---- external data ---- */

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

typedef struct ext {
    Onnx__StringStringEntryProto e[3], *ep[3];
} ext;

/* Makes tensor w external: location, offset and length (NULL = absent). */
static void set_external_at(Onnx__TensorProto *w, ext *x, const char *loc, const char *off, const char *len)
{
    const char *keys[] = { "location", "offset", "length" }, *vals[] = { loc, off, len };
    w->n_float_data = 0;
    w->has_data_location = 1;
    w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    w->n_external_data = 0;
    w->external_data = x->ep;
    for (int i = 0; i < 3; i++) {
        if (!vals[i]) continue;
        onnx__string_string_entry_proto__init(&x->e[i]);
        x->e[i].key = (char *)keys[i];
        x->e[i].value = (char *)vals[i];
        x->ep[w->n_external_data++] = &x->e[i];
    }
}

/* The same for initializer W of t. */
static void set_external(tm *t, ext *x, const char *loc, const char *off, const char *len)
{
    set_external_at(&t->init[0], x, loc, off, len);
}

static void ext_expect(tm *t, ext *x, const char *dir, const char *loc, const char *off, const char *len,
                       or_status want, const char *sub)
{
    or_model m;
    char err[ERR_LEN];
    set_external(t, x, loc, off, len);
    assert_status(tm_load_lim(t, dir, NULL, &m, err), want, err);
    if (want) {
        assert_msg(err, "initializer 'W'");
        assert_msg(err, sub);
    } else {
        assert_string_equal(m.dir, dir);
        assert_memory_equal(m.graph.inits[0].t.data, ((float[]){ 1, 2, 3 }), 12);
        /* the file is mapped; the tensor is a view when its offset suits a float */
        bool aligned = !off || atoi(off) % 4 == 0;
        assert_int_equal(m.n_maps, 1);
        assert_int_equal(m.graph.inits[0].mapped, aligned);
        assert_int_equal(in_maps(&m, m.graph.inits[0].t.data, 12), aligned);
    }
    or_model_free(&m);
}

static void test_external_data(void **state)
{
    (void)state;
    char root[] = "/tmp/or_loader_XXXXXX";
    assert_non_null(mkdtemp(root));
    char dir[300], outside[300], path[400], target[400];
    snprintf(dir, sizeof dir, "%s/model", root);
    snprintf(outside, sizeof outside, "%s/secret.bin", root);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);

    float data[5] = { 9, 1, 2, 3, 9 }; /* the tensor at offset 4 */
    snprintf(path, sizeof path, "%s/w.bin", dir);
    write_file(path, data, sizeof data);
    uint8_t odd[13] = { 0 }; /* the tensor at offset 1 */
    memcpy(odd + 1, data + 1, 12);
    snprintf(path, sizeof path, "%s/odd.bin", dir);
    write_file(path, odd, sizeof odd);
    snprintf(path, sizeof path, "%s/sub/tail.bin", dir);
    write_file(path, data + 1, 12);
    write_file(outside, data + 1, 12);
    snprintf(path, sizeof path, "%s/escape.bin", dir);
    assert_int_equal(symlink(outside, path), 0);
    snprintf(path, sizeof path, "%s/alias.bin", dir);
    assert_int_equal(symlink("sub/tail.bin", path), 0);
    snprintf(path, sizeof path, "%s/escape_dir", dir);
    assert_int_equal(symlink(root, path), 0);

    tm t;
    ext x;
    tm_init(&t);
    ext_expect(&t, &x, dir, "w.bin", "4", "12", ONNXRUN_OK, NULL);
    ext_expect(&t, &x, dir, "sub/tail.bin", NULL, NULL, ONNXRUN_OK, NULL);
    ext_expect(&t, &x, dir, "./sub/tail.bin", "0", "12", ONNXRUN_OK, NULL);
    ext_expect(&t, &x, dir, "alias.bin", NULL, "12", ONNXRUN_OK, NULL); /* a symlink that stays inside */
    ext_expect(&t, &x, dir, "odd.bin", "1", "12", ONNXRUN_OK, NULL);    /* copied */

    ext_expect(&t, &x, dir, "../secret.bin", NULL, NULL, ONNXRUN_E_INVALID, "'../secret.bin' contains '..'");
    ext_expect(&t, &x, dir, "sub/../w.bin", "4", "12", ONNXRUN_E_INVALID, "contains '..'");
    ext_expect(&t, &x, dir, "sub\\..\\..\\secret.bin", NULL, NULL, ONNXRUN_E_INVALID, "contains '..'");
    ext_expect(&t, &x, dir, outside, NULL, NULL, ONNXRUN_E_INVALID, "is an absolute path");
    ext_expect(&t, &x, dir, "escape.bin", NULL, NULL, ONNXRUN_E_INVALID, "resolves outside the model's folder");
    ext_expect(&t, &x, dir, "escape_dir/secret.bin", NULL, NULL, ONNXRUN_E_INVALID, "resolves outside");
    ext_expect(&t, &x, dir, "sub", NULL, NULL, ONNXRUN_E_INVALID, "not a regular file");
    ext_expect(&t, &x, dir, "missing.bin", NULL, NULL, ONNXRUN_E_IO, "No such file or directory");

    ext_expect(&t, &x, dir, "w.bin", "12", "12", ONNXRUN_E_INVALID, "offset 12 + 12 bytes lies beyond the end");
    ext_expect(&t, &x, dir, "w.bin", "18446744073709551615", "12", ONNXRUN_E_INVALID, "beyond the end");
    ext_expect(&t, &x, dir, "w.bin", "4", "8", ONNXRUN_E_INVALID, "length 8 but the dims need 12 bytes");
    ext_expect(&t, &x, dir, "w.bin", "4", "99999999999999999999999", ONNXRUN_E_INVALID, "length is not a number");
    ext_expect(&t, &x, dir, "w.bin", "-4", "12", ONNXRUN_E_INVALID, "offset is not a number");
    ext_expect(&t, &x, dir, "w.bin", "4", NULL, ONNXRUN_E_INVALID, "has 16 bytes after offset 4");
    ext_expect(&t, &x, dir, NULL, "0", "12", ONNXRUN_E_INVALID, "has no location");
    ext_expect(&t, &x, NULL, "w.bin", "4", "12", ONNXRUN_E_UNSUPPORTED, "loaded from a buffer");

    /* external data next to raw_data */
    set_external(&t, &x, "w.bin", "4", "12");
    t.init[0].has_raw_data = 1;
    t.init[0].raw_data.data = (uint8_t *)data;
    t.init[0].raw_data.len = 12;
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load_lim(&t, dir, NULL, &m, err), ONNXRUN_E_INVALID, err);
    assert_msg(err, "both external data and raw_data");

    /* two tensors in one file (one through a symlink): mapped once; a
     * tensor of 0 bytes needs no mapping */
    t.init[0].has_raw_data = 0;
    ext x2, x3;
    t.init[1] = t.init[2] = t.init[0];
    t.init[1].name = "W2";
    t.init[2].name = "E";
    t.init_dims[2][0] = 0;
    t.init[2].dims = t.init_dims[2];
    set_external(&t, &x, "sub/tail.bin", "0", "12");
    set_external_at(&t.init[1], &x2, "alias.bin", NULL, "12");
    set_external_at(&t.init[2], &x3, "w.bin", "20", "0");
    t.g.n_initializer = 3;
    assert_status(tm_load_lim(&t, dir, NULL, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.n_maps, 1);
    assert_ptr_equal(m.graph.inits[0].t.data, m.maps[0].addr);
    assert_ptr_equal(m.graph.inits[1].t.data, m.maps[0].addr);
    assert_false(m.graph.inits[2].mapped);
    assert_non_null(m.graph.inits[2].t.data);
    or_model_free(&m);
    t.g.n_initializer = 1;

    /* a mapped model with mapped external data */
    size_t len;
    set_external(&t, &x, "w.bin", "4", "12");
    uint8_t *b = tm_pack(&t, &len);
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    write_file(path, b, len);
    free(b);
    assert_status(or_model_load_path(path, NULL, &m, err, ERR_LEN), ONNXRUN_OK, err);
    assert_int_equal(m.n_maps, 2);
    assert_true(m.graph.inits[0].mapped);
    assert_ptr_equal(m.graph.inits[0].t.data, (uint8_t *)m.maps[1].addr + 4);
    assert_memory_equal(m.graph.inits[0].t.data, ((float[]){ 1, 2, 3 }), 12);
    or_model_free(&m);

    /* clean up */
    const char *files[] = { "w.bin", "odd.bin", "m.onnx", "sub/tail.bin", "escape.bin", "alias.bin", "escape_dir" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
    unlink(outside);
    rmdir(root);
    (void)target;
}

/* ---- attributes ---- */

static Onnx__AttributeProto *attr(tm *t, int k, const char *name, Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = &t->attr[k];
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
    a->type = type;
    return a;
}

static void test_attributes(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    Onnx__AttributeProto *a;
    a = attr(&t, 0, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1, a->f = 0.5f;
    a = attr(&t, 1, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1, a->i = -3;
    a = attr(&t, 2, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.data = (uint8_t *)"linéar", a->s.len = strlen("linéar");
    a = attr(&t, 3, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    Onnx__TensorProto tv = tp_new(ONNXRUN_INT64, 1, (int64_t[]){ 2 });
    tv.n_int64_data = 2;
    tv.int64_data = (int64_t[]){ 7, 8 };
    a->t = &tv;
    a = attr(&t, 4, "scales", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 2, a->floats = (float[]){ 1, 2.5f };
    a = attr(&t, 5, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 4, a->ints = (int64_t[]){ 0, 1, 2, 3 };
    a = attr(&t, 6, "names", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 2, a->strings = (ProtobufCBinaryData[]){ { 1, (uint8_t *)"a" }, { 0, NULL } };
    /* no `type` (IR version 1 style): inferred from the field that is set */
    a = attr(&t, 7, "strides", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    a->n_ints = 2, a->ints = (int64_t[]){ 2, 2 };
    a = attr(&t, 8, "beta", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    a->has_f = 1, a->f = 2;
    a = attr(&t, 9, "empty", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    t.node[0].attribute = t.attrp;
    t.node[0].n_attribute = 10;
    t.node[0].domain = "ai.onnx";

    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    const or_node *n = &m.graph.nodes[0];
    assert_string_equal(n->domain, "");
    assert_int_equal(n->n_attrs, 10);
    const or_attr *r;
    assert_non_null(r = or_node_attr(n, "alpha"));
    assert_int_equal(r->type, OR_ATTR_FLOAT);
    assert_true(r->f == 0.5f);
    assert_non_null(r = or_node_attr(n, "axis"));
    assert_int_equal(r->type, OR_ATTR_INT);
    assert_int_equal(r->i, -3);
    assert_non_null(r = or_node_attr(n, "mode"));
    assert_int_equal(r->type, OR_ATTR_STRING);
    assert_string_equal(r->s, "linéar");
    assert_int_equal(r->s_len, strlen("linéar"));
    assert_non_null(r = or_node_attr(n, "value"));
    assert_int_equal(r->type, OR_ATTR_TENSOR);
    assert_int_equal(r->t->dtype, ONNXRUN_INT64);
    assert_int_equal(r->t->rank, 1);
    assert_int_equal(r->t->dims[0], 2);
    assert_memory_equal(r->t->data, ((int64_t[]){ 7, 8 }), 16);
    assert_non_null(r = or_node_attr(n, "scales"));
    assert_int_equal(r->type, OR_ATTR_FLOATS);
    assert_int_equal(r->n, 2);
    assert_true(r->floats[0] == 1 && r->floats[1] == 2.5f);
    assert_non_null(r = or_node_attr(n, "pads"));
    assert_int_equal(r->type, OR_ATTR_INTS);
    assert_int_equal(r->n, 4);
    assert_memory_equal(r->ints, ((int64_t[]){ 0, 1, 2, 3 }), 32);
    assert_non_null(r = or_node_attr(n, "names"));
    assert_int_equal(r->type, OR_ATTR_STRINGS);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->strings[0], "a");
    assert_string_equal(r->strings[1], "");
    assert_non_null(r = or_node_attr(n, "strides"));
    assert_int_equal(r->type, OR_ATTR_INTS);
    assert_int_equal(r->n, 2);
    assert_non_null(r = or_node_attr(n, "beta"));
    assert_int_equal(r->type, OR_ATTR_FLOAT);
    assert_true(r->f == 2);
    assert_non_null(r = or_node_attr(n, "empty"));
    assert_int_equal(r->type, OR_ATTR_INTS);
    assert_int_equal(r->n, 0);
    assert_null(or_node_attr(n, "nope"));
    assert_int_equal(m.weight_bytes, 12); /* attribute tensors are not initializers */
    or_model_free(&m);

    /* unsupported kinds name node and attribute */
    Onnx__GraphProto sub = ONNX__GRAPH_PROTO__INIT;
    a = attr(&t, 9, "then_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = &sub;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "node 'add0' (#0, Add): attribute 'then_branch' is a graph");
    a = attr(&t, 9, "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED); /* inferred GRAPH */
    a->g = &sub;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "attribute 'body' is a graph");
    Onnx__GraphProto *subs[] = { &sub };
    a = attr(&t, 9, "branches", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS);
    a->n_graphs = 1, a->graphs = subs;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "attribute 'branches' is a list of graphs");
    Onnx__SparseTensorProto sp = ONNX__SPARSE_TENSOR_PROTO__INIT;
    a = attr(&t, 9, "sparse_value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR);
    a->sparse_tensor = &sp;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "attribute 'sparse_value' is a sparse tensor");

    /* invalid ones */
    a = attr(&t, 9, "none", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    tm_expect(&t, ONNXRUN_E_INVALID, "attribute 'none' has no value");
    a = attr(&t, 9, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    tm_expect(&t, ONNXRUN_E_INVALID, "attribute 'axis' is given twice");
    a = attr(&t, 9, "", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    tm_expect(&t, ONNXRUN_E_INVALID, "attribute #9 has no name");
    a = attr(&t, 9, "v", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    tm_expect(&t, ONNXRUN_E_INVALID, "attribute 'v' is of type TENSOR but holds no tensor");
    a->t = &tv;
    tv.n_int64_data = 1;
    tm_expect(&t, ONNXRUN_E_INVALID, "node 'add0' (#0, Add): attribute 'value': int64_data has 1 values but int64 [2] needs 2");
    tv.n_int64_data = 2;
    a = attr(&t, 9, "s", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.data = (uint8_t *)"a\xff", a->s.len = 2;
    tm_expect(&t, ONNXRUN_E_INVALID, "attribute 's': string is not valid UTF-8 (byte 0xff at offset 1)");
    a = attr(&t, 9, "ss", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 1, a->strings = (ProtobufCBinaryData[]){ { 3, (uint8_t *)"a\0b" } };
    tm_expect(&t, ONNXRUN_E_INVALID, "attribute 'ss': string #0 contains a NUL byte");
    a = attr(&t, 9, "r", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->ref_attr_name = "outer";
    tm_expect(&t, ONNXRUN_E_INVALID, "refers to a function attribute");
}

/* ---- versions, opsets, limits, value types ---- */

static void test_versions_and_opsets(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    static const struct { int64_t ir; or_status want; } irs[] = {
        { 3, ONNXRUN_OK }, { 10, ONNXRUN_OK }, { 2, ONNXRUN_E_UNSUPPORTED }, { 11, ONNXRUN_E_UNSUPPORTED },
        { -1, ONNXRUN_E_UNSUPPORTED },
    };
    for (size_t i = 0; i < sizeof irs / sizeof irs[0]; i++) {
        char sub[64];
        t.m.ir_version = irs[i].ir;
        snprintf(sub, sizeof sub, "IR version %lld is not supported (3 to 10 are)", (long long)irs[i].ir);
        tm_expect(&t, irs[i].want, sub);
    }
    t.m.has_ir_version = 0;
    tm_expect(&t, ONNXRUN_E_INVALID, "no IR version");
    t.m.has_ir_version = 1;
    t.m.ir_version = 8;

    static const struct { int64_t v; or_status want; } ops[] = {
        { OR_OPSET_MIN, ONNXRUN_OK }, { OR_OPSET_MAX, ONNXRUN_OK }, { OR_OPSET_MIN - 1, ONNXRUN_E_UNSUPPORTED },
        { OR_OPSET_MAX + 1, ONNXRUN_E_UNSUPPORTED },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char sub[96];
        t.os[0].version = ops[i].v;
        snprintf(sub, sizeof sub, "opset %lld of the default ONNX domain is not supported", (long long)ops[i].v);
        tm_expect(&t, ops[i].want, sub);
    }
    t.os[0].version = 13;

    /* "ai.onnx" is the default domain; other domains take any version */
    t.os[0].domain = "ai.onnx";
    onnx__operator_set_id_proto__init(&t.os[1]);
    t.os[1].domain = "com.example";
    t.os[1].has_version = 1;
    t.os[1].version = 1000;
    t.m.n_opset_import = 2;
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(or_model_opset(&m, ""), 13);
    assert_int_equal(or_model_opset(&m, "com.example"), 1000);
    assert_string_equal(m.opsets[0].domain, "");
    or_model_free(&m);

    t.os[1].domain = "";
    tm_expect(&t, ONNXRUN_E_INVALID, "domain '' is imported twice");
    t.os[1].domain = "com.example";
    t.os[1].has_version = 0;
    tm_expect(&t, ONNXRUN_E_INVALID, "opset_import of domain 'com.example' has no version");
    t.os[1].has_version = 1;

    /* a node's domain must be imported */
    t.node[0].domain = "com.other";
    tm_expect(&t, ONNXRUN_E_INVALID, "node 'add0' (#0, Add): domain 'com.other' is not imported");
    t.node[0].domain = "com.example";
    tm_expect(&t, ONNXRUN_OK, NULL);
    t.node[0].domain = "";
    t.m.n_opset_import = 0;
    tm_expect(&t, ONNXRUN_E_INVALID, "the default ONNX domain is not imported");
    t.m.n_opset_import = 1;

    t.m.graph = NULL;
    tm_expect(&t, ONNXRUN_E_INVALID, "the model has no graph");
}

static void test_limits(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    tm_node(&t, 1, "relu1", "Relu", "y", NULL, "z");
    t.g.n_node = 2;
    or_model m;
    char err[ERR_LEN];
    or_load_limits lim = { .max_nodes = 1 };
    assert_status(tm_load_lim(&t, NULL, &lim, &m, err), ONNXRUN_E_LIMIT, err);
    assert_msg(err, "the graph has 2 nodes, above the limit of 1");
    lim.max_nodes = 2;
    assert_status(tm_load_lim(&t, NULL, &lim, &m, err), ONNXRUN_OK, err);
    or_model_free(&m);

    lim = (or_load_limits){ .max_tensor_bytes = 11 };
    assert_status(tm_load_lim(&t, NULL, &lim, &m, err), ONNXRUN_E_LIMIT, err);
    assert_msg(err, "initializer 'W': float [3] brings the tensors to more than the limit of 11 bytes");
    lim.max_tensor_bytes = 12;
    assert_status(tm_load_lim(&t, NULL, &lim, &m, err), ONNXRUN_OK, err);
    or_model_free(&m);

    /* two initializers of 12 bytes against a limit of 20 */
    t.init[1] = t.init[0];
    t.init[1].name = "W2";
    t.g.n_initializer = 2;
    lim.max_tensor_bytes = 20;
    assert_status(tm_load_lim(&t, NULL, &lim, &m, err), ONNXRUN_E_LIMIT, err);
    assert_msg(err, "initializer 'W2'");
    lim.max_tensor_bytes = 24;
    assert_status(tm_load_lim(&t, NULL, &lim, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.weight_bytes, 24);
    or_model_free(&m);
}

static void test_value_types(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    /* no type at all: undeclared dtype and shape */
    t.vi[0].type = NULL;
    or_model m;
    char err[ERR_LEN];
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.graph.inputs[0].dtype, ONNXRUN_UNDEFINED);
    assert_int_equal(m.graph.inputs[0].rank, -1);
    or_model_free(&m);
    /* a tensor type without shape, and a scalar */
    t.vi[0].type = &t.ty[0];
    t.tt[0].shape = NULL;
    t.sh[1].n_dim = 0;
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.graph.inputs[0].dtype, ONNXRUN_FLOAT);
    assert_int_equal(m.graph.inputs[0].rank, -1);
    assert_int_equal(m.graph.outputs[0].rank, 0);
    or_model_free(&m);
    t.tt[0].shape = &t.sh[0];

    t.tt[0].elem_type = ONNXRUN_STRING;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "graph input 'x': data type string (8) is not supported");
    t.tt[0].elem_type = 17;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "graph input 'x': data type float8e4m3fn");
    t.tt[0].elem_type = ONNXRUN_UINT8;
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.graph.inputs[0].dtype, ONNXRUN_UINT8);
    or_model_free(&m);
    t.tt[0].elem_type = ONNXRUN_FLOAT;

    tm_vi(&t, 0, "x", 9, (const int64_t[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1 }, NULL);
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "graph input 'x': rank 9 is above onnxrun's limit of 8");
    tm_vi(&t, 0, "x", 8, (const int64_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, NULL);
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.graph.inputs[0].rank, 8);
    assert_int_equal(m.graph.inputs[0].dims[7], 8);
    or_model_free(&m);

    Onnx__TypeProto__Sequence seq = ONNX__TYPE_PROTO__SEQUENCE__INIT;
    t.ty[0].value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
    t.ty[0].sequence_type = &seq;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "graph input 'x' is a sequence; onnxrun only handles dense tensors");
    Onnx__TypeProto__Map map = ONNX__TYPE_PROTO__MAP__INIT;
    t.ty[0].value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE;
    t.ty[0].map_type = &map;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "graph input 'x' is a map");
    tm_vi(&t, 0, "x", 2, (const int64_t[]){ -1, 3 }, NULL);

    /* value_info of intermediates is kept too */
    tm_vi(&t, 2, "y", 1, (const int64_t[]){ 3 }, NULL);
    Onnx__ValueInfoProto *vis[] = { &t.vi[2] };
    t.g.value_info = vis;
    t.g.n_value_info = 1;
    assert_status(tm_load(&t, &m, err), ONNXRUN_OK, err);
    assert_int_equal(m.graph.n_value_infos, 1);
    assert_string_equal(m.graph.value_infos[0].name, "y");
    or_model_free(&m);
    Onnx__TypeProto__Optional opt = ONNX__TYPE_PROTO__OPTIONAL__INIT;
    t.ty[2].value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
    t.ty[2].optional_type = &opt;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "value_info 'y' is an optional");
}

/* ---- structure and strings ---- */

static void test_structure(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    or_model m;
    char err[ERR_LEN];

    t.node_in[0][1] = "x9";
    assert_status(tm_load(&t, &m, err), ONNXRUN_E_INVALID, err);
    assert_string_equal(err, "mem.onnx: node 'add0' (#0, Add): input 'x9' is not produced by any node, "
                             "initializer or graph input");
    t.node_in[0][1] = ""; /* an absent optional input is fine */
    tm_expect(&t, ONNXRUN_OK, NULL);
    t.node_in[0][1] = "W";

    /* a later node may feed an earlier one (order is the interpreter's job) */
    tm_node(&t, 1, "relu1", "Relu", "z", NULL, "y");
    tm_node(&t, 0, "add0", "Add", "x", "W", "z");
    t.g.n_node = 2;
    tm_expect(&t, ONNXRUN_OK, NULL);

    tm_node(&t, 1, "relu1", "Relu", "x", NULL, "z");
    tm_expect(&t, ONNXRUN_E_INVALID, "node 'relu1' (#1, Relu): output 'z' is already produced by node 'add0' (#0, Add)");
    tm_node(&t, 1, "relu1", "Relu", "z", NULL, "W");
    tm_expect(&t, ONNXRUN_E_INVALID, "output 'W' is already produced by initializer 'W'");
    tm_node(&t, 1, "relu1", "Relu", "z", NULL, "x");
    tm_expect(&t, ONNXRUN_E_INVALID, "output 'x' is already produced by graph input 'x'");
    tm_node(&t, 1, "relu1", "Split", "z", NULL, "y");
    t.node_out[1][1] = "y";
    t.node[1].n_output = 2;
    tm_expect(&t, ONNXRUN_E_INVALID, "node 'relu1' (#1, Split): output 'y' is listed twice");
    t.node_out[1][1] = ""; /* absent optional outputs may repeat */
    tm_expect(&t, ONNXRUN_OK, NULL);
    tm_node(&t, 1, "", "", "z", NULL, "y");
    tm_expect(&t, ONNXRUN_E_INVALID, "node '' (#1): op_type is empty");
    tm_node(&t, 1, "relu1", "Relu", "z", NULL, "y");

    t.outp[1] = &t.vi[2];
    tm_vi(&t, 2, "q", 1, (const int64_t[]){ 3 }, NULL);
    t.g.n_output = 2;
    tm_expect(&t, ONNXRUN_E_INVALID, "graph output 'q' is not produced by any node, initializer or graph input");
    tm_vi(&t, 2, "x", 1, (const int64_t[]){ 3 }, NULL); /* an input passed through */
    tm_expect(&t, ONNXRUN_OK, NULL);
    tm_vi(&t, 2, "", 1, (const int64_t[]){ 3 }, NULL);
    tm_expect(&t, ONNXRUN_E_INVALID, "graph output #1 has no name");
    t.g.n_output = 0;
    tm_expect(&t, ONNXRUN_E_INVALID, "the graph has no outputs");
    t.g.n_output = 1;

    t.inp[1] = &t.vi[0];
    t.g.n_input = 2;
    tm_expect(&t, ONNXRUN_E_INVALID, "graph input 'x' is declared twice");
    t.g.n_input = 1;
    t.init[1] = t.init[0];
    t.g.n_initializer = 2;
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer 'W' is declared twice");
    t.init[1].name = "";
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer #1 has no name");
    t.g.n_initializer = 1;

    Onnx__SparseTensorProto sp = ONNX__SPARSE_TENSOR_PROTO__INIT, *spp = &sp;
    Onnx__TensorProto vals = tp_new(ONNXRUN_FLOAT, 0, NULL);
    vals.name = "sw";
    sp.values = &vals;
    t.g.n_sparse_initializer = 1;
    t.g.sparse_initializer = &spp;
    tm_expect(&t, ONNXRUN_E_UNSUPPORTED, "sparse initializer 'sw' is not supported");
}

static void test_utf8(void **state)
{
    (void)state;
    /* the validator itself */
    static const struct { const char *s; size_t bad; } cases[] = {
        { "plain", 5 }, { "h\xc3\xa9", 3 }, { "\xe2\x82\xac", 3 }, { "\xf0\x9f\x98\x80", 4 },
        { "\xff", 0 }, { "a\xc3", 1 }, { "\xc0\xaf", 0 } /* overlong '/' */,
        { "\xe0\x80\xaf", 0 } /* overlong */, { "\xed\xa0\x80", 0 } /* surrogate */,
        { "\xf4\x90\x80\x80", 0 } /* above U+10FFFF */, { "ab\x80", 2 }, { "\xe2\x82", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(or_utf8_bad((const uint8_t *)cases[i].s, strlen(cases[i].s)), cases[i].bad);

    tm t;
    tm_init(&t);
    t.node[0].name = "ad\xffz";
    tm_expect(&t, ONNXRUN_E_INVALID, "mem.onnx: node #0 (Add): name is not valid UTF-8 (byte 0xff at offset 2)");
    t.node[0].name = "add0";
    t.node[0].op_type = "A\xc0\xaf" "dd";
    tm_expect(&t, ONNXRUN_E_INVALID, "node #0: op_type is not valid UTF-8");
    t.node[0].op_type = "Add";
    t.node_in[0][1] = "W\xed\xa0\x80";
    tm_expect(&t, ONNXRUN_E_INVALID, "node 'add0' (#0, Add): input #1 is not valid UTF-8");
    t.node_in[0][1] = "W";
    t.init[0].name = "\x80";
    tm_expect(&t, ONNXRUN_E_INVALID, "initializer #0: name is not valid UTF-8");
    t.init[0].name = "W";
    t.vi[0].name = "x\xfe";
    tm_expect(&t, ONNXRUN_E_INVALID, "graph input #0: name is not valid UTF-8");
    t.vi[0].name = "x";
    t.dim[0][0].dim_param = "N\xff";
    tm_expect(&t, ONNXRUN_E_INVALID, "graph input 'x': dim_param #0 is not valid UTF-8");
    t.dim[0][0].dim_param = "N";
    t.prop[0].key = "k";
    t.prop[0].value = "\xc3";
    t.m.n_metadata_props = 1;
    tm_expect(&t, ONNXRUN_E_INVALID, "metadata_props #0: value is not valid UTF-8");
    t.m.n_metadata_props = 0;
    t.m.producer_name = "\xff";
    tm_expect(&t, ONNXRUN_E_INVALID, "model: producer_name is not valid UTF-8");
    t.m.producer_name = "test";
    t.os[0].domain = "\xff";
    tm_expect(&t, ONNXRUN_E_INVALID, "opset_import #0: domain is not valid UTF-8");
    t.os[0].domain = "";
    tm_expect(&t, ONNXRUN_OK, NULL);
}

/* ---- files ---- */

static void test_read_file(void **state)
{
    (void)state;
    uint8_t *buf = (uint8_t *)1;
    size_t len = 1;
    char err[ERR_LEN];
    assert_status(or_read_file("/nonexistent/model.onnx", &buf, &len, err, ERR_LEN), ONNXRUN_E_IO, err);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_msg(err, "/nonexistent/model.onnx");
    assert_msg(err, strerror(ENOENT));
    assert_status(or_read_file("/tmp", &buf, &len, err, ERR_LEN), ONNXRUN_E_IO, err);
    assert_msg(err, "/tmp: ");
    assert_msg(err, strerror(EISDIR));

    char path[] = "/tmp/or_loader_file_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_status(or_read_file(path, &buf, &len, err, ERR_LEN), ONNXRUN_OK, err);
    assert_int_equal(len, 0);
    assert_non_null(buf);
    free(buf);
    write_file(path, "hello", 5);
    assert_status(or_read_file(path, &buf, &len, err, ERR_LEN), ONNXRUN_OK, err);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "hello", 5);
    free(buf);
    unlink(path);
}

static void test_real_model(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    char err[ERR_LEN];
    const char *path = CONV_DIR "/model.onnx";
    assert_status(or_read_file(path, &buf, &len, err, ERR_LEN), ONNXRUN_OK, err);
    or_model m;
    assert_status(or_model_parse(buf, len, path, CONV_DIR, NULL, &m, err, ERR_LEN), ONNXRUN_OK, err);
    free(buf);
    assert_string_equal(m.path, path);
    assert_string_equal(m.dir, CONV_DIR);
    assert_int_equal(m.ir_version, 6);
    assert_string_equal(m.producer, "backend-test");
    assert_int_equal(or_model_opset(&m, ""), 11);
    const or_graph *g = &m.graph;
    assert_string_equal(g->name, "test_conv_with_strides_padding");
    assert_int_equal(g->n_inputs, 2);
    assert_string_equal(g->inputs[1].name, "W");
    assert_int_equal(g->inputs[1].rank, 4);
    assert_memory_equal(g->inputs[0].dims, ((int64_t[]){ 1, 1, 7, 5 }), 32);
    assert_memory_equal(g->outputs[0].dims, ((int64_t[]){ 1, 1, 4, 3 }), 32);
    assert_int_equal(g->n_inits, 0);
    assert_int_equal(g->n_nodes, 1);
    const or_node *n = &g->nodes[0];
    assert_string_equal(n->op_type, "Conv");
    assert_string_equal(n->name, "");
    assert_int_equal(n->n_attrs, 3);
    const or_attr *a = or_node_attr(n, "pads");
    assert_non_null(a);
    assert_int_equal(a->type, OR_ATTR_INTS);
    assert_int_equal(a->n, 4);
    assert_memory_equal(a->ints, ((int64_t[]){ 1, 1, 1, 1 }), 32);
    a = or_node_attr(n, "strides");
    assert_non_null(a);
    assert_memory_equal(a->ints, ((int64_t[]){ 2, 2 }), 16);
    a = or_node_attr(n, "kernel_shape");
    assert_non_null(a);
    assert_memory_equal(a->ints, ((int64_t[]){ 3, 3 }), 16);
    or_model_free(&m);
}

/* ---- the wire pass: hand-made bytes ---- */

typedef struct wb {
    uint8_t b[2048];
    size_t n;
} wb;

static void wb_bytes(wb *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void wb_varint(wb *w, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) c |= 0x80;
        wb_bytes(w, &c, 1);
    } while (v);
}

static void wb_key(wb *w, unsigned field, unsigned wt)
{
    wb_varint(w, (uint64_t)field << 3 | wt);
}

/* field `field` = len-delimited p[0..n) */
static void wb_ld(wb *w, unsigned field, const void *p, size_t n)
{
    wb_key(w, field, 2);
    wb_varint(w, n);
    wb_bytes(w, p, n);
}

static void wb_sub(wb *w, unsigned field, const wb *sub)
{
    wb_ld(w, field, sub->b, sub->n);
}

static void wb_int(wb *w, unsigned field, uint64_t v)
{
    wb_key(w, field, 0);
    wb_varint(w, v);
}

static void wb_mark(wb *w, uint32_t idx)
{
    wb_key(w, 9, 2);
    wb_varint(w, OR_WIRE_MARK);
    uint8_t m[4] = { (uint8_t)idx, (uint8_t)(idx >> 8), (uint8_t)(idx >> 16), (uint8_t)(idx >> 24) };
    wb_bytes(w, m, 4);
}

/* A float TensorProto `name` [n] without its payload. */
static void wb_tensor_head(wb *w, const char *name, uint64_t n)
{
    wb_int(w, 1, n);
    wb_int(w, 2, ONNXRUN_FLOAT);
    wb_ld(w, 8, name, strlen(name));
}

/* Runs the wire pass on an exact-size copy of b (so ASan sees overreads). */
static or_status wire_run(const wb *b, or_wire_out *o, char *err)
{
    uint8_t *copy = malloc(b->n ? b->n : 1);
    memcpy(copy, b->b, b->n);
    or_ld ld = { .path = "w.onnx", .err = err, .err_len = ERR_LEN };
    err[0] = 0;
    or_status st = or_wire_compact(&ld, copy, b->n, o);
    free(copy);
    if (st) {
        assert_null(o->msg);
        assert_null(o->spans);
    }
    return st;
}

static void test_wire_compact(void **state)
{
    (void)state;
    uint8_t p1[200], p2[8], p3[12];
    for (size_t i = 0; i < sizeof p1; i++) p1[i] = (uint8_t)(i * 7 + 1);
    memset(p2, 0xab, sizeof p2);
    memset(p3, 0xcd, sizeof p3);

    /* node 'c0' (Constant) with a TENSOR attribute of 8 bytes and a TENSORS
     * attribute (off the path), an initializer of 200 bytes whose raw_data
     * key is spelled in 2 bytes, a tensor with empty raw_data, a sparse
     * initializer (off the path), and fields around them */
    wb t_attr = { 0 }, attr = { 0 }, attrs_off = { 0 }, node = { 0 };
    wb_tensor_head(&t_attr, "v", 2);
    wb_ld(&t_attr, 9, p2, sizeof p2);
    wb_ld(&attr, 1, "value", 5);
    wb_sub(&attr, 5, &t_attr);
    wb_int(&attr, 20, 4);
    wb_ld(&attrs_off, 1, "many", 4);
    wb_sub(&attrs_off, 10, &t_attr); /* AttributeProto.tensors: left to protobuf-c */
    wb_ld(&node, 4, "Constant", 8);
    wb_sub(&node, 5, &attr);
    wb_sub(&node, 5, &attrs_off);
    wb_ld(&node, 3, "c0", 2);

    wb init = { 0 }, empty = { 0 }, sparse = { 0 }, graph = { 0 }, model = { 0 };
    wb_tensor_head(&init, "W", 50);
    wb_bytes(&init, "\xca\x00", 2); /* key of field 9, wire type 2, in a non-canonical 2-byte varint */
    wb_varint(&init, sizeof p1);
    size_t p1_in_init = init.n;
    wb_bytes(&init, p1, sizeof p1);
    wb_int(&init, 14, 0); /* data_location DEFAULT, after the payload */
    wb_tensor_head(&empty, "E", 0);
    wb_ld(&empty, 9, "", 0);
    wb_tensor_head(&sparse, "S", 3);
    wb_ld(&sparse, 9, p3, sizeof p3);

    wb_sub(&graph, 1, &node);
    wb_ld(&graph, 2, "g", 1);
    size_t init_in_graph = graph.n;
    wb_sub(&graph, 5, &init);
    wb_sub(&graph, 5, &empty);
    wb sp = { 0 };
    wb_sub(&sp, 1, &sparse);
    wb_sub(&graph, 15, &sp);

    wb_int(&model, 1, 8);
    wb_ld(&model, 2, "hand", 4);
    size_t graph_in_model = model.n;
    wb_sub(&model, 7, &graph);
    wb_key(&model, 30, 5); /* an unknown fixed32 field */
    wb_bytes(&model, "\x01\x02\x03\x04", 4);
    wb_key(&model, 31, 1); /* an unknown fixed64 field */
    wb_bytes(&model, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

    /* the expected result, built the same way with placeholders */
    wb xt_attr = { 0 }, xattr = { 0 }, xnode = { 0 }, xinit = { 0 }, xgraph = { 0 }, xmodel = { 0 };
    wb_tensor_head(&xt_attr, "v", 2);
    wb_mark(&xt_attr, 0);
    wb_ld(&xattr, 1, "value", 5);
    wb_sub(&xattr, 5, &xt_attr);
    wb_int(&xattr, 20, 4);
    wb_ld(&xnode, 4, "Constant", 8);
    wb_sub(&xnode, 5, &xattr);
    wb_sub(&xnode, 5, &attrs_off);
    wb_ld(&xnode, 3, "c0", 2);
    wb_tensor_head(&xinit, "W", 50);
    wb_bytes(&xinit, "\xca\x00", 2);
    wb_varint(&xinit, OR_WIRE_MARK);
    wb_bytes(&xinit, "\x01\x00\x00\x00", 4);
    wb_int(&xinit, 14, 0);
    wb_sub(&xgraph, 1, &xnode);
    wb_ld(&xgraph, 2, "g", 1);
    wb_sub(&xgraph, 5, &xinit);
    wb_sub(&xgraph, 5, &empty);
    wb_sub(&xgraph, 15, &sp);
    wb_int(&xmodel, 1, 8);
    wb_ld(&xmodel, 2, "hand", 4);
    wb_sub(&xmodel, 7, &xgraph);
    wb_key(&xmodel, 30, 5);
    wb_bytes(&xmodel, "\x01\x02\x03\x04", 4);
    wb_key(&xmodel, 31, 1);
    wb_bytes(&xmodel, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    /* the initializer's and the graph's length prefixes shrink from 2 bytes to 1 */
    assert_true(init.n > 127 && xinit.n < 128 && graph.n > 127 && xgraph.n < 128);

    or_wire_out o;
    char err[ERR_LEN];
    assert_status(wire_run(&model, &o, err), ONNXRUN_OK, err);
    assert_int_equal(o.len, xmodel.n);
    assert_memory_equal(o.msg, xmodel.b, xmodel.n);
    assert_int_equal(o.n_spans, 2);
    /* payloads in file order: the attribute's, then the initializer's */
    const uint8_t *at = memmem(model.b, model.n, p2, sizeof p2);
    assert_non_null(at);
    assert_int_equal(o.spans[0].off, (uint64_t)(at - model.b));
    assert_int_equal(o.spans[0].len, sizeof p2);
    size_t off1 = graph_in_model + 1 + 2 /* graph key and length */ + init_in_graph + 1 + 2 + p1_in_init;
    assert_int_equal(o.spans[1].off, off1);
    assert_int_equal(o.spans[1].len, sizeof p1);
    assert_memory_equal(model.b + off1, p1, sizeof p1);
    or_wire_free(&o);
    or_wire_free(&o); /* again: safe */

    /* through the loader, merged into the base model (x -> y): a Constant
     * node makes y, W has a second raw_data that replaces the first (as
     * protobuf does: the last one wins), E is empty */
    uint8_t p4[200];
    for (size_t i = 0; i < sizeof p4; i++) p4[i] = (uint8_t)(255 - i);
    wb node2 = { 0 }, init2 = { 0 }, graph2 = { 0 }, model2 = { 0 };
    wb_ld(&node2, 4, "Constant", 8);
    wb_sub(&node2, 5, &attr);
    wb_ld(&node2, 3, "c0", 2); /* name */
    wb_ld(&node2, 2, "y", 1);  /* output */
    wb_bytes(&init2, init.b, init.n);
    wb_ld(&init2, 9, p4, sizeof p4);
    wb_sub(&graph2, 1, &node2);
    wb_sub(&graph2, 5, &init2);
    wb_sub(&graph2, 5, &empty);
    wb_sub(&model2, 7, &graph2);

    tm t;
    tm_init(&t);
    t.g.n_initializer = 0;
    t.g.n_node = 0;
    size_t len;
    uint8_t *base = tm_pack(&t, &len);
    uint8_t *full = malloc(len + model2.n);
    memcpy(full, base, len);
    memcpy(full + len, model2.b, model2.n);
    or_model m;
    assert_status(or_model_parse(full, len + model2.n, "mem.onnx", NULL, NULL, &m, err, ERR_LEN), ONNXRUN_OK, err);
    assert_int_equal(m.graph.n_nodes, 1);
    assert_string_equal(m.graph.nodes[0].op_type, "Constant");
    assert_string_equal(m.graph.nodes[0].outputs[0], "y");
    const or_attr *a = or_node_attr(&m.graph.nodes[0], "value");
    assert_non_null(a);
    assert_int_equal(a->t->dims[0], 2);
    assert_memory_equal(a->t->data, p2, sizeof p2);
    assert_false(a->t_mapped);
    assert_int_equal(m.graph.n_inits, 2);
    assert_string_equal(m.graph.inits[0].name, "W");
    assert_memory_equal(m.graph.inits[0].t.data, p4, sizeof p4);
    assert_false(m.graph.inits[0].mapped);
    assert_int_equal(or_numel(&m.graph.inits[1].t), 0);
    assert_int_equal(m.n_maps, 0); /* a buffer is not kept */
    or_model_free(&m);
    free(full);
    free(base);
}

/* Bytes that break the framing on the path, and the detail each gets. */
static void test_wire_hostile(void **state)
{
    (void)state;
    wb tensor = { 0 }, graph = { 0 };
    wb_tensor_head(&tensor, "W", 1);
    wb_ld(&tensor, 9, "\0\0\x80\x3f", 4);
    wb_sub(&graph, 5, &tensor);
    static const struct { const char *bytes; size_t n; const char *detail; } cases[] = {
#define C(s, d) { s, sizeof s - 1, d }
        C("\x80", "a field key runs past the end of its ModelProto at offset 0"),
        C("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "a ModelProto field key is too long at offset 0"),
        C("\x08", "a varint runs past the end of its ModelProto at offset 1"),
        C("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "a ModelProto varint is too long at offset 1"),
        C("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "a ModelProto varint is too long"), /* bit 64 set */
        C("\x08\x01\x00", "ModelProto field number 0 is out of range at offset 2"),
        C("\x38\x01", "ModelProto field 7 has wire type 0, not length-delimited at offset 0"),
        C("\x3d\x01\x02\x03\x04", "ModelProto field 7 has wire type 5"),
        C("\x3a\x05\x2a\x00", "ModelProto field 7 has length 5 but 2 bytes are left at offset 1"),
        C("\x3a", "a length runs past the end of its ModelProto at offset 1"),
        C("\x3a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", "ModelProto field 7 has length 9223372036854775808"),
        C("\x1b\x00", "ModelProto field 3 has wire type 3, which onnxrun does not read"),
        C("\x1c", "wire type 4"),
        C("\x1e", "wire type 6"),
        C("\x19\x01\x02\x03", "a 8-byte value runs past the end of its ModelProto at offset 1"),
        C("\x1d\x01\x02", "a 4-byte value runs past the end of its ModelProto"),
        /* a graph that fits the file, with an initializer longer than the graph */
        C("\x3a\x03\x2a\x0a\x00" "0123456789", "GraphProto field 5 has length 10 but 1 bytes are left at offset 3"),
        /* the graph's node whose attribute's tensor has raw_data as a varint */
        C("\x3a\x08\x0a\x06\x2a\x04\x2a\x02\x48\x01", "TensorProto field 9 has wire type 0"),
        C("\x3a\x06\x0a\x04\x2a\x02\x2a\x05", "AttributeProto field 5 has length 5 but 0 bytes are left at offset 7"),
        C("\x3a\x04\x0a\x02\x28\x01", "NodeProto field 5 has wire type 0"),
        C("\x3a\x02\x2a\x05", "GraphProto field 5 has length 5"),
        C("\x3a\x03\x2a\x01\x4a", "a length runs past the end of its TensorProto at offset 5"),
        C("\x3a\x04\x2a\x02\x4a\x09", "TensorProto field 9 has length 9 but 0 bytes are left"),
#undef C
    };
    char err[ERR_LEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wb b = { 0 };
        wb_bytes(&b, cases[i].bytes, cases[i].n);
        or_wire_out o;
        or_status st = wire_run(&b, &o, err);
        if (st != ONNXRUN_E_PARSE) fail_msg("case %zu: status %d, message %s", i, (int)st, err);
        assert_msg(err, "w.onnx: not a valid ONNX protobuf: the ");
        assert_msg(err, "bytes are truncated or corrupt (");
        assert_msg(err, cases[i].detail);
        /* the loader gives the same message */
        or_model m;
        char err2[ERR_LEN];
        assert_int_equal(or_model_parse(b.b, b.n, "w.onnx", NULL, NULL, &m, err2, ERR_LEN), ONNXRUN_E_PARSE);
        assert_string_equal(err, err2);
    }

    /* a wrong wire type off the path is protobuf-c's to find */
    wb b = { 0 };
    wb_ld(&b, 1, "x", 1);
    or_wire_out o;
    assert_status(wire_run(&b, &o, err), ONNXRUN_OK, err);
    or_wire_free(&o);
    or_model m;
    assert_int_equal(or_model_parse(b.b, b.n, "w.onnx", NULL, NULL, &m, err, ERR_LEN), ONNXRUN_E_PARSE);
    assert_msg(err, "w.onnx: not a valid ONNX protobuf: the 3 bytes are truncated or corrupt");

    /* nesting: k subgraphs, each NodeProto.attribute -> AttributeProto.g
     * -> GraphProto.node, in the main graph or in a function (ModelProto.
     * functions -> FunctionProto.node, at the same depths); the innermost
     * node is at depth 2 + 3(k - 1) */
    for (int k = 21; k <= 22; k++) {
        for (int in_function = 0; in_function < 2; in_function++) {
            wb node = { 0 };
            wb_ld(&node, 4, "Relu", 4);
            for (int i = 1; i < k; i++) {
                wb a = { 0 }, g1 = { 0 };
                wb_sub(&g1, 1, &node);
                wb_ld(&a, 1, "g", 1);
                wb_sub(&a, 6, &g1);
                node = (wb){ 0 };
                wb_sub(&node, 5, &a);
            }
            wb top = { 0 }, mm = { 0 };
            wb_sub(&top, in_function ? 7 : 1, &node);
            wb_sub(&mm, in_function ? 25 : 7, &top);
            or_status st = wire_run(&mm, &o, err);
            if (k == 21) {
                assert_status(st, ONNXRUN_OK, err);
                assert_int_equal(o.n_spans, 0);
                assert_int_equal(o.len, mm.n); /* copied as it is */
                assert_memory_equal(o.msg, mm.b, mm.n);
                or_wire_free(&o);
            } else {
                assert_int_equal(st, ONNXRUN_E_PARSE);
                assert_msg(err, "messages nested more than 64 deep (a NodeProto at offset");
            }
        }
    }
    /* types: GraphProto.input -> ValueInfoProto.type -> TypeProto ->
     * sequence_type -> elem_type -> ...; the innermost type at 3 + 2j */
    for (int j = 30; j <= 31; j++) {
        wb ty = { 0 };
        wb_ld(&ty, 1, "\x08\x01", 2); /* tensor_type { elem_type: FLOAT } */
        for (int i = 0; i < j; i++) {
            wb seq = { 0 };
            wb_sub(&seq, 1, &ty);
            ty = (wb){ 0 };
            wb_sub(&ty, i % 2 ? 4 : 9, &seq); /* sequence and optional alternately */
        }
        wb v = { 0 }, gg = { 0 }, mm = { 0 };
        wb_ld(&v, 1, "x", 1);
        wb_sub(&v, 2, &ty);
        wb_sub(&gg, 11, &v);
        wb_sub(&mm, 7, &gg);
        or_status st = wire_run(&mm, &o, err);
        if (j == 30) {
            assert_status(st, ONNXRUN_OK, err);
            or_wire_free(&o);
        } else {
            assert_int_equal(st, ONNXRUN_E_PARSE);
            assert_msg(err, "messages nested more than 64 deep (a TypeProto at offset");
        }
    }
    /* framing errors inside a checked subtree are found too */
    wb v = { 0 }, gg = { 0 }, mm = { 0 };
    wb_ld(&v, 1, "x", 1);
    wb_ld(&v, 2, "\x22\x05\x0a", 3); /* type { sequence_type: 5 bytes of which 1 is there } */
    wb_sub(&gg, 11, &v);
    wb_sub(&mm, 7, &gg);
    assert_int_equal(wire_run(&mm, &o, err), ONNXRUN_E_PARSE);
    assert_msg(err, "TypeProto field 4 has length 5 but 1 bytes are left");
    (void)graph;
}

/* ---- mapped models (or_model_load_path) ---- */

/* Packs t into the file `path` with the bytes pat[0..pn) (a payload) at a
 * file offset that is `mod` modulo 4, by lengthening producer_name; returns
 * that offset. */
static size_t write_at(tm *t, const char *path, const void *pat, size_t pn, size_t mod)
{
    static char prod[8];
    for (int k = 1; k <= 4; k++) {
        memset(prod, 'p', (size_t)k);
        prod[k] = 0;
        t->m.producer_name = prod;
        size_t len;
        uint8_t *b = tm_pack(t, &len);
        const uint8_t *at = memmem(b, len, pat, pn);
        assert_non_null(at);
        size_t off = (size_t)(at - b);
        if (off % 4 == mod) {
            write_file(path, b, len);
            free(b);
            return off;
        }
        free(b);
    }
    fail_msg("no producer_name puts the payload at offset %zu mod 4", mod);
    return 0;
}

/* Resident kB of the mapping that holds p (/proc/self/smaps), -1 if none. */
/* kB of the pages of [p, p + len) that are resident (mincore). */
static long resident_kb(const void *p, size_t len)
{
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)p / (uintptr_t)ps * (uintptr_t)ps, hi = (uintptr_t)p + len;
    size_t pages = (hi - lo + (uintptr_t)ps - 1) / (uintptr_t)ps;
    unsigned char *v = malloc(pages ? pages : 1);
    assert_non_null(v);
    if (mincore((void *)lo, hi - lo, v) != 0) {
        free(v);
        return -1;
    }
    long n = 0;
    for (size_t i = 0; i < pages; i++) n += v[i] & 1;
    free(v);
    return n * ps / 1024;
}

static or_status load_path(const char *path, or_model *m, char *err)
{
    or_status st = or_model_load_path(path, NULL, m, err, ERR_LEN);
    if (st) {
        assert_null(m->path);
        assert_int_equal(m->n_maps, 0);
        if (strncmp(err, path, strlen(path))) fail_msg("message does not name the file: %s", err);
    }
    return st;
}

static void test_mapped_model(void **state)
{
    (void)state;
    char dir[] = "/tmp/or_loader_map_XXXXXX", path[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    enum { N = 1 << 18 }; /* 1 MiB of float */
    float *w = malloc(N * sizeof *w);
    for (int i = 0; i < N; i++) w[i] = (float)i * 0.5f - 7;
    tm t;
    tm_init(&t);
    t.init_dims[0][0] = N;
    t.init[0].n_float_data = 0;
    t.init[0].has_raw_data = 1;
    t.init[0].raw_data.data = (uint8_t *)w;
    t.init[0].raw_data.len = N * sizeof *w;
    or_model m;
    char err[ERR_LEN];

    /* aligned: a view into the file's bytes, read into memory the model owns */
    size_t off = write_at(&t, path, w, N * sizeof *w, 0);
    assert_status(load_path(path, &m, err), ONNXRUN_OK, err);
    assert_string_equal(m.path, path);
    assert_string_equal(m.dir, dir);
    assert_int_equal(m.n_maps, 1);
    const or_init *in = &m.graph.inits[0];
    assert_true(in->mapped);
    assert_ptr_equal(in->t.data, (uint8_t *)m.maps[0].addr + off);
    assert_true(off + N * sizeof *w <= m.maps[0].len);
    assert_int_equal(m.weight_bytes, N * sizeof *w);
    assert_memory_equal(in->t.data, w, N * sizeof *w);
    or_model_free(&m);
    assert_int_equal(m.n_maps, 0);

    /* misaligned: moved down in place over its own key and length, then a
     * view; src still names the file's bytes (weights.c reads them back) */
    for (size_t mod = 1; mod < 4; mod++) {
        off = write_at(&t, path, w, N * sizeof *w, mod);
        assert_status(load_path(path, &m, err), ONNXRUN_OK, err);
        in = &m.graph.inits[0];
        const uint8_t *a = m.maps[0].addr;
        assert_true(in->mapped);
        assert_ptr_equal(in->t.data, a + off - mod);
        assert_ptr_equal(in->src, a + off);
        assert_memory_equal(in->t.data, w, N * sizeof *w);
        or_model_free(&m);
    }

    /* misaligned and under 16 KiB (its key and length may be shorter than
     * the move): copied */
    t.init_dims[0][0] = 1000;
    t.init[0].raw_data.len = 1000 * sizeof *w;
    for (size_t mod = 1; mod < 4; mod++) {
        off = write_at(&t, path, w, 1000 * sizeof *w, mod);
        assert_status(load_path(path, &m, err), ONNXRUN_OK, err);
        in = &m.graph.inits[0];
        assert_false(in->mapped);
        assert_true((uintptr_t)in->t.data % sizeof(float) == 0);
        const uint8_t *a = m.maps[0].addr, *d = in->t.data;
        assert_true(d + 1000 * sizeof *w <= a || d >= a + m.maps[0].len);
        assert_memory_equal(in->t.data, w, 1000 * sizeof *w);
        or_model_free(&m);
    }
    /* a payload that must be copied (bool bytes other than 0 and 1): the
     * copied pages of the file's bytes are released */
    uint8_t *bb = malloc(N);
    for (int i = 0; i < N; i++) bb[i] = (uint8_t)(i % 2);
    bb[12345] = 7;
    t.init[0].data_type = ONNXRUN_BOOL;
    t.init_dims[0][0] = N;
    t.init[0].raw_data.data = bb;
    t.init[0].raw_data.len = N;
    off = write_at(&t, path, bb, N, 1);
    assert_status(load_path(path, &m, err), ONNXRUN_OK, err);
    in = &m.graph.inits[0];
    assert_false(in->mapped);
    assert_int_equal(((const uint8_t *)in->t.data)[12345], 1);
    assert_int_equal(((const uint8_t *)in->t.data)[12346], 0);
    long kb = resident_kb((const uint8_t *)m.maps[0].addr + off, N);
    print_message("copied payload: %ld kB of the file's copied bytes resident\n", kb);
    assert_true(kb >= 0 && kb < 512);
    or_model_free(&m);
    free(bb);
    t.init[0].data_type = ONNXRUN_FLOAT;
    t.init[0].raw_data.data = (uint8_t *)w;
    t.init[0].raw_data.len = N * sizeof *w;

    /* the same bytes from a buffer: payloads copied, nothing mapped */
    size_t len;
    uint8_t *b = tm_pack(&t, &len);
    assert_status(or_model_parse(b, len, "mem.onnx", NULL, NULL, &m, err, ERR_LEN), ONNXRUN_OK, err);
    assert_int_equal(m.n_maps, 0);
    assert_false(m.graph.inits[0].mapped);
    assert_memory_equal(m.graph.inits[0].t.data, w, N * sizeof *w);
    or_model_free(&m);
    free(b);

    /* int8 needs no alignment; bool only 0/1 bytes (else copied as 0/1);
     * a Constant's tensor is a view as well */
    int8_t i8[7] = { 1, -2, 3, -4, 5, -6, 7 };
    uint8_t bo[5] = { 0, 1, 1, 0, 1 };
    tm_init(&t);
    t.init_dims[0][0] = 7;
    t.init[0].data_type = ONNXRUN_INT8;
    t.init[0].n_float_data = 0;
    t.init[0].has_raw_data = 1;
    t.init[0].raw_data.data = (uint8_t *)i8;
    t.init[0].raw_data.len = sizeof i8;
    Onnx__AttributeProto *at = attr(&t, 0, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    Onnx__TensorProto tv = tp_new(ONNXRUN_BOOL, 1, (int64_t[]){ 5 });
    tv.has_raw_data = 1, tv.raw_data.data = bo, tv.raw_data.len = sizeof bo;
    at->t = &tv;
    tm_node(&t, 1, "c1", "Constant", NULL, NULL, "k");
    t.node[1].n_input = 0;
    t.node[1].attribute = t.attrp;
    t.node[1].n_attribute = 1;
    t.g.n_node = 2;
    for (size_t mod = 0; mod < 4; mod++) {
        write_at(&t, path, i8, sizeof i8, mod);
        assert_status(load_path(path, &m, err), ONNXRUN_OK, err);
        assert_true(m.graph.inits[0].mapped);
        assert_true(in_maps(&m, m.graph.inits[0].t.data, sizeof i8));
        assert_memory_equal(m.graph.inits[0].t.data, i8, sizeof i8);
        const or_attr *a = or_node_attr(&m.graph.nodes[1], "value");
        assert_true(a->t_mapped);
        assert_true(in_maps(&m, a->t->data, sizeof bo));
        assert_memory_equal(a->t->data, bo, sizeof bo);
        or_model_free(&m);
    }
    bo[3] = 7;
    write_at(&t, path, i8, sizeof i8, 0);
    assert_status(load_path(path, &m, err), ONNXRUN_OK, err);
    const or_attr *a = or_node_attr(&m.graph.nodes[1], "value");
    assert_false(a->t_mapped);
    assert_false(in_maps(&m, a->t->data, sizeof bo));
    assert_memory_equal(a->t->data, ((uint8_t[]){ 0, 1, 1, 1, 1 }), sizeof bo);
    or_model_free(&m);

    /* errors: no file, a folder, an empty file, a truncated one, arguments */
    char missing[320];
    snprintf(missing, sizeof missing, "%s/missing.onnx", dir);
    assert_status(load_path(missing, &m, err), ONNXRUN_E_IO, err);
    assert_msg(err, strerror(ENOENT));
    assert_status(load_path(dir, &m, err), ONNXRUN_E_IO, err);
    assert_msg(err, strerror(EISDIR));
    write_file(path, "", 0);
    assert_status(load_path(path, &m, err), ONNXRUN_E_PARSE, err);
    assert_msg(err, "the file is empty");
    b = tm_pack(&t, &len);
    write_file(path, b, len - 3);
    free(b);
    assert_status(load_path(path, &m, err), ONNXRUN_E_PARSE, err);
    assert_msg(err, "truncated or corrupt");
    assert_int_equal(or_model_load_path(NULL, NULL, &m, err, ERR_LEN), ONNXRUN_E_ARG);
    assert_int_equal(or_model_load_path(path, NULL, NULL, err, ERR_LEN), ONNXRUN_E_ARG);
    or_model_free(&m);

    unlink(path);
    rmdir(dir);
    free(w);
}

/* ---- the malformed corpus ---- */

static const char *status_enum_name(or_status st)
{
    static const char *const names[] = {
        "ONNXRUN_OK", "ONNXRUN_E_ARG", "ONNXRUN_E_IO", "ONNXRUN_E_PARSE", "ONNXRUN_E_INVALID",
        "ONNXRUN_E_UNSUPPORTED", "ONNXRUN_E_SHAPE", "ONNXRUN_E_LIMIT", "ONNXRUN_E_NOMEM", "ONNXRUN_E_RUNTIME", "ONNXRUN_E_CANCELLED",
    };
    _Static_assert(sizeof names / sizeof names[0] == ONNXRUN_STATUS_COUNT, "status names");
    return (unsigned)st < ONNXRUN_STATUS_COUNT ? names[st] : "?";
}

static void test_malformed_corpus(void **state)
{
    (void)state;
    const char *src = getenv("ONNXRUN_SOURCE_DIR");
    char dir[1024], path[1300], line[1024];
    snprintf(dir, sizeof dir, "%s/tests/malformed", src ? src : "..");
    snprintf(path, sizeof path, "%s/EXPECTED", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s: %s", path, strerror(errno));
    int files = 0, session = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        char name[256], status[64];
        int off = 0;
        if (sscanf(line, "%255s %63s %n", name, status, &off) != 2 || !off)
            fail_msg("bad EXPECTED line: %s", line);
        char *sub = line + off;
        size_t sl = strlen(sub);
        bool at_session = sl >= 9 && !strcmp(sub + sl - 9, " @session");
        if (at_session) sub[sl - 9] = 0;

        uint8_t *buf;
        size_t len;
        char err[ERR_LEN];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        assert_status(or_read_file(path, &buf, &len, err, ERR_LEN), ONNXRUN_OK, err);
        or_model m;
        or_status st = or_model_parse(buf, len, name, dir, NULL, &m, err, ERR_LEN);
        free(buf);
        /* mapped from the file: the same status and message */
        or_model mm;
        char err2[ERR_LEN];
        or_status st2 = or_model_load_path(path, NULL, &mm, err2, ERR_LEN);
        or_model_free(&mm);
        if (st2 != st || (st && strcmp(err + strlen(name), err2 + strlen(path))))
            fail_msg("%s: mapped: status %d \"%s\", from a buffer: status %d \"%s\"", name, (int)st2, err2,
                     (int)st, err);
        if (at_session) {
            /* the interpreter refuses these; the loader must accept them */
            if (st) fail_msg("%s: the loader refuses a file meant for the session: %s", name, err);
            or_model_free(&m);
            session++;
            continue;
        }
        if (strcmp(status_enum_name(st), status))
            fail_msg("%s: got %s, want %s; message: %s", name, status_enum_name(st), status, err);
        if (!strstr(err, sub)) fail_msg("%s: message \"%s\" lacks \"%s\"", name, err, sub);
        if (strncmp(err, name, strlen(name))) fail_msg("%s: message does not name the file: %s", name, err);
        files++;
    }
    fclose(f);
    print_message("malformed corpus: %d files checked by the loader, %d left to the session\n", files, session);
    assert_true(files >= 12);
    assert_int_equal(session, 3);
}

/* ---- robustness: truncated and flipped bytes ---- */

static void test_truncated_and_flipped(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    Onnx__AttributeProto *a = attr(&t, 0, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 2, a->ints = (int64_t[]){ 1, 2 };
    t.node[0].attribute = t.attrp;
    t.node[0].n_attribute = 1;
    size_t len;
    uint8_t *full = tm_pack(&t, &len);
    char err[ERR_LEN];
    int refused = 0;
    for (size_t cut = 0; cut < len; cut++) {
        /* a copy of exactly `cut` bytes, so ASan sees any read past the end */
        uint8_t *b = malloc(cut ? cut : 1);
        memcpy(b, full, cut);
        or_model m;
        or_status st = or_model_parse(b, cut, "cut.onnx", NULL, NULL, &m, err, ERR_LEN);
        free(b);
        if (st) {
            refused++;
            assert_true(err[0] != 0);
        }
        or_model_free(&m);
    }
    assert_true(refused >= (int)len - 2); /* a cut on a field boundary may still form a valid model */
    uint8_t *b = malloc(len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(b, full, len);
            b[i] ^= (uint8_t)(1u << bit);
            or_model m;
            or_status st = or_model_parse(b, len, "flip.onnx", NULL, NULL, &m, err, ERR_LEN);
            assert_true(st == ONNXRUN_OK || err[0]);
            or_model_free(&m);
        }
    }
    free(b);
    free(full);
}

static void test_error_buffer(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    t.node_in[0][1] = "x9";
    size_t len;
    uint8_t *b = tm_pack(&t, &len);
    char err[8];
    memset(err, 'z', sizeof err);
    or_model m;
    assert_int_equal(or_model_parse(b, len, "mem.onnx", NULL, NULL, &m, err, sizeof err), ONNXRUN_E_INVALID);
    assert_string_equal(err, "mem.onn");
    assert_int_equal(or_model_parse(b, len, "mem.onnx", NULL, NULL, &m, NULL, 0), ONNXRUN_E_INVALID);
    assert_int_equal(or_model_parse(b, len, NULL, NULL, NULL, &m, err, 1), ONNXRUN_E_INVALID);
    assert_string_equal(err, "");
    char big[ERR_LEN];
    assert_int_equal(or_model_parse(b, len, NULL, NULL, NULL, &m, big, sizeof big), ONNXRUN_E_INVALID);
    assert_msg(big, "<buffer>: node 'add0'");
    assert_int_equal(or_model_parse(NULL, 5, "n", NULL, NULL, &m, big, sizeof big), ONNXRUN_E_ARG);
    assert_int_equal(or_model_parse(b, len, "n", NULL, NULL, NULL, big, sizeof big), ONNXRUN_E_ARG);
    free(b);
}

/* ---- an allocation failure at every site ---- */

static void test_alloc_failures(void **state)
{
    (void)state;
    tm t;
    tm_init(&t);
    Onnx__AttributeProto *a;
    a = attr(&t, 0, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.data = (uint8_t *)"x", a->s.len = 1;
    a = attr(&t, 1, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    float f[3] = { 4, 5, 6 };
    Onnx__TensorProto tv = tp_new(ONNXRUN_FLOAT, 1, (int64_t[]){ 3 });
    tv.has_raw_data = 1, tv.raw_data.data = (uint8_t *)f, tv.raw_data.len = 12;
    a->t = &tv;
    a = attr(&t, 2, "scales", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 1, a->floats = f;
    a = attr(&t, 3, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 1, a->ints = (int64_t[]){ 1 };
    a = attr(&t, 4, "names", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 2, a->strings = (ProtobufCBinaryData[]){ { 1, (uint8_t *)"a" }, { 1, (uint8_t *)"b" } };
    t.node[0].attribute = t.attrp;
    t.node[0].n_attribute = 5;
    t.prop[0].key = "k", t.prop[0].value = "v";
    t.m.n_metadata_props = 1;
    tm_vi(&t, 2, "y", 2, (const int64_t[]){ -1, 3 }, (const char *const[]){ "N", NULL });
    Onnx__ValueInfoProto *vis[] = { &t.vi[2] };
    t.g.value_info = vis;
    t.g.n_value_info = 1;
    size_t len;
    uint8_t *b = tm_pack(&t, &len);

    char err[ERR_LEN];
    or_model m;
    long n;
    for (n = 1;; n++) {
        or_ld_fail_alloc = n;
        or_status st = or_model_parse(b, len, "mem.onnx", "/tmp", NULL, &m, err, ERR_LEN);
        bool hit = or_ld_fail_alloc == 0;
        or_ld_fail_alloc = 0;
        if (!hit) {
            assert_status(st, ONNXRUN_OK, err);
            or_model_free(&m);
            break;
        }
        if (st != ONNXRUN_E_NOMEM) fail_msg("allocation %ld failed: status %d, message %s", n, (int)st, err);
        assert_msg(err, "out of memory");
        assert_null(m.path);
    }
    print_message("model: failed each of %ld allocations\n", n - 1);
    assert_true(n > 40);

    /* the same, mapped from a file */
    char path[] = "/tmp/or_loader_alloc_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, b, len);
    for (n = 1;; n++) {
        or_ld_fail_alloc = n;
        or_status st = or_model_load_path(path, NULL, &m, err, ERR_LEN);
        bool hit = or_ld_fail_alloc == 0;
        or_ld_fail_alloc = 0;
        if (!hit) {
            assert_status(st, ONNXRUN_OK, err);
            or_model_free(&m);
            break;
        }
        if (st != ONNXRUN_E_NOMEM) fail_msg("allocation %ld failed: status %d, message %s", n, (int)st, err);
        assert_msg(err, "out of memory");
        assert_null(m.path);
        assert_int_equal(m.n_maps, 0);
    }
    print_message("mapped model: failed each of %ld allocations\n", n - 1);
    assert_true(n > 40);
    unlink(path);
    free(b);

    /* the same for a .pb tensor and for reading a file */
    Onnx__TensorProto tp = tp_new(ONNXRUN_INT8, 1, (int64_t[]){ 3 });
    tp.n_int32_data = 3, tp.int32_data = (int32_t[]){ 1, 2, 3 };
    for (n = 1;; n++) {
        or_tensor x;
        char *name;
        or_ld_fail_alloc = n;
        size_t pl = onnx__tensor_proto__get_packed_size(&tp);
        uint8_t *pb = malloc(pl);
        onnx__tensor_proto__pack(&tp, pb);
        or_status st = or_tensor_parse(pb, pl, "t.pb", &x, &name, err, ERR_LEN);
        free(pb);
        bool hit = or_ld_fail_alloc == 0;
        or_ld_fail_alloc = 0;
        if (!hit) {
            assert_status(st, ONNXRUN_OK, err);
            free(x.data);
            free(name);
            break;
        }
        assert_status(st, ONNXRUN_E_NOMEM, err);
        assert_null(x.data);
        assert_null(name);
    }
    assert_true(n > 3);
    uint8_t *fb;
    size_t fl;
    or_ld_fail_alloc = 1;
    assert_status(or_read_file(CONV_DIR "/model.onnx", &fb, &fl, err, ERR_LEN), ONNXRUN_E_NOMEM, err);
    assert_int_equal(or_ld_fail_alloc, 0);
    assert_null(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_model),
        cmocka_unit_test(test_initializer_as_input_and_metadata),
        cmocka_unit_test(test_typed_fields),
        cmocka_unit_test(test_raw_data),
        cmocka_unit_test(test_tensor_errors),
        cmocka_unit_test(test_tensor_parse_files),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_versions_and_opsets),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_real_model),
        cmocka_unit_test(test_wire_compact),
        cmocka_unit_test(test_wire_hostile),
        cmocka_unit_test(test_mapped_model),
        cmocka_unit_test(test_malformed_corpus),
        cmocka_unit_test(test_truncated_and_flipped),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
