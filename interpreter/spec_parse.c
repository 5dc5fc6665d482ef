/* YAML tree -> validated spec: the schema pass. Every problem is reported (not just the
 * first) with its file:line:column; nothing unknown is ignored. */
#include "spec.h"
#include "nn/expr.h"
#include "nn/ops.h"
#include "schema.h"
#include "spec_merge.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static spec_pos pos_of(const ynode *n) { return (spec_pos){n ? n->file : "", n ? n->line : 0, n ? n->col : 0}; }

static const char *const act_names[] = {"none", "relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh",
                                        "softmax", "log_softmax", NULL};
static const char *const layer_names[] = {"dense", "activation", "dropout", "gaussian_noise", "flatten",
                                          "reshape", "add", "concat", "sample_gaussian", "conv", "conv_transpose",
                                          "maxpool", "avgpool", "global_avgpool", "upsample", "batchnorm",
                                          "masking_noise", NULL};

const char *act_kind_name(act_kind a) { return act_names[a]; }
const char *layer_kind_name(layer_kind k) { return layer_names[k]; }

/* ---- data -------------------------------------------------------------------------------- */
static const char *const dataset_names[] = {"none", "mnist", "fashion_mnist", "csv", "function", "points", NULL};
static const char *const source_keys[] = {"dataset", "split", "path", "header", "label_column", "scale", "expr",
                                          "range", "n", "sampling", "noise", "points", "dim", "first",
                                          "random_subset", "per_class", NULL};

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
    if (schema_enum(d, n, "dataset", dataset_names, &kind) == 0) diag_error(d, n, "'%s' needs a 'dataset' (mnist, fashion_mnist, csv, function, points)", ctx);
    src->kind = (ds_kind)kind;
    const char *def_split = strcmp(ctx, "test") == 0 ? "test" : "train";
    snprintf(src->split, sizeof src->split, "%s", def_split);
    if (schema_str(d, n, "split", src->split, sizeof src->split) > 0 && strcmp(src->split, "train") != 0 &&
        strcmp(src->split, "test") != 0)
        diag_error(d, ymap_get(n, "split"), "split must be 'train' or 'test', not '%s'", src->split);
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

static void parse_data(diag *d, const ynode *top, const ynode *n, data_spec *ds)
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

/* ---- initialisers ------------------------------------------------------------------------- */
static const char *const init_keys[] = {"gain", "mean", "std", "value", "low", "high", NULL};

static int parse_init(diag *d, const ynode *n, nn_init *out)
{
    const ynode *args = NULL;
    const char *name = NULL;
    memset(out, 0, sizeof *out);
    if (n->kind == YN_SCALAR) name = n->str;
    else if (n->kind == YN_MAP && n->n == 1) {
        name = n->keys[0];
        args = n->items[0];
    } else {
        diag_error(d, n, "an initialiser is a name (he_normal) or {name: {options}}");
        return -1;
    }
    int k = nn_init_kind_from_name(name);
    if (k < 0) {
        static const char *const names[] = {"zeros", "constant", "normal", "uniform", "xavier_normal", "xavier_uniform",
                                            "he_normal", "he_uniform", "orthogonal", "lecun_normal", "torch_default", NULL};
        char msg[1024];
        schema_unknown_msg(msg, sizeof msg, "initialiser", name, NULL, names);
        diag_error(d, n, "%s", msg);
        return -1;
    }
    nn_init_defaults((nn_init_kind)k, out);
    if (args && args->kind == YN_MAP) {
        schema_check_keys(d, args, name, init_keys);
        schema_float(d, args, "gain", 0, 1e6, &out->gain);
        schema_float(d, args, "std", 0, 1e6, &out->std);
        schema_float(d, args, "mean", -1e30, 1e30, &out->mean);
        schema_float(d, args, "value", -1e30, 1e30, &out->value);
        schema_float(d, args, "low", -1e30, 1e30, &out->lo);
        schema_float(d, args, "high", -1e30, 1e30, &out->hi);
    } else if (args && args->kind == YN_SCALAR && args->str[0]) {
        /* {constant: 0.1}, {normal: 0.02} */
        schema_node_float(d, args, "initialiser value", -1e30, 1e30, out->kind == NN_INIT_CONSTANT ? &out->value : &out->std);
    }
    return 0;
}

/* ---- layers ------------------------------------------------------------------------------- */
static const char *const layer_type_keys[] = {"dense", "relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh",
                                              "softmax", "log_softmax", "dropout", "gaussian_noise", "flatten",
                                              "reshape", "add", "concat", "sample_gaussian", "conv", "conv_transpose",
                                              "maxpool", "avgpool", "global_avgpool", "upsample", "batchnorm",
                                              "masking_noise", NULL};
static const char *const layer_common_keys[] = {"name", "from", "act", "init", "bias_init", "bias", "l1", "l2", NULL};

static int act_from_name(const char *s)
{
    for (int i = 1; act_names[i]; i++)
        if (strcmp(s, act_names[i]) == 0) return i;
    return -1;
}

/* act param: `leaky_relu: 0.2`, `leaky_relu: {slope: 0.2}`, `elu: {alpha: 1}` */
static void parse_act_args(diag *d, const ynode *v, layer_spec *l)
{
    l->act_param = l->act == ACT_LEAKY_RELU ? 0.01f : 1.0f;
    if (!v || (v->kind == YN_SCALAR && !v->str[0])) return;
    if (v->kind == YN_SCALAR) {
        schema_node_float(d, v, act_names[l->act], -1e6, 1e6, &l->act_param);
        return;
    }
    static const char *const keys[] = {"slope", "alpha", NULL};
    schema_check_keys(d, v, act_names[l->act], keys);
    schema_float(d, v, "slope", -1e6, 1e6, &l->act_param);
    schema_float(d, v, "alpha", -1e6, 1e6, &l->act_param);
}

