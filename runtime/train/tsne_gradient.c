/* The gradient of t-SNE's cost KL(P || Q), q_ij = w_ij / Z with w_ij = 1 / (1 + |y_i - y_j|^2)
 * and Z the sum of w over all ordered pairs:
 *     dKL/dy_i = 4 (a_i - r_i / Z),  a_i = sum_j p_ij w_ij (y_i - y_j),  r_i = sum_j w_ij^2 (y_i - y_j)
 * a_i (attraction) runs over P's entries, r_i and Z (repulsion) over all pairs: exactly, or
 * through the quadtree (Barnes-Hut). KL = sum p_ij log(p_ij / w_ij) + log Z sum p_ij. */
#include <math.h>
#include <stdlib.h>
#include "tsne_impl.h"

/* grad_i = 4 (exaggeration a_i - r_i / Z), from a and r (n x 2) in grad. */
static void combine(double *grad, const double *a, const double *r, int n, double exaggeration, double z)
{
    for (int k = 0; k < 2 * n; k++) grad[k] = 4 * (exaggeration * a[k] - r[k] / z);
}

double tsne_exact_gradient(const double *P, const double *y, int n, double exaggeration, double *grad, int want_kl)
{
    double *a = calloc(4 * (size_t)n, sizeof *a), *r = a ? a + 2 * (size_t)n : NULL;
    if (!a) return -1;
    double z = 0, plogpw = 0, psum = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {   /* each pair once, for both of its points */
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double w = 1 / (1 + dx * dx + dy * dy), p = P[(size_t)i * n + j], pq = p * w, ww = w * w;
            z += 2 * w;
            a[2 * i] += pq * dx, a[2 * i + 1] += pq * dy, a[2 * j] -= pq * dx, a[2 * j + 1] -= pq * dy;
            r[2 * i] += ww * dx, r[2 * i + 1] += ww * dy, r[2 * j] -= ww * dx, r[2 * j + 1] -= ww * dy;
            if (want_kl && p > 0) plogpw += 2 * p * log(p / w), psum += 2 * p;
        }
    if (grad) combine(grad, a, r, n, exaggeration, z);
    free(a);
    return want_kl ? plogpw + psum * log(z) : 0;
}

double nn_tsne_kl_exact(const double *P, const double *y, int n, double exaggeration, double *grad)
{
    return tsne_exact_gradient(P, y, n, exaggeration, grad, 1);
}

double tsne_barnes_hut_gradient(const nn_tsne_sparse *P, const double *y, const tsne_quadtree *t, double theta,
                                double exaggeration, double *grad, int want_kl)
{
    int n = P->n;
    double *a = calloc(4 * (size_t)n, sizeof *a), *r = a ? a + 2 * (size_t)n : NULL;
    if (!a) return -1;
    double z = 0, plogpw = 0, psum = 0;
    for (int i = 0; i < n; i++) {
        for (int e = P->row[i]; e < P->row[i + 1]; e++) {
            int j = P->col[e];
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1], p = P->val[e];
            double w = 1 / (1 + dx * dx + dy * dy);
            a[2 * i] += p * w * dx, a[2 * i + 1] += p * w * dy;
            if (want_kl && p > 0) plogpw += p * log(p / w), psum += p;
        }
        tsne_quadtree_repulsion(t, y[2 * i], y[2 * i + 1], theta, r + 2 * i, &z);
    }
    if (grad) combine(grad, a, r, n, exaggeration, z);
    free(a);
    return want_kl ? plogpw + psum * log(z) : 0;
}

double nn_tsne_kl_barnes_hut(const nn_tsne_sparse *P, const double *y, double theta, double exaggeration, double *grad)
{
    tsne_quadtree t = {0};
    double kl = tsne_quadtree_build(&t, y, P->n) < 0 ? -1 : tsne_barnes_hut_gradient(P, y, &t, theta, exaggeration, grad, 1);
    tsne_quadtree_free(&t);
    return kl;
}
