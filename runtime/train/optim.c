/* Optimizer objects: config defaults and checks, the one-block state layout, the step
 * driver that precomputes per-step constants, and checkpoint access to the state. */
#include "optim_impl.h"
#include "nn/big_alloc.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const opt_names[NN_OPT_KIND_COUNT] = {"sgd", "adam", "adamw", "rmsprop"};

const char *nn_opt_kind_name(nn_opt_kind kind)
{
    return (unsigned)kind < NN_OPT_KIND_COUNT ? opt_names[kind] : "?";
}

int nn_opt_kind_from_name(const char *name)
{
    for (int k = 0; name && k < NN_OPT_KIND_COUNT; k++)
        if (strcmp(name, opt_names[k]) == 0) return k;
    return -1;
}

void nn_opt_defaults(nn_opt_kind kind, nn_opt_config *c)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->lr = kind == NN_OPT_RMSPROP ? 1e-2 : 1e-3;
    c->weight_decay = kind == NN_OPT_ADAMW ? 1e-2 : 0.0;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->alpha = 0.99;
}

/* ---- config checks ------------------------------------------------------------------ */
static int fail(char *err, size_t errlen, const char *fmt, const char *what, double v, const char *range)
{
    if (err && errlen) snprintf(err, errlen, fmt, what, v, range);
    return -1;
}

/* !(v >= lo) rather than v < lo so that NaN fails too. */
static int check_range(const char *opt, const char *field, double v, double lo, double hi, int hi_open,
                       const char *range, char *err, size_t errlen)
{
    int ok = v >= lo && (hi_open ? v < hi : v <= hi);
    if (ok) return 0;
    char what[64];
    snprintf(what, sizeof what, "%s %s", opt, field);
    return fail(err, errlen, "optimizer: %s is %g; it must be %s", what, v, range);
}

int nn_opt_config_check(const nn_opt_config *c, char *err, size_t errlen)
{
    if ((unsigned)c->kind >= NN_OPT_KIND_COUNT) {
        if (err && errlen) snprintf(err, errlen, "optimizer: unknown kind %d (sgd, adam, adamw, rmsprop)", (int)c->kind);
        return -1;
    }
    const char *n = nn_opt_kind_name(c->kind);
    if (check_range(n, "lr", c->lr, 0, INFINITY, 1, ">= 0 and finite", err, errlen)) return -1;
    if (check_range(n, "weight_decay", c->weight_decay, 0, INFINITY, 1, ">= 0 and finite", err, errlen)) return -1;
    switch (c->kind) {
    case NN_OPT_SGD:
        if (check_range(n, "momentum", c->momentum, 0, INFINITY, 1, ">= 0 and finite", err, errlen)) return -1;
        if (c->nesterov && !(c->momentum > 0)) {
            if (err && errlen) snprintf(err, errlen, "optimizer: sgd nesterov needs momentum > 0 (momentum is %g)", c->momentum);
            return -1;
        }
        return 0;
    case NN_OPT_ADAM:
    case NN_OPT_ADAMW:
        if (check_range(n, "beta1", c->beta1, 0, 1, 1, "in [0, 1)", err, errlen)) return -1;
        if (check_range(n, "beta2", c->beta2, 0, 1, 1, "in [0, 1)", err, errlen)) return -1;
        return check_range(n, "eps", c->eps, 0, INFINITY, 1, ">= 0 and finite", err, errlen);
    case NN_OPT_RMSPROP:
        if (check_range(n, "momentum", c->momentum, 0, INFINITY, 1, ">= 0 and finite", err, errlen)) return -1;
        if (check_range(n, "alpha", c->alpha, 0, 1, 0, "in [0, 1]", err, errlen)) return -1;
        return check_range(n, "eps", c->eps, 0, INFINITY, 1, ">= 0 and finite", err, errlen);
    default:
        return -1;
    }
}

/* ---- construction ------------------------------------------------------------------- */
/* Which state buffers a config needs, in a fixed order. */
static int state_layout(const nn_opt_config *c, const char **names)
{
    int k = 0;
    switch (c->kind) {
    case NN_OPT_SGD:
        if (c->momentum > 0) names[k++] = "momentum";
        break;
    case NN_OPT_ADAM:
    case NN_OPT_ADAMW:
        names[k++] = "m";
        names[k++] = "v";
        break;
    case NN_OPT_RMSPROP:
        names[k++] = "square_avg";
        if (c->momentum > 0) names[k++] = "momentum";
        if (c->centered) names[k++] = "grad_avg";
        break;
    default:
        break;
    }
    return k;
}

static int check_slices(const nn_param_slice *s, int n_slices, size_t *total, char *err, size_t errlen)
{
    if (!s || n_slices <= 0) {
        if (err && errlen) snprintf(err, errlen, "optimizer: empty parameter list (the parameter group selects no tensors)");
        return -1;
    }
    *total = 0;
    for (int i = 0; i < n_slices; i++) {
        if (s[i].n > 0 && (!s[i].param || !s[i].grad)) {
            if (err && errlen)
                snprintf(err, errlen, "optimizer: parameter slice %d has %s memory (%zu floats); give both "
                         "parameter and gradient", i, s[i].param ? "no gradient" : "no parameter", s[i].n);
            return -1;
        }
        *total += s[i].n;
    }
    return 0;
}

