/* conv1d and maxpool1d over channels-last sequences (N,T,C) against naive loops written from
 * their definitions, over strides, paddings (none, symmetric, asymmetric, wider than the
 * kernel), with and without bias, and at a size that takes the threaded path; plus build errors.
 * Finite-difference checks (first and second order) are in test_gradcheck.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#define GRAPH_UTIL_TOL 1e-4f
#include "graph_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "nn/rng.h"

/* y[n,t,f] = b[f] + sum over c, k of w[f,c,k] x[n, t*s - pl + k, c] (PyTorch Conv1d on x^T) */
static float *naive_conv1d(const float *x, const float *w, const float *b, int n, int t, int c, int f, int k, int s,
                           int pl, int pr, int *t_out)
{
    int to = (t + pl + pr - k) / s + 1;
    float *y = calloc((size_t)n * to * f, sizeof *y);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < to; o++)
            for (int ff = 0; ff < f; ff++) {
                double acc = b ? b[ff] : 0.0;
                for (int cc = 0; cc < c; cc++)
                    for (int kk = 0; kk < k; kk++) {
                        int at = o * s - pl + kk;
                        if (at >= 0 && at < t) acc += (double)w[((size_t)ff * c + cc) * k + kk] * x[((size_t)i * t + at) * c + cc];
                    }
                y[((size_t)i * to + o) * f + ff] = (float)acc;
            }
    *t_out = to;
    return y;
}

static int random_input(nn_graph *g, nn_shape s, nn_rng *r)
{
    int id = input_of(g, s, NULL);
    for (size_t i = 0; i < nn_shape_numel(&s); i++) nn_data(g, id)[i] = nn_rng_range(r, -1, 1);
    return id;
}

static void check_conv1d(int n, int t, int c, int f, int k, int s, int pl, int pr, int bias)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 7);
    int x = random_input(g, nn_shape3(n, t, c), &r), w = random_input(g, nn_shape3(f, c, k), &r);
    int b = bias ? random_input(g, nn_shape1(f), &r) : -1;
    int y = nn_conv1d(g, x, w, b, s, pl, pr);
    nn_plan *p = run(g, &y, 1);
    int to;
    float *want = naive_conv1d(nn_data(g, x), nn_data(g, w), bias ? nn_data(g, b) : NULL, n, t, c, f, k, s, pl, pr, &to);
    expect_shape(g, y, nn_shape3(n, to, f));
    expect_data(g, y, want, (size_t)n * to * f);
    free(want);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_conv1d_valid_stride_1_matches_naive_loops(void **state)
{
    (void)state;
    check_conv1d(2, 9, 3, 4, 3, 1, 0, 0, 1);    /* 9 steps, kernel 3 -> 7 */
}

static void test_conv1d_with_stride_and_symmetric_padding_matches_naive_loops(void **state)
{
    (void)state;
    check_conv1d(3, 10, 2, 5, 4, 3, 2, 2, 1);   /* (10 + 4 - 4) / 3 + 1 = 4 */
    check_conv1d(2, 8, 3, 2, 3, 2, 1, 1, 0);    /* no bias */
}

static void test_conv1d_same_padding_of_an_even_kernel_pads_right_more(void **state)
{
    (void)state;
    check_conv1d(2, 6, 2, 3, 4, 1, 1, 2, 1);    /* PyTorch's 'same' for K = 4: 1 left, 2 right -> T */
}

static void test_conv1d_padding_wider_than_the_kernel_gives_bias_only_windows(void **state)
{
    (void)state;
    check_conv1d(1, 3, 2, 2, 2, 1, 3, 0, 1);    /* the first two windows lie wholly in the padding */
}

static void test_conv1d_large_enough_to_thread_matches_naive_loops(void **state)
{
    (void)state;
    check_conv1d(8, 120, 60, 16, 5, 1, 2, 2, 1);    /* unfolded 8 x 120 x 300 > NN_PAR_MIN floats */
}

