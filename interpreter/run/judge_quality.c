/* The judge's quality numbers for a set of generated images: the Fréchet distance to reference
 * images in its feature space, the histogram of its classes, its agreement with conditioning
 * labels; and the floor and ceiling such a distance is read against. */
#include "judge.h"
#include "nn/frechet.h"
#include "nn/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Gaussian of the judge's features of n images (n x 784), and their classes (n, or NULL). */
static int fit_features(judge *j, const float *images, int n, int *classes, nn_gaussian *g)
{
    float *f = malloc((size_t)n * j->dim * sizeof *f);   /* (n, dim) */
    if (!f) {
        snprintf(j->err, sizeof j->err, "judge: out of memory for the features of %d images", n);
        return -1;
    }
    judge_run(j, images, n, f, classes);
    int rc = nn_gaussian_fit(g, f, n, j->dim, j->err, sizeof j->err);
    free(f);
    return rc;
}

/* The Fréchet distance between the features of two image sets; classes of the first (or NULL). */
static int distance(judge *j, const float *a, int na, int *classes, const float *b, int nb, double *fd)
{
    nn_gaussian ga, gb;
    if (fit_features(j, a, na, classes, &ga) < 0) return -1;
    if (fit_features(j, b, nb, NULL, &gb) < 0) {
        nn_gaussian_free(&ga);
        return -1;
    }
    int rc = nn_frechet_distance(&ga, &gb, fd, j->err, sizeof j->err);
    nn_gaussian_free(&ga), nn_gaussian_free(&gb);
    return rc;
}

int judge_quality_labelled(judge *j, const float *samples, const int *labels, int n, const float *reference,
                           int n_ref, judge_report *out)
{
    memset(out, 0, sizeof *out);
    out->n = n, out->n_ref = n_ref, out->n_classes = j->n_classes;
    out->fd = out->label_accuracy = NAN;
    j->err[0] = 0;
    if (n < 2 || n_ref < 2) {
        snprintf(j->err, sizeof j->err, "judge: need at least 2 samples and 2 reference images (%d, %d)", n, n_ref);
        return -1;
    }
    int *classes = malloc((size_t)n * sizeof *classes);
    if (!classes) {
        snprintf(j->err, sizeof j->err, "judge: out of memory");
        return -1;
    }
    int rc = distance(j, samples, n, classes, reference, n_ref, &out->fd);
    if (rc == 0) {
        long right = 0;
        for (int i = 0; i < n; i++) {
            out->counts[classes[i]]++;
            if (labels) right += classes[i] == labels[i];
        }
        if (labels) out->label_accuracy = (double)right / n;
    }
    free(classes);
    return rc;
}

int judge_quality(judge *j, const float *samples, int n, const float *reference, int n_ref, judge_report *out)
{
    return judge_quality_labelled(j, samples, NULL, n, reference, n_ref, out);
}

int judge_bounds(judge *j, const float *train, int n_train, const float *test, int n_test, uint64_t seed,
                 judge_limits *out)
{
    out->floor = out->ceiling = NAN;
    j->err[0] = 0;
    if (n_train < 2 || n_test < 2) {
        snprintf(j->err, sizeof j->err, "judge: need at least 2 training and 2 test images (%d, %d)", n_train, n_test);
        return -1;
    }
    float *noise = malloc((size_t)n_test * JUDGE_PIXELS * sizeof *noise);   /* (n_test, 784) */
    if (!noise) {
        snprintf(j->err, sizeof j->err, "judge: out of memory for %d noise images", n_test);
        return -1;
    }
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)n_test * JUDGE_PIXELS; i++) noise[i] = nn_rng_uniform(&r);
    int rc = distance(j, train, n_train, NULL, test, n_test, &out->floor);
    if (rc == 0) rc = distance(j, noise, n_test, NULL, test, n_test, &out->ceiling);
    free(noise);
    return rc;
}
