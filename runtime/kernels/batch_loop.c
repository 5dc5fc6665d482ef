/* The batch loop (batch_loop.h): runs of consecutive entries as the pool's chunks (pool.h). */
#include "batch_loop.h"
#include "../core/parallel.h"
#include "../core/pool.h"
#include <stdatomic.h>

/* Below this much work in all a parallel job (a few microseconds) costs more than it saves. */
#define BATCH_PAR_FLOPS 2e5
/* At least this much work per chunk: tiny entries (a few hundred FLOPs) go in runs, so that
 * taking a chunk from the pool's counter stays a small part of the chunk's time. */
#define BATCH_CHUNK_FLOPS 5e4

typedef struct {
    nn_batch_fn fn;
    void *ctx;
    int n, per;           /* entries in all, per chunk */
    _Atomic int failed;   /* some call returned < 0 */
} batch_job;

/* entries [chunk * per, (chunk + 1) * per) of the job */
static void batch_chunk(const void *p, size_t chunk)
{
    batch_job *j = (batch_job *)p;
    int lo = (int)chunk * j->per, hi = lo + j->per < j->n ? lo + j->per : j->n, failed = 0;
    for (int i = lo; i < hi; i++) failed |= j->fn(j->ctx, i) < 0;
    if (failed) atomic_store_explicit(&j->failed, 1, memory_order_relaxed);
}

int nn_batch_loop(int n, double flops_each, nn_batch_fn fn, void *ctx)
{
    int threads = nn_pool_threads(), failed = 0;
    int few_big = n < threads && flops_each >= NN_GEMM_PAR_FLOPS;   /* the GEMMs split better */
    if (n < 2 || threads < 2 || few_big || n * flops_each < BATCH_PAR_FLOPS) {
        for (int i = 0; i < n; i++) failed |= fn(ctx, i) < 0;
        return failed ? -1 : 0;
    }
    /* entries per chunk: a function of the sizes alone (each entry's result is the same bits
     * on any thread: its GEMMs run single-threaded inside a job) */
    int per = flops_each >= BATCH_CHUNK_FLOPS ? 1 : (int)(BATCH_CHUNK_FLOPS / flops_each);
    if (per < 1) per = 1;
    batch_job j = {.fn = fn, .ctx = ctx, .n = n, .per = per};
    nn_pool_run((size_t)((n + per - 1) / per), batch_chunk, &j);
    return atomic_load_explicit(&j.failed, memory_order_relaxed) ? -1 : 0;
}
