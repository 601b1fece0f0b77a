/*
 * cancel_latency.c - how long onnxrun_session_cancel takes to stop a run:
 * times a warm run of MODEL (a 4-D float input, zeros) at one thread, then
 * cancels N runs from this thread at random moments within them (seeded)
 * and prints the worst and median time from the cancel to the run's return.
 * Run it under ../shared/anchors/quiet-run: it is a timing.
 *
 *   cancel_latency MODEL [N]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "onnxrun.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

typedef struct job {
    onnxrun_session *s;
    onnxrun_tensor in;
    const char *name;
    onnxrun_status st;
    double end;
} job;

static void *run(void *arg)
{
    job *j = arg;
    onnxrun_tensor out;
    j->st = onnxrun_session_run(j->s, 1, &j->name, &j->in, 1, NULL, &out);
    j->end = now_ms();
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cancel_latency MODEL [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 40;
    if (n < 1 || n > 10000) n = 40;
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_session_options o = { .threads = 1 };
    if (onnxrun_model_load_file(argv[1], NULL, &m) || onnxrun_session_create(m, &o, &s)) {
        fprintf(stderr, "cancel_latency: %s\n", s ? onnxrun_session_error(s) : onnxrun_model_error(m));
        return 1;
    }
    onnxrun_value_info vi;
    onnxrun_model_input(m, 0, &vi);
    if (vi.rank != 4 || vi.dtype != ONNXRUN_FLOAT) {
        fprintf(stderr, "cancel_latency: the model's input is not a 4-D float tensor\n");
        return 1;
    }
    job j = { .s = s, .name = vi.name, .in = { .dtype = ONNXRUN_FLOAT, .rank = 4 } };
    size_t count = 1;
    for (int d = 0; d < 4; d++) count *= (size_t)(j.in.dims[d] = vi.dims[d] > 0 ? vi.dims[d] : 1);
    j.in.data = calloc(count, sizeof(float));
    double *lat = calloc((size_t)n, sizeof *lat);
    if (!j.in.data || !lat) return 1;
    run(&j); /* warm */
    double t0 = now_ms();
    run(&j);
    double full = now_ms() - t0;
    int got = 0;
    srand(1);
    while (got < n) {
        pthread_t t;
        if (pthread_create(&t, NULL, run, &j)) return 1;
        double wait = (double)(rand() % 1000) / 1000.0 * full * 0.9;
        struct timespec ts = { 0, (long)(wait * 1e6) };
        nanosleep(&ts, NULL);
        double c = now_ms();
        onnxrun_session_cancel(s);
        pthread_join(t, NULL);
        if (j.st == ONNXRUN_E_CANCELLED) lat[got++] = j.end - c;
        else run(&j); /* finished first: this run takes the pending cancel */
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("%s: a run takes %.1f ms at 1 thread; %d cancels at random moments: median %.1f ms, worst %.1f ms "
           "from the cancel to the run's return\n", argv[1], full, n, lat[n / 2], lat[n - 1]);
    free(lat);
    free(j.in.data);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return 0;
}
