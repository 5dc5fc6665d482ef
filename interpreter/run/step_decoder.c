/* step_decoder.c — the decoder chain of a single model applied one step at a time (see
 * step_decoder.h). Each chain layer has a step function over rows; a layer's output is a
 * (rows_max, width) buffer, or its input's buffer for layers that are the identity at
 * evaluation (dropout, noise).
 *
 * Shapes: R rows (sentences x beams), B sentences, T target steps, S memory steps, D model
 * features, F feed-forward width, V classes. */
#include "step_decoder.h"
#include "../build/build_internal.h"
#include "nn/infer.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One multi-head attention's weights (PyTorch's MultiheadAttention: stacked q, k, v rows). */
typedef struct {
    const float *in_w, *in_b, *out_w, *out_b;
} mha_weights;

/* What one attention sublayer keeps between steps: a causal self-attention its keys and values
 * (R, T, D); an attention over a memory the memory's (B, S, D) and the padding bias (B, S). */
typedef struct {
    mha_weights w;
    int over_memory;
    float *k, *v, *bias;
    int memory_node, mask_node;   /* graph nodes of the memory and of its real-steps layer (-1: none) */
} attention_state;

/* An rnn, lstm or gru layer run step by step: its weights (PyTorch's layout; rnn and lstm have
 * one bias, in b_ih), its state h (R, H) and lstm cell c, started from the initial-state
 * layers (or zeros); a gru that attends also its attention's Linears and the attended keys
 * (B, S, F) with their projection Ua k + bu (B, S, H) and padding bias (B, S). */
typedef struct {
    const float *w_ih, *w_hh, *b_ih, *b_hh;
    float *h, *c, *gates, *gates_h, *x_in, *q, *ctx, *weights;   /* state and per-step scratch */
    int h0_node, c0_node;
    const float *wa, *ba, *ua, *bua, *va, *bva;
    int keys_node, mask_node, s, f, e;
    float *keys, *keys_u, *bias;
} recurrent_state;

typedef struct {
    int li;                        /* the layer's index in the net */
    const layer_spec *l;
    int width;                     /* output floats per row */
    int in_slot;                   /* the chain layer its sequence input comes from (-1: the token) */
    float *out;                    /* (rows_max, width), or the input's buffer (identity layers) */
    attention_state att[2];        /* attention: [0]; transformer layers: self [0], memory [1] */
    int n_att;
    const float *w, *b;            /* embedding, dense, positional (learned or computed table), layer_norm */
    const float *ff_w[2], *ff_b[2], *norm_w[3], *norm_b[3];   /* transformer layers */
    int pe_node;                   /* positional_encoding: the table's node */
    recurrent_state rec;           /* rnn, lstm, gru */
} step_layer;

struct step_decoder {
    model_graph *m;
    nn_plan *plan;                 /* what the chain reads from outside it */
    step_layer *layers;
    int n_layers;
    int steps, classes, start_id;
    int rows_max, rows, beams, d_max, f_max;
    int *kv_row;                   /* (R) the sentence each row decodes */
    const attention_state *watched;   /* the chain's last attention over a memory, or NULL */
    const step_layer *watched_gru;    /* ... or the gru that attends, when it comes last */
    float *head_weights, *weights; /* its last step's weights: (R, heads, S), averaged over heads (R, S) */
    int watched_heads, watched_len;
    float *q, *o, *h, *f, *swap;   /* per-step scratch: (R, D) x3, (R, max(F, 3D)), a cache's size */
    size_t swap_floats;
};

/* ---- finding the chain ------------------------------------------------------------------------ */
static const float *param(model_graph *m, const layer_spec *l, const char *what)
{
    char want[3 * SPEC_NAME_LEN];
    snprintf(want, sizeof want, "%s.%s", l->name, what);
    for (int k = 0; k < m->n_params; k++)
        if (strcmp(m->g->nodes[m->params[k]].label, want) == 0) return nn_data(m->g, m->params[k]);
    return NULL;
}

/* The graph node a layer name gives (the model's input, or a layer's first-call output). */
static int named_node(model_graph *m, const char *name)
{
    if (strcmp(name, "input") == 0) return m->x;
    int k = net_find_layer(&m->s->nets[0], name);
    return k < 0 ? -1 : m->out[k];
}

/* The layer indices feeding layer li (up to SPEC_MAX_FROM), -1 for the net's input, -2 for
 * the targets. */
static int layer_sources(const model_spec *net, int li, int *src)
{
    const layer_spec *l = &net->layers[li];
    if (l->n_from == 0) {
        src[0] = li - 1;
        return 1;
    }
    for (int k = 0; k < l->n_from; k++)
        src[k] = strcmp(l->from[k], "target") == 0 ? -2 : net_find_layer(net, l->from[k]);
    return l->n_from;
}

static int fail(char *err, size_t errlen, const layer_spec *l, const char *msg)
{
    snprintf(err, errlen, "layer '%s' (%s): %s", l->name, layer_kind_name(l->kind), msg);
    return -1;
}

