/* 2-D convolutions (NCHW, PyTorch semantics, dilation 1, groups 1), lowered to GEMM over
 * groups of images (conv_lower.h). Four registry rows whose backwards use each other, so
 * gradients of gradients (WGAN-GP) stay inside the family:
 *   conv2d(x, w)            dx = conv_transpose2d(g, w), dw = conv2d_wgrad(x, g)
 *   conv_transpose2d(x, w)  dx = conv2d(g, w),           dw = conv2d_wgrad(g, x)
 *   conv2d_wgrad(x, g)      dx = conv_transpose2d(g, G), dg = conv2d(x, G)
 *   conv_bias_grad(g)       sum over N, H, W; every bias gradient
 * Attributes: i[0] stride, i[1] pad_h, i[2] pad_w; conv_transpose2d i[3], i[4] output
 * padding; conv2d_wgrad i[3], i[4] kernel height and width. conv2d and conv_transpose2d may
 * apply an activation to their output (fused_act.h): kind i[5], parameters f[0], f[1].
 * 3x3 kernels with stride 1 (and padding up to 2) take Winograd F(2x2, 3x3) instead
 * (conv_winograd.h): 2.25x fewer multiplies than the GEMM lowering. */
#include "../kernels/conv_lower.h"
#include "../kernels/conv_winograd.h"
#include "../kernels/fused_act.h"
#include "op_conv.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <math.h>
#include <stdio.h>

static const nn_shape *shape_of(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }
static const float *data_of(nn_graph *g, const nn_node *n, int k) { return g->nodes[n->in[k]].data; }
static int stride_of(const nn_node *n) { return n->a.i[0]; }


/* "3" for a square padding, "1x2" otherwise (for messages) */
static const char *pad_str(int ph, int pw, char *buf, size_t len)
{
    if (ph == pw) snprintf(buf, len, "%d", ph);
    else snprintf(buf, len, "%dx%d", ph, pw);
    return buf;
}

static int check_4d(nn_graph *g, const char *op, const char *what, const char *layout, const nn_shape *s)
{
    char b[64];
    if (s->ndim == 4) return 0;
    return nn_graph_fail(g, "%s: the %s must be 4-D %s, got %s", op, what, layout, nn_shape_str(s, b, sizeof b));
}

static int check_stride_pad(nn_graph *g, const char *op, const nn_node *n)
{
    if (stride_of(n) < 1) return nn_graph_fail(g, "%s: stride must be at least 1, got %d", op, stride_of(n));
    if (n->a.i[1] < 0 || n->a.i[2] < 0)
        return nn_graph_fail(g, "%s: padding must not be negative, got %dx%d", op, n->a.i[1], n->a.i[2]);
    return 0;
}

static int check_bias(nn_graph *g, const char *op, const nn_node *n, int channels)
{
    if (n->n_in < 3) return 0;
    const nn_shape *b = shape_of(g, n, 2);
    char buf[64];
    if (b->ndim == 1 && b->d[0] == channels) return 0;
    return nn_graph_fail(g, "%s: bias must have shape [%d] (one per output channel), got %s", op, channels,
                         nn_shape_str(b, buf, sizeof buf));
}

/* The kernel must fit the padded input: H + 2*pad >= KH (likewise W). */
static int check_fit(nn_graph *g, const char *op, const nn_shape *x, int kh, int kw, int ph, int pw)
{
    char p[32];
    if (x->d[2] + 2 * ph >= kh && x->d[3] + 2 * pw >= kw) return 0;
    return nn_graph_fail(g, "%s: a %dx%d kernel does not fit a %dx%d input with padding %s", op, kh, kw, x->d[2],
                         x->d[3], pad_str(ph, pw, p, sizeof p));
}

#define ACT_SLOT NN_CONV_ACT_SLOT

static nn_attrs conv_attrs(int stride, int ph, int pw, int extra_h, int extra_w)
{
    return (nn_attrs){.i = {stride, ph, pw, extra_h, extra_w}};
}

static nn_attrs conv_attrs_act(int stride, int ph, int pw, int extra_h, int extra_w, nn_fused_act act)
{
    return (nn_attrs){.i = {stride, ph, pw, extra_h, extra_w, act.kind}, .f = {act.p0, act.p1}};
}

