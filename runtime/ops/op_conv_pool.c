/* A convolution, its activation and a 2x2 max pool (stride 2) as one op, for the first layer of
 * an image model: the full-resolution output is made in cache and never stored
 * (conv_direct_pool.c). Both ops take conv2d's attributes (i[0] stride, i[1] pad_h, i[2] pad_w,
 * the activation in slot NN_CONV_ACT_SLOT with f[0], f[1]) and only geometries that the direct
 * kernel runs (stride 1, C*KH*KW <= NN_CONV_DIRECT_TAPS), where computing the convolution again
 * for the gradient costs less than storing it and reading it back twice.
 *   conv2d_maxpool(x, w[, b])          -> (N,F,OH/2,OW/2) = maxpool2d(act(conv2d(x, w) + b), 2, 2, 0)
 *   conv_maxpool_wgrad(x, gp, w[, b])  -> (F,C,KH,KW) = conv2d_wgrad(x, max_route(z, gp)),
 *                                         z = act(conv2d(x, w) + b) made again
 * (the kernel finds each window's maximum before the activation, which, increasing, does not
 * move it). Where a gradient needs z itself (the input's gradient, second order), the backward
 * rules build it as a conv2d node and take the pooled ops over it (op_conv_pooled.c) and
 * max_select: gradients of gradients stay inside existing ops. The argmax is piecewise constant, so neither op has a gradient w.r.t. w or b
 * through it; the weight gradient's only one is through conv_maxpool_wgrad's products. */
#include "../kernels/fused_act.h"
#include "op_conv.h"
#include "op_list.h"

static const nn_attrs pool_2x2 = {.i = {2, 2, 0}};

static int has_bias(const nn_node *n, int first_after) { return n->n_in > first_after; }

/* The conv2d node's checks on a copy of n with conv2d's inputs (x, w[, b]); *conv gets the
 * convolution's output shape. */
static int infer_conv(nn_graph *g, const nn_node *n, int x, int w, int b, nn_shape *conv)
{
    nn_node c = *n;
    c.n_in = b >= 0 ? 3 : 2;
    c.in[0] = x, c.in[1] = w, c.in[2] = b;
    if (nn_def_conv2d.infer(g, &c) < 0) return -1;
    *conv = c.shape;
    return 0;
}

/* What the fused kernel runs: the direct geometry and an output of at least one 2x2 window. */
static int check_fusable(nn_graph *g, const char *op, const nn_conv_geom *cg)
{
    if (!nn_conv_direct_fits(cg))
        return nn_graph_fail(g, "%s: only a stride-1 convolution with at most %d taps per output (channels x kernel) "
                                "is fused with its pooling, got stride %d and %d taps; use conv2d then maxpool2d",
                             op, NN_CONV_DIRECT_TAPS, cg->stride, cg->c * cg->kh * cg->kw);
    if (cg->oh < 2 || cg->ow < 2)
        return nn_graph_fail(g, "%s: the convolution's %dx%d output is smaller than one 2x2 pooling window", op, cg->oh, cg->ow);
    return 0;
}

/* the node's inputs as conv2d's: x, w, b (-1 if none) */
static void conv_inputs(const nn_node *n, int wgrad, int *x, int *w, int *b)
{
    *x = n->in[0];
    *w = n->in[wgrad ? 2 : 1];
    *b = has_bias(n, wgrad ? 3 : 2) ? n->in[wgrad ? 3 : 2] : -1;
}

/* A conv2d node's geometry for a node with other inputs: the same attributes over x and w. */
static nn_conv_geom geom_of(nn_graph *g, const nn_node *n, int wgrad)
{
    nn_node c = *n;
    int b;
    conv_inputs(n, wgrad, &c.in[0], &c.in[1], &b);
    return nn_conv2d_geom_of(g, &c);
}

static nn_conv_direct_pool kernel_args(nn_graph *g, const nn_node *n, const nn_conv_geom *cg, int wgrad)
{
    int x, w, b;
    conv_inputs(n, wgrad, &x, &w, &b);
    return (nn_conv_direct_pool){cg, g->nodes[x].data, g->nodes[w].data, b >= 0 ? g->nodes[b].data : NULL, &n->a,
                                 NN_CONV_ACT_SLOT};
}

static double conv_flops(const nn_conv_geom *cg)
{
    return 2.0 * cg->n * (double)cg->f * nn_conv_krows(cg) * nn_conv_out_plane(cg);
}

/* ======== conv2d_maxpool: x (N,C,H,W), w (F,C,KH,KW), b (F) -> (N,F,OH/2,OW/2) ======== */
static int conv2d_maxpool_infer(nn_graph *g, nn_node *n)
{
    if (n->n_in < 2 || n->n_in > 3) return nn_graph_fail(g, "conv2d_maxpool: takes x, w and an optional b, got %d inputs", n->n_in);
    nn_shape conv;
    if (infer_conv(g, n, n->in[0], n->in[1], has_bias(n, 2) ? n->in[2] : -1, &conv) < 0) return -1;
    nn_conv_geom cg = geom_of(g, n, 0);
    if (check_fusable(g, "conv2d_maxpool", &cg) < 0) return -1;
    n->shape = nn_shape4(conv.d[0], conv.d[1], conv.d[2] / 2, conv.d[3] / 2);
    return 0;
}

