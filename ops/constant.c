/*
 * constant.c - the constant op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(constant) = {
    { "", "__none_constant", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(constant);
