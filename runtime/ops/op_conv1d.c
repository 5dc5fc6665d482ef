/* 1-D convolution and max pooling over sequences, channels-last: x (N,T,C) as the embedding
 * makes it. Two registry rows, each other's adjoint, and the layers built from them:
 *   unfold1d(x)    (N,T,C) -> (N,T_out,K*C): window (n,t) of K steps as one row
 *   fold1d(cols)   (N,T_out,K*C) -> (N,T,C): every row added back into its K steps
 *   nn_conv1d      unfold1d + dense: one GEMM over N*T_out rows (OpenBLAS threads it; at the
 *                  sizes of a text CNN, 12544 x 500 x 128, the cores pay, unlike the 2-D
 *                  convolutions' small per-image GEMMs that conv_groups.c runs instead)
 *   nn_maxpool1d   unfold1d + max_over of each window
 * Why channels-last makes this cheap: the K steps of a window are K*C consecutive floats of x,
 * so a row of the unfolded matrix is one memcpy (plus zeros where the window hangs over the
 * padding), where the NCHW im2col of conv_lower.c gathers tap by tap.
 * Attributes: i[0] K, i[1] stride, i[2] pad_left, i[3] pad_right; fold1d i[4] its output T. */
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

typedef struct {
    int n, t, c;            /* x (N,T,C) */
    int k, stride, pl, pr;
    int t_out;              /* (T + pl + pr - K) / stride + 1 */
} seq_geom;

static int out_len(int t, int k, int s, int pl, int pr) { return (t + pl + pr - k) / s + 1; }

/* Steps [lo, hi) of window t that lie inside [0, T); the window starts at step base. */
static void window_span(const seq_geom *G, int t, int *base, int *lo, int *hi)
{
    *base = t * G->stride - G->pl;
    *lo = *base < 0 ? -*base : 0;
    *hi = G->t - *base < G->k ? G->t - *base : G->k;
    if (*lo > G->k) *lo = G->k;            /* a window wholly in the padding */
    if (*hi < *lo) *hi = *lo;
}

/* Window rows of sample n: x (T,C) -> cols (T_out, K*C). */
static void unfold_sample(const seq_geom *G, const float *x, float *cols)
{
    size_t c = (size_t)G->c, row = (size_t)G->k * c;
    for (int t = 0; t < G->t_out; t++, cols += row) {
        int base, lo, hi;
        window_span(G, t, &base, &lo, &hi);
        memset(cols, 0, (size_t)lo * c * sizeof(float));
        if (hi > lo) memcpy(cols + (size_t)lo * c, x + (size_t)(base + lo) * c, (size_t)(hi - lo) * c * sizeof(float));
        memset(cols + (size_t)hi * c, 0, (size_t)(G->k - hi) * c * sizeof(float));
    }
}

/* The adjoint: y (T,C) = sum of every window row over the steps it covers. */
static void fold_sample(const seq_geom *G, const float *cols, float *y)
{
    size_t c = (size_t)G->c, row = (size_t)G->k * c;
    memset(y, 0, (size_t)G->t * c * sizeof(float));
    for (int t = 0; t < G->t_out; t++, cols += row) {
        int base, lo, hi;
        window_span(G, t, &base, &lo, &hi);
        if (hi == lo) continue;
        float *dst = y + (size_t)(base + lo) * c;
        const float *src = cols + (size_t)lo * c;
        size_t len = (size_t)(hi - lo) * c;
        _Pragma("omp simd")
        for (size_t i = 0; i < len; i++) dst[i] += src[i];
    }
}

typedef struct {
    const seq_geom *G;
    const float *src;
    float *dst;
    size_t src_per, dst_per;   /* floats per sample */
    int fold;
} samples_ctx;

static void samples_chunk(const void *p, size_t lo, size_t hi)
{
    const samples_ctx *c = p;
    for (size_t n = lo; n < hi; n++) {
        if (c->fold) fold_sample(c->G, c->src + n * c->src_per, c->dst + n * c->dst_per);
        else unfold_sample(c->G, c->src + n * c->src_per, c->dst + n * c->dst_per);
    }
}

