/* A direct convolution (conv_direct.c) followed by its activation and 2x2 max pooling, as one
 * kernel: the conv2d_maxpool op. The first layer of an image model (1 channel, 3x3 or 5x5, then
 * `maxpool: 2`) writes its output at full resolution only to have the pool read it back, and
 * the pool's gradient reads it once more to find each window's maximum: on the CNN autoencoder
 * (16 channels of 28x28, batch 128, 6.4 MB) those passes cost more than the convolution itself.
 * Here each image's output planes are made in cache, a few channels at a time, and pooled there;
 * the backward makes them again (the convolution has few taps: it is cheap to recompute), routes
 * the pooled gradient to each window's maximum in cache and takes the weight gradient from that.
 *
 * Planes are at the padded width Wp (conv_direct_taps.h); 2x2 pooling over them is the pool
 * kernels' (pool_window.h) with Wp as the row length, with maxpool2d's tie and NaN rules.
 *
 * The activation is applied after the pooling, to a quarter of the values: every fusable one
 * (fused_act.h) is increasing, so the window's maximum and its position are the same before and
 * after it, except where two values of a window round to the same activated value (then
 * conv2d, the activation and maxpool2d one after another would route the gradient to the first
 * of them, this to the larger; relu's ties at 0 get no gradient either way). Measured on the
 * CNN autoencoder's first layer, the selu on all values took most of the fused op's time. */
#include "conv_direct_taps.h"
#include "fused_act.h"
#include "pool_window.h"

/* Scratch: the padded input planes, 4 output planes (len), 4 gradient planes (OH rows of Wp). */
size_t nn_conv_direct_pool_floats(const nn_conv_geom *g)
{
    direct_geom d = direct_geom_of(g);
    return (size_t)g->c * d.plane + 4 * d.len + 4 * (size_t)g->oh * d.wp;
}

/* 2x2 windows with stride 2 over an output plane held at the padded width */
static nn_pool_geom pool_of(const nn_conv_geom *g, const direct_geom *d)
{
    return (nn_pool_geom){.k = 2, .s = 2, .p = 0, .h = g->oh, .w = d->wp, .oh = g->oh / 2, .ow = g->ow / 2, .planes = 1};
}

/* dw[t] += sum over o < len of gr[o] * pad[off[t] + o], for taps t < taps */
static inline void tap_dots_portable(const float *gr, const float *pad, const size_t *off, int taps, size_t len, float *dw)
{
    for (int t = 0; t < taps; t++) {
        const float *src = pad + off[t];
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (size_t o = 0; o < len; o++) s += gr[o] * src[o];
        dw[t] += s;
    }
}

#if NN_ISA_X86
#define DOT_BLOCK 9   /* taps per pass over the gradient plane: a 3x3 kernel's, in registers */
/* tap_dots_portable with DOT_BLOCK taps per pass, each gradient vector loaded once for them;
 * off holds taps rounded up to DOT_BLOCK entries (the extra ones 0, their sums dropped). */
NN_TARGET_AVX512 static inline void tap_dots_avx512(const float *gr, const float *pad, const size_t *off, int taps,
                                                    size_t len, float *dw)
{
    for (int t0 = 0; t0 < taps; t0 += DOT_BLOCK) {
        __m512 acc[DOT_BLOCK];
        for (int t = 0; t < DOT_BLOCK; t++) acc[t] = _mm512_setzero_ps();
        for (size_t o = 0; o < len; o += 16) {
            __mmask16 m = lanes(len - o);
            __m512 gv = _mm512_maskz_loadu_ps(m, gr + o);
            for (int t = 0; t < DOT_BLOCK; t++)
                acc[t] = _mm512_fmadd_ps(gv, _mm512_maskz_loadu_ps(m, pad + off[t0 + t] + o), acc[t]);
        }
        for (int t = 0; t < DOT_BLOCK && t0 + t < taps; t++) dw[t0 + t] += _mm512_reduce_add_ps(acc[t]);
    }
}
#define TAP_DOTS(wide, ...) ((wide) ? tap_dots_avx512(__VA_ARGS__) : tap_dots_portable(__VA_ARGS__))
#else
#define DOT_BLOCK 1
#define TAP_DOTS(wide, ...) ((void)(wide), tap_dots_portable(__VA_ARGS__))
#endif
#define OFF_CAP ((NN_CONV_DIRECT_TAPS + DOT_BLOCK - 1) / DOT_BLOCK * DOT_BLOCK)

