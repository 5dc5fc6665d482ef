/* Simple (Elman) recurrent layer: the fused recurrence and its backpropagation through time.
 *   rnn_states(xp, w_hh[, mask][, h0]) -> (N,T,H): h_t = act(xp_t + h_{t-1} W_hh^T), h_{-1} = h0
 *     (N,H) or 0; xp (N,T,H) is the input projection x W_ih^T + b of every step (one dense GEMM,
 *     built by nn_rnn). A padding step (mask 0) keeps the state: h_t = h_{t-1}. The node holds
 *     every step's state, which is what the backward reads. attrs i[0] = act (NN_RNN_TANH/RELU),
 *     i[1] = 1 when h0 is given (recurrent.h: RECURRENT_ATTR_INIT).
 *   rnn_grad(states, w_hh, gstates[, mask][, h0]) -> dpre (N,T,H), or (N,T+1,H) with h0, row 0
 *     then d loss / d h0: d loss / d xp, by BPTT from the gradient of every state (0 at padding
 *     steps), or of the last one alone (gstates (N,1,H): recurrent_last_step_only).
 *     Gradient-only (NN_OPS_GRAD_ONLY).
 *   rnn_whh_grad(states, dpre[, h0]) -> (H,H): d loss / d W_hh = sum over real steps of
 *     dpre_t^T h_{t-1}, batched over all steps. Gradient-only.
 * Why the projection is a separate dense op: rnn_states would otherwise need five inputs (x,
 * w_ih, w_hh, b, mask; NN_MAX_INPUTS is 4), and dense already gives the batched GEMMs for the
 * forward and, through its backward, for dx, dW_ih and db over all steps at once.
 * Layout: (N,T,H) row-major, so step t of every sequence is N rows of H floats spaced T*H
 * apart; each step's GEMM reads and writes them in place through that leading dimension.
 * The gradient-only rows have no backward and no fixture of their own: rnn_states' fixture
 * checks them (tests/test_gradcheck.c asserts it reaches them). */
#include "../kernels/fastmath/kern.h"
#include "op_list.h"
#include "../kernels/recurrent.h"
#include "../kernels/recurrent_gemm.h"
#include <string.h>

/* Checks states-like input k is (N,T,H) matching w_hh (H,H), the optional mask (N,T) and h0
 * (N,H), and the activation attribute. */
static int check_seq(nn_graph *g, nn_node *n, int k, int mask)
{
    if (recurrent_check_seq(g, n, k, 1, 1, "", mask) < 0) return -1;
    const nn_shape *s = recurrent_shape_in(g, n, k);
    if (recurrent_check_init(g, n, s->d[0], s->d[2], "hidden") < 0) return -1;
    if (n->a.i[0] != NN_RNN_TANH && n->a.i[0] != NN_RNN_RELU)
        return nn_graph_fail(g, "%s: activation must be 0 (tanh) or 1 (relu), got %d", nn_op_def_at(n->op)->name, n->a.i[0]);
    return 0;
}

static double recurrence_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0);
    return 2.0 * s->d[0] * s->d[1] * (double)s->d[2] * s->d[2];
}

/* ---- rnn_states(xp, w_hh[, mask]) -> (N,T,H) ---- */
static int rnn_states_infer(nn_graph *g, nn_node *n)
{
    if (check_seq(g, n, 0, 2) < 0) return -1;
    n->shape = *recurrent_shape_in(g, n, 0);
    return 0;
}

static void activate(float *h, size_t units, int act)
{
    if (act == NN_RNN_TANH) {
        nn_k_tanh(h, h, units);
        return;
    }
#pragma omp simd
    for (size_t j = 0; j < units; j++) h[j] = h[j] > 0.0f ? h[j] : 0.0f;
}

/* Steps 0..T-1 for sequences [s0, s1): h (rows ld apart) holds xp on entry, the states after;
 * h0 (N,H) or NULL is h_{-1}. */
