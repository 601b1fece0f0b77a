/*
 * movement.c - data movement kernels: Transpose, Concat, Split, Slice,
 * Expand, Tile, Pad, Trilu, DepthToSpace, SpaceToDepth and
 * ReverseSequence (the ops addressed by index tensors are in indexing.c).
 *
 * Every kernel moves bytes with the element size, so one kernel serves every
 * dtype. Most of them reduce to copy_box, a strided n-d copy that merges
 * contiguous axes, copies contiguous rows with memcpy and walks transposes in
 * cache-sized tiles. Values that decide an output shape (Slice starts, Expand
 * shape, Tile repeats, Pad pads, Split sizes) are read at infer only through
 * or_known_ints and kept in params for run.
 */
#include <stdlib.h>
#include <string.h>

#include "op.h"

#define BOX_MAX (2 * OR_MAX_RANK)   /* Tile walks a box of twice the rank */

/* ---- shared helpers ---- */

/* Copies n elements of es bytes, dstep / sstep bytes apart. Inlined with a
 * literal es so that the memcpy becomes a single move. */
static inline __attribute__((always_inline)) void
copy_run(char *d, int64_t dstep, const char *s, int64_t sstep, int64_t n, size_t es)
{
    for (int64_t i = 0; i < n; i++) memcpy(d + i * dstep, s + i * sstep, es);
}

static void copy_elems(char *d, int64_t dstep, const char *s, int64_t sstep, int64_t n, size_t es)
{
    switch (es) {
    case 1: copy_run(d, dstep, s, sstep, n, 1); break;
    case 2: copy_run(d, dstep, s, sstep, n, 2); break;
    case 4: copy_run(d, dstep, s, sstep, n, 4); break;
    case 8: copy_run(d, dstep, s, sstep, n, 8); break;
    default: copy_run(d, dstep, s, sstep, n, es); break;
    }
}

/* 2-D transpose-like copy in TILE x TILE blocks: element (j, i) goes from
 * s + j*sj + i*si to d + j*dj + i*es (byte steps). */
enum { TILE = 32 };
static void copy_tiles(char *d, int64_t dj, const char *s, int64_t sj, int64_t si, int64_t nj,
                       int64_t ni, size_t es)
{
    for (int64_t j0 = 0; j0 < nj; j0 += TILE)
        for (int64_t i0 = 0; i0 < ni; i0 += TILE) {
            int64_t j1 = j0 + TILE < nj ? j0 + TILE : nj, cnt = i0 + TILE < ni ? TILE : ni - i0;
            for (int64_t j = j0; j < j1; j++)
                copy_elems(d + j * dj + i0 * (int64_t)es, (int64_t)es, s + j * sj + i0 * si, si, cnt,
                           es);
        }
}

/* Copies a box of dims[0..rank) elements of es bytes: the element at index
 * (i_0, ..) is read at src + sum(i_a * sstr[a]) elements and written at
 * dst + sum(i_a * dstr[a]) elements. Source strides may be 0 (broadcast) or
 * negative (reversed slices). The caller guarantees that every addressed
 * element lies inside its buffer; rank <= BOX_MAX. */
static void copy_box(char *dst, const int64_t *dstr, const char *src, const int64_t *sstr,
                     int rank, const int64_t *dims, size_t es)
{
    int64_t n[BOX_MAX], ds[BOX_MAX], ss[BOX_MAX];
    int r = 0;
    /* an empty box first: its other dims (Tile's repeats) may be huge, and
     * the stride products below fit only for a box that exists */
    for (int a = 0; a < rank; a++)
        if (dims[a] == 0) return;
    for (int a = 0; a < rank; a++) {
        if (dims[a] == 1) continue;
        if (r > 0 && ds[r - 1] == dstr[a] * dims[a] && ss[r - 1] == sstr[a] * dims[a]) {
            n[r - 1] *= dims[a];    /* axis a continues the previous one in both buffers */
            ds[r - 1] = dstr[a];
            ss[r - 1] = sstr[a];
        } else {
            n[r] = dims[a];
            ds[r] = dstr[a];
            ss[r] = sstr[a];
            r++;
        }
    }
    if (r == 0) {
        memcpy(dst, src, es);
        return;
    }
    const int64_t e = (int64_t)es;
    for (int a = 0; a < r; a++) {
        ds[a] *= e;
        ss[a] *= e;
    }
    /* the innermost work: a contiguous row, a tile pair (a transpose) or a strided run */
    enum { ROW, TILES, RUN } mode = RUN;
    int in = r - 1, tj = -1;
    if (ds[in] == e && ss[in] == e) {
        mode = ROW;
    } else if (ds[in] == e) {
        for (int a = 0; a < in; a++)
            if (ss[a] == e && n[a] >= 4 && n[in] >= 4) tj = a;
        if (tj >= 0) mode = TILES;
    }
    int outer[BOX_MAX], no = 0;
    for (int a = 0; a < in; a++)
        if (a != tj) outer[no++] = a;
    int64_t idx[BOX_MAX] = { 0 }, doff = 0, soff = 0;
    for (;;) {
        char *d = dst + doff;
        const char *s = src + soff;
        if (mode == ROW) memcpy(d, s, (size_t)(n[in] * e));
        else if (mode == TILES) copy_tiles(d, ds[tj], s, ss[tj], ss[in], n[tj], n[in], es);
        else copy_elems(d, ds[in], s, ss[in], n[in], es);
        int q = no - 1;
        for (; q >= 0; q--) {
            int a = outer[q];
            doff += ds[a];
            soff += ss[a];
            if (++idx[q] < n[a]) break;
            doff -= ds[a] * n[a];
            soff -= ss[a] * n[a];
            idx[q] = 0;
        }
        if (q < 0) break;
    }
}

