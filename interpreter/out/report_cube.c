/* The cube_error figure: how far a generator's samples are from the uniform cube U[-1, 1]^d
 * (nn_uniform_cube_r), measured after every epoch into the history column cube_r (a metric the
 * trainer computes through report_add_metrics), drawn against the generator steps, with the
 * cost of reaching r <= 0.05: iterations, critic and generator steps, seconds of training and
 * floating-point operations (the steps' plans, forward and backward, counted op by op). */
#include "report.h"
#include "../run/translate_eval.h"
#include "report_analysis.h"
#include "report_text.h"
#include "../run/generator.h"
#include "nn/plot.h"
#include "nn/quality.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUBE_NOISE_SALT 0xc0be5eedULL   /* the generator's noise, the same after every epoch */
#define CUBE_REF_SEED 12345             /* the reference sample and directions of r */
#define CUBE_TARGET 0.05

/* After an epoch: r of r->count samples of r->of (NaN when they cannot be drawn). */
static double cube_r(void *ctx, trainer *t)
{
    const report_spec *r = ctx;
    generator gen;
    char err[768];
    double v = NAN;
    float *x = NULL;
    if (generator_open(&gen, t->s, &t->info, trainer_weights(t), r->of, NULL, 1000, err, sizeof err) == 0 &&
        (x = malloc((size_t)r->count * gen.width * sizeof *x)) &&
        generator_draw(&gen, t->s->seed ^ CUBE_NOISE_SALT, NULL, r->count, x, err, sizeof err) == 0)
        v = nn_uniform_cube_r(x, r->count, (int)gen.width, CUBE_REF_SEED, NULL, NULL);
    free(x);
    generator_close(&gen);
    return v;
}

int report_add_metrics(trainer *t, char *err, size_t errlen)
{
    if (translate_add_metric(t) < 0) {
        snprintf(err, errlen, "test_bleu: no room for another metric column");
        return -1;
    }
    for (int k = 0; k < t->s->n_reports; k++) {
        const report_spec *r = &t->s->reports[k];
        if (report_embedding_check(t, r, err, errlen) < 0) return -1;
        if (r->kind != REP_CUBE_ERROR) continue;
        generator gen;   /* refuse a bad `of` before training, not after the first epoch */
        char why[768];
        int rc = generator_open(&gen, t->s, &t->info, trainer_weights(t), r->of, NULL, 1, why, sizeof why);
        if (rc == 0 && gen.conditional) snprintf(why, sizeof why, "'%s' is conditional", r->of), rc = -1;
        generator_close(&gen);
        if (rc < 0) {
            snprintf(err, errlen, "cube_error: %s", why);
            return -1;
        }
        if (trainer_add_metric(t, "cube_r", 0, cube_r, (void *)r) < 0) {
            snprintf(err, errlen, "cube_error: no room for another metric column");
            return -1;
        }
    }
    return 0;
}

/* The column of r, and per epoch the iterations done by its end (from the step log). */
static int cube_column(const trainer *t)
{
    for (int i = 0; i < t->n_metrics; i++)
        if (strcmp(t->h.name[t->metrics[i].column], "cube_r") == 0) return t->metrics[i].column;
    return -1;
}

static void iterations_by_epoch(const trainer *t, float *out)
{
    for (int e = 0; e < t->h.n; e++) out[e] = 0;
    for (long i = 0; i < t->steps.n; i++) {
        int e = (int)t->steps.v[i * t->steps.n_cols] - 1;
        for (int k = e; k >= 0 && k < t->h.n; k++) out[k] += 1;
    }
}

/* Critic steps per iteration: the repeats of every step but the last (the generator's). */
static int critic_repeats(const spec *s)
{
    int n = 0;
    for (int k = 0; k + 1 < s->n_steps; k++) n += s->steps[k].repeat;
    return n;
}

static void cost_to_target(trainer *t, const float *r, const float *iters, report_figures *figs)
{
    const history *h = &t->h;
    double seconds = 0;
    int e = 0;
    for (; e < h->n; e++) {
        seconds += h->col[t->hc.seconds][e];
        if (r[e] <= CUBE_TARGET) break;
    }
    if (e == h->n) {
        printf("cube error r: %.4f after %d epochs; r <= %.2f never held\n", h->n ? r[h->n - 1] : NAN, h->n, CUBE_TARGET);
        report_note(figs, "<p>cube error r after %d epochs: %.4f; r &le; %.2f never held.</p>\n", h->n, h->n ? r[h->n - 1] : NAN,
                    CUBE_TARGET);
        return;
    }
    long it = (long)iters[e];
    double tflop = (double)it * trainer_iteration_flops(t) / 1e12;
    printf("cube error r: %.4f after %d epochs; r <= %.2f first after epoch %d: %ld iterations (%ld critic steps, %ld generator "
           "steps), %.1f s of training, %.2f TFLOP (%.0f GFLOP/s)\n",
           r[h->n - 1], h->n, CUBE_TARGET, e + 1, it, it * critic_repeats(t->s), it, seconds, tflop,
           seconds > 0 ? tflop * 1e3 / seconds : 0);
    report_note(figs,
             "<p>cube error r after %d epochs: %.4f; r &le; %.2f first after epoch %d: %ld iterations (%ld critic steps, %ld "
             "generator steps), %.1f s of training, %.2f TFLOP.</p>\n",
             h->n, r[h->n - 1], CUBE_TARGET, e + 1, it, it * critic_repeats(t->s), it, seconds, tflop);
}

int report_cube_error(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    int c = cube_column(t);
    const history *h = &t->h;
    if (c < 0 || h->n == 0) return 0;   /* (no metric registered: an evaluation of a finished run) */
    float *iters = malloc((size_t)h->n * sizeof *iters), target[2] = {CUBE_TARGET, CUBE_TARGET}, ends[2];
    if (!iters) return -1;
    iterations_by_epoch(t, iters);
    cost_to_target(t, h->col[c], iters, figs);
    figs->results.cube_r = h->col[c][h->n - 1];
    ends[0] = 0, ends[1] = iters[h->n - 1];
    nn_series s[2] = {{"r", iters, h->col[c], h->n, NN_STYLE_LINE_POINTS}, {"r = 0.05", ends, target, 2, NN_STYLE_LINE}};
    char path[1024], title[200];
    snprintf(path, sizeof path, "%s/cube_error.png", t->s->out_dir);
    snprintf(title, sizeof title, "%s: distance r of %d samples of %.40s from U[-1, 1]^d", t->s->name, r->count, r->of);
    int rc = nn_plot_lines(path, title, "generator steps", "r", s, 2, 1, err, errlen);
    free(iters);
    if (rc == 0) report_add_figure(figs, "cube_error.png", "The samples' distance r from the uniform cube after every epoch (log scale)");
    return rc;
}
