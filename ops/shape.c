/*
 * shape.c - the shape op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(shape) = {
    { "", "__none_shape", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(shape);
