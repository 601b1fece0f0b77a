/*
 * kernel_harness.h - runs one kernel directly (init, infer, run, fini)
 * without a model or session, for op unit tests against naive references.
 *
 *   or_attr attrs[] = { KH_INTS("strides", 2, 2), KH_INT("group", 2) };
 *   or_tensor x = {...}, w = {...};              // data: caller's buffers
 *   or_tensor *ins[] = { &x, &w, NULL };         // NULL = absent optional input
 *   or_tensor y;  or_tensor *outs[] = { &y };
 *   char err[512];
 *   or_status st = kh_run("", "Conv", 13, attrs, 2, ins, 3, outs, 1, err, sizeof err);
 *   ... y.data is malloc'd by the harness: free(y.data) ...
 */
#ifndef KERNEL_HARNESS_H
#define KERNEL_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

#define KH_INT(nm, v) { .name = (char *)(nm), .type = OR_ATTR_INT, .i = (v) }
#define KH_FLOAT(nm, v) { .name = (char *)(nm), .type = OR_ATTR_FLOAT, .f = (v) }
#define KH_STRING(nm, v) { .name = (char *)(nm), .type = OR_ATTR_STRING, .s = (char *)(v), .s_len = sizeof(v) - 1 }
#define KH_INTS(nm, ...) { .name = (char *)(nm), .type = OR_ATTR_INTS, \
    .ints = (int64_t[]){ __VA_ARGS__ }, .n = sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t) }
#define KH_FLOATS(nm, ...) { .name = (char *)(nm), .type = OR_ATTR_FLOATS, \
    .floats = (float[]){ __VA_ARGS__ }, .n = sizeof((float[]){ __VA_ARGS__ }) / sizeof(float) }

/* KH_DIMS(1, 3, 4) expands to the pointer and the rank: kh_tensor(dt, KH_DIMS(1, 3, 4), data). */
#define KH_DIMS(...) (int64_t[]){ __VA_ARGS__ }, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))

/* A tensor descriptor over the caller's data. */
static inline or_tensor kh_tensor(onnxrun_dtype dt, const int64_t *dims, int rank, const void *data)
{
    or_tensor t = { .dtype = dt, .rank = rank, .data = (void *)data };
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}

/* Runs op_type at opset on ins (NULL entries = absent inputs); allocates
 * every present output's data (caller frees). Returns the first failing
 * phase's status with its message in err. */
static inline or_status kh_run(const char *domain, const char *op_type, int64_t opset,
                               or_attr *attrs, size_t n_attrs, or_tensor **ins, size_t n_in,
                               or_tensor **outs, size_t n_out, char *err, size_t err_len)
{
    char *in_names[16], *out_names[16];
    for (size_t i = 0; i < n_in && i < 16; i++) in_names[i] = ins[i] ? (char *)"in" : (char *)"";
    for (size_t i = 0; i < n_out && i < 16; i++) out_names[i] = outs[i] ? (char *)"out" : (char *)"";
    or_node node = { .name = (char *)"test", .op_type = (char *)op_type, .domain = (char *)domain,
                     .n_inputs = n_in, .inputs = in_names, .n_outputs = n_out,
                     .outputs = out_names, .n_attrs = n_attrs, .attrs = attrs };
    const or_op_def *def = or_op_find(domain, op_type, opset);
    err[0] = 0;
    if (!def) {
        snprintf(err, err_len, "no kernel for %s at opset %lld", op_type, (long long)opset);
        return ONNXRUN_E_UNSUPPORTED;
    }
    or_kernel k = { .def = def, .node = &node, .opset = opset, .n_in = n_in, .n_out = n_out,
                    .in = ins, .out = outs, .threads = 1, .model_path = "harness",
                    .err = err, .err_len = err_len };
    or_status st = or_kernel_init(&k);
    if (st == ONNXRUN_OK) st = def->infer(&k);
    for (size_t i = 0; i < n_out && st == ONNXRUN_OK; i++)
        if (outs[i]) {
            size_t bytes = or_nbytes(outs[i]);
            outs[i]->data = calloc(1, bytes ? bytes : 1);
        }
    if (st == ONNXRUN_OK && k.scratch_bytes)
        k.scratch = aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64);
    if (st == ONNXRUN_OK) st = def->run(&k);
    free(k.scratch);
    or_kernel_fini(&k);
    return st;
}

#endif /* KERNEL_HARNESS_H */
