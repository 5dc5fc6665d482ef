/* nn/data.h — datasets held in memory: file readers (IDX, CSV), generators (functions of x,
 * point clouds), subsets and splits, and a batcher that walks a dataset in shuffled batches.
 *
 * Every function that can fail returns 0 or -1 and writes a message into err (errlen bytes):
 * the file, what is wrong, where (file:line for text), and what to do ("run 'make data'" when
 * a data file is missing). On failure the output dataset is left empty (all zero), so
 * nn_dataset_free() on it is always safe.
 */
#ifndef NN_DATA_H
#define NN_DATA_H

#include <stddef.h>
#include "nn/expr.h"
#include "nn/rng.h"
#include "nn/shape.h"

typedef struct {
    int n;                 /* samples */
    nn_shape sample;       /* shape of one x sample, e.g. [1,28,28] or [784] or [1] */
    float *x;              /* n * numel(sample), row-major */
    int y_dim;             /* floats per target (1 for class ids and scalar regression) */
    float *y;              /* n * y_dim, or NULL (unsupervised) */
    int n_classes;         /* > 0 when y holds class ids 0..n_classes-1 */
} nn_dataset;

void nn_dataset_free(nn_dataset *d);
/* Floats per x sample (numel of d->sample). */
size_t nn_dataset_sample_size(const nn_dataset *d);
/* Allocates x (and y when y_dim > 0) for n samples, uninitialised; fields set, n_classes 0.
 * d is overwritten (free what it held first). Returns 0 or -1 (out of memory, message in err). */
int nn_dataset_alloc(nn_dataset *d, int n, nn_shape sample, int y_dim, char *err, size_t errlen);

/* ---- readers ------------------------------------------------------------------------------ */

/* MNIST-style IDX files, raw or gzip (detected by content, not by name; when PATH does not
 * exist PATH.gz is tried). images: unsigned-byte IDX with 3 dims (n, rows, cols); labels:
 * unsigned-byte IDX with 1 dim (n) or NULL for no labels. Pixels are scaled to [0, 1].
 * Result: sample [1, rows, cols]; y_dim 1 with class ids; n_classes = 1 + largest label. */
int nn_load_idx(const char *images, const char *labels, nn_dataset *out, char *err, size_t errlen);

typedef struct {
    int label_col;         /* column (0-based) holding the target; -1 = no target column */
    int header;            /* 1: first line is a header; 0: it is data; -1: auto (a first
                              line whose fields are at least half non-numeric is a header,
                              so a data row with one typo is reported, not skipped) */
    float scale;           /* features are multiplied by this (1/255 for pixel values) */
    int classes;           /* 1: the target is a class id (a whole number >= 0);
                              0: a real-valued regression target */
    int model_classes;     /* > 0: the classes the model predicts; a class id from this up
                              is a bad row ("label 10, but the model predicts 10 classes
                              (0..9)"); 0: any */
    nn_shape sample;       /* shape given to each row's features (e.g. [1,28,28]);
                              ndim 0 = flat [n_features]. Its numel must match. */
    char delim;            /* field separator */
} nn_csv_options;

/* label_col 0, header auto, scale 1, classes 1, model_classes 0, flat sample, ',' separator. */
nn_csv_options nn_csv_defaults(void);

/* Reads a CSV of numbers: one row per sample, the same number of fields on every row. Blank
 * lines are ignored; a bad row (wrong field count, a field that is not a finite number, a
 * class label that is not a whole number >= 0 or not below o->model_classes) fails the load,
 * and the message lists the first few bad rows as "file:line: field k ...". o may be NULL for
 * the defaults. Only a regular file is read (a FIFO is refused, see nn/regular_file.h). */
int nn_load_csv(const char *path, const nn_csv_options *o, nn_dataset *out, char *err, size_t errlen);

typedef struct {
    int n_rows;            /* data rows (the header and blank lines not counted) */
    int n_features;        /* fields per row less the label */
    int n_classes;         /* 1 + the largest class id; 0 without class ids */
} nn_csv_info;

/* What nn_load_csv would load, without keeping it: the header (or first row) and then only
 * the label field of each row, checked as nn_load_csv checks it (class ids, model_classes),
 * with the same messages. Field counts and features are not checked: that is the load's job.
 * Fast enough for a spec check (a 60000-row MNIST file in about 0.1 s). */
int nn_csv_scan(const char *path, const nn_csv_options *o, nn_csv_info *info, char *err, size_t errlen);

/* ---- generators --------------------------------------------------------------------------- */

/* y = f(x) + N(0, noise_sigma^2) for n values of x in [lo, hi]: a uniform grid with both ends
 * included (random = 0), or n uniform draws from r (random = 1). f reads the variable x
 * (variable index 0). Sample shape [1], y_dim 1. r is needed when random or noise_sigma > 0.
 * A non-finite f(x) fails with the x that caused it. */
int nn_gen_function(const nn_expr *f, double lo, double hi, int n, int random, float noise_sigma,
                    nn_rng *r, nn_dataset *out, char *err, size_t errlen);

