/* The resume state, state.safetensors: its metadata fields (one table: key, kind, place in
 * resume_fields and the range the spec implies, read by the writer, the check and the restore)
 * and its tensors; the check of a file against a spec before anything of it is used. */
#include "resume_state.h"
#include "trainer_dist.h"
#include "checkpoint.h"
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_FORMAT "nnrun-state-1"

/* ---- tensors ------------------------------------------------------------------------------ */
/* The next entry of out (NULL when room is full), its name left to the caller. */
static state_tensor *add(state_tensor *out, int *n, int room, state_tensor_kind kind, nn_shape shape, float *data,
                         float *param)
{
    if (*n == room) return NULL;
    out[*n] = (state_tensor){.shape = shape, .data = data, .kind = kind, .param = param};
    return &out[(*n)++];
}

int resume_state_tensors(const trainer *t, long history_epochs, long step_rows, state_tensor *out, int room)
{
    const spec *s = t->s;
    int n = 0;
    state_tensor *e;
    for (int k = 0; k < s->n_steps; k++)
        for (int i = 0; i < nn_optimizer_state_count(t->opt[k]); i++) {
            nn_shape sh = nn_shape1((int)nn_optimizer_state_len(t->opt[k]));
            if (!(e = add(out, &n, room, STATE_OPTIMIZER, sh, nn_optimizer_state_data(t->opt[k], i), NULL))) return -1;
            const char *state = nn_optimizer_state_name(t->opt[k], i);
            if (s->n_steps == 1) snprintf(e->name, sizeof e->name, "optimizer.%s", state);
            else snprintf(e->name, sizeof e->name, "optimizer.%s.%s", s->steps[k].name, state);
        }
    for (int i = 0; i < t->h.n_cols; i++) {
        nn_shape sh = nn_shape1(history_epochs > 0 ? (int)history_epochs : 1);
        if (!(e = add(out, &n, room, STATE_HISTORY, sh, t->h.col[i], NULL))) return -1;
        snprintf(e->name, sizeof e->name, "history.%s", t->h.name[i]);
    }
    if (step_rows > 0) {
        if (!(e = add(out, &n, room, STATE_STEPS, nn_shape2((int)step_rows, t->steps.n_cols), t->steps.v, NULL))) return -1;
        snprintf(e->name, sizeof e->name, "steps");
    }
    const model_graph *m = trainer_weights(t);
    for (int net = 0; net < s->n_nets; net++) {
        float *raw = t->ema[net];   /* the raw weights while the averages are in the parameters */
        for (int k = 0; raw && k < m->nets[net].n; k++) {
            nn_node *p = &m->g->nodes[m->nets[net].ids[k]];
            if (!(e = add(out, &n, room, STATE_RAW, p->shape, raw, p->data))) return -1;
            snprintf(e->name, sizeof e->name, "raw.%s", p->label);
            raw += nn_shape_numel(&p->shape);
        }
    }
    return n;
}

/* ---- fields ------------------------------------------------------------------------------- */
/* The range a value must be in; `why` says where it comes from. */
typedef struct {
    double lo, hi;                  /* hi = DBL_MAX: no upper bound */
    int whole;                      /* a whole number */
    const char *why;
} range;

typedef enum { FIELD_FORMAT, FIELD_INTEGER, FIELD_NUMBERS, FIELD_RNG } field_kind;

typedef struct {
    const char *key;
    field_kind kind;
    size_t offset;                  /* into resume_fields: a long (FIELD_INTEGER), doubles (FIELD_NUMBERS) */
    int (*count)(const spec *s);    /* FIELD_NUMBERS: how many values */
    void (*label)(const spec *s, int i, char *buf, size_t len);   /* which one value i is, or NULL */
    range (*range)(const trainer *t, const resume_fields *f, int i);   /* value i's; earlier fields are read */
} field;

static int count_one(const spec *s)
{
    (void)s;
    return 1;
}

static int count_steps(const spec *s) { return s->n_steps; }
static int count_groups(const spec *s) { return s->n_groups; }

static int count_term_sums(const spec *s)
{
    int n = 0;
    for (int g = 0; g < s->n_groups; g++) n += 3 * s->groups[g].n_terms;
    return n;
}

/* The group and term of value i of epoch_terms, and which of its three sums it is (0 value,
 * 1 right, 2 seen). */
static void term_of(const spec *s, int i, int *group, int *term, int *sum)
{
    *sum = i % 3;
    i /= 3;
    int g = 0;
    while (g + 1 < s->n_groups && i >= s->groups[g].n_terms) i -= s->groups[g++].n_terms;
    *group = g;
    *term = i;
}

