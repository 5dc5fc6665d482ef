/* spec_merge.h — what turns spec files into one effective spec, and back into text:
 * `extends:` resolution (spec_merge.c), `--set` overrides (spec_set.c), the effective
 * difference of two specs (ydiff.c) and YAML emission (yemit.c).
 *
 * Layer lists edited by name (model.patch) are not handled here: sequences are replaced as a
 * whole by a child spec; the spec layer applies its own patches on top. */
#ifndef NNRUN_SPEC_MERGE_H
#define NNRUN_SPEC_MERGE_H

#include <stdio.h>
#include "diag.h"
#include "ydoc.h"

#define SPEC_MAX_EXTENDS 16   /* files in one extends chain, the child included */

/* ---- extends (spec_merge.c) ---- */
/* Deep merge of child over parent into a new tree: maps merge key by key, recursively;
 * scalars and sequences in the child replace the parent's; a child null (~) removes the key;
 * a one-key map naming another choice ({sgd: ...} over {adam: ...}) replaces the parent's; a
 * data source naming another dataset keeps only the inherited keys that dataset takes.
 * Nodes keep the positions of the file they came from. NULL only if out of memory. */
ynode *spec_merge(const ynode *parent, const ynode *child);
/* Loads path and resolves its `extends: parent.yaml` chain (paths relative to the file that
 * names them). The result has no `extends` key. NULL on error, reported in d: missing parent
 * (at the extends value), cycles "extends cycle: a.yaml -> b.yaml -> a.yaml" (at the extends
 * key), chains longer than SPEC_MAX_EXTENDS, a spec or extends value of the wrong kind. */
ynode *spec_load_resolved(const char *path, diag *d);
/* The same for an already-loaded root (its file names are used for relative paths); takes
 * ownership of root and returns the resolved tree (or NULL, root freed). */
ynode *spec_resolve_extends(ynode *root, diag *d);
/* The parent file the spec at path extends (relative to it, as the chain resolves it; free
 * it), or NULL when it extends nothing or cannot be read. */
char *spec_parent_file(const char *path);

/* ---- overrides (spec_set.c) ---- */
/* Applies "a.b.c=value": path of map keys and sequence indices (model.layers.3.dense=64);
 * value parsed as YAML ([1, 2], {a: 1}, 3e-4, "quoted"; empty means null). Missing map keys
 * are created; an index out of range, or a path through a scalar, is an error. New nodes are
 * placed at file "<command line>", line 1, column = 1-based offset in the argument.
 * *root must be a map (or NULL: a new map is made). 0 on success, -1 with an error in d. */
int spec_apply_set(ynode **root, const char *assignment, diag *d);

/* ---- diff (ydiff.c) ---- */
/* Prints the effective difference of a and b, one line per change, paths joined with '.'
 * (sequence items by index):
 *     - path: old            only in a
 *     + path: new            only in b
 *     ~ path: old -> new     changed value
 * Maps are compared key by key (a's order, then b's new keys); sequences are aligned by
 * longest common subsequence so one inserted layer is one '+' line (index in b; '-' lines
 * use the index in a). Values print as one-line flow YAML; an added or removed map/sequence
 * whose rendering exceeds 80 characters is listed leaf by leaf. The root path is "(root)".
 * Returns the number of lines printed (0: no difference, nothing printed). */
/* Applies and removes model.patch (layer edits by name; see spec_patch.c). 0 or -1. */
int spec_apply_patches(ynode *root, diag *d);

int ydiff(const ynode *a, const ynode *b, FILE *out);

/* ---- emit (yemit.c) ---- */
/* Block-style YAML that loads back to an ynode_equal tree. Strings that would read as
 * another type ("yes", "1e3", "~") or that YAML syntax would misread (': ', ' #', leading
 * '-', '[', '*', ...) are double-quoted. 0, or -1 on a write error (errno set). */
int yemit(const ynode *root, FILE *out);
/* Writes path atomically (nn/atomic_file.h) so a crash never leaves half a spec. 0, or -1
 * with the reason in err. */
int yemit_file(const ynode *root, const char *path, char *err, size_t errlen);
/* One-line flow rendering ({a: 1, b: [x, y]}) into a malloc'ed string; NULL if OOM. */
char *yemit_flow(const ynode *n);

#endif