/* The fused activation over images [n0, n0+nb) of the output, just written (in cache). */
static void group_act(const nn_node *n, int n0, int nb)
{
    size_t per = nn_shape_numel(&n->shape) / (size_t)n->shape.d[0];
    nn_fused_act_apply(&n->a, ACT_SLOT, n->data + (size_t)n0 * per, (size_t)nb * per);
}

/* Builds an op with an optional bias (b < 0: none). */
static int conv_node(nn_graph *g, int op, int x, int w, int b, const nn_attrs *a)
{
    if (b < 0) return nn_op(g, op, (int[]){x, w}, 2, a);
    return nn_op(g, op, (int[]){x, w, b}, 3, a);
}

/* Gradient of a bias: gout summed over N, H, W (only when the node has a bias). */
static int bias_grad(nn_graph *g, int id, int gout, int *gin)
{
    if (g->nodes[id].n_in < 3) return 0;
    gin[2] = nn_op(g, NN_OP_conv_bias_grad, &gout, 1, NULL);
    return gin[2] < 0 ? -1 : 0;
}

void nn_conv_fail_nan(const nn_node *n, const char *op)
{
    fprintf(stderr, "nnrun: out of memory for the %s scratch of '%s'; its output is NaN\n", op, n->label);
    size_t k = nn_shape_numel(&n->shape);
    for (size_t i = 0; i < k; i++) n->data[i] = NAN;
}

/* Runs the op's groups (conv_groups.c) with per_image scratch floats per image; on out of
 * memory the output becomes NaN. Every op here does 2 * f * krows * out_plane FLOPs per image. */
static void run_groups(nn_graph *g, nn_node *n, nn_conv_geom cg, nn_conv_group_fn fn, size_t per_image,
                       size_t acc_floats, const char *op)
{
    size_t k = nn_conv_krows(&cg), p = nn_conv_out_plane(&cg);
    nn_conv_job job = {.geom = cg, .g = g, .node = n, .per_image = per_image, .acc_floats = acc_floats,
                       .flops = 2.0 * cg.n * (double)cg.f * k * p, .fn = fn};
    if (nn_conv_run(&job) < 0) nn_conv_fail_nan(n, op);
}

/* The GEMM lowering: scratch (krows + f) * out_plane per image. */
static void run_job(nn_graph *g, nn_node *n, nn_conv_geom cg, nn_conv_group_fn fn, size_t acc_floats, const char *op)
{
    run_groups(g, n, cg, fn, (nn_conv_krows(&cg) + (size_t)cg.f) * nn_conv_out_plane(&cg), acc_floats, op);
}

/* ======== conv2d: x (N,C,H,W), w (F,C,KH,KW), b (F) -> (N,F,OH,OW) ======== */
static int conv2d_infer(nn_graph *g, nn_node *n)
{
    const char *op = "conv2d";
    const nn_shape *x = shape_of(g, n, 0), *w = shape_of(g, n, 1);
    if (check_4d(g, op, "input", "(N, C, H, W)", x) < 0 || check_4d(g, op, "weight", "(F, C, KH, KW)", w) < 0 ||
        check_stride_pad(g, op, n) < 0)
        return -1;
    if (x->d[1] != w->d[1])
        return nn_graph_fail(g, "conv2d: input has %d channels but the weight expects %d", x->d[1], w->d[1]);
    if (check_fit(g, op, x, w->d[2], w->d[3], n->a.i[1], n->a.i[2]) < 0 || check_bias(g, op, n, w->d[0]) < 0 ||
        nn_fused_act_check(g, &n->a, ACT_SLOT) < 0)
        return -1;
    int s = stride_of(n);
    n->shape = nn_shape4(x->d[0], w->d[0], nn_conv_out_size(x->d[2], w->d[2], s, n->a.i[1]), nn_conv_out_size(x->d[3], w->d[3], s, n->a.i[2]));
    return 0;
}

nn_conv_geom nn_conv2d_geom_of(nn_graph *g, const nn_node *n)
{
    const nn_shape *x = shape_of(g, n, 0), *w = shape_of(g, n, 1);
    int s = stride_of(n), ph = n->a.i[1], pw = n->a.i[2];
    return (nn_conv_geom){x->d[0], x->d[1], x->d[2], x->d[3], w->d[0], nn_conv_out_size(x->d[2], w->d[2], s, ph),
                          nn_conv_out_size(x->d[3], w->d[3], s, pw), w->d[2], w->d[3], s, ph, pw};
}

