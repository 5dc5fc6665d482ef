/* report.h — the figures a spec asks for and the one-page report.html linking them.
 * report_figures.c draws them (a table with one function per report kind), computing each with
 * report_analysis.c and writing its text (stdout, the page's notes, CSV) with report_text.c;
 * report_html.c writes the page. */
#ifndef NNRUN_REPORT_H
#define NNRUN_REPORT_H

#include "report_view3d.h"
#include "run_results.h"
#include "../run/trainer.h"

#define REPORT_MAX_FIGS 128

/* What the figures leave for the page and for the caller, who owns it. */
typedef struct {
    int n;
    char file[REPORT_MAX_FIGS][128];    /* PNG names inside the run folder */
    char caption[REPORT_MAX_FIGS][160];
    char notes[4096];                   /* the figures' results as HTML (final metrics, dead units) */
    report_view3d *view3d[REPORT_MAX_FIGS];  /* interactive view under figure i, or NULL (owned) */
    int strip[REPORT_MAX_FIGS];         /* consecutive figures with strip set: one scrolling row of small images */
    run_results results;                /* the named results the figures computed (NaN: none) */
} report_figures;

/* Adds a figure to the page: its index, or -1 when the page is full (the figure is left out). */
int report_add_figure(report_figures *f, const char *file, const char *caption);
/* The judge figure (report_judge.c): generated images against the test images in a trained
 * classifier's features. A missing judge run is a note and a line, not a failure. */
int report_judge(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen);
/* attention_lookup (report_attention.c): attention of a query over one source per class on the
 * raw data, and the mean weights over many draws. A data report: it reads the data alone. */
int report_attention_lookup(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen);
/* translations (report_translations.c): the test part translated by greedy and beam search,
 * BLEU of each, BLEU per epoch, sample translations, attention maps, the outputs as files. */
int report_translations(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen);
/* An attention map as a PNG: att (steps, src_len) the weights of each output step over the
 * source (seq_search's), rows the output words of tokens up to the end of sentence, columns
 * the source sentence's words. */
int report_attention_map(const char *png, const char *title, const char *source, const int *tokens, const float *att, int steps,
                         int src_len, const nn_vocab *vocab, char *err, size_t errlen);
/* The data reports of s against what the data will be (`nnrun check`) or is (before a run
 * draws them): 0, or -1 with each problem at its report's line. */
int report_check_data(const spec *s, const data_info *info, diag *d);
/* cube_error (report_cube.c): registers the per-epoch metric cube_r of every cube_error item
 * with the trainer (before trainer_resume; 0, or -1 with err: a bad `of`), and draws it.
 * Before training it also refuses what other figures could only refuse after it
 * (report_embedding_check). */
int report_add_metrics(trainer *t, char *err, size_t errlen);
int report_cube_error(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen);
/* Frees the interactive views (the rest is plain storage); figs may then be reused. */
void report_figures_free(report_figures *figs);

int report_loss_curve(trainer *t, char *err, size_t errlen);
/* The layer whose output reconstructs the input (r's layer, else the first loss' pred) and
 * whether it holds logits to show through a sigmoid (r may be NULL). Index or -1. */
int report_recon_layer(const trainer *t, const report_spec *r, int *logits);
/* Image values in the data's pixel range (a source's `range: [-1, 1]`) mapped back to [0, 1]
 * for display. */
void report_pixels_to_unit(const trainer *t, float *v, size_t n);
/* How a sample of shape s is shown as an image: channels, height, width. */
void report_image_dims(const nn_shape *s, int *c, int *h, int *w);
/* Scatter of the codes of r's layer for the evaluation samples, coloured by class, titled
 * "<title>: layer '<name>'" and how they were projected: a 3-D scatter seen from two sides
 * when the layer has 3 units, 2 units as they are, wider codes by r's method (PCA, or t-SNE
 * for 3 units and more; report_embedding.c), which a line on stdout also states. With view !=
 * NULL, *view gets the codes for the page's interactive 3-D view when the figure is 3-D (free
 * with report_view3d_free), else NULL. */
int report_embedding(trainer *t, const report_spec *r, const char *png_path, const char *title, report_view3d **view,
                     char *err, size_t errlen);
/* Before training: 0, or -1 with err when r is a t-SNE embedding whose perplexity the
 * evaluation split has too few codes for (fewer than perplexity + 2). */
int report_embedding_check(const trainer *t, const report_spec *r, char *err, size_t errlen);
/* The figure table has a row for kind k (a test asks it of every kind of the language). */
int report_kind_is_drawn(report_kind k);
/* Every figure the spec asks for, in its order; figs->results gets the named results. */
int report_make_figures(trainer *t, report_figures *figs, char *err, size_t errlen);
/* After each epoch: the figures a spec asks to see during training (points with
 * during_training: points_epoch_N.png after epochs 1, 2, 5, 10, 20, 50, ... and the last). */
int report_during_training(trainer *t, char *err, size_t errlen);
int report_write_html(trainer *t, const report_figures *figs, char *err, size_t errlen);
/* report.html while the run is not finished: the header, the metrics so far and the loss curve,
 * saying how far it got; live (training): the page reloads itself every REPORT_RELOAD_SECONDS,
 * so a browser can stay on it; else (interrupted) it says how to go on. */
#define REPORT_RELOAD_SECONDS "15"
int report_write_progress(trainer *t, int live, char *err, size_t errlen);
/* The page's header (report_header.c): what ran, when, the final metrics, what the spec
 * changes against the parent it extends. */
void report_put_header(FILE *f, const trainer *t);

#endif
