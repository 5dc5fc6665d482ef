/* model_math_internal.h — what the parts of model_math share: the template rows of the tables,
 * the conditions that pick rows, the placeholders and their expansion, the symbols.
 *
 *   model_math_fill.c     expansion of templates, numbers, shapes and symbols as LaTeX, blocks
 *   model_math_layers.c   the table of layer kinds (rows, parameter symbols) and activations
 *   model_math_vars.c     a layer's placeholders and conditions, from the built graph
 *   model_math_losses.c   the table of loss kinds, their placeholders, call expressions
 *   model_math.c          the walk over nets, layers and loss groups; the template check
 *   model_math_write.c    Markdown, LaTeX and report.html's MathML */
#ifndef NNRUN_MODEL_MATH_INTERNAL_H
#define NNRUN_MODEL_MATH_INTERNAL_H

#include "model_math.h"

/* ---- template rows ---------------------------------------------------------------------------- */
/* A row of a table: an equation lhs rel rhs, or a note (lhs and rel NULL, rhs its text with
 * $...$ math), taken when the subject has every condition of `when` and none of `unless`
 * (MC_* for a layer, LC_* for a loss term). The table ends with a row whose rhs is NULL. */
typedef struct {
    unsigned when, unless;
    const char *lhs, *rel, *rhs;
} math_row;

#define EQ(when, unless, lhs, rel, rhs) {when, unless, lhs, rel, rhs}
#define NOTE(when, unless, text) {when, unless, NULL, NULL, text}
#define ROWS_END {0, 0, NULL, NULL, NULL}

/* A parameter a layer stores as "<layer>.<what>": its symbol (and a note) as templates. */
typedef struct {
    const char *what;
    const char *symbol;
    const char *note;
} math_param_row;

typedef struct {
    const math_row *rows;
    const math_param_row *params;   /* ended by what NULL; NULL: the kind has none */
    unsigned acts;                  /* 1 << act_kind of the activations its rows write out (LSTM's sigma, tanh) */
} layer_math_def;

/* An activation: its symbol in a layer's equation (a template: leaky_relu's carries the
 * slope) and its definition, lhs = rhs. */
typedef struct {
    const char *symbol;
    const char *lhs, *rhs;
} act_math_def;

const layer_math_def *layer_math_def_of(layer_kind k);   /* NULL: none */
const act_math_def *act_math_def_of(act_kind a);         /* NULL: none (ACT_NONE has none) */
const math_row *loss_math_rows(loss_kind k);             /* NULL: none */

/* A layer's conditions. */
enum {
    MC_SEQUENCE = 1u << 0,       /* its input has several axes per sample: dense acts at each position */
    MC_OUT_SEQUENCE = 1u << 1,   /* its output has several axes (one_hot of a sequence) */
    MC_MASK = 1u << 2,           /* mask: */
    MC_MEMORY_MASK = 1u << 3,    /* memory_mask: */
    MC_ATTEND = 1u << 4,         /* a gru with attend: */
    MC_ATTEND_MASK = 1u << 5,
    MC_BIDIRECTIONAL = 1u << 6,
    MC_OUT_ALL = 1u << 7,        /* a recurrent layer's output: */
    MC_OUT_LAST = 1u << 8,
    MC_OUT_MEAN = 1u << 9,
    MC_OUT_MAX = 1u << 10,
    MC_OUT_POOLED = 1u << 11,    /* mean or max */
    MC_NORM_FIRST = 1u << 12,
    MC_CAUSAL = 1u << 13,
    MC_LEARNED = 1u << 14,       /* positional_encoding kind: learned */
    MC_EVAL = 1u << 15,          /* noise also at evaluation */
    MC_PADDING_ID = 1u << 16,
    MC_FROZEN = 1u << 17,
    MC_VECTORS = 1u << 18,       /* an embedding started from word vectors */
    MC_SAME = 1u << 19,          /* pad: same */
    MC_PADDED = 1u << 20,        /* a pooling window with padding */
    MC_DROPOUT = 1u << 21,       /* attention and Transformer layers' dropout > 0 */
};

/* A loss term's conditions. */
enum {
    LC_IGNORE = 1u << 0,         /* cross_entropy's ignore: */
    LC_CENTERED = 1u << 1,       /* a gradient penalty aimed at a norm other than 0 */
};

/* ---- placeholders ------------------------------------------------------------------------------ */
/* What a placeholder stands for, which also says what its stand-in is when templates are
 * checked without a model: a symbol (an optional {index} adds a subscript: @x{t} is x_{1,t}), a
 * number, a piece of LaTeX, or a function of its {argument} (@act{W x + b}). */
