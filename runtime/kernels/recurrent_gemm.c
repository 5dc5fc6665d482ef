/* The recurrent ops' per-step GEMM (see recurrent_gemm.h for why). */
#include "recurrent_gemm.h"
#include "../core/kernel_isa.h"
#include "../core/thread_scratch.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#if NN_ISA_X86
#include <immintrin.h>
#endif

#define PANEL 32   /* output columns per panel: two 16-float vectors */
#define ROWS 8     /* rows of A per register tile: 8 x 2 accumulators */

#if NN_ISA_X86
static float *pack_memory(size_t floats) { return nn_thread_scratch(NN_SCRATCH_RECURRENT_PACK, floats); }

/* panel j0 / PANEL holds, for each kk < k, op(W)[kk][j0 .. j0+31] (zeros past n) */
static void pack_panels(float *dst, const float *w, int trans, int n, int k)
{
    for (int j0 = 0; j0 < n; j0 += PANEL) {
        float *pd = dst + (size_t)j0 * k;
        int cols = n - j0 < PANEL ? n - j0 : PANEL;
        for (int kk = 0; kk < k; kk++) {
            float *row = pd + (size_t)kk * PANEL;
            for (int j = 0; j < cols; j++) row[j] = trans ? w[(size_t)(j0 + j) * k + kk] : w[(size_t)kk * n + j0 + j];
            for (int j = cols; j < PANEL; j++) row[j] = 0.0f;
        }
    }
}

/* C[rows x 32] += A[rows x k] P (P one packed panel); mask0/1 select the columns of C that
 * exist. rows is a constant after inlining, so the accumulators live in registers. */
NN_TARGET_AVX512 static inline __attribute__((always_inline)) void tile(int rows, int k, const float *a, size_t lda, const float *p,
                                                        float *c, size_t ldc, __mmask16 mask0, __mmask16 mask1)
{
    __m512 acc0[ROWS], acc1[ROWS];
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        __m512 b0 = _mm512_load_ps(p + (size_t)kk * PANEL), b1 = _mm512_load_ps(p + (size_t)kk * PANEL + 16);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(a[(size_t)r * lda + kk]);
            acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        _mm512_mask_storeu_ps(cr, mask0, _mm512_add_ps(_mm512_maskz_loadu_ps(mask0, cr), acc0[r]));
        _mm512_mask_storeu_ps(cr + 16, mask1, _mm512_add_ps(_mm512_maskz_loadu_ps(mask1, cr + 16), acc1[r]));
    }
}

NN_TARGET_AVX512 static void tile_rows(int rows, int k, const float *a, size_t lda, const float *p, float *c, size_t ldc, __mmask16 m0,
                      __mmask16 m1)
{
    switch (rows) {
    case 8: tile(8, k, a, lda, p, c, ldc, m0, m1); break;
    case 7: tile(7, k, a, lda, p, c, ldc, m0, m1); break;
    case 6: tile(6, k, a, lda, p, c, ldc, m0, m1); break;
    case 5: tile(5, k, a, lda, p, c, ldc, m0, m1); break;
    case 4: tile(4, k, a, lda, p, c, ldc, m0, m1); break;
    case 3: tile(3, k, a, lda, p, c, ldc, m0, m1); break;
    case 2: tile(2, k, a, lda, p, c, ldc, m0, m1); break;
    default: tile(1, k, a, lda, p, c, ldc, m0, m1); break;
    }
}

NN_TARGET_AVX512 static __mmask16 cols_mask(int cols) { return cols >= 16 ? (__mmask16)0xFFFF : cols <= 0 ? 0 : (__mmask16)((1u << cols) - 1); }
#endif

#if NN_ISA_X86
/* C (m, n) += A op(W) through the packed panels */
NN_TARGET_AVX512 static void packed_gemm(const rec_weight *rw, int m, const float *a, size_t lda, float *c, size_t ldc)
{
    for (int j0 = 0; j0 < rw->n; j0 += PANEL) {
        const float *p = rw->packed + (size_t)j0 * rw->k;
        __mmask16 m0 = cols_mask(rw->n - j0), m1 = cols_mask(rw->n - j0 - 16);
        for (int i0 = 0; i0 < m; i0 += ROWS)
            tile_rows(m - i0 < ROWS ? m - i0 : ROWS, rw->k, a + (size_t)i0 * lda, lda, p, c + (size_t)i0 * ldc + j0, ldc, m0, m1);
    }
}
#endif

int rec_weight_pack(rec_weight *rw, const float *w, int trans, int n, int k)
{
    *rw = (rec_weight){w, trans, n, k, NULL};
#if NN_ISA_X86
    if (nn_isa() < NN_ISA_AVX512) return 0;   /* rec_gemm calls OpenBLAS */
    size_t panels = ((size_t)n + PANEL - 1) / PANEL;
    rw->packed = pack_memory(panels * PANEL * (size_t)k);
    if (!rw->packed) return -1;
    pack_panels(rw->packed, w, trans, n, k);
#endif
    return 0;
}

void rec_gemm(const rec_weight *rw, int m, const float *a, size_t lda, float *c, size_t ldc)
{
    if (m <= 0 || rw->n <= 0) return;
#if NN_ISA_X86
    if (rw->packed) {   /* packed by the AVX-512 level */
        packed_gemm(rw, m, a, lda, c, ldc);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, rw->trans ? CblasTrans : CblasNoTrans, m, rw->n, rw->k, 1.0f, a, (int)lda, rw->w,
                rw->trans ? rw->k : rw->n, 1.0f, c, (int)ldc);
}
