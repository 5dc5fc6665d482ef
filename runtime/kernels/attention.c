/* Scaled dot-product attention (attention.h): per entry, GEMMs through nn_sgemm around a
 * row softmax, entries spread over the threads by nn_batch_loop. */
#include "attention.h"
#include "batch_loop.h"
#include "fastmath/kern.h"
#include "../core/parallel.h"
#include "../core/thread_scratch.h"
#include "nn/rng.h"
#include <math.h>
#include <string.h>

void nn_softmax_masked_row(float *z, const float *mask, size_t n)
{
    if (mask) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) z[i] += mask[i];
    }
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (size_t i = 0; i < n; i++) m = z[i] > m ? z[i] : m;
    if (m == -INFINITY) {   /* every entry masked: nothing to attend to */
        memset(z, 0, n * sizeof(float));
        return;
    }
    nn_k_softmax_shifted_row(z, n, m);
}

static double flops_s(const nn_attention_geom *a) { return 2.0 * a->tq * a->tk; }   /* per unit of d */

double nn_attention_forward_flops(const nn_attention_geom *a) { return a->entries * flops_s(a) * (a->d + a->dv); }

/* recomputed S, then dv, dP, dq, dk */
double nn_attention_backward_flops(const nn_attention_geom *a)
{
    return a->entries * flops_s(a) * (3.0 * a->d + 2.0 * a->dv);
}

/* p (Tq,Tk) = softmax(scale q_e k_e^T + mask) of entry e */
static void weights(const nn_attention_geom *a, int e, float *p)
{
    size_t tq = (size_t)a->tq, tk = (size_t)a->tk;
    nn_sgemm(0, 1, a->tq, a->tk, a->d, a->scale, a->q + e * tq * a->d, a->d, a->k + e * tk * a->d, a->d, 0.0f, p,
             a->tk);
    for (size_t r = 0; r < tq; r++) {
        const float *m = a->mask ? a->mask + nn_bcast_offset(&a->mask_at, ((size_t)e * tq + r) * tk) : NULL;
        nn_softmax_masked_row(p + r * tk, m, tk);
    }
}

/* m (Tq,Tk) = the dropout mask of entry e: 0 or 1/(1 - dropout), two 32-bit draws per stream
 * value (as dropout_mask does), keyed by the weight's flat index */
static void dropout_mask(const nn_attention_geom *a, int e, float *m)
{
    size_t n = (size_t)a->tq * a->tk, pairs = n / 2, first = (size_t)e * n;   /* n even or not, pairs per entry */
    uint64_t cut = (uint64_t)((double)a->dropout * 4294967296.0), key = a->key + first * NN_RNG_GAMMA;
    float keep = 1.0f / (1.0f - a->dropout);
#pragma omp simd
    for (size_t j = 0; j < pairs; j++) {
        uint64_t b = nn_rng_mix64(key + (j + 1) * NN_RNG_GAMMA);
        m[2 * j] = (b & 0xffffffffu) >= cut ? keep : 0.0f;
        m[2 * j + 1] = (b >> 32) >= cut ? keep : 0.0f;
    }
    if (n % 2) m[n - 1] = (nn_rng_mix64(key + (pairs + 1) * NN_RNG_GAMMA) & 0xffffffffu) >= cut ? keep : 0.0f;
}

static void multiply(float *x, const float *m, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) x[i] *= m[i];
}

typedef struct {
    const nn_attention_geom *a;
    const float *go;
    float *o, *dq, *dk, *dv;
} job;

static int forward_entry(void *ctx, int e)
{
    const job *j = ctx;
    const nn_attention_geom *a = j->a;
    size_t block = (size_t)a->tq * a->tk;
    float *p = nn_thread_scratch(NN_SCRATCH_ATTENTION, a->dropout > 0.0f ? 2 * block : block), *m = p + block;
    if (!p) return -1;
    weights(a, e, p);
    if (a->dropout > 0.0f) {
        dropout_mask(a, e, m);
        multiply(p, m, block);
    }
    nn_sgemm(0, 0, a->tq, a->dv, a->tk, 1.0f, p, a->tk, a->v + (size_t)e * a->tk * a->dv, a->dv, 0.0f,
             j->o + (size_t)e * a->tq * a->dv, a->dv);
    return 0;
}

int nn_attention_forward(const nn_attention_geom *a, float *o)
{
    job j = {.a = a, .o = o};
    return nn_batch_loop(a->entries, nn_attention_forward_flops(a) / a->entries, forward_entry, &j);
}

static int backward_entry(void *ctx, int e)
{
    const job *j = ctx;
    const nn_attention_geom *a = j->a;
    size_t tq = (size_t)a->tq, tk = (size_t)a->tk, block = tq * tk;
    int drop = a->dropout > 0.0f;
    float *p = nn_thread_scratch(NN_SCRATCH_ATTENTION, (drop ? 3 : 2) * block), *dp = p + block, *m = dp + block;
    if (!p) return -1;
    const float *q = a->q + e * tq * a->d, *k = a->k + e * tk * a->d, *v = a->v + e * tk * a->dv;
    const float *go = j->go + e * tq * a->dv;
    weights(a, e, p);
    const float *used = p;   /* the weights the forward multiplied v by: P, or P M in dp for now */
    if (drop) {
        dropout_mask(a, e, m);
        for (size_t i = 0; i < block; i++) dp[i] = p[i] * m[i];
        used = dp;
    }
    nn_sgemm(1, 0, a->tk, a->dv, a->tq, 1.0f, used, a->tk, go, a->dv, 0.0f, j->dv + e * tk * a->dv, a->dv);
    nn_sgemm(0, 1, a->tq, a->tk, a->dv, 1.0f, go, a->dv, v, a->dv, 0.0f, dp, a->tk);
    if (drop) multiply(dp, m, block);
    for (size_t r = 0; r < tq; r++) nn_k_softmax_grad_row(p + r * tk, dp + r * tk, dp + r * tk, tk);   /* dP -> dS */
    nn_sgemm(0, 0, a->tq, a->d, a->tk, a->scale, dp, a->tk, k, a->d, 0.0f, j->dq + e * tq * a->d, a->d);
    nn_sgemm(1, 0, a->tk, a->d, a->tq, a->scale, dp, a->tk, q, a->d, 0.0f, j->dk + e * tk * a->d, a->d);
    return 0;
}

int nn_attention_backward(const nn_attention_geom *a, const float *go, float *dq, float *dk, float *dv)
{
    job j = {.a = a, .go = go, .dq = dq, .dk = dk, .dv = dv};
    return nn_batch_loop(a->entries, nn_attention_backward_flops(a) / a->entries, backward_entry, &j);
}
