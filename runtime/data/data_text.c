/* Text clean-up, word and character tokens, and encoding labelled texts to fixed-length id
 * sequences (see nn/text.h). Byte-oriented: only ASCII is interpreted, other UTF-8 bytes pass
 * through clean-up and are separators for words. */
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

nn_text_clean_options nn_text_clean_defaults(void)
{
    return (nn_text_clean_options){.lower = 1, .strip_html = 1, .strip_mentions = 1, .strip_urls = 1};
}

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_word_char(unsigned char c) { return is_alpha(c) || (c >= '0' && c <= '9') || c == '_'; }

static int starts_with_nocase(const char *s, size_t avail, const char *prefix)
{
    size_t n = strlen(prefix);
    if (avail < n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)prefix[i]) return 0;
    }
    return 1;
}

/* Length of the markup at s (a tag, mention or URL that o strips), or 0 to keep s[0]. */
static size_t strip_length(const char *s, size_t avail, const nn_text_clean_options *o)
{
    const unsigned char *u = (const unsigned char *)s;
    if (o->strip_html && u[0] == '<' && avail > 1 && (is_alpha(u[1]) || u[1] == '/')) {
        const char *end = memchr(s, '>', avail);
        if (end) return (size_t)(end - s) + 1;   /* an unclosed '<' is kept as text */
    }
    if (o->strip_mentions && u[0] == '@' && avail > 1 && is_word_char(u[1])) {
        size_t k = 1;
        while (k < avail && is_word_char(u[k])) k++;
        return k;
    }
    if (o->strip_urls && (starts_with_nocase(s, avail, "http://") || starts_with_nocase(s, avail, "https://") ||
                          starts_with_nocase(s, avail, "www."))) {
        size_t k = 0;
        while (k < avail && !is_space(u[k])) k++;
        return k;
    }
    return 0;
}

size_t nn_text_clean(const char *in, size_t len, const nn_text_clean_options *o, char *out)
{
    nn_text_clean_options def = nn_text_clean_defaults();
    if (!o) o = &def;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        size_t skip = strip_length(in + i, len - i, o);
        if (skip) {                  /* a space, so "great<br />movie" stays two words */
            out[k++] = ' ';
            i += skip;
            continue;
        }
        unsigned char c = (unsigned char)in[i++];
        out[k++] = (char)(o->lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[k] = '\0';
    return k;
}

size_t nn_text_next_word(const char *s, size_t len, size_t *pos, size_t *start)
{
    size_t i = *pos;
    while (i < len && !(s[i] >= 'a' && s[i] <= 'z')) i++;
    size_t b = i;
    while (i < len && s[i] >= 'a' && s[i] <= 'z') i++;
    *pos = i;
    *start = b;
    return i - b;
}

int nn_char_symbol(unsigned char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a' + 1;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 1;
    return c == ' ' ? 0 : -1;
}

char nn_char_of_symbol(int id)
{
    if (id == 0) return ' ';
    return id >= 1 && id <= 26 ? (char)('a' + id - 1) : '?';
}

size_t nn_char_map(const char *in, size_t len, int drop_other, unsigned char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        int id = nn_char_symbol(c);
        if (id < 0 && (is_space(c) || !drop_other)) id = 0;
        if (id < 0 || (id == 0 && k > 0 && out[k - 1] == 0)) continue;
        out[k++] = (unsigned char)id;
    }
    return k;
}

/* ---- encoding ---- */

nn_text_encode_options nn_text_encode_defaults(void)
{
    return (nn_text_encode_options){.length = 200, .clean = nn_text_clean_defaults()};
}

/* Token ids of one cleaned text into ids (room for len + 1); returns how many. */
static size_t tokenize(const char *s, size_t len, const nn_vocab *v, const nn_text_encode_options *o,
                       int *ids, unsigned char *sym)
{
    size_t n = 0;
    if (o->chars) {
        n = nn_char_map(s, len, 0, sym);
        for (size_t i = 0; i < n; i++) ids[i] = 2 + sym[i];
        return n;
    }
    size_t pos = 0, start, wl;
    while ((wl = nn_text_next_word(s, len, &pos, &start)) > 0) ids[n++] = nn_vocab_id(v, s + start, wl);
    return n;
}

/* Writes T ids into x: the last (or first) T of ids[0..n), padded with 0 in front (or back). */
static void fit_to_length(const int *ids, size_t n, int T, const nn_text_encode_options *o, float *x)
{
    size_t keep = n < (size_t)T ? n : (size_t)T;
    const int *from = o->keep_first ? ids : ids + (n - keep);
    size_t pad = (size_t)T - keep;
    float *dst = o->pad_back ? x : x + pad;
    for (int t = 0; t < T; t++) x[t] = NN_VOCAB_PAD;
    for (size_t i = 0; i < keep; i++) dst[i] = (float)from[i];
}

static int encode_all(const nn_text_set *s, const nn_vocab *v, const nn_text_encode_options *o, nn_dataset *out,
                      char *work, int *ids, unsigned char *sym)
{
    int T = o->length, top = 1;
    for (int i = 0; i < s->n; i++) {
        size_t cl = nn_text_clean(s->text[i], s->len[i], &o->clean, work);
        size_t n = tokenize(work, cl, v, o, ids, sym);
        fit_to_length(ids, n, T, o, out->x + (size_t)i * (size_t)T);
        out->y[i] = (float)s->label[i];
        if (s->label[i] > top) top = s->label[i];
    }
    return top + 1;
}

int nn_text_encode(const nn_text_set *s, const nn_vocab *v, const nn_text_encode_options *o, nn_dataset *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (o->length < 1) return nn_fail(err, errlen, "text encoding: length %d, need at least 1", o->length);
    if (!o->chars && (!v || v->size < 2))
        return nn_fail(err, errlen, "text encoding: word tokens need a vocabulary (build it with nn_vocab_build)");
    size_t longest = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->label[i] < 0) return nn_fail(err, errlen, "text encoding: text %d has label %d, not a class id", i, s->label[i]);
        if (s->len[i] > longest) longest = s->len[i];
    }
    nn_shape shape = {.ndim = 1, .d = {o->length}};
    if (nn_dataset_alloc(out, s->n, shape, 1, err, errlen)) return -1;
    char *work = malloc(longest + 1);    /* scratch sized once for the longest text */
    int *ids = malloc((longest + 1) * sizeof *ids);
    unsigned char *sym = malloc(longest + 1);
    int rc = work && ids && sym ? 0 : nn_fail(err, errlen, "out of memory");
    if (rc == 0) out->n_classes = encode_all(s, v, o, out, work, ids, sym);
    else nn_dataset_free(out);
    free(work);
    free(ids);
    free(sym);
    return rc;
}
