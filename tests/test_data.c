/* Datasets: IDX and CSV readers (with their error messages), generators, subsets and splits,
 * and the batcher. Fixture files are written to a fresh directory under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "nn/data.h"

static char tmpdir[64];
static char err[2048];

/* ---- fixtures -------------------------------------------------------------------------- */
static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/nn_test_data.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (!d) return -1;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
    closedir(d);
    return rmdir(tmpdir);
}

static const char *fixture(const char *name)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    const char *path = fixture(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static const char *write_text(const char *name, const char *text) { return write_file(name, text, strlen(text)); }

static const char *write_gz(const char *name, const void *data, size_t len)
{
    const char *path = fixture(name);
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
    gzclose(f);
    return path;
}

static void put_be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* IDX images: 3 images of 2x3 pixels; pixel k of image i is 51 * ((i + k) % 6). */
enum { IMG_N = 3, IMG_R = 2, IMG_C = 3, IMG_BYTES = 16 + IMG_N * IMG_R * IMG_C };
static void make_idx_images(unsigned char *b)
{
    memset(b, 0, 16);
    b[2] = 0x08;
    b[3] = 3;
    put_be32(b + 4, IMG_N);
    put_be32(b + 8, IMG_R);
    put_be32(b + 12, IMG_C);
    for (int i = 0; i < IMG_N; i++)
        for (int k = 0; k < IMG_R * IMG_C; k++) b[16 + i * IMG_R * IMG_C + k] = (unsigned char)(51 * ((i + k) % 6));
}

/* IDX labels for count images: 7, 2, 4, ... */
static size_t make_idx_labels(unsigned char *b, int count)
{
    static const unsigned char lab[] = {7, 2, 4, 1};
    memset(b, 0, 8);
    b[2] = 0x08;
    b[3] = 1;
    put_be32(b + 4, (unsigned)count);
    for (int i = 0; i < count; i++) b[8 + i] = lab[i % 4];
    return 8 + (size_t)count;
}

static void assert_idx_fixture_loaded(const nn_dataset *d)
{
    assert_int_equal(d->n, IMG_N);
    assert_int_equal(d->sample.ndim, 3);
    assert_int_equal(d->sample.d[0], 1);
    assert_int_equal(d->sample.d[1], IMG_R);
    assert_int_equal(d->sample.d[2], IMG_C);
    for (int i = 0; i < IMG_N; i++)
        for (int k = 0; k < IMG_R * IMG_C; k++)
            assert_float_equal(d->x[i * IMG_R * IMG_C + k], 0.2f * ((i + k) % 6), 1e-6);
    assert_int_equal(d->y_dim, 1);
    assert_non_null(d->y);
    assert_float_equal(d->y[0], 7, 0);
    assert_float_equal(d->y[1], 2, 0);
    assert_float_equal(d->y[2], 4, 0);
    assert_int_equal(d->n_classes, 8);
}

static void assert_err_has(const char *want)
{
    if (!strstr(err, want)) fail_msg("error message '%s' lacks '%s'", err, want);
}

static void assert_empty(const nn_dataset *d)
{
    assert_int_equal(d->n, 0);
    assert_null(d->x);
    assert_null(d->y);
}

/* ---- IDX ------------------------------------------------------------------------------- */
static void test_idx_raw_images_and_labels_load_scaled_to_unit_range(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES], lab[16];
    make_idx_images(img);
    const char *ip = write_file("raw-images", img, sizeof img);
    const char *lp = write_file("raw-labels", lab, make_idx_labels(lab, IMG_N));
    nn_dataset d;
    assert_int_equal(nn_load_idx(ip, lp, &d, err, sizeof err), 0);
    assert_idx_fixture_loaded(&d);
    nn_dataset_free(&d);
    assert_empty(&d);
}

static void test_idx_gzip_is_detected_by_content_not_name(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES], lab[16];
    make_idx_images(img);
    const char *ip = write_gz("gz-images-no-suffix", img, sizeof img);
    const char *lp = write_gz("gz-labels-no-suffix", lab, make_idx_labels(lab, IMG_N));
    nn_dataset d;
    assert_int_equal(nn_load_idx(ip, lp, &d, err, sizeof err), 0);
    assert_idx_fixture_loaded(&d);
    nn_dataset_free(&d);
}

static void test_idx_missing_path_falls_back_to_path_gz(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES], lab[16];
    make_idx_images(img);
    write_gz("fb-images.gz", img, sizeof img);
    write_gz("fb-labels.gz", lab, make_idx_labels(lab, IMG_N));
    nn_dataset d;
    assert_int_equal(nn_load_idx(fixture("fb-images"), fixture("fb-labels"), &d, err, sizeof err), 0);
    assert_idx_fixture_loaded(&d);
    nn_dataset_free(&d);
}

