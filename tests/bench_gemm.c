/* bench_gemm: the panel GEMM (runtime/kernels/gemm_panel.h, packing included) against one
 * OpenBLAS call, on one core, over thin shapes: the figures behind nn_sgemm's choice of kernel
 * (THIN_*, TALL_* and DEEP_* in runtime/core/gemm.c). Not part of `make test`; scripts/bench_gemm.sh builds and
 * runs it. Each figure is GFLOP/s, the median of SAMPLES samples, the two kernels alternated.
 * Needs the AVX-512 level. Argument: "grid" (the default) or "layers" (the bench models').
 * "peak": a 1024^3 nn_sgemm on all the pool's threads (OMP_NUM_THREADS), the limit make bench
 * compares a training's GFLOP/s with; prints "peak GFLOP/s" and the figure. "pool": the layers
 * through nn_sgemm on the pool's threads, in cache and cold, the sequence models' products over
 * every step (N*T = 12800 rows) among them. */
#include <cblas.h>
#include <string.h>
#include "../runtime/core/kernel_isa.h"
#include "../runtime/core/parallel.h"
#include "../runtime/core/pool.h"
#include "../runtime/kernels/gemm_panel.h"
#include "bench_util.h"

#define SAMPLES 7

static float *a, *b, *c, *packed;

static void run_blas(int ta, int tb, int m, int n, int k)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, ta ? m : k, b,
                tb ? k : n, 0.0f, c, n);
}

/* as nn_sgemm's thin path runs it on one core: panel by panel, each packed, then its tiles */
static void run_panels(int ta, int tb, int m, int n, int k)
{
#if NN_ISA_X86
    for (int j0 = 0; j0 < n; j0 += NN_PANEL) {
        int j1 = j0 + NN_PANEL < n ? j0 + NN_PANEL : n;
        nn_panels_pack(packed, b, tb, (size_t)(tb ? k : n), k, n, j0, j1, NULL);
        nn_panels_gemm(ta, m, k, 1.0f, a, (size_t)(ta ? m : k), packed, n, j0, j1, 0.0f, c, (size_t)n, NULL, NULL);
    }
#else
    (void)ta, (void)tb, (void)m, (void)n, (void)k;
#endif
}

static double gflops(void (*run)(int, int, int, int, int), int ta, int tb, int m, int n, int k)
{
    double flops = 2.0 * m * n * k;
    int reps = (int)(2e8 / flops) + 1;
    double t0 = now_ms();
    for (int r = 0; r < reps; r++) run(ta, tb, m, n, k);
    return flops * reps / ((now_ms() - t0) * 1e6);
}

static void shape(int ta, int tb, int m, int n, int k)
{
    double p[SAMPLES], o[SAMPLES];
    run_panels(ta, tb, m, n, k);
    run_blas(ta, tb, m, n, k);
    for (int s = 0; s < SAMPLES; s++) {
        p[s] = gflops(run_panels, ta, tb, m, n, k);
        o[s] = gflops(run_blas, ta, tb, m, n, k);
    }
    double pm = median(p, SAMPLES), om = median(o, SAMPLES);
    printf("%c%c %5d %5d %5d   panels %6.1f   openblas %6.1f   %5.2fx\n", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, pm, om, pm / om);
    fflush(stdout);
}

/* the median of SAMPLES timings of a 1024^3 GEMM through nn_sgemm (OpenBLAS, split over the pool) */
static int peak(void)
{
    enum { N = 1024 };
    float *pa = aligned_alloc(64, (size_t)N * N * sizeof *pa), *pb = aligned_alloc(64, (size_t)N * N * sizeof *pb),
          *pc = aligned_alloc(64, (size_t)N * N * sizeof *pc);
    if (!pa || !pb || !pc) return 1;
    for (size_t i = 0; i < (size_t)N * N; i++) pa[i] = (float)(i % 7) * 0.1f, pb[i] = (float)(i % 5) * 0.1f;
    double v[SAMPLES];
    nn_sgemm(0, 0, N, N, N, 1.0f, pa, N, pb, N, 0.0f, pc, N);
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_ms();
        for (int r = 0; r < 4; r++) nn_sgemm(0, 0, N, N, N, 1.0f, pa, N, pb, N, 0.0f, pc, N);
        v[s] = 4 * 2.0 * N * N * N / ((now_ms() - t0) * 1e6);
    }
    printf("peak GFLOP/s %.1f\n", median(v, SAMPLES));
    free(pa), free(pb), free(pc);
    return 0;
}

/* "pool": the bench models' layers through nn_sgemm on all the pool's threads, as a training
 * runs them: with the operands in cache (the same call repeated) and cold (32 MB written
 * between calls, outside the timing). GFLOP/s, medians. */
