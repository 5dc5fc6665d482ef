/* A convolution's weight and input gradients when its output reaches the loss only through a
 * 2x2 max pool with stride 2 (conv_lower.h): the output gradient is then the pooled gradient h
 * at each window's maximum of the output z and zero at the three other pixels, so the dense
 * gradients (Winograd's or the GEMM's) spend three quarters of their products on zeros, after
 * max_route wrote those zeros out. Here each (channel f, window) pair finds its maximum in z
 * (max_route's rule: the first maximum in row-major order, a NaN wins) and only that pixel's
 * products are made: a quarter of the work, and neither the routed gradient nor its pass.
 *
 * The image side is held channels-last in scratch, one image at a time, with its zero border
 * (xt or dxt: (H + 2ph) x (W + 2pw) pixels of CV floats, CV = C rounded up to a whole block of
 * 16), so that a tap of a kernel at a pixel is a contiguous run of channels:
 *   weight gradient  dw[f][k][c] += h[f,q] * xt[at(f,q) + k][c]       (for every window q)
 *   input gradient   dxt[at(f,q) + k][c] += h[f,q] * wt[f][k][c]
 * where k = (kh, kw) and at(f,q) is the top-left input pixel of the output pixel that wins
 * window q of channel f. The weight gradient keeps each (f, k, block) sum in registers across
 * the windows; the input gradient sums, for each window, the channels whose maximum is at the
 * same one of its four pixels before adding to dxt. */
#include "conv_lower.h"
#include "../core/kernel_isa.h"
#include <string.h>

#define BLOCK 16   /* channels per block: one AVX-512 vector, two AVX2 ones */
/* Taps summed side by side: independent sums keep the adder busy (one sum over the windows would
 * wait on its own previous addition each time). A 3x3 kernel is one group; others are cut into
 * groups of TAPS, the last one padded with taps at offset 0 whose sums are dropped. */
#define TAPS 9
#define TAP_CAP ((NN_CONV_POOLED_MAX_TAPS + TAPS - 1) / TAPS * TAPS)

/* a kernel's taps rounded up to whole groups: the rows of the laid-out weight */
static int taps_padded(const nn_conv_geom *g) { return (g->kh * g->kw + TAPS - 1) / TAPS * TAPS; }

static int channels_padded(const nn_conv_geom *g) { return (g->c + BLOCK - 1) / BLOCK * BLOCK; }
static size_t image_pixels(const nn_conv_geom *g) { return (size_t)(g->h + 2 * g->ph) * (g->w + 2 * g->pw); }
static size_t windows(const nn_conv_geom *g) { return (size_t)(g->oh / 2) * (g->ow / 2); }

int nn_conv_pooled_pays(int channels, int kh, int kw)
{
    return kh * kw <= NN_CONV_POOLED_MAX_TAPS && 2 * channels > (channels + BLOCK - 1) / BLOCK * BLOCK;
}

size_t nn_conv_pooled_weights_floats(const nn_conv_geom *g)
{
    return (size_t)g->f * taps_padded(g) * channels_padded(g);
}

/* scratch: the channels-last image; one plane's windows and the window map (weight gradient),
 * or the windows of every plane, a window's channels sorted by winner and the window map
 * (input gradient) */
size_t nn_conv_pooled_floats(const nn_conv_geom *g)
{
    size_t f16 = (size_t)(g->f + 15) / 16 * 16;
    size_t nq16 = (windows(g) + 15) / 16 * 16;
    size_t wgrad = 5 * nq16, dgrad = 5 * f16 * nq16 + 8 * f16 + 2 * nq16;
    return image_pixels(g) * channels_padded(g) + (wgrad > dgrad ? wgrad : dgrad);
}

void nn_conv_pooled_weights(const nn_conv_geom *g, const float *w, float *wt)
{
    int cv = channels_padded(g), kk = g->kh * g->kw, kp = taps_padded(g);
    memset(wt, 0, nn_conv_pooled_weights_floats(g) * sizeof(float));
    for (int f = 0; f < g->f; f++)
        for (int c = 0; c < g->c; c++)
            for (int k = 0; k < kk; k++) wt[((size_t)f * kp + k) * cv + c] = w[((size_t)f * g->c + c) * kk + k];
}

