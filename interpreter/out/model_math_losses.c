/* The loss groups as equations: a group's total (its weighted terms and the weight penalties of
 * the nets it trains), then each term from the table of loss kinds, its predictions and targets
 * written from their call expressions (D(G(noise)), x_{6}, y).
 *
 * Placeholders: @l the term's symbol; @pred @target @mean @logvar @real @fake (the expressions it
 * names; a gradient penalty's fake and real batches), @critic; sizes per sample of the
 * prediction: @J its values, @T its steps and @C its classes (cross_entropy over [T, C]),
 * @Cm1 (C - 1); @norm and @knorm (the reduction's factor: 1/(N J), 1/N or none; KL's halved),
 * the indices @nj @nt and sums @sumj @sumt (empty for one value or step); @ign @center @batch. */
#include "model_math_internal.h"
#include "model_layers.h"
#include "../lang/call_expr.h"
#include "nn/ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const math_row mse_rows[] = {
    EQ(0, 0, "@l", "=", "@norm \\sum_{n=1}^{N} @sumj(\\hat{y}_{@nj} - y_{@nj})^{2}"),
    EQ(0, 0, "(\\hat{y}, y)", "=", "(@pred, @target)"),
    ROWS_END};

static const math_row l1_rows[] = {
    EQ(0, 0, "@l", "=", "@norm \\sum_{n=1}^{N} @sumj|\\hat{y}_{@nj} - y_{@nj}|"),
    EQ(0, 0, "(\\hat{y}, y)", "=", "(@pred, @target)"),
    ROWS_END};

static const math_row bce_rows[] = {
    EQ(0, 0, "@l", "=",
       "-@norm \\sum_{n=1}^{N} @sumj\\left[y_{@nj} \\log \\sigma(\\hat{y}_{@nj}) + (1 - y_{@nj}) \\log(1 - \\sigma(\\hat{y}_{@nj}))\\right]"),
    EQ(0, 0, "(\\hat{y}, y)", "=", "(@pred, @target)"),
    NOTE(0, 0, "$\\hat{y}$ are logits: the sigmoid is part of the loss"),
    ROWS_END};

static const math_row cross_entropy_rows[] = {
    EQ(0, LC_IGNORE, "@l", "=", "-@norm \\sum_{n=1}^{N} @sumt\\log \\operatorname{softmax}(\\hat{y}_{@nt})_{y_{@nt}}"),
    EQ(LC_IGNORE, 0, "@l", "=", "-@norm \\sum_{(@nt) \\in K} \\log \\operatorname{softmax}(\\hat{y}_{@nt})_{y_{@nt}}"),
    EQ(LC_IGNORE, 0, "K", "=", "\\{(@nt) : y_{@nt} \\neq @ign\\}"),
    NOTE(LC_IGNORE, 0, "targets equal to $@ign$ (padding) are left out: the mean is over the kept positions"),
    EQ(0, 0, "(\\hat{y}, y)", "=", "(@pred, @target)"),
    EQ(0, 0, "\\hat{y}_{@nt}", "\\in", "\\mathbb{R}^{@C}, \\quad y_{@nt} \\in \\{0, \\ldots, @Cm1\\}"),
    ROWS_END};

static const math_row kl_normal_rows[] = {
    EQ(0, 0, "@l", "=",
       "@norm \\sum_{n=1}^{N} D_{\\mathrm{KL}}\\left(\\mathcal{N}(\\mu_n, \\operatorname{diag} \\sigma^{2}_n) \\,\\|\\, \\mathcal{N}(0, I)\\right)"),
    EQ(0, 0, "", "=", "-@knorm \\sum_{n=1}^{N} \\sum_{j=1}^{@J} (1 + \\log \\sigma^{2}_{nj} - \\mu^{2}_{nj} - \\sigma^{2}_{nj})"),
    EQ(0, 0, "(\\mu, \\log \\sigma^{2})", "=", "(@mean, @logvar)"),
    NOTE(0, 0, "the KL divergence to $\\mathcal{N}(0, I)$ in closed form, over the $@J$ latent dimensions"),
    ROWS_END};

