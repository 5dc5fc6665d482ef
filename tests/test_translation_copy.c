/* A translation run end to end on a task with a known answer: the "French" of every pair is a
 * random sentence of 2 to 5 words from a 12-word vocabulary and its "English" the same words
 * (a copy task), written in the translation packages' layout (pair_files.h). A small
 * Transformer encoder-decoder trained on it, through the same data set-up, trainer, step
 * decoder and searches as `nnrun` (translate_eval.h), must translate every held-out sentence
 * into an exact copy by greedy and by beam search, and its per-epoch test_bleu must end at
 * 100. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "pair_files.h"
#include "spec.h"
#include "tmpdir.h"
#include "trainer.h"
#include "translate_eval.h"

enum { PAIRS = 800 };

static const char *const words[12] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
                                      "golf", "hotel", "india", "juliet", "kilo", "lima"};

static void write_copy_pairs(void)
{
    static char text[PAIRS][64];
    const char *en[PAIRS], *fr[PAIRS];
    srand(3);
    for (int i = 0; i < PAIRS; i++) {
        int n = 2 + rand() % 4;
        text[i][0] = '\0';
        for (int k = 0; k < n; k++) {
            strcat(text[i], words[rand() % 12]);
            if (k + 1 < n) strcat(text[i], " ");
        }
        en[i] = fr[i] = text[i];
    }
    write_pair_file("pairs", 0, en, fr, NULL, PAIRS);
}

static const char spec_text[] =
    "name: copy\n"
    "seed: 1\n"
    "data:\n"
    "  train: {dataset: translation, split: train, path: pairs, max_words: 7, min_count: 1}\n"
    "  test: {dataset: translation, split: test}\n"
    "model:\n"
    "  input: [7]\n"
    "  layers:\n"
    "    - {embedding: {vocab: 16, dim: 32, padding_id: 0}}\n"
    "    - {positional_encoding: {kind: learned}}\n"
    "    - {transformer_encoder: {heads: 2, ff: 64, dropout: 0, mask: input}, name: memory}\n"
    "    - {shift: {fill: 1}, from: target}\n"
    "    - {embedding: {vocab: 16, dim: 32, padding_id: 0, words: target}}\n"
    "    - {positional_encoding: {kind: learned}, name: positions}\n"
    "    - {transformer_decoder: {heads: 2, ff: 64, dropout: 0, memory_mask: input}, from: [positions, memory]}\n"
    "    - {dense: 16, name: logits}\n"
    "loss: {cross_entropy: {pred: logits, target: target, ignore: 0}}\n"
    "train: {optimizer: {adam: {lr: 0.003}}, batch: 32, epochs: 12}\n";

static void test_a_copy_task_is_learned_exactly(void **state)
{
    (void)state;
    write_copy_pairs();
    write_file("copy.yaml", spec_text);
    diag d;
    diag_init(&d);
    spec *s = spec_load("copy.yaml", NULL, 0, &d);
    if (!s) diag_print(&d, stderr);
    assert_non_null(s);
    snprintf(s->out_dir, sizeof s->out_dir, "runs/copy");
    trainer t;
    if (trainer_init(&t, s, &d) < 0) diag_print(&d, stderr);
    assert_int_equal(translate_add_metric(&t), 0);
    assert_int_equal(trainer_run(&t, NULL, 0), 0);
    int n = t.data.test.n;
    assert_true(n >= 50);
    int bleu = -1;
    for (int c = 0; c < t.h.n_cols; c++)
        if (strcmp(t.h.name[c], "test_bleu") == 0) bleu = c;
    assert_true(bleu >= 0);
    assert_true(t.h.col[bleu][0] < t.h.col[bleu][t.h.n - 1]);   /* it learned the task over the epochs */
    assert_float_equal(t.h.col[bleu][t.h.n - 1], 100.0, 1e-3);
    for (int beams = 1; beams <= 3; beams += 2) {
        char **out = calloc((size_t)n, sizeof *out), err[512];
        translate_score sc;
        assert_int_equal(translate_test(t.eval_full, &t.data, beams, n, out, &sc, err, sizeof err), 0);
        for (int i = 0; i < n; i++)
            if (strcmp(out[i], t.data.test_text[1][i]) != 0)
                fail_msg("%d beams: '%s' translated to '%s'", beams, t.data.test_text[0][i], out[i]);
        assert_float_equal(sc.bleu, 100.0, 1e-6);
        assert_int_equal(sc.sentences, n);
        for (int i = 0; i < n; i++) free(out[i]);
        free(out);
    }
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_copy_task_is_learned_exactly),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
