/* model_build.h — a spec's program (nets, loss groups, steps) -> one computation graph for
 * one batch size and mode.
 *
 * The graph holds every call the spec makes: `D(data)` and `D(G)` are two calls of net D, built
 * from the same parameters (a net's parameters are created by its first call and handed out
 * again, in the same order, to later ones: kann's parameter cursor). Each loss group is one
 * node; each training step gets its own plan computing its group's loss and the gradients of
 * the nets it updates, and nothing else (a critic step does not compute the generator's
 * gradients). A spec's single `model:` is the one net "model" with its one step.
 *
 * A model is built once per (batch size, train/eval) it runs with: the shapes of a static
 * graph are fixed, so the last partial batch of an epoch gets its own small graph. All graphs
 * of a model share one parameter block and, per step, one gradient block, so an optimizer
 * never knows which graph produced a gradient. */
#ifndef NNRUN_MODEL_BUILD_H
#define NNRUN_MODEL_BUILD_H

#include "../lang/diag.h"
#include "nn/graph.h"
#include "../lang/spec.h"

/* What the data looks like, so the graph can be shaped before anything is loaded. */
typedef struct {
    nn_shape sample;      /* per-sample x shape of the data */
    int y_dim;            /* floats per target; 0 = no targets */
    int n_classes;        /* > 0: targets are class ids (y_dim > 1: one per time step) */
} data_info;

#define MODEL_MAX_EVAL_SAMPLERS 8

/* One application of a net to bound inputs. */
typedef struct {
    int net;                          /* index into spec.nets */
    int in[SPEC_MAX_NET_INPUTS];      /* the nodes fed to its inputs */
    int *out;                         /* per layer: its output node */
    int *weight, *bias;               /* per layer: parameter nodes or -1 */
    int first_node, end_node;         /* the nodes this call added: [first_node, end_node) */
} net_call;

/* A net's parameters, in creation order; `cursor` walks them during a later call. */
typedef struct {
    int *ids;
    int n, cursor;
    int created;                      /* its first call is complete */
} net_params;

/* A loss term whose logits are scored for accuracy: a bce_with_logits term against a number
 * (a discriminator's "real" and "fake" terms): right when (pred > 0) == (target > 0.5). */
typedef struct {
    int pred;                         /* its logits node, or -1: no accuracy */
    float target;
} term_check;

/* What a training step runs. */
typedef struct {
    int *params;                      /* the updated nets' parameters, creation order */
    int n_params;
    float *grad_block;                /* a slot per parameter (zero for running statistics) */
    size_t n_grad_floats;
    int *grad_nodes;                  /* per parameter: the node bound into grad_block, or -1 */
    int reads_data;                   /* its loss depends on the data batch (else: noise only) */
    nn_plan *plan;                    /* its group's loss, its gradients, its side effects */
    nn_plan *carry_plan;              /* the same for a first run right after the previous step's last
                                         run on this graph: the values it carries are given (step_carry.c);
                                         NULL when it carries none */
} step_graph;

