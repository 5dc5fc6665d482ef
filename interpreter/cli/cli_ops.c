/* `nnrun ops [--bench [--size N] [--op NAME]...]`: the runtime's op registry, and the per-op
 * benchmark of nn/op_bench.h (each op's own fixture, scaled up) as a table. */
#include "cli.h"
#include "../lang/diag.h"
#include "nn/op_bench.h"
#include "nn/ops.h"
#include "nn/runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_SIZE = 32, MAX_SIZE = 64, SAMPLES = 7 };
#define MIN_SAMPLE_MS 1.0

static const char usage[] =
    "usage: nnrun ops [--bench [--size N] [--op NAME]...]\n"
    "Lists the runtime's ops (the registry) with one line each.\n"
    "  --bench     time each op's forward and backward on its own gradient-check fixture, scaled\n"
    "              up: one row per op with the milliseconds per call (median of 7 samples after a\n"
    "              warm-up; planning and allocation excluded), GFLOP/s where the op counts its\n"
    "              FLOPs, and the input shapes\n"
    "  --size N    the fixtures' batch, feature and sequence sizes times N, 1 to 64 (default 32;\n"
    "              1 is the gradient check's own tiny case)\n"
    "  --op NAME   only this op (repeatable)\n";

typedef struct {
    int bench, filtered;
    long size;
    char *chosen;   /* chosen[op]: --op named it */
} ops_args;

/* "nnrun ops: unknown op 'x' (did you mean 'y'?)", or the list of ops, on stderr */
static void unknown_op(const char *name)
{
    int n = nn_op_count();
    const char **names = malloc((size_t)n * sizeof *names);
    for (int i = 0; names && i < n; i++) names[i] = nn_op_def_at(i)->name;
    char *msg = names ? diag_unknown_msg("op", name, NULL, names, n) : NULL;
    fprintf(stderr, "nnrun ops: %s\n", msg ? msg : "unknown op");
    free(msg);
    free(names);
}

/* Parses argv[1..]; returns 0, 1 after --help, 2 after a usage error (with a message). */
static int parse_ops_args(int argc, char **argv, ops_args *a)
{
    int sized = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int valued = strcmp(o, "--size") == 0 || strcmp(o, "--op") == 0;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(o, "--bench") == 0) {
            a->bench = 1;
        } else if (valued && i + 1 == argc) {
            fprintf(stderr, "nnrun ops: %s needs a value (see --help)\n", o);
            return 2;
        } else if (strcmp(o, "--size") == 0) {
            if (cli_whole_number("ops", o, argv[++i], 1, MAX_SIZE, &a->size) < 0) return 2;
            sized = 1;
        } else if (strcmp(o, "--op") == 0) {
            int op = nn_op_find(argv[++i]);
            if (op < 0) {
                unknown_op(argv[i]);
                return 2;
            }
            a->chosen[op] = 1;
            a->filtered = 1;
        } else {
            fprintf(stderr, "nnrun ops: unknown option '%s' (see --help)\n", o);
            return 2;
        }
    }
    if (!a->bench && (sized || a->filtered)) {
        fprintf(stderr, "nnrun ops: --size and --op go with --bench\n");
        return 2;
    }
    return 0;
}

static void list_ops(void)
{
    for (int i = 0; i < nn_op_count(); i++) {
        const nn_op_def *d = nn_op_def_at(i);
        printf("%-24s %s\n", d->name, d->doc);
    }
}

/* GFLOP/s of flops in ms into buf, or "-" when the op counts none */
static const char *rate(double flops, double ms, char *buf, size_t len)
{
    if (flops > 0 && ms > 0) snprintf(buf, len, "%.2f", flops / ms / 1e6);
    else snprintf(buf, len, "-");
    return buf;
}

static void print_row(const nn_op_bench_result *r)
{
    char bwd[32] = "-", fr[32], br[32];
    if (r->backward_ms >= 0) snprintf(bwd, sizeof bwd, "%.6f", r->backward_ms);
    printf("%-24s %11.6f %11s %11s %11s  %s", nn_op_def_at(r->op)->name, r->forward_ms, bwd,
           rate(r->forward_flops, r->forward_ms, fr, sizeof fr), rate(r->backward_flops, r->backward_ms, br, sizeof br),
           r->inputs);
    if (r->via != r->op) printf(" (in the backward of %s)", nn_op_def_at(r->via)->name);
    putchar('\n');
    fflush(stdout);
}

static int bench_ops(const ops_args *a)
{
    nn_op_bench_config cfg = {(int)a->size, SAMPLES, MIN_SAMPLE_MS};
    printf("# nnrun ops --bench --size %ld: each op on its gradient-check fixture, batch, feature and\n"
           "# sequence sizes x%ld, in training mode; %s (OMP_NUM_THREADS sets the threads)\n"
           "# ms per call: median of %d samples after a warm-up, a sample the mean over >= %g ms of calls;\n"
           "# planning and allocation excluded. backward: the nodes the op's backward emits ('-': none);\n"
           "# a gradient-only op is timed in the backward of the op it belongs to\n",
           a->size, a->size, nn_blas_description(), SAMPLES, MIN_SAMPLE_MS);
    printf("# %-22s %11s %11s %11s %11s  %s\n", "op", "forward ms", "backward ms", "fwd GFLOP/s", "bwd GFLOP/s",
           "input shapes");
    int failed = 0;
    for (int op = 0; op < nn_op_count(); op++) {
        if (a->filtered && !a->chosen[op]) continue;
        nn_op_bench_result r;
        char err[NN_ERR_LEN];
        if (nn_op_bench(op, &cfg, &r, err, sizeof err) < 0) {
            fprintf(stderr, "nnrun ops: %s\n", err);
            failed = 1;
        } else {
            print_row(&r);
        }
    }
    return failed;
}

int cmd_ops(int argc, char **argv)
{
    ops_args a = {.size = DEFAULT_SIZE, .chosen = calloc((size_t)nn_op_count(), 1)};
    if (!a.chosen) {
        fprintf(stderr, "nnrun ops: out of memory\n");
        return 1;
    }
    int parsed = parse_ops_args(argc, argv, &a), rc = parsed == 2 ? 2 : 0;   /* parsed 1: --help printed */
    if (parsed == 0 && a.bench) rc = bench_ops(&a);
    else if (parsed == 0) list_ops();
    free(a.chosen);
    return rc;
}
