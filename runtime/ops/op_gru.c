/* GRU layer (PyTorch's equations, gate order r, z, n): the fused recurrence and its
 * backpropagation through time. Same structure as op_lstm.c (read op_rnn.c first).
 *   gru_states(xp, w_hh, b_hh[, mask][, h0]) -> (N,T,5H): per step the row [r z | hn | n | h],
 *     where hp = h_{t-1} W_hh^T + b_hh (3H, gates r z n), r = sigmoid(xp_r + hp_r),
 *     z = sigmoid(xp_z + hp_z), hn = hp_n, n = tanh(xp_n + r hn), h_t = (1 - z) n + z h_{t-1},
 *     h_{-1} = h0 (N,H), or 0 without it (attrs i[1], recurrent.h). xp (N,T,3H) is the input
 *     projection x W_ih^T + b_ih of every step (one dense
 *     GEMM, built by nn_gru). b_hh is an input of its own because b_hn sits inside r (...).
 *     A padding step (mask 0) keeps h and stores r, z, hn, n = 0 (constants: no gradient).
 *     The node holds everything the backward reads.
 *   gru_grad(states, w_hh, gstates[, mask][, h0]) -> dxp (N,T,3H), or (N,T+1,3H) with h0, row 0
 *     then [d h0 | 0 0]: d loss / d xp by BPTT from the
 *     gradient of every part of the states, or of the last step's alone (gstates (N,1,5H), here
 *     and in the two ops below: recurrent_last_step_only). Gradient-only (NN_OPS_GRAD_ONLY).
 *   gru_whh_grad(states, dxp, gstates[, mask][, h0]) -> (3H,H): d loss / d W_hh = sum over
 *     steps of dhp_t^T h_{t-1} (t >= 1, and t = 0 with h0), where dhp = [d_r d_z d_hn] is the
 *     gradient of h_{t-1} W_hh^T + b_hh: d_r, d_z from dxp, d_hn = dxp_n r + the gradient on
 *     the hn slot (0 at padding steps). Gradient-only.
 *   gru_bhh_grad(states, dxp, gstates[, mask][, h0]) -> (3H): d loss / d b_hh = sum over all
 *     steps of dhp_t. Gradient-only.
 * (gru_grad returns dxp rather than dhp because dxp feeds the dense projection's backward,
 * which needs it contiguous; d_hn is cheap to redo from it.)
 * Layout: step t of sequence n is row n T + t; step t of every sequence is N rows spaced
 * T*5H (states) or T*3H (xp, dxp) apart, and each step's GEMM works on them in place through
 * that leading dimension. Threads split the sequences, as in op_rnn.c (recurrent.h). */
#include "../kernels/fastmath/kern.h"
#include "op_list.h"
#include "../kernels/recurrent.h"
#include "../kernels/recurrent_gemm.h"
#include "../core/parallel.h"
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offsets in a states row, in units of H: [r z | hn | n | h]. */
enum { S_R = 0, S_Z = 1, S_HN = 2, S_N = 3, S_H = 4, S_W = 5 };


static double recurrence_flops(nn_graph *g, const nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0), *w = recurrent_shape_in(g, n, 1);
    return 6.0 * s->d[0] * s->d[1] * (double)w->d[1] * w->d[1];
}

/* Out of memory inside a forward (which cannot fail): the output becomes NaN, which the
 * trainer's NaN check reports, and stderr says why. */
static void fail_nan(nn_node *n, const char *op)
{
    fprintf(stderr, "nnrun: out of memory for the %s scratch of '%s'; its output is NaN\n", op, n->label);
    size_t k = nn_shape_numel(&n->shape);
    for (size_t i = 0; i < k; i++) n->data[i] = NAN;
}

/* ---- gru_states(xp, w_hh, b_hh[, mask]) -> (N,T,5H) ---- */
static int gru_states_infer(nn_graph *g, nn_node *n)
{
    if (recurrent_check_seq(g, n, 0, 3, 3, " (gates r, z, n)", 3) < 0) return -1;
    const nn_shape *s = recurrent_shape_in(g, n, 0), *b = recurrent_shape_in(g, n, 2);
    if (recurrent_check_init(g, n, s->d[0], s->d[2] / 3, "hidden") < 0) return -1;
    if (b->ndim != 1 || b->d[0] != s->d[2]) {
        char a[64];
        return nn_graph_fail(g, "gru_states: the recurrent bias must be (%d) (3 x hidden), got %s", s->d[2],
                             nn_shape_str(b, a, sizeof a));
    }
    n->shape = nn_shape3(s->d[0], s->d[1], s->d[2] / 3 * S_W);
    return 0;
}

