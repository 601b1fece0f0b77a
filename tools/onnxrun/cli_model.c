/*
 * cli_model.c - what the forms of the command line share about models:
 * loading with messages, sessions, concrete shapes for open dims, and the
 * number formatting of the tables.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

onnxrun_model *cli_load_model(const char *path)
{
    onnxrun_model *m = NULL;
    onnxrun_status st = onnxrun_model_load_file(path, NULL, &m);
    if (st) {
        const char *msg = m ? onnxrun_model_error(m) : "out of memory";
        /* the library's messages name the file; make sure ours do */
        if (strstr(msg, path)) cli_err(CLI_FAIL, "%s", msg);
        else cli_err(CLI_FAIL, "%s: %s", path, msg);
        onnxrun_model_free(m);
        return NULL;
    }
    return m;
}

/* ---- --timeout ---- */

static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static onnxrun_session *watched; /* the session to cancel when the time is up */
static int fired;
static double watch_seconds;

static void *watchdog(void *arg)
{
    (void)arg;
    struct timespec t = { (time_t)watch_seconds, (long)((watch_seconds - (double)(time_t)watch_seconds) * 1e9) };
    while (nanosleep(&t, &t) != 0) {}
    for (;;) { /* from now on every watched session is cancelled, also ones made later */
        pthread_mutex_lock(&watch_mu);
        fired = 1;
        if (watched) onnxrun_session_cancel(watched);
        pthread_mutex_unlock(&watch_mu);
        struct timespec tick = { 0, 5000000 };
        nanosleep(&tick, NULL);
    }
    return NULL;
}

void cli_watch_start(double seconds)
{
    pthread_t t;
    watch_seconds = seconds;
    if (pthread_create(&t, NULL, watchdog, NULL) == 0) pthread_detach(t);
}

int cli_timed_out(void)
{
    pthread_mutex_lock(&watch_mu);
    int f = fired;
    pthread_mutex_unlock(&watch_mu);
    return f;
}

void cli_free_session(onnxrun_session *s)
{
    pthread_mutex_lock(&watch_mu);
    if (watched == s) watched = NULL;
    pthread_mutex_unlock(&watch_mu);
    onnxrun_session_free(s);
}

onnxrun_session *cli_new_session(const onnxrun_model *m, const cli_args *a)
{
    onnxrun_session_options so = { .threads = a->threads, .isa = a->isa, .max_memory_bytes = a->max_memory };
    onnxrun_session *s = NULL;
    onnxrun_status st = onnxrun_session_create(m, &so, &s);
    if (st) {
        cli_err(CLI_FAIL, "%s", s ? onnxrun_session_error(s) : "out of memory");
        onnxrun_session_free(s);
        return NULL;
    }
    return s;
}

onnxrun_session *cli_create_session(const onnxrun_model *m, const cli_args *a)
{
    onnxrun_session *s = cli_new_session(m, a);
    if (!s) return NULL;
    pthread_mutex_lock(&watch_mu);
    watched = s;
    pthread_mutex_unlock(&watch_mu);
    return s;
}

int cli_concrete_shape(const onnxrun_value_info *info, int batch, int spatial, int64_t *dims)
{
    if (info->rank < 0)
        return cli_err(CLI_FAIL, "input '%s' has no declared shape", info->name);
    for (int d = 0; d < info->rank; d++) {
        dims[d] = info->dims[d];
        if (d == 0 && batch > 0) {
            if (dims[0] >= 0 && dims[0] != batch)
                return cli_err(CLI_USAGE, "--batch %d: input '%s' has a fixed batch size of %lld",
                               batch, info->name, (long long)dims[0]);
            dims[0] = batch;
        }
        if (dims[d] < 0) dims[d] = info->rank == 4 && d >= 2 && spatial > 0 ? spatial : 1;
    }
    return CLI_OK;
}

int cli_plan_inputs(const onnxrun_model *m, onnxrun_session *s, int batch, int spatial)
{
    size_t n = onnxrun_model_input_count(m);
    for (size_t i = 0; i < n; i++) {
        onnxrun_value_info info;
        int64_t dims[ONNXRUN_MAX_RANK];
        if (onnxrun_model_input(m, i, &info)) return cli_err(CLI_FAIL, "cannot read input %zu", i);
        int rc = cli_concrete_shape(&info, batch, spatial, dims);
        if (rc) return rc;
        if (onnxrun_session_set_input_shape(s, info.name, info.rank, dims))
            return cli_err(CLI_FAIL, "%s", onnxrun_session_error(s));
    }
    return CLI_OK;
}

int cli_size_hint(const onnxrun_model *m)
{
    const char *v = onnxrun_model_metadata(m, "size");
    if (!v) return 0;
    char *end;
    long n = strtol(v, &end, 10);
    return *v && !*end && n > 0 && n <= 32768 ? (int)n : 0;
}

