/*
 * pool.c - the pool op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(pool) = {
    { "", "__none_pool", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(pool);
