/* The loss, train and report sections of a spec. */
#include "nn/ops.h"
#include "spec_parse_internal.h"
#include "spec_tables.h"
#include "schema.h"
#include "spec_tables.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- losses -------------------------------------------------------------------------------- */
/* Indexed by loss_kind; each kind's keys in its table's order (spec_sections.c, loss_choices). */
static const char *const loss_names[] = {"mse", "l1", "bce_with_logits", "cross_entropy", "kl_normal",
                                         "mean", "gradient_penalty", NULL};
_Static_assert(sizeof loss_names / sizeof *loss_names == LOSS_KIND_COUNT + 1, "a name per loss_kind");

const char *loss_kind_name(loss_kind k) { return (unsigned)k < LOSS_KIND_COUNT ? loss_names[k] : NULL; }

/* A required expression key into out; its position (the term's when absent) into at. */
static void need_expr(diag *d, const ynode *a, const char *key, const char *kind, const char *what, char *out,
                      size_t len, spec_pos *at)
{
    if (schema_str(d, a, key, out, len) == 0) diag_error(d, a, "%s needs '%s' (%s)", kind, key, what);
    *at = pos_of(ymap_get(a, key) ? ymap_get(a, key) : a);
}

/* pred against target: mse, l1, bce_with_logits, cross_entropy */
static void read_pair_term(diag *d, const ynode *a, loss_spec *l)
{
    need_expr(d, a, "pred", loss_names[l->kind], "a layer name", l->pred, sizeof l->pred, &l->pred_pos);
    snprintf(l->target, sizeof l->target, "target");
    const ynode *tn = ymap_get(a, "target");
    if (tn && tn->kind == YN_SCALAR) snprintf(l->target, sizeof l->target, "%s", tn->str);   /* a name, call or number */
    else if (tn) diag_error(d, tn, "target is a layer, a call such as D(G), input, target or a number");
    l->target_pos = pos_of(tn ? tn : a);
}

/* cross_entropy: a pair, and the class id ignored */
static void read_ce_term(diag *d, const ynode *a, loss_spec *l)
{
    read_pair_term(d, a, l);
    l->ignore = -1;
    schema_int(d, a, "ignore", -1, 1 << 24, &l->ignore);
}

static void read_kl_term(diag *d, const ynode *a, loss_spec *l)
{
    if (schema_str(d, a, "mean", l->mean, sizeof l->mean) == 0) diag_error(d, a, "kl_normal needs 'mean' (a layer name)");
    if (schema_str(d, a, "logvar", l->logvar, sizeof l->logvar) == 0) diag_error(d, a, "kl_normal needs 'logvar'");
    l->pred_pos = pos_of(ymap_get(a, "mean"));
    l->target_pos = pos_of(ymap_get(a, "logvar"));
}

/* mean: {pred, weight}: a Wasserstein critic's or generator's term */
static void read_mean_term(diag *d, const ynode *a, loss_spec *l)
{
    need_expr(d, a, "pred", "mean", "a layer or a call such as D(G)", l->pred, sizeof l->pred, &l->pred_pos);
    l->target_pos = l->pred_pos;
}

/* gradient_penalty: {critic, real: data, fake, weight: 10, center: 1}; fake goes into pred,
 * real into target */
static void read_penalty_term(diag *d, const ynode *a, loss_spec *l)
{
    l->center = 1.0f;
    schema_float(d, a, "center", 0, 1e9, &l->center);
    need_expr(d, a, "critic", "gradient_penalty", "the net whose gradient is penalised", l->critic, sizeof l->critic,
              &l->critic_pos);
    need_expr(d, a, "fake", "gradient_penalty", "the generated batch, such as G", l->pred, sizeof l->pred, &l->pred_pos);
    snprintf(l->target, sizeof l->target, "data");
    if (ymap_get(a, "real")) schema_str(d, a, "real", l->target, sizeof l->target);
    l->target_pos = pos_of(ymap_get(a, "real") ? ymap_get(a, "real") : a);
}

/* Per loss_kind: its keys in its table's order (spec_sections.c, loss_choices), whether it
 * takes reduce, its defaults and the reader of its own keys. */
