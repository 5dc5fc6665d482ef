/* LSTM layer (PyTorch's equations, gate order i, f, g, o): the fused recurrence and its
 * backpropagation through time. Same structure as op_rnn.c (read that first).
 *   lstm_states(xp, w_hh[, mask][, init]) -> (N,T,6H): per step the row [i f g o | c | h], where
 *     pre = xp_t + h_{t-1} W_hh^T (4H), i, f, o = sigmoid, g = tanh of their quarter,
 *     c_t = f c_{t-1} + i g, h_t = o tanh(c_t); [h_{-1} | c_{-1}] = init (N,2H), or 0 without
 *     it (attrs i[1], recurrent.h). xp (N,T,4H) is the input
 *     projection x W_ih^T + b of every step (one dense GEMM, built by nn_lstm). A padding step
 *     (mask 0) keeps c and h and stores gates 0 (constants: they get no gradient). The node
 *     holds everything the backward reads: the activated gates, c_t and h_t of every step.
 *   lstm_grad(states, w_hh, gstates[, mask][, init]) -> dpre (N,T,4H), or (N,T+1,4H) with init,
 *     row 0 then [d h_{-1} | d c_{-1} | 0 0]: d loss / d xp by BPTT from the
 *     gradient of every part of the states, or of the last step's alone (gstates (N,1,6H):
 *     recurrent_last_step_only). Gradient-only (NN_OPS_GRAD_ONLY).
 *   lstm_whh_grad(states, dpre[, init]) -> (4H,H): d loss / d W_hh = sum over steps of
 *     dpre_t^T h_{t-1}, one banded GEMM over all steps. Gradient-only.
 * Layout: step t of sequence n is row n T + t; step t of every sequence is N rows spaced
 * T*6H (states) or T*4H (xp, dpre) apart, and each step's GEMM works on them in place through
 * that leading dimension. Threads split the sequences, as in op_rnn.c. */
#include "../kernels/fastmath/kern.h"
#include "op_list.h"
#include "../kernels/recurrent.h"
#include "../kernels/recurrent_gemm.h"
#include <string.h>



static double recurrence_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0), *w = recurrent_shape_in(g, n, 1);
    return 8.0 * s->d[0] * s->d[1] * (double)w->d[1] * w->d[1];
}

#define INIT_LAYOUT "2 x hidden: [h | c]"

/* ---- lstm_states(xp, w_hh[, mask][, init]) -> (N,T,6H) ---- */
static int lstm_states_infer(nn_graph *g, nn_node *n)
{
    if (recurrent_check_seq(g, n, 0, 4, 4, " (gates i, f, g, o)", 2) < 0) return -1;
    const nn_shape *s = recurrent_shape_in(g, n, 0);
    if (recurrent_check_init(g, n, s->d[0], s->d[2] / 2, INIT_LAYOUT) < 0) return -1;
    n->shape = nn_shape3(s->d[0], s->d[1], s->d[2] / 4 * 6);
    return 0;
}

/* One real step of one sequence, in place: r (6H) holds the pre-activations in [0, 4H) on
 * entry, [i f g o | c | h] after; c_prev is c_{t-1} (NULL at t = 0). */
static void cell_step(float *r, const float *c_prev, int H)
{
    float *c = r + 4 * H, *h = r + 5 * H;
    nn_k_sigmoid(r, r, 2 * (size_t)H);
    nn_k_tanh(r + 2 * H, r + 2 * H, (size_t)H);
    nn_k_sigmoid(r + 3 * H, r + 3 * H, (size_t)H);
#pragma omp simd
    for (int j = 0; j < H; j++) c[j] = r[j] * r[2 * H + j] + (c_prev ? r[H + j] * c_prev[j] : 0.0f);
    nn_k_tanh(c, h, (size_t)H);
#pragma omp simd
    for (int j = 0; j < H; j++) h[j] *= r[3 * H + j];
}

/* c_{t-1} of sequence q at step t: in the previous states row, or init's (NULL: none). */
static const float *c_prev_of(const float *row, const float *init, int q, int t, int H)
{
    return t > 0 ? row - 2 * H : init ? init + (size_t)q * 2 * H + H : NULL;
}

/* Steps 0..T-1 for sequences [s0, s1) of the states s, from the projections xp and init
 * ([h_{-1} | c_{-1}] (N,2H) or NULL). */
