/* Process-wide set-up and the threading policy for GEMMs (measurements in parallel.h).
 *
 * A big GEMM can run on one core or on all of them. Which is faster depends on the moment:
 * on these shared machines the second core is sometimes slowed by neighbours, and a GEMM
 * split evenly across a fast and a slow core then takes twice as long as on one core
 * (measured: 1.2 s/epoch instead of 0.53, while one thread stays at 0.67). So the choice is
 * measured as it runs: each setting keeps a moving average of nanoseconds per FLOP over the
 * big GEMMs it ran, the faster one is used, and now and then a big GEMM tries the other so a
 * change of conditions is noticed. A probe of a bad setting is expensive (a GEMM waiting for
 * a descheduled thread), so while probes keep losing clearly their interval doubles, from
 * NN_BLAS_PROBE_MIN up to NN_BLAS_PROBE_MAX big GEMMs. */
#include "nn/runtime.h"
#include "parallel.h"
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <time.h>

#define NN_BLAS_PROBE_MIN 64
#define NN_BLAS_PROBE_MAX 8192

static int blas_fixed;        /* OPENBLAS_NUM_THREADS given: the user decides */
static int blas_current = -1; /* threads OpenBLAS is set to, -1 unknown */
static double ns_per_flop[2]; /* moving averages for [one thread, all threads]; 0 = unmeasured */
static long big_calls, next_probe = NN_BLAS_PROBE_MIN, probe_interval = NN_BLAS_PROBE_MIN;

static void set_threads(int n)
{
    if (n != blas_current) {
        openblas_set_num_threads(n);
        blas_current = n;
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void nn_runtime_init(void)
{
    blas_fixed = getenv("OPENBLAS_NUM_THREADS") != NULL;
    if (!blas_fixed) set_threads(1);
}

nn_blas_call nn_blas_begin(double flops)
{
    nn_blas_call c = {flops, -1, 0, 0};
    int cores = omp_get_max_threads();
    if (blas_fixed) return c;
    if (flops < NN_GEMM_PAR_FLOPS || cores < 2) {
        set_threads(1);
        return c;
    }
    int best = ns_per_flop[1] == 0 ? 1 : ns_per_flop[0] == 0 ? 0 : ns_per_flop[1] <= ns_per_flop[0];
    c.probe = ++big_calls >= next_probe && ns_per_flop[0] != 0;
    if (ns_per_flop[0] == 0 && big_calls > 4) best = 0, c.probe = 1;   /* measure one thread once */
    if (c.probe) {
        best = !best;
        next_probe = big_calls + probe_interval;
    }
    c.setting = best;
    set_threads(best ? cores : 1);
    c.start = now_ns();
    return c;
}

void nn_blas_end(nn_blas_call c)
{
    if (c.setting < 0) return;
    double sample = (now_ns() - c.start) / c.flops;
    double *avg = &ns_per_flop[c.setting], other = ns_per_flop[!c.setting];
    if (c.probe && other > 0) {   /* a clear loss: probe half as often; otherwise as often as we may */
        probe_interval = sample > 1.25 * other ? (probe_interval * 2 < NN_BLAS_PROBE_MAX ? probe_interval * 2 : NN_BLAS_PROBE_MAX)
                                               : NN_BLAS_PROBE_MIN;
        next_probe = big_calls + probe_interval;
    }
    *avg = *avg == 0 ? sample : 0.8 * *avg + 0.2 * sample;
}
