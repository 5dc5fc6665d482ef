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

/* When `small` (broadcast to `out`) varies along one contiguous run of out's axes only — a
 * bias per channel (1,C,1,1) against (N,C,H,W), a per-row scale — out is outer x mid x inner
 * blocks with small[m] repeated over outer and inner. Returns 1 and the sizes, else 0. */
static inline int nn_bcast_blocks(const nn_shape *small, const nn_shape *out, size_t *outer, size_t *mid, size_t *inner)
{
    int pad = out->ndim - small->ndim, first = -1, last = -1;
    for (int i = 0; i < out->ndim; i++) {
        int sd = i < pad ? 1 : small->d[i - pad];
        if (sd != 1) {
            if (first < 0) first = i;
            last = i;
        }
    }
    *outer = *mid = *inner = 1;
    for (int i = 0; i < out->ndim; i++) {
        int sd = i < pad ? 1 : small->d[i - pad];
        if (first >= 0 && i >= first && i <= last) {
            if (sd != out->d[i]) return 0;   /* a 1 inside the run: not one block */
            *mid *= (size_t)out->d[i];
        } else if (first < 0 || i < first)
            *outer *= (size_t)out->d[i];
        else
            *inner *= (size_t)out->d[i];
    }
    return 1;
}

/* The other common pattern: `small` is out with one contiguous run of axes at 1 — an attention
 * query (N,1,H) against keys (N,S,H) — so out is outer x mid x inner with small[o, :] repeated
 * over mid: small holds outer x inner values. Returns 1 and the sizes, else 0 (also when small
 * has no axis at 1 inside out, or when the run reaches either end: nn_bcast_blocks' cases). */
static inline int nn_bcast_hole(const nn_shape *small, const nn_shape *out, size_t *outer, size_t *mid, size_t *inner)
{
    int pad = out->ndim - small->ndim, first = -1, last = -1;
    if (pad != 0) return 0;
    for (int i = 0; i < out->ndim; i++)
        if (small->d[i] != out->d[i]) {
            if (small->d[i] != 1) return 0;
            if (first < 0) first = i;
            else if (last != i - 1) return 0;   /* a second run */
            last = i;
        }
    if (first <= 0 || last == out->ndim - 1) return 0;
    *outer = *mid = *inner = 1;
    for (int i = 0; i < out->ndim; i++) *(i < first ? outer : i <= last ? mid : inner) *= (size_t)out->d[i];
    return 1;
}

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
