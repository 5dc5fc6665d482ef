/* Big buffers on 2 MB pages where the kernel gives them on request (nn/big_alloc.h). */
#include "nn/big_alloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

void *nn_big_alloc(size_t bytes)
{
    if (bytes < NN_BIG_ALLOC_MIN) return aligned_alloc(64, bytes ? (bytes + 63) / 64 * 64 : 64);
    size_t rounded = (bytes + NN_BIG_ALLOC_MIN - 1) / NN_BIG_ALLOC_MIN * NN_BIG_ALLOC_MIN;
    if (rounded < bytes) return NULL;   /* wrapped */
    void *p = aligned_alloc(NN_BIG_ALLOC_MIN, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p) (void)madvise(p, rounded, MADV_HUGEPAGE);   /* a request: refused, the pages are ordinary */
#endif
    return p;
}

void *nn_big_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = nn_big_alloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}
