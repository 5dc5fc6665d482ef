/* The word vocabulary: counts every word of a text set (or of sentences) in an open-addressing
 * hash table (FNV-1a, linear probing, grown at half load), then ranks them by count with ties
 * going to the word seen first. The same table then answers word -> id lookups. A vocabulary
 * read back from its file (nn_vocab_load) fills the table with the ids the file gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

struct nn_vocab_entry {
    size_t off;            /* the word's bytes in v->chars (NUL-terminated) */
    uint32_t len, hash;
    int count;
    int id;                /* first_word.. when in the vocabulary, v->unknown otherwise */
};

/* The ids before the words, by layout (nn/text.h). */
#define MAX_SPECIALS 4
static const struct {
    const char *names[MAX_SPECIALS];
    int n, unknown;
} layouts[] = {
    [NN_VOCAB_TEXT] = {{"<pad>", "<unk>"}, 2, NN_VOCAB_UNKNOWN},
    [NN_VOCAB_SENTENCES] = {{"<pad>", "<sos>", "<eos>", "<unk>"}, NN_PAIR_FIRST_WORD, NN_PAIR_UNKNOWN},
};
#define N_LAYOUTS ((int)(sizeof layouts / sizeof *layouts))

static void set_layout(nn_vocab *v, nn_vocab_layout layout)
{
    v->layout = layout;
    v->first_word = layouts[layout].n;
    v->unknown = layouts[layout].unknown;
}

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
                                                        .count = 1, .id = v->unknown};
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

