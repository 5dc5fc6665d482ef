/* A net's layers in a built graph: found by their label (model_layer_label). */
#include "model_layers.h"
#include "nn/ops.h"
#include <stdio.h>
#include <string.h>

void layer_op_name(const layer_spec *l, char *op, size_t len)
{
    if (l->act && l->kind != LY_ACTIVATION) snprintf(op, len, "%s+%s", layer_kind_name(l->kind), act_kind_name(l->act));
    else snprintf(op, len, "%s", l->kind == LY_ACTIVATION ? act_kind_name(l->act) : layer_kind_name(l->kind));
}

const net_call *net_first_call(const model_graph *m, int net)
{
    int i = model_first_call(m, net);
    return i < 0 ? NULL : &m->calls[i];
}

nn_shape per_sample_shape(const nn_graph *g, int node)
{
    const nn_shape *s = &g->nodes[node].shape;
    nn_shape per = {s->ndim - 1, {0}};
    for (int k = 1; k < s->ndim; k++) per.d[k - 1] = s->d[k];
    return per;
}

int layer_param_nodes(const model_graph *m, int net, int layer, int all, int *ids, int cap)
{
    char label[NN_LABEL_LEN];
    size_t nl = strlen(model_layer_label(m->s, net, layer, label, sizeof label));
    int n = 0;
    for (int k = 0; k < m->n_params && n < cap; k++) {
        const nn_node *p = &m->g->nodes[m->params[k]];
        if ((all || !p->no_grad) && strncmp(p->label, label, nl) == 0 && p->label[nl] == '.') ids[n++] = m->params[k];
    }
    return n;
}

size_t layer_trainable_floats(const model_graph *m, int net, int layer)
{
    int ids[LAYER_MAX_PARAMS];
    size_t total = 0;
    int n = layer_param_nodes(m, net, layer, 0, ids, LAYER_MAX_PARAMS);
    for (int k = 0; k < n; k++) total += nn_shape_numel(&m->g->nodes[ids[k]].shape);
    return total;
}

double layer_forward_flops(const model_graph *m, const net_call *c, int layer)
{
    char label[NN_LABEL_LEN];
    model_layer_label(m->s, c->net, layer, label, sizeof label);
    /* a dense layer the next activation layer took in, fused (layer_build.c): the next layer's
     * output carries this layer's label, and this layer's own output is left for whoever reads it */
    int next = layer + 1 < m->s->nets[c->net].n_layers ? c->out[layer + 1] : -1;
    int left = next >= 0 && strcmp(m->g->nodes[next].label, label) == 0 ? c->out[layer] : -1;
    double f = 0;
    for (int i = c->first_node; i < c->end_node; i++) {
        const nn_node *n = &m->g->nodes[i];
        if (n->kind == NN_NODE_OP && i != left && strcmp(n->label, label) == 0) f += nn_node_flops(m->g, n);
    }
    return f;
}