/* scratch: col (C*KH*KW, nb*P) then y_cm (F, nb*P); y_cm = w col, moved to NCHW with bias.
 * A group of one image is already NCHW: the GEMM writes y in place. */
static void conv2d_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    const nn_conv_geom *cg = &job->geom;
    nn_graph *g = job->g;
    nn_node *n = job->node;
    (void)acc, (void)first;
    size_t p = nn_conv_out_plane(cg), cols = (size_t)nb * p, k = nn_conv_krows(cg);
    float *col = scratch, *y = n->data + (size_t)n0 * cg->f * p, *y_cm = nb == 1 ? y : scratch + k * cols;
    nn_conv_im2col(cg, data_of(g, n, 0), n0, nb, col);
    nn_conv_gemm(0, 0, cg->f, (int)cols, (int)k, data_of(g, n, 1), (int)k, col, (int)cols, 0.0f, y_cm, (int)cols);
    const float *bias = n->n_in == 3 ? data_of(g, n, 2) : NULL;
    if (nb > 1 || bias) nn_conv_from_chan_major(y_cm, nb, cg->f, p, bias, y);   /* in place when nb == 1 */
    group_act(n, n0, nb);
}

/* few taps per output (conv_direct.c): no columns, no GEMM */
static void conv2d_direct_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    nn_graph *g = job->g;
    nn_node *n = job->node;
    (void)acc, (void)first;
    nn_conv_direct_forward(&job->geom, data_of(g, n, 0), data_of(g, n, 1), n->n_in == 3 ? data_of(g, n, 2) : NULL, n0,
                           nb, scratch, n->data);
    group_act(n, n0, nb);
}

static void conv2d_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom cg = nn_conv2d_geom_of(g, n);
    if (nn_winograd_applies(&cg)) {
        if (nn_winograd_conv2d(g, n, &cg, data_of(g, n, 1), 0, group_act) < 0) nn_conv_fail_nan(n, "conv2d");
    } else if (nn_conv_direct_fits(&cg)) {
        run_groups(g, n, cg, conv2d_direct_group, nn_conv_direct_floats(&cg), 0, "conv2d");
    } else {
        run_job(g, n, cg, conv2d_group, 0, "conv2d");
    }
}

static int conv2d_backward(nn_graph *g, int id, int gout, int *gin)
{
    gout = nn_fused_act_grad(g, id, gout, &g->nodes[id].a, ACT_SLOT);   /* may move the nodes */
    const nn_node *n = &g->nodes[id];
    int x = n->in[0], w = n->in[1], s = stride_of(n), ph = n->a.i[1], pw = n->a.i[2];
    const nn_shape *xs = &g->nodes[x].shape, *ws = &g->nodes[w].shape;
    int oph = nn_conv_out_pad_for(xs->d[2], n->shape.d[2], ws->d[2], s, ph);
    int opw = nn_conv_out_pad_for(xs->d[3], n->shape.d[3], ws->d[3], s, pw);
    nn_attrs a = conv_attrs(s, ph, pw, ws->d[2], ws->d[3]);   /* before adding nodes: they may move n, xs, ws */
    int h = nn_conv_pooled_route(g, id, gout);
    if (h >= 0) {   /* through a 2x2 max pool: from the pooled gradient, at the maxima only */
        nn_attrs t = conv_attrs(s, ph, pw, oph, opw);
        gin[0] = nn_op(g, NN_OP_conv_transpose2d_pooled, (int[]){id, h, w}, 3, &t);
        gin[1] = nn_op(g, NN_OP_conv2d_wgrad_pooled, (int[]){x, id, h}, 3, &a);
        if (gin[0] < 0 || gin[1] < 0) return -1;
        return bias_grad(g, id, h, gin);   /* each pooled value goes to one pixel: the same sums */
    }
    gin[0] = nn_conv_transpose2d(g, gout, w, -1, s, ph, pw, oph, opw);
    gin[1] = nn_op(g, NN_OP_conv2d_wgrad, (int[]){x, gout}, 2, &a);
    if (gin[0] < 0 || gin[1] < 0) return -1;
    return bias_grad(g, id, gout, gin);
}

