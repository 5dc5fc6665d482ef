/* A corpus of bad specs: each must be rejected with exactly these messages at exactly these
 * positions, all errors of a spec in one go — and a good spec must pass. Runs what
 * `nnrun check` runs: load + extends + overrides, schema, references, shape inference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data_setup.h"
#include "diag.h"
#include "model_build.h"
#include "spec.h"
#include "tmpdir.h"
#include "spec_util.h"


static void expect(const char *file, const char *text, const char *expected)
{
    write_file(file, text);
    char *got = spec_check_messages(file, NULL, 0);
    if (strcmp(got, expected) != 0) print_error("for %s\nexpected:\n%s\ngot:\n%s\n", file, expected, got);
    assert_string_equal(got, expected);
    free(got);
}

static const char base[] = "name: t\n"
                           "data:\n"
                           "  train: {dataset: function, expr: \"x^2\", range: [-1, 1], n: 64}\n"
                           "model:\n"
                           "  input: [1]\n"
                           "  layers:\n"
                           "    - {dense: 8, act: tanh, name: h}\n"
                           "    - {dense: 1, name: out}\n"
                           "loss: {mse: {pred: out, target: target}}\n"
                           "train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 2}\n";

static void test_a_valid_spec_reports_nothing(void **state)
{
    (void)state;
    expect("base.yaml", base, "");
}

static void test_typos_are_reported_with_did_you_mean_all_at_once(void **state)
{
    (void)state;
    expect("e1.yaml",
           "name: t\n"
           "data:\n"
           "  train: {dataset: function, expr: \"x^2\", range: [-1, 1], n: 64}\n"
           "model:\n"
           "  input: [1]\n"
           "  layers:\n"
           "    - {dense: 8, act: tanhh, name: h}\n"
           "    - {dense: {units: 1, unit: 1}, name: out}\n"
           "    - relu6\n"
           "loss: {mse: {pred: out, target: target}}\n"
           "train: {optimizer: {adma: {lr: 0.01}}, batch: 16, epochs: 2, shufle: true}\n",
           "e1.yaml:7:23: error: unknown activation 'tanhh' (did you mean 'tanh'?)\n"
           "e1.yaml:8:26: error: unknown key 'unit' in 'dense' (did you mean 'units'?)\n"
           "e1.yaml:9:7: error: unknown layer 'relu6' (did you mean 'relu'?)\n"
           "e1.yaml:11:62: error: unknown key 'shufle' in 'train' (did you mean 'shuffle'?)\n"
           "e1.yaml:11:21: error: unknown optimizer 'adma' (did you mean 'adam'?)\n");
}

/* An option a layer would silently ignore is refused: recurrent layers keep their biases. */
static void test_bias_false_where_there_is_no_bias_to_drop(void **state)
{
    (void)state;
    expect("eb.yaml",
           "extends: base.yaml\n"
           "data: {train: {dataset: function, expr: \"x^2\", range: [-1, 1], n: 64}}\n"
           "model:\n"
           "  input: [1]\n"
           "  layers:\n"
           "    - {embedding: {vocab: 10, dim: 3}, bias: false}\n"
           "    - {gru: {units: 1}, bias: false, name: out}\n",
           "eb.yaml:6:46: error: an embedding has no bias to drop\n"
           "eb.yaml:7:31: error: gru keeps its biases (PyTorch's b_ih and b_hh): bias: false is not supported\n");
}

static void test_wrong_types_and_ranges_name_the_key(void **state)
{
    (void)state;
    expect("e2.yaml",
           "extends: base.yaml\n"
           "seed: -3\n"
           "train: {batch: big, epochs: 0, clip_grad_norm: \"1\"}\n",
           "e2.yaml:2:7: error: seed must be between 0 and 2147483647, got -3\n"
           "e2.yaml:3:16: error: batch must be an integer\n"
           "e2.yaml:3:29: error: epochs must be between 1 and 1048576, got 0\n"
           "e2.yaml:3:48: error: clip_grad_norm must be a number\n");
}

