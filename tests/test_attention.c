/* Known answers of the attention ops: batch_matmul and permute against index arithmetic, layer
 * norm against a double-precision reference, masked softmax rows (sums, exact zeros, fully
 * masked rows), the masks, the positional encoding's values, fused attention against the same
 * attention composed from the other ops (values and gradients), causality, build errors, and
 * results whose bits do not depend on the threads or the load.
 * Finite-difference checks of every op are in test_gradcheck.c. */
#define _GNU_SOURCE   /* busy_core.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "busy_core.h"
#include "graph_util.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "nn/runtime.h"
#include "../runtime/core/pool.h"
#include "../runtime/kernels/permute.h"

static int random_input(nn_graph *g, nn_shape s, nn_rng *r)
{
    int id = nn_test_input(g, s, r, -1, 1);
    assert_true(id >= 0);
    return id;
}

/* The flat index in shape s (up to 4 dims) of the multi-index idx, right-aligned against
 * out_ndim dims and read as 0 along the dims where s has size 1 (numpy broadcasting). */
static size_t bcast_index(const nn_shape *s, const int *idx, int out_ndim)
{
    size_t off = 0;
    for (int i = 0; i < s->ndim; i++) {
        int k = idx[i + out_ndim - s->ndim];
        off = off * (size_t)s->d[i] + (size_t)(s->d[i] == 1 ? 0 : k);
    }
    return off;
}

/* idx <- the multi-index of flat index f in shape s */
static void unflatten(const nn_shape *s, size_t f, int *idx)
{
    for (int i = s->ndim - 1; i >= 0; i--) {
        idx[i] = (int)(f % (size_t)s->d[i]);
        f /= (size_t)s->d[i];
    }
}

/* ---- batch_matmul ---- */

/* C = op(A) op(B) with broadcast batch dims, by loops over every output element */
static void bmm_reference(nn_graph *g, int a, int b, int ta, int tb, int c, float *want)
{
    const nn_shape *sa = &g->nodes[a].shape, *sb = &g->nodes[b].shape, *sc = &g->nodes[c].shape;
    nn_shape ba = {.ndim = sa->ndim - 2}, bb = {.ndim = sb->ndim - 2}, bc = {.ndim = sc->ndim - 2};
    memcpy(ba.d, sa->d, sizeof ba.d);
    memcpy(bb.d, sb->d, sizeof bb.d);
    memcpy(bc.d, sc->d, sizeof bc.d);
    int m = sc->d[sc->ndim - 2], n = sc->d[sc->ndim - 1], k = sa->d[sa->ndim - 2 + !ta];
    size_t entries = nn_shape_numel(&bc);
    for (size_t e = 0; e < entries; e++) {
        int idx[4] = {0};
        unflatten(&bc, e, idx);
        const float *A = nn_data(g, a) + bcast_index(&ba, idx, bc.ndim) * (size_t)m * k;
        const float *B = nn_data(g, b) + bcast_index(&bb, idx, bc.ndim) * (size_t)k * n;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += (double)(ta ? A[q * m + i] : A[i * k + q]) * (tb ? B[j * k + q] : B[q * n + j]);
                want[(e * m + i) * n + j] = (float)s;
            }
    }
}