/* stride 2, padding 1, non-square: 6x5 input, 3x2 kernel -> 3x3 (its dx needs output padding 1) */
static int conv2d_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape4(2 * scale, 2 * scale, 6, 5), r, -1, 1);
    int w = nn_test_input(g, nn_shape4(3 * scale, 2 * scale, 3, 2), r, -1, 1);
    int b = nn_test_input(g, nn_shape1(3 * scale), r, -1, 1);
    return nn_conv2d(g, x, w, b, 2, 1, 1);
}

static double conv2d_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *w = shape_of(g, n, 1);
    return 2.0 * (double)nn_shape_numel(&n->shape) * w->d[1] * w->d[2] * w->d[3];
}

const nn_op_def nn_def_conv2d = {"conv2d", -1, "x (N,C,H,W) w (F,C,KH,KW) [b (F)] -> (N,F,OH,OW) cross-correlation",
                                 conv2d_infer, conv2d_forward, conv2d_backward, conv2d_check, conv2d_flops};

int nn_conv2d_act(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w, nn_fused_act act)
{
    nn_attrs a = conv_attrs_act(stride, pad_h, pad_w, 0, 0, act);
    return conv_node(g, NN_OP_conv2d, x, w, b, &a);
}

int nn_conv2d(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w)
{
    return nn_conv2d_act(g, x, w, b, stride, pad_h, pad_w, (nn_fused_act){NN_FUSED_NONE, 0, 0});
}

/* ======== conv_transpose2d: x (N,C,H,W), w (C,F,KH,KW), b (F) -> (N,F,OH,OW) ========
 * The adjoint of conv2d with a (C,F,KH,KW) weight from (N,F,OH,OW) to (N,C,H,W). */
static int conv_transpose2d_infer(nn_graph *g, nn_node *n)
{
    const char *op = "conv_transpose2d";
    const nn_shape *x = shape_of(g, n, 0), *w = shape_of(g, n, 1);
    if (check_4d(g, op, "input", "(N, C, H, W)", x) < 0 || check_4d(g, op, "weight", "(C, F, KH, KW)", w) < 0 ||
        check_stride_pad(g, op, n) < 0)
        return -1;
    int s = stride_of(n), oph = n->a.i[3], opw = n->a.i[4];
    if (x->d[1] != w->d[0])
        return nn_graph_fail(g, "conv_transpose2d: input has %d channels but the weight expects %d", x->d[1], w->d[0]);
    if (oph < 0 || opw < 0 || oph >= s || opw >= s)
        return nn_graph_fail(g, "conv_transpose2d: output padding %dx%d must be smaller than the stride %d (and not negative)",
                             oph, opw, s);
    int oh = (x->d[2] - 1) * s - 2 * n->a.i[1] + w->d[2] + oph, ow = (x->d[3] - 1) * s - 2 * n->a.i[2] + w->d[3] + opw;
    if (oh < 1 || ow < 1) {
        char p[32];
        return nn_graph_fail(g, "conv_transpose2d: a %dx%d input with a %dx%d kernel, stride %d and padding %s gives an "
                             "empty %dx%d output; use less padding",
                             x->d[2], x->d[3], w->d[2], w->d[3], s, pad_str(n->a.i[1], n->a.i[2], p, sizeof p), oh, ow);
    }
    if (check_bias(g, op, n, w->d[1]) < 0 || nn_fused_act_check(g, &n->a, ACT_SLOT) < 0) return -1;
    n->shape = nn_shape4(x->d[0], w->d[1], oh, ow);
    return 0;
}

/* In conv2d terms the output is the image side and x the column side. */
static nn_conv_geom conv_transpose2d_geom(nn_graph *g, const nn_node *n)
{
    const nn_shape *x = shape_of(g, n, 0), *w = shape_of(g, n, 1);
    return (nn_conv_geom){x->d[0], w->d[1], n->shape.d[2], n->shape.d[3], x->d[1], x->d[2], x->d[3],
                          w->d[2], w->d[3], stride_of(n), n->a.i[1], n->a.i[2]};
}

/* scratch: x_cm (C, nb*P) then col (F*KH*KW, nb*P); col = w^T x_cm, summed into images.
 * A group of one image reads x in place. */
