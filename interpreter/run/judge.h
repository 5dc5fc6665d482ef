/* judge.h — a trained classifier of 28x28 images (a run folder, e.g. runs/judge_fashion from
 * specs/judge_fashion.yaml) as the judge of generated images: the Fréchet distance between
 * samples and reference images in its penultimate layer (the input of its last dense layer),
 * the histogram of the classes it gives the samples (mode collapse shows as a spike) and, for a
 * conditional generator, how often it gives a sample its conditioning label.
 *
 * Images are n x 784 floats, row-major, in the judge's data range: pixels 0..1 (a generator
 * with a tanh output in [-1, 1] maps by (x + 1) / 2). */
#ifndef NNRUN_JUDGE_H
#define NNRUN_JUDGE_H

#include "../build/model_build.h"
#include "../lang/diag.h"
#include "../lang/spec.h"
#include <stdint.h>

#define JUDGE_RUN "runs/judge_fashion"           /* the GAN specs' judge ... */
#define JUDGE_SPEC "specs/judge_fashion.yaml"    /* ... and the spec that trains it */
#define JUDGE_MAX_CLASSES 64
#define JUDGE_PIXELS 784                         /* 28 x 28 */

typedef struct judge {
    char run_dir[SPEC_PATH_LEN];
    spec *s;
    model_graph *m;         /* evaluation graph at batch JUDGE_BATCH */
    int features;           /* node: the input of the last dense layer (JUDGE_BATCH, dim) */
    int scores;             /* node: the cross_entropy loss' prediction (JUDGE_BATCH, classes) */
    int dim, n_classes;
    char err[256];          /* why the last judge_quality or judge_bounds failed */
} judge;
#define JUDGE_BATCH 250

/* Loads RUN_DIR/spec.yaml and RUN_DIR/model.safetensors. NULL with the reason in d: a missing
 * run folder (naming the command that makes it), or a model that is not a classifier of 28x28
 * images with a cross_entropy loss ("RUN_DIR is not a classifier of 28x28 images: ..."). */
judge *judge_open(const char *run_dir, diag *d);
void judge_close(judge *j);
int judge_dim(const judge *j);       /* features per image */
int judge_classes(const judge *j);   /* classes it tells apart */

/* Runs the classifier on n images (n x 784) in batches: per image its features (n x
 * judge_dim, may be NULL) and predicted class (n, may be NULL). 0, or -1 for n < 0. */
int judge_run(judge *j, const float *images, int n, float *features, int *classes);

typedef struct {
    int n, n_ref;                          /* samples, reference images */
    double fd;                             /* Fréchet distance samples vs reference, in features */
    int n_classes;
    long counts[JUDGE_MAX_CLASSES];        /* samples the judge puts in each class (sum: n) */
    double label_accuracy;                 /* share of samples judged as their label; NaN: no labels */
} judge_report;

/* The report of n samples against n_ref reference images (both >= 2). 0, or -1 (the reason
 * in j->err). */
int judge_quality(judge *j, const float *samples, int n, const float *reference, int n_ref, judge_report *out);
/* The same for a conditional generator: labels[i] (0..classes-1) is sample i's conditioning
 * label (NULL: none, as judge_quality). */
int judge_quality_labelled(judge *j, const float *samples, const int *labels, int n, const float *reference,
                           int n_ref, judge_report *out);

/* What a Fréchet distance is measured against: the floor, real against real (training images
 * against the test images: as close as samples can hope to come), and the ceiling, n_test
 * images of uniform noise U[0, 1) (drawn from seed) against the test images. */
typedef struct {
    double floor, ceiling;
} judge_limits;
int judge_bounds(judge *j, const float *train, int n_train, const float *test, int n_test, uint64_t seed,
                 judge_limits *out);   /* 0, or -1 (the reason in j->err) */

#endif
