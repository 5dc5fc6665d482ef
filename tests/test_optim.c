/* Optimizers, learning-rate schedules and gradient clipping against values worked out by hand
 * (the arithmetic is in the comments), following torch.optim's update rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/optim.h"

#define TOL 1e-5f

static nn_optimizer *make_opt(const nn_opt_config *c, nn_param_slice *s, int n)
{
    char err[256] = "";
    nn_optimizer *o = nn_optimizer_new(c, s, n, err, sizeof err);
    if (!o) fail_msg("nn_optimizer_new: %s", err);
    return o;
}

static nn_opt_config config(nn_opt_kind kind, double lr)
{
    nn_opt_config c;
    nn_opt_defaults(kind, &c);
    c.lr = lr;
    return c;
}

/* ---- SGD ---------------------------------------------------------------------------- */
static void test_sgd_plain_steps_against_gradient(void **state)
{
    (void)state;
    float p[2] = {1, -2}, g[2] = {0.5f, 1};
    nn_param_slice s = {p, g, 2, 1};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    nn_optimizer *o = make_opt(&c, &s, 1);
    assert_int_equal(nn_optimizer_state_count(o), 0);   /* no momentum: no state */
    /* p -= 0.1*g: 1 -> 0.95 -> 0.9; -2 -> -2.1 -> -2.2 */
    nn_optimizer_step(o, c.lr);
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.9f, TOL);
    assert_float_equal(p[1], -2.2f, TOL);
    assert_int_equal(nn_optimizer_steps(o), 2);
    nn_optimizer_free(o);
}

static void test_sgd_momentum_accumulates_velocity(void **state)
{
    (void)state;
    float p[2] = {1, -2}, g[2] = {0.5f, 1};
    nn_param_slice s = {p, g, 2, 1};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    c.momentum = 0.9f;
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* buf1 = g = (0.5, 1)            p1 = (0.95, -2.1)
     * buf2 = 0.9*buf1 + g = (0.95, 1.9)   p2 = (0.95-0.095, -2.1-0.19) = (0.855, -2.29)
     * buf3 = (0.9*0.95+0.5, 0.9*1.9+1) = (1.355, 2.71)   p3 = (0.7195, -2.561) */
    for (int i = 0; i < 3; i++) nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.7195f, TOL);
    assert_float_equal(p[1], -2.561f, TOL);
    float *buf = nn_optimizer_state_data(o, nn_optimizer_state_find(o, "momentum"));
    assert_non_null(buf);
    assert_float_equal(buf[0], 1.355f, TOL);
    assert_float_equal(buf[1], 2.71f, TOL);
    nn_optimizer_free(o);
}

static void test_sgd_nesterov_looks_ahead_along_velocity(void **state)
{
    (void)state;
    float p[2] = {1, -2}, g[2] = {0.5f, 1};
    nn_param_slice s = {p, g, 2, 1};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    c.momentum = 0.9f;
    c.nesterov = 1;
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* step 1: buf = (0.5, 1); d = g + 0.9*buf = (0.95, 1.9); p = (0.905, -2.19)
     * step 2: buf = (0.95, 1.9); d = (0.5+0.855, 1+1.71) = (1.355, 2.71); p = (0.7695, -2.461) */
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.905f, TOL);
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.7695f, TOL);
    assert_float_equal(p[1], -2.461f, TOL);
    nn_optimizer_free(o);
}

static void test_sgd_weight_decay_only_on_decay_slices(void **state)
{
    (void)state;
    float p[2] = {1, -2}, g[2] = {0.5f, 1};
    float b[1] = {1}, gb[1] = {0.5f};
    nn_param_slice s[2] = {{p, g, 2, 1}, {b, gb, 1, 0}};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    c.weight_decay = 0.1f;
    nn_optimizer *o = make_opt(&c, s, 2);
    /* step 1: d = g + 0.1*p = (0.6, 0.8); p = (0.94, -2.08)
     * step 2: d = (0.5+0.094, 1-0.208) = (0.594, 0.792); p = (0.8806, -2.1592)
     * the decay-free slice: 1 -> 0.95 -> 0.9 */
    nn_optimizer_step(o, c.lr);
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.8806f, TOL);
    assert_float_equal(p[1], -2.1592f, TOL);
    assert_float_equal(b[0], 0.9f, TOL);
    nn_optimizer_free(o);
}

