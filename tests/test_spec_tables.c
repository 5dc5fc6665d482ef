/* The key tables (layer_table.h, spec_tables.h) against the parser: every layer kind and
 * activation has its row; a default written out reads as the default left out; and for the
 * sections still parsed by their own code (top level, train, optimizers, schedules, loss
 * terms, report items, sweeps) the parser's key lists, names, required keys and defaults are
 * the tables' — so `nnrun schema`, `nnrun layers` and spec.yaml describe what the parser does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "build_internal.h"
#include "layer_table.h"
#include "report.h"
#include "spec_tables.h"
#include "sweep.h"

#define DATA "data: {train: {dataset: function, expr: \"x\"}}\n"
#define MODEL "model: {input: [4, 4], layers: [{dense: 1, name: out}]}\n"
#define LOSS "loss: {mse: {pred: out}}\n"
static const char base[] = DATA MODEL LOSS;

/* Everything the parse of text reports (caller frees); *out: the spec, NULL if invalid. */
static char *parse_text(const char *text, spec **out)
{
    diag d;
    char *buf = NULL;
    size_t len = 0;
    diag_init(&d);
    ynode *tree = ydoc_load_string(text, "t.yaml", &d);
    spec *s = tree ? spec_from_tree(tree, "t.yaml", &d) : NULL;
    if (!s) ynode_free(tree);
    FILE *f = open_memstream(&buf, &len);
    diag_print(&d, f);
    fclose(f);
    diag_free(&d);
    *out = s;
    return buf;
}

static spec *parse(const char *text, char **errors)
{
    spec *s;
    *errors = parse_text(text, &s);
    return s;
}

static char *errors_of(const char *text)
{
    spec *s;
    char *errors = parse_text(text, &s);
    spec_free(s);
    return errors;
}

/* "a, b, c" of names */
static void join(const char *const *names, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; names[i] && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", names[i]);
}

/* The parser lists exactly the table's choices in "(expected one of: ...)" for text. */
static void expect_list(const char *text, const char *const *names)
{
    char want[1024], got[4096], *errors = errors_of(text);
    snprintf(got, sizeof got, "%s", errors);
    free(errors);
    join(names, want, sizeof want);
    const char *list = strstr(got, "(expected one of: ");
    size_t n = strlen(want);
    if (!list || strncmp(list + 18, want, n) != 0 || list[18 + n] != ')')
        print_error("for:\n%s\nexpected the list (%s), got:\n%s\n", text, want, got);
    assert_non_null(list);
    assert_memory_equal(list + 18, want, n);
    assert_int_equal(list[18 + n], ')');
}

static void expect_keys(const char *text, const opt_def *opts)
{
    const char *keys[64];
    opts_keys(opts, NULL, keys, 64);
    expect_list(text, keys);
}

static void expect_choices(const char *text, const choice_def *kinds)
{
    const char *names[64];
    choices_names(kinds, names, 64);
    expect_list(text, names);
}

/* ---- the rows themselves ------------------------------------------------------------------------- */
static void test_every_layer_kind_and_activation_has_its_row(void **state)
{
    (void)state;
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        const layer_def *l = layer_def_of((layer_kind)k);
        assert_int_equal(l->kind, k);
        assert_non_null(l->key);
        assert_non_null(l->doc);
        assert_true(l->forms || (l->flags & LF_BY_ACT));
        assert_true(!(l->forms & LV_VALUE) || l->opts);   /* one value sets the first option */
        for (const opt_def *o = l->opts; o && o->key; o++) assert_non_null(o->doc);
        if (!(l->flags & LF_BY_ACT)) assert_ptr_equal(layer_def_find(l->key), l);
    }
    for (int a = 0; a < ACT_KIND_COUNT; a++) {
        assert_int_equal(act_def_of((act_kind)a)->kind, a);
        assert_ptr_equal(act_def_find(act_def_of((act_kind)a)->name), act_def_of((act_kind)a));
        assert_null(layer_def_find(act_def_of((act_kind)a)->name));   /* a key names one thing */
    }
}