/* Per window q of a plane: where its top-left pixel is in z (zoff, for the portable loop, which
 * runs over a plane's windows flat) and where that pixel's top-left input pixel is in the
 * channels-last image (aoff). */
typedef struct {
    int *zoff, *aoff;
    int woff[4];   /* from the top-left pixel's input offset to the winner's */
} window_map;

static window_map window_map_make(const nn_conv_geom *g, int *mem)
{
    int pw = g->ow / 2, ph = g->oh / 2, s = g->stride, wp = g->w + 2 * g->pw;
    window_map m = {mem, mem + (size_t)ph * pw, {0, s, s * wp, s * wp + s}};
    for (int i = 0; i < ph; i++)
        for (int j = 0; j < pw; j++) {
            m.zoff[i * pw + j] = 2 * i * g->ow + 2 * j;
            m.aoff[i * pw + j] = 2 * i * s * wp + 2 * j * s;
        }
    return m;
}

/* The winner of window q of plane z: 0 1 / 2 3, max_route's rule (the first maximum in row-major
 * order stays; a NaN wins), without branches: which pixel wins is data, and branches on it
 * mispredict. */
static inline int winner_portable(const float *z, int zoff, int ow)
{
    const float *r0 = z + zoff;
    float best = r0[0], v = r0[1];
    int w = 0, t = (v > best) | (v != v);
    best = t ? v : best;
    w = t ? 1 : w;
    v = r0[ow];
    t = (v > best) | (v != v);
    best = t ? v : best;
    w = t ? 2 : w;
    v = r0[ow + 1];
    return ((v > best) | (v != v)) ? 3 : w;
}

#if NN_ISA_X86
#include "pool_max4.h"
/* winner_portable for a plane, up to 16 windows of a row at a time from its two input rows
 * (gathering the four pixels of 16 windows instead took several times as long) */
NN_TARGET_AVX512 static inline void winners_avx512(const float *z, const nn_conv_geom *g, const int *aoff, const int *woff,
                                                   int *win, int *at)
{
    const __m512i table = _mm512_setr_epi32(woff[0], woff[1], woff[2], woff[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    int pw = g->ow / 2, ph = g->oh / 2, ow = g->ow;
    for (int i = 0; i < ph; i++)
        for (int j0 = 0; j0 < pw; j0 += 16) {
            int n = pw - j0 < 16 ? pw - j0 : 16, q = i * pw + j0;
            __mmask16 m = first_bits(n), lead[3];
            const float *r0 = z + (size_t)2 * i * ow + 2 * j0;
            max4(r0, r0 + ow, n, lead);   /* lead[k]: where pixel k+1 took the lead */
            __m512i w = _mm512_maskz_mov_epi32(lead[0], _mm512_set1_epi32(1));
            w = _mm512_mask_mov_epi32(w, lead[1], _mm512_set1_epi32(2));
            w = _mm512_mask_mov_epi32(w, lead[2], _mm512_set1_epi32(3));
            _mm512_mask_storeu_epi32(win + q, m, w);
            __m512i a = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, aoff + q), _mm512_permutexvar_epi32(w, table));
            _mm512_mask_storeu_epi32(at + q, m, a);
        }
}
#endif

/* For plane f of image n and each window q: win[q] = which of its four pixels wins, at[q] = the
 * channels-last offset (in pixels) of that output pixel's top-left input pixel, val[q] = h at
 * the window. wide: the AVX-512 loop. */
static inline void winners(const nn_conv_geom *g, const nn_conv_pooled *p, const window_map *m, int n, int f, int *win,
                           int *at, float *val, int wide)
{
    int ow = g->ow, nq = (g->oh / 2) * (g->ow / 2);
    const float *z = p->z + ((size_t)n * g->f + f) * g->oh * ow;
#if NN_ISA_X86
    if (wide) winners_avx512(z, g, m->aoff, m->woff, win, at);
    else
#endif
    {
        (void)wide;
        for (int q = 0; q < nq; q++) {
            win[q] = winner_portable(z, m->zoff[q], ow);
            at[q] = m->aoff[q] + m->woff[win[q]];
        }
    }
    memcpy(val, p->h + ((size_t)n * g->f + f) * nq, (size_t)nq * sizeof(float));
}

