/* Finite-difference gradient checks for every op in the registry, first and second order.
 *
 * For each op, its fixture builds small random inputs and the op node y. The scalar
 * L = sum(y * R) with a fixed random R is differentiated symbolically and compared with
 * central differences on every input element. Then the same is done for the gradient itself:
 * L2 = sum(dL/dx * R2), which exercises the backward rules' own backward (second order).
 *
 * Gradient-only ops (NN_OPS_GRAD_ONLY: the gradient of a fused op such as an RNN's BPTT) have
 * no backward and no fixture; they must be reached by some other op's first-order check, and
 * the second-order check skips any op whose gradient contains one (and checks that nn_grad
 * refuses it with a message). Every other op must have a backward and a fixture.
 * Everything runs once per instruction set this CPU runs (runtime/core/kernel_isa.h), so the
 * checks cover every variant of the dispatched loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "../runtime/core/kernel_isa.h"
#include "../runtime/kernels/conv_winograd.h"
#include "../runtime/kernels/fused_act.h"

typedef struct {
    int inputs[16];
    int n_inputs;
} inputs_t;

static inputs_t collect_inputs(nn_graph *g, int upto)
{
    inputs_t in = {.n_inputs = 0};
    for (int i = 0; i < upto; i++)
        if (g->nodes[i].kind == NN_NODE_INPUT && !g->nodes[i].no_grad && in.n_inputs < 16) in.inputs[in.n_inputs++] = i;
    return in;
}

static int weighted_sum(nn_graph *g, int y, nn_rng *r)
{
    int w = nn_test_input(g, g->nodes[y].shape, r, -1, 1);
    g->nodes[w].no_grad = 1;
    return nn_sum(g, nn_mul(g, y, w));
}

static float eval_scalar(nn_graph *g, nn_plan *p, int node)
{
    nn_plan_run(g, p);
    return nn_data(g, node)[0];
}

/* (loss(x + h) - loss(x - h)) / 2h, moving the one input value *x */
static double central_difference(nn_graph *g, nn_plan *p, int loss, float *x, double h)
{
    float keep = *x;
    *x = keep + (float)h;
    double up = eval_scalar(g, p, loss);
    *x = keep - (float)h;
    double down = eval_scalar(g, p, loss);
    *x = keep;
    return (up - down) / (2 * h);
}

/* Compares d loss / d inputs with central differences; returns the number of mismatches. */
static int check_gradients(nn_graph *g, int loss, const inputs_t *in, const char *what, double eps, double tol)
{
    int grads[16];
    assert_int_equal(nn_grad(g, loss, in->inputs, in->n_inputs, grads), 0);
    int targets[17];
    int nt = 0;
    targets[nt++] = loss;
    for (int k = 0; k < in->n_inputs; k++)
        if (grads[k] >= 0) targets[nt++] = grads[k];
    nn_plan *p = nn_plan_create(g, targets, nt);
    assert_non_null(p);
    int bad = 0;
    for (int k = 0; k < in->n_inputs; k++) {
        size_t n = nn_numel(g, in->inputs[k]);
        float *analytic = malloc(n * sizeof *analytic);
        /* at the inputs as they are: the previous input's differences left the values of a
         * run with its last element moved */
        nn_plan_run(g, p);
        for (size_t i = 0; i < n; i++) analytic[i] = grads[k] >= 0 ? nn_data(g, grads[k])[i] : 0.0f;
        float *x = nn_data(g, in->inputs[k]);
        for (size_t i = 0; i < n; i++) {
            double numeric = central_difference(g, p, loss, x + i, eps);
            double err = fabs(numeric - analytic[i]);
            if (err > tol * (1.0 + fabs(numeric))) {
                if (bad < 5)
                    print_error("%s: input %d element %zu: analytic %.6f numeric %.6f\n", what, k, i, analytic[i], numeric);
                bad++;
            }
        }
        free(analytic);
    }
    nn_plan_free(p);
    return bad;
}

/* ops_seen[op]: op appeared in a gradient built by the first-order checks */
static char ops_seen[1024];

static void mark_ops(nn_graph *g, int from)
{
    for (int i = from; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_OP && g->nodes[i].op < (int)sizeof ops_seen) ops_seen[g->nodes[i].op] = 1;
}

/* The first gradient-only op among nodes [from, g->n), or -1. */
static int grad_only_node(nn_graph *g, int from)
{
    for (int i = from; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_OP && nn_op_grad_only(g->nodes[i].op)) return i;
    return -1;
}

