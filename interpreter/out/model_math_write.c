/* The equations written out: Markdown with LaTeX math (`nnrun summary --math`), a LaTeX
 * fragment to paste into a paper (an align* per net and loss group, the parameters in another),
 * and report.html's Model section in MathML. */
#include "model_math_internal.h"
#include "html_text.h"
#include "latex_mathml.h"
#include <stdio.h>
#include <string.h>

#define LEGEND_TEX                                                                                                     \
    "Per sample: $x_i$ is layer $i$'s output ($x_0$ the input, $y$ the targets), $x_{i,t}$ its step or position $t$; "   \
    "$W^{(i)}$ is a parameter of layer $i$; $N$ is the number of samples in a batch."

/* "x_{1} \in \mathbb{R}^{200 \times 100}": what block b gives and its size ("" for a loss term) */
static void block_size_tex(const math_block *b, char *buf, size_t len)
{
    char shape[256];
    buf[0] = 0;
    if (b->shape.ndim < 0 || !b->symbol[0]) return;
    tex_shape(&b->shape, shape, sizeof shape);
    snprintf(buf, len, "%s \\in \\mathbb{R}^{%s}", b->symbol, shape);
}

static int equation_count(const math_block *b)
{
    int n = 0;
    for (int i = 0; i < b->n_lines; i++) n += b->lines[i].rel[0] != 0;
    return n;
}

/* ---- Markdown ------------------------------------------------------------------------------------ */
static void markdown_params(FILE *f, const math_block *b)
{
    char shape[64];
    for (int i = 0; i < b->n_params; i++) {
        const math_param *p = &b->params[i];
        fprintf(f, "  - $%s$ = `%s` %s%s%s%s\n", p->symbol, p->name, nn_shape_str(&p->shape, shape, sizeof shape),
                p->note[0] ? " (" : "", p->note, p->note[0] ? ")" : "");
    }
}

static void markdown_block(FILE *f, const math_block *b)
{
    char size[512];
    int eqs = equation_count(b);
    block_size_tex(b, size, sizeof size);
    fprintf(f, "- `%s` (%s):", b->name, b->what);
    for (int i = 0; i < b->n_lines && eqs == 1; i++)
        if (b->lines[i].rel[0]) fprintf(f, " $%s %s %s$%s", b->lines[i].lhs, b->lines[i].rel, b->lines[i].rhs, size[0] ? ";" : "");
    if (size[0]) fprintf(f, " $%s$", size);
    fputc('\n', f);
    if (eqs > 1) {
        fputs("  $$\\begin{aligned}\n", f);
        for (int i = 0, k = 0; i < b->n_lines; i++)
            if (b->lines[i].rel[0])
                fprintf(f, "  %s &%s %s%s\n", b->lines[i].lhs, b->lines[i].rel, b->lines[i].rhs, ++k < eqs ? " \\\\" : "");
        fputs("  \\end{aligned}$$\n", f);
    }
    for (int i = 0; i < b->n_lines; i++)
        if (!b->lines[i].rel[0]) fprintf(f, "  - %s\n", b->lines[i].rhs);
    markdown_params(f, b);
}

static void write_markdown(FILE *f, const model_math *mm)
{
    fprintf(f, "# %s: the forward pass\n\n%s\n", mm->name, LEGEND_TEX);
    for (int s = 0; s < mm->n_sections; s++) {
        const math_section *sec = &mm->sections[s];
        fprintf(f, "\n## %s\n\n", sec->title);
        if (sec->note[0]) fprintf(f, "%s\n\n", sec->note);
        for (int k = 0; k < sec->n_blocks; k++) markdown_block(f, &sec->blocks[k]);
        if (sec->defs.n_lines) fputs("\nwhere\n\n", f);
        for (int i = 0; i < sec->defs.n_lines; i++)
            fprintf(f, "- $%s %s %s$\n", sec->defs.lines[i].lhs, sec->defs.lines[i].rel, sec->defs.lines[i].rhs);
    }
}

/* ---- LaTeX --------------------------------------------------------------------------------------- */
/* Text for \text{} and \texttt{}: LaTeX's special characters escaped. */
static void latex_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (strchr("_%&#${}", *s)) fprintf(f, "\\%c", *s);
        else if (*s == '\\') fputs("\\textbackslash{}", f);
        else if (*s == '~') fputs("\\textasciitilde{}", f);
        else if (*s == '^') fputs("\\textasciicircum{}", f);
        else fputc(*s, f);
    }
}

