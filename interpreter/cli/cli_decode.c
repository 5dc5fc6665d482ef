/* `nnrun decode RUN --layer code --points "x,y; x,y"`, `--interpolate "A" "B" --steps 8` or
 * `--random N --seed S`: runs a trained model from a layer on chosen values of that layer (code
 * points of an autoencoder), on points of a line, or on draws from N(0, I) (the samples of a
 * VAE), and shows what the rest of the net makes of them, as images. Every mode makes the
 * values, then shares one path from them to the PNG. */
#include "../run/checkpoint.h"
#include "cli.h"
#include "../run/data_setup.h"
#include "../build/model_build.h"
#include "nn/plot.h"
#include "../out/report.h"
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECODE_MAX 256

static const char usage[] =
    "usage: nnrun decode RUN_DIR --layer NAME (--points \"x,y,...; x,y,...\" | --interpolate \"A\" \"B\" [--steps N]\n"
    "                    | --random N [--seed S]) [--output LAYER] [--out FILE.png]\n"
    "Feeds chosen values of layer NAME (e.g. points of an autoencoder's code) to the trained model in RUN_DIR\n"
    "and draws what the layers after it produce (default: the first loss term's prediction), one image per point.\n"
    "--interpolate decodes N points (default 8) on the line from A to B. --random decodes N draws (1..256) of\n"
    "the layer from N(0, I), e.g. samples of a VAE from its layer z; --seed S (default 1) fixes them.\n"
    "Writes RUN_DIR/decode.png by default.\n";

/* "1,2,3; 4,5,6" -> rows of `width` numbers; returns the number of rows or -1 (message in err). */
static int parse_points(const char *text, int width, float *out, int max_rows, char *err, size_t errlen)
{
    int rows = 0;
    const char *p = text;
    while (*p) {
        if (rows == max_rows) {
            snprintf(err, errlen, "at most %d points", max_rows);
            return -1;
        }
        for (int j = 0; j < width; j++) {
            char *end;
            float v = strtof(p, &end);
            if (end == p || !isfinite(v)) {
                snprintf(err, errlen, "point %d: expected %d numbers separated by commas near '%.20s'", rows + 1, width, p);
                return -1;
            }
            out[(size_t)rows * width + j] = v;
            p = end;
            while (*p == ' ') p++;
            if (j + 1 < width) {
                if (*p != ',') {
                    snprintf(err, errlen, "point %d has fewer than the %d numbers layer needs", rows + 1, width);
                    return -1;
                }
                p++;
            }
        }
        while (*p == ' ') p++;
        if (*p == ',') {
            snprintf(err, errlen, "point %d has more than the %d numbers the layer needs", rows + 1, width);
            return -1;
        }
        if (*p == ';') p++;
        else if (*p) {
            snprintf(err, errlen, "unexpected '%c' after point %d", *p, rows + 1);
            return -1;
        }
        while (*p == ' ') p++;
        rows++;
    }
    return rows;
}

typedef struct {
    const char *run, *layer, *output, *points, *from, *to, *out;
    long steps, random, seed;
} decode_args;

/* One mode exactly, and the run and layer. */
static int check_args(const decode_args *a)
{
    if (!a->run || !a->layer) {
        fputs(usage, stderr);
        return 2;
    }
    if ((a->points != NULL) + (a->from != NULL) + (a->random > 0) != 1) {
        fprintf(stderr, "nnrun decode: give one of --points, --interpolate or --random (see --help)\n");
        return 2;
    }
    return 0;
}

/* Returns 0, 1 after --help, 2 on bad usage (message printed). */
static int parse_args(int argc, char **argv, decode_args *a)
{
    *a = (decode_args){.steps = 8, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(o, "--layer") == 0 && has_value) a->layer = argv[++i];
        else if (strcmp(o, "--output") == 0 && has_value) a->output = argv[++i];
        else if (strcmp(o, "--points") == 0 && has_value) a->points = argv[++i];
        else if (strcmp(o, "--out") == 0 && has_value) a->out = argv[++i];
        else if (strcmp(o, "--steps") == 0 && has_value) {
            if (cli_whole_number("decode", o, argv[++i], 2, DECODE_MAX, &a->steps) < 0) return 2;
        } else if (strcmp(o, "--random") == 0 && has_value) {
            if (cli_whole_number("decode", o, argv[++i], 1, DECODE_MAX, &a->random) < 0) return 2;
        } else if (strcmp(o, "--seed") == 0 && has_value) {
            if (cli_whole_number("decode", o, argv[++i], 0, LONG_MAX, &a->seed) < 0) return 2;
        } else if (strcmp(o, "--interpolate") == 0 && i + 2 < argc) {
            a->from = argv[++i];
            a->to = argv[++i];
        } else if (o[0] != '-' && !a->run) a->run = o;
        else {
            fprintf(stderr, "nnrun decode: unexpected argument '%s' (see --help)\n", o);
            return 2;
        }
    }
    return check_args(a);
}

