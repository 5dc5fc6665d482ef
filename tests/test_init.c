/* Initialisers: sample statistics and bounds over large matrices against torch.nn.init's
 * formulas (the expected numbers are worked out in the comments), orthogonality, seeding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/init.h"

typedef struct {
    double mean, std, min, max;
} stats;

static stats stats_of(const float *w, size_t n)
{
    stats s = {0, 0, INFINITY, -INFINITY};
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        sum += w[i];
        sq += (double)w[i] * w[i];
        if (w[i] < s.min) s.min = w[i];
        if (w[i] > s.max) s.max = w[i];
    }
    s.mean = sum / n;
    s.std = sqrt(sq / n - s.mean * s.mean);
    return s;
}

/* Fills a fan_out x fan_in matrix with the given kind and seed 7; the caller frees. */
static float *filled(nn_init_kind kind, int fan_out, int fan_in, float gain)
{
    nn_init in;
    nn_init_defaults(kind, &in);
    if (gain > 0) in.gain = gain;
    nn_rng r;
    nn_rng_seed(&r, 7);
    char err[256] = "";
    float *w = malloc((size_t)fan_out * fan_in * sizeof *w);
    if (nn_init_fill(w, fan_out, fan_in, &in, &r, err, sizeof err) < 0) fail_msg("nn_init_fill: %s", err);
    return w;
}

/* 250,000 samples: the sample mean is within ~3e-3*std of 0 and the sample std within ~0.5% */
static void expect_normal(const float *w, size_t n, double std)
{
    stats s = stats_of(w, n);
    assert_true(fabs(s.mean) < 0.01 * std);
    assert_true(fabs(s.std / std - 1) < 0.01);
}

static void expect_uniform(const float *w, size_t n, double bound)
{
    stats s = stats_of(w, n);
    assert_true(s.min >= -bound && s.max <= bound);
    assert_true(s.min < -0.999 * bound && s.max > 0.999 * bound);   /* the whole range is used */
    assert_true(fabs(s.std / (bound / sqrt(3.0)) - 1) < 0.01);      /* U(-b, b) has std b/sqrt(3) */
}

static void test_xavier_normal_std_uses_both_fans(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_XAVIER_NORMAL, 400, 625, 0);
    expect_normal(w, 400 * 625, 0.0441726);   /* sqrt(2 / (400 + 625)) */
    free(w);
}

static void test_xavier_uniform_bound_is_sqrt3_std(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_XAVIER_UNIFORM, 400, 625, 0);
    expect_uniform(w, 400 * 625, 0.0765092);  /* sqrt(6 / 1025) */
    free(w);
}

static void test_gain_scales_xavier(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_XAVIER_NORMAL, 400, 625, 2.0f);
    expect_normal(w, 400 * 625, 0.0883452);   /* 2 * sqrt(2 / 1025) */
    free(w);
}

static void test_he_normal_std_is_sqrt2_over_fan_in(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_HE_NORMAL, 500, 500, 0);
    expect_normal(w, 500 * 500, 0.0632456);   /* sqrt(2 / 500) */
    free(w);
}

static void test_he_uniform_bound_is_sqrt6_over_fan_in(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_HE_UNIFORM, 1000, 250, 0);
    expect_uniform(w, 1000 * 250, 0.1549193); /* sqrt(6 / 250) */
    free(w);
}

static void test_lecun_normal_std_is_one_over_sqrt_fan_in(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_LECUN_NORMAL, 1000, 250, 0);
    expect_normal(w, 1000 * 250, 0.0632456);  /* sqrt(1 / 250) */
    free(w);
}

static void test_torch_default_weight_and_bias_bound(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_TORCH_DEFAULT, 1000, 400, 0);
    expect_uniform(w, 1000 * 400, 0.05);      /* 1 / sqrt(400) */
    free(w);
    nn_init in;
    nn_init_defaults(NN_INIT_TORCH_DEFAULT, &in);
    nn_rng r;
    nn_rng_seed(&r, 3);
    float *b = malloc(250000 * sizeof *b);
    assert_int_equal(nn_init_fill_bias(b, 250000, 400, &in, &r, NULL, 0), 0);
    expect_uniform(b, 250000, 0.05);
    free(b);
}

