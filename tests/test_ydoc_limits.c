/* Hostile specs against the YAML loader's limits: nesting 200000 levels deep (flow lists, flow
 * mappings, block lists, indented block mappings), more values than a spec may have, a mapping
 * of many keys, many anchors, a file just over the size cap. Each is generated on the fly,
 * loaded through ydoc_load_file and must be refused (or loaded) within a time bound — generous,
 * the loader takes milliseconds — with a message that says what is wrong and where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "diag.h"
#include "ydoc.h"
#include "tmpdir.h"

#define TIME_BOUND 5.0   /* seconds; quadratic loading took over 60 s for 200000 levels */
#define DEEP 200000

/* A growing text buffer. */
typedef struct {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t len)
{
    if (t->n + len + 1 > t->cap) {
        t->cap = 2 * (t->n + len + 1);
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->n, s, len);
    t->n += len;
    t->s[t->n] = 0;
}

static void puts_n(text *t, const char *s, long times)
{
    for (long i = 0; i < times; i++) put(t, s, strlen(s));
}

/* Writes t to name and loads it; returns the tree (NULL when refused) and the printed
 * diagnostics in *out (caller frees both); fails the test past TIME_BOUND. */
static ynode *load_timed(text *t, const char *name, char **out)
{
    FILE *f = fopen(name, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(t->s, 1, t->n, f), t->n);
    fclose(f);
    free(t->s);
    *t = (text){0};
    diag d;
    diag_init(&d);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ynode *root = ydoc_load_file(name, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    size_t len = 0;
    FILE *m = open_memstream(out, &len);
    diag_print(&d, m);
    fclose(m);
    diag_free(&d);
    if (secs >= TIME_BOUND) print_error("%s took %.2f s\n", name, secs);
    assert_true(secs < TIME_BOUND);
    return root;
}

/* Loads t expecting a refusal whose message is exactly want. */
static void expect_refused(text *t, const char *name, const char *want)
{
    char *out;
    ynode *root = load_timed(t, name, &out);
    assert_null(root);
    assert_string_equal(out, want);
    free(out);
}

static void test_flow_lists_200000_deep_are_refused_at_level_65(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "x: ", 3);
    puts_n(&t, "[", DEEP);
    puts_n(&t, "]", DEEP);
    put(&t, "\n", 1);
    /* x's list is level 2, so the list at column 4 + 63 is level 65 */
    expect_refused(&t, "flow.yaml",
                   "flow.yaml:1:67: error: nesting deeper than 64 levels (lists and mappings inside each other)\n");
}

static void test_flow_mappings_200000_deep_are_refused_at_level_65(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "x: ", 3);
    puts_n(&t, "{a: ", DEEP);
    put(&t, "1", 1);
    puts_n(&t, "}", DEEP);
    put(&t, "\n", 1);
    expect_refused(&t, "map.yaml",
                   "map.yaml:1:253: error: nesting deeper than 64 levels (lists and mappings inside each other)\n");
}

static void test_block_nesting_is_refused_at_level_65(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "x:\n", 3);
    puts_n(&t, "- ", DEEP);   /* block lists on one line: 2 bytes a level */
    put(&t, "1\n", 2);
    expect_refused(&t, "dashes.yaml",
                   "dashes.yaml:2:127: error: nesting deeper than 64 levels (lists and mappings inside each other)\n");
    put(&t, "a:\n", 3);       /* indented block mappings, 4000 levels (8 MB) */
    for (int i = 1; i < 4000; i++) {
        puts_n(&t, " ", i);
        put(&t, "a:\n", 3);
    }
    /* the mapping on line k is level k; the key on line 64 is level 65 */
    expect_refused(&t, "indent.yaml",
                   "indent.yaml:64:64: error: nesting deeper than 64 levels (lists and mappings inside each other)\n");
}

static void test_64_levels_load(void **state)
{
    (void)state;
    text t = {0};
    puts_n(&t, "[", 63);   /* the root and 63 lists in it, the innermost holding a scalar at 64 */
    put(&t, "1", 1);
    puts_n(&t, "]", 63);
    put(&t, "\n", 1);
    char *out;
    ynode *root = load_timed(&t, "ok.yaml", &out);
    assert_non_null(root);
    assert_string_equal(out, "");
    free(out);
    ynode_free(root);
}