/* Appends to buf (size len, *used bytes in use), truncating. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (w > 0) *used += (size_t)w;
}

void cli_format_dims(char *buf, size_t len, int rank, const int64_t *dims, const char *const *names)
{
    size_t used = 0;
    if (!len) return;
    buf[0] = 0;
    if (rank < 0) {
        append(buf, len, &used, "?");
        return;
    }
    append(buf, len, &used, "[");
    for (int d = 0; d < rank; d++) {
        const char *sep = d ? "," : "";
        if (dims[d] >= 0) append(buf, len, &used, "%s%lld", sep, (long long)dims[d]);
        else if (names && names[d]) append(buf, len, &used, "%s%s", sep, names[d]);
        else append(buf, len, &used, "%s?", sep);
    }
    append(buf, len, &used, "]");
}

void cli_format_count(char *buf, size_t len, uint64_t n)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    char out[48];
    int o = 0;
    for (int i = 0; i < nd; i++) {
        if (i && (nd - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
    snprintf(buf, len, "%s", out);
}

void cli_format_bytes(char *buf, size_t len, uint64_t bytes)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0) snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else snprintf(buf, len, "%.1f %s", v, unit[u]);
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void cli_format_si(char *buf, size_t len, double n)
{
    static const char *const unit[] = { "", "k", "M", "G", "T", "P" };
    int u = 0;
    while (n >= 1000 && u < 5) {
        n /= 1000;
        u++;
    }
    if (u == 0) snprintf(buf, len, "%.0f", n);
    else snprintf(buf, len, "%.2f %s", n, unit[u]);
}

/* Largest synthetic input the command line makes (bytes). */
#define MAX_INPUT_BYTES ((uint64_t)1 << 32)

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int cli_inputs_make(const onnxrun_model *m, int batch, int spatial, cli_inputs *in)
{
    memset(in, 0, sizeof *in);
    size_t n = onnxrun_model_input_count(m);
    in->names = calloc(n + 1, sizeof *in->names);
    in->t = calloc(n + 1, sizeof *in->t);
    if (!in->names || !in->t) {
        cli_inputs_free(in);
        return cli_err(CLI_FAIL, "out of memory");
    }
    in->n = n;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        onnxrun_value_info info;
        onnxrun_tensor *t = &in->t[i];
        int rc = onnxrun_model_input(m, i, &info) ? cli_err(CLI_FAIL, "cannot read input %zu", i)
                                                   : cli_concrete_shape(&info, batch, spatial, t->dims);
        if (!rc && (info.dtype == ONNXRUN_UNDEFINED || onnxrun_dtype_size(info.dtype) == 0))
            rc = cli_err(CLI_FAIL, "input '%s' has type %s: cannot make data for it", info.name,
                         onnxrun_dtype_name(info.dtype));
        if (rc) {
            cli_inputs_free(in);
            return rc;
        }
        in->names[i] = info.name;
        /* a float16 / bfloat16 input takes float32 data (the session converts it) */
        t->dtype = info.dtype == ONNXRUN_FLOAT16 || info.dtype == ONNXRUN_BFLOAT16 ? ONNXRUN_FLOAT : info.dtype;
        t->rank = info.rank;
        int64_t numel = onnxrun_tensor_numel(t);
        size_t esize = onnxrun_dtype_size(t->dtype);
        if (numel < 0 || (uint64_t)numel > MAX_INPUT_BYTES / esize) {
            char shape[256];
            cli_format_dims(shape, sizeof shape, t->rank, t->dims, NULL);
            cli_inputs_free(in);
            return cli_err(CLI_FAIL, "input '%s' %s is too large (limit %llu bytes)", info.name,
                           shape, (unsigned long long)MAX_INPUT_BYTES);
        }
        t->data = calloc((size_t)numel ? (size_t)numel : 1, esize);
        if (!t->data) {
            cli_inputs_free(in);
            return cli_err(CLI_FAIL, "out of memory for input '%s'", info.name);
        }
        for (int64_t k = 0; k < numel; k++) {
            double v = (double)(xorshift(&seed) >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
            if (t->dtype == ONNXRUN_FLOAT) ((float *)t->data)[k] = (float)v;
            else if (t->dtype == ONNXRUN_DOUBLE) ((double *)t->data)[k] = v;
            else break; /* integer and bool inputs stay zero */
        }
    }
    return CLI_OK;
}

void cli_inputs_free(cli_inputs *in)
{
    if (!in) return;
    for (size_t i = 0; in->t && i < in->n; i++) free(in->t[i].data);
    free(in->t);
    free(in->names);
    memset(in, 0, sizeof *in);
}
