/* rnn, lstm, gru as a spec builds them: each direction's parameters (PyTorch's names and
 * layout), the initial states, the fused op over time, the reverse direction, pooling over the
 * real steps (and last_over's last real step). A gru that attends is layer_attend_gru.c's. */
#include "build_internal.h"
#include "nn/ops.h"
#include <stdio.h>

/* Parameters per direction of a recurrent layer: w_ih, w_hh and one bias (PyTorch's b_ih + b_hh,
 * which add up), except for the GRU, which keeps both biases because b_hn sits inside r * (...). */
int recurrent_param_count(layer_kind k) { return k == LY_GRU ? 4 : 3; }

/* A parameter named `<layer>.<what><suffix>` (PyTorch's names). */
static int named_param(call_ctx *c, const layer_spec *l, const char *what, const char *suffix, nn_shape s)
{
    char name[SPEC_NAME_LEN + 24];
    snprintf(name, sizeof name, "%s%s", what, suffix);
    return call_param(c, l, name, s);
}

/* Parameters of one direction, created in a row so that their ids are w[0], w[0] + 1, ...
 * (initialise() relies on it): weight_ih (G*H, D), weight_hh (G*H, H), then bias (G*H) or, for
 * the GRU, bias_ih and bias_hh, with G the gate count (1; LSTM 4: i, f, g, o; GRU 3: r, z, n,
 * stacked as in PyTorch); suffix "" or "_reverse" (PyTorch's names for the reverse direction). */
void recurrent_params(call_ctx *c, const layer_spec *l, int d_in, const char *suffix, int *w)
{
    int rows = (l->kind == LY_LSTM ? 4 : l->kind == LY_GRU ? 3 : 1) * l->units;
    w[0] = named_param(c, l, "weight_ih", suffix, nn_shape2(rows, d_in));
    w[1] = named_param(c, l, "weight_hh", suffix, nn_shape2(rows, l->units));
    if (l->kind != LY_GRU) {
        w[2] = named_param(c, l, "bias", suffix, nn_shape1(rows));
        w[3] = -1;
        return;
    }
    w[2] = named_param(c, l, "bias_ih", suffix, nn_shape1(rows));
    w[3] = named_param(c, l, "bias_hh", suffix, nn_shape1(rows));
}

/* One direction over x (N,T,D): the layer kind's fused op with weights w (recurrent_params),
 * from the initial state h0 and (lstm) cell c0, (N,H) or -1 for zeros; out_mode
 * NN_RNN_ALL_STEPS -> (N,T,H), NN_RNN_LAST_STEP -> (N,H). */
static int recurrent_direction(nn_graph *g, const layer_spec *l, int x, const int *w, int mask, int h0, int c0, int out_mode)
{
    if (l->kind == LY_LSTM) return nn_lstm(g, x, w[0], w[1], w[2], mask, h0, c0, out_mode);
    if (l->kind == LY_GRU) return nn_gru(g, x, w[0], w[1], w[2], w[3], mask, h0, out_mode);
    return nn_rnn(g, x, w[0], w[1], w[2], mask, h0, l->rnn_relu ? NN_RNN_RELU : NN_RNN_TANH, out_mode);
}

int initial_state_of(call_ctx *c, int li, layer_ref_kind kind, int *node)
{
    const layer_spec *l = &c->net->layers[li];
    const char *name = l->refs[kind].name;
    nn_graph *g = c->m->g;
    *node = -1;
    if (!name[0]) return 0;
    int src = resolve_in_call(c, li, name);
    if (src < 0) return -1;
    const nn_shape *s = &g->nodes[src].shape;
    if (s->ndim != 2 || s->d[1] != l->units) {
        char b[64];
        return nn_graph_fail(g, "%s '%s' gives %s per sample, but the layer's state is [%d]%s",
                             kind == REF_INITIAL_CELL ? "initial_cell" : "initial_state", name, sample_shape_str(g, src, b, sizeof b),
                             l->units, s->ndim == 3 ? " (a sequence: last_over gives each one's last real step)" : "");
    }
    *node = src;
    return 0;
}

/* The reverse direction: the same op with its own weights over x and the mask flipped in time.
 * A padding step carries the state and outputs 0, so reversing the whole axis reverses every
 * sequence's real steps whatever the padding layout; the last output of the flipped run is the
 * state after the sequence's first real step (PyTorch's backward h_n). Every-step outputs are
 * flipped back so that step t of both directions lines up. */
static int recurrent_reverse(nn_graph *g, const layer_spec *l, int x, const int *w, int mask, int out_mode)
{
    int rmask = mask < 0 ? -1 : nn_flip(g, mask, 1);
    int y = recurrent_direction(g, l, nn_flip(g, x, 1), w, rmask, -1, -1, out_mode);
    return out_mode == NN_RNN_ALL_STEPS ? nn_flip(g, y, 1) : y;
}

int real_steps_mask(call_ctx *c, int li, const char *name, int n, int t)
{
    nn_graph *g = c->m->g;
    int src = resolve_in_call(c, li, name);
    if (src < 0) return -1;
    if (nn_numel(g, src) != (size_t)n * t) {
        char b[64];
        return nn_graph_fail(g, "mask '%s' must have one value per step, [%d] per sample; it has %s", name, t,
                             sample_shape_str(g, src, b, sizeof b));
    }
    return nn_step(g, nn_reshape(g, src, nn_shape2(n, t)));
}

#define PADDING_PENALTY 1e30f   /* added to padding steps' outputs so that no maximum picks them */