static void recur_forward(float *s, const float *xp, const float *init, const rec_weight *w, const float *mask, int s0, int s1,
                          int T, int H)
{
    size_t ld = (size_t)T * 6 * H, ldx = (size_t)T * 4 * H;
    for (int t = 0; t < T; t++) {
        float *st = s + (size_t)s0 * ld + (size_t)t * 6 * H;
        for (int q = s0; q < s1; q++)
            memcpy(st + (size_t)(q - s0) * ld, xp + (size_t)q * ldx + (size_t)t * 4 * H, (size_t)4 * H * sizeof(float));
        /* h_{t-1} of the slice's first sequence and the distance to the next one's; none at t = 0 without init */
        const float *hp = t > 0 ? st - H : init ? init + (size_t)s0 * 2 * H : NULL;
        size_t ldp = t > 0 ? ld : (size_t)2 * H;
        /* pre_t += h_{t-1} W_hh^T: (rows, H) x (4H, H)^T into the gate slots */
        if (hp) rec_gemm(w, s1 - s0, hp, ldp, st, ld);
        for (int q = s0; q < s1; q++) {
            float *r = st + (size_t)(q - s0) * ld;
            const float *c_prev = c_prev_of(r, init, q, t, H);
            if (recurrent_real(mask, (size_t)q * T + t)) {
                cell_step(r, c_prev, H);
                continue;
            }
            memset(r, 0, (size_t)(hp ? 4 : 6) * H * sizeof(float));
            if (hp) {   /* carry c and h */
                memcpy(r + 4 * H, c_prev, (size_t)H * sizeof(float));
                memcpy(r + 5 * H, hp + (size_t)(q - s0) * ldp, (size_t)H * sizeof(float));
            }
        }
    }
}

/* What a slice of either time loop reads and writes (recurrent_for_slices). */
typedef struct {
    float *out;
    const float *in, *gs, *mask;   /* in: xp (forward) or the states (backward) */
    const float *init;             /* [h_{-1} | c_{-1}] (N,2H) or NULL */
    const rec_weight *w;
    int T, H;
    int gs_steps;                  /* the backward's gradient: T steps, or 1 (the last) */
} lstm_slice;

static void forward_slice_body(const void *p, int s0, int s1)
{
    const lstm_slice *c = p;
    recur_forward(c->out, c->in, c->init, c->w, c->mask, s0, s1, c->T, c->H);
}
RECURRENT_SLICE_PER_ISA(forward_slice)

static void lstm_states_forward(nn_graph *g, nn_node *n)
{
    const float *xp = g->nodes[n->in[0]].data, *w = g->nodes[n->in[1]].data, *mask = recurrent_mask(g, n, 2);
    int N = n->shape.d[0], T = n->shape.d[1], H = n->shape.d[2] / 6;
    rec_weight rw;
    rec_weight_pack(&rw, w, 1, 4 * H, H);   /* op(W) = W_hh^T */
    recurrent_for_slices(N, 8.0 * N * H * H, forward_slice, &(lstm_slice){n->data, xp, NULL, mask, recurrent_init(g, n), &rw, T, H, T});
}

/* dpre = lstm_grad(...); d/dW_hh from dpre, d/dinit from its row 0; the mask gets none. */
static int lstm_states_backward(nn_graph *g, int id, int gout, int *gin)
{
    return recurrent_states_backward(g, id, recurrent_last_step_only(g, gout), gin, NN_OP_lstm_grad, NN_OP_lstm_whh_grad,
                                     g->nodes[id].shape.d[2] / 3);
}

/* Both output modes with padding at the end (sequence 1), at the start and in the middle
 * (sequence 2), the every-step one from an initial h0 and c0 (carried over sequence 2's leading
 * padding step), plus a bare lstm_states from an initial [h | c] without a mask whose every
 * part (gates, c, h) feeds the loss, so the backward's handling of gradients on gates and
 * cells is checked too. */
