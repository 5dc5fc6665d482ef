/* Hand-computed forward values of the elementwise, activation, random and loss ops, their
 * edge cases (numerical stability, NaN for bad labels, dropout and uniform statistics) and build errors.
 * Gradients are covered by test_gradcheck.c for every registry row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"

#define TOL 1e-5f

static int input_of(nn_graph *g, nn_shape s, const float *v)
{
    int id = nn_input(g, s, "x");
    assert_true(id >= 0);
    memcpy(nn_data(g, id), v, nn_shape_numel(&s) * sizeof(float));
    return id;
}

/* Runs the graph up to node y; the caller frees the plan once done reading. */
static nn_plan *run(nn_graph *g, int y)
{
    if (y < 0) print_error("build failed: %s\n", g->err);
    assert_true(y >= 0);
    nn_plan *p = nn_plan_create(g, &y, 1);
    assert_non_null(p);
    nn_plan_run(g, p);
    return p;
}

static void expect_values(nn_graph *g, int y, const float *want, int n)
{
    nn_plan *p = run(g, y);
    assert_int_equal(nn_numel(g, y), n);
    for (int i = 0; i < n; i++) {
        float got = nn_data(g, y)[i];
        if (fabsf(got - want[i]) > TOL * (1 + fabsf(want[i]))) print_error("element %d: got %.8g want %.8g\n", i, got, want[i]);
        assert_true(fabsf(got - want[i]) <= TOL * (1 + fabsf(want[i])));
    }
    nn_plan_free(p);
}

typedef int (*unary_fn)(nn_graph *, int);

static void check_unary(unary_fn f, const float *x, const float *want, int n)
{
    nn_graph *g = nn_graph_new(1);
    expect_values(g, f(g, input_of(g, nn_shape1(n), x)), want, n);
    nn_graph_free(g);
}

static void test_unary_math_values(void **state)
{
    (void)state;
    check_unary(nn_exp, (float[]){0, 1, -2}, (float[]){1, 2.7182818f, 0.13533528f}, 3);
    check_unary(nn_log, (float[]){1, 2.7182818f, 0.5f}, (float[]){0, 1, -0.69314718f}, 3);
    check_unary(nn_sqrt, (float[]){4, 2, 0}, (float[]){2, 1.4142136f, 0}, 3);
    check_unary(nn_abs, (float[]){-3, 0, 2.5f}, (float[]){3, 0, 2.5f}, 3);
    check_unary(nn_sign, (float[]){-3, 0, 2.5f}, (float[]){-1, 0, 1}, 3);
    check_unary(nn_square, (float[]){-3, 0.5f}, (float[]){9, 0.25f}, 2);
    nn_graph *g = nn_graph_new(1);
    expect_values(g, nn_pow(g, input_of(g, nn_shape1(2), (float[]){4, 2}), 1.5f), (float[]){8, 2.8284271f}, 2);
    nn_graph_free(g);
}

static void test_activation_values(void **state)
{
    (void)state;
    check_unary(nn_relu, (float[]){-0.5f, 0, 2}, (float[]){0, 0, 2}, 3);
    check_unary(nn_selu, (float[]){-1, 0, 2}, (float[]){-1.1113307f, 0, 2.1014020f}, 3);
    check_unary(nn_gelu, (float[]){1, -1, 0}, (float[]){0.84134475f, -0.15865525f, 0}, 3);
    check_unary(nn_sigmoid, (float[]){0, 2, -100}, (float[]){0.5f, 0.88079708f, 0}, 3);
    check_unary(nn_tanh, (float[]){0.5f, -3}, (float[]){0.46211716f, -0.99505475f}, 2);
    check_unary(nn_step, (float[]){-1, 0, 0.1f}, (float[]){0, 0, 1}, 3);
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape1(2), (float[]){-2, 3});
    expect_values(g, nn_leaky_relu(g, x, 0.01f), (float[]){-0.02f, 3}, 2);
    expect_values(g, nn_elu(g, x, 1.0f), (float[]){-0.86466472f, 3}, 2);
    expect_values(g, nn_elu(g, x, 0.5f), (float[]){-0.43233236f, 3}, 2);
    nn_graph_free(g);
}

