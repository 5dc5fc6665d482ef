/* The panel GEMM (runtime/kernels/gemm_panel.h) on its own, whatever nn_sgemm's policy: every
 * remainder of its 8 x 32 tile (1-8 rows, 1-32 columns of a panel), k of any length (the
 * transposing pack works in 16 x 16 blocks), both layouts of A and of B, padded leading
 * dimensions, alpha and beta, columns packed in one range or a panel at a time; against sums
 * in double. With beta = 0 what C held (NaN here) must not matter, and the columns of C
 * outside [j0, j1) must not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nn/rng.h"
#include "nn/runtime.h"
#include "../runtime/core/kernel_isa.h"
#include "../runtime/kernels/gemm_panel.h"
#include "../runtime/core/parallel.h"

#if NN_ISA_X86
static float *random_matrix(nn_rng *r, size_t count)
{
    float *x = malloc(count * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < count; i++) x[i] = nn_rng_range(r, -1, 1);
    return x;
}

/* C[:, j0:j1) = alpha op(A) op(B) + beta C through the panels of [j0, j1), packed `step`
 * columns at a time; checked against doubles, and C elsewhere unchanged. */
static void check(int ta, int tb, int m, int n, int k, int j0, int j1, int step, float alpha, float beta, nn_rng *r)
{
    int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 5, ldc = n + 3;
    float *a = random_matrix(r, (size_t)(ta ? k : m) * lda), *b = random_matrix(r, (size_t)(tb ? n : k) * ldb);
    float *c = random_matrix(r, (size_t)m * ldc), *c0 = malloc((size_t)m * ldc * sizeof *c0);
    float *packed = aligned_alloc(64, nn_panels_floats(k, 0, n + NN_PANEL) * sizeof *packed);
    assert_non_null(c0);
    assert_non_null(packed);
    if (beta == 0.0f)
        for (size_t i = 0; i < (size_t)m * ldc; i++) c[i] = NAN;
    for (size_t i = 0; i < (size_t)m * ldc; i++) c0[i] = c[i];
    for (int p = j0; p < j1; p += step) {
        int p1 = p + step < j1 ? p + step : j1;
        nn_panels_pack(packed, b, tb, (size_t)ldb, k, n, p, p1, NULL);
        nn_panels_gemm(ta, m, k, alpha, a, (size_t)lda, packed, n, p, p1, beta, c, (size_t)ldc, NULL, NULL);
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            float got = c[(size_t)i * ldc + j];
            if (j < j0 || j >= j1) {
                float was = c0[(size_t)i * ldc + j];
                assert_true(got == was || (isnan(got) && isnan(was)));
                continue;
            }
            double acc = 0;
            for (int p = 0; p < k; p++) {
                double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                acc += av * bv;
            }
            double want = alpha * acc + (beta == 0.0f ? 0.0 : beta * c0[(size_t)i * ldc + j]);
            if (!(fabs(got - want) < 1e-4 * (1 + fabs(want) + sqrt((double)k))))
                fail_msg("ta %d tb %d m %d n %d k %d cols [%d, %d) step %d: C[%d][%d] = %g, want %g", ta, tb, m, n, k, j0, j1, step,
                         i, j, got, want);
        }
    free(a), free(b), free(c), free(c0), free(packed);
}

static void test_every_tile_remainder_and_layout(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 5);
    static const int ns[] = {1, 5, 16, 17, 31, 32, 33, 70}, ks[] = {1, 3, 16, 17, 40};
    for (int t = 0; t < 4; t++)
        for (int m = 1; m <= 9; m++)
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
                for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                    check(t & 1, t >> 1, m, ns[ni], ks[ki], 0, ns[ni], NN_PANEL * 4, 1.0f, 0.0f, &r);
}

static void test_alpha_beta_and_column_ranges(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 6);
    for (int t = 0; t < 4; t++) {
        check(t & 1, t >> 1, 19, 100, 50, 0, 100, NN_PANEL, -0.5f, 1.0f, &r);       /* a panel at a time */
        check(t & 1, t >> 1, 19, 100, 50, 32, 96, NN_PANEL * 2, 2.0f, 0.25f, &r);   /* inner columns only */
        check(t & 1, t >> 1, 24, 70, 33, 64, 70, NN_PANEL, 0.75f, 0.0f, &r);        /* the last, partial panel */
        check(t & 1, t >> 1, 64, 512, 300, 0, 512, NN_PANEL * 3, 1.0f, 0.0f, &r);   /* a layer's size */
    }
}

