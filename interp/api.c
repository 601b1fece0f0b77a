/*
 * api.c - the public functions of include/onnxrun.h: loading (loader/ then
 * schedule.c's checks), sessions (kernel init, planning, running) and
 * introspection. Errors are written into the handle's message buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ops/isa.h"
#include "interp.h"

#define DEFAULT_MAX_TENSOR_BYTES ((uint64_t)4 << 30)
#define DEFAULT_MAX_NODES 1000000u
#define DEFAULT_MAX_MEMORY ((uint64_t)8 << 30)
#define DEFAULT_MAX_MACS ((uint64_t)1 << 40)

/* ---- models ---- */

static or_status finish_load(onnxrun_model *h)
{
    or_status st = or_model_check(h);
    if (!st) st = or_weights_new(h);
    if (st) return st;
    const or_graph *g = &h->m.graph;
    h->api_inputs = malloc((g->n_inputs + 1) * sizeof *h->api_inputs);
    if (!h->api_inputs) return or_errf(h->err, ONNXRUN_E_NOMEM, "%s: out of memory", h->m.path);
    for (size_t i = 0; i < g->n_inputs; i++) {
        size_t id;
        if (or_names_get(&h->names, g->inputs[i].name, &id) && h->value_init[id] < 0)
            h->api_inputs[h->n_api_inputs++] = i;
    }
    h->ok = true;
    return ONNXRUN_OK;
}

static or_status load(const uint8_t *buf, size_t len, const char *path, const char *dir,
                      const onnxrun_load_options *opts, onnxrun_model *h)
{
    or_load_limits lim = { DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_NODES };
    if (opts && opts->max_tensor_bytes) lim.max_tensor_bytes = opts->max_tensor_bytes;
    if (opts && opts->max_nodes) lim.max_nodes = opts->max_nodes;
    or_status st = or_model_parse(buf, len, path, dir, &lim, &h->m, h->err, sizeof h->err);
    return st ? st : finish_load(h);
}

onnxrun_status onnxrun_model_load_file(const char *path, const onnxrun_load_options *opts,
                                       onnxrun_model **out)
{
    if (!out) return ONNXRUN_E_ARG;
    onnxrun_model *h = *out = calloc(1, sizeof *h);
    if (!h) return ONNXRUN_E_NOMEM;
    if (!path) return or_errf(h->err, ONNXRUN_E_ARG, "model path is NULL");
    or_load_limits lim = { DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_NODES };
    if (opts && opts->max_tensor_bytes) lim.max_tensor_bytes = opts->max_tensor_bytes;
    if (opts && opts->max_nodes) lim.max_nodes = opts->max_nodes;
    /* mapped, not read: the weights stay in the file's pages */
    or_status st = or_model_load_path(path, &lim, &h->m, h->err, sizeof h->err);
    return st ? st : finish_load(h);
}

onnxrun_status onnxrun_model_load_buffer(const void *buf, size_t len, const char *name,
                                         const onnxrun_load_options *opts, onnxrun_model **out)
{
    if (!out) return ONNXRUN_E_ARG;
    onnxrun_model *h = *out = calloc(1, sizeof *h);
    if (!h) return ONNXRUN_E_NOMEM;
    if (!buf && len) return or_errf(h->err, ONNXRUN_E_ARG, "model buffer is NULL");
    return load(buf ? buf : (const void *)"", len, name ? name : "<buffer>", NULL, opts, h);
}

const char *onnxrun_model_error(const onnxrun_model *m)
{
    return m ? m->err : "model is NULL";
}

void onnxrun_model_free(onnxrun_model *h)
{
    if (!h) return;
    for (size_t i = 0; h->wide_inits && i < h->m.graph.n_inits; i++) free(h->wide_inits[i].data);
    free(h->wide_inits);
    or_weights_free(h);
    or_model_free(&h->m);
    or_names_free(&h->names);
    free(h->value_names);
    free(h->value_producer);
    free(h->value_init);
    free(h->value_input);
    free(h->order);
    free(h->defs);
    free(h->api_inputs);
    free(h);
}

size_t onnxrun_model_input_count(const onnxrun_model *m)
{
    return m && m->ok ? m->n_api_inputs : 0;
}

