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

/* b's shape equals the trailing dims of the output (bias rows, per-feature scales). */
static int is_suffix(const nn_shape *b, const nn_shape *out)
{
    if (b->ndim > out->ndim) return 0;
    for (int i = 0; i < b->ndim; i++)
        if (b->d[b->ndim - 1 - i] != out->d[out->ndim - 1 - i]) return 0;
    return 1;
}

/* The loops run on the pool, in chunks (parallel.h). The common cases get flat loops the
 * compiler vectorises; the rest walk strides. */
typedef struct {
    const float *a, *b;
    float *o;
    size_t row;         /* rows: b's length, repeated along the output's rows */
    size_t bm, bi;      /* blocks: one value of the small side per block of bi floats, bm of them;
                           holes: bm blocks of bi floats share one row of bi of the small side */
    nn_bcast ba, bb;    /* strided: both inputs' walkers */
} binary_ctx;

/* For one op: its loop over equal shapes, over rows of a (b a suffix), over blocks of a with
 * one b value each, over blocks of b with one a value each, and the strided walk. */
#define BINARY_CHUNK_FNS(op, EXPR)                                                           \
    NN_PAR_CHUNK_FN(op##_flat, binary_ctx, c, i, float x = c->a[i], y = c->b[i]; c->o[i] = (EXPR);) \
    static void op##_rows(const void *p, size_t lo, size_t hi)                               \
    {                                                                                        \
        const binary_ctx *c = p;                                                             \
        for (size_t r = lo; r < hi; r++) {                                                   \
            const float *ar = c->a + r * c->row, *B = c->b;                                  \
            float *orow = c->o + r * c->row;                                                 \
            _Pragma("omp simd")                                                              \
            for (size_t i = 0; i < c->row; i++) { float x = ar[i], y = B[i]; orow[i] = (EXPR); } \
        }                                                                                    \
    }                                                                                        \
    static void op##_b_blocks(const void *p, size_t lo, size_t hi)                           \
    {                                                                                        \
        const binary_ctx *c = p;                                                             \
        for (size_t q = lo; q < hi; q++) {                                                   \
            const float y = c->b[q % c->bm], *ar = c->a + q * c->bi;                         \
            float *orow = c->o + q * c->bi;                                                  \
            _Pragma("omp simd")                                                              \
            for (size_t i = 0; i < c->bi; i++) { float x = ar[i]; orow[i] = (EXPR); }        \
        }                                                                                    \
    }                                                                                        \
    static void op##_a_blocks(const void *p, size_t lo, size_t hi)                           \
    {                                                                                        \
        const binary_ctx *c = p;                                                             \
        for (size_t q = lo; q < hi; q++) {                                                   \
            const float x = c->a[q % c->bm], *br = c->b + q * c->bi;                         \
            float *orow = c->o + q * c->bi;                                                  \
            _Pragma("omp simd")                                                              \
            for (size_t i = 0; i < c->bi; i++) { float y = br[i]; orow[i] = (EXPR); }        \
        }                                                                                    \
    }                                                                                        \
    static void op##_b_hole(const void *p, size_t lo, size_t hi)                             \
    {                                                                                        \
        const binary_ctx *c = p;                                                             \
        for (size_t q = lo; q < hi; q++) {                                                   \
            const float *ar = c->a + q * c->bi, *B = c->b + (q / c->bm) * c->bi;             \
            float *orow = c->o + q * c->bi;                                                  \
            _Pragma("omp simd")                                                              \
            for (size_t i = 0; i < c->bi; i++) { float x = ar[i], y = B[i]; orow[i] = (EXPR); } \
        }                                                                                    \
    }                                                                                        \
    static void op##_a_hole(const void *p, size_t lo, size_t hi)                             \
    {                                                                                        \
        const binary_ctx *c = p;                                                             \
        for (size_t q = lo; q < hi; q++) {                                                   \
            const float *A = c->a + (q / c->bm) * c->bi, *br = c->b + q * c->bi;             \
            float *orow = c->o + q * c->bi;                                                  \
            _Pragma("omp simd")                                                              \
            for (size_t i = 0; i < c->bi; i++) { float x = A[i], y = br[i]; orow[i] = (EXPR); } \
        }                                                                                    \
    }                                                                                        \
    static void op##_strided(const void *p, size_t lo, size_t hi)                            \
    {                                                                                        \
        const binary_ctx *c = p;                                                             \
        for (size_t i = lo; i < hi; i++) {                                                   \
            float x = c->a[nn_bcast_offset(&c->ba, i)], y = c->b[nn_bcast_offset(&c->bb, i)]; \
            c->o[i] = (EXPR);                                                                \
        }                                                                                    \
    }

BINARY_CHUNK_FNS(add, x + y)
BINARY_CHUNK_FNS(sub, x - y)
BINARY_CHUNK_FNS(mul, x * y)
BINARY_CHUNK_FNS(div, x / y)

typedef struct {
    nn_par_range_fn flat, rows, b_blocks, a_blocks, b_hole, a_hole, strided;
} binary_loops;

#define BINARY_LOOPS(op) {op##_flat, op##_rows, op##_b_blocks, op##_a_blocks, op##_b_hole, op##_a_hole, op##_strided}
static const binary_loops add_loops = BINARY_LOOPS(add), sub_loops = BINARY_LOOPS(sub), mul_loops = BINARY_LOOPS(mul),
                          div_loops = BINARY_LOOPS(div);

static void binary_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *an = &g->nodes[nd->in[0]], *bn = &g->nodes[nd->in[1]];
    size_t n = nn_shape_numel(&nd->shape), na = nn_shape_numel(&an->shape), nb = nn_shape_numel(&bn->shape);
    const binary_loops *L = nd->op == NN_OP_add ? &add_loops : nd->op == NN_OP_sub ? &sub_loops
                          : nd->op == NN_OP_mul ? &mul_loops : &div_loops;
    binary_ctx c = {.a = an->data, .b = bn->data, .o = nd->data};
    size_t bo;   /* blocks: outer count (the loop runs over outer x mid blocks) */
    if (na == n && nb == n) {
        nn_par_for(n, L->flat, &c);
    } else if (na == n && n % nb == 0 && is_suffix(&bn->shape, &nd->shape)) {
        c.row = nb;
        nn_par_items(n / nb, nb, L->rows, &c);
    } else if (na == n && nn_bcast_blocks(&bn->shape, &nd->shape, &bo, &c.bm, &c.bi)) {
        nn_par_items(bo * c.bm, c.bi, L->b_blocks, &c);
    } else if (nb == n && nn_bcast_blocks(&an->shape, &nd->shape, &bo, &c.bm, &c.bi)) {
        nn_par_items(bo * c.bm, c.bi, L->a_blocks, &c);
    } else if (na == n && nn_bcast_hole(&bn->shape, &nd->shape, &bo, &c.bm, &c.bi)) {
        nn_par_items(bo * c.bm, c.bi, L->b_hole, &c);
    } else if (nb == n && nn_bcast_hole(&an->shape, &nd->shape, &bo, &c.bm, &c.bi)) {
        nn_par_items(bo * c.bm, c.bi, L->a_hole, &c);
    } else {
        nn_bcast_make(&c.ba, &an->shape, &nd->shape);
        nn_bcast_make(&c.bb, &bn->shape, &nd->shape);
        nn_par_for(n, L->strided, &c);
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

static int binary_check(nn_graph *g, nn_rng *r, int scale, int op)
{
    /* a (3,4) against b (4): exercises broadcasting and its reduction in the gradient */
    int a = nn_test_input(g, nn_shape2(3 * scale, 4 * scale), r, 0.5f, 2.0f);
    int b = nn_test_input(g, nn_shape1(4 * scale), r, 0.5f, 2.0f);
    return nn_op(g, op, (int[]){a, b}, 2, NULL);
}
static int add_check(nn_graph *g, nn_rng *r, int scale) { return binary_check(g, r, scale, NN_OP_add); }
static int sub_check(nn_graph *g, nn_rng *r, int scale) { return binary_check(g, r, scale, NN_OP_sub); }
static int mul_check(nn_graph *g, nn_rng *r, int scale) { return binary_check(g, r, scale, NN_OP_mul); }
static int div_check(nn_graph *g, nn_rng *r, int scale) { return binary_check(g, r, scale, NN_OP_div); }

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

/* sum_to's per-channel sums: channel m of bm adds bi floats from each of bo blocks, in double
 * across blocks (each channel one item of the loop, so the sums never depend on the split). */
typedef struct {
    const float *x;
    float *o;
    size_t bo, bm, bi;
} channel_sum_ctx;

static void channel_sum_chunk(const void *p, size_t lo, size_t hi)
{
    const channel_sum_ctx *c = p;
    for (size_t m = lo; m < hi; m++) {
        double acc = 0;
        for (size_t q = 0; q < c->bo; q++) {
            const float *xr = c->x + (q * c->bm + m) * c->bi;
            float part = 0;
#pragma omp simd reduction(+ : part)
            for (size_t i = 0; i < c->bi; i++) part += xr[i];
            acc += part;
        }
        c->o[m] = (float)acc;
    }
}

/* o[q, :] = sum over m of x[q, m, :], m in order (the strided loop's order: the same bits) */
static void hole_sum_chunk(const void *p, size_t lo, size_t hi)
{
    const channel_sum_ctx *c = p;
    for (size_t q = lo; q < hi; q++) {
        float *orow = c->o + q * c->bi;
        for (size_t m = 0; m < c->bm; m++) {
            const float *xr = c->x + (q * c->bm + m) * c->bi;
#pragma omp simd
            for (size_t i = 0; i < c->bi; i++) orow[i] += xr[i];
        }
    }
}

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
    channel_sum_ctx c = {.x = X, .o = o};
    if (nn_bcast_blocks(&nd->shape, &x->shape, &c.bo, &c.bm, &c.bi)) {   /* per-channel sums */
        nn_par_items(c.bm, c.bo * c.bi, channel_sum_chunk, &c);
        return;
    }
    if (nn_bcast_hole(&nd->shape, &x->shape, &c.bo, &c.bm, &c.bi)) {   /* sums over middle axes */
        nn_par_items(c.bo, c.bm * c.bi, hole_sum_chunk, &c);
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

static int sum_to_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape3(2 * scale, 3 * scale, 4 * scale), r, -1, 1);
    return nn_sum_to(g, x, nn_shape3(2 * scale, 1, 4 * scale));
}

typedef struct {
    const float *x;
    float *y;
    size_t bm, bi;
} spread_ctx;

/* blocks q of bi floats, each filled with x[q % bm] */
static void spread_chunk(const void *p, size_t lo, size_t hi)
{
    const spread_ctx *c = p;
    for (size_t q = lo; q < hi; q++) {
        const float v = c->x[q % c->bm];
        float *row = c->y + q * c->bi;
#pragma omp simd
        for (size_t i = 0; i < c->bi; i++) row[i] = v;
    }
}

static void broadcast_to_forward(nn_graph *g, nn_node *nd)
{
    const nn_node *x = &g->nodes[nd->in[0]];
    size_t n = nn_shape_numel(&nd->shape), bo;
    spread_ctx c = {.x = x->data, .y = nd->data};
    if (nn_bcast_blocks(&x->shape, &nd->shape, &bo, &c.bm, &c.bi)) {
        nn_par_items(bo * c.bm, c.bi, spread_chunk, &c);
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

static int broadcast_to_check(nn_graph *g, nn_rng *r, int scale)
{
    int x = nn_test_input(g, nn_shape2(3 * scale, 1), r, -1, 1);
    return nn_broadcast_to(g, x, nn_shape3(2 * scale, 3 * scale, 4 * scale));
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