static const math_row mean_rows[] = {
    EQ(0, 0, "@l", "=", "@norm \\sum_{n=1}^{N} @sumj\\hat{y}_{@nj}"),
    EQ(0, 0, "\\hat{y}", "=", "@pred"),
    ROWS_END};

static const math_row gradient_penalty_rows[] = {
    EQ(LC_CENTERED, 0, "@l", "=", "\\frac{1}{N} \\sum_{n=1}^{N} \\left(\\left\\| \\nabla_{\\hat{x}_n} @critic(\\hat{x}_n) \\right\\|_{2} - @center\\right)^{2}"),
    EQ(0, LC_CENTERED, "@l", "=", "\\frac{1}{N} \\sum_{n=1}^{N} \\left\\| \\nabla_{\\hat{x}_n} @critic(\\hat{x}_n) \\right\\|_{2}^{2}"),
    EQ(0, 0, "\\hat{x}", "=", "@fake + \\alpha (@real - @fake)"),
    EQ(0, 0, "\\alpha_n", "\\sim", "\\mathcal{U}(0, 1)"),
    NOTE(0, 0, "one $\\alpha_n$ per sample; the gradient is a graph itself, differentiated again by the step (exact second order)"),
    ROWS_END};

static const math_row *const loss_math[LOSS_KIND_COUNT] = {
    [LOSS_MSE] = mse_rows, [LOSS_L1] = l1_rows, [LOSS_BCE_LOGITS] = bce_rows, [LOSS_CROSS_ENTROPY] = cross_entropy_rows,
    [LOSS_KL_NORMAL] = kl_normal_rows, [LOSS_MEAN] = mean_rows, [LOSS_GRADIENT_PENALTY] = gradient_penalty_rows,
};

const math_row *loss_math_rows(loss_kind k) { return (unsigned)k < LOSS_KIND_COUNT ? loss_math[k] : NULL; }
int loss_kind_has_math(loss_kind k) { return loss_math_rows(k) != NULL; }

/* ---- call expressions --------------------------------------------------------------------------- */
typedef struct {
    const spec *s;
    const model_graph *m;
    const loss_spec *ls;
    char symbol[MATH_SYMBOL_LEN];    /* \ell_{\mathrm{name}} */
    char pred[MATH_TEX_LEN / 2], target[MATH_TEX_LEN / 2], mean[MATH_TEX_LEN / 2], logvar[MATH_TEX_LEN / 2];
    char critic[MATH_NAME_TEX];
    nn_shape shape;                  /* per sample: the prediction's (kl_normal: the mean's) */
} loss_env;

/* A source bound by name (a net's input nobody passes, or a name in a loss): the data, its
 * targets, or a noise input. */
static void source_name_tex(const spec *s, const char *name, char *buf, size_t len)
{
    if (strcmp(name, "input") == 0 || strcmp(name, "data") == 0) snprintf(buf, len, "%s", s->single ? "x_{0}" : "x");
    else if (strcmp(name, "target") == 0) snprintf(buf, len, "y");
    else tex_upright(name, buf, len);
}

static void expr_tex(const loss_env *le, const cx_expr *e, int i, char *buf, size_t len, int *node);

/* net(args...), missing trailing arguments bound by name, and the layer asked for (its last). */
static void call_tex(const loss_env *le, const cx_expr *e, const cx_node *x, int net, char *buf, size_t len, int *node)
{
    const model_spec *ns = &le->s->nets[net];
    char sym[MATH_NAME_TEX];
    net_symbol(le->s, net, sym, sizeof sym);
    size_t n = (size_t)snprintf(buf, len, "%s(", sym);
    for (int k = 0; k < ns->n_inputs && n < len; k++) {
        char arg[MATH_TEX_LEN / 2];
        int ignored;
        if (k < x->n_args) expr_tex(le, e, x->args[k], arg, sizeof arg, &ignored);
        else source_name_tex(le->s, ns->inputs[k].name, arg, sizeof arg);
        n += (size_t)snprintf(buf + n, len - n, "%s%s", k ? ", " : "", arg);
    }
    int layer = x->layer[0] ? net_find_layer(ns, x->layer) : ns->n_layers - 1;
    if (n < len && x->layer[0]) {
        char name[MATH_NAME_TEX];
        tex_upright(x->layer, name, sizeof name);
        snprintf(buf + n, len - n, ")_{%s}", name);
    } else if (n < len)
        snprintf(buf + n, len - n, ")");
    const net_call *c = net_first_call(le->m, net);
    *node = c && layer >= 0 ? c->out[layer] : -1;
}

