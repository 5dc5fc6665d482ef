/* trainer.h — a run of one spec: graphs, optimizer, epochs, evaluation, checkpoints, resume. */
#ifndef NNRUN_TRAINER_H
#define NNRUN_TRAINER_H

#include "data_setup.h"
#include "../build/model_build.h"
#include "nn/optim.h"
#include "../lang/spec.h"

#define MAX_EPOCHS_KEPT 100000

/* Per-epoch metrics, one column each; NaN where a metric does not apply. Columns: the train
 * loss of each group ("train_loss" for a group named loss, else "train_<group>"), train
 * accuracy, the same for the evaluation split ("test_..."), its relative L2 error, the learning
 * rate of each step ("lr", or "lr_<step>" with several), seconds; then per loss term of a group
 * with several terms its value ("train_<group>.<term>", "test_<group>.<term>"), and per term
 * scored for accuracy (term_check) "train_<group>.<term>_accuracy" and "test_...". */
#define H_MAX_COLUMNS (2 * SPEC_MAX_GROUPS + SPEC_MAX_STEPS + 4 + 4 * SPEC_MAX_GROUPS * SPEC_MAX_LOSSES + 4)
#define H_NAME_LEN (2 * SPEC_NAME_LEN + 24)   /* test_<group>.<term>_accuracy */
typedef struct {
    int n;                          /* epochs recorded */
    int n_cols;
    char name[H_MAX_COLUMNS][H_NAME_LEN];
    int fraction[H_MAX_COLUMNS];    /* accuracies and errors: shown as percentages */
    float *col[H_MAX_COLUMNS];      /* col[column][epoch] */
} history;

/* A loss term's columns, -1 where it has none. */
typedef struct {
    int train, test;                /* its value: when its group has several terms */
    int train_acc, test_acc;        /* its accuracy: when it is scored (term_check) */
} term_columns;

/* Where each metric lives in the history. */
typedef struct {
    int train[SPEC_MAX_GROUPS], train_acc;
    int test[SPEC_MAX_GROUPS], test_acc, test_rel_l2;
    int lr[SPEC_MAX_STEPS];
    int seconds;
    term_columns term[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES];
} history_columns;

/* A loss term's running sums over an epoch (or an evaluation): its value times the rows, and
 * for a scored term the logits on the right side and the logits seen. */
typedef struct {
    double value, right, seen;
} term_sums;

/* Per-step training record (steps.csv): one row per iteration (all steps once): the epoch, each
 * group's loss (NaN if no step minimised it) and each step's learning rate. */
typedef struct {
    long n, cap;                    /* rows recorded, rows allocated */
    int n_cols;                     /* 1 + groups + steps */
    float *v;                       /* v[row * n_cols + column] */
} step_log;

/* Where a non-finite loss appeared: the graph, the step, the value. */
typedef struct {
    model_graph *graph;
    int step;
    float loss;
} trainer_stop;

struct trainer;
/* A metric a caller computes after each epoch's evaluation (a generator's sample quality), into
 * a history column of its own: its value, or NaN. */
typedef double (*epoch_metric_fn)(void *ctx, struct trainer *t);
#define TRAINER_MAX_METRICS 4

typedef struct trainer {
    const spec *s;
    run_data data;
    data_info info;
    model_graph *train_full, *train_last;   /* batch-size graph and the last partial batch's */
    model_graph *eval_full, *eval_last;
    nn_optimizer *opt[SPEC_MAX_STEPS];      /* one per training step */
    nn_rng init_rng;                /* weights */
    nn_rng noise_rng;               /* dropout masks, input noise, sampling */
    history h;
    history_columns hc;
    step_log steps;
    int epoch;                      /* epochs completed */
    int batch_in_epoch;             /* batches done in the current (unfinished) epoch */
    double epoch_loss_sum[SPEC_MAX_GROUPS];   /* running sums of the unfinished epoch, per group */
    long epoch_loss_rows[SPEC_MAX_GROUPS];
    double epoch_correct;           /* classifiers: right answers so far this epoch */
    term_sums epoch_terms[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES];   /* the unfinished epoch's, per term */
    long step;                      /* iterations so far (each runs every training step) */
    double last_lr[SPEC_MAX_STEPS]; /* learning rate of each step's latest run */
    trainer_stop stop;              /* where a non-finite loss stopped the run */
    long interrupt_at_step;         /* tests: after this step the run sends itself SIGINT, as Ctrl-C
                                       would (0 = never) */
    int interrupt_again;            /* tests: and SIGINT again while it writes its checkpoint */
    float *ema[SPEC_MAX_NETS];      /* nets with `ema`: the other copy of their parameters, in creation
                                       order: the averages while training, the raw weights while
                                       the averages are in the parameters (ema_in) */
    int ema_in;                     /* the averages are in the parameters: after an epoch (evaluation,
                                       figures, checkpoints) and after the run */
    struct {
        int column;
        epoch_metric_fn fn;
        void *ctx;
    } metrics[TRAINER_MAX_METRICS];   /* trainer_add_metric's */
    int n_metrics;
} trainer;

