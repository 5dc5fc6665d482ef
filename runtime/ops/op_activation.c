/* Activations and their dedicated gradient ops. Shapes: x (any) -> y (same); softmax and
 * log_softmax act on the last dimension. A gradient op `<act>_grad(x or y, g)` computes
 * g * d act/dx in one pass; it is a registry row with its own backward, so gradients of
 * gradients (WGAN-GP) keep working. Transcendental loops live in kern_activation.c. */
#include "../kernels/ew_util.h"
#include "../kernels/fastmath/kern.h"
#include "../kernels/fused_act.h"
#include "op_list.h"
#include "../core/parallel.h"

#define SELU_ALPHA NN_SELU_ALPHA
#define SELU_SCALE NN_SELU_SCALE
#define INV_SQRT_2PI 0.39894228040143268f

static int done1(const int *gin) { return gin[0] < 0 ? -1 : 0; }
static int done2(const int *gin) { return gin[0] < 0 || gin[1] < 0 ? -1 : 0; }
static int in0(nn_graph *g, int id) { return g->nodes[id].in[0]; }
static int in1(nn_graph *g, int id) { return g->nodes[id].in[1]; }
static size_t count(const nn_node *n) { return nn_shape_numel(&n->shape); }

static int grad_op(nn_graph *g, int op, int x, int gout, const nn_attrs *a)
{
    return nn_op(g, op, (int[]){x, gout}, 2, a);
}

/* Fixture for a gradient op: a value input (|v| in [lo, hi), random sign if away) and g. */
static int grad_check(nn_graph *g, nn_rng *r, int scale, int op, float lo, float hi, int away, const nn_attrs *a)
{
    nn_shape s = nn_ew_test_shape(scale);
    int x = away ? nn_ew_test_input_away(g, s, r, lo, hi) : nn_test_input(g, s, r, lo, hi);
    int go = nn_test_input(g, s, r, -1, 1);
    return grad_op(g, op, x, go, a);
}

/* The loops below run on the pool, in chunks (parallel.h): x the value input (or the output
 * y for gradients read from it), g the gradient flowing in, out the result. */
typedef struct {
    const float *x, *g;
    float *out;
    float a, b;
} act_ctx;

/* x < 0 rather than !(x > 0) so a NaN passes through, as in PyTorch; a = slope */
NN_PAR_CHUNK_FN(leaky_relu_chunk, act_ctx, c, i, c->out[i] = c->x[i] < 0.0f ? c->a * c->x[i] : c->x[i];)
NN_PAR_CHUNK_FN(leaky_grad_chunk, act_ctx, c, i, c->out[i] = c->x[i] > 0.0f ? c->g[i] : c->a * c->g[i];)
/* from y: a = scale, b = scale alpha */
NN_PAR_CHUNK_FN(elu_grad_y_chunk, act_ctx, c, i, c->out[i] = c->g[i] * (c->x[i] > 0.0f ? c->a : c->x[i] + c->b);)
NN_PAR_CHUNK_FN(elu_grad_y_step_chunk, act_ctx, c, i, c->out[i] = c->x[i] > 0.0f ? 0.0f : c->g[i];)
NN_PAR_CHUNK_FN(sigmoid_grad_chunk, act_ctx, c, i, c->out[i] = c->g[i] * c->x[i] * (1.0f - c->x[i]);)
NN_PAR_CHUNK_FN(tanh_grad_chunk, act_ctx, c, i, c->out[i] = c->g[i] * (1.0f - c->x[i] * c->x[i]);)
NN_PAR_CHUNK_FN(step_chunk, act_ctx, c, i, c->out[i] = c->x[i] > 0.0f ? 1.0f : 0.0f;)

/* ---- relu / leaky_relu: y = x > 0 ? x : slope x; attrs f[0] = slope ---- */
void nn_leaky_relu_apply(const float *x, float *y, size_t n, float slope)
{
    nn_par_for(n, leaky_relu_chunk, &(act_ctx){.x = x, .out = y, .a = slope});
}

static void leaky_relu_forward(nn_graph *g, nn_node *n)
{
    nn_leaky_relu_apply(nn_ew_in(g, n, 0)->data, n->data, count(n), n->a.f[0]);
}

