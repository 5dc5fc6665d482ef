/* The loop helpers of parallel.h over the pool (pool.h): ranges cut into fixed chunks, and
 * reductions with one partial sum per chunk. */
#include "parallel.h"
#include "pool.h"

typedef struct {
    nn_par_range_fn range;
    nn_par_sum_fn sum;
    const void *ctx;
    size_t items, per;   /* items in all, per chunk */
    double *part;        /* sum: one partial per chunk */
} chunked;

/* Items per chunk: about NN_PAR_MIN floats' worth, but no more than NN_PAR_MAX_CHUNKS chunks
 * (a multiple of 16 items then, so that float chunks start on a cache line). A function of
 * the loop's size alone: the chunks, and so every partial sum, never depend on the threads. */
static size_t items_per_chunk(size_t items, size_t floats_per_item)
{
    size_t per = floats_per_item >= NN_PAR_MIN ? 1 : NN_PAR_MIN / (floats_per_item ? floats_per_item : 1);
    size_t fewest = (items + NN_PAR_MAX_CHUNKS - 1) / NN_PAR_MAX_CHUNKS;
    if (per < fewest) per = (fewest + 15) / 16 * 16;
    return per;
}

static void bounds(const chunked *j, size_t chunk, size_t *lo, size_t *hi)
{
    *lo = chunk * j->per;
    *hi = *lo + j->per < j->items ? *lo + j->per : j->items;
}

static void range_chunk(const void *p, size_t chunk)
{
    const chunked *j = p;
    size_t lo, hi;
    bounds(j, chunk, &lo, &hi);
    j->range(j->ctx, lo, hi);
}

static void sum_chunk(const void *p, size_t chunk)
{
    const chunked *j = p;
    size_t lo, hi;
    bounds(j, chunk, &lo, &hi);
    j->part[chunk] = j->sum(j->ctx, lo, hi);
}

void nn_par_items(size_t items, size_t floats_per_item, nn_par_range_fn fn, const void *ctx)
{
    if (items < 2 || items * floats_per_item <= NN_PAR_MIN || nn_pool_threads() < 2) {
        if (items) fn(ctx, 0, items);
        return;
    }
    size_t per = items_per_chunk(items, floats_per_item);
    nn_pool_run((items + per - 1) / per, range_chunk, &(chunked){.range = fn, .ctx = ctx, .items = items, .per = per});
}

void nn_par_for(size_t n, nn_par_range_fn fn, const void *ctx) { nn_par_items(n, 1, fn, ctx); }

double nn_par_sum(size_t n, nn_par_sum_fn fn, const void *ctx)
{
    if (n <= NN_PAR_MIN) return fn(ctx, 0, n);
    size_t per = items_per_chunk(n, 1), chunks = (n + per - 1) / per;
    double part[NN_PAR_MAX_CHUNKS];
    nn_pool_run(chunks, sum_chunk, &(chunked){.sum = fn, .ctx = ctx, .items = n, .per = per, .part = part});
    double s = 0.0;
    for (size_t c = 0; c < chunks; c++) s += part[c];
    return s;
}
