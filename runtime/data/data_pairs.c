/* Sentence pairs from the npm packages nlp-corpus (English) and fr-corpus (its French
 * translation), paired by file and position, checked by MD5, normalised (nn/text.h).
 *
 *   DIR/en/doc-K.json   ["english", ...]                              (1,000 per file)
 *   DIR/fr/doc-K.json   [["french", "md5 of the english"], ...]       (as many, same order)
 *
 * Both files are parsed whole by the strict parser (json_lite.c); the normalised sentences go
 * into one growing pool, addressed by offset until the end (the pool moves as it grows). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "data_util.h"
#include "md5.h"
#include "../io/json_lite.h"
#include "nn/text.h"

void nn_pair_set_free(nn_pair_set *s)
{
    free(s->source);
    free(s->target);
    free(s->pool);
    memset(s, 0, sizeof *s);
}

int nn_pair_tokens(const char *s)
{
    if (!*s) return 0;
    int n = 1;
    for (; *s; s++) n += *s == ' ';
    return n;
}

/* The pairs while they are read: sentences in a pool, by offset. */
typedef struct {
    char *pool;
    size_t used, cap;
    size_t *off;           /* 2 per pair: source, target */
    int n, cap_pairs;
    int verified;
} pair_builder;

/* Normalises s into the pool; *off gets where. */
static int add_sentence(pair_builder *b, const char *s, size_t len, size_t *off)
{
    if (b->used + 2 * len + 1 > b->cap) {
        size_t cap = 2 * b->cap + 2 * len + 1;
        char *p = realloc(b->pool, cap);
        if (!p) return -1;
        b->pool = p;
        b->cap = cap;
    }
    *off = b->used;
    b->used += nn_pair_normalize(s, len, b->pool + b->used) + 1;
    return 0;
}

static int add_pair(pair_builder *b, const jl_value *fr, const jl_value *en)
{
    if (b->n == b->cap_pairs) {
        int cap = b->cap_pairs ? 2 * b->cap_pairs : 4096;
        size_t *o = realloc(b->off, 2 * (size_t)cap * sizeof *o);
        if (!o) return -1;
        b->off = o;
        b->cap_pairs = cap;
    }
    if (add_sentence(b, fr->str, fr->str_len, &b->off[2 * b->n]) || add_sentence(b, en->str, en->str_len, &b->off[2 * b->n + 1]))
        return -1;
    b->n++;
    return 0;
}

static int is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* Entry i of the French file: [french, md5] with both strings. */
static int french_entry(const jl_doc *fr, int c, const char *path, int i, const jl_value **text, const jl_value **md5,
                        char *err, size_t errlen)
{
    const jl_value *e = &fr->v[c];
    int a = e->type == JL_ARRAY && e->n == 2 ? e->first : -1, b = a >= 0 ? fr->v[a].next : -1;
    if (a < 0 || fr->v[a].type != JL_STRING || fr->v[b].type != JL_STRING)
        return nn_fail(err, errlen, "%s: byte %zu: entry %d is not [\"french\", \"md5 of the english\"]", path, e->offset, i);
    *text = &fr->v[a];
    *md5 = &fr->v[b];
    return 0;
}

/* The pairs of one file K: en and fr parsed, checked against each other. */
static int add_file_pairs(pair_builder *b, const jl_doc *en, const jl_doc *fr, const char *en_path, const char *fr_path,
                          char *err, size_t errlen)
{
    if (en->v[0].type != JL_ARRAY) return nn_fail(err, errlen, "%s: expected an array of English strings", en_path);
    if (fr->v[0].type != JL_ARRAY) return nn_fail(err, errlen, "%s: expected an array of [french, md5] entries", fr_path);
    if (en->v[0].n != fr->v[0].n)
        return nn_fail(err, errlen, "%s has %d entries but %s has %d: the files are not translations of each other", fr_path,
                       fr->v[0].n, en_path, en->v[0].n);
    int i = 0;
    for (int ce = en->v[0].first, cf = fr->v[0].first; ce >= 0; ce = en->v[ce].next, cf = fr->v[cf].next, i++) {
        const jl_value *e = &en->v[ce], *text = NULL, *md5 = NULL;
        if (e->type != JL_STRING) return nn_fail(err, errlen, "%s: byte %zu: entry %d is not a string", en_path, e->offset, i);
        if (french_entry(fr, cf, fr_path, i, &text, &md5, err, errlen)) return -1;
        char hex[33];
        nn_md5_hex(e->str, e->str_len, hex);
        if (strcmp(hex, md5->str) == 0) b->verified++;
        else if (is_ascii(e->str, e->str_len))
            return nn_fail(err, errlen,
                           "%s: byte %zu: entry %d names English with MD5 %.40s, but entry %d of %s (\"%.40s\") has MD5 %s: "
                           "the files are not aligned",
                           fr_path, md5->offset, i, md5->str, i, en_path, e->str, hex);
        if (add_pair(b, text, e)) return nn_fail(err, errlen, "%s: out of memory", fr_path);
    }
    return 0;
}

static int parse_file(const char *path, jl_doc *d, char *err, size_t errlen)
{
    char *buf, why[512];
    size_t len;
    memset(d, 0, sizeof *d);
    if (nn_data_read_all(path, &buf, &len, err, errlen) < 0) return -1;
    int rc = jl_parse(d, buf, len, why, sizeof why) == 0 ? 0 : nn_fail(err, errlen, "%s: %s", path, why);
    free(buf);
    return rc;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || errno != ENOENT;
}

/* The builder's offsets -> the set's pointers into the pool, which the set takes. */
static int finish(pair_builder *b, nn_pair_set *out)
{
    size_t m = b->n > 0 ? (size_t)b->n : 1;
    out->source = malloc(m * sizeof *out->source);
    out->target = malloc(m * sizeof *out->target);
    if (!out->source || !out->target) return -1;
    for (int i = 0; i < b->n; i++) {
        out->source[i] = b->pool + b->off[2 * i];
        out->target[i] = b->pool + b->off[2 * i + 1];
    }
    out->n = b->n;
    out->n_verified = b->verified;
    out->pool = b->pool;
    b->pool = NULL;
    return 0;
}

int nn_pairs_load(const char *dir, nn_pair_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    pair_builder b = {0};
    char en_path[4096], fr_path[4096];
    int rc = 0;
    for (int k = 0; rc == 0; k++) {
        snprintf(en_path, sizeof en_path, "%s/en/doc-%d.json", dir, k);
        snprintf(fr_path, sizeof fr_path, "%s/fr/doc-%d.json", dir, k);
        if (k > 0 && !exists(en_path)) {
            if (exists(fr_path)) rc = nn_fail(err, errlen, "%s has no English counterpart %s", fr_path, en_path);
            break;
        }
        jl_doc en = {0}, fr = {0};
        rc = parse_file(en_path, &en, err, errlen);
        if (rc == 0) rc = parse_file(fr_path, &fr, err, errlen);
        if (rc == 0) rc = add_file_pairs(&b, &en, &fr, en_path, fr_path, err, errlen);
        jl_free(&en);
        jl_free(&fr);
    }
    if (rc == 0 && finish(&b, out)) rc = nn_fail(err, errlen, "%s: out of memory", dir);
    if (rc) nn_pair_set_free(out);
    free(b.pool);
    free(b.off);
    return rc;
}
