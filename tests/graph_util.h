/* graph_util.h — small helpers for tests that build graphs by hand. */
#ifndef NNRUN_TEST_GRAPH_UTIL_H
#define NNRUN_TEST_GRAPH_UTIL_H
#include <string.h>
#include "nn/graph.h"

/* An input of shape s holding v (or zeros when v is NULL). */
static int input_of(nn_graph *g, nn_shape s, const float *v)
{
    int id = nn_input(g, s, "x");
    assert_true(id >= 0);
    if (v) memcpy(nn_data(g, id), v, nn_shape_numel(&s) * sizeof(float));
    return id;
}

/* Plans and runs the targets (each must have been built); the caller frees the plan. */
static nn_plan *run(nn_graph *g, const int *targets, int n)
{
    for (int k = 0; k < n; k++) {
        if (targets[k] < 0) print_error("build failed: %s\n", g->err);
        assert_true(targets[k] >= 0);
    }
    nn_plan *p = nn_plan_create(g, targets, n);
    assert_non_null(p);
    nn_plan_run(g, p);
    return p;
}
#endif
