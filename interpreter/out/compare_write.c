/* The comparison's files: compare_images.png (originals, corrupted inputs, reconstructions),
 * compare_loss.png (every run's train and test loss, one colour per run), compare_bleu.png
 * (translation runs' BLEU per epoch), the embeddings drawn while collecting, compare.png (all
 * of them stacked: images on top, then two charts a row) and compare.html (with translation
 * runs' sentences side by side). */
#include "compare.h"
#include "html_text.h"
#include "nn/atomic_file.h"
#include "nn/plot.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS (3 + COMPARE_MAX_RUNS)
#define GAP 16

static int part_path(const compare_args *a, const char *file, char *out, size_t len)
{
    return snprintf(out, len, "%s/%s", a->out, file) < (int)len ? 0 : -1;
}

static int write_images(const compare_args *a, const compare_images *im, char *err, size_t errlen)
{
    char path[1100], title[160];
    const char *labels[COMPARE_MAX_ROWS];
    for (int r = 0; r < im->n_rows; r++) labels[r] = im->labels[r];
    part_path(a, "compare_images.png", path, sizeof path);
    /* about 900 pixels of images a row, each image pixel a whole number of pixels (1 to 8) */
    int scale = (int)fminf(8.0f, fmaxf(1.0f, 900.0f / ((float)im->n * (float)(im->w + 4))));
    snprintf(title, sizeof title, "%d evaluation images through each run", im->n);
    return nn_plot_image_grid(path, title, im->pix, im->n_rows * im->n, im->c, im->h, im->w, im->n, labels, scale, err, errlen);
}

/* A log axis when every loss is positive and they span more than a factor of 30. */
static int wants_log(const compare_run *runs, int n_runs)
{
    float lo = INFINITY, hi = 0.0f;
    for (int k = 0; k < n_runs; k++)
        for (int e = 0; e < runs[k].metrics.n; e++) {
            float v[2] = {runs[k].metrics.train_loss[e], runs[k].metrics.test_loss[e]};
            for (int j = 0; j < 2; j++) {
                if (isnan(v[j])) continue;
                if (!(v[j] > 0.0f)) return 0;
                lo = fminf(lo, v[j]), hi = fmaxf(hi, v[j]);
            }
        }
    return hi > 30.0f * lo;
}

static int has_values(const float *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) return 1;
    return 0;
}

static int write_losses(const compare_args *a, const compare_run *runs, char *err, size_t errlen)
{
    nn_series s[2 * COMPARE_MAX_RUNS];
    int colours[2 * COMPARE_MAX_RUNS], n = 0;
    char names[2 * COMPARE_MAX_RUNS][96];
    for (int k = 0; k < a->n_runs; k++) {
        const run_metrics *m = &runs[k].metrics;
        snprintf(names[n], sizeof names[n], "%s train", runs[k].label);
        colours[n] = k;
        s[n] = (nn_series){names[n], m->epoch, m->train_loss, m->n, NN_STYLE_LINE};
        n++;
        if (!has_values(m->test_loss, m->n)) continue;
        snprintf(names[n], sizeof names[n], "%s %s", runs[k].label, m->test_name);
        colours[n] = k;
        s[n] = (nn_series){names[n], m->epoch, m->test_loss, m->n, NN_STYLE_LINE_POINTS};
        n++;
    }
    char path[1100];
    part_path(a, "compare_loss.png", path, sizeof path);
    return nn_plot_lines_coloured(path, "loss per epoch (lines: train, dots: evaluation)", "epoch", "loss", s, n, colours,
                                  wants_log(runs, a->n_runs), err, errlen);
}

static int any_bleu(const compare_run *runs, int n_runs)
{
    for (int k = 0; k < n_runs; k++)
        if (runs[k].metrics.bleu && has_values(runs[k].metrics.bleu, runs[k].metrics.n)) return 1;
    return 0;
}

/* Each translation run's test_bleu after every epoch, one colour per run (as in the loss chart). */
static int write_bleu(const compare_args *a, const compare_run *runs, char *err, size_t errlen)
{
    nn_series s[COMPARE_MAX_RUNS];
    int colours[COMPARE_MAX_RUNS], n = 0;
    for (int k = 0; k < a->n_runs; k++) {
        const run_metrics *m = &runs[k].metrics;
        if (!m->bleu || !has_values(m->bleu, m->n)) continue;
        colours[n] = k;
        s[n++] = (nn_series){runs[k].label, m->epoch, m->bleu, m->n, NN_STYLE_LINE_POINTS};
    }
    char path[1100];
    part_path(a, "compare_bleu.png", path, sizeof path);
    return nn_plot_lines_coloured(path, "test BLEU per epoch (greedy search)", "epoch", "BLEU", s, n, colours, 0, err,
                                  errlen);
}

