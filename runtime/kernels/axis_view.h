/* A tensor seen around one axis as (outer, len, inner): the ops that reduce or route along an
 * axis (runtime/ops/op_max_over.c, runtime/ops/op_mean_over.c) all index it this way. */
#ifndef NN_AXIS_VIEW_H
#define NN_AXIS_VIEW_H

#include "nn/graph.h"
#include <stddef.h>

typedef struct {
    size_t outer, len, inner;   /* x[o, l, i] = x[(o * len + l) * inner + i] */
} nn_axis_view;

static inline nn_axis_view nn_axis_view_of(const nn_shape *s, int axis)
{
    nn_axis_view v = {1, (size_t)s->d[axis], 1};
    for (int i = 0; i < axis; i++) v.outer *= (size_t)s->d[i];
    for (int i = axis + 1; i < s->ndim; i++) v.inner *= (size_t)s->d[i];
    return v;
}

/* s without the axis (s has at least 2 dims, so the result has at least 1). */
static inline nn_shape nn_shape_drop_axis(const nn_shape *s, int axis)
{
    nn_shape r = {s->ndim - 1, {0}};
    for (int i = 0, j = 0; i < s->ndim; i++)
        if (i != axis) r.d[j++] = s->d[i];
    return r;
}

/* s with an axis of length len inserted at position axis (s->ndim < NN_MAX_DIMS). */
static inline nn_shape nn_shape_insert_axis(const nn_shape *s, int axis, int len)
{
    nn_shape r = {s->ndim + 1, {0}};
    for (int i = 0, j = 0; i < r.ndim; i++) r.d[i] = i == axis ? len : s->d[j++];
    return r;
}

#endif
