/* The per-op benchmark (nn/op_bench.h): an op's fixture scaled up, planned and run once, then
 * its forward node and its backward's nodes timed on their own. */
#include "nn/op_bench.h"
#include "nn/graph.h"
#include "nn/ops.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int *id;
    int n;
} node_list;   /* up to g->n ids, each at most once */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The first node of op among nodes [from, g->n), or -1. */
static int first_node_of(const nn_graph *g, int op, int from)
{
    for (int i = from; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_OP && g->nodes[i].op == op) return i;
    return -1;
}

/* varies[i]: node i changes with an input or parameter that is not no_grad, through inputs that
 * are not no_grad: what a training step differentiates (labels, masks, constants are not). */
static char *varying_nodes(const nn_graph *g)
{
    char *varies = calloc((size_t)g->n, 1);
    for (int i = 0; varies && i < g->n; i++) {
        const nn_node *n = &g->nodes[i];
        if (n->kind == NN_NODE_INPUT || n->kind == NN_NODE_PARAM) varies[i] = !n->no_grad;
        for (int k = 0; n->kind == NN_NODE_OP && k < n->n_in; k++)
            varies[i] |= varies[n->in[k]] && !g->nodes[n->in[k]].no_grad;
    }
    return varies;
}

/* op's fixture at scale in a new graph, in training mode; *node = its first node of op. NULL
 * with a message in err. */
static nn_graph *build_fixture(int op, int scale, int *node, char *err, size_t errlen)
{
    const nn_op_def *def = nn_op_def_at(op);
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 1234 + (uint64_t)op);
    if (!g) fail(err, errlen, "out of memory");
    else if (!def->gradcheck) fail(err, errlen, "op %s has no fixture", def->name);
    else if (def->gradcheck(g, &r, scale) < 0) fail(err, errlen, "op %s: its fixture fails at scale %d: %s", def->name, scale, g->err);
    else if ((*node = first_node_of(g, op, 0)) < 0) fail(err, errlen, "op %s: its fixture builds no %s node", def->name, def->name);
    else {
        g->training = 1;
        return g;
    }
    nn_graph_free(g);
    return NULL;
}

/* Appends node's backward for a random output gradient; gin[k] is the gradient of input k, or -1
 * where a training step would not differentiate it. Returns the first node appended, or -1. */
static int emit_backward(nn_graph *g, int node, int *gin)
{
    char *varies = varying_nodes(g);
    nn_rng r;
    nn_rng_seed(&r, 4321);
    int gout = varies ? nn_test_input(g, g->nodes[node].shape, &r, -1, 1) : -1, first = g->n;
    for (int k = 0; k < NN_MAX_INPUTS; k++) gin[k] = -1;
    if (gout < 0 || nn_op_def_at(g->nodes[node].op)->backward(g, node, gout, gin) < 0) first = -1;
    for (int k = 0; first >= 0 && k < g->nodes[node].n_in; k++) {
        int src = g->nodes[node].in[k];
        if (!varies[src] || g->nodes[src].no_grad) gin[k] = -1;
    }
    free(varies);
    return first;
}

/* The first registry op whose fixture's backward emits a node of the gradient-only op, or -1. */
static int fused_op_of(int op)
{
    for (int via = 0; via < nn_op_count(); via++) {
        if (nn_op_grad_only(via) || !nn_op_def_at(via)->gradcheck) continue;
        char err[NN_ERR_LEN];
        int node, gin[NN_MAX_INPUTS], found = 0;
        nn_graph *g = build_fixture(via, 1, &node, err, sizeof err);
        if (!g) continue;
        int first = emit_backward(g, node, gin);
        found = first >= 0 && first_node_of(g, op, first) >= 0;
        nn_graph_free(g);
        if (found) return via;
    }
    return -1;
}

static void add_node(node_list *l, char *listed, int id)
{
    if (id < 0 || listed[id]) return;
    listed[id] = 1;
    l->id[l->n++] = id;
}

/* What the plan must keep readable after its run, so that any timed node can run again on the
 * values it read the first time: the forward node and its inputs, the gradients, whatever the
 * backward's nodes read from before `first`, and, for a gradient-only op timed alone, its nodes'
 * inputs. */
static void keep_targets(const nn_graph *g, int node, const int *gin, int first, int grad_only_op, node_list *t, char *listed)
{
    const nn_node *n = &g->nodes[node];
    add_node(t, listed, node);
    for (int k = 0; k < n->n_in; k++) add_node(t, listed, n->in[k]);
    for (int k = 0; k < n->n_in; k++) add_node(t, listed, gin[k]);
    for (int i = first; i < g->n; i++) {
        const nn_node *b = &g->nodes[i];
        for (int k = 0; b->kind == NN_NODE_OP && k < b->n_in; k++)
            if (b->in[k] < first || (grad_only_op >= 0 && b->op == grad_only_op)) add_node(t, listed, b->in[k]);
    }
}

