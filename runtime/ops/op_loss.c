/* Losses -> (1), their dedicated gradient ops, scale and one_hot.
 *   mse, l1, bce_with_logits: pred and target of the same shape (N, ...); attrs i[0] = reduce:
 *     NN_REDUCE_MEAN (over all elements, PyTorch's default), NN_REDUCE_SUM_PER_SAMPLE (sum / N),
 *     NN_REDUCE_SUM.
 *   cross_entropy: logits (N, C) or (N, T, C), labels (N) or (N, T) of class ids stored as
 *     floats -> the loss of every row (sample, or sample and time step: a sequence model's
 *     per-step loss) reduced: attrs i[0] = reduce (the mean over the rows counted, sum / N or
 *     the sum), i[1] = whether rows labelled i[2] are ignored (no loss, no gradient, not
 *     counted: padding). An invalid label (negative, >= C, not an integer, NaN) is not reported
 *     at run time: it makes the loss (and its gradient row) NaN, which the trainer's NaN check
 *     stops on.
 *   one_hot: labels (N) or (N, T) -> (N, C) or (N, T, C); an invalid label gives a row of NaN
 *     for the same reason.
 * Labels are marked no_grad by the ops themselves. */
#include "../kernels/ew_util.h"
#include "../kernels/fastmath/kern.h"
#include "op_list.h"
#include "../core/parallel.h"
#include <math.h>

static int in_k(nn_graph *g, int id, int k) { return g->nodes[id].in[k]; }
static const nn_shape *shape_of(nn_graph *g, int id) { return &g->nodes[id].shape; }

/* The loops below run on the pool, in chunks (parallel.h); sums keep a partial per chunk. */
typedef struct {
    const float *p, *t;   /* scale: x in p */
    float *y;
    float c;
} loss_ctx;

NN_PAR_CHUNK_FN(scale_chunk, loss_ctx, c, i, c->y[i] = c->c * c->p[i];)
NN_PAR_SUM_FN(sq_error_chunk, loss_ctx, c, i, s, {
    float d = c->p[i] - c->t[i];
    s += (double)(d * d);
})
NN_PAR_SUM_FN(abs_error_chunk, loss_ctx, c, i, s, s += (double)fabsf(c->p[i] - c->t[i]);)

/* Class id held in a float, or -1 if v is not an integer in [0, classes). */
static int label_index(float v, int classes)
{
    if (!(v >= 0.0f && v < (float)classes)) return -1;   /* also rejects NaN */
    int k = (int)v;
    return (float)k == v ? k : -1;
}

/* ---- scale(x, s): y = c * s[0] * x, s holds one value; attrs f[0] = c ---- */
static int scale_by(nn_graph *g, int x, int s, float c)
{
    nn_attrs a = {.f = {c}};
    return nn_op(g, NN_OP_scale, (int[]){x, s}, 2, &a);
}

static int scale_infer(nn_graph *g, nn_node *n)
{
    if (nn_shape_numel(shape_of(g, n->in[1])) != 1) return nn_graph_fail(g, "scale: the factor must hold one value");
    return nn_ew_same_infer(g, n);
}

static void scale_forward(nn_graph *g, nn_node *n)
{
    float c = n->a.f[0] * nn_ew_in(g, n, 1)->data[0];
    nn_par_for(nn_shape_numel(&n->shape), scale_chunk, &(loss_ctx){.p = nn_ew_in(g, n, 0)->data, .y = n->data, .c = c});
}

/* d/ds of c s x against upstream h: c sum(h x), shaped like s */
static int scalar_grad(nn_graph *g, int h, int x, int s, float c)
{
    nn_shape ss = *shape_of(g, s);   /* a copy: adding nodes may move g->nodes */
    return nn_reshape(g, nn_affine(g, nn_sum(g, nn_mul(g, h, x)), c, 0.0f), ss);
}

static int scale_backward(nn_graph *g, int id, int gout, int *gin)
{
    int x = in_k(g, id, 0), s = in_k(g, id, 1);
    float c = g->nodes[id].a.f[0];
    gin[0] = scale_by(g, gout, s, c);
    gin[1] = scalar_grad(g, gout, x, s, c);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static int scale_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(3, 4), r, -1, 1);
    int s = nn_test_input(g, nn_shape1(1), r, 0.5f, 1.5f);
    return scale_by(g, x, s, 0.7f);
}

