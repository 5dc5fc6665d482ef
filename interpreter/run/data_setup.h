/* data_setup.h — the spec's data section -> loaded, subset, split datasets. */
#ifndef NNRUN_DATA_SETUP_H
#define NNRUN_DATA_SETUP_H

#include "../lang/diag.h"
#include "nn/data.h"
#include "nn/text.h"
#include "../build/model_build.h"
#include "../lang/spec.h"

typedef struct {
    nn_dataset train, test;     /* test.n == 0 when the spec has none */
    int has_test;
    const char *test_name;      /* "test" or "validation" */
    nn_vocab vocab[EMB_WORDS_COUNT];   /* the training part's vocabularies (size 0 where none):
                                          [EMB_WORDS_SOURCE] x's words (imdb, translation's French),
                                          [EMB_WORDS_TARGET] y's words (translation's English) */
    char **test_text[2];        /* translation: the test part's normalised sentences, in rd->test's
                                   order: [0] sources (French), [1] references (English); else NULL */
} run_data;

/* Loads everything the spec asks for; errors (missing files with the command that fetches
 * them, bad CSV rows, bad expressions) go to d at the spec line. Returns 0 or -1. */
int data_setup(const spec *s, run_data *rd, diag *d);
/* The same for evaluating a trained model: only the evaluation split when it is a source of its
 * own (the training split stays empty, n = 0); everything when the splits come from one source
 * (imdb, chars, a validation fraction) or there is no test source. */
int data_setup_eval(const spec *s, run_data *rd, diag *d);
void data_release(run_data *rd);
/* A character corpus (dataset: chars; data_setup_chars.c): the text file as symbols, split
 * into consecutive parts, each cut into next-character windows. */
int chars_setup(const spec *s, run_data *rd, diag *d);
/* Sentence pairs (dataset: translation; data_setup_translation.c): French -> English, split,
 * filtered by length, the training part's two vocabularies, every part encoded. */
int translation_setup(const spec *s, run_data *rd, diag *d);
/* The index of a named part of a split by fractions (train, [validation,] test), or -1. */
int data_split_part(const data_source *src, const char *name);
/* For a dataset whose test source is a part of the training source's split (imdb, chars,
 * translation): the parts the two sources name, *ite -2 without a test source. A test source of
 * another dataset or a part the split does not have is reported (-1). */
int data_split_parts(const spec *s, int *itr, int *ite, diag *d);
/* The CSV reader's options for a csv source (header, label column, scale). */
nn_csv_options data_csv_options(const data_source *src);
/* Reports err at the source's spec line as "data.<which>: err". */
void data_source_error(diag *d, const data_source *src, const char *which, const char *err);
/* What the data will look like (sample shape, targets, classes) without loading it — enough
 * for shape inference in `nnrun check` and `nnrun summary`. A CSV file that exists is scanned
 * (its columns, its class ids, checked); one that does not yet gets a warning and is taken to
 * fit the model's input, with 10 classes. */
int data_describe(const spec *s, data_info *info, diag *d);

/* ---- class ids against the model (data_labels.c) ---- */
/* After loading: the class ids of each loaded split against the classes the model predicts
 * (model_graph.label_classes; 0: nothing to check). A label it cannot predict is an error
 * naming the file and line for a CSV ("data/x.csv:57: label 10, but the model predicts 10
 * classes (0..9)"). 0 or -1. */
int data_check_classes(const spec *s, const run_data *rd, int classes, diag *d);
/* The same for `nnrun check`, without loading: each CSV source whose file exists is scanned;
 * other sources are taken to have info's classes. */
int data_check_classes_on_disk(const spec *s, const data_info *info, int classes, diag *d);
/* Image values in the data's pixel range (an mnist or fashion_mnist source's `range: [lo, hi]`)
 * mapped back to [0, 1] for display, (v - lo) / (hi - lo); any other data is left as it is. */
void data_pixels_to_unit(const spec *s, float *v, size_t n);
/* The names of class ids 0 .. n_classes-1 for legends, tables and figures: the training source's
 * `classes:`, else the dataset's own (Fashion-MNIST's items, IMDB's negative and positive), else
 * NULL (ids are shown). Valid until the next call. */
const char *const *data_class_names(const spec *s, int n_classes);

#endif
