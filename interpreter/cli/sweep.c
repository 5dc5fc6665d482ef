/* `sweep:` — a grid of runs of one spec. Every combination is validated (schema, references,
 * shapes) before the first one trains; then each trains in runs/<name>/<i>/, and the final
 * value of one metric is gathered into sweep.csv and one figure (x: one grid key; one series
 * per combination of the others). */
#include "sweep.h"
#include "../run/data_setup.h"
#include "nn/atomic_file.h"
#include "nn/plot.h"
#include "../out/report.h"
#include "../out/run_files.h"
#include "../lang/schema.h"
#include "../lang/spec_merge.h"
#include "../lang/spec_tables.h"
#include "../run/trainer.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX_KEYS 4
#define SWEEP_MAX_RUNS 256
#define SWEEP_MAX_METRICS 4

typedef struct {
    int n_keys;
    const char *key[SWEEP_MAX_KEYS];
    const ynode *values[SWEEP_MAX_KEYS];   /* each a list */
    int metric[SWEEP_MAX_METRICS];         /* indices into metric_names */
    int n_metrics;
    int x;                                 /* grid key on the x axis */
} sweep_plan;

/* final-epoch metrics, and results reports record (pca_baseline: ae_*, pca_*; cube_error,
 * judge): the choices of sweep_opts' metric */
static const char *const *metric_names(void) { return opts_find(sweep_opts, "metric")->choices; }

int sweep_present(const ynode *tree) { return tree && tree->kind == YN_MAP && ymap_get(tree, "sweep") != NULL; }

static int parse_sweep(const ynode *sw, sweep_plan *p, diag *d)
{
    static const char *const keys[] = {"grid", "metric", "x", NULL};
    int before = diag_count(d);
    memset(p, 0, sizeof *p);
    p->metric[0] = 3;
    p->n_metrics = 1;
    if (schema_expect(d, sw, YN_MAP, "sweep") < 0) return -1;
    schema_check_keys(d, sw, "sweep", keys);
    const ynode *grid = ymap_get(sw, "grid");
    if (!grid || grid->kind != YN_MAP || grid->n < 1 || grid->n > SWEEP_MAX_KEYS) {
        diag_error(d, grid ? grid : sw, "sweep needs a 'grid' of 1 to %d keys, each with a list of values", SWEEP_MAX_KEYS);
        return -1;
    }
    int runs = 1;
    for (int i = 0; i < grid->n; i++) {
        const ynode *v = grid->items[i];
        if (v->kind != YN_SEQ || v->n < 1) {
            diag_error(d, v, "sweep values of '%s' must be a non-empty list", grid->keys[i]);
            continue;
        }
        p->key[p->n_keys] = grid->keys[i];
        p->values[p->n_keys++] = v;
        runs *= v->n;
    }
    if (runs > SWEEP_MAX_RUNS) diag_error(d, grid, "the sweep has %d runs; at most %d", runs, SWEEP_MAX_RUNS);
    const ynode *m = ymap_get(sw, "metric");
    if (m && m->kind == YN_SEQ && m->n >= 1 && m->n <= SWEEP_MAX_METRICS) {
        p->n_metrics = m->n;
        for (int i = 0; i < m->n; i++) schema_node_enum(d, m->items[i], "metric", metric_names(), &p->metric[i]);
    } else if (m && m->kind == YN_SEQ)
        diag_error(d, m, "metric is a name or a list of 1 to %d names", SWEEP_MAX_METRICS);
    else if (m)
        schema_node_enum(d, m, "metric", metric_names(), &p->metric[0]);
    char x[256] = "";
    if (schema_str(d, sw, "x", x, sizeof x) > 0) {
        p->x = -1;
        for (int i = 0; i < p->n_keys; i++)
            if (strcmp(p->key[i], x) == 0) p->x = i;
        if (p->x < 0) diag_error(d, ymap_get(sw, "x"), "x '%s' is not a key of the grid", x);
    }
    return diag_count(d) > before ? -1 : 0;
}

static int run_count(const sweep_plan *p)
{
    int n = 1;
    for (int i = 0; i < p->n_keys; i++) n *= p->values[i]->n;
    return n;
}

/* Combination r: index of each key's value (the last key varies fastest). */
static void combination(const sweep_plan *p, int r, int *idx)
{
    for (int i = p->n_keys - 1; i >= 0; i--) {
        idx[i] = r % p->values[i]->n;
        r /= p->values[i]->n;
    }
}

