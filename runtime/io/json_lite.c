/* A small strict JSON parser for checkpoint headers (see json_lite.h for what "strict" means).
 * Recursive descent over the text; every failure records the byte offset and stops. */
#include "json_lite.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
    jl_doc *d;
    char *err;
    size_t errlen;
    int failed;
} parser;

static int fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *p, const char *fmt, ...)
{
    if (p->failed) return -1;
    p->failed = 1;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->errlen) snprintf(p->err, p->errlen, "invalid JSON at byte %zu: %s", p->pos, what);
    return -1;
}

/* ---- UTF-8 ---- */

int jl_utf8_seq_len(const unsigned char *s, size_t avail)
{
    if (avail == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n;
    unsigned cp, min;
    if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (avail < (size_t)n) return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

int jl_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        int n = jl_utf8_seq_len(u + i, len - i);
        if (!n) return 0;
        i += (size_t)n;
    }
    return 1;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- escaping (writer side) ---- */

size_t jl_escape(const char *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
#define PUT(ch) do { if (out) out[k] = (ch); k++; } while (0)
    PUT('"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        const char *short_esc = NULL;
        switch (*c) {
        case '"': short_esc = "\\\""; break;
        case '\\': short_esc = "\\\\"; break;
        case '\b': short_esc = "\\b"; break;
        case '\f': short_esc = "\\f"; break;
        case '\n': short_esc = "\\n"; break;
        case '\r': short_esc = "\\r"; break;
        case '\t': short_esc = "\\t"; break;
        default: break;
        }
        if (short_esc) {
            PUT(short_esc[0]);
            PUT(short_esc[1]);
        } else if (*c < 0x20) {
            PUT('\\'); PUT('u'); PUT('0'); PUT('0'); PUT(hex[*c >> 4]); PUT(hex[*c & 15]);
        } else {
            PUT((char)*c);
        }
    }
    PUT('"');
#undef PUT
    return k;
}

/* ---- values ---- */

static int new_value(parser *p, jl_type t)
{
    jl_doc *d = p->d;
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 64;
        jl_value *v = realloc(d->v, (size_t)cap * sizeof *v);
        if (!v) return fail(p, "out of memory");
        d->v = v;
        d->cap = cap;
    }
    jl_value *v = &d->v[d->n];
    memset(v, 0, sizeof *v);
    v->type = t;
    v->first = v->next = -1;
    v->offset = p->pos;
    return d->n++;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hex4(parser *p, uint32_t *out)
{
    if (p->len - p->pos < 4) return fail(p, "\\u needs four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + (size_t)i];
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0) return fail(p, "\\u needs four hex digits");
        v = v * 16 + (uint32_t)h;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

/* After "\u": one code point, joining a UTF-16 surrogate pair. */
static int unicode_escape(parser *p, uint32_t *cp)
{
    uint32_t hi;
    if (hex4(p, &hi)) return -1;
    if (hi >= 0xDC00 && hi <= 0xDFFF) return fail(p, "lone low surrogate \\u%04X", (unsigned)hi);
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        uint32_t lo;
        if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
            return fail(p, "high surrogate \\u%04X not followed by a low surrogate", (unsigned)hi);
        p->pos += 2;
        if (hex4(p, &lo)) return -1;
        if (lo < 0xDC00 || lo > 0xDFFF) return fail(p, "high surrogate \\u%04X not followed by a low surrogate", (unsigned)hi);
        hi = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (hi == 0) return fail(p, "\\u0000 is not allowed in names or values");
    *cp = hi;
    return 0;
}

static int escape_char(parser *p, char *dst, size_t *k)
{
    char c = p->s[p->pos++];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = strchr(from, c);
    if (c && hit) {
        dst[(*k)++] = to[hit - from];
        return 0;
    }
    if (c != 'u') return fail(p, "unknown escape '\\%c'", c >= 0x20 && c < 0x7f ? c : '?');
    uint32_t cp = 0;
    if (unicode_escape(p, &cp)) return -1;
    *k += utf8_encode(cp, dst + *k);
    return 0;
}

/* Parses a string literal at p->pos into the pool; returns its decoded text or NULL.
 * The pool was sized to the text length, which bounds every decoded string plus its NUL. */
static const char *parse_string(parser *p, size_t *out_len)
{
    if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "expected a string"), NULL;
    p->pos++;
    char *dst = p->d->pool + p->d->pool_used;
    size_t k = 0;
    for (;;) {
        if (p->pos >= p->len) return fail(p, "unterminated string"), NULL;
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') break;
        if (c < 0x20) return fail(p, "raw control character 0x%02x in a string (escape it)", c), NULL;
        if (c == '\\') {
            p->pos++;
            if (p->pos >= p->len) return fail(p, "unterminated string"), NULL;
            if (escape_char(p, dst, &k)) return NULL;
            continue;
        }
        int n = jl_utf8_seq_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
        if (!n) return fail(p, "invalid UTF-8 in a string"), NULL;
        memcpy(dst + k, p->s + p->pos, (size_t)n);
        k += (size_t)n;
        p->pos += (size_t)n;
    }
    p->pos++;
    dst[k] = '\0';
    p->d->pool_used += k + 1;
    *out_len = k;
    return dst;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p, int id)
{
    size_t start = p->pos;
    int plain = 1;
    uint64_t u = 0;
    int overflow = 0;
    if (p->s[p->pos] == '-') plain = 0, p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos])) return fail(p, "malformed number");
    if (p->s[p->pos] == '0' && p->pos + 1 < p->len && is_digit(p->s[p->pos + 1]))
        return fail(p, "numbers may not have leading zeros");
    while (p->pos < p->len && is_digit(p->s[p->pos])) {
        unsigned dgt = (unsigned)(p->s[p->pos++] - '0');
        if (u > (UINT64_MAX - dgt) / 10) overflow = 1;
        else u = u * 10 + dgt;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        plain = 0;
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) return fail(p, "malformed number (digits must follow '.')");
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        plain = 0;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) return fail(p, "malformed number (exponent without digits)");
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    jl_value *v = &p->d->v[id];
    v->offset = start;
    v->is_uint = plain && !overflow;
    v->u = v->is_uint ? u : 0;
    return 0;
}