/* A gradient through a gradient-only op fails cleanly with a message naming one. */
static void expect_second_order_refused(nn_graph *g, const inputs_t *in, int l2)
{
    int grads[16], named = 0;
    g->err[0] = 0;
    assert_int_equal(nn_grad(g, l2, in->inputs, in->n_inputs, grads), -1);
    for (int op = 0; op < nn_op_count(); op++) {
        char want[160];
        if (!nn_op_grad_only(op)) continue;
        snprintf(want, sizeof want, "op %s: gradients of gradients through %s are not supported", nn_op_def_at(op)->name,
                 nn_op_grad_only(op));
        named |= strstr(g->err, want) != NULL;
    }
    if (!named) print_error("unexpected message: %s\n", g->err);
    assert_true(named);
}

typedef int (*fixture_fn)(nn_graph *g, nn_rng *r);

/* Checks the gradients of node y, which a fixture built in g with the draws of r, first or
 * second order; frees g. */
static void check_node(const char *name, nn_graph *g, nn_rng *r, int y, int second_order)
{
    if (y < 0) print_error("%s fixture failed: %s\n", name, g->err);
    assert_true(y >= 0);
    inputs_t in = collect_inputs(g, y + 1);
    assert_true(in.n_inputs > 0);
    int loss = weighted_sum(g, y, r);
    char what[96];
    if (!second_order) {
        snprintf(what, sizeof what, "%s (first order)", name);
        int first = g->n;
        assert_int_equal(check_gradients(g, loss, &in, what, 1e-2, 2e-2), 0);
        mark_ops(g, first);
    } else {
        int grads[16], first = g->n;
        assert_int_equal(nn_grad(g, loss, in.inputs, in.n_inputs, grads), 0);
        int grad_only = grad_only_node(g, first);
        int l2 = -1;
        for (int k = 0; k < in.n_inputs; k++) {
            if (grads[k] < 0) continue;
            int t = weighted_sum(g, grads[k], r);
            l2 = l2 < 0 ? t : nn_add(g, l2, t);
        }
        if (l2 >= 0 && grad_only >= 0) {
            expect_second_order_refused(g, &in, l2);
        } else if (l2 >= 0) {
            snprintf(what, sizeof what, "%s (second order)", name);
            if (g->err[0]) print_error("%s\n", g->err);
            assert_int_equal(check_gradients(g, l2, &in, what, 1e-2, 4e-2), 0);
        }
    }
    nn_graph_free(g);
}

static void check_fixture(const char *name, fixture_fn fixture, uint64_t seed, int second_order)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, seed);
    assert_non_null(fixture);
    int y = fixture(g, &r);
    check_node(name, g, &r, y, second_order);
}

/* The seed of an op's draws: from its name (FNV-1a), so that adding an op leaves every other
 * op's test data as it was. */
static uint64_t op_seed(const char *name)
{
    uint64_t h = 1469598103934665603u;
    for (; *name; name++) h = (h ^ (unsigned char)*name) * 1099511628211u;
    return h;
}

/* an op's own fixture at scale 1, the tiny size every check below is made for */
static void check_op(int op, int second_order)
{
    const nn_op_def *def = nn_op_def_at(op);
    if (nn_op_grad_only(op)) return;   /* checked through the fused op's fixture */
    assert_non_null(def->gradcheck);
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, op_seed(def->name));
    int y = def->gradcheck(g, &r, 1);
    check_node(def->name, g, &r, y, second_order);
}

/* ---- per-time-step variants of rows whose registry fixture is 2-D --------------------------
 * A sequence model applies dense, one_hot and cross_entropy at every step of (N, T, ...). */

/* Labels (n, t) of class ids below classes, marked no_grad like the ops mark them. */
static int step_labels(nn_graph *g, nn_rng *r, int n, int t, int classes)
{
    int l = nn_input(g, nn_shape2(n, t), "labels");
    for (int i = 0; i < n * t; i++) nn_data(g, l)[i] = (float)nn_rng_below(r, (uint32_t)classes);
    g->nodes[l].no_grad = 1;
    return l;
}

static int dense_per_step(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 4), r, -1, 1);
    int w = nn_test_input(g, nn_shape2(5, 4), r, -1, 1), b = nn_test_input(g, nn_shape1(5), r, -1, 1);
    return nn_dense(g, x, w, b);
}

static int cross_entropy_per_step(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 4), r, -2, 2);
    return nn_cross_entropy(g, x, step_labels(g, r, 2, 3, 4));
}

static int ce_grad_per_step(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 4), r, -2, 2), l = step_labels(g, r, 2, 3, 4);
    int go = nn_test_input(g, nn_shape1(1), r, 0.5f, 1.5f);
    return nn_op_named(g, "ce_grad", (int[]){x, l, go}, 3, NULL);
}