static void check_bmm(nn_shape sa, nn_shape sb, int ta, int tb, nn_shape want_shape)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 7);
    int a = random_input(g, sa, &r), b = random_input(g, sb, &r);
    int c = nn_batch_matmul(g, a, b, ta, tb);
    expect_shape(g, c, want_shape);
    nn_plan *p = run(g, &c, 1);
    float *want = malloc(nn_numel(g, c) * sizeof *want);
    bmm_reference(g, a, b, ta, tb, c, want);
    expect_data(g, c, want, nn_numel(g, c));
    free(want);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_batch_matmul_matches_loops_for_every_transpose_and_broadcast(void **state)
{
    (void)state;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int m = 3, k = 4, n = 5;
            nn_shape a2 = ta ? nn_shape2(k, m) : nn_shape2(m, k), b2 = tb ? nn_shape2(n, k) : nn_shape2(k, n);
            /* both sides broadcast: A (2,1,..) against B (3,..) -> (2,3,..) */
            check_bmm(nn_shape4(2, 1, a2.d[0], a2.d[1]), nn_shape3(3, b2.d[0], b2.d[1]), ta, tb, nn_shape4(2, 3, m, n));
            /* a shared 2-D B (x W: one GEMM over all rows when A is not transposed) */
            check_bmm(nn_shape3(4, a2.d[0], a2.d[1]), b2, ta, tb, nn_shape3(4, m, n));
            /* a shared 2-D A */
            check_bmm(a2, nn_shape3(4, b2.d[0], b2.d[1]), ta, tb, nn_shape3(4, m, n));
            check_bmm(a2, b2, ta, tb, nn_shape2(m, n));
        }
    /* 64 entries of 16x16: enough work for the batch loop to use every thread */
    check_bmm(nn_shape3(64, 16, 16), nn_shape3(64, 16, 16), 0, 1, nn_shape3(64, 16, 16));
}

/* ---- permute ---- */

/* y's element at multi-index o is x's at the index whose axis perm[k] is o[k] */
static void expect_permuted(const float *x, const int *dims, int nd, const int *perm, const float *y)
{
    int ydims[NN_PERMUTE_MAX_DIMS], o[NN_PERMUTE_MAX_DIMS], xi[NN_PERMUTE_MAX_DIMS];
    size_t n = 1;
    for (int k = 0; k < nd; k++) ydims[k] = dims[perm[k]], n *= (size_t)dims[k];
    for (size_t f = 0; f < n; f++) {
        size_t rest = f, off = 0;
        for (int k = nd - 1; k >= 0; k--) o[k] = (int)(rest % (size_t)ydims[k]), rest /= (size_t)ydims[k];
        for (int k = 0; k < nd; k++) xi[perm[k]] = o[k];
        for (int i = 0; i < nd; i++) off = off * (size_t)dims[i] + (size_t)xi[i];
        if (y[f] != x[off]) print_error("element %zu: got %g want %g\n", f, y[f], x[off]);
        assert_true(y[f] == x[off]);
    }
}

static void test_permute_matches_index_arithmetic_and_its_gradient_permutes_back(void **state)
{
    (void)state;
    static const int perms[][4] = {{0, 2, 1, 3}, {3, 1, 0, 2}, {1, 0, 2, 3}, {0, 1, 3, 2}, {0, 1, 2, 3}, {2, 3, 0, 1}};
    const int dims[4] = {2, 3, 4, 5};
    for (size_t t = 0; t < sizeof perms / sizeof perms[0]; t++) {
        nn_graph *g = nn_graph_new(1);
        int x = iota_input(g, nn_shape4(2, 3, 4, 5), 1, 0), dx;
        int y = nn_permute(g, x, perms[t], 4);
        expect_shape(g, y, nn_shape4(dims[perms[t][0]], dims[perms[t][1]], dims[perms[t][2]], dims[perms[t][3]]));
        nn_plan *p = run_with_grad(g, x, y, &dx);
        expect_permuted(nn_data(g, x), dims, 4, perms[t], nn_data(g, y));
        /* L = sum(y w), w = 1, 2, ...: dx is w put back in x's layout, i.e. y's values + 1 */
        for (size_t i = 0; i < 120; i++) assert_true(nn_data(g, dx)[(size_t)nn_data(g, y)[i]] == (float)(i + 1));
        nn_plan_free(p);
        nn_graph_free(g);
    }
    /* the kernel beyond the graph's 4 dims, with size-1 axes and runs that merge */
    const int d6[6] = {2, 3, 1, 2, 3, 2}, p6[6] = {5, 3, 1, 0, 4, 2}, p6b[6] = {0, 1, 2, 4, 5, 3};
    float x6[72], y6[72];
    for (int i = 0; i < 72; i++) x6[i] = (float)i;
    nn_permute_copy(x6, y6, 6, d6, p6);
    expect_permuted(x6, d6, 6, p6, y6);
    nn_permute_copy(x6, y6, 6, d6, p6b);
    expect_permuted(x6, d6, 6, p6b, y6);
}

