/* nn/optim.h — optimizers, learning-rate schedules and gradient clipping over plain float
 * arrays. Nothing here knows about graphs: a parameter set is a list of (param, grad, n)
 * slices, so the same code serves any parameter group of any network.
 *
 * Update rules match PyTorch's torch.optim (single-tensor path) exactly:
 *   SGD      dampening 0; d = g + wd*p; buf = mu*buf + d; d = nesterov ? d + mu*buf : buf;
 *            p -= lr*d                                    (no momentum: p -= lr*d)
 *   Adam     g += wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 *            p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   AdamW    p *= 1 - lr*wd (decoupled), then Adam without the L2 term
 *   RMSprop  g += wd*p; s = a*s + (1-a)*g^2; [centered: ga = a*ga + (1-a)*g, s' = s - ga^2];
 *            r = sqrt(s') + eps; momentum: buf = mu*buf + g/r, p -= lr*buf; else p -= lr*g/r
 * State starts at zero, which reproduces PyTorch's "first step copies the gradient" for SGD
 * momentum (mu*0 + d = d) and its zero-initialised Adam/RMSprop moments.
 */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stddef.h>

/* ---- optimizers --------------------------------------------------------------------- */
typedef enum { NN_OPT_SGD, NN_OPT_ADAM, NN_OPT_ADAMW, NN_OPT_RMSPROP, NN_OPT_KIND_COUNT } nn_opt_kind;

typedef struct {
    nn_opt_kind kind;
    double lr;               /* base learning rate (the schedule scales it; see nn_optimizer_step) */
    double momentum;         /* SGD, RMSprop (0 = off) */
    int nesterov;            /* SGD; needs momentum > 0 */
    double weight_decay;     /* SGD/Adam/RMSprop: L2 added to the gradient (PyTorch style);
                                AdamW: decoupled, p -= lr*wd*p. Only slices with decay != 0. */
    double beta1, beta2, eps;/* Adam/AdamW (0.9, 0.999, 1e-8); eps also RMSprop's (1e-8) */
    double alpha;            /* RMSprop smoothing (0.99) */
    int centered;            /* RMSprop: divide by the estimated variance, not the raw 2nd moment */
} nn_opt_config;
/* Hyperparameters are doubles, as PyTorch's Python floats are: the per-step constants (1 - beta2,
 * lr / (1 - beta1^t), ...) are formed in double and rounded to float once, so 1 - 0.999 is
 * 0.001 and not the 1.3e-5-off 1 - 0.999f. The update loops themselves run in float. */

/* PyTorch's defaults for the kind: lr 1e-3 (SGD, Adam, AdamW) or 1e-2 (RMSprop); AdamW's
 * weight_decay 1e-2, every other weight_decay 0. */
void nn_opt_defaults(nn_opt_kind kind, nn_opt_config *c);
/* "sgd", "adam", "adamw", "rmsprop"; "?" for an out-of-range kind. */
const char *nn_opt_kind_name(nn_opt_kind kind);
/* The kind for a name (case-sensitive, as in the spec), or -1. Loop kind < NN_OPT_KIND_COUNT
 * with nn_opt_kind_name() to list the valid choices in an error message. */
int nn_opt_kind_from_name(const char *name);
/* Checks ranges (lr >= 0, 0 <= beta < 1, eps > 0, nesterov needs momentum, ...).
 * Returns 0, or -1 with a message naming the field, its value and the valid range. */
int nn_opt_config_check(const nn_opt_config *c, char *err, size_t errlen);

/* One tensor of a parameter set: n floats of parameter and gradient memory. Both pointers
 * must stay valid (and the gradient filled) whenever nn_optimizer_step runs. decay = 0
 * excludes the slice from weight decay (biases, norm scales). */
typedef struct {
    float *param;
    const float *grad;
    size_t n;
    int decay;
} nn_param_slice;

typedef struct nn_optimizer nn_optimizer;

/* Copies the config and the slice list; allocates the state (one block, zeroed).
 * Returns NULL with a message in err on a bad config, an empty or malformed slice list, or
 * out of memory. */
nn_optimizer *nn_optimizer_new(const nn_opt_config *c, const nn_param_slice *s, int n_slices,
                               char *err, size_t errlen);
/* One update of every slice with learning rate lr (the schedule's value for this step;
 * pass c->lr for a constant rate). Increments the step count first (Adam's t starts at 1).
 * Allocates nothing. */
