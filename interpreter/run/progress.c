/* Terminal progress bar, redrawn at most 10 times a second (cheap on the hot path). */
#include "progress.h"
#include <math.h>
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

/* "loss 0.12345" or "discriminator 1.38620 generator 0.69312" */
static void print_losses(FILE *f, const char *fmt, const double *loss, const char *const *names, int n)
{
    for (int g = 0; g < n; g++) {
        fprintf(f, "%s%s ", g ? " " : "", names ? names[g] : "loss");
        fprintf(f, fmt, loss[g]);
    }
}

void progress_step(progress *p, int done, int total, const double *loss, const char *const *names, int n,
                   double running_accuracy)
{
    if (!p->tty) {
        if (p->log_every && done % p->log_every == 0) {
            printf("epoch %d/%d  step %d/%d  running ", p->epoch, p->epochs, done, total);
            print_losses(stdout, "%.6f", loss, names, n);
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
    fprintf(stderr, "\repoch %d/%d [%s] %d/%d  ", p->epoch, p->epochs, bar, done, total);
    print_losses(stderr, "%.5f", loss, names, n);
    if (running_accuracy == running_accuracy) fprintf(stderr, "  acc %.2f%%", 100 * running_accuracy);
    fprintf(stderr, "  ETA %d:%02d ", (int)eta / 60, (int)eta % 60);
    p->drawn = 1;
}

void progress_end(progress *p)
{
    if (p->tty && p->drawn) fprintf(stderr, "\r\033[K");
    p->drawn = 0;
}

/* ---- as trainer hooks ------------------------------------------------------------------------- */
/* " (bce_with_logits 80.1, kl_normal 25.3; real accuracy 81.2%)": group g's terms in epoch e */
static void print_terms(const trainer *t, int g, int e, int test)
{
    const loss_group *grp = &t->s->groups[g];
    const char *sep = " (";
    for (int k = 0; k < grp->n_terms; k++) {
        const term_columns *tc = &t->hc.term[g][k];
        int value = test ? tc->test : tc->train, acc = test ? tc->test_acc : tc->train_acc;
        if (value >= 0) printf("%s%s %.6g", sep, grp->terms[k].name, t->h.col[value][e]);
        if (value >= 0) sep = ", ";
        if (acc >= 0 && !isnan(t->h.col[acc][e])) printf("%s%s accuracy %.1f%%", sep, grp->terms[k].name, 100 * t->h.col[acc][e]);
        if (acc >= 0) sep = ", ";
    }
    if (sep[0] == ',') printf(")");
}

static void print_groups(const trainer *t, int e, int test)
{
    const spec *s = t->s;
    const char *split = test ? t->data.test_name : "train";
    for (int g = 0; g < s->n_groups; g++) {
        float v = t->h.col[test ? t->hc.test[g] : t->hc.train[g]][e];
        if (s->n_groups == 1) printf("  %s loss %.6f", split, v);
        else printf("%s%s %s %.6f", g ? "," : "  ", g ? "" : split, s->groups[g].name, v);
        print_terms(t, g, e, test);
    }
}

static void print_epoch(const trainer *t)
{
    const spec *s = t->s;
    const history *h = &t->h;
    const history_columns *hc = &t->hc;
    int e = h->n - 1;
    float *const *c = h->col;
    const char *tn = t->data.test_name;
    printf("epoch %d/%d", e + 1, s->train.epochs);
    print_groups(t, e, 0);
    if (!isnan(c[hc->train_acc][e])) printf("  train accuracy %.2f%%", 100 * c[hc->train_acc][e]);
    if (t->data.has_test) print_groups(t, e, 1);
    if (!isnan(c[hc->test_acc][e])) printf("  %s accuracy %.2f%%", tn, 100 * c[hc->test_acc][e]);
    if (!isnan(c[hc->test_rel_l2][e])) printf("  %s rel. L2 error %.2f%%", tn, 100 * c[hc->test_rel_l2][e]);
    for (int i = 0; i < t->n_metrics; i++) printf("  %s %.4g", h->name[t->metrics[i].column], c[t->metrics[i].column][e]);
    printf("  lr");   /* one per step, in the steps' order */
    for (int k = 0; k < s->n_steps; k++) printf(" %.3g", c[hc->lr[k]][e]);
    printf("  %.2fs\n", c[hc->seconds][e]);
    fflush(stdout);
}

static void on_epoch_begin(void *ctx, const trainer *t)
{
    progress *p = ctx;
    progress_begin(p, t->epoch + 1, t->s->train.epochs, p->quiet, t->s->train.log_every);
}

static void on_step(void *ctx, const trainer *t, int batch, int n_batches)
{
    const spec *s = t->s;
    double loss[SPEC_MAX_GROUPS];
    const char *names[SPEC_MAX_GROUPS];
    for (int g = 0; g < s->n_groups; g++) {
        loss[g] = trainer_running_loss(t, g);
        names[g] = s->groups[g].name;
    }
    progress_step(ctx, batch, n_batches, loss, s->n_groups > 1 ? names : NULL, s->n_groups, trainer_running_accuracy(t));
}

/* long runs of short epochs: a line every few epochs, never fewer than 20 lines per run */
static int on_epoch(void *ctx, trainer *t, int last, char *err, size_t errlen)
{
    progress *p = ctx;
    (void)err, (void)errlen;
    progress_end(p);
    int epochs = t->s->train.epochs, every = epochs > 40 ? epochs / 20 : 1;
    if ((last || t->epoch % every == 0) && p->quiet < 2) print_epoch(t);
    return 0;
}

static void on_stop(void *ctx, const trainer *t)
{
    (void)t;
    progress_end(ctx);
}

trainer_hooks progress_hooks(progress *p, int quiet)
{
    p->quiet = quiet;
    p->drawn = 0;
    p->tty = 0;
    return (trainer_hooks){.ctx = p, .on_epoch_begin = on_epoch_begin, .on_step = on_step, .on_epoch = on_epoch, .on_stop = on_stop};
}
