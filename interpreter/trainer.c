/* The training loop: batches through the graphs, optimizer steps, per-epoch evaluation,
 * progress, Ctrl-C and NaN handling. Checkpoints and resume live in checkpoint.c. */
#include "trainer.h"
#include "embedding_vectors.h"
#include "nn/ops.h"
#include "progress.h"
#include "run_files.h"
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *const history_names[H_COLUMNS] = {"train_loss", "train_accuracy", "test_loss", "test_accuracy",
                                               "test_rel_l2", "lr", "seconds"};

const char *const step_log_names[STEP_COLUMNS] = {"epoch", "train_loss", "lr"};

static int step_log_add(step_log *l, const float *row)
{
    if (l->n == l->cap) {
        long cap = l->cap ? 2 * l->cap : 1024;
        float *v = realloc(l->v, (size_t)cap * STEP_COLUMNS * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    memcpy(l->v + (size_t)l->n++ * STEP_COLUMNS, row, STEP_COLUMNS * sizeof *row);
    return 0;
}

static int history_alloc(history *h, int epochs)
{
    for (int c = 0; c < H_COLUMNS; c++)
        if (!(h->col[c] = calloc((size_t)epochs + 1, sizeof(float)))) return -1;
    return 0;
}

static void history_free(history *h)
{
    for (int c = 0; c < H_COLUMNS; c++) free(h->col[c]);
}

/* ---- set-up ---------------------------------------------------------------------------- */
static int build_graphs(trainer *t, diag *d)
{
    const spec *s = t->s;
    int B = s->train.batch;
    int n = t->data.train.n;
    if (B > n) B = n;    /* a tiny dataset: one batch holds it all */
    t->train_full = model_build(s, &t->info, B, 1, NULL, NULL, &t->init_rng, d);
    if (!t->train_full) return -1;
    int rest = n % B;
    if (rest && !s->train.drop_last) {
        t->train_last = model_build(s, &t->info, rest, 1, t->train_full, t->train_full->grad_block, &t->init_rng, d);
        if (!t->train_last) return -1;
    }
    const nn_dataset *ev = t->data.has_test ? &t->data.test : &t->data.train;
    int EB = B < ev->n ? B : ev->n;
    t->eval_full = model_build(s, &t->info, EB, 0, t->train_full, NULL, &t->init_rng, d);
    if (!t->eval_full) return -1;
    if (ev->n % EB) {
        t->eval_last = model_build(s, &t->info, ev->n % EB, 0, t->train_full, NULL, &t->init_rng, d);
        if (!t->eval_last) return -1;
    }
    return 0;
}

static int make_optimizer(trainer *t)
{
    model_graph *m = t->train_full;
    nn_graph *g = m->g;
    nn_param_slice *sl = calloc((size_t)(m->n_params ? m->n_params : 1), sizeof *sl);
    if (!sl) return -1;
    size_t off = 0;
    int ns = 0;
    for (int k = 0; k < m->n_params; k++) {   /* running statistics are parameters without gradients */
        size_t n = nn_numel(g, m->params[k]);
        if (!g->nodes[m->params[k]].no_grad) sl[ns++] = (nn_param_slice){nn_data(g, m->params[k]), m->grad_block + off, n, 1};
        off += n;
    }
    char err[256];
    t->opt = nn_optimizer_new(&t->s->train.opt, sl, ns, err, sizeof err);
    if (!t->opt) fprintf(stderr, "nnrun: %s\n", err);
    free(sl);
    return t->opt ? 0 : -1;
}

int trainer_init(trainer *t, const spec *s, diag *d)
{
    memset(t, 0, sizeof *t);
    t->s = s;
    nn_rng root;
    nn_rng_seed(&root, s->seed);
    t->init_rng = nn_rng_split(&root);
    t->noise_rng = nn_rng_split(&root);
    if (data_setup(s, &t->data, d) < 0) return -1;
    t->info.sample = t->data.train.sample;
    t->info.y_dim = t->data.train.y ? t->data.train.y_dim : 0;
    t->info.n_classes = t->data.train.n_classes;
    if (build_graphs(t, d) < 0) return -1;
    if (embedding_vectors_load(s, t->train_full, &t->data.vocab, d) < 0) return -1;
    if (make_optimizer(t) < 0) {
        diag_error_at(d, s->file, 1, 1, "out of memory for the optimizer");
        return -1;
    }
    if (history_alloc(&t->h, s->train.epochs) < 0) return -1;
    return 0;
}

void trainer_free(trainer *t)
{
    model_free(t->train_last, 0);
    model_free(t->eval_full, 1);
    model_free(t->eval_last, 1);
    model_free(t->train_full, 1);
    nn_optimizer_free(t->opt);
    data_release(&t->data);
    history_free(&t->h);
    free(t->steps.v);
}

/* ---- running graphs --------------------------------------------------------------------- */
/* Dropout and noise draw from the run's noise stream whichever graph runs, so the stream
 * (and a resumed run) does not depend on how batches fall into graphs. */
static void run_graph(trainer *t, model_graph *m)
{
    m->g->rng = t->noise_rng;
    nn_plan_run(m->g, m->plan);
    t->noise_rng = m->g->rng;
}

static void feed_rows(model_graph *m, const nn_dataset *ds, const int *rows, int n, float *xbuf, float *ybuf)
{
    size_t xn = nn_shape_numel(&ds->sample);
    for (int i = 0; i < n; i++) {
        memcpy(xbuf + (size_t)i * xn, ds->x + (size_t)rows[i] * xn, xn * sizeof(float));
        if (ds->y) memcpy(ybuf + (size_t)i * ds->y_dim, ds->y + (size_t)rows[i] * ds->y_dim, (size_t)ds->y_dim * sizeof(float));
    }
    (void)m;
}

size_t trainer_layer_width(trainer *t, int layer)
{
    model_graph *m = t->eval_full;
    int id = layer < 0 ? m->x : m->out[layer];
    return nn_numel(m->g, id) / (size_t)m->batch;
}

int trainer_layer_outputs(trainer *t, const nn_dataset *ds, const int *rows, int n, int layer, float *out)
{
    model_graph *m = t->eval_full;
    int B = m->batch;
    size_t w = trainer_layer_width(t, layer);
    int id = layer < 0 ? m->x : m->out[layer];
    if (model_plan(m, &id, 1) < 0) return -1;
    for (int start = 0; start < n; start += B) {
        int k = n - start < B ? n - start : B;
        feed_rows(m, ds, rows + start, k, nn_data(m->g, m->x), m->t >= 0 ? nn_data(m->g, m->t) : NULL);
        run_graph(t, m);
        memcpy(out + (size_t)start * w, nn_data(m->g, id), (size_t)k * w * sizeof(float));
    }
    return model_plan(m, NULL, 0);
}

/* The model's metric layer predicts the dataset's classes. */
static int is_classifier(const trainer *t)
{
    const model_graph *m = t->eval_full;
    return m->metric_target >= 0 && m->metric_target == m->t && t->data.train.n_classes > 0;
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* Per-step accuracy of a sequence classifier: pr holds steps x classes logits, yr the steps'
 * class ids; returns the fraction right, so summed over samples it counts samples. */
static double step_accuracy(const float *pr, const float *yr, size_t steps, size_t classes)
{
    size_t right = 0;
    for (size_t s = 0; s < steps; s++) right += argmax(pr + s * classes, (int)classes) == (int)yr[s];
    return (double)right / (double)steps;
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
        else if (yw > 1 && pw > yw && pw % yw == 0) *correct += step_accuracy(pr, yr, yw, pw / yw);
        if (pw == yw)
            for (size_t i = 0; i < pw; i++) {
                double e = (double)pr[i] - yr[i];
                *err2 += e * e;
                *ref2 += (double)yr[i] * yr[i];
            }
    }
}

/* Evaluates the first n samples of ds: all of them, or a whole number of batches. */
static int evaluate_first(trainer *t, const nn_dataset *ds, int n, eval_result *r)
{
    double loss = 0, correct = 0, err2 = 0, ref2 = 0;
    int B = t->eval_full->batch;
    if (n > ds->n) n = ds->n;
    for (int start = 0; start < n; start += B) {
        int k = n - start < B ? n - start : B;
        model_graph *m = k == B ? t->eval_full : t->eval_last;
        if (!m) return -1;
        size_t xn = nn_shape_numel(&ds->sample);
        memcpy(nn_data(m->g, m->x), ds->x + (size_t)start * xn, (size_t)k * xn * sizeof(float));
        if (m->t >= 0 && ds->y)
            memcpy(nn_data(m->g, m->t), ds->y + (size_t)start * ds->y_dim, (size_t)k * ds->y_dim * sizeof(float));
        run_graph(t, m);
        loss += (double)nn_data(m->g, m->loss)[0] * k;
        accumulate_metrics(m, k, &correct, &err2, &ref2);
    }
    r->loss = loss / n;
    r->accuracy = is_classifier(t) || t->s->train.accuracy ? correct / n : NAN;
    r->rel_l2 = ref2 > 0 && t->s->train.rel_l2 ? sqrt(err2 / ref2) : NAN;
    return 0;
}

int trainer_evaluate(trainer *t, const nn_dataset *ds, eval_result *r) { return evaluate_first(t, ds, ds->n, r); }

/* ---- one epoch --------------------------------------------------------------------------- */
static void clip_gradients(trainer *t)
{
    model_graph *m = t->train_full;
    size_t n = m->g->n_param_floats;
    if (t->s->train.clip_value > 0) nn_clip_grad_value(m->grad_block, n, t->s->train.clip_value);
    if (t->s->train.clip_norm > 0) {
        float *const blocks[1] = {m->grad_block};
        nn_clip_grad_norm(blocks, &n, 1, t->s->train.clip_norm);
    }
}

/* Names the first layer whose values stop being finite, by re-running the step with every
 * node kept (buffers are normally reused, so the normal plan cannot tell). */
static void report_non_finite(trainer *t, model_graph *m)
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
    (void)t;
}

static double current_lr(trainer *t, int n_batches)
{
    const train_spec *ts = &t->s->train;
    double frac = n_batches ? (double)t->batch_in_epoch / n_batches : 0;
    return nn_schedule_lr(&ts->sched, ts->opt.lr, t->epoch, frac, t->step);
}

/* Returns 0 at the epoch's end, 130 if interrupted, 3 on a non-finite loss. */
static int train_epoch(trainer *t, progress *pg)
{
    const spec *s = t->s;
    model_graph *full = t->train_full;
    nn_batcher b;
    nn_rng r;                                 /* the permutation depends on seed and epoch only */
    nn_rng_seed(&r, t->s->seed * 0x9E3779B97F4A7C15ULL + 0x5eed + (uint64_t)t->epoch);
    nn_batcher_init(&b, &t->data.train, full->batch, s->train.shuffle, s->train.drop_last, &r);
    nn_batcher_start_epoch(&b);
    int nb = nn_batcher_count(&b);
    if (s->train.limit_batches && s->train.limit_batches < nb) nb = s->train.limit_batches;
    for (; t->batch_in_epoch < nb; t->batch_in_epoch++) {
        model_graph *m = full;
        int rows = nn_batcher_fill(&b, t->batch_in_epoch, nn_data(full->g, full->x),
                                   full->t >= 0 ? nn_data(full->g, full->t) : NULL);
        if (rows != full->batch) {
            m = t->train_last;
            nn_batcher_fill(&b, t->batch_in_epoch, nn_data(m->g, m->x), m->t >= 0 ? nn_data(m->g, m->t) : NULL);
        }
        run_graph(t, m);
        float loss = nn_data(m->g, m->loss)[0];
        if (!isfinite(loss)) {
            progress_end(pg);
            fprintf(stderr, "nnrun: the loss became %s at epoch %d, batch %d (step %ld)\n", isnan(loss) ? "NaN" : "infinite",
                    t->epoch + 1, t->batch_in_epoch + 1, t->step + 1);
            report_non_finite(t, m);
            fprintf(stderr, "nnrun: stopped; the last checkpoint in %s is kept. A lower learning rate or gradient "
                            "clipping (train.clip_grad_norm) may help.\n", s->out_dir);
            nn_batcher_free(&b);
            return 3;
        }
        clip_gradients(t);
        double lr = current_lr(t, nb);
        nn_optimizer_step(t->opt, lr);
        t->last_lr = lr;
        t->step++;
        const float row[STEP_COLUMNS] = {(float)(t->epoch + 1), loss, (float)lr};
        if (step_log_add(&t->steps, row) < 0) {
            fprintf(stderr, "nnrun: out of memory for the step log\n");
            nn_batcher_free(&b);
            return 1;
        }
        t->epoch_loss_sum += (double)loss * rows;
        t->epoch_loss_rows += rows;
        double unused_err = 0, unused_ref = 0;
        if (is_classifier(t)) accumulate_metrics(m, rows, &t->epoch_correct, &unused_err, &unused_ref);
        progress_step(pg, t->batch_in_epoch + 1, nb, t->epoch_loss_sum / t->epoch_loss_rows,
                      is_classifier(t) ? t->epoch_correct / t->epoch_loss_rows : NAN);
        if (interrupted || (t->interrupt_at_step && t->step == t->interrupt_at_step)) {
            t->batch_in_epoch++;
            nn_batcher_free(&b);
            return 130;
        }
    }
    nn_batcher_free(&b);
    return 0;
}

static void finish_epoch(trainer *t, double seconds)
{
    history *h = &t->h;
    int e = t->epoch;
    long rows = t->epoch_loss_rows ? t->epoch_loss_rows : 1;
    h->col[H_TRAIN_LOSS][e] = (float)(t->epoch_loss_sum / rows);
    h->col[H_TRAIN_ACC][e] = is_classifier(t) ? (float)(t->epoch_correct / rows) : NAN;
    eval_result r = {NAN, NAN, NAN};
    /* --limit-batches (quick trials) limits the evaluation to as many batches */
    int limit = t->s->train.limit_batches, eval_rows = t->data.test.n;
    if (limit && (long)limit * t->eval_full->batch < eval_rows) eval_rows = limit * t->eval_full->batch;
    if (t->data.has_test) evaluate_first(t, &t->data.test, eval_rows, &r);
    h->col[H_TEST_LOSS][e] = (float)r.loss;
    h->col[H_TEST_ACC][e] = (float)r.accuracy;
    h->col[H_TEST_REL_L2][e] = (float)r.rel_l2;
    h->col[H_LR][e] = (float)t->last_lr;
    h->col[H_SECONDS][e] = (float)seconds;
    h->n = e + 1;
    t->epoch++;
    t->batch_in_epoch = 0;
    t->epoch_loss_sum = 0;
    t->epoch_loss_rows = 0;
    t->epoch_correct = 0;
}

static void print_epoch(trainer *t)
{
    const history *h = &t->h;
    int e = h->n - 1;
    float *const *c = h->col;
    printf("epoch %d/%d  train loss %.6f", e + 1, t->s->train.epochs, c[H_TRAIN_LOSS][e]);
    if (!isnan(c[H_TRAIN_ACC][e])) printf("  train accuracy %.2f%%", 100 * c[H_TRAIN_ACC][e]);
    if (t->data.has_test) printf("  %s loss %.6f", t->data.test_name, c[H_TEST_LOSS][e]);
    if (!isnan(c[H_TEST_ACC][e])) printf("  %s accuracy %.2f%%", t->data.test_name, 100 * c[H_TEST_ACC][e]);
    if (!isnan(c[H_TEST_REL_L2][e])) printf("  %s rel. L2 error %.2f%%", t->data.test_name, 100 * c[H_TEST_REL_L2][e]);
    printf("  lr %.3g  %.2fs\n", c[H_LR][e], c[H_SECONDS][e]);
    fflush(stdout);
}

void trainer_set_final(trainer *t, const char *name, double value)
{
    int i = 0;
    while (i < t->n_final && strcmp(t->final_name[i], name) != 0) i++;
    if (i == 8) return;
    snprintf(t->final_name[i], sizeof t->final_name[i], "%s", name);
    t->final_value[i] = value;
    if (i == t->n_final) t->n_final++;
}

double trainer_final(const trainer *t, const char *name)
{
    for (int i = 0; i < t->n_final; i++)
        if (strcmp(t->final_name[i], name) == 0) return t->final_value[i];
    static const char *const names[] = {"train_loss", "test_loss", "accuracy", "rel_l2"};
    static const int cols[] = {H_TRAIN_LOSS, H_TEST_LOSS, H_TEST_ACC, H_TEST_REL_L2};
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0 && t->h.n) return t->h.col[cols[i]][t->h.n - 1];
    return NAN;
}

