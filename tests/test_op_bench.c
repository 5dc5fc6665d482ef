/* The per-op benchmark (nn/op_bench.h) and the scaled fixtures it runs on: every op is timed,
 * fixtures grow with their scale, FLOPs are counted at the scaled shapes, gradient-only ops are
 * timed inside their fused op's backward, and bad arguments are refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/op_bench.h"
#include "nn/ops.h"

/* small and quick: scale 1, three samples of >= 0.05 ms */
static const nn_op_bench_config quick = {1, 3, 0.05};

/* The fixture of op at scale in a new graph; *node = its first node of op. */
static nn_graph *fixture_at(int op, int scale, int *node)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 99);
    int y = nn_op_def_at(op)->gradcheck(g, &r, scale);
    if (y < 0) print_error("%s at scale %d: %s\n", nn_op_def_at(op)->name, scale, g->err);
    assert_true(y >= 0);
    *node = -1;
    for (int i = 0; i <= y && *node < 0; i++)
        if (g->nodes[i].kind == NN_NODE_OP && g->nodes[i].op == op) *node = i;
    assert_true(*node >= 0);
    return g;
}

/* Whether nn_grad finds any gradient of the fixture's inputs through op's node (its output
 * weighted by a random tensor and summed): the ops for which a backward time exists. */
static int has_gradient(int op)
{
    int y, wrt[16], n = 0, grads[16], any = 0;
    nn_graph *g = fixture_at(op, 1, &y);
    for (int i = 0; i < y && n < 16; i++)
        if (g->nodes[i].kind == NN_NODE_INPUT && !g->nodes[i].no_grad) wrt[n++] = i;
    nn_rng r;
    nn_rng_seed(&r, 7);
    int w = nn_test_input(g, g->nodes[y].shape, &r, -1, 1);
    g->nodes[w].no_grad = 1;
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, y, w)), wrt, n, grads), 0);
    for (int k = 0; k < n; k++) any |= grads[k] >= 0;
    nn_graph_free(g);
    return any;
}

static void test_every_op_is_timed_with_finite_positive_times(void **state)
{
    (void)state;
    for (int op = 0; op < nn_op_count(); op++) {
        const char *name = nn_op_def_at(op)->name;
        nn_op_bench_result r;
        char err[NN_ERR_LEN];
        int rc = nn_op_bench(op, &quick, &r, err, sizeof err);
        if (rc < 0) print_error("%s: %s\n", name, err);
        assert_int_equal(rc, 0);
        assert_int_equal(r.op, op);
        if (!(isfinite(r.forward_ms) && r.forward_ms > 0)) print_error("%s: forward %g ms\n", name, r.forward_ms);
        assert_true(isfinite(r.forward_ms) && r.forward_ms > 0);
        assert_true(isfinite(r.backward_ms) && r.backward_ms != 0);
        assert_true(r.inputs[0] == '[');
        if (nn_op_grad_only(op)) {   /* timed where it runs; a gradient op has no backward itself */
            assert_true(r.via != op && !nn_op_grad_only(r.via));
            assert_true(r.backward_ms < 0);
        } else {
            assert_int_equal(r.via, op);
            if ((r.backward_ms > 0) != has_gradient(op)) print_error("%s: backward %g ms\n", name, r.backward_ms);
            assert_int_equal(r.backward_ms > 0, has_gradient(op));
        }
        assert_true((r.forward_flops > 0) == (nn_op_def_at(op)->flops != NULL));
    }
}

static size_t input_values(nn_graph *g, int node)
{
    size_t n = 0;
    for (int k = 0; k < g->nodes[node].n_in; k++) n += nn_numel(g, g->nodes[node].in[k]);
    return n;
}

/* Every fixture builds at larger scales, and its op's inputs grow with the scale. */
static void test_every_fixture_grows_with_its_scale(void **state)
{
    (void)state;
    for (int op = 0; op < nn_op_count(); op++) {
        if (nn_op_grad_only(op)) continue;
        size_t before = 0;
        for (int scale = 1; scale <= 3; scale++) {
            int y;
            nn_graph *g = fixture_at(op, scale, &y);
            size_t n = input_values(g, y);
            if (n <= before) print_error("%s: %zu input values at scale %d, %zu below\n", nn_op_def_at(op)->name, n, scale, before);
            assert_true(n > before);
            before = n;
            nn_graph_free(g);
        }
    }
}

/* dense's fixture x (3,5) W (4,5) b (4) at scale 2: 2 * 6 * 8 * 10 FLOPs forward; its backward's
 * two GEMMs (dx, dW) as many each, and the bias's row sum. */
static void test_flops_are_counted_at_the_scaled_shapes(void **state)
{
    (void)state;
    nn_op_bench_config c = quick;
    c.scale = 2;
    nn_op_bench_result r;
    char err[NN_ERR_LEN];
    assert_int_equal(nn_op_bench(nn_op_find("dense"), &c, &r, err, sizeof err), 0);
    assert_string_equal(r.inputs, "[6, 10] [8, 10] [8]");
    assert_float_equal(r.forward_flops, 960, 0);
    assert_true(r.backward_flops >= 2 * 960 && r.backward_flops < 3 * 960);
    assert_true(r.backward_ms > 0);
}

/* rnn_grad runs in rnn_states's backward, attention_grad in attention's; they have no backward. */
static void test_gradient_only_ops_are_timed_in_their_fused_ops_backward(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {{"rnn_grad", "rnn_states"}, {"lstm_whh_grad", "lstm_states"},
                                           {"gru_bhh_grad", "gru_states"}, {"attention_grad", "attention"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        nn_op_bench_result r;
        char err[NN_ERR_LEN];
        assert_int_equal(nn_op_bench(nn_op_find(pairs[i][0]), &quick, &r, err, sizeof err), 0);
        assert_int_equal(r.via, nn_op_find(pairs[i][1]));
        assert_true(r.forward_ms > 0 && r.backward_ms < 0 && r.backward_flops == 0);
    }
}

static void test_bad_arguments_are_refused_with_a_message(void **state)
{
    (void)state;
    nn_op_bench_result r;
    char err[NN_ERR_LEN];
    assert_int_equal(nn_op_bench(-1, &quick, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "no op -1 in the registry"));
    assert_int_equal(nn_op_bench(nn_op_count(), &quick, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "in the registry"));
    static const nn_op_bench_config bad[] = {{0, 3, 0.05}, {1, 0, 0.05}, {1, 3, -1}, {1, 3, NAN}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(nn_op_bench(0, &bad[i], &r, err, sizeof err), -1);
        assert_non_null(strstr(err, "must be"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_op_is_timed_with_finite_positive_times),
        cmocka_unit_test(test_every_fixture_grows_with_its_scale),
        cmocka_unit_test(test_flops_are_counted_at_the_scaled_shapes),
        cmocka_unit_test(test_gradient_only_ops_are_timed_in_their_fused_ops_backward),
        cmocka_unit_test(test_bad_arguments_are_refused_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
