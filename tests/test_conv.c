/* Convolutions: hand-computed forward values (stride, padding, transposed convs on the
 * autoencoder's 3 -> 7 -> 14 -> 28 chain), build errors, a comparison of the GEMM lowering
 * against direct loops on random data for forward and every gradient, with the images
 * processed in one group and in many (conv_lower.h's grouping), and weight gradients whose
 * bits do not depend on the threads or the load.
 * Finite-difference checks of first and second order are in test_gradcheck.c. */
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
#include "../runtime/core/pool.h"
#include "../runtime/kernels/conv_lower.h"
#include "../runtime/kernels/conv_winograd.h"

/* 1, 2, 3, ... in row-major order */
static int counting_input(nn_graph *g, nn_shape s)
{
    int id = nn_input(g, s, "x");
    assert_true(id >= 0);
    for (size_t i = 0; i < nn_numel(g, id); i++) nn_data(g, id)[i] = (float)(i + 1);
    return id;
}

static void expect_values(nn_graph *g, int y, const float *want, int n)
{
    nn_plan *p = run(g, &y, 1);
    assert_int_equal(nn_numel(g, y), n);
    for (int i = 0; i < n; i++) {
        if (fabsf(nn_data(g, y)[i] - want[i]) > 1e-5f) print_error("element %d: got %g want %g\n", i, nn_data(g, y)[i], want[i]);
        assert_float_equal(nn_data(g, y)[i], want[i], 1e-5f);
    }
    nn_plan_free(p);
}

/* ---- hand-computed values ---- */

static void test_conv2d_3x3_input_2x2_kernel_stride_1(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = counting_input(g, nn_shape4(1, 1, 3, 3));                 /* 1..9 */
    int w = input_of(g, nn_shape4(1, 1, 2, 2), (float[]){1, 2, 3, 4});
    int b = input_of(g, nn_shape1(1), (float[]){0.5f});
    /* top-left window 1 2 / 4 5 -> 1*1 + 2*2 + 4*3 + 5*4 = 37, and so on */
    expect_values(g, nn_conv2d(g, x, w, b, 1, 0, 0), (float[]){37.5f, 47.5f, 67.5f, 77.5f}, 4);
    nn_graph_free(g);
}

static void test_conv2d_stride_2_with_padding_sees_zeros_outside(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = counting_input(g, nn_shape4(1, 1, 3, 3));
    int w = input_of(g, nn_shape4(1, 1, 2, 2), (float[]){1, 2, 3, 4});
    /* OH = (3 + 2 - 2)/2 + 1 = 2; windows start at rows/cols -1 and 1:
     * (-1,-1): only x[0][0]=1 under w[1][1]=4; (-1,1): 2*3 + 3*4; (1,-1): 4*2 + 7*4; (1,1): 5+12+24+36 */
    expect_values(g, nn_conv2d(g, x, w, -1, 2, 1, 1), (float[]){4, 18, 36, 77}, 4);
    nn_graph_free(g);
}

static void test_conv2d_sums_over_input_channels_and_adds_bias(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = input_of(g, nn_shape4(1, 2, 1, 2), (float[]){1, 2, 10, 20});
    int w = input_of(g, nn_shape4(2, 2, 1, 1), (float[]){2, 3, -1, 1});  /* F=2 filters over C=2 */
    int b = input_of(g, nn_shape1(2), (float[]){1, -1});
    /* filter 0: 2*x0 + 3*x1 + 1; filter 1: -x0 + x1 - 1 */
    expect_values(g, nn_conv2d(g, x, w, b, 1, 0, 0), (float[]){33, 65, 8, 17}, 4);
    nn_graph_free(g);
}

static void test_conv2d_non_square_kernel_and_padding(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = counting_input(g, nn_shape4(1, 1, 2, 3));                 /* 1 2 3 / 4 5 6 */
    int w = input_of(g, nn_shape4(1, 1, 1, 2), (float[]){1, 10});
    /* pad_h 1, pad_w 0: rows -1..2, OW = 2; y[r][c] = x[r][c] + 10 x[r][c+1] */
    int y = nn_conv2d(g, x, w, -1, 1, 1, 0);
    expect_shape(g, y, nn_shape4(1, 1, 4, 2));
    expect_values(g, y, (float[]){0, 0, 21, 32, 54, 65, 0, 0}, 8);
    nn_graph_free(g);
}