/* ---- layer norm ---- */
static void test_layer_norm_matches_double_reference(void **state)
{
    (void)state;
    enum { R = 5, C = 7 };
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 3);
    int x = nn_test_input(g, nn_shape2(R, C), &r, 2, 4);   /* mean far from 0 */
    for (int c = 0; c < C; c++) nn_data(g, x)[c] = 1.5f;   /* row 0 constant: y = beta */
    int gamma = nn_test_input(g, nn_shape1(C), &r, 0.5f, 1.5f), beta = random_input(g, nn_shape1(C), &r);
    int y = nn_layer_norm(g, x, gamma, beta, NN_LAYER_NORM_EPS), plain = nn_layer_norm(g, x, -1, -1, 0.5f);
    nn_plan *p = run(g, (int[]){y, plain}, 2);
    float want[R * C], want_plain[R * C];
    for (int i = 0; i < R; i++) {
        const float *row = nn_data(g, x) + i * C;
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++) mean += row[c];
        mean /= C;
        for (int c = 0; c < C; c++) var += (row[c] - mean) * (row[c] - mean);
        var /= C;   /* population variance, as PyTorch */
        for (int c = 0; c < C; c++) {
            double xhat = (row[c] - mean) / sqrt(var + 1e-5);
            want[i * C + c] = (float)(xhat * nn_data(g, gamma)[c] + nn_data(g, beta)[c]);
            want_plain[i * C + c] = (float)((row[c] - mean) / sqrt(var + 0.5));
        }
    }
    expect_data(g, y, want, R * C);
    expect_data(g, plain, want_plain, R * C);
    for (int c = 0; c < C; c++) assert_float_equal(nn_data(g, y)[c], nn_data(g, beta)[c], 1e-6);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- masked softmax and the masks ---- */
static void test_masks_hold_zero_and_minus_infinity_where_they_should(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int ids = input_of(g, nn_shape2(2, 3), (float[]){4, 2, 0, 0, 0, 0});
    int lengths = input_of(g, nn_shape1(2), (float[]){1, 3});
    int by_id = nn_padding_mask(g, ids, 0), by_len = nn_length_mask(g, lengths, 3), causal = nn_causal_mask(g, 3);
    expect_shape(g, by_id, nn_shape4(2, 1, 1, 3));
    expect_shape(g, by_len, nn_shape4(2, 1, 1, 3));
    expect_shape(g, causal, nn_shape2(3, 3));
    nn_plan *p = run(g, (int[]){by_id, by_len}, 2);
    const float I = -INFINITY;
    const float want_id[6] = {0, 0, I, I, I, I}, want_len[6] = {0, I, I, 0, 0, 0}, want_causal[9] = {0, I, I, 0, 0, I, 0, 0, 0};
    for (int i = 0; i < 6; i++) assert_true(nn_data(g, by_id)[i] == want_id[i] && nn_data(g, by_len)[i] == want_len[i]);
    for (int i = 0; i < 9; i++) assert_true(nn_data(g, causal)[i] == want_causal[i]);
    assert_true(g->nodes[ids].no_grad && g->nodes[lengths].no_grad);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* Scores (2,2,3,4) under a padding mask: sequence 0 keeps its first 2 keys, sequence 1 is all
 * padding. Kept entries sum to 1 and equal the plain softmax over them; masked ones are exactly
 * 0; the fully masked rows are 0, not NaN, and so is their gradient. */
static void test_softmax_masked_zeroes_masked_entries_and_fully_masked_rows(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 11);
    int x = nn_test_input(g, nn_shape4(2, 2, 3, 4), &r, -3, 3);
    int ids = input_of(g, nn_shape2(2, 4), (float[]){5, 7, 0, 0, 0, 0, 0, 0});
    int dx, y = nn_softmax_masked(g, x, nn_padding_mask(g, ids, 0));
    int kept = nn_softmax(g, nn_slice(g, x, 3, 0, 2));
    int loss = nn_sum(g, nn_mul(g, y, iota_input(g, g->nodes[y].shape, 1, 1)));
    assert_int_equal(nn_grad(g, loss, &x, 1, &dx), 0);
    nn_plan *p = run(g, (int[]){y, dx, kept}, 3);
    for (int row = 0; row < 12; row++) {
        const float *yr = nn_data(g, y) + row * 4;
        if (row < 6) {
            assert_float_equal(yr[0] + yr[1], 1.0, 1e-6);
            assert_float_equal(yr[0], nn_data(g, kept)[row * 2], 1e-6);
            assert_float_equal(yr[1], nn_data(g, kept)[row * 2 + 1], 1e-6);
            assert_true(yr[2] == 0.0f && yr[3] == 0.0f);
        } else {
            for (int c = 0; c < 4; c++) assert_true(yr[c] == 0.0f && nn_data(g, dx)[row * 4 + c] == 0.0f);
        }
    }
    nn_plan_free(p);
    nn_graph_free(g);
}