/* The space-separated tokens of a normalised sentence. */
static int count_sentence(nn_vocab *v, const char *s)
{
    while (*s) {
        size_t wl = strcspn(s, " ");
        if (wl && count_word(v, s, wl)) return -1;
        s += wl + (s[wl] == ' ');
    }
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

/* Ids from first_word for the max_words (<= 0: all) most frequent words seen min_count times. */
static int assign_ids(nn_vocab *v, int max_words, int min_count)
{
    int *order = malloc((size_t)(v->n_entries > 0 ? v->n_entries : 1) * sizeof *order);
    v->by_id = malloc((size_t)(v->n_entries > 0 ? v->n_entries : 1) * sizeof *v->by_id);
    if (!order || !v->by_id) return free(order), -1;
    for (int e = 0; e < v->n_entries; e++) order[e] = e;
    sort_vocab = v;
    qsort(order, (size_t)v->n_entries, sizeof *order, by_count_then_first);
    int k = 0;
    while (k < v->n_entries && (max_words <= 0 || k < max_words) && v->entries[order[k]].count >= min_count) k++;
    for (int i = 0; i < k; i++) {
        v->entries[order[i]].id = v->first_word + i;
        v->by_id[i] = order[i];
    }
    v->size = v->first_word + k;
    free(order);
    return 0;
}

int nn_vocab_build(const nn_text_set *s, int max_words, const nn_text_clean_options *o, nn_vocab *v, char *err,
                   size_t errlen)
{
    memset(v, 0, sizeof *v);
    set_layout(v, NN_VOCAB_TEXT);
    size_t longest = 0;
    for (int i = 0; i < s->n; i++)
        if (s->len[i] > longest) longest = s->len[i];
    char *work = malloc(longest + 1);
    int rc = work && grow_table(v) == 0 ? 0 : -1;
    for (int i = 0; rc == 0 && i < s->n; i++) {
        size_t n = nn_text_clean(s->text[i], s->len[i], o, work);
        rc = count_text(v, work, n);
    }
    if (rc == 0) rc = assign_ids(v, max_words, 1);
    free(work);
    if (rc) {
        nn_vocab_free(v);
        return nn_fail(err, errlen, "vocabulary: out of memory");
    }
    return 0;
}

int nn_vocab_build_sentences(const char *const *sentences, int n, int min_count, nn_vocab *v, char *err,
                             size_t errlen)
{
    memset(v, 0, sizeof *v);
    set_layout(v, NN_VOCAB_SENTENCES);
    int rc = grow_table(v);
    for (int i = 0; rc == 0 && i < n; i++) rc = count_sentence(v, sentences[i]);
    if (rc == 0) rc = assign_ids(v, 0, min_count);
    if (rc) {
        nn_vocab_free(v);
        return nn_fail(err, errlen, "vocabulary: out of memory");
    }
    return 0;
}

int nn_vocab_id(const nn_vocab *v, const char *w, size_t len)
{
    if (!v->slots) return layouts[v->layout].unknown;   /* an empty (zeroed) vocabulary too */
    int e = v->slots[find_slot(v, w, len, hash_word(w, len))];
    return e < 0 ? v->unknown : v->entries[e].id;
}

const char *nn_vocab_word(const nn_vocab *v, int id, int *count)
{
    if (count) *count = 0;
    if (id >= 0 && id < v->first_word) return layouts[v->layout].names[id];
    if (id < v->first_word || id >= v->size) return NULL;
    const struct nn_vocab_entry *e = &v->entries[v->by_id[id - v->first_word]];
    if (count) *count = e->count;
    return v->chars + e->off;
}

/* ---- the vocabulary file ---- */

void nn_vocab_write(const nn_vocab *v, FILE *f)
{
    for (int id = 0; id < v->size; id++) fprintf(f, "%s\n", nn_vocab_word(v, id, NULL));
}

/* The layout whose specials are the file's first lines, or -1. */
static int layout_of(char *const *line, int n)
{
    for (int l = N_LAYOUTS - 1; l >= 0; l--) {
        int k = 0;
        while (k < layouts[l].n && k < n && strcmp(line[k], layouts[l].names[k]) == 0) k++;
        if (k == layouts[l].n) return l;
    }
    return -1;
}

/* Adds the words line[first_word..n) with ids in line order; -1 with the message on a bad line. */
static int add_file_words(nn_vocab *v, char *const *line, int n, const char *path, char *err, size_t errlen)
{
    for (int i = v->first_word; i < n; i++) {
        size_t len = strlen(line[i]);
        if (len == 0 || strcspn(line[i], " \t\r") != len)
            return nn_fail(err, errlen, "%s:%d: '%.40s' is not a word (one word per line, no spaces)", path, i + 1, line[i]);
        uint32_t h = hash_word(line[i], len);
        unsigned slot = find_slot(v, line[i], len, h);
        if (v->slots[slot] >= 0)
            return nn_fail(err, errlen, "%s:%d: '%.40s' is already word %d", path, i + 1, line[i], v->entries[v->slots[slot]].id);
        if (add_entry(v, line[i], len, h, slot)) return nn_fail(err, errlen, "%s: out of memory", path);
        int e = v->slots[find_slot(v, line[i], len, h)];   /* add_entry may have grown the table */
        v->entries[e].count = 0;
        v->entries[e].id = i;
        v->by_id[i - v->first_word] = e;
    }
    v->size = n;
    return 0;
}

/* Splits buf into its lines (in place); *n gets their number. */
static char **split_lines(char *buf, size_t len, int *n)
{
    int cap = 1;
    for (size_t i = 0; i < len; i++) cap += buf[i] == '\n';
    char **line = malloc((size_t)cap * sizeof *line);
    if (!line) return NULL;
    *n = 0;
    for (char *p = buf; p < buf + len;) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (nl) *nl = '\0';
        line[(*n)++] = p;
        p = nl ? nl + 1 : buf + len;
    }
    return line;
}

int nn_vocab_load(const char *path, nn_vocab *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    char *buf;
    size_t len;
    if (nn_data_read_all(path, &buf, &len, err, errlen) < 0) return -1;
    int n = 0, rc;
    char **line = split_lines(buf, len, &n);
    int layout = line ? layout_of(line, n) : -1;
    if (!line) rc = nn_fail(err, errlen, "%s: out of memory", path);
    else if (layout < 0)
        rc = nn_fail(err, errlen, "%s:1: a vocabulary file starts with <pad>, <unk> (text) or <pad>, <sos>, <eos>, <unk> (sentences)", path);
    else {
        set_layout(v, (nn_vocab_layout)layout);
        v->by_id = malloc((size_t)(n > 0 ? n : 1) * sizeof *v->by_id);
        rc = v->by_id && grow_table(v) == 0 ? 0 : nn_fail(err, errlen, "%s: out of memory", path);
        if (rc == 0) rc = add_file_words(v, line, n, path, err, errlen);
    }
    if (rc) nn_vocab_free(v);
    free(line);
    free(buf);
    return rc;
}