static void test_relu_and_sign_pass_nan_through(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape1(1), (float[]){NAN});
    int y[2] = {nn_relu(g, x), nn_sign(g, x)};
    nn_plan *p = nn_plan_create(g, y, 2);
    nn_plan_run(g, p);
    assert_true(isnan(nn_data(g, y[0])[0]));
    assert_true(isnan(nn_data(g, y[1])[0]));
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_softmax_of_1_2_3_is_stable_under_large_shifts(void **state)
{
    (void)state;
    const float sm[3] = {0.09003057f, 0.24472847f, 0.66524096f};
    const float lsm[3] = {-2.40760596f, -1.40760596f, -0.40760596f};
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape2(2, 3), (float[]){1, 2, 3, 1001, 1002, 1003});
    expect_values(g, nn_softmax(g, x), (float[]){sm[0], sm[1], sm[2], sm[0], sm[1], sm[2]}, 6);
    expect_values(g, nn_log_softmax(g, x), (float[]){lsm[0], lsm[1], lsm[2], lsm[0], lsm[1], lsm[2]}, 6);
    nn_graph_free(g);
}

/* Above NN_PAR_MIN elements the kernels split across threads; values must not change. */
static void test_large_tensors_match_scalar_math(void **state)
{
    (void)state;
    enum { N = 100003 };
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape1(N), "x");
    for (int i = 0; i < N; i++) nn_data(g, x)[i] = -4.0f + 8.0f * (float)i / N;
    int y[3] = {nn_exp(g, x), nn_tanh(g, x), nn_gelu(g, x)};
    nn_plan *p = nn_plan_create(g, y, 3);
    nn_plan_run(g, p);
    for (int i = 0; i < N; i += 7) {
        double v = nn_data(g, x)[i];
        assert_true(fabs(nn_data(g, y[0])[i] - exp(v)) <= 1e-5 * exp(v));
        assert_true(fabs(nn_data(g, y[1])[i] - tanh(v)) <= 1e-5);
        assert_true(fabs(nn_data(g, y[2])[i] - 0.5 * v * (1 + erf(v / sqrt(2.0)))) <= 1e-5 * (1 + fabs(v)));
    }
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_mse_and_l1_reduce_modes(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int p = input_of(g, nn_shape2(2, 2), (float[]){1, -2, 3, -4});
    int t = input_of(g, nn_shape2(2, 2), (float[]){0, 0, 0, 0});
    expect_values(g, nn_mse(g, p, t, NN_REDUCE_MEAN), (float[]){7.5f}, 1);
    expect_values(g, nn_mse(g, p, t, NN_REDUCE_SUM_PER_SAMPLE), (float[]){15}, 1);
    expect_values(g, nn_mse(g, p, t, NN_REDUCE_SUM), (float[]){30}, 1);
    expect_values(g, nn_l1(g, p, t, NN_REDUCE_MEAN), (float[]){2.5f}, 1);
    expect_values(g, nn_l1(g, p, t, NN_REDUCE_SUM_PER_SAMPLE), (float[]){5}, 1);
    expect_values(g, nn_l1(g, p, t, NN_REDUCE_SUM), (float[]){10}, 1);
    nn_graph_free(g);
}

/* l(0, 1) = log 2; l(2, 0) = 2 + log(1 + e^-2); l(100, 1) = 0 and l(-100, 1) = 100 without
 * overflow (the naive -log(sigmoid) form gives inf or nan there). */