int nn_leaky_relu_grad_of(nn_graph *g, int v, int gout, float slope)
{
    const nn_node *go = &g->nodes[gout];
    int product = go->kind == NN_NODE_OP && (go->op == NN_OP_matmul || go->op == NN_OP_matmul_acc);
    if (product && nn_shape_eq(&go->shape, &g->nodes[v].shape))
        return nn_matmul_act_grad_acc(g, go->in[0], go->in[1], go->a.i[0], go->a.i[1], v, slope,
                                      go->op == NN_OP_matmul_acc ? go->in[2] : -1);
    return grad_op(g, NN_OP_leaky_relu_grad, v, gout, &(nn_attrs){.f = {slope}});
}

static int leaky_relu_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_leaky_relu_grad_of(g, in0(g, id), gout, g->nodes[id].a.f[0]);
    return done1(gin);
}

/* out = g * leaky_relu'(x): x > 0 ? g : slope g (x may be the output: same sign for slope >= 0) */
static void leaky_grad_apply(const float *x, const float *go, float *out, size_t n, float slope)
{
    nn_par_for(n, leaky_grad_chunk, &(act_ctx){.x = x, .g = go, .out = out, .a = slope});
}

/* leaky_relu_grad(x, g) = x > 0 ? g : slope g. Linear in g; zero second derivative in x. */
static void leaky_relu_grad_forward(nn_graph *g, nn_node *n)
{
    leaky_grad_apply(nn_ew_in(g, n, 0)->data, nn_ew_in(g, n, 1)->data, n->data, count(n), n->a.f[0]);
}

static int leaky_relu_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = -1;
    gin[1] = nn_leaky_relu_grad_of(g, in0(g, id), gout, g->nodes[id].a.f[0]);
    return gin[1] < 0 ? -1 : 0;
}

static int relu_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_relu(g, nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 1));
}
static int leaky_relu_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_leaky_relu(g, nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 1), 0.2f);
}
static int leaky_relu_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.f = {0.2f}};
    return grad_check(g, r, scale, NN_OP_leaky_relu_grad, 0.1f, 1, 1, &a);
}

/* ---- elu / selu: y = scale (x > 0 ? x : alpha (e^x - 1)); attrs f[0] alpha, f[1] scale ---- */
static void elu_forward(nn_graph *g, nn_node *n)
{
    nn_k_elu(nn_ew_in(g, n, 0)->data, n->data, count(n), n->a.f[0], n->a.f[1]);
}

/* elu's scale is always 1 and selu's constants are fixed, whoever builds the node */
static int elu_infer(nn_graph *g, nn_node *n)
{
    n->a.f[1] = 1.0f;
    return nn_ew_same_infer(g, n);
}
static int selu_infer(nn_graph *g, nn_node *n)
{
    n->a.f[0] = SELU_ALPHA;
    n->a.f[1] = SELU_SCALE;
    return nn_ew_same_infer(g, n);
}

static int elu_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs a = g->nodes[id].a;
    a.i[0] = 0;
    gin[0] = grad_op(g, NN_OP_elu_grad, in0(g, id), gout, &a);
    return done1(gin);
}

/* elu_grad(x, g) = g * elu'(x); i[0] = neg_only keeps only the x <= 0 part, which is also the
 * derivative of elu'(x) itself (scale alpha e^x), so the family is closed under backward. */
static void elu_grad_forward(nn_graph *g, nn_node *n)
{
    nn_k_elu_grad(nn_ew_in(g, n, 0)->data, nn_ew_in(g, n, 1)->data, n->data, count(n), n->a.f[0], n->a.f[1],
                  n->a.i[0]);
}

static int elu_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs neg = g->nodes[id].a;
    neg.i[0] = 1;
    gin[0] = grad_op(g, NN_OP_elu_grad, in0(g, id), nn_mul(g, gout, in1(g, id)), &neg);
    gin[1] = grad_op(g, NN_OP_elu_grad, in0(g, id), gout, &g->nodes[id].a);
    return done2(gin);
}

/* |x| >= 0.1: elu' jumps at 0 unless alpha = 1, selu' always does */
static int elu_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_elu(g, nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 2), 0.7f);
}
static int selu_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_selu(g, nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 2));
}
static int elu_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.f = {SELU_ALPHA, SELU_SCALE}};
    return grad_check(g, r, scale, NN_OP_elu_grad, 0.1f, 2, 1, &a);
}

