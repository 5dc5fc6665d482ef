/* Loading YAML text into a ynode tree: libyaml's events composed into a document
 * (ydoc_compose.c, which refuses deep nesting and too many nodes as the text is read), then two
 * passes over it.
 *
 * libyaml gives a graph: an alias is a second reference to the anchored node. Two passes turn
 * it into a tree. measure() visits every distinct node once, checks duplicate keys, key and
 * merge-key types, and computes how big the tree would be once aliases are copied (memoised,
 * so a billion-laughs file costs microseconds and no memory). Only if that is within
 * YDOC_MAX_NODES and YDOC_MAX_DEPTH does build() make the copies. */
#include "ydoc.h"
#include "ydoc_compose.h"
#include "ystrtab.h"
#include "nn/regular_file.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

enum { UNSEEN = 0, VISITING, DONE };

typedef struct {
    yaml_document_t *doc;
    const char *file;
    diag *d;
    long *size;      /* per document node: node count once aliases are expanded */
    int *height;     /* per document node: levels below it, itself included */
    char *state;
    int col_shift;   /* added to columns on line 1 (text embedded in a longer line) */
} loader;

static int node_index(loader *L, yaml_node_t *n) { return (int)(n - L->doc->nodes.start); }
static yaml_node_t *node_at(loader *L, int id) { return yaml_document_get_node(L->doc, id); }

static void error_at_mark(loader *L, yaml_mark_t m, const char *msg)
{
    diag_error_at(L->d, L->file, (int)m.line + 1, ydoc_mark_col(m, L->col_shift), "%s", msg);
}

static int is_merge_key(const yaml_node_t *k)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           strcmp((const char *)k->data.scalar.value, "<<") == 0;
}

/* ---- pass 1: validate and measure ---------------------------------------------------- */
static int measure(loader *L, yaml_node_t *n, int depth);

static int check_merge_value(loader *L, yaml_node_t *v)
{
    int ok = v->type == YAML_MAPPING_NODE;
    if (v->type == YAML_SEQUENCE_NODE) {
        ok = 1;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
            if (node_at(L, *it)->type != YAML_MAPPING_NODE) ok = 0;
    }
    if (!ok) error_at_mark(L, v->start_mark, "merge key '<<' needs a mapping (e.g. *base) or a list of mappings");
    return ok ? 0 : -1;
}

/* Explicit keys must be scalars and unique; the error points at the second occurrence. The
 * keys seen go into a hash table: a mapping of many keys costs no more than reading them. */
static int check_map_keys(loader *L, yaml_node_t *n)
{
    int bad = 0;
    ystrtab seen = {0};
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && bad >= 0; p++) {
        yaml_node_t *k = node_at(L, p->key);
        if (k->type != YAML_SCALAR_NODE) {
            error_at_mark(L, k->start_mark, "mapping keys must be plain names, not lists or mappings");
            bad = 1;
            continue;
        }
        if (is_merge_key(k)) {
            if (check_merge_value(L, node_at(L, p->value)) < 0) bad = 1;
            continue;
        }
        int first, rc = ystrtab_add(&seen, (const char *)k->data.scalar.value, p->key, &first);
        if (rc < 0) {
            diag_error_at(L->d, L->file, 0, 0, "out of memory while reading YAML");
            bad = -1;
        } else if (rc == 0) {
            yaml_node_t *k0 = node_at(L, first);
            diag_error_at(L->d, L->file, (int)k->start_mark.line + 1, ydoc_mark_col(k->start_mark, L->col_shift),
                          "duplicate key '%s' (first defined at line %d, column %d)", (char *)k->data.scalar.value,
                          (int)k0->start_mark.line + 1, ydoc_mark_col(k0->start_mark, L->col_shift));
            bad = 1;
        }
    }
    ystrtab_free(&seen);
    return bad ? -1 : 0;
}

