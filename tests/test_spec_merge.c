/* extends resolution, --set overrides, effective diff and YAML emission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "spec_merge.h"

static char tmpdir[] = "/tmp/spec_merge_XXXXXX";

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes tmpdir/name; returns its path in a static buffer slot. */
static const char *fixture(const char *name, const char *text)
{
    static char paths[4][400];
    static int slot;
    char *p = paths[slot++ % 4];
    snprintf(p, 400, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static char *printed(const diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diag_print(d, f);
    fclose(f);
    return buf;
}

static ynode *parse(const char *text)
{
    diag d;
    diag_init(&d);
    ynode *r = ydoc_load_string(text, "t.yaml", &d);
    assert_non_null(r);
    diag_free(&d);
    return r;
}

/* ---- extends ------------------------------------------------------------------------------- */
static void test_extends_chain_of_three_files_merges_child_over_parent(void **state)
{
    (void)state;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/base", tmpdir);
    mkdir(sub, 0700);
    fixture("base/a.yaml", "name: a\nseed: 1\ntrain:\n  epochs: 10\n  batch: 128\n  optimizer: {adam: {lr: 0.001}}\n"
                           "model:\n  layers: [conv, relu, dense]\n");
    fixture("b.yaml", "extends: base/a.yaml\nname: b\ntrain:\n  optimizer: {adam: {lr: 0.0003}}\n");
    const char *c = fixture("c.yaml", "extends: b.yaml\nname: c\ntrain: {epochs: 3}\nmodel:\n  layers: [dense]\n");
    diag d;
    diag_init(&d);
    ynode *r = spec_load_resolved(c, &d);
    if (!r) diag_print(&d, stderr);
    assert_non_null(r);
    assert_null(ymap_get(r, "extends"));
    ynode *want = parse("name: c\nseed: 1\ntrain:\n  epochs: 3\n  batch: 128\n  optimizer: {adam: {lr: 0.0003}}\n"
                        "model:\n  layers: [dense]\n");
    assert_true(ynode_equal(r, want));
    assert_string_equal(r->keys[0], "name");            /* the root ancestor's key order */
    char path[300];
    snprintf(path, sizeof path, "%s/base/a.yaml", tmpdir);
    ynode *batch = ymap_get(ymap_get(r, "train"), "batch");
    assert_string_equal(batch->file, path);             /* inherited nodes point at their file */
    assert_int_equal(batch->line, 5);
    ynode *lr = ymap_get(ymap_get(ymap_get(ymap_get(r, "train"), "optimizer"), "adam"), "lr");
    snprintf(path, sizeof path, "%s/b.yaml", tmpdir);
    assert_string_equal(lr->file, path);
    assert_int_equal(lr->line, 4);
    assert_string_equal(ymap_get(r, "name")->file, c);
    ynode_free(want);
    ynode_free(r);
    diag_free(&d);
}

static void test_child_null_deletes_a_key_and_sequences_are_replaced(void **state)
{
    (void)state;
    ynode *parent = parse("train: {epochs: 10, schedule: {step: 5}}\nreport: [loss_curve, embedding]\n");
    ynode *child = parse("train: {schedule: ~, new: ~}\nreport: [loss_curve]\n");
    ynode *m = spec_merge(parent, child);
    ynode *want = parse("train: {epochs: 10}\nreport: [loss_curve]\n");
    assert_true(ynode_equal(m, want));
    ynode_free(parent);
    ynode_free(child);
    ynode_free(m);
    ynode_free(want);
}

/* A source naming another dataset keeps only the inherited keys that dataset takes. */
static void test_a_source_naming_another_dataset_drops_the_keys_it_does_not_take(void **state)
{
    (void)state;
    ynode *parent = parse("data: {train: {dataset: function, expr: x, n: 64, first: 10}, test: {dataset: mnist, path: d}}\n");
    ynode *child = parse("data: {train: {dataset: csv, path: x.csv}, test: {split: train}}\n");
    ynode *m = spec_merge(parent, child);
    ynode *want = parse("data: {train: {dataset: csv, first: 10, path: x.csv}, test: {dataset: mnist, path: d, split: train}}\n");
    assert_true(ynode_equal(m, want));
    ynode_free(parent);
    ynode_free(child);
    ynode_free(m);
    ynode_free(want);
}

static void test_extends_cycle_is_reported_at_the_extends_key(void **state)
{
    (void)state;
    char a[300], b[300], want[1400];
    strcpy(a, fixture("cyc_a.yaml", "name: a\nextends: cyc_b.yaml\n"));
    strcpy(b, fixture("cyc_b.yaml", "# b\nextends: cyc_a.yaml\n"));
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved(a, &d));
    char *out = printed(&d);
    snprintf(want, sizeof want, "%s:2:1: error: extends cycle: %s -> %s -> %s\n", b, a, b, a);
    assert_string_equal(out, want);
    free(out);
    diag_free(&d);
}

static void test_missing_parent_is_reported_at_the_extends_value_with_its_path(void **state)
{
    (void)state;
    char c[300], want[1024];
    strcpy(c, fixture("orphan.yaml", "name: x\nextends:   nowhere.yaml\n"));
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved(c, &d));
    char *out = printed(&d);
    snprintf(want, sizeof want, "%s:2:12: error: parent spec '%s/nowhere.yaml': cannot open: No such file or directory\n",
             c, tmpdir);
    assert_string_equal(out, want);
    free(out);
    diag_free(&d);
}