size_t onnxrun_model_output_count(const onnxrun_model *m)
{
    return m && m->ok ? m->m.graph.n_outputs : 0;
}

static void fill_info(const or_value_info *v, onnxrun_value_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = v->name;
    info->dtype = v->dtype;
    info->rank = v->rank;
    for (int i = 0; i < v->rank && i < OR_MAX_RANK; i++) {
        info->dims[i] = v->dims[i];
        info->dim_names[i] = v->dim_param[i];
    }
}

onnxrun_status onnxrun_model_input(const onnxrun_model *m, size_t i, onnxrun_value_info *info)
{
    if (!m || !m->ok || !info || i >= m->n_api_inputs) return ONNXRUN_E_ARG;
    fill_info(&m->m.graph.inputs[m->api_inputs[i]], info);
    return ONNXRUN_OK;
}

onnxrun_status onnxrun_model_output(const onnxrun_model *m, size_t i, onnxrun_value_info *info)
{
    if (!m || !m->ok || !info || i >= m->m.graph.n_outputs) return ONNXRUN_E_ARG;
    fill_info(&m->m.graph.outputs[i], info);
    return ONNXRUN_OK;
}

const char *onnxrun_model_metadata(const onnxrun_model *m, const char *key)
{
    if (!m || !m->ok || !key) return NULL;
    for (size_t i = 0; i < m->m.n_props; i++)
        if (!strcmp(m->m.props[i].key, key)) return m->m.props[i].value;
    return NULL;
}

int64_t onnxrun_model_opset(const onnxrun_model *m)
{
    return m && m->ok ? m->opset : 0;
}

/* ---- sessions ---- */

static or_status build_steps(onnxrun_session *s)
{
    const onnxrun_model *h = s->model;
    const or_graph *g = &h->m.graph;
    s->n_steps = h->n_order;
    s->steps = calloc(s->n_steps + 1, sizeof *s->steps);
    if (!s->steps) return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n_steps; i++) {
        or_step *st = &s->steps[i];
        const or_node *n = &g->nodes[h->order[i]];
        st->node = h->order[i];
        st->in = calloc(n->n_inputs + 1, sizeof *st->in);
        st->out = calloc(n->n_outputs + 1, sizeof *st->out);
        st->in_ids = calloc(n->n_inputs + 1, sizeof *st->in_ids);
        st->out_ids = calloc(n->n_outputs + 1, sizeof *st->out_ids);
        if (!st->in || !st->out || !st->in_ids || !st->out_ids)
            return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
        for (size_t j = 0; j < n->n_inputs; j++) {
            size_t id;
            st->in_ids[j] = -1;
            if (n->inputs[j][0] && or_names_get(&h->names, n->inputs[j], &id)) {
                st->in_ids[j] = (int)id;
                st->in[j] = &s->values[id].t;
                if (h->value_init[id] >= 0) st->params += (uint64_t)or_numel(&h->m.graph.inits[h->value_init[id]].t);
            }
        }
        for (size_t j = 0; j < n->n_outputs; j++) {
            size_t id;
            st->out_ids[j] = -1;
            if (n->outputs[j][0] && or_names_get(&h->names, n->outputs[j], &id)) {
                st->out_ids[j] = (int)id;
                st->out[j] = &s->values[id].t;
            }
        }
        or_kernel *k = &st->k;
        k->def = h->defs[st->node];
        k->node = n;
        k->opset = or_model_opset(&h->m, n->domain);
        k->n_in = n->n_inputs;
        k->n_out = n->n_outputs;
        k->in = st->in;
        k->out = st->out;
        k->threads = s->threads;
        k->wide_halves = true;
        k->isa = s->isa;
        k->pool = s->pool;
        k->model_path = h->m.path;
        k->err = s->err;
        k->err_len = sizeof s->err;
        or_status r = or_kernel_init(k);
        if (r) return r;
    }
    return ONNXRUN_OK;
}

/* Sets every graph input's value to its declared type and shape; false if
 * some input has no static shape (then planning waits for the first run). */
