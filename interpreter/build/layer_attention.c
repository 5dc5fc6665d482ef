/* Attention and Transformer layers as a spec builds them: layer_norm, positional_encoding,
 * attention (torch.nn.MultiheadAttention, batch_first), transformer_encoder and
 * transformer_decoder (torch.nn.TransformerEncoderLayer / TransformerDecoderLayer), with
 * PyTorch's parameter names and layouts so that its weights load as they are, and its
 * initialisation (init_attention).
 *
 * Shapes: B batch, T (Tq, Tk) steps, D model features, H heads, dh = D / H per head. */
#include "build_internal.h"
#include "nn/ops.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The parameters of one multi-head attention, named "<prefix>in_proj_weight" (3D, D) (the
 * query, key and value projections stacked), "<prefix>in_proj_bias" (3D), then
 * "<prefix>out_proj.weight" (D, D) and "<prefix>out_proj.bias" (D); no biases with bias: false. */
typedef struct {
    int in_w, in_b, out_w, out_b;   /* node ids; the biases -1 when absent */
} mha_params;

typedef struct {
    int w, b;
} linear_params;

static int named(call_ctx *c, const layer_spec *l, const char *prefix, const char *what, nn_shape s)
{
    char name[96];
    snprintf(name, sizeof name, "%s%s", prefix, what);
    return call_param(c, l, name, s);
}

static mha_params mha_create(call_ctx *c, const layer_spec *l, const char *prefix, int dm)
{
    mha_params p = {-1, -1, -1, -1};
    p.in_w = named(c, l, prefix, "in_proj_weight", nn_shape2(3 * dm, dm));
    if (l->bias) p.in_b = named(c, l, prefix, "in_proj_bias", nn_shape1(3 * dm));
    p.out_w = named(c, l, prefix, "out_proj.weight", nn_shape2(dm, dm));
    if (l->bias) p.out_b = named(c, l, prefix, "out_proj.bias", nn_shape1(dm));
    return p;
}

static linear_params linear_create(call_ctx *c, const layer_spec *l, const char *prefix, int out, int in)
{
    linear_params p = {named(c, l, prefix, ".weight", nn_shape2(out, in)), -1};
    if (l->bias) p.b = named(c, l, prefix, ".bias", nn_shape1(out));
    return p;
}

/* A layer norm's weight and bias: "<prefix>.weight" (norm1.weight), or "weight" for the
 * layer_norm layer itself (prefix ""), PyTorch's LayerNorm names. */
static linear_params norm_create(call_ctx *c, const layer_spec *l, const char *prefix, int dm)
{
    linear_params p = {named(c, l, prefix, prefix[0] ? ".weight" : "weight", nn_shape1(dm)), -1};
    if (l->bias) p.b = named(c, l, prefix, prefix[0] ? ".bias" : "bias", nn_shape1(dm));
    return p;
}

/* x (B,T,D) -> (B,H,T,dh) */
static int split_heads(nn_graph *g, int x, int heads)
{
    const nn_shape *s = &g->nodes[x].shape;
    int b = s->d[0], t = s->d[1], dm = s->d[2];
    if (heads == 1) return nn_reshape(g, x, nn_shape4(b, 1, t, dm));
    return nn_permute(g, nn_reshape(g, x, nn_shape4(b, t, heads, dm / heads)), (const int[]){0, 2, 1, 3}, 4);
}

/* o (B,H,T,dh) -> (B,T,D) */
static int merge_heads(nn_graph *g, int o)
{
    const nn_shape *s = &g->nodes[o].shape;
    int b = s->d[0], h = s->d[1], t = s->d[2], dh = s->d[3];
    if (h == 1) return nn_reshape(g, o, nn_shape3(b, t, dh));
    return nn_reshape(g, nn_permute(g, o, (const int[]){0, 2, 1, 3}, 4), nn_shape3(b, t, h * dh));
}

/* rows [k*D, (k+1)*D) of the stacked projection: the query (k = 0), key (1) or value (2) part */
static int projection(nn_graph *g, int x, const mha_params *p, int k, int dm)
{
    int w = nn_slice(g, p->in_w, 0, k * dm, dm);
    int b = p->in_b < 0 ? -1 : nn_slice(g, p->in_b, 0, k * dm, dm);
    return nn_dense(g, x, w, b);
}

/* Multi-head attention of queries xq (B,Tq,D) over keys and values xkv (B,Tk,D), mask
 * broadcast to the scores (B,H,Tq,Tk) or -1 -> (B,Tq,D). The fused op never stores the
 * weights, dropout on them (training) included. */