static void test_unknown_layer_names_are_found_before_building(void **state)
{
    (void)state;
    expect("e3.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {dense: 8, act: tanh, name: h}\n"
           "    - {dense: 1, name: out, from: hh}\n"
           "loss: {mse: {pred: outt, target: target}}\n",
           "e3.yaml:5:35: error: unknown layer 'hh' (did you mean 'h'?)\n"
           "e3.yaml:6:20: error: unknown layer 'outt' (did you mean 'out'?)\n");
}

static void test_impossible_shapes_name_the_layer_and_its_line(void **state)
{
    (void)state;
    expect("e4.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {dense: 8, act: tanh, name: h}\n"
           "    - {dense: 3, name: g}\n"
           "    - {add: [h, g], name: sum}\n"
           "    - {dense: 1, name: out}\n",
           "e4.yaml:6:7: error: layer 'sum' (add): cannot add 'h' [1, 8] and 'g' [1, 3]: shapes differ\n");
    expect("e5.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {dense: 8, act: tanh, name: h}\n"
           "    - {reshape: [3, 3]}\n"
           "    - {dense: 1, name: out}\n",
           "e5.yaml:5:7: error: layer 'reshape_1' (reshape): cannot reshape [1, 8] (8 values) to [1, 3, 3] (9 values)\n");
}

static void test_conv1d_and_maxpool1d_errors_name_the_key_and_the_layer(void **state)
{
    (void)state;
    expect("e1d.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  input: [6, 2]\n"
           "  layers:\n"
           "    - {conv1d: {filters: 4, kernel: 3, stride: 2, pad: same}}\n"
           "    - {maxpool1d: {size: 2, pad: 1}}\n"
           "    - {dense: 1, name: out}\n",
           "e1d.yaml:5:56: error: pad: same needs stride 1 (here 2), as in PyTorch; give the padding as a number\n"
           "e1d.yaml:6:29: error: unknown key 'pad' in 'maxpool1d' (expected one of: size, stride)\n");
    expect("e1e.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  input: [1]\n"
           "  layers:\n"
           "    - {conv1d: {filters: 4, kernel: 3}, name: c}\n"
           "    - {dense: 1, name: out}\n",
           "e1e.yaml:5:7: error: layer 'c' (conv1d): needs a sequence [steps, channels] per sample, got [1, 1]; an "
           "embedding gives one\n");
    expect("e1f.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {reshape: [1, 1]}\n"
           "    - {conv1d: {filters: 4, kernel: 5, pad: 1}, name: c}\n"
           "    - {dense: 1, name: out}\n",
           "e1f.yaml:5:7: error: layer 'c' (conv1d): unfold1d: a kernel of 5 steps does not fit 1 steps with padding 1+1; "
           "use a smaller kernel or more padding\n");
}

static void test_recurrent_output_modes_and_bidirectional_are_validated(void **state)
{
    (void)state;
    expect("e6.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {reshape: [1, 1]}\n"
           "    - {lstm: {units: 4, output: sum, bidirectional: 2}}\n"
           "    - {dense: 1, name: out}\n",
           "e6.yaml:5:33: error: unknown output 'sum' (expected one of: all, last, mean, max)\n"
           "e6.yaml:5:53: error: bidirectional must be true or false\n");
}

static void test_clean_up_rules_are_checked(void **state)
{
    (void)state;
    expect("ec.yaml",
           "extends: base.yaml\n"
           "data:\n"
           "  train: {dataset: imdb, clean: [html, lowr]}\n",
           "ec.yaml:3:40: error: unknown clean-up rule 'lowr' (did you mean 'lower'?)\n");
}

/* Each dataset kind takes its own keys: one another kind reads is an error naming the kind
 * and listing its keys, not a value silently ignored. */
