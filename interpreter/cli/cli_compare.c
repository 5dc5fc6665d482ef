/* `nnrun compare RUN_DIR...`: trained runs side by side. The same seeded choice of evaluation
 * images goes through every run; the figure shows the originals, the inputs as a run saw them
 * when it corrupts them at evaluation, each run's reconstructions, all loss curves overlaid and
 * each run's embedding; for translation runs, each run's test BLEU, BLEU per epoch and its
 * outputs for the same test sentences. Parts are drawn as PNGs of their own (kept, and shown in compare.html)
 * and stacked into compare.png. */
#include "cli.h"
#include "../out/compare.h"
#include "../out/run_files.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_COUNT 8
#define MAX_COUNT 64

static const char usage[] =
    "usage: nnrun compare RUN_DIR... [--out DIR] [--count N]\n"
    "Compares trained runs (folders written by `nnrun SPEC`) of the same data: N evaluation\n"
    "images (the same seeded choice for every run), the inputs as each run saw them when its\n"
    "model corrupts the input at evaluation, each run's reconstructions, every run's train and\n"
    "test loss on one chart, and each run's embedding when its spec reports one. Translation\n"
    "runs: each model's greedy test BLEU, BLEU per epoch on one chart, and N test sentences\n"
    "(a seeded choice) with the reference and every run's translation.\n"
    "Writes DIR/compare.png and DIR/compare.html (default DIR: runs/compare).\n"
    "  --out DIR    output folder (created if needed)\n"
    "  --count N    images per row, or sentences (default 8, at most 64)\n"
    "Exit status 0 done, 1 failure (e.g. a missing checkpoint), 2 bad usage, a bad run folder\n"
    "or runs whose data differ in shape.\n";

static int parse_args(int argc, char **argv, compare_args *a)
{
    memset(a, 0, sizeof *a);
    a->out = "runs/compare";
    a->count = DEFAULT_COUNT;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(o, "--out") == 0 && i + 1 < argc) {
            a->out = argv[++i];
        } else if (strcmp(o, "--count") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > MAX_COUNT) {
                fprintf(stderr, "nnrun compare: --count takes a whole number from 1 to %d, not '%s'\n", MAX_COUNT, argv[i]);
                return 2;
            }
            a->count = (int)v;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "nnrun compare: unknown option '%s' (see nnrun compare --help)\n", o);
            return 2;
        } else if (a->n_runs == COMPARE_MAX_RUNS) {
            fprintf(stderr, "nnrun compare: at most %d runs at once\n", COMPARE_MAX_RUNS);
            return 2;
        } else {
            a->runs[a->n_runs++] = o;
        }
    }
    if (a->n_runs == 0) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}

/* The run's label: its folder's name (runs/<name> unless --out said otherwise). */
static void run_label(const char *dir, char *out, size_t len)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && dir[b - 1] != '/') b--;
    snprintf(out, len, "%.*s", (int)(n - b), dir + b);
}

/* Loads every run's spec and checks that their data have one shape, before any data is read. */
static int load_specs(const compare_args *a, compare_run *runs)
{
    diag dg;
    diag_init(&dg);
    int rc = 0;
    for (int k = 0; k < a->n_runs && rc == 0; k++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/spec.yaml", a->runs[k]);
        runs[k].dir = a->runs[k];
        run_label(a->runs[k], runs[k].label, sizeof runs[k].label);
        runs[k].s = spec_load(path, NULL, 0, &dg);
        data_info info;
        if (runs[k].s && !runs[k].s->n_nets) {
            diag_error_at(&dg, path, 1, 1, "%s is a data study (no network): nothing to compare; its figures are in "
                          "%s/report.html", a->runs[k], a->runs[k]);
            rc = 2;
        } else if (!runs[k].s || data_describe(runs[k].s, &info, &dg) < 0 || diag_count(&dg)) rc = 2;
        else runs[k].sample = info.sample;
    }
    diag_print(&dg, stderr);
    diag_free(&dg);
    for (int k = 1; k < a->n_runs && rc == 0; k++)
        if (!nn_shape_eq(&runs[k].sample, &runs[0].sample)) {
            char s0[64], s1[64];
            fprintf(stderr,
                    "nnrun compare: the runs' data differ in shape: %s has samples of shape %s, %s of shape %s;\n"
                    "  compare runs trained on the same kind of data\n",
                    runs[0].dir, nn_shape_str(&runs[0].sample, s0, sizeof s0), runs[k].dir,
                    nn_shape_str(&runs[k].sample, s1, sizeof s1));
            rc = 2;
        }
    return rc;
}

static void free_runs(compare_run *runs, int n)
{
    for (int k = 0; k < n; k++) {
        spec_free(runs[k].s);
        metrics_csv_free(&runs[k].metrics);
    }
}

int cmd_compare(int argc, char **argv)
{
    compare_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    compare_run runs[COMPARE_MAX_RUNS];
    memset(runs, 0, sizeof runs);
    char err[1024] = "";
    rc = load_specs(&a, runs);
    if (rc == 0 && make_dirs(a.out, err, sizeof err) < 0) rc = 1;
    compare_images im;
    compare_texts tx;
    memset(&im, 0, sizeof im);
    memset(&tx, 0, sizeof tx);
    for (int k = 0; k < a.n_runs && rc == 0; k++)
        rc = compare_collect_run(&runs[k], &im, &tx, a.count, a.out, k, err, sizeof err);
    if (rc == 0) rc = compare_write(&a, runs, &im, &tx, err, sizeof err);
    if (rc && err[0]) fprintf(stderr, "nnrun compare: %s\n", err);
    if (rc == 0) printf("wrote %s/compare.png and %s/compare.html\n", a.out, a.out);
    compare_images_free(&im);
    compare_texts_free(&tx);
    free_runs(runs, a.n_runs);
    return rc;
}
