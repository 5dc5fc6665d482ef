/* A pretty-printing JSON writer (see json_write.h). */
#include "json_write.h"
#include <math.h>
#include <stdlib.h>

void jw_init(jw *w, FILE *out)
{
    w->out = out;
    w->depth = 0;
    w->has_items[0] = 0;
}

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* The comma, newline, indentation and "key": before a value. */
static void member(jw *w, const char *key)
{
    if (w->depth > 0) {
        fputs(w->has_items[w->depth] ? ",\n" : "\n", w->out);
        fprintf(w->out, "%*s", 2 * w->depth, "");
    }
    w->has_items[w->depth] = 1;
    if (key) {
        put_string(w->out, key);
        fputs(": ", w->out);
    }
}

static void open_bracket(jw *w, const char *key, char open, char close)
{
    member(w, key);
    fputc(open, w->out);
    if (w->depth == JW_MAX_DEPTH - 1) abort();   /* deeper than any loaded YAML: a bug */
    w->depth++;
    w->has_items[w->depth] = 0;
    w->closer[w->depth] = close;
}

void jw_object(jw *w, const char *key) { open_bracket(w, key, '{', '}'); }
void jw_array(jw *w, const char *key) { open_bracket(w, key, '[', ']'); }

void jw_end(jw *w)
{
    if (w->has_items[w->depth]) fprintf(w->out, "\n%*s", 2 * (w->depth - 1), "");
    fputc(w->closer[w->depth], w->out);
    w->depth--;
}

void jw_string(jw *w, const char *key, const char *s)
{
    member(w, key);
    put_string(w->out, s);
}

void jw_number(jw *w, const char *key, double v)
{
    member(w, key);
    if (!isfinite(v)) {
        fputs("null", w->out);
        return;
    }
    char buf[32];
    for (int p = 1; p <= 17; p++) {   /* the shortest text that reads back as v */
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, w->out);
}

void jw_integer(jw *w, const char *key, long v)
{
    member(w, key);
    fprintf(w->out, "%ld", v);
}

void jw_bool(jw *w, const char *key, int v)
{
    member(w, key);
    fputs(v ? "true" : "false", w->out);
}

void jw_null(jw *w, const char *key)
{
    member(w, key);
    fputs("null", w->out);
}

static void scalar(jw *w, const char *key, const ynode *n)
{
    long i;
    double f;
    int b;
    if (n->quoted) jw_string(w, key, n->str);
    else if (yscalar_is_null(n)) jw_null(w, key);
    else if (yscalar_bool(n, &b) == 0) jw_bool(w, key, b);
    else if (yscalar_int(n, &i) == 0) jw_integer(w, key, i);
    else if (yscalar_float(n, &f) == 0 && isfinite(f)) jw_number(w, key, f);
    else jw_string(w, key, n->str);
}

void jw_ynode(jw *w, const char *key, const ynode *n)
{
    if (n->kind == YN_SCALAR) {
        scalar(w, key, n);
        return;
    }
    if (n->kind == YN_MAP) jw_object(w, key);
    else jw_array(w, key);
    for (int i = 0; i < n->n; i++) jw_ynode(w, n->kind == YN_MAP ? n->keys[i] : NULL, n->items[i]);
    jw_end(w);
}

void jw_finish(jw *w) { fputc('\n', w->out); }
