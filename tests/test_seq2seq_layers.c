/* The layers of a sequence-to-sequence model as a spec builds them, against PyTorch and by
 * hand: tests/fixtures/seq2seq_torch.safetensors (scripts/make_seq2seq_fixture.py wrote it with
 * python3-torch) holds nn.RNN, nn.LSTM and nn.GRU started from an initial state, and the
 * attention decoder of PyTorch's seq2seq tutorial (a GRU whose input is [x_t ; context_t],
 * Bahdanau attention over the keys' real steps), with random weights, their inputs, outputs and
 * the gradients that reach the initial state and the input. nnrun's layers (rnn, lstm, gru with
 * initial_state and initial_cell, gru with attend and attend_mask, last_over giving the
 * initial state), given those weights under nnrun's names, must give the same numbers to 1e-5.
 * And last_over by hand: padding anywhere, a sequence without a real step, no mask, and the
 * gradient going to the selected step alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "graph_util.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/safetensors.h"
#include "tmpdir.h"
#include "spec_util.h"

enum { N = 2, T = 3, F = 3, H = 3 };   /* the fixture's batch, steps, input features, units */

static char fixture_path[PATH_MAX];

/* The layers compared; the fixture names its tensors after them. `real` is 1 where a step's
 * largest feature is > 0 (the fixture's padding step is all negative). */
static const char *const compared_layers =
    "    - {max_over: 1, name: real}\n"
    "    - {dense: 2, from: input, name: x}\n"
    "    - {last_over: {mask: real}, from: input, name: h0}\n"
    "    - {mean_over: 0, from: input, name: c0}\n"
    "    - {rnn: {units: 3, output: all, initial_state: h0}, from: x, name: rnn}\n"
    "    - {lstm: {units: 3, output: all, initial_state: h0, initial_cell: c0}, from: x, name: lstm}\n"
    "    - {gru: {units: 3, output: all, initial_state: h0}, from: x, name: gru}\n"
    "    - {gru: {units: 3, output: all, initial_state: h0, attend: input, attend_mask: real}, from: x, name: dec}\n"
    "    - {mean_over: 0, name: pooled}\n"
    "    - {dense: 2, name: logits}\n";

/* A spec over CSV rows of t*d features (label first), input [t, d], the given layers, and x.csv
 * holding the n rows x (labels 0, 1, ...). */
static spec_model build(const char *layers, const float *x, int n, int t, int d)
{
    FILE *out = fopen("x.csv", "w");
    assert_non_null(out);
    for (int i = 0; i < n; i++) {
        fprintf(out, "%d", i);
        for (int k = 0; k < t * d; k++) fprintf(out, ",%.9g", x[i * t * d + k]);
        fputc('\n', out);
    }
    fclose(out);
    char text[4096];
    snprintf(text, sizeof text,
             "name: s\n"
             "data:\n"
             "  train: {dataset: csv, path: x.csv, header: false}\n"
             "model:\n"
             "  input: [%d, %d]\n"
             "  layers:\n"
             "%s"
             "loss: {cross_entropy: {pred: logits, target: target}}\n"
             "train: {optimizer: {adam: {lr: 0.01}}, batch: %d, epochs: 1}\n",
             t, d, layers, n);
    write_file("s.yaml", text);
    return spec_model_build("s.yaml", n, 0);
}

static void expect_close_to(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (fabsf(got[k] - want[k]) > 1e-5f) fail_msg("%s[%zu]: nnrun %.7f, PyTorch %.7f", what, k, got[k], want[k]);
}

