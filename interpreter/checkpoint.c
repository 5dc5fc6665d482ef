/* Checkpoints: model.safetensors (weights, readable by PyTorch/numpy) and state.safetensors
 * (optimizer buffers, history, position and noise stream) — everything an exact resume needs.
 * Both are written atomically; a step counter in both lets resume detect a torn pair. */
#include "checkpoint.h"
#include "nn/safetensors.h"
#include "trainer.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int checkpoint_save_weights(model_graph *m, const char *path, const char *const *meta_kv, int n_meta, char *err,
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
    int rc = nn_st_write(path, ts, m->n_params, meta, nm, err, errlen);
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

int trainer_checkpoint(trainer *t, char *err, size_t errlen)
{
    char path[1024], step[32], epoch[32], bie[32], rows[32], sum[40], correct[40], optsteps[32], rng[128];
    snprintf(step, sizeof step, "%ld", t->step);
    const char *wmeta[] = {"format", "nnrun-weights-1", "spec", t->s->name, "step", step};
    path_in(t, "model.safetensors", path, sizeof path);
    if (checkpoint_save_weights(t->train_full, path, wmeta, 3, err, errlen) < 0) return -1;

    nn_st_tensor ts[32];
    int n = 0;
    char names[32][64];
    for (int i = 0; i < nn_optimizer_state_count(t->opt) && n < 24; i++) {
        snprintf(names[n], sizeof names[n], "optimizer.%s", nn_optimizer_state_name(t->opt, i));
        ts[n] = (nn_st_tensor){names[n], nn_shape1((int)nn_optimizer_state_len(t->opt)), nn_optimizer_state_data(t->opt, i)};
        n++;
    }
    int hn = t->h.n ? t->h.n : 1;
    for (int i = 0; i < H_COLUMNS; i++) {
        snprintf(names[n], sizeof names[n], "history.%s", history_names[i]);
        ts[n] = (nn_st_tensor){names[n], nn_shape1(hn), t->h.col[i]};
        n++;
    }
    if (t->steps.n)
        ts[n++] = (nn_st_tensor){"steps", nn_shape2((int)t->steps.n, STEP_COLUMNS), t->steps.v};
    snprintf(epoch, sizeof epoch, "%d", t->epoch);
    snprintf(bie, sizeof bie, "%d", t->batch_in_epoch);
    snprintf(rows, sizeof rows, "%ld", t->epoch_loss_rows);
    snprintf(sum, sizeof sum, "%.17g", t->epoch_loss_sum);
    snprintf(correct, sizeof correct, "%.17g", t->epoch_correct);
    snprintf(optsteps, sizeof optsteps, "%ld", nn_optimizer_steps(t->opt));
    const nn_rng *r = &t->noise_rng;
    snprintf(rng, sizeof rng, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 ":%d:%a", r->s[0], r->s[1], r->s[2],
             r->s[3], r->has_spare, (double)r->spare);
    char hist[32];
    snprintf(hist, sizeof hist, "%d", t->h.n);
    nn_st_meta meta[] = {{"format", "nnrun-state-1"}, {"step", step}, {"epoch", epoch}, {"batch_in_epoch", bie},
                         {"epoch_loss_rows", rows}, {"epoch_loss_sum", sum}, {"epoch_correct", correct}, {"optimizer_steps", optsteps},
                         {"noise_rng", rng}, {"history_epochs", hist}};
    path_in(t, "state.safetensors", path, sizeof path);
    return nn_st_write(path, ts, n, meta, (int)(sizeof meta / sizeof *meta), err, errlen);
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

static int restore_state(trainer *t, nn_st_file *f, char *err, size_t errlen)
{
    long epoch, bie, rows, optsteps, step, hn;
    if (meta_long(f, "epoch", &epoch, err, errlen) || meta_long(f, "batch_in_epoch", &bie, err, errlen) ||
        meta_long(f, "epoch_loss_rows", &rows, err, errlen) || meta_long(f, "optimizer_steps", &optsteps, err, errlen) ||
        meta_long(f, "step", &step, err, errlen) || meta_long(f, "history_epochs", &hn, err, errlen))
        return -1;
    const char *sum = nn_st_meta_get(f, "epoch_loss_sum"), *rng = nn_st_meta_get(f, "noise_rng");
    const char *correct = nn_st_meta_get(f, "epoch_correct");
    if (!sum || !rng || !correct) {
        snprintf(err, errlen, "resume state lacks the running loss or the noise stream");
        return -1;
    }
    if (epoch > t->s->train.epochs || hn > t->s->train.epochs) {
        snprintf(err, errlen, "the run already has %ld epochs but the spec asks for %d; raise train.epochs to continue", epoch,
                 t->s->train.epochs);
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
    for (int i = 0; i < nn_optimizer_state_count(t->opt); i++) {
        char name[80];
        snprintf(name, sizeof name, "optimizer.%s", nn_optimizer_state_name(t->opt, i));
        int k = nn_st_find(f, name);
        nn_shape sh = k >= 0 ? nn_st_shape(f, k) : (nn_shape){0};
        if (k < 0 || sh.ndim != 1 || (size_t)sh.d[0] != nn_optimizer_state_len(t->opt)) {
            snprintf(err, errlen, "resume state has no matching '%s': was the optimizer changed?", name);
            return -1;
        }
        memcpy(nn_optimizer_state_data(t->opt, i), nn_st_data(f, k), nn_optimizer_state_len(t->opt) * sizeof(float));
    }
    nn_optimizer_set_steps(t->opt, optsteps);
    for (int i = 0; i < H_COLUMNS && hn > 0; i++) {
        char name[64];
        snprintf(name, sizeof name, "history.%s", history_names[i]);
        int k = nn_st_find(f, name);
        if (k < 0 || nn_st_shape(f, k).d[0] < hn) {
            snprintf(err, errlen, "resume state lacks '%s'", name);
            return -1;
        }
        memcpy(t->h.col[i], nn_st_data(f, k), (size_t)hn * sizeof(float));
    }
    int k = nn_st_find(f, "steps");
    nn_shape ss = k >= 0 ? nn_st_shape(f, k) : (nn_shape){0};
    if (k >= 0 && (ss.ndim != 2 || ss.d[1] != STEP_COLUMNS || ss.d[0] != step)) {
        snprintf(err, errlen, "resume state has a step log of the wrong shape");
        return -1;
    }
    if (k >= 0) {
        t->steps.v = malloc((size_t)step * STEP_COLUMNS * sizeof(float));
        if (!t->steps.v) {
            snprintf(err, errlen, "out of memory for the step log");
            return -1;
        }
        memcpy(t->steps.v, nn_st_data(f, k), (size_t)step * STEP_COLUMNS * sizeof(float));
        t->steps.n = t->steps.cap = step;
    }
    t->h.n = (int)hn;
    t->epoch = (int)epoch;
    t->batch_in_epoch = (int)bie;
    t->epoch_loss_rows = rows;
    t->epoch_loss_sum = strtod(sum, NULL);
    t->epoch_correct = strtod(correct, NULL);
    t->step = step;
    return 0;
}

int trainer_resume(trainer *t, diag *d)
{
    char path[1024], err[2048];
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
        rc = checkpoint_load_weights(t->train_full, path, err, sizeof err);
        nn_st_file *w = rc == 0 ? nn_st_open(path, err, sizeof err) : NULL;
        if (w) {
            const char *ws = nn_st_meta_get(w, "step");
            if (!ws || strcmp(ws, step_copy) != 0) {
                snprintf(err, sizeof err, "%s and state.safetensors are from different steps (%s vs %s)", path, ws ? ws : "?",
                         step_copy);
                rc = -1;
            }
            nn_st_close(w);
        } else
            rc = -1;
    }
    if (rc < 0) diag_error_at(d, t->s->file, 1, 1, "cannot resume from %s: %s", t->s->out_dir, err);
    return rc;
}
