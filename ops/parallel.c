/*
 * parallel.c - a session's worker threads and the loop splits of
 * parallel.h.
 *
 * Hand-off: the caller writes the job (fn, ctx, n, parts), sets `pending`
 * and publishes the job by bumping `gen` (release). A worker waits for gen
 * to change: it spins for OR_POOL_SPIN_NS (pause between looks, and a yield
 * of the CPU after OR_POOL_YIELD_NS), then registers in `sleepers` and
 * sleeps on `wake` under the mutex; the caller broadcasts only when someone
 * sleeps. Both sides use sequentially consistent operations on gen and
 * sleepers, so either the worker sees the new gen before it sleeps or the
 * caller sees it sleeping. Completion is the mirror image: each worker
 * decrements `pending`; the caller runs its own share, spins on pending,
 * then sleeps on `done`, which the last worker signals under the mutex. One
 * pool serves one session, and a session is used by one thread at a time,
 * so jobs never overlap.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "op.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

struct or_pool {
    int workers;                    /* including the calling thread */
    pthread_t *th;                  /* [workers - 1] */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_ulong gen;               /* bumped for each job */
    atomic_int pending;             /* workers still running the current job */
    atomic_int sleepers;            /* workers asleep on wake (or about to be) */
    atomic_bool stop;
    /* the current job: written by the caller before gen is bumped */
    void (*fn)(void *, int64_t, int64_t);
    void *ctx;
    int64_t n;
    int parts;                      /* chunks in the current job */
};

typedef struct worker_arg {
    or_pool *p;
    int index;                      /* 1 .. workers-1 (0 is the caller) */
} worker_arg;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until cond(p, arg) holds or OR_POOL_SPIN_NS pass, yielding the CPU
 * after OR_POOL_YIELD_NS; true if it held. */
static bool spin_until(const or_pool *p, bool (*cond)(const or_pool *, unsigned long),
                       unsigned long arg)
{
    int64_t t0 = 0;
    for (unsigned i = 1;; i++) {
        if (cond(p, arg)) return true;
        CPU_RELAX();
        if ((i & 63) == 0) { /* the clock only now and then */
            int64_t t = now_ns();
            if (t0 == 0) t0 = t;
            else if (t - t0 > OR_POOL_SPIN_NS) return cond(p, arg);
            else if (t - t0 > OR_POOL_YIELD_NS) sched_yield();
        }
    }
}

static bool job_posted(const or_pool *p, unsigned long seen)
{
    return atomic_load(&p->gen) != seen || atomic_load_explicit(&p->stop, memory_order_relaxed);
}

