/* A spec's program -> one graph: the data sources, every net call the losses, metrics and
 * reports name (memoised: the same call is built once), the parameters, each step's gradients
 * and plans. Layers are built in layer_build.c, loss terms in loss_build.c. */
#include "build_internal.h"
#include "../lang/call_expr.h"
#include "nn/big_alloc.h"
#include "nn/ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sources: the data, its targets, noise ---------------------------------------------- */
static int is_data_name(const char *name) { return strcmp(name, "input") == 0 || strcmp(name, "data") == 0; }

/* The data node takes the declared shape of the first net input bound to it (a single model:
 * its input), so the layers read it as declared; the data's values must fit. */
static int make_data_inputs(model_graph *m, const data_info *di, diag *d)
{
    const spec *s = m->s;
    nn_graph *g = m->g;
    const net_input *first = NULL;
    for (int i = 0; i < s->n_nets && !first; i++)
        for (int k = 0; k < s->nets[i].n_inputs && !first; k++)
            if (is_data_name(s->nets[i].inputs[k].name)) first = &s->nets[i].inputs[k];
    nn_shape per = first ? first->shape : di->sample;
    if (nn_shape_numel(&per) != nn_shape_numel(&di->sample)) {
        char a[64], b[64];
        diag_error_at(d, first->pos.file, first->pos.line, first->pos.col, "%s input %s does not fit the data's samples %s",
                      s->single ? "model" : "net", nn_shape_str(&per, a, sizeof a), nn_shape_str(&di->sample, b, sizeof b));
        return -1;
    }
    nn_shape xs = {per.ndim + 1, {m->batch}};
    for (int i = 0; i < per.ndim; i++) xs.d[i + 1] = per.d[i];
    nn_graph_set_label(g, "input");
    m->x = nn_input(g, xs, "input");
    m->t = m->t_one_hot = -1;
    m->n_classes = di->y_dim == 1 ? di->n_classes : 0;
    if (di->y_dim > 0) {
        nn_graph_set_label(g, "target");
        /* class ids: one per sample (batch), or one per step (batch, steps) for sequences */
        m->t = nn_input(g, di->n_classes > 0 && di->y_dim == 1 ? nn_shape1(m->batch) : nn_shape2(m->batch, di->y_dim),
                        "target");
        if (di->n_classes > 0) g->nodes[m->t].no_grad = 1;
    }
    g->nodes[m->x].no_grad = 0;
    return 0;
}

/* A noise input: N(0, I) of the shape its first declaring net gives it, one node per graph,
 * drawn from the run's noise stream at every run (also in evaluation). */
static int noise_source(model_graph *m, const char *name)
{
    for (int i = 0; i < m->n_noise; i++)
        if (strcmp(m->noise[i].name, name) == 0) return m->noise[i].node;
    const spec *s = m->s;
    for (int i = 0; i < s->n_nets; i++)
        for (int k = 0; k < s->nets[i].n_inputs; k++) {
            const net_input *in = &s->nets[i].inputs[k];
            if (strcmp(in->name, name) != 0) continue;
            nn_shape sh = {in->shape.ndim + 1, {m->batch}};
            for (int j = 0; j < in->shape.ndim; j++) sh.d[j + 1] = in->shape.d[j];
            nn_graph_set_label(m->g, name);
            int node = nn_gaussian_noise(m->g, nn_const(m->g, sh, 0.0f), 1.0f, 1);
            if (m->n_noise < (int)(sizeof m->noise / sizeof *m->noise)) {
                snprintf(m->noise[m->n_noise].name, SPEC_NAME_LEN, "%s", name);
                m->noise[m->n_noise++].node = node;
            }
            return node;
        }
    return -1;
}

static int is_target_name(const char *name) { return strcmp(name, "target") == 0 || strcmp(name, "label") == 0; }

/* The targets, for an input declared `in` (NULL: named in an expression). Class ids bound to
 * an input of as many values as there are classes arrive one-hot (a conditional GAN's label),
 * one node per graph. */
