/* matmul and dense (fully connected) through nn_sgemm, and the matmuls that add a gradient's
 * second contribution, or take a relu's gradient, as the GEMM stores the product. */
#include "op_list.h"
#include "../core/parallel.h"
#include "../kernels/ew_util.h"
#include "../kernels/fused_act.h"

/* Whether a GEMM's B operand holds still while the plan runs, so that its packed panels may be
 * kept for the run's other products (gemm_pack_cache.h): a trainable parameter. A no_grad one
 * may be a running statistic, which ema_update writes during the run. */
static int holds_still(const nn_node *b) { return b->kind == NN_NODE_PARAM && !b->no_grad; }

/* ---- matmul: A (M,K) [or (K,M) if trans_a] x B (K,N) [or (N,K) if trans_b] -> (M,N) ----
 * attrs: i[0] = trans_a, i[1] = trans_b */
static int matmul_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *a = &g->nodes[n->in[0]].shape, *b = &g->nodes[n->in[1]].shape;
    if (a->ndim != 2 || b->ndim != 2) return nn_graph_fail(g, "matmul needs 2-D inputs");
    int m = n->a.i[0] ? a->d[1] : a->d[0], ka = n->a.i[0] ? a->d[0] : a->d[1];
    int kb = n->a.i[1] ? b->d[1] : b->d[0], nn = n->a.i[1] ? b->d[0] : b->d[1];
    if (ka != kb) return nn_graph_fail(g, "matmul: inner sizes differ (%d vs %d)", ka, kb);
    n->shape = nn_shape2(m, nn);
    return 0;
}

static void matmul_forward(nn_graph *g, nn_node *n)
{
    const nn_node *a = &g->nodes[n->in[0]], *b = &g->nodes[n->in[1]];
    int ta = n->a.i[0], tb = n->a.i[1];
    int m = n->shape.d[0], nc = n->shape.d[1], k = ta ? a->shape.d[0] : a->shape.d[1];
    nn_gemm_epilogue e = {.b_constant = holds_still(b)};
    nn_sgemm_fused(ta, tb, m, nc, k, a->data, a->shape.d[1], b->data, b->shape.d[1], n->data, nc, &e);
}

/* C = op(A) op(B). dA = dC op(B)^T (arranged for A's layout), likewise dB. */
static int matmul_backward(nn_graph *g, int id, int gout, int *gin)
{
    int a = g->nodes[id].in[0], b = g->nodes[id].in[1];
    int ta = g->nodes[id].a.i[0], tb = g->nodes[id].a.i[1];
    gin[0] = ta ? nn_matmul(g, b, gout, tb, 1) : nn_matmul(g, gout, b, 0, !tb);
    gin[1] = tb ? nn_matmul(g, gout, a, 1, ta) : nn_matmul(g, a, gout, !ta, 0);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static int matmul_check(nn_graph *g, nn_rng *r, int scale)
{
    int a = nn_test_input(g, nn_shape2(4 * scale, 3 * scale), r, -1, 1);
    int b = nn_test_input(g, nn_shape2(5 * scale, 3 * scale), r, -1, 1);
    return nn_matmul(g, a, b, 0, 1);
}

static double matmul_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *a = &g->nodes[n->in[0]].shape;
    return 2.0 * (double)nn_shape_numel(&n->shape) * (n->a.i[0] ? a->d[0] : a->d[1]);
}

const nn_op_def nn_def_matmul = {"matmul", 2, "A (M,K) x B (K,N) -> (M,N), optional transposes",
                                 matmul_infer, matmul_forward, matmul_backward, matmul_check, matmul_flops};

int nn_matmul(nn_graph *g, int a, int b, int trans_a, int trans_b)
{
    nn_attrs at = {.i = {trans_a, trans_b}};
    return nn_op(g, NN_OP_matmul, (int[]){a, b}, 2, &at);
}

/* Input k of n, when there is one, must have the product's shape. */
static int product_shaped(nn_graph *g, const nn_node *n, int k, const char *op, const char *what)
{
    if (n->n_in <= k) return 0;
    const nn_shape *s = &g->nodes[n->in[k]].shape;
    char bs[64], bg[64];
    if (!nn_shape_eq(s, &n->shape))
        return nn_graph_fail(g, "%s: the %s %s must have the product's shape %s", op, what, nn_shape_str(s, bg, sizeof bg),
                             nn_shape_str(&n->shape, bs, sizeof bs));
    return 0;
}

