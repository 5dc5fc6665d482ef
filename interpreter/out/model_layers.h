/* model_layers.h — a net's layers as a built graph holds them: what `nnrun summary` tables and
 * what the equations (model_math.h) read. A net's parameters are those of its first call (later
 * calls share them); a layer's are the parameter nodes named "<label>.<what>" (PyTorch's names as
 * nnrun stores them, model_layer_label()). */
#ifndef NNRUN_MODEL_LAYERS_H
#define NNRUN_MODEL_LAYERS_H

#include "../build/model_build.h"

#define LAYER_MAX_PARAMS 64   /* parameters of one layer (a transformer_decoder has 18) */

/* What layer l computes, as a word: "dense+relu" (a fused activation), "tanh", "transformer_encoder". */
void layer_op_name(const layer_spec *l, char *op, size_t len);
/* The call of net `net` that made its parameters, or NULL when the graph never calls it. */
const net_call *net_first_call(const model_graph *m, int net);
/* A node's shape without its batch axis: (N, T, D) -> [T, D]. */
nn_shape per_sample_shape(const nn_graph *g, int node);
/* The parameter nodes of layer `layer` of net `net`, in the order they were made, into ids (at
 * most cap): the trainable ones only, or also the running statistics (all = 1). Their count. */
int layer_param_nodes(const model_graph *m, int net, int layer, int all, int *ids, int cap);
/* The floats of layer `layer`'s trainable parameters. */
size_t layer_trainable_floats(const model_graph *m, int net, int layer);
/* The forward FLOPs of layer `layer` in call c (per sample in a graph of one sample). */
double layer_forward_flops(const model_graph *m, const net_call *c, int layer);

#endif
