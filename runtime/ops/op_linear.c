/* matmul and dense (fully connected) through cblas_sgemm. */
#include "op_list.h"
#include "../core/parallel.h"
#include <cblas.h>

/* GEMM with the thread count chosen by its size (policy and measurements in parallel.h). */
static void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const float *a, int lda, const float *b,
                 int ldb, float beta, float *c, int ldc)
{
    nn_sgemm(ta == CblasTrans, tb == CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

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
    gemm(ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, nc, k, a->data, a->shape.d[1], b->data,
         b->shape.d[1], 0.0f, n->data, nc);
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

/* ---- dense: x (..., K), W (M, K), b (M) -> (..., M); y = x W^T + b ---- */
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
    n->shape = *x;
    if (x->ndim == 1) n->shape = nn_shape2(1, w->d[0]);
    else n->shape.d[x->ndim - 1] = w->d[0];
    return 0;
}

static void dense_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]], *w = &g->nodes[n->in[1]];
    int m = w->shape.d[0], k = w->shape.d[1];
    int rows = (int)(nn_shape_numel(&x->shape) / (size_t)k);
    if (n->n_in == 3) nn_sgemm_bias(0, 1, rows, m, k, x->data, k, w->data, k, g->nodes[n->in[2]].data, n->data, m);
    else gemm(CblasNoTrans, CblasTrans, rows, m, k, x->data, k, w->data, k, 0.0f, n->data, m);
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
    return 2.0 * (double)nn_shape_numel(&n->shape) * g->nodes[n->in[1]].shape.d[1];
}

const nn_op_def nn_def_dense = {"dense", -1, "x (...,K) W (M,K) [b (M)] -> x W^T + b (...,M)",
                                dense_infer, dense_forward, dense_backward, dense_check, dense_flops};

int nn_dense(nn_graph *g, int x, int w, int b)
{
    if (b < 0) return nn_op(g, NN_OP_dense, (int[]){x, w}, 2, NULL);
    return nn_op(g, NN_OP_dense, (int[]){x, w, b}, 3, NULL);
}
