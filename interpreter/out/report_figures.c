/* The figures of a run (report.h): one drawing function per report kind, in a table indexed by
 * kind. Each computes its result with report_analysis.c and presents it: a PNG through
 * nn/plot.h and its place on the page here; stdout lines, report.html notes and CSV through
 * report_text.c; named results into report_figures.results. */
#include "report.h"
#include "attention_lookup.h"
#include "report_analysis.h"
#include "report_text.h"
#include "nn/ops.h"
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fig_path(const trainer *t, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", t->s->out_dir, name);
}

/* Returns the figure's index, or -1 when the page is full (the figure is left out). */
int report_add_figure(report_figures *f, const char *file, const char *caption)
{
    if (f->n == REPORT_MAX_FIGS) return -1;
    snprintf(f->file[f->n], sizeof f->file[f->n], "%s", file);
    snprintf(f->caption[f->n], sizeof f->caption[f->n], "%s", caption);
    f->view3d[f->n] = NULL;
    f->strip[f->n] = 0;
    return f->n++;
}

void report_figures_free(report_figures *figs)
{
    for (int i = 0; i < REPORT_MAX_FIGS; i++) {
        report_view3d_free(figs->view3d[i]);
        figs->view3d[i] = NULL;
    }
}

/* ---- loss_curve ------------------------------------------------------------------------------- */
static int fig_loss_curve(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    (void)r;
    if (report_loss_curve(t, err, errlen) < 0) return -1;
    report_add_figure(figs, "loss_curve.png", t->steps.n > t->h.n ? "Training loss per iteration (smoothed; the raw values light) "
                                                                    "and the evaluation loss after every epoch"
                                                                  : "Loss per epoch");
    return 0;
}

/* ---- reconstructions, class_examples ---------------------------------------------------------- */
/* The rows' evaluation samples in columns: originals, corrupted inputs (when the model corrupts
 * them), reconstructions, into file. */
static int draw_reconstructions(trainer *t, const report_spec *r, const int *rows, int n, const char *file, const char *title,
                                char *err, size_t errlen)
{
    static const char *const labels2[] = {"original", "reconstruction"}, *const labels3[] = {"original", "corrupted", "reconstruction"};
    report_recon rec;
    int rc = report_recon_compute(t, r, report_eval_set(t), rows, n, &rec, err, errlen);
    char path[1024];
    fig_path(t, file, path, sizeof path);
    if (rc == 0)
        rc = nn_plot_image_grid(path, title, rec.img, rec.n_rows * n, rec.c, rec.h, rec.w, n, rec.n_rows == 3 ? labels3 : labels2,
                                2, err, errlen);
    report_recon_free(&rec);
    return rc;
}

/* r->count randomly chosen samples (the same for every run of the seed). */
static int fig_reconstructions(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *ds = report_eval_set(t);
    int n = r->count < ds->n ? r->count : ds->n;
    int *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!rows) return -1;
    nn_rng rng;
    nn_rng_seed(&rng, t->s->seed + 17);
    for (int i = 0; i < n; i++) rows[i] = (int)nn_rng_below(&rng, (uint32_t)ds->n);
    char title[160];
    snprintf(title, sizeof title, "%s: %s samples and their reconstructions", t->s->name, t->data.test_name);
    int rc = draw_reconstructions(t, r, rows, n, "reconstructions.png", title, err, errlen);
    if (rc == 0) report_add_figure(figs, "reconstructions.png", "Randomly chosen samples above their reconstructions");
    free(rows);
    return rc;
}

/* The first sample of each class, above its reconstruction. */
static int fig_class_examples(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    int rows[256], n = report_class_rows(report_eval_set(t), rows, err, errlen);
    if (n < 0) return -1;
    char title[160];
    snprintf(title, sizeof title, "%s: one %s sample per class and its reconstruction", t->s->name, t->data.test_name);
    int rc = draw_reconstructions(t, r, rows, n, "class_examples.png", title, err, errlen);
    if (rc == 0) report_add_figure(figs, "class_examples.png", "The first sample of every class above its reconstruction");
    return rc;
}

/* ---- embedding (report_embedding.c) ---------------------------------------------------------- */
static int fig_embedding(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    char path[1024], file[128];
    snprintf(file, sizeof file, "embedding_%.60s%s.png", r->layer, r->method == EMBED_TSNE ? "_tsne" : "");   /* both may be asked */
    fig_path(t, file, path, sizeof path);
    report_view3d *view;
    if (report_embedding(t, r, path, t->s->name, &view, err, errlen) < 0) return -1;
    int i = report_add_figure(figs, file, "Codes of the evaluation samples, coloured by class");
    if (i >= 0) figs->view3d[i] = view;   /* 3 units: the page shows them in 3-D too */
    else report_view3d_free(view);
    return 0;
}

