/* `nnrun sample RUN_DIR --count 10 [--of G] [--from z] [--class C] [--seed N] [--out FILE.png]` on
 * a run that is not a character model: new items of a generator (its output on fresh noise) or of
 * a decoder whose layer `from` is fed draws from N(0, I) (a VAE), through run/generator.h, as an
 * image grid and as the values themselves (safetensors), both written atomically. */
#include "../run/checkpoint.h"
#include "../run/data_setup.h"
#include "../run/generator.h"
#include "../out/report.h"
#include "cli_sample.h"
#include "nn/plot.h"
#include "nn/safetensors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_BATCH 256

/* The figure whose `of` and `from` are the defaults: the first samples, judge or manifold item. */
static const report_spec *drawing_figure(const spec *s)
{
    for (int i = 0; i < s->n_reports; i++) {
        report_kind k = s->reports[i].kind;
        if ((k == REP_SAMPLES || k == REP_JUDGE || k == REP_MANIFOLD) && s->reports[i].of[0]) return &s->reports[i];
    }
    return NULL;
}

/* One drawing: what is drawn, the generator, the class ids and the values. */
typedef struct {
    const sample_args *a;
    const spec *s;
    const char *of, *from;     /* from: NULL or the layer fed N(0, I) */
    model_graph *weights;      /* the run's weights, batch 1 */
    generator gen;
    int opened;
    nn_shape item;             /* the per-sample shape written and drawn */
    int *labels;               /* a class id per sample, or NULL (unconditional) */
    float *values;             /* count x gen.width, in the data's range */
    char png[1100], st[1100];  /* the files written */
} drawing;

/* What is drawn and the layer fed N(0, I): the options, else the figure's (its `from` goes with
 * its `of`). 0, or 2 with a message. */
static int what_to_draw(drawing *dw)
{
    const report_spec *r = drawing_figure(dw->s);
    dw->of = dw->a->of ? dw->a->of : r ? r->of : NULL;
    dw->from = dw->a->from;
    if (!dw->of) {
        fprintf(stderr, "nnrun sample: %s is not a character model, and its spec has no samples, judge or manifold "
                        "figure: say what to draw with --of (a generator net such as G, or a layer with --from z)\n",
                dw->a->run);
        return 2;
    }
    if (!dw->from && r && r->from[0] && strcmp(r->of, dw->of) == 0) dw->from = r->from;
    return 0;
}

/* The files: the PNG (--out, else RUN/samples.png) and the values beside it. 0, or 2. */
static int file_names(drawing *dw)
{
    const sample_args *a = dw->a;
    if (a->out) snprintf(dw->png, sizeof dw->png, "%s", a->out);
    else snprintf(dw->png, sizeof dw->png, "%s/samples.png", a->run);
    size_t n = strlen(dw->png);
    if (n < 5 || strcmp(dw->png + n - 4, ".png") != 0) {
        fprintf(stderr, "nnrun sample: --out takes a file name ending in .png (the values go beside it as .safetensors), "
                        "not '%s'\n", dw->png);
        return 2;
    }
    snprintf(dw->st, sizeof dw->st, "%.*s.safetensors", (int)(n - 4), dw->png);
    return 0;
}

/* The run's weights in a batch-1 graph, and the generator on them: 0, or an exit status
 * (message printed). */