static int pool_layers(void)
{
    static const int layers[][5] = {
        {0, 1, 64, 512, 784}, {0, 0, 64, 784, 512}, {1, 0, 512, 784, 64}, {0, 1, 128, 400, 784}, {0, 0, 128, 784, 400},
        {1, 0, 400, 784, 128}, {0, 1, 256, 512, 512}, {1, 0, 512, 512, 256}, {0, 1, 128, 100, 784}, {1, 0, 100, 784, 128},
        {0, 1, 12800, 256, 100}, {0, 0, 12800, 100, 256}, {1, 0, 100, 256, 12800}, {1, 0, 256, 256, 12800},
        {0, 0, 12800, 64, 64},   {1, 0, 64, 64, 12800},   {0, 0, 640, 100, 512},
    };
    enum { CALLS = 101, EVICT = 8 << 20 };
    float *pa = aligned_alloc(64, (size_t)1 << 26), *pb = aligned_alloc(64, (size_t)1 << 26),
          *pc = aligned_alloc(64, (size_t)1 << 26), *ev = aligned_alloc(64, (size_t)EVICT * sizeof(float));
    if (!pa || !pb || !pc || !ev) return 1;
    for (size_t i = 0; i < ((size_t)1 << 24); i++) pa[i] = (float)(i % 7) * 0.1f, pb[i] = (float)(i % 5) * 0.1f;
    printf("%d threads, GFLOP/s: hot, cold\n", nn_pool_threads());
    for (size_t l = 0; l < sizeof layers / sizeof *layers; l++) {
        int ta = layers[l][0], tb = layers[l][1], m = layers[l][2], n = layers[l][3], k = layers[l][4];
        double flops = 2.0 * m * n * k, hot[CALLS], cold[CALLS];
        for (int cool = 0; cool < 2; cool++)
            for (int r = 0; r < CALLS; r++) {
                if (cool)
                    for (size_t i = 0; i < EVICT; i += 16) ev[i] = (float)r;
                double t0 = now_ms();
                nn_sgemm(ta, tb, m, n, k, 1.0f, pa, ta ? m : k, pb, tb ? k : n, 0.0f, pc, n);
                (cool ? cold : hot)[r] = flops / ((now_ms() - t0) * 1e6);
            }
        printf("%c%c %5d %5d %5d   %6.1f %6.1f\n", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, median(hot, CALLS), median(cold, CALLS));
    }
    free(pa), free(pb), free(pc), free(ev);
    return 0;
}

int main(int argc, char **argv)
{
    nn_runtime_init();
    if (argc > 1 && strcmp(argv[1], "peak") == 0) return peak();
    if (argc > 1 && strcmp(argv[1], "pool") == 0) return pool_layers();
    if (nn_isa() < NN_ISA_AVX512) {
        printf("bench_gemm: this CPU has no AVX-512 level: nn_sgemm always calls OpenBLAS here\n");
        return 0;
    }
    size_t big = (size_t)4096 * 4096;
    a = aligned_alloc(64, big * sizeof *a), b = aligned_alloc(64, big * sizeof *b), c = aligned_alloc(64, big * sizeof *c);
    packed = aligned_alloc(64, nn_panels_floats(4096, 0, NN_PANEL) * sizeof *packed);
    if (!a || !b || !c || !packed) return 1;
    for (size_t i = 0; i < big; i++) a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f;
    printf("one core, GFLOP/s (OpenBLAS %s)\n", openblas_get_corename());
    if (argc > 1 && strcmp(argv[1], "layers") == 0) {
        static const int layers[][5] = {   /* ta tb m n k: the dense layers' forward, dx and dW */
            {0, 1, 64, 512, 784}, {0, 0, 64, 784, 512}, {1, 0, 512, 784, 64}, {0, 1, 64, 256, 100}, {1, 0, 256, 100, 64},
            {0, 1, 128, 400, 784}, {0, 0, 128, 784, 400}, {1, 0, 400, 784, 128}, {0, 1, 256, 512, 512}, {1, 0, 512, 512, 256},
            {0, 1, 128, 128, 9216}, {1, 0, 128, 9216, 128}, {0, 1, 50, 50, 16}, {0, 0, 50, 16, 50},
        };
        for (size_t i = 0; i < sizeof layers / sizeof *layers; i++)
            shape(layers[i][0], layers[i][1], layers[i][2], layers[i][3], layers[i][4]);
        return 0;
    }
    static const int ms[] = {16, 32, 64, 128, 256, 512, 1024}, ks[] = {16, 64, 256, 784, 1024, 2048}, ns[] = {32, 512};
    for (int t = 0; t < 3; t++)   /* NT (forward), NN (dx), TN (dW) */
        for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
            for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
                    shape(t == 2, t == 0, ms[mi], ns[ni], ks[ki]);
    return 0;
}
