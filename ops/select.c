/*
 * select.c - ops that select by value, so that the length of their output
 * depends on the data: NonZero (9, 13), Compress (9, 11), Unique (11) and
 * NonMaxSuppression (10, 11).
 *
 * Their infer reads the deciding input through or_need_known: a constant,
 * a graph input while planning with data, or a value the planner computes
 * at planning (interp/plan.c, eager steps). infer counts; run computes the
 * same selection again from the same data and writes it.
 *
 *   NonZero   [rank, n] int64: the indices of the non-zero elements in
 *             row-major order (a scalar counts as a 1-element vector).
 *   Compress  the slices along axis (or of the flattened input) whose
 *             condition is true; a condition shorter than the axis leaves
 *             the rest out.
 *   Unique    the distinct elements (or slices along axis): sorted
 *             ascending, or in order of first occurrence; with the index
 *             of each first occurrence, each item's group, and the counts.
 *             Items are ordered by a stable merge sort on their values.
 *   NonMaxSuppression  per batch and class, boxes by descending score
 *             (ties: lower index first; qsort on that total order) above
 *             score_threshold, each kept
 *             unless its IoU with a kept box exceeds iou_threshold, at most
 *             max_output_boxes_per_class; rows (batch, class, box).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* ---- element access ---- */

static bool is_nonzero(const void *p, onnxrun_dtype dt, int64_t i)
{
    size_t es = onnxrun_dtype_size(dt);
    const unsigned char *b = (const unsigned char *)p + (size_t)i * es;
    switch (dt) {
    case ONNXRUN_FLOAT: return ((const float *)p)[i] != 0;
    case ONNXRUN_DOUBLE: return ((const double *)p)[i] != 0;
    case ONNXRUN_FLOAT16:  return (((const uint16_t *)p)[i] & 0x7fff) != 0;
    default:
        for (size_t j = 0; j < es; j++)
            if (b[j]) return true;
        return false;
    }
}

/* Orders element i of a before element j of b (same type): -1, 0, 1. */
static int cmp_elem(const void *a, int64_t i, const void *b, int64_t j, onnxrun_dtype dt)
{
#define CMP(T) do { T x = ((const T *)a)[i], y = ((const T *)b)[j]; return x < y ? -1 : x > y; } while (0)
    switch (dt) {
    case ONNXRUN_FLOAT: CMP(float);
    case ONNXRUN_DOUBLE: CMP(double);
    case ONNXRUN_INT8: CMP(int8_t);
    case ONNXRUN_UINT8: case ONNXRUN_BOOL: CMP(uint8_t);
    case ONNXRUN_INT16: CMP(int16_t);
    case ONNXRUN_UINT16: CMP(uint16_t);
    case ONNXRUN_INT32: CMP(int32_t);
    case ONNXRUN_UINT32: CMP(uint32_t);
    case ONNXRUN_UINT64: CMP(uint64_t);
    default: CMP(int64_t);
    }
#undef CMP
}

/* ---- NonZero ---- */

static int64_t count_nonzero(const or_tensor *x)
{
    int64_t n = or_numel(x), c = 0;
    for (int64_t i = 0; i < n; i++) c += is_nonzero(x->data, x->dtype, i);
    return c;
}

static or_status nonzero_infer(or_kernel *k)
{
    const or_tensor *x;
    const void *d;
    OR_TRY(or_need_input(k, 0, &x));
    OR_CHECK_TYPE(k, x->dtype != ONNXRUN_STRING, "type string is not supported");
    OR_TRY(or_need_known(k, 0, "X", &d));
    or_tensor view = *x;
    view.data = (void *)d;
    int64_t dims[2] = { x->rank ? x->rank : 1, count_nonzero(&view) };
    return or_set_shape(k, k->out[0], ONNXRUN_INT64, 2, dims);
}

static or_status nonzero_run(or_kernel *k)
{
    const or_tensor *x = k->in[0];
    int r = x->rank ? x->rank : 1;
    int64_t n = or_numel(x), cnt = k->out[0]->dims[1], at = 0, *y = k->out[0]->data;
    int64_t idx[OR_MAX_RANK] = { 0 }, dims[OR_MAX_RANK];
    for (int a = 0; a < r; a++) dims[a] = x->rank ? x->dims[a] : 1;
    for (int64_t i = 0; i < n; i++) {
        if (is_nonzero(x->data, x->dtype, i)) {
            if (at == cnt) break;
            for (int a = 0; a < r; a++) y[a * cnt + at] = idx[a];
            at++;
        }
        for (int a = r - 1; a >= 0 && ++idx[a] == dims[a]; a--) idx[a] = 0;
    }
    if (at != cnt) return or_fail(k, ONNXRUN_E_RUNTIME, "the input changed after planning");
    return ONNXRUN_OK;
}

