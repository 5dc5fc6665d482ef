/* The model section: input shape, initialisers, penalties and the layer list (with repeat
 * blocks and generated names). */
#include "spec_parse_internal.h"
#include "schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const act_names[] = {"none", "relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh",
                                        "softmax", "log_softmax", NULL};
static const char *const layer_names[] = {"dense", "activation", "dropout", "gaussian_noise", "flatten",
                                          "reshape", "add", "concat", "sample_gaussian", "conv", "conv_transpose",
                                          "maxpool", "avgpool", "global_avgpool", "upsample", "batchnorm",
                                          "masking_noise", "embedding", "max_over", "mean_over", "rnn", "lstm", "gru", "one_hot",
                                          "conv1d", "maxpool1d", NULL};

const char *act_kind_name(act_kind a) { return act_names[a]; }
const char *layer_kind_name(layer_kind k) { return layer_names[k]; }

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
                                              "masking_noise", "embedding", "max_over", "mean_over", "rnn", "lstm", "gru", "one_hot",
                                              "conv1d", "maxpool1d", NULL};
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

/* pad: same for conv1d: PyTorch's padding='same' (stride 1): K - 1 zeros in all, the odd one on
 * the right for an even kernel, so T_out = T. */
static void conv1d_same_pad(diag *d, const ynode *p, layer_spec *l)
{
    if (l->stride != 1) diag_error(d, p, "pad: same needs stride 1 (here %d), as in PyTorch; give the padding as a number", l->stride);
    l->pad[0] = (l->kernel[0] - 1) / 2;
    l->pad[1] = l->kernel[0] - 1 - l->pad[0];
}

/* conv: {filters: 16, kernel: 3, stride: 1, pad: same}; conv_transpose adds output_padding;
 * conv1d: {filters: 128, kernel: 5, stride: 1, pad: valid|same|N} over [T, C] sequences. The
 * three share filters, kernel, stride and pad (valid = 0). */
static void parse_conv(diag *d, const ynode *typ, const char *key, const ynode *v, layer_spec *l)
{
    static const char *const keys[] = {"filters", "kernel", "stride", "pad", NULL};
    static const char *const tkeys[] = {"filters", "kernel", "stride", "pad", "output_padding", NULL};
    int transposed = strcmp(key, "conv_transpose") == 0, one_d = strcmp(key, "conv1d") == 0;
    l->kind = transposed ? LY_CONV_T : one_d ? LY_CONV1D : LY_CONV;
    l->stride = 1;
    if (!v || v->kind != YN_MAP) {
        diag_error(d, v ? v : typ, "%s takes {filters: N, kernel: K, stride: S, pad: P, valid or same}", key);
        return;
    }
    schema_check_keys(d, v, key, transposed ? tkeys : keys);
    if (schema_int(d, v, "filters", 1, 1 << 20, &l->units) == 0) diag_error(d, v, "%s needs 'filters'", key);
    const ynode *k = ymap_get(v, "kernel"), *p = ymap_get(v, "pad"), *op = ymap_get(v, "output_padding");
    if (!k) diag_error(d, v, "%s needs 'kernel'", key);
    else if (one_d) schema_node_int(d, k, "kernel size", 1, 4096, &l->kernel[0]);
    else parse_pair(d, k, "kernel size", 1, l->kernel);
    schema_int(d, v, "stride", 1, 64, &l->stride);
    int is_word = p && p->kind == YN_SCALAR && (strcmp(p->str, "same") == 0 || strcmp(p->str, "valid") == 0);
    if (is_word && strcmp(p->str, "valid") == 0) {
        l->pad[0] = l->pad[1] = 0;
    } else if (is_word && one_d) {
        l->same = 1;
        conv1d_same_pad(d, p, l);
    } else if (is_word) {
        l->same = 1;
        if (transposed) diag_error(d, p, "pad: same is for conv; give conv_transpose its padding");
        else if (l->stride != 1 || l->kernel[0] % 2 == 0 || l->kernel[1] % 2 == 0)
            diag_error(d, p, "pad: same needs stride 1 and an odd kernel (here stride %d, kernel %dx%d)", l->stride,
                       l->kernel[0], l->kernel[1]);
        l->pad[0] = (l->kernel[0] - 1) / 2;
        l->pad[1] = (l->kernel[1] - 1) / 2;
    } else if (p && one_d) {
        if (schema_node_int(d, p, "padding", 0, 4096, &l->pad[0]) >= 0) l->pad[1] = l->pad[0];
    } else if (p)
        parse_pair(d, p, "padding", 0, l->pad);
    if (op && parse_pair(d, op, "output padding", 0, l->out_pad) == 0 && (l->out_pad[0] >= l->stride || l->out_pad[1] >= l->stride))
        diag_error(d, op, "output_padding must be smaller than the stride (%d)", l->stride);
}

