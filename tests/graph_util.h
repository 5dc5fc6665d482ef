/* graph_util.h — small helpers for tests that build graphs by hand. */
#ifndef NNRUN_TEST_GRAPH_UTIL_H
#define NNRUN_TEST_GRAPH_UTIL_H
#include <math.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"

/* An input of shape s holding v (or zeros when v is NULL). */
static inline int input_of(nn_graph *g, nn_shape s, const float *v)
{
    int id = nn_input(g, s, "x");
    assert_true(id >= 0);
    if (v) memcpy(nn_data(g, id), v, nn_shape_numel(&s) * sizeof(float));
    return id;
}

/* Plans and runs the targets (each must have been built); the caller frees the plan. */
static inline nn_plan *run(nn_graph *g, const int *targets, int n)
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

#ifndef GRAPH_UTIL_TOL
#define GRAPH_UTIL_TOL 1e-5f   /* relative tolerance of expect_data */
#endif

/* offset, offset + scale, offset + 2 scale, ... */
static inline int iota_input(nn_graph *g, nn_shape s, float scale, float offset)
{
    int id = input_of(g, s, NULL);
    for (size_t i = 0; i < nn_shape_numel(&s); i++) nn_data(g, id)[i] = scale * (float)i + offset;
    return id;
}

static inline void expect_data(nn_graph *g, int id, const float *want, size_t n)
{
    assert_int_equal(nn_numel(g, id), n);
    for (size_t i = 0; i < n; i++) {
        float got = nn_data(g, id)[i];
        if (isnan(want[i])) {
            assert_true(isnan(got));
            continue;
        }
        if (fabsf(got - want[i]) > GRAPH_UTIL_TOL * (1 + fabsf(want[i]))) print_error("element %zu: got %.8g want %.8g\n", i, got, want[i]);
        assert_true(fabsf(got - want[i]) <= GRAPH_UTIL_TOL * (1 + fabsf(want[i])));
    }
}

static inline void expect_shape(nn_graph *g, int id, nn_shape want)
{
    assert_true(id >= 0);
    assert_true(nn_shape_eq(&g->nodes[id].shape, &want));
}

/* Builds y and dL/dx for L = sum(y * w), w = 1, 2, 3, ... over y; runs both. */
static inline nn_plan *run_with_grad(nn_graph *g, int x, int y, int *dx)
{
    assert_true(y >= 0);
    int w = iota_input(g, g->nodes[y].shape, 1, 1);
    int loss = nn_sum(g, nn_mul(g, y, w));
    assert_int_equal(nn_grad(g, loss, &x, 1, dx), 0);
    assert_true(*dx >= 0);
    return run(g, (int[]){y, *dx}, 2);
}
#endif
