/* Several nets, loss groups and steps in one spec: a net called twice shares its weights, each
 * step computes only its own gradients and updates only its nets, a two-step GAN trains and
 * resumes bit for bit, checkpoints name every net's weights, and wrong calls are spec errors
 * at their file:line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "data_setup.h"
#include "model_build.h"
#include "nn/ops.h"
#include "nn/safetensors.h"
#include "run_files.h"
#include "spec.h"
#include "tmpdir.h"
#include "spec_util.h"
#include "trainer.h"

/* A GAN on points of a parabola: D(data) and D(G) in one group, D(G) again in the other. */
static const char gan_spec[] = "name: gan\n"
                               "seed: 2\n"
                               "data:\n"
                               "  train: {dataset: points, points: parabola, n: 300, range: [-1, 1]}\n"
                               "  test: {dataset: points, points: parabola, n: 64, range: [-1, 1]}\n"
                               "nets:\n"
                               "  G:\n"
                               "    input: {noise: [2]}\n"
                               "    layers: [{dense: 16, act: tanh}, {dense: 2, name: xy}]\n"
                               "  D:\n"
                               "    input: [2]\n"
                               "    layers: [{dense: 16, act: tanh, name: h}, {dense: 1, name: logit}]\n"
                               "losses:\n"
                               "  critic:\n"
                               "    - {bce_with_logits: {pred: D(data), target: 1}}\n"
                               "    - {bce_with_logits: {pred: D(G), target: 0}}\n"
                               "  gen: {bce_with_logits: {pred: D(G), target: 1}}\n"
                               "train:\n"
                               "  optimizer: {adam: {lr: 0.01, betas: [0.5, 0.999]}}\n"
                               "  batch: 32\n"
                               "  epochs: 4\n"
                               "  steps:\n"
                               "    - {minimize: critic, update: D, repeat: 2}\n"
                               "    - {minimize: gen, update: G, optimizer: {sgd: {lr: 0.05}}}\n"
                               "report: [loss_curve, {points: {layers: [data, G, G.xy], during_training: true}}]\n";

static spec *load(const char *file, diag *d)
{
    spec *s = spec_load(file, NULL, 0, d);
    if (!s) diag_print(d, stderr);
    assert_non_null(s);
    return s;
}

static model_graph *build_training_graph(const spec *s, diag *d)
{
    data_info info;
    assert_int_equal(data_describe(s, &info, d), 0);
    nn_rng r;
    nn_rng_seed(&r, 1);
    model_graph *m = model_build(s, &info, 8, 1, NULL, &r, d);
    if (!m) diag_print(d, stderr);
    assert_non_null(m);
    return m;
}

/* gan_spec's training graph at batch 8, with its spec (gan_graph_free releases both). */
typedef struct {
    spec *s;
    model_graph *m;
} gan_graph;

static gan_graph gan_graph_build(void)
{
    write_file("gan.yaml", gan_spec);
    diag d;
    diag_init(&d);
    gan_graph gg;
    gg.s = load("gan.yaml", &d);
    gg.m = build_training_graph(gg.s, &d);
    diag_free(&d);
    return gg;
}

static void gan_graph_free(gan_graph *gg)
{
    model_free(gg->m);
    spec_free(gg->s);
}

static int net_of_call(const model_graph *m, const spec *s, const char *net, int which)
{
    for (int i = 0, seen = 0; i < m->n_calls; i++)
        if (strcmp(s->nets[m->calls[i].net].name, net) == 0 && seen++ == which) return i;
    return -1;
}

static void test_a_net_called_twice_shares_its_weights(void **state)
{
    (void)state;
    gan_graph gg = gan_graph_build();
    const spec *s = gg.s;
    const model_graph *m = gg.m;
    int first = net_of_call(m, s, "D", 0), second = net_of_call(m, s, "D", 1);
    assert_true(first >= 0 && second >= 0);
    assert_int_equal(net_of_call(m, s, "D", 2), -1);   /* D(G) in both groups is one call */
    assert_int_equal(net_of_call(m, s, "G", 1), -1);
    assert_int_equal(m->calls[first].weight[0], m->calls[second].weight[0]);
    assert_int_equal(m->calls[first].bias[1], m->calls[second].bias[1]);
    assert_int_not_equal(m->calls[first].out[1], m->calls[second].out[1]);
    /* G: 2*16 + 16 + 16*2 + 2; D: 2*16 + 16 + 16 + 1 */
    assert_int_equal(m->g->n_param_floats, 82 + 65);
    assert_string_equal(m->g->nodes[m->calls[first].weight[0]].label, "D.h.weight");
    gan_graph_free(&gg);
}

