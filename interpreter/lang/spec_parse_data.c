/* The data section of a spec: sources, subsets, the validation split. Each dataset kind is a
 * row of data_kinds[] with its own keys, so a key another kind reads (vocab on mnist) is an
 * error naming the kind and its keys, not a value silently ignored. */
#include "nn/expr.h"
#include "schema.h"
#include "spec_parse_internal.h"
#include "spec_tables.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- readers of the keys that fill more than one field --------------------------------------- */
/* range: [lo, hi] */
static int read_range(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    data_source *src = base;
    double lo, hi;
    (void)o;
    if (v->kind != YN_SEQ || v->n != 2 || yscalar_float(v->items[0], &lo) != 0 || yscalar_float(v->items[1], &hi) != 0) {
        diag_error(d, v, "%s must be a list of two numbers, e.g. [-1, 1]", what);
        return -1;
    }
    if (!(lo < hi)) {
        diag_error(d, v, "%s [%g, %g] is empty: the first number must be smaller", what, lo, hi);
        return -1;
    }
    src->lo = lo, src->hi = hi;
    return 1;
}

static int read_expr(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    data_source *src = base;
    (void)o;
    int r = schema_node_str(d, v, what, src->expr, sizeof src->expr);
    if (r > 0) src->expr_pos = pos_of(v);
    return r;
}

/* classes: [T-shirt, trouser, ...], the names of class ids 0, 1, ... */
static int read_classes(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    data_source *src = base;
    if (v->kind != YN_SEQ || v->n < o->lo || v->n > o->hi) {
        diag_error(d, v, "%s is a list of %.0f to %.0f names, one per class id from 0: [cat, dog]", what, o->lo, o->hi);
        return -1;
    }
    for (int i = 0; i < v->n; i++)
        if (schema_node_str(d, v->items[i], "a class name", src->classes[i], sizeof src->classes[i]) < 0) return -1;
    src->n_class_names = v->n;
    return 1;
}

/* clean: true (every rule), false (none), or a list of rules: [html, mentions, urls, lower] */
static int read_clean(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    data_source *src = base;
    int on;
    if (v->kind == YN_SCALAR && !v->quoted && yscalar_bool(v, &on) == 0) {
        src->clean = on ? CLEAN_ALL : 0;
        return 1;
    }
    if (v->kind != YN_SEQ) {
        diag_error(d, v, "%s is true, false or a list of rules: [html, mentions, urls, lower]", what);
        return -1;
    }
    src->clean = 0;
    for (int i = 0; i < v->n; i++) {
        int r;
        if (schema_node_enum(d, v->items[i], "clean-up rule", o->choices, &r) == 1) src->clean |= 1 << r;
    }
    return 1;
}

/* splits: [train, test] or [train, validation, test] fractions */
static int read_splits(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    data_source *src = base;
    double total = 0;
    if (v->kind != YN_SEQ || v->n < 2 || v->n > 3) {
        diag_error(d, v, "%s is a list of 2 (train, test) or 3 (train, validation, test) fractions", what);
        return -1;
    }
    src->n_splits = v->n;
    for (int i = 0; i < v->n; i++)
        if (schema_node_double(d, v->items[i], "split fraction", o->lo, o->hi, &src->splits[i]) > 0) total += src->splits[i];
    if (total > 1.000001) {
        diag_error(d, v, "split fractions add up to %g, more than 1", total);
        return -1;
    }
    return 1;
}

/* expr is parsed now so that its errors point into the string */
static void check_function(diag *d, const ynode *n, data_source *src)
{
    const ynode *e = ymap_get(n, "expr");
    if (!src->expr[0] || !e) return;
    char err[512];
    int col = 0;
    nn_expr *ex = nn_expr_parse(src->expr, err, sizeof err, &col);
    if (!ex) diag_error_at(d, e->file, e->line, e->col + (e->quoted ? 1 : 0) + col, "expr: %s", err);
    nn_expr_free(ex);
}