static void parse_names_list(diag *d, const ynode *v, const char *what, layer_spec *l)
{
    if (v->kind == YN_SCALAR) {
        snprintf(l->from[0], SPEC_NAME_LEN, "%s", v->str);
        l->n_from = 1;
    } else if (v->kind == YN_SEQ && v->n >= 1 && v->n <= SPEC_MAX_FROM) {
        for (int i = 0; i < v->n; i++) {
            if (v->items[i]->kind != YN_SCALAR) diag_error(d, v->items[i], "%s takes layer names", what);
            else snprintf(l->from[i], SPEC_NAME_LEN, "%s", v->items[i]->str);
        }
        l->n_from = v->n;
    } else
        diag_error(d, v, "%s takes a layer name or a list of 1 to %d layer names", what, SPEC_MAX_FROM);
    l->from_pos = pos_of(v);
}

/* A size that is one number (3) or a pair ([3, 5]): kernel sizes, paddings. */
static int parse_pair(diag *d, const ynode *n, const char *what, int lo, int *out)
{
    if (n->kind == YN_SEQ && n->n == 2) {
        if (schema_node_int(d, n->items[0], what, lo, 4096, &out[0]) < 0) return -1;
        return schema_node_int(d, n->items[1], what, lo, 4096, &out[1]) < 0 ? -1 : 0;
    }
    if (schema_node_int(d, n, what, lo, 4096, &out[0]) < 0) return -1;
    out[1] = out[0];
    return 0;
}

/* conv: {filters: 16, kernel: 3, stride: 1, pad: same}; conv_transpose adds output_padding */
static void parse_conv(diag *d, const ynode *typ, const char *key, const ynode *v, layer_spec *l)
{
    static const char *const keys[] = {"filters", "kernel", "stride", "pad", NULL};
    static const char *const tkeys[] = {"filters", "kernel", "stride", "pad", "output_padding", NULL};
    int transposed = strcmp(key, "conv_transpose") == 0;
    l->kind = transposed ? LY_CONV_T : LY_CONV;
    l->stride = 1;
    if (!v || v->kind != YN_MAP) {
        diag_error(d, v ? v : typ, "%s takes {filters: N, kernel: K, stride: S, pad: P or same}", key);
        return;
    }
    schema_check_keys(d, v, key, transposed ? tkeys : keys);
    if (schema_int(d, v, "filters", 1, 1 << 20, &l->units) == 0) diag_error(d, v, "%s needs 'filters'", key);
    const ynode *k = ymap_get(v, "kernel"), *p = ymap_get(v, "pad"), *op = ymap_get(v, "output_padding");
    if (!k) diag_error(d, v, "%s needs 'kernel'", key);
    else parse_pair(d, k, "kernel size", 1, l->kernel);
    schema_int(d, v, "stride", 1, 64, &l->stride);
    if (p && p->kind == YN_SCALAR && strcmp(p->str, "same") == 0) {
        l->same = 1;
        if (transposed) diag_error(d, p, "pad: same is for conv; give conv_transpose its padding");
        else if (l->stride != 1 || l->kernel[0] % 2 == 0 || l->kernel[1] % 2 == 0)
            diag_error(d, p, "pad: same needs stride 1 and an odd kernel (here stride %d, kernel %dx%d)", l->stride,
                       l->kernel[0], l->kernel[1]);
        l->pad[0] = (l->kernel[0] - 1) / 2;
        l->pad[1] = (l->kernel[1] - 1) / 2;
    } else if (p)
        parse_pair(d, p, "padding", 0, l->pad);
    if (op && parse_pair(d, op, "output padding", 0, l->out_pad) == 0 && (l->out_pad[0] >= l->stride || l->out_pad[1] >= l->stride))
        diag_error(d, op, "output_padding must be smaller than the stride (%d)", l->stride);
}

/* maxpool: 2 (2x2 windows, stride 2), or {size: 3, stride: 2, pad: 1} */
static void parse_pool(diag *d, const ynode *typ, const char *key, const ynode *v, layer_spec *l)
{
    l->kind = key[0] == 'm' ? LY_MAXPOOL : LY_AVGPOOL;
    l->kernel[0] = l->kernel[1] = 2;
    if (!v || (v->kind == YN_SCALAR && !v->str[0])) {
        l->stride = 2;
        return;
    }
    if (v->kind == YN_SCALAR) {
        schema_node_int(d, v, "pool size", 1, 4096, &l->kernel[0]);
        l->kernel[1] = l->stride = l->kernel[0];
        return;
    }
    if (v->kind != YN_MAP) {
        diag_error(d, v ? v : typ, "%s takes a size (2) or {size: 3, stride: 2, pad: 1}", key);
        return;
    }
    static const char *const keys[] = {"size", "stride", "pad", NULL};
    schema_check_keys(d, v, key, keys);
    schema_int(d, v, "size", 1, 4096, &l->kernel[0]);
    l->kernel[1] = l->stride = l->kernel[0];
    schema_int(d, v, "stride", 1, 4096, &l->stride);
    schema_int(d, v, "pad", 0, 4096, &l->pad[0]);
    if (l->pad[0] * 2 > l->kernel[0]) diag_error(d, v, "pad must be at most half the window (PyTorch's rule)");
}

