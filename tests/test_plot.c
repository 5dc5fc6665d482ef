/* Figures: font, ticks, canvas drawing, PNG writing and the five charts. Charts are read back
 * from PNG with libpng and checked for size, series colours where the data puts them, and
 * text; the 60k-point scatter is timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "nn/plot.h"

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/nn_plot_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

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

static nn_rgb pixel(const image *im, int x, int y)
{
    const uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
    return (nn_rgb){p[0], p[1], p[2]};
}

static int near(nn_rgb a, nn_rgb b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

/* Pixels of colour col (within tol) in row y. */
static int count_in_row(const image *im, int y, nn_rgb col, int tol)
{
    int n = 0;
    for (int x = 0; x < im->w; x++) n += near(pixel(im, x, y), col, tol);
    return n;
}

static long count_colour(const image *im, nn_rgb col, int tol)
{
    long n = 0;
    for (int y = 0; y < im->h; y++) n += count_in_row(im, y, col, tol);
    return n;
}

static int is_dark(nn_rgb p) { return p.r < 100 && p.g < 100 && p.b < 100; }

/* ---- font ---------------------------------------------------------------------------- */
static void glyph_bits(int ch, char *bits)
{
    for (int r = 0; r < NN_FONT_GLYPH_H; r++)
        for (int c = 0; c < NN_FONT_GLYPH_W; c++) bits[r * NN_FONT_GLYPH_W + c] = (char)nn_font_pixel(ch, c, r);
}

static void test_font_has_a_distinct_glyph_for_every_printable_ascii_char(void **state)
{
    (void)state;
    enum { N = NN_FONT_GLYPH_W * NN_FONT_GLYPH_H };
    char bits[95][N];
    for (int ch = 32; ch <= 126; ch++) {
        glyph_bits(ch, bits[ch - 32]);
        int on = 0;
        for (int i = 0; i < N; i++) on += bits[ch - 32][i];
        if (ch == ' ') assert_int_equal(on, 0);
        else if (on == 0) fail_msg("glyph for '%c' is empty", ch);
    }
    for (int a = 33; a <= 126; a++)
        for (int b = a + 1; b <= 126; b++)
            if (memcmp(bits[a - 32], bits[b - 32], N) == 0) fail_msg("glyphs '%c' and '%c' are identical", a, b);
}

static void test_font_draws_unknown_bytes_as_question_mark(void **state)
{
    (void)state;
    char q[NN_FONT_GLYPH_W * NN_FONT_GLYPH_H], u[sizeof q];
    glyph_bits('?', q);
    glyph_bits(200, u);
    assert_memory_equal(q, u, sizeof q);
}

static void test_text_width_grows_with_length_and_scale(void **state)
{
    (void)state;
    assert_int_equal(nn_text_width("", 1), 0);
    assert_int_equal(nn_text_width("a", 1), NN_FONT_GLYPH_W);
    assert_int_equal(nn_text_width("abc", 1), 3 * NN_FONT_ADVANCE - 1);
    assert_int_equal(nn_text_width("abc", 2), 2 * nn_text_width("abc", 1));
    assert_int_equal(nn_text_height(2), 2 * NN_FONT_GLYPH_H);
}

static void test_text_draws_dark_pixels_only_inside_its_box(void **state)
{
    (void)state;
    nn_canvas c;
    assert_int_equal(nn_canvas_init(&c, 200, 60, (nn_rgb){255, 255, 255}), 0);
    int w = nn_canvas_text(&c, 10, 20, "Loss 0.25", 2, (nn_rgb){0, 0, 0});
    assert_int_equal(w, nn_text_width("Loss 0.25", 2));
    int inside = 0, outside = 0;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            if (!is_dark(nn_canvas_get(&c, x, y))) continue;
            int in = x >= 10 && x < 10 + w && y >= 20 && y < 20 + nn_text_height(2);
            inside += in, outside += !in;
        }
    assert_true(inside > 100);
    assert_int_equal(outside, 0);
    nn_canvas_free(&c);
}

