/* build_internal.h — what the three parts of graph building share: the program assembly
 * (model_build.c), layers to ops (layer_build.c) and loss terms (loss_build.c). */
#ifndef NNRUN_BUILD_INTERNAL_H
#define NNRUN_BUILD_INTERNAL_H

#include "model_build.h"
#include "nn/rng.h"

/* A call being built: net `net` of the spec, its record in m->calls. */
typedef struct {
    model_graph *m;
    const model_spec *net;
    int net_index;
    int call;                  /* index into m->calls (the array may move: index, not pointer) */
    diag *d;
} call_ctx;

static inline net_call *ctx_call(const call_ctx *c) { return &c->m->calls[c->call]; }

/* layer_build.c */
/* The output node of layer li of the call (its parameters via call_param). -1 on error, with
 * g->err or d set. */
int layer_build(call_ctx *c, int li);
/* A parameter of the net: created by its first call, the next one in order for later calls. */
int call_param(call_ctx *c, const layer_spec *l, const char *what, nn_shape shape);
/* PyTorch's default initialisation (or the spec's init:) of a net's parameters, from the
 * first call's parameter nodes: each layer kind's init column. */
int net_initialise(const model_spec *net, nn_graph *g, const net_call *first, nn_rng *r, diag *d);
/* Every layer kind has a builder, and an initialiser when it has weights (a test asks). */
int layer_kind_is_built(layer_kind k);
int layer_kind_has_init(layer_kind k);
/* One past the last of layer l's parameters, which its builder created in a row from node
 * `first` (its weight). */
int layer_params_end(const nn_graph *g, const model_spec *net, const layer_spec *l, int first);
/* A layer's `from:` or mask inside the call: one of the call's inputs or an earlier layer. */
int resolve_in_call(call_ctx *c, int upto, const char *name);

/* layer_recurrent.c: rnn, lstm, gru (x (N,T,D) -> (N,T,H') or (N,H')) */
int build_recurrent(call_ctx *c, int li, const int *in, int n_in);
int recurrent_param_count(layer_kind k);   /* parameters per direction, created in a row */
/* The parameters of one direction of recurrent layer l over d_in input features, created in a
 * row (PyTorch's names with suffix "" or "_reverse"): w = weight_ih, weight_hh, then bias (w[3]
 * -1) or, for the gru, bias_ih and bias_hh. */
void recurrent_params(call_ctx *c, const layer_spec *l, int d_in, const char *suffix, int *w);
/* The layer that option `kind` (REF_INITIAL_STATE, REF_INITIAL_CELL) of layer li names, which
 * must give [units] per sample: its node in *node, -1 when the option is absent. 0, or -1 with
 * g->err set. */
int initial_state_of(call_ctx *c, int li, layer_ref_kind kind, int *node);
/* Outputs y (N,T,F) pooled over the real steps (mask (N,T) of 1 = real, 0 = padding, or -1:
 * all real) -> (N,F): the mean, the maximum or the last real step's (mode RNN_OUT_MEAN,
 * RNN_OUT_MAX or RNN_OUT_LAST). */
int pool_real_steps(nn_graph *g, int y, int mask, int mode);
/* The (N,T) 0/1 mask of a layer whose values > 0 mark real steps, for a sequence of t steps;
 * -1 on error. */
int real_steps_mask(call_ctx *c, int li, const char *name, int n, int t);

/* layer_attend_gru.c: a gru with attend: x (N,T,E) -> (N,T,H), from h0 (N,H) or -1 (zeros),
 * attending to the layer its `attend` names at every step (Bahdanau); creates its parameters
 * and fills the call's weight and bias slots as build_recurrent does. */
int build_attend_gru(call_ctx *c, int li, int x, int h0);
/* The 0 / 1 of a mask layer as an additive mask (N,1,1,T): 0 at real steps, -inf at padding
 * (none when name is empty), plus the causal (Tq,Tk) mask when causal_t > 0: -1 when there is
 * neither, -2 on error. */
int key_mask(call_ctx *c, int li, const char *name, int batch, int tk, int causal_t);

/* layer_attention.c: layer_norm, positional_encoding, attention, transformer_encoder,
 * transformer_decoder (sequences (B,T,D)) */
int build_layer_norm(call_ctx *c, int li, const int *in, int n_in);
int build_positional(call_ctx *c, int li, const int *in, int n_in);
int build_attention(call_ctx *c, int li, const int *in, int n_in);
int build_transformer_encoder(call_ctx *c, int li, const int *in, int n_in);
int build_transformer_decoder(call_ctx *c, int li, const int *in, int n_in);

/* layer_init.c: the initialisers of the layer kinds with parameters (weight: the layer's
 * weight node; bias: its bias node or -1) */
typedef int (*layer_init_fn)(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d);
int init_by_fans(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d);
int init_batchnorm(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d);
int init_recurrent(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d);
int init_embedding(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d);
/* PyTorch's nn.Linear default for parameter id: a weight (out, in) or a bias (1-D, the
 * parameter right after its weight), U(-1/sqrt(in), 1/sqrt(in)) */
void init_torch_linear(nn_graph *g, int id, nn_rng *r);
/* layer_attention.c: PyTorch's initialisation of the layers above, parameter by parameter name */
int init_attention(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d);
/* Records a node that must run although nothing reads it (running statistics). */
int add_side_effect(model_graph *m, int node, int call);

/* ---- plans (model_build.c, step_carry.c) ---- */
/* Marks (mark: g->n bytes) the nodes root depends on, root included. */
void mark_ancestors(const nn_graph *g, int root, char *mark);
/* Step k's targets into t (room for step_targets_cap): its group's loss first, then the terms'
 * values, the metric's nodes, the side effects of the calls its loss uses (those marked in
 * skip left out; skip may be NULL) and its bound gradients. Returns the count or -1. */
int step_targets_cap(const model_graph *m, int k);
int step_targets(const model_graph *m, int k, const char *skip, int *t);
/* (Re)plans step k (its `plan` and `reads_data`). Returns 0 or -1. */
int plan_step(model_graph *m, int k);
/* Each step's carry plan (step_carry.c), after every step's plan exists. Returns 0 or -1. */
int plan_carries(model_graph *m);

/* loss_build.c */
/* One weighted loss term; -1 with the error in d. A bce_with_logits term against a number (a
 * GAN's real/fake labels) also gives the node of its logits in check (else check->pred = -1). */
int loss_term_build(model_graph *m, const loss_spec *ls, term_check *check, diag *d);
/* loss + the L1/L2 penalties on the dense weights of net n (its first call's). */
int add_penalties(model_graph *m, const model_spec *net, const net_call *first, int loss);

/* model_build.c: a call expression resolved with `like` giving a number its shape (-1: none). */
int resolve_expr(model_graph *m, const char *text, spec_pos at, int like, diag *d);
/* model_build.c: net applied to the nodes args (one per declared input, n_args of them; the
 * inputs after them bound by name), memoised like every call: its index in m->calls, or -1 with
 * the error at `at` (a node that does not fit the input). */
int call_net_on(model_graph *m, int net, const int *args, int n_args, spec_pos at, diag *d);
/* A node's shape without its batch axis, "[2]" (buf of len). */
char *sample_shape_str(const nn_graph *g, int node, char *buf, size_t len);

#endif
