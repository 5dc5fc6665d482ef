/* Elementwise unary math: affine (alpha x + beta), neg. */
#include "op_list.h"

static int same_infer(nn_graph *g, nn_node *n)
{
    n->shape = g->nodes[n->in[0]].shape;
    return 0;
}

/* ---- affine: y = alpha x + beta; attrs f[0] = alpha, f[1] = beta ---- */
static void affine_forward(nn_graph *g, nn_node *n)
{
    const float *x = g->nodes[n->in[0]].data;
    float *y = n->data, al = n->a.f[0], be = n->a.f[1];
    size_t k = nn_shape_numel(&n->shape);
#pragma omp parallel for simd if (k > NN_PAR_MIN)
    for (size_t i = 0; i < k; i++) y[i] = al * x[i] + be;
}

static int affine_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_affine(g, gout, g->nodes[id].a.f[0], 0.0f);
    return gin[0] < 0 ? -1 : 0;
}

static int affine_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(3, 4), r, -1, 1);
    return nn_affine(g, x, -1.5f, 0.25f);
}

const nn_op_def nn_def_affine = {"affine", 1, "alpha * x + beta", same_infer, affine_forward, affine_backward,
                                 affine_check, NULL};

int nn_affine(nn_graph *g, int x, float alpha, float beta)
{
    nn_attrs a = {.f = {alpha, beta}};
    return nn_op(g, NN_OP_affine, &x, 1, &a);
}

int nn_neg(nn_graph *g, int x) { return nn_affine(g, x, -1.0f, 0.0f); }