/* ---- each kind's set-up ------------------------------------------------------------------------- */
static int last_dim(model_graph *m, int node)
{
    const nn_shape *s = &m->g->nodes[node].shape;
    return s->d[s->ndim - 1];
}

static int mha_load(model_graph *m, const layer_spec *l, const char *prefix, mha_weights *w)
{
    char a[64], b[64], c[64], d[64];
    snprintf(a, sizeof a, "%sin_proj_weight", prefix);
    snprintf(b, sizeof b, "%sin_proj_bias", prefix);
    snprintf(c, sizeof c, "%sout_proj.weight", prefix);
    snprintf(d, sizeof d, "%sout_proj.bias", prefix);
    w->in_w = param(m, l, a), w->in_b = param(m, l, b), w->out_w = param(m, l, c), w->out_b = param(m, l, d);
    return w->in_w && w->out_w ? 0 : -1;
}

/* The memory input (from[1]) and its padding layer of an attention over a memory. */
static int memory_setup(model_graph *m, const layer_spec *l, int src, const char *mask_name, attention_state *a,
                        char *err, size_t errlen)
{
    a->over_memory = 1;
    a->memory_node = src >= 0 ? m->out[src] : m->x;
    a->mask_node = mask_name[0] ? named_node(m, mask_name) : -1;
    if (mask_name[0] && a->mask_node < 0) return fail(err, errlen, l, "its mask layer is not in the graph");
    return 0;
}

static int setup_transformer(model_graph *m, step_layer *sl, const int *src, int n_src, char *err, size_t errlen)
{
    const layer_spec *l = sl->l;
    int decoder = l->kind == LY_TRANSFORMER_DECODER;
    if (!l->causal) return fail(err, errlen, l, "its self-attention sees later steps (causal: false), so it cannot run one step at a time");
    sl->n_att = decoder ? 2 : 1;
    if (mha_load(m, l, "self_attn.", &sl->att[0].w) < 0 || (decoder && mha_load(m, l, "multihead_attn.", &sl->att[1].w) < 0))
        return fail(err, errlen, l, "its attention weights are missing");
    if (decoder && (n_src < 2 || memory_setup(m, l, src[1], l->refs[REF_MEMORY_MASK].name, &sl->att[1], err, errlen) < 0))
        return n_src < 2 ? fail(err, errlen, l, "has no memory input") : -1;
    static const char *const ff[2][2] = {{"linear1.weight", "linear1.bias"}, {"linear2.weight", "linear2.bias"}};
    static const char *const norm[3][2] = {{"norm1.weight", "norm1.bias"}, {"norm2.weight", "norm2.bias"}, {"norm3.weight", "norm3.bias"}};
    for (int k = 0; k < 2; k++) sl->ff_w[k] = param(m, l, ff[k][0]), sl->ff_b[k] = param(m, l, ff[k][1]);
    for (int k = 0; k < 1 + sl->n_att; k++) sl->norm_w[k] = param(m, l, norm[k][0]), sl->norm_b[k] = param(m, l, norm[k][1]);
    if (!sl->ff_w[0] || !sl->ff_w[1] || !sl->norm_w[sl->n_att]) return fail(err, errlen, l, "its weights are missing");
    return 0;
}

static int setup_attention(model_graph *m, step_layer *sl, const int *src, int n_src, char *err, size_t errlen)
{
    const layer_spec *l = sl->l;
    sl->n_att = 1;
    if (mha_load(m, l, "", &sl->att[0].w) < 0) return fail(err, errlen, l, "its weights are missing");
    if (n_src > 1) return memory_setup(m, l, src[1], l->refs[REF_MASK].name, &sl->att[0], err, errlen);
    if (!l->causal) return fail(err, errlen, l, "it attends to later steps (causal: false), so it cannot run one step at a time");
    return 0;
}

/* rnn, lstm, gru: one direction over every step, from its initial states; a gru may attend. */
static int setup_recurrent(model_graph *m, step_layer *sl, char *err, size_t errlen)
{
    const layer_spec *l = sl->l;
    recurrent_state *rc = &sl->rec;
    if (l->rnn_bidir) return fail(err, errlen, l, "its reverse direction reads later steps, so it cannot run one step at a time");
    if (l->rnn_output != RNN_OUT_ALL) return fail(err, errlen, l, "a decoder's recurrent layer gives every step (output: all)");
    int gru = l->kind == LY_GRU;
    rc->w_ih = param(m, l, "weight_ih"), rc->w_hh = param(m, l, "weight_hh");
    rc->b_ih = param(m, l, gru ? "bias_ih" : "bias"), rc->b_hh = gru ? param(m, l, "bias_hh") : NULL;
    if (!rc->w_ih || !rc->w_hh) return fail(err, errlen, l, "its weights are missing");
    const char *h0 = l->refs[REF_INITIAL_STATE].name, *c0 = l->refs[REF_INITIAL_CELL].name;
    rc->h0_node = h0[0] ? named_node(m, h0) : -1;
    rc->c0_node = c0[0] ? named_node(m, c0) : -1;
    rc->keys_node = rc->mask_node = -1;
    if (!l->refs[REF_ATTEND].name[0]) return 0;
    rc->keys_node = named_node(m, l->refs[REF_ATTEND].name);
    if (l->refs[REF_ATTEND_MASK].name[0]) rc->mask_node = named_node(m, l->refs[REF_ATTEND_MASK].name);
    static const char *const names[6] = {"attention.Wa.weight", "attention.Wa.bias", "attention.Ua.weight",
                                         "attention.Ua.bias",   "attention.Va.weight", "attention.Va.bias"};
    const float **w[6] = {&rc->wa, &rc->ba, &rc->ua, &rc->bua, &rc->va, &rc->bva};
    for (int k = 0; k < 6; k++)
        if (!(*w[k] = param(m, l, names[k]))) return fail(err, errlen, l, "its attention's weights are missing");
    if (rc->keys_node < 0) return fail(err, errlen, l, "the layer it attends to is not in the graph");
    rc->s = m->g->nodes[rc->keys_node].shape.d[1];
    rc->f = m->g->nodes[rc->keys_node].shape.d[2];
    return 0;
}

