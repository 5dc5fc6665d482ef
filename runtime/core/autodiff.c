/* Symbolic reverse-mode differentiation: gradients are appended to the graph as nodes. */
#include "nn/graph.h"
#include "nn/ops.h"
#include "../ops/op_list.h"
#include <stdio.h>
#include <stdlib.h>

/* A matmul node that no node reads (yet): a gradient contribution just made. */
static int unread_matmul(const nn_graph *g, int id)
{
    if (g->nodes[id].kind != NN_NODE_OP || g->nodes[id].op != NN_OP_matmul) return 0;
    for (int j = id + 1; j < g->n; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++)
            if (g->nodes[j].in[k] == id) return 0;
    return 1;
}

/* acc + contribution, folding the matmul of fold (acc, contribution or -1) into matmul_acc:
 * the sum taken as its GEMM stores the product, the same bits as the add. nn_grad folds a
 * matmul nothing else reads, now or later: a weight read twice (a GAN's discriminator on real
 * and generated batches), an input read by two heads. */
static int accumulate(nn_graph *g, int acc, int contribution, int fold)
{
    if (contribution < 0) return acc;
    if (acc < 0) return contribution;
    if (fold >= 0 && nn_shape_eq(&g->nodes[acc].shape, &g->nodes[contribution].shape)) {
        const nn_node *p = &g->nodes[fold];
        return nn_matmul_acc(g, p->in[0], p->in[1], p->a.i[0], p->a.i[1], fold == acc ? contribution : acc);
    }
    return nn_add(g, acc, contribution);
}

/* Whether gradient node id will still be read once summed into grad[src]: another node's
 * gradient so far is that node (an add hands its output's gradient to both inputs: a VAE's
 * z = mean + noise term), or an input of the node being differentiated not yet summed gets it
 * (gin[after..n_in)). Folded into a matmul_acc, its product would then be computed twice. */
static int held_elsewhere(const int *grad, int n, int src, const int *gin, int after, int n_in, int id)
{
    for (int j = 0; j < n; j++)
        if (j != src && grad[j] == id) return 1;
    for (int q = after; q < n_in; q++)
        if (gin[q] == id) return 1;
    return 0;
}

/* needed[i]: node i lies on a path from some wrt node to the loss. */
static char *path_nodes(nn_graph *g, int loss, const int *wrt, int n_wrt)
{
    int n = loss + 1;
    char *to_loss = calloc((size_t)n, 1), *from_wrt = calloc((size_t)n, 1);
    if (!to_loss || !from_wrt) {
        free(to_loss);
        free(from_wrt);
        return NULL;
    }
    to_loss[loss] = 1;
    for (int i = loss; i >= 0; i--) {
        nn_node *nd = &g->nodes[i];
        if (!to_loss[i] || nd->kind != NN_NODE_OP) continue;
        for (int k = 0; k < nd->n_in; k++) to_loss[nd->in[k]] = 1;
    }
    for (int k = 0; k < n_wrt; k++)
        if (wrt[k] >= 0 && wrt[k] < n) from_wrt[wrt[k]] = 1;
    for (int i = 0; i < n; i++) {
        nn_node *nd = &g->nodes[i];
        if (nd->kind != NN_NODE_OP) continue;
        for (int k = 0; k < nd->n_in; k++)
            if (from_wrt[nd->in[k]] && !g->nodes[nd->in[k]].no_grad) from_wrt[i] = 1;
    }
    for (int i = 0; i < n; i++) to_loss[i] &= from_wrt[i];
    free(from_wrt);
    return to_loss;
}

int nn_grad(nn_graph *g, int loss, const int *wrt, int n_wrt, int *grads)
{
    for (int k = 0; k < n_wrt; k++) grads[k] = -1;
    if (loss < 0 || loss >= g->n) return -1;
    if (nn_shape_numel(&g->nodes[loss].shape) != 1)
        return nn_graph_fail(g, "the loss '%s' must be a single number", g->nodes[loss].label);
    char *needed = path_nodes(g, loss, wrt, n_wrt);
    int *grad = malloc((size_t)(loss + 1) * sizeof *grad);
    if (!needed || !grad) {
        free(needed);
        free(grad);
        return nn_graph_fail(g, "out of memory in autodiff");
    }
    for (int i = 0; i <= loss; i++) grad[i] = -1;
    int rc = 0;
    char saved_label[NN_LABEL_LEN];
    snprintf(saved_label, sizeof saved_label, "%s", g->cur_label);
    if (needed[loss]) grad[loss] = nn_const(g, g->nodes[loss].shape, 1.0f);
    for (int i = loss; i >= 0 && rc == 0; i--) {
        if (!needed[i] || grad[i] < 0 || g->nodes[i].kind != NN_NODE_OP) continue;
        const nn_op_def *def = nn_op_def_at(g->nodes[i].op);
        int gin[NN_MAX_INPUTS];
        for (int k = 0; k < NN_MAX_INPUTS; k++) gin[k] = -1;
        nn_graph_set_label(g, g->nodes[i].label);     /* gradient nodes carry their layer */
        const char *fused = nn_op_grad_only(g->nodes[i].op);
        if (fused) {
            rc = nn_graph_fail(g, "op %s: gradients of gradients through %s are not supported (layer '%s'); "
                               "differentiate the loss only once through this layer", def->name, fused, g->nodes[i].label);
            break;
        }
        if (!def->backward) {
            rc = nn_graph_fail(g, "op %s ('%s') has no gradient", def->name, g->nodes[i].label);
            break;
        }
        if (def->backward(g, i, grad[i], gin) < 0) {
            rc = -1;
            break;
        }
        int n_in = g->nodes[i].n_in;
        for (int k = 0; k < n_in && rc == 0; k++) {
            int src = g->nodes[i].in[k];
            if (gin[k] < 0 || !needed[src]) continue;
            if (!nn_shape_eq(&g->nodes[gin[k]].shape, &g->nodes[src].shape)) {
                char a[64], b[64];
                rc = nn_graph_fail(g, "internal: gradient of %s input %d has shape %s, expected %s", def->name, k,
                                   nn_shape_str(&g->nodes[gin[k]].shape, a, sizeof a),
                                   nn_shape_str(&g->nodes[src].shape, b, sizeof b));
                break;
            }
            int acc = grad[src], fold = -1;   /* a matmul read by nothing else, now or later */
            if (acc >= 0 && unread_matmul(g, gin[k]) && !held_elsewhere(grad, loss + 1, src, gin, k + 1, n_in, gin[k]))
                fold = gin[k];
            else if (acc >= 0 && unread_matmul(g, acc) && !held_elsewhere(grad, loss + 1, src, gin, k + 1, n_in, acc))
                fold = acc;
            grad[src] = accumulate(g, acc, gin[k], fold);
            if (grad[src] < 0) rc = -1;
        }
    }
    nn_graph_set_label(g, saved_label);
    if (rc == 0)
        for (int k = 0; k < n_wrt; k++)
            grads[k] = (wrt[k] >= 0 && wrt[k] <= loss) ? grad[wrt[k]] : -1;
    free(needed);
    free(grad);
    return rc;
}
