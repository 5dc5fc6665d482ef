/* Running statistics (batch norm's running mean and variance).
 *   ema_update(stat, value) -> (shape of stat): in training, writes
 *     stat = (1 - momentum) stat + momentum value
 *   into stat's own storage (a parameter marked no_grad, so it is saved in checkpoints and
 *   shared with evaluation graphs) and outputs a copy of the new stat; in evaluation it leaves
 *   stat alone and outputs it. attrs f[0] = momentum (PyTorch's convention: weight of the new
 *   value). The update happens only when the node runs, so it must be a plan target during
 *   training; each run of the plan is one update. No gradient: the statistic is a side effect. */
#include "../kernels/ew_util.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <string.h>

static int ema_update_infer(nn_graph *g, nn_node *n)
{
    nn_node *stat = &g->nodes[n->in[0]];
    const nn_shape *v = &g->nodes[n->in[1]].shape;
    float m = n->a.f[0];
    if (stat->kind == NN_NODE_OP)
        return nn_graph_fail(g, "ema_update: the statistic must be a parameter (persistent storage), not a computed value");
    if (!(m >= 0.0f && m <= 1.0f)) return nn_graph_fail(g, "ema_update: momentum %g must be in [0, 1]", m);
    if (!nn_shape_eq(&stat->shape, v)) {
        char a[64], b[64];
        return nn_graph_fail(g, "ema_update: value %s must have the statistic's shape %s", nn_shape_str(v, a, sizeof a),
                             nn_shape_str(&stat->shape, b, sizeof b));
    }
    stat->no_grad = 1;
    n->shape = stat->shape;
    return 0;
}

typedef struct {
    float *s;
    const float *v;
    float keep, m;
} ema_ctx;

NN_PAR_CHUNK_FN(ema_chunk, ema_ctx, c, i, c->s[i] = c->keep * c->s[i] + c->m * c->v[i];)

static void ema_update_forward(nn_graph *g, nn_node *n)
{
    float *s = g->nodes[n->in[0]].data;
    size_t k = nn_shape_numel(&n->shape);
    if (g->training) {
        float m = n->a.f[0];
        nn_par_for(k, ema_chunk, &(ema_ctx){s, g->nodes[n->in[1]].data, 1.0f - m, m});
    }
    memcpy(n->data, s, k * sizeof(float));
}

static int ema_update_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)g, (void)id, (void)gout;
    gin[0] = gin[1] = -1;
    return 0;
}

/* Finite differences re-run the plan, and in training every run would move the statistic, so
 * the fixture runs in evaluation (output = stat, fixed). ema_update has no gradient; as for
 * step and one_hot, value * ema_update(stat, value) exposes its output to the check
 * (d/dvalue = stat). The training update is covered by tests/test_pool.c. */
static int ema_update_check(nn_graph *g, nn_rng *r, int scale)
{
    g->training = 0;
    nn_shape shape = nn_shape2(2 * scale, 3 * scale);
    int v = nn_test_input(g, shape, r, -1, 1);
    int s = nn_param(g, shape, "running_mean");
    if (s < 0 || nn_graph_alloc_params(g) < 0) return -1;
    for (size_t i = 0; i < nn_shape_numel(&shape); i++) nn_data(g, s)[i] = nn_rng_range(r, 0.5f, 1.5f);
    return nn_mul(g, v, nn_ema_update(g, s, v, 0.1f));
}

const nn_op_def nn_def_ema_update = {"ema_update", 2,
                                     "(stat, value) -> new stat: stat = (1-m) stat + m value in training (side effect)",
                                     ema_update_infer, ema_update_forward, ema_update_backward, ema_update_check, NULL};

int nn_ema_update(nn_graph *g, int stat, int value, float momentum)
{
    nn_attrs a = {.f = {momentum}};
    return nn_op(g, NN_OP_ema_update, (int[]){stat, value}, 2, &a);
}
