/* bench_conv: forward + backward time of the convolution layers of the benchmark models at
 * batch 128 (not part of `make test`; build and run with scripts/bench_conv.sh).
 *
 * Each layer is y = conv(x, w, b), loss = sum(y * r), gradients for w, b and (except for the
 * first layer, which reads data) x. Every node of the plan is timed on its own, so the report
 * splits each layer into forward, dx, dw and db; "other" is the loss's mul/sum and its
 * gradient, which a real model does not have. Times are medians over the steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "nn/runtime.h"
#include "../runtime/kernels/conv_lower.h"
#include "../runtime/kernels/conv_winograd.h"
#include "bench_util.h"

#define BATCH 128
#define WARMUP 5
#define STEPS 30

typedef struct {
    const char *name;
    int transposed, c, h, f, k, stride, pad, out_pad, needs_dx;
} layer_t;

static const layer_t layers[] = {
    {"ae enc conv 1->16 28x28", 0, 1, 28, 16, 3, 1, 1, 0, 0},
    {"ae enc conv 16->32 14x14", 0, 16, 14, 32, 3, 1, 1, 0, 1},
    {"ae enc conv 32->64 7x7", 0, 32, 7, 64, 3, 1, 1, 0, 1},
    {"ae dec convT 64->32 3->7", 1, 64, 3, 32, 3, 2, 0, 0, 1},
    {"ae dec convT 32->16 7->14", 1, 32, 7, 16, 3, 2, 1, 1, 1},
    {"ae dec convT 16->1 14->28", 1, 16, 14, 1, 3, 2, 1, 1, 1},
    {"cls conv 1->32 28->26", 0, 1, 28, 32, 3, 1, 0, 0, 0},
    {"cls conv 32->64 26->24", 0, 32, 26, 64, 3, 1, 0, 0, 1},
};


enum { PART_FWD, PART_DX, PART_DW, PART_DB, PART_OTHER, N_PARTS };
static const char *part_names[N_PARTS] = {"fwd", "dx", "dw", "db", "other"};

/* Which part of the layer a plan node is: the forward node itself, or a gradient by op. */
static int part_of(nn_graph *g, int id, int y, const int *grads)
{
    if (id == y) return PART_FWD;
    if (id == grads[0]) return PART_DX;
    if (id == grads[1]) return PART_DW;
    if (id == grads[2]) return PART_DB;
    (void)g;
    return PART_OTHER;
}

/* Returns the median ms per step of the whole layer; fills part medians. */
static double bench_layer(const layer_t *L, double *parts)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int x = nn_test_input(g, nn_shape4(BATCH, L->c, L->h, L->h), &r, -1, 1);
    nn_shape ws = L->transposed ? nn_shape4(L->c, L->f, L->k, L->k) : nn_shape4(L->f, L->c, L->k, L->k);
    int w = nn_test_input(g, ws, &r, -0.1f, 0.1f), b = nn_test_input(g, nn_shape1(L->f), &r, -1, 1);
    int y = L->transposed ? nn_conv_transpose2d(g, x, w, b, L->stride, L->pad, L->pad, L->out_pad, L->out_pad)
                          : nn_conv2d(g, x, w, b, L->stride, L->pad, L->pad);
    if (y < 0) {
        fprintf(stderr, "%s: %s\n", L->name, g->err);
        exit(1);
    }
    int rr = nn_test_input(g, g->nodes[y].shape, &r, -1, 1);
    int loss = nn_sum(g, nn_mul(g, y, rr));
    int grads[3] = {-1, -1, -1};
    nn_grad(g, loss, (int[]){x, w, b}, 3, grads);
    if (!L->needs_dx) grads[0] = -1;
    nn_plan *p = nn_plan_create(g, (int[]){y, grads[1], grads[2], L->needs_dx ? grads[0] : grads[1]}, 4);
    double total[STEPS], part[N_PARTS][STEPS];
    for (int s = -WARMUP; s < STEPS; s++) {
        double t_part[N_PARTS] = {0};
        nn_plan_run(g, p);   /* binds buffers; then each node again, timed */
        double t0 = now_ms();
        for (int t = 0; t < p->n; t++) {
            nn_node *nd = &g->nodes[p->order[t]];
            double a = now_ms();
            nn_op_def_at(nd->op)->forward(g, nd);
            t_part[part_of(g, p->order[t], y, grads)] += now_ms() - a;
        }
        if (s < 0) continue;
        total[s] = now_ms() - t0;
        for (int k = 0; k < N_PARTS; k++) part[k][s] = t_part[k];
    }
    for (int k = 0; k < N_PARTS; k++) parts[k] = median(part[k], STEPS);
    nn_plan_free(p);
    nn_graph_free(g);
    return median(total, STEPS);
}

/* argv[1], if given: scratch floats per group (nn_conv_chunk_floats), to tune the grouping.
 * BENCH_WINOGRAD=0 forces the im2col path (nn_conv_winograd), BENCH_WINO_TILES sets the tiles
 * per Winograd group (nn_conv_winograd_tiles), NNRUN_KERNELS the instruction set (nn/runtime.h). */
int main(int argc, char **argv)
{
    nn_runtime_init();
    bench_choose_kernels();
    if (getenv("BENCH_CPU")) bench_use_cpu_time();
    if (argc > 1) nn_conv_chunk_floats = (size_t)atol(argv[1]);
    if (getenv("BENCH_WINOGRAD")) nn_conv_winograd = atoi(getenv("BENCH_WINOGRAD"));
    if (getenv("BENCH_WINO_TILES")) nn_conv_winograd_tiles = (size_t)atol(getenv("BENCH_WINO_TILES"));
    double ae = 0, cls = 0;
    printf("%-28s %8s", "layer (batch 128)", "total");
    for (int k = 0; k < N_PARTS; k++) printf(" %7s", part_names[k]);
    printf("   (ms per step, median of %d)\n", STEPS);
    const char *only = getenv("BENCH_ONLY");   /* e.g. "ae": the layers whose name starts so */
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
        double parts[N_PARTS];
        if (only && strncmp(layers[i].name, only, strlen(only)) != 0) continue;
        double t = bench_layer(&layers[i], parts);
        double conv = t - parts[PART_OTHER];
        printf("%-28s %8.2f", layers[i].name, conv);
        for (int k = 0; k < N_PARTS; k++) printf(" %7.2f", parts[k]);
        printf("\n");
        if (strncmp(layers[i].name, "ae", 2) == 0) ae += conv;
        else cls += conv;
    }
    printf("CNN autoencoder conv layers: %.2f ms/step (x469 steps = %.1f s/epoch)\n", ae, ae * 469 / 1000);
    printf("classifier conv layers:      %.2f ms/step (x469 steps = %.1f s/epoch)\n", cls, cls * 469 / 1000);
    return 0;
}
