/* nn_sgemm: the GEMM every op calls, cut into blocks of rows (or of columns, when C has more of
 * those) that the pool's threads take when it is big, and run whole on one core otherwise.
 * Whatever the split or the thread count, C must equal alpha op(A) op(B) + beta C computed
 * directly, and be the same bits as one OpenBLAS call: which thread takes which block, or how
 * many threads there are, must never show in the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nn/rng.h"
#include "nn/runtime.h"
#include "../runtime/core/parallel.h"
#include "../runtime/core/pool.h"
#include "../runtime/core/gemm_pack_cache.h"
#include <pthread.h>

typedef struct {
    int ta, tb, m, n, k;
} shape_t;

static float *random_matrix(nn_rng *r, size_t count)
{
    float *x = malloc(count * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < count; i++) x[i] = nn_rng_range(r, -1, 1);
    return x;
}

/* One call of nn_sgemm on padded leading dimensions (3 extra columns each) against doubles. */
static void check_one(const shape_t *s, float alpha, float beta, nn_rng *r)
{
    int ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k, br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;
    int lda = ac + 3, ldb = bc + 3, ldc = s->n + 3;
    float *a = random_matrix(r, (size_t)ar * lda), *b = random_matrix(r, (size_t)br * ldb);
    float *c = random_matrix(r, (size_t)s->m * ldc), *c0 = malloc((size_t)s->m * ldc * sizeof *c0);
    assert_non_null(c0);
    for (size_t i = 0; i < (size_t)s->m * ldc; i++) c0[i] = c[i];
    nn_sgemm(s->ta, s->tb, s->m, s->n, s->k, alpha, a, lda, b, ldb, beta, c, ldc);
    for (int i = 0; i < s->m; i++) {
        for (int j = 0; j < s->n; j++) {
            double acc = 0;
            for (int p = 0; p < s->k; p++) {
                double av = s->ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = s->tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                acc += av * bv;
            }
            double want = alpha * acc + beta * c0[(size_t)i * ldc + j];
            assert_true(fabs(c[(size_t)i * ldc + j] - want) < 1e-3 * (1 + fabs(want)));
        }
        for (int j = s->n; j < ldc; j++) assert_true(c[(size_t)i * ldc + j] == c0[(size_t)i * ldc + j]);   /* padding kept */
    }
    free(a);
    free(b);
    free(c);
    free(c0);
}

/* Big enough to be split (>= NN_GEMM_PAR_FLOPS): more rows than columns, more columns than
 * rows, sizes that are not multiples of 16, every transpose. */
static const shape_t big[] = {
    {0, 0, 130, 70, 300}, {1, 0, 70, 131, 300}, {0, 1, 97, 211, 240}, {1, 1, 200, 33, 400}, {0, 0, 17, 900, 260},
};

static void run_shapes(int threads)
{
    nn_rng r;
    nn_rng_seed(&r, 11);
    omp_set_num_threads(threads);
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        assert_true(nn_gemm_blocks(big[i].m, big[i].n, big[i].k) >= 2);
        check_one(&big[i], 1.0f, 0.0f, &r);
        check_one(&big[i], -0.5f, 1.0f, &r);
        check_one(&big[i], 2.0f, 0.25f, &r);
    }
    omp_set_num_threads(2);
}

static void test_split_gemm_matches_direct_sums_on_two_threads(void **state)
{
    (void)state;
    run_shapes(2);
}

static void test_split_gemm_matches_direct_sums_on_three_threads(void **state)
{
    (void)state;
    run_shapes(3);   /* uneven parts, one of them possibly empty */
}

/* C = 0.75 op(A) op(B) + 0.5 C as one unsplit call computes it: OpenBLAS, or for a shape with
 * a route of its own (thin, tall, deep) that route with every chunk on the calling thread. */
static void one_call(const shape_t *s, const float *a, const float *b, float *c)
{
    int ac = s->ta ? s->m : s->k, bc = s->tb ? s->k : s->n;
    if (nn_gemm_route(s->ta, s->m, s->n, s->k) != NN_GEMM_BLAS) {
        nn_pool_hold_workers(1);
        nn_sgemm(s->ta, s->tb, s->m, s->n, s->k, 0.75f, a, ac, b, bc, 0.5f, c, s->n);
        nn_pool_hold_workers(0);
        return;
    }
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 0.75f, a,
                ac, b, bc, 0.5f, c, s->n);
}

