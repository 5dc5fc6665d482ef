/* `nnrun runs [DIR]`: one row per run folder under DIR (default runs/): its name, when it last
 * wrote its metrics, its epochs, the last epoch's train and evaluation loss and accuracy (or a
 * translation run's BLEU), and its seconds per epoch, sorted by a column (--sort), as a table or CSV (--csv, for pandas). A
 * data study (report.html, no metrics.csv) has 0 epochs, dated by its report. */
#include "cli.h"
#include "../out/metrics_csv.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    char name[256];
    time_t when;
    double epochs, train, test, accuracy, bleu, seconds;
} run_row;

/* The columns, in printing order; `desc` sorts the best or newest first; `width` in the table
 * (negative: left-aligned). */
typedef enum { C_NAME, C_DATE, C_EPOCHS, C_TRAIN, C_TEST, C_ACCURACY, C_BLEU, C_SECONDS, N_COLUMNS } column;
static const struct {
    const char *name;
    int desc, width;
} columns[N_COLUMNS] = {{"name", 0, -28},      {"date", 1, -16},  {"epochs", 1, 6}, {"train_loss", 0, 11},
                        {"test_loss", 0, 11},  {"accuracy", 1, 9}, {"bleu", 1, 6},  {"seconds_per_epoch", 0, 18}};

static double value_of(const run_row *r, column c)
{
    switch (c) {
    case C_DATE: return (double)r->when;
    case C_EPOCHS: return r->epochs;
    case C_TRAIN: return r->train;
    case C_TEST: return r->test;
    case C_ACCURACY: return r->accuracy;
    case C_BLEU: return r->bleu;
    case C_SECONDS: return r->seconds;
    default: return NAN;
    }
}

static column sort_by = C_DATE;

/* Missing values (NaN) last, whichever the direction. */
static int compare_rows(const void *pa, const void *pb)
{
    const run_row *a = pa, *b = pb;
    if (sort_by == C_NAME) return strcmp(a->name, b->name);
    double x = value_of(a, sort_by), y = value_of(b, sort_by);
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    int order = (x > y) - (x < y);
    return columns[sort_by].desc ? -order : order;
}

/* A data study's row (a report.html and no metrics.csv: nothing trained), or -1. */
static int read_study_row(const char *dir, const char *name, run_row *r)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s/report.html", dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    *r = (run_row){.when = st.st_mtime, .epochs = 0, .train = NAN, .test = NAN, .accuracy = NAN, .bleu = NAN, .seconds = NAN};
    snprintf(r->name, sizeof r->name, "%s", name);
    return 0;
}

/* A run folder's row, or -1 when dir/name holds no readable metrics.csv (nor is a data study). */
static int read_row(const char *dir, const char *name, run_row *r)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s/metrics.csv", dir, name);
    struct stat st;
    run_metrics m;
    if (stat(path, &st) != 0) return errno == ENOENT ? read_study_row(dir, name, r) : -1;
    if (!S_ISREG(st.st_mode) || metrics_csv_read(path, &m, err, sizeof err) < 0) return -1;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->when = st.st_mtime;
    r->epochs = m.n;
    r->train = m.n ? m.train_loss[m.n - 1] : NAN;
    r->test = m.n ? m.test_loss[m.n - 1] : NAN;
    r->accuracy = m.n ? m.accuracy[m.n - 1] : NAN;
    r->bleu = m.n ? m.bleu[m.n - 1] : NAN;
    double s = 0;
    int k = 0;
    for (int e = 0; e < m.n; e++)
        if (!isnan(m.seconds[e])) s += m.seconds[e], k++;
    r->seconds = k ? s / k : NAN;
    metrics_csv_free(&m);
    return 0;
}

static void cell(char *buf, size_t len, const run_row *r, column c)
{
    double v = value_of(r, c);
    if (c == C_NAME) snprintf(buf, len, "%s", r->name);
    else if (c == C_DATE) strftime(buf, len, "%Y-%m-%d %H:%M", localtime(&r->when));
    else if (isnan(v)) snprintf(buf, len, "%s", "");
    else if (c == C_EPOCHS) snprintf(buf, len, "%.0f", v);
    else if (c == C_ACCURACY) snprintf(buf, len, "%.2f%%", 100 * v);
    else if (c == C_BLEU) snprintf(buf, len, "%.2f", v);
    else snprintf(buf, len, "%.4g", v);
}

static void print_rows(const run_row *rows, int n, int csv)
{
    for (int c = 0; c < N_COLUMNS; c++)
        if (csv) printf("%s%s", c ? "," : "", columns[c].name);
        else printf("%s%*s", c ? "  " : "", columns[c].width, columns[c].name);
    printf("\n");
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < N_COLUMNS; c++) {
            char buf[300];
            cell(buf, sizeof buf, &rows[i], c);
            if (csv && c == C_ACCURACY && *buf) snprintf(buf, sizeof buf, "%.6g", rows[i].accuracy);   /* a fraction for pandas */
            if (csv) printf("%s%s", c ? "," : "", buf);
            else printf("%s%*s", c ? "  " : "", columns[c].width, *buf ? buf : "-");
        }
        printf("\n");
    }
}

int cmd_runs(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun runs [DIR] [--sort COLUMN] [--csv]\n"
                                "One row per run folder under DIR (default runs): name, date (of its metrics), epochs,\n"
                                "the last epoch's train_loss, test_loss, accuracy and bleu (a translation run's greedy test BLEU),\n"
                                "seconds_per_epoch (training).\n"
                                "--sort name | date | epochs | train_loss | test_loss | accuracy | bleu | seconds_per_epoch\n"
                                "(default date: newest first; accuracy, bleu and epochs highest first; losses and seconds\n"
                                "lowest first; runs without the value last). --csv: comma-separated, accuracy as a fraction.\n"
                                "A data study (no metrics.csv, nothing trained) has 0 epochs and the date of its report.\n";
    const char *dir = "runs";
    int csv = 0;
    sort_by = C_DATE;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(o, "--csv") == 0) {
            csv = 1;
        } else if (strcmp(o, "--sort") == 0 && i + 1 < argc) {
            const char *want = argv[++i];
            int c = 0;
            while (c < N_COLUMNS && strcmp(columns[c].name, want) != 0) c++;
            if (c == N_COLUMNS) {
                fprintf(stderr, "nnrun runs: cannot sort by '%s'\n%s", want, usage);
                return 2;
            }
            sort_by = (column)c;
        } else if (o[0] == '-') {
            fprintf(stderr, "nnrun runs: unknown option '%s'\n%s", o, usage);
            return 2;
        } else
            dir = o;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "nnrun runs: cannot list %s (train a spec first: its run folder goes under runs/)\n", dir);
        return 1;
    }
    run_row *rows = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            run_row *grown = realloc(rows, (size_t)cap * sizeof *rows);
            if (!grown) {
                fprintf(stderr, "nnrun runs: out of memory\n");
                free(rows);
                closedir(d);
                return 1;
            }
            rows = grown;
        }
        if (read_row(dir, e->d_name, &rows[n]) == 0) n++;
    }
    closedir(d);
    qsort(rows, (size_t)n, sizeof *rows, compare_rows);
    print_rows(rows, n, csv);
    free(rows);
    return 0;
}