static int target_source(model_graph *m, const char *name, const net_input *in, spec_pos at, diag *d)
{
    if (m->t < 0) {
        diag_error_at(d, at.file, at.line, at.col, "'%s' is used but this dataset has no targets", name);
        return -1;
    }
    int one_hot = in && in->shape.ndim == 1 && m->n_classes > 1 && in->shape.d[0] == m->n_classes &&
                  m->g->nodes[m->t].shape.ndim == 1;
    if (!one_hot) return m->t;
    if (m->t_one_hot < 0) {
        nn_graph_set_label(m->g, "target one-hot");
        m->t_one_hot = nn_one_hot(m->g, m->t, m->n_classes);
    }
    return m->t_one_hot;
}

/* A source by name: the data, its targets, or noise; `in` is the net input it is bound to, or
 * NULL. */
static int source(model_graph *m, const char *name, const net_input *in, spec_pos at, diag *d)
{
    if (is_data_name(name)) return m->x;
    if (is_target_name(name)) return target_source(m, name, in, at, d);
    return noise_source(m, name);
}

/* ---- calls -------------------------------------------------------------------------------- */
char *sample_shape_str(const nn_graph *g, int node, char *buf, size_t len)
{
    nn_shape s = g->nodes[node].shape;
    for (int i = 1; i < s.ndim; i++) s.d[i - 1] = s.d[i];
    s.ndim--;
    return nn_shape_str(&s, buf, len);
}

/* Fits node to input k of net (per-sample values must agree; the shape is the declared one). */
static int bind_input(model_graph *m, const model_spec *net, int k, int node, spec_pos at, diag *d)
{
    nn_graph *g = m->g;
    const net_input *in = &net->inputs[k];
    nn_shape want = {in->shape.ndim + 1, {m->batch}};
    for (int i = 0; i < in->shape.ndim; i++) want.d[i + 1] = in->shape.d[i];
    if (nn_shape_eq(&g->nodes[node].shape, &want)) return node;
    if (nn_numel(g, node) == nn_shape_numel(&want)) return nn_reshape(g, node, want);
    char a[64], b[64];
    diag_error_at(d, at.file, at.line, at.col, "%s called on %s but its input '%s' is %s", net->name,
                  sample_shape_str(g, node, a, sizeof a), in->name, nn_shape_str(&in->shape, b, sizeof b));
    return -1;
}

static int new_call(model_graph *m, int net, const int *in)
{
    if (m->n_calls == m->cap_calls) {
        int cap = m->cap_calls ? 2 * m->cap_calls : 8;
        net_call *c = realloc(m->calls, (size_t)cap * sizeof *c);
        if (!c) return -1;
        m->calls = c;
        m->cap_calls = cap;
    }
    int L = m->s->nets[net].n_layers;
    net_call *c = &m->calls[m->n_calls];
    memset(c, 0, sizeof *c);
    c->net = net;
    memcpy(c->in, in, sizeof c->in);
    c->out = malloc((size_t)L * sizeof(int));
    c->weight = malloc((size_t)L * sizeof(int));
    c->bias = malloc((size_t)L * sizeof(int));
    if (!c->out || !c->weight || !c->bias) {
        free(c->out), free(c->weight), free(c->bias);
        return -1;
    }
    for (int i = 0; i < L; i++) c->out[i] = c->weight[i] = c->bias[i] = -1;
    return m->n_calls++;
}

/* The call of net on the bound input nodes (one per declared input): built once, then reused. */
static int call_net(model_graph *m, int net, const int *in, diag *d)
{
    for (int i = 0; i < m->n_calls; i++)
        if (m->calls[i].net == net && memcmp(m->calls[i].in, in, sizeof m->calls[i].in) == 0) return i;
    int ci = new_call(m, net, in);
    if (ci < 0) return nn_graph_fail(m->g, "out of memory");
    const model_spec *ns = &m->s->nets[net];
    call_ctx c = {m, ns, net, ci, d};
    m->nets[net].cursor = 0;
    m->calls[ci].first_node = m->g->n;
    for (int i = 0; i < ns->n_layers; i++) {
        char label[NN_LABEL_LEN];
        nn_graph_set_label(m->g, model_layer_label(m->s, net, i, label, sizeof label));
        int y = layer_build(&c, i);
        if (y < 0) return -1;
        m->calls[ci].out[i] = y;
    }
    m->calls[ci].end_node = m->g->n;
    m->nets[net].created = 1;
    return ci;
}

static int resolve_node(model_graph *m, const cx_expr *e, int i, spec_pos at, int like, diag *d);

