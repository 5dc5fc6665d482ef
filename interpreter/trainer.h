/* trainer.h — a run of one spec: graphs, optimizer, epochs, evaluation, checkpoints, resume. */
#ifndef NNRUN_TRAINER_H
#define NNRUN_TRAINER_H

#include "data_setup.h"
#include "model_build.h"
#include "nn/optim.h"
#include "spec.h"

#define MAX_EPOCHS_KEPT 100000

/* Per-epoch metrics; NaN where a metric does not apply. */
enum { H_TRAIN_LOSS, H_TRAIN_ACC, H_TEST_LOSS, H_TEST_ACC, H_TEST_REL_L2, H_LR, H_SECONDS, H_COLUMNS };
typedef struct {
    int n;                          /* epochs recorded */
    float *col[H_COLUMNS];          /* col[H_...][epoch] */
} history;
/* Column names, as in metrics.csv and checkpoints; "test" stands for the evaluation split. */
extern const char *const history_names[H_COLUMNS];

/* Per-step training record (steps.csv): one row per optimizer step, STEP_COLUMNS floats. */
enum { STEP_EPOCH, STEP_TRAIN_LOSS, STEP_LR, STEP_COLUMNS };
typedef struct {
    long n, cap;                    /* rows recorded, rows allocated */
    float *v;                       /* v[row * STEP_COLUMNS + column] */
} step_log;
extern const char *const step_log_names[STEP_COLUMNS];

typedef struct {
    const spec *s;
    run_data data;
    data_info info;
    model_graph *train_full, *train_last;   /* batch-size graph and the last partial batch's */
    model_graph *eval_full, *eval_last;
    nn_optimizer *opt;
    nn_rng init_rng;                /* weights */
    nn_rng noise_rng;               /* dropout masks, input noise, sampling */
    history h;
    step_log steps;
    int epoch;                      /* epochs completed */
    int batch_in_epoch;             /* batches done in the current (unfinished) epoch */
    double epoch_loss_sum;          /* running sums of the unfinished epoch */
    long epoch_loss_rows;
    double epoch_correct;           /* classifiers: right answers so far this epoch */
    long step;                      /* optimizer steps so far */
    double last_lr;                 /* learning rate of the latest step */
    int quiet;                      /* 1: no progress bar; 2: no epoch lines either */
    int n_final;                    /* named results of a finished run (sweeps gather them) */
    char final_name[8][32];
    double final_value[8];
    long interrupt_at_step;         /* tests: behave as if Ctrl-C came after this step (0 = never) */
} trainer;

/* Sets up data, graphs and optimizer. Returns 0 or -1 (errors in d). */
int trainer_init(trainer *t, const spec *s, diag *d);
/* Runs the remaining epochs. Returns the process exit status: 0 done, 130 interrupted (a
 * resumable checkpoint was written), 3 non-finite loss, 1 other failure. */
int trainer_run(trainer *t);
/* Restores the state written by an earlier, interrupted or finished run (--resume). */
int trainer_resume(trainer *t, diag *d);
void trainer_free(trainer *t);

/* Evaluates a dataset: mean loss, accuracy (or NaN), relative L2 error (or NaN). */
typedef struct {
    double loss, accuracy, rel_l2;
} eval_result;
int trainer_evaluate(trainer *t, const nn_dataset *ds, eval_result *r);

/* Runs the model in evaluation mode over the first n samples of ds and copies the outputs of
 * `layer` (a layer index, or -1 for the input) into out (n * per-sample floats). */
int trainer_layer_outputs(trainer *t, const nn_dataset *ds, const int *rows, int n, int layer, float *out);
size_t trainer_layer_width(trainer *t, int layer);

/* Records a named result of the run (e.g. "pca_test"); replaces one of the same name. */
void trainer_set_final(trainer *t, const char *name, double value);
/* The named result, or the last epoch's train_loss, test_loss, accuracy or rel_l2; NaN if
 * there is none. */
double trainer_final(const trainer *t, const char *name);

/* Writes model.safetensors (weights) and state.safetensors (optimizer, rng, position,
 * history) into the run folder, atomically. */
int trainer_checkpoint(trainer *t, char *err, size_t errlen);

#endif