static void test_idx_without_labels_is_unsupervised(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES];
    make_idx_images(img);
    nn_dataset d;
    assert_int_equal(nn_load_idx(write_file("nolab-images", img, sizeof img), NULL, &d, err, sizeof err), 0);
    assert_int_equal(d.n, IMG_N);
    assert_null(d.y);
    assert_int_equal(d.y_dim, 0);
    assert_int_equal(d.n_classes, 0);
    nn_dataset_free(&d);
}

static void test_idx_missing_file_names_it_and_hints_make_data(void **state)
{
    (void)state;
    nn_dataset d;
    const char *p = fixture("does-not-exist");
    assert_int_equal(nn_load_idx(p, NULL, &d, err, sizeof err), -1);
    assert_err_has(p);
    assert_err_has("run 'make data'");
    assert_empty(&d);
}

static void test_idx_truncated_raw_file_is_a_clear_error(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES];
    make_idx_images(img);
    const char *p = write_file("trunc-images", img, sizeof img - 5);
    nn_dataset d;
    assert_int_equal(nn_load_idx(p, NULL, &d, err, sizeof err), -1);
    assert_err_has(p);
    assert_err_has("truncated");
    assert_empty(&d);
}

static void test_idx_truncated_gzip_file_is_a_clear_error(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES];
    make_idx_images(img);
    const char *p = write_gz("trunc-gz-images", img, sizeof img - 5);
    nn_dataset d;
    assert_int_equal(nn_load_idx(p, NULL, &d, err, sizeof err), -1);
    assert_err_has(p);
    assert_err_has("truncated");
    assert_empty(&d);
}

/* A gzip file whose header promises more than deflate can hold in its size (2^31 images of
 * 4096 x 4096 pixels in a few dozen bytes) is refused before that much is allocated. */
static void test_idx_gzip_header_promising_more_than_the_file_can_hold_is_refused(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES];
    make_idx_images(img);
    put_be32(img + 4, 0x7fffffff);
    put_be32(img + 8, 4096);
    put_be32(img + 12, 4096);
    const char *p = write_gz("huge-gz-images", img, sizeof img);
    nn_dataset d;
    assert_int_equal(nn_load_idx(p, NULL, &d, err, sizeof err), -1);
    assert_err_has(p);
    assert_err_has("more than a gzip file of");
    assert_empty(&d);
}

static void test_idx_bad_magic_and_wrong_dims_are_rejected(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES];
    make_idx_images(img);
    img[0] = 0x89;
    nn_dataset d;
    assert_int_equal(nn_load_idx(write_file("magic", img, sizeof img), NULL, &d, err, sizeof err), -1);
    assert_err_has("not an IDX file");
    make_idx_images(img);
    img[3] = 2;        /* a 2-D file is not an images file */
    assert_int_equal(nn_load_idx(write_file("dims", img, sizeof img), NULL, &d, err, sizeof err), -1);
    assert_err_has("2 dimensions");
    make_idx_images(img);
    img[2] = 0x0D;     /* float elements */
    assert_int_equal(nn_load_idx(write_file("type", img, sizeof img), NULL, &d, err, sizeof err), -1);
    assert_err_has("0x0d");
    assert_empty(&d);
}

static void test_idx_label_count_must_match_image_count(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES], lab[16];
    make_idx_images(img);
    const char *ip = write_file("cnt-images", img, sizeof img);
    const char *lp = write_file("cnt-labels", lab, make_idx_labels(lab, IMG_N - 1));
    nn_dataset d;
    assert_int_equal(nn_load_idx(ip, lp, &d, err, sizeof err), -1);
    assert_err_has("has 2 labels but");
    assert_err_has("has 3 images");
    assert_empty(&d);
}

static void test_idx_trailing_bytes_are_rejected(void **state)
{
    (void)state;
    unsigned char img[IMG_BYTES + 3];
    make_idx_images(img);
    nn_dataset d;
    assert_int_equal(nn_load_idx(write_file("long", img, sizeof img), NULL, &d, err, sizeof err), -1);
    assert_err_has("unexpected");
}

/* ---- CSV ------------------------------------------------------------------------------- */
static void test_csv_with_header_loads_labels_and_scaled_features(void **state)
{
    (void)state;
    const char *p = write_text("hdr.csv", "label,p1,p2,p3\n1,0,255,51\n0,3.5,-4,1e2\n");
    nn_csv_options o = nn_csv_defaults();
    o.scale = 1.0f / 255.0f;
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.sample.ndim, 1);
    assert_int_equal(d.sample.d[0], 3);
    assert_float_equal(d.x[1], 1.0f, 1e-6);
    assert_float_equal(d.x[2], 0.2f, 1e-6);
    assert_float_equal(d.x[3], 3.5f / 255, 1e-6);
    assert_float_equal(d.x[4], -4.0f / 255, 1e-6);
    assert_float_equal(d.x[5], 100.0f / 255, 1e-6);
    assert_float_equal(d.y[0], 1, 0);
    assert_float_equal(d.y[1], 0, 0);
    assert_int_equal(d.n_classes, 2);
    nn_dataset_free(&d);
}