static void label_step(const spec *s, int i, char *buf, size_t len)
{
    snprintf(buf, len, " (step '%s')", s->steps[i].name);
}

static void label_group(const spec *s, int i, char *buf, size_t len)
{
    snprintf(buf, len, " (group '%s')", s->groups[i].name);
}

static void label_term(const spec *s, int i, char *buf, size_t len)
{
    static const char *const sums[] = {"its value times the rows", "logits on the right side", "logits seen"};
    int g, k, sum;
    term_of(s, i, &g, &k, &sum);
    snprintf(buf, len, " (term '%s' of group '%s': %s)", s->groups[g].terms[k].name, s->groups[g].name, sums[sum]);
}

static range any_finite(void) { return (range){-DBL_MAX, DBL_MAX, 0, NULL}; }

static range range_epoch(const trainer *t, const resume_fields *f, int i)
{
    (void)t, (void)f, (void)i;
    return (range){0, INT_MAX, 1, "epochs done"};
}

static range range_batch_in_epoch(const trainer *t, const resume_fields *f, int i)
{
    (void)f, (void)i;
    return (range){0, trainer_batches_per_epoch(t), 1, "batches per epoch"};
}

/* batch_in_epoch counts one rank's batches (trainer_dist.c): mid-epoch, only as many ranks go on. */
static range range_ranks(const trainer *t, const resume_fields *f, int i)
{
    (void)t, (void)i;
    if (f->batch_in_epoch == 0) return (range){1, INT_MAX, 1, "MPI ranks"};
    return (range){dist_ranks(), dist_ranks(), 1,
                   "the ranks running now: a run stopped mid-epoch resumes on as many ranks as it ran on "
                   "(mpirun -np N), or from an epoch's end on any number"};
}

static range range_history_epochs(const trainer *t, const resume_fields *f, int i)
{
    (void)t, (void)i;
    return (range){(double)f->epoch, (double)f->epoch, 1, "the epoch field: one row per epoch done"};
}

/* Every iteration reads at least one batch (or, when no step reads data, counts as one), and
 * every epoch runs at least one. */
static range range_step(const trainer *t, const resume_fields *f, int i)
{
    (void)i;
    double hi = (double)f->epoch * trainer_batches_per_epoch(t) + (double)f->batch_in_epoch;
    return (range){(double)f->epoch + (f->batch_in_epoch > 0), hi < INT_MAX ? hi : INT_MAX, 1,
                   "iterations: at least one per epoch, at most one per batch"};
}

/* Every iteration runs the first step, and each step at most `repeat` times. */
static range range_optimizer_steps(const trainer *t, const resume_fields *f, int k)
{
    return (range){k == 0 ? (double)f->step : 0, (double)f->step * t->s->steps[k].repeat, 1,
                   k == 0 ? "the first step runs 1 to repeat times per iteration" : "at most repeat runs per iteration"};
}

/* The rows the runs of group g's steps read this epoch: at most a batch per run, and at least
 * one row once the epoch started when the first step (run by every iteration) minimises g. */
static range range_loss_rows(const trainer *t, const resume_fields *f, int g)
{
    const spec *s = t->s;
    int runs = 0;
    for (int k = 0; k < s->n_steps; k++) runs += s->steps[k].group == g ? s->steps[k].repeat : 0;
    double started = f->batch_in_epoch > 0;
    return (range){started && s->steps[0].group == g, (double)f->batch_in_epoch * t->train_full->batch * runs * f->ranks, 1,
                   "rows read by the group's steps this epoch"};
}

static range range_loss_sum(const trainer *t, const resume_fields *f, int g)
{
    (void)t;
    return f->epoch_loss_rows[g] > 0 ? any_finite() : (range){0, 0, 0, "no rows this epoch yet"};
}

static range range_correct(const trainer *t, const resume_fields *f, int i)
{
    (void)t, (void)i;
    return (range){0, f->epoch_loss_rows[0], 0, "right answers: at most one per row of the first group"};
}

static range range_term_sum(const trainer *t, const resume_fields *f, int i)
{
    int g, k, sum;
    term_of(t->s, i, &g, &k, &sum);
    if (f->epoch_loss_rows[g] == 0) return (range){0, 0, 0, "no rows this epoch yet"};
    if (sum == 0) return any_finite();
    double seen = f->epoch_terms[i + 1];   /* checked next: a bad one is named there */
    if (sum == 1) return isfinite(seen) ? (range){0, seen, 1, "at most the logits seen"} : any_finite();
    return (range){0, DBL_MAX, 1, "logits seen"};
}

