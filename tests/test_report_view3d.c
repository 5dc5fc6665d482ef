/* The interactive 3-D view's inline data: strict JSON (so the page's script can parse it), one
 * [x, y, z, label] per finite code with 4 significant digits, labels in range, NaN/Inf codes
 * and codes past the cap left out and counted in the caption, a legend entry per class in the
 * PNG's palette, and no layer name able to end the <script> element early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../runtime/io/json_lite.h"
#include "nn/plot.h"
#include "report_view3d.h"
#include <unistd.h>

#include "tmpdir.h"

/* The page fragment report_view3d_write() gives for v (id 7), NUL-terminated; caller frees. */
static char *written(const report_view3d *v)
{
    FILE *f = fopen("view.html", "w+");
    assert_non_null(f);
    report_view3d_write(f, v, 7);
    long len = ftell(f);
    rewind(f);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = 0;
    fclose(f);
    return text;
}

/* The JSON between the data element's start tag and the first "</script>" after it: if a
 * string could end the element early, what is cut here would not parse. */
static void parse_data(const char *page, jl_doc *doc, const char **json)
{
    const char *tag = "<script type=\"application/json\" id=\"view3d-7-data\">";
    const char *start = strstr(page, tag);
    assert_non_null(start);
    start += strlen(tag);
    const char *end = strstr(start, "</script>");
    assert_non_null(end);
    char err[256] = "";
    int rc = jl_parse(doc, start, (size_t)(end - start), err, sizeof err);
    if (rc != 0) fprintf(stderr, "JSON: %s\n", err);
    assert_int_equal(rc, 0);
    *json = start;
}

static const jl_value *member(const jl_doc *d, const char *key)
{
    for (int c = d->v[0].first; c >= 0; c = d->v[c].next)
        if (strcmp(d->v[c].key, key) == 0) return &d->v[c];
    fail_msg("no member '%s' in the data", key);
    return NULL;
}

static double number_at(const char *json, const jl_value *v)
{
    assert_int_equal(v->type, JL_NUMBER);
    return strtod(json + v->offset, NULL);
}

static void fill_codes(float *codes, int *labels, int n, int n_classes)
{
    for (int i = 0; i < n; i++) {
        codes[3 * i] = 0.001f * (float)i - 1.23456f;
        codes[3 * i + 1] = 1000.0f + (float)i;
        codes[3 * i + 2] = -1e-5f * (float)(i + 1);
        labels[i] = i % n_classes;
    }
}

static void every_code_becomes_one_point_with_4_digits_and_its_label(void **state)
{
    (void)state;
    enum { N = 50, K = 4 };
    float codes[3 * N];
    int labels[N];
    fill_codes(codes, labels, N, K);
    report_view3d *v = report_view3d_new(codes, labels, N, K, "code");
    assert_non_null(v);
    assert_int_equal(v->n, N);
    char *page = written(v);
    jl_doc d;
    const char *json;
    parse_data(page, &d, &json);
    const jl_value *pts = member(&d, "points");
    assert_int_equal(pts->type, JL_ARRAY);
    assert_int_equal(pts->n, N);
    int i = 0;
    for (int p = pts->first; p >= 0; p = d.v[p].next, i++) {
        assert_int_equal(d.v[p].n, 4);
        int c = d.v[p].first;
        for (int k = 0; k < 3; k++, c = d.v[c].next) {
            double want = codes[3 * i + k], got = number_at(json, &d.v[c]);
            assert_true(fabs(got - want) <= 5e-4 * fabs(want));   /* 4 significant digits */
        }
        assert_true(d.v[c].is_uint);
        assert_true(d.v[c].u < K);
        assert_int_equal((int)d.v[c].u, labels[i]);
    }
    const jl_value *axes = member(&d, "axes");
    assert_int_equal(axes->n, 3);
    assert_string_equal(d.v[axes->first].str, "code unit 1");
    assert_string_equal(d.v[d.v[d.v[axes->first].next].next].str, "code unit 3");
    jl_free(&d);
    free(page);
    report_view3d_free(v);
}

static void the_legend_and_colours_follow_the_pngs_palette_class_by_class(void **state)
{
    (void)state;
    enum { N = 12, K = 3 };
    float codes[3 * N];
    int labels[N];
    fill_codes(codes, labels, N, K);
    report_view3d *v = report_view3d_new(codes, labels, N, K, "z");
    char *page = written(v);
    jl_doc d;
    const char *json;
    parse_data(page, &d, &json);
    const jl_value *col = member(&d, "colours");
    assert_int_equal(col->n, K);
    int k = 0;
    for (int c = col->first; c >= 0; c = d.v[c].next, k++) {
        nn_rgb p = nn_palette(k);
        char hex[8], key[64];
        snprintf(hex, sizeof hex, "#%02x%02x%02x", p.r, p.g, p.b);
        assert_string_equal(d.v[c].str, hex);
        snprintf(key, sizeof key, "data-class=\"%d\"", k);
        assert_non_null(strstr(page, key));
        assert_non_null(strstr(strstr(page, key), hex));   /* the swatch has the class' colour */
    }
    assert_null(strstr(page, "data-class=\"3\""));
    jl_free(&d);
    free(page);
    report_view3d_free(v);
}

