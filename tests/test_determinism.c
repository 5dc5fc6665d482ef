/* The same spec, seed and thread count give the same bytes, whatever the load: two runs on 2
 * threads, one of them beside a process spinning on a core, write the same checkpoint; and a
 * run interrupted mid-epoch and resumed writes the same checkpoint as a straight run, for an
 * MLP, a CNN with batch norm and dropout, an LSTM and a GAN (two nets, two steps). The shapes
 * are big enough to take the parallel paths: GEMMs split over the threads (with parts OpenBLAS
 * sums in another order than the whole: gemm.c), convolutions over groups of images with
 * summed weight gradients (conv_groups.c), the LSTM's threads over sequences, loss sums over
 * chunks (parallel.h). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <omp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nn/runtime.h"
#include "nn/safetensors.h"
#include "file_util.h"
#include "tmpdir.h"
#include "spec_util.h"

/* An autoencoder of 784-D points with odd sizes: batch 31 makes the first layer's GEMM
 * (31 x 100 x 784) split by columns into parts of 64 and 36. 10 steps per epoch. */
static const char mlp_spec[] = "name: mlp\n"
                               "seed: 3\n"
                               "data: {train: {dataset: points, points: gaussian, n: 310, dim: 784}}\n"
                               "model:\n"
                               "  input: [784]\n"
                               "  layers: [{dense: 100, act: selu}, {dropout: 0.1}, {dense: 784, name: recon}]\n"
                               "loss: {mse: {pred: recon, target: input}}\n"
                               "train: {optimizer: {adam: {lr: 0.001}}, batch: 31, epochs: 3}\n"
                               "report: []\n";

/* 16x16 "images" through two convolutions on groups of images, the first with its pool as one
 * op (conv2d_maxpool), 3 steps per epoch. */
static const char cnn_spec[] = "name: cnn\n"
                               "seed: 3\n"
                               "data: {train: {dataset: points, points: gaussian, n: 192, dim: 256}}\n"
                               "model:\n"
                               "  input: [1, 16, 16]\n"
                               "  layers:\n"
                               "    - {conv: {filters: 16, kernel: 3, pad: same}, act: relu}\n"
                               "    - maxpool\n"
                               "    - batchnorm\n"
                               "    - {conv: {filters: 16, kernel: 3, pad: same}, act: relu}\n"
                               "    - maxpool\n"
                               "    - dropout: 0.2\n"
                               "    - flatten\n"
                               "    - {dense: 256, name: out}\n"
                               "loss: {mse: {pred: out, target: input}}\n"
                               "train: {optimizer: {adam: {lr: 0.001}}, batch: 64, epochs: 2}\n"
                               "report: []\n";

/* 64 sequences of 10 steps per batch: enough work per step for the LSTM's threads. */
static const char lstm_spec[] = "name: lstm\n"
                                "seed: 3\n"
                                "data: {train: {dataset: points, points: gaussian, n: 320, dim: 160}}\n"
                                "model:\n"
                                "  input: [10, 16]\n"
                                "  layers: [{lstm: {units: 64, output: all}}, {dense: 16, name: out}]\n"
                                "loss: {mse: {pred: out, target: input}}\n"
                                "train: {optimizer: {adam: {lr: 0.001}}, batch: 64, epochs: 2}\n"
                                "report: []\n";

/* D's 50 x 200 x 200 GEMMs split into parts of 112 and 88 columns (6 iterations per epoch). */
static const char gan_spec[] = "name: gan\n"
                               "seed: 3\n"
                               "data: {train: {dataset: points, points: parabola, n: 300, range: [-1, 1]}}\n"
                               "nets:\n"
                               "  G: {input: {noise: [8]}, layers: [{dense: 200, act: tanh}, {dense: 200, act: tanh}, {dense: 2}]}\n"
                               "  D: {input: [2], layers: [{dense: 200, act: relu}, {dense: 200, act: relu}, {dense: 1, name: logit}]}\n"
                               "losses:\n"
                               "  critic: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]\n"
                               "  gen: {bce_with_logits: {pred: D(G), target: 1}}\n"
                               "train:\n"
                               "  optimizer: {adam: {lr: 0.001, betas: [0.5, 0.999]}}\n"
                               "  batch: 50\n"
                               "  epochs: 3\n"
                               "  steps: [{minimize: critic, update: D}, {minimize: gen, update: G}]\n"
                               "report: []\n";

/* Trains FILE into OUT (resuming, or "interrupted" after step interrupt_at); the status. */
static int train(const char *file, const char *out, int resume, long interrupt_at)
{
    spec_run r;
    spec_run_train(&r, file, out, NULL, 0, resume, interrupt_at);
    int status = r.status;
    spec_run_free(&r);
    return status;
}

/* model.safetensors of runs A and B byte for byte. */
static void assert_same_model(const char *a, const char *b)
{
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s/model.safetensors", a);
    snprintf(pb, sizeof pb, "%s/model.safetensors", b);
    assert_same_bytes(pa, pb);
}