static void test_bce_with_logits_hand_values_and_stability(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int z = input_of(g, nn_shape1(2), (float[]){0, 2});
    int t = input_of(g, nn_shape1(2), (float[]){1, 0});
    expect_values(g, nn_bce_with_logits(g, z, t, NN_REDUCE_MEAN), (float[]){(0.69314718f + 2.12692801f) / 2}, 1);
    int z2 = input_of(g, nn_shape1(2), (float[]){100, -100});
    int t2 = input_of(g, nn_shape1(2), (float[]){1, 1});
    expect_values(g, nn_bce_with_logits(g, z2, t2, NN_REDUCE_SUM), (float[]){100}, 1);
    nn_graph_free(g);
}

static void test_cross_entropy_known_case(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape2(2, 3), (float[]){1, 2, 3, 1, 2, 3});
    int l = input_of(g, nn_shape1(2), (float[]){2, 0});
    expect_values(g, nn_cross_entropy(g, x, l), (float[]){(0.40760596f + 2.40760596f) / 2}, 1);
    assert_int_equal(g->nodes[l].no_grad, 1);
    nn_graph_free(g);
}

static void test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape2(2, 3), (float[]){1, 2, 3, 1, 2, 3});
    int l = input_of(g, nn_shape1(2), (float[]){2, 0});
    int loss = nn_cross_entropy(g, x, l), dx;
    assert_int_equal(nn_grad(g, loss, &x, 1, &dx), 0);
    const float s0 = 0.09003057f, s1 = 0.24472847f, s2 = 0.66524096f;
    expect_values(g, dx, (float[]){s0 / 2, s1 / 2, (s2 - 1) / 2, (s0 - 1) / 2, s1 / 2, s2 / 2}, 6);
    nn_graph_free(g);
}

/* PyTorch's F.cross_entropy(x, l, ignore_index=0) over (N=2, T=2) steps: the rows labelled 0
 * count for nothing (their gradient is 0) and the mean divides by the 2 rows left; sum / N
 * divides by N = 2 and the sum by 1; with every row ignored the loss is 0, not NaN. */
static void test_cross_entropy_ignores_padding_rows_and_reduces_as_asked(void **state)
{
    (void)state;
    static const float rows[12] = {1, 2, 3, 1, 2, 3, 3, 2, 1, 0, 0, 0};
    const float a = 0.40760596f, b = 2.40760596f;   /* -log softmax(1, 2, 3) at 2, and at 0 */
    const float want[3] = {(a + b) / 2, (a + b) / 2, a + b};
    for (int reduce = 0; reduce < 3; reduce++) {
        nn_graph *g = nn_graph_new(1);
        int x = input_of(g, nn_shape3(2, 2, 3), rows);
        int l = input_of(g, nn_shape2(2, 2), (float[]){2, 0, 0, 0});
        int l2 = input_of(g, nn_shape2(2, 2), (float[]){2, 0, 2, 0});   /* row 2: (3, 2, 1) at 2 = b */
        int y = nn_cross_entropy_ext(g, x, reduce == 0 ? l2 : l, reduce, 0), dx;
        if (reduce != 0) {
            assert_int_equal(nn_grad(g, y, &x, 1, &dx), 0);
            nn_plan *p = nn_plan_create(g, (int[]){y, dx}, 2);
            assert_non_null(p);
            nn_plan_run(g, p);
            assert_float_equal(nn_data(g, y)[0], reduce == 1 ? a / 2 : a, 1e-5);
            for (int k = 3; k < 12; k++) assert_float_equal(nn_data(g, dx)[k], 0.0f, 0.0f);   /* ignored rows */
            assert_float_equal(nn_data(g, dx)[2], (0.66524096f - 1) / (reduce == 1 ? 2 : 1), 1e-5);
            nn_plan_free(p);
        } else
            expect_values(g, y, &want[0], 1);
        nn_graph_free(g);
    }
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape2(2, 3), rows), l = input_of(g, nn_shape1(2), (float[]){0, 0});
    expect_values(g, nn_cross_entropy_ext(g, x, l, NN_REDUCE_MEAN, 0), (float[]){0}, 1);
    nn_graph_free(g);
}