/* Before the step's GEMM: [r z] = xp_rz + b_hr,z, hn = b_hn, n = xp_n (the GEMM then adds
 * h_{t-1} W_hh^T to [r z | hn], which is the order of W_hh's rows). */
static void load_step(float *row, const float *xp, const float *bh, int H)
{
#pragma omp simd
    for (int j = 0; j < 2 * H; j++) row[j] = xp[j] + bh[j];
    memcpy(row + S_HN * H, bh + 2 * H, (size_t)H * sizeof(float));
    memcpy(row + S_N * H, xp + 2 * H, (size_t)H * sizeof(float));
}

/* One real step of one sequence, in place on its row (pre-activations in, states out);
 * h_prev is h_{t-1} (NULL at t = 0). */
static void cell_step(float *row, const float *h_prev, int H)
{
    const float *r = row, *z = row + S_Z * H, *hn = row + S_HN * H;
    float *nn = row + S_N * H, *h = row + S_H * H;
    nn_k_sigmoid(row, row, 2 * (size_t)H);
#pragma omp simd
    for (int j = 0; j < H; j++) nn[j] += r[j] * hn[j];
    nn_k_tanh(nn, nn, (size_t)H);
    if (h_prev) {
#pragma omp simd
        for (int j = 0; j < H; j++) h[j] = nn[j] + z[j] * (h_prev[j] - nn[j]);
    } else {
#pragma omp simd
        for (int j = 0; j < H; j++) h[j] = nn[j] - z[j] * nn[j];
    }
}

/* Steps 0..T-1 for sequences [s0, s1) of the states s, from the projections xp and h0 (N,H)
 * or NULL. */
static void recur_forward(float *s, const float *xp, const float *h0, const rec_weight *w, const float *bh, const float *mask,
                          int s0, int s1, int T, int H)
{
    size_t ld = (size_t)T * S_W * H, ldx = (size_t)T * 3 * H;
    for (int t = 0; t < T; t++) {
        float *st = s + (size_t)s0 * ld + (size_t)t * S_W * H;
        for (int q = s0; q < s1; q++) load_step(st + (size_t)(q - s0) * ld, xp + (size_t)q * ldx + (size_t)t * 3 * H, bh, H);
        /* h_{t-1} of the slice's first sequence and the distance to the next one's; none at t = 0 without h0 */
        const float *hp = t > 0 ? st - H : h0 ? h0 + (size_t)s0 * H : NULL;
        size_t ldp = t > 0 ? ld : (size_t)H;
        /* [r z | hn] += h_{t-1} W_hh^T: (rows, H) x (3H, H)^T; h_{-1} = 0 adds nothing */
        if (hp) rec_gemm(w, s1 - s0, hp, ldp, st, ld);
        for (int q = s0; q < s1; q++) {
            float *row = st + (size_t)(q - s0) * ld;
            const float *h_prev = hp ? hp + (size_t)(q - s0) * ldp : NULL;
            if (recurrent_real(mask, (size_t)q * T + t)) {
                cell_step(row, h_prev, H);
                continue;
            }
            memset(row, 0, (size_t)(h_prev ? S_H : S_W) * H * sizeof(float));
            if (h_prev) memcpy(row + S_H * H, h_prev, (size_t)H * sizeof(float));   /* carry h */
        }
    }
}

/* What a slice of either time loop reads and writes (recurrent_for_slices). */
typedef struct {
    float *out;
    const float *in, *extra, *mask;   /* forward: xp and b_hh; backward: the states and their gradient */
    const float *h0;                  /* h_{-1} (N,H) or NULL */
    const rec_weight *w;
    int T, H;
    atomic_int *failed;               /* backward: some slice lacked memory */
    int gs_steps;                     /* backward: the gradient's steps, T or 1 (the last) */
} gru_slice;

