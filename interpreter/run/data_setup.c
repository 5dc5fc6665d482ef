/* The data section of a spec -> datasets in memory (readers and generators of runtime/). */
#include "data_setup.h"
#include "nn/expr.h"
#include "nn/text.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fashion_dirs[] = {"/usr/share/datasets/fashion-mnist", "data/fashion_mnist"};

static int imdb_setup(const spec *s, run_data *rd, diag *d);

/* The datasets whose test source is a part of the training source's split, and their setups. */
static const struct {
    ds_kind kind;
    const char *name;
    int (*setup)(const spec *s, run_data *rd, diag *d);
} split_kinds[] = {
    {DS_IMDB, "imdb", imdb_setup},
    {DS_CHARS, "chars", chars_setup},
    {DS_TRANSLATION, "translation", translation_setup},
};
#define N_SPLIT_KINDS (sizeof split_kinds / sizeof *split_kinds)

static int split_kind_index(ds_kind kind)
{
    for (size_t i = 0; i < N_SPLIT_KINDS; i++)
        if (split_kinds[i].kind == kind) return (int)i;
    return -1;
}

void data_source_error(diag *d, const data_source *src, const char *which, const char *err)
{
    diag_error_at(d, src->pos.file, src->pos.line, src->pos.col, "data.%s: %s", which, err);
}

nn_csv_options data_csv_options(const data_source *src)
{
    nn_csv_options o = nn_csv_defaults();
    o.header = src->header;
    o.label_col = src->label_col;
    o.scale = src->scale;
    return o;
}

static int load_idx_source(const data_source *src, const char *which, nn_dataset *out, diag *d)
{
    char dir[SPEC_PATH_LEN], img[SPEC_PATH_LEN + 64], lbl[SPEC_PATH_LEN + 64], err[1024];
    if (src->path[0]) snprintf(dir, sizeof dir, "%s", src->path);
    else if (src->kind == DS_MNIST) snprintf(dir, sizeof dir, "data/mnist");
    else snprintf(dir, sizeof dir, "%s", access(fashion_dirs[0], R_OK) == 0 ? fashion_dirs[0] : fashion_dirs[1]);
    const char *pre = strcmp(src->split, "test") == 0 ? "t10k" : "train";
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte", dir, pre);
    snprintf(lbl, sizeof lbl, "%s/%s-labels-idx1-ubyte", dir, pre);
    if (nn_load_idx(img, lbl, out, err, sizeof err) < 0) {
        data_source_error(d, src, which, err);
        return -1;
    }
    if (src->lo != 0 || src->hi != 1) {                  /* range: pixels from [0, 1] to [lo, hi] */
        float lo = (float)src->lo, span = (float)(src->hi - src->lo);
        for (size_t i = 0; i < (size_t)out->n * nn_shape_numel(&out->sample); i++) out->x[i] = lo + span * out->x[i];
    }
    return 0;
}

static int load_function(const data_source *src, const char *which, uint64_t seed, nn_dataset *out, diag *d)
{
    char err[1024];
    int col = 0;
    nn_expr *e = nn_expr_parse(src->expr, err, sizeof err, &col);
    if (!e) {
        /* the expression sits inside a quoted YAML scalar: point at the character */
        diag_error_at(d, src->expr_pos.file, src->expr_pos.line, src->expr_pos.col + 1 + col, "data.%s.expr: %s", which, err);
        return -1;
    }
    nn_rng r;
    nn_rng_seed(&r, seed * 31 + (which[1] == 'e' ? 2 : 1));
    int rc = nn_gen_function(e, src->lo, src->hi, src->n, src->random, src->noise, &r, out, err, sizeof err);
    nn_expr_free(e);
    if (rc < 0) data_source_error(d, src, which, err);
    return rc;
}

static int load_points(const data_source *src, const char *which, uint64_t seed, nn_dataset *out, diag *d)
{
    char err[1024];
    int kind = strcmp(src->points, "uniform_cube") == 0 ? NN_POINTS_CUBE : nn_points_kind_from_name(src->points);
    nn_rng r;
    nn_rng_seed(&r, seed * 31 + (which[1] == 'e' ? 8 : 7));   /* a test source draws its own points */
    if (nn_gen_points((nn_points_kind)kind, src->n, src->dim, src->lo, src->hi, &r, out, err, sizeof err) < 0) {
        data_source_error(d, src, which, err);
        return -1;
    }
    return 0;
}

