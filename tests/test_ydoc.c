/* The YAML document layer: positions, aliases and merge keys, limits, errors, diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "diag.h"
#include "ydoc.h"

/* diag_print output as a string (caller frees). */
static char *printed(const diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diag_print(d, f);
    fclose(f);
    return buf;
}

/* Loads text expecting failure; returns the printed diagnostics. */
static char *load_error(const char *text)
{
    diag d;
    diag_init(&d);
    ynode *r = ydoc_load_string(text, "t.yaml", &d);
    assert_null(r);
    assert_true(diag_count(&d) >= 1);
    char *out = printed(&d);
    diag_free(&d);
    return out;
}

static ynode *load_ok(const char *text)
{
    diag d;
    diag_init(&d);
    ynode *r = ydoc_load_string(text, "t.yaml", &d);
    if (!r) diag_print(&d, stderr);
    assert_non_null(r);
    assert_int_equal(diag_count(&d), 0);
    diag_free(&d);
    return r;
}

static const char *sample =
    "name: cae\n"                      /* 1 */
    "data:\n"                          /* 2 */
    "  train: {dataset: mnist}\n"      /* 3 */
    "model:\n"                         /* 4 */
    "  layers:\n"                      /* 5 */
    "    - conv: {filters: 4}\n"       /* 6 */
    "    - relu\n"                     /* 7 */
    "    - dense: 20\n"                /* 8 */
    "      name: code\n";              /* 9 */

static void test_nodes_and_keys_keep_line_and_column(void **state)
{
    (void)state;
    ynode *r = load_ok(sample);
    assert_int_equal(r->kind, YN_MAP);
    assert_string_equal(r->file, "t.yaml");
    ynode *name = ymap_get(r, "name");
    assert_int_equal(name->line, 1);
    assert_int_equal(name->col, 7);
    ynode *train = ymap_get(ymap_get(r, "data"), "train");
    assert_int_equal(train->kind, YN_MAP);
    assert_int_equal(train->line, 3);
    assert_int_equal(train->col, 10);
    assert_int_equal(ymap_get(train, "dataset")->col, 20);
    ynode *model = ymap_get(r, "model");
    assert_int_equal(model->key_line[0], 5);   /* "layers" key */
    assert_int_equal(model->key_col[0], 3);
    ynode *layers = ymap_get(model, "layers");
    assert_int_equal(layers->kind, YN_SEQ);
    assert_int_equal(layers->n, 3);
    assert_int_equal(layers->items[1]->line, 7);
    assert_int_equal(layers->items[1]->col, 7);
    ynode *dense = layers->items[2];
    assert_int_equal(dense->key_line[1], 9);   /* "name" key of the third layer */
    assert_int_equal(dense->key_col[1], 7);
    assert_int_equal(ymap_get(dense, "name")->col, 13);
    assert_null(ymap_get(r, "missing"));
    ynode_free(r);
}

