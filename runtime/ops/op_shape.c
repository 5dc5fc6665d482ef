/* Shape-only ops: reshape (the planner lets it share its input's buffer; a copy otherwise), transpose_last2 (the last two axes
 * swapped) and permute (any reordering of the axes). */
#include "../kernels/broadcast.h"
#include "../kernels/permute.h"
#include "op_list.h"
#include <string.h>

static int reshape_infer(nn_graph *g, nn_node *n)
{
    nn_shape t = nn_attrs_shape(&n->a);
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    if (nn_shape_numel(&t) != nn_shape_numel(x)) {
        char a[64], b[64];
        return nn_graph_fail(g, "cannot reshape %s (%zu values) to %s (%zu values)", nn_shape_str(x, a, sizeof a),
                             nn_shape_numel(x), nn_shape_str(&t, b, sizeof b), nn_shape_numel(&t));
    }
    n->shape = t;
    return 0;
}

static void reshape_forward(nn_graph *g, nn_node *n)
{
    if (n->data != g->nodes[n->in[0]].data) memcpy(n->data, g->nodes[n->in[0]].data, nn_shape_numel(&n->shape) * sizeof(float));
}

static int reshape_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_reshape(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    return gin[0] < 0 ? -1 : 0;
}

static int reshape_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape2(3 * scale, 4 * scale), r, -1, 1);
    return nn_reshape(g, x, nn_shape3(2, 2 * scale, 3 * scale));
}

const nn_op_def nn_def_reshape = {"reshape", 1, "same values, new shape", reshape_infer, reshape_forward,
                                  reshape_backward, reshape_check, NULL};

int nn_reshape(nn_graph *g, int x, nn_shape s)
{
    if (x >= 0 && nn_shape_eq(&g->nodes[x].shape, &s)) return x;
    nn_attrs a = nn_shape_attrs(s);
    return nn_op(g, NN_OP_reshape, &x, 1, &a);
}

/* ======== transpose_last2: x (..., A, B) -> (..., B, A) ========
 * Swaps the last two axes (a copy). Conv1d uses it to read a PyTorch-layout weight (F, C, K) as
 * the (F, K, C) rows its channels-last windows need. */
static int transpose_last2_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    if (x->ndim < 2) {
        char b[64];
        return nn_graph_fail(g, "transpose_last2: x needs at least 2 dims, got %s", nn_shape_str(x, b, sizeof b));
    }
    n->shape = *x;
    n->shape.d[x->ndim - 1] = x->d[x->ndim - 2];
    n->shape.d[x->ndim - 2] = x->d[x->ndim - 1];
    return 0;
}

static void transpose_last2_forward(nn_graph *g, nn_node *n)
{
    const nn_shape *s = &g->nodes[n->in[0]].shape;
    size_t a = (size_t)s->d[s->ndim - 2], b = (size_t)s->d[s->ndim - 1], m = a * b, mats = nn_shape_numel(s) / m;
    const float *x = g->nodes[n->in[0]].data;
    for (size_t k = 0; k < mats; k++) {
        const float *src = x + k * m;
        float *dst = n->data + k * m;
        for (size_t i = 0; i < a; i++)
            for (size_t j = 0; j < b; j++) dst[j * a + i] = src[i * b + j];
    }
}

static int transpose_last2_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)id;
    gin[0] = nn_transpose_last2(g, gout);
    return gin[0] < 0 ? -1 : 0;
}

static int transpose_last2_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_transpose_last2(g, nn_test_input(g, nn_shape3(2 * scale, 3 * scale, 4 * scale), r, -1, 1));
}

const nn_op_def nn_def_transpose_last2 = {"transpose_last2", 1, "(..., A, B) -> (..., B, A): swaps the last two axes",
                                          transpose_last2_infer, transpose_last2_forward, transpose_last2_backward,
                                          transpose_last2_check, NULL};

int nn_transpose_last2(nn_graph *g, int x) { return nn_op(g, NN_OP_transpose_last2, &x, 1, NULL); }

/* ======== permute: x (d0, .., d_{n-1}) -> (d_perm[0], .., d_perm[n-1]) ========
 * y's axis k is x's axis perm[k] (PyTorch's x.permute(perm)); attrs i[0..ndim-1] = perm, stored
 * with negative axes normalised. (B,T,H,d) -> (B,H,T,d) is perm (0,2,1,3). A copy
 * (kernels/permute.c); its gradient is the inverse permutation. */
_Static_assert(NN_MAX_DIMS <= NN_PERMUTE_MAX_DIMS, "permute's kernel and attrs hold every axis");

static int permute_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    int seen[NN_MAX_DIMS] = {0};
    for (int k = 0; k < x->ndim; k++) {
        int ax = n->a.i[k] < 0 ? n->a.i[k] + x->ndim : n->a.i[k];
        if (ax < 0 || ax >= x->ndim || seen[ax]) {
            char b[64];
            return nn_graph_fail(g, "permute: the axes of %s must be a permutation of 0..%d (each once; -1 is the last), got %d "
                                    "at position %d", nn_shape_str(x, b, sizeof b), x->ndim - 1, n->a.i[k], k);
        }
        seen[ax] = 1;
        n->a.i[k] = ax;
        n->shape.d[k] = x->d[ax];
    }
    n->shape.ndim = x->ndim;
    return 0;
}

static void permute_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    nn_permute_copy(x->data, n->data, x->shape.ndim, x->shape.d, n->a.i);
}

static int permute_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    int inv[NN_MAX_DIMS];
    for (int k = 0; k < n->shape.ndim; k++) inv[n->a.i[k]] = k;
    gin[0] = nn_permute(g, gout, inv, n->shape.ndim);
    return gin[0] < 0 ? -1 : 0;
}

/* a permutation that moves every axis, so a wrong inverse shows */
static int permute_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_shape s = nn_shape4(2 * scale, 3 * scale, 4 * scale, 2);   /* three axes scaled: s^3 values */
    return nn_permute(g, nn_test_input(g, s, r, -1, 1), (int[]){2, 0, 3, 1}, 4);
}

const nn_op_def nn_def_permute = {"permute", 1, "reorders the axes: y's axis k is x's axis perm[k] (a copy)",
                                  permute_infer, permute_forward, permute_backward, permute_check, NULL};

int nn_permute(nn_graph *g, int x, const int *perm, int n)
{
    if (x < 0) return -1;
    const nn_shape *s = &g->nodes[x].shape;
    if (n != s->ndim || !perm) {
        char b[64];
        return nn_graph_fail(g, "permute: %s has %d axes, the permutation %d entries", nn_shape_str(s, b, sizeof b), s->ndim, n);
    }
    nn_attrs a = {0};
    for (int k = 0; k < n; k++) a.i[k] = perm[k];
    return nn_op(g, NN_OP_permute, &x, 1, &a);
}