/* `steps` points on the line from A to B. */
static int line_points(const decode_args *a, int width, float *pts, char *err, size_t errlen)
{
    float ab[2 * 4096];
    if (width > 4096) {
        snprintf(err, errlen, "--interpolate takes layers of at most 4096 values, not %d", width);
        return -1;
    }
    if (parse_points(a->from, width, ab, 1, err, errlen) != 1 || parse_points(a->to, width, ab + width, 1, err, errlen) != 1)
        return -1;
    for (int s = 0; s < a->steps; s++) {
        float t = (float)s / (float)(a->steps - 1);
        for (int j = 0; j < width; j++) pts[(size_t)s * width + j] = ab[j] + t * (ab[width + j] - ab[j]);
    }
    return (int)a->steps;
}

/* `random` draws from N(0, I), one seed one set of draws. */
static int random_points(const decode_args *a, int width, float *pts)
{
    nn_rng r;
    nn_rng_seed(&r, (uint64_t)a->seed);
    for (size_t i = 0; i < (size_t)a->random * (size_t)width; i++) pts[i] = nn_rng_normal(&r);
    return (int)a->random;
}

/* The values to feed, one row of `width` per point: returns the number of points or -1. */
static int make_points(const decode_args *a, int width, float *pts, char *err, size_t errlen)
{
    if (a->points) return parse_points(a->points, width, pts, DECODE_MAX, err, errlen);
    if (a->from) return line_points(a, width, pts, err, errlen);
    return random_points(a, width, pts);
}

/* A trained model run from one layer to another. */
typedef struct {
    spec *s;
    data_info info;
    model_graph *m;
    const char *out_name;
    int in_node, out_node;   /* the node fed and the node drawn */
    int width;               /* values of the fed layer per point */
    size_t out_width;        /* values of the drawn layer per point */
} decoder;

/* The layer drawn by default: the first loss term that names a prediction (a VAE's KL term
 * names none). */
static const char *default_output(const spec *s)
{
    for (int gi = 0; gi < s->n_groups; gi++)
        for (int k = 0; k < s->groups[gi].n_terms; k++)
            if (s->groups[gi].terms[k].pred[0]) return s->groups[gi].terms[k].pred;
    return "";
}

/* The spec's layers `layer` and the output: their indices, or 2 with a message. */
static int find_layers(const decode_args *a, decoder *dc, const char *path, int *layer, int *output)
{
    dc->out_name = a->output ? a->output : default_output(dc->s);
    if (!dc->out_name[0]) {
        fprintf(stderr, "nnrun decode: no loss of %s names a prediction; say which layer to draw with --output\n", path);
        return 2;
    }
    *layer = spec_find_layer(dc->s, a->layer);
    *output = spec_find_layer(dc->s, dc->out_name);
    if (*layer < 0 || *output < 0) {
        fprintf(stderr, "nnrun decode: %s has no layer '%s'\n", path, *layer < 0 ? a->layer : dc->out_name);
        return 2;
    }
    return 0;
}

