/* t-SNE (nn/tsne.h): two well-separated Gaussian clusters in 50-D stay apart in 2-D (exact, and
 * Barnes-Hut on 5,000 points within a time limit on one core), one seed gives the same bytes,
 * the KL gradient agrees with finite differences, Barnes-Hut's repulsion with theta 0 is the
 * exact one (and close to it at 0.5), the joint P is a symmetric distribution, and a perplexity
 * too large for the points is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nn/rng.h"
#include "nn/tsne.h"

/* AddressSanitizer's build runs several times slower: a smaller Barnes-Hut case, no timing. */
#if defined(__SANITIZE_ADDRESS__)
enum { BIG_N = 1500, TIMED = 0 };
#else
enum { BIG_N = 5000, TIMED = 1 };
#endif

enum { D = 50 };

/* n points of D dimensions: the first half N(0, I), the second N(m, I) with |m| = 30 (pairs are
 * about 10 apart within a cluster, 32 across); labels 0 and 1. */
static float *two_clusters(int n, uint64_t seed, int *label)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    float m[D], *x = malloc((size_t)n * D * sizeof *x);
    double norm = 0;
    for (int k = 0; k < D; k++) m[k] = nn_rng_normal(&r), norm += (double)m[k] * m[k];
    for (int k = 0; k < D; k++) m[k] *= (float)(30 / sqrt(norm));
    for (int i = 0; i < n; i++) {
        label[i] = i >= n / 2;
        for (int k = 0; k < D; k++) x[(size_t)i * D + k] = nn_rng_normal(&r) + (label[i] ? m[k] : 0);
    }
    return x;
}

/* The share of points whose 5 nearest neighbours in the layout y (n x 2) carry their label. */
static double knn_accuracy(const float *y, const int *label, int n)
{
    enum { K = 5 };
    long same = 0;
    for (int i = 0; i < n; i++) {
        double best[K];
        int who[K];
        for (int k = 0; k < K; k++) best[k] = INFINITY, who[k] = -1;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1], d2 = dx * dx + dy * dy;
            int k = K;
            while (k > 0 && d2 < best[k - 1]) k--;
            if (k == K) continue;
            memmove(best + k + 1, best + k, (size_t)(K - 1 - k) * sizeof *best);
            memmove(who + k + 1, who + k, (size_t)(K - 1 - k) * sizeof *who);
            best[k] = d2, who[k] = j;
        }
        for (int k = 0; k < K; k++) same += label[who[k]] == label[i];
    }
    return (double)same / ((double)n * K);
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void test_two_clusters_stay_apart_exactly(void **state)
{
    (void)state;
    int n = 300, *label = malloc(n * sizeof *label);
    float *x = two_clusters(n, 3, label), *y = malloc(2 * (size_t)n * sizeof *y);
    nn_tsne_options o = nn_tsne_defaults();
    nn_tsne_result r;
    char err[256];
    assert_int_equal(nn_tsne(x, n, D, &o, y, &r, err, sizeof err), 0);
    assert_int_equal(r.exact, 1);
    assert_true(r.kl > 0 && r.kl < 3);
    assert_true(knn_accuracy(y, label, n) > 0.99);
    free(x), free(y), free(label);
}

/* Barnes-Hut on 5,000 points, timed in CPU seconds: t-SNE runs on one core. */
static void test_two_clusters_stay_apart_with_barnes_hut_on_5000_points_in_seconds(void **state)
{
    (void)state;
    int n = BIG_N, *label = malloc(n * sizeof *label);
    float *x = two_clusters(n, 4, label), *y = malloc(2 * (size_t)n * sizeof *y);
    nn_tsne_options o = nn_tsne_defaults();
    nn_tsne_result r;
    char err[256];
    double t0 = cpu_seconds();
    assert_int_equal(nn_tsne(x, n, D, &o, y, &r, err, sizeof err), 0);
    double seconds = cpu_seconds() - t0, acc = knn_accuracy(y, label, n);
    printf("t-SNE, Barnes-Hut: %d points of %d dimensions in %.1f s of CPU, KL %.3f, 5-NN accuracy %.4f\n", n, D, seconds,
           r.kl, acc);
    assert_int_equal(r.exact, 0);
    assert_true(acc > 0.99);
    if (TIMED) assert_true(seconds < 30);
    free(x), free(y), free(label);
}