static void test_recurrent_layers_from_an_initial_state_and_the_attention_decoder_match_pytorch(void **state)
{
    (void)state;
    char err[512];
    nn_st_file *f = nn_st_open(fixture_path, err, sizeof err);
    if (!f) fail_msg("%s", err);
    spec_model b = build(compared_layers, nn_st_data(f, nn_st_find(f, "inp")), N, T, F);
    assert_int_equal(spec_model_load_fixture(&b, f), 2 + 3 + 3 + 4 + 4 + 6);   /* x, rnn, lstm, gru, dec: gru + attention */
    nn_graph *g = b.m->g;
    /* L = sum(dec * R): its gradient reaches the initial state and the input (through x, h0 and the keys) */
    int dec = b.m->out[spec_model_layer(&b, "dec")], h0 = b.m->out[spec_model_layer(&b, "h0")];
    int r = input_of(g, nn_st_shape(f, nn_st_find(f, "R")), nn_st_data(f, nn_st_find(f, "R")));
    int wrt[2] = {h0, b.m->x}, grads[2];
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, dec, r)), wrt, 2, grads), 0);
    int targets[6] = {b.m->out[spec_model_layer(&b, "rnn")], b.m->out[spec_model_layer(&b, "lstm")],
                      b.m->out[spec_model_layer(&b, "gru")], dec, grads[0], grads[1]};
    model_feed(b.m, nn_st_data(f, nn_st_find(f, "inp")), (const float[]){0, 1}, N);
    nn_plan *p = run(g, targets, 6);
    static const char *const compared[] = {"out.rnn", "out.lstm", "out.gru", "out.dec", "grad.h0", "grad.inp"};
    for (int c = 0; c < 6; c++) {
        int i = nn_st_find(f, compared[c]);
        expect_shape(g, targets[c], nn_st_shape(f, i));
        expect_close_to(compared[c], nn_data(g, targets[c]), nn_st_data(f, i), nn_numel(g, targets[c]));
    }
    nn_plan_free(p);
    spec_model_free(&b);
    nn_st_close(f);
}

/* last_over: sequence 0 real at steps 0 and 2 (padding between and after: its step 2),
 * sequence 1 real at step 1 only (padding before and after), sequence 2 without a real step
 * (0); without a mask the last step. The gradient of sum(last * w) is w at the selected step
 * and 0 at every other. */
static void test_last_over_gives_each_sequences_last_real_step_and_its_gradient_there_alone(void **state)
{
    (void)state;
    enum { B = 3, S = 4, D = 2 };
    static const int real[B][S] = {{1, 0, 1, 0}, {0, 1, 0, 0}, {0, 0, 0, 0}}, selected[B] = {2, 1, -1};
    float x[B * S * D];
    for (int n = 0; n < B; n++)
        for (int t = 0; t < S; t++) {
            x[(n * S + t) * D] = real[n][t] ? 1.0f + (float)(n * S + t) : -1.0f - (float)t;   /* the mask: feature 0 > 0 */
            x[(n * S + t) * D + 1] = -0.5f * (float)(n * S + t);
        }
    spec_model b = build("    - {max_over: 1, name: real}\n"
                         "    - {last_over: {mask: real}, from: input, name: last}\n"
                         "    - {last_over: , from: input, name: final}\n"
                         "    - {dense: 2, name: logits}\n",
                         x, B, S, D);
    nn_graph *g = b.m->g;
    int last = b.m->out[spec_model_layer(&b, "last")], final = b.m->out[spec_model_layer(&b, "final")];
    expect_shape(g, last, nn_shape2(B, D));
    int w = iota_input(g, nn_shape2(B, D), 1.0f, 1.0f), dx;
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, last, w)), &b.m->x, 1, &dx), 0);
    model_feed(b.m, x, (const float[]){0, 1, 0}, B);
    nn_plan *p = run(g, (int[]){last, final, dx}, 3);
    for (int n = 0; n < B; n++)
        for (int j = 0; j < D; j++) {
            int at = selected[n];
            assert_float_equal(nn_data(g, last)[n * D + j], at < 0 ? 0.0f : x[(n * S + at) * D + j], 0.0f);
            assert_float_equal(nn_data(g, final)[n * D + j], x[(n * S + S - 1) * D + j], 0.0f);
            for (int t = 0; t < S; t++)
                assert_float_equal(nn_data(g, dx)[(n * S + t) * D + j], t == at ? nn_data(g, w)[n * D + j] : 0.0f, 0.0f);
        }
    nn_plan_free(p);
    spec_model_free(&b);
}

int main(void)
{
    if (fixture_resolve("tests/fixtures/seq2seq_torch.safetensors", fixture_path) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recurrent_layers_from_an_initial_state_and_the_attention_decoder_match_pytorch),
        cmocka_unit_test(test_last_over_gives_each_sequences_last_real_step_and_its_gradient_there_alone),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
