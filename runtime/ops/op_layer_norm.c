/* Layer normalisation over the last dim, as torch.nn.LayerNorm(C, eps):
 *   layer_norm(x [, gamma [, beta]]): x (..., C), gamma and beta (C) -> y (..., C),
 *     y = (x - mean) / sqrt(var + eps) * gamma + beta per row of C values, var the population
 *     variance (divided by C); attrs f[0] = eps.
 *   layer_norm_grad(x, g [, gamma]) -> dx (..., C): with u = g gamma (g without gamma), xhat the
 *     normalised row and r = 1 / sqrt(var + eps), dx = r (u - mean(u) - xhat mean(u xhat)).
 * The weight's and bias's gradients are row sums (sum_to) of g xhat and of g. layer_norm_grad's
 * own backward is built from elementwise ops and row sums, so gradients of every order work
 * (a WGAN-GP critic with layer norm). */
#include "../kernels/ew_util.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <math.h>

/* mean and r = 1 / sqrt(var + eps) of one row */
static void row_stats(const float *x, size_t c, float eps, float *mean, float *r)
{
    float s = 0.0f, v = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < c; i++) s += x[i];
    float m = s / (float)c;
#pragma omp simd reduction(+ : v)
    for (size_t i = 0; i < c; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *r = 1.0f / sqrtf(v / (float)c + eps);
}

typedef struct norm_rows norm_rows;
struct norm_rows {
    const float *x, *g, *gamma, *beta;   /* g: layer_norm_grad's incoming gradient */
    float *y, eps;
    size_t c;
    void (*row)(const norm_rows *, size_t);   /* what one row of y gets */
};

static void norm_row(const norm_rows *w, size_t row)
{
    const float *x = w->x + row * w->c, *gm = w->gamma, *bt = w->beta;
    float *y = w->y + row * w->c, m, r;
    row_stats(x, w->c, w->eps, &m, &r);
#pragma omp simd
    for (size_t i = 0; i < w->c; i++) y[i] = (x[i] - m) * r * (gm ? gm[i] : 1.0f) + (bt ? bt[i] : 0.0f);
}

static void norm_grad_row(const norm_rows *w, size_t row)
{
    const float *x = w->x + row * w->c, *g = w->g + row * w->c, *gm = w->gamma;
    float *dx = w->y + row * w->c, m, r, su = 0.0f, sux = 0.0f;
    row_stats(x, w->c, w->eps, &m, &r);
#pragma omp simd reduction(+ : su, sux)
    for (size_t i = 0; i < w->c; i++) {
        float u = g[i] * (gm ? gm[i] : 1.0f);
        su += u;
        sux += u * (x[i] - m) * r;
    }
    float mu = su / (float)w->c, mux = sux / (float)w->c;
#pragma omp simd
    for (size_t i = 0; i < w->c; i++) dx[i] = r * (g[i] * (gm ? gm[i] : 1.0f) - mu - (x[i] - m) * r * mux);
}

/* rows [lo, hi) of w->y: a chunk of nn_par_items (rows are independent, so any split gives
 * the same bits) */
static void rows_chunk(const void *ctx, size_t lo, size_t hi)
{
    const norm_rows *w = ctx;
    for (size_t i = lo; i < hi; i++) w->row(w, i);
}

/* every row of w->y (rows of c), on the pool's threads when large */
static void for_rows(norm_rows *w, size_t rows, void (*row)(const norm_rows *, size_t))
{
    w->row = row;
    nn_par_items(rows, w->c, rows_chunk, w);
}

static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

/* the optional affine inputs from index first on must be (C) */
static int check_affine(nn_graph *g, const nn_node *n, int first, const char *op)
{
    const nn_shape *x = shape_in(g, n, 0);
    int c = x->d[x->ndim - 1];
    for (int k = first; k < n->n_in; k++) {
        const nn_shape *p = shape_in(g, n, k);
        if (p->ndim != 1 || p->d[0] != c) {
            char a[64], b[64];
            return nn_graph_fail(g, "%s: the weight and bias must be (%d) like the last dim of x %s, got %s", op, c,
                                 nn_shape_str(x, a, sizeof a), nn_shape_str(p, b, sizeof b));
        }
    }
    if (!(n->a.f[0] >= 0.0f) || isinf(n->a.f[0])) return nn_graph_fail(g, "%s: eps must be >= 0, got %g", op, n->a.f[0]);
    return 0;
}

