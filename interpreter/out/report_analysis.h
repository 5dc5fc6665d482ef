/* report_analysis.h — what the figures compute from a trained model, as plain structs: no
 * printing, plotting or HTML here (report_figures.c draws them, report_text.c writes them as
 * text). Each *_compute reads the model through trainer_layer_outputs() and returns 0, or -1
 * with a message in err (out of memory: -1, err as it was); free what it allocated with the
 * matching *_free, also after a failure. Internal to out/. */
#ifndef NNRUN_REPORT_ANALYSIS_H
#define NNRUN_REPORT_ANALYSIS_H

#include "../run/trainer.h"

/* The split figures are drawn from: the test split when there is one, else the training set. */
const nn_dataset *report_eval_set(const trainer *t);
/* 0, 1, ..., n - 1 (malloc'ed; NULL when out of memory). */
int *report_all_rows(int n);

/* ---- reconstructions, class_examples ---------------------------------------------------------- */
typedef struct {
    int n;                  /* samples: one column each */
    int n_rows;             /* 2: originals, reconstructions; 3: originals, corrupted inputs, reconstructions */
    int c, h, w;            /* each image's channels, height, width */
    float *img;             /* [n_rows][n][c * h * w], row by row */
} report_recon;
/* The rows' samples of ds, what the network saw (when a layer corrupts the input at evaluation)
 * and their reconstructions (r's layer, else the first loss' pred; through a sigmoid when it
 * holds logits). */
int report_recon_compute(trainer *t, const report_spec *r, const nn_dataset *ds, const int *rows, int n, report_recon *out,
                         char *err, size_t errlen);
void report_recon_free(report_recon *rc);
/* The first sample of each class of ds into rows (room for 256): how many, or -1 (err) when ds
 * has no classes. */
int report_class_rows(const nn_dataset *ds, int *rows, char *err, size_t errlen);

/* ---- samples, manifold (report_samples.c) ------------------------------------------------------ */
typedef struct {
    int n, cols;            /* images, per row */
    int per_class;          /* a conditional generator: row k holds class k */
    int c, h, w;
    float *img;             /* [n][c * h * w] in [0, 1] */
} report_samples;
/* r->count new items from r->of (fed N(0, I) at r->from when given), drawn from the run's fixed
 * sample noise: the same noise after every epoch. */
int report_samples_compute(trainer *t, const report_spec *r, report_samples *out, char *err, size_t errlen);
/* r->of decoded from an r->size x r->size grid of r->from's 2 units at the N(0, 1) quantiles of
 * probabilities evenly spaced in [0.05, 0.95] (Kingma and Welling's figure). */
int report_manifold_compute(trainer *t, const report_spec *r, report_samples *out, char *err, size_t errlen);
void report_samples_free(report_samples *s);

/* ---- embedding -------------------------------------------------------------------------------- */
typedef struct {
    int n;                  /* samples of the evaluation split */
    size_t w;               /* units of the layer (at least 2) */
    float *code;            /* [n][w] */
    int n_classes;          /* 0: the data has no classes */
    int *label;             /* [n] each sample's class; NULL when n_classes is 0 */
} report_codes;
/* The layer's outputs for every sample of the evaluation split. */
int report_codes_compute(trainer *t, const char *layer, report_codes *c, char *err, size_t errlen);
void report_codes_free(report_codes *c);

/* ---- function_fit ----------------------------------------------------------------------------- */
typedef struct {
    int n;
    float *x, *truth, *pred;   /* the evaluation samples by increasing x (one block) */
} report_fit;
int report_fit_compute(trainer *t, report_fit *f, char *err, size_t errlen);
void report_fit_free(report_fit *f);

/* ---- dead_units ------------------------------------------------------------------------------- */
#define REPORT_MAX_DEAD_LAYERS 64
typedef struct {
    int n;                                    /* ReLU layers measured */
    const char *layer[REPORT_MAX_DEAD_LAYERS];   /* their names (the spec's) */
    int dead[REPORT_MAX_DEAD_LAYERS];         /* units that output 0 for every training sample */
    size_t width[REPORT_MAX_DEAD_LAYERS];     /* units */
    float frac[REPORT_MAX_DEAD_LAYERS];       /* dead / width */
} report_dead_units;
/* Every ReLU layer of the first net over the training set (a layer whose outputs cannot be
 * computed is left out). Allocates nothing. */
void report_dead_units_compute(trainer *t, report_dead_units *d);

/* ---- confusion_matrix ------------------------------------------------------------------------- */
typedef struct {
    int k;                  /* classes (2 to 100) */
    float *count;           /* [k][k]: samples of true class a predicted as b at count[a * k + b] */
} report_confusion;
/* The prediction (argmax of the metric layer) against the class of every evaluation sample. */
int report_confusion_compute(trainer *t, report_confusion *c, char *err, size_t errlen);
void report_confusion_free(report_confusion *c);
/* The fraction of class a's samples predicted right (0 when it has none). */
float report_class_accuracy(const report_confusion *c, int a);

/* ---- filters ---------------------------------------------------------------------------------- */
typedef struct {
    int f;                  /* filters */
    int c, kh, kw;          /* input channels, kernel height and width */
    float *img;             /* [f][kh][c * kw]: filter i as one image, its channels side by side,
                               scaled to its own range onto [0, 1] (0.5 when constant) */
} report_filters;
/* The weights of the convolution layer named layer. */
int report_filters_compute(trainer *t, const char *layer, report_filters *fl, char *err, size_t errlen);
void report_filters_free(report_filters *fl);

/* ---- points ----------------------------------------------------------------------------------- */
typedef struct {
    int n;                  /* samples of the evaluation split */
    int n_layers;           /* layers (or calls) of the figure */
    const char *name[REPORT_MAX_LAYERS];
    float *xy;              /* [n_layers][n][2] */
    int *label;             /* [n_layers][n]: the layer's index */
} report_points;
/* The 2 values of every sample at each of r's layers. */
int report_points_compute(trainer *t, const report_spec *r, report_points *p, char *err, size_t errlen);
void report_points_free(report_points *p);

/* ---- pca_baseline ----------------------------------------------------------------------------- */
typedef struct {
    int code;               /* units of the code layer = PCA's components */
    double ae[2], pca[2];   /* ||x - x~||^2 per sample: [0] the training set, [1] the evaluation split */
} report_pca;
/* The autoencoder (the first loss' prediction) against PCA with as many components as the
 * layer code_layer has units. */
int report_pca_compute(trainer *t, const char *code_layer, report_pca *p, char *err, size_t errlen);

/* ---- next-character accuracy ------------------------------------------------------------------ */
/* A character model's per-step accuracy of the last epoch on the held-out text; NaN for other
 * models or without held-out text. */
double report_next_char_accuracy(const trainer *t);

#endif
