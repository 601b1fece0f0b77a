/*
 * weights.c - a weight held once: when every kernel that reads an
 * initializer keeps it packed (the model's shared form, ops/packs.c), the
 * model's copy of the file bytes is released.
 *
 * The model file is read into memory (loader/load.c); an initializer is
 * used there in place or copied out (when unaligned). The whole pages of
 * its bytes, wherever they are, are released (madvise) when:
 *   - the planning session's kernels hold it packed at every step that
 *     reads it (k->packed_in), so this session never reads it again;
 *   - no session's plan reads it as it is (raw_users: counted at the end
 *     of each plan, for the weights its steps read unpacked or fold);
 *   - no other session is planning at that moment (it may be about to
 *     read it);
 *   - its bytes come from a file the model can read again (not a buffer),
 *     and span at least RELEASE_MIN.
 * A float16 / bfloat16 weight is held widened to float32 (api.c): that
 * copy is what is released, and it is made again from the half bytes
 * (which stay) when wanted.
 * The step that reads a weight last releases it right after its infer, so
 * the peak during session creation is the file plus what was packed so far,
 * less what was already released.
 *
 * A weight released and wanted again (a session with another thread count
 * or input shape asks for a form the model has not made, a kernel that
 * reads it unpacked, a fold) is read back from the file at its offset and
 * checked against the hash taken when it was released; a file that changed
 * since loading fails that session's planning with a message saying so.
 * The forms of a released weight are its only copy: the store keeps them
 * while nobody uses them (released_input).
 * Locks: w->mu is innermost (the store's lock may be held when it is taken).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interp.h"

#define RELEASE_MIN ((size_t)64 << 10) /* smaller weights stay: not worth a mapping split */

typedef struct released {
    bool on;
    int map;                  /* index in the model's maps: the file it is read back from;
                               * -1: the widened float32 copy of a half weight, made again
                               * from the half bytes (which stay) */
    uint64_t off;             /* file offset of lo */
    uint8_t *lo;              /* whole pages [lo, lo + len) were released */
    size_t len;
    uint64_t hash;            /* of those bytes before release */
} released;

typedef struct or_weights {
    pthread_mutex_t mu;
    int planning;             /* sessions between or_weights_plan_begin and _end */
    size_t n;                 /* initializers */
    int *raw_users;           /* [n] sessions whose plan reads the original */
    released *rel;            /* [n] */
    uint64_t released_bytes;
} or_weights;

/* or_packs_keep_fn: whether the initializer feeding that node input is
 * released (its packed forms are its only copy). */
static bool released_input(void *ctx, size_t node, size_t input)
{
    const onnxrun_model *h = ctx;
    const or_graph *g = &h->m.graph;
    size_t id;
    if (node >= g->n_nodes || input >= g->nodes[node].n_inputs ||
        !or_names_get(&h->names, g->nodes[node].inputs[input], &id) || h->value_init[id] < 0)
        return false;
    or_weights *w = h->weights;
    pthread_mutex_lock(&w->mu);
    bool on = w->rel[h->value_init[id]].on;
    pthread_mutex_unlock(&w->mu);
    return on;
}

or_status or_weights_new(onnxrun_model *h)
{
    size_t n = h->m.graph.n_inits;
    or_weights *w = calloc(1, sizeof *w);
    if (w) {
        w->n = n;
        w->raw_users = calloc(n + 1, sizeof *w->raw_users);
        w->rel = calloc(n + 1, sizeof *w->rel);
    }
    if (!w || !w->raw_users || !w->rel || pthread_mutex_init(&w->mu, NULL)) {
        if (w) {
            free(w->raw_users);
            free(w->rel);
            free(w);
        }
        return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
    }
    h->weights = w;
    h->packs = or_packs_new(released_input, h);
    if (!h->packs) return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
    return ONNXRUN_OK;
}

void or_weights_free(onnxrun_model *h)
{
    or_weights *w = h->weights;
    or_packs_free(h->packs);
    h->packs = NULL;
    if (!w) return;
    pthread_mutex_destroy(&w->mu);
    free(w->raw_users);
    free(w->rel);
    free(w);
    h->weights = NULL;
}

uint64_t or_weights_released(const onnxrun_model *h)
{
    or_weights *w = h->weights;
    if (!w) return 0;
    pthread_mutex_lock(&w->mu);
    uint64_t b = w->released_bytes;
    pthread_mutex_unlock(&w->mu);
    return b;
}

/* 64-bit hash of len bytes (a multiple of 32), four lanes. */
static uint64_t hash_bytes(const uint8_t *p, size_t len)
{
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    uint64_t h[4] = { 1, 2, 3, 4 };
    for (size_t i = 0; i + 32 <= len; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t v;
            memcpy(&v, p + i + 8 * (size_t)l, sizeof v);
            h[l] = (h[l] ^ v) * m;
            h[l] ^= h[l] >> 29;
        }
    return (h[0] * 31 + h[1]) * 31 + h[2] * 7 + h[3] + len;
}

