/* The YAML tree: construction, copying, equality, lookups and typed scalar reads. */
#include "ydoc.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- interned file names ------------------------------------------------------------ */
/* A process-wide list: a handful of spec files per run, so a linear search is plenty. */
typedef struct interned { struct interned *next; char s[]; } interned;
static interned *intern_list;

const char *ydoc_intern(const char *s)
{
    if (!s) s = "<unknown>";
    for (interned *p = intern_list; p; p = p->next)
        if (strcmp(p->s, s) == 0) return p->s;
    size_t len = strlen(s);
    interned *p = malloc(sizeof *p + len + 1);
    if (!p) return "<out of memory>";
    memcpy(p->s, s, len + 1);
    p->next = intern_list;
    intern_list = p;
    return p->s;
}

/* ---- construction ------------------------------------------------------------------- */
static ynode *node_new(yn_kind kind, const char *file, int line, int col)
{
    ynode *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->file = ydoc_intern(file);
    n->line = line;
    n->col = col;
    return n;
}

ynode *ynode_new_scalar(const char *text, int quoted, const char *file, int line, int col)
{
    ynode *n = node_new(YN_SCALAR, file, line, col);
    if (!n) return NULL;
    n->str = strdup(text ? text : "");
    if (!n->str) { free(n); return NULL; }
    n->quoted = quoted;
    return n;
}

ynode *ynode_new_map(const char *file, int line, int col) { return node_new(YN_MAP, file, line, col); }
ynode *ynode_new_seq(const char *file, int line, int col) { return node_new(YN_SEQ, file, line, col); }

void ynode_free(ynode *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) {
        ynode_free(n->items[i]);
        if (n->keys) free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_line);
    free(n->key_col);
    free(n->str);
    free(n);
}

/* Makes room for one more entry. */
static int grow(ynode *n)
{
    if (n->n < n->cap) return 0;
    int cap = n->cap ? 2 * n->cap : 4;
    ynode **items = realloc(n->items, (size_t)cap * sizeof *items);
    if (!items) return -1;
    n->items = items;
    if (n->kind == YN_MAP) {
        char **keys = realloc(n->keys, (size_t)cap * sizeof *keys);
        if (!keys) return -1;
        n->keys = keys;
        int *kl = realloc(n->key_line, (size_t)cap * sizeof *kl);
        if (!kl) return -1;
        n->key_line = kl;
        int *kc = realloc(n->key_col, (size_t)cap * sizeof *kc);
        if (!kc) return -1;
        n->key_col = kc;
    }
    n->cap = cap;
    return 0;
}

int yseq_push(ynode *seq, ynode *item)
{
    if (!seq || !item || seq->kind != YN_SEQ || grow(seq) < 0) return -1;
    seq->items[seq->n++] = item;
    return 0;
}

int ymap_index(const ynode *map, const char *key)
{
    if (!map || map->kind != YN_MAP) return -1;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) return i;
    return -1;
}

