/* fused_act.h — an activation an op applies to its own output while it is still in cache
 * (convolutions: `act:` on a conv layer), instead of a separate pass over memory. The op keeps
 * the kind in one int attribute slot and the parameters in f[0] (slope or alpha) and f[1]
 * (scale); its backward first takes the gradient through the activation, read from the output
 * y (the pre-activation values are never stored). Only activations whose derivative the
 * output determines: relu / leaky_relu with slope >= 0, elu / selu (alpha > 0). */
#ifndef NN_FUSED_ACT_H
#define NN_FUSED_ACT_H
#include <stddef.h>
#include "nn/graph.h"

/* 0, or -1 with a message when a->i[slot] is not a fusable activation. */
int nn_fused_act_check(nn_graph *g, const nn_attrs *a, int slot);
/* y (n floats) = act(y), in place; serial unless n is large. */
void nn_fused_act_apply(const nn_attrs *a, int slot, float *y, size_t n);
/* The gradient at the activation's input, from its output node y and the gradient gout at
 * y (gout itself when nothing is fused). When gout is max pooling's gradient route over y,
 * route(y, h), the derivative is taken at the pooled values instead, route(y, h * act'(pool(y))):
 * the route is zero off each window's maximum, so a pass over a quarter of the values (2x2
 * pooling) replaces one over all of them. */
int nn_fused_act_grad(nn_graph *g, int y, int gout, const nn_attrs *a, int slot);
/* The same, always as an elementwise op of its own. */
int nn_fused_act_grad_plain(nn_graph *g, int y, int gout, const nn_attrs *a, int slot);

/* leaky_relu_grad(v, gout): gout * (v > 0 ? 1 : slope), v a relu / leaky_relu's value or
 * input. When gout is a matmul's product, the matmul_act_grad of its operands instead (the
 * gradient taken as the GEMM stores it; the plain matmul is then left unused, and a plan does
 * not run it). Every relu / leaky_relu gradient is built here. */
int nn_leaky_relu_grad_of(nn_graph *g, int v, int gout, float slope);

/* The maxpool2d node over x with these pooling attributes (i[0..2]), made if the graph has
 * none (op_pool_max.c). */
int nn_maxpool_of(nn_graph *g, int x, const nn_attrs *pool);

#endif
