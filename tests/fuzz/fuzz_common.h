/*
 * fuzz_common.h - shared bits of the libFuzzer targets of tests/fuzz/:
 * an assert that survives NDEBUG, a read of every byte of a buffer (so ASan
 * sees an out-of-bounds payload), and the sanitizer settings the targets
 * need (large allocations fail with NULL instead of aborting, so that the
 * library's own "out of memory" paths are exercised).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(c) \
    do { if (!(c)) { fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static inline uint8_t fuzz_touch(const void *p, size_t n)
{
    volatile uint8_t acc = 0;
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) acc ^= b[i];
    return acc;
}

/* Allocations above 512 MiB return NULL: a hostile file must then give a
 * clean "out of memory" error, not bring the process down. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=512:allocator_may_return_null=1:detect_leaks=1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
