/* The data section of a spec: sources, subsets, the validation split. */
#include "nn/expr.h"
#include "spec_parse_internal.h"
#include "schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- data -------------------------------------------------------------------------------- */
static const char *const dataset_names[] = {"none", "mnist", "fashion_mnist", "csv", "function", "points", "imdb", "chars", NULL};
static const char *const source_keys[] = {"dataset", "split", "path", "header", "label_column", "scale", "expr",
                                          "range", "n", "sampling", "noise", "points", "dim", "first",
                                          "random_subset", "per_class", "vocab", "length", "tokens", "keep", "pad",
                                          "clean", "splits", "file", "stride", "fold", NULL};

static int parse_range(diag *d, const ynode *n, double *lo, double *hi)
{
    if (n->kind != YN_SEQ || n->n != 2) {
        diag_error(d, n, "range must be a list of two numbers, e.g. [-1, 1]");
        return -1;
    }
    if (yscalar_float(n->items[0], lo) != 0 || yscalar_float(n->items[1], hi) != 0) {
        diag_error(d, n, "range must be a list of two numbers, e.g. [-1, 1]");
        return -1;
    }
    if (!(*lo < *hi)) {
        diag_error(d, n, "range [%g, %g] is empty: the first number must be smaller", *lo, *hi);
        return -1;
    }
    return 0;
}

/* clean: true (every rule), false (none), or a list of rules: [html, mentions, urls, lower] */
static void parse_clean(diag *d, const ynode *v, int *mask)
{
    static const char *const rules[] = {"html", "mentions", "urls", "lower", NULL};
    if (!v) return;
    if (v->kind != YN_SEQ) {
        int on = 1;
        if (v->kind == YN_SCALAR && (strcmp(v->str, "true") == 0 || strcmp(v->str, "false") == 0)) on = v->str[0] == 't';
        else diag_error(d, v, "clean is true, false or a list of rules: [html, mentions, urls, lower]");
        *mask = on ? CLEAN_ALL : 0;
        return;
    }
    *mask = 0;
    for (int i = 0; i < v->n; i++) {
        int r;
        if (schema_node_enum(d, v->items[i], "clean-up rule", rules, &r) == 1) *mask |= 1 << r;
    }
}

