/* The step decoder (interpreter/run/step_decoder.c) and the searches over it (seq_search.c):
 * a decoder run one step at a time, with its keys and values cached, must give the logits the
 * graph gives for the whole target sequence at once (teacher forcing), for every layer kind it
 * runs (sinusoidal and learned positions, post-norm and pre-norm gelu decoder layers, causal
 * self-attention and cross-attention layers, layer norm, dense with an activation; a gru that
 * attends, an lstm and an rnn started from an encoder's last state), also after beam search
 * reorders its rows; greedy search must pick what re-running the graph on each
 * prefix picks; and beam search wide enough to keep every hypothesis must find the sequence
 * with the best length-normalised log-probability, as enumerating them all does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_setup.h"
#include "diag.h"
#include "model_build.h"
#include "nn/text.h"
#include "seq_search.h"
#include "spec.h"
#include "spec_util.h"
#include "step_decoder.h"
#include "tmpdir.h"

enum { T = 6, V = 12 };

static const char *const transformer_layers =
    "    - {embedding: {vocab: 12, dim: 8, padding_id: 0}, name: source}\n"
    "    - {positional_encoding: {kind: sinusoidal}, name: source_positions}\n"
    "    - {transformer_encoder: {heads: 2, ff: 16, mask: input}, name: memory}\n"
    "    - {shift: {fill: 1}, from: target, name: decoder_input}\n"
    "    - {embedding: {vocab: 12, dim: 8, padding_id: 0, words: target}, name: target_embedding}\n"
    "    - {positional_encoding: {kind: learned}, name: target_positions}\n"
    "    - {dropout: 0.1, name: drop}\n"
    "    - {transformer_decoder: {heads: 2, ff: 16, memory_mask: input}, from: [drop, memory], name: dec1}\n"
    "    - {transformer_decoder: {heads: 4, ff: 16, memory_mask: input, norm_first: true, activation: gelu}, from: [dec1, memory], name: dec2}\n"
    "    - {attention: {heads: 2, causal: true}, name: self}\n"
    "    - {attention: {heads: 2, mask: input}, from: [self, memory], name: cross}\n"
    "    - {layer_norm: {}, name: norm}\n"
    "    - {dense: 16, act: tanh}\n"
    "    - {dense: 12, name: logits}\n";

/* The tutorial's seq2seq RNN and more: a gru encoder, its last real state as the decoders'
 * initial state, a gru that attends to the encoder (Bahdanau), then an lstm and an rnn from
 * initial states too. */
static const char *const recurrent_layers =
    "    - {embedding: {vocab: 12, dim: 8, padding_id: 0}, name: source}\n"
    "    - {gru: {units: 6, output: all, mask: input}, name: encoder}\n"
    "    - {last_over: {mask: input}, from: encoder, name: encoder_state}\n"
    "    - {shift: {fill: 1}, from: target, name: decoder_input}\n"
    "    - {embedding: {vocab: 12, dim: 8, padding_id: 0, words: target}}\n"
    "    - {gru: {units: 6, output: all, initial_state: encoder_state, attend: encoder, attend_mask: input}, name: attend}\n"
    "    - {lstm: {units: 6, output: all, initial_state: encoder_state}, name: cells}\n"
    "    - {rnn: {units: 6, output: all, initial_state: encoder_state}, name: plain}\n"
    "    - {dense: 12, name: logits}\n";

static const char *layers = NULL;   /* the model the tests build: one of the two */

/* A translation spec of `steps` steps with the given layers, written as FILE. */
static void write_spec(const char *file, int steps, const char *model_layers)
{
    char text[4096];
    snprintf(text, sizeof text,
             "name: t\nseed: 2\n"
             "data:\n  train: {dataset: translation, split: train, path: pairs, max_words: %d}\n"
             "  test: {dataset: translation, split: test}\n"
             "model:\n  input: [%d]\n  layers:\n%s"
             "loss: {cross_entropy: {pred: logits, target: target, ignore: 0}}\n"
             "train: {optimizer: {adam: {lr: 0.001}}, batch: 4, epochs: 1}\n",
             steps, steps, model_layers);
    write_file(file, text);
}

