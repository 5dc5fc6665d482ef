/* Hand-computed values of the pooling, upsampling, concat/slice, masking-noise and
 * running-statistic ops, their gradients where the routing matters (argmax, padding, floor),
 * and their build errors. Finite-difference checks of every row are in test_gradcheck.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "graph_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"






/* ---- max pooling ---- */
static void test_maxpool_2x2_picks_window_max_and_routes_gradient_to_it(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* windows: {1 5 3 4} -> 5 at 1, {2 0 8 7} -> 8 at 6, {9 0 2 6} -> 9 at 8,
     * {1 1 3 3} tie -> the first 3, at 14 (as PyTorch) */
    int x = input_of(g, nn_shape4(1, 1, 4, 4), (float[]){1, 5, 2, 0, 3, 4, 8, 7, 9, 0, 1, 1, 2, 6, 3, 3});
    int dx, y = nn_maxpool2d(g, x, 2, 2, 0);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape4(1, 1, 2, 2));
    expect_data(g, y, (float[]){5, 8, 9, 3}, 4);
    expect_data(g, dx, (float[]){0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4, 0}, 16);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_maxpool_3x3_stride2_pad1_never_picks_the_padding(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* x = -1 .. -16: all below the zero a padded window would hold if padding counted */
    int x = iota_input(g, nn_shape4(1, 1, 4, 4), -1, -1);
    int dx, y = nn_maxpool2d(g, x, 3, 2, 1);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape4(1, 1, 2, 2));
    /* windows cover rows/cols {0,1} or {1,2,3}: maxima at (0,0), (0,1), (1,0), (1,1) */
    expect_data(g, y, (float[]){-1, -2, -5, -6}, 4);
    expect_data(g, dx, (float[]){1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 16);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_maxpool_overlapping_windows_sum_gradients_at_a_shared_max(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* 3x3 windows, stride 1 over 3x4: both windows hold the 9 at (1,1)... and (1,2) is smaller */
    int x = input_of(g, nn_shape4(1, 1, 3, 4), (float[]){0, 1, 2, 3, 4, 9, 5, 6, 7, 8, 1, 2});
    int dx, y = nn_maxpool2d(g, x, 3, 1, 0);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){9, 9}, 2);
    expect_data(g, dx, (float[]){0, 0, 0, 0, 0, 1 + 2, 0, 0, 0, 0, 0, 0}, 12);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_maxpool_7x7_by_2_floors_to_3x3(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = iota_input(g, nn_shape4(1, 1, 7, 7), 1, 0);
    int dx, y = nn_maxpool2d(g, x, 2, 2, 0);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape4(1, 1, 3, 3));
    expect_data(g, y, (float[]){8, 10, 12, 22, 24, 26, 36, 38, 40}, 9);
    for (int i = 0; i < 7; i++) {            /* the dropped last row and column get nothing */
        assert_true(nn_data(g, dx)[6 * 7 + i] == 0.0f);
        assert_true(nn_data(g, dx)[i * 7 + 6] == 0.0f);
    }
    assert_true(nn_data(g, dx)[8] == 1.0f && nn_data(g, dx)[40] == 9.0f);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_maxpool_propagates_nan(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape4(1, 1, 2, 2), (float[]){1, NAN, 3, 2});
    int y = nn_maxpool2d(g, x, 2, 2, 0);
    nn_plan *p = run(g, &y, 1);
    assert_true(isnan(nn_data(g, y)[0]));
    nn_plan_free(p);
    nn_graph_free(g);
}

/* The 2x2 fast path: a NaN in any of the four window positions wins, and the gradient goes to it */
static void test_maxpool_2x2_nan_wins_from_any_window_position(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape4(1, 1, 2, 8), (float[]){NAN, 1, 2, NAN, 5, 6, 7, 9,
                                                          3, 4, 0, 8, NAN, 2, 1, NAN});
    int dx, y = nn_maxpool2d(g, x, 2, 2, 0);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    for (int i = 0; i < 4; i++) assert_true(isnan(nn_data(g, y)[i]));
    expect_data(g, dx, (float[]){1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4}, 16);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- average pooling ---- */
