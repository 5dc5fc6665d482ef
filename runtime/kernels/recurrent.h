/* recurrent.h — what the fused recurrent ops (op_rnn.c, op_lstm.c, op_gru.c) share: how the time loop
 * is split across threads, and small accessors.
 *
 * The recurrence is a chain of small GEMMs, one per step: splitting each across threads costs
 * a barrier per step and gained nothing (measured). Instead the sequences are cut into slices,
 * each of which runs the whole time loop with single-threaded GEMMs — no synchronisation until
 * the end — from RECURRENT_SPLIT_FLOPS of work per step. The slices are the pool's chunks
 * (core/pool.h), fixed by the batch alone: a thread slowed by a neighbour takes fewer of them,
 * where a fixed half per thread (OpenMP's, before) made the whole op wait for the slow one. */
#ifndef NN_RECURRENT_H
#define NN_RECURRENT_H
#include "nn/ops.h"
#include "../core/kernel_isa.h"

#define RECURRENT_SPLIT_FLOPS 2e6
#define RECURRENT_MIN_ROWS 8      /* sequences per slice: one register tile of the step kernel */
#define RECURRENT_MAX_SLICES 8

/* Part [s0, s1) of n items for part `id` of `k`. */
static inline void recurrent_slice(int n, int id, int k, int *s0, int *s1)
{
    *s0 = (int)((long)n * id / k);
    *s1 = (int)((long)n * (id + 1) / k);
}

/* fn(ctx, s0, s1) for slices [s0, s1) covering the N sequences, whose per-step GEMM costs
 * step_flops in all: up to RECURRENT_MAX_SLICES slices of RECURRENT_MIN_ROWS sequences or more
 * on the pool, or one slice on the calling thread (small steps, or no thread free). */
typedef void (*recurrent_slice_fn)(const void *ctx, int s0, int s1);
void recurrent_for_slices(int N, double step_flops, recurrent_slice_fn fn, const void *ctx);
/* Defines the recurrent_slice_fn `name` from a static function name##_body of the same
 * signature, compiled for every instruction set with the step loops it calls (kernel_isa.h). */
#define RECURRENT_SLICE_PER_ISA(name) \
    NN_ISA_FN(static, name, name##_body, (const void *ctx_, int s0_, int s1_), (ctx_, s0_, s1_))

/* Initial states. An op whose attribute i[RECURRENT_ATTR_INIT] is 1 takes the initial state as
 * its last input: h_{-1} (N,H), or for the LSTM [h_{-1} | c_{-1}] (N,2H); without it the
 * recurrence starts from 0. The BPTT ops (rnn_grad, lstm_grad, gru_grad) of such a states op
 * then give T + 1 rows per sequence, row 0 holding d loss / d h_{-1} (and d c_{-1}) in the
 * place where the in-place backward carries dh (and dc) into an earlier step, rows 1..T the
 * usual gradient of the projections; the states op's backward slices the two apart. */
enum { RECURRENT_ATTR_INIT = 1 };

static inline const nn_shape *recurrent_shape_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]].shape; }
static inline int recurrent_has_init(const nn_node *n) { return n->a.i[RECURRENT_ATTR_INIT] != 0; }
/* The optional mask, input k when present (the initial state, if any, comes after it). */
static inline const float *recurrent_mask(nn_graph *g, const nn_node *n, int k)
{
    return n->n_in - recurrent_has_init(n) > k ? g->nodes[n->in[k]].data : NULL;
}
static inline const float *recurrent_init(nn_graph *g, const nn_node *n)
{
    return recurrent_has_init(n) ? g->nodes[n->in[n->n_in - 1]].data : NULL;
}
static inline int recurrent_real(const float *mask, size_t pos) { return !mask || mask[pos] != 0.0f; }

/* Checks input k of fused op n is (N,T,per*H) for the recurrent weight (gates*H, H) at input 1
 * (gate_names, e.g. " (gates i, f, g, o)", explains the rows in the message), and the
 * optional mask (N,T) at input `mask`, which is marked no_grad. Returns 0 or -1 (g->err). */
int recurrent_check_seq(nn_graph *g, nn_node *n, int k, int per, int gates, const char *gate_names, int mask);
/* Checks the initial state of op n, if it has one, is (N, width) (width: H, or 2H for the
 * LSTM's [h | c]; layout names the columns in the message). Returns 0 or -1 (g->err). */