static void test_conv_transpose2d_3_to_7_with_kernel_3_stride_2(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = counting_input(g, nn_shape4(1, 1, 3, 3));
    int w = counting_input(g, nn_shape4(1, 1, 3, 3));
    int y = nn_conv_transpose2d(g, x, w, -1, 2, 0, 0, 0, 0);
    expect_shape(g, y, nn_shape4(1, 1, 7, 7));                         /* (3-1)*2 + 3 */
    nn_plan *p = run(g, &y, 1);
    const float *v = nn_data(g, y);
    /* y[i][j] = sum of x[h][w] k[i-2h][j-2w] */
    assert_float_equal(v[0 * 7 + 0], 1 * 1, 1e-5);                    /* x00 k00 */
    assert_float_equal(v[2 * 7 + 2], 1 * 9 + 2 * 7 + 4 * 3 + 5 * 1, 1e-5); /* x00k22 x01k20 x10k02 x11k00 */
    assert_float_equal(v[1 * 7 + 3], 2 * 5, 1e-5);                    /* x01 k11 */
    assert_float_equal(v[6 * 7 + 6], 9 * 9, 1e-5);                    /* x22 k22 */
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_conv_transpose2d_7_to_14_with_padding_1_output_padding_1(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = counting_input(g, nn_shape4(1, 1, 7, 7));
    int w = counting_input(g, nn_shape4(1, 1, 3, 3));
    int b = input_of(g, nn_shape1(1), (float[]){0.25f});
    int y = nn_conv_transpose2d(g, x, w, b, 2, 1, 1, 1, 1);
    expect_shape(g, y, nn_shape4(1, 1, 14, 14));                       /* (7-1)*2 - 2 + 3 + 1 */
    nn_plan *p = run(g, &y, 1);
    const float *v = nn_data(g, y);
    /* y[i] takes x[h] k[i - 2h + 1] */
    assert_float_equal(v[0], 1 * 5 + 0.25f, 1e-4);                                 /* x00 k11 */
    assert_float_equal(v[1 * 14 + 1], 1 * 9 + 2 * 7 + 8 * 3 + 9 * 1 + 0.25f, 1e-4); /* x00k22 x01k20 x10k02 x11k00 */
    assert_float_equal(v[13 * 14 + 13], 49 * 9 + 0.25f, 1e-4);                      /* only x66 k22 reaches the extra row */
    assert_float_equal(v[13 * 14 + 0], 43 * 8 + 0.25f, 1e-4);                       /* x60 k21 */
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_autoencoder_decoder_chain_3_7_14_28(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape4(2, 64, 3, 3), "code");
    int w1 = nn_input(g, nn_shape4(64, 32, 3, 3), "w1");
    int w2 = nn_input(g, nn_shape4(32, 16, 3, 3), "w2");
    int w3 = nn_input(g, nn_shape4(16, 1, 3, 3), "w3");
    int h1 = nn_conv_transpose2d(g, x, w1, -1, 2, 0, 0, 0, 0);
    int h2 = nn_conv_transpose2d(g, h1, w2, -1, 2, 1, 1, 1, 1);
    int h3 = nn_conv_transpose2d(g, h2, w3, -1, 2, 1, 1, 1, 1);
    expect_shape(g, h1, nn_shape4(2, 32, 7, 7));
    expect_shape(g, h2, nn_shape4(2, 16, 14, 14));
    expect_shape(g, h3, nn_shape4(2, 1, 28, 28));
    nn_graph_free(g);
}

/* ---- build errors ---- */

static void expect_error(nn_graph *g, int y, const char *want)
{
    assert_int_equal(y, -1);
    if (!strstr(g->err, want)) print_error("error '%s' lacks '%s'\n", g->err, want);
    assert_non_null(strstr(g->err, want));
}

static void test_conv2d_reports_channel_mismatch(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape4(1, 3, 5, 5), "x"), w = nn_input(g, nn_shape4(4, 1, 3, 3), "w");
    expect_error(g, nn_conv2d(g, x, w, -1, 1, 0, 0), "conv2d: input has 3 channels but the weight expects 1");
    nn_graph_free(g);
}

