/*
 * exec.c - the run loop: every scheduled step that was not folded or
 * aliased away runs its kernel on the planned buffers. Also the helpers for
 * messages and for splitting a kernel's loop over threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "interp.h"

or_status or_errf(char *buf, or_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, OR_ERR_LEN, fmt, ap);
    va_end(ap);
    return st;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

or_status or_exec(onnxrun_session *s)
{
    for (size_t i = 0; i < s->n_steps; i++) {
        or_step *st = &s->steps[i];
        if (st->folded || st->skip) {
            st->ms = 0;
            continue;
        }
        double t0 = s->profile ? now_ms() : 0;
        or_status r = st->k.def->run(&st->k);
        if (s->profile) st->ms = now_ms() - t0;
        if (r != ONNXRUN_OK) return r;
    }
    return ONNXRUN_OK;
}

typedef struct chunk {
    void (*fn)(void *, int64_t, int64_t);
    void *ctx;
    int64_t begin, end;
} chunk;

static void *chunk_main(void *arg)
{
    chunk *c = arg;
    c->fn(c->ctx, c->begin, c->end);
    return NULL;
}

void or_parallel_for(const or_kernel *k, int64_t n, void (*fn)(void *ctx, int64_t begin, int64_t end),
                     void *ctx)
{
    enum { MAX_THREADS = 64 };
    int t = k && k->threads > 1 ? k->threads : 1;
    if (t > MAX_THREADS) t = MAX_THREADS;
    if (t > n) t = (int)(n > 0 ? n : 1);
    if (t <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    chunk c[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    bool started[MAX_THREADS] = { false };
    for (int i = 0; i < t; i++)
        c[i] = (chunk){ fn, ctx, n * i / t, n * (i + 1) / t };
    for (int i = 1; i < t; i++)
        started[i] = pthread_create(&th[i], NULL, chunk_main, &c[i]) == 0;
    fn(ctx, c[0].begin, c[0].end);
    for (int i = 1; i < t; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else fn(ctx, c[i].begin, c[i].end); /* no thread could be had: run it here */
    }
}
