/*
 * test_malformed.c - every file of tests/malformed/ through the public API:
 * loading (and, if that passes, creating a session and running it) must
 * fail with the status and message that tests/malformed/EXPECTED gives.
 * EXPECTED lines: FILE STATUS_NAME message-substring [@session]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "onnxrun.h"

static const char *const status_names[] = {
    "ONNXRUN_OK", "ONNXRUN_E_ARG", "ONNXRUN_E_IO", "ONNXRUN_E_PARSE", "ONNXRUN_E_INVALID",
    "ONNXRUN_E_UNSUPPORTED", "ONNXRUN_E_SHAPE", "ONNXRUN_E_LIMIT", "ONNXRUN_E_NOMEM",
    "ONNXRUN_E_RUNTIME", "ONNXRUN_E_CANCELLED",
};

/* The first failing status of load -> session -> run, with its message. */
static onnxrun_status try_model(const char *path, char *msg, size_t len)
{
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_status st = onnxrun_model_load_file(path, NULL, &m);
    if (st) {
        snprintf(msg, len, "%s", onnxrun_model_error(m));
        goto out;
    }
    st = onnxrun_session_create(m, NULL, &s);
    if (st) {
        snprintf(msg, len, "%s", onnxrun_session_error(s));
        goto out;
    }
    snprintf(msg, len, "(loaded and planned without error)");
out:
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return st;
}

static void test_corpus(void **state)
{
    (void)state;
    FILE *f = fopen("malformed/EXPECTED", "r");
    assert_non_null(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        char file[256], status[64], path[512], msg[2048];
        int off = 0;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (sscanf(line, "%255s %63s %n", file, status, &off) != 2) continue;
        char *want = line + off, *tag = strstr(want, " @session");
        if (tag) *tag = 0;
        snprintf(path, sizeof path, "malformed/%s", file);
        onnxrun_status st = try_model(path, msg, sizeof msg);
        const char *got = (unsigned)st < sizeof status_names / sizeof *status_names ? status_names[st] : "?";
        n++;
        if (strcmp(got, status) != 0 || !strstr(msg, want) || !strstr(msg, file)) {
            printf("MISMATCH %s: got %s \"%s\", want %s \"%s\"\n", file, got, msg, status, want);
            bad++;
        } else {
            printf("ok %s: %s %s\n", file, got, msg);
        }
    }
    fclose(f);
    assert_true(n >= 10);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_corpus) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