/* A causal mask (T,T) over (2,T,T): row i keeps keys 0..i; a large negative finite mask works
 * the same way. */
static void test_softmax_masked_with_causal_and_large_negative_masks(void **state)
{
    (void)state;
    enum { T = 4 };
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 12);
    int x = nn_test_input(g, nn_shape3(2, T, T), &r, -3, 3), big = nn_const(g, nn_shape2(T, T), 0.0f);
    for (int i = 0; i < T; i++)
        for (int j = i + 1; j < T; j++) nn_data(g, big)[i * T + j] = -1e9f;
    int y = nn_softmax_masked(g, x, nn_causal_mask(g, T)), y_big = nn_softmax_masked(g, x, big);
    nn_plan *p = run(g, (int[]){y, y_big}, 2);
    for (int row = 0; row < 2 * T; row++) {
        int i = row % T;
        double s = 0;
        for (int j = 0; j < T; j++) {
            float v = nn_data(g, y)[row * T + j];
            if (j > i) assert_true(v == 0.0f);
            s += v;
            assert_float_equal(v, nn_data(g, y_big)[row * T + j], 1e-7);
        }
        assert_float_equal(s, 1.0, 1e-6);
    }
    nn_plan_free(p);
    nn_graph_free(g);
}

/* ---- positional encoding ---- */
static void test_positional_encoding_matches_the_formula_and_pytorch(void **state)
{
    (void)state;
    enum { T = 50, D = 16 };
    nn_graph *g = nn_graph_new(1);
    int pe = nn_positional_encoding(g, T, D), odd = nn_positional_encoding(g, 3, 5);
    expect_shape(g, pe, nn_shape2(T, D));
    const float *v = nn_data(g, pe);
    for (int pos = 0; pos < T; pos++)
        for (int i = 0; i < D; i += 2) {
            double angle = pos / pow(10000.0, (double)i / D);
            assert_float_equal(v[pos * D + i], sin(angle), 1e-6);
            assert_float_equal(v[pos * D + i + 1], cos(angle), 1e-6);
        }
    /* printed by the PyTorch tutorial's PositionalEncoding (d_model 16, float32) */
    const float torch_row1[6] = {0.84147096f, 0.54030234f, 0.31098360f, 0.95041531f, 0.09983341f, 0.99500418f};
    const float torch_row2[6] = {0.90929741f, -0.41614684f, 0.59112710f, 0.80657840f, 0.19866931f, 0.98006660f};
    const float torch_row49[4] = {-0.95375264f, 0.30059254f, 0.21120065f, -0.97744274f};
    for (int c = 0; c < 6; c++) {
        assert_true(v[c] == (c % 2 ? 1.0f : 0.0f));
        assert_float_equal(v[D + c], torch_row1[c], 2e-6);
        assert_float_equal(v[2 * D + c], torch_row2[c], 2e-6);
    }
    for (int c = 0; c < 4; c++) assert_float_equal(v[49 * D + c], torch_row49[c], 2e-6);
    /* an odd size ends with a sin column: position 2, column 4 is sin(2 / 10000^(4/5)) */
    assert_float_equal(nn_data(g, odd)[2 * 5 + 4], sin(2.0 / pow(10000.0, 0.8)), 1e-7);
    assert_true(g->nodes[pe].no_grad);
    nn_graph_free(g);
}

