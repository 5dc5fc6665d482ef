/* Run folder: spec.yaml, metrics.csv (one row per epoch), figures and report.html. */
#include "run_files.h"
#include "report.h"
#include "../lang/spec_defaults.h"
#include "../lang/spec_merge.h"
#include "nn/atomic_file.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) < 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c) break;
        }
    }
    return 0;
}

/* The data's vocabularies, one word per line by id (nn_vocab_write), so that a later command
 * can encode and decode text as the run did: vocab_source.txt (x's words: imdb, translation's
 * French), vocab_target.txt (translation's English). */
static int write_vocabularies(const trainer *t, char *err, size_t errlen)
{
    static const char *const names[EMB_WORDS_COUNT] = {"vocab_source.txt", "vocab_target.txt"};
    for (int k = 0; k < EMB_WORDS_COUNT; k++) {
        if (t->data.vocab[k].size == 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", t->s->out_dir, names[k]);
        nn_atomic_file *af = nn_atomic_open(path, err, errlen);
        if (!af) return -1;
        nn_vocab_write(&t->data.vocab[k], nn_atomic_stream(af));
        if (nn_atomic_commit(af, err, errlen) < 0) return -1;
    }
    return 0;
}

int run_files_begin(trainer *t, char *err, size_t errlen)
{
    char path[1024];
    if (make_dirs(t->s->out_dir, err, errlen) < 0) return -1;
    nn_atomic_remove_leftovers(t->s->out_dir);   /* of runs killed before a rename (after trainer_resume used them) */
    snprintf(path, sizeof path, "%s/spec.yaml", t->s->out_dir);
    diag d;
    diag_init(&d);
    ynode *full = spec_with_defaults(t->s->tree, &d);   /* the spec as it runs, defaults included */
    int rc = full ? yemit_file(full, path, err, errlen) : -1;
    if (!full) snprintf(err, errlen, "cannot write %s: out of memory", path);
    ynode_free(full);
    diag_free(&d);
    return rc == 0 ? write_vocabularies(t, err, errlen) : rc;
}

static void csv_value(FILE *f, float v)
{
    if (isnan(v)) fputs(",", f);
    else fprintf(f, ",%.7g", v);
}

/* steps.csv: one row per optimizer step (losses with 9 significant digits: floats exactly). */
static void put_steps(FILE *f, const trainer *t)
{
    const step_log *l = &t->steps;
    int n_loss = t->s->n_groups;   /* columns 1..n_loss are losses, then learning rates */
    fprintf(f, "step");
    for (int c = 0; c < l->n_cols; c++) fprintf(f, ",%s", step_log_name(t, c));
    fputc('\n', f);
    for (long r = 0; r < l->n; r++) {
        const float *row = l->v + (size_t)r * l->n_cols;
        fprintf(f, "%ld,%d", r + 1, (int)row[0]);
        for (int c = 1; c < l->n_cols; c++) {
            if (isnan(row[c])) fputs(",", f);
            else fprintf(f, c <= n_loss ? ",%.9g" : ",%.7g", row[c]);
        }
        fputc('\n', f);
    }
}

/* metrics.csv: one row per epoch. */
static void put_metrics(FILE *f, const trainer *t)
{
    const history *h = &t->h;
    fprintf(f, "epoch");
    for (int c = 0; c < h->n_cols; c++) {   /* "test_..." names the evaluation split actually used */
        const char *name = h->name[c];
        if (strncmp(name, "test_", 5) == 0) fprintf(f, ",%s_%s", t->data.test_name, name + 5);
        else fprintf(f, ",%s", name);
    }
    fputc('\n', f);
    for (int e = 0; e < h->n; e++) {
        fprintf(f, "%d", e + 1);
        for (int c = 0; c < h->n_cols; c++) csv_value(f, h->col[c][e]);
        fputc('\n', f);
    }
}

/* Writes the run folder's file name through nn/atomic_file.h, its content from put. */
static int write_run_file(const trainer *t, const char *name, void (*put)(FILE *, const trainer *), char *err,
                          size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", t->s->out_dir, name);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    put(nn_atomic_stream(af), t);
    return nn_atomic_commit(af, err, errlen);
}

int run_files_epoch(trainer *t, char *err, size_t errlen)
{
    if (write_run_file(t, "steps.csv", put_steps, err, errlen) < 0 ||
        write_run_file(t, "metrics.csv", put_metrics, err, errlen) < 0 || report_loss_curve(t, err, errlen) < 0)
        return -1;
    return t->epoch < t->s->train.epochs ? report_write_progress(t, 1, err, errlen) : 0;   /* the last: the full page */
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* long runs of short epochs: metrics and a checkpoint every train.checkpoint_seconds (10 s); the
 * last epoch always */
static int on_epoch(void *ctx, trainer *t, int last, char *err, size_t errlen)
{
    run_files_saver *sv = ctx;
    if (report_during_training(t, err, errlen) < 0) return -1;
    double now = now_seconds();
    if (!last && now - sv->last_save < t->s->train.checkpoint_seconds) return 0;
    sv->last_save = now;
    if (run_files_epoch(t, err, errlen) < 0) return -1;
    return trainer_checkpoint(t, err, errlen);
}

static int on_interrupt(void *ctx, trainer *t, char *err, size_t errlen)
{
    (void)ctx;
    if (trainer_checkpoint(t, err, errlen) < 0) return -1;
    return t->h.n ? report_write_progress(t, 0, err, errlen) : 0;   /* no live page is left behind */
}

trainer_hooks run_files_hooks(run_files_saver *saver)
{
    saver->last_save = now_seconds();
    return (trainer_hooks){.ctx = saver, .on_epoch = on_epoch, .on_interrupt = on_interrupt};
}

int run_files_finish_results(trainer *t, run_results *res, char *err, size_t errlen)
{
    report_figures figs = {0};
    int rc = report_make_figures(t, &figs, err, errlen);
    if (rc == 0) rc = report_write_html(t, &figs, err, errlen);
    *res = figs.results;
    report_figures_free(&figs);
    return rc;
}

int run_files_finish(trainer *t, char *err, size_t errlen)
{
    run_results res;
    return run_files_finish_results(t, &res, err, errlen);
}
