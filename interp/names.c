/*
 * names.c - a string -> index map (open addressing, FNV-1a), used to
 * resolve tensor names to value ids. Keys are borrowed, not copied.
 */
#include <stdlib.h>
#include <string.h>

#include "interp.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

or_status or_names_init(or_names *n, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2 + 1) {
        if (cap > SIZE_MAX / 4) return ONNXRUN_E_LIMIT;
        cap *= 2;
    }
    memset(n, 0, sizeof *n);
    n->keys = calloc(cap, sizeof *n->keys);
    n->vals = calloc(cap, sizeof *n->vals);
    if (!n->keys || !n->vals) {
        or_names_free(n);
        return ONNXRUN_E_NOMEM;
    }
    n->cap = cap;
    return ONNXRUN_OK;
}

void or_names_free(or_names *n)
{
    if (!n) return;
    free(n->keys);
    free(n->vals);
    memset(n, 0, sizeof *n);
}

static size_t slot(const or_names *n, const char *key)
{
    size_t i = (size_t)hash(key) & (n->cap - 1);
    while (n->keys[i] && strcmp(n->keys[i], key) != 0) i = (i + 1) & (n->cap - 1);
    return i;
}

or_status or_names_put(or_names *n, const char *key, size_t val, bool *existing)
{
    if (n->count * 2 + 2 > n->cap) { /* grow */
        or_names bigger;
        or_status st = or_names_init(&bigger, n->count * 2 + 2);
        if (st) return st;
        for (size_t i = 0; i < n->cap; i++)
            if (n->keys[i]) {
                size_t j = slot(&bigger, n->keys[i]);
                bigger.keys[j] = n->keys[i];
                bigger.vals[j] = n->vals[i];
            }
        bigger.count = n->count;
        or_names_free(n);
        *n = bigger;
    }
    size_t i = slot(n, key);
    *existing = n->keys[i] != NULL;
    if (!*existing) {
        n->keys[i] = key;
        n->vals[i] = val;
        n->count++;
    }
    return ONNXRUN_OK;
}

bool or_names_get(const or_names *n, const char *key, size_t *val)
{
    if (!n->cap) return false;
    size_t i = slot(n, key);
    if (!n->keys[i]) return false;
    *val = n->vals[i];
    return true;
}
