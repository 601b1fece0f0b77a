/*
 * check.c - structural validation of a converted model, and UTF-8.
 *
 * or_ld_check_graph checks what the loader can see without knowing ops:
 * non-empty op types, imported domains, that every value has one producer
 * (graph input, initializer or node output; an initializer may also be a
 * graph input) and that every node input and graph output has one. Cycles
 * and unsupported ops are the interpreter's business. Names are looked up
 * in an open-addressing hash table, so the check is linear in graph size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* See internal.h. */
size_t or_utf8_bad(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07, min = 0x10000;
        else return i;
        if (len - i <= n) return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
        i += n + 1;
    }
    return len;
}

/* See internal.h. */
or_status or_ld_utf8(or_ld *ld, const char *s, const char *what, const char *field)
{
    if (!s) return ONNXRUN_OK;
    size_t len = strlen(s), bad = or_utf8_bad((const uint8_t *)s, len);
    if (bad == len) return ONNXRUN_OK;
    return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: %s is not valid UTF-8 (byte 0x%02x at offset %zu)", what,
                      field, (unsigned)(uint8_t)s[bad], bad);
}

/* ---- a set of value names with who produces each ---- */

enum { BY_INPUT = 1, BY_INIT, BY_NODE };

typedef struct slot {
    const char *name;   /* NULL = empty slot */
    int by;             /* BY_* */
    size_t idx;         /* graph input, initializer or node index */
} slot;

typedef struct nameset {
    slot *s;
    size_t mask;
} nameset;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static slot *find(const nameset *ns, const char *name)
{
    for (size_t i = (size_t)hash(name) & ns->mask;; i = (i + 1) & ns->mask)
        if (!ns->s[i].name || !strcmp(ns->s[i].name, name)) return &ns->s[i];
}

static void node_desc(const or_node *n, char *buf, size_t len)
{
    snprintf(buf, len, "node '%s' (#%zu, %s)", n->name, n->index, n->op_type);
}

/* "node 'a' (#2, Conv)", "initializer 'w'" or "graph input 'x'" */
static void producer_desc(const or_graph *g, const slot *s, char *buf, size_t len)
{
    if (s->by == BY_NODE) node_desc(&g->nodes[s->idx], buf, len);
    else snprintf(buf, len, "%s '%s'", s->by == BY_INIT ? "initializer" : "graph input", s->name);
}

/* Adds a producer; fails if the name is already produced (an initializer
 * that is also a graph input is allowed). */
static or_status add(or_ld *ld, const or_graph *g, nameset *ns, const char *name, int by, size_t idx,
                     const char *what)
{
    slot *s = find(ns, name);
    if (!s->name) {
        *s = (slot){ name, by, idx };
        return ONNXRUN_OK;
    }
    if ((by == BY_INIT && s->by == BY_INPUT) || (by == BY_INPUT && s->by == BY_INIT)) return ONNXRUN_OK;
    if (by == BY_NODE && s->by == BY_NODE && s->idx == idx)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: output '%s' is listed twice", what, name);
    char prev[512];
    producer_desc(g, s, prev, sizeof prev);
    if (by == s->by && by != BY_NODE)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s '%s' is declared twice", what, name);
    return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: output '%s' is already produced by %s", what, name, prev);
}

static bool domain_imported(const or_model *m, const char *d)
{
    for (size_t i = 0; i < m->n_opsets; i++)
        if (!strcmp(m->opsets[i].domain, d)) return true;
    return false;
}

/* See internal.h. Every failure is ONNXRUN_E_INVALID naming node and value,
 * except allocation (NOMEM) and absurd sizes (LIMIT). */
or_status or_ld_check_graph(or_ld *ld, const or_model *m)
{
    const or_graph *g = &m->graph;
    char nw[512];
    size_t total = g->n_inputs + g->n_inits;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const or_node *n = &g->nodes[i];
        if (!n->op_type[0])
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "node '%s' (#%zu): op_type is empty", n->name, i);
        if (!domain_imported(m, n->domain)) {
            node_desc(n, nw, sizeof nw);
            if (!n->domain[0])
                return or_ld_fail(ld, ONNXRUN_E_INVALID,
                                  "%s: the default ONNX domain is not imported (no opset_import)", nw);
            return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: domain '%s' is not imported (no opset_import)", nw,
                              n->domain);
        }
        if (__builtin_add_overflow(total, n->n_outputs, &total))
            return or_ld_fail(ld, ONNXRUN_E_LIMIT, "too many values");
    }
    if (!g->n_outputs) return or_ld_fail(ld, ONNXRUN_E_INVALID, "the graph has no outputs");

    if (total > SIZE_MAX / 8 / sizeof(slot)) return or_ld_fail(ld, ONNXRUN_E_LIMIT, "too many values");
    size_t cap = 16; /* a power of two, at least twice the names: the table never fills */
    while (cap < 2 * total + 1) cap *= 2;
    nameset ns = { or_ld_calloc(cap, sizeof(slot)), cap - 1 };
    if (!ns.s) return or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory");

    or_status st = ONNXRUN_OK;
    for (size_t i = 0; !st && i < g->n_inputs; i++) {
        if (!g->inputs[i].name[0]) st = or_ld_fail(ld, ONNXRUN_E_INVALID, "graph input #%zu has no name", i);
        else st = add(ld, g, &ns, g->inputs[i].name, BY_INPUT, i, "graph input");
    }
    for (size_t i = 0; !st && i < g->n_inits; i++) {
        if (!g->inits[i].name[0]) st = or_ld_fail(ld, ONNXRUN_E_INVALID, "initializer #%zu has no name", i);
        else st = add(ld, g, &ns, g->inits[i].name, BY_INIT, i, "initializer");
    }
    for (size_t i = 0; !st && i < g->n_nodes; i++) {
        const or_node *n = &g->nodes[i];
        node_desc(n, nw, sizeof nw);
        for (size_t j = 0; !st && j < n->n_outputs; j++) {
            if (n->outputs[j][0]) /* "" = absent optional output */
                st = add(ld, g, &ns, n->outputs[j], BY_NODE, i, nw);
        }
    }
    for (size_t i = 0; !st && i < g->n_nodes; i++) {
        const or_node *n = &g->nodes[i];
        for (size_t j = 0; !st && j < n->n_inputs; j++) {
            if (!n->inputs[j][0] || find(&ns, n->inputs[j])->name) continue;
            node_desc(n, nw, sizeof nw);
            st = or_ld_fail(ld, ONNXRUN_E_INVALID,
                            "%s: input '%s' is not produced by any node, initializer or graph input", nw,
                            n->inputs[j]);
        }
    }
    for (size_t i = 0; !st && i < g->n_outputs; i++) {
        const char *o = g->outputs[i].name;
        if (!o[0]) st = or_ld_fail(ld, ONNXRUN_E_INVALID, "graph output #%zu has no name", i);
        else if (!find(&ns, o)->name)
            st = or_ld_fail(ld, ONNXRUN_E_INVALID,
                            "graph output '%s' is not produced by any node, initializer or graph input", o);
    }
    free(ns.s);
    return st;
}
