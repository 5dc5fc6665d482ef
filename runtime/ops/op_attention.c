/* Scaled dot-product attention, fused (kernels/attention.c):
 *   attention(q, k, v [, mask] [, key]): q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv), the
 *     leading dims equal (B,H for multi-head attention), mask broadcast to the scores
 *     (..., Tq, Tk) with their last dim Tk -> softmax(scale q k^T + mask) v (..., Tq, dv);
 *     attrs f[0] = scale (1/sqrt(d) by default), i[0] = whether a mask is given, i[1] = whether
 *     a key is given. With a key (2): dropout f[1] on the weights in training, the mask drawn
 *     from a stream keyed by the key's two values (24-bit whole numbers, drawn each step by a
 *     uniform_noise node), so that the backward regenerates it. The weights are never stored:
 *     each (batch, head) entry's (Tq, Tk) block lives in its thread's scratch.
 *   attention_grad(q, k, v, g [, mask] [, key]) -> (nq + nk + nv): dq, dk and dv one after the
 *     other, flat, from the weights recomputed per entry; attention's backward slices them out.
 * attention_grad is gradient-only (op_list.h): gradients of gradients go through the composed
 * ops instead (batch_matmul, softmax_masked). A mask that is not constant (a learned bias) gets
 * its gradient through the composed weights. nn_attention_weights builds those composed weights,
 * for figures; they cost nothing unless a plan asks for them. */
#include "../kernels/attention.h"
#include "../kernels/ew_util.h"
#include "op_list.h"
#include <math.h>
#include <stdio.h>

static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

/* Where the optional inputs of node n are, its first optional input being `first` (3 for
 * attention, 4 for attention_grad): the mask's and the key's index, or -1. */
static int mask_index(const nn_node *n, int first) { return n->a.i[0] ? first : -1; }
static int key_index(const nn_node *n, int first) { return n->a.i[1] ? first + (n->a.i[0] ? 1 : 0) : -1; }

/* Checks q, k, v, the mask and the key (optional inputs from `first`), sets *out to the
 * attention's output shape; returns 0 or -1 after nn_graph_fail(). */
static int check_inputs(nn_graph *g, const nn_node *n, int first, nn_shape *out)
{
    int mask_at = mask_index(n, first), key_at = key_index(n, first);
    if (n->n_in != first + (mask_at >= 0) + (key_at >= 0))
        return nn_graph_fail(g, "%s: %d inputs, but its attributes say %d", nn_op_def_at(n->op)->name, n->n_in,
                             first + (mask_at >= 0) + (key_at >= 0));
    const nn_shape *q = shape_in(g, n, 0), *k = shape_in(g, n, 1), *v = shape_in(g, n, 2);
    const char *op = nn_op_def_at(n->op)->name;
    char a[64], b[64], c[64];
    int nd = q->ndim, same = nd >= 2 && k->ndim == nd && v->ndim == nd;
    for (int i = 0; same && i < nd - 2; i++) same = k->d[i] == q->d[i] && v->d[i] == q->d[i];
    if (!same || k->d[nd - 1] != q->d[nd - 1] || v->d[nd - 2] != k->d[nd - 2])
        return nn_graph_fail(g, "%s: needs q (...,Tq,d), k (...,Tk,d), v (...,Tk,dv) with the same leading dims, got %s, %s, %s",
                             op, nn_shape_str(q, a, sizeof a), nn_shape_str(k, b, sizeof b), nn_shape_str(v, c, sizeof c));
    if (!isfinite(n->a.f[0]) || n->a.f[0] == 0.0f) return nn_graph_fail(g, "%s: the scale must be finite and not 0", op);
    nn_shape scores = *q, both;
    scores.d[nd - 1] = k->d[nd - 2];
    if (!(n->a.f[1] >= 0.0f && n->a.f[1] < 1.0f)) return nn_graph_fail(g, "%s: dropout %g must be in [0, 1)", op, n->a.f[1]);
    if (key_at >= 0 && nn_shape_numel(shape_in(g, n, key_at)) != 2)
        return nn_graph_fail(g, "%s: the dropout key must hold 2 values", op);
    if (mask_at >= 0) {
        const nn_shape *m = shape_in(g, n, mask_at);
        if (nn_broadcast_shape(&scores, m, &both) < 0 || !nn_shape_eq(&both, &scores) || m->d[m->ndim - 1] != k->d[nd - 2])
            return nn_graph_fail(g, "%s: the mask %s must broadcast to the scores %s with the same last dim", op,
                                 nn_shape_str(m, a, sizeof a), nn_shape_str(&scores, b, sizeof b));
    }
    *out = *q;
    out->d[nd - 1] = v->d[nd - 1];
    return 0;
}

/* The kernel's view of node n (attention, or attention_grad with its optional inputs from 4);
 * dropout only in training and with a key. */
