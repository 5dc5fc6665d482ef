/* metrics.csv: "epoch,train_loss,<eval>_loss,<eval>_accuracy,<eval>_rel_l2,lr,seconds", one row
 * per epoch, empty cells for metrics a run does not have. Columns are found by name so that
 * new columns do not break older readers. */
#include "metrics_csv.h"
#include "nn/regular_file.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 128
#define LINE_LEN 16384

/* Splits line in place at commas (and the line end) into at most MAX_COLS fields. */
static int split(char *line, char **f)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < MAX_COLS;) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p) break;
        *p++ = 0;
    }
    return n;
}

enum { COL_EPOCH, COL_TRAIN, COL_TEST, COL_ACCURACY, COL_SECONDS, COL_BLEU, N_COLS };

/* epoch, the first group's train column (train_loss, or train_<group> with several groups),
 * the evaluation split's column of the same group (<split>_loss, <split>_<group>), its
 * accuracy (<split>_accuracy), seconds, and a translation run's test_bleu */
static int find_columns(char **f, int nf, int col[N_COLS], char *test_name, size_t len)
{
    for (int c = 0; c < N_COLS; c++) col[c] = -1;
    for (int k = 0; k < nf; k++) {
        if (strcmp(f[k], "epoch") == 0) col[0] = k;
        else if (col[1] < 0 && strncmp(f[k], "train_", 6) == 0 && strcmp(f[k], "train_accuracy") != 0) col[1] = k;
    }
    if (col[0] < 0 || col[1] < 0) return -1;
    const char *group = f[col[1]] + 6;   /* "loss", or the group's name */
    size_t lg = strlen(group);
    for (int k = 0; k < nf && col[2] < 0; k++) {
        size_t l = strlen(f[k]);
        if (k == col[1] || strncmp(f[k], "train_", 6) == 0 || l <= lg + 1) continue;
        if (f[k][l - lg - 1] == '_' && strcmp(f[k] + l - lg, group) == 0) {
            col[2] = k;
            snprintf(test_name, len, "%.*s", (int)(l - lg - 1), f[k]);
        }
    }
    char acc[64];
    snprintf(acc, sizeof acc, "%s_accuracy", test_name);
    for (int k = 0; k < nf; k++) {
        if (col[2] >= 0 && strcmp(f[k], acc) == 0) col[COL_ACCURACY] = k;
        if (strcmp(f[k], "seconds") == 0) col[COL_SECONDS] = k;
        if (strcmp(f[k], "test_bleu") == 0) col[COL_BLEU] = k;
    }
    return 0;
}

static int cell(char **f, int nf, int k, float *out)
{
    if (k < 0 || k >= nf || !*f[k]) {
        *out = NAN;
        return 0;
    }
    char *end;
    *out = strtof(f[k], &end);
    return *end ? -1 : 0;
}

static int grow(run_metrics *m, int *cap)
{
    int nc = *cap ? 2 * *cap : 64;
    float **arrs[N_COLS] = {&m->epoch, &m->train_loss, &m->test_loss, &m->accuracy, &m->seconds, &m->bleu};
    for (int a = 0; a < N_COLS; a++) {
        float *p = realloc(*arrs[a], (size_t)nc * sizeof **arrs[a]);
        if (!p) return -1;
        *arrs[a] = p;
    }
    *cap = nc;
    return 0;
}

int metrics_csv_read(const char *path, run_metrics *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    char why[NN_WHY_LEN];
    FILE *fp = nn_fopen_regular(path, why, sizeof why);
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    char line[LINE_LEN], *f[MAX_COLS];
    int col[N_COLS], cap = 0, lineno = 1, rc = 0;
    if (!fgets(line, sizeof line, fp) || find_columns(f, split(line, f), col, m->test_name, sizeof m->test_name) < 0) {
        snprintf(err, errlen, "%s: the first line should name the columns epoch and train_loss (or train_<group>)", path);
        rc = -1;
    }
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        int nf = split(line, f);
        if (nf == 1 && !*f[0]) continue;
        if (m->n == cap && grow(m, &cap) < 0) {
            snprintf(err, errlen, "%s: out of memory at line %d", path, lineno);
            rc = -1;
        } else if (cell(f, nf, col[0], &m->epoch[m->n]) || cell(f, nf, col[1], &m->train_loss[m->n]) ||
                   cell(f, nf, col[2], &m->test_loss[m->n]) || cell(f, nf, col[COL_ACCURACY], &m->accuracy[m->n]) ||
                   cell(f, nf, col[COL_SECONDS], &m->seconds[m->n]) || cell(f, nf, col[COL_BLEU], &m->bleu[m->n])) {
            snprintf(err, errlen, "%s:%d: a loss, accuracy, BLEU, seconds or epoch cell is not a number", path, lineno);
            rc = -1;
        } else m->n++;
    }
    fclose(fp);
    if (rc < 0) metrics_csv_free(m);
    return rc;
}

void metrics_csv_free(run_metrics *m)
{
    free(m->epoch);
    free(m->train_loss);
    free(m->test_loss);
    free(m->accuracy);
    free(m->seconds);
    free(m->bleu);
    memset(m, 0, sizeof *m);
}