/* xt's interior = image n of x (C, H, W), channels-last; its border and channels past C stay 0 */
static inline void to_channels_last_portable(const nn_conv_geom *g, const float *x, int n, float *xt)
{
    int cv = channels_padded(g), wp = g->w + 2 * g->pw;
    const float *img = x + (size_t)n * g->c * g->h * g->w;
    for (int c = 0; c < g->c; c++)
        for (int r = 0; r < g->h; r++) {
            const float *src = img + ((size_t)c * g->h + r) * g->w;
            float *dst = xt + ((size_t)(r + g->ph) * wp + g->pw) * cv + c;
            for (int col = 0; col < g->w; col++) dst[(size_t)col * cv] = src[col];
        }
}

/* image n of dx (C, H, W) = dxt's interior */
static inline void from_channels_last_portable(const nn_conv_geom *g, const float *dxt, int n, float *dx)
{
    int cv = channels_padded(g), wp = g->w + 2 * g->pw;
    float *img = dx + (size_t)n * g->c * g->h * g->w;
    for (int c = 0; c < g->c; c++)
        for (int r = 0; r < g->h; r++) {
            const float *src = dxt + ((size_t)(r + g->ph) * wp + g->pw) * cv + c;
            float *dst = img + ((size_t)c * g->h + r) * g->w;
            for (int col = 0; col < g->w; col++) dst[col] = src[(size_t)col * cv];
        }
}

#if NN_ISA_X86
/* r[i][j] <-> r[j][i] for a 16x16 block of floats in 16 registers */
NN_TARGET_AVX512 static inline void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4)
        for (int k = 0; k < 2; k++) {
            __m512d a = _mm512_castps_pd(t[i + k]), b = _mm512_castps_pd(t[i + 2 + k]);
            r[i + k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[i + 2 + k] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 16; i += 8)
        for (int k = 0; k < 4; k++) {
            t[i + k] = _mm512_shuffle_f32x4(r[i + k], r[i + 4 + k], 0x88);
            t[i + 4 + k] = _mm512_shuffle_f32x4(r[i + k], r[i + 4 + k], 0xdd);
        }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0xdd);
    }
    /* the stages leave the rows in the order 0 2 1 3 .. of their 4-row groups: restore it */
    __m512 o[16];
    static const int from[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
    for (int i = 0; i < 16; i++) o[i] = r[from[i]];
    for (int i = 0; i < 16; i++) r[i] = o[i];
}

/* to_channels_last_portable, 16 channels by 16 pixels of a row at a time */
NN_TARGET_AVX512 static inline void to_channels_last_avx512(const nn_conv_geom *g, const float *x, int n, float *xt)
{
    int cv = channels_padded(g), wp = g->w + 2 * g->pw;
    size_t hw = (size_t)g->h * g->w;
    const float *img = x + (size_t)n * g->c * hw;
    for (int c0 = 0; c0 < g->c; c0 += 16)
        for (int r = 0; r < g->h; r++)
            for (int j0 = 0; j0 < g->w; j0 += 16) {
                int nj = g->w - j0 < 16 ? g->w - j0 : 16;
                __mmask16 m = nj == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
                __m512 v[16];
                for (int i = 0; i < 16; i++)
                    v[i] = c0 + i < g->c ? _mm512_maskz_loadu_ps(m, img + (size_t)(c0 + i) * hw + (size_t)r * g->w + j0)
                                         : _mm512_setzero_ps();
                transpose16(v);
                float *dst = xt + ((size_t)(r + g->ph) * wp + g->pw + j0) * cv + c0;
                for (int j = 0; j < nj; j++) _mm512_storeu_ps(dst + (size_t)j * cv, v[j]);
            }
}

