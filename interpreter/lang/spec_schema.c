/* `nnrun schema`: the spec language as a JSON Schema (draft 2020-12), generated from the key
 * tables (spec_tables.h, layer_table.h), so an editor checks and completes specs with what
 * the parser takes.
 *
 * Every table row becomes a property with its description, default and type (emit_value, one
 * case per opt_type); a section is an object of its rows with additionalProperties false;
 * lists of layers, report items and loss terms refer to $defs. A spec file with `extends:` is
 * partial (the parent fills in the rest, maps merge key by key, `~` deletes a key), so the
 * root says: with extends, the partial variant — nothing required in maps reached from the top
 * through maps, and any such value may be null; lists replace the parent's whole, so their
 * items are checked in full. Adding a section: a table row (and, for a new kind of value, an
 * opt_type and its case in emit_value). */
#include "json_write.h"
#include "layer_table.h"
#include "spec_tables.h"
#include <string.h>

/* Choice tables written once under $defs ("optimizer", "optimizer.partial") and referred to. */
static const struct {
    const choice_def *kinds;
    const char *name;
} choice_tables[] = {
    {init_choices, "initialiser"}, {optimizer_choices, "optimizer"}, {schedule_choices, "schedule"},
    {loss_choices, "loss_term"},   {report_choices, "report_item"},
};
#define N_CHOICE_TABLES (sizeof choice_tables / sizeof *choice_tables)

static void emit_value(jw *w, const opt_def *o, int partial);
static void emit_object(jw *w, const opt_def *opts, const choice_def *c, const char *role, int partial);

/* ---- small pieces ------------------------------------------------------------------------------- */
static void ref(jw *w, const char *name, int partial)
{
    char buf[128];
    snprintf(buf, sizeof buf, "#/$defs/%s%s", name, partial ? ".partial" : "");
    jw_string(w, "$ref", buf);
}

static const char *choice_table_name(const choice_def *kinds)
{
    for (size_t i = 0; i < N_CHOICE_TABLES; i++)
        if (choice_tables[i].kinds == kinds) return choice_tables[i].name;
    return "?";
}

static void enum_of(jw *w, const char *const *choices)
{
    jw_array(w, "enum");
    for (int i = 0; choices[i]; i++) jw_string(w, NULL, choices[i]);
    jw_end(w);
}

static void number_in(jw *w, const char *type, double lo, double hi)
{
    jw_string(w, "type", type);
    if (type[0] == 'i') {   /* integer */
        jw_integer(w, "minimum", (long)lo);
        jw_integer(w, "maximum", (long)hi);
    } else {
        jw_number(w, "minimum", lo);
        jw_number(w, "maximum", hi);
    }
}

/* {"type": "array", "items": {...}, "minItems": lo, "maxItems": hi}, items left open */
static void array_begin(jw *w, int lo, int hi)
{
    jw_string(w, "type", "array");
    if (lo > 0) jw_integer(w, "minItems", lo);
    if (hi > 0) jw_integer(w, "maxItems", hi);
    jw_object(w, "items");
}

static void array_of_numbers(jw *w, const char *type, double lo, double hi, int min_items, int max_items)
{
    array_begin(w, min_items, max_items);
    number_in(w, type, lo, hi);
    jw_end(w);
}

static void array_of_enum(jw *w, const char *const *choices, int min_items, int max_items)
{
    array_begin(w, min_items, max_items);
    enum_of(w, choices);
    jw_end(w);
}

/* The default as JSON: the YAML text read as nnrun reads it. */
static void emit_default(jw *w, const char *text)
{
    diag d;
    diag_init(&d);
    ynode *v = ydoc_load_string(text, "<defaults>", &d);
    if (v) jw_ynode(w, "default", v);
    ynode_free(v);
    diag_free(&d);
}

