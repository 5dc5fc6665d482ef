/* batch_loop.h — the one loop that spreads independent batch entries (the matrices of a batched
 * matmul, the (batch, head) pairs of attention) over the threads.
 *
 * Small matrices gain nothing from a GEMM split across cores (parallel.h), so when there are at
 * least as many entries as threads the pool's threads (pool.h) take runs of whole entries, with
 * single-threaded GEMMs inside (nn_sgemm runs on one core within a pool job). Few big entries
 * run in order on the calling thread, where each big GEMM may split itself. Either way each
 * entry's result is the same bits. */
#ifndef NN_BATCH_LOOP_H
#define NN_BATCH_LOOP_H

/* One entry's work; returns 0, or -1 (out of scratch memory). */
typedef int (*nn_batch_fn)(void *ctx, int i);

/* Calls fn(ctx, i) for every i in [0, n), each i once, on any thread. flops_each: the work of
 * one entry, which decides whether threads pay off. Returns 0, or -1 if some call failed (the
 * others still ran). */
int nn_batch_loop(int n, double flops_each, nn_batch_fn fn, void *ctx);

#endif