static void test_cross_entropy_with_invalid_label_is_nan(void **state)
{
    (void)state;
    const float bad[3] = {3, -1, 0.5f};                  /* out of range, negative, not an integer */
    for (int k = 0; k < 3; k++) {
        nn_graph *g = nn_graph_new(1);
        int x = input_of(g, nn_shape2(2, 3), (float[]){1, 2, 3, 1, 2, 3});
        int l = input_of(g, nn_shape1(2), (float[]){0, bad[k]});
        int y = nn_cross_entropy(g, x, l);
        nn_plan *p = run(g, y);
        assert_true(isnan(nn_data(g, y)[0]));
        nn_plan_free(p);
        nn_graph_free(g);
    }
}

static void test_one_hot_rows_and_nan_for_bad_label(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int l = input_of(g, nn_shape1(3), (float[]){2, 0, 7});
    int y = nn_one_hot(g, l, 3);
    nn_plan *p = run(g, y);
    const float *v = nn_data(g, y);
    const float want[6] = {0, 0, 1, 1, 0, 0};
    for (int i = 0; i < 6; i++) assert_true(v[i] == want[i]);
    for (int i = 6; i < 9; i++) assert_true(isnan(v[i]));
    nn_plan_free(p);
    nn_graph_free(g);
}

/* In training about 1-p of the elements survive, each scaled by 1/(1-p); the gradient uses
 * the very same mask. In evaluation dropout is the identity. */
static void test_dropout_training_keeps_one_minus_p_scaled(void **state)
{
    (void)state;
    enum { N = 10000 };
    const float p = 0.3f;
    nn_graph *g = nn_graph_new(7);
    int xi = nn_input(g, nn_shape2(100, 100), "x");
    for (int i = 0; i < N; i++) nn_data(g, xi)[i] = 1.0f;
    int y = nn_dropout(g, xi, p), dx;
    assert_int_equal(nn_grad(g, nn_sum(g, y), &xi, 1, &dx), 0);
    int targets[2] = {y, dx};
    nn_plan *pl = nn_plan_create(g, targets, 2);
    nn_plan_run(g, pl);
    int kept = 0;
    for (int i = 0; i < N; i++) {
        float v = nn_data(g, y)[i];
        assert_true(v == 0.0f || fabsf(v - 1.0f / (1.0f - p)) < 1e-6f);
        assert_true(nn_data(g, dx)[i] == v);           /* x = 1: gradient is the mask itself */
        kept += v != 0.0f;
    }
    assert_true(abs(kept - 7000) < 300);               /* binomial sd ~46 */
    g->training = 0;
    nn_plan_run(g, pl);
    for (int i = 0; i < N; i++) assert_true(nn_data(g, y)[i] == 1.0f);
    nn_plan_free(pl);
    nn_graph_free(g);
}

static void test_dropout_same_seed_same_mask(void **state)
{
    (void)state;
    float first[64];
    for (int rep = 0; rep < 2; rep++) {
        nn_graph *g = nn_graph_new(42);
        int x = nn_const(g, nn_shape1(64), 1.0f);
        int y = nn_dropout(g, x, 0.5f);
        nn_plan *p = run(g, y);
        for (int i = 0; i < 64; i++) {
            if (rep == 0) first[i] = nn_data(g, y)[i];
            else assert_true(first[i] == nn_data(g, y)[i]);
        }
        nn_plan_free(p);
        nn_graph_free(g);
    }
}

/* Each forward draws a fresh mask (about half the positions change at p = 0.5), and a mask
 * of odd length fills its last element too. */
