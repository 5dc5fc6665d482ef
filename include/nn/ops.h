/* nn/ops.h — the op registry and the typed constructors of every op.
 *
 * Each op lives in one file runtime/op_<family>.c and is one row of the registry table
 * (runtime/ops/op_registry.c): a name, its input count, and three actions —
 *   infer    : check inputs and set the node's shape (or fail with a message),
 *   forward  : compute node data from its inputs' data,
 *   backward : emit graph nodes for the gradient of each input given the output gradient,
 * plus a fixture of any size, used by tests/test_gradcheck.c (tiny) for every row and by
 * nn/op_bench.h (scaled up). A row without a fixture fails the suite, so no op lands untested.
 */
#ifndef NN_OPS_H
#define NN_OPS_H

#include "nn/graph.h"

typedef struct nn_op_def {
    const char *name;
    int n_in;                                   /* exact input count, or -1 for 1..NN_MAX_INPUTS */
    const char *doc;                            /* one line for `nnrun ops` */
    /* Sets g->nodes[id].shape from inputs/attrs; returns 0, or -1 after nn_graph_fail(). */
    int (*infer)(nn_graph *g, nn_node *n);
    void (*forward)(nn_graph *g, nn_node *n);
    /* gin[k] = gradient node for input k (or -1). gout is d loss / d node. Returns 0/-1. */
    int (*backward)(nn_graph *g, int id, int gout, int *gin);
    /* The op's fixture: creates inputs (random data, domain-safe) and a node of this op, and
     * returns the node a gradient check differentiates (that node, or an expression of it when
     * the op alone has nothing to differentiate), or -1. scale (>= 1) multiplies the fixture's
     * batch, feature and sequence sizes (spatial sizes, kernels, strides and padding stay):
     * scale 1 is the gradient check's tiny case (tests/test_gradcheck.c), larger ones are what
     * `nnrun ops --bench` times (nn/op_bench.h). NULL only for gradient-only ops. */
    int (*gradcheck)(nn_graph *g, nn_rng *r, int scale);
    /* FLOPs per forward of node (for summaries); NULL = numel. */
    double (*flops)(nn_graph *g, const nn_node *n);
} nn_op_def;

int nn_op_count(void);
const nn_op_def *nn_op_def_at(int op);
int nn_op_find(const char *name);              /* -1 if unknown */
/* FLOPs of one forward of an op node at its shapes: its op's count, or one per output value. */
double nn_node_flops(nn_graph *g, const nn_node *n);
/* For a gradient-only op (the gradient of a fused op, e.g. an RNN's backpropagation through
 * time; list NN_OPS_GRAD_ONLY in runtime/ops/op_list.h): the kind of layer it belongs to, e.g.
 * "recurrent layers". Such a row has no backward: nn_grad() through it fails with
 * "op <name>: gradients of gradients through <layer> are not supported". NULL for every other op. */
const char *nn_op_grad_only(int op);

/* Fills a tensor with uniform values in [lo, hi) — used by gradcheck fixtures. */
int nn_test_input(nn_graph *g, nn_shape s, nn_rng *r, float lo, float hi);

/* ---- typed constructors (all return a node id or -1) ------------------------------------
 * Shapes in comments: N batch, K in-features, M out-features. */

/* matmul: A (M,K) or A^T, B (K,N) or B^T -> (M,N). Only 2-D; nn_batch_matmul for more. */
int nn_matmul(nn_graph *g, int a, int b, int trans_a, int trans_b);
/* matmul_act_grad: nn_matmul's product P (M,N) taken through a relu / leaky_relu's gradient,
 * P * (gate > 0 ? 1 : slope), gate (M,N) the activation's value or input, as the GEMM stores
 * P: leaky_relu_grad over a matmul in one pass (nn_leaky_relu_grad_of builds it). */
int nn_matmul_act_grad(nn_graph *g, int a, int b, int trans_a, int trans_b, int gate, float slope);
/* matmul_acc: nn_matmul's product plus c (M,N), summed as the GEMM stores it: the same bits as
 * nn_add(g, c, matmul) (nn_grad builds it for a gradient's second contribution).
 * matmul_act_grad_acc: the same sum taken through the gate (c < 0: nn_matmul_act_grad). */
