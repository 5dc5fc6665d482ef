/* The thread pool of pool.h: its workers, the one job slot and the counters chunks are taken
 * from, and how idle threads sleep and are woken (Linux futexes).
 *
 * A job is published under a new generation number. Two words carry it: `size` holds
 * (generation << 32 | chunks) and the claim word (generation << 32 | next chunk). The caller
 * takes chunks from the claim word with fetch_add (the job cannot change under it), a worker
 * with a compare-and-swap that also checks the generation, after reading the chunk count from
 * `size` under the same generation: so a worker that wakes late, after its job ended, can
 * never take a chunk of the next one, nor a chunk past the end of its own because it read the
 * next job's count. The caller counts the chunks it ran itself, and once the counter is past
 * the end waits until the workers have finished the rest (`done`): those are chunks a worker
 * holds, never ones nobody took.
 *
 * Memory orders, and why each suffices:
 * - The job's fields (size, fn, ctx, workers) are written, relaxed, before the release store
 *   of the claim word; a worker reads `size` after an acquire load of that word, so it sees
 *   this job's or a later job's, which its generation tells apart. It reads fn and ctx only
 *   after its CAS succeeded: the caller writes the next job's only once `done` shows this
 *   job's chunks finished, which happens after the worker's reads. They are atomics only so
 *   that a late worker's read of a changing field is not a data race.
 * - The caller's own fetch_adds on the claim word are relaxed: they order nothing for the
 *   caller, and as read-modify-writes they extend the release sequence of the publishing
 *   store, so a worker's acquire CAS that reads their value still synchronises with it.
 * - A worker adds 1 to `done` after its chunk (release: the chunk's writes), the caller loads
 *   it with acquire before returning, so every chunk's results are visible to the caller.
 * - Sleeping is the Dekker pattern, in seq_cst on both sides: a worker announces itself in
 *   `sleepers` and then re-reads the generation; the caller stores the generation and then
 *   reads `sleepers`. One of the two must see the other's write, so either the worker does not
 *   sleep or the caller wakes it; the futex itself re-checks the word in the kernel, closing
 *   the gap between the check and the sleep. The caller's own sleep on `done` (when a worker
 *   holds a chunk for long) uses the same pattern with `caller_sleeps`.
 * The generation and chunk number wrap at 2^32: a stale CAS would need a worker stalled for
 * 2^32 jobs between its load and its CAS.
 *
 * Which chunk a claim runs: with several workers, the claim word's number. With one (two
 * threads in all, the common case), the caller runs chunks from the front (its k-th claim runs
 * chunk k) and the worker from the back (its k-th, chunk n-1-k): at most n claims succeed, so
 * the two ends never overlap, and together they cover every chunk. Each thread so works on the
 * same end of every job, and a loop over the rows another loop just wrote finds its half in
 * its own core's cache instead of fetching lines the other core holds (taken alternately, the
 * chunks of one job were spread over both). gan_mlp's epoch: 7-14% faster over 8 alternated
 * pairs; vae's 6-8%. A slowed thread still takes fewer chunks: the ends meet where the work
 * ran out. */
#include "pool.h"
#include "pool_place.h"
#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX_THREADS 64
/* How long an idle worker (or a caller waiting for a worker's chunk) spins before it sleeps.
 * Measured on the 2-core target, seconds (median of 4, alternated), quiet / one core kept busy:
 *              mlp_ae epoch     gan_mlp 300 batches
 *     10 us    0.561 / 0.721    2.12 / 3.13
 *     20 us    0.522 / 0.735    2.06 / 3.21
 *     30 us    0.527 / 0.741    2.01 / 3.67
 *    100 us    0.510 / 0.974    1.99 / 4.05
 * Longer spins help a quiet machine a little and cost a busy one much: a spinning worker burns
 * the share of the core it shares with the neighbour. */
#define POOL_SPIN_NS 20000
/* Then it yields its core, up to POOL_YIELD_NS, before it sleeps, unless a yield comes back
 * after POOL_YIELD_BUSY_NS (another thread wanted the core). Waking a sleeper is a system call
 * that cost the caller 9-10 us on the development machine (a virtual machine), and the worker
 * showed up 16-20 us later; a training step's gaps between parallel ops often outlast the spin
 * (vae: ~1,900 wakes an epoch, gan_mlp ~3,200). With the yield, alternated pairs: vae's epoch
 * 1-7% faster in 3 of 4, gan_mlp's 2-3% in 3 of 3; with a busy loop on the other core
 * (scripts/bench_load.sh's neighbour) mlp_ae 0.400-0.415 -> 0.401-0.408 s, gan_mlp alike. */
