/* Reductions: sum and mean of all elements, per-sample sums. */
#include "../kernels/ew_util.h"
#include "op_list.h"
#include "../core/parallel.h"

static int scalar_infer(nn_graph *g, nn_node *n)
{
    (void)g;
    n->shape = nn_shape1(1);
    return 0;
}

typedef struct {
    const float *x;
} total_ctx;

/* double accumulators: losses over 100k elements stay exact */
NN_PAR_SUM_FN(total_chunk, total_ctx, c, i, s, s += c->x[i];)

static double total(const float *x, size_t n) { return nn_par_sum(n, total_chunk, &(total_ctx){x}); }

static void sum_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    n->data[0] = (float)total(x->data, nn_shape_numel(&x->shape));
}

static void mean_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    size_t k = nn_shape_numel(&x->shape);
    n->data[0] = (float)(total(x->data, k) / (double)k);
}

static int sum_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_broadcast_to(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    return gin[0] < 0 ? -1 : 0;
}

static int mean_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_shape s = g->nodes[g->nodes[id].in[0]].shape;
    gin[0] = nn_broadcast_to(g, nn_affine(g, gout, 1.0f / (float)nn_shape_numel(&s), 0.0f), s);
    return gin[0] < 0 ? -1 : 0;
}

static int reduce_check(nn_graph *g, nn_rng *r, int scale, int op)
{
    int x = nn_test_input(g, nn_ew_test_shape(scale), r, -1, 1);
    return nn_op(g, op, &x, 1, NULL);
}
static int sum_check(nn_graph *g, nn_rng *r, int scale) { return reduce_check(g, r, scale, NN_OP_sum); }
static int mean_check(nn_graph *g, nn_rng *r, int scale) { return reduce_check(g, r, scale, NN_OP_mean); }

const nn_op_def nn_def_sum = {"sum", 1, "sum of all elements -> (1)", scalar_infer, sum_forward, sum_backward, sum_check, NULL};
const nn_op_def nn_def_mean = {"mean", 1, "mean of all elements -> (1)", scalar_infer, mean_forward, mean_backward, mean_check, NULL};

int nn_sum(nn_graph *g, int x) { return nn_op(g, NN_OP_sum, &x, 1, NULL); }
int nn_mean(nn_graph *g, int x) { return nn_op(g, NN_OP_mean, &x, 1, NULL); }

/* sum_rows: (N, ...) -> (N) */
static int sum_rows_infer(nn_graph *g, nn_node *n)
{
    n->shape = nn_shape1(g->nodes[n->in[0]].shape.d[0]);
    return 0;
}

static void sum_rows_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    int rows = n->shape.d[0];
    size_t k = nn_shape_numel(&x->shape) / (size_t)rows;
    for (int r = 0; r < rows; r++) n->data[r] = (float)total(x->data + (size_t)r * k, k);
}

static int sum_rows_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_shape s = g->nodes[g->nodes[id].in[0]].shape;
    nn_shape col = s;                        /* (N, 1, ...) so it broadcasts along the row */
    for (int i = 1; i < col.ndim; i++) col.d[i] = 1;
    gin[0] = nn_broadcast_to(g, nn_reshape(g, gout, col), s);
    return gin[0] < 0 ? -1 : 0;
}

static int sum_rows_check(nn_graph *g, nn_rng *r, int scale) { return reduce_check(g, r, scale, NN_OP_sum_rows); }

const nn_op_def nn_def_sum_rows = {"sum_rows", 1, "(N, ...) -> (N): per-sample sum", sum_rows_infer,
                                   sum_rows_forward, sum_rows_backward, sum_rows_check, NULL};
int nn_sum_rows(nn_graph *g, int x) { return nn_op(g, NN_OP_sum_rows, &x, 1, NULL); }