static void forward_slice_body(const void *p, int s0, int s1)
{
    const gru_slice *c = p;
    recur_forward(c->out, c->in, c->h0, c->w, c->extra, c->mask, s0, s1, c->T, c->H);
}
RECURRENT_SLICE_PER_ISA(forward_slice)

static void gru_states_forward(nn_graph *g, nn_node *n)
{
    const float *xp = g->nodes[n->in[0]].data, *w = g->nodes[n->in[1]].data, *bh = g->nodes[n->in[2]].data;
    const float *mask = recurrent_mask(g, n, 3);
    int N = n->shape.d[0], T = n->shape.d[1], H = n->shape.d[2] / S_W;
    rec_weight rw;
    rec_weight_pack(&rw, w, 1, 3 * H, H);   /* op(W) = W_hh^T */
    recurrent_for_slices(N, 6.0 * N * H * H, forward_slice, &(gru_slice){n->data, xp, bh, mask, recurrent_init(g, n), &rw, T, H, NULL, T});
}

/* dxp = gru_grad(...) (its rows 1..T with h0, row 0 then d/dh0); d/dW_hh and d/db_hh from
 * dxp; the mask gets none. */
static int gru_states_backward(nn_graph *g, int id, int gout, int *gin)
{
    const nn_node *n = &g->nodes[id];
    nn_attrs attrs = n->a;   /* copies: adding nodes may move n */
    int n_in = n->n_in, init = recurrent_has_init(n) ? n->in[n_in - 1] : -1, H = n->shape.d[2] / S_W;
    int in[NN_MAX_INPUTS] = {id, n->in[1], recurrent_last_step_only(g, gout)};
    for (int k = 3; k < n_in; k++) in[k] = n->in[k];   /* the mask and h0, where the states op has them */
    int d = nn_op(g, NN_OP_gru_grad, in, n_in, &attrs);
    int dxp = init < 0 || d < 0 ? d : recurrent_grad_rows(g, d);
    gin[0] = dxp;
    in[1] = dxp;   /* (states, dxp, gstates[, mask][, h0]) */
    gin[1] = nn_op(g, NN_OP_gru_whh_grad, in, n_in, &attrs);
    gin[2] = nn_op(g, NN_OP_gru_bhh_grad, in, n_in, &attrs);
    if (init >= 0 && (gin[n_in - 1] = recurrent_grad_init(g, d, H)) < 0) return -1;
    return gin[0] < 0 || gin[1] < 0 || gin[2] < 0 ? -1 : 0;
}

/* Both output modes with padding at the end (sequence 1), at the start and in the middle
 * (sequence 2), with and without biases, the every-step one from an initial state h0 (carried
 * over sequence 2's leading padding step), plus a bare gru_states from another h0 without a
 * mask whose every part (r, z, hn, n, h) feeds the loss, so the backward's handling of
 * gradients on every slot is checked. */
static int gru_states_check(nn_graph *g, nn_rng *r, int scale)
{
    const int N = 3 * scale, T = 4 * scale, D = 3 * scale, H = 2 * scale;
    int mask = recurrent_test_mask(g, scale);   /* (N, T) */
    if (mask < 0) return -1;
    int x = nn_test_input(g, nn_shape3(N, T, D), r, -1, 1), wi = nn_test_input(g, nn_shape2(3 * H, D), r, -1, 1);
    int wh = nn_test_input(g, nn_shape2(3 * H, H), r, -1, 1), bi = nn_test_input(g, nn_shape1(3 * H), r, -1, 1);
    int bh = nn_test_input(g, nn_shape1(3 * H), r, -1, 1);
    int h0 = nn_test_input(g, nn_shape2(N, H), r, -1, 1);
    int all = nn_gru(g, x, wi, wh, bi, bh, mask, h0, NN_RNN_ALL_STEPS);
    int last = nn_gru(g, x, wi, wh, -1, -1, mask, -1, NN_RNN_LAST_STEP);
    int xp = nn_test_input(g, nn_shape3(N, T, 3 * H), r, -1, 1), h0b = nn_test_input(g, nn_shape2(N, H), r, -1, 1);
    int states = nn_gru_states(g, xp, wh, bh, -1, h0b);
    int h = nn_add(g, all, nn_reshape(g, last, nn_shape3(N, 1, H)));
    return nn_concat(g, (int[]){h, states}, 2, 2);
}