/* The spec of run r: the tree without `sweep`, each grid key set, its own name and folder. */
static ynode *run_tree(const ynode *tree, const sweep_plan *p, int r, const char *name, const char *out, diag *d)
{
    ynode *t = ynode_clone(tree);
    if (!t) return NULL;
    int k = ymap_index(t, "sweep");
    if (k >= 0) ymap_remove_at(t, k);
    int idx[SWEEP_MAX_KEYS];
    combination(p, r, idx);
    char assign[1024];
    for (int i = 0; i < p->n_keys; i++) {
        char *v = yemit_flow(p->values[i]->items[idx[i]]);
        snprintf(assign, sizeof assign, "%s=%s", p->key[i], v ? v : "");
        free(v);
        if (spec_apply_set(&t, assign, d) < 0) {
            ynode_free(t);
            return NULL;
        }
    }
    snprintf(assign, sizeof assign, "name=%s_%d", name, r + 1);
    spec_apply_set(&t, assign, d);
    snprintf(assign, sizeof assign, "output=%s/%d", out, r + 1);
    spec_apply_set(&t, assign, d);
    return t;
}

static int validate_all(const ynode *tree, const sweep_plan *p, const char *file, const char *name, const char *out,
                        diag *d)
{
    for (int r = 0; r < run_count(p); r++) {
        ynode *t = run_tree(tree, p, r, name, out, d);
        spec *s = t ? spec_from_tree(t, file, d) : NULL;
        data_info info;
        if (s && data_describe(s, &info, d) == 0) {
            nn_rng rng;
            nn_rng_seed(&rng, 1);
            model_free(model_build(s, &info, 1, 0, NULL, &rng, d));
        }
        if (s) spec_free(s);
        else ynode_free(t);
        if (diag_count(d)) return -1;
    }
    return 0;
}

static void label_of(const sweep_plan *p, const int *idx, int skip, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < p->n_keys && k < len; i++) {
        if (i == skip) continue;
        char *v = yemit_flow(p->values[i]->items[idx[i]]);
        const char *leaf = strrchr(p->key[i], '.');
        k += (size_t)snprintf(buf + k, len - k, "%s%s=%s", k ? " " : "", leaf ? leaf + 1 : p->key[i], v ? v : "");
        free(v);
    }
}

/* sweep.csv: one row per run, its values of the keys and of the metrics (res: per run, one
 * value per metric). */
static int write_csv(const sweep_plan *p, const char *out, const double *res, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sweep.csv", out);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    int n = run_count(p), nm = p->n_metrics, idx[SWEEP_MAX_KEYS];
    fprintf(f, "run");
    for (int i = 0; i < p->n_keys; i++) fprintf(f, ",%s", p->key[i]);
    for (int q = 0; q < nm; q++) fprintf(f, ",%s", metric_names()[p->metric[q]]);
    fprintf(f, "\n");
    for (int r = 0; r < n; r++) {
        combination(p, r, idx);
        fprintf(f, "%d", r + 1);
        for (int i = 0; i < p->n_keys; i++) {
            char *v = yemit_flow(p->values[i]->items[idx[i]]);
            fprintf(f, ",%s", v ? v : "");
            free(v);
        }
        for (int q = 0; q < nm; q++) fprintf(f, ",%.7g", res[(size_t)r * nm + q]);
        fprintf(f, "\n");
    }
    return nn_atomic_commit(af, err, errlen);
}

