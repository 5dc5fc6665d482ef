/* The judge of generated images: a tiny classifier trained on synthetic 28x28 images (three
 * classes of bright horizontal bands) loads from its run folder, gives features and classes
 * per image whatever the batch, and scores sets: a set against itself at distance ~0, noise
 * farther than another draw of the same images, a histogram of n samples, its accuracy on
 * labelled samples; a missing run folder names the command that makes it, a run folder of the
 * wrong shape is refused with what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "judge.h"
#include "nn/rng.h"
#include "tmpdir.h"
#include "spec_util.h"

enum { N_TRAIN = 300, N_TEST = 150, BAND = 9 };

/* n images (n x 784) of class c = i % 3: rows [9c, 9c + 9) bright (0.6..1), the rest dim
 * (0..0.3); labels (n) when asked. */
static float *band_images(int n, uint64_t seed, int *labels)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    float *x = malloc((size_t)n * JUDGE_PIXELS * sizeof *x);
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        if (labels) labels[i] = c;
        for (int p = 0; p < JUDGE_PIXELS; p++) {
            int row = p / 28, bright = row >= BAND * c && row < BAND * (c + 1);
            x[(size_t)i * JUDGE_PIXELS + p] = bright ? nn_rng_range(&r, 0.6f, 1) : nn_rng_range(&r, 0, 0.3f);
        }
    }
    return x;
}

/* n images of uniform noise U[0, 1). */
static float *noise_images(int n, uint64_t seed)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    float *x = malloc((size_t)n * JUDGE_PIXELS * sizeof *x);
    for (size_t i = 0; i < (size_t)n * JUDGE_PIXELS; i++) x[i] = nn_rng_uniform(&r);
    return x;
}

/* FILE: n band images as CSV rows "label,784 pixels", the first `cols` pixels only if cols > 0. */
static void write_csv(const char *file, int n, uint64_t seed, int cols)
{
    int *labels = malloc((size_t)n * sizeof *labels);
    float *x = band_images(n, seed, labels);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d", labels[i]);
        for (int p = 0; p < (cols > 0 ? cols : JUDGE_PIXELS); p++) fprintf(f, ",%.3f", x[(size_t)i * JUDGE_PIXELS + p]);
        fputc('\n', f);
    }
    fclose(f);
    free(x), free(labels);
}

