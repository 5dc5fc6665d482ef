/* gemm_panel.h — an AVX-512 GEMM for thin products, C (m, n) = alpha op(A) op(B) + beta C
 * with few rows (a batch of 32-256) or a short k: the dense layers' forward and backward and
 * the products over every step of a sequence (core/gemm.c routes nn_sgemm here, by columns or
 * by blocks of rows), and the recurrent ops' per-step product (recurrent_gemm.c).
 *
 * op(B) is packed into panels of 32 columns (k rows of 32 floats, zeros past n), and an 8 x 32
 * register tile streams a panel against 8 rows of op(A) read in place (A is never packed: a
 * broadcast per row and k, from rows of A or, transposed, from 8 consecutive floats). For such
 * shapes OpenBLAS (0.3.21, SkylakeX kernels) packs both operands on every call and ran
 * (64, 784) x (784, 512) at ~156 GFLOP/s on one core; the tile runs at ~220 with the pack.
 *
 * Every element of C is one tile's sum over k in ascending order, whichever panels a caller
 * packs or which thread runs them: the result does not depend on how the columns are split.
 * Only for the AVX-512 level (kernel_isa.h); the callers fall back to cblas_sgemm below it. */
#ifndef NN_GEMM_PANEL_H
#define NN_GEMM_PANEL_H

#include <stddef.h>
#include "../core/parallel.h"

#define NN_PANEL 32   /* columns per panel */

/* Floats the panels of op(B)'s columns [j0, j1) take (j0 a multiple of NN_PANEL). */
size_t nn_panels_floats(int k, int j0, int j1);

/* Packs op(B)'s columns [j0, j1) into dst (64-byte aligned, nn_panels_floats of them).
 * op(B) is (k, n): B itself when !trans_b ((k, n), rows ldb apart), else B^T (B (n, k)). */
void nn_panels_pack(float *dst, const float *b, int trans_b, size_t ldb, int k, int n, int j0, int j1);

/* C[:, j0:j1) = alpha op(A) P + beta C[:, j0:j1), P the panels packed for [j0, j1); op(A) is
 * (m, k): A (m, k) with rows lda apart, or A^T when trans_a (A (k, m)). With beta = 0 C is
 * only written (what it held, NaN included, does not matter). e (or NULL) is applied as each
 * tile is stored (parallel.h), its bias (n floats) and addend only with beta = 0, its gate's
 * and addend's row i being C's row i: C[i][j] = alpha (op(A) P)[i][j] + bias[j] (or
 * + addend[i][j]), the same bits as C filled with the bias (or addend) and beta = 1; then the
 * activation, then the gate. */
void nn_panels_gemm(int trans_a, int m, int k, float alpha, const float *a, size_t lda, const float *packed, int n, int j0,
                    int j1, float beta, float *c, size_t ldc, const nn_gemm_epilogue *e);

#endif
