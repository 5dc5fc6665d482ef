/* A first layer's convolution, activation and 2x2 max pool as one op (conv2d_maxpool,
 * op_conv_pool.c), and any convolution's gradients through a 2x2 max pool taken from the pooled
 * gradient (op_conv_pooled.c).
 * The fused op: the same values and gradients as conv2d, the activation and maxpool2d one after
 * another, over the geometries the kernel takes (odd sizes whose last row and column no window
 * covers, a channel count that is not a multiple of its 4-channel blocks, 5x5 kernels, the most
 * taps it takes, no bias), in one group of images and in many, on one thread and on two; the
 * shapes it refuses; and a spec's conv + maxpool built as it only when nothing else reads the
 * convolution.
 * The pooled gradients: the dense gradients of max_route's output, at every instruction set
 * level, over channel counts that are not whole blocks, 5x5 and 3x2 kernels, stride 2; built
 * only when the pool is the output's one reader.
 * Finite-difference checks of first and second order are in test_gradcheck.c (the registry's
 * fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include "graph_util.h"
#include "spec_util.h"
#include "tmpdir.h"
#include "nn/runtime.h"
#include "../runtime/core/kernel_isa.h"
#include "../runtime/kernels/conv_lower.h"
#include "../interpreter/out/model_layers.h"

typedef struct {
    int n, c, h, w, f, k, pad, bias;
    nn_fused_act act;
} case_t;

static const nn_fused_act selu = {NN_FUSED_ELU, NN_SELU_ALPHA, NN_SELU_SCALE};
static const nn_fused_act relu = {NN_FUSED_LEAKY_RELU, 0.0f, 0.0f};
static const nn_fused_act leaky = {NN_FUSED_LEAKY_RELU, 0.2f, 0.0f};
static const nn_fused_act none = {NN_FUSED_NONE, 0.0f, 0.0f};

static const case_t cases[] = {
    {6, 1, 28, 28, 16, 3, 1, 1, selu},    /* the CNN autoencoder's first layer */
    {5, 1, 13, 11, 6, 5, 2, 1, relu},     /* odd sizes, 6 channels: a block of 4 and one of 2 */
    {3, 3, 9, 7, 5, 3, 0, 0, leaky},      /* 27 taps, no padding: 7x5 -> 3x2, no bias */
    {4, 4, 8, 8, 4, 3, 1, 1, none},       /* 36 taps, the most the kernel takes */
};

/* max |a - b| relative to max |b| */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

/* y = the case's pooled output, fused or as three ops, and the gradients of sum(y * r) w.r.t.
 * x, w and b into out[0..3] (each numel floats; b's only with a bias). */
static void run_case(const case_t *t, int fused, float *out[4])
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 11);
    int x = nn_test_input(g, nn_shape4(t->n, t->c, t->h, t->w), &r, -1, 1);
    int w = nn_test_input(g, nn_shape4(t->f, t->c, t->k, t->k), &r, -0.5f, 0.5f);
    int b = t->bias ? nn_test_input(g, nn_shape1(t->f), &r, -0.3f, 0.3f) : -1;
    int conv = nn_conv2d_act(g, x, w, b, 1, t->pad, t->pad, t->act);
    assert_int_equal(nn_conv2d_maxpool_fits(g, conv, 2, 2, 0), 1);
    int y = fused ? nn_conv2d_maxpool(g, conv) : nn_maxpool2d(g, conv, 2, 2, 0);
    int rw = nn_test_input(g, g->nodes[y].shape, &r, -1, 1);
    int wrt[3] = {x, w, b}, grads[3], targets[4] = {y};
    assert_int_equal(nn_grad(g, nn_sum(g, nn_mul(g, y, rw)), wrt, t->bias ? 3 : 2, grads), 0);
    for (int k = 0; k < (t->bias ? 3 : 2); k++) targets[1 + k] = grads[k];
    nn_plan *p = run(g, targets, t->bias ? 4 : 3);
    for (int k = 0; k < (t->bias ? 4 : 3); k++) {
        size_t n = nn_numel(g, targets[k]);
        out[k] = malloc(n * sizeof(float));
        memcpy(out[k], nn_data(g, targets[k]), n * sizeof(float));
    }
    nn_plan_free(p);
    nn_graph_free(g);
}

