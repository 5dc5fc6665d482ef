/* Layers to ops: a table with one row per layer kind (its builder and its initialiser), the
 * parameters builders create through the net's parameter cursor (call_param), and the
 * activations. The spec side of each kind (keys, options, docs) is its row in
 * lang/layer_table.c; recurrent layers are built in layer_recurrent.c, initialised in
 * layer_init.c. */
#include "build_internal.h"
#include "../lang/layer_table.h"
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

int call_source_node(const model_graph *m, const net_call *call, const model_spec *net, int upto, const char *name)
{
    for (int k = 0; k < net->n_inputs; k++)
        if (strcmp(net->inputs[k].name, name) == 0) return call->in[k];
    int k = net_find_layer(net, name);
    if (k >= 0 && k < upto) return call->out[k];
    if (m->s->single && strcmp(name, "target") == 0) return m->t;   /* a decoder's input: the targets, shifted */
    return -1;
}

/* A layer's `from:` or mask: one of the call's inputs or an earlier layer of the call (names
 * were checked with the spec). */
int resolve_in_call(call_ctx *c, int upto, const char *name)
{
    int node = call_source_node(c->m, ctx_call(c), c->net, upto, name);
    if (node >= 0) return node;
    if (c->m->s->single && strcmp(name, "target") == 0)
        return nn_graph_fail(c->m->g, "'target' names the data's targets, and this data has none");
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

/* Whether node id is a parameter of layer l of net: labelled "<layer>.<what>" (a spec of one
 * net) or "<net>.<layer>.<what>". */
static int param_of_layer(const nn_graph *g, int id, const model_spec *net, const layer_spec *l)
{
    if (id >= g->n || g->nodes[id].kind != NN_NODE_PARAM) return 0;
    char own[SPEC_NAME_LEN + 2], qualified[2 * SPEC_NAME_LEN + 3];
    snprintf(own, sizeof own, "%s.", l->name);
    snprintf(qualified, sizeof qualified, "%s.%s.", net->name, l->name);
    const char *label = g->nodes[id].label;
    return strncmp(label, qualified, strlen(qualified)) == 0 || strncmp(label, own, strlen(own)) == 0;
}

int layer_params_end(const nn_graph *g, const model_spec *net, const layer_spec *l, int first)
{
    int id = first;
    while (id >= 0 && param_of_layer(g, id, net, l)) id++;
    return id;
}

/* Each activation's op (its parameter: leaky_relu's slope, elu's alpha). */
static int act_none(nn_graph *g, int x, float p) { (void)g, (void)p; return x; }
static int act_relu(nn_graph *g, int x, float p) { (void)p; return nn_relu(g, x); }
static int act_selu(nn_graph *g, int x, float p) { (void)p; return nn_selu(g, x); }
static int act_gelu(nn_graph *g, int x, float p) { (void)p; return nn_gelu(g, x); }
static int act_sigmoid(nn_graph *g, int x, float p) { (void)p; return nn_sigmoid(g, x); }
static int act_tanh(nn_graph *g, int x, float p) { (void)p; return nn_tanh(g, x); }
static int act_softmax(nn_graph *g, int x, float p) { (void)p; return nn_softmax(g, x); }
static int act_log_softmax(nn_graph *g, int x, float p) { (void)p; return nn_log_softmax(g, x); }
static int (*const act_ops[ACT_KIND_COUNT])(nn_graph *, int, float) = {
    [ACT_NONE] = act_none, [ACT_RELU] = act_relu, [ACT_LEAKY_RELU] = nn_leaky_relu, [ACT_ELU] = nn_elu,
    [ACT_SELU] = act_selu, [ACT_GELU] = act_gelu, [ACT_SIGMOID] = act_sigmoid, [ACT_TANH] = act_tanh,
    [ACT_SOFTMAX] = act_softmax, [ACT_LOG_SOFTMAX] = act_log_softmax,
};

static int apply_act(nn_graph *g, int x, act_kind a, float param)
{
    if (!act_ops[a]) return nn_graph_fail(g, "internal: activation %s has no op", act_kind_name(a));
    return act_ops[a](g, x, param);
}

/* The layer's parameters "<layer>.weight" (shape w) and, if it has one, "<layer>.bias" (units);
 * returns the bias node or -1. */
static int weight_and_bias(call_ctx *c, int li, const layer_spec *l, nn_shape w, int units)
{
    ctx_call(c)->weight[li] = call_param(c, l, "weight", w);
    if (!l->bias) return -1;
    return ctx_call(c)->bias[li] = call_param(c, l, "bias", nn_shape1(units));
}

/* The layer's activation when a dense layer or a convolution can apply it to its output itself
 * (one pass over memory fewer); kind NN_FUSED_NONE otherwise, and apply_act builds it as its
 * own op. */
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

/* What a dense layer fuses of fusable_act's: relu and leaky_relu only. The GEMM applies them as
 * it stores its tiles, and the gradient at the next layer is taken in that layer's dx GEMM
 * (matmul_act_grad). An elu would still cost its pass, and its gradient from the output differs
 * in the last bits from the one from the input, which runs recorded before would no longer match. */
static nn_fused_act dense_fusable_act(act_kind a, float param)
{
    nn_fused_act fa = fusable_act(a, param);
    if (fa.kind != NN_FUSED_LEAKY_RELU) fa.kind = NN_FUSED_NONE;
    return fa;
}

static int build_dense(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    int x = in[0];
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape *xs = &g->nodes[x].shape;
    int fan_in = xs->d[xs->ndim - 1];
    int b = weight_and_bias(c, li, l, nn_shape2(l->units, fan_in), l->units);
    nn_fused_act fa = dense_fusable_act(l->act, l->act_param);
    int y = nn_dense_act(g, x, ctx_call(c)->weight[li], b, fa);
    return fa.kind == NN_FUSED_NONE ? apply_act(g, y, l->act, l->act_param) : y;
}

/* conv: weight (F, C, KH, KW); conv_transpose: weight (C, F, KH, KW) as in PyTorch. */
static int build_conv(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    int x = in[0];
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
static int build_conv1d(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    int x = in[0];
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
static int build_batchnorm(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    int x = in[0];
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

/* one_hot: ids (N) or (N, T) -> (N, [T,] C); the ids come from the data, never differentiated.
 * A 1-wide id input (model input [1]) is read as (N). */
static int build_one_hot(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    nn_graph *g = c->m->g;
    int x = in[0], classes = c->net->layers[li].units;
    const nn_shape *xs = &g->nodes[x].shape;
    if (xs->ndim == 2 && xs->d[1] == 1) x = nn_reshape(g, x, nn_shape1(xs->d[0]));
    else if (xs->ndim > 2) {
        char b[64];
        return nn_graph_fail(g, "needs symbol ids [steps] per sample, got %s", nn_shape_str(xs, b, sizeof b));
    }
    return nn_one_hot(g, x, classes);
}



/* ---- the layers without parameters ---------------------------------------------------------- */
#define LAYER_CTX                                   \
    const layer_spec *l = &c->net->layers[li];      \
    nn_graph *g = c->m->g;                          \
    int B = c->m->batch;                            \
    (void)l, (void)g, (void)B, (void)in, (void)n_in

/* The layer before li when layer li may take it in: of kind `kind`, unnamed, and read only by
 * layer li (which names nothing in `from:`); NULL otherwise. Such a layer's output node stays in
 * the graph, and no plan runs it unless something reads it (a figure); the summary does not
 * count it (layer_forward_flops). */
static const layer_spec *fusable_prev(call_ctx *c, int li, const int *in, layer_kind kind)
{
    const layer_spec *l = &c->net->layers[li], *prev = li > 0 ? &c->net->layers[li - 1] : NULL;
    if (l->n_from || !prev || prev->kind != kind || prev->named || in[0] != ctx_call(c)->out[li - 1]) return NULL;
    return prev;
}

/* Sets the label of the nodes made from now on to layer li's (a fused layer carries the label of
 * the layer it takes in); *own gets the label before. */
static void label_as_layer(call_ctx *c, int li, char own[NN_LABEL_LEN])
{
    nn_graph *g = c->m->g;
    char prev[NN_LABEL_LEN];
    snprintf(own, NN_LABEL_LEN, "%s", g->cur_label);
    nn_graph_set_label(g, model_layer_label(c->m->s, c->net_index, li, prev, sizeof prev));
}

/* An activation layer right after a dense layer without one that it may take in
 * (fusable_prev: gan_fashion's `- dense: 256` then `- leaky_relu: 0.2`, as PyTorch's Sequential
 * writes it) is built as that dense layer again, with the activation fused (relu and
 * leaky_relu: dense_fusable_act), and labelled as it. */
static int build_activation(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    const layer_spec *prev = fusable_prev(c, li, in, LY_DENSE);
    nn_fused_act fa = dense_fusable_act(l->act, l->act_param);
    if (fa.kind != NN_FUSED_NONE && prev && prev->act == ACT_NONE) {
        const nn_node *d = &g->nodes[in[0]];
        int x = d->in[0], w = d->in[1], b = d->n_in == 3 ? d->in[2] : -1;
        char own[NN_LABEL_LEN];
        label_as_layer(c, li - 1, own);
        int y = nn_dense_act(g, x, w, b, fa);
        nn_graph_set_label(g, own);
        return y;
    }
    return apply_act(g, in[0], l->act, l->act_param);
}

/* A 2x2 max pool right after a convolution it may take in (fusable_prev), whose convolution the
 * runtime can make again cheaply (an image model's first layer, nn_conv2d_maxpool_fits), is built
 * as one op with it (conv2d_maxpool), labelled as the convolution: the full-resolution output is
 * then never stored. */
static int build_maxpool(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    if (fusable_prev(c, li, in, LY_CONV) && nn_conv2d_maxpool_fits(g, in[0], l->kernel[0], l->stride, l->pad[0])) {
        char own[NN_LABEL_LEN];
        label_as_layer(c, li - 1, own);
        int y = nn_conv2d_maxpool(g, in[0]);
        nn_graph_set_label(g, own);
        return y;
    }
    return nn_maxpool2d(g, in[0], l->kernel[0], l->stride, l->pad[0]);
}
static int build_dropout(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_dropout(g, in[0], l->p); }
static int build_noise(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_gaussian_noise(g, in[0], l->sigma, l->noise_at_eval); }
static int build_masking_noise(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_masking_noise(g, in[0], l->p, l->noise_at_eval); }
static int build_avgpool(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_avgpool2d(g, in[0], l->kernel[0], l->stride, l->pad[0]); }
static int build_global_avgpool(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_global_avgpool(g, in[0]); }
static int build_upsample(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_upsample_nearest(g, in[0], l->factor); }
static int build_maxpool1d(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_maxpool1d(g, in[0], l->kernel[0], l->stride); }
/* max_over, mean_over: over a per-sample axis; with a mask (time only), over the real steps.
 * last_over: a sequence (N,T,F) at each one's last real step (N,F). pool_real_steps does the
 * three over time. */
static int build_over(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    static const int mode_of[LAYER_KIND_COUNT] = {[LY_MAX_OVER] = RNN_OUT_MAX, [LY_MEAN_OVER] = RNN_OUT_MEAN, [LY_LAST_OVER] = RNN_OUT_LAST};
    int mode = mode_of[l->kind], last = l->kind == LY_LAST_OVER;
    const char *mask_name = l->refs[REF_MASK].name;
    if (!mask_name[0] && !last) return mode == RNN_OUT_MEAN ? nn_mean_over(g, in[0], l->axis + 1) : nn_max_over(g, in[0], l->axis + 1);
    const nn_shape *s = &g->nodes[in[0]].shape;
    if (l->axis != 0 || s->ndim != 3) {
        char b[64];
        if (last) return nn_graph_fail(g, "needs a sequence [steps, features] per sample, got %s", sample_shape_str(g, in[0], b, sizeof b));
        return nn_graph_fail(g, "a mask needs a sequence [steps, features] reduced over time (axis 0), got %s and axis %d",
                             sample_shape_str(g, in[0], b, sizeof b), l->axis);
    }
    int mask = mask_name[0] ? real_steps_mask(c, li, mask_name, s->d[0], s->d[1]) : -1;
    return mask_name[0] && mask < 0 ? -1 : pool_real_steps(g, in[0], mask, mode);
}
static int build_concat(call_ctx *c, int li, const int *in, int n_in) { LAYER_CTX; return nn_concat(g, in, n_in, 1); }

/* shift: x (N,T,...) -> y with y[:, t] = x[:, t - steps], y[:, t < steps] = fill */
static int build_shift(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    nn_shape s = g->nodes[in[0]].shape;
    if (s.ndim < 2) return nn_graph_fail(g, "needs a sequence [steps, ...] per sample");
    int t = s.d[1], k = l->units;
    if (k >= t) return nn_graph_fail(g, "shifts by %d steps a sequence of %d: nothing would be left", k, t);
    nn_shape head = s;
    head.d[1] = k;
    int parts[2] = {nn_const(g, head, l->fill), nn_slice(g, in[0], 1, 0, t - k)};
    return nn_concat(g, parts, 2, 1);
}

static int build_flatten(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    return nn_reshape(g, in[0], nn_shape2(B, (int)(nn_numel(g, in[0]) / (size_t)B)));
}

static int build_reshape(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    nn_shape t = {l->shape.ndim + 1, {B}};
    for (int i = 0; i < l->shape.ndim; i++) t.d[i + 1] = l->shape.d[i];
    return nn_reshape(g, in[0], t);
}

static int build_add(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
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

static int build_embedding(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    int w = ctx_call(c)->weight[li] = call_param(c, l, "weight", nn_shape2(l->vocab, l->units));
    if (w < 0) return -1;
    if (l->frozen) g->nodes[w].no_grad = 1;   /* no gradient, no optimizer step */
    return nn_embedding(g, in[0], w, l->padding_id);
}

/* z = mean + exp(logvar / 2) * eps, eps ~ N(0, I) in training, 0 in evaluation */
static int build_sample_gaussian(call_ctx *c, int li, const int *in, int n_in)
{
    LAYER_CTX;
    int mean = in[0], logvar = in[1];
    if (!nn_shape_eq(&g->nodes[mean].shape, &g->nodes[logvar].shape)) return nn_graph_fail(g, "mean and logvar shapes differ");
    int at_eval = c->net->layers[li].noise_at_eval;
    int eps = nn_gaussian_noise(g, nn_const(g, g->nodes[mean].shape, 0.0f), 1.0f, at_eval);
    if (eps >= 0 && at_eval && c->m->n_eval_samplers < MODEL_MAX_EVAL_SAMPLERS)
        c->m->eval_samplers[c->m->n_eval_samplers++] = g->nodes[eps].in[1];   /* the noise op under x + noise */
    return nn_add(g, mean, nn_mul(g, nn_exp(g, nn_affine(g, logvar, 0.5f, 0.0f)), eps));
}

/* ---- the table ------------------------------------------------------------------------------- */
typedef int (*layer_build_fn)(call_ctx *c, int li, const int *in, int n_in);

/* One row per layer kind: its builder, and its initialiser for kinds with parameters. */
static const struct {
    layer_build_fn build;
    layer_init_fn init;
} layer_kinds[LAYER_KIND_COUNT] = {
    [LY_DENSE] = {build_dense, init_by_fans},
    [LY_ACTIVATION] = {build_activation, NULL},
    [LY_DROPOUT] = {build_dropout, NULL},
    [LY_NOISE] = {build_noise, NULL},
    [LY_FLATTEN] = {build_flatten, NULL},
    [LY_RESHAPE] = {build_reshape, NULL},
    [LY_ADD] = {build_add, NULL},
    [LY_CONCAT] = {build_concat, NULL},
    [LY_SAMPLE_GAUSSIAN] = {build_sample_gaussian, NULL},
    [LY_CONV] = {build_conv, init_by_fans},
    [LY_CONV_T] = {build_conv, init_by_fans},
    [LY_MAXPOOL] = {build_maxpool, NULL},
    [LY_AVGPOOL] = {build_avgpool, NULL},
    [LY_GLOBAL_AVGPOOL] = {build_global_avgpool, NULL},
    [LY_UPSAMPLE] = {build_upsample, NULL},
    [LY_BATCHNORM] = {build_batchnorm, init_batchnorm},
    [LY_MASKING_NOISE] = {build_masking_noise, NULL},
    [LY_EMBEDDING] = {build_embedding, init_embedding},
    [LY_MAX_OVER] = {build_over, NULL},
    [LY_MEAN_OVER] = {build_over, NULL},
    [LY_RNN] = {build_recurrent, init_recurrent},
    [LY_LSTM] = {build_recurrent, init_recurrent},
    [LY_GRU] = {build_recurrent, init_recurrent},
    [LY_ONE_HOT] = {build_one_hot, NULL},
    [LY_CONV1D] = {build_conv1d, init_by_fans},
    [LY_MAXPOOL1D] = {build_maxpool1d, NULL},
    [LY_LAYER_NORM] = {build_layer_norm, init_attention},
    [LY_POSITIONAL] = {build_positional, init_attention},
    [LY_ATTENTION] = {build_attention, init_attention},
    [LY_TRANSFORMER_ENCODER] = {build_transformer_encoder, init_attention},
    [LY_TRANSFORMER_DECODER] = {build_transformer_decoder, init_attention},
    [LY_SHIFT] = {build_shift, NULL},
    [LY_LAST_OVER] = {build_over, NULL},
};

int layer_kind_is_built(layer_kind k) { return layer_kinds[k].build != NULL; }
int layer_kind_has_init(layer_kind k) { return layer_kinds[k].init != NULL; }

/* The layer's inputs: the previous layer's output (the call's first input for the first
 * layer), or the layers and inputs its `from:` names. */
static int layer_inputs(call_ctx *c, int li, int *in)
{
    const layer_spec *l = &c->net->layers[li];
    if (l->n_from == 0) {
        in[0] = li == 0 ? ctx_call(c)->in[0] : ctx_call(c)->out[li - 1];
        return 1;
    }
    for (int k = 0; k < l->n_from; k++)
        if ((in[k] = resolve_in_call(c, li, l->from[k])) < 0) return -1;
    return l->n_from;
}

int layer_build(call_ctx *c, int li)
{
    nn_graph *g = c->m->g;
    const layer_spec *l = &c->net->layers[li];
    int in[SPEC_MAX_FROM] = {-1, -1, -1, -1};
    int n_in = layer_inputs(c, li, in), y = -1;
    if (n_in > 0 && !layer_kinds[l->kind].build)
        nn_graph_fail(g, "internal: layer kind %s has no builder", layer_kind_name(l->kind));
    else if (n_in > 0)
        y = layer_kinds[l->kind].build(c, li, in, n_in);
    if (y < 0 && g->err[0]) layer_error(c, l, g);
    return y;
}

int net_initialise(const model_spec *net, nn_graph *g, const net_call *first, nn_rng *r, diag *d)
{
    for (int i = 0; i < net->n_layers; i++) {
        const layer_spec *l = &net->layers[i];
        layer_init_fn init = layer_kinds[l->kind].init;
        if (first->weight[i] >= 0 && init && init(net, l, g, first->weight[i], first->bias[i], r, d) < 0) return -1;
    }
    return 0;
}