static void test_conv1d_weight_is_pytorch_layout_filter_channel_tap(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* one step-window of 2 taps over 2 channels: x steps (1,10) and (100,1000) */
    int x = input_of(g, nn_shape3(1, 2, 2), (float[]){1, 10, 100, 1000});
    /* w[0, c, k]: channel 0 taps (1, 2), channel 1 taps (3, 4) */
    int w = input_of(g, nn_shape3(1, 2, 2), (float[]){1, 2, 3, 4});
    int y = nn_conv1d(g, x, w, -1, 1, 0, 0);
    nn_plan *p = run(g, &y, 1);
    /* channel 0: 1*1 + 2*100; channel 1: 3*10 + 4*1000 */
    expect_data(g, y, (float[]){201 + 4030}, 1);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- maxpool1d ---- */
static void check_maxpool1d(int n, int t, int c, int k, int s)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 11);
    int x = random_input(g, nn_shape3(n, t, c), &r);
    int y = nn_maxpool1d(g, x, k, s);
    nn_plan *p = run(g, &y, 1);
    int to = (t - k) / s + 1;
    expect_shape(g, y, nn_shape3(n, to, c));
    float *want = malloc((size_t)n * to * c * sizeof *want);
    const float *xv = nn_data(g, x);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < to; o++)
            for (int cc = 0; cc < c; cc++) {
                float m = -INFINITY;
                for (int kk = 0; kk < k; kk++) m = fmaxf(m, xv[((size_t)i * t + o * s + kk) * c + cc]);
                want[((size_t)i * to + o) * c + cc] = m;
            }
    expect_data(g, y, want, (size_t)n * to * c);
    free(want);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_maxpool1d_matches_naive_loops_for_tiling_overlapping_and_gapped_windows(void **state)
{
    (void)state;
    check_maxpool1d(2, 8, 3, 2, 2);     /* tiling */
    check_maxpool1d(2, 9, 3, 3, 2);     /* overlapping */
    check_maxpool1d(3, 11, 2, 2, 3);    /* gaps; the last step is never read */
}

static void test_maxpool1d_gradient_goes_to_each_windows_first_maximum(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* one channel, steps 1 5 5 2 3; windows of 3, stride 2: [1 5 5] and [5 2 3] share step 2 */
    int x = input_of(g, nn_shape3(1, 5, 1), (float[]){1, 5, 5, 2, 3});
    int dx, y = nn_maxpool1d(g, x, 3, 2);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){5, 5}, 2);
    /* weights 1, 2: window 0's first max is step 1, window 1's is step 2 */
    expect_data(g, dx, (float[]){0, 1, 2, 0, 0}, 5);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- errors ---- */
static void test_conv1d_rejects_mismatched_channels_and_a_kernel_longer_than_the_sequence(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape3(2, 4, 3), NULL);
    assert_int_equal(nn_conv1d(g, x, input_of(g, nn_shape3(5, 2, 3), NULL), -1, 1, 0, 0), -1);
    assert_non_null(strstr(g->err, "same C"));
    g->err[0] = 0;
    assert_int_equal(nn_conv1d(g, x, input_of(g, nn_shape3(5, 3, 6), NULL), -1, 1, 0, 0), -1);
    assert_non_null(strstr(g->err, "does not fit 4 steps"));
    g->err[0] = 0;
    assert_int_equal(nn_maxpool1d(g, input_of(g, nn_shape2(2, 4), NULL), 2, 2), -1);
    assert_non_null(strstr(g->err, "maxpool1d: x must be (N, T, C)"));
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv1d_valid_stride_1_matches_naive_loops),
        cmocka_unit_test(test_conv1d_with_stride_and_symmetric_padding_matches_naive_loops),
        cmocka_unit_test(test_conv1d_same_padding_of_an_even_kernel_pads_right_more),
        cmocka_unit_test(test_conv1d_padding_wider_than_the_kernel_gives_bias_only_windows),
        cmocka_unit_test(test_conv1d_large_enough_to_thread_matches_naive_loops),
        cmocka_unit_test(test_conv1d_weight_is_pytorch_layout_filter_channel_tap),
        cmocka_unit_test(test_maxpool1d_matches_naive_loops_for_tiling_overlapping_and_gapped_windows),
        cmocka_unit_test(test_maxpool1d_gradient_goes_to_each_windows_first_maximum),
        cmocka_unit_test(test_conv1d_rejects_mismatched_channels_and_a_kernel_longer_than_the_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