static void test_conv_fans_include_the_kernel(void **state)
{
    (void)state;
    /* out 64, in 32, 3x3: fan_in 288, fan_out 576; xavier std sqrt(2 / 864) = 0.0481125 */
    nn_init in;
    nn_init_defaults(NN_INIT_XAVIER_NORMAL, &in);
    nn_rng r;
    nn_rng_seed(&r, 1);
    size_t n = 64 * 32 * 9 * 14;   /* 14 filters' worth: fill 14 times for enough samples */
    float *w = malloc(n * sizeof *w);
    for (int k = 0; k < 14; k++) assert_int_equal(nn_init_fill_conv(w + k * 64 * 32 * 9, 64, 32, 9, &in, &r, NULL, 0), 0);
    expect_normal(w, n, 0.0481125);
    free(w);
}

static void test_plain_kinds_fill_as_configured(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 5);
    size_t n = 250000;
    float *w = malloc(n * sizeof *w);
    nn_init in;
    nn_init_defaults(NN_INIT_NORMAL, &in);
    in.mean = 3;
    in.std = 0.5f;
    assert_int_equal(nn_init_fill(w, 500, 500, &in, &r, NULL, 0), 0);
    stats s = stats_of(w, n);
    assert_true(fabs(s.mean - 3) < 0.005 && fabs(s.std - 0.5) < 0.005);
    nn_init_defaults(NN_INIT_UNIFORM, &in);
    in.lo = -1;
    in.hi = 3;   /* mean 1, std 4/sqrt(12) = 1.1547 */
    assert_int_equal(nn_init_fill(w, 500, 500, &in, &r, NULL, 0), 0);
    s = stats_of(w, n);
    assert_true(s.min >= -1 && s.max < 3 && fabs(s.mean - 1) < 0.01 && fabs(s.std - 1.1547) < 0.01);
    nn_init_defaults(NN_INIT_CONSTANT, &in);
    in.value = 0.25f;
    assert_int_equal(nn_init_fill(w, 2, 3, &in, NULL, NULL, 0), 0);   /* no rng needed */
    for (int i = 0; i < 6; i++) assert_float_equal(w[i], 0.25f, 0);
    nn_init_defaults(NN_INIT_ZEROS, &in);
    assert_int_equal(nn_init_fill(w, 2, 3, &in, NULL, NULL, 0), 0);
    for (int i = 0; i < 6; i++) assert_float_equal(w[i], 0.0f, 0);
    free(w);
}

/* ---- orthogonal --------------------------------------------------------------------- */
/* max |(W W^T)_ij - gain^2 I_ij| over the rows of W (rows x cols) when by_rows, else over its
 * columns (W^T W). */
static double gram_error(const float *w, int rows, int cols, int by_rows, double gain2)
{
    int n = by_rows ? rows : cols, len = by_rows ? cols : rows;
    double worst = 0;
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            double s = 0;
            for (int k = 0; k < len; k++)
                s += by_rows ? (double)w[a * cols + k] * w[b * cols + k] : (double)w[k * cols + a] * w[k * cols + b];
            double e = fabs(s - (a == b ? gain2 : 0));
            if (e > worst) worst = e;
        }
    return worst;
}

static void test_orthogonal_tall_has_orthonormal_columns(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_ORTHOGONAL, 64, 24, 0);
    assert_true(gram_error(w, 64, 24, 0, 1.0) < 1e-5);
    free(w);
}

static void test_orthogonal_wide_has_orthonormal_rows(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_ORTHOGONAL, 24, 64, 0);
    assert_true(gram_error(w, 24, 64, 1, 1.0) < 1e-5);
    free(w);
}

static void test_orthogonal_square_with_gain(void **state)
{
    (void)state;
    float *w = filled(NN_INIT_ORTHOGONAL, 32, 32, 2.0f);
    assert_true(gram_error(w, 32, 32, 1, 4.0) < 4e-5);
    assert_true(gram_error(w, 32, 32, 0, 4.0) < 4e-5);
    free(w);
}

/* The sign correction makes Q^T A = R have a positive diagonal, A being the Gaussian draw.
 * The initialiser draws A column-major (m x k, m >= k) first thing, so the same seed redraws it. */
static void test_orthogonal_is_sign_corrected_q_of_the_gaussian(void **state)
{
    (void)state;
    int m = 20, k = 8;
    float *w = filled(NN_INIT_ORTHOGONAL, m, k, 0);
    nn_rng r;
    nn_rng_seed(&r, 7);
    float *a = malloc((size_t)m * k * sizeof *a);
    for (int i = 0; i < m * k; i++) a[i] = nn_rng_normal(&r);
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double rij = 0;   /* (Q^T A)_ij = sum_t W[t][i] * A[t][j], A column-major */
            for (int t = 0; t < m; t++) rij += (double)w[t * k + i] * a[j * m + t];
            if (i == j) assert_true(rij > 0);
            if (i > j) assert_true(fabs(rij) < 1e-4);   /* R is upper triangular */
        }
    free(a);
    free(w);
}