/* Samples are independent, so they split across threads when the op is big. */
static void run_samples(const seq_geom *G, const float *src, size_t src_per, float *dst, size_t dst_per, int fold)
{
    nn_par_items((size_t)G->n, src_per > dst_per ? src_per : dst_per, samples_chunk,
                 &(samples_ctx){G, src, dst, src_per, dst_per, fold});
}

/* ---- shapes ---- */
static int check_window(nn_graph *g, const char *op, const nn_attrs *a, int t)
{
    int k = a->i[0], s = a->i[1], pl = a->i[2], pr = a->i[3];
    if (k < 1 || s < 1) return nn_graph_fail(g, "%s: kernel %d and stride %d must be at least 1", op, k, s);
    if (pl < 0 || pr < 0) return nn_graph_fail(g, "%s: padding %d (left) and %d (right) must not be negative", op, pl, pr);
    if (t + pl + pr < k)
        return nn_graph_fail(g, "%s: a kernel of %d steps does not fit %d steps with padding %d+%d; use a smaller kernel "
                             "or more padding", op, k, t, pl, pr);
    return 0;
}

static int check_3d(nn_graph *g, const char *op, const char *what, const nn_shape *s)
{
    char b[64];
    if (s->ndim == 3) return 0;
    return nn_graph_fail(g, "%s: %s must be 3-D, got %s", op, what, nn_shape_str(s, b, sizeof b));
}

static int unfold1d_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    if (check_3d(g, "unfold1d", "x (N, T, C)", x) < 0 || check_window(g, "unfold1d", &n->a, x->d[1]) < 0) return -1;
    const int *a = n->a.i;
    n->shape = nn_shape3(x->d[0], out_len(x->d[1], a[0], a[1], a[2], a[3]), a[0] * x->d[2]);
    return 0;
}

static int fold1d_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *cs = &g->nodes[n->in[0]].shape;
    const int *a = n->a.i;
    char b[64];
    if (check_3d(g, "fold1d", "cols (N, T_out, K*C)", cs) < 0 || check_window(g, "fold1d", &n->a, a[4]) < 0) return -1;
    int want = out_len(a[4], a[0], a[1], a[2], a[3]);
    if (cs->d[2] % a[0] != 0 || cs->d[1] != want)
        return nn_graph_fail(g, "fold1d: cols %s must be (N, %d, K*C) with K = %d for %d steps", nn_shape_str(cs, b, sizeof b),
                             want, a[0], a[4]);
    n->shape = nn_shape3(cs->d[0], a[4], cs->d[2] / a[0]);
    return 0;
}

/* Geometry from the sequence side x (N,T,C) and the attrs. */
static seq_geom geom_of(const nn_shape *x, const nn_attrs *a)
{
    return (seq_geom){x->d[0], x->d[1], x->d[2], a->i[0], a->i[1], a->i[2], a->i[3],
                      out_len(x->d[1], a->i[0], a->i[1], a->i[2], a->i[3])};
}

static void unfold1d_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = &g->nodes[n->in[0]];
    seq_geom G = geom_of(&x->shape, &n->a);
    run_samples(&G, x->data, (size_t)G.t * G.c, n->data, (size_t)G.t_out * G.k * G.c, 0);
}

static void fold1d_forward(nn_graph *g, nn_node *n)
{
    seq_geom G = geom_of(&n->shape, &n->a);
    run_samples(&G, g->nodes[n->in[0]].data, (size_t)G.t_out * G.k * G.c, n->data, (size_t)G.t * G.c, 1);
}

/* ---- gradients: each op's input gradient is the other op ---- */
static int unfold1d_backward(nn_graph *g, int id, int gout, int *gin)
{
    const int *a = g->nodes[id].a.i;
    gin[0] = nn_fold1d(g, gout, a[0], a[1], a[2], a[3], g->nodes[g->nodes[id].in[0]].shape.d[1]);
    return gin[0] < 0 ? -1 : 0;
}