static int layer_norm_infer(nn_graph *g, nn_node *n)
{
    if (n->n_in > 3) return nn_graph_fail(g, "layer_norm takes x, a weight and a bias, got %d inputs", n->n_in);
    if (check_affine(g, n, 1, "layer_norm") < 0) return -1;
    n->shape = *shape_in(g, n, 0);
    return 0;
}

static void layer_norm_forward(nn_graph *g, nn_node *n)
{
    size_t rows, c;
    nn_ew_rows(&n->shape, &rows, &c);
    norm_rows w = {.x = g->nodes[n->in[0]].data, .gamma = n->n_in > 1 ? g->nodes[n->in[1]].data : NULL,
                   .beta = n->n_in > 2 ? g->nodes[n->in[2]].data : NULL, .y = n->data, .eps = n->a.f[0], .c = c};
    for_rows(&w, rows, norm_row);
}

static int layer_norm_grad_op(nn_graph *g, int x, int go, int gamma, float eps)
{
    nn_attrs a = {.f = {eps}};
    if (gamma < 0) return nn_op(g, NN_OP_layer_norm_grad, (int[]){x, go}, 2, &a);
    return nn_op(g, NN_OP_layer_norm_grad, (int[]){x, go, gamma}, 3, &a);
}

static int layer_norm_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    int x = n->in[0], n_in = n->n_in, gamma = n_in > 1 ? n->in[1] : -1;
    float eps = n->a.f[0];
    gin[0] = layer_norm_grad_op(g, x, gout, gamma, eps);
    if (gamma >= 0) {   /* d gamma = sum over rows of g xhat (xhat recomputed) */
        int gx = nn_mul(g, gout, nn_layer_norm(g, x, -1, -1, eps));
        gin[1] = nn_sum_to(g, gx, g->nodes[gamma].shape);
    }
    if (n_in > 2) gin[2] = nn_sum_to(g, gout, g->nodes[g->nodes[id].in[2]].shape);
    for (int k = 0; k < n_in; k++)
        if (gin[k] < 0) return -1;
    return 0;
}

static int layer_norm_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 5), r, -1, 1);
    int gamma = nn_test_input(g, nn_shape1(5), r, 0.5f, 1.5f), beta = nn_test_input(g, nn_shape1(5), r, -1, 1);
    return nn_layer_norm(g, x, gamma, beta, NN_LAYER_NORM_EPS);
}

/* ---- layer_norm_grad(x, g [, gamma]) ---- */
static int layer_norm_grad_infer(nn_graph *g, nn_node *n)
{
    if (n->n_in < 2 || n->n_in > 3)
        return nn_graph_fail(g, "layer_norm_grad takes x, its gradient and a weight, got %d inputs", n->n_in);
    if (!nn_shape_eq(shape_in(g, n, 0), shape_in(g, n, 1))) {
        char a[64], b[64];
        return nn_graph_fail(g, "layer_norm_grad: x %s and its gradient %s differ in shape",
                             nn_shape_str(shape_in(g, n, 0), a, sizeof a), nn_shape_str(shape_in(g, n, 1), b, sizeof b));
    }
    if (check_affine(g, n, 2, "layer_norm_grad") < 0) return -1;
    n->shape = *shape_in(g, n, 0);
    return 0;
}

static void layer_norm_grad_forward(nn_graph *g, nn_node *n)
{
    size_t rows, c;
    nn_ew_rows(&n->shape, &rows, &c);
    norm_rows w = {.x = g->nodes[n->in[0]].data, .g = g->nodes[n->in[1]].data,
                   .gamma = n->n_in > 2 ? g->nodes[n->in[2]].data : NULL, .y = n->data, .eps = n->a.f[0], .c = c};
    for_rows(&w, rows, norm_grad_row);
}

/* the mean of each row of v (..., C) -> (..., 1) */
static int row_mean(nn_graph *g, int v, nn_shape keep, float inv_c)
{
    return nn_affine(g, nn_sum_to(g, v, keep), inv_c, 0.0f);
}

