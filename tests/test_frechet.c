/* The Fréchet distance between Gaussians fitted to feature sets: zero for a set against itself,
 * the closed forms for diagonal and 2 x 2 covariances, ||v||^2 for a shift by v, the same
 * either way round, and no NaN when a covariance is singular. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/frechet.h"
#include "nn/rng.h"

/* n samples (n x d) of mean + L z, z ~ N(0, I), L lower-triangular with entries drawn from seed:
 * correlated coordinates. */
static float *correlated(long n, int d, uint64_t seed)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    float *L = malloc((size_t)d * d * sizeof *L), *mean = malloc((size_t)d * sizeof *mean);
    for (int i = 0; i < d * d; i++) L[i] = (i % d) <= (i / d) ? nn_rng_range(&r, -1, 1) : 0;
    for (int i = 0; i < d; i++) mean[i] = nn_rng_range(&r, -2, 2);
    float *x = malloc((size_t)n * d * sizeof *x), *z = malloc((size_t)d * sizeof *z);
    for (long k = 0; k < n; k++) {
        for (int j = 0; j < d; j++) z[j] = nn_rng_normal(&r);
        for (int i = 0; i < d; i++) {
            float v = mean[i];
            for (int j = 0; j <= i; j++) v += L[i * d + j] * z[j];
            x[(size_t)k * d + i] = v;
        }
    }
    free(L), free(mean), free(z);
    return x;
}

static double fd_of_sets(const float *x, long nx, const float *y, long ny, int d)
{
    nn_gaussian a, b;
    char err[128];
    assert_int_equal(nn_gaussian_fit(&a, x, nx, d, err, sizeof err), 0);
    assert_int_equal(nn_gaussian_fit(&b, y, ny, d, err, sizeof err), 0);
    double fd = -1;
    assert_int_equal(nn_frechet_distance(&a, &b, &fd, err, sizeof err), 0);
    nn_gaussian_free(&a), nn_gaussian_free(&b);
    return fd;
}

/* A diagonal Gaussian: mean m (d), variances v (d). */
static nn_gaussian diagonal(int d, const double *m, const double *v)
{
    nn_gaussian g;
    assert_int_equal(nn_gaussian_alloc(&g, d), 0);
    for (int i = 0; i < d; i++) g.mean[i] = m[i], g.cov[i * d + i] = v[i];
    return g;
}

static void test_a_set_against_itself_is_at_distance_zero(void **state)
{
    (void)state;
    float *x = correlated(3000, 24, 5);
    nn_gaussian g;
    char err[128];
    assert_int_equal(nn_gaussian_fit(&g, x, 3000, 24, err, sizeof err), 0);
    double tr = 0, fd = -1;
    for (int i = 0; i < 24; i++) tr += g.cov[i * 24 + i];
    assert_int_equal(nn_frechet_distance(&g, &g, &fd, err, sizeof err), 0);
    /* what is left is the rounding of the square roots, relative to the total variance */
    assert_true(fd >= 0 && fd < 1e-9 * tr);
    nn_gaussian_free(&g);
    free(x);
}

static void test_the_mean_and_covariance_are_those_of_the_samples(void **state)
{
    (void)state;
    /* 4 points in 2-D: (0,0) (2,0) (0,2) (2,2): mean (1,1), unbiased variances 4/3, no covariance */
    const float x[8] = {0, 0, 2, 0, 0, 2, 2, 2};
    nn_gaussian g;
    char err[128];
    assert_int_equal(nn_gaussian_fit(&g, x, 4, 2, err, sizeof err), 0);
    assert_float_equal(g.mean[0], 1, 1e-12);
    assert_float_equal(g.mean[1], 1, 1e-12);
    assert_float_equal(g.cov[0], 4.0 / 3, 1e-12);
    assert_float_equal(g.cov[3], 4.0 / 3, 1e-12);
    assert_float_equal(g.cov[1], 0, 1e-12);
    assert_float_equal(g.cov[2], 0, 1e-12);
    nn_gaussian_free(&g);
}

/* Diagonal covariances: FD = ||m1 - m2||^2 + sum (sqrt v1 - sqrt v2)^2. */
static void test_diagonal_gaussians_give_the_closed_form(void **state)
{
    (void)state;
    const double m1[3] = {1, 2, 3}, v1[3] = {1, 4, 9}, m2[3] = {0, 0, 1}, v2[3] = {4, 1, 0.25};
    nn_gaussian a = diagonal(3, m1, v1), b = diagonal(3, m2, v2);
    double fd;
    char err[128];
    assert_int_equal(nn_frechet_distance(&a, &b, &fd, err, sizeof err), 0);
    /* (1 + 4 + 4) + (1 + 1 + 6.25) */
    assert_float_equal(fd, 17.25, 1e-10);
    nn_gaussian_free(&a), nn_gaussian_free(&b);
}

