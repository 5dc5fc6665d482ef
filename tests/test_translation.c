/* dataset: translation end to end on made-up pairs in the packages' format (tests/pair_files.h;
 * no data/ needed): a tiny seq2seq-shaped model learns to translate word by word, the run
 * folder keeps both vocabularies, embedding layers of two nets get the vectors of the
 * vocabulary their `words:` names, and the errors a spec can make name the spec line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/text.h"
#include "tmpdir.h"
#include "spec_util.h"
#include "pair_files.h"

/* French words and their English, word for word. */
static const char *const lexicon[][2] = {
    {"le", "the"},      {"chat", "cat"},  {"chien", "dog"},   {"oiseau", "bird"}, {"mange", "eats"},
    {"dort", "sleeps"}, {"voit", "sees"}, {"très", "very"},   {"petit", "small"}, {"noir", "black"},
};
enum { THE, CAT, DOG, BIRD, EATS, SLEEPS, SEES, VERY, SMALL, BLACK };

/* Sentence i of a small grammar, French and English: "Le chat dort." / "The cat sleeps.",
 * "Le très petit chien voit le chat!" / "The very small dog sees the cat!", ... */
static void make_sentence(nn_rng *r, char *fr, char *en, size_t cap)
{
    int words[8], n = 0;
    static const int nouns[] = {CAT, DOG, BIRD}, verbs[] = {EATS, SLEEPS, SEES}, adjectives[] = {SMALL, BLACK};
    words[n++] = THE;
    if (nn_rng_below(r, 3) == 0) words[n++] = VERY;
    if (nn_rng_below(r, 2) == 0) words[n++] = adjectives[nn_rng_below(r, 2)];
    words[n++] = nouns[nn_rng_below(r, 3)];
    int verb = verbs[nn_rng_below(r, 3)];
    words[n++] = verb;
    if (verb == SEES) words[n++] = THE, words[n++] = nouns[nn_rng_below(r, 3)];
    const char *end = nn_rng_below(r, 2) ? "." : "!";
    size_t f = 0, e = 0;
    for (int k = 0; k < n; k++) {
        f += (size_t)snprintf(fr + f, cap - f, "%s%s", k ? " " : "", lexicon[words[k]][0]);
        e += (size_t)snprintf(en + e, cap - e, "%s%s", k ? " " : "", lexicon[words[k]][1]);
    }
    fr[0] = (char)(fr[0] - 32), en[0] = (char)(en[0] - 32);   /* "Le", "The": the normalisation lowers them */
    snprintf(fr + f, cap - f, "%s", end);
    snprintf(en + e, cap - e, "%s", end);
}

/* DIR/en and DIR/fr: two files of 150 pairs each. */
static void write_corpus(const char *dir)
{
    static char fr[150][96], en[150][96];
    const char *frp[150], *enp[150];
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 150; i++) {
            make_sentence(&r, fr[i], en[i], sizeof fr[i]);
            frp[i] = fr[i], enp[i] = en[i];
        }
        write_pair_file(dir, k, enp, frp, NULL, 150);
    }
}

static const char spec_text[] = "name: tr\n"
                                "data:\n"
                                "  train: {dataset: translation, path: corpus, max_words: 9, min_count: 2, split_seed: 3}\n"
                                "  test: {dataset: translation, split: test}\n"
                                "model:\n"
                                "  input: [9]\n"
                                "  layers:\n"
                                "    - {embedding: {vocab: 16, dim: 16, padding_id: 0}}\n"
                                "    - {gru: {units: 48, output: all}}\n"
                                "    - {dense: 16, name: logits}\n"
                                "loss: {cross_entropy: {pred: logits, target: target}}\n"
                                "train: {optimizer: {adam: {lr: 0.02}}, batch: 16, epochs: 8}\n";

/* The pairs train a GRU to translate word by word (every step scored, the padding too): the
 * test loss falls near zero and nearly every test token comes out right (which misaligned pairs
 * or targets would prevent); the run folder holds both
 * vocabularies, which read back with the ids the data used. */
