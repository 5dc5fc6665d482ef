/* Activation kernels and their gradients (vectorised through libmvec; see kern.h).
 * Branches are written as selects over values computed unconditionally, so the math call
 * stays outside any condition and gcc can use the vector variant. fminf/fmaxf are avoided:
 * without finite-math-only they stay scalar library calls; the ternaries keep NaN flowing. */
#include "kern.h"
#include "../../core/parallel.h"
#include "kern_mvec.h"

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

typedef struct {
    const float *x, *g;   /* g: the gradient flowing in, for the _grad kernels */
    float *y;
    float alpha, scale, pos;
} act_ctx;

NN_PAR_CHUNK_FN(tanh_chunk, act_ctx, c, i, c->y[i] = tanhf(c->x[i]);)
/* 1 / (1 + e^-x): for x << 0, e^-x = inf and the result is the correct 0 */
NN_PAR_CHUNK_FN(sigmoid_chunk, act_ctx, c, i, c->y[i] = 1.0f / (1.0f + expf(-c->x[i]));)
NN_PAR_CHUNK_FN(elu_chunk, act_ctx, c, i, {
    float v = c->x[i], neg = c->alpha * expm1f(v > 0.0f ? 0.0f : v);
    c->y[i] = c->scale * (v > 0.0f ? v : neg);
})
/* alpha holds scale * alpha here, pos the slope for x > 0 */
NN_PAR_CHUNK_FN(elu_grad_chunk, act_ctx, c, i, {
    float v = c->x[i], neg = c->alpha * expf(v > 0.0f ? 0.0f : v);
    c->y[i] = c->g[i] * (v > 0.0f ? c->pos : neg);
})
NN_PAR_CHUNK_FN(gelu_chunk, act_ctx, c, i, c->y[i] = 0.5f * c->x[i] * (1.0f + erff(c->x[i] * INV_SQRT2));)
NN_PAR_CHUNK_FN(gelu_grad_chunk, act_ctx, c, i, {
    float v = c->x[i];
    float cdf = 0.5f * (1.0f + erff(v * INV_SQRT2)), pdf = INV_SQRT_2PI * expf(-0.5f * v * v);
    c->y[i] = c->g[i] * (cdf + v * pdf);
})

void nn_k_tanh(const float *x, float *y, size_t n) { nn_par_for(n, tanh_chunk, &(act_ctx){.x = x, .y = y}); }
void nn_k_sigmoid(const float *x, float *y, size_t n) { nn_par_for(n, sigmoid_chunk, &(act_ctx){.x = x, .y = y}); }

void nn_k_elu(const float *x, float *y, size_t n, float alpha, float scale)
{
    nn_par_for(n, elu_chunk, &(act_ctx){.x = x, .y = y, .alpha = alpha, .scale = scale});
}

void nn_k_elu_grad(const float *x, const float *g, float *y, size_t n, float alpha, float scale, int neg_only)
{
    nn_par_for(n, elu_grad_chunk, &(act_ctx){.x = x, .g = g, .y = y, .alpha = scale * alpha, .pos = neg_only ? 0.0f : scale});
}

void nn_k_gelu(const float *x, float *y, size_t n) { nn_par_for(n, gelu_chunk, &(act_ctx){.x = x, .y = y}); }
void nn_k_gelu_grad(const float *x, const float *g, float *y, size_t n) { nn_par_for(n, gelu_grad_chunk, &(act_ctx){.x = x, .g = g, .y = y}); }

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

typedef struct {
    const float *x;
    float *y;
    size_t cols;
    int log;
} softmax_ctx;

static void softmax_rows_chunk_body(const void *p, size_t lo, size_t hi)
{
    const softmax_ctx *c = p;
    for (size_t r = lo; r < hi; r++) softmax_row(c->x + r * c->cols, c->y + r * c->cols, c->cols, c->log);
}
NN_PAR_RANGE_PER_ISA(softmax_rows_chunk)

void nn_k_softmax_rows(const float *x, float *y, size_t rows, size_t cols, int log)
{
    nn_par_items(rows, cols, softmax_rows_chunk, &(softmax_ctx){x, y, cols, log});
}

static void softmax_shifted_row(float *z, size_t n, float m)
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

NN_ISA_FN(, nn_k_softmax_shifted_row, softmax_shifted_row, (float *z, size_t n, float m), (z, n, m))

static void softmax_grad_row(const float *y, const float *g, float *d, size_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += g[i] * y[i];
#pragma omp simd
    for (size_t i = 0; i < n; i++) d[i] = y[i] * (g[i] - s);
}

NN_ISA_FN(, nn_k_softmax_grad_row, softmax_grad_row, (const float *y, const float *g, float *d, size_t n), (y, g, d, n))

static void log_softmax_grad_row(const float *y, const float *g, float *d, size_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += g[i];
#pragma omp simd
    for (size_t i = 0; i < n; i++) d[i] = g[i] - expf(y[i]) * s;
}

typedef struct {
    const float *y, *g;
    float *dx;
    size_t cols;
} grad_rows_ctx;

/* rows [lo, hi) of a row-wise gradient, one chunk function per kind of row */
#define GRAD_ROWS_CHUNK(name, row)                                                                \
    static void name##_body(const void *p, size_t lo, size_t hi)                                 \
    {                                                                                             \
        const grad_rows_ctx *c = p;                                                               \
        for (size_t r = lo; r < hi; r++) row(c->y + r * c->cols, c->g + r * c->cols, c->dx + r * c->cols, c->cols); \
    }                                                                                             \
    NN_PAR_RANGE_PER_ISA(name)
GRAD_ROWS_CHUNK(softmax_grad_rows_chunk, softmax_grad_row)
GRAD_ROWS_CHUNK(log_softmax_grad_rows_chunk, log_softmax_grad_row)

void nn_k_softmax_grad_rows(const float *y, const float *g, float *dx, size_t rows, size_t cols)
{
    nn_par_items(rows, cols, softmax_grad_rows_chunk, &(grad_rows_ctx){y, g, dx, cols});
}

void nn_k_log_softmax_grad_rows(const float *y, const float *g, float *dx, size_t rows, size_t cols)
{
    nn_par_items(rows, cols, log_softmax_grad_rows_chunk, &(grad_rows_ctx){y, g, dx, cols});
}