/* With a bias (beta = 0): the same bits as C filled with the bias and beta = 1, whatever C
 * held (NaN here), for every tile remainder, both layouts, half and full panels. */
static void test_bias_is_the_same_bits_as_c_filled_with_it(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 7);
    static const int ms[] = {1, 7, 8, 13, 64}, ns[] = {3, 16, 20, 32, 100}, k = 37;
    for (int t = 0; t < 4; t++)
        for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
                int ta = t & 1, tb = t >> 1, m = ms[mi], n = ns[ni], lda = ta ? m : k, ldb = tb ? k : n, ldc = n + 1;
                float *a = random_matrix(&r, (size_t)k * m), *b = random_matrix(&r, (size_t)k * n);
                float *bias = random_matrix(&r, (size_t)n), *c = malloc((size_t)m * ldc * sizeof *c),
                      *filled = malloc((size_t)m * ldc * sizeof *filled);
                float *packed = aligned_alloc(64, nn_panels_floats(k, 0, n) * sizeof *packed);
                assert_non_null(c);
                assert_non_null(filled);
                assert_non_null(packed);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < ldc; j++) {
                        c[(size_t)i * ldc + j] = j < n ? NAN : 5.0f;
                        filled[(size_t)i * ldc + j] = j < n ? bias[j] : 5.0f;
                    }
                nn_panels_pack(packed, b, tb, (size_t)ldb, k, n, 0, n, NULL);
                nn_panels_gemm(ta, m, k, 0.5f, a, (size_t)lda, packed, n, 0, n, 0.0f, c, (size_t)ldc, &(nn_gemm_epilogue){.bias = bias}, NULL);
                nn_panels_gemm(ta, m, k, 0.5f, a, (size_t)lda, packed, n, 0, n, 1.0f, filled, (size_t)ldc, NULL, NULL);
                for (size_t i = 0; i < (size_t)m * ldc; i++)
                    if (memcmp(&c[i], &filled[i], sizeof *c) != 0)
                        fail_msg("ta %d tb %d m %d n %d: C[%zu] = %.9g with the bias, %.9g filled with it", ta, tb, m, n, i, c[i],
                                 filled[i]);
                free(a), free(b), free(bias), free(c), free(filled), free(packed);
            }
}

/* A matrix of `count` floats where most are zero: each is kept with probability `keep`, and
 * some of the zeros are -0. */
static float *sparse_matrix(nn_rng *r, size_t count, float keep)
{
    float *x = random_matrix(r, count);
    for (size_t i = 0; i < count; i++)
        if (nn_rng_uniform(r) >= keep) x[i] = nn_rng_uniform(r) < 0.3f ? -0.0f : 0.0f;
    return x;
}

/* op(A)[i][kk] and op(B)[kk][j] */
static float op_a(const float *a, int ta, size_t lda, int i, int kk) { return ta ? a[(size_t)kk * lda + i] : a[(size_t)i * lda + kk]; }
static float op_b(const float *b, int tb, size_t ldb, int kk, int j) { return tb ? b[(size_t)j * ldb + kk] : b[(size_t)kk * ldb + j]; }

/* A k list (a count, then the kk ascending) must name exactly the kk where one of the values
 * value(kk, 0 .. width) is not zero (NaN included, -0 not). */
static void check_list(const int *list, int k, int width, float (*value)(const void *, int, int), const void *ctx)
{
    int q = 0;
    for (int kk = 0; kk < k; kk++) {
        int nonzero = 0;
        for (int w = 0; w < width; w++) {
            float v = value(ctx, kk, w);
            nonzero |= v != 0.0f || isnan(v);
        }
        if (!nonzero) continue;
        assert_true(q < list[0]);
        assert_int_equal(list[1 + q], kk);
        q++;
    }
    assert_int_equal(q, list[0]);
}

