/* Window geometry and the plane loop shared by the pooling and upsampling ops. */
#include "pool_util.h"
#include "../core/parallel.h"

nn_pool_geom nn_pool_geom_make(int k, int s, int p, int h, int w, size_t planes)
{
    nn_pool_geom G = {.k = k, .s = s, .p = p, .h = h, .w = w, .planes = planes};
    G.oh = (h + 2 * p - k) / s + 1;
    G.ow = (w + 2 * p - k) / s + 1;
    return G;
}

nn_pool_geom nn_pool_geom_of(const nn_attrs *a, const nn_shape *x)
{
    return nn_pool_geom_make(a->i[0], a->i[1], a->i[2], x->d[2], x->d[3], nn_pool_planes(x));
}

int nn_pool_need_4d(nn_graph *g, const char *what, const nn_shape *x)
{
    if (x->ndim == 4) return 0;
    char b[64];
    return nn_graph_fail(g, "%s: expects images (N, C, H, W), got %s; reshape the input to 4-D first", what,
                         nn_shape_str(x, b, sizeof b));
}

int nn_pool_check(nn_graph *g, const char *what, const nn_shape *x, const nn_attrs *a, nn_shape *out)
{
    int k = a->i[0], s = a->i[1], p = a->i[2];
    if (nn_pool_need_4d(g, what, x) < 0) return -1;
    if (k < 1 || s < 1 || p < 0)
        return nn_graph_fail(g, "%s: kernel %d, stride %d, pad %d: need kernel >= 1, stride >= 1, pad >= 0", what, k, s, p);
    if (k > NN_POOL_MAX_K) return nn_graph_fail(g, "%s: kernel %d is larger than the supported %d", what, k, NN_POOL_MAX_K);
    if (p > k / 2)
        return nn_graph_fail(g, "%s: pad %d is more than half the kernel %d (a window would lie wholly in the padding)",
                             what, p, k);
    int h = x->d[2], w = x->d[3];
    if (h + 2 * p < k || w + 2 * p < k)
        return nn_graph_fail(g, "%s: kernel %d is larger than the padded %dx%d input (H x W = %dx%d, pad %d)", what, k,
                             h + 2 * p, w + 2 * p, h, w, p);
    nn_pool_geom G = nn_pool_geom_make(k, s, p, h, w, nn_pool_planes(x));
    *out = nn_shape4(x->d[0], x->d[1], G.oh, G.ow);
    return 0;
}

typedef struct {
    nn_plane_fn fn;
    const void *ctx;
} planes_ctx;

static void planes_chunk(const void *p, size_t lo, size_t hi)
{
    const planes_ctx *c = p;
    for (size_t plane = lo; plane < hi; plane++) c->fn(c->ctx, plane);
}

void nn_for_planes(size_t planes, size_t work, nn_plane_fn fn, const void *ctx)
{
    nn_par_items(planes, planes ? work / planes : 0, planes_chunk, &(planes_ctx){fn, ctx});
}