static bool job_done(const or_pool *p, unsigned long unused)
{
    (void)unused;
    return atomic_load(&p->pending) == 0;
}

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
    for (;;) {
        if (!spin_until(p, job_posted, seen)) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while (!job_posted(p, seen)) pthread_cond_wait(&p->wake, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) break;
        seen = atomic_load(&p->gen);
        run_part(p, wa.index);
        if (atomic_fetch_sub(&p->pending, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
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
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, false);
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
    atomic_store(&p->stop, true);
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
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->parts = parts;
    atomic_store(&p->pending, p->workers - 1);
    atomic_fetch_add(&p->gen, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
    run_part(p, 0);
    if (!spin_until(p, job_done, 0)) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

bool or_par_worth(const or_kernel *k, double work, double min)
{
    return k && k->threads > 1 && (k->split_all || work >= min);
}

void or_parallel_for_work(const or_kernel *k, int64_t n, double work,
                          void (*fn)(void *ctx, int64_t begin, int64_t end), void *ctx)
{
    if (n <= 0) return;
    if (n == 1 || !or_par_worth(k, work, OR_PAR_MIN_WORK)) fn(ctx, 0, n);
    else or_parallel_for(k, n, fn, ctx);
}

/* ---- dynamic split ---- */

typedef struct dyn_job {
    atomic_llong next;         /* first item not yet taken */
    int64_t n, chunk;
    or_dyn_fn fn;
    void *ctx;
} dyn_job;

static void dyn_worker(void *ctx, int64_t p0, int64_t p1)
{
    dyn_job *j = ctx;
    for (int64_t part = p0; part < p1; part++)
        for (;;) {
            int64_t b = atomic_fetch_add(&j->next, j->chunk);
            if (b >= j->n) break;
            j->fn(j->ctx, b, b + j->chunk < j->n ? b + j->chunk : j->n, (int)part);
        }
}

int or_parallel_dyn(const or_kernel *k, int64_t n, double work, or_dyn_fn fn, void *ctx)
{
    if (n <= 0) return 1;
    int64_t threads = k->threads > 1 ? k->threads : 1, chunk = n / (4 * threads);
    if (chunk < 1) chunk = 1;
    int64_t chunks = (n + chunk - 1) / chunk;
    int parts = k->threads < chunks ? k->threads : (int)chunks;
    if (parts <= 1 || !k->pool || !or_par_worth(k, work, OR_PAR_MIN_WORK)) {
        fn(ctx, 0, n, 0);
        return 1;
    }
    dyn_job j = { .n = n, .chunk = chunk, .fn = fn, .ctx = ctx };
    atomic_init(&j.next, 0);
    or_parallel_for(k, parts, dyn_worker, &j);
    return parts;
}

/* ---- runs with stealing ---- */

typedef struct steal_slot {
    _Alignas(64) atomic_ullong range; /* chunks [lo, hi) left of a run: lo | hi << 32 */
} steal_slot;

typedef struct steal_job {
    steal_slot slot[OR_STEAL_PARTS];
    int parts;
    int64_t n, chunk;
    or_dyn_fn fn;
    void *ctx;
} steal_job;

/* Takes chunk lo from the front (own run) or hi - 1 from the back (another's
 * run) of slot s; -1 when the run is empty. */
static int64_t steal_take(steal_slot *s, bool front)
{
    unsigned long long v = atomic_load(&s->range);
    for (;;) {
        unsigned long long lo = v & 0xffffffffu, hi = v >> 32;
        if (lo >= hi) return -1;
        unsigned long long nv = front ? (lo + 1) | (hi << 32) : lo | ((hi - 1) << 32);
        if (atomic_compare_exchange_weak(&s->range, &v, nv)) return (int64_t)(front ? lo : hi - 1);
    }
}

static void steal_worker(void *ctx, int64_t p0, int64_t p1)
{
    steal_job *j = ctx;
    for (int64_t part = p0; part < p1; part++) {
        for (int q = 0; q < j->parts; q++) { /* own run first, then the others' from the back */
            steal_slot *s = &j->slot[(part + q) % j->parts];
            for (int64_t c; (c = steal_take(s, q == 0)) >= 0;) {
                int64_t b = c * j->chunk, e = b + j->chunk < j->n ? b + j->chunk : j->n;
                j->fn(j->ctx, b, e, (int)part);
            }
        }
    }
}

void or_parallel_steal(const or_kernel *k, int64_t n, int64_t chunk, double work, or_dyn_fn fn,
                       void *ctx)
{
    if (n <= 0) return;
    if (chunk < 1) chunk = 1;
    int64_t chunks = (n + chunk - 1) / chunk;
    int parts = k && k->threads > 1 ? k->threads : 1;
    if (parts > OR_STEAL_PARTS) parts = OR_STEAL_PARTS;
    if (parts > chunks) parts = (int)chunks;
    if (chunks > 0xffffffffLL || parts <= 1 || !k->pool || !or_par_worth(k, work, OR_PAR_MIN_WORK)) {
        fn(ctx, 0, n, 0);
        return;
    }
    steal_job j = { .parts = parts, .n = n, .chunk = chunk, .fn = fn, .ctx = ctx };
    for (int t = 0; t < parts; t++) {
        unsigned long long lo = (unsigned long long)or_part_begin(chunks, 1, parts, t);
        unsigned long long hi = (unsigned long long)or_part_begin(chunks, 1, parts, t + 1);
        atomic_init(&j.slot[t].range, lo | (hi << 32));
    }
    or_parallel_for(k, parts, steal_worker, &j);
}