static bool declared_inputs(onnxrun_session *s)
{
    const onnxrun_model *h = s->model;
    bool all = true;
    for (size_t i = 0; i < h->n_api_inputs; i++) {
        const or_value_info *vi = &h->m.graph.inputs[h->api_inputs[i]];
        size_t id;
        or_names_get(&h->names, vi->name, &id);
        or_tensor *t = &s->values[id].t;
        t->dtype = or_held_dtype(vi->dtype);
        t->rank = vi->rank < 0 ? 0 : vi->rank;
        if (vi->rank < 0 || vi->dtype == ONNXRUN_UNDEFINED) all = false;
        for (int d = 0; d < t->rank; d++) {
            t->dims[d] = vi->dims[d];
            if (vi->dims[d] < 0) all = false;
        }
    }
    return all;
}

/* Whether every graph input's value has a dtype and concrete dims. */
static bool inputs_ready(const onnxrun_session *s)
{
    const onnxrun_model *h = s->model;
    for (size_t i = 0; i < h->n_api_inputs; i++) {
        size_t id;
        or_names_get(&h->names, h->m.graph.inputs[h->api_inputs[i]].name, &id);
        const or_tensor *t = &s->values[id].t;
        if (t->dtype == ONNXRUN_UNDEFINED) return false;
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] < 0) return false;
    }
    return true;
}

/* Plans without input data; defers (OK) when inference needs input values. */
static or_status plan_static(onnxrun_session *s)
{
    or_status st = or_plan(s, false);
    if (st && s->plan_needs_data) {
        s->err[0] = 0;
        return ONNXRUN_OK;
    }
    return st;
}

onnxrun_status onnxrun_session_create(const onnxrun_model *m, const onnxrun_session_options *opts,
                                      onnxrun_session **out)
{
    if (!out) return ONNXRUN_E_ARG;
    onnxrun_session *s = *out = calloc(1, sizeof *s);
    if (!s) return ONNXRUN_E_NOMEM;
    if (!m || !m->ok) return or_errf(s->err, ONNXRUN_E_ARG, "model is NULL or failed to load");
    s->model = m;
    s->threads = opts && opts->threads > 0 ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s->threads < 1) s->threads = 1;
    onnxrun_isa isa = opts ? opts->isa : ONNXRUN_ISA_AUTO;
    if ((unsigned)isa > ONNXRUN_ISA_AVX512)
        return or_errf(s->err, ONNXRUN_E_ARG, "unknown isa %d in the session options", (int)isa);
    s->isa = or_isa_resolve(isa);
    s->max_memory = opts && opts->max_memory_bytes ? opts->max_memory_bytes : DEFAULT_MAX_MEMORY;
    s->budget = opts && opts->max_memory_bytes;
    s->max_macs = opts && opts->max_macs ? opts->max_macs : DEFAULT_MAX_MACS;
    atomic_init(&s->cancel, false);
    s->pool = or_pool_create(s->threads);
    s->n_values = m->n_values;
    s->values = calloc(s->n_values + 1, sizeof *s->values);
    if (!s->values) return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
    for (size_t v = 0; v < s->n_values; v++) {
        s->values[v].name = m->value_names[v];
        s->values[v].producer = m->value_producer[v];
    }
    for (size_t i = 0; i < m->m.graph.n_outputs; i++) {
        size_t id;
        if (or_names_get(&m->names, m->m.graph.outputs[i].name, &id)) s->values[id].is_output = true;
    }
    size_t n_in = m->n_api_inputs + 1, n_out = m->m.graph.n_outputs + 1;
    s->held_in = calloc(n_in, sizeof *s->held_in);
    s->wide_in = calloc(n_in, sizeof *s->wide_in);
    s->wide_in_cap = calloc(n_in, sizeof *s->wide_in_cap);
    s->wide_out = calloc(n_out, sizeof *s->wide_out);
    s->wide_out_cap = calloc(n_out, sizeof *s->wide_out_cap);
    if (!s->held_in || !s->wide_in || !s->wide_in_cap || !s->wide_out || !s->wide_out_cap)
        return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory");
    or_status st = build_steps(s);
    if (!st) st = or_weights_session(s);
    if (!st && declared_inputs(s)) st = plan_static(s);
    if (!st) s->ok = true;
    return st;
}

onnxrun_status onnxrun_session_cancel(onnxrun_session *s)
{
    if (!s) return ONNXRUN_E_ARG;
    atomic_store(&s->cancel, true);
    return ONNXRUN_OK;
}