/* ---- mse / l1 / bce_with_logits ---- */
static float reduce_factor(const nn_shape *s, int mode)
{
    if (mode == NN_REDUCE_MEAN) return 1.0f / (float)nn_shape_numel(s);
    if (mode == NN_REDUCE_SUM_PER_SAMPLE) return 1.0f / (float)s->d[0];
    return 1.0f;
}

static int loss_infer(nn_graph *g, nn_node *n)
{
    int mode = n->a.i[0];
    if (mode < NN_REDUCE_MEAN || mode > NN_REDUCE_SUM)
        return nn_graph_fail(g, "%s: reduce must be 0 (mean), 1 (sum per sample) or 2 (sum), got %d",
                             nn_op_def_at(n->op)->name, mode);
    if (nn_ew_pair_infer(g, n) < 0) return -1;
    n->shape = nn_shape1(1);
    return 0;
}

static float loss_factor(nn_graph *g, int id)
{
    return reduce_factor(shape_of(g, in_k(g, id, 0)), g->nodes[id].a.i[0]);
}

static void mse_forward(nn_graph *g, nn_node *n)
{
    const float *p = nn_ew_in(g, n, 0)->data, *t = nn_ew_in(g, n, 1)->data;
    double s = nn_par_sum(nn_shape_numel(shape_of(g, n->in[0])), sq_error_chunk, &(loss_ctx){.p = p, .t = t});
    n->data[0] = (float)(s * reduce_factor(shape_of(g, n->in[0]), n->a.i[0]));
}

