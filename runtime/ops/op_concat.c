/* Concatenation along an axis, and the pair its gradient is made of: slice and pad_axis.
 *   concat(x_0, .., x_{n-1}), 2 <= n <= 4: equal shapes except along the axis, where the
 *     lengths add up. attrs i[0] = axis. Backward: a slice of gout per input.
 *   slice(x): the elements [start, start + len) of the axis. attrs i[0] = axis, i[1] = start,
 *     i[2] = len. Backward: pad_axis.
 *   pad_axis(x): zeros of length `full` along the axis with x at [start, start + len).
 *     attrs i[0] = axis, i[1] = start, i[2] = full. Backward: slice.
 * A negative axis counts from the end (-1 is the last), as in PyTorch; infer stores it
 * normalised. A tensor is seen as (outer, length along the axis, inner), so each op copies
 * `outer` contiguous blocks. */
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

#define CONCAT_MAX 4   /* inputs of one concat (fewer than NN_MAX_INPUTS; the spec's layer lists hold 4) */

static void axis_split(const nn_shape *s, int axis, size_t *outer, size_t *inner)
{
    *outer = *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= (size_t)s->d[i];
    for (int i = axis + 1; i < s->ndim; i++) *inner *= (size_t)s->d[i];
}

typedef struct {
    float *dst;
    const float *src;
    size_t ds, ss, len;
} copy_ctx;

static void copy_rows(const void *p, size_t lo, size_t hi)
{
    const copy_ctx *c = p;
    for (size_t r = lo; r < hi; r++) memcpy(c->dst + r * c->ds, c->src + r * c->ss, c->len * sizeof(float));
}

/* dst[r * ds + j] = src[r * ss + j] for r < rows, j < len; on the pool when large */
static void copy_blocks(float *dst, size_t ds, const float *src, size_t ss, size_t rows, size_t len)
{
    nn_par_items(rows, len, copy_rows, &(copy_ctx){dst, src, ds, ss, len});
}

/* pad_axis's rows: each row of the output (ds floats) is `before` zeros, the source row (len
 * floats, ss apart), then zeros */
typedef struct {
    float *dst;
    const float *src;
    size_t ds, ss, before, len;
} pad_ctx;

static void pad_rows(const void *p, size_t lo, size_t hi)
{
    const pad_ctx *c = p;
    size_t after = c->ds - c->before - c->len;
    for (size_t r = lo; r < hi; r++) {
        float *d = c->dst + r * c->ds;
        memset(d, 0, c->before * sizeof(float));
        memcpy(d + c->before, c->src + r * c->ss, c->len * sizeof(float));
        memset(d + c->before + c->len, 0, after * sizeof(float));
    }
}

/* Normalises n->a.i[0] against x's rank; returns 0 or -1 after nn_graph_fail(). */
static int axis_infer(nn_graph *g, nn_node *n, const nn_shape *x)
{
    int axis = n->a.i[0];
    if (axis < -x->ndim || axis >= x->ndim) {
        char b[64];
        return nn_graph_fail(g, "%s: axis %d is out of range for %s (use 0..%d, or -1 for the last)", nn_op_def_at(n->op)->name,
                             axis, nn_shape_str(x, b, sizeof b), x->ndim - 1);
    }
    n->a.i[0] = axis < 0 ? axis + x->ndim : axis;
    return 0;
}

static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

/* ---- concat ---- */
static int concat_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *ref = shape_in(g, n, 0);
    if (n->n_in < 2 || n->n_in > CONCAT_MAX)
        return nn_graph_fail(g, "concat: joins 2 to %d tensors, got %d", CONCAT_MAX, n->n_in);
    if (axis_infer(g, n, ref) < 0) return -1;
    int axis = n->a.i[0], total = 0;
    for (int k = 0; k < n->n_in; k++) {
        const nn_shape *s = shape_in(g, n, k);
        int same = s->ndim == ref->ndim;
        for (int i = 0; same && i < s->ndim; i++) same = i == axis || s->d[i] == ref->d[i];
        if (!same) {
            char a[64], b[64];
            return nn_graph_fail(g, "concat: input %d has shape %s, input 0 has %s; they may differ only along axis %d", k,
                                 nn_shape_str(s, a, sizeof a), nn_shape_str(ref, b, sizeof b), axis);
        }
        total += s->d[axis];
    }
    n->shape = *ref;
    n->shape.d[axis] = total;
    return 0;
}

static void concat_forward(nn_graph *g, nn_node *n)
{
    int axis = n->a.i[0];
    size_t outer, inner, row = 0;
    axis_split(&n->shape, axis, &outer, &inner);
    size_t out_row = (size_t)n->shape.d[axis] * inner;
    for (int k = 0; k < n->n_in; k++) {
        const nn_node *x = &g->nodes[n->in[k]];
        size_t len = (size_t)x->shape.d[axis] * inner;
        copy_blocks(n->data + row, out_row, x->data, len, outer, len);
        row += len;
    }
}

