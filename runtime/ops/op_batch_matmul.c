/* batch_matmul: A (..., M, K) x B (..., K, N) -> (..., M, N), one GEMM per batch entry.
 * The leading (batch) dims broadcast numpy-style: B (K, N) is shared by every entry (x W), A
 * (B,H,T,d) against B (B,1,d,T) repeats B over the heads. attrs i[0] = trans_a (A holds
 * (..., K, M)), i[1] = trans_b (B holds (..., N, K)).
 * Entries are spread over the threads by nn_batch_loop (kernels/batch_loop.h); a shared 2-D B
 * without trans_a is one GEMM over all batch rows instead. */
#include "../kernels/batch_loop.h"
#include "../kernels/broadcast.h"
#include "op_list.h"
#include "../core/parallel.h"

/* the leading dims of s (ndim - 2 of them, possibly none) */
static nn_shape batch_shape(const nn_shape *s)
{
    nn_shape b = {.ndim = s->ndim - 2};
    for (int i = 0; i < b.ndim; i++) b.d[i] = s->d[i];
    return b;
}

static const nn_shape *shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }

static int batch_matmul_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *a = shape_in(g, n, 0), *b = shape_in(g, n, 1);
    char sa[64], sb[64];
    if (a->ndim < 2 || b->ndim < 2)
        return nn_graph_fail(g, "batch_matmul needs inputs of at least 2 dims, got %s and %s", nn_shape_str(a, sa, sizeof sa),
                             nn_shape_str(b, sb, sizeof sb));
    int ta = n->a.i[0], tb = n->a.i[1], ra = a->ndim - 2, rb = b->ndim - 2;
    int m = a->d[ra + ta], ka = a->d[ra + !ta], kb = b->d[rb + tb], cols = b->d[rb + !tb];
    if (ka != kb)
        return nn_graph_fail(g, "batch_matmul: inner sizes differ: A %s%s has K = %d, B %s%s has K = %d",
                             nn_shape_str(a, sa, sizeof sa), ta ? " (transposed)" : "", ka, nn_shape_str(b, sb, sizeof sb),
                             tb ? " (transposed)" : "", kb);
    nn_shape ba = batch_shape(a), bb = batch_shape(b), out;
    if (nn_broadcast_shape(&ba, &bb, &out) < 0)
        return nn_graph_fail(g, "batch_matmul: the batch dims of %s and %s do not broadcast", nn_shape_str(a, sa, sizeof sa),
                             nn_shape_str(b, sb, sizeof sb));
    out.d[out.ndim++] = m;
    out.d[out.ndim++] = cols;
    n->shape = out;
    return 0;
}

typedef struct {
    const float *a, *b;
    float *c;
    int ta, tb, m, n, k;
    nn_bcast at_a, at_b;   /* batch entry -> the entry of A, of B */
} bmm_job;

static int bmm_entry(void *ctx, int i)
{
    const bmm_job *j = ctx;
    size_t mk = (size_t)j->m * j->k, kn = (size_t)j->k * j->n;
    const float *a = j->a + nn_bcast_offset(&j->at_a, (size_t)i) * mk, *b = j->b + nn_bcast_offset(&j->at_b, (size_t)i) * kn;
    nn_sgemm(j->ta, j->tb, j->m, j->n, j->k, 1.0f, a, j->ta ? j->m : j->k, b, j->tb ? j->k : j->n, 0.0f,
             j->c + (size_t)i * j->m * j->n, j->n);
    return 0;
}

