/* Expression language: a recursive-descent parser that emits a stack-machine program as it
 * goes, and a loop that runs the program. Grammar and operator table: include/nn/expr.h. */
#include "nn/expr.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_STACK 256      /* evaluation stack (doubles); deeper programs are refused */
#define EXPR_MAX_NEST 100   /* parenthesis / prefix-operator nesting */

typedef enum {
    OP_CONST, OP_VAR, OP_NEG, OP_NOT, OP_BOOL,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
    OP_FN1, OP_FN2,
    OP_JZ, OP_JNZ, OP_JMP,  /* JZ/JNZ pop the condition; arg = target pc */
} opcode;

/* Net stack change of each opcode, indexed by opcode. */
static const int stack_delta[] = {
    [OP_CONST] = 1, [OP_VAR] = 1, [OP_NEG] = 0, [OP_NOT] = 0, [OP_BOOL] = 0,
    [OP_ADD] = -1, [OP_SUB] = -1, [OP_MUL] = -1, [OP_DIV] = -1, [OP_POW] = -1,
    [OP_LT] = -1, [OP_LE] = -1, [OP_GT] = -1, [OP_GE] = -1, [OP_EQ] = -1, [OP_NE] = -1,
    [OP_FN1] = 0, [OP_FN2] = -1, [OP_JZ] = -1, [OP_JNZ] = -1, [OP_JMP] = 0,
};

typedef struct {
    int op;
    int arg;        /* variable index, function index or jump target */
    double k;       /* OP_CONST value */
} instr;

struct nn_expr {
    instr *code;
    int n, cap;
    int vars_used;
};

/* ---- functions and constants ------------------------------------------------------------ */
static double fn_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double fn_sign(double x) { return (double)((x > 0) - (x < 0)); }

typedef struct {
    const char *name;
    int arity;                       /* 3 only for the lazy if() */
    double (*f1)(double);
    double (*f2)(double, double);
} fn_def;

static const fn_def functions[] = {
    {"sin", 1, sin, NULL},     {"cos", 1, cos, NULL},     {"tan", 1, tan, NULL},
    {"asin", 1, asin, NULL},   {"acos", 1, acos, NULL},   {"atan", 1, atan, NULL},
    {"sinh", 1, sinh, NULL},   {"cosh", 1, cosh, NULL},   {"tanh", 1, tanh, NULL},
    {"exp", 1, exp, NULL},     {"log", 1, log, NULL},     {"log2", 1, log2, NULL},
    {"log10", 1, log10, NULL}, {"sqrt", 1, sqrt, NULL},   {"abs", 1, fabs, NULL},
    {"floor", 1, floor, NULL}, {"ceil", 1, ceil, NULL},   {"round", 1, round, NULL},
    {"sign", 1, fn_sign, NULL},{"sigmoid", 1, fn_sigmoid, NULL},
    {"pow", 2, NULL, pow},     {"min", 2, NULL, fmin},    {"max", 2, NULL, fmax},
    {"atan2", 2, NULL, atan2}, {"if", 3, NULL, NULL},
};
#define N_FUNCTIONS ((int)(sizeof functions / sizeof functions[0]))

static const struct { const char *name; double value; } constants[] = {
    {"pi", 3.14159265358979323846}, {"e", 2.71828182845904523536},
};
#define N_CONSTANTS ((int)(sizeof constants / sizeof constants[0]))

static const char *const keywords[] = {"and", "or", "not"};

/* ---- parser state and errors -------------------------------------------------------------- */
enum {                     /* token kinds besides single characters like '+' '(' '?' */
    T_END = 0, T_NUM = 256, T_IDENT, T_LE, T_GE, T_EQ, T_NE, T_POW2, T_AND, T_OR, T_NOT,
};

typedef struct {
    const char *src;
    int pos;                   /* next unread byte */
    int tok, col;              /* current token and its 0-based column */
    int len;                   /* token length in bytes */
    double num;                /* T_NUM value */
    const char *const *names;
    int n_names;
    nn_expr *e;
    int depth, nest;           /* current stack depth, current nesting */
    int failed;
    char *err;
    size_t errlen;
    int err_col;
} parser;