static void a_tiny_translation_spec_trains_and_keeps_its_vocabularies(void **state)
{
    (void)state;
    write_corpus("corpus");
    write_file("tr.yaml", spec_text);
    spec_run r;
    spec_run_train(&r, "tr.yaml", "runs/tr", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    const trainer *t = &r.t;
    int last = t->h.n - 1;
    float loss = t->h.col[t->hc.test[0]][last], accuracy = t->h.col[t->hc.test_acc][last];
    if (!(loss < 0.05f && accuracy > 0.97f))   /* untrained: ln 16 = 2.77, a third of the tokens right (PAD) */
        fail_msg("test loss %g, accuracy %g", loss, accuracy);
    assert_int_equal(t->data.train.n + t->data.test.n < 300, 1);
    assert_true(t->data.test.n > 10);
    /* x [9] French ids, y [9] English ids: EOS right after the last word, PAD after it */
    const nn_vocab *en = &t->data.vocab[EMB_WORDS_TARGET];
    for (int i = 0; i < t->data.test.n; i++) {
        const float *y = t->data.test.y + (size_t)i * 9;
        int eos = 0;
        while (eos < 9 && y[eos] != NN_PAIR_EOS) eos++;
        assert_true(eos >= 3 && eos < 9);
        for (int k = eos + 1; k < 9; k++) assert_true(y[k] == NN_VOCAB_PAD);
        const float *x = t->data.test.x + (size_t)i * 9;   /* as many French words, then PAD: no EOS */
        assert_true(x[eos - 1] >= NN_PAIR_FIRST_WORD && x[eos] == NN_VOCAB_PAD);
    }
    static const char *const names[EMB_WORDS_COUNT] = {"runs/tr/vocab_source.txt", "runs/tr/vocab_target.txt"};
    for (int k = 0; k < EMB_WORDS_COUNT; k++) {
        nn_vocab back;
        char err[512];
        assert_int_equal(nn_vocab_load(names[k], &back, err, sizeof err), 0);
        assert_int_equal(back.size, t->data.vocab[k].size);
        assert_int_equal(back.size, 4 + 10 + 1);   /* the ten words and "!" */
        for (int id = 0; id < back.size; id++)
            assert_string_equal(nn_vocab_word(&back, id, NULL), nn_vocab_word(&t->data.vocab[k], id, NULL));
        nn_vocab_free(&back);
    }
    assert_true(nn_vocab_id(en, "very", 4) >= NN_PAIR_FIRST_WORD);
    assert_true(nn_vocab_id(&t->data.vocab[EMB_WORDS_SOURCE], "tres", 4) >= NN_PAIR_FIRST_WORD);   /* très, accent stripped */
    spec_run_free(&r);
}

/* Two nets: E embeds the French (words: source, the default), D the English (words: target);
 * each table gets the rows of its own vocabulary's words from its file, frozen. */
static void embeddings_of_two_nets_load_the_vectors_of_their_vocabulary(void **state)
{
    (void)state;
    write_corpus("corpus");
    write_file("fr.vec", "3 2\nchat 1 2\nchien 3 4\nzebre 9 9\n");
    write_file("en.txt", "cat 5 6\nbird 7 8\n");
    write_file("two.yaml", "name: two\n"
                           "data: {train: {dataset: translation, path: corpus, max_words: 9}}\n"
                           "nets:\n"
                           "  E:\n"
                           "    input: [9]\n"
                           "    layers:\n"
                           "      - {embedding: {vocab: 15, dim: 2, vectors: fr.vec, trainable: false}, name: emb}\n"
                           "      - {mean_over: 0}\n"
                           "      - {dense: 3, name: code}\n"
                           "  D:\n"
                           "    input: {target: [9]}\n"
                           "    layers:\n"
                           "      - {embedding: {vocab: 15, dim: 2, words: target, vectors: en.txt, trainable: false}, name: emb}\n"
                           "      - {mean_over: 0}\n"
                           "      - {dense: 3, name: code}\n"
                           "losses: {match: {mse: {pred: E, target: D}}}\n"
                           "train: {optimizer: {sgd: {lr: 0.1}}, batch: 8, epochs: 1, steps: [{minimize: match, update: [E, D]}]}\n");
    diag d;
    diag_init(&d);
    spec *s = spec_load("two.yaml", NULL, 0, &d);
    assert_non_null(s);
    trainer t;
    int rc = trainer_init(&t, s, &d);
    if (rc) diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    model_graph *m = trainer_weights(&t);
    static const struct { int net; const char *word; float v[2]; } rows[] = {
        {0, "chat", {1, 2}}, {0, "chien", {3, 4}}, {1, "cat", {5, 6}}, {1, "bird", {7, 8}}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const nn_vocab *v = &t.data.vocab[rows[i].net];
        int id = nn_vocab_id(v, rows[i].word, strlen(rows[i].word));
        const float *w = nn_data(m->g, m->calls[model_first_call(m, rows[i].net)].weight[0]);
        assert_true(id >= NN_PAIR_FIRST_WORD);
        assert_memory_equal(w + 2 * id, rows[i].v, sizeof rows[i].v);
    }
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

/* Everything trainer_init reports for the spec text (caller frees). */
static char *init_messages(const char *text)
{
    write_file("bad.yaml", text);
    diag d;
    diag_init(&d);
    spec *s = spec_load("bad.yaml", NULL, 0, &d);
    trainer t;
    memset(&t, 0, sizeof t);
    if (s) assert_int_equal(trainer_init(&t, s, &d), -1);
    char *msg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&msg, &len);
    diag_print(&d, f);
    fclose(f);
    if (s) trainer_free(&t);
    spec_free(s);
    diag_free(&d);
    return msg;
}

static void expect_init_error(const char *data, const char *layers, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text,
             "name: bad\n"
             "data:\n%s"
             "model: {input: [9], layers: [%s, {dense: 16, name: logits}]}\n"
             "loss: {cross_entropy: {pred: logits, target: target}}\n"
             "train: {optimizer: {sgd: {lr: 0.1}}, batch: 8, epochs: 1}\n",
             data, layers);
    char *msg = init_messages(text);
    if (!strstr(msg, want)) fail_msg("messages\n%s\nlack\n%s", msg, want);
    free(msg);
}