int trainer_run(trainer *t)
{
    const spec *s = t->s;
    char err[512];
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    interrupted = 0;
    int status = 0;
    double last_save = now_seconds();
    while (t->epoch < s->train.epochs) {
        progress pg;
        progress_begin(&pg, t->epoch + 1, s->train.epochs, t->quiet, s->train.log_every);
        double t0 = now_seconds();
        status = train_epoch(t, &pg);
        progress_end(&pg);
        if (status) break;
        finish_epoch(t, now_seconds() - t0);
        /* long runs of short epochs: a line, metrics and a checkpoint every few seconds,
         * never fewer than 20 lines per run; the last epoch always */
        int last = t->epoch == s->train.epochs;
        int every = s->train.epochs > 40 ? s->train.epochs / 20 : 1;
        if ((last || t->epoch % every == 0) && t->quiet < 2) print_epoch(t);
        double now = now_seconds();
        if (!last && now - last_save < 10.0) continue;
        last_save = now;
        if (run_files_epoch(t, err, sizeof err) < 0 || trainer_checkpoint(t, err, sizeof err) < 0) {
            fprintf(stderr, "nnrun: %s\n", err);
            status = 1;
            break;
        }
    }
    if (status == 130) {
        if (trainer_checkpoint(t, err, sizeof err) < 0) {
            fprintf(stderr, "nnrun: interrupted, and the checkpoint could not be written: %s\n", err);
            status = 1;
        } else
            fprintf(stderr, "\nnnrun: interrupted at epoch %d, batch %d; state saved in %s. Continue with: nnrun %s --resume\n",
                    t->epoch + 1, t->batch_in_epoch, s->out_dir, s->file);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return status;
}