/* ---- the keys of each kind -------------------------------------------------------------------- */
#define DS(m) OPT_FIELD(data_source, m)
static const char *const splits2[] = {"train", "test", NULL}, *const splits3[] = {"train", "validation", "test", NULL};
#define SPLIT(choices_, doc_) \
    {"split", OT_WORD, 0, 0, NULL, DS(split), .choices = choices_, .flags = OPT_ROLE_DEF | OPT_HELD_OUT, .doc = doc_}
#define IDX_SPLIT SPLIT(splits2, "train (60,000 images) or test (10,000); default: the source's role")
#define TEXT_SPLIT SPLIT(splits3, "which part of the split: train, validation (with 3 splits) or test; default: the source's role")
#define N_POINTS {"n", OT_INT, 1, 100000000, "100", DS(n), .doc = "number of points"}
#define RANGE {"range", OT_RANGE, 0, 0, "[-1, 1]", .read = read_range, .doc = "the interval of x (points: of each coordinate)"}
#define PIXEL_RANGE                                                                                    \
    {"range", OT_RANGE, 0, 0, "[0, 1]", .read = read_range,                                             \
     .doc = "the interval the pixel values are mapped to, linearly from [0, 1] ([-1, 1] for a tanh generator)"}
#define LENGTH(doc_) {"length", OT_INT, 1, 100000, "200", DS(length), .doc = doc_}
#define SPLITS(default_, doc_) {"splits", OT_FRACTIONS, 0.001, 1, default_, .read = read_splits, .doc = doc_}

#define CLASSES(default_doc)                                                                              \
    {"classes", OT_NAMES, 2, SPEC_MAX_CLASS_NAMES, NULL, .read = read_classes,                             \
     .doc = "names of the class ids 0, 1, ... for legends, tables and figures (default: " default_doc ")"}
static const opt_def mnist_opts[] = {
    IDX_SPLIT,
    {"path", OT_PATH, 0, 0, NULL, DS(path), .doc = "folder of the IDX files (default: data/mnist)"},
    PIXEL_RANGE,
    CLASSES("the digits"),
    {0}};
static const opt_def fashion_opts[] = {
    IDX_SPLIT,
    {"path", OT_PATH, 0, 0, NULL, DS(path),
     .doc = "folder of the IDX files (default: /usr/share/datasets/fashion-mnist, then data/fashion_mnist)"},
    PIXEL_RANGE,
    CLASSES("T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot"),
    {0}};
static const opt_def csv_opts[] = {
    {"path", OT_PATH, 0, 0, NULL, DS(path), .flags = OPT_REQUIRED, .doc = "the CSV file"},
    {"header", OT_HEADER, 0, 0, "auto", DS(header), .doc = "whether the first line names the columns (auto: detected)"},
    {"label_column", OT_INT, -1, 100000, "0", DS(label_col), .doc = "the column holding the class id (-1: none)"},
    {"scale", OT_FLOAT, -1e30, 1e30, "1", DS(scale), .doc = "the features are multiplied by this"},
    CLASSES("the ids"),
    {0}};
static const opt_def function_opts[] = {
    {"expr", OT_STR, 0, 0, NULL, .read = read_expr, .flags = OPT_REQUIRED, .doc = "y as an expression of x, e.g. \"1/(1+25*x^2)\""},
    RANGE,
    N_POINTS,
    {"sampling", OT_ENUM, 0, 0, "grid", DS(random), .choices = (const char *const[]){"grid", "random", NULL},
     .doc = "x evenly spaced or drawn uniformly"},
    {"noise", OT_FLOAT, 0, 1e6, "0", DS(noise), .doc = "sigma of the Gaussian noise added to y"},
    {0}};
static const opt_def points_opts[] = {
    {"points", OT_WORD, 0, 0, NULL, DS(points), .choices = (const char *const[]){"parabola", "uniform_cube", "gaussian", NULL},
     .flags = OPT_REQUIRED, .doc = "the point cloud"},
    N_POINTS,
    {"dim", OT_INT, 1, 4096, "2", DS(dim), .doc = "dimensions"},
    RANGE,
    {0}};