static void test_parent_that_is_a_directory_is_reported_not_read(void **state)
{
    (void)state;
    char sub[400];
    snprintf(sub, sizeof sub, "%s/adir", tmpdir);
    mkdir(sub, 0700);
    const char *p = fixture("dirparent.yaml", "extends: adir\n");
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved(p, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "adir': is a directory, not a regular file"));
    assert_int_equal(diag_count(&d), 1);
    free(out);
    diag_free(&d);
}

/* Opening a FIFO for reading blocks until a writer comes: the parent must be refused before
 * it is opened that way (the alarm fails the test instead of hanging it). */
static void test_parent_that_is_a_fifo_is_refused_without_blocking(void **state)
{
    (void)state;
    char fifo[400];
    snprintf(fifo, sizeof fifo, "%s/pipe.yaml", tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const char *p = fixture("fifoparent.yaml", "extends: pipe.yaml\n");
    diag d;
    diag_init(&d);
    alarm(10);
    assert_null(spec_load_resolved(p, &d));
    alarm(0);
    char *out = printed(&d);
    char want[1024];
    snprintf(want, sizeof want, "%s:1:10: error: parent spec '%s': is a FIFO, not a regular file\n", p, fifo);
    assert_string_equal(out, want);
    free(out);
    diag_free(&d);
}

static void test_extends_chain_longer_than_the_limit_is_rejected(void **state)
{
    (void)state;
    char name[300], text[64];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "deep%d.yaml", i);
        snprintf(text, sizeof text, i < 19 ? "extends: deep%d.yaml\n" : "seed: %d\n", i + 1);
        fixture(name, text);
    }
    snprintf(name, sizeof name, "%s/deep0.yaml", tmpdir);
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved(name, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "deep15.yaml:1:1: error: extends chain longer than 16 files"));
    assert_int_equal(diag_count(&d), 1);
    free(out);
    diag_free(&d);
}

static void test_extends_value_must_be_a_file_name(void **state)
{
    (void)state;
    const char *p = fixture("badext.yaml", "extends: [a.yaml, b.yaml]\n");
    diag d;
    diag_init(&d);
    assert_null(spec_load_resolved(p, &d));
    char *out = printed(&d);
    assert_non_null(strstr(out, "badext.yaml:1:10: error: 'extends' must be the file name of a parent spec"));
    free(out);
    diag_free(&d);
}

/* ---- --set --------------------------------------------------------------------------------- */
static const char *set_base =
    "model:\n  layers:\n    - conv: {filters: 4}\n    - relu\n    - dense: 20\n"
    "train:\n  optimizer: {adam: {lr: 0.001}}\n";