static int open_model(drawing *dw, const data_info *info)
{
    char path[1100], err[1024];
    diag d;
    diag_init(&d);
    nn_rng init;
    nn_rng_seed(&init, dw->s->seed);
    dw->weights = model_build(dw->s, info, 1, 0, NULL, &init, &d);
    diag_print(&d, stderr);
    diag_free(&d);
    if (!dw->weights) return 2;
    snprintf(path, sizeof path, "%s/model.safetensors", dw->a->run);
    if (checkpoint_load_weights(dw->weights, path, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun sample: %s\n", err);
        return 1;
    }
    int batch = dw->a->count < SAMPLE_BATCH ? (int)dw->a->count : SAMPLE_BATCH;
    dw->opened = generator_open(&dw->gen, dw->s, info, dw->weights, dw->of, dw->from, batch, err, sizeof err) == 0;
    if (!dw->opened) {
        if (dw->gen.m) generator_close(&dw->gen);
        fprintf(stderr, "nnrun sample: %s\n", err);
        return 2;
    }
    /* the data's shape when the output has as many values (G's [784] is a [1, 28, 28] image) */
    dw->item = dw->gen.width == nn_shape_numel(&info->sample) ? info->sample : dw->gen.sample;
    return 0;
}

/* A class id per sample for a conditional generator: --class, else the classes in turn. 0, or
 * an exit status (message printed). */
static int make_labels(drawing *dw)
{
    const sample_args *a = dw->a;
    const generator *gen = &dw->gen;
    int given = (a->given & SAMPLE_CLASS) != 0;
    if (given && !gen->conditional) {
        fprintf(stderr, "nnrun sample: --class: '%s' of %s draws no classes (it is not a conditional generator: "
                        "nothing it computes reads the data's targets, e.g. a label input)\n", dw->of, a->run);
        return 2;
    }
    if (given && a->cls >= gen->n_classes) {
        fprintf(stderr, "nnrun sample: --class %ld: '%s' of %s draws the classes 0 to %d\n", a->cls, dw->of, a->run,
                gen->n_classes - 1);
        return 2;
    }
    if (!gen->conditional) return 0;
    if (!(dw->labels = malloc((size_t)a->count * sizeof *dw->labels))) return 1;
    for (long i = 0; i < a->count; i++) dw->labels[i] = given ? (int)a->cls : (int)(i % gen->n_classes);
    return 0;
}

/* The grid, its values mapped from the data's range to [0, 1]; drawing the classes in turn, a
 * row holds whole rounds of them, so that column j shows class j mod the classes. 0, 1 when the
 * samples are too small to be images (no file), or -1 (err). */
static int write_grid(const drawing *dw, char *err, size_t errlen)
{
    const sample_args *a = dw->a;
    int c, h, w, n = (int)a->count, k = dw->gen.n_classes;
    report_image_dims(&dw->item, &c, &h, &w);
    if (h * w < 16) return 1;                  /* a point, not an image: the values alone */
    int cols = (int)ceil(sqrt((double)n));
    if (dw->labels && !(a->given & SAMPLE_CLASS)) cols = n < k ? n : k * (cols / k > 1 ? cols / k : 1);
    size_t total = (size_t)n * dw->gen.width;
    float *unit = malloc(total * sizeof *unit);
    if (!unit) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(unit, dw->values, total * sizeof *unit);
    data_pixels_to_unit(dw->s, unit, total);
    char title[320], which[64] = "";
    if (dw->labels && (a->given & SAMPLE_CLASS)) snprintf(which, sizeof which, ", class %ld", a->cls);
    else if (dw->labels) snprintf(which, sizeof which, ", classes 0-%d in turn", k - 1);
    snprintf(title, sizeof title, "%.60s: %d samples of '%.60s'%s%.60s%s, seed %ld", dw->s->name, n, dw->of,
             dw->from ? " from N(0, I) at " : "", dw->from ? dw->from : "", which, a->seed);
    int rc = nn_plot_image_grid(dw->png, title, unit, n, c, h, w, cols, NULL, 0, err, errlen);
    free(unit);
    return rc < 0 ? -1 : 0;
}

/* The values as safetensors: "samples" [count, item...] and, conditional, "labels" [count]. */
static int write_values(const drawing *dw, char *err, size_t errlen)
{
    const sample_args *a = dw->a;
    int n = (int)a->count;
    nn_st_tensor t[2] = {{"samples", {.ndim = dw->item.ndim + 1}, dw->values}, {"labels", nn_shape1(n), NULL}};
    t[0].shape.d[0] = n;
    memcpy(t[0].shape.d + 1, dw->item.d, sizeof(int) * (size_t)dw->item.ndim);
    float *ids = dw->labels ? malloc((size_t)n * sizeof *ids) : NULL;
    if (dw->labels && !ids) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; ids && i < n; i++) ids[i] = (float)dw->labels[i];
    t[1].data = ids;
    char seed[32];
    snprintf(seed, sizeof seed, "%ld", a->seed);
    nn_st_meta meta[3] = {{"of", dw->of}, {"seed", seed}, {"from", dw->from}};
    int rc = nn_st_write(dw->st, t, ids ? 2 : 1, meta, dw->from ? 3 : 2, err, errlen);
    free(ids);
    return rc;
}

/* What was written (grid: write_grid's 0 or 1), and the range of the values (the data's). */
static void print_summary(const drawing *dw, int grid)
{
    size_t total = (size_t)dw->a->count * dw->gen.width;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < total; i++) {
        lo = fminf(lo, dw->values[i]);
        hi = fmaxf(hi, dw->values[i]);
    }
    printf("%ld samples of '%s'%s%s: values from %g to %g\n", dw->a->count, dw->of, dw->from ? " from N(0, I) at " : "",
           dw->from ? dw->from : "", lo, hi);
    if (grid == 0) printf("wrote %s\n", dw->png);
    else printf("%zu values per sample are no image: no %s\n", dw->gen.width, dw->png);
    printf("wrote %s (samples [%ld", dw->st, dw->a->count);
    for (int j = 0; j < dw->item.ndim; j++) printf(", %d", dw->item.d[j]);
    printf("]%s)\n", dw->labels ? ", labels" : "");
}

/* Draws the samples and writes both files: an exit status. */
static int draw(drawing *dw)
{
    char err[1024];
    size_t total = (size_t)dw->a->count * dw->gen.width;
    if (!(dw->values = malloc(total * sizeof *dw->values))) {
        fprintf(stderr, "nnrun sample: out of memory\n");
        return 1;
    }
    int grid = -1;
    if (generator_draw(&dw->gen, (uint64_t)dw->a->seed, dw->labels, (int)dw->a->count, dw->values, err, sizeof err) < 0 ||
        (grid = write_grid(dw, err, sizeof err)) < 0 || write_values(dw, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun sample: %s\n", err);
        return 1;
    }
    print_summary(dw, grid);
    return 0;
}

int sample_images(const sample_args *a, const spec *s, const data_info *info)
{
    drawing dw = {.a = a, .s = s};
    int rc = what_to_draw(&dw);
    if (!rc) rc = file_names(&dw);
    if (!rc) rc = open_model(&dw, info);
    if (!rc) rc = make_labels(&dw);
    if (!rc) rc = draw(&dw);
    free(dw.values);
    free(dw.labels);
    if (dw.opened) generator_close(&dw.gen);
    model_free(dw.weights);
    return rc;
}
