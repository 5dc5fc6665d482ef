/* `nnrun decode RUN --layer code --points "x,y; x,y"` or `--interpolate "A" "B" --steps 8`:
 * runs a trained model from a layer on chosen values of that layer (code points of an
 * autoencoder) and shows what the rest of the net makes of them, as images. */
#include "checkpoint.h"
#include "cli.h"
#include "data_setup.h"
#include "model_build.h"
#include "nn/plot.h"
#include "report.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECODE_MAX 256

static const char usage[] =
    "usage: nnrun decode RUN_DIR --layer NAME (--points \"x,y,...; x,y,...\" | --interpolate \"A\" \"B\" [--steps N])\n"
    "                    [--output LAYER] [--out FILE.png]\n"
    "Feeds chosen values of layer NAME (e.g. points of an autoencoder's code) to the trained model in RUN_DIR\n"
    "and draws what the layers after it produce (default: the first loss' prediction), one image per point.\n"
    "--interpolate decodes N points (default 8) on the line from A to B. Writes RUN_DIR/decode.png by default.\n";

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
    int steps;
} decode_args;

static int parse_args(int argc, char **argv, decode_args *a)
{
    memset(a, 0, sizeof *a);
    a->steps = 8;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(o, "--layer") == 0 && i + 1 < argc) a->layer = argv[++i];
        else if (strcmp(o, "--output") == 0 && i + 1 < argc) a->output = argv[++i];
        else if (strcmp(o, "--points") == 0 && i + 1 < argc) a->points = argv[++i];
        else if (strcmp(o, "--out") == 0 && i + 1 < argc) a->out = argv[++i];
        else if (strcmp(o, "--steps") == 0 && i + 1 < argc) a->steps = atoi(argv[++i]);
        else if (strcmp(o, "--interpolate") == 0 && i + 2 < argc) {
            a->from = argv[++i];
            a->to = argv[++i];
        } else if (o[0] != '-' && !a->run) a->run = o;
        else {
            fprintf(stderr, "nnrun decode: unexpected argument '%s' (see --help)\n", o);
            return 2;
        }
    }
    if (!a->run || !a->layer || (!a->points == !a->from) || a->steps < 2 || a->steps > DECODE_MAX) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}

/* The values to feed: the given points, or `steps` points from A to B. */
static int make_points(const decode_args *a, int width, float *pts, char *err, size_t errlen)
{
    if (a->points) return parse_points(a->points, width, pts, DECODE_MAX, err, errlen);
    float ab[2 * 4096];
    if (width > 4096 || parse_points(a->from, width, ab, 1, err, errlen) != 1 ||
        parse_points(a->to, width, ab + width, 1, err, errlen) != 1)
        return -1;
    for (int s = 0; s < a->steps; s++) {
        float t = (float)s / (float)(a->steps - 1);
        for (int j = 0; j < width; j++) pts[(size_t)s * width + j] = ab[j] + t * (ab[width + j] - ab[j]);
    }
    return a->steps;
}

int cmd_decode(int argc, char **argv)
{
    decode_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/spec.yaml", a.run);
    diag dg;
    diag_init(&dg);
    diag *d = &dg;
    spec *s = spec_load(path, NULL, 0, d);
    data_info info;
    model_graph *m = NULL;
    float *pts = NULL, *imgs = NULL;
    rc = 2;
    if (!s || data_describe(s, &info, d) < 0) goto done;
    int layer = spec_find_layer(s, a.layer);
    const char *out_name = a.output ? a.output : spec_first_loss(s)->pred;
    int output = spec_find_layer(s, out_name);
    if (layer < 0 || output < 0) {
        fprintf(stderr, "nnrun decode: %s has no layer '%s'\n", path, layer < 0 ? a.layer : out_name);
        goto done;
    }
    nn_rng r;
    nn_rng_seed(&r, s->seed);
    m = model_build(s, &info, DECODE_MAX, 0, NULL, &r, d);
    if (!m) goto done;
    rc = 1;
    snprintf(path, sizeof path, "%s/model.safetensors", a.run);
    if (checkpoint_load_weights(m, path, err, sizeof err) < 0 || model_start_at(m, layer, output, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun decode: %s\n", err);
        goto done;
    }
    nn_graph *g = m->g;
    int width = (int)(nn_numel(g, m->out[layer]) / DECODE_MAX);
    size_t ow = nn_numel(g, m->out[output]) / DECODE_MAX;
    pts = calloc((size_t)DECODE_MAX * width, sizeof *pts);
    int n = pts ? make_points(&a, width, pts, err, sizeof err) : -1;
    if (n < 0) {
        fprintf(stderr, "nnrun decode: %s\n", err);
        rc = 2;
        goto done;
    }
    memcpy(nn_data(g, m->out[layer]), pts, (size_t)DECODE_MAX * width * sizeof(float));
    nn_plan_run(g, m->plan);
    imgs = malloc((size_t)n * ow * sizeof *imgs);
    if (!imgs) goto done;
    memcpy(imgs, nn_data(g, m->out[output]), (size_t)n * ow * sizeof *imgs);
    if (report_is_logits(s, out_name))
        for (size_t i = 0; i < (size_t)n * ow; i++) imgs[i] = 1.0f / (1.0f + expf(-imgs[i]));
    int c, h, w;
    nn_shape per = g->nodes[m->out[output]].shape;
    per.ndim--;
    memmove(per.d, per.d + 1, sizeof(int) * (size_t)per.ndim);
    report_image_dims(nn_shape_numel(&per) == nn_shape_numel(&info.sample) ? &info.sample : &per, &c, &h, &w);
    char title[256], file[1100];
    snprintf(title, sizeof title, "%s: '%.60s' decoded from %d %s of '%s'", s->name, out_name, n,
             a.points ? "chosen points" : "points on a line", a.layer);
    if (a.out) snprintf(file, sizeof file, "%s", a.out);
    else snprintf(file, sizeof file, "%s/decode.png", a.run);
    if (nn_plot_image_grid(file, title, imgs, n, c, h, w, n < 12 ? n : 12, NULL, 3, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun decode: %s\n", err);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        printf("point %d:", i + 1);
        for (int j = 0; j < width; j++) printf(" %g", pts[(size_t)i * width + j]);
        printf("\n");
    }
    printf("wrote %s\n", file);
    rc = 0;
done:
    diag_print(d, stderr);
    if (diag_count(d)) rc = 2;
    free(pts);
    free(imgs);
    model_free(m);
    spec_free(s);
    diag_free(d);
    return rc;
}