onnxrun_isa onnxrun_session_isa(const onnxrun_session *s)
{
    return s && s->ok ? s->isa : ONNXRUN_ISA_PORTABLE;
}

const char *onnxrun_session_error(const onnxrun_session *s)
{
    return s ? s->err : "session is NULL";
}

void onnxrun_session_free(onnxrun_session *s)
{
    if (!s) return;
    or_plan_free(s);
    or_weights_session_free(s);
    for (size_t i = 0; s->steps && i < s->n_steps; i++) {
        or_step *st = &s->steps[i];
        if (st->k.def) or_kernel_fini(&st->k);
        free(st->in);
        free(st->out);
        free(st->in_ids);
        free(st->out_ids);
    }
    free(s->steps);
    free(s->values);
    for (size_t i = 0; s->wide_in && i < s->model->n_api_inputs; i++) free(s->wide_in[i]);
    for (size_t i = 0; s->wide_out && i < s->model->m.graph.n_outputs; i++) free(s->wide_out[i]);
    free(s->held_in);
    free(s->wide_in);
    free(s->wide_in_cap);
    free(s->wide_out);
    free(s->wide_out_cap);
    or_pool_free(s->pool);
    free(s);
}

static const or_value_info *api_input(const onnxrun_model *h, const char *name, size_t *id)
{
    for (size_t i = 0; i < h->n_api_inputs; i++) {
        const or_value_info *vi = &h->m.graph.inputs[h->api_inputs[i]];
        if (!strcmp(vi->name, name)) {
            or_names_get(&h->names, name, id);
            return vi;
        }
    }
    return NULL;
}

/* Checks a given input against the declaration (dtype, rank, static dims). */
static or_status check_input(onnxrun_session *s, const or_value_info *vi, const onnxrun_tensor *t)
{
    int64_t n;
    if (onnxrun_dtype_size(t->dtype) == 0)
        return or_errf(s->err, ONNXRUN_E_ARG, "input '%s': unsupported dtype %d", vi->name, (int)t->dtype);
    /* a half-typed input may also be given as float32 (the session holds it so) */
    if (vi->dtype != ONNXRUN_UNDEFINED && t->dtype != vi->dtype &&
        !(or_is_half(vi->dtype) && t->dtype == ONNXRUN_FLOAT))
        return or_errf(s->err, ONNXRUN_E_ARG, "input '%s' is %s, the model expects %s", vi->name,
                       onnxrun_dtype_name(t->dtype), onnxrun_dtype_name(vi->dtype));
    if (t->rank < 0 || t->rank > OR_MAX_RANK || !or_shape_numel(t->rank, t->dims, t->dtype, &n))
        return or_errf(s->err, ONNXRUN_E_ARG, "input '%s': invalid or too large shape", vi->name);
    if (vi->rank >= 0 && vi->rank != t->rank)
        return or_errf(s->err, ONNXRUN_E_SHAPE, "input '%s' has rank %d, the model expects %d",
                       vi->name, t->rank, vi->rank);
    for (int d = 0; vi->rank >= 0 && d < t->rank; d++)
        if (vi->dims[d] >= 0 && vi->dims[d] != t->dims[d])
            return or_errf(s->err, ONNXRUN_E_SHAPE,
                           "input '%s' dim %d is %lld, the model expects %lld", vi->name, d,
                           (long long)t->dims[d], (long long)vi->dims[d]);
    if (n > 0 && !t->data) return or_errf(s->err, ONNXRUN_E_ARG, "input '%s' has no data", vi->name);
    return ONNXRUN_OK;
}

onnxrun_status onnxrun_session_set_input_shape(onnxrun_session *s, const char *name, int rank,
                                               const int64_t *dims)
{
    if (!s) return ONNXRUN_E_ARG;
    if (!s->ok) return or_errf(s->err, ONNXRUN_E_ARG, "session failed to be created");
    size_t id;
    const or_value_info *vi = name ? api_input(s->model, name, &id) : NULL;
    if (!vi) return or_errf(s->err, ONNXRUN_E_ARG, "no model input named '%s'", name ? name : "(null)");
    onnxrun_tensor t = { .dtype = vi->dtype, .rank = rank };
    if (rank < 0 || rank > OR_MAX_RANK || (rank && !dims))
        return or_errf(s->err, ONNXRUN_E_ARG, "input '%s': bad rank %d", name, rank);
    memcpy(t.dims, dims, (size_t)rank * sizeof *dims);
    static char dummy;
    t.data = &dummy;
    or_status st = check_input(s, vi, &t);
    if (st) return st;
    t.data = NULL;
    t.dtype = or_held_dtype(t.dtype);
    s->values[id].t = t;
    if (!inputs_ready(s)) return ONNXRUN_OK;
    return plan_static(s);
}

