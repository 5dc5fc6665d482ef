/* bench_kernels: the hot elementwise kernels (activations and their gradients, a loss, the
 * optimizer updates) and 2x2 max pooling, timed at each instruction-set level this CPU runs
 * (runtime/core/kernel_isa.h), or at the one NNRUN_KERNELS names. Not part of `make test`;
 * scripts/bench_kernels.sh builds and runs it, beside a -march=native build for reference.
 *
 * Each kernel runs over N floats (512 KB, in L2, as a layer's activations of a batch are);
 * the figure is microseconds per call, the median of SAMPLES samples of REPS calls, in CPU
 * time: run it with OMP_NUM_THREADS=1 so that the figure is one core's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/ops.h"
#include "nn/rng.h"
#include "nn/runtime.h"
#include "../runtime/core/kernel_isa.h"
#include "../runtime/kernels/fastmath/kern.h"
#include "../runtime/kernels/fused_act.h"
#include "../runtime/kernels/pool_window.h"
#include "../runtime/train/optim_impl.h"
#include "bench_util.h"

#define N (1 << 17)
#define REPS 40
#define SAMPLES 9
#define PLANES (N / (26 * 26))   /* 2x2 max pooling of 26x26 planes (the classifier's after its convs) */

static float *x, *g, *y, *m, *v, *pool_out;
static const nn_opt_coef coef = {.lr = 1e-3f, .wd = 0.0f, .mu = 0.9f, .b1 = 0.9f, .b2 = 0.999f, .eps = 1e-8f,
                                 .alpha = 0.99f, .c1 = 0.1f, .c2 = 0.001f, .calpha = 0.01f, .step_size = 1e-3f,
                                 .inv_sqrt_bc2 = 1.0f, .decoupled_mul = 1.0f};

static void run_selu(void) { nn_k_elu(x, y, N, 1.6732632f, 1.0507010f); }
static void run_selu_grad(void) { nn_k_elu_grad(x, g, y, N, 1.6732632f, 1.0507010f, 0); }
static void run_gelu(void) { nn_k_gelu(x, y, N); }
static void run_sigmoid(void) { nn_k_sigmoid(x, y, N); }
static void run_tanh(void) { nn_k_tanh(x, y, N); }
static void run_leaky_relu(void) { nn_fused_act_apply(&(nn_attrs){.i = {NN_FUSED_LEAKY_RELU}, .f = {0.01f}}, 0, y, N); }
static void run_softmax(void) { nn_k_softmax_rows(x, y, N / 128, 128, 0); }
static void run_bce(void)
{
    volatile double s = nn_k_bce_sum(x, g, N);
    (void)s;
}
static void run_adam(void) { nn_opt_adam_slice(y, g, m, v, N, &coef); }
static void run_sgd(void) { nn_opt_sgd_slice(y, g, m, N, &coef, 0); }
static void run_rmsprop(void) { nn_opt_rmsprop_slice(y, g, v, m, NULL, N, &coef); }
static void run_maxpool(void)
{
    nn_pool_geom G = nn_pool_geom_make(2, 2, 0, 26, 26, PLANES);
    for (int p = 0; p < PLANES; p++) nn_pool_max2_plane(x + (size_t)p * 26 * 26, &G, pool_out + (size_t)p * 13 * 13);
}
static void run_maxroute(void)
{
    nn_pool_geom G = nn_pool_geom_make(2, 2, 0, 26, 26, PLANES);
    for (int p = 0; p < PLANES; p++)
        nn_pool_route2_plane(x + (size_t)p * 26 * 26, pool_out + (size_t)p * 13 * 13, &G, y + (size_t)p * 26 * 26);
}

static const struct {
    const char *name;
    void (*run)(void);
} kernels[] = {
    {"selu", run_selu},       {"selu grad", run_selu_grad}, {"gelu", run_gelu},       {"sigmoid", run_sigmoid},
    {"tanh", run_tanh},       {"leaky_relu", run_leaky_relu}, {"softmax rows", run_softmax}, {"bce sum", run_bce},
    {"adam", run_adam},       {"sgd momentum", run_sgd},    {"rmsprop", run_rmsprop}, {"maxpool 2x2", run_maxpool},
    {"max route 2x2", run_maxroute},
};
enum { KERNELS = sizeof kernels / sizeof *kernels };

static double time_us(void (*run)(void))
{
    double t[SAMPLES];
    run();
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_ms();
        for (int r = 0; r < REPS; r++) run();
        t[s] = (now_ms() - t0) * 1e3 / REPS;
    }
    return median(t, SAMPLES);
}

static float *random_floats(nn_rng *r, size_t n, float lo, float hi)
{
    float *a = malloc(n * sizeof(float));
    if (!a) exit(1);
    for (size_t i = 0; i < n; i++) a[i] = nn_rng_range(r, lo, hi);
    return a;
}

int main(void)
{
    nn_runtime_init();
    bench_use_cpu_time();
    nn_rng r;
    nn_rng_seed(&r, 3);
    x = random_floats(&r, N, -3, 3), g = random_floats(&r, N, 0, 1), y = random_floats(&r, N, -1, 1);
    m = random_floats(&r, N, -1, 1), v = random_floats(&r, N, 0, 1), pool_out = random_floats(&r, N, -1, 1);
    int first = 0, last = nn_isa_best();
    if (getenv("NNRUN_KERNELS")) {
        bench_choose_kernels();
        first = last = nn_isa();
    }
    printf("%-16s", "us per call");
    for (int level = first; level <= last; level++) printf(" %9s", nn_isa_name(level));
    printf("   (%d floats; median of %d x %d calls, CPU time)\n", N, SAMPLES, REPS);
    double t[KERNELS][NN_ISA_LEVELS];
    for (int level = first; level <= last; level++) {
        nn_isa_use(level);
        for (int k = 0; k < KERNELS; k++) t[k][level] = time_us(kernels[k].run);
    }
    for (int k = 0; k < KERNELS; k++) {
        printf("%-16s", kernels[k].name);
        for (int level = first; level <= last; level++) printf(" %9.1f", t[k][level]);
        printf("\n");
    }
    return 0;
}