/* from_channels_last_portable, 16 pixels of a row by 16 channels at a time */
NN_TARGET_AVX512 static inline void from_channels_last_avx512(const nn_conv_geom *g, const float *dxt, int n, float *dx)
{
    int cv = channels_padded(g), wp = g->w + 2 * g->pw;
    size_t hw = (size_t)g->h * g->w;
    float *img = dx + (size_t)n * g->c * hw;
    for (int c0 = 0; c0 < g->c; c0 += 16)
        for (int r = 0; r < g->h; r++)
            for (int j0 = 0; j0 < g->w; j0 += 16) {
                int nj = g->w - j0 < 16 ? g->w - j0 : 16;
                __mmask16 m = nj == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
                const float *src = dxt + ((size_t)(r + g->ph) * wp + g->pw + j0) * cv + c0;
                __m512 v[16];
                for (int j = 0; j < 16; j++) v[j] = j < nj ? _mm512_loadu_ps(src + (size_t)j * cv) : _mm512_setzero_ps();
                transpose16(v);
                for (int i = 0; i < 16 && c0 + i < g->c; i++)
                    _mm512_mask_storeu_ps(img + (size_t)(c0 + i) * hw + (size_t)r * g->w + j0, m, v[i]);
            }
}
#define TO_CHANNELS_LAST(wide, ...) ((wide) ? to_channels_last_avx512(__VA_ARGS__) : to_channels_last_portable(__VA_ARGS__))
#define FROM_CHANNELS_LAST(wide, ...) ((wide) ? from_channels_last_avx512(__VA_ARGS__) : from_channels_last_portable(__VA_ARGS__))
#else
#define TO_CHANNELS_LAST(wide, ...) ((void)(wide), to_channels_last_portable(__VA_ARGS__))
#define FROM_CHANNELS_LAST(wide, ...) ((void)(wide), from_channels_last_portable(__VA_ARGS__))
#endif

/* BLOCK floats as one value (GCC's vector extension: one AVX-512 register, two AVX2 ones), read
 * and written at any float's alignment, so that sums stay in registers at every level */
typedef float vblock __attribute__((vector_size(BLOCK * sizeof(float)), aligned(4), may_alias));


/* koff[k] = the offset (in pixels) of tap k from the top-left pixel; 0 past the kernel */
static void tap_offsets(const nn_conv_geom *g, int *koff)
{
    int kk = g->kh * g->kw, wp = g->w + 2 * g->pw;
    for (int k = 0; k < TAP_CAP; k++) koff[k] = k < kk ? k / g->kw * wp + k % g->kw : 0;
}

/* sums[t * cv] += the sum over windows q < nq of val[q] * src[(at[q] + koff[t]) * cv], for the
 * TAPS taps t of a group, BLOCK channels from src */
static inline void tap_sums_portable(const float *src, const int *at, const float *val, size_t nq, int cv, const int *koff,
                                     int ntaps, float *sums)
{
    vblock acc[TAPS] = {{0}};
    for (size_t q = 0; q < nq; q++) {
        const float *p = src + (size_t)at[q] * cv;
        float v = val[q];
        for (int t = 0; t < TAPS; t++) acc[t] += v * *(const vblock *)(p + (size_t)koff[t] * cv);
    }
    for (int t = 0; t < ntaps; t++) *(vblock *)(sums + (size_t)t * cv) += acc[t];
}

