/* The LSTM layer (nn_lstm): forward and first-order gradients against a naive per-step
 * reference in double (random data and initial h0, c0, padding at the start, middle and end,
 * both output modes; the reference's gradients, h0's and c0's included, are central
 * differences of the double forward), no initial state the same as zero ones, the threaded
 * split against one thread (and the same bits on 2 and 3 threads and beside a busy core), the refusal of second-order gradients, and build errors.
 * Finite-difference checks of the float gradients are in test_gradcheck.c (lstm_states). */
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

enum { N = 3, T = 5, D = 4, H = 3, G = 4 * H };
enum { NX = N * T * D, NWI = G * D, NWH = G * H, NB = G, NH0 = N * H, NP = NX + NWI + NWH + NB + 2 * NH0 };
#include "recurrent_ref.h"

/* The outputs by the definition, one step and one unit at a time, from h_{-1} = h0 and
 * c_{-1} = c0: all (N,T,H), last (N,H). */
static void reference_forward(const double *p, double *all, double *last)
{
    const double *x = p, *wi = p + NX, *wh = wi + NWI, *b = wh + NWH, *h0 = b + NB, *c0 = h0 + NH0;
    for (int n = 0; n < N; n++) {
        double h[H], c[H];
        memcpy(h, h0 + n * H, sizeof h);
        memcpy(c, c0 + n * H, sizeof c);
        for (int t = 0; t < T; t++) {
            int real = mask_values[n * T + t] != 0;
            if (real) {
                double pre[G];
                for (int r = 0; r < G; r++) {
                    pre[r] = b[r];
                    for (int k = 0; k < D; k++) pre[r] += x[(n * T + t) * D + k] * wi[r * D + k];
                    for (int k = 0; k < H; k++) pre[r] += h[k] * wh[r * H + k];
                }
                for (int j = 0; j < H; j++) {
                    double i = sigmoid(pre[j]), f = sigmoid(pre[H + j]), gg = tanh(pre[2 * H + j]), o = sigmoid(pre[3 * H + j]);
                    c[j] = f * c[j] + i * gg;
                    h[j] = o * tanh(c[j]);
                }
            }
            for (int j = 0; j < H; j++) all[(n * T + t) * H + j] = real ? h[j] : 0.0;
        }
        for (int j = 0; j < H; j++) last[n * H + j] = h[j];
    }
}

static void test_lstm_values_and_gradients_match_per_step_reference_with_padding(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 11);
    int x = nn_test_input(g, nn_shape3(N, T, D), &r, -1, 1), wi = nn_test_input(g, nn_shape2(G, D), &r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(G, H), &r, -1, 1), b = nn_test_input(g, nn_shape1(G), &r, -1, 1);
    int h0 = nn_test_input(g, nn_shape2(N, H), &r, -1, 1), c0 = nn_test_input(g, nn_shape2(N, H), &r, -1, 1);
    int mask = input_of(g, nn_shape2(N, T), mask_values);
    int all = nn_lstm(g, x, wi, wh, b, mask, h0, c0, NN_RNN_ALL_STEPS), last = nn_lstm(g, x, wi, wh, b, mask, h0, c0, NN_RNN_LAST_STEP);
    expect_shape(g, all, nn_shape3(N, T, H));
    expect_shape(g, last, nn_shape2(N, H));
    int wa = nn_test_input(g, nn_shape3(N, T, H), &r, -1, 1), wl = nn_test_input(g, nn_shape2(N, H), &r, -1, 1);
    int loss = nn_add(g, nn_sum(g, nn_mul(g, all, wa)), nn_sum(g, nn_mul(g, last, wl)));
    int wrt[6] = {x, wi, wh, b, h0, c0}, gr[6];
    assert_int_equal(nn_grad(g, loss, wrt, 6, gr), 0);
    nn_plan *p = run(g, (int[]){all, last, gr[0], gr[1], gr[2], gr[3], gr[4], gr[5]}, 8);

    expect_layer_matches_reference(g, all, last, wa, wl, wrt, gr, 6);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* One unit, w_ih = 0, w_hh = 0, bias only: every step sees the same pre-activations, so
 * c_t = f c_{t-1} + i g and h_t = o tanh(c_t) can be followed by hand over 2 steps. */
