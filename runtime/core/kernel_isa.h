/* kernel_isa.h — the instruction sets the runtime's hot loops are built for, and the one they
 * run with.
 *
 * libnn is compiled for a portable baseline (the Makefile's MARCH, x86-64-v2: SSE4.2), so that
 * a binary runs on any x86-64 CPU of the last fifteen years. The loops that gain from wider
 * vectors (elementwise chunks, convolution transforms, pooling, optimizer updates, the
 * recurrent step kernel) are compiled twice more, for the AVX2 level (x86-64-v3: AVX2, FMA,
 * BMI2) and the AVX-512 level (x86-64-v4: F, BW, CD, DQ, VL), through target attributes, and
 * every call goes through a table to the variant of the level chosen at start-up: the best
 * the CPU and the OS support (cpuid, as OpenBLAS chooses its kernels), or a lower one that
 * nn_kernels_choose (nn/runtime.h) asked for. The three variants of a loop are one source, so
 * they differ only in how wide they compute (and so in the last bits of some sums); the
 * hand-written AVX-512 kernels (conv_direct.c, pool_max2.c, recurrent_gemm.c) have a portable
 * twin that the lower levels run.
 *
 * Writing a dispatched loop: a plain static function holds the body, and
 *     NN_ISA_FN(static, name, body, (const float *x, size_t n), (x, n))
 * defines `static void name(const float *x, size_t n)`, which calls the body compiled for the
 * chosen level. Each variant is `flatten`ed: the body and every static helper it calls are
 * inlined into it and compiled for its level (a helper left as a call would run at the
 * baseline). Functions in other files stay calls. */
#ifndef NN_KERNEL_ISA_H
#define NN_KERNEL_ISA_H
#include <stdatomic.h>

enum { NN_ISA_BASE, NN_ISA_AVX2, NN_ISA_AVX512, NN_ISA_LEVELS };

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NN_ISA_X86 1
#define NN_TARGET_AVX2 __attribute__((target("avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe")))
#define NN_TARGET_AVX512 \
    __attribute__((target("avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe,avx512f,avx512bw,avx512cd,avx512dq,avx512vl")))
#else
#define NN_ISA_X86 0
#define NN_TARGET_AVX2
#define NN_TARGET_AVX512
#endif

/* The chosen level, -1 until the first nn_isa(). */
extern _Atomic int nn_isa_chosen;
/* Chooses the best level the CPU supports (once) and returns it. */
int nn_isa_detect(void);
/* The level the dispatched loops run at. */
static inline int nn_isa(void)
{
    int level = atomic_load_explicit(&nn_isa_chosen, memory_order_relaxed);
    return level >= 0 ? level : nn_isa_detect();
}
/* The best level this CPU and OS run. */
int nn_isa_best(void);
/* Runs the dispatched loops at `level` from now on: 0, or -1 when the CPU cannot. */
int nn_isa_use(int level);
/* "base", "avx2", "avx512" */
const char *nn_isa_name(int level);

/* One variant: `name` runs body(args) compiled with `target`, helpers inlined. */
#define NN_ISA_VARIANT(target, name, body, params, args) \
    target __attribute__((flatten)) static void name params { body args; }
/* `linkage void name params`, calling the variant of the chosen level from the three given. */
#define NN_ISA_DISPATCH(linkage, name, params, args, base, avx2, avx512)          \
    linkage void name params                                                      \
    {                                                                             \
        static void (*const variant_[NN_ISA_LEVELS]) params = {base, avx2, avx512}; \
        variant_[nn_isa()] args;                                                  \
    }
/* `linkage void name params`: the body (a static void function) compiled per level. */
#define NN_ISA_FN(linkage, name, body, params, args)                                  \
    NN_ISA_VARIANT(, name##_base, body, params, args)                                 \
    NN_ISA_VARIANT(NN_TARGET_AVX2, name##_avx2, body, params, args)                   \
    NN_ISA_VARIANT(NN_TARGET_AVX512, name##_avx512, body, params, args)               \
    NN_ISA_DISPATCH(linkage, name, params, args, name##_base, name##_avx2, name##_avx512)
/* The same with a hand-written AVX-512 variant (a function with NN_TARGET_AVX512) where the
 * compiler supports one; the portable body serves the other levels. */
#if NN_ISA_X86
#define NN_ISA_FN_WITH_AVX512(linkage, name, body, avx512_fn, params, args)            \
    NN_ISA_VARIANT(, name##_base, body, params, args)                                 \
    NN_ISA_VARIANT(NN_TARGET_AVX2, name##_avx2, body, params, args)                   \
    NN_ISA_DISPATCH(linkage, name, params, args, name##_base, name##_avx2, avx512_fn)
#else
#define NN_ISA_FN_WITH_AVX512(linkage, name, body, avx512_fn, params, args) NN_ISA_FN(linkage, name, body, params, args)
#endif

#endif
