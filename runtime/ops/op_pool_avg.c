/* Average pooling and global average pooling, each with its transpose; the two ops of a pair
 * are each other's backward (all four are linear).
 *   avgpool2d(x (N,C,H,W)) -> (N,C,OH,OW): window sum / k^2, padding counted as zeros (PyTorch's
 *     count_include_pad=True). attrs i[0] = k, i[1] = stride, i[2] = pad.
 *   avgpool2d_grad(h (N,C,OH,OW)) -> (N,C,H,W): each h / k^2 spread over its window; the
 *     same attrs plus i[3], i[4] = H, W (several input sizes pool to one OH: floor).
 *   global_avgpool(x (N,C,H,W)) -> (N,C): mean of each plane.
 *   global_avgpool_grad(h (N,C)) -> (N,C,H,W): h / (H W) over each plane; i[0], i[1] = H, W. */
#include "../kernels/pool_window.h"
#include "op_list.h"
#include <string.h>

typedef struct {
    const float *x;
    float *out;
    nn_pool_geom G;
} avg_ctx;

static size_t plane_in(const nn_pool_geom *G) { return (size_t)G->h * (size_t)G->w; }
static size_t plane_out(const nn_pool_geom *G) { return (size_t)G->oh * (size_t)G->ow; }

static void avgpool_plane(const void *c, size_t pl)
{
    const avg_ctx *m = c;
    const nn_pool_geom *G = &m->G;
    nn_pool_sum_plane(m->x + pl * plane_in(G), G, 1.0f / (float)(G->k * G->k), m->out + pl * plane_out(G));
}

/* The transpose: within one window offset (kh, kw) distinct outputs o write distinct inputs
 * (stride >= 1), so the strided += is free of dependences and vectorises. */
static void avgpool_grad_plane(const void *c, size_t pl)
{
    const avg_ctx *m = c;
    const nn_pool_geom *G = &m->G;
    const float *h = m->x + pl * plane_out(G);
    float *y = m->out + pl * plane_in(G);
    float inv = 1.0f / (float)(G->k * G->k);
    int s = G->s;
    memset(y, 0, plane_in(G) * sizeof(float));
    for (int oh = 0; oh < G->oh; oh++) {
        const float *hr = h + (size_t)oh * G->ow;
        for (int kh = 0; kh < G->k; kh++) {
            int ih = oh * s + kh - G->p;
            if (ih < 0 || ih >= G->h) continue;
            float *yr = y + (size_t)ih * G->w;
            for (int kw = 0; kw < G->k; kw++) {
                int lo, hi, base = kw - G->p;
                nn_pool_span(G->w, s, G->p, kw, G->ow, &lo, &hi);
#pragma omp simd
                for (int o = lo; o < hi; o++) yr[base + o * s] += hr[o] * inv;
            }
        }
    }
}

static void avgpool_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    avg_ctx m = {x->data, n->data, nn_pool_geom_of(&n->a, &x->shape)};
    nn_for_planes(m.G.planes, nn_shape_numel(&x->shape), avgpool_plane, &m);
}

static void avgpool_grad_forward(nn_graph *g, nn_node *n)
{
    avg_ctx m = {g->nodes[n->in[0]].data, n->data, nn_pool_geom_of(&n->a, &n->shape)};
    nn_for_planes(m.G.planes, nn_shape_numel(&n->shape), avgpool_grad_plane, &m);
}

static int avgpool_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    if (nn_pool_check(g, "avgpool2d", x, &n->a, &n->shape) < 0) return -1;
    n->a.i[3] = x->d[2];                      /* kept so the backward knows the input size */
    n->a.i[4] = x->d[3];
    return 0;
}

static int avgpool_grad_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *h = &g->nodes[n->in[0]].shape;
    if (nn_pool_need_4d(g, "avgpool2d_grad", h) < 0) return -1;
    nn_shape x = nn_shape4(h->d[0], h->d[1], n->a.i[3], n->a.i[4]), pooled;
    if (nn_pool_check(g, "avgpool2d_grad", &x, &n->a, &pooled) < 0) return -1;
    if (!nn_shape_eq(&pooled, h)) {
        char a[64], b[64];
        return nn_graph_fail(g, "avgpool2d_grad: input %s is not the pooled shape %s of %dx%d planes",
                             nn_shape_str(h, a, sizeof a), nn_shape_str(&pooled, b, sizeof b), x.d[2], x.d[3]);
    }
    n->shape = x;
    return 0;
}

static int avgpool_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_op(g, NN_OP_avgpool2d_grad, &gout, 1, &g->nodes[id].a);
    return gin[0] < 0 ? -1 : 0;
}

static int avgpool_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_op(g, NN_OP_avgpool2d, &gout, 1, &g->nodes[id].a);
    return gin[0] < 0 ? -1 : 0;
}

/* 3x3 windows, stride 2, pad 1 on 6x6: overlapping, padded, and the floor drops nothing */
static int avgpool2d_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_avgpool2d(g, nn_test_input(g, nn_shape4(scale, 2 * scale, 6, 6), r, -1, 1), 3, 2, 1);
}
/* 2x2 stride 2 back to 5x5: the last row and column receive nothing (floor) */
static int avgpool2d_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.i = {2, 2, 0, 5, 5}};
    int h = nn_test_input(g, nn_shape4(2 * scale, scale, 2, 2), r, -1, 1);
    return nn_op(g, NN_OP_avgpool2d_grad, &h, 1, &a);
}