/* one_hot has no differentiable input: x * one_hot exposes its values (d/dx = one_hot) */
static int one_hot_per_step(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 4), r, -1, 1);
    return nn_mul(g, x, nn_one_hot(g, step_labels(g, r, 2, 3, 4), 4));
}

/* ---- layers composed of several ops, checked as a whole (each op is also checked alone) ---- */

/* conv1d with stride 2 and asymmetric padding: x (2,7,3), w (4,3,3) -> (2,4,4) */
static int conv1d_fixture(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 7, 3), r, -1, 1);
    int w = nn_test_input(g, nn_shape3(4, 3, 3), r, -1, 1);
    int b = nn_test_input(g, nn_shape1(4), r, -1, 1);
    return nn_conv1d(g, x, w, b, 2, 1, 2);
}

/* overlapping windows (3 wide, stride 2) over distinct values 0.05 apart, so finite differences
 * never move an argmax: x (2,7,2) -> (2,3,2) */
static int maxpool1d_fixture(nn_graph *g, nn_rng *r)
{
    enum { N = 28 };
    int x = nn_test_input(g, nn_shape3(2, 7, 2), r, 0, 1), perm[N];
    for (int i = 0; i < N; i++) perm[i] = i;
    nn_rng_shuffle(r, perm, N);
    for (int i = 0; i < N; i++) nn_data(g, x)[i] = 0.05f * (float)(perm[i] - N / 2);
    return nn_maxpool1d(g, x, 3, 2);
}

/* Convolutions with a fused activation. Small weights (|w| < 0.05, 2 input channels, 3x3) keep
 * |conv(x)| < 0.9 and the biases are +-[1, 2), so every output sits >= 0.1 from the
 * activation's kink at 0, on both sides, and finite differences never cross it. */
static int fused_conv(nn_graph *g, nn_rng *r, int transposed, int stride, int pad, int out_pad, nn_fused_act act)
{
    int x = nn_test_input(g, nn_shape4(2, 2, 5, 4), r, -1, 1);
    int w = nn_test_input(g, nn_shape4(transposed ? 2 : 3, transposed ? 3 : 2, 3, 3), r, -0.05f, 0.05f);
    int b = nn_test_input(g, nn_shape1(3), r, -1, 1);
    for (int c = 0; c < 3; c++) nn_data(g, b)[c] = (c % 2 ? -1.0f : 1.0f) * (1.0f + 0.4f * (float)c);
    return transposed ? nn_conv_transpose2d_act(g, x, w, b, stride, pad, pad, out_pad, out_pad, act)
                      : nn_conv2d_act(g, x, w, b, stride, pad, pad, act);
}

static const nn_fused_act selu_act = {NN_FUSED_ELU, NN_SELU_ALPHA, NN_SELU_SCALE};
static const nn_fused_act leaky_act = {NN_FUSED_LEAKY_RELU, 0.2f, 0.0f};
static const nn_fused_act relu_act = {NN_FUSED_LEAKY_RELU, 0.0f, 0.0f};

static int conv2d_selu_fixture(nn_graph *g, nn_rng *r) { return fused_conv(g, r, 0, 1, 1, 0, selu_act); }
static int conv2d_leaky_fixture(nn_graph *g, nn_rng *r) { return fused_conv(g, r, 0, 2, 0, 0, leaky_act); }
static int conv_t_selu_fixture(nn_graph *g, nn_rng *r) { return fused_conv(g, r, 1, 2, 1, 1, selu_act); }
static int conv_t_relu_fixture(nn_graph *g, nn_rng *r) { return fused_conv(g, r, 1, 1, 1, 0, relu_act); }

/* A conv with fused selu (or leaky relu) feeding a 2x2 max pool: the activation's derivative is
 * taken at the pooled values, inside the pool's gradient route (nn_fused_act_grad). The input is a ramp, the weights are
 * positive and there is no padding, so the conv output rises along rows and columns and each
 * window's bottom-right value wins by >= 0.01, far more than finite differences move it.
 * x (2,2,6,6) -> conv (2,3,4,4) -> pool (2,3,2,2). */