/* Copies all of src (shape of dst, strides sstr) into the contiguous dst. */
static void copy_to_contiguous(or_tensor *dst, const char *src, const int64_t *sstr)
{
    int64_t dstr[OR_MAX_RANK];
    or_strides(dst->rank, dst->dims, dstr);
    copy_box(dst->data, dstr, src, sstr, dst->rank, dst->dims, onnxrun_dtype_size(dst->dtype));
}

/* ---- Transpose ---- */

typedef struct transpose_params {
    size_t n_perm;
    int64_t perm[OR_MAX_RANK];   /* attribute; empty = reverse */
    int axes[OR_MAX_RANK];       /* effective permutation (infer) */
} transpose_params;

static or_status transpose_init(or_kernel *k)
{
    transpose_params *p = k->params;
    return or_attr_ints(k, "perm", OR_MAX_RANK, p->perm, &p->n_perm);
}

static or_status transpose_infer(or_kernel *k)
{
    transpose_params *p = k->params;
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    int r = x->rank;
    int64_t dims[OR_MAX_RANK];
    bool seen[OR_MAX_RANK] = { false };
    if (p->n_perm == 0) {
        for (int i = 0; i < r; i++) p->axes[i] = r - 1 - i;
    } else {
        OR_CHECK(k, p->n_perm == (size_t)r, "perm has %zu entries but the input has rank %d",
                 p->n_perm, r);
        for (int i = 0; i < r; i++) {
            int64_t v = p->perm[i];
            OR_CHECK(k, v >= 0 && v < r && !seen[v], "perm is not a permutation of 0..%d", r - 1);
            seen[v] = true;
            p->axes[i] = (int)v;
        }
    }
    for (int i = 0; i < r; i++) dims[i] = x->dims[p->axes[i]];
    return or_set_shape(k, k->out[0], x->dtype, r, dims);
}

static or_status transpose_run(or_kernel *k)
{
    const transpose_params *p = k->params;
    const or_tensor *x = k->in[0];
    int64_t istr[OR_MAX_RANK], sstr[OR_MAX_RANK];
    or_strides(x->rank, x->dims, istr);
    for (int i = 0; i < x->rank; i++) sstr[i] = istr[p->axes[i]];
    copy_to_contiguous(k->out[0], x->data, sstr);
    return ONNXRUN_OK;
}

/* ---- the axis attribute (Concat, Split) ---- */

typedef struct axis_params {
    int64_t axis;   /* attribute */
    int ax;         /* normalised (infer) */
} axis_params;

/* Reads attribute "axis" (default def; an error if absent and required). */
static or_status axis_init(or_kernel *k, int64_t def, bool required)
{
    axis_params *p = k->params;
    if (required && !or_attr_has(k, "axis"))
        return or_fail(k, ONNXRUN_E_INVALID, "attribute 'axis' is required");
    return or_attr_int(k, "axis", def, &p->axis);
}

/* Normalises p->axis for rank r. Negative axes are accepted at every opset:
 * exporters wrote them (PyTorch's Split at opset 6) before the spec allowed
 * them at 11, and their meaning is unambiguous. */
static or_status axis_resolve(or_kernel *k, int r)
{
    axis_params *p = k->params;
    return or_axis(k, p->axis, r, &p->ax);
}

/* ---- Concat ---- */

static or_status concat_init(or_kernel *k)
{
    return axis_init(k, 1, k->def->since >= 4);
}

static or_status concat_infer(or_kernel *k)
{
    axis_params *p = k->params;
    const or_tensor *x0;
    OR_CHECK(k, k->n_in >= 1, "needs at least one input");
    OR_TRY(or_need_input(k, 0, &x0));
    OR_CHECK_SHAPE(k, x0->rank >= 1, "cannot concatenate scalars");
    OR_TRY(axis_resolve(k, x0->rank));
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    for (size_t i = 1; i < k->n_in; i++) {
        const or_tensor *x;
        OR_TRY(or_need_input(k, i, &x));
        OR_CHECK(k, x->dtype == x0->dtype, "input %zu is %s but input 0 is %s", i,
                 onnxrun_dtype_name(x->dtype), onnxrun_dtype_name(x0->dtype));
        OR_CHECK_SHAPE(k, x->rank == x0->rank, "input %zu has rank %d but input 0 has rank %d", i,
                       x->rank, x0->rank);
        for (int d = 0; d < x->rank; d++)
            OR_CHECK_SHAPE(k, d == p->ax || x->dims[d] == x0->dims[d],
                           "input %zu has dim %d = %lld but input 0 has %lld", i, d,
                           (long long)x->dims[d], (long long)x0->dims[d]);
        uint64_t sum;
        if (!or_add_ok((uint64_t)dims[p->ax], (uint64_t)x->dims[p->ax], &sum) ||
            sum > OR_MAX_TENSOR_BYTES)
            return or_fail(k, ONNXRUN_E_LIMIT, "concatenated axis is too large");
        dims[p->ax] = (int64_t)sum;
    }
    return or_set_shape(k, k->out[0], x0->dtype, x0->rank, dims);
}

static or_status concat_run(or_kernel *k)
{
    const axis_params *p = k->params;
    or_tensor *y = k->out[0];
    size_t es = onnxrun_dtype_size(y->dtype);
    int64_t outer = or_dims_prod(y->dims, 0, p->ax), inner = or_dims_prod(y->dims, p->ax + 1, y->rank) * (int64_t)es;
    char *d = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (size_t i = 0; i < k->n_in; i++) {
            const or_tensor *x = k->in[i];
            size_t chunk = (size_t)(x->dims[p->ax] * inner);
            if (!chunk) continue;
            memcpy(d, (const char *)x->data + (size_t)o * chunk, chunk);
            d += chunk;
        }
    return ONNXRUN_OK;
}

/* ---- Split ---- */

typedef struct split_params {
    axis_params a;       /* first: axis_init / axis_resolve use it */
    size_t n_attr;       /* count of the 'split' attribute (before opset 13) */
    int64_t num_outputs; /* attribute of opset 18, 0 if absent */
    int64_t *sizes;      /* [n_out], owned: attribute values, then the effective sizes (infer) */
} split_params;