static int act_of(act_kind a, nn_infer_act *out)
{
    static const struct {
        act_kind kind;
        nn_infer_act infer;
    } acts[] = {{ACT_RELU, NN_INFER_RELU}, {ACT_GELU, NN_INFER_GELU}, {ACT_TANH, NN_INFER_TANH}, {ACT_SIGMOID, NN_INFER_SIGMOID}};
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++)
        if (acts[k].kind == a) {
            *out = acts[k].infer;
            return 0;
        }
    return -1;
}

/* A chain layer's weights and checks; in_slot and width are set. */
static int setup_layer(model_graph *m, step_layer *sl, const int *src, int n_src, char *err, size_t errlen)
{
    const layer_spec *l = sl->l;
    nn_infer_act act;
    switch (l->kind) {
    case LY_SHIFT:
        if (l->units != 1) return fail(err, errlen, l, "a decoder's input shifts by one step");
        return 0;
    case LY_EMBEDDING:
        sl->w = nn_data(m->g, m->weight[sl->li]);
        return 0;
    case LY_POSITIONAL:
        if (l->learned) sl->w = nn_data(m->g, m->weight[sl->li]);
        else sl->pe_node = m->g->nodes[m->out[sl->li]].in[1];
        return 0;
    case LY_DROPOUT:
        return 0;
    case LY_NOISE:
    case LY_MASKING_NOISE:
        return l->noise_at_eval ? fail(err, errlen, l, "it adds noise at evaluation") : 0;
    case LY_ACTIVATION:
        return act_of(l->act, &act) < 0 ? fail(err, errlen, l, "this activation has no step form (relu, gelu, tanh, sigmoid do)") : 0;
    case LY_DENSE:
        if (l->act != ACT_NONE && act_of(l->act, &act) < 0) return fail(err, errlen, l, "this activation has no step form");
        sl->w = nn_data(m->g, m->weight[sl->li]);
        sl->b = m->bias[sl->li] >= 0 ? nn_data(m->g, m->bias[sl->li]) : NULL;
        return 0;
    case LY_LAYER_NORM:
        sl->w = nn_data(m->g, m->weight[sl->li]);
        sl->b = m->bias[sl->li] >= 0 ? nn_data(m->g, m->bias[sl->li]) : NULL;
        return 0;
    case LY_ATTENTION:
        return setup_attention(m, sl, src, n_src, err, errlen);
    case LY_TRANSFORMER_DECODER:
    case LY_TRANSFORMER_ENCODER:
        return setup_transformer(m, sl, src, n_src, err, errlen);
    case LY_RNN:
    case LY_LSTM:
    case LY_GRU:
        return setup_recurrent(m, sl, err, errlen);
    default:
        return fail(err, errlen, l, "this kind of layer has no step-by-step form for decoding");
    }
}