/* elu_grad_y(y, g) = g * elu'(x) read from the output y = scale * elu(x, alpha), alpha > 0:
 * scale g where y > 0, else (y + scale alpha) g. For ops that fuse the activation (nn_fused_act)
 * and so keep y but not x; no exponential needed. i[0] = neg_step: g where y <= 0, else 0 (its
 * derivative in y), so the family is closed under backward. f[0] alpha, f[1] scale. */
/* out = g * elu'(x) from y = scale elu(x, alpha) */
static void elu_grad_y_apply(const float *y, const float *go, float *out, size_t n, float alpha, float scale)
{
    nn_par_for(n, elu_grad_y_chunk, &(act_ctx){.x = y, .g = go, .out = out, .a = scale, .b = scale * alpha});
}

static void elu_grad_y_forward(nn_graph *g, nn_node *n)
{
    const float *y = nn_ew_in(g, n, 0)->data, *go = nn_ew_in(g, n, 1)->data;
    float *d = n->data;
    if (n->a.i[0]) nn_par_for(count(n), elu_grad_y_step_chunk, &(act_ctx){.x = y, .g = go, .out = d});
    else elu_grad_y_apply(y, go, d, count(n), n->a.f[0], n->a.f[1]);
}

static int elu_grad_y_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs step = g->nodes[id].a;
    step.i[0] = 1;
    gin[0] = g->nodes[id].a.i[0] ? -1 : grad_op(g, NN_OP_elu_grad_y, in0(g, id), nn_mul(g, gout, in1(g, id)), &step);
    gin[1] = grad_op(g, NN_OP_elu_grad_y, in0(g, id), gout, &g->nodes[id].a);
    return (!g->nodes[id].a.i[0] && gin[0] < 0) || gin[1] < 0 ? -1 : 0;
}

/* y in +-[0.1, 1.5): inside selu's range (y > -scale alpha = -1.76), away from the step at 0 */
static int elu_grad_y_check(nn_graph *g, nn_rng *r, int scale)
{
    nn_attrs a = {.f = {SELU_ALPHA, SELU_SCALE}};
    return grad_check(g, r, scale, NN_OP_elu_grad_y, 0.1f, 1.5f, 1, &a);
}

int nn_fused_act_check(nn_graph *g, const nn_attrs *a, int slot)
{
    int kind = a->i[slot];
    if (kind == NN_FUSED_NONE) return 0;
    if (kind == NN_FUSED_LEAKY_RELU && a->f[0] >= 0.0f) return 0;
    if (kind == NN_FUSED_ELU && a->f[0] > 0.0f && a->f[1] > 0.0f) return 0;
    return nn_graph_fail(g, "a fused activation must be relu, leaky_relu with slope >= 0 or elu/selu with alpha > 0 "
                            "(kind %d, parameters %g, %g)", kind, a->f[0], a->f[1]);
}

void nn_fused_act_apply(const nn_attrs *a, int slot, float *y, size_t n)
{
    if (a->i[slot] == NN_FUSED_LEAKY_RELU) nn_leaky_relu_apply(y, y, n, a->f[0]);
    else if (a->i[slot] == NN_FUSED_ELU) nn_k_elu(y, y, n, a->f[0], a->f[1]);
}

int nn_fused_act_grad_plain(nn_graph *g, int y, int gout, const nn_attrs *a, int slot)
{
    nn_attrs p = {.f = {a->f[0], a->f[1]}};
    if (a->i[slot] == NN_FUSED_NONE) return gout;
    if (a->i[slot] == NN_FUSED_LEAKY_RELU) return nn_leaky_relu_grad_of(g, y, gout, a->f[0]);   /* y > 0 iff x > 0 */
    return grad_op(g, NN_OP_elu_grad_y, y, gout, &p);
}

int nn_fused_act_grad(nn_graph *g, int y, int gout, const nn_attrs *a, int slot)
{
    const nn_node *go = &g->nodes[gout];
    if (a->i[slot] == NN_FUSED_NONE || go->kind != NN_NODE_OP || go->op != NN_OP_max_route || go->in[0] != y)
        return nn_fused_act_grad_plain(g, y, gout, a, slot);
    nn_attrs pool = go->a, act = *a;                  /* copies: the nodes may move below */
    int h = go->in[1];
    int hd = nn_fused_act_grad_plain(g, nn_maxpool_of(g, y, &pool), h, &act, slot);
    return nn_op(g, NN_OP_max_route, (int[]){y, hd}, 2, &pool);
}