static int lstm_states_check(nn_graph *g, nn_rng *r, int scale)
{
    const int N = 3 * scale, T = 4 * scale, D = 3 * scale, H = 2 * scale;
    int mask = recurrent_test_mask(g, scale);   /* (N, T) */
    if (mask < 0) return -1;
    int x = nn_test_input(g, nn_shape3(N, T, D), r, -1, 1), wi = nn_test_input(g, nn_shape2(4 * H, D), r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(4 * H, H), r, -1, 1), b = nn_test_input(g, nn_shape1(4 * H), r, -1, 1);
    int h0 = nn_test_input(g, nn_shape2(N, H), r, -1, 1), c0 = nn_test_input(g, nn_shape2(N, H), r, -1, 1);
    int all = nn_lstm(g, x, wi, wh, b, mask, h0, c0, NN_RNN_ALL_STEPS);
    int last = nn_lstm(g, x, wi, wh, -1, mask, -1, -1, NN_RNN_LAST_STEP);
    int xp = nn_test_input(g, nn_shape3(N, T, 4 * H), r, -1, 1), init = nn_test_input(g, nn_shape2(N, 2 * H), r, -1, 1);
    int states = nn_lstm_states(g, xp, wh, -1, init);
    int h = nn_add(g, all, nn_reshape(g, last, nn_shape3(N, 1, H)));
    return nn_concat(g, (int[]){h, states}, 2, 2);
}

/* ---- lstm_grad(states, w_hh, gstates[, mask][, init]) -> dpre (N,T,4H) or (N,T+1,4H) ---- */
static int lstm_grad_infer(nn_graph *g, nn_node *n)
{
    if (recurrent_check_seq(g, n, 0, 6, 4, " (gates i, f, g, o)", 3) < 0 || recurrent_check_gstates(g, n) < 0) return -1;
    const nn_shape *s = recurrent_shape_in(g, n, 0);
    if (recurrent_check_init(g, n, s->d[0], s->d[2] / 3, INIT_LAYOUT) < 0) return -1;
    n->shape = nn_shape3(s->d[0], s->d[1] + recurrent_has_init(n), s->d[2] / 6 * 4);
    return 0;
}

/* One real step of one sequence. r (4H) holds the carried dh in [0, H) and dc in [H, 2H) on
 * entry (from step t+1 and the W_hh GEMM), dpre = d(i f g o pre-activations) after; [2H, 3H)
 * is free on entry and holds tanh(c_t) meanwhile. st: the step's states row [i f g o | c | h],
 * gs its gradient (NULL: 0), c_prev c_{t-1} (NULL at t = 0), prev step t-1's rows (NULL at
 * t = 0): dc_{t-1} = dc f goes to prev[H, 2H). Each unit j reads its slots before writing them. */
static inline void cell_grad(float *r, const float *st, const float *gs, const float *c_prev, float *prev, int H, int has_gs)
{
    nn_k_tanh(st + 4 * H, r + 2 * H, (size_t)H);
#pragma omp simd
    for (int j = 0; j < H; j++) {
        float i = st[j], f = st[H + j], gg = st[2 * H + j], o = st[3 * H + j], tc = r[2 * H + j];
        float dh = r[j] + (has_gs ? gs[5 * H + j] : 0.0f);
        float dc = r[H + j] + (has_gs ? gs[4 * H + j] : 0.0f) + dh * o * (1.0f - tc * tc);
        r[j] = (dc * gg + (has_gs ? gs[j] : 0.0f)) * i * (1.0f - i);
        r[H + j] = ((c_prev ? dc * c_prev[j] : 0.0f) + (has_gs ? gs[H + j] : 0.0f)) * f * (1.0f - f);
        r[2 * H + j] = (dc * i + (has_gs ? gs[2 * H + j] : 0.0f)) * (1.0f - gg * gg);
        r[3 * H + j] = (dh * tc + (has_gs ? gs[3 * H + j] : 0.0f)) * o * (1.0f - o);
        if (prev) prev[H + j] = dc * f;
    }
}

static void cell_step_grad(float *r, const float *st, const float *gs, const float *c_prev, float *prev, int H)
{
    if (gs) cell_grad(r, st, gs, c_prev, prev, H, 1);
    else cell_grad(r, st, NULL, c_prev, prev, H, 0);
}

/* A padding step passes dh and dc on to step t-1 unchanged (c and h were carried) and leaves
 * dpre = 0 (its gates are constants); gs NULL: 0. */
static void carry_step_grad(float *r, const float *gs, float *prev, int H)
{
    if (prev) {
#pragma omp simd
        for (int j = 0; j < H; j++) {
            prev[j] = r[j] + (gs ? gs[5 * H + j] : 0.0f);
            prev[H + j] = r[H + j] + (gs ? gs[4 * H + j] : 0.0f);
        }
    }
    memset(r, 0, (size_t)4 * H * sizeof(float));
}

