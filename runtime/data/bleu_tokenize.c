/* sacreBLEU's 13a tokenizer (mteval-v13a's rules) on UTF-8 bytes. Its regular expressions
 * test ASCII characters only, and a multi-byte character never holds an ASCII byte, so working
 * on bytes gives the same tokens as Python working on code points; what a space is (Python's
 * str.split()) is the one place where multi-byte characters count. */
#include <stdlib.h>
#include <string.h>
#include "nn/bleu.h"

/* The length in bytes of the space character at s[0..len) (1..3), or 0 if s does not start
 * with one: Python's str.isspace(). */
static int space_at(const unsigned char *s, size_t len)
{
    if (s[0] < 0x80) return (s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20) ? 1 : 0;
    if (len >= 2 && s[0] == 0xc2) return s[1] == 0x85 || s[1] == 0xa0 ? 2 : 0;   /* U+0085 U+00A0 */
    if (len < 3) return 0;
    unsigned cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (unsigned)(s[2] & 0x3f);
    if ((s[0] & 0xf0) != 0xe0 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
    int space = cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
                cp == 0x205f || cp == 0x3000;
    return space ? 3 : 0;
}

size_t nn_bleu_rstrip_len(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t end = 0;
    for (size_t i = 0; i < len;) {
        int k = space_at(u + i, len - i);
        i += k ? (size_t)k : 1;
        if (!k) end = i;
    }
    return end;
}

/* ---- the language-independent part: literal replacements, one pass each, in this order ---- */

static const struct {
    const char *from, *to;   /* to is never longer than from: each pass works in place */
} replacements[] = {
    {"<skipped>", ""}, {"-\n", ""}, {"\n", " "}, {"&quot;", "\""}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
};

/* Replaces every occurrence of from in s[0..*n), left to right without overlaps (what the
 * replacement makes is not looked at again: Python's str.replace). */
static void replace_all(char *s, size_t *n, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), w = 0;
    for (size_t r = 0; r < *n;) {
        if (r + fl <= *n && memcmp(s + r, from, fl) == 0) {
            memmove(s + w, to, tl);
            w += tl, r += fl;
        } else {
            s[w++] = s[r++];
        }
    }
    *n = w;
}

/* ---- the regular expressions ------------------------------------------------------------- */

/* [\{-\~\[-\` -\&\(-\+\:-\@\/]: ASCII punctuation but ' , - . (and the space) */
static int is_split_punct(unsigned char c)
{
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= ':' && c <= '@') || c == '/';
}
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_not_digit(unsigned char c) { return !is_digit(c); }
static int is_period_comma(unsigned char c) { return c == '.' || c == ','; }
static int is_dash(unsigned char c) { return c == '-'; }

/* A rule on two characters a b, each tested by a class, rewritten with spaces around them:
 * ([^0-9])([\.,]) -> "\1 \2 " is {is_not_digit, is_period_comma, 0, 1}. Matches are found left
 * to right and do not overlap, as re.sub finds them. */
static const struct {
    int (*first)(unsigned char), (*second)(unsigned char);
    int space_before, space_after;   /* a space before a, after b (there is always one between) */
} pair_rules[] = {
    {is_not_digit, is_period_comma, 0, 1},   /* period and comma unless preceded by a digit */
    {is_period_comma, is_not_digit, 1, 0},   /* period and comma unless followed by a digit */
    {is_digit, is_dash, 0, 1},               /* dash when preceded by a digit */
};

/* in[0..n) -> out: each split punctuation character c becomes " c ". Returns the length. */
static size_t split_punct(const char *in, size_t n, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int split = is_split_punct((unsigned char)in[i]);
        if (split) out[w++] = ' ';
        out[w++] = in[i];
        if (split) out[w++] = ' ';
    }
    return w;
}

/* in[0..n) -> out with pair rule k applied. Returns the length. */
static size_t apply_pair_rule(int k, const char *in, size_t n, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        const unsigned char a = (unsigned char)in[i];
        if (i + 1 < n && pair_rules[k].first(a) && pair_rules[k].second((unsigned char)in[i + 1])) {
            if (pair_rules[k].space_before) out[w++] = ' ';
            out[w++] = in[i];
            out[w++] = ' ';
            out[w++] = in[i + 1];
            if (pair_rules[k].space_after) out[w++] = ' ';
            i += 2;
        } else {
            out[w++] = in[i++];
        }
    }
    return w;
}

/* in[0..n) -> out: the runs of non-space characters joined by single spaces. Returns the
 * length. */
static size_t join_tokens(const char *in, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t w = 0;
    int in_token = 0;
    for (size_t i = 0; i < n;) {
        int k = space_at(u + i, n - i);
        if (k) {
            in_token = 0;
            i += (size_t)k;
            continue;
        }
        if (!in_token && w) out[w++] = ' ';
        in_token = 1;
        out[w++] = in[i++];
    }
    return w;
}

char *nn_bleu_tokenize_13a(const char *line, size_t len, size_t *out_len)
{
    /* split_punct adds 2 bytes per split character, the pair rules at most 2 each per '.', ','
     * or '-' (which split_punct leaves alone): 5 bytes per input byte at most. */
    size_t cap = 5 * (len + 2) + 1;
    char *a = malloc(cap), *b = malloc(cap);
    if (!a || !b) {
        free(a), free(b);
        return NULL;
    }
    size_t n = len;
    memcpy(a, line, len);
    for (size_t k = 0; k < sizeof replacements / sizeof *replacements; k++) replace_all(a, &n, replacements[k].from, replacements[k].to);
    /* " line ": the pair rules then see a character on each side of the text's first and last */
    memmove(a + 1, a, n);
    a[0] = ' ', a[n + 1] = ' ';
    n += 2;
    n = split_punct(a, n, b);
    for (size_t k = 0; k < sizeof pair_rules / sizeof *pair_rules; k++) {
        char *t = a;
        n = apply_pair_rule((int)k, b, n, a);
        a = b, b = t;   /* the result back in b */
    }
    n = join_tokens(b, n, a);
    a[n] = '\0';
    free(b);
    if (out_len) *out_len = n;
    return a;
}