static int multi_head(call_ctx *c, int xq, int xkv, const mha_params *p, int heads, int mask, float dropout)
{
    nn_graph *g = c->m->g;
    int dm = g->nodes[xq].shape.d[2];
    int q = split_heads(g, projection(g, xq, p, 0, dm), heads);
    int k = split_heads(g, projection(g, xkv, p, 1, dm), heads);
    int v = split_heads(g, projection(g, xkv, p, 2, dm), heads);
    int o = nn_attention_dropout(g, q, k, v, mask, 0.0f, c->m->training ? dropout : 0.0f, -1);
    return nn_dense(g, merge_heads(g, o), p->out_w, p->out_b);
}

/* The additive mask of keys (B,1,1,Tk) from a layer whose values > 0 mark real steps (none if
 * name is empty), plus the causal (Tq,Tk) mask when causal_t > 0: -1 when there is neither,
 * -2 on error. */
int key_mask(call_ctx *c, int li, const char *name, int batch, int tk, int causal_t)
{
    nn_graph *g = c->m->g;
    int mask = -1;
    if (name[0]) {
        int real = real_steps_mask(c, li, name, batch, tk);
        if (real < 0) return -2;
        mask = nn_padding_mask(g, real, 0);
    }
    if (causal_t > 0) {
        if (causal_t != tk) {
            nn_graph_fail(g, "causal attention needs as many queries as keys (%d, %d)", causal_t, tk);
            return -2;
        }
        int cm = nn_causal_mask(g, causal_t);
        mask = mask < 0 ? cm : nn_add(g, mask, cm);
    }
    return mask;
}

/* x (B,T,D) per-sample [T, D]; the error names what was given */
static int check_sequence(nn_graph *g, int x, const char *what)
{
    const nn_shape *s = &g->nodes[x].shape;
    if (s->ndim == 3) return 0;
    char b[64];
    return nn_graph_fail(g, "needs %s [steps, features] per sample, got %s; an embedding gives one", what,
                         nn_shape_str(s, b, sizeof b));
}

static int check_heads(nn_graph *g, int dm, int heads)
{
    if (dm % heads == 0) return 0;
    return nn_graph_fail(g, "%d features do not split into %d heads (D must divide by heads)", dm, heads);
}

static int layer_norm(nn_graph *g, int x, const linear_params *p, float eps) { return nn_layer_norm(g, x, p->w, p->b, eps); }

/* ---- layer_norm, positional_encoding ----------------------------------------------------- */
int build_layer_norm(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    const nn_shape *s = &g->nodes[in[0]].shape;
    int dm = s->d[s->ndim - 1];
    linear_params p = norm_create(c, l, "", dm);
    ctx_call(c)->weight[li] = p.w;
    ctx_call(c)->bias[li] = p.b;
    return p.w < 0 ? -1 : layer_norm(g, in[0], &p, l->eps);
}

int build_positional(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    int x = in[0];
    if (check_sequence(g, x, "a sequence") < 0) return -1;
    int t = g->nodes[x].shape.d[1], dm = g->nodes[x].shape.d[2];
    int pe;
    if (l->learned) pe = ctx_call(c)->weight[li] = call_param(c, l, "weight", nn_shape2(t, dm));
    else pe = nn_positional_encoding(g, t, dm);
    if (pe < 0) return -1;
    if (l->scale_input) x = nn_affine(g, x, sqrtf((float)dm), 0.0f);
    return nn_add(g, x, pe);
}

/* ---- attention ------------------------------------------------------------------------------ */
/* attention: queries in[0] (B,Tq,D), keys and values in[1] (B,Tk,D) or in[0] -> (B,Tq,D) */
int build_attention(call_ctx *c, int li, const int *in, int n_in)
{
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    int xq = in[0], xkv = n_in > 1 ? in[1] : in[0];
    if (check_sequence(g, xq, "queries") < 0 || check_sequence(g, xkv, "keys") < 0) return -1;
    nn_shape qs = g->nodes[xq].shape, ks = g->nodes[xkv].shape;
    if (ks.d[2] != qs.d[2])
        return nn_graph_fail(g, "queries have %d features but keys and values %d (they must match)", qs.d[2], ks.d[2]);
    if (check_heads(g, qs.d[2], l->heads) < 0) return -1;
    mha_params p = mha_create(c, l, "", qs.d[2]);
    ctx_call(c)->weight[li] = p.in_w;
    ctx_call(c)->bias[li] = p.in_b;
    if (p.out_w < 0) return -1;
    int mask = key_mask(c, li, l->refs[REF_MASK].name, qs.d[0], ks.d[1], l->causal ? qs.d[1] : 0);
    if (mask < -1) return -1;
    return multi_head(c, xq, xkv, &p, l->heads, mask, l->p);
}

