/*
 * graph.h - onnxrun's own in-memory form of an ONNX model: what the loader
 * (loader/load.c) builds from the protobuf and what the interpreter reads.
 * Everything here is owned by the or_model and freed by or_model_free; it is
 * read-only once loading has finished (sessions on several threads share it).
 *
 * Types only: reading files and bytes into these is loader/loader.h's
 * business, which nothing under ops/ includes.
 *
 * Names: every string is NUL-terminated UTF-8 (validated by the loader). An
 * absent optional node input or output is the empty string "".
 */
#ifndef OR_GRAPH_H
#define OR_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

/* The versions onnxrun reads: the loader refuses others, and the op
 * registry (ops/registry.c) has no entry past OR_OPSET_MAX. */
#define OR_IR_MIN 3
#define OR_IR_MAX 10
#define OR_OPSET_MIN 1                 /* default ("ai.onnx") domain */
#define OR_OPSET_MAX 22

/* AttributeProto.AttributeType */
typedef enum or_attr_type {
    OR_ATTR_UNDEFINED = 0,
    OR_ATTR_FLOAT = 1,
    OR_ATTR_INT = 2,
    OR_ATTR_STRING = 3,
    OR_ATTR_TENSOR = 4,
    OR_ATTR_GRAPH = 5,
    OR_ATTR_FLOATS = 6,
    OR_ATTR_INTS = 7,
    OR_ATTR_STRINGS = 8,
    OR_ATTR_TENSORS = 9,
    OR_ATTR_GRAPHS = 10,
    OR_ATTR_SPARSE_TENSOR = 11,
    OR_ATTR_SPARSE_TENSORS = 12,
    OR_ATTR_TYPE_PROTO = 13,
    OR_ATTR_TYPE_PROTOS = 14,
} or_attr_type;

typedef struct or_attr {
    char *name;
    or_attr_type type;
    float f;                 /* FLOAT */
    int64_t i;               /* INT */
    char *s;                 /* STRING: bytes plus a NUL; s_len excludes the NUL */
    size_t s_len;
    size_t n;                /* count of FLOATS / INTS / STRINGS */
    float *floats;           /* FLOATS [n] */
    int64_t *ints;           /* INTS [n] */
    char **strings;          /* STRINGS [n] */
    or_tensor *t;            /* TENSOR (data owned by the model) */
    bool t_mapped;           /* t->data points into one of the model's maps (not malloc'd) */
} or_attr;

/* Declared type and shape of a graph input, output or value_info. */
typedef struct or_value_info {
    char *name;
    onnxrun_dtype dtype;              /* ONNXRUN_UNDEFINED if not declared */
    int rank;                         /* -1 if no shape is declared */
    int64_t dims[OR_MAX_RANK];        /* -1 where unknown or symbolic */
    char *dim_param[OR_MAX_RANK];     /* symbolic dim name or NULL */
} or_value_info;

typedef struct or_node {
    char *name;              /* "" if the file gives none */
    char *op_type;
    char *domain;            /* "" for the default ONNX domain ("ai.onnx" is mapped to "") */
    size_t index;            /* position in the file's node list */
    size_t n_inputs;
    char **inputs;           /* [n_inputs]; "" = absent optional input */
    size_t n_outputs;
    char **outputs;          /* [n_outputs]; "" = absent optional output */
    size_t n_attrs;
    or_attr *attrs;          /* [n_attrs] */
} or_node;

/* A named constant tensor (initializer). data is owned by the model:
 * malloc'd, or a view into one of the model's maps when `mapped`. */
typedef struct or_init {
    char *name;
    or_tensor t;
    bool mapped;               /* t.data points into one of the model's maps (not malloc'd) */
    const void *src;           /* where its bytes lie in one of the maps (== t.data when
                                * mapped; the source of a malloc'd copy), or NULL */
} or_init;

typedef struct or_graph {
    char *name;
    size_t n_nodes;
    or_node *nodes;
    size_t n_inputs;           /* declared inputs, including any that are initializers */
    or_value_info *inputs;
    size_t n_outputs;
    or_value_info *outputs;
    size_t n_value_infos;
    or_value_info *value_infos;
    size_t n_inits;
    or_init *inits;
} or_graph;

typedef struct or_opset {
    char *domain;              /* "" for the default domain */
    int64_t version;
} or_opset;

typedef struct or_prop {
    char *key;
    char *value;
} or_prop;

/* A read-only, private mapping of a file (the model or an external data
 * file) that initializer data may point into. */
typedef struct or_map {
    void *addr;
    size_t len;
    uint64_t dev, ino;         /* the file's identity, to map it once */
    char *path;                /* the file's resolved path (malloc'd), or NULL if unknown:
                                * where released weights are read back from (interp/weights.c) */
} or_map;

typedef struct or_model {
    char *path;                /* file path, or the name given for a buffer; used in messages */
    char *dir;                 /* folder for external data, NULL for a buffer */
    int64_t ir_version;
    char *producer;            /* producer_name (may be "") */
    size_t n_opsets;
    or_opset *opsets;
    size_t n_props;
    or_prop *props;
    or_graph graph;
    uint64_t weight_bytes;     /* sum of initializer bytes */
    size_t n_maps;
    or_map *maps;              /* [n_maps] file mappings, unmapped by or_model_free */
} or_model;

/* Opset version imported for a domain ("" = default), or 0 if none. */
int64_t or_model_opset(const or_model *m, const char *domain);

/* Finds an attribute of a node by name, or NULL. */
const or_attr *or_node_attr(const or_node *n, const char *name);

#endif /* OR_GRAPH_H */
