/* The model section: input shape, initialisers, penalties and the layer list (with repeat
 * blocks and generated names). Every layer kind, activation and key is a row of
 * layer_table.c; this file walks the YAML with them. */
#include "layer_table.h"
#include "schema.h"
#include "spec_parse_internal.h"
#include "ystrtab.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one layer ---------------------------------------------------------------------------- */
/* A layer's value v (NULL when written bare; typ: the layer, for positions) by the forms and
 * options of its row. 0, or -1 if v has a form the layer does not take (reported). */
static int parse_value(diag *d, const ynode *typ, const char *key, unsigned forms, const opt_def *opts, const ynode *v,
                       layer_spec *l)
{
    opts_defaults(d, opts, l);
    if (ynode_is_empty(v) && (forms & LV_NONE)) return 0;
    if (v && v->kind == YN_MAP && (forms & LV_MAP)) {
        opts_read(d, v, key, opts, l);
        return 0;
    }
    if (!ynode_is_empty(v) && v->kind != YN_MAP && (forms & LV_VALUE)) {   /* {dense: 64}: the first option */
        char what[96];
        snprintf(what, sizeof what, "%s %s", key, opts[0].key);
        opt_read(d, &opts[0], v, what, l);
        return 0;
    }
    char forms_text[640];
    layer_forms_text(forms, opts, forms_text, sizeof forms_text);
    diag_error(d, v ? v : typ, "%s takes %s", key, forms_text);
    return -1;
}

static void unknown_layer(diag *d, const ynode *at, const char *key)
{
    const char *keys[128];
    char msg[1024];
    layer_type_keys(NULL, keys, 128);
    schema_unknown_msg(msg, sizeof msg, "layer", key, NULL, keys);
    diag_error(d, at, "%s", msg);
}

/* The type key and its value v (NULL when written bare): kind and options. */
static void parse_type(diag *d, const ynode *typ, const char *key, const ynode *v, layer_spec *l)
{
    const layer_def *row = layer_def_find(key);
    const act_def *a = row ? NULL : act_def_find(key);
    if (!row && (!a || a->kind == ACT_NONE)) {
        unknown_layer(d, typ, key);
        return;
    }
    if (a) {                                       /* `- relu`, {leaky_relu: 0.2} */
        l->kind = LY_ACTIVATION;
        l->act = a->kind;
        parse_value(d, typ, key, act_forms(a), a->opts, v, l);
        return;
    }
    l->kind = row->kind;
    if (parse_value(d, typ, key, row->forms, row->opts, v, l) == 0 && row->check) row->check(d, v, l);
}

/* Whether a common key applies to this layer; reports it if not (the weight keys once). */
static int common_key_applies(diag *d, const char *key, const ynode *v, const layer_def *row, int *weights_reported)
{
    if (layer_takes_key(row->flags, key)) return 1;
    if (strcmp(key, "from") == 0)
        diag_error(d, v, "%s names its inputs itself; 'from' is not allowed here", row->key);
    else if (strcmp(key, "act") == 0)
        diag_error(d, v, "'act' applies to dense and convolution layers; use a separate layer here");
    else if (!(*weights_reported)++)
        diag_error(d, v, "init, bias_init, bias, l1 and l2 apply to layers with weights (dense, conv, conv_transpose, "
                         "conv1d, embedding, rnn, lstm, gru, attention, transformer_encoder, transformer_decoder)");
    return 0;
}

/* name, from, act, init, bias_init, bias, l1, l2 (layer_common_opts), in that order */
static void parse_common(diag *d, const ynode *n, layer_spec *l)
{
    const layer_def *row = layer_def_of(l->kind);
    int weights_reported = 0;
    for (const opt_def *o = layer_common_opts; o->key; o++) {
        const ynode *v = ymap_get(n, o->key);
        if (v && common_key_applies(d, o->key, v, row, &weights_reported)) opt_read(d, o, v, o->key, l);
    }
    const ynode *bias = ymap_get(n, "bias");
    if (bias && !l->bias && (l->kind == LY_RNN || l->kind == LY_LSTM || l->kind == LY_GRU || l->kind == LY_EMBEDDING))
        diag_error(d, bias, l->kind == LY_EMBEDDING ? "an embedding has no bias to drop"
                                                    : "%s keeps its biases (PyTorch's b_ih and b_hh): bias: false is not supported",
                   row->key);
    int lo = row->flags & LF_FROM_TWO ? 2 : 1, hi = row->flags & (LF_FROM_PAIR | LF_FROM_TWO) ? 2 : 1;
    const ynode *from = ymap_get(n, "from");
    if (from && !(row->flags & LF_OWN_INPUTS) && (l->n_from < lo || l->n_from > hi)) {
        if (lo == hi && lo == 1) diag_error(d, from, "%s reads one layer; from names %d", row->key, l->n_from);
        else if (lo == hi) diag_error(d, from, "%s reads %d layers (from: [%s]); from names %d", row->key, lo,
                                      l->kind == LY_TRANSFORMER_DECODER ? "target sequence, memory" : "...", l->n_from);
        else diag_error(d, from, "%s reads %d to %d layers; from names %d", row->key, lo, hi, l->n_from);
    } else if (!from && lo > 1)
        diag_error(d, n, "%s needs from: with %d layers%s", row->key, lo,
                   l->kind == LY_TRANSFORMER_DECODER ? " ([target sequence, memory]: the encoder's output)" : "");
}