static const char *const pair_keys[] = {"pred", "target", "reduce", "weight", "name", NULL};
static const char *const ce_keys[] = {"pred", "target", "ignore", "reduce", "weight", "name", NULL};
static const char *const kl_keys[] = {"mean", "logvar", "reduce", "weight", "name", NULL};
static const char *const mean_keys[] = {"pred", "weight", "name", NULL};
static const char *const penalty_keys[] = {"critic", "real", "fake", "weight", "center", "name", NULL};
static const struct {
    const char *const *keys;
    int takes_reduce, reduce;
    float weight;
    void (*read)(diag *d, const ynode *a, loss_spec *l);
} loss_kinds[LOSS_KIND_COUNT] = {
    [LOSS_MSE] = {pair_keys, 1, NN_REDUCE_MEAN, 1.0f, read_pair_term},
    [LOSS_L1] = {pair_keys, 1, NN_REDUCE_MEAN, 1.0f, read_pair_term},
    [LOSS_BCE_LOGITS] = {pair_keys, 1, NN_REDUCE_MEAN, 1.0f, read_pair_term},
    [LOSS_CROSS_ENTROPY] = {ce_keys, 1, NN_REDUCE_MEAN, 1.0f, read_ce_term},
    [LOSS_KL_NORMAL] = {kl_keys, 1, NN_REDUCE_SUM_PER_SAMPLE, 1.0f, read_kl_term},
    [LOSS_MEAN] = {mean_keys, 0, NN_REDUCE_MEAN, 1.0f, read_mean_term},
    [LOSS_GRADIENT_PENALTY] = {penalty_keys, 0, NN_REDUCE_MEAN, 10.0f, read_penalty_term},
};

/* A term's name becomes part of a metrics.csv column: letters, digits and underscores. */
static void check_term_name(diag *d, const ynode *at, const char *name)
{
    int ok = name[0] != 0;
    for (const char *c = name; *c && ok; c++) ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!ok) diag_error(d, at, "a loss term's name is letters, digits and underscores ('%s' is not)", name);
}

/* Unnamed terms are named by their kind, with _2, _3, ... when it repeats; names must differ. */
static void name_terms(diag *d, loss_group *g)
{
    for (int k = 0; k < g->n_terms; k++) {
        loss_spec *t = &g->terms[k];
        int nth = 1;
        for (int j = 0; j < k; j++) nth += !g->terms[j].named && g->terms[j].kind == t->kind;
        if (!t->named && nth > 1) snprintf(t->name, sizeof t->name, "%s_%d", loss_names[t->kind], nth);
        for (int j = 0; j < k; j++)
            if (strcmp(g->terms[j].name, t->name) == 0)
                diag_error_at(d, t->pos.file, t->pos.line, t->pos.col, "two loss terms of '%s' are named '%s'", g->name, t->name);
    }
}

static void parse_loss_term(diag *d, const ynode *n, loss_spec *l)
{
    memset(l, 0, sizeof *l);
    l->pos = pos_of(n);
    l->weight = 1.0f;
    if (n->kind != YN_MAP || n->n != 1) {
        diag_error(d, n, "a loss term is {KIND: {pred: LAYER, target: ...}} with KIND one of mse, l1, bce_with_logits, "
                         "cross_entropy, kl_normal, mean, gradient_penalty");
        return;
    }
    int k;
    if (schema_node_enum(d, &(ynode){.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0],
                                     .col = n->key_col[0]},
                         "loss", loss_names, &k) < 0)
        return;
    l->kind = (loss_kind)k;
    const ynode *a = n->items[0];
    if (schema_expect(d, a, YN_MAP, loss_names[k]) < 0) return;
    schema_check_keys(d, a, loss_names[k], loss_kinds[k].keys);
    static const char *const reduces[] = {"mean", "sum_per_sample", "sum", NULL};
    l->reduce = loss_kinds[k].reduce;
    if (loss_kinds[k].takes_reduce) schema_enum(d, a, "reduce", reduces, &l->reduce);
    l->weight = loss_kinds[k].weight;
    schema_float(d, a, "weight", -1e9, 1e9, &l->weight);
    snprintf(l->name, sizeof l->name, "%s", loss_names[k]);
    if ((l->named = schema_str(d, a, "name", l->name, sizeof l->name) > 0)) check_term_name(d, ymap_get(a, "name"), l->name);
    loss_kinds[k].read(d, a, l);
}

