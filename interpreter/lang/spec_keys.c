/* Reading a spec section through its key table (see spec_keys.h). */
#include "spec_keys.h"
#include "schema.h"
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const opt_def *opts_find(const opt_def *opts, const char *key)
{
    for (int i = 0; opts && opts[i].key; i++)
        if (strcmp(opts[i].key, key) == 0) return &opts[i];
    return NULL;
}

int opts_keys(const opt_def *opts, const opt_def *more, const char **keys, int cap)
{
    int n = 0;
    for (int i = 0; opts && opts[i].key && n < cap - 1; i++)
        if (!(opts[i].flags & OPT_RESOLVED)) keys[n++] = opts[i].key;
    for (int i = 0; more && more[i].key && n < cap - 1; i++)
        if (!(more[i].flags & OPT_RESOLVED)) keys[n++] = more[i].key;
    keys[n] = NULL;
    return n;
}

const choice_def *choice_find(const choice_def *choices, const char *name)
{
    for (int i = 0; choices[i].name; i++)
        if (strcmp(choices[i].name, name) == 0) return &choices[i];
    return NULL;
}

int choices_names(const choice_def *choices, const char **names, int cap)
{
    int n = 0;
    for (int i = 0; choices[i].name && n < cap - 1; i++) names[n++] = choices[i].name;
    names[n] = NULL;
    return n;
}

/* ---- readers of the field types ----------------------------------------------------------- */
int ynode_is_empty(const ynode *v)
{
    return !v || (v->kind == YN_SCALAR && yscalar_is_null(v)) || (v->kind == YN_MAP && v->n == 0);
}

int read_size2(diag *d, const ynode *v, const char *what, long lo, long hi, int *out)
{
    if (v->kind == YN_SEQ && v->n == 2) {
        if (schema_node_int(d, v->items[0], what, lo, hi, &out[0]) < 0) return -1;
        return schema_node_int(d, v->items[1], what, lo, hi, &out[1]);
    }
    if (schema_node_int(d, v, what, lo, hi, &out[0]) < 0) return -1;
    out[1] = out[0];
    return 1;
}

static int read_word(diag *d, const ynode *v, const char *what, const opt_def *o, char *out)
{
    int k, r = schema_node_enum(d, v, what, o->choices, &k);
    if (r > 0) snprintf(out, o->size, "%s", o->choices[k]);
    return r;
}

/* header: true | false | auto (detected from the first line) -> 1 | 0 | -1 */
static int read_header(diag *d, const ynode *v, const char *what, int *out)
{
    if (v->kind == YN_SCALAR && !v->quoted && strcmp(v->str, "auto") == 0) {
        *out = -1;
        return 1;
    }
    if (v->kind != YN_SCALAR || v->quoted || yscalar_bool(v, out) != 0) {
        diag_error(d, v, "%s must be true, false or auto", what);
        return -1;
    }
    return 1;
}

/* betas: [beta1, beta2] into two adjacent doubles */
static int read_betas(diag *d, const ynode *v, const opt_def *o, double *out)
{
    if (v->kind != YN_SEQ || v->n != 2) {
        diag_error(d, v, "%s is a list of two numbers, e.g. [0.9, 0.999]", o->key);
        return -1;
    }
    if (schema_node_double(d, v->items[0], "beta1", o->lo, o->hi, &out[0]) < 0) return -1;
    return schema_node_double(d, v->items[1], "beta2", o->lo, o->hi, &out[1]);
}

/* one number or a list of 1 to size / sizeof(float) of them, each in [lo, hi]; the rest 0 */
static int read_numbers(diag *d, const ynode *v, const char *what, const opt_def *o, float *out)
{
    int cap = (int)(o->size / sizeof *out), n = v->kind == YN_SEQ ? v->n : 1;
    if (v->kind == YN_SEQ && (n < 1 || n > cap)) {
        diag_error(d, v, "%s is a number or a list of 1 to %d numbers, e.g. [1, 0.1]", what, cap);
        return -1;
    }
    for (int i = 0; i < cap; i++) out[i] = 0;
    for (int i = 0; i < n; i++)
        if (schema_node_float(d, v->kind == YN_SEQ ? v->items[i] : v, what, o->lo, o->hi, &out[i]) < 0) return -1;
    return 1;
}

