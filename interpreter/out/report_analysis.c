/* What the figures compute from a trained model (report_analysis.h), and which layers they read
 * (report_recon_layer, report_image_dims of report.h). Every model output
 * comes from trainer_layer_outputs() / trainer_node_outputs(), in the order the figures ask:
 * layers that draw noise at evaluation take it from the run's noise stream. */
#include "report_analysis.h"
#include "report.h"
#include "nn/pca.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const nn_dataset *report_eval_set(const trainer *t) { return t->data.has_test ? &t->data.test : &t->data.train; }

int *report_all_rows(int n)
{
    int *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (rows)
        for (int i = 0; i < n; i++) rows[i] = i;
    return rows;
}

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/* The layer the metrics read: train.metric_pred, else the first loss' prediction. */
static int metric_layer(const spec *s)
{
    return spec_find_layer(s, s->train.metric_pred[0] ? s->train.metric_pred : spec_first_loss(s)->pred);
}

void report_pixels_to_unit(const trainer *t, float *v, size_t n) { data_pixels_to_unit(t->s, v, n); }

/* ---- which layer, which shape ----------------------------------------------------------------- */
int report_recon_layer(const trainer *t, const report_spec *r, int *logits)
{
    const spec *s = t->s;
    const char *name = r && r->layer[0] ? r->layer : spec_first_loss(s)->pred;
    *logits = (r && r->sigmoid) || spec_pred_is_logits(s, name);
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

/* ---- reconstructions, class_examples ---------------------------------------------------------- */
int report_recon_compute(trainer *t, const report_spec *r, const nn_dataset *ds, const int *rows, int n, report_recon *out,
                         char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
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
    out->n = n;
    out->n_rows = noisy >= 0 ? 3 : 2;
    report_image_dims(&ds->sample, &out->c, &out->h, &out->w);
    if (!(out->img = malloc((size_t)n * out->n_rows * xn * sizeof *out->img))) return -1;
    for (int i = 0; i < n; i++) memcpy(out->img + (size_t)i * xn, ds->x + (size_t)rows[i] * xn, xn * sizeof(float));
    float *rec = out->img + (size_t)(out->n_rows - 1) * n * xn;
    if (trainer_layer_outputs(t, ds, rows, n, layer, rec) != 0) return -1;
    if (noisy >= 0 && trainer_layer_outputs(t, ds, rows, n, noisy, out->img + (size_t)n * xn) != 0) return -1;
    if (logits)
        for (size_t i = 0; i < (size_t)n * xn; i++) rec[i] = sigmoid(rec[i]);
    report_pixels_to_unit(t, out->img, (size_t)n * (out->n_rows - !!logits) * xn);   /* logits: already in [0, 1] */
    return 0;
}

void report_recon_free(report_recon *rc)
{
    free(rc->img);
    rc->img = NULL;
}

int report_class_rows(const nn_dataset *ds, int *rows, char *err, size_t errlen)
{
    int k = ds->n_classes, n = 0;
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
    return n;
}

/* ---- embedding -------------------------------------------------------------------------------- */
int report_codes_compute(trainer *t, const char *layer_name, report_codes *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const nn_dataset *ds = report_eval_set(t);
    int layer = spec_find_layer(t->s, layer_name);
    if (layer < 0) {
        snprintf(err, errlen, "embedding: unknown layer '%s'", layer_name);
        return -1;
    }
    c->n = ds->n, c->w = trainer_layer_width(t, layer), c->n_classes = ds->n_classes;
    if (c->w < 2) {
        snprintf(err, errlen, "embedding: layer '%s' has %zu unit(s); a scatter needs 2", layer_name, c->w);
        return -1;
    }
    int *rows = report_all_rows(c->n);
    c->code = malloc((size_t)c->n * c->w * sizeof *c->code);
    if (c->n_classes) c->label = malloc((size_t)(c->n ? c->n : 1) * sizeof *c->label);
    int ok = rows && c->code && (c->label || !c->n_classes) && trainer_layer_outputs(t, ds, rows, c->n, layer, c->code) == 0;
    free(rows);
    if (!ok) {
        snprintf(err, errlen, "embedding: out of memory for %d codes of layer '%s'", c->n, layer_name);
        return -1;
    }
    for (int i = 0; c->label && i < c->n; i++) c->label[i] = ds->y ? (int)ds->y[(size_t)i * ds->y_dim] : 0;
    return 0;
}

void report_codes_free(report_codes *c)
{
    free(c->code);
    free(c->label);
    c->code = NULL, c->label = NULL;
}

/* ---- function_fit ----------------------------------------------------------------------------- */
static int cmp_by_x(const void *a, const void *b)
{
    const float *p = a, *q = b;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

/* f's samples (ds's inputs and targets, f->pred) reordered by increasing x, through tri
 * (n x 3 floats). */
static void sort_by_x(const nn_dataset *ds, report_fit *f, float *tri)
{
    for (int i = 0; i < f->n; i++) {
        tri[3 * i] = ds->x[i];
        tri[3 * i + 1] = ds->y[(size_t)i * ds->y_dim];
        tri[3 * i + 2] = f->pred[i];
    }
    qsort(tri, (size_t)f->n, 3 * sizeof(float), cmp_by_x);
    for (int i = 0; i < f->n; i++) f->x[i] = tri[3 * i], f->truth[i] = tri[3 * i + 1], f->pred[i] = tri[3 * i + 2];
}

int report_fit_compute(trainer *t, report_fit *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    const nn_dataset *ds = report_eval_set(t);
    int layer = metric_layer(t->s);
    if (layer < 0 || nn_shape_numel(&ds->sample) != 1 || !ds->y) {
        snprintf(err, errlen, "function_fit needs 1-D inputs with targets and a prediction layer");
        return -1;
    }
    int n = f->n = ds->n, *rows = report_all_rows(n), rc = -1;
    float *tri = malloc((size_t)n * 3 * sizeof *tri);
    if ((f->x = malloc((size_t)n * 3 * sizeof *f->x)) != NULL) f->truth = f->x + n, f->pred = f->x + 2 * (size_t)n;
    if (rows && tri && f->x) rc = trainer_layer_outputs(t, ds, rows, n, layer, f->pred);
    if (rc == 0) sort_by_x(ds, f, tri);
    free(rows);
    free(tri);
    return rc == 0 ? 0 : -1;
}

void report_fit_free(report_fit *f)
{
    free(f->x);
    f->x = f->truth = f->pred = NULL;
}

/* ---- dead_units ------------------------------------------------------------------------------- */
/* Units of the layer (w wide) that output 0 for every sample of ds, or -1 when its outputs
 * cannot be computed. */
static int count_dead(trainer *t, const nn_dataset *ds, const int *rows, int layer, size_t w)
{
    float *out = malloc((size_t)ds->n * w * sizeof *out);
    if (!out || trainer_layer_outputs(t, ds, rows, ds->n, layer, out) < 0) {
        free(out);
        return -1;
    }
    int dead = 0;
    for (size_t u = 0; u < w; u++) {
        int alive = 0;
        for (int r = 0; r < ds->n && !alive; r++) alive = out[(size_t)r * w + u] > 0;
        dead += !alive;
    }
    free(out);
    return dead;
}

void report_dead_units_compute(trainer *t, report_dead_units *d)
{
    const model_spec *net = &t->s->nets[0];
    const nn_dataset *ds = &t->data.train;
    int *rows = report_all_rows(ds->n);
    d->n = 0;
    for (int i = 0; i < net->n_layers && d->n < REPORT_MAX_DEAD_LAYERS && rows; i++) {
        if (net->layers[i].act != ACT_RELU) continue;
        size_t w = trainer_layer_width(t, i);
        int dead = count_dead(t, ds, rows, i, w);
        if (dead < 0) continue;
        d->layer[d->n] = net->layers[i].name;
        d->dead[d->n] = dead;
        d->width[d->n] = w;
        d->frac[d->n] = (float)dead / (float)w;
        d->n++;
    }
    free(rows);
}

/* ---- confusion_matrix ------------------------------------------------------------------------- */
static int argmax_row(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return (int)best;
}

int report_confusion_compute(trainer *t, report_confusion *c, char *err, size_t errlen)
{
    const nn_dataset *ds = report_eval_set(t);
    int layer = metric_layer(t->s), k = c->k = ds->n_classes;
    c->count = NULL;
    if (layer < 0 || !ds->y || k < 2 || k > 100) {
        snprintf(err, errlen, "confusion_matrix needs a classifier (class targets and a prediction layer)");
        return -1;
    }
    size_t w = trainer_layer_width(t, layer);
    int *rows = report_all_rows(ds->n);
    float *out = malloc((size_t)ds->n * w * sizeof *out);
    c->count = calloc((size_t)k * k, sizeof *c->count);
    int rc = rows && out && c->count ? trainer_layer_outputs(t, ds, rows, ds->n, layer, out) : -1;
    for (int i = 0; i < ds->n && rc >= 0; i++) {
        int truth = (int)ds->y[(size_t)i * ds->y_dim], pred = argmax_row(out + (size_t)i * w, w);
        if (truth >= 0 && truth < k && pred < k) c->count[truth * k + pred] += 1;
    }
    free(rows);
    free(out);
    return rc < 0 ? -1 : 0;
}

void report_confusion_free(report_confusion *c)
{
    free(c->count);
    c->count = NULL;
}

float report_class_accuracy(const report_confusion *c, int a)
{
    float row = 0;
    for (int b = 0; b < c->k; b++) row += c->count[a * c->k + b];
    return row > 0 ? c->count[a * c->k + a] / row : 0;
}

/* ---- filters ---------------------------------------------------------------------------------- */
/* One filter's weights src ([c][kh][kw]) as fl's image of it (kh x (kw*c)), scaled to its range. */
static void filter_image(const report_filters *fl, const float *src, float *img)
{
    int c = fl->c, kh = fl->kh, kw = fl->kw;
    size_t per = (size_t)kh * kw * c;
    float lo = src[0], hi = src[0];
    for (size_t j = 1; j < per; j++) lo = src[j] < lo ? src[j] : lo, hi = src[j] > hi ? src[j] : hi;
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                img[(size_t)y * kw * c + (size_t)ch * kw + x] = hi > lo ? (src[((size_t)ch * kh + y) * kw + x] - lo) / (hi - lo) : 0.5f;
}

int report_filters_compute(trainer *t, const char *layer, report_filters *fl, char *err, size_t errlen)
{
    memset(fl, 0, sizeof *fl);
    int li = spec_find_layer(t->s, layer);
    model_graph *m = trainer_weights(t);
    if (li < 0 || m->weight[li] < 0 || m->g->nodes[m->weight[li]].shape.ndim != 4) {
        snprintf(err, errlen, "filters: '%s' is not a convolution layer", layer);
        return -1;
    }
    nn_shape ws = m->g->nodes[m->weight[li]].shape;
    fl->f = ws.d[0], fl->c = ws.d[1], fl->kh = ws.d[2], fl->kw = ws.d[3];
    const float *w = nn_data(m->g, m->weight[li]);
    size_t per = (size_t)fl->kh * fl->kw * fl->c;
    if (!(fl->img = malloc((size_t)fl->f * per * sizeof *fl->img))) return -1;
    for (int i = 0; i < fl->f; i++) filter_image(fl, w + (size_t)i * per, fl->img + (size_t)i * per);
    return 0;
}

void report_filters_free(report_filters *fl)
{
    free(fl->img);
    fl->img = NULL;
}

/* ---- points ----------------------------------------------------------------------------------- */
/* The points of r's layer j (a layer or a call of the evaluation graph) into p. */
static int layer_points(trainer *t, const report_spec *r, int j, const int *rows, report_points *p, char *err, size_t errlen)
{
    diag d;
    diag_init(&d);
    int node = model_resolve(t->eval_full, r->layers[j], r->pos, &d);
    diag_free(&d);
    if (node < 0 || trainer_node_width(t, node) != 2) {
        snprintf(err, errlen, "points: '%s' has %zu values per sample; a scatter needs 2", r->layers[j],
                 node < 0 ? 0 : trainer_node_width(t, node));
        return -1;
    }
    int rc = trainer_node_outputs(t, report_eval_set(t), rows, p->n, node, p->xy + (size_t)j * p->n * 2);
    for (int i = 0; i < p->n; i++) p->label[(size_t)j * p->n + i] = j;
    p->name[j] = r->layers[j];
    return rc;
}

int report_points_compute(trainer *t, const report_spec *r, report_points *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    int n = p->n = report_eval_set(t)->n, nl = p->n_layers = r->n_layers;
    p->xy = malloc((size_t)n * nl * 2 * sizeof *p->xy);
    p->label = malloc((size_t)n * nl * sizeof *p->label);
    int *rows = report_all_rows(n);
    int rc = p->xy && p->label && rows ? 0 : -1;
    for (int j = 0; j < nl && rc == 0; j++) rc = layer_points(t, r, j, rows, p, err, errlen);
    free(rows);
    return rc;
}

void report_points_free(report_points *p)
{
    free(p->xy);
    free(p->label);
    p->xy = NULL, p->label = NULL;
}

/* ---- pca_baseline ----------------------------------------------------------------------------- */
/* Mean over samples of ||x - x~||^2 between the data and the model's reconstruction (the
 * first loss' prediction, through a sigmoid when it holds logits), in blocks of rows. */
static int recon_error(trainer *t, const nn_dataset *ds, double *out)
{
    const spec *s = t->s;
    int layer = spec_find_layer(s, spec_first_loss(s)->pred), logits = spec_pred_is_logits(s, spec_first_loss(s)->pred);
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
            float v = logits ? sigmoid(rec[i]) : rec[i];
            double e = (double)ds->x[(size_t)r0 * d + i] - v;
            total += e * e;
        }
    }
    free(rec);
    *out = total / ds->n;
    return 0;
}

