/* attention_lookup, the data report of scaled dot-product attention on raw images, on tiny
 * MNIST-style IDX files the tests write: the weights are the softmax of the scaled dot products
 * (so they sum to 1, a query's twin gets the most, a temperature near 0 makes them one-hot), the
 * weighted sum is the sum of the sources so weighted, the mean weights' rows sum to 1 and match
 * their closed form, a seed gives the same draws; and the spec side: a data study parses,
 * refuses what reads a model, and `query` must be a class of the data (errors at file:line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "attention_lookup.h"
#include "tmpdir.h"
#include "spec_util.h"

/* ---- data ----------------------------------------------------------------------------------- */
enum { SIDE = 4, DIM = SIDE * SIDE };

static void put_be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* dir/train-images-idx3-ubyte and dir/train-labels-idx1-ubyte: n images of SIDE x SIDE, image i
 * of class labels[i] with pixels px[i * DIM ...]. */
static void write_idx(const char *dir, int n, const unsigned char *px, const unsigned char *labels)
{
    unsigned char *img = calloc(16 + (size_t)n * DIM, 1), *lab = calloc(8 + (size_t)n, 1);
    char path[256];
    assert_true(img && lab);
    img[2] = 0x08, img[3] = 3, lab[2] = 0x08, lab[3] = 1;
    put_be32(img + 4, (unsigned)n), put_be32(img + 8, SIDE), put_be32(img + 12, SIDE);
    put_be32(lab + 4, (unsigned)n);
    memcpy(img + 16, px, (size_t)n * DIM);
    memcpy(lab + 8, labels, (size_t)n);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    write_bytes(path, img, 16 + (size_t)n * DIM);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    write_bytes(path, lab, 8 + (size_t)n);
    free(img);
    free(lab);
}

static nn_dataset load(const char *dir)
{
    char ip[256], lp[256], err[256];
    nn_dataset ds;
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte", dir);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte", dir);
    if (nn_load_idx(ip, lp, &ds, err, sizeof err) < 0) print_error("%s\n", err);
    return ds;
}

/* K classes of `per` images each; in "twins" every image of class c is the same: 4 pixels
 * 4c..4c+3 at 255 (disjoint, so q.k = 4 on its class and 0 elsewhere); else pseudo-random grey
 * levels. */
enum { K = 4, PER = 6, N = K * PER };
static nn_dataset make_data(const char *dir, int twins)
{
    unsigned char px[N * DIM], labels[N];
    unsigned state = 12345;
    for (int i = 0; i < N; i++) {
        int c = i % K;
        labels[i] = (unsigned char)c;
        for (int p = 0; p < DIM; p++) {
            state = state * 1103515245u + 12345u;
            px[i * DIM + p] = twins ? (p / 4 == c ? 255 : 0) : (unsigned char)(state >> 16);
        }
    }
    write_idx(dir, N, px, labels);
    return load(dir);
}

static report_spec lookup_of(int query, float t0, float t1, int draws)
{
    report_spec r;
    memset(&r, 0, sizeof r);
    r.kind = REP_ATTENTION_LOOKUP;
    r.query = query, r.temperature[0] = t0, r.temperature[1] = t1, r.draws = draws;
    return r;
}

