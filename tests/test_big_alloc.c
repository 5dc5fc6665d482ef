/* nn/big_alloc.h: small buffers 64-byte aligned, big ones on 2 MB boundaries and asked of the
 * kernel on 2 MB pages (the mapping carries madvise's "hg" flag in /proc/self/smaps wherever
 * transparent huge pages exist), cleared when asked, and an overflowing size refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/big_alloc.h"

/* 1 when the mapping holding p carries VmFlag "hg" (MADV_HUGEPAGE), 0 when not, -1 when
 * /proc/self/smaps cannot tell */
static int asked_for_huge_pages(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int inside = 0, found = -1;
    uintptr_t at = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') == line + strspn(line, "0123456789abcdef")) {
            inside = at >= lo && at < hi;
            continue;
        }
        if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

/* whether this kernel has transparent huge pages at all (not "[never]") */
static int huge_pages_exist(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return 0;
    char mode[128] = "";
    int ok = fgets(mode, sizeof mode, f) != NULL && strstr(mode, "[never]") == NULL;
    fclose(f);
    return ok;
}

static void test_small_buffers_are_aligned_and_cleared_when_asked(void **state)
{
    (void)state;
    for (size_t bytes = 1; bytes < NN_BIG_ALLOC_MIN; bytes *= 7) {
        unsigned char *p = nn_big_alloc(bytes);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 64, 0);
        memset(p, 0xAB, bytes);
        free(p);
        p = nn_big_calloc(bytes, 1);
        assert_non_null(p);
        for (size_t i = 0; i < bytes; i++) assert_int_equal(p[i], 0);
        free(p);
    }
    void *none = nn_big_alloc(0);   /* a buffer all the same, freed as any */
    assert_non_null(none);
    free(none);
}

static void test_big_buffers_start_on_2mb_and_ask_for_huge_pages(void **state)
{
    (void)state;
    size_t n = 5 * (NN_BIG_ALLOC_MIN / sizeof(float)) + 3;   /* not a multiple of 2 MB */
    float *p = nn_big_calloc(n, sizeof(float));
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % NN_BIG_ALLOC_MIN, 0);
    for (size_t i = 0; i < n; i += 4099) assert_true(p[i] == 0.0f);
    assert_true(p[n - 1] == 0.0f);
    p[n - 1] = 1.0f;
    int asked = asked_for_huge_pages(p);
    if (huge_pages_exist() && asked >= 0) assert_int_equal(asked, 1);
    unsigned char *small = nn_big_alloc(4096);
    assert_non_null(small);
    memset(small, 1, 4096);
    if (asked >= 0) assert_int_equal(asked_for_huge_pages(small), 0);   /* a small one is not asked */
    free(small);
    free(p);
}

static void test_an_overflowing_size_is_refused(void **state)
{
    (void)state;
    assert_null(nn_big_calloc(SIZE_MAX / 2, 4));
    assert_null(nn_big_alloc(SIZE_MAX - 16));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_buffers_are_aligned_and_cleared_when_asked),
        cmocka_unit_test(test_big_buffers_start_on_2mb_and_ask_for_huge_pages),
        cmocka_unit_test(test_an_overflowing_size_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
