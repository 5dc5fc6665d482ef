/* The kernels' instruction sets (runtime/core/kernel_isa.h): every level this CPU runs gives the
 * baseline's results, up to the rounding of sums computed in another order, on a network that
 * goes through each dispatched kernel family at sizes that reach their vector paths and
 * remainders (the direct, Winograd and GEMM-lowered convolutions with fused activations, 2x2
 * max pooling and its gradient route, average pooling, the activations, a loss, dropout, the
 * LSTM, GRU and RNN step kernels) and on the optimizer updates; max pooling's routes and the
 * dropout masks are the same bits. And nn_kernels_choose refuses what it cannot run, naming the
 * choices. With `make SAN=1 test` the sanitizers watch every level's code. */
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
#include "nn/optim.h"
#include "nn/runtime.h"
#include "../runtime/core/kernel_isa.h"

#define TOL 2e-4   /* of a tensor's largest magnitude: sums in another order, through 10 LSTM steps */

/* ---- the network ---- */
enum { PARAMS = 14, N = 8 };

typedef struct {
    nn_graph *g;
    nn_plan *p;
    int targets[PARAMS + 3];   /* loss, pooled maxima, the dropout mask, then the gradients */
    int n_targets;
} network;

static int param(nn_graph *g, nn_shape s, nn_rng *r, float scale)
{
    int id = nn_test_input(g, s, r, -scale, scale);
    assert_true(id >= 0);
    return id;
}

static network network_new(void)
{
    network net = {.g = nn_graph_new(3)};
    nn_graph *g = net.g;
    nn_rng r;
    nn_rng_seed(&r, 17);
    int p[PARAMS];
    int x = p[0] = param(g, nn_shape4(N, 1, 28, 28), &r, 1.0f);
    p[1] = param(g, nn_shape4(16, 1, 3, 3), &r, 0.5f), p[2] = param(g, nn_shape1(16), &r, 0.1f);
    p[3] = param(g, nn_shape4(16, 16, 3, 3), &r, 0.15f);
    p[4] = param(g, nn_shape4(16, 8, 3, 3), &r, 0.15f);
    p[5] = param(g, nn_shape4(4, 8, 3, 3), &r, 0.2f);
    int seq = p[6] = param(g, nn_shape3(N, 10, 16), &r, 1.0f);
    p[7] = param(g, nn_shape2(4 * 40, 16), &r, 0.2f), p[8] = param(g, nn_shape2(4 * 40, 40), &r, 0.2f);
    p[9] = param(g, nn_shape2(3 * 24, 16), &r, 0.2f), p[10] = param(g, nn_shape2(3 * 24, 24), &r, 0.2f);
    p[11] = param(g, nn_shape1(3 * 24), &r, 0.1f);
    p[12] = param(g, nn_shape2(40, 16), &r, 0.2f), p[13] = param(g, nn_shape2(40, 40), &r, 0.2f);
    /* images: direct conv + selu (1 channel), Winograd + leaky relu, 2x2 max pool, 3x3 average
     * pool, transposed conv (col2im), strided conv (im2col) */
    nn_fused_act selu = {NN_FUSED_ELU, NN_SELU_ALPHA, NN_SELU_SCALE}, leaky = {NN_FUSED_LEAKY_RELU, 0.1f, 0};
    int c1 = nn_conv2d_act(g, x, p[1], p[2], 1, 1, 1, selu);
    int c2 = nn_conv2d_act(g, c1, p[3], -1, 1, 1, 1, leaky);
    int mp = nn_maxpool2d(g, c2, 2, 2, 0);
    int ap = nn_avgpool2d(g, mp, 3, 2, 1);
    int ct = nn_conv_transpose2d(g, ap, p[4], -1, 2, 1, 1, 1, 1);
    int c4 = nn_conv2d(g, ct, p[5], -1, 2, 1, 1);
    int flat = nn_reshape(g, c4, nn_shape2(N, 4 * 7 * 7));
    int mask = nn_dropout(g, flat, 0.3f);
    int a = nn_add(g, nn_gelu(g, mask), nn_mul(g, nn_tanh(g, flat), nn_sigmoid(g, flat)));
    int images = nn_add(g, nn_bce_with_logits(g, a, nn_sigmoid(g, nn_log_softmax(g, flat)), 1), nn_mean(g, nn_square(g, ct)));
    /* sequences: LSTM (40 units: a partial panel), GRU, RNN */
    int lstm = nn_lstm(g, seq, p[7], p[8], -1, -1, -1, -1, NN_RNN_ALL_STEPS);
    int gru = nn_gru(g, seq, p[9], p[10], -1, p[11], -1, -1, NN_RNN_LAST_STEP);
    int rnn = nn_rnn(g, seq, p[12], p[13], -1, -1, -1, NN_RNN_TANH, NN_RNN_ALL_STEPS);
    int seqs = nn_add(g, nn_add(g, nn_mean(g, nn_square(g, lstm)), nn_mean(g, nn_selu(g, gru))), nn_mean(g, nn_square(g, rnn)));
    int loss = nn_add(g, images, seqs);
    net.targets[0] = loss, net.targets[1] = mp, net.targets[2] = g->nodes[mask].in[1];
    assert_int_equal(g->nodes[net.targets[2]].op, nn_op_find("dropout_mask"));
    assert_int_equal(nn_grad(g, loss, p, PARAMS, net.targets + 3), 0);
    net.n_targets = PARAMS + 3;
    net.p = run(g, net.targets, net.n_targets);
    return net;
}

static void network_free(network *net)
{
    nn_plan_free(net->p);
    nn_graph_free(net->g);
}

/* Runs the network (the dropout stream from the same seed each time); returns every target's
 * values, concatenated. */