static int read_field(diag *d, const opt_def *o, const ynode *v, const char *what, void *field)
{
    switch (o->type) {
    case OT_INT: return schema_node_int(d, v, what, (long)o->lo, (long)o->hi, field);
    case OT_FLOAT: return schema_node_float(d, v, what, o->lo, o->hi, field);
    case OT_DOUBLE: return schema_node_double(d, v, what, o->lo, o->hi, field);
    case OT_BOOL: return schema_node_bool(d, v, what, field);
    case OT_STR:
    case OT_PATH:
    case OT_LAYER: return schema_node_str(d, v, what, field, o->size);
    case OT_ENUM: return schema_node_enum(d, v, what, o->choices, field);
    case OT_WORD: return read_word(d, v, what, o, field);
    case OT_SIZE2: return read_size2(d, v, what, (long)o->lo, (long)o->hi, field);
    case OT_HEADER: return read_header(d, v, what, field);
    case OT_BETAS: return read_betas(d, v, o, field);
    case OT_NUMBERS: return read_numbers(d, v, what, o, field);
    default:
        diag_error(d, v, "internal: key '%s' has a field but its type has no reader", o->key);
        return -1;
    }
}

int opt_read(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    if (o->read) return o->read(d, o, v, what, base);
    if (o->size) return read_field(d, o, v, what, (char *)base + o->off);
    return 0;
}

/* ---- a section ------------------------------------------------------------------------------ */
void opts_defaults(diag *d, const opt_def *opts, void *base)
{
    for (int i = 0; opts && opts[i].key; i++) {
        const opt_def *o = &opts[i];
        if (!o->def || (!o->read && !o->size)) continue;
        if (o->def[0] == '[' || o->def[0] == '{') {          /* a list or mapping: parse the YAML */
            ynode *v = ydoc_load_string(o->def, "<defaults>", d);
            if (v) opt_read(d, o, v, o->key, base);
            ynode_free(v);
        } else {
            ynode v = {.kind = YN_SCALAR, .file = "<defaults>", .str = (char *)o->def};
            opt_read(d, o, &v, o->key, base);
        }
    }
}

void opts_read_values(diag *d, const ynode *map, const opt_def *opts, void *base)
{
    for (int i = 0; opts && opts[i].key; i++) {
        const ynode *v = ymap_get(map, opts[i].key);
        if (v) opt_read(d, &opts[i], v, opts[i].key, base);
    }
}

int opts_check_required(diag *d, const ynode *map, const char *who, const opt_def *opts)
{
    int missing = 0;
    for (int i = 0; opts && opts[i].key; i++) {
        if (!(opts[i].flags & OPT_REQUIRED) || ymap_get(map, opts[i].key)) continue;
        diag_error(d, map, "%s needs '%s' (%s)", who, opts[i].key, opts[i].doc);
        missing++;
    }
    return missing;
}

void opts_read(diag *d, const ynode *map, const char *ctx, const opt_def *opts, void *base)
{
    const char *keys[64];
    opts_keys(opts, NULL, keys, 64);
    schema_check_keys(d, map, ctx, keys);
    opts_read_values(d, map, opts, base);
    opts_check_required(d, map, ctx, opts);
}

/* ---- defaults and types as text (docs, spec.yaml, the JSON Schema) --------------------------- */
/* The shortest text that reads back as v. */
static void fmt_double(double v, char *buf, size_t len)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void fmt_float(float v, char *buf, size_t len)
{
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, len, "%.*g", p, (double)v);
        if ((float)strtod(buf, NULL) == v) return;
    }
}