/* ---- matmul_acc: (A, B, C) -> op(A) op(B) + C, (M,N) ----
 * add(C, matmul(A, B)) in one op: the second contribution to a gradient (a weight read twice,
 * as a GAN's discriminator reads real and generated batches; the input of two heads) summed as
 * the GEMM stores its tiles, the same bits as the add. autodiff builds it (nn_grad).
 * attrs as matmul's. */
static int matmul_acc_infer(nn_graph *g, nn_node *n)
{
    if (matmul_infer(g, n) < 0) return -1;
    return product_shaped(g, n, 2, "matmul_acc", "addend");
}

static void matmul_acc_forward(nn_graph *g, nn_node *n)
{
    const nn_node *a = &g->nodes[n->in[0]], *b = &g->nodes[n->in[1]];
    int ta = n->a.i[0], tb = n->a.i[1];
    int m = n->shape.d[0], nc = n->shape.d[1], k = ta ? a->shape.d[0] : a->shape.d[1];
    nn_gemm_epilogue e = {.addend = g->nodes[n->in[2]].data, .ldaddend = (size_t)nc, .b_constant = holds_still(b)};
    nn_sgemm_fused(ta, tb, m, nc, k, a->data, a->shape.d[1], b->data, b->shape.d[1], n->data, nc, &e);
}

static int matmul_acc_backward(nn_graph *g, int id, int gout, int *gin)
{
    if (matmul_backward(g, id, gout, gin) < 0) return -1;
    gin[2] = gout;
    return 0;
}

static int matmul_acc_check(nn_graph *g, nn_rng *r, int scale)
{
    int a = nn_test_input(g, nn_shape2(3 * scale, 4 * scale), r, -1, 1);
    int b = nn_test_input(g, nn_shape2(3 * scale, 5 * scale), r, -1, 1);
    int c = nn_test_input(g, nn_shape2(4 * scale, 5 * scale), r, -1, 1);
    return nn_matmul_acc(g, a, b, 1, 0, c);
}

const nn_op_def nn_def_matmul_acc = {"matmul_acc", 3,
                                     "(A, B, C) -> op(A) op(B) + C: a gradient's second contribution summed as the GEMM "
                                     "stores the product",
                                     matmul_acc_infer, matmul_acc_forward, matmul_acc_backward, matmul_acc_check, matmul_flops};

int nn_matmul_acc(nn_graph *g, int a, int b, int trans_a, int trans_b, int c)
{
    nn_attrs at = {.i = {trans_a, trans_b}};
    return nn_op(g, NN_OP_matmul_acc, (int[]){a, b, c}, 3, &at);
}

/* ---- matmul_act_grad: (A, B, gate[, C]) -> (op(A) op(B) [+ C]) * (gate > 0 ? 1 : slope) ----
 * leaky_relu_grad(gate, matmul(A, B)) in one op: a relu or leaky_relu's gradient taken as the
 * matmul that made the gradient flowing in stores its tiles (in an MLP's backward, the next
 * layer's dx), or matmul_acc's sum. gate (M,N) is the activation's value or input. attrs:
 * i[0] trans_a, i[1] trans_b, f[0] slope. Linear in A, B and C; no gradient in gate (the
 * derivative is piecewise constant). */
static int matmul_act_grad_infer(nn_graph *g, nn_node *n)
{
    if (n->n_in != 3 && n->n_in != 4) return nn_graph_fail(g, "matmul_act_grad takes A, B, the gate and an optional addend");
    if (matmul_infer(g, n) < 0) return -1;
    if (product_shaped(g, n, 2, "matmul_act_grad", "gate") < 0) return -1;
    return product_shaped(g, n, 3, "matmul_act_grad", "addend");
}