static void test_a_key_of_another_dataset_kind_is_an_error(void **state)
{
    (void)state;
    expect("ek.yaml",
           "extends: base.yaml\n"
           "data:\n"
           "  train: {dataset: mnist, vocab: 100, firts: 10}\n"
           "  test: {dataset: imdb, split: test, length: 50}\n"
           "model: {input: [1, 28, 28]}\n",
           "ek.yaml:3:27: error: 'vocab' is not a key of dataset mnist (its keys: dataset, split, path, range, classes, first, random_subset, "
           "per_class)\n"
           "ek.yaml:3:39: error: unknown key 'firts' in 'train' (did you mean 'first'?)\n"
           "ek.yaml:4:38: error: 'length' does not apply to a test source of dataset imdb: it is a part of the training "
           "source's split (its keys: dataset, split)\n");
}

static void test_malformed_yaml_reports_the_parser_position(void **state)
{
    (void)state;
    expect("e6.yaml", "name: t\nmodel:\n  input: [1\n  layers: []\n",
           "e6.yaml:4:9: error: did not find expected ',' or ']' (while parsing a flow sequence that started at line 3, "
           "column 10)\n");
}

static void test_bad_expressions_point_into_the_string(void **state)
{
    (void)state;
    expect("e7.yaml",
           "extends: base.yaml\n"
           "data:\n"
           "  train: {dataset: function, expr: \"1/(1+25*x^^2)\", range: [1, -1], n: 64}\n",
           "e7.yaml:3:60: error: range [1, -1] is empty: the first number must be smaller\n"
           "e7.yaml:3:47: error: expr: unexpected '^' (expected a number, variable, function or '(') at column 10\n");
}

static void test_cross_field_rules(void **state)
{
    (void)state;
    expect("e8.yaml",
           "extends: base.yaml\n"
           "train:\n"
           "  optimizer: {sgd: {lr: 0.1, nesterov: true}}\n"
           "  schedule: {step: {gamma: 0.5}}\n",
           "e8.yaml:3:20: error: nesterov needs momentum > 0\n"
           "e8.yaml:4:20: error: step needs 'every' (epochs)\n");
}

/* The gru layer takes the lstm's keys (no act) and needs a sequence. */
static void test_gru_keys_and_input_are_checked(void **state)
{
    (void)state;
    expect("g1.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {gru: {units: 8, act: relu, output: first}}\n"
           "    - {gru: {output: all}}\n"
           "    - {dense: 1, name: out}\n",
           "g1.yaml:4:24: error: unknown key 'act' in 'gru' (expected one of: units, output, mask, bidirectional, initial_state, attend, attend_mask)\n"
           "g1.yaml:4:43: error: unknown output 'first' (expected one of: all, last, mean, max)\n"
           "g1.yaml:5:13: error: gru needs 'units' (state size H)\n");
    expect("g2.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {gru: {units: 8}}\n"
           "    - {dense: 1, name: out}\n",
           "g2.yaml:4:7: error: layer 'gru_1' (gru): needs a sequence [steps, features] per sample, got [1, 1]\n");
}

/* Initial states and attention: what they go with is checked at the option to change (a spec
 * error, all at once); what they name must fit (a shape error at the layer). */
