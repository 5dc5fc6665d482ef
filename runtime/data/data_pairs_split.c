/* The split of sentence pairs into parts with no target sentence in two parts, and the
 * selection of a part's pairs by length (nn/text.h). Pairs with the same target are found by
 * sorting the pair indices by target (then index), so a group's first pair is its smallest
 * index; no hash table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

static const nn_pair_set *sort_set;   /* qsort has no context argument; splitting is not reentrant */
static int by_target_then_index(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int c = strcmp(sort_set->target[x], sort_set->target[y]);
    return c ? c : (x > y) - (x < y);
}

/* group[i]: the group of pair i, numbered by first appearance; returns the number of groups. */
static int group_by_target(const nn_pair_set *s, int *order, int *group)
{
    for (int i = 0; i < s->n; i++) order[i] = i;
    sort_set = s;
    qsort(order, (size_t)s->n, sizeof *order, by_target_then_index);
    for (int r = 0; r < s->n; r++)   /* each pair points at its group's first pair */
        group[order[r]] = r > 0 && strcmp(s->target[order[r]], s->target[order[r - 1]]) == 0 ? group[order[r - 1]] : order[r];
    int n_groups = 0;
    for (int i = 0; i < s->n; i++)   /* first pairs get 0, 1, ... in order; later pairs copy theirs */
        group[i] = group[i] == i ? n_groups++ : group[group[i]];
    return n_groups;
}

static int check_fractions(const double *frac, int k, char *err, size_t errlen)
{
    double sum = 0;
    if (k < 1) return nn_fail(err, errlen, "pair split: %d parts, need at least 1", k);
    for (int j = 0; j < k; j++) {
        if (!(frac[j] >= 0 && frac[j] <= 1)) return nn_fail(err, errlen, "pair split: fraction %d is %g, not in [0, 1]", j + 1, frac[j]);
        sum += frac[j];
    }
    return fabs(sum - 1) > 1e-6 ? nn_fail(err, errlen, "pair split: the fractions sum to %g, not 1", sum) : 0;
}

int nn_pairs_split(const nn_pair_set *s, const double *frac, int k, uint64_t seed, int *part, char *err, size_t errlen)
{
    if (check_fractions(frac, k, err, errlen)) return -1;
    size_t m = s->n > 0 ? (size_t)s->n : 1;
    int *order = malloc(m * sizeof *order), *group = malloc(m * sizeof *group), *size = calloc(m, sizeof *size),
        *group_part = malloc(m * sizeof *group_part);
    if (!order || !group || !size || !group_part) {
        free(order), free(group), free(size), free(group_part);
        return nn_fail(err, errlen, "pair split: out of memory");
    }
    int n_groups = group_by_target(s, order, group);
    for (int i = 0; i < s->n; i++) size[group[i]]++;
    for (int g = 0; g < n_groups; g++) order[g] = g;
    nn_rng r;
    nn_rng_seed(&r, seed);
    nn_rng_shuffle(&r, order, n_groups);
    double at = 0, end = frac[0] * s->n;   /* pairs laid out so far; where part j ends */
    for (int g = 0, j = 0; g < n_groups; g++) {
        while (j < k - 1 && at >= end - 1e-9) end += frac[++j] * s->n;
        group_part[order[g]] = j;
        at += size[order[g]];
    }
    for (int i = 0; i < s->n; i++) part[i] = group_part[group[i]];
    free(order), free(group), free(size), free(group_part);
    return 0;
}

int nn_pairs_select(const nn_pair_set *s, const int *part, int which, int max_words, nn_pair_set *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t m = s->n > 0 ? (size_t)s->n : 1;
    out->source = malloc(m * sizeof *out->source);
    out->target = malloc(m * sizeof *out->target);
    if (!out->source || !out->target) {
        nn_pair_set_free(out);
        return nn_fail(err, errlen, "pair selection: out of memory");
    }
    for (int i = 0; i < s->n; i++) {
        int ns = nn_pair_tokens(s->source[i]), nt = nn_pair_tokens(s->target[i]);
        if ((part && part[i] != which) || ns == 0 || nt == 0 || (max_words > 0 && (ns >= max_words || nt >= max_words)))
            continue;
        out->source[out->n] = s->source[i];
        out->target[out->n++] = s->target[i];
    }
    return 0;
}
