/* WGAN-GP in the spec language: the `mean` and `gradient_penalty` loss terms. For a linear
 * critic the penalty is exactly weight * (||w|| - center)^2 and the mean terms are the means of
 * the critic's scores; the critic step's gradient (through the penalty's own gradient: second
 * order) matches central differences of the group's loss with the random draws held fixed; a
 * tiny two-net run trains with finite losses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_setup.h"
#include "model_build.h"
#include "spec.h"
#include "tmpdir.h"
#include "spec_util.h"
#include "trainer.h"

enum { BATCH = 8 };

/* Points of the cube in 3-D from 2-D noise; CRITIC_LAYERS is D's layer list. */
#define WGAN_SPEC(CRITIC_LAYERS, PENALTY)                                                      \
    "name: wgan\n"                                                                             \
    "seed: 4\n"                                                                                \
    "data:\n"                                                                                  \
    "  train: {dataset: points, points: uniform_cube, dim: 3, n: 96, range: [-1, 1]}\n"        \
    "nets:\n"                                                                                  \
    "  G:\n"                                                                                   \
    "    input: {noise: [2]}\n"                                                                \
    "    layers: [{dense: 8, act: tanh}, {dense: 3, name: xyz}]\n"                             \
    "  D:\n"                                                                                   \
    "    input: [3]\n"                                                                         \
    "    layers: " CRITIC_LAYERS "\n"                                                          \
    "losses:\n"                                                                                \
    "  critic:\n"                                                                              \
    "    - {mean: {pred: D(G)}}\n"                                                             \
    "    - {mean: {pred: D(data), weight: -1}}\n"                                              \
    "    - {gradient_penalty: " PENALTY "}\n"                                                  \
    "  gen: {mean: {pred: D(G), weight: -1}}\n"                                                \
    "train:\n"                                                                                 \
    "  optimizer: {adam: {lr: 0.001, betas: [0.5, 0.9]}}\n"                                    \
    "  batch: 8\n"                                                                             \
    "  epochs: 2\n"                                                                            \
    "  steps:\n"                                                                               \
    "    - {minimize: critic, update: D, repeat: 3}\n"                                         \
    "    - {minimize: gen, update: G}\n"

static const char linear_spec[] = WGAN_SPEC("[{dense: 1, name: score}]", "{critic: D, fake: G, weight: 3, center: 0.5}");
static const char tanh_spec[] =
    WGAN_SPEC("[{dense: 6, act: tanh}, {dense: 6, act: tanh}, {dense: 1, name: score}]", "{critic: D, fake: G}");

typedef struct {
    spec *s;
    model_graph *m;
} wgan_graph;

/* The spec's training graph at batch 8 with fixed data points fed in. */
static wgan_graph wgan_build(const char *text)
{
    write_file("wgan.yaml", text);
    diag d;
    diag_init(&d);
    wgan_graph w;
    w.s = spec_load("wgan.yaml", NULL, 0, &d);
    data_info info;
    if (!w.s || data_describe(w.s, &info, &d) != 0) diag_print(&d, stderr);
    assert_non_null(w.s);
    nn_rng r;
    nn_rng_seed(&r, 1);
    w.m = model_build(w.s, &info, BATCH, 1, NULL, &r, &d);
    if (!w.m) diag_print(&d, stderr);
    assert_non_null(w.m);
    diag_free(&d);
    float x[BATCH * 3];
    for (int i = 0; i < BATCH * 3; i++) x[i] = (float)((i * 7) % 11) / 5.5f - 1.0f;
    model_feed(w.m, x, NULL, BATCH);
    return w;
}

static void wgan_free(wgan_graph *w)
{
    model_free(w->m);
    spec_free(w->s);
}

static double mean_of(nn_graph *g, int node)
{
    double s = 0;
    size_t n = nn_numel(g, node);
    for (size_t i = 0; i < n; i++) s += nn_data(g, node)[i];
    return s / (double)n;
}

/* D(x) = w . x + b: grad_x D = w for every interpolate, so the penalty is 3 (||w|| - 0.5)^2
 * whatever the draws; the two mean terms are the mean scores of the fake and real batches. */
