/* Templates filled: placeholders expanded, rows picked by their conditions, and the LaTeX of
 * numbers, shapes and symbols. */
#include "model_math_internal.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- expansion -------------------------------------------------------------------------------- */
/* What a placeholder becomes when templates are checked without a model. */
static void stand_in(const math_var *v, const char *arg, char *buf, size_t len)
{
    static const char *const forms[] = {[VAR_SYMBOL] = "x_{1,%s}", [VAR_NUMBER] = "7", [VAR_TEX] = "x", [VAR_WRAP] = "f(%s)"};
    int n = v->kind == VAR_SYMBOL && !arg ? snprintf(buf, len, "x_{1}") : snprintf(buf, len, forms[v->kind], arg ? arg : "");
    (void)n;   /* cut short, it fills buf: math_expand refuses it */
}

static const math_var *find_var(const math_var *vars, const char *name, size_t n)
{
    for (const math_var *v = vars; v->name; v++)
        if (strlen(v->name) == n && strncmp(v->name, name, n) == 0) return v;
    return NULL;
}

/* The end of the {argument} that starts at p ('{'): the matching '}', or NULL. */
static const char *argument_end(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        if (*p == '{') depth++;
        else if (*p == '}' && --depth == 0) return p;
    }
    return NULL;
}

int math_expand(const char *t, const math_var *vars, void *ctx, char *out, size_t len, char *err, size_t errlen)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *p = t; *p;) {
        char value[MATH_TEX_LEN];
        size_t vn;
        if (*p != '@') {
            value[0] = *p++;
            value[1] = 0;
        } else {
            const char *name = ++p;
            while (isalnum((unsigned char)*p)) p++;
            const math_var *v = find_var(vars, name, (size_t)(p - name));
            if (!v) return snprintf(err, errlen, "unknown placeholder @%.*s in '%s'", (int)(p - name), name, t), -1;
            char arg[MATH_TEX_LEN], raw[MATH_TEX_LEN];
            int has_arg = *p == '{';
            if (has_arg) {
                const char *end = argument_end(p);
                if (!end || (size_t)(end - p) >= sizeof raw) return snprintf(err, errlen, "@%s{ is not closed in '%s'", v->name, t), -1;
                snprintf(raw, sizeof raw, "%.*s", (int)(end - p - 1), p + 1);
                if (math_expand(raw, vars, ctx, arg, sizeof arg, err, errlen) < 0) return -1;
                p = end + 1;
            }
            if (v->kind == VAR_WRAP && !has_arg) return snprintf(err, errlen, "@%s takes an {argument} in '%s'", v->name, t), -1;
            if ((v->kind == VAR_NUMBER || v->kind == VAR_TEX) && has_arg)
                return snprintf(err, errlen, "@%s takes no {argument} in '%s'", v->name, t), -1;
            if (ctx) v->get(ctx, has_arg ? arg : NULL, value, sizeof value);
            else stand_in(v, has_arg ? arg : NULL, value, sizeof value);
            if (strlen(value) + 1 >= sizeof value)   /* cut short */
                return snprintf(err, errlen, "@%s's value does not fit in '%s'", v->name, t), -1;
        }
        vn = strlen(value);
        if (n + vn + 1 > len) return snprintf(err, errlen, "the equation '%s' is longer than %zu bytes filled", t, len - 1), -1;
        memcpy(out + n, value, vn + 1);
        n += vn;
    }
    return 0;
}

/* ---- blocks ----------------------------------------------------------------------------------- */
int block_add_line(math_block *b, const char *lhs, const char *rel, const char *rhs)
{
    if (b->n_lines == b->cap_lines) {
        int cap = b->cap_lines ? 2 * b->cap_lines : 8;
        math_line *a = realloc(b->lines, (size_t)cap * sizeof *a);
        if (!a) return -1;
        b->lines = a;
        b->cap_lines = cap;
    }
    math_line *l = &b->lines[b->n_lines++];
    snprintf(l->lhs, sizeof l->lhs, "%s", lhs);
    snprintf(l->rel, sizeof l->rel, "%s", rel);
    snprintf(l->rhs, sizeof l->rhs, "%s", rhs);
    return 0;
}