static float *network_run(network *net, size_t *floats)
{
    net->g->training = 1;
    nn_rng_seed(&net->g->rng, 99);
    nn_plan_run(net->g, net->p);
    size_t n = 0;
    for (int t = 0; t < net->n_targets; t++) n += nn_numel(net->g, net->targets[t]);
    float *all = malloc(n * sizeof(float)), *at = all;
    assert_non_null(all);
    for (int t = 0; t < net->n_targets; t++) {
        size_t k = nn_numel(net->g, net->targets[t]);
        memcpy(at, nn_data(net->g, net->targets[t]), k * sizeof(float));
        at += k;
    }
    *floats = n;
    return all;
}

/* got within TOL of want's largest magnitude, element by element */
static void expect_close(const float *got, const float *want, size_t n, const char *what, int level)
{
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= TOL * scale)) {
            print_error("%s at %s: element %zu is %.9g, the baseline's %.9g (scale %.3g)\n", what, nn_isa_name(level), i,
                        got[i], want[i], scale);
            fail();
        }
    }
}

static void test_every_level_agrees_with_the_baseline_on_a_network(void **state)
{
    (void)state;
    int best = nn_isa_best();
    network net = network_new();
    size_t n, m;
    assert_int_equal(nn_isa_use(NN_ISA_BASE), 0);
    float *want = network_run(&net, &n);
    for (int level = NN_ISA_BASE + 1; level <= best; level++) {
        assert_int_equal(nn_isa_use(level), 0);
        float *got = network_run(&net, &m);
        assert_int_equal(m, n);
        size_t at = 0;
        for (int t = 0; t < net.n_targets; t++) {
            size_t k = nn_numel(net.g, net.targets[t]);
            char what[48];
            snprintf(what, sizeof what, "target %d (%s)", t, nn_op_def_at(net.g->nodes[net.targets[t]].op)->name);
            if (t == 2) assert_memory_equal(got + at, want + at, k * sizeof(float));   /* the dropout mask */
            else expect_close(got + at, want + at, k, what, level);
            at += k;
        }
        free(got);
    }
    free(want);
    network_free(&net);
    nn_isa_use(best);
}

/* ---- the optimizer updates ---- */
#define SLICE 10007   /* a remainder for every vector width */

/* Three steps of an optimizer on one slice from the same start; returns the parameters. */
static float *optimize(const nn_opt_config *c)
{
    float *p = malloc(SLICE * sizeof(float)), *grad = malloc(SLICE * sizeof(float));
    assert_true(p && grad);
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (size_t i = 0; i < SLICE; i++) p[i] = nn_rng_range(&r, -1, 1), grad[i] = nn_rng_range(&r, -1, 1);
    char err[256];
    nn_optimizer *o = nn_optimizer_new(c, &(nn_param_slice){p, grad, SLICE, 1}, 1, err, sizeof err);
    assert_non_null(o);
    for (int s = 0; s < 3; s++) nn_optimizer_step(o, c->lr);
    nn_optimizer_free(o);
    free(grad);
    return p;
}

static void test_every_level_agrees_with_the_baseline_on_the_optimizer_updates(void **state)
{
    (void)state;
    int best = nn_isa_best();
    nn_opt_config configs[5];
    nn_opt_defaults(NN_OPT_SGD, &configs[0]);
    nn_opt_defaults(NN_OPT_SGD, &configs[1]);
    configs[1].momentum = 0.9, configs[1].nesterov = 1;
    nn_opt_defaults(NN_OPT_ADAM, &configs[2]);
    nn_opt_defaults(NN_OPT_ADAMW, &configs[3]);
    nn_opt_defaults(NN_OPT_RMSPROP, &configs[4]);
    configs[4].momentum = 0.5, configs[4].centered = 1;
    for (size_t c = 0; c < sizeof configs / sizeof *configs; c++) {
        assert_int_equal(nn_isa_use(NN_ISA_BASE), 0);
        float *want = optimize(&configs[c]);
        for (int level = NN_ISA_BASE + 1; level <= best; level++) {
            assert_int_equal(nn_isa_use(level), 0);
            float *got = optimize(&configs[c]);
            expect_close(got, want, SLICE, nn_opt_kind_name(configs[c].kind), level);
            free(got);
        }
        free(want);
    }
    nn_isa_use(best);
}

/* ---- choosing ---- */
static void test_kernels_choose_runs_what_it_can_and_names_the_choices(void **state)
{
    (void)state;
    char err[256];
    int best = nn_isa_best();
    assert_int_equal(nn_kernels_choose("base", err, sizeof err), 0);
    assert_string_equal(nn_kernels_name(), "base");
    assert_int_equal(nn_kernels_choose("sse9", err, sizeof err), -1);
    assert_non_null(strstr(err, "no kernels are called 'sse9': choose base, avx2 or avx512"));
    assert_string_equal(nn_kernels_name(), "base");   /* a refusal changes nothing */
    for (int level = NN_ISA_BASE; level < NN_ISA_LEVELS; level++) {
        int rc = nn_kernels_choose(nn_isa_name(level), err, sizeof err);
        if (level <= best) {
            assert_int_equal(rc, 0);
            assert_string_equal(nn_kernels_name(), nn_isa_name(level));
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "this CPU cannot run"));
        }
    }
    assert_int_equal(nn_isa(), best);
}

int main(void)
{
    nn_runtime_init();
    print_message("this CPU runs the %s kernels\n", nn_isa_name(nn_isa_best()));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_level_agrees_with_the_baseline_on_a_network),
        cmocka_unit_test(test_every_level_agrees_with_the_baseline_on_the_optimizer_updates),
        cmocka_unit_test(test_kernels_choose_runs_what_it_can_and_names_the_choices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
