/* Loss terms: each kind of term as graph ops over the nodes its call expressions name (one
 * builder per loss_kind, in a table), and the L1/L2 weight penalties a net adds to the groups
 * that train it. */
#include "build_internal.h"
#include "nn/ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An error at a spec position (d: the builder's diag), as the builder's -1. */
#define ERROR_AT(at, ...) (diag_error_at(d, (at).file, (at).line, (at).col, __VA_ARGS__), -1)

/* A target compared with pred: same shape, or the same values per sample (input images vs
 * a flat reconstruction) — then reshaped to pred's shape. */
static int match_target(nn_graph *g, int pred, int t, const char *loss, const char *pred_name, const char *t_name)
{
    if (nn_shape_eq(&g->nodes[pred].shape, &g->nodes[t].shape)) return t;
    if (nn_numel(g, pred) == nn_numel(g, t)) return nn_reshape(g, t, g->nodes[pred].shape);
    char a[64], b[64];
    return nn_graph_fail(g, "%s compares '%s' %s with '%s' %s: the shapes do not match", loss, pred_name,
                         nn_shape_str(&g->nodes[pred].shape, a, sizeof a), t_name,
                         nn_shape_str(&g->nodes[t].shape, b, sizeof b));
}

/* KL(N(mu, sigma^2) || N(0, 1)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), reduced */
static int kl_normal_term(model_graph *m, const loss_spec *ls, diag *d)
{
    nn_graph *g = m->g;
    int mean = resolve_expr(m, ls->mean, ls->pred_pos, -1, d);
    int logvar = resolve_expr(m, ls->logvar, ls->target_pos, mean, d);
    if (mean < 0 || logvar < 0) return -1;
    int inner = nn_sub(g, nn_sub(g, nn_affine(g, logvar, 1.0f, 1.0f), nn_square(g, mean)), nn_exp(g, logvar));
    float scale = ls->reduce == NN_REDUCE_SUM ? -0.5f
                : ls->reduce == NN_REDUCE_MEAN ? -0.5f / (float)nn_numel(g, mean)
                                               : -0.5f / (float)m->batch;
    return nn_affine(g, nn_sum(g, inner), scale, 0.0f);
}

/* logits (N, C) against one class id per sample, or (N, T, C) against one per step */
static int cross_entropy_term(model_graph *m, const loss_spec *ls, int pred, int t, diag *d)
{
    nn_graph *g = m->g;
    const nn_shape *ps = &g->nodes[pred].shape;
    char a[64];
    if (ps->ndim != 2 && ps->ndim != 3)
        return ERROR_AT(ls->pred_pos, "cross_entropy needs logits of shape [batch, classes] or [batch, steps, classes], '%s' is %s",
                        ls->pred, nn_shape_str(ps, a, sizeof a));
    nn_shape ls_shape = *ps;
    ls_shape.ndim--;
    if (nn_numel(g, t) != nn_shape_numel(&ls_shape))
        return ERROR_AT(ls->target_pos, "cross_entropy needs one class id per %s as target",
                        ps->ndim == 2 ? "sample" : "step (targets [steps] per sample)");
    int classes = ps->d[ps->ndim - 1];
    if (t == m->t && (m->label_classes == 0 || classes < m->label_classes)) m->label_classes = classes;
    return nn_cross_entropy_ext(g, pred, nn_reshape(g, t, ls_shape), ls->reduce, ls->ignore);
}

/* pred against target: mse, l1, bce_with_logits, cross_entropy */
static int pair_term(model_graph *m, const loss_spec *ls, diag *d)
{
    nn_graph *g = m->g;
    int pred = resolve_expr(m, ls->pred, ls->pred_pos, -1, d);
    int t = pred < 0 ? -1 : resolve_expr(m, ls->target, ls->target_pos, pred, d);
    if (pred < 0 || t < 0) return -1;
    if (ls->kind == LOSS_CROSS_ENTROPY) return cross_entropy_term(m, ls, pred, t, d);
    t = match_target(g, pred, t, loss_kind_name(ls->kind), ls->pred, ls->target);
    if (t < 0) return -1;   /* g->err says why: reported at the term */
    return ls->kind == LOSS_MSE ? nn_mse(g, pred, t, ls->reduce)
         : ls->kind == LOSS_L1  ? nn_l1(g, pred, t, ls->reduce)
                                : nn_bce_with_logits(g, pred, t, ls->reduce);
}

/* mean: pred (any shape) -> (1), its mean over all elements */
static int mean_term(model_graph *m, const loss_spec *ls, diag *d)
{
    int pred = resolve_expr(m, ls->pred, ls->pred_pos, -1, d);
    return pred < 0 ? -1 : nn_mean(m->g, pred);
}

/* gradient_penalty: mean over the batch of (||d critic(x_hat) / d x_hat||_2 - center)^2,
 *   real, fake (B, ...) -> a (B, 1, ..., 1) ~ U[0, 1), one per sample, drawn at every run (also
 *   in evaluation) -> x_hat = fake + a (real - fake) (B, ...) -> critic(x_hat) (B, 1), a new
 *   call of the critic sharing its weights -> its gradient (B, ...) by nn_grad, a graph itself,
 *   so a step's gradient with respect to the critic's weights runs through it (exact second
 *   order) -> per-sample norms (B) -> (1).
 * The gradient of sum(critic(x_hat)) is each sample's own gradient as long as the critic treats
 * samples apart (no batch norm). A tiny 1e-12 under the square root keeps the norm's gradient
 * finite where the critic's gradient vanishes (sqrt'(0) is infinite). */
