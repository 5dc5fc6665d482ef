/* model.patch — edit an inherited layer list by layer name, so an ablation spec stays short:
 *
 *   extends: cae_mnist.yaml
 *   model:
 *     patch:
 *       - {after: unflat, insert: {add: [unflat, pool2], name: skip2}}
 *       - {before: conv1, insert: {gaussian_noise: {sigma: 0.3, eval: true}}}
 *       - {replace: code, with: {dense: 3, name: code}}
 *       - {remove: dropout1}
 *
 * `insert` also takes a list of layers. Patches apply in order, after each level of extends
 * is merged (a grandchild patches the patched list). */
#include "spec_merge.h"
#include <string.h>

/* Index of the layer whose `name:` is name, or -1. */
static int find_layer(const ynode *layers, const char *name)
{
    for (int i = 0; i < layers->n; i++) {
        const ynode *l = layers->items[i];
        const ynode *n = l->kind == YN_MAP ? ymap_get(l, "name") : NULL;
        if (n && n->kind == YN_SCALAR && strcmp(n->str, name) == 0) return i;
    }
    return -1;
}

/* Inserts clones of item (a layer, or a list of layers) into seq at position at. */
static int insert_items(ynode *seq, int at, const ynode *item)
{
    int n = item->kind == YN_SEQ ? item->n : 1;
    for (int k = 0; k < n; k++) {
        ynode *c = ynode_clone(item->kind == YN_SEQ ? item->items[k] : item);
        if (!c || yseq_push(seq, c) < 0) return -1;
        /* move the new last item to its place */
        for (int j = seq->n - 1; j > at + k; j--) {
            ynode *t = seq->items[j];
            seq->items[j] = seq->items[j - 1];
            seq->items[j - 1] = t;
        }
    }
    return 0;
}

static void remove_item(ynode *seq, int at)
{
    ynode_free(seq->items[at]);
    for (int j = at; j + 1 < seq->n; j++) seq->items[j] = seq->items[j + 1];
    seq->n--;
}

static int apply_one(ynode *layers, const ynode *p, diag *d)
{
    static const char *const ops[] = {"after", "before", "replace", "remove"};
    if (p->kind != YN_MAP) {
        diag_error(d, p, "a patch is {after: NAME, insert: LAYER}, {before: ...}, {replace: NAME, with: LAYER} or {remove: NAME}");
        return -1;
    }
    int op = -1;
    const ynode *target = NULL;
    for (int k = 0; k < 4; k++)
        if ((target = ymap_get(p, ops[k]))) {
            op = k;
            break;
        }
    const ynode *payload = op == 2 ? ymap_get(p, "with") : op < 2 ? ymap_get(p, "insert") : NULL;
    int expected_keys = op == 3 ? 1 : 2;
    if (op < 0 || target->kind != YN_SCALAR || (op != 3 && !payload) || p->n != expected_keys) {
        diag_error(d, p, "a patch is {after: NAME, insert: LAYER}, {before: NAME, insert: LAYER}, {replace: NAME, with: LAYER} "
                         "or {remove: NAME}");
        return -1;
    }
    int at = find_layer(layers, target->str);
    if (at < 0) {
        diag_error(d, target, "patch: no layer named '%s' in the inherited layers", target->str);
        return -1;
    }
    if (op == 3 || op == 2) remove_item(layers, at);
    if (op == 3) return 0;
    return insert_items(layers, op == 0 ? at + 1 : at, payload) < 0 ? -1 : 0;
}

int spec_apply_patches(ynode *root, diag *d)
{
    ynode *model = root && root->kind == YN_MAP ? (ynode *)ymap_get(root, "model") : NULL;
    int pk = model && model->kind == YN_MAP ? ymap_index(model, "patch") : -1;
    if (pk < 0) return 0;
    const ynode *patches = model->items[pk];
    ynode *layers = (ynode *)ymap_get(model, "layers");
    if (!layers || layers->kind != YN_SEQ) {
        diag_error(d, patches, "patch edits an inherited 'layers' list, and there is none");
        return -1;
    }
    if (patches->kind != YN_SEQ) {
        diag_error(d, patches, "patch is a list of edits");
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < patches->n && rc == 0; i++) rc = apply_one(layers, patches->items[i], d);
    ymap_remove_at(model, pk);
    return rc;
}
