/* The runtime's thread pool (runtime/core/pool.h) and the loop helpers over it (parallel.h):
 * every chunk runs exactly once whatever the size, nested jobs run inline, a job completes on
 * the caller alone when no worker shows up, idle workers go to sleep, two threads take the two ends of a job, and a
 * reduction gives the same bits on 1, 2 or 3 threads, with or without another thread keeping a
 * core busy. */
#define _GNU_SOURCE   /* pthread_setaffinity_np */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "busy_core.h"
#include "nn/rng.h"
#include "nn/runtime.h"
#include "../runtime/core/parallel.h"
#include "../runtime/core/pool.h"
#include "../runtime/core/pool_place.h"
#include <sched.h>
#include <time.h>

/* Checks that fail on a worker thread count here (cmocka's asserts belong to the test's thread). */
static atomic_int bad;

/* ---- every chunk once ---- */
typedef struct {
    _Atomic int *count;       /* per chunk (or per index) */
    pthread_t *ran_on;        /* per chunk, when recorded */
    unsigned sleep_us;        /* per chunk, to leave time for other threads */
} job_ctx;

static void count_chunk(const void *p, size_t chunk)
{
    const job_ctx *j = p;
    if (j->sleep_us) usleep(j->sleep_us);
    if (j->ran_on) j->ran_on[chunk] = pthread_self();
    atomic_fetch_add(&j->count[chunk], 1);   /* last: the caller must have waited for it */
}

static void expect_each_chunk_once(size_t n_chunks)
{
    _Atomic int *count = calloc(n_chunks + 1, sizeof *count);
    assert_non_null(count);
    nn_pool_run(n_chunks, count_chunk, &(job_ctx){.count = count});
    for (size_t c = 0; c < n_chunks; c++) assert_int_equal(count[c], 1);
    assert_int_equal(count[n_chunks], 0);
    free(count);
}

static void test_every_chunk_runs_exactly_once(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 7, 64, 1000, 100003};
    for (int threads = 1; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) expect_each_chunk_once(sizes[i]);
        for (int rep = 0; rep < 2000; rep++) expect_each_chunk_once(2 + rep % 5);   /* many short jobs back to back */
    }
    omp_set_num_threads(2);
}

/* Jobs of alternating sizes back to back: a worker late from one job must never take a chunk of
 * the next one, nor a chunk past the end of its own because it saw the next one's size. The
 * race is narrow: a pool that read the size apart from the generation failed here about once
 * in a million jobs, so a million run (about a second). */
static void test_back_to_back_jobs_of_other_sizes_keep_apart(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    for (int rep = 0; rep < 1000000; rep++) {
        size_t n = rep % 2 ? 2 : 9;
        _Atomic int count[16] = {0};
        nn_pool_run(n, count_chunk, &(job_ctx){.count = count});
        for (size_t c = 0; c < 16; c++)
            if (count[c] != (c < n)) fail_msg("job %d of %zu chunks: chunk %zu ran %d times", rep, n, c, (int)count[c]);
    }
}

/* ---- the loop helpers cover their range once ---- */
typedef struct {
    _Atomic int *count;
    size_t items;
} cover_ctx;

static void count_range(const void *p, size_t lo, size_t hi)
{
    const cover_ctx *c = p;
    if (!(lo < hi && hi <= c->items)) atomic_fetch_add(&bad, 1);
    for (size_t i = lo; i < hi; i++) atomic_fetch_add(&c->count[i], 1);
}

static void test_loops_cover_every_index_once(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, NN_PAR_MIN, NN_PAR_MIN + 1, 5 * NN_PAR_MIN + 17, (size_t)NN_PAR_MAX_CHUNKS * NN_PAR_MIN * 3 + 5};
    static const size_t per_item[] = {1, 3, 100, NN_PAR_MIN, 4 * NN_PAR_MIN};
    omp_set_num_threads(2);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (size_t f = 0; f < sizeof per_item / sizeof *per_item; f++) {
            size_t items = per_item[f] == 1 ? sizes[s] : sizes[s] / per_item[f] + 1;
            _Atomic int *count = calloc(items + 1, sizeof *count);
            assert_non_null(count);
            cover_ctx c = {count, items};
            if (per_item[f] == 1) nn_par_for(items, count_range, &c);
            else nn_par_items(items, per_item[f], count_range, &c);
            for (size_t i = 0; i < items; i++) assert_int_equal(count[i], 1);
            assert_int_equal(atomic_load(&bad), 0);
            free(count);
        }
    }
}

/* ---- nested jobs run inline, on the thread that runs the outer chunk ---- */
typedef struct {
    _Atomic int *count;       /* outer * INNER + inner */
    pthread_t *ran_on;
} nested_ctx;

enum { OUTER = 24, INNER = 9 };

