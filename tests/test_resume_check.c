/* What `nnrun SPEC --resume` and `nnrun eval` refuse to load: a resume state whose fields or
 * tensors are outside what the spec implies (each field of state.safetensors rewritten in turn
 * to a bad value; a GAN's steps, groups and raw weights of its ema), a run already past the
 * spec's epochs, and weights or optimizer state holding a NaN or an infinity; each refusal
 * exits with status 1 or 2 and names the file and the field or tensor, and the good checkpoint
 * still resumes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "nn/safetensors.h"
#include "spec_util.h"
#include "tmpdir.h"

/* 64 points in batches of 16: 4 batches per epoch. */
static const char tiny_spec[] = "name: tiny\n"
                                "data:\n"
                                "  train: {dataset: function, expr: \"x*x\", range: [-1, 1], n: 64}\n"
                                "  test: {dataset: function, expr: \"x*x\", range: [-1, 1], n: 16}\n"
                                "model: {input: [1], layers: [{dense: 8, act: tanh}, {dense: 1, name: out}]}\n"
                                "loss: {mse: {pred: out, target: target}}\n"
                                "train: {optimizer: {adam: {lr: 0.01}}, batch: 16, epochs: 3}\n";

/* Two steps (the second run twice per iteration) and an ema of G: 8 batches per epoch. */
static const char gan_spec[] = "name: gan\n"
                               "data: {train: {dataset: points, points: parabola, n: 256, range: [-1, 1]}}\n"
                               "nets:\n"
                               "  G: {input: {noise: [2]}, layers: [{dense: 8, act: tanh}, {dense: 2, name: xy}], ema: 0.9}\n"
                               "  D: {input: [2], layers: [{dense: 8, act: tanh}, {dense: 1, name: logit}]}\n"
                               "losses:\n"
                               "  critic: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]\n"
                               "  gen: {bce_with_logits: {pred: D(G), target: 1}}\n"
                               "train:\n"
                               "  batch: 32\n"
                               "  epochs: 3\n"
                               "  steps: [{minimize: critic, update: D}, {minimize: gen, update: G, repeat: 2}]\n";

/* runs/good: stopped after step 6, in epoch 2 at batch 2 (every field of the state is in use:
 * a history, running sums, a step log). */
static int make_good_run(void **state)
{
    if (tmpdir_enter(state) < 0) return -1;
    write_file("tiny.yaml", tiny_spec);
    spec_run sr;
    spec_run_train(&sr, "tiny.yaml", "runs/good", NULL, 0, 0, 6);
    int status = sr.status;
    spec_run_free(&sr);
    write_file("gan.yaml", gan_spec);   /* runs/gan: after step 10, in epoch 2 at batch 2 */
    spec_run_train(&sr, "gan.yaml", "runs/gan", NULL, 0, 0, 10);
    status = status == 130 ? sr.status : status;
    spec_run_free(&sr);
    return status == 130 ? 0 : -1;
}

/* runs/x: a fresh copy of runs/good (or of another run). */
static void fresh_copy_of(const char *run)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf runs/x && cp -r %s runs/x", run);
    assert_int_equal(system(cmd), 0);
}

static void fresh_copy(void) { fresh_copy_of("runs/good"); }

/* Rewrites the safetensors file path with metadata `key` set to value (key NULL: none), and
 * tensor `tensor` (NULL: none) given shape (ndim > 0; its data zeros) or its first value set to
 * first (shape.ndim == 0). */
static void rewrite(const char *path, const char *key, const char *value, const char *tensor, nn_shape shape, float first)
{
    char err[512];
    nn_st_file *f = nn_st_open(path, err, sizeof err);
    assert_non_null(f);
    int n = nn_st_count(f), nm = nn_st_meta_count(f);
    nn_st_tensor *ts = calloc((size_t)n, sizeof *ts);
    nn_st_meta *meta = calloc((size_t)nm, sizeof *meta);
    float *changed = NULL;
    for (int i = 0; i < nm; i++) {
        meta[i] = nn_st_meta_at(f, i);
        if (key && strcmp(meta[i].key, key) == 0) meta[i].value = value;
    }
    for (int i = 0; i < n; i++) {
        ts[i] = (nn_st_tensor){nn_st_name(f, i), nn_st_shape(f, i), nn_st_data(f, i)};
        if (!tensor || strcmp(ts[i].name, tensor) != 0) continue;
        size_t c = nn_shape_numel(&ts[i].shape);
        if (shape.ndim > 0) {
            ts[i].shape = shape;
            c = nn_shape_numel(&shape);
        }
        changed = calloc(c + 1, sizeof *changed);
        if (shape.ndim == 0) {
            memcpy(changed, ts[i].data, c * sizeof *changed);
            changed[0] = first;
        }
        ts[i].data = changed;
    }
    assert_true(!tensor || changed);   /* the tensor exists */
    assert_int_equal(nn_st_write(path, ts, n, meta, nm, err, sizeof err), 0);
    free(changed);
    free(ts);
    free(meta);
    nn_st_close(f);
}