/* Marks the layers that read the shift layer (directly or not) up to pred and sets them up. */
static int find_chain(step_decoder *sd, int pred, char *err, size_t errlen)
{
    model_graph *m = sd->m;
    const model_spec *net = &m->s->nets[0];
    int *slot = malloc((size_t)net->n_layers * sizeof *slot), start = -1;
    sd->layers = calloc((size_t)net->n_layers, sizeof *sd->layers);
    if (!slot || !sd->layers) {
        free(slot);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int li = 0; li <= pred; li++) {
        int src[SPEC_MAX_FROM] = {-1}, n_src = layer_sources(net, li, src), in_slot = -1, reads_chain = 0;
        slot[li] = -1;
        const layer_spec *l = &net->layers[li];
        if (l->kind == LY_SHIFT && src[0] == -2) reads_chain = start < 0;
        for (int k = 0; k < n_src; k++)
            if (src[k] >= 0 && slot[src[k]] >= 0) {
                if (k > 0) {
                    free(slot);
                    return fail(err, errlen, l, "reads the decoder's steps through a second input");
                }
                in_slot = slot[src[0]], reads_chain = 1;
            }
        if (!reads_chain) continue;
        if (l->kind == LY_SHIFT) start = li;
        step_layer *sl = &sd->layers[sd->n_layers];
        sl->li = li, sl->l = l, sl->in_slot = in_slot, sl->pe_node = -1;
        sl->width = l->kind == LY_SHIFT ? 1 : last_dim(m, m->out[li]);
        if (setup_layer(m, sl, src, n_src, err, errlen) < 0) {
            free(slot);
            return -1;
        }
        slot[li] = sd->n_layers++;
    }
    int pred_slot = slot[pred];
    free(slot);
    if (start < 0) {
        snprintf(err, errlen, "the model has no decoder input: a layer {shift: {fill: START}, from: target} before '%s'",
                 net->layers[pred].name);
        return -1;
    }
    if (pred_slot != sd->n_layers - 1) {
        snprintf(err, errlen, "layer '%s' does not read the decoder input '%s'", net->layers[pred].name, net->layers[start].name);
        return -1;
    }
    sd->start_id = (int)net->layers[start].fill;
    return 0;
}

/* ---- buffers and the plan ---------------------------------------------------------------------- */
static int is_recurrent(const layer_spec *l) { return l->kind == LY_RNN || l->kind == LY_LSTM || l->kind == LY_GRU; }

static int allocate_recurrent(step_decoder *sd, step_layer *sl)
{
    recurrent_state *rc = &sl->rec;
    size_t R = (size_t)sd->rows_max, B = (size_t)sd->m->batch, H = (size_t)sl->width;
    rc->e = sd->layers[sl->in_slot].width;
    size_t in = (size_t)rc->e + (size_t)rc->f;
    rc->h = calloc(R * H, sizeof(float));
    rc->c = calloc(R * H, sizeof(float));
    rc->gates = malloc(R * 4 * H * sizeof(float));
    rc->gates_h = malloc(R * 4 * H * sizeof(float));
    rc->x_in = malloc(R * in * sizeof(float));
    rc->q = malloc(R * H * sizeof(float));
    if (!rc->h || !rc->c || !rc->gates || !rc->gates_h || !rc->x_in || !rc->q) return -1;
    if (R * H > sd->swap_floats) sd->swap_floats = R * H;   /* beam search reorders the states through it */
    if (rc->keys_node < 0) return 0;
    rc->keys = malloc(B * (size_t)rc->s * (size_t)rc->f * sizeof(float));
    rc->keys_u = malloc(B * (size_t)rc->s * H * sizeof(float));
    rc->bias = malloc(B * (size_t)rc->s * sizeof(float));
    rc->weights = malloc(R * (size_t)rc->s * sizeof(float));
    rc->ctx = malloc(R * (size_t)rc->f * sizeof(float));
    return rc->keys && rc->keys_u && rc->bias && rc->weights && rc->ctx ? 0 : -1;
}

static void free_recurrent(recurrent_state *rc)
{
    free(rc->h), free(rc->c), free(rc->gates), free(rc->gates_h), free(rc->x_in), free(rc->q);
    free(rc->keys), free(rc->keys_u), free(rc->bias), free(rc->weights), free(rc->ctx);
}

/* dropout and noise: the identity at evaluation */
static int is_identity(const layer_spec *l) { return l->kind == LY_DROPOUT || l->kind == LY_NOISE || l->kind == LY_MASKING_NOISE; }

