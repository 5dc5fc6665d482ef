/* The simple recurrent layer (nn_rnn): forward against a naive per-step reference in double
 * (random data, padding steps, both activations, both output modes, tanh from a random
 * initial state), a 1-unit case and its
 * gradients worked out by hand, the threaded split against one thread (and the same bits on 2
 * and 3 threads and beside a busy core), the refusal of second-order gradients, and build errors.
 * Finite-difference checks of the gradients are in test_gradcheck.c (rnn_states' fixture). */
#define _GNU_SOURCE   /* busy_core.h */
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
#include "busy_core.h"
#include "graph_util.h"

enum { N = 3, T = 5, D = 4, H = 6 };

typedef struct {
    int x, wi, wh, b, mask;
} rnn_inputs;

static int random_input(nn_graph *g, nn_shape s, nn_rng *r)
{
    int id = nn_test_input(g, s, r, -1, 1);
    assert_true(id >= 0);
    return id;
}

/* Sequence 0 all real, 1 padded at the end, 2 padded at the start and in the middle. */
static const float mask_values[N * T] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1};

static rnn_inputs random_layer(nn_graph *g, nn_rng *r)
{
    rnn_inputs in = {random_input(g, nn_shape3(N, T, D), r), random_input(g, nn_shape2(H, D), r),
                     random_input(g, nn_shape2(H, H), r), random_input(g, nn_shape1(H), r),
                     input_of(g, nn_shape2(N, T), mask_values)};
    return in;
}

/* h_{t-1}[k] of sequence n: the state before, or h0's (h0 -1: 0) */
static double state_before(nn_graph *g, double h[N][T][H], int h0, int n, int t, int k)
{
    if (t > 0) return h[n][t - 1][k];
    return h0 >= 0 ? (double)nn_data(g, h0)[n * H + k] : 0.0;
}

/* h[n][t][j] by the definition, one step and one unit at a time, in double, from h_{-1} = h0
 * (N,H) (-1: 0). */
static void reference_states(nn_graph *g, const rnn_inputs *in, int h0, int act, double h[N][T][H])
{
    const float *x = nn_data(g, in->x), *wi = nn_data(g, in->wi), *wh = nn_data(g, in->wh), *b = nn_data(g, in->b);
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < H; j++) {
                if (mask_values[n * T + t] == 0) {
                    h[n][t][j] = state_before(g, h, h0, n, t, j);
                    continue;
                }
                double pre = b[j];
                for (int k = 0; k < D; k++) pre += (double)x[(n * T + t) * D + k] * wi[j * D + k];
                for (int k = 0; k < H; k++) pre += state_before(g, h, h0, n, t, k) * wh[j * H + k];
                h[n][t][j] = act == NN_RNN_TANH ? tanh(pre) : (pre > 0 ? pre : 0.0);
            }
}

static void expect_close(float got, double want)
{
    if (fabs(got - want) > 1e-5 * (1 + fabs(want))) print_error("got %.8g want %.8g\n", got, want);
    assert_true(fabs(got - want) <= 1e-5 * (1 + fabs(want)));
}

static void compare_with_reference(int act)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 7 + (uint64_t)act);
    rnn_inputs in = random_layer(g, &r);
    int h0 = act == NN_RNN_TANH ? random_input(g, nn_shape2(N, H), &r) : -1;
    int all = nn_rnn(g, in.x, in.wi, in.wh, in.b, in.mask, h0, act, NN_RNN_ALL_STEPS);
    int last = nn_rnn(g, in.x, in.wi, in.wh, in.b, in.mask, h0, act, NN_RNN_LAST_STEP);
    nn_plan *p = run(g, (int[]){all, last}, 2);
    assert_true(nn_shape_eq(&g->nodes[all].shape, &(nn_shape){3, {N, T, H}}));
    assert_true(nn_shape_eq(&g->nodes[last].shape, &(nn_shape){2, {N, H}}));
    static double h[N][T][H];
    reference_states(g, &in, h0, act, h);
    int last_real[N] = {-1, -1, -1};
    for (int n = 0; n < N; n++)
        for (int t = 0; t < T; t++) {
            int real = mask_values[n * T + t] != 0;
            if (real) last_real[n] = t;
            for (int j = 0; j < H; j++) expect_close(nn_data(g, all)[(n * T + t) * H + j], real ? h[n][t][j] : 0.0);
        }
    for (int n = 0; n < N; n++)
        for (int j = 0; j < H; j++) expect_close(nn_data(g, last)[n * H + j], h[n][last_real[n]][j]);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_tanh_rnn_matches_per_step_reference_with_padding(void **state)
{
    (void)state;
    compare_with_reference(NN_RNN_TANH);
}

