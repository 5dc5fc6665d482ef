/* The seeded RNG: same seed, same stream; distributions as documented; state is plain data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "nn/rng.h"

static void test_same_seed_gives_the_same_stream_and_another_seed_another(void **state)
{
    (void)state;
    nn_rng a, b, c;
    nn_rng_seed(&a, 42);
    nn_rng_seed(&b, 42);
    nn_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = nn_rng_u64(&a), y = nn_rng_u64(&b), z = nn_rng_u64(&c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_true(differ > 990);
}

static void test_copying_the_state_resumes_the_stream(void **state)
{
    (void)state;
    nn_rng a;
    nn_rng_seed(&a, 7);
    for (int i = 0; i < 11; i++) nn_rng_normal(&a);   /* odd: a spare normal is pending */
    nn_rng saved = a;
    float x[5], y[5];
    for (int i = 0; i < 5; i++) x[i] = nn_rng_normal(&a);
    for (int i = 0; i < 5; i++) y[i] = nn_rng_normal(&saved);
    assert_memory_equal(x, y, sizeof x);
}

static void test_uniform_and_normal_have_the_documented_moments(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 1);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        double u = nn_rng_uniform(&r), z = nn_rng_normal(&r);
        su += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sn += z;
        sn2 += z * z;
    }
    assert_true(lo >= 0 && hi < 1);
    assert_true(fabs(su / n - 0.5) < 0.005);
    assert_true(fabs(sn / n) < 0.01);
    assert_true(fabs(sn2 / n - 1) < 0.02);
}

static void test_below_stays_in_range_and_hits_every_value(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 3);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint32_t v = nn_rng_below(&r, 7);
        assert_true(v < 7);
        seen[v]++;
    }
    for (int k = 0; k < 7; k++) assert_true(seen[k] > 850 && seen[k] < 1150);
}

static void test_shuffle_is_a_permutation(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 5);
    int a[100], count[100] = {0}, moved = 0;
    for (int i = 0; i < 100; i++) a[i] = i;
    nn_rng_shuffle(&r, a, 100);
    for (int i = 0; i < 100; i++) {
        count[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < 100; i++) assert_int_equal(count[i], 1);
    assert_true(moved > 90);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_the_same_stream_and_another_seed_another),
        cmocka_unit_test(test_copying_the_state_resumes_the_stream),
        cmocka_unit_test(test_uniform_and_normal_have_the_documented_moments),
        cmocka_unit_test(test_below_stays_in_range_and_hits_every_value),
        cmocka_unit_test(test_shuffle_is_a_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