/* ---- the value of each opt_type --------------------------------------------------------------------- */
/* One alternative of a value that may take several forms (members of an open object). */
typedef void (*alt_fn)(jw *w, const opt_def *o);
static void alt_int(jw *w, const opt_def *o) { number_in(w, "integer", o->lo, o->hi); }
static void alt_int_pair(jw *w, const opt_def *o) { array_of_numbers(w, "integer", o->lo, o->hi, 2, 2); }
static void alt_int_list(jw *w, const opt_def *o) { array_of_numbers(w, "integer", o->lo, o->hi, 1, NN_MAX_DIMS - 1); }
static void alt_pad_word(jw *w, const opt_def *o) { (void)o, enum_of(w, (const char *const[]){"valid", "same", NULL}); }
static void alt_auto(jw *w, const opt_def *o) { (void)o, enum_of(w, (const char *const[]){"auto", NULL}); }
static void alt_bool(jw *w, const opt_def *o) { (void)o, jw_string(w, "type", "boolean"); }
static void alt_string(jw *w, const opt_def *o) { (void)o, jw_string(w, "type", "string"); }
static void alt_enum(jw *w, const opt_def *o) { enum_of(w, o->choices); }
static void alt_number_in(jw *w, const opt_def *o) { number_in(w, "number", o->lo, o->hi); }
static void alt_number_list(jw *w, const opt_def *o) { array_of_numbers(w, "number", o->lo, o->hi, 1, (int)(o->size / sizeof(float))); }
static void alt_enum_list(jw *w, const opt_def *o) { array_of_enum(w, o->choices, o->type == OT_CLEAN ? 0 : 1, (int)o->hi); }

static void alt_string_list(jw *w, const opt_def *o)
{
    array_begin(w, (o->flags & OPT_ONE_OK) ? 1 : (int)o->lo, (int)o->hi);
    jw_string(w, "type", "string");
    jw_end(w);
}

/* "anyOf": [a, b(, c)] */
static void any_of(jw *w, const opt_def *o, alt_fn a, alt_fn b, alt_fn c)
{
    alt_fn alts[] = {a, b, c};
    jw_array(w, "anyOf");
    for (int i = 0; i < 3 && alts[i]; i++) {
        jw_object(w, NULL);
        alts[i](w, o);
        jw_end(w);
    }
    jw_end(w);
}

static void emit_pieces(jw *w, const opt_def *o)
{
    array_begin(w, 1, (int)o->hi);
    jw_string(w, "type", "array");
    jw_array(w, "prefixItems");
    jw_object(w, NULL);
    number_in(w, "integer", 0, 1 << 30);
    jw_end(w);
    jw_object(w, NULL);
    number_in(w, "number", 0, 1e6);
    jw_end(w);
    jw_end(w);
    jw_integer(w, "minItems", 2);
    jw_integer(w, "maxItems", 2);
    jw_end(w);
}

/* loss: {KIND: {...}}, {KIND: {...}, KIND: {...}} or [{KIND: {...}}, ...] */
static void emit_terms(jw *w, const opt_def *o, int partial)
{
    jw_array(w, "anyOf");
    jw_object(w, NULL);
    array_begin(w, 1, (int)o->hi);
    ref(w, choice_table_name(o->kinds), 0);   /* a list replaces the parent's: items in full */
    jw_end(w);
    jw_end(w);
    jw_object(w, NULL);
    ref(w, "loss_terms", partial);
    jw_end(w);
    jw_end(w);
}

/* a layer, or a list of layers (what a patch inserts) */
static void emit_layer_or_layers(jw *w, const char *key)
{
    jw_object(w, key);
    jw_string(w, "description", "a layer or a list of layers");
    jw_array(w, "anyOf");
    jw_object(w, NULL);
    ref(w, "layer", 0);
    jw_end(w);
    jw_object(w, NULL);
    ref(w, "layers", 0);
    jw_end(w);
    jw_end(w);
    jw_end(w);
}

/* one edit: {at: NAME, payload: LAYER(S)} (remove has no payload) */
static void emit_patch_edit(jw *w, const char *at, const char *payload)
{
    jw_object(w, NULL);
    jw_string(w, "type", "object");
    jw_object(w, "properties");
    jw_object(w, at);
    jw_string(w, "description", "the name of an inherited layer");
    jw_string(w, "type", "string");
    jw_end(w);
    if (payload) emit_layer_or_layers(w, payload);
    jw_end(w);
    jw_array(w, "required");
    jw_string(w, NULL, at);
    if (payload) jw_string(w, NULL, payload);
    jw_end(w);
    jw_bool(w, "additionalProperties", 0);
    jw_end(w);
}