#define POOL_YIELD_NS 2000000
#define POOL_YIELD_BUSY_NS 50000
#define POOL_MAX_CHUNKS 0x7fffffffu   /* the chunk number is the claim word's low half */

static struct {
    _Alignas(64) _Atomic uint64_t claim;   /* generation << 32 | next chunk */
    _Alignas(64) _Atomic uint32_t done;    /* chunks of this job finished by workers; the caller's futex */
    _Atomic int caller_sleeps;
    _Alignas(64) _Atomic uint32_t generation;   /* of the last job published; the workers' futex */
    _Atomic int sleepers;                      /* workers asleep on it, or about to be */
    _Atomic uint64_t size;                     /* the job: generation << 32 | chunks */
    _Atomic(nn_pool_fn) fn;
    _Atomic(const void *) ctx;
    _Atomic int workers;                       /* workers 0 .. workers-1 may take chunks */
    _Atomic int hold;                          /* nn_pool_hold_workers */
    atomic_flag busy;                          /* a job is running: other callers run inline */
    _Atomic int started;                       /* workers running */
    _Atomic long wake_calls;                   /* nn_pool_wake_calls */
    int start_failed;
    pthread_mutex_t grow;
} pool = {.busy = ATOMIC_FLAG_INIT, .grow = PTHREAD_MUTEX_INITIALIZER};

/* Set in workers, and in a caller while it runs a job: anything a chunk starts runs inline. */
static _Thread_local int in_job;

static void futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
    syscall(SYS_futex, (void *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int count)
{
    syscall(SYS_futex, (void *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* For spin loops: called now and then, says whether POOL_SPIN_NS have passed since the first call. */
static int spun_out(uint64_t *start)
{
    uint64_t now = now_ns();
    if (!*start) *start = now;
    return now - *start > POOL_SPIN_NS;
}

/* After the spin (begun at start): yields the core, and says whether to go on waiting so
 * rather than asleep. Not once POOL_YIELD_NS have passed, nor when the yield came back late:
 * another thread wanted the core and got it, and a thread that sleeps runs as soon as it is
 * woken, where one that keeps yielding waits for its turn. */
static int yield_again(uint64_t start)
{
    uint64_t t0 = now_ns();
    if (t0 - start > POOL_YIELD_NS) return 0;
    sched_yield();
    return now_ns() - t0 < POOL_YIELD_BUSY_NS;
}

/* A worker's share of job `gen`: chunks until none are left or the job is over. */
static void take_chunks(uint32_t gen)
{
    uint64_t w = atomic_load_explicit(&pool.claim, memory_order_acquire);
    for (uint32_t mine = 0;; mine++) {
        uint64_t size = atomic_load_explicit(&pool.size, memory_order_relaxed);
        for (;;) {
            if ((uint32_t)(w >> 32) != gen || (uint32_t)(size >> 32) != gen || (uint32_t)w >= (uint32_t)size) return;
            if (atomic_compare_exchange_weak_explicit(&pool.claim, &w, w + 1, memory_order_acquire, memory_order_acquire))
                break;
            /* w now holds the current word */
        }
        nn_pool_fn fn = atomic_load_explicit(&pool.fn, memory_order_relaxed);
        int alone = atomic_load_explicit(&pool.workers, memory_order_relaxed) == 1;   /* from the back */
        fn(atomic_load_explicit(&pool.ctx, memory_order_relaxed), alone ? (uint32_t)size - 1 - mine : (uint32_t)w);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&pool.caller_sleeps, memory_order_seq_cst)) futex_wake(&pool.done, 1);
        w = atomic_load_explicit(&pool.claim, memory_order_acquire);
    }
}

/* The next generation after `seen`: spins a little (jobs often come back to back), yields a
 * while (a training step's gaps), then sleeps. */
static uint32_t next_job(uint32_t seen)
{
    uint64_t start = 0;
    for (unsigned i = 1;; i++) {
        uint32_t g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
        if (i % 64 == 0 && spun_out(&start)) break;
    }
    while (yield_again(start)) {   /* the core goes to whoever else wants it, and waking us costs no call */
        uint32_t g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g != seen) return g;
    }
    for (;;) {
        atomic_fetch_add_explicit(&pool.sleepers, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&pool.generation, memory_order_seq_cst) == seen) futex_wait(&pool.generation, seen);
        atomic_fetch_sub_explicit(&pool.sleepers, 1, memory_order_relaxed);   /* only a hint to wake */
        uint32_t g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g != seen) return g;
    }
}