/* ---- fused attention ---- */

/* The fused op and the composition softmax(scale q k^T + mask) v agree, forward and in
 * dq, dk, dv; the weights on request are rows that sum to 1 (0 where fully masked). */
static void check_fused_equals_composed(nn_shape qs, int tk, int dv, int mask_kind, float scale)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 21);
    int nd = qs.ndim, tq = qs.d[nd - 2];
    nn_shape ks = qs, vs = qs;
    ks.d[nd - 2] = vs.d[nd - 2] = tk;
    vs.d[nd - 1] = dv;
    int q = random_input(g, qs, &r), k = random_input(g, ks, &r), v = random_input(g, vs, &r), mask = -1;
    if (mask_kind == 1) mask = nn_causal_mask(g, tq);
    if (mask_kind == 2) {   /* lengths tk, 2, tk, 2, ..., 0: the last sequence wholly masked */
        int lengths = input_of(g, nn_shape1(qs.d[0]), NULL);
        for (int b = 0; b < qs.d[0]; b++) nn_data(g, lengths)[b] = (float)(b == qs.d[0] - 1 ? 0 : b % 2 ? 2 : tk);
        mask = nn_length_mask(g, lengths, tk);
        if (nd == 3) mask = nn_reshape(g, mask, nn_shape3(qs.d[0], 1, tk));
    }
    int weights, fused = nn_attention(g, q, k, v, mask, scale, &weights);
    int composed = nn_batch_matmul(g, nn_attention_weights(g, q, k, mask, scale), v, 0, 0);
    nn_shape out = qs;
    out.d[nd - 1] = dv;
    expect_shape(g, fused, out);
    int w = random_input(g, g->nodes[fused].shape, &r), gf[3], gc[3];
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, fused, w)), (int[]){q, k, v}, 3, gf), 0);
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, composed, w)), (int[]){q, k, v}, 3, gc), 0);
    nn_plan *p = run(g, (int[]){fused, composed, weights, gf[0], gf[1], gf[2], gc[0], gc[1], gc[2]}, 9);
    expect_data(g, fused, nn_data(g, composed), nn_numel(g, composed));
    for (int i = 0; i < 3; i++) expect_data(g, gf[i], nn_data(g, gc[i]), nn_numel(g, gc[i]));
    for (size_t row = 0; row < nn_numel(g, weights) / (size_t)tk; row++) {
        double s = 0;
        for (int j = 0; j < tk; j++) s += nn_data(g, weights)[row * tk + j];
        assert_true(fabs(s - 1.0) < 1e-5 || s == 0.0);
    }
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_fused_attention_equals_the_composed_ops(void **state)
{
    (void)state;
    check_fused_equals_composed(nn_shape4(3, 2, 5, 4), 7, 3, 2, 0.0f);    /* cross-attention, padding */
    check_fused_equals_composed(nn_shape4(2, 2, 6, 8), 6, 8, 1, 0.0f);    /* self-attention, causal */
    check_fused_equals_composed(nn_shape3(3, 4, 5), 6, 2, 2, 0.3f);       /* one head, (B,1,T) mask */
    check_fused_equals_composed(nn_shape3(2, 3, 4), 5, 4, 0, 0.0f);       /* no mask */
    check_fused_equals_composed(nn_shape4(4, 4, 32, 16), 32, 16, 1, 0.0f); /* entries over threads */
}