static void parse_layer_body(diag *d, const ynode *typ, const char *key, const ynode *v, layer_spec *l)
{
    int a = act_from_name(key);
    if (a > 0) {
        l->kind = LY_ACTIVATION;
        l->act = (act_kind)a;
        parse_act_args(d, v, l);
    } else if (strcmp(key, "dense") == 0) {
        l->kind = LY_DENSE;
        if (v && v->kind == YN_MAP) {
            static const char *const keys[] = {"units", NULL};
            schema_check_keys(d, v, "dense", keys);
            if (schema_int(d, v, "units", 1, 1 << 24, &l->units) == 0) diag_error(d, v, "dense needs 'units'");
        } else if (v)
            schema_node_int(d, v, "dense units", 1, 1 << 24, &l->units);
    } else if (strcmp(key, "dropout") == 0) {
        l->kind = LY_DROPOUT;
        if (v) schema_node_float(d, v, "dropout probability", 0, 0.99, &l->p);
    } else if (strcmp(key, "gaussian_noise") == 0) {
        l->kind = LY_NOISE;
        if (v && v->kind == YN_MAP) {
            static const char *const keys[] = {"sigma", "eval", NULL};
            schema_check_keys(d, v, "gaussian_noise", keys);
            schema_float(d, v, "sigma", 0, 1e6, &l->sigma);
            schema_bool(d, v, "eval", &l->noise_at_eval);
        } else if (v)
            schema_node_float(d, v, "noise sigma", 0, 1e6, &l->sigma);
    } else if (strcmp(key, "flatten") == 0) {
        l->kind = LY_FLATTEN;
    } else if (strcmp(key, "reshape") == 0) {
        l->kind = LY_RESHAPE;
        if (!v || v->kind != YN_SEQ || v->n < 1 || v->n > NN_MAX_DIMS - 1) {
            diag_error(d, v ? v : typ, "reshape takes a per-sample shape of 1 to %d numbers, e.g. [8, 7, 7]", NN_MAX_DIMS - 1);
            return;
        }
        l->shape.ndim = v->n;
        for (int i = 0; i < v->n; i++) schema_node_int(d, v->items[i], "reshape size", 1, 1 << 30, &l->shape.d[i]);
    } else if (strcmp(key, "add") == 0 || strcmp(key, "concat") == 0) {
        l->kind = key[0] == 'a' ? LY_ADD : LY_CONCAT;
        if (!v || v->kind != YN_SEQ || v->n < 2) diag_error(d, v ? v : typ, "%s takes a list of at least 2 layer names", key);
        else parse_names_list(d, v, key, l);
    } else if (strcmp(key, "conv") == 0 || strcmp(key, "conv_transpose") == 0) {
        parse_conv(d, typ, key, v, l);
    } else if (strcmp(key, "maxpool") == 0 || strcmp(key, "avgpool") == 0) {
        parse_pool(d, typ, key, v, l);
    } else if (strcmp(key, "global_avgpool") == 0) {
        l->kind = LY_GLOBAL_AVGPOOL;
    } else if (strcmp(key, "upsample") == 0) {
        l->kind = LY_UPSAMPLE;
        l->factor = 2;
        if (v && !(v->kind == YN_SCALAR && !v->str[0])) schema_node_int(d, v, "upsample factor", 1, 64, &l->factor);
    } else if (strcmp(key, "batchnorm") == 0) {
        l->kind = LY_BATCHNORM;
        l->momentum = 0.1f;
        l->eps = 1e-5f;
        if (v && v->kind == YN_MAP) {
            static const char *const keys[] = {"momentum", "eps", NULL};
            schema_check_keys(d, v, "batchnorm", keys);
            schema_float(d, v, "momentum", 0, 1, &l->momentum);
            schema_float(d, v, "eps", 0, 1, &l->eps);
        } else if (v && !(v->kind == YN_SCALAR && !v->str[0]))
            diag_error(d, v, "batchnorm takes no value or {momentum: 0.1, eps: 1e-5}");
    } else if (strcmp(key, "masking_noise") == 0) {
        l->kind = LY_MASKING_NOISE;
        if (v && v->kind == YN_MAP) {
            static const char *const keys[] = {"p", "eval", NULL};
            schema_check_keys(d, v, "masking_noise", keys);
            schema_float(d, v, "p", 0, 0.99, &l->p);
            schema_bool(d, v, "eval", &l->noise_at_eval);
        } else if (v)
            schema_node_float(d, v, "masking probability", 0, 0.99, &l->p);
    } else if (strcmp(key, "sample_gaussian") == 0) {
        l->kind = LY_SAMPLE_GAUSSIAN;
        static const char *const keys[] = {"mean", "logvar", NULL};
        if (!v || v->kind != YN_MAP) {
            diag_error(d, v ? v : typ, "sample_gaussian takes {mean: LAYER, logvar: LAYER}");
            return;
        }
        schema_check_keys(d, v, "sample_gaussian", keys);
        const ynode *m = ymap_get(v, "mean"), *lv = ymap_get(v, "logvar");
        if (!m || !lv || m->kind != YN_SCALAR || lv->kind != YN_SCALAR) {
            diag_error(d, v, "sample_gaussian needs 'mean' and 'logvar' layer names");
            return;
        }
        snprintf(l->from[0], SPEC_NAME_LEN, "%s", m->str);
        snprintf(l->from[1], SPEC_NAME_LEN, "%s", lv->str);
        l->n_from = 2;
        l->from_pos = pos_of(v);
    }
}

static void layer_defaults(layer_spec *l, const ynode *n)
{
    memset(l, 0, sizeof *l);
    l->pos = pos_of(n);
    l->bias = 1;
    l->l1 = l->l2 = -1;  /* -1: use the model default */
}

