/* recurrent_gemm.h — the per-step GEMM of the fused recurrent ops (op_rnn.c, op_lstm.c,
 * op_gru.c): C (m, n) += A (m, k) op(W), where m is a thread's slice of the batch (32 or 64
 * rows) and W the recurrent weight, the same for all T steps of a call.
 *
 * Why not cblas_sgemm per step: for such thin products OpenBLAS re-packs all of W (256 KB to
 * 1 MB) on every call, i.e. on every step, which costs about as much as the arithmetic at
 * m = 32. Here W is packed once per op call into 32-column panels and the AVX-512 panel
 * kernel (gemm_panel.h) streams them on every step. Below the AVX-512 level (kernel_isa.h)
 * the pack is a no-op and the product is cblas_sgemm on the original W. */
#ifndef NN_RECURRENT_GEMM_H
#define NN_RECURRENT_GEMM_H

#include <stddef.h>

/* W as the kernel reads it. trans: the product uses W^T (W is (n, k)); else W (k, n). */
typedef struct {
    const float *w;     /* the original, row-major */
    int trans, n, k;
    float *packed;      /* panels, or NULL when the fallback uses w directly */
} rec_weight;

/* Packs w for C += A op(W) with op(W) (k, n): W is (n, k) if trans, else (k, n). The packed
 * copy lives in a per-thread buffer of the calling thread, valid until its next call; other
 * threads may read it meanwhile. Returns 0, or -1 if that memory could not be had (the
 * product then falls back to cblas_sgemm, still correct). */
int rec_weight_pack(rec_weight *rw, const float *w, int trans, int n, int k);

/* C (m, n) += A (m, k) op(W); rows of A are lda floats apart, rows of C ldc apart. */
void rec_gemm(const rec_weight *rw, int m, const float *a, size_t lda, float *c, size_t ldc);

#endif
