/*
 * isa.h - which instruction set the kernels use, decided in one place.
 *
 * A session resolves its onnxrun_isa once (or_isa_resolve) and hands the
 * concrete result to every kernel in k->isa; kernels pick their
 * micro-kernels from it and never test CPU features themselves. A kernel
 * called with ONNXRUN_ISA_AUTO (a test that builds an or_kernel by hand)
 * resolves it the same way.
 */
#ifndef OR_ISA_H
#define OR_ISA_H

#include "../include/onnxrun.h"

/* The best ISA this CPU supports (never AUTO). */
onnxrun_isa or_isa_cpu(void);

/* The concrete ISA for a request: AUTO -> ONNXRUN_ISA from the environment
 * when it names one, else the CPU's best; then capped at the CPU's best.
 * An unrecognised ONNXRUN_ISA value is ignored. */
onnxrun_isa or_isa_resolve(onnxrun_isa want);

/* k->isa as a kernel uses it: a concrete ISA as it is, AUTO resolved as
 * or_isa_resolve does, once per process (kernels ask per call). */
onnxrun_isa or_isa_of(onnxrun_isa isa);

#endif /* OR_ISA_H */