/* Is any node of plan p bound into block [b, b + n)? */
static int plan_writes_into(const model_graph *m, const nn_plan *p, const float *b, size_t n)
{
    for (int k = 0; k < p->n; k++) {
        const nn_node *nd = &m->g->nodes[p->order[k]];
        if (nd->bound && nd->data >= b && nd->data < b + n) return 1;
    }
    return 0;
}

static void test_each_step_computes_only_its_own_gradients(void **state)
{
    (void)state;
    gan_graph gg = gan_graph_build();
    const model_graph *m = gg.m;
    assert_int_equal(m->n_steps, 2);
    const step_graph *critic = &m->steps[0], *gen = &m->steps[1];
    assert_int_equal(critic->n_grad_floats, 65);
    assert_int_equal(gen->n_grad_floats, 82);
    assert_true(plan_writes_into(m, critic->plan, critic->grad_block, critic->n_grad_floats));
    assert_false(plan_writes_into(m, critic->plan, gen->grad_block, gen->n_grad_floats));
    assert_true(plan_writes_into(m, gen->plan, gen->grad_block, gen->n_grad_floats));
    assert_false(plan_writes_into(m, gen->plan, critic->grad_block, critic->n_grad_floats));
    assert_true(critic->reads_data);
    assert_false(gen->reads_data);   /* G's loss needs noise only */
    gan_graph_free(&gg);
}

static int plan_runs(const nn_plan *p, int lo, int hi)
{
    for (int k = 0; k < p->n; k++)
        if (p->order[k] >= lo && p->order[k] < hi) return 1;
    return 0;
}

/* The generator step takes G(z) from the critic step's last run (its carry plan): it runs none of
 * G's nodes and draws no noise, and gives the loss and gradients, to the bit, that its full plan
 * gives when it draws the noise the critic step drew, after D's weights have changed. */
static void test_the_generator_step_reuses_g_of_the_critic_step(void **state)
{
    (void)state;
    gan_graph gg = gan_graph_build();
    model_graph *m = gg.m;
    nn_graph *g = m->g;
    const step_graph *critic = &m->steps[0], *gen = &m->steps[1];
    assert_null(critic->carry_plan);                  /* the first step of an iteration takes nothing */
    assert_non_null(gen->carry_plan);
    const net_call *gc = &m->calls[net_of_call(m, gg.s, "G", 0)];
    assert_true(plan_runs(gen->plan, gc->first_node, gc->end_node));
    assert_false(plan_runs(gen->carry_plan, gc->first_node, gc->end_node));
    assert_true(nn_plan_flops(g, gen->carry_plan) < nn_plan_flops(g, gen->plan));
    float *x = nn_data(g, m->x);
    for (size_t i = 0; i < nn_numel(g, m->x); i++) x[i] = (float)i / 7.0f - 1.0f;
    nn_rng before = g->rng;
    nn_plan_run(g, critic->plan);
    nn_rng drawn = g->rng;
    for (int i = 0; i < critic->n_params; i++) {      /* D's update */
        float *w = nn_data(g, critic->params[i]);
        for (size_t j = 0; j < nn_numel(g, critic->params[i]); j++) w[j] += 0.05f * (float)((j % 5) - 2);
    }
    nn_plan_run(g, gen->carry_plan);
    assert_memory_equal(&g->rng, &drawn, sizeof drawn);   /* no noise drawn */
    float loss = nn_data(g, m->group_loss[1])[0], *grads = malloc(gen->n_grad_floats * sizeof *grads);
    memcpy(grads, gen->grad_block, gen->n_grad_floats * sizeof *grads);
    g->rng = before;                                   /* the full plan draws the critic step's noise */
    nn_plan_run(g, gen->plan);
    assert_memory_equal(&loss, nn_data(g, m->group_loss[1]), sizeof loss);
    assert_memory_equal(grads, gen->grad_block, gen->n_grad_floats * sizeof *grads);
    free(grads);
    gan_graph_free(&gg);
}