static void split_fini(or_kernel *k)
{
    split_params *p = k->params;
    free(p->sizes);
}

static or_status split_init(or_kernel *k)
{
    OR_CHECK(k, k->n_out >= 1, "needs at least one output");
    split_params *p = k->params;
    p->sizes = calloc(k->n_out, sizeof p->sizes[0]);
    if (!p->sizes) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory for the kernel's parameters");
    OR_TRY(or_attr_int(k, "axis", 0, &p->a.axis));
    if (k->def->since < 13) OR_TRY(or_attr_ints(k, "split", k->n_out, p->sizes, &p->n_attr));
    if (k->def->since >= 18) {
        OR_TRY(or_attr_int(k, "num_outputs", 0, &p->num_outputs));
        OR_CHECK(k, !or_attr_has(k, "num_outputs") || p->num_outputs == (int64_t)k->n_out,
                 "num_outputs is %lld but the node has %zu outputs", (long long)p->num_outputs,
                 k->n_out);
    }
    return ONNXRUN_OK;
}

static or_status split_infer(or_kernel *k)
{
    split_params *p = k->params;
    const or_tensor *x;
    size_t n = k->n_out, got = 0;
    OR_TRY(or_need_input(k, 0, &x));
    OR_CHECK_SHAPE(k, x->rank >= 1, "cannot split a scalar");
    OR_TRY(axis_resolve(k, x->rank));
    int64_t dim = x->dims[p->a.ax];
    /* the split sizes come from input 1 (opset 13, and opset 1's optional
     * input), or the attribute; else equal parts */
    bool from_input = or_in(k, 1) && (k->def->since >= 13 || k->def->since == 1);
    if (from_input) {
        OR_TRY(or_known_ints(k, 1, n, p->sizes, &got));
        OR_CHECK(k, got == n, "split has %zu values but the node has %zu outputs", got, n);
    } else if (p->n_attr) {
        OR_CHECK(k, p->n_attr == n, "split has %zu values but the node has %zu outputs", p->n_attr, n);
        got = n;
    }
    if (got) {
        int64_t sum = 0;
        for (size_t j = 0; j < n; j++) {
            OR_CHECK(k, p->sizes[j] >= 0 && p->sizes[j] <= dim, "split size %lld is invalid",
                     (long long)p->sizes[j]);
            sum += p->sizes[j];   /* each <= dim <= 2^40, at most 2^16 outputs: no overflow */
            OR_CHECK_SHAPE(k, sum <= dim, "split sizes add up to more than the dim %lld",
                           (long long)dim);
        }
        OR_CHECK_SHAPE(k, sum == dim, "split sizes add up to %lld, not the dim %lld",
                       (long long)sum, (long long)dim);
    } else if (p->num_outputs) {
        int64_t part = (dim + (int64_t)n - 1) / (int64_t)n;
        OR_CHECK_SHAPE(k, part * (int64_t)(n - 1) <= dim,
                       "cannot split dim %lld into %zu parts of %lld", (long long)dim, n,
                       (long long)part);
        for (size_t j = 0; j < n; j++) p->sizes[j] = j + 1 < n ? part : dim - part * (int64_t)(n - 1);
    } else {
        OR_CHECK_SHAPE(k, dim % (int64_t)n == 0, "cannot split dim %lld into %zu equal parts",
                       (long long)dim, n);
        for (size_t j = 0; j < n; j++) p->sizes[j] = dim / (int64_t)n;
    }
    int64_t dims[OR_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    for (size_t j = 0; j < n; j++) {
        dims[p->a.ax] = p->sizes[j];
        OR_TRY(or_set_shape(k, k->out[j], x->dtype, x->rank, dims));
    }
    return ONNXRUN_OK;
}

static or_status split_run(or_kernel *k)
{
    const split_params *p = k->params;
    const or_tensor *x = k->in[0];
    size_t es = onnxrun_dtype_size(x->dtype);
    int ax = p->a.ax;
    int64_t outer = or_dims_prod(x->dims, 0, ax), inner = or_dims_prod(x->dims, ax + 1, x->rank) * (int64_t)es;
    const char *s = x->data;
    for (int64_t o = 0; o < outer; o++)
        for (size_t j = 0; j < k->n_out; j++) {
            size_t chunk = (size_t)(p->sizes[j] * inner);
            if (k->out[j] && chunk) memcpy((char *)k->out[j]->data + (size_t)o * chunk, s, chunk);
            s += chunk;
        }
    return ONNXRUN_OK;
}

/* ---- Slice ---- */

typedef struct slice_params {
    int64_t start[OR_MAX_RANK];   /* per input axis (infer) */
    int64_t step[OR_MAX_RANK];
} slice_params;

/* Effective start, step and count of one sliced axis of size dim (ONNX
 * rules: negative values count from the end, then clamp by step sign). */
static void slice_axis(int64_t dim, int64_t s, int64_t e, int64_t step, int64_t *start,
                       int64_t *count)
{
    if (s < 0) s += dim;   /* s < 0 <= dim: cannot overflow */
    if (e < 0) e += dim;
    *start = 0;
    *count = 0;
    if (dim == 0) return;
    if (step > 0) {
        s = s < 0 ? 0 : s > dim ? dim : s;
        e = e < 0 ? 0 : e > dim ? dim : e;
        if (e > s) *count = (e - s - 1) / step + 1;
    } else {
        s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        uint64_t mag = (uint64_t)(-(step + 1)) + 1;   /* |step| without overflow at INT64_MIN */
        if (s > e) *count = (int64_t)((uint64_t)(s - e - 1) / mag + 1);
    }
    *start = s;
}

static or_status slice_infer(or_kernel *k)
{
    slice_params *p = k->params;
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    int r = x->rank;
    int64_t starts[OR_MAX_RANK], ends[OR_MAX_RANK], axes[OR_MAX_RANK], steps[OR_MAX_RANK];
    size_t ns, ne, na = 0, nst = 0;
    if (k->def->since < 10) {
        OR_TRY(or_attr_ints(k, "starts", OR_MAX_RANK, starts, &ns));
        OR_TRY(or_attr_ints(k, "ends", OR_MAX_RANK, ends, &ne));
        OR_TRY(or_attr_ints(k, "axes", OR_MAX_RANK, axes, &na));
    } else {
        OR_TRY(or_known_ints(k, 1, OR_MAX_RANK, starts, &ns));
        OR_TRY(or_known_ints(k, 2, OR_MAX_RANK, ends, &ne));
        if (or_in(k, 3)) OR_TRY(or_known_ints(k, 3, OR_MAX_RANK, axes, &na));
        if (or_in(k, 4)) OR_TRY(or_known_ints(k, 4, OR_MAX_RANK, steps, &nst));
    }
    OR_CHECK(k, ns == ne, "starts has %zu values but ends has %zu", ns, ne);
    if (!na)
        for (size_t i = 0; i < ns; i++) axes[i] = (int64_t)i;
    else OR_CHECK(k, na == ns, "axes has %zu values but starts has %zu", na, ns);
    if (!nst)
        for (size_t i = 0; i < ns; i++) steps[i] = 1;
    else OR_CHECK(k, nst == ns, "steps has %zu values but starts has %zu", nst, ns);
    int64_t dims[OR_MAX_RANK];
    bool seen[OR_MAX_RANK] = { false };
    for (int a = 0; a < r; a++) {
        p->start[a] = 0;
        p->step[a] = 1;
        dims[a] = x->dims[a];
    }
    for (size_t i = 0; i < ns; i++) {
        int a;
        OR_TRY(or_axis(k, axes[i], r, &a));
        OR_CHECK(k, !seen[a], "axis %d is sliced twice", a);
        OR_CHECK(k, steps[i] != 0, "step %zu is 0", i);
        seen[a] = true;
        slice_axis(x->dims[a], starts[i], ends[i], steps[i], &p->start[a], &dims[a]);
        p->step[a] = dims[a] > 1 ? steps[i] : 1;   /* |step| < dim when used: strides stay small */
    }
    return or_set_shape(k, k->out[0], x->dtype, r, dims);
}

static or_status slice_run(or_kernel *k)
{
    const slice_params *p = k->params;
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    if (!or_numel(y)) return ONNXRUN_OK;
    int64_t xs[OR_MAX_RANK], sstr[OR_MAX_RANK], off = 0;
    or_strides(x->rank, x->dims, xs);
    for (int a = 0; a < x->rank; a++) {
        off += p->start[a] * xs[a];
        sstr[a] = p->step[a] * xs[a];
    }
    copy_to_contiguous(y, (const char *)x->data + (size_t)off * onnxrun_dtype_size(x->dtype), sstr);
    return ONNXRUN_OK;
}

/* ---- Expand ---- */

static or_status expand_infer(or_kernel *k)
{
    const or_tensor *x;
    int64_t shape[OR_MAX_RANK], dims[OR_MAX_RANK];
    size_t n;
    int ro;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_known_ints(k, 1, OR_MAX_RANK, shape, &n));
    for (size_t i = 0; i < n; i++)
        OR_CHECK_SHAPE(k, shape[i] >= 0, "shape value %lld is negative", (long long)shape[i]);
    if (!or_broadcast_shape(x->rank, x->dims, (int)n, shape, &ro, dims)) {
        char a[128];
        or_shape_str(x, a, sizeof a);
        return or_fail(k, ONNXRUN_E_SHAPE, "input shape %s does not broadcast to the given shape", a);
    }
    return or_set_shape(k, k->out[0], x->dtype, ro, dims);
}

