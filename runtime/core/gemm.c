/* The GEMM every op calls, nn_sgemm (the threading policy is in parallel.h).
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
 * result is the same bits as one call (tests/test_sgemm.c checks it).
 *
 * On the AVX-512 level, three shapes of product take other routes (nn_gemm_route), each the
 * same bits on any thread count: thin products (a batch of rows, or a short k) run the panel
 * kernel by columns; tall ones (many rows, short k and few columns: a recurrent layer's input
 * projection over every step) run it by blocks of rows; deep ones (A^T op(B) summed over a long
 * k into a small C: weight gradients over every step) are cut along k. */
#include "parallel.h"
#include "pool.h"
#include "kernel_isa.h"
#include "thread_scratch.h"
#include "gemm_pack_cache.h"
#include "../kernels/gemm_panel.h"
#include <cblas.h>
#include <string.h>

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
    if (nn_blas_fixed() || flops < NN_GEMM_PAR_FLOPS) return 1;
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
/* Products whose tiles skip the steps of k that add exact zeros (gemm_panel.h): a dense
 * layer fed images with a blank background, forward (op(A)'s zeros) and its weight's
 * gradient (op(B)'s). Below these, looking costs more than it could save. */
#define SKIP_MIN_K 64
#define SKIP_MIN_FLOPS 4e6

static int gemm_thin(int m, int n, int k)
{
#if NN_ISA_X86
    if (nn_blas_fixed() || nn_isa() < NN_ISA_AVX512 || m <= 0 || k <= 0) return 0;
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
    int cols;                    /* columns per chunk, a multiple of NN_PANEL */
    const nn_gemm_epilogue *e;   /* applied as C is stored (its bias with beta = 0), or NULL */
    float *cached;               /* all of op(B)'s panels, kept for the plan run (gemm_pack_cache.h), or NULL */
    int cached_ready;            /* ... and already packed */
    const int *a_lists;          /* the steps of k op(A)'s blocks of rows visit (gemm_panel.h), or NULL */
    int b_lists;                 /* ... else each chunk lists its panels' as it packs them */
} thin_job;

/* Columns [j0, j1) of C's m rows (ldc apart) = bias[j0, j1): what beta = 1 then adds to. */
static void fill_rows(float *c, int ldc, int m, const float *bias, int j0, int j1)
{
    for (int i = 0; i < m; i++) memcpy(c + (size_t)i * ldc + j0, bias + j0, (size_t)(j1 - j0) * sizeof(float));
}

/* The epilogue's addend, activation and gate over C's rows [i0, i1), columns [j0, j1), once
 * the GEMM has stored them (the bias is in already: C was filled with it). The same sums,
 * tests and products as the tile's store and the ops' own loops. */
static void epilogue_pass(float *c, int ldc, int i0, int i1, int j0, int j1, const nn_gemm_epilogue *e)
{
    if (!e || (!e->act && !e->gate && !e->addend)) return;
    const float slope = e->slope;
    for (int i = i0; i < i1; i++) {
        float *cr = c + (size_t)i * ldc;
        if (e->addend) {
            const float *ar = e->addend + (size_t)i * e->ldaddend;
            for (int j = j0; j < j1; j++) cr[j] += ar[j];
        }
        if (e->act)
            for (int j = j0; j < j1; j++) cr[j] = cr[j] < 0.0f ? slope * cr[j] : cr[j];
        if (e->gate) {
            const float *gr = e->gate + (size_t)i * e->ldgate;
            for (int j = j0; j < j1; j++) cr[j] = gr[j] > 0.0f ? cr[j] : slope * cr[j];
        }
    }
}

typedef struct {
    float *c;
    int ldc, n;
    const nn_gemm_epilogue *e;
} epilogue_job;

static void epilogue_rows(const void *p, size_t lo, size_t hi)
{
    const epilogue_job *j = p;
    epilogue_pass(j->c, j->ldc, (int)lo, (int)hi, 0, j->n, j->e);
}

/* Columns [j0, j1) of C: their panels packed in this thread's scratch (or found in the
 * cache, or packed into it), then the tiles. */