ynode *ymap_get(const ynode *map, const char *key)
{
    int i = ymap_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

int ymap_set(ynode *map, const char *key, ynode *val, int key_line, int key_col)
{
    if (!map || !val || map->kind != YN_MAP) return -1;
    int i = ymap_index(map, key);
    if (i < 0) return ymap_push(map, key, val, key_line, key_col);
    ynode_free(map->items[i]);
    map->items[i] = val;
    return 0;
}

int ymap_push(ynode *map, const char *key, ynode *val, int key_line, int key_col)
{
    if (!map || !val || map->kind != YN_MAP) return -1;
    char *k = strdup(key);
    if (!k || grow(map) < 0) { free(k); return -1; }
    map->keys[map->n] = k;
    map->key_line[map->n] = key_line;
    map->key_col[map->n] = key_col;
    map->items[map->n++] = val;
    return 0;
}

void ymap_remove_at(ynode *map, int i)
{
    if (!map || map->kind != YN_MAP || i < 0 || i >= map->n) return;
    ynode_free(map->items[i]);
    free(map->keys[i]);
    int rest = map->n - i - 1;
    memmove(map->items + i, map->items + i + 1, (size_t)rest * sizeof *map->items);
    memmove(map->keys + i, map->keys + i + 1, (size_t)rest * sizeof *map->keys);
    memmove(map->key_line + i, map->key_line + i + 1, (size_t)rest * sizeof *map->key_line);
    memmove(map->key_col + i, map->key_col + i + 1, (size_t)rest * sizeof *map->key_col);
    map->n--;
}

ynode *ynode_clone(const ynode *n)
{
    if (!n) return NULL;
    ynode *c = n->kind == YN_SCALAR ? ynode_new_scalar(n->str, n->quoted, n->file, n->line, n->col)
                                    : node_new(n->kind, n->file, n->line, n->col);
    if (!c) return NULL;
    for (int i = 0; i < n->n; i++) {
        ynode *item = ynode_clone(n->items[i]);
        int rc = !item ? -1
                 : n->kind == YN_MAP ? ymap_push(c, n->keys[i], item, n->key_line[i], n->key_col[i])
                                     : yseq_push(c, item);
        if (rc < 0) {
            ynode_free(item);
            ynode_free(c);
            return NULL;
        }
    }
    return c;
}

/* ---- typed scalars ------------------------------------------------------------------ */
int yscalar_is_null(const ynode *n)
{
    if (!n || n->kind != YN_SCALAR || n->quoted) return 0;
    const char *s = n->str;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int parse_long(const char *s, long *out)
{
    if (!*s || isspace((unsigned char)*s)) return -1;
    for (const char *p = (*s == '-' || *s == '+') ? s + 1 : s; ; p++) {
        if (!*p) { if (p == s || !isdigit((unsigned char)p[-1])) return -1; break; }
        if (!isdigit((unsigned char)*p)) return -1;
    }
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* YAML's .inf/.nan spellings, then anything strtod reads completely (no hex, no spaces). */
static int parse_double(const char *s, double *out)
{
    const char *t = (*s == '-' || *s == '+') ? s + 1 : s;
    if (!strcasecmp(t, ".inf")) { *out = *s == '-' ? -INFINITY : INFINITY; return 0; }
    if (!strcasecmp(s, ".nan")) { *out = NAN; return 0; }
    if (!*s || isspace((unsigned char)*s) || strpbrk(s, "xX")) return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end) return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i])) { *out = 1; return 0; }
        if (!strcasecmp(s, no[i])) { *out = 0; return 0; }
    }
    return -1;
}

int yscalar_int(const ynode *n, long *out)
{
    if (!n || n->kind != YN_SCALAR || n->quoted) return -1;
    return parse_long(n->str, out);
}

int yscalar_float(const ynode *n, double *out)
{
    if (!n || n->kind != YN_SCALAR || n->quoted) return -1;
    return parse_double(n->str, out);
}

int yscalar_bool(const ynode *n, int *out)
{
    if (!n || n->kind != YN_SCALAR || n->quoted) return -1;
    return parse_bool(n->str, out);
}

/* Over-approximates what other YAML readers type: overquoting a string is harmless,
 * underquoting would turn it into a number or bool. */
int yscalar_text_is_typed(const char *s)
{
    double d;
    int b;
    ynode probe = {.kind = YN_SCALAR, .str = (char *)s};
    const char *t = (*s == '-' || *s == '+') ? s + 1 : s;
    int radix = t[0] == '0' && (t[1] == 'x' || t[1] == 'X' || t[1] == 'o' || t[1] == 'b');
    return yscalar_is_null(&probe) || parse_double(s, &d) == 0 || parse_bool(s, &b) == 0 || radix ||
           !strcasecmp(s, "y") || !strcasecmp(s, "n");
}

/* ---- equality ----------------------------------------------------------------------- */
/* A scalar's meaning: its text, and whether it is a string or a typed value. */
static int scalar_is_string(const ynode *n) { return n->quoted || !yscalar_text_is_typed(n->str); }

int ynode_equal(const ynode *a, const ynode *b)
{
    if (!a || !b) return a == b;
    if (a->kind != b->kind || a->n != b->n) return 0;
    if (a->kind == YN_SCALAR)
        return strcmp(a->str, b->str) == 0 && scalar_is_string(a) == scalar_is_string(b);
    for (int i = 0; i < a->n; i++) {
        const ynode *other = a->kind == YN_MAP ? ymap_get(b, a->keys[i]) : b->items[i];
        if (!other || !ynode_equal(a->items[i], other)) return 0;
    }
    return 1;
}