static void matmul_act_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_node *a = &g->nodes[n->in[0]], *b = &g->nodes[n->in[1]];
    int ta = n->a.i[0], tb = n->a.i[1];
    int m = n->shape.d[0], nc = n->shape.d[1], k = ta ? a->shape.d[0] : a->shape.d[1];
    nn_gemm_epilogue e = {.gate = g->nodes[n->in[2]].data, .ldgate = (size_t)nc, .slope = n->a.f[0], .b_constant = holds_still(b)};
    if (n->n_in == 4) e.addend = g->nodes[n->in[3]].data, e.ldaddend = (size_t)nc;
    nn_sgemm_fused(ta, tb, m, nc, k, a->data, a->shape.d[1], b->data, b->shape.d[1], n->data, nc, &e);
}

/* out = z * s(gate), z = op(A) op(B) [+ C]: the gradient at z is gout * s(gate), then
 * matmul's, and C's is the gradient at z. */
static int matmul_act_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs at = g->nodes[id].a;
    int gz = nn_leaky_relu_grad_of(g, g->nodes[id].in[2], gout, at.f[0]);
    if (gz < 0) return -1;
    if (matmul_backward(g, id, gz, gin) < 0) return -1;
    gin[2] = -1;
    if (g->nodes[id].n_in == 4) gin[3] = gz;
    return 0;
}

/* the gate away from 0 (finite differences never cross the kink), of either sign; with the
 * addend (the MLP fixtures of tests/test_gradcheck.c check the op without one) */
static int matmul_act_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    int a = nn_test_input(g, nn_shape2(3 * scale, 4 * scale), r, -1, 1);
    int b = nn_test_input(g, nn_shape2(5 * scale, 3 * scale), r, -1, 1);
    int gate = nn_ew_test_input_away(g, nn_shape2(4 * scale, 5 * scale), r, 0.1f, 1);
    int c = nn_test_input(g, nn_shape2(4 * scale, 5 * scale), r, -1, 1);
    return nn_matmul_act_grad_acc(g, a, b, 1, 1, gate, 0.2f, c);
}

const nn_op_def nn_def_matmul_act_grad = {"matmul_act_grad", -1,
                                          "(A, B, gate[, C]) -> (op(A) op(B) [+ C]) * (gate > 0 ? 1 : slope): a matmul's "
                                          "product taken through relu / leaky_relu's gradient as it is stored",
                                          matmul_act_grad_infer, matmul_act_grad_forward, matmul_act_grad_backward,
                                          matmul_act_grad_check, matmul_flops};

int nn_matmul_act_grad_acc(nn_graph *g, int a, int b, int trans_a, int trans_b, int gate, float slope, int c)
{
    nn_attrs at = {.i = {trans_a, trans_b}, .f = {slope}};
    return nn_op(g, NN_OP_matmul_act_grad, (int[]){a, b, gate, c}, c >= 0 ? 4 : 3, &at);
}

int nn_matmul_act_grad(nn_graph *g, int a, int b, int trans_a, int trans_b, int gate, float slope)
{
    return nn_matmul_act_grad_acc(g, a, b, trans_a, trans_b, gate, slope, -1);
}

/* ---- dense: x (..., K), W (M, K), b (M) -> (..., M); y = act(x W^T + b) ----
 * attrs: i[ACT_SLOT] an activation fused into the op (fused_act.h; 0: none), applied as the
 * GEMM stores its tiles (relu, leaky_relu) or in a pass over the output (elu, selu); f[0],
 * f[1] its parameters. The pre-activation values are never stored. */
#define ACT_SLOT 0

static int dense_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape, *w = &g->nodes[n->in[1]].shape;
    char bx[64], bw[64];
    if (w->ndim != 2) return nn_graph_fail(g, "dense weight must be 2-D, got %s", nn_shape_str(w, bw, sizeof bw));
    if (x->d[x->ndim - 1] != w->d[1])
        return nn_graph_fail(g, "dense: input %s has %d features but the weight %s expects %d",
                             nn_shape_str(x, bx, sizeof bx), x->d[x->ndim - 1], nn_shape_str(w, bw, sizeof bw), w->d[1]);
    if (n->n_in == 3) {
        const nn_shape *b = &g->nodes[n->in[2]].shape;
        if (b->ndim != 1 || b->d[0] != w->d[0]) return nn_graph_fail(g, "dense: bias must have %d elements", w->d[0]);
    }
    if (nn_fused_act_check(g, &n->a, ACT_SLOT) < 0) return -1;
    n->shape = *x;
    if (x->ndim == 1) n->shape = nn_shape2(1, w->d[0]);
    else n->shape.d[x->ndim - 1] = w->d[0];
    return 0;
}