/* y (N,T,F) at each sequence's last real step -> (N,F): the last step without a mask (-1);
 * else y weighted by a selection (N,1,T) that is 1 at the last step whose mask is 1 (the one
 * with no real step after it, whatever the padding layout) and 0 elsewhere: a sequence with
 * no real step gives 0. The gradient reaches y through the product. */
static int last_real_step(nn_graph *g, int y, int mask)
{
    const nn_shape *ys = &g->nodes[y].shape;
    int n = ys->d[0], t = ys->d[1], f = ys->d[2];
    if (mask < 0) return nn_reshape(g, nn_slice(g, y, 1, t - 1, 1), nn_shape2(n, f));
    int later = nn_const(g, nn_shape2(t, t), 0.0f);   /* (T,T): row u is 1 at the steps v < u, which u comes after */
    if (later < 0) return -1;
    for (int u = 0; u < t; u++)
        for (int v = 0; v < u; v++) nn_data(g, later)[u * t + v] = 1.0f;
    int real_after = nn_matmul(g, mask, later, 0, 0);                                  /* (N,T) */
    int select = nn_mul(g, mask, nn_step(g, nn_affine(g, real_after, -1.0f, 0.5f)));   /* (N,T): 1 at the last real step */
    return nn_reshape(g, nn_batch_matmul(g, nn_reshape(g, select, nn_shape3(n, 1, t)), y, 0, 0), nn_shape2(n, f));
}

/* Every-step outputs y (N,T,F) pooled over the real steps (mask (N,T), 1 = real, or -1 = all
 * real) -> (N,F). mean: the sum over the real steps (padding outputs zeroed: a recurrent layer's
 * are 0 already, a Transformer's are not) over their count;
 * max: the maximum after pushing padding steps far below any output, so that a sequence whose
 * real outputs are all negative still gives its own maximum; last: the last real step's. A
 * sequence with no real step gives 0 in all three. */
int pool_real_steps(nn_graph *g, int y, int mask, int mode)
{
    if (mode == RNN_OUT_LAST) return last_real_step(g, y, mask);
    if (mask < 0) return mode == RNN_OUT_MEAN ? nn_mean_over(g, y, 1) : nn_max_over(g, y, 1);
    const nn_shape *ys = &g->nodes[y].shape;
    int n = ys->d[0], t = ys->d[1];
    int count = nn_sum_to(g, mask, nn_shape2(n, 1));               /* real steps (N,1) */
    int nonempty = nn_step(g, count);                              /* (N,1): 0 for no real step */
    if (mode == RNN_OUT_MEAN) {
        int at_least_1 = nn_add(g, count, nn_affine(g, nonempty, -1.0f, 1.0f));
        int real_y = nn_mul(g, y, nn_reshape(g, mask, nn_shape3(n, t, 1)));
        return nn_div(g, nn_affine(g, nn_mean_over(g, real_y, 1), (float)t, 0.0f), at_least_1);
    }
    int penalty = nn_reshape(g, nn_affine(g, mask, PADDING_PENALTY, -PADDING_PENALTY), nn_shape3(n, t, 1));
    return nn_mul(g, nn_max_over(g, nn_add(g, y, penalty), 1), nonempty);
}

/* rnn, lstm, gru: x (N,T,D) -> (N,T,H') for output: all, else (N,H'), H' = H or 2H when
 * bidirectional (forward features first, then the reverse direction's). The mask is 1 where the
 * named layer (the token ids, usually) is > 0, i.e. not padding. The forward direction starts
 * from initial_state (and initial_cell) when given (the spec refuses them with bidirectional).
 * The forward weights follow the
 * layer's `weight` and `bias` slots; all parameters are consecutive (see recurrent_params). */
int build_recurrent(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    int x = in[0];
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape x_shape = g->nodes[x].shape, *xs = &x_shape;   /* a copy: adding nodes may move g->nodes */
    if (xs->ndim != 3) {
        char b[64];
        return nn_graph_fail(g, "needs a sequence [steps, features] per sample, got %s", nn_shape_str(xs, b, sizeof b));
    }
    int h0, c0;
    if (initial_state_of(c, li, REF_INITIAL_STATE, &h0) < 0 || initial_state_of(c, li, REF_INITIAL_CELL, &c0) < 0) return -1;
    if (l->refs[REF_ATTEND].name[0]) return build_attend_gru(c, li, x, h0);
    int wf[4], wr[4];
    recurrent_params(c, l, xs->d[2], "", wf);
    if (l->rnn_bidir) recurrent_params(c, l, xs->d[2], "_reverse", wr);
    ctx_call(c)->weight[li] = wf[0];
    ctx_call(c)->bias[li] = wf[2];
    const char *mask_name = l->refs[REF_MASK].name;
    int mask = mask_name[0] ? real_steps_mask(c, li, mask_name, xs->d[0], xs->d[1]) : -1;
    if (mask_name[0] && mask < 0) return -1;
    int out = l->rnn_output == RNN_OUT_LAST ? NN_RNN_LAST_STEP : NN_RNN_ALL_STEPS;
    int y = recurrent_direction(g, l, x, wf, mask, h0, c0, out);
    if (l->rnn_bidir) {
        int both[2] = {y, recurrent_reverse(g, l, x, wr, mask, out)};
        y = nn_concat(g, both, 2, -1);
    }
    if (l->rnn_output == RNN_OUT_MEAN || l->rnn_output == RNN_OUT_MAX) y = pool_real_steps(g, y, mask, l->rnn_output);
    return y;
}

