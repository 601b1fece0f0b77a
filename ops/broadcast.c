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
