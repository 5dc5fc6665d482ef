/* bench_rnn: one training step of the recurrent benchmark models (specs/bench/{rnn,lstm,gru}_imdb)
 * without the data pipeline: ids (64, 200) -> embedding (20002, 100) -> recurrent layer of 256
 * units (last step) -> dense 2, loss = sum(logits * r), gradients for every parameter, then an
 * Adam-like update of all of them. Not part of `make test`; build and run with
 * scripts/bench_rnn.sh [rnn|lstm|gru ...].
 *
 * Every node of the plan is timed on its own and the times are summed by op name; the report
 * gives the median ms per step of each op and of the whole step. BENCH_CPU=1: process CPU
 * time (with OMP_NUM_THREADS=1 robust against other jobs on a shared machine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "nn/runtime.h"
#include "../runtime/train/optim_impl.h"
#include "bench_util.h"

enum { N = 64, T = 200, V = 20002, D = 100, H = 256, WARMUP = 3, STEPS = 15, MAX_OPS = 32 };


typedef struct {
    const char *name[MAX_OPS];
    double t[MAX_OPS][STEPS];
    int n;
} op_times;

static int op_slot(op_times *o, const char *name)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->name[i], name) == 0) return i;
    o->name[o->n] = name;
    return o->n++;
}

static void bench(const char *kind)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 5);
    int ids = nn_input(g, nn_shape2(N, T), "ids");
    for (int i = 0; i < N * T; i++) nn_data(g, ids)[i] = (float)(1 + nn_rng_below(&r, V - 1));
    int gates = strcmp(kind, "lstm") == 0 ? 4 : strcmp(kind, "gru") == 0 ? 3 : 1;
    int table = nn_test_input(g, nn_shape2(V, D), &r, -1, 1);
    int wi = nn_test_input(g, nn_shape2(gates * H, D), &r, -0.06f, 0.06f);
    int wh = nn_test_input(g, nn_shape2(gates * H, H), &r, -0.06f, 0.06f);
    int b = nn_test_input(g, nn_shape1(gates * H), &r, -0.06f, 0.06f);
    int b2 = nn_test_input(g, nn_shape1(gates * H), &r, -0.06f, 0.06f);
    int wo = nn_test_input(g, nn_shape2(2, H), &r, -0.1f, 0.1f), bo = nn_test_input(g, nn_shape1(2), &r, -0.1f, 0.1f);
    int x = nn_embedding(g, ids, table, 0);
    int h = gates == 4   ? nn_lstm(g, x, wi, wh, b, -1, -1, -1, NN_RNN_LAST_STEP)
            : gates == 3 ? nn_gru(g, x, wi, wh, b, b2, -1, -1, NN_RNN_LAST_STEP)
                         : nn_rnn(g, x, wi, wh, b, -1, -1, NN_RNN_TANH, NN_RNN_LAST_STEP);
    int y = nn_dense(g, h, wo, bo);
    int rr = nn_test_input(g, g->nodes[y].shape, &r, -1, 1);
    int loss = nn_sum(g, nn_mul(g, y, rr));
    int wrt[7] = {table, wi, wh, b, wo, bo, b2}, grads[7];
    int n_wrt = gates == 3 ? 7 : 6;
    if (loss < 0 || nn_grad(g, loss, wrt, n_wrt, grads) < 0) {
        fprintf(stderr, "%s: %s\n", kind, g->err);
        exit(1);
    }
    nn_plan *p = nn_plan_create(g, grads, n_wrt);
    size_t total = 0;
    for (int i = 0; i < n_wrt; i++) total += nn_numel(g, wrt[i]);
    float *m = calloc(total, sizeof(float)), *v = calloc(total, sizeof(float));
    nn_opt_coef k = {.lr = 1e-3f, .b1 = 0.9f, .b2 = 0.999f, .eps = 1e-8f, .c1 = 0.1f, .c2 = 0.001f,
                     .step_size = 1e-9f, .inv_sqrt_bc2 = 1.0f, .decoupled_mul = 1.0f};
    op_times o = {.n = 0};
    double steps[STEPS];
    for (int s = -WARMUP; s < STEPS; s++) {
        nn_plan_run(g, p);   /* binds buffers; then each node again, timed */
        double t_op[MAX_OPS] = {0};
        double t0 = now_ms();
        for (int t = 0; t < p->n; t++) {
            nn_node *nd = &g->nodes[p->order[t]];
            double a = now_ms();
            nn_op_def_at(nd->op)->forward(g, nd);
            t_op[op_slot(&o, nn_op_def_at(nd->op)->name)] += now_ms() - a;
        }
        double a = now_ms();
        size_t off = 0;
        for (int i = 0; i < n_wrt; i++) {   /* the step size is tiny: the weights stay put */
            size_t len = nn_numel(g, wrt[i]);
            nn_opt_adam_slice(nn_data(g, wrt[i]), nn_data(g, grads[i]), m + off, v + off, len, &k);
            off += len;
        }
        t_op[op_slot(&o, "(adam)")] += now_ms() - a;
        if (s < 0) continue;
        steps[s] = now_ms() - t0;
        for (int i = 0; i < o.n; i++) o.t[i][s] = t_op[i];
    }
    printf("%s_imdb step (N %d, T %d, H %d): %.2f ms (median of %d)\n", kind, N, T, H, median(steps, STEPS), STEPS);
    for (int i = 0; i < o.n; i++) {
        double med = median(o.t[i], STEPS);
        if (med >= 0.05) printf("  %-20s %8.2f\n", o.name[i], med);
    }
    free(m);
    free(v);
    nn_plan_free(p);
    nn_graph_free(g);
}

int main(int argc, char **argv)
{
    nn_runtime_init();
    if (getenv("BENCH_CPU")) bench_use_cpu_time();
    if (argc < 2) {
        bench("rnn");
        return 0;
    }
    for (int i = 1; i < argc; i++) bench(argv[i]);
    return 0;
}
