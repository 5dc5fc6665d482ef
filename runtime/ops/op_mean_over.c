/* The mean over one axis, removing it, and its transpose.
 *   mean_over(x): x seen as (outer, L, inner) around the axis -> (outer, inner) in x's shape
 *     without the axis. attrs i[0] = axis (negative counts from the end; stored normalised).
 *     x needs at least 2 dims.
 *   mean_over_grad(h): h (x's shape without the axis) -> x's shape, each value h / L copied
 *     along the re-inserted axis. attrs i[0] = axis, i[1] = L.
 * Both are linear and each other's transpose, so each one's backward is the other. */
#include "../kernels/axis_view.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

/* y (inner) = mean over l of x (len, inner) */
static void mean_slice(const float *x, float *y, size_t len, size_t inner)
{
    memcpy(y, x, inner * sizeof(float));
    for (size_t l = 1; l < len; l++) {
        const float *row = x + l * inner;
#pragma omp simd
        for (size_t c = 0; c < inner; c++) y[c] += row[c];
    }
    float s = 1.0f / (float)len;
#pragma omp simd
    for (size_t c = 0; c < inner; c++) y[c] *= s;
}

/* y (len, inner) = h (inner) / len on every row */
static void spread_slice(const float *h, float *y, size_t len, size_t inner)
{
    float s = 1.0f / (float)len;
    for (size_t l = 0; l < len; l++) {
        float *row = y + l * inner;
#pragma omp simd
        for (size_t c = 0; c < inner; c++) row[c] = s * h[c];
    }
}

typedef void (*slice_fn)(const float *src, float *dst, size_t len, size_t inner);

typedef struct {
    const float *src;
    float *dst;
    size_t ss, ds;   /* floats between outer slices */
    nn_axis_view a;
    slice_fn fn;
} slices_ctx;

static void slices_chunk(const void *p, size_t lo, size_t hi)
{
    const slices_ctx *c = p;
    for (size_t o = lo; o < hi; o++) c->fn(c->src + o * c->ss, c->dst + o * c->ds, c->a.len, c->a.inner);
}

/* Runs fn on every outer slice, on the pool when large. */
static void run_slices(const float *src, size_t ss, float *dst, size_t ds, nn_axis_view a, slice_fn fn)
{
    nn_par_items(a.outer, a.len * a.inner, slices_chunk, &(slices_ctx){src, dst, ss, ds, a, fn});
}

static void mean_over_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    nn_axis_view a = nn_axis_view_of(&x->shape, n->a.i[0]);
    run_slices(x->data, a.len * a.inner, n->data, a.inner, a, mean_slice);
}

static void mean_over_grad_forward(nn_graph *g, nn_node *n)
{
    nn_axis_view a = nn_axis_view_of(&n->shape, n->a.i[0]);
    run_slices(g->nodes[n->in[0]].data, a.inner, n->data, a.len * a.inner, a, spread_slice);
}

/* ---- shapes ---- */
static int mean_over_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    char b[64];
    if (x->ndim < 2)
        return nn_graph_fail(g, "mean_over: x must have at least 2 dims (one is removed), got %s (use mean for all elements)",
                             nn_shape_str(x, b, sizeof b));
    int axis = n->a.i[0];
    if (axis < -x->ndim || axis >= x->ndim)
        return nn_graph_fail(g, "mean_over: axis %d is out of range for %s (use 0..%d, or -1 for the last)", axis,
                             nn_shape_str(x, b, sizeof b), x->ndim - 1);
    n->a.i[0] = axis < 0 ? axis + x->ndim : axis;
    n->shape = nn_shape_drop_axis(x, n->a.i[0]);
    return 0;
}

static int mean_over_grad_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *h = &g->nodes[n->in[0]].shape;
    int axis = n->a.i[0], len = n->a.i[1];
    char b[64];
    if (h->ndim >= NN_MAX_DIMS)
        return nn_graph_fail(g, "mean_over_grad: h %s has no room for another axis (at most %d dims)",
                             nn_shape_str(h, b, sizeof b), NN_MAX_DIMS);
    if (axis < 0 || axis > h->ndim || len < 1)
        return nn_graph_fail(g, "mean_over_grad: cannot insert an axis of length %d at position %d of %s", len, axis,
                             nn_shape_str(h, b, sizeof b));
    n->shape = nn_shape_insert_axis(h, axis, len);
    return 0;
}

/* ---- gradients ---- */
static int mean_over_grad_of(nn_graph *g, int h, int axis, int len)
{
    nn_attrs a = {.i = {axis, len}};
    return nn_op(g, NN_OP_mean_over_grad, &h, 1, &a);
}

static int mean_over_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_node *n = &g->nodes[id];
    int axis = n->a.i[0];
    gin[0] = mean_over_grad_of(g, gout, axis, g->nodes[n->in[0]].shape.d[axis]);
    return gin[0] < 0 ? -1 : 0;
}

static int mean_over_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_mean_over(g, gout, g->nodes[id].a.i[0]);
    return gin[0] < 0 ? -1 : 0;
}

static int mean_over_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_mean_over(g, nn_test_input(g, nn_shape3(2 * scale, 3 * scale, 4 * scale), r, -1, 1), -1);
}
static int mean_over_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    return mean_over_grad_of(g, nn_test_input(g, nn_shape2(2 * scale, 4 * scale), r, -1, 1), 1, 3 * scale);
}

const nn_op_def nn_def_mean_over = {"mean_over", 1, "mean over one axis, removing it: (N,T,C) axis 1 -> (N,C)",
                                    mean_over_infer, mean_over_forward, mean_over_backward, mean_over_check, NULL};
const nn_op_def nn_def_mean_over_grad = {"mean_over_grad", 1, "h -> h / L copied along a re-inserted axis of length L (transpose of mean_over)",
                                         mean_over_grad_infer, mean_over_grad_forward, mean_over_grad_backward,
                                         mean_over_grad_check, NULL};

int nn_mean_over(nn_graph *g, int x, int axis)
{
    nn_attrs a = {.i = {axis}};
    return nn_op(g, NN_OP_mean_over, &x, 1, &a);
}
