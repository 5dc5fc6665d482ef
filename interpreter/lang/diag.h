/* diag.h — diagnostics for spec files: errors and warnings with file:line:column.
 *
 * Everything that checks a spec reports here instead of stopping at the first problem, so a
 * user sees all errors at once. Printing gives one line per entry, in order of appearance:
 *     FILE:LINE:COL: error: MESSAGE
 * (an entry with no position, line 0, prints as "FILE: error: MESSAGE"). Choosing the exit
 * status (2 for a bad spec) is the caller's job. */
#ifndef NNRUN_DIAG_H
#define NNRUN_DIAG_H

#include <stdio.h>

struct ynode;

typedef enum { DIAG_ERROR, DIAG_WARNING } diag_level;

typedef struct {
    diag_level level;
    char *file;       /* owned copy */
    int line, col;    /* 1-based; 0 = no position */
    char *msg;        /* owned */
} diag_entry;

typedef struct diag {
    diag_entry *items;
    int n, cap;
    int n_errors;
} diag;

void diag_init(diag *d);
void diag_free(diag *d);
/* At a node's position (at may be NULL: no position, file "<unknown>"). */
void diag_error(diag *d, const struct ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(diag *d, const struct ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* At an explicit position, e.g. a map key's key_line/key_col so "unknown key" points at the key. */
void diag_error_at(diag *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diag_warning_at(diag *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Appends an entry as is (used to re-home messages, e.g. shifting a --set value's columns). */
void diag_add(diag *d, diag_level level, const char *file, int line, int col, const char *msg);

void diag_print(const diag *d, FILE *out);
int diag_count(const diag *d);   /* number of errors (warnings not counted) */

/* The choice closest to word by Damerau-Levenshtein distance (case-insensitive), if close
 * enough to be a plausible typo: distance <= 1 for words of up to 4 characters, <= 2 for
 * longer ones. NULL when nothing is close. Ties go to the earlier choice. */
const char *diag_suggest(const char *word, const char *const *choices, int n);
/* Optimal-string-alignment distance (insert, delete, substitute, swap adjacent), ASCII-case-
 * insensitive. */
int diag_edit_distance(const char *a, const char *b);

/* Formats "unknown WHAT 'word' in 'where' (did you mean 'x'?)" or, when nothing is close,
 * "unknown WHAT 'word' in 'where' (expected one of: a, b, c)". where may be NULL (no
 * " in '...'" part). Returns a malloc'ed string (NULL only if out of memory). */
char *diag_unknown_msg(const char *what, const char *word, const char *where, const char *const *choices, int n);
/* Reports that message as an error at file:line:col. */
void diag_unknown_at(diag *d, const char *file, int line, int col, const char *what, const char *word,
                     const char *where, const char *const *choices, int n);
/* Reports "unknown key" for key number i of map, at the key itself. */
void diag_unknown_key(diag *d, const struct ynode *map, int i, const char *where, const char *const *choices, int n);

#endif
