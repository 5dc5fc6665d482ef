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
/* out = go * act'(x), read from y = act(x) (n floats each; out may be go). */
void nn_fused_act_grad_apply(const nn_attrs *a, int slot, const float *y, const float *go, float *out, size_t n);
/* The gradient at the activation's input, from its output node y and the gradient gout at
 * y (gout itself when nothing is fused). When gout is max pooling's gradient route over y,
 * the derivative is fused into that route instead of a pass of its own. */
int nn_fused_act_grad(nn_graph *g, int y, int gout, const nn_attrs *a, int slot);
/* The same, always as an elementwise op of its own. */
int nn_fused_act_grad_plain(nn_graph *g, int y, int gout, const nn_attrs *a, int slot);

/* max_route's slot for a fused activation derivative (op_pool_max.c): its output is then
 * route(x, h) * act'(x), x being the activation's output. pool_attrs: the route's pooling
 * attributes; act, slot: where the activation is described. */
#define NN_POOL_ACT_SLOT 5
int nn_max_route_act(nn_graph *g, int x, int h, const nn_attrs *pool_attrs, const nn_attrs *act, int slot);
/* y = x < 0 ? slope x : x (NaN passes), also the leaky_relu op's forward */
void nn_leaky_relu_apply(const float *x, float *y, size_t n, float slope);

#endif
