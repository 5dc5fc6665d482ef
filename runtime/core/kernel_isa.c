/* The level the dispatched loops run at (kernel_isa.h), and nn/runtime.h's choice of it. */
#include "kernel_isa.h"
#include "fail.h"
#include "nn/runtime.h"
#include <string.h>

_Atomic int nn_isa_chosen = -1;

static const char *const level_names[NN_ISA_LEVELS] = {"base", "avx2", "avx512"};

int nn_isa_best(void)
{
#if NN_ISA_X86
    __builtin_cpu_init();
    /* the psABI levels: each checks every feature the target attributes enable, and that the
     * OS saves the vector registers (XCR0) */
    if (__builtin_cpu_supports("x86-64-v4")) return NN_ISA_AVX512;
    if (__builtin_cpu_supports("x86-64-v3")) return NN_ISA_AVX2;
#endif
    return NN_ISA_BASE;
}

int nn_isa_detect(void)
{
    int unset = -1, best = nn_isa_best();
    atomic_compare_exchange_strong_explicit(&nn_isa_chosen, &unset, best, memory_order_relaxed, memory_order_relaxed);
    return atomic_load_explicit(&nn_isa_chosen, memory_order_relaxed);
}

int nn_isa_use(int level)
{
    if (level < 0 || level > nn_isa_best()) return -1;
    atomic_store_explicit(&nn_isa_chosen, level, memory_order_relaxed);
    return 0;
}

const char *nn_isa_name(int level) { return level >= 0 && level < NN_ISA_LEVELS ? level_names[level] : "?"; }

const char *nn_kernels_name(void) { return nn_isa_name(nn_isa()); }

int nn_kernels_choose(const char *name, char *err, size_t errlen)
{
    int best = nn_isa_best();
    for (int level = 0; level < NN_ISA_LEVELS; level++) {
        if (strcmp(name, level_names[level]) != 0) continue;
        if (nn_isa_use(level) == 0) return 0;
        return nn_fail(err, errlen, "this CPU cannot run the %s kernels (the best it runs: %s)", name, level_names[best]);
    }
    return nn_fail(err, errlen, "no kernels are called '%s': choose base, avx2 or avx512 (this CPU runs up to %s)", name,
                   level_names[best]);
}
