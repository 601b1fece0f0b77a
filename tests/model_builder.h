/*
 * model_builder.h - builds small ONNX models in memory with protobuf-c, for
 * unit tests of the interpreter and API (no files, no Python).
 *
 *   mb b; mb_init(&b, 13);
 *   mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){1, 4});     // -1 dim -> symbolic "N"
 *   mb_node(&b, "Relu", "r", "x", "y");                           // inputs/outputs comma-separated
 *   mb_output(&b, "y", ONNXRUN_FLOAT);
 *   size_t len; uint8_t *buf = mb_pack(&b, &len); ... free(buf); mb_free(&b);
 */
#ifndef MODEL_BUILDER_H
#define MODEL_BUILDER_H

#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnxrun.h"

#define MB_MAX 256

typedef struct mb {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset, *opsets[1];
    Onnx__NodeProto *nodes[MB_MAX];
    Onnx__ValueInfoProto *inputs[MB_MAX], *outputs[MB_MAX];
    Onnx__TensorProto *inits[MB_MAX];
    void *allocs[MB_MAX * 16];
    size_t n_allocs;
} mb;

static inline void *mb_alloc(mb *b, size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (b->n_allocs < sizeof b->allocs / sizeof b->allocs[0]) b->allocs[b->n_allocs++] = p;
    return p;
}

static inline char *mb_str(mb *b, const char *s)
{
    char *p = mb_alloc(b, strlen(s) + 1);
    strcpy(p, s);
    return p;
}

static inline void mb_init(mb *b, int64_t opset)
{
    memset(b, 0, sizeof *b);
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.domain = (char *)"";
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    b->model.has_ir_version = 1;
    b->model.ir_version = 8;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.producer_name = (char *)"model_builder";
    b->model.graph = &b->graph;
    b->graph.name = (char *)"test";
    b->graph.node = b->nodes;
    b->graph.input = b->inputs;
    b->graph.output = b->outputs;
    b->graph.initializer = b->inits;
}

static inline Onnx__ValueInfoProto *mb_value(mb *b, const char *name, onnxrun_dtype dt, int rank,
                                             const int64_t *dims)
{
    Onnx__ValueInfoProto *v = mb_alloc(b, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = mb_str(b, name);
    Onnx__TypeProto *tp = mb_alloc(b, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = mb_alloc(b, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dt;
    if (rank >= 0) {
        Onnx__TensorShapeProto *sh = mb_alloc(b, sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        sh->n_dim = (size_t)rank;
        sh->dim = mb_alloc(b, (size_t)rank * sizeof *sh->dim);
        for (int i = 0; i < rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = mb_alloc(b, sizeof *d);
            onnx__tensor_shape_proto__dimension__init(d);
            if (dims[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = dims[i];
            } else {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = (char *)"N";
            }
            sh->dim[i] = d;
        }
        tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    return v;
}

static inline void mb_input(mb *b, const char *name, onnxrun_dtype dt, int rank, const int64_t *dims)
{
    b->inputs[b->graph.n_input++] = mb_value(b, name, dt, rank, dims);
}

static inline void mb_output(mb *b, const char *name, onnxrun_dtype dt)
{
    b->outputs[b->graph.n_output++] = mb_value(b, name, dt, -1, NULL);
}

/* An initializer with raw little-endian data of bytes bytes. */
static inline void mb_init_raw(mb *b, const char *name, onnxrun_dtype dt, int rank,
                               const int64_t *dims, const void *data, size_t bytes)
{
    Onnx__TensorProto *t = mb_alloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(b, name);
    t->has_data_type = 1;
    t->data_type = dt;
    t->n_dims = (size_t)rank;
    t->dims = mb_alloc(b, (size_t)rank * sizeof *t->dims);
    if (rank > 0) memcpy(t->dims, dims, (size_t)rank * sizeof *dims); /* a scalar may pass NULL */
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = mb_alloc(b, bytes);
    memcpy(t->raw_data.data, data, bytes);
    b->inits[b->graph.n_initializer++] = t;
}

static inline void mb_split(mb *b, const char *csv, size_t *n, char ***out)
{
    *n = 0;
    *out = mb_alloc(b, 16 * sizeof **out);
    if (!csv || !*csv) return;
    const char *p = csv;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *s = mb_alloc(b, len + 1);
        memcpy(s, p, len);
        (*out)[(*n)++] = s;
        if (!e || *n == 16) break;
        p = e + 1;
    }
}

static inline Onnx__NodeProto *mb_node(mb *b, const char *op, const char *name, const char *ins,
                                       const char *outs)
{
    Onnx__NodeProto *n = mb_alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(b, op);
    n->name = mb_str(b, name);
    mb_split(b, ins, &n->n_input, &n->input);
    mb_split(b, outs, &n->n_output, &n->output);
    n->attribute = mb_alloc(b, 16 * sizeof *n->attribute);
    b->nodes[b->graph.n_node++] = n;
    return n;
}

static inline Onnx__AttributeProto *mb_attr(mb *b, Onnx__NodeProto *n, const char *name,
                                            Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = mb_alloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(b, name);
    a->has_type = 1;
    a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static inline void mb_attr_int(mb *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static inline void mb_attr_ints(mb *b, Onnx__NodeProto *n, const char *name, size_t count,
                                const int64_t *v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = count;
    a->ints = mb_alloc(b, count * sizeof *v);
    memcpy(a->ints, v, count * sizeof *v);
}

static inline void mb_attr_float(mb *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

/* Serializes the model into a malloc'd buffer. */
static inline uint8_t *mb_pack(mb *b, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = malloc(*len ? *len : 1);
    onnx__model_proto__pack(&b->model, buf);
    return buf;
}

static inline void mb_free(mb *b)
{
    for (size_t i = 0; i < b->n_allocs; i++) free(b->allocs[i]);
    b->n_allocs = 0;
}

#endif /* MODEL_BUILDER_H */