static void test_conv2d_reports_kernel_larger_than_padded_input(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape4(1, 1, 3, 3), "x"), w = nn_input(g, nn_shape4(1, 1, 5, 5), "w");
    expect_error(g, nn_conv2d(g, x, w, -1, 1, 0, 0), "conv2d: a 5x5 kernel does not fit a 3x3 input with padding 0");
    nn_graph_free(g);
    g = nn_graph_new(1);
    x = nn_input(g, nn_shape4(1, 1, 3, 3), "x");
    w = nn_input(g, nn_shape4(1, 1, 5, 5), "w");
    assert_true(nn_conv2d(g, x, w, -1, 1, 1, 1) >= 0);                /* padding 1 makes it fit */
    nn_graph_free(g);
}

static void test_conv_rejects_bad_bias_rank_stride_and_output_padding(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape4(1, 2, 4, 4), "x"), w = nn_input(g, nn_shape4(3, 2, 3, 3), "w");
    int b = nn_input(g, nn_shape1(2), "b"), x3 = nn_input(g, nn_shape3(2, 4, 4), "x3");
    expect_error(g, nn_conv2d(g, x, w, b, 1, 1, 1), "bias must have shape [3]");
    g->err[0] = 0;
    expect_error(g, nn_conv2d(g, x3, w, -1, 1, 1, 1), "input must be 4-D (N, C, H, W), got [2, 4, 4]");
    g->err[0] = 0;
    expect_error(g, nn_conv2d(g, x, w, -1, 0, 1, 1), "stride must be at least 1");
    g->err[0] = 0;
    int wt = nn_input(g, nn_shape4(2, 3, 3, 3), "wt");
    expect_error(g, nn_conv_transpose2d(g, x, wt, -1, 2, 1, 1, 2, 0), "output padding 2x0 must be smaller than the stride 2");
    g->err[0] = 0;
    expect_error(g, nn_conv_transpose2d(g, x, w, -1, 2, 1, 1, 0, 0), "conv_transpose2d: input has 2 channels but the weight expects 3");
    nn_graph_free(g);
}

/* ---- GEMM lowering against direct loops ---- */

typedef struct {
    int n, c, h, w, f, kh, kw, s, ph, pw, oph, opw;
} cfg_t;

static size_t at4(int d1, int d2, int d3, int a, int b, int c, int d)
{
    return (((size_t)a * d1 + b) * d2 + c) * d3 + d;
}

/* conv2d by definition: y (n,f,oh,ow) from x (n,c,h,w), w (f,c,kh,kw); with r = d loss / dy,
 * also dx, dw and db accumulate (all double). */
static void naive_conv2d(const cfg_t *k, int oh, int ow, const float *x, const float *w, const float *b, double *y,
                         const float *r, double *dx, double *dw, double *db)
{
    for (int n = 0; n < k->n; n++)
        for (int f = 0; f < k->f; f++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    size_t yi = at4(k->f, oh, ow, n, f, i, j);
                    y[yi] = b ? b[f] : 0.0;
                    db[f] += r[yi];
                    for (int c = 0; c < k->c; c++)
                        for (int u = 0; u < k->kh; u++)
                            for (int v = 0; v < k->kw; v++) {
                                int ih = i * k->s - k->ph + u, iw = j * k->s - k->pw + v;
                                if (ih < 0 || ih >= k->h || iw < 0 || iw >= k->w) continue;
                                size_t xi = at4(k->c, k->h, k->w, n, c, ih, iw), wi = at4(k->c, k->kh, k->kw, f, c, u, v);
                                y[yi] += (double)x[xi] * w[wi];
                                dx[xi] += (double)r[yi] * w[wi];
                                dw[wi] += (double)r[yi] * x[xi];
                            }
                }
}