/* ---- transformer layers ----------------------------------------------------------------------- */
/* feed-forward: linear2(dropout(act(linear1(x)))) */
static int feed_forward(call_ctx *c, const layer_spec *l, int x, const linear_params *l1, const linear_params *l2)
{
    nn_graph *g = c->m->g;
    int h = nn_dense(g, x, l1->w, l1->b);
    h = l->ff_gelu ? nn_gelu(g, h) : nn_relu(g, h);
    if (l->p > 0.0f) h = nn_dropout(g, h, l->p);
    return nn_dense(g, h, l2->w, l2->b);
}

/* x + dropout(sublayer output) */
static int residual(call_ctx *c, const layer_spec *l, int x, int y)
{
    nn_graph *g = c->m->g;
    return nn_add(g, x, l->p > 0.0f ? nn_dropout(g, y, l->p) : y);
}

/* One sublayer f of a Transformer layer, wrapped by block(): post-norm x = norm(x + f(x)),
 * pre-norm x = x + f(norm(x)), dropout on f's output in training. */
typedef enum { SUB_SELF_ATTENTION, SUB_MEMORY_ATTENTION, SUB_FEED_FORWARD } sublayer_kind;

typedef struct {
    sublayer_kind kind;
    const mha_params *mha;
    const linear_params *l1, *l2;
    int memory, mask;
} sublayer;

static int sublayer_apply(call_ctx *c, const layer_spec *l, const sublayer *s, int x)
{
    if (s->kind == SUB_FEED_FORWARD) return feed_forward(c, l, x, s->l1, s->l2);
    return multi_head(c, x, s->kind == SUB_SELF_ATTENTION ? x : s->memory, s->mha, l->heads, s->mask, l->p);
}

static int block(call_ctx *c, const layer_spec *l, const sublayer *s, const linear_params *norm, int x)
{
    nn_graph *g = c->m->g;
    if (l->norm_first) return residual(c, l, x, sublayer_apply(c, l, s, layer_norm(g, x, norm, l->eps)));
    return layer_norm(g, residual(c, l, x, sublayer_apply(c, l, s, x)), norm, l->eps);
}

/* transformer_encoder: x (B,T,D) -> (B,T,D). Parameters in PyTorch's order: self_attn.*,
 * linear1, linear2, norm1, norm2. */
int build_transformer_encoder(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    int x = in[0];
    if (check_sequence(g, x, "a sequence") < 0) return -1;
    nn_shape xs = g->nodes[x].shape;
    int dm = xs.d[2];
    if (check_heads(g, dm, l->heads) < 0) return -1;
    mha_params sa = mha_create(c, l, "self_attn.", dm);
    linear_params l1 = linear_create(c, l, "linear1", l->units, dm), l2 = linear_create(c, l, "linear2", dm, l->units);
    linear_params n1 = norm_create(c, l, "norm1", dm), n2 = norm_create(c, l, "norm2", dm);
    ctx_call(c)->weight[li] = sa.in_w;
    ctx_call(c)->bias[li] = sa.in_b;
    if (n2.w < 0 || (l->bias && n2.b < 0)) return -1;
    int mask = key_mask(c, li, l->refs[REF_MASK].name, xs.d[0], xs.d[1], l->causal ? xs.d[1] : 0);
    if (mask < -1) return -1;
    x = block(c, l, &(sublayer){SUB_SELF_ATTENTION, &sa, NULL, NULL, -1, mask}, &n1, x);
    return block(c, l, &(sublayer){SUB_FEED_FORWARD, NULL, &l1, &l2, -1, -1}, &n2, x);
}

/* transformer_decoder: target sequence in[0] (B,T,D), memory in[1] (B,S,D) -> (B,T,D).
 * Parameters in PyTorch's order: self_attn.*, multihead_attn.*, linear1, linear2, norm1..3. */
