/*
 * kernel.c - helpers every kernel uses: error reporting, attributes read
 * with defaults and type checks, known (constant) inputs, output shapes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "op.h"

or_status or_fail(or_kernel *k, or_status st, const char *fmt, ...)
{
    if (!k->err || !k->err_len) return st;
    const or_node *n = k->node;
    int used = snprintf(k->err, k->err_len, "%s: node '%s' (#%zu, %s): ",
                        k->model_path ? k->model_path : "<model>", n ? n->name : "?",
                        n ? n->index : 0, n ? n->op_type : "?");
    if (used >= 0 && (size_t)used < k->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(k->err + used, k->err_len - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return st;
}

static const or_attr *find(const or_kernel *k, const char *name)
{
    return k->node ? or_node_attr(k->node, name) : NULL;
}

static or_status wrong_type(or_kernel *k, const or_attr *a, const char *want)
{
    return or_fail(k, ONNXRUN_E_INVALID, "attribute '%s' has type %d, expected %s", a->name,
                   (int)a->type, want);
}

bool or_attr_has(const or_kernel *k, const char *name)
{
    return find(k, name) != NULL;
}

or_status or_attr_int(or_kernel *k, const char *name, int64_t def, int64_t *out)
{
    const or_attr *a = find(k, name);
    *out = def;
    if (!a) return ONNXRUN_OK;
    if (a->type != OR_ATTR_INT) return wrong_type(k, a, "int");
    *out = a->i;
    return ONNXRUN_OK;
}

or_status or_attr_float(or_kernel *k, const char *name, float def, float *out)
{
    const or_attr *a = find(k, name);
    *out = def;
    if (!a) return ONNXRUN_OK;
    if (a->type == OR_ATTR_INT) { /* some exporters write whole numbers as ints */
        *out = (float)a->i;
        return ONNXRUN_OK;
    }
    if (a->type != OR_ATTR_FLOAT) return wrong_type(k, a, "float");
    *out = a->f;
    return ONNXRUN_OK;
}

or_status or_attr_string(or_kernel *k, const char *name, const char *def, const char **out)
{
    const or_attr *a = find(k, name);
    *out = def;
    if (!a) return ONNXRUN_OK;
    if (a->type != OR_ATTR_STRING) return wrong_type(k, a, "string");
    *out = a->s;
    return ONNXRUN_OK;
}

or_status or_attr_ints(or_kernel *k, const char *name, size_t max, int64_t *vals, size_t *n)
{
    const or_attr *a = find(k, name);
    *n = 0;
    if (!a) return ONNXRUN_OK;
    if (a->type != OR_ATTR_INTS) return wrong_type(k, a, "ints");
    if (a->n > max)
        return or_fail(k, ONNXRUN_E_INVALID, "attribute '%s' has %zu values, at most %zu allowed",
                       name, a->n, max);
    if (a->n) memcpy(vals, a->ints, a->n * sizeof *vals);
    *n = a->n;
    return ONNXRUN_OK;
}

or_status or_attr_floats(or_kernel *k, const char *name, const float **vals, size_t *n)
{
    const or_attr *a = find(k, name);
    *vals = NULL;
    *n = 0;
    if (!a) return ONNXRUN_OK;
    if (a->type != OR_ATTR_FLOATS) return wrong_type(k, a, "floats");
    *vals = a->floats;
    *n = a->n;
    return ONNXRUN_OK;
}

or_status or_attr_strings(or_kernel *k, const char *name, char *const **vals, size_t *n)
{
    const or_attr *a = find(k, name);
    *vals = NULL;
    *n = 0;
    if (!a) return ONNXRUN_OK;
    if (a->type != OR_ATTR_STRINGS) return wrong_type(k, a, "strings");
    *vals = a->strings;
    *n = a->n;
    return ONNXRUN_OK;
}

