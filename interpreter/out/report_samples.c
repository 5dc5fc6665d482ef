/* What the figures of generative models compute (report_analysis.h): sample grids from a
 * generator or a decoder fed N(0, I) draws, and a decoder's 2-D latent manifold. */
#include "report_analysis.h"
#include "report.h"
#include "../run/generator.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The noise behind every grid of a run: the same after every epoch. */
#define SAMPLES_SEED_SALT 0x6a5d39eaULL

/* The images of a generator's samples: the data's sample shape when they have as many values. */
static int image_dims(const trainer *t, const generator *gen, report_samples *out, const char *of, char *err, size_t errlen)
{
    const nn_shape *as = gen->width == nn_shape_numel(&t->info.sample) ? &t->info.sample : &gen->sample;
    report_image_dims(as, &out->c, &out->h, &out->w);
    if (out->h * out->w < 16) {
        snprintf(err, errlen, "'%s' gives %zu values per sample, not an image (points are drawn by the points figure)", of,
                 gen->width);
        return -1;
    }
    return 0;
}

static int open_generator(trainer *t, const report_spec *r, int batch, generator *gen, char *err, size_t errlen)
{
    char why[768];
    if (generator_open(gen, t->s, &t->info, trainer_weights(t), r->of, r->from[0] ? r->from : NULL, batch, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", r->kind == REP_SAMPLES ? "samples" : "manifold", why);
        return -1;
    }
    return 0;
}

int report_samples_compute(trainer *t, const report_spec *r, report_samples *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    generator gen;
    int n = r->count, rc = open_generator(t, r, n < 256 ? n : 256, &gen, err, errlen);
    if (rc == 0) rc = image_dims(t, &gen, out, r->of, err, errlen);
    int *labels = NULL;
    if (rc == 0 && gen.conditional) {            /* one row per class, as many columns as fit the count */
        int k = gen.n_classes, per = n / k > 0 ? n / k : 1;
        n = per * k;
        out->cols = per;
        out->per_class = 1;
        if (!(labels = malloc((size_t)n * sizeof *labels))) rc = -1;
        for (int i = 0; rc == 0 && i < n; i++) labels[i] = i / per;
    } else if (rc == 0)
        out->cols = (int)ceil(sqrt((double)n));
    out->n = n;
    if (rc == 0 && !(out->img = malloc((size_t)n * gen.width * sizeof *out->img))) rc = -1;
    if (rc == 0) rc = generator_draw(&gen, t->s->seed ^ SAMPLES_SEED_SALT, labels, n, out->img, err, errlen);
    if (rc == 0) report_pixels_to_unit(t, out->img, (size_t)n * gen.width);
    free(labels);
    generator_close(&gen);
    return rc;
}

/* The N(0, 1) quantile of p, 0 < p < 1 (bisection on erfc: exact to float precision). */
static double normal_quantile(double p)
{
    double lo = -10, hi = 10;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

int report_manifold_compute(trainer *t, const report_spec *r, report_samples *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    generator gen;
    int S = r->size, n = S * S, rc = open_generator(t, r, n, &gen, err, errlen);
    if (rc == 0 && generator_from_width(&gen) != 2) {
        snprintf(err, errlen, "manifold: '%s' has %zu units; the grid needs a layer of 2", r->from, generator_from_width(&gen));
        rc = -1;
    }
    if (rc == 0 && gen.conditional) {
        snprintf(err, errlen, "manifold: '%s' depends on the class; draw a conditional model with samples", r->of);
        rc = -1;
    }
    if (rc == 0) rc = image_dims(t, &gen, out, r->of, err, errlen);
    float *z = rc == 0 ? malloc((size_t)n * 2 * sizeof *z) : NULL;
    if (rc == 0 && (!z || !(out->img = malloc((size_t)n * gen.width * sizeof *out->img)))) rc = -1;
    /* row i, column j: z = (q(p_j), -q(p_i)) with p evenly spaced in (0.05, 0.95), up being +z2 */
    for (int i = 0; rc == 0 && i < S; i++)
        for (int j = 0; j < S; j++) {
            z[2 * (i * S + j)] = (float)normal_quantile(0.05 + 0.9 * j / (S - 1));
            z[2 * (i * S + j) + 1] = (float)normal_quantile(0.95 - 0.9 * i / (S - 1));
        }
    if (rc == 0) rc = generator_decode(&gen, z, NULL, n, out->img, err, errlen);
    if (rc == 0) report_pixels_to_unit(t, out->img, (size_t)n * gen.width);
    out->n = n;
    out->cols = S;
    free(z);
    generator_close(&gen);
    return rc;
}

void report_samples_free(report_samples *s)
{
    free(s->img);
    s->img = NULL;
}
