/* The GRU layer (nn_gru): forward and first-order gradients against a naive per-step
 * reference in double written from PyTorch's equations (random data and initial state,
 * padding at the start, middle and end, both output modes; the reference's gradients, the
 * initial state's included, are central differences of the double forward), no initial
 * state the same as a zero one, the two biases' distinct roles followed by hand, the threaded split
 * against one thread (and the same bits on 2 and 3 threads and beside a busy core), the refusal of second-order gradients, and build errors.
 * Finite-difference checks of the float gradients are in test_gradcheck.c (gru_states). */
#define _GNU_SOURCE   /* recurrent_ref.h: busy_core.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <omp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"

enum { N = 3, T = 5, D = 4, H = 3, G = 3 * H };
enum { NX = N * T * D, NWI = G * D, NWH = G * H, NB = G, NH0 = N * H, NP = NX + NWI + NWH + 2 * NB + NH0 };
#include "recurrent_ref.h"

/* The outputs by the definition, one step and one unit at a time, from h_{-1} = h0: all
 * (N,T,H), last (N,H). */
static void reference_forward(const double *p, double *all, double *last)
{
    const double *x = p, *wi = p + NX, *wh = wi + NWI, *bi = wh + NWH, *bh = bi + NB, *h0 = bh + NB;
    for (int n = 0; n < N; n++) {
        double h[H];
        memcpy(h, h0 + n * H, sizeof h);
        for (int t = 0; t < T; t++) {
            int real = mask_values[n * T + t] != 0;
            if (real) {
                double gi[G], gh[G], next[H];   /* x W_ih^T + b_ih and h W_hh^T + b_hh, gates r z n */
                for (int r = 0; r < G; r++) {
                    gi[r] = bi[r];
                    gh[r] = bh[r];
                    for (int k = 0; k < D; k++) gi[r] += x[(n * T + t) * D + k] * wi[r * D + k];
                    for (int k = 0; k < H; k++) gh[r] += h[k] * wh[r * H + k];
                }
                for (int j = 0; j < H; j++) {
                    double rr = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
                    double nn = tanh(gi[2 * H + j] + rr * gh[2 * H + j]);
                    next[j] = (1 - z) * nn + z * h[j];
                }
                memcpy(h, next, sizeof h);
            }
            for (int j = 0; j < H; j++) all[(n * T + t) * H + j] = real ? h[j] : 0.0;
        }
        for (int j = 0; j < H; j++) last[n * H + j] = h[j];
    }
}

static void test_gru_values_and_gradients_match_per_step_reference_with_padding(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 11);
    int x = nn_test_input(g, nn_shape3(N, T, D), &r, -1, 1), wi = nn_test_input(g, nn_shape2(G, D), &r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(G, H), &r, -1, 1), bi = nn_test_input(g, nn_shape1(G), &r, -1, 1);
    int bh = nn_test_input(g, nn_shape1(G), &r, -1, 1), h0 = nn_test_input(g, nn_shape2(N, H), &r, -1, 1);
    int mask = input_of(g, nn_shape2(N, T), mask_values);
    int all = nn_gru(g, x, wi, wh, bi, bh, mask, h0, NN_RNN_ALL_STEPS), last = nn_gru(g, x, wi, wh, bi, bh, mask, h0, NN_RNN_LAST_STEP);
    expect_shape(g, all, nn_shape3(N, T, H));
    expect_shape(g, last, nn_shape2(N, H));
    int wa = nn_test_input(g, nn_shape3(N, T, H), &r, -1, 1), wl = nn_test_input(g, nn_shape2(N, H), &r, -1, 1);
    int loss = nn_add(g, nn_sum(g, nn_mul(g, all, wa)), nn_sum(g, nn_mul(g, last, wl)));
    int wrt[6] = {x, wi, wh, bi, bh, h0}, gr[6];
    assert_int_equal(nn_grad(g, loss, wrt, 6, gr), 0);
    nn_plan *p = run(g, (int[]){all, last, gr[0], gr[1], gr[2], gr[3], gr[4], gr[5]}, 8);

    expect_layer_matches_reference(g, all, last, wa, wl, wrt, gr, 6);
    /* padding steps output 0, and sequence 1's last state is the one after its step 2 */
    assert_true(nn_data(g, all)[(1 * T + 3) * H] == 0.0f && nn_data(g, all)[(2 * T + 0) * H] == 0.0f);
    for (int j = 0; j < H; j++) assert_true(nn_data(g, last)[H + j] == nn_data(g, all)[(1 * T + 2) * H + j]);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* One unit, w_ih = 0, biases and w_hh only, over 2 steps by hand: b_hn is scaled by r inside
 * n while b_in is not, so swapping the n parts of the two biases changes the output. */