#define AT(member) offsetof(resume_fields, member)
/* In the order they are checked: a field's range may depend on the fields before it. */
static const field fields[RESUME_META_FIELDS] = {
    {"format", FIELD_FORMAT, 0, NULL, NULL, NULL},
    {"epoch", FIELD_INTEGER, AT(epoch), NULL, NULL, range_epoch},
    {"batch_in_epoch", FIELD_INTEGER, AT(batch_in_epoch), NULL, NULL, range_batch_in_epoch},
    {"ranks", FIELD_INTEGER, AT(ranks), NULL, NULL, range_ranks},
    {"history_epochs", FIELD_INTEGER, AT(history_epochs), NULL, NULL, range_history_epochs},
    {"step", FIELD_INTEGER, AT(step), NULL, NULL, range_step},
    {"optimizer_steps", FIELD_NUMBERS, AT(optimizer_steps), count_steps, label_step, range_optimizer_steps},
    {"epoch_loss_rows", FIELD_NUMBERS, AT(epoch_loss_rows), count_groups, label_group, range_loss_rows},
    {"epoch_loss_sum", FIELD_NUMBERS, AT(epoch_loss_sum), count_groups, label_group, range_loss_sum},
    {"epoch_correct", FIELD_NUMBERS, AT(epoch_correct), count_one, NULL, range_correct},
    {"epoch_terms", FIELD_NUMBERS, AT(epoch_terms), count_term_sums, label_term, range_term_sum},
    {"noise_rng", FIELD_RNG, AT(noise_rng), NULL, NULL, NULL},
};

static long *long_at(resume_fields *f, const field *fd) { return (long *)((char *)f + fd->offset); }
static double *doubles_at(resume_fields *f, const field *fd) { return (double *)((char *)f + fd->offset); }

/* ---- writing ------------------------------------------------------------------------------ */
/* The running sums of every loss term (term_sums: value, right, seen), group by group. */
static void term_sums_save(const trainer *t, double *v)
{
    int n = 0;
    for (int g = 0; g < t->s->n_groups; g++)
        for (int k = 0; k < t->s->groups[g].n_terms; k++, n += 3) {
            const term_sums *ts = &t->epoch_terms[g][k];
            v[n] = ts->value, v[n + 1] = ts->right, v[n + 2] = ts->seen;
        }
}

static void term_sums_restore(trainer *t, const double *v)
{
    int n = 0;
    for (int g = 0; g < t->s->n_groups; g++)
        for (int k = 0; k < t->s->groups[g].n_terms; k++, n += 3) t->epoch_terms[g][k] = (term_sums){v[n], v[n + 1], v[n + 2]};
}

static void fields_of(const trainer *t, resume_fields *f)
{
    memset(f, 0, sizeof *f);
    f->epoch = t->epoch;
    f->batch_in_epoch = t->batch_in_epoch;
    f->ranks = dist_ranks();
    f->history_epochs = t->h.n;
    f->step = t->step;
    for (int k = 0; k < t->s->n_steps; k++) f->optimizer_steps[k] = (double)nn_optimizer_steps(t->opt[k]);
    for (int g = 0; g < t->s->n_groups; g++) {
        f->epoch_loss_rows[g] = (double)t->epoch_loss_rows[g];
        f->epoch_loss_sum[g] = t->epoch_loss_sum[g];
    }
    f->epoch_correct = t->epoch_correct;
    term_sums_save(t, f->epoch_terms);
    f->noise_rng = t->noise_rng;
}

/* Space-separated values, as split_doubles reads them back. */
static void join_doubles(const double *v, int n, char *out, size_t len)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k < len; i++) k += (size_t)snprintf(out + k, len - k, i ? " %.17g" : "%.17g", v[i]);
}

int resume_meta_of(const trainer *t, resume_meta *m)
{
    resume_fields f;
    fields_of(t, &f);
    for (int i = 0; i < RESUME_META_FIELDS; i++) {
        const field *fd = &fields[i];
        char *out = m->text[i];
        const nn_rng *r = &f.noise_rng;
        if (fd->kind == FIELD_FORMAT) snprintf(out, RESUME_META_LEN, STATE_FORMAT);
        else if (fd->kind == FIELD_INTEGER) snprintf(out, RESUME_META_LEN, "%ld", *long_at(&f, fd));
        else if (fd->kind == FIELD_NUMBERS) join_doubles(doubles_at(&f, fd), fd->count(t->s), out, RESUME_META_LEN);
        else
            snprintf(out, RESUME_META_LEN, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 ":%d:%a", r->s[0], r->s[1],
                     r->s[2], r->s[3], r->has_spare, (double)r->spare);
        m->meta[i] = (nn_st_meta){fd->key, out};
    }
    return RESUME_META_FIELDS;
}

