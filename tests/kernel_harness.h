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
 *
 * Every kh_run also runs the case threaded, on each slower ISA, with each
 * algorithm the op can be forced to, and in place, and fails unless they
 * all agree with the plain run (see kh_run).
 */
#ifndef KERNEL_HARNESS_H
#define KERNEL_HARNESS_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/isa.h"
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

/* ---- one run ---- */

/* One way of running a kernel: threads, ISA, forced algorithm, in place. */
typedef struct kh_variant {
    const char *name;
    int threads;
    onnxrun_isa isa;
    or_algo algo;
    bool in_place;     /* out[0] starts as a copy of in[0] and is passed as in[0] */
} kh_variant;

/* The session's worker pools the variants use (made once, kept for the
 * test program's life). */
static inline or_pool *kh_pool(int threads)
{
    static or_pool *pools[5];
    if (threads < 2 || threads > 4) return NULL;
    if (!pools[threads]) pools[threads] = or_pool_create(threads);
    return pools[threads];
}

/* Runs def once as v says; allocates every present output's data (caller
 * frees). */
static inline or_status kh_run_variant(const or_op_def *def, or_node *node, int64_t opset,
                                       or_tensor **ins, size_t n_in, or_tensor **outs,
                                       size_t n_out, const kh_variant *v,
                                       const or_epilogue *post, char *err, size_t err_len)
{
    or_tensor *in_v[16], in0;
    for (size_t i = 0; i < n_in && i < 16; i++) in_v[i] = ins[i];
    or_kernel k = { .def = def, .node = node, .opset = opset, .n_in = n_in, .n_out = n_out,
                    .in = in_v, .out = outs, .threads = v->threads, .pool = kh_pool(v->threads),
                    .isa = v->isa, .algo = v->algo, .split_all = v->threads > 1,
                    .model_path = "harness",
                    .err = err, .err_len = err_len };
    if (post) k.post = *post; /* a fused epilogue, as the planner would set it */
    or_status st = or_kernel_init(&k);
    if (st == ONNXRUN_OK) st = k.def->infer(&k); /* k.def: def as compiled for v->isa */
    for (size_t i = 0; i < n_out && st == ONNXRUN_OK; i++)
        if (outs[i]) {
            size_t bytes = or_nbytes(outs[i]);
            outs[i]->data = calloc(1, bytes ? bytes : 1);
        }
    if (st == ONNXRUN_OK && v->in_place) { /* Y = X's buffer */
        memcpy(outs[0]->data, ins[0]->data, or_nbytes(ins[0]));
        in0 = *ins[0];
        in0.data = outs[0]->data;
        in_v[0] = &in0;
    }
    if (st == ONNXRUN_OK && k.scratch_bytes)
        k.scratch = aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64);
    if (st == ONNXRUN_OK) st = k.def->run(&k);
    free(k.scratch);
    or_kernel_fini(&k);
    return st;
}

/* The magnitude rounding differences scale with, when it exceeds the
 * outputs' own: a test whose epilogue clips large sums sets it to the
 * largest |sum| (0: the outputs' largest finite |value|). */
static double kh_scale;

/* Whether b's outputs equal a's: floats within 1e-4 of the largest finite
 * |a| (plus 1e-6), NaN where a has NaN; other types bit for bit. Writes
 * the first difference into err. */
static inline bool kh_same(or_tensor **a, or_tensor **b, size_t n_out, const char *variant,
                           char *err, size_t err_len)
{
    for (size_t o = 0; o < n_out; o++) {
        if (!a[o]) continue;
        if (a[o]->dtype != b[o]->dtype || !or_same_shape(a[o], b[o])) {
            snprintf(err, err_len, "variant %s: output %zu has another type or shape", variant, o);
            return false;
        }
        int64_t n = or_numel(a[o]);
        if (a[o]->dtype == ONNXRUN_FLOAT || a[o]->dtype == ONNXRUN_DOUBLE) {
            bool f = a[o]->dtype == ONNXRUN_FLOAT;
#define KH_AT(t, i) (f ? (double)((const float *)(t)->data)[i] : ((const double *)(t)->data)[i])
            double big = 0;
            for (int64_t i = 0; i < n; i++)
                if (isfinite(KH_AT(a[o], i)) && fabs(KH_AT(a[o], i)) > big) big = fabs(KH_AT(a[o], i));
            for (int64_t i = 0; i < n; i++) {
                double x = KH_AT(a[o], i), y = KH_AT(b[o], i);
                double scale = kh_scale > big ? kh_scale : big;
                bool ok = isnan(x) ? isnan(y) : (x == y || fabs(x - y) <= 1e-4 * scale + 1e-6);
                if (!ok) {
                    snprintf(err, err_len, "variant %s: output %zu element %lld is %.9g, the plain run gave %.9g",
                             variant, o, (long long)i, y, x);
                    return false;
                }
            }
#undef KH_AT
        } else if (memcmp(a[o]->data, b[o]->data, or_nbytes(a[o])) != 0) {
            snprintf(err, err_len, "variant %s: output %zu differs from the plain run", variant, o);
            return false;
        }
    }
    return true;
}

/* Puts "variant NAME failed where the plain run passed: " before err's
 * message (cut to fit err_len). */
