/* Writing a tree back as YAML: block style for files, one-line flow style for messages. */
#include "spec_merge.h"
#include "nn/atomic_file.h"
#include <stdlib.h>
#include <string.h>

/* Could this text be written unquoted without YAML reading it differently? Also safe in
 * flow context (no ",[]{}"), so one rule serves both styles. */
static int plain_syntax_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || strchr("?:,[]{}#&*!|>'\"%@`", s[0])) return 0;
    if (s[0] == '-' && (s[1] == ' ' || s[1] == '\0')) return 0;
    if (!strncmp(s, "---", 3) || !strncmp(s, "...", 3) || !strcmp(s, "<<")) return 0;
    if (s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':') return 0;
    if (strstr(s, ": ") || strstr(s, " #") || strpbrk(s, ",[]{}")) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

/* Unquoted scalars stay unquoted (their type comes from the text), unless built in code with
 * text YAML would misparse; strings are quoted when they would otherwise read as a number,
 * bool or null, or misparse. */
static int scalar_needs_quotes(const ynode *n)
{
    if (!n->quoted) return n->str[0] && !plain_syntax_ok(n->str) && !yscalar_is_null(n);
    return yscalar_text_is_typed(n->str) || !plain_syntax_ok(n->str);
}

static void put_double_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void put_scalar(FILE *f, const ynode *n)
{
    if (scalar_needs_quotes(n)) put_double_quoted(f, n->str);
    else fputs(n->str, f);
}

static void put_key(FILE *f, const char *key)
{
    if (plain_syntax_ok(key)) fputs(key, f);
    else put_double_quoted(f, key);
}

/* ---- flow style ------------------------------------------------------------------------- */
static void put_flow(FILE *f, const ynode *n)
{
    if (n->kind == YN_SCALAR) {
        if (yscalar_is_null(n) && !n->str[0]) fputc('~', f);   /* "" alone would vanish */
        else put_scalar(f, n);
        return;
    }
    fputc(n->kind == YN_MAP ? '{' : '[', f);
    for (int i = 0; i < n->n; i++) {
        if (i) fputs(", ", f);
        if (n->kind == YN_MAP) {
            put_key(f, n->keys[i]);
            fputs(": ", f);
        }
        put_flow(f, n->items[i]);
    }
    fputc(n->kind == YN_MAP ? '}' : ']', f);
}

char *yemit_flow(const ynode *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    put_flow(f, n);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- block style ------------------------------------------------------------------------ */
static void put_block_map(FILE *f, const ynode *m, int indent, int first_inline);
static void put_block_seq(FILE *f, const ynode *s, int indent, int first_inline);

static int is_empty_collection(const ynode *n) { return n->kind != YN_SCALAR && n->n == 0; }

/* A scalar or empty collection after "key:" or "-": on the same line. */
static void put_inline_value(FILE *f, const ynode *n)
{
    if (n->kind == YN_SCALAR && !n->str[0] && !n->quoted) {   /* null: "key:" alone */
        fputc('\n', f);
        return;
    }
    fputc(' ', f);
    if (n->kind == YN_SCALAR) put_scalar(f, n);
    else fputs(n->kind == YN_MAP ? "{}" : "[]", f);
    fputc('\n', f);
}

static void put_block_map(FILE *f, const ynode *m, int indent, int first_inline)
{
    for (int i = 0; i < m->n; i++) {
        if (i > 0 || !first_inline) fprintf(f, "%*s", indent, "");
        put_key(f, m->keys[i]);
        fputc(':', f);
        const ynode *v = m->items[i];
        if (v->kind == YN_SCALAR || is_empty_collection(v)) {
            put_inline_value(f, v);
        } else {
            fputc('\n', f);
            if (v->kind == YN_MAP) put_block_map(f, v, indent + 2, 0);
            else put_block_seq(f, v, indent + 2, 0);
        }
    }
}

static void put_block_seq(FILE *f, const ynode *s, int indent, int first_inline)
{
    for (int i = 0; i < s->n; i++) {
        if (i > 0 || !first_inline) fprintf(f, "%*s", indent, "");
        fputc('-', f);
        const ynode *v = s->items[i];
        if (v->kind == YN_SCALAR || is_empty_collection(v)) {
            put_inline_value(f, v);
            continue;
        }
        fputc(' ', f);   /* "- key: v" / "- - item": the first line shares the dash's line */
        if (v->kind == YN_MAP) put_block_map(f, v, indent + 2, 1);
        else put_block_seq(f, v, indent + 2, 1);
    }
}

int yemit(const ynode *root, FILE *out)
{
    if (root->kind == YN_SCALAR || is_empty_collection(root)) {
        put_flow(out, root);
        fputc('\n', out);
    } else if (root->kind == YN_MAP) {
        put_block_map(out, root, 0, 0);
    } else {
        put_block_seq(out, root, 0, 0);
    }
    return ferror(out) ? -1 : 0;
}

int yemit_file(const ynode *root, const char *path, char *err, size_t errlen)
{
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    yemit(root, nn_atomic_stream(af));   /* a failed write is the commit's to report */
    return nn_atomic_commit(af, err, errlen);
}