static const opt_def imdb_opts[] = {
    TEXT_SPLIT,
    {"path", OT_PATH, 0, 0, NULL, DS(path), .doc = "the reviews (default: data/imdb/reviews.json)"},
    {"vocab", OT_INT, 1, 10000000, "20000", DS(vocab), .doc = "the most frequent words of the train part kept (ids from 2)"},
    CLASSES("negative, positive"),
    LENGTH("tokens per review"),
    {"tokens", OT_ENUM, 0, 0, "words", DS(chars), .choices = (const char *const[]){"words", "chars", NULL},
     .doc = "what a token is"},
    {"keep", OT_ENUM, 0, 0, "last", DS(keep_first), .choices = (const char *const[]){"last", "first", NULL},
     .doc = "the tokens a long review keeps"},
    {"pad", OT_ENUM, 0, 0, "front", DS(pad_back), .choices = (const char *const[]){"front", "back", NULL},
     .doc = "where a short review's padding goes"},
    {"clean", OT_CLEAN, 0, 0, "true", .read = read_clean, .choices = (const char *const[]){"html", "mentions", "urls", "lower", NULL},
     .doc = "strip HTML tags, @mentions, URLs, lower-case: true (every rule), false, or a list of rules"},
    SPLITS("[0.8, 0.2]", "a seeded split of the 50,000 reviews: train, [validation,] test fractions"),
    {0}};
static const opt_def chars_opts[] = {
    {"file", OT_PATH, 0, 0, NULL, DS(path), .flags = OPT_REQUIRED, .doc = "a text file, e.g. data/gutenberg/carroll-alice.txt"},
    TEXT_SPLIT,
    LENGTH("window length T"),
    {"stride", OT_INT, 1, 100000, NULL, DS(stride), .doc = "training windows start every stride symbols (default: length)"},
    {"fold", OT_ENUM, 0, 0, "space", DS(fold_drop), .choices = (const char *const[]){"space", "drop", NULL},
     .doc = "characters other than letters and spaces become spaces, or are dropped"},
    SPLITS("[0.8, 0.2]", "consecutive parts: train, [validation,] test fractions (held-out text is the book's tail)"),
    {0}};

static const opt_def translation_opts[] = {
    TEXT_SPLIT,
    {"path", OT_PATH, 0, 0, NULL, DS(path),
     .doc = "the folder holding en/doc-K.json (nlp-corpus) and fr/doc-K.json (fr-corpus) (default: data/translation)"},
    {"max_words", OT_INT, 2, 256, "10", DS(max_words),
     .doc = "pairs whose both sides have fewer tokens are kept; x and y are [max_words] ids"},
    {"min_count", OT_INT, 1, 1000000, "2", DS(min_count), .doc = "words seen fewer times in the training part are unknown (id 3)"},
    {"split_seed", OT_INT, 0, 2147483647, "1", DS(split_seed),
     .doc = "the seed of the split (make data's French vectors are trained on seed 1's training part)"},
    SPLITS("[0.8, 0.1, 0.1]", "a seeded split of the 100,000 pairs (no English sentence in two parts): train, [validation,] test fractions"),
    {0}};

const opt_def subset_opts[] = {
    {"first", OT_INT, 1, 100000000, NULL, DS(first), .doc = "keep the first N samples"},
    {"random_subset", OT_INT, 1, 100000000, NULL, DS(random_subset), .doc = "then keep N drawn with the spec's seed"},
    {"per_class", OT_INT, 1, 100000000, NULL, DS(per_class), .doc = "then keep the first N of each class"},
    {0}};

