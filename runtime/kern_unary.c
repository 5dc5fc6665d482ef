/* Unary math kernels: exp, log, sqrt, pow (vectorised through libmvec; see kern.h). */
#include "kern.h"
#include "op_list.h"
#include "kern_mvec.h"

void nn_k_exp(const float *x, float *y, size_t n)
{
#pragma omp parallel for simd if (n > NN_PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

void nn_k_log(const float *x, float *y, size_t n)
{
#pragma omp parallel for simd if (n > NN_PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] = logf(x[i]);
}

void nn_k_sqrt(const float *x, float *y, size_t n)
{
#pragma omp parallel for simd if (n > NN_PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] = sqrtf(x[i]);
}

void nn_k_pow(const float *x, float p, float *y, size_t n)
{
#pragma omp parallel for simd if (n > NN_PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] = powf(x[i], p);
}
