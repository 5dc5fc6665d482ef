/* Hand-computed values of the sequence ops — embedding lookup and its scatter-add gradient
 * (repeated ids, the padding id, invalid ids), max_over (ties, negative axes), mean_over and
 * flip — and their build errors. Finite-difference checks of every row are in test_gradcheck.c. */
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








/* ---- embedding ---- */
static void test_embedding_reads_rows_and_sums_gradient_of_repeated_ids_skipping_padding(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* table rows: 0 -> (0,1), 1 -> (10,11), 2 -> (20,21), 3 -> (30,31); padding id 0 */
    int table = input_of(g, nn_shape2(4, 2), (float[]){0, 1, 10, 11, 20, 21, 30, 31});
    int ids = input_of(g, nn_shape2(2, 2), (float[]){1, 3, 0, 1});
    int dt, y = nn_embedding(g, ids, table, 0);
    expect_shape(g, y, nn_shape3(2, 2, 2));
    nn_plan *p = run_with_grad(g, table, y, &dt);
    /* the padding position reads zeros even though row 0 of the table is (0,1) */
    expect_data(g, y, (float[]){10, 11, 30, 31, 0, 0, 10, 11}, 8);
    /* w rows per position: (1,2) (3,4) (5,6) (7,8). Row 1 is used twice: (1+7, 2+8); row 3
     * once; row 0 is the padding id (no gradient); row 2 is unused. */
    expect_shape(g, dt, nn_shape2(4, 2));
    expect_data(g, dt, (float[]){0, 0, 8, 10, 0, 0, 3, 4}, 8);
    assert_true(g->nodes[ids].no_grad);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_embedding_gives_nan_rows_for_invalid_ids_and_no_gradient_from_them(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int table = iota_input(g, nn_shape2(3, 2), 1, 0);
    int ids = input_of(g, nn_shape1(4), (float[]){2.5f, 3, -1, 1});
    int dt, y = nn_embedding(g, ids, table, -1);
    expect_shape(g, y, nn_shape2(4, 2));
    /* the loss is NaN, so differentiate only the valid row through a slice */
    int w = iota_input(g, nn_shape2(1, 2), 1, 1);
    int loss = nn_sum(g, nn_mul(g, nn_slice(g, y, 0, 3, 1), w));
    assert_int_equal(nn_grad(g, loss, &table, 1, &dt), 0);
    nn_plan *p = run(g, (int[]){y, dt}, 2);
    expect_data(g, y, (float[]){NAN, NAN, NAN, NAN, NAN, NAN, 2, 3}, 8);
    expect_data(g, dt, (float[]){0, 0, 1, 2, 0, 0}, 6);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* Large enough for the threaded clear and column-block scatter: compared with a plain loop. */
static void test_embedding_gradient_of_a_large_batch_matches_a_plain_scatter(void **state)
{
    (void)state;
    enum { V = 700, D = 100, POS = 3000, PAD = 5 };
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 7);
    int ids = input_of(g, nn_shape2(30, POS / 30), NULL);
    for (int p = 0; p < POS; p++) nn_data(g, ids)[p] = (float)nn_rng_below(&r, V);
    int table = iota_input(g, nn_shape2(V, D), 0.001f, 0);
    int h = input_of(g, nn_shape3(30, POS / 30, D), NULL);
    for (int i = 0; i < POS * D; i++) nn_data(g, h)[i] = nn_rng_range(&r, -1, 1);
    int dt;
    int loss = nn_sum(g, nn_mul(g, nn_embedding(g, ids, table, PAD), h));
    assert_int_equal(nn_grad(g, loss, &table, 1, &dt), 0);
    float *want = calloc((size_t)V * D, sizeof *want);
    for (int p = 0; p < POS; p++) {
        int k = (int)nn_data(g, ids)[p];
        for (int c = 0; k != PAD && c < D; c++) want[k * D + c] += nn_data(g, h)[p * D + c];
    }
    /* run twice: the second run must not add onto the first one's result */
    nn_plan *p = run(g, &dt, 1);
    nn_plan_run(g, p);
    expect_data(g, dt, want, (size_t)V * D);
    free(want);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_embedding_rejects_a_table_that_is_not_2d(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int ids = input_of(g, nn_shape2(2, 3), NULL);
    assert_int_equal(nn_embedding(g, ids, input_of(g, nn_shape1(5), NULL), -1), -1);
    assert_non_null(strstr(g->err, "table must be 2-D"));
    nn_graph_free(g);
}

/* ---- max_over ---- */
static void test_max_over_time_takes_the_maximum_and_routes_gradient_to_the_first_tie(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* x (N=1, T=3, C=2): channel 0 over time 1 5 5 (tie: the first, t=1); channel 1: 7 2 7 (t=0) */
    int x = input_of(g, nn_shape3(1, 3, 2), (float[]){1, 7, 5, 2, 5, 7});
    int dx, y = nn_max_over(g, x, 1);
    expect_shape(g, y, nn_shape2(1, 2));
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){5, 7}, 2);
    /* w = (1, 2): 1 to (t=1, c=0), 2 to (t=0, c=1) */
    expect_data(g, dx, (float[]){0, 2, 1, 0, 0, 0}, 6);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_max_over_the_last_axis_by_a_negative_index(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    /* x (N=2, C=2, L=3) */
    int x = input_of(g, nn_shape3(2, 2, 3), (float[]){3, 1, 2, -1, -4, -2, 0, 9, 9, 6, 8, 7});
    int dx, y = nn_max_over(g, x, -1);
    expect_shape(g, y, nn_shape2(2, 2));
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){3, -1, 9, 8}, 4);
    expect_data(g, dx, (float[]){1, 0, 0, 2, 0, 0, 0, 3, 0, 0, 4, 0}, 12);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_max_over_lets_nan_win_so_it_propagates(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape2(1, 3), (float[]){1, NAN, 5});
    int y = nn_max_over(g, x, 1);
    nn_plan *p = run(g, &y, 1);
    assert_true(isnan(nn_data(g, y)[0]));
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_max_over_rejects_vectors_and_bad_axes(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    assert_int_equal(nn_max_over(g, input_of(g, nn_shape1(4), NULL), 0), -1);
    assert_non_null(strstr(g->err, "at least 2 dims"));
    nn_graph_free(g);
    g = nn_graph_new(1);
    assert_int_equal(nn_max_over(g, input_of(g, nn_shape3(2, 3, 4), NULL), 3), -1);
    assert_non_null(strstr(g->err, "axis 3 is out of range"));
    nn_graph_free(g);
}