static int mse_backward(nn_graph *g, int id, int gout, int *gin)
{
    float c = 2.0f * loss_factor(g, id);
    int d = nn_sub(g, in_k(g, id, 0), in_k(g, id, 1));
    gin[0] = scale_by(g, d, gout, c);
    gin[1] = scale_by(g, d, gout, -c);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static void l1_forward(nn_graph *g, nn_node *n)
{
    const float *p = nn_ew_in(g, n, 0)->data, *t = nn_ew_in(g, n, 1)->data;
    double s = nn_par_sum(nn_shape_numel(shape_of(g, n->in[0])), abs_error_chunk, &(loss_ctx){.p = p, .t = t});
    n->data[0] = (float)(s * reduce_factor(shape_of(g, n->in[0]), n->a.i[0]));
}

static int l1_backward(nn_graph *g, int id, int gout, int *gin)
{
    float c = loss_factor(g, id);
    int sg = nn_sign(g, nn_sub(g, in_k(g, id, 0), in_k(g, id, 1)));
    gin[0] = scale_by(g, sg, gout, c);
    gin[1] = scale_by(g, sg, gout, -c);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

static void bce_forward(nn_graph *g, nn_node *n)
{
    size_t k = nn_shape_numel(shape_of(g, n->in[0]));
    double s = nn_k_bce_sum(nn_ew_in(g, n, 0)->data, nn_ew_in(g, n, 1)->data, k);
    n->data[0] = (float)(s * reduce_factor(shape_of(g, n->in[0]), n->a.i[0]));
}

/* d/dz = c (sigmoid(z) - t) through bce_grad; d/dt = -c z */
static int bce_backward(nn_graph *g, int id, int gout, int *gin)
{
    float c = loss_factor(g, id);
    int z = in_k(g, id, 0), t = in_k(g, id, 1);
    nn_attrs a = {.f = {c}};
    gin[0] = nn_op(g, NN_OP_bce_grad, (int[]){z, t, gout}, 3, &a);
    gin[1] = scale_by(g, z, gout, -c);
    return gin[0] < 0 || gin[1] < 0 ? -1 : 0;
}

/* ---- bce_grad(z, t, gout): y = c gout (sigmoid(z) - t); attrs f[0] = c ---- */
static int bce_grad_infer(nn_graph *g, nn_node *n)
{
    if (nn_shape_numel(shape_of(g, n->in[2])) != 1) return nn_graph_fail(g, "bce_grad: gout must hold one value");
    return nn_ew_pair_infer(g, n);
}

static void bce_grad_forward(nn_graph *g, nn_node *n)
{
    nn_k_bce_grad(nn_ew_in(g, n, 0)->data, nn_ew_in(g, n, 1)->data, n->data, nn_shape_numel(&n->shape),
                  n->a.f[0] * nn_ew_in(g, n, 2)->data[0]);
}

static int bce_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    int z = in_k(g, id, 0), t = in_k(g, id, 1), go = in_k(g, id, 2);
    float c = g->nodes[id].a.f[0];
    int s = nn_sigmoid(g, z);
    gin[0] = scale_by(g, nn_op(g, NN_OP_sigmoid_grad, (int[]){s, gout}, 2, NULL), go, c);
    gin[1] = scale_by(g, gout, go, -c);
    gin[2] = scalar_grad(g, gout, nn_sub(g, s, t), go, c);
    return gin[0] < 0 || gin[1] < 0 || gin[2] < 0 ? -1 : 0;
}

static int loss_op(nn_graph *g, int op, int pred, int target, int reduce)
{
    nn_attrs a = {.i = {reduce}};
    return nn_op(g, op, (int[]){pred, target}, 2, &a);
}

static int mse_check(nn_graph *g, nn_rng *r)
{
    int p = nn_test_input(g, nn_shape2(3, 4), r, -1, 1), t = nn_test_input(g, nn_shape2(3, 4), r, -1, 1);
    return nn_mse(g, p, t, NN_REDUCE_SUM_PER_SAMPLE);
}

/* t = p + d with |d| >= 0.1, away from the kink of |p - t| */
static int l1_check(nn_graph *g, nn_rng *r)
{
    int p = nn_test_input(g, nn_shape2(3, 4), r, -1, 1), t = nn_ew_test_input_away(g, nn_shape2(3, 4), r, 0.1f, 1);
    for (int i = 0; i < 12; i++) nn_data(g, t)[i] += nn_data(g, p)[i];
    return nn_l1(g, p, t, NN_REDUCE_MEAN);
}

static int bce_with_logits_check(nn_graph *g, nn_rng *r)
{
    int z = nn_test_input(g, nn_shape2(3, 4), r, -3, 3), t = nn_test_input(g, nn_shape2(3, 4), r, 0, 1);
    return nn_bce_with_logits(g, z, t, NN_REDUCE_SUM);
}

static int bce_grad_check(nn_graph *g, nn_rng *r)
{
    int z = nn_test_input(g, nn_shape2(3, 4), r, -3, 3), t = nn_test_input(g, nn_shape2(3, 4), r, 0, 1);
    int go = nn_test_input(g, nn_shape1(1), r, 0.5f, 1.5f);
    nn_attrs a = {.f = {0.25f}};
    return nn_op(g, NN_OP_bce_grad, (int[]){z, t, go}, 3, &a);
}

int nn_mse(nn_graph *g, int pred, int target, int reduce) { return loss_op(g, NN_OP_mse, pred, target, reduce); }
int nn_l1(nn_graph *g, int pred, int target, int reduce) { return loss_op(g, NN_OP_l1, pred, target, reduce); }
int nn_bce_with_logits(nn_graph *g, int logits, int target, int reduce)
{
    return loss_op(g, NN_OP_bce_with_logits, logits, target, reduce);
}

/* ---- cross_entropy(logits (..., C), labels (...)) -> (1); ce_grad(..., gout) -> (..., C) ----
 * The leading dims are rows: (N) samples, or (N, T) samples and time steps. */
static size_t logit_rows(const nn_shape *x) { return nn_shape_numel(x) / (size_t)x->d[x->ndim - 1]; }

static int labels_check(nn_graph *g, nn_node *n, const nn_shape *x)
{
    nn_node *l = &g->nodes[n->in[1]];
    nn_shape want = *x;
    want.ndim--;
    if (!nn_shape_eq(&l->shape, &want)) {
        char b[64], w[64];
        return nn_graph_fail(g, "%s: labels must have shape %s (one class id per %s), got %s", nn_op_def_at(n->op)->name,
                             nn_shape_str(&want, w, sizeof w), x->ndim == 2 ? "sample" : "sample and step",
                             nn_shape_str(&l->shape, b, sizeof b));
    }
    l->no_grad = 1;
    return 0;
}

static int cross_entropy_infer(nn_graph *g, nn_node *n)
{
    const nn_shape *x = shape_of(g, n->in[0]);
    char b[64];
    if (x->ndim != 2 && x->ndim != 3)
        return nn_graph_fail(g, "%s: logits must be (batch, classes) or (batch, steps, classes), got %s",
                             nn_op_def_at(n->op)->name, nn_shape_str(x, b, sizeof b));
    if (labels_check(g, n, x) < 0) return -1;
    if (n->a.i[0] < NN_REDUCE_MEAN || n->a.i[0] > NN_REDUCE_SUM) return nn_graph_fail(g, "%s: unknown reduction %d", nn_op_def_at(n->op)->name, n->a.i[0]);
    n->shape = n->op == NN_OP_cross_entropy ? nn_shape1(1) : *x;
    if (n->op == NN_OP_ce_grad && nn_shape_numel(shape_of(g, n->in[2])) != 1)
        return nn_graph_fail(g, "ce_grad: gout must hold one value");
    return 0;
}

/* Whether row r is ignored (its label is the ignored id) */
static int ignored(const nn_node *n, float label) { return n->a.i[1] && label == (float)n->a.i[2]; }

/* What the sum over rows is divided by: the rows counted (mean), N (sum / N) or 1 (sum); 0 when
 * the mean has no row to count. */
static double ce_divisor(const nn_node *n, const nn_shape *x, const float *lab)
{
    size_t rows = logit_rows(x);
    if (n->a.i[0] == NN_REDUCE_SUM_PER_SAMPLE) return x->d[0];
    if (n->a.i[0] == NN_REDUCE_SUM) return 1.0;
    size_t counted = rows;
    for (size_t r = 0; n->a.i[1] && r < rows; r++) counted -= ignored(n, lab[r]);
    return (double)counted;
}

static void cross_entropy_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = nn_ew_in(g, n, 0);
    const float *lab = nn_ew_in(g, n, 1)->data;
    size_t rows = logit_rows(&x->shape);
    int cols = x->shape.d[x->shape.ndim - 1];
    double s = 0.0, div = ce_divisor(n, &x->shape, lab);
    for (size_t r = 0; r < rows; r++) {
        if (ignored(n, lab[r])) continue;
        const float *row = x->data + r * (size_t)cols;
        int k = label_index(lab[r], cols);
        s += k < 0 ? NAN : (double)nn_k_logsumexp(row, (size_t)cols) - row[k];
    }
    n->data[0] = div > 0 ? (float)(s / div) : 0.0f;
}