static void test_initial_states_and_attend_are_checked_where_they_are_written(void **state)
{
    (void)state;
    expect("i1.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  input: [6, 4]\n"
           "  layers:\n"
           "    - {max_over: 1, name: real}\n"
           "    - {gru: {units: 8, output: all}, from: input, name: enc}\n"
           "    - {last_over: {mask: real}, name: state}\n"
           "    - {gru: {units: 8, bidirectional: true, initial_state: state}, from: enc}\n"
           "    - {gru: {units: 8, attend: enc, output: last}, from: enc}\n"
           "    - {gru: {units: 8, attend: enc, output: all, bidirectional: true}, from: enc}\n"
           "    - {lstm: {units: 8, attend: enc}}\n"
           "    - {gru: {units: 8, attend_mask: real, output: all}, from: enc}\n"
           "    - {gru: {units: 8, output: all, attend: enc, mask: real}, from: enc}\n"
           "    - {rnn: {units: 8, initial_cell: state}, from: enc}\n"
           "    - {dense: 1, name: out}\n",
           "i1.yaml:8:60: error: a bidirectional layer starts both directions from zeros: initial_state is for one direction\n"
           "i1.yaml:9:45: error: a gru that attends gives every step's output: write output: all\n"
           "i1.yaml:10:65: error: a gru that attends runs forward only (its steps read the previous state): drop bidirectional\n"
           "i1.yaml:11:25: error: unknown key 'attend' in 'lstm' (expected one of: units, output, mask, bidirectional, initial_state, "
           "initial_cell)\n"
           "i1.yaml:12:37: error: attend_mask marks the real steps of attend: give attend too\n"
           "i1.yaml:13:56: error: a gru that attends takes no mask of its own steps (targets are right-padded and the loss ignores "
           "the padding); attend_mask marks the real steps of what it attends to\n"
           "i1.yaml:14:24: error: unknown key 'initial_cell' in 'rnn' (expected one of: units, act, output, mask, bidirectional, "
           "initial_state)\n");
    expect("i3.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  input: [6, 4]\n"
           "  layers:\n"
           "    - {gru: {units: 8, output: all, initial_state: later, attend: input, attend_mask: inptu}}\n"
           "    - {dense: 1, name: out}\n"
           "    - {dense: 8, name: later}\n",
           "i3.yaml:5:52: error: layer 'later' comes later in the model; a layer reads earlier ones\n"
           "i3.yaml:5:87: error: unknown layer 'inptu' (did you mean 'input'?)\n");
    static const struct {
        const char *layer, *message;
    } misfits[] = {
        {"{gru: {units: 8, initial_state: enc}, from: seq}",
         "layer 'gru_1' (gru): initial_state 'enc' gives [6, 8] per sample, but the layer's state is [8] (a sequence: last_over "
         "gives each one's last real step)"},
        {"{lstm: {units: 8, initial_cell: real}, from: seq}", "layer 'lstm_1' (lstm): initial_cell 'real' gives [6] per sample, but the layer's state is [8]"},
        {"{gru: {units: 4, output: all, attend: real}, from: seq}",
         "layer 'gru_1' (gru): attend: 'real' gives [6] per sample; attend needs a sequence [steps, features] (an encoder's "
         "every-step outputs: a recurrent layer with output: all)"},
        {"{gru: {units: 8, output: all, attend: enc, attend_mask: enc}, from: seq}",
         "layer 'gru_1' (gru): mask 'enc' must have one value per step, [6] per sample; it has [6, 8]"},
        {"{last_over: {mask: real}, from: real}", "layer 'last_over_1' (last_over): needs a sequence [steps, features] per sample, got [6]"},
    };
    for (size_t k = 0; k < sizeof misfits / sizeof misfits[0]; k++) {
        char text[1024], want[512];
        snprintf(text, sizeof text,
                 "extends: base.yaml\n"
                 "model:\n"
                 "  layers:\n"
                 "    - {dense: 24}\n"
                 "    - {reshape: [6, 4], name: seq}\n"
                 "    - {max_over: 1, name: real}\n"
                 "    - {gru: {units: 8, output: all}, from: seq, name: enc}\n"
                 "    - %s\n"
                 "    - {dense: 1, name: out}\n",
                 misfits[k].layer);
        snprintf(want, sizeof want, "i2.yaml:8:7: error: %s\n", misfits[k].message);
        expect("i2.yaml", text, want);
    }
}