static void emit_patch(jw *w)
{
    array_begin(w, 0, 0);
    jw_array(w, "oneOf");
    emit_patch_edit(w, "after", "insert");
    emit_patch_edit(w, "before", "insert");
    emit_patch_edit(w, "replace", "with");
    emit_patch_edit(w, "remove", NULL);
    jw_end(w);
    jw_end(w);
}

static void emit_grid(jw *w, const opt_def *o)
{
    jw_string(w, "type", "object");
    jw_integer(w, "minProperties", (long)o->lo);
    jw_integer(w, "maxProperties", (long)o->hi);
    jw_object(w, "additionalProperties");
    jw_string(w, "description", "the values of this key path, one run each");
    jw_string(w, "type", "array");
    jw_integer(w, "minItems", 1);
    jw_end(w);
}

/* nets: {NAME: net} and losses: {NAME: terms}: a mapping of lo to hi names, each value of the
 * row's sub table (a net) or its terms */
static void emit_named(jw *w, const opt_def *o, int partial)
{
    jw_string(w, "type", "object");
    jw_integer(w, "minProperties", partial ? 0 : (long)o->lo);
    jw_integer(w, "maxProperties", (long)o->hi);
    jw_object(w, "additionalProperties");
    if (o->type == OT_NETS) emit_object(w, o->sub, NULL, NULL, partial);
    else {
        opt_def terms = {"", OT_TERMS, 0, SPEC_MAX_LOSSES, NULL, .kinds = o->kinds};
        emit_terms(w, &terms, partial);
    }
    jw_end(w);
}

static void alt_number(jw *w, const opt_def *o) { (void)o, jw_string(w, "type", "number"); }

/* a net's input: a shape, or {NAME: shape, ...} */
static void alt_named_shapes(jw *w, const opt_def *o)
{
    jw_string(w, "type", "object");
    jw_integer(w, "minProperties", 1);
    jw_integer(w, "maxProperties", SPEC_MAX_NET_INPUTS);
    jw_object(w, "additionalProperties");
    any_of(w, o, alt_int, alt_int_list, NULL);
    jw_end(w);
}