int nn_matmul_acc(nn_graph *g, int a, int b, int trans_a, int trans_b, int c);
int nn_matmul_act_grad_acc(nn_graph *g, int a, int b, int trans_a, int trans_b, int gate, float slope, int c);
/* dense: x (N,K), W (M,K) [PyTorch layout], b (M) or -1 -> (N,M) */
int nn_dense(nn_graph *g, int x, int w, int b);

/* elementwise, numpy-style broadcasting of b against a (and a against b) */
int nn_add(nn_graph *g, int a, int b);
int nn_sub(nn_graph *g, int a, int b);
int nn_mul(nn_graph *g, int a, int b);
int nn_div(nn_graph *g, int a, int b);
/* y = alpha * x + beta (scalars baked into the node) */
int nn_affine(nn_graph *g, int x, float alpha, float beta);
int nn_neg(nn_graph *g, int x);
int nn_exp(nn_graph *g, int x);
int nn_log(nn_graph *g, int x);
int nn_sqrt(nn_graph *g, int x);
int nn_pow(nn_graph *g, int x, float p);
int nn_abs(nn_graph *g, int x);
int nn_sign(nn_graph *g, int x);               /* no gradient (zero almost everywhere) */
int nn_square(nn_graph *g, int x);

/* reductions */
int nn_sum(nn_graph *g, int x);                 /* all elements -> (1) */
int nn_mean(nn_graph *g, int x);                /* all elements -> (1) */
int nn_sum_to(nn_graph *g, int x, nn_shape s);  /* undo a broadcast: sum x down to shape s */
int nn_broadcast_to(nn_graph *g, int x, nn_shape s);
int nn_sum_rows(nn_graph *g, int x);            /* (N, ...) -> (N): per-sample sum */
int nn_reshape(nn_graph *g, int x, nn_shape s); /* same numel; a copy */

/* activations */
int nn_relu(nn_graph *g, int x);
int nn_leaky_relu(nn_graph *g, int x, float slope);
int nn_elu(nn_graph *g, int x, float alpha);
int nn_selu(nn_graph *g, int x);
int nn_gelu(nn_graph *g, int x);
int nn_sigmoid(nn_graph *g, int x);
int nn_tanh(nn_graph *g, int x);
int nn_softmax(nn_graph *g, int x);             /* over the last dimension */
int nn_log_softmax(nn_graph *g, int x);         /* over the last dimension */
int nn_step(nn_graph *g, int x);                /* 1 where x > 0 else 0; no gradient */
/* dropout: x * mask/(1-p) in training, x in evaluation */
int nn_dropout(nn_graph *g, int x, float p);
/* additive Gaussian noise N(0, sigma^2) in training (and in evaluation if always) */
int nn_gaussian_noise(nn_graph *g, int x, float sigma, int always);
/* uniform draws: x (any shape) -> (shape of x) of U[lo, hi) values from g->rng in training (and
 * in evaluation if always), (lo + hi) / 2 otherwise; x gives only the shape. No gradient: a
 * sampling node, like the masks above (WGAN-GP's interpolation weights). */
int nn_uniform_noise(nn_graph *g, int x, float lo, float hi, int always);

/* losses (reduce: 0 = mean over all elements, 1 = sum / batch, 2 = sum) -> (1) */
enum { NN_REDUCE_MEAN = 0, NN_REDUCE_SUM_PER_SAMPLE = 1, NN_REDUCE_SUM = 2 };
int nn_mse(nn_graph *g, int pred, int target, int reduce);
int nn_l1(nn_graph *g, int pred, int target, int reduce);
int nn_bce_with_logits(nn_graph *g, int logits, int target, int reduce);
/* logits (N,C), labels (N) holding class ids as floats -> mean cross entropy; per time step:
 * logits (N,T,C), labels (N,T) -> the mean over all N*T steps */
int nn_cross_entropy(nn_graph *g, int logits, int labels);
/* The same reduced as asked (mean over the rows counted, sum / N, or sum), rows whose label is
 * `ignore` left out (ignore < 0: none; PyTorch's ignore_index, e.g. the padding of target
 * sequences): their loss and gradient are 0 and the mean divides by the rows left, 0 when none
 * is (PyTorch: NaN). Gradients of every order. */
int nn_cross_entropy_ext(nn_graph *g, int logits, int labels, int reduce, int ignore);
/* one_hot: labels (N) or (N,T) of ids -> (N,C) or (N,T,C); no gradient */
int nn_one_hot(nn_graph *g, int labels, int classes);

