/* Checkpoints: model.safetensors (weights, readable by PyTorch/numpy) and state.safetensors
 * (optimizer buffers, history, position and noise stream) — everything an exact resume needs.
 * The two are one unit (nn_atomic_commit_all): both are written and fsynced under temporary
 * names before either is renamed, so a full disk or a failed write leaves the previous pair.
 * The state is renamed first; a crash between the two renames leaves the new weights whole in
 * a temporary file, and resume, seeing the step both files carry disagree, puts it in place. */
#include "checkpoint.h"
#include "nn/atomic_file.h"
#include "nn/safetensors.h"
#include "trainer.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* m's parameters into af (names: "<layer>.weight", "<layer>.bias"). */
static int put_weights(model_graph *m, nn_atomic_file *af, const char *const *meta_kv, int n_meta, char *err,
                       size_t errlen)
{
    nn_graph *g = m->g;
    nn_st_tensor *ts = calloc((size_t)(m->n_params ? m->n_params : 1), sizeof *ts);
    nn_st_meta meta[16];
    if (!ts) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int k = 0; k < m->n_params; k++) {
        const nn_node *p = &g->nodes[m->params[k]];
        ts[k] = (nn_st_tensor){p->label, p->shape, p->data};
    }
    int nm = 0;
    for (int i = 0; i + 1 < 2 * n_meta && nm < 16; i += 2) meta[nm++] = (nn_st_meta){meta_kv[i], meta_kv[i + 1]};
    int rc = nn_st_write_into(af, ts, m->n_params, meta, nm, err, errlen);
    free(ts);
    return rc;
}

int checkpoint_load_weights(model_graph *m, const char *path, char *err, size_t errlen)
{
    nn_st_file *f = nn_st_open(path, err, errlen);
    if (!f) return -1;
    nn_graph *g = m->g;
    int rc = 0;
    for (int k = 0; k < m->n_params && rc == 0; k++) {
        nn_node *p = &g->nodes[m->params[k]];
        int i = nn_st_find(f, p->label);
        char a[64], b[64];
        if (i < 0) {
            snprintf(err, errlen, "%s has no tensor '%s': it was saved from a different model", path, p->label);
            rc = -1;
        } else {
            nn_shape s = nn_st_shape(f, i);
            if (!nn_shape_eq(&s, &p->shape)) {
                snprintf(err, errlen, "%s: '%s' has shape %s but the model needs %s", path, p->label,
                         nn_shape_str(&s, a, sizeof a), nn_shape_str(&p->shape, b, sizeof b));
                rc = -1;
            } else
                memcpy(p->data, nn_st_data(f, i), nn_shape_numel(&s) * sizeof(float));
        }
    }
    nn_st_close(f);
    return rc;
}

/* ---- resume state ---------------------------------------------------------------------- */
static void path_in(const trainer *t, const char *file, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", t->s->out_dir, file);
}

/* "optimizer.<state>" for one step, "optimizer.<step>.<state>" for several */
static void optimizer_tensor_name(const trainer *t, int k, int i, char *out, size_t len)
{
    const char *state = nn_optimizer_state_name(t->opt[k], i);
    if (t->s->n_steps == 1) snprintf(out, len, "optimizer.%s", state);
    else snprintf(out, len, "optimizer.%s.%s", t->s->steps[k].name, state);
}

/* Space-separated values, one per loss group or step (one value for a single model). */
static void join_doubles(const double *v, int n, char *out, size_t len)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k < len; i++) k += (size_t)snprintf(out + k, len - k, i ? " %.17g" : "%.17g", v[i]);
}

static int split_doubles(const char *text, double *v, int n)
{
    char *end;
    for (int i = 0; i < n; i++) {
        v[i] = strtod(text, &end);
        if (end == text) return -1;
        text = end;
    }
    while (*text == ' ') text++;
    return *text ? -1 : 0;
}

/* The running sums of every loss term (term_sums: value, right, seen), group by group. */
static int term_sums_count(const spec *s)
{
    int n = 0;
    for (int g = 0; g < s->n_groups; g++) n += 3 * s->groups[g].n_terms;
    return n;
}

static void term_sums_flatten(trainer *t, double *v, int restore)
{
    int n = 0;
    for (int g = 0; g < t->s->n_groups; g++)
        for (int k = 0; k < t->s->groups[g].n_terms; k++) {
            term_sums *ts = &t->epoch_terms[g][k];
            double *f[3] = {&ts->value, &ts->right, &ts->seen};
            for (int i = 0; i < 3; i++, n++) {
                if (restore) *f[i] = v[n];
                else v[n] = *f[i];
            }
        }
}

