/* The maximum over one axis, removing it, and the pair of ops its gradients are made of
 * (as for max pooling, op_pool_max.c). x is seen as (outer, L, inner) around the axis;
 * the result is (outer, inner) in x's shape without the axis. attrs i[0] = axis (a negative
 * one counts from the end; infer stores it normalised). x needs at least 2 dims.
 *   max_over(x)           -> reduced: the maximum along the axis.
 *   max_over_select(x, g) -> reduced: g (shape of x) read at the argmax of x along the axis.
 *   max_over_route(x, h)  -> shape of x: h (reduced) placed at the argmax, zeros elsewhere.
 * d max_over / dx = max_over_route(x, gout); select and route are linear in their second
 * input and each other's transpose; neither has a gradient w.r.t. x (the argmax is piecewise
 * constant). Ties go to the first maximum; a NaN wins so it propagates. No indices are stored:
 * select and route recompute the argmax from x. */
#include "../kernels/axis_view.h"
#include "../kernels/ew_util.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

#define CHUNK 64    /* inner columns whose argmax is tracked at once (stack arrays) */

/* idx[c] = argmax over l of x[l * inner + c] for c < cnt (x points at column 0 of the chunk). */
static void argmax_chunk(const float *x, size_t len, size_t inner, size_t cnt, int *idx)
{
    float best[CHUNK];
    for (size_t c = 0; c < cnt; c++) best[c] = x[c], idx[c] = 0;
    for (size_t l = 1; l < len; l++) {
        const float *row = x + l * inner;
        for (size_t c = 0; c < cnt; c++) {
            float v = row[c];
            int wins = v > best[c] || (v != v && best[c] == best[c]);
            best[c] = wins ? v : best[c];
            idx[c] = wins ? (int)l : idx[c];
        }
    }
}

typedef enum { MODE_MAX, MODE_SELECT, MODE_ROUTE } max_mode;

/* One outer slice: x (L, inner), v the second input's slice, y the output slice. */
static void max_over_slice(max_mode mode, const float *x, const float *v, float *y, nn_axis_view a)
{
    int idx[CHUNK];
    if (mode == MODE_ROUTE) memset(y, 0, a.len * a.inner * sizeof(float));
    for (size_t c0 = 0; c0 < a.inner; c0 += CHUNK) {
        size_t cnt = a.inner - c0 < CHUNK ? a.inner - c0 : CHUNK;
        argmax_chunk(x + c0, a.len, a.inner, cnt, idx);
        for (size_t c = 0; c < cnt; c++) {
            size_t at = (size_t)idx[c] * a.inner + c0 + c;
            if (mode == MODE_MAX) y[c0 + c] = x[at];
            else if (mode == MODE_SELECT) y[c0 + c] = v[at];
            else y[at] = v[c0 + c];
        }
    }
}

typedef struct {
    max_mode mode;
    const float *x, *v;
    float *y;
    size_t vs, ys;   /* floats between outer slices of v and y */
    nn_axis_view a;
} max_over_ctx;

static void max_over_slices(const void *p, size_t lo, size_t hi)
{
    const max_over_ctx *c = p;
    size_t full = c->a.len * c->a.inner;   /* floats per outer slice of x */
    for (size_t o = lo; o < hi; o++)
        max_over_slice(c->mode, c->x + o * full, c->v ? c->v + o * c->vs : NULL, c->y + o * c->ys, c->a);
}

static void max_over_run(nn_graph *g, nn_node *n, max_mode mode)
{
    const nn_node *x = &g->nodes[n->in[0]];
    nn_axis_view a = nn_axis_view_of(&x->shape, n->a.i[0]);
    size_t full = a.len * a.inner;
    max_over_ctx c = {mode, x->data, n->n_in > 1 ? g->nodes[n->in[1]].data : NULL, n->data,
                      mode == MODE_SELECT ? full : a.inner, mode == MODE_ROUTE ? full : a.inner, a};
    nn_par_items(a.outer, full, max_over_slices, &c);
}

static void max_over_forward(nn_graph *g, nn_node *n) { max_over_run(g, n, MODE_MAX); }
static void max_over_select_forward(nn_graph *g, nn_node *n) { max_over_run(g, n, MODE_SELECT); }
static void max_over_route_forward(nn_graph *g, nn_node *n) { max_over_run(g, n, MODE_ROUTE); }

/* ---- shapes ---- */
static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