/* ---- seeding and errors ------------------------------------------------------------- */
static void test_same_seed_same_weights(void **state)
{
    (void)state;
    for (int kind = NN_INIT_NORMAL; kind < NN_INIT_KIND_COUNT; kind++) {
        float *a = filled(kind, 16, 12, 0), *b = filled(kind, 16, 12, 0);
        assert_memory_equal(a, b, 16 * 12 * sizeof(float));
        free(a);
        free(b);
    }
    nn_init in;
    nn_init_defaults(NN_INIT_HE_NORMAL, &in);
    nn_rng r1, r2;
    nn_rng_seed(&r1, 1);
    nn_rng_seed(&r2, 2);
    float a[64], b[64];
    nn_init_fill(a, 8, 8, &in, &r1, NULL, 0);
    nn_init_fill(b, 8, 8, &in, &r2, NULL, 0);
    assert_memory_not_equal(a, b, sizeof a);
}

static void expect_fill_fails(int rc, const char *err, const char *needle)
{
    assert_int_equal(rc, -1);
    if (!strstr(err, needle)) fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_bad_arguments_fail_with_a_message(void **state)
{
    (void)state;
    char err[256];
    float w[16];
    nn_rng r;
    nn_rng_seed(&r, 1);
    nn_init in;
    nn_init_defaults(NN_INIT_XAVIER_NORMAL, &in);
    expect_fill_fails(nn_init_fill(w, 0, 4, &in, &r, err, sizeof err), err, "0 x 4");
    expect_fill_fails(nn_init_fill(w, 4, 4, &in, NULL, err, sizeof err), err, "no rng");
    expect_fill_fails(nn_init_fill_bias(w, 4, 4, &in, &r, err, sizeof err), err, "not for biases");
    nn_init_defaults(NN_INIT_NORMAL, &in);
    in.std = -1;
    expect_fill_fails(nn_init_fill(w, 4, 4, &in, &r, err, sizeof err), err, "std");
    nn_init_defaults(NN_INIT_UNIFORM, &in);
    in.lo = 2;
    in.hi = 1;
    expect_fill_fails(nn_init_fill(w, 4, 4, &in, &r, err, sizeof err), err, "lo <= hi");
    nn_init_defaults(NN_INIT_TORCH_DEFAULT, &in);
    expect_fill_fails(nn_init_fill_bias(w, 4, 0, &in, &r, err, sizeof err), err, "fan_in");
}

static void test_kind_names_and_aliases(void **state)
{
    (void)state;
    for (int k = 0; k < NN_INIT_KIND_COUNT; k++) assert_int_equal(nn_init_kind_from_name(nn_init_kind_name(k)), k);
    assert_int_equal(nn_init_kind_from_name("glorot_uniform"), NN_INIT_XAVIER_UNIFORM);
    assert_int_equal(nn_init_kind_from_name("kaiming_normal"), NN_INIT_HE_NORMAL);
    assert_int_equal(nn_init_kind_from_name("xavier"), -1);
    assert_string_equal(nn_init_kind_name(NN_INIT_KIND_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xavier_normal_std_uses_both_fans),
        cmocka_unit_test(test_xavier_uniform_bound_is_sqrt3_std),
        cmocka_unit_test(test_gain_scales_xavier),
        cmocka_unit_test(test_he_normal_std_is_sqrt2_over_fan_in),
        cmocka_unit_test(test_he_uniform_bound_is_sqrt6_over_fan_in),
        cmocka_unit_test(test_lecun_normal_std_is_one_over_sqrt_fan_in),
        cmocka_unit_test(test_torch_default_weight_and_bias_bound),
        cmocka_unit_test(test_conv_fans_include_the_kernel),
        cmocka_unit_test(test_plain_kinds_fill_as_configured),
        cmocka_unit_test(test_orthogonal_tall_has_orthonormal_columns),
        cmocka_unit_test(test_orthogonal_wide_has_orthonormal_rows),
        cmocka_unit_test(test_orthogonal_square_with_gain),
        cmocka_unit_test(test_orthogonal_is_sign_corrected_q_of_the_gaussian),
        cmocka_unit_test(test_same_seed_same_weights),
        cmocka_unit_test(test_bad_arguments_fail_with_a_message),
        cmocka_unit_test(test_kind_names_and_aliases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