/* nn_sgemm against one_call, compared bit for bit, `reps` times. */
static void expect_same_bits_as_one_call(const shape_t *s, int reps, nn_rng *r)
{
    int ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k, br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;
    float *a = random_matrix(r, (size_t)ar * ac), *b = random_matrix(r, (size_t)br * bc);
    float *c0 = random_matrix(r, (size_t)s->m * s->n), *want = malloc((size_t)s->m * s->n * sizeof *want);
    float *c = malloc((size_t)s->m * s->n * sizeof *c);
    assert_non_null(want);
    assert_non_null(c);
    memcpy(want, c0, (size_t)s->m * s->n * sizeof *want);
    one_call(s, a, b, want);
    for (int i = 0; i < reps; i++) {
        memcpy(c, c0, (size_t)s->m * s->n * sizeof *c);
        nn_sgemm(s->ta, s->tb, s->m, s->n, s->k, 0.75f, a, ac, b, bc, 0.5f, c, s->n);
        assert_memory_equal(c, want, (size_t)s->m * s->n * sizeof *c);
    }
    free(a);
    free(b);
    free(c0);
    free(want);
    free(c);
}

/* The bench models' layers (mlp_ae: 784 inputs, batch 128; the WGAN critic 256 x 512) and odd
 * sizes, cut into 2 to 4 blocks by rows and by columns, every transpose. */
static const shape_t layers[] = {
    {0, 1, 64, 512, 784},  {0, 0, 128, 100, 784}, {1, 0, 784, 100, 128}, {0, 0, 128, 784, 100}, {0, 1, 256, 512, 512},
    {1, 1, 256, 512, 512}, {1, 0, 100, 784, 128}, {0, 0, 97, 211, 240},  {0, 1, 33, 1000, 300},  {1, 1, 531, 77, 190},
};

/* Whether this machine's OpenBLAS gives the same bits for a GEMM's rows computed in two calls
 * as in one (for every transpose, at the row and column cuts nn_sgemm makes). Cooperlake's and
 * SkylakeX's kernels do; the Haswell kernels that OPENBLAS_CORETYPE=Haswell forces on an
 * AVX-512 AMD EPYC do not: there a block's last rows and columns go through an edge kernel that
 * sums in another order, so no cut can match one call, and the bits of a split GEMM depend on
 * the thread count (not on timing: the cuts are fixed by shape and thread count). */
static int blas_cuts_keep_bits(void)
{
    nn_rng r;
    nn_rng_seed(&r, 99);
    enum { M = 128, N = 128, K = 256 };
    float *a = random_matrix(&r, M * K), *b = random_matrix(&r, K * N), *whole = malloc(M * N * sizeof *whole),
          *parts = malloc(M * N * sizeof *parts);
    int same = 1;
    for (int t = 0; t < 4 && same; t++) {
        int ta = t & 1, tb = t >> 1;
        CBLAS_TRANSPOSE oa = ta ? CblasTrans : CblasNoTrans, ob = tb ? CblasTrans : CblasNoTrans;
        cblas_sgemm(CblasRowMajor, oa, ob, M, N, K, 0.75f, a, ta ? M : K, b, tb ? K : N, 0.0f, whole, N);
        cblas_sgemm(CblasRowMajor, oa, ob, M / 2, N, K, 0.75f, a, ta ? M : K, b, tb ? K : N, 0.0f, parts, N);   /* rows */
        cblas_sgemm(CblasRowMajor, oa, ob, M / 2, N, K, 0.75f, ta ? a + M / 2 : a + (size_t)M / 2 * K, ta ? M : K, b, tb ? K : N,
                    0.0f, parts + (size_t)M / 2 * N, N);
        same = memcmp(whole, parts, M * N * sizeof *whole) == 0;
        cblas_sgemm(CblasRowMajor, oa, ob, M, N / 2, K, 0.75f, a, ta ? M : K, b, tb ? K : N, 0.0f, parts, N);   /* columns */
        cblas_sgemm(CblasRowMajor, oa, ob, M, N / 2, K, 0.75f, a, ta ? M : K, tb ? b + (size_t)N / 2 * K : b + N / 2, tb ? K : N,
                    0.0f, parts + N / 2, N);
        same &= memcmp(whole, parts, M * N * sizeof *whole) == 0;
    }
    free(a), free(b), free(whole), free(parts);
    return same;
}