/* state.safetensors of runs A and B: every tensor (optimizer state, noise stream, history) the
 * same bytes, but the epochs' wall-clock seconds. */
static void assert_same_state(const char *a, const char *b)
{
    char pa[256], pb[256], err[256];
    snprintf(pa, sizeof pa, "%s/state.safetensors", a);
    snprintf(pb, sizeof pb, "%s/state.safetensors", b);
    nn_st_file *x = nn_st_open(pa, err, sizeof err), *y = nn_st_open(pb, err, sizeof err);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(nn_st_count(x), nn_st_count(y));
    for (int i = 0; i < nn_st_count(x); i++) {
        const char *name = nn_st_name(x, i);
        if (strcmp(name, "history.seconds") == 0) continue;
        int j = nn_st_find(y, name);
        assert_true(j >= 0);
        nn_shape s = nn_st_shape(x, i);
        if (memcmp(nn_st_data(x, i), nn_st_data(y, j), nn_shape_numel(&s) * sizeof(float)) != 0)
            print_error("%s: %s differs from %s's\n", pa, name, pb);
        assert_memory_equal(nn_st_data(x, i), nn_st_data(y, j), nn_shape_numel(&s) * sizeof(float));
    }
    for (int i = 0; i < nn_st_meta_count(x); i++) {
        nn_st_meta m = nn_st_meta_at(x, i);
        const char *other = nn_st_meta_get(y, m.key);
        assert_non_null(other);
        assert_string_equal(m.value, other);
    }
    nn_st_close(x);
    nn_st_close(y);
}

/* A process spinning on the last core until killed. */
static pid_t spin_on_a_core(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)sysconf(_SC_NPROCESSORS_ONLN) - 1, &set);
        sched_setaffinity(0, sizeof set, &set);   /* anywhere will do if this fails */
        for (volatile unsigned long i = 0;; i++) continue;
    }
    return pid;
}

static void stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_two_runs_write_the_same_bytes_while_a_core_is_busy(void **state)
{
    (void)state;
    const char *specs[][2] = {{"cnn", cnn_spec}, {"mlp", mlp_spec}, {"gan", gan_spec}};
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        char file[64], quiet[64], busy_dir[64];
        snprintf(file, sizeof file, "%s.yaml", specs[i][0]);
        snprintf(quiet, sizeof quiet, "runs/%s-quiet", specs[i][0]);
        snprintf(busy_dir, sizeof busy_dir, "runs/%s-busy", specs[i][0]);
        write_file(file, specs[i][1]);
        assert_int_equal(train(file, quiet, 0, 0), 0);
        pid_t busy = spin_on_a_core();
        int status = train(file, busy_dir, 0, 0);
        stop(busy);
        assert_int_equal(status, 0);
        assert_same_model(quiet, busy_dir);
        assert_same_state(quiet, busy_dir);
    }
}

/* SPEC straight, and interrupted after step CUT (mid-epoch) then resumed: the same bytes. */
static void check_resume_is_bit_exact(const char *name, const char *text, long cut)
{
    char file[64], straight[64], cut_dir[64];
    snprintf(file, sizeof file, "%s.yaml", name);
    snprintf(straight, sizeof straight, "runs/%s-straight", name);
    snprintf(cut_dir, sizeof cut_dir, "runs/%s-cut", name);
    write_file(file, text);
    assert_int_equal(train(file, straight, 0, 0), 0);
    assert_int_equal(train(file, cut_dir, 0, cut), 130);
    assert_int_equal(train(file, cut_dir, 1, 0), 0);
    assert_same_model(straight, cut_dir);
    assert_same_state(straight, cut_dir);
}

static void test_a_resumed_mlp_equals_a_straight_run(void **state)
{
    (void)state;
    check_resume_is_bit_exact("mlp", mlp_spec, 15);
}

static void test_a_resumed_cnn_with_batch_norm_and_dropout_equals_a_straight_run(void **state)
{
    (void)state;
    check_resume_is_bit_exact("cnn", cnn_spec, 4);
}

static void test_a_resumed_lstm_equals_a_straight_run(void **state)
{
    (void)state;
    check_resume_is_bit_exact("lstm", lstm_spec, 7);
}

static void test_a_resumed_gan_equals_a_straight_run(void **state)
{
    (void)state;
    check_resume_is_bit_exact("gan", gan_spec, 9);
}

int main(void)
{
    nn_runtime_init();
    omp_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_runs_write_the_same_bytes_while_a_core_is_busy),
        cmocka_unit_test(test_a_resumed_mlp_equals_a_straight_run),
        cmocka_unit_test(test_a_resumed_cnn_with_batch_norm_and_dropout_equals_a_straight_run),
        cmocka_unit_test(test_a_resumed_lstm_equals_a_straight_run),
        cmocka_unit_test(test_a_resumed_gan_equals_a_straight_run),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
