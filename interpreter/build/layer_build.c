/* Layers to ops: one builder per layer kind, the parameters they create through the net's
 * parameter cursor (call_param), and PyTorch's default initialisation per kind. */
#include "build_internal.h"
#include "nn/init.h"
#include "nn/ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void layer_error(const call_ctx *c, const layer_spec *l, nn_graph *g)
{
    const char *kind = l->kind == LY_ACTIVATION ? act_kind_name(l->act) : layer_kind_name(l->kind);
    if (c->m->s->single)
        diag_error_at(c->d, l->pos.file, l->pos.line, l->pos.col, "layer '%s' (%s): %s", l->name, kind, g->err);
    else
        diag_error_at(c->d, l->pos.file, l->pos.line, l->pos.col, "net %s, layer '%s' (%s): %s", c->net->name, l->name, kind,
                      g->err);
    g->err[0] = 0;
}

/* A layer's `from:` or mask: one of the call's inputs or an earlier layer of the call (names
 * were checked with the spec). */
static int resolve_in_call(call_ctx *c, int upto, const char *name)
{
    for (int k = 0; k < c->net->n_inputs; k++)
        if (strcmp(c->net->inputs[k].name, name) == 0) return ctx_call(c)->in[k];
    int k = net_find_layer(c->net, name);
    if (k >= 0 && k < upto) return ctx_call(c)->out[k];
    return nn_graph_fail(c->m->g, "unknown layer '%s'", name);
}

int add_side_effect(model_graph *m, int node, int call)
{
    if (m->n_side_effects == m->cap_side_effects) {
        int cap = m->cap_side_effects ? 2 * m->cap_side_effects : 16;
        int *a = realloc(m->side_effects, (size_t)cap * sizeof *a);
        if (!a) return -1;
        m->side_effects = a;
        int *b = realloc(m->side_effect_call, (size_t)cap * sizeof *b);
        if (!b) return -1;
        m->side_effect_call = b;
        m->cap_side_effects = cap;
    }
    m->side_effects[m->n_side_effects] = node;
    m->side_effect_call[m->n_side_effects++] = call;
    return node;
}

int call_param(call_ctx *c, const layer_spec *l, const char *what, nn_shape shape)
{
    net_params *np = &c->m->nets[c->net_index];
    nn_graph *g = c->m->g;
    if (np->created) {   /* a later call: the same parameters, in the order the first call made them */
        if (np->cursor >= np->n) return nn_graph_fail(g, "internal: net %s asks for more parameters than its first call", c->net->name);
        int id = np->ids[np->cursor++];
        if (!nn_shape_eq(&g->nodes[id].shape, &shape)) {
            char a[64], b[64];
            return nn_graph_fail(g, "%s called on inputs that give %s a shape %s but its first call gave %s", c->net->name,
                                 g->nodes[id].label, nn_shape_str(&shape, a, sizeof a),
                                 nn_shape_str(&g->nodes[id].shape, b, sizeof b));
        }
        return id;
    }
    char name[3 * SPEC_NAME_LEN];
    if (c->m->s->single) snprintf(name, sizeof name, "%s.%s", l->name, what);
    else snprintf(name, sizeof name, "%s.%s.%s", c->net->name, l->name, what);
    int *ids = realloc(np->ids, (size_t)(np->n + 1) * sizeof *ids);
    if (!ids) return nn_graph_fail(g, "out of memory");
    np->ids = ids;
    return np->ids[np->n++] = nn_param(g, shape, name);
}

static int apply_act(nn_graph *g, int x, act_kind a, float param)
{
    switch (a) {
    case ACT_NONE: return x;
    case ACT_RELU: return nn_relu(g, x);
    case ACT_LEAKY_RELU: return nn_leaky_relu(g, x, param);
    case ACT_ELU: return nn_elu(g, x, param);
    case ACT_SELU: return nn_selu(g, x);
    case ACT_GELU: return nn_gelu(g, x);
    case ACT_SIGMOID: return nn_sigmoid(g, x);
    case ACT_TANH: return nn_tanh(g, x);
    case ACT_SOFTMAX: return nn_softmax(g, x);
    case ACT_LOG_SOFTMAX: return nn_log_softmax(g, x);
    }
    return -1;
}