static void ce_grad_forward(nn_graph *g, nn_node *n)
{
    const nn_node *x = nn_ew_in(g, n, 0);
    const float *lab = nn_ew_in(g, n, 1)->data;
    size_t rows = logit_rows(&x->shape), cols = (size_t)x->shape.d[x->shape.ndim - 1];
    double div = ce_divisor(n, &x->shape, lab);
    float c = div > 0 ? (float)(nn_ew_in(g, n, 2)->data[0] / div) : 0.0f;
    nn_k_softmax_rows(x->data, n->data, rows, cols, 0);
    for (size_t r = 0; r < rows; r++) {
        float *y = n->data + r * cols;
        int k = label_index(lab[r], (int)cols), skip = ignored(n, lab[r]);
        if (k >= 0) y[k] -= 1.0f;
#pragma omp simd
        for (size_t i = 0; i < cols; i++) y[i] = skip ? 0.0f : k < 0 ? NAN : c * y[i];
    }
}

static int ce_grad(nn_graph *g, int x, int labels, int gout, const nn_attrs *a)
{
    return nn_op(g, NN_OP_ce_grad, (int[]){x, labels, gout}, 3, a);
}

static int cross_entropy_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs a = g->nodes[id].a;
    gin[0] = ce_grad(g, in_k(g, id, 0), in_k(g, id, 1), gout, &a);
    gin[1] = -1;
    return gin[0] < 0 ? -1 : 0;
}