int call_net_on(model_graph *m, int net, const int *args, int n_args, spec_pos at, diag *d)
{
    const model_spec *ns = &m->s->nets[net];
    int in[SPEC_MAX_NET_INPUTS] = {-1, -1, -1, -1};
    for (int k = 0; k < ns->n_inputs; k++) {
        int node = k < n_args ? args[k] : source(m, ns->inputs[k].name, &ns->inputs[k], at, d);
        if (node < 0) return -1;
        if ((in[k] = bind_input(m, ns, k, node, at, d)) < 0) return -1;
    }
    return call_net(m, net, in, d);
}

/* net(args...) with missing trailing inputs bound by name; the call's last layer, or `layer`. */
static int resolve_call(model_graph *m, const cx_expr *e, const cx_node *x, int net, spec_pos at, diag *d)
{
    const model_spec *ns = &m->s->nets[net];
    int args[SPEC_MAX_NET_INPUTS];
    for (int k = 0; k < x->n_args && k < ns->n_inputs; k++)
        if ((args[k] = resolve_node(m, e, x->args[k], at, -1, d)) < 0) return -1;
    int ci = call_net_on(m, net, args, x->n_args < ns->n_inputs ? x->n_args : ns->n_inputs,
                         (spec_pos){at.file, at.line, at.col + x->col}, d);
    if (ci < 0) return -1;
    int li = x->layer[0] ? net_find_layer(ns, x->layer) : ns->n_layers - 1;
    return li < 0 ? -1 : m->calls[ci].out[li];
}

static int resolve_node(model_graph *m, const cx_expr *e, int i, spec_pos at, int like, diag *d)
{
    const cx_node *x = &e->n[i];
    spec_pos here = {at.file, at.line, at.col + x->col};
    if (x->kind == CX_NUMBER) {
        if (like < 0) {
            diag_error_at(d, here.file, here.line, here.col, "a number stands for a constant of the other operand's shape; "
                                                             "it cannot be the prediction");
            return -1;
        }
        return nn_const(m->g, m->g->nodes[like].shape, (float)x->value);   /* labelled as the term it serves */
    }
    int net = spec_find_net(m->s, x->name);
    if (net >= 0) return resolve_call(m, e, x, net, at, d);
    if (m->s->single && x->kind == CX_REF && spec_find_layer(m->s, x->name) >= 0) {   /* a layer of the model */
        cx_node as_layer = {.kind = CX_REF, .col = x->col};
        snprintf(as_layer.name, sizeof as_layer.name, "%s", m->s->nets[0].name);
        snprintf(as_layer.layer, sizeof as_layer.layer, "%s", x->name);
        return resolve_call(m, e, &as_layer, 0, at, d);
    }
    int node = source(m, x->name, NULL, here, d);
    if (node < 0 && !is_target_name(x->name))   /* (a missing target reports itself) */
        diag_error_at(d, here.file, here.line, here.col, "unknown name '%s'", x->name);
    return node;
}

int resolve_expr(model_graph *m, const char *text, spec_pos at, int like, diag *d)
{
    cx_expr e;
    char err[128];
    int col;
    if (cx_parse(text, &e, err, sizeof err, &col) < 0) {
        diag_error_at(d, at.file, at.line, at.col + col, "'%s': %s", text, err);
        return -1;
    }
    return resolve_node(m, &e, e.root, at, like, d);
}

int model_resolve(model_graph *m, const char *expr, spec_pos at, diag *d) { return resolve_expr(m, expr, at, -1, d); }

/* ---- losses, metrics ------------------------------------------------------------------------ */
/* Does a step minimising group gi update net n? Then n's weight penalties join the group. */
int group_trains_net(const spec *s, int gi, int n)
{
    for (int k = 0; k < s->n_steps; k++)
        if (s->steps[k].group == gi)
            for (int j = 0; j < s->steps[k].n_nets; j++)
                if (s->steps[k].nets[j] == n) return 1;
    return 0;
}

const char *model_layer_label(const spec *s, int net, int layer, char *buf, size_t len)
{
    const model_spec *ns = &s->nets[net];
    if (s->single) snprintf(buf, len, "%s", ns->layers[layer].name);
    else snprintf(buf, len, "%.20s.%.40s", ns->name, ns->layers[layer].name);
    return buf;
}

