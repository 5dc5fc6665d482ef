/* What a step's first run takes from the run just before it instead of computing it again.
 *
 * A GAN's generator step needs G(z) exactly as the discriminator step has just computed it: G's
 * weights have not changed since (that step updated D's), and neither has z. So G runs once per
 * iteration, as in PyTorch's loop (fake = G(z); D's step on fake.detach(); G's step on
 * D(fake)), and the noise is drawn once for both steps.
 *
 * For step k after step k-1, a value is carried when
 *   - the run of step k-1 just before holds it (computed it, or was itself given it), and
 *   - nothing it depends on has changed since: no parameter step k-1 updates (its optimizer)
 *     and no running statistic step k-1's side effects write.
 * The data needs no rule: a step's first run reads the batch of the step before it (trainer.c,
 * run_step). Of the carried values, those step k reads (its boundary: read by a value it
 * computes, or one of its targets) are bound to carry_block, memory of their own that the
 * plans' shared arena never reuses; step k gets a second plan, carry_plan, that takes them as
 * given and leaves out the side effects of the carried values (a generator's batch-norm
 * statistics are updated once an iteration, as in PyTorch). The trainer runs carry_plan on a
 * step's first run when the previous step's last run was on the same graph just before. */
#include "build_internal.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int *given;               /* step k's boundary */
    int n_given;
    char *skip;               /* per node: a side effect its carry plan leaves out */
} carry;

typedef struct {
    char *need, *valid, *carried, *edge, *held, *changed;   /* per node */
    int *t;
} scratch;

/* Marks in need what the targets of step k (side effects in skip left out) depend on, not
 * looking past the nodes in stop (may be NULL). Returns the target count or -1. */
static int needs_of(const model_graph *m, int k, const char *skip, const char *stop, scratch *s)
{
    const nn_graph *g = m->g;
    int n = step_targets(m, k, skip, s->t);
    if (n < 0) return -1;
    memset(s->need, 0, (size_t)g->n);
    for (int i = 0; i < n; i++) s->need[s->t[i]] = 1;
    for (int i = g->n - 1; i >= 0; i--) {
        const nn_node *nd = &g->nodes[i];
        if (!s->need[i] || nd->kind != NN_NODE_OP || (stop && stop[i])) continue;
        for (int j = 0; j < nd->n_in; j++) s->need[nd->in[j]] = 1;
    }
    return n;
}

static int is_side_effect(const model_graph *m, int id)
{
    for (int i = 0; i < m->n_side_effects; i++)
        if (m->side_effects[i] == id) return 1;
    return 0;
}

/* What step k-1 changes for the step after it: its parameters, and the running statistics its
 * side effects (those it ran: marked in ran) write, an ema_update's first input. */
static void mark_changed(const model_graph *m, int prev, const char *ran, char *changed)
{
    memset(changed, 0, (size_t)m->g->n);
    for (int i = 0; i < m->steps[prev].n_params; i++) changed[m->steps[prev].params[i]] = 1;
    for (int i = 0; i < m->n_side_effects; i++)
        if (ran[m->side_effects[i]]) changed[m->g->nodes[m->side_effects[i]].in[0]] = 1;
}

/* Step k's carried values, its boundary and the side effects its carry plan leaves out (into c),
 * from s->held (what the run before holds) and s->changed. */
static int find_carried(const model_graph *m, int k, scratch *s, carry *c)
{
    const nn_graph *g = m->g;
    int n_targets = needs_of(m, k, NULL, NULL, s);
    if (n_targets < 0) return -1;
    for (int v = 0; v < g->n; v++) {   /* inputs come before the nodes reading them */
        const nn_node *nd = &g->nodes[v];
        s->valid[v] = nd->kind != NN_NODE_PARAM || !s->changed[v];
        for (int j = 0; nd->kind == NN_NODE_OP && j < nd->n_in; j++) s->valid[v] &= s->valid[nd->in[j]];
        s->carried[v] = nd->kind == NN_NODE_OP && !nd->bound && s->valid[v] && s->held[v] && s->need[v] && !is_side_effect(m, v);
    }
    memset(s->edge, 0, (size_t)g->n);
    for (int i = 0; i < n_targets; i++) s->edge[s->t[i]] = s->carried[s->t[i]];
    for (int w = 0; w < g->n; w++) {
        const nn_node *nd = &g->nodes[w];
        if (!s->need[w] || s->carried[w] || nd->kind != NN_NODE_OP) continue;
        for (int j = 0; j < nd->n_in; j++) s->edge[nd->in[j]] |= s->carried[nd->in[j]];
    }
    if (!(c->skip = calloc((size_t)g->n, 1))) return -1;
    for (int i = 0; i < m->n_side_effects; i++) {   /* a side effect of carried values only */
        const nn_node *nd = &g->nodes[m->side_effects[i]];
        int all = 1, any = 0;
        for (int j = 0; j < nd->n_in; j++)
            if (g->nodes[nd->in[j]].kind == NN_NODE_OP) all &= s->carried[nd->in[j]], any = 1;
        c->skip[m->side_effects[i]] = any && all;
    }
    c->n_given = 0;
    for (int v = 0; v < g->n; v++)
        if (s->edge[v]) c->n_given++;
    c->given = malloc((size_t)(c->n_given ? c->n_given : 1) * sizeof *c->given);
    if (!c->given) return -1;
    c->n_given = 0;
    for (int v = 0; v < g->n; v++)
        if (s->edge[v]) c->given[c->n_given++] = v;
    return 0;
}

