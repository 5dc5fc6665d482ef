/* 3-D scatter: the projection of known points, painter's (far to near) order, and the figure
 * read back from PNG: size for two views, class colours present, the nearer of two points
 * covering the farther, and clear errors for bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nn/plot.h"

#include "tmpdir.h"

typedef struct {
    int w, h;
    uint8_t *px;                 /* RGB */
} image;

static image read_png(const char *path)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&pi, path));
    pi.format = PNG_FORMAT_RGB;
    image im = {(int)pi.width, (int)pi.height, malloc(PNG_IMAGE_SIZE(pi))};
    assert_non_null(im.px);
    assert_true(png_image_finish_read(&pi, NULL, im.px, 0, NULL));
    return im;
}

/* Pixels within tol of col in columns [0, x1). */
static long count_colour(const image *im, nn_rgb col, int tol, int x1)
{
    long n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < x1; x++) {
            const uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
            n += abs(p[0] - col.r) <= tol && abs(p[1] - col.g) <= tol && abs(p[2] - col.b) <= tol;
        }
    return n;
}

static void assert_projects_to(const float p[3], nn_view3d v, float right, float up, float depth)
{
    float o[3];
    nn_project3d(p, v, o);
    assert_float_equal(o[0], right, 1e-5);
    assert_float_equal(o[1], up, 1e-5);
    assert_float_equal(o[2], depth, 1e-5);
}

static void test_level_view_from_x_shows_y_right_z_up_and_x_towards_the_viewer(void **state)
{
    (void)state;
    nn_view3d v = {0, 0};
    assert_projects_to((float[]){1, 0, 0}, v, 0, 0, 1);
    assert_projects_to((float[]){0, 1, 0}, v, 1, 0, 0);
    assert_projects_to((float[]){0, 0, 1}, v, 0, 1, 0);
    assert_projects_to((float[]){2, -3, 4}, v, -3, 4, 2);
}

static void test_azimuth_turns_about_z_and_elevation_looks_down(void **state)
{
    (void)state;
    /* from +y: x points left, y towards the viewer */
    assert_projects_to((float[]){1, 0, 0}, (nn_view3d){90, 0}, -1, 0, 0);
    assert_projects_to((float[]){0, 1, 0}, (nn_view3d){90, 0}, 0, 0, 1);
    /* from straight above: z is depth, +x points down the screen, y stays right */
    assert_projects_to((float[]){0, 0, 1}, (nn_view3d){0, 90}, 0, 0, 1);
    assert_projects_to((float[]){1, 0, 0}, (nn_view3d){0, 90}, 0, -1, 0);
    assert_projects_to((float[]){0, 1, 0}, (nn_view3d){0, 90}, 1, 0, 0);
    /* 45 degrees up from +x: (1, 0, 1) lies along the line of sight */
    float s = sqrtf(2.0f);
    assert_projects_to((float[]){1, 0, 1}, (nn_view3d){0, 45}, 0, 0, s);
}

static void test_projection_keeps_lengths(void **state)
{
    (void)state;
    const float p[3] = {0.3f, -1.2f, 2.5f};
    nn_view3d views[3] = {{30, 20}, {120, -10}, {-75, 80}};
    for (int k = 0; k < 3; k++) {
        float o[3];
        nn_project3d(p, views[k], o);
        assert_float_equal(o[0] * o[0] + o[1] * o[1] + o[2] * o[2], p[0] * p[0] + p[1] * p[1] + p[2] * p[2], 1e-4);
    }
}

static void test_depth_order_puts_far_points_first_and_turns_with_the_view(void **state)
{
    (void)state;
    const float xyz[4 * 3] = {-1, 0, 0, 1, 0, 0, 0, 0, 0, 0.5f, 0, 0};
    int order[4];
    assert_int_equal(nn_depth_order3d(xyz, 4, (nn_view3d){0, 0}, order), 0);
    assert_int_equal(order[0], 0), assert_int_equal(order[1], 2), assert_int_equal(order[2], 3), assert_int_equal(order[3], 1);
    assert_int_equal(nn_depth_order3d(xyz, 4, (nn_view3d){180, 0}, order), 0);
    assert_int_equal(order[0], 1), assert_int_equal(order[1], 3), assert_int_equal(order[2], 2), assert_int_equal(order[3], 0);
}

static void test_depth_order_keeps_index_order_for_ties_and_puts_nan_first(void **state)
{
    (void)state;
    const float xyz[3 * 3] = {0, 5, 0, 0, -5, 0, NAN, 0, 0};   /* from +x the first two are level */
    int order[3];
    assert_int_equal(nn_depth_order3d(xyz, 3, (nn_view3d){0, 0}, order), 0);
    assert_int_equal(order[0], 2), assert_int_equal(order[1], 0), assert_int_equal(order[2], 1);
}

