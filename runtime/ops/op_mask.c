/* Masked softmax and the masks it takes (attention over padded or causal sequences).
 *   softmax_masked(x, mask): x (..., C), mask broadcast to x's shape with the same last dim C
 *     -> softmax(x + mask) over the last dim. mask is additive: 0 keeps an entry, -inf (or a
 *     large negative number) removes it; a padding mask (B,1,1,T) or a causal mask (T,T) both
 *     broadcast against scores (B,H,T,T). A row whose entries are all -inf once masked gives
 *     zeros, not NaN (PyTorch gives NaN there): a fully padded sequence attends to nothing.
 *     Backward: softmax_grad on the output (masked entries have y = 0, so they get none), and
 *     the mask's gradient is that summed to its shape (a learned additive bias).
 *   pad_mask(ids) : ids (N,T) -> (N,1,1,T), -inf where ids == pad id (attrs f[0]), else 0;
 *   pad_mask(lengths): lengths (N) -> (N,1,1,T), -inf at t >= lengths[n] (attrs i[0] = T).
 *     No gradient; the ids or lengths are marked no_grad, like embedding's ids.
 * nn_causal_mask builds the (T,T) constant: -inf above the diagonal (key after query). */
#include "../kernels/attention.h"
#include "../kernels/ew_util.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <math.h>
#include <string.h>

/* ---- softmax_masked ---- */
static int softmax_masked_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape, *m = &g->nodes[n->in[1]].shape;
    nn_shape both;
    if (nn_broadcast_shape(x, m, &both) < 0 || !nn_shape_eq(&both, x) || m->d[m->ndim - 1] != x->d[x->ndim - 1]) {
        char a[64], b[64];
        return nn_graph_fail(g, "softmax_masked: the mask %s must broadcast to the scores %s with the same last dim "
                                "(e.g. (B,1,1,T) or (T,T) for (B,H,T,T))",
                             nn_shape_str(m, b, sizeof b), nn_shape_str(x, a, sizeof a));
    }
    n->shape = *x;
    return 0;
}

typedef struct {
    const float *x, *mask;
    float *y;
    size_t cols;
    nn_bcast mask_at;
} masked_rows;

/* rows [lo, hi): a chunk of nn_par_items */
static void masked_rows_chunk(const void *ctx, size_t lo, size_t hi)
{
    const masked_rows *w = ctx;
    for (size_t r = lo; r < hi; r++) {
        float *y = w->y + r * w->cols;
        memcpy(y, w->x + r * w->cols, w->cols * sizeof(float));
        nn_softmax_masked_row(y, w->mask + nn_bcast_offset(&w->mask_at, r * w->cols), w->cols);
    }
}

static void softmax_masked_forward(nn_graph *g, nn_node *n)
{
    size_t rows, cols;
    nn_ew_rows(&n->shape, &rows, &cols);
    const nn_node *m = &g->nodes[n->in[1]];
    masked_rows w = {.x = g->nodes[n->in[0]].data, .mask = m->data, .y = n->data, .cols = cols};
    nn_bcast_make(&w.mask_at, &m->shape, &n->shape);
    nn_par_items(rows, cols, masked_rows_chunk, &w);
}

/* a constant or no_grad mask: no gradient to build for it */
static int fixed(const nn_node *n) { return n->kind == NN_NODE_CONST || n->no_grad; }

static int softmax_masked_backward(nn_graph *g, int id, int gout, int *gin)
{
    int mask = g->nodes[id].in[1];
    gin[0] = nn_op(g, NN_OP_softmax_grad, (int[]){id, gout}, 2, NULL);
    if (!fixed(&g->nodes[mask])) gin[1] = nn_sum_to(g, gin[0], g->nodes[mask].shape);
    return gin[0] < 0 || (!fixed(&g->nodes[mask]) && gin[1] < 0) ? -1 : 0;
}

/* a learned additive mask (finite values) per row and column, broadcast over the first dim */
static int softmax_masked_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 4), r, -2, 2), mask = nn_test_input(g, nn_shape2(3, 4), r, -2, 2);
    return nn_softmax_masked(g, x, mask);
}

