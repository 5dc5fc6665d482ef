/* The attention_lookup figures (attention_lookup.h computes them): one row per temperature of
 * the query, the sources with their weights and the weighted sum (attention_lookup.png); the
 * mean weights of every class's queries on every class's sources as a heat map per temperature
 * (attention_matrix*.png) and as CSV (attention_matrix.csv); a line each on the terminal and a
 * note on the page. */
#include "attention_lookup.h"
#include "report.h"
#include "report_analysis.h"
#include "report_text.h"
#include "nn/atomic_file.h"
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_SCALE 3

/* Class c's name for figures: the data's, else its id. */
typedef struct {
    char id[ATTN_MAX_CLASSES][12];
    const char *name[ATTN_MAX_CLASSES];
} class_labels;

static void class_labels_of(const trainer *t, int k, class_labels *l)
{
    const char *const *names = data_class_names(t->s, k);
    for (int c = 0; c < k; c++) {
        snprintf(l->id[c], sizeof l->id[c], "%d", c);
        l->name[c] = names ? names[c] : l->id[c];
    }
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* "attention_matrix.png", or with several temperatures "attention_matrix_T0.1.png" */
static void matrix_file(const attention_lookup *a, int t, char *out, size_t len)
{
    if (a->n_temps == 1) snprintf(out, len, "attention_matrix.png");
    else snprintf(out, len, "attention_matrix_T%g.png", a->temperature[t]);
}

/* ---- the example ----------------------------------------------------------------------------- */
/* Row t: the query, the K sources, the weighted sum at temperature t; the pixels in [0, 1]. */
static int draw_example(trainer *t, const attention_lookup *a, const class_labels *cl, char *err, size_t errlen)
{
    int k = a->n_classes, cols = k + 2, n = a->n_temps * cols, c, h, w;
    size_t dim = a->dim;
    float *img = malloc((size_t)n * dim * sizeof *img), bars[REPORT_MAX_TEMPERATURES * (ATTN_MAX_CLASSES + 2)];
    char captions[REPORT_MAX_TEMPERATURES * (ATTN_MAX_CLASSES + 2)][16], rows[REPORT_MAX_TEMPERATURES][24];
    const char *cap[REPORT_MAX_TEMPERATURES * (ATTN_MAX_CLASSES + 2)], *row[REPORT_MAX_TEMPERATURES], *col[ATTN_MAX_CLASSES + 2];
    if (!img) {
        snprintf(err, errlen, "attention_lookup: out of memory for the figure");
        return -1;
    }
    for (int r = 0; r < a->n_temps; r++) {
        float *at = img + (size_t)r * cols * dim;
        memcpy(at, a->query, dim * sizeof *at);
        memcpy(at + dim, a->sources, (size_t)k * dim * sizeof *at);
        memcpy(at + (size_t)(k + 1) * dim, a->sum + (size_t)r * dim, dim * sizeof *at);
        for (int j = 0; j < cols; j++) {
            int i = r * cols + j, src = j >= 1 && j <= k;
            bars[i] = src ? a->weights[r * k + j - 1] : NAN;
            if (src) snprintf(captions[i], sizeof captions[i], "%.3f", a->weights[r * k + j - 1]);
            cap[i] = src ? captions[i] : NULL;
        }
        snprintf(rows[r], sizeof rows[r], "T = %g", a->temperature[r]);
        row[r] = rows[r];
    }
    col[0] = "query";
    for (int j = 0; j < k; j++) col[j + 1] = cl->name[j];
    col[k + 1] = "weighted sum";
    report_pixels_to_unit(t, img, (size_t)n * dim);
    report_image_dims(&report_eval_set(t)->sample, &c, &h, &w);
    char path[1024], title[200];
    snprintf(path, sizeof path, "%s/attention_lookup.png", t->s->out_dir);
    snprintf(title, sizeof title, "%s: attention of a %.20s over one source per class, on the raw pixels", t->s->name,
             cl->name[a->query_class]);
    nn_image_grid_options o = {.row_labels = row, .col_labels = col, .captions = cap, .bars = bars, .scale = IMAGE_SCALE};
    int rc = nn_plot_image_grid_with(path, title, img, n, c, h, w, cols, &o, err, errlen);
    free(img);
    return rc;
}

/* "attention_lookup.png: query a 5 (sample 3187 of 10000); at T=1 the weight on its class's source 0.112, the largest
 * 0.154 on 8; ..." */
static void print_example(const trainer *t, const attention_lookup *a, const class_labels *cl)
{
    int k = a->n_classes, q = a->query_class;
    printf("attention_lookup.png: query a %s (sample %d of %d), one source per class;", cl->name[q], a->query_row,
           report_eval_set(t)->n);
    for (int r = 0; r < a->n_temps; r++) {
        const float *wt = a->weights + (size_t)r * k;
        int best = argmax(wt, k);
        printf("%s T=%g: weight on the %s %.3f, largest %.3f on %s", r ? ";" : "", a->temperature[r], cl->name[q], wt[q],
               wt[best], cl->name[best]);
    }
    printf("\n");
}

/* ---- the mean weights ------------------------------------------------------------------------- */
/* How many classes' queries give their own class's source the largest mean weight (at t). */
static int rows_on_own_class(const attention_lookup *a, int t)
{
    int k = a->n_classes, n = 0;
    for (int c = 0; c < k; c++) n += argmax(a->mean_weights + ((size_t)t * k + c) * k, k) == c;
    return n;
}

static int draw_matrix(trainer *t, const attention_lookup *a, int r, const class_labels *cl, char *err, size_t errlen)
{
    char file[64], path[1024], title[200];
    matrix_file(a, r, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", t->s->out_dir, file);
    snprintf(title, sizeof title, "%s: mean attention weights, %d draws, T = %g: diagonal mean %.3f (uniform %.3f)", t->s->name,
             a->draws, a->temperature[r], a->diagonal[r], 1.0 / a->n_classes);
    const float *m = a->mean_weights + (size_t)r * a->n_classes * a->n_classes;
    return nn_plot_heatmap(path, title, m, a->n_classes, a->n_classes, cl->name, cl->name, 1, "source's class", "query's class",
                           err, errlen);
}

/* The query's class's row of matrix r: its weight on its own class, and the class it weighs most. */
static const float *query_row(const attention_lookup *a, int r, int *best)
{
    const float *row = a->mean_weights + ((size_t)r * a->n_classes + a->query_class) * a->n_classes;
    *best = argmax(row, a->n_classes);
    return row;
}

static void print_matrix(const attention_lookup *a, int r, const class_labels *cl)
{
    char file[64];
    int q = a->query_class, best;
    const float *row = query_row(a, r, &best);
    matrix_file(a, r, file, sizeof file);
    printf("%s: mean weights over %d draws at T=%g: diagonal mean %.3f (uniform %.3f); %d of %d classes' queries weigh "
           "their own class's source most; a %s puts %.3f on the %s, the most (%.3f) on %s\n", file, a->draws,
           a->temperature[r], a->diagonal[r], 1.0 / a->n_classes, rows_on_own_class(a, r), a->n_classes, cl->name[q], row[q],
           cl->name[q], row[best], cl->name[best]);
}

static void note_matrix(report_figures *figs, const attention_lookup *a, int r, const class_labels *cl)
{
    int q = a->query_class, best;
    const float *row = query_row(a, r, &best);
    report_note(figs, "<p>Attention at T = %g, mean over %d draws: the weight of a query on the source of its own class "
                      "averages %.3f (uniform: %.3f); %d of %d classes' queries weigh their own class's source most. A %s puts "
                      "%.3f on the %s, the most (%.3f) on %s.</p>\n",
                a->temperature[r], a->draws, a->diagonal[r], 1.0 / a->n_classes, rows_on_own_class(a, r), a->n_classes,
                cl->name[q], row[q], cl->name[q], row[best], cl->name[best]);
}

/* attention_matrix.csv: temperature,query_class,source_0,...: one row per temperature and query class */
static int write_matrix_csv(const trainer *t, const attention_lookup *a, char *err, size_t errlen)
{
    char path[1024];
    int k = a->n_classes;
    snprintf(path, sizeof path, "%s/attention_matrix.csv", t->s->out_dir);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    fprintf(f, "temperature,query_class");
    for (int c = 0; c < k; c++) fprintf(f, ",source_%d", c);
    fputc('\n', f);
    for (int r = 0; r < a->n_temps; r++)
        for (int q = 0; q < k; q++) {
            fprintf(f, "%g,%d", a->temperature[r], q);
            for (int c = 0; c < k; c++) fprintf(f, ",%.7g", a->mean_weights[((size_t)r * k + q) * k + c]);
            fputc('\n', f);
        }
    return nn_atomic_commit(af, err, errlen);
}

/* ---- the report item ------------------------------------------------------------------------------ */
static int present(trainer *t, const attention_lookup *a, report_figures *figs, char *err, size_t errlen)
{
    class_labels cl;
    class_labels_of(t, a->n_classes, &cl);
    if (draw_example(t, a, &cl, err, errlen) < 0) return -1;
    print_example(t, a, &cl);
    report_add_figure(figs, "attention_lookup.png",
                      "One row per temperature: the query, one source per class with its attention weight (bar and number), "
                      "and the weighted sum of the sources");
    for (int r = 0; r < a->n_temps; r++) {
        char file[64], caption[160];
        if (draw_matrix(t, a, r, &cl, err, errlen) < 0) return -1;
        print_matrix(a, r, &cl);
        note_matrix(figs, a, r, &cl);
        matrix_file(a, r, file, sizeof file);
        snprintf(caption, sizeof caption, "Mean weights at T = %g over %d draws: row = the query's class, column = the "
                 "source's; rows sum to 1 (attention_matrix.csv)", a->temperature[r], a->draws);
        report_add_figure(figs, file, caption);
    }
    return write_matrix_csv(t, a, err, errlen);
}

int report_attention_lookup(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    attention_lookup a;
    if (attention_lookup_compute(report_eval_set(t), r, t->s->seed, &a, err, errlen) < 0) return -1;
    int rc = present(t, &a, figs, err, errlen);
    attention_lookup_free(&a);
    return rc;
}