/* The name of step-log column c (steps.csv): epoch, the groups' train columns, the lr columns. */
const char *step_log_name(const trainer *t, int c);

/* Sets up data, graphs and optimizer (a data study, s->n_nets == 0: its data alone; nothing
 * trains, so trainer_run must not be called). Returns 0 or -1 (errors in d). */
int trainer_init(trainer *t, const spec *s, diag *d);
/* The same for using a trained model (eval, compare, figures): evaluation graphs only — no
 * gradients, no optimizer state. trainer_run must not be called on it. */
int trainer_init_eval(trainer *t, const spec *s, diag *d);
/* Adds a column `name` to the history, filled after each epoch's evaluation by fn(ctx, t).
 * Call it before trainer_resume (which restores the column by name). Its index, or -1 (full,
 * or out of memory). */
int trainer_add_metric(trainer *t, const char *name, int fraction, epoch_metric_fn fn, void *ctx);
/* Puts the moving averages of the nets with `ema` into the parameters (in = 1) or the raw
 * weights back (in = 0); nothing for nets without. */
void trainer_ema_swap(trainer *t, int in);
/* The graph that owns the weights (load and save them through it). */
model_graph *trainer_weights(const trainer *t);
/* Floating-point operations of one training iteration at the full batch: every step's plan
 * (forward, backward) times its repeats; the optimizer updates are not counted. */
double trainer_iteration_flops(const trainer *t);
/* What the command does around training (ggml-opt's epoch callback): progress displays
 * (progress.h), the run folder (run_files.h: figures, metrics, checkpoints). Any callback may
 * be NULL. on_epoch returns 0, or -1 with a message in err (the run stops with status 1);
 * on_stop: the run stops early (Ctrl-C, a non-finite loss, a failure), before the trainer says
 * why; on_interrupt saves a resumable state (0, or -1 with err). */
typedef struct {
    void *ctx;
    void (*on_epoch_begin)(void *ctx, const trainer *t);
    void (*on_step)(void *ctx, const trainer *t, int batch, int n_batches);   /* after each iteration */
    int (*on_epoch)(void *ctx, trainer *t, int last, char *err, size_t errlen);   /* after its evaluation */
    void (*on_stop)(void *ctx, const trainer *t);
    int (*on_interrupt)(void *ctx, trainer *t, char *err, size_t errlen);
} trainer_hooks;

/* Runs the remaining epochs, calling the hooks in order. Returns the process exit status: 0
 * done, 130 interrupted by SIGINT (Ctrl-C) and 143 by SIGTERM (an on_interrupt hook saved the
 * state), 3 non-finite loss, 1 other failure. */
int trainer_run(trainer *t, const trainer_hooks *hooks, int n_hooks);
/* Batches in a training epoch (before --limit-batches). */
int trainer_batches_per_epoch(const trainer *t);
/* The unfinished epoch's mean loss of a group and accuracy so far (NaN: none). */
double trainer_running_loss(const trainer *t, int group);
/* The last finished epoch's value of a history column; NaN when it has none. */
double trainer_last(const trainer *t, int column);
double trainer_running_accuracy(const trainer *t);
/* Restores the state written by an earlier, interrupted or finished run (--resume). */
int trainer_resume(trainer *t, diag *d);
void trainer_free(trainer *t);

/* Evaluates a dataset: mean loss (of the first group; each group's too), accuracy (or NaN),
 * relative L2 error (or NaN). */
typedef struct {
    double loss, accuracy, rel_l2;
    double group_loss[SPEC_MAX_GROUPS];
    term_sums terms[SPEC_MAX_GROUPS][SPEC_MAX_LOSSES];   /* summed over the rows evaluated */
} eval_result;
int trainer_evaluate(trainer *t, const nn_dataset *ds, eval_result *r);

/* Runs the model in evaluation mode over the first n samples of ds and copies the outputs of
 * `layer` (a layer index, or -1 for the input) into out (n * per-sample floats). */
int trainer_layer_outputs(trainer *t, const nn_dataset *ds, const int *rows, int n, int layer, float *out);
size_t trainer_layer_width(trainer *t, int layer);
/* The same for any node of the evaluation graph (model_resolve(t->eval_full, ...): a call such
 * as G, a named layer of a net). Noise inputs are drawn from the run's noise stream. */
int trainer_node_outputs(trainer *t, const nn_dataset *ds, const int *rows, int n, int node, float *out);
size_t trainer_node_width(trainer *t, int node);

/* The last epoch's train_loss, test_loss, accuracy or rel_l2; NaN if there is none. */
double trainer_final(const trainer *t, const char *name);

/* Writes model.safetensors (weights) and state.safetensors (optimizer, rng, position,
 * history) into the run folder, atomically. */
int trainer_checkpoint(trainer *t, char *err, size_t errlen);

#endif