static void test_vertical_text_reads_upwards_in_a_rotated_box(void **state)
{
    (void)state;
    nn_canvas c;
    assert_int_equal(nn_canvas_init(&c, 60, 200, (nn_rgb){255, 255, 255}), 0);
    const char *s = "accuracy";
    int len = nn_text_width(s, 1);
    nn_canvas_text_up(&c, 20, 30, s, 1, (nn_rgb){0, 0, 0});
    int outside = 0, first_row = -1;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            if (!is_dark(nn_canvas_get(&c, x, y))) continue;
            if (x < 20 || x >= 20 + nn_text_height(1) || y < 30 || y >= 30 + len) outside++;
            if (first_row < 0) first_row = y;
        }
    assert_int_equal(outside, 0);
    /* the text starts at the bottom: 'a' (first letter) shares no pixels with 'y' at the top */
    int bottom = 0;
    for (int x = 20; x < 20 + NN_FONT_GLYPH_H; x++) bottom += is_dark(nn_canvas_get(&c, x, 30 + len - 1));
    assert_true(first_row >= 30);
    assert_true(bottom > 0);     /* 'a' has pixels in its first column */
    nn_canvas_free(&c);
}

/* ---- ticks --------------------------------------------------------------------------- */
static void test_nice_ticks_split_unit_range_in_fifths(void **state)
{
    (void)state;
    double t[16], step;
    int n = nn_nice_ticks(0.0, 1.0, 5, t, 16, &step);
    assert_int_equal(n, 6);
    assert_float_equal(step, 0.2, 1e-12);
    for (int k = 0; k < n; k++) assert_float_equal(t[k], 0.2 * k, 1e-9);
}

static void test_nice_ticks_use_tens_for_0_to_37(void **state)
{
    (void)state;
    double t[16];
    int n = nn_nice_ticks(0.0, 37.0, 5, t, 16, NULL);
    assert_int_equal(n, 4);
    for (int k = 0; k < 4; k++) assert_float_equal(t[k], 10.0 * k, 1e-9);
}

/* An axis of 3 epochs: nice ticks would step by 0.5, whole ticks by 1; a long one by 10s. */
static void test_whole_ticks_never_split_an_epoch(void **state)
{
    (void)state;
    double t[16], step;
    assert_int_equal(nn_nice_ticks(0.0, 3.0, 6, t, 16, &step), 7);
    assert_float_equal(step, 0.5, 1e-12);
    int n = nn_whole_ticks(0.0, 3.0, 6, t, 16, &step);
    assert_int_equal(n, 4);
    assert_float_equal(step, 1.0, 1e-12);
    for (int k = 0; k < n; k++) assert_float_equal(t[k], k, 1e-12);
    n = nn_whole_ticks(0.0, 40.0, 5, t, 16, &step);
    assert_int_equal(n, 5);
    assert_float_equal(step, 10.0, 1e-12);
    assert_int_equal(nn_whole_ticks(0.2, 0.8, 5, t, 16, &step), 0);   /* no whole number inside */
}

static void test_nice_ticks_pick_1_2_5_steps_and_exact_zero(void **state)
{
    (void)state;
    double t[32], step;
    int n = nn_nice_ticks(-3.0, 7.0, 5, t, 32, &step);
    assert_float_equal(step, 2.0, 1e-12);
    assert_int_equal(n, 5);      /* -2 0 2 4 6 */
    assert_true(t[1] == 0.0);
    nn_nice_ticks(0.0, 0.004, 4, t, 32, &step);
    assert_float_equal(step, 0.001, 1e-15);
    assert_int_equal(nn_nice_ticks(5.0, 5.0, 5, t, 32, &step), 1);
    assert_int_equal(nn_nice_ticks(NAN, 1.0, 5, t, 32, &step), 0);
}

static void test_tick_labels_are_compact(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(nn_format_tick(0.2 * 3, 0.2, b, sizeof b), "0.6");
    assert_string_equal(nn_format_tick(30, 10, b, sizeof b), "30");
    assert_string_equal(nn_format_tick(-1.5, 0.5, b, sizeof b), "-1.5");
    assert_string_equal(nn_format_tick(1e-17, 0.2, b, sizeof b), "0");
    assert_string_equal(nn_format_tick(20000, 10000, b, sizeof b), "20k");
    assert_string_equal(nn_format_tick(1500000, 500000, b, sizeof b), "1.5M");
    assert_string_equal(nn_format_tick(1e-5, 1e-5, b, sizeof b), "1e-5");
    assert_string_equal(nn_format_tick(0.05, 0.05, b, sizeof b), "0.05");
}