/* Replaces *ds by a subset made by f (the old one is freed). */
static int apply_subsets(const data_source *src, const char *which, uint64_t seed, nn_dataset *ds, diag *d)
{
    char err[1024];
    nn_dataset sub;
    nn_rng r;
    nn_rng_seed(&r, seed * 31 + 11);
    if (src->first && src->first < ds->n) {
        if (nn_dataset_first(ds, src->first, &sub, err, sizeof err) < 0) goto fail;
        nn_dataset_free(ds);
        *ds = sub;
    }
    if (src->random_subset && src->random_subset < ds->n) {
        if (nn_dataset_random(ds, src->random_subset, &r, &sub, err, sizeof err) < 0) goto fail;
        nn_dataset_free(ds);
        *ds = sub;
    }
    if (src->per_class) {
        if (nn_dataset_per_class(ds, src->per_class, NULL, &sub, err, sizeof err) < 0) goto fail;
        nn_dataset_free(ds);
        *ds = sub;
    }
    return 0;
fail:
    data_source_error(d, src, which, err);
    return -1;
}

static int load_source(const spec *s, const data_source *src, const char *which, nn_dataset *out, diag *d)
{
    char err[1024];
    int rc = -1;
    memset(out, 0, sizeof *out);
    switch (src->kind) {
    case DS_MNIST:
    case DS_FASHION_MNIST: rc = load_idx_source(src, which, out, d); break;
    case DS_CSV: {
        nn_csv_options o = data_csv_options(src);
        if ((rc = nn_load_csv(src->path, &o, out, err, sizeof err)) < 0) data_source_error(d, src, which, err);
        break;
    }
    case DS_FUNCTION: rc = load_function(src, which, s->seed, out, d); break;
    case DS_POINTS: rc = load_points(src, which, s->seed, out, d); break;
    case DS_IMDB:
    case DS_CHARS:
    case DS_TRANSLATION: {
        const char *name = split_kinds[split_kind_index(src->kind)].name;
        snprintf(err, sizeof err, "a %s source must go with a %s training source", name, name);
        data_source_error(d, src, which, err);
        break;
    }
    case DS_NONE: data_source_error(d, src, which, "no dataset"); break;
    }
    if (rc == 0) rc = apply_subsets(src, which, s->seed, out, d);
    return rc;
}

int data_split_part(const data_source *src, const char *name)
{
    if (strcmp(name, "train") == 0) return 0;
    if (strcmp(name, "test") == 0) return src->n_splits - 1;
    return strcmp(name, "validation") == 0 && src->n_splits == 3 ? 1 : -1;
}

int data_split_parts(const spec *s, int *itr, int *ite, diag *d)
{
    const data_source *tr = &s->data.train, *te = &s->data.test;
    const char *name = split_kinds[split_kind_index(tr->kind)].name;
    char msg[256];
    *itr = data_split_part(tr, tr->split);
    *ite = te->kind == tr->kind ? data_split_part(tr, te->split) : -2;
    if (te->kind != DS_NONE && te->kind != tr->kind) {
        snprintf(msg, sizeof msg, "with %s training data the test source is a %s split too ({dataset: %s, split: test})", name,
                 name, name);
        data_source_error(d, te, "test", msg);
        return -1;
    }
    if (*itr < 0 || *ite == -1) {
        data_source_error(d, *ite == -1 ? te : tr, *ite == -1 ? "test" : "train",
                          "no such part of the split (train, validation with 3 splits, test)");
        return -1;
    }
    return 0;
}

/* IMDB reviews: one seeded split of the texts, the vocabulary of the training part, every
 * part encoded to `length` token ids. */