/* ---- function_fit ----------------------------------------------------------------------------- */
static int draw_fit(trainer *t, const report_fit *f, char *err, size_t errlen)
{
    const nn_dataset *tr = &t->data.train;
    nn_series ser[3] = {{"truth", f->x, f->truth, f->n, 0}, {"training points", tr->x, tr->y, tr->n, 1},
                        {"prediction", f->x, f->pred, f->n, 0}};
    char path[1024], title[200];
    fig_path(t, "function_fit.png", path, sizeof path);
    const history *h = &t->h;
    float rel = h->n ? h->col[t->hc.test_rel_l2][h->n - 1] : NAN;
    snprintf(title, sizeof title, "%s: fit (relative L2 error %.2f%%)", t->s->name, 100 * rel);
    return nn_plot_lines(path, title, "x", "y", ser, 3, 0, err, errlen);
}

static int fig_function_fit(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    (void)r;
    report_fit f;
    int rc = report_fit_compute(t, &f, err, errlen);
    if (rc == 0) rc = draw_fit(t, &f, err, errlen);
    if (rc == 0) report_add_figure(figs, "function_fit.png", "Truth, training points and the network's prediction");
    report_fit_free(&f);
    return rc;
}

/* ---- dead_units ------------------------------------------------------------------------------- */
/* A ReLU unit is dead when it outputs 0 for every training sample. */
static int fig_dead_units(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    (void)r;
    report_dead_units d;
    report_dead_units_compute(t, &d);
    report_print_dead_units(&d);
    report_note_dead_units(figs, &d);
    if (report_write_dead_csv(t->s->out_dir, &d, err, errlen) < 0) return -1;
    if (!d.n) return 0;
    char path[1024], title[160];
    fig_path(t, "dead_units.png", path, sizeof path);
    snprintf(title, sizeof title, "%s: dead ReLU units per layer", t->s->name);
    if (nn_plot_bars(path, title, d.layer, d.frac, d.n, "fraction dead", err, errlen) < 0) return -1;
    report_add_figure(figs, "dead_units.png", "Fraction of ReLU units that never activate on the training set");
    return 0;
}

/* ---- confusion_matrix ------------------------------------------------------------------------- */
/* A heat map of the counts, the classes named by their ids. */
static int draw_confusion(trainer *t, const report_confusion *c, const char *const *class_names, char *err, size_t errlen)
{
    char names[100][16];
    const char *ptrs[100];
    for (int a = 0; a < c->k && a < 100; a++) {
        snprintf(names[a], sizeof names[a], "%d", a);
        ptrs[a] = class_names ? class_names[a] : names[a];
    }
    char path[1024], title[160];
    fig_path(t, "confusion_matrix.png", path, sizeof path);
    snprintf(title, sizeof title, "%s: confusion matrix (%s)", t->s->name, t->data.test_name);
    return nn_plot_heatmap(path, title, c->count, c->k, c->k, ptrs, ptrs, 1, "predicted", "true", err, errlen);
}

/* The evaluation split's confusion matrix: a heat map, a table on stdout, per-class accuracy
 * on the page. */
static int fig_confusion(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    (void)r;
    report_confusion c;
    int rc = report_confusion_compute(t, &c, err, errlen);
    if (rc == 0) {
        const char *const *names = data_class_names(t->s, c.k);
        report_print_confusion(&c, t->data.test_name, names);
        report_note_confusion(figs, &c, t->data.test_name, names);
        rc = draw_confusion(t, &c, names, err, errlen);
    }
    if (rc == 0) report_add_figure(figs, "confusion_matrix.png", "Counts of true (rows) against predicted (columns) classes");
    report_confusion_free(&c);
    return rc;
}

/* ---- filters ---------------------------------------------------------------------------------- */
static int draw_filters(trainer *t, const report_filters *fl, const char *layer, const char *file, char *err, size_t errlen)
{
    char path[1024], title[160];
    fig_path(t, file, path, sizeof path);
    snprintf(title, sizeof title, "%s: the %d filters of '%.60s'", t->s->name, fl->f, layer);
    int scale = fl->kh * 10 < 60 ? 60 / fl->kh : 4;
    return nn_plot_image_grid(path, title, fl->img, fl->f, 1, fl->kh, fl->kw * fl->c, fl->f < 10 ? fl->f : 10, NULL, scale, err,
                              errlen);
}

