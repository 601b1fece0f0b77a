/*
 * conv.c - the conv op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(conv) = {
    { "", "__none_conv", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(conv);
