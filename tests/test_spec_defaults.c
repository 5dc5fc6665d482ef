/* spec_with_defaults() writes out what the schema would assume anyway: a spec and its
 * filled-in form must describe the same experiment, and the filled-in form must keep the
 * spec's own key order and values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "spec.h"
#include "spec_defaults.h"

static const char base[] = "name: t\n"
                           "data:\n"
                           "  train: {dataset: function, expr: \"x^2\", range: [-1, 1], n: 64}\n"
                           "model:\n"
                           "  input: [1]\n"
                           "  layers: [{dense: 8, act: tanh}, {dense: 1, name: out}]\n"
                           "loss: {mse: {pred: out, target: target}}\n";

/* Every field but the positions (which say where a value was written). */
static void assert_same_source(data_source x, data_source y)
{
    x.pos = y.pos = x.expr_pos = y.expr_pos = (spec_pos){0};
    assert_memory_equal(&x, &y, sizeof x);
}

static void assert_same_experiment(const spec *a, const spec *b)
{
    const train_spec *x = &a->train, *y = &b->train;
    const step_spec *p = &a->steps[0], *q = &b->steps[0];
    assert_int_equal(a->n_steps, 1);
    assert_int_equal(b->n_steps, 1);
    assert_int_equal(a->seed, b->seed);
    assert_int_equal(p->opt.kind, q->opt.kind);
    assert_true(p->opt.lr == q->opt.lr && p->opt.momentum == q->opt.momentum && p->opt.weight_decay == q->opt.weight_decay);
    assert_true(p->opt.beta1 == q->opt.beta1 && p->opt.beta2 == q->opt.beta2 && p->opt.eps == q->opt.eps);
    assert_true(p->opt.alpha == q->opt.alpha && p->opt.nesterov == q->opt.nesterov);
    assert_int_equal(x->batch, y->batch);
    assert_int_equal(x->epochs, y->epochs);
    assert_int_equal(x->shuffle, y->shuffle);
    assert_int_equal(x->drop_last, y->drop_last);
    assert_int_equal(p->sched.kind, q->sched.kind);
    assert_int_equal(p->sched.warmup_steps, q->sched.warmup_steps);
    assert_true(p->clip_norm == q->clip_norm && p->clip_value == q->clip_value);
    assert_int_equal(x->log_every, y->log_every);
    assert_int_equal(x->limit_batches, y->limit_batches);
    assert_true(x->checkpoint_seconds == y->checkpoint_seconds);
    assert_int_equal(a->nets[0].init.kind, b->nets[0].init.kind);
    assert_int_equal(a->nets[0].bias_init.kind, b->nets[0].bias_init.kind);
    assert_true(a->nets[0].l1 == b->nets[0].l1 && a->nets[0].l2 == b->nets[0].l2);
    assert_memory_equal(&a->nets[0].init, &b->nets[0].init, sizeof a->nets[0].init);
    assert_memory_equal(&a->nets[0].bias_init, &b->nets[0].bias_init, sizeof a->nets[0].bias_init);
    assert_memory_equal(&p->sched, &q->sched, sizeof p->sched);
    assert_same_source(a->data.train, b->data.train);
    assert_same_source(a->data.test, b->data.test);
    assert_true(a->data.validation_fraction == b->data.validation_fraction);
}

static void check_text(const char *first, const char *then);

static void check_variant(const char *train)
{
    check_text(base, train);
}

/* The spec first then then, and its filled-in form, parse to the same experiment. */
static void check_text(const char *first, const char *then)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", first, then);
    diag d;
    diag_init(&d);
    ynode *tree = ydoc_load_string(text, "t.yaml", &d);
    assert_non_null(tree);
    ynode *full = spec_with_defaults(tree, &d);
    assert_non_null(full);
    spec *a = spec_from_tree(tree, "t.yaml", &d), *b = spec_from_tree(full, "t.yaml", &d);
    if (diag_count(&d)) diag_print(&d, stderr);
    assert_non_null(a);
    assert_non_null(b);
    assert_same_experiment(a, b);
    /* the spec's own keys come first, in its order */
    assert_string_equal(full->keys[0], tree->keys[0]);
    assert_string_equal(full->keys[1], tree->keys[1]);
    spec_free(a);
    spec_free(b);
    diag_free(&d);
}

static void test_defaults_describe_the_same_experiment(void **state)
{
    (void)state;
    check_variant("");
    check_variant("train: {batch: 7}\n");
    check_variant("train: {optimizer: sgd}\n");
    check_variant("train: {optimizer: {sgd: {lr: 0.5, momentum: 0.9, nesterov: true}}}\n");
    check_variant("train: {optimizer: rmsprop, epochs: 3}\n");
    check_variant("train: {optimizer: {adamw: {betas: [0.5, 0.9]}}, schedule: {step: {every: 2}}}\n");
    check_variant("seed: 9\n");
    check_variant("train: {schedule: {step: {every: 2}}}\n");
    check_variant("train: {schedule: {cosine: {epochs: 4}}}\n");
    static const char data_loss[] = "data: {train: {dataset: function, expr: \"x\"}}\nloss: {mse: {pred: out}}\n";
    check_text("model: {input: [1], init: he_normal, bias_init: {constant: 0.1}, layers: [{dense: 1, name: out}]}\n", data_loss);
    check_text("model: {input: [1], init: {normal: {mean: 1}}, layers: [{dense: 1, name: out}]}\n", data_loss);
}

/* Data sources get their kind's defaults, in their role (train or test). */
static void test_data_source_defaults_describe_the_same_data(void **state)
{
    (void)state;
    static const char *const data[] = {
        "data: {train: {dataset: mnist}, test: {dataset: mnist}, validation: 0.1}\n",
        "data: {train: {dataset: fashion_mnist, split: test, first: 10}}\n",
        "data: {train: {dataset: csv, path: x.csv, header: false}, test: {dataset: csv, path: y.csv, scale: 2}}\n",
        "data: {train: {dataset: function, expr: \"x\", sampling: random}}\n",
        "data: {train: {dataset: points, points: gaussian, dim: 3}}\n",
        "data: {train: {dataset: imdb, clean: [html], splits: [0.6, 0.2, 0.2]}, test: {dataset: imdb, split: validation}}\n",
        "data: {train: {dataset: chars, file: book.txt, stride: 3}, test: {dataset: chars}}\n",
    };
    for (size_t i = 0; i < sizeof data / sizeof *data; i++) {
        check_text("model: {input: [1], layers: [{dense: 1, name: out}]}\nloss: {mse: {pred: out}}\n", data[i]);
    }
}

static void test_given_values_are_kept(void **state)
{
    (void)state;
    diag d;
    diag_init(&d);
    ynode *tree = ydoc_load_string("train: {optimizer: {adam: {lr: 0.5}}, batch: 3}\n", "t.yaml", &d);
    ynode *full = spec_with_defaults(tree, &d);
    const ynode *train = ymap_get(full, "train");
    const ynode *adam = ymap_get(ymap_get(train, "optimizer"), "adam");
    assert_string_equal(ymap_get(adam, "lr")->str, "0.5");
    assert_string_equal(ymap_get(adam, "eps")->str, "1e-08");
    assert_string_equal(ymap_get(train, "batch")->str, "3");
    assert_string_equal(ymap_get(train, "shuffle")->str, "true");
    ynode_free(tree);
    ynode_free(full);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_describe_the_same_experiment),
        cmocka_unit_test(test_given_values_are_kept),
        cmocka_unit_test(test_data_source_defaults_describe_the_same_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