void parse_losses(diag *d, const ynode *n, loss_group *s)
{
    s->pos = pos_of(n);
    if (n->kind == YN_SEQ) {
        if (n->n > SPEC_MAX_LOSSES) diag_error(d, n, "at most %d loss terms", SPEC_MAX_LOSSES);
        for (int i = 0; i < n->n && i < SPEC_MAX_LOSSES; i++) parse_loss_term(d, n->items[i], &s->terms[s->n_terms++]);
    } else if (n->kind == YN_MAP && n->n > 1) {
        /* several terms written as one mapping: {mse: {...}, kl_normal: {...}} */
        for (int i = 0; i < n->n && s->n_terms < SPEC_MAX_LOSSES; i++) {
            ynode one = *n;
            one.n = 1;
            one.keys = &n->keys[i];
            one.key_line = &n->key_line[i];
            one.key_col = &n->key_col[i];
            one.items = &n->items[i];
            parse_loss_term(d, &one, &s->terms[s->n_terms++]);
        }
    } else
        parse_loss_term(d, n, &s->terms[s->n_terms++]);
    name_terms(d, s);
}

/* losses: {GROUP: terms, ...} */
void parse_loss_groups(diag *d, const ynode *n, spec *s)
{
    if (schema_expect(d, n, YN_MAP, "losses") < 0) return;
    if (n->n > SPEC_MAX_GROUPS) diag_error(d, n, "at most %d loss groups", SPEC_MAX_GROUPS);
    for (int i = 0; i < n->n && s->n_groups < SPEC_MAX_GROUPS; i++) {
        loss_group *g = &s->groups[s->n_groups++];
        snprintf(g->name, sizeof g->name, "%s", n->keys[i]);
        parse_losses(d, n->items[i], g);
        g->pos = (spec_pos){n->file, n->key_line[i], n->key_col[i]};
    }
}

/* ---- training ------------------------------------------------------------------------------- */
static void parse_optimizer(diag *d, const ynode *n, step_spec *t)
{
    static const char *const names[] = {"sgd", "adam", "adamw", "rmsprop", NULL};
    const ynode *args = NULL;
    ynode keynode;
    const ynode *namenode = n;
    t->opt_pos = pos_of(n);
    if (n->kind == YN_MAP && n->n == 1) {
        keynode = (ynode){.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0], .col = n->key_col[0]};
        namenode = &keynode;
        args = n->items[0];
    } else if (n->kind != YN_SCALAR) {
        diag_error(d, n, "optimizer is a name (adam) or {NAME: {lr: ..., ...}}");
        return;
    }
    int k;
    if (schema_node_enum(d, namenode, "optimizer", names, &k) < 0) return;
    nn_opt_kind kinds[] = {NN_OPT_SGD, NN_OPT_ADAM, NN_OPT_ADAMW, NN_OPT_RMSPROP};
    nn_opt_defaults(kinds[k], &t->opt);
    if (!args || (args->kind == YN_SCALAR && !args->str[0])) return;
    if (schema_expect(d, args, YN_MAP, names[k]) < 0) return;
    static const char *const sgd_keys[] = {"lr", "momentum", "nesterov", "weight_decay", NULL};
    static const char *const adam_keys[] = {"lr", "betas", "eps", "weight_decay", NULL};
    static const char *const rms_keys[] = {"lr", "alpha", "eps", "momentum", "weight_decay", NULL};
    schema_check_keys(d, args, names[k], k == 0 ? sgd_keys : k == 3 ? rms_keys : adam_keys);
    schema_double(d, args, "lr", 0, 1e6, &t->opt.lr);
    schema_double(d, args, "momentum", 0, 1, &t->opt.momentum);
    schema_bool(d, args, "nesterov", &t->opt.nesterov);
    schema_double(d, args, "weight_decay", 0, 1e6, &t->opt.weight_decay);
    schema_double(d, args, "eps", 0, 1, &t->opt.eps);
    schema_double(d, args, "alpha", 0, 1, &t->opt.alpha);
    const ynode *betas = ymap_get(args, "betas");
    if (betas) {
        if (betas->kind != YN_SEQ || betas->n != 2) diag_error(d, betas, "betas is a list of two numbers, e.g. [0.9, 0.999]");
        else {
            schema_node_double(d, betas->items[0], "beta1", 0, 0.999999, &t->opt.beta1);
            schema_node_double(d, betas->items[1], "beta2", 0, 0.999999, &t->opt.beta2);
        }
    }
    if (t->opt.nesterov && t->opt.momentum <= 0) diag_error(d, args, "nesterov needs momentum > 0");
}

