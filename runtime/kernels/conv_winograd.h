/* conv_winograd.h — 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3):
 * each 2x2 block of outputs from a 4x4 input tile with 16 multiplies instead of 36.
 *
 * With d a 4x4 input tile, k a 3x3 kernel and g a 2x2 block of output gradients:
 *   V = B^T d B,  U = G k G^T,  y = A^T (U .* V) A            (forward)
 *   dU = (A g A^T) .* V,  dk = G^T dU G                       (weight gradient, the adjoint)
 * The 16 positions xi of the 4x4 products are independent, so over a group's T tiles they are
 * 16 GEMMs: M[xi] (F, T) = U[xi] (F, C) V[xi] (C, T), and dU[xi] (F, C) += (A g A^T)[xi] (F, T)
 * V[xi]^T. Layouts: U and dU (16, F, C), V (16, C, T), M and the transformed gradients (16, F, T),
 * tile t = (image in group, tile row, tile column); all GEMMs are plain row-major calls.
 * conv_transpose2d with stride 1 is conv2d with the weight transposed and flipped and padding
 * 2 - p, so it runs the forward path. Groups of images run through nn_conv_run. */
#ifndef NN_CONV_WINOGRAD_H
#define NN_CONV_WINOGRAD_H
#include "conv_lower.h"

/* 1 (default): the ops use Winograd where the geometry allows and it pays (at least 8 input
 * and output channels); 2: wherever the geometry allows (tests); 0: never, always im2col + GEMM
 * (tests and bench_conv compare the paths). */
extern int nn_conv_winograd;
/* Target tiles per group (the GEMMs' T): enough columns for an efficient GEMM while V and M
 * stay in the core's L2. Tests lower it to split images into many groups. */
extern size_t nn_conv_winograd_tiles;

/* Whether the switch (see nn_conv_winograd) picks Winograd for cg (in conv2d terms): a 3x3
 * kernel with stride 1 and padding 0..2 on each axis, OH = H + 2*ph - 2, OW = W + 2*pw - 2. */
int nn_winograd_applies(const nn_conv_geom *cg);

/* Node n = conv2d(x, w) + b in geometry cg, x being n's input 0 and b its input 2 when it has
 * three. w is (F, C, 3, 3), or with `transposed` a conv_transpose2d weight (C, F, 3, 3) that is
 * used transposed and flipped (cg is then the equivalent conv2d, padding 2 - p). on_outputs
 * (may be NULL) runs after each group of images is written. Returns 0, or -1 when out of
 * memory (n's data is then undefined). */
int nn_winograd_conv2d(nn_graph *g, nn_node *n, const nn_conv_geom *cg, const float *w, int transposed,
                       nn_conv_outputs_fn on_outputs);

/* Node n (F, C, 3, 3) = conv2d_wgrad(x, gy): x (N, C, H, W) is n's input 0 and gy (N, F, OH, OW)
 * its input 1. Returns 0, or -1 when out of memory. */
int nn_winograd_wgrad(nn_graph *g, nn_node *n, const nn_conv_geom *cg);

#endif