nn_optimizer *nn_optimizer_new(const nn_opt_config *c, const nn_param_slice *s, int n_slices,
                               char *err, size_t errlen)
{
    size_t total;
    if (!c) {
        if (err && errlen) snprintf(err, errlen, "optimizer: no config given");
        return NULL;
    }
    if (nn_opt_config_check(c, err, errlen) < 0 || check_slices(s, n_slices, &total, err, errlen) < 0)
        return NULL;
    nn_optimizer *o = calloc(1, sizeof *o);
    if (!o) goto oom;
    o->cfg = *c;
    o->n_slices = n_slices;
    o->total = total;
    o->slices = malloc((size_t)n_slices * sizeof *o->slices);
    o->offset = malloc((size_t)n_slices * sizeof *o->offset);
    o->n_state = state_layout(c, o->state_name);
    /* One zeroed block holds every state buffer, each `total` floats (llm.c style). */
    o->block = o->n_state ? nn_big_calloc((size_t)o->n_state * total + 1, sizeof(float)) : NULL;
    if (!o->slices || !o->offset || (o->n_state && !o->block)) goto oom;
    memcpy(o->slices, s, (size_t)n_slices * sizeof *s);
    for (int i = 0; i < n_slices; i++) o->offset[i] = i ? o->offset[i - 1] + s[i - 1].n : 0;
    for (int k = 0; k < o->n_state; k++) o->state[k] = o->block + (size_t)k * total;
    return o;
oom:
    if (err && errlen)
        snprintf(err, errlen, "optimizer: out of memory allocating state for %zu parameters", total);
    nn_optimizer_free(o);
    return NULL;
}

void nn_optimizer_free(nn_optimizer *o)
{
    if (!o) return;
    free(o->block);
    free(o->offset);
    free(o->slices);
    free(o);
}

const nn_opt_config *nn_optimizer_config(const nn_optimizer *o) { return &o->cfg; }

/* ---- the step ----------------------------------------------------------------------- */
/* Every constant is formed in double and rounded once (see nn_opt_config). */
static nn_opt_coef step_coefficients(const nn_opt_config *c, double lr, long t)
{
    nn_opt_coef k = {.lr = (float)lr, .wd = (float)c->weight_decay, .mu = (float)c->momentum,
                     .b1 = (float)c->beta1, .b2 = (float)c->beta2, .eps = (float)c->eps,
                     .alpha = (float)c->alpha, .c1 = (float)(1.0 - c->beta1),
                     .c2 = (float)(1.0 - c->beta2), .calpha = (float)(1.0 - c->alpha),
                     .decoupled_mul = 1.0f};
    if (c->kind == NN_OPT_ADAM || c->kind == NN_OPT_ADAMW) {
        double bc1 = 1.0 - pow(c->beta1, (double)t), bc2 = 1.0 - pow(c->beta2, (double)t);
        k.step_size = (float)(lr / bc1);
        k.inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    }
    if (c->kind == NN_OPT_ADAMW) {
        k.decoupled_mul = (float)(1.0 - lr * c->weight_decay);
        k.wd = 0.0f;
    }
    return k;
}

/* The state buffer named `name` at slice i, or NULL if this config has none. */
static float *state_at(nn_optimizer *o, const char *name, int i)
{
    int k = nn_optimizer_state_find(o, name);
    return k < 0 ? NULL : o->state[k] + o->offset[i];
}

void nn_optimizer_step(nn_optimizer *o, double lr)
{
    const nn_opt_config *c = &o->cfg;
    o->steps++;
    const nn_opt_coef all = step_coefficients(c, lr, o->steps);
    nn_opt_coef nodecay = all;
    nodecay.wd = 0.0f;
    nodecay.decoupled_mul = 1.0f;
    for (int i = 0; i < o->n_slices; i++) {
        const nn_param_slice *s = &o->slices[i];
        const nn_opt_coef *k = s->decay ? &all : &nodecay;
        if (s->n == 0) continue;
        switch (c->kind) {
        case NN_OPT_SGD:
            nn_opt_sgd_slice(s->param, s->grad, state_at(o, "momentum", i), s->n, k, c->nesterov);
            break;
        case NN_OPT_ADAM:
        case NN_OPT_ADAMW:
            nn_opt_adam_slice(s->param, s->grad, state_at(o, "m", i), state_at(o, "v", i), s->n, k);
            break;
        case NN_OPT_RMSPROP:
            nn_opt_rmsprop_slice(s->param, s->grad, state_at(o, "square_avg", i), state_at(o, "momentum", i),
                                 state_at(o, "grad_avg", i), s->n, k);
            break;
        default:
            break;
        }
    }
}

/* ---- state access ------------------------------------------------------------------- */
int nn_optimizer_state_count(const nn_optimizer *o) { return o->n_state; }

const char *nn_optimizer_state_name(const nn_optimizer *o, int i)
{
    return i >= 0 && i < o->n_state ? o->state_name[i] : NULL;
}

float *nn_optimizer_state_data(nn_optimizer *o, int i)
{
    return i >= 0 && i < o->n_state ? o->state[i] : NULL;
}

size_t nn_optimizer_state_len(const nn_optimizer *o) { return o->total; }

int nn_optimizer_state_find(const nn_optimizer *o, const char *name)
{
    for (int k = 0; name && k < o->n_state; k++)
        if (strcmp(o->state_name[k], name) == 0) return k;
    return -1;
}

long nn_optimizer_steps(const nn_optimizer *o) { return o->steps; }
void nn_optimizer_set_steps(nn_optimizer *o, long steps) { o->steps = steps < 0 ? 0 : steps; }

void nn_optimizer_reset(nn_optimizer *o)
{
    if (o->block) memset(o->block, 0, (size_t)o->n_state * o->total * sizeof(float));
    o->steps = 0;
}
