/* The recurrent ops' per-step GEMM (runtime/kernels/recurrent_gemm.c): C += A op(W) against
 * a double reference for shapes that exercise every edge of the packed kernel (rows not a
 * multiple of the 8-row tile, columns not a multiple of the 32-column panel, fewer than 16
 * columns), both orientations of W, strided rows of A and C, and columns of C outside the
 * product left untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include "../runtime/kernels/recurrent_gemm.h"

static float value(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

/* C (m, n) += A (m, k) op(W) with A's rows lda apart and C's ldc apart (both > their widths). */
static void check_product(int m, int n, int k, int trans)
{
    size_t lda = (size_t)k + 5, ldc = (size_t)n + 7;
    float *a = malloc(sizeof(float) * lda * m), *w = malloc(sizeof(float) * n * k), *c = malloc(sizeof(float) * ldc * m);
    double *want = malloc(sizeof(double) * ldc * m);
    assert_non_null(a);
    assert_non_null(w);
    assert_non_null(c);
    assert_non_null(want);
    unsigned s = (unsigned)(m * 131 + n * 7 + k + trans);
    for (size_t i = 0; i < lda * m; i++) a[i] = value(&s);
    for (int i = 0; i < n * k; i++) w[i] = value(&s);
    for (size_t i = 0; i < ldc * m; i++) want[i] = c[i] = value(&s);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            for (int q = 0; q < k; q++)
                want[i * ldc + j] += (double)a[i * lda + q] * (trans ? w[(size_t)j * k + q] : w[(size_t)q * n + j]);
    rec_weight rw;
    assert_int_equal(rec_weight_pack(&rw, w, trans, n, k), 0);
    rec_gemm(&rw, m, a, lda, c, ldc);
    for (int i = 0; i < m; i++)
        for (size_t j = 0; j < ldc; j++) assert_true(fabs(c[i * ldc + j] - want[i * ldc + j]) < 1e-4 * (1 + k));
    free(a);
    free(w);
    free(c);
    free(want);
}

static void test_transposed_weight_matches_reference_for_ragged_shapes(void **state)
{
    (void)state;
    int shapes[][3] = {{1, 1, 1}, {3, 5, 2}, {8, 32, 16}, {13, 40, 37}, {32, 96, 64}, {9, 17, 33}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) check_product(shapes[i][0], shapes[i][1], shapes[i][2], 1);
}

static void test_plain_weight_matches_reference_for_ragged_shapes(void **state)
{
    (void)state;
    int shapes[][3] = {{1, 1, 1}, {7, 3, 12}, {8, 64, 8}, {17, 33, 70}, {32, 48, 96}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) check_product(shapes[i][0], shapes[i][1], shapes[i][2], 0);
}

static void test_packing_a_bigger_weight_after_a_smaller_one_works(void **state)
{
    (void)state;
    check_product(4, 8, 8, 1);
    check_product(20, 128, 100, 0);
    check_product(4, 8, 8, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transposed_weight_matches_reference_for_ragged_shapes),
        cmocka_unit_test(test_plain_weight_matches_reference_for_ragged_shapes),
        cmocka_unit_test(test_packing_a_bigger_weight_after_a_smaller_one_works),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