/* conv_transpose2d by definition: x (n,c,h,w) spreads through w (c,f,kh,kw) into y (n,f,oh,ow). */
static void naive_conv_transpose2d(const cfg_t *k, int oh, int ow, const float *x, const float *w, const float *b,
                                   double *y, const float *r, double *dx, double *dw, double *db)
{
    size_t ny = (size_t)k->n * k->f * oh * ow;
    for (size_t i = 0; i < ny; i++) {
        int f = (int)(i / ((size_t)oh * ow) % (size_t)k->f);
        y[i] = b ? b[f] : 0.0;
        db[f] += r[i];
    }
    for (int n = 0; n < k->n; n++)
        for (int c = 0; c < k->c; c++)
            for (int i = 0; i < k->h; i++)
                for (int j = 0; j < k->w; j++)
                    for (int f = 0; f < k->f; f++)
                        for (int u = 0; u < k->kh; u++)
                            for (int v = 0; v < k->kw; v++) {
                                int oy = i * k->s - k->ph + u, ox = j * k->s - k->pw + v;
                                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                size_t xi = at4(k->c, k->h, k->w, n, c, i, j), wi = at4(k->f, k->kh, k->kw, c, f, u, v);
                                size_t yi = at4(k->f, oh, ow, n, f, oy, ox);
                                y[yi] += (double)x[xi] * w[wi];
                                dx[xi] += (double)r[yi] * w[wi];
                                dw[wi] += (double)r[yi] * x[xi];
                            }
}

static void expect_close(const char *what, const cfg_t *k, const float *got, const double *want, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > 1e-4 * (1 + fabs(want[i]))) {
            if (bad++ < 3)
                print_error("%s (n%d c%d %dx%d f%d k%dx%d s%d p%dx%d): element %zu got %.6f want %.6f\n", what, k->n,
                            k->c, k->h, k->w, k->f, k->kh, k->kw, k->s, k->ph, k->pw, i, got[i], want[i]);
        }
    assert_int_equal(bad, 0);
}

static double *zeros(size_t n) { return calloc(n, sizeof(double)); }

/* Builds y = conv(x, w, b), loss = sum(y * r), runs y and the three gradients, and compares
 * all four with the direct loops. */
static void compare_with_naive(const cfg_t *k, int transposed)
{
    nn_graph *g = nn_graph_new(7);
    nn_rng rng;
    nn_rng_seed(&rng, 99);
    int x = nn_test_input(g, nn_shape4(k->n, k->c, k->h, k->w), &rng, -1, 1);
    nn_shape ws = transposed ? nn_shape4(k->c, k->f, k->kh, k->kw) : nn_shape4(k->f, k->c, k->kh, k->kw);
    int w = nn_test_input(g, ws, &rng, -1, 1);
    int b = nn_test_input(g, nn_shape1(k->f), &rng, -1, 1);
    int y = transposed ? nn_conv_transpose2d(g, x, w, b, k->s, k->ph, k->pw, k->oph, k->opw)
                       : nn_conv2d(g, x, w, b, k->s, k->ph, k->pw);
    if (y < 0) print_error("%s\n", g->err);
    assert_true(y >= 0);
    int oh = g->nodes[y].shape.d[2], ow = g->nodes[y].shape.d[3];
    int r = nn_test_input(g, g->nodes[y].shape, &rng, -1, 1);
    int loss = nn_sum(g, nn_mul(g, y, r));
    int grads[3];
    assert_int_equal(nn_grad(g, loss, (int[]){x, w, b}, 3, grads), 0);
    nn_plan *p = run(g, (int[]){y, grads[0], grads[1], grads[2]}, 4);
    size_t ny = nn_numel(g, y), nx = nn_numel(g, x), nw = nn_numel(g, w);
    double *ry = zeros(ny), *rdx = zeros(nx), *rdw = zeros(nw), *rdb = zeros((size_t)k->f);
    (transposed ? naive_conv_transpose2d : naive_conv2d)(k, oh, ow, nn_data(g, x), nn_data(g, w), nn_data(g, b), ry,
                                                         nn_data(g, r), rdx, rdw, rdb);
    expect_close("forward", k, nn_data(g, y), ry, ny);
    expect_close("d/dx", k, nn_data(g, grads[0]), rdx, nx);
    expect_close("d/dw", k, nn_data(g, grads[1]), rdw, nw);
    expect_close("d/db", k, nn_data(g, grads[2]), rdb, (size_t)k->f);
    free(ry), free(rdx), free(rdw), free(rdb);
    nn_plan_free(p);
    nn_graph_free(g);
}

