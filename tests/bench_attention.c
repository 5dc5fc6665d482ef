/* bench_attention: forward and forward + backward time of scaled dot-product attention, the
 * fused op (nn_attention) against the same attention composed from batch_matmul, affine and
 * softmax (nn_attention_weights + nn_batch_matmul), at (B=32, H=4, T=200, d=16) and
 * (B=64, H=8, T=20, d=32), no mask. Not part of `make test`; build and run with
 * scripts/bench_attention.sh (which can alternate it with PyTorch's composition,
 * tests/bench_attention_torch.py).
 *
 * Each step runs loss = sum(attention(q, k, v) * r) and its gradients for q, k and v. The two
 * variants alternate, fused then composed, ROUNDS times per shape (a neighbour's load then hits
 * both alike); each round's time is the median over STEPS steps, and the line gives the median
 * of the rounds. BENCH_CPU=1: process CPU time instead of wall time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "nn/runtime.h"
#include "bench_util.h"

enum { WARMUP = 3, STEPS = 10, ROUNDS = 3 };

typedef struct {
    int b, h, t, d;
} shape_t;

static const shape_t shapes[] = {{32, 4, 200, 16}, {64, 8, 20, 32}};

typedef struct {
    nn_graph *g;
    nn_plan *fwd, *full;
} variant;

/* q, k, v (B,H,T,d) and the attention, fused or composed, with its gradients planned */
static variant build(const shape_t *s, int fused)
{
    variant v = {nn_graph_new(1), NULL, NULL};
    nn_graph *g = v.g;
    nn_rng r;
    nn_rng_seed(&r, 5);
    nn_shape qs = nn_shape4(s->b, s->h, s->t, s->d);
    int q = nn_test_input(g, qs, &r, -1, 1), k = nn_test_input(g, qs, &r, -1, 1), val = nn_test_input(g, qs, &r, -1, 1);
    int y = fused ? nn_attention(g, q, k, val, -1, 0.0f, NULL)
                  : nn_batch_matmul(g, nn_attention_weights(g, q, k, -1, 0.0f), val, 0, 0);
    int w = nn_test_input(g, qs, &r, -1, 1), grads[3];
    int loss = nn_sum(g, nn_mul(g, y, w));
    if (y < 0 || nn_grad(g, loss, (int[]){q, k, val}, 3, grads) < 0) {
        fprintf(stderr, "bench_attention: %s\n", g->err);
        exit(1);
    }
    v.fwd = nn_plan_create(g, &y, 1);
    v.full = nn_plan_create(g, grads, 3);
    return v;
}

static void destroy(variant *v)
{
    nn_plan_free(v->fwd);
    nn_plan_free(v->full);
    nn_graph_free(v->g);
}

/* median ms of one run of plan p */
static double time_plan(nn_graph *g, nn_plan *p)
{
    double t[STEPS];
    for (int i = 0; i < WARMUP; i++) nn_plan_run(g, p);
    for (int i = 0; i < STEPS; i++) {
        double t0 = now_ms();
        nn_plan_run(g, p);
        t[i] = now_ms() - t0;
    }
    return median(t, STEPS);
}

int main(void)
{
    nn_runtime_init();
    if (getenv("BENCH_CPU")) bench_use_cpu_time();
    printf("%s; ms per step, median of %d rounds (fused and composed alternating) of the median of %d steps\n",
           nn_blas_description(), ROUNDS, STEPS);
    printf("%-22s %-9s %9s %12s\n", "shape (B,H,T,d)", "variant", "fwd ms", "fwd+bwd ms");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape_t *s = &shapes[i];
        variant v[2] = {build(s, 1), build(s, 0)};
        double fwd[2][ROUNDS], full[2][ROUNDS];
        for (int round = 0; round < ROUNDS; round++)
            for (int f = 0; f < 2; f++) {
                fwd[f][round] = time_plan(v[f].g, v[f].fwd);
                full[f][round] = time_plan(v[f].g, v[f].full);
            }
        char name[32];
        snprintf(name, sizeof name, "(%d,%d,%d,%d)", s->b, s->h, s->t, s->d);
        for (int f = 0; f < 2; f++)
            printf("%-22s %-9s %9.2f %12.2f\n", name, f == 0 ? "fused" : "composed", median(fwd[f], ROUNDS),
                   median(full[f], ROUNDS));
        destroy(&v[0]);
        destroy(&v[1]);
    }
    return 0;
}
