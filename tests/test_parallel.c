/*
 * test_parallel.c - the loop splits of ops/parallel.h on a real pool:
 * every item of a stealing loop and of a dynamic loop is visited exactly
 * once, in chunks of the requested size, by workers numbered below the
 * thread count; a slow worker's run is taken over from its back by the
 * others (stealing happens, without relying on timing); and the static
 * split or_part_begin covers [0, n) in whole units with parts at most one
 * unit apart.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "ops/op.h"
#include "ops/parallel.h"

#define MAX_ITEMS 5000

typedef struct visit {
    atomic_int seen[MAX_ITEMS];  /* visits per item */
    atomic_int bad;              /* calls breaking the contract */
    atomic_int by_part[8];       /* items done per worker */
    int64_t n, chunk;
    int parts;
    /* the stall test: worker 0 waits in its first chunk until worker 1
     * has done `wait_for` items */
    int wait_for;
    atomic_int timed_out;
} visit;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mark(visit *v, int64_t b, int64_t e, int part)
{
    if (b < 0 || e > v->n || b >= e || part < 0 || part >= v->parts) {
        atomic_fetch_add(&v->bad, 1);
        return;
    }
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&v->seen[i], 1);
    atomic_fetch_add(&v->by_part[part], (int)(e - b));
}

static void steal_fn(void *ctx, int64_t b, int64_t e, int part)
{
    visit *v = ctx;
    /* a chunk starts on a chunk boundary and holds at most chunk items
     * (the serial fallback calls once with everything) */
    if (v->parts > 1 && (b % v->chunk != 0 || e - b > v->chunk)) atomic_fetch_add(&v->bad, 1);
    if (v->wait_for && part == 0 && b == 0) {
        int64_t t0 = now_ms();
        while (atomic_load(&v->by_part[1]) < v->wait_for) {
            if (now_ms() - t0 > 20000) {
                atomic_store(&v->timed_out, 1);
                break;
            }
            sched_yield();
        }
    }
    mark(v, b, e, part);
}

static void check_once(visit *v)
{
    assert_int_equal(atomic_load(&v->bad), 0);
    for (int64_t i = 0; i < v->n; i++) assert_int_equal(atomic_load(&v->seen[i]), 1);
    int64_t total = 0;
    for (int t = 0; t < 8; t++) total += atomic_load(&v->by_part[t]);
    assert_int_equal(total, v->n);
}

static or_kernel kernel_with(int threads)
{
    or_kernel k = { .threads = threads, .split_all = true,
                    .pool = threads > 1 ? or_pool_create(threads) : NULL };
    if (threads > 1) assert_non_null(k.pool);
    return k;
}

static void test_steal_covers(void **state)
{
    (void)state;
    static visit v;
    uint32_t rng = 7;
    for (int threads = 1; threads <= 4; threads++) {
        or_kernel k = kernel_with(threads);
        for (int trial = 0; trial < 60; trial++) {
            rng = rng * 1664525u + 1013904223u;
            int64_t n = (rng >> 8) % MAX_ITEMS; /* 0 included */
            rng = rng * 1664525u + 1013904223u;
            int64_t chunk = 1 + (rng >> 8) % (trial % 3 == 0 ? 3 : 200);
            v = (visit){ .n = n, .chunk = chunk, .parts = threads };
            or_parallel_steal(&k, n, chunk, 1e9, steal_fn, &v);
            check_once(&v);
        }
        or_pool_free(k.pool);
    }
}

/* Worker 0 stalls in its first chunk until worker 1 has done its own run
 * and two chunks of worker 0's: the loop completes only if chunks are
 * stolen, and the stolen ones are the back of worker 0's run. */
static void test_steal_takes_over(void **state)
{
    (void)state;
    static visit v;
    or_kernel k = kernel_with(2);
    int64_t n = 1000, chunk = 10; /* runs of 50 chunks: worker 1 owns [500, 1000) */
    v = (visit){ .n = n, .chunk = chunk, .parts = 2, .wait_for = 500 + 2 * 10 };
    or_parallel_steal(&k, n, chunk, 1e9, steal_fn, &v);
    assert_int_equal(atomic_load(&v.timed_out), 0);
    check_once(&v);
    assert_true(atomic_load(&v.by_part[1]) >= 520);
    or_pool_free(k.pool);
}

static void dyn_fn(void *ctx, int64_t b, int64_t e, int part)
{
    mark(ctx, b, e, part);
}

static void test_dyn_covers(void **state)
{
    (void)state;
    static visit v;
    for (int threads = 1; threads <= 3; threads++) {
        or_kernel k = kernel_with(threads);
        for (int64_t n = 0; n < 300; n += 37) {
            v = (visit){ .n = n, .chunk = 1, .parts = threads };
            int used = or_parallel_dyn(&k, n, 1e9, dyn_fn, &v);
            assert_true(used >= 1 && used <= threads);
            check_once(&v);
        }
        or_pool_free(k.pool);
    }
}

static void test_part_begin(void **state)
{
    (void)state;
    for (int64_t n = 0; n < 200; n += 7)
        for (int64_t unit = 1; unit <= 33; unit += 4)
            for (int64_t parts = 1; parts <= 9; parts++) {
                assert_int_equal(or_part_begin(n, unit, parts, 0), 0);
                assert_int_equal(or_part_begin(n, unit, parts, parts), n);
                int64_t lo = INT64_MAX, hi = 0;
                for (int64_t t = 0; t < parts; t++) {
                    int64_t b = or_part_begin(n, unit, parts, t), e = or_part_begin(n, unit, parts, t + 1);
                    assert_true(b <= e);
                    if (e < n) assert_int_equal(e % unit, 0); /* whole units but the last */
                    int64_t units = (e - b + unit - 1) / unit;
                    if (units < lo) lo = units;
                    if (units > hi) hi = units;
                }
                assert_true(hi - lo <= 1);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steal_covers),
        cmocka_unit_test(test_steal_takes_over),
        cmocka_unit_test(test_dyn_covers),
        cmocka_unit_test(test_part_begin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
