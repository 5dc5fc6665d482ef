/* The caller's core (pool_place.h): run-queue waits read from /proc, swaps by sched_setaffinity. */
#define _GNU_SOURCE   /* sched_setaffinity, sched_getcpu, CPU_* */
#include "pool_place.h"
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PLACE_MAX_WORKERS 63

static _Atomic int worker_tid[PLACE_MAX_WORKERS];
static _Atomic int allowed_known;   /* place.allowed is set (released by the caller that set it) */

/* The caller's view, touched only by the thread that runs jobs (one at a time: pool.c's busy flag). */
static struct {
    int caller;                 /* its thread id; a new caller starts over */
    int cores;                  /* CPUs the process may use (at the first check ever); 0: not known yet */
    cpu_set_t allowed;          /* ... which */
    int pinned;                 /* every thread has a core of its own */
    uint64_t last;              /* start of the period, ns */
    uint64_t caller_wait;       /* its run-queue wait at the start of the period */
    uint64_t wait[PLACE_MAX_WORKERS];
} place;

void pool_place_worker(int id)
{
    /* a worker started after the caller was pinned inherits its one core: it gets the process's back */
    if (atomic_load_explicit(&allowed_known, memory_order_acquire)) (void)sched_setaffinity(0, sizeof place.allowed, &place.allowed);
    if (id >= 0 && id < PLACE_MAX_WORKERS) atomic_store_explicit(&worker_tid[id], (int)syscall(SYS_gettid), memory_order_release);
}

int pool_place_allowed(const char *proc_bind) { return !proc_bind || strcasecmp(proc_bind, "false") != 0; }

int pool_place_choose(uint64_t period_ns, uint64_t caller_wait, const uint64_t *worker_wait, int workers)
{
    int best = -1;
    for (int i = 0; i < workers; i++)
        if (best < 0 || worker_wait[i] < worker_wait[best]) best = i;
    if (best < 0 || caller_wait * 5 <= period_ns || caller_wait <= 2 * worker_wait[best]) return -1;
    return best;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The text of a small /proc file, or "" */
static void read_proc(const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
}

/* A thread's run-queue wait so far (schedstat's second field), ns; tid 0: the calling thread. */
static uint64_t waited(int tid)
{
    char path[64], buf[128];
    if (tid) snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid);
    else snprintf(path, sizeof path, "/proc/thread-self/schedstat");
    read_proc(path, buf, sizeof buf);
    unsigned long long run = 0, wait = 0;
    return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? (uint64_t)wait : 0;
}

/* The CPU a thread last ran on (stat's field 39, counted after the name's closing parenthesis), or -1. */
static int cpu_of(int tid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    read_proc(path, buf, sizeof buf);
    const char *p = strrchr(buf, ')');
    if (!p) return -1;
    for (int field = 2; field < 39; field++) {   /* p is at the end of field 2 */
        p = strchr(p + 1, ' ');
        if (!p) return -1;
    }
    return atoi(p + 1);
}

static int pin(int tid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof set, &set);
}

/* One core each: the caller keeps the one it is on, the workers take the others in order.
 * Unpinned, the kernel put lstm_imdb's caller and worker on the same core beside a busy loop on
 * the other (both waited ~45% of the time). */
static int pin_apart(int workers)
{
    int mine = sched_getcpu(), w = 0;
    if (mine < 0 || !CPU_ISSET(mine, &place.allowed)) return -1;
    for (int cpu = 0; cpu < CPU_SETSIZE && w < workers; cpu++) {
        if (cpu == mine || !CPU_ISSET(cpu, &place.allowed)) continue;
        int tid = atomic_load_explicit(&worker_tid[w], memory_order_acquire);
        if (!tid || pin(tid, cpu) != 0) return -1;
        w++;
    }
    return w == workers ? pin(0, mine) : -1;
}

void pool_place_check(int workers)
{
    if (workers < 1 || workers > PLACE_MAX_WORKERS) return;
    static _Thread_local int self;   /* this thread's id, asked once: a system call */
    if (!self) self = (int)syscall(SYS_gettid);
    uint64_t t = now_ns();
    if (!place.cores) {   /* the process's cores: the first caller's, before any pinning */
        place.cores = sched_getaffinity(0, sizeof place.allowed, &place.allowed) == 0 ? CPU_COUNT(&place.allowed) : -1;
        if (place.cores > 0) atomic_store_explicit(&allowed_known, 1, memory_order_release);
        if (!pool_place_allowed(getenv("OMP_PROC_BIND"))) place.cores = -1;   /* never pins */
    }
    if (place.caller != self) {   /* a new caller: start a period */
        place.caller = self;
        place.last = 0;
        place.pinned = 0;
    }
    if (place.cores != workers + 1) return;   /* spare cores (or fewer than threads): the kernel's to place */
    if (place.last && t - place.last < POOL_PLACE_PERIOD_NS) return;
    uint64_t now_wait[PLACE_MAX_WORKERS], delta[PLACE_MAX_WORKERS], caller_wait = waited(0);
    for (int i = 0; i < workers; i++) {
        int tid = atomic_load_explicit(&worker_tid[i], memory_order_acquire);
        now_wait[i] = tid ? waited(tid) : 0;
        delta[i] = now_wait[i] - place.wait[i];
    }
    int swap = place.last && place.pinned ? pool_place_choose(t - place.last, caller_wait - place.caller_wait, delta, workers) : -1;
    if (!place.pinned && pin_apart(workers) == 0) place.pinned = 1;
    if (swap >= 0) {
        int tid = atomic_load_explicit(&worker_tid[swap], memory_order_acquire), mine = sched_getcpu(), theirs = tid ? cpu_of(tid) : -1;
        if (mine >= 0 && theirs >= 0 && mine != theirs && pin(0, theirs) == 0) (void)pin(tid, mine);
        /* the waits to come start from here */
        caller_wait = waited(0);
        for (int i = 0; i < workers; i++) {
            int w = atomic_load_explicit(&worker_tid[i], memory_order_acquire);
            now_wait[i] = w ? waited(w) : 0;
        }
        t = now_ns();
    }
    place.last = t;
    place.caller_wait = caller_wait;
    memcpy(place.wait, now_wait, (size_t)workers * sizeof *now_wait);
}