/* ---- images (NCHW) ------------------------------------------------------------------------
 * N batch, C channels in, F channels out, H x W spatial; OH x OW output size. */

/* An activation fused into a convolution (applied to each group of its output while in cache):
 * NN_FUSED_LEAKY_RELU (p0 = slope >= 0; 0 is relu) or NN_FUSED_ELU (p0 = alpha > 0,
 * p1 = scale; selu is alpha NN_SELU_ALPHA, scale NN_SELU_SCALE). */
enum { NN_FUSED_NONE, NN_FUSED_LEAKY_RELU, NN_FUSED_ELU };
#define NN_SELU_ALPHA 1.6732632423543772f   /* PyTorch's SELU constants */
#define NN_SELU_SCALE 1.0507009873554805f
typedef struct {
    int kind;
    float p0, p1;
} nn_fused_act;

/* conv2d: x (N,C,H,W), w (F,C,KH,KW), b (F) or -1 -> (N,F,OH,OW),
 * OH = (H + 2*pad_h - KH) / stride + 1 (likewise OW). */
int nn_conv2d(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w);
/* conv_transpose2d: x (N,C,H,W), w (C,F,KH,KW) [PyTorch layout], b (F) or -1 -> (N,F,OH,OW),
 * OH = (H - 1)*stride - 2*pad_h + KH + out_pad_h (likewise OW); out_pad < stride. */
int nn_conv_transpose2d(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w, int out_pad_h,
                        int out_pad_w);
/* The same two with an activation applied to the output in the op (act.kind NN_FUSED_NONE: none). */
int nn_conv2d_act(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w, nn_fused_act act);
int nn_conv_transpose2d_act(nn_graph *g, int x, int w, int b, int stride, int pad_h, int pad_w, int out_pad_h,
                            int out_pad_w, nn_fused_act act);
/* dense with an activation applied in the op: relu and leaky_relu as the GEMM stores its tiles,
 * elu and selu in a pass over the output; the pre-activation values are never stored. */
int nn_dense_act(nn_graph *g, int x, int w, int b, nn_fused_act act);
/* max / average pooling with a k x k window: (N,C,H,W) -> (N,C,OH,OW),
 * OH = (H + 2*pad - k) / stride + 1; average pooling counts padding as zeros (PyTorch's
 * count_include_pad=True); max pooling ignores padding. */
int nn_maxpool2d(nn_graph *g, int x, int k, int stride, int pad);
int nn_avgpool2d(nn_graph *g, int x, int k, int stride, int pad);
/* maxpool2d(conv, k, stride, pad) as one op over conv2d node conv's inputs (conv2d_maxpool):
 * the convolution's output is made in cache and pooled there, never stored, and made again for
 * the gradient. Fits a 2x2 pool with stride 2 and no padding over a stride-1 conv2d (with or
 * without a fused activation) with few taps per output, C*KH*KW <= 36: an image model's first
 * layer, cheap to compute twice. The caller makes sure nothing else reads conv, whose node is
 * left as it is (a plan runs it only if something does). */
int nn_conv2d_maxpool_fits(nn_graph *g, int conv, int k, int stride, int pad);
int nn_conv2d_maxpool(nn_graph *g, int conv);
/* mean over H x W: (N,C,H,W) -> (N,C) */
int nn_global_avgpool(nn_graph *g, int x);
/* nearest-neighbour upsampling by an integer factor: (N,C,H,W) -> (N,C,H*f,W*f) */
int nn_upsample_nearest(nn_graph *g, int x, int factor);
/* concatenation of 2..4 tensors along axis (same size on every other axis) */
int nn_concat(nn_graph *g, const int *xs, int n, int axis);
/* the elements [start, start+len) of axis */
int nn_slice(nn_graph *g, int x, int axis, int start, int len);
/* masking noise: each element zeroed with probability p (no rescaling) in training, and in
 * evaluation when always */
int nn_masking_noise(nn_graph *g, int x, float p, int always);
/* running statistic for batch norm: in training, stat = (1-momentum)*stat + momentum*value
 * (written into stat, a no-gradient parameter, as a side effect); returns a node that must be
 * a plan target during training. No gradient. */
int nn_ema_update(nn_graph *g, int stat, int value, float momentum);

/* ---- sequences ------------------------------------------------------------------------------
 * N batch, T time steps, V vocabulary size, D embedding size, C channels. */