/* The layer's parameters "<layer>.weight" (shape w) and, if it has one, "<layer>.bias" (units);
 * returns the bias node or -1. */
static int weight_and_bias(call_ctx *c, int li, const layer_spec *l, nn_shape w, int units)
{
    ctx_call(c)->weight[li] = call_param(c, l, "weight", w);
    if (!l->bias) return -1;
    return ctx_call(c)->bias[li] = call_param(c, l, "bias", nn_shape1(units));
}

static int build_dense(call_ctx *c, int li, int x)
{
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    int fan_in = xs->d[xs->ndim - 1];
    int b = weight_and_bias(c, li, l, nn_shape2(l->units, fan_in), l->units);
    int y = nn_dense(g, x, ctx_call(c)->weight[li], b);
    return apply_act(g, y, l->act, l->act_param);
}

/* The layer's activation when a convolution can apply it to its output itself (one pass over
 * memory fewer); kind NN_FUSED_NONE otherwise, and apply_act builds it as its own op. */
static nn_fused_act fusable_act(act_kind a, float param)
{
    switch (a) {
    case ACT_RELU: return (nn_fused_act){NN_FUSED_LEAKY_RELU, 0.0f, 0.0f};
    case ACT_LEAKY_RELU: return (nn_fused_act){param >= 0.0f ? NN_FUSED_LEAKY_RELU : NN_FUSED_NONE, param, 0.0f};
    case ACT_ELU: return (nn_fused_act){param > 0.0f ? NN_FUSED_ELU : NN_FUSED_NONE, param, 1.0f};
    case ACT_SELU: return (nn_fused_act){NN_FUSED_ELU, NN_SELU_ALPHA, NN_SELU_SCALE};
    default: return (nn_fused_act){NN_FUSED_NONE, 0.0f, 0.0f};
    }
}

/* conv: weight (F, C, KH, KW); conv_transpose: weight (C, F, KH, KW) as in PyTorch. */
static int build_conv(call_ctx *c, int li, int x)
{
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    if (xs->ndim != 4) {
        char b[64];
        return nn_graph_fail(g, "needs images [channels, height, width] per sample, got %s; add a reshape",
                             nn_shape_str(xs, b, sizeof b));
    }
    int ch = xs->d[1], f = l->units, t = l->kind == LY_CONV_T;
    int b = weight_and_bias(c, li, l, t ? nn_shape4(ch, f, l->kernel[0], l->kernel[1]) : nn_shape4(f, ch, l->kernel[0], l->kernel[1]), f);
    nn_fused_act fa = fusable_act(l->act, l->act_param);
    int w = ctx_call(c)->weight[li];
    int y = t ? nn_conv_transpose2d_act(g, x, w, b, l->stride, l->pad[0], l->pad[1], l->out_pad[0], l->out_pad[1], fa)
              : nn_conv2d_act(g, x, w, b, l->stride, l->pad[0], l->pad[1], fa);
    return fa.kind == NN_FUSED_NONE ? apply_act(g, y, l->act, l->act_param) : y;
}

/* conv1d: weight (F, C, K) as PyTorch's Conv1d stores it, over a sequence [T, C] per sample. */
static int build_conv1d(call_ctx *c, int li, int x)
{
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    if (xs->ndim != 3) {
        char b[64];
        return nn_graph_fail(g, "needs a sequence [steps, channels] per sample, got %s; an embedding gives one",
                             nn_shape_str(xs, b, sizeof b));
    }
    int b = weight_and_bias(c, li, l, nn_shape3(l->units, xs->d[2], l->kernel[0]), l->units);
    int y = nn_conv1d(g, x, ctx_call(c)->weight[li], b, l->stride, l->pad[0], l->pad[1]);
    return apply_act(g, y, l->act, l->act_param);
}

/* Batch normalisation over every axis but the channels (axis 1): in training, the batch's
 * statistics (and the running ones updated as a side effect); in evaluation, the running
 * ones. Composed of graph ops, so gradients (and gradients of gradients) come for free. */
