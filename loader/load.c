/*
 * load.c - ModelProto bytes -> or_model (graph.h). A model file (and an
 * external data file) is read whole into memory the model owns
 * (or_ld_map), never mapped: changing, truncating or deleting the file
 * afterwards cannot touch a loaded model (a mapping would raise SIGBUS in
 * every process using it). Its bytes, or a caller's buffer, first go
 * through the wire pass (wire.c), which cuts the tensor payloads out, and
 * protobuf-c unpacks what is left - a small message. This file copies what
 * onnxrun keeps (IR version, opsets, metadata, graph inputs/outputs/
 * value_info, nodes with attributes, initializers) into the or_model
 * structs, validating strings as it goes, then frees the protobuf objects.
 * Tensors are converted by tensor_pb.c (payloads left in the mapping when
 * aligned, so the weights are held once) and external data mapped by
 * external.c; check.c validates the graph's structure afterwards.
 *
 * Every allocation goes through or_ld_malloc so tests can fail each one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define OR_DEFAULT_MAX_BYTES ((uint64_t)4 << 30)
#define OR_DEFAULT_MAX_NODES 1000000u
#define OR_MAX_FILE_BYTES ((uint64_t)8 << 30)

/* ---- errors and allocation ---- */

/* See internal.h for this and the allocation wrappers below. */
or_status or_ld_fail(or_ld *ld, or_status st, const char *fmt, ...)
{
    if (!ld->err || !ld->err_len) return st;
    int n = snprintf(ld->err, ld->err_len, "%s: ", ld->path);
    if (n >= 0 && (size_t)n < ld->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->err + n, ld->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return st;
}

long or_ld_fail_alloc;

void *or_ld_malloc(size_t n)
{
    if (or_ld_fail_alloc > 0 && --or_ld_fail_alloc == 0) return NULL;
    return malloc(n ? n : 1);
}

void *or_ld_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) return NULL;
    void *p = or_ld_malloc(bytes);
    if (p) memset(p, 0, bytes ? bytes : 1);
    return p;
}

char *or_ld_strndup(const char *s, size_t n)
{
    if (n == SIZE_MAX) return NULL;
    char *p = or_ld_malloc(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void *pb_alloc(void *data, size_t size)
{
    void *p = or_ld_malloc(size);
    if (!p) ((or_pb_alloc *)data)->failed = true;
    return p;
}

static void pb_free(void *data, void *p)
{
    (void)data;
    free(p);
}

void or_pb_alloc_init(or_pb_alloc *pa)
{
    pa->a.alloc = pb_alloc;
    pa->a.free = pb_free;
    pa->a.allocator_data = pa;
    pa->failed = false;
}

#define NOMEM(ld) or_ld_fail((ld), ONNXRUN_E_NOMEM, "out of memory")

/* Validates src (NULL = "") as UTF-8 and stores a copy in *dst. */
static or_status copy_str(or_ld *ld, const char *src, char **dst, const char *what, const char *field)
{
    if (!src) src = "";
    or_status st = or_ld_utf8(ld, src, what, field);
    if (st) return st;
    if (!(*dst = or_ld_strndup(src, strlen(src)))) return NOMEM(ld);
    return ONNXRUN_OK;
}

/* "" for the default ONNX domain, which files may also spell "ai.onnx". */
static const char *norm_domain(const char *d)
{
    return !d || !strcmp(d, "ai.onnx") ? "" : d;
}

/* ---- graph inputs, outputs, value_info ---- */

static or_status convert_value_info(or_ld *ld, const Onnx__ValueInfoProto *v, const char *kind,
                                    size_t idx, or_value_info *o)
{
    char what[96];
    snprintf(what, sizeof what, "%s #%zu", kind, idx);
    or_status st = copy_str(ld, v->name, &o->name, what, "name");
    if (st) return st;
    o->dtype = ONNXRUN_UNDEFINED;
    o->rank = -1;
    const Onnx__TypeProto *ty = v->type;
    if (!ty || ty->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) return ONNXRUN_OK;
    if (ty->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !ty->tensor_type) {
        const char *t = ty->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ? "a sequence"
                      : ty->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE ? "a map"
                      : ty->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE ? "an optional"
                      : ty->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE ? "a sparse tensor"
                      : "not a tensor";
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED,
                          "%s '%s' is %s; onnxrun only handles dense tensors", kind, o->name, t);
    }
    const Onnx__TypeProto__Tensor *tt = ty->tensor_type;
    if (tt->has_elem_type && tt->elem_type != ONNXRUN_UNDEFINED) {
        if (tt->elem_type < 0 || tt->elem_type >= ONNXRUN_DTYPE_COUNT ||
            !onnxrun_dtype_size((onnxrun_dtype)tt->elem_type))
            return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "%s '%s': data type %s (%d) is not supported",
                              kind, o->name, or_pb_dtype_name(tt->elem_type), (int)tt->elem_type);
        o->dtype = (onnxrun_dtype)tt->elem_type;
    }
    if (!tt->shape) return ONNXRUN_OK;
    if (tt->shape->n_dim > OR_MAX_RANK)
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "%s '%s': rank %zu is above onnxrun's limit of %d",
                          kind, o->name, tt->shape->n_dim, OR_MAX_RANK);
    o->rank = (int)tt->shape->n_dim;
    for (int i = 0; i < o->rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        o->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value >= 0) o->dims[i] = d->dim_value; /* a negative size is taken as unknown */
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
            char field[32];
            snprintf(field, sizeof field, "dim_param #%d", i);
            snprintf(what, sizeof what, "%s '%s'", kind, o->name);
            if ((st = copy_str(ld, d->dim_param, &o->dim_param[i], what, field))) return st;
        }
    }
    return ONNXRUN_OK;
}