/* The weights of a convolution layer, one small image per filter (input channels side by
 * side), each scaled to its own range. */
static int fig_filters(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    char file[128];
    snprintf(file, sizeof file, "filters_%.60s.png", r->layer);
    report_filters fl;
    int rc = report_filters_compute(t, r->layer, &fl, err, errlen);
    if (rc == 0) rc = draw_filters(t, &fl, r->layer, file, err, errlen);
    if (rc == 0) report_add_figure(figs, file, "Learned filters (each scaled to its own range: dark low, bright high)");
    report_filters_free(&fl);
    return rc;
}

/* ---- points ----------------------------------------------------------------------------------- */
/* 2-D outputs of several layers (or the input) drawn together, one colour per layer: a data
 * set before and after corruption, or denoised; over the evaluation split, into `file`, titled
 * with `when` ("" or "after epoch 5"). */
static int draw_points(trainer *t, const report_spec *r, const char *file, const char *when, char *err, size_t errlen)
{
    report_points p;
    int rc = report_points_compute(t, r, &p, err, errlen);
    char path[1024], title[200];
    fig_path(t, file, path, sizeof path);
    snprintf(title, sizeof title, "%s: %s points%s%s", t->s->name, t->data.test_name, when[0] ? " " : "", when);
    if (rc == 0) rc = nn_plot_scatter(path, title, p.xy, p.label, p.n * p.n_layers, p.name, p.n_layers, "x1", "x2", err, errlen);
    report_points_free(&p);
    return rc;
}

/* Epochs after which figures drawn during training are kept: 1, 2, 5, 10, 20, 50, ... */
static int snapshot_epoch(int e)
{
    while (e >= 10 && e % 10 == 0) e /= 10;
    return e == 1 || e == 2 || e == 5;
}

static void snapshot_file(int epoch, char *out, size_t len) { snprintf(out, len, "points_epoch_%d.png", epoch); }

static int draw_samples(trainer *t, const report_spec *r, const char *file, const char *when, char *err, size_t errlen);
static void samples_file(const report_spec *r, int epoch, char *out, size_t len);

int report_during_training(trainer *t, char *err, size_t errlen)
{
    int e = t->epoch;
    if (e == t->s->train.epochs) return 0;   /* the last: the final figure */
    for (int k = 0; k < t->s->n_reports; k++) {
        const report_spec *r = &t->s->reports[k];
        if (r->kind == REP_SAMPLES && r->during) {
            char file[128], when[48];
            samples_file(r, e, file, sizeof file);
            snprintf(when, sizeof when, "after epoch %d", e);
            if (draw_samples(t, r, file, when, err, errlen) < 0) return -1;
        }
        if (r->kind != REP_POINTS || !r->during || !snapshot_epoch(e)) continue;
        char file[64], when[48];
        snapshot_file(e, file, sizeof file);
        snprintf(when, sizeof when, "after epoch %d", e);
        if (draw_points(t, r, file, when, err, errlen) < 0) return -1;
    }
    return 0;
}

static int fig_points(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    if (draw_points(t, r, "points.png", "", err, errlen) < 0) return -1;
    report_add_figure(figs, "points.png", "The points as each layer gives them");
    for (int e = 1; r->during && e < t->epoch; e++)   /* the snapshots drawn during training */
        if (snapshot_epoch(e)) {
            char file[64], caption[80];
            snapshot_file(e, file, sizeof file);
            snprintf(caption, sizeof caption, "The points after epoch %d", e);
            report_add_figure(figs, file, caption);
        }
    return 0;
}

