/* flip(x): x with one axis reversed, y[o, l, i] = x[o, L-1-l, i] (x seen as (outer, L, inner)
 * around the axis). attrs i[0] = axis (a negative one counts from the end; infer stores it
 * normalised). A permutation that is its own inverse and its own transpose, so its backward is
 * a flip of the output gradient. Bidirectional recurrent layers run their reverse direction
 * over a flipped sequence (and flip its outputs back). */
#include "../kernels/axis_view.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

static int flip_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    int axis = n->a.i[0];
    if (axis < -x->ndim || axis >= x->ndim) {
        char b[64];
        return nn_graph_fail(g, "flip: axis %d is out of range for %s (use 0..%d, or -1 for the last)", axis,
                             nn_shape_str(x, b, sizeof b), x->ndim - 1);
    }
    n->a.i[0] = axis < 0 ? axis + x->ndim : axis;
    n->shape = *x;
    return 0;
}

/* One outer slice: y (L, inner) = x (L, inner) with its rows in reverse order. */
static void flip_slice(const float *x, float *y, nn_axis_view a)
{
    for (size_t l = 0; l < a.len; l++) memcpy(y + l * a.inner, x + (a.len - 1 - l) * a.inner, a.inner * sizeof(float));
}

typedef struct {
    const float *x;
    float *y;
    nn_axis_view a;
} flip_ctx;

static void flip_slices(const void *p, size_t lo, size_t hi)
{
    const flip_ctx *c = p;
    size_t full = c->a.len * c->a.inner;   /* floats per outer slice */
    for (size_t o = lo; o < hi; o++) flip_slice(c->x + o * full, c->y + o * full, c->a);
}

static void flip_forward(nn_graph *g, nn_node *n)
{
    nn_axis_view a = nn_axis_view_of(&n->shape, n->a.i[0]);
    nn_par_items(a.outer, a.len * a.inner, flip_slices, &(flip_ctx){g->nodes[n->in[0]].data, n->data, a});
}

static int flip_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_flip(g, gout, g->nodes[id].a.i[0]);
    return gin[0] < 0 ? -1 : 0;
}

/* (2,5,3) flipped along the middle axis, given as -2 to exercise normalisation */
static int flip_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_flip(g, nn_test_input(g, nn_shape3(2 * scale, 5 * scale, 3 * scale), r, -1, 1), -2);
}

const nn_op_def nn_def_flip = {"flip", 1, "reverse one axis: (N,T,C) axis 1 -> the steps in reverse order", flip_infer,
                               flip_forward, flip_backward, flip_check, NULL};

int nn_flip(nn_graph *g, int x, int axis)
{
    nn_attrs a = {.i = {axis}};
    return nn_op(g, NN_OP_flip, &x, 1, &a);
}
