/* nn/graph.h — the static computation graph, its op registry hooks, symbolic reverse-mode
 * autodiff and the memory-planned executor.
 *
 * A graph is an append-only array of nodes. A node is an input (data fed per step), a
 * parameter (trainable, owned storage), a constant, or an op applied to earlier nodes, so the
 * creation order is a topological order. Shapes are inferred when a node is added; an
 * impossible shape returns -1 and leaves a message in g->err (the caller adds where it came
 * from, e.g. the spec line of a layer).
 *
 * Gradients are graph nodes too: nn_grad() appends, for each op on the path from the wanted
 * variables to the loss, the nodes its backward rule emits. Gradients of gradients (WGAN-GP's
 * penalty) are therefore just another nn_grad() over a graph that already holds gradients.
 *
 * Buffers: nn_plan_create() picks the nodes a set of targets needs and lays their buffers out
 * in one arena, reusing a buffer once its last reader has run. Inputs, parameters, constants
 * and bound nodes own their storage and are never reused.
 */
#ifndef NN_GRAPH_H
#define NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "nn/rng.h"
#include "nn/shape.h"

#define NN_MAX_INPUTS 6            /* attention_grad reads q, k, v, the output gradient and a mask */
#define NN_LABEL_LEN 64
#define NN_ERR_LEN 512

typedef enum {
    NN_NODE_INPUT,   /* fed each step (a batch of data, labels, noise) */
    NN_NODE_PARAM,   /* trainable; lives in the graph's parameter block */
    NN_NODE_CONST,   /* filled once at creation */
    NN_NODE_OP,      /* computed by its op's forward */
} nn_node_kind;

/* Small per-node attributes; each op documents which slots it uses. */
typedef struct {
    float f[6];
    int i[6];
} nn_attrs;

typedef struct {
    nn_node_kind kind;
    int op;                      /* index into the op registry (NN_NODE_OP only) */
    int n_in;
    int in[NN_MAX_INPUTS];
    nn_shape shape;
    nn_attrs a;
    float *data;                 /* where the values are during a run */
    float *owned;                /* storage owned by the node (inputs, consts, bound) */
    int bound;                   /* data points at caller-owned memory (param/grad blocks) */
    int no_grad;                 /* integer labels, masks: never differentiated */
    char label[NN_LABEL_LEN];    /* layer name for messages: "dense 'code'" */
} nn_node;

typedef struct nn_graph {
    nn_node *nodes;
    int n, cap;
    int training;                /* 1: dropout/noise active; 0: evaluation */
    nn_rng rng;                  /* drives dropout masks and noise */
    char cur_label[NN_LABEL_LEN];/* label given to nodes created from now on */
    char err[NN_ERR_LEN];        /* first build error */
    float *param_block;          /* all parameters, contiguous (nn_graph_alloc_params) */
    size_t n_param_floats;
} nn_graph;

nn_graph *nn_graph_new(uint64_t seed);
void nn_graph_free(nn_graph *g);
/* Label attached to nodes created after this call (for error messages and summaries). */
void nn_graph_set_label(nn_graph *g, const char *label);
/* Records an error (printf-style) if none is recorded yet; returns -1 for convenience. */
int nn_graph_fail(nn_graph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int nn_input(nn_graph *g, nn_shape s, const char *name);
/* Parameters get storage from nn_graph_alloc_params(), called once all exist. */
int nn_param(nn_graph *g, nn_shape s, const char *name);
int nn_const(nn_graph *g, nn_shape s, float value);
/* Adds an op node. Inputs < 0 propagate a previous error (returns -1, err unchanged). */
int nn_op(nn_graph *g, int op, const int *in, int n_in, const nn_attrs *a);
/* The same, looking the op up by registry name; unknown name is a build error. */
int nn_op_named(nn_graph *g, const char *name, const int *in, int n_in, const nn_attrs *a);

/* Lays all parameters out in one block (creation order); returns 0 or -1 (out of memory). */
int nn_graph_alloc_params(nn_graph *g);
/* Makes dst's parameters alias src's (same creation order and shapes): graphs of the same model
 * built for other batch sizes or for evaluation share one set of weights. Returns 0 or -1. */
int nn_graph_share_params(nn_graph *dst, const nn_graph *src);
/* Points a node's buffer at caller memory of numel floats (e.g. a slice of a gradient block);
 * the planner will write the node's value there. */
void nn_node_bind(nn_graph *g, int id, float *data);
static inline nn_node *nn_node_at(nn_graph *g, int id) { return &g->nodes[id]; }
static inline float *nn_data(nn_graph *g, int id) { return g->nodes[id].data; }
static inline size_t nn_numel(nn_graph *g, int id) { return nn_shape_numel(&g->nodes[id].shape); }

/* Symbolic reverse mode: appends nodes computing d(loss)/d(wrt[k]) into grads[k] (-1 when
 * the loss does not depend on wrt[k]). loss must hold one element. Returns 0 or -1. */
int nn_grad(nn_graph *g, int loss, const int *wrt, int n_wrt, int *grads);

typedef struct nn_shared_arena nn_shared_arena;

typedef struct nn_plan {
    int *order;          /* node ids to run, in order */
    int n;
    size_t *offset;      /* per node id: arena offset in floats, or SIZE_MAX if not planned */
    float *arena;
    size_t arena_floats;
    nn_shared_arena *shared;   /* the arena belongs to several plans (nn_plans_share_arena) */
    int n_nodes;         /* graph size when planned */
} nn_plan;

/* Plans the nodes needed to compute targets. Targets stay readable after nn_plan_run. */
nn_plan *nn_plan_create(nn_graph *g, const int *targets, int n_targets);
/* The same, for a run in which the given nodes already hold their values (computed by an
 * earlier run, into memory bound with nn_node_bind): they and whatever only they need are not
 * run. Every given node must be bound; NULL otherwise (or out of memory). */
nn_plan *nn_plan_create_given(nn_graph *g, const int *targets, int n_targets, const int *given, int n_given);
void nn_plan_run(nn_graph *g, nn_plan *p);
/* The floating-point operations one nn_plan_run does: each op's count (nn_op_def.flops, or one
 * per output value for ops without one), forward and backward nodes alike. */
double nn_plan_flops(nn_graph *g, const nn_plan *p);
void nn_plan_free(nn_plan *p);
/* Lets plans that never run at the same time (the training steps of a GAN, say) use one arena,
 * the size of the largest: after a run, only the targets of the plan that ran last are
 * readable. Plans already sharing keep their group. Returns 0 or -1 (out of memory; the plans
 * are unchanged). */
int nn_plans_share_arena(nn_plan *const *plans, int n);

/* Op-level profiling of nn_plan_run (off by default): time and calls per registry op, for
 * finding where a model spends its time. */
void nn_profile_enable(int on);
/* Prints a table (op, calls, total ms, share) sorted by time and resets the counters. */
void nn_profile_report(FILE *out);

#endif
