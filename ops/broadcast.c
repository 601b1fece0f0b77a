/*
 * broadcast.c - multidirectional (numpy) broadcasting of shapes, and the
 * element strides that let a kernel walk a broadcast input in the output's
 * index space (declared in op.h).
 *
 * Shapes are aligned on the right; along each axis the sizes must be equal
 * or one of them 1 (a size-1 axis is repeated, so 1 against 0 gives 0).
 */
#include "op.h"

bool or_broadcast_shape(int ra, const int64_t *da, int rb, const int64_t *db, int *rout,
                        int64_t *dout)
{
    int64_t d[OR_MAX_RANK];
    if (ra < 0 || rb < 0 || ra > OR_MAX_RANK || rb > OR_MAX_RANK) return false;
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t a = ia >= 0 ? da[ia] : 1;
        int64_t b = ib >= 0 ? db[ib] : 1;
        if (a < 0 || b < 0) return false;
        if (a == b || b == 1) d[i] = a;
        else if (a == 1) d[i] = b;
        else return false;
    }
    /* written last: dout may be da or db */
    for (int i = 0; i < r; i++) dout[i] = d[i];
    *rout = r;
    return true;
}

void or_broadcast_strides(const or_tensor *in, const or_tensor *out, int64_t *strides)
{
    int64_t s = 1;
    for (int i = out->rank - 1; i >= 0; i--) {
        int j = i - (out->rank - in->rank);
        if (j < 0 || in->dims[j] == 1) {
            strides[i] = 0;
        } else {
            strides[i] = s;
            s *= in->dims[j];
        }
    }
}

or_status or_matmul_shape(or_kernel *k, const or_tensor *a, const or_tensor *b, or_matmul_geom *g,
                          int *rank, int64_t *dims)
{
    OR_CHECK_SHAPE(k, a->rank >= 1 && b->rank >= 1, "matrix operands must have rank >= 1");
    int64_t m = a->rank >= 2 ? a->dims[a->rank - 2] : 1, ka = a->dims[a->rank - 1];
    int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
    int64_t n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    OR_CHECK_SHAPE(k, ka == kb, "inner dimensions differ: A gives K=%lld, B gives K=%lld",
                   (long long)ka, (long long)kb);
    /* batch dims: numpy broadcast of A[:-2] and B[:-2], aligned right */
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int r = ra > rb ? ra : rb;
    int64_t a_acc = m * ka, b_acc = ka * n, count = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        OR_CHECK_SHAPE(k, da == db || da == 1 || db == 1,
                       "batch dimension %d does not broadcast (%lld vs %lld)", i, (long long)da,
                       (long long)db);
        g->batch[i] = da == 1 ? db : da;
        g->a_step[i] = da == 1 ? 0 : a_acc;
        g->b_step[i] = db == 1 ? 0 : b_acc;
        a_acc *= da; /* products of validated input sizes: cannot overflow */
        b_acc *= db;
        if (!or_mul_ok((uint64_t)count, (uint64_t)g->batch[i], (uint64_t *)&count))
            return or_fail(k, ONNXRUN_E_LIMIT, "batch size overflows");
    }
    g->batch_rank = r;
    g->batch_count = count;
    g->m = m;
    g->n = n;
    g->k = ka;
    g->b_single = b_acc == ka * n;
    *rank = 0;
    for (int i = 0; i < r; i++) dims[(*rank)++] = g->batch[i];
    if (a->rank >= 2) dims[(*rank)++] = m;
    if (b->rank >= 2) dims[(*rank)++] = n;
    return ONNXRUN_OK;
}