static void compute(const nn_dataset *ds, const report_spec *r, uint64_t seed, attention_lookup *a)
{
    char err[256] = "";
    int rc = attention_lookup_compute(ds, r, seed, a, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

/* The lookup of r's options on the grey or twins data, drawn with seed. */
typedef struct {
    nn_dataset ds;
    attention_lookup a;
} fixture;

static fixture lookup_on(int twins, int query, float t0, float t1, int draws, uint64_t seed)
{
    fixture f;
    f.ds = make_data(twins ? "twins" : "grey", twins);
    report_spec r = lookup_of(query, t0, t1, draws);
    compute(&f.ds, &r, seed, &f.a);
    return f;
}

static void fixture_free(fixture *f)
{
    attention_lookup_free(&f->a);
    nn_dataset_free(&f->ds);
}

/* softmax(q . k_j / (sqrt(D) t)) of the example, by hand in double */
static void hand_weights(const attention_lookup *a, float t, double *w)
{
    double mx = -INFINITY, z = 0;
    for (int j = 0; j < a->n_classes; j++) {
        double dot = 0;
        for (size_t p = 0; p < a->dim; p++) dot += (double)a->query[p] * a->sources[j * a->dim + p];
        w[j] = dot / (sqrt((double)a->dim) * t);
        if (w[j] > mx) mx = w[j];
    }
    for (int j = 0; j < a->n_classes; j++) z += (w[j] = exp(w[j] - mx));
    for (int j = 0; j < a->n_classes; j++) w[j] /= z;
}

/* ---- the example ---------------------------------------------------------------------------- */
static void test_the_weights_are_the_softmax_of_the_scaled_dot_products_and_sum_to_one(void **state)
{
    (void)state;
    fixture f = lookup_on(0, 2, 1.0f, 0.25f, 10, 7);
    const attention_lookup *a = &f.a;
    assert_int_equal(a->n_classes, K);
    assert_int_equal(a->dim, DIM);
    assert_int_equal(a->n_temps, 2);
    for (int t = 0; t < a->n_temps; t++) {
        double w[K], sum = 0;
        hand_weights(a, a->temperature[t], w);
        for (int j = 0; j < K; j++) {
            assert_float_equal(a->weights[t * K + j], w[j], 1e-5);
            sum += a->weights[t * K + j];
        }
        assert_float_equal(sum, 1.0, 1e-5);
    }
    /* the sources are one of each class, the query of its class and not its class's source */
    for (int c = 0; c < K; c++) assert_int_equal((int)f.ds.y[a->source_rows[c]], c);
    assert_int_equal((int)f.ds.y[a->query_row], 2);
    assert_int_not_equal(a->query_row, a->source_rows[2]);
    assert_memory_equal(a->query, f.ds.x + (size_t)a->query_row * DIM, DIM * sizeof(float));
    fixture_free(&f);
}

static void test_the_weighted_sum_is_the_sources_weighted(void **state)
{
    (void)state;
    fixture f = lookup_on(0, 1, 0.5f, 2.0f, 10, 3);
    const attention_lookup *a = &f.a;
    for (int t = 0; t < a->n_temps; t++)
        for (size_t p = 0; p < a->dim; p++) {
            double want = 0;
            for (int j = 0; j < K; j++) want += (double)a->weights[t * K + j] * a->sources[j * a->dim + p];
            assert_float_equal(a->sum[t * a->dim + p], want, 1e-5);
        }
    fixture_free(&f);
}

/* Images of a class are the same: the query equals its class's source, and gets the most weight. */
static void test_a_query_identical_to_a_source_weighs_it_most(void **state)
{
    (void)state;
    for (int q = 0; q < K; q++) {
        fixture f = lookup_on(1, q, 1.0f, 0.3f, 5, 11);
        const attention_lookup *a = &f.a;
        assert_memory_equal(a->query, a->sources + (size_t)q * DIM, DIM * sizeof(float));
        for (int t = 0; t < a->n_temps; t++)
            for (int j = 0; j < K; j++)
                if (j != q) assert_true(a->weights[t * K + q] > a->weights[t * K + j]);
        fixture_free(&f);
    }
}

static void test_a_temperature_near_zero_makes_the_weights_one_hot(void **state)
{
    (void)state;
    fixture f = lookup_on(0, 3, 1e-4f, 0, 10, 5);
    double w[K];
    hand_weights(&f.a, 1.0f, w);   /* the largest dot product wins */
    int best = 0;
    for (int j = 1; j < K; j++)
        if (w[j] > w[best]) best = j;
    for (int j = 0; j < K; j++) assert_float_equal(f.a.weights[j], j == best ? 1.0 : 0.0, 1e-6);
    fixture_free(&f);
}

/* ---- the mean weights ------------------------------------------------------------------------- */
static void test_the_mean_weights_rows_sum_to_one(void **state)
{
    (void)state;
    fixture f = lookup_on(0, 0, 1.0f, 0.1f, 250, 9);   /* 3 runs of the graph, the last one partial */
    const attention_lookup *a = &f.a;
    for (int t = 0; t < a->n_temps; t++) {
        double diag = 0;
        for (int q = 0; q < K; q++) {
            double s = 0;
            for (int c = 0; c < K; c++) s += a->mean_weights[(t * K + q) * K + c];
            assert_float_equal(s, 1.0, 1e-5);
            diag += a->mean_weights[(t * K + q) * K + q];
        }
        assert_float_equal(a->diagonal[t], diag / K, 1e-6);
    }
    fixture_free(&f);
}

/* Twins: every draw gives scores 1/t on the query's class (q.k = 4 over sqrt(16)) and 0 on the
 * others, so every row's mean is e^(1/t) / (e^(1/t) + K - 1) on its class. */
static void test_the_mean_weights_of_twins_have_their_closed_form(void **state)
{
    (void)state;
    fixture f = lookup_on(1, 0, 1.0f, 0.5f, 30, 1);
    const attention_lookup *a = &f.a;
    for (int t = 0; t < a->n_temps; t++) {
        double e = exp(1.0 / a->temperature[t]), on = e / (e + K - 1), off = 1.0 / (e + K - 1);
        for (int q = 0; q < K; q++)
            for (int c = 0; c < K; c++) assert_float_equal(a->mean_weights[(t * K + q) * K + c], q == c ? on : off, 1e-5);
        assert_float_equal(a->diagonal[t], on, 1e-5);
    }
    fixture_free(&f);
}

static void test_a_seed_gives_the_same_draws_and_another_seed_others(void **state)
{
    (void)state;
    fixture x = lookup_on(0, 1, 1.0f, 0.2f, 40, 4), y = lookup_on(0, 1, 1.0f, 0.2f, 40, 4), z = lookup_on(0, 1, 1.0f, 0.2f, 40, 5);
    const attention_lookup *a = &x.a, *b = &y.a, *c = &z.a;
    assert_int_equal(a->query_row, b->query_row);
    assert_memory_equal(a->source_rows, b->source_rows, sizeof a->source_rows);
    assert_memory_equal(a->weights, b->weights, 2 * K * sizeof(float));
    assert_memory_equal(a->sum, b->sum, 2 * DIM * sizeof(float));
    assert_memory_equal(a->mean_weights, b->mean_weights, 2 * K * K * sizeof(float));
    assert_true(memcmp(a->mean_weights, c->mean_weights, 2 * K * K * sizeof(float)) != 0);
    fixture_free(&x);
    fixture_free(&y);
    fixture_free(&z);
}

static void test_a_class_with_one_sample_is_refused_naming_it(void **state)
{
    (void)state;
    unsigned char px[5 * DIM] = {0}, labels[5] = {0, 1, 0, 1, 2};
    write_idx("lonely", 5, px, labels);
    nn_dataset ds = load("lonely");
    report_spec r = lookup_of(0, 1.0f, 0, 10);
    attention_lookup a;
    char err[256] = "";
    assert_int_equal(attention_lookup_compute(&ds, &r, 1, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "class 2 has 1 sample in the data"));
    nn_dataset_free(&ds);
}

/* ---- the spec ----------------------------------------------------------------------------------- */
static void expect_messages(const char *text, const char *want)
{
    write_file("study.yaml", text);
    char *got = spec_check_messages("study.yaml", NULL, 0);
    if (!strstr(got, want)) print_error("expected\n  %s\nin:\n%s", want, got);
    assert_non_null(strstr(got, want));
    free(got);
}

#define STUDY_DATA "data: {train: {dataset: mnist, path: twins}}\n"

static void test_a_data_study_parses_with_its_defaults(void **state)
{
    (void)state;
    write_file("study.yaml", STUDY_DATA "report: [attention_lookup]\n");
    char *got = spec_check_messages("study.yaml", NULL, 0);
    assert_string_equal(got, "");
    free(got);
    diag d;
    diag_init(&d);
    spec *s = spec_load("study.yaml", NULL, 0, &d);
    assert_non_null(s);
    assert_int_equal(s->n_nets, 0);
    assert_int_equal(s->n_groups, 0);
    assert_int_equal(s->n_steps, 0);
    assert_int_equal(s->reports[0].query, 5);
    assert_int_equal(attention_lookup_temperatures(&s->reports[0]), 1);
    assert_true(s->reports[0].temperature[0] == 1.0f);
    assert_int_equal(s->reports[0].draws, 1000);
    spec_free(s);
    diag_free(&d);
}

static void test_a_data_study_refuses_what_reads_a_model_at_its_line(void **state)
{
    (void)state;
    expect_messages(STUDY_DATA "report:\n  - attention_lookup\n  - reconstructions\n",
                    "study.yaml:4:5: error: the spec has no model: only data reports (attention_lookup) run without one, and "
                    "reconstructions reads a model");
    expect_messages(STUDY_DATA "train: {epochs: 2}\nreport: [attention_lookup]\n",
                    "study.yaml:2:1: error: 'train' needs a network, and the spec has no 'model:' (or 'nets:')");
    expect_messages(STUDY_DATA "loss: {mse: {pred: out}}\nreport: [attention_lookup]\n",
                    "study.yaml:2:1: error: 'loss' needs a network");
    expect_messages(STUDY_DATA, "study.yaml:1:1: error: the spec has no model: add 'model:' (or 'nets:') and a loss, or make it "
                                "a data study by asking for data reports (attention_lookup)");
}

static void test_the_query_must_be_a_class_of_the_data(void **state)
{
    (void)state;
    expect_messages(STUDY_DATA "report:\n  - attention_lookup: {query: 12}\n",
                    "study.yaml:3:5: error: attention_lookup: query 12 is not a class of the data (its classes are 0..9)");
    expect_messages(STUDY_DATA "report:\n  - attention_lookup: {temperature: [1, 0.5, 0.2, 0.1, 0.05]}\n",
                    "study.yaml:3:37: error: temperature is a number or a list of 1 to 4 numbers");
    expect_messages(STUDY_DATA "report:\n  - attention_lookup: {temperature: 0}\n", "study.yaml:3:37: error: temperature");
    expect_messages("data: {train: {dataset: function, expr: \"x\"}}\nreport: [attention_lookup]\n",
                    "study.yaml:2:10: error: attention_lookup draws one source per class: it needs data with one class id per "
                    "sample and 2 to 20 classes (this data has 0)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_weights_are_the_softmax_of_the_scaled_dot_products_and_sum_to_one),
        cmocka_unit_test(test_the_weighted_sum_is_the_sources_weighted),
        cmocka_unit_test(test_a_query_identical_to_a_source_weighs_it_most),
        cmocka_unit_test(test_a_temperature_near_zero_makes_the_weights_one_hot),
        cmocka_unit_test(test_the_mean_weights_rows_sum_to_one),
        cmocka_unit_test(test_the_mean_weights_of_twins_have_their_closed_form),
        cmocka_unit_test(test_a_seed_gives_the_same_draws_and_another_seed_others),
        cmocka_unit_test(test_a_class_with_one_sample_is_refused_naming_it),
        cmocka_unit_test(test_a_data_study_parses_with_its_defaults),
        cmocka_unit_test(test_a_data_study_refuses_what_reads_a_model_at_its_line),
        cmocka_unit_test(test_the_query_must_be_a_class_of_the_data),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