/* A field's value as YAML text, for the types a runtime default can have. */
static int fmt_field(const opt_def *o, const void *field, char *buf, size_t len)
{
    const double *dv = field;
    char a[32], b[32];   /* each at most 24 characters */
    switch (o->type) {
    case OT_INT: snprintf(buf, len, "%d", *(const int *)field); return 1;
    case OT_BOOL: snprintf(buf, len, "%s", *(const int *)field ? "true" : "false"); return 1;
    case OT_FLOAT: fmt_float(*(const float *)field, buf, len); return 1;
    case OT_DOUBLE: fmt_double(*dv, buf, len); return 1;
    case OT_ENUM: snprintf(buf, len, "%s", o->choices[*(const int *)field]); return 1;
    case OT_BETAS:
        fmt_double(dv[0], a, sizeof a);
        fmt_double(dv[1], b, sizeof b);
        snprintf(buf, len, "[%s, %s]", a, b);
        return 1;
    default: return 0;
    }
}

int opt_default_text(const opt_def *o, const choice_def *c, const char *role, char *buf, size_t len)
{
    if (o->flags & OPT_ROLE_DEF) {
        if (role) snprintf(buf, len, "%s", role);
        return role != NULL;
    }
    if (o->def) {
        snprintf(buf, len, "%s", o->def);
        return 1;
    }
    if (!c || !c->runtime_defaults || !o->size) return 0;
    alignas(max_align_t) unsigned char base[1024];   /* the runtime's struct (nn_opt_config, nn_init) */
    memset(base, 0, sizeof base);
    c->runtime_defaults(c->id, base);
    return fmt_field(o, base + o->off, buf, len);
}

/* "lo..hi", ">= lo" when hi is only a sanity bound, "" when neither bound matters */
static void range_text(const opt_def *o, char *buf, size_t len)
{
    char lo[32], hi[32];
    fmt_double(o->lo, lo, sizeof lo);
    fmt_double(o->hi, hi, sizeof hi);
    int open_hi = o->hi >= 1e6, open_lo = o->lo <= -1e6;
    if (open_lo && open_hi) buf[0] = 0;
    else if (open_hi) snprintf(buf, len, " >= %s", lo);
    else snprintf(buf, len, " %s..%s", lo, hi);
}

static void choices_text(const char *const *ch, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; ch && ch[i] && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "|" : "", ch[i]);
}

void opt_type_text(const opt_def *o, char *buf, size_t len)
{
    char r[80], ch[256];
    range_text(o, r, sizeof r);
    choices_text(o->choices, ch, sizeof ch);
    switch (o->type) {
    case OT_INT: snprintf(buf, len, "int%s", r); break;
    case OT_FLOAT:
    case OT_DOUBLE: snprintf(buf, len, "number%s", r); break;
    case OT_BOOL: snprintf(buf, len, "true|false"); break;
    case OT_STR: snprintf(buf, len, "text"); break;
    case OT_PATH: snprintf(buf, len, "file"); break;
    case OT_LAYER: snprintf(buf, len, "layer name"); break;
    case OT_LAYERS:
        snprintf(buf, len, (o->flags & OPT_ONE_OK) ? "layer name or list of up to %.0f" : "list of %.0f to %.0f layer names",
                 (o->flags & OPT_ONE_OK) ? o->hi : o->lo, o->hi);
        break;
    case OT_ENUM:
    case OT_WORD: snprintf(buf, len, "%s", ch); break;
    case OT_SIZE2: snprintf(buf, len, "int or [a, b]%s", r); break;
    case OT_PAD2: snprintf(buf, len, "int, [a, b], valid or same"); break;
    case OT_PAD1: snprintf(buf, len, "int, valid or same"); break;
    case OT_SHAPE: snprintf(buf, len, (o->flags & OPT_ONE_OK) ? "size or list of sizes" : "list of sizes"); break;
    case OT_RANGE: snprintf(buf, len, "[lo, hi]"); break;
    case OT_FRACTIONS: snprintf(buf, len, "list of 2 or 3 fractions"); break;
    case OT_CLEAN: snprintf(buf, len, "true, false or list of %s", ch); break;
    case OT_LIST: snprintf(buf, len, "list of %s", ch); break;
    case OT_NAMES: snprintf(buf, len, "list of %.0f to %.0f names", o->lo, o->hi); break;
    case OT_ONE_OR_LIST: snprintf(buf, len, "%s, or a list", ch); break;
    case OT_ACT: snprintf(buf, len, "activation"); break;
    case OT_BETAS: snprintf(buf, len, "[beta1, beta2]%s", r); break;
    case OT_NUMBERS: snprintf(buf, len, "number or list of up to %zu%s", o->size / sizeof(float), r); break;
    case OT_PIECES: snprintf(buf, len, "list of [from_epoch, factor]"); break;
    case OT_HEADER: snprintf(buf, len, "true|false|auto"); break;
    case OT_CHOICE: snprintf(buf, len, "name or {name: {options}}"); break;
    case OT_EXPR: snprintf(buf, len, "layer, call such as D(G), or number"); break;
    case OT_INPUTS: snprintf(buf, len, "shape, or {name: shape, ...}"); break;
    default: snprintf(buf, len, "mapping"); break;
    }
}