/* The same seed gives the same bytes; another seed another layout (both methods). */
static void test_a_seed_gives_the_same_layout(void **state)
{
    (void)state;
    int n = 200, *label = malloc(n * sizeof *label);
    float *x = two_clusters(n, 5, label), *y[3];
    for (int bh = 0; bh < 2; bh++) {
        nn_tsne_options o = nn_tsne_defaults();
        o.iterations = 300;
        if (bh) o.exact_max_points = 0;   /* Barnes-Hut on few points */
        char err[256];
        for (int k = 0; k < 3; k++) {
            y[k] = malloc(2 * (size_t)n * sizeof *y[k]);
            o.seed = k < 2 ? 7 : 8;
            assert_int_equal(nn_tsne(x, n, D, &o, y[k], NULL, err, sizeof err), 0);
        }
        assert_memory_equal(y[0], y[1], 2 * (size_t)n * sizeof *y[0]);
        assert_memory_not_equal(y[0], y[2], 2 * (size_t)n * sizeof *y[0]);
        for (int k = 0; k < 3; k++) free(y[k]);
    }
    free(x), free(label);
}

/* A random joint P over n points: symmetric, zero diagonal, summing to 1. */
static double *random_joint(int n, nn_rng *r)
{
    double *P = calloc((size_t)n * n, sizeof *P), sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) P[i * n + j] = P[j * n + i] = nn_rng_uniform(r) + 0.01, sum += 2 * P[i * n + j];
    for (int k = 0; k < n * n; k++) P[k] /= sum;
    return P;
}

/* The KL gradient against central differences on 6 points. */
static void test_the_kl_gradient_matches_finite_differences(void **state)
{
    (void)state;
    enum { N = 6 };
    nn_rng r;
    nn_rng_seed(&r, 11);
    double *P = random_joint(N, &r), y[2 * N], grad[2 * N];
    for (int k = 0; k < 2 * N; k++) y[k] = nn_rng_normal(&r);
    double kl = nn_tsne_kl_exact(P, y, N, 1, grad);
    assert_true(kl > 0);
    for (int k = 0; k < 2 * N; k++) {
        double h = 1e-5, keep = y[k];
        y[k] = keep + h;
        double up = nn_tsne_kl_exact(P, y, N, 1, NULL);
        y[k] = keep - h;
        double down = nn_tsne_kl_exact(P, y, N, 1, NULL);
        y[k] = keep;
        double fd = (up - down) / (2 * h);
        if (fabs(fd - grad[k]) > 1e-7 + 1e-6 * fabs(fd)) fail_msg("coordinate %d: gradient %.10g, finite differences %.10g", k, grad[k], fd);
    }
    free(P);
}

/* The dense P as a sparse one (every off-diagonal entry). */
static nn_tsne_sparse sparse_of(const double *P, int n)
{
    nn_tsne_sparse s = {n, malloc((n + 1) * sizeof(int)), malloc((size_t)n * n * sizeof(int)), malloc((size_t)n * n * sizeof(double))};
    int e = 0;
    for (int i = 0; i < n; i++) {
        s.row[i] = e;
        for (int j = 0; j < n; j++)
            if (j != i) s.col[e] = j, s.val[e++] = P[i * n + j];
    }
    s.row[n] = e;
    return s;
}