static void test_step_uses_the_learning_rate_passed_not_the_base(void **state)
{
    (void)state;
    float p[1] = {1}, g[1] = {1};
    nn_param_slice s = {p, g, 1, 1};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    nn_optimizer *o = make_opt(&c, &s, 1);
    nn_optimizer_step(o, 0.25f);   /* 1 - 0.25*1 */
    assert_float_equal(p[0], 0.75f, TOL);
    nn_optimizer_free(o);
}

/* ---- Adam / AdamW ------------------------------------------------------------------- */
static void test_adam_bias_corrected_steps(void **state)
{
    (void)state;
    float p[1] = {1}, g[1] = {0.5f};
    nn_param_slice s = {p, g, 1, 1};
    nn_opt_config c = config(NN_OPT_ADAM, 0.1f);
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* step 1 (g = 0.5): m = 0.05, v = 0.00025; m^ = 0.05/0.1 = 0.5, v^ = 0.00025/0.001 = 0.25;
     *   p = 1 - 0.1 * 0.5/sqrt(0.25) = 0.9 */
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.9f, TOL);
    /* step 2 (g = -1): m = 0.045 - 0.1 = -0.055; v = 0.999*0.00025 + 0.001 = 0.00124975;
     *   bc1 = 1 - 0.81 = 0.19, bc2 = 1 - 0.998001 = 0.001999;
     *   m^ = -0.289474, v^ = 0.625188, sqrt = 0.790688; p = 0.9 + 0.1*0.366103 = 0.9366103 */
    g[0] = -1;
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.9366103f, TOL);
    float *m = nn_optimizer_state_data(o, nn_optimizer_state_find(o, "m"));
    float *v = nn_optimizer_state_data(o, nn_optimizer_state_find(o, "v"));
    assert_float_equal(m[0], -0.055f, 1e-7f);
    assert_float_equal(v[0], 0.00124975f, 1e-8f);
    nn_optimizer_free(o);
}

static void test_adamw_decays_decoupled_unlike_adam_with_l2(void **state)
{
    (void)state;
    float pw[1] = {1}, pa[1] = {1}, pn[1] = {1}, g[1] = {0.5f};
    nn_param_slice sw = {pw, g, 1, 1}, sa = {pa, g, 1, 1}, sn = {pn, g, 1, 0};
    nn_opt_config cw = config(NN_OPT_ADAMW, 0.1f), ca = config(NN_OPT_ADAM, 0.1f);
    cw.weight_decay = ca.weight_decay = 0.1;
    nn_optimizer *ow = make_opt(&cw, &sw, 1), *oa = make_opt(&ca, &sa, 1), *on = make_opt(&cw, &sn, 1);
    /* AdamW: p *= 1 - 0.1*0.1 -> 0.99, then the first Adam step moves by lr: 0.89.
     * Adam+L2: g' = 0.5 + 0.1*1 = 0.6, but the first step is lr*sign(g'): 0.9.
     * AdamW on a decay-free slice: plain Adam, 0.9. */
    nn_optimizer_step(ow, 0.1f);
    nn_optimizer_step(oa, 0.1f);
    nn_optimizer_step(on, 0.1f);
    assert_float_equal(pw[0], 0.89f, TOL);
    assert_float_equal(pa[0], 0.9f, TOL);
    assert_float_equal(pn[0], 0.9f, TOL);
    /* AdamW step 2, same g: p = 0.89*0.99 = 0.8811; m = 0.095, v = 0.00049975;
     * m^ = 0.095/0.19 = 0.5, v^ = 0.00049975/0.001999 = 0.25: step lr -> 0.7811 */
    nn_optimizer_step(ow, 0.1f);
    assert_float_equal(pw[0], 0.7811f, TOL);
    nn_optimizer_free(ow);
    nn_optimizer_free(oa);
    nn_optimizer_free(on);
}

/* ---- RMSprop ------------------------------------------------------------------------ */
static void test_rmsprop_divides_by_running_rms(void **state)
{
    (void)state;
    float p[1] = {1}, g[1] = {0.5f};
    nn_param_slice s = {p, g, 1, 1};
    nn_opt_config c = config(NN_OPT_RMSPROP, 0.01f);
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* step 1: s = 0.01*0.25 = 0.0025, sqrt 0.05; p = 1 - 0.01*0.5/0.05 = 0.9
     * step 2 (g = -1): s = 0.002475 + 0.01 = 0.012475, sqrt 0.1116915;
     *   p = 0.9 + 0.01/0.1116915 = 0.9895323 */
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.9f, TOL);
    g[0] = -1;
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.9895323f, TOL);
    nn_optimizer_free(o);
}

