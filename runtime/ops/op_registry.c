/* The op registry: one table built from runtime/ops/op_list.h. */
#include "op_list.h"
#include <string.h>

#define NN_OP_ROW(name) &nn_def_##name,
static const nn_op_def *const registry[NN_OP_COUNT] = {NN_OP_LIST(NN_OP_ROW)};
#undef NN_OP_ROW

int nn_op_count(void) { return NN_OP_COUNT; }

const nn_op_def *nn_op_def_at(int op) { return op >= 0 && op < NN_OP_COUNT ? registry[op] : NULL; }

double nn_node_flops(nn_graph *g, const nn_node *n)
{
    const nn_op_def *def = nn_op_def_at(n->op);
    return def->flops ? def->flops(g, n) : (double)nn_shape_numel(&n->shape);
}

int nn_op_find(const char *name)
{
    for (int i = 0; i < NN_OP_COUNT; i++)
        if (strcmp(registry[i]->name, name) == 0) return i;
    return -1;
}

const char *nn_op_grad_only(int op)
{
#define NN_OP_GRAD_ONLY_CASE(name, layer) \
    if (op == NN_OP_##name) return layer;
    NN_OPS_GRAD_ONLY(NN_OP_GRAD_ONLY_CASE)
#undef NN_OP_GRAD_ONLY_CASE
    return NULL;
}
