/* Nearest-neighbour upsampling and its transpose; each is the other's backward (both linear).
 *   upsample_nearest(x (N,C,H,W)) -> (N,C,H f,W f): every value repeated over an f x f block.
 *   block_sum(x (N,C,H f,W f)) -> (N,C,H,W): the sum of each f x f block.
 * attrs i[0] = f. */
#include "../kernels/pool_window.h"
#include "op_list.h"
#include <limits.h>
#include <string.h>

typedef struct {
    const float *x;
    float *out;
    int h, w, f;        /* the small plane and the factor */
} up_ctx;

/* One output row from the input row (strided stores, one per block column), then copied to the
 * other f - 1 rows of the block. */
static void upsample_plane(const void *c, size_t pl)
{
    const up_ctx *m = c;
    int f = m->f, wf = m->w * f;
    const float *x = m->x + pl * (size_t)m->h * m->w;
    float *y = m->out + pl * (size_t)m->h * m->w * f * f;
    for (int ih = 0; ih < m->h; ih++) {
        const float *xr = x + (size_t)ih * m->w;
        float *yr = y + (size_t)ih * f * wf;
        for (int b = 0; b < f; b++) {
#pragma omp simd
            for (int iw = 0; iw < m->w; iw++) yr[iw * f + b] = xr[iw];
        }
        for (int a = 1; a < f; a++) memcpy(yr + (size_t)a * wf, yr, (size_t)wf * sizeof(float));
    }
}

/* ctx: x the big plane (h f, w f), out the small one (h, w): an f x f window sum, stride f */
static void block_sum_plane(const void *c, size_t pl)
{
    const up_ctx *m = c;
    nn_pool_geom G = nn_pool_geom_make(m->f, m->f, 0, m->h * m->f, m->w * m->f, 1);
    nn_pool_sum_plane(m->x + pl * (size_t)G.h * G.w, &G, 1.0f, m->out + pl * (size_t)m->h * m->w);
}

/* small: the (N,C,H,W) side of the pair */
static void run(nn_graph *g, nn_node *n, const nn_shape *small, nn_plane_fn fn)
{
    up_ctx m = {g->nodes[n->in[0]].data, n->data, small->d[2], small->d[3], n->a.i[0]};
    nn_for_planes(nn_pool_planes(small), nn_shape_numel(small) * (size_t)m.f * (size_t)m.f, fn, &m);
}

static void upsample_forward(nn_graph *g, nn_node *n) { run(g, n, &g->nodes[n->in[0]].shape, upsample_plane); }
static void block_sum_forward(nn_graph *g, nn_node *n) { run(g, n, &n->shape, block_sum_plane); }

static int factor_ok(nn_graph *g, const char *what, const nn_shape *x, int f)
{
    if (nn_pool_need_4d(g, what, x) < 0) return -1;
    if (f < 1 || f > NN_POOL_MAX_K)
        return nn_graph_fail(g, "%s: factor %d must be in 1..%d", what, f, NN_POOL_MAX_K);
    return 0;
}

static int upsample_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    int f = n->a.i[0];
    if (factor_ok(g, "upsample_nearest", x, f) < 0) return -1;
    if (x->d[2] > INT_MAX / f || x->d[3] > INT_MAX / f)
        return nn_graph_fail(g, "upsample_nearest: factor %d makes %dx%d planes too large", f, x->d[2], x->d[3]);
    n->shape = nn_shape4(x->d[0], x->d[1], x->d[2] * f, x->d[3] * f);
    return 0;
}

static int block_sum_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    int f = n->a.i[0];
    if (factor_ok(g, "block_sum", x, f) < 0) return -1;
    if (x->d[2] % f || x->d[3] % f) {
        char b[64];
        return nn_graph_fail(g, "block_sum: H and W of %s must be multiples of the factor %d", nn_shape_str(x, b, sizeof b), f);
    }
    n->shape = nn_shape4(x->d[0], x->d[1], x->d[2] / f, x->d[3] / f);
    return 0;
}

static int upsample_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_op(g, NN_OP_block_sum, &gout, 1, &g->nodes[id].a);
    return gin[0] < 0 ? -1 : 0;
}

static int block_sum_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_op(g, NN_OP_upsample_nearest, &gout, 1, &g->nodes[id].a);
    return gin[0] < 0 ? -1 : 0;
}

static int upsample_nearest_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_upsample_nearest(g, nn_test_input(g, nn_shape4(2 * scale, scale, 2, 3), r, -1, 1), 2);
}
static int block_sum_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.i = {3}};
    int x = nn_test_input(g, nn_shape4(scale, 2 * scale, 3, 6), r, -1, 1);
    return nn_op(g, NN_OP_block_sum, &x, 1, &a);
}

const nn_op_def nn_def_upsample_nearest = {"upsample_nearest", 1,
                                           "(N,C,H,W) -> (N,C,H f,W f): each value repeated over an f x f block",
                                           upsample_infer, upsample_forward, upsample_backward, upsample_nearest_check,
                                           NULL};
const nn_op_def nn_def_block_sum = {"block_sum", 1,
                                    "(N,C,H f,W f) -> (N,C,H,W): sum of each f x f block (transpose of upsample_nearest)",
                                    block_sum_infer, block_sum_forward, block_sum_backward, block_sum_check, NULL};

int nn_upsample_nearest(nn_graph *g, int x, int factor)
{
    nn_attrs a = {.i = {factor}};
    return nn_op(g, NN_OP_upsample_nearest, &x, 1, &a);
}
