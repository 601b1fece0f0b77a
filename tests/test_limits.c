/*
 * test_limits.c - out-of-range attributes and sizes through the public API.
 *
 *  - tests/malformed/EXPECTED.limits (tools/make_malformed_session.py): each
 *    file must fail loading or session creation with the status and message
 *    given, and the message must name the file (as tests/test_malformed.c
 *    checks tests/malformed/EXPECTED);
 *  - tests/malformed/runtime/: a Gather whose indices come from the caller
 *    fails the run with ONNXRUN_E_RUNTIME and the session stays usable;
 *  - huge input shapes given at run time or with set_input_shape are
 *    refused before anything is allocated for them;
 *  - tests/data/images/hostile/EXPECTED: images the fuzzer found (a JPEG
 *    of a few hundred bytes claiming up to 2^28 pixels) are refused by
 *    the decoder with the status and message given.
 * Runs from tests/ (ctest's working directory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image.h"
#include "onnxrun.h"
#include "tests/model_builder.h"

static const char *const status_names[] = {
    "ONNXRUN_OK", "ONNXRUN_E_ARG", "ONNXRUN_E_IO", "ONNXRUN_E_PARSE", "ONNXRUN_E_INVALID",
    "ONNXRUN_E_UNSUPPORTED", "ONNXRUN_E_SHAPE", "ONNXRUN_E_LIMIT", "ONNXRUN_E_NOMEM",
    "ONNXRUN_E_RUNTIME", "ONNXRUN_E_CANCELLED",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == ONNXRUN_STATUS_COUNT, "names");

/* The first failing status of load -> session create, with its message. */
static onnxrun_status load_and_plan(const char *path, char *msg, size_t len)
{
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_status st = onnxrun_model_load_file(path, NULL, &m);
    if (st) {
        snprintf(msg, len, "%s", onnxrun_model_error(m));
    } else if ((st = onnxrun_session_create(m, NULL, &s)) != ONNXRUN_OK) {
        snprintf(msg, len, "%s", onnxrun_session_error(s));
    } else {
        snprintf(msg, len, "(loaded and planned without error)");
    }
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return st;
}

static void test_limits_corpus(void **state)
{
    (void)state;
    FILE *f = fopen("malformed/EXPECTED.limits", "r");
    assert_non_null(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        char file[256], status[64], path[512], msg[2048];
        int off = 0;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (sscanf(line, "%255s %63s %n", file, status, &off) != 2 || !off) {
            printf("bad line: %s\n", line);
            bad++;
            continue;
        }
        char *want = line + off, *tag = strstr(want, " @session");
        if (tag) *tag = 0;
        snprintf(path, sizeof path, "malformed/%s", file);
        onnxrun_status st = load_and_plan(path, msg, sizeof msg);
        const char *got = status_names[st];
        n++;
        if (strcmp(got, status) != 0 || !want[0] || !strstr(msg, want) || !strstr(msg, file)) {
            printf("MISMATCH %s: got %s \"%s\", want %s \"%s\"\n", file, got, msg, status, want);
            bad++;
        }
    }
    fclose(f);
    assert_true(n >= 20);
    assert_int_equal(bad, 0);
}

/* Runs gather_index_input.onnx (y = [1, 2, 3][i], i: int64 [2]) on idx. */
static onnxrun_status gather(onnxrun_session *s, const int64_t idx[2], onnxrun_tensor *y)
{
    int64_t data[2] = { idx[0], idx[1] };
    onnxrun_tensor in = { .dtype = ONNXRUN_INT64, .rank = 1, .dims = { 2 }, .data = data };
    const char *name = "i";
    return onnxrun_session_run(s, 1, &name, &in, 1, NULL, y);
}

