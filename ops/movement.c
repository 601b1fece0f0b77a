/*
 * movement.c - the movement op family (placeholder table, filled in by its kernels).
 */
#include "op.h"

OR_OP_TABLE(movement) = {
    { "", "__none_movement", 1, 0, NULL, NULL, NULL, NULL, NULL },
};
OR_OP_TABLE_END(movement);
