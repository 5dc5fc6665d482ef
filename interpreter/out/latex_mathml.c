/* The LaTeX subset of latex_mathml.h to Presentation MathML: a recursive descent over the text
 * writing into a bounded buffer, with the commands in one table. Scripts are attached after
 * the fact: an item is written, and when _ or ^ follows, its opening tag is inserted before it. */
#include "latex_mathml.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 48   /* nesting of groups, fences and arguments (the equations need a handful) */
#define CLOSE_RIGHT 'R'   /* parse_sequence's terminator for a \left ... \right span */

/* What an item is, for what follows it: its scripts go under and over it (\sum, \max); it is
 * a function (\log, \operatorname{softmax}), which a thin space parts from an argument that is
 * not in fences, as in TeX (\log x, \log(x)). */
enum { ITEM_LIMITS = 1, ITEM_FUNCTION = 2 };

typedef enum {
    CMD_IDENT,          /* <mi>: Greek letters, \ell, \infty */
    CMD_OPERATOR,       /* <mo>: \times, \in, \{ ... */
    CMD_FUNCTION,       /* <mi>name</mi>: \tanh, \exp */
    CMD_LIMIT_OPERATOR, /* <mo> whose scripts go under and over: \sum, \prod */
    CMD_LIMIT_FUNCTION, /* <mi>name</mi> likewise: \max, \min */
    CMD_FRAC,
    CMD_SQRT,
    CMD_ACCENT,         /* <mover accent>: the accent's character in text */
    CMD_TEXT,           /* <mtext> */
    CMD_UPRIGHT,        /* \mathrm: an upright <mi> */
    CMD_OPERATOR_NAME,  /* \operatorname: the same, spaced as a function */
    CMD_DOUBLE_STRUCK,  /* \mathbb */
    CMD_SCRIPT,         /* \mathcal */
    CMD_SPACE,          /* <mspace width=text> */
    CMD_LEFT,
    CMD_RIGHT,
} command_kind;

typedef struct {
    const char *name;   /* without the backslash */
    command_kind kind;
    const char *text;   /* the character(s) or width it stands for (NULL: its name) */
} command;

