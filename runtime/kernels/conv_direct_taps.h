/* conv_direct_taps.h — the pieces of the direct stride-1 convolution (conv_direct.c) that
 * conv_direct_pool.c shares: the padded-width geometry, the tap offsets, the row copies and the
 * tap sums, each with its AVX-512 variant selected by a `wide` flag that is a constant once
 * inlined into a dispatched variant (kernel_isa.h). Include only from those two files.
 *
 * Outputs are computed at the padded width Wp = W + 2*pw: output (oh, ow) of tap (ki, kj)
 * reads padded pixel (oh + ki, ow + kj), flat index o + ki*Wp + kj with o = oh*Wp + ow, so for
 * o in [0, L), L = (OH-1)*Wp + OW, every tap is one shifted stream of the padded planes; the
 * columns ow >= OW of each row are wrapped-around garbage. */
#ifndef NN_CONV_DIRECT_TAPS_H
#define NN_CONV_DIRECT_TAPS_H
#include "conv_lower.h"
#include "../core/kernel_isa.h"
#include <string.h>

typedef struct {
    int wp;            /* padded width */
    size_t plane;      /* padded plane, (H + 2*ph) * Wp floats */
    size_t len;        /* L: outputs computed per plane at the padded width */
    int taps;          /* C*KH*KW */
} direct_geom;

static inline direct_geom direct_geom_of(const nn_conv_geom *g)
{
    direct_geom d;
    d.wp = g->w + 2 * g->pw;
    d.plane = (size_t)(g->h + 2 * g->ph) * d.wp;
    d.len = (size_t)(g->oh - 1) * d.wp + g->ow;
    d.taps = g->c * g->kh * g->kw;
    return d;
}

/* Tap t = (c, ki, kj) reads the padded planes at offset off[t] from the output's index. */
static inline void tap_offsets(const nn_conv_geom *g, const direct_geom *d, size_t *off)
{
    for (int t = 0; t < d->taps; t++) {
        int c = t / (g->kh * g->kw), ki = t / g->kw % g->kh, kj = t % g->kw;
        off[t] = (size_t)c * d->plane + (size_t)ki * d->wp + kj;
    }
}

/* n floats of a row; AVX-512: rows here are 3..30 floats, where a memcpy call costs more than
 * the copy */
static inline void copy_row_portable(float *dst, const float *src, size_t n) { memcpy(dst, src, n * sizeof(float)); }

/* full[r*len + o] = init[r] + sum over taps t of w[r*taps + t] * pad[o + off[t]], for nf
 * output channels r (<= 4) */
static inline void sum_taps_portable(const float *pad, const size_t *off, const float *w, int taps, size_t len,
                                     const float *init, float *full, int nf)
{
    for (int r = 0; r < nf; r++) {
        float *dst = full + (size_t)r * len;
#pragma omp simd
        for (size_t o = 0; o < len; o++) dst[o] = init[r];
        for (int t = 0; t < taps; t++) {
            const float *src = pad + off[t];
            float wv = w[(size_t)r * taps + t];
#pragma omp simd
            for (size_t o = 0; o < len; o++) dst[o] += wv * src[o];
        }
    }
}

#if NN_ISA_X86
#include <immintrin.h>

NN_TARGET_AVX512 static inline __mmask16 lanes(size_t rem)
{
    return rem >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rem) - 1);
}

NN_TARGET_AVX512 static inline void copy_row_avx512(float *dst, const float *src, size_t n)
{
    for (size_t j = 0; j < n; j += 16) _mm512_mask_storeu_ps(dst + j, lanes(n - j), _mm512_maskz_loadu_ps(lanes(n - j), src + j));
}

/* sum_taps_portable's sums with 32 outputs of each channel in registers across every tap, each
 * tap's two loads shared by the channels (nf a constant after inlining). Masked loads never
 * read past the planes. */
NN_TARGET_AVX512 static inline void sum_taps_avx512(const float *pad, const size_t *off, const float *w, int taps,
                                                    size_t len, const float *init, float *full, int nf)
{
    for (size_t o0 = 0; o0 < len; o0 += 32) {
        __mmask16 m0 = lanes(len - o0), m1 = len - o0 > 16 ? lanes(len - o0 - 16) : 0;
        __m512 a0[4], a1[4];
        for (int r = 0; r < nf; r++) a0[r] = a1[r] = _mm512_set1_ps(init[r]);
        for (int t = 0; t < taps; t++) {
            const float *src = pad + off[t] + o0;
            __m512 s0 = _mm512_maskz_loadu_ps(m0, src), s1 = _mm512_maskz_loadu_ps(m1, src + 16);
            for (int r = 0; r < nf; r++) {
                __m512 wv = _mm512_set1_ps(w[(size_t)r * taps + t]);
                a0[r] = _mm512_fmadd_ps(wv, s0, a0[r]);
                a1[r] = _mm512_fmadd_ps(wv, s1, a1[r]);
            }
        }
        for (int r = 0; r < nf; r++) {
            _mm512_mask_storeu_ps(full + (size_t)r * len + o0, m0, a0[r]);
            _mm512_mask_storeu_ps(full + (size_t)r * len + o0 + 16, m1, a1[r]);
        }
    }
}
#define COPY_ROW(wide, dst, src, n) ((wide) ? copy_row_avx512(dst, src, n) : copy_row_portable(dst, src, n))
#define SUM_TAPS(wide, ...) ((wide) ? sum_taps_avx512(__VA_ARGS__) : sum_taps_portable(__VA_ARGS__))
#else
#define COPY_ROW(wide, dst, src, n) ((void)(wide), copy_row_portable(dst, src, n))
#define SUM_TAPS(wide, ...) ((void)(wide), sum_taps_portable(__VA_ARGS__))
#endif

/* The interiors of pad's C planes = image n of x (the zero border is left as it is). */
static inline void fill_padded(const nn_conv_geom *g, const direct_geom *d, const float *x, int n, float *pad, int wide)
{
    for (int c = 0; c < g->c; c++) {
        const float *src = x + ((size_t)n * g->c + c) * g->h * g->w;
        float *dst = pad + (size_t)c * d->plane + (size_t)g->ph * d->wp + g->pw;
        for (int i = 0; i < g->h; i++) COPY_ROW(wide, dst + (size_t)i * d->wp, src + (size_t)i * g->w, (size_t)g->w);
    }
}

/* full[r*len + o], r < nf <= 4: output channels f0 .. f0+nf-1 of the image in pad at the
 * padded width, starting from bias (or 0 when bias is NULL). */
static inline void channel_planes(const direct_geom *d, const size_t *off, const float *w, const float *bias, int f0,
                                  int nf, const float *pad, float *full, int wide)
{
    float init[4] = {0};
    for (int r = 0; r < nf; r++) init[r] = bias ? bias[f0 + r] : 0.0f;
    const float *wf = w + (size_t)f0 * d->taps;
    if (nf == 4) SUM_TAPS(wide, pad, off, wf, d->taps, d->len, init, full, 4);
    else
        for (int r = 0; r < nf; r++)
            SUM_TAPS(wide, pad, off, wf + (size_t)r * d->taps, d->taps, d->len, init + r, full + (size_t)r * d->len, 1);
}

#endif