static or_status expand_run(or_kernel *k)
{
    int64_t sstr[OR_MAX_RANK];
    or_broadcast_strides(k->in[0], k->out[0], sstr);
    copy_to_contiguous(k->out[0], k->in[0]->data, sstr);
    return ONNXRUN_OK;
}

/* ---- Trilu ---- */

/*
 * Trilu keeps the upper (upper = 1, the default) or lower triangle of each
 * matrix of the last two axes, from diagonal k (input 1, default 0: the
 * main one; k > 0 above it, k < 0 below): element (i, j) stays when j - i
 * >= k (upper) or j - i <= k (lower), else it is zero. k is data: read at
 * run, any int64 (past the matrix, everything or nothing stays).
 */
typedef struct trilu_params {
    bool upper;
} trilu_params;

static or_status trilu_init(or_kernel *k)
{
    trilu_params *p = k->params;
    int64_t upper;
    OR_TRY(or_attr_int(k, "upper", 1, &upper));
    OR_CHECK(k, upper == 0 || upper == 1, "upper must be 0 or 1, not %lld", (long long)upper);
    p->upper = upper == 1;
    return ONNXRUN_OK;
}

static or_status trilu_infer(or_kernel *k)
{
    const or_tensor *x, *kt = or_in(k, 1);
    OR_TRY(or_need_input(k, 0, &x));
    OR_CHECK_SHAPE(k, x->rank >= 2, "input has rank %d; Trilu needs 2 or more", x->rank);
    if (kt)
        OR_CHECK_SHAPE(k, kt->dtype == ONNXRUN_INT64 && or_numel(kt) == 1,
                       "k must be one int64 value (a %s tensor of %lld)", onnxrun_dtype_name(kt->dtype),
                       (long long)or_numel(kt));
    return or_set_shape(k, k->out[0], x->dtype, x->rank, x->dims);
}