/* ---- mean_over ---- */
static void test_mean_over_time_averages_and_spreads_gradient_evenly(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = iota_input(g, nn_shape3(2, 3, 2), 1, 0);   /* (N=2, T=3, C=2): 0..11 */
    int dx, y = nn_mean_over(g, x, 1);
    expect_shape(g, y, nn_shape2(2, 2));
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){2, 3, 8, 9}, 4);
    const float a = 1.0f / 3, b = 2.0f / 3, c = 1.0f, d = 4.0f / 3;
    expect_data(g, dx, (float[]){a, b, a, b, a, b, c, d, c, d, c, d}, 12);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_mean_over_rejects_an_axis_out_of_range(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    assert_int_equal(nn_mean_over(g, input_of(g, nn_shape2(2, 3), NULL), -3), -1);
    assert_non_null(strstr(g->err, "axis -3 is out of range"));
    nn_graph_free(g);
}

/* ---- flip ---- */
static void test_flip_reverses_the_time_axis_and_flips_the_gradient_back(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = iota_input(g, nn_shape3(2, 3, 2), 1, 0);   /* (N=2, T=3, C=2): 0..11 */
    int dx, y = nn_flip(g, x, 1);
    expect_shape(g, y, nn_shape3(2, 3, 2));
    nn_plan *p = run_with_grad(g, x, y, &dx);
    expect_data(g, y, (float[]){4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}, 12);
    /* w = 1..12 over y, so dx[n,t] = w[n,T-1-t] */
    expect_data(g, dx, (float[]){5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8}, 12);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_flip_of_the_first_and_last_axes(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = iota_input(g, nn_shape2(2, 3), 1, 0);   /* rows (0 1 2), (3 4 5) */
    int rows = nn_flip(g, x, 0), cols = nn_flip(g, x, -1);
    nn_plan *p = run(g, (int[]){rows, cols}, 2);
    expect_data(g, rows, (float[]){3, 4, 5, 0, 1, 2}, 6);
    expect_data(g, cols, (float[]){2, 1, 0, 5, 4, 3}, 6);
    assert_int_equal(g->nodes[cols].a.i[0], 1);   /* stored normalised */
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_flip_rejects_an_axis_out_of_range(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    assert_int_equal(nn_flip(g, input_of(g, nn_shape2(2, 3), NULL), 2), -1);
    assert_non_null(strstr(g->err, "flip: axis 2 is out of range"));
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedding_reads_rows_and_sums_gradient_of_repeated_ids_skipping_padding),
        cmocka_unit_test(test_embedding_gives_nan_rows_for_invalid_ids_and_no_gradient_from_them),
        cmocka_unit_test(test_embedding_gradient_of_a_large_batch_matches_a_plain_scatter),
        cmocka_unit_test(test_embedding_rejects_a_table_that_is_not_2d),
        cmocka_unit_test(test_max_over_time_takes_the_maximum_and_routes_gradient_to_the_first_tie),
        cmocka_unit_test(test_max_over_the_last_axis_by_a_negative_index),
        cmocka_unit_test(test_max_over_lets_nan_win_so_it_propagates),
        cmocka_unit_test(test_max_over_rejects_vectors_and_bad_axes),
        cmocka_unit_test(test_mean_over_time_averages_and_spreads_gradient_evenly),
        cmocka_unit_test(test_mean_over_rejects_an_axis_out_of_range),
        cmocka_unit_test(test_flip_reverses_the_time_axis_and_flips_the_gradient_back),
        cmocka_unit_test(test_flip_of_the_first_and_last_axes),
        cmocka_unit_test(test_flip_rejects_an_axis_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
