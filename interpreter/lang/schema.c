/* Typed readers over the YAML tree with positioned errors (see schema.h). */
#include "schema.h"
#include <stdio.h>
#include <string.h>

static int count(const char *const *choices)
{
    int n = 0;
    while (choices[n]) n++;
    return n;
}

void schema_unknown_msg(char *buf, size_t len, const char *what, const char *word, const char *ctx,
                        const char *const *choices)
{
    int n = count(choices);
    const char *close = diag_suggest(word, choices, n);
    size_t k = (size_t)snprintf(buf, len, "unknown %s '%s'", what, word);
    if (ctx && k < len) k += (size_t)snprintf(buf + k, len - k, " in '%s'", ctx);
    if (close) {
        if (k < len) snprintf(buf + k, len - k, " (did you mean '%s'?)", close);
        return;
    }
    if (k < len) k += (size_t)snprintf(buf + k, len - k, " (expected one of: ");
    for (int i = 0; i < n && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", choices[i]);
    if (k < len) snprintf(buf + k, len - k, ")");
}

int schema_check_keys(diag *d, const ynode *map, const char *ctx, const char *const *allowed)
{
    int bad = 0;
    if (!map || map->kind != YN_MAP) return 0;
    for (int i = 0; i < map->n; i++) {
        int ok = 0;
        for (int k = 0; allowed[k]; k++) ok |= strcmp(map->keys[i], allowed[k]) == 0;
        if (ok) continue;
        char msg[1024];
        schema_unknown_msg(msg, sizeof msg, "key", map->keys[i], ctx, allowed);
        diag_error_at(d, map->file, map->key_line[i], map->key_col[i], "%s", msg);
        bad++;
    }
    return bad;
}

static const char *kind_name(yn_kind k)
{
    return k == YN_MAP ? "a mapping" : k == YN_SEQ ? "a list" : "a single value";
}

int schema_expect(diag *d, const ynode *n, yn_kind kind, const char *what)
{
    if (n && n->kind == kind) return 0;
    if (n) diag_error(d, n, "%s must be %s, not %s", what, kind_name(kind), kind_name(n->kind));
    return -1;
}

int schema_node_int(diag *d, const ynode *n, const char *what, long lo, long hi, int *out)
{
    long v;
    if (n->kind != YN_SCALAR || n->quoted || yscalar_int(n, &v) != 0) {
        diag_error(d, n, "%s must be an integer", what);
        return -1;
    }
    if (v < lo || v > hi) {
        diag_error(d, n, "%s must be between %ld and %ld, got %ld", what, lo, hi, v);
        return -1;
    }
    *out = (int)v;
    return 1;
}

int schema_node_double(diag *d, const ynode *n, const char *what, double lo, double hi, double *out)
{
    double v;
    if (n->kind != YN_SCALAR || n->quoted || yscalar_float(n, &v) != 0) {
        diag_error(d, n, "%s must be a number", what);
        return -1;
    }
    if (!(v >= lo && v <= hi)) {
        diag_error(d, n, "%s must be between %g and %g, got %g", what, lo, hi, v);
        return -1;
    }
    *out = v;
    return 1;
}

int schema_node_float(diag *d, const ynode *n, const char *what, double lo, double hi, float *out)
{
    double v;
    int r = schema_node_double(d, n, what, lo, hi, &v);
    if (r > 0) *out = (float)v;
    return r;
}

int schema_node_enum(diag *d, const ynode *n, const char *what, const char *const *choices, int *out)
{
    if (n->kind != YN_SCALAR) {
        diag_error(d, n, "%s must be a single value", what);
        return -1;
    }
    for (int i = 0; choices[i]; i++)
        if (strcmp(n->str, choices[i]) == 0) {
            *out = i;
            return 1;
        }
    char msg[1024];
    schema_unknown_msg(msg, sizeof msg, what, n->str, NULL, choices);
    diag_error(d, n, "%s", msg);
    return -1;
}

int schema_int(diag *d, const ynode *map, const char *key, long lo, long hi, int *out)
{
    const ynode *n = ymap_get(map, key);
    return n ? schema_node_int(d, n, key, lo, hi, out) : 0;
}

int schema_float(diag *d, const ynode *map, const char *key, double lo, double hi, float *out)
{
    const ynode *n = ymap_get(map, key);
    return n ? schema_node_float(d, n, key, lo, hi, out) : 0;
}

int schema_double(diag *d, const ynode *map, const char *key, double lo, double hi, double *out)
{
    const ynode *n = ymap_get(map, key);
    return n ? schema_node_double(d, n, key, lo, hi, out) : 0;
}

int schema_node_bool(diag *d, const ynode *n, const char *what, int *out)
{
    if (n->kind != YN_SCALAR || n->quoted || yscalar_bool(n, out) != 0) {
        diag_error(d, n, "%s must be true or false", what);
        return -1;
    }
    return 1;
}

int schema_node_str(diag *d, const ynode *n, const char *what, char *out, size_t len)
{
    if (n->kind != YN_SCALAR) {
        diag_error(d, n, "%s must be a single value", what);
        return -1;
    }
    if (strlen(n->str) >= len) {
        diag_error(d, n, "%s is too long (at most %zu characters)", what, len - 1);
        return -1;
    }
    snprintf(out, len, "%s", n->str);
    return 1;
}

int schema_bool(diag *d, const ynode *map, const char *key, int *out)
{
    const ynode *n = ymap_get(map, key);
    return n ? schema_node_bool(d, n, key, out) : 0;
}

int schema_str(diag *d, const ynode *map, const char *key, char *out, size_t len)
{
    const ynode *n = ymap_get(map, key);
    return n ? schema_node_str(d, n, key, out, len) : 0;
}

int schema_enum(diag *d, const ynode *map, const char *key, const char *const *choices, int *out)
{
    const ynode *n = ymap_get(map, key);
    return n ? schema_node_enum(d, n, key, choices, out) : 0;
}
