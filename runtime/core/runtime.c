/* Process-wide set-up and the GEMM every op calls (the threading policy is in parallel.h).
 *
 * OpenBLAS itself always runs single-threaded: a big GEMM that pays for more cores is cut into
 * blocks of C's rows or columns, each one single-threaded OpenBLAS call, which the pool's
 * threads take from its counter (pool.h) like any other chunks. With OpenBLAS's own threads the
 * two pools fought: its idle worker spins for ~0.1 s after each threaded GEMM, on the core the
 * convolutions' OpenMP threads needed next (cnn_clf's 150 bench batches took 13.4 s instead of
 * 11.9), and shortening that spin made every threaded GEMM wake a sleeping worker (mlp_ae's
 * epoch 0.54 -> 0.65 s).
 * A split GEMM used to be an even two-way split over OpenMP's threads, and because a core slowed
 * by a neighbour then made it twice as slow as one core, the split was chosen by timing both
 * settings as they ran. Timings made the run depend on the machine's load; the pool needs none:
 * a block is taken by whichever thread is free, so with the second core busy the caller simply
 * takes more of them (or all). The blocks are a function of the shape alone, and OpenBLAS sums
 * each element of C over k in the same order whatever rows or columns a call covers, so the
 * result is the same bits as one call (tests/test_sgemm.c checks it). */
#include "nn/dist.h"
#include "nn/runtime.h"
#include "parallel.h"
#include "pool.h"
#include "kernel_isa.h"
#include "thread_scratch.h"
#include "../kernels/gemm_panel.h"
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int blas_fixed;        /* OPENBLAS_NUM_THREADS given: the user decides */

void nn_runtime_init(void)
{
    int ranks_here = nn_dist_local_size();   /* ranks on this machine share its cores */
    if (ranks_here > 1 && !getenv("OMP_NUM_THREADS")) {
        int share = omp_get_num_procs() / ranks_here;
        omp_set_num_threads(share > 1 ? share : 1);
    }
    blas_fixed = getenv("OPENBLAS_NUM_THREADS") != NULL;
    if (!blas_fixed) openblas_set_num_threads(1);   /* every thread we run is the pool's */
    nn_pool_start();   /* now, so that the first job does not pay for creating the workers */
}

const char *nn_blas_description(void)
{
    static char text[96];
    int threads = blas_fixed ? openblas_get_num_threads() : nn_pool_threads();
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

/* The blocks a big GEMM is cut into, a function of its shape alone: about NN_GEMM_BLOCK_FLOPS
 * each, at least 2 and at most NN_GEMM_MAX_BLOCKS, each above NN_GEMM_MIN_BLOCK_FLOPS and
 * NN_GEMM_MIN_BLOCK_LEN rows (fewer blocks, or none, when that cannot be). Blocks start at
 * multiples of 16 rows (or columns), as evenly spread as that allows. The FLOP floor keeps the
 * split the same bits as one call: OpenBLAS (0.3.21, SkylakeX kernels) runs a GEMM of
 * m n k <= 1e6 through its small-matrix kernel, which sums in another order; a big GEMM never
 * does, and neither does any block above 2e6 FLOPs (measured over 2700 random shapes and
 * splits; test_sgemm.c checks the bench models' layers). */
#define NN_GEMM_BLOCK_FLOPS 4e6
#define NN_GEMM_MIN_BLOCK_FLOPS 2.5e6
#define NN_GEMM_MAX_BLOCKS 4
/* Rows (or columns) per block, at least: every block packs the whole operand the blocks share
 * (op(B) for blocks of rows), so thin blocks pay it too often. cnn_clf's dense layer (128 x
 * 9216 x 128) in 4 blocks of 32 rows took 0.20 s per 30 batches, in 2 of 64 0.15 s. */
#define NN_GEMM_MIN_BLOCK_LEN 64

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int by_cols, len, blocks;   /* cut along C's columns or rows: len of them, into blocks */
} gemm_job;

/* Where block i of `blocks` over len rows starts (i = blocks: len). */
static int block_start(int len, int blocks, int i)
{
    return i >= blocks ? len : (int)(((long)i * len / blocks + 8) / 16 * 16);
}

static void gemm_block(const void *p, size_t chunk)
{
    const gemm_job *j = p;
    int r0 = block_start(j->len, j->blocks, (int)chunk), r1 = block_start(j->len, j->blocks, (int)chunk + 1);
    gemm_part(j->ta, j->tb, j->m, j->n, j->k, j->alpha, j->a, j->lda, j->b, j->ldb, j->beta, j->c, j->ldc, j->by_cols, r0, r1);
}

int nn_gemm_blocks(int m, int n, int k)
{
    double flops = 2.0 * m * n * k;
    int len = n > m ? n : m;
    if (blas_fixed || flops < NN_GEMM_PAR_FLOPS) return 1;
    double want = flops / NN_GEMM_BLOCK_FLOPS;
    int blocks = want < 2 ? 2 : want > NN_GEMM_MAX_BLOCKS ? NN_GEMM_MAX_BLOCKS : (int)want;
    if (blocks > len / NN_GEMM_MIN_BLOCK_LEN) blocks = len / NN_GEMM_MIN_BLOCK_LEN;
    for (; blocks > 1; blocks--) {   /* the first count whose smallest block is above the floor */
        int smallest = len;
        for (int i = 0; i < blocks; i++) {
            int w = block_start(len, blocks, i + 1) - block_start(len, blocks, i);
            if (w < smallest) smallest = w;
        }
        if (flops * smallest / len > NN_GEMM_MIN_BLOCK_FLOPS) break;
    }
    return blocks;
}