/* Nothing is carried into a step when the step before updates what it computes (one net, two
 * steps), and a generator's batch-norm statistics are updated once an iteration (by the critic
 * step that computes G), not again by the generator step. */
static void test_nothing_changed_is_carried_and_statistics_update_once(void **state)
{
    (void)state;
    write_file("bn.yaml", "name: bn\n"
                          "data: {train: {dataset: points, points: parabola, n: 64, range: [-1, 1]}}\n"
                          "nets:\n"
                          "  G: {input: {noise: [2]}, layers: [{dense: 8}, batchnorm, {dense: 2, name: xy}]}\n"
                          "  D: {input: [2], layers: [{dense: 8, act: tanh}, batchnorm, {dense: 1, name: logit}]}\n"
                          "losses:\n"
                          "  critic: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]\n"
                          "  gen: {bce_with_logits: {pred: D(G), target: 1}}\n"
                          "train:\n"
                          "  batch: 16\n"
                          "  steps: [{minimize: critic, update: D}, {minimize: gen, update: G}]\n");
    diag d;
    diag_init(&d);
    spec *s = load("bn.yaml", &d);
    model_graph *m = build_training_graph(s, &d);
    int ema_full = 0, ema_carry = 0;
    for (int k = 0; k < m->steps[1].plan->n; k++)
        ema_full += strcmp(nn_op_def_at(m->g->nodes[m->steps[1].plan->order[k]].op)->name, "ema_update") == 0;
    for (int k = 0; k < m->steps[1].carry_plan->n; k++)
        ema_carry += strcmp(nn_op_def_at(m->g->nodes[m->steps[1].carry_plan->order[k]].op)->name, "ema_update") == 0;
    assert_int_equal(ema_full, 4);    /* G's mean and variance, D(G)'s (never D(data)'s: not this step's) */
    assert_int_equal(ema_carry, 2);   /* D's only */
    model_free(m);
    spec_free(s);
    write_file("one2.yaml", "data: {train: {dataset: function, expr: \"x^2\", range: [-1, 1], n: 64}}\n"
                            "model: {input: [1], layers: [{dense: 8, act: tanh}, {dense: 1, name: out}]}\n"
                            "losses: {fit: {mse: {pred: out, target: target}}, small: {mse: {pred: out, target: 0}}}\n"
                            "train: {steps: [{minimize: fit, update: model}, {minimize: small, update: model}]}\n");
    s = load("one2.yaml", &d);
    m = build_training_graph(s, &d);
    assert_null(m->steps[1].carry_plan);
    model_free(m);
    spec_free(s);
    diag_free(&d);
}

typedef struct {
    int status, epochs;
    float critic[8], gen[8];
    long steps;
} gan_run;

static gan_run run_gan(const char *out, int resume, long interrupt_at)
{
    gan_run r = {0};
    spec_run sr;
    spec_run_train(&sr, "gan.yaml", out, NULL, 0, resume, interrupt_at);
    const trainer *t = &sr.t;
    r.status = sr.status;
    r.epochs = t->h.n;
    r.steps = t->step;
    for (int e = 0; e < t->h.n && e < 8; e++) {
        r.critic[e] = t->h.col[t->hc.train[0]][e];
        r.gen[e] = t->h.col[t->hc.train[1]][e];
    }
    spec_run_free(&sr);
    return r;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    b[*len] = 0;
    return b;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
    free(x), free(y);
}

