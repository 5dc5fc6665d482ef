/* infer_rows.c — the step computations of nn/infer.h: one new position per decoded sequence.
 * The GEMMs go through nn_sgemm (split over the pool from its threshold); the per-row loops
 * are small (rows x heads x len x dh for attention) and run inline. */
#include "nn/infer.h"
#include "../core/parallel.h"
#include "attention.h"
#include "fastmath/kern.h"
#include "../core/thread_scratch.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void nn_infer_linear(const float *x, int n, int in, int ldx, const float *w, const float *b, int out, float *y, int ldy)
{
    if (n <= 0) return;
    for (int r = 0; b && r < n; r++) memcpy(y + (size_t)r * ldy, b, (size_t)out * sizeof(float));
    nn_sgemm(0, 1, n, out, in, 1.0f, x, ldx, w, in, b ? 1.0f : 0.0f, y, ldy);
}

void nn_infer_layer_norm(float *x, int n, int c, const float *gamma, const float *beta, float eps)
{
    for (int r = 0; r < n; r++) {
        float *row = x + (size_t)r * c;
        double mean = 0, var = 0;
        for (int j = 0; j < c; j++) mean += row[j];
        mean /= c;
        for (int j = 0; j < c; j++) var += (row[j] - mean) * (row[j] - mean);
        float inv = (float)(1.0 / sqrt(var / c + eps)), m = (float)mean;
        for (int j = 0; j < c; j++) {
            float v = (row[j] - m) * inv;
            row[j] = v * (gamma ? gamma[j] : 1.0f) + (beta ? beta[j] : 0.0f);
        }
    }
}

void nn_infer_activate(float *x, size_t n, nn_infer_act act)
{
    switch (act) {
    case NN_INFER_RELU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NN_INFER_GELU: nn_k_gelu(x, x, n); break;
    case NN_INFER_TANH: nn_k_tanh(x, x, n); break;
    case NN_INFER_SIGMOID: nn_k_sigmoid(x, x, n); break;
    }
}

/* Row r, head h: o[r, h] = softmax(scale q[r, h] . k[kr, :, h] + bias) v[kr, :, h] */
static void attend_head(const nn_infer_attention_geom *a, int r, int h, float *scores, float *o)
{
    int dh = a->dm / a->heads, kr = a->kv_row ? a->kv_row[r] : r;
    float scale = 1.0f / sqrtf((float)dh);
    const float *q = a->q + (size_t)r * a->dm + (size_t)h * dh;
    const float *k = a->k + (size_t)kr * a->ld_t * a->dm + (size_t)h * dh;
    const float *v = a->v + (size_t)kr * a->ld_t * a->dm + (size_t)h * dh;
    for (int t = 0; t < a->len; t++) {
        const float *kt = k + (size_t)t * a->dm;
        float s = 0.0f;
        for (int j = 0; j < dh; j++) s += q[j] * kt[j];
        scores[t] = s * scale;
    }
    nn_softmax_masked_row(scores, a->key_bias ? a->key_bias + (size_t)kr * a->ld_t : NULL, (size_t)a->len);
    if (a->weights) memcpy(a->weights + ((size_t)r * a->heads + h) * a->len, scores, (size_t)a->len * sizeof(float));
    float *out = o + (size_t)r * a->dm + (size_t)h * dh;
    memset(out, 0, (size_t)dh * sizeof(float));
    for (int t = 0; t < a->len; t++) {
        const float *vt = v + (size_t)t * a->dm;
        float p = scores[t];
        for (int j = 0; j < dh; j++) out[j] += p * vt[j];
    }
}

typedef struct {
    const nn_infer_attention_geom *a;
    float *o;
    volatile int failed;   /* a thread found no scratch memory */
} attend_ctx;

/* items [lo, hi) of rows x heads */
static void attend_items(const void *ctx, size_t lo, size_t hi)
{
    attend_ctx *c = (attend_ctx *)ctx;
    float *scores = nn_thread_scratch(NN_SCRATCH_ATTENTION, (size_t)c->a->len);
    if (!scores) {
        c->failed = 1;
        return;
    }
    size_t heads = (size_t)c->a->heads;
    for (size_t i = lo; i < hi; i++) attend_head(c->a, (int)(i / heads), (int)(i % heads), scores, c->o);
}

int nn_infer_attention(const nn_infer_attention_geom *a, float *o)
{
    if (a->n <= 0 || a->len <= 0) return 0;
    attend_ctx c = {a, o, 0};
    nn_par_items((size_t)a->n * (size_t)a->heads, (size_t)a->len * (size_t)(a->dm / a->heads) * 2, attend_items, &c);
    return c.failed ? -1 : 0;
}

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

void nn_infer_gru_cell(float *gi, float *gh, float *h, int n, int hidden)
{
    for (int r = 0; r < n; r++) {
        float *i = gi + (size_t)r * 3 * hidden, *g = gh + (size_t)r * 3 * hidden, *hr = h + (size_t)r * hidden;
        for (int j = 0; j < hidden; j++) {
            float rt = sigmoidf(i[j] + g[j]), zt = sigmoidf(i[hidden + j] + g[hidden + j]);
            float ct = tanhf(i[2 * hidden + j] + rt * g[2 * hidden + j]);
            hr[j] = (1.0f - zt) * ct + zt * hr[j];
        }
    }
}

void nn_infer_lstm_cell(float *gates, float *c, float *h, int n, int hidden)
{
    for (int r = 0; r < n; r++) {
        const float *gt = gates + (size_t)r * 4 * hidden;
        float *cr = c + (size_t)r * hidden, *hr = h + (size_t)r * hidden;
        for (int j = 0; j < hidden; j++) {
            float i = sigmoidf(gt[j]), f = sigmoidf(gt[hidden + j]), g = tanhf(gt[2 * hidden + j]), o = sigmoidf(gt[3 * hidden + j]);
            cr[j] = f * cr[j] + i * g;
            hr[j] = o * tanhf(cr[j]);
        }
    }
}

void nn_infer_additive_attention(const nn_infer_additive_geom *a, float *weights, float *context)
{
    for (int r = 0; r < a->n; r++) {
        int kr = a->kv_row ? a->kv_row[r] : r;
        const float *q = a->q + (size_t)r * a->hidden;
        float *w = weights + (size_t)r * a->s, *ctx = context + (size_t)r * a->f;
        for (int s = 0; s < a->s; s++) {
            const float *ku = a->keys_u + ((size_t)kr * a->s + s) * a->hidden;
            float e = a->bva;
            for (int j = 0; j < a->hidden; j++) e += a->va[j] * tanhf(q[j] + ku[j]);
            w[s] = e;
        }
        nn_softmax_masked_row(w, a->key_bias ? a->key_bias + (size_t)kr * a->s : NULL, (size_t)a->s);
        memset(ctx, 0, (size_t)a->f * sizeof(float));
        for (int s = 0; s < a->s; s++) {
            const float *k = a->keys + ((size_t)kr * a->s + s) * a->f;
            for (int j = 0; j < a->f; j++) ctx[j] += w[s] * k[j];
        }
    }
}

void nn_infer_gather_rows(const float *src, const int *from, int n, size_t row_floats, float *dst)
{
    for (int i = 0; i < n; i++) memcpy(dst + (size_t)i * row_floats, src + (size_t)from[i] * row_floats, row_floats * sizeof(float));
}
