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
 * first call's parameter nodes. */
int net_initialise(const spec *s, const model_spec *net, nn_graph *g, const net_call *first, nn_rng *r, diag *d);
/* Records a node that must run although nothing reads it (running statistics). */
int add_side_effect(model_graph *m, int node, int call);

/* loss_build.c */
/* One weighted loss term; -1 with the error in d. */
int loss_term_build(model_graph *m, const loss_spec *ls, diag *d);
/* loss + the L1/L2 penalties on the dense weights of net n (its first call's). */
int add_penalties(model_graph *m, const model_spec *net, const net_call *first, int loss);

/* model_build.c: a call expression resolved with `like` giving a number its shape (-1: none). */
int resolve_expr(model_graph *m, const char *text, spec_pos at, int like, diag *d);

#endif
