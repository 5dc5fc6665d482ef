/* Winograd F(2x2, 3x3) convolutions (runtime/kernels/conv_winograd.c) against the im2col +
 * GEMM path: conv2d and stride-1 conv_transpose2d with every gradient (so conv2d_wgrad too),
 * over many geometries (1x1 .. 30x30 planes, padding 0..2 per axis, 1 .. 70 channels, 1 .. 20
 * images, with and without bias), in one group, one image per group, uneven groups and split
 * across threads. The im2col path itself is checked against direct loops in test_conv.c; the
 * finite-difference checks of the Winograd path are in test_gradcheck.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "graph_util.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nn/graph.h"
#include "nn/ops.h"
#include "../runtime/kernels/conv_winograd.h"

typedef struct {
    int n, c, h, w, f, ph, pw, bias;
} geo_t;

/* The geometry of the Winograd call the op makes, in conv2d terms. */
static nn_conv_geom conv_geom_of(const geo_t *k, int transposed)
{
    int ph = transposed ? 2 - k->ph : k->ph, pw = transposed ? 2 - k->pw : k->pw;
    return (nn_conv_geom){k->n, k->c, k->h, k->w, k->f, k->h + 2 * ph - 2, k->w + 2 * pw - 2, 3, 3, 1, ph, pw};
}

/* Every element of got within tol * (largest |want|) of want. */
static void expect_near(const char *what, const geo_t *k, int transposed, const float *got, const float *want, size_t n)
{
    float scale = 0.0f;
    for (size_t i = 0; i < n; i++) scale = fmaxf(scale, fabsf(want[i]));
    float tol = 2e-5f * (scale > 0.0f ? scale : 1.0f);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= tol) && bad++ < 3)
            print_error("%s %s (n%d c%d %dx%d f%d pad %dx%d bias %d): element %zu: Winograd %.7g im2col %.7g\n",
                        transposed ? "conv_transpose2d" : "conv2d", what, k->n, k->c, k->h, k->w, k->f, k->ph, k->pw,
                        k->bias, i, got[i], want[i]);
    assert_int_equal(bad, 0);
}

/* y = conv(x, w[, b]) with stride 1, loss = sum(y * r); y and the gradients of x, w and b
 * computed with Winograd (nn_conv_winograd = 2) and with im2col (0) must agree. */
static void compare_paths(const geo_t *k, int transposed)
{
    nn_graph *g = nn_graph_new(3);
    nn_rng rng;
    nn_rng_seed(&rng, 41u + (uint64_t)k->n * 7 + (uint64_t)k->c * 131 + (uint64_t)k->h * 17);
    int x = nn_test_input(g, nn_shape4(k->n, k->c, k->h, k->w), &rng, -1, 1);
    nn_shape ws = transposed ? nn_shape4(k->c, k->f, 3, 3) : nn_shape4(k->f, k->c, 3, 3);
    int w = nn_test_input(g, ws, &rng, -1, 1);
    int b = k->bias ? nn_test_input(g, nn_shape1(k->f), &rng, -1, 1) : -1;
    int y = transposed ? nn_conv_transpose2d(g, x, w, b, 1, k->ph, k->pw, 0, 0)
                       : nn_conv2d(g, x, w, b, 1, k->ph, k->pw);
    if (y < 0) print_error("%s\n", g->err);
    assert_true(y >= 0);
    int r = nn_test_input(g, g->nodes[y].shape, &rng, -1, 1);
    int grads[3] = {-1, -1, -1};
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, y, r)), (int[]){x, w, b}, k->bias ? 3 : 2, grads), 0);
    int targets[4] = {y, grads[0], grads[1], grads[2]}, nt = k->bias ? 4 : 3;
    const char *names[4] = {"forward", "d/dx", "d/dw", "d/db"};
    nn_plan *p = run(g, targets, nt);   /* with the default switch */
    int keep = nn_conv_winograd;
    nn_conv_winograd = 2;
    nn_conv_geom cg = conv_geom_of(k, transposed);
    assert_true(nn_winograd_applies(&cg));   /* the comparison below is not im2col against itself */
    nn_plan_run(g, p);
    float *wino[4];
    for (int t = 0; t < nt; t++) {
        size_t n = nn_numel(g, targets[t]);
        wino[t] = malloc(n * sizeof(float));
        memcpy(wino[t], nn_data(g, targets[t]), n * sizeof(float));
    }
    nn_conv_winograd = 0;
    nn_plan_run(g, p);
    nn_conv_winograd = keep;
    for (int t = 0; t < nt; t++) {
        expect_near(names[t], k, transposed, wino[t], nn_data(g, targets[t]), nn_numel(g, targets[t]));
        free(wino[t]);
    }
    nn_plan_free(p);
    nn_graph_free(g);
}

