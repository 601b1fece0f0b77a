/*
 * test_tensor_save.c - onnxrun_tensor_save_pb (loader/tensor_save.c): every
 * dtype with a byte size written and read back with onnxrun_tensor_load_pb
 * bit for bit (float with NaN/inf/-0, int64 extremes, empty and scalar
 * tensors, names), overwriting a longer file, and the errors: bad tensors
 * (refused before the file is touched), unwritable paths, a full device.
 * Files go to a fresh folder under $TMPDIR (or /tmp), removed at the end.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "onnxrun.h"

#define ERR_LEN 1024

static char dir[256];

#define assert_status(expr, want, err) do { \
    onnxrun_status st_ = (expr); \
    if (st_ != (want)) \
        fail_msg("status %s (%d), want %s (%d); message: %s", onnxrun_status_name(st_), (int)st_, \
                 onnxrun_status_name(want), (int)(want), (err)); \
} while (0)

#define assert_msg(err, sub) do { \
    if (!strstr((err), (sub))) fail_msg("message \"%s\" lacks \"%s\"", (err), (sub)); \
} while (0)

static void path_of(char *buf, size_t len, const char *file)
{
    int n = snprintf(buf, len, "%s/%s", dir, file);
    assert_true(n > 0 && (size_t)n < len);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Deterministic bytes (xorshift); bool gets 0/1. */
static void fill(void *data, size_t bytes, onnxrun_dtype dt, uint32_t seed)
{
    uint8_t *p = data;
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < bytes; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = dt == ONNXRUN_BOOL ? (uint8_t)(x & 1) : (uint8_t)(x >> 7);
    }
}

/* Saves t as `file` under `name`, loads it back and requires the same
 * dtype, dims, bytes and name (NULL saves as ""). */
static void round_trip(const onnxrun_tensor *t, const char *name, const char *file)
{
    char path[512], err[ERR_LEN] = "";
    path_of(path, sizeof path, file);
    assert_status(onnxrun_tensor_save_pb(path, t, name, err, sizeof err), ONNXRUN_OK, err);
    assert_string_equal(err, "");
    onnxrun_tensor back;
    char *got = NULL;
    assert_status(onnxrun_tensor_load_pb(path, &back, &got, err, sizeof err), ONNXRUN_OK, err);
    assert_int_equal(back.dtype, t->dtype);
    assert_int_equal(back.rank, t->rank);
    for (int i = 0; i < t->rank; i++) assert_int_equal(back.dims[i], t->dims[i]);
    int64_t n = onnxrun_tensor_numel(t);
    assert_true(n >= 0);
    assert_int_equal(onnxrun_tensor_numel(&back), n);
    size_t bytes = (size_t)n * onnxrun_dtype_size(t->dtype);
    if (bytes) assert_memory_equal(back.data, t->data, bytes);
    assert_non_null(got);
    assert_string_equal(got, name ? name : "");
    free(got);
    onnxrun_tensor_release(&back);
}

/* ---- round trips ---- */

static void test_float(void **state)
{
    (void)state;
    float x[2 * 3 * 4 * 5];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = (float)i * 0.37f - 11.0f;
    x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = -0.0f, x[4] = 1e-45f, x[5] = 3.4e38f;
    onnxrun_tensor t = { .dtype = ONNXRUN_FLOAT, .rank = 4, .dims = { 2, 3, 4, 5 }, .data = x };
    round_trip(&t, "input", "float.pb");
}

static void test_int64(void **state)
{
    (void)state;
    int64_t v[] = { INT64_MIN, -1, 0, 1, INT64_MAX, 1234567890123LL };
    onnxrun_tensor t = { .dtype = ONNXRUN_INT64, .rank = 2, .dims = { 3, 2 }, .data = v };
    round_trip(&t, "indices", "int64.pb");
}

static void test_empty(void **state)
{
    (void)state;
    onnxrun_tensor t = { .dtype = ONNXRUN_FLOAT, .rank = 3, .dims = { 2, 0, 3 }, .data = NULL };
    round_trip(&t, "empty", "empty.pb");
    int64_t one;
    t.data = &one; /* a pointer with no bytes behind it is fine too */
    t.dtype = ONNXRUN_INT64;
    t.dims[0] = 0;
    round_trip(&t, "empty64", "empty64.pb");
}