static int imdb_setup(const spec *s, run_data *rd, diag *d)
{
    const data_source *tr = &s->data.train, *te = &s->data.test;
    char err[1024], path[SPEC_PATH_LEN];
    snprintf(path, sizeof path, "%s", tr->path[0] ? tr->path : "data/imdb/reviews.json");
    nn_text_set all, parts[3];
    nn_vocab vocab = {0};
    int rc = -1, itr, ite;
    if (data_split_parts(s, &itr, &ite, d) < 0) return -1;
    if (nn_load_reviews_json(path, &all, err, sizeof err) < 0) {
        data_source_error(d, tr, "train", err);
        return -1;
    }
    nn_rng r;
    nn_rng_seed(&r, s->seed * 31 + 17);
    if (nn_text_split(&all, tr->splits, tr->n_splits, &r, parts, err, sizeof err) < 0) data_source_error(d, tr, "train", err);
    else {
        nn_text_encode_options o = nn_text_encode_defaults();
        o.length = tr->length;
        o.keep_first = tr->keep_first;
        o.pad_back = tr->pad_back;
        o.chars = tr->chars;
        o.clean = (nn_text_clean_options){.strip_html = !!(tr->clean & CLEAN_HTML), .strip_mentions = !!(tr->clean & CLEAN_MENTIONS),
                                          .strip_urls = !!(tr->clean & CLEAN_URLS), .lower = !!(tr->clean & CLEAN_LOWER)};
        if (!tr->chars && nn_vocab_build(&parts[0], tr->vocab, &o.clean, &vocab, err, sizeof err) < 0) data_source_error(d, tr, "train", err);
        else if (nn_text_encode(&parts[itr], tr->chars ? NULL : &vocab, &o, &rd->train, err, sizeof err) < 0) data_source_error(d, tr, "train", err);
        else if (ite >= 0 && nn_text_encode(&parts[ite], tr->chars ? NULL : &vocab, &o, &rd->test, err, sizeof err) < 0) data_source_error(d, te, "test", err);
        else {
            rd->has_test = ite >= 0;
            if (ite >= 0 && strcmp(te->split, "validation") == 0) rd->test_name = "validation";
            rc = 0;
            rd->vocab[EMB_WORDS_SOURCE] = vocab;   /* kept for pre-trained word vectors */
            memset(&vocab, 0, sizeof vocab);
        }
        for (int i = 0; i < tr->n_splits; i++) nn_text_set_free(&parts[i]);
    }
    nn_vocab_free(&vocab);
    nn_text_set_free(&all);
    return rc;
}

