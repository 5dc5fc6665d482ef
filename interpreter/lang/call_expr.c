/* Call expressions: a small recursive-descent parser (see call_expr.h for the grammar).
 *   expr := NUMBER | NAME [ '(' expr { ',' expr } ')' ] [ '.' NAME ] */
#include "call_expr.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *text;
    int pos;
    cx_expr *e;
    char *err;
    size_t errlen;
    int err_col;
} parser;

static int fail(parser *p, int col, const char *msg)
{
    if (p->err_col < 0) {
        snprintf(p->err, p->errlen, "%s", msg);
        p->err_col = col;
    }
    return -1;
}

static void skip_space(parser *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t') p->pos++;
}

static int is_name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-'; }

/* A name at the cursor into out; -1 if there is none. */
static int read_name(parser *p, char *out, const char *what)
{
    skip_space(p);
    int start = p->pos;
    if (!isalpha((unsigned char)p->text[start]) && p->text[start] != '_') {
        char msg[96];
        snprintf(msg, sizeof msg, "expected %s", what);
        return fail(p, start, msg);
    }
    while (is_name_char(p->text[p->pos])) p->pos++;
    if (p->pos - start >= CX_NAME_LEN) return fail(p, start, "name too long");
    memcpy(out, p->text + start, (size_t)(p->pos - start));
    out[p->pos - start] = 0;
    return 0;
}

static int new_node(parser *p, cx_kind kind, int col)
{
    if (p->e->count == CX_MAX_NODES) return fail(p, col, "expression too long");
    cx_node *n = &p->e->n[p->e->count];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->col = col;
    return p->e->count++;
}

static int parse_expr(parser *p);

static int parse_args(parser *p, int call)
{
    p->pos++;   /* '(' */
    skip_space(p);
    if (p->text[p->pos] == ')') return fail(p, p->pos, "a call needs at least one argument (or none: write the net's name alone)");
    for (;;) {
        int a = parse_expr(p);
        if (a < 0) return -1;
        cx_node *n = &p->e->n[call];
        if (n->n_args == CX_MAX_ARGS) return fail(p, p->e->n[a].col, "at most 4 arguments");
        n->args[n->n_args++] = a;
        skip_space(p);
        char c = p->text[p->pos];
        if (c == ')') {
            p->pos++;
            return 0;
        }
        if (c != ',') return fail(p, p->pos, c ? "expected ',' or ')'" : "missing ')'");
        p->pos++;
    }
}

static int parse_expr(parser *p)
{
    skip_space(p);
    int col = p->pos;
    const char *s = p->text + col;
    if (isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '.' || s[0] == '+') && s[1])) {
        char *end;
        double v = strtod(s, &end);
        if (end == s) return fail(p, col, "expected a name or a number");
        int i = new_node(p, CX_NUMBER, col);
        if (i < 0) return -1;
        p->e->n[i].value = v;
        p->pos += (int)(end - s);
        return i;
    }
    char name[CX_NAME_LEN];
    if (read_name(p, name, "a name (a net, a layer, input, target) or a number") < 0) return -1;
    skip_space(p);
    int i = new_node(p, p->text[p->pos] == '(' ? CX_CALL : CX_REF, col);
    if (i < 0) return -1;
    snprintf(p->e->n[i].name, CX_NAME_LEN, "%s", name);
    if (p->e->n[i].kind == CX_CALL && parse_args(p, i) < 0) return -1;
    skip_space(p);
    if (p->text[p->pos] == '.') {
        p->pos++;
        char layer[CX_NAME_LEN];
        if (read_name(p, layer, "a layer name after '.'") < 0) return -1;
        snprintf(p->e->n[i].layer, CX_NAME_LEN, "%s", layer);
    }
    return i;
}

int cx_parse(const char *text, cx_expr *e, char *err, size_t errlen, int *err_col)
{
    parser p = {text, 0, e, err, errlen, -1};
    e->count = 0;
    e->root = parse_expr(&p);
    skip_space(&p);
    if (e->root >= 0 && text[p.pos]) fail(&p, p.pos, "unexpected text after the expression");
    *err_col = p.err_col;
    return p.err_col >= 0 ? -1 : 0;
}

void cx_print(const cx_expr *e, int i, char *out, size_t len)
{
    const cx_node *n = &e->n[i];
    size_t k = 0;
    out[0] = 0;
    if (n->kind == CX_NUMBER) {
        snprintf(out, len, "%.9g", n->value);
        return;
    }
    k += (size_t)snprintf(out, len, "%s", n->name);
    for (int a = 0; a < n->n_args && k < len; a++) {
        k += (size_t)snprintf(out + k, len - k, a ? "," : "(");
        if (k < len) cx_print(e, n->args[a], out + k, len - k);
        k = strlen(out);
        if (a == n->n_args - 1 && k < len) k += (size_t)snprintf(out + k, len - k, ")");
    }
    if (n->layer[0] && k < len) snprintf(out + k, len - k, ".%s", n->layer);
}