static int allocate(step_decoder *sd)
{
    size_t R = (size_t)sd->rows_max, T = (size_t)sd->steps, B = (size_t)sd->m->batch;
    for (int i = 0; i < sd->n_layers; i++) {
        step_layer *sl = &sd->layers[i];
        const layer_spec *l = sl->l;
        if (is_identity(l)) sl->out = sd->layers[sl->in_slot].out;   /* passes its input on */
        else if (!(sl->out = malloc(R * (size_t)sl->width * sizeof(float)))) return -1;
        if (sl->width > sd->d_max) sd->d_max = sl->width;
        if (sl->ff_w[0] && l->units > sd->f_max) sd->f_max = l->units;
        for (int k = 0; k < sl->n_att; k++) {
            attention_state *a = &sl->att[k];
            size_t d = (size_t)sl->width, n = R * T * d;
            if (a->over_memory) {
                const nn_shape *ms = &sd->m->g->nodes[a->memory_node].shape;
                n = B * (size_t)ms->d[1] * d;
                if (!(a->bias = malloc(B * (size_t)ms->d[1] * sizeof(float)))) return -1;
            } else if (n > sd->swap_floats)
                sd->swap_floats = n;
            if (!(a->k = malloc(n * sizeof(float))) || !(a->v = malloc(n * sizeof(float)))) return -1;
        }
    }
    for (int i = 0; i < sd->n_layers; i++)
        if (is_recurrent(sd->layers[i].l) && allocate_recurrent(sd, &sd->layers[i]) < 0) return -1;
    size_t dm = (size_t)sd->d_max, fw = (size_t)(sd->f_max > 3 * sd->d_max ? sd->f_max : 3 * sd->d_max);
    sd->q = malloc(R * dm * sizeof(float));
    sd->o = malloc(R * dm * sizeof(float));
    sd->h = malloc(R * dm * sizeof(float));
    sd->f = malloc(R * fw * sizeof(float));
    sd->swap = malloc((sd->swap_floats ? sd->swap_floats : 1) * sizeof(float));
    sd->kv_row = malloc(R * sizeof(int));
    for (int i = 0; i < sd->n_layers; i++) {   /* the last attention over a memory is the one shown */
        for (int k = 0; k < sd->layers[i].n_att; k++)
            if (sd->layers[i].att[k].over_memory) {
                sd->watched = &sd->layers[i].att[k], sd->watched_gru = NULL;
                sd->watched_heads = sd->layers[i].l->heads;
                sd->watched_len = sd->m->g->nodes[sd->watched->memory_node].shape.d[1];
            }
        if (sd->layers[i].rec.keys_node >= 0 && is_recurrent(sd->layers[i].l))
            sd->watched = NULL, sd->watched_gru = &sd->layers[i], sd->watched_len = sd->layers[i].rec.s;
    }
    if (sd->watched && !(sd->head_weights = malloc(R * (size_t)sd->watched_heads * (size_t)sd->watched_len * sizeof(float))))
        return -1;
    if ((sd->watched || sd->watched_gru) && !(sd->weights = malloc(R * (size_t)sd->watched_len * sizeof(float)))) return -1;
    return sd->q && sd->o && sd->h && sd->f && sd->swap && sd->kv_row ? 0 : -1;
}

/* A plan computing the memories, their masks and the positional tables from the sources. */
static int plan_statics(step_decoder *sd)
{
    int t[4 * 64], n = 0;
    for (int i = 0; i < sd->n_layers && n < 4 * 64 - 8; i++) {
        step_layer *sl = &sd->layers[i];
        if (sl->pe_node >= 0) t[n++] = sl->pe_node;
        if (is_recurrent(sl->l)) {
            const int nodes[4] = {sl->rec.h0_node, sl->rec.c0_node, sl->rec.keys_node, sl->rec.mask_node};
            for (int k = 0; k < 4; k++)
                if (nodes[k] >= 0) t[n++] = nodes[k];
        }
        for (int k = 0; k < sl->n_att; k++)
            if (sl->att[k].over_memory) {
                t[n++] = sl->att[k].memory_node;
                if (sl->att[k].mask_node >= 0) t[n++] = sl->att[k].mask_node;
            }
    }
    if (n == 0) return 0;
    sd->plan = nn_plan_create(sd->m->g, t, n);
    return sd->plan ? 0 : -1;
}

step_decoder *step_decoder_new(model_graph *m, int pred, int beams_max, char *err, size_t errlen)
{
    if (!m->s->single) {
        snprintf(err, errlen, "step-by-step decoding needs a spec's single model (its model: section)");
        return NULL;
    }
    if (m->t < 0) {
        snprintf(err, errlen, "the model has no targets to decode");
        return NULL;
    }
    step_decoder *sd = calloc(1, sizeof *sd);
    if (!sd) return NULL;
    sd->m = m;
    sd->steps = m->g->nodes[m->t].shape.d[1];
    sd->rows_max = m->batch * (beams_max > 0 ? beams_max : 1);
    if (find_chain(sd, pred, err, errlen) < 0) goto fail;
    sd->classes = sd->layers[sd->n_layers - 1].width;
    if (allocate(sd) < 0 || plan_statics(sd) < 0) {
        snprintf(err, errlen, "out of memory for a decoder of %d rows", sd->rows_max);
        goto fail;
    }
    return sd;
fail:
    step_decoder_free(sd);
    return NULL;
}

void step_decoder_free(step_decoder *sd)
{
    if (!sd) return;
    for (int i = 0; sd->layers && i < sd->n_layers; i++) {
        step_layer *sl = &sd->layers[i];
        if (!is_identity(sl->l)) free(sl->out);
        free_recurrent(&sl->rec);
        for (int k = 0; k < sl->n_att; k++) free(sl->att[k].k), free(sl->att[k].v), free(sl->att[k].bias);
    }
    free(sd->layers);
    nn_plan_free(sd->plan);
    free(sd->q), free(sd->o), free(sd->h), free(sd->f), free(sd->swap), free(sd->kv_row);
    free(sd->head_weights), free(sd->weights);
    free(sd);
}

int step_decoder_start_id(const step_decoder *sd) { return sd->start_id; }
int step_decoder_steps(const step_decoder *sd) { return sd->steps; }
int step_decoder_classes(const step_decoder *sd) { return sd->classes; }

const float *step_decoder_attention(const step_decoder *sd, int *len)
{
    int shown = sd->watched || sd->watched_gru;
    *len = shown ? sd->watched_len : 0;
    return shown ? sd->weights : NULL;
}

