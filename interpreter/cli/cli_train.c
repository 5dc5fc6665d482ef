/* `nnrun SPEC`: validate, load data, build graphs, train, write the run folder. */
#include "cli.h"
#include "../out/report.h"
#include "../out/run_files.h"
#include "../run/progress.h"
#include "../lang/spec_merge.h"
#include "sweep.h"
#include "../run/trainer.h"
#include "../run/trainer_dist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nnrun SPEC [--set KEY.PATH=VALUE]... [--epochs N] [--limit-batches N] [--out DIR] [--resume] [--quiet]\n"
    "                  [--profile]\n"
    "Trains the experiment SPEC describes and writes runs/<name>/: spec.yaml (resolved), metrics.csv (per epoch),\n"
    "steps.csv (per iteration), model.safetensors, state.safetensors (resume), figures and report.html.\n"
    "A data study (a spec without model: or nets:) trains nothing: it writes spec.yaml, its figures and report.html.\n"
    "Ctrl-C finishes the current step, saves a resumable checkpoint and exits with status 130 (SIGTERM: 143);\n"
    "`nnrun SPEC --resume` continues exactly where it stopped. --profile prints the time spent in each op\n"
    "(wall time; with NN_PROFILE_CPU=1 in the environment, CPU time) and the training's GFLOP/s.\n";

/* The work of an iteration and the rate the training ran at (a machine's GEMM peak is the limit). */
static void print_training_rate(const trainer *t)
{
    double seconds = 0, flops = trainer_iteration_flops(t);
    for (int e = 0; e < t->h.n; e++) seconds += t->h.col[t->hc.seconds][e];
    if (flops > 0 && seconds > 0 && t->step > 0)
        printf("training: %.3g GFLOP per iteration (forward and backward, at the full batch), %ld iterations in %.1f s: "
               "%.1f GFLOP/s\n", flops / 1e9, t->step, seconds, flops * (double)t->step / seconds / 1e9);
}

/* A data study (no network): the run folder with spec.yaml, the data reports' figures and
 * report.html; nothing trains, so no metrics or checkpoints. Returns the exit status. */
static int run_data_study(trainer *t)
{
    const spec *s = t->s;
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    char err[1024];
    printf("%s: a data study of %d samples (no network, nothing trains); run folder %s\n", s->name, ds->n, s->out_dir);
    fflush(stdout);
    if (run_files_begin(t, err, sizeof err) < 0 || run_files_finish(t, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun: %s\n", err);
        return 1;
    }
    printf("done: %s/report.html\n", s->out_dir);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    spec_args a;
    int rc = parse_spec_args(argc, argv, usage, 1, &a);
    if (rc) return rc == 1 ? 0 : rc;
    diag dg;
    diag_init(&dg);
    diag *d = &dg;
    ynode *tree = spec_load_tree(a.spec, a.overrides, a.n_overrides, d);
    if (tree && sweep_present(tree)) {
        char out[1100];
        snprintf(out, sizeof out, "output=%s", a.out ? a.out : "");
        if (a.out) spec_apply_set(&tree, out, d);
        if (a.resume) fprintf(stderr, "nnrun: --resume applies to single runs, not sweeps\n");
        rc = a.resume ? 2 : sweep_run(tree, a.spec, a.quiet, d);
        if (diag_count(d)) rc = 2;
        diag_print(d, stderr);
        ynode_free(tree);
        diag_free(d);
        return rc;
    }
    spec *s = tree ? spec_from_tree(tree, a.spec, d) : NULL;
    if (tree && !s) ynode_free(tree);
    if (s && a.out) snprintf(s->out_dir, sizeof s->out_dir, "%s", a.out);
    trainer t;
    char err[1024];
    int ok = s && trainer_init(&t, s, d) == 0;
    if (ok && report_add_metrics(&t, err, sizeof err) < 0) {
        diag_error_at(d, s->file, 1, 1, "%s", err);
        ok = 0;
    }
    if (ok && report_check_data(s, &t.info, d) < 0) ok = 0;
    if (ok && a.resume && !s->n_nets) {
        diag_error_at(d, s->file, 1, 1, "--resume: a data study (no network) trains nothing, so there is nothing to resume");
        ok = 0;
    }
    if (ok && a.resume && trainer_resume(&t, d) < 0) ok = 0;
    int writer = dist_is_writer();   /* several ranks: rank 0 prints and writes the run folder */
    if (!ok || diag_count(d)) {
        if (writer) diag_print(d, stderr);
        if (s) trainer_free(&t);
        spec_free(s);
        diag_free(d);
        return 2;
    }
    if (!s->n_nets) {
        rc = writer ? run_data_study(&t) : 0;
        trainer_free(&t);
        spec_free(s);
        diag_free(d);
        return rc;
    }
    int begun = !writer || run_files_begin(&t, err, sizeof err) == 0;
    if (writer && !begun) fprintf(stderr, "nnrun: %s\n", err);
    if (dist_any(!begun)) {
        rc = 1;
    } else {
        if (writer)
            printf("%s: %d training samples%s; run folder %s\n", s->name, t.data.train.n, a.resume ? " (resumed)" : "",
                   s->out_dir);
        fflush(stdout);   /* the run has started: say so now, also into a file or a pipe */
        dist_print_setup(&t);
        nn_profile_enable(a.profile);
        const char *at = getenv("NNRUN_TEST_INTERRUPT");   /* tests: Ctrl-C twice after step N (nnrun.1) */
        if (at) {
            t.interrupt_at_step = atol(at);
            t.interrupt_again = 1;
        }
        progress pg;
        run_files_saver saver;
        trainer_hooks hooks[] = {progress_hooks(&pg, a.quiet), run_files_hooks(&saver)};   /* show, then save */
        rc = t.epoch >= s->train.epochs ? 0 : trainer_run(&t, hooks, writer ? 2 : 0);
        if (a.profile && writer) {
            printf("time per op (training and evaluation):\n");
            nn_profile_report(stdout);
            nn_profile_enable(0);
            print_training_rate(&t);
            dist_print_profile(&t);
        }
        if (rc == 0 && writer && run_files_finish(&t, err, sizeof err) < 0) {
            fprintf(stderr, "nnrun: %s\n", err);
            rc = 1;
        }
        if (rc == 0 && writer) printf("done: %s/report.html\n", s->out_dir);
    }
    trainer_free(&t);
    spec_free(s);
    diag_free(d);
    return rc;
}
