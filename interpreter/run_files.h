/* run_files.h — the run folder: resolved spec, metrics.csv, figures and report.html. */
#ifndef NNRUN_RUN_FILES_H
#define NNRUN_RUN_FILES_H

#include <stddef.h>

#include "trainer.h"

/* Creates the folder (and parents) and writes spec.yaml. */
int run_files_begin(trainer *t, char *err, size_t errlen);
/* After each epoch: metrics.csv and the loss curve. */
int run_files_epoch(trainer *t, char *err, size_t errlen);
/* At the end: every figure the spec asks for, then report.html linking them. */
int run_files_finish(trainer *t, char *err, size_t errlen);

/* mkdir -p */
int make_dirs(const char *path, char *err, size_t errlen);

#endif