static void test_scalars_read_as_typed_values_and_quoted_ones_stay_strings(void **state)
{
    (void)state;
    ynode *r = load_ok("i: -42\nf: 3e-4\nb: Yes\nq: \"5\"\nn: ~\ne:\ninf: -.inf\nw: 12abc\n");
    long i;
    double f;
    int b;
    assert_int_equal(yscalar_int(ymap_get(r, "i"), &i), 0);
    assert_int_equal(i, -42);
    assert_int_equal(yscalar_float(ymap_get(r, "f"), &f), 0);
    assert_true(f > 2.99e-4 && f < 3.01e-4);
    assert_int_equal(yscalar_int(ymap_get(r, "f"), &i), -1);
    assert_int_equal(yscalar_bool(ymap_get(r, "b"), &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(yscalar_int(ymap_get(r, "q"), &i), -1);    /* "5" is a string */
    assert_true(ymap_get(r, "q")->quoted);
    assert_true(yscalar_is_null(ymap_get(r, "n")));
    assert_true(yscalar_is_null(ymap_get(r, "e")));
    assert_false(yscalar_is_null(ymap_get(r, "q")));
    assert_int_equal(yscalar_float(ymap_get(r, "inf"), &f), 0);
    assert_true(f < -1e300);
    assert_int_equal(yscalar_float(ymap_get(r, "w"), &f), -1);
    assert_int_equal(yscalar_bool(ymap_get(r, "i"), &b), -1);
    ynode_free(r);
}

static void test_alias_is_a_copy_and_merge_key_lets_explicit_keys_win(void **state)
{
    (void)state;
    ynode *r = load_ok("base: &opt {lr: 0.001, betas: [0.9, 0.999]}\n"
                       "g: *opt\n"
                       "d:\n"
                       "  <<: *opt\n"
                       "  lr: 0.0004\n"
                       "  wd: 0.01\n");
    ynode *g = ymap_get(r, "g");
    assert_true(ynode_equal(g, ymap_get(r, "base")));
    assert_ptr_not_equal(g, ymap_get(r, "base"));        /* a copy: editing one leaves the other */
    ynode *d = ymap_get(r, "d");
    assert_int_equal(d->n, 3);
    assert_null(ymap_get(d, "<<"));
    assert_string_equal(ymap_get(d, "lr")->str, "0.0004");
    assert_string_equal(ymap_get(d, "wd")->str, "0.01");
    assert_int_equal(ymap_get(d, "betas")->n, 2);
    ynode_free(r);
}

static void test_merge_key_list_gives_earlier_maps_priority(void **state)
{
    (void)state;
    ynode *r = load_ok("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc: {<<: [*a, *b]}\n");
    ynode *c = ymap_get(r, "c");
    assert_int_equal(c->n, 3);
    assert_string_equal(ymap_get(c, "y")->str, "1");
    assert_string_equal(ymap_get(c, "z")->str, "2");
    ynode_free(r);
}

static void test_merge_key_of_a_scalar_is_an_error(void **state)
{
    (void)state;
    char *out = load_error("a: 1\nb:\n  <<: 3\n");
    assert_string_equal(out, "t.yaml:3:7: error: merge key '<<' needs a mapping (e.g. *base) or a list of mappings\n");
    free(out);
}

static void test_billion_laughs_is_rejected_fast_with_a_clear_message(void **state)
{
    (void)state;
    /* 9 levels of 10 aliases each: 10^9 nodes once expanded. */
    char doc[4096] = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int i = 1; i <= 9; i++) {
        char line[256];
        int p = snprintf(line, sizeof line, "l%d: &l%d [", i, i);
        for (int k = 0; k < 10; k++) p += snprintf(line + p, sizeof line - (size_t)p, "%s*l%d", k ? ", " : "", i - 1);
        snprintf(line + p, sizeof line - (size_t)p, "]\n");
        strcat(doc, line);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *out = load_error(doc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    assert_true(secs < 1.0);
    assert_non_null(strstr(out, "error: alias expansion too large (billion-laughs?)"));
    free(out);
}

static void test_alias_to_its_own_ancestor_is_rejected(void **state)
{
    (void)state;
    char *out = load_error("a: &x [1, [*x, *x]]\n");
    assert_non_null(strstr(out, "t.yaml:1:4: error: alias expansion too large (billion-laughs?)"));
    free(out);
}

static void test_nesting_deeper_than_the_limit_is_rejected(void **state)
{
    (void)state;
    char doc[256];
    memset(doc, '[', 100);
    memset(doc + 100, ']', 100);
    strcpy(doc + 200, "\n");
    char *out = load_error(doc);
    assert_non_null(strstr(out, "nesting deeper than 64 levels"));
    free(out);
    memset(doc, '[', 60);
    memset(doc + 60, ']', 60);
    strcpy(doc + 120, "\n");
    ynode_free(load_ok(doc));
}

static void test_duplicate_key_is_reported_at_the_second_key(void **state)
{
    (void)state;
    char *out = load_error("train:\n  epochs: 3\n  batch: 64\n  epochs: 5\n");
    assert_string_equal(out, "t.yaml:4:3: error: duplicate key 'epochs' (first defined at line 2, column 3)\n");
    free(out);
}

static void test_bad_indentation_reports_libyaml_problem_and_position(void **state)
{
    (void)state;
    char *out = load_error("model:\n  input: 3\n layers: 4\n");
    assert_string_equal(out, "t.yaml:3:2: error: did not find expected key "
                             "(while parsing a block mapping that started at line 1, column 1)\n");
    free(out);
    out = load_error("a:\n  b: 1\n    c: 2\n");
    assert_string_equal(out, "t.yaml:3:6: error: mapping values are not allowed in this context\n");
    free(out);
}

static void test_second_document_and_empty_file_are_errors(void **state)
{
    (void)state;
    char *out = load_error("a: 1\n---\nb: 2\n");
    assert_string_equal(out, "t.yaml:2:1: error: a second YAML document starts here; a spec file holds exactly one document\n");
    free(out);
    out = load_error("");
    assert_string_equal(out, "t.yaml:1:1: error: empty spec\n");
    free(out);
    out = load_error("# only a comment\n");
    assert_string_equal(out, "t.yaml:1:1: error: empty spec\n");
    free(out);
}

static void test_load_file_names_nodes_after_the_file_and_reports_missing_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ydoc_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("seed: 7\n", f);
    fclose(f);
    diag d;
    diag_init(&d);
    ynode *r = ydoc_load_file(path, &d);
    assert_non_null(r);
    assert_string_equal(ymap_get(r, "seed")->file, path);
    ynode_free(r);
    unlink(path);
    assert_null(ydoc_load_file(path, &d));
    char *out = printed(&d);
    char want[128];
    snprintf(want, sizeof want, "%s: error: cannot open: No such file or directory\n", path);
    assert_string_equal(out, want);
    free(out);
    diag_free(&d);
    rmdir(dir);
}

static void test_equality_ignores_key_order_but_not_types(void **state)
{
    (void)state;
    ynode *a = load_ok("x: 1\ny: [a, b]\ns: 'plain'\n");
    ynode *b = load_ok("y: [a, b]\ns: plain\nx: 1\n");
    ynode *c = load_ok("x: '1'\ny: [a, b]\ns: plain\n");
    ynode *e = ynode_clone(a);
    assert_true(ynode_equal(a, b));
    assert_false(ynode_equal(a, c));    /* the string "1" is not the number 1 */
    assert_true(ynode_equal(a, e));
    assert_int_equal(ymap_get(e, "y")->items[1]->line, 2);   /* clones keep positions */
    ynode_free(a);
    ynode_free(b);
    ynode_free(c);
    ynode_free(e);
}

/* ---- diag --------------------------------------------------------------------------------- */
static void test_diag_prints_in_order_and_counts_only_errors(void **state)
{
    (void)state;
    diag d;
    diag_init(&d);
    ynode *r = load_ok("a: 1\nbb: 2\n");
    diag_error(&d, ymap_get(r, "bb"), "'%s' must be a list", "bb");
    diag_warning_at(&d, "x.yaml", 3, 4, "unused");
    diag_error_at(&d, r->file, r->key_line[0], r->key_col[0], "second");
    char *out = printed(&d);
    assert_string_equal(out, "t.yaml:2:5: error: 'bb' must be a list\n"
                             "x.yaml:3:4: warning: unused\n"
                             "t.yaml:1:1: error: second\n");
    assert_int_equal(diag_count(&d), 2);
    free(out);
    diag_free(&d);
    ynode_free(r);
}

static void test_suggest_finds_typos_and_ignores_distant_words(void **state)
{
    (void)state;
    static const char *const conv_keys[] = {"filters", "kernel", "stride", "pad"};
    static const char *const optims[] = {"sgd", "adam", "adamw", "rmsprop"};
    static const char *const acts[] = {"relu", "gelu", "sigmoid", "tanh"};
    assert_string_equal(diag_suggest("filers", conv_keys, 4), "filters");
    assert_string_equal(diag_suggest("kernal", conv_keys, 4), "kernel");
    assert_string_equal(diag_suggest("adma", optims, 4), "adam");         /* swapped letters: 1 */
    assert_string_equal(diag_suggest("RMSProp", optims, 4), "rmsprop");
    assert_string_equal(diag_suggest("relu6", acts, 4), "relu");
    assert_null(diag_suggest("relu6", optims, 4));
    assert_null(diag_suggest("krnl", conv_keys, 4));                      /* short words: 1 at most */
    assert_string_equal(diag_suggest("kernl", conv_keys, 4), "kernel");
    assert_int_equal(diag_edit_distance("adma", "adam"), 1);
    assert_int_equal(diag_edit_distance("kitten", "sitting"), 3);
}

static void test_unknown_key_message_suggests_or_lists_choices_at_the_key(void **state)
{
    (void)state;
    static const char *const conv_keys[] = {"filters", "kernel", "stride"};
    static const char *const optims[] = {"sgd", "adam", "rmsprop"};
    char *m = diag_unknown_msg("optimizer", "relu6", NULL, optims, 3);
    assert_string_equal(m, "unknown optimizer 'relu6' (expected one of: sgd, adam, rmsprop)");
    free(m);
    ynode *r = load_ok("conv:\n  kernel: 3\n  filers: 4\n");
    diag d;
    diag_init(&d);
    diag_unknown_key(&d, ymap_get(r, "conv"), 1, "conv", conv_keys, 3);
    char *out = printed(&d);
    assert_string_equal(out, "t.yaml:3:3: error: unknown key 'filers' in 'conv' (did you mean 'filters'?)\n");
    free(out);
    diag_free(&d);
    ynode_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_and_keys_keep_line_and_column),
        cmocka_unit_test(test_scalars_read_as_typed_values_and_quoted_ones_stay_strings),
        cmocka_unit_test(test_alias_is_a_copy_and_merge_key_lets_explicit_keys_win),
        cmocka_unit_test(test_merge_key_list_gives_earlier_maps_priority),
        cmocka_unit_test(test_merge_key_of_a_scalar_is_an_error),
        cmocka_unit_test(test_billion_laughs_is_rejected_fast_with_a_clear_message),
        cmocka_unit_test(test_alias_to_its_own_ancestor_is_rejected),
        cmocka_unit_test(test_nesting_deeper_than_the_limit_is_rejected),
        cmocka_unit_test(test_duplicate_key_is_reported_at_the_second_key),
        cmocka_unit_test(test_bad_indentation_reports_libyaml_problem_and_position),
        cmocka_unit_test(test_second_document_and_empty_file_are_errors),
        cmocka_unit_test(test_load_file_names_nodes_after_the_file_and_reports_missing_files),
        cmocka_unit_test(test_equality_ignores_key_order_but_not_types),
        cmocka_unit_test(test_diag_prints_in_order_and_counts_only_errors),
        cmocka_unit_test(test_suggest_finds_typos_and_ignores_distant_words),
        cmocka_unit_test(test_unknown_key_message_suggests_or_lists_choices_at_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