/* ---- gru_grad(states, w_hh, gstates[, mask][, h0]) -> dxp (N,T,3H) or (N,T+1,3H) ---- */
static int gru_grad_infer(nn_graph *g, nn_node *n)
{
    if (recurrent_check_seq(g, n, 0, S_W, 3, " (gates r, z, n)", 3) < 0 || recurrent_check_gstates(g, n) < 0) return -1;
    const nn_shape *s = recurrent_shape_in(g, n, 0);
    if (recurrent_check_init(g, n, s->d[0], s->d[2] / S_W, "hidden") < 0) return -1;
    n->shape = nn_shape3(s->d[0], s->d[1] + recurrent_has_init(n), s->d[2] / S_W * 3);
    return 0;
}

/* One real step of one sequence. dx (3H) holds the carried dh_t in [0, H) on entry (from step
 * t+1 and the W_hh GEMM; the rest is 0), [d_r d_z d_n] (d of the pre-activations r, z and of
 * xp_n) after; dhp (3H) gets [d_r d_z d_hn], the gradient of h_{t-1} W_hh^T + b_hh. st: the
 * step's states row, gs its gradient (NULL: 0), h_prev h_{t-1} (NULL at t = 0), dh_prev step
 * t-1's dh slot (NULL at t = 0), which gets the direct part dh z. Each unit reads dx[j] before
 * writing. */
static inline void cell_grad(float *dx, float *dhp, const float *st, const float *gs, const float *h_prev, float *dh_prev, int H,
                             int has_gs)
{
#pragma omp simd
    for (int j = 0; j < H; j++) {
        float r = st[j], z = st[S_Z * H + j], hn = st[S_HN * H + j], n = st[S_N * H + j], hp = h_prev ? h_prev[j] : 0.0f;
        float dh = dx[j] + (has_gs ? gs[S_H * H + j] : 0.0f);
        float dn = (dh * (1.0f - z) + (has_gs ? gs[S_N * H + j] : 0.0f)) * (1.0f - n * n);
        float dr = (dn * hn + (has_gs ? gs[j] : 0.0f)) * r * (1.0f - r);
        float dz = (dh * (hp - n) + (has_gs ? gs[S_Z * H + j] : 0.0f)) * z * (1.0f - z);
        dx[j] = dhp[j] = dr;
        dx[H + j] = dhp[H + j] = dz;
        dx[2 * H + j] = dn;
        dhp[2 * H + j] = dn * r + (has_gs ? gs[S_HN * H + j] : 0.0f);
        if (dh_prev) dh_prev[j] = dh * z;
    }
}

static void cell_step_grad(float *dx, float *dhp, const float *st, const float *gs, const float *h_prev, float *dh_prev, int H)
{
    if (gs) cell_grad(dx, dhp, st, gs, h_prev, dh_prev, H, 1);
    else cell_grad(dx, dhp, st, NULL, h_prev, dh_prev, H, 0);
}

/* Backward in time for sequences [s0, s1), inside the zeroed output d (step 0 of sequence 0;
 * sequences ldd apart): step t's rows hold the
 * carried dh_t, then become dxp_t; dhp (rows, 3H) is this thread's scratch for the step's
 * [d_r d_z d_hn], and the GEMM adds dhp W_hh into dh_{t-1}. A padding step passes dh_t on
 * unchanged (h was carried) and leaves dxp_t = 0 (its gates are constants). With h0 (N,H),
 * step 0 passes dh_{-1} on to the row before it, h0's. */
