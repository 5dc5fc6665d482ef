/* ydoc.h — a YAML document as a tree that remembers where every node came from.
 *
 * Loading goes through libyaml's document API; the tree is then a plain C structure the
 * interpreter walks. Every node keeps file, line and column (1-based) so a later check can
 * say "cae.yaml:12:9: error: ...". Nesting and size are bounded while the text is read (a
 * file over YDOC_MAX_BYTES is not read at all), so no input can make loading slow. Anchors
 * and aliases are expanded into deep copies (after a bound on the expanded size, so a
 * billion-laughs file is rejected before anything big is allocated); merge keys `<<: *base`
 * are applied; duplicate keys, multi-document files and empty files are errors.
 *
 * Scalars keep their text as written. Types are decided later, by whoever reads a value,
 * with yscalar_int/float/bool; a quoted scalar ("5", 'yes') is always a string. A null is an
 * unquoted scalar "", "~", "null", "Null" or "NULL" (see yscalar_is_null).
 *
 * File names are interned for the life of the process (ydoc_intern), so nodes, clones and
 * diagnostics can point at them freely. Not thread-safe: load specs from one thread. */
#ifndef NNRUN_YDOC_H
#define NNRUN_YDOC_H

#include <stdio.h>
#include "diag.h"

/* Limits on what a spec may be, so that any file is accepted or refused in well under a second
 * and 100 MB: a spec is a few hundred values in a few kilobytes. */
#define YDOC_MAX_BYTES (10 << 20)   /* a spec file's size */
#define YDOC_MAX_NODES 100000       /* keys, items and scalars, as written and after alias expansion */
#define YDOC_MAX_DEPTH 64           /* mappings and lists inside each other */

typedef enum { YN_SCALAR, YN_MAP, YN_SEQ } yn_kind;

typedef struct ynode {
    yn_kind kind;
    const char *file;            /* interned */
    int line, col;               /* 1-based position of the node's first character */
    char *str;                   /* scalar text (NULL for maps and sequences) */
    int quoted;                  /* scalar was quoted or a block literal: always a string */
    int n;                       /* number of entries (map) or items (seq) */
    char **keys;                 /* map only: n keys */
    int *key_line, *key_col;     /* map only: where each key is written */
    struct ynode **items;        /* map: values, parallel to keys; seq: items */
    int cap;                     /* allocated entries */
} ynode;

/* ---- loading (ydoc_load.c) ---- */
/* NULL on error, reported in d with its position. */
ynode *ydoc_load_file(const char *path, diag *d);
ynode *ydoc_load_fp(FILE *f, const char *name, diag *d);
ynode *ydoc_load_string(const char *text, const char *name, diag *d);
/* text that starts at column col of line 1 of name (a --set value inside its argument):
 * positions on its first line are shifted accordingly, in nodes and in errors. */
ynode *ydoc_load_string_at(const char *text, const char *name, int col, diag *d);

/* ---- tree (ydoc.c) ---- */
const char *ydoc_intern(const char *s);
ynode *ynode_new_scalar(const char *text, int quoted, const char *file, int line, int col);
ynode *ynode_new_map(const char *file, int line, int col);
ynode *ynode_new_seq(const char *file, int line, int col);
void ynode_free(ynode *n);
ynode *ynode_clone(const ynode *n);
/* Structural equality by meaning: map key order is ignored; a quoted scalar equals an
 * unquoted one with the same text unless that text would read as a number/bool/null. */
int ynode_equal(const ynode *a, const ynode *b);

ynode *ymap_get(const ynode *map, const char *key);    /* NULL if absent or map is not a map */
int ymap_index(const ynode *map, const char *key);     /* -1 if absent */
/* Sets key to val (ownership of val passes to map): replaces an existing value in place
 * (keeping the key's position) or appends with the given key position. 0, or -1 if OOM. */
int ymap_set(ynode *map, const char *key, ynode *val, int key_line, int key_col);
/* Appends key: val without looking for key first (the caller knows it is new: a mapping built
 * from keys already checked unique). 0, or -1 if OOM. */
int ymap_push(ynode *map, const char *key, ynode *val, int key_line, int key_col);
/* Removes and frees entry i. */
void ymap_remove_at(ynode *map, int i);
/* Appends an item (ownership passes). 0, or -1 if OOM. */
int yseq_push(ynode *seq, ynode *item);

/* Typed reads of a scalar; 0 on success, -1 if n is not a scalar of that type. Quoted
 * scalars are strings and never convert. */
int yscalar_int(const ynode *n, long *out);       /* decimal, optional sign */
int yscalar_float(const ynode *n, double *out);   /* 3e-4, .5, 1, .inf, -.inf, .nan */
int yscalar_bool(const ynode *n, int *out);       /* true/false/yes/no/on/off, any case */
int yscalar_is_null(const ynode *n);              /* 1 for an unquoted "", ~, null */
/* 1 if an unquoted scalar with this text would read as something other than a string. */
int yscalar_text_is_typed(const char *text);

#endif