typedef struct {
    const float *x;
    int t, off;
    size_t ld;
} list_view;
static float block_value(const void *p, int kk, int w)   /* op(A)[off + w][kk] */
{
    const list_view *v = p;
    return op_a(v->x, v->t, v->ld, v->off + w, kk);
}
static float panel_value(const void *p, int kk, int w)   /* op(B)[kk][off + w] */
{
    const list_view *v = p;
    return op_b(v->x, v->t, v->ld, kk, v->off + w);
}

/* Tiles that skip the steps of k where op(A)'s rows, or a panel's columns of op(B), are all
 * zero store the same bits as tiles that visit every step, bias, activation and gate included,
 * and the lists name exactly the steps that are not zero. A NaN in op(A) is not skipped. A
 * dense op(A) is not worth listing. */
static void test_skipped_zeros_are_the_same_bits(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 11);
    static const int ms[] = {8, 13, 64}, ns[] = {20, 64, 100}, ks[] = {37, 130};
    for (int t = 0; t < 4; t++)
        for (size_t mi = 0; mi < 3; mi++)
            for (size_t ni = 0; ni < 3; ni++)
                for (size_t ki = 0; ki < 2; ki++) {
                    int ta = t & 1, tb = t >> 1, m = ms[mi], n = ns[ni], k = ks[ki];
                    size_t lda = (size_t)(ta ? m : k) + 1, ldb = (size_t)(tb ? k : n) + 3, ldc = (size_t)n + 2;
                    float *a = sparse_matrix(&r, (size_t)(ta ? k : m) * lda, 0.05f), *b = random_matrix(&r, (size_t)(tb ? n : k) * ldb);
                    for (int kk = 0; kk < k; kk++)   /* op(B)'s rows: half of them all zero */
                        if (nn_rng_uniform(&r) < 0.5f)
                            for (int j = 0; j < n; j++) *(tb ? &b[(size_t)j * ldb + kk] : &b[(size_t)kk * ldb + j]) = 0.0f;
                    if (mi == 1 && ki == 1) *(ta ? &a[5 * lda + 9] : &a[9 * lda + 5]) = NAN;   /* op(A)[9][5] */
                    float *bias = random_matrix(&r, (size_t)n), *gate = random_matrix(&r, (size_t)m * ldc);
                    nn_gemm_epilogue e = {.bias = bias, .act = ni == 1, .slope = 0.1f, .gate = ki ? gate : NULL, .ldgate = ldc};
                    size_t panels = (size_t)(n + NN_PANEL - 1) / NN_PANEL, cells = (size_t)m * ldc;
                    float *packed = aligned_alloc(64, nn_panels_floats(k, 0, n) * sizeof *packed);
                    int *a_lists = malloc((size_t)(m + 7) / 8 * NN_K_LIST_INTS(k) * sizeof *a_lists);
                    int *b_lists = malloc(panels * NN_K_LIST_INTS(k) * sizeof *b_lists);
                    float *want = malloc(cells * sizeof *want), *got = malloc(cells * sizeof *got);
                    assert_true(packed && a_lists && b_lists && want && got);
                    nn_panels_pack(packed, b, tb, ldb, k, n, 0, n, NULL);
                    nn_panels_gemm(ta, m, k, 1.0f, a, lda, packed, n, 0, n, 0.0f, want, ldc, &e, NULL);

                    assert_int_equal(nn_panels_a_lists(ta, m, k, a, lda, a_lists), 0);
                    for (int bi = 0; bi < (m + 7) / 8; bi++) {
                        list_view v = {a, ta, bi * 8, lda};
                        check_list(a_lists + (size_t)bi * NN_K_LIST_INTS(k), k, m - bi * 8 < 8 ? m - bi * 8 : 8, block_value, &v);
                    }
                    nn_panels_gemm(ta, m, k, 1.0f, a, lda, packed, n, 0, n, 0.0f, got, ldc, &e, &(nn_k_lists){a_lists, NULL});
                    for (size_t i = 0; i < cells; i++)
                        if ((size_t)i % ldc < (size_t)n && memcmp(&got[i], &want[i], sizeof *got) != 0)
                            fail_msg("op(A)'s zeros skipped, ta %d tb %d m %d n %d k %d: C[%zu] = %.9g, not %.9g", ta, tb, m, n, k, i,
                                     got[i], want[i]);

                    nn_panels_pack(packed, b, tb, ldb, k, n, 0, n, b_lists);
                    for (size_t p = 0; p < panels; p++) {
                        list_view v = {b, tb, (int)p * NN_PANEL, ldb};
                        check_list(b_lists + p * NN_K_LIST_INTS(k), k, n - (int)p * NN_PANEL < NN_PANEL ? n - (int)p * NN_PANEL : NN_PANEL,
                                   panel_value, &v);
                    }
                    nn_panels_gemm(ta, m, k, 1.0f, a, lda, packed, n, 0, n, 0.0f, got, ldc, &e, &(nn_k_lists){NULL, b_lists});
                    for (size_t i = 0; i < cells; i++)
                        if ((size_t)i % ldc < (size_t)n && memcmp(&got[i], &want[i], sizeof *got) != 0)
                            fail_msg("op(B)'s zeros skipped, ta %d tb %d m %d n %d k %d: C[%zu] = %.9g, not %.9g", ta, tb, m, n, k, i,
                                     got[i], want[i]);
                    if (mi == 1 && ki == 1) assert_true(isnan(want[9 * ldc]));

                    float *dense = random_matrix(&r, (size_t)(ta ? k : m) * lda);
                    assert_int_equal(nn_panels_a_lists(ta, m, k, dense, lda, a_lists), -1);
                    free(a), free(b), free(bias), free(gate), free(packed), free(a_lists), free(b_lists), free(want), free(got);
                    free(dense);
                }
}