static void expect_fused_equals_three_ops(const case_t *t)
{
    float *f[4] = {0}, *s[4] = {0};
    run_case(t, 1, f);
    run_case(t, 0, s);
    int ph = (t->h + 2 * t->pad - t->k + 1) / 2, pw = (t->w + 2 * t->pad - t->k + 1) / 2;
    size_t pooled = (size_t)t->n * t->f * ph * pw;
    size_t sizes[4] = {pooled, (size_t)t->n * t->c * t->h * t->w, (size_t)t->f * t->c * t->k * t->k, (size_t)t->f};
    /* the forward: the same maxima; selu's exp rounds alike at the maximum, applied before or after */
    double dy = rel_diff(f[0], s[0], sizes[0]);
    if (dy >= 1e-6) print_error("case %dx%dx%d k %d: the outputs differ by %g\n", t->c, t->h, t->w, t->k, dy);
    assert_true(dy < 1e-6);
    for (int k = 1; k < (t->bias ? 4 : 3); k++) {
        double d = rel_diff(f[k], s[k], sizes[k]);
        if (d >= 1e-5) print_error("case %dx%dx%d k %d: gradient %d differs by %g\n", t->c, t->h, t->w, t->k, k, d);
        assert_true(d < 1e-5);   /* the weight gradient sums in another order */
    }
    for (int k = 0; k < 4; k++) free(f[k]), free(s[k]);
}

static void test_fused_op_equals_conv_activation_and_maxpool(void **state)
{
    (void)state;
    size_t keep = nn_conv_chunk_floats;
    int threads = omp_get_max_threads();
    for (int split = 0; split < 2; split++) {
        nn_conv_chunk_floats = split ? 1 : keep;   /* one image per group: many groups, partial sums */
        for (int th = 1; th <= 2; th++) {
            omp_set_num_threads(th);
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_fused_equals_three_ops(&cases[i]);
        }
    }
    omp_set_num_threads(threads);
    nn_conv_chunk_floats = keep;
}

/* ---- a convolution's gradients through a 2x2 max pool (conv2d_wgrad_pooled,
 * conv_transpose2d_pooled): against the dense gradients of max_route's output ---- */

typedef struct {
    int n, c, h, w, f, kh, kw, stride, pad;
} pooled_case;

static const pooled_case pooled_cases[] = {
    {5, 16, 14, 14, 32, 3, 3, 1, 1},   /* the CNN autoencoder's second layer */
    {3, 20, 9, 11, 7, 3, 3, 1, 0},     /* 20 channels: a block of 16 and one of 4 zeros; 7x9 -> 3x4 */
    {2, 3, 12, 10, 5, 5, 5, 1, 2},     /* 25 taps: three groups of 9, the last padded */
    {4, 6, 15, 13, 4, 3, 2, 2, 1},     /* stride 2, a 3x2 kernel: 8x7 -> 4x3 */
};

/* dw and dx of the case's convolution through a 2x2 pool of its output z, pooled (the ops) or
 * dense (max_route, then conv2d_wgrad and conv_transpose2d), for the pooled gradient h */
