/* parallel.h — how runtime loops share the machine's cores.
 *
 * Every parallel loop of the runtime runs on its own thread pool (pool.h): a loop is cut into
 * chunks fixed by its size alone, and the caller and the free workers take chunks from a shared
 * counter, so a core that a neighbour keeps busy costs little more than its share, and results
 * never depend on which thread ran what (a reduction keeps one partial per chunk, added in chunk
 * order). The elementwise loops (nn_par_for, nn_par_items, nn_par_sum below), big GEMMs
 * (nn_sgemm: blocks of rows or columns, or along k, gemm.c), convolutions (groups of images,
 * conv_groups.c), recurrent layers (slices of sequences, recurrent.h), batched GEMMs and
 * attention (runs of entries, batch_loop.c) and the rows of layer norm, masked softmax and
 * permute all run so. OpenBLAS
 * runs single-threaded, and OpenMP starts no thread: its simd pragmas vectorise the loops, and
 * omp_get_max_threads() (OMP_NUM_THREADS) is the pool's size.
 * Measured on the 2-core target: see the end of this file. */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include "kernel_isa.h"
#include <stddef.h>

#define NN_GEMM_PAR_FLOPS 4e6

/* C (M,N) = alpha op(A) op(B) + beta C, row-major (trans_*: 1 = transposed). From
 * NN_GEMM_PAR_FLOPS, outside any parallel job, in blocks of C's rows or columns that the
 * pool's threads take (gemm.c); the same bits as one call. */
void nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc);
/* What a GEMM does to each element of its product P = op(A) op(B) as it stores it in C, in this
 * order: adds bias[j], or addend[i][j]; takes leaky_relu (act: P < 0 ? slope P : P, relu with
 * slope 0); scales by slope where gate[i][j] > 0 does not hold (the gradient P at a relu /
 * leaky_relu whose value, or input, is gate). Each step is the same bits as the op that would
 * make it in a pass of its own, so fusing one changes no result. */
typedef struct {
    const float *bias;   /* (N) added to every row, or NULL */
    const float *addend; /* (M,N), rows ldaddend floats apart, or NULL; never with a bias: a
                          * second contribution to a gradient, summed as the product is stored */
    size_t ldaddend;
    int act;             /* 1: leaky_relu with slope */
    const float *gate;   /* (M,N), rows ldgate floats apart, or NULL */
    size_t ldgate;
    float slope;
    /* Not the epilogue's, but the caller's to say too: 1 when B cannot change until the plan
     * run ends (a parameter), so its packed panels may be kept for the run's other products
     * (gemm_pack_cache.h). */
    int b_constant;
} nn_gemm_epilogue;

/* C (M,N) = op(A) op(B) with the epilogue applied: a dense layer's forward (bias, activation)
 * and the gradient at a relu layer's output (gate). Thin and tall products apply it as their
 * tiles are stored, while the tile is in registers; others fill C's rows with the bias first
 * and make one pass for the rest. The same bits either way. */
void nn_sgemm_fused(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                    float *c, int ldc, const nn_gemm_epilogue *e);
/* How nn_sgemm computes an (M,N,K) GEMM (gemm.c): OpenBLAS, in blocks of C's rows or columns;
 * or on the AVX-512 level the panel kernel (gemm_panel.h) by C's columns (thin: few rows or a
 * short k) or by blocks of rows (tall: many rows, a short k and few columns), or OpenBLAS
 * along k into partial sums added in order (deep: trans_a, a long k, a small C). Each is the
 * same bits for any split and thread count. */
typedef enum { NN_GEMM_BLAS, NN_GEMM_THIN, NN_GEMM_TALL, NN_GEMM_DEEP } nn_gemm_kind;
nn_gemm_kind nn_gemm_route(int trans_a, int m, int n, int k);
/* 1 when OPENBLAS_NUM_THREADS was set at nn_runtime_init: OpenBLAS alone, with its threads. */
int nn_blas_fixed(void);
/* The blocks nn_sgemm cuts an (M,N,K) GEMM into when the pool has threads (1: one call). */
int nn_gemm_blocks(int m, int n, int k);

/* Floats per chunk of a split loop: a loop of up to this many runs inline, in one piece (below
 * 8k floats a loop takes ~1 us, less than handing out chunks costs). */
#define NN_PAR_MIN (1 << 13)
/* At most this many chunks per loop (longer loops get longer chunks): bounds a reduction's
 * partial sums, which live on the caller's stack. */