static void test_split_gemm_is_the_same_bits_as_one_call(void **state)
{
    (void)state;
    if (!blas_cuts_keep_bits()) {
        print_message("this machine's OpenBLAS kernels (%s) give other bits for rows or columns computed apart: "
                      "a split GEMM cannot equal one call here (the other tests check its values)\n", openblas_get_corename());
        skip();
    }
    nn_rng r;
    nn_rng_seed(&r, 12);
    for (int threads = 2; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
            int blocks = nn_gemm_blocks(layers[i].m, layers[i].n, layers[i].k);
            assert_true(blocks >= 2 && blocks <= 4);   /* split */
            expect_same_bits_as_one_call(&layers[i], 3, &r);
        }
    }
    /* shapes where a part would fall into OpenBLAS's small-matrix kernel (m n k <= 100^3), which
     * sums in another order: fewer blocks or one call, never other bits */
    static const int odd[][3] = {{31, 100, 784}, {100, 47, 511}, {33, 130, 511}, {65, 64, 784}, {97, 100, 256},
                                 {130, 130, 130}, {17, 257, 511}, {200, 33, 400}};
    for (int threads = 2; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
            for (int t = 0; t < 4; t++) {
                shape_t sh = {t & 1, t >> 1, odd[i][0], odd[i][1], odd[i][2]};
                expect_same_bits_as_one_call(&sh, 3, &r);
            }
    }
    omp_set_num_threads(2);
    nn_pool_hold_workers(1);   /* every block on the caller */
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) expect_same_bits_as_one_call(&layers[i], 1, &r);
    nn_pool_hold_workers(0);
}

/* The panel kernel's products (thin shapes, on the AVX-512 level): the same bits whichever
 * thread takes which columns and however many threads there are, and right around the
 * thresholds of the thin route. */
static void test_thin_gemm_is_the_same_bits_however_split(void **state)
{
    (void)state;
    static const shape_t thin[] = {
        {0, 1, 64, 512, 784}, {0, 0, 64, 784, 512}, {1, 0, 512, 784, 64}, {1, 1, 100, 300, 200}, {0, 1, 16, 512, 256},
        {1, 0, 70, 33, 2048}, {0, 0, 257, 129, 700},
    };
    if (nn_gemm_route(0, 64, 512, 784) != NN_GEMM_THIN) {
        print_message("no AVX-512 level here: nn_sgemm always calls OpenBLAS (the other tests cover it)\n");
        skip();
    }
    nn_rng r;
    nn_rng_seed(&r, 14);
    for (int threads = 2; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (size_t i = 0; i < sizeof thin / sizeof *thin; i++) {
            assert_int_equal(nn_gemm_route(thin[i].ta, thin[i].m, thin[i].n, thin[i].k), NN_GEMM_THIN);
            expect_same_bits_as_one_call(&thin[i], 3, &r);
            check_one(&thin[i], 1.0f, 0.0f, &r);
            check_one(&thin[i], -0.5f, 1.0f, &r);
        }
    }
    omp_set_num_threads(2);
    /* OpenBLAS beyond them: op(A) out of L2, k past a panel's 256 KB, one half-empty panel, few rows */
    assert_int_equal(nn_gemm_route(0, 1024, 512, 1024), NN_GEMM_BLAS);
    assert_int_equal(nn_gemm_route(0, 64, 512, 4096), NN_GEMM_BLAS);
    assert_int_equal(nn_gemm_route(0, 512, 16, 512), NN_GEMM_BLAS);
    assert_int_equal(nn_gemm_route(0, 16, 32, 784), NN_GEMM_BLAS);
}

/* The tall route (many rows, a short k, few columns: the panel kernel by blocks of rows, op(B)
 * packed once) and the deep one (A^T op(B) over a long k, cut along k into partial sums): right,
 * and the same bits on 1, 2 and 3 threads, with padded leading dimensions. */