static void parse_layer(diag *d, const ynode *n, layer_spec *l)
{
    layer_defaults(l, n);
    if (n->kind == YN_SCALAR) {                     /* "- relu", "- flatten" */
        int a = act_from_name(n->str);
        static const char *const bare[] = {"flatten", "global_avgpool", "batchnorm", "upsample", "maxpool", "avgpool", NULL};
        int is_bare = 0;
        for (int k = 0; bare[k]; k++) is_bare |= strcmp(n->str, bare[k]) == 0;
        if (a < 0 && !is_bare) {
            char msg[1024];
            schema_unknown_msg(msg, sizeof msg, "layer", n->str, NULL, layer_type_keys);
            diag_error(d, n, "%s", msg);
            return;
        }
        parse_layer_body(d, n, n->str, NULL, l);
        if (l->kind == LY_ACTIVATION) parse_act_args(d, NULL, l);
        return;
    }
    if (n->kind != YN_MAP) {
        diag_error(d, n, "a layer is a name (relu) or a mapping ({dense: 64, act: relu})");
        return;
    }
    int type_at = -1;
    for (int i = 0; i < n->n; i++) {
        int is_type = 0, is_common = 0;
        for (int k = 0; layer_type_keys[k]; k++) is_type |= strcmp(n->keys[i], layer_type_keys[k]) == 0;
        for (int k = 0; layer_common_keys[k]; k++) is_common |= strcmp(n->keys[i], layer_common_keys[k]) == 0;
        if (is_type) {
            if (type_at >= 0)
                diag_error_at(d, n->file, n->key_line[i], n->key_col[i], "a layer has one type, but this one has '%s' and '%s'",
                              n->keys[type_at], n->keys[i]);
            type_at = i;
        } else if (!is_common) {
            const char *all[64];
            int m = 0;
            for (int k = 0; layer_type_keys[k]; k++) all[m++] = layer_type_keys[k];
            for (int k = 0; layer_common_keys[k]; k++) all[m++] = layer_common_keys[k];
            all[m] = NULL;
            char msg[1024];
            schema_unknown_msg(msg, sizeof msg, "layer type or key", n->keys[i], NULL, all);
            diag_error_at(d, n->file, n->key_line[i], n->key_col[i], "%s", msg);
        }
    }
    if (type_at < 0) {
        if (!diag_count(d)) diag_error(d, n, "this layer has no type (dense, relu, dropout, reshape, add, ...)");
        return;
    }
    parse_layer_body(d, n, n->keys[type_at], n->items[type_at], l);
    if (schema_str(d, n, "name", l->name, sizeof l->name) > 0) l->named = 1;
    const ynode *from = ymap_get(n, "from");
    if (from) {
        if (l->kind == LY_ADD || l->kind == LY_CONCAT || l->kind == LY_SAMPLE_GAUSSIAN)
            diag_error(d, from, "%s names its inputs itself; 'from' is not allowed here", layer_kind_name(l->kind));
        else
            parse_names_list(d, from, "from", l);
    }
    const ynode *act = ymap_get(n, "act");
    if (act) {
        int a;
        if (l->kind != LY_DENSE && l->kind != LY_CONV && l->kind != LY_CONV_T)
            diag_error(d, act, "'act' applies to dense and convolution layers; use a separate layer here");
        else if (schema_node_enum(d, act, "activation", act_names, &a) > 0) {
            l->act = (act_kind)a;
            parse_act_args(d, NULL, l);
        }
    }
    const ynode *init = ymap_get(n, "init"), *binit = ymap_get(n, "bias_init");
    if (init && parse_init(d, init, &l->init) == 0) l->has_init = 1;
    if (binit && parse_init(d, binit, &l->bias_init) == 0) l->has_bias_init = 1;
    schema_bool(d, n, "bias", &l->bias);
    schema_float(d, n, "l1", 0, 1e6, &l->l1);
    schema_float(d, n, "l2", 0, 1e6, &l->l2);
    int weighted = l->kind == LY_DENSE || l->kind == LY_CONV || l->kind == LY_CONV_T;
    if (!weighted && (init || binit || ymap_get(n, "bias") || ymap_get(n, "l1") || ymap_get(n, "l2")))
        diag_error(d, n, "init, bias_init, bias, l1 and l2 apply to layers with weights (dense, conv, conv_transpose)");
}

/* `- repeat: 8
 *    layers: [...]` is expanded in place; names inside get a _1, _2, ... suffix. */
static int count_layers(const ynode *seq)
{
    int n = 0;
    for (int i = 0; i < seq->n; i++) {
        const ynode *it = seq->items[i];
        const ynode *rep = it->kind == YN_MAP ? ymap_get(it, "repeat") : NULL;
        const ynode *inner = it->kind == YN_MAP ? ymap_get(it, "layers") : NULL;
        long times;
        if (rep && inner && inner->kind == YN_SEQ && yscalar_int(rep, &times) == 0 && times > 0 && times <= 10000)
            n += (int)times * count_layers(inner);
        else
            n++;
    }
    return n;
}

static void parse_layer_list(diag *d, const ynode *seq, model_spec *m, const char *suffix)
{
    for (int i = 0; i < seq->n; i++) {
        const ynode *it = seq->items[i];
        const ynode *rep = it->kind == YN_MAP ? ymap_get(it, "repeat") : NULL;
        if (rep) {
            static const char *const keys[] = {"repeat", "layers", NULL};
            schema_check_keys(d, it, "repeat", keys);
            int times = 0;
            const ynode *inner = ymap_get(it, "layers");
            if (schema_node_int(d, rep, "repeat", 1, 10000, &times) < 0) continue;
            if (!inner || inner->kind != YN_SEQ) {
                diag_error(d, it, "repeat needs a 'layers' list");
                continue;
            }
            for (int t = 1; t <= times; t++) {
                char sfx[32];
                snprintf(sfx, sizeof sfx, "%s_%d", suffix, t);
                parse_layer_list(d, inner, m, sfx);
            }
            continue;
        }
        layer_spec *l = &m->layers[m->n_layers++];
        parse_layer(d, it, l);
        if (l->named && suffix[0]) {
            char nm[SPEC_NAME_LEN];
            snprintf(nm, sizeof nm, "%.40s%s", l->name, suffix);
            snprintf(l->name, sizeof l->name, "%s", nm);
        }
    }
}