static void nan_and_inf_codes_are_left_out_and_counted_in_the_caption(void **state)
{
    (void)state;
    enum { N = 10, K = 2 };
    float codes[3 * N];
    int labels[N];
    fill_codes(codes, labels, N, K);
    codes[3 * 2 + 1] = NAN;
    codes[3 * 5 + 2] = INFINITY;
    codes[3 * 9] = -INFINITY;
    report_view3d *v = report_view3d_new(codes, labels, N, K, "code");
    assert_int_equal(v->n, N - 3);
    assert_int_equal(v->n_skipped, 3);
    char *page = written(v);
    jl_doc d;
    const char *json;
    parse_data(page, &d, &json);   /* the strict parser refuses a bare NaN or Infinity */
    assert_int_equal(member(&d, "points")->n, N - 3);
    assert_non_null(strstr(page, "7 points shown; 3 codes with a NaN or Inf left out."));
    assert_null(strstr(page, "nan"));
    assert_null(strstr(page, "inf"));
    jl_free(&d);
    free(page);
    report_view3d_free(v);
}

static void only_the_first_2000_codes_are_shown_and_the_caption_says_so(void **state)
{
    (void)state;
    enum { N = REPORT_VIEW3D_MAX_POINTS + 500, K = 10 };
    float *codes = malloc(3 * N * sizeof *codes);
    int *labels = malloc(N * sizeof *labels);
    assert_non_null(codes);
    assert_non_null(labels);
    fill_codes(codes, labels, N, K);
    report_view3d *v = report_view3d_new(codes, labels, N, K, "code");
    assert_int_equal(v->n, REPORT_VIEW3D_MAX_POINTS);
    char *page = written(v);
    jl_doc d;
    const char *json;
    parse_data(page, &d, &json);
    assert_int_equal(member(&d, "points")->n, REPORT_VIEW3D_MAX_POINTS);
    char want[128];
    snprintf(want, sizeof want, "2000 points shown (the first 2000 of the %d codes).", N);
    assert_non_null(strstr(page, want));
    jl_free(&d);
    free(page);
    free(codes);
    free(labels);
    report_view3d_free(v);
}

static void without_classes_every_point_has_label_0_and_one_colour(void **state)
{
    (void)state;
    enum { N = 5 };
    float codes[3 * N];
    int labels[N];
    fill_codes(codes, labels, N, 3);
    report_view3d *v = report_view3d_new(codes, NULL, N, 0, "code");
    char *page = written(v);
    jl_doc d;
    const char *json;
    parse_data(page, &d, &json);
    assert_int_equal(member(&d, "colours")->n, 1);
    const jl_value *pts = member(&d, "points");
    for (int p = pts->first; p >= 0; p = d.v[p].next) {
        const jl_value *l = &d.v[d.v[d.v[d.v[d.v[p].first].next].next].next];
        assert_true(l->is_uint);
        assert_int_equal(l->u, 0);
    }
    assert_non_null(strstr(page, "all codes (no classes)"));
    assert_null(strstr(page, "data-class="));
    jl_free(&d);
    free(page);
    report_view3d_free(v);
}

static void a_layer_name_cannot_end_the_data_element_early(void **state)
{
    (void)state;
    float codes[3] = {1, 2, 3};
    int labels[1] = {0};
    report_view3d *v = report_view3d_new(codes, labels, 1, 1, "a</script><b>\"&");
    char *page = written(v);
    jl_doc d;
    const char *json;
    parse_data(page, &d, &json);   /* cut at the first </script>: parses only if that is the end */
    const jl_value *axes = member(&d, "axes");
    assert_string_equal(d.v[axes->first].str, "a</script><b>\"& unit 1");
    assert_int_equal(member(&d, "points")->n, 1);
    jl_free(&d);
    free(page);
    report_view3d_free(v);
}

static void the_shared_script_defines_the_view_function_the_figures_call(void **state)
{
    (void)state;
    FILE *f = fopen("script.html", "w+");
    assert_non_null(f);
    report_view3d_write_script(f);
    long len = ftell(f);
    rewind(f);
    char buf[16384];
    assert_true(len > 0 && len < (long)sizeof buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = 0;
    fclose(f);
    assert_non_null(strstr(buf, "function nnView3d(id)"));
    assert_non_null(strstr(buf, "data-points-drawn"));
    float codes[3] = {1, 2, 3};
    report_view3d *v = report_view3d_new(codes, NULL, 1, 0, "code");
    char *page = written(v);
    assert_non_null(strstr(page, "<canvas id=\"view3d-7\""));
    assert_non_null(strstr(page, "nnView3d('view3d-7')"));
    free(page);
    report_view3d_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_becomes_one_point_with_4_digits_and_its_label),
        cmocka_unit_test(the_legend_and_colours_follow_the_pngs_palette_class_by_class),
        cmocka_unit_test(nan_and_inf_codes_are_left_out_and_counted_in_the_caption),
        cmocka_unit_test(only_the_first_2000_codes_are_shown_and_the_caption_says_so),
        cmocka_unit_test(without_classes_every_point_has_label_0_and_one_colour),
        cmocka_unit_test(a_layer_name_cannot_end_the_data_element_early),
        cmocka_unit_test(the_shared_script_defines_the_view_function_the_figures_call),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
