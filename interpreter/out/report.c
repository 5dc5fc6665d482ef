/* Figures of a run (loss curve, reconstructions, embeddings, function fits, dead units,
 * confusion matrices, filters, PCA baseline); report.html is written by report_html.c. Each
 * figure reads the trained model through trainer_layer_outputs(). */
#include "report.h"
#include "nn/atomic_file.h"
#include "nn/pca.h"
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *all_rows(int n);

static void fig_path(const trainer *t, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", t->s->out_dir, name);
}

/* Returns the figure's index, or -1 when the page is full (the figure is left out). */
static int add_fig(report_figures *f, const char *file, const char *caption)
{
    if (f->n == REPORT_MAX_FIGS) return -1;
    snprintf(f->file[f->n], sizeof f->file[f->n], "%s", file);
    snprintf(f->caption[f->n], sizeof f->caption[f->n], "%s", caption);
    f->view3d[f->n] = NULL;
    return f->n++;
}

void report_figures_free(report_figures *figs)
{
    for (int i = 0; i < REPORT_MAX_FIGS; i++) {
        report_view3d_free(figs->view3d[i]);
        figs->view3d[i] = NULL;
    }
}

int report_loss_curve(trainer *t, char *err, size_t errlen)
{
    const history *h = &t->h;
    if (h->n == 0) return 0;
    float *x = malloc((size_t)h->n * sizeof *x);
    if (!x) return -1;
    for (int e = 0; e < h->n; e++) x[e] = (float)(e + 1);
    /* train and evaluation curves of each loss group */
    nn_series s[2 * SPEC_MAX_GROUPS];
    char names[2 * SPEC_MAX_GROUPS][SPEC_NAME_LEN + 24];
    int n = 0, G = t->s->n_groups;
    for (int g = 0; g < G; g++)
        for (int split = 0; split < (t->data.has_test ? 2 : 1); split++) {
            const char *which = split ? t->data.test_name : "train";
            if (G == 1) snprintf(names[n], sizeof names[n], "%s", which);
            else snprintf(names[n], sizeof names[n], "%s %s", which, t->s->groups[g].name);
            s[n] = (nn_series){names[n], x, h->col[split ? t->hc.test[g] : t->hc.train[g]], h->n, 2};
            n++;
        }
    char path[1024], title[160];
    fig_path(t, "loss_curve.png", path, sizeof path);
    snprintf(title, sizeof title, "%s: loss", t->s->name);
    int rc = nn_plot_lines(path, title, "epoch", "loss", s, n, 0, err, errlen);
    free(x);
    return rc;
}

/* The layer holds logits: a bce_with_logits loss reads it (figures show it through a sigmoid). */
int report_is_logits(const spec *s, const char *layer)
{
    for (int g = 0; g < s->n_groups; g++)
        for (int k = 0; k < s->groups[g].n_terms; k++)
            if (strcmp(s->groups[g].terms[k].pred, layer) == 0 && s->groups[g].terms[k].kind == LOSS_BCE_LOGITS) return 1;
    return 0;
}

int report_recon_layer(const trainer *t, const report_spec *r, int *logits)
{
    const spec *s = t->s;
    const char *name = r && r->layer[0] ? r->layer : spec_first_loss(s)->pred;
    *logits = (r && r->sigmoid) || report_is_logits(s, name);
    return spec_find_layer(s, name);
}

void report_image_dims(const nn_shape *s, int *c, int *h, int *w)
{
    size_t n = nn_shape_numel(s);
    if (s->ndim == 3) {
        *c = s->d[0], *h = s->d[1], *w = s->d[2];
    } else if (s->ndim == 2) {
        *c = 1, *h = s->d[0], *w = s->d[1];
    } else {
        int side = (int)lround(sqrt((double)n));
        *c = 1;
        *h = side;
        *w = side * side == (int)n ? side : (int)n;
        if (side * side != (int)n) *h = 1;
    }
}