/* ---- layers: a default written out reads as the default left out -------------------------------------- */
/* A value of o's type that the parser takes (for required options). */
static const char *example(const opt_def *o)
{
    if (strcmp(o->key, "critic") == 0) return "model";   /* a net (gradient_penalty): MODEL's one net */
    switch (o->type) {
    case OT_LAYER: return "input";
    case OT_LAYERS: return "[input, input]";
    case OT_SHAPE: return "[16]";
    default: return "3";
    }
}

/* The layer of "{KEY: {options}}" (or "- KEY" when opts_text is NULL), positions cleared; a
 * layer that reads several layers reads the input that many times. */
static layer_spec layer_of(const char *key, const char *opts_text)
{
    char text[2048], *errors;
    const layer_def *row = layer_def_find(key);
    const char *from = row && (row->flags & LF_FROM_TWO) ? ", from: [input, input]" : "";
    if (opts_text)
        snprintf(text, sizeof text, DATA LOSS "model: {input: [4, 4], layers: [{%s: {%s}%s}, {dense: 1, name: out}]}\n", key,
                 opts_text, from);
    else
        snprintf(text, sizeof text, DATA LOSS "model: {input: [4, 4], layers: [%s, {dense: 1, name: out}]}\n", key);
    spec *s = parse(text, &errors);
    if (!s) print_error("%s\n%s", text, errors);
    assert_non_null(s);
    layer_spec l = s->nets[0].layers[0];
    l.pos = l.from_pos = (spec_pos){0};
    for (int r = 0; r < REF_COUNT; r++) l.refs[r].pos = (spec_pos){0};
    spec_free(s);
    free(errors);
    return l;
}

/* "required: example, ..." and, with defaults, "..., key: default, ..." */
static void options_text(const opt_def *opts, int defaults, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (const opt_def *o = opts; o && o->key && k < len; o++) {
        char def[128];
        const char *v = (o->flags & OPT_REQUIRED) ? example(o) : defaults && opt_default_text(o, NULL, NULL, def, sizeof def) ? def : NULL;
        if (v) k += (size_t)snprintf(buf + k, len - k, "%s%s: %s", k ? ", " : "", o->key, v);
    }
}

static void test_written_defaults_read_as_the_defaults_of_every_layer(void **state)
{
    (void)state;
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        const layer_def *l = layer_def_of((layer_kind)k);
        if (!(l->forms & LV_MAP)) continue;
        char least[1024], full[1024];
        options_text(l->opts, 0, least, sizeof least);
        options_text(l->opts, 1, full, sizeof full);
        layer_spec a = layer_of(l->key, least), b = layer_of(l->key, full);
        if (memcmp(&a, &b, sizeof a) != 0) print_error("%s: {%s} and {%s} differ\n", l->key, least, full);
        assert_memory_equal(&a, &b, sizeof a);
        if (!(l->forms & LV_NONE)) continue;
        layer_spec bare = layer_of(l->key, NULL);
        assert_memory_equal(&bare, &b, sizeof b);
    }
    for (int a = ACT_NONE + 1; a < ACT_KIND_COUNT; a++) {
        const act_def *act = act_def_of((act_kind)a);
        char full[256];
        options_text(act->opts, 1, full, sizeof full);
        layer_spec x = layer_of(act->name, NULL), y = act->opts ? layer_of(act->name, full) : x;
        assert_memory_equal(&x, &y, sizeof x);
    }
}

