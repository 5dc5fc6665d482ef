/* recurrent_ref.h — what the LSTM and GRU tests share: a per-step reference in double over
 * three sequences with padding at the end, at the start and in the middle, and the check of a
 * fused layer's outputs and first-order gradients against it.
 *
 * Include it after defining N, T, H (sequences, steps, units) and NP (the reference's
 * parameter count: its inputs x, weights and biases concatenated), with _GNU_SOURCE defined
 * first (busy_core.h), then define
 *     static void reference_forward(const double *p, double *all, double *last);
 * which computes every step's output all (N,T,H) and the last real state last (N,H). */
#ifndef NNRUN_TEST_RECURRENT_REF_H
#define NNRUN_TEST_RECURRENT_REF_H
#include <math.h>
#include <omp.h>
#include "busy_core.h"
#include "graph_util.h"

/* Sequence 0 all real, 1 padded at the end, 2 padded at the start and in the middle. */
static const float mask_values[N * T] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1};

/* All parameters of the reference in one array, and the loss weights of the two outputs. */
typedef struct {
    double p[NP];
    double w_all[N * T * H], w_last[N * H];
} reference;

static void reference_forward(const double *p, double *all, double *last);

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* sum(all * w_all) + sum(last * w_last) at parameters p */
static double reference_loss(const reference *ref, const double *p)
{
    double all[N * T * H], last[N * H], l = 0;
    reference_forward(p, all, last);
    for (int i = 0; i < N * T * H; i++) l += all[i] * ref->w_all[i];
    for (int i = 0; i < N * H; i++) l += last[i] * ref->w_last[i];
    return l;
}

static void expect_close(float got, double want, double tol)
{
    if (fabs(got - want) > tol * (1 + fabs(want))) print_error("got %.8g want %.8g\n", got, want);
    assert_true(fabs(got - want) <= tol * (1 + fabs(want)));
}

static void copy_to_double(nn_graph *g, int id, double *to)
{
    for (size_t i = 0; i < nn_numel(g, id); i++) to[i] = nn_data(g, id)[i];
}

/* After a run of the graph: the layer's outputs all (N,T,H) and last (N,H) equal the
 * reference's at the same inputs wrt[0..n) (concatenated into the reference's parameters), and
 * the gradients gr[k] of L = sum(all * wa) + sum(last * wl) match central differences of the
 * double reference (error ~ eps^2). */
static void expect_layer_matches_reference(nn_graph *g, int all, int last, int wa, int wl, const int *wrt,
                                           const int *gr, int n)
{
    static reference ref;
    size_t at = 0;
    for (int in = 0; in < n; in++) {
        copy_to_double(g, wrt[in], ref.p + at);
        at += nn_numel(g, wrt[in]);
    }
    assert_int_equal(at, NP);
    copy_to_double(g, wa, ref.w_all);
    copy_to_double(g, wl, ref.w_last);
    double want_all[N * T * H], want_last[N * H];
    reference_forward(ref.p, want_all, want_last);
    for (int i = 0; i < N * T * H; i++) expect_close(nn_data(g, all)[i], want_all[i], 1e-5);
    for (int i = 0; i < N * H; i++) expect_close(nn_data(g, last)[i], want_last[i], 1e-5);
    const double eps = 1e-5;
    size_t k = 0;
    for (int in = 0; in < n; in++)
        for (size_t i = 0; i < nn_numel(g, wrt[in]); i++, k++) {
            double keep = ref.p[k];
            ref.p[k] = keep + eps;
            double up = reference_loss(&ref, ref.p);
            ref.p[k] = keep - eps;
            double down = reference_loss(&ref, ref.p);
            ref.p[k] = keep;
            expect_close(nn_data(g, gr[in])[i], (up - down) / (2 * eps), 1e-4);
        }
}