/* ---- canvas -------------------------------------------------------------------------- */
static void test_lines_are_clipped_to_the_clip_rectangle(void **state)
{
    (void)state;
    nn_canvas c;
    nn_rgb red = {255, 0, 0};
    assert_int_equal(nn_canvas_init(&c, 100, 80, (nn_rgb){255, 255, 255}), 0);
    nn_canvas_clip(&c, 20, 20, 60, 50);
    nn_canvas_line(&c, -1e30f, 35.0f, 1e30f, 35.0f, 3.0f, red, 1);     /* huge: must not loop */
    nn_canvas_line(&c, 0.0f, 0.0f, 99.0f, 79.0f, 2.0f, red, 0);
    nn_canvas_line(&c, 70.0f, 0.0f, 90.0f, 70.0f, 2.0f, red, 1);        /* entirely outside */
    int in = 0, out = 0;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            nn_rgb p = nn_canvas_get(&c, x, y);
            if (p.g == 255) continue;
            if (x >= 20 && x < 60 && y >= 20 && y < 50) in++;
            else out++;
        }
    assert_int_equal(out, 0);
    for (int x = 20; x < 60; x++) assert_true(near(nn_canvas_get(&c, x, 35), red, 0) || nn_canvas_get(&c, x, 35).g < 128);
    assert_true(in > 40 * 3);
    nn_canvas_free(&c);
}

static void test_aliased_horizontal_line_is_exactly_its_width(void **state)
{
    (void)state;
    nn_canvas c;
    assert_int_equal(nn_canvas_init(&c, 50, 50, (nn_rgb){255, 255, 255}), 0);
    nn_canvas_line(&c, 5.0f, 20.0f, 45.0f, 20.0f, 2.0f, (nn_rgb){0, 0, 255}, 0);
    for (int y = 0; y < 50; y++) {
        int on = nn_canvas_get(&c, 25, y).r == 0;
        assert_int_equal(on, y == 19 || y == 20);
    }
    nn_canvas_free(&c);
}

static void test_marker_is_centred_and_blends(void **state)
{
    (void)state;
    nn_canvas c;
    assert_int_equal(nn_canvas_init(&c, 40, 40, (nn_rgb){255, 255, 255}), 0);
    nn_canvas_marker(&c, 20.0f, 20.0f, NN_MARK_CIRCLE, 4.0f, (nn_rgb){0, 0, 0}, 1.0f);
    assert_true(is_dark(nn_canvas_get(&c, 20, 20)));
    assert_int_equal(nn_canvas_get(&c, 20, 30).r, 255);
    nn_canvas_marker(&c, 10.0f, 10.0f, NN_MARK_SQUARE, 3.0f, (nn_rgb){0, 0, 0}, 0.5f);
    int v = nn_canvas_get(&c, 10, 10).r;
    assert_true(v > 100 && v < 150);
    nn_canvas_free(&c);
}

/* ---- PNG ----------------------------------------------------------------------------- */
static void test_png_round_trips_pixels_exactly(void **state)
{
    (void)state;
    nn_canvas c;
    assert_int_equal(nn_canvas_init(&c, 7, 5, (nn_rgb){1, 2, 3}), 0);
    nn_canvas_fill_rect(&c, 2, 1, 3, 2, (nn_rgb){200, 100, 50});
    char err[256] = "";
    assert_int_equal(nn_png_write(tmp_path("rt.png"), &c, err, sizeof err), 0);
    image im = read_png(tmp_path("rt.png"));
    assert_int_equal(im.w, 7);
    assert_int_equal(im.h, 5);
    assert_memory_equal(im.px, c.px, 7 * 5 * 3);
    free(im.px);
    nn_canvas_free(&c);
}