static void test_relu_rnn_matches_per_step_reference_with_padding(void **state)
{
    (void)state;
    compare_with_reference(NN_RNN_RELU);
}

static void test_rnn_without_mask_returns_every_state(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    rnn_inputs in = random_layer(g, &r);
    for (int i = 0; i < N * T; i++) nn_data(g, in.mask)[i] = 1.0f;
    int unmasked = nn_rnn(g, in.x, in.wi, in.wh, -1, -1, -1, NN_RNN_TANH, NN_RNN_ALL_STEPS);
    int masked = nn_rnn(g, in.x, in.wi, in.wh, -1, in.mask, -1, NN_RNN_TANH, NN_RNN_ALL_STEPS);
    nn_plan *p = run(g, (int[]){unmasked, masked}, 2);
    for (size_t i = 0; i < (size_t)N * T * H; i++) assert_true(nn_data(g, unmasked)[i] == nn_data(g, masked)[i]);
    assert_true(fabsf(nn_data(g, unmasked)[0]) > 0.0f);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* One unit, relu, w_ih = 1, w_hh = 0.5, b = 0, x = (1, 2, -4):
 *   h = (1, 2 + 0.5, relu(-4 + 1.25)) = (1, 2.5, 0).
 * L = sum(h): dh3 = 1, dpre3 = 0 (off); dh2 = 1, dpre2 = 1; dh1 = 1 + 0.5 dpre2 = 1.5 = dpre1.
 *   dW_ih = sum dpre x = 1.5 + 2 + 0 = 3.5;  dW_hh = dpre2 h1 + dpre3 h2 = 1;  db = 2.5;
 *   dx = dpre w_ih = (1.5, 1, 0). */
static void test_one_unit_relu_values_and_gradients_by_hand(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape3(1, 3, 1), (float[]){1, 2, -4});
    int wi = input_of(g, nn_shape2(1, 1), (float[]){1});
    int wh = input_of(g, nn_shape2(1, 1), (float[]){0.5f});
    int b = input_of(g, nn_shape1(1), (float[]){0});
    int y = nn_rnn(g, x, wi, wh, b, -1, -1, NN_RNN_RELU, NN_RNN_ALL_STEPS);
    int grads[4];
    assert_int_equal(nn_grad(g, nn_sum(g, y), (int[]){x, wi, wh, b}, 4, grads), 0);
    nn_plan *p = run(g, (int[]){y, grads[0], grads[1], grads[2], grads[3]}, 5);
    const float want_y[3] = {1, 2.5f, 0}, want_dx[3] = {1.5f, 1, 0};
    for (int t = 0; t < 3; t++) {
        expect_close(nn_data(g, y)[t], want_y[t]);
        expect_close(nn_data(g, grads[0])[t], want_dx[t]);
    }
    expect_close(nn_data(g, grads[1])[0], 3.5);
    expect_close(nn_data(g, grads[2])[0], 1.0);
    expect_close(nn_data(g, grads[3])[0], 2.5);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* One unit, tanh, w_ih = 0.5, w_hh = -1, b = 0.1, x = (1, 2, -1), mask (1, 0, 1):
 *   h1 = tanh(0.6); step 2 is padding (state kept, output 0); h3 = tanh(-0.5 + 0.1 - h1).
 * Last-step output: h3. Its gradient w.r.t. w_hh: (1 - h3^2) * h1 (the carried state). */
static void test_one_unit_tanh_with_padding_by_hand(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape3(1, 3, 1), (float[]){1, 2, -1});
    int wi = input_of(g, nn_shape2(1, 1), (float[]){0.5f});
    int wh = input_of(g, nn_shape2(1, 1), (float[]){-1});
    int b = input_of(g, nn_shape1(1), (float[]){0.1f});
    int mask = input_of(g, nn_shape2(1, 3), (float[]){1, 0, 1});
    int all = nn_rnn(g, x, wi, wh, b, mask, -1, NN_RNN_TANH, NN_RNN_ALL_STEPS);
    int last = nn_rnn(g, x, wi, wh, b, mask, -1, NN_RNN_TANH, NN_RNN_LAST_STEP);
    int dwh;
    assert_int_equal(nn_grad(g, nn_sum(g, last), &wh, 1, &dwh), 0);
    nn_plan *p = run(g, (int[]){all, last, dwh}, 3);
    double h1 = tanh(0.6), h3 = tanh(-0.4 - h1);
    expect_close(nn_data(g, all)[0], h1);
    expect_close(nn_data(g, all)[1], 0.0);
    expect_close(nn_data(g, all)[2], h3);
    expect_close(nn_data(g, last)[0], h3);
    expect_close(nn_data(g, dwh)[0], (1 - h3 * h3) * h1);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_gradient_of_gradient_through_rnn_fails_with_message(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    rnn_inputs in = random_layer(g, &r);
    nn_graph_set_label(g, "rnn 'encoder'");
    int y = nn_rnn(g, in.x, in.wi, in.wh, in.b, in.mask, -1, NN_RNN_TANH, NN_RNN_LAST_STEP);
    int dwh;
    assert_int_equal(nn_grad(g, nn_sum(g, y), &in.wh, 1, &dwh), 0);
    int penalty = nn_sum(g, nn_square(g, dwh));
    int d2;
    assert_int_equal(nn_grad(g, penalty, &in.wi, 1, &d2), -1);
    assert_non_null(strstr(g->err, "gradients of gradients through recurrent layers are not supported"));
    assert_non_null(strstr(g->err, "op rnn_"));
    assert_non_null(strstr(g->err, "'rnn 'encoder''"));
    nn_graph_free(g);
}

static void expect_build_error(int id, nn_graph *g, const char *text)
{
    assert_int_equal(id, -1);
    if (!strstr(g->err, text)) print_error("message '%s' lacks '%s'\n", g->err, text);
    assert_non_null(strstr(g->err, text));
}

static void test_bad_shapes_and_settings_are_build_errors(void **state)
{
    (void)state;
    struct {
        nn_shape x, wi, wh, mask;
        int act, mode;
        const char *text;
    } cases[] = {
        {{2, {N, D}}, {2, {H, D}}, {2, {H, H}}, {2, {N, T}}, 0, 0, "(batch, time, features)"},
        {{3, {N, T, D}}, {2, {H, D + 1}}, {2, {H, H}}, {2, {N, T}}, 0, 0, "dense"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {H, H + 1}}, {2, {N, T}}, 0, 0, "recurrent weight must be (6, 6)"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {H, H}}, {2, {N, T + 1}}, 0, 0, "mask must be (batch, time) = (3, 5)"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {H, H}}, {2, {N, T}}, 2, 0, "activation must be 0 (tanh) or 1 (relu)"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {H, H}}, {2, {N, T}}, 0, 2, "output mode must be 0"},
        {{3, {N, T, D}}, {2, {H, D}}, {2, {H, H}}, {2, {N, T}}, 0, 0, "the initial state h0 must be (batch, hidden) = (3, 6), got [3, 1, 6]"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nn_graph *g = nn_graph_new(1);
        int h0 = k + 1 == sizeof cases / sizeof cases[0] ? input_of(g, nn_shape3(N, 1, H), NULL) : -1;
        int y = nn_rnn(g, input_of(g, cases[k].x, NULL), input_of(g, cases[k].wi, NULL), input_of(g, cases[k].wh, NULL), -1,
                       input_of(g, cases[k].mask, NULL), h0, cases[k].act, cases[k].mode);
        expect_build_error(y, g, cases[k].text);
        nn_graph_free(g);
    }
}

