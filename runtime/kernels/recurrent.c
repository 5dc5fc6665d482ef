/* What the fused recurrent ops (op_rnn.c, op_lstm.c, op_gru.c) share beyond recurrent.h: argument
 * checks, the time loop's slices, last-step gradients and the recurrent weight gradient. */
#include "recurrent.h"
#include "../ops/op_list.h"
#include "../core/parallel.h"
#include "../core/pool.h"
#include <string.h>

int recurrent_check_seq(nn_graph *g, nn_node *n, int k, int per, int gates, const char *gate_names, int mask)
{
    const char *name = nn_op_def_at(n->op)->name;
    const nn_shape *s = recurrent_shape_in(g, n, k), *w = recurrent_shape_in(g, n, 1);
    char a[64], b[64];
    if (s->ndim != 3)
        return nn_graph_fail(g, "%s: expected a (batch, time, units) sequence, got %s", name, nn_shape_str(s, a, sizeof a));
    if (gates == 1 && (w->ndim != 2 || w->d[0] != s->d[2] / per || w->d[1] != s->d[2] / per))
        return nn_graph_fail(g, "%s: the recurrent weight must be (%d, %d) for %d units, got %s", name, s->d[2] / per,
                             s->d[2] / per, s->d[2] / per, nn_shape_str(w, b, sizeof b));
    if (w->ndim != 2 || w->d[0] != gates * w->d[1])
        return nn_graph_fail(g, "%s: the recurrent weight must be (%d x hidden, hidden)%s, got %s", name, gates, gate_names,
                             nn_shape_str(w, b, sizeof b));
    if (s->d[2] != per * w->d[1])
        return nn_graph_fail(g, "%s: input %d is %s, but the recurrent weight %s needs %d columns (%d x %d hidden units)", name,
                             k, nn_shape_str(s, a, sizeof a), nn_shape_str(w, b, sizeof b), per * w->d[1], per, w->d[1]);
    if (n->n_in - recurrent_has_init(n) > mask) {
        nn_node *m = &g->nodes[n->in[mask]];
        if (m->shape.ndim != 2 || m->shape.d[0] != s->d[0] || m->shape.d[1] != s->d[1])
            return nn_graph_fail(g, "%s: the mask must be (batch, time) = (%d, %d), got %s", name, s->d[0], s->d[1],
                                 nn_shape_str(&m->shape, b, sizeof b));
        m->no_grad = 1;
    }
    return 0;
}

int recurrent_check_init(nn_graph *g, nn_node *n, int N, int width, const char *layout)
{
    if (!recurrent_has_init(n)) return 0;
    const nn_shape *s = recurrent_shape_in(g, n, n->n_in - 1);
    if (s->ndim == 2 && s->d[0] == N && s->d[1] == width) return 0;
    char b[64];
    return nn_graph_fail(g, "%s: the initial state must be (batch, %s) = (%d, %d), got %s", nn_op_def_at(n->op)->name, layout, N,
                         width, nn_shape_str(s, b, sizeof b));
}

int recurrent_inputs(int *in, int n_own, int mask, int init, nn_attrs *a)
{
    int n = n_own;
    if (mask >= 0) in[n++] = mask;
    if (init >= 0) in[n++] = init;
    a->i[RECURRENT_ATTR_INIT] = init >= 0;
    return n;
}

int recurrent_check_layer(nn_graph *g, const char *name, int x, int out_mode)
{
    const nn_shape *xs = &g->nodes[x].shape;
    char buf[64];
    if (xs->ndim != 3)
        return nn_graph_fail(g, "%s: the input must be (batch, time, features), got %s", name, nn_shape_str(xs, buf, sizeof buf));
    if (out_mode != NN_RNN_ALL_STEPS && out_mode != NN_RNN_LAST_STEP)
        return nn_graph_fail(g, "%s: output mode must be 0 (all steps) or 1 (last real step), got %d", name, out_mode);
    return 0;
}

int recurrent_check_state(nn_graph *g, const char *name, const char *what, int state, int N, int H)
{
    if (state < 0) return 0;
    const nn_shape *s = &g->nodes[state].shape;
    if (s->ndim == 2 && s->d[0] == N && s->d[1] == H) return 0;
    char buf[64];
    return nn_graph_fail(g, "%s: the initial state %s must be (batch, hidden) = (%d, %d), got %s", name, what, N, H,
                         nn_shape_str(s, buf, sizeof buf));
}

typedef struct {
    recurrent_slice_fn fn;
    const void *ctx;
    int n, slices;
} slices_job;

