/* Figures of a run (loss curve, reconstructions, embeddings, function fits, dead units) and
 * report.html. Each figure reads the trained model through trainer_layer_outputs(). */
#include "report.h"
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fig_path(const trainer *t, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", t->s->out_dir, name);
}

static void add_fig(report_figures *f, const char *file, const char *caption)
{
    if (f->n == REPORT_MAX_FIGS) return;
    snprintf(f->file[f->n], sizeof f->file[f->n], "%s", file);
    snprintf(f->caption[f->n], sizeof f->caption[f->n], "%s", caption);
    f->n++;
}

int report_loss_curve(trainer *t, char *err, size_t errlen)
{
    const history *h = &t->h;
    if (h->n == 0) return 0;
    float *x = malloc((size_t)h->n * sizeof *x);
    if (!x) return -1;
    for (int e = 0; e < h->n; e++) x[e] = (float)(e + 1);
    nn_series s[2] = {{"train", x, h->train_loss, h->n, 2}, {t->data.test_name, x, h->test_loss, h->n, 2}};
    char path[1024], title[160];
    fig_path(t, "loss_curve.png", path, sizeof path);
    snprintf(title, sizeof title, "%s: loss", t->s->name);
    int rc = nn_plot_lines(path, title, "epoch", "loss", s, t->data.has_test ? 2 : 1, 0, err, errlen);
    free(x);
    return rc;
}

int report_recon_layer(const trainer *t, const report_spec *r, int *logits)
{
    const spec *s = t->s;
    const char *name = r && r->layer[0] ? r->layer : s->losses[0].pred;
    *logits = r ? r->sigmoid : 0;
    for (int k = 0; k < s->n_losses; k++)
        if (strcmp(s->losses[k].pred, name) == 0 && s->losses[k].kind == LOSS_BCE_LOGITS) *logits = 1;
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

static int fig_reconstructions(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *ds = t->data.has_test ? &t->data.test : &t->data.train;
    int logits, layer = report_recon_layer(t, r, &logits);
    if (layer < 0) {
        snprintf(err, errlen, "reconstructions: unknown layer");
        return -1;
    }
    int n = r->count < ds->n ? r->count : ds->n;
    int *rows = malloc((size_t)n * sizeof *rows);
    size_t xn = nn_shape_numel(&ds->sample), w = trainer_layer_width(t, layer);
    float *imgs = malloc((size_t)n * 2 * xn * sizeof *imgs);
    if (!rows || !imgs || w != xn) {
        free(rows);
        free(imgs);
        snprintf(err, errlen, "reconstructions: layer '%s' has %zu values per sample, the images %zu",
                 t->s->model.layers[layer].name, w, xn);
        return -1;
    }
    nn_rng rng;
    nn_rng_seed(&rng, t->s->seed + 17);
    for (int i = 0; i < n; i++) rows[i] = (int)nn_rng_below(&rng, (uint32_t)ds->n);
    for (int i = 0; i < n; i++) memcpy(imgs + (size_t)i * xn, ds->x + (size_t)rows[i] * xn, xn * sizeof(float));
    float *rec = imgs + (size_t)n * xn;
    int rc = trainer_layer_outputs(t, ds, rows, n, layer, rec);
    if (logits)
        for (size_t i = 0; i < (size_t)n * xn; i++) rec[i] = 1.0f / (1.0f + expf(-rec[i]));
    int c, h, wd;
    report_image_dims(&ds->sample, &c, &h, &wd);
    const char *labels[] = {"original", "reconstruction"};
    char path[1024], title[160];
    fig_path(t, "reconstructions.png", path, sizeof path);
    snprintf(title, sizeof title, "%s: %s originals (top) and reconstructions (bottom)", t->s->name, t->data.test_name);
    if (rc == 0) rc = nn_plot_image_grid(path, title, imgs, 2 * n, c, h, wd, n, labels, 2, err, errlen);
    if (rc == 0) add_fig(figs, "reconstructions.png", "Randomly chosen samples above their reconstructions");
    free(rows);
    free(imgs);
    return rc;
}

static int *all_rows(int n)
{
    int *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (rows)
        for (int i = 0; i < n; i++) rows[i] = i;
    return rows;
}

int report_embedding(trainer *t, const char *layer_name, const char *png_path, const char *title, char *err, size_t errlen)
{
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
    char path[1024], file[96];
    snprintf(file, sizeof file, "embedding_%s.png", r->layer);
    fig_path(t, file, path, sizeof path);
    if (report_embedding(t, r->layer, path, t->s->name, err, errlen) < 0) return -1;
    add_fig(figs, file, "Codes of the evaluation samples, coloured by class");
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
    int layer = spec_find_layer(s, s->train.metric_pred[0] ? s->train.metric_pred : s->losses[0].pred);
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
        float rel = h->n ? h->test_rel_l2[h->n - 1] : NAN;
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
    for (int i = 0; i < s->model.n_layers && nl < 64 && rows; i++) {
        const layer_spec *l = &s->model.layers[i];
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
    char path[1024], csv[1024];
    snprintf(csv, sizeof csv, "%s/dead_units.csv", s->out_dir);
    FILE *f = fopen(csv, "w");
    if (f) {
        fprintf(f, "layer,dead_fraction\n");
        for (int i = 0; i < nl; i++) fprintf(f, "%s,%.6f\n", names[i], frac[i]);
        fclose(f);
    }
    fig_path(t, "dead_units.png", path, sizeof path);
    char title[160];
    snprintf(title, sizeof title, "%s: dead ReLU units per layer", s->name);
    if (nl && nn_plot_bars(path, title, name_ptrs, frac, nl, "fraction dead", err, errlen) < 0) return -1;
    if (nl) add_fig(figs, "dead_units.png", "Fraction of ReLU units that never activate on the training set");
    return 0;
}

int report_make_figures(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    figs->n = 0;
    figs->notes[0] = 0;
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
        }
        if (rc < 0) return -1;
    }
    return 0;
}