/* ---- Compress ---- */

typedef struct compress_params {
    bool has_axis;
    int64_t axis;
    int64_t outer, len, inner, kept; /* infer: input as [outer, len, inner] */
} compress_params;

static or_status compress_init(or_kernel *k)
{
    compress_params *p = k->params;
    p->has_axis = or_attr_has(k, "axis");
    return or_attr_int(k, "axis", 0, &p->axis);
}

static or_status compress_infer(or_kernel *k)
{
    compress_params *p = k->params;
    const or_tensor *x, *c;
    const void *cd;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_need_input(k, 1, &c));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_BOOL, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, c->rank == 1, "condition must be 1-D (it has rank %d)", c->rank);
    OR_TRY(or_need_known(k, 1, "condition", &cd));
    int a = 0;
    if (p->has_axis) OR_TRY(or_axis(k, p->axis, x->rank, &a));
    p->outer = p->has_axis ? or_dims_prod(x->dims, 0, a) : 1;
    p->len = p->has_axis ? x->dims[a] : or_numel(x);
    p->inner = p->has_axis ? or_dims_prod(x->dims, a + 1, x->rank) : 1;
    OR_CHECK_SHAPE(k, c->dims[0] <= p->len, "condition has %lld entries, more than the %lld it selects from",
                   (long long)c->dims[0], (long long)p->len);
    p->kept = 0;
    for (int64_t i = 0; i < c->dims[0]; i++) p->kept += ((const uint8_t *)cd)[i] != 0;
    if (!p->has_axis) return or_set_shape(k, k->out[0], x->dtype, 1, &p->kept);
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    dims[a] = p->kept;
    return or_set_shape(k, k->out[0], x->dtype, x->rank, dims);
}

static or_status compress_run(or_kernel *k)
{
    const compress_params *p = k->params;
    const or_tensor *x = k->in[0], *c = k->in[1];
    const uint8_t *cond = c->data;
    size_t slice = (size_t)p->inner * onnxrun_dtype_size(x->dtype);
    char *y = k->out[0]->data;
    int64_t kept = 0;
    for (int64_t i = 0; i < c->dims[0]; i++) kept += cond[i] != 0;
    if (kept != p->kept) return or_fail(k, ONNXRUN_E_RUNTIME, "the condition changed after planning");
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t i = 0; i < c->dims[0]; i++)
            if (cond[i]) {
                memcpy(y, (const char *)x->data + ((size_t)(o * p->len + i)) * slice, slice);
                y += slice;
            }
    return ONNXRUN_OK;
}

/* ---- Unique ---- */

typedef struct unique_params {
    bool has_axis, sorted;
    int64_t axis;
    int ax;
    int64_t outer, len, inner; /* X as [outer, len, inner]: items along len */
    int64_t groups;            /* infer: distinct items */
} unique_params;

static or_status unique_init(or_kernel *k)
{
    unique_params *p = k->params;
    int64_t sorted;
    p->has_axis = or_attr_has(k, "axis");
    OR_TRY(or_attr_int(k, "axis", 0, &p->axis));
    OR_TRY(or_attr_int(k, "sorted", 1, &sorted));
    p->sorted = sorted != 0;
    return ONNXRUN_OK;
}

/* Compares items a and b (slices [outer, ., inner] of x). */
static int cmp_items(const unique_params *p, const or_tensor *x, int64_t a, int64_t b)
{
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t e = 0; e < p->inner; e++) {
            int64_t base = o * p->len * p->inner + e;
            int c = cmp_elem(x->data, base + a * p->inner, x->data, base + b * p->inner, x->dtype);
            if (c) return c;
        }
    return 0;
}

/* Stable merge sort of the item numbers idx[0..n) by value (tmp: n more). */
static void sort_items(const unique_params *p, const or_tensor *x, int64_t *idx, int64_t *tmp, int64_t n)
{
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, o = lo;
            while (i < mid && j < hi) tmp[o++] = cmp_items(p, x, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
            while (i < mid) tmp[o++] = idx[i++];
            while (j < hi) tmp[o++] = idx[j++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *idx);
    }
}