/* The block's name and kind, and its size, as the annotation column of its first row. */
static void latex_annotation(FILE *f, const math_block *b)
{
    char size[512];
    block_size_tex(b, size, sizeof size);
    fputs(" && \\texttt{", f);
    latex_text(f, b->name);
    fputs("} \\text{ (", f);
    latex_text(f, b->what);
    fprintf(f, ")}%s%s", size[0] ? ", \\; " : "", size);
}

/* A block's rows in an align*; *first: no row written yet in the environment (the rows are
 * joined by \\). */
static void latex_block(FILE *f, const math_block *b, int *first)
{
    int annotated = 0;
    if (!equation_count(b)) {   /* an input: its size */
        char size[512];
        block_size_tex(b, size, sizeof size);
        fprintf(f, "%s%s &\\in \\mathbb{R}^{", *first ? "" : " \\\\\n", b->symbol);
        tex_shape(&b->shape, size, sizeof size);
        fprintf(f, "%s} && \\texttt{", size);
        latex_text(f, b->name);
        fputs("} \\text{ (input)}", f);
        *first = 0;
        return;
    }
    for (int i = 0; i < b->n_lines; i++) {
        const math_line *l = &b->lines[i];
        if (!l->rel[0]) continue;
        fprintf(f, "%s%s &%s %s", *first ? "" : " \\\\\n", l->lhs, l->rel, l->rhs);
        if (!annotated++) latex_annotation(f, b);
        *first = 0;
    }
}

/* The section's notes, as comments after its align* (inside, a comment would swallow the \\
 * that ends a row). */
static void latex_notes(FILE *f, const math_section *sec)
{
    for (int k = 0; k < sec->n_blocks; k++)
        for (int i = 0; i < sec->blocks[k].n_lines; i++)
            if (!sec->blocks[k].lines[i].rel[0]) fprintf(f, "%% %s: %s\n", sec->blocks[k].name, sec->blocks[k].lines[i].rhs);
}

static void latex_params(FILE *f, const math_section *sec)
{
    int first = 1;
    for (int k = 0; k < sec->n_blocks; k++)
        for (int i = 0; i < sec->blocks[k].n_params; i++) {
            const math_param *p = &sec->blocks[k].params[i];
            char shape[256];
            if (first) fprintf(f, "%% the parameters of %s\n\\begin{align*}\n", sec->title);
            tex_shape(&p->shape, shape, sizeof shape);
            fprintf(f, "%s%s &\\in \\mathbb{R}^{%s} && \\texttt{", first ? "" : " \\\\\n", p->symbol, shape);
            latex_text(f, p->name);
            fputc('}', f);
            first = 0;
        }
    if (!first) fputs("\n\\end{align*}\n", f);
}

static void write_latex(FILE *f, const model_math *mm)
{
    fputs("% ", f);
    latex_text(f, mm->name);
    fputs(": the forward pass (nnrun summary --math=latex; amsmath and amssymb)\n% ", f);
    fputs(LEGEND_TEX, f);
    fputc('\n', f);
    for (int s = 0; s < mm->n_sections; s++) {
        const math_section *sec = &mm->sections[s];
        int first = 1;
        fprintf(f, "\n%% %s%s%s\n\\begin{align*}\n", sec->title, sec->note[0] ? ": " : "", sec->note);
        for (int k = 0; k < sec->n_blocks; k++) latex_block(f, &sec->blocks[k], &first);
        for (int i = 0; i < sec->defs.n_lines; i++, first = 0)
            fprintf(f, "%s%s &%s %s", first ? "" : " \\\\\n", sec->defs.lines[i].lhs, sec->defs.lines[i].rel, sec->defs.lines[i].rhs);
        fputs("\n\\end{align*}\n", f);
        latex_notes(f, sec);
        latex_params(f, sec);
    }
}

/* ---- the forms ----------------------------------------------------------------------------------- */
static const struct {
    const char *name;
    void (*write)(FILE *f, const model_math *mm);
} forms[MATH_FORM_COUNT] = {
    [MATH_MARKDOWN] = {"markdown", write_markdown},
    [MATH_LATEX] = {"latex", write_latex},
};

int math_form_find(const char *name)
{
    for (int k = 0; k < MATH_FORM_COUNT; k++)
        if (strcmp(forms[k].name, name) == 0) return k;
    return -1;
}

const char *math_form_list(void)
{
    static char list[64];
    size_t n = 0;
    for (int k = 0; k < MATH_FORM_COUNT && n < sizeof list; k++) n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", k ? "|" : "", forms[k].name);
    return list;
}

void model_math_write(FILE *f, const model_math *mm, math_form form) { forms[form].write(f, mm); }

/* ---- report.html ----------------------------------------------------------------------------------- */
typedef struct {
    FILE *f;
    char *err;
    size_t errlen;
    int failed;
} html_out;