/* ---- gelu (exact): y = x Phi(x) ---- */
static void gelu_forward(nn_graph *g, nn_node *n) { nn_k_gelu(nn_ew_in(g, n, 0)->data, n->data, count(n)); }

static int gelu_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = grad_op(g, NN_OP_gelu_grad, in0(g, id), gout, NULL);
    return done1(gin);
}

static void gelu_grad_forward(nn_graph *g, nn_node *n)
{
    nn_k_gelu_grad(nn_ew_in(g, n, 0)->data, nn_ew_in(g, n, 1)->data, n->data, count(n));
}

/* gelu'' = phi(x) (2 - x^2), composed from primitive nodes (only second order needs it) */
static int gelu_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    int x = in0(g, id), sq = nn_square(g, x);
    int pdf = nn_affine(g, nn_exp(g, nn_affine(g, sq, -0.5f, 0.0f)), INV_SQRT_2PI, 0.0f);
    int second = nn_mul(g, pdf, nn_affine(g, sq, -1.0f, 2.0f));
    gin[0] = nn_mul(g, nn_mul(g, gout, in1(g, id)), second);
    gin[1] = grad_op(g, NN_OP_gelu_grad, x, gout, NULL);
    return done2(gin);
}

static int gelu_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_gelu(g, nn_test_input(g, nn_ew_test_shape(scale), r, -2, 2));
}
static int gelu_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    return grad_check(g, r, scale, NN_OP_gelu_grad, -2, 2, 0, NULL);
}

/* ---- sigmoid: y' = y (1 - y); sigmoid_grad(y, g) = g y (1 - y) ---- */
static void sigmoid_forward(nn_graph *g, nn_node *n) { nn_k_sigmoid(nn_ew_in(g, n, 0)->data, n->data, count(n)); }

static int sigmoid_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = grad_op(g, NN_OP_sigmoid_grad, id, gout, NULL);
    return done1(gin);
}

static void sigmoid_grad_forward(nn_graph *g, nn_node *n)
{
    const float *y = nn_ew_in(g, n, 0)->data, *go = nn_ew_in(g, n, 1)->data;
    float *o = n->data;
    size_t k = count(n);
    nn_par_for(k, sigmoid_grad_chunk, &(act_ctx){.x = y, .g = go, .out = o});
}

static int sigmoid_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    int y = in0(g, id);
    gin[0] = nn_mul(g, nn_mul(g, gout, in1(g, id)), nn_affine(g, y, -2.0f, 1.0f));   /* d/dy: g (1 - 2y) */
    gin[1] = grad_op(g, NN_OP_sigmoid_grad, y, gout, NULL);
    return done2(gin);
}

static int sigmoid_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_sigmoid(g, nn_test_input(g, nn_ew_test_shape(scale), r, -3, 3));
}
static int sigmoid_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    return grad_check(g, r, scale, NN_OP_sigmoid_grad, 0.1f, 0.9f, 0, NULL);
}

/* ---- tanh: y' = 1 - y^2; tanh_grad(y, g) = g (1 - y^2) ---- */
static void tanh_forward(nn_graph *g, nn_node *n) { nn_k_tanh(nn_ew_in(g, n, 0)->data, n->data, count(n)); }

static int tanh_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = grad_op(g, NN_OP_tanh_grad, id, gout, NULL);
    return done1(gin);
}

static void tanh_grad_forward(nn_graph *g, nn_node *n)
{
    const float *y = nn_ew_in(g, n, 0)->data, *go = nn_ew_in(g, n, 1)->data;
    float *o = n->data;
    size_t k = count(n);
    nn_par_for(k, tanh_grad_chunk, &(act_ctx){.x = y, .g = go, .out = o});
}

static int tanh_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    int y = in0(g, id);
    gin[0] = nn_mul(g, nn_mul(g, gout, in1(g, id)), nn_affine(g, y, -2.0f, 0.0f));    /* d/dy: -2 g y */
    gin[1] = grad_op(g, NN_OP_tanh_grad, y, gout, NULL);
    return done2(gin);
}

static int tanh_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_tanh(g, nn_test_input(g, nn_ew_test_shape(scale), r, -2, 2));
}
static int tanh_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    return grad_check(g, r, scale, NN_OP_tanh_grad, -0.9f, 0.9f, 0, NULL);
}