static void test_png_write_to_bad_path_fails_with_a_message(void **state)
{
    (void)state;
    nn_canvas c;
    assert_int_equal(nn_canvas_init(&c, 4, 4, (nn_rgb){0, 0, 0}), 0);
    char err[256] = "";
    assert_int_equal(nn_png_write("/nonexistent-dir/x/fig.png", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x/fig.png"));
    assert_non_null(strstr(err, "No such file"));
    nn_canvas_free(&c);
    float y[2] = {1, 2};
    nn_series s = {"a", NULL, y, 2, NN_STYLE_LINE};
    err[0] = 0;
    assert_int_equal(nn_plot_lines("/nonexistent-dir/l.png", "t", "x", "y", &s, 1, 0, err, sizeof err), -1);
    assert_true(strlen(err) > 10);
}

static void assert_no_temporary_file(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp")) fail_msg("left behind: %s", e->d_name);
    closedir(d);
}

/* A write that fails for real (the file size limit: libpng's fwrite fails with EFBIG, as on a
 * full disk with ENOSPC) keeps the previous figure whole; never a temporary file left. */
static void test_png_failed_write_keeps_the_previous_figure(void **state)
{
    (void)state;
    nn_canvas c, noise;
    assert_int_equal(nn_canvas_init(&c, 4, 4, (nn_rgb){0, 0, 0}), 0);
    assert_int_equal(nn_canvas_init(&noise, 300, 300, (nn_rgb){0, 0, 0}), 0);
    for (size_t i = 0; i < 300 * 300 * 3; i++) noise.px[i] = (uint8_t)(i * 2654435761u >> 24);
    char err[256];
    assert_int_equal(nn_png_write(tmp_path("clean.png"), &c, err, sizeof err), 0);
    assert_no_temporary_file();

    struct rlimit saved, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    lim = saved;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = nn_png_write(tmp_path("clean.png"), &noise, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "clean.png"));
    assert_non_null(strstr(err, strerror(EFBIG)));
    image im = read_png(tmp_path("clean.png"));
    assert_int_equal(im.w, 4);
    assert_int_equal(im.h, 4);
    free(im.px);
    assert_no_temporary_file();
    nn_canvas_free(&c);
    nn_canvas_free(&noise);
}

/* ---- charts -------------------------------------------------------------------------- */
/* Row with the longest run of colour col (within tol); returns the count, row in *row. */
static int best_row(const image *im, nn_rgb col, int tol, int *row)
{
    int best = 0;
    for (int y = 0; y < im->h; y++) {
        int n = count_in_row(im, y, col, tol);
        if (n > best) best = n, *row = y;
    }
    return best;
}

static void test_line_chart_draws_a_constant_series_as_a_horizontal_line(void **state)
{
    (void)state;
    float x[11], flat[11], rising[11];
    for (int i = 0; i < 11; i++) x[i] = (float)i, flat[i] = 0.5f, rising[i] = i / 10.0f;
    nn_series s[2] = {{"flat", x, flat, 11, NN_STYLE_LINE}, {"rising", x, rising, 11, NN_STYLE_LINE_POINTS}};
    char err[256] = "";
    assert_int_equal(nn_plot_lines(tmp_path("lines.png"), "Loss", "epoch", "loss", s, 2, 0, err, sizeof err), 0);
    image im = read_png(tmp_path("lines.png"));
    assert_int_equal(im.w, 800);
    assert_int_equal(im.h, 500);
    int row = -1, n = best_row(&im, nn_palette(0), 40, &row);
    assert_true(n > 500);        /* spans most of the plot width */
    assert_true(row > 150 && row < 350);   /* y = 0.5 of 0..1: the middle */
    assert_true(count_colour(&im, nn_palette(1), 30) > 300);
    int dark = 0;                /* the title */
    for (int y = 0; y < 35; y++)
        for (int x2 = 0; x2 < im.w; x2++) dark += is_dark(pixel(&im, x2, y));
    assert_true(dark > 50);
    free(im.px);
}

static void test_png_read_returns_what_was_written_and_names_a_missing_file(void **state)
{
    (void)state;
    nn_canvas c, r;
    assert_int_equal(nn_canvas_init(&c, 9, 4, (nn_rgb){10, 20, 30}), 0);
    nn_canvas_fill_rect(&c, 3, 1, 4, 2, (nn_rgb){250, 0, 120});
    char err[256] = "";
    assert_int_equal(nn_png_write(tmp_path("back.png"), &c, err, sizeof err), 0);
    assert_int_equal(nn_png_read(tmp_path("back.png"), &r, err, sizeof err), 0);
    assert_int_equal(r.w, 9);
    assert_int_equal(r.h, 4);
    assert_memory_equal(r.px, c.px, 9 * 4 * 3);
    nn_canvas_free(&r);
    assert_int_equal(nn_png_read(tmp_path("absent.png"), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "absent.png"));
    assert_null(r.px);
    nn_canvas_free(&c);
}

static void test_blit_copies_into_place_and_obeys_the_clip(void **state)
{
    (void)state;
    nn_canvas dst, src;
    assert_int_equal(nn_canvas_init(&dst, 10, 10, (nn_rgb){255, 255, 255}), 0);
    assert_int_equal(nn_canvas_init(&src, 4, 3, (nn_rgb){0, 0, 200}), 0);
    nn_canvas_blit(&dst, &src, 8, 8);            /* only a 2 x 2 corner fits */
    nn_canvas_clip(&dst, 0, 0, 10, 2);
    nn_canvas_blit(&dst, &src, -2, 0);           /* only rows 0..1, columns 0..1 */
    nn_canvas_unclip(&dst);
    int blue = 0;
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++) {
            int in = (x >= 8 && y >= 8) || (x < 2 && y < 2);
            nn_rgb p = nn_canvas_get(&dst, x, y);
            blue += p.b == 200 && p.r == 0;
            if (in != (p.b == 200 && p.r == 0)) fail_msg("pixel (%d, %d) %s", x, y, in ? "not copied" : "copied");
        }
    assert_int_equal(blue, 8);
    nn_canvas_free(&dst);
    nn_canvas_free(&src);
}

