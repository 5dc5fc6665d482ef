/* Numpy-style broadcasting of shapes, shared by the binary ops and sum_to/broadcast_to. */
#ifndef NN_BROADCAST_H
#define NN_BROADCAST_H
#include "nn/graph.h"

/* out = broadcast(a, b) (right-aligned); returns 0, or -1 if some dimension pair is neither
 * equal nor 1. */
int nn_broadcast_shape(const nn_shape *a, const nn_shape *b, nn_shape *out);

/* A shape carried in an op's attributes: dims in i[0..3], ndim in i[4]. */
static inline nn_attrs nn_shape_attrs(nn_shape s)
{
    nn_attrs a = {0};
    for (int i = 0; i < s.ndim; i++) a.i[i] = s.d[i];
    a.i[4] = s.ndim;
    return a;
}
static inline nn_shape nn_attrs_shape(const nn_attrs *a) { return nn_shape_make(a->i[4], a->i); }

/* An index walker: strides of `in` (0 along broadcast dims) laid over a 4-D padded `out`. */
typedef struct {
    int d[4];          /* out dims padded to 4 (leading 1s) */
    size_t st[4];      /* in strides over those dims; 0 where in is broadcast */
} nn_bcast;
void nn_bcast_make(nn_bcast *b, const nn_shape *in, const nn_shape *out);
/* Offset in `in` of the flat out index i. */
static inline size_t nn_bcast_offset(const nn_bcast *b, size_t i)
{
    size_t i3 = i % (size_t)b->d[3]; i /= (size_t)b->d[3];
    size_t i2 = i % (size_t)b->d[2]; i /= (size_t)b->d[2];
    size_t i1 = i % (size_t)b->d[1]; i /= (size_t)b->d[1];
    return i * b->st[0] + i1 * b->st[1] + i2 * b->st[2] + i3 * b->st[3];
}
#endif
