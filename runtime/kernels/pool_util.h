/* Window geometry and the plane loop shared by the pooling and upsampling ops (NCHW).
 *
 * A k x k window with stride s and padding p over an H x W plane gives OH x OW outputs,
 * OH = (H + 2p - k) / s + 1. Output (oh, ow) covers rows oh*s - p .. oh*s - p + k - 1 (likewise
 * columns); rows and columns outside the plane are padding. The forward reductions are in
 * pool_window.c; transposed ops walk one window offset (kh, kw) at a time over an output row,
 * for the outputs whose input lies inside the plane: [lo, hi) from nn_pool_span(). */
#ifndef NN_POOL_UTIL_H
#define NN_POOL_UTIL_H
#include "nn/graph.h"
#include <stddef.h>

#define NN_POOL_MAX_K 256

typedef struct {
    int k, s, p;          /* window, stride, padding */
    int h, w;             /* input plane */
    int oh, ow;           /* output plane */
    size_t planes;        /* N * C */
} nn_pool_geom;

/* Pooling attrs: i[0] = k, i[1] = stride, i[2] = pad; i[3], i[4] = H, W of the pooled input
 * (only the transposed ops, whose output size cannot be recovered from their input, use them). */
nn_pool_geom nn_pool_geom_make(int k, int s, int p, int h, int w, size_t planes);
/* Geometry of a pooling whose input (N,C,H,W) is x. */
nn_pool_geom nn_pool_geom_of(const nn_attrs *a, const nn_shape *x);

/* Checks that x is 4-D and (k, s, p) fits it; sets *out to the pooled shape. `what` names the
 * op in messages. Padding is at most k/2, as in PyTorch (a window wholly in the padding would
 * have no maximum). Returns 0 or -1 after nn_graph_fail(). */
int nn_pool_check(nn_graph *g, const char *what, const nn_shape *x, const nn_attrs *a, nn_shape *out);
/* x must be 4-D (N,C,H,W); returns 0 or -1 after nn_graph_fail(). */
int nn_pool_need_4d(nn_graph *g, const char *what, const nn_shape *x);

/* Outputs o in [*lo, *hi) read input index o*s + off - p inside [0, n) (n = H or W). */
static inline void nn_pool_span(int n, int s, int p, int off, int n_out, int *lo, int *hi)
{
    int first = off - p;                 /* input index of output 0 */
    *lo = first >= 0 ? 0 : (-first + s - 1) / s;
    *hi = n - 1 - first >= 0 ? (n - 1 - first) / s + 1 : 0;
    if (*hi > n_out) *hi = n_out;
    if (*hi < *lo) *hi = *lo;
}

/* Calls fn(ctx, plane) for plane in [0, planes); on the pool (parallel.h) when work (elements
 * touched) exceeds NN_PAR_MIN. Planes never share output, so no synchronisation is needed. */
typedef void (*nn_plane_fn)(const void *ctx, size_t plane);
void nn_for_planes(size_t planes, size_t work, nn_plane_fn fn, const void *ctx);

/* N * C of a 4-D shape */
static inline size_t nn_pool_planes(const nn_shape *x) { return (size_t)x->d[0] * (size_t)x->d[1]; }

#endif