static or_status trilu_run(or_kernel *k)
{
    const trilu_params *p = k->params;
    const or_tensor *x = k->in[0], *kt = or_in(k, 1);
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    int64_t diag = kt ? *(const int64_t *)kt->data : 0;
    /* past the matrix either way, k acts as just past it (no overflow below) */
    if (diag > cols) diag = cols + 1;
    if (diag < -rows) diag = -rows - 1;
    size_t es = onnxrun_dtype_size(x->dtype);
    int64_t mats = rows > 0 && cols > 0 ? or_numel(x) / (rows * cols) : 0;
    const char *src = x->data;
    char *dst = k->out[0]->data;
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++) {
            /* columns [lo, hi) stay */
            int64_t edge = i + diag, lo = 0, hi = cols;
            if (p->upper) lo = edge < 0 ? 0 : edge > cols ? cols : edge;
            else hi = edge + 1 < 0 ? 0 : edge + 1 > cols ? cols : edge + 1;
            size_t at = (size_t)((m * rows + i) * cols) * es;
            memset(dst + at, 0, (size_t)lo * es);
            if (hi > lo && dst != src)
                memcpy(dst + at + (size_t)lo * es, src + at + (size_t)lo * es, (size_t)(hi - lo) * es);
            memset(dst + at + (size_t)hi * es, 0, (size_t)(cols - hi) * es);
        }
    return ONNXRUN_OK;
}

/* ---- DepthToSpace, SpaceToDepth ---- */

/*
 * DepthToSpace moves channels into b x b spatial blocks: for X [N, C, H,
 * W] and C' = C / b^2, Y [N, C', H b, W b] has
 *   Y[n][c][h b + i][w b + j] = X[n][(i b + j) C' + c][h][w]      (DCR)
 *   Y[n][c][h b + i][w b + j] = X[n][(c b + i) b + j][h][w]       (CRD)
 * and SpaceToDepth is DCR's inverse, X [N, C, H, W] to [N, C b^2, H / b,
 * W / b]. One kernel: it walks the space side (the output of
 * DepthToSpace, the input of SpaceToDepth) row by row and moves each
 * element to or from its channel plane on the depth side.
 */
typedef struct d2s_params {
    int64_t b;
    bool crd;           /* DepthToSpace mode CRD */
    bool to_depth;      /* SpaceToDepth */
} d2s_params;

static or_status d2s_init(or_kernel *k)
{
    d2s_params *p = k->params;
    p->to_depth = strcmp(k->def->op_type, "SpaceToDepth") == 0;
    OR_TRY(or_attr_int(k, "blocksize", 0, &p->b));
    OR_CHECK(k, p->b >= 1 && p->b <= (1 << 16), "blocksize %lld is not in 1..65536",
             (long long)p->b);
    const char *mode = "DCR";
    if (!p->to_depth && k->def->since >= 11) OR_TRY(or_attr_string(k, "mode", "DCR", &mode));
    OR_CHECK(k, strcmp(mode, "DCR") == 0 || strcmp(mode, "CRD") == 0,
             "mode must be DCR or CRD, not %s", mode);
    p->crd = strcmp(mode, "CRD") == 0;
    return ONNXRUN_OK;
}

static or_status d2s_infer(or_kernel *k)
{
    const d2s_params *p = k->params;
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    OR_CHECK_SHAPE(k, x->rank == 4, "input has rank %d; %s takes [N, C, H, W]", x->rank,
                   k->def->op_type);
    int64_t b = p->b, bb = b * b, d[4] = { x->dims[0], 0, 0, 0 };
    if (p->to_depth) {
        OR_CHECK_SHAPE(k, x->dims[2] % b == 0 && x->dims[3] % b == 0,
                       "height %lld and width %lld must be multiples of blocksize %lld",
                       (long long)x->dims[2], (long long)x->dims[3], (long long)b);
        uint64_t c;
        OR_CHECK(k, or_mul_ok((uint64_t)x->dims[1], (uint64_t)bb, &c) && c <= OR_MAX_TENSOR_BYTES,
                 "channels x blocksize^2 overflow");
        d[1] = (int64_t)c;
        d[2] = x->dims[2] / b;
        d[3] = x->dims[3] / b;
    } else {
        OR_CHECK_SHAPE(k, x->dims[1] % bb == 0, "channels %lld must be a multiple of blocksize^2 %lld",
                       (long long)x->dims[1], (long long)bb);
        uint64_t h, w;
        OR_CHECK(k, or_mul_ok((uint64_t)x->dims[2], (uint64_t)b, &h) && h <= OR_MAX_TENSOR_BYTES &&
                        or_mul_ok((uint64_t)x->dims[3], (uint64_t)b, &w) && w <= OR_MAX_TENSOR_BYTES,
                 "spatial size x blocksize overflows");
        d[1] = x->dims[1] / bb;
        d[2] = (int64_t)h;
        d[3] = (int64_t)w;
    }
    return or_set_shape(k, k->out[0], x->dtype, 4, d);
}

static or_status d2s_run(or_kernel *k)
{
    const d2s_params *p = k->params;
    /* the space side S [N, C', H b, W b] and the depth side D [N, C' b^2, H, W] */
    const or_tensor *space = p->to_depth ? k->in[0] : k->out[0];
    const or_tensor *depth = p->to_depth ? k->out[0] : k->in[0];
    int64_t n = space->dims[0], cs = space->dims[1], hs = space->dims[2], ws = space->dims[3];
    int64_t b = p->b, h = depth->dims[2], w = depth->dims[3];
    size_t es = onnxrun_dtype_size(space->dtype);
    char *sp = space->data, *dp = depth->data;
    for (int64_t in = 0; in < n; in++)
        for (int64_t c = 0; c < cs; c++)
            for (int64_t row = 0; row < hs; row++) {
                int64_t hh = row / b, i = row % b;
                size_t s_at = (size_t)(((in * cs + c) * hs + row) * ws) * es;
                for (int64_t j = 0; j < b; j++) {
                    /* the depth side's channel of (c, i, j) */
                    int64_t dc = p->crd ? (c * b + i) * b + j : (i * b + j) * cs + c;
                    size_t d_at = (size_t)(((in * cs * b * b + dc) * h + hh) * w) * es;
                    for (int64_t ww = 0; ww < w; ww++) {
                        char *s_el = sp + s_at + (size_t)(ww * b + j) * es, *d_el = dp + d_at + (size_t)ww * es;
                        if (p->to_depth) memcpy(d_el, s_el, es);
                        else memcpy(s_el, d_el, es);
                    }
                }
            }
    return ONNXRUN_OK;
}

