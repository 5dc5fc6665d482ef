/* Unary math kernels: exp, log, sqrt, pow (vectorised through libmvec; see kern.h). */
#include "kern.h"
#include "../../core/parallel.h"
#include "kern_mvec.h"

void nn_k_exp(const float *x, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = expf(x[i]););
}

void nn_k_log(const float *x, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = logf(x[i]););
}

void nn_k_sqrt(const float *x, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = sqrtf(x[i]););
}

void nn_k_pow(const float *x, float p, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = powf(x[i], p););
}
