/* The judge: a classifier run folder loaded into an evaluation graph (no data, no trainer),
 * checked to be a classifier of 28x28 images, run over images in batches for its penultimate
 * features and its classes. The quality numbers built on it are in judge_quality.c. */
#include "judge.h"
#include "checkpoint.h"
#include "data_setup.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The command that makes run_dir: `bin/nnrun specs/<its name>.yaml` when that spec exists. */
static void making_command(const char *run_dir, char *out, size_t len)
{
    const char *slash = strrchr(run_dir, '/'), *name = slash ? slash + 1 : run_dir;
    char spec_file[SPEC_PATH_LEN + 16];
    snprintf(spec_file, sizeof spec_file, "specs/%s.yaml", name);
    if (*name && access(spec_file, R_OK) == 0) snprintf(out, len, "run `bin/nnrun %s` first", spec_file);
    else snprintf(out, len, "train a classifier of 28x28 images into it first (`bin/nnrun SPEC --out %s`)", run_dir);
}

/* The run folder holds spec.yaml and model.safetensors; else says what makes them. */
static int check_run_dir(const char *run_dir, diag *d)
{
    char how[SPEC_PATH_LEN + 96], path[SPEC_PATH_LEN + 32];
    making_command(run_dir, how, sizeof how);
    if (!is_dir(run_dir)) {
        diag_error_at(d, run_dir, 0, 0, "no such run folder for the judge; %s", how);
        return -1;
    }
    static const char *const files[] = {"spec.yaml", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", run_dir, files[i]);
        if (access(path, R_OK) != 0) {
            diag_error_at(d, run_dir, 0, 0, "the judge's run folder has no %s (not a finished run); %s", files[i], how);
            return -1;
        }
    }
    return 0;
}