static void html_metric(FILE *f, float v, int percent)
{
    if (isnan(v)) fputs("<td>-</td>", f);
    else if (percent) fprintf(f, "<td>%.2f%%</td>", 100 * v);
    else fprintf(f, "<td>%.6g</td>", v);
}

int report_write_html(trainer *t, const report_figures *figs, char *err, size_t errlen)
{
    char path[1024], tmp[1100];
    fig_path(t, "report.html", path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", tmp);
        return -1;
    }
    const history *h = &t->h;
    const char *tn = t->data.test_name;
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n"
               "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
               "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
               "img{max-width:100%%;border:1px solid #eee;margin:4px 0}</style></head><body>\n",
            t->s->name);
    fprintf(f, "<h1>%s</h1>\n<p>Spec: <a href=\"spec.yaml\">spec.yaml</a> (resolved) &middot; "
               "<a href=\"metrics.csv\">metrics.csv</a> &middot; <a href=\"model.safetensors\">model.safetensors</a></p>\n",
            t->s->name);
    fprintf(f, "<h2>Metrics</h2>\n<table><tr><th>epoch</th><th>train loss</th><th>%s loss</th><th>%s accuracy</th>"
               "<th>%s rel. L2</th><th>lr</th><th>seconds</th></tr>\n", tn, tn, tn);
    for (int e = 0; e < h->n; e++) {
        fprintf(f, "<tr><td>%d</td>", e + 1);
        html_metric(f, h->train_loss[e], 0);
        html_metric(f, h->test_loss[e], 0);
        html_metric(f, h->test_acc[e], 1);
        html_metric(f, h->test_rel_l2[e], 1);
        html_metric(f, h->lr[e], 0);
        html_metric(f, h->seconds[e], 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (figs->notes[0]) fprintf(f, "%s\n", figs->notes);
    fputs("<h2>Figures</h2>\n", f);
    for (int i = 0; i < figs->n; i++)
        fprintf(f, "<figure><img src=\"%s\" alt=\"%s\"><figcaption>%s</figcaption></figure>\n", figs->file[i], figs->caption[i],
                figs->caption[i]);
    fputs("</body></html>\n", f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}