static int fold1d_backward(nn_graph *g, int id, int gout, int *gin)
{
    const int *a = g->nodes[id].a.i;
    gin[0] = nn_unfold1d(g, gout, a[0], a[1], a[2], a[3]);
    return gin[0] < 0 ? -1 : 0;
}

/* stride 2, padding 1 left and 2 right: windows hang over both ends; 7 steps -> 4 windows */
static int unfold1d_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_unfold1d(g, nn_test_input(g, nn_shape3(2 * scale, 7 * scale, 3 * scale), r, -1, 1), 3, 2, 1, 2);
}

/* stride 1 (windows overlap, so steps sum several rows), padding 1 each side: 5 steps, 2 channels */
static int fold1d_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_fold1d(g, nn_test_input(g, nn_shape3(2 * scale, 5 * scale, 6 * scale), r, -1, 1), 3, 1, 1, 1, 5 * scale);
}

const nn_op_def nn_def_unfold1d = {"unfold1d", 1,
                                   "x (N,T,C) -> (N,T_out,K*C): each window of K steps as a row (conv1d's im2col)",
                                   unfold1d_infer, unfold1d_forward, unfold1d_backward, unfold1d_check, NULL};
const nn_op_def nn_def_fold1d = {"fold1d", 1, "cols (N,T_out,K*C) -> (N,T,C): rows added back into their steps",
                                 fold1d_infer, fold1d_forward, fold1d_backward, fold1d_check, NULL};

int nn_unfold1d(nn_graph *g, int x, int k, int stride, int pad_left, int pad_right)
{
    nn_attrs a = {.i = {k, stride, pad_left, pad_right}};
    return nn_op(g, NN_OP_unfold1d, &x, 1, &a);
}

int nn_fold1d(nn_graph *g, int cols, int k, int stride, int pad_left, int pad_right, int t)
{
    nn_attrs a = {.i = {k, stride, pad_left, pad_right, t}};
    return nn_op(g, NN_OP_fold1d, &cols, 1, &a);
}

/* ---- layers built from them ---- */
int nn_conv1d(nn_graph *g, int x, int w, int b, int stride, int pad_left, int pad_right)
{
    if (x < 0 || w < 0) return -1;
    const nn_shape *xs = &g->nodes[x].shape, *ws = &g->nodes[w].shape;
    char a[64], c[64];
    if (xs->ndim != 3 || ws->ndim != 3 || xs->d[2] != ws->d[1])
        return nn_graph_fail(g, "conv1d: needs x (N, T, C) and a weight (F, C, K) with the same C, got x %s and weight %s",
                             nn_shape_str(xs, a, sizeof a), nn_shape_str(ws, c, sizeof c));
    int f = ws->d[0], k = ws->d[2], c_in = ws->d[1];   /* read now: adding nodes may move ws */
    int cols = nn_unfold1d(g, x, k, stride, pad_left, pad_right);
    int rows = nn_reshape(g, nn_transpose_last2(g, w), nn_shape2(f, k * c_in));   /* (F, K*C) */
    return nn_dense(g, cols, rows, b);
}

int nn_maxpool1d(nn_graph *g, int x, int k, int stride)
{
    if (x < 0) return -1;
    nn_shape xs = g->nodes[x].shape;
    char b[64];
    if (xs.ndim != 3) return nn_graph_fail(g, "maxpool1d: x must be (N, T, C), got %s", nn_shape_str(&xs, b, sizeof b));
    int cols = nn_unfold1d(g, x, k, stride, 0, 0);
    if (cols < 0) return -1;
    int t_out = g->nodes[cols].shape.d[1];
    int win = nn_reshape(g, cols, nn_shape3(xs.d[0] * t_out, k, xs.d[2]));   /* (N*T_out, K, C) */
    return nn_reshape(g, nn_max_over(g, win, 1), nn_shape3(xs.d[0], t_out, xs.d[2]));
}