/* ---- sections parsed by their own code --------------------------------------------------------------- */
static void test_the_parsers_key_lists_are_the_tables(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%sqqqqqqqqqqqq: 1\n", base);
    expect_keys(text, spec_top_opts);
    snprintf(text, sizeof text, "%strain: {qqqqqqqqqqqq: 1}\n", base);
    expect_keys(text, train_opts);
    snprintf(text, sizeof text, "%strain: {optimizer: qqqqqqqqqqqq}\n", base);
    expect_choices(text, optimizer_choices);
    for (const choice_def *c = optimizer_choices; c->name; c++) {
        snprintf(text, sizeof text, "%strain: {optimizer: {%s: {qqqqqqqqqqqq: 1}}}\n", base, c->name);
        expect_keys(text, c->opts);
    }
    snprintf(text, sizeof text, "%strain: {schedule: {qqqqqqqqqqqq: {}}}\n", base);
    expect_choices(text, schedule_choices);
    for (const choice_def *c = schedule_choices; c->name; c++) {
        if (!c->opts || (c->flags & CHOICE_LIST)) continue;
        snprintf(text, sizeof text, "%strain: {schedule: {%s: {every: 1, qqqqqqqqqqqq: 1}}}\n", base, c->name);
        expect_keys(text, c->opts);
    }
    snprintf(text, sizeof text, DATA MODEL "loss: {qqqqqqqqqqqq: {pred: out}}\n");
    expect_choices(text, loss_choices);
    for (const choice_def *c = loss_choices; c->name; c++) {
        snprintf(text, sizeof text, DATA MODEL "loss: {%s: {qqqqqqqqqqqq: 1}}\n", c->name);
        expect_keys(text, c->opts);
    }
    snprintf(text, sizeof text, "%sreport: [qqqqqqqqqqqq]\n", base);
    expect_choices(text, report_choices);
    for (const choice_def *c = report_choices; c->name; c++) {
        snprintf(text, sizeof text, "%sreport: [{%s: {qqqqqqqqqqqq: 1}}]\n", base, c->name);
        expect_keys(text, c->opts);
    }
}

static void test_the_sweep_keys_and_metrics_are_the_tables(void **state)
{
    (void)state;
    const opt_def *metric = opts_find(sweep_opts, "metric");
    const char *keys[8];
    char want[512], got_text[4096];
    static const char *const texts[] = {"sweep: {grid: {seed: [1, 2]}, qqqqqqqqqqqq: 1}\n", "sweep: {grid: {seed: [1, 2]}, metric: qqqqqqqqqqqq}\n"};
    for (int i = 0; i < 2; i++) {
        diag d;
        diag_init(&d);
        char text[2048], *out;
        size_t len;
        snprintf(text, sizeof text, "%s%s", base, texts[i]);
        ynode *tree = ydoc_load_string(text, "t.yaml", &d);
        assert_int_equal(sweep_run(tree, "t.yaml", 1, &d), 2);   /* invalid: nothing trains */
        FILE *f = open_memstream(&out, &len);
        diag_print(&d, f);
        fclose(f);
        snprintf(got_text, sizeof got_text, "%s", out);
        free(out);
        ynode_free(tree);
        diag_free(&d);
        if (i == 0) opts_keys(sweep_opts, NULL, keys, 8);
        join(i == 0 ? keys : (const char *const *)metric->choices, want, sizeof want);
        if (!strstr(got_text, want)) print_error("expected (%s) in:\n%s", want, got_text);
        assert_non_null(strstr(got_text, want));
    }
    /* the metrics pca_baseline computes are run results by the same names (sweep.c reads them) */
    run_results r = run_results_none();
    for (const char *const *m = metric->choices; *m; m++)
        if (strncmp(*m, "ae_", 3) == 0 || strncmp(*m, "pca_", 4) == 0) assert_non_null(run_results_find(&r, *m));
}