or_status or_attr_tensor(or_kernel *k, const char *name, const or_tensor **t)
{
    const or_attr *a = find(k, name);
    *t = NULL;
    if (!a) return ONNXRUN_OK;
    if (a->type != OR_ATTR_TENSOR || !a->t) return wrong_type(k, a, "tensor");
    *t = a->t;
    return ONNXRUN_OK;
}

void *or_alloc_large(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < 2 * huge) return malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes)) return NULL;
#ifdef MADV_HUGEPAGE
    /* whole huge pages only: the tail keeps ordinary pages, so RSS does not
     * grow by a partly used huge page (advice only: without it, ordinary
     * pages) */
    madvise(p, bytes / huge * huge, MADV_HUGEPAGE);
#endif
    return p;
}

or_status or_kernel_init(or_kernel *k)
{
    k->def = or_op_variant(k->def, k->isa);
    /* an op writes its first output unless its entry says it may be absent
     * (OR_OP_OPTIONAL_OUT0: the recurrent ops' Y) */
    if (k->n_out == 0 || (!k->out[0] && !(k->def->flags & OR_OP_OPTIONAL_OUT0)))
        return or_fail(k, ONNXRUN_E_INVALID, "output 0 is %s; the op needs it",
                       k->n_out == 0 ? "missing" : "absent (an empty name)");
    if (k->def->params_size) {
        k->params = calloc(1, k->def->params_size);
        if (!k->params) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory for the kernel's parameters");
    }
    return k->def->init ? k->def->init(k) : ONNXRUN_OK;
}

void or_kernel_fini(or_kernel *k)
{
    if (k->params && k->def && k->def->fini) k->def->fini(k);
    free(k->params);
    k->params = NULL;
    or_pack_drop(k);
}

const void *or_known(or_kernel *k, size_t i)
{
    or_tensor *t = or_in(k, i);
    if (!t) return NULL;
    if (i < 32) k->known_used |= 1u << i;
    if (t->data && k->fetch && k->fetch(k, i) != ONNXRUN_OK) return NULL;
    return t->data;
}

bool or_is_known(or_kernel *k, size_t i)
{
    or_tensor *t = or_in(k, i);
    if (i < 32 && t) k->known_used |= 1u << i;
    return t && t->data;
}

or_status or_need_known(or_kernel *k, size_t i, const char *what, const void **data)
{
    *data = or_known(k, i);
    if (*data || !or_in(k, i)) return ONNXRUN_OK;
    return or_fail(k, ONNXRUN_E_UNSUPPORTED, "input %zu (%s) must be known before running (it decides the output size)",
                   i, what);
}

or_status or_check_dtype(or_kernel *k, size_t i, ...)
{
    or_tensor *t = or_in(k, i);
    if (!t) return ONNXRUN_OK;
    va_list ap;
    va_start(ap, i);
    for (;;) {
        int d = va_arg(ap, int);
        if (d == ONNXRUN_UNDEFINED) break;
        if ((int)t->dtype == d) {
            va_end(ap);
            return ONNXRUN_OK;
        }
    }
    va_end(ap);
    return or_fail(k, ONNXRUN_E_UNSUPPORTED, "input %zu ('%s') has unsupported type %s", i,
                   i < k->node->n_inputs ? k->node->inputs[i] : "?", onnxrun_dtype_name(t->dtype));
}

or_status or_set_shape(or_kernel *k, or_tensor *out, onnxrun_dtype dt, int rank,
                       const int64_t *dims)
{
    int64_t n;
    if (!out) return ONNXRUN_OK;
    if (rank < 0 || rank > OR_MAX_RANK)
        return or_fail(k, ONNXRUN_E_UNSUPPORTED, "output rank %d exceeds the maximum %d", rank,
                       OR_MAX_RANK);
    if (!or_shape_numel(rank, dims, dt, &n))
        return or_fail(k, ONNXRUN_E_LIMIT, "output shape is negative or too large");
    out->dtype = dt;
    out->rank = rank;
    memmove(out->dims, dims, (size_t)rank * sizeof *dims);
    return ONNXRUN_OK;
}

