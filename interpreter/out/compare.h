/* compare.h — `nnrun compare`: what it gathers from each run folder and how it writes the
 * comparison (cli_compare.c parses the command line; compare_collect.c runs each trained model
 * on the chosen images; compare_translations.c decodes a translation model's test sentences;
 * compare_write.c draws compare.png and writes compare.html). */
#ifndef NNRUN_COMPARE_H
#define NNRUN_COMPARE_H

#include "metrics_csv.h"
#include "../lang/spec.h"
#include "../run/trainer.h"
#include "nn/bleu.h"
#include <stddef.h>

#define COMPARE_MAX_RUNS 8
#define COMPARE_PICK_SEED 7919  /* the images and sentences shown depend on no run's own seed */
#define COMPARE_MAX_ROWS (1 + 2 * COMPARE_MAX_RUNS)   /* originals, then per run: corrupted, reconstructed */

typedef struct {
    const char *runs[COMPARE_MAX_RUNS];
    int n_runs;
    const char *out;             /* output folder */
    int count;                   /* images per row */
} compare_args;

typedef struct {
    const char *dir;             /* run folder as given */
    char label[64];              /* its name: the folder's last component */
    spec *s;                     /* RUN/spec.yaml */
    nn_shape sample;             /* per-sample shape of its data */
    run_metrics metrics;         /* RUN/metrics.csv */
    char embedding_png[64];      /* its embedding figure in the output folder, "" if none */
    char notes[3][256];          /* plain-text remarks for the page (what is not shown, and why) */
    int n_notes;
    int has_bleu;                /* a translation run: its model's greedy BLEU over its test part */
    double bleu;
    int bleu_sentences;
    char bleu_signature[NN_BLEU_SIGNATURE_LEN];
} compare_run;

typedef struct {
    int n;                       /* images per row */
    int *rows;                   /* the chosen evaluation samples (n) */
    size_t xn;                   /* floats per image */
    int c, h, w;                 /* how an image is shown */
    float *pix;                  /* COMPARE_MAX_ROWS x n x xn; row 0 the originals */
    int n_rows;
    char labels[COMPARE_MAX_ROWS][96];
} compare_images;

/* Adds a plain-text remark about r to the page (at most 3 a run). */
void compare_note(compare_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sentences of translation runs side by side: the first translation run picks count of its
 * test sentences (seeded); every translation run adds its greedy output for each. */
typedef struct {
    int n;                       /* sentences shown; 0: no translation run */
    char **source, **reference;  /* n each, the first translation run's normalised test sentences */
    char **output[COMPARE_MAX_RUNS];   /* run k's outputs (n), NULL rows where its test part lacks the
                                          sentence; NULL: run k is no translation run */
} compare_texts;

/* Loads r's data and weights, reads its metrics, and adds its rows of images (the first run
 * also picks the images: count of them, seeded) or, for a translation run, its BLEU and its
 * outputs for the chosen sentences. Its embedding, when the spec reports one, goes to
 * out_dir/compare_embedding_<index>.png. Returns an exit status: 0, 1 (message in err) or 2
 * (spec or data problems, printed). */
int compare_collect_run(compare_run *r, compare_images *im, compare_texts *tx, int count, const char *out_dir, int index,
                        char *err, size_t errlen);
void compare_images_free(compare_images *im);

/* For a trained translation model (t->data.test_text set): r's greedy BLEU over the test part
 * and, in tx, its outputs for the chosen sentences (picked here by the first such run).
 * Returns 0 or 1 (message in err). */
int compare_collect_translations(trainer *t, compare_run *r, compare_texts *tx, int count, int index, char *err,
                                 size_t errlen);
void compare_texts_free(compare_texts *tx);

/* Writes the parts (compare_images.png when there are images, compare_loss.png,
 * compare_bleu.png when a run has BLEU per epoch), compare.png (every part stacked) and
 * compare.html (with the sentences side by side) into a->out. Returns 0 or 1 with a message in err. */
int compare_write(const compare_args *a, const compare_run *runs, const compare_images *im, const compare_texts *tx,
                  char *err, size_t errlen);

#endif