/* Each choice's required keys are the parser's: left out, it says "needs" and names them. */
static void test_required_keys_are_the_parsers(void **state)
{
    (void)state;
    const struct {
        const choice_def *kinds;
        const char *fmt;   /* base, choice name */
    } cases[] = {
        {schedule_choices, "%strain: {schedule: {%s: {}}}\n"},
        {report_choices, "%sreport: [%s]\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (const choice_def *c = cases[i].kinds; c->name; c++)
            for (const opt_def *o = c->opts; o && o->key; o++) {
                if (!(o->flags & OPT_REQUIRED)) continue;
                char text[2048], *got;
                snprintf(text, sizeof text, cases[i].fmt, base, c->name);
                got = errors_of(text);
                if (!strstr(got, "needs") || !strstr(got, o->key)) print_error("%s: expected 'needs ... %s' in:\n%s", c->name, o->key, got);
                assert_non_null(strstr(got, "needs"));
                assert_non_null(strstr(got, o->key));
                free(got);
            }
    for (const choice_def *c = loss_choices; c->name; c++) {
        char text[2048], *got;
        snprintf(text, sizeof text, DATA MODEL "loss: {%s: {weight: 1}}\n", c->name);
        got = errors_of(text);
        for (const opt_def *o = c->opts; o->key; o++)
            if (o->flags & OPT_REQUIRED) assert_non_null(strstr(got, o->key));
        free(got);
    }
}

/* A loss term or report item written with every default reads as the one without. */
static void test_loss_and_report_defaults_are_the_parsers(void **state)
{
    (void)state;
    for (const choice_def *c = loss_choices; c->name; c++) {
        char least[512], full[512], text[2048], *e1, *e2;
        options_text(c->opts, 0, least, sizeof least);
        options_text(c->opts, 1, full, sizeof full);
        snprintf(text, sizeof text, DATA MODEL "loss: {%s: {%s}}\n", c->name, least);
        spec *a = parse(text, &e1);
        snprintf(text, sizeof text, DATA MODEL "loss: {%s: {%s}}\n", c->name, full);
        spec *b = parse(text, &e2);
        if (!a || !b) print_error("%s%s", e1, e2);
        assert_true(a && b);
        loss_spec x = a->groups[0].terms[0], y = b->groups[0].terms[0];
        x.pos = y.pos = x.pred_pos = y.pred_pos = x.target_pos = y.target_pos = x.critic_pos = y.critic_pos = (spec_pos){0};
        assert_memory_equal(&x, &y, sizeof x);
        spec_free(a), spec_free(b), free(e1), free(e2);
    }
    for (const choice_def *c = report_choices; c->name; c++) {
        char least[512], full[512], text[2048], *e1, *e2;
        options_text(c->opts, 0, least, sizeof least);
        options_text(c->opts, 1, full, sizeof full);
        snprintf(text, sizeof text, "%sreport: [{%s: {%s}}]\n", base, c->name, least);
        spec *a = parse(text, &e1);
        snprintf(text, sizeof text, "%sreport: [{%s: {%s}}]\n", base, c->name, full);
        spec *b = parse(text, &e2);
        if (!a || !b) print_error("%s%s", e1, e2);
        assert_true(a && b);
        report_spec x = a->reports[0], y = b->reports[0];
        x.pos = y.pos = (spec_pos){0};
        assert_memory_equal(&x, &y, sizeof x);
        spec_free(a), spec_free(b), free(e1), free(e2);
    }
}

/* The build side has a row for every layer kind of the language: a builder, and an
 * initialiser for every kind that takes the weight keys (batchnorm has one too: gamma 1). */
static void test_every_layer_kind_is_built_and_its_weights_initialised(void **state)
{
    (void)state;
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        const layer_def *def = layer_def_of((layer_kind)k);
        assert_non_null(def);
        if (!layer_kind_is_built((layer_kind)k)) print_error("layer kind %s has no builder\n", def->key);
        assert_true(layer_kind_is_built((layer_kind)k));
        if (def->flags & LF_WEIGHTS) assert_true(layer_kind_has_init((layer_kind)k));
    }
}

/* The report side has a figure for every report kind of the language, and the language a
 * name for every kind: report_choices lists each kind once. */
static void test_every_report_kind_has_its_figure(void **state)
{
    (void)state;
    int listed[REPORT_KIND_COUNT] = {0};
    for (const choice_def *c = report_choices; c->name; c++) {
        assert_in_range(c->id, 0, REPORT_KIND_COUNT - 1);
        listed[c->id]++;
        if (!report_kind_is_drawn((report_kind)c->id)) print_error("report kind %s has no figure\n", c->name);
        assert_true(report_kind_is_drawn((report_kind)c->id));
    }
    for (int k = 0; k < REPORT_KIND_COUNT; k++) assert_int_equal(listed[k], 1);
    assert_false(report_kind_is_drawn((report_kind)REPORT_KIND_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layer_kind_is_built_and_its_weights_initialised),
        cmocka_unit_test(test_every_report_kind_has_its_figure),
        cmocka_unit_test(test_every_layer_kind_and_activation_has_its_row),
        cmocka_unit_test(test_written_defaults_read_as_the_defaults_of_every_layer),
        cmocka_unit_test(test_the_parsers_key_lists_are_the_tables),
        cmocka_unit_test(test_the_sweep_keys_and_metrics_are_the_tables),
        cmocka_unit_test(test_required_keys_are_the_parsers),
        cmocka_unit_test(test_loss_and_report_defaults_are_the_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
