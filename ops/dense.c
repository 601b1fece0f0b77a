/*
 * dense.c - the dense op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(dense) = {
    { "", "__none_dense", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(dense);