static void test_set_replaces_nested_values_and_sequence_items(void **state)
{
    (void)state;
    ynode *r = parse(set_base);
    diag d;
    diag_init(&d);
    assert_int_equal(spec_apply_set(&r, "train.optimizer.adam.lr=3e-4", &d), 0);
    assert_int_equal(spec_apply_set(&r, "model.layers.2.dense=64", &d), 0);
    assert_int_equal(spec_apply_set(&r, "model.layers.1=gelu", &d), 0);
    assert_int_equal(spec_apply_set(&r, "model.layers.0.conv={filters: 8, kernel: 3}", &d), 0);
    assert_int_equal(diag_count(&d), 0);
    ynode *want = parse("model:\n  layers:\n    - conv: {filters: 8, kernel: 3}\n    - gelu\n    - dense: 64\n"
                        "train:\n  optimizer: {adam: {lr: 3e-4}}\n");
    assert_true(ynode_equal(r, want));
    ynode *lr = ymap_get(ymap_get(ymap_get(ymap_get(r, "train"), "optimizer"), "adam"), "lr");
    assert_string_equal(lr->file, "<command line>");
    assert_int_equal(lr->line, 1);
    assert_int_equal(lr->col, 25);                      /* where "3e-4" starts in the argument */
    ynode_free(want);
    ynode_free(r);
    diag_free(&d);
}

static void test_set_creates_missing_keys_and_parses_flow_values(void **state)
{
    (void)state;
    ynode *r = parse(set_base);
    diag d;
    diag_init(&d);
    assert_int_equal(spec_apply_set(&r, "data.train.subset=[1,2]", &d), 0);
    assert_int_equal(spec_apply_set(&r, "train.epochs=3", &d), 0);
    assert_int_equal(spec_apply_set(&r, "name='007'", &d), 0);
    ynode *subset = ymap_get(ymap_get(ymap_get(r, "data"), "train"), "subset");
    assert_non_null(subset);
    assert_int_equal(subset->kind, YN_SEQ);
    assert_int_equal(subset->n, 2);
    assert_int_equal(subset->items[1]->col, 22);
    ynode *data = ymap_get(r, "data");
    assert_int_equal(data->col, 1);
    assert_int_equal(ymap_get(data, "train")->col, 6);
    long epochs;
    assert_int_equal(yscalar_int(ymap_get(ymap_get(r, "train"), "epochs"), &epochs), 0);
    assert_int_equal(epochs, 3);
    assert_true(ymap_get(r, "name")->quoted);
    ynode_free(r);
    diag_free(&d);
}

static void expect_set_error(const char *arg, const char *want)
{
    ynode *r = parse(set_base);
    ynode *before = ynode_clone(r);
    diag d;
    diag_init(&d);
    assert_int_equal(spec_apply_set(&r, arg, &d), -1);
    char *out = printed(&d);
    assert_string_equal(out, want);
    assert_true(ynode_equal(r, before));                 /* a failed --set changes nothing */
    free(out);
    diag_free(&d);
    ynode_free(r);
    ynode_free(before);
}

static void test_set_rejects_bad_indices_paths_and_values(void **state)
{
    (void)state;
    expect_set_error("model.layers.3.dense=64",
                     "<command line>:1:14: error: index 3 out of range for 'model.layers' (it has 3 items, 0 to 2)\n");
    expect_set_error("model.layers.first=relu",
                     "<command line>:1:14: error: 'model.layers' is a list: use an item index (0 to 2), not 'first'\n");
    expect_set_error("model.layers.1.act=relu",
                     "<command line>:1:16: error: cannot set 'act' inside 'model.layers.1': that is a single value "
                     "('relu'), not a mapping or list\n");
    expect_set_error("train.epochs",
                     "<command line>:1:1: error: --set needs PATH=VALUE, e.g. --set train.epochs=3 (got 'train.epochs')\n");
    expect_set_error("train..lr=1", "<command line>:1:7: error: empty key in --set path 'train..lr'\n");
    expect_set_error("train.lr=[1, 2", "<command line>:1:15: error: did not find expected ',' or ']' "
                                       "(while parsing a flow sequence that started at line 1, column 10)\n");
}