static void test_rmsprop_momentum_buffers_the_normalised_step(void **state)
{
    (void)state;
    float p[1] = {1}, g[1] = {0.5f};
    nn_param_slice s = {p, g, 1, 1};
    nn_opt_config c = config(NN_OPT_RMSPROP, 0.01f);
    c.momentum = 0.9f;
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* step 1: buf = 0.5/0.05 = 10; p = 1 - 0.01*10 = 0.9
     * step 2 (g = -1): buf = 9 - 1/0.1116915 = 0.0467677; p = 0.9 - 0.000467677 = 0.8995323 */
    nn_optimizer_step(o, c.lr);
    g[0] = -1;
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.8995323f, TOL);
    nn_optimizer_free(o);
}

static void test_rmsprop_centered_subtracts_mean_square(void **state)
{
    (void)state;
    float p[1] = {1}, g[1] = {0.5f};
    nn_param_slice s = {p, g, 1, 1};
    nn_opt_config c = config(NN_OPT_RMSPROP, 0.01f);
    c.centered = 1;
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* s = 0.0025, ga = 0.005; sqrt(0.0025 - 0.000025) = 0.0497494; p = 1 - 0.005/0.0497494 = 0.8994962 */
    nn_optimizer_step(o, c.lr);
    assert_float_equal(p[0], 0.8994962f, TOL);
    assert_int_not_equal(nn_optimizer_state_find(o, "grad_avg"), -1);
    nn_optimizer_free(o);
}

/* ---- large slices (the threaded path) agree with the small-slice arithmetic ------------ */
static void test_large_slice_matches_elementwise_expectation(void **state)
{
    (void)state;
    size_t n = 200000;   /* above the threading threshold */
    float *p = malloc(n * sizeof *p), *g = malloc(n * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        p[i] = 1;
        g[i] = (i % 2) ? 0.5f : -0.5f;
    }
    nn_param_slice s = {p, g, n, 1};
    nn_opt_config c = config(NN_OPT_ADAM, 0.1f);
    nn_optimizer *o = make_opt(&c, &s, 1);
    /* constant gradient: every Adam step moves by exactly lr against sign(g) */
    nn_optimizer_step(o, c.lr);
    nn_optimizer_step(o, c.lr);
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad += fabsf(p[i] - ((i % 2) ? 0.8f : 1.2f)) > TOL;
    assert_int_equal(bad, 0);
    nn_optimizer_free(o);
    free(p);
    free(g);
}

/* ---- state for checkpoints ---------------------------------------------------------- */
static void test_state_names_follow_config(void **state)
{
    (void)state;
    float p[3] = {0}, g[3] = {0};
    nn_param_slice s[2] = {{p, g, 2, 1}, {p + 2, g + 2, 1, 1}};
    nn_opt_config c = config(NN_OPT_RMSPROP, 0.01f);
    c.momentum = 0.5f;
    c.centered = 1;
    nn_optimizer *o = make_opt(&c, s, 2);
    assert_int_equal(nn_optimizer_state_count(o), 3);
    assert_string_equal(nn_optimizer_state_name(o, 0), "square_avg");
    assert_string_equal(nn_optimizer_state_name(o, 1), "momentum");
    assert_string_equal(nn_optimizer_state_name(o, 2), "grad_avg");
    assert_null(nn_optimizer_state_name(o, 3));
    assert_null(nn_optimizer_state_data(o, -1));
    assert_int_equal(nn_optimizer_state_len(o), 3);
    nn_optimizer_free(o);
}

static void test_state_buffers_concatenate_slices_in_order(void **state)
{
    (void)state;
    float p[3] = {0, 0, 0}, g1[2] = {1, 2}, g2[1] = {3};
    nn_param_slice s[2] = {{p, g1, 2, 1}, {p + 2, g2, 1, 1}};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    c.momentum = 0.9f;
    nn_optimizer *o = make_opt(&c, s, 2);
    nn_optimizer_step(o, c.lr);   /* first step: buffer = gradient */
    const float *buf = nn_optimizer_state_data(o, 0);
    assert_float_equal(buf[0], 1, 0);
    assert_float_equal(buf[1], 2, 0);
    assert_float_equal(buf[2], 3, 0);
    nn_optimizer_free(o);
}

