/* report.html: the metrics table, notes and figures of a run on one page, then the model's
 * equations in MathML (model_math.h: Chromium draws them natively, no script), with a script
 * that checks every image decodes and every equation is laid out as MathML (tests/report_test.sh
 * opens it in headless Chromium); a 3-unit embedding also gets an interactive 3-D view under its
 * PNG (report_view3d.c). */
#include "report.h"
#include "model_math.h"
#include "html_text.h"
#include "nn/atomic_file.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static void html_metric(FILE *f, float v, int percent)
{
    if (isnan(v)) fputs("<td>-</td>", f);
    else if (percent) fprintf(f, "<td>%.2f%%</td>", 100 * v);
    else fprintf(f, "<td>%.6g</td>", v);
}

/* Runs in the browser once every figure has loaded or failed: counts the images that decoded
 * into <body data-images-ok data-images-broken> (tests/report_test.sh reads them from the DOM)
 * and names any broken figure in a red banner, so a reader sees at once what is missing. It
 * also counts the <math> elements and those the browser lays out as MathML (a display of
 * "math" or "block math", with a size) into data-math and data-math-ok: the equations need no
 * script, this only checks them. */
static const char self_check_js[] =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var ok = 0, broken = [];\n"
    "  for (var i = 0; i < document.images.length; i++) {\n"
    "    var im = document.images[i];\n"
    "    if (im.complete && im.naturalWidth > 0) ok++; else broken.push(im.getAttribute('src'));\n"
    "  }\n"
    "  var maths = document.getElementsByTagName('math'), drawn = 0;\n"
    "  for (var k = 0; k < maths.length; k++) {\n"
    "    var box = maths[k].getBoundingClientRect();\n"
    "    if (/math/.test(getComputedStyle(maths[k]).display) && box.width > 0 && box.height > 0) drawn++;\n"
    "  }\n"
    "  document.body.setAttribute('data-math', maths.length);\n"
    "  document.body.setAttribute('data-math-ok', drawn);\n"
    "  document.body.setAttribute('data-images-ok', ok);\n"
    "  document.body.setAttribute('data-images-broken', broken.length);\n"
    "  if (broken.length === 0) return;\n"
    "  var p = document.createElement('p');\n"
    "  p.id = 'broken-images';\n"
    "  p.style.cssText = 'background:#c00;color:#fff;padding:8px;font-weight:bold';\n"
    "  p.textContent = broken.length + ' figure(s) could not be shown: ' + broken.join(', ');\n"
    "  document.body.insertBefore(p, document.body.firstChild);\n"
    "});\n"
    "</script>\n";

/* status: NULL for a finished run's page; else what the run is doing, and a live page (while
 * it trains) reloads itself. */
static void put_head(FILE *f, const trainer *t, const report_figures *figs, const char *status, int live)
{
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n"
               "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
               "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
               "img{max-width:100%%;border:1px solid #eee;margin:4px 0}"
               ".strip{display:flex;overflow-x:auto;gap:6px}.strip figure{flex:0 0 220px;margin:0}" MODEL_MATH_CSS "</style>\n",
            t->s->name);
    if (live) fputs("<meta http-equiv=\"refresh\" content=\"" REPORT_RELOAD_SECONDS "\">\n", f);
    fputs(self_check_js, f);
    for (int i = 0; i < figs->n; i++)
        if (figs->view3d[i]) {
            report_view3d_write_script(f);
            break;
        }
    fputs("</head><body>\n", f);
    fprintf(f, "<h1>%s</h1>\n<p>Spec: <a href=\"spec.yaml\">spec.yaml</a> (resolved)", t->s->name);
    if (t->s->n_nets)   /* a data study trains nothing: no metrics, no weights */
        fputs(" &middot; <a href=\"metrics.csv\">metrics.csv</a> &middot; <a href=\"model.safetensors\">model.safetensors</a>", f);
    fputs("</p>\n", f);
    if (status)
        fprintf(f, "<p class=\"status\" style=\"background:#fff4c2;padding:6px\">%s%s</p>\n", status,
                live ? " This page reloads every " REPORT_RELOAD_SECONDS " s; the figures the spec asks for come at the end." : "");
    report_put_header(f, t);
}

