/* Elementwise unary math: affine (alpha x + beta), neg, exp, log, sqrt, pow, abs, sign, square.
 * All shapes: x (any) -> y (same). Transcendental loops live in kern_unary.c. */
#include "../kernels/ew_util.h"
#include "../kernels/fastmath/kern.h"
#include "op_list.h"
#include "../core/parallel.h"

#define UNARY_SETUP(n)                                  \
    const float *x = g->nodes[(n)->in[0]].data;         \
    float *y = (n)->data;                               \
    size_t k = nn_shape_numel(&(n)->shape)

static int unary_check(nn_graph *g, nn_rng *r, int scale, int op, float lo, float hi)
{
    int x = nn_test_input(g, nn_ew_test_shape(scale), r, lo, hi);
    return nn_op(g, op, &x, 1, NULL);
}

static int done(const int *gin) { return gin[0] < 0 ? -1 : 0; }

/* The loops below run on the pool, in chunks (parallel.h). */
typedef struct {
    const float *x;
    float *y;
    float alpha, beta;
} unary_ctx;

NN_PAR_CHUNK_FN(affine_chunk, unary_ctx, c, i, c->y[i] = c->alpha * c->x[i] + c->beta;)
NN_PAR_CHUNK_FN(abs_chunk, unary_ctx, c, i, c->y[i] = c->x[i] < 0.0f ? -c->x[i] : c->x[i];)
NN_PAR_CHUNK_FN(sign_chunk, unary_ctx, c, i, c->y[i] = c->x[i] > 0.0f ? 1.0f : c->x[i] < 0.0f ? -1.0f : c->x[i];)
NN_PAR_CHUNK_FN(square_chunk, unary_ctx, c, i, c->y[i] = c->x[i] * c->x[i];)

/* ---- affine: y = alpha x + beta; attrs f[0] = alpha, f[1] = beta ---- */
static void affine_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_par_for(k, affine_chunk, &(unary_ctx){x, y, n->a.f[0], n->a.f[1]});
}

static int affine_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_affine(g, gout, g->nodes[id].a.f[0], 0.0f);
    return done(gin);
}

static int affine_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_ew_test_shape(scale), r, -1, 1);
    return nn_affine(g, x, -1.5f, 0.25f);
}

const nn_op_def nn_def_affine = {"affine", 1, "alpha * x + beta", nn_ew_same_infer, affine_forward, affine_backward,
                                 affine_check, NULL};

int nn_affine(nn_graph *g, int x, float alpha, float beta)
{
    nn_attrs a = {.f = {alpha, beta}};
    return nn_op(g, NN_OP_affine, &x, 1, &a);
}

int nn_neg(nn_graph *g, int x) { return nn_affine(g, x, -1.0f, 0.0f); }

/* ---- exp: dy/dx = y ---- */
static void exp_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_k_exp(x, y, k);
}
static int exp_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_mul(g, gout, id);
    return done(gin);
}
static int exp_check(nn_graph *g, nn_rng *r, int scale) { return unary_check(g, r, scale, NN_OP_exp, -1, 1); }

/* ---- log: dy/dx = 1/x ---- */
static void log_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_k_log(x, y, k);
}
static int log_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_div(g, gout, g->nodes[id].in[0]);
    return done(gin);
}
static int log_check(nn_graph *g, nn_rng *r, int scale) { return unary_check(g, r, scale, NN_OP_log, 0.5f, 2); }

/* ---- sqrt: dy/dx = 1 / (2 y) ---- */
static void sqrt_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_k_sqrt(x, y, k);
}
static int sqrt_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_div(g, gout, nn_affine(g, id, 2.0f, 0.0f));
    return done(gin);
}
static int sqrt_check(nn_graph *g, nn_rng *r, int scale) { return unary_check(g, r, scale, NN_OP_sqrt, 0.5f, 2); }

/* ---- pow: y = x^p, attrs f[0] = p; dy/dx = p x^(p-1) ---- */
static void pow_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_k_pow(x, n->a.f[0], y, k);
}
static int pow_backward(nn_graph *g, int id, int gout, int *gin)
{
    float p = g->nodes[id].a.f[0];
    gin[0] = nn_mul(g, gout, nn_affine(g, nn_pow(g, g->nodes[id].in[0], p - 1.0f), p, 0.0f));
    return done(gin);
}
static int pow_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_ew_test_shape(scale), r, 0.5f, 2);
    return nn_pow(g, x, 2.5f);
}

/* ---- abs: dy/dx = sign(x) ---- */
static void abs_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_par_for(k, abs_chunk, &(unary_ctx){.x = x, .y = y});
}
static int abs_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_mul(g, gout, nn_sign(g, g->nodes[id].in[0]));
    return done(gin);
}
static int abs_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 1);
    return nn_abs(g, x);
}

/* ---- sign: -1, 0, 1 (NaN stays NaN so a diverged run is still seen); no gradient ---- */
static void sign_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_par_for(k, sign_chunk, &(unary_ctx){.x = x, .y = y});
}
static int no_gradient(nn_graph *g, int id, int gout, int *gin)
{
    (void)g, (void)id, (void)gout;
    gin[0] = -1;
    return 0;
}
/* sign has no gradient of its own; x * sign(x) = |x| makes its values visible to the check
 * (d/dx = sign(x)). Inputs stay 0.1 away from the jump at 0. */
static int sign_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_ew_test_input_away(g, nn_ew_test_shape(scale), r, 0.1f, 1);
    return nn_mul(g, x, nn_sign(g, x));
}

/* ---- square: dy/dx = 2x ---- */
static void square_forward(nn_graph *g, nn_node *n)
{
    UNARY_SETUP(n);
    nn_par_for(k, square_chunk, &(unary_ctx){.x = x, .y = y});
}
static int square_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_mul(g, gout, nn_affine(g, g->nodes[id].in[0], 2.0f, 0.0f));
    return done(gin);
}
static int square_check(nn_graph *g, nn_rng *r, int scale) { return unary_check(g, r, scale, NN_OP_square, -1, 1); }

#define UNARY_ROW(name, doc) \
    const nn_op_def nn_def_##name = {#name, 1, doc, nn_ew_same_infer, name##_forward, name##_backward, name##_check, NULL};
UNARY_ROW(exp, "e^x")
UNARY_ROW(log, "natural logarithm (x > 0)")
UNARY_ROW(sqrt, "square root (x >= 0)")
UNARY_ROW(pow, "x^p for a constant p (x > 0 unless p is an integer)")
UNARY_ROW(abs, "|x|")
UNARY_ROW(square, "x^2")
const nn_op_def nn_def_sign = {"sign", 1, "-1, 0 or 1; no gradient", nn_ew_same_infer, sign_forward, no_gradient,
                               sign_check, NULL};

int nn_exp(nn_graph *g, int x) { return nn_op(g, NN_OP_exp, &x, 1, NULL); }
int nn_log(nn_graph *g, int x) { return nn_op(g, NN_OP_log, &x, 1, NULL); }
int nn_sqrt(nn_graph *g, int x) { return nn_op(g, NN_OP_sqrt, &x, 1, NULL); }
int nn_abs(nn_graph *g, int x) { return nn_op(g, NN_OP_abs, &x, 1, NULL); }
int nn_sign(nn_graph *g, int x) { return nn_op(g, NN_OP_sign, &x, 1, NULL); }
int nn_square(nn_graph *g, int x) { return nn_op(g, NN_OP_square, &x, 1, NULL); }
int nn_pow(nn_graph *g, int x, float p)
{
    nn_attrs a = {.f = {p}};
    return nn_op(g, NN_OP_pow, &x, 1, &a);
}
