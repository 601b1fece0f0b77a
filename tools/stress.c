/*
 * stress.c - one model under load, to find races and leaks.
 *
 *   stress MODEL SECONDS [THREADS [SESSIONS]]
 *       THREADS threads (default 4) share the model; each keeps SESSIONS
 *       sessions (default 3) and, until SECONDS pass, runs a random one of
 *       them on random inputs (float inputs uniform in [-2, 2], other types
 *       zero; open dims, such as a dynamic batch, random in 1..3), and
 *       every 25th run frees that session and creates it again (with 1 or 2
 *       worker threads). Every run must succeed with finite float outputs.
 *       Prints the runs done; exits 1 on the first failure. Run it under
 *       ThreadSanitizer (tools/ci_hostile.sh does, for 60 s).
 *   stress --rss MODEL RUNS
 *       one session, RUNS runs on the same inputs: prints the peak RSS after
 *       100 runs and after RUNS, and exits 1 if it grew by 1 MiB or more.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "onnxrun.h"

#define MAX_IN 8
#define MAX_SESSIONS 16

static const onnxrun_model *model;
static double deadline;
static int n_sessions = 3;
static pthread_mutex_t report_mu = PTHREAD_MUTEX_INITIALIZER;
static int failed;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct inputs {
    size_t n;
    const char *names[MAX_IN];
    onnxrun_tensor t[MAX_IN];
} inputs;

/* Random inputs of the model's declared types and shapes (open dims 1..3). */
static int make_inputs(inputs *in, uint64_t *seed)
{
    in->n = onnxrun_model_input_count(model);
    if (in->n > MAX_IN) return -1;
    int64_t batch = 1 + (int64_t)(next(seed) % 3);
    for (size_t i = 0; i < in->n; i++) {
        onnxrun_value_info vi;
        onnxrun_model_input(model, i, &vi);
        onnxrun_tensor *t = &in->t[i];
        in->names[i] = vi.name;
        t->dtype = vi.dtype == ONNXRUN_UNDEFINED ? ONNXRUN_FLOAT : vi.dtype;
        t->rank = vi.rank < 0 ? 1 : vi.rank;
        for (int d = 0; d < t->rank; d++) t->dims[d] = vi.rank < 0 ? 4 : vi.dims[d] >= 0 ? vi.dims[d] : batch;
        int64_t n = onnxrun_tensor_numel(t);
        size_t es = onnxrun_dtype_size(t->dtype);
        if (n < 0 || es == 0 || n > (1 << 26)) return -1;
        t->data = calloc((size_t)(n ? n : 1), es);
        if (!t->data) return -1;
        for (int64_t k = 0; t->dtype == ONNXRUN_FLOAT && k < n; k++)
            ((float *)t->data)[k] = (float)((double)(next(seed) >> 11) / 9007199254740992.0 * 4 - 2);
    }
    return 0;
}

static void free_inputs(inputs *in)
{
    for (size_t i = 0; i < in->n; i++) free(in->t[i].data);
    in->n = 0;
}

static void report(const char *what, onnxrun_session *s)
{
    pthread_mutex_lock(&report_mu);
    if (!failed) fprintf(stderr, "stress: %s: %s\n", what, s ? onnxrun_session_error(s) : "out of memory");
    failed = 1;
    pthread_mutex_unlock(&report_mu);
}

/* Runs s on in; checks float outputs are finite. */
static int run_once(onnxrun_session *s, const inputs *in)
{
    size_t n_out = onnxrun_model_output_count(model);
    onnxrun_tensor out[MAX_IN];
    if (n_out > MAX_IN) n_out = MAX_IN;
    const char *names[MAX_IN];
    for (size_t j = 0; j < n_out; j++) {
        onnxrun_value_info vi;
        onnxrun_model_output(model, j, &vi);
        names[j] = vi.name;
    }
    if (onnxrun_session_run(s, in->n, in->names, in->t, n_out, names, out)) {
        report("run failed", s);
        return -1;
    }
    for (size_t j = 0; j < n_out; j++)
        for (int64_t k = 0; out[j].dtype == ONNXRUN_FLOAT && k < onnxrun_tensor_numel(&out[j]); k++)
            if (!isfinite(((float *)out[j].data)[k])) {
                report("an output is not finite", NULL);
                return -1;
            }
    return 0;
}