/* ---- ReverseSequence ---- */

typedef struct revseq_params {
    int64_t batch_axis, time_axis;
} revseq_params;

static or_status revseq_init(or_kernel *k)
{
    revseq_params *p = k->params;
    OR_TRY(or_attr_int(k, "batch_axis", 1, &p->batch_axis));
    OR_TRY(or_attr_int(k, "time_axis", 0, &p->time_axis));
    OR_CHECK(k, (p->batch_axis == 0 || p->batch_axis == 1) && p->time_axis == 1 - p->batch_axis,
             "attributes batch_axis = %lld and time_axis = %lld must be 0 and 1 in some order",
             (long long)p->batch_axis, (long long)p->time_axis);
    return ONNXRUN_OK;
}

static or_status revseq_infer(or_kernel *k)
{
    const revseq_params *p = k->params;
    const or_tensor *x, *lens;
    OR_TRY(or_need_input(k, 0, &x));
    OR_TRY(or_need_input(k, 1, &lens));
    OR_TRY(or_check_dtype(k, 1, ONNXRUN_INT64, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 2, "input has rank %d; expected at least 2", x->rank);
    OR_CHECK_SHAPE(k, lens->rank == 1 && lens->dims[0] == x->dims[p->batch_axis],
                   "sequence_lens must be 1-D with the batch size %lld",
                   (long long)x->dims[p->batch_axis]);
    return or_set_shape(k, k->out[0], x->dtype, x->rank, x->dims);
}

/* Row (b, t) of the [2 dims, inner] view moves to (b, len[b] - 1 - t) for
 * t < len[b], else stays. */
static or_status revseq_run(or_kernel *k)
{
    const revseq_params *p = k->params;
    const or_tensor *x = k->in[0];
    const int64_t *lens = k->in[1]->data;
    int64_t nb = x->dims[p->batch_axis], nt = x->dims[p->time_axis];
    for (int64_t b = 0; b < nb; b++)
        if (lens[b] < 0 || lens[b] > nt)
            return or_fail(k, ONNXRUN_E_RUNTIME,
                           "sequence_lens[%lld] = %lld is outside [0, %lld] (the time axis)",
                           (long long)b, (long long)lens[b], (long long)nt);
    size_t row = (size_t)or_dims_prod(x->dims, 2, x->rank) * onnxrun_dtype_size(x->dtype);
    if (!row) return ONNXRUN_OK;
    /* row (b, t) is at b * bs + t * ts */
    int64_t bs = p->batch_axis == 0 ? nt : 1, ts = p->batch_axis == 0 ? 1 : nb;
    const char *s = x->data;
    char *d = k->out[0]->data;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t t = 0; t < nt; t++) {
            int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
            memcpy(d + (size_t)(b * bs + t * ts) * row, s + (size_t)(b * bs + from * ts) * row, row);
        }
    return ONNXRUN_OK;
}

/* ---- Tile ---- */

typedef struct tile_params {
    int64_t reps[OR_MAX_RANK];   /* per axis (infer) */
} tile_params;

static or_status tile_infer(or_kernel *k)
{
    tile_params *p = k->params;
    const or_tensor *x;
    int64_t dims[OR_MAX_RANK];
    size_t n;
    OR_TRY(or_need_input(k, 0, &x));
    int r = x->rank;
    if (k->def->since >= 6) {
        OR_TRY(or_known_ints(k, 1, OR_MAX_RANK, p->reps, &n));
        OR_CHECK_SHAPE(k, n == (size_t)r, "repeats has %zu values but the input has rank %d", n, r);
    } else {   /* opset 1: scalar inputs tiles and axis */
        int64_t tiles, axis;
        int a;
        OR_TRY(or_known_ints(k, 1, 1, &tiles, &n));
        OR_CHECK(k, n == 1, "tiles must hold one value");
        OR_TRY(or_known_ints(k, 2, 1, &axis, &n));
        OR_CHECK(k, n == 1, "axis must hold one value");
        OR_TRY(or_axis(k, axis, r, &a));
        for (int d = 0; d < r; d++) p->reps[d] = d == a ? tiles : 1;
    }
    for (int d = 0; d < r; d++) {
        uint64_t v;
        OR_CHECK(k, p->reps[d] >= 0, "repeat %lld is negative", (long long)p->reps[d]);
        if (!or_mul_ok((uint64_t)x->dims[d], (uint64_t)p->reps[d], &v) || v > OR_MAX_TENSOR_BYTES)
            return or_fail(k, ONNXRUN_E_LIMIT, "tiled dim %d is too large", d);
        dims[d] = (int64_t)v;
    }
    return or_set_shape(k, k->out[0], x->dtype, r, dims);
}

static or_status tile_run(or_kernel *k)
{
    const tile_params *p = k->params;
    const or_tensor *x = k->in[0];
    /* the output, row-major, is the box [rep_0, d_0, rep_1, d_1, ...] whose
     * repeat axes read the input with stride 0 */
    int64_t xs[OR_MAX_RANK], box[BOX_MAX], sstr[BOX_MAX], dstr[BOX_MAX];
    int r = x->rank;
    or_strides(r, x->dims, xs);
    for (int d = 0; d < r; d++) {
        box[2 * d] = p->reps[d];
        box[2 * d + 1] = x->dims[d];
        sstr[2 * d] = 0;
        sstr[2 * d + 1] = xs[d];
    }
    or_strides(2 * r, box, dstr);
    copy_box(k->out[0]->data, dstr, x->data, sstr, 2 * r, box, onnxrun_dtype_size(x->dtype));
    return ONNXRUN_OK;
}

