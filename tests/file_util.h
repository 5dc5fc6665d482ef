/* file_util.h — whole files in tests: read one, assert two are byte for byte the same (include
 * after cmocka.h). */
#ifndef NNRUN_TEST_FILE_UTIL_H
#define NNRUN_TEST_FILE_UTIL_H
#include <stdio.h>
#include <stdlib.h>

/* The whole file (caller frees), its length in *len; fails the test when it cannot be read. */
static inline char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) print_error("cannot open %s\n", path);
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* Files a and b hold the same bytes; else the test fails naming the first byte that differs. */
static inline void assert_same_bytes(const char *a, const char *b)
{
    size_t la, lb;
    char *x = test_read_file(a, &la), *y = test_read_file(b, &lb);
    size_t i = 0;
    while (i < la && i < lb && x[i] == y[i]) i++;
    if (i < la || la != lb) print_error("%s and %s differ from byte %zu (%zu and %zu bytes)\n", a, b, i, la, lb);
    assert_true(i == la && la == lb);
    free(x);
    free(y);
}

#endif