/* ce_grad = (gout / div) keep (softmax(x) - onehot), keep = 0 on ignored rows, else 1. With
 * upstream h:
 *   d/dx = (gout / div) softmax_grad(softmax(x), keep h),   d/dgout = sum(h * ce_grad(x, labels, 1)).
 * div is fixed by the shapes, except for the mean with ignored rows: the rows kept, counted
 * here by ops on the labels (at least 1, as in the forward). */
static int ce_grad_backward(nn_graph *g, int id, int gout, int *gin)
{
    nn_attrs a = g->nodes[id].a;
    int x = in_k(g, id, 0), labels = in_k(g, id, 1), go = in_k(g, id, 2), h = gout;
    int mean = a.i[0] == NN_REDUCE_MEAN;
    float c = mean && a.i[1] ? 1.0f : (float)(1.0 / ce_divisor(&g->nodes[id], shape_of(g, x), NULL));
    if (a.i[1]) {
        nn_shape row = *shape_of(g, labels);   /* (..., 1): one keep per row, against (..., C) */
        row.d[row.ndim++] = 1;
        int keep = nn_step(g, nn_abs(g, nn_affine(g, labels, 1.0f, -(float)a.i[2])));
        h = nn_mul(g, gout, nn_reshape(g, keep, row));
        if (mean) {
            int kept = nn_sum(g, keep);
            go = nn_div(g, go, nn_add(g, kept, nn_step(g, nn_affine(g, kept, -1.0f, 0.5f))));
        }
    }
    int sm = nn_softmax(g, x);
    gin[0] = scale_by(g, nn_op(g, NN_OP_softmax_grad, (int[]){sm, h}, 2, NULL), go, c);
    gin[1] = -1;
    gin[2] = scalar_grad(g, gout, ce_grad(g, x, labels, nn_const(g, nn_shape1(1), 1.0f), &a), in_k(g, id, 2), 1.0f);
    return gin[0] < 0 || gin[2] < 0 ? -1 : 0;
}

/* Labels input (n) of class ids below classes; its no_grad flag is set by the op. */
static int test_labels(nn_graph *g, nn_rng *r, int n, int classes)
{
    int l = nn_input(g, nn_shape1(n), "labels");
    if (l < 0) return -1;
    for (int i = 0; i < n; i++) nn_data(g, l)[i] = (float)nn_rng_below(r, (uint32_t)classes);
    g->nodes[l].no_grad = 1;
    return l;
}

/* per step (N=2, T=3) with the rows labelled 0 ignored (some of the labels drawn below 5 are) */
static int cross_entropy_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape3(2, 3, 5), r, -2, 2), l = test_labels(g, r, 6, 5);
    nn_data(g, l)[1] = 0;   /* at least one ignored row */
    return nn_cross_entropy_ext(g, x, nn_reshape(g, l, nn_shape2(2, 3)), NN_REDUCE_MEAN, 0);
}

/* the mean with the rows labelled 1 ignored (one or more of the 6) */
static int ce_grad_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(6, 5), r, -2, 2), l = test_labels(g, r, 6, 5);
    nn_data(g, l)[2] = 1;
    nn_attrs a = {.i = {NN_REDUCE_MEAN, 1, 1}};
    return ce_grad(g, x, l, nn_test_input(g, nn_shape1(1), r, 0.5f, 1.5f), &a);
}

int nn_cross_entropy_ext(nn_graph *g, int logits, int labels, int reduce, int ignore)
{
    nn_attrs a = {.i = {reduce, ignore >= 0, ignore >= 0 ? ignore : 0}};
    return nn_op(g, NN_OP_cross_entropy, (int[]){logits, labels}, 2, &a);
}

int nn_cross_entropy(nn_graph *g, int logits, int labels) { return nn_cross_entropy_ext(g, logits, labels, NN_REDUCE_MEAN, -1); }

