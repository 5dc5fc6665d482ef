/* progress.h — a progress bar with running loss and ETA on a terminal; silence otherwise
 * (the trainer prints one plain line per epoch either way). */
#ifndef NNRUN_PROGRESS_H
#define NNRUN_PROGRESS_H

typedef struct {
    int tty;
    int epoch, epochs;
    double start, last_draw;
    int drawn;
} progress;

void progress_begin(progress *p, int epoch, int epochs, int quiet);
void progress_step(progress *p, int done, int total, double running_loss);
void progress_end(progress *p);

#endif
