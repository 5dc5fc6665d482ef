/* `nnrun check | summary | diff | eval`. */
#include "../run/checkpoint.h"
#include "cli.h"
#include "../out/model_layers.h"
#include "../out/model_math.h"
#include "../out/report.h"
#include "../run/data_setup.h"
#include "../build/model_build.h"
#include "nn/ops.h"
#include "../lang/spec_defaults.h"
#include "../lang/spec_merge.h"
#include "spec_check.h"
#include "../run/trainer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int finish(spec *s, model_graph *m, diag *d, int ok_status)
{
    int rc = diag_count(d) ? 2 : ok_status;
    diag_print(d, stderr);
    model_free(m);
    spec_free(s);
    diag_free(d);
    return rc;
}

int cmd_check(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun check SPEC [--set KEY.PATH=VALUE]...\n"
                                "Validates SPEC (schema, references, every shape) and reports all problems as\n"
                                "FILE:LINE:COL: error: MESSAGE. Exit status 0 if valid, 2 if not.\n";
    spec_args a;
    int rc = parse_spec_args(argc, argv, usage, 0, &a);
    if (rc) return rc == 1 ? 0 : rc;
    diag dg;
    diag_init(&dg);
    diag *d = &dg;
    model_graph *m = NULL;
    spec *s = spec_check_build(a.spec, a.overrides, a.n_overrides, &m, d);
    if (s && !s->n_nets && !diag_count(d))
        printf("%s: ok (no network: a data study; %d report%s)\n", a.spec, s->n_reports, s->n_reports == 1 ? "" : "s");
    if (s && m && !diag_count(d)) {
        int layers = 0;
        for (int n = 0; n < s->n_nets; n++) layers += s->nets[n].n_layers;
        printf("%s: ok (%d net%s, %d layers, %zu parameters)\n", a.spec, s->n_nets, s->n_nets == 1 ? "" : "s", layers,
               m->g->n_param_floats);
    }
    return finish(s, m, d, 0);
}

