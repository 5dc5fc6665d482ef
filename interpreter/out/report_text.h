/* report_text.h — the results of report_analysis.h as text: the lines `nnrun SPEC` prints
 * (report_print_*), the notes report.html shows above its figures (report_note_*, appended to
 * report_figures.notes, cut at its size), and CSV files. Internal to out/. */
#ifndef NNRUN_REPORT_TEXT_H
#define NNRUN_REPORT_TEXT_H

#include "report.h"
#include "report_analysis.h"

/* split: the evaluation split's name ("test", "validation"); names: the classes' names, or NULL */
void report_print_confusion(const report_confusion *c, const char *split, const char *const *names);
void report_note_confusion(report_figures *f, const report_confusion *c, const char *split, const char *const *names);

void report_print_dead_units(const report_dead_units *d);
void report_note_dead_units(report_figures *f, const report_dead_units *d);
/* dir/dead_units.csv: layer,dead_fraction */
int report_write_dead_csv(const char *dir, const report_dead_units *d, char *err, size_t errlen);

void report_print_pca(const report_pca *p, const char *split);
void report_note_pca(report_figures *f, const report_pca *p, const char *split);

void report_print_next_char(double accuracy);
void report_note_next_char(report_figures *f, double accuracy, const char *split);
/* Appends HTML to the page's notes (cut at the notes' size). */
void report_note(report_figures *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The test loss of a model sampling at evaluation, sampled and with the samplers at their mean. */
void report_print_mean_loss(double sampled, double at_mean, const char *split);
void report_note_mean_loss(report_figures *f, double sampled, double at_mean, const char *split);
/* A per-image binary cross-entropy against its floor, the data's own entropy. */
void report_print_bce_floor(double floor, double loss, const char *split);
void report_note_bce_floor(report_figures *f, double floor, double loss, const char *split);

#endif