static const command commands[] = {
    /* Greek and other letters */
    {"alpha", CMD_IDENT, "α"}, {"beta", CMD_IDENT, "β"}, {"gamma", CMD_IDENT, "γ"}, {"delta", CMD_IDENT, "δ"},
    {"epsilon", CMD_IDENT, "ϵ"}, {"varepsilon", CMD_IDENT, "ε"}, {"zeta", CMD_IDENT, "ζ"}, {"eta", CMD_IDENT, "η"},
    {"theta", CMD_IDENT, "θ"}, {"iota", CMD_IDENT, "ι"}, {"kappa", CMD_IDENT, "κ"}, {"lambda", CMD_IDENT, "λ"},
    {"mu", CMD_IDENT, "μ"}, {"nu", CMD_IDENT, "ν"}, {"xi", CMD_IDENT, "ξ"}, {"pi", CMD_IDENT, "π"},
    {"rho", CMD_IDENT, "ρ"}, {"sigma", CMD_IDENT, "σ"}, {"tau", CMD_IDENT, "τ"}, {"phi", CMD_IDENT, "ϕ"},
    {"varphi", CMD_IDENT, "φ"}, {"chi", CMD_IDENT, "χ"}, {"psi", CMD_IDENT, "ψ"}, {"omega", CMD_IDENT, "ω"},
    {"Gamma", CMD_IDENT, "Γ"}, {"Delta", CMD_IDENT, "Δ"}, {"Theta", CMD_IDENT, "Θ"}, {"Lambda", CMD_IDENT, "Λ"},
    {"Xi", CMD_IDENT, "Ξ"}, {"Pi", CMD_IDENT, "Π"}, {"Sigma", CMD_IDENT, "Σ"}, {"Phi", CMD_IDENT, "Φ"},
    {"Psi", CMD_IDENT, "Ψ"}, {"Omega", CMD_IDENT, "Ω"}, {"ell", CMD_IDENT, "ℓ"}, {"infty", CMD_IDENT, "∞"},
    {"partial", CMD_IDENT, "∂"}, {"top", CMD_IDENT, "⊤"},
    /* operators, relations, delimiters */
    {"times", CMD_OPERATOR, "×"}, {"cdot", CMD_OPERATOR, "⋅"}, {"odot", CMD_OPERATOR, "⊙"}, {"otimes", CMD_OPERATOR, "⊗"},
    {"oplus", CMD_OPERATOR, "⊕"}, {"star", CMD_OPERATOR, "⋆"}, {"ast", CMD_OPERATOR, "∗"}, {"circ", CMD_OPERATOR, "∘"},
    {"pm", CMD_OPERATOR, "±"}, {"in", CMD_OPERATOR, "∈"}, {"notin", CMD_OPERATOR, "∉"}, {"le", CMD_OPERATOR, "≤"},
    {"leq", CMD_OPERATOR, "≤"}, {"ge", CMD_OPERATOR, "≥"}, {"geq", CMD_OPERATOR, "≥"}, {"neq", CMD_OPERATOR, "≠"},
    {"ne", CMD_OPERATOR, "≠"}, {"approx", CMD_OPERATOR, "≈"}, {"sim", CMD_OPERATOR, "∼"}, {"to", CMD_OPERATOR, "→"},
    {"rightarrow", CMD_OPERATOR, "→"}, {"leftarrow", CMD_OPERATOR, "←"}, {"mapsto", CMD_OPERATOR, "↦"},
    {"mid", CMD_OPERATOR, "∣"}, {"colon", CMD_OPERATOR, ":"}, {"setminus", CMD_OPERATOR, "∖"}, {"cup", CMD_OPERATOR, "∪"},
    {"cap", CMD_OPERATOR, "∩"}, {"subset", CMD_OPERATOR, "⊂"}, {"forall", CMD_OPERATOR, "∀"}, {"exists", CMD_OPERATOR, "∃"},
    {"nabla", CMD_OPERATOR, "∇"}, {"ldots", CMD_OPERATOR, "…"}, {"cdots", CMD_OPERATOR, "⋯"}, {"vdots", CMD_OPERATOR, "⋮"},
    {"lfloor", CMD_OPERATOR, "⌊"}, {"rfloor", CMD_OPERATOR, "⌋"}, {"lceil", CMD_OPERATOR, "⌈"}, {"rceil", CMD_OPERATOR, "⌉"},
    {"langle", CMD_OPERATOR, "⟨"}, {"rangle", CMD_OPERATOR, "⟩"}, {"|", CMD_OPERATOR, "‖"}, {"{", CMD_OPERATOR, "{"},
    {"}", CMD_OPERATOR, "}"},
    /* functions */
    {"tanh", CMD_FUNCTION, NULL}, {"exp", CMD_FUNCTION, NULL}, {"log", CMD_FUNCTION, NULL}, {"ln", CMD_FUNCTION, NULL},
    {"sin", CMD_FUNCTION, NULL}, {"cos", CMD_FUNCTION, NULL}, {"sum", CMD_LIMIT_OPERATOR, "∑"},
    {"prod", CMD_LIMIT_OPERATOR, "∏"}, {"max", CMD_LIMIT_FUNCTION, NULL}, {"min", CMD_LIMIT_FUNCTION, NULL},
    {"lim", CMD_LIMIT_FUNCTION, NULL},
    /* structures */
    {"frac", CMD_FRAC, NULL}, {"sqrt", CMD_SQRT, NULL}, {"hat", CMD_ACCENT, "^"}, {"bar", CMD_ACCENT, "¯"},
    {"tilde", CMD_ACCENT, "~"}, {"overrightarrow", CMD_ACCENT, "→"}, {"overleftarrow", CMD_ACCENT, "←"},
    {"text", CMD_TEXT, NULL}, {"mathrm", CMD_UPRIGHT, NULL}, {"operatorname", CMD_OPERATOR_NAME, NULL},
    {"mathbb", CMD_DOUBLE_STRUCK, NULL}, {"mathcal", CMD_SCRIPT, NULL}, {"left", CMD_LEFT, NULL}, {"right", CMD_RIGHT, NULL},
    /* spaces */
    {",", CMD_SPACE, "0.1667em"}, {":", CMD_SPACE, "0.2222em"}, {">", CMD_SPACE, "0.2222em"}, {";", CMD_SPACE, "0.2778em"},
    {" ", CMD_SPACE, "0.25em"}, {"quad", CMD_SPACE, "1em"}, {"qquad", CMD_SPACE, "2em"},
};