/* Every part read back and stacked: the first alone on its row, the others two a row. */
static int write_composite(const compare_args *a, const char *const *files, int n, char *err, size_t errlen)
{
    nn_canvas parts[MAX_PARTS];
    int rc = 0, loaded = 0;
    for (; loaded < n && rc == 0; loaded++) {
        char path[1100];
        part_path(a, files[loaded], path, sizeof path);
        rc = nn_png_read(path, &parts[loaded], err, errlen);
    }
    if (rc) loaded--;
    int x[MAX_PARTS], y[MAX_PARTS], width = 0, height = GAP;
    for (int i = 0; i < loaded;) {                          /* rows: {0}, {1, 2}, {3, 4}, ... */
        int end = i == 0 ? 1 : i + 2, left = GAP, tallest = 0;
        for (; i < end && i < loaded; i++) {
            x[i] = left, y[i] = height;
            left += parts[i].w + GAP;
            if (parts[i].h > tallest) tallest = parts[i].h;
        }
        if (left > width) width = left;
        height += tallest + GAP;
    }
    nn_canvas out;
    if (rc == 0 && nn_canvas_init(&out, width, height, (nn_rgb){255, 255, 255}) != 0) {
        snprintf(err, errlen, "out of memory for a %d x %d figure", width, height);
        rc = -1;
    }
    if (rc == 0) {
        for (int i = 0; i < loaded; i++) nn_canvas_blit(&out, &parts[i], x[i], y[i]);
        char path[1100];
        part_path(a, "compare.png", path, sizeof path);
        rc = nn_png_write(path, &out, err, errlen);
        nn_canvas_free(&out);
    }
    for (int i = 0; i < loaded; i++) nn_canvas_free(&parts[i]);
    return rc;
}

static void html_text(FILE *f, const char *s) { html_write(f, s, (size_t)-1); }

static void html_value(FILE *f, const float *v, int n)
{
    if (n > 0 && !isnan(v[n - 1])) fprintf(f, "<td>%.6g</td>", v[n - 1]);
    else fputs("<td>-</td>", f);
}

static int any_translation(const compare_run *runs, int n_runs)
{
    for (int k = 0; k < n_runs; k++)
        if (runs[k].has_bleu) return 1;
    return 0;
}

static void html_runs(FILE *f, const compare_run *runs, int n_runs)
{
    int bleu = any_translation(runs, n_runs);
    fputs("<table><tr><th>run</th><th>folder</th><th>epochs</th><th>final train loss</th><th>final evaluation loss</th>"
          "<th>final accuracy</th><th>seconds per epoch</th>", f);
    fputs(bleu ? "<th>test BLEU (greedy)</th></tr>\n" : "</tr>\n", f);
    for (int k = 0; k < n_runs; k++) {
        const run_metrics *m = &runs[k].metrics;
        fputs("<tr><td>", f);
        html_text(f, runs[k].label);
        /* the folder links to its report by absolute path: the pages may live anywhere */
        char rep[1100], abs[PATH_MAX];
        snprintf(rep, sizeof rep, "%s/report.html", runs[k].dir);
        fputs("</td><td>", f);
        if (realpath(rep, abs)) {
            fputs("<a href=\"file://", f);
            html_text(f, abs);
            fputs("\">", f);
        }
        html_text(f, runs[k].dir);
        fprintf(f, "%s</td><td>%d</td>", realpath(rep, abs) ? "</a>" : "", m->n);
        html_value(f, m->train_loss, m->n);
        html_value(f, m->test_loss, m->n);
        if (m->n > 0 && !isnan(m->accuracy[m->n - 1])) fprintf(f, "<td>%.2f%%</td>", 100.0 * m->accuracy[m->n - 1]);
        else fputs("<td>-</td>", f);
        double seconds = 0;
        int timed = 0;
        for (int e = 0; e < m->n; e++)
            if (!isnan(m->seconds[e])) seconds += m->seconds[e], timed++;
        if (timed) fprintf(f, "<td>%.3g</td>", seconds / timed);
        else fputs("<td>-</td>", f);
        if (bleu && runs[k].has_bleu) fprintf(f, "<td>%.2f</td>", runs[k].bleu);
        else if (bleu) fputs("<td>-</td>", f);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    for (int k = 0; k < n_runs; k++)
        if (runs[k].has_bleu) {
            fputs("<p>BLEU: sacreBLEU's corpus BLEU of the model in the run folder, greedy search over its ", f);
            fprintf(f, "%d test sentences (BLEU|", runs[k].bleu_sentences);
            html_text(f, runs[k].bleu_signature);
            fputs(")</p>\n", f);
            break;
        }
    for (int k = 0; k < n_runs; k++)
        for (int i = 0; i < runs[k].n_notes; i++) {
            fputs("<p class=\"note\">", f);
            html_text(f, runs[k].label);
            fputs(": ", f);
            html_text(f, runs[k].notes[i]);
            fputs("</p>\n", f);
        }
}

static void html_figure(FILE *f, const char *file, const char *caption)
{
    fprintf(f, "<figure><img src=\"%s\" alt=\"", file);
    html_text(f, caption);
    fputs("\"><figcaption>", f);
    html_text(f, caption);
    fputs("</figcaption></figure>\n", f);
}

static void put_heading(FILE *f, const compare_args *a, const compare_run *runs)
{
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nnrun compare</title>\n"
          "<style>body{font-family:sans-serif;max-width:1700px;margin:2em auto;color:#222}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
          ".note{color:#842}table.text td{text-align:left}img{max-width:100%;border:1px solid #eee;margin:4px 0}</style></head><body>\n"
          "<h1>Comparison of ", f);
    for (int k = 0; k < a->n_runs; k++) {
        if (k) fputs(k == a->n_runs - 1 ? " and " : ", ", f);
        html_text(f, runs[k].label);
    }
    fputs("</h1>\n", f);
    html_runs(f, runs, a->n_runs);
}