static int conv_act_pool(nn_graph *g, nn_rng *r, nn_fused_act act)
{
    int x = nn_test_input(g, nn_shape4(2, 2, 6, 6), r, -1, 1);
    for (int i = 0; i < 144; i++) nn_data(g, x)[i] = -1.0f + (float)(i % 36) / 18.0f + 0.01f * (float)(i / 36);
    int w = nn_test_input(g, nn_shape4(3, 2, 3, 3), r, 0.01f, 0.05f);
    int b = nn_test_input(g, nn_shape1(3), r, -1, 1);
    for (int c = 0; c < 3; c++) nn_data(g, b)[c] = (c % 2 ? -1.0f : 1.0f) * (1.0f + 0.4f * (float)c);
    return nn_maxpool2d(g, nn_conv2d_act(g, x, w, b, 1, 0, 0, act), 2, 2, 0);
}
static int conv_selu_pool_fixture(nn_graph *g, nn_rng *r) { return conv_act_pool(g, r, selu_act); }
static int conv_leaky_pool_fixture(nn_graph *g, nn_rng *r) { return conv_act_pool(g, r, leaky_act); }

/* Dense layers with a fused activation, alone and as a 3-layer MLP, where each relu /
 * leaky_relu gradient is taken in the next layer's dx GEMM (matmul_act_grad). As for the convs:
 * small weights (|w| < 0.05, K <= 4 inputs of |x| < 3) and biases +-[1, 2) keep every
 * pre-activation >= 0.1 from the kink at 0. x (3,4) -> (3,4) -> (3,4) -> (3,2). */
static int fused_dense(nn_graph *g, nn_rng *r, int x, int units, nn_fused_act act)
{
    int k = g->nodes[x].shape.d[1];
    int w = nn_test_input(g, nn_shape2(units, k), r, -0.05f, 0.05f), b = nn_test_input(g, nn_shape1(units), r, -1, 1);
    for (int j = 0; j < units; j++) nn_data(g, b)[j] = (j % 2 ? -1.0f : 1.0f) * (1.0f + 0.3f * (float)j);
    return nn_dense_act(g, x, w, b, act);
}
static int dense_leaky_fixture(nn_graph *g, nn_rng *r)
{
    return fused_dense(g, r, nn_test_input(g, nn_shape2(3, 4), r, -1, 1), 4, leaky_act);
}
static int dense_selu_fixture(nn_graph *g, nn_rng *r)
{
    return fused_dense(g, r, nn_test_input(g, nn_shape2(3, 4), r, -1, 1), 4, selu_act);
}
static int mlp_relu_fixture(nn_graph *g, nn_rng *r)
{
    int h = fused_dense(g, r, nn_test_input(g, nn_shape2(3, 4), r, -1, 1), 4, relu_act);
    h = fused_dense(g, r, h, 4, leaky_act);
    return fused_dense(g, r, h, 2, (nn_fused_act){NN_FUSED_NONE, 0.0f, 0.0f});
}

/* ---- the attention ops in the layouts beyond their registry fixtures ---- */

/* x W: a shared 2-D B (one GEMM over all rows, its gradient too), transposed */
static int batch_matmul_shared_b(nn_graph *g, nn_rng *r)
{
    int a = nn_test_input(g, nn_shape3(2, 3, 4), r, -1, 1), b = nn_test_input(g, nn_shape2(5, 4), r, -1, 1);
    return nn_batch_matmul(g, a, b, 0, 1);
}

/* a shared transposed 2-D A against a batch of transposed B: A's gradient sums over the batch */
static int batch_matmul_shared_a(nn_graph *g, nn_rng *r)
{
    int a = nn_test_input(g, nn_shape2(4, 3), r, -1, 1), b = nn_test_input(g, nn_shape3(2, 5, 4), r, -1, 1);
    return nn_batch_matmul(g, a, b, 1, 1);
}

static int batch_matmul_trans_a(nn_graph *g, nn_rng *r)
{
    int a = nn_test_input(g, nn_shape3(2, 4, 3), r, -1, 1), b = nn_test_input(g, nn_shape3(2, 4, 5), r, -1, 1);
    return nn_batch_matmul(g, a, b, 1, 0);
}

static int permute_heads(nn_graph *g, nn_rng *r)
{
    return nn_permute(g, nn_test_input(g, nn_shape4(2, 3, 2, 4), r, -1, 1), (int[]){0, 2, 1, 3}, 4);
}

static int layer_norm_plain(nn_graph *g, nn_rng *r)
{
    return nn_layer_norm(g, nn_test_input(g, nn_shape2(3, 6), r, -1, 1), -1, -1, NN_LAYER_NORM_EPS);
}

static int layer_norm_weight_only(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(2, 4), r, -1, 1), gamma = nn_test_input(g, nn_shape1(4), r, 0.5f, 1.5f);
    return nn_layer_norm(g, x, gamma, -1, 0.1f);
}

static int layer_norm_grad_plain(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(3, 4), r, -1, 1), go = nn_test_input(g, nn_shape2(3, 4), r, -1, 1);
    return nn_op_named(g, "layer_norm_grad", (int[]){x, go}, 2, &(nn_attrs){.f = {NN_LAYER_NORM_EPS}});
}

