/* Activation kernels and their gradients (vectorised through libmvec; see kern.h).
 * Branches are written as selects over values computed unconditionally, so the math call
 * stays outside any condition and gcc can use the vector variant. fminf/fmaxf are avoided:
 * without finite-math-only they stay scalar library calls; the ternaries keep NaN flowing. */
#include "kern.h"
#include "../../core/parallel.h"
#include "kern_mvec.h"

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

void nn_k_tanh(const float *x, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = tanhf(x[i]););
}

void nn_k_sigmoid(const float *x, float *y, size_t n)
{
    /* 1 / (1 + e^-x): for x << 0, e^-x = inf and the result is the correct 0 */
    NN_PAR_SIMD_FOR(i, n, y[i] = 1.0f / (1.0f + expf(-x[i])););
}

void nn_k_elu(const float *x, float *y, size_t n, float alpha, float scale)
{
    NN_PAR_SIMD_FOR(i, n, {
        float v = x[i], neg = alpha * expm1f(v > 0.0f ? 0.0f : v);
        y[i] = scale * (v > 0.0f ? v : neg);
    });
}

void nn_k_elu_grad(const float *x, const float *g, float *y, size_t n, float alpha, float scale, int neg_only)
{
    float pos = neg_only ? 0.0f : scale, sa = scale * alpha;
    NN_PAR_SIMD_FOR(i, n, {
        float v = x[i], neg = sa * expf(v > 0.0f ? 0.0f : v);
        y[i] = g[i] * (v > 0.0f ? pos : neg);
    });
}

void nn_k_gelu(const float *x, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * INV_SQRT2)););
}

void nn_k_gelu_grad(const float *x, const float *g, float *y, size_t n)
{
    NN_PAR_SIMD_FOR(i, n, {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * INV_SQRT2)), pdf = INV_SQRT_2PI * expf(-0.5f * v * v);
        y[i] = g[i] * (cdf + v * pdf);
    });
}

static void softmax_row(const float *x, float *y, size_t n, int log)
{
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (size_t i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - m);
        s += y[i];
    }
    if (log) {
        float lse = m + logf(s);
#pragma omp simd
        for (size_t i = 0; i < n; i++) y[i] = x[i] - lse;
    } else {
        float inv = 1.0f / s;
#pragma omp simd
        for (size_t i = 0; i < n; i++) y[i] *= inv;
    }
}

void nn_k_softmax_rows(const float *x, float *y, size_t rows, size_t cols, int log)
{
    if (rows * cols > NN_PAR_MIN) {
#pragma omp parallel for
        for (size_t r = 0; r < rows; r++) softmax_row(x + r * cols, y + r * cols, cols, log);
    } else {
        for (size_t r = 0; r < rows; r++) softmax_row(x + r * cols, y + r * cols, cols, log);
    }
}

void nn_k_softmax_shifted_row(float *z, size_t n, float m)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) {
        z[i] = expf(z[i] - m);
        s += z[i];
    }
    float inv = 1.0f / s;
#pragma omp simd
    for (size_t i = 0; i < n; i++) z[i] *= inv;
}

void nn_k_softmax_grad_row(const float *y, const float *g, float *d, size_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += g[i] * y[i];
#pragma omp simd
    for (size_t i = 0; i < n; i++) d[i] = y[i] * (g[i] - s);
}

static void log_softmax_grad_row(const float *y, const float *g, float *d, size_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += g[i];
#pragma omp simd
    for (size_t i = 0; i < n; i++) d[i] = g[i] - expf(y[i]) * s;
}

/* Row-wise gradient; rows split across threads only for large tensors. */
static void grad_rows(void (*row)(const float *, const float *, float *, size_t), const float *y, const float *g,
                      float *dx, size_t rows, size_t cols)
{
    if (rows * cols > NN_PAR_MIN) {
#pragma omp parallel for
        for (size_t r = 0; r < rows; r++) row(y + r * cols, g + r * cols, dx + r * cols, cols);
    } else {
        for (size_t r = 0; r < rows; r++) row(y + r * cols, g + r * cols, dx + r * cols, cols);
    }
}

void nn_k_softmax_grad_rows(const float *y, const float *g, float *dx, size_t rows, size_t cols)
{
    grad_rows(nn_k_softmax_grad_row, y, g, dx, rows, cols);
}

void nn_k_log_softmax_grad_rows(const float *y, const float *g, float *dx, size_t rows, size_t cols)
{
    grad_rows(log_softmax_grad_row, y, g, dx, rows, cols);
}