int model_first_call(const model_graph *m, int net)
{
    for (int i = 0; i < m->n_calls; i++)
        if (m->calls[i].net == net) return i;
    return -1;
}

static int build_groups(model_graph *m, diag *d)
{
    const spec *s = m->s;
    nn_graph *g = m->g;
    for (int gi = 0; gi < s->n_groups; gi++) {
        const loss_group *grp = &s->groups[gi];
        char label[SPEC_NAME_LEN + 8];
        snprintf(label, sizeof label, s->single ? "loss" : "loss %s", grp->name);
        nn_graph_set_label(g, label);
        int loss = -1;
        for (int k = 0; k < grp->n_terms; k++) {
            int v = loss_term_build(m, &grp->terms[k], &m->term_check[gi][k], d);
            if (v < 0) return -1;
            nn_graph_set_label(g, label);
            m->loss_terms[gi][k] = v;
            loss = loss < 0 ? v : nn_add(g, loss, v);
        }
        for (int n = 0; n < s->n_nets && loss >= 0; n++) {
            int first = model_first_call(m, n);
            if (first >= 0 && group_trains_net(s, gi, n)) loss = add_penalties(m, &s->nets[n], &m->calls[first], loss);
        }
        if (loss < 0) return -1;
        m->group_loss[gi] = loss;
    }
    m->loss = m->group_loss[0];
    return 0;
}

/* metrics read the chosen layer (default: the first loss' prediction) against its target */
static void build_metrics(model_graph *m, diag *d)
{
    const spec *s = m->s;
    const loss_spec *first = spec_first_loss(s);
    const char *mp = s->train.metric_pred[0] ? s->train.metric_pred : first->pred;
    m->metric_pred = mp[0] ? resolve_expr(m, mp, first->pred_pos, -1, d) : -1;
    m->metric_target = -1;
    m->metric_ignore = first->kind == LOSS_CROSS_ENTROPY ? first->ignore : -1;
    if (m->metric_pred >= 0 && first->target[0] && first->kind != LOSS_KL_NORMAL)
        m->metric_target = resolve_expr(m, first->target, first->target_pos, m->metric_pred, d);
}

/* every layer a figure names exists in every graph, so every graph makes the same calls (and
 * creates the parameters in the same order) */
static void build_report_calls(model_graph *m, diag *d)
{
    const spec *s = m->s;
    for (int k = 0; k < s->n_reports; k++) {
        const report_spec *r = &s->reports[k];
        if (r->layer[0]) resolve_expr(m, r->layer, r->pos, -1, d);
        if (r->of[0]) resolve_expr(m, r->of, r->pos, -1, d);
        if (r->from[0]) resolve_expr(m, r->from, r->pos, -1, d);
        for (int j = 0; j < r->n_layers; j++) resolve_expr(m, r->layers[j], r->pos, -1, d);
    }
}

/* ---- parameters and gradients -------------------------------------------------------------- */
static int collect_params(model_graph *m)
{
    nn_graph *g = m->g;
    m->params = malloc((size_t)(g->n ? g->n : 1) * sizeof(int));
    if (!m->params) return -1;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_PARAM) m->params[m->n_params++] = i;
    return 0;
}

static int initialise(model_graph *m, nn_rng *r, diag *d)
{
    for (int n = 0; n < m->s->n_nets; n++) {
        int first = model_first_call(m, n);
        if (first >= 0 && net_initialise(&m->s->nets[n], m->g, &m->calls[first], r, d) < 0) return -1;
    }
    return 0;
}

static int param_of_net(const model_graph *m, int id, int net)
{
    const net_params *np = &m->nets[net];
    for (int k = 0; k < np->n; k++)
        if (np->ids[k] == id) return 1;
    return 0;
}

/* A step's parameters: those of the nets it updates, in creation order. */
static int step_params(model_graph *m, const step_spec *st, step_graph *sg)
{
    nn_graph *g = m->g;
    sg->params = malloc((size_t)(m->n_params ? m->n_params : 1) * sizeof(int));
    if (!sg->params) return -1;
    for (int k = 0; k < m->n_params; k++) {
        int in = 0;
        for (int j = 0; j < st->n_nets && !in; j++) in = param_of_net(m, m->params[k], st->nets[j]);
        if (!in) continue;
        sg->params[sg->n_params++] = m->params[k];
        sg->n_grad_floats += nn_numel(g, m->params[k]);
    }
    return 0;
}