static void test_attention_layers_check_their_inputs_heads_and_masks(void **state)
{
    (void)state;
    expect("a1.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  input: [6, 4]\n"
           "  layers:\n"
           "    - {dense: 4, from: [input, input]}\n"
           "    - {transformer_decoder: {heads: 2, ff: 8}}\n"
           "    - {attention: {heads: 2, memory_mask: input}}\n"
           "    - {dense: 1, name: out}\n",
           "a1.yaml:5:24: error: dense reads one layer; from names 2\n"
           "a1.yaml:6:7: error: transformer_decoder needs from: with 2 layers ([target sequence, memory]: the encoder's output)\n"
           "a1.yaml:7:30: error: unknown key 'memory_mask' in 'attention' (expected one of: heads, mask, causal, dropout)\n");
    expect("a4.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  input: [6, 4]\n"
           "  layers:\n"
           "    - {mean_over: {mask: missing}}\n"
           "    - {dense: 1, name: out}\n",
           "a4.yaml:5:26: error: unknown layer 'missing' (expected one of: input, target)\n");
    expect("a2.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {dense: 24}\n"
           "    - {reshape: [6, 4]}\n"
           "    - {transformer_encoder: {heads: 3, ff: 8}}\n"
           "    - {dense: 1, name: out}\n",
           "a2.yaml:6:7: error: layer 'transformer_encoder_1' (transformer_encoder): 4 features do not split into 3 heads (D must divide by heads)\n");
    expect("a3.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {dense: 24}\n"
           "    - {reshape: [6, 4], name: seq}\n"
           "    - {dense: 4, name: q}\n"
           "    - {attention: {heads: 1, mask: q}, from: [q, seq]}\n"
           "    - {dense: 1, name: out}\n",
           "a3.yaml:7:7: error: layer 'attention_1' (attention): mask 'q' must have one value per step, [6] per sample; it has [6, 4]\n");
    expect("a5.yaml",
           "extends: base.yaml\n"
           "model:\n"
           "  layers:\n"
           "    - {dense: 24}\n"
           "    - {reshape: [6, 4], name: seq}\n"
           "    - {mean_over: {axis: 1, mask: input}}\n"
           "    - {dense: 1, name: out}\n",
           "a5.yaml:6:7: error: layer 'mean_over_1' (mean_over): a mask needs a sequence [steps, features] reduced over time "
           "(axis 0), got [6, 4] and axis 1\n");
}

static void test_extends_cycle_is_an_error(void **state)
{
    (void)state;
    write_file("c1.yaml", "extends: c2.yaml\nname: a\n");
    write_file("c2.yaml", "extends: c1.yaml\nname: b\n");
    char *got = spec_check_messages("c1.yaml", NULL, 0);
    assert_non_null(strstr(got, "extends cycle"));
    free(got);
}

static void test_overrides_are_validated_at_their_column(void **state)
{
    (void)state;
    write_file("base.yaml", base);
    const char *sets[] = {"model.layers.1.dense=0", "train.epochs=x"};
    char *got = spec_check_messages("base.yaml", sets, 2);
    assert_string_equal(got, "<command line>:1:22: error: dense units must be between 1 and 16777216, got 0\n"
                             "<command line>:1:14: error: epochs must be an integer\n");
    free(got);
}

static void test_a_data_set_that_does_not_fit_the_input_is_reported(void **state)
{
    (void)state;
    expect("e9.yaml", "extends: base.yaml\nmodel:\n  input: [2]\n",
           "e9.yaml:3:10: error: model input [2] does not fit the data's samples [1]\n");
}

/* WGAN-GP: a critic and a generator with the mean and gradient_penalty terms. */
static const char wgan_base[] = "name: w\n"
                                "data:\n"
                                "  train: {dataset: points, points: uniform_cube, dim: 3, n: 64}\n"
                                "nets:\n"
                                "  G:\n"
                                "    input: {noise: [2]}\n"
                                "    layers: [{dense: 8, act: relu, name: h}, {dense: 3, name: xyz}]\n"
                                "  D:\n"
                                "    input: [3]\n"
                                "    layers: [{dense: 8, act: relu}, {dense: 1, name: score}]\n"
                                "losses:\n"
                                "  critic:\n"
                                "    - {mean: {pred: D(G)}}\n"
                                "    - {mean: {pred: D(data), weight: -1}}\n"
                                "    - {gradient_penalty: {critic: D, fake: G}}\n"
                                "  gen: {mean: {pred: D(G), weight: -1}}\n"
                                "train:\n"
                                "  steps:\n"
                                "    - {minimize: critic, update: D, repeat: 5}\n"
                                "    - {minimize: gen, update: G}\n";