/* Groups the items: first[g] (first occurrence of group g, groups in
 * output order), group[i] of every item; returns the number of groups.
 * work: 3 * len int64. */
static int64_t unique_groups(const unique_params *p, const or_tensor *x, int64_t *work, int64_t *first,
                             int64_t *group)
{
    int64_t n = p->len, *idx = work, *tmp = work + n, *rank = work + 2 * n, g = 0;
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    sort_items(p, x, idx, tmp, n);
    /* sorted runs of equal items: the first of a run is its lowest index (stable) */
    for (int64_t s = 0; s < n; s++) {
        if (s == 0 || cmp_items(p, x, idx[s - 1], idx[s]) != 0) first[g++] = idx[s];
        group[idx[s]] = g - 1;
    }
    if (!p->sorted) { /* groups by first occurrence: renumber */
        int64_t at = 0; /* rank[q]: place of group q by its first item */
        for (int64_t q = 0; q < g; q++) rank[q] = -1;
        for (int64_t i = 0; i < n; i++)
            if (rank[group[i]] < 0) rank[group[i]] = at++;
        for (int64_t q = 0; q < g; q++) tmp[rank[q]] = first[q];
        memcpy(first, tmp, (size_t)g * sizeof *first);
        for (int64_t i = 0; i < n; i++) group[i] = rank[group[i]];
    }
    return g;
}

static or_status unique_infer(or_kernel *k)
{
    unique_params *p = k->params;
    const or_tensor *x;
    const void *d;
    OR_TRY(or_need_input(k, 0, &x));
    OR_CHECK_TYPE(k, x->dtype != ONNXRUN_STRING && x->dtype != ONNXRUN_FLOAT16,
                  "type %s is not supported", onnxrun_dtype_name(x->dtype));
    p->ax = 0;
    if (p->has_axis) OR_TRY(or_axis(k, p->axis, x->rank, &p->ax)); /* checked before the data is known */
    OR_TRY(or_need_known(k, 0, "X", &d));
    p->outer = p->has_axis ? or_dims_prod(x->dims, 0, p->ax) : 1;
    p->len = p->has_axis ? x->dims[p->ax] : or_numel(x);
    p->inner = p->has_axis ? or_dims_prod(x->dims, p->ax + 1, x->rank) : 1;
    uint64_t bytes;
    OR_CHECK(k, or_mul_ok((uint64_t)p->len, 5 * sizeof(int64_t), &bytes) && bytes <= ((uint64_t)1 << 40),
             "X is too large");
    int64_t *work = malloc(bytes ? (size_t)bytes : 1);
    if (!work) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory");
    or_tensor view = *x;
    view.data = (void *)d;
    p->groups = unique_groups(p, &view, work, work + 3 * p->len, work + 4 * p->len);
    free(work);
    k->scratch_bytes = (size_t)bytes;
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    dims[p->ax] = p->groups;
    if (p->has_axis) OR_TRY(or_set_shape(k, k->out[0], x->dtype, x->rank, dims));
    else OR_TRY(or_set_shape(k, k->out[0], x->dtype, 1, &p->groups));
    if (or_out(k, 1)) OR_TRY(or_set_shape(k, k->out[1], ONNXRUN_INT64, 1, &p->groups));
    if (or_out(k, 2)) OR_TRY(or_set_shape(k, k->out[2], ONNXRUN_INT64, 1, &p->len));
    if (or_out(k, 3)) OR_TRY(or_set_shape(k, k->out[3], ONNXRUN_INT64, 1, &p->groups));
    return ONNXRUN_OK;
}

static or_status unique_run(or_kernel *k)
{
    const unique_params *p = k->params;
    const or_tensor *x = k->in[0];
    if (p->len == 0) return ONNXRUN_OK; /* nothing to group: every output is empty (no scratch) */
    int64_t *work = k->scratch, *first = work + 3 * p->len, *group = work + 4 * p->len;
    if (unique_groups(p, x, work, first, group) != p->groups)
        return or_fail(k, ONNXRUN_E_RUNTIME, "the input changed after planning");
    size_t es = onnxrun_dtype_size(x->dtype), slice = (size_t)p->inner * es;
    char *y = k->out[0]->data;
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t g = 0; g < p->groups; g++)
            memcpy(y + (size_t)(o * p->groups + g) * slice,
                   (const char *)x->data + (size_t)(o * p->len + first[g]) * slice, slice);
    if (or_out(k, 1)) memcpy(k->out[1]->data, first, (size_t)p->groups * sizeof *first);
    if (or_out(k, 2)) memcpy(k->out[2]->data, group, (size_t)p->len * sizeof *group);
    if (or_out(k, 3)) {
        int64_t *c = k->out[3]->data;
        memset(c, 0, (size_t)p->groups * sizeof *c);
        for (int64_t i = 0; i < p->len; i++) c[group[i]]++;
    }
    return ONNXRUN_OK;
}