static void rewrite_field(const char *path, const char *key, const char *value)
{
    rewrite(path, key, value, NULL, (nn_shape){0}, 0);
}

/* Runs `nnrun ARGS...` through cmd_train or cmd_eval (argv[0] "eval"); its exit status, and
 * what it printed on stderr in msg. */
static int nnrun(int (*cmd)(int, char **), char **argv, char *msg, size_t len)
{
    int argc = 0;
    while (argv[argc]) argc++;
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), errfd = dup(2), fd = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644), null = open("/dev/null", O_WRONLY);
    dup2(fd, 2);
    dup2(null, 1);
    close(fd);
    close(null);
    int status = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(errfd, 2);
    close(out);
    close(errfd);
    FILE *f = fopen("stderr.txt", "r");
    size_t k = fread(msg, 1, len - 1, f);
    msg[k] = 0;
    fclose(f);
    return status;
}

static int resume_spec(const char *spec_file, const char *set, char *msg, size_t len)
{
    char *argv[] = {"nnrun", (char *)spec_file, "--quiet", "--resume", "--out", "runs/x", set ? "--set" : NULL, (char *)set, NULL};
    return nnrun(cmd_train, argv, msg, len);
}

static int resume(const char *set, char *msg, size_t len) { return resume_spec("tiny.yaml", set, msg, len); }

static int metrics_rows(const char *run)
{
    char path[256];
    snprintf(path, sizeof path, "%s/metrics.csv", run);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    return lines - 1;
}

/* the refusal: status 2, the file and the field named */
static void assert_refused(int status, const char *msg, const char *file, const char *what)
{
    if (status != 2 || !strstr(msg, file) || !strstr(msg, what))
        print_error("status %d, wanted 2 with '%s' and '%s' in: %s\n", status, file, what, msg);
    assert_int_equal(status, 2);
    assert_non_null(strstr(msg, file));
    assert_non_null(strstr(msg, what));
}

static void test_the_good_checkpoint_resumes_to_the_end(void **state)
{
    (void)state;
    char msg[4096];
    fresh_copy();
    assert_int_equal(resume(NULL, msg, sizeof msg), 0);
    assert_int_equal(metrics_rows("runs/x"), 3);
}

/* Each field of state.safetensors out of the range the spec implies (the run stopped in epoch
 * 2 at batch 2 of 4, after 6 steps and 32 rows this epoch). */