static inline void kh_prefix(char *err, size_t err_len, const char *name)
{
    char pre[96];
    int n = snprintf(pre, sizeof pre, "variant %s failed where the plain run passed: ", name);
    size_t p = n < 0 ? 0 : (size_t)n < sizeof pre ? (size_t)n : sizeof pre - 1;
    if (err_len <= p + 1) return;
    size_t len = strlen(err);
    if (len > err_len - p - 1) len = err_len - p - 1;
    memmove(err + p, err, len);
    memcpy(err, pre, p);
    err[p + len] = 0;
}

/* Runs op_type at opset on ins (NULL entries = absent inputs); allocates
 * every present output's data (caller frees). Returns the first failing
 * phase's status with its message in err.
 *
 * The outputs are those of the plain run (one thread, the CPU's best ISA,
 * the op's own algorithm, a separate output buffer), which the test checks
 * against its naive reference. When it succeeds, the same case runs again
 * with 2 and 4 threads, with each slower ISA, with each algorithm the op
 * lists (def->algos), and in place where the op allows it (OR_OP_INPLACE,
 * out[0] of in[0]'s type and shape); each must give the plain run's
 * outputs (kh_same), else kh_run fails with ONNXRUN_E_INVALID naming the
 * variant. kh_variants_run counts the variant runs (tests print it).
 * post, when not NULL, is a fused epilogue (bias, residual, activation) every
 * run applies, as the planner sets k->post. */
static size_t kh_variants_run;

static inline or_status kh_run_post(const char *domain, const char *op_type, int64_t opset,
                                    or_attr *attrs, size_t n_attrs, or_tensor **ins, size_t n_in,
                                    or_tensor **outs, size_t n_out, const or_epilogue *post,
                                    char *err, size_t err_len)
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
    if (n_in > 16 || n_out > 16) {
        snprintf(err, err_len, "the harness takes at most 16 inputs and outputs");
        return ONNXRUN_E_ARG;
    }
    const kh_variant plain = { "plain", 1, ONNXRUN_ISA_AUTO, OR_ALGO_AUTO, false };
    or_status st = kh_run_variant(def, &node, opset, ins, n_in, outs, n_out, &plain, post, err, err_len);
    if (st != ONNXRUN_OK) return st;

    kh_variant vs[16];
    size_t nv = 0;
    vs[nv++] = (kh_variant){ "2 threads", 2, ONNXRUN_ISA_AUTO, OR_ALGO_AUTO, false };
    vs[nv++] = (kh_variant){ "4 threads", 4, ONNXRUN_ISA_AUTO, OR_ALGO_AUTO, false };
    static const char *const isa_names[] = { "", "portable ISA", "AVX2" };
    onnxrun_isa best = or_isa_resolve(ONNXRUN_ISA_AUTO);
    for (int isa = ONNXRUN_ISA_PORTABLE; isa < (int)best && isa <= ONNXRUN_ISA_AVX2; isa++)
        vs[nv++] = (kh_variant){ isa_names[isa], 1, (onnxrun_isa)isa, OR_ALGO_AUTO, false };
    static const char *const algo_names[OR_ALGO_COUNT] = {
        "", "algorithm 1x1", "algorithm im2col", "algorithm direct", "algorithm direct loop",
        "algorithm Winograd 4x4", "algorithm Winograd 2x2", "algorithm indirect",
        "algorithm implicit", "algorithm grid" };
    for (int a = 1; a < OR_ALGO_COUNT; a++)
        if (def->algos >> a & 1) vs[nv++] = (kh_variant){ algo_names[a], 1, ONNXRUN_ISA_AUTO, (or_algo)a, false };
    if ((def->flags & OR_OP_INPLACE) && n_in && ins[0] && outs[0] && ins[0]->data &&
        ins[0]->dtype == outs[0]->dtype && or_same_shape(ins[0], outs[0]))
        vs[nv++] = (kh_variant){ "in place", 1, ONNXRUN_ISA_AUTO, OR_ALGO_AUTO, true };
    for (size_t i = 0; i < nv && st == ONNXRUN_OK; i++) {
        or_tensor vt[16], *vo[16];
        for (size_t o = 0; o < n_out; o++) {
            vo[o] = outs[o] ? &vt[o] : NULL;
            if (outs[o]) vt[o] = (or_tensor){ 0 };
        }
        st = kh_run_variant(def, &node, opset, ins, n_in, vo, n_out, &vs[i], post, err, err_len);
        if (st != ONNXRUN_OK) {
            kh_prefix(err, err_len, vs[i].name);
        } else if (!kh_same(outs, vo, n_out, vs[i].name, err, err_len)) {
            st = ONNXRUN_E_INVALID;
        }
        for (size_t o = 0; o < n_out; o++) if (vo[o]) free(vo[o]->data);
        kh_variants_run++;
    }
    return st;
}

/* kh_run_post without an epilogue. */
static inline or_status kh_run(const char *domain, const char *op_type, int64_t opset,
                               or_attr *attrs, size_t n_attrs, or_tensor **ins, size_t n_in,
                               or_tensor **outs, size_t n_out, char *err, size_t err_len)
{
    return kh_run_post(domain, op_type, opset, attrs, n_attrs, ins, n_in, outs, n_out, NULL, err,
                       err_len);
}

#endif /* KERNEL_HARNESS_H */