static void parse_schedule(diag *d, const ynode *n, step_spec *t)
{
    static const char *const names[] = {"constant", "step", "exponential", "cosine", "piecewise", NULL};
    nn_schedule *s = &t->sched;
    if (n->kind != YN_MAP || n->n != 1) {
        if (n->kind == YN_SCALAR && strcmp(n->str, "constant") == 0) return;
        diag_error(d, n, "schedule is {step: {every: 5, gamma: 0.1}}, {exponential: {gamma: 0.95}}, {cosine: {min_lr: 0}} "
                         "or {piecewise: [[0, 1.0], [10, 0.1]]}");
        return;
    }
    ynode keynode = {.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0], .col = n->key_col[0]};
    int k;
    if (schema_node_enum(d, &keynode, "schedule", names, &k) < 0) return;
    const ynode *a = n->items[0];
    nn_sched_kind kinds[] = {NN_SCHED_CONSTANT, NN_SCHED_STEP, NN_SCHED_EXPONENTIAL, NN_SCHED_COSINE, NN_SCHED_PIECEWISE};
    s->kind = kinds[k];
    s->gamma = 0.1;   /* a double, as written in spec.yaml (0.1f was 0.10000000149) */
    if (k == 4) {
        if (a->kind != YN_SEQ || a->n < 1 || a->n > 16) {
            diag_error(d, a, "piecewise is a list of [from_epoch, lr_factor] pairs, at most 16");
            return;
        }
        for (int i = 0; i < a->n; i++) {
            const ynode *p = a->items[i];
            if (p->kind != YN_SEQ || p->n != 2) {
                diag_error(d, p, "each piece is [from_epoch, lr_factor]");
                continue;
            }
            schema_node_int(d, p->items[0], "from_epoch", 0, 1 << 30, &s->piece_epoch[i]);
            schema_node_double(d, p->items[1], "lr_factor", 0, 1e6, &s->piece_factor[i]);
            if (i && s->piece_epoch[i] <= s->piece_epoch[i - 1]) diag_error(d, p, "piece epochs must increase");
        }
        s->n_pieces = a->n;
        return;
    }
    if (k == 0) return;
    if (schema_expect(d, a, YN_MAP, names[k]) < 0) return;
    static const char *const step_keys[] = {"every", "gamma", NULL};
    static const char *const exp_keys[] = {"gamma", NULL};
    static const char *const cos_keys[] = {"min_lr", "epochs", NULL};
    schema_check_keys(d, a, names[k], k == 1 ? step_keys : k == 2 ? exp_keys : cos_keys);
    if (k == 1 && schema_int(d, a, "every", 1, 1 << 30, &s->step_epochs) == 0) diag_error(d, a, "step needs 'every' (epochs)");
    schema_double(d, a, "gamma", 0, 10, &s->gamma);
    schema_double(d, a, "min_lr", 0, 1e6, &s->min_lr);
    schema_int(d, a, "epochs", 1, 1 << 30, &s->total_epochs);
}

/* What a step may set for itself; train-level values are every step's defaults. The optimizer
 * first, the rest after (errors come in the order of the keys of a usual spec). */
static void parse_step_optimizer(diag *d, const ynode *n, step_spec *st)
{
    const ynode *opt = ymap_get(n, "optimizer");
    if (opt) parse_optimizer(d, opt, st);
}

static void parse_step_schedule(diag *d, const ynode *n, step_spec *st)
{
    const ynode *sched = ymap_get(n, "schedule");
    if (sched) parse_schedule(d, sched, st);
    schema_int(d, n, "warmup", 0, 1 << 30, &st->sched.warmup_steps);
    schema_float(d, n, "clip_grad_norm", 0, 1e9, &st->clip_norm);
    schema_float(d, n, "clip_grad_value", 0, 1e9, &st->clip_value);
}