static void test_avgpool_counts_padding_as_zeros(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* 2x2 stride 2 pad 1 over 1..9 (3x3): windows {1}, {2 3}, {4 7}, {5 6 8 9}, each / 4 */
    int x = iota_input(g, nn_shape4(1, 1, 3, 3), 1, 1);
    int dx, y = nn_avgpool2d(g, x, 2, 2, 1);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape4(1, 1, 2, 2));
    expect_data(g, y, (float[]){0.25f, 1.25f, 2.75f, 7.0f}, 4);
    /* gradient: weight of the window / 4 (weights 1, 2, 3, 4) */
    expect_data(g, dx, (float[]){0.25f, 0.5f, 0.5f, 0.75f, 1, 1, 0.75f, 1, 1}, 9);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_avgpool_overlapping_gradient_adds_up(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* 2x2 stride 1 over 3x3 of ones: every output 1; centre input is in all 4 windows */
    int x = input_of(g, nn_shape4(1, 1, 3, 3), (float[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    int dx, y = nn_avgpool2d(g, x, 2, 1, 0);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){1, 1, 1, 1}, 4);
    expect_data(g, dx, (float[]){0.25f, 0.75f, 0.5f, 1.0f, 2.5f, 1.5f, 0.75f, 1.75f, 1.0f}, 9);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_global_avgpool_means_each_plane(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = iota_input(g, nn_shape4(2, 2, 2, 2), 1, 0);          /* planes 0..3, 4..7, ... */
    int dx, y = nn_global_avgpool(g, x);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape2(2, 2));
    expect_data(g, y, (float[]){1.5f, 5.5f, 9.5f, 13.5f}, 4);
    for (int i = 0; i < 16; i++) assert_true(fabsf(nn_data(g, dx)[i] - (float)(i / 4 + 1) / 4.0f) < GRAPH_UTIL_TOL);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- upsampling ---- */
static void test_upsample_nearest_repeats_and_its_gradient_sums_blocks(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape4(1, 1, 2, 2), (float[]){1, 2, 3, 4});
    int dx, y = nn_upsample_nearest(g, x, 2);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape4(1, 1, 4, 4));
    expect_data(g, y, (float[]){1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 16);
    /* weights 1..16: blocks {1 2 5 6}, {3 4 7 8}, {9 10 13 14}, {11 12 15 16} */
    expect_data(g, dx, (float[]){14, 22, 46, 54}, 4);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- concat / slice ---- */
static void test_concat_along_channels_keeps_each_sample_together(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int a = iota_input(g, nn_shape4(2, 2, 1, 2), 1, 0);        /* 0..7 */
    int b = iota_input(g, nn_shape4(2, 3, 1, 2), 1, 100);      /* 100..111 */
    int y = nn_concat(g, (int[]){a, b}, 2, 1), da[2];
    int w = iota_input(g, nn_shape4(2, 5, 1, 2), 1, 1);
    int loss = nn_sum(g, nn_mul(g, y, w));
    assert_int_equal(nn_grad(g, loss, (int[]){a, b}, 2, da), 0);
    nn_plan *p = run(g, (int[]){y, da[0], da[1]}, 3);
    expect_shape(g, y, nn_shape4(2, 5, 1, 2));
    expect_data(g, y, (float[]){0, 1, 2, 3, 100, 101, 102, 103, 104, 105, 4, 5, 6, 7, 106, 107, 108, 109, 110, 111}, 20);
    expect_data(g, da[0], (float[]){1, 2, 3, 4, 11, 12, 13, 14}, 8);
    expect_data(g, da[1], (float[]){5, 6, 7, 8, 9, 10, 15, 16, 17, 18, 19, 20}, 12);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_concat_along_last_axis(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int a = input_of(g, nn_shape2(2, 4), (float[]){1, 2, 3, 4, 5, 6, 7, 8});
    int b = input_of(g, nn_shape2(2, 2), (float[]){-1, -2, -3, -4});
    int y = nn_concat(g, (int[]){a, b}, 2, -1);
    nn_plan *p = run(g, &y, 1);
    expect_shape(g, y, nn_shape2(2, 6));
    expect_data(g, y, (float[]){1, 2, 3, 4, -1, -2, 5, 6, 7, 8, -3, -4}, 12);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_slice_takes_a_range_and_its_gradient_zero_pads(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = iota_input(g, nn_shape2(2, 5), 1, 0);
    int dx, y = nn_slice(g, x, 1, 1, 3);
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_shape(g, y, nn_shape2(2, 3));
    expect_data(g, y, (float[]){1, 2, 3, 6, 7, 8}, 6);
    expect_data(g, dx, (float[]){0, 1, 2, 3, 0, 0, 4, 5, 6, 0}, 10);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_concat_and_slice_reject_bad_shapes(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int a = input_of(g, nn_shape3(2, 3, 4), NULL), b = input_of(g, nn_shape3(2, 3, 5), NULL);
    assert_int_equal(nn_concat(g, (int[]){a, b}, 2, 1), -1);
    assert_non_null(strstr(g->err, "only along axis 1"));
    g->err[0] = 0;
    assert_true(nn_concat(g, (int[]){a, b}, 2, 2) >= 0);
    assert_int_equal(nn_concat(g, (int[]){a}, 1, 0), -1);
    assert_non_null(strstr(g->err, "2 to 4"));
    g->err[0] = 0;
    assert_int_equal(nn_concat(g, (int[]){a, b}, 2, 3), -1);
    assert_non_null(strstr(g->err, "axis 3 is out of range"));
    g->err[0] = 0;
    assert_int_equal(nn_slice(g, a, 1, 2, 2), -1);
    assert_non_null(strstr(g->err, "slice"));
    nn_graph_free(g);
}

/* ---- build errors of the image ops ---- */
static void test_pooling_rejects_bad_geometry(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int flat = input_of(g, nn_shape2(2, 16), NULL), img = input_of(g, nn_shape4(1, 1, 4, 4), NULL);
    assert_int_equal(nn_maxpool2d(g, flat, 2, 2, 0), -1);
    assert_non_null(strstr(g->err, "(N, C, H, W)"));
    g->err[0] = 0;
    assert_int_equal(nn_maxpool2d(g, img, 2, 2, 2), -1);
    assert_non_null(strstr(g->err, "half the kernel"));
    g->err[0] = 0;
    assert_int_equal(nn_avgpool2d(g, img, 5, 1, 0), -1);
    assert_non_null(strstr(g->err, "larger than"));
    g->err[0] = 0;
    assert_int_equal(nn_avgpool2d(g, img, 2, 0, 0), -1);
    assert_non_null(strstr(g->err, "stride >= 1"));
    g->err[0] = 0;
    assert_int_equal(nn_upsample_nearest(g, img, 0), -1);
    assert_non_null(strstr(g->err, "factor 0 must be in 1.."));
    nn_graph_free(g);
}

/* maxpool2d, its gradient (max_route) and avgpool2d against direct loops over each window. */
static void check_against_direct_loops(int N, int C, int H, int W, int K, int S, int P)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 7);
    int x = nn_test_input(g, nn_shape4(N, C, H, W), &r, -1, 1), dx;
    int mx = nn_maxpool2d(g, x, K, S, P), av = nn_avgpool2d(g, x, K, S, P);
    nn_plan *p = run_with_grad(g, x, mx, &dx);      /* weights 1, 2, 3, ... on the pooled values */
    nn_plan_free(p);
    p = run(g, (int[]){mx, av, dx}, 3);
    const float *X = nn_data(g, x);
    int oh = (H + 2 * P - K) / S + 1, ow = (W + 2 * P - K) / S + 1;
    expect_shape(g, mx, nn_shape4(N, C, oh, ow));
    size_t plane = (size_t)H * W, n_x = (size_t)N * C * plane;
    float *route = calloc(n_x, sizeof *route);
    for (size_t pl = 0; pl < (size_t)N * C; pl++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                float m = -INFINITY, sum = 0;
                size_t at = 0;
                for (int a = 0; a < K; a++)
                    for (int b = 0; b < K; b++) {
                        int ih = i * S + a - P, iw = j * S + b - P;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        size_t k = pl * plane + (size_t)ih * W + iw;
                        if (X[k] > m) m = X[k], at = k;
                        sum += X[k];
                    }
                size_t o = (pl * oh + i) * ow + j;
                route[at] += (float)(o + 1);
                assert_true(nn_data(g, mx)[o] == m);
                assert_true(fabsf(nn_data(g, av)[o] - sum / (K * K)) < 1e-5f);
            }
    for (size_t k = 0; k < n_x; k++) assert_true(nn_data(g, dx)[k] == route[k]);
    free(route);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* Above NN_PAR_MIN elements planes are split across threads; wide or tall planes are walked in
 * several tiles; padded and unpadded, overlapping and exact windows take different paths. */
static void test_pooling_matches_direct_loops_on_every_path(void **state)
{
    (void)state;
    check_against_direct_loops(24, 16, 29, 27, 3, 2, 1);    /* threaded, padded, overlapping */
    check_against_direct_loops(24, 16, 28, 28, 2, 2, 0);    /* threaded, exact 2x2 (flat rows) */
    check_against_direct_loops(1, 2, 5, 2100, 3, 2, 1);     /* wide: two column tiles per row */
    check_against_direct_loops(1, 1, 1201, 4, 2, 2, 0);     /* tall: several row tiles, odd H */
    check_against_direct_loops(2, 1, 9, 11, 4, 3, 2);       /* k > s with a remainder */
    check_against_direct_loops(3, 2, 9, 71, 2, 2, 0);       /* 2x2: rows of 35 windows (16 + 16 + 3), odd H and W */
    check_against_direct_loops(2, 3, 8, 15, 2, 2, 0);       /* 2x2: 7 windows a row, odd W only */
}

/* ---- masking noise ---- */
static void test_masking_noise_keeps_about_one_minus_p_unscaled(void **state)
{
    (void)state;
    enum { n = 20000 };
    nn_graph *g = nn_graph_new(3);
    int x = nn_const(g, nn_shape1(n), 2.0f);
    int y = nn_masking_noise(g, x, 0.3f, 0);
    nn_plan *p = run(g, &y, 1);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        float v = nn_data(g, y)[i];
        assert_true(v == 0.0f || v == 2.0f);     /* never rescaled by 1/(1-p) */
        kept += v == 2.0f;
    }
    assert_true(fabs(kept / (double)n - 0.7) < 0.02);
    g->training = 0;                              /* evaluation: the identity */
    nn_plan_run(g, p);
    for (int i = 0; i < n; i++) assert_true(nn_data(g, y)[i] == 2.0f);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_masking_noise_always_masks_in_evaluation(void **state)
{
    (void)state;
    enum { n = 4000 };
    nn_graph *g = nn_graph_new(5);
    g->training = 0;
    int x = nn_const(g, nn_shape1(n), 1.0f);
    int y = nn_masking_noise(g, x, 0.5f, 1);
    nn_plan *p = run(g, &y, 1);
    int kept = 0;
    for (int i = 0; i < n; i++) kept += nn_data(g, y)[i] == 1.0f;
    assert_true(kept > n * 0.45 && kept < n * 0.55);
    nn_plan_free(p);
    assert_int_equal(nn_masking_noise(g, x, 0.0f, 1), x);       /* p = 0 adds no node */
    assert_int_equal(nn_masking_noise(g, x, 1.5f, 1), -1);
    assert_non_null(strstr(g->err, "masking_noise"));
    nn_graph_free(g);
}

static void test_masking_noise_gradient_is_the_mask(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(9);
    int x = input_of(g, nn_shape1(64), NULL);
    for (int i = 0; i < 64; i++) nn_data(g, x)[i] = 1.0f + (float)i;
    int y = nn_masking_noise(g, x, 0.5f, 0), dx;
    int loss = nn_sum(g, y);
    assert_int_equal(nn_grad(g, loss, &x, 1, &dx), 0);
    nn_plan *p = run(g, (int[]){y, dx}, 2);
    for (int i = 0; i < 64; i++) assert_true(nn_data(g, dx)[i] == nn_data(g, y)[i] / nn_data(g, x)[i]);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- running statistics ---- */
static void test_ema_update_moves_stat_in_training_only(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int v = input_of(g, nn_shape1(2), (float[]){3, 6});
    int s = nn_param(g, nn_shape1(2), "running_mean");
    assert_int_equal(nn_graph_alloc_params(g), 0);
    nn_data(g, s)[0] = 1;
    nn_data(g, s)[1] = 2;
    int y = nn_ema_update(g, s, v, 0.1f);
    assert_true(g->nodes[s].no_grad);
    nn_plan *p = run(g, &y, 1);
    expect_data(g, s, (float[]){1.2f, 2.4f}, 2);        /* 0.9 * stat + 0.1 * value */
    expect_data(g, y, (float[]){1.2f, 2.4f}, 2);
    nn_plan_run(g, p);                                  /* each run is one update */
    expect_data(g, s, (float[]){1.38f, 2.76f}, 2);
    g->training = 0;
    nn_plan_run(g, p);
    expect_data(g, s, (float[]){1.38f, 2.76f}, 2);      /* evaluation leaves it alone */
    expect_data(g, y, (float[]){1.38f, 2.76f}, 2);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_ema_update_has_no_gradient_and_checks_its_inputs(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int v = input_of(g, nn_shape1(2), (float[]){3, 6});
    int s = nn_param(g, nn_shape1(2), "running_mean"), dv;
    assert_int_equal(nn_graph_alloc_params(g), 0);
    int loss = nn_sum(g, nn_ema_update(g, s, v, 0.1f));
    assert_int_equal(nn_grad(g, loss, &v, 1, &dv), 0);
    assert_int_equal(dv, -1);
    assert_int_equal(nn_ema_update(g, nn_neg(g, s), v, 0.1f), -1);
    assert_non_null(strstr(g->err, "must be a parameter"));
    g->err[0] = 0;
    assert_int_equal(nn_ema_update(g, s, v, 1.5f), -1);
    assert_non_null(strstr(g->err, "momentum"));
    g->err[0] = 0;
    assert_int_equal(nn_ema_update(g, s, input_of(g, nn_shape1(3), NULL), 0.1f), -1);
    assert_non_null(strstr(g->err, "shape"));
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxpool_2x2_picks_window_max_and_routes_gradient_to_it),
        cmocka_unit_test(test_maxpool_3x3_stride2_pad1_never_picks_the_padding),
        cmocka_unit_test(test_maxpool_overlapping_windows_sum_gradients_at_a_shared_max),
        cmocka_unit_test(test_maxpool_7x7_by_2_floors_to_3x3),
        cmocka_unit_test(test_maxpool_propagates_nan),
        cmocka_unit_test(test_maxpool_2x2_nan_wins_from_any_window_position),
        cmocka_unit_test(test_avgpool_counts_padding_as_zeros),
        cmocka_unit_test(test_avgpool_overlapping_gradient_adds_up),
        cmocka_unit_test(test_global_avgpool_means_each_plane),
        cmocka_unit_test(test_upsample_nearest_repeats_and_its_gradient_sums_blocks),
        cmocka_unit_test(test_concat_along_channels_keeps_each_sample_together),
        cmocka_unit_test(test_concat_along_last_axis),
        cmocka_unit_test(test_slice_takes_a_range_and_its_gradient_zero_pads),
        cmocka_unit_test(test_concat_and_slice_reject_bad_shapes),
        cmocka_unit_test(test_pooling_rejects_bad_geometry),
        cmocka_unit_test(test_pooling_matches_direct_loops_on_every_path),
        cmocka_unit_test(test_masking_noise_keeps_about_one_minus_p_unscaled),
        cmocka_unit_test(test_masking_noise_always_masks_in_evaluation),
        cmocka_unit_test(test_masking_noise_gradient_is_the_mask),
        cmocka_unit_test(test_ema_update_moves_stat_in_training_only),
        cmocka_unit_test(test_ema_update_has_no_gradient_and_checks_its_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