static void test_tall_and_deep_gemms_are_right_and_the_same_bits_however_split(void **state)
{
    (void)state;
    static const shape_t tall[] = {
        {0, 1, 12800, 256, 100}, {0, 0, 12800, 100, 256}, {1, 0, 5001, 40, 200}, {0, 1, 4100, 33, 90},
    };
    static const shape_t deep[] = {
        {1, 0, 100, 256, 12800}, {1, 0, 256, 256, 12799}, {1, 1, 33, 70, 4097}, {1, 0, 7, 300, 2500},
    };
    nn_rng r;
    nn_rng_seed(&r, 16);
    int have_tall = nn_gemm_route(0, 12800, 256, 100) == NN_GEMM_TALL;
    if (!have_tall) print_message("no AVX-512 level here: no tall route (the deep one is checked)\n");
    for (int threads = 1; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (size_t i = 0; have_tall && i < sizeof tall / sizeof *tall; i++) {
            assert_int_equal(nn_gemm_route(tall[i].ta, tall[i].m, tall[i].n, tall[i].k), NN_GEMM_TALL);
            expect_same_bits_as_one_call(&tall[i], 2, &r);
            if (threads == 2 && (double)tall[i].m * tall[i].n * tall[i].k < 5e7) check_one(&tall[i], -0.5f, 1.0f, &r);
        }
        for (size_t i = 0; i < sizeof deep / sizeof *deep; i++) {
            assert_int_equal(nn_gemm_route(deep[i].ta, deep[i].m, deep[i].n, deep[i].k), NN_GEMM_DEEP);
            expect_same_bits_as_one_call(&deep[i], 2, &r);
            if (threads == 2 && (double)deep[i].m * deep[i].n * deep[i].k < 5e7) {   /* the direct sums take long */
                check_one(&deep[i], 1.0f, 0.0f, &r);
                check_one(&deep[i], 2.0f, 0.25f, &r);
            }
        }
    }
    omp_set_num_threads(2);
    /* neither beyond them: a C too big to keep partials of, k too short for its sides, op(B)'s
     * panels too big to be packed once */
    assert_int_not_equal(nn_gemm_route(1, 2048, 1024, 16384), NN_GEMM_DEEP);
    assert_int_not_equal(nn_gemm_route(1, 512, 512, 1500), NN_GEMM_DEEP);
    assert_int_not_equal(nn_gemm_route(0, 12800, 1024, 100), NN_GEMM_TALL);
    assert_int_not_equal(nn_gemm_route(0, 640, 100, 512), NN_GEMM_TALL);   /* few rows, a long k */
    assert_int_equal(nn_gemm_route(0, 100, 256, 12800), NN_GEMM_BLAS);   /* only A^T sums over a long k here */
}

/* nn_sgemm_fused: the same bits as the unfused steps, each in a pass of its own (C's rows
 * filled with the bias and nn_sgemm with beta = 1, or the addend added to the product as the
 * add op does, then leaky_relu's and leaky_relu_grad's loops), on thin shapes (the epilogue
 * applied in the tiles), a tall one and OpenBLAS's, small and split, on 2 threads; what C held
 * before does not matter. The gate has zeros, NaNs and both signs; relu's slope 0 and a leaky
 * one; the addend a NaN and an infinity. */