static void test_restored_state_resumes_identically(void **state)
{
    (void)state;
    float pa[2] = {1, -1}, pb[2], g[2] = {0.3f, -0.7f};
    nn_param_slice sa = {pa, g, 2, 1}, sb = {pb, g, 2, 1};
    nn_opt_config c = config(NN_OPT_ADAM, 0.05f);
    nn_optimizer *a = make_opt(&c, &sa, 1), *b = make_opt(&c, &sb, 1);
    for (int i = 0; i < 3; i++) nn_optimizer_step(a, c.lr);
    /* "checkpoint": copy parameters, state buffers and step count into b */
    memcpy(pb, pa, sizeof pa);
    for (int k = 0; k < nn_optimizer_state_count(a); k++)
        memcpy(nn_optimizer_state_data(b, k), nn_optimizer_state_data(a, k), nn_optimizer_state_len(a) * sizeof(float));
    nn_optimizer_set_steps(b, nn_optimizer_steps(a));
    g[0] = -0.2f;
    nn_optimizer_step(a, c.lr);
    nn_optimizer_step(b, c.lr);
    assert_memory_equal(pa, pb, sizeof pa);
    /* without the step count the bias correction differs, so the result would not match */
    nn_optimizer_reset(b);
    assert_int_equal(nn_optimizer_steps(b), 0);
    assert_float_equal(nn_optimizer_state_data(b, 0)[0], 0, 0);
    nn_optimizer_free(a);
    nn_optimizer_free(b);
}

/* ---- config errors ------------------------------------------------------------------ */
static void expect_new_fails(const nn_opt_config *c, const nn_param_slice *s, int n, const char *needle)
{
    char err[256] = "";
    nn_optimizer *o = nn_optimizer_new(c, s, n, err, sizeof err);
    assert_null(o);
    if (!strstr(err, needle)) fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_bad_configs_are_rejected_with_the_field_named(void **state)
{
    (void)state;
    float p[1] = {0}, g[1] = {0};
    nn_param_slice s = {p, g, 1, 1};
    nn_opt_config c = config(NN_OPT_SGD, 0.1f);
    c.nesterov = 1;
    expect_new_fails(&c, &s, 1, "nesterov");
    c = config(NN_OPT_ADAM, 0.1f);
    c.beta1 = 1.0f;
    expect_new_fails(&c, &s, 1, "beta1");
    c = config(NN_OPT_ADAM, NAN);
    expect_new_fails(&c, &s, 1, "lr");
    c = config(NN_OPT_RMSPROP, 0.1f);
    c.alpha = 1.5f;
    expect_new_fails(&c, &s, 1, "alpha");
    c = config(NN_OPT_SGD, 0.1f);
    expect_new_fails(&c, &s, 0, "empty");
    nn_param_slice nograd = {p, NULL, 1, 1};
    expect_new_fails(&c, &nograd, 1, "no gradient");
}

static void test_kind_names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < NN_OPT_KIND_COUNT; k++) assert_int_equal(nn_opt_kind_from_name(nn_opt_kind_name(k)), k);
    assert_int_equal(nn_opt_kind_from_name("adamw"), NN_OPT_ADAMW);
    assert_int_equal(nn_opt_kind_from_name("adagrad"), -1);
    for (int k = 0; k < NN_SCHED_KIND_COUNT; k++) assert_int_equal(nn_sched_kind_from_name(nn_sched_kind_name(k)), k);
    assert_int_equal(nn_sched_kind_from_name("linear"), -1);
}

static void test_defaults_are_pytorchs(void **state)
{
    (void)state;
    nn_opt_config c;
    nn_opt_defaults(NN_OPT_ADAMW, &c);
    assert_float_equal(c.lr, 1e-3f, 0);
    assert_float_equal(c.weight_decay, 1e-2f, 0);
    assert_float_equal(c.beta2, 0.999f, 0);
    nn_opt_defaults(NN_OPT_RMSPROP, &c);
    assert_float_equal(c.lr, 1e-2f, 0);
    assert_float_equal(c.alpha, 0.99f, 0);
    assert_float_equal(c.weight_decay, 0, 0);
}