static void conv2d_maxpool_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    (void)acc, (void)first;
    nn_conv_direct_pool p = kernel_args(job->g, job->node, &job->geom, 0);
    nn_conv_direct_pool_forward(&p, n0, nb, scratch, job->node->data);
}

static void conv2d_maxpool_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom cg = geom_of(g, n, 0);
    nn_conv_job job = {.geom = cg, .g = g, .node = n, .per_image = nn_conv_direct_pool_floats(&cg),
                       .flops = conv_flops(&cg), .fn = conv2d_maxpool_group};
    if (nn_conv_run(&job) < 0) nn_conv_fail_nan(n, "conv2d_maxpool");
}

/* z = act(conv2d(x, w) + b), the values the pool picks from, as a node of its own */
static int conv_values(nn_graph *g, int x, int w, int b, const nn_attrs *a)
{
    nn_fused_act act = {a->i[NN_CONV_ACT_SLOT], a->f[0], a->f[1]};
    return nn_conv2d_act(g, x, w, b, a->i[0], a->i[1], a->i[2], act);
}

/* gp = the gradient at the pooled values before the activation; dw from gp directly, db its
 * sum (each window's gradient goes to exactly one pixel), dx through z's route. */
static int conv2d_maxpool_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs a = g->nodes[id].a;   /* copies: adding nodes may move g->nodes */
    int x, w, b;
    conv_inputs(&g->nodes[id], 0, &x, &w, &b);
    int gp = nn_fused_act_grad(g, id, gout, &a, NN_CONV_ACT_SLOT);
    int wg_in[4] = {x, gp, w, b};
    gin[1] = nn_op(g, NN_OP_conv_maxpool_wgrad, wg_in, b >= 0 ? 4 : 3, &a);
    if (b >= 0) gin[2] = nn_op(g, NN_OP_conv_bias_grad, &gp, 1, NULL);
    nn_attrs t = {.i = {a.i[0], a.i[1], a.i[2], 0, 0}};   /* stride 1: no output padding */
    gin[0] = nn_op(g, NN_OP_conv_transpose2d_pooled, (int[]){conv_values(g, x, w, b, &a), gp, w}, 3, &t);
    return gin[0] < 0 || gin[1] < 0 || (b >= 0 && gin[2] < 0) ? -1 : 0;
}

/* The gradient checks' conv + pool geometry (test_gradcheck.c, conv_act_pool): a ramp input and
 * positive weights make each window's bottom-right output win by >= 0.01, and biases +-[1, 2)
 * keep the selu's input >= 0.1 from its kink. x (2s,2,6,6) w (3s,2,3,3) -> (2s,3s,2,2). */
static int fixture(nn_graph *g, nn_rng *r, int scale, int *x, int *w, int *b)
{
    *x = nn_test_input(g, nn_shape4(2 * scale, 2, 6, 6), r, -1, 1);
    size_t nx = nn_numel(g, *x);
    for (size_t i = 0; i < nx; i++) nn_data(g, *x)[i] = -1.0f + (float)(i % 36) / 18.0f + 0.01f * (float)(i / 36 % 4);
    *w = nn_test_input(g, nn_shape4(3 * scale, 2, 3, 3), r, 0.01f, 0.05f);
    *b = nn_test_input(g, nn_shape1(3 * scale), r, -1, 1);
    for (int c = 0; c < 3 * scale; c++) nn_data(g, *b)[c] = (c % 2 ? -1.0f : 1.0f) * (1.0f + 0.3f * (float)(c % 3));
    return 0;
}
static const nn_attrs selu_attrs = {.i = {1, 0, 0, 0, 0, NN_FUSED_ELU}, .f = {NN_SELU_ALPHA, NN_SELU_SCALE}};

static int conv2d_maxpool_check(nn_graph *g, nn_rng *r, int scale)
{
    int x, w, b;
    fixture(g, r, scale, &x, &w, &b);
    return nn_op(g, NN_OP_conv2d_maxpool, (int[]){x, w, b}, 3, &selu_attrs);
}

static double conv2d_maxpool_flops(nn_graph *g, const nn_node *n)
{
    nn_conv_geom cg = geom_of(g, n, 0);
    return conv_flops(&cg) + 4.0 * (double)nn_shape_numel(&n->shape);
}

const nn_op_def nn_def_conv2d_maxpool = {
    "conv2d_maxpool", -1, "x (N,C,H,W) w (F,C,KH,KW) [b (F)] -> (N,F,OH/2,OW/2): conv2d, activation, 2x2 max pool",
    conv2d_maxpool_infer, conv2d_maxpool_forward, conv2d_maxpool_backward, conv2d_maxpool_check, conv2d_maxpool_flops};