static void name_layers(diag *d, model_spec *m)
{
    int count[32] = {0};   /* per layer kind; more than the kinds there are */
    for (int i = 0; i < m->n_layers; i++) {
        layer_spec *l = &m->layers[i];
        if (!l->named) {
            const char *base = l->kind == LY_ACTIVATION ? act_names[l->act] : layer_names[l->kind];
            snprintf(l->name, sizeof l->name, "%s_%d", base, ++count[l->kind]);
        }
        if (strcmp(l->name, "input") == 0 || strcmp(l->name, "target") == 0)
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "'%s' is reserved and cannot name a layer", l->name);
        for (int j = 0; j < i; j++)
            if (strcmp(m->layers[j].name, l->name) == 0)
                diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer name '%s' is already used at line %d",
                              l->name, m->layers[j].pos.line);
    }
}

static void parse_model(diag *d, const ynode *top, const ynode *n, model_spec *m)
{
    static const char *const keys[] = {"input", "layers", "init", "bias_init", "l1", "l2", NULL};
    if (!n) {
        diag_error(d, top, "the spec has no 'model' section");
        return;
    }
    if (schema_expect(d, n, YN_MAP, "model") < 0) return;
    schema_check_keys(d, n, "model", keys);
    const ynode *in = ymap_get(n, "input");
    m->input_pos = pos_of(in ? in : n);
    if (!in) diag_error(d, n, "model needs 'input', the shape of one sample, e.g. input: [784]");
    else if (in->kind == YN_SCALAR) {
        m->input.ndim = 1;
        schema_node_int(d, in, "input size", 1, 1 << 30, &m->input.d[0]);
    } else if (in->kind == YN_SEQ && in->n >= 1 && in->n <= NN_MAX_DIMS - 1) {
        m->input.ndim = in->n;
        for (int i = 0; i < in->n; i++) schema_node_int(d, in->items[i], "input size", 1, 1 << 30, &m->input.d[i]);
    } else
        diag_error(d, in, "input is the shape of one sample: a list of 1 to %d sizes", NN_MAX_DIMS - 1);
    m->init.kind = NN_INIT_TORCH_DEFAULT;
    m->bias_init.kind = NN_INIT_TORCH_DEFAULT;
    const ynode *init = ymap_get(n, "init"), *binit = ymap_get(n, "bias_init");
    if (init) parse_init(d, init, &m->init);
    if (binit) parse_init(d, binit, &m->bias_init);
    schema_float(d, n, "l1", 0, 1e6, &m->l1);
    schema_float(d, n, "l2", 0, 1e6, &m->l2);
    const ynode *layers = ymap_get(n, "layers");
    if (!layers) {
        diag_error(d, n, "model needs 'layers'");
        return;
    }
    if (schema_expect(d, layers, YN_SEQ, "layers") < 0) return;
    int total = count_layers(layers);
    if (total > 100000) {
        diag_error(d, layers, "too many layers (%d)", total);
        return;
    }
    m->layers = calloc((size_t)total + 1, sizeof *m->layers);
    parse_layer_list(d, layers, m, "");
    if (m->n_layers == 0) diag_error(d, layers, "model has no layers");
    name_layers(d, m);
}

/* ---- losses -------------------------------------------------------------------------------- */
static const char *const loss_names[] = {"mse", "l1", "bce_with_logits", "cross_entropy", "kl_normal", NULL};

static void parse_loss_term(diag *d, const ynode *n, loss_spec *l)
{
    memset(l, 0, sizeof *l);
    l->pos = pos_of(n);
    l->weight = 1.0f;
    if (n->kind != YN_MAP || n->n != 1) {
        diag_error(d, n, "a loss term is {KIND: {pred: LAYER, target: ...}} with KIND one of mse, l1, bce_with_logits, "
                         "cross_entropy, kl_normal");
        return;
    }
    int k;
    if (schema_node_enum(d, &(ynode){.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0],
                                     .col = n->key_col[0]},
                         "loss", loss_names, &k) < 0)
        return;
    l->kind = (loss_kind)k;
    const ynode *a = n->items[0];
    if (schema_expect(d, a, YN_MAP, loss_names[k]) < 0) return;
    static const char *const keys[] = {"pred", "target", "reduce", "weight", NULL};
    static const char *const kl_keys[] = {"mean", "logvar", "reduce", "weight", NULL};
    schema_check_keys(d, a, loss_names[k], l->kind == LOSS_KL_NORMAL ? kl_keys : keys);
    static const char *const reduces[] = {"mean", "sum_per_sample", "sum", NULL};
    l->reduce = l->kind == LOSS_KL_NORMAL ? NN_REDUCE_SUM_PER_SAMPLE : NN_REDUCE_MEAN;
    schema_enum(d, a, "reduce", reduces, &l->reduce);
    schema_float(d, a, "weight", -1e9, 1e9, &l->weight);
    if (l->kind == LOSS_KL_NORMAL) {
        if (schema_str(d, a, "mean", l->mean, sizeof l->mean) == 0) diag_error(d, a, "kl_normal needs 'mean' (a layer name)");
        if (schema_str(d, a, "logvar", l->logvar, sizeof l->logvar) == 0) diag_error(d, a, "kl_normal needs 'logvar'");
        l->pred_pos = pos_of(ymap_get(a, "mean"));
        l->target_pos = pos_of(ymap_get(a, "logvar"));
        return;
    }
    if (schema_str(d, a, "pred", l->pred, sizeof l->pred) == 0) diag_error(d, a, "%s needs 'pred' (a layer name)", loss_names[k]);
    snprintf(l->target, sizeof l->target, "target");
    schema_str(d, a, "target", l->target, sizeof l->target);
    l->pred_pos = pos_of(ymap_get(a, "pred") ? ymap_get(a, "pred") : a);
    l->target_pos = pos_of(ymap_get(a, "target") ? ymap_get(a, "target") : a);
}

