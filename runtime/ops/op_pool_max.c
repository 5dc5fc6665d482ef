/* Max pooling and the pair of ops its gradients are made of. Shapes: x (N,C,H,W),
 * pooled (N,C,OH,OW) with OH = (H + 2p - k) / s + 1; attrs i[0] = k, i[1] = stride, i[2] = pad.
 *   maxpool2d(x)        -> pooled: the maximum of each window (padding never wins).
 *   max_select(x, g)    -> pooled: g (shape of x) read at the argmax of each window of x.
 *   max_route(x, h)     -> shape of x: h (pooled) added at the argmax of each window of x.
 * d maxpool2d / dx = max_route(x, gout). select and route are linear in their second input and
 * each other's transpose; the argmax is piecewise constant in x, so neither has a gradient
 * w.r.t. x. Ties go to the first maximum in row-major window order, as in PyTorch; a NaN
 * wins its window so it propagates. No indices are stored: select and route recompute the
 * argmax from x, which keeps the family closed under differentiation without side buffers. */
#include "../kernels/ew_util.h"
#include "../kernels/fused_act.h"
#include "../kernels/pool_window.h"
#include "op_list.h"
#include <math.h>
#include <string.h>

typedef struct {
    const float *x;     /* (planes, H, W) */
    const float *v;     /* select: g (planes, H, W); route: h (planes, OH, OW) */
    float *out;
    nn_pool_geom G;
} max_ctx;

static size_t plane_in(const nn_pool_geom *G) { return (size_t)G->h * (size_t)G->w; }
static size_t plane_out(const nn_pool_geom *G) { return (size_t)G->oh * (size_t)G->ow; }

/* The tiles of one plane, each handed to `use` with its window maxima and argmax offsets. */
typedef void (*tile_use)(const max_ctx *m, size_t pl, const nn_pool_tile *t, const float *best, const int *idx);

static void argmax_plane(const max_ctx *m, size_t pl, tile_use use)
{
    const nn_pool_geom *G = &m->G;
    const float *x = m->x + pl * plane_in(G);
    float tv[NN_POOL_TCAP], best[NN_POOL_TCAP];
    int ti[NN_POOL_TCAP], idx[NN_POOL_TCAP], th, tw;
    nn_pool_tile_size(G, &th, &tw);
    for (int oh0 = 0; oh0 < G->oh; oh0 += th)
        for (int ow0 = 0; ow0 < G->ow; ow0 += tw) {
            nn_pool_tile t = nn_pool_tile_at(G, oh0, ow0, th, tw);
            nn_pool_argmax_tile(x, G, &t, tv, ti, best, idx);
            use(m, pl, &t, best, idx);
        }
}

static void write_max(const max_ctx *m, size_t pl, const nn_pool_tile *t, const float *best, const int *idx)
{
    (void)idx;
    int tw = t->ow1 - t->ow0;
    float *y = m->out + pl * plane_out(&m->G);
    for (int oh = t->oh0; oh < t->oh1; oh++)
        memcpy(y + (size_t)oh * m->G.ow + t->ow0, best + (size_t)(oh - t->oh0) * tw, (size_t)tw * sizeof(float));
}

static void write_select(const max_ctx *m, size_t pl, const nn_pool_tile *t, const float *best, const int *idx)
{
    (void)best;
    int tw = t->ow1 - t->ow0;
    const float *gv = m->v + pl * plane_in(&m->G);
    float *y = m->out + pl * plane_out(&m->G);
    for (int oh = t->oh0; oh < t->oh1; oh++) {
        float *yr = y + (size_t)oh * m->G.ow + t->ow0;
        const int *ir = idx + (size_t)(oh - t->oh0) * tw;
#pragma omp simd
        for (int c = 0; c < tw; c++) yr[c] = gv[ir[c]];
    }
}

/* Overlapping windows (stride < k) can share an argmax, hence += into a zeroed plane. */
static void write_route(const max_ctx *m, size_t pl, const nn_pool_tile *t, const float *best, const int *idx)
{
    (void)best;
    int tw = t->ow1 - t->ow0;
    const float *h = m->v + pl * plane_out(&m->G);
    float *y = m->out + pl * plane_in(&m->G);
    for (int oh = t->oh0; oh < t->oh1; oh++) {
        const float *hr = h + (size_t)oh * m->G.ow + t->ow0;
        const int *ir = idx + (size_t)(oh - t->oh0) * tw;
        for (int c = 0; c < tw; c++) y[ir[c]] += hr[c];        /* a scatter: scalar by nature */
    }
}

static void maxpool_plane(const void *c, size_t pl)
{
    const max_ctx *m = c;
    if (nn_pool_is_2x2(&m->G)) nn_pool_max2_plane(m->x + pl * plane_in(&m->G), &m->G, m->out + pl * plane_out(&m->G));
    else argmax_plane(m, pl, write_max);
}
static void max_select_plane(const void *c, size_t pl) { argmax_plane(c, pl, write_select); }
static void max_route_plane(const void *c, size_t pl)
{
    const max_ctx *m = c;
    if (nn_pool_is_2x2(&m->G)) {
        size_t in = pl * plane_in(&m->G);
        nn_pool_route2_plane(m->x + in, m->v + pl * plane_out(&m->G), &m->G, m->out + in);
        return;
    }
    memset(m->out + pl * plane_in(&m->G), 0, plane_in(&m->G) * sizeof(float));
    argmax_plane(m, pl, write_route);
}


static void run_planes(nn_graph *g, nn_node *n, nn_plane_fn fn)
{
    const nn_node *x = &g->nodes[n->in[0]];
    max_ctx m = {x->data, n->n_in > 1 ? g->nodes[n->in[1]].data : NULL, n->data, nn_pool_geom_of(&n->a, &x->shape)};
    nn_for_planes(m.G.planes, nn_shape_numel(&x->shape), fn, &m);
}