static void thin_chunk(const void *p, size_t chunk)
{
    const thin_job *j = p;
    int j0 = (int)chunk * j->cols, j1 = j0 + j->cols < j->n ? j0 + j->cols : j->n;
#if NN_ISA_X86
    size_t floats = nn_panels_floats(j->k, j0, j1);
    size_t lists = j->b_lists && !j->cached ? (size_t)(j1 - j0 + NN_PANEL - 1) / NN_PANEL : 0;   /* after the panels */
    float *packed = j->cached ? j->cached + (size_t)j0 * j->k
                              : nn_thread_scratch(NN_SCRATCH_GEMM_PACK, floats + lists * NN_K_LIST_INTS(j->k));
    if (packed) {
        nn_k_lists skip = {j->a_lists, lists ? (const int *)(packed + floats) : NULL};
        if (!j->cached_ready) nn_panels_pack(packed, j->b, j->tb, (size_t)j->ldb, j->k, j->n, j0, j1, (int *)skip.b);
        nn_panels_gemm(j->ta, j->m, j->k, j->alpha, j->a, (size_t)j->lda, packed, j->n, j0, j1, j->beta, j->c, (size_t)j->ldc,
                       j->e, &skip);
        return;
    }
#endif
    /* no memory for the panels: OpenBLAS on the same columns */
    const float *bias = j->e ? j->e->bias : NULL;
    if (bias) fill_rows(j->c, j->ldc, j->m, bias, j0, j1);
    gemm_part(j->ta, j->tb, j->m, j->n, j->k, j->alpha, j->a, j->lda, j->b, j->ldb, bias ? 1.0f : j->beta, j->c, j->ldc, 1, j0,
              j1);
    epilogue_pass(j->c, j->ldc, 0, j->m, j0, j1, j->e);
}

static void thin_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                       float beta, float *c, int ldc, const nn_gemm_epilogue *e)
{
    double panel_flops = 2.0 * m * k * NN_PANEL;
    int panels = (n + NN_PANEL - 1) / NN_PANEL, per_chunk = (int)(THIN_CHUNK_FLOPS / panel_flops) + 1;
    if (per_chunk > panels) per_chunk = panels;
    thin_job j = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, per_chunk * NN_PANEL, e, NULL, 0, NULL, 0};
    if (e && e->b_constant) j.cached = nn_gemm_cache_panels(b, tb, ldb, k, n, &j.cached_ready);
#if NN_ISA_X86
    if (k >= SKIP_MIN_K && 2.0 * m * n * k >= SKIP_MIN_FLOPS) {   /* zeros to skip: op(A)'s, else op(B)'s */
        int *lists = (int *)nn_thread_scratch(NN_SCRATCH_GEMM_SKIP, (size_t)((m + 7) / 8) * NN_K_LIST_INTS(k));
        if (lists && nn_panels_a_lists(ta, m, k, a, (size_t)lda, lists) == 0) j.a_lists = lists;
        else j.b_lists = 1;
    }
#endif
    size_t chunks = (size_t)((panels + per_chunk - 1) / per_chunk);
    if (nn_pool_threads() < 2 || 2.0 * m * n * k < NN_GEMM_PAR_FLOPS)
        for (size_t i = 0; i < chunks; i++) thin_chunk(&j, i);
    else nn_pool_run(chunks, thin_chunk, &j);
    if (j.cached && !j.cached_ready) nn_gemm_cache_filled(j.cached);
}

/* ---- tall products: many rows, short k, few columns (the panel GEMM by blocks of rows) ----
 * A recurrent layer's input projection over every step, (N*T, D) x (D, H), and its gradient
 * with respect to the input: op(A) is megabytes, too much to sit in L2 beside a panel, but
 * every packed panel of op(B) together fits (k n <= TALL_MAX_KN floats). op(B) is packed once,
 * by the caller, and the threads take blocks of TALL_BLOCK_FLOATS of op(A)'s floats, each run
 * against every panel while it stays in L2. scripts/bench_gemm.sh pool, against OpenBLAS cut
 * into blocks of rows: (12800, 256, 100) forward 320 -> 366-387 GFLOP/s in cache, 292 -> 341-364
 * cold; (12800, 100, 256) dx 279 -> 304-320; the transformer's (12800, 64, 64) 282-297 ->
 * 365-388. With fewer rows or a longer k it lost: seq2seq's (640, 100, 512) 323 -> 250. */
#define TALL_MIN_M 4096
#define TALL_MAX_K 256
#define TALL_MAX_KN (64 * 1024)
#define TALL_BLOCK_FLOATS (16 * 1024)

