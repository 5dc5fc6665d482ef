/* pool.h — the runtime's own thread pool: a job is a count of numbered chunks, taken from one
 * shared counter by the calling thread and by whichever workers are free.
 *
 * Why not OpenMP's: an OpenMP region ends at a barrier that waits for every thread of the team,
 * so when a neighbour keeps one of the two cores busy, every loop waits for the thread the
 * kernel has descheduled (a 34 us relu took ~1 ms). Here the caller never waits for a worker
 * that has not shown up: it takes chunks itself until none are left, then waits only for the
 * chunks a worker has taken and not yet finished. A descheduled worker therefore costs at most
 * the one chunk it holds, and chunks are small.
 *
 * With two threads the caller takes chunks from the front and the worker from the back, so
 * consecutive loops over the same data keep each half on one core (pool.c).
 *
 * Which thread runs which chunk depends on timing; what a chunk computes must not (chunks are
 * fixed by the job alone, and reductions keep one partial per chunk, added in chunk order), so
 * results are the same bits on any load and any thread count.
 *
 * Threads: omp_get_max_threads() of the caller at each job (OMP_NUM_THREADS, or
 * omp_set_num_threads(): one knob for every parallel loop of the runtime), the caller included;
 * workers are started on first need. Which core each runs on: pool_place.h. A job started from inside a job, from inside an OpenMP
 * parallel region, or while another thread's job holds the pool runs inline, in chunk order. */
#ifndef NN_POOL_H
#define NN_POOL_H
#include <stddef.h>

/* fn(ctx, chunk) for every chunk in [0, n_chunks), each exactly once; returns when all are
 * done (their writes visible to the caller). */
typedef void (*nn_pool_fn)(const void *ctx, size_t chunk);
void nn_pool_run(size_t n_chunks, nn_pool_fn fn, const void *ctx);

/* Threads a job started here would use, the caller included (1: it would run inline). */
int nn_pool_threads(void);

/* Starts the workers now (nn_runtime_init), so that the first job does not pay for it. */
void nn_pool_start(void);

/* For tests: while held, workers take no chunk, as if descheduled; the caller runs them all. */
void nn_pool_hold_workers(int hold);

/* For tests and profiles: how many jobs so far found a worker asleep and woke it (a system
 * call, ~10 us on a virtual machine). */
long nn_pool_wake_calls(void);

#endif
