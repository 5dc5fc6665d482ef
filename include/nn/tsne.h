/* nn/tsne.h — t-SNE (van der Maaten and Hinton, 2008): n points of d dimensions laid out in 2-D
 * so that neighbours stay neighbours. Affinities from Gaussians whose widths give each point
 * the chosen perplexity; a Student-t kernel in the plane; gradient descent on KL(P || Q) with
 * momentum, per-coordinate gains and early exaggeration.
 *
 * Exact (O(n^2) per iteration, dense P) up to exact_max_points points; Barnes-Hut above
 * (van der Maaten, 2014): P on the 3 x perplexity nearest neighbours, the repulsion of far
 * cells of a quadtree taken at their centre of mass when side / distance < theta. Everything
 * is single-threaded and in a fixed order: one seed gives the same bytes.
 *
 *     nn_tsne_options o = nn_tsne_defaults();
 *     o.seed = spec_seed;
 *     nn_tsne_result r;
 *     if (nn_tsne(x, n, d, &o, y, &r, err, sizeof err) < 0) ...   // y: n x 2
 */
#ifndef NN_TSNE_H
#define NN_TSNE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double perplexity;              /* 30: about the number of neighbours each point keeps */
    double theta;                   /* 0.5: Barnes-Hut's side / distance threshold (0: every cell opened) */
    int exact_max_points;           /* 1000: up to this many points, exact */
    int iterations;                 /* 1000 */
    int exaggeration_iterations;    /* 250: P x early_exaggeration and momentum 0.5 for these, then 0.8 */
    double early_exaggeration;      /* 12 */
    double learning_rate;           /* 0: max(n / early_exaggeration / 4, 50) (scikit-learn's 'auto') */
    uint64_t seed;                  /* the start: N(0, 1e-4^2) per coordinate */
} nn_tsne_options;

typedef struct {
    int exact;                      /* 1: exact; 0: Barnes-Hut */
    double kl;                      /* KL(P || Q) at the end (Barnes-Hut: with its estimate of Q's normaliser) */
} nn_tsne_result;

nn_tsne_options nn_tsne_defaults(void);

/* Lays out the n points x (n x d, row-major) in y (n x 2). Needs 2 <= n and
 * 1 <= perplexity < n - 1 (Barnes-Hut: < the neighbours kept, min(n - 1, 3 x perplexity)).
 * Returns 0, or -1 with a message in err. result may be NULL. */
int nn_tsne(const float *x, int n, int d, const nn_tsne_options *o, float *y, nn_tsne_result *result, char *err,
            size_t errlen);

/* ---- the parts, for tests and for callers with affinities of their own ------------------- */

/* A sparse joint distribution: row i's entries are col[row[i]..row[i+1]), val the same. */
typedef struct {
    int n;
    int *row;                       /* n + 1 */
    int *col;
    double *val;
} nn_tsne_sparse;

void nn_tsne_sparse_free(nn_tsne_sparse *p);

/* The joint P of the exact method into P (n x n): each point's conditional distribution over
 * all others at the given perplexity, symmetrised, (p_j|i + p_i|j) / 2n. 0 or -1 (perplexity
 * out of range, message in err). */
int nn_tsne_joint_exact(const float *x, int n, int d, double perplexity, double *P, char *err, size_t errlen);

/* The joint P of the Barnes-Hut method: each point's conditional distribution over its
 * min(n - 1, 3 x perplexity) nearest neighbours, symmetrised. 0 or -1. */
int nn_tsne_joint_sparse(const float *x, int n, int d, double perplexity, nn_tsne_sparse *P, char *err, size_t errlen);

/* KL(P || Q) of the layout y (n x 2) and its gradient into grad (n x 2; NULL: none), for a
 * dense P (n x n, zero diagonal, summing to 1) scaled by exaggeration in the gradient. */
double nn_tsne_kl_exact(const double *P, const double *y, int n, double exaggeration, double *grad);

/* The same for a sparse P with Barnes-Hut's repulsion at theta (0: exact). Returns -1 when out
 * of memory. */
double nn_tsne_kl_barnes_hut(const nn_tsne_sparse *P, const double *y, double theta, double exaggeration, double *grad);

#endif