/* Causal self-attention: output step t reads steps <= t only. Changing key and value 3 leaves
 * the outputs of steps 0..2 exactly as they were and changes those of steps 3..5. */
static void test_causal_attention_output_depends_only_on_earlier_steps(void **state)
{
    (void)state;
    enum { H = 2, T = 6, D = 4, CHANGED = 3 };
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 31);
    nn_shape s = nn_shape4(1, H, T, D);
    int q = random_input(g, s, &r), k = random_input(g, s, &r), v = random_input(g, s, &r);
    int y = nn_attention(g, q, k, v, nn_causal_mask(g, T), 0.0f, NULL);
    nn_plan *p = run(g, &y, 1);
    float before[H * T * D];
    memcpy(before, nn_data(g, y), sizeof before);
    for (int h = 0; h < H; h++)
        for (int j = 0; j < D; j++) {
            nn_data(g, k)[(h * T + CHANGED) * D + j] += 0.5f;
            nn_data(g, v)[(h * T + CHANGED) * D + j] -= 0.7f;
        }
    nn_plan_run(g, p);
    for (int h = 0; h < H; h++)
        for (int t = 0; t < T; t++) {
            int same = 1;
            for (int j = 0; j < D; j++) same &= nn_data(g, y)[(h * T + t) * D + j] == before[(h * T + t) * D + j];
            assert_int_equal(same, t < CHANGED);
        }
    nn_plan_free(p);
    nn_graph_free(g);
}

/* Dropout inside the fused op. With v the identity (dv = Tk) the output is the dropped weights
 * themselves: each is 0 or the plain weight / (1 - p), zeros about p of them; the same key gives
 * the same mask, another key another; evaluation drops nothing; and over many keys the mean
 * output is the plain one (the mask is unbiased). */
static void test_dropout_in_fused_attention_drops_weights_and_keeps_the_mean(void **state)
{
    (void)state;
    enum { B = 2, H = 2, T = 6 };
    const float p = 0.4f;
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 41);
    int q = random_input(g, nn_shape4(B, H, T, 4), &r), k = random_input(g, nn_shape4(B, H, T, 4), &r);
    int v = input_of(g, nn_shape4(B, H, T, T), NULL), key = input_of(g, nn_shape1(2), NULL);
    for (int e = 0; e < B * H; e++)
        for (int i = 0; i < T; i++) nn_data(g, v)[(e * T + i) * T + i] = 1.0f;
    int dropped = nn_attention_dropout(g, q, k, v, nn_causal_mask(g, T), 0.0f, p, key);
    int plain = nn_attention_weights(g, q, k, nn_causal_mask(g, T), 0.0f);
    g->training = 1;
    nn_data(g, key)[0] = 1, nn_data(g, key)[1] = 2;
    nn_plan *pl = run(g, (int[]){dropped, plain}, 2);
    size_t n = nn_numel(g, plain), zeros = 0, kept = 0;
    float first[B * H * T * T], mean[B * H * T * T] = {0};
    const float *w = nn_data(g, plain), *y = nn_data(g, dropped);
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0.0f) continue;   /* masked by causality: 0 either way */
        if (y[i] == 0.0f) zeros++;
        else assert_float_equal(y[i], w[i] / (1.0f - p), 1e-6f * (1 + fabsf(y[i])));
        kept++;
    }
    assert_true(fabs((double)zeros / kept - p) < 0.15);
    memcpy(first, y, sizeof first);
    nn_plan_run(g, pl);
    assert_memory_equal(first, nn_data(g, dropped), sizeof first);
    nn_data(g, key)[1] = 3;
    nn_plan_run(g, pl);
    assert_true(memcmp(first, nn_data(g, dropped), sizeof first) != 0);
    enum { DRAWS = 4000 };
    for (int d = 0; d < DRAWS; d++) {
        nn_data(g, key)[0] = (float)d;
        nn_plan_run(g, pl);
        for (size_t i = 0; i < n; i++) mean[i] += nn_data(g, dropped)[i] / DRAWS;
    }
    for (size_t i = 0; i < n; i++) assert_float_equal(mean[i], w[i], 0.03f);
    g->training = 0;
    nn_plan_run(g, pl);
    expect_data(g, dropped, w, n);
    nn_plan_free(pl);
    nn_graph_free(g);
}