or_status or_known_ints(or_kernel *k, size_t i, size_t max, int64_t *vals, size_t *n)
{
    or_tensor *t = or_in(k, i);
    const void *d = or_known(k, i);
    *n = 0;
    if (!t) return or_fail(k, ONNXRUN_E_INVALID, "input %zu is missing", i);
    if (!d)
        return or_fail(k, ONNXRUN_E_UNSUPPORTED,
                       "input %zu ('%s') must be known before running (a constant or initializer)",
                       i, k->node->inputs[i]);
    if (t->dtype != ONNXRUN_INT64 && t->dtype != ONNXRUN_INT32)
        return or_fail(k, ONNXRUN_E_INVALID, "input %zu must be int64, not %s", i,
                       onnxrun_dtype_name(t->dtype));
    if (t->rank > 1) return or_fail(k, ONNXRUN_E_SHAPE, "input %zu must be 1-D", i);
    int64_t cnt = or_numel(t);
    if ((uint64_t)cnt > max)
        return or_fail(k, ONNXRUN_E_LIMIT, "input %zu has %lld values, at most %zu allowed", i,
                       (long long)cnt, max);
    for (int64_t j = 0; j < cnt; j++)
        vals[j] = t->dtype == ONNXRUN_INT64 ? ((const int64_t *)d)[j] : ((const int32_t *)d)[j];
    *n = (size_t)cnt;
    return ONNXRUN_OK;
}

or_status or_need_input(or_kernel *k, size_t i, const or_tensor **t)
{
    *t = or_in(k, i);
    if (!*t) return or_fail(k, ONNXRUN_E_INVALID, "required input %zu is missing", i);
    if (!onnxrun_dtype_size((*t)->dtype))
        return or_fail(k, ONNXRUN_E_UNSUPPORTED, "input %zu has unsupported type %s", i,
                       onnxrun_dtype_name((*t)->dtype));
    return ONNXRUN_OK;
}

or_status or_axis(or_kernel *k, int64_t axis, int r, int *out)
{
    if (axis < -(int64_t)r || axis >= (int64_t)r)
        return or_fail(k, ONNXRUN_E_INVALID, "axis %lld is out of range for rank %d",
                       (long long)axis, r);
    *out = (int)(axis < 0 ? axis + r : axis);
    return ONNXRUN_OK;
}

double or_load_f64(const void *p, onnxrun_dtype dt, int64_t i)
{
    switch (dt) {
    case ONNXRUN_FLOAT: return ((const float *)p)[i];
    case ONNXRUN_DOUBLE: return ((const double *)p)[i];
    case ONNXRUN_INT8: return ((const int8_t *)p)[i];
    case ONNXRUN_INT16: return ((const int16_t *)p)[i];
    case ONNXRUN_INT32: return ((const int32_t *)p)[i];
    case ONNXRUN_INT64: return (double)((const int64_t *)p)[i];
    case ONNXRUN_UINT8: return ((const uint8_t *)p)[i];
    case ONNXRUN_UINT16: return ((const uint16_t *)p)[i];
    case ONNXRUN_UINT32: return ((const uint32_t *)p)[i];
    case ONNXRUN_UINT64: return (double)((const uint64_t *)p)[i];
    default: return 0;
    }
}

void or_epilogue_apply(const or_epilogue *e, float *y, const float *add, int64_t n)
{
    if (add)
        for (int64_t i = 0; i < n; i++) y[i] += add[i];
    switch (e->act) {
    case OR_ACT_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0 ? y[i] : 0;
        break;
    case OR_ACT_CLIP:
        for (int64_t i = 0; i < n; i++) y[i] = y[i] < e->lo ? e->lo : y[i] > e->hi ? e->hi : y[i];
        break;
    case OR_ACT_LEAKY:
        for (int64_t i = 0; i < n; i++) y[i] = y[i] < 0 ? e->alpha * y[i] : y[i];
        break;
    case OR_ACT_NONE:
        break;
    }
}