static void test_wasserstein_terms_check_their_keys_and_critic(void **state)
{
    (void)state;
    expect("wbase.yaml", wgan_base, "");
    expect("w1.yaml",
           "extends: wbase.yaml\n"
           "losses:\n"
           "  critic:\n"
           "    - {mean: {pred: D(G), target: 1}}\n"
           "    - {mean: {weight: -1}}\n"
           "    - {gradient_penalty: {critic: E, real: data, center: -1}}\n",
           "w1.yaml:4:27: error: unknown key 'target' in 'mean' (expected one of: pred, weight, name)\n"
           "w1.yaml:5:14: error: mean needs 'pred' (a layer or a call such as D(G))\n"
           "w1.yaml:6:58: error: center must be between 0 and 1e+09, got -1\n"
           "w1.yaml:6:26: error: gradient_penalty needs 'fake' (the generated batch, such as G)\n");
    /* names are checked once the schema holds */
    expect("w1b.yaml",
           "extends: wbase.yaml\n"
           "losses:\n"
           "  critic: {gradient_penalty: {critic: Dd, fake: G}}\n",
           "w1b.yaml:3:39: error: unknown net 'Dd' (did you mean 'D'?)\n");
}

static void test_a_penalty_that_cannot_be_built_points_at_its_term(void **state)
{
    (void)state;
    expect("w2.yaml",
           "extends: wbase.yaml\n"
           "losses:\n"
           "  critic: {gradient_penalty: {critic: D, fake: G.h}}\n",
           "w2.yaml:3:11: error: gradient_penalty interpolates between real 'data' [3] and fake 'G.h' [8]: the shapes differ\n");
    expect("w3.yaml",
           "extends: wbase.yaml\n"
           "losses:\n"
           "  critic: {gradient_penalty: {critic: G, fake: G}}\n",
           "w3.yaml:3:39: error: G called on [3] but its input 'noise' is [2]\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_valid_spec_reports_nothing),
        cmocka_unit_test(test_typos_are_reported_with_did_you_mean_all_at_once),
        cmocka_unit_test(test_wrong_types_and_ranges_name_the_key),
        cmocka_unit_test(test_bias_false_where_there_is_no_bias_to_drop),
        cmocka_unit_test(test_unknown_layer_names_are_found_before_building),
        cmocka_unit_test(test_impossible_shapes_name_the_layer_and_its_line),
        cmocka_unit_test(test_conv1d_and_maxpool1d_errors_name_the_key_and_the_layer),
        cmocka_unit_test(test_recurrent_output_modes_and_bidirectional_are_validated),
        cmocka_unit_test(test_clean_up_rules_are_checked),
        cmocka_unit_test(test_a_key_of_another_dataset_kind_is_an_error),
        cmocka_unit_test(test_malformed_yaml_reports_the_parser_position),
        cmocka_unit_test(test_bad_expressions_point_into_the_string),
        cmocka_unit_test(test_cross_field_rules),
        cmocka_unit_test(test_gru_keys_and_input_are_checked),
        cmocka_unit_test(test_extends_cycle_is_an_error),
        cmocka_unit_test(test_overrides_are_validated_at_their_column),
        cmocka_unit_test(test_a_data_set_that_does_not_fit_the_input_is_reported),
        cmocka_unit_test(test_wasserstein_terms_check_their_keys_and_critic),
        cmocka_unit_test(test_a_penalty_that_cannot_be_built_points_at_its_term),
        cmocka_unit_test(test_initial_states_and_attend_are_checked_where_they_are_written),
        cmocka_unit_test(test_attention_layers_check_their_inputs_heads_and_masks),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