static void expr_tex(const loss_env *le, const cx_expr *e, int i, char *buf, size_t len, int *node)
{
    const cx_node *x = &e->n[i];
    const spec *s = le->s;
    *node = -1;
    if (x->kind == CX_NUMBER) {
        tex_number(x->value, buf, len);
        return;
    }
    int net = spec_find_net(s, x->name);
    if (net >= 0) {
        call_tex(le, e, x, net, buf, len, node);
        return;
    }
    int layer = s->single ? net_find_layer(&s->nets[0], x->name) : -1;
    if (layer >= 0) {   /* a layer of the one net */
        math_symbol sym;
        const net_call *c = net_first_call(le->m, 0);
        source_symbol(s, &s->nets[0], x->name, &sym);
        tex_symbol(&sym, NULL, buf, len);
        *node = c ? c->out[layer] : -1;
        return;
    }
    source_name_tex(s, x->name, buf, len);
    if (strcmp(x->name, "input") == 0 || strcmp(x->name, "data") == 0) *node = le->m->x;
    else if (strcmp(x->name, "target") == 0) *node = le->m->t;
}

/* The LaTeX of call expression text (a spec's: it parsed when the spec loaded); its per-sample
 * shape into *shape when shape is not NULL (ndim -1 when it is not a node of the graph). */
static void text_tex(const loss_env *le, const char *text, char *buf, size_t len, nn_shape *shape)
{
    cx_expr e;
    char err[128];
    int col, node = -1;
    if (cx_parse(text, &e, err, sizeof err, &col) < 0) tex_upright(text, buf, len);
    else expr_tex(le, &e, e.root, buf, len, &node);
    if (shape) {
        if (node >= 0) *shape = per_sample_shape(le->m->g, node);
        else shape->ndim = -1;
    }
}

/* ---- placeholders ------------------------------------------------------------------------------- */
static int values(const loss_env *le) { return le->shape.ndim < 0 ? 1 : (int)nn_shape_numel(&le->shape); }
static int sequence(const loss_env *le) { return le->ls->kind == LOSS_CROSS_ENTROPY && le->shape.ndim == 2; }
static int steps(const loss_env *le) { return sequence(le) ? le->shape.d[0] : 1; }
static int classes(const loss_env *le) { return le->shape.ndim > 0 ? le->shape.d[le->shape.ndim - 1] : 1; }

/* The reduction's factor: the mean over every value (cross_entropy: over the positions, or the
 * kept ones), the sum over a sample averaged over the batch, or the sum. halve: KL's -1/2 in it. */
static void reduction(const loss_env *le, int halve, char *buf, size_t len)
{
    const char *two = halve ? "2 " : "";
    int per = le->ls->kind == LOSS_CROSS_ENTROPY ? steps(le) : values(le);
    if (le->ls->reduce == NN_REDUCE_SUM) snprintf(buf, len, "%s", halve ? "\\frac{1}{2}" : "");
    else if (le->ls->reduce == NN_REDUCE_SUM_PER_SAMPLE || per == 1) snprintf(buf, len, "\\frac{1}{%sN}", two);
    else if (le->ls->kind == LOSS_CROSS_ENTROPY && le->ls->ignore >= 0) snprintf(buf, len, "\\frac{1}{|K|}");
    else snprintf(buf, len, "\\frac{1}{%sN \\cdot %d}", two, per);
}

