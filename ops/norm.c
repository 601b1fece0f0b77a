/*
 * norm.c - the norm op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(norm) = {
    { "", "__none_norm", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(norm);