int build_transformer_decoder(call_ctx *c, int li, const int *in, int n_in)
{
    (void)n_in;
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    int x = in[0], mem = in[1];
    if (check_sequence(g, x, "a target sequence") < 0 || check_sequence(g, mem, "a memory") < 0) return -1;
    nn_shape xs = g->nodes[x].shape, ms = g->nodes[mem].shape;
    int dm = xs.d[2];
    if (ms.d[2] != dm) return nn_graph_fail(g, "the memory has %d features but the target sequence %d (they must match)", ms.d[2], dm);
    if (check_heads(g, dm, l->heads) < 0) return -1;
    mha_params sa = mha_create(c, l, "self_attn.", dm), ca = mha_create(c, l, "multihead_attn.", dm);
    linear_params l1 = linear_create(c, l, "linear1", l->units, dm), l2 = linear_create(c, l, "linear2", dm, l->units);
    linear_params n1 = norm_create(c, l, "norm1", dm), n2 = norm_create(c, l, "norm2", dm), n3 = norm_create(c, l, "norm3", dm);
    ctx_call(c)->weight[li] = sa.in_w;
    ctx_call(c)->bias[li] = sa.in_b;
    if (n3.w < 0 || (l->bias && n3.b < 0)) return -1;
    int self_mask = key_mask(c, li, l->refs[REF_MASK].name, xs.d[0], xs.d[1], l->causal ? xs.d[1] : 0);
    int mem_mask = key_mask(c, li, l->refs[REF_MEMORY_MASK].name, ms.d[0], ms.d[1], 0);
    if (self_mask < -1 || mem_mask < -1) return -1;
    x = block(c, l, &(sublayer){SUB_SELF_ATTENTION, &sa, NULL, NULL, -1, self_mask}, &n1, x);
    x = block(c, l, &(sublayer){SUB_MEMORY_ATTENTION, &ca, NULL, NULL, mem, mem_mask}, &n2, x);
    return block(c, l, &(sublayer){SUB_FEED_FORWARD, NULL, &l1, &l2, -1, -1}, &n3, x);
}

/* ---- initialisation --------------------------------------------------------------------------- */
/* PyTorch's defaults, by the parameter's name: the stacked projection Xavier-uniform and its
 * bias 0 (MultiheadAttention._reset_parameters), out_proj's weight like any Linear
 * U(+-1/sqrt(fan_in)) and its bias 0, linear1/linear2 like any Linear (bias too), norms 1 and 0,
 * a learned positional table N(0, 1) as nn.Embedding. `init:` replaces the rule of the weight
 * matrices, `bias_init:` that of the biases. */
typedef enum { PI_XAVIER, PI_LINEAR_W, PI_LINEAR_B, PI_ZERO, PI_ONE, PI_NORMAL } param_init;

static const struct {
    const char *suffix;
    param_init rule;
} param_rules[] = {
    {"in_proj_weight", PI_XAVIER}, {"in_proj_bias", PI_ZERO},  {"out_proj.weight", PI_LINEAR_W}, {"out_proj.bias", PI_ZERO},
    {"linear1.weight", PI_LINEAR_W}, {"linear1.bias", PI_LINEAR_B}, {"linear2.weight", PI_LINEAR_W},
    {"linear2.bias", PI_LINEAR_B},
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static param_init rule_of(const layer_spec *l, const char *label)
{
    for (size_t k = 0; k < sizeof param_rules / sizeof param_rules[0]; k++)
        if (ends_with(label, param_rules[k].suffix)) return param_rules[k].rule;
    if (l->kind == LY_POSITIONAL) return PI_NORMAL;
    return ends_with(label, "weight") ? PI_ONE : PI_ZERO;   /* layer norms */
}

/* The builders create all of a layer's parameters before any op: they are the nodes weight ..
 * layer_params_end() - 1. */
int init_attention(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d)
{
    (void)bias;
    int rc = 0, end = layer_params_end(g, net, l, weight);
    for (int id = weight; rc == 0 && id < end; id++) {
        const nn_shape *s = &g->nodes[id].shape;
        float *w = nn_data(g, id);
        size_t n = nn_shape_numel(s);
        int fan_in = s->d[s->ndim - 1], fan_out = s->d[0];
        param_init rule = rule_of(l, g->nodes[id].label);
        char err[256] = "";
        int is_matrix = rule == PI_XAVIER || rule == PI_LINEAR_W;
        if (is_matrix && l->has_init) rc = nn_init_fill(w, fan_out, fan_in, &l->init, r, err, sizeof err);
        else if (!is_matrix && l->has_bias_init && rule != PI_ONE) rc = nn_init_fill_bias(w, (int)n, (int)n, &l->bias_init, r, err, sizeof err);
        else if (rule == PI_XAVIER) {
            float a = sqrtf(6.0f / (float)(fan_in + fan_out));
            for (size_t j = 0; j < n; j++) w[j] = nn_rng_range(r, -a, a);
        } else if (rule == PI_LINEAR_W || rule == PI_LINEAR_B)
            init_torch_linear(g, id, r);
        else if (rule == PI_NORMAL)
            for (size_t j = 0; j < n; j++) w[j] = nn_rng_normal(r);
        else
            for (size_t j = 0; j < n; j++) w[j] = rule == PI_ONE ? 1.0f : 0.0f;
        if (rc < 0) diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
    }
    return rc;
}