static void test_runtime_index(void **state)
{
    (void)state;
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_tensor y;
    const onnxrun_session_options so = { .threads = 1 };
    assert_int_equal(onnxrun_model_load_file("malformed/runtime/gather_index_input.onnx", NULL, &m), 0);
    assert_int_equal(onnxrun_session_create(m, &so, &s), 0);

    assert_int_equal(gather(s, (int64_t[]){ -3, 2 }, &y), ONNXRUN_OK);
    assert_int_equal(y.rank, 1);
    assert_int_equal(y.dims[0], 2);
    assert_true(((float *)y.data)[0] == 1.0f && ((float *)y.data)[1] == 3.0f);

    static const int64_t bad[][2] = { { 1, 3 }, { -4, 0 }, { 0, INT64_MIN }, { INT64_MAX, 0 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(gather(s, bad[i], &y), ONNXRUN_E_RUNTIME);
        const char *e = onnxrun_session_error(s);
        assert_non_null(strstr(e, "gather0"));
        assert_non_null(strstr(e, "is out of range for an axis of size 3"));
    }
    /* a failed run leaves the session usable */
    assert_int_equal(gather(s, (int64_t[]){ 0, 1 }, &y), ONNXRUN_OK);
    assert_true(((float *)y.data)[0] == 1.0f && ((float *)y.data)[1] == 2.0f);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

/* x[N, 4] -> Relu -> y, N symbolic. */
static onnxrun_model *symbolic_relu(void)
{
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", ONNXRUN_FLOAT, 2, (int64_t[]){ -1, 4 });
    mb_node(&b, "Relu", "relu0", "x", "y");
    mb_output(&b, "y", ONNXRUN_FLOAT);
    size_t len;
    uint8_t *buf = mb_pack(&b, &len);
    onnxrun_model *m = NULL;
    assert_int_equal(onnxrun_model_load_buffer(buf, len, "symbolic_relu", NULL, &m), 0);
    free(buf);
    mb_free(&b);
    return m;
}

static void test_huge_run_shapes(void **state)
{
    (void)state;
    onnxrun_model *m = symbolic_relu();
    onnxrun_session *s = NULL;
    const onnxrun_session_options so = { .threads = 1 };
    assert_int_equal(onnxrun_session_create(m, &so, &s), 0);
    const char *name = "x";
    float x[8] = { -1, 2, -3, 4, 5, -6, 7, -8 };
    onnxrun_tensor y;

    /* shapes whose byte size passes 2^40 or overflows: refused up front */
    static const int64_t huge[][2] = {
        { (int64_t)1 << 40, 4 }, { (int64_t)1 << 62, 4 }, { INT64_MAX, 4 }, { -1, 4 },
    };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        onnxrun_tensor in = { .dtype = ONNXRUN_FLOAT, .rank = 2, .dims = { huge[i][0], huge[i][1] },
                              .data = x };
        onnxrun_status st = onnxrun_session_run(s, 1, &name, &in, 1, NULL, &y);
        assert_true(st == ONNXRUN_E_ARG || st == ONNXRUN_E_LIMIT);
        assert_non_null(strstr(onnxrun_session_error(s), "'x'"));
        st = onnxrun_session_set_input_shape(s, "x", 2, huge[i]);
        assert_true(st == ONNXRUN_E_ARG || st == ONNXRUN_E_LIMIT);
    }
    /* the declared dim is checked too */
    onnxrun_tensor in = { .dtype = ONNXRUN_FLOAT, .rank = 2, .dims = { 1, 5 }, .data = x };
    assert_int_equal(onnxrun_session_run(s, 1, &name, &in, 1, NULL, &y), ONNXRUN_E_SHAPE);
    /* and a sane shape still runs */
    in.dims[0] = 2;
    in.dims[1] = 4;
    assert_int_equal(onnxrun_session_run(s, 1, &name, &in, 1, NULL, &y), ONNXRUN_OK);
    assert_int_equal(y.dims[0], 2);
    for (int i = 0; i < 8; i++) assert_true(((float *)y.data)[i] == (x[i] > 0 ? x[i] : 0));
    onnxrun_session_free(s);
    onnxrun_model_free(m);
}

static void test_hostile_images(void **state)
{
    (void)state;
    static const char *const names[] = {
        "OR_IMAGE_OK", "OR_IMAGE_E_ARG", "OR_IMAGE_E_IO", "OR_IMAGE_E_FORMAT", "OR_IMAGE_E_CORRUPT",
        "OR_IMAGE_E_UNSUPPORTED", "OR_IMAGE_E_LIMIT", "OR_IMAGE_E_NOMEM",
    };
    _Static_assert(sizeof names / sizeof names[0] == OR_IMAGE_STATUS_COUNT, "image status names");
    FILE *f = fopen("data/images/hostile/EXPECTED", "r");
    assert_non_null(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        char file[256], status[64], path[512], err[OR_IMAGE_ERR_SIZE];
        int off = 0;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (sscanf(line, "%255s %63s %n", file, status, &off) != 2 || !off) {
            printf("bad line: %s\n", line);
            bad++;
            continue;
        }
        snprintf(path, sizeof path, "data/images/hostile/%s", file);
        or_image img;
        or_image_status st = or_image_load_file(path, 0, &img, err, sizeof err);
        n++;
        if (strcmp(names[st], status) != 0 || !strstr(err, line + off) || img.pixels) {
            printf("MISMATCH %s: got %s \"%s\", want %s \"%s\"\n", file, names[st], err, status,
                   line + off);
            bad++;
        }
        or_image_free(&img);
    }
    fclose(f);
    assert_true(n >= 2);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_corpus),
        cmocka_unit_test(test_runtime_index),
        cmocka_unit_test(test_huge_run_shapes),
        cmocka_unit_test(test_hostile_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