static void test_one_unit_follows_the_cell_equations(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape3(1, 2, 1), (float[]){3, -2});
    int wi = input_of(g, nn_shape2(4, 1), NULL), wh = input_of(g, nn_shape2(4, 1), NULL);
    int b = input_of(g, nn_shape1(4), (float[]){0.5f, -1, 2, 0.25f});   /* i f g o */
    int y = nn_lstm(g, x, wi, wh, b, -1, -1, -1, NN_RNN_ALL_STEPS);
    nn_plan *p = run(g, &y, 1);
    double i = sigmoid(0.5), f = sigmoid(-1), gg = tanh(2), o = sigmoid(0.25);
    double c1 = i * gg, c2 = f * c1 + i * gg;
    expect_close(nn_data(g, y)[0], o * tanh(c1), 1e-6);
    expect_close(nn_data(g, y)[1], o * tanh(c2), 1e-6);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_lstm_without_mask_or_initial_state_equals_all_real_mask_and_zero_state(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    int x = nn_test_input(g, nn_shape3(N, T, D), &r, -1, 1), wi = nn_test_input(g, nn_shape2(G, D), &r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(G, H), &r, -1, 1);
    int ones = input_of(g, nn_shape2(N, T), NULL), zeros = input_of(g, nn_shape2(N, H), NULL);
    for (int k = 0; k < N * T; k++) nn_data(g, ones)[k] = 1.0f;
    int unmasked = nn_lstm(g, x, wi, wh, -1, -1, -1, -1, NN_RNN_ALL_STEPS), masked = nn_lstm(g, x, wi, wh, -1, ones, -1, zeros, NN_RNN_ALL_STEPS);
    nn_plan *p = run(g, (int[]){unmasked, masked}, 2);
    for (size_t k = 0; k < (size_t)N * T * H; k++) assert_true(nn_data(g, unmasked)[k] == nn_data(g, masked)[k]);
    assert_true(fabsf(nn_data(g, unmasked)[0]) > 0.0f);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_gradient_of_gradient_through_lstm_fails_with_message(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape3(N, T, D), &r, -1, 1), wi = nn_test_input(g, nn_shape2(G, D), &r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(G, H), &r, -1, 1);
    int y = nn_lstm(g, x, wi, wh, -1, input_of(g, nn_shape2(N, T), mask_values), -1, -1, NN_RNN_LAST_STEP);
    int dwh, d2;
    assert_int_equal(nn_grad(g, nn_sum(g, y), &wh, 1, &dwh), 0);
    assert_int_equal(nn_grad(g, nn_sum(g, nn_square(g, dwh)), &wi, 1, &d2), -1);
    assert_non_null(strstr(g->err, "gradients of gradients through recurrent layers are not supported"));
    assert_non_null(strstr(g->err, "op lstm_"));
    nn_graph_free(g);
}

static void test_bad_shapes_and_settings_are_build_errors(void **state)
{
    (void)state;
    struct {
        nn_shape x, wi, wh, mask;
        int mode;
        const char *text;
    } cases[] = {
        {{2, {N, D}}, {2, {G, D}}, {2, {G, H}}, {2, {N, T}}, 0, "(batch, time, features)"},
        {{3, {N, T, D}}, {2, {G, D + 1}}, {2, {G, H}}, {2, {N, T}}, 0, "dense"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {H, H}}, {2, {N, T}}, 0, "must be (4 x hidden, hidden)"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {G, H}}, {2, {N, T}}, 0, "needs 12 columns (4 x 3 hidden units)"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {2, {N, T + 1}}, 0, "mask must be (batch, time) = (3, 5)"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {2, {N, T}}, 2, "output mode must be 0"},
        {{3, {N, T, D}}, {2, {G, D}}, {2, {G, H}}, {2, {N, T}}, 0, "the initial state c0 must be (batch, hidden) = (3, 3), got [2, 3]"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nn_graph *g = nn_graph_new(1);
        int c0 = k + 1 == sizeof cases / sizeof cases[0] ? input_of(g, nn_shape2(N - 1, H), NULL) : -1;
        int y = nn_lstm(g, input_of(g, cases[k].x, NULL), input_of(g, cases[k].wi, NULL), input_of(g, cases[k].wh, NULL), -1,
                        input_of(g, cases[k].mask, NULL), -1, c0, cases[k].mode);
        assert_int_equal(y, -1);
        if (!strstr(g->err, cases[k].text)) print_error("message '%s' lacks '%s'\n", g->err, cases[k].text);
        assert_non_null(strstr(g->err, cases[k].text));
        nn_graph_free(g);
    }
}

/* Large enough that the recurrence, its BPTT and dW_hh split across threads, from initial h0
 * and c0: the same values and gradients as on one thread. */
enum { BN = 16, BT = 10, BD = 5, BH = 128, BG = 4 * BH };
enum { BOUT = BN * BT * BH + BN * BH, BGR = BN * BT * BD + BG * BD + BG * BH + BG + 2 * BN * BH };

static void run_big(int threads, float *out, float *grads)
{
    omp_set_num_threads(threads);
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 77);
    big_batch b = big_batch_make(g, &r, BN, BT, BD, BG, BH);
    int bias = nn_test_input(g, nn_shape1(BG), &r, -0.1f, 0.1f);
    int h0 = nn_test_input(g, nn_shape2(BN, BH), &r, -1, 1), c0 = nn_test_input(g, nn_shape2(BN, BH), &r, -1, 1);
    int all = nn_lstm(g, b.x, b.wi, b.wh, bias, b.mask, h0, c0, NN_RNN_ALL_STEPS);
    int last = nn_lstm(g, b.x, b.wi, b.wh, bias, b.mask, h0, c0, NN_RNN_LAST_STEP);
    run_outputs_and_gradients(g, &r, all, last, (int[]){b.x, b.wi, b.wh, bias, h0, c0}, 6, out, grads, BGR);
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
        cmocka_unit_test(test_lstm_values_and_gradients_match_per_step_reference_with_padding),
        cmocka_unit_test(test_one_unit_follows_the_cell_equations),
        cmocka_unit_test(test_lstm_without_mask_or_initial_state_equals_all_real_mask_and_zero_state),
        cmocka_unit_test(test_gradient_of_gradient_through_lstm_fails_with_message),
        cmocka_unit_test(test_bad_shapes_and_settings_are_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