/* The range of initializer `init` a release would drop into *r (not
 * released yet), or false when it cannot be released (see the top). */
static bool releasable(const onnxrun_model *h, size_t init, released *r)
{
    const or_init *in = &h->m.graph.inits[init];
    const or_tensor *wide = h->wide_inits && h->wide_inits[init].data ? &h->wide_inits[init] : NULL;
    if (!in->t.data || (!wide && !in->src)) return false;
    /* the bytes kernels read: the widened copy, else the initializer's own */
    const uint8_t *d = wide ? wide->data : in->t.data, *src = in->src;
    size_t bytes = or_nbytes(wide ? wide : &in->t);
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0) return false;
    int map = -1;
    for (size_t i = 0; !wide && i < h->m.n_maps; i++) {
        const or_map *mp = &h->m.maps[i];
        if (src >= (const uint8_t *)mp->addr && bytes <= mp->len &&
            (size_t)(src - (const uint8_t *)mp->addr) <= mp->len - bytes)
            map = (int)i;
    }
    if (!wide && (map < 0 || !h->m.maps[map].path)) return false;
    uintptr_t lo = ((uintptr_t)d + (uintptr_t)ps - 1) / (uintptr_t)ps * (uintptr_t)ps;
    uintptr_t hi = ((uintptr_t)d + bytes) / (uintptr_t)ps * (uintptr_t)ps;
    if (hi <= lo || hi - lo < RELEASE_MIN) return false;
    /* the file offset of lo: the tensor's bytes start at src in the map
     * (data may be a copy of them) */
    uint64_t off = wide ? 0 : (uint64_t)(src - (const uint8_t *)h->m.maps[map].addr) + (uint64_t)(lo - (uintptr_t)d);
    *r = (released){ false, map, off, (uint8_t *)lo, hi - lo, 0 };
    return true;
}

/* Releases the pages of initializer `init` if it can be (see the top).
 * Lock held. */
static void release(onnxrun_session *s, size_t init)
{
    const onnxrun_model *h = s->model;
    or_weights *w = h->weights;
    released r;
    if (w->rel[init].on || w->raw_users[init] || w->planning != 1 || s->sizing || !releasable(h, init, &r))
        return;
    if (r.map >= 0) r.hash = hash_bytes(r.lo, r.len);
    /* no huge page may fold the range back in later (khugepaged fills the
     * holes of a range it collapses) */
    madvise(r.lo, r.len, MADV_NOHUGEPAGE);
    if (madvise(r.lo, r.len, MADV_DONTNEED) != 0) return;
    r.on = true;
    w->rel[init] = r;
    w->released_bytes += r.len;
}

uint64_t or_weights_held(const onnxrun_session *s)
{
    const onnxrun_model *h = s->model;
    or_weights *w = h->weights;
    uint64_t held = h->m.weight_bytes;
    for (size_t i = 0; h->wide_inits && i < h->m.graph.n_inits; i++) /* widened halves */
        if (h->wide_inits[i].data) held += or_nbytes(&h->wide_inits[i]);
    pthread_mutex_lock(&w->mu);
    held -= w->released_bytes;
    for (size_t v = 0; v < s->n_values; v++) {
        int init = h->value_init[v];
        released r;
        if (init >= 0 && s->last_use[v] >= 0 && !s->raw_now[init] && !w->rel[init].on &&
            !w->raw_users[init] && releasable(h, (size_t)init, &r))
            held -= r.len;
    }
    pthread_mutex_unlock(&w->mu);
    return held;
}

/* Reads released initializer `init` back from its file. Lock held.
 * On failure writes the message into s->fetch_err. */
