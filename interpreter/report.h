/* report.h — the figures a spec asks for, and the one-page report.html linking them. */
#ifndef NNRUN_REPORT_H
#define NNRUN_REPORT_H

#include "trainer.h"

#define REPORT_MAX_FIGS 32

typedef struct {
    int n;
    char file[REPORT_MAX_FIGS][128];    /* PNG names inside the run folder */
    char caption[REPORT_MAX_FIGS][160];
    char notes[4096];                   /* extra text (final metrics, dead units) for the page */
} report_figures;

int report_loss_curve(trainer *t, char *err, size_t errlen);
/* Channels, height and width to show a sample of this shape as an image ([C,H,W], [H,W], or a
 * square [H*W]; otherwise one row). */
void report_image_dims(const nn_shape *sample, int *c, int *h, int *w);
/* The layer holds logits: a bce_with_logits loss reads it (figures show it through a sigmoid). */
int report_is_logits(const spec *s, const char *layer);
int report_make_figures(trainer *t, report_figures *figs, char *err, size_t errlen);
int report_write_html(trainer *t, const report_figures *figs, char *err, size_t errlen);

#endif