static void test_scalar(void **state)
{
    (void)state;
    float f = -2.5f;
    onnxrun_tensor t = { .dtype = ONNXRUN_FLOAT, .rank = 0, .data = &f };
    round_trip(&t, "s", "scalar.pb");
    int64_t i = -42;
    onnxrun_tensor ti = { .dtype = ONNXRUN_INT64, .rank = 0, .data = &i };
    round_trip(&ti, NULL, "scalar64.pb");
}

/* Every dtype with a byte size, at the largest rank, with random bytes. */
static void test_every_dtype(void **state)
{
    (void)state;
    uint8_t buf[2 * 1 * 3 * 1 * 1 * 2 * 1 * 2 * 8];
    for (int d = 1; d < ONNXRUN_DTYPE_COUNT; d++) {
        onnxrun_dtype dt = (onnxrun_dtype)d;
        size_t es = onnxrun_dtype_size(dt);
        if (!es) continue;
        onnxrun_tensor t = { .dtype = dt, .rank = ONNXRUN_MAX_RANK, .dims = { 2, 1, 3, 1, 1, 2, 1, 2 },
                             .data = buf };
        fill(buf, (size_t)onnxrun_tensor_numel(&t) * es, dt, (uint32_t)d);
        char file[64];
        snprintf(file, sizeof file, "dtype_%s.pb", onnxrun_dtype_name(dt));
        round_trip(&t, onnxrun_dtype_name(dt), file);
    }
}

/* A name with multi-byte UTF-8; a shorter tensor over a longer file. */
static void test_name_and_overwrite(void **state)
{
    (void)state;
    float big[1000];
    fill(big, sizeof big, ONNXRUN_FLOAT, 7);
    onnxrun_tensor t = { .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { 1000 }, .data = big };
    round_trip(&t, "gro\xc3\x9f", "over.pb");
    float small[2] = { 1, 2 };
    onnxrun_tensor s = { .dtype = ONNXRUN_FLOAT, .rank = 2, .dims = { 1, 2 }, .data = small };
    round_trip(&s, "x:0/\xe2\x82\xac", "over.pb");
}

/* ---- errors ---- */

/* Bad tensors are refused with the right status, a message naming the file,
 * and without creating it. */
