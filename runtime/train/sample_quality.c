/* Sample quality against a known target: the uniform cube's error r (nn/quality.h). */
#include "nn/quality.h"
#include "nn/rng.h"
#include <math.h>
#include <stdlib.h>

enum { DIRECTIONS = 64 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* W1 of two sets of n values (sorted in place): the mean absolute difference in order */
static double w1_sorted(double *a, double *b, int n)
{
    qsort(a, (size_t)n, sizeof *a, cmp_double);
    qsort(b, (size_t)n, sizeof *b, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += fabs(a[i] - b[i]);
    return sum / n;
}

/* m: the largest W1 of a coordinate x[:, j] (n) to the quantiles q (n) */
static double marginal_error(const double *x, int n, int d, const double *q, double *col, double *qcopy)
{
    double worst = 0;
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < n; i++) col[i] = x[(size_t)i * d + j], qcopy[i] = q[i];
        worst = fmax(worst, w1_sorted(col, qcopy, n));
    }
    return worst;
}

/* p (n) = rows of x (n x d) . u (d) */
static void project(const double *x, int n, int d, const double *u, double *p)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < d; k++) s += x[(size_t)i * d + k] * u[k];
        p[i] = s;
    }
}

/* s: the mean W1 over DIRECTIONS random unit directions between x and ref (both n x d) */
static double projected_error(const double *x, const double *ref, int n, int d, nn_rng *r, double *u, double *px,
                              double *pr)
{
    double sum = 0;
    for (int t = 0; t < DIRECTIONS; t++) {
        double len = 0;
        for (int k = 0; k < d; k++) u[k] = nn_rng_normal(r), len += u[k] * u[k];
        len = len > 0 ? sqrt(len) : 1;
        for (int k = 0; k < d; k++) u[k] /= len;
        project(x, n, d, u, px);
        project(ref, n, d, u, pr);
        sum += w1_sorted(px, pr, n);
    }
    return sum / DIRECTIONS;
}

double nn_uniform_cube_r(const float *x, int n, int d, uint64_t seed, double *m, double *s)
{
    if (m) *m = NAN;
    if (s) *s = NAN;
    if (!x || n < 1 || d < 1) return NAN;
    size_t nd = (size_t)n * (size_t)d;
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(x[i])) return NAN;   /* a diverged generator has no distance */
    double *xd = malloc(nd * sizeof *xd), *ref = malloc(nd * sizeof *ref), *q = malloc((size_t)n * sizeof *q);
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b), *u = malloc((size_t)d * sizeof *u);
    double r = NAN;
    if (xd && ref && q && a && b && u) {
        const double sigma = 1.0 / sqrt(3.0);
        for (size_t i = 0; i < nd; i++) xd[i] = x[i];
        for (int i = 0; i < n; i++) q[i] = -1.0 + (2.0 * (i + 1) - 1.0) / n;
        nn_rng rng;
        nn_rng_seed(&rng, seed);
        for (size_t i = 0; i < nd; i++) ref[i] = -1.0 + 2.0 * (double)(nn_rng_u64(&rng) >> 11) * 0x1p-53;
        double mm = marginal_error(xd, n, d, q, a, b) / sigma;
        double ss = projected_error(xd, ref, n, d, &rng, u, a, b) / sigma;
        if (m) *m = mm;
        if (s) *s = ss;
        r = fmax(mm, ss);
    }
    free(xd), free(ref), free(q), free(a), free(b), free(u);
    return r;
}