int block_add_rows(math_block *b, const math_row *rows, unsigned conds, int all_rows, const math_var *vars, void *ctx,
                   char *err, size_t errlen)
{
    for (const math_row *r = rows; r->rhs; r++) {
        if (!all_rows && ((conds & r->when) != r->when || (conds & r->unless))) continue;
        char lhs[sizeof b->lines->lhs] = "", rhs[MATH_TEX_LEN];
        if (r->lhs && math_expand(r->lhs, vars, ctx, lhs, sizeof lhs, err, errlen) < 0) return -1;
        if (math_expand(r->rhs, vars, ctx, rhs, sizeof rhs, err, errlen) < 0) return -1;
        if (block_add_line(b, lhs, r->lhs ? r->rel : "", rhs) < 0) return snprintf(err, errlen, "out of memory"), -1;
    }
    return 0;
}

/* ---- LaTeX pieces ----------------------------------------------------------------------------- */
void tex_symbol(const math_symbol *sym, const char *extra, char *buf, size_t len)
{
    if (sym->index[0] && extra) snprintf(buf, len, "%s_{%s,%s}", sym->base, sym->index, extra);
    else if (sym->index[0]) snprintf(buf, len, "%s_{%s}", sym->base, sym->index);
    else if (extra) snprintf(buf, len, "%s_{%s}", sym->base, extra);
    else snprintf(buf, len, "%s", sym->base);
}

void tex_number(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 1e9) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    char g[32];
    snprintf(g, sizeof g, "%g", v);
    char *e = strchr(g, 'e');
    if (!e) {
        snprintf(buf, len, "%s", g);
        return;
    }
    *e = 0;
    int exponent = atoi(e + 1);
    if (strcmp(g, "1") == 0) snprintf(buf, len, "10^{%d}", exponent);
    else snprintf(buf, len, "%s \\cdot 10^{%d}", g, exponent);
}

void tex_shape(const nn_shape *s, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    if (s->ndim <= 0) snprintf(buf, len, "1");
    for (int i = 0; i < s->ndim && n < len; i++) n += (size_t)snprintf(buf + n, len - n, "%s%d", i ? " \\times " : "", s->d[i]);
}

/* Letters, digits, '.' and '-' as they are, '_' escaped, anything else (a name may hold any
 * character) as '-': \mathrm{} takes no more. */
void tex_upright(const char *name, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "\\mathrm{");
    for (const char *p = name; *p && n + 4 < len; p++) {
        if (*p == '_') buf[n++] = '\\', buf[n++] = '_';
        else buf[n++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '-';
    }
    if (n + 2 <= len) buf[n++] = '}';
    buf[n < len ? n : len - 1] = 0;
}

void source_symbol(const spec *s, const model_spec *ns, const char *name, math_symbol *sym)
{
    (void)s;
    memset(sym, 0, sizeof *sym);
    for (int k = 0; k < ns->n_inputs; k++)
        if (strcmp(ns->inputs[k].name, name) == 0) {
            if (ns->n_inputs == 1) snprintf(sym->base, sizeof sym->base, "x"), snprintf(sym->index, sizeof sym->index, "0");
            else tex_upright(name, sym->base, sizeof sym->base);
            return;
        }
    int layer = net_find_layer(ns, name);
    if (layer >= 0) {
        snprintf(sym->base, sizeof sym->base, "x");
        snprintf(sym->index, sizeof sym->index, "%d", layer + 1);
    } else if (strcmp(name, "target") == 0)
        snprintf(sym->base, sizeof sym->base, "y");
    else
        tex_upright(name, sym->base, sizeof sym->base);
}

void net_symbol(const spec *s, int net, char *buf, size_t len)
{
    const char *name = s->nets[net].name;
    if (isalpha((unsigned char)name[0]) && !name[1]) snprintf(buf, len, "%s", name);
    else tex_upright(name, buf, len);
}

int note_next_piece(const char **p, const char **start, size_t *len, int *math)
{
    const char *s = *p;
    if (!*s) return 0;
    *math = *s == '$';
    if (*math) {
        const char *end = strchr(s + 1, '$');
        if (!end) return -1;
        *start = s + 1, *len = (size_t)(end - s - 1), *p = end + 1;
        return 1;
    }
    const char *end = strchr(s, '$');
    *start = s, *len = end ? (size_t)(end - s) : strlen(s), *p = s + *len;
    return 1;
}