const char *const *data_class_names(const spec *s, int n_classes)
{
    static const char *const fashion[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    static const char *const imdb[] = {"negative", "positive"};
    static const char *named[SPEC_MAX_CLASS_NAMES];
    const data_source *src = &s->data.train;
    if (src->n_class_names > 0 && n_classes <= src->n_class_names) {
        for (int i = 0; i < src->n_class_names; i++) named[i] = src->classes[i];
        return named;
    }
    if (src->kind == DS_FASHION_MNIST && n_classes <= 10) return fashion;
    if (src->kind == DS_IMDB && n_classes <= 2) return imdb;
    return NULL;
}

/* A `classes:` list names every class id the data has. */
static int check_class_names(const spec *s, const nn_dataset *ds, diag *d)
{
    const data_source *src = &s->data.train;
    if (src->n_class_names == 0 || ds->n_classes <= src->n_class_names) return 0;
    diag_error_at(d, src->pos.file, src->pos.line, src->pos.col,
                  "data.train.classes names %d classes, but the labels run 0..%d: name every class id", src->n_class_names,
                  ds->n_classes - 1);
    return -1;
}

int data_setup(const spec *s, run_data *rd, diag *d)
{
    memset(rd, 0, sizeof *rd);
    rd->test_name = "test";
    int k = split_kind_index(s->data.train.kind);
    if (k >= 0) return split_kinds[k].setup(s, rd, d);
    if (load_source(s, &s->data.train, "train", &rd->train, d) < 0 || check_class_names(s, &rd->train, d) < 0) return -1;
    if (s->data.test.kind != DS_NONE) {
        if (load_source(s, &s->data.test, "test", &rd->test, d) < 0) return -1;
        rd->has_test = 1;
    }
    if (s->data.validation_fraction > 0) {
        char err[1024];
        nn_dataset tr, va;
        nn_rng r;
        nn_rng_seed(&r, s->seed * 31 + 13);
        if (nn_dataset_split(&rd->train, 1.0 - s->data.validation_fraction, &r, &tr, &va, err, sizeof err) < 0) {
            diag_error_at(d, s->data.train.pos.file, s->data.train.pos.line, s->data.train.pos.col, "validation split: %s", err);
            return -1;
        }
        nn_dataset_free(&rd->train);
        nn_dataset_free(&rd->test);
        rd->train = tr;
        rd->test = va;
        rd->has_test = 1;
        rd->test_name = "validation";
    }
    return 0;
}

int data_setup_eval(const spec *s, run_data *rd, diag *d)
{
    int separate_test =
        s->data.test.kind != DS_NONE && s->data.validation_fraction <= 0 && split_kind_index(s->data.train.kind) < 0;
    if (!separate_test) return data_setup(s, rd, d);
    memset(rd, 0, sizeof *rd);
    rd->test_name = "test";
    if (load_source(s, &s->data.test, "test", &rd->test, d) < 0) return -1;
    rd->has_test = 1;
    return 0;
}

void data_release(run_data *rd)
{
    for (int side = 0; side < 2; side++) {
        for (int i = 0; rd->test_text[side] && i < rd->test.n; i++) free(rd->test_text[side][i]);
        free(rd->test_text[side]);
        rd->test_text[side] = NULL;
    }
    nn_dataset_free(&rd->train);
    nn_dataset_free(&rd->test);
    for (int k = 0; k < EMB_WORDS_COUNT; k++) nn_vocab_free(&rd->vocab[k]);
}

int data_describe(const spec *s, data_info *info, diag *d)
{
    const data_source *src = &s->data.train;
    memset(info, 0, sizeof *info);
    switch (src->kind) {
    case DS_MNIST:
    case DS_FASHION_MNIST:
        *info = (data_info){nn_shape3(1, 28, 28), 1, 10};
        return 0;
    case DS_FUNCTION: *info = (data_info){nn_shape1(1), 1, 0}; return 0;
    case DS_POINTS: *info = (data_info){nn_shape1(src->dim), 0, 0}; return 0;
    case DS_IMDB: *info = (data_info){nn_shape1(src->length), 1, 2}; return 0;
    case DS_CHARS: *info = (data_info){nn_shape1(src->length), src->length, NN_CHAR_SYMBOLS}; return 0;
    case DS_TRANSLATION:   /* the number of English ids is known once the data is read */
        *info = (data_info){nn_shape1(src->max_words), src->max_words, 0};
        return 0;
    case DS_CSV: {
        int label = src->label_col >= 0;
        struct stat st;
        if (stat(src->path, &st) != 0 && errno == ENOENT) {
            /* the spec can still be checked: take the model's declared input as the sample */
            diag_warning_at(d, src->pos.file, src->pos.line, src->pos.col,
                            "data.train: cannot read %s yet (for MNIST as CSV run 'make data'); shapes are checked "
                            "against the model's input", src->path);
            *info = (data_info){s->nets[0].inputs[0].shape, label, label ? 10 : 0};
            return 0;
        }
        /* the file is there: its real columns and classes (labels checked as the load will) */
        nn_csv_options o = data_csv_options(src);
        nn_csv_info ci;
        char err[1024];
        if (nn_csv_scan(src->path, &o, &ci, err, sizeof err) < 0) {
            data_source_error(d, src, "train", err);
            return -1;
        }
        *info = (data_info){nn_shape1(ci.n_features), label, ci.n_classes};
        return 0;
    }
    case DS_NONE: break;
    }
    data_source_error(d, src, "train", "no dataset");
    return -1;
}

void data_pixels_to_unit(const spec *s, float *v, size_t n)
{
    const data_source *src = &s->data.train;
    if ((src->kind != DS_MNIST && src->kind != DS_FASHION_MNIST) || (src->lo == 0 && src->hi == 1)) return;
    float lo = (float)src->lo, inv = (float)(1.0 / (src->hi - src->lo));
    for (size_t i = 0; i < n; i++) v[i] = (v[i] - lo) * inv;
}