static void recur_forward(float *h, const float *h0, const rec_weight *w, const float *mask, int s0, int s1, int T, int H,
                          int act)
{
    size_t ld = (size_t)T * H;
    for (int t = 0; t < T; t++) {
        float *ht = h + (size_t)s0 * ld + (size_t)t * H;
        /* h_{t-1} of the slice's first sequence and the distance to the next one's; none at t = 0 without h0 */
        const float *prev = t > 0 ? ht - H : h0 ? h0 + (size_t)s0 * H : NULL;
        size_t ldp = t > 0 ? ld : (size_t)H;
        /* pre_t = xp_t + h_{t-1} W_hh^T: (rows, H) x (H, H)^T added in place */
        if (prev) rec_gemm(w, s1 - s0, prev, ldp, ht, ld);
        for (int s = s0; s < s1; s++) {
            float *r = ht + (size_t)(s - s0) * ld;
            if (recurrent_real(mask, (size_t)s * T + t)) activate(r, (size_t)H, act);
            else if (prev) memcpy(r, prev + (size_t)(s - s0) * ldp, (size_t)H * sizeof(float));
            else memset(r, 0, (size_t)H * sizeof(float));
        }
    }
}

/* What a slice of either time loop reads and writes (recurrent_for_slices). */
typedef struct {
    float *out;
    const float *in, *states, *mask;   /* in: xp (forward) or the states' gradient (backward) */
    const float *h0;                   /* h_{-1} (N,H) or NULL */
    const rec_weight *w;
    int T, H, act;
    int in_steps;                      /* the backward's gradient: T steps, or 1 (the last) */
} rnn_slice;

static void forward_slice_body(const void *p, int s0, int s1)
{
    const rnn_slice *c = p;
    size_t seq = (size_t)c->T * c->H;   /* each slice copies its own sequences' inputs */
    memcpy(c->out + s0 * seq, c->in + s0 * seq, (size_t)(s1 - s0) * seq * sizeof(float));
    recur_forward(c->out, c->h0, c->w, c->mask, s0, s1, c->T, c->H, c->act);
}
RECURRENT_SLICE_PER_ISA(forward_slice)

static void rnn_states_forward(nn_graph *g, nn_node *n)
{
    const float *w = g->nodes[n->in[1]].data, *mask = recurrent_mask(g, n, 2);
    int N = n->shape.d[0], T = n->shape.d[1], H = n->shape.d[2];
    rec_weight rw;
    rec_weight_pack(&rw, w, 1, H, H);   /* op(W) = W_hh^T */
    rnn_slice c = {n->data, g->nodes[n->in[0]].data, NULL, mask, recurrent_init(g, n), &rw, T, H, n->a.i[0], T};
    recurrent_for_slices(N, 2.0 * N * H * H, forward_slice, &c);
}

/* dpre = rnn_grad(...); d/dW_hh from dpre, d/dh0 from its row 0; the mask gets none. */
static int rnn_states_backward(nn_graph *g, int id, int gout, int *gin)
{
    return recurrent_states_backward(g, id, recurrent_last_step_only(g, gout), gin, NN_OP_rnn_grad, NN_OP_rnn_whh_grad,
                                     g->nodes[id].shape.d[2]);
}

/* Both activations and both output modes, with padding at the end (sequence 1), at the start
 * and in the middle (sequence 2); the tanh layer starts from an initial state h0 (which
 * sequence 2's leading padding step carries over), and a bare rnn_states from another one
 * without a mask. The relu layer's inputs are arranged so that every
 * pre-activation stays > 0.1 away from the kink (units 0 and 2 always on, unit 1 always off):
 * a finite difference across the kink would not match either one-sided derivative. */
static int rnn_states_check(nn_graph *g, nn_rng *r, int scale)
{
    const int N = 3 * scale, T = 4 * scale, D = 3 * scale, H = 3 * scale;
    int mask = recurrent_test_mask(g, scale);   /* (N, T) */
    if (mask < 0) return -1;
    int x = nn_test_input(g, nn_shape3(N, T, D), r, -1, 1), wi = nn_test_input(g, nn_shape2(H, D), r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(H, H), r, -1, 1), b = nn_test_input(g, nn_shape1(H), r, -1, 1);
    int h0 = nn_test_input(g, nn_shape2(N, H), r, -1, 1);
    int all = nn_rnn(g, x, wi, wh, b, mask, h0, NN_RNN_TANH, NN_RNN_ALL_STEPS);
    int x2 = nn_test_input(g, nn_shape3(N, T, D), r, 0.5f, 1), wi2 = nn_test_input(g, nn_shape2(H, D), r, 0.5f, 1);
    int wh2 = nn_test_input(g, nn_shape2(H, H), r, -0.05f, 0.05f), b2 = nn_test_input(g, nn_shape1(H), r, -0.1f, 0.1f);
    if (wi2 < 0) return -1;
    for (int j = 0; j < D; j++) nn_data(g, wi2)[D + j] *= -1.0f;   /* unit 1 off */
    int last = nn_rnn(g, x2, wi2, wh2, b2, mask, -1, NN_RNN_RELU, NN_RNN_LAST_STEP);
    int xp = nn_test_input(g, nn_shape3(N, T, H), r, -1, 1), h0b = nn_test_input(g, nn_shape2(N, H), r, -1, 1);
    int bare = nn_rnn_states(g, xp, wh, -1, h0b, NN_RNN_TANH);
    return nn_add(g, nn_add(g, all, bare), nn_reshape(g, last, nn_shape3(N, 1, H)));
}

