/* pool_place.h — which core each of the pool's threads runs on, when a neighbour keeps one busy.
 *
 * The caller (the thread that runs the graph) does the serial work between parallel loops and
 * takes chunks like any worker. With a neighbour process keeping one of two cores busy, the
 * kernel often ran both our threads on the free core (lstm_imdb: each waited for it ~45% of
 * the time) or the caller beside the neighbour, whose serial work then ran at half speed.
 * lstm_imdb's 40 batches beside a busy loop on core 1 (scripts/bench_load.sh's setting) took
 * 8.0 s unpinned and 6.7-6.8 s with the caller held on core 0 and the worker on core 1 by hand,
 * against ~4.8 s quiet.
 *
 * So from its first job the pool gives each thread a core of its own (sched_setaffinity: the
 * caller keeps the one it is on), and the caller watches how long it waits for its core (the
 * kernel's run-queue delay, /proc/thread-self/schedstat) against its workers, every
 * POOL_PLACE_PERIOD_NS of jobs: when it waits much more than the least waiting worker, the two
 * swap cores; later swaps follow a neighbour that moves. Only when the pool has exactly as many
 * threads as the cores the process may use: with spare cores the kernel moves threads away
 * from a busy one better than pinning would; and not with OMP_PROC_BIND=false. Where the threads
 * run never changes what a chunk computes: results stay the same bits. */
#ifndef NN_POOL_PLACE_H
#define NN_POOL_PLACE_H
#include <stdint.h>

#define POOL_PLACE_PERIOD_NS 50000000   /* 50 ms */

/* A worker thread announces itself (its thread id), before its first job. */
void pool_place_worker(int id);

/* The caller, at each job it starts with `workers` workers: rarely more than a clock read;
 * once a period, reads the threads' waits and swaps cores if that pays. */
void pool_place_check(int workers);

/* Whether threads may be pinned, given OMP_PROC_BIND's value (NULL: unset): OpenMP's way of
 * saying threads must stay free to move is "false", and then none is pinned. */
int pool_place_allowed(const char *proc_bind);

/* The decision, on the waits of the last period (nanoseconds): the worker whose core the
 * caller should take, or -1. Swaps when the caller waited more than a fifth of the period and
 * more than twice the least waiting worker (so two threads sharing cores alike never swap). */
int pool_place_choose(uint64_t period_ns, uint64_t caller_wait, const uint64_t *worker_wait, int workers);

#endif
