/* schema.h — small typed readers over the YAML tree that report every problem to a diag with
 * the node's position. Each getter returns 1 if the key is present and valid, 0 if absent
 * (out untouched), -1 if present but invalid (already reported). */
#ifndef NNRUN_SCHEMA_H
#define NNRUN_SCHEMA_H

#include "diag.h"
#include "ydoc.h"

/* Reports every key of map not in allowed (NULL-terminated) with a did-you-mean; returns the
 * number of unknown keys. ctx names the section in messages ("train", "dense"). */
int schema_check_keys(diag *d, const ynode *map, const char *ctx, const char *const *allowed);
/* Reports that node is not a map/seq/scalar where one was expected; returns 0 if it is. */
int schema_expect(diag *d, const ynode *n, yn_kind kind, const char *what);

int schema_int(diag *d, const ynode *map, const char *key, long lo, long hi, int *out);
int schema_float(diag *d, const ynode *map, const char *key, double lo, double hi, float *out);
int schema_double(diag *d, const ynode *map, const char *key, double lo, double hi, double *out);
int schema_bool(diag *d, const ynode *map, const char *key, int *out);
int schema_str(diag *d, const ynode *map, const char *key, char *out, size_t len);
/* A scalar that must be one of choices (NULL-terminated); *out = its index. */
int schema_enum(diag *d, const ynode *map, const char *key, const char *const *choices, int *out);

/* The same checks on a node itself (for sequence items and single-value forms). */
int schema_node_int(diag *d, const ynode *n, const char *what, long lo, long hi, int *out);
int schema_node_float(diag *d, const ynode *n, const char *what, double lo, double hi, float *out);
int schema_node_double(diag *d, const ynode *n, const char *what, double lo, double hi, double *out);
int schema_node_enum(diag *d, const ynode *n, const char *what, const char *const *choices, int *out);
int schema_node_bool(diag *d, const ynode *n, const char *what, int *out);
/* A single value (any text) into out, at most len - 1 characters. */
int schema_node_str(diag *d, const ynode *n, const char *what, char *out, size_t len);

/* "unknown X 'word' [in 'ctx'] (did you mean 'y'?)" or "(expected one of: a, b, c)" into buf. */
void schema_unknown_msg(char *buf, size_t len, const char *what, const char *word, const char *ctx,
                        const char *const *choices);

#endif
