/* Elementwise binary ops with numpy broadcasting, and the two ops that move between
 * broadcast shapes: sum_to (reduce) and broadcast_to (expand), each the other's gradient. */
#include "../kernels/broadcast.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

int nn_broadcast_shape(const nn_shape *a, const nn_shape *b, nn_shape *out)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    out->ndim = nd;
    for (int i = 0; i < nd; i++) {
        int da = i < nd - a->ndim ? 1 : a->d[i - (nd - a->ndim)];
        int db = i < nd - b->ndim ? 1 : b->d[i - (nd - b->ndim)];
        if (da != db && da != 1 && db != 1) return -1;
        out->d[i] = da > db ? da : db;
    }
    return 0;
}

void nn_bcast_make(nn_bcast *b, const nn_shape *in, const nn_shape *out)
{
    int pad = 4 - out->ndim;
    size_t stride = 1;
    for (int i = 3; i >= 0; i--) {
        int od = i < pad ? 1 : out->d[i - pad];
        int k = i - (4 - in->ndim);               /* in's dim aligned with out dim i */
        int id = k >= 0 ? in->d[k] : 1;
        b->d[i] = od;
        b->st[i] = (id == 1) ? 0 : stride;
        stride *= (size_t)id;
    }
}

/* ---- add / sub / mul / div ---------------------------------------------------------- */
static int binary_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *a = &g->nodes[n->in[0]].shape, *b = &g->nodes[n->in[1]].shape;
    if (nn_broadcast_shape(a, b, &n->shape) < 0) {
        char sa[64], sb[64];
        return nn_graph_fail(g, "%s: shapes %s and %s do not broadcast", nn_op_def_at(n->op)->name,
                             nn_shape_str(a, sa, sizeof sa), nn_shape_str(b, sb, sizeof sb));
    }
    return 0;
}

/* The common cases get flat loops the compiler vectorises; the rest walk strides. */
#define BINARY_LOOPS(EXPR)                                                                 \
    do {                                                                                   \
        if (na == n && nb == n) {                                                          \
            NN_PAR_SIMD_FOR(i, n, float x = A[i], y = B[i]; o[i] = (EXPR););               \
        } else if (na == n && n % nb == 0 && bsuffix) {                                    \
            for (size_t r = 0; r < n / nb; r++) {                                          \
                const float *ar = A + r * nb; float *orow = o + r * nb;                    \
                _Pragma("omp simd")                                                        \
                for (size_t i = 0; i < nb; i++) { float x = ar[i], y = B[i]; orow[i] = (EXPR); } \
            }                                                                              \
        } else if (na == n && nn_bcast_blocks(&bn->shape, &nd->shape, &bo, &bm, &bi)) {     \
            _Pragma("omp parallel for if (n > NN_PAR_MIN)")                                \
            for (size_t q = 0; q < bo * bm; q++) {                                         \
                const float y = B[q % bm], *ar = A + q * bi; float *orow = o + q * bi;     \
                _Pragma("omp simd")                                                        \
                for (size_t i = 0; i < bi; i++) { float x = ar[i]; orow[i] = (EXPR); }     \
            }                                                                              \
        } else if (nb == n && nn_bcast_blocks(&an->shape, &nd->shape, &bo, &bm, &bi)) {     \
            _Pragma("omp parallel for if (n > NN_PAR_MIN)")                                \
            for (size_t q = 0; q < bo * bm; q++) {                                         \
                const float x = A[q % bm], *br = B + q * bi; float *orow = o + q * bi;     \
                _Pragma("omp simd")                                                        \
                for (size_t i = 0; i < bi; i++) { float y = br[i]; orow[i] = (EXPR); }     \
            }                                                                              \
        } else {                                                                           \
            nn_bcast ba, bb;                                                               \
            nn_bcast_make(&ba, &an->shape, &nd->shape);                                    \
            nn_bcast_make(&bb, &bn->shape, &nd->shape);                                    \
            for (size_t i = 0; i < n; i++) {                                               \
                float x = A[nn_bcast_offset(&ba, i)], y = B[nn_bcast_offset(&bb, i)];      \
                o[i] = (EXPR);                                                             \
            }                                                                              \
        }                                                                                  \
    } while (0)

/* b's shape equals the trailing dims of the output (bias rows, per-feature scales). */
static int is_suffix(const nn_shape *b, const nn_shape *out)
{
    if (b->ndim > out->ndim) return 0;
    for (int i = 0; i < b->ndim; i++)
        if (b->d[b->ndim - 1 - i] != out->d[out->ndim - 1 - i]) return 0;
    return 1;
}