static or_status restore(onnxrun_session *s, size_t init)
{
    const onnxrun_model *h = s->model;
    or_weights *w = h->weights;
    released *r = &w->rel[init];
    const char *name = h->m.graph.inits[init].name;
    if (r->map < 0) { /* widen the half bytes again */
        const or_tensor *t = &h->m.graph.inits[init].t;
        or_halves_to_float(t->dtype, t->data, h->wide_inits[init].data, or_numel(t));
        r->on = false;
        w->released_bytes -= r->len;
        return ONNXRUN_OK;
    }
    const or_map *mp = &h->m.maps[r->map];
    off_t off = (off_t)r->off;
    int fd = open(mp->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return or_errf(s->fetch_err, ONNXRUN_E_IO,
                       "%s: weight '%s' was released from memory once packed and is needed again, but "
                       "'%s' cannot be opened: %s", h->m.path, name, mp->path, strerror(errno));
    size_t got = 0;
    while (got < r->len) {
        ssize_t n = pread(fd, r->lo + got, r->len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (got < r->len || hash_bytes(r->lo, r->len) != r->hash)
        return or_errf(s->fetch_err, ONNXRUN_E_IO,
                       "%s: weight '%s' was released from memory once packed and is needed again, but "
                       "'%s' changed since the model was loaded; load the model again",
                       h->m.path, name, mp->path);
    r->on = false;
    w->released_bytes -= r->len;
    return ONNXRUN_OK;
}

/* The step whose kernel is k. */
static or_step *step_of(or_kernel *k)
{
    return (or_step *)(void *)((char *)k - offsetof(or_step, k));
}

/* or_kernel.fetch: brings back a released weight an infer reads. */
static or_status fetch(or_kernel *k, size_t i)
{
    onnxrun_session *s = k->fetch_ctx;
    const or_step *st = step_of(k);
    int v = i < k->n_in ? st->in_ids[i] : -1;
    if (v < 0 || s->values[v].kind != OR_V_WEIGHT) return ONNXRUN_OK;
    size_t init = (size_t)s->model->value_init[v];
    or_weights *w = s->model->weights;
    pthread_mutex_lock(&w->mu);
    or_status r = w->rel[init].on ? restore(s, init) : ONNXRUN_OK;
    pthread_mutex_unlock(&w->mu);
    if (r) k->known_err = r;
    return r;
}

or_status or_weights_session(onnxrun_session *s)
{
    const onnxrun_model *h = s->model;
    size_t n = h->m.graph.n_inits;
    s->raw_now = calloc(n + 1, sizeof *s->raw_now);
    s->raw_held = calloc(n + 1, sizeof *s->raw_held);
    s->last_use = malloc((s->n_values + 1) * sizeof *s->last_use);
    if (!s->raw_now || !s->raw_held || !s->last_use) return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
    for (size_t v = 0; v < s->n_values; v++) s->last_use[v] = -1;
    for (size_t i = 0; i < s->n_steps; i++) {
        or_step *st = &s->steps[i];
        unsigned shared = 0;
        for (size_t j = 0; j < st->k.n_in; j++) {
            int v = st->in_ids[j];
            if (v < 0) continue;
            s->last_use[v] = (int)i;
            if (j < 32 && h->value_init[v] >= 0) shared |= 1u << j;
        }
        st->k.packs = h->packs;
        st->k.shared_in = shared;
        st->k.fetch = fetch;
        st->k.fetch_ctx = s;
    }
    return ONNXRUN_OK;
}

void or_weights_session_free(onnxrun_session *s)
{
    or_weights *w = s->model ? s->model->weights : NULL;
    if (w && s->raw_held) {
        pthread_mutex_lock(&w->mu);
        for (size_t i = 0; i < w->n; i++)
            if (s->raw_held[i]) w->raw_users[i]--;
        pthread_mutex_unlock(&w->mu);
    }
    free(s->raw_now);
    free(s->raw_held);
    free(s->last_use);
    s->raw_now = s->raw_held = NULL;
    s->last_use = NULL;
}

void or_weights_plan_begin(onnxrun_session *s)
{
    or_weights *w = s->model->weights;
    pthread_mutex_lock(&w->mu);
    w->planning++;
    pthread_mutex_unlock(&w->mu);
}

void or_weights_plan_reset(onnxrun_session *s)
{
    memset(s->raw_now, 0, s->model->m.graph.n_inits * sizeof *s->raw_now);
}

or_status or_weights_step(onnxrun_session *s, size_t i)
{
    const onnxrun_model *h = s->model;
    or_weights *w = h->weights;
    or_step *st = &s->steps[i];
    or_kernel *k = &st->k;
    or_status r = ONNXRUN_OK;
    for (size_t j = 0; j < k->n_in && !r; j++) {
        int v = st->in_ids[j];
        if (v < 0 || s->values[v].kind != OR_V_WEIGHT) continue;
        size_t init = (size_t)h->value_init[v];
        bool packed = j < 32 && (k->packed_in >> j & 1);
        if (!packed) s->raw_now[init] = true;
        pthread_mutex_lock(&w->mu);
        if (!packed && w->rel[init].on) {
            r = restore(s, init);
            if (r) memcpy(s->err, s->fetch_err, sizeof s->err);
        } else if (packed && s->last_use[v] == (int)i && !s->raw_now[init]) {
            release(s, init);
        }
        pthread_mutex_unlock(&w->mu);
    }
    return r;
}

void or_weights_plan_end(onnxrun_session *s, bool ok)
{
    const onnxrun_model *h = s->model;
    or_weights *w = h->weights;
    size_t n = h->m.graph.n_inits;
    pthread_mutex_lock(&w->mu);
    if (ok)
        for (size_t i = 0; i < n; i++) {
            w->raw_users[i] += (int)s->raw_now[i] - (int)s->raw_held[i];
            s->raw_held[i] = s->raw_now[i];
        }
    /* the weights left while other sessions planned, now that none does */
    for (size_t v = 0; ok && w->planning == 1 && v < s->n_values; v++) {
        int init = h->value_init[v];
        if (init >= 0 && s->last_use[v] >= 0 && !s->raw_now[init]) release(s, (size_t)init);
    }
    w->planning--;
    pthread_mutex_unlock(&w->mu);
}
