/* model_math.h — a built model's forward pass and losses as equations: `nnrun summary --math`
 * and report.html's Model section.
 *
 * Each layer kind has one row in a table (model_math_layers.c): its equations as templates in
 * the LaTeX subset of latex_mathml.h, with placeholders (@x, @units, ...) filled from the built
 * graph — per-sample sizes, the options, the symbols of the layers it reads — and its
 * parameters' symbols by the names nnrun stores them under (PyTorch's: rnn_1.weight_ih). Loss
 * kinds likewise (model_math_losses.c). Notation, per sample: x_i is layer i's output (x_0 the
 * net's input, y the data's targets), x_{i,t} its step or position t; a parameter carries its
 * layer's number, W^{(i)}. Dense layers and convolutions read column vectors (W x + b);
 * attention and Transformer layers read a sequence as rows (X W^T). */
#ifndef NNRUN_MODEL_MATH_H
#define NNRUN_MODEL_MATH_H

#include <stdio.h>
#include "../build/model_build.h"

#define MATH_TEX_LEN 768
#define MATH_SYMBOL_LEN 192   /* a symbol: x_{2}, [W^{(3)}_{Q} ; W^{(3)}_{K} ; W^{(3)}_{V}], \ell_{\mathrm{name}} */

/* One equation, lhs rel rhs, in the LaTeX subset; lhs "" continues the one before (= ...). A
 * note has rel "": rhs is then text with $...$ math in it. */
typedef struct {
    char lhs[MATH_TEX_LEN / 4];
    char rel[16];
    char rhs[MATH_TEX_LEN];
} math_line;

/* A parameter: its symbol in the equations, the name it is stored under, its shape. */
typedef struct {
    char symbol[MATH_SYMBOL_LEN];
    char name[NN_LABEL_LEN];
    nn_shape shape;
    int trained;              /* the optimizer updates it (not a running statistic, not frozen) */
    char note[160];           /* text with $...$ math, or "" */
} math_param;

/* A layer, a net's input, a loss group's total or one of its terms. */
typedef struct {
    char name[SPEC_NAME_LEN];   /* the layer's, input's, group's or term's name */
    char what[64];              /* "rnn", "dense+relu", "input", "kl_normal", "loss group" */
    char symbol[MATH_SYMBOL_LEN];   /* what the block gives: x_{2}, \ell_{\mathrm{kl}}, ... */
    nn_shape shape;             /* its size per sample (ndim -1: not a tensor of the net) */
    math_line *lines;
    int n_lines, cap_lines;
    math_param *params;
    int n_params;
} math_block;

/* A net (its inputs, then its layers) or a loss group (its total, then its terms). */
typedef struct {
    char title[96];             /* "net G", "loss group critic" */
    char note[160];             /* a sentence under the title, or "" */
    math_block *blocks;
    int n_blocks;
    math_block defs;            /* the functions its equations use, defined (lines only) */
} math_section;

typedef struct {
    char name[SPEC_NAME_LEN];   /* the spec's */
    math_section *sections;     /* the nets, then the loss groups */
    int n_sections;
} model_math;

/* The equations of s's model as m builds it (a graph of any batch size: the sizes are per
 * sample; N, the batch, stays a symbol). 0, or -1 with err (a parameter without a symbol, a
 * placeholder no variable fills, an equation too long); free with model_math_free. */
int model_math_build(const spec *s, const model_graph *m, model_math *mm, char *err, size_t errlen);
void model_math_free(model_math *mm);

/* The text forms of `nnrun summary --math[=FORM]`. */
typedef enum { MATH_MARKDOWN, MATH_LATEX, MATH_FORM_COUNT } math_form;
/* The form called name ("markdown", "latex"), or -1. */
int math_form_find(const char *name);
/* "markdown|latex": the forms, for usage texts. */
const char *math_form_list(void);
void model_math_write(FILE *f, const model_math *mm, math_form form);
/* report.html's Model section: each section's blocks with their equations as
 * <math display="block"> (the notes' math inline). 0, or -1 with err when an equation does not
 * convert (the section then says so in the page too). */
int model_math_write_html(FILE *f, const model_math *mm, char *err, size_t errlen);
/* The section's style, for the page's <style>: the cells of an equation table in display style
 * (full-size fractions, limits under sums), as LaTeX's align does. */
#define MODEL_MATH_CSS                                                                                                 \
    ".model-math mtd{math-style:normal}.model-math .math-block{margin:0 0 1em}"                                         \
    ".model-math .math-error{background:#c00;color:#fff;padding:6px}"

/* Every layer kind, activation and loss kind has its equations (a test asks it of each). */
int layer_kind_has_math(layer_kind k);
int act_kind_has_math(act_kind a);
int loss_kind_has_math(loss_kind k);
/* Every template of the tables — each row whatever its conditions, each parameter symbol and
 * note, each activation — filled with stand-ins converts to MathML: 0, or -1 with the first
 * problem in err (an unknown placeholder or command, an unpaired brace). */
int model_math_check_templates(char *err, size_t errlen);

#endif