/* The members describing a value of o's type (inside an open object). */
static void emit_value(jw *w, const opt_def *o, int partial)
{
    char name[64];
    int one = (o->flags & OPT_ONE_OK) != 0;
    switch (o->type) {
    case OT_INT: alt_int(w, o); break;
    case OT_FLOAT:
    case OT_DOUBLE: number_in(w, "number", o->lo, o->hi); break;
    case OT_BOOL: alt_bool(w, o); break;
    case OT_STR:
    case OT_PATH:
    case OT_LAYER: alt_string(w, o); break;
    case OT_LAYERS: one ? any_of(w, o, alt_string, alt_string_list, NULL) : alt_string_list(w, o); break;
    case OT_ENUM:
    case OT_WORD: alt_enum(w, o); break;
    case OT_SIZE2: any_of(w, o, alt_int, alt_int_pair, NULL); break;
    case OT_PAD2: any_of(w, o, alt_int, alt_int_pair, alt_pad_word); break;
    case OT_PAD1: any_of(w, o, alt_int, alt_pad_word, NULL); break;
    case OT_SHAPE: one ? any_of(w, o, alt_int, alt_int_list, NULL) : alt_int_list(w, o); break;
    case OT_RANGE: array_of_numbers(w, "number", -1e300, 1e300, 2, 2); break;
    case OT_FRACTIONS: array_of_numbers(w, "number", o->lo, o->hi, 2, 3); break;
    case OT_CLEAN: any_of(w, o, alt_bool, alt_enum_list, NULL); break;
    case OT_LIST: array_of_enum(w, o->choices, 0, (int)o->hi); break;
    case OT_NAMES: alt_string_list(w, o); break;
    case OT_ONE_OR_LIST: any_of(w, o, alt_enum, alt_enum_list, NULL); break;
    case OT_ACT: ref(w, "activation", 0); break;
    case OT_BETAS: array_of_numbers(w, "number", o->lo, o->hi, 2, 2); break;
    case OT_NUMBERS: any_of(w, o, alt_number_in, alt_number_list, NULL); break;
    case OT_PIECES: emit_pieces(w, o); break;
    case OT_HEADER: any_of(w, o, alt_bool, alt_auto, NULL); break;
    case OT_SECTION: emit_object(w, o->sub, NULL, NULL, partial); break;
    case OT_CHOICE: ref(w, choice_table_name(o->kinds), partial); break;
    case OT_CHOICE_LIST:
        array_begin(w, 0, (int)o->hi);
        ref(w, choice_table_name(o->kinds), 0);   /* a list replaces the parent's: items in full */
        jw_end(w);
        break;
    case OT_TERMS: emit_terms(w, o, partial); break;
    case OT_SOURCE:
        snprintf(name, sizeof name, "source.%s", o->key);
        ref(w, name, partial);
        break;
    case OT_LAYER_LIST: ref(w, "layers", 0); break;
    case OT_PATCH: emit_patch(w); break;
    case OT_GRID: emit_grid(w, o); break;
    case OT_RESERVED:   /* any value is an error */
        jw_object(w, "not");
        jw_end(w);
        break;
    case OT_EXPR: any_of(w, o, alt_string, alt_number, NULL); break;
    case OT_INPUTS: any_of(w, o, alt_int, alt_int_list, alt_named_shapes); break;
    case OT_NETS:
    case OT_GROUPS: emit_named(w, o, partial); break;
    case OT_STEPS:
        array_begin(w, (int)o->lo, (int)o->hi);
        emit_object(w, o->sub, NULL, NULL, 0);   /* a list replaces the parent's: items in full */
        jw_end(w);
        break;
    }
}

/* ---- rows and sections ------------------------------------------------------------------------------ */
static void emit_property(jw *w, const opt_def *o, const choice_def *c, const char *role, int partial)
{
    char def[256];
    jw_object(w, o->key);
    jw_string(w, "description", o->doc);
    if (opt_default_text(o, c, role, def, sizeof def)) emit_default(w, def);
    if (partial) {   /* a child may delete the key (~) */
        jw_array(w, "anyOf");
        jw_object(w, NULL);
        jw_string(w, "type", "null");
        jw_end(w);
        jw_object(w, NULL);
    }
    emit_value(w, o, partial);
    if (partial) {
        jw_end(w);
        jw_end(w);
    }
    jw_end(w);
}

static void emit_required(jw *w, const opt_def *opts, const char *first)
{
    jw_array(w, "required");
    if (first) jw_string(w, NULL, first);
    for (const opt_def *o = opts; o && o->key; o++)
        if (o->flags & OPT_REQUIRED) jw_string(w, NULL, o->key);
    jw_end(w);
}

/* A mapping of the rows opts (inside an open object). c: the choice they belong to (its
 * runtime defaults); role: a data source's. */
static void emit_object(jw *w, const opt_def *opts, const choice_def *c, const char *role, int partial)
{
    jw_string(w, "type", "object");
    jw_object(w, "properties");
    for (const opt_def *o = opts; o && o->key; o++) emit_property(w, o, c, role, partial);
    jw_end(w);
    if (!partial) emit_required(w, opts, NULL);
    jw_bool(w, "additionalProperties", 0);
}