/* Nets with `ema`: model.safetensors holds the averages (what evaluation and sampling use) and
 * state.safetensors the raw weights, "raw.<parameter>", which training continues from. */
static int net_has_ema(const trainer *t, int n) { return t->ema[n] != NULL; }

static int raw_tensors(trainer *t, nn_st_tensor *ts, char (*names)[2 * SPEC_NAME_LEN + 32], int room)
{
    const model_graph *m = trainer_weights(t);
    int n = 0;
    for (int net = 0; net < t->s->n_nets; net++) {
        const float *e = t->ema[net];   /* the raw weights while the averages are swapped in */
        for (int k = 0; net_has_ema(t, net) && k < m->nets[net].n && n < room; k++, n++) {
            const nn_node *p = &m->g->nodes[m->nets[net].ids[k]];
            snprintf(names[n], sizeof names[n], "raw.%s", p->label);
            ts[n] = (nn_st_tensor){names[n], p->shape, (float *)e};
            e += nn_shape_numel(&p->shape);
        }
    }
    return n;
}

/* After model.safetensors (the averages) was loaded into the parameters: the averages into
 * t->ema, the raw weights from the state into the parameters. */
static int restore_raw(trainer *t, nn_st_file *f, char *err, size_t errlen)
{
    const model_graph *m = trainer_weights(t);
    for (int net = 0; net < t->s->n_nets; net++) {
        float *e = t->ema[net];
        for (int k = 0; net_has_ema(t, net) && k < m->nets[net].n; k++) {
            nn_node *p = &m->g->nodes[m->nets[net].ids[k]];
            size_t c = nn_shape_numel(&p->shape);
            char name[2 * SPEC_NAME_LEN + 32];
            snprintf(name, sizeof name, "raw.%s", p->label);
            int i = nn_st_find(f, name);
            nn_shape sh = i >= 0 ? nn_st_shape(f, i) : (nn_shape){0};
            if (i < 0 || !nn_shape_eq(&sh, &p->shape)) {
                snprintf(err, errlen, "resume state has no matching '%s' (the raw weights of a net with ema)", name);
                return -1;
            }
            memcpy(e, p->data, c * sizeof(float));
            memcpy(p->data, nn_st_data(f, i), c * sizeof(float));
            e += c;
        }
    }
    return 0;
}

#define STATE_TENSORS (SPEC_MAX_STEPS * 8 + H_MAX_COLUMNS + 1 + 256)

static int put_state(trainer *t, nn_atomic_file *af, char *err, size_t errlen);

int trainer_checkpoint(trainer *t, char *err, size_t errlen)
{
    const spec *s = t->s;
    char model[1024], state[1024], step[32], why[1024];
    snprintf(step, sizeof step, "%ld", t->step);
    const char *wmeta[] = {"format", "nnrun-weights-1", "spec", s->name, "step", step};
    path_in(t, "model.safetensors", model, sizeof model);
    path_in(t, "state.safetensors", state, sizeof state);
    nn_atomic_file *af[2] = {nn_atomic_open(state, why, sizeof why), NULL};   /* renamed in this order */
    if (af[0]) af[1] = nn_atomic_open(model, why, sizeof why);
    int ema_was_in = t->ema_in;
    trainer_ema_swap(t, 1);
    int rc = af[1] ? put_state(t, af[0], why, sizeof why) : -1;
    if (rc == 0) rc = put_weights(trainer_weights(t), af[1], wmeta, 3, why, sizeof why);
    trainer_ema_swap(t, ema_was_in);
    if (rc == 0) rc = nn_atomic_commit_all(af, 2, why, sizeof why);
    else {
        nn_atomic_abort(af[0]);
        nn_atomic_abort(af[1]);
    }
    if (rc < 0) snprintf(err, errlen, "the checkpoint of step %ld: %s", t->step, why);
    return rc;
}