static int gemm_tall(int m, int n, int k)
{
#if NN_ISA_X86
    if (nn_blas_fixed() || nn_isa() < NN_ISA_AVX512 || k <= 0 || n <= THIN_MIN_N) return 0;
    return m >= TALL_MIN_M && k <= TALL_MAX_K && (double)k * n <= TALL_MAX_KN && (double)m * k > THIN_MAX_MK;
#else
    (void)m, (void)n, (void)k;
    return 0;
#endif
}

#if NN_ISA_X86
typedef struct {
    int ta, m, n, k, lda, ldc, rows;   /* rows per chunk, a multiple of 16 */
    float alpha, beta;
    const float *a, *packed;
    float *c;
    const nn_gemm_epilogue *e;
} tall_job;

static void tall_chunk(const void *p, size_t chunk)
{
    const tall_job *j = p;
    int i0 = (int)chunk * j->rows, rows = j->m - i0 < j->rows ? j->m - i0 : j->rows;
    const float *a = j->ta ? j->a + i0 : j->a + (size_t)i0 * j->lda;
    nn_gemm_epilogue e;   /* the gate's and addend's rows from i0, as C's */
    if (j->e) {
        e = *j->e;
        if (e.gate) e.gate += (size_t)i0 * e.ldgate;
        if (e.addend) e.addend += (size_t)i0 * e.ldaddend;
    }
    nn_panels_gemm(j->ta, rows, j->k, j->alpha, a, (size_t)j->lda, j->packed, j->n, 0, j->n, j->beta, j->c + (size_t)i0 * j->ldc,
                   (size_t)j->ldc, j->e ? &e : NULL, NULL);
}
#endif