/* The characters written as themselves in <mo>, and what they become. */
static const struct {
    char c;
    const char *mo;
} operator_chars[] = {
    {'+', "+"}, {'-', "−"}, {'=', "="}, {'<', "&lt;"}, {'>', "&gt;"}, {',', ","}, {';', ";"},
    {':', ":"}, {'!', "!"}, {'/', "/"}, {'*', "∗"}, {'|', "|"}, {'.', "."},
};

/* Capital letters whose double-struck or script form sits in the Letterlike Symbols block
 * (the Mathematical Alphanumeric Symbols leave a hole there). */
static const struct {
    char letter;
    uint32_t double_struck, script;
} letterlike[] = {
    {'B', 0, 0x212C}, {'C', 0x2102, 0}, {'E', 0, 0x2130}, {'F', 0, 0x2131}, {'H', 0x210D, 0x210B}, {'I', 0, 0x2110},
    {'L', 0, 0x2112}, {'M', 0, 0x2133}, {'N', 0x2115, 0}, {'P', 0x2119, 0}, {'Q', 0x211A, 0}, {'R', 0x211D, 0x211B},
    {'Z', 0x2124, 0},
};

typedef struct {
    const char *src;
    size_t at;          /* the next byte of src */
    char *out;
    size_t len, cap;
    char *err;
    size_t errlen;
    int failed;
    int depth;
} conv;

static int fail(conv *c, const char *fmt, ...)
{
    if (!c->failed) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errlen, "%s at byte %zu of '%s'", what, c->at, c->src);
    }
    c->failed = 1;
    return -1;
}

static void put_n(conv *c, const char *s, size_t n)
{
    if (c->failed) return;
    if (c->len + n + 1 > c->cap) {
        fail(c, "the MathML is longer than %zu bytes", c->cap - 1);
        return;
    }
    memcpy(c->out + c->len, s, n);
    c->len += n;
    c->out[c->len] = 0;
}

static void put(conv *c, const char *s) { put_n(c, s, strlen(s)); }

/* Inserts s at byte `at` of what is written (the opening tag of a script around its base). */
static void insert(conv *c, size_t at, const char *s)
{
    size_t n = strlen(s);
    if (c->failed) return;
    if (c->len + n + 1 > c->cap) {
        fail(c, "the MathML is longer than %zu bytes", c->cap - 1);
        return;
    }
    memmove(c->out + at + n, c->out + at, c->len - at + 1);
    memcpy(c->out + at, s, n);
    c->len += n;
}

/* Text content: <, > and & as entities. */
static void put_text(conv *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') put(c, "&lt;");
        else if (s[i] == '>') put(c, "&gt;");
        else if (s[i] == '&') put(c, "&amp;");
        else put_n(c, &s[i], 1);
    }
}

