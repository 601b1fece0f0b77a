/*
 * threads.c - a session's worker threads. or_parallel_for hands each worker
 * one contiguous chunk of [0, n) and waits for all of them; the workers
 * sleep on a condition variable between calls, so nothing is created or
 * allocated while a model runs. One pool serves one session, and a session
 * is used by one thread at a time, so calls never overlap.
 */
#include <pthread.h>
#include <stdlib.h>

#include "interp.h"

struct or_pool {
    int workers;                    /* including the calling thread */
    pthread_t *th;                  /* [workers - 1] */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    unsigned long gen;              /* bumped for each job */
    int pending;                    /* workers still running the current job */
    bool stop;
    void (*fn)(void *, int64_t, int64_t);
    void *ctx;
    int64_t n;
    int parts;                      /* chunks in the current job */
};

typedef struct worker_arg {
    or_pool *p;
    int index;                      /* 1 .. workers-1 (0 is the caller) */
} worker_arg;

static void run_part(or_pool *p, int part)
{
    if (part >= p->parts) return;
    int64_t b = p->n * part / p->parts, e = p->n * (part + 1) / p->parts;
    if (b < e) p->fn(p->ctx, b, e);
}

static void *worker_main(void *arg)
{
    worker_arg wa = *(worker_arg *)arg;
    free(arg);
    or_pool *p = wa.p;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->gen == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        run_part(p, wa.index);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

or_pool *or_pool_create(int workers)
{
    if (workers <= 1) return NULL;
    or_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->th = calloc((size_t)workers, sizeof *p->th);
    if (!p->th || pthread_mutex_init(&p->mu, NULL)) {
        free(p->th);
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->workers = 1;
    for (int i = 1; i < workers; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) break;
        *wa = (worker_arg){ p, i };
        if (pthread_create(&p->th[i - 1], NULL, worker_main, wa)) {
            free(wa);
            break;
        }
        p->workers++;
    }
    if (p->workers == 1) {
        or_pool_free(p);
        return NULL;
    }
    return p;
}

void or_pool_free(or_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->workers; i++) pthread_join(p->th[i - 1], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->th);
    free(p);
}

void or_parallel_for(const or_kernel *k, int64_t n, void (*fn)(void *ctx, int64_t begin, int64_t end),
                     void *ctx)
{
    or_pool *p = k ? k->pool : NULL;
    int parts = p ? p->workers : 1;
    if (k && k->threads < parts) parts = k->threads;
    if (parts > n) parts = (int)(n > 0 ? n : 1);
    if (parts <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->parts = parts;
    p->pending = p->workers - 1;
    p->gen++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_part(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
