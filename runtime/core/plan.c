/* Memory planning and execution: one arena per plan, a buffer reused once its last reader
 * has run (first-fit over a free list, adjacent holes merged). */
#include "nn/big_alloc.h"
#include "nn/graph.h"
#include "../ops/op_list.h"
#include "gemm_pack_cache.h"
#include <stdio.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS 16   /* 64-byte alignment for vector loads */

typedef struct {
    size_t off, size;
} hole;

typedef struct {
    hole *h;
    int n, cap;
    size_t top;           /* high-water mark */
} allocator;

static size_t round_up(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

static size_t alloc_take(allocator *a, size_t size)
{
    int best = -1;
    for (int i = 0; i < a->n; i++)   /* best fit keeps big holes for big tensors */
        if (a->h[i].size >= size && (best < 0 || a->h[i].size < a->h[best].size)) best = i;
    if (best < 0) {
        /* grow: if the last hole touches the top, extend it */
        for (int i = 0; i < a->n; i++)
            if (a->h[i].off + a->h[i].size == a->top) {
                size_t off = a->h[i].off;
                a->top = off + size;
                a->h[i] = a->h[--a->n];
                return off;
            }
        size_t off = a->top;
        a->top += size;
        return off;
    }
    size_t off = a->h[best].off;
    a->h[best].off += size;
    a->h[best].size -= size;
    if (a->h[best].size == 0) a->h[best] = a->h[--a->n];
    return off;
}

static int alloc_give(allocator *a, size_t off, size_t size)
{
    for (int i = 0; i < a->n; i++) {          /* merge with neighbours */
        if (a->h[i].off + a->h[i].size == off) {
            off = a->h[i].off;
            size += a->h[i].size;
            a->h[i--] = a->h[--a->n];
        } else if (off + size == a->h[i].off) {
            size += a->h[i].size;
            a->h[i--] = a->h[--a->n];
        }
    }
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        hole *h = realloc(a->h, (size_t)cap * sizeof *h);
        if (!h) return -1;
        a->h = h;
        a->cap = cap;
    }
    a->h[a->n++] = (hole){off, size};
    return 0;
}

static int planned(const nn_node *n) { return n->kind == NN_NODE_OP && !n->bound; }

/* The node whose buffer holds node id's values: itself, or what a reshape chain shares. */
static int buffer_of(const int *root, int id) { return root[id] >= 0 ? root[id] : id; }

nn_plan *nn_plan_create(nn_graph *g, const int *targets, int n_targets)
{
    return nn_plan_create_given(g, targets, n_targets, NULL, 0);
}

nn_plan *nn_plan_create_given(nn_graph *g, const int *targets, int n_targets, const int *given, int n_given)
{
    int n = g->n;
    nn_plan *p = calloc(1, sizeof *p);
    char *need = calloc((size_t)n, 1), *have = calloc((size_t)n, 1);
    int *last_use = malloc((size_t)n * sizeof *last_use), *root = malloc((size_t)n * sizeof *root);
    allocator a = {0};
    if (!p || !need || !have || !last_use || !root) goto fail;
    for (int k = 0; k < n_given; k++) {
        if (given[k] < 0 || given[k] >= n || !g->nodes[given[k]].bound) goto fail;   /* only bound values persist */
        have[given[k]] = 1;
    }
    p->n_nodes = n;
    p->order = malloc((size_t)n * sizeof *p->order);
    p->offset = malloc((size_t)n * sizeof *p->offset);
    if (!p->order || !p->offset) goto fail;
    for (int k = 0; k < n_targets; k++)
        if (targets[k] >= 0 && targets[k] < n) need[targets[k]] = 1;
    for (int i = n - 1; i >= 0; i--) {
        nn_node *nd = &g->nodes[i];
        if (!need[i] || have[i] || nd->kind != NN_NODE_OP) continue;
        for (int k = 0; k < nd->n_in; k++) need[nd->in[k]] = 1;
    }
    for (int i = 0; i < n; i++) {
        last_use[i] = -1;
        root[i] = -1;              /* nodes not run here (inputs, parameters, given values) */
        p->offset[i] = SIZE_MAX;
        if (need[i] && !have[i] && g->nodes[i].kind == NN_NODE_OP) p->order[p->n++] = i;
    }
    for (int t = 0; t < p->n; t++) {
        nn_node *nd = &g->nodes[p->order[t]];
        for (int k = 0; k < nd->n_in; k++) last_use[nd->in[k]] = t;
    }
    for (int k = 0; k < n_targets; k++)
        if (targets[k] >= 0 && targets[k] < n) last_use[targets[k]] = INT32_MAX;
    /* a reshape of a planned tensor shares its buffer (values are never changed once written),
     * which then lives until the last reader of any of its names */
    for (int t = 0; t < p->n; t++) {
        int id = p->order[t];
        const nn_node *nd = &g->nodes[id];
        root[id] = id;
        if (nd->op == NN_OP_reshape && planned(nd) && planned(&g->nodes[nd->in[0]])) root[id] = root[nd->in[0]];
        if (root[id] != id && last_use[id] > last_use[root[id]]) last_use[root[id]] = last_use[id];
    }
    for (int t = 0; t < p->n; t++) {
        int id = p->order[t];
        nn_node *nd = &g->nodes[id];
        size_t size = round_up(nn_shape_numel(&nd->shape));
        if (root[id] != id) p->offset[id] = p->offset[root[id]];
        else if (planned(nd)) {
            p->offset[id] = alloc_take(&a, size);
            if (last_use[id] < 0 && alloc_give(&a, p->offset[id], size) < 0) goto fail;   /* computed, never read */
        }
        for (int k = 0; k < nd->n_in; k++) {
            int src = buffer_of(root, nd->in[k]);
            int dup = 0;
            for (int j = 0; j < k; j++) dup |= buffer_of(root, nd->in[j]) == src;
            if (dup || last_use[src] != t || !planned(&g->nodes[src])) continue;
            if (alloc_give(&a, p->offset[src], round_up(nn_shape_numel(&g->nodes[src].shape))) < 0) goto fail;
        }
    }
    p->arena_floats = a.top;
    p->arena = nn_big_alloc((a.top ? a.top : ALIGN_FLOATS) * sizeof(float));
    if (!p->arena) goto fail;
    free(a.h);
    free(need);
    free(have);
    free(last_use);
    free(root);
    return p;
fail:
    free(a.h);
    free(need);
    free(have);
    free(last_use);
    free(root);
    nn_plan_free(p);
    return NULL;
}

