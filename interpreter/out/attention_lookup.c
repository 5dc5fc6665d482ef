/* Scaled dot-product attention of a query over one source per class on raw data (see
 * attention_lookup.h): the samples are drawn here, the attention is the runtime's ops. */
#include "attention_lookup.h"
#include "nn/ops.h"
#include "nn/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAW_SALT 0xa77e2710ULL      /* the draws' stream, apart from the other figures' */
#define CHUNK 100                    /* draws per run of the mean-weights graph */

int attention_lookup_temperatures(const report_spec *r)
{
    int n = 0;
    while (n < REPORT_MAX_TEMPERATURES && r->temperature[n] > 0) n++;
    return n;
}

int attention_lookup_check(const report_spec *r, const data_info *info, diag *d)
{
    const spec_pos *p = &r->pos;
    if (info->y_dim != 1 || info->n_classes < 2 || info->n_classes > ATTN_MAX_CLASSES) {
        diag_error_at(d, p->file, p->line, p->col,
                      "attention_lookup draws one source per class: it needs data with one class id per sample and 2 to %d "
                      "classes (this data has %d)", ATTN_MAX_CLASSES, info->y_dim == 1 ? info->n_classes : 0);
        return -1;
    }
    if (r->query >= info->n_classes) {
        diag_error_at(d, p->file, p->line, p->col, "attention_lookup: query %d is not a class of the data (its classes are 0..%d)",
                      r->query, info->n_classes - 1);
        return -1;
    }
    return 0;
}

/* ---- drawing the samples ------------------------------------------------------------------------ */
/* The rows of each class: class c's are rows[start[c] .. start[c + 1]). */
typedef struct {
    int *rows;
    int start[ATTN_MAX_CLASSES + 1];
} class_rows;

static int class_rows_of(const nn_dataset *ds, int k, class_rows *cr, char *err, size_t errlen)
{
    int fill[ATTN_MAX_CLASSES] = {0};
    memset(cr->start, 0, sizeof cr->start);
    cr->rows = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *cr->rows);
    if (!cr->rows) {
        snprintf(err, errlen, "attention_lookup: out of memory for %d rows", ds->n);
        return -1;
    }
    for (int i = 0; i < ds->n; i++) {
        int c = (int)ds->y[i];
        if (c < 0 || c >= k) {
            snprintf(err, errlen, "attention_lookup: sample %d has the label %g, not a class id 0..%d", i, ds->y[i], k - 1);
            free(cr->rows);
            cr->rows = NULL;
            return -1;
        }
        cr->start[c + 1]++;
    }
    for (int c = 0; c < k; c++) cr->start[c + 1] += cr->start[c];
    for (int i = 0; i < ds->n; i++) {
        int c = (int)ds->y[i];
        cr->rows[cr->start[c] + fill[c]++] = i;
    }
    for (int c = 0; c < k; c++)
        if (cr->start[c + 1] - cr->start[c] < 2) {
            snprintf(err, errlen, "attention_lookup: class %d has %d sample%s in the data; a query of it and its source must be "
                     "two different samples", c, cr->start[c + 1] - cr->start[c], cr->start[c + 1] - cr->start[c] == 1 ? "" : "s");
            free(cr->rows);
            cr->rows = NULL;
            return -1;
        }
    return 0;
}

/* One draw: a source of every class, as positions within its class, into pos. */
static void draw_sources(const class_rows *cr, int k, nn_rng *rng, int *pos)
{
    for (int c = 0; c < k; c++) pos[c] = (int)nn_rng_below(rng, (uint32_t)(cr->start[c + 1] - cr->start[c]));
}

/* A row of class c other than its source's (at position `source` within the class). */
static int draw_query(const class_rows *cr, int c, int source, nn_rng *rng)
{
    int p = (int)nn_rng_below(rng, (uint32_t)(cr->start[c + 1] - cr->start[c] - 1));
    return cr->rows[cr->start[c] + (p >= source ? p + 1 : p)];
}

static void copy_row(const nn_dataset *ds, int row, size_t dim, float *out)
{
    memcpy(out, ds->x + (size_t)row * dim, dim * sizeof *out);
}