/* n c h w f ph pw bias */
static const geo_t edge_geos[] = {
    {1, 1, 1, 1, 1, 1, 1, 1},     /* 1x1 plane, padding 1: one output, one partial tile */
    {2, 3, 2, 2, 2, 1, 1, 0},     /* 2x2 */
    {1, 2, 3, 3, 3, 0, 0, 1},     /* 3x3 "valid": a single 1x1 output */
    {3, 2, 1, 5, 2, 1, 0, 1},     /* one row, padding only on the height */
    {2, 1, 5, 1, 3, 0, 1, 0},     /* one column, padding only on the width */
    {2, 4, 7, 7, 5, 2, 2, 1},     /* padding 2: 9x9 output */
    {1, 3, 6, 9, 2, 0, 2, 0},     /* mixed padding, even and odd output sizes */
    {4, 17, 13, 11, 33, 1, 0, 1}, /* channels that are no multiple of 16 */
    {2, 70, 5, 6, 3, 2, 1, 1},    /* many input channels, few output */
    {3, 5, 30, 29, 70, 1, 2, 0},  /* large plane, many output channels */
    {20, 2, 4, 3, 2, 0, 1, 1},    /* many small images */
    {3, 2, 4, 4, 3, 0, 0, 1},     /* no padding, even 2x2 output: tiles read the input in place, */
    {2, 3, 8, 6, 2, 0, 0, 0},     /* past the plane's end into the next (not past the last) */
    {2, 3, 6, 4, 2, 1, 1, 0},     /* even output with padding: gradient rows read in place */
};

/* big enough (> 4 MFLOP) for nn_conv_run to split the images across threads */
static const geo_t thread_geos[] = {
    {16, 16, 16, 16, 16, 1, 1, 1},
    {13, 9, 15, 14, 20, 0, 2, 1},   /* odd image count and sizes */
    {7, 24, 26, 26, 10, 0, 0, 0},
};

static void compare_list(const geo_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        compare_paths(&list[i], 0);
        compare_paths(&list[i], 1);
    }
}

/* A geometry the ops accept, with n*c*f*h*w kept small enough for a fast test. */
static geo_t random_geo(nn_rng *r, int transposed)
{
    geo_t k;
    do {
        k.h = 1 + (int)nn_rng_below(r, 30), k.w = 1 + (int)nn_rng_below(r, 30);
        k.ph = (int)nn_rng_below(r, 3), k.pw = (int)nn_rng_below(r, 3);
    } while (transposed ? (k.h + 2 - 2 * k.ph < 1 || k.w + 2 - 2 * k.pw < 1)       /* empty output */
                        : (k.h + 2 * k.ph < 3 || k.w + 2 * k.pw < 3));          /* kernel does not fit */
    k.c = 1 + (int)nn_rng_below(r, 70), k.f = 1 + (int)nn_rng_below(r, 70), k.n = 1 + (int)nn_rng_below(r, 20);
    k.bias = (int)nn_rng_below(r, 2);
    while ((double)k.n * k.c * k.f * k.h * k.w > 3e5) {
        if (k.n > 1) k.n = (k.n + 1) / 2;
        else if (k.c > k.f) k.c = (k.c + 1) / 2;
        else k.f = (k.f + 1) / 2;
    }
    return k;
}

static void compare_random(uint64_t seed, int count)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (int i = 0; i < count; i++) {
        int transposed = i % 2;
        geo_t k = random_geo(&r, transposed);
        compare_paths(&k, transposed);
    }
}

static void with_tiles(size_t tiles, void (*body)(void))
{
    size_t keep = nn_conv_winograd_tiles;
    nn_conv_winograd_tiles = tiles;
    body();
    nn_conv_winograd_tiles = keep;
}

static void edge_cases(void) { compare_list(edge_geos, sizeof edge_geos / sizeof *edge_geos); }
static void thread_cases(void) { compare_list(thread_geos, sizeof thread_geos / sizeof *thread_geos); }

static void test_winograd_matches_im2col_on_edge_geometries(void **state)
{
    (void)state;
    edge_cases();
}

static void test_winograd_matches_im2col_one_image_per_group(void **state)
{
    (void)state;
    with_tiles(1, edge_cases);
}

static void test_winograd_matches_im2col_with_uneven_groups(void **state)
{
    (void)state;
    with_tiles(21, edge_cases);   /* a few images per group, the last group shorter */
}