/* ---- Pad ---- */

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_params {
    pad_mode mode;
    float value;                    /* 'value' attribute (before opset 11) */
    int64_t begin[OR_MAX_RANK];     /* per axis, negative = crop (infer) */
    int64_t end[OR_MAX_RANK];
} pad_params;

static or_status pad_init(or_kernel *k)
{
    pad_params *p = k->params;
    const char *mode;
    OR_TRY(or_attr_string(k, "mode", "constant", &mode));
    if (!strcmp(mode, "constant")) p->mode = PAD_CONSTANT;
    else if (!strcmp(mode, "reflect")) p->mode = PAD_REFLECT;
    else if (!strcmp(mode, "edge")) p->mode = PAD_EDGE;
    else if (!strcmp(mode, "wrap") && k->def->since >= 19) p->mode = PAD_WRAP;
    else return or_fail(k, ONNXRUN_E_UNSUPPORTED, "pad mode '%s' is not supported", mode);
    if (k->def->since < 11) OR_TRY(or_attr_float(k, "value", 0.0f, &p->value));
    return ONNXRUN_OK;
}

/* Input index of output index j along an axis of n input elements padded by
 * b / e (negative = crop), or -1 for a constant pad position. */
static int64_t pad_source(pad_mode mode, int64_t n, int64_t b, int64_t e, int64_t j)
{
    int64_t c0 = b < 0 ? -b : 0, m = n - c0 - (e < 0 ? -e : 0), t = j - (b > 0 ? b : 0);
    if (t >= 0 && t < m) return c0 + t;
    if (mode == PAD_CONSTANT) return -1;
    if (mode == PAD_EDGE) return c0 + (t < 0 ? 0 : m - 1);
    if (mode == PAD_WRAP) return m > 0 ? c0 + ((t % m) + m) % m : -1; /* periodic copy */
    if (m == 1) return c0;
    int64_t period = 2 * (m - 1), u = t % period;   /* reflect: periodic mirror */
    if (u < 0) u += period;
    return c0 + (u >= m ? period - u : u);
}

static or_status pad_infer(or_kernel *k)
{
    pad_params *p = k->params;
    const or_tensor *x;
    OR_TRY(or_need_input(k, 0, &x));
    int r = x->rank;
    int64_t pads[2 * OR_MAX_RANK], axes[OR_MAX_RANK], dims[OR_MAX_RANK];
    size_t np, na = 0;
    if (k->def->since < 11) {
        OR_TRY(or_attr_ints(k, k->def->since == 1 ? "paddings" : "pads", 2 * OR_MAX_RANK, pads, &np));
    } else {
        OR_TRY(or_known_ints(k, 1, 2 * OR_MAX_RANK, pads, &np));
        if (k->def->since >= 18 && or_in(k, 3)) OR_TRY(or_known_ints(k, 3, OR_MAX_RANK, axes, &na));
        const or_tensor *cv = or_in(k, 2);
        if (cv) {
            OR_CHECK(k, cv->dtype == x->dtype, "constant_value is %s but data is %s",
                     onnxrun_dtype_name(cv->dtype), onnxrun_dtype_name(x->dtype));
            OR_CHECK_SHAPE(k, or_numel(cv) <= 1, "constant_value must be a scalar");
        }
    }
    if (!na) {
        for (int a = 0; a < r; a++) axes[a] = a;
        na = (size_t)r;
    }
    OR_CHECK(k, np == 2 * na, "pads has %zu values, expected %zu", np, 2 * na);
    for (int a = 0; a < r; a++) p->begin[a] = p->end[a] = 0;
    for (size_t i = 0; i < na; i++) {
        int a;
        OR_TRY(or_axis(k, axes[i], r, &a));
        p->begin[a] = pads[i];
        p->end[a] = pads[i + na];
    }
    for (int a = 0; a < r; a++) {
        int64_t n = x->dims[a], b = p->begin[a], e = p->end[a];
        OR_CHECK(k, b >= -n && e >= -n && (b < 0 ? -b : 0) + (e < 0 ? -e : 0) <= n,
                 "pads %lld, %lld crop more than the %lld elements of axis %d", (long long)b,
                 (long long)e, (long long)n, a);
        OR_CHECK(k, b <= (int64_t)OR_MAX_TENSOR_BYTES && e <= (int64_t)OR_MAX_TENSOR_BYTES,
                 "pads of axis %d are too large", a);
        dims[a] = n + b + e;   /* |b|, |e| <= 2^40: no overflow */
        int64_t m = n + (b < 0 ? b : 0) + (e < 0 ? e : 0);
        OR_CHECK(k, p->mode == PAD_CONSTANT || m > 0 || (b <= 0 && e <= 0),
                 "axis %d has no elements to pad from in %s mode", a,
                 p->mode == PAD_EDGE ? "edge" : "reflect");
    }
    return or_set_shape(k, k->out[0], x->dtype, r, dims);
}

/* The fill value as bytes of dtype dt (constant mode). */
static or_status pad_value(or_kernel *k, onnxrun_dtype dt, unsigned char *v)
{
    const pad_params *p = k->params;
    size_t es = onnxrun_dtype_size(dt);
    memset(v, 0, es);
    if (k->def->since >= 11) {
        const or_tensor *cv = or_in(k, 2);
        if (cv && or_numel(cv) == 1) memcpy(v, cv->data, es);
        return ONNXRUN_OK;
    }
    double f = p->value;
    switch (dt) {   /* the attribute versions allow float types only */
    case ONNXRUN_FLOAT: { float t = (float)f; memcpy(v, &t, 4); break; }
    case ONNXRUN_DOUBLE: memcpy(v, &f, 8); break;
    default:
        if (f != 0)
            return or_fail(k, ONNXRUN_E_UNSUPPORTED, "pad value %g for %s data is not supported", f,
                           onnxrun_dtype_name(dt));
    }
    return ONNXRUN_OK;
}