static void test_a_two_step_gan_trains_and_resumes_bit_for_bit(void **state)
{
    (void)state;
    write_file("gan.yaml", gan_spec);
    gan_run full = run_gan("runs/full", 0, 0);
    assert_int_equal(full.status, 0);
    assert_int_equal(full.epochs, 4);
    /* 300 points, batch 32: 10 batches an epoch, two per iteration (repeat: 2) -> 5 iterations */
    assert_int_equal(full.steps, 20);
    for (int e = 0; e < 4; e++) assert_true(isfinite(full.critic[e]) && isfinite(full.gen[e]));
    gan_run cut = run_gan("runs/cut", 0, 7);   /* in the middle of epoch 2 */
    assert_int_equal(cut.status, 130);
    assert_int_equal(cut.epochs, 1);
    gan_run rest = run_gan("runs/cut", 1, 0);
    assert_int_equal(rest.status, 0);
    assert_int_equal(rest.epochs, 4);
    assert_memory_equal(full.critic, rest.critic, sizeof full.critic);
    assert_memory_equal(full.gen, rest.gen, sizeof full.gen);
    assert_same_file("runs/full/model.safetensors", "runs/cut/model.safetensors");
    assert_same_file("runs/full/steps.csv", "runs/cut/steps.csv");
    /* every net's weights under its name; each step's optimizer state under the step's */
    char err[256];
    nn_st_file *w = nn_st_open("runs/full/model.safetensors", err, sizeof err);
    assert_non_null(w);
    assert_true(nn_st_find(w, "G.xy.weight") >= 0 && nn_st_find(w, "D.logit.bias") >= 0);
    nn_st_close(w);
    nn_st_file *st = nn_st_open("runs/full/state.safetensors", err, sizeof err);
    assert_non_null(st);
    assert_true(nn_st_find(st, "optimizer.critic.m") >= 0);              /* adam */
    assert_true(nn_st_find(st, "history.train_gen") >= 0 && nn_st_find(st, "history.lr_critic") >= 0);
    nn_st_close(st);
    size_t len;
    char *csv = slurp("runs/full/steps.csv", &len);
    assert_non_null(strstr(csv, "step,epoch,train_critic,train_gen,lr_critic,lr_gen\n"));
    free(csv);
    FILE *f = fopen("runs/full/points_epoch_2.png", "rb");
    assert_non_null(f);   /* drawn during training */
    fclose(f);
}

/* One net with two loss groups and two steps: its layers keep their bare names in losses and
 * its weights their short names; both steps update it, each with its own optimizer. */
static void test_one_net_with_two_steps_keeps_bare_names(void **state)
{
    (void)state;
    write_file("one.yaml", "data: {train: {dataset: function, expr: \"x^2\", range: [-1, 1], n: 64}}\n"
                           "model: {input: [1], layers: [{dense: 8, act: tanh}, {dense: 1, name: out}]}\n"
                           "losses:\n"
                           "  fit: {mse: {pred: out, target: target}}\n"
                           "  small: {mse: {pred: out, target: 0}}\n"
                           "train:\n"
                           "  epochs: 2\n"
                           "  steps:\n"
                           "    - {minimize: fit, update: model}\n"
                           "    - {minimize: small, update: model, optimizer: {sgd: {lr: 0.001}}}\n");
    spec_run r;
    spec_run_train(&r, "one.yaml", "runs/one", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.s->n_steps, 2);
    const model_graph *m = r.t.train_full;
    assert_int_equal(m->steps[0].n_grad_floats, m->steps[1].n_grad_floats);   /* both update the one net */
    assert_string_equal(m->g->nodes[m->weight[1]].label, "out.weight");
    assert_true(isfinite(r.t.h.col[r.t.hc.train[1]][1]));
    spec_run_free(&r);
}

/* `nnrun eval` and `nnrun compare` use a trained model: no training graph, no gradient node, no
 * optimizer state; the weights load into the evaluation graph. */
