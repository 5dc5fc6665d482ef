/* The batch loop (batch_loop.h): OpenMP's static schedule over the entries. */
#include "batch_loop.h"
#include "../core/parallel.h"
#include <omp.h>

/* Below this much work in all a parallel region (a few microseconds) costs more than it saves. */
#define BATCH_PAR_FLOPS 2e5

int nn_batch_loop(int n, double flops_each, nn_batch_fn fn, void *ctx)
{
    int threads = omp_get_max_threads(), failed = 0;
    int few_big = n < threads && flops_each >= NN_GEMM_PAR_FLOPS;   /* the GEMMs split better */
    if (n < 2 || threads < 2 || omp_in_parallel() || few_big || n * flops_each < BATCH_PAR_FLOPS) {
        for (int i = 0; i < n; i++) failed |= fn(ctx, i) < 0;
        return failed ? -1 : 0;
    }
#pragma omp parallel for schedule(static) reduction(| : failed)
    for (int i = 0; i < n; i++) failed |= fn(ctx, i) < 0;
    return failed ? -1 : 0;
}
