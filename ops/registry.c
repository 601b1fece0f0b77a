/*
 * registry.c - gathers the op family tables into one registry and resolves
 * (domain, op type, opset) to an entry: the largest `since` not above the
 * model's opset. Adding a family: define its table with OR_OP_TABLE in its
 * own file and list it in FAMILIES below.
 */
#include <string.h>

#include "op.h"

#define FAMILIES(X) \
    X(activation) X(constant) X(conv) X(dense) X(elementwise) X(movement) \
    X(norm) X(pool) X(reduce) X(shape)

#define DECLARE(f) extern const or_op_def or_ops_##f[]; extern const size_t or_ops_##f##_count;
FAMILIES(DECLARE)
#undef DECLARE

typedef struct family {
    const or_op_def *defs;
    const size_t *count;
} family;

#define ENTRY(f) { or_ops_##f, &or_ops_##f##_count },
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