static void parse_source(diag *d, const ynode *n, const char *ctx, data_source *src)
{
    memset(src, 0, sizeof *src);
    src->header = -1;
    src->scale = 1.0f;
    src->lo = -1;
    src->hi = 1;
    src->n = 100;
    src->dim = 2;
    src->pos = pos_of(n);
    if (schema_expect(d, n, YN_MAP, ctx) < 0) return;
    schema_check_keys(d, n, ctx, source_keys);
    int kind = 0;
    if (schema_enum(d, n, "dataset", dataset_names, &kind) == 0) diag_error(d, n, "'%s' needs a 'dataset' (mnist, fashion_mnist, csv, function, points, imdb, chars)", ctx);
    src->kind = (ds_kind)kind;
    const char *def_split = strcmp(ctx, "test") == 0 ? "test" : "train";
    int text_split = src->kind == DS_IMDB || src->kind == DS_CHARS;   /* split by `splits` fractions */
    snprintf(src->split, sizeof src->split, "%s", def_split);
    if (schema_str(d, n, "split", src->split, sizeof src->split) > 0 && strcmp(src->split, "train") != 0 &&
        strcmp(src->split, "test") != 0 && (!text_split || strcmp(src->split, "validation") != 0))
        diag_error(d, ymap_get(n, "split"), "split must be 'train' or 'test'%s, not '%s'",
                   text_split ? " or 'validation'" : "", src->split);
    schema_str(d, n, "path", src->path, sizeof src->path);
    int header;
    if (schema_bool(d, n, "header", &header) > 0) src->header = header;
    src->label_col = 0;
    schema_int(d, n, "label_column", -1, 100000, &src->label_col);
    schema_float(d, n, "scale", -1e30, 1e30, &src->scale);
    const ynode *e = ymap_get(n, "expr");
    if (schema_str(d, n, "expr", src->expr, sizeof src->expr) > 0) src->expr_pos = pos_of(e);
    const ynode *r = ymap_get(n, "range");
    if (r) parse_range(d, r, &src->lo, &src->hi);
    schema_int(d, n, "n", 1, 100000000, &src->n);
    int sampling = 0;
    static const char *const samplings[] = {"grid", "random", NULL};
    if (schema_enum(d, n, "sampling", samplings, &sampling) > 0) src->random = sampling;
    schema_float(d, n, "noise", 0, 1e6, &src->noise);
    static const char *const point_kinds[] = {"parabola", "uniform_cube", "gaussian", NULL};
    int pk = 0;
    if (schema_enum(d, n, "points", point_kinds, &pk) > 0) snprintf(src->points, sizeof src->points, "%s", point_kinds[pk]);
    schema_int(d, n, "dim", 1, 4096, &src->dim);
    src->vocab = 20000;
    src->length = 200;
    src->clean = CLEAN_ALL;
    src->splits[0] = 0.8, src->splits[1] = 0.2, src->n_splits = 2;
    schema_int(d, n, "vocab", 1, 10000000, &src->vocab);
    schema_int(d, n, "length", 1, 100000, &src->length);
    static const char *const tokens[] = {"words", "chars", NULL}, *const keeps[] = {"last", "first", NULL},
                             *const pads[] = {"front", "back", NULL};
    schema_enum(d, n, "tokens", tokens, &src->chars);
    schema_enum(d, n, "keep", keeps, &src->keep_first);
    schema_enum(d, n, "pad", pads, &src->pad_back);
    parse_clean(d, ymap_get(n, "clean"), &src->clean);
    const ynode *sp = ymap_get(n, "splits");
    if (sp) {
        double total = 0;
        if (sp->kind != YN_SEQ || sp->n < 2 || sp->n > 3)
            diag_error(d, sp, "splits is a list of 2 (train, test) or 3 (train, validation, test) fractions");
        else {
            src->n_splits = sp->n;
            for (int i = 0; i < sp->n; i++)
                if (schema_node_double(d, sp->items[i], "split fraction", 0.001, 1, &src->splits[i]) > 0) total += src->splits[i];
            if (total > 1.000001) diag_error(d, sp, "split fractions add up to %g, more than 1", total);
        }
    }
    schema_str(d, n, "file", src->path, sizeof src->path);
    schema_int(d, n, "stride", 1, 100000, &src->stride);
    static const char *const folds[] = {"space", "drop", NULL};
    schema_enum(d, n, "fold", folds, &src->fold_drop);
    if (src->kind == DS_CHARS && strcmp(ctx, "train") == 0 && !src->path[0])
        diag_error(d, n, "a 'chars' dataset needs 'file', e.g. file: data/gutenberg/carroll-alice.txt");
    schema_int(d, n, "first", 1, 100000000, &src->first);
    schema_int(d, n, "random_subset", 1, 100000000, &src->random_subset);
    schema_int(d, n, "per_class", 1, 100000000, &src->per_class);
    if (src->kind == DS_FUNCTION && src->expr[0]) {   /* parse now: errors point into the string */
        char err[512];
        int col = 0;
        nn_expr *ex = nn_expr_parse(src->expr, err, sizeof err, &col);
        if (!ex) diag_error_at(d, e->file, e->line, e->col + (e->quoted ? 1 : 0) + col, "expr: %s", err);
        nn_expr_free(ex);
    }
    if (src->kind == DS_FUNCTION && !src->expr[0]) diag_error(d, n, "a 'function' dataset needs 'expr', e.g. expr: \"1/(1+25*x^2)\"");
    if (src->kind == DS_POINTS && !src->points[0]) diag_error(d, n, "a 'points' dataset needs 'points' (parabola, uniform_cube, gaussian)");
    if (src->kind == DS_CSV && !src->path[0]) diag_error(d, n, "a 'csv' dataset needs 'path'");
}

void parse_data(diag *d, const ynode *top, const ynode *n, data_spec *ds)
{
    static const char *const keys[] = {"train", "test", "validation", NULL};
    if (!n) {
        diag_error(d, top, "the spec has no 'data' section");
        return;
    }
    if (schema_expect(d, n, YN_MAP, "data") < 0) return;
    schema_check_keys(d, n, "data", keys);
    const ynode *tr = ymap_get(n, "train"), *te = ymap_get(n, "test");
    if (!tr) diag_error(d, n, "data needs a 'train' source");
    else parse_source(d, tr, "train", &ds->train);
    if (te) parse_source(d, te, "test", &ds->test);
    schema_float(d, n, "validation", 0, 0.9, &ds->validation_fraction);
}

