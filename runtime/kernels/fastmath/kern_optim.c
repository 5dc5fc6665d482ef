/* The optimizers' per-slice update loops: flat, branch-free inner loops the compiler
 * vectorises; large slices split across threads. Variants (momentum, Nesterov, centered) are
 * chosen outside the loop, one chunk function each, so no loop tests a flag per element. In
 * kernels/fastmath/ (built with -ffast-math) because otherwise sqrtf's errno path keeps Adam
 * and RMSprop scalar. */
#include "../../train/optim_impl.h"
#include "../../core/parallel.h"
#include <math.h>

/* One slice's arrays and its step's coefficients; each chunk function below copies them into
 * restrict-qualified locals, so that the loop reads the coefficients once. Each is compiled
 * for every instruction set (NN_PAR_RANGE_PER_ISA). */
typedef struct {
    float *p, *buf, *m, *v, *sq, *gavg;
    const float *g;
    const nn_opt_coef *k;
} slice_ctx;

/* SGD, dampening 0. d = g + wd*p; buf = mu*buf + d; step along buf, or d + mu*buf (Nesterov). */
static void sgd_plain_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p;
    const float *restrict g = c->g;
    const float lr = c->k->lr, wd = c->k->wd;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) p[i] -= lr * (g[i] + wd * p[i]);
}
NN_PAR_RANGE_PER_ISA(sgd_plain_chunk)

static void sgd_momentum_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p, *restrict buf = c->buf;
    const float *restrict g = c->g;
    const float lr = c->k->lr, wd = c->k->wd, mu = c->k->mu;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
        float b = mu * buf[i] + (g[i] + wd * p[i]);
        buf[i] = b;
        p[i] -= lr * b;
    }
}
NN_PAR_RANGE_PER_ISA(sgd_momentum_chunk)

static void sgd_nesterov_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p, *restrict buf = c->buf;
    const float *restrict g = c->g;
    const float lr = c->k->lr, wd = c->k->wd, mu = c->k->mu;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
        float d = g[i] + wd * p[i];
        float b = mu * buf[i] + d;
        buf[i] = b;
        p[i] -= lr * (d + mu * b);
    }
}
NN_PAR_RANGE_PER_ISA(sgd_nesterov_chunk)

void nn_opt_sgd_slice(float *restrict p, const float *restrict g, float *restrict buf, size_t n,
                      const nn_opt_coef *k, int nesterov)
{
    slice_ctx c = {.p = p, .buf = buf, .g = g, .k = k};
    nn_par_for(n, !buf ? sgd_plain_chunk : !nesterov ? sgd_momentum_chunk : sgd_nesterov_chunk, &c);
}

/* Adam / AdamW. The bias corrections are folded into step_size and inv_sqrt_bc2 per step;
 * for AdamW wd is 0 here and decoupled_mul = 1 - lr*wd shrinks p first (PyTorch's order). */
static void adam_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p, *restrict m = c->m, *restrict v = c->v;
    const float *restrict g = c->g;
    const nn_opt_coef *k = c->k;
    const float wd = k->wd, b1 = k->b1, b2 = k->b2, eps = k->eps;
    const float c1 = k->c1, c2 = k->c2;
    const float step = k->step_size, ibc2 = k->inv_sqrt_bc2, shrink = k->decoupled_mul;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
        float w = p[i] * shrink;
        float d = g[i] + wd * w;
        float mi = b1 * m[i] + c1 * d;
        float vi = b2 * v[i] + c2 * d * d;
        m[i] = mi;
        v[i] = vi;
        p[i] = w - step * mi / (sqrtf(vi) * ibc2 + eps);
    }
}
NN_PAR_RANGE_PER_ISA(adam_chunk)

void nn_opt_adam_slice(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                       size_t n, const nn_opt_coef *k)
{
    nn_par_for(n, adam_chunk, &(slice_ctx){.p = p, .m = m, .v = v, .g = g, .k = k});
}

/* RMSprop; buf (momentum) and gavg (centered) may each be NULL. */
static void rmsprop_plain_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p, *restrict sq = c->sq;
    const float *restrict g = c->g;
    const float lr = c->k->lr, wd = c->k->wd, a = c->k->alpha, ca = c->k->calpha, eps = c->k->eps;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
        float d = g[i] + wd * p[i];
        float s = a * sq[i] + ca * d * d;
        sq[i] = s;
        p[i] -= lr * d / (sqrtf(s) + eps);
    }
}
NN_PAR_RANGE_PER_ISA(rmsprop_plain_chunk)

static void rmsprop_momentum_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p, *restrict sq = c->sq, *restrict buf = c->buf;
    const float *restrict g = c->g;
    const float lr = c->k->lr, wd = c->k->wd, mu = c->k->mu, a = c->k->alpha, ca = c->k->calpha, eps = c->k->eps;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
        float d = g[i] + wd * p[i];
        float s = a * sq[i] + ca * d * d;
        float b = mu * buf[i] + d / (sqrtf(s) + eps);
        sq[i] = s;
        buf[i] = b;
        p[i] -= lr * b;
    }
}
NN_PAR_RANGE_PER_ISA(rmsprop_momentum_chunk)

/* Centered: divide by sqrt(E[g^2] - E[g]^2) instead. Rarely used, so one loop serves with and
 * without momentum (the buf test is loop-invariant; the compiler unswitches). */
static void rmsprop_centered_chunk_body(const void *ctx, size_t lo, size_t hi)
{
    const slice_ctx *c = ctx;
    float *restrict p = c->p, *restrict sq = c->sq, *restrict buf = c->buf, *restrict gavg = c->gavg;
    const float *restrict g = c->g;
    const float lr = c->k->lr, wd = c->k->wd, mu = c->k->mu, a = c->k->alpha, ca = c->k->calpha, eps = c->k->eps;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
        float d = g[i] + wd * p[i];
        float s = a * sq[i] + ca * d * d;
        float ga = a * gavg[i] + ca * d;
        float step = d / (sqrtf(s - ga * ga) + eps);
        sq[i] = s;
        gavg[i] = ga;
        if (buf) {
            step += mu * buf[i];
            buf[i] = step;
        }
        p[i] -= lr * step;
    }
}
NN_PAR_RANGE_PER_ISA(rmsprop_centered_chunk)

void nn_opt_rmsprop_slice(float *restrict p, const float *restrict g, float *restrict sq,
                          float *restrict buf, float *restrict gavg, size_t n, const nn_opt_coef *k)
{
    slice_ctx c = {.p = p, .sq = sq, .buf = buf, .gavg = gavg, .g = g, .k = k};
    nn_par_for(n, gavg ? rmsprop_centered_chunk : buf ? rmsprop_momentum_chunk : rmsprop_plain_chunk, &c);
}
