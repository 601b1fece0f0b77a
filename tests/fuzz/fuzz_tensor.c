/*
 * fuzz_tensor.c - libFuzzer target: bytes -> or_tensor_parse, the reader
 * behind onnxrun_tensor_load_pb and every initializer (loader/tensor_pb.c).
 * A parsed tensor must have a valid shape and exactly its payload bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "loader/loader.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    or_tensor t = { 0 };
    char *name = NULL;
    char err[512];
    if (or_tensor_parse(data, size, "fuzz.pb", &t, &name, err, sizeof err) == ONNXRUN_OK) {
        int64_t n;
        FUZZ_ASSERT(t.rank >= 0 && t.rank <= OR_MAX_RANK);
        FUZZ_ASSERT(or_shape_numel(t.rank, t.dims, t.dtype, &n));
        size_t bytes = (size_t)n * onnxrun_dtype_size(t.dtype);
        FUZZ_ASSERT(bytes == 0 || t.data);
        fuzz_touch(t.data, bytes); /* every payload byte is readable */
    } else {
        FUZZ_ASSERT(err[0]);
    }
    free(t.data);
    free(name);
    return 0;
}
