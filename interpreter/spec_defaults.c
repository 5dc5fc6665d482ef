/* The effective spec: a resolved tree with every default the schema applies written out, so
 * that `nnrun diff` compares what runs (a key left out equals its default written in) and the
 * run folder's spec.yaml says everything. Layers keep their own form. Optimizer defaults
 * come from the runtime (nn_opt_defaults) so the two cannot drift; a test checks that the
 * filled-in spec parses to the same experiment as the original. */
#include "spec_defaults.h"
#include "nn/optim.h"
#include "spec_merge.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Top-level defaults of spec_parse.c, as YAML. */
static const char defaults_yaml[] = "seed: 1\n"
                                    "model: {init: torch_default, bias_init: torch_default, l1: 0, l2: 0}\n"
                                    "train:\n"
                                    "  batch: 32\n"
                                    "  epochs: 1\n"
                                    "  shuffle: true\n"
                                    "  drop_last: false\n"
                                    "  schedule: constant\n"
                                    "  warmup: 0\n"
                                    "  clip_grad_norm: 0\n"
                                    "  clip_grad_value: 0\n"
                                    "  log_every: 0\n"
                                    "  limit_batches: 0\n";

static ynode *optimizer_defaults(nn_opt_kind kind, diag *d)
{
    nn_opt_config c;
    nn_opt_defaults(kind, &c);
    char text[512];
    const char *name = nn_opt_kind_name(kind);
    if (kind == NN_OPT_SGD)
        snprintf(text, sizeof text, "%s: {lr: %.15g, momentum: 0, nesterov: false, weight_decay: %.15g}", name, c.lr, c.weight_decay);
    else if (kind == NN_OPT_RMSPROP)
        snprintf(text, sizeof text, "%s: {lr: %.15g, alpha: %.15g, eps: %.15g, momentum: 0, weight_decay: %.15g}", name, c.lr,
                 c.alpha, c.eps, c.weight_decay);
    else
        snprintf(text, sizeof text, "%s: {lr: %.15g, betas: [%.15g, %.15g], eps: %.15g, weight_decay: %.15g}", name, c.lr,
                 c.beta1, c.beta2, c.eps, c.weight_decay);
    return ydoc_load_string(text, "<defaults>", d);
}

/* train.optimizer: `adam` or {adam: {...}} (or absent: adam) -> {adam: {every option}} */
static int fill_optimizer(ynode *train, diag *d)
{
    int k = ymap_index(train, "optimizer");
    const ynode *cur = k >= 0 ? train->items[k] : NULL;
    const char *name = !cur ? "adam" : cur->kind == YN_SCALAR ? cur->str : cur->kind == YN_MAP && cur->n == 1 ? cur->keys[0] : NULL;
    int kind = name ? nn_opt_kind_from_name(name) : -1;
    if (kind < 0) return 0;   /* invalid: left for the schema to report */
    ynode *def = optimizer_defaults((nn_opt_kind)kind, d);
    if (!def) return -1;
    ynode *merged = cur && cur->kind == YN_MAP ? spec_merge(def, cur) : def;
    if (merged != def) ynode_free(def);
    if (!merged) return -1;
    return ymap_set(train, "optimizer", merged, k >= 0 ? train->key_line[k] : train->line,
                    k >= 0 ? train->key_col[k] : train->col);
}

/* Adds every key of def that map lacks (at the end, so the spec keeps its own order);
 * recurses where both hold maps. */
static int fill(ynode *map, const ynode *def)
{
    for (int i = 0; i < def->n; i++) {
        int k = ymap_index(map, def->keys[i]);
        if (k < 0) {
            ynode *v = ynode_clone(def->items[i]);
            if (!v || ymap_set(map, def->keys[i], v, def->key_line[i], def->key_col[i]) < 0) return -1;
        } else if (map->items[k]->kind == YN_MAP && def->items[i]->kind == YN_MAP && fill(map->items[k], def->items[i]) < 0)
            return -1;
    }
    return 0;
}

ynode *spec_with_defaults(const ynode *tree, diag *d)
{
    ynode *out = ynode_clone(tree);
    if (!out || out->kind != YN_MAP) return out;
    ynode *defaults = ydoc_load_string(defaults_yaml, "<defaults>", d);
    int rc = defaults ? fill(out, defaults) : -1;
    ynode_free(defaults);
    int t = ymap_index(out, "train");
    if (rc == 0 && t >= 0 && out->items[t]->kind == YN_MAP) rc = fill_optimizer(out->items[t], d);
    if (rc < 0) {
        ynode_free(out);
        return NULL;
    }
    return out;
}
