/*
 * elementwise.c - the elementwise op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(elementwise) = {
    { "", "__none_elementwise", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(elementwise);