static nn_attention_geom geom_of(nn_graph *g, const nn_node *n, int first)
{
    int mask_at = mask_index(n, first), key_at = key_index(n, first);
    const nn_node *q = &g->nodes[n->in[0]], *k = &g->nodes[n->in[1]], *v = &g->nodes[n->in[2]];
    int nd = q->shape.ndim;
    nn_attention_geom a = {.tq = q->shape.d[nd - 2], .tk = k->shape.d[nd - 2], .d = q->shape.d[nd - 1],
                           .dv = v->shape.d[nd - 1], .scale = n->a.f[0], .q = q->data, .k = k->data, .v = v->data};
    a.entries = (int)(nn_shape_numel(&q->shape) / ((size_t)a.tq * a.d));
    if (key_at >= 0 && g->training && n->a.f[1] > 0.0f) {
        const float *key = g->nodes[n->in[key_at]].data;
        a.dropout = n->a.f[1];
        a.key = (uint64_t)key[0] << 24 | (uint64_t)key[1];
    }
    if (mask_at >= 0) {
        const nn_node *m = &g->nodes[n->in[mask_at]];
        nn_shape scores = q->shape;
        scores.d[nd - 1] = a.tk;
        a.mask = m->data;
        nn_bcast_make(&a.mask_at, &m->shape, &scores);
    }
    return a;
}

/* Out of memory inside a forward (which cannot fail): the output becomes NaN, which the
 * trainer's NaN check reports, and stderr says why. */
static void fail_nan(nn_node *n)
{
    fprintf(stderr, "nnrun: out of memory for the attention scratch of '%s'; its output is NaN\n", n->label);
    size_t k = nn_shape_numel(&n->shape);
    for (size_t i = 0; i < k; i++) n->data[i] = NAN;
}

/* ---- attention ---- */
static int attention_infer(nn_graph *g, nn_node *n) { return check_inputs(g, n, 3, &n->shape); }

static void attention_forward(nn_graph *g, nn_node *n)
{
    nn_attention_geom a = geom_of(g, n, 3);
    if (nn_attention_forward(&a, n->data) < 0) fail_nan(n);
}

/* the flat gradient's part [start, start + like's size) as like's shape */
static int part(nn_graph *g, int flat, size_t start, int like)
{
    size_t len = nn_numel(g, like);
    nn_shape shape = g->nodes[like].shape;   /* before nn_slice adds a node (the array may move) */
    return nn_reshape(g, nn_slice(g, flat, 0, (int)start, (int)len), shape);
}

/* a constant or no_grad mask: no gradient to build for it */
static int fixed(const nn_node *n) { return n->kind == NN_NODE_CONST || n->no_grad; }

static int attention_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    int q = n->in[0], k = n->in[1], v = n->in[2], mask_at = mask_index(n, 3), key_at = key_index(n, 3);
    int mask = mask_at >= 0 ? n->in[mask_at] : -1, key = key_at >= 0 ? n->in[key_at] : -1;
    nn_attrs at = n->a;
    int in[6] = {q, k, v, gout}, n_in = 4;
    if (mask >= 0) in[n_in++] = mask;
    if (key >= 0) in[n_in++] = key;
    int flat = nn_op(g, NN_OP_attention_grad, in, n_in, &at);
    size_t nq = nn_numel(g, q), nk = nn_numel(g, k);
    gin[0] = part(g, flat, 0, q);
    gin[1] = part(g, flat, nq, k);
    gin[2] = part(g, flat, nq + nk, v);
    if (key >= 0) gin[key_at] = -1;   /* the key only picks the dropout mask */
    if (mask >= 0 && !fixed(&g->nodes[mask])) {   /* d mask = d scores, through the composed weights */
        if (at.f[1] > 0.0f) return nn_graph_fail(g, "attention: a learned mask with dropout on the weights has no gradient here");
        int p = nn_attention_weights(g, q, k, mask, at.f[0]), dp = nn_batch_matmul(g, gout, v, 0, 1);
        int ds = nn_op(g, NN_OP_softmax_grad, (int[]){p, dp}, 2, NULL);
        gin[mask_at] = nn_sum_to(g, ds, g->nodes[mask].shape);
        if (gin[mask_at] < 0) return -1;
    }
    return gin[0] < 0 || gin[1] < 0 || gin[2] < 0 ? -1 : 0;
}

/* two heads of a batch of 2, keys of the second sequence beyond length 3 masked, and dropout
 * 0.3 on the weights in training with a fixed key (a fresh key each step is what makes the
 * mask random; with one key the op is a fixed function, which finite differences can check) */
