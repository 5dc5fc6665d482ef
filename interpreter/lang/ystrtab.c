/* The spec language's string -> int hash table (ystrtab.h): FNV-1a, linear probing. */
#include "ystrtab.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s)
{
    uint64_t h = 14695981039346656037u;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* The slot holding key, or the empty slot where it would go. t->cap > 0. */
static size_t slot_of(const ystrtab *t, const char *key)
{
    size_t i = hash(key) & (t->cap - 1);
    while (t->keys[i] && strcmp(t->keys[i], key) != 0) i = (i + 1) & (t->cap - 1);
    return i;
}

static int grow(ystrtab *t)
{
    ystrtab bigger = {calloc(t->cap ? 2 * t->cap : 16, sizeof(char *)), NULL, t->cap ? 2 * t->cap : 16, t->n};
    bigger.vals = malloc(bigger.cap * sizeof(int));
    if (!bigger.keys || !bigger.vals) {
        free(bigger.keys);
        free(bigger.vals);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i]) continue;
        size_t j = slot_of(&bigger, t->keys[i]);
        bigger.keys[j] = t->keys[i];
        bigger.vals[j] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    *t = bigger;
    return 0;
}

int ystrtab_add(ystrtab *t, const char *key, int val, int *existing)
{
    if (2 * (t->n + 1) > t->cap && grow(t) < 0) return -1;
    size_t i = slot_of(t, key);
    if (t->keys[i]) {
        if (existing) *existing = t->vals[i];
        return 0;
    }
    if (!(t->keys[i] = strdup(key))) return -1;
    t->vals[i] = val;
    t->n++;
    return 1;
}

int ystrtab_get(const ystrtab *t, const char *key)
{
    if (!t->cap) return -1;
    size_t i = slot_of(t, key);
    return t->keys[i] ? t->vals[i] : -1;
}

void ystrtab_free(ystrtab *t)
{
    for (size_t i = 0; i < t->cap; i++) free(t->keys[i]);
    free(t->keys);
    free(t->vals);
    *t = (ystrtab){0};
}
