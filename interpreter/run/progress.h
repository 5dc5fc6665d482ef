/* progress.h — a progress bar with running loss and ETA on a terminal; off a terminal, a
 * plain line every log_every steps if asked (the trainer prints a line per epoch either way). */
#ifndef NNRUN_PROGRESS_H
#define NNRUN_PROGRESS_H

#include "trainer.h"

typedef struct {
    int tty;
    int epoch, epochs;
    double start, last_draw;
    int drawn;
    int log_every;
    int quiet;      /* 1: no bar; 2: no epoch lines either */
} progress;

void progress_begin(progress *p, int epoch, int epochs, int quiet, int log_every);
/* The running loss of each of n loss groups (names: NULL for one group, shown as "loss");
 * running_accuracy: NaN when the model is not a classifier. */
void progress_step(progress *p, int done, int total, const double *loss, const char *const *names, int n,
                   double running_accuracy);
void progress_end(progress *p);

/* The trainer hooks that show a run on the terminal: the bar (off a terminal, a line every
 * train.log_every steps), a line after each epoch (about 20 per run for long runs; the last
 * always). quiet: 1 no bar, 2 no epoch lines either. */
trainer_hooks progress_hooks(progress *p, int quiet);

#endif
