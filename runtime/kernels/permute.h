/* permute.h — a copy of a tensor with its axes reordered (the permute op, op_shape.c).
 *   x (d[0], ..., d[ndim-1]) -> y (d[perm[0]], ..., d[perm[ndim-1]]): y's axis k is x's axis
 *   perm[k], e.g. (B,T,H,d) with perm (0,2,1,3) -> (B,H,T,d).
 * Axes of size 1 are dropped and axes that stay neighbours in the same order are merged first,
 * so (B,T,H,d) -> (B,H,T,d) copies contiguous rows of d floats with memcpy. */
#ifndef NN_PERMUTE_H
#define NN_PERMUTE_H

#define NN_PERMUTE_MAX_DIMS 6   /* the slots of nn_attrs.i that hold perm */

/* perm must be a permutation of 0..ndim-1, 1 <= ndim <= NN_PERMUTE_MAX_DIMS; y must not overlap x. */
void nn_permute_copy(const float *x, float *y, int ndim, const int *dims, const int *perm);

#endif