typedef struct {
    const nested_ctx *n;
    size_t outer;
} inner_ctx;

static void inner_chunk(const void *p, size_t chunk)
{
    const inner_ctx *in = p;
    atomic_fetch_add(&in->n->count[in->outer * INNER + chunk], 1);
    in->n->ran_on[in->outer * INNER + chunk] = pthread_self();
}

static void outer_chunk(const void *p, size_t chunk)
{
    const nested_ctx *n = p;
    if (nn_pool_threads() != 1) atomic_fetch_add(&bad, 1);
    nn_pool_run(INNER, inner_chunk, &(inner_ctx){n, chunk});
    for (size_t i = 0; i < INNER; i++) atomic_fetch_add(&bad, !pthread_equal(n->ran_on[chunk * INNER + i], pthread_self()));
}

static void test_nested_jobs_run_inline(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    _Atomic int count[OUTER * INNER] = {0};
    pthread_t ran_on[OUTER * INNER];
    nn_pool_run(OUTER, outer_chunk, &(nested_ctx){count, ran_on});
    for (int i = 0; i < OUTER * INNER; i++) assert_int_equal(count[i], 1);
    assert_int_equal(atomic_load(&bad), 0);
    /* and from inside an OpenMP region: inline too */
    int threads_seen = 0;
#pragma omp parallel num_threads(2) reduction(max : threads_seen)
    threads_seen = nn_pool_threads();
    assert_int_equal(threads_seen, 1);
}

/* ---- workers do take chunks; without them the caller does all ---- */
static int chunks_run_elsewhere(size_t n_chunks, unsigned sleep_us)
{
    _Atomic int count[16] = {0};
    pthread_t ran_on[16];
    assert_true(n_chunks <= 16);
    nn_pool_run(n_chunks, count_chunk, &(job_ctx){count, ran_on, sleep_us});
    int elsewhere = 0;
    for (size_t c = 0; c < n_chunks; c++) {
        assert_int_equal(count[c], 1);
        elsewhere += !pthread_equal(ran_on[c], pthread_self());
    }
    return elsewhere;
}

static void test_workers_take_chunks(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    int elsewhere = 0;
    /* each chunk sleeps 0.5 ms, so an awake worker takes some; a worker slow to wake on a
     * loaded machine gets up to 200 jobs' time */
    for (int rep = 0; rep < 200 && !elsewhere; rep++) elsewhere = chunks_run_elsewhere(8, 500);
    assert_true(elsewhere > 0);
}

/* With two threads, the caller's chunks are the front of the job and the worker's the back
 * (a loop over rows another loop wrote keeps each half on one core): in chunk order, a run of
 * the caller's, then one of the worker's. */
static void test_two_threads_take_the_two_ends(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    int jobs_shared = 0;
    for (int rep = 0; rep < 400 && jobs_shared < 5; rep++) {
        _Atomic int count[12] = {0};
        pthread_t ran_on[12];
        nn_pool_run(12, count_chunk, &(job_ctx){count, ran_on, 200});
        size_t c = 0;
        while (c < 12 && pthread_equal(ran_on[c], pthread_self())) c++;
        jobs_shared += c > 0 && c < 12;
        for (; c < 12; c++) assert_false(pthread_equal(ran_on[c], pthread_self()));
    }
    assert_true(jobs_shared > 0);
}

static void test_job_completes_on_the_caller_when_no_worker_shows_up(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    nn_pool_hold_workers(1);
    for (int rep = 0; rep < 5; rep++) assert_int_equal(chunks_run_elsewhere(16, 300), 0);
    nn_pool_hold_workers(0);
}

/* Between jobs a worker waits by spinning, then by yielding its core (the next job then needs
 * no system call to wake it), and after a few milliseconds in all it sleeps (pool.c): a worker
 * idle for 50 ms is asleep, and the next job wakes it. */
static void test_idle_workers_go_to_sleep(void **state)
{
    (void)state;
    omp_set_num_threads(2);
    int woken = 0;   /* a worker the kernel kept off its core for 50 ms would not be asleep yet */
    for (int rep = 0; rep < 3; rep++) {
        expect_each_chunk_once(64);
        long before = nn_pool_wake_calls();
        struct timespec idle = {0, 50000000};
        nanosleep(&idle, NULL);
        expect_each_chunk_once(64);
        long calls = nn_pool_wake_calls() - before;
        assert_true(calls == 0 || calls == 1);
        woken += (int)calls;
    }
    assert_true(woken >= 2);
}

/* ---- where the threads run (pool_place.h) ---- */

/* The swap rule: the caller takes the least waiting worker's core when it waited more than a
 * fifth of the period and more than twice that worker; never between threads that wait alike. */