/* Points every gradient node at its slice of the step's gradient block. */
static void bind_gradients(model_graph *m, step_graph *sg, const int *grads)
{
    nn_graph *g = m->g;
    size_t off = 0;
    for (int k = 0; k < sg->n_params; k++) {
        size_t n = nn_numel(g, sg->params[k]);
        int gk = grads[k];
        if (gk >= 0 && (g->nodes[gk].kind != NN_NODE_OP || g->nodes[gk].bound)) gk = nn_affine(g, gk, 1.0f, 0.0f);
        if (gk >= 0) nn_node_bind(g, gk, sg->grad_block + off);
        else memset(sg->grad_block + off, 0, n * sizeof(float));
        sg->grad_nodes[k] = gk;
        off += n;
    }
}

static int build_step_gradients(model_graph *m, const model_graph *from, diag *d)
{
    const spec *s = m->s;
    nn_graph *g = m->g;
    m->n_steps = s->n_steps;
    m->owns_grads = from == NULL || !from->training;
    for (int k = 0; k < s->n_steps; k++) {
        step_graph *sg = &m->steps[k];
        if (step_params(m, &s->steps[k], sg) < 0) return -1;
        int *grads = malloc((size_t)(sg->n_params ? sg->n_params : 1) * sizeof(int));
        if (!grads) return -1;
        nn_graph_set_label(g, "gradient");
        if (nn_grad(g, m->group_loss[s->steps[k].group], sg->params, sg->n_params, grads) < 0) {
            diag_error_at(d, s->file, 1, 1, "building gradients: %s", g->err);
            free(grads);
            return -1;
        }
        sg->grad_block = m->owns_grads ? nn_big_calloc(sg->n_grad_floats ? sg->n_grad_floats : 1, sizeof(float))
                                       : from->steps[k].grad_block;
        sg->grad_nodes = malloc((size_t)(sg->n_params ? sg->n_params : 1) * sizeof(int));
        if (!sg->grad_block || !sg->grad_nodes) {
            free(grads);
            return -1;
        }
        bind_gradients(m, sg, grads);
        free(grads);
    }
    return 0;
}

/* ---- plans --------------------------------------------------------------------------------- */
void mark_ancestors(const nn_graph *g, int root, char *mark)
{
    memset(mark, 0, (size_t)g->n);
    mark[root] = 1;
    for (int i = root; i >= 0; i--) {
        if (!mark[i] || g->nodes[i].kind != NN_NODE_OP) continue;
        for (int k = 0; k < g->nodes[i].n_in; k++) mark[g->nodes[i].in[k]] = 1;
    }
}

/* What a run reads of group gi besides its total: each term's value and the logits of the
 * terms scored for accuracy. Returns how many nodes it put into out. */
static int group_outputs(const model_graph *m, int gi, int *out)
{
    int n = 0;
    for (int k = 0; k < m->s->groups[gi].n_terms; k++) {
        out[n++] = m->loss_terms[gi][k];
        if (m->term_check[gi][k].pred >= 0) out[n++] = m->term_check[gi][k].pred;
    }
    return n;
}

int step_targets_cap(const model_graph *m, int k) { return 4 + 2 * SPEC_MAX_LOSSES + m->n_side_effects + m->steps[k].n_params; }

int step_targets(const model_graph *m, int k, const char *skip, int *t)
{
    nn_graph *g = m->g;
    const step_spec *st = &m->s->steps[k];
    const step_graph *sg = &m->steps[k];
    int loss = m->group_loss[st->group], n = 0;
    char *used = calloc((size_t)g->n, 1);
    if (!used) return -1;
    t[n++] = loss;
    n += group_outputs(m, st->group, t + n);
    if (st->group == 0 && m->metric_pred >= 0) t[n++] = m->metric_pred;
    if (st->group == 0 && m->metric_target >= 0) t[n++] = m->metric_target;
    mark_ancestors(g, loss, used);
    for (int i = 0; i < m->n_side_effects; i++) {
        const net_call *c = &m->calls[m->side_effect_call[i]];
        int run = 0;
        for (int j = c->first_node; j < c->end_node && !run; j++) run = used[j] && g->nodes[j].kind == NN_NODE_OP;   /* not its parameters */
        if (run && !(skip && skip[m->side_effects[i]])) t[n++] = m->side_effects[i];
    }
    for (int i = 0; i < sg->n_params; i++)
        if (sg->grad_nodes[i] >= 0) t[n++] = sg->grad_nodes[i];
    free(used);
    return n;
}