/* maxpool: 2 (2x2 windows, stride 2), or {size: 3, stride: 2, pad: 1}; maxpool1d the same
 * over time without padding: 2 or {size: 4, stride: 2} */
static void parse_pool(diag *d, const ynode *typ, const char *key, const ynode *v, layer_spec *l)
{
    int one_d = strcmp(key, "maxpool1d") == 0;
    l->kind = one_d ? LY_MAXPOOL1D : key[0] == 'm' ? LY_MAXPOOL : LY_AVGPOOL;
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
        diag_error(d, v ? v : typ, one_d ? "%s takes a size (2) or {size: 4, stride: 2}" : "%s takes a size (2) or {size: 3, stride: 2, pad: 1}",
                   key);
        return;
    }
    static const char *const keys[] = {"size", "stride", "pad", NULL}, *const keys_1d[] = {"size", "stride", NULL};
    schema_check_keys(d, v, key, one_d ? keys_1d : keys);
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
    } else if (strcmp(key, "conv") == 0 || strcmp(key, "conv_transpose") == 0 || strcmp(key, "conv1d") == 0) {
        parse_conv(d, typ, key, v, l);
    } else if (strcmp(key, "maxpool") == 0 || strcmp(key, "avgpool") == 0 || strcmp(key, "maxpool1d") == 0) {
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
    } else if (strcmp(key, "embedding") == 0) {
        /* embedding: {vocab: 20002, dim: 100, padding_id: 0, vectors: FILE, trainable: true} —
         * token ids in, vectors out; optionally pre-trained (GloVe text) and frozen */
        l->kind = LY_EMBEDDING;
        l->padding_id = -1;
        static const char *const keys[] = {"vocab", "dim", "padding_id", "vectors", "trainable", NULL};
        if (!v || v->kind != YN_MAP) {
            diag_error(d, v ? v : typ, "embedding takes {vocab: V, dim: D, padding_id: 0, vectors: FILE, trainable: true}");
            return;
        }
        schema_check_keys(d, v, "embedding", keys);
        if (schema_int(d, v, "vocab", 1, 1 << 24, &l->vocab) == 0) diag_error(d, v, "embedding needs 'vocab'");
        if (schema_int(d, v, "dim", 1, 1 << 16, &l->units) == 0) diag_error(d, v, "embedding needs 'dim'");
        schema_int(d, v, "padding_id", -1, 1 << 24, &l->padding_id);
        schema_str(d, v, "vectors", l->vectors, sizeof l->vectors);
        int trainable = 1;
        schema_bool(d, v, "trainable", &trainable);
        l->frozen = !trainable;
    } else if (strcmp(key, "one_hot") == 0) {
        /* one_hot: 27 — symbol ids in, 0/1 vectors out (a fixed encoding, no weights) */
        l->kind = LY_ONE_HOT;
        if (!v || v->kind != YN_SCALAR || !v->str[0]) diag_error(d, v ? v : typ, "one_hot takes the number of symbols, e.g. one_hot: 27");
        else schema_node_int(d, v, "one_hot symbols", 1, 1 << 16, &l->units);
    } else if (strcmp(key, "rnn") == 0 || strcmp(key, "lstm") == 0 || strcmp(key, "gru") == 0) {
        /* rnn: {units: 256, act: tanh, output: last, mask: input, bidirectional: false} — fused
         * over time; lstm and gru the same without act. `outs` follows rnn_output_mode. */
        l->kind = key[0] == 'r' ? LY_RNN : key[0] == 'l' ? LY_LSTM : LY_GRU;
        l->rnn_output = RNN_OUT_LAST;
        static const char *const keys[] = {"units", "act", "output", "mask", "bidirectional", NULL};
        static const char *const acts[] = {"tanh", "relu", NULL}, *const outs[] = {"all", "last", "mean", "max", NULL};
        if (!v || v->kind != YN_MAP) {
            diag_error(d, v ? v : typ,
                       "%s takes {units: H, act: tanh|relu (rnn only), output: last|all|mean|max, mask: LAYER, "
                       "bidirectional: true|false}", key);
            return;
        }
        static const char *const gated_keys[] = {"units", "output", "mask", "bidirectional", NULL};
        schema_check_keys(d, v, key, l->kind == LY_RNN ? keys : gated_keys);
        if (schema_int(d, v, "units", 1, 1 << 16, &l->units) == 0) diag_error(d, v, "%s needs 'units'", key);
        schema_enum(d, v, "act", acts, &l->rnn_relu);
        schema_enum(d, v, "output", outs, &l->rnn_output);
        schema_bool(d, v, "bidirectional", &l->rnn_bidir);
        if (schema_str(d, v, "mask", l->mask_from, sizeof l->mask_from) > 0) l->mask_pos = pos_of(ymap_get(v, "mask"));
    } else if (strcmp(key, "max_over") == 0 || strcmp(key, "mean_over") == 0) {
        /* max_over: 0 — the maximum over a per-sample axis (0 = time for [T, D]), removed */
        l->kind = key[1] == 'a' ? LY_MAX_OVER : LY_MEAN_OVER;
        if (v && !(v->kind == YN_SCALAR && !v->str[0])) schema_node_int(d, v, "axis", 0, NN_MAX_DIMS - 2, &l->axis);
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
        static const char *const bare[] = {"flatten", "global_avgpool", "batchnorm", "upsample", "maxpool", "avgpool", "maxpool1d", NULL};
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
        if (l->kind != LY_DENSE && l->kind != LY_CONV && l->kind != LY_CONV_T && l->kind != LY_CONV1D)
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
    int weighted = l->kind == LY_DENSE || l->kind == LY_CONV || l->kind == LY_CONV_T || l->kind == LY_CONV1D ||
                   l->kind == LY_EMBEDDING || layer_is_recurrent(l->kind);
    if (!weighted && (init || binit || ymap_get(n, "bias") || ymap_get(n, "l1") || ymap_get(n, "l2")))
        diag_error(d, n, "init, bias_init, bias, l1 and l2 apply to layers with weights (dense, conv, conv_transpose, conv1d, ...)");
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
        int reserved = strcmp(l->name, "input") == 0 || strcmp(l->name, "target") == 0 || strcmp(l->name, "data") == 0;
        for (int k = 0; k < m->n_inputs; k++) reserved |= strcmp(l->name, m->inputs[k].name) == 0;
        if (reserved)
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "'%s' is reserved (an input) and cannot name a layer", l->name);
        for (int j = 0; j < i; j++)
            if (strcmp(m->layers[j].name, l->name) == 0)
                diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer name '%s' is already used at line %d",
                              l->name, m->layers[j].pos.line);
    }
}