static void fill(char *d, const unsigned char *v, int64_t n, size_t es)
{
    for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * es, v, es);
}

static or_status pad_run(or_kernel *k)
{
    const pad_params *p = k->params;
    const or_tensor *x = k->in[0];
    or_tensor *y = k->out[0];
    size_t es = onnxrun_dtype_size(x->dtype);
    unsigned char v[16];
    int r = x->rank;
    if (!or_numel(y)) return ONNXRUN_OK;
    OR_TRY(pad_value(k, x->dtype, v));
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return ONNXRUN_OK;
    }
    int L = r - 1;
    int64_t xs[OR_MAX_RANK], idx[OR_MAX_RANK] = { 0 };
    or_strides(r, x->dims, xs);
    /* one output row (last axis) at a time: its source row, then its pads */
    int64_t n = x->dims[L], b = p->begin[L], e = p->end[L], row = y->dims[L];
    int64_t c0 = b < 0 ? -b : 0, m = n - c0 - (e < 0 ? -e : 0), pb = b > 0 ? b : 0;
    int64_t rows = or_numel(y) / row;
    char *d = y->data;
    for (int64_t q = 0; q < rows; q++, d += (size_t)row * es) {
        int64_t off = 0;
        bool constant = false;
        for (int a = 0; a < L && !constant; a++) {
            int64_t i = pad_source(p->mode, x->dims[a], p->begin[a], p->end[a], idx[a]);
            if (i < 0) constant = true;
            else off += i * xs[a];
        }
        for (int a = L - 1; a >= 0; a--) {
            if (++idx[a] < y->dims[a]) break;
            idx[a] = 0;
        }
        if (constant) {
            fill(d, v, row, es);
            continue;
        }
        const char *s = (const char *)x->data + (size_t)off * es;
        if (m > 0) memcpy(d + (size_t)pb * es, s + (size_t)c0 * es, (size_t)m * es);
        for (int64_t j = 0; j < row; j++) {
            if (j == pb && m > 0) j += m;   /* skip the copied middle */
            if (j >= row) break;
            int64_t i = pad_source(p->mode, n, b, e, j);
            if (i < 0) memcpy(d + (size_t)j * es, v, es);
            else memcpy(d + (size_t)j * es, s + (size_t)i * es, es);
        }
    }
    return ONNXRUN_OK;
}

OR_OP_TABLE(movement) = {
    OR_OP("Transpose", 1, .params_size = sizeof(transpose_params), .init = transpose_init,
          .infer = transpose_infer, .run = transpose_run),
    OR_OP("Concat", 1, .params_size = sizeof(axis_params), .init = concat_init,
          .infer = concat_infer, .run = concat_run),
    OR_OP("Concat", 4, .params_size = sizeof(axis_params), .init = concat_init,
          .infer = concat_infer, .run = concat_run),
    OR_OP("Split", 1, .params_size = sizeof(split_params), .init = split_init, .infer = split_infer,
          .run = split_run, .fini = split_fini),
    OR_OP("Split", 2, .params_size = sizeof(split_params), .init = split_init, .infer = split_infer,
          .run = split_run, .fini = split_fini),
    OR_OP("Split", 13, .params_size = sizeof(split_params), .init = split_init,
          .infer = split_infer, .run = split_run, .fini = split_fini),
    OR_OP("Split", 18, .params_size = sizeof(split_params), .init = split_init,
          .infer = split_infer, .run = split_run, .fini = split_fini),
    OR_OP("Slice", 1, .params_size = sizeof(slice_params), .infer = slice_infer, .run = slice_run),
    OR_OP("Slice", 10, .params_size = sizeof(slice_params), .infer = slice_infer, .run = slice_run),
    OR_OP("Expand", 8, .infer = expand_infer, .run = expand_run),
    OR_OP("DepthToSpace", 1, .params_size = sizeof(d2s_params), .init = d2s_init,
          .infer = d2s_infer, .run = d2s_run),
    OR_OP("DepthToSpace", 11, .params_size = sizeof(d2s_params), .init = d2s_init,
          .infer = d2s_infer, .run = d2s_run),
    OR_OP("SpaceToDepth", 1, .params_size = sizeof(d2s_params), .init = d2s_init,
          .infer = d2s_infer, .run = d2s_run),
    OR_OP("Trilu", 14, .params_size = sizeof(trilu_params), .init = trilu_init,
          .infer = trilu_infer, .run = trilu_run),
    OR_OP("ReverseSequence", 10, .params_size = sizeof(revseq_params), .init = revseq_init,
          .infer = revseq_infer, .run = revseq_run),
    OR_OP("Tile", 1, .params_size = sizeof(tile_params), .infer = tile_infer, .run = tile_run),
    OR_OP("Tile", 6, .params_size = sizeof(tile_params), .infer = tile_infer, .run = tile_run),
    OR_OP("Pad", 1, .params_size = sizeof(pad_params), .init = pad_init, .infer = pad_infer,
          .run = pad_run),
    OR_OP("Pad", 2, .params_size = sizeof(pad_params), .init = pad_init, .infer = pad_infer,
          .run = pad_run),
    OR_OP("Pad", 11, .params_size = sizeof(pad_params), .init = pad_init, .infer = pad_infer,
          .run = pad_run),
    OR_OP("Pad", 18, .params_size = sizeof(pad_params), .init = pad_init, .infer = pad_infer,
          .run = pad_run),
    OR_OP("Pad", 19, .params_size = sizeof(pad_params), .init = pad_init, .infer = pad_infer,
          .run = pad_run),  /* mode 'wrap' */
};
OR_OP_TABLE_END(movement);
