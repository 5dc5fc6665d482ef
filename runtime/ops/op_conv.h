/* op_conv.h — what the convolution ops (op_conv.c) share with the fused convolution and max
 * pooling (op_conv_pool.c). */
#ifndef NN_OP_CONV_H
#define NN_OP_CONV_H
#include "../kernels/conv_lower.h"

/* The attribute slot of a convolution's fused activation (fused_act.h); its parameters are in
 * f[0] and f[1]. Slots 0..2 hold stride, pad_h and pad_w. */
#define NN_CONV_ACT_SLOT 5

/* Output size of conv2d along one axis. */
static inline int nn_conv_out_size(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }
/* Output padding that makes conv_transpose2d of a conv2d output give back size `in`. */
static inline int nn_conv_out_pad_for(int in, int out, int k, int stride, int pad)
{
    return in - ((out - 1) * stride - 2 * pad + k);
}

/* The geometry of conv2d(x, w) for a node with conv2d's inputs (x, w[, b]) and attributes,
 * whatever the node's own shape. */
nn_conv_geom nn_conv2d_geom_of(nn_graph *g, const nn_node *n);
/* Out of memory inside a forward (which cannot fail): the output becomes NaN, which the
 * trainer's NaN check reports, and stderr says why. */
void nn_conv_fail_nan(const nn_node *n, const char *op);

/* The pooled gradient h when gout, the gradient at conv's output, is max_route(conv, h) of a 2x2
 * max pool with stride 2 and the _pooled ops (op_conv_pooled.c) pay for conv's geometry
 * (nn_conv_pooled_pays); -1 otherwise. */
int nn_conv_pooled_route(const nn_graph *g, int conv, int gout);

#endif
