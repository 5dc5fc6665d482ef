/* Loss and sampling kernels (vectorised through libmvec; see kern.h). */
#include "kern.h"
#include "../../core/parallel.h"
#include "kern_mvec.h"

double nn_k_bce_sum(const float *z, const float *t, size_t n)
{
    /* the stable form: never exponentiates a positive number */
    double s = 0.0;
    NN_PAR_SIMD_SUM(s, i, n, {
        float v = z[i];
        s += (double)((v > 0.0f ? v : 0.0f) - v * t[i] + log1pf(expf(-fabsf(v))));
    });
    return s;
}

void nn_k_bce_grad(const float *z, const float *t, float *y, size_t n, float c)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = c * (1.0f / (1.0f + expf(-z[i])) - t[i]););
}

float nn_k_logsumexp(const float *x, size_t n)
{
    float m = x[0], s = 0.0f;
#pragma omp simd reduction(max : m)
    for (size_t i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += expf(x[i] - m);
    return m + logf(s);
}

#define TWO_PI 6.28318530717958648f
#define HALF_PI 1.57079632679489662f

void nn_k_box_muller(float *u, size_t n, float sigma)
{
    size_t h = n / 2;
#pragma omp simd
    for (size_t i = 0; i < h; i++) {
        float r = sigma * sqrtf(-2.0f * logf(u[i])), a = TWO_PI * u[i + h];
        u[i] = r * cosf(a);
        u[i + h] = r * cosf(a - HALF_PI);   /* sin; written so gcc does not fuse into sincosf */
    }
}
