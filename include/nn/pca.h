/* nn/pca.h — principal component analysis through the covariance matrix's eigenvectors
 * (LAPACK ssyevd in OpenBLAS). */
#ifndef NN_PCA_H
#define NN_PCA_H

#include <stddef.h>

typedef struct {
    int d, k;            /* input dimension; components kept */
    float *mean;         /* d */
    float *components;   /* k x d, orthonormal rows, by decreasing variance */
    float *variance;     /* k: the eigenvalues (variance along each component) */
} nn_pca;

/* Fits the first k components of the n x d samples x (row-major). Returns 0 or -1 (message in
 * err). */
int nn_pca_fit(nn_pca *p, const float *x, int n, int d, int k, char *err, size_t errlen);
/* Mean over the n samples of ||x - x~||^2, x~ the reconstruction from the first ks[i]
 * components, for each of the nk sizes (ascending, each <= p->k) into out[i]. 0 or -1. */
int nn_pca_errors(const nn_pca *p, const float *x, int n, const int *ks, int nk, double *out);
void nn_pca_free(nn_pca *p);

#endif
