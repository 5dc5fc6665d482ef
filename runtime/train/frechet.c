/* Fréchet distance between Gaussians fitted to feature sets: covariance by DSYRK over row
 * blocks (centred in double), matrix square roots through the eigenvectors (LAPACK dsyevd). */
#include "nn/frechet.h"
#include "../core/fail.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info);

enum { BLOCK = 2048 };   /* rows centred at a time */

int nn_gaussian_alloc(nn_gaussian *g, int d)
{
    memset(g, 0, sizeof *g);
    g->d = d;
    g->mean = calloc((size_t)d, sizeof *g->mean);
    g->cov = calloc((size_t)d * d, sizeof *g->cov);
    if (g->mean && g->cov) return 0;
    nn_gaussian_free(g);
    return -1;
}

void nn_gaussian_free(nn_gaussian *g)
{
    free(g->mean);
    free(g->cov);
    memset(g, 0, sizeof *g);
}

/* mean (d) of x (n x d) */
static void fit_mean(const float *x, long n, int d, double *mean)
{
    for (long i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mean[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++) mean[j] /= (double)n;
}

/* cov (d x d) = sum (x - mean)(x - mean)^T / (n - 1), both triangles */
static int fit_cov(const float *x, long n, int d, const double *mean, double *cov)
{
    double *blk = malloc((size_t)BLOCK * d * sizeof *blk);
    if (!blk) return -1;
    for (long r0 = 0; r0 < n; r0 += BLOCK) {
        int rows = n - r0 < BLOCK ? (int)(n - r0) : BLOCK;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) blk[(size_t)i * d + j] = x[(size_t)(r0 + i) * d + j] - mean[j];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, rows, 1.0, blk, d, 1.0, cov, d);
    }
    free(blk);
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++) cov[(size_t)j * d + i] = cov[(size_t)i * d + j] /= (double)(n - 1);
    return 0;
}

int nn_gaussian_fit(nn_gaussian *g, const float *x, long n, int d, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    if (n < 2 || d < 1) return nn_fail(err, errlen, "gaussian: need n >= 2 samples and d >= 1 (n %ld, d %d)", n, d);
    if (nn_gaussian_alloc(g, d) < 0) return nn_fail(err, errlen, "gaussian: out of memory (d %d)", d);
    g->n = n;
    fit_mean(x, n, d, g->mean);
    if (fit_cov(x, n, d, g->mean, g->cov) < 0) {
        nn_gaussian_free(g);
        return nn_fail(err, errlen, "gaussian: out of memory (d %d)", d);
    }
    return 0;
}

/* Eigenvalues (ascending, into w) of the symmetric d x d matrix a; with vectors, a's rows become
 * the matching orthonormal eigenvectors (LAPACK's columns, read row-major). a is overwritten. */
static int sym_eigen(double *a, int d, int vectors, double *w, char *err, size_t errlen)
{
    const char *jobz = vectors ? "V" : "N";
    int lwork = -1, liwork = -1, info = 0, iwq;
    double wq;
    dsyevd_(jobz, "L", &d, a, &d, w, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq;
    liwork = iwq;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) {
        free(work), free(iwork);
        return nn_fail(err, errlen, "frechet: out of memory (d %d)", d);
    }
    dsyevd_(jobz, "L", &d, a, &d, w, work, &lwork, iwork, &liwork, &info);
    free(work), free(iwork);
    if (info != 0) return nn_fail(err, errlen, "frechet: the eigen-decomposition failed (LAPACK dsyevd info %d)", info);
    return 0;
}

/* tr((A^(1/2) B A^(1/2))^(1/2)) for symmetric PSD A, B (d x d). With A = E^T diag(w) E (rows
 * of E the eigenvectors), E A^(1/2) B A^(1/2) E^T = S (E B E^T) S, S = diag(sqrt w): the same
 * eigenvalues, and no square root of A is formed. */
static int trace_sqrt_product(const double *A, const double *B, int d, double *out, char *err, size_t errlen)
{
    size_t dd = (size_t)d * d;
    double *E = malloc(dd * sizeof *E), *T = malloc(dd * sizeof *T), *M = malloc(dd * sizeof *M);
    double *w = malloc((size_t)d * sizeof *w);
    int rc = -1;
    if (!E || !T || !M || !w) {
        nn_fail(err, errlen, "frechet: out of memory (d %d)", d);
        goto out;
    }
    memcpy(E, A, dd * sizeof *E);
    if (sym_eigen(E, d, 1, w, err, errlen) < 0) goto out;
    for (int i = 0; i < d; i++) w[i] = w[i] > 0 ? sqrt(w[i]) : 0;   /* rounding can leave -1e-17 */
    /* T = E B (d x d); M = T E^T */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, E, d, B, d, 0.0, T, d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, T, d, E, d, 0.0, M, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) M[(size_t)i * d + j] *= w[i] * w[j];
    if (sym_eigen(M, d, 0, w, err, errlen) < 0) goto out;
    double tr = 0;
    for (int i = 0; i < d; i++) tr += w[i] > 0 ? sqrt(w[i]) : 0;
    *out = tr;
    rc = 0;
out:
    free(E), free(T), free(M), free(w);
    return rc;
}

int nn_frechet_distance(const nn_gaussian *a, const nn_gaussian *b, double *out, char *err, size_t errlen)
{
    int d = a->d;
    if (d < 1 || b->d != d) return nn_fail(err, errlen, "frechet: the Gaussians have dimensions %d and %d", a->d, b->d);
    double mean2 = 0, tr = 0, cross;
    for (int i = 0; i < d; i++) {
        double v = a->mean[i] - b->mean[i];
        mean2 += v * v;
        tr += a->cov[(size_t)i * d + i] + b->cov[(size_t)i * d + i];
    }
    if (trace_sqrt_product(a->cov, b->cov, d, &cross, err, errlen) < 0) return -1;
    double fd = mean2 + tr - 2 * cross;
    *out = fd > 0 ? fd : 0;
    return 0;
}
