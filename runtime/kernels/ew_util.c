/* Helpers shared by the elementwise, activation, random and loss op files. */
#include "ew_util.h"
#include "nn/ops.h"
#include <stdlib.h>

int nn_ew_same_infer(nn_graph *g, nn_node *n)
{
    n->shape = g->nodes[n->in[0]].shape;
    return 0;
}

int nn_ew_pair_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *a = &g->nodes[n->in[0]].shape, *b = &g->nodes[n->in[1]].shape;
    if (!nn_shape_eq(a, b)) {
        char sa[64], sb[64];
        return nn_graph_fail(g, "%s: inputs must have the same shape, got %s and %s", nn_op_def_at(n->op)->name,
                             nn_shape_str(a, sa, sizeof sa), nn_shape_str(b, sb, sizeof sb));
    }
    n->shape = *a;
    return 0;
}

int nn_ew_test_input_away(nn_graph *g, nn_shape s, nn_rng *r, float lo, float hi)
{
    int id = nn_test_input(g, s, r, lo, hi);
    if (id < 0) return -1;
    float *d = g->nodes[id].data;
    size_t n = nn_shape_numel(&s);
    for (size_t i = 0; i < n; i++)
        if (nn_rng_uniform(r) < 0.5f) d[i] = -d[i];
    return id;
}

int nn_ew_test_input_distinct(nn_graph *g, nn_shape s, nn_rng *r)
{
    int id = nn_test_input(g, s, r, 0, 1);
    if (id < 0) return -1;
    int n = (int)nn_shape_numel(&s), *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) return nn_graph_fail(g, "out of memory for a fixture of %d values", n);
    for (int i = 0; i < n; i++) perm[i] = i;
    nn_rng_shuffle(r, perm, n);
    for (int i = 0; i < n; i++) g->nodes[id].data[i] = 0.05f * (float)(perm[i] - n / 2);
    free(perm);
    return id;
}

nn_shape nn_ew_rows_keep(nn_shape s)
{
    s.d[s.ndim - 1] = 1;
    return s;
}

void nn_ew_rows(const nn_shape *s, size_t *rows, size_t *cols)
{
    *cols = (size_t)s->d[s->ndim - 1];
    *rows = nn_shape_numel(s) / *cols;
}
