/* The embedding figure: a layer's codes of the evaluation samples, coloured by class. 2 units
 * as they are, 3 as a 3-D scatter (and the page's interactive view), wider codes projected to
 * 2-D by PCA (with the share of the variance kept) or, asked, by t-SNE (3 units too) on at
 * most TSNE_MAX_CODES of them. */
#include "report.h"
#include "report_analysis.h"
#include "nn/pca.h"
#include "nn/plot.h"
#include "nn/rng.h"
#include "nn/tsne.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TSNE_MAX_CODES = 5000 };   /* t-SNE beyond: a seeded random subset */

/* Three units: the whole code seen from two sides, and the page's interactive view (view != NULL). */
static int draw_codes3d(const report_codes *c, const char *const *names, const char *layer, const char *png_path,
                        const char *title, report_view3d **view, char *err, size_t errlen)
{
    static const nn_view3d views[2] = {{30, 20}, {120, 20}};
    static const char *const axes[3] = {"unit 1", "unit 2", "unit 3"};
    if (nn_plot_scatter3d(png_path, title, c->code, c->label, c->n, names, c->n_classes, axes, views, 2, err, errlen) < 0) return -1;
    if (view && !(*view = report_view3d_new(c->code, c->label, c->n, c->n_classes, layer))) {
        snprintf(err, errlen, "embedding: out of memory for the interactive view of layer '%s'", layer);
        return -1;
    }
    return 0;
}

/* Two or more units: the first two, on axes "<axis> 1" and "<axis> 2". */
static int draw_codes2d(const report_codes *c, const char *const *names, const char *layer, const char *png_path,
                        const char *title, const char *axis, char *err, size_t errlen)
{
    float *xy = malloc((size_t)(c->n ? c->n : 1) * 2 * sizeof *xy);
    if (!xy) {
        snprintf(err, errlen, "embedding: out of memory for %d codes of layer '%s'", c->n, layer);
        return -1;
    }
    for (int i = 0; i < c->n; i++) xy[2 * i] = c->code[(size_t)i * c->w], xy[2 * i + 1] = c->code[(size_t)i * c->w + 1];
    char x_label[32], y_label[32];
    snprintf(x_label, sizeof x_label, "%s 1", axis);
    snprintf(y_label, sizeof y_label, "%s 2", axis);
    int rc = nn_plot_scatter(png_path, title, xy, c->label, c->n, names, c->n_classes, x_label, y_label, err, errlen);
    free(xy);
    return rc;
}

/* Codes wider than 3 units: their first two principal components in place of the codes (c->w
 * becomes 2); the fraction of the codes' variance they hold into *explained. */
static int project_codes(report_codes *c, double *explained, char *err, size_t errlen)
{
    nn_pca p;
    if (nn_pca_fit(&p, c->code, c->n, (int)c->w, 2, err, errlen) < 0) return -1;
    double total = 0, kept = 0;
    for (size_t j = 0; j < c->w; j++) {   /* the variance of each unit, and of each projection */
        double s = 0;
        for (int i = 0; i < c->n; i++) s += ((double)c->code[(size_t)i * c->w + j] - p.mean[j]) * (c->code[(size_t)i * c->w + j] - p.mean[j]);
        total += s;
    }
    for (int i = 0; i < c->n; i++) {
        float *x = c->code + (size_t)i * c->w, xy[2] = {0, 0};
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < c->w; j++) xy[k] += (x[j] - p.mean[j]) * p.components[(size_t)k * c->w + j];
        kept += (double)xy[0] * xy[0] + (double)xy[1] * xy[1];
        c->code[2 * (size_t)i] = xy[0], c->code[2 * (size_t)i + 1] = xy[1];   /* row i's slot is behind row i's read */
    }
    c->w = 2;
    *explained = total > 0 ? kept / total : NAN;
    nn_pca_free(&p);
    return 0;
}

/* Keeps max codes of c drawn at random (seeded), in their order. */
static int keep_random_codes(report_codes *c, int max, uint64_t seed)
{
    if (c->n <= max) return 0;
    int *pick = malloc((size_t)c->n * sizeof *pick);
    if (!pick) return -1;
    for (int i = 0; i < c->n; i++) pick[i] = i;
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (int i = 0; i < max; i++) {   /* the first max of a Fisher-Yates shuffle */
        int j = i + (int)nn_rng_below(&r, (uint32_t)(c->n - i)), k = pick[i];
        pick[i] = pick[j], pick[j] = k;
    }
    char *keep = calloc((size_t)c->n, 1);
    if (!keep) {
        free(pick);
        return -1;
    }
    for (int i = 0; i < max; i++) keep[pick[i]] = 1;
    int m = 0;
    for (int i = 0; i < c->n; i++) {   /* row m's slot is never past row i's */
        if (!keep[i]) continue;
        memmove(c->code + (size_t)m * c->w, c->code + (size_t)i * c->w, c->w * sizeof *c->code);
        if (c->label) c->label[m] = c->label[i];
        m++;
    }
    c->n = m;
    free(pick), free(keep);
    return 0;
}