/* ---- softmax / log_softmax over the last dimension: x (..., C) -> (..., C) ---- */
static void softmax_forward(nn_graph *g, nn_node *n)
{
    size_t rows, cols;
    nn_ew_rows(&n->shape, &rows, &cols);
    nn_k_softmax_rows(nn_ew_in(g, n, 0)->data, n->data, rows, cols, n->op == NN_OP_log_softmax);
}

static int softmax_backward(nn_graph *g, int id, int gout, int *gin)
{
    int op = g->nodes[id].op == NN_OP_log_softmax ? NN_OP_log_softmax_grad : NN_OP_softmax_grad;
    gin[0] = grad_op(g, op, id, gout, NULL);
    return done1(gin);
}

static void softmax_grad_forward(nn_graph *g, nn_node *n)
{
    size_t rows, cols;
    nn_ew_rows(&n->shape, &rows, &cols);
    const float *y = nn_ew_in(g, n, 0)->data, *go = nn_ew_in(g, n, 1)->data;
    if (n->op == NN_OP_log_softmax_grad) nn_k_log_softmax_grad_rows(y, go, n->data, rows, cols);
    else nn_k_softmax_grad_rows(y, go, n->data, rows, cols);
}

/* softmax_grad(y, g)_i = y_i (g_i - s), s = sum_j g_j y_j. With upstream h, t = sum_i h_i y_i:
 *   d/dg = softmax_grad(y, h),   d/dy_k = h_k (g_k - s) - g_k t. */
static int softmax_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    int y = in0(g, id), go = in1(g, id);
    nn_shape keep = nn_ew_rows_keep(g->nodes[y].shape);
    int s = nn_sum_to(g, nn_mul(g, go, y), keep), t = nn_sum_to(g, nn_mul(g, gout, y), keep);
    gin[0] = nn_sub(g, nn_mul(g, gout, nn_sub(g, go, s)), nn_mul(g, go, t));
    gin[1] = grad_op(g, NN_OP_softmax_grad, y, gout, NULL);
    return done2(gin);
}

/* log_softmax_grad(y, g)_i = g_i - e^{y_i} S, S = sum_j g_j. With upstream h:
 *   d/dg_k = h_k - sum_i h_i e^{y_i},   d/dy_k = -h_k e^{y_k} S. */
static int log_softmax_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    int y = in0(g, id), go = in1(g, id);
    nn_shape keep = nn_ew_rows_keep(g->nodes[y].shape);
    int he = nn_mul(g, gout, nn_exp(g, y));
    gin[0] = nn_neg(g, nn_mul(g, he, nn_sum_to(g, go, keep)));
    gin[1] = nn_sub(g, gout, nn_sum_to(g, he, keep));
    return done2(gin);
}

static int softmax_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_softmax(g, nn_test_input(g, nn_shape2(3 * scale, 5 * scale), r, -2, 2));
}
static int log_softmax_check(nn_graph *g, nn_rng *r, int scale)
{
    return nn_log_softmax(g, nn_test_input(g, nn_shape2(3 * scale, 5 * scale), r, -2, 2));
}
static int softmax_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    return grad_check(g, r, scale, NN_OP_softmax_grad, 0.1f, 0.9f, 0, NULL);
}
static int log_softmax_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    return grad_check(g, r, scale, NN_OP_log_softmax_grad, -3, -0.1f, 0, NULL);
}

/* ---- step: 1 where x > 0 else 0; no gradient ---- */
static void step_forward(nn_graph *g, nn_node *n)
{
    const float *x = nn_ew_in(g, n, 0)->data;
    float *y = n->data;
    size_t k = count(n);
    nn_par_for(k, step_chunk, &(act_ctx){.x = x, .out = y});
}

static int step_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)g, (void)id, (void)gout;
    gin[0] = -1;
    return 0;
}

/* step has no gradient; x * step(x) = relu(x) exposes its values to the check (d/dx = step) */
static int step_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 1);
    return nn_mul(g, x, nn_step(g, x));
}

#define ACT_ROW(name, fwd, bwd, infer, n_in, doc) \
    const nn_op_def nn_def_##name = {#name, n_in, doc, infer, fwd, bwd, name##_check, NULL};
