/* Terminal progress bar, redrawn at most 10 times a second (cheap on the hot path). */
#include "progress.h"
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_begin(progress *p, int epoch, int epochs, int quiet, int log_every)
{
    p->tty = !quiet && isatty(STDERR_FILENO);
    p->log_every = quiet > 1 ? 0 : log_every;
    p->epoch = epoch;
    p->epochs = epochs;
    p->start = now();
    p->last_draw = 0;
    p->drawn = 0;
}

void progress_step(progress *p, int done, int total, double running_loss, double running_accuracy)
{
    if (!p->tty) {
        if (p->log_every && done % p->log_every == 0) {
            printf("epoch %d/%d  step %d/%d  running loss %.6f", p->epoch, p->epochs, done, total, running_loss);
            if (running_accuracy == running_accuracy) printf("  running accuracy %.2f%%", 100 * running_accuracy);
            printf("\n");
            fflush(stdout);
        }
        return;
    }
    double t = now();
    if (done < total && t - p->last_draw < 0.1) return;
    p->last_draw = t;
    enum { WIDTH = 30 };
    int fill = total ? (int)((double)done / total * WIDTH) : WIDTH;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[WIDTH] = 0;
    double elapsed = t - p->start, eta = done ? elapsed / done * (total - done) : 0;
    fprintf(stderr, "\repoch %d/%d [%s] %d/%d  loss %.5f", p->epoch, p->epochs, bar, done, total, running_loss);
    if (running_accuracy == running_accuracy) fprintf(stderr, "  acc %.2f%%", 100 * running_accuracy);
    fprintf(stderr, "  ETA %d:%02d ", (int)eta / 60, (int)eta % 60);
    p->drawn = 1;
}

void progress_end(progress *p)
{
    if (p->tty && p->drawn) fprintf(stderr, "\r\033[K");
    p->drawn = 0;
}