/* 0 when done; -1 when the packed op(B) found no memory (the caller then uses OpenBLAS). */
static int tall_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                      float beta, float *c, int ldc, const nn_gemm_epilogue *e)
{
#if NN_ISA_X86
    int ready = 0;
    float *packed = e && e->b_constant ? nn_gemm_cache_panels(b, tb, ldb, k, n, &ready) : NULL;
    int cached = packed != NULL;
    if (!packed) packed = nn_thread_scratch(NN_SCRATCH_GEMM_PACK, nn_panels_floats(k, 0, n));
    if (!packed) return -1;
    if (!ready) nn_panels_pack(packed, b, tb, (size_t)ldb, k, n, 0, n, NULL);
    if (cached && !ready) nn_gemm_cache_filled(packed);
    int rows = (TALL_BLOCK_FLOATS / k + 15) / 16 * 16;
    tall_job j = {ta, m, n, k, lda, ldc, rows, alpha, beta, a, packed, c, e};
    size_t chunks = (size_t)((m + rows - 1) / rows);
    if (nn_pool_threads() < 2)
        for (size_t i = 0; i < chunks; i++) tall_chunk(&j, i);
    else nn_pool_run(chunks, tall_chunk, &j);
    return 0;
#else
    (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c;
    (void)ldc, (void)e;
    return -1;
#endif
}

/* ---- deep products: a small C summed over a long k (weight gradients over every step) ----
 * C (m, n) = alpha A^T op(B) + beta C with k >= DEEP_MIN_K, at least DEEP_K_PER_SIDE times m
 * and n, and C at most DEEP_MAX_MN floats: the recurrent layers' dW_ih and dW_hh over N*T
 * rows. Cut into blocks of C's columns, every block would read all of A; cut along k into
 * DEEP_RUNS runs, each run reads its rows of A and B once, into its own partial sum, and the
 * partials are added in run order. The runs are a function of k alone: the same bits on any
 * thread count. scripts/bench_gemm.sh pool, against OpenBLAS cut into blocks of columns:
 * (100, 256, 12800) 188-228 -> 255-306 GFLOP/s in cache, 175-206 -> 239-292 cold; the
 * transformer's (64, 64, 12800) 110-143 -> 239-279; 6 runs or 8 were no better on two cores. */
#define DEEP_MIN_K 1024
#define DEEP_K_PER_SIDE 4
#define DEEP_MAX_MN (1 << 20)
#define DEEP_RUNS 4

typedef struct {
    int tb, m, n, k, lda, ldb;
    float alpha;
    const float *a, *b;
    float *part;   /* DEEP_RUNS partials of m n floats */
} deep_job;

static void deep_run(const void *p, size_t run)
{
    const deep_job *j = p;
    int k0 = (int)((long)j->k * (long)run / DEEP_RUNS), k1 = (int)((long)j->k * (long)(run + 1) / DEEP_RUNS);
    const float *b = j->tb ? j->b + k0 : j->b + (size_t)k0 * j->ldb;
    cblas_sgemm(CblasRowMajor, CblasTrans, j->tb ? CblasTrans : CblasNoTrans, j->m, j->n, k1 - k0, j->alpha,
                j->a + (size_t)k0 * j->lda, j->lda, b, j->ldb, 0.0f, j->part + run * (size_t)j->m * j->n, j->n);
}

/* C's rows [lo, hi) = beta C + the partials, in run order */
typedef struct {
    const deep_job *job;
    float beta, *c;
    int ldc;
} deep_sum;

static void deep_sum_rows(const void *p, size_t lo, size_t hi)
{
    const deep_sum *s = p;
    int n = s->job->n;
    size_t mn = (size_t)s->job->m * n;
    for (size_t i = lo; i < hi; i++) {
        float *c = s->c + i * (size_t)s->ldc;
        const float *q = s->job->part + i * (size_t)n;
        if (s->beta == 0.0f)   /* C is only written: what it held, NaN included, does not matter */
            memcpy(c, q, (size_t)n * sizeof(float));
        else
            for (int x = 0; x < n; x++) c[x] = s->beta * c[x] + q[x];
        for (int r = 1; r < DEEP_RUNS; r++) {
#pragma omp simd
            for (int x = 0; x < n; x++) c[x] += q[r * mn + (size_t)x];
        }
    }
}

static int gemm_deep(int ta, int m, int n, int k)
{
    return ta && !nn_blas_fixed() && k >= DEEP_MIN_K && k >= DEEP_K_PER_SIDE * m && k >= DEEP_K_PER_SIDE * n &&
           (double)m * n <= DEEP_MAX_MN && 2.0 * m * n * k >= NN_GEMM_PAR_FLOPS;
}

/* 0 when done, -1 without memory for the partials (the caller then cuts C's columns) */
static int deep_sgemm(int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                      float *c, int ldc)
{
    float *part = nn_thread_scratch(NN_SCRATCH_GEMM_PACK, (size_t)DEEP_RUNS * m * n);
    if (!part) return -1;
    deep_job j = {tb, m, n, k, lda, ldb, alpha, a, b, part};
    if (nn_pool_threads() < 2)
        for (size_t r = 0; r < DEEP_RUNS; r++) deep_run(&j, r);
    else nn_pool_run(DEEP_RUNS, deep_run, &j);
    deep_sum s = {&j, beta, c, ldc};
    nn_par_items((size_t)m, (size_t)n * DEEP_RUNS, deep_sum_rows, &s);
    return 0;
}

nn_gemm_kind nn_gemm_route(int trans_a, int m, int n, int k)
{
    if (gemm_thin(m, n, k)) return NN_GEMM_THIN;
    if (gemm_deep(trans_a, m, n, k)) return NN_GEMM_DEEP;
    if (gemm_tall(m, n, k)) return NN_GEMM_TALL;
    return NN_GEMM_BLAS;
}

void nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc)
{
    switch (nn_gemm_route(trans_a, m, n, k)) {
    case NN_GEMM_THIN:
        thin_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL);
        return;
    case NN_GEMM_DEEP:
        if (deep_sgemm(trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0) return;
        break;   /* no memory for the partials */
    case NN_GEMM_TALL:
        if (tall_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL) == 0) return;
        break;   /* no memory for the panels */
    case NN_GEMM_BLAS:
        break;
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

void nn_sgemm_fused(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                    float *c, int ldc, const nn_gemm_epilogue *e)
{
    nn_gemm_kind route = nn_gemm_route(trans_a, m, n, k);
    if (route == NN_GEMM_THIN) {   /* the epilogue applied as the tiles are stored */
        thin_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, e);
        return;
    }
    if (route == NN_GEMM_TALL && tall_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, e) == 0) return;
    if (e->bias) fill_rows(c, ldc, m, e->bias, 0, n);
    nn_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, e->bias ? 1.0f : 0.0f, c, ldc);
    if (e->act || e->gate || e->addend) nn_par_items((size_t)m, (size_t)n, epilogue_rows, &(epilogue_job){c, ldc, n, e});
}