static void test_dropout_new_mask_each_step(void **state)
{
    (void)state;
    enum { N = 10001 };
    nn_graph *g = nn_graph_new(3);
    int x = nn_const(g, nn_shape1(N), 1.0f);
    int y = nn_dropout(g, x, 0.5f);
    nn_plan *p = run(g, y);
    static float first[N];
    memcpy(first, nn_data(g, y), sizeof first);
    nn_plan_run(g, p);
    int changed = 0, last_values = 0;
    for (int i = 0; i < N; i++) changed += first[i] != nn_data(g, y)[i];
    assert_true(abs(changed - N / 2) < 250);            /* binomial sd ~50 */
    for (int rep = 0; rep < 40; rep++) {               /* the last element is 0 or 2, both seen */
        nn_plan_run(g, p);
        float v = nn_data(g, y)[N - 1];
        assert_true(v == 0.0f || v == 2.0f);
        last_values |= v == 0.0f ? 1 : 2;
    }
    assert_int_equal(last_values, 3);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_dropout_rejects_p_outside_0_1(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_const(g, nn_shape1(4), 1.0f);
    assert_int_equal(nn_dropout(g, x, 1.0f), -1);
    assert_non_null(strstr(g->err, "[0, 1)"));
    assert_int_equal(nn_dropout(g, x, 0.0f), x);         /* p = 0 adds nothing to the graph */
    nn_graph_free(g);
}

static void noise_moments(nn_graph *g, int y, size_t n, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double v = nn_data(g, y)[i];
        assert_true(isfinite(v));
        s += v;
        s2 += v * v;
    }
    *mean = s / (double)n;
    *sd = sqrt(s2 / (double)n - *mean * *mean);
}