/* Buffer *buf of at least bytes (grown, kept for later runs). */
static bool reserve(void **buf, size_t *cap, size_t bytes)
{
    if (*cap >= bytes && *buf) return true;
    void *nb = realloc(*buf, bytes ? bytes : 1);
    if (!nb) return false;
    *buf = nb;
    *cap = bytes;
    return true;
}

/* The inputs as the session holds them: half-typed ones as float32 in
 * the session's buffers (the caller's array itself when none is half). */
static or_status hold_inputs(onnxrun_session *s, size_t n_in, const onnxrun_tensor *inputs,
                             const onnxrun_tensor **held)
{
    bool any = false;
    for (size_t j = 0; j < n_in; j++) any = any || or_is_half(inputs[j].dtype);
    *held = inputs;
    if (!any) return ONNXRUN_OK;
    for (size_t j = 0; j < n_in; j++) {
        s->held_in[j] = inputs[j];
        if (!or_is_half(inputs[j].dtype)) continue;
        int64_t n = or_numel(&inputs[j]);
        if (!reserve(&s->wide_in[j], &s->wide_in_cap[j], (size_t)n * sizeof(float)))
            return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory widening an input");
        or_halves_to_float(inputs[j].dtype, inputs[j].data, s->wide_in[j], n);
        s->held_in[j].dtype = ONNXRUN_FLOAT;
        s->held_in[j].data = s->wide_in[j];
    }
    *held = s->held_in;
    return ONNXRUN_OK;
}

/* Output value x as the caller gets it: in its declared half type when
 * the graph declares one (converted into the session's buffer). */
static or_status give_output(onnxrun_session *s, const char *name, const or_value *x, onnxrun_tensor *out)
{
    const or_graph *g = &s->model->m.graph;
    *out = x->t;
    if (x->kind == OR_V_INPUT) out->data = x->owned;
    for (size_t i = 0; i < g->n_outputs; i++) {
        if (strcmp(g->outputs[i].name, name) || !or_is_half(g->outputs[i].dtype) || out->dtype != ONNXRUN_FLOAT)
            continue;
        int64_t n = or_numel(out);
        if (!reserve(&s->wide_out[i], &s->wide_out_cap[i], (size_t)n * sizeof(uint16_t)))
            return or_errf(s->err, ONNXRUN_E_NOMEM, "out of memory narrowing an output");
        or_float_to_halves(g->outputs[i].dtype, out->data, s->wide_out[i], n);
        out->dtype = g->outputs[i].dtype;
        out->data = s->wide_out[i];
        break;
    }
    return ONNXRUN_OK;
}

