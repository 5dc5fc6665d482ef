/* Process-wide set-up and the threading policy for GEMMs (measurements in parallel.h).
 *
 * OpenBLAS itself always runs single-threaded: a big GEMM that pays for more cores is split
 * over OpenMP's threads (nn_sgemm), the same pool every other parallel loop uses. With
 * OpenBLAS's own threads the two pools fought: its idle worker spins for ~0.1 s after each
 * threaded GEMM, on the core the convolutions' OpenMP threads needed next (cnn_clf's 150 bench
 * batches took 13.4 s instead of 11.9), and shortening that spin made every threaded GEMM wake
 * a sleeping worker (mlp_ae's epoch 0.54 -> 0.65 s).
 * A big GEMM can run on one core or on all of them. Which is faster depends on the moment:
 * on these shared machines the second core is sometimes slowed by neighbours, and a GEMM
 * split evenly across a fast and a slow core then takes twice as long as on one core
 * (measured: 1.2 s/epoch instead of 0.53, while one thread stays at 0.67). So the choice is
 * measured as it runs: each setting keeps a moving average of nanoseconds per FLOP over the
 * big GEMMs it ran, the faster one is used, and now and then a big GEMM tries the other so a
 * change of conditions is noticed. A probe of a bad setting is expensive (a GEMM waiting for
 * a descheduled thread), so while probes keep losing clearly their interval doubles, from
 * NN_BLAS_PROBE_MIN up to NN_BLAS_PROBE_MAX big GEMMs. */
#include "nn/runtime.h"
#include "parallel.h"
#include "pool.h"
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NN_BLAS_PROBE_MIN 64
#define NN_BLAS_PROBE_MAX 8192

int nn_gemm_split = -1;
static int blas_fixed;        /* OPENBLAS_NUM_THREADS given: the user decides */
static double ns_per_flop[2]; /* moving averages for [one thread, all threads]; 0 = unmeasured */
static long big_calls, next_probe = NN_BLAS_PROBE_MIN, probe_interval = NN_BLAS_PROBE_MIN;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void nn_runtime_init(void)
{
    blas_fixed = getenv("OPENBLAS_NUM_THREADS") != NULL;
    if (!blas_fixed) openblas_set_num_threads(1);   /* every thread we run is ours or OpenMP's */
    /* start both pools now, so that the first jobs do not pay for creating them */
    nn_pool_start();
#pragma omp parallel
    {
        (void)0;
    }
}

const char *nn_blas_description(void)
{
    static char text[96];
    int threads = blas_fixed ? openblas_get_num_threads() : omp_get_max_threads();
    snprintf(text, sizeof text, "OpenBLAS %s, %d thread%s", openblas_get_corename(), threads, threads == 1 ? "" : "s");
    return text;
}

/* The rows [r0, r1) of C = alpha op(A) op(B) + beta C, or its columns when by_cols. */
static void gemm_part(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                      float beta, float *c, int ldc, int by_cols, int r0, int r1)
{
    CBLAS_TRANSPOSE cta = ta ? CblasTrans : CblasNoTrans, ctb = tb ? CblasTrans : CblasNoTrans;
    if (r1 <= r0) return;
    if (by_cols)
        cblas_sgemm(CblasRowMajor, cta, ctb, m, r1 - r0, k, alpha, a, lda, b + (tb ? (size_t)r0 * ldb : (size_t)r0), ldb,
                    beta, c + r0, ldc);
    else
        cblas_sgemm(CblasRowMajor, cta, ctb, r1 - r0, n, k, alpha, a + (ta ? (size_t)r0 : (size_t)r0 * lda), lda, b, ldb,
                    beta, c + (size_t)r0 * ldc, ldc);
}

/* The GEMM split over the OpenMP threads: each computes a block of rows (or of columns, when C
 * has more of those) with a single-threaded OpenBLAS call, in multiples of 16. */
static void gemm_split(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                       float beta, float *c, int ldc, int threads)
{
    int by_cols = n > m, len = by_cols ? n : m;
    int chunk = (len + threads - 1) / threads;
    chunk = (chunk + 15) / 16 * 16;
#pragma omp parallel num_threads(threads)
    {
        int r0 = omp_get_thread_num() * chunk, r1 = r0 + chunk < len ? r0 + chunk : len;
        gemm_part(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, by_cols, r0, r1);
    }
}

void nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc)
{
    double flops = 2.0 * m * n * k;
    int cores = omp_get_max_threads();
    if (blas_fixed || omp_in_parallel() || flops < NN_GEMM_PAR_FLOPS || cores < 2 || (m < 32 && n < 32)) {
        gemm_part(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 0, m);
        return;
    }
    int best = ns_per_flop[1] == 0 ? 1 : ns_per_flop[0] == 0 ? 0 : ns_per_flop[1] <= ns_per_flop[0];
    int probe = ++big_calls >= next_probe && ns_per_flop[0] != 0;
    if (ns_per_flop[0] == 0 && big_calls > 4) best = 0, probe = 1;   /* measure one thread once */
    if (probe) {
        best = !best;
        next_probe = big_calls + probe_interval;
    }
    if (nn_gemm_split >= 0) best = nn_gemm_split, probe = 0;
    double start = now_ns();
    if (best) gemm_split(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, cores);
    else gemm_part(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 0, m);
    double sample = (now_ns() - start) / flops, *avg = &ns_per_flop[best], other = ns_per_flop[!best];
    if (probe && other > 0) {   /* a clear loss: probe half as often; otherwise as often as we may */
        probe_interval = sample > 1.25 * other ? (probe_interval * 2 < NN_BLAS_PROBE_MAX ? probe_interval * 2 : NN_BLAS_PROBE_MAX)
                                               : NN_BLAS_PROBE_MIN;
        next_probe = big_calls + probe_interval;
    }
    *avg = *avg == 0 ? sample : 0.8 * *avg + 0.2 * sample;
}