static int build_batchnorm(call_ctx *c, int li, int x)
{
    const layer_spec *l = &c->net->layers[li];
    model_graph *m = c->m;
    nn_graph *g = m->g;
    nn_shape xs = g->nodes[x].shape;
    int c_ = xs.d[1];
    nn_shape per = xs;                  /* (1, C, 1, 1) or (1, C) */
    for (int i = 0; i < per.ndim; i++) per.d[i] = i == 1 ? c_ : 1;
    net_call *call = ctx_call(c);
    call->weight[li] = call_param(c, l, "weight", nn_shape1(c_));
    call->bias[li] = call_param(c, l, "bias", nn_shape1(c_));
    int rmean = call_param(c, l, "running_mean", nn_shape1(c_));
    int rvar = call_param(c, l, "running_var", nn_shape1(c_));   /* net_initialise() relies on rvar == bias + 2 */
    if (rmean < 0 || rvar < 0) return -1;
    g->nodes[rmean].no_grad = g->nodes[rvar].no_grad = 1;
    int gamma = nn_reshape(g, call->weight[li], per), beta = nn_reshape(g, call->bias[li], per);
    int mean, var;
    if (m->training) {
        float count = (float)(nn_shape_numel(&xs) / (size_t)c_);
        mean = nn_affine(g, nn_sum_to(g, x, per), 1.0f / count, 0.0f);
        int xc = nn_sub(g, x, mean);
        var = nn_affine(g, nn_sum_to(g, nn_square(g, xc), per), 1.0f / count, 0.0f);
        /* PyTorch keeps the unbiased variance in the running estimate */
        int unbiased = nn_affine(g, var, count > 1 ? count / (count - 1) : 1.0f, 0.0f);
        if (add_side_effect(m, nn_ema_update(g, rmean, nn_reshape(g, mean, nn_shape1(c_)), l->momentum), c->call) < 0 ||
            add_side_effect(m, nn_ema_update(g, rvar, nn_reshape(g, unbiased, nn_shape1(c_)), l->momentum), c->call) < 0)
            return -1;
    } else {
        mean = nn_reshape(g, rmean, per);
        var = nn_reshape(g, rvar, per);
    }
    int inv_std = nn_pow(g, nn_affine(g, var, 1.0f, l->eps), -0.5f);
    return nn_add(g, nn_mul(g, nn_mul(g, nn_sub(g, x, mean), inv_std), gamma), beta);
}

/* Parameters per direction of a recurrent layer: w_ih, w_hh and one bias (PyTorch's b_ih + b_hh,
 * which add up), except for the GRU, which keeps both biases because b_hn sits inside r * (...). */
static int recurrent_param_count(layer_kind k) { return k == LY_GRU ? 4 : 3; }

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
static void recurrent_params(call_ctx *c, const layer_spec *l, int d_in, const char *suffix, int *w)
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

/* One direction over x (N,T,D): the layer kind's fused op with weights w (recurrent_params);
 * out_mode NN_RNN_ALL_STEPS -> (N,T,H), NN_RNN_LAST_STEP -> (N,H). */
static int recurrent_direction(nn_graph *g, const layer_spec *l, int x, const int *w, int mask, int out_mode)
{
    if (l->kind == LY_LSTM) return nn_lstm(g, x, w[0], w[1], w[2], mask, out_mode);
    if (l->kind == LY_GRU) return nn_gru(g, x, w[0], w[1], w[2], w[3], mask, out_mode);
    return nn_rnn(g, x, w[0], w[1], w[2], mask, l->rnn_relu ? NN_RNN_RELU : NN_RNN_TANH, out_mode);
}

/* The reverse direction: the same op with its own weights over x and the mask flipped in time.
 * A padding step carries the state and outputs 0, so reversing the whole axis reverses every
 * sequence's real steps whatever the padding layout; the last output of the flipped run is the
 * state after the sequence's first real step (PyTorch's backward h_n). Every-step outputs are
 * flipped back so that step t of both directions lines up. */
static int recurrent_reverse(nn_graph *g, const layer_spec *l, int x, const int *w, int mask, int out_mode)
{
    int rmask = mask < 0 ? -1 : nn_flip(g, mask, 1);
    int y = recurrent_direction(g, l, nn_flip(g, x, 1), w, rmask, out_mode);
    return out_mode == NN_RNN_ALL_STEPS ? nn_flip(g, y, 1) : y;
}

#define PADDING_PENALTY 1e30f   /* added to padding steps' outputs so that no maximum picks them */

