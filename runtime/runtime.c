/* Process-wide set-up: the threading policy (measurements in runtime/parallel.h). */
#include "nn/runtime.h"
#include "parallel.h"
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>

static int blas_fixed;        /* OPENBLAS_NUM_THREADS given: the user decides */
static int blas_current = -1; /* threads OpenBLAS is set to, -1 unknown */

void nn_runtime_init(void)
{
    blas_fixed = getenv("OPENBLAS_NUM_THREADS") != NULL;
    nn_blas_threads_for(0);
}

void nn_blas_threads_for(double flops)
{
    if (blas_fixed) return;
    int want = flops >= NN_GEMM_PAR_FLOPS ? omp_get_max_threads() : 1;
    if (want != blas_current) {
        openblas_set_num_threads(want);
        blas_current = want;
    }
}
