/* json_lite.h — a small strict JSON parser (RFC 8259) for checkpoint headers, plus the
 * matching string escaper. Internal to runtime/.
 *
 * Strict means: exactly one value with optional whitespace around it; no comments, no
 * trailing commas, no NaN; strings must be valid UTF-8 without raw control characters; \u
 * escapes must pair surrogates; duplicate keys in an object are an error. Two deliberate
 * restrictions for C callers: strings may not contain U+0000 (they are handed out as C
 * strings), and nesting is limited to JL_MAX_DEPTH (a hostile "[[[[..." cannot blow the stack).
 *
 * The parse result is a flat array of values; containers link their children through
 * first/next indices, in document order. Decoded strings live in one pool owned by the doc. */
#ifndef NN_JSON_LITE_H
#define NN_JSON_LITE_H

#include <stddef.h>
#include <stdint.h>

#define JL_MAX_DEPTH 64

typedef enum { JL_NULL, JL_FALSE, JL_TRUE, JL_NUMBER, JL_STRING, JL_ARRAY, JL_OBJECT } jl_type;

typedef struct {
    jl_type type;
    int first;          /* first child (array/object), -1 when empty */
    int next;           /* next sibling in the parent, -1 when last */
    int n;              /* number of children */
    const char *key;    /* member name when the parent is an object, else NULL */
    const char *str;    /* decoded string, NUL-terminated (JL_STRING) */
    size_t str_len;
    int is_uint;        /* JL_NUMBER written as a plain non-negative integer that fits u64 */
    uint64_t u;         /* its value when is_uint */
    size_t offset;      /* byte offset of the value in the text, for messages */
} jl_value;

typedef struct {
    jl_value *v;        /* v[0] is the root */
    int n, cap;
    char *pool;         /* decoded strings */
    size_t pool_used, pool_cap;
} jl_doc;

/* Parses text[0..len). Returns 0, or -1 with "what is wrong at byte N" in err. The doc must
 * be released with jl_free() either way. */
int jl_parse(jl_doc *d, const char *text, size_t len, char *err, size_t errlen);
void jl_free(jl_doc *d);

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if it is not valid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
int jl_utf8_seq_len(const unsigned char *s, size_t avail);
/* 1 if s[0..len) is valid UTF-8. */
int jl_utf8_valid(const char *s, size_t len);

/* Writes s as a JSON string literal (quotes included) into out; returns the number of bytes
 * it needs (call with out == NULL to size the buffer). Escapes " \ and control characters;
 * other bytes (UTF-8 included) are copied as they are. */
size_t jl_escape(const char *s, char *out);

#endif
