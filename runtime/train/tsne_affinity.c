/* t-SNE's input affinities: squared distances, each point's Gaussian width found by bisection
 * so that its conditional distribution has the chosen perplexity, then the symmetrised joint
 * P, dense (exact method) or over the nearest neighbours (Barnes-Hut). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../core/fail.h"
#include "tsne_impl.h"

/* x (n x d floats) transposed into doubles (d x n): the distances of one point to all then
 * run along contiguous rows, a loop the compiler vectorises without reordering sums. */
static double *transposed(const float *x, int n, int d)
{
    double *xt = malloc((size_t)n * d * sizeof *xt);
    if (!xt) return NULL;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++) xt[(size_t)k * n + i] = x[(size_t)i * d + k];
    return xt;
}

/* dist[j] = ||x_i - x_j||^2 for every j (dist[i] = 0). */
static void distances_from(const double *xt, int n, int d, int i, double *dist)
{
    memset(dist, 0, (size_t)n * sizeof *dist);
    for (int k = 0; k < d; k++) {
        const double *row = xt + (size_t)k * n, xi = row[i];
        for (int j = 0; j < n; j++) {
            double diff = xi - row[j];
            dist[j] += diff * diff;
        }
    }
}

/* p[j] = exp(-beta dist[j]) / sum over the m distances, with beta found by bisection so that
 * the entropy is log(perplexity) (to 1e-5, at most 200 steps). Distances are taken from their
 * minimum, which leaves p unchanged and keeps the exponentials from underflowing. */
static void conditional(const double *dist, int m, double perplexity, double *p)
{
    double dmin = INFINITY, mean = 0;
    for (int j = 0; j < m; j++) dmin = dist[j] < dmin ? dist[j] : dmin;
    for (int j = 0; j < m; j++) mean += (dist[j] - dmin) / m;
    double target = log(perplexity), beta = mean > 0 ? 1 / mean : 1, lo = 0, hi = INFINITY;
    for (int step = 0; step < 200; step++) {
        double sum = 0, weighted = 0;
        for (int j = 0; j < m; j++) {
            p[j] = exp(-beta * (dist[j] - dmin));
            sum += p[j];
            weighted += p[j] * (dist[j] - dmin);
        }
        double entropy = log(sum) + beta * weighted / sum;
        for (int j = 0; j < m; j++) p[j] /= sum;
        if (fabs(entropy - target) < 1e-5) break;
        if (entropy > target) lo = beta, beta = isinf(hi) ? 2 * beta : (beta + hi) / 2;   /* too flat: narrower */
        else hi = beta, beta = (lo + beta) / 2;
    }
}

int tsne_check_perplexity(int n, int neighbours, double perplexity, char *err, size_t errlen)
{
    if (n < 2) return nn_fail(err, errlen, "t-SNE needs at least 2 points, not %d", n);
    if (!(perplexity >= 1) || !(perplexity < neighbours))
        return nn_fail(err, errlen, "t-SNE: perplexity %g is out of range for %d points: it must be at least 1 and below the %d neighbours "
                       "each point has here", perplexity, n, neighbours);
    return 0;
}

int nn_tsne_joint_exact(const float *x, int n, int d, double perplexity, double *P, char *err, size_t errlen)
{
    if (tsne_check_perplexity(n, n - 1, perplexity, err, errlen) < 0) return -1;
    double *xt = transposed(x, n, d), *dist = malloc((size_t)n * sizeof *dist), *p = malloc((size_t)n * sizeof *p);
    if (!xt || !dist || !p) {
        free(xt), free(dist), free(p);
        return nn_fail(err, errlen, "t-SNE: out of memory for %d points", n);
    }
    for (int i = 0; i < n; i++) {   /* row i: p_j|i over the other points, in order */
        distances_from(xt, n, d, i, dist);
        memmove(dist + i, dist + i + 1, (size_t)(n - 1 - i) * sizeof *dist);
        conditional(dist, n - 1, perplexity, p);
        double *row = P + (size_t)i * n;
        memcpy(row, p, (size_t)i * sizeof *row);
        row[i] = 0;
        memcpy(row + i + 1, p + i, (size_t)(n - 1 - i) * sizeof *row);
    }
    for (int i = 0; i < n; i++)   /* (p_j|i + p_i|j) / 2n */
        for (int j = i + 1; j < n; j++) {
            double v = (P[(size_t)i * n + j] + P[(size_t)j * n + i]) / (2.0 * n);
            P[(size_t)i * n + j] = P[(size_t)j * n + i] = v;
        }
    free(xt), free(dist), free(p);
    return 0;
}

/* ---- nearest neighbours --------------------------------------------------------------------- */