#define VAR_FN(fn) static void fn(void *ctx, const char *arg, char *buf, size_t len)
#define ENV                                                                                                            \
    loss_env *le = ctx;                                                                                                \
    (void)arg
VAR_FN(var_l) { ENV; snprintf(buf, len, "%s", le->symbol); }
VAR_FN(var_pred) { ENV; snprintf(buf, len, "%s", le->pred); }
VAR_FN(var_target) { ENV; snprintf(buf, len, "%s", le->target); }
VAR_FN(var_mean) { ENV; snprintf(buf, len, "%s", le->mean); }
VAR_FN(var_logvar) { ENV; snprintf(buf, len, "%s", le->logvar); }
VAR_FN(var_critic) { ENV; snprintf(buf, len, "%s", le->critic); }
VAR_FN(var_norm) { ENV; reduction(le, 0, buf, len); }
VAR_FN(var_knorm) { ENV; reduction(le, 1, buf, len); }
VAR_FN(var_nj) { ENV; snprintf(buf, len, "%s", values(le) > 1 ? "nj" : "n"); }
VAR_FN(var_nt) { ENV; snprintf(buf, len, "%s", sequence(le) ? "n,t" : "n"); }
VAR_FN(var_sumj)
{
    ENV;
    if (values(le) > 1) snprintf(buf, len, "\\sum_{j=1}^{%d} ", values(le));
    else buf[0] = 0;
}
VAR_FN(var_sumt)
{
    ENV;
    if (sequence(le)) snprintf(buf, len, "\\sum_{t=1}^{%d} ", steps(le));
    else buf[0] = 0;
}
VAR_FN(var_J) { ENV; tex_number(values(le), buf, len); }
VAR_FN(var_C) { ENV; tex_number(classes(le), buf, len); }
VAR_FN(var_Cm1) { ENV; tex_number(classes(le) - 1, buf, len); }
VAR_FN(var_ign) { ENV; tex_number(le->ls->ignore, buf, len); }
VAR_FN(var_center) { ENV; tex_number(le->ls->center, buf, len); }

static const math_var loss_vars[] = {
    {"l", VAR_TEX, var_l}, {"pred", VAR_TEX, var_pred}, {"target", VAR_TEX, var_target}, {"real", VAR_TEX, var_target},
    {"fake", VAR_TEX, var_pred}, {"mean", VAR_TEX, var_mean}, {"logvar", VAR_TEX, var_logvar},
    {"critic", VAR_TEX, var_critic}, {"norm", VAR_TEX, var_norm}, {"knorm", VAR_TEX, var_knorm}, {"nj", VAR_TEX, var_nj},
    {"nt", VAR_TEX, var_nt}, {"sumj", VAR_TEX, var_sumj}, {"sumt", VAR_TEX, var_sumt}, {"J", VAR_NUMBER, var_J},
    {"C", VAR_NUMBER, var_C}, {"Cm1", VAR_NUMBER, var_Cm1}, {"ign", VAR_NUMBER, var_ign},
    {"center", VAR_NUMBER, var_center},
    {NULL, VAR_TEX, NULL},
};

static unsigned loss_conditions(const loss_env *le)
{
    return (le->ls->kind == LOSS_CROSS_ENTROPY && le->ls->ignore >= 0 ? LC_IGNORE : 0) |
           (le->ls->kind == LOSS_GRADIENT_PENALTY && le->ls->center != 0 ? LC_CENTERED : 0);
}

/* ---- a group ------------------------------------------------------------------------------------ */
static void term_symbol(const loss_spec *ls, char *buf, size_t len)
{
    char name[MATH_NAME_TEX];
    tex_upright(ls->name, name, sizeof name);
    snprintf(buf, len, "\\ell_{%s}", name);
}

/* " + 0.5 \ell_{a}", " - \ell_{b}" (the first without its +) */
static size_t put_weighted(char *buf, size_t len, size_t n, int first, double w, const char *symbol)
{
    char num[64] = "";
    if (w != 1 && w != -1) tex_number(w < 0 ? -w : w, num, sizeof num), strcat(num, " ");
    const char *sign = w < 0 ? (first ? "-" : " - ") : (first ? "" : " + ");
    return n < len ? n + (size_t)snprintf(buf + n, len - n, "%s%s%s", sign, num, symbol) : n;
}