static int softmax_causal(nn_graph *g, nn_rng *r)
{
    return nn_softmax_masked(g, nn_test_input(g, nn_shape4(2, 2, 4, 4), r, -2, 2), nn_causal_mask(g, 4));
}

/* one head (3-D), self-attention under a causal mask */
static int attention_causal(nn_graph *g, nn_rng *r)
{
    int q = nn_test_input(g, nn_shape3(2, 4, 3), r, -1, 1), k = nn_test_input(g, nn_shape3(2, 4, 3), r, -1, 1);
    int v = nn_test_input(g, nn_shape3(2, 4, 2), r, -1, 1);
    return nn_attention(g, q, k, v, nn_causal_mask(g, 4), 0.0f, NULL);
}

/* a learned additive mask (a bias per query and key) gets its gradient through the composed weights */
static int attention_learned_mask(nn_graph *g, nn_rng *r)
{
    int q = nn_test_input(g, nn_shape3(2, 3, 4), r, -1, 1), k = nn_test_input(g, nn_shape3(2, 5, 4), r, -1, 1);
    int v = nn_test_input(g, nn_shape3(2, 5, 2), r, -1, 1), mask = nn_test_input(g, nn_shape2(3, 5), r, -1, 1);
    return nn_attention(g, q, k, v, mask, 0.7f, NULL);
}

/* Fixtures beyond the registry's own: per-step variants and composite layers. */
static const struct {
    const char *name;
    fixture_fn fixture;
} extra_fixtures[] = {
    {"dense per step (N,T,K)", dense_per_step},
    {"cross_entropy per step (N,T,C)", cross_entropy_per_step},
    {"ce_grad per step (N,T,C)", ce_grad_per_step},
    {"one_hot per step (N,T)", one_hot_per_step},
    {"conv1d", conv1d_fixture},
    {"maxpool1d", maxpool1d_fixture},
    {"conv2d with fused selu", conv2d_selu_fixture},
    {"conv2d stride 2 with fused leaky_relu", conv2d_leaky_fixture},
    {"conv_transpose2d stride 2 with fused selu", conv_t_selu_fixture},
    {"conv_transpose2d with fused relu", conv_t_relu_fixture},
    {"conv2d with fused selu, then max pool", conv_selu_pool_fixture},
    {"conv2d with fused leaky_relu, then max pool", conv_leaky_pool_fixture},
    {"dense with fused leaky_relu", dense_leaky_fixture},
    {"dense with fused selu", dense_selu_fixture},
    {"MLP of dense layers with fused relu and leaky_relu", mlp_relu_fixture},
    {"batch_matmul x W (shared 2-D B, transposed)", batch_matmul_shared_b},
    {"batch_matmul shared transposed A, transposed B", batch_matmul_shared_a},
    {"batch_matmul transposed A", batch_matmul_trans_a},
    {"permute (B,T,H,d) -> (B,H,T,d)", permute_heads},
    {"layer_norm without weight and bias", layer_norm_plain},
    {"layer_norm with a weight only, eps 0.1", layer_norm_weight_only},
    {"layer_norm_grad without a weight", layer_norm_grad_plain},
    {"softmax_masked with a causal mask", softmax_causal},
    {"attention, one head, causal", attention_causal},
    {"attention with a learned additive mask", attention_learned_mask},
};

static void test_per_step_variants_and_composite_layers_first_and_second_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof extra_fixtures / sizeof extra_fixtures[0]; i++) {
        check_fixture(extra_fixtures[i].name, extra_fixtures[i].fixture, 777 + i, 0);
        check_fixture(extra_fixtures[i].name, extra_fixtures[i].fixture, 777 + i, 1);
    }
}

/* The ops of the nodes `roots` depend on, counted by registry row (counts: nn_op_count()). */
static void count_ops_reached(nn_graph *g, const int *roots, int n_roots, int *counts)
{
    char *seen = calloc((size_t)g->n, 1);
    int *stack = malloc((size_t)g->n * sizeof *stack), top = 0;
    assert_non_null(seen);
    assert_non_null(stack);
    for (int i = 0; i < n_roots; i++) stack[top++] = roots[i], seen[roots[i]] = 1;
    while (top > 0) {
        const nn_node *nd = &g->nodes[stack[--top]];
        if (nd->kind != NN_NODE_OP) continue;
        counts[nd->op]++;
        for (int k = 0; k < nd->n_in; k++)
            if (!seen[nd->in[k]]) seen[nd->in[k]] = 1, stack[top++] = nd->in[k];
    }
    free(seen), free(stack);
}

