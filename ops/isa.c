/*
 * isa.c - CPU feature detection and the ONNXRUN_ISA override (isa.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

static const char *const names[] = { "auto", "portable", "avx2", "avx512" };

const char *onnxrun_isa_name(onnxrun_isa isa)
{
    return (unsigned)isa < sizeof names / sizeof names[0] ? names[isa] : "unknown";
}

onnxrun_isa or_isa_cpu(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f")) return ONNXRUN_ISA_AVX512;
    if (avx2) return ONNXRUN_ISA_AVX2;
#endif
    return ONNXRUN_ISA_PORTABLE;
}

onnxrun_isa or_isa_resolve(onnxrun_isa want)
{
    onnxrun_isa cpu = or_isa_cpu();
    if (want == ONNXRUN_ISA_AUTO) {
        want = cpu;
        const char *env = getenv("ONNXRUN_ISA");
        for (unsigned i = ONNXRUN_ISA_PORTABLE; env && i < sizeof names / sizeof names[0]; i++)
            if (strcmp(env, names[i]) == 0) want = (onnxrun_isa)i;
    }
    return want > cpu ? cpu : want;
}

onnxrun_isa or_isa_of(onnxrun_isa isa)
{
    static _Atomic int resolved; /* AUTO, resolved once */
    if (isa != ONNXRUN_ISA_AUTO) return isa;
    int r = resolved;
    if (!r) resolved = r = (int)or_isa_resolve(ONNXRUN_ISA_AUTO);
    return (onnxrun_isa)r;
}
