/* Autodiff and planner behaviour beyond single ops: the WGAN-GP gradient penalty (a gradient
 * of a gradient norm) on a 2-layer MLP critic checked against finite differences, gradient
 * accumulation over shared nodes, and buffer reuse by the planner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"

typedef struct {
    nn_graph *g;
    int x, w1, b1, w2, b2;
    int penalty;
} critic;

/* D(x) = W2 act(W1 x + b1) + b2 for x (3, 4); P = mean over samples of (||dD/dx|| - 1)^2. */
static critic build_critic(int leaky)
{
    critic c;
    nn_rng r;
    nn_rng_seed(&r, 99);
    c.g = nn_graph_new(1);
    nn_graph *g = c.g;
    c.x = nn_test_input(g, nn_shape2(3, 4), &r, -1, 1);
    c.w1 = nn_test_input(g, nn_shape2(5, 4), &r, -1, 1);
    c.b1 = nn_test_input(g, nn_shape1(5), &r, -0.5f, 0.5f);
    c.w2 = nn_test_input(g, nn_shape2(1, 5), &r, -1, 1);
    c.b2 = nn_test_input(g, nn_shape1(1), &r, -0.5f, 0.5f);
    int h = nn_dense(g, c.x, c.w1, c.b1);
    h = leaky ? nn_leaky_relu(g, h, 0.2f) : nn_tanh(g, h);
    int d = nn_sum(g, nn_dense(g, h, c.w2, c.b2));       /* samples are independent */
    int gx;
    assert_int_equal(nn_grad(g, d, &c.x, 1, &gx), 0);
    int norm = nn_sqrt(g, nn_sum_rows(g, nn_square(g, gx)));  /* (3) */
    c.penalty = nn_mean(g, nn_square(g, nn_affine(g, norm, 1.0f, -1.0f)));
    assert_true(c.penalty >= 0);
    return c;
}