/* The penalties of net n's layers as a sum of weighted norms of their weight tensors into buf
 * (from n's section: the parameters' symbols); its length, 0 when it has none. */
static size_t penalties_tex(const spec *s, const math_section *net, int n, char *buf, size_t len, size_t at)
{
    const model_spec *ns = &s->nets[n];
    size_t k = at;
    for (int li = 0; li < ns->n_layers && ns->n_inputs + li < net->n_blocks; li++) {
        float l1, l2;
        layer_penalties(ns, &ns->layers[li], &l1, &l2);
        const math_block *b = &net->blocks[ns->n_inputs + li];
        for (int p = 0; p < b->n_params && (l1 > 0 || l2 > 0); p++) {
            const math_param *mp = &b->params[p];
            if (mp->shape.ndim < 2 || !mp->trained) continue;
            char term[MATH_SYMBOL_LEN + 32];
            if (l1 > 0) snprintf(term, sizeof term, "\\|%s\\|_{1}", mp->symbol), k = put_weighted(buf, len, k, k == at, l1, term);
            if (l2 > 0) snprintf(term, sizeof term, "\\|%s\\|_{2}^{2}", mp->symbol), k = put_weighted(buf, len, k, k == at, l2, term);
        }
    }
    return k - at;
}

/* The group's total: its terms weighted, plus an \Omega line per net it trains with penalties. */
static int group_total(const spec *s, const model_math *mm, int g, math_block *b, char *err, size_t errlen)
{
    const loss_group *grp = &s->groups[g];
    char rhs[MATH_TEX_LEN], omega[MATH_TEX_LEN];
    size_t n = 0;
    rhs[0] = 0;
    for (int t = 0; t < grp->n_terms; t++) {
        char sym[MATH_SYMBOL_LEN];
        term_symbol(&grp->terms[t], sym, sizeof sym);
        n = put_weighted(rhs, sizeof rhs, n, t == 0, grp->terms[t].weight, sym);
    }
    int penalised = 0;
    for (int net = 0; net < s->n_nets && net < mm->n_sections; net++) {
        if (!group_trains_net(s, g, net)) continue;
        size_t k = penalties_tex(s, &mm->sections[net], net, omega, sizeof omega, 0);
        if (!k) continue;
        char name[MATH_NAME_TEX], lhs[MATH_NAME_TEX + 16];
        tex_upright(s->nets[net].name, name, sizeof name);
        snprintf(lhs, sizeof lhs, "\\Omega_{%s}", name);
        n = put_weighted(rhs, sizeof rhs, n, 0, 1, lhs);
        if (k >= sizeof omega - 1 || block_add_line(b, lhs, "=", omega) < 0) return snprintf(err, errlen, "loss group %s: its penalties do not fit", grp->name), -1;
        penalised++;
    }
    if (n >= sizeof rhs - 1) return snprintf(err, errlen, "loss group %s: its total does not fit", grp->name), -1;
    char lhs[MATH_NAME_TEX + 16], name[MATH_NAME_TEX];
    tex_upright(grp->name, name, sizeof name);
    snprintf(lhs, sizeof lhs, "\\mathcal{L}_{%s}", name);
    if (block_add_line(b, lhs, "=", rhs) < 0) return snprintf(err, errlen, "out of memory"), -1;
    if (penalised) {   /* the total first, then what its penalties are */
        math_line total = b->lines[b->n_lines - 1];
        memmove(b->lines + 1, b->lines, (size_t)(b->n_lines - 1) * sizeof *b->lines);
        b->lines[0] = total;
    }
    return 0;
}

