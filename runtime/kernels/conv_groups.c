/* Runs a convolution over groups of images, on one thread or on all cores (conv_lower.h).
 *
 * Why groups on threads rather than threaded GEMMs: measured on the 2-core target with the
 * CNN autoencoder's layers (batch 128, 3x3 kernels on 28x28 .. 3x3 images), OpenBLAS's two
 * threads barely beat one on these GEMMs (M = 16..64 rows), and an OpenMP loop around them
 * (im2col) made it far worse: libgomp's idle worker spins for milliseconds on the core
 * OpenBLAS's second thread needs (a 3x3 conv 32->64 on 26x26 took 343 ms instead of 66).
 * Giving each OpenMP thread whole groups — its own im2col, single-threaded GEMM and copies —
 * needs no synchronisation inside the op and keeps one thread pool busy. Groups are handed
 * out dynamically, so a core slowed by a neighbour simply takes fewer of them — except when the
 * groups' results are summed (weight gradients): a thread's partial is the sum of the groups it
 * ran, so those are handed out in fixed blocks (thread t the t-th run of groups), and the
 * partials added in thread order, so that the load never changes the bytes. */
#include "conv_lower.h"
#include "../core/parallel.h"
#include <cblas.h>
#include <omp.h>
#include <string.h>

#define MAX_THREADS 64
#define GROUPS_PER_THREAD 2   /* some slack for dynamic balancing */

void nn_conv_gemm(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  float beta, float *c, int ldc)
{
    nn_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

static int ceil_div(size_t a, size_t b) { return (int)((a + b - 1) / b); }

/* Images per group: the scratch target allows, or fewer so every thread gets groups. */
static int group_size(const nn_conv_job *job, int threads)
{
    int n = job->geom.n;
    size_t per = job->per_image ? job->per_image : 1, chunk = job->chunk_floats ? job->chunk_floats : nn_conv_chunk_floats;
    int groups = ceil_div((size_t)n * per, chunk ? chunk : 1);
    if (threads > 1) {
        if (groups < threads * GROUPS_PER_THREAD) groups = threads * GROUPS_PER_THREAD;
        groups = ceil_div((size_t)groups, (size_t)threads) * threads;
    }
    if (groups > n) groups = n;
    return ceil_div((size_t)n, (size_t)groups);
}

/* The node, or the job's own buffer, that the summed acc ends in. */
static float *acc_target(const nn_conv_job *job) { return job->acc_out ? job->acc_out : job->node->data; }

static int run_serial(const nn_conv_job *job, int nb)
{
    float *scratch = nn_conv_scratch(job->per_image * (size_t)nb);
    while (!scratch && nb > 1) scratch = nn_conv_scratch(job->per_image * (size_t)(nb /= 2));
    if (!scratch) return -1;
    for (int n0 = 0; n0 < job->geom.n; n0 += nb)
        job->fn(job, n0, n0 + nb <= job->geom.n ? nb : job->geom.n - n0, scratch, acc_target(job), n0 == 0);
    return 0;
}

/* Each thread's partial sums (acc) end in the node. */
static void sum_partials(const nn_conv_job *job, float *const *part, int threads)
{
    float *out = acc_target(job);
    size_t k = job->acc_floats;
    int first = 1;
    for (int t = 0; t < threads; t++) {
        if (!part[t]) continue;
        const float *p = part[t];
        if (first) memcpy(out, p, k * sizeof(float));
        else {
            _Pragma("omp simd")
            for (size_t i = 0; i < k; i++) out[i] += p[i];
        }
        first = 0;
    }
}

/* Group gi of nb images: the first a thread runs starts its partial sum. */
static void run_group(const nn_conv_job *job, int gi, int nb, float *scratch, float *acc, int *first)
{
    int n0 = gi * nb, n = job->geom.n;
    job->fn(job, n0, n0 + nb <= n ? nb : n - n0, scratch, acc, *first);
    *first = 0;
}

/* Returns 0, or -1 when some thread lacked scratch (nothing is then assumed done). */
static int run_threads(const nn_conv_job *job, int nb, int threads)
{
    int n = job->geom.n, groups = ceil_div((size_t)n, (size_t)nb), failed = 0;
    float *part[MAX_THREADS] = {0};
    _Pragma("omp parallel num_threads(threads)")
    {
        int t = omp_get_thread_num(), first = 1;
        float *scratch = nn_conv_scratch(job->per_image * (size_t)nb + job->acc_floats);
        float *acc = scratch ? scratch + job->per_image * (size_t)nb : NULL;
        if (!scratch) {
            _Pragma("omp atomic write")
            failed = 1;
        }
        if (job->acc_floats) {
            _Pragma("omp for schedule(static)")
            for (int gi = 0; gi < groups; gi++)
                if (scratch) run_group(job, gi, nb, scratch, acc, &first);
        } else {
            _Pragma("omp for schedule(dynamic, 1)")
            for (int gi = 0; gi < groups; gi++)
                if (scratch) run_group(job, gi, nb, scratch, acc, &first);
        }
        if (job->acc_floats && !first) part[t] = acc;
    }
    if (failed) return -1;
    if (job->acc_floats) sum_partials(job, part, threads);
    return 0;
}

int nn_conv_run(const nn_conv_job *job)
{
    int threads = omp_get_max_threads();
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > job->geom.n) threads = job->geom.n;
    if (job->flops < NN_GEMM_PAR_FLOPS || omp_in_parallel()) threads = 1;
    int nb = group_size(job, threads);
    if (threads > 1 && run_threads(job, nb, threads) == 0) return 0;
    return run_serial(job, group_size(job, 1));
}
