/* Recurrent layers as a spec builds them (interpreter/build/model_build.c): bidirectional layers
 * against a plain reference recurrence run by hand over each sequence's real steps (both
 * directions, padding anywhere), and the output modes mean and max, which must ignore padding
 * steps even when every real output is negative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "graph_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_setup.h"
#include "diag.h"
#include "model_build.h"
#include "spec.h"
#include "tmpdir.h"

enum { N = 3, T = 4 };   /* batch and steps of every fixture */

/* Three sequences of T token ids (0 = padding): right-padded, left-padded with a gap, empty. */
static const float ids[N * T] = {1, 2, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0};

typedef struct {
    spec *s;
    model_graph *m;
} built;

/* Builds an evaluation graph for batch N from a spec whose layers are given (read from the
 * token ids of ids.csv, vocabulary 5), feeds `ids` and runs it with every layer readable. */
static built build_and_run(const char *layers)
{
    write_file("ids.csv", "0,1,2,0,0\n1,0,3,0,4\n0,0,0,0,0\n");
    char text[2048];
    snprintf(text, sizeof text,
             "name: t\n"
             "data:\n"
             "  train: {dataset: csv, path: ids.csv, header: false}\n"
             "model:\n"
             "  input: [%d]\n"
             "  layers:\n"
             "%s"
             "    - {dense: 2, name: logits}\n"
             "loss: {cross_entropy: {pred: logits, target: target}}\n"
             "train: {optimizer: {adam: {lr: 0.01}}, batch: %d, epochs: 1}\n",
             T, layers, N);
    write_file("t.yaml", text);
    diag d;
    diag_init(&d);
    built b = {spec_load("t.yaml", NULL, 0, &d), NULL};
    data_info info;
    assert_non_null(b.s);
    assert_int_equal(data_describe(b.s, &info, &d), 0);
    nn_rng r;
    nn_rng_seed(&r, 3);
    b.m = model_build(b.s, &info, N, 0, NULL, &r, &d);
    if (!b.m) diag_print(&d, stderr);
    assert_non_null(b.m);
    diag_free(&d);
    return b;
}

static void run_model(built *b)
{
    assert_int_equal(model_plan(b->m, b->m->out, b->s->nets[0].n_layers), 0);
    model_feed(b->m, ids, NULL, N);
    nn_plan_run(b->m->g, b->m->plan);
}

static void built_free(built *b)
{
    model_free(b->m);
    spec_free(b->s);
}

/* The parameter called name ("r.weight_ih_reverse"); fails the test if there is none. */
static float *param(built *b, const char *name)
{
    for (int k = 0; k < b->m->n_params; k++)
        if (strcmp(b->m->g->nodes[b->m->params[k]].label, name) == 0) return nn_data(b->m->g, b->m->params[k]);
    print_error("no parameter %s\n", name);
    fail();
    return NULL;
}

