/* Character models: the chars dataset holds out the book's tail, the per-step loss and
 * accuracy a sequence classifier reports are means over every step, and the sampling pieces
 * of `nnrun sample` (prime mapping, temperature draws). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "char_sample.h"
#include "nn/text.h"
#include "run_files.h"
#include "spec.h"
#include "tmpdir.h"
#include "trainer.h"

/* 160 symbols: "abcd efgh " repeated, so every position's symbol is known. */
#define TEN "abcd efgh "
static const char book[] = TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN;

static const char chars_spec[] = "name: chars\n"
                                 "seed: 3\n"
                                 "data:\n"
                                 "  train: {dataset: chars, file: book.txt, length: 4, stride: 2, splits: [0.75, 0.25]}\n"
                                 "  test: {dataset: chars, split: test}\n"
                                 "model:\n"
                                 "  input: [4]\n"
                                 "  layers:\n"
                                 "    - {one_hot: 27}\n"
                                 "    - {rnn: {units: 8, act: relu, output: all}}\n"
                                 "    - {dense: 27, name: logits}\n"
                                 "loss: {cross_entropy: {pred: logits, target: target}}\n"
                                 "train: {optimizer: {adam: {lr: 0.01}}, batch: 3, epochs: 2}\n";

static spec *load_chars_spec(void)
{
    write_file("book.txt", book);
    write_file("chars.yaml", chars_spec);
    diag d;
    diag_init(&d);
    spec *s = spec_load("chars.yaml", NULL, 0, &d);
    diag_print(&d, stderr);
    diag_free(&d);
    assert_non_null(s);
    return s;
}

static int symbol_at(size_t i) { return nn_char_symbol((unsigned char)book[i]); }

/* Training windows come from the first 120 symbols (stride 2); the test windows tile the last
 * 40 without overlap (stride = length), so no held-out character is training text. */
static void test_chars_holds_out_the_tail_of_the_book(void **state)
{
    (void)state;
    spec *s = load_chars_spec();
    diag d;
    diag_init(&d);
    run_data rd;
    assert_int_equal(data_setup(s, &rd, &d), 0);
    assert_int_equal(rd.train.n, (120 - 4 - 1) / 2 + 1);
    assert_int_equal(rd.test.n, (40 - 4 - 1) / 4 + 1);
    assert_int_equal(rd.train.y_dim, 4);
    assert_int_equal(rd.train.n_classes, NN_CHAR_SYMBOLS);
    for (int w = 0; w < rd.train.n; w++)   /* the last target of every training window is inside the first 120 */
        assert_true(2 * w + 4 < 120);
    for (int w = 0; w < rd.test.n; w++)
        for (int t = 0; t < 4; t++) {
            assert_int_equal((int)rd.test.x[w * 4 + t], symbol_at(120 + 4 * (size_t)w + t));
            assert_int_equal((int)rd.test.y[w * 4 + t], symbol_at(120 + 4 * (size_t)w + t + 1));
        }
    data_release(&rd);
    diag_free(&d);
    spec_free(s);
}

/* trainer_evaluate's loss is the mean cross entropy over all steps and its accuracy the
 * fraction of steps whose argmax is the next character (recomputed here from the logits). */
