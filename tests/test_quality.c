/* The uniform cube's error r (nn/quality.h) on samples with known answers: exact uniform
 * samples sit at the floor (below 0.031, the 95th percentile for n = 10,000), a cube 5%
 * too narrow and a Gaussian of the same covariance score above it, the exact quantiles have no
 * marginal error, and the score is a function of the input and the seed alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include "nn/quality.h"
#include "nn/rng.h"

enum { N = 10000 };
static const uint64_t metric_seed = 12345;

/* n x d draws of U[-half, half] (normal: N(0, 1/3), the uniform's variance), seeded */
static float *sample(int d, float half, int normal, uint64_t seed)
{
    float *x = malloc((size_t)N * d * sizeof *x);
    assert_non_null(x);
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)N * d; i++)
        x[i] = normal ? nn_rng_normal(&r) / sqrtf(3.0f) : nn_rng_range(&r, -half, half);
    return x;
}

/* r of x (N x d) lies in (lo, hi), and is the larger of its parts */
static void expect_r(const float *x, int d, double lo, double hi)
{
    double m, s, r = nn_uniform_cube_r(x, N, d, metric_seed, &m, &s);
    if (!(r > lo && r < hi)) print_error("d = %d: r %.4f (m %.4f, s %.4f) outside (%g, %g)\n", d, r, m, s, lo, hi);
    assert_true(r > lo && r < hi);
    assert_true(r == fmax(m, s));
}

static void test_exact_uniform_samples_score_below_0_031(void **state)
{
    (void)state;
    for (int d = 5; d <= 20; d += 15)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            float *x = sample(d, 1.0f, 0, seed);
            expect_r(x, d, 0, 0.031);
            free(x);
        }
}

/* U[-0.95, 0.95]^5: each marginal is 0.05 * E|u| = 0.025 away, 0.043 standard deviations */
static void test_a_cube_5_percent_too_narrow_scores_between_0_035_and_0_08(void **state)
{
    (void)state;
    float *x = sample(5, 0.95f, 0, 7);
    expect_r(x, 5, 0.035, 0.08);
    free(x);
}

static void test_a_gaussian_of_the_same_covariance_scores_above_0_12(void **state)
{
    (void)state;
    float *x = sample(5, 0, 1, 8);
    expect_r(x, 5, 0.12, 1);
    free(x);
}

/* The quantiles q_i themselves, each coordinate in another order: m is 0 */
static void test_the_exact_quantiles_have_no_marginal_error(void **state)
{
    (void)state;
    enum { D = 3 };
    float *x = malloc((size_t)N * D * sizeof *x);
    int *perm = malloc(N * sizeof *perm);
    nn_rng r;
    nn_rng_seed(&r, 9);
    for (int j = 0; j < D; j++) {
        for (int i = 0; i < N; i++) perm[i] = i;
        nn_rng_shuffle(&r, perm, N);
        for (int i = 0; i < N; i++) x[(size_t)i * D + j] = (float)(-1.0 + (2.0 * (perm[i] + 1) - 1.0) / N);
    }
    double m, s;
    nn_uniform_cube_r(x, N, D, metric_seed, &m, &s);
    assert_true(m < 1e-7);   /* float rounding of the quantiles */
    assert_true(s > 0 && s < 0.031);
    free(x), free(perm);
}

static void test_the_same_input_and_seed_give_the_same_r(void **state)
{
    (void)state;
    float *x = sample(5, 1.0f, 0, 4);
    double m1, s1, m2, s2, m3, s3;
    double a = nn_uniform_cube_r(x, N, 5, metric_seed, &m1, &s1), b = nn_uniform_cube_r(x, N, 5, metric_seed, &m2, &s2);
    assert_true(a == b && m1 == m2 && s1 == s2);
    nn_uniform_cube_r(x, N, 5, metric_seed + 1, &m3, &s3);   /* another reference and directions */
    assert_true(m3 == m1 && s3 != s1);
    free(x);
}

static void test_bad_input_gives_nan(void **state)
{
    (void)state;
    float x[4] = {0.5f, -0.5f, NAN, 0.0f};
    double m, s;
    assert_true(isnan(nn_uniform_cube_r(x, 2, 2, 1, &m, &s)) && isnan(m) && isnan(s));
    assert_true(isnan(nn_uniform_cube_r(x, 0, 2, 1, NULL, NULL)));
    assert_true(isfinite(nn_uniform_cube_r(x, 1, 2, 1, NULL, NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_uniform_samples_score_below_0_031),
        cmocka_unit_test(test_a_cube_5_percent_too_narrow_scores_between_0_035_and_0_08),
        cmocka_unit_test(test_a_gaussian_of_the_same_covariance_scores_above_0_12),
        cmocka_unit_test(test_the_exact_quantiles_have_no_marginal_error),
        cmocka_unit_test(test_the_same_input_and_seed_give_the_same_r),
        cmocka_unit_test(test_bad_input_gives_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