static void parse_losses(diag *d, const ynode *top, const ynode *n, spec *s)
{
    if (!n) {
        diag_error(d, top, "the spec has no 'loss' section");
        return;
    }
    if (n->kind == YN_SEQ) {
        if (n->n > SPEC_MAX_LOSSES) diag_error(d, n, "at most %d loss terms", SPEC_MAX_LOSSES);
        for (int i = 0; i < n->n && i < SPEC_MAX_LOSSES; i++) parse_loss_term(d, n->items[i], &s->losses[s->n_losses++]);
    } else if (n->kind == YN_MAP && n->n > 1) {
        /* several terms written as one mapping: {mse: {...}, kl_normal: {...}} */
        for (int i = 0; i < n->n && s->n_losses < SPEC_MAX_LOSSES; i++) {
            ynode one = *n;
            one.n = 1;
            one.keys = &n->keys[i];
            one.key_line = &n->key_line[i];
            one.key_col = &n->key_col[i];
            one.items = &n->items[i];
            parse_loss_term(d, &one, &s->losses[s->n_losses++]);
        }
    } else
        parse_loss_term(d, n, &s->losses[s->n_losses++]);
}

/* ---- training ------------------------------------------------------------------------------- */
static void parse_optimizer(diag *d, const ynode *n, train_spec *t)
{
    static const char *const names[] = {"sgd", "adam", "adamw", "rmsprop", NULL};
    const ynode *args = NULL;
    ynode keynode;
    const ynode *namenode = n;
    t->opt_pos = pos_of(n);
    if (n->kind == YN_MAP && n->n == 1) {
        keynode = (ynode){.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0], .col = n->key_col[0]};
        namenode = &keynode;
        args = n->items[0];
    } else if (n->kind != YN_SCALAR) {
        diag_error(d, n, "optimizer is a name (adam) or {NAME: {lr: ..., ...}}");
        return;
    }
    int k;
    if (schema_node_enum(d, namenode, "optimizer", names, &k) < 0) return;
    nn_opt_kind kinds[] = {NN_OPT_SGD, NN_OPT_ADAM, NN_OPT_ADAMW, NN_OPT_RMSPROP};
    nn_opt_defaults(kinds[k], &t->opt);
    if (!args || (args->kind == YN_SCALAR && !args->str[0])) return;
    if (schema_expect(d, args, YN_MAP, names[k]) < 0) return;
    static const char *const sgd_keys[] = {"lr", "momentum", "nesterov", "weight_decay", NULL};
    static const char *const adam_keys[] = {"lr", "betas", "eps", "weight_decay", NULL};
    static const char *const rms_keys[] = {"lr", "alpha", "eps", "momentum", "weight_decay", NULL};
    schema_check_keys(d, args, names[k], k == 0 ? sgd_keys : k == 3 ? rms_keys : adam_keys);
    schema_double(d, args, "lr", 0, 1e6, &t->opt.lr);
    schema_double(d, args, "momentum", 0, 1, &t->opt.momentum);
    schema_bool(d, args, "nesterov", &t->opt.nesterov);
    schema_double(d, args, "weight_decay", 0, 1e6, &t->opt.weight_decay);
    schema_double(d, args, "eps", 0, 1, &t->opt.eps);
    schema_double(d, args, "alpha", 0, 1, &t->opt.alpha);
    const ynode *betas = ymap_get(args, "betas");
    if (betas) {
        if (betas->kind != YN_SEQ || betas->n != 2) diag_error(d, betas, "betas is a list of two numbers, e.g. [0.9, 0.999]");
        else {
            schema_node_double(d, betas->items[0], "beta1", 0, 0.999999, &t->opt.beta1);
            schema_node_double(d, betas->items[1], "beta2", 0, 0.999999, &t->opt.beta2);
        }
    }
    if (t->opt.nesterov && t->opt.momentum <= 0) diag_error(d, args, "nesterov needs momentum > 0");
}

static void parse_schedule(diag *d, const ynode *n, train_spec *t)
{
    static const char *const names[] = {"constant", "step", "exponential", "cosine", "piecewise", NULL};
    nn_schedule *s = &t->sched;
    if (n->kind != YN_MAP || n->n != 1) {
        if (n->kind == YN_SCALAR && strcmp(n->str, "constant") == 0) return;
        diag_error(d, n, "schedule is {step: {every: 5, gamma: 0.1}}, {exponential: {gamma: 0.95}}, {cosine: {min_lr: 0}} "
                         "or {piecewise: [[0, 1.0], [10, 0.1]]}");
        return;
    }
    ynode keynode = {.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0], .col = n->key_col[0]};
    int k;
    if (schema_node_enum(d, &keynode, "schedule", names, &k) < 0) return;
    const ynode *a = n->items[0];
    nn_sched_kind kinds[] = {NN_SCHED_CONSTANT, NN_SCHED_STEP, NN_SCHED_EXPONENTIAL, NN_SCHED_COSINE, NN_SCHED_PIECEWISE};
    s->kind = kinds[k];
    s->gamma = 0.1f;
    if (k == 4) {
        if (a->kind != YN_SEQ || a->n < 1 || a->n > 16) {
            diag_error(d, a, "piecewise is a list of [from_epoch, lr_factor] pairs, at most 16");
            return;
        }
        for (int i = 0; i < a->n; i++) {
            const ynode *p = a->items[i];
            if (p->kind != YN_SEQ || p->n != 2) {
                diag_error(d, p, "each piece is [from_epoch, lr_factor]");
                continue;
            }
            schema_node_int(d, p->items[0], "from_epoch", 0, 1 << 30, &s->piece_epoch[i]);
            schema_node_double(d, p->items[1], "lr_factor", 0, 1e6, &s->piece_factor[i]);
            if (i && s->piece_epoch[i] <= s->piece_epoch[i - 1]) diag_error(d, p, "piece epochs must increase");
        }
        s->n_pieces = a->n;
        return;
    }
    if (k == 0) return;
    if (schema_expect(d, a, YN_MAP, names[k]) < 0) return;
    static const char *const step_keys[] = {"every", "gamma", NULL};
    static const char *const exp_keys[] = {"gamma", NULL};
    static const char *const cos_keys[] = {"min_lr", "epochs", NULL};
    schema_check_keys(d, a, names[k], k == 1 ? step_keys : k == 2 ? exp_keys : cos_keys);
    if (k == 1 && schema_int(d, a, "every", 1, 1 << 30, &s->step_epochs) == 0) diag_error(d, a, "step needs 'every' (epochs)");
    schema_double(d, a, "gamma", 0, 10, &s->gamma);
    schema_double(d, a, "min_lr", 0, 1e6, &s->min_lr);
    schema_int(d, a, "epochs", 1, 1 << 30, &s->total_epochs);
}

