/* PCA: covariance by GEMM over row blocks (centred on the fly), eigenvectors by ssyevd. */
#include "nn/pca.h"
#include "../core/fail.h"
#include "../core/parallel.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w, float *work,
             const int *lwork, int *iwork, const int *liwork, int *info);

enum { BLOCK = 4096 };   /* rows centred at a time */

/* cov (d x d) = sum over samples of (x - mean)(x - mean)^T / n */
static int covariance(const float *x, int n, int d, const float *mean, float *cov)
{
    float *blk = malloc((size_t)BLOCK * d * sizeof *blk);
    if (!blk) return -1;
    memset(cov, 0, (size_t)d * d * sizeof *cov);
    for (int r0 = 0; r0 < n; r0 += BLOCK) {
        int rows = n - r0 < BLOCK ? n - r0 : BLOCK;
        for (int i = 0; i < rows; i++) {
            const float *src = x + (size_t)(r0 + i) * d;
            float *dst = blk + (size_t)i * d;
            for (int j = 0; j < d; j++) dst[j] = src[j] - mean[j];
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, rows, 1.0f / (float)n, blk, d, 1.0f, cov, d);
    }
    free(blk);
    return 0;
}

int nn_pca_fit(nn_pca *p, const float *x, int n, int d, int k, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (err && errlen) err[0] = 0;
    if (n < 2 || d < 1 || k < 1 || k > d) return nn_fail(err, errlen, "pca: need n >= 2 samples and 1 <= k <= d (n %d, d %d, k %d)", n, d, k);
    float *cov = malloc((size_t)d * d * sizeof *cov), *w = malloc((size_t)d * sizeof *w);
    p->mean = calloc((size_t)d, sizeof *p->mean);
    p->components = malloc((size_t)k * d * sizeof *p->components);
    p->variance = malloc((size_t)k * sizeof *p->variance);
    float *work = NULL;
    int *iwork = NULL, rc = -1;
    if (!cov || !w || !p->mean || !p->components || !p->variance) goto out;
    double *acc = calloc((size_t)d, sizeof *acc);
    if (!acc) goto out;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) acc[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++) p->mean[j] = (float)(acc[j] / n);
    free(acc);
    if (covariance(x, n, d, p->mean, cov) < 0) goto out;
    /* row-major upper = column-major lower: ask LAPACK for 'L' */
    int lwork = -1, liwork = -1, info = 0, iw;
    float wq;
    ssyevd_("V", "L", &d, cov, &d, w, &wq, &lwork, &iw, &liwork, &info);
    lwork = (int)wq;
    liwork = iw;
    work = malloc((size_t)lwork * sizeof *work);
    iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) goto out;
    ssyevd_("V", "L", &d, cov, &d, w, work, &lwork, iwork, &liwork, &info);
    if (info != 0) {
        nn_fail(err, errlen, "pca: the eigen-decomposition failed (LAPACK ssyevd info %d)", info);
        goto out;
    }
    /* column-major eigenvectors = rows of cov here, eigenvalues ascending: take the last k */
    for (int c = 0; c < k; c++) {
        int src = d - 1 - c;
        memcpy(p->components + (size_t)c * d, cov + (size_t)src * d, (size_t)d * sizeof(float));
        p->variance[c] = w[src];
    }
    p->d = d;
    p->k = k;
    rc = 0;
out:
    if (rc && err && errlen && !err[0]) nn_fail(err, errlen, "pca: out of memory");
    free(cov), free(w), free(work), free(iwork);
    if (rc) nn_pca_free(p);
    return rc;
}

int nn_pca_errors(const nn_pca *p, const float *x, int n, const int *ks, int nk, double *out)
{
    int d = p->d, k = p->k;
    float *blk = malloc((size_t)BLOCK * d * sizeof *blk), *proj = malloc((size_t)BLOCK * k * sizeof *proj);
    if (!blk || !proj) {
        free(blk), free(proj);
        return -1;
    }
    for (int i = 0; i < nk; i++) out[i] = 0;
    for (int r0 = 0; r0 < n; r0 += BLOCK) {
        int rows = n - r0 < BLOCK ? n - r0 : BLOCK;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) blk[(size_t)i * d + j] = x[(size_t)(r0 + i) * d + j] - p->mean[j];
        /* proj (rows x k) = centred x . components^T; ||x - x~||^2 = ||xc||^2 - sum of the first ks proj^2 */
        nn_sgemm(0, 1, rows, k, d, 1.0f, blk, d, p->components, d, 0.0f, proj, k);
        for (int i = 0; i < rows; i++) {
            double norm = 0, kept = 0;
            for (int j = 0; j < d; j++) norm += (double)blk[(size_t)i * d + j] * blk[(size_t)i * d + j];
            int done = 0;
            for (int q = 0; q < nk; q++) {
                for (; done < ks[q] && done < k; done++) kept += (double)proj[(size_t)i * k + done] * proj[(size_t)i * k + done];
                out[q] += norm - kept;
            }
        }
    }
    for (int i = 0; i < nk; i++) out[i] /= n;
    free(blk), free(proj);
    return 0;
}

void nn_pca_free(nn_pca *p)
{
    free(p->mean);
    free(p->components);
    free(p->variance);
    memset(p, 0, sizeof *p);
}