/* Backward in time for sequences [s0, s1), entirely inside the zeroed output d (step 0 of
 * sequence 0; sequences ldd apart): step t's rows hold the carried (dh_t, dc_t), then become
 * dpre_t, and the GEMM adds dpre_t W_hh into dh_{t-1}; with an initial state (init), step 0
 * passes (dh_{-1}, dc_{-1}) on to the row before it. */
static void recur_backward(float *d, size_t ldd, const float *init, const float *s, const float *gs, int gs_steps,
                           const rec_weight *w, const float *mask, int s0, int s1, int T, int H)
{
    size_t lds = (size_t)T * 6 * H;
    for (int t = T - 1; t >= 0; t--) {
        float *dt = d + (size_t)s0 * ldd + (size_t)t * 4 * H;
        int has_prev = t > 0 || init;
        for (int q = s0; q < s1; q++) {
            float *r = dt + (size_t)(q - s0) * ldd, *prev = has_prev ? r - 4 * H : NULL;
            size_t at = (size_t)q * lds + (size_t)t * 6 * H;
            const float *gr = recurrent_gstates_row(gs, gs_steps, q, t, T, 6 * H);
            if (recurrent_real(mask, (size_t)q * T + t))
                cell_step_grad(r, s + at, gr, c_prev_of(s + at, init, q, t, H), prev, H);
            else
                carry_step_grad(r, gr, prev, H);
        }
        /* dh_{t-1} += dpre_t W_hh: (rows, 4H) x (4H, H) */
        if (has_prev) rec_gemm(w, s1 - s0, dt, ldd, dt - 4 * H, ldd);
    }
}

static void backward_slice_body(const void *p, int s0, int s1)
{
    const lstm_slice *c = p;
    int rows = c->T + (c->init != NULL);   /* per sequence: dh0's row first with an initial state */
    size_t ldd = (size_t)rows * 4 * c->H;
    memset(c->out + (size_t)s0 * ldd, 0, (size_t)(s1 - s0) * ldd * sizeof(float));   /* the slice's own sequences */
    recur_backward(c->out + (ldd - (size_t)c->T * 4 * c->H), ldd, c->init, c->in, c->gs, c->gs_steps, c->w, c->mask, s0, s1, c->T,
                   c->H);
}
RECURRENT_SLICE_PER_ISA(backward_slice)

static void lstm_grad_forward(nn_graph *g, nn_node *n)
{
    const float *s = g->nodes[n->in[0]].data, *w = g->nodes[n->in[1]].data, *gs = g->nodes[n->in[2]].data;
    const float *mask = recurrent_mask(g, n, 3);
    int N = n->shape.d[0], T = n->shape.d[1] - recurrent_has_init(n), H = n->shape.d[2] / 4;
    rec_weight rw;
    rec_weight_pack(&rw, w, 0, H, 4 * H);   /* op(W) = W_hh (4H, H) */
    recurrent_for_slices(N, 8.0 * N * H * H, backward_slice,
                         &(lstm_slice){n->data, s, gs, mask, recurrent_init(g, n), &rw, T, H, recurrent_shape_in(g, n, 2)->d[1]});
}

/* ---- lstm_whh_grad(states, dpre[, init]) -> (4H,H) ---- */
static int lstm_whh_grad_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0), *d = recurrent_shape_in(g, n, 1);
    char a[64], b[64];
    if (s->ndim != 3 || d->ndim != 3 || s->d[0] != d->d[0] || s->d[1] != d->d[1] || s->d[2] % 6 || s->d[2] / 6 * 4 != d->d[2])
        return nn_graph_fail(g, "lstm_whh_grad: expected states (batch, time, 6H) and dpre (batch, time, 4H), got %s and %s",
                             nn_shape_str(s, a, sizeof a), nn_shape_str(d, b, sizeof b));
    if (n->n_in != 2 + recurrent_has_init(n))
        return nn_graph_fail(g, "lstm_whh_grad takes (states, dpre) and init when its attributes say so, got %d inputs", n->n_in);
    if (recurrent_check_init(g, n, s->d[0], s->d[2] / 3, INIT_LAYOUT) < 0) return -1;
    n->shape = nn_shape2(d->d[2], s->d[2] / 6);
    return 0;
}