static void put_codepoint(conv *c, uint32_t u)
{
    char b[4];
    size_t n;
    if (u < 0x800) b[0] = (char)(0xC0 | u >> 6), b[1] = (char)(0x80 | (u & 0x3F)), n = 2;
    else if (u < 0x10000) b[0] = (char)(0xE0 | u >> 12), b[1] = (char)(0x80 | (u >> 6 & 0x3F)), b[2] = (char)(0x80 | (u & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | u >> 18), b[1] = (char)(0x80 | (u >> 12 & 0x3F)), b[2] = (char)(0x80 | (u >> 6 & 0x3F)),
        b[3] = (char)(0x80 | (u & 0x3F)), n = 4;
    put_n(c, b, n);
}

static int is_letter(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static char peek(const conv *c) { return c->src[c->at]; }

static void skip_spaces(conv *c)
{
    while (peek(c) == ' ' || peek(c) == '\t' || peek(c) == '\n') c->at++;
}

/* The command at c->at (after its backslash): a run of letters or one other character. */
static const command *read_command(conv *c)
{
    size_t start = ++c->at, n = 0;
    if (is_letter(peek(c)))
        while (is_letter(c->src[c->at + n])) n++;
    else if (peek(c))
        n = 1;
    c->at += n;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strlen(commands[k].name) == n && strncmp(commands[k].name, c->src + start, n) == 0) return &commands[k];
    if (n == 0) fail(c, "a backslash ends the text");
    else if (n == 1 && c->src[start] == '\\') fail(c, "a line break (\\\\) is not in the subset: each equation is one line");
    else fail(c, "unknown command \\%.*s", (int)n, c->src + start);
    return NULL;
}

static int parse_atom(conv *c, unsigned *traits);
static int parse_sequence(conv *c, char close);

/* The braced argument of \text, \mathrm, ... as it is written (escapes resolved) into buf; the
 * characters other than letters and digits that it may hold: `allowed` (NULL: any). */
static int read_raw_argument(conv *c, const char *what, const char *allowed, char *buf, size_t len)
{
    size_t n = 0;
    skip_spaces(c);
    if (peek(c) != '{') return fail(c, "\\%s takes a braced argument", what);
    c->at++;
    for (;;) {
        char ch = peek(c);
        if (!ch) return fail(c, "\\%s{ is not closed", what);
        if (ch == '}') break;
        if (ch == '{') return fail(c, "\\%s's argument holds a brace", what);
        if (ch == '\\') {
            ch = c->src[++c->at];
            if (!ch || !strchr("_{}&%#$ ", ch)) return fail(c, "\\%s's argument holds a command", what);
        } else if (allowed && !is_letter(ch) && !is_digit(ch) && !strchr(allowed, ch))
            return fail(c, "'%c' in \\%s's argument", ch, what);
        if (n + 1 >= len) return fail(c, "\\%s's argument is too long", what);
        buf[n++] = ch;
        c->at++;
    }
    c->at++;
    buf[n] = 0;
    return 0;
}

/* \text{...}: leading and trailing spaces kept as no-break spaces (MathML trims token text). */
static int parse_text(conv *c)
{
    char t[512];
    if (read_raw_argument(c, "text", NULL, t, sizeof t) < 0) return -1;
    size_t n = strlen(t), lead = 0, trail = 0;
    while (lead < n && t[lead] == ' ') lead++;
    while (trail < n - lead && t[n - 1 - trail] == ' ') trail++;
    put(c, "<mtext>");
    for (size_t i = 0; i < lead; i++) put(c, "&#160;");
    put_text(c, t + lead, n - lead - trail);
    for (size_t i = 0; i < trail; i++) put(c, "&#160;");
    put(c, "</mtext>");
    return 0;
}

static int parse_upright(conv *c, const command *cmd)
{
    char t[128];
    if (read_raw_argument(c, cmd->name, "_ .-", t, sizeof t) < 0) return -1;
    if (!t[0]) return fail(c, "\\%s{} is empty", cmd->name);
    put(c, "<mi mathvariant=\"normal\">");
    put_text(c, t, strlen(t));
    put(c, "</mi>");
    return 0;
}

/* \mathbb{R}, \mathcal{L}: each capital letter as its Unicode mathematical form. */
static int parse_alphabet(conv *c, const command *cmd)
{
    char t[16];
    int script = cmd->kind == CMD_SCRIPT;
    if (read_raw_argument(c, cmd->name, "", t, sizeof t) < 0) return -1;
    if (!t[0]) return fail(c, "\\%s{} is empty", cmd->name);
    for (const char *p = t; *p; p++) {
        if (*p < 'A' || *p > 'Z') return fail(c, "\\%s takes capital letters", cmd->name);
        uint32_t u = (script ? 0x1D49C : 0x1D538) + (uint32_t)(*p - 'A');
        for (size_t k = 0; k < sizeof letterlike / sizeof letterlike[0]; k++)
            if (letterlike[k].letter == *p && (script ? letterlike[k].script : letterlike[k].double_struck))
                u = script ? letterlike[k].script : letterlike[k].double_struck;
        put(c, "<mi>");
        put_codepoint(c, u);
        put(c, "</mi>");
    }
    return 0;
}

/* The delimiter after \left or \right: its <mo> (nothing for '.'). */
static int parse_delimiter(conv *c, const char *which)
{
    static const char *const fences = "()[]|";
    static const char *const commands_ok[] = {"{", "}", "|", "lfloor", "rfloor", "lceil", "rceil", "langle", "rangle"};
    skip_spaces(c);
    char ch = peek(c);
    if (ch == '.') {
        c->at++;
        return 0;
    }
    put(c, "<mo stretchy=\"true\">");
    if (ch && strchr(fences, ch)) {
        put_n(c, &ch, 1);
        c->at++;
    } else if (ch == '\\') {
        const command *cmd = read_command(c);
        size_t k = 0;
        while (cmd && k < sizeof commands_ok / sizeof commands_ok[0] && strcmp(cmd->name, commands_ok[k])) k++;
        if (!cmd) return -1;
        if (k == sizeof commands_ok / sizeof commands_ok[0]) return fail(c, "\\%s is not a delimiter for \\%s", cmd->name, which);
        put(c, cmd->text);
    } else
        return fail(c, "\\%s needs a delimiter", which);
    put(c, "</mo>");
    return 0;
}

/* \left D ... \right D: one <mrow> whose delimiters stretch over what they enclose. */
static int parse_left_right(conv *c)
{
    put(c, "<mrow>");
    if (parse_delimiter(c, "left") < 0 || parse_sequence(c, CLOSE_RIGHT) < 0) return -1;
    c->at += strlen("\\right");
    if (parse_delimiter(c, "right") < 0) return -1;
    put(c, "</mrow>");
    return 0;
}

static int parse_command(conv *c, unsigned *traits)
{
    const command *cmd = read_command(c);
    if (!cmd) return -1;
    const char *text = cmd->text ? cmd->text : cmd->name;
    switch (cmd->kind) {
    case CMD_IDENT: put(c, "<mi>"), put(c, text), put(c, "</mi>"); return 0;
    case CMD_OPERATOR: put(c, "<mo>"), put(c, text), put(c, "</mo>"); return 0;
    case CMD_FUNCTION: *traits = ITEM_FUNCTION; put(c, "<mi>"), put(c, text), put(c, "</mi>"); return 0;
    case CMD_LIMIT_OPERATOR: *traits = ITEM_LIMITS; put(c, "<mo>"), put(c, text), put(c, "</mo>"); return 0;
    case CMD_LIMIT_FUNCTION: *traits = ITEM_LIMITS | ITEM_FUNCTION; put(c, "<mi>"), put(c, text), put(c, "</mi>"); return 0;
    case CMD_FRAC:
        put(c, "<mfrac>");
        if (parse_atom(c, NULL) < 0 || parse_atom(c, NULL) < 0) return -1;
        put(c, "</mfrac>");
        return 0;
    case CMD_SQRT:
        skip_spaces(c);
        if (peek(c) == '[') return fail(c, "\\sqrt[n] (an n-th root) is not in the subset");
        put(c, "<msqrt>");
        if (parse_atom(c, NULL) < 0) return -1;
        put(c, "</msqrt>");
        return 0;
    case CMD_ACCENT:
        put(c, "<mover accent=\"true\">");
        if (parse_atom(c, NULL) < 0) return -1;
        put(c, "<mo>"), put(c, text), put(c, "</mo></mover>");
        return 0;
    case CMD_TEXT: return parse_text(c);
    case CMD_OPERATOR_NAME: *traits = ITEM_FUNCTION; return parse_upright(c, cmd);
    case CMD_UPRIGHT: return parse_upright(c, cmd);
    case CMD_DOUBLE_STRUCK:
    case CMD_SCRIPT: return parse_alphabet(c, cmd);
    case CMD_SPACE: put(c, "<mspace width=\""), put(c, text), put(c, "\"/>"); return 0;
    case CMD_LEFT: return parse_left_right(c);
    case CMD_RIGHT: return fail(c, "\\right without \\left");
    }
    return fail(c, "internal: command kind %d", (int)cmd->kind);
}

/* ( ... ) or [ ... ]: a fenced <mrow>, so that the fences stretch over what they hold. */
static int parse_fenced(conv *c, char open)
{
    char close = open == '(' ? ')' : ']';
    put(c, "<mrow><mo>"), put_n(c, &open, 1), put(c, "</mo>");
    if (parse_sequence(c, close) < 0) return -1;
    put(c, "<mo>"), put_n(c, &close, 1), put(c, "</mo></mrow>");
    return 0;
}

/* { ... }: its one item as it is, several in an <mrow>. */
static int parse_group(conv *c)
{
    size_t start = c->len;
    c->at++;
    int items = parse_sequence(c, '}');
    if (items < 0) return -1;
    if (items != 1) {
        insert(c, start, "<mrow>");
        put(c, "</mrow>");
    }
    return 0;
}

/* One item without its scripts; *traits (may be NULL): what it is (ITEM_*).
 * In a script (script = 1) a number is one digit, as in LaTeX (x^23 is x^2 3). */
static int parse_base(conv *c, unsigned *traits, int script)
{
    char ch = peek(c);
    if (is_letter(ch)) {
        put(c, "<mi>"), put_n(c, &ch, 1), put(c, "</mi>");
        c->at++;
        return 0;
    }
    if (is_digit(ch) || (ch == '.' && is_digit(c->src[c->at + 1]))) {
        size_t n = 1;
        while (!script && (is_digit(c->src[c->at + n]) || (c->src[c->at + n] == '.' && is_digit(c->src[c->at + n + 1])))) n++;
        put(c, "<mn>"), put_n(c, c->src + c->at, n), put(c, "</mn>");
        c->at += n;
        return 0;
    }
    if (ch == '{') return parse_group(c);
    if (ch == '(' || ch == '[') return c->at++, parse_fenced(c, ch);
    if (ch == '\\') {
        unsigned t = 0;
        if (parse_command(c, &t) < 0) return -1;
        if (traits) *traits = t;
        return 0;
    }
    for (size_t k = 0; k < sizeof operator_chars / sizeof operator_chars[0]; k++)
        if (operator_chars[k].c == ch) {
            put(c, "<mo>"), put(c, operator_chars[k].mo), put(c, "</mo>");
            c->at++;
            return 0;
        }
    if (ch == '_' || ch == '^' || ch == '\'') return fail(c, "'%c' has no base", ch);
    if (ch == ')' || ch == ']' || ch == '}') return fail(c, "'%c' closes nothing", ch);
    if (!ch) return fail(c, "an argument is missing at the end");
    if ((unsigned char)ch >= 0x80) return fail(c, "a non-ASCII character outside \\text");
    return fail(c, "'%c' is not in the subset", ch);
}

/* An argument of \frac, \sqrt, an accent or a script: one item (a group for more). */
static int parse_atom(conv *c, unsigned *traits)
{
    if (++c->depth > MAX_DEPTH) return fail(c, "nested more than %d deep", MAX_DEPTH);
    skip_spaces(c);
    int rc = parse_base(c, traits, 0);
    c->depth--;
    return rc;
}

/* The script after _ or ^ into a copy (the caller frees), taken off the output. */
static char *take_script(conv *c)
{
    size_t start = c->len;
    c->at++;
    skip_spaces(c);
    if (++c->depth > MAX_DEPTH) return fail(c, "nested more than %d deep", MAX_DEPTH), NULL;
    int rc = parse_base(c, NULL, 1);
    c->depth--;
    if (rc < 0 || c->failed) return NULL;
    char *s = strdup(c->out + start);
    c->len = start;
    c->out[start] = 0;
    if (!s) fail(c, "out of memory");
    return s;
}

/* Whether what follows a function is an argument without fences, which TeX parts from it by a
 * thin space: a letter, a digit, a group, or a command that is an item of its own (not \left,
 * an operator, a space). */
static int takes_thin_space(conv *c)
{
    skip_spaces(c);
    char ch = peek(c);
    if (is_letter(ch) || is_digit(ch) || ch == '{') return 1;
    if (ch != '\\') return 0;
    size_t n = 0;
    while (is_letter(c->src[c->at + 1 + n])) n++;
    for (size_t k = 0; n && k < sizeof commands / sizeof commands[0]; k++)
        if (strlen(commands[k].name) == n && strncmp(commands[k].name, c->src + c->at + 1, n) == 0)
            return commands[k].kind != CMD_OPERATOR && commands[k].kind != CMD_SPACE && commands[k].kind != CMD_LEFT &&
                   commands[k].kind != CMD_RIGHT;
    return 0;
}

/* One item and its scripts: x, x_a, x^b, x_a^b, x' (a prime), \sum_{a}^{b}. */
static int parse_item(conv *c)
{
    size_t start = c->len;
    unsigned traits = 0;
    if (++c->depth > MAX_DEPTH) return fail(c, "nested more than %d deep", MAX_DEPTH);
    if (parse_base(c, &traits, 0) < 0) return -1;
    int limits = (traits & ITEM_LIMITS) != 0;
    c->depth--;
    char *sub = NULL, *sup = NULL;
    for (;;) {
        skip_spaces(c);
        char ch = peek(c);
        char **slot = ch == '_' ? &sub : ch == '^' || ch == '\'' ? &sup : NULL;
        if (!slot) break;
        if (*slot) {
            fail(c, "a second %s", ch == '_' ? "subscript" : "superscript");
            break;
        }
        if (ch == '\'') {
            c->at++;
            *slot = strdup("<mo>′</mo>");
        } else
            *slot = take_script(c);
        if (!*slot) break;
    }
    if (!c->failed && (sub || sup)) {
        const char *tag = limits ? (sub && sup ? "munderover" : sub ? "munder" : "mover")
                                 : (sub && sup ? "msubsup" : sub ? "msub" : "msup");
        char open[16], close[16];
        snprintf(open, sizeof open, "<%s>", tag);
        snprintf(close, sizeof close, "</%s>", tag);
        insert(c, start, open);
        if (sub) put(c, sub);
        if (sup) put(c, sup);
        put(c, close);
    }
    free(sub);
    free(sup);
    if ((traits & ITEM_FUNCTION) && takes_thin_space(c)) put(c, "<mspace width=\"0.1667em\"/>");
    return c->failed ? -1 : 0;
}

/* Items up to `close` (consumed), the end of the text (close 0) or \right (CLOSE_RIGHT, left
 * for the caller): how many, or -1. */
static int parse_sequence(conv *c, char close)
{
    int items = 0;
    for (;;) {
        skip_spaces(c);
        char ch = peek(c);
        if (!ch) {
            if (close == 0) return items;
            return fail(c, close == CLOSE_RIGHT ? "\\left without \\right" : "'%c' is missing", close);
        }
        if (close == CLOSE_RIGHT && strncmp(c->src + c->at, "\\right", 6) == 0 && !is_letter(c->src[c->at + 6])) return items;
        if (close != CLOSE_RIGHT && close && ch == close) {
            c->at++;
            return items;
        }
        if (parse_item(c) < 0) return -1;
        items++;
    }
}

int latex_to_mathml(const char *tex, char *out, size_t outlen, char *err, size_t errlen)
{
    conv c = {tex, 0, out, 0, outlen, err, errlen, 0, 0};
    if (outlen == 0) return -1;
    out[0] = 0;
    if (errlen) err[0] = 0;
    if (parse_sequence(&c, 0) < 0 || c.failed) {
        out[0] = 0;
        return -1;
    }
    return 0;
}