static void test_fused_gemm_is_the_same_bits_as_its_steps_one_by_one(void **state)
{
    (void)state;
    static const shape_t shapes[] = {
        {0, 1, 64, 512, 784}, {0, 1, 128, 100, 784}, {0, 1, 64, 20, 400}, {0, 1, 1024, 512, 1024}, {0, 1, 9, 7, 5},
        {0, 1, 12800, 256, 100},   /* tall */
        {0, 0, 256, 512, 512},     /* thin, B plain: an MLP's dx */
        {1, 0, 512, 784, 64},      /* thin, A transposed: a weight gradient */
        {0, 0, 200, 300, 2500},    /* OpenBLAS, split */
        {1, 0, 100, 256, 12800},   /* deep */
    };
    enum { BIAS, BIAS_RELU, BIAS_LEAKY, GATE, ADDEND, ADDEND_GATE, KINDS };
    nn_rng r;
    nn_rng_seed(&r, 15);
    omp_set_num_threads(2);
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        for (int kind = 0; kind < KINDS; kind++) {
            int m = shapes[i].m, n = shapes[i].n, k = shapes[i].k, ta = shapes[i].ta, tb = shapes[i].tb;
            int ldc = n + 2, ldg = n + 1, ldd = n + 3, biased = kind <= BIAS_LEAKY;
            float slope = kind == BIAS_RELU ? 0.0f : 0.2f;
            float *a = random_matrix(&r, (size_t)m * k), *b = random_matrix(&r, (size_t)n * k), *bias = random_matrix(&r, (size_t)n);
            float *gate = random_matrix(&r, (size_t)m * ldg), *addend = random_matrix(&r, (size_t)m * ldd);
            float *c = malloc((size_t)m * ldc * sizeof *c), *want = malloc((size_t)m * ldc * sizeof *want);
            assert_non_null(c);
            assert_non_null(want);
            addend[0] = NAN, addend[(size_t)(m - 1) * ldd + n - 1] = INFINITY;
            for (int row = 0; row < m; row++) {
                gate[(size_t)row * ldg + row % n] = row % 3 ? 0.0f : NAN;
                for (int j = 0; j < ldc; j++) {
                    c[(size_t)row * ldc + j] = j < n ? NAN : 3.0f;
                    want[(size_t)row * ldc + j] = j < n ? (biased ? bias[j] : 0.0f) : 3.0f;
                }
            }
            int added = kind == ADDEND || kind == ADDEND_GATE;
            nn_gemm_epilogue e = {.bias = biased ? bias : NULL, .act = kind == BIAS_RELU || kind == BIAS_LEAKY, .slope = slope,
                                  .gate = kind == GATE || kind == ADDEND_GATE ? gate : NULL, .ldgate = (size_t)ldg,
                                  .addend = added ? addend : NULL, .ldaddend = (size_t)ldd};
            nn_sgemm_fused(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, ldc, &e);
            nn_sgemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, biased ? 1.0f : 0.0f, want, ldc);
            for (int row = 0; row < m; row++)
                for (int j = 0; j < n; j++) {
                    float *v = &want[(size_t)row * ldc + j], g = gate[(size_t)row * ldg + j];
                    if (added) *v = addend[(size_t)row * ldd + j] + *v;
                    if (e.act) *v = *v < 0.0f ? slope * *v : *v;
                    if (e.gate) *v = g > 0.0f ? *v : slope * *v;
                }
            for (size_t x = 0; x < (size_t)m * ldc; x++)
                if (memcmp(&c[x], &want[x], sizeof *c) != 0)
                    fail_msg("(%d, %d, %d) epilogue %d: C[%zu] = %.9g fused, %.9g in steps", m, n, k, kind, x, c[x], want[x]);
            free(a), free(b), free(bias), free(gate), free(addend), free(c), free(want);
        }
}

/* C = op(A) B^T or op(A) B through nn_sgemm_fused, B marked constant or not. */
static float *product(int tb, int m, int n, int k, const float *a, const float *b, int b_constant)
{
    float *c = malloc((size_t)m * n * sizeof *c);
    assert_non_null(c);
    nn_gemm_epilogue e = {.b_constant = b_constant};
    nn_sgemm_fused(0, tb, m, n, k, a, k, b, tb ? k : n, c, n, &e);
    return c;
}

static void *cache_from_other_thread(void *b)
{
    int ready = 0;
    nn_gemm_cache_open();
    void *got = nn_gemm_cache_panels(b, 1, 64, 64, 64, &ready);
    nn_gemm_cache_close();
    return got;
}

/* The packed-weight cache (gemm_pack_cache.h): while it is open, products of one constant B
 * (thin in both layouts, at other row counts and so other chunkings; tall) are the same bits as
 * without it; a B changed between two openings is packed anew, never taken stale; another B of
 * the same shape is not mistaken for it; another thread gets no cache while one owns it. */
