/* The recurrent ops' per-step GEMM (see recurrent_gemm.h for why). */
#include "recurrent_gemm.h"
#include "gemm_panel.h"
#include "../core/kernel_isa.h"
#include "../core/thread_scratch.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#if NN_ISA_X86
static float *pack_memory(size_t floats) { return nn_thread_scratch(NN_SCRATCH_RECURRENT_PACK, floats); }
#endif

int rec_weight_pack(rec_weight *rw, const float *w, int trans, int n, int k)
{
    *rw = (rec_weight){w, trans, n, k, NULL};
#if NN_ISA_X86
    if (nn_isa() < NN_ISA_AVX512) return 0;   /* rec_gemm calls OpenBLAS */
    rw->packed = pack_memory(nn_panels_floats(k, 0, n));
    if (!rw->packed) return -1;
    nn_panels_pack(rw->packed, w, trans, (size_t)(trans ? k : n), k, n, 0, n, NULL);
#endif
    return 0;
}

void rec_gemm(const rec_weight *rw, int m, const float *a, size_t lda, float *c, size_t ldc)
{
    if (m <= 0 || rw->n <= 0) return;
#if NN_ISA_X86
    if (rw->packed) {   /* packed by the AVX-512 level */
        nn_panels_gemm(0, m, rw->k, 1.0f, a, lda, rw->packed, rw->n, 0, rw->n, 1.0f, c, ldc, NULL, NULL);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, rw->trans ? CblasTrans : CblasNoTrans, m, rw->n, rw->k, 1.0f, a, (int)lda, rw->w,
                rw->trans ? rw->k : rw->n, 1.0f, c, (int)ldc);
}
