/* busy_core.h — a thread that keeps the machine's last core busy while a test runs, pinned
 * there when the system allows: the "neighbour" whose load must never show in a result.
 * Include after defining _GNU_SOURCE (pthread_setaffinity_np). */
#ifndef NNRUN_TEST_BUSY_CORE_H
#define NNRUN_TEST_BUSY_CORE_H
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int busy_core_on;

static void *busy_core_loop(void *arg)
{
    (void)arg;
    while (atomic_load_explicit(&busy_core_on, memory_order_relaxed)) {
    }
    return NULL;
}

static inline pthread_t busy_core_start(void)
{
    pthread_t t;
    atomic_store(&busy_core_on, 1);
    assert_int_equal(pthread_create(&t, NULL, busy_core_loop, NULL), 0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cores > 1 ? (int)cores - 1 : 0, &set);
    (void)pthread_setaffinity_np(t, sizeof set, &set);
    return t;
}

static inline void busy_core_stop(pthread_t t)
{
    atomic_store(&busy_core_on, 0);
    pthread_join(t, NULL);
}

#endif