ACT_ROW(relu, leaky_relu_forward, leaky_relu_backward, nn_ew_same_infer, 1, "max(x, 0)")
ACT_ROW(leaky_relu, leaky_relu_forward, leaky_relu_backward, nn_ew_same_infer, 1, "x > 0 ? x : slope x (PyTorch default slope 0.01)")
ACT_ROW(leaky_relu_grad, leaky_relu_grad_forward, leaky_relu_grad_backward, nn_ew_pair_infer, 2,
        "(x, g) -> g * (x > 0 ? 1 : slope): gradient of relu / leaky_relu")
ACT_ROW(elu, elu_forward, elu_backward, elu_infer, 1, "x > 0 ? x : alpha (e^x - 1)")
ACT_ROW(selu, elu_forward, elu_backward, selu_infer, 1, "scale * elu(x, alpha), PyTorch's SELU constants")
ACT_ROW(elu_grad, elu_grad_forward, elu_grad_backward, nn_ew_pair_infer, 2, "(x, g) -> g * elu'(x): gradient of elu / selu")
ACT_ROW(elu_grad_y, elu_grad_y_forward, elu_grad_y_backward, nn_ew_pair_infer, 2,
        "(y, g) -> g * elu'(x) from the output y = elu(x): gradient of a fused elu / selu")
ACT_ROW(gelu, gelu_forward, gelu_backward, nn_ew_same_infer, 1, "x Phi(x), exact (erf) form")
ACT_ROW(gelu_grad, gelu_grad_forward, gelu_grad_backward, nn_ew_pair_infer, 2, "(x, g) -> g * gelu'(x)")
ACT_ROW(sigmoid, sigmoid_forward, sigmoid_backward, nn_ew_same_infer, 1, "1 / (1 + e^-x)")
ACT_ROW(sigmoid_grad, sigmoid_grad_forward, sigmoid_grad_backward, nn_ew_pair_infer, 2, "(y, g) -> g y (1 - y)")
ACT_ROW(tanh, tanh_forward, tanh_backward, nn_ew_same_infer, 1, "hyperbolic tangent")
ACT_ROW(tanh_grad, tanh_grad_forward, tanh_grad_backward, nn_ew_pair_infer, 2, "(y, g) -> g (1 - y^2)")
ACT_ROW(softmax, softmax_forward, softmax_backward, nn_ew_same_infer, 1, "softmax over the last dimension")
ACT_ROW(softmax_grad, softmax_grad_forward, softmax_grad_backward, nn_ew_pair_infer, 2,
        "(y, g) -> y (g - sum(g y)) per row: gradient of softmax")
ACT_ROW(log_softmax, softmax_forward, softmax_backward, nn_ew_same_infer, 1, "log of softmax over the last dimension")
ACT_ROW(log_softmax_grad, softmax_grad_forward, log_softmax_grad_backward, nn_ew_pair_infer, 2,
        "(y, g) -> g - e^y sum(g) per row: gradient of log_softmax")
ACT_ROW(step, step_forward, step_backward, nn_ew_same_infer, 1, "1 where x > 0 else 0; no gradient")

static int act(nn_graph *g, int op, int x, const nn_attrs *a) { return nn_op(g, op, &x, 1, a); }

int nn_relu(nn_graph *g, int x) { return act(g, NN_OP_relu, x, &(nn_attrs){.f = {0.0f}}); }
int nn_leaky_relu(nn_graph *g, int x, float slope) { return act(g, NN_OP_leaky_relu, x, &(nn_attrs){.f = {slope}}); }
int nn_elu(nn_graph *g, int x, float alpha) { return act(g, NN_OP_elu, x, &(nn_attrs){.f = {alpha, 1.0f}}); }
int nn_selu(nn_graph *g, int x) { return act(g, NN_OP_selu, x, NULL); }
int nn_gelu(nn_graph *g, int x) { return act(g, NN_OP_gelu, x, NULL); }
int nn_sigmoid(nn_graph *g, int x) { return act(g, NN_OP_sigmoid, x, NULL); }
int nn_tanh(nn_graph *g, int x) { return act(g, NN_OP_tanh, x, NULL); }
int nn_softmax(nn_graph *g, int x) { return act(g, NN_OP_softmax, x, NULL); }
int nn_log_softmax(nn_graph *g, int x) { return act(g, NN_OP_log_softmax, x, NULL); }
int nn_step(nn_graph *g, int x) { return act(g, NN_OP_step, x, NULL); }
