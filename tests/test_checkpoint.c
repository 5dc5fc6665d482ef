/* A checkpoint's two files, model.safetensors and state.safetensors, are one unit. Failures
 * injected into their commit (atomic_file_fault.h): a full disk or a failed fsync while either
 * is written keeps the previous pair, byte for byte, with no temporary file left, and --resume
 * continues from it to the weights of a run that never failed; a checkpoint cut between its
 * two renames (the state in place, the weights still in their temporary file) is finished by
 * --resume, which then continues as if nothing had happened; a pair whose steps disagree with
 * nothing to finish it is refused, naming both steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/safetensors.h"
#include "../runtime/io/atomic_file_fault.h"
#include "file_util.h"
#include "tmpdir.h"
#include "spec_util.h"

/* 200 samples in batches of 32: 7 steps per epoch, a checkpoint after the last epoch. */
static const char fit_spec[] = "name: fit\n"
                               "seed: 4\n"
                               "data: {train: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 200, sampling: random}}\n"
                               "model:\n"
                               "  input: [1]\n"
                               "  layers: [{dense: 16, act: tanh}, {dropout: 0.1}, {dense: 1, name: out}]\n"
                               "loss: {mse: {pred: out, target: target}}\n"
                               "train: {optimizer: {adam: {lr: 0.01}}, batch: 32, epochs: 2}\n"
                               "report: []\n";

/* Trains fit.yaml into OUT for EPOCHS epochs, resuming or not; the status. */
static int train(const char *out, int epochs, int resume)
{
    char set[32];
    snprintf(set, sizeof set, "train.epochs=%d", epochs);
    const char *sets[] = {set};
    spec_run r;
    spec_run_train(&r, "fit.yaml", out, sets, 1, resume, 0);
    int status = r.status;
    spec_run_free(&r);
    return status;
}

static void assert_same_file(const char *a, const char *b, const char *name)
{
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s/%s", a, name);
    snprintf(pb, sizeof pb, "%s/%s", b, name);
    assert_same_bytes(pa, pb);
}

/* The step a checkpoint file of DIR says it is from. */
static long step_of(const char *dir, const char *name)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nn_st_file *f = nn_st_open(path, err, sizeof err);
    if (!f) print_error("%s\n", err);
    assert_non_null(f);
    const char *s = nn_st_meta_get(f, "step");
    assert_non_null(s);
    long step = atol(s);
    nn_st_close(f);
    return step;
}

static int temporary_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

/* runs/before: 2 epochs (the checkpoint of step 14); OUT: a copy of it, resumed towards 4
 * epochs with FILE's commit failing at STEP. */
static void fail_the_second_checkpoint(const char *out, const char *file, nn_atomic_step step, int err_no)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r runs/before %s", out, out);
    assert_int_equal(system(cmd), 0);
    nn_atomic_fail_next(file, step, err_no);
    assert_int_equal(train(out, 4, 1), 1);
    nn_atomic_fail_next(NULL, NN_ATOMIC_OK, 0);
}

static void test_a_checkpoint_that_cannot_be_written_leaves_the_previous_pair(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    assert_int_equal(train("runs/before", 2, 0), 0);
    assert_int_equal(train("runs/straight", 4, 0), 0);
    static const struct {
        const char *file;
        nn_atomic_step step;
        int err_no;
    } faults[] = {
        {"state.safetensors", NN_ATOMIC_WRITE, ENOSPC},   /* the first of the two */
        {"model.safetensors", NN_ATOMIC_WRITE, ENOSPC},   /* the second */
        {"model.safetensors", NN_ATOMIC_FSYNC, EIO},
        {"state.safetensors", NN_ATOMIC_RENAME, EIO},     /* the first rename: nothing replaced yet */
    };
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++) {
        fail_the_second_checkpoint("runs/failed", faults[i].file, faults[i].step, faults[i].err_no);
        assert_same_file("runs/before", "runs/failed", "model.safetensors");
        assert_same_file("runs/before", "runs/failed", "state.safetensors");
        assert_int_equal(temporary_files("runs/failed"), 0);
        assert_int_equal(train("runs/failed", 4, 1), 0);   /* once the disk is fine again */
        assert_same_file("runs/straight", "runs/failed", "model.safetensors");
    }
}

static void test_a_checkpoint_cut_between_its_renames_is_finished_by_resume(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    assert_int_equal(train("runs/before", 2, 0), 0);
    assert_int_equal(train("runs/straight", 6, 0), 0);
    /* the state is renamed first; a crash before the weights' rename is a failed rename here */
    fail_the_second_checkpoint("runs/cut", "model.safetensors", NN_ATOMIC_RENAME, EIO);
    assert_int_equal(step_of("runs/cut", "state.safetensors"), 28);
    assert_int_equal(step_of("runs/cut", "model.safetensors"), 14);
    assert_int_equal(temporary_files("runs/cut"), 1);
    assert_int_equal(train("runs/cut", 6, 1), 0);
    assert_int_equal(temporary_files("runs/cut"), 0);
    assert_same_file("runs/straight", "runs/cut", "model.safetensors");
}

static void test_a_pair_from_two_steps_with_nothing_to_finish_it_is_refused(void **state)
{
    (void)state;
    write_file("fit.yaml", fit_spec);
    assert_int_equal(train("runs/two", 2, 0), 0);
    assert_int_equal(train("runs/four", 4, 0), 0);
    assert_int_equal(system("cp runs/four/model.safetensors runs/two/model.safetensors"), 0);
    diag d;
    diag_init(&d);
    spec *s = spec_load("fit.yaml", NULL, 0, &d);
    assert_non_null(s);
    snprintf(s->out_dir, sizeof s->out_dir, "runs/two");
    trainer t;
    assert_int_equal(trainer_init(&t, s, &d), 0);
    assert_int_equal(trainer_resume(&t, &d), -1);
    assert_int_equal(diag_count(&d), 1);
    const char *msg = d.items[0].msg;
    if (!strstr(msg, "runs/two/model.safetensors is from step 28 but state.safetensors from step 14"))
        print_error("message: %s\n", msg);
    assert_non_null(strstr(msg, "runs/two/model.safetensors is from step 28 but state.safetensors from step 14"));
    trainer_free(&t);
    spec_free(s);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_checkpoint_that_cannot_be_written_leaves_the_previous_pair),
        cmocka_unit_test(test_a_checkpoint_cut_between_its_renames_is_finished_by_resume),
        cmocka_unit_test(test_a_pair_from_two_steps_with_nothing_to_finish_it_is_refused),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