#if NN_ISA_X86
/* tap_sums_portable with fused multiply-adds (BLOCK is one AVX-512 vector) */
NN_TARGET_AVX512 static inline void tap_sums_avx512(const float *src, const int *at, const float *val, size_t nq, int cv,
                                                    const int *koff, int ntaps, float *sums)
{
    __m512 acc[TAPS];
    size_t off[TAPS];
    for (int t = 0; t < TAPS; t++) acc[t] = _mm512_setzero_ps(), off[t] = (size_t)koff[t] * cv;
    for (size_t q = 0; q < nq; q++) {
        const float *p = src + (size_t)at[q] * cv;
        __m512 v = _mm512_set1_ps(val[q]);
        for (int t = 0; t < TAPS; t++) acc[t] = _mm512_fmadd_ps(v, _mm512_loadu_ps(p + off[t]), acc[t]);
    }
    for (int t = 0; t < ntaps; t++) {
        float *d = sums + (size_t)t * cv;
        _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), acc[t]));
    }
}
#define TAP_SUMS(wide, ...) ((wide) ? tap_sums_avx512(__VA_ARGS__) : tap_sums_portable(__VA_ARGS__))
#else
#define TAP_SUMS(wide, ...) ((void)(wide), tap_sums_portable(__VA_ARGS__))
#endif

static inline void wgrad_body(const nn_conv_pooled *p, const float *x, int n0, int nb, float *scratch, float *sums, int first,
                              int wide)
{
    const nn_conv_geom *g = p->geom;
    int cv = channels_padded(g), kk = g->kh * g->kw, koff[TAP_CAP];
    size_t nq = windows(g), nq16 = (nq + 15) / 16 * 16, taps = (size_t)kk * cv;
    float *xt = scratch, *val = xt + image_pixels(g) * cv;
    int *at = (int *)(val + nq16), *win = at + nq16;
    window_map map = window_map_make(g, win + nq16);
    tap_offsets(g, koff);
    memset(xt, 0, image_pixels(g) * cv * sizeof(float));
    if (first) memset(sums, 0, nn_conv_pooled_sums_floats(g) * sizeof(float));
    for (int n = n0; n < n0 + nb; n++) {
        TO_CHANNELS_LAST(wide, g, x, n, xt);
        for (int f = 0; f < g->f; f++) {
            winners(g, p, &map, n, f, win, at, val, wide);
            for (int k0 = 0; k0 < kk; k0 += TAPS)
                for (int c0 = 0; c0 < cv; c0 += BLOCK)
                    TAP_SUMS(wide, xt + c0, at, val, nq, cv, koff + k0, kk - k0 < TAPS ? kk - k0 : TAPS,
                             sums + (size_t)f * taps + (size_t)k0 * cv + c0);
        }
    }
}

size_t nn_conv_pooled_sums_floats(const nn_conv_geom *g) { return (size_t)g->f * g->kh * g->kw * channels_padded(g); }

void nn_conv_pooled_wgrad_finish(const nn_conv_geom *g, const float *sums, float *dw)
{
    int cv = channels_padded(g), kk = g->kh * g->kw;
    for (int f = 0; f < g->f; f++)   /* (F, KH*KW, CV) -> (F, C, KH, KW) */
        for (int c = 0; c < g->c; c++)
            for (int k = 0; k < kk; k++) dw[((size_t)f * g->c + c) * kk + k] = sums[((size_t)f * kk + k) * cv + c];
}

/* dst[koff[t] * cv + b] += the sum over i < count of v[i] * wt[f[i] * taps + t * cv + b], for
 * the taps t < ntaps of a group and b < BLOCK: the channels f[i] whose maximum in a window is
 * the same pixel, whose kernels are summed before being added there */
static inline void scatter_taps_portable(const float *wt, size_t taps, const int *f, const float *v, int count, int cv,
                                         const int *koff, int ntaps, float *dst)
{
    vblock acc[TAPS] = {{0}};
    for (int i = 0; i < count; i++) {
        const float *w = wt + (size_t)f[i] * taps;
        for (int t = 0; t < TAPS; t++) acc[t] += v[i] * *(const vblock *)(w + (size_t)t * cv);
    }
    for (int t = 0; t < ntaps; t++) *(vblock *)(dst + (size_t)koff[t] * cv) += acc[t];
}

