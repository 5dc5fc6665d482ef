/* `extends:` — a spec names a parent; the child is deep-merged over it. */
#include "spec_merge.h"
#include "spec_tables.h"
#include "nn/regular_file.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- deep merge ----------------------------------------------------------------------- */
/* {dataset: csv, ...} over {dataset: function, expr: ..., n: ...}: a data source naming
 * another dataset keeps only the inherited keys that dataset takes (a key of the old kind
 * would otherwise be an error the child cannot see). The new kind, or NULL. */
static const data_kind_def *other_dataset(const ynode *parent, const ynode *child)
{
    const ynode *p = ymap_get(parent, "dataset"), *c = ymap_get(child, "dataset");
    if (!p || !c || p->kind != YN_SCALAR || c->kind != YN_SCALAR || strcmp(p->str, c->str) == 0) return NULL;
    return data_kind_find(c->str);
}

static int dataset_takes(const data_kind_def *k, const char *key)
{
    opt_def opts[64];
    data_source_opts(k, "train", opts, 64);   /* the train role takes every key of the kind */
    return strcmp(key, "dataset") == 0 || opts_find(opts, key) != NULL;
}

static ynode *merge_maps(const ynode *parent, const ynode *child)
{
    ynode *out = ynode_new_map(child->file, child->line, child->col);
    const data_kind_def *switched = other_dataset(parent, child);
    if (!out) return NULL;
    for (int i = 0; i < parent->n; i++) {                 /* parent's keys keep their order */
        int ci = ymap_index(child, parent->keys[i]);
        const ynode *from = ci >= 0 ? child : parent;
        int k = ci >= 0 ? ci : i;
        if (ci >= 0 && yscalar_is_null(child->items[ci])) continue;   /* `key: ~` deletes */
        if (ci < 0 && switched && !dataset_takes(switched, parent->keys[i])) continue;
        ynode *v = ci >= 0 ? spec_merge(parent->items[i], child->items[ci]) : ynode_clone(parent->items[i]);
        if (!v || ymap_set(out, from->keys[k], v, from->key_line[k], from->key_col[k]) < 0) goto oom;
    }
    for (int i = 0; i < child->n; i++) {                  /* then the child's new keys */
        if (ymap_index(parent, child->keys[i]) >= 0 || yscalar_is_null(child->items[i])) continue;
        ynode *v = ynode_clone(child->items[i]);
        if (!v || ymap_set(out, child->keys[i], v, child->key_line[i], child->key_col[i]) < 0) goto oom;
    }
    return out;
oom:
    ynode_free(out);
    return NULL;
}

/* {adam: {...}} over {sgd: {...}}: a one-key map names a choice (optimizer, loss, schedule,
 * initialiser), so a different choice replaces the parent's instead of merging into it. */
static int other_choice(const ynode *parent, const ynode *child)
{
    return parent->n == 1 && child->n == 1 && strcmp(parent->keys[0], child->keys[0]) != 0;
}

ynode *spec_merge(const ynode *parent, const ynode *child)
{
    if (parent && child && parent->kind == YN_MAP && child->kind == YN_MAP && !other_choice(parent, child))
        return merge_maps(parent, child);
    return ynode_clone(child ? child : parent);
}

/* ---- extends chain -------------------------------------------------------------------- */
typedef struct {
    const char *shown[SPEC_MAX_EXTENDS];   /* paths as resolved, for messages */
    char *real[SPEC_MAX_EXTENDS];          /* canonical paths, to detect cycles */
    int n;
} chain;

static char *canonical(const char *path)
{
    char buf[PATH_MAX];
    return strdup(realpath(path, buf) ? buf : path);
}

/* name relative to the directory of the file that names it. */
static char *parent_path(const char *child_file, const char *name)
{
    const char *slash = strrchr(child_file, '/');
    size_t dir = (name[0] == '/' || !slash) ? 0 : (size_t)(slash - child_file) + 1;
    char *p = malloc(dir + strlen(name) + 1);
    if (!p) return NULL;
    memcpy(p, child_file, dir);
    strcpy(p + dir, name);
    return p;
}