/* ---- a batch of sources ----------------------------------------------------------------------- */
/* The keys and values of a memory (B, S, D), projected once, and its padding bias (B, S). */
static void project_memory(step_decoder *sd, step_layer *sl, attention_state *a, int n)
{
    nn_graph *g = sd->m->g;
    int d = sl->width, s = g->nodes[a->memory_node].shape.d[1];
    const float *mem = nn_data(g, a->memory_node);
    const float *wk = a->w.in_w + (size_t)d * d, *wv = a->w.in_w + (size_t)2 * d * d;
    const float *bk = a->w.in_b ? a->w.in_b + d : NULL, *bv = a->w.in_b ? a->w.in_b + 2 * d : NULL;
    nn_infer_linear(mem, n * s, d, d, wk, bk, d, a->k, d);
    nn_infer_linear(mem, n * s, d, d, wv, bv, d, a->v, d);
    const float *mask = a->mask_node >= 0 ? nn_data(g, a->mask_node) : NULL;
    for (size_t i = 0; i < (size_t)n * s; i++) a->bias[i] = !mask || mask[i] > 0.0f ? 0.0f : -INFINITY;
}

/* A recurrent layer's state at step 0 (each row its sentence's initial state, or zeros) and
 * what its attention reads. */
static void start_recurrent(step_decoder *sd, step_layer *sl, int n)
{
    recurrent_state *rc = &sl->rec;
    nn_graph *g = sd->m->g;
    size_t H = (size_t)sl->width;
    const float *h0 = rc->h0_node >= 0 ? nn_data(g, rc->h0_node) : NULL, *c0 = rc->c0_node >= 0 ? nn_data(g, rc->c0_node) : NULL;
    for (int r = 0; r < sd->rows; r++) {
        size_t from = (size_t)sd->kv_row[r] * H;
        if (h0) memcpy(rc->h + r * H, h0 + from, H * sizeof(float));
        else memset(rc->h + r * H, 0, H * sizeof(float));
        if (c0) memcpy(rc->c + r * H, c0 + from, H * sizeof(float));
        else memset(rc->c + r * H, 0, H * sizeof(float));
    }
    if (rc->keys_node < 0) return;
    size_t sf = (size_t)rc->s * rc->f;
    memcpy(rc->keys, nn_data(g, rc->keys_node), (size_t)n * sf * sizeof(float));
    nn_infer_linear(rc->keys, n * rc->s, rc->f, rc->f, rc->ua, rc->bua, (int)H, rc->keys_u, (int)H);
    const float *mask = rc->mask_node >= 0 ? nn_data(g, rc->mask_node) : NULL;
    for (size_t i = 0; i < (size_t)n * rc->s; i++) rc->bias[i] = !mask || mask[i] > 0.0f ? 0.0f : -INFINITY;
}

int step_decoder_begin(step_decoder *sd, const float *sources, int n, int beams, char *err, size_t errlen)
{
    model_graph *m = sd->m;
    if (n < 1 || n > m->batch || beams < 1 || n * beams > sd->rows_max) {
        snprintf(err, errlen, "internal: %d sentences of %d beams do not fit a decoder of %d rows", n, beams, sd->rows_max);
        return -1;
    }
    size_t xn = nn_numel(m->g, m->x) / (size_t)m->batch;
    memcpy(nn_data(m->g, m->x), sources, (size_t)n * xn * sizeof(float));
    memset(nn_data(m->g, m->x) + (size_t)n * xn, 0, (size_t)(m->batch - n) * xn * sizeof(float));
    memset(nn_data(m->g, m->t), 0, nn_numel(m->g, m->t) * sizeof(float));
    if (sd->plan) nn_plan_run(m->g, sd->plan);
    sd->rows = n * beams;
    sd->beams = beams;
    for (int r = 0; r < sd->rows; r++) sd->kv_row[r] = r / beams;
    for (int i = 0; i < sd->n_layers; i++)
        for (int k = 0; k < sd->layers[i].n_att; k++)
            if (sd->layers[i].att[k].over_memory) project_memory(sd, &sd->layers[i], &sd->layers[i].att[k], n);
    for (int i = 0; i < sd->n_layers; i++)
        if (is_recurrent(sd->layers[i].l)) start_recurrent(sd, &sd->layers[i], n);
    return 0;
}

/* ---- one step ---------------------------------------------------------------------------------- */
/* The watched attention's weights (R, heads, S) -> their mean over heads (R, S). */
static void average_heads(step_decoder *sd, int heads, int len)
{
    for (int r = 0; r < sd->rows; r++)
        for (int s = 0; s < len; s++) {
            float sum = 0.0f;
            for (int h = 0; h < heads; h++) sum += sd->head_weights[((size_t)r * heads + h) * len + s];
            sd->weights[(size_t)r * len + s] = sum / (float)heads;
        }
}

/* y (R, D) = multi-head attention of x (R, D) at step t: over the cache, which gets step t's key
 * and value first, or over the memory. */