onnxrun_status onnxrun_session_run(onnxrun_session *s, size_t n_in, const char *const *in_names,
                                   const onnxrun_tensor *inputs, size_t n_out,
                                   const char *const *out_names, onnxrun_tensor *outputs)
{
    if (!s) return ONNXRUN_E_ARG;
    if (!s->ok) return or_errf(s->err, ONNXRUN_E_ARG, "session failed to be created");
    const onnxrun_model *h = s->model;
    if ((n_in && (!in_names || !inputs)) || (n_out && !outputs))
        return or_errf(s->err, ONNXRUN_E_ARG, "input or output arrays are NULL");
    if (!out_names && n_out != h->m.graph.n_outputs)
        return or_errf(s->err, ONNXRUN_E_ARG, "%zu outputs asked for, the model has %zu", n_out,
                       h->m.graph.n_outputs);
    /* every input given once, known, and fitting its declaration */
    bool reshape = !s->planned || s->plan_needs_data;
    for (size_t i = 0; i < h->n_api_inputs; i++) {
        const or_value_info *vi = &h->m.graph.inputs[h->api_inputs[i]];
        size_t found = SIZE_MAX;
        for (size_t j = 0; j < n_in; j++)
            if (in_names[j] && !strcmp(in_names[j], vi->name)) {
                if (found != SIZE_MAX)
                    return or_errf(s->err, ONNXRUN_E_ARG, "input '%s' is given twice", vi->name);
                found = j;
            }
        if (found == SIZE_MAX)
            return or_errf(s->err, ONNXRUN_E_ARG, "input '%s' is missing", vi->name);
        or_status st = check_input(s, vi, &inputs[found]);
        if (st) return st;
    }
    for (size_t j = 0; j < n_in; j++) {
        size_t id;
        if (!in_names[j] || !api_input(h, in_names[j], &id))
            return or_errf(s->err, ONNXRUN_E_ARG, "the model has no input named '%s'",
                           in_names[j] ? in_names[j] : "(null)");
    }
    or_status held_st = hold_inputs(s, n_in, inputs, &inputs);
    if (held_st) return held_st;
    for (size_t j = 0; j < n_in; j++) {
        size_t id = 0; /* the names were checked above */
        api_input(h, in_names[j], &id);
        or_tensor *t = &s->values[id].t;
        if (!or_same_shape(t, &inputs[j])) reshape = true;
        *t = inputs[j];
    }
    if (reshape) {
        or_status st = or_plan(s, false);
        if (st && s->plan_needs_data) {
            for (size_t j = 0; j < n_in; j++) { /* planning needs the input values */
                size_t id = 0; /* the names were checked above */
                api_input(h, in_names[j], &id);
                s->values[id].t.data = inputs[j].data;
            }
            s->err[0] = 0;
            st = or_plan(s, true);
            s->plan_needs_data = true;
        }
        if (st) return st;
    }
    for (size_t j = 0; j < n_in; j++) { /* bind: or_plan clears input data */
        size_t id = 0; /* the names were checked above */
        api_input(h, in_names[j], &id);
        s->values[id].t.data = inputs[j].data;
    }
    for (size_t v = 0; v < s->n_values; v++) { /* views of inputs follow them */
        or_value *x = &s->values[v];
        if (x->is_output && x->kind == OR_V_INPUT) memcpy(x->owned, x->t.data, or_nbytes(&x->t));
    }
    or_status st = or_exec(s);
    if (st) return st;
    for (size_t j = 0; j < n_out; j++) {
        const char *name = out_names ? out_names[j] : h->m.graph.outputs[j].name;
        size_t id;
        bool is_out = false;
        if (name && or_names_get(&h->names, name, &id)) is_out = s->values[id].is_output;
        if (!is_out)
            return or_errf(s->err, ONNXRUN_E_ARG, "the model has no output named '%s'",
                           name ? name : "(null)");
        st = give_output(s, name, &s->values[id], &outputs[j]);
        if (st) return st;
    }
    return ONNXRUN_OK;
}

/* ---- tensors ---- */

onnxrun_status onnxrun_tensor_clone(const onnxrun_tensor *src, onnxrun_tensor *dst)
{
    int64_t n;
    if (!src || !dst || !or_shape_numel(src->rank, src->dims, src->dtype, &n)) return ONNXRUN_E_ARG;
    size_t bytes = (size_t)n * onnxrun_dtype_size(src->dtype);
    if (bytes && !src->data) return ONNXRUN_E_ARG;
    void *d = malloc(bytes ? bytes : 1);
    if (!d) return ONNXRUN_E_NOMEM;
    if (bytes) memcpy(d, src->data, bytes);
    *dst = *src;
    dst->data = d;
    return ONNXRUN_OK;
}