/* ---- global average pooling ---- */
typedef struct {
    const float *x;
    float *out;
    size_t hw;
} global_ctx;

static void global_mean_plane(const void *c, size_t pl)
{
    const global_ctx *m = c;
    const float *x = m->x + pl * m->hw;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < m->hw; i++) s += x[i];
    m->out[pl] = s / (float)m->hw;
}

static void global_spread_plane(const void *c, size_t pl)
{
    const global_ctx *m = c;
    float *y = m->out + pl * m->hw, v = m->x[pl] / (float)m->hw;
#pragma omp simd
    for (size_t i = 0; i < m->hw; i++) y[i] = v;
}

static void global_avgpool_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    global_ctx m = {x->data, n->data, (size_t)x->shape.d[2] * (size_t)x->shape.d[3]};
    nn_for_planes(nn_shape_numel(&n->shape), nn_shape_numel(&x->shape), global_mean_plane, &m);
}

static void global_avgpool_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_node *h = &g->nodes[n->in[0]];
    global_ctx m = {h->data, n->data, (size_t)n->shape.d[2] * (size_t)n->shape.d[3]};
    nn_for_planes(nn_shape_numel(&h->shape), nn_shape_numel(&n->shape), global_spread_plane, &m);
}

static int global_avgpool_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    if (nn_pool_need_4d(g, "global_avgpool", x) < 0) return -1;
    n->a.i[0] = x->d[2];
    n->a.i[1] = x->d[3];
    n->shape = nn_shape2(x->d[0], x->d[1]);
    return 0;
}

static int global_avgpool_grad_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *h = &g->nodes[n->in[0]].shape;
    if (h->ndim != 2) {
        char b[64];
        return nn_graph_fail(g, "global_avgpool_grad: expects (N, C), got %s", nn_shape_str(h, b, sizeof b));
    }
    n->shape = nn_shape4(h->d[0], h->d[1], n->a.i[0], n->a.i[1]);
    return 0;
}

static int global_avgpool_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_op(g, NN_OP_global_avgpool_grad, &gout, 1, &g->nodes[id].a);
    return gin[0] < 0 ? -1 : 0;
}

static int global_avgpool_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)id;
    gin[0] = nn_global_avgpool(g, gout);
    return gin[0] < 0 ? -1 : 0;
}

static int global_avgpool_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_global_avgpool(g, nn_test_input(g, nn_shape4(2 * scale, 3 * scale, 2, 3), r, -1, 1));
}
static int global_avgpool_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.i = {2, 3}};
    int h = nn_test_input(g, nn_shape2(2 * scale, 3 * scale), r, -1, 1);
    return nn_op(g, NN_OP_global_avgpool_grad, &h, 1, &a);
}

/* k*k additions per pooled value */
static double pooled_flops(nn_graph *g, const nn_node *n)
{
    (void)g;
    return (double)nn_shape_numel(&n->shape) * n->a.i[0] * n->a.i[0];
}
static double spread_flops(nn_graph *g, const nn_node *n)
{
    return (double)nn_shape_numel(&g->nodes[n->in[0]].shape) * n->a.i[0] * n->a.i[0];
}

const nn_op_def nn_def_avgpool2d = {"avgpool2d", 1,
                                    "(N,C,H,W) -> (N,C,OH,OW): mean of each k x k window, padding counted as zeros",
                                    avgpool_infer, avgpool_forward, avgpool_backward, avgpool2d_check, pooled_flops};
const nn_op_def nn_def_avgpool2d_grad = {"avgpool2d_grad", 1,
                                         "(N,C,OH,OW) -> (N,C,H,W): each value / k^2 over its window (transpose of avgpool2d)",
                                         avgpool_grad_infer, avgpool_grad_forward, avgpool_grad_backward,
                                         avgpool2d_grad_check, spread_flops};
const nn_op_def nn_def_global_avgpool = {"global_avgpool", 1, "(N,C,H,W) -> (N,C): mean of each plane",
                                         global_avgpool_infer, global_avgpool_forward, global_avgpool_backward,
                                         global_avgpool_check, NULL};
const nn_op_def nn_def_global_avgpool_grad = {"global_avgpool_grad", 1,
                                              "(N,C) -> (N,C,H,W): each value / (H W) over its plane (transpose of global_avgpool)",
                                              global_avgpool_grad_infer, global_avgpool_grad_forward,
                                              global_avgpool_grad_backward, global_avgpool_grad_check, NULL};

int nn_avgpool2d(nn_graph *g, int x, int k, int stride, int pad)
{
    nn_attrs a = {.i = {k, stride, pad}};
    return nn_op(g, NN_OP_avgpool2d, &x, 1, &a);
}

int nn_global_avgpool(nn_graph *g, int x) { return nn_op(g, NN_OP_global_avgpool, &x, 1, NULL); }