static or_status convert_value_infos(or_ld *ld, Onnx__ValueInfoProto **src, size_t n,
                                     const char *kind, or_value_info **dst, size_t *n_dst)
{
    if (!n) return ONNXRUN_OK;
    if (!(*dst = or_ld_calloc(n, sizeof **dst))) return NOMEM(ld);
    *n_dst = n;
    for (size_t i = 0; i < n; i++) {
        or_status st = convert_value_info(ld, src[i], kind, i, &(*dst)[i]);
        if (st) return st;
    }
    return ONNXRUN_OK;
}

/* ---- attributes ---- */

/* Type of an attribute from files of IR version 1 that have no `type`:
 * whichever value field is set. */
static or_attr_type infer_attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_f) return OR_ATTR_FLOAT;
    if (a->has_i) return OR_ATTR_INT;
    if (a->has_s) return OR_ATTR_STRING;
    if (a->t) return OR_ATTR_TENSOR;
    if (a->g) return OR_ATTR_GRAPH;
    if (a->sparse_tensor) return OR_ATTR_SPARSE_TENSOR;
    if (a->tp) return OR_ATTR_TYPE_PROTO;
    if (a->n_floats) return OR_ATTR_FLOATS;
    if (a->n_ints) return OR_ATTR_INTS;
    if (a->n_strings) return OR_ATTR_STRINGS;
    if (a->n_tensors) return OR_ATTR_TENSORS;
    if (a->n_graphs) return OR_ATTR_GRAPHS;
    if (a->n_sparse_tensors) return OR_ATTR_SPARSE_TENSORS;
    if (a->n_type_protos) return OR_ATTR_TYPE_PROTOS;
    return OR_ATTR_UNDEFINED;
}

static const char *attr_kind_name(or_attr_type t)
{
    switch (t) {
    case OR_ATTR_GRAPH: return "a graph (subgraphs are not supported)";
    case OR_ATTR_GRAPHS: return "a list of graphs (subgraphs are not supported)";
    case OR_ATTR_SPARSE_TENSOR: return "a sparse tensor";
    case OR_ATTR_SPARSE_TENSORS: return "a list of sparse tensors";
    case OR_ATTR_TENSORS: return "a list of tensors";
    case OR_ATTR_TYPE_PROTO: return "a type";
    case OR_ATTR_TYPE_PROTOS: return "a list of types";
    default: return "of an unknown kind";
    }
}