/* ======== conv_maxpool_wgrad: x (N,C,H,W), gp (N,F,OH/2,OW/2), w (F,C,KH,KW), b (F) -> (F,C,KH,KW) ======== */
static int conv_maxpool_wgrad_infer(nn_graph *g, nn_node *n)
{
    if (n->n_in < 3 || n->n_in > 4)
        return nn_graph_fail(g, "conv_maxpool_wgrad: takes x, gp, w and an optional b, got %d inputs", n->n_in);
    int x, w, b;
    conv_inputs(n, 1, &x, &w, &b);
    nn_shape conv;
    if (infer_conv(g, n, x, w, b, &conv) < 0) return -1;
    nn_conv_geom cg = geom_of(g, n, 1);
    if (check_fusable(g, "conv_maxpool_wgrad", &cg) < 0) return -1;
    nn_shape want = nn_shape4(conv.d[0], conv.d[1], conv.d[2] / 2, conv.d[3] / 2);
    const nn_shape *gp = &g->nodes[n->in[1]].shape;
    if (!nn_shape_eq(gp, &want)) {
        char a[64], c[64];
        return nn_graph_fail(g, "conv_maxpool_wgrad: the pooled gradient must have shape %s, got %s",
                             nn_shape_str(&want, a, sizeof a), nn_shape_str(gp, c, sizeof c));
    }
    n->shape = g->nodes[w].shape;
    return 0;
}

static void conv_maxpool_wgrad_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    nn_conv_direct_pool p = kernel_args(job->g, job->node, &job->geom, 1);
    nn_conv_direct_pool_wgrad(&p, job->g->nodes[job->node->in[1]].data, n0, nb, scratch, acc, first);
}

static void conv_maxpool_wgrad_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom cg = geom_of(g, n, 1);
    nn_conv_job job = {.geom = cg, .g = g, .node = n, .per_image = nn_conv_direct_pool_floats(&cg),
                       .acc_floats = nn_shape_numel(&n->shape), .flops = 2.0 * conv_flops(&cg),
                       .fn = conv_maxpool_wgrad_group};
    if (nn_conv_run(&job) < 0) nn_conv_fail_nan(n, "conv_maxpool_wgrad");
}

/* conv2d_wgrad(x, gy) with gy = max_route(z, gp): with G = d loss / d dw, dx = conv_transpose2d(gy, G)
 * (conv_transpose2d_pooled) and dgp = max_select(z, conv2d(x, G)) (conv2d_wgrad's rule, then the
 * route's transpose). */
static int conv_maxpool_wgrad_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs a = g->nodes[id].a;
    int x, w, b, gp = g->nodes[id].in[1];
    conv_inputs(&g->nodes[id], 1, &x, &w, &b);
    int z = conv_values(g, x, w, b, &a);
    nn_attrs t = {.i = {a.i[0], a.i[1], a.i[2], 0, 0}};
    gin[0] = nn_op(g, NN_OP_conv_transpose2d_pooled, (int[]){z, gp, gout}, 3, &t);
    gin[1] = nn_op(g, NN_OP_max_select, (int[]){z, nn_conv2d(g, x, gout, -1, a.i[0], a.i[1], a.i[2])}, 2, &pool_2x2);
    gin[2] = gin[3] = -1;
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static int conv_maxpool_wgrad_check(nn_graph *g, nn_rng *r, int scale)
{
    int x, w, b;
    fixture(g, r, scale, &x, &w, &b);
    int gp = nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 2, 2), r, -1, 1);
    return nn_op(g, NN_OP_conv_maxpool_wgrad, (int[]){x, gp, w, b}, 4, &selu_attrs);
}

/* as conv2d_wgrad's count of the routed gradient (the kernel makes the convolution again too) */
static double conv_maxpool_wgrad_flops(nn_graph *g, const nn_node *n)
{
    nn_conv_geom cg = geom_of(g, n, 1);
    return conv_flops(&cg);
}

const nn_op_def nn_def_conv_maxpool_wgrad = {
    "conv_maxpool_wgrad", -1, "x gp (pooled) w [b] -> (F,C,KH,KW): conv2d_maxpool's weight gradient",
    conv_maxpool_wgrad_infer, conv_maxpool_wgrad_forward, conv_maxpool_wgrad_backward, conv_maxpool_wgrad_check,
    conv_maxpool_wgrad_flops};

/* ======== building ======== */
int nn_conv2d_maxpool_fits(nn_graph *g, int conv, int k, int stride, int pad)
{
    if (conv < 0 || conv >= g->n || k != 2 || stride != 2 || pad != 0) return 0;
    const nn_node *n = &g->nodes[conv];
    if (n->kind != NN_NODE_OP || n->op != NN_OP_conv2d) return 0;
    nn_conv_geom cg = nn_conv2d_geom_of(g, n);
    return nn_conv_direct_fits(&cg) && cg.oh >= 2 && cg.ow >= 2;
}

int nn_conv2d_maxpool(nn_graph *g, int conv)
{
    if (conv < 0) return -1;
    if (!nn_conv2d_maxpool_fits(g, conv, 2, 2, 0))
        return nn_graph_fail(g, "internal: node %d is not a convolution nn_conv2d_maxpool takes", conv);
    nn_node c = g->nodes[conv];
    return nn_op(g, NN_OP_conv2d_maxpool, c.in, c.n_in, &c.a);
}
