/* The results of the figures as text (report_text.h): stdout, report.html's notes, CSV. */
#include "report_text.h"
#include "html_text.h"
#include "nn/atomic_file.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends to the page's notes; what does not fit is left out. */
void report_note(report_figures *f, const char *fmt, ...)
{
    size_t at = strlen(f->notes);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->notes + at, sizeof f->notes - at, fmt, ap);
    va_end(ap);
}

/* ---- confusion_matrix: the counts with each class' accuracy; the accuracies on the page ---------- */
void report_print_confusion(const report_confusion *c, const char *split, const char *const *names)
{
    int k = c->k;
    printf("confusion matrix (%s; rows: true class, columns: predicted):\n     ", split);
    for (int b = 0; b < k; b++) printf("%6d", b);
    printf("   accuracy\n");
    for (int a = 0; a < k; a++) {
        printf("%4d ", a);
        for (int b = 0; b < k; b++) printf("%6.0f", c->count[a * k + b]);
        printf("   %6.2f%%%s%s\n", 100 * report_class_accuracy(c, a), names ? "  " : "", names ? names[a] : "");
    }
}

void report_note_confusion(report_figures *f, const report_confusion *c, const char *split, const char *const *names)
{
    report_note(f, "<h3>Per-class accuracy (%s)</h3><table><tr>", split);
    for (int a = 0; a < c->k; a++) {
        char name[3 * SPEC_CLASS_NAME_LEN];
        if (names) report_note(f, "<td>%s: %.2f%%</td>", html_escaped(names[a], name, sizeof name), 100 * report_class_accuracy(c, a));
        else report_note(f, "<td>%d: %.2f%%</td>", a, 100 * report_class_accuracy(c, a));
    }
    report_note(f, "</tr></table>");
}

/* ---- dead_units: per ReLU layer, dead units of all and their fraction ---------------------------- */
void report_print_dead_units(const report_dead_units *d)
{
    printf("dead ReLU units (zero for every training sample):\n");
    for (int i = 0; i < d->n; i++)
        printf("  %-16s %3d of %3zu (%.0f%%)\n", d->layer[i], d->dead[i], d->width[i], 100.0 * d->frac[i]);
}

void report_note_dead_units(report_figures *f, const report_dead_units *d)
{
    report_note(f, "<h3>Dead ReLU units (over the training set)</h3><table><tr><th>layer</th><th>dead</th><th>fraction</th></tr>");
    for (int i = 0; i < d->n; i++)
        report_note(f, "<tr><td>%s</td><td>%d of %zu</td><td>%.0f%%</td></tr>", d->layer[i], d->dead[i], d->width[i], 100.0 * d->frac[i]);
    report_note(f, "</table>");
}

int report_write_dead_csv(const char *dir, const report_dead_units *d, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/dead_units.csv", dir);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    fprintf(f, "layer,dead_fraction\n");
    for (int i = 0; i < d->n; i++) fprintf(f, "%s,%.6f\n", d->layer[i], d->frac[i]);
    return nn_atomic_commit(af, err, errlen);
}

/* ---- pca_baseline: the network's and PCA's errors on both splits -------------------------------- */
void report_print_pca(const report_pca *p, const char *split)
{
    printf("reconstruction error ||x - x~||^2 per sample, code size %d:\n", p->code);
    printf("  autoencoder  train %.4f  %s %.4f\n  PCA          train %.4f  %s %.4f\n", p->ae[0], split, p->ae[1], p->pca[0],
           split, p->pca[1]);
}

void report_note_pca(report_figures *f, const report_pca *p, const char *split)
{
    report_note(f,
         "<h3>Reconstruction error ||x - x~||&sup2; per sample (code size %d)</h3><table><tr><th></th><th>train</th>"
         "<th>%s</th></tr><tr><td>autoencoder</td><td>%.4f</td><td>%.4f</td></tr><tr><td>PCA</td><td>%.4f</td>"
         "<td>%.4f</td></tr></table>",
         p->code, split, p->ae[0], p->ae[1], p->pca[0], p->pca[1]);
}

/* ---- next-character accuracy --------------------------------------------------------------------- */
void report_print_next_char(double accuracy) { printf("next-character accuracy: %.1f%%\n", 100 * accuracy); }

void report_note_next_char(report_figures *f, double accuracy, const char *split)
{
    report_note(f, "<p>next-character accuracy (%s text): %.1f%%</p>", split, 100 * accuracy);
}

void report_print_mean_loss(double sampled, double at_mean, const char *split)
{
    printf("%s loss %.4f with z sampled at evaluation (metrics.csv; as pytorch/examples' VAE); %.4f with z at its mean\n", split,
           sampled, at_mean);
}

void report_note_mean_loss(report_figures *f, double sampled, double at_mean, const char *split)
{
    report_note(f, "<p>%s loss with z sampled at evaluation (as in metrics.csv): %.4f; with z at the encoder's mean: %.4f</p>", split,
         sampled, at_mean);
}

void report_print_bce_floor(double floor, double loss, const char *split)
{
    printf("%s loss above the data's floor (each pixel's Bernoulli entropy at its grey level, %.4f per image): %.4f\n", split,
           floor, loss - floor);
}

void report_note_bce_floor(report_figures *f, double floor, double loss, const char *split)
{
    report_note(f, "<p>%s loss above the data's floor (the pixels' Bernoulli entropy at their grey levels, %.4f per image): %.4f "
            "&mdash; comparable across data sets</p>", split, floor, loss - floor);
}