#define NN_PAR_MAX_CHUNKS 256

/* fn(ctx, lo, hi) over [lo, hi) of a loop's range; the calls cover [0, n) once. */
typedef void (*nn_par_range_fn)(const void *ctx, size_t lo, size_t hi);
/* The same, returning the sum of its part of a reduction. */
typedef double (*nn_par_sum_fn)(const void *ctx, size_t lo, size_t hi);

/* An elementwise loop over n floats, in chunks of NN_PAR_MIN. */
void nn_par_for(size_t n, nn_par_range_fn fn, const void *ctx);
/* A loop over items (rows, planes, channels) that touch floats_per_item floats each: chunks of
 * whole items, about NN_PAR_MIN floats each; inline up to NN_PAR_MIN floats in all. */
void nn_par_items(size_t items, size_t floats_per_item, nn_par_range_fn fn, const void *ctx);
/* The sum over [0, n) of what fn returns for each chunk of nn_par_for's chunks, added in chunk
 * order: the same bits for any thread count and any load. */
double nn_par_sum(size_t n, nn_par_sum_fn fn, const void *ctx);

/* Defines the nn_par_range_fn `static void name(const void *ctx, size_t lo, size_t hi)` from a
 * static function name##_body of the same signature, compiled for every instruction set
 * (kernel_isa.h: flattened, so the helpers it calls are compiled with it). */
#define NN_PAR_RANGE_PER_ISA(name) \
    NN_ISA_FN(static, name, name##_body, (const void *nn_ctx_, size_t nn_lo_, size_t nn_hi_), (nn_ctx_, nn_lo_, nn_hi_))

/* Defines `static void name(const void *ctx, size_t lo, size_t hi)`, an nn_par_range_fn
 * running the body for i in [lo, hi), vectorised for the chosen instruction set (kernel_isa.h),
 * with c pointing at a copy of the ctx (a `const ctx_type *`). The copy is a local whose
 * address never escapes, so the compiler knows the loop's stores cannot change c's fields and
 * keeps them in registers: read through the caller's pointer, a float field such as a slope
 * had to be reloaded after every store, and gcc left leaky_relu's loop scalar (conv2d with its
 * fused relu 50% slower). For example:
 *     typedef struct { const float *x; float *y; } unary_ctx;
 *     NN_PAR_CHUNK_FN(exp_chunk, unary_ctx, c, i, c->y[i] = expf(c->x[i]);)
 *     ... nn_par_for(n, exp_chunk, &(unary_ctx){x, y}); */
#define NN_PAR_CHUNK_FN(name, ctx_type, c, i, ...)                                    \
    static void name##_body(const void *nn_ctx_, size_t nn_lo_, size_t nn_hi_)       \
    {                                                                                 \
        const ctx_type nn_copy_ = *(const ctx_type *)nn_ctx_, *c = &nn_copy_;        \
        _Pragma("omp simd")                                                           \
        for (size_t i = nn_lo_; i < nn_hi_; i++) { __VA_ARGS__ }                      \
    }                                                                                 \
    NN_PAR_RANGE_PER_ISA(name)
#define NN_PRAGMA(x) _Pragma(#x)
/* The same for an nn_par_sum_fn: the body adds into the double acc, which is returned. */
#define NN_PAR_SUM_FN(name, ctx_type, c, i, acc, ...)                                 \
    static void name##_body(const void *nn_ctx_, size_t nn_lo_, size_t nn_hi_, double *nn_sum_) \
    {                                                                                 \
        const ctx_type nn_copy_ = *(const ctx_type *)nn_ctx_, *c = &nn_copy_;        \
        double acc = 0.0;                                                             \
        NN_PRAGMA(omp simd reduction(+ : acc))                                        \
        for (size_t i = nn_lo_; i < nn_hi_; i++) { __VA_ARGS__ }                      \
        *nn_sum_ = acc;                                                               \
    }                                                                                 \
    NN_ISA_FN(static, name##_isa, name##_body, (const void *nn_ctx_, size_t nn_lo_, size_t nn_hi_, double *nn_sum_), \
              (nn_ctx_, nn_lo_, nn_hi_, nn_sum_))                                     \
    static double name(const void *nn_ctx_, size_t nn_lo_, size_t nn_hi_)            \
    {                                                                                 \
        double nn_sum_;                                                               \
        name##_isa(nn_ctx_, nn_lo_, nn_hi_, &nn_sum_);                                \
        return nn_sum_;                                                               \
    }

#endif
