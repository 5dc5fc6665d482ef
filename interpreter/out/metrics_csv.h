/* metrics_csv.h — reading back a run folder's metrics.csv (written by run_files.c). */
#ifndef NNRUN_METRICS_CSV_H
#define NNRUN_METRICS_CSV_H

#include <stddef.h>

typedef struct {
    int n;                       /* epochs (rows) */
    float *epoch, *train_loss, *test_loss;   /* n values each; NaN where a cell is empty */
    float *accuracy, *seconds;   /* <eval>_accuracy and the training seconds of each epoch (NaN: none) */
    float *bleu;                 /* test_bleu: a translation run's BLEU after each epoch (NaN: none) */
    char test_name[32];          /* "test" or "validation": the evaluation column's prefix */
} run_metrics;

/* Reads the epoch, train_loss, <eval>_loss, <eval>_accuracy, seconds and test_bleu columns, found by their
 * header names (the first group's, with several: train_<group>, <eval>_<group>). Returns 0,
 * or -1 with what is wrong (missing file, missing column, a bad number and its line) in err. */
int metrics_csv_read(const char *path, run_metrics *m, char *err, size_t errlen);
void metrics_csv_free(run_metrics *m);

#endif