const data_kind_def data_kinds[] = {
    {"none", DS_NONE, NULL, 0, NULL, "no data"},
    {"mnist", DS_MNIST, mnist_opts, DK_SUBSETS, NULL, "MNIST digits: x [1, 28, 28] in [0, 1] (or `range`), a class id"},
    {"fashion_mnist", DS_FASHION_MNIST, fashion_opts, DK_SUBSETS, NULL, "Fashion-MNIST: x [1, 28, 28] in [0, 1] (or `range`), a class id"},
    {"csv", DS_CSV, csv_opts, DK_SUBSETS, NULL, "a CSV file: x the feature columns, a class id"},
    {"function", DS_FUNCTION, function_opts, DK_SUBSETS, check_function, "x [1] and y = expr(x)"},
    {"points", DS_POINTS, points_opts, DK_SUBSETS, NULL, "x [dim] points, no targets"},
    {"imdb", DS_IMDB, imdb_opts, DK_SPLIT, NULL, "IMDB reviews: x [length] token ids (0 pad, 1 unknown), a 0/1 label"},
    {"chars", DS_CHARS, chars_opts, DK_SPLIT, NULL,
     "a book as 27 symbols: x [T] symbol ids (0 space, 1..26 a..z), the T next symbols"},
    {"translation", DS_TRANSLATION, translation_opts, DK_SPLIT, NULL,
     "French -> English sentence pairs: x [max_words] French ids, y [max_words] English ids then EOS (0 pad, 1 sos, 2 eos, 3 unknown)"},
    {0}};