/* The codes' t-SNE layout in place of the codes (c->w becomes 2), seeded by the spec's seed. */
static int tsne_codes(report_codes *c, double perplexity, uint64_t seed, nn_tsne_result *res, char *err, size_t errlen)
{
    nn_tsne_options o = nn_tsne_defaults();
    o.perplexity = perplexity;
    o.seed = seed;
    float *y = malloc((size_t)c->n * 2 * sizeof *y);
    char why[256];
    int rc = y ? nn_tsne(c->code, c->n, (int)c->w, &o, y, res, why, sizeof why) : -1;
    if (rc == 0) {
        memcpy(c->code, y, (size_t)c->n * 2 * sizeof *y);
        c->w = 2;
    } else {
        snprintf(err, errlen, "embedding: %s", y ? why : "out of memory for t-SNE");
    }
    free(y);
    return rc;
}

int report_embedding_check(const trainer *t, const report_spec *r, char *err, size_t errlen)
{
    if (r->kind != REP_EMBEDDING || r->method != EMBED_TSNE) return 0;
    int n = report_eval_set(t)->n < TSNE_MAX_CODES ? report_eval_set(t)->n : TSNE_MAX_CODES;
    if (r->perplexity < n - 1) return 0;
    snprintf(err, errlen, "embedding of '%s': t-SNE's perplexity %g needs more than %g codes, and the %s split has %d: "
             "set the embedding's perplexity below %d", r->layer, r->perplexity, r->perplexity + 1, t->data.test_name, n, n - 1);
    return -1;
}

int report_embedding(trainer *t, const report_spec *r, const char *png_path, const char *title, report_view3d **view,
                     char *err, size_t errlen)
{
    if (view) *view = NULL;
    const char *layer = r->layer;
    report_codes c;
    int rc = report_codes_compute(t, layer, &c, err, errlen), units = rc == 0 ? (int)c.w : 0, all = c.n;
    int tsne = r->method == EMBED_TSNE && units >= 3, pca = !tsne && units > 3;
    char full[320], line[320] = "", subset[64] = "";
    double explained = NAN;
    nn_tsne_result res = {0};
    if (rc == 0 && pca && (rc = project_codes(&c, &explained, err, errlen)) == 0) {
        snprintf(full, sizeof full, "%s: layer '%s', PCA of its %d units (%.0f%% of the variance)", title, layer, units, 100 * explained);
        snprintf(line, sizeof line, "its %d units projected on their first 2 principal components (%.1f%% of the variance)", units,
                 100 * explained);
    } else if (rc == 0 && tsne) {
        if (keep_random_codes(&c, TSNE_MAX_CODES, t->s->seed + 29) < 0) {
            snprintf(err, errlen, "embedding: out of memory for %d codes of layer '%s'", c.n, layer);
            rc = -1;
        }
        if (c.n < all) snprintf(subset, sizeof subset, ", %d of %d codes", c.n, all);
        if (rc == 0) rc = tsne_codes(&c, r->perplexity, t->s->seed, &res, err, errlen);
        const char *how = res.exact ? "exact" : "Barnes-Hut";
        snprintf(full, sizeof full, "%s: layer '%s', t-SNE of its %d units (perplexity %g, %s%s)", title, layer, units, r->perplexity,
                 how, subset);
        snprintf(line, sizeof line, "its %d units laid out by t-SNE (perplexity %g, %s, KL %.3f%s%s)", units, r->perplexity, how,
                 res.kl, subset, c.n < all ? ", a random subset" : "");
    } else {
        snprintf(full, sizeof full, "%s: layer '%s'", title, layer);
    }
    if (rc == 0 && line[0]) printf("embedding of '%s': %s\n", layer, line);
    const char *const *names = rc == 0 ? data_class_names(t->s, c.n_classes) : NULL;
    if (rc == 0)
        rc = c.w == 3 ? draw_codes3d(&c, names, layer, png_path, full, view, err, errlen)
                      : draw_codes2d(&c, names, layer, png_path, full, tsne ? "t-SNE" : pca ? "component" : "unit", err, errlen);
    report_codes_free(&c);
    return rc;
}