/* The layer that corrupts the input, if any: a gaussian_noise or masking_noise layer reading
 * the input directly and active at evaluation (so what the network saw can be shown). */
static int corruption_layer(const spec *s)
{
    for (int i = 0; i < s->nets[0].n_layers; i++) {
        const layer_spec *l = &s->nets[0].layers[i];
        int reads_input = (i == 0 && l->n_from == 0) || (l->n_from == 1 && strcmp(l->from[0], "input") == 0);
        if ((l->kind == LY_NOISE || l->kind == LY_MASKING_NOISE) && reads_input && l->noise_at_eval) return i;
    }
    return -1;
}

/* Rows of images: the originals, the corrupted inputs (when the model corrupts them), the
 * reconstructions; one column per chosen sample. */
static int draw_reconstructions(trainer *t, const report_spec *r, const nn_dataset *ds, const int *rows, int n,
                                const char *file, const char *title, char *err, size_t errlen)
{
    int logits, layer = report_recon_layer(t, r, &logits), noisy = corruption_layer(t->s);
    if (layer < 0) {
        snprintf(err, errlen, "reconstructions: unknown layer");
        return -1;
    }
    size_t xn = nn_shape_numel(&ds->sample), w = trainer_layer_width(t, layer);
    if (w != xn) {
        snprintf(err, errlen, "reconstructions: layer '%s' has %zu values per sample, the images %zu",
                 t->s->nets[0].layers[layer].name, w, xn);
        return -1;
    }
    int n_rows = noisy >= 0 ? 3 : 2;
    float *imgs = malloc((size_t)n * n_rows * xn * sizeof *imgs);
    if (!imgs) return -1;
    for (int i = 0; i < n; i++) memcpy(imgs + (size_t)i * xn, ds->x + (size_t)rows[i] * xn, xn * sizeof(float));
    float *rec = imgs + (size_t)(n_rows - 1) * n * xn;
    int rc = trainer_layer_outputs(t, ds, rows, n, layer, rec);
    if (rc == 0 && noisy >= 0) rc = trainer_layer_outputs(t, ds, rows, n, noisy, imgs + (size_t)n * xn);
    if (logits)
        for (size_t i = 0; i < (size_t)n * xn; i++) rec[i] = 1.0f / (1.0f + expf(-rec[i]));
    int c, h, wd;
    report_image_dims(&ds->sample, &c, &h, &wd);
    const char *labels2[] = {"original", "reconstruction"}, *labels3[] = {"original", "corrupted", "reconstruction"};
    char path[1024];
    fig_path(t, file, path, sizeof path);
    if (rc == 0) rc = nn_plot_image_grid(path, title, imgs, n_rows * n, c, h, wd, n, n_rows == 3 ? labels3 : labels2, 2, err, errlen);
    free(imgs);
    return rc;
}

static int fig_reconstructions(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    int n = r->count < ds->n ? r->count : ds->n;
    int *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!rows) return -1;
    nn_rng rng;
    nn_rng_seed(&rng, t->s->seed + 17);
    for (int i = 0; i < n; i++) rows[i] = (int)nn_rng_below(&rng, (uint32_t)ds->n);
    char title[160];
    snprintf(title, sizeof title, "%s: %s samples and their reconstructions", t->s->name, t->data.test_name);
    int rc = draw_reconstructions(t, r, ds, rows, n, "reconstructions.png", title, err, errlen);
    if (rc == 0) add_fig(figs, "reconstructions.png", "Randomly chosen samples above their reconstructions");
    free(rows);
    return rc;
}