/* ---- reading ------------------------------------------------------------------------------ */
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

static int parse_rng(const char *text, nn_rng *r)
{
    int spare_flag, used = 0;
    double spare;
    if (sscanf(text, "%16" SCNx64 "%16" SCNx64 "%16" SCNx64 "%16" SCNx64 ":%d:%la%n", &r->s[0], &r->s[1], &r->s[2], &r->s[3],
               &spare_flag, &spare, &used) != 6 || text[used])
        return -1;
    r->has_spare = spare_flag;
    r->spare = (float)spare;
    /* an all-zero xoshiro state draws zeros forever */
    return (r->s[0] | r->s[1] | r->s[2] | r->s[3]) && (spare_flag == 0 || spare_flag == 1) && isfinite(spare) ? 0 : -1;
}

static char *fmt_bound(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, len, "%.0f", v);
    else snprintf(buf, len, "%.9g", v);
    return buf;
}

/* "field value (label) is ..." when v is outside r, else nothing; returns -1 then. */
static int check_value(const char *path, const char *key, const char *text, const char *label, double v, range r,
                       char *err, size_t errlen)
{
    char lo[32], hi[32];
    if (isfinite(v) && (!r.whole || v == floor(v)) && v >= r.lo && v <= r.hi) return 0;
    if (!isfinite(v)) snprintf(err, errlen, "%s: %s %s%s is not a finite number", path, key, text, label);
    else if (r.whole && v != floor(v)) snprintf(err, errlen, "%s: %s %s%s is not a whole number", path, key, text, label);
    else if (r.hi == DBL_MAX)
        snprintf(err, errlen, "%s: %s %s%s is below %s (%s)", path, key, text, label, fmt_bound(r.lo, lo, sizeof lo), r.why);
    else
        snprintf(err, errlen, "%s: %s %s%s is outside %s..%s (%s)", path, key, text, label, fmt_bound(r.lo, lo, sizeof lo),
                 fmt_bound(r.hi, hi, sizeof hi), r.why);
    return -1;
}

/* Reads field fd into f and checks each of its values against its range. */
static int read_field(const trainer *t, const nn_st_file *file, const char *path, const field *fd, resume_fields *f,
                      char *err, size_t errlen)
{
    const char *text = nn_st_meta_get(file, fd->key);
    if (!text) {
        snprintf(err, errlen, "%s: the field '%s' is missing", path, fd->key);
        return -1;
    }
    if (fd->kind == FIELD_FORMAT) {
        if (strcmp(text, STATE_FORMAT) == 0) return 0;
        snprintf(err, errlen, "%s: format '%.40s' is not %s (not a state file of nnrun)", path, text, STATE_FORMAT);
        return -1;
    }
    if (fd->kind == FIELD_RNG) {
        if (parse_rng(text, (nn_rng *)((char *)f + fd->offset)) == 0) return 0;
        snprintf(err, errlen, "%s: noise_rng '%.80s' is not a noise stream (four 64-bit hex words, not all zero, "
                              ":0 or :1, :a finite number)", path, text);
        return -1;
    }
    if (fd->kind == FIELD_INTEGER) {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (end == text || *end) {
            snprintf(err, errlen, "%s: %s '%.40s' is not a whole number", path, fd->key, text);
            return -1;
        }
        *long_at(f, fd) = v;
        return check_value(path, fd->key, text, "", errno == ERANGE ? (v < 0 ? -DBL_MAX : DBL_MAX) : (double)v,
                           fd->range(t, f, 0), err, errlen);
    }
    int n = fd->count(t->s);
    double *v = doubles_at(f, fd);
    if (split_doubles(text, v, n) < 0) {
        snprintf(err, errlen, "%s: %s '%.80s' is not %d number%s", path, fd->key, text, n, n == 1 ? "" : "s");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char label[3 * SPEC_NAME_LEN + 64] = "", value[32];
        if (fd->label) fd->label(t->s, i, label, sizeof label);
        snprintf(value, sizeof value, "%.9g", v[i]);
        if (check_value(path, fd->key, value, label, v[i], fd->range(t, f, i), err, errlen) < 0) return -1;
    }
    return 0;
}

