/* compare.h — `nnrun compare`: what it gathers from each run folder and how it writes the
 * comparison (cli_compare.c parses the command line; compare_collect.c runs each trained model
 * on the chosen images; compare_write.c draws compare.png and writes compare.html). */
#ifndef NNRUN_COMPARE_H
#define NNRUN_COMPARE_H

#include "metrics_csv.h"
#include "../lang/spec.h"
#include <stddef.h>

#define COMPARE_MAX_RUNS 8
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

/* Loads r's data and weights, reads its metrics, and adds its rows of images (the first run
 * also picks the images: count of them, seeded). Its embedding, when the spec reports one,
 * goes to out_dir/compare_embedding_<index>.png. Returns an exit status: 0, 1 (message in
 * err) or 2 (spec or data problems, printed). */
int compare_collect_run(compare_run *r, compare_images *im, int count, const char *out_dir, int index, char *err,
                        size_t errlen);
void compare_images_free(compare_images *im);

/* Writes the parts (compare_images.png, compare_loss.png), compare.png (every part stacked)
 * and compare.html into a->out. Returns 0 or 1 with a message in err. */
int compare_write(const compare_args *a, const compare_run *runs, const compare_images *im, char *err, size_t errlen);

#endif
