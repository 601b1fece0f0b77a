/*
 * fuzz_model.c - libFuzzer target: model bytes -> onnxrun_model_load_buffer
 * -> onnxrun_session_create -> one onnxrun_session_run on small synthetic
 * inputs derived from the same bytes. Each input gets its declared dtype and
 * shape (symbolic or unknown dims = 1) and values from a generator seeded
 * with a hash of the model bytes: mostly small ones, negatives included,
 * some large and (for floats) some NaN and infinities, so that index-taking
 * and data-dependent ops see valid, out-of-range and odd values, and the
 * fuzzer steers them by changing the model. The session's compute limit
 * (max_macs) is the harness's, so bigger plans are refused by the library. The inputs'
 * shapes are set with onnxrun_session_set_input_shape first (planning);
 * the run is skipped when the inputs exceed FUZZ_MAX_INPUT elements or the
 * plan FUZZ_MAX_MACS multiply-accumulates. Weights are capped at 64 MiB,
 * a session's plan at 256 MiB; the session runs on one thread.
 * Whatever the bytes, every call must return a status with a message, and
 * every output of a successful run must have a valid shape and readable data.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnxrun.h"

#include "fuzz_common.h"

#define FUZZ_MAX_INPUT 100000
#define FUZZ_MAX_INPUTS 16
#define FUZZ_MAX_MACS 20000000u

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Element i of a synthetic input from the generator: -2 .. 2 as the dtype
 * allows, one in 16 a large value, one in 32 (floats) NaN or infinity. */
static void fill(onnxrun_tensor *t, int64_t n, uint64_t *seed)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = next(seed);
        int v = (int)(r % 5) - 2;
        unsigned u = (unsigned)(r % 3);
        if ((r >> 8) % 16 == 0) v = (int)(int32_t)(r >> 20), u = (unsigned)(r >> 24);
        float f = (float)v * 0.75f;
        if ((r >> 12) % 32 == 0) f = (r >> 40) % 3 == 0 ? NAN : (r >> 40) % 3 == 1 ? INFINITY : -INFINITY;
        switch (t->dtype) {
        case ONNXRUN_FLOAT: ((float *)t->data)[i] = f; break;
        case ONNXRUN_DOUBLE: ((double *)t->data)[i] = (double)f; break;
        case ONNXRUN_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
        case ONNXRUN_INT16: ((int16_t *)t->data)[i] = (int16_t)v; break;
        case ONNXRUN_INT32: ((int32_t *)t->data)[i] = v; break;
        case ONNXRUN_INT64: ((int64_t *)t->data)[i] = v; break;
        case ONNXRUN_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)u; break;
        case ONNXRUN_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)u; break;
        case ONNXRUN_UINT32: ((uint32_t *)t->data)[i] = u; break;
        case ONNXRUN_UINT64: ((uint64_t *)t->data)[i] = u; break;
        case ONNXRUN_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)(u & 1); break;
        case ONNXRUN_FLOAT16: case ONNXRUN_BFLOAT16: ((uint16_t *)t->data)[i] = (uint16_t)(r >> 16); break;
        default: break;
        }
    }
}

static void run(onnxrun_model *m, onnxrun_session *s, uint64_t seed)
{
    size_t n_in = onnxrun_model_input_count(m), n_out = onnxrun_model_output_count(m);
    if (n_in > FUZZ_MAX_INPUTS || n_out > 64) return;
    onnxrun_tensor in[FUZZ_MAX_INPUTS], out[64];
    const char *names[FUZZ_MAX_INPUTS];
    int64_t total = 0;
    size_t made = 0;
    bool ok = true;
    for (; made < n_in && ok; made++) {
        onnxrun_value_info vi;
        onnxrun_tensor *t = &in[made];
        memset(t, 0, sizeof *t);
        FUZZ_ASSERT(onnxrun_model_input(m, made, &vi) == ONNXRUN_OK);
        size_t es = onnxrun_dtype_size(vi.dtype);
        names[made] = vi.name;
        t->dtype = vi.dtype;
        t->rank = vi.rank < 0 ? 0 : vi.rank;
        for (int d = 0; d < t->rank; d++) t->dims[d] = vi.dims[d] < 0 ? 1 : vi.dims[d];
        int64_t n = onnxrun_tensor_numel(t);
        if (es == 0 || n < 0 || n > FUZZ_MAX_INPUT || (total += n) > FUZZ_MAX_INPUT) {
            ok = false;
            continue;
        }
        t->data = malloc((size_t)(n ? n : 1) * es);
        FUZZ_ASSERT(t->data);
        fill(t, n, &seed);
    }
    for (size_t i = 0; ok && i < n_in; i++) /* plan now, to see the work */
        ok = onnxrun_session_set_input_shape(s, names[i], in[i].rank, in[i].dims) == ONNXRUN_OK;
    uint64_t macs = 0;
    for (size_t i = 0; ok && i < onnxrun_session_node_count(s); i++) {
        onnxrun_node_info ni;
        FUZZ_ASSERT(onnxrun_session_node(s, i, &ni) == ONNXRUN_OK);
        macs += ni.macs < FUZZ_MAX_MACS ? ni.macs : FUZZ_MAX_MACS;
    }
    if (ok && macs < FUZZ_MAX_MACS) {
        onnxrun_status st = onnxrun_session_run(s, n_in, names, in, n_out, NULL, out);
        FUZZ_ASSERT(st == ONNXRUN_OK || onnxrun_session_error(s)[0]);
        for (size_t j = 0; st == ONNXRUN_OK && j < n_out; j++) {
            int64_t n = onnxrun_tensor_numel(&out[j]);
            FUZZ_ASSERT(out[j].rank >= 0 && out[j].rank <= ONNXRUN_MAX_RANK && n >= 0);
            size_t bytes = (size_t)n * onnxrun_dtype_size(out[j].dtype);
            FUZZ_ASSERT(bytes == 0 || out[j].data);
            fuzz_touch(out[j].data, bytes);
        }
    }
    for (size_t i = 0; i < made; i++) free(in[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const onnxrun_load_options lo = { .max_tensor_bytes = (uint64_t)64 << 20, .max_nodes = 10000 };
    const onnxrun_session_options so = { .threads = 1, .max_memory_bytes = (uint64_t)256 << 20,
                                         .max_macs = FUZZ_MAX_MACS };
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_status st = onnxrun_model_load_buffer(data, size, "fuzz.onnx", &lo, &m);
    FUZZ_ASSERT(m);
    if (st != ONNXRUN_OK) {
        FUZZ_ASSERT(onnxrun_model_error(m)[0]);
        goto out;
    }
    st = onnxrun_session_create(m, &so, &s);
    FUZZ_ASSERT(s);
    if (st != ONNXRUN_OK) {
        FUZZ_ASSERT(onnxrun_session_error(s)[0]);
        goto out;
    }
    uint64_t seed = 0xcbf29ce484222325ull; /* FNV-1a of the bytes: the inputs follow the model */
    for (size_t i = 0; i < size; i++) seed = (seed ^ data[i]) * 0x100000001b3ull;
    run(m, s, seed | 1);
out:
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return 0;
}
