/* resume_state.h — the resume state, state.safetensors: the fields and tensors it holds for a
 * trainer, and the one check of a file against what the trainer's spec implies, run before
 * anything of the file is used (a fuzz harness can call resume_state_check on any file). */
#ifndef NNRUN_RESUME_STATE_H
#define NNRUN_RESUME_STATE_H

#include "nn/safetensors.h"
#include "trainer.h"

/* The metadata fields, as numbers (the lists as written: one value per step, per group, and
 * three per loss term: its term_sums value, right and seen). */
typedef struct {
    long epoch, batch_in_epoch, ranks, history_epochs, step;
    double optimizer_steps[SPEC_MAX_STEPS];
    double epoch_loss_rows[SPEC_MAX_GROUPS], epoch_loss_sum[SPEC_MAX_GROUPS];
    double epoch_correct;
    double epoch_terms[3 * SPEC_MAX_GROUPS * SPEC_MAX_LOSSES];
    nn_rng noise_rng;
} resume_fields;

/* The metadata of a state file, as text (resume_meta_of). */
#define RESUME_META_FIELDS 12
#define RESUME_META_LEN (3 * SPEC_MAX_GROUPS * SPEC_MAX_LOSSES * 26)
typedef struct {
    nn_st_meta meta[RESUME_META_FIELDS];
    char text[RESUME_META_FIELDS][RESUME_META_LEN];
} resume_meta;

/* One tensor of the state: its name, its shape, and the trainer's buffer it is saved from. */
typedef enum { STATE_OPTIMIZER, STATE_HISTORY, STATE_STEPS, STATE_RAW } state_tensor_kind;
typedef struct {
    char name[2 * SPEC_NAME_LEN + 32];
    nn_shape shape;
    float *data;
    state_tensor_kind kind;
    float *param;                   /* STATE_RAW: the parameter whose raw weights these are */
} state_tensor;
#define STATE_MAX_TENSORS (SPEC_MAX_STEPS * 8 + H_MAX_COLUMNS + 1 + 256)

/* The tensors of t's state after history_epochs epochs and step_rows iterations: every
 * optimizer buffer ("optimizer.<state>", "optimizer.<step>.<state>" with several steps), every
 * history column ("history.<column>", at least one value), the step log ("steps", when
 * step_rows > 0) and the raw weights of nets with ema ("raw.<parameter>", t->ema: valid while
 * the averages are in the parameters). Returns their number, or -1 if more than room. */
int resume_state_tensors(const trainer *t, long history_epochs, long step_rows, state_tensor *out, int room);

/* t's position and running sums as metadata to save (the text in m). Returns the number. */
int resume_meta_of(const trainer *t, resume_meta *m);

/* Checks the state file f, read from path, against t's spec: its format; every field present,
 * well formed and within the range the spec implies (batches per epoch, epochs, steps, groups,
 * loss terms); a run not past the spec's epochs; every tensor present with the shape the spec
 * and the fields imply, optimizer buffers and raw weights finite. 0 with the fields in out, or
 * -1 with a message naming path and the field or tensor in err. */
int resume_state_check(const trainer *t, const nn_st_file *f, const char *path, resume_fields *out, char *err,
                       size_t errlen);

/* Puts checked fields into t: its position, running sums, noise stream and optimizer steps
 * (the tensors are the caller's). */
void resume_fields_apply(trainer *t, const resume_fields *f);

#endif