const opt_def data_opts[] = {
    {"train", OT_SOURCE, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the training data"},
    {"test", OT_SOURCE, 0, 0, NULL, .doc = "evaluated after every epoch"},
    {"validation", OT_FLOAT, 0, 0.9, "0", OPT_FIELD(data_spec, validation_fraction),
     .doc = "carve this fraction off train (seeded) and evaluate on it instead of test"},
    {0}};

const data_kind_def *data_kind_find(const char *name)
{
    for (const data_kind_def *k = data_kinds; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

/* Appends the rows of src a source takes into out[*n] (a held-out part of a split: split only). */
static void add_opts(const opt_def *src, int held_out, opt_def *out, int *n, int cap)
{
    for (int i = 0; src && src[i].key && *n < cap - 1; i++)
        if ((!held_out || (src[i].flags & OPT_HELD_OUT)) && !opts_find(out, src[i].key)) {
            out[(*n)++] = src[i];
            out[*n] = (opt_def){0};
        }
}

int data_source_opts(const data_kind_def *k, const char *role, opt_def *out, int cap)
{
    int n = 0, held_out = (k->flags & DK_SPLIT) && strcmp(role, "test") == 0;
    out[0] = (opt_def){0};   /* add_opts looks keys up in out */
    add_opts(k->opts, held_out, out, &n, cap);
    if (k->flags & DK_SUBSETS) add_opts(subset_opts, 0, out, &n, cap);
    return n;
}

/* ---- a source --------------------------------------------------------------------------------- */
/* Is key a key of some kind (in some role)? */
static int source_key_known(const char *key)
{
    if (opts_find(subset_opts, key)) return 1;
    for (const data_kind_def *k = data_kinds; k->name; k++)
        if (opts_find(k->opts, key)) return 1;
    return 0;
}

/* Unknown keys: one another kind takes names this kind and lists its keys; others get a
 * did-you-mean among this kind's keys. k NULL (no valid dataset): any kind's key passes. */
static void check_source_keys(diag *d, const ynode *n, const char *role, const data_kind_def *k, const opt_def *opts)
{
    const char *keys[64] = {"dataset"};
    char list[512];
    opts_keys(opts, NULL, keys + 1, 63);
    size_t len = 0;
    for (int i = 0; keys[i]; i++) len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", keys[i]);
    for (int i = 0; i < n->n; i++) {
        const char *key = n->keys[i];
        if (opts_find(opts, key) || strcmp(key, "dataset") == 0 || (!k && source_key_known(key))) continue;
        char msg[1024];
        if (k && source_key_known(key) && (k->flags & DK_SPLIT) && strcmp(role, "test") == 0)
            snprintf(msg, sizeof msg, "'%s' does not apply to a test source of dataset %s: it is a part of the training source's split (its keys: %s)",
                     key, k->name, list);
        else if (k && source_key_known(key))
            snprintf(msg, sizeof msg, "'%s' is not a key of dataset %s (its keys: %s)", key, k->name, list);
        else
            schema_unknown_msg(msg, sizeof msg, "key", key, role, keys);
        diag_error_at(d, n->file, n->key_line[i], n->key_col[i], "%s", msg);
    }
}

/* Reports a missing or unknown dataset. */
static void report_bad_dataset(diag *d, const ynode *n, const char *role)
{
    const char *names[16];
    char list[256], msg[1024];
    int m = 0;
    size_t len = 0;
    for (const data_kind_def *k = data_kinds + 1; k->name && m < 15; k++) names[m++] = k->name;   /* none: not offered */
    names[m] = NULL;
    const ynode *ds = ymap_get(n, "dataset");
    if (ds) {
        schema_unknown_msg(msg, sizeof msg, "dataset", ds->kind == YN_SCALAR ? ds->str : "?", NULL, names);
        diag_error(d, ds, "%s", msg);
        return;
    }
    for (int i = 0; names[i]; i++) len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
    diag_error(d, n, "'%s' needs a 'dataset' (%s)", role, list);
}

/* The keys a source may have when its dataset is missing or unknown: every kind's. */
static void any_source_opts(opt_def *out, int cap)
{
    int n = 0;
    out[0] = (opt_def){0};
    for (const data_kind_def *k = data_kinds; k->name; k++) add_opts(k->opts, 0, out, &n, cap);
    add_opts(subset_opts, 0, out, &n, cap);
}

static void parse_source(diag *d, const ynode *n, const char *role, data_source *src)
{
    memset(src, 0, sizeof *src);
    src->pos = pos_of(n);
    if (schema_expect(d, n, YN_MAP, role) < 0) return;
    const ynode *ds = ymap_get(n, "dataset");
    const data_kind_def *k = ds && ds->kind == YN_SCALAR ? data_kind_find(ds->str) : NULL;
    opt_def opts[64];
    if (k) data_source_opts(k, role, opts, 64);
    else any_source_opts(opts, 64);
    check_source_keys(d, n, role, k, opts);
    if (!k) {
        report_bad_dataset(d, n, role);
        return;
    }
    src->kind = k->kind;
    snprintf(src->split, sizeof src->split, "%s", role);   /* OPT_ROLE_DEF */
    opts_defaults(d, opts, src);
    opts_read_values(d, n, opts, src);
    char who[64];
    snprintf(who, sizeof who, "a %s source", k->name);
    opts_check_required(d, n, who, opts);
    if (k->check) k->check(d, n, src);
}

void parse_data(diag *d, const ynode *top, const ynode *n, data_spec *ds)
{
    if (!n) {
        diag_error(d, top, "the spec has no 'data' section");
        return;
    }
    if (schema_expect(d, n, YN_MAP, "data") < 0) return;
    opts_defaults(d, data_opts, ds);
    opts_read(d, n, "data", data_opts, ds);   /* validation; the sources below */
    const ynode *tr = ymap_get(n, "train"), *te = ymap_get(n, "test");
    if (tr) parse_source(d, tr, "train", &ds->train);
    if (te) parse_source(d, te, "test", &ds->test);
    int images = (ds->train.kind == DS_MNIST || ds->train.kind == DS_FASHION_MNIST) &&
                 (ds->test.kind == DS_MNIST || ds->test.kind == DS_FASHION_MNIST);
    if (images && (ds->train.lo != ds->test.lo || ds->train.hi != ds->test.hi))
        diag_error(d, te, "the test images' range [%g, %g] differs from the training images' [%g, %g]: give both the same range",
                   ds->test.lo, ds->test.hi, ds->train.lo, ds->train.hi);
}
