/* Subsets and splits of a dataset. Every operation is a gather of sample indices into a new
 * dataset (nn_dataset_take), so they differ only in how they choose the indices. */
#include "nn/data.h"
#include "data_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_dataset_take(const nn_dataset *in, const int *idx, int n, nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= in->n)
            return nn_fail(err, errlen, "sample index %d out of range (dataset has %d)", idx[i], in->n);
    if (nn_dataset_alloc(out, n, in->sample, in->y ? in->y_dim : 0, err, errlen) < 0) return -1;
    size_t per = nn_dataset_sample_size(in), yd = (size_t)out->y_dim;
    for (int i = 0; i < n; i++) {
        memcpy(out->x + (size_t)i * per, in->x + (size_t)idx[i] * per, per * sizeof *out->x);
        if (yd) memcpy(out->y + (size_t)i * yd, in->y + (size_t)idx[i] * yd, yd * sizeof *out->y);
    }
    out->n_classes = in->n_classes;
    return 0;
}

/* 0, 1, ..., n-1 (caller frees), or NULL. */
static int *identity(int n)
{
    int *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    for (int i = 0; idx && i < n; i++) idx[i] = i;
    return idx;
}

static int check_count(const nn_dataset *in, int n, const char *what, char *err, size_t errlen)
{
    if (n < 0 || n > in->n)
        return nn_fail(err, errlen, "%s: asked for %d samples but the dataset has %d", what, n, in->n);
    return 0;
}

int nn_dataset_first(const nn_dataset *in, int n, nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (check_count(in, n, "first samples", err, errlen) < 0) return -1;
    int *idx = identity(n);
    if (!idx) return nn_fail(err, errlen, "out of memory");
    int rc = nn_dataset_take(in, idx, n, out, err, errlen);
    free(idx);
    return rc;
}

int nn_dataset_random(const nn_dataset *in, int n, nn_rng *r, nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (check_count(in, n, "random samples", err, errlen) < 0) return -1;
    int *idx = identity(in->n);
    if (!idx) return nn_fail(err, errlen, "out of memory");
    nn_rng_shuffle(r, idx, in->n);
    int rc = nn_dataset_take(in, idx, n, out, err, errlen);
    free(idx);
    return rc;
}

/* Marks the chosen samples of each class in keep[], walking order[] (identity or shuffled). */
static int choose_per_class(const nn_dataset *in, const int *order, int per_class, char *keep, char *err,
                            size_t errlen)
{
    int *count = calloc((size_t)in->n_classes, sizeof *count);
    if (!count) return nn_fail(err, errlen, "out of memory");
    for (int i = 0; i < in->n; i++) {
        int s = order[i], c = (int)in->y[(size_t)s * (size_t)in->y_dim];
        if (c >= 0 && c < in->n_classes && count[c] < per_class) {
            count[c]++;
            keep[s] = 1;
        }
    }
    int rc = 0;
    for (int c = 0; c < in->n_classes && rc == 0; c++)
        if (count[c] < per_class)
            rc = nn_fail(err, errlen, "per-class subset: class %d has only %d samples, asked for %d per class",
                              c, count[c], per_class);
    free(count);
    return rc;
}

int nn_dataset_per_class(const nn_dataset *in, int per_class, nn_rng *r, nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (in->n_classes <= 0 || !in->y)
        return nn_fail(err, errlen, "per-class subset: the dataset has no class labels");
    if (per_class < 1) return nn_fail(err, errlen, "per-class subset: %d per class, need at least 1", per_class);
    int *order = identity(in->n);
    char *keep = calloc((size_t)in->n + 1, 1);
    int rc = order && keep ? 0 : nn_fail(err, errlen, "out of memory");
    if (rc == 0 && r) nn_rng_shuffle(r, order, in->n);
    if (rc == 0) rc = choose_per_class(in, order, per_class, keep, err, errlen);
    if (rc == 0) {
        int n = 0;                               /* reuse order[] for the kept indices, in dataset order */
        for (int i = 0; i < in->n; i++)
            if (keep[i]) order[n++] = i;
        rc = nn_dataset_take(in, order, n, out, err, errlen);
    }
    free(order);
    free(keep);
    return rc;
}

int nn_dataset_split(const nn_dataset *in, double frac, nn_rng *r, nn_dataset *a, nn_dataset *b, char *err,
                     size_t errlen)
{
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    if (!(frac >= 0.0 && frac <= 1.0)) return nn_fail(err, errlen, "split fraction %g is not in [0, 1]", frac);
    int na = (int)lround(frac * in->n);
    int *idx = identity(in->n);
    if (!idx) return nn_fail(err, errlen, "out of memory");
    if (r) nn_rng_shuffle(r, idx, in->n);
    int rc = nn_dataset_take(in, idx, na, a, err, errlen);
    if (rc == 0) rc = nn_dataset_take(in, idx + na, in->n - na, b, err, errlen);
    if (rc < 0) nn_dataset_free(a);
    free(idx);
    return rc;
}