static void test_two_views_side_by_side_show_every_class_colour(void **state)
{
    (void)state;
    enum { N = 300 };
    float xyz[N * 3];
    int labels[N];
    for (int i = 0; i < N; i++) {
        int c = i % 3;
        float t = (float)i * 0.37f;
        labels[i] = c;
        xyz[3 * i] = 3.0f * (float)c + 0.5f * cosf(t);
        xyz[3 * i + 1] = 0.5f * sinf(t) - (float)c;
        xyz[3 * i + 2] = 10.0f * (float)c + sinf(2 * t);
    }
    nn_view3d one[1] = {{30, 20}}, two[2] = {{30, 20}, {120, 20}};
    const char *names[3] = {"a", "b", "c"}, *axes[3] = {"code 1", "code 2", "code 3"};
    char err[256] = "";
    assert_int_equal(nn_plot_scatter3d("one.png", "one view", xyz, labels, N, names, 3, axes, one, 1, err, sizeof err), 0);
    assert_int_equal(nn_plot_scatter3d("two.png", "two views", xyz, labels, N, names, 3, axes, two, 2, err, sizeof err), 0);
    image a = read_png("one.png"), b = read_png("two.png");
    assert_int_equal(a.h, b.h);
    assert_true(b.w > a.w + 300);            /* a second panel, not a squeezed one */
    for (int c = 0; c < 3; c++) {
        /* discs, not just legend swatches: hundreds of pixels of each class colour */
        long n = count_colour(&b, nn_palette(c), 12, b.w);
        if (n < 400) fail_msg("class %d colour: %ld pixels", c, n);
    }
    free(a.px);
    free(b.px);
}

/* Two points that line up along the line of sight: the nearer one's colour shows. */
static void test_nearer_point_covers_the_farther_one(void **state)
{
    (void)state;
    const float xyz[2 * 3] = {1, 0, 0, -1, 0, 0};
    const int labels[2] = {0, 1};
    char err[256] = "";
    for (int k = 0; k < 2; k++) {
        nn_view3d v = {k ? 180.0f : 0.0f, 0};     /* from +x point 0 is nearer; from -x point 1 */
        assert_int_equal(nn_plot_scatter3d("pair.png", NULL, xyz, labels, 2, NULL, 2, NULL, &v, 1, err, sizeof err), 0);
        image im = read_png("pair.png");
        int panel = im.w * 3 / 4;             /* the legend sits right of the panel */
        long near = count_colour(&im, nn_palette(k), 10, panel), far = count_colour(&im, nn_palette(1 - k), 10, panel);
        if (near < 20 || far != 0) fail_msg("view %d: nearer colour %ld pixels, farther %ld", k, near, far);
        free(im.px);
    }
}

static void test_bad_arguments_fail_with_a_message_and_no_file(void **state)
{
    (void)state;
    const float xyz[3] = {0, 0, 0};
    nn_view3d v[9] = {{0, 0}};
    char err[256] = "";
    assert_int_equal(nn_plot_scatter3d("bad.png", NULL, xyz, NULL, 1, NULL, 0, NULL, v, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "views"));
    assert_int_equal(nn_plot_scatter3d("bad.png", NULL, xyz, NULL, 1, NULL, 0, NULL, v, 9, err, sizeof err), -1);
    assert_int_equal(nn_plot_scatter3d("bad.png", NULL, NULL, NULL, 4, NULL, 0, NULL, v, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "no coordinates"));
    v[0].azimuth = NAN;
    assert_int_equal(nn_plot_scatter3d("bad.png", NULL, xyz, NULL, 1, NULL, 0, NULL, v, 1, err, sizeof err), -1);
    assert_int_equal(access("bad.png", F_OK), -1);
}

static void test_no_points_or_only_nan_still_draw_a_figure(void **state)
{
    (void)state;
    const float xyz[3] = {NAN, 1, 2};
    nn_view3d v = {45, 30};
    char err[256] = "";
    assert_int_equal(nn_plot_scatter3d("empty.png", "empty", NULL, NULL, 0, NULL, 0, NULL, &v, 1, err, sizeof err), 0);
    assert_int_equal(nn_plot_scatter3d("nan.png", "nan", xyz, NULL, 1, NULL, 0, NULL, &v, 1, err, sizeof err), 0);
    image im = read_png("nan.png");
    assert_true(im.w > 300 && im.h > 300);
    free(im.px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_view_from_x_shows_y_right_z_up_and_x_towards_the_viewer),
        cmocka_unit_test(test_azimuth_turns_about_z_and_elevation_looks_down),
        cmocka_unit_test(test_projection_keeps_lengths),
        cmocka_unit_test(test_depth_order_puts_far_points_first_and_turns_with_the_view),
        cmocka_unit_test(test_depth_order_keeps_index_order_for_ties_and_puts_nan_first),
        cmocka_unit_test(test_two_views_side_by_side_show_every_class_colour),
        cmocka_unit_test(test_nearer_point_covers_the_farther_one),
        cmocka_unit_test(test_bad_arguments_fail_with_a_message_and_no_file),
        cmocka_unit_test(test_no_points_or_only_nan_still_draw_a_figure),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
