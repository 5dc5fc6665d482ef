/* A convolution's gradients when its output z reaches the loss only through a 2x2 max pool with
 * stride 2 (conv_pooled.c): conv2d's backward builds these when its output gradient is
 * max_route(z, h) of such a pool, instead of the dense gradients of that routed tensor.
 *   conv2d_wgrad_pooled(x, z, h)      -> (F,C,KH,KW) = conv2d_wgrad(x, max_route(z, h))
 *   conv_transpose2d_pooled(z, h, w)  -> (N,C,H,W)   = conv_transpose2d(max_route(z, h), w)
 * z (N,F,OH,OW) is the convolution's output, h (N,F,OH/2,OW/2) the pooled gradient, w the
 * conv2d weight (F,C,KH,KW). Attributes as conv2d_wgrad's (i[0] stride, i[1], i[2] padding,
 * i[3], i[4] kernel size) and conv_transpose2d's (i[3], i[4] output padding). Both are linear
 * in h (and in x, or w); the argmax is piecewise constant in z, so z has no gradient. Their
 * backward rules are those of the composed ops, with the route's transpose max_select. */
#include "../kernels/conv_lower.h"
#include "../kernels/ew_util.h"
#include "op_conv.h"
#include "op_list.h"

static const nn_attrs pool_2x2 = {.i = {2, 2, 0}};

static const nn_shape *in_shape(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }
static const float *in_data(nn_graph *g, const nn_node *n, int k) { return g->nodes[n->in[k]].data; }

static int fail_shape(nn_graph *g, const char *op, const char *what, const nn_shape *got, const nn_shape *want)
{
    char a[64], b[64];
    return nn_graph_fail(g, "%s: %s must have shape %s, got %s", op, what, nn_shape_str(want, a, sizeof a),
                         nn_shape_str(got, b, sizeof b));
}

/* z and h 4-D, h z's pooled shape, z at least one window; the other operands' checks are the caller's */
static int check_z_h(nn_graph *g, const char *op, const nn_shape *z, const nn_shape *h)
{
    char b[64];
    if (z->ndim != 4 || z->d[2] < 2 || z->d[3] < 2)
        return nn_graph_fail(g, "%s: z must be a 4-D (N, F, OH, OW) output with OH, OW >= 2, got %s", op,
                             nn_shape_str(z, b, sizeof b));
    nn_shape want = nn_shape4(z->d[0], z->d[1], z->d[2] / 2, z->d[3] / 2);
    return nn_shape_eq(h, &want) ? 0 : fail_shape(g, op, "the pooled gradient h", h, &want);
}

static int check_conv_attrs(nn_graph *g, const char *op, const nn_node *n)
{
    if (n->a.i[0] < 1 || n->a.i[1] < 0 || n->a.i[2] < 0)
        return nn_graph_fail(g, "%s: stride %d must be >= 1 and padding %dx%d not negative", op, n->a.i[0], n->a.i[1], n->a.i[2]);
    return 0;
}

static int check_taps(nn_graph *g, const char *op, int kh, int kw)
{
    if (kh * kw <= NN_CONV_POOLED_MAX_TAPS) return 0;
    return nn_graph_fail(g, "%s: kernels up to %d taps, got %dx%d", op, NN_CONV_POOLED_MAX_TAPS, kh, kw);
}

/* the products done, which decide whether threads pay */
static double pooled_flops(const nn_conv_geom *cg)
{
    return 2.0 * cg->n * (double)cg->f * cg->c * cg->kh * cg->kw * (cg->oh / 2) * (cg->ow / 2);
}

/* Runs the op's groups; sums: the buffer acc_floats floats are summed into (wgrad), or NULL.
 * Returns 0, or -1 with n's output NaN (out of memory). */
