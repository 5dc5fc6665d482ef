/* YAML tree -> validated spec: the schema pass (one file per section: spec_parse_data.c,
 * spec_parse_model.c, spec_parse_train.c), then the cross-field pass over names. Every
 * problem is reported (not just the first) with its file:line:column; nothing unknown is
 * ignored. */
#include "spec_merge.h"
#include "spec_parse_internal.h"
#include "schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    for (int i = 0; i < m->n_layers; i++) {
        for (int k = 0; k < m->layers[i].n_from; k++) check_ref(d, s, m->layers[i].from[k], i, m->layers[i].from_pos, 0);
        check_ref(d, s, m->layers[i].mask_from, i, m->layers[i].mask_pos, 0);
    }
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
