/* nn/big_alloc.h — big buffers on 2 MB pages where the kernel gives them on request.
 *
 * A training step streams through its parameters, gradients, optimizer state and plan arena,
 * and a batch gathers rows from anywhere in its data set: on 4 KB pages that is one TLB entry
 * per 4 KB, on 2 MB pages one per 2 MB. Linux backs memory with 2 MB pages only where the
 * program asks (madvise MADV_HUGEPAGE) when transparent huge pages are in "madvise" mode,
 * Debian's default. A buffer of at least NN_BIG_ALLOC_MIN bytes is laid out on 2 MB
 * boundaries and asked for so; a smaller one, or one the kernel refuses, gets ordinary pages.
 * Every buffer is at least 64-byte aligned; free them with free(). */
#ifndef NN_BIG_ALLOC_H
#define NN_BIG_ALLOC_H

#include <stddef.h>

#define NN_BIG_ALLOC_MIN ((size_t)2 << 20)

/* bytes of memory (not cleared), or NULL */
void *nn_big_alloc(size_t bytes);
/* n elements of size bytes each, cleared; NULL when out of memory or n * size overflows */
void *nn_big_calloc(size_t n, size_t size);

#endif
