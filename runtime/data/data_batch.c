/* The batcher: per-epoch sample order and batch copies. See include/nn/data.h for how an
 * epoch's order is tied to a saved rng state (resume). */
#include "nn/data.h"
#include <stdlib.h>
#include <string.h>

int nn_batcher_init(nn_batcher *b, const nn_dataset *d, int batch, int shuffle, int drop_last, nn_rng *r)
{
    memset(b, 0, sizeof *b);
    if (!d || d->n < 1 || batch < 1 || (shuffle && !r)) return -1;
    b->order = malloc((size_t)d->n * sizeof *b->order);
    if (!b->order) return -1;
    for (int i = 0; i < d->n; i++) b->order[i] = i;
    b->d = d;
    b->batch = batch;
    b->shuffle = shuffle;
    b->drop_last = drop_last;
    if (r) b->rng = nn_rng_split(r);
    b->epoch_rng = b->rng;
    return 0;
}

void nn_batcher_free(nn_batcher *b)
{
    free(b->order);
    memset(b, 0, sizeof *b);
}

void nn_batcher_start_epoch(nn_batcher *b)
{
    b->epoch_rng = b->rng;
    /* Restart from the identity so the permutation depends on the rng state alone, not on
     * the previous epochs' orders. */
    for (int i = 0; i < b->d->n; i++) b->order[i] = i;
    if (b->shuffle) nn_rng_shuffle(&b->rng, b->order, b->d->n);
    b->epoch++;
}

void nn_batcher_resume_epoch(nn_batcher *b, const nn_rng *epoch_rng)
{
    b->rng = *epoch_rng;
    nn_batcher_start_epoch(b);
}

int nn_batcher_count(const nn_batcher *b)
{
    int n = b->d->n;
    return b->drop_last ? n / b->batch : (n + b->batch - 1) / b->batch;
}

int nn_batcher_fill(const nn_batcher *b, int i, float *x, float *y)
{
    if (i < 0 || i >= nn_batcher_count(b)) return 0;
    const nn_dataset *d = b->d;
    int start = i * b->batch;
    int m = d->n - start < b->batch ? d->n - start : b->batch;
    size_t per = nn_dataset_sample_size(d), yd = (size_t)d->y_dim;
    for (int k = 0; k < m; k++) {
        int s = b->order[start + k];
        memcpy(x + (size_t)k * per, d->x + (size_t)s * per, per * sizeof *x);
        if (y && d->y) memcpy(y + (size_t)k * yd, d->y + (size_t)s * yd, yd * sizeof *y);
    }
    return m;
}