typedef struct {
    nn_graph *g;
    const spec *s;
    int batch;
    int training;
    int x;                /* the data batch (batch, input...) */
    int t;                /* its targets (batch) for class ids or (batch, y_dim); -1 if none */
    int n_classes;        /* > 0: t holds one class id per sample, of this many classes */
    int t_one_hot;        /* (batch, n_classes): t one-hot, for inputs named label/target of that width; or -1 */
    int label_classes;    /* > 0: the fewest classes a cross_entropy term on t predicts (its logits' width):
                             every class id of the data must be below it; 0: no such term */
    struct {
        char name[SPEC_NAME_LEN];
        int node;
    } noise[SPEC_MAX_NETS * SPEC_MAX_NET_INPUTS];   /* noise inputs by name, drawn each run */
    int n_noise;
    net_call *calls;
    int n_calls, cap_calls;
    net_params nets[SPEC_MAX_NETS];
    int *out;             /* per layer of nets[0], its first call's outputs (a single model: the model) */
    int *weight, *bias;   /* the same call's parameter nodes or -1 */
    int *params;          /* every parameter node, creation order */
    int n_params;
    int group_loss[SPEC_MAX_GROUPS];              /* each group's total (1) */
    int loss_terms[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES];   /* each term's weighted value */
    term_check term_check[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES];
    int loss;             /* group 0's total: the loss of a single model */
    int *side_effects;    /* nodes that must run though nothing reads them (running statistics) */
    int *side_effect_call;   /* ... and the call that made each */
    int n_side_effects, cap_side_effects;
    int eval_samplers[MODEL_MAX_EVAL_SAMPLERS];   /* noise ops of sample_gaussian layers with eval: true */
    int n_eval_samplers;
    int metric_pred;      /* node the metrics read */
    int metric_target;    /* node it is compared with */
    int metric_ignore;    /* a class id the accuracy leaves out (cross_entropy's ignore: padding), or -1 */
    step_graph steps[SPEC_MAX_STEPS];   /* training graphs: one per spec step */
    int n_steps;
    int owns_grads;       /* the first training graph allocates the gradient blocks */
    float *carry_block;   /* the values carried from one step to the next (step_carry.c), or NULL */
    nn_plan *plan;        /* every group's loss + metric + layers asked for (evaluation, reports) */
} model_graph;

/* Builds the graph. params_from: an earlier graph of the same model whose parameters (and, for
 * training graphs, gradient blocks) are shared; NULL for the first, whose parameters are then
 * initialised from init_rng. Errors go to d, pointing at the spec line at fault. */
model_graph *model_build(const spec *s, const data_info *di, int batch, int training, const model_graph *params_from,
                         nn_rng *init_rng, diag *d);
/* The index into m->calls of net's first call, which made its parameters; -1 when the graph
 * never calls it. */
int model_first_call(const model_graph *m, int net);
/* The label of layer `layer` of net `net`: its nodes' (messages, the op profile) and the prefix
 * of its parameters' names, "<layer>" in a spec of one net, "<net>.<layer>" otherwise. */
const char *model_layer_label(const spec *s, int net, int layer, char *buf, size_t len);
/* The node a layer's `from:` or mask names inside a call: one of its inputs, one of the layers
 * before `upto`, or (a spec of one net) "target", the data's targets; -1 when there is none. */
int call_source_node(const model_graph *m, const net_call *call, const model_spec *net, int upto, const char *name);
/* Loss group gi trains net n: a step that minimises it updates n (its weight penalties join). */
int group_trains_net(const spec *s, int gi, int n);
/* The L1 and L2 penalties on layer l's weight tensors (2-D or more, trained): its own l1/l2, else
 * for a dense layer the net's, else 0. The groups that train the net add them (loss_build.c). */
void layer_penalties(const model_spec *net, const layer_spec *l, float *l1, float *l2);
/* Re-plans the evaluation plan with the given extra nodes readable after a run. */
int model_plan(model_graph *m, const int *extra, int n_extra);
void model_free(model_graph *m);

/* The node a call expression (call_expr.h) names in this graph, building the calls it needs;
 * -1 with the error in d (at `at`) if it cannot. Calls made after the parameters exist must
 * not need new parameters (a net never called before). */
int model_resolve(model_graph *m, const char *expr, spec_pos at, diag *d);

/* Makes `layer`'s output an input of the graph and plans only what `output` needs from there
 * ("run from a layer": decode chosen code points). Fails when a later layer also reads a layer
 * before `layer` (a skip connection around it). Feed the layer through nn_data(g, out[layer]). */
int model_start_at(model_graph *m, int layer, int output, char *err, size_t errlen);

/* The same for nodes of the graph (model_resolve): `id` fed, `target` planned. */
int model_start_at_node(model_graph *m, int id, int target, char *err, size_t errlen);
/* Plans `node` alone (and what it needs) as the graph's plan. */
int model_plan_only(model_graph *m, int node);

/* Switches the sampling of sample_gaussian layers with `eval: true` on or off in this
 * (evaluation) graph: off, they give their mean, as without `eval`. */
void model_set_eval_sampling(model_graph *m, int on);

/* Copies nrows samples into the graph inputs (x and, when present, targets). */
void model_feed(model_graph *m, const float *x, const float *y, int nrows);

#endif