/* 1 / (sqrt(D) temperature): the scale of q k^T */
static float scale_of(size_t dim, float temperature) { return (float)(1.0 / (sqrt((double)dim) * temperature)); }

/* ---- the example: one query, one source per class ------------------------------------------------ */
/* q (1,1,D), k = v (1,K,D) -> per temperature the weighted sum (1,1,D) and the weights (1,1,K) */
static int run_example(attention_lookup *a, char *err, size_t errlen)
{
    int k = a->n_classes, out[REPORT_MAX_TEMPERATURES], w[REPORT_MAX_TEMPERATURES], targets[2 * REPORT_MAX_TEMPERATURES];
    nn_graph *g = nn_graph_new(1);
    if (!g) return -1;
    int q = nn_input(g, nn_shape3(1, 1, (int)a->dim), "query");
    int src = nn_input(g, nn_shape3(1, k, (int)a->dim), "sources");
    for (int t = 0; t < a->n_temps; t++) {
        out[t] = nn_attention(g, q, src, src, -1, scale_of(a->dim, a->temperature[t]), &w[t]);
        targets[2 * t] = out[t], targets[2 * t + 1] = w[t];
    }
    nn_plan *p = out[a->n_temps - 1] >= 0 ? nn_plan_create(g, targets, 2 * a->n_temps) : NULL;
    if (p) {
        memcpy(nn_data(g, q), a->query, a->dim * sizeof(float));
        memcpy(nn_data(g, src), a->sources, (size_t)k * a->dim * sizeof(float));
        nn_plan_run(g, p);
        for (int t = 0; t < a->n_temps; t++) {
            memcpy(a->sum + (size_t)t * a->dim, nn_data(g, out[t]), a->dim * sizeof(float));
            memcpy(a->weights + (size_t)t * k, nn_data(g, w[t]), (size_t)k * sizeof(float));
        }
    } else
        snprintf(err, errlen, "attention_lookup: %s", g->err[0] ? g->err : "out of memory for the attention graph");
    nn_plan_free(p);
    nn_graph_free(g);
    return p ? 0 : -1;
}

/* ---- the mean weights: a query of every class over fresh sources, CHUNK draws a run ---------------- */
/* Fills chunk entry b: queries (K,D), one of each class, and sources (K,D), one of each class. */
static void fill_draw(const nn_dataset *ds, const class_rows *cr, int k, size_t dim, nn_rng *rng, float *q, float *src)
{
    int pos[ATTN_MAX_CLASSES];
    draw_sources(cr, k, rng, pos);
    for (int c = 0; c < k; c++) copy_row(ds, cr->rows[cr->start[c] + pos[c]], dim, src + (size_t)c * dim);
    for (int c = 0; c < k; c++) copy_row(ds, draw_query(cr, c, pos[c], rng), dim, q + (size_t)c * dim);
}

/* q (B,K,D) and k (B,K,D) -> weights (B,K,K) per temperature, summed over the draws into
 * a->mean_weights, then divided by their number */