/* Max-heaps of (distance, index) pairs in nd, idx: v placed from slot c down, or up. */
static void sift_down(double *nd, int *idx, int m, int c, double v, int vi)
{
    for (;;) {
        int l = 2 * c + 1, r = l + 1, big = -1;
        double bv = v;
        if (l < m && nd[l] > bv) big = l, bv = nd[l];
        if (r < m && nd[r] > bv) big = r;
        if (big < 0) break;
        nd[c] = nd[big], idx[c] = idx[big], c = big;
    }
    nd[c] = v, idx[c] = vi;
}

static void sift_up(double *nd, int *idx, int c, double v, int vi)
{
    while (c > 0 && nd[(c - 1) / 2] < v) nd[c] = nd[(c - 1) / 2], idx[c] = idx[(c - 1) / 2], c = (c - 1) / 2;
    nd[c] = v, idx[c] = vi;
}

/* The k nearest of the n points to point i (dist: the distances from it) into idx, nearest
 * first, their distances into nd; of equal distances the smaller index. */
static void nearest(const double *dist, int n, int i, int k, int *idx, double *nd)
{
    int m = 0;
    for (int j = 0; j < n; j++) {
        if (j == i) continue;
        if (m < k) sift_up(nd, idx, m++, dist[j], j);
        else if (dist[j] < nd[0]) sift_down(nd, idx, m, 0, dist[j], j);
    }
    for (int end = m - 1; end > 0; end--) {   /* heap sort: the largest to the end */
        double v = nd[end];
        int vi = idx[end];
        nd[end] = nd[0], idx[end] = idx[0];
        sift_down(nd, idx, end, 0, v, vi);
    }
}

typedef struct {
    int row, col;
    double v;
} triplet;

static int cmp_triplet(const void *a, const void *b)
{
    const triplet *x = a, *y = b;
    if (x->row != y->row) return (x->row > y->row) - (x->row < y->row);
    return (x->col > y->col) - (x->col < y->col);
}

/* The symmetrised joint of the conditionals t (n x k triplets, each with its mirror added
 * behind them: 2 n k in all): sorted, equal (row, col) summed, divided by 2n. */
static int symmetrise(triplet *t, size_t m, int n, nn_tsne_sparse *P)
{
    qsort(t, m, sizeof *t, cmp_triplet);
    P->n = n;
    P->row = calloc((size_t)n + 1, sizeof *P->row);
    P->col = malloc(m * sizeof *P->col);
    P->val = malloc(m * sizeof *P->val);
    if (!P->row || !P->col || !P->val) return -1;
    size_t nnz = 0;
    for (size_t a = 0; a < m; a++) {
        if (nnz && P->col[nnz - 1] == t[a].col && t[a - 1].row == t[a].row) {
            P->val[nnz - 1] += t[a].v / (2.0 * n);
            continue;
        }
        P->col[nnz] = t[a].col, P->val[nnz] = t[a].v / (2.0 * n), nnz++;
        P->row[t[a].row + 1] = (int)nnz;
    }
    for (int i = 0; i < n; i++)   /* rows without entries end where the previous ended */
        if (P->row[i + 1] < P->row[i]) P->row[i + 1] = P->row[i];
    return 0;
}

int nn_tsne_joint_sparse(const float *x, int n, int d, double perplexity, nn_tsne_sparse *P, char *err, size_t errlen)
{
    memset(P, 0, sizeof *P);
    int k = n - 1 < (int)(3 * perplexity) ? n - 1 : (int)(3 * perplexity);
    if (tsne_check_perplexity(n, k, perplexity, err, errlen) < 0) return -1;
    double *xt = transposed(x, n, d), *dist = malloc((size_t)n * sizeof *dist), *nd = malloc((size_t)k * sizeof *nd);
    double *p = malloc((size_t)k * sizeof *p);
    int *idx = malloc((size_t)k * sizeof *idx);
    size_t m = 2 * (size_t)n * k;
    triplet *t = malloc(m * sizeof *t);
    int rc = -1;
    if (xt && dist && nd && p && idx && t) {
        for (int i = 0; i < n; i++) {
            distances_from(xt, n, d, i, dist);
            nearest(dist, n, i, k, idx, nd);
            conditional(nd, k, perplexity, p);
            for (int j = 0; j < k; j++) {
                t[(size_t)i * k + j] = (triplet){i, idx[j], p[j]};
                t[(size_t)n * k + (size_t)i * k + j] = (triplet){idx[j], i, p[j]};
            }
        }
        rc = symmetrise(t, m, n, P);
    }
    free(xt), free(dist), free(nd), free(p), free(idx), free(t);
    if (rc < 0) {
        nn_tsne_sparse_free(P);
        return nn_fail(err, errlen, "t-SNE: out of memory for the neighbours of %d points", n);
    }
    return 0;
}

void nn_tsne_sparse_free(nn_tsne_sparse *p)
{
    free(p->row), free(p->col), free(p->val);
    memset(p, 0, sizeof *p);
}
