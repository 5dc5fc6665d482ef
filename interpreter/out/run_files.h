/* run_files.h — the run folder: resolved spec, metrics.csv, figures and report.html. */
#ifndef NNRUN_RUN_FILES_H
#define NNRUN_RUN_FILES_H

#include <stddef.h>

#include "run_results.h"
#include "../run/trainer.h"

/* Creates the folder (and parents), removes the temporary files killed writers left there
 * (after trainer_resume, which may need one) and writes spec.yaml and the data's vocabularies
 * (vocab_source.txt, vocab_target.txt: one word per line, line k the word of id k). */
int run_files_begin(trainer *t, char *err, size_t errlen);
/* After each epoch: metrics.csv, steps.csv and the loss curve. */
int run_files_epoch(trainer *t, char *err, size_t errlen);

/* The trainer hooks of a run folder: after an epoch, the figures drawn during training; every
 * few seconds and after the last epoch, metrics and a checkpoint; on Ctrl-C, a checkpoint. */
typedef struct {
    double last_save;               /* when metrics and checkpoint were last written */
} run_files_saver;
trainer_hooks run_files_hooks(run_files_saver *saver);
/* At the end: every figure the spec asks for, then report.html linking them. */
int run_files_finish(trainer *t, char *err, size_t errlen);
/* The same, keeping the named results the figures computed (pca_baseline's errors, the
 * next-character accuracy; NaN where none) in *res, for a sweep or a test to read. */
int run_files_finish_results(trainer *t, run_results *res, char *err, size_t errlen);

/* mkdir -p */
int make_dirs(const char *path, char *err, size_t errlen);

#endif