typedef struct {
    spec_model sm;
    model_graph *m;
    spec *s;
    int pred;
} built;

/* FILE's evaluation graph for `batch` rows and its logits layer. */
static built build_file(const char *file, int batch)
{
    built b = {spec_model_build(file, batch, 0), NULL, NULL, -1};
    b.m = b.sm.m, b.s = b.sm.s;
    b.pred = spec_model_layer(&b.sm, "logits");
    return b;
}

/* The current layers, T steps. */
static built build(int batch)
{
    write_spec("t.yaml", T, layers);
    return build_file("t.yaml", batch);
}

static void release(built *b) { spec_model_free(&b->sm); }

/* Source ids: words 4..V-1, then padding from a length of 2..T. */
static void make_sources(float *x, int n, unsigned seed)
{
    srand(seed);
    for (int i = 0; i < n; i++) {
        int len = 2 + rand() % (T - 1);
        for (int t = 0; t < T; t++) x[i * T + t] = t < len ? (float)(4 + rand() % (V - 4)) : 0.0f;
    }
}

/* The graph's logits (n, T, V) for sources x and targets y (n, T), teacher-forced. */
static void graph_logits(built *b, const float *x, const float *y, int n, float *out)
{
    model_feed(b->m, x, y, n);
    nn_plan_run(b->m->g, b->m->plan);
    memcpy(out, nn_data(b->m->g, b->m->out[b->pred]), (size_t)n * T * V * sizeof(float));
}

static step_decoder *decoder(built *b, int beams)
{
    char err[512];
    step_decoder *sd = step_decoder_new(b->m, b->pred, beams, err, sizeof err);
    if (!sd) fail_msg("%s", err);
    assert_int_equal(step_decoder_steps(sd), T);
    assert_int_equal(step_decoder_classes(sd), V);
    assert_int_equal(step_decoder_start_id(sd), NN_PAIR_SOS);
    return sd;
}

static void expect_row(const float *got, const float *want, const char *what, int r, int t)
{
    for (int v = 0; v < V; v++)
        if (fabsf(got[v] - want[v]) > 2e-5f * (1.0f + fabsf(want[v])))
            fail_msg("%s: row %d step %d class %d: step decoder %.7f, graph %.7f", what, r, t, v, got[v], want[v]);
}

static void teacher_forced(void)
{
    enum { B = 4 };
    built b = build(B);
    float x[B * T], y[B * T], want[B * T * V];
    make_sources(x, B, 7);
    make_sources(y, B, 8);
    graph_logits(&b, x, y, B, want);
    step_decoder *sd = decoder(&b, 1);
    char err[256];
    assert_int_equal(step_decoder_begin(sd, x, B, 1, err, sizeof err), 0);
    for (int t = 0; t < T; t++) {
        int tok[B];
        for (int r = 0; r < B; r++) tok[r] = t == 0 ? NN_PAIR_SOS : (int)y[r * T + t - 1];
        const float *z = step_decoder_step(sd, tok, t);
        for (int r = 0; r < B; r++) expect_row(z + r * V, want + (r * T + t) * V, "teacher forcing", r, t);
    }
    step_decoder_free(sd);
    release(&b);
}

/* Two sentences of two beams; beam k of sentence i follows target stream (k + t) % 2 at step t:
 * the rows swap every step (reorder), and each row must carry the other's cache along. */
