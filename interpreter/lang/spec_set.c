/* `--set a.b.c=value` overrides from the command line. */
#include "spec_merge.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define CMDLINE "<command line>"

/* The value text, parsed as YAML; col is its 1-based column in the argument. */
static ynode *parse_value(const char *text, int col, diag *d)
{
    const char *t = text;
    while (*t == ' ' || *t == '\t') t++;
    if (!*t) return ynode_new_scalar("", 0, CMDLINE, 1, col);   /* "key=" means null */
    diag tmp;
    diag_init(&tmp);
    ynode *v = ydoc_load_string_at(text, CMDLINE, col, &tmp);
    /* libyaml places "unexpected end" errors on the line after the text: on a one-line
     * argument, point at its end instead. */
    int one_line = !strchr(text, '\n');
    for (int i = 0; i < tmp.n; i++) {
        const diag_entry *e = &tmp.items[i];
        int past_end = one_line && e->line > 1;
        diag_add(d, e->level, CMDLINE, 1, past_end ? col + (int)strlen(text) : e->col, e->msg);
    }
    diag_free(&tmp);
    return v;
}

static int parse_index(const char *s, size_t len, long *out)
{
    if (len == 0 || len > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

typedef struct {
    const char *arg;       /* the whole PATH=VALUE argument */
    const char *comp;      /* current path component (not NUL-terminated) */
    size_t len;
    int col;               /* its 1-based column */
    diag *d;
} setter;

/* Replaces (or adds) the current component's entry in container cur with val. */
static int assign(setter *s, ynode *cur, ynode *val)
{
    if (cur->kind == YN_MAP) {
        char *key = strndup(s->comp, s->len);
        int rc = key ? ymap_set(cur, key, val, 1, s->col) : -1;
        free(key);
        if (rc < 0) diag_error_at(s->d, CMDLINE, 1, s->col, "out of memory");
        return rc;
    }
    long idx = 0;
    parse_index(s->comp, s->len, &idx);
    ynode_free(cur->items[idx]);
    cur->items[idx] = val;
    return 0;
}

/* The child of cur named by the current component; creates a missing (or null) map entry
 * when create is set. NULL with an error in d when the path cannot go on. */
static ynode *step(setter *s, ynode *cur, int create)
{
    int prefix = (int)(s->comp - s->arg) - (s->comp > s->arg);   /* path so far, without the '.' */
    if (cur->kind == YN_MAP) {
        char *key = strndup(s->comp, s->len);
        if (!key) return NULL;
        int i = ymap_index(cur, key);
        free(key);
        if (i >= 0 && !yscalar_is_null(cur->items[i])) return cur->items[i];
        if (!create) return NULL;
        ynode *m = ynode_new_map(CMDLINE, 1, s->col);
        return m && assign(s, cur, m) == 0 ? m : NULL;
    }
    if (cur->kind == YN_SEQ) {
        long idx;
        if (parse_index(s->comp, s->len, &idx) < 0) {
            diag_error_at(s->d, CMDLINE, 1, s->col, "'%.*s' is a list: use an item index (0 to %d), not '%.*s'",
                          prefix, s->arg, cur->n - 1, (int)s->len, s->comp);
            return NULL;
        }
        if (idx >= cur->n) {
            diag_error_at(s->d, CMDLINE, 1, s->col, "index %ld out of range for '%.*s' (it has %d items, 0 to %d)",
                          idx, prefix, s->arg, cur->n, cur->n - 1);
            return NULL;
        }
        return cur->items[idx];
    }
    diag_error_at(s->d, CMDLINE, 1, s->col, "cannot set '%.*s' inside '%.*s': that is a single value ('%s'), not a mapping or list",
                  (int)s->len, s->comp, prefix, s->arg, cur->str);
    return NULL;
}

int spec_apply_set(ynode **root, const char *arg, diag *d)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        diag_error_at(d, CMDLINE, 1, 1, "--set needs PATH=VALUE, e.g. --set train.epochs=3 (got '%s')", arg);
        return -1;
    }
    if (!*root && !(*root = ynode_new_map(CMDLINE, 1, 1))) return -1;
    if ((*root)->kind != YN_MAP) {
        diag_error(d, *root, "--set needs a spec that is a mapping");
        return -1;
    }
    setter s = {.arg = arg, .comp = arg, .d = d};
    ynode *cur = *root;
    for (;;) {
        const char *dot = memchr(s.comp, '.', (size_t)(eq - s.comp));
        s.len = (size_t)((dot ? dot : eq) - s.comp);
        s.col = (int)(s.comp - arg) + 1;
        if (s.len == 0) {
            diag_error_at(d, CMDLINE, 1, s.col, "empty key in --set path '%.*s'", (int)(eq - arg), arg);
            return -1;
        }
        if (!dot) break;
        if (!(cur = step(&s, cur, 1))) return -1;
        s.comp = dot + 1;
    }
    /* Check the last component (index range, scalar parent) before parsing the value. */
    if (cur->kind != YN_MAP && !step(&s, cur, 0)) return -1;
    ynode *val = parse_value(eq + 1, (int)(eq - arg) + 2, d);
    if (!val) return -1;
    if (assign(&s, cur, val) < 0) {
        ynode_free(val);
        return -1;
    }
    return 0;
}