static void binary_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *an = &g->nodes[nd->in[0]], *bn = &g->nodes[nd->in[1]];
    const float *A = an->data, *B = bn->data;
    float *o = nd->data;
    size_t n = nn_shape_numel(&nd->shape), na = nn_shape_numel(&an->shape), nb = nn_shape_numel(&bn->shape);
    int bsuffix = is_suffix(&bn->shape, &nd->shape);
    size_t bo, bm, bi;   /* outer x mid x inner blocks of a one-run broadcast */
    switch (nd->op) {
    case NN_OP_add: BINARY_LOOPS(x + y); break;
    case NN_OP_sub: BINARY_LOOPS(x - y); break;
    case NN_OP_mul: BINARY_LOOPS(x * y); break;
    default: BINARY_LOOPS(x / y); break;
    }
}

static int add_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_sum_to(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    gin[1] = nn_sum_to(g, gout, g->nodes[g->nodes[id].in[1]].shape);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static int sub_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_shape bs = g->nodes[g->nodes[id].in[1]].shape;   /* a copy: adding nodes may move g->nodes */
    gin[0] = nn_sum_to(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    gin[1] = nn_sum_to(g, nn_neg(g, gout), bs);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static int mul_backward(nn_graph *g, int id, int gout, int *gin)
{
    int a = g->nodes[id].in[0], b = g->nodes[id].in[1];
    nn_shape as = g->nodes[a].shape, bs = g->nodes[b].shape;   /* copies: adding nodes may move g->nodes */
    gin[0] = nn_sum_to(g, nn_mul(g, gout, b), as);
    gin[1] = nn_sum_to(g, nn_mul(g, gout, a), bs);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

/* y = a / b: da = g / b, db = -g a / b^2 */
static int div_backward(nn_graph *g, int id, int gout, int *gin)
{
    int a = g->nodes[id].in[0], b = g->nodes[id].in[1];
    nn_shape as = g->nodes[a].shape, bs = g->nodes[b].shape;   /* copies: adding nodes may move g->nodes */
    gin[0] = nn_sum_to(g, nn_div(g, gout, b), as);
    int t = nn_div(g, nn_mul(g, gout, a), nn_mul(g, b, b));
    gin[1] = nn_sum_to(g, nn_neg(g, t), bs);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static int binary_check(nn_graph *g, nn_rng *r, int op)
{
    /* a (3,4) against b (4): exercises broadcasting and its reduction in the gradient */
    int a = nn_test_input(g, nn_shape2(3, 4), r, 0.5f, 2.0f);
    int b = nn_test_input(g, nn_shape1(4), r, 0.5f, 2.0f);
    return nn_op(g, op, (int[]){a, b}, 2, NULL);
}
static int add_check(nn_graph *g, nn_rng *r) { return binary_check(g, r, NN_OP_add); }
static int sub_check(nn_graph *g, nn_rng *r) { return binary_check(g, r, NN_OP_sub); }
static int mul_check(nn_graph *g, nn_rng *r) { return binary_check(g, r, NN_OP_mul); }
static int div_check(nn_graph *g, nn_rng *r) { return binary_check(g, r, NN_OP_div); }

const nn_op_def nn_def_add = {"add", 2, "a + b (broadcasting)", binary_infer, binary_forward, add_backward, add_check, NULL};
const nn_op_def nn_def_sub = {"sub", 2, "a - b (broadcasting)", binary_infer, binary_forward, sub_backward, sub_check, NULL};
const nn_op_def nn_def_mul = {"mul", 2, "a * b (broadcasting)", binary_infer, binary_forward, mul_backward, mul_check, NULL};
const nn_op_def nn_def_div = {"div", 2, "a / b (broadcasting)", binary_infer, binary_forward, div_backward, div_check, NULL};

int nn_add(nn_graph *g, int a, int b) { return nn_op(g, NN_OP_add, (int[]){a, b}, 2, NULL); }
int nn_sub(nn_graph *g, int a, int b) { return nn_op(g, NN_OP_sub, (int[]){a, b}, 2, NULL); }
int nn_mul(nn_graph *g, int a, int b) { return nn_op(g, NN_OP_mul, (int[]){a, b}, 2, NULL); }
int nn_div(nn_graph *g, int a, int b) { return nn_op(g, NN_OP_div, (int[]){a, b}, 2, NULL); }

/* ---- sum_to / broadcast_to: target shape in attrs i[0..3], ndim in i[4] ------------- */

/* x and the target shape t broadcast to `big` (x's shape for sum_to, t for broadcast_to). */
static int moved_infer(nn_graph *g, nn_node *n, int to_target)
{
    nn_shape t = nn_attrs_shape(&n->a), out;
    const nn_shape *x = &g->nodes[n->in[0]].shape;
    if (nn_broadcast_shape(&t, x, &out) < 0 || !nn_shape_eq(&out, to_target ? &t : x)) {
        char a[64], b[64];
        return nn_graph_fail(g, "cannot %s %s %s %s", to_target ? "broadcast" : "sum", nn_shape_str(x, a, sizeof a),
                             to_target ? "to" : "down to", nn_shape_str(&t, b, sizeof b));
    }
    n->shape = t;
    return 0;
}

static int sum_to_infer(nn_graph *g, nn_node *n) { return moved_infer(g, n, 0); }
static int broadcast_to_infer(nn_graph *g, nn_node *n) { return moved_infer(g, n, 1); }

static void sum_to_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *x = &g->nodes[nd->in[0]];
    size_t n = nn_shape_numel(&x->shape), m = nn_shape_numel(&nd->shape);
    float *o = nd->data;
    const float *X = x->data;
    memset(o, 0, m * sizeof(float));
    if (is_suffix(&nd->shape, &x->shape)) {          /* bias gradients: sum over rows */
        for (size_t r = 0; r < n / m; r++) {
            const float *xr = X + r * m;
            _Pragma("omp simd")
            for (size_t i = 0; i < m; i++) o[i] += xr[i];
        }
        return;
    }
    size_t bo, bm, bi;
    if (nn_bcast_blocks(&nd->shape, &x->shape, &bo, &bm, &bi)) {   /* per-channel sums */
#pragma omp parallel for if (n > NN_PAR_MIN)
        for (size_t m = 0; m < bm; m++) {
            double acc = 0;
            for (size_t q = 0; q < bo; q++) {
                const float *xr = X + (q * bm + m) * bi;
                float part = 0;
#pragma omp simd reduction(+ : part)
                for (size_t i = 0; i < bi; i++) part += xr[i];
                acc += part;
            }
            o[m] = (float)acc;
        }
        return;
    }
    nn_bcast b;
    nn_bcast_make(&b, &nd->shape, &x->shape);
    for (size_t i = 0; i < n; i++) o[nn_bcast_offset(&b, i)] += X[i];
}

static int sum_to_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_broadcast_to(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    return gin[0] < 0 ? -1 : 0;
}

static int sum_to_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 4), r, -1, 1);
    return nn_sum_to(g, x, nn_shape3(2, 1, 4));
}

