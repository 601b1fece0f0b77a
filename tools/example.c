/*
 * example.c - the README's embedding example: load a model, create a
 * session, run it once on a constant input, read the output, free.
 *   example MODEL.onnx
 */
#include <stdio.h>
#include <stdlib.h>

#include "onnxrun.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: example MODEL.onnx\n");
        return 2;
    }
    onnxrun_model *model;
    if (onnxrun_model_load_file(argv[1], NULL, &model) != ONNXRUN_OK) {
        fprintf(stderr, "%s\n", onnxrun_model_error(model));
        onnxrun_model_free(model);
        return 1;
    }
    onnxrun_value_info in;
    onnxrun_model_input(model, 0, &in);            /* e.g. input [N,1,32,32] */
    onnxrun_tensor x = { .dtype = ONNXRUN_FLOAT, .rank = in.rank };
    size_t n = 1;
    for (int i = 0; i < in.rank; i++) {
        x.dims[i] = in.dims[i] > 0 ? in.dims[i] : 1; /* symbolic batch -> 1 */
        n *= (size_t)x.dims[i];
    }
    x.data = calloc(n, sizeof(float));

    onnxrun_session *session;
    onnxrun_tensor y;                               /* owned by the session */
    int rc = 1;
    if (onnxrun_session_create(model, NULL, &session) != ONNXRUN_OK ||
        onnxrun_session_run(session, 1, &in.name, &x, 1, NULL, &y) != ONNXRUN_OK) {
        fprintf(stderr, "%s\n", onnxrun_session_error(session));
    } else {
        const float *p = y.data;
        int64_t best = 0, count = onnxrun_tensor_numel(&y);
        for (int64_t i = 1; i < count; i++)
            if (p[i] > p[best]) best = i;
        printf("output: %lld values, argmax %lld (%g)\n", (long long)count, (long long)best, p[best]);
        rc = 0;
    }
    onnxrun_session_free(session);
    onnxrun_model_free(model);
    free(x.data);
    return rc;
}
