/* Process-wide set-up: the pool's threads, OpenBLAS kept single-threaded (gemm.c says why). */
#include "nn/dist.h"
#include "nn/runtime.h"
#include "parallel.h"
#include "pool.h"
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static int blas_fixed;        /* OPENBLAS_NUM_THREADS given: the user decides */

int nn_blas_fixed(void) { return blas_fixed; }

void nn_runtime_init(void)
{
    int ranks_here = nn_dist_local_size();   /* ranks on this machine share its cores */
    if (ranks_here > 1 && !getenv("OMP_NUM_THREADS")) {
        int share = omp_get_num_procs() / ranks_here;
        omp_set_num_threads(share > 1 ? share : 1);
    }
    blas_fixed = getenv("OPENBLAS_NUM_THREADS") != NULL;
    if (!blas_fixed) openblas_set_num_threads(1);   /* every thread we run is the pool's */
    nn_pool_start();   /* now, so that the first job does not pay for creating the workers */
}

const char *nn_blas_description(void)
{
    static char text[96];
    int threads = blas_fixed ? openblas_get_num_threads() : nn_pool_threads();
    snprintf(text, sizeof text, "OpenBLAS %s, %d thread%s", openblas_get_corename(), threads, threads == 1 ? "" : "s");
    return text;
}

