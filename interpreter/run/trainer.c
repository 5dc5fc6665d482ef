/* The training loop: batches through the graphs, optimizer steps, per-epoch evaluation,
 * progress, Ctrl-C and NaN handling. Checkpoints and resume live in checkpoint.c. */
#include "trainer.h"
#include "trainer_dist.h"
#include "nn/dist.h"
#include "../build/embedding_vectors.h"
#include "nn/ops.h"
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The first SIGINT or SIGTERM of the run (0: none). The handler only records it: the trainer
 * stops after the current step and writes its checkpoint with the handler still installed, so
 * a second Ctrl-C while the checkpoint is written changes nothing (trainer_run). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    if (!interrupted) interrupted = sig;
}

/* The exit status of a run stopped by signal sig, as shells report it: 130 for SIGINT, 143 for
 * SIGTERM. */
static int interrupted_status(int sig) { return 128 + sig; }

static int is_interrupted_status(int status)
{
    return status == interrupted_status(SIGINT) || status == interrupted_status(SIGTERM);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int add_column(history *h, int epochs, int fraction, const char *fmt, const char *arg)
{
    int c = h->n_cols++;
    snprintf(h->name[c], H_NAME_LEN, fmt, arg);
    h->fraction[c] = fraction;
    h->col[c] = calloc((size_t)epochs + 1, sizeof(float));
    return h->col[c] ? c : -1;
}

/* "loss" for a group named loss (a single model's), else the group's name */
static const char *group_column(const loss_group *g) { return g->name; }

static int is_classifier(const trainer *t);

static int history_alloc(trainer *t)
{
    const spec *s = t->s;
    history *h = &t->h;
    history_columns *hc = &t->hc;
    int E = s->train.epochs, ok = 1;
    for (int g = 0; g < s->n_groups; g++) ok &= (hc->train[g] = add_column(h, E, 0, "train_%s", group_column(&s->groups[g]))) >= 0;
    ok &= (hc->train_acc = add_column(h, E, 1, "train_accuracy%s", "")) >= 0;
    for (int g = 0; g < s->n_groups; g++) ok &= (hc->test[g] = add_column(h, E, 0, "test_%s", group_column(&s->groups[g]))) >= 0;
    ok &= (hc->test_acc = add_column(h, E, 1, "test_accuracy%s", "")) >= 0;
    ok &= (hc->test_rel_l2 = add_column(h, E, 1, "test_rel_l2%s", "")) >= 0;
    for (int k = 0; k < s->n_steps; k++)
        ok &= (hc->lr[k] = add_column(h, E, 0, s->n_steps == 1 ? "lr%.0s" : "lr_%s", s->steps[k].name)) >= 0;
    ok &= (hc->seconds = add_column(h, E, 0, "seconds%s", "")) >= 0;
    for (int g = 0; g < s->n_groups; g++)
        for (int k = 0; k < s->groups[g].n_terms; k++) {
            term_columns *tc = &hc->term[g][k];
            char name[2 * SPEC_NAME_LEN + 2];
            snprintf(name, sizeof name, "%s.%s", s->groups[g].name, s->groups[g].terms[k].name);
            int several = s->groups[g].n_terms > 1, scored = t->eval_full->term_check[g][k].pred >= 0;
            *tc = (term_columns){-1, -1, -1, -1};
            if (several) ok &= (tc->train = add_column(h, E, 0, "train_%s", name)) >= 0;
            if (several) ok &= (tc->test = add_column(h, E, 0, "test_%s", name)) >= 0;
            if (scored) ok &= (tc->train_acc = add_column(h, E, 1, "train_%s_accuracy", name)) >= 0;
            if (scored) ok &= (tc->test_acc = add_column(h, E, 1, "test_%s_accuracy", name)) >= 0;
        }
    t->steps.n_cols = 1 + s->n_groups + s->n_steps + is_classifier(t);   /* + the iteration's accuracy */
    return ok ? 0 : -1;
}

int trainer_add_metric(trainer *t, const char *name, int fraction, epoch_metric_fn fn, void *ctx)
{
    if (t->n_metrics == TRAINER_MAX_METRICS || t->h.n_cols == H_MAX_COLUMNS) return -1;
    int c = add_column(&t->h, t->s->train.epochs, fraction, "%s", name);
    if (c < 0) return -1;
    for (int e = 0; e <= t->s->train.epochs; e++) t->h.col[c][e] = NAN;
    t->metrics[t->n_metrics].column = c;
    t->metrics[t->n_metrics].fn = fn;
    t->metrics[t->n_metrics++].ctx = ctx;
    return c;
}

static void history_free(history *h)
{
    for (int c = 0; c < h->n_cols; c++) free(h->col[c]);
}

static int step_log_add(step_log *l, const float *row)
{
    if (l->n == l->cap) {
        long cap = l->cap ? 2 * l->cap : 1024;
        float *v = realloc(l->v, (size_t)cap * l->n_cols * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    memcpy(l->v + (size_t)l->n++ * l->n_cols, row, (size_t)l->n_cols * sizeof *row);
    return 0;
}

const char *step_log_name(const trainer *t, int c)
{
    const spec *s = t->s;
    if (c == 0) return "epoch";
    if (c <= s->n_groups) return t->h.name[t->hc.train[c - 1]];
    if (c <= s->n_groups + s->n_steps) return t->h.name[t->hc.lr[c - 1 - s->n_groups]];
    return "train_accuracy";
}

/* ---- set-up ---------------------------------------------------------------------------- */
/* The training graphs (train: 1) and the evaluation graphs; the first graph built owns and
 * initialises the parameters, the others share them. */
static int build_graphs(trainer *t, int train, diag *d)
{
    const spec *s = t->s;
    const nn_dataset *ev = t->data.has_test ? &t->data.test : &t->data.train;
    int B = s->train.batch;
    int n = t->data.train.n ? t->data.train.n : ev->n;   /* evaluation only: no training split */
    if (B > n) B = n;    /* a tiny dataset: one batch holds it all */
    if (train) {
        t->train_full = model_build(s, &t->info, B, 1, NULL, &t->init_rng, d);
        if (!t->train_full) return -1;
        int rest = n % B;
        if (rest && !s->train.drop_last) {
            t->train_last = model_build(s, &t->info, rest, 1, t->train_full, &t->init_rng, d);
            if (!t->train_last) return -1;
        }
    }
    int EB = B < ev->n ? B : ev->n;
    t->eval_full = model_build(s, &t->info, EB, 0, t->train_full, &t->init_rng, d);
    if (!t->eval_full) return -1;
    if (ev->n % EB) {
        t->eval_last = model_build(s, &t->info, ev->n % EB, 0, trainer_weights(t), &t->init_rng, d);
        if (!t->eval_last) return -1;
    }
    return 0;
}

model_graph *trainer_weights(const trainer *t) { return t->train_full ? t->train_full : t->eval_full; }

double trainer_iteration_flops(const trainer *t)
{
    const model_graph *m = t->train_full;
    double f = 0;
    for (int k = 0; m && k < t->s->n_steps; k++) {
        const step_graph *sg = &m->steps[k];
        f += t->s->steps[k].repeat * nn_plan_flops(m->g, sg->plan);
        if (k > 0 && sg->carry_plan) f -= nn_plan_flops(m->g, sg->plan) - nn_plan_flops(m->g, sg->carry_plan);   /* its first run */
    }
    return f;
}

/* Step k's optimizer over the parameters of the nets it updates. */
static int make_optimizer(trainer *t, int k)
{
    model_graph *m = t->train_full;
    const step_graph *sg = &m->steps[k];
    nn_graph *g = m->g;
    nn_param_slice *sl = calloc((size_t)(sg->n_params ? sg->n_params : 1), sizeof *sl);
    if (!sl) return -1;
    size_t off = 0;
    int ns = 0;
    for (int i = 0; i < sg->n_params; i++) {   /* running statistics are parameters without gradients */
        size_t n = nn_numel(g, sg->params[i]);
        if (!g->nodes[sg->params[i]].no_grad) sl[ns++] = (nn_param_slice){nn_data(g, sg->params[i]), sg->grad_block + off, n, 1};
        off += n;
    }
    char err[256];
    t->opt[k] = nn_optimizer_new(&t->s->steps[k].opt, sl, ns, err, sizeof err);
    if (!t->opt[k]) fprintf(stderr, "nnrun: %s\n", err);
    free(sl);
    return t->opt[k] ? 0 : -1;
}

static int setup(trainer *t, const spec *s, int train, diag *d)
{
    memset(t, 0, sizeof *t);
    t->s = s;
    nn_rng root;
    nn_rng_seed(&root, s->seed);
    t->init_rng = nn_rng_split(&root);
    t->noise_rng = nn_rng_split(&root);
    if ((train ? data_setup(s, &t->data, d) : data_setup_eval(s, &t->data, d)) < 0) return -1;
    const nn_dataset *shape_from = t->data.train.n ? &t->data.train : &t->data.test;
    t->info.sample = shape_from->sample;
    t->info.y_dim = shape_from->y ? shape_from->y_dim : 0;
    t->info.n_classes = shape_from->n_classes;
    if (!s->n_nets && train) return 0;   /* a data study: its data alone (no graphs, no history) */
    if (build_graphs(t, train, d) < 0) return -1;
    if (data_check_classes(s, &t->data, trainer_weights(t)->label_classes, d) < 0) return -1;
    if (embedding_vectors_load(s, trainer_weights(t), t->data.vocab, d) < 0) return -1;
    for (int k = 0; train && k < s->n_steps; k++)
        if (make_optimizer(t, k) < 0) {
            diag_error_at(d, s->file, 1, 1, "out of memory for the optimizer");
            return -1;
        }
    return history_alloc(t);
}

/* ---- moving averages of weights (a net's `ema`) --------------------------------------------- */
static size_t net_param_floats(const model_graph *m, int n)
{
    size_t total = 0;
    for (int k = 0; k < m->nets[n].n; k++) total += nn_numel(m->g, m->nets[n].ids[k]);
    return total;
}

/* The averages start as the initial weights. */
static int ema_alloc(trainer *t)
{
    const model_graph *m = trainer_weights(t);
    for (int n = 0; n < t->s->n_nets; n++) {
        if (!(t->s->nets[n].ema > 0)) continue;
        float *e = t->ema[n] = malloc((net_param_floats(m, n) + 1) * sizeof(float));
        if (!e) return -1;
        for (int k = 0; k < m->nets[n].n; k++) {
            size_t c = nn_numel(m->g, m->nets[n].ids[k]);
            memcpy(e, nn_data(m->g, m->nets[n].ids[k]), c * sizeof(float));
            e += c;
        }
    }
    return 0;
}

void trainer_ema_swap(trainer *t, int in)
{
    if (t->ema_in == in) return;
    const model_graph *m = trainer_weights(t);
    for (int n = 0; n < t->s->n_nets; n++) {
        float *e = t->ema[n];
        for (int k = 0; e && k < m->nets[n].n; k++) {
            float *p = nn_data(m->g, m->nets[n].ids[k]);
            size_t c = nn_numel(m->g, m->nets[n].ids[k]);
            for (size_t i = 0; i < c; i++) {
                float v = p[i];
                p[i] = e[i];
                e[i] = v;
            }
            e += c;
        }
    }
    t->ema_in = in;
}

/* After step k's update: average = decay * average + (1 - decay) * weights, for its nets. */
static void ema_update(trainer *t, int k)
{
    const model_graph *m = t->train_full;
    const step_spec *st = &t->s->steps[k];
    for (int j = 0; j < st->n_nets; j++) {
        int n = st->nets[j];
        float *e = t->ema[n], a = t->s->nets[n].ema, b = 1.0f - a;
        for (int q = 0; e && q < m->nets[n].n; q++) {
            const float *p = nn_data(m->g, m->nets[n].ids[q]);
            size_t c = nn_numel(m->g, m->nets[n].ids[q]);
#pragma omp simd
            for (size_t i = 0; i < c; i++) e[i] = a * e[i] + b * p[i];
            e += c;
        }
    }
}

int trainer_init(trainer *t, const spec *s, diag *d)
{
    if (setup(t, s, 1, d) < 0) return -1;
    if (s->n_nets) dist_share_weights(t);   /* several ranks: rank 0's initial weights everywhere */
    if (ema_alloc(t) == 0) return 0;
    diag_error_at(d, s->file, 1, 1, "out of memory for the weights' moving averages");
    return -1;
}

int trainer_init_eval(trainer *t, const spec *s, diag *d) { return setup(t, s, 0, d); }

void trainer_free(trainer *t)
{
    model_free(t->train_last);
    model_free(t->eval_full);
    model_free(t->eval_last);
    model_free(t->train_full);
    for (int k = 0; k < SPEC_MAX_STEPS; k++) nn_optimizer_free(t->opt[k]);
    for (int n = 0; n < SPEC_MAX_NETS; n++) free(t->ema[n]);
    data_release(&t->data);
    history_free(&t->h);
    free(t->steps.v);
}

/* ---- running graphs --------------------------------------------------------------------- */
/* Dropout and noise draw from the run's noise stream whichever graph runs, so the stream
 * (and a resumed run) does not depend on how batches fall into graphs; on several ranks, each
 * from a stream of its own derived from it (trainer_dist.c). */
static void run_plan(trainer *t, model_graph *m, nn_plan *p)
{
    if (dist_ranks() > 1) {
        dist_noise_stream(t, &m->g->rng);
        nn_plan_run(m->g, p);
        return;
    }
    m->g->rng = t->noise_rng;
    nn_plan_run(m->g, p);
    t->noise_rng = m->g->rng;
}

static void run_graph(trainer *t, model_graph *m) { run_plan(t, m, m->plan); }

static void feed_rows(model_graph *m, const nn_dataset *ds, const int *rows, int n, float *xbuf, float *ybuf)
{
    size_t xn = nn_shape_numel(&ds->sample);
    for (int i = 0; i < n; i++) {
        memcpy(xbuf + (size_t)i * xn, ds->x + (size_t)rows[i] * xn, xn * sizeof(float));
        if (ds->y) memcpy(ybuf + (size_t)i * ds->y_dim, ds->y + (size_t)rows[i] * ds->y_dim, (size_t)ds->y_dim * sizeof(float));
    }
    (void)m;
}

size_t trainer_node_width(trainer *t, int node) { return nn_numel(t->eval_full->g, node) / (size_t)t->eval_full->batch; }

static int layer_node(const trainer *t, int layer) { return layer < 0 ? t->eval_full->x : t->eval_full->out[layer]; }

size_t trainer_layer_width(trainer *t, int layer) { return trainer_node_width(t, layer_node(t, layer)); }

int trainer_node_outputs(trainer *t, const nn_dataset *ds, const int *rows, int n, int id, float *out)
{
    model_graph *m = t->eval_full;
    int B = m->batch;
    size_t w = trainer_node_width(t, id);
    if (model_plan(m, &id, 1) < 0) return -1;
    for (int start = 0; start < n; start += B) {
        int k = n - start < B ? n - start : B;
        feed_rows(m, ds, rows + start, k, nn_data(m->g, m->x), m->t >= 0 ? nn_data(m->g, m->t) : NULL);
        run_graph(t, m);
        memcpy(out + (size_t)start * w, nn_data(m->g, id), (size_t)k * w * sizeof(float));
    }
    return model_plan(m, NULL, 0);
}

int trainer_layer_outputs(trainer *t, const nn_dataset *ds, const int *rows, int n, int layer, float *out)
{
    return trainer_node_outputs(t, ds, rows, n, layer_node(t, layer), out);
}

/* The model's metric layer predicts the dataset's classes. */
static int is_classifier(const trainer *t)
{
    const model_graph *m = t->eval_full;
    return m->metric_target >= 0 && m->metric_target == m->t && t->info.n_classes > 0;
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* Per-step accuracy of a sequence classifier: pr holds steps x classes logits, yr the steps'
 * class ids; returns the share of the steps right, leaving out those whose target is `ignore`
 * (padding; -1: none), so summed over samples it counts samples (a sequence of padding alone
 * counts as right). */
static double step_accuracy(const float *pr, const float *yr, size_t steps, size_t classes, int ignore)
{
    size_t right = 0, counted = 0;
    for (size_t s = 0; s < steps; s++) {
        if ((int)yr[s] == ignore) continue;
        right += argmax(pr + s * classes, (int)classes) == (int)yr[s];
        counted++;
    }
    return counted ? (double)right / (double)counted : 1.0;
}

static void accumulate_metrics(model_graph *m, int rows, double *correct, double *err2, double *ref2)
{
    nn_graph *g = m->g;
    if (m->metric_pred < 0 || m->metric_target < 0) return;
    const float *p = nn_data(g, m->metric_pred), *y = nn_data(g, m->metric_target);
    size_t pw = nn_numel(g, m->metric_pred) / (size_t)m->batch, yw = nn_numel(g, m->metric_target) / (size_t)m->batch;
    for (int r = 0; r < rows; r++) {
        const float *pr = p + (size_t)r * pw, *yr = y + (size_t)r * yw;
        if (yw == 1 && pw > 1) *correct += argmax(pr, (int)pw) == (int)yr[0];
        else if (yw == 1 && pw == 1) *correct += (pr[0] > 0) == (yr[0] > 0.5f);
        else if (yw > 1 && pw > yw && pw % yw == 0) *correct += step_accuracy(pr, yr, yw, pw / yw, m->metric_ignore);
        if (pw == yw)
            for (size_t i = 0; i < pw; i++) {
                double e = (double)pr[i] - yr[i];
                *err2 += e * e;
                *ref2 += (double)yr[i] * yr[i];
            }
    }
}

/* Adds a run's loss terms of group g (rows samples) to sums. */
static void accumulate_terms(const model_graph *m, int g, int rows, term_sums *sums)
{
    nn_graph *gr = m->g;
    for (int k = 0; k < m->s->groups[g].n_terms; k++) {
        term_sums *ts = &sums[k];
        ts->value += (double)nn_data(gr, m->loss_terms[g][k])[0] * rows;
        const term_check *c = &m->term_check[g][k];
        if (c->pred < 0) continue;
        const float *p = nn_data(gr, c->pred);
        size_t n = nn_numel(gr, c->pred);
        int want = c->target > 0.5f;
        for (size_t i = 0; i < n; i++) ts->right += (p[i] > 0) == want;
        ts->seen += (double)n;
    }
}

/* A term's columns for one epoch from its sums over `rows` samples. */
static void record_terms(trainer *t, int e, int test, const term_sums sums[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES],
                         const double *rows)
{
    const spec *s = t->s;
    for (int g = 0; g < s->n_groups; g++)
        for (int k = 0; k < s->groups[g].n_terms; k++) {
            const term_columns *tc = &t->hc.term[g][k];
            const term_sums *ts = &sums[g][k];
            int value = test ? tc->test : tc->train, acc = test ? tc->test_acc : tc->train_acc;
            if (value >= 0) t->h.col[value][e] = rows[g] > 0 ? (float)(ts->value / rows[g]) : NAN;
            if (acc >= 0) t->h.col[acc][e] = ts->seen > 0 ? (float)(ts->right / ts->seen) : NAN;
        }
}

/* The sums of an evaluation over every rank (each evaluated its share of the batches). */
static void sum_over_ranks(double *loss, double *metrics, term_sums terms[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES])
{
    enum { G = SPEC_MAX_GROUPS, K = SPEC_MAX_LOSSES };
    double v[G + 3 + 3 * G * K];
    int n = 0;
    for (int g = 0; g < G; g++) v[n++] = loss[g];
    for (int i = 0; i < 3; i++) v[n++] = metrics[i];
    for (int g = 0; g < G; g++)
        for (int k = 0; k < K; k++) v[n++] = terms[g][k].value, v[n++] = terms[g][k].right, v[n++] = terms[g][k].seen;
    nn_dist_sum_doubles(v, (size_t)n);
    n = 0;
    for (int g = 0; g < G; g++) loss[g] = v[n++];
    for (int i = 0; i < 3; i++) metrics[i] = v[n++];
    for (int g = 0; g < G; g++)
        for (int k = 0; k < K; k++) terms[g][k].value = v[n++], terms[g][k].right = v[n++], terms[g][k].seen = v[n++];
}

/* Evaluates the first n samples of ds: all of them, or a whole number of batches; with
 * `sharded` on several ranks, each rank its share of the batches (every rank must call). */
static int evaluate_first(trainer *t, const nn_dataset *ds, int n, int sharded, eval_result *r)
{
    double loss[SPEC_MAX_GROUPS] = {0}, m3[3] = {0}, *correct = &m3[0], *err2 = &m3[1], *ref2 = &m3[2];
    int B = t->eval_full->batch, ranks = sharded ? dist_ranks() : 1, mine = sharded ? nn_dist_rank() : 0;
    memset(r->terms, 0, sizeof r->terms);
    if (n > ds->n) n = ds->n;
    for (int start = 0; start < n; start += B) {
        if ((start / B) % ranks != mine) continue;
        int k = n - start < B ? n - start : B;
        model_graph *m = k == B ? t->eval_full : t->eval_last;
        if (!m) return -1;
        size_t xn = nn_shape_numel(&ds->sample);
        memcpy(nn_data(m->g, m->x), ds->x + (size_t)start * xn, (size_t)k * xn * sizeof(float));
        if (m->t >= 0 && ds->y)
            memcpy(nn_data(m->g, m->t), ds->y + (size_t)start * ds->y_dim, (size_t)k * ds->y_dim * sizeof(float));
        run_graph(t, m);
        for (int g = 0; g < t->s->n_groups; g++) {
            loss[g] += (double)nn_data(m->g, m->group_loss[g])[0] * k;
            accumulate_terms(m, g, k, r->terms[g]);
        }
        accumulate_metrics(m, k, correct, err2, ref2);
    }
    if (ranks > 1) sum_over_ranks(loss, m3, r->terms);
    for (int g = 0; g < t->s->n_groups; g++) r->group_loss[g] = loss[g] / n;
    r->loss = r->group_loss[0];
    r->accuracy = is_classifier(t) || t->s->train.accuracy ? *correct / n : NAN;
    r->rel_l2 = *ref2 > 0 && t->s->train.rel_l2 ? sqrt(*err2 / *ref2) : NAN;
    return 0;
}

int trainer_evaluate(trainer *t, const nn_dataset *ds, eval_result *r) { return evaluate_first(t, ds, ds->n, 0, r); }

/* ---- one epoch --------------------------------------------------------------------------- */
static void clip_gradients(trainer *t, int k)
{
    const step_spec *st = &t->s->steps[k];
    const step_graph *sg = &t->train_full->steps[k];
    size_t n = sg->n_grad_floats;
    if (st->clip_value > 0) nn_clip_grad_value(sg->grad_block, n, st->clip_value);
    if (st->clip_norm > 0) {
        float *const blocks[1] = {sg->grad_block};
        nn_clip_grad_norm(blocks, &n, 1, st->clip_norm);
    }
}

/* Names the first layer whose values stop being finite, by re-running the step with every
 * node kept (buffers are normally reused, so the normal plan cannot tell). */
static void report_non_finite(model_graph *m)
{
    nn_graph *g = m->g;
    int *all = malloc((size_t)g->n * sizeof *all), n = 0;
    if (!all) return;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_OP && !g->nodes[i].bound) all[n++] = i;
    nn_plan *p = nn_plan_create(g, all, n);
    free(all);
    if (!p) return;
    nn_rng keep = g->rng;
    nn_plan_run(g, p);
    g->rng = keep;
    for (int k = 0; k < p->n; k++) {
        nn_node *nd = &g->nodes[p->order[k]];
        size_t cnt = nn_shape_numel(&nd->shape);
        for (size_t i = 0; i < cnt; i++)
            if (!isfinite(nd->data[i])) {
                fprintf(stderr, "nnrun: the first non-finite value appears in layer '%s' (op %s)\n", nd->label,
                        nn_op_def_at(nd->op)->name);
                nn_plan_free(p);
                return;
            }
    }
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_PARAM)
            for (size_t j = 0; j < nn_numel(g, i); j++)
                if (!isfinite(nn_data(g, i)[j])) {
                    fprintf(stderr, "nnrun: parameter '%s' holds a non-finite value\n", g->nodes[i].label);
                    nn_plan_free(p);
                    return;
                }
    nn_plan_free(p);
}

/* Step k's learning rate for a run on batch `batch` of the epoch's n_batches. */
static double current_lr(trainer *t, int k, int batch, int n_batches)
{
    const step_spec *st = &t->s->steps[k];
    double frac = n_batches ? (double)batch / n_batches : 0;
    double lr = nn_schedule_lr(&st->sched, st->opt.lr, t->epoch, frac, t->step);
    return t->s->train.scale_lr_with_ranks ? lr * dist_ranks() : lr;
}

/* The message of a non-finite loss, after the display hooks have stopped (trainer_run). */
static void report_stop(const trainer *t)
{
    const spec *s = t->s;
    model_graph *m = t->stop.graph;
    int k = t->stop.step;
    float loss = t->stop.loss;
    fprintf(stderr, "nnrun: the loss%s%s became %s at epoch %d, batch %d (step %ld)\n", s->n_steps > 1 ? " of step " : "",
            s->n_steps > 1 ? s->steps[k].name : "", isnan(loss) ? "NaN" : isinf(loss) ? "infinite" : "non-finite on another rank",
            t->epoch + 1, t->batch_in_epoch,
            t->step + 1);
    report_non_finite(m);
    fprintf(stderr, "nnrun: stopped; the last checkpoint in %s is kept. A lower learning rate or gradient "
                    "clipping (train.clip_grad_norm) may help.\n", s->out_dir);
}

/* Where an iteration is: the graph holding its last batch, and the graph of the run before. */
typedef struct {
    model_graph *held, *last;
} iteration;

/* One run (the rep-th) of step k. A step whose loss reads the data takes the next batch, except
 * on its first run when an earlier step of the iteration already took one (it->held, the graph
 * holding it): it reads that batch again, as a conditional GAN's generator step conditions on
 * the labels its discriminator step just saw. A first run right after the previous step's last
 * run on the same graph takes what that run computed and still holds (its carry plan: a GAN's
 * G(z) once an iteration). Returns 0, 1 when the epoch has no batch left for it, 3 on a
 * non-finite loss. */
static int run_step(trainer *t, int k, int rep, iteration *it, nn_batcher *b, int nb, double *group_sum,
                    long *group_rows)
{
    model_graph *full = t->train_full, *m = full;
    int rows = full->batch, g = t->s->steps[k].group, batch = t->batch_in_epoch;
    if (full->steps[k].reads_data && it->held && rep == 0) {
        m = it->held;
        rows = m->batch;
    } else if (full->steps[k].reads_data) {
        if (t->batch_in_epoch >= nb) return 1;
        int index = dist_batch_index(t->batch_in_epoch);
        rows = nn_batcher_fill(b, index, nn_data(full->g, full->x), full->t >= 0 ? nn_data(full->g, full->t) : NULL);
        if (rows != full->batch) {
            m = t->train_last;
            nn_batcher_fill(b, index, nn_data(m->g, m->x), m->t >= 0 ? nn_data(m->g, m->t) : NULL);
        }
        t->batch_in_epoch++;
        it->held = m;
    }
    nn_plan *carry = k > 0 && rep == 0 && it->last == m ? m->steps[k].carry_plan : NULL;
    run_plan(t, m, carry ? carry : m->steps[k].plan);
    it->last = m;
    float loss = nn_data(m->g, m->group_loss[g])[0];
    if (dist_any(!isfinite(loss))) {   /* every rank stops at the same step */
        t->stop = (trainer_stop){m, k, loss};
        return 3;
    }
    dist_sum_gradients(t, k);
    clip_gradients(t, k);
    double lr = current_lr(t, k, batch, nb);
    nn_optimizer_step(t->opt[k], lr);
    ema_update(t, k);
    t->last_lr[k] = lr;
    group_sum[g] += (double)loss * rows;
    group_rows[g] += rows;
    accumulate_terms(m, g, rows, t->epoch_terms[g]);
    if (g == 0 && is_classifier(t)) {
        double unused_err = 0, unused_ref = 0;
        accumulate_metrics(m, rows, &t->epoch_correct, &unused_err, &unused_ref);
    }
    return 0;
}

int trainer_batches_per_epoch(const trainer *t)
{
    nn_batcher b;
    if (nn_batcher_init(&b, &t->data.train, t->train_full->batch, 0, t->s->train.drop_last, NULL) < 0) return 0;
    int n = nn_batcher_count(&b);
    nn_batcher_free(&b);
    return n;
}

/* The iteration's row of steps.csv: each group's mean loss over its runs, each step's lr, and for
 * a classifier the accuracy of its runs (correct answers of the first group's rows). */
static int log_iteration(trainer *t, const double *sum, const long *rows, double correct)
{
    const spec *s = t->s;
    float row[2 + SPEC_MAX_GROUPS + SPEC_MAX_STEPS];
    row[0] = (float)(t->epoch + 1);
    for (int g = 0; g < s->n_groups; g++) row[1 + g] = rows[g] ? (float)(sum[g] / rows[g]) : NAN;
    for (int k = 0; k < s->n_steps; k++) row[1 + s->n_groups + k] = (float)t->last_lr[k];
    if (t->steps.n_cols > 1 + s->n_groups + s->n_steps) row[1 + s->n_groups + s->n_steps] = rows[0] ? (float)(correct / rows[0]) : NAN;
    return step_log_add(&t->steps, row);
}

/* Returns 0 at the epoch's end, 130 or 143 if interrupted (SIGINT, SIGTERM), 3 on a non-finite
 * loss, 1 on failure. An iteration runs every step in order, each `repeat` times; the runs of
 * steps whose loss reads the data take the next batch (a later step's first run shares the
 * batch before it: run_step), and the epoch ends when the data runs out (or, when no step reads
 * data, after as many iterations as there are batches). */
static int train_epoch(trainer *t, const trainer_hooks *h, int n_hooks)
{
    const spec *s = t->s;
    nn_batcher b;
    nn_rng r;                                 /* the permutation depends on seed and epoch only */
    nn_rng_seed(&r, t->s->seed * 0x9E3779B97F4A7C15ULL + 0x5eed + (uint64_t)t->epoch);
    nn_batcher_init(&b, &t->data.train, t->train_full->batch, s->train.shuffle, s->train.drop_last, &r);
    nn_batcher_start_epoch(&b);
    int nb = dist_local_batches(nn_batcher_count(&b));
    if (s->train.limit_batches && s->train.limit_batches < nb) nb = s->train.limit_batches;
    int reads = 0, status = 0;
    for (int k = 0; k < s->n_steps; k++) reads |= t->train_full->steps[k].reads_data;
    while (status == 0 && t->batch_in_epoch < nb) {
        double correct_before = t->epoch_correct;
        double sum[SPEC_MAX_GROUPS] = {0};
        long rows[SPEC_MAX_GROUPS] = {0};
        int ran = 0;
        iteration it = {NULL, NULL};
        for (int k = 0; k < s->n_steps && status == 0; k++)
            for (int rep = 0; rep < s->steps[k].repeat && status == 0; rep++) {
                status = run_step(t, k, rep, &it, &b, nb, sum, rows);
                ran += status == 0;
            }
        if (status == 1) status = 0;          /* the data ran out inside the iteration */
        if (status || !ran) break;
        if (!reads) t->batch_in_epoch++;
        t->step++;
        for (int g = 0; g < s->n_groups; g++) {
            t->epoch_loss_sum[g] += sum[g];
            t->epoch_loss_rows[g] += rows[g];
        }
        if (log_iteration(t, sum, rows, t->epoch_correct - correct_before) < 0) {
            fprintf(stderr, "nnrun: out of memory for the step log\n");
            status = 1;
            break;
        }
        for (int i = 0; i < n_hooks; i++)
            if (h[i].on_step) h[i].on_step(h[i].ctx, t, t->batch_in_epoch, nb);
        if (t->interrupt_at_step && t->step == t->interrupt_at_step) raise(SIGINT);   /* tests: a Ctrl-C */
        long sig = dist_max(interrupted);   /* several ranks: all stop at the same step */
        if (sig) status = interrupted_status((int)sig);
        char err[256];
        if (status == 0 && dist_check_weights(t, err, sizeof err) < 0) {
            fprintf(stderr, "nnrun: %s\n", err);
            status = 1;
        }
    }
    nn_batcher_free(&b);
    return status;
}

static void finish_epoch(trainer *t, double seconds)
{
    const spec *s = t->s;
    history *h = &t->h;
    const history_columns *hc = &t->hc;
    int e = t->epoch;
    dist_sum_epoch(t);   /* several ranks: the sums over all of them */
    for (int g = 0; g < s->n_groups; g++)
        h->col[hc->train[g]][e] = t->epoch_loss_rows[g] ? (float)(t->epoch_loss_sum[g] / t->epoch_loss_rows[g]) : NAN;
    long rows = t->epoch_loss_rows[0] ? t->epoch_loss_rows[0] : 1;
    h->col[hc->train_acc][e] = is_classifier(t) ? (float)(t->epoch_correct / rows) : NAN;
    double rows_of[SPEC_MAX_GROUPS];
    for (int g = 0; g < s->n_groups; g++) rows_of[g] = (double)t->epoch_loss_rows[g];
    record_terms(t, e, 0, (const term_sums(*)[SPEC_MAX_LOSSES])t->epoch_terms, rows_of);
    eval_result r = {.loss = NAN, .accuracy = NAN, .rel_l2 = NAN};
    for (int g = 0; g < SPEC_MAX_GROUPS; g++) r.group_loss[g] = NAN;
    /* --limit-batches (quick trials) limits the evaluation to as many batches */
    int limit = s->train.limit_batches, eval_rows = t->data.test.n;
    if (limit && (long)limit * t->eval_full->batch < eval_rows) eval_rows = limit * t->eval_full->batch;
    if (t->data.has_test && evaluate_first(t, &t->data.test, eval_rows, 1, &r) == 0) {
        for (int g = 0; g < s->n_groups; g++) rows_of[g] = eval_rows < t->data.test.n ? eval_rows : t->data.test.n;
        record_terms(t, e, 1, (const term_sums(*)[SPEC_MAX_LOSSES])r.terms, rows_of);
    } else
        record_terms(t, e, 1, (const term_sums(*)[SPEC_MAX_LOSSES])r.terms, (const double[SPEC_MAX_GROUPS]){0});
    for (int g = 0; g < s->n_groups; g++) h->col[hc->test[g]][e] = (float)r.group_loss[g];
    h->col[hc->test_acc][e] = (float)r.accuracy;
    h->col[hc->test_rel_l2][e] = (float)r.rel_l2;
    for (int k = 0; k < s->n_steps; k++) h->col[hc->lr[k]][e] = (float)t->last_lr[k];
    h->col[hc->seconds][e] = (float)seconds;
    for (int i = 0; i < t->n_metrics; i++) h->col[t->metrics[i].column][e] = (float)t->metrics[i].fn(t->metrics[i].ctx, t);
    h->n = e + 1;
    t->epoch++;
    t->batch_in_epoch = 0;
    memset(t->epoch_loss_sum, 0, sizeof t->epoch_loss_sum);
    memset(t->epoch_loss_rows, 0, sizeof t->epoch_loss_rows);
    memset(t->epoch_terms, 0, sizeof t->epoch_terms);
    t->epoch_correct = 0;
}

double trainer_last(const trainer *t, int column) { return column >= 0 && t->h.n ? t->h.col[column][t->h.n - 1] : NAN; }


double trainer_final(const trainer *t, const char *name)
{
    static const char *const names[] = {"train_loss", "test_loss", "accuracy", "rel_l2"};
    const int cols[] = {t->hc.train[0], t->hc.test[0], t->hc.test_acc, t->hc.test_rel_l2};
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0 && t->h.n) return t->h.col[cols[i]][t->h.n - 1];
    return NAN;
}

/* The run folder is the one `nnrun SPEC` picks by itself (else the resume hint says --out). */
static int out_is_default(const spec *s)
{
    char def[SPEC_PATH_LEN + 8];
    snprintf(def, sizeof def, "runs/%s", s->name);
    return strcmp(def, s->out_dir) == 0 || ymap_get(s->tree, "output") != NULL;
}

double trainer_running_loss(const trainer *t, int group)
{
    return t->epoch_loss_rows[group] ? t->epoch_loss_sum[group] / t->epoch_loss_rows[group] : NAN;
}

double trainer_running_accuracy(const trainer *t)
{
    return is_classifier(t) && t->epoch_loss_rows[0] ? t->epoch_correct / t->epoch_loss_rows[0] : NAN;
}

int trainer_run(trainer *t, const trainer_hooks *h, int n_hooks)
{
    const spec *s = t->s;
    char err[512];
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;   /* a signal while a checkpoint is written never fails a write() with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    interrupted = 0;
    int status = 0;
    while (t->epoch < s->train.epochs && status == 0) {
        for (int i = 0; i < n_hooks; i++)
            if (h[i].on_epoch_begin) h[i].on_epoch_begin(h[i].ctx, t);
        double t0 = now_seconds();
        status = train_epoch(t, h, n_hooks);
        if (status) break;
        double seconds = now_seconds() - t0;
        trainer_ema_swap(t, 1);   /* evaluation, figures, checkpoints: the averages */
        finish_epoch(t, seconds);
        for (int i = 0; i < n_hooks && status == 0; i++)
            if (h[i].on_epoch && h[i].on_epoch(h[i].ctx, t, t->epoch == s->train.epochs, err, sizeof err) < 0) {
                fprintf(stderr, "nnrun: %s\n", err);
                status = 1;
            }
        if (t->epoch < s->train.epochs) trainer_ema_swap(t, 0);   /* the run's figures: the averages */
    }
    for (int i = 0; i < n_hooks && status; i++)   /* displays end before the trainer says why */
        if (h[i].on_stop) h[i].on_stop(h[i].ctx, t);
    if (is_interrupted_status(status)) dist_gather_partial_epoch(t);
    if (status == 3 && dist_is_writer()) report_stop(t);
    if (is_interrupted_status(status) && dist_is_writer()) {
        /* Our handler stays installed until the checkpoint is written: a second signal only
         * records itself, and the write finishes. */
        if (t->interrupt_again) raise(SIGINT);   /* tests: Ctrl-C pressed twice */
        int saved = 0, was = status;
        for (int i = 0; i < n_hooks; i++)
            if (h[i].on_interrupt) {
                if (h[i].on_interrupt(h[i].ctx, t, err, sizeof err) < 0) {
                    fprintf(stderr, "nnrun: interrupted, and the checkpoint could not be written: %s\n", err);
                    status = 1;
                } else
                    saved = 1;
            }
        const char *by = was == interrupted_status(SIGTERM) ? " (SIGTERM)" : "";
        if (status == was && saved)
            fprintf(stderr, "\nnnrun: interrupted%s at epoch %d, batch %d; state saved in %s. Continue with: nnrun %s%s%s --resume\n",
                    by, t->epoch + 1, t->batch_in_epoch, s->out_dir, s->file, out_is_default(s) ? "" : " --out ",
                    out_is_default(s) ? "" : s->out_dir);
        else if (status == was)
            fprintf(stderr, "\nnnrun: interrupted%s at epoch %d, batch %d\n", by, t->epoch + 1, t->batch_in_epoch);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return status;
}