/* ---- diff ---------------------------------------------------------------------------------- */
static char *diff_text(const char *a, const char *b, int *count)
{
    ynode *x = parse(a), *y = parse(b);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *count = ydiff(x, y, f);
    fclose(f);
    ynode_free(x);
    ynode_free(y);
    return buf;
}

static void test_diff_prints_changes_as_key_paths(void **state)
{
    (void)state;
    int n;
    char *out = diff_text("name: cae\nseed: 7\ntrain: {epochs: 10, batch: 128, optimizer: {adam: {lr: 0.001}}}\n"
                          "model: {layers: [conv, relu, {dense: 20}]}\nnoise: 0.3\n",
                          "name: cae_skip\nseed: 7\ntrain: {epochs: 10, batch: 64, optimizer: {adam: {lr: 0.001}}}\n"
                          "model: {layers: [conv, relu, {dense: 32}]}\nreport: [loss_curve, {embedding: {layer: code}}]\n",
                          &n);
    assert_string_equal(out, "~ name: cae -> cae_skip\n"
                             "~ train.batch: 128 -> 64\n"
                             "~ model.layers.2.dense: 20 -> 32\n"
                             "- noise: 0.3\n"
                             "+ report: [loss_curve, {embedding: {layer: code}}]\n");
    assert_int_equal(n, 5);
    free(out);
}

static void test_diff_of_an_inserted_layer_is_one_line(void **state)
{
    (void)state;
    int n;
    char *out = diff_text("layers: [conv, relu, pool, dense]\n", "layers: [conv, relu, {add: [up1, pool1]}, pool, dense]\n", &n);
    assert_string_equal(out, "+ layers.2: {add: [up1, pool1]}\n");
    assert_int_equal(n, 1);
    free(out);
    out = diff_text("a: {x: [1, 2]}\n", "a: 5\n", &n);
    assert_string_equal(out, "~ a: {x: [1, 2]} -> 5\n");
    free(out);
}

static void test_diff_of_equal_specs_prints_nothing(void **state)
{
    (void)state;
    int n;
    char *out = diff_text("a: 1\nb: [x, {y: 2}]\n", "b: [x, {y: 2}]\na: 1\n", &n);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    free(out);
    out = diff_text("a: 1\n", "a: '1'\n", &n);                 /* a number is not a string */
    assert_string_equal(out, "~ a: 1 -> \"1\"\n");
    free(out);
}

/* ---- emit ---------------------------------------------------------------------------------- */
static ynode *round_trip(const ynode *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(yemit(r, f), 0);
    fclose(f);
    diag d;
    diag_init(&d);
    ynode *back = ydoc_load_string(buf, "emitted", &d);
    if (!back) {
        fprintf(stderr, "%s", buf);
        diag_print(&d, stderr);
    }
    assert_non_null(back);
    diag_free(&d);
    free(buf);
    return back;
}