/* The first sample of each class, above its reconstruction. */
static int fig_class_examples(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    int k = ds->n_classes, rows[256], n = 0;
    if (!ds->y || k < 1 || k > 256) {
        snprintf(err, errlen, "class_examples needs a dataset with classes");
        return -1;
    }
    for (int c = 0; c < k; c++)
        for (int i = 0; i < ds->n; i++)
            if ((int)ds->y[(size_t)i * ds->y_dim] == c) {
                rows[n++] = i;
                break;
            }
    char title[160];
    snprintf(title, sizeof title, "%s: one %s sample per class and its reconstruction", t->s->name, t->data.test_name);
    int rc = draw_reconstructions(t, r, ds, rows, n, "class_examples.png", title, err, errlen);
    if (rc == 0) add_fig(figs, "class_examples.png", "The first sample of every class above its reconstruction");
    return rc;
}

static int argmax_row(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return (int)best;
}

/* Confusion matrix of the evaluation set: a heat map with counts, a table on stdout and in
 * the report, and per-class accuracy. */
static int fig_confusion(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    const spec *s = t->s;
    int layer = spec_find_layer(s, s->train.metric_pred[0] ? s->train.metric_pred : spec_first_loss(s)->pred);
    int k = ds->n_classes;
    if (layer < 0 || !ds->y || k < 2 || k > 100) {
        snprintf(err, errlen, "confusion_matrix needs a classifier (class targets and a prediction layer)");
        return -1;
    }
    size_t w = trainer_layer_width(t, layer);
    int *rows = all_rows(ds->n);
    float *out = malloc((size_t)ds->n * w * sizeof *out), *m = calloc((size_t)k * k, sizeof *m);
    if (!rows || !out || !m || trainer_layer_outputs(t, ds, rows, ds->n, layer, out) < 0) {
        free(rows), free(out), free(m);
        return -1;
    }
    for (int i = 0; i < ds->n; i++) {
        int truth = (int)ds->y[(size_t)i * ds->y_dim], pred = argmax_row(out + (size_t)i * w, w);
        if (truth >= 0 && truth < k && pred < k) m[truth * k + pred] += 1;
    }
    char names[100][16];
    const char *ptrs[100];
    for (int c = 0; c < k; c++) {
        snprintf(names[c], sizeof names[c], "%d", c);
        ptrs[c] = names[c];
    }
    size_t at = strlen(figs->notes);
    at += (size_t)snprintf(figs->notes + at, sizeof figs->notes - at, "<h3>Per-class accuracy (%s)</h3><table><tr>", t->data.test_name);
    printf("confusion matrix (%s; rows: true class, columns: predicted):\n     ", t->data.test_name);
    for (int c = 0; c < k; c++) printf("%6d", c);
    printf("   accuracy\n");
    for (int a = 0; a < k; a++) {
        float row = 0;
        printf("%4d ", a);
        for (int b = 0; b < k; b++) {
            printf("%6.0f", m[a * k + b]);
            row += m[a * k + b];
        }
        float acc = row > 0 ? m[a * k + a] / row : 0;
        printf("   %6.2f%%\n", 100 * acc);
        if (at < sizeof figs->notes)
            at += (size_t)snprintf(figs->notes + at, sizeof figs->notes - at, "<td>%d: %.2f%%</td>", a, 100 * acc);
    }
    if (at < sizeof figs->notes) snprintf(figs->notes + at, sizeof figs->notes - at, "</tr></table>");
    char path[1024], title[160];
    fig_path(t, "confusion_matrix.png", path, sizeof path);
    snprintf(title, sizeof title, "%s: confusion matrix (%s)", s->name, t->data.test_name);
    int rc = nn_plot_heatmap(path, title, m, k, k, ptrs, ptrs, 1, "predicted", "true", err, errlen);
    if (rc == 0) add_fig(figs, "confusion_matrix.png", "Counts of true (rows) against predicted (columns) classes");
    free(rows), free(out), free(m);
    return rc;
}

/* The weights of a convolution layer, one small image per filter (input channels side by
 * side), each scaled to its own range. */
