/* op_conv.h — what the convolution ops (op_conv.c) share with the fused convolution and max
 * pooling (op_conv_pool.c). */
#ifndef NN_OP_CONV_H
#define NN_OP_CONV_H
#include "../kernels/conv_lower.h"

/* The attribute slot of a convolution's fused activation (fused_act.h); its parameters are in
 * f[0] and f[1]. Slots 0..2 hold stride, pad_h and pad_w. */
#define NN_CONV_ACT_SLOT 5

/* The geometry of conv2d(x, w) for a node with conv2d's inputs (x, w[, b]) and attributes,
 * whatever the node's own shape. */
nn_conv_geom nn_conv2d_geom_of(nn_graph *g, const nn_node *n);
/* Out of memory inside a forward (which cannot fail): the output becomes NaN, which the
 * trainer's NaN check reports, and stderr says why. */
void nn_conv_fail_nan(const nn_node *n, const char *op);

#endif
