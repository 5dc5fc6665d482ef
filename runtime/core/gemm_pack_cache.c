/* The packed-weight cache of gemm_pack_cache.h. */
#include "gemm_pack_cache.h"
#include "../kernels/gemm_panel.h"
#include <stdatomic.h>
#include <stdlib.h>

/* Entries per run and floats in all: WGAN-GP's two nets need ~10 entries and 5 MB; a weight
 * too big for what is left is packed per call, as without the cache. */
#define CACHE_ENTRIES 32
#define CACHE_MAX_FLOATS ((size_t)16 << 20)

typedef struct {
    const float *b;      /* the key: op(B)'s source and layout */
    int trans_b, ldb, k, n;
    float *panels;       /* kept across runs */
    size_t cap;          /* floats allocated */
    int used, ready;     /* holds a key in this run; its panels are packed */
} entry;

static struct {
    entry e[CACHE_ENTRIES];
    size_t floats;       /* allocated, all entries */
} cache;
static atomic_flag owned = ATOMIC_FLAG_INIT;
static _Thread_local int depth;   /* this thread's open count; > 0 only on the owner */

void nn_gemm_cache_open(void)
{
    if (depth > 0) {
        depth++;
        return;
    }
    if (!atomic_flag_test_and_set_explicit(&owned, memory_order_acquire)) depth = 1;
}

void nn_gemm_cache_close(void)
{
    if (depth == 0 || --depth > 0) return;
    for (int i = 0; i < CACHE_ENTRIES; i++) cache.e[i].used = cache.e[i].ready = 0;
    atomic_flag_clear_explicit(&owned, memory_order_release);
}

float *nn_gemm_cache_panels(const float *b, int trans_b, int ldb, int k, int n, int *ready)
{
    if (depth == 0) return NULL;
    size_t want = nn_panels_floats(k, 0, n);
    entry *free_slot = NULL;
    for (int i = 0; i < CACHE_ENTRIES; i++) {
        entry *x = &cache.e[i];
        if (x->used && x->b == b && x->trans_b == trans_b && x->ldb == ldb && x->k == k && x->n == n) {
            *ready = x->ready;
            return x->panels;
        }
        /* an unused entry whose buffer is big enough first, else the first unused one */
        if (!x->used && (!free_slot || (x->cap >= want && free_slot->cap < want))) free_slot = x;
    }
    if (!free_slot) return NULL;
    if (free_slot->cap < want) {
        if (cache.floats - free_slot->cap + want > CACHE_MAX_FLOATS) return NULL;
        float *p = aligned_alloc(64, (want * sizeof(float) + 63) / 64 * 64);
        if (!p) return NULL;
        free(free_slot->panels);
        cache.floats = cache.floats - free_slot->cap + want;
        free_slot->panels = p;
        free_slot->cap = want;
    }
    *free_slot = (entry){b, trans_b, ldb, k, n, free_slot->panels, free_slot->cap, 1, 0};
    *ready = 0;
    return free_slot->panels;
}

void nn_gemm_cache_filled(const float *panels)
{
    for (int i = 0; i < CACHE_ENTRIES; i++)
        if (cache.e[i].used && cache.e[i].panels == panels) cache.e[i].ready = 1;
}