int report_pca_compute(trainer *t, const char *code_layer, report_pca *p, char *err, size_t errlen)
{
    const nn_dataset *tr = &t->data.train, *te = report_eval_set(t);
    int k = (int)trainer_layer_width(t, spec_find_layer(t->s, code_layer));
    int d = (int)nn_shape_numel(&tr->sample);
    if (recon_error(t, tr, &p->ae[0]) < 0 || recon_error(t, te, &p->ae[1]) < 0) {
        snprintf(err, errlen, "pca_baseline: the first loss' prediction must reconstruct the input");
        return -1;
    }
    nn_pca pca;
    if (nn_pca_fit(&pca, tr->x, tr->n, d, k, err, errlen) < 0) return -1;
    int rc = nn_pca_errors(&pca, tr->x, tr->n, &k, 1, &p->pca[0]) | nn_pca_errors(&pca, te->x, te->n, &k, 1, &p->pca[1]);
    nn_pca_free(&pca);
    p->code = k;
    return rc ? -1 : 0;
}

/* ---- next-character accuracy ------------------------------------------------------------------ */
double report_next_char_accuracy(const trainer *t)
{
    if (t->s->data.train.kind != DS_CHARS || !t->data.has_test) return NAN;
    return trainer_final(t, "accuracy");
}
