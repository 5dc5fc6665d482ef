/* json_write.h — a small pretty-printing JSON writer (for `nnrun schema` and
 * `nnrun resolve --json`), and YAML trees as JSON with nnrun's own scalar typing. */
#ifndef NNRUN_JSON_WRITE_H
#define NNRUN_JSON_WRITE_H

#include <stdio.h>
#include "ydoc.h"

#define JW_MAX_DEPTH (YDOC_MAX_DEPTH + 16)   /* any loaded YAML, inside a schema's few levels */

typedef struct {
    FILE *out;
    int depth;
    int has_items[JW_MAX_DEPTH];   /* the open object/array at each depth has members: a comma first */
    char closer[JW_MAX_DEPTH];     /* '}' or ']' */
} jw;

void jw_init(jw *w, FILE *out);
/* key: the member's name inside an object, NULL inside an array (and at the top). */
void jw_object(jw *w, const char *key);
void jw_array(jw *w, const char *key);
void jw_end(jw *w);                     /* closes the innermost object or array */
void jw_string(jw *w, const char *key, const char *s);
void jw_number(jw *w, const char *key, double v);   /* the shortest text that reads back as v */
void jw_integer(jw *w, const char *key, long v);
void jw_bool(jw *w, const char *key, int v);
void jw_null(jw *w, const char *key);
/* A YAML value: a quoted scalar is a string; an unquoted one is null, a boolean, a number or
 * a string as nnrun reads it (yscalar_*); maps are objects, sequences arrays. */
void jw_ynode(jw *w, const char *key, const ynode *n);
void jw_finish(jw *w);                  /* the final newline */

#endif