static void parse_train(diag *d, const ynode *top, const ynode *n, train_spec *t)
{
    static const char *const keys[] = {"optimizer", "batch", "epochs", "shuffle", "drop_last", "schedule", "warmup",
                                       "clip_grad_norm", "clip_grad_value", "log_every", "limit_batches", "metrics",
                                       "metric_layer", NULL};
    nn_opt_defaults(NN_OPT_ADAM, &t->opt);
    t->batch = 32;
    t->epochs = 1;
    t->shuffle = 1;
    (void)top;
    if (!n) return;   /* every training option has a default */
    if (schema_expect(d, n, YN_MAP, "train") < 0) return;
    schema_check_keys(d, n, "train", keys);
    const ynode *opt = ymap_get(n, "optimizer");
    if (opt) parse_optimizer(d, opt, t);
    schema_int(d, n, "batch", 1, 1 << 20, &t->batch);
    schema_int(d, n, "epochs", 1, 1 << 20, &t->epochs);
    schema_bool(d, n, "shuffle", &t->shuffle);
    schema_bool(d, n, "drop_last", &t->drop_last);
    const ynode *sched = ymap_get(n, "schedule");
    if (sched) parse_schedule(d, sched, t);
    if (t->sched.kind == NN_SCHED_COSINE && !t->sched.total_epochs) t->sched.total_epochs = t->epochs;
    schema_int(d, n, "warmup", 0, 1 << 30, &t->sched.warmup_steps);
    schema_float(d, n, "clip_grad_norm", 0, 1e9, &t->clip_norm);
    schema_float(d, n, "clip_grad_value", 0, 1e9, &t->clip_value);
    schema_int(d, n, "log_every", 0, 1 << 30, &t->log_every);
    schema_int(d, n, "limit_batches", 0, 1 << 30, &t->limit_batches);
    schema_str(d, n, "metric_layer", t->metric_pred, sizeof t->metric_pred);
    const ynode *metrics = ymap_get(n, "metrics");
    if (metrics) {
        static const char *const names[] = {"loss", "accuracy", "rel_l2", NULL};
        if (schema_expect(d, metrics, YN_SEQ, "metrics") == 0)
            for (int i = 0; i < metrics->n; i++) {
                int k;
                if (schema_node_enum(d, metrics->items[i], "metric", names, &k) > 0) {
                    if (k == 1) t->accuracy = 1;
                    if (k == 2) t->rel_l2 = 1;
                }
            }
    }
}

/* ---- report --------------------------------------------------------------------------------- */
static void parse_reports(diag *d, const ynode *n, spec *s)
{
    static const char *const names[] = {"loss_curve", "reconstructions", "embedding", "function_fit", "dead_units",
                                        "confusion_matrix", "filters", "class_examples", "points", "pca_baseline",
                                        NULL};
    static const char *const keys[] = {"layer", "layers", "count", "sigmoid", NULL};
    if (!n) return;
    if (schema_expect(d, n, YN_SEQ, "report") < 0) return;
    for (int i = 0; i < n->n; i++) {
        const ynode *it = n->items[i];
        if (s->n_reports == SPEC_MAX_REPORTS) {
            diag_error(d, it, "at most %d report items", SPEC_MAX_REPORTS);
            return;
        }
        report_spec *r = &s->reports[s->n_reports];
        memset(r, 0, sizeof *r);
        r->pos = pos_of(it);
        r->count = 10;
        int k;
        const ynode *args = NULL;
        if (it->kind == YN_SCALAR) {
            if (schema_node_enum(d, it, "report item", names, &k) < 0) continue;
        } else if (it->kind == YN_MAP && it->n == 1) {
            ynode key = {.kind = YN_SCALAR, .str = it->keys[0], .file = it->file, .line = it->key_line[0], .col = it->key_col[0]};
            if (schema_node_enum(d, &key, "report item", names, &k) < 0) continue;
            args = it->items[0];
        } else {
            diag_error(d, it, "a report item is a name (loss_curve) or {NAME: {options}}");
            continue;
        }
        r->kind = (report_kind)k;
        if (args && args->kind == YN_MAP) {
            schema_check_keys(d, args, names[k], keys);
            schema_str(d, args, "layer", r->layer, sizeof r->layer);
            schema_int(d, args, "count", 1, 1000, &r->count);
            schema_bool(d, args, "sigmoid", &r->sigmoid);
            const ynode *ls = ymap_get(args, "layers");
            if (ls && (ls->kind != YN_SEQ || ls->n < 1 || ls->n > REPORT_MAX_LAYERS))
                diag_error(d, ls, "layers is a list of 1 to %d layer names ('input' included)", REPORT_MAX_LAYERS);
            else if (ls)
                for (int j = 0; j < ls->n; j++)
                    if (ls->items[j]->kind == YN_SCALAR) snprintf(r->layers[r->n_layers++], SPEC_NAME_LEN, "%s", ls->items[j]->str);
        } else if (args && !(args->kind == YN_SCALAR && !args->str[0]))
            diag_error(d, args, "options of %s are a mapping, e.g. {layer: code}", names[k]);
        if ((r->kind == REP_EMBEDDING || r->kind == REP_FILTERS || r->kind == REP_PCA_BASELINE) && !r->layer[0])
            diag_error(d, it, "%s needs {layer: NAME}", names[k]);
        if (r->kind == REP_POINTS && !r->n_layers) diag_error(d, it, "points needs {layers: [input, ...]}");
        s->n_reports++;
    }
}