static void human(double v, char *buf, size_t len)
{
    if (v >= 1e9) snprintf(buf, len, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(buf, len, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(buf, len, "%.1fk", v / 1e3);
    else snprintf(buf, len, "%.0f", v);
}

/* The widths of the name and op columns: the longest of every net's, at least 20. */
typedef struct {
    int name, op;
} summary_widths;

static summary_widths widths_of(const spec *s)
{
    summary_widths w = {20, 20};
    char op[64];
    for (int n = 0; n < s->n_nets; n++)
        for (int i = 0; i < s->nets[n].n_layers; i++) {
            const layer_spec *l = &s->nets[n].layers[i];
            layer_op_name(l, op, sizeof op);
            if ((int)strlen(l->name) > w.name) w.name = (int)strlen(l->name);
            if ((int)strlen(op) > w.op) w.op = (int)strlen(op);
        }
    return w;
}

/* The rows of net n: its inputs, then each layer of its first call (a net called twice has
 * one set of parameters: they are counted once). */
static void summarise_net(const spec *s, model_graph *m, int n, summary_widths w, size_t *total_p, double *total_f)
{
    const model_spec *net = &s->nets[n];
    const net_call *c = net_first_call(m, n);
    char shp[64], fl[32];
    if (s->n_nets > 1) printf("%snet %s\n", n ? "\n" : "", net->name);
    printf("%-*s %-*s %-18s %12s %12s\n", w.name, "layer", w.op, "op", "output shape", "parameters", "FLOPs");
    for (int k = 0; k < net->n_inputs; k++)
        printf("%-*s %-*s %-18s %12s %12s\n", w.name, net->inputs[k].name, w.op, "input",
               nn_shape_str(&net->inputs[k].shape, shp, sizeof shp), "0", "0");
    if (!c) {
        printf("(not called by any loss or figure)\n");
        return;
    }
    for (int i = 0; i < net->n_layers; i++) {
        const layer_spec *l = &net->layers[i];
        nn_shape per = per_sample_shape(m->g, c->out[i]);
        size_t p = layer_trainable_floats(m, n, i);   /* running statistics excluded */
        double f = layer_forward_flops(m, c, i);
        char op[64];
        layer_op_name(l, op, sizeof op);
        human(f, fl, sizeof fl);
        printf("%-*s %-*s %-18s %12zu %12s\n", w.name, l->name, w.op, op, nn_shape_str(&per, shp, sizeof shp), p, fl);
        *total_p += p;
        *total_f += f;
    }
}

/* The floats an iteration allreduces on several ranks: each step's trainable parameters (the
 * nets it updates) times its repeats. */
static double gradient_floats_per_iteration(const spec *s, const model_graph *m)
{
    double total = 0;
    for (int k = 0; k < s->n_steps; k++)
        for (int j = 0; j < s->steps[k].n_nets; j++) {
            const net_params *np = &m->nets[s->steps[k].nets[j]];
            for (int i = 0; i < np->n; i++)
                if (!m->g->nodes[np->ids[i]].no_grad) total += (double)s->steps[k].repeat * nn_numel(m->g, np->ids[i]);
        }
    return total;
}

/* A ring allreduce of S bytes over N ranks at bandwidth B and latency L: every rank sends and
 * receives 2 (N - 1) / N S in 2 (N - 1) messages. */
static void print_scaling(const spec *s, const model_graph *m, long ranks, double gbit, double latency_us)
{
    double bytes = 4 * gradient_floats_per_iteration(s, m);
    double t = 2.0 * (ranks - 1) / ranks * bytes / (gbit * 1e9 / 8) + 2.0 * (ranks - 1) * latency_us * 1e-6;
    printf("on %ld ranks: each iteration allreduces %.3g MB of gradients; a ring allreduce at %g Gb/s and %g us takes "
           "about %.3g ms\n(2 (N-1)/N x bytes / bandwidth + 2 (N-1) x latency). An iteration computing for C ms then takes "
           "C + %.3g ms: %ld ranks run %.3g, %.3g, %.3g times as fast as one for C = %.3g, %.3g, %.3g ms\n(nnrun SPEC "
           "--profile prints C as seconds over iterations; under mpirun, the communication too).\n",
           ranks, bytes / 1e6, gbit, latency_us, 1e3 * t, 1e3 * t, ranks, ranks * 1.0 / (1 + 1.0), ranks * 9.0 / (9 + 1.0),
           ranks * 99.0 / (99 + 1.0), 1e3 * t, 9e3 * t, 99e3 * t);
}

/* Takes --ranks N, --bandwidth GBIT and --latency US out of argv (the rest is the spec's). */
static int scaling_args(int *argc, char **argv, long *ranks, double *gbit, double *latency)
{
    int n = 1;
    for (int i = 1; i < *argc; i++) {
        const char *o = argv[i];
        int takes = strcmp(o, "--ranks") == 0 || strcmp(o, "--bandwidth") == 0 || strcmp(o, "--latency") == 0;
        if (!takes) {
            argv[n++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc) {
            fprintf(stderr, "nnrun summary: %s needs a value\n", o);
            return -1;
        }
        const char *v = argv[++i];
        char *end;
        if (o[2] == 'r') {
            if (cli_whole_number("summary", o, v, 1, 1000000, ranks) < 0) return -1;
        } else if ((*(o[2] == 'b' ? gbit : latency) = strtod(v, &end)) <= 0 || (*end && strcmp(end, o[2] == 'b' ? "Gb" : "us"))) {
            fprintf(stderr, "nnrun summary: %s takes a positive number%s, not '%s'\n", o, o[2] == 'b' ? " of Gb/s (10, 10Gb)"
                                                                                                       : " of microseconds (50, 50us)", v);
            return -1;
        }
    }
    *argc = n;
    return 0;
}

/* Takes --math or --math=FORM out of argv: *form the form asked for (markdown by default), -1
 * without the option; -1 with a message for a form there is not. */
static int math_arg(int *argc, char **argv, int *form)
{
    int n = 1;
    *form = -1;
    for (int i = 1; i < *argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--math") == 0) *form = MATH_MARKDOWN;
        else if (strncmp(o, "--math=", 7) == 0 && (*form = math_form_find(o + 7)) < 0) {
            fprintf(stderr, "nnrun summary: --math takes %s, not '%s'\n", math_form_list(), o + 7);
            return -1;
        } else if (strncmp(o, "--math=", 7) != 0)
            argv[n++] = argv[i];
    }
    *argc = n;
    return 0;
}

/* The equations of every net and loss group in the form asked for. */
static int print_math(const spec *s, const model_graph *m, int form)
{
    model_math mm;
    char err[512];
    if (model_math_build(s, m, &mm, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun summary: cannot write the equations: %s\n", err);
        return 1;
    }
    model_math_write(stdout, &mm, (math_form)form);
    model_math_free(&mm);
    return 0;
}

int cmd_summary(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun summary SPEC [--set KEY.PATH=VALUE]... [--ranks N [--bandwidth GBIT] [--latency US]]\n"
                                "                     [--math[=markdown|latex]]\n"
                                "Prints each layer with its op, output shape per sample, trainable parameters and\n"
                                "forward FLOPs per sample, with totals. With --ranks N: the gradients each iteration\n"
                                "allreduces on N MPI ranks and a model of the time it takes (default 10 Gb/s, 50 us)\n"
                                "beside the time an iteration computes: where scaling stops.\n"
                                "With --math: the forward pass as equations instead of the table, each layer's with the\n"
                                "size of every tensor per sample and its parameters' shapes by their stored names, then\n"
                                "the loss terms, as Markdown with LaTeX math; --math=latex: a LaTeX fragment (align*).\n";
    long ranks = 0;
    double gbit = 10, latency = 50;
    int form;
    if (math_arg(&argc, argv, &form) < 0) return 2;
    if (scaling_args(&argc, argv, &ranks, &gbit, &latency) < 0) return 2;
    spec_args a;
    int rc = parse_spec_args(argc, argv, usage, 0, &a);
    if (rc) return rc == 1 ? 0 : rc;
    diag dg;
    diag_init(&dg);
    diag *d = &dg;
    model_graph *m = NULL;
    spec *s = spec_check_build(a.spec, a.overrides, a.n_overrides, &m, d);
    if (s && !s->n_nets && !diag_count(d)) {
        printf("no network: a data study (its reports read the data alone)\n");
        if (ranks > 0) printf("on %ld ranks: nothing trains, so nothing is exchanged\n", ranks);
        return finish(s, m, d, 0);
    }
    if (!s || !m || diag_count(d)) return finish(s, m, d, 0);
    if (form >= 0) return finish(s, m, d, print_math(s, m, form));
    size_t total_p = 0;
    double total_f = 0;
    char fl[32];
    summary_widths w = widths_of(s);
    for (int n = 0; n < s->n_nets; n++) summarise_net(s, m, n, w, &total_p, &total_f);
    human(total_f, fl, sizeof fl);
    printf("%-*s %-*s %-18s %12zu %12s\n", w.name, "total", w.op, "", "", total_p, fl);
    printf("trainable parameters: %zu (%.2f MB as float32)\n", total_p, total_p * 4.0 / 1e6);
    if (ranks > 0) print_scaling(s, m, ranks, gbit, latency);
    return finish(s, m, d, 0);
}

int cmd_diff(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun diff A.yaml B.yaml\n"
                                "Prints the effective difference of two specs after resolving extends and filling in\n"
                                "defaults, as key paths:\n"
                                "  - path: value (only in A)   + path: value (only in B)   ~ path: a -> b\n"
                                "Exit status 0 if they are the same, 1 if they differ, 2 on errors.\n";
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc != 3) {
        fputs(usage, stderr);
        return 2;
    }
    diag dg;
    diag_init(&dg);
    diag *d = &dg;
    ynode *a = spec_load_resolved(argv[1], d), *b = spec_load_resolved(argv[2], d);
    int rc = 2;
    ynode *fa = a ? spec_with_defaults(a, d) : NULL, *fb = b ? spec_with_defaults(b, d) : NULL;
    if (fa && fb && !diag_count(d)) rc = ydiff(fa, fb, stdout) ? 1 : 0;
    ynode_free(fa);
    ynode_free(fb);
    diag_print(d, stderr);
    ynode_free(a);
    ynode_free(b);
    diag_free(d);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun eval RUN_DIR [--set KEY.PATH=VALUE]...\n"
                                "Loads RUN_DIR/spec.yaml and RUN_DIR/model.safetensors and evaluates the model on the\n"
                                "spec's test data (or its training data when it has none).\n";
    spec_args a;
    int rc = parse_spec_args(argc, argv, usage, 0, &a);
    if (rc) return rc == 1 ? 0 : rc;
    char spec_path[1024], weights[1024], err[1024];
    snprintf(spec_path, sizeof spec_path, "%s/spec.yaml", a.spec);
    snprintf(weights, sizeof weights, "%s/model.safetensors", a.spec);
    diag dg;
    diag_init(&dg);
    diag *d = &dg;
    spec *s = spec_load(spec_path, a.overrides, a.n_overrides, d);
    trainer t;
    if (!s || trainer_init_eval(&t, s, d) < 0) {
        diag_print(d, stderr);
        if (s) trainer_free(&t);
        spec_free(s);
        diag_free(d);
        return 2;
    }
    rc = 0;
    if (checkpoint_load_weights(trainer_weights(&t), weights, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun: %s\n", err);
        rc = 1;
    } else {
        const nn_dataset *ds = t.data.has_test ? &t.data.test : &t.data.train;
        eval_result r;
        trainer_evaluate(&t, ds, &r);
        printf("%s on %d %s samples:", s->name, ds->n, t.data.has_test ? t.data.test_name : "training");
        if (s->n_groups == 1) printf(" loss %.6f", r.loss);
        for (int g = 0; s->n_groups > 1 && g < s->n_groups; g++) printf("%s %s %.6f", g ? " " : "", s->groups[g].name, r.group_loss[g]);
        if (r.accuracy == r.accuracy) printf("  accuracy %.2f%%", 100 * r.accuracy);
        if (r.rel_l2 == r.rel_l2) printf("  relative L2 error %.2f%%", 100 * r.rel_l2);
        printf("\n");
    }
    trainer_free(&t);
    spec_free(s);
    diag_free(d);
    return rc;
}