static void test_each_bad_field_is_refused_naming_it(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value, *says;
    } bad[] = {
        {"epoch", "-1", "epoch -1 is outside 0.."},
        {"batch_in_epoch", "20000000000", "batch_in_epoch 20000000000 is outside 0..4 (batches per epoch)"},
        {"batch_in_epoch", "-1", "batch_in_epoch -1 is outside 0..4 (batches per epoch)"},
        {"batch_in_epoch", "1000000000", "batch_in_epoch 1000000000 is outside 0..4 (batches per epoch)"},
        {"batch_in_epoch", "2.5", "batch_in_epoch '2.5' is not a whole number"},
        {"history_epochs", "-3", "history_epochs -3 is outside 1..1"},
        {"step", "-1", "step -1 is outside 2..6"},
        {"step", "99", "step 99 is outside 2..6"},
        {"optimizer_steps", "-1", "optimizer_steps -1 (step 'loss') is outside 6..6"},
        {"optimizer_steps", "6 6", "optimizer_steps '6 6' is not 1 number"},
        {"epoch_loss_rows", "0", "epoch_loss_rows 0 (group 'loss') is outside 1..32"},
        {"epoch_loss_rows", "33", "epoch_loss_rows 33 (group 'loss') is outside 1..32"},
        {"epoch_loss_sum", "nan", "epoch_loss_sum nan (group 'loss') is not a finite number"},
        {"epoch_loss_sum", "inf", "epoch_loss_sum inf (group 'loss') is not a finite number"},
        {"epoch_correct", "-1", "epoch_correct -1 is outside 0..32"},
        {"epoch_terms", "1 2 0", "epoch_terms 2 (term 'mse' of group 'loss': logits on the right side) is outside 0..0"},
        {"epoch_terms", "nan 0 0", "epoch_terms nan (term 'mse' of group 'loss': its value times the rows) is not a finite"},
        {"noise_rng", "0000000000000000000000000000000000000000000000000000000000000000:0:0x0p+0", "noise_rng '0000"},
        {"noise_rng", "zz", "noise_rng 'zz' is not a noise stream"},
        {"format", "nnrun-state-0", "format 'nnrun-state-0' is not nnrun-state-1"},
    };
    char msg[4096];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fresh_copy();
        rewrite_field("runs/x/state.safetensors", bad[i].key, bad[i].value);
        assert_refused(resume(NULL, msg, sizeof msg), msg, "runs/x/state.safetensors: ", bad[i].says);
    }
}

/* A history column of [100000, 0] (no data at all) once passed a check of its first dimension
 * and was read 4 bytes at a time past its end. */
static void test_tensors_of_the_wrong_shape_are_refused_naming_them(void **state)
{
    (void)state;
    static const struct {
        const char *tensor;
        nn_shape shape;
        const char *says;
    } bad[] = {
        {"history.train_loss", {2, {100000, 0}}, "tensor 'history.train_loss' has shape [100000, 0], not [1]"},
        {"history.test_loss", {1, {2}}, "tensor 'history.test_loss' has shape [2], not [1]"},
        {"steps", {2, {5, 3}}, "tensor 'steps' has shape [5, 3], not [6, 3]"},
        {"optimizer.m", {1, {3}}, "tensor 'optimizer.m' has shape [3], not [25]"},
    };
    char msg[4096];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fresh_copy();
        rewrite("runs/x/state.safetensors", NULL, NULL, bad[i].tensor, bad[i].shape, 0);
        assert_refused(resume(NULL, msg, sizeof msg), msg, "runs/x/state.safetensors: ", bad[i].says);
    }
}

/* Several steps and groups: their values are named; the raw weights of a net with ema are
 * checked like any tensor. */
static void test_a_gan_state_names_its_steps_groups_and_raw_weights(void **state)
{
    (void)state;
    char msg[4096];
    fresh_copy_of("runs/gan");
    assert_int_equal(resume_spec("gan.yaml", NULL, msg, sizeof msg), 0);
    assert_int_equal(metrics_rows("runs/x"), 3);
    static const struct {
        const char *key, *value, *says;
    } bad[] = {
        {"optimizer_steps", "10 21", "optimizer_steps 21 (step 'gen') is outside 0..20 (at most repeat runs per iteration)"},
        {"optimizer_steps", "9 20", "optimizer_steps 9 (step 'critic') is outside 10..10"},
        {"epoch_loss_rows", "64 129", "epoch_loss_rows 129 (group 'gen') is outside 0..128"},
        {"epoch_terms", "1 0 0 nan 0 0 1 0 0",
         "epoch_terms nan (term 'bce_with_logits_2' of group 'critic': its value times the rows) is not a finite number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fresh_copy_of("runs/gan");
        rewrite_field("runs/x/state.safetensors", bad[i].key, bad[i].value);
        assert_refused(resume_spec("gan.yaml", NULL, msg, sizeof msg), msg, "runs/x/state.safetensors: ", bad[i].says);
    }
    fresh_copy_of("runs/gan");
    rewrite("runs/x/state.safetensors", NULL, NULL, "raw.G.xy.weight", (nn_shape){1, {16}}, 0);
    assert_refused(resume_spec("gan.yaml", NULL, msg, sizeof msg), msg, "runs/x/state.safetensors: ",
                   "tensor 'raw.G.xy.weight' has shape [16], not [2, 8] (the raw weights of a net with ema)");
    fresh_copy_of("runs/gan");
    rewrite("runs/x/state.safetensors", NULL, NULL, "raw.G.xy.bias", (nn_shape){0}, NAN);
    assert_refused(resume_spec("gan.yaml", NULL, msg, sizeof msg), msg, "runs/x/state.safetensors: ",
                   "tensor 'raw.G.xy.bias' holds nan at index 0 (the raw weights of a net with ema)");
}

static int same_file(const char *a, const char *b)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
    return system(cmd) == 0;
}

