/*
 * test_lenet.c - the shipped, trained LeNet-5 over the whole held-out digit
 * set (data/lenet5/test_data_set_0: 360 images, PyTorch's logits, and the
 * true labels in data/lenet5/digits/test_labels.pb): onnxrun must get
 * exactly as many right as PyTorch, image for image. And the same model
 * loaded from a copy that is then truncated, overwritten in place or
 * deleted: sessions created and run afterwards give the same logits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "onnxrun.h"

static int64_t argmax_row(const float *row, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (row[i] > row[best]) best = i;
    return best;
}

static void test_heldout_accuracy(void **state)
{
    (void)state;
    char err[512];
    onnxrun_tensor x, ref, labels;
    assert_int_equal(onnxrun_tensor_load_pb("../data/lenet5/test_data_set_0/input_0.pb", &x, NULL, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(onnxrun_tensor_load_pb("../data/lenet5/test_data_set_0/output_0.pb", &ref, NULL, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(onnxrun_tensor_load_pb("../data/lenet5/digits/test_labels.pb", &labels, NULL, err, sizeof err), ONNXRUN_OK);
    assert_int_equal(labels.dtype, ONNXRUN_INT64);
    int64_t n = labels.dims[0];
    assert_int_equal(x.dims[0], n);
    onnxrun_model *m;
    onnxrun_session *s;
    assert_int_equal(onnxrun_model_load_file("../data/lenet5/model.onnx", NULL, &m), ONNXRUN_OK);
    assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
    onnxrun_value_info in;
    onnxrun_model_input(m, 0, &in);
    onnxrun_tensor y;
    assert_int_equal(onnxrun_session_run(s, 1, &in.name, &x, 1, NULL, &y), ONNXRUN_OK);
    assert_int_equal(y.dims[0], n);
    int64_t classes = y.dims[1], ours = 0, torch = 0, agree = 0;
    const int64_t *lab = labels.data;
    for (int64_t i = 0; i < n; i++) {
        int64_t a = argmax_row((const float *)y.data + i * classes, classes);
        int64_t b = argmax_row((const float *)ref.data + i * classes, classes);
        ours += a == lab[i];
        torch += b == lab[i];
        agree += a == b;
    }
    printf("lenet5 held-out digits: onnxrun %lld/%lld correct, PyTorch %lld/%lld, same answer on %lld\n",
           (long long)ours, (long long)n, (long long)torch, (long long)n, (long long)agree);
    assert_int_equal(ours, torch);
    assert_int_equal(agree, n);
    assert_true(ours * 100 >= n * 95); /* a really trained network */
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    onnxrun_tensor_release(&x);
    onnxrun_tensor_release(&ref);
    onnxrun_tensor_release(&labels);
}

/* Copies src to dst; false on any error. */
static int copy_file(const char *src, const char *dst)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    char buf[65536];
    size_t n;
    int ok = a && b;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
    if (a) fclose(a);
    if (b && fclose(b)) ok = 0;
    return ok;
}

/* The file changes under a loaded model: truncated to nothing, overwritten
 * in place with other bytes, deleted. A model is read whole at load, so
 * none of it reaches the model (a mapping would die of SIGBUS). */
static void test_file_changes(void **state)
{
    (void)state;
    char err[512], dir[] = "/tmp/or_lenet_XXXXXX", path[300];
    onnxrun_tensor x, first;
    assert_int_equal(onnxrun_tensor_load_pb("../data/lenet5/test_data_set_0/input_0.pb", &x, NULL, err, sizeof err), ONNXRUN_OK);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    for (int change = 0; change < 3; change++) {
        assert_true(copy_file("../data/lenet5/model.onnx", path));
        onnxrun_model *m;
        onnxrun_session *s;
        assert_int_equal(onnxrun_model_load_file(path, NULL, &m), ONNXRUN_OK);
        assert_int_equal(onnxrun_session_create(m, NULL, &s), ONNXRUN_OK);
        onnxrun_value_info in;
        onnxrun_model_input(m, 0, &in);
        onnxrun_tensor y;
        assert_int_equal(onnxrun_session_run(s, 1, &in.name, &x, 1, NULL, &y), ONNXRUN_OK);
        if (change == 0) assert_int_equal(onnxrun_tensor_clone(&y, &first), ONNXRUN_OK);
        if (change == 0) assert_int_equal(truncate(path, 0), 0);
        if (change == 1) { /* the same size, other bytes: as `cp other.onnx model.onnx` does */
            FILE *f = fopen(path, "r+b");
            assert_non_null(f);
            for (int i = 0; i < 300000; i++) fputc(0xA5, f);
            fclose(f);
        }
        if (change == 2) assert_int_equal(unlink(path), 0);
        /* the running session and a new one still work, with the same logits */
        onnxrun_session *s2;
        assert_int_equal(onnxrun_session_run(s, 1, &in.name, &x, 1, NULL, &y), ONNXRUN_OK);
        assert_memory_equal(y.data, first.data, (size_t)onnxrun_tensor_numel(&first) * sizeof(float));
        assert_int_equal(onnxrun_session_create(m, NULL, &s2), ONNXRUN_OK);
        assert_int_equal(onnxrun_session_run(s2, 1, &in.name, &x, 1, NULL, &y), ONNXRUN_OK);
        assert_memory_equal(y.data, first.data, (size_t)onnxrun_tensor_numel(&first) * sizeof(float));
        onnxrun_session_free(s2);
        onnxrun_session_free(s);
        onnxrun_model_free(m);
    }
    rmdir(dir);
    onnxrun_tensor_release(&first);
    onnxrun_tensor_release(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_heldout_accuracy),
                                        cmocka_unit_test(test_file_changes) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