/* nw = "node 'name' (#i, Op)" */
static or_status convert_attr(or_ld *ld, const char *nw, size_t j, Onnx__AttributeProto *pa, or_attr *a)
{
    char what[640];
    snprintf(what, sizeof what, "%s: attribute #%zu", nw, j);
    or_status st = copy_str(ld, pa->name, &a->name, what, "name");
    if (st) return st;
    if (!a->name[0]) return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: attribute #%zu has no name", nw, j);
    snprintf(what, sizeof what, "%s: attribute '%s'", nw, a->name);
    if (pa->ref_attr_name && pa->ref_attr_name[0])
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s refers to a function attribute outside a function", what);
    or_attr_type t = pa->has_type && pa->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
                   ? (or_attr_type)pa->type : infer_attr_type(pa);
    a->type = t;
    switch (t) {
    case OR_ATTR_FLOAT:
        a->f = pa->f;
        return ONNXRUN_OK;
    case OR_ATTR_INT:
        a->i = pa->i;
        return ONNXRUN_OK;
    case OR_ATTR_STRING: {
        size_t len = pa->s.len, bad = or_utf8_bad(pa->s.data, len);
        if (bad < len)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: string is not valid UTF-8 (byte 0x%02x at offset %zu)",
                              what, pa->s.data[bad], bad);
        if (!(a->s = or_ld_strndup((const char *)pa->s.data, len))) return NOMEM(ld);
        a->s_len = len;
        return ONNXRUN_OK;
    }
    case OR_ATTR_TENSOR:
        if (!pa->t) return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s is of type TENSOR but holds no tensor", what);
        if (!(a->t = or_ld_calloc(1, sizeof *a->t))) return NOMEM(ld);
        return or_ld_tensor(ld, pa->t, what, a->t, &a->t_mapped);
    case OR_ATTR_FLOATS:
        if (pa->n_floats) {
            if (!(a->floats = or_ld_calloc(pa->n_floats, sizeof(float)))) return NOMEM(ld);
            memcpy(a->floats, pa->floats, pa->n_floats * sizeof(float));
        }
        a->n = pa->n_floats;
        return ONNXRUN_OK;
    case OR_ATTR_INTS:
        if (pa->n_ints) {
            if (!(a->ints = or_ld_calloc(pa->n_ints, sizeof(int64_t)))) return NOMEM(ld);
            memcpy(a->ints, pa->ints, pa->n_ints * sizeof(int64_t));
        }
        a->n = pa->n_ints;
        return ONNXRUN_OK;
    case OR_ATTR_STRINGS:
        if (!pa->n_strings) return ONNXRUN_OK;
        if (!(a->strings = or_ld_calloc(pa->n_strings, sizeof(char *)))) return NOMEM(ld);
        a->n = pa->n_strings;
        for (size_t k = 0; k < pa->n_strings; k++) {
            const ProtobufCBinaryData *b = &pa->strings[k];
            size_t bad = or_utf8_bad(b->data, b->len);
            if (bad < b->len)
                return or_ld_fail(ld, ONNXRUN_E_INVALID,
                                  "%s: string #%zu is not valid UTF-8 (byte 0x%02x at offset %zu)",
                                  what, k, b->data[bad], bad);
            if (b->len && memchr(b->data, 0, b->len))
                return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: string #%zu contains a NUL byte", what, k);
            if (!(a->strings[k] = or_ld_strndup((const char *)b->data, b->len))) return NOMEM(ld);
        }
        return ONNXRUN_OK;
    case OR_ATTR_UNDEFINED:
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s has no value", what);
    case OR_ATTR_GRAPH: case OR_ATTR_GRAPHS: case OR_ATTR_SPARSE_TENSOR: case OR_ATTR_SPARSE_TENSORS:
    case OR_ATTR_TENSORS: case OR_ATTR_TYPE_PROTO: case OR_ATTR_TYPE_PROTOS:
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "%s is %s", what, attr_kind_name(t));
    }
    return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s has unknown type %d", what, (int)t);
}