static void test_coloured_lines_let_two_series_share_a_colour(void **state)
{
    (void)state;
    float x[11], a[11], b[11];
    for (int i = 0; i < 11; i++) x[i] = (float)i, a[i] = 0.2f, b[i] = 0.8f;
    nn_series s[2] = {{"run train", x, a, 11, NN_STYLE_LINE}, {"run test", x, b, 11, NN_STYLE_LINE_POINTS}};
    const int colours[2] = {3, 3};
    char err[256] = "";
    assert_int_equal(nn_plot_lines_coloured(tmp_path("shared.png"), "t", "x", "y", s, 2, colours, 0, err, sizeof err), 0);
    image im = read_png(tmp_path("shared.png"));
    assert_true(count_colour(&im, nn_palette(3), 30) > 1300);   /* both lines (one alone gives ~800 pixels) */
    assert_int_equal(count_colour(&im, nn_palette(1), 20), 0);  /* the second series' own colour is unused */
    free(im.px);
}

static void test_line_chart_survives_nan_log_and_empty_data(void **state)
{
    (void)state;
    float y[5] = {1.0f, NAN, INFINITY, -2.0f, 0.01f};
    nn_series s = {"odd", NULL, y, 5, NN_STYLE_LINE_POINTS};
    char err[256] = "";
    assert_int_equal(nn_plot_lines(tmp_path("log.png"), "log", "x", "y", &s, 1, 1, err, sizeof err), 0);
    assert_int_equal(nn_plot_lines(tmp_path("lin.png"), "lin", "x", "y", &s, 1, 0, err, sizeof err), 0);
    assert_int_equal(nn_plot_lines(tmp_path("empty.png"), "empty", "x", "y", NULL, 0, 0, err, sizeof err), 0);
    image im = read_png(tmp_path("empty.png"));
    int dark = 0;                /* "no data" in the middle of the plot */
    for (int yy = im.h / 2 - 30; yy < im.h / 2 + 30; yy++)
        for (int x = im.w / 2 - 80; x < im.w / 2 + 80; x++) dark += pixel(&im, x, yy).r < 160;
    assert_true(dark > 30);
    free(im.px);
    nn_series bad = {"bad", NULL, NULL, 3, NN_STYLE_LINE};
    assert_int_equal(nn_plot_lines(tmp_path("bad.png"), "t", "x", "y", &bad, 1, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad"));
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void test_scatter_of_60k_points_is_fast_and_coloured_by_class(void **state)
{
    (void)state;
    enum { N = 60000 };
    float *xy = malloc(2 * N * sizeof *xy);
    int *lab = malloc(N * sizeof *lab);
    for (int i = 0; i < N; i++) {
        lab[i] = i % 3;
        xy[2 * i] = (float)(lab[i] * 10 + (i % 97) * 0.05);
        xy[2 * i + 1] = (float)((i % 89) * 0.1);
    }
    xy[0] = NAN;
    const char *names[3] = {"cat", "dog", "bird"};
    char err[256] = "";
    double t0 = seconds();
    assert_int_equal(nn_plot_scatter(tmp_path("sc.png"), "codes", xy, lab, N, names, 3, "z1", "z2", err, sizeof err), 0);
    double dt = seconds() - t0;
#if defined(__SANITIZE_ADDRESS__)
    assert_true(dt < 5.0);
#else
    assert_true(dt < 0.5);
#endif
    image im = read_png(tmp_path("sc.png"));
    for (int k = 0; k < 3; k++) assert_true(count_colour(&im, nn_palette(k), 40) > 200);
    free(im.px);
    free(xy);
    free(lab);
}

static void test_heatmap_shades_large_and_small_values_differently(void **state)
{
    (void)state;
    float m[9] = {90, 1, 0, 2, 80, 3, 0, 4, 85};
    const char *names[3] = {"a", "b", "c"};
    char err[256] = "";
    assert_int_equal(nn_plot_heatmap(tmp_path("hm.png"), "confusion", m, 3, 3, names, names, 1, "pred", "true", err, sizeof err), 0);
    image im = read_png(tmp_path("hm.png"));
    /* the brightest yellow of the map appears (the 90 cell), and so does its darkest purple */
    assert_true(count_colour(&im, (nn_rgb){253, 231, 37}, 20) > 400);
    assert_true(count_colour(&im, (nn_rgb){68, 1, 84}, 20) > 400);
    free(im.px);
    assert_int_equal(nn_plot_heatmap(tmp_path("hm0.png"), "none", NULL, 0, 0, NULL, NULL, 1, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(nn_plot_heatmap(tmp_path("hmbad.png"), "bad", NULL, 2, 2, NULL, NULL, 1, NULL, NULL, err, sizeof err), -1);
}

static void test_image_grid_scales_every_pixel(void **state)
{
    (void)state;
    enum { H = 4, W = 5, S = 3 };
    float img[2 * H * W];
    for (int i = 0; i < H * W; i++) img[i] = 0.0f, img[H * W + i] = 1.0f;
    const char *rows[1] = {"pair"};
    char err[256] = "";
    assert_int_equal(nn_plot_image_grid(tmp_path("grid.png"), "grid", img, 2, 1, H, W, 2, rows, S, err, sizeof err), 0);
    image im = read_png(tmp_path("grid.png"));
    /* text is near-black, never pure black: pure black pixels are exactly the dark image */
    assert_int_equal(count_colour(&im, (nn_rgb){0, 0, 0}, 0), H * W * S * S);
    free(im.px);
    assert_int_equal(nn_plot_image_grid(tmp_path("g2.png"), "rgb", img, 1, 2, H, W, 1, NULL, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "channels"));
}

/* Under each image a bar filled to its value of the image's width (NaN: none) and a caption;
 * labels over the columns; a caption wider than the images widens the columns. */
static void test_image_grid_draws_bars_captions_and_column_labels(void **state)
{
    (void)state;
    enum { H = 4, W = 5, S = 3 };
    float img[2 * H * W], bars[2] = {0.6f, NAN};
    for (int i = 0; i < H * W; i++) img[i] = 0.0f, img[H * W + i] = 1.0f;
    const char *caps[2] = {"0.600", NULL}, *cols[2] = {"a", "b"};
    char err[256] = "";
    nn_image_grid_options o = {.col_labels = cols, .captions = caps, .bars = bars, .scale = S};
    assert_int_equal(nn_plot_image_grid_with(tmp_path("gw.png"), "weights", img, 2, 1, H, W, 2, &o, err, sizeof err), 0);
    image im = read_png(tmp_path("gw.png"));
    /* one bar, 6 pixels high: 9 of the image's 15 pixels filled, the other 6 the track */
    assert_int_equal(count_colour(&im, (nn_rgb){31, 119, 180}, 0), 9 * 6);
    assert_int_equal(count_colour(&im, (nn_rgb){225, 225, 225}, 0), 6 * 6);
    assert_int_equal(count_colour(&im, (nn_rgb){0, 0, 0}, 0), H * W * S * S);   /* text is never pure black */
    free(im.px);
    /* a caption wider than the images widens every column */
    const char *wide[2] = {"a long caption", NULL};
    nn_image_grid_options ow = {.captions = wide, .scale = S}, scale_only = {.scale = S};
    assert_int_equal(nn_plot_image_grid_with(tmp_path("gwide.png"), NULL, img, 2, 1, H, W, 2, &ow, err, sizeof err), 0);
    assert_int_equal(nn_plot_image_grid_with(tmp_path("gnarrow.png"), NULL, img, 2, 1, H, W, 2, &scale_only, err, sizeof err), 0);
    image a = read_png(tmp_path("gwide.png")), b = read_png(tmp_path("gnarrow.png"));
    assert_true(a.w >= b.w + 2 * (nn_text_width("a long caption", 1) - W * S));
    free(a.px);
    free(b.px);
}

static void test_bar_chart_draws_bars_up_and_down_from_zero(void **state)
{
    (void)state;
    float v[4] = {0.5f, -0.25f, NAN, 1.0f};
    char err[256] = "";
    assert_int_equal(nn_plot_bars(tmp_path("bars.png"), "dead units", NULL, v, 4, "fraction", err, sizeof err), 0);
    image im = read_png(tmp_path("bars.png"));
    assert_int_equal(im.w, 800);
    /* bars are runs of bar-coloured columns; record each one's top, bottom and height */
    int top[8], bottom[8], nb = 0, inside = 0;
    for (int x = 0; x < im.w; x++) {
        int t = -1, b = -1;
        for (int y = 0; y < im.h; y++)
            if (near(pixel(&im, x, y), nn_palette(0), 0)) b = y, t = t < 0 ? y : t;
        if (t >= 0 && !inside && nb < 8) top[nb] = t, bottom[nb] = b, nb++;
        inside = t >= 0;
    }
    assert_int_equal(nb, 3);     /* the NaN bar is skipped */
    int zero = bottom[0] + 1;    /* the zero line, just under the positive bars */
    int up0 = zero - top[0], down1 = bottom[1] + 1 - zero, up3 = zero - top[2];
    assert_true(abs(up3 - 2 * up0) <= 2);   /* 1.0 is twice 0.5 */
    assert_true(abs(2 * down1 - up0) <= 3); /* -0.25 is half of 0.5, downwards */
    assert_int_equal(top[1], zero + 1);
    assert_true(abs(bottom[0] - bottom[2]) <= 1);
    free(im.px);
    assert_int_equal(nn_plot_bars(tmp_path("bars0.png"), "none", NULL, NULL, 0, NULL, err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_font_has_a_distinct_glyph_for_every_printable_ascii_char),
        cmocka_unit_test(test_font_draws_unknown_bytes_as_question_mark),
        cmocka_unit_test(test_text_width_grows_with_length_and_scale),
        cmocka_unit_test(test_text_draws_dark_pixels_only_inside_its_box),
        cmocka_unit_test(test_vertical_text_reads_upwards_in_a_rotated_box),
        cmocka_unit_test(test_nice_ticks_split_unit_range_in_fifths),
        cmocka_unit_test(test_nice_ticks_use_tens_for_0_to_37),
        cmocka_unit_test(test_whole_ticks_never_split_an_epoch),
        cmocka_unit_test(test_nice_ticks_pick_1_2_5_steps_and_exact_zero),
        cmocka_unit_test(test_tick_labels_are_compact),
        cmocka_unit_test(test_lines_are_clipped_to_the_clip_rectangle),
        cmocka_unit_test(test_aliased_horizontal_line_is_exactly_its_width),
        cmocka_unit_test(test_marker_is_centred_and_blends),
        cmocka_unit_test(test_png_round_trips_pixels_exactly),
        cmocka_unit_test(test_png_write_to_bad_path_fails_with_a_message),
        cmocka_unit_test(test_png_failed_write_keeps_the_previous_figure),
        cmocka_unit_test(test_line_chart_draws_a_constant_series_as_a_horizontal_line),
        cmocka_unit_test(test_line_chart_survives_nan_log_and_empty_data),
        cmocka_unit_test(test_scatter_of_60k_points_is_fast_and_coloured_by_class),
        cmocka_unit_test(test_heatmap_shades_large_and_small_values_differently),
        cmocka_unit_test(test_image_grid_scales_every_pixel),
        cmocka_unit_test(test_image_grid_draws_bars_captions_and_column_labels),
        cmocka_unit_test(test_bar_chart_draws_bars_up_and_down_from_zero),
        cmocka_unit_test(test_png_read_returns_what_was_written_and_names_a_missing_file),
        cmocka_unit_test(test_blit_copies_into_place_and_obeys_the_clip),
        cmocka_unit_test(test_coloured_lines_let_two_series_share_a_colour),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