static void recur_backward(float *d, size_t ldd, const float *h0, float *dhp, const float *s, const float *gs, int gs_steps,
                           const rec_weight *w, const float *mask, int s0, int s1, int T, int H)
{
    size_t lds = (size_t)T * S_W * H;
    for (int t = T - 1; t >= 0; t--) {
        float *dt = d + (size_t)s0 * ldd + (size_t)t * 3 * H;
        int has_prev = t > 0 || h0;
        for (int q = s0; q < s1; q++) {
            float *dx = dt + (size_t)(q - s0) * ldd, *dh_prev = has_prev ? dx - 3 * H : NULL, *dp = dhp + (size_t)(q - s0) * 3 * H;
            size_t at = (size_t)q * lds + (size_t)t * S_W * H;
            const float *h_prev = t > 0 ? s + at - H : h0 ? h0 + (size_t)q * H : NULL;
            const float *gr = recurrent_gstates_row(gs, gs_steps, q, t, T, S_W * H);
            if (recurrent_real(mask, (size_t)q * T + t)) {
                cell_step_grad(dx, dp, s + at, gr, h_prev, dh_prev, H);
                continue;
            }
            if (dh_prev) {
#pragma omp simd
                for (int j = 0; j < H; j++) dh_prev[j] = dx[j] + (gr ? gr[S_H * H + j] : 0.0f);
            }
            memset(dx, 0, (size_t)H * sizeof(float));
            memset(dp, 0, (size_t)3 * H * sizeof(float));
        }
        /* dh_{t-1} += dhp_t W_hh: (rows, 3H) x (3H, H) */
        if (has_prev) rec_gemm(w, s1 - s0, dhp, (size_t)3 * H, dt - 3 * H, ldd);
    }
}

static void backward_slice_body(const void *p, int s0, int s1)
{
    const gru_slice *c = p;
    int init = c->h0 != NULL;   /* per sequence: dh0's row first */
    size_t ldd = (size_t)(c->T + init) * 3 * c->H;
    memset(c->out + (size_t)s0 * ldd, 0, (size_t)(s1 - s0) * ldd * sizeof(float));   /* the slice's own sequences */
    float *dhp = malloc(((size_t)(s1 - s0) * 3 * c->H + 1) * sizeof(float));   /* once per call, not per step */
    if (dhp)
        recur_backward(c->out + (size_t)init * 3 * c->H, ldd, c->h0, dhp, c->in, c->extra, c->gs_steps, c->w, c->mask, s0, s1, c->T,
                       c->H);
    else atomic_store_explicit(c->failed, 1, memory_order_relaxed);   /* read after the slices: the pool orders it */
    free(dhp);
}
RECURRENT_SLICE_PER_ISA(backward_slice)

static void gru_grad_forward(nn_graph *g, nn_node *n)
{
    const float *s = g->nodes[n->in[0]].data, *w = g->nodes[n->in[1]].data, *gs = g->nodes[n->in[2]].data;
    const float *mask = recurrent_mask(g, n, 3);
    int N = n->shape.d[0], T = n->shape.d[1] - recurrent_has_init(n), H = n->shape.d[2] / 3;
    atomic_int failed = 0;
    rec_weight rw;
    rec_weight_pack(&rw, w, 0, H, 3 * H);   /* op(W) = W_hh (3H, H) */
    recurrent_for_slices(N, 6.0 * N * H * H, backward_slice,
                         &(gru_slice){n->data, s, gs, mask, recurrent_init(g, n), &rw, T, H, &failed, recurrent_shape_in(g, n, 2)->d[1]});
    if (atomic_load_explicit(&failed, memory_order_relaxed)) fail_nan(n, "gru_grad");
}

/* ---- gru_whh_grad, gru_bhh_grad: (states, dxp, gstates[, mask][, h0]) -> (3H,H), (3H) ---- */
static int check_states_dxp(nn_graph *g, nn_node *n)
{
    const nn_shape *s = recurrent_shape_in(g, n, 0), *d = recurrent_shape_in(g, n, 1);
    char a[64], b[64];
    if (s->ndim != 3 || d->ndim != 3 || s->d[0] != d->d[0] || s->d[1] != d->d[1] || s->d[2] % S_W ||
        s->d[2] / S_W * 3 != d->d[2])
        return nn_graph_fail(g, "%s: expected states (batch, time, 5H) and dxp (batch, time, 3H), got %s and %s",
                             nn_op_def_at(n->op)->name, nn_shape_str(s, a, sizeof a), nn_shape_str(d, b, sizeof b));
    if (recurrent_check_gstates(g, n) < 0) return -1;
    return recurrent_check_init(g, n, s->d[0], s->d[2] / S_W, "hidden");
}