/* nn_sgemm's thin route skips the zeros of a dense layer fed images with a blank background,
 * forward (op(A): 128 images of 784 pixels, a fifth of them lit, the border blank) and in the
 * weight's gradient (op(B): the same images), over the pool's threads, and stores the same
 * bits as the panels visiting every step of k. */
static void test_thin_products_skip_an_image_batchs_zeros(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 12);
    enum { N = 128, PIX = 784, H = 400 };
    float *x = sparse_matrix(&r, (size_t)N * PIX, 0.2f), *w = random_matrix(&r, (size_t)H * PIX), *dh = random_matrix(&r, (size_t)N * H);
    for (int i = 0; i < N; i++)
        for (int p = 0; p < PIX; p++)
            if (p < 84 || p >= 700) x[(size_t)i * PIX + p] = 0.0f;   /* the top and bottom three rows */
    static const int shapes[][5] = {{0, 1, N, H, PIX}, {1, 0, H, PIX, N}};   /* x w^T; dh^T x */
    for (int s = 0; s < 2; s++) {
        int ta = shapes[s][0], tb = shapes[s][1], m = shapes[s][2], n = shapes[s][3], k = shapes[s][4];
        const float *a = s == 0 ? x : dh, *b = s == 0 ? w : x;
        int lda = ta ? m : k, ldb = tb ? k : n;
        assert_int_equal(nn_gemm_route(ta, m, n, k), NN_GEMM_THIN);
        float *want = malloc((size_t)m * n * sizeof *want), *got = malloc((size_t)m * n * sizeof *got);
        float *packed = aligned_alloc(64, nn_panels_floats(k, 0, n) * sizeof *packed);
        assert_true(want && got && packed);
        nn_panels_pack(packed, b, tb, (size_t)ldb, k, n, 0, n, NULL);
        nn_panels_gemm(ta, m, k, 1.0f, a, (size_t)lda, packed, n, 0, n, 0.0f, want, (size_t)n, NULL, NULL);
        nn_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, got, n);
        assert_memory_equal(got, want, (size_t)m * n * sizeof *got);
        free(want), free(got), free(packed);
    }
    free(x), free(w), free(dh);
}
#endif

int main(void)
{
    nn_runtime_init();
#if NN_ISA_X86
    if (nn_isa() >= NN_ISA_AVX512) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_tile_remainder_and_layout),
            cmocka_unit_test(test_alpha_beta_and_column_ranges),
            cmocka_unit_test(test_bias_is_the_same_bits_as_c_filled_with_it),
            cmocka_unit_test(test_skipped_zeros_are_the_same_bits),
            cmocka_unit_test(test_thin_products_skip_an_image_batchs_zeros),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
    }
#endif
    print_message("test_gemm_panel: no AVX-512 level here, nothing runs the panel kernel\n");
    return 0;
}
