/* parallel.h — how runtime loops share the machine's cores.
 *
 * One thread pool, OpenMP's: OpenBLAS runs single-threaded, and a GEMM big enough
 * (NN_GEMM_PAR_FLOPS) is split over the pool when that has been faster lately (runtime.c).
 * Whatever the load, the same work and thread count give the same bytes: how work is cut, and
 * the order partial results are added in, never depend on timings or on which thread finishes
 * first (sums: NN_PAR_SIMD_SUM; GEMMs: nn_sgemm; convolutions: conv_groups.c).
 * Elementwise loops split across the pool above NN_PAR_MIN elements. Measured on the 2-core
 * target, seconds per epoch (min of 3-4 runs, alternated):
 *   MLP autoencoder (784-100-30-100-784, batch 128): loops split above 256k elements 0.64,
 *   above 8k 0.54 — with the loops in the pool too, its worker is still spinning when the
 *   next GEMM comes (a sleeping one takes ~50 us to wake on these VMs, as long as a small
 *   GEMM); cnn_ae, cnn_clf and an LSTM were unchanged (within 2%).
 * (When OpenBLAS ran its own threads, the two pools fought: OpenMP on every loop over 32k
 * elements made the MLP 1.03 s instead of 0.52.) */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include <stddef.h>

#define NN_GEMM_PAR_FLOPS 4e6

/* C (M,N) = alpha op(A) op(B) + beta C, row-major (trans_*: 1 = transposed): one OpenBLAS call
 * below NN_GEMM_PAR_FLOPS or inside a parallel region; otherwise one call per OpenMP thread on
 * a part of C, run side by side or, when one core has been faster lately (runtime.c), one after
 * the other: the same bytes either way. */
void nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc);
/* -1 (default): the measured choice; 1: big GEMMs' parts always on the threads; 0: always on
 * the calling thread (for tests). */
extern int nn_gemm_split;

/* Elements above which elementwise loops split across threads. */
#define NN_PAR_MIN (1 << 13)  /* below 8k floats a loop takes ~1 us: a parallel region costs more */

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
/* The same for a sum into the (double or float) variable acc, in an order fixed by n alone:
 * above NN_PAR_MIN the elements are cut into at most NN_SUM_PARTS chunks of at least
 * NN_SUM_CHUNK, each summed into its own partial (the body's acc names it), and the partials
 * are added to acc in chunk order. Not `parallel for reduction(+ : acc)`: OpenMP adds the
 * threads' partials in the order the threads finish, so with a non-zero acc or more than two
 * threads the sum, and the run's bytes, changed with the load. */
#define NN_SUM_PARTS 64
#define NN_SUM_CHUNK 2048
#define NN_PAR_SIMD_SUM(acc, i, n, ...)                                               \
    do {                                                                              \
        size_t nn_count_ = (n);                                                       \
        if (nn_count_ > NN_PAR_MIN) {                                                 \
            size_t nn_parts_ = (nn_count_ + NN_SUM_CHUNK - 1) / NN_SUM_CHUNK;         \
            if (nn_parts_ > NN_SUM_PARTS) nn_parts_ = NN_SUM_PARTS;                   \
            size_t nn_len_ = (nn_count_ + nn_parts_ - 1) / nn_parts_;                 \
            __typeof__(acc) nn_part_[NN_SUM_PARTS];                                   \
            NN_PRAGMA(omp parallel for schedule(static))                              \
            for (size_t nn_p_ = 0; nn_p_ < nn_parts_; nn_p_++) {                      \
                size_t nn_end_ = (nn_p_ + 1) * nn_len_;                               \
                __typeof__(acc) acc = 0;   /* this chunk's partial */                 \
                if (nn_end_ > nn_count_) nn_end_ = nn_count_;                         \
                NN_PRAGMA(omp simd reduction(+ : acc))                                \
                for (size_t i = nn_p_ * nn_len_; i < nn_end_; i++) { __VA_ARGS__ }    \
                nn_part_[nn_p_] = acc;                                                \
            }                                                                         \
            for (size_t nn_p_ = 0; nn_p_ < nn_parts_; nn_p_++) acc += nn_part_[nn_p_]; \
        } else {                                                                      \
            NN_PRAGMA(omp simd reduction(+ : acc))                                    \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        }                                                                             \
    } while (0)

#endif
