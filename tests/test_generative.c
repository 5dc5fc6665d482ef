/* The generative models' language and figures: named loss terms recorded per epoch (their
 * values add up to their group's, a discriminator's terms scored for accuracy), class ids bound
 * one-hot to a `label` input (a conditional generator draws what its label asks), sample grids
 * after every epoch, a VAE's manifold and its sampling at evaluation, the cube_error metric, a
 * missing judge, and image data mapped to a range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "data_setup.h"
#include "generator.h"
#include "model_build.h"
#include "run_files.h"
#include "spec.h"
#include "tmpdir.h"
#include "spec_util.h"
#include "trainer.h"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static int column(const trainer *t, const char *name)
{
    for (int c = 0; c < t->h.n_cols; c++)
        if (strcmp(t->h.name[c], name) == 0) return c;
    return -1;
}

/* A GAN of 2-D points whose discriminator group has two named terms. */
static const char gan_spec[] = "name: gan\n"
                               "seed: 3\n"
                               "data:\n"
                               "  train: {dataset: points, points: parabola, n: 256, range: [-1, 1]}\n"
                               "  test: {dataset: points, points: parabola, n: 64, range: [-1, 1]}\n"
                               "nets:\n"
                               "  G: {input: {noise: [2]}, layers: [{dense: 8, act: tanh}, {dense: 2}]}\n"
                               "  D: {input: [2], layers: [{dense: 8, act: tanh}, {dense: 1}]}\n"
                               "losses:\n"
                               "  disc:\n"
                               "    - {bce_with_logits: {pred: D(data), target: 1, name: real}}\n"
                               "    - {bce_with_logits: {pred: D(G), target: 0, name: fake}}\n"
                               "  gen: {bce_with_logits: {pred: D(G), target: 1}}\n"
                               "train:\n"
                               "  batch: 32\n"
                               "  epochs: 2\n"
                               "  steps: [{minimize: disc, update: D}, {minimize: gen, update: G}]\n"
                               "report: [loss_curve]\n";

static void test_named_terms_add_up_to_their_group_and_are_scored(void **state)
{
    (void)state;
    write_file("gan.yaml", gan_spec);
    spec_run r;
    spec_run_train(&r, "gan.yaml", "runs/gan", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    const trainer *t = &r.t;
    const char *split[2] = {"train", "test"};
    for (int s = 0; s < 2; s++) {
        char a[64], b[64], g[64], acc[64];
        snprintf(a, sizeof a, "%s_disc.real", split[s]);
        snprintf(b, sizeof b, "%s_disc.fake", split[s]);
        snprintf(g, sizeof g, "%s_disc", split[s]);
        snprintf(acc, sizeof acc, "%s_disc.real_accuracy", split[s]);
        int ca = column(t, a), cb = column(t, b), cg = column(t, g), cacc = column(t, acc);
        assert_true(ca >= 0 && cb >= 0 && cg >= 0 && cacc >= 0);
        for (int e = 0; e < t->h.n; e++) {
            float sum = t->h.col[ca][e] + t->h.col[cb][e], whole = t->h.col[cg][e];
            assert_true(fabsf(sum - whole) <= 1e-5f * fabsf(whole) + 1e-6f);   /* the terms are the group */
            assert_true(t->h.col[cacc][e] >= 0 && t->h.col[cacc][e] <= 1);
        }
    }
    /* a group of one term has no term columns, but its term against a number is scored */
    assert_int_equal(column(t, "train_gen.bce_with_logits"), -1);
    assert_true(column(t, "train_gen.bce_with_logits_accuracy") >= 0);
    spec_run_free(&r);
}

/* 3 classes of 4x4 "images": class c lights row c. */
static void write_class_images(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        fprintf(f, "%d", c);
        for (int p = 0; p < 16; p++) fprintf(f, ",%d", p / 4 == c ? 1 : 0);
        fprintf(f, "\n");
    }
    fclose(f);
}