const nn_op_def nn_def_softmax_masked = {"softmax_masked", 2,
                                         "softmax(x + mask) over the last dim; mask broadcast, 0 / -inf; fully masked rows give 0",
                                         softmax_masked_infer, softmax_masked_forward, softmax_masked_backward,
                                         softmax_masked_check, NULL};

int nn_softmax_masked(nn_graph *g, int x, int mask)
{
    return nn_op(g, NN_OP_softmax_masked, (int[]){x, mask}, 2, NULL);
}

/* ---- pad_mask ---- */
static int pad_mask_infer(nn_graph *g, nn_node *n)
{
    nn_node *in = &g->nodes[n->in[0]];
    char b[64];
    if (in->shape.ndim == 2) {
        n->shape = nn_shape4(in->shape.d[0], 1, 1, in->shape.d[1]);
    } else if (in->shape.ndim == 1) {
        if (n->a.i[0] < 1) return nn_graph_fail(g, "pad_mask: the sequence length must be >= 1, got %d", n->a.i[0]);
        n->shape = nn_shape4(in->shape.d[0], 1, 1, n->a.i[0]);
    } else {
        return nn_graph_fail(g, "pad_mask: takes token ids (N,T) or lengths (N), got %s", nn_shape_str(&in->shape, b, sizeof b));
    }
    in->no_grad = 1;
    n->no_grad = 1;
    return 0;
}

static void pad_mask_forward(nn_graph *g, nn_node *n)
{
    const nn_node *in = &g->nodes[n->in[0]];
    int rows = n->shape.d[0], t = n->shape.d[3], by_length = in->shape.ndim == 1;
    float pad = n->a.f[0];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < t; j++) {
            int masked = by_length ? !((float)j < in->data[r]) : in->data[(size_t)r * t + j] == pad;
            n->data[(size_t)r * t + j] = masked ? -INFINITY : 0.0f;
        }
}

static int pad_mask_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)g, (void)id, (void)gout;
    gin[0] = -1;
    return 0;
}

/* no input to differentiate: the mask applied to scores (2,2,3,4), one sequence wholly padded */
static int pad_mask_check(nn_graph *g, nn_rng *r)
{
    int ids = nn_input(g, nn_shape2(2, 4), "ids");
    if (ids < 0) return -1;
    memcpy(nn_data(g, ids), (float[]){3, 1, 0, 0, 0, 0, 0, 0}, 8 * sizeof(float));
    int x = nn_test_input(g, nn_shape4(2, 2, 3, 4), r, -2, 2);
    return nn_softmax_masked(g, x, nn_padding_mask(g, ids, 0));
}

const nn_op_def nn_def_pad_mask = {"pad_mask", 1,
                                   "ids (N,T) or lengths (N) -> (N,1,1,T): -inf at padding (id == pad id, t >= length), else 0",
                                   pad_mask_infer, pad_mask_forward, pad_mask_backward, pad_mask_check, NULL};

int nn_padding_mask(nn_graph *g, int ids, int pad_id)
{
    if (ids >= 0 && g->nodes[ids].shape.ndim != 2) {
        char b[64];
        return nn_graph_fail(g, "padding mask: the token ids must be (N,T), got %s", nn_shape_str(&g->nodes[ids].shape, b, sizeof b));
    }
    nn_attrs a = {.f = {(float)pad_id}};
    return nn_op(g, NN_OP_pad_mask, &ids, 1, &a);
}

int nn_length_mask(nn_graph *g, int lengths, int t)
{
    if (lengths >= 0 && g->nodes[lengths].shape.ndim != 1) {
        char b[64];
        return nn_graph_fail(g, "length mask: the lengths must be (N), got %s", nn_shape_str(&g->nodes[lengths].shape, b, sizeof b));
    }
    nn_attrs a = {.i = {t}};
    return nn_op(g, NN_OP_pad_mask, &lengths, 1, &a);
}

int nn_causal_mask(nn_graph *g, int t)
{
    int m = nn_const(g, nn_shape2(t, t), 0.0f);
    if (m < 0) return -1;
    float *d = nn_data(g, m);
    for (int i = 0; i < t; i++)
        for (int j = i + 1; j < t; j++) d[(size_t)i * t + j] = -INFINITY;
    g->nodes[m].no_grad = 1;
    return m;
}