/* A per-sample shape: 784 or [1, 28, 28]. */
static void parse_shape(diag *d, const ynode *in, nn_shape *out)
{
    if (in->kind == YN_SCALAR) {
        out->ndim = 1;
        schema_node_int(d, in, "input size", 1, 1 << 30, &out->d[0]);
    } else if (in->kind == YN_SEQ && in->n >= 1 && in->n <= NN_MAX_DIMS - 1) {
        out->ndim = in->n;
        for (int i = 0; i < in->n; i++) schema_node_int(d, in->items[i], "input size", 1, 1 << 30, &out->d[i]);
    } else
        diag_error(d, in, "an input is the shape of one sample: a list of 1 to %d sizes", NN_MAX_DIMS - 1);
}

/* input: SHAPE (one input named "input") or {NAME: SHAPE, ...} */
static void parse_inputs(diag *d, const ynode *in, model_spec *m)
{
    if (in->kind != YN_MAP) {
        net_input *x = &m->inputs[m->n_inputs++];
        snprintf(x->name, sizeof x->name, "input");
        x->pos = pos_of(in);
        parse_shape(d, in, &x->shape);
        return;
    }
    if (in->n < 1 || in->n > SPEC_MAX_NET_INPUTS) diag_error(d, in, "a net has 1 to %d named inputs", SPEC_MAX_NET_INPUTS);
    for (int i = 0; i < in->n && i < SPEC_MAX_NET_INPUTS; i++) {
        net_input *x = &m->inputs[m->n_inputs++];
        snprintf(x->name, sizeof x->name, "%s", in->keys[i]);
        x->pos = (spec_pos){in->file, in->key_line[i], in->key_col[i]};
        parse_shape(d, in->items[i], &x->shape);
    }
}

