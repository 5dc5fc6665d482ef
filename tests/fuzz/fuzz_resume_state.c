/* Fuzz harness: the resume-state check (resume_state_check, interpreter/run/resume_state.h), on
 * any bytes as state.safetensors, against the trainers of resume_specs.h as `nnrun SPEC --resume`
 * runs it (nn_st_open, then the check). A state it accepts is one the restore can copy without
 * reading or writing out of bounds: every tensor the fields imply is in the file with exactly
 * the floats the trainer's buffer takes, and the history fits the trainer's (one row per epoch
 * of the spec). */
#include "fuzz_util.h"
#include "resume_specs.h"
#include "resume_state.h"

static spec *specs[N_RESUME_SPECS];
static trainer trainers[N_RESUME_SPECS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    for (int k = 0; k < N_RESUME_SPECS; k++)
        if (resume_spec_trainer(k, fuzz_scratch_dir(), &specs[k], &trainers[k]) < 0) exit(1);
    return 0;
}

/* What restore_tensors (checkpoint.c) will read and write for the checked fields f. */
static void check_restorable(const trainer *t, const nn_st_file *st, const resume_fields *f)
{
    static state_tensor want[STATE_MAX_TENSORS];
    FUZZ_ASSERT(f->history_epochs >= 0 && f->history_epochs <= t->s->train.epochs);
    FUZZ_ASSERT(f->batch_in_epoch >= 0 && f->batch_in_epoch <= trainer_batches_per_epoch(t));
    int n = resume_state_tensors(t, f->history_epochs, f->step, want, STATE_MAX_TENSORS);
    FUZZ_ASSERT(n >= 0);
    volatile float sink = 0;
    for (int i = 0; i < n; i++) {
        int k = nn_st_find(st, want[i].name);
        FUZZ_ASSERT(k >= 0);
        nn_shape got = nn_st_shape(st, k);
        size_t c = nn_shape_numel(&want[i].shape);
        FUZZ_ASSERT(nn_shape_numel(&got) == c);
        const float *v = nn_st_data(st, k);
        for (size_t j = 0; j < c; j++) sink += v[j];
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_LEN], err[2048];
    fuzz_write_file(fuzz_path("state.safetensors", path), data, size);
    nn_st_file *st = nn_st_open(path, err, sizeof err);
    if (!st) return 0;
    for (int k = 0; k < N_RESUME_SPECS; k++) {
        resume_fields f;
        if (resume_state_check(&trainers[k], st, path, &f, err, sizeof err) == 0) check_restorable(&trainers[k], st, &f);
        else FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0);
    }
    nn_st_close(st);
    return 0;
}
