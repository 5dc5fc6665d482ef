/* ystrtab.h — a string -> int hash table for the spec language: anchors by name, a mapping's
 * keys while looking for duplicates and merging, a net's layer names. Specs are small, but a
 * hostile one with 100000 keys or layers must not turn these checks quadratic.
 *
 *     ystrtab t = {0};
 *     int first;
 *     if (ystrtab_add(&t, "epochs", 3, &first) == 0) ... already there, at first
 *     ystrtab_free(&t);
 *
 * Keys are copied. Open addressing with linear probing; the table doubles at half full. */
#ifndef NNRUN_YSTRTAB_H
#define NNRUN_YSTRTAB_H

#include <stddef.h>

typedef struct {
    char **keys;     /* cap slots, NULL when empty */
    int *vals;
    size_t cap, n;
} ystrtab;

/* Adds key -> val unless key is there: 1 added, 0 already there (its value in *existing when
 * existing is given), -1 out of memory. */
int ystrtab_add(ystrtab *t, const char *key, int val, int *existing);
/* The value of key, or -1 when absent. */
int ystrtab_get(const ystrtab *t, const char *key);
void ystrtab_free(ystrtab *t);

#endif