static int fig_filters(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    int li = spec_find_layer(t->s, r->layer);
    model_graph *m = trainer_weights(t);
    if (li < 0 || m->weight[li] < 0 || m->g->nodes[m->weight[li]].shape.ndim != 4) {
        snprintf(err, errlen, "filters: '%s' is not a convolution layer", r->layer);
        return -1;
    }
    nn_shape ws = m->g->nodes[m->weight[li]].shape;
    int f = ws.d[0], c = ws.d[1], kh = ws.d[2], kw = ws.d[3];
    const float *w = nn_data(m->g, m->weight[li]);
    size_t per = (size_t)kh * kw * c;
    float *img = malloc((size_t)f * per * sizeof *img);
    if (!img) return -1;
    for (int i = 0; i < f; i++) {   /* filter i as one kh x (kw*c) image */
        const float *src = w + (size_t)i * per;
        float lo = src[0], hi = src[0];
        for (size_t j = 1; j < per; j++) lo = src[j] < lo ? src[j] : lo, hi = src[j] > hi ? src[j] : hi;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    img[(size_t)i * per + (size_t)y * kw * c + (size_t)ch * kw + x] =
                        hi > lo ? (src[((size_t)ch * kh + y) * kw + x] - lo) / (hi - lo) : 0.5f;
    }
    char path[1024], title[160], file[128];
    snprintf(file, sizeof file, "filters_%.60s.png", r->layer);
    fig_path(t, file, path, sizeof path);
    snprintf(title, sizeof title, "%s: the %d filters of '%.60s'", t->s->name, f, r->layer);
    int scale = kh * 10 < 60 ? 60 / kh : 4;
    int rc = nn_plot_image_grid(path, title, img, f, 1, kh, kw * c, f < 10 ? f : 10, NULL, scale, err, errlen);
    if (rc == 0) add_fig(figs, file, "Learned filters (each scaled to its own range: dark low, bright high)");
    free(img);
    return rc;
}

/* 2-D outputs of several layers (or the input) drawn together, one colour per layer: a data
 * set before and after corruption, or denoised. */
/* The points of every layer or call of r (2 values each) over the evaluation split, into
 * `file`, titled with `when` ("" or "after epoch 5"). */
static int draw_points(trainer *t, const report_spec *r, const char *file, const char *when, char *err, size_t errlen)
{
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    int n = ds->n, nl = r->n_layers;
    float *xy = malloc((size_t)n * nl * 2 * sizeof *xy);
    int *labels = malloc((size_t)n * nl * sizeof *labels), *rows = all_rows(n);
    const char *names[REPORT_MAX_LAYERS];
    int rc = xy && labels && rows ? 0 : -1;
    for (int j = 0; j < nl && rc == 0; j++) {
        diag d;
        diag_init(&d);
        int node = model_resolve(t->eval_full, r->layers[j], r->pos, &d);
        diag_free(&d);
        if (node < 0 || trainer_node_width(t, node) != 2) {
            snprintf(err, errlen, "points: '%s' has %zu values per sample; a scatter needs 2", r->layers[j],
                     node < 0 ? 0 : trainer_node_width(t, node));
            rc = -1;
            break;
        }
        rc = trainer_node_outputs(t, ds, rows, n, node, xy + (size_t)j * n * 2);
        for (int i = 0; i < n; i++) labels[(size_t)j * n + i] = j;
        names[j] = r->layers[j];
    }
    char path[1024], title[200];
    fig_path(t, file, path, sizeof path);
    snprintf(title, sizeof title, "%s: %s points%s%s", t->s->name, t->data.test_name, when[0] ? " " : "", when);
    if (rc == 0) rc = nn_plot_scatter(path, title, xy, labels, n * nl, names, nl, "x1", "x2", err, errlen);
    free(xy), free(labels), free(rows);
    return rc;
}

/* Epochs after which figures drawn during training are kept: 1, 2, 5, 10, 20, 50, ... */
static int snapshot_epoch(int e)
{
    while (e >= 10 && e % 10 == 0) e /= 10;
    return e == 1 || e == 2 || e == 5;
}

static void snapshot_file(int epoch, char *out, size_t len) { snprintf(out, len, "points_epoch_%d.png", epoch); }