/* Loads RUN/spec.yaml and its weights and makes the layer an input: 0, or 1 / 2 (exit status). */
static int decoder_open(const decode_args *a, decoder *dc, diag *d)
{
    char path[1100], err[1024];
    int layer, output;
    snprintf(path, sizeof path, "%s/spec.yaml", a->run);
    dc->s = spec_load(path, NULL, 0, d);
    if (!dc->s || data_describe(dc->s, &dc->info, d) < 0) return 2;
    if (find_layers(a, dc, path, &layer, &output)) return 2;
    nn_rng r;
    nn_rng_seed(&r, dc->s->seed);
    dc->m = model_build(dc->s, &dc->info, DECODE_MAX, 0, NULL, &r, d);
    if (!dc->m) return 2;
    snprintf(path, sizeof path, "%s/model.safetensors", a->run);
    if (checkpoint_load_weights(dc->m, path, err, sizeof err) < 0 || model_start_at(dc->m, layer, output, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun decode: %s\n", err);
        return 1;
    }
    nn_graph *g = dc->m->g;
    dc->in_node = dc->m->out[layer];
    dc->out_node = dc->m->out[output];
    dc->width = (int)(nn_numel(g, dc->in_node) / DECODE_MAX);
    dc->out_width = nn_numel(g, dc->out_node) / DECODE_MAX;
    return 0;
}

static void decoder_close(decoder *dc)
{
    model_free(dc->m);
    spec_free(dc->s);
}

/* The output for the first n of DECODE_MAX rows of values (sigmoid of logits): malloc'd. */
static float *decoder_run(const decoder *dc, const float *pts, int n)
{
    nn_graph *g = dc->m->g;
    memcpy(nn_data(g, dc->in_node), pts, (size_t)DECODE_MAX * (size_t)dc->width * sizeof(float));
    nn_plan_run(g, dc->m->plan);
    size_t count = (size_t)n * dc->out_width;
    float *out = malloc(count * sizeof *out);
    if (!out) return NULL;
    memcpy(out, nn_data(g, dc->out_node), count * sizeof *out);
    if (spec_pred_is_logits(dc->s, dc->out_name))
        for (size_t i = 0; i < count; i++) out[i] = 1.0f / (1.0f + expf(-out[i]));
    return out;
}

/* One image per point: the data's sample shape when the output has as many values, else the
 * output's own. */
static int decoder_draw(const decoder *dc, const char *file, const char *title, const float *imgs, int n, char *err,
                        size_t errlen)
{
    int c, h, w;
    nn_shape per = dc->m->g->nodes[dc->out_node].shape;
    per.ndim--;
    memmove(per.d, per.d + 1, sizeof(int) * (size_t)per.ndim);
    report_image_dims(nn_shape_numel(&per) == nn_shape_numel(&dc->info.sample) ? &dc->info.sample : &per, &c, &h, &w);
    return nn_plot_image_grid(file, title, imgs, n, c, h, w, n < 12 ? n : 12, NULL, 3, err, errlen);
}

static void make_title(const decode_args *a, const decoder *dc, int n, char *title, size_t len)
{
    if (a->random)
        snprintf(title, len, "%s: %d samples of '%s' ~ N(0, I), decoded to '%.60s'", dc->s->name, n, a->layer, dc->out_name);
    else
        snprintf(title, len, "%s: '%.60s' decoded from %d %s of '%s'", dc->s->name, dc->out_name, n,
                 a->points ? "chosen points" : "points on a line", a->layer);
}

/* The points fed, the range of the values drawn, and the file. */
static void print_summary(const decoder *dc, const float *pts, int n, const float *imgs, const char *file)
{
    for (int i = 0; i < n; i++) {
        printf("point %d:", i + 1);
        for (int j = 0; j < dc->width; j++) printf(" %g", pts[(size_t)i * dc->width + j]);
        printf("\n");
    }
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < (size_t)n * dc->out_width; i++) {
        lo = fminf(lo, imgs[i]);
        hi = fmaxf(hi, imgs[i]);
    }
    printf("'%s' drawn: values from %g to %g\n", dc->out_name, lo, hi);
    printf("wrote %s\n", file);
}

/* Makes the values the mode asks for, decodes them and writes the grid: an exit status. */
static int decode_points(const decode_args *a, const decoder *dc)
{
    char err[1024], title[256], file[1100];
    float *pts = calloc((size_t)DECODE_MAX * (size_t)dc->width, sizeof *pts), *imgs = NULL;
    int n = pts ? make_points(a, dc->width, pts, err, sizeof err) : -1, rc = 1;
    if (n < 0) {
        fprintf(stderr, "nnrun decode: %s\n", pts ? err : "out of memory");
        free(pts);
        return pts ? 2 : 1;
    }
    if (a->out) snprintf(file, sizeof file, "%s", a->out);
    else snprintf(file, sizeof file, "%s/decode.png", a->run);
    make_title(a, dc, n, title, sizeof title);
    if (!(imgs = decoder_run(dc, pts, n))) fprintf(stderr, "nnrun decode: out of memory\n");
    else if (decoder_draw(dc, file, title, imgs, n, err, sizeof err) < 0) fprintf(stderr, "nnrun decode: %s\n", err);
    else {
        print_summary(dc, pts, n, imgs, file);
        rc = 0;
    }
    free(pts);
    free(imgs);
    return rc;
}

int cmd_decode(int argc, char **argv)
{
    decode_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    diag d;
    diag_init(&d);
    decoder dc = {0};
    rc = decoder_open(&a, &dc, &d);
    if (rc == 0) rc = decode_points(&a, &dc);
    diag_print(&d, stderr);
    if (diag_count(&d)) rc = 2;
    decoder_close(&dc);
    diag_free(&d);
    return rc;
}
