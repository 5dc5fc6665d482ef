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
        nn_panels_pack(packed, b, tb, (size_t)ldb, k, n, p, p1);
        nn_panels_gemm(ta, m, k, alpha, a, (size_t)lda, packed, n, p, p1, beta, c, (size_t)ldc, NULL);
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
                nn_panels_pack(packed, b, tb, (size_t)ldb, k, n, 0, n);
                nn_panels_gemm(ta, m, k, 0.5f, a, (size_t)lda, packed, n, 0, n, 0.0f, c, (size_t)ldc, &(nn_gemm_epilogue){.bias = bias});
                nn_panels_gemm(ta, m, k, 0.5f, a, (size_t)lda, packed, n, 0, n, 1.0f, filled, (size_t)ldc, NULL);
                for (size_t i = 0; i < (size_t)m * ldc; i++)
                    if (memcmp(&c[i], &filled[i], sizeof *c) != 0)
                        fail_msg("ta %d tb %d m %d n %d: C[%zu] = %.9g with the bias, %.9g filled with it", ta, tb, m, n, i, c[i],
                                 filled[i]);
                free(a), free(b), free(bias), free(c), free(filled), free(packed);
            }
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
    }
#endif
    print_message("test_gemm_panel: no AVX-512 level here, nothing runs the panel kernel\n");
    return 0;
}