static void conv_transpose2d_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    const nn_conv_geom *cg = &job->geom;
    nn_graph *g = job->g;
    nn_node *n = job->node;
    (void)acc, (void)first;
    size_t p = nn_conv_out_plane(cg), cols = (size_t)nb * p, k = nn_conv_krows(cg);
    const float *x = data_of(g, n, 0) + (size_t)n0 * cg->f * p;
    float *col = scratch + (size_t)cg->f * cols;
    const float *x_cm = x;
    if (nb > 1) {
        nn_conv_to_chan_major(x, nb, cg->f, p, scratch);
        x_cm = scratch;
    }
    nn_conv_gemm(1, 0, (int)k, (int)cols, cg->f, data_of(g, n, 1), (int)k, x_cm, (int)cols, 0.0f, col, (int)cols);
    nn_conv_col2im(cg, col, n0, nb, n->n_in == 3 ? data_of(g, n, 2) : NULL, n->data);
    group_act(n, n0, nb);
}

/* With stride 1 (so no output padding) the op is conv2d(x, w') with w'[f][c] = w[c][f] flipped
 * 180 degrees and padding 2 - p for a 3x3 kernel: that geometry, if Winograd applies to it. */
static int transpose_as_winograd(nn_graph *g, const nn_node *n, nn_conv_geom *out)
{
    const nn_shape *x = shape_of(g, n, 0), *w = shape_of(g, n, 1);
    int ph = n->a.i[1], pw = n->a.i[2];
    if (stride_of(n) != 1 || w->d[2] != 3 || w->d[3] != 3 || ph > 2 || pw > 2) return 0;
    *out = (nn_conv_geom){x->d[0], x->d[1], x->d[2], x->d[3], w->d[1], n->shape.d[2], n->shape.d[3],
                          3, 3, 1, 2 - ph, 2 - pw};
    return nn_winograd_applies(out);
}

static void conv_transpose2d_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom wg;
    if (!transpose_as_winograd(g, n, &wg))
        run_job(g, n, conv_transpose2d_geom(g, n), conv_transpose2d_group, 0, "conv_transpose2d");
    else if (nn_winograd_conv2d(g, n, &wg, data_of(g, n, 1), 1, group_act) < 0) nn_conv_fail_nan(n, "conv_transpose2d");
}

static int conv_transpose2d_backward(nn_graph *g, int id, int gout, int *gin)
{
    gout = nn_fused_act_grad(g, id, gout, &g->nodes[id].a, ACT_SLOT);   /* may move the nodes */
    const nn_node *n = &g->nodes[id];
    int x = n->in[0], w = n->in[1], s = stride_of(n), ph = n->a.i[1], pw = n->a.i[2];
    const nn_shape *ws = &g->nodes[w].shape;
    nn_attrs a = conv_attrs(s, ph, pw, ws->d[2], ws->d[3]);   /* before adding nodes: they may move ws */
    gin[0] = nn_conv2d(g, gout, w, -1, s, ph, pw);
    gin[1] = nn_op(g, NN_OP_conv2d_wgrad, (int[]){gout, x}, 2, &a);   /* gout is the image side */
    if (gin[0] < 0 || gin[1] < 0) return -1;
    return bias_grad(g, id, gout, gin);
}

/* 3x2 input, 3x2 kernel, stride 2, padding 1, output padding 1 -> 6x3 */
static int conv_transpose2d_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape4(2 * scale, 2 * scale, 3, 2), r, -1, 1);
    int w = nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 3, 2), r, -1, 1);
    int b = nn_test_input(g, nn_shape1(3 * scale), r, -1, 1);
    return nn_conv_transpose2d(g, x, w, b, 2, 1, 1, 1, 1);
}

static double conv_transpose2d_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *w = shape_of(g, n, 1);
    return 2.0 * (double)nn_shape_numel(shape_of(g, n, 0)) * w->d[1] * w->d[2] * w->d[3];
}

const nn_op_def nn_def_conv_transpose2d = {"conv_transpose2d", -1,
                                           "x (N,C,H,W) w (C,F,KH,KW) [b (F)] -> (N,F,OH,OW) transposed convolution",
                                           conv_transpose2d_infer, conv_transpose2d_forward, conv_transpose2d_backward,
                                           conv_transpose2d_check, conv_transpose2d_flops};

int nn_conv_transpose2d_act(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w, int out_pad_h,
                            int out_pad_w, nn_fused_act act)
{
    nn_attrs a = conv_attrs_act(stride, pad_h, pad_w, out_pad_h, out_pad_w, act);
    return conv_node(g, NN_OP_conv_transpose2d, x, w, b, &a);
}

