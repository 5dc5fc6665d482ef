/* Gradient clipping by global L2 norm and by value (torch.nn.utils.clip_grad_*). */
#include "nn/optim.h"
#include "../core/parallel.h"
#include <math.h>

typedef struct {
    const float *x;   /* sum of squares */
    float *g;         /* scale */
    float c;
} clip_ctx;

NN_PAR_SUM_FN(squares_chunk, clip_ctx, c, i, s, s += (double)c->x[i] * c->x[i];)
NN_PAR_CHUNK_FN(scale_chunk, clip_ctx, c, i, c->g[i] *= c->c;)

static double sum_squares(const float *g, size_t n) { return nn_par_sum(n, squares_chunk, &(clip_ctx){.x = g}); }
static void scale(float *g, size_t n, float c) { nn_par_for(n, scale_chunk, &(clip_ctx){.g = g, .c = c}); }

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
