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
 * op(B) is (k, n): B itself when !trans_b ((k, n), rows ldb apart), else B^T (B (n, k)).
 * lists (or NULL): each panel's k list (below), NN_K_LIST_INTS(k) ints apart, made as the
 * values pass through the registers. */
void nn_panels_pack(float *dst, const float *b, int trans_b, size_t ldb, int k, int n, int j0, int j1, int *lists);

/* ---- zeros skipped ----
 * A tile sums op(A)[r][kk] P[kk][j] over kk in ascending order, one fused multiply-add each.
 * Where all of a tile's rows of op(A) are zero at kk, or all of a panel's columns of op(B),
 * that step adds an exact zero (0 w = +-0, and acc + +-0 = acc: the sum starts at +0 and
 * never becomes -0), so a tile may skip it and store the same bits. A k list names the kk
 * a tile must visit: a count, then that many kk, ascending, in NN_K_LIST_INTS(k) ints.
 * The inputs of a network on images with a blank background (MNIST: 19% of the pixels are not
 * zero; 47% of the (8 images, pixel) pairs) leave a dense layer's forward half of its
 * multiply-adds. One difference from the full sum: a weight that is infinite or NaN times a
 * skipped zero is not a NaN; such a weight makes the loss NaN anyway. */
#define NN_K_LIST_INTS(k) ((size_t)(k) + 17)   /* the count, k kk, and room for a last store of 16 */

/* The k lists of op(A)'s blocks of 8 rows (op(A) (m, k): A rows lda apart, or A^T when
 * trans_a) into lists ((m + 7) / 8 of them, NN_K_LIST_INTS(k) ints apart). Returns 0, or -1
 * when too few zeros are worth skipping (it stops looking within the first blocks then: an
 * activation costs a glance). */
int nn_panels_a_lists(int trans_a, int m, int k, const float *a, size_t lda, int *lists);

/* Which steps of k the tiles of a product may skip: a's lists for op(A)'s blocks of 8 rows
 * (row 0 of the op(A) a product is given), or else b's for its panels (the first of them at
 * j0); NULL: none. */
typedef struct {
    const int *a, *b;
} nn_k_lists;

/* C[:, j0:j1) = alpha op(A) P + beta C[:, j0:j1), P the panels packed for [j0, j1); op(A) is
 * (m, k): A (m, k) with rows lda apart, or A^T when trans_a (A (k, m)). With beta = 0 C is
 * only written (what it held, NaN included, does not matter). e (or NULL) is applied as each
 * tile is stored (parallel.h), its bias (n floats) and addend only with beta = 0, its gate's
 * and addend's row i being C's row i: C[i][j] = alpha (op(A) P)[i][j] + bias[j] (or
 * + addend[i][j]), the same bits as C filled with the bias (or addend) and beta = 1; then the
 * activation, then the gate. skip (or NULL): the steps of k its tiles may skip. */
void nn_panels_gemm(int trans_a, int m, int k, float alpha, const float *a, size_t lda, const float *packed, int n, int j0,
                    int j1, float beta, float *c, size_t ldc, const nn_gemm_epilogue *e, const nn_k_lists *skip);

#endif