static onnxrun_session *make_session(uint64_t *seed)
{
    onnxrun_session_options o = { .threads = 1 + (int)(next(seed) % 2) };
    onnxrun_session *s = NULL;
    if (onnxrun_session_create(model, &o, &s)) {
        report("session create failed", s);
        onnxrun_session_free(s);
        return NULL;
    }
    return s;
}

static void *worker(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)arg * 0x2545f4914f6cdd1dull;
    onnxrun_session *s[MAX_SESSIONS] = { 0 };
    long *runs = arg;
    for (int i = 0; i < n_sessions; i++)
        if (!(s[i] = make_session(&seed))) goto out;
    while (now_s() < deadline && !failed) {
        int i = (int)(next(&seed) % (uint64_t)n_sessions);
        inputs in = { 0 };
        if (make_inputs(&in, &seed)) {
            report("cannot make inputs", NULL);
            free_inputs(&in);
            break;
        }
        int r = run_once(s[i], &in);
        free_inputs(&in);
        if (r) break;
        if (++*runs % 25 == 0) { /* churn: a new session in its place */
            onnxrun_session_free(s[i]);
            if (!(s[i] = make_session(&seed))) break;
        }
    }
out:
    for (int i = 0; i < n_sessions; i++) onnxrun_session_free(s[i]);
    return NULL;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int rss_mode(long runs)
{
    uint64_t seed = 7;
    onnxrun_session *s = make_session(&seed);
    inputs in = { 0 };
    if (!s || make_inputs(&in, &seed)) return 1;
    long at100 = 0;
    for (long r = 1; r <= runs; r++) {
        if (run_once(s, &in)) return 1;
        if (r == 100) at100 = peak_rss_kb();
    }
    long end = peak_rss_kb();
    printf("stress --rss: peak RSS %ld KiB after 100 runs, %ld KiB after %ld: %+ld KiB\n", at100, end, runs,
           end - at100);
    free_inputs(&in);
    onnxrun_session_free(s);
    return end - at100 >= 1024;
}

int main(int argc, char **argv)
{
    int rss = argc > 1 && !strcmp(argv[1], "--rss");
    if (argc < 3 + rss) {
        fprintf(stderr, "usage: stress MODEL SECONDS [THREADS [SESSIONS]] | stress --rss MODEL RUNS\n");
        return 2;
    }
    onnxrun_model *m = NULL;
    if (onnxrun_model_load_file(argv[1 + rss], NULL, &m)) {
        fprintf(stderr, "stress: %s\n", m ? onnxrun_model_error(m) : "out of memory");
        onnxrun_model_free(m);
        return 1;
    }
    model = m;
    int rc;
    if (rss) {
        long runs = atol(argv[3]);
        rc = rss_mode(runs > 100 ? runs : 101);
    } else {
        int threads = argc > 3 ? atoi(argv[3]) : 4;
        if (argc > 4) n_sessions = atoi(argv[4]);
        if (threads < 1 || threads > 64) threads = 4;
        if (n_sessions < 1 || n_sessions > MAX_SESSIONS) n_sessions = 3;
        deadline = now_s() + atof(argv[2]);
        pthread_t t[64];
        long runs[64] = { 0 }, total = 0;
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, &runs[i]);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        for (int i = 0; i < threads; i++) total += runs[i];
        printf("stress: %ld runs on %d threads x %d sessions (a new session every 25 runs)%s\n", total, threads,
               n_sessions, failed ? ": FAILED" : "");
        rc = failed;
    }
    onnxrun_model_free(m);
    return rc;
}