#if NN_ISA_X86
/* the same with fused multiply-adds */
NN_TARGET_AVX512 static inline void scatter_taps_avx512(const float *wt, size_t taps, const int *f, const float *v, int count,
                                                        int cv, const int *koff, int ntaps, float *dst)
{
    __m512 acc[TAPS];
    for (int t = 0; t < TAPS; t++) acc[t] = _mm512_setzero_ps();
    for (int i = 0; i < count; i++) {
        const float *w = wt + (size_t)f[i] * taps;
        __m512 vi = _mm512_set1_ps(v[i]);
        for (int t = 0; t < TAPS; t++) acc[t] = _mm512_fmadd_ps(vi, _mm512_loadu_ps(w + (size_t)t * cv), acc[t]);
    }
    for (int t = 0; t < ntaps; t++) {
        float *d = dst + (size_t)koff[t] * cv;
        _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), acc[t]));
    }
}
#define SCATTER_TAPS(wide, ...) ((wide) ? scatter_taps_avx512(__VA_ARGS__) : scatter_taps_portable(__VA_ARGS__))
#else
#define SCATTER_TAPS(wide, ...) ((void)(wide), scatter_taps_portable(__VA_ARGS__))
#endif

/* The channels of window q sorted by which of its four pixels wins: fs[w * f16 + i], i < count[w],
 * with their gradient values vs[...] (a counting sort over win and val, (F, nq) rows). */
static inline void sort_window_portable(const int *win, const float *val, int nf, int f16, size_t nq, size_t q, int *fs,
                                        float *vs, int count[4])
{
    for (int f = 0; f < nf; f++) {
        int w = win[(size_t)f * nq + q], i = w * f16 + count[w]++;
        fs[i] = f;
        vs[i] = val[(size_t)f * nq + q];
    }
}

#if NN_ISA_X86
/* The same from win and val transposed to (windows, F16), 16 channels at a time: each pixel's
 * channels are compressed out of the vector of their codes (the scalar sort's counters, each
 * waiting on its own last increment, cost as much as the products). */
NN_TARGET_AVX512 static inline void sort_window_avx512(const int *win_t, const float *val_t, int nf, int f16, size_t q,
                                                       int *fs, float *vs, int count[4])
{
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int f0 = 0; f0 < nf; f0 += 16) {
        __mmask16 valid = nf - f0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (nf - f0)) - 1);
        __m512i codes = _mm512_loadu_si512(win_t + q * f16 + f0), ids = _mm512_add_epi32(lane, _mm512_set1_epi32(f0));
        __m512 vals = _mm512_loadu_ps(val_t + q * f16 + f0);
        for (int w = 0; w < 4; w++) {
            __mmask16 m = _mm512_mask_cmpeq_epi32_mask(valid, codes, _mm512_set1_epi32(w));
            int i = w * f16 + count[w];   /* writes 16: past count[w] only what later blocks overwrite */
            _mm512_storeu_si512(fs + i, _mm512_maskz_compress_epi32(m, ids));
            _mm512_storeu_ps(vs + i, _mm512_maskz_compress_ps(m, vals));
            count[w] += __builtin_popcount(m);
        }
    }
}

/* dst (cols x rows16) = src (rows x cols) transposed, for rows, cols multiples of 16 in dst's
 * layout: src rows past `rows` are read as 0 */
NN_TARGET_AVX512 static inline void transpose_blocks(const float *src, int rows, size_t cols16, int rows16, float *dst)
{
    for (int r0 = 0; r0 < rows16; r0 += 16)
        for (size_t c0 = 0; c0 < cols16; c0 += 16) {
            __m512 v[16];
            for (int i = 0; i < 16; i++) v[i] = r0 + i < rows ? _mm512_loadu_ps(src + (size_t)(r0 + i) * cols16 + c0) : _mm512_setzero_ps();
            transpose16(v);
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (c0 + i) * rows16 + r0, v[i]);
        }
}
#endif

/* For each window, the channels are sorted by which of its four pixels wins, and each pixel's
 * channels' kernels are summed in registers before one addition to dxt per tap: adding each
 * channel's kernel to dxt on its own made the stores, each waiting on the store before it to
 * an overlapping pixel, the bottleneck. */