static void batch_matmul_forward(nn_graph *g, nn_node *n)
{
    const nn_node *a = &g->nodes[n->in[0]], *b = &g->nodes[n->in[1]];
    int ta = n->a.i[0], tb = n->a.i[1], nd = n->shape.ndim;
    int m = n->shape.d[nd - 2], cols = n->shape.d[nd - 1], k = a->shape.d[a->shape.ndim - 2 + !ta];
    int entries = (int)(nn_shape_numel(&n->shape) / ((size_t)m * cols));
    if (b->shape.ndim == 2 && !ta) {   /* x W: A's entries are consecutive rows, one GEMM */
        nn_sgemm(0, tb, entries * m, cols, k, 1.0f, a->data, k, b->data, tb ? k : cols, 0.0f, n->data, cols);
        return;
    }
    bmm_job j = {.a = a->data, .b = b->data, .c = n->data, .ta = ta, .tb = tb, .m = m, .n = cols, .k = k};
    nn_shape ba = batch_shape(&a->shape), bb = batch_shape(&b->shape), bo = batch_shape(&n->shape);
    nn_bcast_make(&j.at_a, &ba, &bo);
    nn_bcast_make(&j.at_b, &bb, &bo);
    nn_batch_loop(entries, 2.0 * m * cols * k, bmm_entry, &j);
}

/* x as the rows of its last dim: (..., C) -> (numel / C, C) */
static int as_rows(nn_graph *g, int x)
{
    const nn_shape *s = &g->nodes[x].shape;
    int last = s->d[s->ndim - 1];
    return nn_reshape(g, x, nn_shape2((int)(nn_shape_numel(s) / (size_t)last), last));
}

/* d, a gradient with the output's batch dims, summed down to the input's shape */
static int to_input(nn_graph *g, int d, int input)
{
    return d < 0 ? -1 : nn_sum_to(g, d, g->nodes[input].shape);
}

/* C = op(A) op(B), per batch entry: dA = dC op(B)^T and dB = op(A)^T dC, arranged for each
 * input's layout (as matmul's rule) and summed over the batch dims the input was broadcast
 * along. A shared 2-D B (without trans_a) gets its gradient from one GEMM over all rows. */
static int batch_matmul_backward(nn_graph *g, int id, int gout, int *gin)
{
    int a = g->nodes[id].in[0], b = g->nodes[id].in[1];
    int ta = g->nodes[id].a.i[0], tb = g->nodes[id].a.i[1];
    gin[0] = to_input(g, ta ? nn_batch_matmul(g, b, gout, tb, 1) : nn_batch_matmul(g, gout, b, 0, !tb), a);
    int ra = a, rg = gout;
    if (g->nodes[b].shape.ndim == 2 && !ta) ra = as_rows(g, a), rg = as_rows(g, gout);
    gin[1] = to_input(g, tb ? nn_batch_matmul(g, rg, ra, 1, ta) : nn_batch_matmul(g, ra, rg, !ta, 0), b);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

/* B's batch (1,2) repeated over A's first batch dim: its gradient sums over it */
static int batch_matmul_check(nn_graph *g, nn_rng *r, int scale)
{
    int a = nn_test_input(g, nn_shape4(2 * scale, 2, 3 * scale, 4 * scale), r, -1, 1);
    int b = nn_test_input(g, nn_shape4(1, 2, 4 * scale, 5 * scale), r, -1, 1);
    return nn_batch_matmul(g, a, b, 0, 0);
}

static double batch_matmul_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *a = &g->nodes[n->in[0]].shape;
    return 2.0 * (double)nn_shape_numel(&n->shape) * a->d[a->ndim - 2 + !n->a.i[0]];
}

const nn_op_def nn_def_batch_matmul = {"batch_matmul", 2,
                                       "A (...,M,K) x B (...,K,N) -> (...,M,N), batch dims broadcast, optional transposes",
                                       batch_matmul_infer, batch_matmul_forward, batch_matmul_backward, batch_matmul_check,
                                       batch_matmul_flops};

int nn_batch_matmul(nn_graph *g, int a, int b, int trans_a, int trans_b)
{
    nn_attrs at = {.i = {trans_a, trans_b}};
    return nn_op(g, NN_OP_batch_matmul, (int[]){a, b}, 2, &at);
}
