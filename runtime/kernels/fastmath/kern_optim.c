/* The optimizers' per-slice update loops: flat, branch-free inner loops the compiler
 * vectorises; large slices split across threads. Variants (momentum, Nesterov, centered) are
 * chosen outside the loop so no loop tests a flag per element. In kernels/fastmath/ (built
 * with -ffast-math) because otherwise sqrtf's errno path keeps Adam and RMSprop scalar. */
#include "../../train/optim_impl.h"
#include "../../core/parallel.h"
#include <math.h>

/* SGD, dampening 0. d = g + wd*p; buf = mu*buf + d; step along buf, or d + mu*buf (Nesterov). */
void nn_opt_sgd_slice(float *restrict p, const float *restrict g, float *restrict buf, size_t n,
                      const nn_opt_coef *k, int nesterov)
{
    const float lr = k->lr, wd = k->wd, mu = k->mu;
    if (!buf) {
        NN_PAR_SIMD_FOR(i, n, p[i] -= lr * (g[i] + wd * p[i]););
    } else if (!nesterov) {
        NN_PAR_SIMD_FOR(i, n, {
            float b = mu * buf[i] + (g[i] + wd * p[i]);
            buf[i] = b;
            p[i] -= lr * b;        });
    } else {
        NN_PAR_SIMD_FOR(i, n, {
            float d = g[i] + wd * p[i];
            float b = mu * buf[i] + d;
            buf[i] = b;
            p[i] -= lr * (d + mu * b);        });
    }
}

/* Adam / AdamW. The bias corrections are folded into step_size and inv_sqrt_bc2 per step;
 * for AdamW wd is 0 here and decoupled_mul = 1 - lr*wd shrinks p first (PyTorch's order). */
void nn_opt_adam_slice(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                       size_t n, const nn_opt_coef *k)
{
    const float wd = k->wd, b1 = k->b1, b2 = k->b2, eps = k->eps;
    const float c1 = k->c1, c2 = k->c2;
    const float step = k->step_size, ibc2 = k->inv_sqrt_bc2, shrink = k->decoupled_mul;
    NN_PAR_SIMD_FOR(i, n, {
        float w = p[i] * shrink;
        float d = g[i] + wd * w;
        float mi = b1 * m[i] + c1 * d;
        float vi = b2 * v[i] + c2 * d * d;
        m[i] = mi;
        v[i] = vi;
        p[i] = w - step * mi / (sqrtf(vi) * ibc2 + eps);    });
}

/* RMSprop; buf (momentum) and gavg (centered) may each be NULL. */
void nn_opt_rmsprop_slice(float *restrict p, const float *restrict g, float *restrict sq,
                          float *restrict buf, float *restrict gavg, size_t n, const nn_opt_coef *k)
{
    const float lr = k->lr, wd = k->wd, mu = k->mu, a = k->alpha, c = k->calpha, eps = k->eps;
    if (!gavg && !buf) {
        NN_PAR_SIMD_FOR(i, n, {
            float d = g[i] + wd * p[i];
            float s = a * sq[i] + c * d * d;
            sq[i] = s;
            p[i] -= lr * d / (sqrtf(s) + eps);        });
    } else if (!gavg) {
        NN_PAR_SIMD_FOR(i, n, {
            float d = g[i] + wd * p[i];
            float s = a * sq[i] + c * d * d;
            float b = mu * buf[i] + d / (sqrtf(s) + eps);
            sq[i] = s;
            buf[i] = b;
            p[i] -= lr * b;        });
    } else {
        /* Centered: divide by sqrt(E[g^2] - E[g]^2) instead. Rarely used, so one loop serves
         * with and without momentum (the buf test is loop-invariant; the compiler unswitches). */
        NN_PAR_SIMD_FOR(i, n, {
            float d = g[i] + wd * p[i];
            float s = a * sq[i] + c * d * d;
            float ga = a * gavg[i] + c * d;
            float step = d / (sqrtf(s - ga * ga) + eps);
            sq[i] = s;
            gavg[i] = ga;
            if (buf) {
                step += mu * buf[i];
                buf[i] = step;
            }
            p[i] -= lr * step;        });
    }
}