static int put_state(trainer *t, nn_atomic_file *af, char *err, size_t errlen)
{
    const spec *s = t->s;
    char step[32], epoch[32], bie[32], rows[SPEC_MAX_GROUPS * 24], sum[SPEC_MAX_GROUPS * 26], correct[40];
    char optsteps[SPEC_MAX_STEPS * 24], rng[128];
    snprintf(step, sizeof step, "%ld", t->step);

    nn_st_tensor ts[STATE_TENSORS];
    static char names[STATE_TENSORS][2 * SPEC_NAME_LEN + 32];
    int n = 0;
    double v[SPEC_MAX_GROUPS > SPEC_MAX_STEPS ? SPEC_MAX_GROUPS : SPEC_MAX_STEPS];
    for (int k = 0; k < s->n_steps; k++) {
        for (int i = 0; i < nn_optimizer_state_count(t->opt[k]) && n < SPEC_MAX_STEPS * 8; i++) {
            optimizer_tensor_name(t, k, i, names[n], sizeof names[n]);
            ts[n] = (nn_st_tensor){names[n], nn_shape1((int)nn_optimizer_state_len(t->opt[k])), nn_optimizer_state_data(t->opt[k], i)};
            n++;
        }
        v[k] = (double)nn_optimizer_steps(t->opt[k]);
    }
    join_doubles(v, s->n_steps, optsteps, sizeof optsteps);
    int hn = t->h.n ? t->h.n : 1;
    for (int i = 0; i < t->h.n_cols; i++) {
        snprintf(names[n], sizeof names[n], "history.%s", t->h.name[i]);
        ts[n] = (nn_st_tensor){names[n], nn_shape1(hn), t->h.col[i]};
        n++;
    }
    if (t->steps.n) ts[n++] = (nn_st_tensor){"steps", nn_shape2((int)t->steps.n, t->steps.n_cols), t->steps.v};
    n += raw_tensors(t, ts + n, names + n, STATE_TENSORS - n);
    snprintf(epoch, sizeof epoch, "%d", t->epoch);
    snprintf(bie, sizeof bie, "%d", t->batch_in_epoch);
    for (int g = 0; g < s->n_groups; g++) v[g] = (double)t->epoch_loss_rows[g];
    join_doubles(v, s->n_groups, rows, sizeof rows);
    join_doubles(t->epoch_loss_sum, s->n_groups, sum, sizeof sum);
    snprintf(correct, sizeof correct, "%.17g", t->epoch_correct);
    static double term_v[3 * SPEC_MAX_GROUPS * SPEC_MAX_LOSSES];
    static char terms[3 * SPEC_MAX_GROUPS * SPEC_MAX_LOSSES * 26];
    term_sums_flatten(t, term_v, 0);
    join_doubles(term_v, term_sums_count(s), terms, sizeof terms);
    const nn_rng *r = &t->noise_rng;
    snprintf(rng, sizeof rng, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 ":%d:%a", r->s[0], r->s[1], r->s[2],
             r->s[3], r->has_spare, (double)r->spare);
    char hist[32];
    snprintf(hist, sizeof hist, "%d", t->h.n);
    nn_st_meta meta[] = {{"format", "nnrun-state-1"}, {"step", step}, {"epoch", epoch}, {"batch_in_epoch", bie},
                         {"epoch_loss_rows", rows}, {"epoch_loss_sum", sum}, {"epoch_correct", correct}, {"epoch_terms", terms}, {"optimizer_steps", optsteps},
                         {"noise_rng", rng}, {"history_epochs", hist}};
    return nn_st_write_into(af, ts, n, meta, (int)(sizeof meta / sizeof *meta), err, errlen);
}

static int meta_long(nn_st_file *f, const char *key, long *out, char *err, size_t errlen)
{
    const char *v = nn_st_meta_get(f, key);
    char *end;
    if (!v || (*out = strtol(v, &end, 10), *end)) {
        snprintf(err, errlen, "resume state lacks a valid '%s'", key);
        return -1;
    }
    return 0;
}