static void fail(parser *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(parser *p, int col, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = 1;
    p->err_col = col;
    if (!p->err || p->errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
    if (col >= 0 && w >= 0 && (size_t)w < p->errlen)
        snprintf(p->err + w, p->errlen - (size_t)w, " at column %d", col);
}

/* Levenshtein distance, capped: names are short, so a 32x32 table is plenty. */
static int edit_distance(const char *a, int la, const char *b)
{
    int lb = (int)strlen(b);
    if (la > 31 || lb > 31) return 99;
    int d[32][32];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

/* Keeps the closest candidate within a tolerance that grows with the word's length. */
static void suggest(const char *word, int len, const char *cand, const char **best, int *best_d)
{
    int d = edit_distance(word, len, cand);
    int tol = len <= 3 ? 1 : 2;
    if (d <= tol && d < *best_d) {
        *best = cand;
        *best_d = d;
    }
}

/* ---- lexer -------------------------------------------------------------------------------- */
static int ident_is(const parser *p, const char *word)
{
    return (int)strlen(word) == p->len && strncmp(p->src + p->col, word, (size_t)p->len) == 0;
}

static void lex_number(parser *p)
{
    const char *s = p->src + p->pos;
    int i = 0;
    while (isdigit((unsigned char)s[i])) i++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i])) i++;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        int j = i + 1;
        if (s[j] == '+' || s[j] == '-') j++;
        if (!isdigit((unsigned char)s[j])) {
            fail(p, p->col, "malformed number '%.*s' (exponent needs digits)", j, s);
            return;
        }
        while (isdigit((unsigned char)s[j])) j++;
        i = j;
    }
    if (i == 1 && s[0] == '.') {
        fail(p, p->col, "unexpected '.'");
        return;
    }
    char buf[64];
    if (i >= (int)sizeof buf) {
        fail(p, p->col, "number too long");
        return;
    }
    memcpy(buf, s, (size_t)i);
    buf[i] = 0;
    p->num = strtod(buf, NULL);
    p->tok = T_NUM;
    p->len = i;
}

static void lex_ident(parser *p)
{
    const char *s = p->src + p->pos;
    int i = 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '_') i++;
    p->tok = T_IDENT;
    p->len = i;
    if (ident_is(p, "and")) p->tok = T_AND;
    else if (ident_is(p, "or")) p->tok = T_OR;
    else if (ident_is(p, "not")) p->tok = T_NOT;
}

static void next(parser *p)
{
    if (p->failed) return;
    while (isspace((unsigned char)p->src[p->pos])) p->pos++;
    const char *s = p->src + p->pos;
    p->col = p->pos;
    p->len = 1;
    if (*s == 0) {
        p->tok = T_END;
        p->len = 0;
    } else if (isdigit((unsigned char)*s) || *s == '.') {
        lex_number(p);
    } else if (isalpha((unsigned char)*s) || *s == '_') {
        lex_ident(p);
    } else {
        static const struct { const char *text; int tok; } two[] = {
            {"<=", T_LE}, {">=", T_GE}, {"==", T_EQ}, {"!=", T_NE},
            {"**", T_POW2}, {"&&", T_AND}, {"||", T_OR},
        };
        p->tok = 0;
        for (size_t k = 0; k < sizeof two / sizeof two[0]; k++)
            if (s[0] == two[k].text[0] && s[1] == two[k].text[1]) {
                p->tok = two[k].tok;
                p->len = 2;
            }
        if (!p->tok) {
            if (strchr("+-*/^()<>,?:!", *s)) p->tok = *s == '!' ? T_NOT : *s;
            else if (isprint((unsigned char)*s)) fail(p, p->col, "unexpected character '%c'", *s);
            else fail(p, p->col, "unexpected byte 0x%02x", (unsigned char)*s);
        }
    }
    p->pos += p->len;
}

/* ---- code emission ---------------------------------------------------------------------- */
static int emit(parser *p, int op, int arg, double k)
{
    if (p->failed) return -1;
    nn_expr *e = p->e;
    if (e->n == e->cap) {
        int cap = e->cap ? 2 * e->cap : 32;
        instr *c = realloc(e->code, (size_t)cap * sizeof *c);
        if (!c) {
            fail(p, p->col, "out of memory");
            return -1;
        }
        e->code = c;
        e->cap = cap;
    }
    e->code[e->n] = (instr){op, arg, k};
    p->depth += stack_delta[op];
    if (p->depth > EXPR_STACK) fail(p, p->col, "expression too deeply nested");
    if (op == OP_VAR && arg + 1 > e->vars_used) e->vars_used = arg + 1;
    return e->n++;
}

static void patch_to_here(parser *p, int at)
{
    if (!p->failed && at >= 0) p->e->code[at].arg = p->e->n;
}

