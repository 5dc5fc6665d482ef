/* nn_sgemm: the GEMM every op calls, split over the OpenMP threads when it is big (by rows, or by
 * columns when C has more of those) and run whole on one core otherwise or when that has been
 * faster. Whatever the split, the thread count or the setting the policy picks, C must equal
 * alpha op(A) op(B) + beta C computed directly; and the setting (the parts on the threads or
 * one after the other on one core) must not change a single bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nn/rng.h"
#include "nn/runtime.h"
#include "../runtime/core/parallel.h"

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
    {0, 0, 130, 70, 300}, {1, 0, 70, 131, 300}, {0, 1, 97, 211, 120}, {1, 1, 200, 33, 400}, {0, 0, 17, 900, 260},
};

static void run_shapes(int threads)
{
    nn_rng r;
    nn_rng_seed(&r, 11);
    omp_set_num_threads(threads);
    nn_gemm_split = 1;
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        assert_true(2.0 * big[i].m * big[i].n * big[i].k >= NN_GEMM_PAR_FLOPS);
        check_one(&big[i], 1.0f, 0.0f, &r);
        check_one(&big[i], -0.5f, 1.0f, &r);
        check_one(&big[i], 2.0f, 0.25f, &r);
    }
    nn_gemm_split = -1;
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

/* The policy probes one core now and then and may settle on it: many calls, every one right. */
static void test_many_calls_stay_right_whatever_setting_the_policy_picks(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 12);
    omp_set_num_threads(2);
    shape_t s = {0, 1, 128, 100, 200};
    for (int i = 0; i < 150; i++) check_one(&s, 1.0f, i % 2 ? 1.0f : 0.0f, &r);
}

/* Runs op(A) op(B) of shape s with the big GEMM's parts on one core, then on the threads, and
 * compares the bytes of C. */
static void check_same_bytes_either_setting(const shape_t *s, float alpha, float beta, nn_rng *r)
{
    int ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k, br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;
    size_t cn = (size_t)s->m * s->n;
    float *a = random_matrix(r, (size_t)ar * ac), *b = random_matrix(r, (size_t)br * bc);
    float *one = random_matrix(r, cn), *split = malloc(cn * sizeof *split);
    assert_non_null(split);
    for (size_t i = 0; i < cn; i++) split[i] = one[i];
    nn_gemm_split = 0;
    nn_sgemm(s->ta, s->tb, s->m, s->n, s->k, alpha, a, ac, b, bc, beta, one, s->n);
    nn_gemm_split = 1;
    nn_sgemm(s->ta, s->tb, s->m, s->n, s->k, alpha, a, ac, b, bc, beta, split, s->n);
    nn_gemm_split = -1;
    if (memcmp(one, split, cn * sizeof *one) != 0)
        print_error("ta=%d tb=%d m=%d n=%d k=%d: one core and the threads differ\n", s->ta, s->tb, s->m, s->n, s->k);
    assert_memory_equal(one, split, cn * sizeof *one);
    free(a);
    free(b);
    free(one);
    free(split);
}

/* The policy's measured choice decides where a big GEMM's parts run, never what they compute.
 * A part is not a neutral cut by itself: OpenBLAS sums a small call (m n k <= 100^3 on its
 * Cooperlake kernels) in another order than the whole, so a one-core setting that made one
 * call gave other bits than the split for m=31 n=100 k=784 (by columns: parts of 64 and 36)
 * or m=100 n=47 k=511 (by rows), in every transpose. Odd sizes, rows and columns, 2 to 3
 * threads (uneven parts), alpha and beta. */
static void test_big_gemms_give_the_same_bytes_on_one_core_and_on_the_threads(void **state)
{
    (void)state;
    static const int sizes[][3] = {{31, 100, 784}, {100, 47, 511}, {33, 130, 511}, {65, 64, 784}, {97, 100, 256},
                                   {130, 130, 130}, {17, 257, 511}, {128, 100, 784}, {64, 512, 784}, {200, 33, 400}};
    nn_rng r;
    nn_rng_seed(&r, 14);
    for (int threads = 2; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            for (int t = 0; t < 4; t++) {
                shape_t s = {t & 1, t >> 1, sizes[i][0], sizes[i][1], sizes[i][2]};
                assert_true(2.0 * s.m * s.n * s.k >= NN_GEMM_PAR_FLOPS);
                check_same_bytes_either_setting(&s, 1.0f, t == 3 ? 1.0f : 0.0f, &r);
            }
        shape_t odd = {1, 0, 31, 100, 784};
        check_same_bytes_either_setting(&odd, -0.5f, 0.25f, &r);
    }
    omp_set_num_threads(2);
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
        cmocka_unit_test(test_many_calls_stay_right_whatever_setting_the_policy_picks),
        cmocka_unit_test(test_big_gemms_give_the_same_bytes_on_one_core_and_on_the_threads),
        cmocka_unit_test(test_small_and_nested_gemms_are_right),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