typedef enum { VAR_SYMBOL, VAR_NUMBER, VAR_TEX, VAR_WRAP } var_kind;

typedef struct {
    const char *name;
    var_kind kind;
    /* its value for the subject ctx into buf; arg: the expanded {argument} or NULL */
    void (*get)(void *ctx, const char *arg, char *buf, size_t len);
} math_var;

/* Template t with each @name or @name{arg} replaced by its variable's value (vars ends with a
 * NULL name; the argument is expanded first); ctx NULL: by stand-ins. 0, or -1 with err. */
int math_expand(const char *t, const math_var *vars, void *ctx, char *out, size_t len, char *err, size_t errlen);
/* The rows of `rows` that `conds` selects (all of them when all_rows), expanded, as lines of b. */
int block_add_rows(math_block *b, const math_row *rows, unsigned conds, int all_rows, const math_var *vars, void *ctx,
                   char *err, size_t errlen);
/* A line (rel "": a note), the strings cut to the line's fields. 0, or -1 when out of memory. */
int block_add_line(math_block *b, const char *lhs, const char *rel, const char *rhs);

/* ---- LaTeX pieces --------------------------------------------------------------------------------- */
#define MATH_NAME_TEX (2 * SPEC_NAME_LEN + 16)   /* a name as \mathrm{...}, its underscores escaped */

/* A tensor's symbol: base and index (x, "2" -> x_{2}; \mathrm{noise}, "" -> \mathrm{noise}). */
typedef struct {
    char base[MATH_NAME_TEX];
    char index[16];
} math_symbol;

/* sym with one more index (extra may be NULL): x_{2}, x_{2,t}, y_{t}. */
void tex_symbol(const math_symbol *sym, const char *extra, char *buf, size_t len);
/* 200, 0.5, 1 \cdot 10^{-5} */
void tex_number(double v, char *buf, size_t len);
/* 200 \times 100 (1 for a shape of no axes) */
void tex_shape(const nn_shape *s, char *buf, size_t len);
/* \mathrm{enc\_state}: a name upright, its underscores escaped */
void tex_upright(const char *name, char *buf, size_t len);
/* What `name` names in net ns of s (a layer's from:, mask:, ...): x_{k+1} for its layer k, x_{0}
 * for its only input, \mathrm{name} for one of several, y for the targets. */
void source_symbol(const spec *s, const model_spec *ns, const char *name, math_symbol *sym);
/* The symbol of net n in a loss: D, G (one capital letter), \mathrm{critic} otherwise. */
void net_symbol(const spec *s, int net, char *buf, size_t len);

/* ---- a layer -------------------------------------------------------------------------------------- */
/* A layer of a net's first call, as its placeholders read it. */
typedef struct {
    const spec *s;
    const model_graph *m;
    int net;                         /* index into s->nets */
    const model_spec *ns;
    const net_call *call;
    int li;                          /* the layer's index in the net */
    const layer_spec *l;
    math_symbol in[SPEC_MAX_FROM];   /* its inputs' symbols and per-sample shapes */
    nn_shape in_shape[SPEC_MAX_FROM];
    int n_in;
    math_symbol out;
    nn_shape out_shape;
    nn_shape attend_shape;           /* what a gru with attend: reads, [S, F] */
    unsigned acts_used;              /* 1 << act_kind of each activation its equations name */
} layer_env;

/* e for layer li of net `net` (its first call `call`); -1 with err when an input is not in the graph. */
int layer_env_init(layer_env *e, const spec *s, const model_graph *m, int net, const net_call *call, int li, char *err,
                   size_t errlen);
unsigned layer_conditions(const layer_env *e);
extern const math_var layer_vars[];

/* ---- loss groups ---------------------------------------------------------------------------------- */
/* The blocks of loss group g (its total, then each term) into sec; mm holds the nets' sections
 * (the penalties name their parameters' symbols). */
int loss_group_math(const spec *s, const model_graph *m, const model_math *mm, int g, math_section *sec, char *err,
                    size_t errlen);
/* Each template of the loss table filled with stand-ins, given to check (note: a note's text). */
int loss_templates_check(int (*check)(const char *tex, int note, char *err, size_t errlen), char *err, size_t errlen);

/* ---- notes ---------------------------------------------------------------------------------------- */
/* The next piece of a note at *p: text, or (*math set) the math between two $; its start and
 * length, *p moved past it. 1, 0 at the end of the note, -1 when a $ is not closed. */
int note_next_piece(const char **p, const char **start, size_t *len, int *math);

#endif