/* Barnes-Hut with theta 0 opens every cell: the exact gradient and KL; at 0.5 close to them. */
static void test_barnes_hut_repulsion_is_exact_at_theta_0_and_close_at_one_half(void **state)
{
    (void)state;
    int n = 400;
    nn_rng r;
    nn_rng_seed(&r, 12);
    double *P = random_joint(n, &r), *y = malloc(2 * (size_t)n * sizeof *y), *g0 = malloc(6 * (size_t)n * sizeof *g0);
    double *g1 = g0 + 2 * n, *g2 = g0 + 4 * n;
    for (int k = 0; k < 2 * n; k++) y[k] = 5 * nn_rng_normal(&r);
    y[2] = y[0], y[3] = y[1];   /* two points at the same place share a leaf */
    nn_tsne_sparse s = sparse_of(P, n);
    double kl0 = nn_tsne_kl_exact(P, y, n, 4, g0), kl1 = nn_tsne_kl_barnes_hut(&s, y, 0, 4, g1), kl2 = nn_tsne_kl_barnes_hut(&s, y, 0.5, 4, g2);
    double gmax = 0, err1 = 0, err2 = 0;
    for (int k = 0; k < 2 * n; k++) {
        gmax = fmax(gmax, fabs(g0[k]));
        err1 = fmax(err1, fabs(g1[k] - g0[k]));
        err2 = fmax(err2, fabs(g2[k] - g0[k]));
    }
    assert_float_equal(kl1, kl0, 1e-9 * kl0);
    assert_true(err1 < 1e-9 * gmax);
    assert_true(err2 < 0.05 * gmax && err2 > 0);
    assert_float_equal(kl2, kl0, 0.01 * kl0);
    nn_tsne_sparse_free(&s);
    free(P), free(y), free(g0);
}

/* Both joints are symmetric distributions; the sparse one keeps 3 x perplexity neighbours. */
static void test_the_joint_p_is_a_symmetric_distribution(void **state)
{
    (void)state;
    int n = 120, *label = malloc(n * sizeof *label);
    float *x = two_clusters(n, 13, label);
    double *P = malloc((size_t)n * n * sizeof *P), sum = 0;
    char err[256];
    assert_int_equal(nn_tsne_joint_exact(x, n, D, 10, P, err, sizeof err), 0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            sum += P[i * n + j];
            assert_float_equal(P[i * n + j], P[j * n + i], 0);
        }
    assert_float_equal(sum, 1, 1e-12);
    nn_tsne_sparse s;
    assert_int_equal(nn_tsne_joint_sparse(x, n, D, 10, &s, err, sizeof err), 0);
    sum = 0;
    for (int i = 0; i < n; i++) {
        assert_true(s.row[i + 1] - s.row[i] >= 30);
        for (int e = s.row[i]; e < s.row[i + 1]; e++) {
            sum += s.val[e];
            assert_int_not_equal(s.col[e], i);
            if (e > s.row[i]) assert_true(s.col[e] > s.col[e - 1]);
        }
    }
    assert_float_equal(sum, 1, 1e-12);
    nn_tsne_sparse_free(&s);
    free(x), free(P), free(label);
}

static void test_a_perplexity_too_large_for_the_points_is_refused(void **state)
{
    (void)state;
    int n = 20, label[20];
    float *x = two_clusters(n, 14, label), y[40];
    nn_tsne_options o = nn_tsne_defaults();
    char err[256];
    assert_int_equal(nn_tsne(x, n, D, &o, y, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "perplexity 30"));
    o.perplexity = 5;
    assert_int_equal(nn_tsne(x, n, D, &o, y, NULL, err, sizeof err), 0);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_kl_gradient_matches_finite_differences),
        cmocka_unit_test(test_barnes_hut_repulsion_is_exact_at_theta_0_and_close_at_one_half),
        cmocka_unit_test(test_the_joint_p_is_a_symmetric_distribution),
        cmocka_unit_test(test_a_perplexity_too_large_for_the_points_is_refused),
        cmocka_unit_test(test_a_seed_gives_the_same_layout),
        cmocka_unit_test(test_two_clusters_stay_apart_exactly),
        cmocka_unit_test(test_two_clusters_stay_apart_with_barnes_hut_on_5000_points_in_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