static int enter(parser *p)
{
    if (++p->nest > EXPR_MAX_NEST) fail(p, p->col, "expression nested more than %d levels", EXPR_MAX_NEST);
    return !p->failed;
}

static void expect(parser *p, int tok)
{
    if (p->failed) return;
    if (p->tok != tok) fail(p, p->col, "expected '%c'", tok);
    else next(p);
}

/* ---- grammar, lowest precedence first ---------------------------------------------------- */
static void parse_ternary(parser *p);

/* Compiles "then : else" after the condition is on the stack (shared by ?: and if()). */
static void parse_branches(parser *p, int separator, void (*branch)(parser *))
{
    int jz = emit(p, OP_JZ, 0, 0);
    branch(p);
    expect(p, separator);
    int jmp = emit(p, OP_JMP, 0, 0);
    patch_to_here(p, jz);
    p->depth--;                  /* the else branch starts from the condition-less depth */
    branch(p);
    patch_to_here(p, jmp);
}

static void parse_or(parser *p);

static void parse_not(parser *p);

/* a and b  ->  a; JZ F; b; BOOL; JMP E; F: 0; E:   (or: JNZ and 1, symmetrically) */
static void parse_logic(parser *p, int tok, void (*operand)(parser *))
{
    operand(p);
    while (!p->failed && p->tok == tok) {
        next(p);
        int jump = emit(p, tok == T_AND ? OP_JZ : OP_JNZ, 0, 0);
        operand(p);
        emit(p, OP_BOOL, 0, 0);
        int end = emit(p, OP_JMP, 0, 0);
        patch_to_here(p, jump);
        p->depth--;
        emit(p, OP_CONST, 0, tok == T_AND ? 0.0 : 1.0);
        patch_to_here(p, end);
    }
}

static void parse_and(parser *p) { parse_logic(p, T_AND, parse_not); }
static void parse_or(parser *p) { parse_logic(p, T_OR, parse_and); }

static void parse_ternary(parser *p)
{
    if (!enter(p)) return;
    parse_or(p);
    if (!p->failed && p->tok == '?') {
        next(p);
        parse_branches(p, ':', parse_ternary);
    }
    p->nest--;
}

static void parse_add(parser *p);

static void parse_cmp(parser *p)
{
    parse_add(p);
    for (;;) {
        int op;
        switch (p->tok) {
        case '<': op = OP_LT; break;
        case T_LE: op = OP_LE; break;
        case '>': op = OP_GT; break;
        case T_GE: op = OP_GE; break;
        case T_EQ: op = OP_EQ; break;
        case T_NE: op = OP_NE; break;
        default: return;
        }
        if (p->failed) return;
        next(p);
        parse_add(p);
        emit(p, op, 0, 0);
    }
}

static void parse_not(parser *p)
{
    if (p->tok != T_NOT) {
        parse_cmp(p);
        return;
    }
    if (!enter(p)) return;
    next(p);
    parse_not(p);
    emit(p, OP_NOT, 0, 0);
    p->nest--;
}

static void parse_unary(parser *p);

static void parse_mul(parser *p)
{
    parse_unary(p);
    while (!p->failed && (p->tok == '*' || p->tok == '/')) {
        int op = p->tok == '*' ? OP_MUL : OP_DIV;
        next(p);
        parse_unary(p);
        emit(p, op, 0, 0);
    }
}

static void parse_add(parser *p)
{
    parse_mul(p);
    while (!p->failed && (p->tok == '+' || p->tok == '-')) {
        int op = p->tok == '+' ? OP_ADD : OP_SUB;
        next(p);
        parse_mul(p);
        emit(p, op, 0, 0);
    }
}

static void parse_power(parser *p);

static void parse_unary(parser *p)
{
    if (p->tok != '-' && p->tok != '+') {
        parse_power(p);
        return;
    }
    if (!enter(p)) return;
    int neg = p->tok == '-';
    next(p);
    parse_unary(p);
    if (neg) emit(p, OP_NEG, 0, 0);
    p->nest--;
}

static void parse_primary(parser *p);

/* The exponent is a unary expression, which makes ^ right-associative and allows 2^-1. */
static void parse_power(parser *p)
{
    parse_primary(p);
    if (!p->failed && (p->tok == '^' || p->tok == T_POW2)) {
        next(p);
        parse_unary(p);
        emit(p, OP_POW, 0, 0);
    }
}

