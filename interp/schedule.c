/*
 * schedule.c - checks a loaded graph and orders it: gives every tensor name
 * a value id, finds the nodes that feed the graph outputs, sorts them
 * topologically (ties keep file order) and resolves each to a kernel. All
 * unsupported (op, opset) pairs are reported in one message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

/* min-heap of node indices: ready nodes come out in file order */
typedef struct heap {
    int *a;
    size_t n;
} heap;

static void heap_push(heap *h, int v)
{
    size_t i = h->n++;
    h->a[i] = v;
    while (i && h->a[(i - 1) / 2] > h->a[i]) {
        int t = h->a[i];
        h->a[i] = h->a[(i - 1) / 2];
        h->a[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static int heap_pop(heap *h)
{
    int top = h->a[0];
    h->a[0] = h->a[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->a[l] < h->a[m]) m = l;
        if (r < h->n && h->a[r] < h->a[m]) m = r;
        if (m == i) break;
        int t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
    return top;
}

static or_status add_value(onnxrun_model *h, const char *name, size_t *id, bool *existing)
{
    or_status st = or_names_put(&h->names, name, h->n_values, existing);
    if (st) return st;
    if (*existing) {
        or_names_get(&h->names, name, id);
        return ONNXRUN_OK;
    }
    *id = h->n_values++;
    h->value_names[*id] = name;
    h->value_producer[*id] = -1;
    h->value_init[*id] = -1;
    h->value_input[*id] = -1;
    return ONNXRUN_OK;
}

static or_status build_values(onnxrun_model *h)
{
    const or_graph *g = &h->m.graph;
    uint64_t total = (uint64_t)g->n_inputs + g->n_inits;
    for (size_t i = 0; i < g->n_nodes; i++) total += g->nodes[i].n_outputs;
    if (total > SIZE_MAX / 64) return or_errf(h->err, ONNXRUN_E_LIMIT, "%s: graph too large", h->m.path);
    or_status st = or_names_init(&h->names, (size_t)total);
    h->value_names = calloc((size_t)total + 1, sizeof *h->value_names);
    h->value_producer = calloc((size_t)total + 1, sizeof(int));
    h->value_init = calloc((size_t)total + 1, sizeof(int));
    h->value_input = calloc((size_t)total + 1, sizeof(int));
    if (st || !h->value_names || !h->value_producer || !h->value_init || !h->value_input)
        return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
    size_t id;
    bool existing;
    for (size_t i = 0; i < g->n_inits; i++) {
        if ((st = add_value(h, g->inits[i].name, &id, &existing))) return st;
        if (existing)
            return or_errf(h->err, ONNXRUN_E_INVALID, "%s: initializer '%s' is defined twice",
                           h->m.path, g->inits[i].name);
        h->value_init[id] = (int)i;
    }
    for (size_t i = 0; i < g->n_inputs; i++) {
        if ((st = add_value(h, g->inputs[i].name, &id, &existing))) return st;
        if (h->value_input[id] >= 0)
            return or_errf(h->err, ONNXRUN_E_INVALID, "%s: graph input '%s' is declared twice",
                           h->m.path, g->inputs[i].name);
        h->value_input[id] = (int)i;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        const or_node *n = &g->nodes[i];
        for (size_t j = 0; j < n->n_outputs; j++) {
            if (!n->outputs[j][0]) continue;
            if ((st = add_value(h, n->outputs[j], &id, &existing))) return st;
            if (existing)
                return or_errf(h->err, ONNXRUN_E_INVALID,
                               "%s: node '%s' (#%zu, %s): output '%s' is already produced elsewhere",
                               h->m.path, n->name, i, n->op_type, n->outputs[j]);
            h->value_producer[id] = (int)i;
        }
    }
    return ONNXRUN_OK;
}

/* Marks the nodes that graph outputs depend on. */
static or_status mark_live(onnxrun_model *h, bool *live)
{
    const or_graph *g = &h->m.graph;
    size_t *stack = malloc((h->n_values + 1) * sizeof *stack), top = 0, id;
    bool *seen = calloc(h->n_values + 1, 1);
    or_status st = ONNXRUN_OK;
    if (!stack || !seen) {
        st = or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
        goto out;
    }
    for (size_t i = 0; i < g->n_outputs; i++) {
        if (!or_names_get(&h->names, g->outputs[i].name, &id)) {
            st = or_errf(h->err, ONNXRUN_E_INVALID,
                         "%s: graph output '%s' is not produced by any node, initializer or input",
                         h->m.path, g->outputs[i].name);
            goto out;
        }
        if (!seen[id]) {
            seen[id] = true;
            stack[top++] = id;
        }
    }
    while (top) {
        int p = h->value_producer[stack[--top]];
        if (p < 0 || live[p]) continue;
        live[p] = true;
        const or_node *n = &g->nodes[p];
        for (size_t j = 0; j < n->n_inputs; j++) {
            if (!n->inputs[j][0]) continue;
            if (!or_names_get(&h->names, n->inputs[j], &id)) {
                st = or_errf(h->err, ONNXRUN_E_INVALID,
                             "%s: node '%s' (#%d, %s): input '%s' is not produced by any node, "
                             "initializer or graph input",
                             h->m.path, n->name, p, n->op_type, n->inputs[j]);
                goto out;
            }
            if (!seen[id]) {
                seen[id] = true;
                stack[top++] = id;
            }
        }
    }
out:
    free(stack);
    free(seen);
    return st;
}

/* Kahn's algorithm over the live nodes. */
static or_status topo_sort(onnxrun_model *h, const bool *live)
{
    const or_graph *g = &h->m.graph;
    size_t nn = g->n_nodes;
    int *indeg = calloc(nn + 1, sizeof *indeg);
    size_t *first = calloc(h->n_values + 2, sizeof *first); /* consumers CSR by value */
    int *cons = NULL;
    heap hp = { malloc((nn + 1) * sizeof(int)), 0 };
    h->order = malloc((nn + 1) * sizeof *h->order);
    or_status st = ONNXRUN_OK;
    size_t id, edges = 0;
    if (!indeg || !first || !hp.a || !h->order) goto nomem;
    for (size_t i = 0; i < nn; i++)
        if (live[i])
            for (size_t j = 0; j < g->nodes[i].n_inputs; j++)
                if (g->nodes[i].inputs[j][0] && or_names_get(&h->names, g->nodes[i].inputs[j], &id) &&
                    h->value_producer[id] >= 0) {
                    first[id + 1]++;
                    indeg[i]++;
                    edges++;
                }
    for (size_t v = 0; v < h->n_values; v++) first[v + 1] += first[v];
    cons = malloc((edges + 1) * sizeof *cons);
    size_t *fill = calloc(h->n_values + 1, sizeof *fill);
    if (!cons || !fill) {
        free(fill);
        goto nomem;
    }
    for (size_t i = 0; i < nn; i++)
        if (live[i])
            for (size_t j = 0; j < g->nodes[i].n_inputs; j++)
                if (g->nodes[i].inputs[j][0] && or_names_get(&h->names, g->nodes[i].inputs[j], &id) &&
                    h->value_producer[id] >= 0)
                    cons[first[id] + fill[id]++] = (int)i;
    free(fill);
    size_t n_live = 0;
    for (size_t i = 0; i < nn; i++)
        if (live[i]) {
            n_live++;
            if (!indeg[i]) heap_push(&hp, (int)i);
        }
    while (hp.n) {
        int i = heap_pop(&hp);
        h->order[h->n_order++] = i;
        const or_node *n = &g->nodes[i];
        for (size_t j = 0; j < n->n_outputs; j++) {
            if (!n->outputs[j][0] || !or_names_get(&h->names, n->outputs[j], &id)) continue;
            for (size_t c = first[id]; c < first[id + 1]; c++)
                if (--indeg[cons[c]] == 0) heap_push(&hp, cons[c]);
        }
    }
    if (h->n_order != n_live) {
        for (size_t i = 0; i < nn; i++)
            if (live[i] && indeg[i] > 0) {
                st = or_errf(h->err, ONNXRUN_E_INVALID,
                             "%s: node '%s' (#%zu, %s): the graph has a cycle through this node",
                             h->m.path, g->nodes[i].name, i, g->nodes[i].op_type);
                break;
            }
    }
    goto out;
nomem:
    st = or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
out:
    free(indeg);
    free(first);
    free(cons);
    free(hp.a);
    return st;
}

/* Resolves every scheduled node to a kernel; lists all unsupported pairs. */
static or_status resolve(onnxrun_model *h)
{
    const or_graph *g = &h->m.graph;
    h->defs = calloc(g->n_nodes + 1, sizeof *h->defs);
    if (!h->defs) return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
    size_t bad = 0;
    for (size_t s = 0; s < h->n_order; s++) {
        int i = h->order[s];
        const or_node *n = &g->nodes[i];
        int64_t opset = or_model_opset(&h->m, n->domain);
        h->defs[i] = opset > 0 ? or_op_find(n->domain, n->op_type, opset) : NULL;
        if (h->defs[i]) continue;
        bool repeat = false; /* report each (domain, op) once */
        for (size_t t = 0; t < s && !repeat; t++) {
            const or_node *o = &g->nodes[h->order[t]];
            repeat = !h->defs[h->order[t]] && !strcmp(o->op_type, n->op_type) &&
                     !strcmp(o->domain, n->domain);
        }
        if (repeat) continue;
        if (!bad++) snprintf(h->err, sizeof h->err, "%s: unsupported ops:", h->m.path);
        const char *why = !opset ? "domain not imported"
                          : or_op_known(n->domain, n->op_type) ? "not at this opset" : "unknown op";
        size_t used = strlen(h->err);
        if (used + 1 < sizeof h->err)
            snprintf(h->err + used, sizeof h->err - used,
                     " %s%s%s (opset %lld, %s; first at node '%s' #%d);", n->domain,
                     n->domain[0] ? "." : "", n->op_type, (long long)opset, why, n->name, i);
    }
    return bad ? ONNXRUN_E_UNSUPPORTED : ONNXRUN_OK;
}

or_status or_model_check(onnxrun_model *h)
{
    h->opset = or_model_opset(&h->m, "");
    or_status st = build_values(h);
    if (st) return st;
    bool *live = calloc(h->m.graph.n_nodes + 1, 1);
    if (!live) return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
    st = mark_live(h, live);
    if (!st) st = topo_sort(h, live);
    free(live);
    if (!st) st = resolve(h);
    if (!st) st = or_model_widen(h);
    return st;
}

or_status or_model_widen(onnxrun_model *h)
{
    const or_graph *g = &h->m.graph;
    for (size_t i = 0; i < g->n_inits; i++) {
        const or_tensor *t = &g->inits[i].t;
        if (!or_is_half(t->dtype)) continue;
        if (!h->wide_inits) h->wide_inits = calloc(g->n_inits, sizeof *h->wide_inits);
        if (!h->wide_inits) return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
        or_tensor *w = &h->wide_inits[i];
        int64_t n = or_numel(t);
        *w = *t;
        w->dtype = ONNXRUN_FLOAT;
        w->data = malloc((size_t)(n ? n : 1) * sizeof(float));
        if (!w->data)
            return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory widening initializer '%s'", h->m.path,
                           g->inits[i].name);
        if (n) or_halves_to_float(t->dtype, t->data, w->data, n);
    }
    return ONNXRUN_OK;
}