/* The same from samples of those Gaussians: close, up to the sampling error. */
static void test_samples_of_diagonal_gaussians_come_near_the_closed_form(void **state)
{
    (void)state;
    const double m1[3] = {1, 2, 3}, s1[3] = {1, 2, 3}, m2[3] = {0, 0, 1}, s2[3] = {2, 1, 0.5};
    long n = 100000;
    float *x = malloc((size_t)n * 3 * sizeof *x), *y = malloc((size_t)n * 3 * sizeof *y);
    nn_rng r;
    nn_rng_seed(&r, 3);
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 3; i++) {
            x[k * 3 + i] = (float)(m1[i] + s1[i] * nn_rng_normal(&r));
            y[k * 3 + i] = (float)(m2[i] + s2[i] * nn_rng_normal(&r));
        }
    assert_float_equal(fd_of_sets(x, n, y, n, 3), 17.25, 0.1);
    free(x), free(y);
}

/* 2 x 2 covariances that do not commute: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for a 2 x 2
 * PSD M, with tr M = tr(AB) and det M = det A det B for M = A^(1/2) B A^(1/2). */
static void test_non_commuting_covariances_give_the_two_by_two_closed_form(void **state)
{
    (void)state;
    nn_gaussian a, b;
    assert_int_equal(nn_gaussian_alloc(&a, 2), 0);
    assert_int_equal(nn_gaussian_alloc(&b, 2), 0);
    const double A[4] = {2, 1, 1, 3}, B[4] = {1, -0.5, -0.5, 4};
    memcpy(a.cov, A, sizeof A), memcpy(b.cov, B, sizeof B);
    a.mean[0] = 1, b.mean[1] = -1;
    double trAB = A[0] * B[0] + A[1] * B[2] + A[2] * B[1] + A[3] * B[3];
    double det = (A[0] * A[3] - A[1] * A[2]) * (B[0] * B[3] - B[1] * B[2]);
    double expect = 2 + (A[0] + A[3]) + (B[0] + B[3]) - 2 * sqrt(trAB + 2 * sqrt(det));
    double fd;
    char err[128];
    assert_int_equal(nn_frechet_distance(&a, &b, &fd, err, sizeof err), 0);
    assert_float_equal(fd, expect, 1e-10);
    nn_gaussian_free(&a), nn_gaussian_free(&b);
}

static void test_a_shift_by_v_is_at_distance_the_squared_norm_of_v(void **state)
{
    (void)state;
    long n = 2000;
    int d = 16;
    float *x = correlated(n, d, 7), *y = malloc((size_t)n * d * sizeof *y);
    double v2 = 0;
    for (int i = 0; i < d; i++) v2 += (0.25 * i - 1) * (0.25 * i - 1);
    for (long k = 0; k < n; k++)
        for (int i = 0; i < d; i++) y[k * d + i] = x[k * d + i] + (float)(0.25 * i - 1);
    assert_float_equal(fd_of_sets(x, n, y, n, d), v2, 1e-3);
    free(x), free(y);
}

static void test_the_distance_is_the_same_either_way_round(void **state)
{
    (void)state;
    int d = 20;
    float *x = correlated(1500, d, 11), *y = correlated(2500, d, 12);
    double ab = fd_of_sets(x, 1500, y, 2500, d), ba = fd_of_sets(y, 2500, x, 1500, d);
    assert_true(ab > 1);
    assert_float_equal(ab, ba, 1e-9 * ab);
    free(x), free(y);
}

/* Fewer samples than dimensions: both covariances are singular (rank 4 of 30), their square
 * roots' rounding leaves negative eigenvalues, which count as 0. */
static void test_singular_covariances_give_a_finite_distance(void **state)
{
    (void)state;
    int d = 30;
    float *x = correlated(5, d, 13), *y = correlated(5, d, 14);
    double same = fd_of_sets(x, 5, x, 5, d), apart = fd_of_sets(x, 5, y, 5, d);
    assert_true(isfinite(same) && same >= 0 && same < 1e-6);
    assert_true(isfinite(apart) && apart > same);
    free(x), free(y);
}

static void test_bad_sizes_are_refused_with_a_message(void **state)
{
    (void)state;
    const float x[4] = {1, 2, 3, 4};
    nn_gaussian g, h;
    char err[128];
    assert_int_equal(nn_gaussian_fit(&g, x, 1, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "n >= 2"));
    assert_int_equal(nn_gaussian_fit(&g, x, 2, 2, err, sizeof err), 0);
    assert_int_equal(nn_gaussian_alloc(&h, 3), 0);
    double fd;
    assert_int_equal(nn_frechet_distance(&g, &h, &fd, err, sizeof err), -1);
    assert_non_null(strstr(err, "dimensions 2 and 3"));
    nn_gaussian_free(&g), nn_gaussian_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_set_against_itself_is_at_distance_zero),
        cmocka_unit_test(test_the_mean_and_covariance_are_those_of_the_samples),
        cmocka_unit_test(test_diagonal_gaussians_give_the_closed_form),
        cmocka_unit_test(test_samples_of_diagonal_gaussians_come_near_the_closed_form),
        cmocka_unit_test(test_non_commuting_covariances_give_the_two_by_two_closed_form),
        cmocka_unit_test(test_a_shift_by_v_is_at_distance_the_squared_norm_of_v),
        cmocka_unit_test(test_the_distance_is_the_same_either_way_round),
        cmocka_unit_test(test_singular_covariances_give_a_finite_distance),
        cmocka_unit_test(test_bad_sizes_are_refused_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