/* ---- one_hot(labels (N) or (N, T)) -> (N, C) or (N, T, C); attrs i[0] = C ---- */
static int one_hot_infer(nn_graph *g, nn_node *n)
{
    nn_node *l = &g->nodes[n->in[0]];
    char b[64];
    if (n->a.i[0] < 1) return nn_graph_fail(g, "one_hot: the number of classes must be >= 1, got %d", n->a.i[0]);
    if (l->shape.ndim != 1 && l->shape.ndim != 2)
        return nn_graph_fail(g, "one_hot: labels must be (batch) or (batch, steps) class ids, got %s",
                             nn_shape_str(&l->shape, b, sizeof b));
    l->no_grad = 1;
    n->shape = l->shape;
    n->shape.d[n->shape.ndim++] = n->a.i[0];
    return 0;
}

static void one_hot_forward(nn_graph *g, nn_node *n)
{
    const float *lab = nn_ew_in(g, n, 0)->data;
    int cols = n->a.i[0];
    size_t rows = nn_shape_numel(&n->shape) / (size_t)cols;
    for (size_t r = 0; r < rows; r++) {
        float *y = n->data + r * (size_t)cols;
        int k = label_index(lab[r], cols);
        for (int i = 0; i < cols; i++) y[i] = k < 0 ? NAN : (float)(i == k);
    }
}

static int one_hot_backward(nn_graph *g, int id, int gout, int *gin)
{
    (void)g, (void)id, (void)gout;
    gin[0] = -1;
    return 0;
}

/* one_hot has no differentiable input; x * one_hot(labels) exposes its values to the check
 * (d/dx = one_hot). */
static int one_hot_check(nn_graph *g, nn_rng *r)
{
    int x = nn_test_input(g, nn_shape2(4, 3), r, -1, 1);
    return nn_mul(g, x, nn_one_hot(g, test_labels(g, r, 4, 3), 3));
}

int nn_one_hot(nn_graph *g, int labels, int classes)
{
    nn_attrs a = {.i = {classes}};
    return nn_op(g, NN_OP_one_hot, &labels, 1, &a);
}

const nn_op_def nn_def_scale = {"scale", 2, "(x, s) -> c * s * x, s one value (loss gradients)", scale_infer,
                                scale_forward, scale_backward, scale_check, NULL};
const nn_op_def nn_def_mse = {"mse", 2, "(pred, target) -> reduced (pred - target)^2", loss_infer, mse_forward,
                              mse_backward, mse_check, NULL};
const nn_op_def nn_def_l1 = {"l1", 2, "(pred, target) -> reduced |pred - target|", loss_infer, l1_forward,
                             l1_backward, l1_check, NULL};
const nn_op_def nn_def_bce_with_logits = {"bce_with_logits", 2,
                                          "(logits, target in [0,1]) -> reduced binary cross entropy of sigmoid(logits)",
                                          loss_infer, bce_forward, bce_backward, bce_with_logits_check, NULL};
const nn_op_def nn_def_bce_grad = {"bce_grad", 3, "(z, t, gout) -> c gout (sigmoid(z) - t): gradient of bce_with_logits",
                                   bce_grad_infer, bce_grad_forward, bce_grad_backward, bce_grad_check, NULL};
const nn_op_def nn_def_cross_entropy = {"cross_entropy", 2,
                                        "(logits (N,[T,]C), labels (N[,T])) -> mean over rows of -log softmax[label]; bad label -> NaN",
                                        cross_entropy_infer, cross_entropy_forward, cross_entropy_backward,
                                        cross_entropy_check, NULL};
const nn_op_def nn_def_ce_grad = {"ce_grad", 3,
                                  "(logits, labels, gout) -> gout/rows (softmax - onehot): gradient of cross_entropy",
                                  cross_entropy_infer, ce_grad_forward, ce_grad_backward, ce_grad_check, NULL};
const nn_op_def nn_def_one_hot = {"one_hot", 1, "labels (N[,T]) -> (N,[T,]C) of 0/1; bad label -> NaN row; no gradient",
                                  one_hot_infer, one_hot_forward, one_hot_backward, one_hot_check, NULL};