int nn_conv_transpose2d(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w, int out_pad_h,
                        int out_pad_w)
{
    return nn_conv_transpose2d_act(g, x, w, b, stride, pad_h, pad_w, out_pad_h, out_pad_w,
                                   (nn_fused_act){NN_FUSED_NONE, 0, 0});
}

/* ======== conv2d_wgrad: x (N,C,H,W), g (N,F,OH,OW) -> dw (F,C,KH,KW) ========
 * dw[f,c,i,j] = sum over n, oh, ow of g[n,f,oh,ow] x[n,c,oh*s-ph+i,ow*s-pw+j]: the weight
 * gradient of conv2d(x, w) given its output gradient g. */
static int conv2d_wgrad_infer(nn_graph *g, nn_node *n)
{
    const char *op = "conv2d_wgrad";
    const nn_shape *x = shape_of(g, n, 0), *gy = shape_of(g, n, 1);
    int kh = n->a.i[3], kw = n->a.i[4], s = stride_of(n);
    if (check_4d(g, op, "input", "(N, C, H, W)", x) < 0 || check_4d(g, op, "output gradient", "(N, F, OH, OW)", gy) < 0 ||
        check_stride_pad(g, op, n) < 0)
        return -1;
    if (kh < 1 || kw < 1) return nn_graph_fail(g, "conv2d_wgrad: kernel size %dx%d must be positive", kh, kw);
    if (check_fit(g, op, x, kh, kw, n->a.i[1], n->a.i[2]) < 0) return -1;
    int oh = nn_conv_out_size(x->d[2], kh, s, n->a.i[1]), ow = nn_conv_out_size(x->d[3], kw, s, n->a.i[2]);
    if (gy->d[0] != x->d[0] || gy->d[2] != oh || gy->d[3] != ow) {
        char a[64], b[64];
        return nn_graph_fail(g, "conv2d_wgrad: output gradient %s does not match input %s (expected %d images of %dx%d)",
                             nn_shape_str(gy, a, sizeof a), nn_shape_str(x, b, sizeof b), x->d[0], oh, ow);
    }
    n->shape = nn_shape4(gy->d[1], x->d[1], kh, kw);
    return 0;
}

static nn_conv_geom conv2d_wgrad_geom(nn_graph *g, const nn_node *n)
{
    const nn_shape *x = shape_of(g, n, 0), *gy = shape_of(g, n, 1);
    return (nn_conv_geom){x->d[0], x->d[1], x->d[2], x->d[3], gy->d[1], gy->d[2], gy->d[3],
                          n->a.i[3], n->a.i[4], stride_of(n), n->a.i[1], n->a.i[2]};
}

/* scratch: col (C*KH*KW, nb*P) then g_cm (F, nb*P); dw (+)= g_cm col^T. A group of one
 * image reads g in place. */
static void conv2d_wgrad_group(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    const nn_conv_geom *cg = &job->geom;
    nn_graph *g = job->g;
    const nn_node *n = job->node;
    size_t p = nn_conv_out_plane(cg), cols = (size_t)nb * p, k = nn_conv_krows(cg);
    const float *gy = data_of(g, n, 1) + (size_t)n0 * cg->f * p;
    float *col = scratch;
    const float *g_cm = gy;
    nn_conv_im2col(cg, data_of(g, n, 0), n0, nb, col);
    if (nb > 1) {
        nn_conv_to_chan_major(gy, nb, cg->f, p, scratch + k * cols);
        g_cm = scratch + k * cols;
    }
    nn_conv_gemm(0, 1, cg->f, (int)k, (int)cols, g_cm, (int)cols, col, (int)cols, first ? 0.0f : 1.0f, acc, (int)k);
}

static void conv2d_wgrad_forward(nn_graph *g, nn_node *n)
{
    nn_conv_geom cg = conv2d_wgrad_geom(g, n);
    if (!nn_winograd_applies(&cg)) run_job(g, n, cg, conv2d_wgrad_group, nn_shape_numel(&n->shape), "conv2d_wgrad");
    else if (nn_winograd_wgrad(g, n, &cg) < 0) nn_conv_fail_nan(n, "conv2d_wgrad");
}

/* Bilinear in (x, g): with G = d loss / d dw, dx = conv_transpose2d(g, G) (G read as a
 * (F,C,KH,KW) transposed-conv weight) and dg = conv2d(x, G). */
