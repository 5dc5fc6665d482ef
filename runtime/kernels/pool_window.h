/* Separable window reductions over one plane, for max and average pooling.
 *
 * A k x k window max (or sum) is a k-wide pass along each input row into a row buffer, then a
 * k-tall pass down the buffer's columns: 2k operations per output instead of k^2, and both
 * passes are long contiguous loops. When the windows tile the rows exactly (no padding,
 * k <= stride, W = OW * stride) the row pass runs over all rows of the tile as one flat loop,
 * which is what makes 2x2 pooling of 28x28 planes fast (the per-row loops are only 14 long).
 *
 * Other geometries copy each input row into a buffer padded with the reduction's neutral value
 * (-inf, 0), so the row pass has no bounds to clamp. The buffers live on the stack (about 40 KB),
 * so the output is walked in tiles whose input fits in NN_POOL_TCAP floats (one tile per plane
 * for images up to 64x64 with 2x2 windows). */
#ifndef NN_POOL_WINDOW_H
#define NN_POOL_WINDOW_H
#include "pool_util.h"

#define NN_POOL_TCAP 2048      /* > NN_POOL_MAX_K: k rows of one output column always fit */

/* Outputs [oh0, oh1) x [ow0, ow1) and the input rows [r0, r1) their windows touch. */
typedef struct {
    int oh0, oh1, ow0, ow1, r0, r1;
} nn_pool_tile;

/* Tile size for G: *tw columns and *th rows of outputs. */
void nn_pool_tile_size(const nn_pool_geom *G, int *th, int *tw);
nn_pool_tile nn_pool_tile_at(const nn_pool_geom *G, int oh0, int ow0, int th, int tw);

/* Window maxima of a tile: best[(oh - oh0) * tw + (ow - ow0)] and idx[...] the plane offset of
 * the first maximum in row-major window order (PyTorch's tie rule); a NaN wins its window.
 * tv, ti: scratch of NN_POOL_TCAP; best, idx: tile-sized. */
void nn_pool_argmax_tile(const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, int *ti, float *best,
                         int *idx);
/* Window sums of a tile (padding adds nothing): sum[(oh - oh0) * tw + (ow - ow0)]. */
void nn_pool_sum_tile(const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, float *sum);

/* y (OH, OW) = scale * window sums of the plane x (H, W), tile by tile. */
void nn_pool_sum_plane(const float *x, const nn_pool_geom *G, float scale, float *y);

/* 2x2 windows, stride 2, no padding (pool_max2.c): the common case, in one pass per row pair.
 * max2: y (OH, OW) = window maxima of the plane x (H, W); route2: dx (H, W) = h (OH, OW) at each
 * window's argmax of x, 0 elsewhere. Same argmax as nn_pool_argmax_tile. */
int nn_pool_is_2x2(const nn_pool_geom *G);
void nn_pool_max2_plane(const float *x, const nn_pool_geom *G, float *y);
void nn_pool_route2_plane(const float *x, const float *h, const nn_pool_geom *G, float *dx);

#endif