static void test_winograd_matches_im2col_when_threads_split_the_images(void **state)
{
    (void)state;
    int keep = omp_get_max_threads();
    omp_set_num_threads(2);
    thread_cases();
    with_tiles(37, thread_cases);
    omp_set_num_threads(3);   /* groups do not divide evenly among the threads */
    with_tiles(50, thread_cases);
    omp_set_num_threads(keep);
}

static void test_winograd_matches_im2col_on_random_geometries(void **state)
{
    (void)state;
    compare_random(2024, 60);
    size_t keep = nn_conv_winograd_tiles;
    nn_conv_winograd_tiles = 30;
    compare_random(99, 30);
    nn_conv_winograd_tiles = keep;
}

/* on_outputs sees every image once, after its outputs are final */
static int seen[64];
static const float *seen_y;
static float seen_first[64];

static void note_outputs(const nn_node *n, int n0, int nb)
{
    size_t per = nn_shape_numel(&n->shape) / (size_t)n->shape.d[0];
    for (int b = n0; b < n0 + nb; b++) {
        _Pragma("omp atomic")
        seen[b]++;
        seen_first[b] = seen_y[(size_t)b * per];
    }
}

static void test_winograd_calls_on_outputs_once_per_image_after_writing_it(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(3);
    nn_rng rng;
    nn_rng_seed(&rng, 8);
    enum { N = 13 };
    int x = nn_test_input(g, nn_shape4(N, 9, 16, 16), &rng, -1, 1);
    int w = nn_test_input(g, nn_shape4(16, 9, 3, 3), &rng, -1, 1);
    int y = nn_conv2d(g, x, w, -1, 1, 1, 1);
    nn_plan *p = run(g, &y, 1);
    nn_node *n = &g->nodes[y];
    size_t total = nn_numel(g, y), per = total / N, keep_tiles = nn_conv_winograd_tiles;
    float *want = malloc(total * sizeof(float));
    memcpy(want, n->data, total * sizeof(float));
    memset(n->data, 0, total * sizeof(float));
    memset(seen, 0, sizeof seen);
    seen_y = n->data;
    nn_conv_winograd_tiles = 100;   /* groups of a few images; 8 MFLOP: on every thread */
    nn_conv_geom cg = {N, 9, 16, 16, 16, 16, 16, 3, 3, 1, 1, 1};
    assert_int_equal(nn_winograd_conv2d(g, n, &cg, nn_data(g, w), 0, note_outputs), 0);
    nn_conv_winograd_tiles = keep_tiles;
    for (int b = 0; b < N; b++) {
        assert_int_equal(seen[b], 1);
        assert_float_equal(seen_first[b], want[(size_t)b * per], 1e-5);
    }
    free(want);
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_winograd_applies_only_to_3x3_stride_1_with_small_padding(void **state)
{
    (void)state;
    int keep = nn_conv_winograd;
    nn_conv_geom cg = {4, 16, 10, 9, 16, 10, 9, 3, 3, 1, 1, 1};
    nn_conv_winograd = 1;
    assert_true(nn_winograd_applies(&cg));
    nn_conv_geom thin = cg;
    thin.c = 1;                     /* too few channels to pay, unless forced */
    assert_false(nn_winograd_applies(&thin));
    nn_conv_winograd = 2;
    assert_true(nn_winograd_applies(&thin));
    nn_conv_geom s2 = cg, k5 = cg, p3 = cg;
    s2.stride = 2, s2.oh = 5, s2.ow = 5;
    k5.kh = k5.kw = 5, k5.oh = 8, k5.ow = 7;
    p3.ph = 3, p3.oh = 14;
    assert_false(nn_winograd_applies(&s2));
    assert_false(nn_winograd_applies(&k5));
    assert_false(nn_winograd_applies(&p3));
    nn_conv_winograd = 0;
    assert_false(nn_winograd_applies(&cg));
    nn_conv_winograd = keep;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_winograd_matches_im2col_on_edge_geometries),
        cmocka_unit_test(test_winograd_matches_im2col_one_image_per_group),
        cmocka_unit_test(test_winograd_matches_im2col_with_uneven_groups),
        cmocka_unit_test(test_winograd_matches_im2col_when_threads_split_the_images),
        cmocka_unit_test(test_winograd_matches_im2col_on_random_geometries),
        cmocka_unit_test(test_winograd_calls_on_outputs_once_per_image_after_writing_it),
        cmocka_unit_test(test_winograd_applies_only_to_3x3_stride_1_with_small_padding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