static int run_pooled(nn_graph *g, nn_node *n, const nn_conv_geom *cg, nn_conv_group_fn fn, size_t acc, float *sums,
                      const float *w, const char *op)
{
    nn_conv_job job = {.geom = *cg, .g = g, .node = n, .per_image = nn_conv_pooled_floats(cg), .acc_floats = acc,
                       .flops = pooled_flops(cg), .fn = fn, .weights = w, .acc_out = sums};
    if (nn_conv_run(&job) == 0) return 0;
    nn_conv_fail_nan(n, op);
    return -1;
}

/* ======== conv2d_wgrad_pooled: x (N,C,H,W), z (N,F,OH,OW), h (N,F,OH/2,OW/2) -> (F,C,KH,KW) ======== */
static int wgrad_pooled_infer(nn_graph *g, nn_node *n)
{
    const char *op = "conv2d_wgrad_pooled";
    const nn_shape *x = in_shape(g, n, 0), *z = in_shape(g, n, 1), *h = in_shape(g, n, 2);
    if (check_conv_attrs(g, op, n) < 0 || check_z_h(g, op, z, h) < 0 || check_taps(g, op, n->a.i[3], n->a.i[4]) < 0) return -1;
    int s = n->a.i[0], kh = n->a.i[3], kw = n->a.i[4];
    if (x->ndim != 4 || kh < 1 || kw < 1 || x->d[2] + 2 * n->a.i[1] < kh || x->d[3] + 2 * n->a.i[2] < kw) {
        char b[64];
        return nn_graph_fail(g, "%s: a %dx%d kernel does not fit the input %s", op, kh, kw, nn_shape_str(x, b, sizeof b));
    }
    nn_shape want = nn_shape4(x->d[0], z->d[1], nn_conv_out_size(x->d[2], kh, s, n->a.i[1]), nn_conv_out_size(x->d[3], kw, s, n->a.i[2]));
    if (!nn_shape_eq(z, &want)) return fail_shape(g, op, "z, the convolution's output,", z, &want);
    n->shape = nn_shape4(z->d[1], x->d[1], kh, kw);
    return 0;
}

static nn_conv_geom wgrad_pooled_geom(nn_graph *g, const nn_node *n)
{
    const nn_shape *x = in_shape(g, n, 0), *z = in_shape(g, n, 1);
    return (nn_conv_geom){x->d[0], x->d[1], x->d[2], x->d[3], z->d[1], z->d[2], z->d[3],
                          n->a.i[3], n->a.i[4], n->a.i[0], n->a.i[1], n->a.i[2]};
}

static void wgrad_pooled_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    nn_conv_pooled p = {&job->geom, in_data(job->g, job->node, 1), in_data(job->g, job->node, 2)};
    nn_conv_pooled_wgrad(&p, in_data(job->g, job->node, 0), n0, nb, scratch, acc, first);
}

/* The sums in the kernel's layout in this thread's second scratch (as Winograd's), then dw */
static void wgrad_pooled_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom cg = wgrad_pooled_geom(g, n);
    size_t floats = nn_conv_pooled_sums_floats(&cg);
    float *sums = nn_conv_scratch_slot(1, floats);
    if (!sums) nn_conv_fail_nan(n, "conv2d_wgrad_pooled");
    else if (run_pooled(g, n, &cg, wgrad_pooled_group, floats, sums, NULL, "conv2d_wgrad_pooled") == 0)
        nn_conv_pooled_wgrad_finish(&cg, sums, n->data);
}

/* With G = d loss / d dw: dx = conv_transpose2d(route, G) and dh = max_select(z, conv2d(x, G)),
 * conv2d_wgrad's rule through route = max_route(z, h). */
static int wgrad_pooled_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    nn_attrs a = n->a;
    int x = n->in[0], z = n->in[1], h = n->in[2];
    const nn_shape *xs = &g->nodes[x].shape, *zs = &g->nodes[z].shape;
    int oph = nn_conv_out_pad_for(xs->d[2], zs->d[2], a.i[3], a.i[0], a.i[1]);
    int opw = nn_conv_out_pad_for(xs->d[3], zs->d[3], a.i[4], a.i[0], a.i[2]);
    gin[1] = -1;
    gin[0] = nn_conv_transpose2d(g, nn_op(g, NN_OP_max_route, (int[]){z, h}, 2, &pool_2x2), gout, -1, a.i[0], a.i[1], a.i[2], oph, opw);
    gin[2] = nn_op(g, NN_OP_max_select, (int[]){z, nn_conv2d(g, x, gout, -1, a.i[0], a.i[1], a.i[2])}, 2, &pool_2x2);
    return gin[0] < 0 || gin[2] < 0 ? -1 : 0;
}