static void pooled_grads(const pooled_case *t, int pooled, float **dw, float **dx)
{
    nn_graph *g = nn_graph_new(1);
    nn_rng r;
    nn_rng_seed(&r, 21);
    int x = nn_test_input(g, nn_shape4(t->n, t->c, t->h, t->w), &r, -1, 1);
    int w = nn_test_input(g, nn_shape4(t->f, t->c, t->kh, t->kw), &r, -1, 1);
    int z = nn_conv2d(g, x, w, -1, t->stride, t->pad, t->pad);
    const nn_shape zs = g->nodes[z].shape;
    int h = nn_test_input(g, nn_shape4(t->n, t->f, zs.d[2] / 2, zs.d[3] / 2), &r, -1, 1);
    int oph = t->h - ((zs.d[2] - 1) * t->stride - 2 * t->pad + t->kh), opw = t->w - ((zs.d[3] - 1) * t->stride - 2 * t->pad + t->kw);
    nn_attrs wa = {.i = {t->stride, t->pad, t->pad, t->kh, t->kw}}, da = {.i = {t->stride, t->pad, t->pad, oph, opw}};
    int targets[2];
    if (pooled) {
        targets[0] = nn_op_named(g, "conv2d_wgrad_pooled", (int[]){x, z, h}, 3, &wa);
        targets[1] = nn_op_named(g, "conv_transpose2d_pooled", (int[]){z, h, w}, 3, &da);
    } else {
        int route = nn_op_named(g, "max_route", (int[]){z, h}, 2, &(nn_attrs){.i = {2, 2, 0}});
        targets[0] = nn_op_named(g, "conv2d_wgrad", (int[]){x, route}, 2, &wa);
        targets[1] = nn_conv_transpose2d(g, route, w, -1, t->stride, t->pad, t->pad, oph, opw);
    }
    nn_plan *p = run(g, targets, 2);
    size_t nw = nn_numel(g, targets[0]), nx = nn_numel(g, targets[1]);
    assert_int_equal(nx, (size_t)t->n * t->c * t->h * t->w);
    *dw = malloc(nw * sizeof(float));
    *dx = malloc(nx * sizeof(float));
    memcpy(*dw, nn_data(g, targets[0]), nw * sizeof(float));
    memcpy(*dx, nn_data(g, targets[1]), nx * sizeof(float));
    nn_plan_free(p);
    nn_graph_free(g);
}

static void test_pooled_gradients_equal_the_dense_ones_of_the_route(void **state)
{
    (void)state;
    size_t keep = nn_conv_chunk_floats;
    int threads = omp_get_max_threads(), isa = nn_isa();
    for (int level = 0; level <= nn_isa_best(); level++) {
        assert_int_equal(nn_isa_use(level), 0);
        for (int split = 0; split < 2; split++) {
            nn_conv_chunk_floats = split ? 1 : keep;
            omp_set_num_threads(split ? 2 : 1);
            for (size_t i = 0; i < sizeof pooled_cases / sizeof pooled_cases[0]; i++) {
                const pooled_case *t = &pooled_cases[i];
                float *pw, *px, *dw, *dx;
                pooled_grads(t, 1, &pw, &px);
                pooled_grads(t, 0, &dw, &dx);
                double ew = rel_diff(pw, dw, (size_t)t->f * t->c * t->kh * t->kw), ex = rel_diff(px, dx, (size_t)t->n * t->c * t->h * t->w);
                if (ew >= 1e-5 || ex >= 1e-5)
                    print_error("%s, case %zu: dw differs by %g, dx by %g\n", nn_isa_name(level), i, ew, ex);
                assert_true(ew < 1e-5 && ex < 1e-5);
                free(pw), free(px), free(dw), free(dx);
            }
        }
    }
    assert_int_equal(nn_isa_use(isa), 0);
    omp_set_num_threads(threads);
    nn_conv_chunk_floats = keep;
}

/* conv2d's backward takes them when its output's only reader is a 2x2 max pool and its input's
 * channels fill more than half of their blocks of 16 */
static int count_ops(const nn_graph *g, int from, const char *op)
{
    int n = 0;
    for (int i = from; i < g->n; i++) n += g->nodes[i].kind == NN_NODE_OP && strcmp(nn_op_def_at(g->nodes[i].op)->name, op) == 0;
    return n;
}

