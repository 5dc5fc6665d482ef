/* Shape-only ops: reshape (a copy into the new shape). */
#include "broadcast.h"
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
    memcpy(n->data, g->nodes[n->in[0]].data, nn_shape_numel(&n->shape) * sizeof(float));
}

static int reshape_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_reshape(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    return gin[0] < 0 ? -1 : 0;
}

static int reshape_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(3, 4), r, -1, 1);
    return nn_reshape(g, x, nn_shape3(2, 2, 3));
}

const nn_op_def nn_def_reshape = {"reshape", 1, "same values, new shape", reshape_infer, reshape_forward,
                                  reshape_backward, reshape_check, NULL};

int nn_reshape(nn_graph *g, int x, nn_shape s)
{
    if (x >= 0 && nn_shape_eq(&g->nodes[x].shape, &s)) return x;
    nn_attrs a = nn_shape_attrs(s);
    return nn_op(g, NN_OP_reshape, &x, 1, &a);
}