static void test_one_unit_follows_the_gru_equations_with_b_hn_inside_r(void **state)
{
    (void)state;
    static const float wh_v[3] = {0.5f, -0.75f, 1.5f}, bi_v[3] = {0.25f, -0.5f, 0.8f}, bh_v[3] = {-0.1f, 0.3f, -1.2f};
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape3(1, 2, 1), (float[]){3, -2});
    int wi = input_of(g, nn_shape2(3, 1), NULL), wh = input_of(g, nn_shape2(3, 1), wh_v);
    int bi = input_of(g, nn_shape1(3), bi_v), bh = input_of(g, nn_shape1(3), bh_v);
    int bi_swapped = input_of(g, nn_shape1(3), (float[]){bi_v[0], bi_v[1], bh_v[2]});
    int bh_swapped = input_of(g, nn_shape1(3), (float[]){bh_v[0], bh_v[1], bi_v[2]});
    int y = nn_gru(g, x, wi, wh, bi, bh, -1, -1, NN_RNN_ALL_STEPS);
    int y2 = nn_gru(g, x, wi, wh, bi_swapped, bh_swapped, -1, -1, NN_RNN_ALL_STEPS);
    nn_plan *p = run(g, (int[]){y, y2}, 2);
    double h = 0, out[2];
    for (int t = 0; t < 2; t++) {
        double r = sigmoid(bi_v[0] + bh_v[0] + wh_v[0] * h), z = sigmoid(bi_v[1] + bh_v[1] + wh_v[1] * h);
        double n = tanh(bi_v[2] + r * (wh_v[2] * h + bh_v[2]));
        out[t] = h = (1 - z) * n + z * h;
    }
    expect_close(nn_data(g, y)[0], out[0], 1e-6);
    expect_close(nn_data(g, y)[1], out[1], 1e-6);
    assert_true(fabsf(nn_data(g, y)[0] - nn_data(g, y2)[0]) > 1e-2f);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_gru_without_mask_bias_or_initial_state_equals_all_real_mask_zero_bias_and_zero_state(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    int x = nn_test_input(g, nn_shape3(N, T, D), &r, -1, 1), wi = nn_test_input(g, nn_shape2(G, D), &r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(G, H), &r, -1, 1);
    int ones = input_of(g, nn_shape2(N, T), NULL), zeros = input_of(g, nn_shape1(G), NULL), h0 = input_of(g, nn_shape2(N, H), NULL);
    for (int k = 0; k < N * T; k++) nn_data(g, ones)[k] = 1.0f;
    int unmasked = nn_gru(g, x, wi, wh, -1, -1, -1, -1, NN_RNN_ALL_STEPS);
    int masked = nn_gru(g, x, wi, wh, zeros, zeros, ones, h0, NN_RNN_ALL_STEPS);
    nn_plan *p = run(g, (int[]){unmasked, masked}, 2);
    for (size_t k = 0; k < (size_t)N * T * H; k++) assert_true(nn_data(g, unmasked)[k] == nn_data(g, masked)[k]);
    assert_true(fabsf(nn_data(g, unmasked)[0]) > 0.0f);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_gradient_of_gradient_through_gru_fails_with_message(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape3(N, T, D), &r, -1, 1), wi = nn_test_input(g, nn_shape2(G, D), &r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(G, H), &r, -1, 1);
    int y = nn_gru(g, x, wi, wh, -1, -1, input_of(g, nn_shape2(N, T), mask_values), -1, NN_RNN_LAST_STEP);
    int dwh, d2;
    assert_int_equal(nn_grad(g, nn_sum(g, y), &wh, 1, &dwh), 0);
    assert_int_equal(nn_grad(g, nn_sum(g, nn_square(g, dwh)), &wi, 1, &d2), -1);
    assert_non_null(strstr(g->err, "gradients of gradients through recurrent layers are not supported"));
    assert_non_null(strstr(g->err, "op gru_"));
    nn_graph_free(g);
}