/* A step runs its group's loss, its bound gradients, the metric when its group is the first,
 * and the running statistics of the calls its loss uses. */
int plan_step(model_graph *m, int k)
{
    step_graph *sg = &m->steps[k];
    int *t = malloc((size_t)step_targets_cap(m, k) * sizeof *t), n = t ? step_targets(m, k, NULL, t) : -1;
    if (n < 0) {
        free(t);
        return -1;
    }
    char *used = calloc((size_t)m->g->n, 1);
    if (used) {
        mark_ancestors(m->g, t[0], used);
        sg->reads_data = used[m->x] || (m->t >= 0 && used[m->t]);
    }
    nn_plan_free(sg->plan);
    sg->plan = used ? nn_plan_create(m->g, t, n) : NULL;
    free(t);
    free(used);
    return sg->plan ? 0 : -1;
}

int model_plan(model_graph *m, const int *extra, int n_extra)
{
    int cap = SPEC_MAX_GROUPS * (1 + 2 * SPEC_MAX_LOSSES) + 2 + n_extra + m->n_side_effects;
    int *t = malloc((size_t)cap * sizeof *t), n = 0;
    if (!t) return -1;
    for (int gi = 0; gi < m->s->n_groups; gi++) {
        t[n++] = m->group_loss[gi];
        n += group_outputs(m, gi, t + n);
    }
    if (m->metric_pred >= 0) t[n++] = m->metric_pred;
    if (m->metric_target >= 0) t[n++] = m->metric_target;
    for (int i = 0; i < n_extra; i++) t[n++] = extra[i];
    if (!m->training)
        for (int i = 0; i < m->n_side_effects; i++) t[n++] = m->side_effects[i];
    nn_plan_free(m->plan);
    m->plan = nn_plan_create(m->g, t, n);
    free(t);
    return m->plan ? 0 : -1;
}

/* ---- the whole build ------------------------------------------------------------------------ */
model_graph *model_build(const spec *s, const data_info *di, int batch, int training, const model_graph *params_from,
                         nn_rng *init_rng, diag *d)
{
    if (!s->n_nets) {   /* every command that runs a network comes here */
        diag_error_at(d, s->file, 1, 1, "a data study (no 'model:' or 'nets:'): there is no network to build or run");
        return NULL;
    }
    int before = diag_count(d);
    model_graph *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->s = s;
    m->batch = batch;
    m->training = training;
    m->metric_pred = m->metric_target = m->metric_ignore = -1;
    m->g = nn_graph_new(s->seed);
    if (!m->g) goto fail;
    nn_graph *g = m->g;
    g->training = training;
    if (make_data_inputs(m, di, d) < 0 || build_groups(m, d) < 0) goto fail;
    build_metrics(m, d);
    build_report_calls(m, d);
    if (diag_count(d) > before) goto fail;
    int first = model_first_call(m, 0);
    if (first >= 0) {
        m->out = m->calls[first].out;
        m->weight = m->calls[first].weight;
        m->bias = m->calls[first].bias;
    }

    /* parameters: shared with an earlier graph, or laid out and initialised here */
    if (collect_params(m) < 0) goto fail;
    if (params_from ? nn_graph_share_params(g, params_from->g) : nn_graph_alloc_params(g)) {
        diag_error_at(d, s->file, 1, 1, "%s", g->err);
        goto fail;
    }
    if (!params_from && initialise(m, init_rng, d) < 0) goto fail;
    if (training && build_step_gradients(m, params_from, d) < 0) goto fail;
    for (int k = 0; training && k < m->n_steps; k++)
        if (plan_step(m, k) < 0) goto fail;
    if (training && plan_carries(m) < 0) goto fail;
    if (diag_count(d) > before || model_plan(m, NULL, 0) < 0) goto fail;
    nn_plan *plans[2 * SPEC_MAX_STEPS];   /* steps run one after another: one arena for all */
    int n_plans = 0;
    for (int k = 0; k < m->n_steps; k++) {
        plans[n_plans++] = m->steps[k].plan;
        if (m->steps[k].carry_plan) plans[n_plans++] = m->steps[k].carry_plan;
    }
    if (nn_plans_share_arena(plans, n_plans) < 0) goto fail;
    return m;
fail:
    if (m->g && m->g->err[0] && diag_count(d) == before) diag_error_at(d, s->file, 1, 1, "%s", m->g->err);
    model_free(m);
    return NULL;
}

