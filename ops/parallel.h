/*
 * parallel.h - the one parallel API kernels use, and its thresholds.
 *
 * A session owns a pool of worker threads (or_pool_create, called by the
 * interpreter); a kernel reaches it through k->pool and k->threads and
 * splits its loops with the three calls below. Everything a kernel needs to
 * decide whether a loop is worth splitting is defined here, so tuning the
 * split is one file's business.
 *
 * The pool (ops/parallel.c): the caller is worker 0 and runs its own share;
 * the others wait for a job by spinning briefly (OR_POOL_SPIN_NS, yielding
 * the CPU after OR_POOL_YIELD_NS) and then sleeping on a condition
 * variable. A model's nodes come microseconds apart, so a spinning worker
 * picks up the next node's job without a futex wake-up; an idle session's
 * workers sleep.
 */
#ifndef OR_PARALLEL_H
#define OR_PARALLEL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct or_kernel or_kernel;
typedef struct or_pool or_pool;

/* ---- thresholds ---- */

/* Loops of less work (elements touched) than this run on the calling
 * thread: waking the workers and waiting for them costs microseconds, more
 * than such a loop gains from them. */
#define OR_PAR_MIN_WORK 65536.0
/* Elementwise loops (one pass over n elements) split from this size. */
#define OR_PAR_MIN_ELEMS ((int64_t)1 << 15)
/* Matrix-vector products split from this many multiply-adds. */
#define OR_PAR_MIN_GEMV 262144.0
/* A multiply-add costs about 1/4 of an "element touched" above. */
#define OR_PAR_MAC_PER_WORK 4.0
/* How long an idle worker spins for the next job before it sleeps. */
#define OR_POOL_SPIN_NS 200000
/* After this long, a spinning thread (a worker waiting for a job, the
 * caller waiting for the workers) yields its CPU between looks: when the
 * scheduler has put two of the session's threads on one CPU, the other
 * then runs at once instead of after the spin. tools/conv_rules on a 3x3
 * 16 -> 32 at 28x28, 2 threads, 8 processes each: without yields 2-4 of
 * them ran it at 0.46-0.50 ms a run (500 context switches in 300 runs:
 * the worker and the caller on one CPU), the others at 0.065; with yields
 * after 2 us all 8 at 0.063-0.072 (20 us: 0.10 in half of them). In the
 * models no difference: resnet50 at 2 threads, 10 interleaved rounds under
 * quiet-run, median 25.1 ms against 25.5 without. */
#define OR_POOL_YIELD_NS 2000

/* ---- the pool (interp/ creates one per session) ---- */

/* Starts workers-1 threads (the caller is the first worker); NULL if
 * workers <= 1 or no thread can be had (then loops run serially). */
or_pool *or_pool_create(int workers);
/* Stops and joins the workers; accepts NULL. */
void or_pool_free(or_pool *p);

/* ---- splitting a loop ---- */

/* Whether a loop of `work` (in the unit of `min`, one of the thresholds
 * above) is worth splitting over k's threads: k has more than one thread
 * and work >= min, or k->split_all is set (tests: every loop splits, so
 * small cases exercise the threaded paths). k may be NULL (no). */
bool or_par_worth(const or_kernel *k, double work, double min);

/* Calls fn(ctx, begin, end) over [0, n) split in up to k->threads contiguous
 * chunks, in parallel on the session's workers (serially when the kernel
 * has no pool); returns when all are done. Allocates nothing. */
void or_parallel_for(const or_kernel *k, int64_t n, void (*fn)(void *ctx, int64_t begin, int64_t end),
                     void *ctx);

/* or_parallel_for(k, n, fn, ctx), or fn(ctx, 0, n) directly when work
 * (elements touched) is below OR_PAR_MIN_WORK. */
void or_parallel_for_work(const or_kernel *k, int64_t n, double work,
                          void (*fn)(void *ctx, int64_t begin, int64_t end), void *ctx);

/* Static splits, where a thread should get the same part of each layer (the
 * output positions it wrote in the one before): the first of n items that
 * part t (0 <= t <= parts; parts: the end) takes when the items, in whole
 * units of `unit` (the last one short), go in `parts` contiguous runs that
 * differ by at most one unit. */
static inline int64_t or_part_begin(int64_t n, int64_t unit, int64_t parts, int64_t t)
{
    int64_t units = (n + unit - 1) / unit, b = t * units / parts * unit;
    return b < n ? b : n;
}

/* A dynamic split: one worker per thread takes chunks of [0, n) (about four
 * per thread) from a shared counter until none are left, calling
 * fn(ctx, begin, end, part) with part = the worker (0 .. threads - 1, for
 * per-thread buffers; a worker's calls come in order). A worker the OS
 * deschedules then holds up only its current chunk, not a fixed share of
 * the loop. Runs fn(ctx, 0, n, 0) on the calling thread when work is below
 * OR_PAR_MIN_WORK or there is one thread. Returns the number of workers
 * used (parts of per-thread state the caller needs). */
typedef void (*or_dyn_fn)(void *ctx, int64_t begin, int64_t end, int part);
int or_parallel_dyn(const or_kernel *k, int64_t n, double work, or_dyn_fn fn, void *ctx);

/* Contiguous runs with stealing, for loops whose thread t should take the
 * t-th run of items (the output positions it wrote in the layer before)
 * and where the cores may run at different speeds (a virtual CPU shares
 * its core with another guest's: on the 2-vCPU test machine one core ran
 * resnet50 at 42 ms, the other at 55): [0, n) in chunks of `chunk` items,
 * the chunks in one contiguous run per thread; each worker calls
 * fn(ctx, begin, end, part) on its own run's chunks from the front, then
 * takes chunks from the back of the others' runs until none are left.
 * part is the worker (for per-thread buffers). Serial, fn(ctx, 0, n, 0),
 * below OR_PAR_MIN_WORK or with one thread. Allocates nothing. */
#define OR_STEAL_PARTS 64 /* threads beyond this many take no runs */
/* Chunks per thread a stealing loop aims for: enough that a thread twice
 * as fast as another ends up with about its share (a run of 4 chunks loses
 * its last quarter to the slower core). */
#define OR_STEAL_CHUNKS 8
void or_parallel_steal(const or_kernel *k, int64_t n, int64_t chunk, double work, or_dyn_fn fn,
                       void *ctx);

#endif /* OR_PARALLEL_H */