/* ---- $defs: layers ------------------------------------------------------------------------------------ */
/* A layer's value: nothing, one value (its first option), a mapping of its options. */
static void emit_layer_value(jw *w, const char *key, const char *doc, unsigned forms, const opt_def *opts)
{
    jw_object(w, key);
    jw_string(w, "description", doc);
    jw_array(w, "anyOf");
    if (forms & LV_NONE) {
        jw_object(w, NULL);
        jw_string(w, "type", "null");
        jw_end(w);
    }
    if (forms & LV_VALUE) {
        jw_object(w, NULL);
        jw_string(w, "description", opts[0].doc);
        emit_value(w, &opts[0], 0);
        jw_end(w);
    }
    if (forms & LV_MAP) {
        jw_object(w, NULL);
        emit_object(w, opts, NULL, NULL, 0);
        jw_end(w);
    }
    jw_end(w);
    jw_end(w);
}

/* "layer.KEY": {KEY: value, and the common keys the layer takes} */
static void emit_layer_def(jw *w, const char *key, const char *doc, unsigned forms, unsigned flags, const opt_def *opts)
{
    char name[64];
    snprintf(name, sizeof name, "layer.%s", key);
    jw_object(w, name);
    jw_string(w, "description", doc);
    jw_string(w, "type", "object");
    jw_object(w, "properties");
    emit_layer_value(w, key, doc, forms, opts);
    for (const opt_def *o = layer_common_opts; o->key; o++)
        if (layer_takes_key(flags, o->key)) emit_property(w, o, NULL, NULL, 0);
    jw_end(w);
    jw_array(w, "required");
    jw_string(w, NULL, key);
    jw_end(w);
    jw_bool(w, "additionalProperties", 0);
    jw_end(w);
}

static void emit_repeat_def(jw *w)
{
    jw_object(w, "repeat");
    jw_string(w, "description", "a block of layers repeated N times (names inside get _1, _2, ...)");
    jw_string(w, "type", "object");
    jw_object(w, "properties");
    jw_object(w, "repeat");
    jw_string(w, "description", "how many times");
    number_in(w, "integer", 1, 10000);
    jw_end(w);
    jw_object(w, "layers");
    ref(w, "layers", 0);
    jw_end(w);
    jw_end(w);
    jw_array(w, "required");
    jw_string(w, NULL, "repeat");
    jw_string(w, NULL, "layers");
    jw_end(w);
    jw_bool(w, "additionalProperties", 0);
    jw_end(w);
}

/* "layer": a bare name, one of the layer.* mappings, or a repeat block */
static void emit_layer_choice(jw *w)
{
    const char *keys[128];
    int n = layer_type_keys(NULL, keys, 128);
    jw_object(w, "layer");
    jw_string(w, "description", "a layer: its type alone (- flatten) or a mapping with one type key ({dense: 64, act: relu})");
    jw_array(w, "oneOf");
    jw_object(w, NULL);
    jw_array(w, "enum");
    for (int i = 0; i < n; i++) {
        const layer_def *l = layer_def_find(keys[i]);
        const act_def *a = l ? NULL : act_def_find(keys[i]);
        if ((l ? l->forms : act_forms(a)) & LV_NONE) jw_string(w, NULL, keys[i]);
    }
    jw_end(w);
    jw_end(w);
    for (int i = 0; i < n; i++) {
        char name[64];
        jw_object(w, NULL);
        snprintf(name, sizeof name, "layer.%s", keys[i]);
        ref(w, name, 0);
        jw_end(w);
    }
    jw_object(w, NULL);
    ref(w, "repeat", 0);
    jw_end(w);
    jw_end(w);
    jw_end(w);
}

static void emit_layer_defs(jw *w)
{
    jw_object(w, "layers");
    jw_string(w, "description", "layers, in order; each reads the one before unless it says from:");
    array_begin(w, 0, 0);
    ref(w, "layer", 0);
    jw_end(w);
    jw_end(w);
    emit_layer_choice(w);
    emit_repeat_def(w);
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        const layer_def *l = layer_def_of((layer_kind)k);
        if (!(l->flags & LF_BY_ACT)) emit_layer_def(w, l->key, l->doc, l->forms, l->flags, l->opts);
        for (int a = ACT_NONE + 1; (l->flags & LF_BY_ACT) && a < ACT_KIND_COUNT; a++) {
            const act_def *act = act_def_of((act_kind)a);
            emit_layer_def(w, act->name, act->doc, act_forms(act), 0, act->opts);
        }
    }
    jw_object(w, "activation");
    jw_string(w, "description", "an activation");
    jw_array(w, "enum");
    for (int a = 0; a < ACT_KIND_COUNT; a++) jw_string(w, NULL, act_def_of((act_kind)a)->name);
    jw_end(w);
    jw_end(w);
}