/* embedding: ids (N,T) holding token ids as floats (any shape of up to 3 dims; marked no_grad,
 * like cross_entropy's labels), table (V,D) -> (N,T,D), row ids[n,t] of the table.
 * Positions holding padding_id (-1 = none) read a zero vector and give the table no gradient
 * (PyTorch's padding_idx with its zero row; the table's padding row is never read). An id that
 * is not an integer in [0, V) gives a row of NaN, so the trainer's NaN check reports it.
 * d/dtable is a scatter-add of gout's rows into a full (V,D) tensor. */
int nn_embedding(nn_graph *g, int ids, int table, int padding_id);
/* maximum over one axis, removing it (x needs >= 2 dims; a negative axis counts from the end):
 * (N,T,C) axis 1 -> (N,C) (global max pooling over time), (N,C,L) axis 2 -> (N,C). The
 * gradient goes to the first maximum, as in max pooling. */
int nn_max_over(nn_graph *g, int x, int axis);
/* mean over one axis, removing it (x needs >= 2 dims): (N,T,C) axis 1 -> (N,C) */
int nn_mean_over(nn_graph *g, int x, int axis);
/* x with one axis reversed (any rank; a negative axis counts from the end): (N,T,C) axis 1 ->
 * (N,T,C) with y[n,t] = x[n,T-1-t]. Its own gradient. */
int nn_flip(nn_graph *g, int x, int axis);

/* (..., A, B) -> (..., B, A): the last two axes swapped (a copy) */
int nn_transpose_last2(nn_graph *g, int x);
/* 1-D convolution over time, channels-last like the embedding's output (PyTorch's Conv1d
 * semantics on x transposed to (N,C,T), dilation 1, groups 1):
 *   x (N,T,C), w (F,C,K) [PyTorch's Conv1d layout], b (F) or -1 -> (N,T_out,F),
 *   y[n,t,f] = b[f] + sum over c, k of w[f,c,k] x[n, t*stride - pad_left + k, c],
 *   T_out = (T + pad_left + pad_right - K) / stride + 1, zeros outside [0, T).
 * Built as unfold1d (each window's K*C contiguous floats copied into a row) and one dense GEMM
 * over all N*T_out windows with w read as (F, K*C) through transpose_last2; gradients of every
 * order come from those ops. */
int nn_conv1d(nn_graph *g, int x, int w, int b, int stride, int pad_left, int pad_right);
/* max pooling over time per channel, no padding: x (N,T,C) -> (N,T_out,C),
 * T_out = (T - k) / stride + 1; the gradient goes to each window's first maximum (PyTorch's
 * tie rule). Built as unfold1d + max_over. */
int nn_maxpool1d(nn_graph *g, int x, int k, int stride);
/* unfold1d: x (N,T,C) -> (N,T_out,K*C), row (n,t) = x[n, t*stride - pad_left + (0..K-1), :]
 * (zeros outside [0, T)); T_out as for nn_conv1d. */
int nn_unfold1d(nn_graph *g, int x, int k, int stride, int pad_left, int pad_right);
/* fold1d: the adjoint of unfold1d back to length t: cols (N,T_out,K*C) -> (N,t,C), each row's
 * K steps added into the steps it was read from (padding dropped). */
int nn_fold1d(nn_graph *g, int cols, int k, int stride, int pad_left, int pad_right, int t);

/* ---- attention and Transformers -------------------------------------------------------------
 * B batch, H heads, T (Tq, Tk) time steps of queries and keys, d features per head, C features. */

/* batched matrix product: A (..., M, K) x B (..., K, N) -> (..., M, N), one GEMM per batch
 * entry; trans_a: A holds (..., K, M), trans_b: B holds (..., N, K). The leading (batch) dims
 * broadcast numpy-style: q (B,H,T,d) x k (B,H,T,d) trans_b -> scores (B,H,T,T); x (B,T,C) x
 * W (C,M) -> (B,T,M) with W shared by every entry (one GEMM over all rows). Gradients of every
 * order (batch_matmul and a sum over the broadcast dims). */
int nn_batch_matmul(nn_graph *g, int a, int b, int trans_a, int trans_b);
/* x with its axes reordered: y's axis k is x's axis perm[k] (PyTorch's x.permute(perm)), n the
 * number of axes of x; (B,T,H,d) with perm {0, 2, 1, 3} -> (B,H,T,d). A copy; its gradient is
 * the inverse permutation. */
