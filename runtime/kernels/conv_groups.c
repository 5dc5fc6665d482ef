/* Runs a convolution over groups of images, on one thread or on the pool (conv_lower.h).
 *
 * Why groups on threads rather than threaded GEMMs: measured on the 2-core target with the
 * CNN autoencoder's layers (batch 128, 3x3 kernels on 28x28 .. 3x3 images), OpenBLAS's two
 * threads barely beat one on these GEMMs (M = 16..64 rows), and an OpenMP loop around them
 * (im2col) made it far worse: libgomp's idle worker spins for milliseconds on the core
 * OpenBLAS's second thread needs (a 3x3 conv 32->64 on 26x26 took 343 ms instead of 66).
 * Giving each thread whole groups — its own im2col, single-threaded GEMM and copies — needs no
 * synchronisation inside the op. Each group is one of the pool's chunks (pool.h): a core
 * slowed by a neighbour simply takes fewer of them, and the caller never waits for a thread that
 * has not started. An op that sums over images (a weight gradient) cuts its groups into at most
 * MAX_RUNS runs of consecutive groups instead, each run a chunk with its own partial sum, added
 * in run order at the end, so that its bits never depend on which thread ran what (under
 * OpenMP's dynamic schedule each thread had its own partial, and the bits followed the timing).
 * On one thread the groups run in order into one sum. */
#include "conv_lower.h"
#include "../core/parallel.h"
#include "../core/pool.h"
#include "../core/thread_scratch.h"
#include <stdatomic.h>
#include <string.h>

#define MIN_GROUPS 4   /* when split: some slack for dynamic balancing */
#define MAX_RUNS 16    /* partial sums of an op that sums over images */

void nn_conv_gemm(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  float beta, float *c, int ldc)
{
    nn_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

static int ceil_div(size_t a, size_t b) { return (int)((a + b - 1) / b); }

/* Images per group: the scratch target allows, or fewer so that a split run has MIN_GROUPS. */
static int group_size(const nn_conv_job *job, int split)
{
    int n = job->geom.n;
    size_t per = job->per_image ? job->per_image : 1, chunk = job->chunk_floats ? job->chunk_floats : nn_conv_chunk_floats;
    int groups = ceil_div((size_t)n * per, chunk ? chunk : 1);
    if (split && groups < MIN_GROUPS) groups = MIN_GROUPS;
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

/* A split op: `runs` runs of consecutive groups of nb images (one group each, unless the op
 * sums over images: then run r sums into its own partial, part + r * acc_floats). */
typedef struct {
    const nn_conv_job *job;
    int nb, groups, runs;
    float *part;
    atomic_int *failed;   /* some thread lacked scratch */
} split_run;

static void run_chunk(const void *p, size_t r)
{
    const split_run *s = p;
    const nn_conv_job *job = s->job;
    float *scratch = nn_conv_scratch(job->per_image * (size_t)s->nb);
    if (!scratch) {
        atomic_store_explicit(s->failed, 1, memory_order_relaxed);   /* read after the job: the pool orders it */
        return;
    }
    float *acc = job->acc_floats ? s->part + r * job->acc_floats : NULL;
    int g0 = (int)((long)r * s->groups / s->runs), g1 = (int)((long)(r + 1) * s->groups / s->runs), n = job->geom.n;
    for (int gi = g0; gi < g1; gi++) {
        int n0 = gi * s->nb;
        job->fn(job, n0, n0 + s->nb <= n ? s->nb : n - n0, scratch, acc, gi == g0);
    }
}

typedef struct {
    const float *part;
    float *out;
    size_t stride;
    int runs;
} partials_sum;

/* out[i] = the runs' partials at i, added in run order */
static void sum_chunk(const void *p, size_t lo, size_t hi)
{
    const partials_sum *s = p;
    memcpy(s->out + lo, s->part + lo, (hi - lo) * sizeof(float));
    for (int r = 1; r < s->runs; r++) {
        const float *q = s->part + (size_t)r * s->stride;
#pragma omp simd
        for (size_t i = lo; i < hi; i++) s->out[i] += q[i];
    }
}

/* Returns 0, or -1 when some thread lacked scratch (nothing is then assumed done). */
static int run_split(const nn_conv_job *job, int nb)
{
    int groups = ceil_div((size_t)job->geom.n, (size_t)nb);
    int runs = job->acc_floats && groups > MAX_RUNS ? MAX_RUNS : groups;
    float *part = NULL;
    if (job->acc_floats && !(part = nn_thread_scratch(NN_SCRATCH_CONV_PARTIALS, (size_t)runs * job->acc_floats))) return -1;
    atomic_int failed = 0;
    nn_pool_run((size_t)runs, run_chunk, &(split_run){job, nb, groups, runs, part, &failed});
    if (atomic_load_explicit(&failed, memory_order_relaxed)) return -1;
    if (job->acc_floats)
        nn_par_for(job->acc_floats, sum_chunk, &(partials_sum){part, acc_target(job), job->acc_floats, runs});
    return 0;
}

int nn_conv_run(const nn_conv_job *job)
{
    if (job->flops >= NN_GEMM_PAR_FLOPS && job->geom.n > 1 && nn_pool_threads() > 1 && run_split(job, group_size(job, 1)) == 0)
        return 0;
    return run_serial(job, group_size(job, 0));
}
