/* loss_curve.png, redrawn after every epoch: with more iterations than epochs, each group's
 * training loss per iteration (steps.csv), raw and light behind an exponential moving average,
 * on an axis of epochs with whole-epoch ticks, the evaluation loss after every epoch as points
 * over it, one colour per group (a GAN's D and G share the plot); otherwise the per-epoch
 * losses. */
#include "report.h"
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SMOOTH_WINDOWS 40   /* the moving average spans about 1/40 of the run */

/* Row i of the step log at epoch e (1-based) sits at e - 1 + (j + 1) / n_e, j its place among
 * the n_e rows of its epoch: the curve reaches e as epoch e ends. */
static void step_positions(const step_log *l, float *x)
{
    long i = 0;
    while (i < l->n) {
        float e = l->v[i * l->n_cols];
        long j = i;
        while (j < l->n && l->v[j * l->n_cols] == e) j++;
        for (long k = i; k < j; k++) x[k] = e - 1 + (float)(k - i + 1) / (float)(j - i);
        i = j;
    }
}

/* Column c of the step log, and its debiased exponential moving average (NaN rows carried). */
static void step_series(const step_log *l, int c, float *raw, float *smooth)
{
    double beta = 1.0 - 1.0 / fmax(1.0, (double)l->n / SMOOTH_WINDOWS), avg = 0, weight = 0;
    for (long i = 0; i < l->n; i++) {
        raw[i] = l->v[i * l->n_cols + c];
        if (!isnan(raw[i])) {
            avg = beta * avg + (1 - beta) * raw[i];
            weight = beta * weight + (1 - beta);
        }
        smooth[i] = weight > 0 ? (float)(avg / weight) : NAN;
    }
}

static int per_step_curve(trainer *t, const char *path, char *err, size_t errlen)
{
    const step_log *l = &t->steps;
    const history *h = &t->h;
    int G = t->s->n_groups, n = 0, colours[3 * SPEC_MAX_GROUPS];
    float *x = malloc((size_t)l->n * (1 + 2 * (size_t)G) * sizeof *x), *ends = malloc((size_t)h->n * sizeof *ends);
    if (!x || !ends) {
        free(x), free(ends);
        snprintf(err, errlen, "out of memory for the loss curve of %ld steps", l->n);
        return -1;
    }
    step_positions(l, x);
    for (int e = 0; e < h->n; e++) ends[e] = (float)(e + 1);
    nn_series s[3 * SPEC_MAX_GROUPS];
    char names[2 * SPEC_MAX_GROUPS][SPEC_NAME_LEN + 24];
    for (int g = 0; g < G; g++) {
        const char *group = G == 1 ? "" : t->s->groups[g].name;
        float *raw = x + l->n * (1 + 2 * (size_t)g), *smooth = raw + l->n;
        step_series(l, 1 + g, raw, smooth);
        colours[n] = g, s[n++] = (nn_series){"", x, raw, (int)l->n, NN_STYLE_FAINT_LINE};
        snprintf(names[2 * g], sizeof names[2 * g], "train%s%s", G == 1 ? "" : " ", group);
        colours[n] = g, s[n++] = (nn_series){names[2 * g], x, smooth, (int)l->n, NN_STYLE_LINE};
        if (t->data.has_test) {
            snprintf(names[2 * g + 1], sizeof names[2 * g + 1], "%s%s%s", t->data.test_name, G == 1 ? "" : " ", group);
            colours[n] = g, s[n++] = (nn_series){names[2 * g + 1], ends, h->col[t->hc.test[g]], h->n, NN_STYLE_POINTS};
        }
    }
    char title[160];
    snprintf(title, sizeof title, "%s: loss per iteration, smoothed%s%s%s", t->s->name, t->data.has_test ? "; " : "",
             t->data.has_test ? t->data.test_name : "", t->data.has_test ? " per epoch" : "");
    nn_line_options o = {colours, 0, 1};
    int rc = nn_plot_lines_with(path, title, "epoch", "loss", s, n, &o, err, errlen);
    free(x);
    free(ends);
    return rc;
}

static int per_epoch_curve(trainer *t, const char *path, char *err, size_t errlen)
{
    const history *h = &t->h;
    float *x = malloc((size_t)h->n * sizeof *x);
    if (!x) return -1;
    for (int e = 0; e < h->n; e++) x[e] = (float)(e + 1);
    nn_series s[2 * SPEC_MAX_GROUPS];   /* train and evaluation curves of each loss group */
    char names[2 * SPEC_MAX_GROUPS][SPEC_NAME_LEN + 24];
    int n = 0, G = t->s->n_groups;
    for (int g = 0; g < G; g++)
        for (int split = 0; split < (t->data.has_test ? 2 : 1); split++) {
            const char *which = split ? t->data.test_name : "train";
            if (G == 1) snprintf(names[n], sizeof names[n], "%s", which);
            else snprintf(names[n], sizeof names[n], "%s %s", which, t->s->groups[g].name);
            s[n] = (nn_series){names[n], x, h->col[split ? t->hc.test[g] : t->hc.train[g]], h->n, NN_STYLE_LINE_POINTS};
            n++;
        }
    char title[160];
    snprintf(title, sizeof title, "%s: loss", t->s->name);
    nn_line_options o = {NULL, 0, 1};
    int rc = nn_plot_lines_with(path, title, "epoch", "loss", s, n, &o, err, errlen);
    free(x);
    return rc;
}

int report_loss_curve(trainer *t, char *err, size_t errlen)
{
    if (t->h.n == 0) return 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/loss_curve.png", t->s->out_dir);
    return t->steps.n > t->h.n ? per_step_curve(t, path, err, errlen) : per_epoch_curve(t, path, err, errlen);
}
