/* bench_util.h — timing for the micro-benchmarks (tests/bench_*.c): a clock in milliseconds and
 * the median of repeated measurements. */
#ifndef NNRUN_TEST_BENCH_UTIL_H
#define NNRUN_TEST_BENCH_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "nn/runtime.h"

/* Wall time by default; bench_use_cpu_time() (BENCH_CPU=1) switches to the process's CPU time,
 * which with OMP_NUM_THREADS=1 is robust against other jobs on a shared machine. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static inline void bench_use_cpu_time(void) { bench_clock = CLOCK_PROCESS_CPUTIME_ID; }

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return v[n / 2];
}
/* The kernels NNRUN_KERNELS names, as nnrun runs them (exits 2 on a bad name). */
static inline void bench_choose_kernels(void)
{
    const char *name = getenv("NNRUN_KERNELS");
    char err[256];
    if (name && nn_kernels_choose(name, err, sizeof err) < 0) {
        fprintf(stderr, "NNRUN_KERNELS=%s: %s\n", name, err);
        exit(2);
    }
}
#endif