static void test_emit_writes_block_yaml(void **state)
{
    (void)state;
    ynode *r = parse("name: cae\nmodel:\n  layers: [{conv: {filters: 4}, name: c1}, relu, [1, 2], {}]\n"
                     "empty: []\nnothing: ~\nblank:\nq: 'yes'\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(yemit(r, f), 0);
    fclose(f);
    assert_string_equal(buf, "name: cae\n"
                             "model:\n"
                             "  layers:\n"
                             "    - conv:\n"
                             "        filters: 4\n"
                             "      name: c1\n"
                             "    - relu\n"
                             "    - - 1\n"
                             "      - 2\n"
                             "    - {}\n"
                             "empty: []\n"
                             "nothing: ~\n"
                             "blank:\n"
                             "q: \"yes\"\n");
    free(buf);
    ynode_free(r);
}

static void test_emit_round_trips_tricky_strings(void **state)
{
    (void)state;
    ynode *r = parse("s:\n"
                     "  - 'yes'\n  - 'no'\n  - '1e3'\n  - '0x1F'\n  - '~'\n  - ''\n  - 'null'\n  - '-5'\n"
                     "  - 'a: b'\n  - 'x #y'\n  - '- item'\n  - '[1]'\n  - '*ref'\n  - ' pad '\n  - 'tab\there'\n"
                     "  - \"line\\nbreak\"\n  - 'quote \" and \\\\'\n  - '---'\n  - 'a, b'\n  - 'ends:'\n  - 'ünï'\n"
                     "  - plain text\n  - 3e-4\n  - true\n  - .inf\n"
                     "'odd: key': 1\n'<<': merge-looking key\n'#c': 2\n");
    ynode *back = round_trip(r);
    assert_true(ynode_equal(r, back));
    assert_true(back->items[0]->items[0]->quoted);          /* 'yes' is still a string */
    assert_false(back->items[0]->items[21]->quoted);        /* plain text stays plain */
    ynode *s = ymap_get(back, "s");
    double f;
    assert_int_equal(yscalar_float(s->items[22], &f), 0);   /* and numbers stay numbers */
    assert_int_equal(yscalar_float(s->items[2], &f), -1);
    ynode_free(r);
    ynode_free(back);
}

static void test_emit_round_trips_built_trees_and_writes_files_atomically(void **state)
{
    (void)state;
    ynode *r = ynode_new_map("code", 1, 1);
    ymap_set(r, "odd plain: text", ynode_new_scalar("a: b # c", 0, "code", 1, 1), 1, 1);
    ymap_set(r, "n", ynode_new_scalar("12", 0, "code", 1, 1), 1, 1);
    ynode *seq = ynode_new_seq("code", 1, 1);
    yseq_push(seq, ynode_new_map("code", 1, 1));
    yseq_push(seq, ynode_new_scalar("", 1, "code", 1, 1));
    ymap_set(r, "list", seq, 1, 1);
    char path[300], err[512] = "";
    snprintf(path, sizeof path, "%s/spec.yaml", tmpdir);
    assert_int_equal(yemit_file(r, path, err, sizeof err), 0);
    DIR *dir = opendir(tmpdir);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));)
        if (strstr(e->d_name, ".tmp")) fail_msg("left behind: %s", e->d_name);
    closedir(dir);
    snprintf(path, sizeof path, "%s/no_such_dir/spec.yaml", tmpdir);
    assert_int_equal(yemit_file(r, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "No such file"));
    snprintf(path, sizeof path, "%s/spec.yaml", tmpdir);
    diag d;
    diag_init(&d);
    ynode *back = ydoc_load_file(path, &d);
    assert_non_null(back);
    assert_true(ynode_equal(r, back));
    ynode_free(back);
    ynode_free(r);
    diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extends_chain_of_three_files_merges_child_over_parent),
        cmocka_unit_test(test_child_null_deletes_a_key_and_sequences_are_replaced),
        cmocka_unit_test(test_a_source_naming_another_dataset_drops_the_keys_it_does_not_take),
        cmocka_unit_test(test_extends_cycle_is_reported_at_the_extends_key),
        cmocka_unit_test(test_missing_parent_is_reported_at_the_extends_value_with_its_path),
        cmocka_unit_test(test_parent_that_is_a_directory_is_reported_not_read),
        cmocka_unit_test(test_parent_that_is_a_fifo_is_refused_without_blocking),
        cmocka_unit_test(test_extends_chain_longer_than_the_limit_is_rejected),
        cmocka_unit_test(test_extends_value_must_be_a_file_name),
        cmocka_unit_test(test_set_replaces_nested_values_and_sequence_items),
        cmocka_unit_test(test_set_creates_missing_keys_and_parses_flow_values),
        cmocka_unit_test(test_set_rejects_bad_indices_paths_and_values),
        cmocka_unit_test(test_diff_prints_changes_as_key_paths),
        cmocka_unit_test(test_diff_of_an_inserted_layer_is_one_line),
        cmocka_unit_test(test_diff_of_equal_specs_prints_nothing),
        cmocka_unit_test(test_emit_writes_block_yaml),
        cmocka_unit_test(test_emit_round_trips_tricky_strings),
        cmocka_unit_test(test_emit_round_trips_built_trees_and_writes_files_atomically),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