/* ---- rnn_grad(states, w_hh, gstates[, mask][, h0]) -> dpre (N,T,H) or (N,T+1,H) ---- */
static int rnn_grad_infer(nn_graph *g, nn_node *n)
{
    if (check_seq(g, n, 0, 3) < 0 || recurrent_check_gstates(g, n) < 0) return -1;
    const nn_shape *s = recurrent_shape_in(g, n, 0);
    n->shape = nn_shape3(s->d[0], s->d[1] + recurrent_has_init(n), s->d[2]);
    return 0;
}

/* In place on one row: dh -> dpre = dh act'(pre), act' read from the output h. */
static void times_act_grad(float *d, const float *h, size_t units, int act)
{
    if (act == NN_RNN_TANH) {
#pragma omp simd
        for (size_t j = 0; j < units; j++) d[j] *= 1.0f - h[j] * h[j];
    } else {
#pragma omp simd
        for (size_t j = 0; j < units; j++) d[j] = h[j] > 0.0f ? d[j] : 0.0f;
    }
}

/* Backward in time, entirely inside the output buffer d (step 0 of sequence 0; sequences ld
 * apart): step t's rows first hold dh_t (the state's own gradient plus what flowed back from
 * step t+1), then become dpre_t, and the GEMM adds dpre_t W_hh into step t-1's rows. A padding
 * row passes dh_t on to h_{t-1} unchanged and leaves dpre_t = 0 (no pre-activation was used).
 * With an initial state (init), step 0 passes dh_{-1} on to the row before it, h0's.
 * Sequences [s0, s1). */
static void recur_backward(float *d, size_t ld, int init, const float *h, const rec_weight *w, const float *mask, int s0,
                           int s1, int T, int H, int act)
{
    size_t lds = (size_t)T * H;
    for (int t = T - 1; t >= 0; t--) {
        float *dt = d + (size_t)s0 * ld + (size_t)t * H;
        int has_prev = t > 0 || init;
        for (int s = s0; s < s1; s++) {
            float *r = dt + (size_t)(s - s0) * ld;
            if (recurrent_real(mask, (size_t)s * T + t)) {
                times_act_grad(r, h + (size_t)s * lds + (size_t)t * H, (size_t)H, act);
                continue;
            }
            if (has_prev) {
#pragma omp simd
                for (int j = 0; j < H; j++) r[j - H] += r[j];
            }
            memset(r, 0, (size_t)H * sizeof(float));
        }
        /* dh_{t-1} += dpre_t W_hh: (rows, H) x (H, H) */
        if (has_prev) rec_gemm(w, s1 - s0, dt, ld, dt - H, ld);
    }
}

static void backward_slice_body(const void *p, int s0, int s1)
{
    const rnn_slice *c = p;
    int init = c->h0 != NULL;
    size_t seq = (size_t)c->T * c->H, ld = seq + (size_t)init * c->H;   /* each slice copies its own sequences' gradients */
    for (int s = s0; s < s1; s++) {
        float *o = c->out + (size_t)s * ld;
        if (init) memset(o, 0, (size_t)c->H * sizeof(float));   /* dh0's row */
        for (int t = 0; t < c->T; t++) {
            float *r = o + (size_t)(init + t) * c->H;
            const float *gr = recurrent_gstates_row(c->in, c->in_steps, s, t, c->T, c->H);
            if (gr) memcpy(r, gr, (size_t)c->H * sizeof(float));
            else memset(r, 0, (size_t)c->H * sizeof(float));
        }
    }
    recur_backward(c->out + (size_t)init * c->H, ld, init, c->states, c->w, c->mask, s0, s1, c->T, c->H, c->act);
}
RECURRENT_SLICE_PER_ISA(backward_slice)