static void attend(step_decoder *sd, const attention_state *a, int heads, int d, const float *x, int t, float *y)
{
    int R = sd->rows, T = sd->steps;
    nn_infer_linear(x, R, d, d, a->w.in_w, a->w.in_b, d, sd->q, d);
    nn_infer_attention_geom g = {.n = R, .heads = heads, .dm = d, .q = sd->q};
    if (a->over_memory) {
        int s = sd->m->g->nodes[a->memory_node].shape.d[1];
        g.len = g.ld_t = s, g.k = a->k, g.v = a->v, g.key_bias = a->bias, g.kv_row = sd->kv_row;
    } else {
        const float *bk = a->w.in_b ? a->w.in_b + d : NULL, *bv = a->w.in_b ? a->w.in_b + 2 * d : NULL;
        nn_infer_linear(x, R, d, d, a->w.in_w + (size_t)d * d, bk, d, a->k + (size_t)t * d, T * d);
        nn_infer_linear(x, R, d, d, a->w.in_w + (size_t)2 * d * d, bv, d, a->v + (size_t)t * d, T * d);
        g.len = t + 1, g.ld_t = T, g.k = a->k, g.v = a->v;
    }
    if (a == sd->watched) g.weights = sd->head_weights;
    nn_infer_attention(&g, sd->o);
    nn_infer_linear(sd->o, R, d, d, a->w.out_w, a->w.out_b, d, y, d);
    if (a == sd->watched) average_heads(sd, heads, g.len);
}

/* y (R, D) = linear2(act(linear1(x))) */
static void feed_forward(step_decoder *sd, const step_layer *sl, const float *x, float *y)
{
    int R = sd->rows, d = sl->width, f = sl->l->units;
    nn_infer_linear(x, R, d, d, sl->ff_w[0], sl->ff_b[0], f, sd->f, f);
    nn_infer_activate(sd->f, (size_t)R * f, sl->l->ff_gelu ? NN_INFER_GELU : NN_INFER_RELU);
    nn_infer_linear(sd->f, R, f, f, sl->ff_w[1], sl->ff_b[1], d, y, d);
}

/* A Transformer layer's sublayers on x (R, D), in place: post-norm x = norm(x + f(x)), pre-norm
 * x = x + f(norm(x)). */
static void transformer_step(step_decoder *sd, const step_layer *sl, float *x, int t)
{
    const layer_spec *l = sl->l;
    size_t n = (size_t)sd->rows * sl->width;
    for (int k = 0; k <= sl->n_att; k++) {
        const float *in = x;
        if (l->norm_first) {
            memcpy(sd->h, x, n * sizeof(float));
            nn_infer_layer_norm(sd->h, sd->rows, sl->width, sl->norm_w[k], sl->norm_b[k], l->eps);
            in = sd->h;
        }
        if (k < sl->n_att) attend(sd, &sl->att[k], l->heads, sl->width, in, t, sd->h);
        else feed_forward(sd, sl, in, sd->h);
        for (size_t i = 0; i < n; i++) x[i] += sd->h[i];
        if (!l->norm_first) nn_infer_layer_norm(x, sd->rows, sl->width, sl->norm_w[k], sl->norm_b[k], l->eps);
    }
}

/* One step of an rnn, lstm or gru from x (R, E): the state moves on and is the output. */
static void recurrent_step(step_decoder *sd, step_layer *sl, const float *x)
{
    recurrent_state *rc = &sl->rec;
    const layer_spec *l = sl->l;
    int R = sd->rows, H = sl->width, in = rc->e;
    int G = l->kind == LY_LSTM ? 4 : l->kind == LY_GRU ? 3 : 1;
    if (rc->keys_node >= 0) {   /* the input is [x ; context of the attention queried by h] */
        nn_infer_linear(rc->h, R, H, H, rc->wa, rc->ba, H, rc->q, H);
        nn_infer_additive_geom a = {R, H, rc->s, rc->f, rc->q, rc->keys_u, rc->keys, rc->va, rc->bias, rc->bva[0], sd->kv_row};
        float *ctx = rc->ctx;
        nn_infer_additive_attention(&a, rc->weights, ctx);
        in = rc->e + rc->f;
        for (int r = 0; r < R; r++) {
            memcpy(rc->x_in + (size_t)r * in, x + (size_t)r * rc->e, (size_t)rc->e * sizeof(float));
            memcpy(rc->x_in + (size_t)r * in + rc->e, ctx + (size_t)r * rc->f, (size_t)rc->f * sizeof(float));
        }
        x = rc->x_in;
        if (sd->watched_gru == sl) memcpy(sd->weights, rc->weights, (size_t)R * rc->s * sizeof(float));
    }
    nn_infer_linear(x, R, in, in, rc->w_ih, rc->b_ih, G * H, rc->gates, G * H);
    if (l->kind == LY_GRU) {
        nn_infer_linear(rc->h, R, H, H, rc->w_hh, rc->b_hh, G * H, rc->gates_h, G * H);
        nn_infer_gru_cell(rc->gates, rc->gates_h, rc->h, R, H);
    } else {
        nn_infer_linear(rc->h, R, H, H, rc->w_hh, NULL, G * H, rc->gates_h, G * H);
        for (size_t i = 0; i < (size_t)R * G * H; i++) rc->gates[i] += rc->gates_h[i];
        if (l->kind == LY_LSTM) nn_infer_lstm_cell(rc->gates, rc->c, rc->h, R, H);
        else {
            nn_infer_activate(rc->gates, (size_t)R * H, l->rnn_relu ? NN_INFER_RELU : NN_INFER_TANH);
            memcpy(rc->h, rc->gates, (size_t)R * H * sizeof(float));
        }
    }
    memcpy(sl->out, rc->h, (size_t)R * H * sizeof(float));
}