static int find_function(const char *s, int len)
{
    for (int i = 0; i < N_FUNCTIONS; i++)
        if ((int)strlen(functions[i].name) == len && strncmp(functions[i].name, s, (size_t)len) == 0) return i;
    return -1;
}

static int find_variable(const parser *p, const char *s, int len)
{
    for (int i = 0; i < p->n_names; i++)
        if ((int)strlen(p->names[i]) == len && strncmp(p->names[i], s, (size_t)len) == 0) return i;
    return -1;
}

static int find_constant(const char *s, int len)
{
    for (int i = 0; i < N_CONSTANTS; i++)
        if ((int)strlen(constants[i].name) == len && strncmp(constants[i].name, s, (size_t)len) == 0) return i;
    return -1;
}

static void fail_unknown_function(parser *p, const char *name, int len, int col)
{
    const char *best = NULL;
    int best_d = 99;
    for (int i = 0; i < N_FUNCTIONS; i++) suggest(name, len, functions[i].name, &best, &best_d);
    if (best) fail(p, col, "unknown function '%.*s' (did you mean '%s'?)", len, name, best);
    else fail(p, col, "unknown function '%.*s'", len, name);
}

static void fail_unknown_variable(parser *p, const char *name, int len, int col)
{
    const char *best = NULL;
    int best_d = 99;
    for (int i = 0; i < p->n_names; i++) suggest(name, len, p->names[i], &best, &best_d);
    for (int i = 0; i < N_CONSTANTS; i++) suggest(name, len, constants[i].name, &best, &best_d);
    char known[256] = "";
    size_t used = 0;
    for (int i = 0; i < p->n_names && used < sizeof known; i++) {
        int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", p->names[i]);
        if (w > 0) used += (size_t)w;
    }
    if (best)
        fail(p, col, "unknown variable '%.*s' (did you mean '%s'?)", len, name, best);
    else
        fail(p, col, "unknown variable '%.*s' (variables: %s; constants: pi, e)", len, name,
             p->n_names ? known : "none");
}

/* name '(' args ')' ; the name has been consumed and the current token is '('. */
static void parse_call(parser *p, int fn, int name_col)
{
    const fn_def *f = &functions[fn];
    next(p);                                        /* '(' */
    int got = 0;
    if (f->arity == 3) {                            /* if(c, a, b): lazy, like c ? a : b */
        parse_ternary(p);
        expect(p, ',');
        parse_branches(p, ',', parse_ternary);
        got = 3;
    } else if (p->tok != ')') {
        for (;;) {
            parse_ternary(p);
            got++;
            if (p->failed || p->tok != ',') break;
            next(p);
        }
    }
    if (p->failed) return;
    if (got != f->arity) {
        fail(p, name_col, "function '%s' takes %d argument%s, got %d", f->name, f->arity,
             f->arity == 1 ? "" : "s", got);
        return;
    }
    expect(p, ')');
    if (f->arity == 1) emit(p, OP_FN1, fn, 0);
    else if (f->arity == 2) emit(p, OP_FN2, fn, 0);
}

static void parse_name(parser *p)
{
    const char *name = p->src + p->col;
    int len = p->len, col = p->col;
    next(p);
    if (p->failed) return;
    int is_call = p->tok == '(';
    int fn = find_function(name, len);
    int var = find_variable(p, name, len);
    int cst = find_constant(name, len);
    if (is_call) {
        if (fn >= 0) parse_call(p, fn, col);
        else if (var >= 0 || cst >= 0)
            fail(p, p->col, "'%.*s' is not a function (missing '*' before '('?)", len, name);
        else fail_unknown_function(p, name, len, col);
    } else if (var >= 0) {
        emit(p, OP_VAR, var, 0);
    } else if (cst >= 0) {
        emit(p, OP_CONST, 0, constants[cst].value);
    } else if (fn >= 0) {
        fail(p, col, "function '%s' needs its arguments in parentheses: %s(...)", functions[fn].name,
             functions[fn].name);
    } else {
        fail_unknown_variable(p, name, len, col);
    }
}

static void parse_primary(parser *p)
{
    if (p->failed) return;
    switch (p->tok) {
    case T_NUM:
        emit(p, OP_CONST, 0, p->num);
        next(p);
        return;
    case T_IDENT:
        parse_name(p);
        return;
    case '(':
        if (!enter(p)) return;
        next(p);
        parse_ternary(p);
        expect(p, ')');
        p->nest--;
        return;
    case T_END:
        fail(p, p->col, "unexpected end of expression (expected a number, variable or '(')");
        return;
    default:
        fail(p, p->col, "unexpected '%.*s' (expected a number, variable, function or '(')", p->len,
             p->src + p->col);
    }
}

