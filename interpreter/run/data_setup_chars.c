/* dataset: chars — a text file as 27 symbols (runtime/data/data_chars.c), split into consecutive
 * parts by `splits` so held-out text is the book's tail (never windows overlapping the
 * training text), each part cut into windows of `length` symbols and their next symbols. */
#include "data_setup.h"
#include "nn/text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Symbols [*from, *to) of part k of n: consecutive fractions; the last part ends at n. */
static void part_bounds(const data_source *src, int k, size_t n, size_t *from, size_t *to)
{
    double lo = 0;
    for (int i = 0; i < k; i++) lo += src->splits[i];
    *from = (size_t)(lo * (double)n);
    *to = k == src->n_splits - 1 ? n : (size_t)((lo + src->splits[k]) * (double)n);
    if (*to > n) *to = n;
    if (*from > *to) *from = *to;
}

/* Windows of part k; stride 0 = non-overlapping windows (every symbol predicted once). */
static int part_windows(const data_source *tr, const unsigned char *ids, size_t n, int k, int stride, nn_dataset *out,
                        const data_source *at, const char *which, diag *d)
{
    static const char *const part_names[3][3] = {{"train", "test"}, {"train", "validation", "test"}};
    size_t from, to;
    char err[1024];
    part_bounds(tr, k, n, &from, &to);
    if (nn_char_windows(ids + from, to - from, tr->length, stride ? stride : tr->length, out, err, sizeof err) == 0)
        return 0;
    char msg[2200];
    snprintf(msg, sizeof msg, "the %s part of %s (%zu of %zu symbols): %s; use a shorter length or a larger fraction",
             part_names[tr->n_splits - 2][k], tr->path, to - from, n, err);
    data_source_error(d, at, which, msg);
    return -1;
}

int chars_setup(const spec *s, run_data *rd, diag *d)
{
    const data_source *tr = &s->data.train, *te = &s->data.test;
    int itr, ite;
    if (data_split_parts(s, &itr, &ite, d) < 0) return -1;
    unsigned char *ids = NULL;
    size_t n = 0;
    char err[1024];
    if (nn_char_corpus_load(tr->path, tr->fold_drop, &ids, &n, err, sizeof err) < 0) {
        data_source_error(d, tr, "train", err);
        return -1;
    }
    int rc = part_windows(tr, ids, n, itr, tr->stride, &rd->train, tr, "train", d);
    if (rc == 0 && ite >= 0) {
        rc = part_windows(tr, ids, n, ite, 0, &rd->test, te, "test", d);
        rd->has_test = rc == 0;
        if (strcmp(te->split, "validation") == 0) rd->test_name = "validation";
    }
    free(ids);
    return rc;
}
