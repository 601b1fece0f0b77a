/*
 * loader.h - the loader's entry points: a serialized ModelProto (a file or
 * a buffer) into an or_model (graph.h), and TensorProto files. Used by
 * interp/ and the tools, never by ops/.
 */
#ifndef OR_LOADER_H
#define OR_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

typedef struct or_load_limits {
    uint64_t max_tensor_bytes; /* all initializers together */
    uint64_t max_nodes;
} or_load_limits;

/* Parses a serialized ModelProto into *out (zeroed first). path names the
 * source in messages; dir (may be NULL) is where external data lives. On
 * failure returns a status, writes a message naming the file and the
 * offending node/tensor into err, and leaves *out freed (or_model_free is
 * still safe on it). The buffer is not kept. */
or_status or_model_parse(const uint8_t *buf, size_t len, const char *path, const char *dir,
                         const or_load_limits *lim, or_model *out, char *err, size_t err_len);

/* Loads the model file at path (external data from its folder) into *out
 * like or_model_parse, but maps the file instead of reading it: only the
 * bytes without tensor payloads are copied (for protobuf-c), and raw_data
 * that is aligned for its dtype stays in the mapping, which the model keeps
 * (or_init.mapped). Open/stat/map errors -> ONNXRUN_E_IO naming path, more
 * than 8 GiB -> ONNXRUN_E_LIMIT. The file must not be truncated while the
 * model lives (as with any mapping, its pages would vanish). */
or_status or_model_load_path(const char *path, const or_load_limits *lim, or_model *out, char *err,
                             size_t err_len);

/* Reads a whole file into a malloc'd buffer (caller frees). */
or_status or_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t err_len);

/* Parses a serialized TensorProto into t (data malloc'd, caller frees
 * t->data) and *name (malloc'd, may be NULL if name == NULL). */
or_status or_tensor_parse(const uint8_t *buf, size_t len, const char *what, or_tensor *t,
                          char **name, char *err, size_t err_len);

/* Frees everything the model owns; safe on a zeroed or half-built model. */
void or_model_free(or_model *m);

#endif /* OR_LOADER_H */
