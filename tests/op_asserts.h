/*
 * op_asserts.h - what the op tests share on top of kernel_harness.h: a run
 * of an op with one output (its message in err) and assertions on an
 * output's shape and float values. Include after cmocka.h.
 */
#ifndef OP_ASSERTS_H
#define OP_ASSERTS_H

#include "tests/kernel_harness.h"

static char err[1024];

/* Runs op with n_in inputs and one output; returns the status. */
static inline or_status run1(const char *op, int64_t opset, or_attr *attrs, size_t na,
                             or_tensor **ins, size_t n_in, or_tensor *out)
{
    or_tensor *outs[] = { out };
    out->data = NULL;
    return kh_run("", op, opset, attrs, na, ins, n_in, outs, 1, err, sizeof err);
}

static inline void expect_shape(const or_tensor *t, const int64_t *dims, int rank)
{
    assert_int_equal(t->rank, rank);
    for (int i = 0; i < rank; i++) assert_int_equal(t->dims[i], dims[i]);
}

/* t holds exactly want[0..n) (floats compared with ==). */
static inline void expect_floats(const or_tensor *t, const float *want, size_t n)
{
    assert_int_equal(or_numel(t), (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        if (((const float *)t->data)[i] != want[i])
            fail_msg("element %zu: got %g, want %g", i, ((const float *)t->data)[i], want[i]);
    }
}

#endif /* OP_ASSERTS_H */
