/* progress.h — a progress bar with running loss and ETA on a terminal; off a terminal, a
 * plain line every log_every steps if asked (the trainer prints a line per epoch either way). */
#ifndef NNRUN_PROGRESS_H
#define NNRUN_PROGRESS_H

typedef struct {
    int tty;
    int epoch, epochs;
    double start, last_draw;
    int drawn;
    int log_every;
} progress;

void progress_begin(progress *p, int epoch, int epochs, int quiet, int log_every);
/* running_accuracy: NaN when the model is not a classifier */
void progress_step(progress *p, int done, int total, double running_loss, double running_accuracy);
void progress_end(progress *p);

#endif