static void test_bad_shapes_and_settings_are_build_errors(void **state)
{
    (void)state;
    struct {
        nn_shape x, wi, wh, bh, mask;
        int mode;
        const char *text;
    } cases[] = {
        {{2, {N, D}}, {2, {G, D}}, {2, {G, H}}, {1, {G}}, {2, {N, T}}, 0, "(batch, time, features)"},
        {{3, {N, T, D}}, {2, {G, D + 1}}, {2, {G, H}}, {1, {G}}, {2, {N, T}}, 0, "dense"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {H, H}}, {1, {G}}, {2, {N, T}}, 0, "must be (3 x hidden, hidden)"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {G, H}}, {1, {G}}, {2, {N, T}}, 0, "needs 9 columns (3 x 3 hidden units)"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {1, {H}}, {2, {N, T}}, 0, "recurrent bias must be (9)"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {1, {G}}, {2, {N, T + 1}}, 0, "mask must be (batch, time) = (3, 5)"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {1, {G}}, {2, {N, T}}, 2, "output mode must be 0"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {1, {G}}, {2, {N, T}}, 0, "the initial state h0 must be (batch, hidden) = (3, 3), got [3, 4]"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nn_graph *g = nn_graph_new(1);
        int h0 = k + 1 == sizeof cases / sizeof cases[0] ? input_of(g, nn_shape2(N, H + 1), NULL) : -1;
        int y = nn_gru(g, input_of(g, cases[k].x, NULL), input_of(g, cases[k].wi, NULL), input_of(g, cases[k].wh, NULL), -1,
                       input_of(g, cases[k].bh, NULL), input_of(g, cases[k].mask, NULL), h0, cases[k].mode);
        assert_int_equal(y, -1);
        if (!strstr(g->err, cases[k].text)) print_error("message '%s' lacks '%s'\n", g->err, cases[k].text);
        assert_non_null(strstr(g->err, cases[k].text));
        nn_graph_free(g);
    }
}

/* Large enough that the recurrence, its BPTT and dW_hh split across threads (6 N H^2 >= 2e6
 * flops per step), from an initial state: the same values and gradients as on one thread. */
enum { BN = 16, BT = 10, BD = 5, BH = 160, BG = 3 * BH };
enum { BOUT = BN * BT * BH + BN * BH, BGR = BN * BT * BD + BG * BD + BG * BH + 2 * BG + BN * BH };

static void run_big(int threads, float *out, float *grads)
{
    omp_set_num_threads(threads);
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 77);
    big_batch b = big_batch_make(g, &r, BN, BT, BD, BG, BH);
    int bi = nn_test_input(g, nn_shape1(BG), &r, -0.1f, 0.1f), bh = nn_test_input(g, nn_shape1(BG), &r, -0.1f, 0.1f);
    int h0 = nn_test_input(g, nn_shape2(BN, BH), &r, -1, 1);   /* each slice reads its own sequences' rows */
    int all = nn_gru(g, b.x, b.wi, b.wh, bi, bh, b.mask, h0, NN_RNN_ALL_STEPS);
    int last = nn_gru(g, b.x, b.wi, b.wh, bi, bh, b.mask, h0, NN_RNN_LAST_STEP);
    run_outputs_and_gradients(g, &r, all, last, (int[]){b.x, b.wi, b.wh, bi, bh, h0}, 6, out, grads, BGR);
    nn_graph_free(g);
}

static void test_sequences_split_across_threads_give_the_same_result(void **state)
{
    (void)state;
    static float o1[BOUT], o2[BOUT], g1[BGR], g2[BGR];
    expect_same_on_any_threads(run_big, o1, o2, BOUT, g1, g2, BGR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences_split_across_threads_give_the_same_result),
        cmocka_unit_test(test_gru_values_and_gradients_match_per_step_reference_with_padding),
        cmocka_unit_test(test_one_unit_follows_the_gru_equations_with_b_hn_inside_r),
        cmocka_unit_test(test_gru_without_mask_bias_or_initial_state_equals_all_real_mask_zero_bias_and_zero_state),
        cmocka_unit_test(test_gradient_of_gradient_through_gru_fails_with_message),
        cmocka_unit_test(test_bad_shapes_and_settings_are_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