static int run_mean_weights(const nn_dataset *ds, const class_rows *cr, attention_lookup *a, nn_rng *rng, char *err,
                            size_t errlen)
{
    int k = a->n_classes, b = a->draws < CHUNK ? a->draws : CHUNK, w[REPORT_MAX_TEMPERATURES];
    size_t kk = (size_t)k * k, per = (size_t)k * a->dim;
    nn_graph *g = nn_graph_new(1);
    if (!g) return -1;
    int q = nn_input(g, nn_shape3(b, k, (int)a->dim), "queries");
    int src = nn_input(g, nn_shape3(b, k, (int)a->dim), "sources");
    for (int t = 0; t < a->n_temps; t++) w[t] = nn_attention_weights(g, q, src, -1, scale_of(a->dim, a->temperature[t]));
    nn_plan *p = w[a->n_temps - 1] >= 0 ? nn_plan_create(g, w, a->n_temps) : NULL;
    if (!p) snprintf(err, errlen, "attention_lookup: %s", g->err[0] ? g->err : "out of memory for the attention graph");
    double *acc = p ? calloc((size_t)a->n_temps * kk, sizeof *acc) : NULL;
    for (int done = 0; acc && done < a->draws; done += b) {
        int n = a->draws - done < b ? a->draws - done : b;   /* the last run: only its first n entries count */
        for (int e = 0; e < n; e++) fill_draw(ds, cr, k, a->dim, rng, nn_data(g, q) + e * per, nn_data(g, src) + e * per);
        nn_plan_run(g, p);
        for (int t = 0; t < a->n_temps; t++)
            for (size_t i = 0; i < (size_t)n * kk; i++) acc[t * kk + i % kk] += nn_data(g, w[t])[i];
    }
    for (size_t i = 0; acc && i < (size_t)a->n_temps * kk; i++) a->mean_weights[i] = (float)(acc[i] / a->draws);
    for (int t = 0; acc && t < a->n_temps; t++) {
        double s = 0;
        for (int c = 0; c < k; c++) s += a->mean_weights[t * kk + (size_t)c * k + c];
        a->diagonal[t] = s / k;
    }
    if (p && !acc) snprintf(err, errlen, "attention_lookup: out of memory for the mean weights");
    int rc = acc ? 0 : -1;
    free(acc);
    nn_plan_free(p);
    nn_graph_free(g);
    return rc;
}

/* ---- the whole ------------------------------------------------------------------------------------ */
static int alloc_results(attention_lookup *a)
{
    size_t k = (size_t)a->n_classes, t = (size_t)a->n_temps;
    a->query = malloc(a->dim * sizeof(float));
    a->sources = malloc(k * a->dim * sizeof(float));
    a->weights = malloc(t * k * sizeof(float));
    a->sum = malloc(t * a->dim * sizeof(float));
    a->mean_weights = malloc(t * k * k * sizeof(float));
    return a->query && a->sources && a->weights && a->sum && a->mean_weights ? 0 : -1;
}

int attention_lookup_compute(const nn_dataset *ds, const report_spec *r, uint64_t seed, attention_lookup *a, char *err,
                             size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->n_classes = ds->n_classes, a->dim = nn_dataset_sample_size(ds);
    a->n_temps = attention_lookup_temperatures(r);
    memcpy(a->temperature, r->temperature, sizeof a->temperature);
    a->query_class = r->query, a->draws = r->draws;
    if (!ds->y || ds->y_dim != 1 || a->n_classes < 2 || a->n_classes > ATTN_MAX_CLASSES || r->query >= a->n_classes ||
        a->n_temps < 1 || a->draws < 1) {
        snprintf(err, errlen, "attention_lookup: needs data with one class id per sample, 2 to %d classes (this data has %d) "
                 "and the query's class %d among them", ATTN_MAX_CLASSES, ds->y_dim == 1 ? ds->n_classes : 0, r->query);
        return -1;
    }
    class_rows cr;
    if (class_rows_of(ds, a->n_classes, &cr, err, errlen) < 0) return -1;
    int rc = alloc_results(a);
    if (rc < 0) snprintf(err, errlen, "attention_lookup: out of memory");
    nn_rng rng;
    nn_rng_seed(&rng, seed ^ DRAW_SALT);
    if (rc == 0) {   /* the example: sources, then the query */
        int pos[ATTN_MAX_CLASSES];
        draw_sources(&cr, a->n_classes, &rng, pos);
        for (int c = 0; c < a->n_classes; c++) {
            a->source_rows[c] = cr.rows[cr.start[c] + pos[c]];
            copy_row(ds, a->source_rows[c], a->dim, a->sources + (size_t)c * a->dim);
        }
        a->query_row = draw_query(&cr, a->query_class, pos[a->query_class], &rng);
        copy_row(ds, a->query_row, a->dim, a->query);
        rc = run_example(a, err, errlen);
    }
    if (rc == 0) rc = run_mean_weights(ds, &cr, a, &rng, err, errlen);
    free(cr.rows);
    if (rc < 0) attention_lookup_free(a);
    return rc;
}

void attention_lookup_free(attention_lookup *a)
{
    free(a->query);
    free(a->sources);
    free(a->weights);
    free(a->sum);
    free(a->mean_weights);
    a->query = a->sources = a->weights = a->sum = a->mean_weights = NULL;
}