static int measure_child(loader *L, int id, int depth, long *size, int *height)
{
    yaml_node_t *c = node_at(L, id);
    if (measure(L, c, depth + 1) < 0) return -1;
    int ci = node_index(L, c);
    *size += L->size[ci];
    if (*size > YDOC_MAX_NODES) *size = YDOC_MAX_NODES + 1L;   /* saturate: no overflow */
    if (L->height[ci] + 1 > *height) *height = L->height[ci] + 1;
    return 0;
}

static int measure(loader *L, yaml_node_t *n, int depth)
{
    /* the text itself is within the limits (ydoc_compose): only aliases can pass them here */
    static const char *const too_big = "alias expansion too large (billion-laughs?)";
    static const char *const too_deep = "aliases nest deeper than 64 levels once expanded";
    int i = node_index(L, n);
    if (L->state[i] == VISITING) {
        error_at_mark(L, n->start_mark, "alias expansion too large (billion-laughs?): an alias refers to its own ancestor");
        return -1;
    }
    if (L->state[i] == UNSEEN) {
        L->state[i] = VISITING;
        long size = 1;
        int height = 1;
        if (depth > YDOC_MAX_DEPTH) {
            error_at_mark(L, n->start_mark, too_deep);
            return -1;
        }
        if (n->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
                if (measure_child(L, *it, depth, &size, &height) < 0) return -1;
        } else if (n->type == YAML_MAPPING_NODE) {
            if (check_map_keys(L, n) < 0) return -1;
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
                if (measure_child(L, p->key, depth, &size, &height) < 0 ||
                    measure_child(L, p->value, depth, &size, &height) < 0)
                    return -1;
        }
        L->size[i] = size;
        L->height[i] = height;
        L->state[i] = DONE;
    }
    if (L->size[i] > YDOC_MAX_NODES) {
        error_at_mark(L, n->start_mark, too_big);
        return -1;
    }
    if (depth + L->height[i] - 1 > YDOC_MAX_DEPTH) {
        error_at_mark(L, n->start_mark, too_deep);
        return -1;
    }
    return 0;
}

/* ---- pass 2: build the tree ----------------------------------------------------------- */
static ynode *build(loader *L, yaml_node_t *n);

/* Adds the entries of a merge source that the map does not have yet (explicit keys win,
 * then earlier sources over later ones); have holds the map's keys. */
static int merge_into(loader *L, ynode *map, ystrtab *have, yaml_node_t *src)
{
    ynode *m = build(L, src);
    if (!m) return -1;
    int rc = 0;
    for (int k = 0; k < m->n && rc == 0; k++) {
        int added = ystrtab_add(have, m->keys[k], k, NULL);
        if (added <= 0) {
            rc = added;
            continue;
        }
        rc = ymap_push(map, m->keys[k], m->items[k], m->key_line[k], m->key_col[k]);
        if (rc == 0) m->items[k] = NULL;   /* moved into map */
    }
    ynode_free(m);
    return rc;
}

static int build_merges(loader *L, ynode *map, yaml_node_t *n)
{
    ystrtab have = {0};
    int rc = 0, any = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && rc == 0; p++) {
        if (!is_merge_key(node_at(L, p->key))) continue;
        for (int k = 0; !any && k < map->n && rc == 0; k++)   /* the explicit keys, once */
            if (ystrtab_add(&have, map->keys[k], k, NULL) < 0) rc = -1;
        any = 1;
        yaml_node_t *v = node_at(L, p->value);
        if (v->type == YAML_MAPPING_NODE) {
            if (rc == 0) rc = merge_into(L, map, &have, v);
            continue;
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top && rc == 0; it++)
            rc = merge_into(L, map, &have, node_at(L, *it));
    }
    ystrtab_free(&have);
    return rc;
}

