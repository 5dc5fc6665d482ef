/* Embedding lookup and its gradient, a pair closed under differentiation.
 *   embedding(ids, table): ids (...) of token ids stored as floats (up to 3 dims, e.g. (N,T)),
 *     table (V,D) -> (..., D): row ids[p] of the table at each position p.
 *   embedding_grad(ids, h): h (..., D) -> (V,D): h's rows scatter-added into the rows their
 *     ids name (d embedding / d table).
 * attrs i[0] = padding_id (-1 = none); embedding_grad also i[1] = V.
 * Positions holding padding_id read a zero vector and send no gradient: this is PyTorch's
 * padding_idx with its zero-initialised row, made exact, so the two ops are each other's
 * transpose and the padding row of the table is never read nor updated by a gradient.
 * An id that is not an integer in [0, V) (or NaN) gives a NaN row, which the trainer's NaN
 * check reports; embedding_grad skips such positions (the loss is NaN already).
 * ids are never differentiated (piecewise constant); the ops mark them no_grad. */
#include "op_list.h"
#include "../core/parallel.h"
#include <math.h>
#include <string.h>

/* The row an id names, -1 for padding, -2 for an invalid id. */
static long row_of(float id, int vocab, int padding_id)
{
    if (!(id >= 0.0f && id < (float)vocab)) return -2;   /* also rejects NaN */
    long k = (long)id;
    if ((float)k != id) return -2;
    return k == padding_id ? -1 : k;
}

static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

static int ids_check(nn_graph *g, nn_node *n)
{
    nn_node *ids = &g->nodes[n->in[0]];
    const char *name = nn_op_def_at(n->op)->name;
    if (ids->shape.ndim > NN_MAX_DIMS - 1) {
        char b[64];
        return nn_graph_fail(g, "%s: ids may have at most %d dims (e.g. (batch, time)), got %s", name, NN_MAX_DIMS - 1,
                             nn_shape_str(&ids->shape, b, sizeof b));
    }
    if (n->a.i[0] < -1) return nn_graph_fail(g, "%s: padding_id must be a token id or -1 for none, got %d", name, n->a.i[0]);
    ids->no_grad = 1;
    return 0;
}

/* ---- embedding(ids, table) -> (..., D) ---- */
static int embedding_infer(nn_graph *g, nn_node *n)
{
    if (ids_check(g, n) < 0) return -1;
    const nn_shape *t = shape_in(g, n, 1);
    if (t->ndim != 2) {
        char b[64];
        return nn_graph_fail(g, "embedding: the table must be 2-D (vocabulary, dim), got %s", nn_shape_str(t, b, sizeof b));
    }
    n->shape = *shape_in(g, n, 0);
    n->shape.d[n->shape.ndim++] = t->d[1];
    return 0;
}

static void lookup_row(float *y, const float *table, long k, size_t dim)
{
    if (k >= 0)
        memcpy(y, table + (size_t)k * dim, dim * sizeof(float));
    else
        for (size_t j = 0; j < dim; j++) y[j] = k == -1 ? 0.0f : NAN;
}

/* What the pool's chunks of either op read and write (parallel.h). */
typedef struct {
    float *y;
    const float *ids, *src;   /* src: the table (lookup) or h (scatter) */
    size_t pos, dim;
    int vocab, pad;
} embed_ctx;

static void lookup_rows(const void *p, size_t lo, size_t hi)
{
    const embed_ctx *c = p;
    for (size_t q = lo; q < hi; q++) lookup_row(c->y + q * c->dim, c->src, row_of(c->ids[q], c->vocab, c->pad), c->dim);
}

static void embedding_forward(nn_graph *g, nn_node *n)
{
    const nn_node *ids = &g->nodes[n->in[0]], *t = &g->nodes[n->in[1]];
    size_t pos = nn_shape_numel(&ids->shape), dim = (size_t)t->shape.d[1];
    nn_par_items(pos, dim, lookup_rows, &(embed_ctx){n->data, ids->data, t->data, pos, dim, t->shape.d[0], n->a.i[0]});
}

/* d/dtable = embedding_grad(ids, gout) */
static int embedding_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_node *n = &g->nodes[id];
    nn_attrs a = {.i = {n->a.i[0], g->nodes[n->in[1]].shape.d[0]}};
    gin[0] = -1;
    gin[1] = nn_op(g, NN_OP_embedding_grad, (int[]){n->in[0], gout}, 2, &a);
    return gin[1] < 0 ? -1 : 0;
}

/* ---- embedding_grad(ids, h) -> (V, D) ---- */
static int embedding_grad_infer(nn_graph *g, nn_node *n)
{
    if (ids_check(g, n) < 0) return -1;
    const nn_shape *ids = shape_in(g, n, 0), *h = shape_in(g, n, 1);
    int same = h->ndim == ids->ndim + 1;
    for (int i = 0; same && i < ids->ndim; i++) same = h->d[i] == ids->d[i];
    if (!same) {
        char a[64], b[64];
        return nn_graph_fail(g, "embedding_grad: h must have the ids' shape %s plus one trailing dim, got %s",
                             nn_shape_str(ids, a, sizeof a), nn_shape_str(h, b, sizeof b));
    }
    if (n->a.i[1] < 1) return nn_graph_fail(g, "embedding_grad: the vocabulary size must be >= 1, got %d", n->a.i[1]);
    n->shape = nn_shape2(n->a.i[1], h->d[h->ndim - 1]);
    return 0;
}