/* sweep.csv and sweep.png; res: per run, one value per metric */
static int write_results(const sweep_plan *p, const char *name, const char *out, const double *res, char *err, size_t errlen)
{
    if (write_csv(p, out, res, err, errlen) < 0) return -1;
    int n = run_count(p), nm = p->n_metrics, idx[SWEEP_MAX_KEYS];
    /* one series per metric and combination of the other keys; x = the chosen key's values */
    int nx = p->values[p->x]->n, ns = n / nx * nm;
    nn_series *ser = calloc((size_t)ns, sizeof *ser);
    float *xs = calloc((size_t)nx, sizeof *xs), *ys = calloc((size_t)ns * nx, sizeof *ys);
    char(*names)[200] = calloc((size_t)ns, sizeof *names);
    if (!ser || !xs || !ys || !names) {
        free(ser), free(xs), free(ys), free(names);
        return -1;
    }
    int numeric_x = 1;
    for (int j = 0; j < nx; j++) {
        double v;
        numeric_x &= yscalar_float(p->values[p->x]->items[j], &v) == 0;
        xs[j] = (float)v;
    }
    if (!numeric_x)
        for (int j = 0; j < nx; j++) xs[j] = (float)j;
    int s_count = 0;
    for (int r = 0; r < n; r++) {
        combination(p, r, idx);
        if (idx[p->x] != 0) continue;
        char others[160];
        label_of(p, idx, p->x, others, sizeof others);
        for (int q = 0; q < nm; q++) {
            /* this series: the runs equal to r except in the x key */
            float *col = ys + (size_t)s_count * nx;
            for (int u = 0; u < n; u++) {
                int jdx[SWEEP_MAX_KEYS], same = 1;
                combination(p, u, jdx);
                for (int i = 0; i < p->n_keys; i++) same &= i == p->x || jdx[i] == idx[i];
                if (same) col[jdx[p->x]] = (float)res[(size_t)u * nm + q];
            }
            if (nm > 1) snprintf(names[s_count], sizeof names[s_count], "%s%s%s", metric_names()[p->metric[q]], others[0] ? " " : "", others);
            else snprintf(names[s_count], sizeof names[s_count], "%s", others[0] ? others : metric_names()[p->metric[q]]);
            ser[s_count] = (nn_series){names[s_count], xs, col, nx, NN_STYLE_LINE_POINTS};
            s_count++;
        }
    }
    char title[256], path[1024];
    snprintf(title, sizeof title, "%s: %s (final)", name, nm > 1 ? "results" : metric_names()[p->metric[0]]);
    snprintf(path, sizeof path, "%s/sweep.png", out);
    int rc = nn_plot_lines(path, title, p->key[p->x], nm > 1 ? "value" : metric_names()[p->metric[0]], ser, s_count, 0, err, errlen);
    free(ser), free(xs), free(ys), free(names);
    return rc;
}

/* A metric's value after a run: a result its report computed, else the last epoch's. */
static double final_value(const trainer *t, const run_results *results, const char *name)
{
    const double *v = run_results_find(results, name);
    return v ? *v : trainer_final(t, name);
}

int sweep_run(ynode *tree, const char *file, int quiet, diag *d)
{
    (void)quiet;
    sweep_plan p;
    if (parse_sweep(ymap_get(tree, "sweep"), &p, d) < 0) return 2;
    char name[SPEC_NAME_LEN] = "", out[SPEC_PATH_LEN] = "";
    schema_str(d, tree, "name", name, sizeof name);
    if (!name[0]) {
        const char *base = strrchr(file, '/');
        snprintf(name, sizeof name, "%.*s", (int)strcspn(base ? base + 1 : file, "."), base ? base + 1 : file);
    }
    if (schema_str(d, tree, "output", out, sizeof out) == 0) snprintf(out, sizeof out, "runs/%s", name);
    if (validate_all(tree, &p, file, name, out, d) < 0) return 2;
    int n = run_count(&p);
    double *res = calloc((size_t)n * p.n_metrics, sizeof *res);
    if (!res) return 1;
    char err[1024];
    int status = 0;
    printf("%s: a sweep of %d runs over", name, n);
    for (int i = 0; i < p.n_keys; i++) printf(" %s", p.key[i]);
    printf("\n");
    for (int r = 0; r < n && status == 0; r++) {
        ynode *t = run_tree(tree, &p, r, name, out, d);
        spec *s = t ? spec_from_tree(t, file, d) : NULL;
        trainer tr;
        if (!s || trainer_init(&tr, s, d) < 0) {
            if (s) trainer_free(&tr);
            spec_free(s);
            return 2;
        }
        int idx[SWEEP_MAX_KEYS];
        char label[256];
        combination(&p, r, idx);
        label_of(&p, idx, -1, label, sizeof label);
        printf("run %d/%d: %s\n", r + 1, n, label);
        fflush(stdout);
        run_files_saver saver;
        trainer_hooks hooks = run_files_hooks(&saver);
        if (report_add_metrics(&tr, err, sizeof err) < 0 || run_files_begin(&tr, err, sizeof err) < 0) status = 1;
        else status = trainer_run(&tr, &hooks, 1);   /* no progress display: one line per run */
        run_results results = run_results_none();
        if (status == 0 && run_files_finish_results(&tr, &results, err, sizeof err) < 0) status = 1;
        printf("  ->");
        for (int q = 0; q < p.n_metrics; q++) {
            res[(size_t)r * p.n_metrics + q] = final_value(&tr, &results, metric_names()[p.metric[q]]);
            printf(" %s %.6g", metric_names()[p.metric[q]], res[(size_t)r * p.n_metrics + q]);
        }
        printf("\n");
        trainer_free(&tr);
        spec_free(s);
    }
    if (status == 0 && write_results(&p, name, out, res, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun: %s\n", err);
        status = 1;
    }
    if (status == 0) printf("done: %s/sweep.csv, %s/sweep.png\n", out, out);
    free(res);
    return status;
}
