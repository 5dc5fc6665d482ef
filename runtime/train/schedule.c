/* Learning-rate schedules: the rate as a pure function of (epoch, progress, step), so resuming
 * from a checkpoint needs no schedule state. */
#include "nn/optim.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const sched_names[NN_SCHED_KIND_COUNT] = {"constant", "step", "exponential", "cosine",
                                                             "piecewise"};

const char *nn_sched_kind_name(nn_sched_kind kind)
{
    return (unsigned)kind < NN_SCHED_KIND_COUNT ? sched_names[kind] : "?";
}

int nn_sched_kind_from_name(const char *name)
{
    for (int k = 0; name && k < NN_SCHED_KIND_COUNT; k++)
        if (strcmp(name, sched_names[k]) == 0) return k;
    return -1;
}

void nn_schedule_defaults(nn_sched_kind kind, nn_schedule *s)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->gamma = 0.1;
}

#define SCHED_FAIL(...)                                        \
    do {                                                       \
        if (err && errlen) snprintf(err, errlen, __VA_ARGS__); \
        return -1;                                             \
    } while (0)

static int check_pieces(const nn_schedule *s, char *err, size_t errlen)
{
    if (s->n_pieces < 1 || s->n_pieces > NN_SCHED_MAX_PIECES)
        SCHED_FAIL("schedule piecewise: %d pieces; give between 1 and %d", s->n_pieces, NN_SCHED_MAX_PIECES);
    for (int i = 0; i < s->n_pieces; i++) {
        if (s->piece_epoch[i] < 0) SCHED_FAIL("schedule piecewise: piece %d starts at epoch %d; epochs are >= 0", i, s->piece_epoch[i]);
        if (i && s->piece_epoch[i] <= s->piece_epoch[i - 1])
            SCHED_FAIL("schedule piecewise: piece %d starts at epoch %d, not after piece %d (epoch %d); "
                       "list pieces in increasing epoch order", i, s->piece_epoch[i], i - 1, s->piece_epoch[i - 1]);
        if (!(s->piece_factor[i] >= 0) || isinf(s->piece_factor[i]))
            SCHED_FAIL("schedule piecewise: piece %d has factor %g; it must be >= 0 and finite", i, s->piece_factor[i]);
    }
    return 0;
}

int nn_schedule_check(const nn_schedule *s, char *err, size_t errlen)
{
    if (s->warmup_steps < 0) SCHED_FAIL("schedule: warmup_steps is %d; it must be >= 0 (0 = no warm-up)", s->warmup_steps);
    switch (s->kind) {
    case NN_SCHED_CONSTANT:
        return 0;
    case NN_SCHED_STEP:
    case NN_SCHED_EXPONENTIAL:
        if (s->kind == NN_SCHED_STEP && s->step_epochs <= 0)
            SCHED_FAIL("schedule step: step_epochs is %d; it must be >= 1", s->step_epochs);
        if (!(s->gamma > 0) || isinf(s->gamma))
            SCHED_FAIL("schedule %s: gamma is %g; it must be > 0 and finite", sched_names[s->kind], s->gamma);
        return 0;
    case NN_SCHED_COSINE:
        if (s->total_epochs <= 0) SCHED_FAIL("schedule cosine: total_epochs is %d; it must be >= 1", s->total_epochs);
        if (!(s->min_lr >= 0) || isinf(s->min_lr))
            SCHED_FAIL("schedule cosine: min_lr is %g; it must be >= 0 and finite", s->min_lr);
        return 0;
    case NN_SCHED_PIECEWISE:
        return check_pieces(s, err, errlen);
    default:
        SCHED_FAIL("schedule: unknown kind %d (constant, step, exponential, cosine, piecewise)", (int)s->kind);
    }
}

/* The factor in force at `epoch`: that of the last piece started, or 1 before the first. */
static double piecewise_factor(const nn_schedule *s, int epoch)
{
    double f = 1.0;
    for (int i = 0; i < s->n_pieces && i < NN_SCHED_MAX_PIECES && epoch >= s->piece_epoch[i]; i++)
        f = s->piece_factor[i];
    return f;
}

/* Cosine annealing over continuous epochs (SGDR without restarts), held at min_lr after. */
static double cosine_lr(const nn_schedule *s, double base, int epoch, double frac)
{
    double t = s->total_epochs > 0 ? (epoch + frac) / s->total_epochs : 1.0;
    if (t > 1.0) t = 1.0;
    if (t < 0.0) t = 0.0;
    return s->min_lr + (base - s->min_lr) * 0.5 * (1.0 + cos(M_PI * t));
}

double nn_schedule_lr(const nn_schedule *s, double base_lr, int epoch, double epoch_frac, long step)
{
    double lr = base_lr;
    if (epoch < 0) epoch = 0;
    switch (s->kind) {
    case NN_SCHED_STEP:
        lr *= pow(s->gamma, s->step_epochs > 0 ? epoch / s->step_epochs : 0);
        break;
    case NN_SCHED_EXPONENTIAL:
        lr *= pow(s->gamma, epoch);
        break;
    case NN_SCHED_COSINE:
        lr = cosine_lr(s, base_lr, epoch, epoch_frac);
        break;
    case NN_SCHED_PIECEWISE:
        lr *= piecewise_factor(s, epoch);
        break;
    default:
        break;
    }
    if (s->warmup_steps > 0 && step >= 0 && step < s->warmup_steps) lr *= (double)(step + 1) / s->warmup_steps;
    return lr;
}