/* The chosen test sentences: source, reference and each translation run's output. */
static void put_sentences(FILE *f, const compare_args *a, const compare_run *runs, const compare_texts *tx)
{
    fprintf(f, "<h2>Translations</h2>\n<p>%d test sentences (a fixed, seeded choice), each run's greedy search</p>\n"
               "<table class=\"text\"><tr><th>source</th><th>reference</th>", tx->n);
    for (int k = 0; k < a->n_runs; k++)
        if (tx->output[k]) {
            fputs("<th>", f);
            html_text(f, runs[k].label);
            fputs("</th>", f);
        }
    fputs("</tr>\n", f);
    for (int i = 0; i < tx->n; i++) {
        fputs("<tr><td>", f);
        html_text(f, tx->source[i]);
        fputs("</td><td>", f);
        html_text(f, tx->reference[i]);
        fputs("</td>", f);
        for (int k = 0; k < a->n_runs; k++)
            if (tx->output[k]) {
                fputs("<td>", f);
                html_text(f, tx->output[k][i] ? tx->output[k][i] : "-");
                fputs("</td>", f);
            }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void put_figures(FILE *f, const compare_args *a, const compare_run *runs, const compare_images *im,
                        const compare_texts *tx)
{
    fprintf(f, "<h2>Everything in one figure</h2>\n");
    html_figure(f, "compare.png", "compare.png: the figures below, stacked");
    char cap[200];
    if (im->n_rows) {
        snprintf(cap, sizeof cap, "The same %d evaluation images (a fixed, seeded choice) through every run; rows are "
                                  "named after the runs", im->n);
        fputs("<h2>Images</h2>\n", f);
        html_figure(f, "compare_images.png", cap);
    }
    if (tx->n) put_sentences(f, a, runs, tx);
    fputs("<h2>Loss</h2>\n", f);
    html_figure(f, "compare_loss.png", "Train loss (lines) and evaluation loss (dots) per epoch, one colour per run");
    if (any_bleu(runs, a->n_runs)) {
        fputs("<h2>BLEU</h2>\n", f);
        html_figure(f, "compare_bleu.png", "Test BLEU after each epoch (greedy search), one colour per run");
    }
    for (int k = 0, heading = 0; k < a->n_runs; k++)
        if (runs[k].embedding_png[0]) {
            if (!heading++) fputs("<h2>Embeddings</h2>\n", f);
            snprintf(cap, sizeof cap, "%s: codes of its evaluation samples, coloured by class", runs[k].label);
            html_figure(f, runs[k].embedding_png, cap);
        }
    fputs("</body></html>\n", f);
}

static int write_html(const compare_args *a, const compare_run *runs, const compare_images *im, const compare_texts *tx,
                      char *err, size_t errlen)
{
    char path[1100];
    part_path(a, "compare.html", path, sizeof path);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return 1;
    put_heading(nn_atomic_stream(af), a, runs);
    put_figures(nn_atomic_stream(af), a, runs, im, tx);
    return nn_atomic_commit(af, err, errlen) < 0 ? 1 : 0;
}

int compare_write(const compare_args *a, const compare_run *runs, const compare_images *im, const compare_texts *tx,
                  char *err, size_t errlen)
{
    const char *files[MAX_PARTS];
    int n = 0, bleu = any_bleu(runs, a->n_runs);
    if (im->n_rows) files[n++] = "compare_images.png";
    files[n++] = "compare_loss.png";
    if (bleu) files[n++] = "compare_bleu.png";
    for (int k = 0; k < a->n_runs; k++)
        if (runs[k].embedding_png[0]) files[n++] = runs[k].embedding_png;
    if ((im->n_rows && write_images(a, im, err, errlen) < 0) || write_losses(a, runs, err, errlen) < 0 ||
        (bleu && write_bleu(a, runs, err, errlen) < 0) || write_composite(a, files, n, err, errlen) < 0)
        return 1;
    return write_html(a, runs, im, tx, err, errlen);
}
