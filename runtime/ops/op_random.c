/* Random ops: dropout, additive Gaussian noise and uniform draws. Each is an ordinary op (mul / add) with a
 * no-gradient sampling node that draws from g->rng in its forward: the backward reuses the very
 * mask the forward drew, and second order needs nothing special.
 *   dropout_mask(x): (shape of x) values 0 or 1/(1-p) in training, 1 in evaluation; masking
 *     noise uses it without the rescaling (0 or 1) and optionally in evaluation too.
 *   noise(x): (shape of x) N(0, sigma^2) in training (or always), 0 otherwise.
 *   uniform_noise(x): (shape of x) U[lo, hi) in training (or always), (lo + hi) / 2 otherwise. */
#include "../kernels/ew_util.h"
#include "../kernels/fastmath/kern.h"
#include "op_list.h"
#include "../core/kernel_isa.h"
#include <math.h>

static int sampler_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)g, (void)id, (void)gout;
    gin[0] = -1;                    /* the sample does not depend on x, only its shape does */
    return 0;
}

static void fill(float *d, size_t k, float v)
{
#pragma omp simd
    for (size_t i = 0; i < k; i++) d[i] = v;
}

/* ---- dropout_mask: attrs f[0] = p, the drop probability; i[0] = always (also in evaluation);
 * i[1] = no_rescale (kept units are 1, not 1/(1-p): masking noise, where p = 1 is allowed) ---- */
static int dropout_mask_infer(nn_graph *g, nn_node *n)
{
    float p = n->a.f[0];
    if (n->a.i[1] && !(p >= 0.0f && p <= 1.0f))
        return nn_graph_fail(g, "masking_noise: p = %g must be in [0, 1] (it is the probability of zeroing a value)", p);
    if (!n->a.i[1] && !(p >= 0.0f && p < 1.0f))
        return nn_graph_fail(g, "dropout: p = %g must be in [0, 1) (it is the probability of dropping a unit)", p);
    n->no_grad = 1;
    return nn_ew_same_infer(g, n);
}

/* m[0 .. 2 pairs) from the counter-based stream `key`: two 32-bit draws from each 64-bit one,
 * keep where a draw is >= cut. 64-bit multiplies: AVX-512 (DQ) vectorises them, so the loop
 * is compiled per instruction set (kernel_isa.h). */
static void mask_pairs(float *m, size_t pairs, uint64_t key, uint64_t cut, float keep)
{
#pragma omp simd
    for (size_t j = 0; j < pairs; j++) {                     /* two 32-bit draws each */
        uint64_t b = nn_rng_mix64(key + (j + 1) * NN_RNG_GAMMA);
        m[2 * j] = (b & 0xffffffffu) >= cut ? keep : 0.0f;
        m[2 * j + 1] = (b >> 32) >= cut ? keep : 0.0f;
    }
}
NN_ISA_FN(static, mask_pairs_isa, mask_pairs, (float *m, size_t pairs, uint64_t key, uint64_t cut, float keep),
          (m, pairs, key, cut, keep))

static void dropout_mask_forward(nn_graph *g, nn_node *n)
{
    float *m = n->data, p = n->a.f[0];
    size_t k = nn_shape_numel(&n->shape);
    if (!(g->training || n->a.i[0]) || p <= 0.0f) {
        fill(m, k, 1.0f);
        return;
    }
    uint64_t cut = (uint64_t)((double)p * 4294967296.0);     /* keep when 32 random bits >= cut */
    float keep = n->a.i[1] ? 1.0f : 1.0f / (1.0f - p);
    /* one draw of the graph's stream keys a counter-based stream for the whole mask: no
     * serial dependence, so the loop vectorises (the xoshiro loop with its unpredictable
     * branch took 5 ms for cnn_clf's 1.2M mask values per batch) */
    uint64_t key = nn_rng_u64(&g->rng);
    size_t pairs = k / 2;
    mask_pairs_isa(m, pairs, key, cut, keep);
    if (k % 2) m[k - 1] = (nn_rng_mix64(key + (pairs + 1) * NN_RNG_GAMMA) & 0xffffffffu) >= cut ? keep : 0.0f;
}

/* Random masks make repeated forwards differ, which finite differences cannot handle, so the
 * fixture runs in evaluation mode (g->training = 0): the mask is all ones, y = x. The training
 * behaviour is covered by tests/test_ops.c. */
static int dropout_mask_check(nn_graph *g, nn_rng *r)
{
    g->training = 0;
    return nn_dropout(g, nn_test_input(g, nn_shape2(3, 4), r, -1, 1), 0.5f);
}

/* ---- noise: attrs f[0] = sigma, i[0] = always (also in evaluation) ---- */
static int noise_infer(nn_graph *g, nn_node *n)
{
    if (!(n->a.f[0] >= 0.0f)) return nn_graph_fail(g, "gaussian_noise: sigma = %g must be >= 0", n->a.f[0]);
    n->no_grad = 1;
    return nn_ew_same_infer(g, n);
}

static void noise_forward(nn_graph *g, nn_node *n)
{
    float *d = n->data, sigma = n->a.f[0];
    size_t k = nn_shape_numel(&n->shape);
    if (!(g->training || n->a.i[0]) || sigma == 0.0f) {
        fill(d, k, 0.0f);
        return;
    }
    for (size_t i = 0; i < k; i += 2) {                      /* uniforms in (0, 1], 24 bits each */
        uint64_t b = nn_rng_u64(&g->rng);
        d[i] = (float)((b & 0xffffffu) + 1) * (1.0f / 16777216.0f);
        if (i + 1 < k) d[i + 1] = (float)(((b >> 32) & 0xffffffu) + 1) * (1.0f / 16777216.0f);
    }
    nn_k_box_muller(d, k, sigma);
    if (k % 2) d[k - 1] = sigma * nn_rng_normal(&g->rng);
}