/* Images [n0, n0+nb): y (N, F, OH/2, OW/2) = the window maxima of the activated outputs. */
static inline void pool_forward(const nn_conv_direct_pool *p, int n0, int nb, float *scratch, float *y, int wide)
{
    const nn_conv_geom *g = p->geom;
    direct_geom d = direct_geom_of(g);
    nn_pool_geom G = pool_of(g, &d);
    size_t off[OFF_CAP], pooled = (size_t)G.oh * G.ow;
    float *pad = scratch, *full = scratch + (size_t)g->c * d.plane;
    tap_offsets(g, &d, off);
    memset(pad, 0, (size_t)g->c * d.plane * sizeof(float));
    for (int n = n0; n < n0 + nb; n++) {
        fill_padded(g, &d, p->x, n, pad, wide);
        for (int f0 = 0; f0 < g->f; f0 += 4) {
            int nf = g->f - f0 < 4 ? g->f - f0 : 4;
            float *yf = y + ((size_t)n * g->f + f0) * pooled;
            channel_planes(&d, off, p->w, p->bias, f0, nf, pad, full, wide);
            for (int r = 0; r < nf; r++) nn_pool_max2_plane(full + (size_t)r * d.len, &G, yf + (size_t)r * pooled);
            nn_fused_act_apply(p->act, p->act_slot, yf, (size_t)nf * pooled);
        }
    }
}

/* Images [n0, n0+nb): dw (F, C*KH*KW) (+)= the weight gradient of the convolution whose output
 * gradient is gp (N, F, OH/2, OW/2) routed to each window's maximum; first: dw = rather than +=. */
static inline void pool_wgrad(const nn_conv_direct_pool *p, const float *gp, int n0, int nb, float *scratch, float *dw,
                              int first, int wide)
{
    const nn_conv_geom *g = p->geom;
    direct_geom d = direct_geom_of(g);
    nn_pool_geom G = pool_of(g, &d);
    size_t off[OFF_CAP] = {0}, pooled = (size_t)G.oh * G.ow, gplane = (size_t)g->oh * d.wp;
    float *pad = scratch, *full = scratch + (size_t)g->c * d.plane, *grad = full + 4 * d.len;
    tap_offsets(g, &d, off);
    memset(pad, 0, (size_t)g->c * d.plane * sizeof(float));
    if (first) memset(dw, 0, (size_t)g->f * d.taps * sizeof(float));
    for (int n = n0; n < n0 + nb; n++) {
        fill_padded(g, &d, p->x, n, pad, wide);
        for (int f0 = 0; f0 < g->f; f0 += 4) {
            int nf = g->f - f0 < 4 ? g->f - f0 : 4;
            channel_planes(&d, off, p->w, p->bias, f0, nf, pad, full, wide);
            for (int r = 0; r < nf; r++) {
                float *gr = grad + (size_t)r * gplane;   /* zero off the maxima and in the wrapped columns */
                nn_pool_route2_plane(full + (size_t)r * d.len, gp + ((size_t)n * g->f + f0 + r) * pooled, &G, gr);
                TAP_DOTS(wide, gr, pad, off, d.taps, d.len, dw + (size_t)(f0 + r) * d.taps);
            }
        }
    }
}

#define FWD_PARAMS (const nn_conv_direct_pool *p, int n0, int nb, float *scratch, float *y)
#define WGRAD_PARAMS (const nn_conv_direct_pool *p, const float *gp, int n0, int nb, float *scratch, float *dw, int first)
static void pool_forward_portable FWD_PARAMS { pool_forward(p, n0, nb, scratch, y, 0); }
static void pool_wgrad_portable WGRAD_PARAMS { pool_wgrad(p, gp, n0, nb, scratch, dw, first, 0); }
#if NN_ISA_X86
NN_TARGET_AVX512 __attribute__((flatten)) static void pool_forward_avx512 FWD_PARAMS { pool_forward(p, n0, nb, scratch, y, 1); }
NN_TARGET_AVX512 __attribute__((flatten)) static void pool_wgrad_avx512 WGRAD_PARAMS
{
    pool_wgrad(p, gp, n0, nb, scratch, dw, first, 1);
}
#endif
NN_ISA_FN_WITH_AVX512(, nn_conv_direct_pool_forward, pool_forward_portable, pool_forward_avx512, FWD_PARAMS,
                      (p, n0, nb, scratch, y))
NN_ISA_FN_WITH_AVX512(, nn_conv_direct_pool_wgrad, pool_wgrad_portable, pool_wgrad_avx512, WGRAD_PARAMS,
                      (p, gp, n0, nb, scratch, dw, first))