/* Between dense layers, a relu / leaky_relu gradient is taken in the next layer's dx GEMM: the
 * MLP's weight gradients reach two matmul_act_grad nodes and no leaky_relu_grad; their second
 * order (the gradient of the input gradient's norm, WGAN-GP's penalty) takes them the same way. */
static void test_relu_gradients_between_dense_layers_are_taken_in_the_dx_gemm(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(3);
    nn_rng r;
    nn_rng_seed(&r, 3);
    int y = mlp_relu_fixture(g, &r);
    inputs_t in = collect_inputs(g, g->n);   /* x, then W and b of each layer */
    int loss = nn_sum(g, nn_square(g, y)), grads[16];
    assert_int_equal(nn_grad(g, loss, in.inputs, in.n_inputs, grads), 0);
    int *counts = calloc((size_t)nn_op_count(), sizeof *counts);
    assert_non_null(counts);
    count_ops_reached(g, grads + 1, in.n_inputs - 1, counts);
    assert_int_equal(counts[nn_op_find("matmul_act_grad")], 2);
    assert_int_equal(counts[nn_op_find("leaky_relu_grad")], 0);
    int penalty = nn_sum(g, nn_square(g, grads[0])), second[16];
    assert_int_equal(nn_grad(g, penalty, in.inputs + 1, in.n_inputs - 1, second), 0);
    memset(counts, 0, (size_t)nn_op_count() * sizeof *counts);
    count_ops_reached(g, second, in.n_inputs - 1, counts);
    assert_true(counts[nn_op_find("matmul_act_grad")] >= 4);
    free(counts);
    nn_graph_free(g);
}

/* A weight read twice (a GAN's discriminator on real and generated batches) gets its gradient's
 * second contribution summed as the GEMM stores it (matmul_acc), and an input read by two heads
 * behind a relu (a VAE's mean and log-variance) gets its two through the relu's gate
 * (matmul_act_grad with an addend): no add is left, and the gradients are the same bits as the
 * products, adds and relu gradient built one by one. */
static void test_second_contributions_are_summed_as_the_gemm_stores(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 9);
    int x1 = nn_test_input(g, nn_shape2(64, 24), &r, -1, 1), x2 = nn_test_input(g, nn_shape2(64, 24), &r, -1, 1);
    int w = nn_test_input(g, nn_shape2(20, 24), &r, -1, 1);
    int wa = nn_test_input(g, nn_shape2(12, 20), &r, -1, 1), wb = nn_test_input(g, nn_shape2(12, 20), &r, -1, 1);
    int y1 = nn_dense(g, x1, w, -1), y2 = nn_dense(g, x2, w, -1), h = nn_relu(g, y1);
    int ha = nn_dense(g, h, wa, -1), hb = nn_dense(g, h, wb, -1);
    int ua = nn_test_input(g, nn_shape2(64, 12), &r, -1, 1), ub = nn_test_input(g, nn_shape2(64, 12), &r, -1, 1);
    int u2 = nn_test_input(g, nn_shape2(64, 20), &r, -1, 1);
    int loss = nn_add(g, nn_add(g, nn_sum(g, nn_mul(g, ha, ua)), nn_sum(g, nn_mul(g, hb, ub))), nn_sum(g, nn_mul(g, y2, u2)));
    int wrt[] = {w, x1}, grads[2];
    assert_int_equal(nn_grad(g, loss, wrt, 2, grads), 0);
    int *counts = calloc((size_t)nn_op_count(), sizeof *counts);
    assert_non_null(counts);
    count_ops_reached(g, grads, 2, counts);
    assert_int_equal(counts[nn_op_find("add")], 0);
    assert_int_equal(counts[nn_op_find("leaky_relu_grad")], 0);
    assert_int_equal(counts[nn_op_find("matmul_acc")], 1);
    assert_int_equal(counts[nn_op_find("matmul_act_grad")], 1);
    assert_int_equal(g->nodes[grads[1]].op, nn_op_find("matmul"));
    int gy1 = g->nodes[grads[1]].in[0];   /* x1's gradient: matmul(gy1, w) */
    assert_int_equal(g->nodes[gy1].n_in, 4);
    /* one by one: the gradient at h from both heads, through the relu, then w's two products */
    int gh = nn_add(g, nn_matmul(g, ua, wa, 0, 0), nn_matmul(g, ub, wb, 0, 0));
    int gy = nn_leaky_relu_grad_of(g, y1, gh, 0.0f);
    int gw = nn_add(g, nn_matmul(g, gy, x1, 1, 0), nn_matmul(g, u2, x2, 1, 0));
    free(counts);
    counts = calloc((size_t)nn_op_count(), sizeof *counts);
    assert_non_null(counts);
    count_ops_reached(g, &gw, 1, counts);
    assert_int_equal(counts[nn_op_find("add")], 2);
    free(counts);
    int targets[] = {grads[0], gw};
    nn_plan *p = nn_plan_create(g, targets, 2);
    assert_non_null(p);
    nn_plan_run(g, p);
    assert_memory_equal(nn_data(g, grads[0]), nn_data(g, gw), 20 * 24 * sizeof(float));
    nn_plan_free(p);
    nn_graph_free(g);
}