/* ---- schedules ---------------------------------------------------------------------- */
static void test_schedule_constant_and_step(void **state)
{
    (void)state;
    nn_schedule s;
    nn_schedule_defaults(NN_SCHED_CONSTANT, &s);
    assert_float_equal(nn_schedule_lr(&s, 0.5f, 37, 0.3, 1000), 0.5f, 0);
    nn_schedule_defaults(NN_SCHED_STEP, &s);
    s.step_epochs = 10;   /* gamma 0.1: 1 for epochs 0-9, 0.1 for 10-19, 0.01 for 20-29 */
    assert_int_equal(nn_schedule_check(&s, NULL, 0), 0);
    assert_float_equal(nn_schedule_lr(&s, 1, 0, 0, 0), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 9, 0.9, 0), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 10, 0, 0), 0.1f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 25, 0, 0), 0.01f, TOL);
}

static void test_schedule_exponential_per_epoch(void **state)
{
    (void)state;
    nn_schedule s;
    nn_schedule_defaults(NN_SCHED_EXPONENTIAL, &s);
    s.gamma = 0.5f;   /* 2 * 0.5^epoch: 2, 1, 0.25 at epochs 0, 1, 3 */
    assert_float_equal(nn_schedule_lr(&s, 2, 0, 0.5, 0), 2.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 2, 1, 0, 0), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 2, 3, 0, 0), 0.25f, TOL);
}

static void test_schedule_cosine_is_smooth_within_epochs_and_floors(void **state)
{
    (void)state;
    nn_schedule s;
    nn_schedule_defaults(NN_SCHED_COSINE, &s);
    s.total_epochs = 10;
    s.min_lr = 0.1f;
    /* lr = 0.1 + 0.9 * (1 + cos(pi t)) / 2, t = (epoch + frac) / 10 */
    assert_float_equal(nn_schedule_lr(&s, 1, 0, 0, 0), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 5, 0, 0), 0.55f, TOL);          /* t = 1/2: cos = 0 */
    assert_float_equal(nn_schedule_lr(&s, 1, 2, 0.5, 0), 0.8681981f, TOL);   /* t = 1/4: 0.1 + 0.45*(1 + 0.7071068) */
    assert_float_equal(nn_schedule_lr(&s, 1, 10, 0, 0), 0.1f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 14, 0.5, 0), 0.1f, TOL);        /* held after the end */
}

static void test_schedule_piecewise_switches_at_piece_epochs(void **state)
{
    (void)state;
    nn_schedule s;
    nn_schedule_defaults(NN_SCHED_PIECEWISE, &s);
    s.n_pieces = 2;
    s.piece_epoch[0] = 5;
    s.piece_factor[0] = 0.5f;
    s.piece_epoch[1] = 8;
    s.piece_factor[1] = 0.1f;
    assert_int_equal(nn_schedule_check(&s, NULL, 0), 0);
    assert_float_equal(nn_schedule_lr(&s, 2, 4, 0.99, 0), 2.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 2, 5, 0, 0), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 2, 7, 0, 0), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 2, 8, 0, 0), 0.2f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 2, 100, 0, 0), 0.2f, TOL);
}

static void test_schedule_warmup_ramps_linearly_then_hands_over(void **state)
{
    (void)state;
    nn_schedule s;
    nn_schedule_defaults(NN_SCHED_CONSTANT, &s);
    s.warmup_steps = 4;   /* steps 0..3 use 1/4, 2/4, 3/4, 4/4 of the rate */
    assert_float_equal(nn_schedule_lr(&s, 1, 0, 0, 0), 0.25f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 0, 0, 1), 0.5f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 0, 0, 3), 1.0f, TOL);
    assert_float_equal(nn_schedule_lr(&s, 1, 3, 0, 400), 1.0f, TOL);
    s.kind = NN_SCHED_STEP;   /* warm-up scales the scheduled rate: 0.1 * 3/4 at step 2, epoch 10 */
    s.step_epochs = 10;
    assert_float_equal(nn_schedule_lr(&s, 1, 10, 0, 2), 0.075f, TOL);
}

static void test_schedule_check_rejects_bad_fields(void **state)
{
    (void)state;
    char err[256];
    nn_schedule s;
    nn_schedule_defaults(NN_SCHED_STEP, &s);   /* step_epochs 0 */
    assert_int_equal(nn_schedule_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "step_epochs"));
    nn_schedule_defaults(NN_SCHED_PIECEWISE, &s);
    s.n_pieces = 2;
    s.piece_epoch[0] = 5;
    s.piece_epoch[1] = 3;
    assert_int_equal(nn_schedule_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "increasing"));
    nn_schedule_defaults(NN_SCHED_COSINE, &s);
    s.total_epochs = 5;
    s.warmup_steps = -1;
    assert_int_equal(nn_schedule_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "warmup_steps"));
}