/* 5x4 input, 3x2 kernel, padding 1 -> 5x5, pooled to 2x2 (the last row and column in no window);
 * z of distinct values 0.05 apart, so finite differences never move an argmax */
static int wgrad_pooled_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape4(2 * scale, 2 * scale, 5, 4), r, -1, 1);
    int z = nn_ew_test_input_distinct(g, nn_shape4(2 * scale, 3 * scale, 5, 5), r);
    int h = nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 2, 2), r, -1, 1);
    return nn_op(g, NN_OP_conv2d_wgrad_pooled, (int[]){x, z, h}, 3, &(nn_attrs){.i = {1, 1, 1, 3, 2}});
}

/* What a model's summary and rate count: the dense gradient's products, as for Winograd's
 * convolutions (the work done is a quarter of it, pooled_flops) */
static double dense_flops(const nn_conv_geom *cg)
{
    return 2.0 * cg->n * (double)cg->f * cg->c * cg->kh * cg->kw * cg->oh * cg->ow;
}

static double wgrad_pooled_flops(nn_graph *g, const nn_node *n)
{
    nn_conv_geom cg = wgrad_pooled_geom(g, n);
    return dense_flops(&cg);
}

const nn_op_def nn_def_conv2d_wgrad_pooled = {
    "conv2d_wgrad_pooled", 3, "x z h -> (F,C,KH,KW): conv2d_wgrad(x, max_route(z, h)) of a 2x2 pool, its maxima only",
    wgrad_pooled_infer, wgrad_pooled_forward, wgrad_pooled_backward, wgrad_pooled_check, wgrad_pooled_flops};

/* ======== conv_transpose2d_pooled: z (N,F,OH,OW), h (N,F,OH/2,OW/2), w (F,C,KH,KW) -> (N,C,H,W) ======== */
static int dgrad_pooled_infer(nn_graph *g, nn_node *n)
{
    const char *op = "conv_transpose2d_pooled";
    const nn_shape *z = in_shape(g, n, 0), *h = in_shape(g, n, 1), *w = in_shape(g, n, 2);
    if (check_conv_attrs(g, op, n) < 0 || check_z_h(g, op, z, h) < 0) return -1;
    char b[64];
    if (w->ndim == 4 && check_taps(g, op, w->d[2], w->d[3]) < 0) return -1;
    if (w->ndim != 4 || w->d[0] != z->d[1])
        return nn_graph_fail(g, "%s: the weight must be (F, C, KH, KW) with F = %d, got %s", op, z->d[1], nn_shape_str(w, b, sizeof b));
    int s = n->a.i[0], oph = n->a.i[3], opw = n->a.i[4];
    if (oph < 0 || opw < 0 || oph >= s || opw >= s)
        return nn_graph_fail(g, "%s: output padding %dx%d must be smaller than the stride %d", op, oph, opw, s);
    int hh = (z->d[2] - 1) * s - 2 * n->a.i[1] + w->d[2] + oph, ww = (z->d[3] - 1) * s - 2 * n->a.i[2] + w->d[3] + opw;
    if (hh < 1 || ww < 1) return nn_graph_fail(g, "%s: the input gradient would be empty (%dx%d)", op, hh, ww);
    n->shape = nn_shape4(z->d[0], w->d[1], hh, ww);
    return 0;
}

static nn_conv_geom dgrad_pooled_geom(nn_graph *g, const nn_node *n)
{
    const nn_shape *z = in_shape(g, n, 0), *w = in_shape(g, n, 2);
    return (nn_conv_geom){z->d[0], w->d[1], n->shape.d[2], n->shape.d[3], z->d[1], z->d[2], z->d[3],
                          w->d[2], w->d[3], n->a.i[0], n->a.i[1], n->a.i[2]};
}