int nn_permute(nn_graph *g, int x, const int *perm, int n);
#define NN_LAYER_NORM_EPS 1e-5f   /* PyTorch's default */
/* layer norm over the last dim, torch.nn.LayerNorm(C, eps): x (..., C), gamma (C) or -1,
 * beta (C) or -1 (only with gamma) -> (x - mean) / sqrt(var + eps) * gamma + beta per row, var
 * the population variance. Gradients of every order (layer_norm_grad, then elementwise ops). */
int nn_layer_norm(nn_graph *g, int x, int gamma, int beta, float eps);
/* softmax(x + mask) over the last dim: x (..., C), mask broadcast to x with the same last dim
 * (padding (B,1,1,T) or causal (T,T) masks against scores (B,H,T,T)); 0 keeps an entry, -inf
 * (or a large negative number) removes it. A row that is -inf everywhere gives zeros, not NaN
 * as in PyTorch. A mask that is not constant (a learned bias) gets a gradient. */
int nn_softmax_masked(nn_graph *g, int x, int mask);
/* padding masks for nn_softmax_masked and nn_attention, (N,1,1,T): -inf at the padding, 0
 * elsewhere (nn_reshape it to (N,1,T) or (N,T) for scores of fewer dims). From token ids
 * (N,T), padding where an id equals pad_id; or from lengths (N), padding at t >= lengths[n].
 * The ids or lengths are marked no_grad. */
int nn_padding_mask(nn_graph *g, int ids, int pad_id);
int nn_length_mask(nn_graph *g, int lengths, int t);
/* causal mask, a constant (T,T): 0 at key j <= query i, -inf above the diagonal */
int nn_causal_mask(nn_graph *g, int t);
/* sinusoidal positional encoding, a constant (T,d) to add to (B,T,d) embeddings:
 * PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...), PyTorch tutorial's layout */
int nn_positional_encoding(nn_graph *g, int t, int d);
/* scaled dot-product attention, fused: q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) with
 * the same leading dims (B,H), mask broadcast to the scores (..., Tq, Tk) or -1
 * -> softmax(scale q k^T + mask) v (..., Tq, dv); scale 0 means 1/sqrt(d). Never stores the
 * (Tq, Tk) weights of all entries: each (batch, head) block is made in a thread's scratch and
 * recomputed for the gradient. weights (or NULL): set to a node of the weights (..., Tq, Tk)
 * built from nn_batch_matmul and nn_softmax_masked, computed only by a plan that asks for it
 * (figures). First-order gradients only: for gradients of gradients build attention from
 * nn_attention_weights and nn_batch_matmul. */
int nn_attention(nn_graph *g, int q, int k, int v, int mask, float scale, int *weights);
/* The same with dropout on the weights in training (dropout in [0, 1), each weight zeroed
 * with that probability, the others scaled by 1/(1 - dropout), as torch.nn.MultiheadAttention
 * does), inside the fused op: the mask is regenerated in the backward from a key (2) that
 * changes each step (key -1: made here, a uniform_noise node drawing from g->rng). */
int nn_attention_dropout(nn_graph *g, int q, int k, int v, int mask, float scale, float dropout, int key);
/* softmax(scale q k^T + mask) (..., Tq, Tk) from the ops above (mask -1: none; scale 0: 1/sqrt(d)) */
int nn_attention_weights(nn_graph *g, int q, int k, int mask, float scale);

/* ---- recurrent layers -----------------------------------------------------------------------
 * N batch, T time steps, D input features, H hidden units. */

enum { NN_RNN_TANH = 0, NN_RNN_RELU = 1 };
enum { NN_RNN_ALL_STEPS = 0, NN_RNN_LAST_STEP = 1 };
/* Simple (Elman) recurrent layer:
 *   h_t = act(x_t W_ih^T + b + h_{t-1} W_hh^T),   h_{-1} = h0
 * x (N,T,D), w_ih (H,D), w_hh (H,H) [PyTorch layout], b (H) or -1 (PyTorch's b_ih + b_hh),
 * mask (N,T) or -1: 1 = real step, 0 = padding (the state carries over unchanged and that
 * step's output is 0; marked no_grad); h0 (N,H) the initial state, or -1 for zeros (it gets
 * its gradient: backpropagation through time reaches h_{-1}; padding steps before the first
 * real one carry it over); act NN_RNN_TANH or NN_RNN_RELU;
 * out_mode NN_RNN_ALL_STEPS -> (N,T,H), NN_RNN_LAST_STEP -> (N,H), the state after each
 * sequence's last real step (h0, or 0, if it has none).
 * Built from dense (the input projection of all steps as one GEMM), rnn_states (the
 * recurrence) and a mask multiply or a slice of the last step. First-order gradients only:
 * a gradient of a gradient through it fails with a message (see nn_op_grad_only). */