/* ---- nodes ---- */

static or_status copy_names(or_ld *ld, char **src, size_t n, const char *nw, const char *kind,
                            char ***dst, size_t *n_dst)
{
    if (!n) return ONNXRUN_OK;
    if (!(*dst = or_ld_calloc(n, sizeof **dst))) return NOMEM(ld);
    *n_dst = n;
    for (size_t j = 0; j < n; j++) {
        char field[48];
        snprintf(field, sizeof field, "%s #%zu", kind, j);
        or_status st = copy_str(ld, src[j], &(*dst)[j], nw, field);
        if (st) return st;
    }
    return ONNXRUN_OK;
}

static or_status convert_node(or_ld *ld, Onnx__NodeProto *pn, size_t i, or_node *n)
{
    char nw[512];
    n->index = i;
    snprintf(nw, sizeof nw, "node #%zu", i);
    or_status st = copy_str(ld, pn->op_type, &n->op_type, nw, "op_type");
    if (st) return st;
    snprintf(nw, sizeof nw, "node #%zu (%s)", i, n->op_type);
    if ((st = copy_str(ld, pn->name, &n->name, nw, "name"))) return st;
    snprintf(nw, sizeof nw, "node '%s' (#%zu, %s)", n->name, i, n->op_type);
    if ((st = copy_str(ld, norm_domain(pn->domain), &n->domain, nw, "domain"))) return st;
    if ((st = copy_names(ld, pn->input, pn->n_input, nw, "input", &n->inputs, &n->n_inputs))) return st;
    if ((st = copy_names(ld, pn->output, pn->n_output, nw, "output", &n->outputs, &n->n_outputs))) return st;
    if (!pn->n_attribute) return ONNXRUN_OK;
    if (!(n->attrs = or_ld_calloc(pn->n_attribute, sizeof *n->attrs))) return NOMEM(ld);
    n->n_attrs = pn->n_attribute;
    for (size_t j = 0; j < pn->n_attribute; j++) {
        if ((st = convert_attr(ld, nw, j, pn->attribute[j], &n->attrs[j]))) return st;
        for (size_t k = 0; k < j; k++)
            if (!strcmp(n->attrs[k].name, n->attrs[j].name))
                return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: attribute '%s' is given twice", nw,
                                  n->attrs[j].name);
    }
    return ONNXRUN_OK;
}

/* ---- graph and model ---- */

static or_status convert_graph(or_ld *ld, const Onnx__GraphProto *g, uint64_t max_nodes, or_model *m)
{
    or_graph *o = &m->graph;
    or_status st;
    if ((st = copy_str(ld, g->name, &o->name, "graph", "name"))) return st;
    if (g->n_node > max_nodes)
        return or_ld_fail(ld, ONNXRUN_E_LIMIT, "the graph has %zu nodes, above the limit of %llu",
                          g->n_node, (unsigned long long)max_nodes);
    if (g->n_sparse_initializer) {
        const Onnx__SparseTensorProto *sp = g->sparse_initializer[0];
        const char *nm = sp->values && sp->values->name ? sp->values->name : "";
        if ((st = or_ld_utf8(ld, nm, "sparse initializer #0", "name"))) return st;
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "sparse initializer '%s' is not supported", nm);
    }
    if ((st = convert_value_infos(ld, g->input, g->n_input, "graph input", &o->inputs, &o->n_inputs)) ||
        (st = convert_value_infos(ld, g->output, g->n_output, "graph output", &o->outputs, &o->n_outputs)) ||
        (st = convert_value_infos(ld, g->value_info, g->n_value_info, "value_info", &o->value_infos,
                                  &o->n_value_infos)))
        return st;

    if (g->n_initializer) {
        if (!(o->inits = or_ld_calloc(g->n_initializer, sizeof *o->inits))) return NOMEM(ld);
        o->n_inits = g->n_initializer;
    }
    for (size_t i = 0; i < g->n_initializer; i++) {
        char what[96];
        snprintf(what, sizeof what, "initializer #%zu", i);
        if ((st = copy_str(ld, g->initializer[i]->name, &o->inits[i].name, what, "name"))) return st;
        char *w = or_ld_malloc(strlen(o->inits[i].name) + 16);
        if (!w) return NOMEM(ld);
        sprintf(w, "initializer '%s'", o->inits[i].name);
        st = or_ld_tensor(ld, g->initializer[i], w, &o->inits[i].t, &o->inits[i].mapped);
        o->inits[i].src = ld->placed;
        free(w);
        if (st) return st;
    }
    m->weight_bytes = ld->bytes; /* before attribute tensors are counted */

    if (g->n_node) {
        if (!(o->nodes = or_ld_calloc(g->n_node, sizeof *o->nodes))) return NOMEM(ld);
        o->n_nodes = g->n_node;
    }
    for (size_t i = 0; i < g->n_node; i++)
        if ((st = convert_node(ld, g->node[i], i, &o->nodes[i]))) return st;
    return ONNXRUN_OK;
}

