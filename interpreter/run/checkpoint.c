/* Checkpoints: model.safetensors (weights, readable by PyTorch/numpy) and state.safetensors
 * (optimizer buffers, history, position and noise stream: resume_state.c) — everything an exact
 * resume needs. The two are one unit (nn_atomic_commit_all): both are written and fsynced under
 * temporary names before either is renamed, so a full disk or a failed write leaves the
 * previous pair. The state is renamed first; a crash between the two renames leaves the new
 * weights whole in a temporary file, and resume, seeing the step both files carry disagree,
 * puts it in place. Weights that are not finite are refused at load. */
#include "checkpoint.h"
#include "trainer_dist.h"
#include "nn/atomic_file.h"
#include "nn/safetensors.h"
#include "resume_state.h"
#include "trainer.h"
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

size_t checkpoint_first_non_finite(const float *v, size_t n)
{
    size_t i = 0;
    while (i < n && isfinite(v[i])) i++;
    return i;
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
        nn_shape s = i >= 0 ? nn_st_shape(f, i) : (nn_shape){0};
        size_t n = nn_shape_numel(&s), bad = i >= 0 ? checkpoint_first_non_finite(nn_st_data(f, i), n) : 0;
        if (i < 0) {
            snprintf(err, errlen, "%s has no tensor '%s': it was saved from a different model", path, p->label);
            rc = -1;
        } else if (!nn_shape_eq(&s, &p->shape)) {
            snprintf(err, errlen, "%s: '%s' has shape %s but the model needs %s", path, p->label, nn_shape_str(&s, a, sizeof a),
                     nn_shape_str(&p->shape, b, sizeof b));
            rc = -1;
        } else if (bad < n) {   /* evaluating or training on it would only print NaN */
            snprintf(err, errlen, "%s: '%s' holds %g at index %zu: training diverged before these weights were saved, "
                     "or the file was damaged. Resume from an earlier copy of the run folder if you kept one, or train "
                     "again with a lower learning rate or gradient clipping (train.clip_grad_norm)", path, p->label,
                     (double)nn_st_data(f, i)[bad], bad);
            rc = -1;
        } else
            memcpy(p->data, nn_st_data(f, i), n * sizeof(float));
    }
    nn_st_close(f);
    return rc;
}

/* ---- resume state ---------------------------------------------------------------------- */
static void path_in(const trainer *t, const char *file, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", t->s->out_dir, file);
}

static int put_state(trainer *t, nn_atomic_file *af, char *err, size_t errlen)
{
    state_tensor *st = malloc(STATE_MAX_TENSORS * sizeof *st);
    nn_st_tensor *ts = malloc(STATE_MAX_TENSORS * sizeof *ts);
    resume_meta *meta = malloc(sizeof *meta);
    int n = st && ts && meta ? resume_state_tensors(t, t->h.n, t->steps.n, st, STATE_MAX_TENSORS) : -1, rc = -1;
    if (n < 0) snprintf(err, errlen, "out of memory for the resume state");
    else {
        for (int i = 0; i < n; i++) ts[i] = (nn_st_tensor){st[i].name, st[i].shape, st[i].data};
        rc = nn_st_write_into(af, ts, n, meta->meta, resume_meta_of(t, meta), err, errlen);
    }
    free(st);
    free(ts);
    free(meta);
    return rc;
}

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
    trainer_ema_swap(t, 1);   /* model.safetensors: the averages; the state: the raw weights (t->ema) */
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

/* The checked state's tensors into t. Nets with ema: model.safetensors (already loaded into
 * the parameters) held the averages, which go to t->ema, and the state the raw weights, which
 * training continues from. */
static int restore_tensors(trainer *t, const nn_st_file *f, long step, char *err, size_t errlen)
{
    state_tensor *st = malloc(STATE_MAX_TENSORS * sizeof *st);
    int n = st ? resume_state_tensors(t, t->h.n, step, st, STATE_MAX_TENSORS) : -1;
    if (n >= 0 && step > 0 && !(t->steps.v = malloc((size_t)step * t->steps.n_cols * sizeof(float)))) n = -1;
    if (n < 0) {
        snprintf(err, errlen, "out of memory for the resume state");
        free(st);
        return -1;
    }
    t->steps.n = t->steps.cap = step;
    for (int i = 0; i < n; i++) {
        const float *v = nn_st_data(f, nn_st_find(f, st[i].name));
        size_t c = nn_shape_numel(&st[i].shape);
        float *to = st[i].kind == STATE_STEPS ? t->steps.v : st[i].data;
        if (st[i].kind == STATE_RAW) {   /* the loaded average into t->ema, the raw weights into the parameter */
            memcpy(st[i].data, st[i].param, c * sizeof(float));
            to = st[i].param;
        }
        memcpy(to, v, c * sizeof(float));
    }
    free(st);
    return 0;
}

/* model.safetensors was written with the state: the same step in both, else a crash came between
 * the two writes. */
static int same_step(const char *path, long step, char *err, size_t errlen)
{
    nn_st_file *w = nn_st_open(path, err, errlen);
    if (!w) return -1;
    const char *ws = nn_st_meta_get(w, "step");
    char *end = NULL;
    long wstep = ws ? strtol(ws, &end, 10) : -1;
    int rc = ws && !*end && wstep == step ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "%s is from step %s but state.safetensors from step %ld, and no temporary file next to them "
                 "holds the rest of either checkpoint (was one of them replaced by hand?)", path, ws ? ws : "?", step);
    nn_st_close(w);
    return rc;
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
    char state[1024], model[1024], err[2048];
    if (finish_cut_checkpoint(t, err, sizeof err) < 0) {
        diag_error_at(d, t->s->file, 1, 1, "cannot resume from %s: %s", t->s->out_dir, err);
        return -1;
    }
    path_in(t, "state.safetensors", state, sizeof state);
    path_in(t, "model.safetensors", model, sizeof model);
    nn_st_file *f = nn_st_open(state, err, sizeof err);
    resume_fields rf;
    int rc = f ? resume_state_check(t, f, state, &rf, err, sizeof err) : -1;
    if (rc == 0) rc = same_step(model, rf.step, err, sizeof err);
    if (rc == 0) rc = checkpoint_load_weights(trainer_weights(t), model, err, sizeof err);
    if (rc == 0) {
        resume_fields_apply(t, &rf);
        if (!dist_is_writer()) dist_forget_partial_epoch(t);   /* rank 0's sums are every rank's */
        rc = restore_tensors(t, f, rf.step, err, sizeof err);
    }
    nn_st_close(f);
    if (rc < 0) diag_error_at(d, t->s->file, 1, 1, "cannot resume from %s: %s", t->s->out_dir, err);
    return rc;
}