static void test_gaussian_noise_has_sigma_in_training_only(void **state)
{
    (void)state;
    enum { N = 100001 };                                  /* odd: the unpaired last sample too */
    nn_graph *g = nn_graph_new(3);
    int x = nn_const(g, nn_shape1(N), 0.0f);
    int y = nn_gaussian_noise(g, x, 0.5f, 0), ya = nn_gaussian_noise(g, x, 0.5f, 1);
    int t[2] = {y, ya};
    nn_plan *p = nn_plan_create(g, t, 2);
    nn_plan_run(g, p);
    double mean, sd;
    noise_moments(g, y, N, &mean, &sd);
    assert_true(fabs(mean) < 0.01 && fabs(sd - 0.5) < 0.01);
    assert_true(nn_data(g, y)[N - 1] != 0.0f);
    g->training = 0;
    nn_plan_run(g, p);
    for (int i = 0; i < N; i++) assert_true(nn_data(g, y)[i] == 0.0f);
    noise_moments(g, ya, N, &mean, &sd);                 /* always = 1: noise in evaluation too */
    assert_true(fabs(mean) < 0.01 && fabs(sd - 0.5) < 0.01);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* U[lo, hi): mean (lo + hi) / 2, variance (hi - lo)^2 / 12, every draw inside [lo, hi) and both
 * ends of the interval reached; the midpoint in evaluation unless always. */
static void test_uniform_noise_is_uniform_in_training_and_the_midpoint_in_evaluation(void **state)
{
    (void)state;
    enum { N = 100001 };
    const float lo = -0.5f, hi = 1.5f;
    nn_graph *g = nn_graph_new(5);
    int x = nn_const(g, nn_shape1(N), 7.0f);
    int y = nn_uniform_noise(g, x, lo, hi, 0), ya = nn_uniform_noise(g, x, lo, hi, 1);
    int t[2] = {y, ya};
    nn_plan *p = nn_plan_create(g, t, 2);
    nn_plan_run(g, p);
    double mean, sd, min = hi, max = lo;
    noise_moments(g, y, N, &mean, &sd);
    assert_true(fabs(mean - 0.5) < 0.01);                /* sd of the mean ~0.002 */
    assert_true(fabs(sd * sd - 4.0 / 12.0) < 0.005);
    for (int i = 0; i < N; i++) {
        float v = nn_data(g, y)[i];
        assert_true(v >= lo && v < hi);
        min = fmin(min, v), max = fmax(max, v);
    }
    assert_true(min < lo + 0.001 && max > hi - 0.001);
    assert_true(nn_data(g, y)[0] != nn_data(g, ya)[0]);  /* two nodes, two draws */
    g->training = 0;
    nn_plan_run(g, p);
    for (int i = 0; i < N; i++) assert_true(nn_data(g, y)[i] == 0.5f);
    noise_moments(g, ya, N, &mean, &sd);                 /* always: still drawn */
    assert_true(fabs(mean - 0.5) < 0.01 && fabs(sd * sd - 4.0 / 12.0) < 0.005);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* The same seed gives the same draws; the next run draws anew. */
static void test_uniform_noise_same_seed_same_draws(void **state)
{
    (void)state;
    enum { N = 33 };
    float first[N], again[N];
    for (int rep = 0; rep < 2; rep++) {
        nn_graph *g = nn_graph_new(11);
        int y = nn_uniform_noise(g, nn_const(g, nn_shape2(3, 11), 0.0f), 0.0f, 1.0f, 0);
        nn_plan *p = run(g, y);
        float *out = rep ? again : first;
        memcpy(out, nn_data(g, y), sizeof first);
        nn_plan_run(g, p);
        int changed = 0;
        for (int i = 0; i < N; i++) changed += nn_data(g, y)[i] != out[i];
        assert_true(changed > N / 2);
        nn_plan_free(p);
        nn_graph_free(g);
    }
    assert_memory_equal(first, again, sizeof first);
}

static void test_uniform_noise_rejects_an_empty_interval(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_const(g, nn_shape1(4), 0.0f);
    assert_int_equal(nn_uniform_noise(g, x, 1.0f, 1.0f, 0), -1);
    assert_non_null(strstr(g->err, "[1, 1)"));
    nn_graph_free(g);
}

static void test_loss_build_errors_name_the_problem(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int a = nn_const(g, nn_shape2(2, 3), 0), b = nn_const(g, nn_shape2(3, 2), 0);
    assert_int_equal(nn_mse(g, a, b, NN_REDUCE_MEAN), -1);
    assert_non_null(strstr(g->err, "same shape"));
    g->err[0] = 0;
    assert_int_equal(nn_bce_with_logits(g, a, a, 7), -1);
    assert_non_null(strstr(g->err, "reduce"));
    g->err[0] = 0;
    assert_int_equal(nn_cross_entropy(g, a, nn_const(g, nn_shape1(3), 0)), -1);
    assert_non_null(strstr(g->err, "labels must have shape [2]"));
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_math_values),
        cmocka_unit_test(test_activation_values),
        cmocka_unit_test(test_relu_and_sign_pass_nan_through),
        cmocka_unit_test(test_softmax_of_1_2_3_is_stable_under_large_shifts),
        cmocka_unit_test(test_large_tensors_match_scalar_math),
        cmocka_unit_test(test_mse_and_l1_reduce_modes),
        cmocka_unit_test(test_bce_with_logits_hand_values_and_stability),
        cmocka_unit_test(test_cross_entropy_known_case),
        cmocka_unit_test(test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n),
        cmocka_unit_test(test_cross_entropy_with_invalid_label_is_nan),
        cmocka_unit_test(test_cross_entropy_ignores_padding_rows_and_reduces_as_asked),
        cmocka_unit_test(test_one_hot_rows_and_nan_for_bad_label),
        cmocka_unit_test(test_dropout_training_keeps_one_minus_p_scaled),
        cmocka_unit_test(test_dropout_new_mask_each_step),
        cmocka_unit_test(test_dropout_same_seed_same_mask),
        cmocka_unit_test(test_dropout_rejects_p_outside_0_1),
        cmocka_unit_test(test_gaussian_noise_has_sigma_in_training_only),
        cmocka_unit_test(test_uniform_noise_is_uniform_in_training_and_the_midpoint_in_evaluation),
        cmocka_unit_test(test_uniform_noise_same_seed_same_draws),
        cmocka_unit_test(test_uniform_noise_rejects_an_empty_interval),
        cmocka_unit_test(test_loss_build_errors_name_the_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