onnxrun_status onnxrun_tensor_to_float(const onnxrun_tensor *t, float *dst)
{
    int64_t n;
    if (!t || !dst || !or_shape_numel(t->rank, t->dims, t->dtype, &n) || !onnxrun_dtype_size(t->dtype) ||
        (n && !t->data))
        return ONNXRUN_E_ARG;
    if (or_is_half(t->dtype)) {
        or_halves_to_float(t->dtype, t->data, dst, n);
        return ONNXRUN_OK;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = (float)or_load_f64(t->data, t->dtype, i);
    return ONNXRUN_OK;
}

void onnxrun_tensor_release(onnxrun_tensor *t)
{
    if (!t) return;
    free(t->data);
    t->data = NULL;
}

onnxrun_status onnxrun_tensor_load_pb(const char *path, onnxrun_tensor *t, char **name, char *err,
                                      size_t err_len)
{
    char dummy[1];
    if (!err || !err_len) {
        err = dummy;
        err_len = sizeof dummy;
    }
    err[0] = 0;
    if (name) *name = NULL;
    if (!path || !t) {
        snprintf(err, err_len, "path or tensor is NULL");
        return ONNXRUN_E_ARG;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    or_status st = or_read_file(path, &buf, &len, err, err_len);
    if (!st) st = or_tensor_parse(buf, len, path, t, name, err, err_len);
    free(buf);
    return st;
}

/* ---- introspection ---- */

size_t onnxrun_session_node_count(const onnxrun_session *s)
{
    return s && s->ok ? s->n_steps : 0;
}

onnxrun_status onnxrun_session_node(const onnxrun_session *s, size_t i, onnxrun_node_info *info)
{
    if (!s || !s->ok || !info || i >= s->n_steps) return ONNXRUN_E_ARG;
    const or_step *st = &s->steps[i];
    memset(info, 0, sizeof *info);
    info->name = st->k.node->name;
    info->op_type = st->k.node->op_type;
    info->folded = st->folded;
    info->fused = st->fused;
    info->params = st->params;
    info->ms = st->ms;
    if (st->k.n_out && st->out[0]) {
        info->output = *st->out[0];
        info->output.data = NULL;
    }
    if (s->planned && st->k.def->macs) info->macs = st->k.def->macs(&st->k);
    info->algo = s->planned && !st->folded && st->k.def->algo_name ? st->k.def->algo_name(&st->k) : "";
    info->packed_bytes = s->planned && !st->folded ? st->k.packed_bytes : 0;
    return ONNXRUN_OK;
}

onnxrun_status onnxrun_session_memory(const onnxrun_session *s, onnxrun_memory_info *info)
{
    if (!s || !s->ok || !info) return ONNXRUN_E_ARG;
    /* the file's bytes still in memory (released ones are held packed only) */
    info->weights_bytes = or_weights_held(s) + s->const_bytes;
    info->arena_bytes = s->arena_bytes;
    info->lower_bound_bytes = s->lower_bound;
    info->scratch_bytes = s->scratch_bytes;
    info->packed_bytes = 0;
    for (size_t i = 0; i < s->n_steps; i++)
        if (!s->steps[i].folded) info->packed_bytes += s->steps[i].k.packed_bytes;
    info->shared_bytes = or_packs_bytes(s->model->packs);
    info->released_bytes = or_weights_released(s->model);
    info->budget_bytes = s->max_memory;
    return ONNXRUN_OK;
}

void onnxrun_session_profile(onnxrun_session *s, int on)
{
    if (s) s->profile = on != 0;
}

/* The i-th arena root of the plan, in value order. */
static const or_value *plan_root(const onnxrun_session *s, size_t i)
{
    for (size_t v = 0; s->planned && v < s->n_values; v++) {
        const or_value *x = &s->values[v];
        if (x->kind == OR_V_ARENA && x->root == (int)v && x->first >= 0 && i-- == 0) return x;
    }
    return NULL;
}

size_t onnxrun_session_plan_count(const onnxrun_session *s)
{
    size_t n = 0;
    while (s && s->ok && plan_root(s, n)) n++;
    return n;
}

onnxrun_status onnxrun_session_plan_entry(const onnxrun_session *s, size_t i, onnxrun_plan_entry *e)
{
    const or_value *x = s && s->ok && e ? plan_root(s, i) : NULL;
    if (!x) return ONNXRUN_E_ARG;
    const or_node *p = x->first < (int)s->n_steps ? s->steps[x->first].k.node : NULL;
    e->name = x->name;
    e->producer = p ? p->name : "";
    e->op_type = p ? p->op_type : "";
    e->first = x->first;
    e->last = x->last;
    e->offset = x->offset;
    e->bytes = x->bytes;
    return ONNXRUN_OK;
}
