/* t-SNE's optimisation: from a seeded start of tiny Gaussian positions, gradient descent with
 * momentum (0.5 during early exaggeration, then 0.8) and per-coordinate gains (+0.2 while the
 * gradient keeps its sign against the step, x0.8 when it turns, at least 0.01), the layout
 * re-centred after every step (van der Maaten's bhtsne, scikit-learn's TSNE). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../core/fail.h"
#include "nn/rng.h"
#include "tsne_impl.h"

nn_tsne_options nn_tsne_defaults(void)
{
    return (nn_tsne_options){.perplexity = 30,
                             .theta = 0.5,
                             .exact_max_points = 1000,
                             .iterations = 1000,
                             .exaggeration_iterations = 250,
                             .early_exaggeration = 12,
                             .learning_rate = 0,
                             .seed = 1};
}

/* The affinities: dense P for the exact method, sparse for Barnes-Hut. */
typedef struct {
    int exact;
    double *dense;
    nn_tsne_sparse sparse;
    tsne_quadtree tree;
} affinities;

/* KL and the gradient at y (exaggeration scaling P); -1 when out of memory. */
static double gradient(affinities *A, const double *y, int n, double theta, double exaggeration, double *grad, int want_kl)
{
    if (A->exact) return tsne_exact_gradient(A->dense, y, n, exaggeration, grad, want_kl);
    if (tsne_quadtree_build(&A->tree, y, n) < 0) return -1;
    return tsne_barnes_hut_gradient(&A->sparse, y, &A->tree, theta, exaggeration, grad, want_kl);
}

/* One step of gradient descent with momentum and gains on y (2n values), then y's mean to 0. */
static void step(double *y, const double *grad, double *update, double *gains, int n, double momentum, double rate)
{
    for (int k = 0; k < 2 * n; k++) {
        gains[k] = (grad[k] > 0) != (update[k] > 0) ? gains[k] + 0.2 : gains[k] * 0.8;
        if (gains[k] < 0.01) gains[k] = 0.01;
        update[k] = momentum * update[k] - rate * gains[k] * grad[k];
        y[k] += update[k];
    }
    double mean[2] = {0, 0};
    for (int i = 0; i < n; i++) mean[0] += y[2 * i], mean[1] += y[2 * i + 1];
    for (int i = 0; i < n; i++) y[2 * i] -= mean[0] / n, y[2 * i + 1] -= mean[1] / n;
}

static int check_options(int n, int d, const nn_tsne_options *o, char *err, size_t errlen)
{
    if (n < 2 || d < 1) return nn_fail(err, errlen, "t-SNE needs at least 2 points of at least 1 dimension (%d of %d)", n, d);
    if (o->iterations < 1 || o->exaggeration_iterations < 0 || !(o->theta >= 0) || !(o->early_exaggeration >= 1) ||
        !(o->learning_rate >= 0))
        return nn_fail(err, errlen, "t-SNE: bad options (iterations %d, exaggeration %g for %d, theta %g, learning rate %g)",
                       o->iterations, o->early_exaggeration, o->exaggeration_iterations, o->theta, o->learning_rate);
    return 0;
}

int nn_tsne(const float *x, int n, int d, const nn_tsne_options *o, float *out, nn_tsne_result *result, char *err,
            size_t errlen)
{
    if (check_options(n, d, o, err, errlen) < 0) return -1;
    affinities A = {.exact = n <= o->exact_max_points};
    if (A.exact) {
        if (!(A.dense = malloc((size_t)n * n * sizeof *A.dense))) return nn_fail(err, errlen, "t-SNE: out of memory for %d points", n);
        if (nn_tsne_joint_exact(x, n, d, o->perplexity, A.dense, err, errlen) < 0) {
            free(A.dense);
            return -1;
        }
    } else if (nn_tsne_joint_sparse(x, n, d, o->perplexity, &A.sparse, err, errlen) < 0) {
        return -1;
    }
    double *y = malloc(8 * (size_t)n * sizeof *y), *grad = NULL, *update = NULL, *gains = NULL;   /* 2n each */
    int rc = y ? 0 : -1;
    if (y) {
        grad = y + 2 * (size_t)n, update = y + 4 * (size_t)n, gains = y + 6 * (size_t)n;
        nn_rng r;
        nn_rng_seed(&r, o->seed);
        for (int k = 0; k < 2 * n; k++) y[k] = 1e-4 * nn_rng_normal(&r), update[k] = 0, gains[k] = 1;
    }
    double rate = o->learning_rate > 0 ? o->learning_rate : fmax(n / o->early_exaggeration / 4, 50);
    for (int it = 0; rc == 0 && it < o->iterations; it++) {
        int early = it < o->exaggeration_iterations;
        if (gradient(&A, y, n, o->theta, early ? o->early_exaggeration : 1, grad, 0) < 0) rc = -1;
        else step(y, grad, update, gains, n, early ? 0.5 : 0.8, rate);
    }
    double kl = rc == 0 ? gradient(&A, y, n, o->theta, 1, NULL, 1) : -1;
    if (rc == 0 && kl < 0) rc = -1;
    for (int k = 0; rc == 0 && k < 2 * n; k++) out[k] = (float)y[k];
    if (result) *result = (nn_tsne_result){.exact = A.exact, .kl = kl};
    free(y), free(A.dense);
    nn_tsne_sparse_free(&A.sparse);
    tsne_quadtree_free(&A.tree);
    return rc == 0 ? 0 : nn_fail(err, errlen, "t-SNE: out of memory for %d points", n);
}