static int conv2d_wgrad_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    int x = n->in[0], gy = n->in[1], s = stride_of(n), ph = n->a.i[1], pw = n->a.i[2];
    const nn_shape *xs = &g->nodes[x].shape, *gs = &g->nodes[gy].shape;
    int oph = nn_conv_out_pad_for(xs->d[2], gs->d[2], n->a.i[3], s, ph), opw = nn_conv_out_pad_for(xs->d[3], gs->d[3], n->a.i[4], s, pw);
    gin[0] = nn_conv_transpose2d(g, gy, gout, -1, s, ph, pw, oph, opw);
    gin[1] = nn_conv2d(g, x, gout, -1, s, ph, pw);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

/* the conv2d fixture's geometry: 6x5 input, 3x2 kernel, stride 2, padding 1 -> 3x3 */
static int conv2d_wgrad_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape4(2 * scale, 2 * scale, 6, 5), r, -1, 1);
    int gy = nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 3, 3), r, -1, 1);
    nn_attrs a = conv_attrs(2, 1, 1, 3, 2);
    return nn_op(g, NN_OP_conv2d_wgrad, (int[]){x, gy}, 2, &a);
}

static double conv2d_wgrad_flops(nn_graph *g, const nn_node *n)
{
    return 2.0 * (double)nn_shape_numel(shape_of(g, n, 1)) * shape_of(g, n, 0)->d[1] * n->a.i[3] * n->a.i[4];
}

const nn_op_def nn_def_conv2d_wgrad = {"conv2d_wgrad", 2,
                                       "x (N,C,H,W) g (N,F,OH,OW) -> (F,C,KH,KW): conv2d weight gradient",
                                       conv2d_wgrad_infer, conv2d_wgrad_forward, conv2d_wgrad_backward,
                                       conv2d_wgrad_check, conv2d_wgrad_flops};

/* ======== conv_bias_grad: g (N,F,H,W) -> (F), the sum over N, H, W ======== */
static int conv_bias_grad_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = shape_of(g, n, 0);
    if (check_4d(g, "conv_bias_grad", "input", "(N, F, H, W)", x) < 0) return -1;
    n->shape = nn_shape1(x->d[1]);
    return 0;
}

/* Channel c's sum over images and pixels, in double across planes (N*H*W can be 10^5+). */
static float channel_sum(const float *x, const nn_shape *s, int c)
{
    size_t p = (size_t)s->d[2] * s->d[3];
    double acc = 0.0;
    for (int b = 0; b < s->d[0]; b++) {
        const float *plane = x + ((size_t)b * s->d[1] + c) * p;
        float part = 0.0f;
        _Pragma("omp simd reduction(+ : part)")
        for (size_t i = 0; i < p; i++) part += plane[i];
        acc += part;
    }
    return (float)acc;
}

typedef struct {
    const float *x;
    const nn_shape *s;
    float *out;
} bias_grad_ctx;

static void bias_grad_channels_body(const void *p, size_t lo, size_t hi)
{
    const bias_grad_ctx *c = p;
    for (size_t f = lo; f < hi; f++) c->out[f] = channel_sum(c->x, c->s, (int)f);
}
NN_PAR_RANGE_PER_ISA(bias_grad_channels)

static void conv_bias_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_shape *s = shape_of(g, n, 0);
    size_t per_channel = nn_shape_numel(s) / (size_t)s->d[1];
    nn_par_items((size_t)s->d[1], per_channel, bias_grad_channels, &(bias_grad_ctx){data_of(g, n, 0), s, n->data});
}

static int conv_bias_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_shape xs = g->nodes[g->nodes[id].in[0]].shape;
    gin[0] = nn_broadcast_to(g, nn_reshape(g, gout, nn_shape4(1, xs.d[1], 1, 1)), xs);
    return gin[0] < 0 ? -1 : 0;
}

static int conv_bias_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 2, 3), r, -1, 1);
    return nn_op(g, NN_OP_conv_bias_grad, &x, 1, NULL);
}

const nn_op_def nn_def_conv_bias_grad = {"conv_bias_grad", 1, "g (N,F,H,W) -> (F): sum over N, H, W (bias gradient)",
                                         conv_bias_grad_infer, conv_bias_grad_forward, conv_bias_grad_backward,
                                         conv_bias_grad_check, NULL};