static void test_per_step_loss_and_accuracy_are_means_over_every_step(void **state)
{
    (void)state;
    spec *s = load_chars_spec();
    diag d;
    diag_init(&d);
    trainer t;
    char err[512];
    snprintf(s->out_dir, sizeof s->out_dir, "runs/chars");
    assert_int_equal(trainer_init(&t, s, &d), 0);
    assert_int_equal(run_files_begin(&t, err, sizeof err), 0);
    assert_int_equal(trainer_run(&t, NULL, 0), 0);   /* partly trained: some steps right, some wrong */
    const nn_dataset *ds = &t.data.test;   /* 9 windows of 4 steps */
    int layer = spec_find_layer(s, "logits"), rows[64];
    assert_true(ds->n <= 64);
    for (int i = 0; i < ds->n; i++) rows[i] = i;
    assert_int_equal((int)trainer_layer_width(&t, layer), 4 * NN_CHAR_SYMBOLS);
    float *z = malloc((size_t)ds->n * 4 * NN_CHAR_SYMBOLS * sizeof *z);
    assert_int_equal(trainer_layer_outputs(&t, ds, rows, ds->n, layer, z), 0);
    double loss = 0;
    int right = 0;
    for (int k = 0; k < ds->n * 4; k++) {
        const float *row = z + (size_t)k * NN_CHAR_SYMBOLS;
        int best = 0, label = (int)ds->y[k];
        double sum = 0;
        for (int c = 0; c < NN_CHAR_SYMBOLS; c++) {
            sum += exp(row[c]);
            if (row[c] > row[best]) best = c;
        }
        loss += log(sum) - row[label];
        right += best == label;
    }
    assert_true(right > 0 && right < ds->n * 4);   /* a count that a per-sample or 0/1 tally would get wrong */
    eval_result r;
    assert_int_equal(trainer_evaluate(&t, ds, &r), 0);
    assert_float_equal(r.loss, loss / (ds->n * 4), 1e-4);
    assert_float_equal(r.accuracy, (double)right / (ds->n * 4), 1e-9);
    free(z);
    trainer_free(&t);
    diag_free(&d);
    spec_free(s);
}

static void test_the_prime_is_folded_as_the_dataset_folds_text(void **state)
{
    (void)state;
    unsigned char ids[32];
    char err[256];
    assert_int_equal(char_prime_ids("Hi, Bo", 0, ids, err, sizeof err), 5);   /* "hi bo": ", " is one space */
    assert_int_equal(ids[0], nn_char_symbol('h'));
    assert_int_equal(ids[2], 0);
    assert_int_equal(ids[3], nn_char_symbol('b'));
    assert_int_equal(char_prime_ids("Hi, Bo", 1, ids, err, sizeof err), 5);   /* "hi bo": the comma dropped */
    assert_int_equal(char_prime_ids("12 !", 0, ids, err, sizeof err), -1);
    assert_non_null(strstr(err, "has no letter"));
}

static void test_temperature_zero_takes_the_argmax_and_draws_nothing(void **state)
{
    (void)state;
    float z[5] = {0.1f, 2.0f, -1.0f, 2.0f, 1.9f};
    nn_rng r, before;
    nn_rng_seed(&r, 9);
    before = r;
    assert_int_equal(char_sample_next(z, 5, 0.0f, &r), 1);
    assert_memory_equal(&r, &before, sizeof r);
}

/* At temperature 1 the draws follow the softmax; at 0.1 nearly all go to the largest logit;
 * the same seed repeats the same draws. */
static void test_draws_follow_the_tempered_softmax(void **state)
{
    (void)state;
    float z[3] = {0.0f, (float)log(2.0), (float)log(5.0)};   /* softmax 1/8, 2/8, 5/8 */
    int count[3] = {0}, cold = 0, n = 20000;
    nn_rng r, r2;
    nn_rng_seed(&r, 11);
    for (int i = 0; i < n; i++) count[char_sample_next(z, 3, 1.0f, &r)]++;
    assert_float_equal(count[0] / (double)n, 1.0 / 8, 0.015);
    assert_float_equal(count[1] / (double)n, 2.0 / 8, 0.015);
    assert_float_equal(count[2] / (double)n, 5.0 / 8, 0.015);
    for (int i = 0; i < 1000; i++) cold += char_sample_next(z, 3, 0.1f, &r) == 2;
    assert_true(cold > 990);
    nn_rng_seed(&r, 5);
    nn_rng_seed(&r2, 5);
    for (int i = 0; i < 100; i++) assert_int_equal(char_sample_next(z, 3, 1.0f, &r), char_sample_next(z, 3, 1.0f, &r2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chars_holds_out_the_tail_of_the_book),
        cmocka_unit_test(test_per_step_loss_and_accuracy_are_means_over_every_step),
        cmocka_unit_test(test_the_prime_is_folded_as_the_dataset_folds_text),
        cmocka_unit_test(test_temperature_zero_takes_the_argmax_and_draws_nothing),
        cmocka_unit_test(test_draws_follow_the_tempered_softmax),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