/* Every-step outputs y (N,T,F) pooled over the real steps (mask (N,T), 1 = real, or -1 = all
 * real) -> (N,F). mean: the sum over time (padding outputs are 0) over the count of real steps;
 * max: the maximum after pushing padding steps far below any output, so that a sequence whose
 * real outputs are all negative still gives its own maximum. A sequence with no real step gives
 * 0 in both. */
static int pool_real_steps(nn_graph *g, int y, int mask, int mode)
{
    if (mask < 0) return mode == RNN_OUT_MEAN ? nn_mean_over(g, y, 1) : nn_max_over(g, y, 1);
    const nn_shape *ys = &g->nodes[y].shape;
    int n = ys->d[0], t = ys->d[1];
    int count = nn_sum_to(g, mask, nn_shape2(n, 1));               /* real steps (N,1) */
    int nonempty = nn_step(g, count);                              /* (N,1): 0 for no real step */
    if (mode == RNN_OUT_MEAN) {
        int at_least_1 = nn_add(g, count, nn_affine(g, nonempty, -1.0f, 1.0f));
        return nn_div(g, nn_affine(g, nn_mean_over(g, y, 1), (float)t, 0.0f), at_least_1);
    }
    int penalty = nn_reshape(g, nn_affine(g, mask, PADDING_PENALTY, -PADDING_PENALTY), nn_shape3(n, t, 1));
    return nn_mul(g, nn_max_over(g, nn_add(g, y, penalty), 1), nonempty);
}

/* rnn, lstm, gru: x (N,T,D) -> (N,T,H') for output: all, else (N,H'), H' = H or 2H when
 * bidirectional (forward features first, then the reverse direction's). The mask is 1 where the
 * named layer (the token ids, usually) is > 0, i.e. not padding. The forward weights follow the
 * layer's `weight` and `bias` slots; all parameters are consecutive (see recurrent_params). */
static int build_rnn(call_ctx *c, int li, int x)
{
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape x_shape = g->nodes[x].shape, *xs = &x_shape;   /* a copy: adding nodes may move g->nodes */
    if (xs->ndim != 3) {
        char b[64];
        return nn_graph_fail(g, "needs a sequence [steps, features] per sample, got %s", nn_shape_str(xs, b, sizeof b));
    }
    int wf[4], wr[4];
    recurrent_params(c, l, xs->d[2], "", wf);
    if (l->rnn_bidir) recurrent_params(c, l, xs->d[2], "_reverse", wr);
    ctx_call(c)->weight[li] = wf[0];
    ctx_call(c)->bias[li] = wf[2];
    int mask = -1;
    if (l->mask_from[0]) {
        int src = resolve_in_call(c, li, l->mask_from);
        if (src < 0) return -1;
        if (nn_numel(g, src) != (size_t)xs->d[0] * xs->d[1])
            return nn_graph_fail(g, "mask '%s' must have one value per step (%d x %d)", l->mask_from, xs->d[0], xs->d[1]);
        mask = nn_step(g, nn_reshape(g, src, nn_shape2(xs->d[0], xs->d[1])));
    }
    int out = l->rnn_output == RNN_OUT_LAST ? NN_RNN_LAST_STEP : NN_RNN_ALL_STEPS;
    int y = recurrent_direction(g, l, x, wf, mask, out);
    if (l->rnn_bidir) {
        int both[2] = {y, recurrent_reverse(g, l, x, wr, mask, out)};
        y = nn_concat(g, both, 2, -1);
    }
    if (l->rnn_output == RNN_OUT_MEAN || l->rnn_output == RNN_OUT_MAX) y = pool_real_steps(g, y, mask, l->rnn_output);
    return y;
}

/* one_hot: ids (N) or (N, T) -> (N, [T,] C); the ids come from the data, never differentiated.
 * A 1-wide id input (model input [1]) is read as (N). */
static int build_one_hot(nn_graph *g, int x, int classes)
{
    const nn_shape *xs = &g->nodes[x].shape;
    if (xs->ndim == 2 && xs->d[1] == 1) x = nn_reshape(g, x, nn_shape1(xs->d[0]));
    else if (xs->ndim > 2) {
        char b[64];
        return nn_graph_fail(g, "needs symbol ids [steps] per sample, got %s", nn_shape_str(xs, b, sizeof b));
    }
    return nn_one_hot(g, x, classes);
}