static or_status convert_model(or_ld *ld, Onnx__ModelProto *mp, uint64_t max_nodes, or_model *m)
{
    or_status st;
    if (!mp->has_ir_version)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "no IR version (is this an ONNX model?)");
    if (mp->ir_version < OR_IR_MIN || mp->ir_version > OR_IR_MAX)
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED, "IR version %lld is not supported (%d to %d are)",
                          (long long)mp->ir_version, OR_IR_MIN, OR_IR_MAX);
    m->ir_version = mp->ir_version;
    if ((st = copy_str(ld, mp->producer_name, &m->producer, "model", "producer_name"))) return st;

    if (mp->n_opset_import) {
        if (!(m->opsets = or_ld_calloc(mp->n_opset_import, sizeof *m->opsets))) return NOMEM(ld);
        m->n_opsets = mp->n_opset_import;
    }
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = mp->opset_import[i];
        char what[48];
        snprintf(what, sizeof what, "opset_import #%zu", i);
        if ((st = copy_str(ld, norm_domain(os->domain), &m->opsets[i].domain, what, "domain"))) return st;
        const char *d = m->opsets[i].domain;
        m->opsets[i].version = os->version;
        if (!os->has_version)
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "opset_import of domain '%s' has no version", d);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(m->opsets[k].domain, d))
                return or_ld_fail(ld, ONNXRUN_E_INVALID, "domain '%s' is imported twice", d);
        if (!d[0] && (os->version < OR_OPSET_MIN || os->version > OR_OPSET_MAX))
            return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED,
                              "opset %lld of the default ONNX domain is not supported (%d to %d are)",
                              (long long)os->version, OR_OPSET_MIN, OR_OPSET_MAX);
    }

    if (mp->n_metadata_props) {
        if (!(m->props = or_ld_calloc(mp->n_metadata_props, sizeof *m->props))) return NOMEM(ld);
        m->n_props = mp->n_metadata_props;
    }
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        char what[48];
        snprintf(what, sizeof what, "metadata_props #%zu", i);
        if ((st = copy_str(ld, mp->metadata_props[i]->key, &m->props[i].key, what, "key")) ||
            (st = copy_str(ld, mp->metadata_props[i]->value, &m->props[i].value, what, "value")))
            return st;
    }

    if (!mp->graph) return or_ld_fail(ld, ONNXRUN_E_INVALID, "the model has no graph");
    return convert_graph(ld, mp->graph, max_nodes, m);
}

/* Parses ModelProto bytes buf[0..len) into out (path and dir already
 * set): the wire pass, protobuf-c on the compacted bytes, conversion and
 * the structural check. Payloads are used in place if ld->in_place. */