static const char cgan_spec[] = "name: cgan\n"
                                "data: {train: {dataset: csv, path: img.csv, header: false}}\n"
                                "nets:\n"
                                "  G:\n"
                                "    input: {noise: [4], label: [3]}\n"
                                "    layers: [{concat: [noise, label]}, {dense: 16, act: relu}, {dense: 16, act: sigmoid, name: img}]\n"
                                "  D:\n"
                                "    input: {input: [16], label: [3]}\n"
                                "    layers: [{concat: [input, label]}, {dense: 16, act: relu}, {dense: 1}]\n"
                                "losses:\n"
                                "  disc: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]\n"
                                "  gen: {bce_with_logits: {pred: D(G), target: 1}}\n"
                                "train: {batch: 16, epochs: 3, steps: [{minimize: disc, update: D}, {minimize: gen, update: G}]}\n"
                                "report: [{samples: {of: G, count: 6, during_training: true}}]\n";

static void test_a_label_input_takes_the_classes_one_hot_and_conditions_the_samples(void **state)
{
    (void)state;
    write_class_images("img.csv", 96);
    write_file("cgan.yaml", cgan_spec);
    spec_run r;
    spec_run_train(&r, "cgan.yaml", "runs/cgan", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    /* both steps read the data (G its labels), yet an iteration takes one batch: 3 epochs of 6 */
    assert_int_equal(r.t.step, 18);
    /* per-epoch grids and the final one: one row per class */
    assert_true(exists("runs/cgan/samples_G_epoch_1.png") && exists("runs/cgan/samples_G_epoch_2.png"));
    assert_true(exists("runs/cgan/samples_G.png"));
    assert_false(exists("runs/cgan/samples_G_epoch_3.png"));   /* the last epoch's is samples_G.png */
    generator gen;
    char err[512];
    assert_int_equal(generator_open(&gen, r.s, &r.t.info, trainer_weights(&r.t), "G", NULL, 4, err, sizeof err), 0);
    assert_true(gen.conditional);
    assert_int_equal(gen.n_classes, 3);
    float a[2][16], b[2][16];
    int same[2] = {0, 0}, other[2] = {1, 1};
    assert_int_equal(generator_draw(&gen, 7, same, 2, a[0], err, sizeof err), 0);
    assert_int_equal(generator_draw(&gen, 7, same, 2, b[0], err, sizeof err), 0);
    assert_memory_equal(a, b, sizeof a);   /* the same seed and labels: the same samples */
    assert_int_equal(generator_draw(&gen, 7, other, 2, b[0], err, sizeof err), 0);
    assert_memory_not_equal(a, b, sizeof a);   /* another label, the same noise: another sample */
    int bad[1] = {3};
    assert_int_equal(generator_draw(&gen, 7, bad, 1, b[0], err, sizeof err), -1);
    assert_non_null(strstr(err, "not one of the 3 classes"));
    generator_close(&gen);
    spec_run_free(&r);
}

/* A VAE of the 4x4 images with a 2-D latent z, sampled at evaluation too. */
static const char vae_spec[] = "name: vae\n"
                               "data: {train: {dataset: csv, path: img.csv, header: false}, test: {dataset: csv, path: img.csv, header: false}}\n"
                               "model:\n"
                               "  input: [16]\n"
                               "  layers:\n"
                               "    - {dense: 8, act: relu, name: h}\n"
                               "    - {dense: 2, from: h, name: mean}\n"
                               "    - {dense: 2, from: h, name: logvar}\n"
                               "    - {sample_gaussian: {mean: mean, logvar: logvar, eval: true}, name: z}\n"
                               "    - {dense: 8, act: relu}\n"
                               "    - {dense: 16, name: recon}\n"
                               "loss:\n"
                               "  - {bce_with_logits: {pred: recon, target: input, reduce: sum_per_sample, name: bce}}\n"
                               "  - {kl_normal: {mean: mean, logvar: logvar, name: kl}}\n"
                               "train: {batch: 16, epochs: 2}\n"
                               "report: [{manifold: {of: recon, from: z, size: 5}}, {samples: {of: recon, from: z, count: 9}},\n"
                               "         {judge: {of: recon, from: z}}]\n";

static void test_a_vae_draws_its_manifold_and_reports_its_loss_at_the_mean(void **state)
{
    (void)state;
    write_class_images("img.csv", 96);
    write_file("vae.yaml", vae_spec);
    spec_run r;
    spec_run_train(&r, "vae.yaml", "runs/vae", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    assert_true(exists("runs/vae/manifold_z.png") && exists("runs/vae/samples_recon.png"));
    /* sampled at evaluation, the test loss is not the loss at the mean, which is reported too */
    assert_false(isnan(r.results.test_loss_mean));
    assert_true(fabs(r.results.test_loss_mean - trainer_final(&r.t, "test_loss")) > 1e-6);
    /* the per-image BCE's floor: these images are black and white, their entropy is 0 */
    assert_true(fabs(r.results.bce_floor) < 1e-9);
    /* no judge run here: not a failure, no result */
    assert_true(isnan(r.results.fd));
    /* the decoded values are probabilities: a sigmoid of the logits */
    generator gen;
    char err[512];
    assert_int_equal(generator_open(&gen, r.s, &r.t.info, trainer_weights(&r.t), "recon", "z", 4, err, sizeof err), 0);
    assert_int_equal(generator_from_width(&gen), 2);
    float x[4 * 16];
    assert_int_equal(generator_draw(&gen, 1, NULL, 4, x, err, sizeof err), 0);
    for (int i = 0; i < 4 * 16; i++) assert_true(x[i] > 0 && x[i] < 1);
    generator_close(&gen);
    /* without `from`, recon depends on the data: it cannot be drawn from noise */
    assert_int_equal(generator_open(&gen, r.s, &r.t.info, trainer_weights(&r.t), "recon", NULL, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "depends on the data"));
    generator_close(&gen);
    spec_run_free(&r);
}

static void test_a_manifold_needs_a_two_unit_layer(void **state)
{
    (void)state;
    write_class_images("img.csv", 96);
    write_file("vae.yaml", vae_spec);
    const char *sets[] = {"model.layers.1.dense=3", "model.layers.2.dense=3", "train.epochs=1"};
    diag d;
    diag_init(&d);
    spec *s = spec_load("vae.yaml", sets, 3, &d);
    assert_non_null(s);
    snprintf(s->out_dir, sizeof s->out_dir, "runs/vae3");
    trainer t;
    assert_int_equal(trainer_init(&t, s, &d), 0);
    char err[512];
    assert_int_equal(run_files_begin(&t, err, sizeof err), 0);
    run_files_saver saver;
    trainer_hooks hooks = run_files_hooks(&saver);
    assert_int_equal(trainer_run(&t, &hooks, 1), 0);
    run_results res;
    assert_int_equal(run_files_finish_results(&t, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "has 3 units; the grid needs a layer of 2"));
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

static const char wgan_spec[] = "name: wgan\n"
                                "data: {train: {dataset: points, points: uniform_cube, dim: 2, n: 512, range: [-1, 1]}}\n"
                                "nets:\n"
                                "  G: {input: {noise: [2]}, layers: [{dense: 16, act: relu}, {dense: 2, act: tanh}], ema: 0.9}\n"
                                "  D: {input: [2], layers: [{dense: 16, act: relu}, {dense: 1}]}\n"
                                "losses:\n"
                                "  critic: [{mean: {pred: D(G)}}, {mean: {pred: D(data), weight: -1}}, {gradient_penalty: {critic: D, fake: G}}]\n"
                                "  gen: {mean: {pred: D(G), weight: -1}}\n"
                                "train: {batch: 64, epochs: 3, steps: [{minimize: critic, update: D, repeat: 2}, {minimize: gen, update: G}]}\n"
                                "report: [{cube_error: {of: G, count: 2000}}]\n";

static void test_cube_error_is_measured_after_every_epoch(void **state)
{
    (void)state;
    write_file("wgan.yaml", wgan_spec);
    spec_run r;
    spec_run_train(&r, "wgan.yaml", "runs/wgan", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    int c = column(&r.t, "cube_r");
    assert_true(c >= 0);
    for (int e = 0; e < 3; e++) assert_true(r.t.h.col[c][e] > 0 && r.t.h.col[c][e] < 10);
    assert_float_equal(r.results.cube_r, r.t.h.col[c][2], 1e-6);
    assert_true(exists("runs/wgan/cube_error.png"));
    spec_run_free(&r);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb, ca, cb;
    while (same && ((ca = fgetc(fa)) != EOF) | ((cb = fgetc(fb)) != EOF)) same = ca == cb;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* Interrupted mid-epoch and resumed, a WGAN-GP (uniform draws in its penalty, an ema of G,
 * cube_r after each epoch) ends with the same bytes as a run straight through. */
static void test_a_wgan_gp_resumes_mid_epoch_bit_for_bit(void **state)
{
    (void)state;
    write_file("wgan.yaml", wgan_spec);
    const char *sets[] = {"train.epochs=3"};
    spec_run full, cut, rest;
    spec_run_train(&full, "wgan.yaml", "runs/full", sets, 1, 0, 0);
    assert_int_equal(full.status, 0);
    spec_run_train(&cut, "wgan.yaml", "runs/cut", sets, 1, 0, 6);   /* 512 points, batch 64, 2 per iteration: epoch 2 */
    assert_int_equal(cut.status, 130);
    spec_run_free(&cut);
    spec_run_train(&rest, "wgan.yaml", "runs/cut", sets, 1, 1, 0);
    assert_int_equal(rest.status, 0);
    assert_true(same_file("runs/full/model.safetensors", "runs/cut/model.safetensors"));
    assert_true(same_file("runs/full/steps.csv", "runs/cut/steps.csv"));
    int c = column(&full.t, "cube_r");
    assert_memory_equal(full.t.h.col[c], rest.t.h.col[c], 3 * sizeof(float));
    spec_run_free(&full);
    spec_run_free(&rest);
}

static void test_image_pixels_are_mapped_to_the_range(void **state)
{
    (void)state;
    write_file("f.yaml", "data: {train: {dataset: fashion_mnist, first: 50, range: [-1, 1]}}\n"
                         "model: {input: [784], layers: [{dense: 784, name: recon}]}\n"
                         "loss: {mse: {pred: recon, target: input}}\n");
    write_file("bad.yaml", "data: {train: {dataset: fashion_mnist, range: [-1, 1]}, test: {dataset: fashion_mnist}}\n"
                           "model: {input: [784], layers: [{dense: 784, name: recon}]}\n"
                           "loss: {mse: {pred: recon, target: input}}\n");
    diag d;
    diag_init(&d);
    spec *s = spec_load("f.yaml", NULL, 0, &d);
    assert_non_null(s);
    run_data rd;
    assert_int_equal(data_setup(s, &rd, &d), 0);
    float lo = 1e9f, hi = -1e9f;
    for (size_t i = 0; i < (size_t)rd.train.n * 784; i++) lo = fminf(lo, rd.train.x[i]), hi = fmaxf(hi, rd.train.x[i]);
    assert_float_equal(lo, -1.0f, 1e-6);
    assert_float_equal(hi, 1.0f, 1e-6);
    data_release(&rd);
    spec_free(s);
    /* a test split in another range is refused */
    assert_null(spec_load("bad.yaml", NULL, 0, &d));
    diag_free(&d);
    char *msg = spec_check_messages("bad.yaml", NULL, 0);
    assert_non_null(strstr(msg, "differs from the training images'"));
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_terms_add_up_to_their_group_and_are_scored),
        cmocka_unit_test(test_a_label_input_takes_the_classes_one_hot_and_conditions_the_samples),
        cmocka_unit_test(test_a_vae_draws_its_manifold_and_reports_its_loss_at_the_mean),
        cmocka_unit_test(test_a_manifold_needs_a_two_unit_layer),
        cmocka_unit_test(test_cube_error_is_measured_after_every_epoch),
        cmocka_unit_test(test_a_wgan_gp_resumes_mid_epoch_bit_for_bit),
        cmocka_unit_test(test_image_pixels_are_mapped_to_the_range),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
