/* Argument checks shared by the fused recurrent ops (op_rnn.c, op_lstm.c, op_gru.c). */
#include "recurrent.h"

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
    if (n->n_in > mask) {
        nn_node *m = &g->nodes[n->in[mask]];
        if (m->shape.ndim != 2 || m->shape.d[0] != s->d[0] || m->shape.d[1] != s->d[1])
            return nn_graph_fail(g, "%s: the mask must be (batch, time) = (%d, %d), got %s", name, s->d[0], s->d[1],
                                 nn_shape_str(&m->shape, b, sizeof b));
        m->no_grad = 1;
    }
    return 0;
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