/* dx = r (u - mean(u)) - r^3 xc m1 per row, with xc = x - mean(x), r = (var + eps)^(-1/2),
 * m1 = mean(u xc), u = g gamma. For the upstream gradient h and L = sum(h dx), with
 * A = sum(h (u - mean(u))), B = sum(h xc), ve = var + eps and C values per row:
 *   dL/du = r (h - mean(h)) - r^3 xc B / C = layer_norm_grad(x, h), so dL/dg = that * gamma and
 *     dL/dgamma = sum over rows of that * g;
 *   dL/dx = -r^3 ((xc (A - 3 m1 B / ve) + B (u - mean(u))) / C + m1 (h - mean(h)))
 *     (from dr/dx = -r^3 xc / C, dm1/dx = (u - mean(u)) / C, dB/dx = h - mean(h)). */
static int layer_norm_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    int x = n->in[0], go = n->in[1], gamma = n->n_in > 2 ? n->in[2] : -1;
    float eps = n->a.f[0], inv_c = 1.0f / (float)n->shape.d[n->shape.ndim - 1];
    nn_shape keep = nn_ew_rows_keep(n->shape);
    int xc = nn_sub(g, x, row_mean(g, x, keep, inv_c));
    int ve = nn_affine(g, nn_sum_to(g, nn_square(g, xc), keep), inv_c, eps);
    int u = gamma >= 0 ? nn_mul(g, go, gamma) : go;
    int uc = nn_sub(g, u, row_mean(g, u, keep, inv_c)), hc = nn_sub(g, gout, row_mean(g, gout, keep, inv_c));
    int a = nn_sum_to(g, nn_mul(g, gout, uc), keep), b = nn_sum_to(g, nn_mul(g, gout, xc), keep);
    int m1 = row_mean(g, nn_mul(g, u, xc), keep, inv_c);
    int inner = nn_sub(g, a, nn_affine(g, nn_div(g, nn_mul(g, m1, b), ve), 3.0f, 0.0f));
    int sum = nn_add(g, nn_affine(g, nn_add(g, nn_mul(g, xc, inner), nn_mul(g, b, uc)), inv_c, 0.0f), nn_mul(g, m1, hc));
    gin[0] = nn_neg(g, nn_mul(g, nn_pow(g, ve, -1.5f), sum));
    int t = layer_norm_grad_op(g, x, gout, -1, eps);
    gin[1] = gamma >= 0 ? nn_mul(g, t, gamma) : t;
    if (gamma >= 0) {
        int tg = nn_mul(g, t, go);
        gin[2] = nn_sum_to(g, tg, g->nodes[gamma].shape);
    }
    return gin[0] < 0 || gin[1] < 0 || (gamma >= 0 && gin[2] < 0) ? -1 : 0;
}

static int layer_norm_grad_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(3, 5), r, -1, 1), go = nn_test_input(g, nn_shape2(3, 5), r, -1, 1);
    return layer_norm_grad_op(g, x, go, nn_test_input(g, nn_shape1(5), r, 0.5f, 1.5f), NN_LAYER_NORM_EPS);
}

const nn_op_def nn_def_layer_norm = {"layer_norm", -1,
                                     "x (...,C) [gamma (C) [beta (C)]] -> (x - mean) / sqrt(var + eps) * gamma + beta per row",
                                     layer_norm_infer, layer_norm_forward, layer_norm_backward, layer_norm_check, NULL};
const nn_op_def nn_def_layer_norm_grad = {"layer_norm_grad", -1, "x, g (...,C) [gamma (C)] -> d layer_norm / dx given g",
                                          layer_norm_grad_infer, layer_norm_grad_forward, layer_norm_grad_backward,
                                          layer_norm_grad_check, NULL};

int nn_layer_norm(nn_graph *g, int x, int gamma, int beta, float eps)
{
    nn_attrs a = {.f = {eps}};
    if (beta >= 0 && gamma < 0) return nn_graph_fail(g, "layer_norm: a bias needs a weight too (as in PyTorch)");
    if (gamma < 0) return nn_op(g, NN_OP_layer_norm, &x, 1, &a);
    if (beta < 0) return nn_op(g, NN_OP_layer_norm, (int[]){x, gamma}, 2, &a);
    return nn_op(g, NN_OP_layer_norm, (int[]){x, gamma, beta}, 3, &a);
}