/* An embedding too small for its vocabulary, a test source of another dataset, a part the
 * split does not have, a missing folder: errors at the spec line, saying what to do. */
static void translation_errors_name_the_spec_line(void **state)
{
    (void)state;
    write_corpus("corpus");
    const char *ok = "  train: {dataset: translation, path: corpus, max_words: 9}\n";
    expect_init_error(ok, "{embedding: {vocab: 8, dim: 4}}",
                      "bad.yaml:4:30: error: layer 'embedding_1': vocab 8, but the data's source vocabulary has 15 ids (0..14): set vocab: 15");
    expect_init_error(ok, "{embedding: {vocab: 15, dim: 4, words: target, vectors: none.txt}}", "none.txt");
    expect_init_error("  train: {dataset: translation, path: corpus, max_words: 9}\n  test: {dataset: imdb, split: test}\n",
                      "{embedding: {vocab: 15, dim: 4}}",
                      "error: data.test: with translation training data the test source is a translation split too");
    expect_init_error("  train: {dataset: translation, path: corpus, splits: [0.9, 0.1]}\n  test: {dataset: translation, split: validation}\n",
                      "{embedding: {vocab: 15, dim: 4}}", "data.test: no such part of the split");
    expect_init_error("  train: {dataset: translation, path: nowhere}\n", "{embedding: {vocab: 15, dim: 4}}",
                      "bad.yaml:3:10: error: data.train: nowhere/en/doc-0.json: cannot open: No such file or directory; run 'make data'");
}

/* nnrun check reads nothing: a translation spec checks before make data, shapes included; a
 * key of another dataset is an error listing translation's keys. */
static void a_translation_spec_checks_without_its_data(void **state)
{
    (void)state;
    write_file("chk.yaml", "name: chk\n"
                           "data:\n"
                           "  train: {dataset: translation, path: not_yet, max_words: 12}\n"
                           "  test: {dataset: translation, split: test}\n"
                           "model: {input: [12], layers: [{embedding: {vocab: 9000, dim: 8}}, {gru: {units: 8, output: all}}, {dense: 7000, name: logits}]}\n"
                           "loss: {cross_entropy: {pred: logits, target: target}}\n"
                           "train: {optimizer: {sgd: {lr: 0.1}}, batch: 8, epochs: 1}\n");
    char *msg = spec_check_messages("chk.yaml", NULL, 0);
    assert_string_equal(msg, "");
    free(msg);
    write_file("key.yaml", "name: key\n"
                           "data: {train: {dataset: translation, vocab: 100}}\n"
                           "model: {input: [10], layers: [{dense: 2, name: logits}]}\n"
                           "loss: {cross_entropy: {pred: logits, target: target}}\n"
                           "train: {optimizer: {sgd: {lr: 0.1}}, batch: 8, epochs: 1}\n");
    msg = spec_check_messages("key.yaml", NULL, 0);
    if (!strstr(msg, "'vocab' is not a key of dataset translation (its keys: dataset, split, path, max_words, min_count, split_seed, splits)"))
        fail_msg("%s", msg);
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tiny_translation_spec_trains_and_keeps_its_vocabularies),
        cmocka_unit_test(embeddings_of_two_nets_load_the_vectors_of_their_vocabulary),
        cmocka_unit_test(translation_errors_name_the_spec_line),
        cmocka_unit_test(a_translation_spec_checks_without_its_data),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