static void reordered(void)
{
    enum { N = 2, K = 2, R = N * K };
    built b = build(R);
    float src[N * T], x[R * T], y[R * T], want[R * T * V];
    make_sources(src, N, 11);
    make_sources(y, R, 12);
    for (int r = 0; r < R; r++) memcpy(x + r * T, src + (r / K) * T, T * sizeof(float));   /* graph row r: sentence r / K, stream r % K */
    graph_logits(&b, x, y, R, want);
    step_decoder *sd = decoder(&b, K);
    char err[256];
    assert_int_equal(step_decoder_begin(sd, src, N, K, err, sizeof err), 0);
    const int swap[R] = {1, 0, 3, 2};
    for (int t = 0; t < T; t++) {
        int tok[R], stream[R];
        for (int r = 0; r < R; r++) {
            stream[r] = (r / K) * K + (r % K + t) % K;
            tok[r] = t == 0 ? NN_PAIR_SOS : (int)y[stream[r] * T + t - 1];
        }
        const float *z = step_decoder_step(sd, tok, t);
        for (int r = 0; r < R; r++) expect_row(z + r * V, want + (stream[r] * T + t) * V, "reordered", r, t);
        step_decoder_reorder(sd, swap);
    }
    step_decoder_free(sd);
    release(&b);
}

static void test_steps_give_the_teacher_forced_logits(void **state)
{
    (void)state;
    layers = transformer_layers;
    teacher_forced();
    layers = recurrent_layers;
    teacher_forced();
    layers = transformer_layers;
}

static void test_reordered_rows_carry_their_caches_and_states(void **state)
{
    (void)state;
    layers = transformer_layers;
    reordered();
    layers = recurrent_layers;
    reordered();
    layers = transformer_layers;
}

static int argmax(const float *z)
{
    int best = 0;
    for (int v = 1; v < V; v++)
        if (z[v] > z[best]) best = v;
    return best;
}

static void greedy_against_prefix_runs(void)
{
    enum { B = 4 };
    built b = build(B);
    float x[B * T], y[B * T] = {0}, z[B * T * V];
    make_sources(x, B, 21);
    int want[B * T] = {0}, done[B] = {0};
    for (int t = 0; t < T; t++) {   /* the O(T^2) way: the graph on the prefix chosen so far */
        graph_logits(&b, x, y, B, z);
        for (int r = 0; r < B; r++) {
            if (done[r]) continue;
            want[r * T + t] = argmax(z + (r * T + t) * V);
            y[r * T + t] = (float)want[r * T + t];
            done[r] = want[r * T + t] == NN_PAIR_EOS;
        }
    }
    step_decoder *sd = decoder(&b, 1);
    int got[B * T];
    float att[B * T * T];   /* the source has T steps */
    char err[256];
    assert_int_equal(seq_search(sd, x, B, 1, NN_PAIR_EOS, got, att, err, sizeof err), 0);
    for (int k = 0; k < B * T; k++)
        if (got[k] != want[k]) fail_msg("sentence %d step %d: greedy search %d, the prefix re-run %d", k / T, k % T, got[k], want[k]);
    /* the weights over the source of every output step: a distribution over its real words */
    for (int r = 0; r < B; r++)
        for (int t = 0; t < T && (t == 0 || got[r * T + t - 1] != NN_PAIR_EOS); t++) {
            float sum = 0;
            for (int s = 0; s < T; s++) {
                float w = att[(r * T + t) * T + s];
                if (x[r * T + s] == 0.0f) assert_float_equal(w, 0.0f, 0.0);
                assert_true(w >= 0.0f);
                sum += w;
            }
            assert_float_equal(sum, 1.0f, 1e-5);
        }
    step_decoder_free(sd);
    release(&b);
}

/* The best length-normalised hypothesis of a sentence, by enumeration. */
typedef struct {
    float norm;
    int tokens[T];
} hypothesis;

static float log_softmax_at(const float *z, int id)
{
    float m = z[0];
    for (int v = 1; v < V; v++) m = z[v] > m ? z[v] : m;
    double s = 0;
    for (int v = 0; v < V; v++) s += exp((double)(z[v] - m));
    return z[id] - m - (float)log(s);
}

static void test_greedy_picks_what_rerunning_each_prefix_picks(void **state)
{
    (void)state;
    layers = transformer_layers;
    greedy_against_prefix_runs();
    layers = recurrent_layers;
    greedy_against_prefix_runs();
    layers = transformer_layers;
}