/* What the last run of step k holds afterwards: everything its plan needs, or, when that run
 * is its carry plan (it runs once), what that plan computes and the values it was given. */
static int mark_held(const model_graph *m, int k, const carry *c, scratch *s)
{
    int once = m->s->steps[k].repeat == 1 && c->n_given;
    memset(s->edge, 0, (size_t)m->g->n);
    for (int i = 0; once && i < c->n_given; i++) s->edge[c->given[i]] = 1;
    if (needs_of(m, k, once ? c->skip : NULL, once ? s->edge : NULL, s) < 0) return -1;
    memcpy(s->held, s->need, (size_t)m->g->n);
    return 0;
}

/* Binds every boundary value to one block of its own (values already bound keep their memory). */
static int bind_given(model_graph *m, const carry *c)
{
    nn_graph *g = m->g;
    size_t floats = 0;
    for (int k = 1; k < m->n_steps; k++)
        for (int i = 0; i < c[k].n_given; i++)
            if (!g->nodes[c[k].given[i]].bound) floats += (nn_shape_numel(&g->nodes[c[k].given[i]].shape) + 15) / 16 * 16;
    if (!floats) return 0;
    m->carry_block = aligned_alloc(64, floats * sizeof(float));
    if (!m->carry_block) return -1;
    size_t at = 0;
    for (int k = 1; k < m->n_steps; k++)
        for (int i = 0; i < c[k].n_given; i++) {
            int v = c[k].given[i];
            if (g->nodes[v].bound) continue;
            nn_node_bind(g, v, m->carry_block + at);
            at += (nn_shape_numel(&g->nodes[v].shape) + 15) / 16 * 16;
        }
    return 0;
}

static int carry_plans(model_graph *m, carry *c, scratch *s)
{
    for (int k = 0; k < m->n_steps; k++)   /* bound values are no longer the arena's */
        if (plan_step(m, k) < 0) return -1;
    for (int k = 1; k < m->n_steps; k++) {
        if (!c[k].n_given) continue;
        int n = step_targets(m, k, c[k].skip, s->t);
        if (n < 0 || !(m->steps[k].carry_plan = nn_plan_create_given(m->g, s->t, n, c[k].given, c[k].n_given))) return -1;
    }
    return 0;
}

int plan_carries(model_graph *m)
{
    if (m->n_steps < 2) return 0;
    size_t n = (size_t)m->g->n;
    int cap = 0;
    for (int k = 0; k < m->n_steps; k++)
        if (step_targets_cap(m, k) > cap) cap = step_targets_cap(m, k);
    scratch s = {calloc(n, 1), calloc(n, 1), calloc(n, 1), calloc(n, 1), calloc(n, 1), calloc(n, 1),
                 malloc((size_t)cap * sizeof(int))};
    carry c[SPEC_MAX_STEPS] = {{0}};
    int rc = s.need && s.valid && s.carried && s.edge && s.held && s.changed && s.t ? 0 : -1;
    if (rc == 0) rc = mark_held(m, 0, &c[0], &s);
    for (int k = 1; rc == 0 && k < m->n_steps; k++) {
        mark_changed(m, k - 1, s.held, s.changed);
        rc = find_carried(m, k, &s, &c[k]);
        if (rc == 0) rc = mark_held(m, k, &c[k], &s);
    }
    int any = 0;
    for (int k = 1; k < m->n_steps; k++) any |= c[k].n_given > 0;
    if (rc == 0 && any) rc = bind_given(m, c);
    if (rc == 0 && any) rc = carry_plans(m, c, &s);
    for (int k = 0; k < m->n_steps; k++) free(c[k].given), free(c[k].skip);
    free(s.need), free(s.valid), free(s.carried), free(s.edge), free(s.held), free(s.changed), free(s.t);
    return rc;
}