/* tex as MathML elements, or (it does not convert) the source marked as an error, the first
 * problem kept for the caller. */
static void html_math_content(html_out *h, const char *tex)
{
    char out[16 * MATH_TEX_LEN], why[512];
    if (latex_to_mathml(tex, out, sizeof out, why, sizeof why) == 0) {
        fputs(out, h->f);
        return;
    }
    if (!h->failed++) snprintf(h->err, h->errlen, "%s", why);
    fputs("<merror><mtext>", h->f);
    html_write(h->f, tex, strlen(tex));
    fputs("</mtext></merror>", h->f);
}

static void html_inline_math(html_out *h, const char *tex)
{
    fputs("<math>", h->f);
    html_math_content(h, tex);
    fputs("</math>", h->f);
}

/* A note: its text escaped, its $...$ pieces as inline math. */
static void html_note(html_out *h, const char *note)
{
    const char *p = note, *start;
    size_t len;
    int math, r;
    while ((r = note_next_piece(&p, &start, &len, &math)) > 0) {
        char piece[MATH_TEX_LEN];
        snprintf(piece, sizeof piece, "%.*s", (int)len, start);
        if (math) html_inline_math(h, piece);
        else html_write(h->f, piece, len);
    }
    if (r < 0) html_write(h->f, p, strlen(p));
}

/* The equations as rows of a table, aligned at their relation. */
static void html_equations(html_out *h, const math_line *lines, int n)
{
    fputs("<math display=\"block\"><mtable>", h->f);
    for (int i = 0; i < n; i++) {
        if (!lines[i].rel[0]) continue;
        fputs("<mtr><mtd>", h->f);
        html_math_content(h, lines[i].lhs);
        fputs("</mtd><mtd>", h->f);
        html_math_content(h, lines[i].rel);
        fputs("</mtd><mtd>", h->f);
        html_math_content(h, lines[i].rhs);
        fputs("</mtd></mtr>", h->f);
    }
    fputs("</mtable></math>\n", h->f);
}

static void html_block(html_out *h, const math_block *b)
{
    char size[512], shape[64];
    FILE *f = h->f;
    block_size_tex(b, size, sizeof size);
    fputs("<div class=\"math-block\"><p><code>", f);
    html_write(f, b->name, strlen(b->name));
    fputs("</code> (", f);
    html_write(f, b->what, strlen(b->what));
    fputs(")", f);
    if (size[0]) fputs(" ", f), html_inline_math(h, size);
    fputs("</p>\n", f);
    if (equation_count(b)) html_equations(h, b->lines, b->n_lines);
    if (b->n_lines > equation_count(b) || b->n_params) fputs("<ul>", f);
    for (int i = 0; i < b->n_lines; i++)
        if (!b->lines[i].rel[0]) fputs("<li>", f), html_note(h, b->lines[i].rhs), fputs("</li>", f);
    for (int i = 0; i < b->n_params; i++) {
        const math_param *p = &b->params[i];
        fputs("<li class=\"param\">", f);
        html_inline_math(h, p->symbol);
        fputs(" = <code>", f);
        html_write(f, p->name, strlen(p->name));
        fprintf(f, "</code> %s", nn_shape_str(&p->shape, shape, sizeof shape));
        if (p->note[0]) fputs(" (", f), html_note(h, p->note), fputs(")", f);
        fputs("</li>", f);
    }
    if (b->n_lines > equation_count(b) || b->n_params) fputs("</ul>", f);
    fputs("</div>\n", f);
}

int model_math_write_html(FILE *f, const model_math *mm, char *err, size_t errlen)
{
    html_out h = {f, err, errlen, 0};
    fputs("<section class=\"model-math\">\n<h2 id=\"model\">Model</h2>\n<p>", f);
    html_note(&h, LEGEND_TEX);
    fputs("</p>\n", f);
    for (int s = 0; s < mm->n_sections; s++) {
        const math_section *sec = &mm->sections[s];
        fputs("<h3>", f);
        html_write(f, sec->title, strlen(sec->title));
        fputs("</h3>\n", f);
        if (sec->note[0]) fputs("<p>", f), html_write(f, sec->note, strlen(sec->note)), fputs("</p>\n", f);
        for (int k = 0; k < sec->n_blocks; k++) html_block(&h, &sec->blocks[k]);
        if (sec->defs.n_lines) {
            fputs("<p>where</p>\n", f);
            html_equations(&h, sec->defs.lines, sec->defs.n_lines);
        }
    }
    if (h.failed) fprintf(f, "<p class=\"math-error\">%d equation(s) could not be written as MathML.</p>\n", h.failed);
    fputs("</section>\n", f);
    return h.failed ? -1 : 0;
}