static int build_layer(call_ctx *c, int li)
{
    const layer_spec *l = &c->net->layers[li];
    model_graph *m = c->m;
    nn_graph *g = m->g;
    int in[SPEC_MAX_FROM] = {-1, -1, -1, -1};
    int n_in = l->n_from;
    if (n_in == 0) {
        in[0] = li == 0 ? ctx_call(c)->in[0] : ctx_call(c)->out[li - 1];
        n_in = 1;
    }
    for (int k = 0; k < l->n_from; k++)
        if ((in[k] = resolve_in_call(c, li, l->from[k])) < 0) return -1;
    int x = in[0];
    int B = m->batch;
    switch (l->kind) {
    case LY_DENSE: return build_dense(c, li, x);
    case LY_ACTIVATION: return apply_act(g, x, l->act, l->act_param);
    case LY_DROPOUT: return nn_dropout(g, x, l->p);
    case LY_NOISE: return nn_gaussian_noise(g, x, l->sigma, l->noise_at_eval);
    case LY_FLATTEN: return nn_reshape(g, x, nn_shape2(B, (int)(nn_numel(g, x) / (size_t)B)));
    case LY_RESHAPE: {
        nn_shape t = {l->shape.ndim + 1, {B}};
        for (int i = 0; i < l->shape.ndim; i++) t.d[i + 1] = l->shape.d[i];
        return nn_reshape(g, x, t);
    }
    case LY_ADD: {
        int y = in[0];
        for (int k = 1; k < n_in; k++) {
            if (!nn_shape_eq(&g->nodes[y].shape, &g->nodes[in[k]].shape)) {
                char a[64], b[64];
                return nn_graph_fail(g, "cannot add '%s' %s and '%s' %s: shapes differ", l->from[0],
                                     nn_shape_str(&g->nodes[in[0]].shape, a, sizeof a), l->from[k],
                                     nn_shape_str(&g->nodes[in[k]].shape, b, sizeof b));
            }
            y = nn_add(g, y, in[k]);
        }
        return y;
    }
    case LY_CONCAT: return nn_concat(g, in, n_in, 1);
    case LY_CONV:
    case LY_CONV_T: return build_conv(c, li, x);
    case LY_MAXPOOL: return nn_maxpool2d(g, x, l->kernel[0], l->stride, l->pad[0]);
    case LY_AVGPOOL: return nn_avgpool2d(g, x, l->kernel[0], l->stride, l->pad[0]);
    case LY_GLOBAL_AVGPOOL: return nn_global_avgpool(g, x);
    case LY_UPSAMPLE: return nn_upsample_nearest(g, x, l->factor);
    case LY_BATCHNORM: return build_batchnorm(c, li, x);
    case LY_MASKING_NOISE: return nn_masking_noise(g, x, l->p, l->noise_at_eval);
    case LY_EMBEDDING: {
        int w = ctx_call(c)->weight[li] = call_param(c, l, "weight", nn_shape2(l->vocab, l->units));
        if (w < 0) return -1;
        if (l->frozen) g->nodes[w].no_grad = 1;   /* no gradient, no optimizer step */
        return nn_embedding(g, x, w, l->padding_id);
    }
    case LY_RNN:
    case LY_LSTM:
    case LY_GRU: return build_rnn(c, li, x);
    case LY_ONE_HOT: return build_one_hot(g, x, l->units);
    case LY_CONV1D: return build_conv1d(c, li, x);
    case LY_MAXPOOL1D: return nn_maxpool1d(g, x, l->kernel[0], l->stride);
    case LY_MAX_OVER: return nn_max_over(g, x, l->axis + 1);
    case LY_MEAN_OVER: return nn_mean_over(g, x, l->axis + 1);
    case LY_SAMPLE_GAUSSIAN: {
        /* z = mean + exp(logvar / 2) * eps, eps ~ N(0, I) in training, 0 in evaluation */
        int mean = in[0], logvar = in[1];
        if (!nn_shape_eq(&g->nodes[mean].shape, &g->nodes[logvar].shape)) return nn_graph_fail(g, "mean and logvar shapes differ");
        int eps = nn_gaussian_noise(g, nn_const(g, g->nodes[mean].shape, 0.0f), 1.0f, 0);
        return nn_add(g, mean, nn_mul(g, nn_exp(g, nn_affine(g, logvar, 0.5f, 0.0f)), eps));
    }
    }
    return -1;
}