/* n c h w f kh kw stride ph pw oph opw */
static const cfg_t conv_cfgs[] = {
    {2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 0, 0},   /* "same" 3x3 */
    {3, 2, 8, 7, 3, 3, 2, 2, 1, 0, 0, 0},   /* stride 2, odd width, non-square kernel */
    {2, 4, 5, 5, 2, 1, 1, 1, 0, 0, 0, 0},   /* 1x1 */
    {2, 1, 9, 9, 2, 5, 5, 3, 2, 2, 0, 0},   /* stride 3, big kernel */
    {5, 3, 6, 5, 5, 2, 3, 2, 0, 1, 0, 0},
    {3, 2, 4, 4, 3, 4, 4, 1, 3, 3, 0, 0},   /* padding wider than half the kernel */
    {2, 2, 6, 5, 3, 3, 3, 1, 0, 1, 0, 0},   /* "same" width only: OW == W, OH < H */
    {2, 2, 5, 6, 2, 2, 4, 1, 1, 1, 0, 0},   /* even kernel width: OW == W - 1 */
    {8, 16, 16, 16, 16, 3, 3, 1, 1, 1, 0, 0}, /* big enough to run on every core */
    {1, 1, 70, 66, 2, 3, 3, 2, 1, 1, 0, 0}, /* plane too big for the padded-plane path */
    /* few taps per output (C*KH*KW <= 36): the direct path of conv_direct.c */
    {3, 1, 28, 28, 16, 3, 3, 1, 1, 1, 0, 0}, /* an image model's first layer */
    {2, 1, 9, 7, 5, 3, 3, 1, 0, 0, 0, 0},   /* no padding */
    {2, 4, 6, 5, 1, 3, 3, 1, 1, 1, 0, 0},   /* 36 taps, one output channel */
    {2, 1, 5, 6, 3, 5, 5, 1, 2, 1, 0, 0},   /* 5x5, different padding per axis */
    {2, 2, 3, 3, 2, 3, 3, 1, 0, 0, 0, 0},   /* a single output pixel */
    {16, 1, 20, 20, 8, 3, 3, 1, 1, 1, 0, 0}, /* enough images for every core */
};
static const cfg_t transpose_cfgs[] = {
    {2, 3, 3, 3, 2, 3, 3, 2, 0, 0, 0, 0},   /* 3 -> 7 */
    {3, 2, 7, 7, 3, 3, 3, 2, 1, 1, 1, 1},   /* 7 -> 14 */
    {2, 2, 4, 3, 3, 3, 2, 2, 1, 0, 1, 1},   /* non-square, output padding on both axes */
    {2, 4, 5, 5, 2, 3, 3, 1, 1, 1, 0, 0},   /* stride 1 "same" */
    {5, 2, 3, 4, 2, 4, 3, 3, 1, 2, 2, 1},   /* stride 3, output padding 2 */
    {8, 16, 8, 8, 16, 3, 3, 2, 1, 1, 1, 1}, /* big enough to run on every core */
    {1, 1, 35, 33, 2, 3, 3, 2, 1, 1, 1, 1}, /* 70x66 output: too big for the padded-plane path */
};

static void compare_all(size_t chunk)
{
    size_t keep = nn_conv_chunk_floats;
    nn_conv_chunk_floats = chunk;
    for (size_t i = 0; i < sizeof conv_cfgs / sizeof *conv_cfgs; i++) compare_with_naive(&conv_cfgs[i], 0);
    for (size_t i = 0; i < sizeof transpose_cfgs / sizeof *transpose_cfgs; i++) compare_with_naive(&transpose_cfgs[i], 1);
    nn_conv_chunk_floats = keep;
}

static void test_lowering_matches_direct_loops_in_one_group(void **state)
{
    (void)state;
    compare_all(nn_conv_chunk_floats);
}

