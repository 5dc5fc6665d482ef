/* The equations of a built model: each net (its inputs, then each layer of the call that made
 * its parameters: the kind's rows filled, the parameters' symbols by their stored names), then
 * each loss group; and the check that every template of the tables converts to MathML. */
#include "model_math_internal.h"
#include "latex_mathml.h"
#include "model_layers.h"
#include "../lang/layer_table.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layer li's parameters: each stored name's row in the kind's table (one missing is an error:
 * every parameter a builder makes has its symbol). */
static int layer_params(const layer_env *e, const layer_math_def *def, math_block *b, char *err, size_t errlen)
{
    int ids[LAYER_MAX_PARAMS];
    int n = layer_param_nodes(e->m, e->net, e->li, 1, ids, LAYER_MAX_PARAMS);
    char label[NN_LABEL_LEN];
    size_t prefix = strlen(model_layer_label(e->s, e->net, e->li, label, sizeof label)) + 1;
    if (n && !(b->params = calloc((size_t)n, sizeof *b->params))) return snprintf(err, errlen, "out of memory"), -1;
    for (int k = 0; k < n; k++) {
        const nn_node *node = &e->m->g->nodes[ids[k]];
        const math_param_row *row = def->params;
        while (row && row->what && strcmp(row->what, node->label + prefix)) row++;
        if (!row || !row->what)
            return snprintf(err, errlen, "layer '%s' (%s): its parameter %s has no symbol in the table", e->l->name,
                            layer_kind_name(e->l->kind), node->label), -1;
        math_param *p = &b->params[b->n_params++];
        if (math_expand(row->symbol, layer_vars, (void *)e, p->symbol, sizeof p->symbol, err, errlen) < 0 ||
            (row->note && math_expand(row->note, layer_vars, (void *)e, p->note, sizeof p->note, err, errlen) < 0))
            return -1;
        snprintf(p->name, sizeof p->name, "%s", node->label);
        p->shape = node->shape;
        p->trained = !node->no_grad;
    }
    return 0;
}

static int layer_block(const spec *s, const model_graph *m, int net, const net_call *c, int li, math_block *b,
                       unsigned *acts, char *err, size_t errlen)
{
    layer_env e;
    if (layer_env_init(&e, s, m, net, c, li, err, errlen) < 0) return -1;
    const layer_math_def *def = layer_math_def_of(e.l->kind);
    if (!def) return snprintf(err, errlen, "layer kind %s has no equations", layer_kind_name(e.l->kind)), -1;
    snprintf(b->name, sizeof b->name, "%s", e.l->name);
    layer_op_name(e.l, b->what, sizeof b->what);
    tex_symbol(&e.out, NULL, b->symbol, sizeof b->symbol);
    b->shape = e.out_shape;
    if (block_add_rows(b, def->rows, layer_conditions(&e), 0, layer_vars, &e, err, errlen) < 0 ||
        layer_params(&e, def, b, err, errlen) < 0)
        return -1;
    *acts |= e.acts_used | def->acts;
    return 0;
}

static int net_math(const spec *s, const model_graph *m, int n, math_section *sec, char *err, size_t errlen)
{
    const model_spec *ns = &s->nets[n];
    const net_call *c = net_first_call(m, n);
    unsigned acts = 0;
    snprintf(sec->title, sizeof sec->title, s->single ? "%s" : "net %s", ns->name);
    sec->blocks = calloc((size_t)(ns->n_inputs + ns->n_layers), sizeof *sec->blocks);
    if (!sec->blocks) return snprintf(err, errlen, "out of memory"), -1;
    for (int k = 0; k < ns->n_inputs; k++) {
        math_block *b = &sec->blocks[sec->n_blocks++];
        math_symbol sym;
        source_symbol(s, ns, ns->inputs[k].name, &sym);
        snprintf(b->name, sizeof b->name, "%s", ns->inputs[k].name);
        snprintf(b->what, sizeof b->what, "input");
        tex_symbol(&sym, NULL, b->symbol, sizeof b->symbol);
        b->shape = ns->inputs[k].shape;
    }
    if (!c) {
        snprintf(sec->note, sizeof sec->note, "No loss or figure calls this net: its layers are not built.");
        return 0;
    }
    for (int li = 0; li < ns->n_layers; li++)
        if (layer_block(s, m, n, c, li, &sec->blocks[sec->n_blocks++], &acts, err, errlen) < 0) return -1;
    for (int a = 0; a < ACT_KIND_COUNT; a++) {
        const act_math_def *def = act_math_def_of((act_kind)a);
        if ((acts >> a & 1) && def && block_add_line(&sec->defs, def->lhs, "=", def->rhs) < 0)
            return snprintf(err, errlen, "out of memory"), -1;
    }
    return 0;
}

