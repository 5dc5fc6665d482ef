/* Labelled texts: the reviews JSON reader (on the strict parser of json_lite.c, whose string
 * pool becomes the set's storage, so the 66 MB of IMDB text is decoded once and never copied),
 * the set's free, and the split into views. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "../io/json_lite.h"
#include "nn/text.h"

void nn_text_set_free(nn_text_set *s)
{
    free(s->text);
    free(s->len);
    free(s->label);
    free(s->pool);
    memset(s, 0, sizeof *s);
}

static int alloc_set(nn_text_set *s, int n, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    size_t m = n > 0 ? (size_t)n : 1;
    s->text = malloc(m * sizeof *s->text);
    s->len = malloc(m * sizeof *s->len);
    s->label = malloc(m * sizeof *s->label);
    if (!s->text || !s->len || !s->label) {
        nn_text_set_free(s);
        return nn_fail(err, errlen, "out of memory for %d texts", n);
    }
    s->n = n;
    return 0;
}

/* Fills sample i from the object at index obj: exactly the keys "t" (a string) and "s" (0 or 1). */
static int read_review(const jl_doc *d, int obj, const char *name, nn_text_set *s, int i, char *err,
                       size_t errlen)
{
    const jl_value *o = &d->v[obj];
    if (o->type != JL_OBJECT)
        return nn_fail(err, errlen, "%s: byte %zu: review %d is not an object {\"t\": text, \"s\": 0 or 1}", name,
                       o->offset, i);
    int has_t = 0, has_s = 0;
    for (int c = o->first; c >= 0; c = d->v[c].next) {
        const jl_value *m = &d->v[c];
        if (!strcmp(m->key, "t")) {
            if (m->type != JL_STRING)
                return nn_fail(err, errlen, "%s: byte %zu: review %d: \"t\" must be a string", name, m->offset, i);
            s->text[i] = m->str;
            s->len[i] = m->str_len;
            has_t = 1;
        } else if (!strcmp(m->key, "s")) {
            if (m->type != JL_NUMBER || !m->is_uint || m->u > 1)
                return nn_fail(err, errlen, "%s: byte %zu: review %d: \"s\" must be 0 or 1", name, m->offset, i);
            s->label[i] = (int)m->u;
            has_s = 1;
        } else {
            return nn_fail(err, errlen, "%s: byte %zu: review %d: unexpected key \"%.40s\" (only \"t\" and \"s\")",
                           name, m->offset, i, m->key);
        }
    }
    if (!has_t || !has_s)
        return nn_fail(err, errlen, "%s: byte %zu: review %d has no \"%s\"", name, o->offset, i, has_t ? "s" : "t");
    return 0;
}

int nn_parse_reviews_json(const char *json, size_t len, const char *name, nn_text_set *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    jl_doc d;
    char why[512];
    if (jl_parse(&d, json, len, why, sizeof why)) {
        jl_free(&d);
        return nn_fail(err, errlen, "%s: %s", name, why);
    }
    int rc = d.v[0].type == JL_ARRAY ? alloc_set(out, d.v[0].n, err, errlen)
                                     : nn_fail(err, errlen, "%s: byte %zu: expected an array of reviews", name,
                                               d.v[0].offset);
    int i = 0;
    for (int c = d.v[0].first; rc == 0 && c >= 0; c = d.v[c].next)
        rc = read_review(&d, c, name, out, i++, err, errlen);
    if (rc == 0) {
        out->pool = d.pool;          /* the strings stay where the parser decoded them */
        d.pool = NULL;
    } else {
        nn_text_set_free(out);
    }
    jl_free(&d);
    return rc;
}

int nn_load_reviews_json(const char *path, nn_text_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *buf;
    size_t size;
    if (nn_data_read_all(path, &buf, &size, err, errlen) < 0) return -1;
    int rc = nn_parse_reviews_json(buf, size, path, out, err, errlen);
    free(buf);
    return rc;
}

/* ---- split ---- */

static int check_fractions(const double *frac, int k, char *err, size_t errlen)
{
    if (k < 1) return nn_fail(err, errlen, "text split: %d parts, need at least 1", k);
    double sum = 0;
    for (int j = 0; j < k; j++) {
        if (!(frac[j] >= 0 && frac[j] <= 1))
            return nn_fail(err, errlen, "text split: fraction %d is %g, not in [0, 1]", j + 1, frac[j]);
        sum += frac[j];
    }
    if (fabs(sum - 1) > 1e-6) return nn_fail(err, errlen, "text split: the fractions sum to %g, not 1", sum);
    return 0;
}

int nn_text_split(const nn_text_set *s, const double *frac, int k, nn_rng *r, nn_text_set *parts, char *err,
                  size_t errlen)
{
    for (int j = 0; j < k; j++) memset(&parts[j], 0, sizeof parts[j]);
    if (check_fractions(frac, k, err, errlen)) return -1;
    int *order = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *order);
    if (!order) return nn_fail(err, errlen, "out of memory");
    for (int i = 0; i < s->n; i++) order[i] = i;
    if (r) nn_rng_shuffle(r, order, s->n);
    int rc = 0, at = 0;
    for (int j = 0; j < k && rc == 0; j++) {
        int m = j == k - 1 ? s->n - at : (int)lround(frac[j] * s->n);
        if (m > s->n - at) m = s->n - at;
        rc = alloc_set(&parts[j], m, err, errlen);
        for (int i = 0; rc == 0 && i < m; i++, at++) {
            parts[j].text[i] = s->text[order[at]];
            parts[j].len[i] = s->len[order[at]];
            parts[j].label[i] = s->label[order[at]];
        }
    }
    if (rc)
        for (int j = 0; j < k; j++) nn_text_set_free(&parts[j]);
    free(order);
    return rc;
}