/* A run already past the spec's epochs would end at once, its weights ahead of its metrics. */
static int check_not_past(const trainer *t, const resume_fields *f, const char *path, char *err, size_t errlen)
{
    int epochs = t->s->train.epochs;
    if (f->epoch < epochs || (f->epoch == epochs && f->batch_in_epoch == 0)) return 0;
    long need = f->epoch + (f->batch_in_epoch > 0);
    if (f->batch_in_epoch > 0)
        snprintf(err, errlen, "%s: the run is in epoch %ld (batch %ld of %d), past the %d epoch%s the spec asks for", path,
                 f->epoch + 1, f->batch_in_epoch, trainer_batches_per_epoch(t), epochs, epochs == 1 ? "" : "s");
    else
        snprintf(err, errlen, "%s: the run has done %ld epochs, more than the %d the spec asks for", path, f->epoch, epochs);
    size_t k = strlen(err);
    snprintf(err + k, errlen - k, "; continue it with --set train.epochs=%ld (or more), or train afresh without --resume", need);
    return -1;
}

static const char *tensor_role(state_tensor_kind kind)
{
    static const char *const roles[] = {
        [STATE_OPTIMIZER] = "an optimizer's state: was the optimizer or the model changed?",
        [STATE_HISTORY] = "one value per epoch done",
        [STATE_STEPS] = "one row per iteration, a column per group and step",
        [STATE_RAW] = "the raw weights of a net with ema",
    };
    return roles[kind];
}

static int check_tensor(const nn_st_file *file, const char *path, const state_tensor *want, char *err, size_t errlen)
{
    char a[64], b[64];
    int i = nn_st_find(file, want->name);
    if (i < 0) {
        snprintf(err, errlen, "%s: the tensor '%s' is missing (%s)", path, want->name, tensor_role(want->kind));
        return -1;
    }
    nn_shape got = nn_st_shape(file, i);
    if (!nn_shape_eq(&got, &want->shape)) {
        snprintf(err, errlen, "%s: tensor '%s' has shape %s, not %s (%s)", path, want->name, nn_shape_str(&got, a, sizeof a),
                 nn_shape_str(&want->shape, b, sizeof b), tensor_role(want->kind));
        return -1;
    }
    if (want->kind != STATE_OPTIMIZER && want->kind != STATE_RAW) return 0;   /* metrics may be NaN */
    const float *v = nn_st_data(file, i);
    size_t n = nn_shape_numel(&got), bad = checkpoint_first_non_finite(v, n);
    if (bad == n) return 0;
    snprintf(err, errlen, "%s: tensor '%s' holds %g at index %zu (%s): resume from an earlier copy of the run folder if you "
                          "kept one, or train afresh", path, want->name, (double)v[bad], bad, tensor_role(want->kind));
    return -1;
}

int resume_state_check(const trainer *t, const nn_st_file *f, const char *path, resume_fields *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < RESUME_META_FIELDS; i++)
        if (read_field(t, f, path, &fields[i], out, err, errlen) < 0) return -1;
    if (check_not_past(t, out, path, err, errlen) < 0) return -1;
    state_tensor *want = malloc(STATE_MAX_TENSORS * sizeof *want);
    if (!want) {
        snprintf(err, errlen, "out of memory checking %s", path);
        return -1;
    }
    int n = resume_state_tensors(t, out->history_epochs, out->step, want, STATE_MAX_TENSORS), rc = 0;
    if (n < 0) {
        snprintf(err, errlen, "%s: the spec implies more than %d tensors", path, STATE_MAX_TENSORS);
        rc = -1;
    }
    for (int i = 0; i < n && rc == 0; i++) rc = check_tensor(f, path, &want[i], err, errlen);
    free(want);
    return rc;
}

void resume_fields_apply(trainer *t, const resume_fields *f)
{
    t->epoch = (int)f->epoch;
    t->batch_in_epoch = (int)f->batch_in_epoch;
    t->h.n = (int)f->history_epochs;
    t->step = f->step;
    for (int k = 0; k < t->s->n_steps; k++) nn_optimizer_set_steps(t->opt[k], (long)f->optimizer_steps[k]);
    for (int g = 0; g < t->s->n_groups; g++) {
        t->epoch_loss_rows[g] = (long)f->epoch_loss_rows[g];
        t->epoch_loss_sum[g] = f->epoch_loss_sum[g];
    }
    t->epoch_correct = f->epoch_correct;
    term_sums_restore(t, f->epoch_terms);
    t->noise_rng = f->noise_rng;
}
