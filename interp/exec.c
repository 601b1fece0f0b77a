/*
 * exec.c - the run loop: every scheduled step that was not folded or
 * aliased away runs its kernel on the planned buffers, unless the session
 * was cancelled (checked before each node); and the message helper.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "interp.h"

or_status or_errf(char *buf, or_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, OR_ERR_LEN, fmt, ap);
    va_end(ap);
    return st;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

or_status or_exec(onnxrun_session *s)
{
    for (size_t i = 0; i < s->n_steps; i++) {
        or_step *st = &s->steps[i];
        if (st->folded || st->skip) {
            st->ms = 0;
            continue;
        }
        if (atomic_load_explicit(&s->cancel, memory_order_relaxed) &&
            atomic_exchange(&s->cancel, false))
            return or_errf(s->err, ONNXRUN_E_CANCELLED, "%s: run cancelled before node '%s' (#%d, %s)",
                           s->model->m.path, st->k.node->name, st->node, st->k.node->op_type);
        double t0 = s->profile ? now_ms() : 0;
        or_status r = st->k.def->run(&st->k);
        if (s->profile) st->ms = now_ms() - t0;
        if (r != ONNXRUN_OK) return r;
    }
    return ONNXRUN_OK;
}

