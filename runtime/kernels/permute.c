/* Axis permutation (permute.h): simplify the permutation, then copy y in order, reading x
 * through strides. */
#include "permute.h"
#include "../core/parallel.h"
#include <stddef.h>
#include <string.h>

typedef struct {
    int n;                               /* axes after simplification */
    size_t len[NN_PERMUTE_MAX_DIMS];     /* y's axes, outermost first */
    size_t xstride[NN_PERMUTE_MAX_DIMS]; /* x's stride along each of them */
} walk;

/* y's axes (dropping size-1 ones, merging each run that is contiguous in x) with x's strides. */
static walk simplify(int ndim, const int *dims, const int *perm)
{
    size_t stride[NN_PERMUTE_MAX_DIMS], s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= (size_t)dims[i];
    }
    walk w = {0};
    for (int k = 0; k < ndim; k++) {
        int ax = perm[k];
        if (dims[ax] == 1) continue;
        /* the previous kept axis is the one just outside ax in x: one axis of both sizes */
        if (w.n > 0 && w.xstride[w.n - 1] == stride[ax] * (size_t)dims[ax]) {
            w.len[w.n - 1] *= (size_t)dims[ax];
            w.xstride[w.n - 1] = stride[ax];
            continue;
        }
        w.len[w.n] = (size_t)dims[ax];
        w.xstride[w.n] = stride[ax];
        w.n++;
    }
    if (w.n == 0) w.len[w.n++] = 1, w.xstride[0] = 1;   /* a single value */
    return w;
}

typedef struct {
    walk w;
    const float *x;
    float *y;
} copy_job;

/* Copies row r of y (the last axis) from x: contiguous in x (memcpy) or strided. */
static void copy_row(const walk *w, const float *x, float *y, size_t r)
{
    int last = w->n - 1;
    size_t inner = w->len[last], off = 0, rest = r;
    for (int k = last - 1; k >= 0; k--) {
        off += (rest % w->len[k]) * w->xstride[k];
        rest /= w->len[k];
    }
    float *dst = y + r * inner;
    const float *src = x + off;
    size_t st = w->xstride[last];
    if (st == 1) memcpy(dst, src, inner * sizeof(float));
    else
        for (size_t j = 0; j < inner; j++) dst[j] = src[j * st];
}

/* rows [lo, hi) of y: a chunk of nn_par_items */
static void copy_rows(const void *ctx, size_t lo, size_t hi)
{
    const copy_job *j = ctx;
    for (size_t r = lo; r < hi; r++) copy_row(&j->w, j->x, j->y, r);
}

void nn_permute_copy(const float *x, float *y, int ndim, const int *dims, const int *perm)
{
    copy_job j = {simplify(ndim, dims, perm), x, y};
    size_t rows = 1;
    for (int k = 0; k < j.w.n - 1; k++) rows *= j.w.len[k];
    nn_par_items(rows, j.w.len[j.w.n - 1], copy_rows, &j);
}