static void run_nodes(nn_graph *g, const node_list *l)
{
    for (int i = 0; i < l->n; i++) nn_op_def_at(g->nodes[l->id[i]].op)->forward(g, &g->nodes[l->id[i]]);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median over cfg->samples samples of the time of one run of the nodes, in ms (< 0 when the
 * list is empty). */
static double median_ms(nn_graph *g, const node_list *l, const nn_op_bench_config *cfg, double *samples)
{
    if (l->n == 0) return -1;
    double t0 = now_ms();
    run_nodes(g, l);   /* warm-up, and the length of one run */
    double once = now_ms() - t0;
    long reps = once > 0 ? (long)(cfg->min_sample_ms / once) + 1 : 1L << 20;
    if (reps > 1L << 20) reps = 1L << 20;
    for (int s = 0; s < cfg->samples; s++) {
        t0 = now_ms();
        for (long k = 0; k < reps; k++) run_nodes(g, l);
        samples[s] = (now_ms() - t0) / (double)reps;
    }
    qsort(samples, (size_t)cfg->samples, sizeof *samples, by_value);
    int m = cfg->samples / 2;
    return cfg->samples % 2 ? samples[m] : (samples[m - 1] + samples[m]) / 2;
}

static double flops_of(nn_graph *g, const node_list *l)
{
    double f = 0;
    for (int i = 0; i < l->n; i++) f += nn_node_flops(g, &g->nodes[l->id[i]]);
    return f;
}

/* "[a, b] [c]": the shapes of node's inputs */
static void input_shapes(const nn_graph *g, int node, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int k = 0; k < g->nodes[node].n_in && used < len; k++) {
        char s[64];
        nn_shape_str(&g->nodes[g->nodes[node].in[k]].shape, s, sizeof s);
        used += (size_t)snprintf(out + used, len - used, "%s%s", k ? " " : "", s);
    }
}

/* Plans, runs once and times: the forward node (or, for a gradient-only op, its nodes in the
 * backward) and the backward's nodes. */
static int time_fixture(nn_graph *g, int node, int op, const nn_op_bench_config *cfg, nn_op_bench_result *out, char *err,
                        size_t errlen)
{
    int gin[NN_MAX_INPUTS], grad_only = nn_op_grad_only(op) != NULL, counted = nn_op_def_at(op)->flops != NULL, rc = -1;
    int first = emit_backward(g, node, gin);
    if (first < 0) return fail(err, errlen, "op %s: its backward fails: %s", nn_op_def_at(g->nodes[node].op)->name, g->err);
    int *ids = malloc(3 * (size_t)g->n * sizeof *ids);
    char *listed = calloc((size_t)g->n, 1);
    double *samples = malloc((size_t)cfg->samples * sizeof *samples);
    node_list targets = {ids, 0}, fwd = {ids + g->n, 0}, bwd = {ids + 2 * g->n, 0};
    nn_plan *p = NULL;
    if (!ids || !listed || !samples) goto done;
    keep_targets(g, node, gin, first, grad_only ? op : -1, &targets, listed);
    if (!(p = nn_plan_create(g, targets.id, targets.n))) goto done;
    nn_plan_run(g, p);
    for (int t = 0; t < p->n; t++) {
        int id = p->order[t];
        if (id >= first && !grad_only) bwd.id[bwd.n++] = id;
        if (id >= first && grad_only && g->nodes[id].op == op) fwd.id[fwd.n++] = id;
    }
    if (!grad_only) fwd.id[fwd.n++] = node;
    if (fwd.n == 0) {
        rc = fail(err, errlen, "op %s: the backward of %s runs none", nn_op_def_at(op)->name, nn_op_def_at(out->via)->name);
        goto done;
    }
    input_shapes(g, fwd.id[0], out->inputs, sizeof out->inputs);
    out->forward_ms = median_ms(g, &fwd, cfg, samples);
    out->backward_ms = median_ms(g, &bwd, cfg, samples);
    out->forward_flops = counted ? flops_of(g, &fwd) : 0;
    out->backward_flops = counted ? flops_of(g, &bwd) : 0;
    rc = 0;
done:
    if (rc < 0 && !err[0]) fail(err, errlen, "op %s: out of memory", nn_op_def_at(op)->name);
    nn_plan_free(p);
    free(ids);
    free(listed);
    free(samples);
    return rc;
}

int nn_op_bench(int op, const nn_op_bench_config *cfg, nn_op_bench_result *out, char *err, size_t errlen)
{
    err[0] = 0;
    memset(out, 0, sizeof *out);
    if (!nn_op_def_at(op)) return fail(err, errlen, "no op %d in the registry (%d ops)", op, nn_op_count());
    if (cfg->scale < 1 || cfg->samples < 1 || !(cfg->min_sample_ms >= 0))
        return fail(err, errlen, "op bench: scale %d and samples %d must be >= 1, min_sample_ms %g >= 0", cfg->scale,
                    cfg->samples, cfg->min_sample_ms);
    out->op = op;
    out->via = nn_op_grad_only(op) ? fused_op_of(op) : op;
    if (out->via < 0) return fail(err, errlen, "op %s: no op's backward runs it", nn_op_def_at(op)->name);
    int node;
    nn_graph *g = build_fixture(out->via, cfg->scale, &node, err, errlen);
    if (!g) return -1;
    int rc = time_fixture(g, node, op, cfg, out, err, errlen);
    nn_graph_free(g);
    return rc;
}