static void test_a_pooled_convolution_takes_its_gradients_from_the_pooled_one(void **state)
{
    (void)state;
    for (int variant = 0; variant < 4; variant++) {
        nn_graph *g = nn_graph_new(1);
        nn_rng r;
        nn_rng_seed(&r, 3);
        int c = variant == 3 ? 8 : 9;   /* variant 3: 8 channels, half of a block */
        int x = nn_test_input(g, nn_shape4(2, c, 8, 8), &r, -1, 1), w = nn_test_input(g, nn_shape4(8, c, 3, 3), &r, -1, 1);
        int b = nn_test_input(g, nn_shape1(8), &r, -1, 1);
        int z = nn_conv2d_act(g, x, w, b, 1, 1, 1, (nn_fused_act){NN_FUSED_LEAKY_RELU, 0.1f, 0.0f});
        int y = nn_maxpool2d(g, z, variant == 1 ? 3 : 2, 2, 0);   /* variant 1: another pool */
        int loss = nn_sum(g, y);
        if (variant == 2) loss = nn_add(g, loss, nn_sum(g, z));   /* variant 2: z read twice */
        int first = g->n, grads[3];
        assert_int_equal(nn_grad(g, loss, (int[]){x, w, b}, 3, grads), 0);
        int pooled = variant == 0;
        assert_int_equal(count_ops(g, first, "conv2d_wgrad_pooled"), pooled);
        assert_int_equal(count_ops(g, first, "conv_transpose2d_pooled"), pooled);
        assert_int_equal(g->nodes[g->nodes[grads[2]].in[0]].shape.d[2], pooled ? 4 : 8);   /* db: from h itself */
        nn_graph_free(g);
    }
}

/* ---- what it refuses ---- */

static void expect_error(nn_graph *g, int id, const char *want)
{
    assert_int_equal(id, -1);
    if (!strstr(g->err, want)) fail_msg("wanted \"%s\" in: %s", want, g->err);
    g->err[0] = 0;
}

static void test_fused_op_refuses_what_its_kernel_does_not_run(void **state)
{
    (void)state;
    nn_graph *g = nn_graph_new(1);
    int x = nn_input(g, nn_shape4(2, 1, 8, 8), "x"), w = nn_input(g, nn_shape4(4, 1, 3, 3), "w");
    int wide = nn_input(g, nn_shape4(4, 5, 3, 3), "w5"), x5 = nn_input(g, nn_shape4(2, 5, 8, 8), "x5");
    int tiny = nn_input(g, nn_shape4(2, 1, 3, 3), "tiny");
    nn_attrs a = {.i = {1, 1, 1}};
    /* what nn_conv2d_maxpool_fits says no to */
    assert_int_equal(nn_conv2d_maxpool_fits(g, nn_conv2d(g, x, w, -1, 2, 1, 1), 2, 2, 0), 0);   /* stride 2 */
    assert_int_equal(nn_conv2d_maxpool_fits(g, nn_conv2d(g, x5, wide, -1, 1, 1, 1), 2, 2, 0), 0);   /* 45 taps */
    assert_int_equal(nn_conv2d_maxpool_fits(g, nn_conv2d(g, tiny, w, -1, 1, 0, 0), 2, 2, 0), 0);   /* 1x1 output */
    int ok = nn_conv2d(g, x, w, -1, 1, 1, 1);
    assert_int_equal(nn_conv2d_maxpool_fits(g, ok, 3, 2, 0), 0);
    assert_int_equal(nn_conv2d_maxpool_fits(g, ok, 2, 1, 0), 0);
    assert_int_equal(nn_conv2d_maxpool_fits(g, ok, 2, 2, 1), 0);
    assert_int_equal(nn_conv2d_maxpool_fits(g, nn_relu(g, ok), 2, 2, 0), 0);   /* not a conv2d node */
    assert_int_equal(nn_conv2d_maxpool_fits(g, ok, 2, 2, 0), 1);
    expect_error(g, nn_conv2d_maxpool(g, nn_relu(g, ok)), "not a convolution");
    /* the ops themselves */
    expect_error(g, nn_op_named(g, "conv2d_maxpool", (int[]){x5, wide}, 2, &a), "at most 36 taps");
    expect_error(g, nn_op_named(g, "conv2d_maxpool", (int[]){x, w}, 2, &(nn_attrs){.i = {2, 1, 1}}), "stride 2");
    expect_error(g, nn_op_named(g, "conv2d_maxpool", (int[]){tiny, w}, 2, &(nn_attrs){.i = {1, 0, 0}}),
                 "smaller than one 2x2 pooling window");
    expect_error(g, nn_op_named(g, "conv2d_maxpool", (int[]){x, wide}, 2, &a), "channels");
    expect_error(g, nn_op_named(g, "conv2d_maxpool", &x, 1, &a), "got 1 inputs");
    int gp = nn_input(g, nn_shape4(2, 4, 3, 4), "gp");
    expect_error(g, nn_op_named(g, "conv_maxpool_wgrad", (int[]){x, gp, w}, 3, &a), "must have shape [2, 4, 4, 4]");
    nn_graph_free(g);
}