static void *worker_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    in_job = 1;
    pool_place_worker(id);
    uint32_t seen = atomic_load_explicit(&pool.generation, memory_order_acquire);
    for (;;) {
        seen = next_job(seen);
        /* read after the acquire of the generation, so a hold set before the job is seen */
        if (id < atomic_load_explicit(&pool.workers, memory_order_relaxed) &&
            !atomic_load_explicit(&pool.hold, memory_order_relaxed))
            take_chunks(seen);
    }
    return NULL;
}

/* Starts workers up to `wanted` (once; a failure to start one is not retried). Returns how
 * many run. Signals are blocked in workers, so they go to the program's own threads. */
static int workers_up_to(int wanted)
{
    if (wanted > POOL_MAX_THREADS - 1) wanted = POOL_MAX_THREADS - 1;
    int have = atomic_load_explicit(&pool.started, memory_order_acquire);
    if (have >= wanted) return wanted;
    pthread_mutex_lock(&pool.grow);
    have = atomic_load_explicit(&pool.started, memory_order_relaxed);
    if (have < wanted && !pool.start_failed) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        for (; have < wanted; have++) {
            pthread_t t;
            if (pthread_create(&t, NULL, worker_main, (void *)(intptr_t)have) != 0) {
                pool.start_failed = 1;
                break;
            }
            pthread_detach(t);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        atomic_store_explicit(&pool.started, have, memory_order_release);
    }
    pthread_mutex_unlock(&pool.grow);
    return have < wanted ? have : wanted;
}

int nn_pool_threads(void)
{
    if (in_job || omp_in_parallel()) return 1;
    int t = omp_get_max_threads();
    return t < POOL_MAX_THREADS ? t : POOL_MAX_THREADS;
}

void nn_pool_start(void) { workers_up_to(nn_pool_threads() - 1); }

void nn_pool_hold_workers(int hold) { atomic_store_explicit(&pool.hold, hold, memory_order_relaxed); }

static void run_inline(size_t n_chunks, nn_pool_fn fn, const void *ctx)
{
    for (size_t c = 0; c < n_chunks; c++) fn(ctx, c);
}

/* Waits until the workers have finished `target` chunks of this job: spins while they are
 * probably about to finish, yields while a chunk may still be running, then sleeps until the
 * last one wakes it. */
static void wait_for_workers(uint32_t target)
{
    uint64_t start = 0;
    for (unsigned i = 1; atomic_load_explicit(&pool.done, memory_order_acquire) < target; i++) {
        cpu_relax();
        if (i % 64 != 0 || !spun_out(&start)) continue;
        if (yield_again(start)) continue;   /* a chunk of a big product: ~50 us */
        atomic_store_explicit(&pool.caller_sleeps, 1, memory_order_seq_cst);
        uint32_t d = atomic_load_explicit(&pool.done, memory_order_seq_cst);
        if (d < target) futex_wait(&pool.done, d);
        atomic_store_explicit(&pool.caller_sleeps, 0, memory_order_relaxed);
    }
}

void nn_pool_run(size_t n_chunks, nn_pool_fn fn, const void *ctx)
{
    int threads = n_chunks > 1 && n_chunks <= POOL_MAX_CHUNKS ? nn_pool_threads() : 1;
    int workers = threads > 1 ? workers_up_to(threads - 1) : 0;
    if (workers < 1 || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        run_inline(n_chunks, fn, ctx);
        return;
    }
    pool_place_check(workers);   /* now and then: the caller onto a free core */
    uint32_t n = (uint32_t)n_chunks, mine = 0;
    uint32_t gen = atomic_load_explicit(&pool.generation, memory_order_relaxed) + 1;   /* only we write it */
    atomic_store_explicit(&pool.size, (uint64_t)gen << 32 | n, memory_order_relaxed);
    atomic_store_explicit(&pool.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool.ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&pool.workers, workers, memory_order_relaxed);
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.claim, (uint64_t)gen << 32, memory_order_release);
    atomic_store_explicit(&pool.generation, gen, memory_order_seq_cst);
    if (atomic_load_explicit(&pool.sleepers, memory_order_seq_cst) > 0) {
        futex_wake(&pool.generation, INT_MAX);
        atomic_fetch_add_explicit(&pool.wake_calls, 1, memory_order_relaxed);
    }
    in_job = 1;
    for (;;) {
        uint32_t c = (uint32_t)atomic_fetch_add_explicit(&pool.claim, 1, memory_order_relaxed);
        if (c >= n) break;
        fn(ctx, workers == 1 ? mine : c);   /* one worker: the caller from the front */
        mine++;
    }
    in_job = 0;
    wait_for_workers(n - mine);
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}

long nn_pool_wake_calls(void) { return atomic_load_explicit(&pool.wake_calls, memory_order_relaxed); }