static int parse_literal(parser *p, int id)
{
    static const struct { const char *word; jl_type t; } lits[] = {{"null", JL_NULL}, {"true", JL_TRUE}, {"false", JL_FALSE}};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        size_t n = strlen(lits[i].word);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, lits[i].word, n) == 0) {
            p->d->v[id].type = lits[i].t;
            p->pos += n;
            return 0;
        }
    }
    return fail(p, "unexpected character '%c'", p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f ? p->s[p->pos] : '?');
}

static int cmp_key_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorting makes this O(n log n): a hostile header may hold millions of keys. */
static int check_duplicate_keys(parser *p, int obj)
{
    const jl_value *o = &p->d->v[obj];
    if (o->n < 2) return 0;
    const char **keys = malloc((size_t)o->n * sizeof *keys);
    if (!keys) return fail(p, "out of memory");
    int k = 0;
    for (int c = o->first; c >= 0; c = p->d->v[c].next) keys[k++] = p->d->v[c].key;
    qsort(keys, (size_t)k, sizeof *keys, cmp_key_ptr);
    int rc = 0;
    for (int i = 1; i < k && !rc; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            p->pos = o->offset;
            rc = fail(p, "duplicate key \"%.80s\" in the object starting here", keys[i]);
        }
    free(keys);
    return rc;
}

static int parse_value(parser *p, int depth);

/* Appends child to container id, keeping document order. */
static void link_child(parser *p, int id, int *last, int child)
{
    if (*last < 0) p->d->v[id].first = child;
    else p->d->v[*last].next = child;
    *last = child;
    p->d->v[id].n++;
}

static int parse_array(parser *p, int id, int depth)
{
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') return p->pos++, 0;
    for (int last = -1;;) {
        int child = parse_value(p, depth + 1);
        if (child < 0) return -1;
        link_child(p, id, &last, child);
        skip_ws(p);
        if (p->pos >= p->len) return fail(p, "unterminated array");
        char c = p->s[p->pos++];
        if (c == ']') return 0;
        if (c != ',') return p->pos--, fail(p, "expected ',' or ']' in an array");
        skip_ws(p);
    }
}

static int parse_object(parser *p, int id, int depth)
{
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') return p->pos++, 0;
    for (int last = -1;;) {
        if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "expected a quoted key");
        size_t klen;
        const char *key = parse_string(p, &klen);
        if (!key) return -1;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, "expected ':' after key \"%.80s\"", key);
        p->pos++;
        skip_ws(p);
        int child = parse_value(p, depth + 1);
        if (child < 0) return -1;
        p->d->v[child].key = key;
        link_child(p, id, &last, child);
        skip_ws(p);
        if (p->pos >= p->len) return fail(p, "unterminated object");
        char c = p->s[p->pos++];
        if (c == '}') return check_duplicate_keys(p, id);
        if (c != ',') return p->pos--, fail(p, "expected ',' or '}' in an object");
        skip_ws(p);
    }
}

/* Parses the value at p->pos (whitespace already skipped); returns its index or -1. */
static int parse_value(parser *p, int depth)
{
    if (depth > JL_MAX_DEPTH) return fail(p, "nested deeper than %d levels", JL_MAX_DEPTH);
    if (p->pos >= p->len) return fail(p, "unexpected end of text");
    char c = p->s[p->pos];
    int id = new_value(p, JL_NULL);
    if (id < 0) return -1;
    int rc;
    if (c == '{') p->d->v[id].type = JL_OBJECT, rc = parse_object(p, id, depth);
    else if (c == '[') p->d->v[id].type = JL_ARRAY, rc = parse_array(p, id, depth);
    else if (c == '"') {
        p->d->v[id].type = JL_STRING;
        size_t n;
        const char *s = parse_string(p, &n);
        rc = s ? 0 : -1;
        p->d->v[id].str = s;
        p->d->v[id].str_len = n;
    } else if (c == '-' || is_digit(c)) p->d->v[id].type = JL_NUMBER, rc = parse_number(p, id);
    else rc = parse_literal(p, id);
    return rc ? -1 : id;
}

int jl_parse(jl_doc *d, const char *text, size_t len, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    parser p = {.s = text, .len = len, .d = d, .err = err, .errlen = errlen};
    if (len >= (size_t)INT32_MAX) return fail(&p, "text too long (%zu bytes)", len);
    d->pool_cap = len + 1;
    d->pool = malloc(d->pool_cap);
    if (!d->pool) return fail(&p, "out of memory for %zu bytes", len);
    skip_ws(&p);
    if (parse_value(&p, 0) < 0) return -1;
    skip_ws(&p);
    if (p.pos != len) return fail(&p, "unexpected text after the end of the JSON value");
    return 0;
}

void jl_free(jl_doc *d)
{
    free(d->v);
    free(d->pool);
    memset(d, 0, sizeof *d);
}
