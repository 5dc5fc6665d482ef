/* PCA recovers the directions data vary along, in order, and its reconstruction error is the
 * variance left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include "nn/pca.h"
#include "nn/rng.h"
#include <string.h>

/* n samples in 5-D: 3 * a * u + 1 * b * v + 0.1 * noise + offset, u and v orthonormal. */
static float *make_data(int n)
{
    static const float u[5] = {0.6f, 0.8f, 0, 0, 0}, v[5] = {0, 0, 1, 0, 0}, off[5] = {1, -2, 3, 0.5f, 0};
    nn_rng r;
    nn_rng_seed(&r, 11);
    float *x = malloc((size_t)n * 5 * sizeof *x);
    for (int i = 0; i < n; i++) {
        float a = nn_rng_normal(&r), b = nn_rng_normal(&r);
        for (int j = 0; j < 5; j++) x[i * 5 + j] = off[j] + 3 * a * u[j] + b * v[j] + 0.1f * nn_rng_normal(&r);
    }
    return x;
}

static void test_components_are_the_directions_of_largest_variance(void **state)
{
    (void)state;
    int n = 20000;
    float *x = make_data(n);
    nn_pca p;
    char err[128];
    assert_int_equal(nn_pca_fit(&p, x, n, 5, 3, err, sizeof err), 0);
    assert_float_equal(p.mean[2], 3.0f, 0.05f);
    assert_float_equal(fabsf(0.6f * p.components[0] + 0.8f * p.components[1]), 1.0f, 0.01f);
    assert_float_equal(fabsf(p.components[5 + 2]), 1.0f, 0.01f);
    assert_float_equal(p.variance[0], 9.0f + 0.01f, 0.3f);
    assert_float_equal(p.variance[1], 1.0f + 0.01f, 0.05f);
    assert_true(p.variance[2] < 0.02f);
    /* error with k components = variance of the rest: 2 noise-only directions + ... */
    int ks[3] = {1, 2, 3};
    double e[3];
    assert_int_equal(nn_pca_errors(&p, x, n, ks, 3, e), 0);
    assert_float_equal(e[0], 1.0 + 4 * 0.01, 0.06);
    assert_float_equal(e[1], 3 * 0.01, 0.005);
    assert_float_equal(e[2], 2 * 0.01, 0.004);
    nn_pca_free(&p);
    free(x);
}

static void test_bad_sizes_are_refused_with_a_message(void **state)
{
    (void)state;
    float x[10] = {0};
    nn_pca p;
    char err[128];
    assert_int_equal(nn_pca_fit(&p, x, 2, 5, 6, err, sizeof err), -1);
    assert_non_null(strstr(err, "k"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_components_are_the_directions_of_largest_variance),
        cmocka_unit_test(test_bad_sizes_are_refused_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