static void test_packed_weights_kept_for_a_run_give_the_same_bits(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 17);
    omp_set_num_threads(2);
    static const shape_t shapes[] = {{0, 1, 256, 512, 512}, {0, 0, 256, 512, 512}, {0, 1, 12800, 256, 100}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        int tb = shapes[i].tb, m = shapes[i].m, n = shapes[i].n, k = shapes[i].k;
        float *a = random_matrix(&r, (size_t)m * k), *b = random_matrix(&r, (size_t)n * k), *b2 = random_matrix(&r, (size_t)n * k);
        float *want[2][2];   /* [B, B2][m rows, 64 rows] */
        for (int w = 0; w < 2; w++)
            for (int rows = 0; rows < 2; rows++) want[w][rows] = product(tb, rows ? 64 : m, n, k, a, w ? b2 : b, 0);
        for (int run = 0; run < 2; run++) {
            nn_gemm_cache_open();
            for (int rep = 0; rep < 2; rep++)
                for (int w = 0; w < 2; w++)
                    for (int rows = 0; rows < 2; rows++) {
                        float *c = product(tb, rows ? 64 : m, n, k, a, w ? b2 : b, 1);
                        assert_memory_equal(c, want[w][rows], (size_t)(rows ? 64 : m) * n * sizeof *c);
                        free(c);
                    }
            nn_gemm_cache_close();
            /* B changes between the runs: the next run must see the new values */
            for (size_t x = 0; x < (size_t)n * k; x++) b[x] = -b[x];
            for (int rows = 0; rows < 2; rows++) {
                free(want[0][rows]);
                want[0][rows] = product(tb, rows ? 64 : m, n, k, a, b, 0);
            }
        }
        for (int w = 0; w < 2; w++) free(want[w][0]), free(want[w][1]);
        free(a), free(b), free(b2);
    }
    float *b = random_matrix(&r, 64 * 64);
    nn_gemm_cache_open();
    int ready = 1;
    assert_non_null(nn_gemm_cache_panels(b, 1, 64, 64, 64, &ready));
    assert_int_equal(ready, 0);
    pthread_t t;
    void *other = b;
    assert_int_equal(pthread_create(&t, NULL, cache_from_other_thread, b), 0);
    assert_int_equal(pthread_join(t, &other), 0);
    assert_null(other);
    nn_gemm_cache_close();
    int unused;
    assert_null(nn_gemm_cache_panels(b, 1, 64, 64, 64, &unused));   /* closed: none */
    free(b);
}

/* Small GEMMs and GEMMs inside a parallel region run whole on the calling thread. */
static void test_small_and_nested_gemms_are_right(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 13);
    shape_t small = {1, 0, 9, 7, 5};
    check_one(&small, 1.0f, 0.5f, &r);
    int bad = 0;
#pragma omp parallel num_threads(2) reduction(+ : bad)
    {
        nn_rng rt;
        nn_rng_seed(&rt, 20 + (uint64_t)omp_get_thread_num());
        shape_t s = {0, 0, 64, 64, 600};
        float *a = random_matrix(&rt, 64 * 600), *b = random_matrix(&rt, 600 * 64), *c = malloc(64 * 64 * sizeof *c);
        nn_sgemm(0, 0, 64, 64, 600, 1.0f, a, 600, b, 64, 0.0f, c, 64);
        for (int i = 0; i < s.m; i += 7)
            for (int j = 0; j < s.n; j += 5) {
                double acc = 0;
                for (int p = 0; p < s.k; p++) acc += (double)a[i * 600 + p] * b[p * 64 + j];
                bad += fabs(c[i * 64 + j] - acc) > 1e-3 * (1 + fabs(acc));
            }
        free(a);
        free(b);
        free(c);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    nn_runtime_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_gemm_matches_direct_sums_on_two_threads),
        cmocka_unit_test(test_split_gemm_matches_direct_sums_on_three_threads),
        cmocka_unit_test(test_split_gemm_is_the_same_bits_as_one_call),
        cmocka_unit_test(test_thin_gemm_is_the_same_bits_however_split),
        cmocka_unit_test(test_tall_and_deep_gemms_are_right_and_the_same_bits_however_split),
        cmocka_unit_test(test_fused_gemm_is_the_same_bits_as_its_steps_one_by_one),
        cmocka_unit_test(test_packed_weights_kept_for_a_run_give_the_same_bits),
        cmocka_unit_test(test_small_and_nested_gemms_are_right),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