static void broadcast_to_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *x = &g->nodes[nd->in[0]];
    size_t n = nn_shape_numel(&nd->shape), bo, bm, bi;
    if (nn_bcast_blocks(&x->shape, &nd->shape, &bo, &bm, &bi)) {
#pragma omp parallel for if (n > NN_PAR_MIN)
        for (size_t q = 0; q < bo * bm; q++) {
            const float v = x->data[q % bm];
            float *row = nd->data + q * bi;
#pragma omp simd
            for (size_t i = 0; i < bi; i++) row[i] = v;
        }
        return;
    }
    nn_bcast b;
    nn_bcast_make(&b, &x->shape, &nd->shape);
    for (size_t i = 0; i < n; i++) nd->data[i] = x->data[nn_bcast_offset(&b, i)];
}

static int broadcast_to_backward(nn_graph *g, int id, int gout, int *gin)
{
    gin[0] = nn_sum_to(g, gout, g->nodes[g->nodes[id].in[0]].shape);
    return gin[0] < 0 ? -1 : 0;
}

static int broadcast_to_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(3, 1), r, -1, 1);
    return nn_broadcast_to(g, x, nn_shape3(2, 3, 4));
}

const nn_op_def nn_def_sum_to = {"sum_to", 1, "sum x down to a broadcast-compatible shape", sum_to_infer,
                                 sum_to_forward, sum_to_backward, sum_to_check, NULL};
const nn_op_def nn_def_broadcast_to = {"broadcast_to", 1, "repeat x up to a broadcast shape", broadcast_to_infer,
                                       broadcast_to_forward, broadcast_to_backward, broadcast_to_check, NULL};

int nn_sum_to(nn_graph *g, int x, nn_shape s)
{
    if (x >= 0 && nn_shape_eq(&g->nodes[x].shape, &s)) return x;
    nn_attrs a = nn_shape_attrs(s);
    return nn_op(g, NN_OP_sum_to, &x, 1, &a);
}

int nn_broadcast_to(nn_graph *g, int x, nn_shape s)
{
    if (x >= 0 && nn_shape_eq(&g->nodes[x].shape, &s)) return x;
    nn_attrs a = nn_shape_attrs(s);
    return nn_op(g, NN_OP_broadcast_to, &x, 1, &a);
}