static int attention_check(nn_graph *g, nn_rng *r)
{
    int q = nn_test_input(g, nn_shape4(2, 2, 3, 4), r, -1, 1), k = nn_test_input(g, nn_shape4(2, 2, 5, 4), r, -1, 1);
    int v = nn_test_input(g, nn_shape4(2, 2, 5, 3), r, -1, 1), lengths = nn_input(g, nn_shape1(2), "lengths");
    int key = nn_input(g, nn_shape1(2), "key");
    if (lengths < 0 || key < 0) return -1;
    nn_data(g, lengths)[0] = 5;
    nn_data(g, lengths)[1] = 3;
    nn_data(g, key)[0] = 12345;
    nn_data(g, key)[1] = 678;
    g->nodes[key].no_grad = 1;
    g->training = 1;
    return nn_attention_dropout(g, q, k, v, nn_length_mask(g, lengths, 5), 0.0f, 0.3f, key);
}

static double attention_flops(nn_graph *g, const nn_node *n)
{
    nn_attention_geom a = geom_of(g, n, 3);
    return nn_attention_forward_flops(&a);
}

const nn_op_def nn_def_attention = {"attention", -1,
                                    "q (...,Tq,d) k (...,Tk,d) v (...,Tk,dv) [mask] [key] -> dropout(softmax(scale q k^T + mask)) v, fused",
                                    attention_infer, attention_forward, attention_backward, attention_check,
                                    attention_flops};

/* ---- attention_grad ---- */
static int attention_grad_infer(nn_graph *g, nn_node *n)
{
    nn_shape out;
    if (n->n_in < 4) return nn_graph_fail(g, "attention_grad takes q, k, v, the output's gradient, a mask and a key");
    if (check_inputs(g, n, 4, &out) < 0) return -1;
    if (!nn_shape_eq(shape_in(g, n, 3), &out)) {
        char a[64], b[64];
        return nn_graph_fail(g, "attention_grad: the output's gradient is %s, the output %s",
                             nn_shape_str(shape_in(g, n, 3), a, sizeof a), nn_shape_str(&out, b, sizeof b));
    }
    size_t total = nn_numel(g, n->in[0]) + nn_numel(g, n->in[1]) + nn_numel(g, n->in[2]);
    if (total > 0x7fffffff) return nn_graph_fail(g, "attention_grad: q, k and v hold %zu values, too many for one tensor", total);
    n->shape = nn_shape1((int)total);
    return 0;
}

static void attention_grad_forward(nn_graph *g, nn_node *n)
{
    nn_attention_geom a = geom_of(g, n, 4);
    float *dq = n->data, *dk = dq + nn_numel(g, n->in[0]), *dv = dk + nn_numel(g, n->in[1]);
    if (nn_attention_backward(&a, g->nodes[n->in[3]].data, dq, dk, dv) < 0) fail_nan(n);
}

static double attention_grad_flops(nn_graph *g, const nn_node *n)
{
    nn_attention_geom a = geom_of(g, n, 4);
    return nn_attention_backward_flops(&a);
}

const nn_op_def nn_def_attention_grad = {"attention_grad", -1,
                                         "q, k, v, g [mask] [key] -> dq, dk, dv of attention, flat one after the other (gradient only)",
                                         attention_grad_infer, attention_grad_forward, NULL, NULL, attention_grad_flops};

/* ---- builders ---- */
static float scale_for(nn_graph *g, int q, float scale)
{
    const nn_shape *s = &g->nodes[q].shape;
    return scale != 0.0f ? scale : 1.0f / sqrtf((float)s->d[s->ndim - 1]);
}

int nn_attention_weights(nn_graph *g, int q, int k, int mask, float scale)
{
    if (q < 0 || k < 0) return -1;
    int s = nn_affine(g, nn_batch_matmul(g, q, k, 0, 1), scale_for(g, q, scale), 0.0f);
    return mask >= 0 ? nn_softmax_masked(g, s, mask) : nn_softmax(g, s);
}

int nn_attention_dropout(nn_graph *g, int q, int k, int v, int mask, float scale, float dropout, int key)
{
    if (q < 0 || k < 0 || v < 0) return -1;
    if (dropout > 0.0f && key < 0) {   /* a fresh key each training step */
        key = nn_uniform_noise(g, nn_const(g, nn_shape1(2), 0.0f), 0.0f, 16777216.0f, 0);
        if (key < 0) return -1;
        g->nodes[key].no_grad = 1;
    }
    nn_attrs a = {.f = {scale_for(g, q, scale), dropout}, .i = {mask >= 0, dropout > 0.0f}};
    int in[5] = {q, k, v}, n_in = 3;
    if (mask >= 0) in[n_in++] = mask;
    if (dropout > 0.0f) in[n_in++] = key;
    return nn_op(g, NN_OP_attention, in, n_in, &a);
}

int nn_attention(nn_graph *g, int q, int k, int v, int mask, float scale, int *weights)
{
    if (weights) *weights = -1;
    int out = nn_attention_dropout(g, q, k, v, mask, scale, 0.0f, -1);
    if (out >= 0 && weights) *weights = nn_attention_weights(g, q, k, mask, scale);
    return out;
}