/* ---- build errors ---- */
static void expect_error(nn_graph *g, int id, const char *want)
{
    assert_int_equal(id, -1);
    if (!strstr(g->err, want)) print_error("error '%s' lacks '%s'\n", g->err, want);
    assert_non_null(strstr(g->err, want));
    g->err[0] = 0;
}

static void test_build_errors_name_the_shapes(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int a = input_of(g, nn_shape3(2, 3, 4), NULL), b = input_of(g, nn_shape3(3, 5, 4), NULL);
    int q = input_of(g, nn_shape4(2, 2, 3, 4), NULL), k = input_of(g, nn_shape4(2, 2, 5, 4), NULL);
    expect_error(g, nn_batch_matmul(g, a, b, 0, 0), "inner sizes differ: A [2, 3, 4] has K = 4, B [3, 5, 4] has K = 5");
    expect_error(g, nn_batch_matmul(g, a, b, 0, 1), "the batch dims of [2, 3, 4] and [3, 5, 4] do not broadcast");
    expect_error(g, nn_permute(g, a, (int[]){0, 2, 2}, 3), "must be a permutation of 0..2");
    expect_error(g, nn_permute(g, a, (int[]){1, 0}, 2), "has 3 axes, the permutation 2");
    expect_error(g, nn_layer_norm(g, a, input_of(g, nn_shape1(3), NULL), -1, 1e-5f), "must be (4)");
    expect_error(g, nn_layer_norm(g, a, -1, input_of(g, nn_shape1(4), NULL), 1e-5f), "a bias needs a weight");
    expect_error(g, nn_softmax_masked(g, a, nn_causal_mask(g, 3)), "the mask [3, 3] must broadcast to the scores [2, 3, 4]");
    expect_error(g, nn_attention(g, q, k, k, nn_causal_mask(g, 3), 0.0f, NULL),
                 "the mask [3, 3] must broadcast to the scores [2, 2, 3, 5]");
    expect_error(g, nn_attention(g, q, a, a, -1, 0.0f, NULL), "with the same leading dims");
    expect_error(g, nn_padding_mask(g, a, 0), "token ids must be (N,T)");
    nn_graph_free(g);
}

/* ---- the same bits on any load ---- */

/* A self-attention block big enough for every parallel path: layer norm over (4,64,64),
 * heads split by reshape and permute to (4,4,64,16) (1024 rows of 16), causal scores
 * (4,4,64,64) through batch_matmul and softmax_masked, and fused attention (16 entries over
 * the threads); its outputs and gradients, run again and again under changing conditions. */
typedef struct {
    nn_graph *g;
    nn_plan *p;
    int targets[7];
    size_t floats;   /* of all targets */
} attention_block;

static int heads_of(nn_graph *g, int x) /* (4,64,64) -> (4,4,64,16) */
{
    return nn_permute(g, nn_reshape(g, x, nn_shape4(4, 64, 4, 16)), (int[]){0, 2, 1, 3}, 4);
}