static void maxpool_forward(nn_graph *g, nn_node *n) { run_planes(g, n, maxpool_plane); }
static void max_select_forward(nn_graph *g, nn_node *n) { run_planes(g, n, max_select_plane); }
static void max_route_forward(nn_graph *g, nn_node *n) { run_planes(g, n, max_route_plane); }

/* ---- shapes ---- */
static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

static int maxpool_infer(nn_graph *g, nn_node *n)
{
    return nn_pool_check(g, "maxpool2d", shape_in(g, n, 0), &n->a, &n->shape);
}

static int max_select_infer(nn_graph *g, nn_node *n)
{
    if (nn_pool_check(g, "max_select", shape_in(g, n, 0), &n->a, &n->shape) < 0) return -1;
    if (!nn_shape_eq(shape_in(g, n, 0), shape_in(g, n, 1))) {
        char a[64], b[64];
        return nn_graph_fail(g, "max_select: g must have the shape of x %s, got %s", nn_shape_str(shape_in(g, n, 0), a, sizeof a),
                             nn_shape_str(shape_in(g, n, 1), b, sizeof b));
    }
    return 0;
}

static int max_route_infer(nn_graph *g, nn_node *n)
{
    nn_shape pooled;
    if (nn_pool_check(g, "max_route", shape_in(g, n, 0), &n->a, &pooled) < 0) return -1;
    if (!nn_shape_eq(&pooled, shape_in(g, n, 1))) {
        char a[64], b[64];
        return nn_graph_fail(g, "max_route: h must have the pooled shape %s, got %s", nn_shape_str(&pooled, a, sizeof a),
                             nn_shape_str(shape_in(g, n, 1), b, sizeof b));
    }
    n->shape = *shape_in(g, n, 0);
    return 0;
}

/* ---- gradients ---- */
static int pair_op(nn_graph *g, int op, int x, int v, const nn_attrs *a) { return nn_op(g, op, (int[]){x, v}, 2, a); }

static int maxpool_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = pair_op(g, NN_OP_max_route, g->nodes[id].in[0], gout, &g->nodes[id].a);
    return gin[0] < 0 ? -1 : 0;
}

static int max_select_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = -1;
    gin[1] = pair_op(g, NN_OP_max_route, g->nodes[id].in[0], gout, &g->nodes[id].a);
    return gin[1] < 0 ? -1 : 0;
}

static int max_route_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = -1;
    gin[1] = pair_op(g, NN_OP_max_select, g->nodes[id].in[0], gout, &g->nodes[id].a);
    return gin[1] < 0 ? -1 : 0;
}

int nn_maxpool_of(nn_graph *g, int x, const nn_attrs *pool)
{
    for (int i = x + 1; i < g->n; i++) {
        const nn_node *n = &g->nodes[i];
        if (n->kind == NN_NODE_OP && n->op == NN_OP_maxpool2d && n->in[0] == x && n->a.i[0] == pool->i[0] &&
            n->a.i[1] == pool->i[1] && n->a.i[2] == pool->i[2])
            return i;
    }
    return nn_maxpool2d(g, x, pool->i[0], pool->i[1], pool->i[2]);
}

/* ---- fixtures: 3x3 windows, stride 2, pad 1 (overlapping, padded) over (1,2,5,5) of
 * distinct values; scaled, (s,2s,5,5) ---- */
static const nn_attrs check_attrs = {.i = {3, 2, 1}};
static nn_shape check_shape(int scale) { return nn_shape4(scale, 2 * scale, 5, 5); }

static int maxpool2d_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_maxpool2d(g, nn_ew_test_input_distinct(g, check_shape(scale), r), 3, 2, 1);
}
static int max_select_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_distinct(g, check_shape(scale), r);
    return pair_op(g, NN_OP_max_select, x, nn_test_input(g, check_shape(scale), r, -1, 1), &check_attrs);
}
static int max_route_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_distinct(g, check_shape(scale), r);
    int gy = nn_test_input(g, nn_shape4(scale, 2 * scale, 3, 3), r, -1, 1);
    return pair_op(g, NN_OP_max_route, x, gy, &check_attrs);
}

/* k*k comparisons per pooled value */
static double pooled_flops(nn_graph *g, const nn_node *n)
{
    (void)g;
    return (double)nn_shape_numel(&n->shape) * n->a.i[0] * n->a.i[0];
}
static double route_flops(nn_graph *g, const nn_node *n)
{
    return (double)nn_shape_numel(&g->nodes[n->in[1]].shape) * n->a.i[0] * n->a.i[0];
}

const nn_op_def nn_def_maxpool2d = {"maxpool2d", 1, "(N,C,H,W) -> (N,C,OH,OW): max of each k x k window (stride, pad)",
                                    maxpool_infer, maxpool_forward, maxpool_backward, maxpool2d_check, pooled_flops};
const nn_op_def nn_def_max_select = {"max_select", 2,
                                     "(x, g) -> pooled: g read at each window's argmax of x (gradient pair of max_route)",
                                     max_select_infer, max_select_forward, max_select_backward, max_select_check,
                                     pooled_flops};
const nn_op_def nn_def_max_route = {"max_route", 2,
                                    "(x, h) -> shape of x: h added at each window's argmax of x (gradient of maxpool2d)",
                                    max_route_infer, max_route_forward, max_route_backward, max_route_check, route_flops};

int nn_maxpool2d(nn_graph *g, int x, int k, int stride, int pad)
{
    nn_attrs a = {.i = {k, stride, pad}};
    return nn_op(g, NN_OP_maxpool2d, &x, 1, &a);
}