/* Checks x's rank and the axis (normalised into n->a.i[0]); *reduced = x without the axis. */
static int reduced_infer(nn_graph *g, nn_node *n, nn_shape *reduced)
{
    const nn_shape *x = shape_in(g, n, 0);
    const char *name = nn_op_def_at(n->op)->name;
    char b[64];
    if (x->ndim < 2)
        return nn_graph_fail(g, "%s: x must have at least 2 dims (one is removed), got %s", name, nn_shape_str(x, b, sizeof b));
    int axis = n->a.i[0];
    if (axis < -x->ndim || axis >= x->ndim)
        return nn_graph_fail(g, "%s: axis %d is out of range for %s (use 0..%d, or -1 for the last)", name, axis,
                             nn_shape_str(x, b, sizeof b), x->ndim - 1);
    n->a.i[0] = axis < 0 ? axis + x->ndim : axis;
    *reduced = nn_shape_drop_axis(x, n->a.i[0]);
    return 0;
}

static int second_input_is(nn_graph *g, nn_node *n, const nn_shape *want, const char *what)
{
    if (nn_shape_eq(want, shape_in(g, n, 1))) return 0;
    char a[64], b[64];
    return nn_graph_fail(g, "%s: %s %s, got %s", nn_op_def_at(n->op)->name, what, nn_shape_str(want, a, sizeof a),
                         nn_shape_str(shape_in(g, n, 1), b, sizeof b));
}

static int max_over_infer(nn_graph *g, nn_node *n) { return reduced_infer(g, n, &n->shape); }

static int max_over_select_infer(nn_graph *g, nn_node *n)
{
    if (reduced_infer(g, n, &n->shape) < 0) return -1;
    return second_input_is(g, n, shape_in(g, n, 0), "g must have the shape of x");
}

static int max_over_route_infer(nn_graph *g, nn_node *n)
{
    nn_shape reduced;
    if (reduced_infer(g, n, &reduced) < 0) return -1;
    n->shape = *shape_in(g, n, 0);
    return second_input_is(g, n, &reduced, "h must have x's shape without the axis");
}

/* ---- gradients ---- */
static int pair_op(nn_graph *g, int op, int x, int v, int axis)
{
    nn_attrs a = {.i = {axis}};
    return nn_op(g, op, (int[]){x, v}, 2, &a);
}

static int max_over_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = pair_op(g, NN_OP_max_over_route, g->nodes[id].in[0], gout, g->nodes[id].a.i[0]);
    return gin[0] < 0 ? -1 : 0;
}

static int max_over_select_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = -1;
    gin[1] = pair_op(g, NN_OP_max_over_route, g->nodes[id].in[0], gout, g->nodes[id].a.i[0]);
    return gin[1] < 0 ? -1 : 0;
}

static int max_over_route_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = -1;
    gin[1] = pair_op(g, NN_OP_max_over_select, g->nodes[id].in[0], gout, g->nodes[id].a.i[0]);
    return gin[1] < 0 ? -1 : 0;
}

/* ---- fixtures: x (2,5,3) of distinct values, the max over axis 1 ---- */
static nn_shape check_shape(int scale) { return nn_shape3(2 * scale, 5 * scale, 3 * scale); }

static int max_over_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_max_over(g, nn_ew_test_input_distinct(g, check_shape(scale), r), 1);
}
static int max_over_select_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_distinct(g, check_shape(scale), r);
    return pair_op(g, NN_OP_max_over_select, x, nn_test_input(g, check_shape(scale), r, -1, 1), 1);
}
static int max_over_route_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_distinct(g, check_shape(scale), r);
    return pair_op(g, NN_OP_max_over_route, x, nn_test_input(g, nn_shape2(2 * scale, 3 * scale), r, -1, 1), -2);
}

static double x_flops(nn_graph *g, const nn_node *n) { return (double)nn_shape_numel(&g->nodes[n->in[0]].shape); }

const nn_op_def nn_def_max_over = {"max_over", 1, "maximum over one axis, removing it: (N,T,C) axis 1 -> (N,C)",
                                   max_over_infer, max_over_forward, max_over_backward, max_over_check, x_flops};
const nn_op_def nn_def_max_over_select = {"max_over_select", 2,
                                          "(x, g) -> x without the axis: g read at x's argmax (gradient pair of max_over_route)",
                                          max_over_select_infer, max_over_select_forward, max_over_select_backward,
                                          max_over_select_check, x_flops};
const nn_op_def nn_def_max_over_route = {"max_over_route", 2,
                                         "(x, h) -> shape of x: h placed at x's argmax along the axis (gradient of max_over)",
                                         max_over_route_infer, max_over_route_forward, max_over_route_backward,
                                         max_over_route_check, x_flops};

int nn_max_over(nn_graph *g, int x, int axis)
{
    nn_attrs a = {.i = {axis}};
    return nn_op(g, NN_OP_max_over, &x, 1, &a);
}