/* "RUN is not a classifier of 28x28 images: WHY" at pos (the spec line at fault, if any). */
static int refuse(const judge *j, diag *d, spec_pos pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(const judge *j, diag *d, spec_pos pos, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    diag_error_at(d, pos.file ? pos.file : j->s->file, pos.line, pos.col, "%s is not a classifier of 28x28 images: %s",
                  j->run_dir, why);
    return -1;
}

/* The index of the last dense layer of the net, or -1. */
static int last_dense(const model_spec *net)
{
    for (int i = net->n_layers - 1; i >= 0; i--)
        if (net->layers[i].kind == LY_DENSE) return i;
    return -1;
}

/* What the spec must say before a graph is built: one net on 784 values, a cross_entropy
 * loss on a layer of it, one class per image, a dense layer. */
static int check_spec(const judge *j, const data_info *info, diag *d)
{
    const spec *s = j->s;
    const model_spec *net = &s->nets[0];
    const loss_spec *loss = spec_first_loss(s);
    spec_pos nowhere = {s->file, 0, 0};
    if (s->n_nets != 1 || net->n_inputs != 1)
        return refuse(j, d, net->pos, "it has %d nets and %d inputs (a judge is one net on one image)", s->n_nets,
                      net->n_inputs);
    size_t pixels = nn_shape_numel(&net->inputs[0].shape);
    if (pixels != JUDGE_PIXELS)
        return refuse(j, d, net->inputs[0].pos, "its input has %zu values per sample, not %d", pixels, JUDGE_PIXELS);
    if (loss->kind != LOSS_CROSS_ENTROPY) return refuse(j, d, loss->pos, "its loss is not cross_entropy");
    if (net_find_layer(net, loss->pred) < 0)
        return refuse(j, d, loss->pred_pos, "its loss predicts '%s', not a layer of its net", loss->pred);
    if (info->n_classes < 2 || info->n_classes > JUDGE_MAX_CLASSES || info->y_dim != 1)
        return refuse(j, d, nowhere, "its data has no class per image (2 to %d classes)", JUDGE_MAX_CLASSES);
    if (last_dense(net) < 0)
        return refuse(j, d, nowhere, "it has no dense layer (the judge's features are its last dense layer's input)");
    return 0;
}

/* The node a layer reads: its `from:`, or the layer before it (the input for the first). */
static int input_of(const judge *j, int layer)
{
    const model_spec *net = &j->s->nets[0];
    const layer_spec *l = &net->layers[layer];
    if (l->n_from == 0) return layer ? j->m->out[layer - 1] : j->m->x;
    if (strcmp(l->from[0], "input") == 0) return j->m->x;
    int from = net_find_layer(net, l->from[0]);
    return from >= 0 ? j->m->out[from] : -1;
}

/* The graph at JUDGE_BATCH, its feature and score nodes, the weights. */
static int build(judge *j, const data_info *info, diag *d)
{
    const spec *s = j->s;
    nn_rng init;
    nn_rng_seed(&init, s->seed);
    if (!(j->m = model_build(s, info, JUDGE_BATCH, 0, NULL, &init, d))) return -1;
    nn_graph *g = j->m->g;
    j->features = input_of(j, last_dense(&s->nets[0]));
    j->scores = j->m->out[net_find_layer(&s->nets[0], spec_first_loss(s)->pred)];
    /* the classes are the classifier's scores: at least the data's (a CSV's labels may use fewer) */
    const nn_shape *sc = &g->nodes[j->scores].shape;
    if (sc->ndim != 2 || sc->d[1] < info->n_classes || sc->d[1] > JUDGE_MAX_CLASSES)
        return refuse(j, d, spec_first_loss(s)->pred_pos, "its loss predicts '%s', not one score per class",
                      spec_first_loss(s)->pred);
    if (j->features < 0) return refuse(j, d, (spec_pos){s->file, 0, 0}, "its last dense layer reads no layer");
    j->dim = (int)(nn_numel(g, j->features) / JUDGE_BATCH);
    j->n_classes = sc->d[1];
    int nodes[2] = {j->features, j->scores};
    if (model_plan(j->m, nodes, 2) < 0) {
        diag_error_at(d, s->file, 0, 0, "%s: out of memory planning the judge's graph", j->run_dir);
        return -1;
    }
    if (j->m->t >= 0) memset(nn_data(g, j->m->t), 0, nn_numel(g, j->m->t) * sizeof(float));   /* class 0: any id will do */
    char path[SPEC_PATH_LEN + 32], err[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", j->run_dir);
    if (checkpoint_load_weights(j->m, path, err, sizeof err) < 0) {
        diag_error_at(d, path, 0, 0, "the judge's weights do not load: %s", err);
        return -1;
    }
    return 0;
}

judge *judge_open(const char *run_dir, diag *d)
{
    if (check_run_dir(run_dir, d) < 0) return NULL;
    judge *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    snprintf(j->run_dir, sizeof j->run_dir, "%s", run_dir);
    char path[SPEC_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/spec.yaml", run_dir);
    data_info info;
    if (!(j->s = spec_load(path, NULL, 0, d)) || data_describe(j->s, &info, d) < 0 || check_spec(j, &info, d) < 0 ||
        build(j, &info, d) < 0) {
        judge_close(j);
        return NULL;
    }
    return j;
}

void judge_close(judge *j)
{
    if (!j) return;
    model_free(j->m);
    spec_free(j->s);
    free(j);
}

int judge_dim(const judge *j) { return j->dim; }

int judge_classes(const judge *j) { return j->n_classes; }

/* The index of the largest of n scores (the first of equals). */
static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

int judge_run(judge *j, const float *images, int n, float *features, int *classes)
{
    if (n < 0) return -1;
    nn_graph *g = j->m->g;
    float *x = nn_data(g, j->m->x);
    for (int r0 = 0; r0 < n; r0 += JUDGE_BATCH) {
        int rows = n - r0 < JUDGE_BATCH ? n - r0 : JUDGE_BATCH;
        /* x (JUDGE_BATCH, 784): the rows, zeros after them (evaluation: rows do not mix) */
        memcpy(x, images + (size_t)r0 * JUDGE_PIXELS, (size_t)rows * JUDGE_PIXELS * sizeof *x);
        memset(x + (size_t)rows * JUDGE_PIXELS, 0, (size_t)(JUDGE_BATCH - rows) * JUDGE_PIXELS * sizeof *x);
        nn_plan_run(g, j->m->plan);
        const float *f = nn_data(g, j->features), *sc = nn_data(g, j->scores);
        if (features) memcpy(features + (size_t)r0 * j->dim, f, (size_t)rows * j->dim * sizeof *f);
        for (int i = 0; classes && i < rows; i++) classes[r0 + i] = argmax(sc + (size_t)i * j->n_classes, j->n_classes);
    }
    return 0;
}