static void test_caller_takes_the_core_of_the_worker_that_waits_least(void **state)
{
    (void)state;
    const uint64_t period = 50000000;
    assert_int_equal(pool_place_choose(period, 25000000, (uint64_t[]){0}, 1), 0);
    assert_int_equal(pool_place_choose(period, 25000000, (uint64_t[]){20000000, 1000000, 9000000}, 3), 1);
    assert_int_equal(pool_place_choose(period, 25000000, (uint64_t[]){23000000}, 1), -1);   /* alike: both share */
    assert_int_equal(pool_place_choose(period, 10000000, (uint64_t[]){0}, 1), -1);          /* a fifth: not worth it */
    assert_int_equal(pool_place_choose(period, 25000000, (uint64_t[]){12500000}, 1), -1);   /* not twice */
    assert_int_equal(pool_place_choose(period, 25000000, NULL, 0), -1);
    /* OMP_PROC_BIND=false: no thread is pinned */
    assert_false(pool_place_allowed("false"));
    assert_false(pool_place_allowed("FALSE"));
    assert_true(pool_place_allowed(NULL));
    assert_true(pool_place_allowed("true"));
    assert_true(pool_place_allowed("close"));
}

static void spin_chunk(const void *p, size_t chunk)
{
    (void)p, (void)chunk;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 200000);
}

/* A caller the kernel put on the core a neighbour keeps busy (this thread pins itself there
 * first): with as many threads as cores, the pool gives each thread a core of its own and moves
 * the caller to the free one, within a few periods of jobs. */
static void *caller_on_the_busy_core(void *arg)
{
    int *placed = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return NULL;
    for (int round = 0; round < 1500 && !*placed; round++) {   /* 16 chunks of 0.2 ms: ~2 ms a round */
        nn_pool_run(16, spin_chunk, NULL);
        *placed = sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set) && sched_getcpu() == 0;
    }
    return NULL;
}

static void test_the_caller_leaves_the_core_a_neighbour_keeps_busy(void **state)
{
    (void)state;
    if (sysconf(_SC_NPROCESSORS_ONLN) != 2) {
        skip();   /* the setting of scripts/bench_load.sh: two cores, the last one busy */
        return;
    }
    omp_set_num_threads(2);
    pthread_t busy = busy_core_start(), caller;
    int placed = 0;
    assert_int_equal(pthread_create(&caller, NULL, caller_on_the_busy_core, &placed), 0);
    pthread_join(caller, NULL);
    busy_core_stop(busy);
    assert_true(placed);
}

/* ---- reductions: the same bits whatever the threads and the load ---- */
typedef struct {
    const float *x;
} sum_ctx;

NN_PAR_SUM_FN(sum_chunk, sum_ctx, c, i, acc, acc += (double)c->x[i] * c->x[i];)

static void test_reduction_bits_do_not_depend_on_threads_or_load(void **state)
{
    (void)state;
    enum { N = 1000003 };   /* 123 chunks, the last a short one */
    float *x = malloc(N * sizeof *x);
    assert_non_null(x);
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (int i = 0; i < N; i++) x[i] = nn_rng_range(&r, -1, 1) * (i % 1000 == 0 ? 1e4f : 1.0f);   /* order matters */
    sum_ctx c = {x};
    double serial = 0;
    for (int i = 0; i < N; i++) serial += (double)x[i] * x[i];
    omp_set_num_threads(1);
    double one = nn_par_sum(N, sum_chunk, &c);
    assert_true(fabs(one - serial) <= 1e-9 * serial);
    for (int threads = 2; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (int rep = 0; rep < 20; rep++) assert_memory_equal(&(double){nn_par_sum(N, sum_chunk, &c)}, &one, sizeof one);
    }
    omp_set_num_threads(2);
    pthread_t busy = busy_core_start();
    for (int rep = 0; rep < 50; rep++) assert_memory_equal(&(double){nn_par_sum(N, sum_chunk, &c)}, &one, sizeof one);
    busy_core_stop(busy);
    free(x);
}

int main(void)
{
    nn_runtime_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chunk_runs_exactly_once),
        cmocka_unit_test(test_back_to_back_jobs_of_other_sizes_keep_apart),
        cmocka_unit_test(test_loops_cover_every_index_once),
        cmocka_unit_test(test_nested_jobs_run_inline),
        cmocka_unit_test(test_workers_take_chunks),
        cmocka_unit_test(test_two_threads_take_the_two_ends),
        cmocka_unit_test(test_job_completes_on_the_caller_when_no_worker_shows_up),
        cmocka_unit_test(test_idle_workers_go_to_sleep),
        cmocka_unit_test(test_reduction_bits_do_not_depend_on_threads_or_load),
        cmocka_unit_test(test_caller_takes_the_core_of_the_worker_that_waits_least),
        cmocka_unit_test(test_the_caller_leaves_the_core_a_neighbour_keeps_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
