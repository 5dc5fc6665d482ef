/* Loss and sampling kernels (vectorised through libmvec; see kern.h). */
#include "kern.h"
#include "../../core/parallel.h"
#include "kern_mvec.h"

typedef struct {
    const float *z, *t;
    float *y;
    float c;
} bce_ctx;

/* the stable form: never exponentiates a positive number */
NN_PAR_SUM_FN(bce_sum_chunk, bce_ctx, c, i, s, {
    float v = c->z[i];
    s += (double)((v > 0.0f ? v : 0.0f) - v * c->t[i] + log1pf(expf(-fabsf(v))));
})
NN_PAR_CHUNK_FN(bce_grad_chunk, bce_ctx, c, i, c->y[i] = c->c * (1.0f / (1.0f + expf(-c->z[i])) - c->t[i]);)

double nn_k_bce_sum(const float *z, const float *t, size_t n) { return nn_par_sum(n, bce_sum_chunk, &(bce_ctx){.z = z, .t = t}); }

void nn_k_bce_grad(const float *z, const float *t, float *y, size_t n, float c)
{
    nn_par_for(n, bce_grad_chunk, &(bce_ctx){z, t, y, c});
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

static void box_muller(float *u, size_t n, float sigma)
{
    size_t h = n / 2;
#pragma omp simd
    for (size_t i = 0; i < h; i++) {
        float r = sigma * sqrtf(-2.0f * logf(u[i])), a = TWO_PI * u[i + h];
        u[i] = r * cosf(a);
        u[i + h] = r * cosf(a - HALF_PI);   /* sin; written so gcc does not fuse into sincosf */
    }
}

NN_ISA_FN(, nn_k_box_muller, box_muller, (float *u, size_t n, float sigma), (u, n, sigma))