/* The gradient on the hn slot of flat row m (step m % T of sequence m / T), or NULL (0), of a
 * gradient of gs_steps steps (recurrent_gstates_row). */
static const float *hn_grad(const float *gs, int gs_steps, size_t m, int T, int H)
{
    const float *row = recurrent_gstates_row(gs, gs_steps, (int)(m / (size_t)T), (int)(m % (size_t)T), T, S_W * H);
    return row ? row + S_HN * H : NULL;
}

/* d_hn of row m (H): dxp_n r plus the hn slot's own gradient ghn (NULL: 0); 0 at a padding
 * step (hn was a constant there). */
static void dhn_row(float *o, const float *s, const float *d, const float *ghn, const float *mask, size_t m, int H)
{
    const float *dn = d + m * 3 * H + 2 * H, *r = s + m * S_W * H;
    if (!recurrent_real(mask, m)) {
        memset(o, 0, (size_t)H * sizeof(float));
        return;
    }
#pragma omp simd
    for (int j = 0; j < H; j++) o[j] = dn[j] * r[j] + (ghn ? ghn[j] : 0.0f);
}

static int gru_whh_grad_infer(nn_graph *g, nn_node *n)
{
    if (check_states_dxp(g, n) < 0) return -1;
    int H = recurrent_shape_in(g, n, 0)->d[2] / S_W;
    n->shape = nn_shape2(3 * H, H);
    return 0;
}

typedef struct {
    float *dhn;
    const float *s, *d, *gs, *mask;
    int T, H, gs_steps;
} dhn_ctx;

static void dhn_rows(const void *p, size_t lo, size_t hi)
{
    const dhn_ctx *c = p;
    for (size_t m = lo; m < hi; m++)
        dhn_row(c->dhn + m * c->H, c->s, c->d, hn_grad(c->gs, c->gs_steps, m, c->T, c->H), c->mask, m, c->H);
}

/* dW_hh = sum over n, t >= 1 of dhp[n,t]^T h[n,t-1] (and dhp[n,0]^T h0[n] with h0), h at column
 * 4H of the states' 5H-wide rows (recurrent_whh_grad): the rows of gates r, z read dxp
 * directly, the rows of gate n read d_hn = dxp_n r, made once here. */
static void gru_whh_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_shape *ss = recurrent_shape_in(g, n, 0);
    int N = ss->d[0], T = ss->d[1], H = ss->d[2] / S_W, G = 3 * H;
    size_t M = (size_t)N * T;
    float *dhn = malloc((M * H + 1) * sizeof(float));
    if (!dhn) {
        fail_nan(n, "gru_whh_grad");
        return;
    }
    const float *s = g->nodes[n->in[0]].data, *d = g->nodes[n->in[1]].data, *h0 = recurrent_init(g, n);
    nn_par_items(M, (size_t)H, dhn_rows,
                 &(dhn_ctx){dhn, s, d, g->nodes[n->in[2]].data, recurrent_mask(g, n, 3), T, H, recurrent_shape_in(g, n, 2)->d[1]});
    recurrent_whh_grad(d, 2 * H, G, s + S_H * H, S_W * H, N, T, H, h0, H, n->data);
    recurrent_whh_grad(dhn, H, H, s + S_H * H, S_W * H, N, T, H, h0, H, n->data + (size_t)2 * H * H);
    free(dhn);
}

static int gru_bhh_grad_infer(nn_graph *g, nn_node *n)
{
    if (check_states_dxp(g, n) < 0) return -1;
    n->shape = nn_shape1(recurrent_shape_in(g, n, 0)->d[2] / S_W * 3);
    return 0;
}

/* d b_hh = sum over all steps (t = 0 included: b_hh is added there too) of [d_r d_z d_hn]
 * (h0, when given, is not read). */