static void test_csv_numeric_first_row_is_data_when_auto(void **state)
{
    (void)state;
    const char *p = write_text("nohdr.csv", "3,1,2\n\n4,5,6\n");
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, NULL, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 2);
    assert_float_equal(d.y[0], 3, 0);
    assert_float_equal(d.x[3], 6, 0);
    assert_int_equal(d.n_classes, 5);
    nn_dataset_free(&d);

    nn_csv_options o = nn_csv_defaults();
    o.header = 1;                                /* forced: the first line is skipped */
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 1);
    assert_float_equal(d.y[0], 4, 0);
    nn_dataset_free(&d);
}

static void test_csv_bad_rows_fail_with_file_line_and_field(void **state)
{
    (void)state;
    /* line 1 header, 2 good, 3 short, 4 blank, 5 non-numeric field 3, 6 good */
    const char *p = write_text("bad.csv", "y,a,b\n1,2,3\n1,2\n\n0,5,abc\n1,1,1\n");
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, NULL, &d, err, sizeof err), -1);
    char want[600];
    assert_err_has("2 bad rows");
    snprintf(want, sizeof want, "%s:3: 2 fields, expected 3 (as on line 1)", p);
    assert_err_has(want);
    snprintf(want, sizeof want, "%s:5: field 3 of 3 is not a number: 'abc'", p);
    assert_err_has(want);
    assert_empty(&d);
}

static void test_csv_reports_only_the_first_bad_rows_but_counts_all(void **state)
{
    (void)state;
    char text[512] = "1,2\n";
    for (int i = 0; i < 8; i++) strcat(text, "1,x\n");     /* lines 2..9 */
    const char *p = write_text("many.csv", text);
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, NULL, &d, err, sizeof err), -1);
    assert_err_has("8 bad rows (first 5 shown)");
    char want[600];
    snprintf(want, sizeof want, "%s:6:", p);
    assert_err_has(want);
    snprintf(want, sizeof want, "%s:7:", p);
    assert_null(strstr(err, want));
}

static void test_csv_class_labels_must_be_whole_numbers(void **state)
{
    (void)state;
    const char *p = write_text("frac.csv", "1,2\n2.5,3\n");
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, NULL, &d, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:2: label (field 1)", p);
    assert_err_has(want);

    nn_csv_options o = nn_csv_defaults();
    o.classes = 0;                               /* regression target: fine */
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_float_equal(d.y[1], 2.5f, 0);
    assert_int_equal(d.n_classes, 0);
    nn_dataset_free(&d);
}

static void test_csv_label_column_options(void **state)
{
    (void)state;
    const char *p = write_text("cols.csv", "a,b,label\r\n1,2,0\r\n3,4,1\r\n");
    nn_csv_options o = nn_csv_defaults();
    o.label_col = 2;
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_int_equal(d.sample.d[0], 2);
    assert_float_equal(d.x[2], 3, 0);
    assert_float_equal(d.y[1], 1, 0);
    nn_dataset_free(&d);

    o.label_col = -1;                            /* no target: every column is a feature */
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_int_equal(d.sample.d[0], 3);
    assert_null(d.y);
    assert_float_equal(d.x[5], 1, 0);
    nn_dataset_free(&d);

    o.label_col = 3;
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), -1);
    assert_err_has("label column 3 does not exist");
}

static void test_csv_sample_shape_reshapes_features(void **state)
{
    (void)state;
    const char *p = write_text("img.csv", "5,1,2,3,4\n");
    nn_csv_options o = nn_csv_defaults();
    o.sample = nn_shape3(1, 2, 2);
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_int_equal(d.sample.ndim, 3);
    assert_int_equal(d.sample.d[2], 2);
    nn_dataset_free(&d);
    o.sample = nn_shape3(1, 3, 3);
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), -1);
    assert_err_has("4 features but the sample shape [1, 3, 3] holds 9");
}

static void test_csv_missing_file_and_empty_file(void **state)
{
    (void)state;
    nn_dataset d;
    assert_int_equal(nn_load_csv(fixture("nope.csv"), NULL, &d, err, sizeof err), -1);
    assert_err_has("nope.csv");
    assert_err_has("run 'make data'");
    assert_int_equal(nn_load_csv(write_text("hdronly.csv", "label,a\n"), NULL, &d, err, sizeof err), -1);
    assert_err_has("no data rows");
}

/* A label as large as the model's class count (labels 0..10 for 10 classes) is a bad row
 * named by line, as are a negative label and a fraction; one class more loads. */