/* A product another gradient still reads is not folded into a matmul_acc, which would compute
 * it a second time. The VAE's z = mean + noise term: the add hands z's gradient, a product
 * through the decoder's weight, to both; the mean's gradient already holds the KL term's. */
static void test_a_product_read_twice_is_computed_once(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 4);
    int mu = nn_test_input(g, nn_shape2(16, 6), &r, -1, 1), t = nn_test_input(g, nn_shape2(16, 6), &r, -1, 1);
    int w = nn_test_input(g, nn_shape2(10, 6), &r, -1, 1), u = nn_test_input(g, nn_shape2(16, 10), &r, -1, 1);
    int z = nn_add(g, mu, t);
    int loss = nn_add(g, nn_sum(g, nn_mul(g, mu, mu)), nn_sum(g, nn_mul(g, nn_dense(g, z, w, -1), u)));
    int wrt[] = {mu, t}, grads[2];
    assert_int_equal(nn_grad(g, loss, wrt, 2, grads), 0);
    int *counts = calloc((size_t)nn_op_count(), sizeof *counts);
    assert_non_null(counts);
    count_ops_reached(g, grads, 2, counts);
    assert_int_equal(counts[nn_op_find("matmul")] + counts[nn_op_find("matmul_acc")], 1);
    assert_int_equal(g->nodes[grads[1]].op, nn_op_find("matmul"));   /* t's gradient: the product itself */
    free(counts);
    int gz = nn_matmul(g, u, w, 0, 0), gmu = nn_add(g, nn_add(g, mu, mu), gz);
    nn_plan *p = nn_plan_create(g, (int[]){grads[0], grads[1], gmu}, 3);
    assert_non_null(p);
    nn_plan_run(g, p);
    assert_memory_equal(nn_data(g, grads[1]), nn_data(g, gz), 16 * 6 * sizeof(float));
    assert_memory_equal(nn_data(g, grads[0]), nn_data(g, gmu), 16 * 6 * sizeof(float));
    nn_plan_free(p);
    nn_graph_free(g);
}

/* The per-step loss is the mean over all N*T steps: equal to the 2-D loss of the rows. */
static void test_cross_entropy_per_step_is_mean_over_rows(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape3(2, 3, 4), &r, -2, 2), l = step_labels(g, &r, 2, 3, 4);
    int y3 = nn_cross_entropy(g, x, l);
    int y2 = nn_cross_entropy(g, nn_reshape(g, x, nn_shape2(6, 4)), nn_reshape(g, l, nn_shape1(6)));
    assert_true(y3 >= 0 && y2 >= 0);
    nn_plan *p = nn_plan_create(g, (int[]){y3, y2}, 2);
    nn_plan_run(g, p);
    double want = 0;
    for (int i = 0; i < 6; i++) {
        const float *row = nn_data(g, x) + i * 4;
        double z = 0;
        for (int c = 0; c < 4; c++) z += exp(row[c]);
        want += log(z) - row[(int)nn_data(g, l)[i]];
    }
    assert_float_equal(nn_data(g, y3)[0], want / 6, 1e-5);
    assert_float_equal(nn_data(g, y3)[0], nn_data(g, y2)[0], 1e-6);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* Labels whose shape is not the logits' leading dims are a build error that says so. */
static void test_cross_entropy_per_step_rejects_mismatched_labels(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 6);
    int x = nn_test_input(g, nn_shape3(2, 3, 4), &r, -2, 2);
    assert_int_equal(nn_cross_entropy(g, x, step_labels(g, &r, 2, 4, 4)), -1);
    assert_non_null(strstr(g->err, "labels must have shape [2, 3]"));
    nn_graph_free(g);
}

/* ---- 3x3 stride-1 convolutions, which take the Winograd path (conv_winograd.h): forced on
 * for these few channels, so every op of their first and second order gradients uses it ---- */