/* dW_hh = sum over n, t >= 1 of dpre[n,t]^T h[n,t-1], plus dpre[n,0]^T h_{-1}[n] with an
 * initial state (recurrent_whh_grad); h sits at column 5H of the states' 6H-wide rows, h_{-1}
 * at column 0 of init's 2H-wide ones. */
static void lstm_whh_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_shape *ss = recurrent_shape_in(g, n, 0);
    int H = ss->d[2] / 6;
    recurrent_whh_grad(g->nodes[n->in[1]].data, 4 * H, 4 * H, g->nodes[n->in[0]].data + 5 * H, 6 * H, ss->d[0], ss->d[1], H,
                       recurrent_init(g, n), 2 * H, n->data);
}

const nn_op_def nn_def_lstm_states = {"lstm_states", -1,
                                      "(xp (N,T,4H), w_hh (4H,H)[, mask (N,T)][, init [h0 | c0] (N,2H)]) -> (N,T,6H): per step [i f g o | c | h] of an LSTM",
                                      lstm_states_infer, lstm_states_forward, lstm_states_backward, lstm_states_check,
                                      recurrence_flops};
const nn_op_def nn_def_lstm_grad = {"lstm_grad", -1,
                                    "(states, w_hh, gstates[, mask][, init]) -> dpre (N,T,4H), with init (N,T+1,4H) (row 0: d init): LSTM backpropagation through time (gradient only)",
                                    lstm_grad_infer, lstm_grad_forward, NULL, NULL, recurrence_flops};
const nn_op_def nn_def_lstm_whh_grad = {"lstm_whh_grad", -1, "(states, dpre[, init]) -> (4H,H): LSTM recurrent weight gradient (gradient only)",
                                        lstm_whh_grad_infer, lstm_whh_grad_forward, NULL, NULL, recurrence_flops};

int nn_lstm_states(nn_graph *g, int xp, int w_hh, int mask, int init)
{
    nn_attrs a = {0};
    int in[4] = {xp, w_hh};
    return nn_op(g, NN_OP_lstm_states, in, recurrent_inputs(in, 2, mask, init, &a), &a);
}

/* [h0 | c0] (N,2H) from either (N,H) or -1 (zeros), or -1 when neither is given */
static int initial_state(nn_graph *g, int h0, int c0, int N, int H)
{
    if (h0 < 0 && c0 < 0) return -1;
    if (recurrent_check_state(g, "lstm", "h0", h0, N, H) < 0 || recurrent_check_state(g, "lstm", "c0", c0, N, H) < 0) return -2;
    int parts[2] = {h0 >= 0 ? h0 : nn_const(g, nn_shape2(N, H), 0.0f), c0 >= 0 ? c0 : nn_const(g, nn_shape2(N, H), 0.0f)};
    int init = nn_concat(g, parts, 2, 1);
    return init < 0 ? -2 : init;
}

int nn_lstm(nn_graph *g, int x, int w_ih, int w_hh, int b, int mask, int h0, int c0, int out_mode)
{
    if (x < 0 || w_ih < 0 || w_hh < 0) return -1;
    if (recurrent_check_layer(g, "lstm", x, out_mode) < 0) return -1;
    const nn_shape *xs = &g->nodes[x].shape;
    int N = xs->d[0], T = xs->d[1];
    int init = initial_state(g, h0, c0, N, g->nodes[w_hh].shape.d[1]);
    if (init < -1) return -1;
    int states = nn_lstm_states(g, nn_dense(g, x, w_ih, b), w_hh, mask, init);
    if (states < 0) return -1;
    int H = g->nodes[states].shape.d[2] / 6;
    /* a padding step carries the state, so the state at T-1 is the one after the last real step;
     * its step first, so that the gradient is that one step's (recurrent_last_step_only) */
    if (out_mode == NN_RNN_LAST_STEP) return nn_reshape(g, nn_slice(g, nn_slice(g, states, 1, T - 1, 1), 2, 5 * H, H), nn_shape2(N, H));
    int h = nn_slice(g, states, 2, 5 * H, H);   /* (N,T,H) */
    if (mask < 0) return h;
    return nn_mul(g, h, nn_reshape(g, mask, nn_shape3(N, T, 1)));
}
