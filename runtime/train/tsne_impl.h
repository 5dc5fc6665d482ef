/* tsne_impl.h — what t-SNE's files share (tsne.c drives, tsne_affinity.c makes P,
 * tsne_gradient.c and tsne_quadtree.c give the gradient). Layouts are n x 2 doubles. */
#ifndef NN_TSNE_IMPL_H
#define NN_TSNE_IMPL_H

#include <stddef.h>
#include "nn/tsne.h"

/* 0, or -1 with a message when n < 2 or perplexity is not in [1, neighbours). */
int tsne_check_perplexity(int n, int neighbours, double perplexity, char *err, size_t errlen);

/* The gradient of KL(P || Q) at y into grad (n x 2) for a dense P scaled by exaggeration; the
 * KL itself when want_kl (else 0). */
double tsne_exact_gradient(const double *P, const double *y, int n, double exaggeration, double *grad, int want_kl);

/* A quadtree of a layout, rebuilt every iteration into the same storage. */
typedef struct {
    struct qt_node *node;
    int n, cap;
} tsne_quadtree;

/* Builds t over the n points y; -1 when out of memory. */
int tsne_quadtree_build(tsne_quadtree *t, const double *y, int n);
void tsne_quadtree_free(tsne_quadtree *t);
/* The repulsion on the point at (px, py): sum over the other points j of q_ij^2 (p - y_j) into
 * f[0..1] and of q_ij into *z, q_ij = 1 / (1 + |p - y_j|^2), cells with side / distance <
 * theta taken whole at their centre of mass. */
void tsne_quadtree_repulsion(const tsne_quadtree *t, double px, double py, double theta, double *f, double *z);

/* Barnes-Hut's gradient (as tsne_exact_gradient) for a sparse P, with t built over y; the KL
 * when want_kl. */
double tsne_barnes_hut_gradient(const nn_tsne_sparse *P, const double *y, const tsne_quadtree *t, double theta,
                                double exaggeration, double *grad, int want_kl);

#endif