/* Adds, for columns [c0, c1), every valid position's row of h into the row its id names. */
static void scatter_columns(float *y, const float *ids, const float *h, size_t pos, size_t dim, int vocab, int pad,
                            size_t c0, size_t c1)
{
    for (size_t p = 0; p < pos; p++) {
        long k = row_of(ids[p], vocab, pad);
        if (k < 0) continue;
        float *yr = y + (size_t)k * dim;
        const float *hr = h + p * dim;
#pragma omp simd
        for (size_t c = c0; c < c1; c++) yr[c] += hr[c];
    }
}

/* The whole (V,D) result is written: the planner may hand this buffer to other nodes between
 * steps, so no row can be assumed still zero. Large cases split the clear by rows and the
 * scatter by column blocks, so no two threads ever add into the same element. */
#define SCATTER_COLS 32

static void clear_rows(const void *p, size_t lo, size_t hi)
{
    const embed_ctx *c = p;
    memset(c->y + lo * c->dim, 0, (hi - lo) * c->dim * sizeof(float));
}

/* column blocks [lo, hi) of SCATTER_COLS columns */
static void scatter_blocks(const void *p, size_t lo, size_t hi)
{
    const embed_ctx *c = p;
    size_t c1 = hi * SCATTER_COLS < c->dim ? hi * SCATTER_COLS : c->dim;
    scatter_columns(c->y, c->ids, c->src, c->pos, c->dim, c->vocab, c->pad, lo * SCATTER_COLS, c1);
}

static void embedding_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_node *ids = &g->nodes[n->in[0]], *h = &g->nodes[n->in[1]];
    size_t pos = nn_shape_numel(&ids->shape), dim = (size_t)n->shape.d[1], vocab = (size_t)n->shape.d[0];
    embed_ctx c = {n->data, ids->data, h->data, pos, dim, (int)vocab, n->a.i[0]};
    nn_par_items(vocab, dim, clear_rows, &c);
    nn_par_items((dim + SCATTER_COLS - 1) / SCATTER_COLS, pos * SCATTER_COLS, scatter_blocks, &c);
}

/* embedding_grad is linear in h; its transpose is the lookup: d/dh = embedding(ids, gout). */
static int embedding_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_node *n = &g->nodes[id];
    gin[0] = -1;
    gin[1] = nn_embedding(g, n->in[0], gout, n->a.i[0]);
    return gin[1] < 0 ? -1 : 0;
}

/* ---- fixtures: ids (2,3) over V = 5 with a repeated id and padding id 2; scaled, ids
 * (2s,3s) over V = 5s, each base id b spread over b s .. b s + s - 1, padding id 2s ---- */
static int check_ids(nn_graph *g, int scale)
{
    static const float base[6] = {1, 2, 4, 1, 0, 2};
    int ids = nn_input(g, nn_shape2(2 * scale, 3 * scale), "ids");
    if (ids < 0) return -1;
    for (int i = 0; i < 6 * scale * scale; i++) nn_data(g, ids)[i] = base[i % 6] * (float)scale + (float)(i / 6 % scale);
    g->nodes[ids].no_grad = 1;
    return ids;
}

static int embedding_check(nn_graph *g, nn_rng *r, int scale)
{
    int ids = check_ids(g, scale);
    return nn_embedding(g, ids, nn_test_input(g, nn_shape2(5 * scale, 4 * scale), r, -1, 1), 2 * scale);
}

static int embedding_grad_check(nn_graph *g, nn_rng *r, int scale)
{
    int ids = check_ids(g, scale);
    nn_attrs a = {.i = {2 * scale, 5 * scale}};
    int h = nn_test_input(g, nn_shape3(2 * scale, 3 * scale, 4 * scale), r, -1, 1);
    return nn_op(g, NN_OP_embedding_grad, (int[]){ids, h}, 2, &a);
}

static double grad_flops(nn_graph *g, const nn_node *n) { return (double)nn_shape_numel(&g->nodes[n->in[1]].shape); }

const nn_op_def nn_def_embedding = {"embedding", 2,
                                    "(ids (...), table (V,D)) -> (..., D): table rows named by ids (padding id reads zeros)",
                                    embedding_infer, embedding_forward, embedding_backward, embedding_check, NULL};
const nn_op_def nn_def_embedding_grad = {"embedding_grad", 2,
                                         "(ids, h (..., D)) -> (V,D): rows of h summed into the rows their ids name",
                                         embedding_grad_infer, embedding_grad_forward, embedding_grad_backward,
                                         embedding_grad_check, grad_flops};

int nn_embedding(nn_graph *g, int ids, int table, int padding_id)
{
    nn_attrs a = {.i = {padding_id}};
    return nn_op(g, NN_OP_embedding, (int[]){ids, table}, 2, &a);
}