static int term_block(const spec *s, const model_graph *m, const loss_spec *ls, math_block *b, char *err, size_t errlen)
{
    loss_env le = {s, m, ls, "", "", "", "", "", "", {0, {0}}};
    term_symbol(ls, le.symbol, sizeof le.symbol);
    text_tex(&le, ls->pred, le.pred, sizeof le.pred, ls->kind == LOSS_KL_NORMAL ? NULL : &le.shape);
    text_tex(&le, ls->target, le.target, sizeof le.target, NULL);
    if (ls->kind == LOSS_KL_NORMAL) {
        text_tex(&le, ls->mean, le.mean, sizeof le.mean, &le.shape);
        text_tex(&le, ls->logvar, le.logvar, sizeof le.logvar, NULL);
    }
    if (ls->kind == LOSS_GRADIENT_PENALTY) {
        int net = spec_find_net(s, ls->critic);
        if (net >= 0) net_symbol(s, net, le.critic, sizeof le.critic);
    }
    snprintf(b->name, sizeof b->name, "%s", ls->name);
    snprintf(b->what, sizeof b->what, "%s", loss_kind_name(ls->kind));
    snprintf(b->symbol, sizeof b->symbol, "%s", le.symbol);
    b->shape.ndim = -1;
    return block_add_rows(b, loss_math[ls->kind], loss_conditions(&le), 0, loss_vars, &le, err, errlen);
}

/* "Minimised by step critic, 5 times an iteration, updating D." (nothing for a spec of one step) */
static void group_steps_note(const spec *s, int g, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int k = 0; k < s->n_steps && s->n_steps > 1 && n < len; k++) {
        const step_spec *st = &s->steps[k];
        if (st->group != g) continue;
        n += (size_t)snprintf(buf + n, len - n, "%sinimised by step %s", n ? "; m" : "M", st->name);
        if (st->repeat > 1 && n < len) n += (size_t)snprintf(buf + n, len - n, ", %d times an iteration", st->repeat);
        for (int j = 0; j < st->n_nets && n < len; j++)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", j ? ", " : ", updating ", s->nets[st->nets[j]].name);
    }
    if (n && n + 1 < len) snprintf(buf + n, len - n, ".");
}

int loss_group_math(const spec *s, const model_graph *m, const model_math *mm, int g, math_section *sec, char *err,
                    size_t errlen)
{
    const loss_group *grp = &s->groups[g];
    snprintf(sec->title, sizeof sec->title, s->n_groups == 1 ? "%s" : "loss group %s", grp->name);
    sec->blocks = calloc((size_t)grp->n_terms + 1, sizeof *sec->blocks);
    if (!sec->blocks) return snprintf(err, errlen, "out of memory"), -1;
    group_steps_note(s, g, sec->note, sizeof sec->note);
    math_block *total = &sec->blocks[sec->n_blocks++];
    snprintf(total->name, sizeof total->name, "%s", grp->name);
    snprintf(total->what, sizeof total->what, "loss group");
    total->shape.ndim = -1;
    if (group_total(s, mm, g, total, err, errlen) < 0) return -1;
    for (int t = 0; t < grp->n_terms; t++)
        if (term_block(s, m, &grp->terms[t], &sec->blocks[sec->n_blocks++], err, errlen) < 0) return -1;
    return 0;
}

int loss_templates_check(int (*check)(const char *tex, int note, char *err, size_t errlen), char *err, size_t errlen)
{
    for (int k = 0; k < LOSS_KIND_COUNT; k++) {
        math_block b = {0};
        int rc = loss_math[k] ? block_add_rows(&b, loss_math[k], 0, 1, loss_vars, NULL, err, errlen) : -1;
        if (!loss_math[k]) snprintf(err, errlen, "loss kind %s has no equations", loss_kind_name((loss_kind)k));
        for (int i = 0; rc == 0 && i < b.n_lines; i++)
            rc = (check(b.lines[i].lhs, 0, err, errlen) < 0 || check(b.lines[i].rhs, !b.lines[i].rel[0], err, errlen) < 0) ? -1 : 0;
        free(b.lines);
        if (rc < 0) {
            char why[512];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, errlen, "loss kind %s: %s", loss_kind_name((loss_kind)k), why);
            return -1;
        }
    }
    return 0;
}
