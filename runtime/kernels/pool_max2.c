/* 2x2 max pooling with stride 2 and no padding (pool_window.h), one pass over each pair of input
 * rows. Each window is compared in row-major order with the tie and NaN rule of the general path
 * (the first maximum wins; a NaN wins its window), so both paths pick the same argmax. The
 * windows do not overlap, so the route writes every input pixel exactly once: no zeroing pass
 * and no scatter. An odd last row or column belongs to no window (floor). */
#include "pool_window.h"
#include "../core/kernel_isa.h"

int nn_pool_is_2x2(const nn_pool_geom *G) { return G->k == 2 && G->s == 2 && G->p == 0; }

static inline int wins(float v, float best) { return (v > best) | (v != v); }

/* y (OW) = window maxima of input rows r0, r1 */
static inline void max2_row_portable(const float *restrict r0, const float *restrict r1, int ow, float *restrict y)
{
#pragma omp simd
    for (int j = 0; j < ow; j++) {
        float b = r0[2 * j], v = r0[2 * j + 1];
        b = wins(v, b) ? v : b;
        v = r1[2 * j];
        b = wins(v, b) ? v : b;
        v = r1[2 * j + 1];
        b = wins(v, b) ? v : b;
        y[j] = b;
    }
}

/* Input rows r0, r1 get h (OW) at each window's argmax and 0 elsewhere (d0, d1: their gradient). */
static inline void route2_row_portable(const float *restrict r0, const float *restrict r1, const float *restrict h, int ow,
                       float *restrict d0, float *restrict d1)
{
#pragma omp simd
    for (int j = 0; j < ow; j++) {
        float b = r0[2 * j], v = r0[2 * j + 1];
        int at = 0, w = wins(v, b);               /* at: 0 1 / 2 3 in row-major window order */
        b = w ? v : b;
        at = w ? 1 : at;
        v = r1[2 * j];
        w = wins(v, b);
        b = w ? v : b;
        at = w ? 2 : at;
        v = r1[2 * j + 1];
        at = wins(v, b) ? 3 : at;
        float g = h[j];
        d0[2 * j] = at == 0 ? g : 0.0f;
        d0[2 * j + 1] = at == 1 ? g : 0.0f;
        d1[2 * j] = at == 2 ? g : 0.0f;
        d1[2 * j + 1] = at == 3 ? g : 0.0f;
    }
}

#if NN_ISA_X86
/* The rows are short (OW = 3..14 in the CNNs here), too short for the compiler's 16-lane loops,
 * which then run scalar epilogues: a chunk of up to 16 windows is one masked vector instead. */
#include "pool_max4.h"
#define CHUNK 16

/* Stores even/odd lanes interleaved at r[2*j], r[2*j+1], j < n. */
NN_TARGET_AVX512 static inline void store_pairs(float *r, int n, __m512 even, __m512 odd)
{
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    _mm512_mask_storeu_ps(r, n >= 8 ? 0xFFFF : first_bits(2 * n), _mm512_permutex2var_ps(even, lo, odd));
    if (n > 8) _mm512_mask_storeu_ps(r + 16, first_bits(2 * (n - 8)), _mm512_permutex2var_ps(even, hi, odd));
}

NN_TARGET_AVX512 static inline void max2_row_avx512(const float *restrict r0, const float *restrict r1, int ow, float *restrict y)
{
    for (int j = 0; j < ow; j += CHUNK) {
        int n = ow - j < CHUNK ? ow - j : CHUNK;
        __mmask16 w[3];
        _mm512_mask_storeu_ps(y + j, first_bits(n), max4(r0 + 2 * j, r1 + 2 * j, n, w));
    }
}

NN_TARGET_AVX512 static inline void route2_row_avx512(const float *restrict r0, const float *restrict r1, const float *restrict h, int ow,
                       float *restrict d0, float *restrict d1)
{
    for (int j = 0; j < ow; j += CHUNK) {
        int n = ow - j < CHUNK ? ow - j : CHUNK;
        __mmask16 w[3];
        max4(r0 + 2 * j, r1 + 2 * j, n, w);
        __mmask16 at3 = w[2], at2 = w[1] & ~at3, at1 = w[0] & ~w[1] & ~at3, at0 = ~(w[0] | w[1] | at3);
        __m512 g = _mm512_maskz_loadu_ps(first_bits(n), h + j);
        store_pairs(d0 + 2 * j, n, _mm512_maskz_mov_ps(at0, g), _mm512_maskz_mov_ps(at1, g));
        store_pairs(d1 + 2 * j, n, _mm512_maskz_mov_ps(at2, g), _mm512_maskz_mov_ps(at3, g));
    }
}
#endif

#if NN_ISA_X86
#define MAX2_ROW(wide, ...) ((wide) ? max2_row_avx512(__VA_ARGS__) : max2_row_portable(__VA_ARGS__))
#define ROUTE2_ROW(wide, ...) ((wide) ? route2_row_avx512(__VA_ARGS__) : route2_row_portable(__VA_ARGS__))
#else
#define MAX2_ROW(wide, ...) ((void)(wide), max2_row_portable(__VA_ARGS__))
#define ROUTE2_ROW(wide, ...) ((void)(wide), route2_row_portable(__VA_ARGS__))
#endif

/* wide: the AVX-512 rows (a constant once inlined into the variant of each level) */
static inline void max2_plane(const float *x, const nn_pool_geom *G, float *y, int wide)
{
    size_t w = (size_t)G->w;
    for (int oh = 0; oh < G->oh; oh++) {
        const float *r0 = x + 2 * (size_t)oh * w;
        MAX2_ROW(wide, r0, r0 + w, G->ow, y + (size_t)oh * G->ow);
    }
}

static inline void route2_plane(const float *x, const float *h, const nn_pool_geom *G, float *dx, int wide)
{
    size_t w = (size_t)G->w;
    for (int oh = 0; oh < G->oh; oh++) {
        size_t r = 2 * (size_t)oh * w;
        float *d0 = dx + r, *d1 = d0 + w;
        ROUTE2_ROW(wide, x + r, x + r + w, h + (size_t)oh * G->ow, G->ow, d0, d1);
        for (int c = 2 * G->ow; c < G->w; c++) d0[c] = d1[c] = 0.0f;   /* odd width: the uncovered column */
    }
    for (size_t i = 2 * (size_t)G->oh * w; i < (size_t)G->h * w; i++) dx[i] = 0.0f;   /* odd height */
}

#define MAX2_PARAMS (const float *x, const nn_pool_geom *G, float *y)
#define ROUTE2_PARAMS (const float *x, const float *h, const nn_pool_geom *G, float *dx)
static void max2_plane_portable MAX2_PARAMS { max2_plane(x, G, y, 0); }
static void route2_plane_portable ROUTE2_PARAMS { route2_plane(x, h, G, dx, 0); }
#if NN_ISA_X86
NN_TARGET_AVX512 __attribute__((flatten)) static void max2_plane_avx512 MAX2_PARAMS { max2_plane(x, G, y, 1); }
NN_TARGET_AVX512 __attribute__((flatten)) static void route2_plane_avx512 ROUTE2_PARAMS { route2_plane(x, h, G, dx, 1); }
#endif
NN_ISA_FN_WITH_AVX512(, nn_pool_max2_plane, max2_plane_portable, max2_plane_avx512, MAX2_PARAMS, (x, G, y))
NN_ISA_FN_WITH_AVX512(, nn_pool_route2_plane, route2_plane_portable, route2_plane_avx512, ROUTE2_PARAMS, (x, h, G, dx))
