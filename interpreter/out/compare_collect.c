/* What `nnrun compare` takes from one run: its weights run on the chosen evaluation images
 * (reconstructions, and the corrupted inputs when the model corrupts them at evaluation), its
 * metrics.csv and its embedding figure. */
#include "../run/checkpoint.h"
#include "compare.h"
#include "report.h"
#include "../run/trainer.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void compare_note(compare_run *r, const char *fmt, ...)
{
    if (r->n_notes == 3) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

static const nn_dataset *eval_set(const trainer *t) { return t->data.has_test ? &t->data.test : &t->data.train; }

static float *image_row(const compare_images *im, int row) { return im->pix + (size_t)row * im->n * im->xn; }

/* The first run fixes the images: count distinct samples of its evaluation set, seeded. */
static int pick_images(const trainer *t, compare_images *im, int count, char *err, size_t errlen)
{
    const nn_dataset *ds = eval_set(t);
    int *all = malloc((size_t)(ds->n > 0 ? ds->n : 1) * sizeof *all);
    im->n = count < ds->n ? count : ds->n;
    im->xn = nn_shape_numel(&ds->sample);
    im->rows = malloc((size_t)(im->n > 0 ? im->n : 1) * sizeof *im->rows);
    im->pix = malloc((size_t)COMPARE_MAX_ROWS * (im->n > 0 ? im->n : 1) * im->xn * sizeof *im->pix);
    if (!all || !im->rows || !im->pix) {
        free(all);
        snprintf(err, errlen, "out of memory for %d images of %zu values", im->n, im->xn);
        return 1;
    }
    for (int i = 0; i < ds->n; i++) all[i] = i;
    nn_rng rng;
    nn_rng_seed(&rng, COMPARE_PICK_SEED);
    nn_rng_shuffle(&rng, all, ds->n);
    memcpy(im->rows, all, (size_t)im->n * sizeof *im->rows);
    free(all);
    report_image_dims(&ds->sample, &im->c, &im->h, &im->w);
    for (int i = 0; i < im->n; i++) memcpy(image_row(im, 0) + (size_t)i * im->xn, ds->x + (size_t)im->rows[i] * im->xn, im->xn * sizeof(float));
    snprintf(im->labels[0], sizeof im->labels[0], "original");
    im->n_rows = 1;
    return 0;
}

/* A gaussian_noise layer that reads the input directly (first layer, or from: input), or -1. */
static int input_noise_layer(const spec *s)
{
    for (int i = 0; i < s->nets[0].n_layers; i++) {
        const layer_spec *l = &s->nets[0].layers[i];
        int reads_input = l->n_from == 0 ? i == 0 : l->n_from == 1 && strcmp(l->from[0], "input") == 0;
        if (l->kind == LY_NOISE && reads_input) return i;
    }
    return -1;
}

static const report_spec *find_report(const spec *s, report_kind kind)
{
    for (int i = 0; i < s->n_reports; i++)
        if (s->reports[i].kind == kind) return &s->reports[i];
    return NULL;
}

/* One more row of images: layer's outputs for the chosen samples (through a sigmoid if logits). */
static int add_row(trainer *t, compare_images *im, int layer, int logits, const char *label)
{
    float *dst = image_row(im, im->n_rows);
    if (trainer_layer_outputs(t, eval_set(t), im->rows, im->n, layer, dst) < 0) return -1;
    if (logits)
        for (size_t i = 0; i < (size_t)im->n * im->xn; i++) dst[i] = 1.0f / (1.0f + expf(-dst[i]));
    snprintf(im->labels[im->n_rows++], sizeof im->labels[0], "%s", label);
    return 0;
}

static int same_images(const trainer *t, const compare_images *im)
{
    const nn_dataset *ds = eval_set(t);
    for (int i = 0; i < im->n; i++)
        if (memcmp(ds->x + (size_t)im->rows[i] * im->xn, image_row(im, 0) + (size_t)i * im->xn, im->xn * sizeof(float)))
            return 0;
    return 1;
}

static int add_run_images(trainer *t, compare_run *r, compare_images *im, char *err, size_t errlen)
{
    const nn_dataset *ds = eval_set(t);
    for (int i = 0; i < im->n; i++)
        if (im->rows[i] >= ds->n) {
            compare_note(r, "evaluates on %d samples, fewer than the images chosen from the first run; none shown", ds->n);
            return 0;
        }
    int same = same_images(t, im);
    if (!same) compare_note(r, "evaluates on other data than the first run: its rows show its own samples at the same positions");
    char label[96];
    int noise = input_noise_layer(r->s);
    if (noise >= 0 && r->s->nets[0].layers[noise].noise_at_eval) {
        snprintf(label, sizeof label, "%s: noisy input", r->label);
        if (add_row(t, im, noise, 0, label) < 0) goto failed;
    } else if (noise >= 0)
        compare_note(r, "its gaussian_noise layer '%s' (sigma %g) corrupts the input in training only, so it was evaluated on clean "
                "inputs (set eval: true to corrupt them at evaluation too)",
             r->s->nets[0].layers[noise].name, r->s->nets[0].layers[noise].sigma);
    int logits, layer = report_recon_layer(t, find_report(r->s, REP_RECONSTRUCTIONS), &logits);
    size_t w = layer >= 0 ? trainer_layer_width(t, layer) : 0;
    if (layer < 0 || w != im->xn) {
        compare_note(r, "no reconstructions: layer '%s' gives %zu values per sample, the images have %zu",
             layer >= 0 ? r->s->nets[0].layers[layer].name : "?", w, im->xn);
        return 0;
    }
    snprintf(label, sizeof label, "%s%s", r->label, same ? "" : " (own data)");
    if (add_row(t, im, layer, logits, label) < 0) goto failed;
    return 0;
failed:
    snprintf(err, errlen, "%s: running the model on the chosen images failed (out of memory?)", r->dir);
    return 1;
}

static int add_embedding(trainer *t, compare_run *r, const char *out_dir, int index, char *err, size_t errlen)
{
    const report_spec *e = find_report(r->s, REP_EMBEDDING);
    if (!e) return 0;
    char path[1100], msg[512];
    snprintf(r->embedding_png, sizeof r->embedding_png, "compare_embedding_%d.png", index + 1);
    snprintf(path, sizeof path, "%s/%s", out_dir, r->embedding_png);
    if (report_embedding(t, e, path, r->label, NULL, msg, sizeof msg) == 0) return 0;
    snprintf(err, errlen, "%s: %s", r->dir, msg);
    r->embedding_png[0] = 0;
    return 1;
}

/* Samples of word or character ids: no images of them. */
static int samples_are_ids(const trainer *t)
{
    return t->data.vocab[EMB_WORDS_SOURCE].size > 0 || t->s->data.train.kind == DS_CHARS;
}

int compare_collect_run(compare_run *r, compare_images *im, compare_texts *tx, int count, const char *out_dir, int index,
                        char *err, size_t errlen)
{
    diag dg;
    diag_init(&dg);
    trainer t;
    if (trainer_init_eval(&t, r->s, &dg) < 0) {
        diag_print(&dg, stderr);
        diag_free(&dg);
        trainer_free(&t);
        return 2;
    }
    diag_free(&dg);
    char path[1100];
    snprintf(path, sizeof path, "%s/model.safetensors", r->dir);
    int rc = checkpoint_load_weights(trainer_weights(&t), path, err, errlen) < 0;
    snprintf(path, sizeof path, "%s/metrics.csv", r->dir);
    if (rc == 0) rc = metrics_csv_read(path, &r->metrics, err, errlen) < 0;
    if (rc == 0 && t.data.test_text[1]) rc = compare_collect_translations(&t, r, tx, count, index, err, errlen);
    else if (rc == 0 && samples_are_ids(&t)) compare_note(r, "its samples are word or character ids: no images of them");
    else {
        if (rc == 0 && !im->rows) rc = pick_images(&t, im, count, err, errlen);
        if (rc == 0) rc = add_run_images(&t, r, im, err, errlen);
    }
    if (rc == 0) rc = add_embedding(&t, r, out_dir, index, err, errlen);
    trainer_free(&t);
    return rc;
}

void compare_images_free(compare_images *im)
{
    free(im->rows);
    free(im->pix);
    memset(im, 0, sizeof *im);
}
