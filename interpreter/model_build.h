/* model_build.h — spec -> computation graph for one batch size and mode.
 *
 * A model is built once per (batch size, train/eval) it runs with: the shapes of a static
 * graph are fixed, so the last partial batch of an epoch gets its own small graph. All graphs
 * of a model share one parameter block and one gradient block, so the optimizer never knows
 * which graph produced a gradient. */
#ifndef NNRUN_MODEL_BUILD_H
#define NNRUN_MODEL_BUILD_H

#include "diag.h"
#include "nn/graph.h"
#include "spec.h"

/* What the data looks like, so the graph can be shaped before anything is loaded. */
typedef struct {
    nn_shape sample;      /* per-sample x shape of the data */
    int y_dim;            /* floats per target; 0 = no targets */
    int n_classes;        /* > 0: targets are class ids (y_dim > 1: one per time step) */
} data_info;

typedef struct {
    nn_graph *g;
    int batch;
    int training;
    int x;                /* input (batch, input...) */
    int t;                /* targets (batch) for class ids or (batch, y_dim); -1 if none */
    int *out;             /* per layer: its output node */
    int *weight, *bias;   /* per layer: parameter nodes or -1 */
    int *params;          /* every parameter node, creation order */
    int n_params;
    int loss;             /* the total loss (1) */
    int *loss_terms;      /* per spec loss term, its weighted value */
    int *side_effects;    /* nodes that must run though nothing reads them (running statistics) */
    int n_side_effects;
    int metric_pred;      /* node the metrics read */
    int metric_target;    /* node it is compared with */
    nn_plan *plan;        /* train: loss + gradients; eval: loss + metric + layers asked for */
    float *grad_block;    /* (train) where gradients land, shared by all train graphs */
} model_graph;

/* Builds the graph. params_from: an earlier graph of the same model whose parameters are
 * shared (NULL for the first, whose parameters are then initialised from rng).
 * grad_block: for training graphs, the shared gradient block (n_param_floats floats), or NULL
 * to allocate one (the first training graph owns it). Extra plan targets (layer outputs for
 * reports) may be given. Errors go to d, pointing at the spec line of the layer at fault. */
model_graph *model_build(const spec *s, const data_info *di, int batch, int training, const model_graph *params_from,
                         float *grad_block, nn_rng *init_rng, diag *d);
/* Re-plans with the given extra layer outputs readable after a run. */
int model_plan(model_graph *m, const int *extra, int n_extra);
void model_free(model_graph *m, int owns_grads);

/* Makes `layer`'s output an input of the graph and plans only what `output` needs from there
 * ("run from a layer": decode chosen code points). Fails when a later layer also reads a layer
 * before `layer` (a skip connection around it). Feed the layer through nn_data(g, out[layer]). */
int model_start_at(model_graph *m, int layer, int output, char *err, size_t errlen);

/* Copies nrows samples into the graph inputs (x and, when present, targets). */
void model_feed(model_graph *m, const float *x, const float *y, int nrows);

#endif
