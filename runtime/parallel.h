/* parallel.h — how runtime loops share the machine's cores.
 *
 * Policy, measured on the 2-core target with the MLP autoencoder (784-100-30-100-784,
 * batch 128; seconds per epoch):
 *   OpenBLAS with 2 threads on every GEMM            1.24   (threading the small GEMMs costs more
 *   OpenBLAS with 1 thread                           0.69    than it gives)
 *   2 threads only for GEMMs >= 4 MFLOP, else 1      0.52   <- the policy, when the second
 *                                                           core is free (runtime.c measures)
 *   OpenMP on every loop over 32k elements           1.03   (waking a thread for a 30 us loop)
 * So a GEMM gets every core when it is big enough (NN_GEMM_PAR_FLOPS), and elementwise loops
 * split across OpenMP threads only above NN_PAR_MIN elements. OpenBLAS is never called from
 * inside an OpenMP region, so the two never run threads at the same time and never
 * oversubscribe the cores. */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include <stddef.h>

#define NN_GEMM_PAR_FLOPS 4e6

/* C (M,N) = alpha op(A) op(B) + beta C, row-major (trans_*: 1 = transposed), on one core
 * below NN_GEMM_PAR_FLOPS or inside a parallel region, otherwise on whichever of one core or
 * all of them has been faster lately (runtime.c), split over the OpenMP threads. */
void nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc);
/* -1 (default): the measured choice; 1: always split big GEMMs; 0: never (for tests). */
extern int nn_gemm_split;

/* Elements above which elementwise loops split across threads. */
#define NN_PAR_MIN (1 << 18)  /* below ~256k floats a loop takes < 30 us: waking a thread costs more */

/* for (size_t i = 0; i < n; i++) { body }: always vectorised, split across threads only above
 * NN_PAR_MIN. Not `parallel for simd if (n > NN_PAR_MIN)`: under OpenMP 5 a bare if clause
 * applies to the simd part too, so every small tensor ran scalar (3-10x slower); and even
 * `if (parallel : ...)` pays a GOMP_parallel call per small tensor. */
#define NN_PAR_SIMD_FOR(i, n, ...)                                                    \
    do {                                                                              \
        size_t nn_count_ = (n);                                                       \
        if (nn_count_ > NN_PAR_MIN) {                                                 \
            _Pragma("omp parallel for simd")                                          \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        } else {                                                                      \
            _Pragma("omp simd")                                                       \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        }                                                                             \
    } while (0)
#define NN_PRAGMA(x) _Pragma(#x)
/* The same for a sum into the (double or float) variable acc. */
#define NN_PAR_SIMD_SUM(acc, i, n, ...)                                               \
    do {                                                                              \
        size_t nn_count_ = (n);                                                       \
        if (nn_count_ > NN_PAR_MIN) {                                                 \
            NN_PRAGMA(omp parallel for simd reduction(+ : acc))                       \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        } else {                                                                      \
            NN_PRAGMA(omp simd reduction(+ : acc))                                    \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        }                                                                             \
    } while (0)

#endif