/* The explicit keys are unique (measure checked them): appended as they come. */
static ynode *build_map(loader *L, yaml_node_t *n, int line, int col)
{
    ynode *map = ynode_new_map(L->file, line, col);
    if (!map) return NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(L, p->key);
        if (is_merge_key(k)) continue;
        ynode *v = build(L, node_at(L, p->value));
        if (!v || ymap_push(map, (char *)k->data.scalar.value, v, (int)k->start_mark.line + 1,
                            ydoc_mark_col(k->start_mark, L->col_shift)) < 0) {
            ynode_free(v);
            ynode_free(map);
            return NULL;
        }
    }
    if (build_merges(L, map, n) < 0) {
        ynode_free(map);
        return NULL;
    }
    return map;
}

static ynode *build(loader *L, yaml_node_t *n)
{
    int line = (int)n->start_mark.line + 1, col = ydoc_mark_col(n->start_mark, L->col_shift);
    if (n->type == YAML_SCALAR_NODE)
        return ynode_new_scalar((char *)n->data.scalar.value, n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
                                L->file, line, col);
    if (n->type == YAML_MAPPING_NODE) return build_map(L, n, line, col);
    ynode *seq = ynode_new_seq(L->file, line, col);
    if (!seq) return NULL;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        ynode *item = build(L, node_at(L, *it));
        if (!item || yseq_push(seq, item) < 0) {
            ynode_free(item);
            ynode_free(seq);
            return NULL;
        }
    }
    return seq;
}

/* ---- driver --------------------------------------------------------------------------- */
static ynode *tree_from_document(yaml_document_t *doc, const char *file, int shift, diag *d)
{
    size_t count = (size_t)(doc->nodes.top - doc->nodes.start);
    loader L = {doc, file, d, calloc(count, sizeof(long)), calloc(count, sizeof(int)), calloc(count, 1), shift};
    ynode *root = NULL;
    if (!L.size || !L.height || !L.state)
        diag_error_at(d, file, 0, 0, "out of memory while reading YAML");
    else if (measure(&L, yaml_document_get_root_node(doc), 1) == 0 &&
             !(root = build(&L, yaml_document_get_root_node(doc))))
        diag_error_at(d, file, 0, 0, "out of memory while building the YAML tree");
    free(L.size);
    free(L.height);
    free(L.state);
    return root;
}

static ynode *load_with_parser(yaml_parser_t *p, const char *name, int shift, diag *d)
{
    const char *file = ydoc_intern(name);
    yaml_document_t doc;
    if (ydoc_compose(p, &doc, file, shift, d) < 0) return NULL;
    ynode *root = tree_from_document(&doc, file, shift, d);
    yaml_document_delete(&doc);
    return root;
}

ynode *ydoc_load_fp(FILE *f, const char *name, diag *d)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > YDOC_MAX_BYTES) {
        diag_error_at(d, name, 0, 0, "%lld bytes: more than a spec may have (%d MB); is this the spec file?",
                      (long long)st.st_size, YDOC_MAX_BYTES >> 20);
        return NULL;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        diag_error_at(d, name, 0, 0, "out of memory while reading YAML");
        return NULL;
    }
    yaml_parser_set_input_file(&p, f);
    ynode *root = load_with_parser(&p, name, 0, d);
    yaml_parser_delete(&p);
    return root;
}

ynode *ydoc_load_string_at(const char *text, const char *name, int col, diag *d)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        diag_error_at(d, name, 0, 0, "out of memory while reading YAML");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    ynode *root = load_with_parser(&p, name, col - 1, d);
    yaml_parser_delete(&p);
    return root;
}

ynode *ydoc_load_string(const char *text, const char *name, diag *d)
{
    return ydoc_load_string_at(text, name, 1, d);
}

ynode *ydoc_load_file(const char *path, diag *d)
{
    char why[NN_WHY_LEN];
    FILE *f = nn_fopen_regular(path, why, sizeof why);
    if (!f) {
        diag_error_at(d, path, 0, 0, "%s", why);
        return NULL;
    }
    ynode *root = ydoc_load_fp(f, path, d);
    fclose(f);
    return root;
}
