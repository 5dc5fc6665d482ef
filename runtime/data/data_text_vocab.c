/* The word vocabulary: counts every word of a text set in an open-addressing hash table
 * (FNV-1a, linear probing, grown at half load), then ranks them by count with ties going to
 * the word seen first. The same table then answers word -> id lookups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

struct nn_vocab_entry {
    size_t off;            /* the word's bytes in v->chars (NUL-terminated) */
    uint32_t len, hash;
    int count;
    int id;                /* 2.. when in the vocabulary, NN_VOCAB_UNKNOWN otherwise */
};

static uint32_t hash_word(const char *w, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)w[i]) * 16777619u;
    return h;
}

void nn_vocab_free(nn_vocab *v)
{
    free(v->entries);
    free(v->slots);
    free(v->by_id);
    free(v->chars);
    memset(v, 0, sizeof *v);
}

/* Slot holding w, or the empty slot where it would go. */
static unsigned find_slot(const nn_vocab *v, const char *w, size_t len, uint32_t h)
{
    for (unsigned i = h & v->mask;; i = (i + 1) & v->mask) {
        int e = v->slots[i];
        if (e < 0) return i;
        const struct nn_vocab_entry *x = &v->entries[e];
        if (x->hash == h && x->len == len && !memcmp(v->chars + x->off, w, len)) return i;
    }
}

static int grow_table(nn_vocab *v)
{
    unsigned n = v->mask ? 2 * (v->mask + 1) : 1024;
    int *slots = malloc(n * sizeof *slots);
    if (!slots) return -1;
    free(v->slots);
    v->slots = slots;
    v->mask = n - 1;
    memset(slots, 0xff, n * sizeof *slots);       /* all -1 */
    for (int e = 0; e < v->n_entries; e++) {
        unsigned i = v->entries[e].hash & v->mask;
        while (slots[i] >= 0) i = (i + 1) & v->mask;
        slots[i] = e;
    }
    return 0;
}

static int add_entry(nn_vocab *v, const char *w, size_t len, uint32_t h, unsigned slot)
{
    if (v->n_entries == v->cap) {
        int cap = v->cap ? 2 * v->cap : 1024;
        struct nn_vocab_entry *e = realloc(v->entries, (size_t)cap * sizeof *e);
        if (!e) return -1;
        v->entries = e;
        v->cap = cap;
    }
    if (v->chars_used + len + 1 > v->chars_cap) {
        size_t cap = 2 * (v->chars_cap + len + 1);
        char *c = realloc(v->chars, cap);
        if (!c) return -1;
        v->chars = c;
        v->chars_cap = cap;
    }
    memcpy(v->chars + v->chars_used, w, len);
    v->chars[v->chars_used + len] = '\0';
    v->entries[v->n_entries] = (struct nn_vocab_entry){.off = v->chars_used, .len = (uint32_t)len, .hash = h,
                                                        .count = 1, .id = NN_VOCAB_UNKNOWN};
    v->chars_used += len + 1;
    v->slots[slot] = v->n_entries++;
    if ((unsigned)v->n_entries * 2 > v->mask) return grow_table(v);
    return 0;
}

static int count_word(nn_vocab *v, const char *w, size_t len)
{
    uint32_t h = hash_word(w, len);
    unsigned slot = find_slot(v, w, len, h);
    if (v->slots[slot] >= 0) {
        v->entries[v->slots[slot]].count++;
        return 0;
    }
    return add_entry(v, w, len, h, slot);
}

static int count_text(nn_vocab *v, const char *s, size_t len)
{
    size_t pos = 0, start, wl;
    while ((wl = nn_text_next_word(s, len, &pos, &start)) > 0)
        if (count_word(v, s + start, wl)) return -1;
    return 0;
}

static const nn_vocab *sort_vocab;   /* qsort has no context argument; building is not reentrant */
static int by_count_then_first(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int cx = sort_vocab->entries[x].count, cy = sort_vocab->entries[y].count;
    if (cx != cy) return cx > cy ? -1 : 1;
    return (x > y) - (x < y);                /* entries are numbered in order of first occurrence */
}

static int assign_ids(nn_vocab *v, int max_words)
{
    int k = max_words > 0 && max_words < v->n_entries ? max_words : v->n_entries;
    int *order = malloc((size_t)(v->n_entries > 0 ? v->n_entries : 1) * sizeof *order);
    v->by_id = malloc((size_t)(k > 0 ? k : 1) * sizeof *v->by_id);
    if (!order || !v->by_id) return free(order), -1;
    for (int e = 0; e < v->n_entries; e++) order[e] = e;
    sort_vocab = v;
    qsort(order, (size_t)v->n_entries, sizeof *order, by_count_then_first);
    for (int i = 0; i < k; i++) {
        v->entries[order[i]].id = 2 + i;
        v->by_id[i] = order[i];
    }
    v->size = 2 + k;
    free(order);
    return 0;
}

int nn_vocab_build(const nn_text_set *s, int max_words, const nn_text_clean_options *o, nn_vocab *v, char *err,
                   size_t errlen)
{
    memset(v, 0, sizeof *v);
    size_t longest = 0;
    for (int i = 0; i < s->n; i++)
        if (s->len[i] > longest) longest = s->len[i];
    char *work = malloc(longest + 1);
    int rc = work && grow_table(v) == 0 ? 0 : -1;
    for (int i = 0; rc == 0 && i < s->n; i++) {
        size_t n = nn_text_clean(s->text[i], s->len[i], o, work);
        rc = count_text(v, work, n);
    }
    if (rc == 0) rc = assign_ids(v, max_words);
    free(work);
    if (rc) {
        nn_vocab_free(v);
        return nn_fail(err, errlen, "vocabulary: out of memory");
    }
    return 0;
}

int nn_vocab_id(const nn_vocab *v, const char *w, size_t len)
{
    if (!v->slots) return NN_VOCAB_UNKNOWN;
    int e = v->slots[find_slot(v, w, len, hash_word(w, len))];
    return e < 0 ? NN_VOCAB_UNKNOWN : v->entries[e].id;
}

const char *nn_vocab_word(const nn_vocab *v, int id, int *count)
{
    if (count) *count = 0;
    if (id == NN_VOCAB_PAD) return "<pad>";
    if (id == NN_VOCAB_UNKNOWN) return "<unk>";
    if (id < 2 || id >= v->size) return NULL;
    const struct nn_vocab_entry *e = &v->entries[v->by_id[id - 2]];
    if (count) *count = e->count;
    return v->chars + e->off;
}