/* mixed padding 1x2: x (2,3,5,4), w (4,3,3,3) -> (2,4,5,6), odd and even partial tiles */
static int winograd_conv2d_fixture(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape4(2, 3, 5, 4), r, -1, 1);
    int w = nn_test_input(g, nn_shape4(4, 3, 3, 3), r, -1, 1);
    int b = nn_test_input(g, nn_shape1(4), r, -1, 1);
    return nn_conv2d(g, x, w, b, 1, 1, 2);
}

/* padding 0x1: x (2,3,4,3), w (3,2,3,3) -> (2,2,6,3); its Winograd conv2d pads 2x1 */
static int winograd_conv_transpose2d_fixture(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape4(2, 3, 4, 3), r, -1, 1);
    int w = nn_test_input(g, nn_shape4(3, 2, 3, 3), r, -1, 1);
    int b = nn_test_input(g, nn_shape1(2), r, -1, 1);
    return nn_conv_transpose2d(g, x, w, b, 1, 0, 1, 0, 0);
}

/* "valid": x (2,2,6,5), g (2,3,4,3) -> dw (3,2,3,3) */
static int winograd_wgrad_fixture(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape4(2, 2, 6, 5), r, -1, 1);
    int gy = nn_test_input(g, nn_shape4(2, 3, 4, 3), r, -1, 1);
    nn_attrs a = {.i = {1, 0, 0, 3, 3}};
    return nn_op_named(g, "conv2d_wgrad", (int[]){x, gy}, 2, &a);
}

static void test_winograd_convolutions_first_and_second_order(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        fixture_fn fixture;
    } fixtures[] = {
        {"conv2d 3x3 stride 1 (Winograd)", winograd_conv2d_fixture},
        {"conv_transpose2d 3x3 stride 1 (Winograd)", winograd_conv_transpose2d_fixture},
        {"conv2d_wgrad 3x3 stride 1 (Winograd)", winograd_wgrad_fixture},
    };
    int keep = nn_conv_winograd;
    nn_conv_winograd = 2;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        check_fixture(fixtures[i].name, fixtures[i].fixture, 555 + i, 0);
        check_fixture(fixtures[i].name, fixtures[i].fixture, 555 + i, 1);
    }
    nn_conv_winograd = keep;
}

static void test_every_op_first_order(void **state)
{
    (void)state;
    assert_true(nn_op_count() <= (int)sizeof ops_seen);
    memset(ops_seen, 0, sizeof ops_seen);
    for (int op = 0; op < nn_op_count(); op++) check_op(op, 0);
    for (int op = 0; op < nn_op_count(); op++) {
        if (!nn_op_grad_only(op) || ops_seen[op]) continue;
        print_error("gradient-only op %s is in no op's gradient, so no gradcheck covers it\n", nn_op_def_at(op)->name);
        fail();
    }
}

static void test_every_op_second_order(void **state)
{
    (void)state;
    for (int op = 0; op < nn_op_count(); op++) check_op(op, 1);
}

static void test_every_op_has_fixture_and_doc(void **state)
{
    (void)state;
    for (int op = 0; op < nn_op_count(); op++) {
        const nn_op_def *d = nn_op_def_at(op);
        assert_non_null(d->doc);
        assert_int_equal(nn_op_find(d->name), op);
        if (nn_op_grad_only(op)) {   /* declared gradient-only: no backward of its own */
            if (d->backward) print_error("gradient-only op %s must not have a backward\n", d->name);
            assert_null(d->backward);
            continue;
        }
        if (!d->gradcheck || !d->backward || !d->doc) print_error("op %s lacks a gradcheck fixture, backward or doc\n", d->name);
        assert_non_null(d->gradcheck);
        assert_non_null(d->backward);
        assert_non_null(d->doc);
        assert_int_equal(nn_op_find(d->name), op);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_op_has_fixture_and_doc),
        cmocka_unit_test(test_every_op_first_order),
        cmocka_unit_test(test_every_op_second_order),
        cmocka_unit_test(test_per_step_variants_and_composite_layers_first_and_second_order),
        cmocka_unit_test(test_relu_gradients_between_dense_layers_are_taken_in_the_dx_gemm),
        cmocka_unit_test(test_second_contributions_are_summed_as_the_gemm_stores),
        cmocka_unit_test(test_a_product_read_twice_is_computed_once),
        cmocka_unit_test(test_winograd_convolutions_first_and_second_order),
        cmocka_unit_test(test_cross_entropy_per_step_is_mean_over_rows),
        cmocka_unit_test(test_cross_entropy_per_step_rejects_mismatched_labels),
    };
    int failed = 0;
    for (int level = NN_ISA_BASE; level <= nn_isa_best(); level++) {
        nn_isa_use(level);
        failed += cmocka_run_group_tests_name(nn_isa_name(level), tests, NULL, NULL);
    }
    return failed;
}