/* ---- cross-field pass: every name used refers to a layer ------------------------------------ */
static void check_ref(diag *d, const spec *s, const char *name, int upto, spec_pos at, int allow_target)
{
    if (!name[0] || strcmp(name, "input") == 0 || (allow_target && strcmp(name, "target") == 0)) return;
    const model_spec *m = &s->model;
    for (int i = 0; i < upto; i++)
        if (strcmp(m->layers[i].name, name) == 0) return;
    for (int i = upto; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) {
            diag_error_at(d, at.file, at.line, at.col, "layer '%s' comes later in the model; a layer reads earlier ones", name);
            return;
        }
    const char *names[1024];
    int n = 0;
    names[n++] = "input";
    if (allow_target) names[n++] = "target";
    for (int i = 0; i < upto && n < 1023; i++) names[n++] = m->layers[i].name;
    names[n] = NULL;
    char msg[1024];
    schema_unknown_msg(msg, sizeof msg, "layer", name, NULL, names);
    diag_error_at(d, at.file, at.line, at.col, "%s", msg);
}

static void check_references(diag *d, const spec *s)
{
    const model_spec *m = &s->model;
    for (int i = 0; i < m->n_layers; i++)
        for (int k = 0; k < m->layers[i].n_from; k++) check_ref(d, s, m->layers[i].from[k], i, m->layers[i].from_pos, 0);
    for (int k = 0; k < s->n_losses; k++) {
        const loss_spec *l = &s->losses[k];
        check_ref(d, s, l->kind == LOSS_KL_NORMAL ? l->mean : l->pred, m->n_layers, l->pred_pos, 1);
        check_ref(d, s, l->kind == LOSS_KL_NORMAL ? l->logvar : l->target, m->n_layers, l->target_pos, 1);
    }
    for (int k = 0; k < s->n_reports; k++) {
        check_ref(d, s, s->reports[k].layer, m->n_layers, s->reports[k].pos, 0);
        for (int j = 0; j < s->reports[k].n_layers; j++) check_ref(d, s, s->reports[k].layers[j], m->n_layers, s->reports[k].pos, 0);
    }
    check_ref(d, s, s->train.metric_pred, m->n_layers, (spec_pos){s->file, 1, 1}, 0);
}

/* ---- top level ------------------------------------------------------------------------------ */
int spec_find_layer(const spec *s, const char *name)
{
    for (int i = 0; i < s->model.n_layers; i++)
        if (strcmp(s->model.layers[i].name, name) == 0) return i;
    return -1;
}

spec *spec_from_tree(ynode *tree, const char *file, diag *d)
{
    static const char *const keys[] = {"name", "description", "seed", "output", "data", "model", "loss", "train",
                                       "report", "sweep", "nets", "losses", NULL};
    int before = diag_count(d);
    if (schema_expect(d, tree, YN_MAP, "a spec") < 0) return NULL;
    spec *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->tree = tree;
    snprintf(s->file, sizeof s->file, "%s", file);
    schema_check_keys(d, tree, "spec", keys);
    const ynode *nets = ymap_get(tree, "nets");
    if (nets) diag_error(d, nets, "several networks ('nets:') are part of the language (docs/spec.md) but this nnrun runs one 'model' only");
    const ynode *losses = ymap_get(tree, "losses");
    if (losses) diag_error(d, losses, "named loss groups ('losses:') come with 'nets:'; use 'loss:' for one model");
    if (schema_str(d, tree, "name", s->name, sizeof s->name) == 0) {
        const char *base = strrchr(file, '/');
        snprintf(s->name, sizeof s->name, "%.*s", (int)strcspn(base ? base + 1 : file, "."), base ? base + 1 : file);
    }
    int seed = 1;
    schema_int(d, tree, "seed", 0, 2147483647, &seed);
    s->seed = (uint64_t)seed;
    if (schema_str(d, tree, "output", s->out_dir, sizeof s->out_dir) == 0) snprintf(s->out_dir, sizeof s->out_dir, "runs/%s", s->name);
    parse_data(d, tree, ymap_get(tree, "data"), &s->data);
    parse_model(d, tree, ymap_get(tree, "model"), &s->model);
    parse_losses(d, tree, ymap_get(tree, "loss"), s);
    parse_train(d, tree, ymap_get(tree, "train"), &s->train);
    parse_reports(d, ymap_get(tree, "report"), s);
    if (diag_count(d) == before) check_references(d, s);
    if (diag_count(d) > before) {
        s->tree = NULL;
        spec_free(s);
        return NULL;
    }
    return s;
}

ynode *spec_load_tree(const char *file, const char *const *overrides, int n_overrides, diag *d)
{
    ynode *tree = spec_load_resolved(file, d);
    for (int i = 0; tree && i < n_overrides; i++)
        if (spec_apply_set(&tree, overrides[i], d) < 0) {
            ynode_free(tree);
            return NULL;
        }
    return tree;
}

spec *spec_load(const char *file, const char *const *overrides, int n_overrides, diag *d)
{
    ynode *tree = spec_load_tree(file, overrides, n_overrides, d);
    if (!tree) return NULL;
    spec *s = spec_from_tree(tree, file, d);
    if (!s) ynode_free(tree);
    return s;
}

void spec_free(spec *s)
{
    if (!s) return;
    free(s->model.layers);
    ynode_free(s->tree);
    free(s);
}