void opts_summary(const opt_def *opts, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "{");
    for (int i = 0; opts && opts[i].key && k < len; i++) {
        char def[64];
        int has = opt_default_text(&opts[i], NULL, NULL, def, sizeof def);
        k += (size_t)snprintf(buf + k, len - k, "%s%s%s%s", i ? ", " : "", opts[i].key, has ? ": " : "", has ? def : "");
    }
    if (k < len) snprintf(buf + k, len - k, "}");
}

/* ---- choices ------------------------------------------------------------------------------------ */
static void unknown_choice(diag *d, const ynode *at, const char *what, const char *word, const choice_def *choices)
{
    const char *names[128];
    char msg[1024];
    choices_names(choices, names, 128);
    schema_unknown_msg(msg, sizeof msg, what, word, NULL, names);
    diag_error(d, at, "%s", msg);
}

/* The choice's options: none, a mapping, or (CHOICE_NUMBER) one number for the first. */
static void read_choice_args(diag *d, const choice_def *c, const ynode *args, void *base)
{
    if (ynode_is_empty(args)) return;
    if (args->kind == YN_MAP && c->opts) {
        opts_read(d, args, c->name, c->opts, base);
    } else if (args->kind == YN_SCALAR && (c->flags & CHOICE_NUMBER)) {
        char what[96];
        snprintf(what, sizeof what, "%s %s", c->name, c->opts[0].key);
        opt_read(d, &c->opts[0], args, what, base);
    } else if (c->opts) {
        char keys[512];
        opts_summary(c->opts, keys, sizeof keys);
        diag_error(d, args, "%s takes %s%s", c->name, (c->flags & CHOICE_NUMBER) ? "a number or " : "", keys);
    } else
        diag_error(d, args, "%s takes no options", c->name);
}

const choice_def *choice_read(diag *d, const ynode *n, const char *what, const choice_def *choices, void *base)
{
    const ynode *args = NULL;
    ynode key;
    if (n->kind == YN_MAP && n->n == 1) {
        key = (ynode){.kind = YN_SCALAR, .str = n->keys[0], .file = n->file, .line = n->key_line[0], .col = n->key_col[0]};
        args = n->items[0];
        n = &key;
    } else if (n->kind != YN_SCALAR) {
        diag_error(d, n, "an %s is a name or {NAME: {options}}", what);
        return NULL;
    }
    const choice_def *c = choice_find(choices, n->str);
    if (!c) {
        unknown_choice(d, n, what, n->str, choices);
        return NULL;
    }
    if (c->runtime_defaults) c->runtime_defaults(c->id, base);
    opts_defaults(d, c->opts, base);
    read_choice_args(d, c, args, base);
    return c;
}