/* columns with something in them; names as in metrics.csv, "test" as the split used */
static void put_metrics(FILE *f, const trainer *t)
{
    const history *h = &t->h;
    const char *tn = t->data.test_name;
    int show[H_MAX_COLUMNS];
    if (!h->n_cols) return;   /* a data study */
    fputs("<h2>Metrics</h2>\n<table><tr><th>epoch</th>", f);
    for (int c = 0; c < h->n_cols; c++) {
        show[c] = 0;
        for (int e = 0; e < h->n; e++) show[c] |= !isnan(h->col[c][e]);
        const char *name = h->name[c];
        if (!show[c]) continue;
        if (strncmp(name, "test_", 5) == 0) fprintf(f, "<th>%s %s</th>", tn, name + 5);
        else fprintf(f, "<th>%s</th>", name);
    }
    fputs("</tr>\n", f);
    for (int e = 0; e < h->n; e++) {
        fprintf(f, "<tr><td>%d</td>", e + 1);
        for (int c = 0; c < h->n_cols; c++)
            if (show[c]) html_metric(f, h->col[c][e], h->fraction[c]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void put_figures(FILE *f, const report_figures *figs)
{
    if (figs->notes[0]) fprintf(f, "%s\n", figs->notes);
    fputs("<h2>Figures</h2>\n", f);
    for (int i = 0; i < figs->n; i++) {
        if (figs->strip[i] && (i == 0 || !figs->strip[i - 1])) fputs("<div class=\"strip\">\n", f);
        fprintf(f, "<figure><img src=\"%s\" alt=\"%s\"><figcaption>%s</figcaption></figure>\n", figs->file[i], figs->caption[i],
                figs->caption[i]);
        if (figs->strip[i] && (i + 1 == figs->n || !figs->strip[i + 1])) fputs("</div>\n", f);
        if (figs->view3d[i]) report_view3d_write(f, figs->view3d[i], i + 1);
    }
}

/* The Model section: the forward pass and the losses as equations. One that cannot be written
 * says so on the page and on stderr; the run's results stand. */
static void put_model(FILE *f, const trainer *t)
{
    const model_graph *m = trainer_weights(t);
    model_math mm;
    char err[512];
    if (!t->s->n_nets || !m) return;
    if (model_math_build(t->s, m, &mm, err, sizeof err) == 0) {
        if (model_math_write_html(f, &mm, err, sizeof err) < 0) fprintf(stderr, "nnrun: report.html: an equation: %s\n", err);
        model_math_free(&mm);
        return;
    }
    fputs("<section class=\"model-math\"><h2 id=\"model\">Model</h2><p class=\"math-error\">The equations could not be written: ", f);
    html_write(f, err, strlen(err));
    fputs("</p></section>\n", f);
    fprintf(stderr, "nnrun: report.html: the equations: %s\n", err);
}

static int write_page(trainer *t, const report_figures *figs, const char *status, int live, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/report.html", t->s->out_dir);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    put_head(f, t, figs, status, live);
    put_metrics(f, t);
    put_figures(f, figs);
    put_model(f, t);
    fputs("</body></html>\n", f);
    return nn_atomic_commit(af, err, errlen);
}

int report_write_html(trainer *t, const report_figures *figs, char *err, size_t errlen)
{
    return write_page(t, figs, NULL, 0, err, errlen);
}

int report_write_progress(trainer *t, int live, char *err, size_t errlen)
{
    report_figures figs = {0};
    char status[200];
    if (live) snprintf(status, sizeof status, "Training: %d of %d epochs done.", t->epoch, t->s->train.epochs);
    else snprintf(status, sizeof status, "Interrupted in epoch %d of %d (a checkpoint was saved: --resume continues).",
                  t->epoch + 1, t->s->train.epochs);
    if (t->h.n) report_add_figure(&figs, "loss_curve.png", "The loss so far");
    return write_page(t, &figs, status, live, err, errlen);
}
