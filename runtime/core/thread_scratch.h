/* thread_scratch.h — reusable scratch memory per thread: each slot is a buffer that grows
 * when a call asks for more and is kept for the next call (ops run every step with the same
 * sizes, so after the first step nothing is allocated), freed when the thread ends. Slots
 * keep the users that may be live at the same time apart. */
#ifndef NN_THREAD_SCRATCH_H
#define NN_THREAD_SCRATCH_H
#include <stddef.h>

enum {
    NN_SCRATCH_CONV_GROUP,        /* a convolution group's columns or tiles (conv_groups.c) */
    NN_SCRATCH_CONV_CALL,         /* what a convolution keeps for its whole call (transformed weights) */
    NN_SCRATCH_CONV_PARTIALS,     /* a split convolution's partial sums, one per run of groups (conv_groups.c) */
    NN_SCRATCH_RECURRENT_PACK,    /* a recurrent op's packed W_hh (recurrent_gemm.c) */
    NN_SCRATCH_ATTENTION,         /* one (batch, head) entry's weights and their gradient (attention.c) */
    NN_SCRATCH_GEMM_PACK,         /* a thin or tall GEMM's panels of op(B), a deep one's partial sums (gemm.c) */
    NN_SCRATCH_GEMM_SKIP,         /* a thin GEMM's lists of the steps of k op(A)'s rows visit (gemm.c) */
    NN_SCRATCH_SLOTS
};

/* At least floats floats, 64-byte aligned, for the calling thread; NULL when out of memory
 * (or for a slot out of range). Valid until the same thread asks for the same slot again. */
float *nn_thread_scratch(int slot, size_t floats);

#endif
