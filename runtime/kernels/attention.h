/* attention.h — scaled dot-product attention, one entry (a batch element's head) at a time, and
 * the masked row softmax it shares with the softmax_masked op (op_mask.c, op_attention.c).
 *
 * Shapes, with E the product of the leading dims (B*H for (B,H,T,d)):
 *   q (E,Tq,d), k (E,Tk,d), v (E,Tk,dv) -> o (E,Tq,dv),
 *   o = P v with P = softmax(scale q k^T + mask) per row, mask broadcast to (E,Tq,Tk).
 * Each entry's P (Tq,Tk) lives only in its thread's scratch: the forward keeps one such block
 * per thread, the backward two (P, recomputed, and its gradient), never all E of them. */
#ifndef NN_ATTENTION_H
#define NN_ATTENTION_H
#include "broadcast.h"
#include <stdint.h>

/* In place over one row of n: z = softmax(z + mask) (mask NULL: none). A row whose entries
 * are all -inf once the mask is added (fully masked) becomes zeros rather than NaN. */
void nn_softmax_masked_row(float *z, const float *mask, size_t n);

typedef struct {
    int entries, tq, tk, d, dv;
    float scale;
    /* Dropout on the weights (training): P becomes P * M, M = 0 with probability dropout, else
     * 1/(1 - dropout), drawn from a counter-based stream keyed by `key` and the weight's index
     * (entry, row, column), so that the backward regenerates the very mask the forward used,
     * whatever the threads. dropout 0: none. */
    float dropout;
    uint64_t key;
    const float *q, *k, *v;
    const float *mask;    /* NULL: none; else its last dim is Tk */
    nn_bcast mask_at;     /* offsets into mask over the scores' shape (..., Tq, Tk) */
} nn_attention_geom;

/* o (E,Tq,dv). Returns 0, or -1 when out of scratch memory. */
int nn_attention_forward(const nn_attention_geom *a, float *o);
/* From go (E,Tq,dv), the output's gradient: dq (E,Tq,d), dk (E,Tk,d), dv (E,Tk,dv), with
 * dP = (go v^T) M, dS = P (dP - rowsum(P dP)), dq = scale dS k, dk = scale dS^T q,
 * dv = (P M)^T go (M = 1 without dropout).
 * Returns 0, or -1 when out of scratch memory. */
int nn_attention_backward(const nn_attention_geom *a, const float *go, float *dq, float *dk, float *dv);

/* FLOPs of the forward and of the backward (the GEMMs) */
double nn_attention_forward_flops(const nn_attention_geom *a);
double nn_attention_backward_flops(const nn_attention_geom *a);

#endif