/* One value per group or step, as join_doubles wrote them. */
static int meta_doubles(nn_st_file *f, const char *key, double *v, int n, char *err, size_t errlen)
{
    const char *text = nn_st_meta_get(f, key);
    if (!text || split_doubles(text, v, n) < 0) {
        snprintf(err, errlen, "resume state lacks a valid '%s' (%d value%s)", key, n, n == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

static int restore_optimizers(trainer *t, nn_st_file *f, char *err, size_t errlen)
{
    const spec *s = t->s;
    double steps[SPEC_MAX_STEPS];
    if (meta_doubles(f, "optimizer_steps", steps, s->n_steps, err, errlen) < 0) return -1;
    for (int k = 0; k < s->n_steps; k++) {
        for (int i = 0; i < nn_optimizer_state_count(t->opt[k]); i++) {
            char name[2 * SPEC_NAME_LEN + 32];
            optimizer_tensor_name(t, k, i, name, sizeof name);
            int j = nn_st_find(f, name);
            nn_shape sh = j >= 0 ? nn_st_shape(f, j) : (nn_shape){0};
            if (j < 0 || sh.ndim != 1 || (size_t)sh.d[0] != nn_optimizer_state_len(t->opt[k])) {
                snprintf(err, errlen, "resume state has no matching '%s': was the optimizer changed?", name);
                return -1;
            }
            memcpy(nn_optimizer_state_data(t->opt[k], i), nn_st_data(f, j), nn_optimizer_state_len(t->opt[k]) * sizeof(float));
        }
        nn_optimizer_set_steps(t->opt[k], (long)steps[k]);
    }
    return 0;
}

static int restore_logs(trainer *t, nn_st_file *f, long hn, long step, char *err, size_t errlen)
{
    for (int i = 0; i < t->h.n_cols && hn > 0; i++) {
        char name[H_NAME_LEN + 16];
        snprintf(name, sizeof name, "history.%s", t->h.name[i]);
        int k = nn_st_find(f, name);
        if (k < 0 || nn_st_shape(f, k).d[0] < hn) {
            snprintf(err, errlen, "resume state lacks '%s'", name);
            return -1;
        }
        memcpy(t->h.col[i], nn_st_data(f, k), (size_t)hn * sizeof(float));
    }
    int k = nn_st_find(f, "steps");
    nn_shape ss = k >= 0 ? nn_st_shape(f, k) : (nn_shape){0};
    int cols = t->steps.n_cols;
    if (k >= 0 && (ss.ndim != 2 || ss.d[1] != cols || ss.d[0] != step)) {
        snprintf(err, errlen, "resume state has a step log of the wrong shape");
        return -1;
    }
    if (k >= 0 && step > 0) {
        t->steps.v = malloc((size_t)step * cols * sizeof(float));
        if (!t->steps.v) {
            snprintf(err, errlen, "out of memory for the step log");
            return -1;
        }
        memcpy(t->steps.v, nn_st_data(f, k), (size_t)step * cols * sizeof(float));
        t->steps.n = t->steps.cap = step;
    }
    return 0;
}

static int restore_state(trainer *t, nn_st_file *f, char *err, size_t errlen)
{
    const spec *s = t->s;
    long epoch, bie, step, hn;
    double rows[SPEC_MAX_GROUPS], sums[SPEC_MAX_GROUPS];
    if (meta_long(f, "epoch", &epoch, err, errlen) || meta_long(f, "batch_in_epoch", &bie, err, errlen) ||
        meta_long(f, "step", &step, err, errlen) || meta_long(f, "history_epochs", &hn, err, errlen) ||
        meta_doubles(f, "epoch_loss_rows", rows, s->n_groups, err, errlen) ||
        meta_doubles(f, "epoch_loss_sum", sums, s->n_groups, err, errlen))
        return -1;
    const char *rng = nn_st_meta_get(f, "noise_rng"), *correct = nn_st_meta_get(f, "epoch_correct");
    if (!rng || !correct) {
        snprintf(err, errlen, "resume state lacks the running accuracy or the noise stream");
        return -1;
    }
    if (epoch > s->train.epochs || hn > s->train.epochs) {
        snprintf(err, errlen, "the run already has %ld epochs but the spec asks for %d; raise train.epochs to continue", epoch,
                 s->train.epochs);
        return -1;
    }
    nn_rng *r = &t->noise_rng;
    int spare_flag;
    double spare;
    if (sscanf(rng, "%16" SCNx64 "%16" SCNx64 "%16" SCNx64 "%16" SCNx64 ":%d:%la", &r->s[0], &r->s[1], &r->s[2], &r->s[3],
               &spare_flag, &spare) != 6) {
        snprintf(err, errlen, "resume state has a malformed noise stream");
        return -1;
    }
    r->has_spare = spare_flag;
    r->spare = (float)spare;
    if (restore_optimizers(t, f, err, errlen) < 0 || restore_logs(t, f, hn, step, err, errlen) < 0) return -1;
    t->h.n = (int)hn;
    t->epoch = (int)epoch;
    t->batch_in_epoch = (int)bie;
    for (int g = 0; g < s->n_groups; g++) {
        t->epoch_loss_rows[g] = (long)rows[g];
        t->epoch_loss_sum[g] = sums[g];
    }
    t->epoch_correct = strtod(correct, NULL);
    static double term_v[3 * SPEC_MAX_GROUPS * SPEC_MAX_LOSSES];
    if (meta_doubles(f, "epoch_terms", term_v, term_sums_count(s), err, errlen) < 0) return -1;
    term_sums_flatten(t, term_v, 1);
    t->step = step;
    return 0;
}

/* The step a checkpoint file says it is from, into out ("" when missing or unreadable). */
static void file_step(const char *path, char *out, size_t len)
{
    char err[256];
    nn_st_file *f = nn_st_open(path, err, sizeof err);
    const char *step = f ? nn_st_meta_get(f, "step") : NULL;
    snprintf(out, len, "%s", step ? step : "");
    nn_st_close(f);
}

typedef struct {
    const char *want;     /* the step the temporary file must be from */
    char found[1100];
} leftover_search;

static int leftover_of_step(const char *tmp, void *ctx)
{
    leftover_search *ls = ctx;
    char step[32];
    file_step(tmp, step, sizeof step);
    if (strcmp(step, ls->want) != 0) return 0;
    snprintf(ls->found, sizeof ls->found, "%s", tmp);
    return 1;
}

/* Puts in place of path the temporary file left next to it that is whole and from step want:
 * 1 if there was one, 0 if not, -1 if it could not be renamed. */
static int adopt_leftover(const char *path, const char *want, char *err, size_t errlen)
{
    leftover_search ls = {.want = want};
    if (!*want || nn_atomic_each_leftover(path, leftover_of_step, &ls) != 1) return 0;
    if (nn_atomic_adopt(ls.found, path, err, errlen) < 0) return -1;
    fprintf(stderr, "nnrun: %s: finished the checkpoint of step %s that was cut short between its two files\n", path, want);
    return 1;
}

/* A checkpoint cut between its renames: one file is a step behind the other (or missing), and
 * the rest of the new checkpoint is whole in a temporary file next to it. Puts it in place. */
static int finish_cut_checkpoint(trainer *t, char *err, size_t errlen)
{
    char model[1024], state[1024], ms[32], ss[32];
    path_in(t, "model.safetensors", model, sizeof model);
    path_in(t, "state.safetensors", state, sizeof state);
    file_step(model, ms, sizeof ms);
    file_step(state, ss, sizeof ss);
    if (strcmp(ms, ss) == 0) return 0;
    int rc = adopt_leftover(model, ss, err, errlen);
    if (rc == 0) rc = adopt_leftover(state, ms, err, errlen);
    return rc < 0 ? -1 : 0;
}

int trainer_resume(trainer *t, diag *d)
{
    char path[1024], err[2048];
    if (finish_cut_checkpoint(t, err, sizeof err) < 0) {
        diag_error_at(d, t->s->file, 1, 1, "cannot resume from %s: %s", t->s->out_dir, err);
        return -1;
    }
    path_in(t, "state.safetensors", path, sizeof path);
    nn_st_file *f = nn_st_open(path, err, sizeof err);
    if (!f) {
        diag_error_at(d, t->s->file, 1, 1, "cannot resume: %s", err);
        return -1;
    }
    int rc = restore_state(t, f, err, sizeof err);
    const char *state_step = nn_st_meta_get(f, "step");
    char step_copy[32];
    snprintf(step_copy, sizeof step_copy, "%s", state_step ? state_step : "");
    nn_st_close(f);
    if (rc == 0) {
        path_in(t, "model.safetensors", path, sizeof path);
        rc = checkpoint_load_weights(trainer_weights(t), path, err, sizeof err);
        if (rc == 0) {   /* nets with ema: model.safetensors held the averages, the state the raw weights */
            path_in(t, "state.safetensors", path, sizeof path);
            nn_st_file *sf = nn_st_open(path, err, sizeof err);
            rc = sf ? restore_raw(t, sf, err, sizeof err) : -1;
            nn_st_close(sf);
            path_in(t, "model.safetensors", path, sizeof path);
        }
        nn_st_file *w = rc == 0 ? nn_st_open(path, err, sizeof err) : NULL;
        if (w) {
            const char *ws = nn_st_meta_get(w, "step");
            if (!ws || strcmp(ws, step_copy) != 0) {
                snprintf(err, sizeof err, "%s is from step %s but state.safetensors from step %s, and no temporary file "
                         "next to them holds the rest of either checkpoint (was one of them replaced by hand?)", path,
                         ws ? ws : "?", step_copy);
                rc = -1;
            }
            nn_st_close(w);
        } else
            rc = -1;
    }
    if (rc < 0) diag_error_at(d, t->s->file, 1, 1, "cannot resume from %s: %s", t->s->out_dir, err);
    return rc;
}
