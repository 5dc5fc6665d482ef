/* The effective spec: a resolved tree with every default the schema applies written out, so
 * that `nnrun diff` compares what runs (a key left out equals its default written in) and the
 * run folder's spec.yaml says everything. The defaults come from the key tables the parser
 * reads (spec_tables.h, layer_table.h), so the two cannot disagree: the top level, data
 * sources (by their kind and role), model, train, a sweep, and each choice's options
 * (optimizer, schedule, initialisers; the optimizers' from the runtime, nn_opt_defaults). A
 * data study (no model) gets no train section it lacks: it trains nothing.
 * Layers, loss terms and report items keep their own form. A test checks that the
 * filled-in spec parses to the same experiment as the original. */
#include "spec_defaults.h"
#include "spec_merge.h"
#include "spec_tables.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ynode *default_node(const char *text, diag *d)
{
    if (text[0] == '[' || text[0] == '{') return ydoc_load_string(text, "<defaults>", d);
    return ynode_new_scalar(text, 0, "<defaults>", 1, 1);
}

/* The options of choice c in table order, each given one as given, each other one with a
 * default; keys c does not take (errors, left for the schema to report) at the end. */
static ynode *choice_options(const choice_def *c, const ynode *given, diag *d)
{
    ynode *out = ynode_new_map("<defaults>", 1, 1);
    for (const opt_def *o = c->opts; out && o->key; o++) {
        int k = given ? ymap_index(given, o->key) : -1;
        char text[256];
        ynode *v = k >= 0 ? ynode_clone(given->items[k]) : opt_default_text(o, c, NULL, text, sizeof text) ? default_node(text, d) : NULL;
        if (v && ymap_set(out, o->key, v, k >= 0 ? given->key_line[k] : 1, k >= 0 ? given->key_col[k] : 1) < 0) break;
    }
    for (int i = 0; out && given && i < given->n; i++)
        if (!opts_find(c->opts, given->keys[i]))
            ymap_set(out, given->keys[i], ynode_clone(given->items[i]), given->key_line[i], given->key_col[i]);
    return out;
}

/* A choice written NAME or {NAME: {...}} becomes {NAME: {every option}}; one without options,
 * or an invalid one (left for the schema to report), stays as it is. */
static int fill_choice(ynode *map, int k, const choice_def *kinds, diag *d)
{
    const ynode *cur = map->items[k];
    const char *name = cur->kind == YN_SCALAR ? cur->str : cur->kind == YN_MAP && cur->n == 1 ? cur->keys[0] : NULL;
    const choice_def *c = name ? choice_find(kinds, name) : NULL;
    const ynode *args = cur->kind == YN_MAP ? cur->items[0] : NULL;
    if (!c || !c->opts || (c->flags & CHOICE_LIST) || (args && args->kind != YN_MAP && !yscalar_is_null(args))) return 0;
    ynode *opts = choice_options(c, args && args->kind == YN_MAP ? args : NULL, d);
    ynode *full = ynode_new_map(cur->file, cur->line, cur->col);
    if (!opts || !full || ymap_set(full, c->name, opts, cur->line, cur->col) < 0) {
        ynode_free(opts);
        ynode_free(full);
        return -1;
    }
    return ymap_set(map, map->keys[k], full, map->key_line[k], map->key_col[k]);
}

static int fill_table(ynode *map, const opt_def *opts, const char *role, diag *d);

/* A data source: the defaults of its dataset kind in its role (train or test). */
static int fill_source(ynode *src, const char *role, diag *d)
{
    const ynode *ds = ymap_get(src, "dataset");
    const data_kind_def *k = ds && ds->kind == YN_SCALAR ? data_kind_find(ds->str) : NULL;
    opt_def opts[64];
    if (!k) return 0;
    data_source_opts(k, role, opts, 64);
    return fill_table(src, opts, role, d);
}

/* A section present in map (or made, unless OPT_PRESENCE) and filled in. */
static int fill_section(ynode *map, const opt_def *o, diag *d)
{
    int k = ymap_index(map, o->key);
    if (k < 0 && (o->flags & OPT_PRESENCE)) return 0;
    if (k < 0) {
        ynode *sub = ynode_new_map("<defaults>", 1, 1);
        if (!sub || ymap_set(map, o->key, sub, 1, 1) < 0) return -1;
        k = ymap_index(map, o->key);
    }
    if (map->items[k]->kind != YN_MAP) return 0;   /* invalid: left for the schema to report */
    int rc = fill_table(map->items[k], o->sub, NULL, d);
    if (rc == 0 && map->items[k]->n == 0) ymap_remove_at(map, k);
    return rc;
}

/* Adds every key of opts that map lacks and that has a default (at the end, so the spec keeps
 * its own order); recurses into sections, data sources and choices. */
static int fill_table(ynode *map, const opt_def *opts, const char *role, diag *d)
{
    for (const opt_def *o = opts; o->key; o++) {
        int k = ymap_index(map, o->key), rc = 0;
        char text[256];
        if (o->flags & OPT_RESOLVED) continue;
        if ((o->flags & OPT_PROGRAM) && k < 0 && spec_tree_is_data_study(map)) continue;   /* trains nothing */
        if (o->type == OT_SECTION) rc = fill_section(map, o, d);
        else if (o->type == OT_SOURCE && k >= 0 && map->items[k]->kind == YN_MAP) rc = fill_source(map->items[k], o->key, d);
        else if (o->type == OT_NETS && k >= 0 && map->items[k]->kind == YN_MAP) {   /* each net as a model */
            for (int i = 0; i < map->items[k]->n && rc == 0; i++)
                if (map->items[k]->items[i]->kind == YN_MAP) rc = fill_table(map->items[k]->items[i], o->sub, NULL, d);
        }
        else if (k < 0 && opt_default_text(o, NULL, role, text, sizeof text)) {
            ynode *v = default_node(text, d);
            rc = v ? ymap_set(map, o->key, v, 1, 1) : -1;
            k = ymap_index(map, o->key);
        }
        if (rc == 0 && o->type == OT_CHOICE && k >= 0) rc = fill_choice(map, k, o->kinds, d);
        if (rc < 0) return -1;
    }
    return 0;
}

ynode *spec_with_defaults(const ynode *tree, diag *d)
{
    ynode *out = ynode_clone(tree);
    if (!out || out->kind != YN_MAP) return out;
    if (fill_table(out, spec_top_opts, NULL, d) < 0) {
        ynode_free(out);
        return NULL;
    }
    return out;
}