/* ---- a spec's conv + maxpool ---- */

/* A model of 12x12 images: conv `first` (its options), maxpool, then a dense layer. */
static spec_model model_with(const char *first, const char *then)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: cp\n"
             "data: {train: {dataset: points, points: gaussian, n: 16, dim: 144}}\n"
             "model:\n"
             "  input: [1, 12, 12]\n"
             "  layers:\n"
             "    - {conv: {filters: 4, kernel: 3, pad: same}%s}\n"
             "    - %s\n"
             "    - flatten\n"
             "    - {dense: 144, name: out}\n"
             "loss: {mse: {pred: out, target: input}}\n"
             "train: {batch: 8}\n",
             first, then);
    write_file("cp.yaml", yaml);
    return spec_model_build("cp.yaml", 8, 1);
}

static int count_op(const model_graph *m, const char *op)
{
    int n = 0;
    for (int i = 0; i < m->g->n; i++)
        n += m->g->nodes[i].kind == NN_NODE_OP && strcmp(nn_op_def_at(m->g->nodes[i].op)->name, op) == 0;
    return n;
}

static void test_a_first_conv_and_its_pool_are_built_as_one_op(void **state)
{
    (void)state;
    spec_model b = model_with(", act: relu", "maxpool: 2");
    const net_call *c = &b.m->calls[0];
    const nn_node *y = &b.m->g->nodes[c->out[1]];
    assert_string_equal(nn_op_def_at(y->op)->name, "conv2d_maxpool");
    assert_string_equal(y->label, b.m->g->nodes[c->out[0]].label);   /* the convolution's */
    assert_int_equal(count_op(b.m, "conv_maxpool_wgrad"), 1);
    /* the summary counts the fused op once, under the convolution, and nothing for the pool */
    assert_true(fabs(layer_forward_flops(b.m, c, 0) - nn_node_flops(b.m->g, y)) < 1);
    assert_true(layer_forward_flops(b.m, c, 1) == 0);
    spec_model_free(&b);
    /* a named convolution (another layer or a figure may read it), another pool, an activation
     * the convolution does not apply itself: three ops */
    const char *kept[][2] = {{", act: relu, name: c1", "maxpool: 2"}, {", act: relu", "{maxpool: 3}"}, {", act: tanh", "maxpool: 2"}};
    for (int k = 0; k < 3; k++) {
        b = model_with(kept[k][0], kept[k][1]);
        assert_int_equal(count_op(b.m, "conv2d_maxpool"), 0);
        assert_int_equal(count_op(b.m, "maxpool2d"), 1);
        spec_model_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_op_equals_conv_activation_and_maxpool),
        cmocka_unit_test(test_fused_op_refuses_what_its_kernel_does_not_run),
        cmocka_unit_test(test_pooled_gradients_equal_the_dense_ones_of_the_route),
        cmocka_unit_test(test_a_pooled_convolution_takes_its_gradients_from_the_pooled_one),
        cmocka_unit_test(test_a_first_conv_and_its_pool_are_built_as_one_op),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
