/* The data's class ids against the classes the model predicts. A label the model cannot
 * predict (10 for a model of 10 classes) makes the cross-entropy NaN somewhere in training,
 * which then reads like a learning-rate problem: it is reported before training instead, for a
 * CSV by file and line. */
#include "data_setup.h"
#include <stdio.h>
#include <sys/stat.h>

/* Scans a CSV source for labels from `classes` up; -1 (reported, lines quoted) if it has any. */
static int csv_labels_fit(const data_source *src, const char *which, int classes, diag *d)
{
    nn_csv_options o = data_csv_options(src);
    o.model_classes = classes;
    nn_csv_info ci;
    char err[1024];
    if (nn_csv_scan(src->path, &o, &ci, err, sizeof err) == 0) return 0;
    data_source_error(d, src, which, err);
    return -1;
}

/* data_classes: 1 + the largest class id of the source's data, or 0 when unknown (not loaded):
 * a CSV is then scanned. */
static int source_labels_fit(const data_source *src, const char *which, int data_classes, int classes, diag *d)
{
    if (src->kind == DS_CSV && (data_classes == 0 || data_classes > classes) &&
        csv_labels_fit(src, which, classes, d) < 0)
        return -1;
    if (data_classes <= classes) return 0;
    char err[160];
    snprintf(err, sizeof err, "the labels run 0..%d, but the model predicts %d class%s (0..%d)", data_classes - 1,
             classes, classes == 1 ? "" : "es", classes - 1);
    data_source_error(d, src, which, err);
    return -1;
}

int data_check_classes(const spec *s, const run_data *rd, int classes, diag *d)
{
    if (classes <= 0) return 0;
    /* the evaluation split comes from the test source when it has one of its own, else it was
     * cut from the training source (a validation fraction, imdb and chars splits) */
    int own_test = s->data.test.kind != DS_NONE && s->data.validation_fraction <= 0;
    const data_source *test = own_test ? &s->data.test : &s->data.train;
    if (rd->train.n && source_labels_fit(&s->data.train, "train", rd->train.n_classes, classes, d) < 0) return -1;
    if (rd->has_test && source_labels_fit(test, own_test ? "test" : "train", rd->test.n_classes, classes, d) < 0)
        return -1;
    return 0;
}

int data_check_classes_on_disk(const spec *s, const data_info *info, int classes, diag *d)
{
    if (classes <= 0) return 0;
    const data_source *src[2] = {&s->data.train, &s->data.test};
    static const char *const which[2] = {"train", "test"};
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        struct stat st;
        if (src[k]->kind == DS_NONE || (src[k]->kind == DS_CSV && stat(src[k]->path, &st) != 0)) continue;
        if (source_labels_fit(src[k], which[k], src[k]->kind == DS_CSV ? 0 : info->n_classes, classes, d) < 0) rc = -1;
    }
    return rc;
}