static void test_aliases_nesting_past_the_limit_are_named_as_such(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "a: &a ", 6);
    puts_n(&t, "[", 40);
    puts_n(&t, "]", 40);
    put(&t, "\nb: ", 4);
    puts_n(&t, "[", 40);
    put(&t, "*a", 2);
    puts_n(&t, "]", 40);
    put(&t, "\n", 1);
    char *out;
    assert_null(load_timed(&t, "alias.yaml", &out));
    assert_non_null(strstr(out, "error: aliases nest deeper than 64 levels once expanded"));
    free(out);
}

static void test_more_values_than_a_spec_may_have_are_refused_as_they_come(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "x: [", 4);
    puts_n(&t, "1, ", YDOC_MAX_NODES + 10);
    put(&t, "1]\n", 3);
    /* the root mapping is value 1, key x 2, its list 3, item j value j + 3 at column 5 + 3 (j - 1) */
    char want[256];
    snprintf(want, sizeof want, "many.yaml:1:%d: error: more than %d values (keys, items and scalars): too large for a spec\n",
             5 + 3 * (YDOC_MAX_NODES - 3), YDOC_MAX_NODES);
    expect_refused(&t, "many.yaml", want);
}

/* Duplicate keys are found through a hash table: 45000 keys, the last one a duplicate. */
static void test_a_mapping_of_many_keys_finds_its_duplicate_fast(void **state)
{
    (void)state;
    text t = {0};
    char line[32];
    for (int i = 0; i < 45000; i++) put(&t, line, (size_t)snprintf(line, sizeof line, "k%d: %d\n", i, i));
    put(&t, "k7: again\n", 10);
    expect_refused(&t, "keys.yaml", "keys.yaml:45001:1: error: duplicate key 'k7' (first defined at line 8, column 1)\n");
    for (int i = 0; i < 45000; i++) put(&t, line, (size_t)snprintf(line, sizeof line, "- &a%d %d\n", i, i));
    put(&t, "- *a44999\n", 10);
    char *out;
    ynode *root = load_timed(&t, "anchors.yaml", &out);
    assert_non_null(root);
    assert_string_equal(root->items[45000]->str, "44999");
    free(out);
    ynode_free(root);
}

static void test_anchor_errors_name_the_anchor(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "a: *nowhere\n", 12);
    expect_refused(&t, "undef.yaml", "undef.yaml:1:4: error: alias '*nowhere' names no anchor defined before it\n");
    const char *twice = "a: &x 1\nb: &x 2\n";
    put(&t, twice, strlen(twice));
    expect_refused(&t, "twice.yaml", "twice.yaml:2:4: error: anchor '&x' is defined twice (first at line 1, column 4)\n");
}

static void test_a_file_over_the_size_cap_is_not_read(void **state)
{
    (void)state;
    text t = {0};
    put(&t, "x: 1\n", 5);
    puts_n(&t, "#", YDOC_MAX_BYTES - 5);   /* exactly the cap: read (a comment) */
    char *out;
    ynode *root = load_timed(&t, "cap.yaml", &out);
    assert_non_null(root);
    free(out);
    ynode_free(root);
    put(&t, "x: 1\n", 5);
    puts_n(&t, "#", YDOC_MAX_BYTES - 4);   /* one byte more */
    expect_refused(&t, "over.yaml", "over.yaml: error: 10485761 bytes: more than a spec may have (10 MB); is this the spec file?\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_lists_200000_deep_are_refused_at_level_65),
        cmocka_unit_test(test_flow_mappings_200000_deep_are_refused_at_level_65),
        cmocka_unit_test(test_block_nesting_is_refused_at_level_65),
        cmocka_unit_test(test_64_levels_load),
        cmocka_unit_test(test_aliases_nesting_past_the_limit_are_named_as_such),
        cmocka_unit_test(test_more_values_than_a_spec_may_have_are_refused_as_they_come),
        cmocka_unit_test(test_a_mapping_of_many_keys_finds_its_duplicate_fast),
        cmocka_unit_test(test_anchor_errors_name_the_anchor),
        cmocka_unit_test(test_a_file_over_the_size_cap_is_not_read),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