int model_plan_only(model_graph *m, int node)
{
    nn_plan_free(m->plan);
    m->plan = nn_plan_create(m->g, &node, 1);
    return m->plan ? 0 : -1;
}

int model_start_at(model_graph *m, int layer, int output, char *err, size_t errlen)
{
    if (output <= layer) {
        snprintf(err, errlen, "the output layer must come after the layer decoded from");
        return -1;
    }
    return model_start_at_node(m, m->out[layer], m->out[output], err, errlen);
}

int model_start_at_node(model_graph *m, int id, int target, char *err, size_t errlen)
{
    nn_graph *g = m->g;
    if (id >= target) {
        snprintf(err, errlen, "the output layer must come after the layer decoded from");
        return -1;
    }
    if (g->nodes[id].kind != NN_NODE_OP) {
        snprintf(err, errlen, "this layer cannot be fed directly");
        return -1;
    }
    nn_node *n = &g->nodes[id];
    n->owned = calloc(nn_shape_numel(&n->shape), sizeof(float));
    if (!n->owned) return -1;
    n->kind = NN_NODE_INPUT;      /* its value now comes from the caller, not from the layers before */
    n->data = n->owned;
    nn_plan_free(m->plan);
    m->plan = nn_plan_create(g, &target, 1);
    if (!m->plan) return -1;
    /* a layer after it reading a layer or an input (the data, noise) from before it: a skip
     * connection (parameters and constants hold their own values) */
    for (int t = 0; t < m->plan->n; t++) {
        const nn_node *op = &g->nodes[m->plan->order[t]];
        for (int k = 0; k < op->n_in && m->plan->order[t] > id; k++) {
            const nn_node *src = &g->nodes[op->in[k]];
            if (op->in[k] >= id || src->kind == NN_NODE_PARAM || src->kind == NN_NODE_CONST) continue;
            snprintf(err, errlen, "layer '%s' after the decoded layer reads '%s', which comes before it (a skip connection); "
                                  "decode from a later layer", op->label, src->label);
            return -1;
        }
    }
    return 0;
}

void model_set_eval_sampling(model_graph *m, int on)
{
    for (int i = 0; i < m->n_eval_samplers; i++) m->g->nodes[m->eval_samplers[i]].a.i[0] = on;
}

void model_feed(model_graph *m, const float *x, const float *y, int nrows)
{
    nn_graph *g = m->g;
    size_t xn = nn_numel(g, m->x) / (size_t)m->batch;
    memcpy(nn_data(g, m->x), x, (size_t)nrows * xn * sizeof(float));
    if (m->t >= 0 && y) {
        size_t yn = nn_numel(g, m->t) / (size_t)m->batch;
        memcpy(nn_data(g, m->t), y, (size_t)nrows * yn * sizeof(float));
    }
}

void model_free(model_graph *m)
{
    if (!m) return;
    nn_plan_free(m->plan);
    free(m->carry_block);
    for (int k = 0; k < m->n_steps; k++) {
        nn_plan_free(m->steps[k].plan);
        nn_plan_free(m->steps[k].carry_plan);
        if (m->owns_grads) free(m->steps[k].grad_block);
        free(m->steps[k].params);
        free(m->steps[k].grad_nodes);
    }
    nn_graph_free(m->g);
    for (int i = 0; i < m->n_calls; i++) {
        free(m->calls[i].out);
        free(m->calls[i].weight);
        free(m->calls[i].bias);
    }
    free(m->calls);
    for (int n = 0; n < SPEC_MAX_NETS; n++) free(m->nets[n].ids);
    free(m->params);
    free(m->side_effects);
    free(m->side_effect_call);
    free(m);
}