static or_status parse(or_ld *ld, const uint8_t *buf, size_t len, uint64_t max_nodes, or_model *out)
{
    if (!len) return or_ld_fail(ld, ONNXRUN_E_PARSE, "the file is empty");
    or_wire_out w;
    or_status st = or_wire_compact(ld, buf, len, &w);
    if (st) return st;
    ld->wire = true;
    ld->src = buf;
    ld->spans = w.spans;
    ld->n_spans = w.n_spans;

    or_pb_alloc pa;
    or_pb_alloc_init(&pa);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(&pa.a, w.len, w.msg);
    if (!mp)
        st = pa.failed ? NOMEM(ld)
                       : or_ld_fail(ld, ONNXRUN_E_PARSE,
                                    "not a valid ONNX protobuf: the %zu bytes are truncated or corrupt", len);
    else if (!(st = convert_model(ld, mp, max_nodes, out)))
        st = or_ld_check_graph(ld, out);
    if (mp) onnx__model_proto__free_unpacked(mp, &pa.a);
    or_wire_free(&w);
    ld->spans = NULL;
    ld->n_spans = 0;
    return st;
}

/* Zeroes out and stores the source's name and folder in it. */
static or_status begin(or_ld *ld, const char *dir, or_model *out)
{
    memset(out, 0, sizeof *out);
    if (!(out->path = or_ld_strndup(ld->path, strlen(ld->path))) ||
        (dir && !(out->dir = or_ld_strndup(dir, strlen(dir)))))
        return NOMEM(ld);
    ld->m = out;
    return ONNXRUN_OK;
}

static uint64_t limit_bytes(const or_load_limits *lim)
{
    return lim && lim->max_tensor_bytes ? lim->max_tensor_bytes : OR_DEFAULT_MAX_BYTES;
}

static uint64_t limit_nodes(const or_load_limits *lim)
{
    return lim && lim->max_nodes ? lim->max_nodes : OR_DEFAULT_MAX_NODES;
}

/* See graph.h. The protobuf objects are freed before returning; payloads
 * are copied out of buf (external data is mapped). */
or_status or_model_parse(const uint8_t *buf, size_t len, const char *path, const char *dir,
                         const or_load_limits *lim, or_model *out, char *err, size_t err_len)
{
    or_ld ld = { .path = path ? path : "<buffer>", .dir = dir, .err = err, .err_len = err_len };
    if (err && err_len) err[0] = 0;
    if (!out) return or_ld_fail(&ld, ONNXRUN_E_ARG, "no model to fill");
    memset(out, 0, sizeof *out);
    if (!buf && len) return or_ld_fail(&ld, ONNXRUN_E_ARG, "NULL buffer of %zu bytes", len);
    ld.max_bytes = limit_bytes(lim);
    or_status st = begin(&ld, dir, out);
    if (!st) st = parse(&ld, buf, len, limit_nodes(lim), out);
    if (st) or_model_free(out);
    return st;
}

/* ---- freeing and lookups ---- */

static void free_value_infos(or_value_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        for (int d = 0; d < OR_MAX_RANK; d++) free(v[i].dim_param[d]);
    }
    free(v);
}