static int init_param(nn_graph *g, int id, const nn_init *init, int fan_out, int fan_in, nn_rng *r, const layer_spec *l,
                      diag *d)
{
    char err[256];
    if (nn_init_fill(nn_data(g, id), fan_out, fan_in, init, r, err, sizeof err) < 0) {
        diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
        return -1;
    }
    return 0;
}

int net_initialise(const spec *s, const model_spec *net, nn_graph *g, const net_call *first, nn_rng *r, diag *d)
{
    (void)s;
    const int *weight = first->weight, *bias = first->bias;
    for (int i = 0; i < net->n_layers; i++) {
        const layer_spec *l = &net->layers[i];
        if (weight[i] < 0) continue;
        if (l->kind == LY_BATCHNORM) {   /* gamma 1, beta 0, running mean 0, running variance 1 */
            int c = g->nodes[weight[i]].shape.d[0];
            int rvar = bias[i] + 2;   /* created right after bias and running_mean */
            for (int k = 0; k < c; k++) {
                nn_data(g, weight[i])[k] = 1.0f;
                nn_data(g, rvar)[k] = 1.0f;
            }
            continue;
        }
        if (layer_is_recurrent(l->kind)) {   /* PyTorch: every parameter U(-1/sqrt(H), 1/sqrt(H)) */
            float bound = 1.0f / sqrtf((float)l->units);
            int n_dirs = l->rnn_bidir ? 2 : 1, per_dir = recurrent_param_count(l->kind);   /* in a row */
            for (int id = weight[i]; id < weight[i] + per_dir * n_dirs; id++) {
                float *w = nn_data(g, id);
                for (size_t j = 0; j < nn_numel(g, id); j++) w[j] = nn_rng_range(r, -bound, bound);
            }
            for (int dir = 0; l->has_init && dir < n_dirs; dir++) {   /* `init:` applies to each w_ih */
                int wih = weight[i] + per_dir * dir, rows = g->nodes[wih].shape.d[0];
                if (init_param(g, wih, &l->init, rows, (int)(nn_numel(g, wih) / (size_t)rows), r, l, d) < 0) return -1;
            }
            continue;
        }
        if (l->kind == LY_EMBEDDING && !l->has_init) {   /* PyTorch's nn.Embedding: N(0, 1) */
            float *w = nn_data(g, weight[i]);
            for (size_t k = 0; k < nn_numel(g, weight[i]); k++) w[k] = nn_rng_normal(r);
            if (l->padding_id >= 0 && l->padding_id < l->vocab)
                memset(w + (size_t)l->padding_id * l->units, 0, (size_t)l->units * sizeof(float));
            continue;
        }
        const nn_shape *w = &g->nodes[weight[i]].shape;
        /* fans by position, as torch.nn.init counts them: dim 0 out, dim 1 in, times the kernel */
        int fan_out = w->d[0], fan_in = (int)(nn_shape_numel(w) / (size_t)w->d[0]);
        const nn_init *wi = l->has_init ? &l->init : &net->init;
        char err[256];
        if (w->ndim >= 3) {   /* conv (F, C, KH, KW), conv1d (F, C, K) */
            int ksize = (int)(nn_shape_numel(w) / ((size_t)w->d[0] * w->d[1]));
            if (nn_init_fill_conv(nn_data(g, weight[i]), w->d[0], w->d[1], ksize, wi, r, err, sizeof err) < 0) {
                diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
                return -1;
            }
        } else if (init_param(g, weight[i], wi, fan_out, fan_in, r, l, d) < 0)
            return -1;
        if (bias[i] < 0) continue;
        const nn_init *bi = l->has_bias_init ? &l->bias_init : &net->bias_init;
        if (nn_init_fill_bias(nn_data(g, bias[i]), (int)nn_numel(g, bias[i]), fan_in, bi, r, err, sizeof err) < 0) {
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
            return -1;
        }
    }
    return 0;
}


int layer_build(call_ctx *c, int li)
{
    nn_graph *g = c->m->g;
    int y = build_layer(c, li);
    if (y < 0 && g->err[0]) layer_error(c, &c->net->layers[li], g);
    return y;
}