/* ---- public API ------------------------------------------------------------------------- */
static int check_names(const char *const *names, int n, char *err, size_t errlen, int *err_col)
{
    if (err_col) *err_col = -1;
    for (int i = 0; i < n; i++) {
        const char *s = names[i];
        int ok = s && (isalpha((unsigned char)s[0]) || s[0] == '_');
        for (int j = 0; ok && s[j]; j++) ok = isalnum((unsigned char)s[j]) || s[j] == '_';
        const char *clash = NULL;
        if (ok && find_function(s, (int)strlen(s)) >= 0) clash = "a function";
        if (ok && find_constant(s, (int)strlen(s)) >= 0) clash = "a constant";
        for (size_t k = 0; ok && k < sizeof keywords / sizeof keywords[0]; k++)
            if (strcmp(s, keywords[k]) == 0) clash = "a keyword";
        if (!ok || clash) {
            if (err && errlen)
                snprintf(err, errlen, "variable name '%s' %s%s", s ? s : "(null)",
                         clash ? "is already " : "is not an identifier", clash ? clash : "");
            return -1;
        }
    }
    return 0;
}

nn_expr *nn_expr_parse_vars(const char *src, const char *const *names, int n_names,
                            char *err, size_t errlen, int *err_col)
{
    if (err && errlen) err[0] = 0;
    if (check_names(names, n_names, err, errlen, err_col) < 0) return NULL;
    nn_expr *e = calloc(1, sizeof *e);
    if (!e) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return NULL;
    }
    parser p = {.src = src ? src : "", .names = names, .n_names = n_names, .e = e,
                .err = err, .errlen = errlen, .err_col = -1};
    next(&p);
    if (p.tok == T_END && !p.failed) fail(&p, p.col, "empty expression");
    parse_ternary(&p);
    if (!p.failed && p.tok != T_END) {
        const char *hint = (p.tok == T_NUM || p.tok == T_IDENT || p.tok == '(') ? " (missing operator?)" : "";
        fail(&p, p.col, "unexpected '%.*s'%s", p.len, p.src + p.col, hint);
    }
    if (err_col) *err_col = p.failed ? p.err_col : -1;
    if (p.failed) {
        nn_expr_free(e);
        return NULL;
    }
    return e;
}

nn_expr *nn_expr_parse(const char *src, char *err, size_t errlen, int *err_col)
{
    static const char *const x[] = {"x"};
    return nn_expr_parse_vars(src, x, 1, err, errlen, err_col);
}

static double binary(int op, double a, double b)
{
    switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_POW: return pow(a, b);
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    case OP_EQ: return a == b;
    default: return a != b;   /* OP_NE */
    }
}

double nn_expr_eval(const nn_expr *e, const double *vars)
{
    double st[EXPR_STACK];
    int sp = 0;
    for (int pc = 0; pc < e->n; pc++) {
        const instr *in = &e->code[pc];
        switch (in->op) {
        case OP_CONST: st[sp++] = in->k; break;
        case OP_VAR: st[sp++] = vars[in->arg]; break;
        case OP_NEG: st[sp - 1] = -st[sp - 1]; break;
        case OP_NOT: st[sp - 1] = st[sp - 1] == 0.0; break;
        case OP_BOOL: st[sp - 1] = st[sp - 1] != 0.0; break;
        case OP_FN1: st[sp - 1] = functions[in->arg].f1(st[sp - 1]); break;
        case OP_FN2: sp--; st[sp - 1] = functions[in->arg].f2(st[sp - 1], st[sp]); break;
        case OP_JZ: if (st[--sp] == 0.0) pc = in->arg - 1; break;
        case OP_JNZ: if (st[--sp] != 0.0) pc = in->arg - 1; break;
        case OP_JMP: pc = in->arg - 1; break;
        default: sp--; st[sp - 1] = binary(in->op, st[sp - 1], st[sp]); break;
        }
    }
    return sp > 0 ? st[sp - 1] : NAN;
}

int nn_expr_vars_used(const nn_expr *e) { return e->vars_used; }

void nn_expr_free(nn_expr *e)
{
    if (!e) return;
    free(e->code);
    free(e);
}