static void test_a_linear_critics_penalty_is_weight_times_norm_minus_center_squared(void **state)
{
    (void)state;
    wgan_graph w = wgan_build(linear_spec);
    model_graph *m = w.m;
    nn_graph *g = m->g;
    diag d;
    diag_init(&d);
    int fake_score = model_resolve(m, "D(G)", (spec_pos){0}, &d), real_score = model_resolve(m, "D(data)", (spec_pos){0}, &d);
    diag_free(&d);
    int extra[6] = {fake_score, real_score, m->loss_terms[0][0], m->loss_terms[0][1], m->loss_terms[0][2], m->loss_terms[1][0]};
    assert_int_equal(model_plan(m, extra, 6), 0);   /* readable after the run */
    nn_plan_run(g, m->plan);
    assert_string_equal(g->nodes[m->params[m->n_params - 2]].label, "D.score.weight");   /* D's are made last */
    const float *wt = nn_data(g, m->params[m->n_params - 2]);
    double norm = sqrt((double)wt[0] * wt[0] + (double)wt[1] * wt[1] + (double)wt[2] * wt[2]);
    double want = 3.0 * (norm - 0.5) * (norm - 0.5), got = nn_data(g, m->loss_terms[0][2])[0];
    if (fabs(got - want) > 1e-5 * (1 + want)) print_error("penalty %.7f, by hand %.7f\n", got, want);
    assert_true(fabs(got - want) <= 1e-5 * (1 + want));
    assert_true(want > 1e-3);   /* not vacuous: ||w|| is not 0.5 */
    assert_float_equal(nn_data(g, m->loss_terms[0][0])[0], mean_of(g, fake_score), 1e-6);
    assert_float_equal(nn_data(g, m->loss_terms[0][1])[0], -mean_of(g, real_score), 1e-6);
    assert_float_equal(nn_data(g, m->loss_terms[1][0])[0], -mean_of(g, fake_score), 1e-6);
    /* the penalty's call is a third call of D on a new node, with D's weights */
    int calls_of_d = 0;
    for (int i = 0; i < m->n_calls; i++)
        if (m->calls[i].net == 1) calls_of_d++, assert_int_equal(m->calls[i].weight[0], m->params[m->n_params - 2]);
    assert_int_equal(calls_of_d, 3);
    wgan_free(&w);
}

/* The critic step's group loss, its random draws (G's noise, the interpolation weights) drawn
 * from the same stream state every time. */
static double critic_loss(model_graph *m)
{
    nn_rng_seed(&m->g->rng, 77);
    nn_plan_run(m->g, m->steps[0].plan);
    return nn_data(m->g, m->group_loss[0])[0];
}

/* The gradient the critic step computes (through the gradient of D inside the penalty) against
 * central differences of the critic group's loss, over every weight of D. */
static void test_the_critic_steps_gradient_matches_finite_differences(void **state)
{
    (void)state;
    wgan_graph w = wgan_build(tanh_spec);
    model_graph *m = w.m;
    const step_graph *sg = &m->steps[0];
    critic_loss(m);
    float *analytic = malloc(sg->n_grad_floats * sizeof *analytic);
    memcpy(analytic, sg->grad_block, sg->n_grad_floats * sizeof *analytic);
    const double eps = 1e-2;
    int bad = 0;
    size_t at = 0;
    for (int k = 0; k < sg->n_params; k++) {
        float *p = nn_data(m->g, sg->params[k]);
        for (size_t i = 0; i < nn_numel(m->g, sg->params[k]); i++, at++) {
            float keep = p[i];
            p[i] = keep + (float)eps;
            double up = critic_loss(m);
            p[i] = keep - (float)eps;
            double down = critic_loss(m);
            p[i] = keep;
            double numeric = (up - down) / (2 * eps);
            if (fabs(numeric - analytic[at]) > 2e-2 * (1 + fabs(numeric))) {
                if (bad++ < 5) print_error("%s[%zu]: analytic %.6f numeric %.6f\n", m->g->nodes[sg->params[k]].label, i,
                                           analytic[at], numeric);
            }
        }
    }
    assert_int_equal(at, sg->n_grad_floats);
    assert_int_equal(bad, 0);
    assert_int_equal(model_plan(m, &m->loss_terms[0][2], 1), 0);
    nn_plan_run(m->g, m->plan);
    assert_true(nn_data(m->g, m->loss_terms[0][2])[0] > 1e-3);   /* the penalty takes part */
    free(analytic);
    wgan_free(&w);
}

/* A few iterations of the two steps end to end, through the trainer: finite losses in every
 * epoch for both groups. */
static void test_a_tiny_wgan_gp_trains_with_finite_losses(void **state)
{
    (void)state;
    write_file("wgan.yaml", tanh_spec);
    spec_run r;
    spec_run_train(&r, "wgan.yaml", "runs/wgan", NULL, 0, 0, 0);
    assert_int_equal(r.status, 0);
    const trainer *t = &r.t;
    assert_int_equal(t->h.n, 2);
    /* 96 points, batch 8: 12 critic batches an epoch, three per iteration -> 4 iterations */
    assert_int_equal(t->step, 2 * 4);
    for (int e = 0; e < 2; e++)
        assert_true(isfinite(t->h.col[t->hc.train[0]][e]) && isfinite(t->h.col[t->hc.train[1]][e]));
    spec_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_linear_critics_penalty_is_weight_times_norm_minus_center_squared),
        cmocka_unit_test(test_the_critic_steps_gradient_matches_finite_differences),
        cmocka_unit_test(test_a_tiny_wgan_gp_trains_with_finite_losses),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