typedef struct {
    const float *wih, *whh, *b;   /* (G*H, D), (G*H, H), (G*H) */
} direction;

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/* One step of the reference recurrence: h (and c for an LSTM) updated from input e (D). */
static void reference_step(int lstm, const direction *w, const float *e, int d_in, int h_n, float *h, float *c)
{
    int rows = (lstm ? 4 : 1) * h_n;
    float pre[64], prev[16];
    memcpy(prev, h, (size_t)h_n * sizeof(float));
    for (int r = 0; r < rows; r++) {
        pre[r] = w->b[r];
        for (int k = 0; k < d_in; k++) pre[r] += w->wih[r * d_in + k] * e[k];
        for (int k = 0; k < h_n; k++) pre[r] += w->whh[r * h_n + k] * prev[k];
    }
    for (int j = 0; j < h_n; j++) {
        if (!lstm) {
            h[j] = tanhf(pre[j]);
            continue;
        }
        float i = sigmoid(pre[j]), f = sigmoid(pre[h_n + j]), g = tanhf(pre[2 * h_n + j]), o = sigmoid(pre[3 * h_n + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * tanhf(c[j]);
    }
}

/* Sequence n's outputs in one direction (step -1 or +1 through time), written at each real
 * step t into want[(n*T + t) * 2H + offset] and the state after the last step processed into
 * last[n * 2H + offset]; padding steps are skipped. */
static void reference_direction(int lstm, const direction *w, const float *table, int d_in, int h_n, int n, int step,
                                int offset, float *want, float *last)
{
    float h[16] = {0}, c[16] = {0};
    for (int k = 0; k < T; k++) {
        int t = step > 0 ? k : T - 1 - k, id = (int)ids[n * T + t];
        if (id == 0) continue;
        reference_step(lstm, w, table + id * d_in, d_in, h_n, h, c);
        memcpy(want + (size_t)(n * T + t) * 2 * h_n + offset, h, (size_t)h_n * sizeof(float));
    }
    memcpy(last + n * 2 * h_n + offset, h, (size_t)h_n * sizeof(float));
}

/* A bidirectional layer of `kind` (units 3 over embeddings of 2) with output all and one with
 * output last, both reading the embedding, against the reference: per step [forward,
 * reverse], 0 at padding; last = [forward after the last real step, reverse after the first]. */
static void check_bidirectional_against_reference(const char *kind)
{
    enum { D = 2, H = 3 };
    char layers[512];
    snprintf(layers, sizeof layers,
             "    - {embedding: {vocab: 5, dim: %d, padding_id: 0}, name: emb}\n"
             "    - {%s: {units: %d, output: all, mask: input, bidirectional: true}, name: every}\n"
             "    - {%s: {units: %d, output: last, mask: input, bidirectional: true}, name: last, from: emb}\n",
             D, kind, H, kind, H);
    built b = build_and_run(layers);
    int lstm = strcmp(kind, "lstm") == 0;
    direction dirs[2][2];   /* [layer every/last][forward/reverse] */
    static const char *const layer_names[2] = {"every", "last"};
    for (int l = 0; l < 2; l++)
        for (int r = 0; r < 2; r++) {
            char name[3][64];
            snprintf(name[0], 64, "%s.weight_ih%s", layer_names[l], r ? "_reverse" : "");
            snprintf(name[1], 64, "%s.weight_hh%s", layer_names[l], r ? "_reverse" : "");
            snprintf(name[2], 64, "%s.bias%s", layer_names[l], r ? "_reverse" : "");
            dirs[l][r] = (direction){param(&b, name[0]), param(&b, name[1]), param(&b, name[2])};
        }
    run_model(&b);
    nn_graph *g = b.m->g;
    expect_shape(g, b.m->out[1], nn_shape3(N, T, 2 * H));
    expect_shape(g, b.m->out[2], nn_shape2(N, 2 * H));
    const float *table = param(&b, "emb.weight");
    float want_all[N * T * 2 * H] = {0}, want_last[N * 2 * H] = {0}, unused[N * T * 2 * H];
    for (int n = 0; n < N; n++) {
        reference_direction(lstm, &dirs[0][0], table, D, H, n, +1, 0, want_all, unused);
        reference_direction(lstm, &dirs[0][1], table, D, H, n, -1, H, want_all, unused);
        reference_direction(lstm, &dirs[1][0], table, D, H, n, +1, 0, unused, want_last);
        reference_direction(lstm, &dirs[1][1], table, D, H, n, -1, H, unused, want_last);
    }
    expect_data(g, b.m->out[1], want_all, N * T * 2 * H);
    expect_data(g, b.m->out[2], want_last, N * 2 * H);
    /* the two directions really differ (else a bug running one twice would pass) */
    assert_true(fabsf(want_last[0] - want_last[H]) > 1e-4f);
    built_free(&b);
}

static void test_a_bidirectional_rnn_matches_both_directions_run_by_hand_over_padded_sequences(void **state)
{
    (void)state;
    check_bidirectional_against_reference("rnn");
}

static void test_a_bidirectional_lstm_matches_both_directions_run_by_hand_over_padded_sequences(void **state)
{
    (void)state;
    check_bidirectional_against_reference("lstm");
}

/* Every output is tanh(e - 1) < 0 (embedding e of one value, w_ih 1, w_hh 0, bias -1), so a
 * padding step's 0 would win an unmasked maximum and shrink an unmasked mean. */
static void test_mean_and_max_outputs_pool_over_real_steps_only(void **state)
{
    (void)state;
    built b = build_and_run("    - {embedding: {vocab: 5, dim: 1, padding_id: 0}, name: emb}\n"
                            "    - {rnn: {units: 1, output: mean, mask: input, bidirectional: true}, name: avg}\n"
                            "    - {rnn: {units: 1, output: max, mask: input, bidirectional: true}, name: top, from: emb}\n");
    static const float table[5] = {0, 0.1f, 0.5f, 0.3f, 0.2f};
    memcpy(param(&b, "emb.weight"), table, sizeof table);
    static const char *const names[] = {"avg.weight_ih", "avg.weight_hh", "avg.bias", "avg.weight_ih_reverse",
                                        "avg.weight_hh_reverse", "avg.bias_reverse", "top.weight_ih", "top.weight_hh",
                                        "top.bias", "top.weight_ih_reverse", "top.weight_hh_reverse", "top.bias_reverse"};
    static const float values[3] = {1, 0, -1};   /* w_ih, w_hh, bias */
    for (int k = 0; k < 12; k++) *param(&b, names[k]) = values[k % 3];
    run_model(&b);
    nn_graph *g = b.m->g;
    expect_shape(g, b.m->out[1], nn_shape2(N, 2));
    float h1 = tanhf(0.1f - 1), h2 = tanhf(0.5f - 1), h3 = tanhf(0.3f - 1), h4 = tanhf(0.2f - 1);
    float m0 = (h1 + h2) / 2, m1 = (h3 + h4) / 2, x1 = fmaxf(h3, h4);
    /* sequence 2 has no real step: 0 rather than a penalty or a division by zero */
    expect_data(g, b.m->out[1], (float[]){m0, m0, m1, m1, 0, 0}, 2 * N);
    expect_data(g, b.m->out[2], (float[]){h2, h2, x1, x1, 0, 0}, 2 * N);
    built_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_bidirectional_rnn_matches_both_directions_run_by_hand_over_padded_sequences),
        cmocka_unit_test(test_a_bidirectional_lstm_matches_both_directions_run_by_hand_over_padded_sequences),
        cmocka_unit_test(test_mean_and_max_outputs_pool_over_real_steps_only),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