/* ---- $defs: choices and data sources ------------------------------------------------------------------- */
/* The value of {NAME: value} for choice c: null (unless options are required), one number or
 * a list (CHOICE_NUMBER, CHOICE_LIST), or a mapping of its options. */
static void emit_choice_value(jw *w, const choice_def *c, int partial)
{
    int required = 0;
    for (const opt_def *o = c->opts; o && o->key; o++) required |= (o->flags & OPT_REQUIRED) != 0;
    jw_object(w, c->name);
    jw_string(w, "description", c->doc);
    jw_array(w, "anyOf");
    if (!required || partial) {
        jw_object(w, NULL);
        jw_string(w, "type", "null");
        jw_end(w);
    }
    if (c->opts && (c->flags & (CHOICE_NUMBER | CHOICE_LIST))) {
        jw_object(w, NULL);
        emit_value(w, &c->opts[0], 0);
        jw_end(w);
    }
    if (c->opts && !(c->flags & CHOICE_LIST)) {
        jw_object(w, NULL);
        emit_object(w, c->opts, c, NULL, partial);
        jw_end(w);
    }
    jw_end(w);
    jw_end(w);
}

/* {NAME: value} with NAME one of kinds that have every flag of `only` (max: at most that many
 * names at once; 0: any) */
static void emit_choice_object(jw *w, const choice_def *kinds, unsigned only, int partial, int max)
{
    jw_string(w, "type", "object");
    jw_integer(w, "minProperties", 1);
    if (max) jw_integer(w, "maxProperties", max);
    jw_object(w, "properties");
    for (const choice_def *c = kinds; c->name; c++)
        if ((c->flags & only) == only) emit_choice_value(w, c, partial);
    jw_end(w);
    jw_bool(w, "additionalProperties", 0);
}

/* "$defs/NAME": one of kinds that have every flag of `only`, by its name alone (CHOICE_BARE) or
 * as {NAME: value} */
static void emit_choice_def(jw *w, const char *name, const choice_def *kinds, unsigned only, int partial)
{
    char full[64];
    const char *bare[64];
    int n = 0;
    snprintf(full, sizeof full, "%s%s", name, partial ? ".partial" : "");
    for (const choice_def *c = kinds; c->name && n < 63; c++)
        if ((c->flags & CHOICE_BARE) && (c->flags & only) == only) bare[n++] = c->name;
    bare[n] = NULL;
    jw_object(w, full);
    jw_array(w, "anyOf");
    if (n) {
        jw_object(w, NULL);
        enum_of(w, bare);
        jw_end(w);
    }
    jw_object(w, NULL);
    emit_choice_object(w, kinds, only, partial, 1);
    jw_end(w);
    jw_end(w);
    jw_end(w);
}

/* One kind of data source: dataset: NAME and its keys in role. */
static void emit_source_kind(jw *w, const data_kind_def *k, const char *role, int partial)
{
    opt_def opts[64];
    data_source_opts(k, role, opts, 64);
    jw_object(w, NULL);
    jw_string(w, "description", k->doc);
    jw_string(w, "type", "object");
    jw_object(w, "properties");
    jw_object(w, "dataset");
    jw_string(w, "description", k->doc);
    jw_string(w, "const", k->name);
    jw_end(w);
    for (const opt_def *o = opts; o->key; o++) emit_property(w, o, NULL, role, partial);
    jw_end(w);
    if (!partial) emit_required(w, opts, "dataset");
    jw_bool(w, "additionalProperties", 0);
    jw_end(w);
}