static void test_a_beam_that_keeps_everything_finds_the_best_hypothesis(void **state)
{
    (void)state;
    /* every token sequence of up to 3 steps that ends at EOS or at the third step, scored by
       the graph (V^3 of them), against beam search with V^2 beams, which keeps them all */
    write_spec("t3.yaml", 3, transformer_layers);
    built b = build_file("t3.yaml", 48);
    for (int sentence = 0; sentence < 3; sentence++) {
        float x[3] = {(float)(4 + sentence), (float)(5 + 2 * sentence), sentence == 1 ? 0.0f : 7.0f};
        hypothesis want = {-INFINITY, {0}};
        {
            int batch = b.m->batch, total = V * V * V;
            float xs[48 * 3], ys[48 * 3], z[48 * 3 * V];
            for (int i = 0; i < batch; i++) memcpy(xs + i * 3, x, sizeof x);
            for (int first = 0; first < total; first += batch) {
                int n = total - first < batch ? total - first : batch;
                memset(ys, 0, sizeof ys);
                for (int i = 0; i < n; i++)
                    for (int t = 0, code = first + i; t < 3; t++, code /= V) ys[i * 3 + t] = (float)(code % V);
                model_feed(b.m, xs, ys, batch);
                nn_plan_run(b.m->g, b.m->plan);
                memcpy(z, nn_data(b.m->g, b.m->out[b.pred]), sizeof z);
                for (int i = 0; i < n; i++) {
                    double lp = 0;
                    for (int t = 0; t < 3; t++) {
                        int id = (int)ys[i * 3 + t];
                        lp += log_softmax_at(z + (i * 3 + t) * V, id);
                        int len = t + 1;
                        if (id != NN_PAIR_EOS && len < 3) continue;
                        if ((float)(lp / len) > want.norm) {
                            want.norm = (float)(lp / len);
                            for (int k = 0; k < 3; k++) want.tokens[k] = k < len ? (int)ys[i * 3 + k] : 0;
                        }
                        break;
                    }
                }
            }
        }
        step_decoder *sd = step_decoder_new(b.m, b.pred, V * V, (char[256]){0}, 256);
        assert_non_null(sd);
        int got[3];
        char err[256];
        assert_int_equal(seq_search(sd, x, 1, V * V, NN_PAIR_EOS, got, NULL, err, sizeof err), 0);
        for (int t = 0; t < 3; t++)
            if (got[t] != want.tokens[t])
                fail_msg("sentence %d step %d: beam search %d, enumeration %d (best normalised log-probability %.5f)", sentence, t,
                         got[t], want.tokens[t], want.norm);
        step_decoder_free(sd);
    }
    release(&b);
}

static void test_a_layer_that_sees_later_steps_is_refused_by_name(void **state)
{
    (void)state;
    write_spec("peek.yaml", T,
               "    - {embedding: {vocab: 12, dim: 8}, name: source}\n"
               "    - {shift: {fill: 1}, from: target}\n"
               "    - {embedding: {vocab: 12, dim: 8, words: target}}\n"
               "    - {attention: {heads: 2}, name: peek}\n"
               "    - {dense: 12, name: logits}\n");
    built b = build_file("peek.yaml", 2);
    char err[512];
    assert_null(step_decoder_new(b.m, b.pred, 1, err, sizeof err));
    assert_non_null(strstr(err, "layer 'peek' (attention)"));
    assert_non_null(strstr(err, "later steps"));
    release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_give_the_teacher_forced_logits),
        cmocka_unit_test(test_reordered_rows_carry_their_caches_and_states),
        cmocka_unit_test(test_greedy_picks_what_rerunning_each_prefix_picks),
        cmocka_unit_test(test_a_beam_that_keeps_everything_finds_the_best_hypothesis),
        cmocka_unit_test(test_a_layer_that_sees_later_steps_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