/* ---- samples, manifold ------------------------------------------------------------------------ */
static void samples_file(const report_spec *r, int epoch, char *out, size_t len)
{
    char name[64];
    size_t k = 0;
    for (const char *c = r->of; *c && k + 1 < sizeof name; c++)   /* D(G).logit -> D_G_.logit */
        name[k++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ? *c : '_';
    name[k] = 0;
    if (epoch) snprintf(out, len, "samples_%s_epoch_%d.png", name, epoch);
    else snprintf(out, len, "samples_%s.png", name);
}

static void class_row_labels(const trainer *t, const report_samples *sm, char names[][16], const char **ptrs)
{
    int rows = (sm->n + sm->cols - 1) / sm->cols;
    const char *const *class_names = data_class_names(t->s, rows);
    for (int i = 0; i < rows && i < 256; i++) {
        snprintf(names[i], 16, "%d", i);
        ptrs[i] = !sm->per_class ? NULL : class_names ? class_names[i] : names[i];
    }
}

/* r's samples into `file`; `when`: "" or "after epoch 3". */
static int draw_samples(trainer *t, const report_spec *r, const char *file, const char *when, char *err, size_t errlen)
{
    report_samples sm;
    int rc = report_samples_compute(t, r, &sm, err, errlen);
    char path[1024], title[300], names[256][16];
    const char *ptrs[256];
    fig_path(t, file, path, sizeof path);
    if (rc == 0) {
        class_row_labels(t, &sm, names, ptrs);
        snprintf(title, sizeof title, "%s: %d samples of %.60s%s%.60s%s%s%s", t->s->name, sm.n, r->of, r->from[0] ? " from " : "",
                 r->from, r->from[0] ? " ~ N(0, I)" : "", when[0] ? " " : "", when);
        rc = nn_plot_image_grid(path, title, sm.img, sm.n, sm.c, sm.h, sm.w, sm.cols, sm.per_class ? ptrs : NULL, 0, err, errlen);
    }
    report_samples_free(&sm);
    return rc;
}

static int fig_samples(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    char file[128], caption[160];
    samples_file(r, 0, file, sizeof file);
    if (draw_samples(t, r, file, "", err, errlen) < 0) return -1;
    snprintf(caption, sizeof caption, "New samples of %.60s%s (the same noise in every grid)", r->of,
             r->from[0] ? ", decoded from N(0, I) draws" : "");
    report_add_figure(figs, file, caption);
    for (int e = 1; r->during && e < t->epoch; e++) {   /* the grids drawn after each epoch, as one strip */
        samples_file(r, e, file, sizeof file);
        snprintf(caption, sizeof caption, "after epoch %d", e);
        int i = report_add_figure(figs, file, caption);
        if (i >= 0) figs->strip[i] = 1;
    }
    return 0;
}

static int fig_manifold(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    report_samples sm;
    int rc = report_manifold_compute(t, r, &sm, err, errlen);
    char path[1024], file[128], title[300];
    snprintf(file, sizeof file, "manifold_%.60s.png", r->from);
    fig_path(t, file, path, sizeof path);
    snprintf(title, sizeof title, "%s: %.60s decoded over a %dx%d grid of %.60s", t->s->name, r->of, r->size, r->size, r->from);
    if (rc == 0) rc = nn_plot_image_grid(path, title, sm.img, sm.n, sm.c, sm.h, sm.w, sm.cols, NULL, 0, err, errlen);
    if (rc == 0)
        report_add_figure(figs, file, "The decoder over its 2-D latent space: N(0, 1) quantiles of probabilities 0.05 to 0.95 on each axis");
    report_samples_free(&sm);
    return rc;
}

/* ---- pca_baseline ----------------------------------------------------------------------------- */
/* The autoencoder against PCA: printed, on the page, and kept as the results ae_train, ae_test,
 * pca_train, pca_test (for sweeps). No figure of its own. */
static int fig_pca_baseline(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    report_pca p;
    if (report_pca_compute(t, r->layer, &p, err, errlen) < 0) return -1;
    report_print_pca(&p, t->data.test_name);
    report_note_pca(figs, &p, t->data.test_name);
    run_results *res = &figs->results;
    res->ae_train = p.ae[0], res->ae_test = p.ae[1];
    res->pca_train = p.pca[0], res->pca_test = p.pca[1];
    return 0;
}

/* ---- next-character accuracy (any character model; not a report kind) ------------------------- */
static void next_char_accuracy(trainer *t, report_figures *figs)
{
    double acc = figs->results.next_char_accuracy = report_next_char_accuracy(t);
    if (isnan(acc)) return;
    report_print_next_char(acc);
    report_note_next_char(figs, acc, t->data.test_name);
}

/* ---- the test loss with z at its mean (a model sampling at evaluation; not a report kind) ------- */
static int mean_loss(trainer *t, report_figures *figs)
{
    model_graph *graphs[2] = {t->eval_full, t->eval_last};
    if (!t->eval_full->n_eval_samplers || !t->data.has_test || !t->h.n) return 0;
    eval_result r;
    for (int i = 0; i < 2; i++)
        if (graphs[i]) model_set_eval_sampling(graphs[i], 0);
    int rc = trainer_evaluate(t, &t->data.test, &r);
    for (int i = 0; i < 2; i++)
        if (graphs[i]) model_set_eval_sampling(graphs[i], 1);
    if (rc < 0) return -1;
    double sampled = trainer_final(t, "test_loss");
    figs->results.test_loss_mean = r.loss;
    report_print_mean_loss(sampled, r.loss, t->data.test_name);
    report_note_mean_loss(figs, sampled, r.loss, t->data.test_name);
    return 0;
}

/* ---- the floor of a per-image binary cross-entropy (not a report kind) ------------------------- */
/* The smallest value a bce_with_logits term reconstructing the input, summed per image, can
 * take: each pixel's Bernoulli entropy at its grey level, summed, averaged over the images. */
static double bce_floor(const nn_dataset *ds)
{
    size_t w = nn_shape_numel(&ds->sample);
    double total = 0;
    for (size_t i = 0; i < (size_t)ds->n * w; i++) {
        double p = ds->x[i];
        if (p > 0 && p < 1) total -= p * log(p) + (1 - p) * log(1 - p);
    }
    return total / ds->n;
}

static void bce_floor_note(trainer *t, report_figures *figs)
{
    const loss_group *g = &t->s->groups[0];
    const loss_spec *bce = NULL;
    for (int k = 0; k < g->n_terms; k++)
        if (g->terms[k].kind == LOSS_BCE_LOGITS && strcmp(g->terms[k].target, "input") == 0 &&
            g->terms[k].reduce == NN_REDUCE_SUM_PER_SAMPLE && g->terms[k].weight == 1.0f)
            bce = &g->terms[k];
    if (!bce || !t->data.has_test || !t->h.n) return;
    const nn_dataset *ds = &t->data.test;
    for (size_t i = 0; i < (size_t)ds->n * nn_shape_numel(&ds->sample); i++)
        if (!(ds->x[i] >= 0 && ds->x[i] <= 1)) return;   /* not grey levels */
    double floor = figs->results.bce_floor = bce_floor(ds), loss = trainer_final(t, "test_loss");
    report_print_bce_floor(floor, loss, t->data.test_name);
    report_note_bce_floor(figs, floor, loss, t->data.test_name);
}

/* ---- the table -------------------------------------------------------------------------------- */
typedef int (*figure_fn)(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen);

/* One row per report kind: the function that computes and draws it. */
static const figure_fn figures[REPORT_KIND_COUNT] = {
    [REP_LOSS_CURVE] = fig_loss_curve,
    [REP_RECONSTRUCTIONS] = fig_reconstructions,
    [REP_EMBEDDING] = fig_embedding,
    [REP_FUNCTION_FIT] = fig_function_fit,
    [REP_DEAD_UNITS] = fig_dead_units,
    [REP_CONFUSION_MATRIX] = fig_confusion,
    [REP_FILTERS] = fig_filters,
    [REP_CLASS_EXAMPLES] = fig_class_examples,
    [REP_POINTS] = fig_points,
    [REP_PCA_BASELINE] = fig_pca_baseline,
    [REP_SAMPLES] = fig_samples,
    [REP_MANIFOLD] = fig_manifold,
    [REP_JUDGE] = report_judge,
    [REP_CUBE_ERROR] = report_cube_error,
    [REP_ATTENTION_LOOKUP] = report_attention_lookup,
    [REP_TRANSLATIONS] = report_translations,
};

/* The data reports' checks of the data, by kind (attention_lookup.h). */
typedef int (*data_check_fn)(const report_spec *r, const data_info *info, diag *d);
static const data_check_fn data_checks[REPORT_KIND_COUNT] = {
    [REP_ATTENTION_LOOKUP] = attention_lookup_check,
};

int report_check_data(const spec *s, const data_info *info, diag *d)
{
    int rc = 0;
    for (int i = 0; i < s->n_reports; i++)
        if (data_checks[s->reports[i].kind] && data_checks[s->reports[i].kind](&s->reports[i], info, d) < 0) rc = -1;
    return rc;
}

int report_kind_is_drawn(report_kind k) { return (unsigned)k < REPORT_KIND_COUNT && figures[k] != NULL; }

int report_make_figures(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    figs->n = 0;
    figs->notes[0] = 0;
    figs->results = run_results_none();
    if (t->s->n_nets) {   /* what a trained model adds (a data study has none) */
        next_char_accuracy(t, figs);
        if (mean_loss(t, figs) < 0) {
            snprintf(err, errlen, "out of memory evaluating at the mean");
            return -1;
        }
        bce_floor_note(t, figs);
    }
    for (int i = 0; i < t->s->n_reports; i++) {
        const report_spec *r = &t->s->reports[i];
        if (!report_kind_is_drawn(r->kind)) {
            snprintf(err, errlen, "report %d: no figure for its kind (%d)", i + 1, (int)r->kind);
            return -1;
        }
        if (figures[r->kind](t, r, figs, err, errlen) < 0) return -1;
    }
    return 0;
}
