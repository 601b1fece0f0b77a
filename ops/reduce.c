/*
 * reduce.c - the reduce op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(reduce) = {
    { "", "__none_reduce", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(reduce);