/* ---- clipping ----------------------------------------------------------------------- */
static void test_clip_norm_scales_to_max_norm_over_all_slices(void **state)
{
    (void)state;
    float a[2] = {3, 0}, b[1] = {4};   /* global norm sqrt(9 + 16) = 5 */
    float *gs[2] = {a, b};
    size_t lens[2] = {2, 1};
    float norm = nn_clip_grad_norm(gs, lens, 2, 1.0f);
    assert_float_equal(norm, 5.0f, TOL);
    /* scaled by 1/(5 + 1e-6): (0.6, 0, 0.8) */
    assert_float_equal(a[0], 0.6f, TOL);
    assert_float_equal(a[1], 0.0f, 0);
    assert_float_equal(b[0], 0.8f, TOL);
    assert_float_equal(nn_clip_grad_norm(gs, lens, 2, 10.0f), 1.0f, TOL);
    nn_clip_grad_norm(gs, lens, 2, -1.0f);   /* a negative limit must not flip the signs */
    assert_float_equal(b[0], 0.8f, TOL);
}

static void test_clip_norm_leaves_small_gradients_alone(void **state)
{
    (void)state;
    float a[1] = {0.3f}, b[1] = {0.4f};
    float *gs[2] = {a, b};
    size_t lens[2] = {1, 1};
    assert_float_equal(nn_clip_grad_norm(gs, lens, 2, 1.0f), 0.5f, TOL);
    assert_float_equal(a[0], 0.3f, 0);
    assert_float_equal(b[0], 0.4f, 0);
}

static void test_clip_norm_reports_non_finite_without_touching(void **state)
{
    (void)state;
    float a[2] = {INFINITY, 1};
    float *gs[1] = {a};
    size_t lens[1] = {2};
    assert_true(isinf(nn_clip_grad_norm(gs, lens, 1, 1.0f)));
    assert_float_equal(a[1], 1.0f, 0);
}

static void test_clip_value_clamps_each_element(void **state)
{
    (void)state;
    float g[4] = {-3, 0.5f, 2, -0.25f};
    nn_clip_grad_value(g, 4, 1.0f);
    assert_float_equal(g[0], -1.0f, 0);
    assert_float_equal(g[1], 0.5f, 0);
    assert_float_equal(g[2], 1.0f, 0);
    assert_float_equal(g[3], -0.25f, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_plain_steps_against_gradient),
        cmocka_unit_test(test_sgd_momentum_accumulates_velocity),
        cmocka_unit_test(test_sgd_nesterov_looks_ahead_along_velocity),
        cmocka_unit_test(test_sgd_weight_decay_only_on_decay_slices),
        cmocka_unit_test(test_step_uses_the_learning_rate_passed_not_the_base),
        cmocka_unit_test(test_adam_bias_corrected_steps),
        cmocka_unit_test(test_adamw_decays_decoupled_unlike_adam_with_l2),
        cmocka_unit_test(test_rmsprop_divides_by_running_rms),
        cmocka_unit_test(test_rmsprop_momentum_buffers_the_normalised_step),
        cmocka_unit_test(test_rmsprop_centered_subtracts_mean_square),
        cmocka_unit_test(test_large_slice_matches_elementwise_expectation),
        cmocka_unit_test(test_state_names_follow_config),
        cmocka_unit_test(test_state_buffers_concatenate_slices_in_order),
        cmocka_unit_test(test_restored_state_resumes_identically),
        cmocka_unit_test(test_bad_configs_are_rejected_with_the_field_named),
        cmocka_unit_test(test_kind_names_round_trip),
        cmocka_unit_test(test_defaults_are_pytorchs),
        cmocka_unit_test(test_schedule_constant_and_step),
        cmocka_unit_test(test_schedule_exponential_per_epoch),
        cmocka_unit_test(test_schedule_cosine_is_smooth_within_epochs_and_floors),
        cmocka_unit_test(test_schedule_piecewise_switches_at_piece_epochs),
        cmocka_unit_test(test_schedule_warmup_ramps_linearly_then_hands_over),
        cmocka_unit_test(test_schedule_check_rejects_bad_fields),
        cmocka_unit_test(test_clip_norm_scales_to_max_norm_over_all_slices),
        cmocka_unit_test(test_clip_norm_leaves_small_gradients_alone),
        cmocka_unit_test(test_clip_norm_reports_non_finite_without_touching),
        cmocka_unit_test(test_clip_value_clamps_each_element),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