static void layer_step(step_decoder *sd, step_layer *sl, const float *in, const int *token, int t)
{
    const layer_spec *l = sl->l;
    int R = sd->rows, w = sl->width;
    size_t n = (size_t)R * w;
    nn_infer_act act;
    switch (l->kind) {
    case LY_SHIFT:
        for (int r = 0; r < R; r++) sl->out[r] = (float)token[r];
        break;
    case LY_EMBEDDING:
        for (int r = 0; r < R; r++) {
            int id = (int)in[r];
            if (id == l->padding_id || id < 0 || id >= l->vocab) memset(sl->out + (size_t)r * w, 0, (size_t)w * sizeof(float));
            else memcpy(sl->out + (size_t)r * w, sl->w + (size_t)id * w, (size_t)w * sizeof(float));
        }
        break;
    case LY_POSITIONAL: {
        const float *pe = (sl->w ? sl->w : nn_data(sd->m->g, sl->pe_node)) + (size_t)t * w;
        float scale = l->scale_input ? sqrtf((float)w) : 1.0f;
        for (int r = 0; r < R; r++)
            for (int j = 0; j < w; j++) sl->out[(size_t)r * w + j] = in[(size_t)r * w + j] * scale + pe[j];
        break;
    }
    case LY_ACTIVATION:
        memcpy(sl->out, in, n * sizeof(float));
        if (act_of(l->act, &act) == 0) nn_infer_activate(sl->out, n, act);
        break;
    case LY_DENSE: {
        int k = sd->layers[sl->in_slot].width;
        nn_infer_linear(in, R, k, k, sl->w, sl->b, w, sl->out, w);
        if (l->act != ACT_NONE && act_of(l->act, &act) == 0) nn_infer_activate(sl->out, n, act);
        break;
    }
    case LY_LAYER_NORM:
        memcpy(sl->out, in, n * sizeof(float));
        nn_infer_layer_norm(sl->out, R, w, sl->w, sl->b, l->eps);
        break;
    case LY_ATTENTION:
        attend(sd, &sl->att[0], l->heads, w, in, t, sl->out);
        break;
    case LY_TRANSFORMER_DECODER:
    case LY_TRANSFORMER_ENCODER:
        memcpy(sl->out, in, n * sizeof(float));
        transformer_step(sd, sl, sl->out, t);
        break;
    case LY_RNN:
    case LY_LSTM:
    case LY_GRU:
        recurrent_step(sd, sl, in);
        break;
    default:   /* identity at evaluation: dropout, noise */
        break;
    }
}

const float *step_decoder_step(step_decoder *sd, const int *token, int t)
{
    for (int i = 0; i < sd->n_layers; i++) {
        step_layer *sl = &sd->layers[i];
        const float *in = sl->in_slot >= 0 ? sd->layers[sl->in_slot].out : NULL;
        layer_step(sd, sl, in, token, t);
    }
    return sd->layers[sd->n_layers - 1].out;
}

void step_decoder_reorder(step_decoder *sd, const int *from)
{
    size_t row = (size_t)sd->steps;
    for (int i = 0; i < sd->n_layers; i++) {
        if (!is_recurrent(sd->layers[i].l)) continue;
        recurrent_state *rc = &sd->layers[i].rec;
        size_t H = (size_t)sd->layers[i].width;
        float *state[2] = {rc->h, rc->c};
        for (int k = 0; k < 2; k++) {
            nn_infer_gather_rows(state[k], from, sd->rows, H, sd->swap);
            memcpy(state[k], sd->swap, (size_t)sd->rows * H * sizeof(float));
        }
    }
    for (int i = 0; i < sd->n_layers; i++)
        for (int k = 0; k < sd->layers[i].n_att; k++) {
            attention_state *a = &sd->layers[i].att[k];
            if (a->over_memory) continue;
            size_t rf = row * (size_t)sd->layers[i].width;
            nn_infer_gather_rows(a->k, from, sd->rows, rf, sd->swap);
            memcpy(a->k, sd->swap, (size_t)sd->rows * rf * sizeof(float));
            nn_infer_gather_rows(a->v, from, sd->rows, rf, sd->swap);
            memcpy(a->v, sd->swap, (size_t)sd->rows * rf * sizeof(float));
        }
}