static inline void dgrad_body(const nn_conv_pooled *p, const float *wt, int n0, int nb, float *scratch, float *dx, int wide)
{
    const nn_conv_geom *g = p->geom;
    int cv = channels_padded(g), kk = g->kh * g->kw, nf = g->f, f16 = (nf + 15) / 16 * 16, koff[TAP_CAP];
    size_t nq = windows(g), nq16 = (nq + 15) / 16 * 16, taps = (size_t)taps_padded(g) * cv;   /* taps: a weight row */
    /* val, at, win: (F, nq16); val_t, win_t: (nq16, F16); fs, vs: 4 x F16 */
    float *dxt = scratch, *val = dxt + image_pixels(g) * cv, *val_t = val + (size_t)nf * nq16, *vs = val_t + nq16 * f16;
    int *at = (int *)(vs + 4 * (size_t)f16), *win = at + (size_t)nf * nq16, *win_t = win + (size_t)nf * nq16;
    int *fs = win_t + nq16 * f16;
    window_map map = window_map_make(g, fs + 4 * (size_t)f16);
    tap_offsets(g, koff);
    memset(val, 0, (size_t)nf * nq16 * sizeof(float));   /* the columns past nq, transposed but never read */
    memset(win, 0, (size_t)nf * nq16 * sizeof(int));
    for (int n = n0; n < n0 + nb; n++) {
        memset(dxt, 0, image_pixels(g) * cv * sizeof(float));
        for (int f = 0; f < nf; f++) winners(g, p, &map, n, f, win + (size_t)f * nq16, at + (size_t)f * nq16, val + (size_t)f * nq16, wide);
#if NN_ISA_X86
        if (wide) {
            transpose_blocks((const float *)win, nf, nq16, f16, (float *)win_t);
            transpose_blocks(val, nf, nq16, f16, val_t);
        }
#endif
        for (size_t q = 0; q < nq; q++) {
            int count[4] = {0};
#if NN_ISA_X86
            if (wide) sort_window_avx512(win_t, val_t, nf, f16, q, fs, vs, count);
            else
#endif
                sort_window_portable(win, val, nf, f16, nq16, q, fs, vs, count);
            for (int w = 0; w < 4; w++) {
                if (!count[w]) continue;
                float *dst = dxt + (size_t)(map.aoff[q] + map.woff[w]) * cv;
                for (int k0 = 0; k0 < kk; k0 += TAPS)
                    for (int c0 = 0; c0 < cv; c0 += BLOCK)
                        SCATTER_TAPS(wide, wt + (size_t)k0 * cv + c0, taps, fs + w * f16, vs + w * f16, count[w], cv, koff + k0,
                                     kk - k0 < TAPS ? kk - k0 : TAPS, dst + c0);
            }
        }
        FROM_CHANNELS_LAST(wide, g, dxt, n, dx);
    }
}

#define WGRAD_PARAMS (const nn_conv_pooled *p, const float *x, int n0, int nb, float *scratch, float *sums, int first)
#define DGRAD_PARAMS (const nn_conv_pooled *p, const float *wt, int n0, int nb, float *scratch, float *dx)
static void wgrad_portable WGRAD_PARAMS { wgrad_body(p, x, n0, nb, scratch, sums, first, 0); }
static void dgrad_portable DGRAD_PARAMS { dgrad_body(p, wt, n0, nb, scratch, dx, 0); }
#if NN_ISA_X86
NN_TARGET_AVX512 __attribute__((flatten)) static void wgrad_avx512 WGRAD_PARAMS
{
    wgrad_body(p, x, n0, nb, scratch, sums, first, 1);
}
NN_TARGET_AVX512 __attribute__((flatten)) static void dgrad_avx512 DGRAD_PARAMS { dgrad_body(p, wt, n0, nb, scratch, dx, 1); }
#endif
NN_ISA_FN_WITH_AVX512(, nn_conv_pooled_wgrad, wgrad_portable, wgrad_avx512, WGRAD_PARAMS, (p, x, n0, nb, scratch, sums, first))
NN_ISA_FN_WITH_AVX512(, nn_conv_pooled_dgrad, dgrad_portable, dgrad_avx512, DGRAD_PARAMS, (p, wt, n0, nb, scratch, dx))
