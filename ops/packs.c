/*
 * packs.c - the weights kernels keep transformed (packed GEMM panels,
 * Winograd U), held by the model and shared by its sessions.
 *
 * A store (or_packs) belongs to one model. An entry is one form of one
 * weight: the node and input it feeds, and a key the kernel makes of
 * everything its layout depends on (algorithm, tile, panel rows, the
 * kernels' ISA, sizes). The first session that asks for a form fills it,
 * under the store's lock (later sessions asking for the same form wait and
 * then share it; packing uses the asking session's threads); each kernel
 * holds one reference (k->pack). An entry nobody references is freed,
 * unless the interpreter says the weight's original is no longer in memory
 * (the store's keep function): then its forms are the weight's only copy
 * and stay until the model is freed or the original comes back.
 * Locks: the store's lock is taken first; fill and keep may take the
 * interpreter's (interp/weights.c), which never takes the store's.
 *
 * Weights that are not the same for every session (a folded constant, a
 * kernel made by a test without a store) get a private entry of their own.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

struct or_pack {
    or_packs *store;            /* NULL: private to one kernel */
    or_pack *next;              /* in the store's list */
    size_t node, input;
    int64_t key[OR_PACK_KEY];
    const char *form;           /* static: "winograd 4x4", "gemm panels", ... */
    float *data;
    size_t floats;
    int refs;
};

struct or_packs {
    pthread_mutex_t mu;
    or_pack *head;
    uint64_t bytes;             /* of every entry in the list */
    or_packs_keep_fn keep;      /* may be NULL */
    void *keep_ctx;
};

or_packs *or_packs_new(or_packs_keep_fn keep, void *ctx)
{
    or_packs *s = calloc(1, sizeof *s);
    if (s && pthread_mutex_init(&s->mu, NULL)) {
        free(s);
        return NULL;
    }
    if (s) {
        s->keep = keep;
        s->keep_ctx = ctx;
    }
    return s;
}

static void entry_free(or_pack *e)
{
    free(e->data);
    free(e);
}

void or_packs_free(or_packs *s)
{
    if (!s) return;
    for (or_pack *e = s->head, *n; e; e = n) {
        n = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Unlinks and frees e (lock held). */
static void unlink_entry(or_packs *s, or_pack *e)
{
    for (or_pack **p = &s->head; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    s->bytes -= (uint64_t)e->floats * sizeof(float);
    entry_free(e);
}

/* Whether an unused entry stays: its weight exists nowhere else (lock held). */
static bool kept(const or_packs *s, const or_pack *e)
{
    return s->keep && s->keep(s->keep_ctx, e->node, e->input);
}

/* Drops one reference to e; frees it at zero unless kept. */
static void unref(or_pack *e)
{
    if (!e) return;
    or_packs *s = e->store;
    if (!s) {
        entry_free(e);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (--e->refs == 0 && !kept(s, e)) unlink_entry(s, e);
    pthread_mutex_unlock(&s->mu);
}

void or_pack_drop(or_kernel *k)
{
    unref(k->pack);
    k->pack = NULL;
}

static bool same(const or_pack *e, size_t node, size_t input, const char *form, const int64_t *key,
                 size_t floats)
{
    return e->node == node && e->input == input && e->floats == floats && !strcmp(e->form, form) &&
           !memcmp(e->key, key, sizeof e->key);
}

/* A new entry with its data filled by fill, or NULL (message in k). */
static or_pack *make(or_kernel *k, size_t i, const char *form, const int64_t *key, size_t floats,
                     or_pack_fill fill, or_status *st)
{
    or_pack *e = calloc(1, sizeof *e);
    float *data = e ? or_alloc_large((floats ? floats : 1) * sizeof(float)) : NULL;
    if (!data) {
        free(e);
        *st = or_fail(k, ONNXRUN_E_NOMEM, "out of memory for %zu bytes of packed weights (%s)",
                      floats * sizeof(float), form);
        return NULL;
    }
    *e = (or_pack){ .node = k->node ? k->node->index : 0, .input = i, .form = form, .data = data,
                    .floats = floats, .refs = 1 };
    memcpy(e->key, key, sizeof e->key);
    *st = fill(k, data);
    if (*st) {
        entry_free(e);
        return NULL;
    }
    return e;
}

or_status or_pack_get(or_kernel *k, size_t i, const char *form, const int64_t key[OR_PACK_KEY],
                      size_t floats, or_pack_fill fill, const float **data)
{
    *data = NULL;
    if (floats > SIZE_MAX / sizeof(float))
        return or_fail(k, ONNXRUN_E_LIMIT, "packed weights of %zu floats overflow", floats);
    if (k->sizing) {
        if (i < 32) k->packed_in |= 1u << i;
        k->packed_bytes = floats * sizeof(float);
        return ONNXRUN_OK;
    }
    or_packs *s = i < 32 && (k->shared_in >> i & 1) ? k->packs : NULL;
    size_t node = k->node ? k->node->index : 0;
    or_pack *e = NULL;
    or_status st = ONNXRUN_OK;
    if (s) {
        pthread_mutex_lock(&s->mu);
        /* unused forms kept while their weight's original was gone: free
         * the ones whose original is back */
        for (or_pack *o = s->head, *n; o; o = n) {
            n = o->next;
            if (o->refs == 0 && !kept(s, o)) unlink_entry(s, o);
        }
        for (e = s->head; e && !same(e, node, i, form, key, floats); e = e->next) {}
        if (e) {
            e->refs++;
        } else if ((e = make(k, i, form, key, floats, fill, &st))) {
            e->store = s;
            e->next = s->head;
            s->head = e;
            s->bytes += (uint64_t)floats * sizeof(float);
        }
        pthread_mutex_unlock(&s->mu);
    } else {
        e = make(k, i, form, key, floats, fill, &st);
    }
    if (!e) return st;
    or_pack_drop(k); /* after taking the new one: the same entry is never refilled */
    k->pack = e;
    if (i < 32) k->packed_in |= 1u << i;
    k->packed_bytes = floats * sizeof(float);
    *data = e->data;
    return ONNXRUN_OK;
}

uint64_t or_packs_bytes(or_packs *s)
{
    if (!s) return 0;
    pthread_mutex_lock(&s->mu);
    uint64_t b = s->bytes;
    pthread_mutex_unlock(&s->mu);
    return b;
}