/* ---- thin products: the panel GEMM (gemm_panel.h) ----
 * Measured against OpenBLAS 0.3.21's SkylakeX kernels on one core (scripts/bench_gemm.sh, the
 * grid of m 16-1024, n 32 and 512, k 16-2048, forward NT, dx NN, dW TN): the panels win by
 * 1.1-2x while op(A) stays in L2 beside the panel (m k up to ~200K floats: at 256K, TN lost
 * 8%; at 2M, 44%) and k up to 2048 (a panel of 2048 x 32 floats is 256 KB); they lose 5-25%
 * below 64 rows unless the product is wide and deep enough to pay for its packing (n >= 128,
 * m k >= 4096), and for products at most 16 columns wide (one half-empty panel). */
#define THIN_MAX_K 2048
#define THIN_MAX_MK (200 * 1024)
#define THIN_MIN_N 16
/* Panels per chunk: at least this many FLOPs, so that handing out a chunk costs little. */
#define THIN_CHUNK_FLOPS 1e6

int nn_gemm_thin(int m, int n, int k)
{
#if NN_ISA_X86
    if (blas_fixed || nn_isa() < NN_ISA_AVX512 || m <= 0 || k <= 0) return 0;
    double mk = (double)m * k;
    return k <= THIN_MAX_K && mk <= THIN_MAX_MK && n > THIN_MIN_N && (m >= 64 || (n >= 128 && mk >= 4096));
#else
    (void)m, (void)n, (void)k;
    return 0;
#endif
}

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int cols;            /* columns per chunk, a multiple of NN_PANEL */
    const float *bias;   /* added to each row of C (beta = 0), or NULL */
} thin_job;

/* Columns [j0, j1) of C's m rows (ldc apart) = bias[j0, j1): what beta = 1 then adds to. */
static void fill_rows(float *c, int ldc, int m, const float *bias, int j0, int j1)
{
    for (int i = 0; i < m; i++) memcpy(c + (size_t)i * ldc + j0, bias + j0, (size_t)(j1 - j0) * sizeof(float));
}

/* Columns [j0, j1) of C: their panels packed in this thread's scratch, then the tiles. */
static void thin_chunk(const void *p, size_t chunk)
{
    const thin_job *j = p;
    int j0 = (int)chunk * j->cols, j1 = j0 + j->cols < j->n ? j0 + j->cols : j->n;
#if NN_ISA_X86
    float *packed = nn_thread_scratch(NN_SCRATCH_GEMM_PACK, nn_panels_floats(j->k, j0, j1));
    if (packed) {
        nn_panels_pack(packed, j->b, j->tb, (size_t)j->ldb, j->k, j->n, j0, j1);
        nn_panels_gemm(j->ta, j->m, j->k, j->alpha, j->a, (size_t)j->lda, packed, j->n, j0, j1, j->beta, j->c, (size_t)j->ldc,
                       j->bias);
        return;
    }
#endif
    /* no memory for the panels: OpenBLAS on the same columns */
    if (j->bias) fill_rows(j->c, j->ldc, j->m, j->bias, j0, j1);
    gemm_part(j->ta, j->tb, j->m, j->n, j->k, j->alpha, j->a, j->lda, j->b, j->ldb, j->bias ? 1.0f : j->beta, j->c, j->ldc, 1,
              j0, j1);
}

static void thin_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                       float beta, float *c, int ldc, const float *bias)
{
    double panel_flops = 2.0 * m * k * NN_PANEL;
    int panels = (n + NN_PANEL - 1) / NN_PANEL, per_chunk = (int)(THIN_CHUNK_FLOPS / panel_flops) + 1;
    if (per_chunk > panels) per_chunk = panels;
    thin_job j = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, per_chunk * NN_PANEL, bias};
    size_t chunks = (size_t)((panels + per_chunk - 1) / per_chunk);
    if (nn_pool_threads() < 2 || 2.0 * m * n * k < NN_GEMM_PAR_FLOPS)
        for (size_t i = 0; i < chunks; i++) thin_chunk(&j, i);
    else nn_pool_run(chunks, thin_chunk, &j);
}

void nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc)
{
    if (nn_gemm_thin(m, n, k)) {
        thin_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL);
        return;
    }
    int by_cols = n > m, len = by_cols ? n : m;
    int blocks = nn_pool_threads() < 2 ? 1 : nn_gemm_blocks(m, n, k);
    if (blocks < 2) {
        gemm_part(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 0, m);
        return;
    }
    gemm_job j = {trans_a, trans_b, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, by_cols, len, blocks};
    nn_pool_run((size_t)blocks, gemm_block, &j);
}

void nn_sgemm_bias(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   const float *bias, float *c, int ldc)
{
    if (nn_gemm_thin(m, n, k)) {   /* the bias added as the tiles are stored */
        thin_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, bias);
        return;
    }
    fill_rows(c, ldc, m, bias, 0, n);
    nn_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c, ldc);
}