int recurrent_check_init(nn_graph *g, nn_node *n, int N, int width, const char *layout);
/* The inputs of a states op (its own, then the mask and the initial state when given) into in,
 * with the attributes saying whether there is an initial state; returns the count. */
int recurrent_inputs(int *in, int n_own, int mask, int init, nn_attrs *a);
/* The layer builders' checks (nn_rnn, nn_lstm, nn_gru): x is (N,T,D) and out_mode is one of
 * NN_RNN_ALL_STEPS, NN_RNN_LAST_STEP; an initial state `what` (h0, c0) is -1 (none) or (N,H);
 * name starts the message. */
int recurrent_check_layer(nn_graph *g, const char *name, int x, int out_mode);
int recurrent_check_state(nn_graph *g, const char *name, const char *what, int state, int N, int H);

/* dW_hh (G x H) = sum over sequences n and steps t >= 1 of dpre[n,t]^T h[n,t-1] (padding steps
 * have dpre = 0): d is dpre (N*T rows of G floats, ldd apart), h the states (N*T rows, ldh
 * floats apart).
 * Over flat rows r = n T + t that is one GEMM over the pairs (dpre[r], h[r-1]), r >= 1, minus
 * the N-1 pairs straddling two sequences, themselves one strided GEMM. With an initial state
 * h0 (N rows, ld0 floats apart; NULL: none) the pairs (dpre[n,0], h0[n]) are added. */
void recurrent_whh_grad(const float *d, int G, int ldd, const float *h, int ldh, int N, int T, int H, const float *h0, int ld0,
                        float *out);

/* Last-step gradients. A layer whose output is its last step (NN_RNN_LAST_STEP) gets a states
 * gradient that is zero at every step but T-1: the pad_axis that slice's backward makes. Given
 * such a gout, returns the node pad_axis places, (N,1,W) (the states op's own width W), so that
 * the BPTT op reads one row per sequence instead of T, and the (N,T,W) of zeros is never
 * made; any other gout is returned as it is. */
int recurrent_last_step_only(nn_graph *g, int gout);
/* Checks a BPTT op's states gradient (input 2) against its states (input 0): the same shape,
 * or (N,1,W), the last step's only (recurrent_last_step_only). Returns 0 or -1 (g->err). */
int recurrent_check_gstates(nn_graph *g, nn_node *n);
/* The states gradient's row of step t of sequence q, for gradients of T steps or of the last
 * one (steps = 1; NULL at every other step: a zero row); width floats per row. */
static inline const float *recurrent_gstates_row(const float *gs, int steps, int q, int t, int T, int width)
{
    if (steps == 1 && T > 1) return t == T - 1 ? gs + (size_t)q * width : NULL;
    return gs + ((size_t)q * T + t) * width;
}

/* The backward of a states op (xp, w_hh[, mask][, init]) whose gradient is two gradient-only
 * ops: g = grad_op(states, w_hh, gout[, mask][, init]) (with the op's attributes) and
 * dW_hh = whh_op(states, dxp[, init]); dxp is g, or its rows 1..T with an initial state, whose
 * gradient is then row 0's first init_width columns. The mask gets none. */
int recurrent_states_backward(nn_graph *g, int id, int gout, int *gin, int grad_op, int whh_op, int init_width);
/* Of a BPTT op's output g (N, T+1, C) with an initial state: the gradient of the projections,
 * rows 1..T (N,T,C), and that of the initial state, the first width columns of row 0 (N,width). */
int recurrent_grad_rows(nn_graph *g, int grad);
int recurrent_grad_init(nn_graph *g, int grad, int width);

/* Fixtures: a (3, 4) mask with padding at the end (sequence 1), at the start and in the middle
 * (sequence 2); scaled, (3s, 4s): sequence n follows row n % 3, each step stretched over s.
 * Returns the node or -1. */
static inline int recurrent_test_mask(nn_graph *g, int scale)
{
    static const float m[3][4] = {{1, 1, 1, 1}, {1, 1, 0, 0}, {0, 1, 0, 1}};
    int n = 3 * scale, t = 4 * scale;
    int mask = nn_input(g, nn_shape2(n, t), "mask");
    if (mask < 0) return -1;
    for (int i = 0; i < n * t; i++) nn_data(g, mask)[i] = m[i / t % 3][i % t / scale];
    g->nodes[mask].no_grad = 1;
    return mask;
}

#endif
