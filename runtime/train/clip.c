/* Gradient clipping by global L2 norm and by value (torch.nn.utils.clip_grad_*). */
#include "nn/optim.h"
#include "../core/parallel.h"
#include <math.h>

/* Slices above this many floats are scaled across threads. */
#define CLIP_PAR_MIN (1 << 16)

static double sum_squares(const float *g, size_t n)
{
    double s = 0.0;
    NN_PAR_SIMD_SUM(s, i, n, s += (double)g[i] * g[i];);
    return s;
}

static void scale(float *g, size_t n, float c)
{
#pragma omp parallel for simd if (n > CLIP_PAR_MIN)
    for (size_t i = 0; i < n; i++) g[i] *= c;
}

float nn_clip_grad_norm(float *const *grads, const size_t *lens, int n, float max_norm)
{
    double ss = 0.0;
    for (int k = 0; k < n; k++)
        if (grads[k]) ss += sum_squares(grads[k], lens[k]);
    double total = sqrt(ss);
    if (!isfinite(total) || !(max_norm >= 0)) return (float)total;   /* nothing sane to scale by */
    /* torch: clip_coef = max_norm / (total + 1e-6), applied only when below 1 */
    double coef = max_norm / (total + 1e-6);
    if (coef < 1.0)
        for (int k = 0; k < n; k++)
            if (grads[k]) scale(grads[k], lens[k], (float)coef);
    return (float)total;
}

void nn_clip_grad_value(float *g, size_t n, float clip)
{
    const float lo = -clip, hi = clip;
#pragma omp simd
    for (size_t i = 0; i < n; i++) g[i] = g[i] < lo ? lo : (g[i] > hi ? hi : g[i]);
}
