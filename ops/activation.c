/*
 * activation.c - the activation op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(activation) = {
    { "", "__none_activation", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(activation);