static int gradient_penalty_term(model_graph *m, const loss_spec *ls, diag *d)
{
    nn_graph *g = m->g;
    char a[64], b[64];
    int net = spec_find_net(m->s, ls->critic);
    if (net < 0) return ERROR_AT(ls->critic_pos, "gradient_penalty: critic '%s' is not a net", ls->critic);
    int real = resolve_expr(m, ls->target, ls->target_pos, -1, d);
    int fake = real < 0 ? -1 : resolve_expr(m, ls->pred, ls->pred_pos, -1, d);
    if (real < 0 || fake < 0) return -1;
    const nn_shape *rs = &g->nodes[real].shape;
    if (!nn_shape_eq(rs, &g->nodes[fake].shape)) {
        if (nn_numel(g, real) != nn_numel(g, fake))
            return ERROR_AT(ls->pos, "gradient_penalty interpolates between real '%s' %s and fake '%s' %s: the shapes differ",
                            ls->target, sample_shape_str(g, real, a, sizeof a), ls->pred,
                            sample_shape_str(g, fake, b, sizeof b));
        fake = nn_reshape(g, fake, *rs);   /* the same values per sample: real's layout */
    }
    char label[NN_LABEL_LEN];
    snprintf(label, sizeof label, "%s", g->cur_label);
    nn_shape per_sample = {rs->ndim, {rs->d[0]}};
    for (int i = 1; i < rs->ndim; i++) per_sample.d[i] = 1;
    int alpha = nn_uniform_noise(g, nn_const(g, per_sample, 0.0f), 0.0f, 1.0f, 1);
    int x_hat = nn_add(g, fake, nn_mul(g, alpha, nn_sub(g, real, fake)));
    if (x_hat < 0) return -1;
    int ci = call_net_on(m, net, &x_hat, 1, ls->critic_pos, d);
    if (ci < 0) return -1;
    int score = m->calls[ci].out[m->s->nets[net].n_layers - 1], grad;
    if (nn_grad(g, nn_sum(g, score), &x_hat, 1, &grad) < 0) return -1;
    nn_graph_set_label(g, label);   /* the call and its gradient carry the critic's layers */
    if (grad < 0)
        return ERROR_AT(ls->critic_pos, "gradient_penalty: the output of critic '%s' does not depend on its input", ls->critic);
    int norm = nn_sqrt(g, nn_affine(g, nn_sum_rows(g, nn_square(g, grad)), 1.0f, 1e-12f));
    return nn_mean(g, nn_square(g, nn_affine(g, norm, 1.0f, -ls->center)));
}

typedef int (*term_builder)(model_graph *m, const loss_spec *ls, diag *d);
static const term_builder term_builders[LOSS_KIND_COUNT] = {
    [LOSS_MSE] = pair_term, [LOSS_L1] = pair_term, [LOSS_BCE_LOGITS] = pair_term, [LOSS_CROSS_ENTROPY] = pair_term,
    [LOSS_KL_NORMAL] = kl_normal_term, [LOSS_MEAN] = mean_term, [LOSS_GRADIENT_PENALTY] = gradient_penalty_term,
};

/* A number written as the target ("1", "0.9"): its value. */
static int constant_target(const char *text, float *v)
{
    char *end;
    double x = strtod(text, &end);
    if (end == text || *end) return 0;
    *v = (float)x;
    return 1;
}

int loss_term_build(model_graph *m, const loss_spec *ls, term_check *check, diag *d)
{
    nn_graph *g = m->g;
    int before = diag_count(d);
    int v = term_builders[ls->kind](m, ls, d);
    check->pred = -1;   /* the same expression again: the node just built (calls are memoised) */
    if (v >= 0 && ls->kind == LOSS_BCE_LOGITS && constant_target(ls->target, &check->target))
        check->pred = resolve_expr(m, ls->pred, ls->pred_pos, -1, d);
    if (v >= 0 && ls->weight != 1.0f) v = nn_affine(g, v, ls->weight, 0.0f);
    if (v < 0 && diag_count(d) == before) {   /* an op refused: g->err says why */
        diag_error_at(d, ls->pos.file, ls->pos.line, ls->pos.col, "%s", g->err[0] ? g->err : "cannot build this loss term");
        g->err[0] = 0;
    }
    return v;
}

/* L1/L2 penalties lambda1 * sum|W| + lambda2 * sum W^2: the model's l1, l2 on every dense
 * layer's weight; a layer's own on each of its weight tensors (2-D or more: not biases, norms). */
void layer_penalties(const model_spec *net, const layer_spec *l, float *l1, float *l2)
{
    int dense = l->kind == LY_DENSE;
    *l1 = l->l1 >= 0 ? l->l1 : dense ? net->l1 : 0;
    *l2 = l->l2 >= 0 ? l->l2 : dense ? net->l2 : 0;
}

int add_penalties(model_graph *m, const model_spec *net, const net_call *first, int loss)
{
    nn_graph *g = m->g;
    for (int i = 0; i < net->n_layers && loss >= 0; i++) {
        const layer_spec *l = &net->layers[i];
        float l1, l2;
        layer_penalties(net, l, &l1, &l2);
        if ((l1 <= 0 && l2 <= 0) || first->weight[i] < 0) continue;
        int end = layer_params_end(g, net, l, first->weight[i]);
        for (int w = first->weight[i]; w < end && loss >= 0; w++) {
            if (g->nodes[w].shape.ndim < 2 || g->nodes[w].no_grad) continue;
            if (l1 > 0) loss = nn_add(g, loss, nn_affine(g, nn_sum(g, nn_abs(g, w)), l1, 0.0f));
            if (l2 > 0) loss = nn_add(g, loss, nn_affine(g, nn_sum(g, nn_square(g, w)), l2, 0.0f));
        }
    }
    return loss;
}