static void gru_bhh_grad_forward(nn_graph *g, nn_node *n)
{
    const float *s = g->nodes[n->in[0]].data, *d = g->nodes[n->in[1]].data, *gs = g->nodes[n->in[2]].data;
    const float *mask = recurrent_mask(g, n, 3);
    const nn_shape *ss = recurrent_shape_in(g, n, 0);
    int H = ss->d[2] / S_W, G = 3 * H, T = ss->d[1], gs_steps = recurrent_shape_in(g, n, 2)->d[1];
    size_t M = (size_t)ss->d[0] * T;
    float *o = n->data, *dhn = o + 2 * H;
    memset(o, 0, (size_t)G * sizeof(float));
    for (size_t m = 0; m < M; m++) {
        const float *dm = d + m * G;
#pragma omp simd
        for (int j = 0; j < 2 * H; j++) o[j] += dm[j];
        if (!recurrent_real(mask, m)) continue;
        const float *r = s + m * S_W * H, *ghn = hn_grad(gs, gs_steps, m, T, H);
#pragma omp simd
        for (int j = 0; j < H; j++) dhn[j] += dm[2 * H + j] * r[j] + (ghn ? ghn[j] : 0.0f);
    }
}

const nn_op_def nn_def_gru_states = {
    "gru_states", -1, "(xp (N,T,3H), w_hh (3H,H), b_hh (3H)[, mask (N,T)][, h0 (N,H)]) -> (N,T,5H): per step [r z | hn | n | h] of a GRU",
    gru_states_infer, gru_states_forward, gru_states_backward, gru_states_check, recurrence_flops};
const nn_op_def nn_def_gru_grad = {"gru_grad", -1,
                                   "(states, w_hh, gstates[, mask][, h0]) -> dxp (N,T,3H), with h0 (N,T+1,3H) (row 0: d h0): GRU backpropagation through time (gradient only)",
                                   gru_grad_infer, gru_grad_forward, NULL, NULL, recurrence_flops};
const nn_op_def nn_def_gru_whh_grad = {"gru_whh_grad", -1, "(states, dxp, gstates[, mask][, h0]) -> (3H,H): GRU recurrent weight gradient (gradient only)",
                                       gru_whh_grad_infer, gru_whh_grad_forward, NULL, NULL, recurrence_flops};
const nn_op_def nn_def_gru_bhh_grad = {"gru_bhh_grad", -1, "(states, dxp, gstates[, mask][, h0]) -> (3H): GRU recurrent bias gradient (gradient only)",
                                       gru_bhh_grad_infer, gru_bhh_grad_forward, NULL, NULL, NULL};

int nn_gru_states(nn_graph *g, int xp, int w_hh, int b_hh, int mask, int h0)
{
    nn_attrs a = {0};
    int in[5] = {xp, w_hh, b_hh};
    return nn_op(g, NN_OP_gru_states, in, recurrent_inputs(in, 3, mask, h0, &a), &a);
}

int nn_gru(nn_graph *g, int x, int w_ih, int w_hh, int b_ih, int b_hh, int mask, int h0, int out_mode)
{
    if (x < 0 || w_ih < 0 || w_hh < 0) return -1;
    if (recurrent_check_layer(g, "gru", x, out_mode) < 0) return -1;
    const nn_shape *xs = &g->nodes[x].shape;
    int N = xs->d[0], T = xs->d[1];
    if (recurrent_check_state(g, "gru", "h0", h0, N, g->nodes[w_hh].shape.d[1]) < 0) return -1;
    if (b_hh < 0) b_hh = nn_const(g, nn_shape1(g->nodes[w_hh].shape.d[0]), 0.0f);   /* no recurrent bias */
    int states = nn_gru_states(g, nn_dense(g, x, w_ih, b_ih), w_hh, b_hh, mask, h0);
    if (states < 0) return -1;
    int H = g->nodes[states].shape.d[2] / S_W;
    /* a padding step carries the state, so the state at T-1 is the one after the last real
     * step; the time slice comes first so that only (N,1,5H) is copied */
    if (out_mode == NN_RNN_LAST_STEP)
        return nn_reshape(g, nn_slice(g, nn_slice(g, states, 1, T - 1, 1), 2, S_H * H, H), nn_shape2(N, H));
    int h = nn_slice(g, states, 2, S_H * H, H);   /* (N,T,H) */
    if (mask < 0) return h;
    return nn_mul(g, h, nn_reshape(g, mask, nn_shape3(N, T, 1)));
}