void parse_train(diag *d, const ynode *top, const ynode *n, train_spec *t, step_spec *dflt)
{
    static const char *const keys[] = {"optimizer", "batch", "epochs", "shuffle", "drop_last", "scale_lr_with_ranks",
                                       "schedule", "warmup", "clip_grad_norm", "clip_grad_value", "log_every",
                                       "limit_batches", "checkpoint_seconds", "metrics", "metric_layer", "steps", NULL};
    nn_opt_defaults(NN_OPT_ADAM, &dflt->opt);
    dflt->repeat = 1;
    t->batch = 32;
    t->epochs = 1;
    t->shuffle = 1;
    t->checkpoint_seconds = 10;
    (void)top;
    if (!n) return;   /* every training option has a default */
    if (schema_expect(d, n, YN_MAP, "train") < 0) return;
    schema_check_keys(d, n, "train", keys);
    parse_step_optimizer(d, n, dflt);
    schema_int(d, n, "batch", 1, 1 << 20, &t->batch);
    schema_int(d, n, "epochs", 1, 1 << 20, &t->epochs);
    schema_bool(d, n, "shuffle", &t->shuffle);
    schema_bool(d, n, "drop_last", &t->drop_last);
    schema_bool(d, n, "scale_lr_with_ranks", &t->scale_lr_with_ranks);
    parse_step_schedule(d, n, dflt);
    schema_int(d, n, "log_every", 0, 1 << 30, &t->log_every);
    schema_int(d, n, "limit_batches", 0, 1 << 30, &t->limit_batches);
    schema_float(d, n, "checkpoint_seconds", 0, 1e9, &t->checkpoint_seconds);
    schema_str(d, n, "metric_layer", t->metric_pred, sizeof t->metric_pred);
    const ynode *metrics = ymap_get(n, "metrics");
    if (metrics) {
        static const char *const names[] = {"loss", "accuracy", "rel_l2", NULL};
        if (schema_expect(d, metrics, YN_SEQ, "metrics") == 0)
            for (int i = 0; i < metrics->n; i++) {
                int k;
                if (schema_node_enum(d, metrics->items[i], "metric", names, &k) > 0) {
                    if (k == 1) t->accuracy = 1;
                    if (k == 2) t->rel_l2 = 1;
                }
            }
    }
}

/* ---- report --------------------------------------------------------------------------------- */
/* A data report's options (args: NULL, empty or a mapping), by its table's rows. */
static void parse_data_report(diag *d, const choice_def *c, const ynode *args, report_spec *r)
{
    opts_defaults(d, c->opts, r);
    if (ynode_is_empty(args)) return;
    if (args->kind != YN_MAP) {
        char keys[256];
        opts_summary(c->opts, keys, sizeof keys);
        diag_error(d, args, "options of %s are a mapping: %s", c->name, keys);
        return;
    }
    opts_read(d, args, c->name, c->opts, r);
}

