/* The in-memory dataset: allocation, release, and the error helper of the data modules. */
#include "nn/big_alloc.h"
#include "nn/data.h"
#include "data_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nn_dataset_free(nn_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

size_t nn_dataset_sample_size(const nn_dataset *d) { return nn_shape_numel(&d->sample); }

int nn_dataset_alloc(nn_dataset *d, int n, nn_shape sample, int y_dim, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    size_t per = nn_shape_numel(&sample);
    if (n < 0 || y_dim < 0 || sample.ndim < 1 || per == 0)
        return nn_fail(err, errlen, "invalid dataset layout: %d samples, y_dim %d", n, y_dim);
    if ((size_t)n > ((size_t)-1 / sizeof(float)) / per)
        return nn_fail(err, errlen, "dataset too large: %d samples of %zu floats", n, per);
    size_t nx = (size_t)n * per, ny = (size_t)n * (size_t)y_dim;
    d->x = nn_big_alloc((nx ? nx : 1) * sizeof *d->x);
    d->y = y_dim > 0 ? malloc((ny ? ny : 1) * sizeof *d->y) : NULL;
    if (!d->x || (y_dim > 0 && !d->y)) {
        nn_dataset_free(d);
        return nn_fail(err, errlen, "out of memory for %d samples (%.1f MB)", n,
                            (double)(nx + ny) * sizeof(float) / 1e6);
    }
    d->n = n;
    d->sample = sample;
    d->y_dim = y_dim;
    return 0;
}
