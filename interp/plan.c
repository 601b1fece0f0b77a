/*
 * plan.c - the memory planner. For the current input shapes it runs every
 * kernel's infer in schedule order, computes nodes whose inputs are all
 * constant once (folding), lets views and in-place ops share their input's
 * buffer, and places every remaining intermediate in one arena by its
 * lifetime (greedy by size, best fit into gaps). Weights are never copied.
 *
 * Shapes that depend on values. A node whose inference needs the data of
 * a graph input (Reshape fed by an input, NonZero of an input) makes the
 * session plan every run with the input data bound. A node whose inference
 * needs the data of a computed value (Range's limit from a ReduceMax, the
 * length of NonZero's output feeding a Slice) marks the steps that compute
 * it, and theirs upstream, eager: when planning with data they run at
 * planning like folded constants, and the plan is retried. Everything
 * else keeps the static plan (arena, fusion) of that run's shapes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

#define ALIGN 64

static size_t align_up(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

/* ---- offsets ---- */

typedef struct placed {
    size_t off, size;
} placed;

static int by_off(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Sorts idx by key, largest first; ties keep idx order (stable insertion
 * sort: n is the number of intermediates, hundreds). */
static void sort_desc(size_t *idx, size_t n, const double *key)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0 && key[v] > key[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

/* Places buffers in the order idx, each at the best-fitting gap among the
 * already placed buffers whose lifetimes overlap its own (the lowest
 * offset above them all if no gap fits). Returns the arena size. */
static size_t place_in_order(size_t n, const size_t *idx, const size_t *sizes, const int *first,
                             const int *last, size_t *offsets, placed *cand)
{
    size_t arena = 0;
    for (size_t a = 0; a < n; a++) {
        size_t i = idx[a], nc = 0;
        for (size_t b = 0; b < a; b++) {
            size_t j = idx[b];
            if (first[j] <= last[i] && first[i] <= last[j] && sizes[j])
                cand[nc++] = (placed){ offsets[j], sizes[j] };
        }
        qsort(cand, nc, sizeof *cand, by_off);
        size_t best = SIZE_MAX, best_gap = SIZE_MAX, cur = 0;
        for (size_t c = 0; c < nc; c++) {
            if (cand[c].off > cur) {
                size_t gap = cand[c].off - cur;
                if (gap >= sizes[i] && gap < best_gap) {
                    best_gap = gap;
                    best = cur;
                }
            }
            if (cand[c].off + cand[c].size > cur) cur = cand[c].off + cand[c].size;
        }
        offsets[i] = best != SIZE_MAX ? best : cur;
        if (offsets[i] + sizes[i] > arena) arena = offsets[i] + sizes[i];
    }
    return arena;
}

enum { ORDERS = 4, SHUFFLES = 16 };

or_status or_plan_offsets(size_t n, const size_t *sizes, const int *first, const int *last,
                          size_t *offsets, size_t *arena, size_t *lower_bound)
{
    size_t *idx = malloc((n + 1) * sizeof *idx), *trial = malloc((n + 1) * sizeof *trial);
    placed *cand = malloc((n + 1) * sizeof *cand);
    double *key = malloc((n + 1) * sizeof *key);
    or_status st = ONNXRUN_OK;
    int max_step = 0;
    *arena = SIZE_MAX;
    *lower_bound = 0;
    if (!idx || !trial || !cand || !key) {
        st = ONNXRUN_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (last[i] > max_step) max_step = last[i];
    /* greedy placement is order-sensitive: try a few orders, keep the best */
    uint64_t rng = 0x9e3779b97f4a7c15ull; /* fixed seed: plans are reproducible */
    for (int order = 0; order < ORDERS + SHUFFLES; order++) {
        for (size_t i = 0; i < n; i++) {
            double life = (double)(last[i] - first[i] + 1), size = (double)sizes[i];
            idx[i] = i;
            key[i] = order == 0 ? size                       /* biggest first */
                   : order == 1 ? size * life                /* largest area first */
                   : order == 2 ? life * 1e15 + size         /* longest-lived first */
                   : order == 3 ? -(double)first[i]          /* in schedule order */
                                : size;                      /* biggest first, ties shuffled */
            if (order >= ORDERS) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                key[i] = size * (1.0 + (double)(rng % 1000) / 4000.0); /* size, jittered 25% */
            }
        }
        sort_desc(idx, n, key);
        size_t a = place_in_order(n, idx, sizes, first, last, trial, cand);
        if (a < *arena) {
            *arena = a;
            memcpy(offsets, trial, n * sizeof *offsets);
        }
    }
    if (n == 0) *arena = 0;
    /* lower bound: the peak over steps of live bytes */
    size_t *delta = calloc((size_t)max_step + 2, sizeof *delta);
    size_t *minus = calloc((size_t)max_step + 2, sizeof *minus);
    if (!delta || !minus) {
        free(delta);
        free(minus);
        st = ONNXRUN_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        delta[first[i]] += sizes[i];
        minus[last[i] + 1] += sizes[i];
    }
    size_t live = 0;
    for (int t = 0; t <= max_step; t++) {
        live += delta[t];
        live -= minus[t];
        if (live > *lower_bound) *lower_bound = live;
    }
    free(delta);
    free(minus);
out:
    free(idx);
    free(trial);
    free(cand);
    free(key);
    return st;
}

/* ---- the plan ---- */

void or_plan_free(onnxrun_session *s)
{
    for (size_t v = 0; s->values && v < s->n_values; v++) {
        free(s->values[v].owned);
        s->values[v].owned = NULL;
    }
    free(s->arena);
    free(s->scratch);
    s->arena = s->scratch = NULL;
    s->arena_bytes = s->scratch_bytes = s->lower_bound = 0;
    s->const_bytes = 0;
    s->planned = false;
}

static void *alloc_aligned(size_t bytes)
{
    return aligned_alloc(ALIGN, align_up(bytes ? bytes : 1));
}

/* Runs one step now, with outputs in owned buffers: its value is constant. */
static or_status fold(onnxrun_session *s, or_step *st)
{
    or_kernel *k = &st->k;
    uint64_t need = s->const_bytes + k->scratch_bytes;
    for (size_t j = 0; j < k->n_out; j++)
        if (st->out_ids[j] >= 0) need += or_nbytes(&s->values[st->out_ids[j]].t);
    if (need > s->max_memory)
        return or_fail(k, ONNXRUN_E_LIMIT,
                       "memory limit: folding this constant takes the plan to %llu bytes, above "
                       "the session's limit of %llu", (unsigned long long)need,
                       (unsigned long long)s->max_memory);
    for (size_t j = 0; j < k->n_out; j++) {
        if (st->out_ids[j] < 0) continue;
        or_value *v = &s->values[st->out_ids[j]];
        size_t bytes = or_nbytes(&v->t);
        v->owned = alloc_aligned(bytes);
        if (!v->owned) return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory folding a constant");
        memset(v->owned, 0, align_up(bytes ? bytes : 1));
        v->t.data = v->owned;
        v->kind = OR_V_CONST;
        s->const_bytes += bytes;
    }
    void *scratch = k->scratch_bytes ? alloc_aligned(k->scratch_bytes) : NULL;
    if (k->scratch_bytes && !scratch) return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
    k->scratch = scratch;
    or_status r = k->def->run(k);
    free(scratch);
    k->scratch = NULL;
    st->folded = true;
    return r;
}

static bool is_known(const or_value *v)
{
    return v->kind == OR_V_WEIGHT || v->kind == OR_V_CONST;
}

/* Marks the step producing value v, and the steps producing its computed
 * inputs in turn, eager. Returns whether any step was newly marked. */
static bool mark_eager(onnxrun_session *s, int v)
{
    /* a step is marked once and then pushes its inputs: at most one entry
     * per step input, plus v */
    size_t cap = 1;
    for (size_t i = 0; i < s->n_steps; i++) cap += s->steps[i].k.n_in;
    int *stack = malloc(cap * sizeof *stack);
    size_t top = 0;
    bool marked = false;
    if (!stack) return false;
    stack[top++] = v;
    while (top > 0) {
        int node = s->model->value_producer[stack[--top]];
        for (size_t i = 0; node >= 0 && i < s->n_steps; i++) {
            or_step *st = &s->steps[i];
            if (st->node != node || st->eager) continue;
            st->eager = marked = true;
            for (size_t j = 0; j < st->k.n_in; j++)
                if (st->in_ids[j] >= 0 && s->values[st->in_ids[j]].kind == OR_V_ARENA)
                    stack[top++] = st->in_ids[j];
        }
    }
    free(stack);
    return marked;
}

static void reset_values(onnxrun_session *s, bool with_data)
{
    const onnxrun_model *h = s->model;
    for (size_t v = 0; v < s->n_values; v++) {
        or_value *x = &s->values[v];
        x->root = (int)v;
        x->root_off = 0;
        x->first = x->last = -1;
        x->offset = x->bytes = 0;
        if (h->value_init[v] >= 0) {
            x->kind = OR_V_WEIGHT;
            x->t = h->m.graph.inits[h->value_init[v]].t;
            if (h->wide_inits && h->wide_inits[h->value_init[v]].data) x->t = h->wide_inits[h->value_init[v]];
        } else if (h->value_input[v] >= 0) {
            x->kind = OR_V_INPUT; /* shape set by the caller of or_plan */
            if (!with_data) x->t.data = NULL;
        } else {
            int p = h->value_producer[v];
            x->kind = p >= 0 && h->defs[p] ? OR_V_ARENA : OR_V_UNUSED;
            memset(&x->t, 0, sizeof x->t);
        }
    }
}

/* Shape inference and folding over the schedule. Sets *retry when a
 * failed inference marked new eager steps (planning with data again can
 * then get further). */
static or_status infer_all(onnxrun_session *s, bool with_data, bool *retry)
{
    uint64_t macs = 0; /* of every step so far, folded ones too: checked before any runs */
    for (size_t i = 0; i < s->n_steps; i++) {
        or_step *st = &s->steps[i];
        or_kernel *k = &st->k;
        st->folded = st->skip = st->fused = false;
        memset(&k->post, 0, sizeof k->post);
        k->known_used = 0;
        k->scratch_bytes = 0;
        k->packed_bytes = 0;
        k->packed_in = 0;
        k->known_err = ONNXRUN_OK;
        bool all_known = true;
        for (size_t j = 0; j < k->n_in; j++) {
            const or_value *v = st->in_ids[j] >= 0 ? &s->values[st->in_ids[j]] : NULL;
            if (v && !is_known(v) && !(st->eager && with_data && v->kind == OR_V_INPUT)) all_known = false;
        }
        k->sizing = s->sizing && !all_known; /* a folded step runs: its forms are made */
        or_status r = k->def->infer(k);
        if (k->known_err) { /* a released weight could not be read back */
            memcpy(s->err, s->fetch_err, sizeof s->err);
            return k->known_err;
        }
        if (!k->packed_in) or_pack_drop(k);
        if (r != ONNXRUN_OK) {
            for (size_t j = 0; j < k->n_in && j < 32; j++) {
                const or_value *v = st->in_ids[j] >= 0 ? &s->values[st->in_ids[j]] : NULL;
                if (!(k->known_used >> j & 1) || !v || v->t.data) continue;
                if (v->kind == OR_V_INPUT || v->kind == OR_V_ARENA) s->plan_needs_data = true;
                if (v->kind == OR_V_ARENA && mark_eager(s, st->in_ids[j])) *retry = with_data;
            }
            return r;
        }
        uint64_t m = k->def->macs ? k->def->macs(k) : 0;
        if (__builtin_add_overflow(macs, m, &macs) || macs > s->max_macs)
            return or_fail(k, ONNXRUN_E_LIMIT,
                           "compute limit: the plan needs more than %llu multiply-adds per run (this node %llu), "
                           "above the session's limit", (unsigned long long)s->max_macs, (unsigned long long)m);
        if ((r = or_weights_step(s, i))) return r;
        const char *op = k->node->op_type;
        bool shape_only = !strcmp(k->node->domain, "") && (!strcmp(op, "Shape") || !strcmp(op, "Size"));
        if (all_known || shape_only) {
            r = fold(s, st);
            if (r) return r;
        }
    }
    return ONNXRUN_OK;
}

/* Moves every value using buffer `from` (a root) into buffer `to` at byte
 * offset `off`, and widens `to`'s lifetime to cover them. */
static void move_group(onnxrun_session *s, int from, int to, size_t off)
{
    or_value *vals = s->values;
    int first = vals[from].first, last = vals[from].last;
    for (size_t v = 0; v < s->n_values; v++)
        if (vals[v].kind == OR_V_ARENA && vals[v].root == from) {
            vals[v].root = to;
            vals[v].root_off += off;
        }
    if (first < vals[to].first) vals[to].first = first;
    if (last > vals[to].last) vals[to].last = last;
}

/* A value that owns exactly its own buffer, not yet shared with anything. */
static bool fresh(const onnxrun_session *s, int v)
{
    const or_value *x = &s->values[v];
    return x->kind == OR_V_ARENA && x->root == v && x->first >= 0;
}

/* Concat along an axis with only 1s before it: each input is a contiguous
 * slice of the output. Visited last step first, so that in DenseNet's
 * blocks (concat(x0, f1), concat(x0, f1, f2), ...) the last concat places
 * every input in its buffer and each earlier concat becomes a prefix view
 * of it: no concat copies anything. Inputs that already lie consecutively
 * in one buffer make the output a view; inputs that each own their buffer
 * move into the output's; anything else is left to the kernel. */
static void concat_slices(onnxrun_session *s, or_step *st)
{
    const or_node *n = st->k.node;
    or_value *vals = s->values;
    if (st->folded || strcmp(n->op_type, "Concat") != 0 || n->domain[0] || st->k.n_out != 1 ||
        st->out_ids[0] < 0 || st->k.n_in < 1)
        return;
    int o = st->out_ids[0];
    if (vals[o].kind != OR_V_ARENA) return;
    const or_attr *a = or_node_attr(n, "axis");
    int64_t axis = a ? a->i : 1;
    if (axis < 0) axis += vals[o].t.rank;
    if (axis < 0 || axis >= vals[o].t.rank) return;
    for (int64_t d = 0; d < axis; d++)
        if (vals[o].t.dims[d] != 1) return;
    bool movable = true, consecutive = true;
    int r0 = st->in_ids[0] >= 0 ? vals[st->in_ids[0]].root : -1;
    size_t off = r0 >= 0 ? vals[st->in_ids[0]].root_off : 0, base = off;
    for (size_t j = 0; j < st->k.n_in; j++) {
        int v = st->in_ids[j];
        if (v < 0 || vals[v].kind != OR_V_ARENA) return;
        int r = vals[v].root;
        for (size_t q = 0; q < j; q++)
            if (vals[st->in_ids[q]].root == r) movable = false;
        /* v starts a buffer of exactly its size (its own, or one it shares with
         * its fused or in-place producers): that buffer can move */
        movable = movable && fresh(s, r) && vals[v].root_off == 0 &&
                  vals[r].bytes == align_up(or_nbytes(&vals[v].t));
        consecutive = consecutive && r == r0 && vals[v].root_off == off;
        off += or_nbytes(&vals[v].t);
    }
    if (consecutive && r0 != o && fresh(s, o)) { /* a view of the inputs' buffer */
        move_group(s, o, r0, base);
    } else if (movable) { /* the inputs' buffers move into the output's */
        size_t at = vals[o].root_off;
        for (size_t j = 0; j < st->k.n_in; j++) {
            int v = st->in_ids[j];
            move_group(s, vals[v].root, vals[o].root, at);
            at += or_nbytes(&vals[v].t);
        }
    } else {
        return;
    }
    st->skip = true;
}

/* ---- epilogue fusion ---- */

/* The single non-folded step reading value v (and nothing else reads it,
 * nor is it a graph output), or -1. */
static int sole_consumer(const onnxrun_session *s, int v)
{
    if (s->values[v].is_output) return -1;
    int found = -1;
    for (size_t i = 0; i < s->n_steps; i++) {
        const or_step *st = &s->steps[i];
        for (size_t j = 0; j < st->k.n_in; j++)
            if (st->in_ids[j] == v) {
                if (found >= 0 || st->folded) return -1;
                found = (int)i;
            }
    }
    return found;
}

/* Whether step c is an activation an epilogue can do (its op entry says
 * so, from its own params); fills e. */
static bool epilogue_act(onnxrun_session *s, const or_step *c, or_epilogue *e)
{
    if (!c->k.def->epilogue) return false;
    unsigned known = 0;
    for (size_t j = 0; j < c->k.n_in && j < 32; j++)
        if (c->in_ids[j] >= 0 && is_known(&s->values[c->in_ids[j]])) known |= 1u << j;
    if (!c->k.def->epilogue(&c->k, known, e)) return false;
    return c->k.n_out == 1 && c->out_ids[0] >= 0 && s->values[c->out_ids[0]].t.dtype == ONNXRUN_FLOAT;
}

/* Folds "P -> [Add(residual)] -> [activation]" into P's epilogue when P can
 * (OR_OP_FUSES) and each intermediate has that single consumer. The fused
 * steps do not run; their outputs share P's buffer. */
static void fuse_epilogues(onnxrun_session *s)
{
    or_value *vals = s->values;
    for (size_t i = 0; i < s->n_steps; i++) {
        or_step *p = &s->steps[i];
        if (p->folded || !(p->k.def->flags & OR_OP_FUSES) || p->k.n_out < 1 || p->out_ids[0] < 0)
            continue;
        bool more = false;
        for (size_t j = 1; j < p->k.n_out; j++) more = more || p->out_ids[j] >= 0;
        int y = p->out_ids[0];
        if (more || vals[y].kind != OR_V_ARENA || vals[y].t.dtype != ONNXRUN_FLOAT) continue;
        or_epilogue e = { 0 };
        int fused[2], n_fused = 0, cur = y, c = sole_consumer(s, cur);
        if (c >= 0 && (s->steps[c].k.def->flags & OR_OP_RESIDUAL) && s->steps[c].k.n_in == 2) {
            or_step *add = &s->steps[c];
            int q = add->in_ids[0] == cur ? add->in_ids[1] : add->in_ids[0];
            int o = add->out_ids[0];
            /* the residual must exist when P runs, and have y's shape */
            if (q >= 0 && q != cur && o >= 0 && or_same_shape(&vals[q].t, &vals[y].t) &&
                or_same_shape(&vals[o].t, &vals[y].t) &&
                (is_known(&vals[q]) || vals[q].kind == OR_V_INPUT ||
                 (vals[q].kind == OR_V_ARENA && vals[q].first >= 0 && vals[q].first < (int)i))) {
                e.add = &vals[q].t;
                fused[n_fused++] = c;
                cur = o;
                c = sole_consumer(s, cur);
            }
        }
        if (c >= 0 && epilogue_act(s, &s->steps[c], &e)) {
            fused[n_fused++] = c;
            cur = s->steps[c].out_ids[0];
        } else {
            e.act = OR_ACT_NONE;
        }
        if (!n_fused) continue;
        p->k.post = e;
        for (int f = 0; f < n_fused; f++) {
            or_step *st = &s->steps[fused[f]];
            st->fused = st->skip = true;
            move_group(s, st->out_ids[0], y, 0);
        }
    }
}

/* out[0] of a view or in-place step shares in[0]'s buffer. When out was
 * already placed in a Concat's buffer, in's buffer moves there instead. */
static void alias_step(onnxrun_session *s, or_step *st, int i)
{
    or_value *vals = s->values;
    unsigned flags = st->k.def->flags;
    if (st->folded || st->skip || !(flags & (OR_OP_VIEW | OR_OP_INPLACE)) || st->k.n_in < 1 ||
        st->k.n_out < 1 || st->in_ids[0] < 0 || st->out_ids[0] < 0)
        return;
    int iv = st->in_ids[0], ov = st->out_ids[0];
    or_value *in = &vals[iv], *out = &vals[ov];
    if (in->kind != OR_V_ARENA || out->kind != OR_V_ARENA || or_nbytes(&in->t) != or_nbytes(&out->t))
        return;
    bool view = flags & OR_OP_VIEW;
    if (!view) {
        if (vals[in->root].last != i || !or_same_shape(&in->t, &out->t)) return;
        for (size_t j = 1; j < st->k.n_in; j++) /* another input on the same buffer */
            if (st->in_ids[j] >= 0 && vals[st->in_ids[j]].root == in->root) return;
    }
    if (out->root != ov) { /* out lives in a Concat's buffer: bring in's buffer there */
        if (in->root_off || in->root == out->root || vals[in->root].bytes != in->bytes) return;
        move_group(s, in->root, out->root, out->root_off);
    } else {
        move_group(s, ov, in->root, in->root_off);
    }
    if (view) { /* nothing to run unless there are more outputs (Dropout's mask) */
        bool more = false;
        for (size_t j = 1; j < st->k.n_out; j++) more = more || st->out_ids[j] >= 0;
        st->skip = !more;
    }
}

/* Lifetimes, aliases and offsets of arena values. */
static or_status place(onnxrun_session *s)
{
    int n_steps = (int)s->n_steps;
    or_value *vals = s->values;
    for (int i = 0; i < n_steps; i++) {
        or_step *st = &s->steps[i];
        if (st->folded) continue;
        for (size_t j = 0; j < st->k.n_out; j++)
            if (st->out_ids[j] >= 0) {
                or_value *v = &vals[st->out_ids[j]];
                v->first = v->last = i;
                v->bytes = align_up(or_nbytes(&v->t));
            }
        for (size_t j = 0; j < st->k.n_in; j++)
            if (st->in_ids[j] >= 0 && vals[st->in_ids[j]].kind == OR_V_ARENA)
                vals[st->in_ids[j]].last = i;
    }
    for (size_t v = 0; v < s->n_values; v++)
        if (vals[v].is_output && vals[v].kind == OR_V_ARENA) vals[v].last = n_steps;
    /* aliases: a root's first..last covers every value that uses its buffer */
    fuse_epilogues(s);
    for (int i = n_steps - 1; i >= 0; i--) concat_slices(s, &s->steps[i]);
    for (int i = 0; i < n_steps; i++) alias_step(s, &s->steps[i], i);
    /* offsets of roots */
    size_t n = 0;
    for (size_t v = 0; v < s->n_values; v++)
        if (vals[v].kind == OR_V_ARENA && vals[v].root == (int)v && vals[v].first >= 0) n++;
    size_t *sizes = malloc((n + 1) * sizeof *sizes), *offs = malloc((n + 1) * sizeof *offs);
    int *first = malloc((n + 1) * sizeof *first), *last = malloc((n + 1) * sizeof *last);
    size_t *ids = malloc((n + 1) * sizeof *ids);
    or_status r = ONNXRUN_E_NOMEM;
    if (sizes && offs && first && last && ids) {
        size_t c = 0;
        for (size_t v = 0; v < s->n_values; v++)
            if (vals[v].kind == OR_V_ARENA && vals[v].root == (int)v && vals[v].first >= 0) {
                ids[c] = v;
                sizes[c] = vals[v].bytes;
                first[c] = vals[v].first;
                last[c] = vals[v].last;
                c++;
            }
        r = or_plan_offsets(n, sizes, first, last, offs, &s->arena_bytes, &s->lower_bound);
        for (size_t c2 = 0; r == ONNXRUN_OK && c2 < n; c2++) vals[ids[c2]].offset = offs[c2];
    }
    free(sizes);
    free(offs);
    free(first);
    free(last);
    free(ids);
    if (r) return or_errf(s->err, r, "out of memory planning the arena");
    return ONNXRUN_OK;
}

/* The plan's whole memory: weights in memory once its releases are
 * made, the packed forms its kernels use, arena, scratch, folded constants. */
static uint64_t plan_total(const onnxrun_session *s)
{
    uint64_t t = or_weights_held(s) + s->arena_bytes + s->scratch_bytes + s->const_bytes;
    for (size_t i = 0; i < s->n_steps; i++)
        if (!s->steps[i].folded) t += s->steps[i].k.packed_bytes;
    return t;
}

/* Speed lost per byte saved by moving step st one algorithm down (Winograd
 * 4x4 -> 2x2 -> GEMM) into *to; < 0 when it has nowhere to go. Time is
 * estimated from the product's multiply-adds M at what each algorithm
 * costs per direct multiply-add on resnet50 / vgg16's 3x3 layers at one
 * thread (about 0.45, 0.6 and 1.0); the bytes saved, from the form's size
 * (36, 16 and 9 floats per weight). */
static double loss_per_byte(const or_step *st, or_algo *to)
{
    const or_kernel *k = &st->k;
    const char *a = k->def->algo_name ? k->def->algo_name(k) : "";
    double macs = k->def->macs ? (double)k->def->macs(k) : 0, bytes = (double)k->packed_bytes;
    if (st->folded || !bytes || !(k->def->algos & (1u << OR_ALGO_IM2COL))) return -1;
    if (!strncmp(a, "winograd 4x4", 12) && (k->def->algos & (1u << OR_ALGO_WINO2))) {
        *to = OR_ALGO_WINO2;
        return macs * (0.6 - 0.45) / (bytes * 20.0 / 36.0);
    }
    if (!strncmp(a, "winograd 2x2", 12)) {
        *to = OR_ALGO_IM2COL;
        return macs * (1.0 - 0.6) / (bytes * 7.0 / 16.0);
    }
    return -1;
}

static or_status plan_once(onnxrun_session *s, bool with_data);

/* With a budget: plans for sizes only (nothing packed), and while the
 * plan is above the budget moves the node losing least speed per byte
 * saved to its next algorithm; fails naming the smallest plan it reached
 * (GEMM's scratch can outweigh what it saves on a small layer). */
static or_status fit_budget(onnxrun_session *s, bool with_data)
{
    for (size_t i = 0; i < s->n_steps; i++) s->steps[i].k.algo = OR_ALGO_AUTO;
    uint64_t smallest = UINT64_MAX;
    for (;;) {
        s->sizing = true;
        or_status r = plan_once(s, with_data);
        s->sizing = false;
        if (r) return r;
        uint64_t total = plan_total(s);
        if (total <= s->max_memory) return ONNXRUN_OK;
        if (total < smallest) smallest = total;
        int best = -1;
        double best_loss = 0;
        or_algo best_to = OR_ALGO_AUTO;
        for (size_t i = 0; i < s->n_steps; i++) {
            or_algo to;
            double l = loss_per_byte(&s->steps[i], &to);
            if (l >= 0 && (best < 0 || l < best_loss)) {
                best = (int)i;
                best_loss = l;
                best_to = to;
            }
        }
        if (best < 0) {
            or_plan_free(s);
            return or_errf(s->err, ONNXRUN_E_LIMIT,
                           "%s: memory budget: the smallest plan needs %llu bytes (%.1f MiB), above the "
                           "session's budget of %llu", s->model->m.path, (unsigned long long)smallest,
                           (double)smallest / 1048576.0, (unsigned long long)s->max_memory);
        }
        s->steps[best].k.algo = best_to;
    }
}

or_status or_plan(onnxrun_session *s, bool with_data)
{
    if (s->budget) OR_TRY(fit_budget(s, with_data));
    return plan_once(s, with_data);
}

static or_status plan_once(onnxrun_session *s, bool with_data)
{
    or_status r;
    bool retry;
    or_weights_plan_begin(s);
    do { /* again while a failure marks new eager steps (at most once per step) */
        or_plan_free(s);
        s->plan_needs_data = false;
        s->err[0] = 0;
        reset_values(s, with_data);
        or_weights_plan_reset(s);
        retry = false;
        r = infer_all(s, with_data, &retry);
    } while (r && retry);
    or_weights_plan_end(s, r == ONNXRUN_OK);
    if (!r) r = place(s);
    if (r) {
        or_plan_free(s);
        return r;
    }
    for (size_t i = 0; i < s->n_steps; i++)
        if (!s->steps[i].folded && s->steps[i].k.scratch_bytes > s->scratch_bytes)
            s->scratch_bytes = s->steps[i].k.scratch_bytes;
    if (s->sizing) return ONNXRUN_OK; /* fit_budget reads the sizes */
    uint64_t total = s->budget ? plan_total(s) : (uint64_t)s->arena_bytes + s->scratch_bytes + s->const_bytes;
    if (total > s->max_memory) {
        or_status st = or_errf(s->err, ONNXRUN_E_LIMIT,
                               "%s: memory limit: the plan needs %llu bytes (arena %zu, scratch %zu, "
                               "constants %llu%s), above the session's limit of %llu",
                               s->model->m.path, (unsigned long long)total, s->arena_bytes,
                               s->scratch_bytes, (unsigned long long)s->const_bytes,
                               s->budget ? ", weights and packed weights" : "", (unsigned long long)s->max_memory);
        or_plan_free(s);
        return st;
    }
    s->arena = alloc_aligned(s->arena_bytes);
    s->scratch = s->scratch_bytes ? alloc_aligned(s->scratch_bytes) : NULL;
    if (!s->arena || (s->scratch_bytes && !s->scratch)) {
        or_status st = or_errf(s->err, ONNXRUN_E_NOMEM, "%s: out of memory: arena of %zu bytes, scratch of %zu",
                               s->model->m.path, s->arena_bytes, s->scratch_bytes);
        or_plan_free(s);
        return st;
    }
    for (size_t v = 0; v < s->n_values; v++) {
        or_value *x = &s->values[v];
        if (x->kind == OR_V_ARENA && s->values[x->root].first >= 0)
            x->t.data = (char *)s->arena + s->values[x->root].offset + x->root_off;
        /* a graph output that is a graph input is copied out of the caller's buffer */
        if (x->is_output && x->kind == OR_V_INPUT) {
            x->owned = alloc_aligned(or_nbytes(&x->t));
            if (!x->owned) {
                or_plan_free(s);
                return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
            }
        }
    }
    for (size_t i = 0; i < s->n_steps; i++) s->steps[i].k.scratch = s->scratch;
    s->planned = true;
    return ONNXRUN_OK;
}
