/* The attention and Transformer layers as a spec builds them (interpreter/build/layer_attention.c)
 * against PyTorch: tests/fixtures/transformer_torch.safetensors holds a TransformerEncoderLayer
 * (post-norm, relu; and norm_first, gelu), a MultiheadAttention used as cross-attention and a
 * TransformerDecoderLayer with random weights, an input with padding and their outputs
 * (scripts/make_transformer_fixture.py wrote it with python3-torch). nnrun's layers, given those
 * weights under PyTorch's names, must give the same outputs to 1e-5. And shift, a decoder's
 * input made from its targets. */
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
#include "data_setup.h"
#include "diag.h"
#include "model_build.h"
#include "nn/safetensors.h"
#include "spec.h"
#include "tmpdir.h"
#include "spec_util.h"

enum { B = 2, T = 5, D = 8 };   /* the fixture's batch, steps, features */

static char fixture_path[PATH_MAX];

/* The layers compared; their names are the fixture's module names. The mask layer `real` is 1
 * where a step's largest feature is > 0 (the fixture's padding steps are all negative). */
static const char *const compared_layers =
    "    - {max_over: 1, name: real}\n"
    "    - {transformer_encoder: {heads: 2, ff: 16, mask: real}, from: input, name: enc}\n"
    "    - {transformer_encoder: {heads: 2, ff: 16, mask: real, norm_first: true, activation: gelu}, from: input, name: encp}\n"
    "    - {attention: {heads: 2, mask: real}, from: [enc, input], name: mha}\n"
    "    - {transformer_decoder: {heads: 2, ff: 16, memory_mask: real}, from: [input, enc], name: dec}\n"
    "    - {mean_over: {mask: real}, name: pooled}\n"
    "    - {dense: 2, name: logits}\n";

/* A spec over CSV rows of T*D features (label first), input [T, D], the given layers. */
static spec_model build(const char *layers, int batch, int training, const char *train)
{
    char text[4096];
    snprintf(text, sizeof text,
             "name: t\n"
             "data:\n"
             "  train: {dataset: csv, path: x.csv, header: false}\n"
             "model:\n"
             "  input: [%d, %d]\n"
             "  layers:\n"
             "%s"
             "loss: {cross_entropy: {pred: logits, target: target}}\n"
             "train: {%s, batch: %d, epochs: 2}\n",
             T, D, layers, train, batch);
    write_file("t.yaml", text);
    return spec_model_build("t.yaml", batch, training);
}

/* Writes the fixture's x as x.csv (label 0 first) so that the spec's data loads. */
static void write_x_csv(const nn_st_file *f)
{
    const float *x = nn_st_data(f, nn_st_find(f, "x"));
    FILE *out = fopen("x.csv", "w");
    assert_non_null(out);
    for (int n = 0; n < B; n++) {
        fprintf(out, "%d", n);
        for (int k = 0; k < T * D; k++) fprintf(out, ",%.9g", x[n * T * D + k]);
        fputc('\n', out);
    }
    fclose(out);
}

static void test_layers_given_pytorchs_weights_give_pytorchs_outputs(void **state)
{
    (void)state;
    char err[512];
    nn_st_file *f = nn_st_open(fixture_path, err, sizeof err);
    if (!f) fail_msg("%s", err);
    write_x_csv(f);
    spec_model b = build(compared_layers, B, 0, "optimizer: {adam: {lr: 0.01}}");
    nn_graph *g = b.m->g;
    /* every parameter of the compared layers has PyTorch's name, shape and a value to load */
    assert_int_equal(spec_model_load_fixture(&b, f), 12 + 12 + 4 + 18);   /* enc, encp, mha, dec */
    assert_int_equal(model_plan(b.m, b.m->out, b.s->nets[0].n_layers), 0);
    model_feed(b.m, nn_st_data(f, nn_st_find(f, "x")), (const float[]){0, 1}, B);
    nn_plan_run(g, b.m->plan);
    static const char *const compared[] = {"enc", "encp", "mha", "dec"};
    for (int c = 0; c < 4; c++) {
        char name[32];
        snprintf(name, sizeof name, "out.%s", compared[c]);
        int i = nn_st_find(f, name), node = b.m->out[spec_model_layer(&b, compared[c])];
        expect_shape(g, node, nn_st_shape(f, i));
        const float *want = nn_st_data(f, i), *got = nn_data(g, node);
        for (int k = 0; k < B * T * D; k++)
            if (fabsf(got[k] - want[k]) > 1e-5f) fail_msg("%s[%d]: nnrun %.7f, PyTorch %.7f", compared[c], k, got[k], want[k]);
    }
    /* the pooled mean reads the real steps only: sequence 1 has T - 2 */
    const float *dec = nn_data(g, b.m->out[spec_model_layer(&b, "dec")]), *pooled = nn_data(g, b.m->out[spec_model_layer(&b, "pooled")]);
    for (int j = 0; j < D; j++) {
        float sum = 0;
        for (int t = 0; t < T - 2; t++) sum += dec[(T + t) * D + j];
        assert_float_equal(pooled[D + j], sum / (T - 2), 1e-5);
    }
    spec_model_free(&b);
    nn_st_close(f);
}

/* shift: step t holds step t - 2 of the input, the first two steps the fill value (slice and
 * concat, whose gradients the registry checks). */
static void test_shift_moves_steps_later_and_fills_the_first(void **state)
{
    (void)state;
    FILE *f = fopen("x.csv", "w");
    assert_non_null(f);
    for (int n = 0; n < B; n++) {
        fprintf(f, "%d", n);
        for (int k = 0; k < T * D; k++) fprintf(f, ",%d", n * 1000 + k);
        fputc('\n', f);
    }
    fclose(f);
    spec_model b = build("    - {shift: {steps: 2, fill: -1}, name: later}\n"
                    "    - {mean_over: 0, name: pooled}\n"
                    "    - {dense: 2, name: logits}\n",
                    B, 0, "optimizer: {adam: {lr: 0.01}}");
    float x[B * T * D];
    for (int n = 0; n < B; n++)
        for (int k = 0; k < T * D; k++) x[n * T * D + k] = (float)(n * 1000 + k);
    assert_int_equal(model_plan(b.m, b.m->out, b.s->nets[0].n_layers), 0);
    model_feed(b.m, x, (const float[]){0, 1}, B);
    nn_plan_run(b.m->g, b.m->plan);
    const float *y = nn_data(b.m->g, b.m->out[0]);
    for (int n = 0; n < B; n++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < D; j++)
                assert_float_equal(y[(n * T + t) * D + j], t < 2 ? -1.0f : x[(n * T + t - 2) * D + j], 0.0f);
    spec_model_free(&b);
}

int main(void)
{
    if (fixture_resolve("tests/fixtures/transformer_torch.safetensors", fixture_path) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers_given_pytorchs_weights_give_pytorchs_outputs),
        cmocka_unit_test(test_shift_moves_steps_later_and_fills_the_first),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
