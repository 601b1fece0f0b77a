/*
 * registry.c - gathers the op family tables into one registry and resolves
 * (domain, op type, opset) to an entry: the largest `since` not above the
 * model's opset. Adding a family: define its table with OR_OP_TABLE in its
 * own file, list it in FAMILIES below and its names in ops/variant.h.
 *
 * Every family exists twice (ops/variant.h): the baseline compile, which
 * lookups return, and the AVX2 compile (or_ops_<family>_avx2), entry for
 * entry the same table; or_op_variant moves an entry between the two.
 */
#include <stdint.h>
#include <string.h>

#include "isa.h"
#include "op.h"

#define FAMILIES(X) \
    X(activation) X(constant) X(conv) X(dense) X(elementwise) X(indexing) X(loss) X(movement) \
    X(norm) X(optim) X(pool) X(quant) X(reduce) X(resize) X(rnn) X(select) X(signal) X(shape)

#define DECLARE(f) extern const or_op_def or_ops_##f[], or_ops_##f##_avx2[]; \
    extern const size_t or_ops_##f##_count, or_ops_##f##_count_avx2;
FAMILIES(DECLARE)
#undef DECLARE

typedef struct family {
    const or_op_def *defs, *defs_avx2;
    const size_t *count, *count_avx2;
} family;

#define ENTRY(f) { or_ops_##f, or_ops_##f##_avx2, &or_ops_##f##_count, &or_ops_##f##_count_avx2 },
static const family families[] = { FAMILIES(ENTRY) };
#undef ENTRY

static bool same_op(const or_op_def *d, const char *domain, const char *op_type)
{
    return strcmp(d->op_type, op_type) == 0 && strcmp(d->domain, domain) == 0;
}

const or_op_def *or_op_find(const char *domain, const char *op_type, int64_t opset)
{
    const or_op_def *best = NULL;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (size_t i = 0; i < *families[f].count; i++) {
            const or_op_def *d = &families[f].defs[i];
            if (same_op(d, domain, op_type) && d->since <= opset && (!best || d->since > best->since))
                best = d;
        }
    return best;
}

bool or_op_known(const char *domain, const char *op_type)
{
    return or_op_find(domain, op_type, INT64_MAX) != NULL;
}

size_t or_op_count(void)
{
    size_t n = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) n += *families[f].count;
    return n;
}

const or_op_def *or_op_at(size_t i)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        if (i < *families[f].count) return &families[f].defs[i];
        i -= *families[f].count;
    }
    return NULL;
}

const or_op_def *or_op_variant(const or_op_def *def, onnxrun_isa isa)
{
    bool avx2 = or_isa_of(isa) >= ONNXRUN_ISA_AVX2;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        const family *fa = &families[f];
        size_t n = *fa->count;
        /* the two compiles of one table hold the same entries */
        if (n != *fa->count_avx2) return def;
        uintptr_t d = (uintptr_t)def, b = (uintptr_t)fa->defs, v = (uintptr_t)fa->defs_avx2;
        size_t bytes = n * sizeof *def;
        size_t at = d - b < bytes ? (d - b) / sizeof *def : d - v < bytes ? (d - v) / sizeof *def : n;
        if (at < n) return (avx2 ? fa->defs_avx2 : fa->defs) + at;
    }
    return def; /* not a registry entry (a test's own) */
}
