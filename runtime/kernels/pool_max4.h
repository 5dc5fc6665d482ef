/* pool_max4.h — AVX-512 pieces of 2x2 max pooling that pool_max2.c (the pool and its gradient
 * route) and conv_pooled.c (a convolution's gradients at each window's maximum) share: up to 16
 * windows of a pair of rows at a time, compared in row-major order with maxpool2d's rules (the
 * first maximum stays; a NaN wins). Include inside #if NN_ISA_X86. */
#ifndef NN_POOL_MAX4_H
#define NN_POOL_MAX4_H
#include <immintrin.h>
#include "../core/kernel_isa.h"

NN_TARGET_AVX512 static inline __mmask16 first_bits(int n) { return (__mmask16)((1u << n) - 1); }

/* Columns 2*j and 2*j+1 of a row, j < n <= 16, as two vectors (lanes >= n are 0). */
NN_TARGET_AVX512 static inline void load_pairs(const float *r, int n, __m512 *even, __m512 *odd)
{
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512 a = _mm512_maskz_loadu_ps(n >= 8 ? 0xFFFF : first_bits(2 * n), r);
    __m512 b = _mm512_maskz_loadu_ps(n <= 8 ? 0 : first_bits(2 * (n - 8)), r + 16);
    *even = _mm512_permutex2var_ps(a, ie, b);
    *odd = _mm512_permutex2var_ps(a, io, b);
}

NN_TARGET_AVX512 static inline __mmask16 wins16(__m512 v, __m512 best)
{
    return _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}

/* The window maximum of n <= 16 windows; w[k]: lanes where candidate k+1 took the lead. */
NN_TARGET_AVX512 static inline __m512 max4(const float *r0, const float *r1, int n, __mmask16 *w)
{
    __m512 e0, o0, e1, o1;
    load_pairs(r0, n, &e0, &o0);
    load_pairs(r1, n, &e1, &o1);
    __m512 b = e0;
    w[0] = wins16(o0, b);
    b = _mm512_mask_mov_ps(b, w[0], o0);
    w[1] = wins16(e1, b);
    b = _mm512_mask_mov_ps(b, w[1], e1);
    w[2] = wins16(o1, b);
    return _mm512_mask_mov_ps(b, w[2], o1);
}

#endif