void nn_optimizer_step(nn_optimizer *o, double lr);
void nn_optimizer_free(nn_optimizer *o);
const nn_opt_config *nn_optimizer_config(const nn_optimizer *o);

/* State for checkpoints: named flat buffers, each nn_optimizer_state_len() floats laid out as
 * the slices concatenated in the order given to nn_optimizer_new. Names and their PyTorch
 * state keys: SGD "momentum" (momentum_buffer, only with momentum); Adam/AdamW "m" (exp_avg),
 * "v" (exp_avg_sq); RMSprop "square_avg", "momentum" (momentum_buffer, with momentum),
 * "grad_avg" (centered). */
int nn_optimizer_state_count(const nn_optimizer *o);
const char *nn_optimizer_state_name(const nn_optimizer *o, int i);   /* NULL if out of range */
float *nn_optimizer_state_data(nn_optimizer *o, int i);              /* NULL if out of range */
size_t nn_optimizer_state_len(const nn_optimizer *o);                /* floats per buffer */
/* Index of the buffer with that name, or -1 (for matching checkpoint entries by name). */
int nn_optimizer_state_find(const nn_optimizer *o, const char *name);
long nn_optimizer_steps(const nn_optimizer *o);
void nn_optimizer_set_steps(nn_optimizer *o, long steps);
/* Zeroes every state buffer and the step count (a fresh start with the same parameters). */
void nn_optimizer_reset(nn_optimizer *o);

/* ---- learning-rate schedules -------------------------------------------------------- */
typedef enum {
    NN_SCHED_CONSTANT,
    NN_SCHED_STEP,
    NN_SCHED_EXPONENTIAL,
    NN_SCHED_COSINE,
    NN_SCHED_PIECEWISE,
    NN_SCHED_KIND_COUNT
} nn_sched_kind;

#define NN_SCHED_MAX_PIECES 16

typedef struct {
    nn_sched_kind kind;
    int step_epochs;  /* step: lr *= gamma every step_epochs epochs */
    double gamma;     /* step, exponential (lr *= gamma once per epoch) */
    int total_epochs; /* cosine: from lr to min_lr over total_epochs, per step (smooth) */
    double min_lr;    /* cosine floor; also held after total_epochs */
    int n_pieces;     /* piecewise: from epoch piece_epoch[i] on, lr = base * piece_factor[i];  */
    int piece_epoch[NN_SCHED_MAX_PIECES];     /* strictly increasing; before the first piece  */
    double piece_factor[NN_SCHED_MAX_PIECES]; /* the factor is 1                              */
    int warmup_steps; /* linear warm-up over the first N optimizer steps (0 = off) */
} nn_schedule;

/* A constant schedule with gamma 0.1 (the usual step/exponential starting point). */
void nn_schedule_defaults(nn_sched_kind kind, nn_schedule *s);
/* "constant", "step", "exponential", "cosine", "piecewise"; "?" if out of range. */
const char *nn_sched_kind_name(nn_sched_kind kind);
int nn_sched_kind_from_name(const char *name);   /* or -1 */
/* Returns 0, or -1 with a message naming the field and what it must be. */
int nn_schedule_check(const nn_schedule *s, char *err, size_t errlen);
/* The learning rate for optimizer step `step` (0-based, counted over the whole run), made
 * in epoch `epoch` (0-based) at progress epoch_frac in [0, 1) through it (cosine uses it).
 * Warm-up multiplies the scheduled rate by (step + 1) / warmup_steps while step <
 * warmup_steps: it rises linearly from near 0 and reaches the full rate at step N-1. */
double nn_schedule_lr(const nn_schedule *s, double base_lr, int epoch, double epoch_frac, long step);

/* ---- gradient clipping -------------------------------------------------------------- */
/* As torch.nn.utils.clip_grad_norm_ (L2): total = ||concat(grads)||_2 (double accumulation);
 * if total > max_norm every gradient is scaled by max_norm / (total + 1e-6). Returns total
 * before clipping. A non-finite total leaves the gradients untouched (scaling by NaN would
 * destroy them); the caller checks isfinite() on the result and reports. So does a negative
 * or NaN max_norm (0 zeroes the gradients, as in torch). */
float nn_clip_grad_norm(float *const *grads, const size_t *lens, int n, float max_norm);
/* Clamps each element to [-clip, clip] (torch.nn.utils.clip_grad_value_). */
void nn_clip_grad_value(float *g, size_t n, float clip);

#endif