static void check_penalty_gradients(int leaky)
{
    critic c = build_critic(leaky);
    nn_graph *g = c.g;
    int wrt[4] = {c.w1, c.b1, c.w2, c.b2}, grads[4];
    assert_int_equal(nn_grad(g, c.penalty, wrt, 4, grads), 0);
    /* dD/dx does not involve b2; the rest must have gradients (b1 only through the
     * activation's slope, which for leaky ReLU is constant almost everywhere) */
    assert_true(grads[0] >= 0 && grads[2] >= 0);
    assert_int_equal(grads[3], -1);
    int targets[5], nt = 0;
    targets[nt++] = c.penalty;
    for (int k = 0; k < 4; k++)
        if (grads[k] >= 0) targets[nt++] = grads[k];
    nn_plan *p = nn_plan_create(g, targets, nt);
    assert_non_null(p);
    int bad = 0;
    for (int k = 0; k < 4; k++) {
        float *w = nn_data(g, wrt[k]);
        size_t n = nn_numel(g, wrt[k]);
        float *analytic = malloc(n * sizeof *analytic);
        nn_plan_run(g, p);   /* at the parameters as they are, not the previous one's last moved value */
        for (size_t i = 0; i < n; i++) analytic[i] = grads[k] >= 0 ? nn_data(g, grads[k])[i] : 0.0f;
        for (size_t i = 0; i < n; i++) {
            const float eps = 1e-2f;
            float keep = w[i];
            w[i] = keep + eps;
            nn_plan_run(g, p);
            double up = nn_data(g, c.penalty)[0];
            w[i] = keep - eps;
            nn_plan_run(g, p);
            double down = nn_data(g, c.penalty)[0];
            w[i] = keep;
            double numeric = (up - down) / (2 * eps);
            if (fabs(numeric - analytic[i]) > 2e-2 * (1 + fabs(numeric))) {
                print_error("param %d[%zu]: analytic %.6f numeric %.6f\n", k, i, analytic[i], numeric);
                bad++;
            }
        }
        free(analytic);
    }
    assert_int_equal(bad, 0);
    /* the check is not vacuous: the penalty really depends on the first layer */
    nn_plan_run(g, p);
    double norm1 = 0;
    for (size_t i = 0; i < nn_numel(g, grads[0]); i++) norm1 += fabs(nn_data(g, grads[0])[i]);
    assert_true(norm1 > 1e-3);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_gradient_penalty_of_a_tanh_critic_matches_finite_differences(void **state)
{
    (void)state;
    check_penalty_gradients(0);
}

static void test_gradient_penalty_of_a_leaky_relu_critic_matches_finite_differences(void **state)
{
    (void)state;
    check_penalty_gradients(1);
}

static void test_gradients_of_a_shared_node_accumulate(void **state)
{
    (void)state;
    /* y = sum(x*x + 3x): dy/dx = 2x + 3 */
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    int x = nn_test_input(g, nn_shape1(6), &r, -2, 2);
    int y = nn_sum(g, nn_add(g, nn_mul(g, x, x), nn_affine(g, x, 3.0f, 0.0f)));
    int gx;
    assert_int_equal(nn_grad(g, y, &x, 1, &gx), 0);
    nn_plan *p = nn_plan_create(g, &gx, 1);
    nn_plan_run(g, p);
    for (int i = 0; i < 6; i++) assert_float_equal(nn_data(g, gx)[i], 2 * nn_data(g, x)[i] + 3, 1e-5);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_unreachable_parameters_get_no_gradient(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    int a = nn_test_input(g, nn_shape1(3), &r, -1, 1), b = nn_test_input(g, nn_shape1(3), &r, -1, 1);
    int y = nn_sum(g, nn_exp(g, a));
    int wrt[2] = {a, b}, grads[2];
    assert_int_equal(nn_grad(g, y, wrt, 2, grads), 0);
    assert_true(grads[0] >= 0);
    assert_int_equal(grads[1], -1);
    nn_graph_free(g);
}

/* A plan's FLOPs are its ops' counts: 2MNK for the dense layer's forward and for the weight
 * gradient's matmul, one per value for the rest. */
static void test_a_plan_counts_the_flops_of_its_ops(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape2(8, 3), &r, -1, 1), w = nn_test_input(g, nn_shape2(5, 3), &r, -1, 1);
    int y = nn_sum(g, nn_dense(g, x, w, -1));
    int gw;
    assert_int_equal(nn_grad(g, y, &w, 1, &gw), 0);
    nn_plan *fwd = nn_plan_create(g, &y, 1), *both = nn_plan_create(g, (int[]){y, gw}, 2);
    assert_non_null(fwd);
    assert_non_null(both);
    assert_true(nn_plan_flops(g, fwd) == 2.0 * 8 * 5 * 3 + 1);
    double f = nn_plan_flops(g, both);   /* + dW = dY^T X (2*5*3*8) + a broadcast of dY (40 values) */
    assert_true(f >= 2 * (2.0 * 8 * 5 * 3) + 1 && f <= 2 * (2.0 * 8 * 5 * 3) + 1 + 80);
    nn_plan_free(fwd);
    nn_plan_free(both);
    nn_graph_free(g);
}

static void test_planner_reuses_dead_buffers_without_changing_results(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape2(64, 64), &r, -1, 1);
    int h = x;
    int chain[12];
    for (int i = 0; i < 12; i++) chain[i] = h = i % 2 ? nn_tanh(g, h) : nn_affine(g, h, 0.9f, 0.1f);
    int y = nn_sum(g, h);
    nn_plan *lean = nn_plan_create(g, &y, 1);
    nn_plan_run(g, lean);
    float v1 = nn_data(g, y)[0];
    size_t total = 0;
    for (int i = 0; i < 12; i++) total += nn_numel(g, chain[i]);
    /* a chain needs two live buffers at a time, not twelve */
    assert_true(lean->arena_floats <= 3 * 64 * 64 + 64);
    assert_true(lean->arena_floats < total / 3);
    int all[13];
    memcpy(all, chain, sizeof chain);
    all[12] = y;
    nn_plan *fat = nn_plan_create(g, all, 13);
    nn_plan_run(g, fat);
    assert_true(fat->arena_floats >= total);
    assert_memory_equal(&v1, nn_data(g, y), sizeof v1);
    nn_plan_free(lean);
    nn_plan_free(fat);
    nn_graph_free(g);
}

/* Plans that never run at the same time (a GAN's steps) share one arena, the size of the
 * largest, and each still computes what it computed alone; freeing them in any order frees it
 * once (the sanitizer build checks). */
static void test_plans_that_share_an_arena_compute_what_they_computed_alone(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 6);
    int x = nn_test_input(g, nn_shape2(32, 32), &r, -1, 1);
    int a = nn_sum(g, nn_tanh(g, nn_affine(g, x, 2.0f, 0.5f)));
    int b = nn_sum(g, nn_square(g, nn_sigmoid(g, nn_tanh(g, x))));
    nn_plan *pa = nn_plan_create(g, &a, 1), *pb = nn_plan_create(g, &b, 1), *pc = nn_plan_create(g, &a, 1);
    nn_plan_run(g, pa);
    float va = nn_data(g, a)[0];
    nn_plan_run(g, pb);
    float vb = nn_data(g, b)[0];
    nn_plan *group[2] = {pa, pb};
    assert_int_equal(nn_plans_share_arena(group, 2), 0);
    assert_ptr_equal(pa->arena, pb->arena);
    assert_ptr_not_equal(pa->arena, pc->arena);
    nn_plan *again[3] = {pa, pb, pc};   /* the two already sharing keep their arena; one alone joins nothing */
    float *shared = pa->arena;
    assert_int_equal(nn_plans_share_arena(again, 3), 0);
    assert_ptr_equal(pa->arena, shared);
    assert_ptr_not_equal(pc->arena, shared);
    for (int round = 0; round < 2; round++) {   /* alternate: each run overwrites the other's buffers */
        nn_plan_run(g, pb);
        assert_memory_equal(&vb, nn_data(g, b), sizeof vb);
        nn_plan_run(g, pa);
        assert_memory_equal(&va, nn_data(g, a), sizeof va);
    }
    nn_plan_free(pa);
    nn_plan_run(g, pb);   /* still usable after the other is gone */
    assert_memory_equal(&vb, nn_data(g, b), sizeof vb);
    nn_plan_free(pb);
    nn_plan_free(pc);
    nn_graph_free(g);
}