static void free_names(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

static void free_attr(or_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    free_names(a->strings, a->n);
    if (a->t && !a->t_mapped) free(a->t->data);
    free(a->t);
}

/* See graph.h: frees what the model owns and zeroes it; NULL is fine. */
void or_model_free(or_model *m)
{
    if (!m) return;
    free(m->path);
    free(m->dir);
    free(m->producer);
    for (size_t i = 0; m->opsets && i < m->n_opsets; i++) free(m->opsets[i].domain);
    free(m->opsets);
    for (size_t i = 0; m->props && i < m->n_props; i++) {
        free(m->props[i].key);
        free(m->props[i].value);
    }
    free(m->props);
    or_graph *g = &m->graph;
    free(g->name);
    for (size_t i = 0; g->nodes && i < g->n_nodes; i++) {
        or_node *n = &g->nodes[i];
        free(n->name);
        free(n->op_type);
        free(n->domain);
        free_names(n->inputs, n->n_inputs);
        free_names(n->outputs, n->n_outputs);
        for (size_t j = 0; n->attrs && j < n->n_attrs; j++) free_attr(&n->attrs[j]);
        free(n->attrs);
    }
    free(g->nodes);
    free_value_infos(g->inputs, g->n_inputs);
    free_value_infos(g->outputs, g->n_outputs);
    free_value_infos(g->value_infos, g->n_value_infos);
    for (size_t i = 0; g->inits && i < g->n_inits; i++) {
        free(g->inits[i].name);
        if (!g->inits[i].mapped) free(g->inits[i].t.data);
    }
    free(g->inits);
    for (size_t i = 0; m->maps && i < m->n_maps; i++) {
        free(m->maps[i].addr);
        free(m->maps[i].path);
    }
    free(m->maps);
    memset(m, 0, sizeof *m);
}

/* See graph.h; "ai.onnx" is the default domain too. */
int64_t or_model_opset(const or_model *m, const char *domain)
{
    if (!m) return 0;
    domain = norm_domain(domain);
    for (size_t i = 0; i < m->n_opsets; i++)
        if (!strcmp(m->opsets[i].domain, domain)) return m->opsets[i].version;
    return 0;
}

/* See graph.h; the attribute is owned by the model. */
const or_attr *or_node_attr(const or_node *n, const char *name)
{
    if (!n || !name) return NULL;
    for (size_t i = 0; i < n->n_attrs; i++)
        if (n->attrs[i].name && !strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

/* ---- files ---- */

/* See internal.h. */
or_status or_ld_map(or_ld *ld, int fd, const struct stat *sb, const char *name, const uint8_t **addr)
{
    or_model *m = ld->m;
    for (size_t i = 0; i < m->n_maps; i++)
        if (m->maps[i].dev == (uint64_t)sb->st_dev && m->maps[i].ino == (uint64_t)sb->st_ino) {
            *addr = m->maps[i].addr;
            return ONNXRUN_OK;
        }
    if (sb->st_size <= 0 || (uint64_t)sb->st_size > SIZE_MAX)
        return or_ld_fail(ld, ONNXRUN_E_IO, "cannot map '%s': it has %lld bytes", name, (long long)sb->st_size);
    or_map *maps = or_ld_calloc(m->n_maps + 1, sizeof *maps);
    if (!maps) return NOMEM(ld);
    size_t len = (size_t)sb->st_size;
    /* page-aligned like a mapping (payloads keep their alignment); from 4 MiB
     * on 2 MiB aligned with transparent huge pages advised, so reading it
     * takes up to 512 times fewer page faults */
    size_t align = len >= ((size_t)4 << 20) ? (size_t)2 << 20 : 4096;
    size_t padded = (len + align - 1) / align * align;
    uint8_t *p = or_ld_fail_alloc > 0 && --or_ld_fail_alloc == 0 ? NULL : aligned_alloc(align, padded);
    if (!p) {
        free(maps);
        return or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory reading '%s' (%zu bytes)", name, len);
    }
    if (align > 4096) madvise(p, padded, MADV_HUGEPAGE);
    for (size_t got = 0; got < len;) {
        ssize_t r = pread(fd, p + got, len - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            free(p);
            free(maps);
            return r < 0 ? or_ld_fail(ld, ONNXRUN_E_IO, "cannot read '%s': %s", name, strerror(errno))
                         : or_ld_fail(ld, ONNXRUN_E_IO, "'%s' shrank while being read (%zu of %zu bytes)",
                                      name, got, len);
        }
        got += (size_t)r;
    }
    if (m->n_maps) memcpy(maps, m->maps, m->n_maps * sizeof *maps);
    free(m->maps);
    m->maps = maps;
    m->maps[m->n_maps++] = (or_map){ p, len, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino, realpath(name, NULL) };
    *addr = p;
    return ONNXRUN_OK;
}

/* Opens path for reading and checks that it is a regular file of at most
 * 8 GiB; *fd is then open (caller closes) and *sb filled. */
static or_status open_file(or_ld *ld, const char *path, int *fd, struct stat *sb)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return or_ld_fail(ld, ONNXRUN_E_IO, "cannot open: %s", strerror(errno));
    or_status st = ONNXRUN_OK;
    if (fstat(*fd, sb) < 0)
        st = or_ld_fail(ld, ONNXRUN_E_IO, "cannot stat: %s", strerror(errno));
    else if (S_ISDIR(sb->st_mode))
        st = or_ld_fail(ld, ONNXRUN_E_IO, "cannot read: %s", strerror(EISDIR));
    else if (!S_ISREG(sb->st_mode))
        st = or_ld_fail(ld, ONNXRUN_E_IO, "not a regular file");
    else if ((uint64_t)sb->st_size > OR_MAX_FILE_BYTES || (uint64_t)sb->st_size > SIZE_MAX)
        st = or_ld_fail(ld, ONNXRUN_E_LIMIT, "the file has %lld bytes, above the limit of 8 GiB",
                        (long long)sb->st_size);
    if (st) {
        close(*fd);
        *fd = -1;
    }
    return st;
}

/* See graph.h. The mapping becomes out->maps[0]. */
or_status or_model_load_path(const char *path, const or_load_limits *lim, or_model *out, char *err,
                             size_t err_len)
{
    or_ld ld = { .path = path ? path : "(null)", .err = err, .err_len = err_len };
    if (err && err_len) err[0] = 0;
    if (!out) return or_ld_fail(&ld, ONNXRUN_E_ARG, "no model to fill");
    memset(out, 0, sizeof *out);
    if (!path) return or_ld_fail(&ld, ONNXRUN_E_ARG, "model path is NULL");
    ld.max_bytes = limit_bytes(lim);

    char *copy = or_ld_strndup(path, strlen(path));
    if (!copy) return NOMEM(&ld);
    or_status st = begin(&ld, dirname(copy), out);
    free(copy);
    ld.dir = out->dir;
    int fd = -1;
    struct stat sb;
    if (!st) st = open_file(&ld, path, &fd, &sb);
    if (!st && sb.st_size) {
        const uint8_t *base = NULL;
        st = or_ld_map(&ld, fd, &sb, path, &base);
        close(fd);
        ld.in_place = true;
        if (!st) st = parse(&ld, base, (size_t)sb.st_size, limit_nodes(lim), out);
    } else if (!st) {
        close(fd);
        st = or_ld_fail(&ld, ONNXRUN_E_PARSE, "the file is empty");
    }
    if (st) or_model_free(out);
    return st;
}

/* See graph.h. Missing or unreadable files -> ONNXRUN_E_IO naming path and
 * strerror; more than 8 GiB -> ONNXRUN_E_LIMIT. *buf is malloc'd (caller frees). */
or_status or_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t err_len)
{
    or_ld ld = { .path = path ? path : "(null)", .err = err, .err_len = err_len };
    if (err && err_len) err[0] = 0;
    if (!buf || !len || !path) return or_ld_fail(&ld, ONNXRUN_E_ARG, "bad argument to or_read_file");
    *buf = NULL;
    *len = 0;
    int fd;
    struct stat sb;
    or_status st = open_file(&ld, path, &fd, &sb);
    if (st) return st;
    uint8_t *p = NULL;
    if (!(p = or_ld_malloc((size_t)sb.st_size))) {
        st = or_ld_fail(&ld, ONNXRUN_E_NOMEM, "out of memory reading %lld bytes", (long long)sb.st_size);
    } else {
        size_t want = (size_t)sb.st_size, got = 0;
        while (got < want) {
            ssize_t r = read(fd, p + got, want - got);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                st = or_ld_fail(&ld, ONNXRUN_E_IO, "read failed: %s", strerror(errno));
                break;
            }
            if (r == 0) {
                st = or_ld_fail(&ld, ONNXRUN_E_IO, "the file shrank while being read (%zu of %zu bytes)",
                                got, want);
                break;
            }
            got += (size_t)r;
        }
    }
    close(fd);
    if (st) {
        free(p);
        return st;
    }
    *buf = p;
    *len = (size_t)sb.st_size;
    return ONNXRUN_OK;
}
