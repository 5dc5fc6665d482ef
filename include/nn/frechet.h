/* nn/frechet.h — the Gaussian (mean, covariance) of a set of feature vectors, and the Fréchet
 * distance between two Gaussians (FID when the features are an image classifier's), with the
 * matrix square roots from LAPACK's symmetric eigensolver (dsyevd in OpenBLAS). */
#ifndef NN_FRECHET_H
#define NN_FRECHET_H

#include <stddef.h>

typedef struct {
    int d;           /* dimension */
    long n;          /* samples it was fitted on */
    double *mean;    /* d */
    double *cov;     /* d x d, row-major, symmetric: sum (x - mean)(x - mean)^T / (n - 1) */
} nn_gaussian;

/* Fits the mean and (unbiased) covariance of the n x d samples x (row-major), accumulating in
 * double. Needs n >= 2. Returns 0 or -1 (message in err). Free with nn_gaussian_free. */
int nn_gaussian_fit(nn_gaussian *g, const float *x, long n, int d, char *err, size_t errlen);
/* An empty Gaussian of dimension d (mean and cov zeroed) for a caller to fill in; 0 or -1. */
int nn_gaussian_alloc(nn_gaussian *g, int d);
void nn_gaussian_free(nn_gaussian *g);

/* ||mu_a - mu_b||^2 + tr(C_a) + tr(C_b) - 2 tr((C_a^(1/2) C_b C_a^(1/2))^(1/2)) into *out.
 * Negative eigenvalues left by rounding count as 0; the result is never below 0. Returns 0,
 * or -1 (message in err) for different dimensions or a failed eigen-decomposition. */
int nn_frechet_distance(const nn_gaussian *a, const nn_gaussian *b, double *out, char *err, size_t errlen);

#endif