int nn_rnn(nn_graph *g, int x, int w_ih, int w_hh, int b, int mask, int h0, int act, int out_mode);
/* rnn_states: xp (N,T,H) the projected inputs (bias included), w_hh (H,H), mask (N,T) or -1,
 * h0 (N,H) or -1 -> (N,T,H) every step's state h_t (padding steps hold the carried-over state). */
int nn_rnn_states(nn_graph *g, int xp, int w_hh, int mask, int h0, int act);
/* LSTM layer with PyTorch's equations and gate order (i, f, g, o):
 *   (i f g o) = (sigmoid sigmoid tanh sigmoid)(x_t W_ih^T + b + h_{t-1} W_hh^T)
 *   c_t = f c_{t-1} + i g,   h_t = o tanh(c_t),   h_{-1} = h0, c_{-1} = c0
 * x (N,T,D), w_ih (4H,D), w_hh (4H,H) [PyTorch layout, gates stacked i, f, g, o], b (4H) or -1
 * (PyTorch's b_ih + b_hh), mask (N,T) or -1 as for nn_rnn (at a padding step h and c carry
 * over unchanged and the step's output is 0); h0, c0 (N,H) or -1 for zeros, each with its
 * gradient; out_mode NN_RNN_ALL_STEPS -> (N,T,H),
 * NN_RNN_LAST_STEP -> (N,H), the state after each sequence's last real step.
 * Built from dense (all steps' input projection), lstm_states (the recurrence) and slices
 * (and a concat of [h0 | c0]); first-order gradients only, like nn_rnn. */
int nn_lstm(nn_graph *g, int x, int w_ih, int w_hh, int b, int mask, int h0, int c0, int out_mode);
/* lstm_states: xp (N,T,4H) the projected inputs (bias included), w_hh (4H,H), mask (N,T) or -1,
 * init [h0 | c0] (N,2H) or -1 -> (N,T,6H): per step the row [i f g o | c | h] (activated
 * gates, cell, state; a padding step holds gates 0 and the carried c and h). */
int nn_lstm_states(nn_graph *g, int xp, int w_hh, int mask, int init);
/* GRU layer with PyTorch's equations and gate order (r, z, n), h_{-1} = h0:
 *   r = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)
 *   z = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)
 *   n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn)),   h_t = (1 - z) n + z h_{t-1}
 * x (N,T,D), w_ih (3H,D), w_hh (3H,H) [PyTorch layout, gates stacked r, z, n], b_ih (3H) or -1,
 * b_hh (3H) or -1 (both biases: b_hn sits inside r * (...), so they do not add up into one),
 * mask (N,T) or -1 as for nn_rnn (at a padding step h carries over unchanged and the step's
 * output is 0); h0 (N,H) or -1 for zeros, with its gradient, as for nn_rnn (PyTorch's
 * nn.GRU(x, h0)); out_mode NN_RNN_ALL_STEPS -> (N,T,H), NN_RNN_LAST_STEP -> (N,H), the state
 * after each sequence's last real step.
 * Built from dense (all steps' input projection), gru_states (the recurrence) and slices;
 * first-order gradients only, like nn_rnn. */
int nn_gru(nn_graph *g, int x, int w_ih, int w_hh, int b_ih, int b_hh, int mask, int h0, int out_mode);
/* gru_states: xp (N,T,3H) the projected inputs (b_ih included), w_hh (3H,H), b_hh (3H), mask
 * (N,T) or -1, h0 (N,H) or -1 -> (N,T,5H): per step the row [r z | hn | n | h] with
 * hn = h_{t-1} W_hn^T + b_hn (gates, the recurrent part of n, state; a padding step holds 0s
 * and the carried h). */
int nn_gru_states(nn_graph *g, int xp, int w_hh, int b_hh, int mask, int h0);

#endif