/* A spec of NAME on the CSV files TRAIN and TEST with the given model and loss lines. */
static void train_csv_spec(const char *name, const char *train, const char *test, const char *model, const char *loss)
{
    char text[2048], file[128], out[128];
    snprintf(text, sizeof text,
             "name: %s\n"
             "data:\n"
             "  train: {dataset: csv, path: %s}\n"
             "  test: {dataset: csv, path: %s}\n"
             "%s%s"
             "train: {optimizer: {adam: {lr: 0.01}}, batch: 32, epochs: 3}\n",
             name, train, test, model, loss);
    snprintf(file, sizeof file, "%s.yaml", name);
    snprintf(out, sizeof out, "runs/%s", name);
    write_file(file, text);
    spec_run r;
    spec_run_train(&r, file, out, NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    spec_run_free(&r);
}

static const char classifier[] = "model:\n"
                                 "  input: [784]\n"
                                 "  layers:\n"
                                 "    - {dense: 16, act: relu}\n"
                                 "    - {dense: 8, act: relu, name: features}\n"
                                 "    - {dense: 10, name: logits}\n";
static const char cross_entropy[] = "loss: {cross_entropy: {pred: logits, target: target}}\n";

/* The test program's classifier, trained once: runs/bands. */
static judge *open_bands(void)
{
    static int trained;
    if (!trained) {
        write_csv("train.csv", N_TRAIN, 1, 0);
        write_csv("test.csv", N_TEST, 2, 0);
        train_csv_spec("bands", "train.csv", "test.csv", classifier, cross_entropy);
        trained = 1;
    }
    diag d;
    diag_init(&d);
    judge *j = judge_open("runs/bands", &d);
    if (!j) diag_print(&d, stderr);
    assert_non_null(j);
    diag_free(&d);
    return j;
}

/* What judge_open says about RUN_DIR (caller frees); the judge must be refused. Not inlined:
 * gcc 12 then takes open_memstream's buffer for a pointer to the local. */
__attribute__((noinline)) static char *refusal(const char *run_dir)
{
    diag d;
    diag_init(&d);
    assert_null(judge_open(run_dir, &d));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    diag_print(&d, f);
    fclose(f);
    diag_free(&d);
    return out;
}

static void assert_says(const char *text, const char *expected)
{
    if (!strstr(text, expected)) print_error("expected\n  %s\ngot\n%s", expected, text);
    assert_non_null(strstr(text, expected));
}

static void test_the_features_are_the_input_of_the_last_dense_layer(void **state)
{
    (void)state;
    judge *j = open_bands();
    assert_int_equal(judge_dim(j), 8);
    assert_int_equal(judge_classes(j), 10);
    judge_close(j);
}

/* Image 7 alone, and among 300 (two batches, the second partly padding), gives the same. */
static void test_an_image_gives_the_same_features_and_class_in_any_batch(void **state)
{
    (void)state;
    judge *j = open_bands();
    int n = 300, labels[300], classes[300], one_class;
    float *x = band_images(n, 5, labels), *f = malloc((size_t)n * 8 * sizeof *f), one[8];
    assert_int_equal(judge_run(j, x, n, f, classes), 0);
    assert_int_equal(judge_run(j, x + 7 * JUDGE_PIXELS, 1, one, &one_class), 0);
    assert_memory_equal(one, f + 7 * 8, sizeof one);
    assert_int_equal(one_class, classes[7]);
    int right = 0;
    for (int i = 0; i < n; i++) right += classes[i] == labels[i];
    assert_true(right > 0.95 * n);   /* the bands are easy */
    free(x), free(f);
    judge_close(j);
}

static void test_a_set_against_itself_is_at_distance_zero(void **state)
{
    (void)state;
    judge *j = open_bands();
    float *x = band_images(400, 6, NULL);
    judge_report r;
    assert_int_equal(judge_quality(j, x, 400, x, 400, &r), 0);
    assert_true(r.fd >= 0 && r.fd < 1e-6);
    free(x);
    judge_close(j);
}

static void test_noise_is_farther_than_another_draw_of_the_same_images(void **state)
{
    (void)state;
    judge *j = open_bands();
    float *a = band_images(400, 7, NULL), *b = band_images(400, 8, NULL), *noise = noise_images(400, 9);
    judge_report same, other, far;
    assert_int_equal(judge_quality(j, a, 400, a, 400, &same), 0);
    assert_int_equal(judge_quality(j, b, 400, a, 400, &other), 0);
    assert_int_equal(judge_quality(j, noise, 400, a, 400, &far), 0);
    assert_true(far.fd > same.fd);
    assert_true(far.fd > 10 * other.fd);
    free(a), free(b), free(noise);
    judge_close(j);
}

static void test_the_class_histogram_counts_every_sample(void **state)
{
    (void)state;
    judge *j = open_bands();
    float *x = band_images(301, 10, NULL), *ref = band_images(100, 11, NULL);
    judge_report r;
    assert_int_equal(judge_quality(j, x, 301, ref, 100, &r), 0);
    assert_int_equal(r.n_classes, 10);
    long sum = 0;
    for (int c = 0; c < r.n_classes; c++) sum += r.counts[c];
    assert_int_equal(sum, 301);
    assert_true(r.counts[0] > 90 && r.counts[1] > 90 && r.counts[2] > 90);   /* 101, 100, 100 drawn */
    assert_true(isnan(r.label_accuracy));   /* no labels given */
    free(x), free(ref);
    judge_close(j);
}

/* Samples with conditioning labels: right labels score high, labels shifted by one class low. */
static void test_the_accuracy_on_labelled_samples_is_against_their_labels(void **state)
{
    (void)state;
    judge *j = open_bands();
    int labels[300], wrong[300];
    float *x = band_images(300, 12, labels);
    for (int i = 0; i < 300; i++) wrong[i] = (labels[i] + 1) % 3;
    judge_report right, shifted;
    assert_int_equal(judge_quality_labelled(j, x, labels, 300, x, 300, &right), 0);
    assert_int_equal(judge_quality_labelled(j, x, wrong, 300, x, 300, &shifted), 0);
    assert_true(right.label_accuracy > 0.95);
    assert_true(shifted.label_accuracy < 0.05);
    free(x);
    judge_close(j);
}

static void test_the_floor_is_below_the_ceiling(void **state)
{
    (void)state;
    judge *j = open_bands();
    float *train = band_images(300, 13, NULL), *test = band_images(300, 14, NULL);
    judge_limits lim;
    assert_int_equal(judge_bounds(j, train, 300, test, 300, 1, &lim), 0);
    assert_true(lim.floor >= 0 && lim.floor < lim.ceiling / 10);
    judge_report r;
    assert_int_equal(judge_quality(j, train, 1, test, 300, &r), -1);   /* one sample has no covariance */
    assert_says(j->err, "at least 2");
    free(train), free(test);
    judge_close(j);
}

static void test_a_missing_run_folder_names_the_command_that_makes_it(void **state)
{
    (void)state;
    mkdir("specs", 0777);
    write_file("specs/judge_x.yaml", "name: judge_x\n");
    char *out = refusal("runs/judge_x");
    assert_says(out, "runs/judge_x: error: no such run folder for the judge; run `bin/nnrun specs/judge_x.yaml` first");
    free(out);
    out = refusal("runs/elsewhere");
    assert_says(out, "`bin/nnrun SPEC --out runs/elsewhere`");
    free(out);
    mkdir("runs", 0777);
    mkdir("runs/unfinished", 0777);
    write_file("runs/unfinished/spec.yaml", "name: unfinished\n");
    out = refusal("runs/unfinished");
    assert_says(out, "has no model.safetensors");
    free(out);
}

static void test_a_run_folder_of_the_wrong_shape_is_refused(void **state)
{
    (void)state;
    write_csv("narrow_train.csv", 60, 1, 4);
    write_csv("narrow_test.csv", 30, 2, 4);
    train_csv_spec("narrow", "narrow_train.csv", "narrow_test.csv",
               "model: {input: [4], layers: [{dense: 8, act: relu}, {dense: 10, name: logits}]}\n", cross_entropy);
    char *out = refusal("runs/narrow");
    assert_says(out, "runs/narrow is not a classifier of 28x28 images: its input has 4 values per sample, not 784");
    free(out);
    write_csv("ae_train.csv", 60, 3, 0);
    train_csv_spec("ae", "ae_train.csv", "ae_train.csv",
               "model: {input: [784], layers: [{dense: 8, act: relu}, {dense: 784, name: recon}]}\n",
               "loss: {mse: {pred: recon, target: input}}\n");
    out = refusal("runs/ae");
    assert_says(out, "runs/ae is not a classifier of 28x28 images: its loss is not cross_entropy");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_features_are_the_input_of_the_last_dense_layer),
        cmocka_unit_test(test_an_image_gives_the_same_features_and_class_in_any_batch),
        cmocka_unit_test(test_a_set_against_itself_is_at_distance_zero),
        cmocka_unit_test(test_noise_is_farther_than_another_draw_of_the_same_images),
        cmocka_unit_test(test_the_class_histogram_counts_every_sample),
        cmocka_unit_test(test_the_accuracy_on_labelled_samples_is_against_their_labels),
        cmocka_unit_test(test_the_floor_is_below_the_ceiling),
        cmocka_unit_test(test_a_missing_run_folder_names_the_command_that_makes_it),
        cmocka_unit_test(test_a_run_folder_of_the_wrong_shape_is_refused),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
