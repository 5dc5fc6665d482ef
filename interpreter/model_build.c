/* spec -> graph: layers to ops, parameters with their initialisers, loss terms, gradients. */
#include "model_build.h"
#include "nn/init.h"
#include "nn/ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void layer_error(diag *d, const layer_spec *l, nn_graph *g)
{
    diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s' (%s): %s", l->name,
                  l->kind == LY_ACTIVATION ? act_kind_name(l->act) : layer_kind_name(l->kind), g->err);
    g->err[0] = 0;
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

/* The node a layer name refers to: 'input', 'target' or an earlier layer. */
static int resolve_ref(const spec *s, model_graph *m, int upto, const char *name, spec_pos at, diag *d)
{
    if (strcmp(name, "input") == 0) return m->x;
    if (strcmp(name, "target") == 0) {
        if (m->t < 0) diag_error_at(d, at.file, at.line, at.col, "'target' is used but this dataset has no targets");
        return m->t;
    }
    int k = spec_find_layer(s, name);
    if (k >= 0 && k < upto) return m->out[k];
    const char *names[4096];
    int n = 0;
    names[n++] = "input";
    for (int i = 0; i < upto && n < 4095; i++) names[n++] = s->model.layers[i].name;
    names[n] = NULL;
    const char *close = diag_suggest(name, names, n);
    if (k >= upto)
        diag_error_at(d, at.file, at.line, at.col, "layer '%s' comes later in the model; a layer can only read earlier ones", name);
    else if (close)
        diag_error_at(d, at.file, at.line, at.col, "unknown layer '%s' (did you mean '%s'?)", name, close);
    else
        diag_error_at(d, at.file, at.line, at.col, "unknown layer '%s'", name);
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

/* The layer's parameters "<layer>.weight" (shape w) and, if it has one, "<layer>.bias" (units);
 * returns the bias node or -1. */
static int weight_and_bias(model_graph *m, int li, const layer_spec *l, nn_shape w, int units)
{
    char name[SPEC_NAME_LEN + 8];
    snprintf(name, sizeof name, "%s.weight", l->name);
    m->weight[li] = nn_param(m->g, w, name);
    if (!l->bias) return -1;
    snprintf(name, sizeof name, "%s.bias", l->name);
    return m->bias[li] = nn_param(m->g, nn_shape1(units), name);
}

static int build_dense(const spec *s, model_graph *m, int li, int x, diag *d)
{
    const layer_spec *l = &s->model.layers[li];
    nn_graph *g = m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    int fan_in = xs->d[xs->ndim - 1];
    (void)d;
    int b = weight_and_bias(m, li, l, nn_shape2(l->units, fan_in), l->units);
    int y = nn_dense(g, x, m->weight[li], b);
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
static int build_conv(const spec *s, model_graph *m, int li, int x)
{
    const layer_spec *l = &s->model.layers[li];
    nn_graph *g = m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    if (xs->ndim != 4) {
        char b[64];
        return nn_graph_fail(g, "needs images [channels, height, width] per sample, got %s; add a reshape",
                             nn_shape_str(xs, b, sizeof b));
    }
    int c = xs->d[1], f = l->units, t = l->kind == LY_CONV_T;
    int b = weight_and_bias(m, li, l, t ? nn_shape4(c, f, l->kernel[0], l->kernel[1]) : nn_shape4(f, c, l->kernel[0], l->kernel[1]), f);
    nn_fused_act fa = fusable_act(l->act, l->act_param);
    int y = t ? nn_conv_transpose2d_act(g, x, m->weight[li], b, l->stride, l->pad[0], l->pad[1], l->out_pad[0],
                                        l->out_pad[1], fa)
              : nn_conv2d_act(g, x, m->weight[li], b, l->stride, l->pad[0], l->pad[1], fa);
    return fa.kind == NN_FUSED_NONE ? apply_act(g, y, l->act, l->act_param) : y;
}

/* conv1d: weight (F, C, K) as PyTorch's Conv1d stores it, over a sequence [T, C] per sample. */
static int build_conv1d(const spec *s, model_graph *m, int li, int x)
{
    const layer_spec *l = &s->model.layers[li];
    nn_graph *g = m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    if (xs->ndim != 3) {
        char b[64];
        return nn_graph_fail(g, "needs a sequence [steps, channels] per sample, got %s; an embedding gives one",
                             nn_shape_str(xs, b, sizeof b));
    }
    int b = weight_and_bias(m, li, l, nn_shape3(l->units, xs->d[2], l->kernel[0]), l->units);
    int y = nn_conv1d(g, x, m->weight[li], b, l->stride, l->pad[0], l->pad[1]);
    return apply_act(g, y, l->act, l->act_param);
}

/* Batch normalisation over every axis but the channels (axis 1): in training, the batch's
 * statistics (and the running ones updated as a side effect); in evaluation, the running
 * ones. Composed of graph ops, so gradients (and gradients of gradients) come for free. */
static int build_batchnorm(const spec *s, model_graph *m, int li, int x)
{
    const layer_spec *l = &s->model.layers[li];
    nn_graph *g = m->g;
    nn_shape xs = g->nodes[x].shape;
    int c = xs.d[1];
    nn_shape per = xs;                  /* (1, C, 1, 1) or (1, C) */
    for (int i = 0; i < per.ndim; i++) per.d[i] = i == 1 ? c : 1;
    char name[SPEC_NAME_LEN + 16];
    snprintf(name, sizeof name, "%s.weight", l->name);
    m->weight[li] = nn_param(g, nn_shape1(c), name);
    snprintf(name, sizeof name, "%s.bias", l->name);
    m->bias[li] = nn_param(g, nn_shape1(c), name);
    snprintf(name, sizeof name, "%s.running_mean", l->name);
    int rmean = nn_param(g, nn_shape1(c), name);
    snprintf(name, sizeof name, "%s.running_var", l->name);
    int rvar = nn_param(g, nn_shape1(c), name);   /* initialise() relies on rvar == bias + 2 */
    g->nodes[rmean].no_grad = g->nodes[rvar].no_grad = 1;
    int gamma = nn_reshape(g, m->weight[li], per), beta = nn_reshape(g, m->bias[li], per);
    int mean, var;
    if (m->training) {
        float count = (float)(nn_shape_numel(&xs) / (size_t)c);
        mean = nn_affine(g, nn_sum_to(g, x, per), 1.0f / count, 0.0f);
        int xc = nn_sub(g, x, mean);
        var = nn_affine(g, nn_sum_to(g, nn_square(g, xc), per), 1.0f / count, 0.0f);
        /* PyTorch keeps the unbiased variance in the running estimate */
        int unbiased = nn_affine(g, var, count > 1 ? count / (count - 1) : 1.0f, 0.0f);
        m->side_effects[m->n_side_effects++] = nn_ema_update(g, rmean, nn_reshape(g, mean, nn_shape1(c)), l->momentum);
        m->side_effects[m->n_side_effects++] = nn_ema_update(g, rvar, nn_reshape(g, unbiased, nn_shape1(c)), l->momentum);
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
static int named_param(nn_graph *g, const layer_spec *l, const char *what, const char *suffix, nn_shape s)
{
    char name[SPEC_NAME_LEN + 24];
    snprintf(name, sizeof name, "%s.%s%s", l->name, what, suffix);
    return nn_param(g, s, name);
}

/* Parameters of one direction, created in a row so that their ids are w[0], w[0] + 1, ...
 * (initialise() relies on it): weight_ih (G*H, D), weight_hh (G*H, H), then bias (G*H) or, for
 * the GRU, bias_ih and bias_hh, with G the gate count (1; LSTM 4: i, f, g, o; GRU 3: r, z, n,
 * stacked as in PyTorch); suffix "" or "_reverse" (PyTorch's names for the reverse direction). */
static void recurrent_params(nn_graph *g, const layer_spec *l, int d_in, const char *suffix, int *w)
{
    int rows = (l->kind == LY_LSTM ? 4 : l->kind == LY_GRU ? 3 : 1) * l->units;
    w[0] = named_param(g, l, "weight_ih", suffix, nn_shape2(rows, d_in));
    w[1] = named_param(g, l, "weight_hh", suffix, nn_shape2(rows, l->units));
    if (l->kind != LY_GRU) {
        w[2] = named_param(g, l, "bias", suffix, nn_shape1(rows));
        w[3] = -1;
        return;
    }
    w[2] = named_param(g, l, "bias_ih", suffix, nn_shape1(rows));
    w[3] = named_param(g, l, "bias_hh", suffix, nn_shape1(rows));
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
static int build_rnn(const spec *s, model_graph *m, int li, int x, diag *d)
{
    const layer_spec *l = &s->model.layers[li];
    nn_graph *g = m->g;
    const nn_shape x_shape = g->nodes[x].shape, *xs = &x_shape;   /* a copy: adding nodes may move g->nodes */
    if (xs->ndim != 3) {
        char b[64];
        return nn_graph_fail(g, "needs a sequence [steps, features] per sample, got %s", nn_shape_str(xs, b, sizeof b));
    }
    int wf[4], wr[4];
    recurrent_params(g, l, xs->d[2], "", wf);
    if (l->rnn_bidir) recurrent_params(g, l, xs->d[2], "_reverse", wr);
    m->weight[li] = wf[0];
    m->bias[li] = wf[2];
    int mask = -1;
    if (l->mask_from[0]) {
        int src = resolve_ref(s, m, li, l->mask_from, l->mask_pos, d);
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

static int build_layer(const spec *s, model_graph *m, int li, diag *d)
{
    const layer_spec *l = &s->model.layers[li];
    nn_graph *g = m->g;
    int in[SPEC_MAX_FROM] = {-1, -1, -1, -1};
    int n_in = l->n_from;
    if (n_in == 0) {
        in[0] = li == 0 ? m->x : m->out[li - 1];
        n_in = 1;
    }
    for (int k = 0; k < l->n_from; k++)
        if ((in[k] = resolve_ref(s, m, li, l->from[k], l->from_pos, d)) < 0) return -1;
    int x = in[0];
    int B = m->batch;
    switch (l->kind) {
    case LY_DENSE: return build_dense(s, m, li, x, d);
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
    case LY_CONV_T: return build_conv(s, m, li, x);
    case LY_MAXPOOL: return nn_maxpool2d(g, x, l->kernel[0], l->stride, l->pad[0]);
    case LY_AVGPOOL: return nn_avgpool2d(g, x, l->kernel[0], l->stride, l->pad[0]);
    case LY_GLOBAL_AVGPOOL: return nn_global_avgpool(g, x);
    case LY_UPSAMPLE: return nn_upsample_nearest(g, x, l->factor);
    case LY_BATCHNORM: return build_batchnorm(s, m, li, x);
    case LY_MASKING_NOISE: return nn_masking_noise(g, x, l->p, l->noise_at_eval);
    case LY_EMBEDDING: {
        char name[SPEC_NAME_LEN + 8];
        snprintf(name, sizeof name, "%s.weight", l->name);
        m->weight[li] = nn_param(g, nn_shape2(l->vocab, l->units), name);
        if (l->frozen) g->nodes[m->weight[li]].no_grad = 1;   /* no gradient, no optimizer step */
        return nn_embedding(g, x, m->weight[li], l->padding_id);
    }
    case LY_RNN:
    case LY_LSTM:
    case LY_GRU: return build_rnn(s, m, li, x, d);
    case LY_ONE_HOT: return build_one_hot(g, x, l->units);
    case LY_CONV1D: return build_conv1d(s, m, li, x);
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

/* A target compared with pred: same shape, or the same values per sample (input images vs
 * a flat reconstruction) — then reshaped to pred's shape. */
static int match_target(nn_graph *g, int pred, int t, const char *loss, const char *pred_name, const char *t_name)
{
    if (nn_shape_eq(&g->nodes[pred].shape, &g->nodes[t].shape)) return t;
    if (nn_numel(g, pred) == nn_numel(g, t)) return nn_reshape(g, t, g->nodes[pred].shape);
    char a[64], b[64];
    return nn_graph_fail(g, "%s compares '%s' %s with '%s' %s: the shapes do not match", loss, pred_name,
                         nn_shape_str(&g->nodes[pred].shape, a, sizeof a), t_name,
                         nn_shape_str(&g->nodes[t].shape, b, sizeof b));
}

static int build_loss_term(const spec *s, model_graph *m, const loss_spec *ls, diag *d)
{
    nn_graph *g = m->g;
    int n_layers = s->model.n_layers;
    static const char *const names[] = {"mse", "l1", "bce_with_logits", "cross_entropy", "kl_normal"};
    int v;
    if (ls->kind == LOSS_KL_NORMAL) {
        int mean = resolve_ref(s, m, n_layers, ls->mean, ls->pred_pos, d);
        int logvar = resolve_ref(s, m, n_layers, ls->logvar, ls->target_pos, d);
        if (mean < 0 || logvar < 0) return -1;
        /* KL(N(mu, sigma^2) || N(0, 1)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) */
        int inner = nn_sub(g, nn_sub(g, nn_affine(g, logvar, 1.0f, 1.0f), nn_square(g, mean)), nn_exp(g, logvar));
        float scale = ls->reduce == NN_REDUCE_SUM ? -0.5f
                    : ls->reduce == NN_REDUCE_MEAN ? -0.5f / (float)nn_numel(g, mean)
                                                   : -0.5f / (float)m->batch;
        v = nn_affine(g, nn_sum(g, inner), scale, 0.0f);
    } else {
        int pred = resolve_ref(s, m, n_layers, ls->pred, ls->pred_pos, d);
        int t = resolve_ref(s, m, n_layers, ls->target, ls->target_pos, d);
        if (pred < 0 || t < 0) return -1;
        if (ls->kind == LOSS_CROSS_ENTROPY) {
            /* logits (N, C) against one class id per sample, or (N, T, C) against one per step */
            const nn_shape *ps = &g->nodes[pred].shape;
            if (ps->ndim != 2 && ps->ndim != 3) {
                char a[64];
                diag_error_at(d, ls->pred_pos.file, ls->pred_pos.line, ls->pred_pos.col,
                              "cross_entropy needs logits of shape [batch, classes] or [batch, steps, classes], '%s' is %s",
                              ls->pred, nn_shape_str(ps, a, sizeof a));
                return -1;
            }
            nn_shape ls_shape = *ps;
            ls_shape.ndim--;
            if (nn_numel(g, t) != nn_shape_numel(&ls_shape)) {
                diag_error_at(d, ls->target_pos.file, ls->target_pos.line, ls->target_pos.col,
                              "cross_entropy needs one class id per %s as target",
                              ps->ndim == 2 ? "sample" : "step (targets [steps] per sample)");
                return -1;
            }
            v = nn_cross_entropy(g, pred, nn_reshape(g, t, ls_shape));
        } else {
            t = match_target(g, pred, t, names[ls->kind], ls->pred, ls->target);
            if (t < 0) {
                diag_error_at(d, ls->pos.file, ls->pos.line, ls->pos.col, "%s", g->err);
                g->err[0] = 0;
                return -1;
            }
            v = ls->kind == LOSS_MSE ? nn_mse(g, pred, t, ls->reduce)
              : ls->kind == LOSS_L1  ? nn_l1(g, pred, t, ls->reduce)
                                     : nn_bce_with_logits(g, pred, t, ls->reduce);
        }
    }
    if (v >= 0 && ls->weight != 1.0f) v = nn_affine(g, v, ls->weight, 0.0f);
    if (v < 0) {
        diag_error_at(d, ls->pos.file, ls->pos.line, ls->pos.col, "%s", g->err);
        g->err[0] = 0;
    }
    return v;
}

/* L1/L2 penalties on dense weights: lambda1 * sum|W| + lambda2 * sum W^2. */
static int add_penalties(const spec *s, model_graph *m, int loss)
{
    nn_graph *g = m->g;
    for (int i = 0; i < s->model.n_layers && loss >= 0; i++) {
        const layer_spec *l = &s->model.layers[i];
        if (l->kind != LY_DENSE) continue;
        float l1 = l->l1 >= 0 ? l->l1 : s->model.l1, l2 = l->l2 >= 0 ? l->l2 : s->model.l2;
        if (l1 > 0) loss = nn_add(g, loss, nn_affine(g, nn_sum(g, nn_abs(g, m->weight[i])), l1, 0.0f));
        if (l2 > 0) loss = nn_add(g, loss, nn_affine(g, nn_sum(g, nn_square(g, m->weight[i])), l2, 0.0f));
    }
    return loss;
}

static int initialise(const spec *s, model_graph *m, nn_rng *r, diag *d)
{
    nn_graph *g = m->g;
    for (int i = 0; i < s->model.n_layers; i++) {
        const layer_spec *l = &s->model.layers[i];
        if (m->weight[i] < 0) continue;
        if (l->kind == LY_BATCHNORM) {   /* gamma 1, beta 0, running mean 0, running variance 1 */
            int c = g->nodes[m->weight[i]].shape.d[0];
            int rvar = m->bias[i] + 2;   /* created right after bias and running_mean */
            for (int k = 0; k < c; k++) {
                nn_data(g, m->weight[i])[k] = 1.0f;
                nn_data(g, rvar)[k] = 1.0f;
            }
            continue;
        }
        if (layer_is_recurrent(l->kind)) {   /* PyTorch: every parameter U(-1/sqrt(H), 1/sqrt(H)) */
            float bound = 1.0f / sqrtf((float)l->units);
            int n_dirs = l->rnn_bidir ? 2 : 1, per_dir = recurrent_param_count(l->kind);   /* in a row */
            for (int id = m->weight[i]; id < m->weight[i] + per_dir * n_dirs; id++) {
                float *w = nn_data(g, id);
                for (size_t j = 0; j < nn_numel(g, id); j++) w[j] = nn_rng_range(r, -bound, bound);
            }
            for (int dir = 0; l->has_init && dir < n_dirs; dir++) {   /* `init:` applies to each w_ih */
                int wih = m->weight[i] + per_dir * dir, rows = g->nodes[wih].shape.d[0];
                if (init_param(g, wih, &l->init, rows, (int)(nn_numel(g, wih) / (size_t)rows), r, l, d) < 0) return -1;
            }
            continue;
        }
        if (l->kind == LY_EMBEDDING && !l->has_init) {   /* PyTorch's nn.Embedding: N(0, 1) */
            float *w = nn_data(g, m->weight[i]);
            for (size_t k = 0; k < nn_numel(g, m->weight[i]); k++) w[k] = nn_rng_normal(r);
            if (l->padding_id >= 0 && l->padding_id < l->vocab)
                memset(w + (size_t)l->padding_id * l->units, 0, (size_t)l->units * sizeof(float));
            continue;
        }
        const nn_shape *w = &g->nodes[m->weight[i]].shape;
        /* fans by position, as torch.nn.init counts them: dim 0 out, dim 1 in, times the kernel */
        int fan_out = w->d[0], fan_in = (int)(nn_shape_numel(w) / (size_t)w->d[0]);
        const nn_init *wi = l->has_init ? &l->init : &s->model.init;
        char err[256];
        if (w->ndim >= 3) {   /* conv (F, C, KH, KW), conv1d (F, C, K) */
            int ksize = (int)(nn_shape_numel(w) / ((size_t)w->d[0] * w->d[1]));
            if (nn_init_fill_conv(nn_data(g, m->weight[i]), w->d[0], w->d[1], ksize, wi, r, err, sizeof err) < 0) {
                diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
                return -1;
            }
        } else if (init_param(g, m->weight[i], wi, fan_out, fan_in, r, l, d) < 0)
            return -1;
        if (m->bias[i] < 0) continue;
        const nn_init *bi = l->has_bias_init ? &l->bias_init : &s->model.bias_init;
        if (nn_init_fill_bias(nn_data(g, m->bias[i]), (int)nn_numel(g, m->bias[i]), fan_in, bi, r, err, sizeof err) < 0) {
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
            return -1;
        }
    }
    return 0;
}

/* Points every gradient node at its slice of the shared gradient block. */
static int bind_gradients(model_graph *m, const int *grads)
{
    nn_graph *g = m->g;
    size_t off = 0;
    for (int k = 0; k < m->n_params; k++) {
        size_t n = nn_numel(g, m->params[k]);
        int gk = grads[k];
        if (gk >= 0 && (g->nodes[gk].kind != NN_NODE_OP || g->nodes[gk].bound)) gk = nn_affine(g, gk, 1.0f, 0.0f);
        if (gk >= 0) nn_node_bind(g, gk, m->grad_block + off);
        else memset(m->grad_block + off, 0, n * sizeof(float));
        off += n;
    }
    return 0;
}

model_graph *model_build(const spec *s, const data_info *di, int batch, int training, const model_graph *params_from,
                         float *grad_block, nn_rng *init_rng, diag *d)
{
    int before = diag_count(d);
    int L = s->model.n_layers;
    model_graph *m = calloc(1, sizeof *m);
    nn_graph *g = NULL;
    if (!m) return NULL;
    m->g = nn_graph_new(s->seed);
    m->out = malloc((size_t)L * sizeof(int));
    m->weight = malloc((size_t)L * sizeof(int));
    m->bias = malloc((size_t)L * sizeof(int));
    m->loss_terms = malloc(SPEC_MAX_LOSSES * sizeof(int));
    m->side_effects = malloc((size_t)(2 * L + 1) * sizeof(int));
    if (!m->g || !m->out || !m->weight || !m->bias || !m->loss_terms || !m->side_effects) goto fail;
    m->batch = batch;
    m->training = training;
    m->g->training = training;
    g = m->g;
    for (int i = 0; i < L; i++) m->out[i] = m->weight[i] = m->bias[i] = -1;

    /* inputs: the model's declared per-sample shape must hold the data's values */
    const model_spec *ms = &s->model;
    if (nn_shape_numel(&ms->input) != nn_shape_numel(&di->sample)) {
        char a[64], b[64];
        diag_error_at(d, ms->input_pos.file, ms->input_pos.line, ms->input_pos.col,
                      "model input %s does not fit the data's samples %s", nn_shape_str(&ms->input, a, sizeof a),
                      nn_shape_str(&di->sample, b, sizeof b));
        goto fail;
    }
    nn_shape xs = {ms->input.ndim + 1, {batch}};
    for (int i = 0; i < ms->input.ndim; i++) xs.d[i + 1] = ms->input.d[i];
    nn_graph_set_label(g, "input");
    m->x = nn_input(g, xs, "input");
    m->t = -1;
    if (di->y_dim > 0) {
        nn_graph_set_label(g, "target");
        /* class ids: one per sample (batch), or one per step (batch, steps) for sequences */
        m->t = nn_input(g, di->n_classes > 0 && di->y_dim == 1 ? nn_shape1(batch) : nn_shape2(batch, di->y_dim), "target");
        if (di->n_classes > 0) g->nodes[m->t].no_grad = 1;
    }
    g->nodes[m->x].no_grad = 0;

    for (int i = 0; i < L; i++) {
        const layer_spec *l = &ms->layers[i];
        nn_graph_set_label(g, l->name);
        m->out[i] = build_layer(s, m, i, d);
        if (m->out[i] < 0) {
            if (g->err[0]) layer_error(d, l, g);
            goto fail;
        }
    }
    nn_graph_set_label(g, "loss");
    m->loss = -1;
    for (int k = 0; k < s->n_losses; k++) {
        int v = build_loss_term(s, m, &s->losses[k], d);
        if (v < 0) goto fail;
        m->loss_terms[k] = v;
        m->loss = m->loss < 0 ? v : nn_add(g, m->loss, v);
    }
    m->loss = add_penalties(s, m, m->loss);
    if (m->loss < 0) goto fail;

    /* metrics read the chosen layer (default: the first loss' prediction) */
    const char *mp = s->train.metric_pred[0] ? s->train.metric_pred : s->losses[0].pred;
    m->metric_pred = mp[0] ? resolve_ref(s, m, L, mp, s->losses[0].pred_pos, d) : -1;
    m->metric_target = -1;
    if (m->metric_pred >= 0 && s->losses[0].target[0]) {
        m->metric_target = resolve_ref(s, m, L, s->losses[0].target, s->losses[0].target_pos, d);
    }

    /* parameters: shared with an earlier graph, or laid out and initialised here */
    m->params = malloc((size_t)(g->n ? g->n : 1) * sizeof(int));
    if (!m->params) goto fail;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_PARAM) m->params[m->n_params++] = i;
    if (params_from ? nn_graph_share_params(g, params_from->g) : nn_graph_alloc_params(g)) {
        diag_error_at(d, s->file, 1, 1, "%s", g->err);
        goto fail;
    }
    if (!params_from && initialise(s, m, init_rng, d) < 0) goto fail;

    if (training) {
        int *grads = malloc((size_t)(m->n_params ? m->n_params : 1) * sizeof(int));
        if (!grads) goto fail;
        nn_graph_set_label(g, "gradient");
        if (nn_grad(g, m->loss, m->params, m->n_params, grads) < 0) {
            diag_error_at(d, s->file, 1, 1, "building gradients: %s", g->err);
            free(grads);
            goto fail;
        }
        m->grad_block = grad_block ? grad_block : calloc(g->n_param_floats ? g->n_param_floats : 1, sizeof(float));
        if (!m->grad_block) {
            free(grads);
            goto fail;
        }
        bind_gradients(m, grads);
        free(grads);
    }
    if (diag_count(d) > before || model_plan(m, NULL, 0) < 0) goto fail;
    return m;
fail:
    if (g && g->err[0] && diag_count(d) == before) diag_error_at(d, s->file, 1, 1, "%s", g->err);
    model_free(m, grad_block == NULL);
    return NULL;
}

int model_plan(model_graph *m, const int *extra, int n_extra)
{
    nn_graph *g = m->g;
    int cap = 4 + n_extra + m->n_side_effects + (m->training ? m->n_params : 0);
    int *t = malloc((size_t)cap * sizeof *t), n = 0;
    if (!t) return -1;
    t[n++] = m->loss;
    if (m->metric_pred >= 0) t[n++] = m->metric_pred;
    if (m->metric_target >= 0) t[n++] = m->metric_target;
    for (int i = 0; i < n_extra; i++) t[n++] = extra[i];
    for (int i = 0; i < m->n_side_effects; i++) t[n++] = m->side_effects[i];
    if (m->training)
        for (int i = 0; i < g->n; i++)   /* bound op nodes = gradients */
            if (g->nodes[i].kind == NN_NODE_OP && g->nodes[i].bound && n < cap) t[n++] = i;
    nn_plan_free(m->plan);
    m->plan = nn_plan_create(g, t, n);
    free(t);
    return m->plan ? 0 : -1;
}

int model_start_at(model_graph *m, int layer, int output, char *err, size_t errlen)
{
    nn_graph *g = m->g;
    int id = m->out[layer], target = m->out[output];
    if (id == target || output < layer) {
        snprintf(err, errlen, "the output layer must come after the layer decoded from");
        return -1;
    }
    if (g->nodes[id].kind != NN_NODE_OP) {
        snprintf(err, errlen, "this layer cannot be fed directly");
        return -1;
    }
    nn_node *n = &g->nodes[id];
    n->owned = calloc(nn_shape_numel(&n->shape), sizeof(float));
    if (!n->owned) return -1;
    n->kind = NN_NODE_INPUT;      /* its value now comes from the caller, not from the layers before */
    n->data = n->owned;
    nn_plan_free(m->plan);
    m->plan = nn_plan_create(g, &target, 1);
    if (!m->plan) return -1;
    for (int t = 0; t < m->plan->n; t++)
        if (m->plan->order[t] < id && g->nodes[m->plan->order[t]].label[0]) {
            snprintf(err, errlen, "layer '%s' after the decoded layer reads '%s', which comes before it (a skip connection); "
                                  "decode from a later layer", g->nodes[target].label, g->nodes[m->plan->order[t]].label);
            return -1;
        }
    return 0;
}

void model_feed(model_graph *m, const float *x, const float *y, int nrows)
{
    nn_graph *g = m->g;
    size_t xn = nn_numel(g, m->x) / (size_t)m->batch;
    memcpy(nn_data(g, m->x), x, (size_t)nrows * xn * sizeof(float));
    if (m->t >= 0 && y) {
        size_t yn = nn_numel(g, m->t) / (size_t)m->batch;
        memcpy(nn_data(g, m->t), y, (size_t)nrows * yn * sizeof(float));
    }
}

void model_free(model_graph *m, int owns_grads)
{
    if (!m) return;
    nn_plan_free(m->plan);
    if (owns_grads) free(m->grad_block);
    nn_graph_free(m->g);
    free(m->out);
    free(m->weight);
    free(m->bias);
    free(m->params);
    free(m->loss_terms);
    free(m->side_effects);
    free(m);
}