void parse_reports(diag *d, const ynode *n, spec *s)
{
    const char *names[REPORT_KIND_COUNT + 1];   /* the table's rows */
    choices_names(report_choices, names, REPORT_KIND_COUNT + 1);
    static const char *const keys[] = {"layer", "layers", "count", "sigmoid", "during_training", NULL};
    static const char *const samples_keys[] = {"of", "from", "count", "during_training", NULL};
    static const char *const manifold_keys[] = {"of", "from", "size", NULL};
    static const char *const judge_keys[] = {"of", "from", "run", "count", NULL};
    static const char *const cube_keys[] = {"of", "count", NULL};
    const char *const *gen_keys[REPORT_KIND_COUNT] = {[REP_SAMPLES] = samples_keys, [REP_MANIFOLD] = manifold_keys,
                                                      [REP_JUDGE] = judge_keys, [REP_CUBE_ERROR] = cube_keys};
    /* embedding's own keys (method, perplexity) are read through its table's rows */
    const opt_def *embedding_opts = choice_find(report_choices, "embedding")->opts;
    const char *embedding_keys[16];
    opts_keys(embedding_opts, NULL, embedding_keys, 16);
    if (!n) return;
    if (schema_expect(d, n, YN_SEQ, "report") < 0) return;
    for (int i = 0; i < n->n; i++) {
        const ynode *it = n->items[i];
        if (s->n_reports == SPEC_MAX_REPORTS) {
            diag_error(d, it, "at most %d report items", SPEC_MAX_REPORTS);
            return;
        }
        report_spec *r = &s->reports[s->n_reports];
        memset(r, 0, sizeof *r);
        r->pos = pos_of(it);
        r->count = 10;
        r->size = 15;
        opts_defaults(d, embedding_opts, r);   /* method, perplexity */
        int k;
        const ynode *args = NULL;
        if (it->kind == YN_SCALAR) {
            if (schema_node_enum(d, it, "report item", names, &k) < 0) continue;
        } else if (it->kind == YN_MAP && it->n == 1) {
            ynode key = {.kind = YN_SCALAR, .str = it->keys[0], .file = it->file, .line = it->key_line[0], .col = it->key_col[0]};
            if (schema_node_enum(d, &key, "report item", names, &k) < 0) continue;
            args = it->items[0];
        } else {
            diag_error(d, it, "a report item is a name (loss_curve) or {NAME: {options}}");
            continue;
        }
        r->kind = (report_kind)report_choices[k].id;
        if (report_choices[k].flags & (CHOICE_DATA | CHOICE_TABLE)) {   /* read through its table */
            parse_data_report(d, &report_choices[k], args, r);
            s->n_reports++;
            continue;
        }
        if (r->kind == REP_SAMPLES) r->count = 64;
        if (r->kind == REP_JUDGE || r->kind == REP_CUBE_ERROR) r->count = 10000;
        snprintf(r->run, sizeof r->run, "runs/judge_fashion");
        if (args && args->kind == YN_MAP && gen_keys[r->kind]) {
            schema_check_keys(d, args, names[k], gen_keys[r->kind]);
            if (schema_str(d, args, "of", r->of, sizeof r->of) == 0) diag_error(d, args, "%s needs 'of' (a generator such as G, or a layer)", names[k]);
            schema_str(d, args, "from", r->from, sizeof r->from);
            if (r->kind == REP_MANIFOLD && !r->from[0]) diag_error(d, args, "manifold needs 'from' (a layer of 2 units, e.g. z)");
            if (r->kind == REP_CUBE_ERROR) schema_int(d, args, "count", 100, 1000000, &r->count);
            else schema_int(d, args, "count", r->kind == REP_JUDGE ? 2 : 1, r->kind == REP_JUDGE ? 100000 : 1000, &r->count);
            schema_int(d, args, "size", 2, 40, &r->size);
            schema_str(d, args, "run", r->run, sizeof r->run);
            schema_bool(d, args, "during_training", &r->during);
        } else if (args && args->kind == YN_MAP) {
            schema_check_keys(d, args, names[k], r->kind == REP_EMBEDDING ? embedding_keys : keys);
            if (r->kind == REP_EMBEDDING) opts_read_values(d, args, embedding_opts, r);
            schema_str(d, args, "layer", r->layer, sizeof r->layer);
            schema_int(d, args, "count", 1, 1000, &r->count);
            schema_bool(d, args, "sigmoid", &r->sigmoid);
            schema_bool(d, args, "during_training", &r->during);
            if (r->during && r->kind != REP_POINTS) diag_error(d, args, "during_training applies to points figures");
            const ynode *ls = ymap_get(args, "layers");
            if (ls && (ls->kind != YN_SEQ || ls->n < 1 || ls->n > REPORT_MAX_LAYERS))
                diag_error(d, ls, "layers is a list of 1 to %d layer names ('input' included)", REPORT_MAX_LAYERS);
            else if (ls)
                for (int j = 0; j < ls->n; j++)
                    if (ls->items[j]->kind == YN_SCALAR) snprintf(r->layers[r->n_layers++], SPEC_NAME_LEN, "%s", ls->items[j]->str);
        } else if (args && !(args->kind == YN_SCALAR && !args->str[0]))
            diag_error(d, args, "options of %s are a mapping, e.g. {layer: code}", names[k]);
        if ((r->kind == REP_EMBEDDING || r->kind == REP_FILTERS || r->kind == REP_PCA_BASELINE) && !r->layer[0])
            diag_error(d, it, "%s needs {layer: NAME}", names[k]);
        if (r->kind == REP_POINTS && !r->n_layers) diag_error(d, it, "points needs {layers: [input, ...]}");
        if (gen_keys[r->kind] && !args)
            diag_error(d, it, "%s needs %s", names[k], r->kind != REP_MANIFOLD ? "{of: G} (what to draw)" : "{of: recon, from: z} (what to draw, and from which layer of 2 units)");
        s->n_reports++;
    }
}