static void test_an_evaluation_trainer_builds_no_gradients(void **state)
{
    (void)state;
    write_file("gan.yaml", gan_spec);
    gan_run full = run_gan("runs/eval", 0, 0);
    assert_int_equal(full.status, 0);
    diag d;
    diag_init(&d);
    spec *s = load("gan.yaml", &d);
    trainer t;
    assert_int_equal(trainer_init_eval(&t, s, &d), 0);
    assert_null(t.train_full);
    assert_null(t.train_last);
    assert_null(t.opt[0]);
    assert_ptr_equal(trainer_weights(&t), t.eval_full);
    const nn_graph *g = t.eval_full->g;
    for (int i = 0; i < g->n; i++) assert_string_not_equal(g->nodes[i].label, "gradient");
    assert_int_equal(t.eval_full->n_steps, 0);
    char err[256];
    assert_int_equal(checkpoint_load_weights(trainer_weights(&t), "runs/eval/model.safetensors", err, sizeof err), 0);
    eval_result r;
    assert_int_equal(trainer_evaluate(&t, &t.data.test, &r), 0);
    assert_true(isfinite(r.group_loss[0]) && isfinite(r.group_loss[1]));
    assert_int_equal(t.data.train.n, 0);   /* the training split is not even loaded */
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

/* Every problem of EXPECTED is reported for TEXT (the check passes, shapes included). */
static void expect_errors(const char *text, const char *expected)
{
    write_file("bad.yaml", text);
    char *out = spec_check_messages("bad.yaml", NULL, 0);
    if (!strstr(out, expected)) print_error("expected\n  %s\ngot\n%s", expected, out);
    assert_non_null(strstr(out, expected));
    free(out);
}

/* gan_spec with one line replaced */
static void expect_with(const char *from, const char *to, const char *expected)
{
    char text[4096];
    const char *at = strstr(gan_spec, from);
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - gan_spec), gan_spec, to, at + strlen(from));
    expect_errors(text, expected);
}

static void test_wrong_calls_are_spec_errors_at_their_place(void **state)
{
    (void)state;
    expect_with("pred: D(data), target: 1", "pred: E(data), target: 1",
                "bad.yaml:15:32: error: unknown net 'E'");
    expect_with("pred: D(data), target: 1", "pred: \"D(data, data)\", target: 1",
                "bad.yaml:15:32: error: D takes 1 input (input) but is called with 2");
    expect_with("{dense: 2, name: xy}", "{dense: 3, name: xy}", "bad.yaml:16:32: error: D called on [3] but its input 'input' is [2]");
    expect_with("    input: [2]\n", "    input: [3]\n", "bad.yaml:11:12: error: net input [3] does not fit the data's samples [2]");
    expect_with("pred: D(G), target: 0", "pred: D(G, target: 0", "bad.yaml:16:35: error: 'D(G': missing ')' (inside { } a comma ends the value: quote a call with several arguments, \"D(G, data)\")");
    expect_with("pred: D(G), target: 0", "pred: h, target: 0", "bad.yaml:16:32: error: 'h' is a layer of net D: write D.h");
    expect_with("pred: D(G), target: 0", "pred: D.hh, target: 0", "error: unknown layer 'hh' (did you mean 'h'?)");
    expect_with("{minimize: critic, update: D, repeat: 2}", "{minimize: critics, update: D}",
                "error: unknown loss group 'critics' (did you mean 'critic'?)");
    expect_with("{minimize: critic, update: D, repeat: 2}", "{minimize: critic, update: [D, F]}", "error: unknown net 'F'");
    expect_with("  steps:\n", "  stepz:\n", "with several loss groups, train.steps says which group each step minimises");
    expect_with("nets:\n", "model: {input: [2], layers: [dense: 1]}\nnets:\n",
                "error: a spec has either 'model:' (one net) or 'nets:', not both");
    expect_with("  G:\n", "  data:\n", "error: 'data' is reserved and cannot name a net");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_net_called_twice_shares_its_weights),
        cmocka_unit_test(test_each_step_computes_only_its_own_gradients),
        cmocka_unit_test(test_the_generator_step_reuses_g_of_the_critic_step),
        cmocka_unit_test(test_nothing_changed_is_carried_and_statistics_update_once),
        cmocka_unit_test(test_a_two_step_gan_trains_and_resumes_bit_for_bit),
        cmocka_unit_test(test_one_net_with_two_steps_keeps_bare_names),
        cmocka_unit_test(test_an_evaluation_trainer_builds_no_gradients),
        cmocka_unit_test(test_wrong_calls_are_spec_errors_at_their_place),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