/* Builds L = sum(all * wa) + sum(last * wl) with random weights, its gradients for wrt[0..n),
 * runs them and copies all then last into out and the gradients, concatenated, into grads
 * (n_grads floats): what the 1- vs 2-thread comparison compares. */
static void run_outputs_and_gradients(nn_graph *g, nn_rng *r, int all, int last, const int *wrt, int n, float *out,
                                      float *grads, size_t n_grads)
{
    int wa = nn_test_input(g, g->nodes[all].shape, r, -1, 1), wl = nn_test_input(g, g->nodes[last].shape, r, -1, 1);
    int loss = nn_add(g, nn_sum(g, nn_mul(g, all, wa)), nn_sum(g, nn_mul(g, last, wl)));
    int gr[8], targets[10] = {all, last};
    assert_true(n <= 8);
    assert_int_equal(nn_grad(g, loss, wrt, n, gr), 0);
    for (int i = 0; i < n; i++) targets[2 + i] = gr[i];
    nn_plan *p = run(g, targets, 2 + n);
    memcpy(out, nn_data(g, all), nn_numel(g, all) * sizeof(float));
    memcpy(out + nn_numel(g, all), nn_data(g, last), nn_numel(g, last) * sizeof(float));
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        memcpy(grads + k, nn_data(g, gr[i]), nn_numel(g, gr[i]) * sizeof(float));
        k += nn_numel(g, gr[i]);
    }
    assert_int_equal(k, n_grads);
    nn_plan_free(p);
}

/* The inputs of a big masked batch for the thread-split checks: x (n, t, d) in [-1, 1),
 * W_ih (g, d) and W_hh (g, h) small, every 7th step (from the 4th) padding in the mask. */
typedef struct {
    int mask, x, wi, wh;
} big_batch;

static big_batch big_batch_make(nn_graph *g, nn_rng *r, int n, int t, int d, int gates, int h)
{
    big_batch b;
    b.mask = nn_input(g, nn_shape2(n, t), "mask");
    for (int i = 0; i < n * t; i++) nn_data(g, b.mask)[i] = (i % 7 == 3) ? 0.0f : 1.0f;
    b.x = nn_test_input(g, nn_shape3(n, t, d), r, -1, 1);
    b.wi = nn_test_input(g, nn_shape2(gates, d), r, -0.3f, 0.3f);
    b.wh = nn_test_input(g, nn_shape2(gates, h), r, -0.1f, 0.1f);
    return b;
}

/* run(threads, out, grads) builds and runs one big masked batch; on 1 and on 2 threads (the
 * sequences cut into slices) the outputs (n_out floats) and gradients (n_grads) must agree, and
 * on 2 threads, on 3 and beside a busy core be the same bits (the slices and every partial sum
 * are fixed by the shapes, whichever thread runs them). o1, o2, g1, g2: the caller's buffers
 * of those sizes. */
typedef void (*big_run_fn)(int threads, float *out, float *grads);
static void expect_same_on_any_threads(big_run_fn run_big, float *o1, float *o2, size_t n_out, float *g1, float *g2,
                                       size_t n_grads)
{
    int keep = omp_get_max_threads();
    run_big(1, o1, g1);
    run_big(2, o2, g2);
    for (size_t i = 0; i < n_out; i++) assert_float_equal(o1[i], o2[i], 1e-5);
    for (size_t i = 0; i < n_grads; i++) assert_float_equal(g1[i], g2[i], 1e-4 * (1 + fabsf(g1[i])));
    run_big(3, o1, g1);
    assert_memory_equal(o1, o2, n_out * sizeof *o1);
    assert_memory_equal(g1, g2, n_grads * sizeof *g1);
    pthread_t busy = busy_core_start();
    run_big(2, o1, g1);
    busy_core_stop(busy);
    assert_memory_equal(o1, o2, n_out * sizeof *o1);
    assert_memory_equal(g1, g2, n_grads * sizeof *g1);
    omp_set_num_threads(keep);
}

#endif