int report_during_training(trainer *t, char *err, size_t errlen)
{
    int e = t->epoch;
    if (!snapshot_epoch(e) || e == t->s->train.epochs) return 0;   /* the last: points.png */
    for (int k = 0; k < t->s->n_reports; k++) {
        const report_spec *r = &t->s->reports[k];
        if (r->kind != REP_POINTS || !r->during) continue;
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
    add_fig(figs, "points.png", "The points as each layer gives them");
    for (int e = 1; r->during && e < t->epoch; e++)   /* the snapshots drawn during training */
        if (snapshot_epoch(e)) {
            char file[64], caption[80];
            snapshot_file(e, file, sizeof file);
            snprintf(caption, sizeof caption, "The points after epoch %d", e);
            add_fig(figs, file, caption);
        }
    return 0;
}

static int *all_rows(int n)
{
    int *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (rows)
        for (int i = 0; i < n; i++) rows[i] = i;
    return rows;
}

int report_embedding(trainer *t, const char *layer_name, const char *png_path, const char *title, report_view3d **view,
                     char *err, size_t errlen)
{
    if (view) *view = NULL;
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    int layer = spec_find_layer(t->s, layer_name);
    if (layer < 0) {
        snprintf(err, errlen, "embedding: unknown layer '%s'", layer_name);
        return -1;
    }
    size_t w = trainer_layer_width(t, layer);
    int n = ds->n;
    int *rows = all_rows(n), *labels = malloc((size_t)n * sizeof *labels);
    float *out = malloc((size_t)n * w * sizeof *out), *xy = malloc((size_t)n * 2 * sizeof *xy);
    int rc = -1;
    if (rows && labels && out && xy && w >= 2 && trainer_layer_outputs(t, ds, rows, n, layer, out) == 0) {
        for (int i = 0; i < n; i++) {
            xy[2 * i] = out[(size_t)i * w];
            xy[2 * i + 1] = out[(size_t)i * w + 1];
            labels[i] = ds->y && ds->n_classes ? (int)ds->y[(size_t)i * ds->y_dim] : 0;
        }
        char full[200];
        snprintf(full, sizeof full, "%s: layer '%s'%s", title, layer_name, w > 3 ? " (first 2 of its units)" : "");
        if (w == 3) {                /* three units: the whole code, seen from two sides */
            static const nn_view3d views[2] = {{30, 20}, {120, 20}};
            static const char *const axes[3] = {"unit 1", "unit 2", "unit 3"};
            rc = nn_plot_scatter3d(png_path, full, out, ds->n_classes ? labels : NULL, n, NULL, ds->n_classes, axes, views, 2,
                                   err, errlen);
            if (rc == 0 && view && !(*view = report_view3d_new(out, ds->n_classes ? labels : NULL, n, ds->n_classes, layer_name))) {
                snprintf(err, errlen, "embedding: out of memory for the interactive view of layer '%s'", layer_name);
                rc = -1;
            }
        } else
            rc = nn_plot_scatter(png_path, full, xy, ds->n_classes ? labels : NULL, n, NULL, ds->n_classes, "unit 1", "unit 2",
                                 err, errlen);
    } else if (w < 2)
        snprintf(err, errlen, "embedding: layer '%s' has %zu unit(s); a scatter needs 2", layer_name, w);
    else
        snprintf(err, errlen, "embedding: out of memory for %d codes of layer '%s'", n, layer_name);
    free(rows);
    free(labels);
    free(out);
    free(xy);
    return rc;
}

static int fig_embedding(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    char path[1024], file[128];
    snprintf(file, sizeof file, "embedding_%.60s.png", r->layer);
    fig_path(t, file, path, sizeof path);
    report_view3d *view;
    if (report_embedding(t, r->layer, path, t->s->name, &view, err, errlen) < 0) return -1;
    int i = add_fig(figs, file, "Codes of the evaluation samples, coloured by class");
    if (i >= 0) figs->view3d[i] = view;   /* 3 units: the page shows them in 3-D too */
    else report_view3d_free(view);
    return 0;
}

static int cmp_by_x(const void *a, const void *b)
{
    const float *p = a, *q = b;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

static int fig_function_fit(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *te = t->data.has_test ? &t->data.test : &t->data.train, *tr = &t->data.train;
    const spec *s = t->s;
    int layer = spec_find_layer(s, s->train.metric_pred[0] ? s->train.metric_pred : spec_first_loss(s)->pred);
    if (layer < 0 || nn_shape_numel(&te->sample) != 1 || !te->y) {
        snprintf(err, errlen, "function_fit needs 1-D inputs with targets and a prediction layer");
        return -1;
    }
    int n = te->n;
    int *rows = all_rows(n);
    float *pred = malloc((size_t)n * sizeof *pred), *tri = malloc((size_t)n * 3 * sizeof *tri);
    float *xs = malloc((size_t)n * sizeof *xs), *ys = malloc((size_t)n * sizeof *ys), *ps = malloc((size_t)n * sizeof *ps);
    int rc = -1;
    if (rows && pred && tri && xs && ys && ps && trainer_layer_outputs(t, te, rows, n, layer, pred) == 0) {
        for (int i = 0; i < n; i++) {
            tri[3 * i] = te->x[i];
            tri[3 * i + 1] = te->y[(size_t)i * te->y_dim];
            tri[3 * i + 2] = pred[i];
        }
        qsort(tri, (size_t)n, 3 * sizeof(float), cmp_by_x);
        for (int i = 0; i < n; i++) xs[i] = tri[3 * i], ys[i] = tri[3 * i + 1], ps[i] = tri[3 * i + 2];
        nn_series ser[3] = {{"truth", xs, ys, n, 0}, {"training points", tr->x, tr->y, tr->n, 1}, {"prediction", xs, ps, n, 0}};
        char path[1024], title[200];
        fig_path(t, "function_fit.png", path, sizeof path);
        const history *h = &t->h;
        float rel = h->n ? h->col[t->hc.test_rel_l2][h->n - 1] : NAN;
        snprintf(title, sizeof title, "%s: fit (relative L2 error %.2f%%)", s->name, 100 * rel);
        rc = nn_plot_lines(path, title, "x", "y", ser, 3, 0, err, errlen);
        if (rc == 0) add_fig(figs, "function_fit.png", "Truth, training points and the network's prediction");
    }
    free(rows);
    free(pred);
    free(tri);
    free(xs);
    free(ys);
    free(ps);
    return rc;
}

/* dead_units.csv: layer,dead_fraction */
static int write_dead_csv(const char *dir, const char *const *names, const float *frac, int n, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/dead_units.csv", dir);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    fprintf(f, "layer,dead_fraction\n");
    for (int i = 0; i < n; i++) fprintf(f, "%s,%.6f\n", names[i], frac[i]);
    return nn_atomic_commit(af, err, errlen);
}

/* A ReLU unit is dead when it outputs 0 for every training sample. */
static int fig_dead_units(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    const spec *s = t->s;
    const nn_dataset *ds = &t->data.train;
    char names[64][SPEC_NAME_LEN + 8];
    const char *name_ptrs[64];
    float frac[64];
    int nl = 0;
    int *rows = all_rows(ds->n);
    size_t k = strlen(figs->notes);
    k += (size_t)snprintf(figs->notes + k, sizeof figs->notes - k, "<h3>Dead ReLU units (over the training set)</h3><table><tr><th>layer</th><th>dead</th><th>fraction</th></tr>");
    printf("dead ReLU units (zero for every training sample):\n");
    for (int i = 0; i < s->nets[0].n_layers && nl < 64 && rows; i++) {
        const layer_spec *l = &s->nets[0].layers[i];
        if (l->act != ACT_RELU) continue;
        size_t w = trainer_layer_width(t, i);
        float *out = malloc((size_t)ds->n * w * sizeof *out);
        if (!out || trainer_layer_outputs(t, ds, rows, ds->n, i, out) < 0) {
            free(out);
            continue;
        }
        int dead = 0;
        for (size_t u = 0; u < w; u++) {
            int alive = 0;
            for (int r = 0; r < ds->n && !alive; r++) alive = out[(size_t)r * w + u] > 0;
            dead += !alive;
        }
        free(out);
        snprintf(names[nl], sizeof names[nl], "%s", l->name);
        name_ptrs[nl] = names[nl];
        frac[nl] = (float)dead / (float)w;
        printf("  %-16s %3d of %3zu (%.0f%%)\n", l->name, dead, w, 100.0 * frac[nl]);
        if (k < sizeof figs->notes)
            k += (size_t)snprintf(figs->notes + k, sizeof figs->notes - k, "<tr><td>%s</td><td>%d of %zu</td><td>%.0f%%</td></tr>",
                                  l->name, dead, w, 100.0 * frac[nl]);
        nl++;
    }
    if (k < sizeof figs->notes) snprintf(figs->notes + k, sizeof figs->notes - k, "</table>");
    free(rows);
    char path[1024];
    if (write_dead_csv(s->out_dir, name_ptrs, frac, nl, err, errlen) < 0) return -1;
    fig_path(t, "dead_units.png", path, sizeof path);
    char title[160];
    snprintf(title, sizeof title, "%s: dead ReLU units per layer", s->name);
    if (nl && nn_plot_bars(path, title, name_ptrs, frac, nl, "fraction dead", err, errlen) < 0) return -1;
    if (nl) add_fig(figs, "dead_units.png", "Fraction of ReLU units that never activate on the training set");
    return 0;
}

/* Mean over samples of ||x - x~||^2 between the data and the model's reconstruction (the
 * first loss' prediction, through a sigmoid when it holds logits), in blocks of rows. */
static int recon_error(trainer *t, const nn_dataset *ds, double *out)
{
    const spec *s = t->s;
    int layer = spec_find_layer(s, spec_first_loss(s)->pred), logits = report_is_logits(s, spec_first_loss(s)->pred);
    size_t d = nn_shape_numel(&ds->sample);
    if (layer < 0 || trainer_layer_width(t, layer) != d) return -1;
    enum { BLK = 2048 };
    int rows[BLK];
    float *rec = malloc((size_t)BLK * d * sizeof *rec);
    if (!rec) return -1;
    double total = 0;
    for (int r0 = 0; r0 < ds->n; r0 += BLK) {
        int n = ds->n - r0 < BLK ? ds->n - r0 : BLK;
        for (int i = 0; i < n; i++) rows[i] = r0 + i;
        if (trainer_layer_outputs(t, ds, rows, n, layer, rec) < 0) {
            free(rec);
            return -1;
        }
        for (size_t i = 0; i < (size_t)n * d; i++) {
            float v = logits ? 1.0f / (1.0f + expf(-rec[i])) : rec[i];
            double e = (double)ds->x[(size_t)r0 * d + i] - v;
            total += e * e;
        }
    }
    free(rec);
    *out = total / ds->n;
    return 0;
}

/* The autoencoder against PCA with as many components as the code layer has units:
 * ||x - x~||^2 per sample on the training and evaluation sets, printed, in the report, and
 * kept as the run's results ae_train, ae_test, pca_train, pca_test (for sweeps). */
static int pca_baseline(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    int layer = spec_find_layer(t->s, r->layer);
    const nn_dataset *tr = &t->data.train, *te = t->data.has_test ? &t->data.test : &t->data.train;
    int k = (int)trainer_layer_width(t, layer);
    int d = (int)nn_shape_numel(&tr->sample);
    double ae[2], pc[2];
    nn_pca p;
    if (recon_error(t, tr, &ae[0]) < 0 || recon_error(t, te, &ae[1]) < 0) {
        snprintf(err, errlen, "pca_baseline: the first loss' prediction must reconstruct the input");
        return -1;
    }
    if (nn_pca_fit(&p, tr->x, tr->n, d, k, err, errlen) < 0) return -1;
    int rc = nn_pca_errors(&p, tr->x, tr->n, &k, 1, &pc[0]) | nn_pca_errors(&p, te->x, te->n, &k, 1, &pc[1]);
    nn_pca_free(&p);
    if (rc) return -1;
    printf("reconstruction error ||x - x~||^2 per sample, code size %d:\n", k);
    printf("  autoencoder  train %.4f  %s %.4f\n  PCA          train %.4f  %s %.4f\n", ae[0], t->data.test_name, ae[1], pc[0],
           t->data.test_name, pc[1]);
    size_t at = strlen(figs->notes);
    if (at < sizeof figs->notes)
        snprintf(figs->notes + at, sizeof figs->notes - at,
                 "<h3>Reconstruction error ||x - x~||&sup2; per sample (code size %d)</h3><table><tr><th></th><th>train</th>"
                 "<th>%s</th></tr><tr><td>autoencoder</td><td>%.4f</td><td>%.4f</td></tr><tr><td>PCA</td><td>%.4f</td>"
                 "<td>%.4f</td></tr></table>",
                 k, t->data.test_name, ae[0], ae[1], pc[0], pc[1]);
    trainer_set_final(t, "ae_train", ae[0]);
    trainer_set_final(t, "ae_test", ae[1]);
    trainer_set_final(t, "pca_train", pc[0]);
    trainer_set_final(t, "pca_test", pc[1]);
    return 0;
}

/* A character model's result: the per-step accuracy of the last epoch on the held-out text,
 * printed as one line, put in the report and kept as the run's result next_char_accuracy. */
static void next_char_accuracy(trainer *t, report_figures *figs)
{
    double acc = trainer_final(t, "accuracy");
    if (t->s->data.train.kind != DS_CHARS || !t->data.has_test || isnan(acc)) return;
    printf("next-character accuracy: %.1f%%\n", 100 * acc);
    size_t at = strlen(figs->notes);
    if (at < sizeof figs->notes)
        snprintf(figs->notes + at, sizeof figs->notes - at, "<p>next-character accuracy (%s text): %.1f%%</p>",
                 t->data.test_name, 100 * acc);
    trainer_set_final(t, "next_char_accuracy", acc);
}

int report_make_figures(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    figs->n = 0;
    figs->notes[0] = 0;
    next_char_accuracy(t, figs);
    for (int i = 0; i < t->s->n_reports; i++) {
        const report_spec *r = &t->s->reports[i];
        int rc = 0;
        switch (r->kind) {
        case REP_LOSS_CURVE:
            rc = report_loss_curve(t, err, errlen);
            if (rc == 0) add_fig(figs, "loss_curve.png", "Loss per epoch");
            break;
        case REP_RECONSTRUCTIONS: rc = fig_reconstructions(t, r, figs, err, errlen); break;
        case REP_EMBEDDING: rc = fig_embedding(t, r, figs, err, errlen); break;
        case REP_FUNCTION_FIT: rc = fig_function_fit(t, figs, err, errlen); break;
        case REP_DEAD_UNITS: rc = fig_dead_units(t, figs, err, errlen); break;
        case REP_CONFUSION_MATRIX: rc = fig_confusion(t, figs, err, errlen); break;
        case REP_FILTERS: rc = fig_filters(t, r, figs, err, errlen); break;
        case REP_CLASS_EXAMPLES: rc = fig_class_examples(t, r, figs, err, errlen); break;
        case REP_POINTS: rc = fig_points(t, r, figs, err, errlen); break;
        case REP_PCA_BASELINE: rc = pca_baseline(t, r, figs, err, errlen); break;
        }
        if (rc < 0) return -1;
    }
    return 0;
}