static void test_csv_labels_the_model_cannot_predict_are_named_by_line(void **state)
{
    (void)state;
    const char *p = write_text("eleven.csv", "0,1\n9,1\n10,1\n3,1\n");
    nn_csv_options o = nn_csv_defaults();
    o.model_classes = 10;
    nn_dataset d;
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:3: label 10, but the model predicts 10 classes (0..9)", p);
    assert_err_has(want);
    assert_err_has("1 bad row;");
    o.model_classes = 11;
    assert_int_equal(nn_load_csv(p, &o, &d, err, sizeof err), 0);
    assert_int_equal(d.n_classes, 11);
    nn_dataset_free(&d);

    p = write_text("negative.csv", "0,1\n-1,2\n");
    assert_int_equal(nn_load_csv(p, NULL, &d, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: label (field 1) must be a class id (a whole number >= 0), got -1", p);
    assert_err_has(want);
}

/* The scan reads the header and the labels only: it counts what the load would load and
 * reports the same label problems, but not the features (that is the load's job). */
static void test_csv_scan_counts_rows_and_classes_and_checks_labels(void **state)
{
    (void)state;
    const char *p = write_text("scan.csv", "a,label,b\n1,0,2\n\n1,4,oops\n1,2,3\n");
    nn_csv_options o = nn_csv_defaults();
    o.label_col = 1;
    nn_csv_info ci;
    assert_int_equal(nn_csv_scan(p, &o, &ci, err, sizeof err), 0);
    assert_int_equal(ci.n_rows, 3);
    assert_int_equal(ci.n_features, 2);
    assert_int_equal(ci.n_classes, 5);

    o.model_classes = 4;
    assert_int_equal(nn_csv_scan(p, &o, &ci, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:4: label 4, but the model predicts 4 classes (0..3)", p);
    assert_err_has(want);

    p = write_text("scanbad.csv", "0,1\n-2,1\n1.5,1\nx,1\n");
    assert_int_equal(nn_csv_scan(p, NULL, &ci, err, sizeof err), -1);
    assert_err_has("3 bad rows");
    snprintf(want, sizeof want, "%s:2: label (field 1) must be a class id (a whole number >= 0), got -2", p);
    assert_err_has(want);
    snprintf(want, sizeof want, "%s:3: label (field 1) must be a class id (a whole number >= 0), got 1.5", p);
    assert_err_has(want);
    snprintf(want, sizeof want, "%s:4: label (field 1) is not a number: 'x'", p);
    assert_err_has(want);

    o = nn_csv_defaults();
    o.label_col = -1;                            /* no labels: nothing to count */
    assert_int_equal(nn_csv_scan(p, &o, &ci, err, sizeof err), 0);
    assert_int_equal(ci.n_classes, 0);
    assert_int_equal(ci.n_features, 2);
}

/* A FIFO opened for reading waits for a writer: every reader refuses it first (the alarm fails
 * the test instead of hanging it). */
static void test_fifo_data_files_are_refused_at_once(void **state)
{
    (void)state;
    const char *p = fixture("pipe.csv");
    assert_int_equal(mkfifo(p, 0600), 0);
    char want[600];
    snprintf(want, sizeof want, "%s: is a FIFO, not a regular file", p);
    nn_dataset d;
    nn_csv_info ci;
    alarm(10);
    assert_int_equal(nn_load_csv(p, NULL, &d, err, sizeof err), -1);
    assert_err_has(want);
    assert_null(strstr(err, "make data"));      /* the hint is for missing files */
    assert_int_equal(nn_csv_scan(p, NULL, &ci, err, sizeof err), -1);
    assert_err_has(want);
    assert_int_equal(nn_load_idx(p, NULL, &d, err, sizeof err), -1);
    assert_err_has(want);
    alarm(0);
}

/* ---- generators ------------------------------------------------------------------------ */
static nn_expr *parse(const char *src)
{
    nn_expr *e = nn_expr_parse(src, err, sizeof err, NULL);
    if (!e) fail_msg("%s", err);
    return e;
}

static void test_function_grid_includes_both_ends(void **state)
{
    (void)state;
    nn_expr *f = parse("1/(1+25*x^2)");
    nn_dataset d;
    assert_int_equal(nn_gen_function(f, -1, 1, 5, 0, 0, NULL, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 5);
    assert_int_equal(d.sample.ndim, 1);
    assert_int_equal(d.sample.d[0], 1);
    assert_int_equal(d.y_dim, 1);
    assert_int_equal(d.n_classes, 0);
    const float xs[] = {-1, -0.5f, 0, 0.5f, 1};
    for (int i = 0; i < 5; i++) {
        assert_float_equal(d.x[i], xs[i], 0);
        assert_float_equal(d.y[i], 1 / (1 + 25 * xs[i] * xs[i]), 1e-6);
    }
    nn_dataset_free(&d);
    nn_expr_free(f);
}

static void test_function_random_points_are_in_range_and_reproducible(void **state)
{
    (void)state;
    nn_expr *f = parse("x^2");
    nn_rng r1, r2, r3;
    nn_rng_seed(&r1, 11);
    nn_rng_seed(&r2, 11);
    nn_rng_seed(&r3, 12);
    nn_dataset a, b, c;
    assert_int_equal(nn_gen_function(f, 2, 3, 200, 1, 0, &r1, &a, err, sizeof err), 0);
    assert_int_equal(nn_gen_function(f, 2, 3, 200, 1, 0, &r2, &b, err, sizeof err), 0);
    assert_int_equal(nn_gen_function(f, 2, 3, 200, 1, 0, &r3, &c, err, sizeof err), 0);
    assert_memory_equal(a.x, b.x, 200 * sizeof(float));
    assert_memory_not_equal(a.x, c.x, 200 * sizeof(float));
    for (int i = 0; i < 200; i++) {
        assert_true(a.x[i] >= 2 && a.x[i] <= 3);
        assert_float_equal(a.y[i], a.x[i] * a.x[i], 1e-5);
    }
    nn_dataset_free(&a);
    nn_dataset_free(&b);
    nn_dataset_free(&c);
    nn_expr_free(f);
}

static void test_function_noise_has_the_requested_std(void **state)
{
    (void)state;
    nn_expr *f = parse("3");
    nn_rng r;
    nn_rng_seed(&r, 5);
    nn_dataset d;
    enum { N = 20000 };
    assert_int_equal(nn_gen_function(f, 0, 1, N, 0, 0.1f, &r, &d, err, sizeof err), 0);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) s += d.y[i] - 3.0, s2 += (d.y[i] - 3.0) * (d.y[i] - 3.0);
    double mean = s / N, sd = sqrt(s2 / N - mean * mean);
    assert_true(fabs(mean) < 0.003);
    assert_true(fabs(sd - 0.1) < 0.003);
    nn_dataset_free(&d);
    nn_expr_free(f);
}

static void test_function_undefined_values_and_bad_arguments_fail(void **state)
{
    (void)state;
    nn_expr *f = parse("log(x)");
    nn_dataset d;
    assert_int_equal(nn_gen_function(f, -1, 1, 3, 0, 0, NULL, &d, err, sizeof err), -1);
    assert_err_has("at x = -1");
    assert_empty(&d);
    assert_int_equal(nn_gen_function(f, 1, 1, 3, 0, 0, NULL, &d, err, sizeof err), -1);
    assert_err_has("lo < hi");
    assert_int_equal(nn_gen_function(f, 1, 2, 3, 1, 0, NULL, &d, err, sizeof err), -1);
    assert_err_has("random generator");
    nn_expr_free(f);
    const char *names[] = {"x", "t"};
    f = nn_expr_parse_vars("x + t", names, 2, err, sizeof err, NULL);
    assert_int_equal(nn_gen_function(f, 1, 2, 3, 0, 0, NULL, &d, err, sizeof err), -1);
    assert_err_has("2 variables");
    nn_expr_free(f);
}

static void moments(const nn_dataset *d, int k, double *mean, double *var)
{
    int dim = d->sample.d[0];
    double s = 0, s2 = 0;
    for (int i = 0; i < d->n; i++) s += d->x[i * dim + k], s2 += (double)d->x[i * dim + k] * d->x[i * dim + k];
    *mean = s / d->n;
    *var = s2 / d->n - *mean * *mean;
}

static void test_points_parabola_lies_on_y_equals_x_squared(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 1);
    nn_dataset d;
    assert_int_equal(nn_gen_points(NN_POINTS_PARABOLA, 500, 0, -2, 2, &r, &d, err, sizeof err), 0);
    assert_int_equal(d.sample.ndim, 1);
    assert_int_equal(d.sample.d[0], 2);
    assert_null(d.y);
    float lo = 9, hi = -9;
    for (int i = 0; i < d.n; i++) {
        float x = d.x[2 * i];
        assert_float_equal(d.x[2 * i + 1], x * x, 1e-5);
        lo = fminf(lo, x);
        hi = fmaxf(hi, x);
    }
    assert_true(lo >= -2 && lo < -1.9f && hi <= 2 && hi > 1.9f);
    nn_dataset_free(&d);
    assert_int_equal(nn_gen_points(NN_POINTS_PARABOLA, 5, 3, -1, 1, &r, &d, err, sizeof err), -1);
    assert_err_has("d must be 2");
}

static void test_points_cube_and_gaussian_have_the_right_moments(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 2);
    nn_dataset c, g;
    assert_int_equal(nn_gen_points(NN_POINTS_CUBE, 20000, 5, -1, 1, &r, &c, err, sizeof err), 0);
    assert_int_equal(c.sample.d[0], 5);
    for (int i = 0; i < c.n * 5; i++) assert_true(c.x[i] >= -1 && c.x[i] <= 1);
    double m, v;
    for (int k = 0; k < 5; k++) {
        moments(&c, k, &m, &v);
        assert_true(fabs(m) < 0.02 && fabs(v - 1.0 / 3) < 0.02);
    }
    assert_int_equal(nn_gen_points(NN_POINTS_GAUSSIAN, 20000, 3, 0, 0, &r, &g, err, sizeof err), 0);
    for (int k = 0; k < 3; k++) {
        moments(&g, k, &m, &v);
        assert_true(fabs(m) < 0.03 && fabs(v - 1) < 0.04);
    }
    nn_dataset_free(&c);
    nn_dataset_free(&g);
}

static void test_points_same_seed_same_points(void **state)
{
    (void)state;
    nn_rng r1, r2;
    nn_rng_seed(&r1, 99);
    nn_rng_seed(&r2, 99);
    nn_dataset a, b;
    assert_int_equal(nn_gen_points(NN_POINTS_GAUSSIAN, 64, 4, 0, 0, &r1, &a, err, sizeof err), 0);
    assert_int_equal(nn_gen_points(NN_POINTS_GAUSSIAN, 64, 4, 0, 0, &r2, &b, err, sizeof err), 0);
    assert_memory_equal(a.x, b.x, 64 * 4 * sizeof(float));
    nn_dataset_free(&a);
    nn_dataset_free(&b);
    assert_int_equal(nn_points_kind_from_name("cube"), NN_POINTS_CUBE);
    assert_string_equal(nn_points_kind_name(NN_POINTS_GAUSSIAN), "gaussian");
    assert_int_equal(nn_points_kind_from_name("sphere"), -1);
}

/* ---- subsets, splits, batcher ------------------------------------------------------------ */
/* n samples of shape [2]: x = (i, -i), y = i % classes. */
static void make_indexed(nn_dataset *d, int n, int classes)
{
    assert_int_equal(nn_dataset_alloc(d, n, nn_shape1(2), 1, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        d->x[2 * i] = (float)i;
        d->x[2 * i + 1] = (float)-i;
        d->y[i] = (float)(i % classes);
    }
    d->n_classes = classes;
}

/* Asserts every sample of src appears exactly once in d (by its x[0] tag). */
static void assert_each_once(const nn_dataset *d, int n_src)
{
    char *seen = calloc((size_t)n_src, 1);
    for (int i = 0; i < d->n; i++) {
        int s = (int)d->x[2 * i];
        assert_true(s >= 0 && s < n_src);
        assert_false(seen[s]);
        seen[s] = 1;
        assert_float_equal(d->x[2 * i + 1], -s, 0);
    }
    free(seen);
}

static void test_first_and_random_subsets(void **state)
{
    (void)state;
    nn_dataset d, a, b, c;
    make_indexed(&d, 50, 5);
    assert_int_equal(nn_dataset_first(&d, 10, &a, err, sizeof err), 0);
    assert_int_equal(a.n, 10);
    assert_float_equal(a.x[18], 9, 0);
    assert_float_equal(a.y[9], 4, 0);
    assert_int_equal(a.n_classes, 5);
    nn_rng r1, r2;
    nn_rng_seed(&r1, 3);
    nn_rng_seed(&r2, 3);
    assert_int_equal(nn_dataset_random(&d, 20, &r1, &b, err, sizeof err), 0);
    assert_int_equal(nn_dataset_random(&d, 20, &r2, &c, err, sizeof err), 0);
    assert_each_once(&b, 50);
    assert_memory_equal(b.x, c.x, 40 * sizeof(float));
    for (int i = 0; i < 20; i++) assert_float_equal(b.y[i], ((int)b.x[2 * i] % 5), 0);
    nn_dataset e;
    assert_int_equal(nn_dataset_first(&d, 51, &e, err, sizeof err), -1);
    assert_err_has("asked for 51 samples but the dataset has 50");
    nn_dataset_free(&a);
    nn_dataset_free(&b);
    nn_dataset_free(&c);
    nn_dataset_free(&d);
}

static void test_per_class_takes_exactly_n_of_each_class(void **state)
{
    (void)state;
    nn_dataset d, a, b;
    make_indexed(&d, 40, 4);
    assert_int_equal(nn_dataset_per_class(&d, 3, NULL, &a, err, sizeof err), 0);
    assert_int_equal(a.n, 12);
    for (int i = 0; i < 12; i++) assert_float_equal(a.x[2 * i], i, 0);   /* the first 3 of each */
    nn_rng r;
    nn_rng_seed(&r, 8);
    assert_int_equal(nn_dataset_per_class(&d, 5, &r, &b, err, sizeof err), 0);
    int count[4] = {0};
    for (int i = 0; i < b.n; i++) count[(int)b.y[i]]++;
    for (int c = 0; c < 4; c++) assert_int_equal(count[c], 5);
    for (int i = 1; i < b.n; i++) assert_true(b.x[2 * i] > b.x[2 * i - 2]);   /* dataset order kept */
    assert_each_once(&b, 40);
    nn_dataset e;
    assert_int_equal(nn_dataset_per_class(&d, 11, NULL, &e, err, sizeof err), -1);
    assert_err_has("class 0 has only 10 samples");
    nn_dataset_free(&a);
    nn_dataset_free(&b);
    nn_dataset_free(&d);
}

static void test_split_by_fraction(void **state)
{
    (void)state;
    nn_dataset d, a, b;
    make_indexed(&d, 10, 2);
    assert_int_equal(nn_dataset_split(&d, 0.8, NULL, &a, &b, err, sizeof err), 0);
    assert_int_equal(a.n, 8);
    assert_int_equal(b.n, 2);
    assert_float_equal(a.x[0], 0, 0);            /* unshuffled: head and tail */
    assert_float_equal(b.x[0], 8, 0);
    nn_dataset_free(&a);
    nn_dataset_free(&b);

    nn_rng r;
    nn_rng_seed(&r, 4);
    assert_int_equal(nn_dataset_split(&d, 0.34, &r, &a, &b, err, sizeof err), 0);
    assert_int_equal(a.n, 3);
    assert_int_equal(b.n, 7);
    nn_dataset both;
    assert_int_equal(nn_dataset_alloc(&both, 10, nn_shape1(2), 0, err, sizeof err), 0);
    memcpy(both.x, a.x, 6 * sizeof(float));
    memcpy(both.x + 6, b.x, 14 * sizeof(float));
    assert_each_once(&both, 10);                 /* a and b partition the dataset */
    int in_order = 1;
    for (int i = 1; i < 10; i++) in_order &= both.x[2 * i] > both.x[2 * i - 2];
    assert_false(in_order);                      /* and it was shuffled */
    nn_dataset_free(&both);
    nn_dataset_free(&a);
    nn_dataset_free(&b);

    assert_int_equal(nn_dataset_split(&d, 1.5, NULL, &a, &b, err, sizeof err), -1);
    assert_err_has("not in [0, 1]");
    nn_dataset_free(&d);
}

/* Runs one epoch; writes the sample order into order[] and batch sizes into sizes[]. */
static int run_epoch(nn_batcher *b, int *order, int *sizes)
{
    nn_batcher_start_epoch(b);
    float x[8 * 2], y[8];
    int k = 0, nb = nn_batcher_count(b);
    for (int i = 0; i < nb; i++) {
        int m = nn_batcher_fill(b, i, x, y);
        sizes[i] = m;
        for (int j = 0; j < m; j++) {
            assert_float_equal(y[j], ((int)x[2 * j] % 3), 0);   /* targets stay with their samples */
            order[k++] = (int)x[2 * j];
        }
    }
    return k;
}

static void test_batcher_visits_every_sample_once_per_epoch(void **state)
{
    (void)state;
    nn_dataset d;
    make_indexed(&d, 10, 3);
    nn_rng r;
    nn_rng_seed(&r, 1);
    nn_batcher b;
    assert_int_equal(nn_batcher_init(&b, &d, 4, 1, 0, &r), 0);
    assert_int_equal(nn_batcher_count(&b), 3);
    int order[2][10], sizes[3];
    for (int e = 0; e < 2; e++) {
        assert_int_equal(run_epoch(&b, order[e], sizes), 10);
        assert_int_equal(sizes[0], 4);
        assert_int_equal(sizes[1], 4);
        assert_int_equal(sizes[2], 2);           /* the last partial batch */
        int seen[10] = {0};
        for (int i = 0; i < 10; i++) seen[order[e][i]]++;
        for (int i = 0; i < 10; i++) assert_int_equal(seen[i], 1);
    }
    assert_memory_not_equal(order[0], order[1], sizeof order[0]);   /* a new order each epoch */
    float x[8];
    assert_int_equal(nn_batcher_fill(&b, 3, x, NULL), 0);
    nn_batcher_free(&b);
    nn_dataset_free(&d);
}

static void test_batcher_drop_last_and_no_shuffle(void **state)
{
    (void)state;
    nn_dataset d;
    make_indexed(&d, 10, 3);
    nn_batcher b;
    assert_int_equal(nn_batcher_init(&b, &d, 4, 0, 1, NULL), 0);
    assert_int_equal(nn_batcher_count(&b), 2);
    int order[10], sizes[3];
    assert_int_equal(run_epoch(&b, order, sizes), 8);
    for (int i = 0; i < 8; i++) assert_int_equal(order[i], i);
    nn_batcher_free(&b);
    assert_int_equal(nn_batcher_init(&b, &d, 0, 0, 0, NULL), -1);
    nn_dataset_free(&d);
}

static void test_batcher_same_seed_same_order_and_resume_continues_exactly(void **state)
{
    (void)state;
    nn_dataset d;
    make_indexed(&d, 10, 3);
    nn_rng r1, r2;
    nn_rng_seed(&r1, 21);
    nn_rng_seed(&r2, 21);
    nn_batcher a, b;
    assert_int_equal(nn_batcher_init(&a, &d, 3, 1, 0, &r1), 0);
    assert_int_equal(nn_batcher_init(&b, &d, 3, 1, 0, &r2), 0);
    int oa[4][10], ob[10], sizes[4];
    nn_rng saved;
    for (int e = 0; e < 4; e++) {
        run_epoch(&a, oa[e], sizes);
        if (e == 2) saved = a.epoch_rng;         /* a checkpoint taken during epoch 2 */
    }
    run_epoch(&b, ob, sizes);
    assert_memory_equal(oa[0], ob, sizeof ob);

    /* A fresh run resumed from the saved state replays epochs 2 and 3. */
    nn_batcher c;
    nn_rng r3;
    nn_rng_seed(&r3, 777);
    assert_int_equal(nn_batcher_init(&c, &d, 3, 1, 0, &r3), 0);
    nn_batcher_resume_epoch(&c, &saved);
    float x[6], y[3];
    for (int i = 0, k = 0; i < nn_batcher_count(&c); i++) {
        int m = nn_batcher_fill(&c, i, x, y);
        for (int j = 0; j < m; j++) assert_int_equal((int)x[2 * j], oa[2][k++]);
    }
    int oc[10];
    run_epoch(&c, oc, sizes);
    assert_memory_equal(oa[3], oc, sizeof oc);
    nn_batcher_free(&a);
    nn_batcher_free(&b);
    nn_batcher_free(&c);
    nn_dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_raw_images_and_labels_load_scaled_to_unit_range),
        cmocka_unit_test(test_idx_gzip_is_detected_by_content_not_name),
        cmocka_unit_test(test_idx_missing_path_falls_back_to_path_gz),
        cmocka_unit_test(test_idx_without_labels_is_unsupervised),
        cmocka_unit_test(test_idx_missing_file_names_it_and_hints_make_data),
        cmocka_unit_test(test_idx_truncated_raw_file_is_a_clear_error),
        cmocka_unit_test(test_idx_truncated_gzip_file_is_a_clear_error),
        cmocka_unit_test(test_idx_gzip_header_promising_more_than_the_file_can_hold_is_refused),
        cmocka_unit_test(test_idx_bad_magic_and_wrong_dims_are_rejected),
        cmocka_unit_test(test_idx_label_count_must_match_image_count),
        cmocka_unit_test(test_idx_trailing_bytes_are_rejected),
        cmocka_unit_test(test_csv_with_header_loads_labels_and_scaled_features),
        cmocka_unit_test(test_csv_numeric_first_row_is_data_when_auto),
        cmocka_unit_test(test_csv_bad_rows_fail_with_file_line_and_field),
        cmocka_unit_test(test_csv_reports_only_the_first_bad_rows_but_counts_all),
        cmocka_unit_test(test_csv_class_labels_must_be_whole_numbers),
        cmocka_unit_test(test_csv_label_column_options),
        cmocka_unit_test(test_csv_sample_shape_reshapes_features),
        cmocka_unit_test(test_csv_missing_file_and_empty_file),
        cmocka_unit_test(test_csv_labels_the_model_cannot_predict_are_named_by_line),
        cmocka_unit_test(test_csv_scan_counts_rows_and_classes_and_checks_labels),
        cmocka_unit_test(test_fifo_data_files_are_refused_at_once),
        cmocka_unit_test(test_function_grid_includes_both_ends),
        cmocka_unit_test(test_function_random_points_are_in_range_and_reproducible),
        cmocka_unit_test(test_function_noise_has_the_requested_std),
        cmocka_unit_test(test_function_undefined_values_and_bad_arguments_fail),
        cmocka_unit_test(test_points_parabola_lies_on_y_equals_x_squared),
        cmocka_unit_test(test_points_cube_and_gaussian_have_the_right_moments),
        cmocka_unit_test(test_points_same_seed_same_points),
        cmocka_unit_test(test_first_and_random_subsets),
        cmocka_unit_test(test_per_class_takes_exactly_n_of_each_class),
        cmocka_unit_test(test_split_by_fraction),
        cmocka_unit_test(test_batcher_visits_every_sample_once_per_epoch),
        cmocka_unit_test(test_batcher_drop_last_and_no_shuffle),
        cmocka_unit_test(test_batcher_same_seed_same_order_and_resume_continues_exactly),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