static int concat_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_node *n = &g->nodes[id];
    int axis = n->a.i[0], start = 0, n_in = n->n_in;
    for (int k = 0; k < n_in; k++) {
        int len = g->nodes[g->nodes[id].in[k]].shape.d[axis];
        gin[k] = nn_slice(g, gout, axis, start, len);
        if (gin[k] < 0) return -1;
        start += len;
    }
    return 0;
}

static int concat_check(nn_graph *g, nn_rng *r, int scale)
{
    int n = 2 * scale, c = 2 * scale;
    int xs[3] = {nn_test_input(g, nn_shape3(n, 3 * scale, c), r, -1, 1), nn_test_input(g, nn_shape3(n, scale, c), r, -1, 1),
                 nn_test_input(g, nn_shape3(n, 2 * scale, c), r, -1, 1)};
    return nn_concat(g, xs, 3, 1);
}

/* ---- slice ---- */
static int slice_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = shape_in(g, n, 0);
    if (axis_infer(g, n, x) < 0) return -1;
    int axis = n->a.i[0], start = n->a.i[1], len = n->a.i[2];
    if (start < 0 || len < 1 || start > x->d[axis] - len) {
        char b[64];
        return nn_graph_fail(g, "slice: [%d, %d + %d) is not a non-empty range inside axis %d of %s (length %d)", start, start,
                             len, axis, nn_shape_str(x, b, sizeof b), x->d[axis]);
    }
    n->shape = *x;
    n->shape.d[axis] = len;
    return 0;
}

static void slice_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    int axis = n->a.i[0];
    size_t outer, inner;
    axis_split(&x->shape, axis, &outer, &inner);
    size_t len = (size_t)n->a.i[2] * inner;
    copy_blocks(n->data, len, x->data + (size_t)n->a.i[1] * inner, (size_t)x->shape.d[axis] * inner, outer, len);
}

static int slice_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_node *n = &g->nodes[id];
    nn_attrs a = {.i = {n->a.i[0], n->a.i[1], g->nodes[n->in[0]].shape.d[n->a.i[0]]}};
    gin[0] = nn_op(g, NN_OP_pad_axis, &gout, 1, &a);
    return gin[0] < 0 ? -1 : 0;
}

static int slice_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_slice(g, nn_test_input(g, nn_shape2(3 * scale, 5 * scale), r, -1, 1), -1, scale, 3 * scale);
}

/* ---- pad_axis ---- */
static int pad_axis_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = shape_in(g, n, 0);
    if (axis_infer(g, n, x) < 0) return -1;
    int axis = n->a.i[0], start = n->a.i[1], full = n->a.i[2];
    if (start < 0 || start > full - x->d[axis]) {
        char b[64];
        return nn_graph_fail(g, "pad_axis: %s does not fit at offset %d of a length-%d axis %d", nn_shape_str(x, b, sizeof b),
                             start, full, axis);
    }
    n->shape = *x;
    n->shape.d[axis] = full;
    return 0;
}

static void pad_axis_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    int axis = n->a.i[0];
    size_t outer, inner;
    axis_split(&x->shape, axis, &outer, &inner);
    size_t before = (size_t)n->a.i[1] * inner, len = (size_t)x->shape.d[axis] * inner;
    size_t row = (size_t)n->a.i[2] * inner;
    nn_par_items(outer, row, pad_rows, &(pad_ctx){n->data, x->data, row, len, before, len});
}

static int pad_axis_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_node *n = &g->nodes[id];
    gin[0] = nn_slice(g, gout, n->a.i[0], n->a.i[1], g->nodes[n->in[0]].shape.d[n->a.i[0]]);
    return gin[0] < 0 ? -1 : 0;
}

static int pad_axis_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.i = {1, scale, 4 * scale}};
    int x = nn_test_input(g, nn_shape3(2 * scale, 2 * scale, 3 * scale), r, -1, 1);
    return nn_op(g, NN_OP_pad_axis, &x, 1, &a);
}

const nn_op_def nn_def_concat = {"concat", -1, "join 2 to 4 tensors along an axis (equal sizes on the others)",
                                 concat_infer, concat_forward, concat_backward, concat_check, NULL};
const nn_op_def nn_def_slice = {"slice", 1, "elements [start, start + len) of an axis", slice_infer, slice_forward,
                                slice_backward, slice_check, NULL};
const nn_op_def nn_def_pad_axis = {"pad_axis", 1, "zero-pad an axis to length full, x at offset start (transpose of slice)",
                                   pad_axis_infer, pad_axis_forward, pad_axis_backward, pad_axis_check, NULL};

int nn_concat(nn_graph *g, const int *xs, int n, int axis)
{
    if (n < 2 || n > CONCAT_MAX || !xs)
        return nn_graph_fail(g, "concat: joins 2 to %d tensors, got %d (concatenate in stages for more)", CONCAT_MAX, n);
    nn_attrs a = {.i = {axis}};
    return nn_op(g, NN_OP_concat, xs, n, &a);
}

int nn_slice(nn_graph *g, int x, int axis, int start, int len)
{
    nn_attrs a = {.i = {axis, start, len}};
    return nn_op(g, NN_OP_slice, &x, 1, &a);
}
