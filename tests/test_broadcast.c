/* Broadcasting fast paths (per-channel blocks; a run of middle axes at 1, as an attention
 * query (N,1,H) against keys (N,S,H)) give exactly what the definition gives: elementwise ops,
 * sum_to and broadcast_to against direct index arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "nn/graph.h"
#include "nn/ops.h"

enum { N = 2, C = 3, H = 4, W = 5 };

static float run1(nn_graph *g, int y, size_t i)
{
    nn_plan *p = nn_plan_create(g, &y, 1);
    nn_plan_run(g, p);
    float v = nn_data(g, y)[i];
    nn_plan_free(p);
    return v;
}

static void test_per_channel_ops_match_the_definition(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 9);
    nn_graph *g = nn_graph_new(1);
    int x = nn_test_input(g, nn_shape4(N, C, H, W), &r, -1, 1);
    int c = nn_test_input(g, nn_shape4(1, C, 1, 1), &r, 0.5f, 2);
    int ops[4] = {nn_add(g, x, c), nn_sub(g, c, x), nn_mul(g, x, c), nn_div(g, x, c)};
    const float *X = nn_data(g, x), *Cv = nn_data(g, c);
    for (int k = 0; k < 4; k++) {
        nn_plan *p = nn_plan_create(g, &ops[k], 1);
        nn_plan_run(g, p);
        for (int n = 0; n < N; n++)
            for (int ch = 0; ch < C; ch++)
                for (int i = 0; i < H * W; i++) {
                    size_t at = ((size_t)n * C + ch) * H * W + i;
                    float a = X[at], b = Cv[ch];
                    float want = k == 0 ? a + b : k == 1 ? b - a : k == 2 ? a * b : a / b;
                    assert_float_equal(nn_data(g, ops[k])[at], want, 1e-6);
                }
        nn_plan_free(p);
    }
    nn_graph_free(g);
}

static void test_sum_to_channels_and_broadcast_back(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 10);
    nn_graph *g = nn_graph_new(1);
    int x = nn_test_input(g, nn_shape4(N, C, H, W), &r, -1, 1);
    int s = nn_sum_to(g, x, nn_shape4(1, C, 1, 1));
    int b = nn_broadcast_to(g, s, nn_shape4(N, C, H, W));
    const float *X = nn_data(g, x);
    for (int ch = 0; ch < C; ch++) {
        double want = 0;
        for (int n = 0; n < N; n++)
            for (int i = 0; i < H * W; i++) want += X[((size_t)n * C + ch) * H * W + i];
        assert_float_equal(run1(g, s, (size_t)ch), want, 1e-4);
        assert_float_equal(run1(g, b, (size_t)(1 * C + ch) * H * W + 7), want, 1e-4);
    }
    nn_graph_free(g);
}

/* (N,1,H,W) against (N,C,H,W), on either side of each op, and its sum_to in order over C. */
static void test_a_middle_axis_broadcast_matches_the_definition_bit_for_bit(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 11);
    nn_graph *g = nn_graph_new(1);
    int x = nn_test_input(g, nn_shape4(N, C, H, W), &r, -1, 1);
    int q = nn_test_input(g, nn_shape4(N, 1, H, W), &r, 0.5f, 2);
    int ops[5] = {nn_add(g, x, q), nn_sub(g, q, x), nn_mul(g, q, x), nn_div(g, x, q), nn_sum_to(g, x, nn_shape4(N, 1, H, W))};
    const float *X = nn_data(g, x), *Q = nn_data(g, q);
    for (int k = 0; k < 5; k++) {
        nn_plan *p = nn_plan_create(g, &ops[k], 1);
        nn_plan_run(g, p);
        const float *y = nn_data(g, ops[k]);
        for (int n = 0; n < N; n++)
            for (int i = 0; i < H * W; i++) {
                float sum = 0.0f;   /* the order the definition adds in: c = 0, 1, ... */
                for (int ch = 0; ch < C; ch++) {
                    size_t at = ((size_t)n * C + ch) * H * W + i;
                    float a = X[at], b = Q[(size_t)n * H * W + i];
                    sum += a;
                    if (k < 4) assert_true(y[at] == (k == 0 ? a + b : k == 1 ? b - a : k == 2 ? b * a : a / b));
                }
                if (k == 4) assert_true(y[(size_t)n * H * W + i] == sum);
            }
        nn_plan_free(p);
    }
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_channel_ops_match_the_definition),
        cmocka_unit_test(test_sum_to_channels_and_broadcast_back),
        cmocka_unit_test(test_a_middle_axis_broadcast_matches_the_definition_bit_for_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
