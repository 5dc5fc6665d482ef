/* Vectorised elementwise kernels (the files of runtime/kernels/fastmath/, built with -ffast-math
 * -fno-finite-math-only so gcc calls glibc's libmvec for expf/logf/tanhf/erff/log1pf/powf).
 * Every array is n floats unless stated; y may alias x. Nothing here checks for NaN/Inf:
 * that stays in the ordinary runtime files. */
#ifndef NN_KERN_H
#define NN_KERN_H
#include <stddef.h>

/* ---- unary math (kern_unary.c) ---- */
void nn_k_exp(const float *x, float *y, size_t n);
void nn_k_log(const float *x, float *y, size_t n);
void nn_k_sqrt(const float *x, float *y, size_t n);
void nn_k_pow(const float *x, float p, float *y, size_t n);

/* ---- activations (kern_activation.c) ---- */
void nn_k_tanh(const float *x, float *y, size_t n);
void nn_k_sigmoid(const float *x, float *y, size_t n);
/* y = scale * (x > 0 ? x : alpha (e^x - 1)); elu is scale 1, selu uses its constants */
void nn_k_elu(const float *x, float *y, size_t n, float alpha, float scale);
/* y = g * d elu/dx; neg_only drops the x > 0 branch (the second derivative there is 0) */
void nn_k_elu_grad(const float *x, const float *g, float *y, size_t n, float alpha, float scale, int neg_only);
/* exact GELU x Phi(x), Phi the standard normal CDF (erf form) */
void nn_k_gelu(const float *x, float *y, size_t n);
/* y = g * (Phi(x) + x phi(x)) */
void nn_k_gelu_grad(const float *x, const float *g, float *y, size_t n);
/* x, y (rows, cols): softmax (or log-softmax) of each row, max subtracted first */
void nn_k_softmax_rows(const float *x, float *y, size_t rows, size_t cols, int log);
/* y (rows, cols) softmax output, g its gradient: dx = y (g - sum(g y)) per row */
void nn_k_softmax_grad_rows(const float *y, const float *g, float *dx, size_t rows, size_t cols);
/* y log-softmax output: dx = g - exp(y) sum(g) per row */
void nn_k_log_softmax_grad_rows(const float *y, const float *g, float *dx, size_t rows, size_t cols);
/* One row in place, its maximum m (finite) found by the caller: z = exp(z - m) / sum; entries
 * at -inf (masked) become exactly 0 */
void nn_k_softmax_shifted_row(float *z, size_t n, float m);
/* One row: d = y (g - sum(g y)); d may be g */
void nn_k_softmax_grad_row(const float *y, const float *g, float *d, size_t n);

/* ---- losses (kern_loss.c) ---- */
/* sum over i of max(z,0) - z t + log1p(exp(-|z|)), accumulated in double */
double nn_k_bce_sum(const float *z, const float *t, size_t n);
/* y = c (sigmoid(z) - t) */
void nn_k_bce_grad(const float *z, const float *t, float *y, size_t n, float c);
/* log(sum(exp(x))) of one row of n values, max subtracted first */
float nn_k_logsumexp(const float *x, size_t n);
/* In place: u holds n uniforms in (0, 1]; turns them into N(0, sigma^2) samples by
 * Box-Muller on the pairs (u[i], u[i + n/2]). If n is odd, u[n-1] is left for the caller. */
void nn_k_box_muller(float *u, size_t n, float sigma);

#endif