/* A run in epoch 2 resumed with train.epochs=1 used to say "done", its weights ahead of its
 * metrics; it is refused with how to continue, and nothing in the run folder changes. */
static void test_a_run_past_the_spec_epochs_is_refused_with_how_to_continue(void **state)
{
    (void)state;
    char msg[4096];
    fresh_copy();
    assert_refused(resume("train.epochs=1", msg, sizeof msg), msg, "runs/x/state.safetensors: ",
                   "the run is in epoch 2 (batch 2 of 4), past the 1 epoch the spec asks for; continue it with "
                   "--set train.epochs=2 (or more), or train afresh without --resume");
    assert_true(same_file("runs/x/state.safetensors", "runs/good/state.safetensors"));
    assert_true(same_file("runs/x/model.safetensors", "runs/good/model.safetensors"));
    /* finished with 3 epochs: resuming it at 2 is refused, at 3 there is nothing left to do */
    assert_int_equal(resume(NULL, msg, sizeof msg), 0);
    assert_refused(resume("train.epochs=2", msg, sizeof msg), msg, "runs/x/state.safetensors: ",
                   "the run has done 3 epochs, more than the 2 the spec asks for; continue it with --set train.epochs=3");
    assert_int_equal(system("cp runs/x/model.safetensors done.safetensors"), 0);
    assert_int_equal(resume(NULL, msg, sizeof msg), 0);
    assert_true(same_file("runs/x/model.safetensors", "done.safetensors"));
    assert_int_equal(metrics_rows("runs/x"), 3);
}

/* NaN or infinite weights load nowhere: eval (as decode, sample and compare, through the same
 * loader) and --resume name the tensor and say how to recover. */
static void test_non_finite_weights_are_refused_naming_the_tensor(void **state)
{
    (void)state;
    char msg[4096];
    char *eval[] = {"eval", "runs/x", NULL};
    fresh_copy();
    assert_int_equal(nnrun(cmd_eval, eval, msg, sizeof msg), 0);
    rewrite("runs/x/model.safetensors", NULL, NULL, "out.bias", (nn_shape){0}, NAN);
    int status = nnrun(cmd_eval, eval, msg, sizeof msg);
    if (status != 1 || !strstr(msg, "runs/x/model.safetensors: 'out.bias' holds nan at index 0"))
        print_error("status %d: %s\n", status, msg);
    assert_int_equal(status, 1);
    assert_non_null(strstr(msg, "runs/x/model.safetensors: 'out.bias' holds nan at index 0"));
    assert_non_null(strstr(msg, "lower learning rate"));
    assert_non_null(strstr(msg, "train.clip_grad_norm"));
    fresh_copy();
    rewrite("runs/x/model.safetensors", NULL, NULL, "dense_1.weight", (nn_shape){0}, INFINITY);
    assert_refused(resume(NULL, msg, sizeof msg), msg, "runs/x/model.safetensors: ", "'dense_1.weight' holds inf at index 0");
    fresh_copy();
    rewrite("runs/x/state.safetensors", NULL, NULL, "optimizer.v", (nn_shape){0}, NAN);
    assert_refused(resume(NULL, msg, sizeof msg), msg, "runs/x/state.safetensors: ", "tensor 'optimizer.v' holds nan at index 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_good_checkpoint_resumes_to_the_end),
        cmocka_unit_test(test_each_bad_field_is_refused_naming_it),
        cmocka_unit_test(test_tensors_of_the_wrong_shape_are_refused_naming_them),
        cmocka_unit_test(test_a_gan_state_names_its_steps_groups_and_raw_weights),
        cmocka_unit_test(test_a_run_past_the_spec_epochs_is_refused_with_how_to_continue),
        cmocka_unit_test(test_non_finite_weights_are_refused_naming_the_tensor),
    };
    return cmocka_run_group_tests(tests, make_good_run, tmpdir_remove);
}