static void emit_source_def(jw *w, const char *role, int partial)
{
    char name[64];
    snprintf(name, sizeof name, "source.%s%s", role, partial ? ".partial" : "");
    jw_object(w, name);
    jw_string(w, "description", "a data source: {dataset: KIND, its keys}");
    jw_array(w, partial ? "anyOf" : "oneOf");   /* partial: dataset may come from the parent */
    for (const data_kind_def *k = data_kinds; k->name; k++) emit_source_kind(w, k, role, partial);
    jw_end(w);
    jw_end(w);
}

static void emit_defs(jw *w)
{
    jw_object(w, "$defs");
    emit_layer_defs(w);
    for (int partial = 0; partial <= 1; partial++) {
        for (size_t i = 0; i < N_CHOICE_TABLES; i++) emit_choice_def(w, choice_tables[i].name, choice_tables[i].kinds, 0, partial);
        emit_choice_def(w, "data_report_item", report_choices, CHOICE_DATA, partial);
        jw_object(w, partial ? "loss_terms.partial" : "loss_terms");
        jw_string(w, "description", "one or several loss terms in one mapping");
        emit_choice_object(w, loss_choices, 0, partial, 0);
        jw_end(w);
        emit_source_def(w, "train", partial);
        emit_source_def(w, "test", partial);
    }
    jw_end(w);
}

/* {"required": [key]} */
static void required_key(jw *w, const char *key)
{
    jw_object(w, NULL);
    jw_array(w, "required");
    jw_string(w, NULL, key);
    jw_end(w);
    jw_end(w);
}

/* A spec that trains: model or nets, loss or losses. */
static void emit_training_spec(jw *w)
{
    const char *const either[2][2] = {{"model", "nets"}, {"loss", "losses"}};
    jw_object(w, NULL);
    jw_string(w, "description", "a spec that trains: a network (model or nets) and its loss (loss or losses)");
    jw_array(w, "allOf");
    for (int i = 0; i < 2; i++) {
        jw_object(w, NULL);
        jw_array(w, "oneOf");
        for (int k = 0; k < 2; k++) required_key(w, either[i][k]);
        jw_end(w);
        jw_end(w);
    }
    jw_end(w);
    jw_end(w);
}

/* A data study: none of the keys of a spec that trains, and one or more data reports. */
static void emit_data_study(jw *w)
{
    jw_object(w, NULL);
    jw_string(w, "description", "a data study: no network, only reports that read the data alone");
    jw_object(w, "not");
    jw_array(w, "anyOf");
    for (const opt_def *o = spec_top_opts; o->key; o++)
        if (o->flags & OPT_PROGRAM) required_key(w, o->key);
    jw_end(w);
    jw_end(w);
    jw_array(w, "required");
    jw_string(w, NULL, "report");
    jw_end(w);
    jw_object(w, "properties");
    jw_object(w, "report");
    array_begin(w, 1, SPEC_MAX_REPORTS);
    ref(w, "data_report_item", 0);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
}

void spec_json_schema(FILE *out)
{
    jw w;
    jw_init(&w, out);
    jw_object(&w, NULL);
    jw_string(&w, "$schema", "https://json-schema.org/draft/2020-12/schema");
    jw_string(&w, "title", "nnrun spec");
    jw_string(&w, "description", "One deep-learning experiment: data, model, loss, training, report (docs/spec.md). "
                                 "Generated by `nnrun schema` from the tables the parser reads.");
    jw_string(&w, "type", "object");
    jw_object(&w, "if");
    jw_array(&w, "required");
    jw_string(&w, NULL, "extends");
    jw_end(&w);
    jw_end(&w);
    jw_object(&w, "then");
    jw_string(&w, "description", "a child spec: merged over its parent, so every key is optional");
    emit_object(&w, spec_top_opts, NULL, NULL, 1);
    jw_end(&w);
    jw_object(&w, "else");
    emit_object(&w, spec_top_opts, NULL, NULL, 0);
    jw_array(&w, "anyOf");   /* a whole spec: one that trains, or a data study */
    emit_training_spec(&w);
    emit_data_study(&w);
    jw_end(&w);
    jw_end(&w);
    emit_defs(&w);
    jw_end(&w);
    jw_finish(&w);
}