/* A reshape shares its input's buffer instead of copying it, and that buffer stays alive
 * (is not handed to later nodes) until the reshape's last reader has run. */
static void test_reshape_shares_its_input_buffer_until_its_last_reader(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape2(32, 32), &r, -1, 1);
    int t = nn_tanh(g, x);
    int flat = nn_reshape(g, t, nn_shape1(1024));
    int h = x;                                      /* dead buffers to reuse while flat is alive */
    for (int i = 0; i < 6; i++) h = nn_tanh(g, nn_affine(g, h, 0.5f, 0.25f));
    int late = nn_add(g, nn_reshape(g, h, nn_shape1(1024)), flat);   /* reads flat last */
    int y = nn_sum(g, late);
    nn_plan *p = nn_plan_create(g, &y, 1);
    nn_plan_run(g, p);
    assert_ptr_equal(nn_data(g, flat), nn_data(g, t));
    double want = 0;
    for (int i = 0; i < 1024; i++) {
        double v = nn_data(g, x)[i];
        for (int k = 0; k < 6; k++) v = tanh(0.5 * v + 0.25);
        want += v + tanh(nn_data(g, x)[i]);
    }
    assert_true(fabs(nn_data(g, y)[0] - want) < 1e-3);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* Backward rules pass an existing node's attributes (&g->nodes[id].a) to nn_op; when that call
 * grows the node array, the attributes must still arrive (AddressSanitizer would report the
 * read of the old array in `make SAN=1 test`). */
static void test_a_new_node_copies_attributes_that_live_in_the_growing_array(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape1(4), "x");
    int y = nn_leaky_relu(g, x, 0.3f);
    while (g->n < g->cap) nn_const(g, nn_shape1(1), 0.0f);   /* the next node reallocates */
    int z = nn_op_named(g, "leaky_relu", &y, 1, &g->nodes[y].a);
    assert_true(z >= 0);
    assert_true(g->nodes[z].a.f[0] == 0.3f);
    assert_int_equal(g->nodes[z].in[0], y);
    int w = nn_op_named(g, "relu", g->nodes[z].in, 1, &g->nodes[z].a);   /* inputs from the array too */
    assert_true(w >= 0);
    assert_int_equal(g->nodes[w].in[0], y);
    nn_graph_free(g);
}

static void test_shape_errors_leave_a_message_and_no_node(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape2(4, 3), "x"), w = nn_param(g, nn_shape2(5, 7), "w");
    int n = g->n;
    assert_int_equal(nn_dense(g, x, w, -1), -1);
    assert_int_equal(g->n, n);
    assert_string_equal(g->err, "dense: input [4, 3] has 3 features but the weight [5, 7] expects 7");
    /* a failed node propagates: later ops return -1 without overwriting the first message */
    assert_int_equal(nn_relu(g, -1), -1);
    assert_string_equal(g->err, "dense: input [4, 3] has 3 features but the weight [5, 7] expects 7");
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_penalty_of_a_tanh_critic_matches_finite_differences),
        cmocka_unit_test(test_gradient_penalty_of_a_leaky_relu_critic_matches_finite_differences),
        cmocka_unit_test(test_gradients_of_a_shared_node_accumulate),
        cmocka_unit_test(test_unreachable_parameters_get_no_gradient),
        cmocka_unit_test(test_planner_reuses_dead_buffers_without_changing_results),
        cmocka_unit_test(test_plans_that_share_an_arena_compute_what_they_computed_alone),
        cmocka_unit_test(test_reshape_shares_its_input_buffer_until_its_last_reader),
        cmocka_unit_test(test_a_new_node_copies_attributes_that_live_in_the_growing_array),
        cmocka_unit_test(test_shape_errors_leave_a_message_and_no_node),
        cmocka_unit_test(test_a_plan_counts_the_flops_of_its_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