static attention_block attention_block_new(void)
{
    attention_block b = {.g = nn_graph_new(1)};
    nn_graph *g = b.g;
    nn_rng r;
    nn_rng_seed(&r, 41);
    nn_shape s = nn_shape3(4, 64, 64);
    int x = random_input(g, s, &r), kx = random_input(g, s, &r), vx = random_input(g, s, &r);
    int gamma = random_input(g, nn_shape1(64), &r), beta = random_input(g, nn_shape1(64), &r);
    int q = heads_of(g, nn_layer_norm(g, x, gamma, beta, NN_LAYER_NORM_EPS)), k = heads_of(g, kx), v = heads_of(g, vx);
    int causal = nn_causal_mask(g, 64);
    int composed = nn_batch_matmul(g, nn_softmax_masked(g, nn_batch_matmul(g, q, k, 0, 1), causal), v, 0, 0);
    int fused = nn_attention(g, q, k, v, causal, 0.0f, NULL);
    int w = random_input(g, g->nodes[fused].shape, &r), grads[5];
    int loss = nn_add(g, nn_sum(g, nn_mul(g, composed, w)), nn_sum(g, nn_mul(g, fused, w)));
    assert_int_equal(nn_grad(g, loss, (int[]){x, kx, vx, gamma, beta}, 5, grads), 0);
    memcpy(b.targets, (int[]){composed, fused, grads[0], grads[1], grads[2], grads[3], grads[4]}, sizeof b.targets);
    b.p = run(g, b.targets, 7);
    for (int i = 0; i < 7; i++) b.floats += nn_numel(g, b.targets[i]);
    return b;
}

/* runs the block and copies every target into out (b.floats) */
static void attention_block_run(attention_block *b, float *out)
{
    nn_plan_run(b->g, b->p);
    for (int i = 0; i < 7; i++) {
        size_t n = nn_numel(b->g, b->targets[i]);
        memcpy(out, nn_data(b->g, b->targets[i]), n * sizeof(float));
        out += n;
    }
}

static void expect_same_bits(attention_block *b, const float *want, float *got)
{
    attention_block_run(b, got);
    assert_memory_equal(got, want, b->floats * sizeof(float));
}

static void test_attention_bits_do_not_depend_on_threads_or_load(void **state)
{
    (void)state;
    attention_block b = attention_block_new();
    float *want = malloc(b.floats * sizeof(float)), *got = malloc(b.floats * sizeof(float));
    assert_true(want && got);
    omp_set_num_threads(2);
    attention_block_run(&b, want);
    for (int rep = 0; rep < 3; rep++) expect_same_bits(&b, want, got);
    nn_pool_hold_workers(1);   /* every chunk on the caller, as if the other core were gone */
    expect_same_bits(&b, want, got);
    nn_pool_hold_workers(0);
    pthread_t busy = busy_core_start();
    for (int rep = 0; rep < 3; rep++) expect_same_bits(&b, want, got);
    busy_core_stop(busy);
    omp_set_num_threads(3);
    expect_same_bits(&b, want, got);
    omp_set_num_threads(1);
    expect_same_bits(&b, want, got);
    omp_set_num_threads(2);
    free(want);
    free(got);
    nn_plan_free(b.p);
    nn_graph_free(b.g);
}

int main(void)
{
    nn_runtime_init();   /* OpenBLAS single-threaded, as in nnrun: the pool's threads split the work */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_matmul_matches_loops_for_every_transpose_and_broadcast),
        cmocka_unit_test(test_permute_matches_index_arithmetic_and_its_gradient_permutes_back),
        cmocka_unit_test(test_layer_norm_matches_double_reference),
        cmocka_unit_test(test_masks_hold_zero_and_minus_infinity_where_they_should),
        cmocka_unit_test(test_softmax_masked_zeroes_masked_entries_and_fully_masked_rows),
        cmocka_unit_test(test_softmax_masked_with_causal_and_large_negative_masks),
        cmocka_unit_test(test_positional_encoding_matches_the_formula_and_pytorch),
        cmocka_unit_test(test_fused_attention_equals_the_composed_ops),
        cmocka_unit_test(test_causal_attention_output_depends_only_on_earlier_steps),
        cmocka_unit_test(test_dropout_in_fused_attention_drops_weights_and_keeps_the_mean),
        cmocka_unit_test(test_build_errors_name_the_shapes),
        cmocka_unit_test(test_attention_bits_do_not_depend_on_threads_or_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