static void test_lowering_matches_direct_loops_one_image_per_group(void **state)
{
    (void)state;
    compare_all(1);
}

static void test_lowering_matches_direct_loops_with_uneven_groups(void **state)
{
    (void)state;
    compare_all(700);   /* a few images per group, the last group shorter */
}

/* A fused activation gives the values of the separate activation op, whatever the grouping
 * (each group applies it to its own images) and path (im2col, direct, Winograd), for conv2d
 * and conv_transpose2d (stride 2 here; stride 1 when Winograd is forced). */
static void expect_fused_equals_separate(int transposed, nn_fused_act act, int (*separate)(nn_graph *, int))
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 9);
    int x = nn_test_input(g, nn_shape4(7, 3, 9, 8), &r, -1, 1);
    int w = nn_test_input(g, transposed ? nn_shape4(3, 5, 3, 3) : nn_shape4(5, 3, 3, 3), &r, -0.5f, 0.5f);
    int b = nn_test_input(g, nn_shape1(5), &r, -0.5f, 0.5f);
    int s = nn_conv_winograd == 2 ? 1 : 2;
    int fused = transposed ? nn_conv_transpose2d_act(g, x, w, b, s, 1, 1, s - 1, 0, act) : nn_conv2d_act(g, x, w, b, 1, 1, 1, act);
    int plain = transposed ? nn_conv_transpose2d(g, x, w, b, s, 1, 1, s - 1, 0) : nn_conv2d(g, x, w, b, 1, 1, 1);
    int want = separate(g, plain);
    size_t keep = nn_conv_chunk_floats, chunks[] = {keep, 1, 700};
    for (int k = 0; k < 3; k++) {
        nn_conv_chunk_floats = chunks[k];
        nn_plan *p = run(g, (int[]){fused, want, plain}, 3);
        int negative = 0;
        for (size_t i = 0; i < nn_numel(g, want); i++) {
            assert_float_equal(nn_data(g, fused)[i], nn_data(g, want)[i], 1e-5f);
            negative += nn_data(g, plain)[i] < 0.0f;
        }
        assert_true(negative > 0);   /* both branches of the activation were taken */
        nn_plan_free(p);
    }
    nn_conv_chunk_floats = keep;
    nn_graph_free(g);
}

static int separate_selu(nn_graph *g, int x) { return nn_selu(g, x); }
static int separate_relu(nn_graph *g, int x) { return nn_relu(g, x); }
static int separate_leaky(nn_graph *g, int x) { return nn_leaky_relu(g, x, 0.1f); }
static int separate_elu(nn_graph *g, int x) { return nn_elu(g, x, 0.7f); }

static void test_fused_activation_equals_the_separate_op(void **state)
{
    (void)state;
    int keep = nn_conv_winograd;
    for (int t = 0; t < 4; t++) {
        nn_conv_winograd = t < 2 ? keep : 2;   /* forced: every 3x3 stride-1 conv takes Winograd */
        expect_fused_equals_separate(t % 2, (nn_fused_act){NN_FUSED_ELU, NN_SELU_ALPHA, NN_SELU_SCALE}, separate_selu);
        expect_fused_equals_separate(t % 2, (nn_fused_act){NN_FUSED_LEAKY_RELU, 0.0f, 0.0f}, separate_relu);
        expect_fused_equals_separate(t % 2, (nn_fused_act){NN_FUSED_LEAKY_RELU, 0.1f, 0.0f}, separate_leaky);
        expect_fused_equals_separate(t % 2, (nn_fused_act){NN_FUSED_ELU, 0.7f, 1.0f}, separate_elu);
    }
    nn_conv_winograd = keep;
}