static void test_bad_tensor(void **state)
{
    (void)state;
    char path[512], err[ERR_LEN];
    path_of(path, sizeof path, "bad.pb");
    float f[4] = { 0 };
    struct {
        onnxrun_tensor t;
        const char *name;
        onnxrun_status want;
        const char *msg;
    } cases[] = {
        { { .dtype = ONNXRUN_FLOAT, .rank = 2, .dims = { 2, -1 }, .data = f }, "n", ONNXRUN_E_ARG, "[2,-1]" },
        { { .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { 4 }, .data = NULL }, "n", ONNXRUN_E_ARG, "NULL" },
        { { .dtype = ONNXRUN_FLOAT, .rank = 9, .data = f }, "n", ONNXRUN_E_ARG, "rank 9" },
        { { .dtype = ONNXRUN_FLOAT, .rank = -1, .data = f }, "n", ONNXRUN_E_ARG, "rank -1" },
        { { .dtype = ONNXRUN_FLOAT, .rank = 2, .dims = { INT64_MAX, 2 }, .data = f }, "n", ONNXRUN_E_ARG,
          "overflow" },
        { { .dtype = ONNXRUN_STRING, .rank = 1, .dims = { 1 }, .data = f }, "n", ONNXRUN_E_UNSUPPORTED,
          "string" },
        { { .dtype = ONNXRUN_UNDEFINED, .rank = 1, .dims = { 1 }, .data = f }, "n", ONNXRUN_E_UNSUPPORTED,
          "undefined" },
        { { .dtype = (onnxrun_dtype)99, .rank = 1, .dims = { 1 }, .data = f }, "n", ONNXRUN_E_UNSUPPORTED,
          "(99)" },
        { { .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { 1 }, .data = f }, "a\xff", ONNXRUN_E_ARG,
          "0xff at offset 1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = 'x';
        assert_status(onnxrun_tensor_save_pb(path, &cases[i].t, cases[i].name, err, sizeof err),
                      cases[i].want, err);
        assert_msg(err, path);
        assert_msg(err, cases[i].msg);
        assert_false(exists(path));
        /* err may be NULL */
        assert_int_equal(onnxrun_tensor_save_pb(path, &cases[i].t, cases[i].name, NULL, 0), cases[i].want);
        assert_false(exists(path));
    }
    assert_status(onnxrun_tensor_save_pb(NULL, &cases[0].t, "n", err, sizeof err), ONNXRUN_E_ARG, err);
    assert_msg(err, "no path");
    assert_status(onnxrun_tensor_save_pb(path, NULL, "n", err, sizeof err), ONNXRUN_E_ARG, err);
    assert_msg(err, path);
    /* a tiny message buffer is still terminated */
    char tiny[4] = "abc";
    assert_int_equal(onnxrun_tensor_save_pb(path, &cases[0].t, "n", tiny, sizeof tiny), ONNXRUN_E_ARG);
    assert_int_equal(strlen(tiny), 3);
    assert_false(exists(path));
}

static void test_unwritable(void **state)
{
    (void)state;
    char path[512], err[ERR_LEN];
    float f = 1;
    onnxrun_tensor t = { .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { 1 }, .data = &f };
    /* a folder that does not exist */
    path_of(path, sizeof path, "no/such/folder/x.pb");
    assert_status(onnxrun_tensor_save_pb(path, &t, "x", err, sizeof err), ONNXRUN_E_IO, err);
    assert_msg(err, path);
    assert_msg(err, "cannot open for writing");
    assert_msg(err, "No such file or directory");
    /* a folder in place of the file */
    assert_status(onnxrun_tensor_save_pb(dir, &t, "x", err, sizeof err), ONNXRUN_E_IO, err);
    assert_msg(err, dir);
    /* the path under a regular file */
    path_of(path, sizeof path, "plain.pb");
    assert_status(onnxrun_tensor_save_pb(path, &t, "x", err, sizeof err), ONNXRUN_OK, err);
    char below[600];
    snprintf(below, sizeof below, "%s/x.pb", path);
    assert_status(onnxrun_tensor_save_pb(below, &t, "x", err, sizeof err), ONNXRUN_E_IO, err);
    assert_msg(err, below);
    /* a device that refuses every write: the error is seen (at the flush)
     * and the device is not removed */
    if (!exists("/dev/full")) return;
    float big[4096] = { 0 };
    onnxrun_tensor tb = { .dtype = ONNXRUN_FLOAT, .rank = 1, .dims = { 4096 }, .data = big };
    assert_status(onnxrun_tensor_save_pb("/dev/full", &tb, "x", err, sizeof err), ONNXRUN_E_IO, err);
    assert_msg(err, "/dev/full: cannot write the tensor");
    assert_true(exists("/dev/full"));
    assert_status(onnxrun_tensor_save_pb("/dev/full", &t, "x", err, sizeof err), ONNXRUN_E_IO, err);
    assert_true(exists("/dev/full"));
}

/* ---- setup ---- */

static int make_dir(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/onnxrun_save_XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    static const char *const files[] = {
        "float.pb", "int64.pb", "empty.pb", "empty64.pb", "scalar.pb", "scalar64.pb", "over.pb",
        "plain.pb", "bad.pb",
    };
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        path_of(path, sizeof path, files[i]);
        unlink(path);
    }
    for (int d = 1; d < ONNXRUN_DTYPE_COUNT; d++) {
        char file[64];
        snprintf(file, sizeof file, "dtype_%s.pb", onnxrun_dtype_name((onnxrun_dtype)d));
        path_of(path, sizeof path, file);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_every_dtype),
        cmocka_unit_test(test_name_and_overwrite),
        cmocka_unit_test(test_bad_tensor),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