/* ---- NonMaxSuppression ---- */

typedef struct nms_params {
    int64_t center;                 /* center_point_box */
    int64_t batches, classes, boxes;
    int64_t max_out;
    float iou, score;
    bool has_score;
    int64_t selected;               /* infer: rows of the output */
} nms_params;

static or_status nms_init(or_kernel *k)
{
    nms_params *p = k->params;
    OR_TRY(or_attr_int(k, "center_point_box", 0, &p->center));
    OR_CHECK(k, p->center == 0 || p->center == 1, "attribute 'center_point_box' = %lld must be 0 or 1",
             (long long)p->center);
    return ONNXRUN_OK;
}

/* Corners (y1, x1, y2, x2) with y1 <= y2, x1 <= x2 of box b. */
static void corners(const nms_params *p, const float *b, float *c)
{
    if (p->center) {
        c[0] = b[1] - b[3] / 2;
        c[1] = b[0] - b[2] / 2;
        c[2] = b[1] + b[3] / 2;
        c[3] = b[0] + b[2] / 2;
    } else {
        c[0] = fminf(b[0], b[2]);
        c[1] = fminf(b[1], b[3]);
        c[2] = fmaxf(b[0], b[2]);
        c[3] = fmaxf(b[1], b[3]);
    }
}

static bool suppresses(const nms_params *p, const float *a, const float *b)
{
    float ca[4], cb[4];
    corners(p, a, ca);
    corners(p, b, cb);
    float ih = fminf(ca[2], cb[2]) - fmaxf(ca[0], cb[0]), iw = fminf(ca[3], cb[3]) - fmaxf(ca[1], cb[1]);
    float area_a = (ca[2] - ca[0]) * (ca[3] - ca[1]), area_b = (cb[2] - cb[0]) * (cb[3] - cb[1]);
    if (area_a <= 0 || area_b <= 0 || ih <= 0 || iw <= 0) return false;
    float inter = ih * iw;
    return inter / (area_a + area_b - inter) > p->iou;
}

typedef struct scored {
    float score;
    int64_t index;
} scored;

/* Descending score, lower index first on ties: a total order, so qsort's
 * instability cannot show. */