static void slice_chunk(const void *p, size_t chunk)
{
    const slices_job *j = p;
    int s0, s1;
    recurrent_slice(j->n, (int)chunk, j->slices, &s0, &s1);
    j->fn(j->ctx, s0, s1);
}

void recurrent_for_slices(int N, double step_flops, recurrent_slice_fn fn, const void *ctx)
{
    int slices = N / RECURRENT_MIN_ROWS < RECURRENT_MAX_SLICES ? N / RECURRENT_MIN_ROWS : RECURRENT_MAX_SLICES;
    if (step_flops < RECURRENT_SPLIT_FLOPS || slices < 2 || nn_pool_threads() < 2) {
        fn(ctx, 0, N);
        return;
    }
    nn_pool_run((size_t)slices, slice_chunk, &(slices_job){fn, ctx, N, slices});
}

int recurrent_grad_rows(nn_graph *g, int grad)
{
    int t1 = g->nodes[grad].shape.d[1];
    return nn_slice(g, grad, 1, 1, t1 - 1);
}

int recurrent_grad_init(nn_graph *g, int grad, int width)
{
    int n = g->nodes[grad].shape.d[0];
    return nn_reshape(g, nn_slice(g, nn_slice(g, grad, 1, 0, 1), 2, 0, width), nn_shape2(n, width));
}

/* pad_axis attributes (op_concat.c): i[0] = axis, i[1] = start, i[2] = full length */
int recurrent_last_step_only(nn_graph *g, int gout)
{
    const nn_node *p = &g->nodes[gout];
    if (p->kind != NN_NODE_OP || p->op != NN_OP_pad_axis || p->shape.ndim != 3) return gout;
    int full = p->a.i[2];
    if (p->a.i[0] != 1 || p->a.i[1] != full - 1 || g->nodes[p->in[0]].shape.d[1] != 1) return gout;
    return p->in[0];
}

int recurrent_check_gstates(nn_graph *g, nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0), *gs = recurrent_shape_in(g, n, 2);
    if (nn_shape_eq(s, gs)) return 0;
    if (gs->ndim == 3 && gs->d[0] == s->d[0] && gs->d[1] == 1 && gs->d[2] == s->d[2]) return 0;
    char a[64], b[64];
    return nn_graph_fail(g, "%s: the states %s and their gradient %s differ in shape (the gradient may also be of the last step alone, (%d, 1, %d))",
                         nn_op_def_at(n->op)->name, nn_shape_str(s, a, sizeof a), nn_shape_str(gs, b, sizeof b), s->d[0], s->d[2]);
}

int recurrent_states_backward(nn_graph *g, int id, int gout, int *gin, int grad_op, int whh_op, int init_width)
{
    const nn_node *n = &g->nodes[id];
    nn_attrs attrs = n->a;   /* copies: adding nodes may move g->nodes */
    int n_in = n->n_in, init = recurrent_has_init(n) ? n->in[n_in - 1] : -1;
    int in[NN_MAX_INPUTS] = {id, n->in[1], gout};
    for (int k = 2; k < n_in; k++) in[k + 1] = n->in[k];   /* the mask and the initial state */
    int d = nn_op(g, grad_op, in, n_in + 1, &attrs);
    int dpre = init < 0 || d < 0 ? d : recurrent_grad_rows(g, d);
    gin[0] = dpre;
    gin[1] = nn_op(g, whh_op, (int[]){id, dpre, init}, init < 0 ? 2 : 3, &attrs);
    if (init >= 0 && (gin[n_in - 1] = recurrent_grad_init(g, d, init_width)) < 0) return -1;
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

void recurrent_whh_grad(const float *d, int G, int ldd, const float *h, int ldh, int N, int T, int H, const float *h0, int ld0,
                        float *out)
{
    int rows = N * T - 1;
    size_t seq = (size_t)T * ldd;
    float beta = 0.0f;
    if (rows <= 0) {
        memset(out, 0, (size_t)G * H * sizeof(float));
    } else {
        if (N > 1) {   /* minus the pairs (dpre[n,0], h[n-1,T-1]) that straddle two sequences */
            nn_sgemm(1, 0, G, H, N - 1, -1.0f, d + seq, (int)seq, h + (size_t)(T - 1) * ldh, T * ldh, 0.0f, out, H);
            beta = 1.0f;
        }
        nn_sgemm(1, 0, G, H, rows, 1.0f, d + ldd, ldd, h, ldh, beta, out, H);   /* the pairs (dpre[r], h[r-1]), r >= 1 */
    }
    if (h0) nn_sgemm(1, 0, G, H, N, 1.0f, d, (int)seq, h0, ld0, 1.0f, out, H);   /* the pairs (dpre[n,0], h0[n]) */
}