typedef enum {
    NN_POINTS_PARABOLA,    /* (x, x^2) with x uniform in [lo, hi]; d must be 2 (0 means 2) */
    NN_POINTS_CUBE,        /* uniform in [lo, hi]^d (the usual cube is lo = -1, hi = 1) */
    NN_POINTS_GAUSSIAN,    /* N(0, I_d); lo and hi are ignored */
} nn_points_kind;

/* "parabola", "cube", "gaussian" -> kind, or -1. */
int nn_points_kind_from_name(const char *name);
const char *nn_points_kind_name(nn_points_kind kind);

/* n points of dimension d as x samples of shape [d]; y is NULL. */
int nn_gen_points(nn_points_kind kind, int n, int d, double lo, double hi, nn_rng *r,
                  nn_dataset *out, char *err, size_t errlen);

/* ---- subsets and splits (all copy; the input is unchanged) ------------------------------- */

/* out = samples idx[0..n-1] of in, in that order. */
int nn_dataset_take(const nn_dataset *in, const int *idx, int n, nn_dataset *out, char *err, size_t errlen);
/* The first n samples. */
int nn_dataset_first(const nn_dataset *in, int n, nn_dataset *out, char *err, size_t errlen);
/* n distinct samples drawn at random from r (in random order). */
int nn_dataset_random(const nn_dataset *in, int n, nn_rng *r, nn_dataset *out, char *err, size_t errlen);
/* per_class samples of each class 0..n_classes-1, kept in dataset order: the first ones of
 * each class, or a random choice when r is not NULL. Fails if a class has too few. */
int nn_dataset_per_class(const nn_dataset *in, int per_class, nn_rng *r, nn_dataset *out,
                         char *err, size_t errlen);
/* a = round(frac * n) samples, b = the rest. With r, the samples are shuffled first; without,
 * a is the head of the dataset and b its tail. frac in [0, 1]. */
int nn_dataset_split(const nn_dataset *in, double frac, nn_rng *r, nn_dataset *a, nn_dataset *b,
                     char *err, size_t errlen);

/* ---- batcher ------------------------------------------------------------------------------
 * Walks a dataset in batches, in a new random order each epoch when shuffling.
 *
 *     nn_batcher b;
 *     nn_batcher_init(&b, &train, 64, 1, 0, &rng);
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         nn_batcher_start_epoch(&b);                 // every epoch, the first included
 *         for (int i = 0; i < nn_batcher_count(&b); i++) {
 *             int m = nn_batcher_fill(&b, i, x, y);   // m rows of x and y filled
 *             ...
 *
 * Reproducibility and resume: the batcher owns its generator b.rng (split from the caller's
 * at init, so the caller's seed fixes it). Each epoch's permutation is computed from the
 * identity order using b.rng alone, so it is a function of the state of b.rng at the epoch's
 * start, which nn_batcher_start_epoch() keeps in b.epoch_rng. To checkpoint mid-epoch, save
 * b.epoch_rng and the index of the next batch; to resume, nn_batcher_init() the same way, then
 * nn_batcher_resume_epoch(&b, &saved) and continue from that batch index: this epoch and all
 * later ones come out exactly as in the uninterrupted run. (At an epoch boundary, saving b.rng
 * and resuming with it before the next epoch is the same thing.) */
typedef struct {
    const nn_dataset *d;   /* not owned */
    int batch, shuffle, drop_last;
    int *order;            /* this epoch's sample order (d->n ints) */
    nn_rng rng;            /* advanced once per shuffled epoch */
    nn_rng epoch_rng;      /* rng as it was when the current epoch started */
    int epoch;             /* epochs started so far */
} nn_batcher;

/* Returns 0, or -1 when batch < 1, the dataset is empty, shuffle is asked without r, or memory
 * runs out. r is advanced once (nn_rng_split) at init; the batcher keeps no pointer to it, and
 * r may be NULL without shuffling. d must outlive the batcher. */
int nn_batcher_init(nn_batcher *b, const nn_dataset *d, int batch, int shuffle, int drop_last, nn_rng *r);
void nn_batcher_free(nn_batcher *b);
/* Starts an epoch: a new permutation if shuffling (the identity otherwise). */
void nn_batcher_start_epoch(nn_batcher *b);
/* Sets b.rng to a state saved from b.epoch_rng, then starts the epoch. */
void nn_batcher_resume_epoch(nn_batcher *b, const nn_rng *epoch_rng);
/* Batches per epoch: ceil(n / batch), or floor(n / batch) with drop_last. */
int nn_batcher_count(const nn_batcher *b);
/* Copies batch i of the current epoch into x (batch * sample-size floats) and, when both y and
 * the dataset's y are non-NULL, y (batch * y_dim floats). Returns the number of samples copied
 * (the last batch may be short unless drop_last), or 0 when i is out of range. */
int nn_batcher_fill(const nn_batcher *b, int i, float *x, float *y);

#endif