int model_math_build(const spec *s, const model_graph *m, model_math *mm, char *err, size_t errlen)
{
    memset(mm, 0, sizeof *mm);
    snprintf(mm->name, sizeof mm->name, "%s", s->name);
    mm->sections = calloc((size_t)(s->n_nets + s->n_groups), sizeof *mm->sections);
    if (!mm->sections) return snprintf(err, errlen, "out of memory"), -1;
    int rc = 0;
    for (int n = 0; n < s->n_nets && rc == 0; n++) rc = net_math(s, m, n, &mm->sections[mm->n_sections++], err, errlen);
    for (int g = 0; g < s->n_groups && rc == 0; g++)
        rc = loss_group_math(s, m, mm, g, &mm->sections[mm->n_sections++], err, errlen);
    if (rc < 0) model_math_free(mm);
    return rc;
}

static void block_free(math_block *b)
{
    free(b->lines);
    free(b->params);
}

void model_math_free(model_math *mm)
{
    for (int i = 0; i < mm->n_sections; i++) {
        math_section *sec = &mm->sections[i];
        for (int k = 0; k < sec->n_blocks; k++) block_free(&sec->blocks[k]);
        free(sec->blocks);
        block_free(&sec->defs);
    }
    free(mm->sections);
    memset(mm, 0, sizeof *mm);
}

/* ---- the check of the tables ------------------------------------------------------------------------ */
/* tex (a note's text when note: its math pieces) converts to MathML. */
static int converts(const char *tex, int note, char *err, size_t errlen)
{
    char out[8 * MATH_TEX_LEN], why[256];
    const char *p = tex, *start;
    size_t len;
    int math, r;
    if (!note) {
        if (latex_to_mathml(tex, out, sizeof out, why, sizeof why) == 0) return 0;
        return snprintf(err, errlen, "%s", why), -1;
    }
    while ((r = note_next_piece(&p, &start, &len, &math)) > 0) {
        char piece[MATH_TEX_LEN];
        snprintf(piece, sizeof piece, "%.*s", (int)len, start);
        if (math && latex_to_mathml(piece, out, sizeof out, why, sizeof why) < 0) return snprintf(err, errlen, "%s", why), -1;
    }
    return r < 0 ? (snprintf(err, errlen, "a $ is not closed in the note '%s'", tex), -1) : 0;
}

static int lines_convert(const math_block *b, char *err, size_t errlen)
{
    for (int i = 0; i < b->n_lines; i++)
        if (converts(b->lines[i].lhs, 0, err, errlen) < 0 || converts(b->lines[i].rhs, !b->lines[i].rel[0], err, errlen) < 0)
            return -1;
    for (int i = 0; i < b->n_params; i++)
        if (converts(b->params[i].symbol, 0, err, errlen) < 0 || converts(b->params[i].note, 1, err, errlen) < 0) return -1;
    return 0;
}

/* Layer kind k's rows and parameter rows, all of them, with stand-ins. */
static int layer_kind_check(layer_kind k, char *err, size_t errlen)
{
    const layer_math_def *def = layer_math_def_of(k);
    if (!def) return snprintf(err, errlen, "it has no equations"), -1;
    math_block b = {0};
    int rc = block_add_rows(&b, def->rows, 0, 1, layer_vars, NULL, err, errlen);
    for (const math_param_row *p = def->params; rc == 0 && p && p->what; p++) {
        char symbol[128], note[MATH_TEX_LEN] = "";
        rc = math_expand(p->symbol, layer_vars, NULL, symbol, sizeof symbol, err, errlen);
        if (rc == 0 && p->note) rc = math_expand(p->note, layer_vars, NULL, note, sizeof note, err, errlen);
        if (rc == 0) rc = converts(symbol, 0, err, errlen) < 0 || converts(note, 1, err, errlen) < 0 ? -1 : 0;
    }
    if (rc == 0) rc = lines_convert(&b, err, errlen);
    block_free(&b);
    return rc;
}

static int act_kind_check(act_kind a, char *err, size_t errlen)
{
    const act_math_def *def = act_math_def_of(a);
    char symbol[128];
    if (!def) return a == ACT_NONE ? 0 : (snprintf(err, errlen, "it has no equations"), -1);
    if (math_expand(def->symbol, layer_vars, NULL, symbol, sizeof symbol, err, errlen) < 0) return -1;
    return converts(symbol, 0, err, errlen) < 0 || converts(def->lhs, 0, err, errlen) < 0 || converts(def->rhs, 0, err, errlen) < 0 ? -1 : 0;
}

int model_math_check_templates(char *err, size_t errlen)
{
    char why[512];
    for (int k = 0; k < LAYER_KIND_COUNT; k++)
        if (layer_kind_check((layer_kind)k, why, sizeof why) < 0)
            return snprintf(err, errlen, "layer kind %s: %s", layer_kind_name((layer_kind)k), why), -1;
    for (int a = 0; a < ACT_KIND_COUNT; a++)
        if (act_kind_check((act_kind)a, why, sizeof why) < 0)
            return snprintf(err, errlen, "activation %s: %s", act_kind_name((act_kind)a), why), -1;
    return loss_templates_check(converts, err, errlen);
}