static void dgrad_pooled_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    (void)acc, (void)first;
    nn_conv_pooled p = {&job->geom, in_data(job->g, job->node, 0), in_data(job->g, job->node, 1)};
    nn_conv_pooled_dgrad(&p, job->weights, n0, nb, scratch, job->node->data);
}

static void dgrad_pooled_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom cg = dgrad_pooled_geom(g, n);
    float *wt = nn_conv_scratch_slot(1, nn_conv_pooled_weights_floats(&cg));
    if (!wt) {
        nn_conv_fail_nan(n, "conv_transpose2d_pooled");
        return;
    }
    nn_conv_pooled_weights(&cg, in_data(g, n, 2), wt);
    run_pooled(g, n, &cg, dgrad_pooled_group, 0, NULL, wt, "conv_transpose2d_pooled");
}

/* conv_transpose2d's rule through route = max_route(z, h): dh = max_select(z, conv2d(gout, w)),
 * dw = conv2d_wgrad(gout, route), itself through the same pool. */
static int dgrad_pooled_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    nn_attrs a = n->a;
    int z = n->in[0], h = n->in[1], w = n->in[2];
    const nn_shape *ws = &g->nodes[w].shape;
    nn_attrs wa = {.i = {a.i[0], a.i[1], a.i[2], ws->d[2], ws->d[3]}};
    gin[0] = -1;
    gin[1] = nn_op(g, NN_OP_max_select, (int[]){z, nn_conv2d(g, gout, w, -1, a.i[0], a.i[1], a.i[2])}, 2, &pool_2x2);
    gin[2] = nn_op(g, NN_OP_conv2d_wgrad_pooled, (int[]){gout, z, h}, 3, &wa);
    return gin[1] < 0 || gin[2] < 0 ? -1 : 0;
}

/* the wgrad fixture's convolution seen from its output: 5x5 -> 5x4 with a 3x2 kernel, padding 1 */
static int dgrad_pooled_check(nn_graph *g, nn_rng *r, int scale)
{
    int z = nn_ew_test_input_distinct(g, nn_shape4(2 * scale, 3 * scale, 5, 5), r);
    int h = nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 2, 2), r, -1, 1);
    int w = nn_test_input(g, nn_shape4(3 * scale, 2 * scale, 3, 2), r, -1, 1);
    return nn_op(g, NN_OP_conv_transpose2d_pooled, (int[]){z, h, w}, 3, &(nn_attrs){.i = {1, 1, 1, 0, 0}});
}

static double dgrad_pooled_flops(nn_graph *g, const nn_node *n)
{
    nn_conv_geom cg = dgrad_pooled_geom(g, n);
    return dense_flops(&cg);
}

const nn_op_def nn_def_conv_transpose2d_pooled = {
    "conv_transpose2d_pooled", 3,
    "z h w -> (N,C,H,W): conv_transpose2d(max_route(z, h), w) of a 2x2 pool, its maxima only",
    dgrad_pooled_infer, dgrad_pooled_forward, dgrad_pooled_backward, dgrad_pooled_check, dgrad_pooled_flops};

int nn_conv_pooled_route(const nn_graph *g, int conv, int gout)
{
    const nn_node *r = &g->nodes[gout];
    if (r->kind != NN_NODE_OP || r->op != NN_OP_max_route || r->in[0] != conv) return -1;
    const nn_shape *w = &g->nodes[g->nodes[conv].in[1]].shape;
    return r->a.i[0] == 2 && r->a.i[1] == 2 && r->a.i[2] == 0 && g->nodes[conv].shape.d[2] >= 2 &&
                   g->nodes[conv].shape.d[3] >= 2 && nn_conv_pooled_pays(w->d[1], w->d[2], w->d[3])
               ? r->in[1]
               : -1;
}