/* As for dropout: evaluation mode without `always` makes the op the identity for the check. */
static int noise_check(nn_graph *g, nn_rng *r)
{
    g->training = 0;
    return nn_gaussian_noise(g, nn_test_input(g, nn_shape2(3, 4), r, -1, 1), 0.5f, 0);
}

/* ---- uniform_noise: attrs f[0] = lo, f[1] = hi, i[0] = always (also in evaluation) ---- */
static int uniform_noise_infer(nn_graph *g, nn_node *n)
{
    if (!(n->a.f[0] < n->a.f[1]) || !isfinite(n->a.f[0]) || !isfinite(n->a.f[1]))
        return nn_graph_fail(g, "uniform_noise: the interval [%g, %g) must be finite and not empty", n->a.f[0], n->a.f[1]);
    n->no_grad = 1;
    return nn_ew_same_infer(g, n);
}

/* d[0 .. k) uniform in [lo, hi) from the counter-based stream `key` (per instruction set, like
 * mask_pairs) */
static void uniform_draws(float *d, size_t k, uint64_t key, float lo, float hi)
{
    float width = hi - lo, below_hi = nextafterf(hi, lo);
#pragma omp simd
    for (size_t i = 0; i < k; i++) {
        uint64_t b = nn_rng_mix64(key + (i / 2 + 1) * NN_RNG_GAMMA);
        uint32_t bits = (uint32_t)(i % 2 ? b >> 40 : (b >> 8) & 0xffffffu);
        float v = lo + width * ((float)bits * (1.0f / 16777216.0f));
        d[i] = v < hi ? v : below_hi;
    }
}
NN_ISA_FN(static, uniform_draws_isa, uniform_draws, (float *d, size_t k, uint64_t key, float lo, float hi),
          (d, k, key, lo, hi))

/* Without sampling, the distribution's mean: what evaluation sees, as noise gives 0. */
static void uniform_noise_forward(nn_graph *g, nn_node *n)
{
    float *d = n->data, lo = n->a.f[0], hi = n->a.f[1], width = hi - lo;
    size_t k = nn_shape_numel(&n->shape);
    if (!(g->training || n->a.i[0])) {
        fill(d, k, lo + 0.5f * width);
        return;
    }
    /* one draw of the graph's stream keys a counter-based stream, as for dropout: 24 bits per
     * value from each half of a 64-bit draw; rounding may reach hi, which is kept out */
    uniform_draws_isa(d, k, nn_rng_u64(&g->rng), lo, hi);
}

/* Evaluation without `always` gives the midpoint, so x * u is x scaled by a constant the check
 * can differentiate; the draws themselves are covered by tests/test_ops.c. */
static int uniform_noise_check(nn_graph *g, nn_rng *r)
{
    g->training = 0;
    int x = nn_test_input(g, nn_shape2(3, 4), r, -1, 1);
    return nn_mul(g, x, nn_uniform_noise(g, x, 0.5f, 2.0f, 0));
}

const nn_op_def nn_def_dropout_mask = {"dropout_mask", 1,
                                       "(shape of x) 0 or 1/(1-p) (0 or 1: masking noise) in training, 1 in evaluation; dropout = x * mask",
                                       dropout_mask_infer, dropout_mask_forward, sampler_backward, dropout_mask_check,
                                       NULL};
const nn_op_def nn_def_noise = {"noise", 1,
                                "(shape of x) N(0, sigma^2) in training or if always, else 0; gaussian_noise = x + noise",
                                noise_infer, noise_forward, sampler_backward, noise_check, NULL};
const nn_op_def nn_def_uniform_noise = {"uniform_noise", 1,
                                        "(shape of x) U[lo, hi) in training or if always, else (lo + hi) / 2; no gradient",
                                        uniform_noise_infer, uniform_noise_forward, sampler_backward, uniform_noise_check,
                                        NULL};

int nn_dropout(nn_graph *g, int x, float p)
{
    if (p == 0.0f) return x;                   /* nothing is ever dropped: no node at all */
    nn_attrs a = {.f = {p}};
    int mask = nn_op(g, NN_OP_dropout_mask, &x, 1, &a);
    return nn_mul(g, x, mask);
}

int nn_gaussian_noise(nn_graph *g, int x, float sigma, int always)
{
    nn_attrs a = {.f = {sigma}, .i = {always ? 1 : 0}};
    int noise = nn_op(g, NN_OP_noise, &x, 1, &a);
    return nn_add(g, x, noise);
}

int nn_uniform_noise(nn_graph *g, int x, float lo, float hi, int always)
{
    nn_attrs a = {.f = {lo, hi}, .i = {always ? 1 : 0}};
    return nn_op(g, NN_OP_uniform_noise, &x, 1, &a);
}

int nn_masking_noise(nn_graph *g, int x, float p, int always)
{
    if (p == 0.0f) return x;                   /* nothing is ever masked: no node at all */
    nn_attrs a = {.f = {p}, .i = {always ? 1 : 0, 1}};
    int mask = nn_op(g, NN_OP_dropout_mask, &x, 1, &a);
    return nn_mul(g, x, mask);
}