static int profiling;
/* NN_PROFILE_CPU set: the profile counts process CPU time instead of wall time. With
 * OMP_NUM_THREADS=1 that is what an op costs even while other jobs share the cores. */
static clockid_t prof_clock = CLOCK_MONOTONIC;
static double prof_ns[NN_OP_COUNT];
static long prof_calls[NN_OP_COUNT];

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(prof_clock, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void nn_profile_enable(int on)
{
    profiling = on;
    prof_clock = getenv("NN_PROFILE_CPU") ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
}

void nn_profile_report(FILE *out)
{
    int order[NN_OP_COUNT];
    double total = 0;
    for (int i = 0; i < NN_OP_COUNT; i++) {
        order[i] = i;
        total += prof_ns[i];
    }
    for (int i = 1; i < NN_OP_COUNT; i++)   /* insertion sort by time, largest first */
        for (int j = i; j > 0 && prof_ns[order[j]] > prof_ns[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    fprintf(out, "%-20s %10s %12s %7s\n", "op", "calls", "total ms", "share");
    for (int k = 0; k < NN_OP_COUNT && prof_calls[order[k]]; k++) {
        int i = order[k];
        fprintf(out, "%-20s %10ld %12.1f %6.1f%%\n", nn_op_def_at(i)->name, prof_calls[i], prof_ns[i] / 1e6,
                total > 0 ? 100 * prof_ns[i] / total : 0);
    }
    memset(prof_ns, 0, sizeof prof_ns);
    memset(prof_calls, 0, sizeof prof_calls);
}

void nn_plan_run(nn_graph *g, nn_plan *p)
{
    for (int t = 0; t < p->n; t++) {
        int id = p->order[t];
        if (p->offset[id] != SIZE_MAX) g->nodes[id].data = p->arena + p->offset[id];
    }
    nn_gemm_cache_open();   /* parameters hold still until the ops have run */
    for (int t = 0; t < p->n; t++) {
        nn_node *nd = &g->nodes[p->order[t]];
        if (!profiling) {
            nn_op_def_at(nd->op)->forward(g, nd);
            continue;
        }
        double t0 = now_ns();
        nn_op_def_at(nd->op)->forward(g, nd);
        prof_ns[nd->op] += now_ns() - t0;
        prof_calls[nd->op]++;
    }
    nn_gemm_cache_close();
}

double nn_plan_flops(nn_graph *g, const nn_plan *p)
{
    double f = 0;
    for (int t = 0; t < p->n; t++) f += nn_node_flops(g, &g->nodes[p->order[t]]);
    return f;
}

struct nn_shared_arena {
    float *data;
    int refs;
};

int nn_plans_share_arena(nn_plan *const *plans, int n)
{
    size_t floats = ALIGN_FLOATS;
    int joining = 0;
    for (int i = 0; i < n; i++)
        if (plans[i] && !plans[i]->shared) {
            joining++;
            if (plans[i]->arena_floats > floats) floats = plans[i]->arena_floats;
        }
    if (joining < 2) return 0;
    nn_shared_arena *a = malloc(sizeof *a);
    float *data = nn_big_alloc(floats * sizeof(float));
    if (!a || !data) {
        free(a);
        free(data);
        return -1;
    }
    *a = (nn_shared_arena){data, 0};
    for (int i = 0; i < n; i++)
        if (plans[i] && !plans[i]->shared) {
            free(plans[i]->arena);
            plans[i]->arena = data;
            plans[i]->shared = a;
            a->refs++;
        }
    return 0;
}

void nn_plan_free(nn_plan *p)
{
    if (!p) return;
    free(p->order);
    free(p->offset);
    if (!p->shared) free(p->arena);
    else if (--p->shared->refs == 0) {
        free(p->shared->data);
        free(p->shared);
    }
    free(p);
}
