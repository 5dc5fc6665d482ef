/* model.patch edits an inherited layer list by name: after, before, replace, remove, several
 * layers at once, applied level by level through extends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "spec.h"
#include "spec_merge.h"
#include "tmpdir.h"

static const char parent[] = "name: p\n"
                             "model:\n"
                             "  input: [2]\n"
                             "  layers:\n"
                             "    - {dense: 8, name: a}\n"
                             "    - {dense: 4, name: b}\n"
                             "    - {dense: 2, name: c}\n";

/* The names of the resolved spec's layers, joined by spaces (name-less layers show '?'). */
static void layer_names(const char *file, char *out, size_t len)
{
    diag d;
    diag_init(&d);
    ynode *t = spec_load_resolved(file, &d);
    if (!t) diag_print(&d, stderr);
    assert_non_null(t);
    const ynode *layers = ymap_get(ymap_get(t, "model"), "layers");
    out[0] = 0;
    for (int i = 0; i < layers->n; i++) {
        const ynode *n = layers->items[i]->kind == YN_MAP ? ymap_get(layers->items[i], "name") : NULL;
        strncat(out, n ? n->str : "?", len - strlen(out) - 1);
        if (i + 1 < layers->n) strncat(out, " ", len - strlen(out) - 1);
    }
    assert_null(ymap_get(ymap_get(t, "model"), "patch"));
    ynode_free(t);
    diag_free(&d);
}

static void test_after_before_replace_remove(void **state)
{
    (void)state;
    char got[256];
    write_file("p.yaml", parent);
    write_file("c.yaml", "extends: p.yaml\n"
                         "model:\n"
                         "  patch:\n"
                         "    - {after: a, insert: {dense: 3, name: x}}\n"
                         "    - {before: a, insert: [{dense: 1, name: y}, {dense: 1, name: z}]}\n"
                         "    - {replace: b, with: {dense: 5, name: bb}}\n"
                         "    - {remove: c}\n");
    layer_names("c.yaml", got, sizeof got);
    assert_string_equal(got, "y z a x bb");
}

static void test_patches_apply_level_by_level(void **state)
{
    (void)state;
    char got[256];
    write_file("p.yaml", parent);
    write_file("c.yaml", "extends: p.yaml\nmodel:\n  patch:\n    - {after: a, insert: {dense: 3, name: x}}\n");
    write_file("g.yaml", "extends: c.yaml\nmodel:\n  patch:\n    - {after: x, insert: {dense: 3, name: w}}\n");
    layer_names("g.yaml", got, sizeof got);
    assert_string_equal(got, "a x w b c");
}

static void test_an_unknown_target_is_an_error_at_its_line(void **state)
{
    (void)state;
    write_file("p.yaml", parent);
    write_file("c.yaml", "extends: p.yaml\nmodel:\n  patch:\n    - {after: nope, insert: {dense: 3}}\n");
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved("c.yaml", &d));
    assert_int_equal(diag_count(&d), 1);
    assert_int_equal(d.items[0].line, 4);
    assert_string_equal(d.items[0].msg, "patch: no layer named 'nope' in the inherited layers");
    diag_free(&d);
}

static void test_a_malformed_patch_says_what_a_patch_is(void **state)
{
    (void)state;
    write_file("p.yaml", parent);
    write_file("c.yaml", "extends: p.yaml\nmodel:\n  patch:\n    - {after: a}\n");
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved("c.yaml", &d));
    assert_non_null(strstr(d.items[0].msg, "a patch is {after: NAME, insert: LAYER}"));
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_after_before_replace_remove),
        cmocka_unit_test(test_patches_apply_level_by_level),
        cmocka_unit_test(test_an_unknown_target_is_an_error_at_its_line),
        cmocka_unit_test(test_a_malformed_patch_says_what_a_patch_is),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