static void report_cycle(diag *d, const ynode *root, int key, const chain *c, int from, const char *again)
{
    size_t len = strlen(again) + 32;
    for (int i = from; i < c->n; i++) len += strlen(c->shown[i]) + 4;
    char *msg = malloc(len);
    if (!msg) { diag_error(d, root, "extends cycle"); return; }
    strcpy(msg, "extends cycle: ");
    for (int i = from; i < c->n; i++) {
        strcat(msg, c->shown[i]);
        strcat(msg, " -> ");
    }
    strcat(msg, again);
    diag_add(d, DIAG_ERROR, root->file, root->key_line[key], root->key_col[key], msg);
    free(msg);
}

static ynode *resolve(ynode *root, chain *c, diag *d);

/* Opens, checks and loads the parent named by root's extends key (index key); NULL on error. */
static ynode *load_parent(const ynode *root, int key, chain *c, diag *d)
{
    const ynode *v = root->items[key];
    if (v->kind != YN_SCALAR || yscalar_is_null(v)) {
        diag_error(d, v, "'extends' must be the file name of a parent spec, e.g. extends: base.yaml");
        return NULL;
    }
    if (c->n >= SPEC_MAX_EXTENDS) {
        diag_error_at(d, root->file, root->key_line[key], root->key_col[key],
                      "extends chain longer than %d files (starting at %s)", SPEC_MAX_EXTENDS, c->shown[0]);
        return NULL;
    }
    char *path = parent_path(root->file, v->str);
    char *real = path ? canonical(path) : NULL;
    ynode *parent = NULL;
    FILE *f = NULL;
    char why[NN_WHY_LEN];
    if (!real) {
        diag_error(d, v, "out of memory");
    } else if (!(f = nn_fopen_regular(path, why, sizeof why))) {
        diag_error(d, v, "parent spec '%s': %s", path, why);
    } else {
        int seen = -1;
        for (int i = 0; i < c->n; i++)
            if (strcmp(c->real[i], real) == 0) seen = i;
        if (seen >= 0) {
            report_cycle(d, root, key, c, seen, path);
        } else if ((parent = ydoc_load_fp(f, path, d)) && parent->kind != YN_MAP) {
            diag_error(d, parent, "a parent spec must be a mapping of sections (data:, model:, ...)");
            ynode_free(parent);
            parent = NULL;
        }
    }
    if (f) fclose(f);
    if (parent) {
        c->shown[c->n] = parent->file;
        c->real[c->n++] = real;
        parent = resolve(parent, c, d);
        c->n--;
    }
    free(real);
    free(path);
    return parent;
}

/* Takes ownership of root. */
static ynode *resolve(ynode *root, chain *c, diag *d)
{
    int key = ymap_index(root, "extends");
    if (key < 0) {
        if (spec_apply_patches(root, d) < 0) {
            ynode_free(root);
            return NULL;
        }
        return root;
    }
    ynode *parent = load_parent(root, key, c, d);
    ynode *out = NULL;
    if (parent) {
        ymap_remove_at(root, key);
        out = spec_merge(parent, root);
        if (!out) diag_error(d, root, "out of memory while merging specs");
        else if (spec_apply_patches(out, d) < 0) {
            ynode_free(out);
            out = NULL;
        }
    }
    ynode_free(parent);
    ynode_free(root);
    return out;
}

ynode *spec_resolve_extends(ynode *root, diag *d)
{
    if (!root) return NULL;
    chain c = {.n = 1};
    c.shown[0] = root->file;
    c.real[0] = canonical(root->file);
    ynode *out = c.real[0] ? resolve(root, &c, d) : NULL;
    if (!c.real[0]) {
        diag_error(d, root, "out of memory");
        ynode_free(root);
    }
    free(c.real[0]);
    return out;
}

char *spec_parent_file(const char *path)
{
    diag quiet;
    diag_init(&quiet);
    ynode *root = ydoc_load_file(path, &quiet);
    int key = root && root->kind == YN_MAP ? ymap_index(root, "extends") : -1;
    const ynode *v = key >= 0 ? root->items[key] : NULL;
    char *parent = v && v->kind == YN_SCALAR && !yscalar_is_null(v) ? parent_path(root->file, v->str) : NULL;
    ynode_free(root);
    diag_free(&quiet);
    return parent;
}

ynode *spec_load_resolved(const char *path, diag *d)
{
    return spec_resolve_extends(ydoc_load_file(path, d), d);
}