static int by_score(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    bool xn = x->score != x->score, yn = y->score != y->score; /* NaN after every number */
    if (xn != yn) return xn ? 1 : -1;
    if (!xn && x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Selects for every batch and class; writes rows into y when not NULL.
 * work: NMS_WORK(boxes) bytes. Returns the number of rows. */
#define NMS_WORK(n) ((size_t)(n) * (sizeof(scored) + sizeof(int64_t)) + 16)
static int64_t nms_select(const nms_params *p, const float *boxes, const float *scores, void *work, int64_t *y)
{
    int64_t rows = 0, N = p->boxes;
    scored *order = work;
    int64_t *kept = (int64_t *)(order + N);
    for (int64_t b = 0; b < p->batches; b++)
        for (int64_t c = 0; c < p->classes; c++) {
            const float *sc = scores + (b * p->classes + c) * N, *bx = boxes + b * N * 4;
            int64_t n = 0, nk = 0;
            for (int64_t i = 0; i < N; i++)
                if (!p->has_score || sc[i] > p->score) order[n++] = (scored){ sc[i], i };
            qsort(order, (size_t)n, sizeof *order, by_score);
            for (int64_t i = 0; i < n && nk < p->max_out; i++) {
                int64_t at = order[i].index;
                bool keep = true;
                for (int64_t q = 0; q < nk && keep; q++) keep = !suppresses(p, bx + kept[q] * 4, bx + at * 4);
                if (!keep) continue;
                kept[nk++] = at;
                if (y) {
                    y[rows * 3] = b;
                    y[rows * 3 + 1] = c;
                    y[rows * 3 + 2] = at;
                }
                rows++;
            }
        }
    return rows;
}

/* The optional scalar inputs 2-4 (known at infer). */
static or_status nms_scalars(or_kernel *k, nms_params *p)
{
    static const char *const names[] = { "max_output_boxes_per_class", "iou_threshold", "score_threshold" };
    p->max_out = 0;
    p->iou = 0;
    p->has_score = false;
    for (size_t i = 2; i < 5; i++) {
        const or_tensor *t = or_in(k, i);
        const void *d;
        if (!t) continue;
        OR_TRY(or_check_dtype(k, i, i == 2 ? ONNXRUN_INT64 : ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
        OR_CHECK_SHAPE(k, or_numel(t) == 1, "%s must hold one value", names[i - 2]);
        OR_TRY(or_need_known(k, i, names[i - 2], &d));
        if (i == 2) p->max_out = *(const int64_t *)d;
        if (i == 3) p->iou = *(const float *)d;
        if (i == 4) p->score = *(const float *)d;
        p->has_score = p->has_score || i == 4;
    }
    OR_CHECK(k, p->max_out >= 0, "max_output_boxes_per_class = %lld is negative", (long long)p->max_out);
    OR_CHECK(k, p->iou >= 0 && p->iou <= 1, "iou_threshold = %g is outside [0, 1]", (double)p->iou);
    return ONNXRUN_OK;
}

static or_status nms_infer(or_kernel *k)
{
    nms_params *p = k->params;
    const or_tensor *boxes, *scores;
    const void *bd, *sd;
    OR_TRY(or_need_input(k, 0, &boxes));
    OR_TRY(or_need_input(k, 1, &scores));
    OR_TRY(or_check_dtype(k, 0, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, boxes->rank == 3 && boxes->dims[2] == 4, "boxes must be [batches, boxes, 4]");
    OR_CHECK_SHAPE(k, scores->rank == 3 && scores->dims[0] == boxes->dims[0] && scores->dims[2] == boxes->dims[1],
                   "scores must be [batches, classes, boxes] = [%lld, C, %lld]", (long long)boxes->dims[0],
                   (long long)boxes->dims[1]);
    p->batches = boxes->dims[0];
    p->classes = scores->dims[1];
    p->boxes = boxes->dims[1];
    OR_TRY(nms_scalars(k, p));
    OR_TRY(or_need_known(k, 0, "boxes", &bd));
    OR_TRY(or_need_known(k, 1, "scores", &sd));
    OR_CHECK(k, p->boxes <= ((int64_t)1 << 32), "too many boxes");
    void *work = malloc(NMS_WORK(p->boxes));
    if (!work) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory");
    p->selected = nms_select(p, bd, sd, work, NULL);
    free(work);
    k->scratch_bytes = NMS_WORK(p->boxes);
    return or_set_shape(k, k->out[0], ONNXRUN_INT64, 2, (int64_t[]){ p->selected, 3 });
}

static or_status nms_run(or_kernel *k)
{
    const nms_params *p = k->params;
    if (nms_select(p, k->in[0]->data, k->in[1]->data, k->scratch, NULL) != p->selected)
        return or_fail(k, ONNXRUN_E_RUNTIME, "the input changed after planning");
    nms_select(p, k->in[0]->data, k->in[1]->data, k->scratch, k->out[0]->data);
    return ONNXRUN_OK;
}

OR_OP_TABLE(select) = {
    OR_OP("NonZero", 9, .infer = nonzero_infer, .run = nonzero_run),
    OR_OP("NonZero", 13, .infer = nonzero_infer, .run = nonzero_run),
    OR_OP("Compress", 9, .params_size = sizeof(compress_params), .init = compress_init, .infer = compress_infer,
          .run = compress_run),
    OR_OP("Compress", 11, .params_size = sizeof(compress_params), .init = compress_init, .infer = compress_infer,
          .run = compress_run),
    OR_OP("Unique", 11, .params_size = sizeof(unique_params), .init = unique_init, .infer = unique_infer,
          .run = unique_run),
    OR_OP("NonMaxSuppression", 10, .params_size = sizeof(nms_params), .init = nms_init, .infer = nms_infer,
          .run = nms_run),
    OR_OP("NonMaxSuppression", 11, .params_size = sizeof(nms_params), .init = nms_init, .infer = nms_infer,
          .run = nms_run),
};
OR_OP_TABLE_END(select);