static void dense_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]], *w = &g->nodes[n->in[1]];
    int m = w->shape.d[0], k = w->shape.d[1];
    int rows = (int)(nn_shape_numel(&x->shape) / (size_t)k), act = n->a.i[ACT_SLOT];
    nn_gemm_epilogue e = {.bias = n->n_in == 3 ? g->nodes[n->in[2]].data : NULL, .act = act == NN_FUSED_LEAKY_RELU,
                          .slope = n->a.f[0], .b_constant = holds_still(w)};
    nn_sgemm_fused(0, 1, rows, m, k, x->data, k, w->data, k, n->data, m, &e);
    if (act == NN_FUSED_ELU) nn_fused_act_apply(&n->a, ACT_SLOT, n->data, (size_t)rows * (size_t)m);
}

static int as_rows(nn_graph *g, int x)
{
    const nn_shape *s = &g->nodes[x].shape;
    if (s->ndim == 2) return x;
    int last = s->d[s->ndim - 1];
    return nn_reshape(g, x, nn_shape2((int)(nn_shape_numel(s) / (size_t)last), last));
}

static int dense_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs at = g->nodes[id].a;   /* a copy: the nodes may move */
    gout = nn_fused_act_grad(g, id, gout, &at, ACT_SLOT);
    if (gout < 0) return -1;
    int x = g->nodes[id].in[0], w = g->nodes[id].in[1];
    int g2 = as_rows(g, gout), x2 = as_rows(g, x);
    int dx = nn_matmul(g, g2, w, 0, 0);                         /* (rows,M)(M,K) */
    gin[0] = dx >= 0 && g2 != gout ? nn_reshape(g, dx, g->nodes[x].shape) : dx;
    if (dx >= 0 && g->nodes[x].shape.ndim == 1) gin[0] = nn_reshape(g, dx, g->nodes[x].shape);
    gin[1] = nn_matmul(g, g2, x2, 1, 0);                         /* (M,rows)(rows,K) */
    if (g->nodes[id].n_in == 3) gin[2] = nn_sum_to(g, g2, g->nodes[g->nodes[id].in[2]].shape);
    return gin[0] < 0 || gin[1] < 0 || (g->nodes[id].n_in == 3 && gin[2] < 0) ? -1 : 0;
}

static int dense_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape2(3 * scale, 5 * scale), r, -1, 1);
    int w = nn_test_input(g, nn_shape2(4 * scale, 5 * scale), r, -1, 1);
    int b = nn_test_input(g, nn_shape1(4 * scale), r, -1, 1);
    return nn_dense(g, x, w, b);
}

static double dense_flops(nn_graph *g, const nn_node *n)
{
    double out = (double)nn_shape_numel(&n->shape);   /* plus one per value for a fused activation */
    return 2.0 * out * g->nodes[n->in[1]].shape.d[1] + (n->a.i[ACT_SLOT] != NN_FUSED_NONE ? out : 0.0);
}

const nn_op_def nn_def_dense = {"dense", -1, "x (...,K) W (M,K) [b (M)] -> x W^T + b (...,M)",
                                dense_infer, dense_forward, dense_backward, dense_check, dense_flops};

int nn_dense_act(nn_graph *g, int x, int w, int b, nn_fused_act act)
{
    nn_attrs at = {.i = {[ACT_SLOT] = act.kind}, .f = {act.p0, act.p1}};
    if (b < 0) return nn_op(g, NN_OP_dense, (int[]){x, w}, 2, &at);
    return nn_op(g, NN_OP_dense, (int[]){x, w, b}, 3, &at);
}

int nn_dense(nn_graph *g, int x, int w, int b) { return nn_dense_act(g, x, w, b, (nn_fused_act){NN_FUSED_NONE, 0.0f, 0.0f}); }