/* ---- training steps --------------------------------------------------------------------------- */
/* `update: D` or `update: [E, D]`: net names into st->nets */
static void parse_update(diag *d, const ynode *u, const spec *s, step_spec *st)
{
    const ynode *one[1] = {u};
    const ynode *const *items = u->kind == YN_SEQ ? (const ynode *const *)u->items : one;
    int n = u->kind == YN_SEQ ? u->n : 1;
    const char *names[SPEC_MAX_NETS + 1];
    for (int i = 0; i < s->n_nets; i++) names[i] = s->nets[i].name;
    names[s->n_nets] = NULL;
    for (int i = 0; i < n && st->n_nets < SPEC_MAX_NETS; i++) {
        int k;
        if (schema_node_enum(d, items[i], "net", names, &k) < 0) continue;
        for (int j = 0; j < st->n_nets; j++)
            if (st->nets[j] == k) diag_error(d, items[i], "net '%s' is listed twice", names[k]);
        st->nets[st->n_nets++] = k;
    }
}

static void parse_step(diag *d, const ynode *n, spec *s, step_spec *st)
{
    static const char *const keys[] = {"name", "minimize", "update", "repeat", "optimizer", "schedule", "warmup",
                                       "clip_grad_norm", "clip_grad_value", NULL};
    st->pos = pos_of(n);
    if (schema_expect(d, n, YN_MAP, "a training step") < 0) return;
    schema_check_keys(d, n, "step", keys);
    const ynode *min = ymap_get(n, "minimize"), *upd = ymap_get(n, "update");
    const char *groups[SPEC_MAX_GROUPS + 1];
    for (int i = 0; i < s->n_groups; i++) groups[i] = s->groups[i].name;
    groups[s->n_groups] = NULL;
    if (!min) diag_error(d, n, "a step needs 'minimize: GROUP' (one of the loss groups)");
    else schema_node_enum(d, min, "loss group", groups, &st->group);
    if (!upd) diag_error(d, n, "a step needs 'update: NET' (or a list of nets) whose parameters it changes");
    else parse_update(d, upd, s, st);
    schema_int(d, n, "repeat", 1, 1000, &st->repeat);
    snprintf(st->name, sizeof st->name, "%s", min && min->kind == YN_SCALAR ? min->str : "");
    schema_str(d, n, "name", st->name, sizeof st->name);
    parse_step_optimizer(d, n, st);
    parse_step_schedule(d, n, st);
}

void parse_steps(diag *d, const ynode *train, spec *s, const step_spec *dflt)
{
    const ynode *n = train && train->kind == YN_MAP ? ymap_get(train, "steps") : NULL;
    if (!n) {   /* one step: the only group, every net */
        s->steps[0] = *dflt;
        s->n_steps = 1;
        snprintf(s->steps[0].name, sizeof s->steps[0].name, "%s", s->groups[0].name);
        for (int i = 0; i < s->n_nets; i++) s->steps[0].nets[s->steps[0].n_nets++] = i;
        if (s->n_groups > 1)
            diag_error_at(d, s->groups[1].pos.file, s->groups[1].pos.line, s->groups[1].pos.col,
                          "with several loss groups, train.steps says which group each step minimises and which nets it updates");
        return;
    }
    if (schema_expect(d, n, YN_SEQ, "steps") < 0) return;
    if (n->n < 1 || n->n > SPEC_MAX_STEPS) {
        diag_error(d, n, "train.steps is a list of 1 to %d steps", SPEC_MAX_STEPS);
        return;
    }
    for (int i = 0; i < n->n; i++) {
        step_spec *st = &s->steps[s->n_steps++];
        *st = *dflt;
        parse_step(d, n->items[i], s, st);
        for (int j = 0; j < i; j++)
            if (strcmp(s->steps[j].name, st->name) == 0)
                diag_error(d, n->items[i], "two steps are named '%s'; give one a 'name:'", st->name);
    }
}
