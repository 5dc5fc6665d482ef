/* The judge figure: generated images against the test images in the features of a trained
 * classifier (run/judge.h) — the Fréchet distance beside its floor (training against test
 * images) and ceiling (noise against test images), the histogram of the classes the judge
 * gives the samples (mode collapse shows as a spike) and, for a conditional generator, how
 * often a sample is judged as the class it was asked for. */
#include "report.h"
#include "report_analysis.h"
#include "report_text.h"
#include "../run/generator.h"
#include "../run/judge.h"
#include "nn/plot.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JUDGE_SEED_SALT 0x1d6e5ULL

/* n images of ds (the first ones) in [0, 1]: malloc'd. */
static float *unit_images(const trainer *t, const nn_dataset *ds, int n)
{
    size_t w = nn_shape_numel(&ds->sample);
    float *x = malloc((size_t)n * w * sizeof *x);
    if (!x) return NULL;
    memcpy(x, ds->x, (size_t)n * w * sizeof *x);
    report_pixels_to_unit(t, x, (size_t)n * w);
    return x;
}

/* r->count samples of r->of in [0, 1], a conditional generator's classes in turn. */
static float *draw(trainer *t, const report_spec *r, int **labels, char *err, size_t errlen)
{
    generator gen;
    char why[768];
    int n = r->count;
    float *x = NULL;
    *labels = NULL;
    if (generator_open(&gen, t->s, &t->info, trainer_weights(t), r->of, r->from[0] ? r->from : NULL, 256, why, sizeof why) < 0) {
        snprintf(err, errlen, "judge: %s", why);
        generator_close(&gen);
        return NULL;
    }
    if (gen.width != JUDGE_PIXELS) snprintf(err, errlen, "judge: '%s' gives %zu values per sample, the judge reads 28x28 images", r->of, gen.width);
    else if ((x = malloc((size_t)n * gen.width * sizeof *x)) && gen.conditional && (*labels = malloc((size_t)n * sizeof **labels)))
        for (int i = 0; i < n; i++) (*labels)[i] = i % gen.n_classes;
    if (x && (gen.conditional && !*labels)) x = (free(x), NULL);
    if (x && generator_draw(&gen, t->s->seed ^ JUDGE_SEED_SALT, *labels, n, x, err, errlen) < 0) x = (free(x), NULL);
    if (x) report_pixels_to_unit(t, x, (size_t)n * gen.width);
    generator_close(&gen);
    return x;
}

static void print_and_note(const trainer *t, report_figures *f, const report_spec *r, const judge_report *q,
                           const judge_limits *lim)
{
    char classes[1024];
    size_t k = 0;
    const char *const *names = data_class_names(t->s, q->n_classes);
    for (int c = 0; c < q->n_classes && k < sizeof classes; c++) {
        char id[16];
        snprintf(id, sizeof id, "%d", c);
        k += (size_t)snprintf(classes + k, sizeof classes - k, "%s%s: %.1f%%", c ? ", " : "", names ? names[c] : id,
                              100.0 * q->counts[c] / q->n);
    }
    printf("judge %s: Frechet distance of %d samples of %s to the test images %.3f (training images: %.3f, noise: %.1f)\n",
           r->run, q->n, r->of, q->fd, lim->floor, lim->ceiling);
    printf("judge classes of the samples: %s\n", classes);
    if (!isnan(q->label_accuracy)) printf("judge accuracy on the conditioning labels: %.1f%%\n", 100 * q->label_accuracy);
    report_note(f, "<p>Judged by %s: Fr&eacute;chet distance of %d samples to the test images %.3f (training images: %.3f, "
                   "the floor; uniform noise: %.1f, the ceiling)", r->run, q->n, q->fd, lim->floor, lim->ceiling);
    if (!isnan(q->label_accuracy)) report_note(f, "; judged as their label: %.1f%%", 100 * q->label_accuracy);
    report_note(f, ".</p>\n");
}

static int draw_histogram(trainer *t, const report_spec *r, const judge_report *q, char *file, size_t flen, char *err,
                          size_t errlen)
{
    const char *const *class_names = data_class_names(t->s, q->n_classes);
    char names[JUDGE_MAX_CLASSES][12], path[1024], title[200];
    const char *ptrs[JUDGE_MAX_CLASSES];
    float share[JUDGE_MAX_CLASSES];
    for (int c = 0; c < q->n_classes; c++) {
        snprintf(names[c], sizeof names[c], "%d", c);
        ptrs[c] = class_names ? class_names[c] : names[c];
        share[c] = (float)q->counts[c] / (float)q->n;
    }
    snprintf(file, flen, "judge_classes.png");
    snprintf(path, sizeof path, "%s/%s", t->s->out_dir, file);
    snprintf(title, sizeof title, "%s: classes the judge gives %d samples of %.60s", t->s->name, q->n, r->of);
    return nn_plot_bars(path, title, ptrs, share, q->n_classes, "share of the samples", err, errlen);
}

int report_judge(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    diag d;
    diag_init(&d);
    judge *j = judge_open(r->run, &d);
    if (!j) {   /* not fatal: the run is done; say how to judge it */
        printf("judge: %s\n", d.n ? d.items[0].msg : "cannot open the judge");
        report_note(figs, "<p>Not judged: %s</p>\n", d.n ? d.items[0].msg : "no judge");
        diag_free(&d);
        return 0;
    }
    diag_free(&d);
    const nn_dataset *te = report_eval_set(t), *tr = &t->data.train;
    int *labels = NULL, n_floor = tr->n < te->n ? tr->n : te->n, rc = -1;
    float *samples = draw(t, r, &labels, err, errlen), *test = unit_images(t, te, te->n);
    float *train = tr->n >= 2 ? unit_images(t, tr, n_floor) : NULL;
    judge_report q;
    judge_limits lim = {NAN, NAN};
    if (samples && test && judge_quality_labelled(j, samples, labels, r->count, test, te->n, &q) == 0 &&
        (!train || judge_bounds(j, train, n_floor, test, te->n, t->s->seed, &lim) == 0))
        rc = 0;
    else if (samples && test)
        snprintf(err, errlen, "%s", j->err);
    char file[64];
    if (rc == 0) {
        print_and_note(t, figs, r, &q, &lim);
        figs->results.fd = q.fd, figs->results.fd_floor = lim.floor, figs->results.fd_ceiling = lim.ceiling;
        figs->results.judge_label_accuracy = q.label_accuracy;
        rc = draw_histogram(t, r, &q, file, sizeof file, err, errlen);
    }
    if (rc == 0) report_add_figure(figs, file, "The judge's classes of the samples: a spike is mode collapse");
    free(samples), free(labels), free(test), free(train);
    judge_close(j);
    return rc;
}