/* Large enough that the recurrence splits the sequences across threads, from an initial state
 * (each slice reads its own sequences' rows): the same values and gradients as on one thread. */
static void run_big(int threads, float *out, float *grads, size_t *n_grads)
{
    enum { BN = 16, BT = 12, BD = 5, BH = 256 };   /* big enough for every threaded path */
    omp_set_num_threads(threads);
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 77);
    int mask = nn_input(g, nn_shape2(BN, BT), "mask");
    for (int i = 0; i < BN * BT; i++) nn_data(g, mask)[i] = (i % 5 == 3) ? 0.0f : 1.0f;
    int x = nn_test_input(g, nn_shape3(BN, BT, BD), &r, -1, 1), wi = nn_test_input(g, nn_shape2(BH, BD), &r, -0.3f, 0.3f);
    int wh = nn_test_input(g, nn_shape2(BH, BH), &r, -0.06f, 0.06f), b = nn_test_input(g, nn_shape1(BH), &r, -0.1f, 0.1f);
    int h0 = nn_test_input(g, nn_shape2(BN, BH), &r, -1, 1);
    int y = nn_rnn(g, x, wi, wh, b, mask, h0, NN_RNN_TANH, NN_RNN_ALL_STEPS);
    int w = nn_test_input(g, g->nodes[y].shape, &r, -1, 1);
    int loss = nn_sum(g, nn_mul(g, y, w));
    int wrt[5] = {x, wi, wh, b, h0}, gr[5];
    assert_int_equal(nn_grad(g, loss, wrt, 5, gr), 0);
    int targets[6] = {y, gr[0], gr[1], gr[2], gr[3], gr[4]};
    nn_plan *p = nn_plan_create(g, targets, 6);
    nn_plan_run(g, p);
    memcpy(out, nn_data(g, y), nn_numel(g, y) * sizeof(float));
    size_t k = 0;
    for (int i = 0; i < 5; i++) {
        memcpy(grads + k, nn_data(g, gr[i]), nn_numel(g, gr[i]) * sizeof(float));
        k += nn_numel(g, gr[i]);
    }
    *n_grads = k;
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_sequences_split_across_threads_give_the_same_result(void **state)
{
    (void)state;
    enum { OUT = 16 * 12 * 256, GR = 16 * 12 * 5 + 256 * 5 + 256 * 256 + 256 + 16 * 256 };
    static float o1[OUT], o2[OUT], g1[GR], g2[GR];
    size_t n1, n2;
    int keep = omp_get_max_threads();
    run_big(1, o1, g1, &n1);
    run_big(2, o2, g2, &n2);
    assert_int_equal(n1, GR);
    assert_int_equal(n2, GR);
    for (int i = 0; i < OUT; i++) assert_float_equal(o1[i], o2[i], 1e-5);
    for (int i = 0; i < GR; i++) assert_float_equal(g1[i], g2[i], 1e-4 * (1 + fabsf(g1[i])));
    /* slices fixed by the batch: the same bits on 3 threads and beside a busy core */
    run_big(3, o1, g1, &n1);
    assert_memory_equal(o1, o2, sizeof o1);
    assert_memory_equal(g1, g2, sizeof g1);
    pthread_t busy = busy_core_start();
    run_big(2, o1, g1, &n1);
    busy_core_stop(busy);
    assert_memory_equal(o1, o2, sizeof o1);
    assert_memory_equal(g1, g2, sizeof g1);
    omp_set_num_threads(keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences_split_across_threads_give_the_same_result),
        cmocka_unit_test(test_tanh_rnn_matches_per_step_reference_with_padding),
        cmocka_unit_test(test_relu_rnn_matches_per_step_reference_with_padding),
        cmocka_unit_test(test_rnn_without_mask_returns_every_state),
        cmocka_unit_test(test_one_unit_relu_values_and_gradients_by_hand),
        cmocka_unit_test(test_one_unit_tanh_with_padding_by_hand),
        cmocka_unit_test(test_gradient_of_gradient_through_rnn_fails_with_message),
        cmocka_unit_test(test_bad_shapes_and_settings_are_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
