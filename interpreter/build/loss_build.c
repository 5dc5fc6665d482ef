/* Loss terms: each kind of term as graph ops over the nodes its call expressions name, and
 * the L1/L2 weight penalties a net adds to the groups that train it. */
#include "build_internal.h"
#include "nn/ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    check->pred = -1;
    static const char *const names[] = {"mse", "l1", "bce_with_logits", "cross_entropy", "kl_normal"};
    int v;
    if (ls->kind == LOSS_KL_NORMAL) {
        int mean = resolve_expr(m, ls->mean, ls->pred_pos, -1, d);
        int logvar = resolve_expr(m, ls->logvar, ls->target_pos, mean, d);
        if (mean < 0 || logvar < 0) return -1;
        /* KL(N(mu, sigma^2) || N(0, 1)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) */
        int inner = nn_sub(g, nn_sub(g, nn_affine(g, logvar, 1.0f, 1.0f), nn_square(g, mean)), nn_exp(g, logvar));
        float scale = ls->reduce == NN_REDUCE_SUM ? -0.5f
                    : ls->reduce == NN_REDUCE_MEAN ? -0.5f / (float)nn_numel(g, mean)
                                                   : -0.5f / (float)m->batch;
        v = nn_affine(g, nn_sum(g, inner), scale, 0.0f);
    } else {
        int pred = resolve_expr(m, ls->pred, ls->pred_pos, -1, d);
        int t = pred < 0 ? -1 : resolve_expr(m, ls->target, ls->target_pos, pred, d);
        if (pred < 0 || t < 0) return -1;
        if (ls->kind == LOSS_CROSS_ENTROPY) {
            /* logits (N, C) against one class id per sample, or (N, T, C) against one per step */
            const nn_shape *ps = &g->nodes[pred].shape;
            if (ps->ndim != 2 && ps->ndim != 3) {
                char a[64];
                diag_error_at(d, ls->pred_pos.file, ls->pred_pos.line, ls->pred_pos.col,
                              "cross_entropy needs logits of shape [batch, classes] or [batch, steps, classes], '%s' is %s",
                              ls->pred, nn_shape_str(ps, a, sizeof a));
                return -1;
            }
            nn_shape ls_shape = *ps;
            ls_shape.ndim--;
            if (nn_numel(g, t) != nn_shape_numel(&ls_shape)) {
                diag_error_at(d, ls->target_pos.file, ls->target_pos.line, ls->target_pos.col,
                              "cross_entropy needs one class id per %s as target",
                              ps->ndim == 2 ? "sample" : "step (targets [steps] per sample)");
                return -1;
            }
            v = nn_cross_entropy(g, pred, nn_reshape(g, t, ls_shape));
        } else {
            t = match_target(g, pred, t, names[ls->kind], ls->pred, ls->target);
            if (t < 0) {
                diag_error_at(d, ls->pos.file, ls->pos.line, ls->pos.col, "%s", g->err);
                g->err[0] = 0;
                return -1;
            }
            v = ls->kind == LOSS_MSE ? nn_mse(g, pred, t, ls->reduce)
              : ls->kind == LOSS_L1  ? nn_l1(g, pred, t, ls->reduce)
                                     : nn_bce_with_logits(g, pred, t, ls->reduce);
            if (ls->kind == LOSS_BCE_LOGITS && constant_target(ls->target, &check->target)) check->pred = pred;
        }
    }
    if (v >= 0 && ls->weight != 1.0f) v = nn_affine(g, v, ls->weight, 0.0f);
    if (v < 0) {
        diag_error_at(d, ls->pos.file, ls->pos.line, ls->pos.col, "%s", g->err);
        g->err[0] = 0;
    }
    return v;
}

/* L1/L2 penalties on dense weights: lambda1 * sum|W| + lambda2 * sum W^2. */
int add_penalties(model_graph *m, const model_spec *net, const net_call *first, int loss)
{
    nn_graph *g = m->g;
    for (int i = 0; i < net->n_layers && loss >= 0; i++) {
        const layer_spec *l = &net->layers[i];
        if (l->kind != LY_DENSE) continue;
        float l1 = l->l1 >= 0 ? l->l1 : net->l1, l2 = l->l2 >= 0 ? l->l2 : net->l2;
        if (l1 > 0) loss = nn_add(g, loss, nn_affine(g, nn_sum(g, nn_abs(g, first->weight[i])), l1, 0.0f));
        if (l2 > 0) loss = nn_add(g, loss, nn_affine(g, nn_sum(g, nn_square(g, first->weight[i])), l2, 0.0f));
    }
    return loss;
}

