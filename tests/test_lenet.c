/*
 * test_lenet.c - the shipped, trained LeNet-5 over the whole held-out digit
 * set (data/lenet5/test_data_set_0: 360 images, PyTorch's logits, and the
 * true labels in data/lenet5/digits/test_labels.pb): onnxrun must get
 * exactly as many right as PyTorch, image for image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_heldout_accuracy) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