/* The index of the layer's one type key; reports unknown keys and a second type. -1 if none. */
static int find_type_key(diag *d, const ynode *n)
{
    const char *all[128];
    int type_at = -1;
    layer_type_keys(layer_common_opts, all, 128);
    for (int i = 0; i < n->n; i++) {
        const char *key = n->keys[i];
        if (opts_find(layer_common_opts, key)) continue;
        if (!layer_def_find(key) && !act_def_find(key)) {
            char msg[1024];
            schema_unknown_msg(msg, sizeof msg, "layer type or key", key, NULL, all);
            diag_error_at(d, n->file, n->key_line[i], n->key_col[i], "%s", msg);
        } else if (type_at >= 0)
            diag_error_at(d, n->file, n->key_line[i], n->key_col[i], "a layer has one type, but this one has '%s' and '%s'",
                          n->keys[type_at], key);
        else
            type_at = i;
    }
    return type_at;
}

static void layer_defaults(diag *d, layer_spec *l, const ynode *n)
{
    memset(l, 0, sizeof *l);
    l->pos = pos_of(n);
    opts_defaults(d, layer_common_opts, l);
    l->l1 = l->l2 = -1;   /* -1: the model's */
}

static void parse_layer(diag *d, const ynode *n, layer_spec *l)
{
    layer_defaults(d, l, n);
    if (n->kind == YN_SCALAR) {                     /* "- relu", "- flatten" */
        parse_type(d, n, n->str, NULL, l);
        return;
    }
    if (n->kind != YN_MAP) {
        diag_error(d, n, "a layer is a name (relu) or a mapping ({dense: 64, act: relu})");
        return;
    }
    int type_at = find_type_key(d, n);
    if (type_at < 0) {
        if (!diag_count(d)) diag_error(d, n, "this layer has no type (dense, relu, dropout, reshape, add, ...)");
        return;
    }
    parse_type(d, n, n->keys[type_at], n->items[type_at], l);
    parse_common(d, n, l);
}

/* ---- the layer list -------------------------------------------------------------------------- */
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

static void parse_layer_list(diag *d, const ynode *seq, model_spec *m, const char *suffix);

static void parse_repeat(diag *d, const ynode *it, const ynode *rep, model_spec *m, const char *suffix)
{
    static const char *const keys[] = {"repeat", "layers", NULL};
    schema_check_keys(d, it, "repeat", keys);
    int times = 0;
    const ynode *inner = ymap_get(it, "layers");
    if (schema_node_int(d, rep, "repeat", 1, 10000, &times) < 0) return;
    if (!inner || inner->kind != YN_SEQ) {
        diag_error(d, it, "repeat needs a 'layers' list");
        return;
    }
    for (int t = 1; t <= times; t++) {
        char sfx[32];
        snprintf(sfx, sizeof sfx, "%s_%d", suffix, t);
        parse_layer_list(d, inner, m, sfx);
    }
}

static void parse_layer_list(diag *d, const ynode *seq, model_spec *m, const char *suffix)
{
    for (int i = 0; i < seq->n; i++) {
        const ynode *it = seq->items[i];
        const ynode *rep = it->kind == YN_MAP ? ymap_get(it, "repeat") : NULL;
        if (rep) {
            parse_repeat(d, it, rep, m, suffix);
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

/* Unnamed layers get <type>_<n> (n counts per kind); names must be unique (a hash table of the
 * names so far: a net may have thousands of layers) and not reserved. */
static void name_layers(diag *d, model_spec *m)
{
    int count[LAYER_KIND_COUNT] = {0};
    ystrtab seen = {0};
    for (int i = 0; i < m->n_layers; i++) {
        layer_spec *l = &m->layers[i];
        if (!l->named) {
            const char *base = l->kind == LY_ACTIVATION ? act_kind_name(l->act) : layer_kind_name(l->kind);
            snprintf(l->name, sizeof l->name, "%s_%d", base, ++count[l->kind]);
        }
        int reserved = strcmp(l->name, "input") == 0 || strcmp(l->name, "target") == 0 || strcmp(l->name, "data") == 0;
        for (int k = 0; k < m->n_inputs; k++) reserved |= strcmp(l->name, m->inputs[k].name) == 0;
        if (reserved)
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "'%s' is reserved (an input) and cannot name a layer", l->name);
        int first, rc = ystrtab_add(&seen, l->name, i, &first);
        if (rc == 0)
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer name '%s' is already used at line %d",
                          l->name, m->layers[first].pos.line);
        else if (rc < 0)
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "out of memory checking the layer names");
    }
    ystrtab_free(&seen);
}

/* ---- the section ------------------------------------------------------------------------------ */
/* One net: `model:` (what = "model") or an entry of `nets:`. */
static void parse_net(diag *d, const ynode *n, const char *what, model_spec *m)
{
    m->pos = pos_of(n);
    if (schema_expect(d, n, YN_MAP, what) < 0) return;
    opts_defaults(d, model_opts, m);
    opts_read(d, n, what, model_opts, m);   /* input, init, bias_init, l1, l2; layers below */
    const ynode *layers = ymap_get(n, "layers");
    if (!layers || schema_expect(d, layers, YN_SEQ, "layers") < 0) return;
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