/* rnn_grad: the time loop of recur_backward, sequences split across threads. */
static void rnn_grad_forward(nn_graph *g, nn_node *n)
{
    const float *w = g->nodes[n->in[1]].data, *mask = recurrent_mask(g, n, 3);
    int N = n->shape.d[0], T = n->shape.d[1] - recurrent_has_init(n), H = n->shape.d[2];
    rec_weight rw;
    rec_weight_pack(&rw, w, 0, H, H);   /* op(W) = W_hh */
    rnn_slice c = {n->data, g->nodes[n->in[2]].data, g->nodes[n->in[0]].data, mask, recurrent_init(g, n), &rw, T, H, n->a.i[0],
                   recurrent_shape_in(g, n, 2)->d[1]};
    recurrent_for_slices(N, 2.0 * N * H * H, backward_slice, &c);
}

/* ---- rnn_whh_grad(states, dpre[, h0]) -> (H,H) ---- */
static int rnn_whh_grad_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0), *d = recurrent_shape_in(g, n, 1);
    char a[64], b[64];
    if (s->ndim != 3 || !nn_shape_eq(s, d))
        return nn_graph_fail(g, "rnn_whh_grad: states and dpre must be the same (batch, time, units), got %s and %s",
                             nn_shape_str(s, a, sizeof a), nn_shape_str(d, b, sizeof b));
    if (n->n_in != 2 + recurrent_has_init(n))
        return nn_graph_fail(g, "rnn_whh_grad takes (states, dpre) and h0 when its attributes say so, got %d inputs", n->n_in);
    if (recurrent_check_init(g, n, s->d[0], s->d[2], "hidden") < 0) return -1;
    n->shape = nn_shape2(s->d[2], s->d[2]);
    return 0;
}

/* dW_hh = sum over n, t >= 1 of dpre[n,t]^T h[n,t-1], plus dpre[n,0]^T h0[n] (recurrent_whh_grad). */
static void rnn_whh_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0);
    int H = s->d[2];
    recurrent_whh_grad(g->nodes[n->in[1]].data, H, H, g->nodes[n->in[0]].data, H, s->d[0], s->d[1], H, recurrent_init(g, n), H,
                       n->data);
}

const nn_op_def nn_def_rnn_states = {"rnn_states", -1,
                                     "(xp (N,T,H), w_hh (H,H)[, mask (N,T)][, h0 (N,H)]) -> (N,T,H): h_t = act(xp_t + h_{t-1} w_hh^T)",
                                     rnn_states_infer, rnn_states_forward, rnn_states_backward, rnn_states_check,
                                     recurrence_flops};
const nn_op_def nn_def_rnn_grad = {"rnn_grad", -1,
                                   "(states, w_hh, gstates[, mask][, h0]) -> dpre (N,T,H), with h0 (N,T+1,H) (row 0: d h0): backpropagation through time (gradient only)",
                                   rnn_grad_infer, rnn_grad_forward, NULL, NULL, recurrence_flops};
const nn_op_def nn_def_rnn_whh_grad = {"rnn_whh_grad", -1, "(states, dpre[, h0]) -> (H,H): recurrent weight gradient (gradient only)",
                                       rnn_whh_grad_infer, rnn_whh_grad_forward, NULL, NULL,
                                       recurrence_flops};

int nn_rnn_states(nn_graph *g, int xp, int w_hh, int mask, int h0, int act)
{
    nn_attrs a = {.i = {act}};
    int in[4] = {xp, w_hh};
    return nn_op(g, NN_OP_rnn_states, in, recurrent_inputs(in, 2, mask, h0, &a), &a);
}

int nn_rnn(nn_graph *g, int x, int w_ih, int w_hh, int b, int mask, int h0, int act, int out_mode)
{
    if (x < 0 || w_ih < 0 || w_hh < 0) return -1;
    if (recurrent_check_layer(g, "rnn", x, out_mode) < 0) return -1;
    const nn_shape *xs = &g->nodes[x].shape;
    int N = xs->d[0], T = xs->d[1];
    if (recurrent_check_state(g, "rnn", "h0", h0, N, g->nodes[w_hh].shape.d[1]) < 0) return -1;
    int states = nn_rnn_states(g, nn_dense(g, x, w_ih, b), w_hh, mask, h0, act);
    if (states < 0) return -1;
    int H = g->nodes[states].shape.d[2];
    /* a padding step carries the state, so the state at T-1 is the one after the last real step */
    if (out_mode == NN_RNN_LAST_STEP) return nn_reshape(g, nn_slice(g, states, 1, T - 1, 1), nn_shape2(N, H));
    if (mask < 0) return states;
    return nn_mul(g, states, nn_reshape(g, mask, nn_shape3(N, T, 1)));
}