/* One net: `model:` (what = "model") or an entry of `nets:`. */
static void parse_net(diag *d, const ynode *n, const char *what, model_spec *m)
{
    static const char *const keys[] = {"input", "layers", "init", "bias_init", "l1", "l2", NULL};
    m->pos = pos_of(n);
    if (schema_expect(d, n, YN_MAP, what) < 0) return;
    schema_check_keys(d, n, what, keys);
    const ynode *in = ymap_get(n, "input");
    if (!in) diag_error(d, n, "%s needs 'input', the shape of one sample, e.g. input: [784]", what);
    else parse_inputs(d, in, m);
    m->init.kind = NN_INIT_TORCH_DEFAULT;
    m->bias_init.kind = NN_INIT_TORCH_DEFAULT;
    const ynode *init = ymap_get(n, "init"), *binit = ymap_get(n, "bias_init");
    if (init) parse_init(d, init, &m->init);
    if (binit) parse_init(d, binit, &m->bias_init);
    schema_float(d, n, "l1", 0, 1e6, &m->l1);
    schema_float(d, n, "l2", 0, 1e6, &m->l2);
    const ynode *layers = ymap_get(n, "layers");
    if (!layers) {
        diag_error(d, n, "%s needs 'layers'", what);
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
    if (m->n_layers == 0) diag_error(d, layers, "%s has no layers", what);
    name_layers(d, m);
}

void parse_model(diag *d, const ynode *top, const ynode *n, model_spec *m)
{
    snprintf(m->name, sizeof m->name, "model");
    if (!n) {
        diag_error(d, top, "the spec has no 'model' section (or 'nets:')");
        return;
    }
    parse_net(d, n, "model", m);
}

void parse_nets(diag *d, const ynode *n, spec *s)
{
    static const char *const reserved[] = {"input", "data", "target", "model", NULL};
    if (schema_expect(d, n, YN_MAP, "nets") < 0) return;
    if (n->n < 1 || n->n > SPEC_MAX_NETS) diag_error(d, n, "nets holds 1 to %d networks", SPEC_MAX_NETS);
    for (int i = 0; i < n->n && s->n_nets < SPEC_MAX_NETS; i++) {
        model_spec *m = &s->nets[s->n_nets++];
        snprintf(m->name, sizeof m->name, "%s", n->keys[i]);
        for (int r = 0; reserved[r]; r++)
            if (strcmp(m->name, reserved[r]) == 0)
                diag_error_at(d, n->file, n->key_line[i], n->key_col[i], "'%s' is reserved and cannot name a net", m->name);
        char what[SPEC_NAME_LEN + 8];
        snprintf(what, sizeof what, "net %s", m->name);
        parse_net(d, n->items[i], what, m);
    }
}