/* Activations whose derivative the output does not determine cannot be fused. */
static void test_fused_activation_rejects_what_it_cannot_invert(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape4(1, 2, 4, 4), "x"), w = nn_input(g, nn_shape4(3, 2, 3, 3), "w");
    expect_error(g, nn_conv2d_act(g, x, w, -1, 1, 1, 1, (nn_fused_act){NN_FUSED_LEAKY_RELU, -0.5f, 0.0f}),
                 "leaky_relu with slope >= 0");
    g->err[0] = 0;
    expect_error(g, nn_conv2d_act(g, x, w, -1, 1, 1, 1, (nn_fused_act){NN_FUSED_ELU, 0.0f, 1.0f}), "alpha > 0");
    g->err[0] = 0;
    expect_error(g, nn_conv2d_act(g, x, w, -1, 1, 1, 1, (nn_fused_act){7, 0.0f, 1.0f}), "kind 7");
    nn_graph_free(g);
}

/* ---- weight gradients sum over images in a fixed order ---- */

/* dW of a conv2d big enough to be split (32 images, one per group), by im2col + GEMM or by
 * Winograd, into want (first call) or compared bit for bit with it. */
static void weight_grad_bits(int winograd, float *want, int record)
{
    int keep = nn_conv_winograd;
    nn_conv_winograd = winograd ? 2 : 0;
    nn_graph *g = nn_graph_new(7);
    nn_rng rng;
    nn_rng_seed(&rng, 31);
    int x = nn_test_input(g, nn_shape4(32, 16, 16, 16), &rng, -1, 1);
    int w = nn_test_input(g, nn_shape4(16, 16, 3, 3), &rng, -1, 1);
    int y = nn_conv2d(g, x, w, -1, 1, 1, 1);
    int r = nn_test_input(g, g->nodes[y].shape, &rng, -1, 1);
    int dw;
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, y, r)), &w, 1, &dw), 0);
    nn_plan *p = run(g, &dw, 1);
    if (record) memcpy(want, nn_data(g, dw), 16 * 16 * 9 * sizeof(float));
    else assert_memory_equal(nn_data(g, dw), want, 16 * 16 * 9 * sizeof(float));
    nn_plan_free(p);
    nn_graph_free(g);
    nn_conv_winograd = keep;
}

static void test_weight_gradient_bits_do_not_depend_on_threads_or_load(void **state)
{
    (void)state;
    float want[16 * 16 * 9];
    for (int winograd = 0; winograd <= 1; winograd++) {
        omp_set_num_threads(2);
        weight_grad_bits(winograd, want, 1);
        for (int rep = 0; rep < 3; rep++) weight_grad_bits(winograd, want, 0);
        omp_set_num_threads(3);
        weight_grad_bits(winograd, want, 0);
        omp_set_num_threads(2);
        nn_pool_hold_workers(1);   /* every run of groups on the caller */
        weight_grad_bits(winograd, want, 0);
        nn_pool_hold_workers(0);
        pthread_t busy = busy_core_start();
        for (int rep = 0; rep < 3; rep++) weight_grad_bits(winograd, want, 0);
        busy_core_stop(busy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv2d_3x3_input_2x2_kernel_stride_1),
        cmocka_unit_test(test_conv2d_stride_2_with_padding_sees_zeros_outside),
        cmocka_unit_test(test_conv2d_sums_over_input_channels_and_adds_bias),
        cmocka_unit_test(test_conv2d_non_square_kernel_and_padding),
        cmocka_unit_test(test_conv_transpose2d_3_to_7_with_kernel_3_stride_2),
        cmocka_unit_test(test_conv_transpose2d_7_to_14_with_padding_1_output_padding_1),
        cmocka_unit_test(test_autoencoder_decoder_chain_3_7_14_28),
        cmocka_unit_test(test_conv2d_reports_channel_mismatch),
        cmocka_unit_test(test_conv2d_reports_kernel_larger_than_padded_input),
        cmocka_unit_test(test_conv_rejects_bad_bias_rank_stride_and_output_padding),
        cmocka_unit_test(test_lowering_matches_direct_loops_in_one_group),
        cmocka_unit_test(test_lowering_matches_direct_loops_one_image_per_group),
        cmocka_unit_test(test_lowering_matches_direct_loops_with_uneven_groups),
        cmocka_unit_test(test_fused_activation_equals_the_separate_op),
        cmocka_unit_test(test_fused_activation_rejects_what_it_cannot_invert),
        cmocka_unit_test(test_weight_gradient_bits_do_not_depend_on_threads_or_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
