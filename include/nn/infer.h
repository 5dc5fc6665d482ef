/* nn/infer.h — incremental inference of sequence decoders: a layer's pieces applied to one new
 * step of each sequence being decoded, with the keys and values of the earlier steps kept (a
 * KV cache), so that greedy and beam search cost one step per token instead of re-running the
 * whole prefix. Rows are the sequences being decoded (sentences x beams).
 *
 * These are the evaluation-mode forward computations of the graph ops (dense, layer_norm,
 * relu/gelu/tanh/sigmoid, attention, gru) for one step; the interpreter's step decoder checks
 * them against the graph's teacher-forced outputs. Arrays are row-major floats. */
#ifndef NN_INFER_H
#define NN_INFER_H
#include <stddef.h>

/* y (n, out) = x (n, in) W^T + b: W (out, in) as PyTorch's Linear; b (out) or NULL. The rows
 * of x are ldx floats apart (ldx >= in), those of y ldy apart (ldy >= out). */
void nn_infer_linear(const float *x, int n, int in, int ldx, const float *w, const float *b, int out, float *y, int ldy);

/* In place over n rows of c: (x - mean) / sqrt(var + eps) * gamma + beta (PyTorch's
 * LayerNorm, biased variance); gamma, beta NULL: 1, 0. */
void nn_infer_layer_norm(float *x, int n, int c, const float *gamma, const float *beta, float eps);

typedef enum { NN_INFER_RELU, NN_INFER_GELU, NN_INFER_TANH, NN_INFER_SIGMOID } nn_infer_act;
/* In place over n floats. */
void nn_infer_activate(float *x, size_t n, nn_infer_act act);

/* Multi-head scaled dot-product attention of one query per row over that row's keys:
 *   q (n, D), projected, the heads side by side (D = heads x dh);
 *   k, v (rows_kv, ld_t, D): the keys and values, row r reads kv_row ? kv_row[r] : r,
 *   of which the first len count;
 *   key_bias (rows_kv, ld_t) added to the scores (-inf: a padding key) or NULL
 *   -> o (n, D), each head's weighted values side by side (before the output projection),
 *   and, when weights is not NULL, the attention weights (n, heads, len).
 * A row whose keys are all masked gets zeros. Returns 0, or -1 when out of memory. */
typedef struct {
    int n, heads, dm;
    int len, ld_t;
    const float *q, *k, *v, *key_bias;
    const int *kv_row;
    float *weights;
} nn_infer_attention_geom;
int nn_infer_attention(const nn_infer_attention_geom *a, float *o);

/* One GRU step over n rows, PyTorch's gate order (r, z, n):
 *   gi (n, 3H) = x W_ih^T + b_ih, gh (n, 3H) = h W_hh^T + b_hh, computed by the caller;
 *   r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), c = tanh(gi_n + r gh_n),
 *   h = (1 - z) c + z h, in place. gi and gh are overwritten. */
void nn_infer_gru_cell(float *gi, float *gh, float *h, int n, int hidden);

/* One LSTM step over n rows, PyTorch's gate order (i, f, g, o): gates (n, 4H) = x W_ih^T +
 * h W_hh^T + b, computed by the caller and overwritten; c = sigmoid(f) c + sigmoid(i) tanh(g),
 * h = sigmoid(o) tanh(c), both in place. */
void nn_infer_lstm_cell(float *gates, float *c, float *h, int n, int hidden);

/* Additive (Bahdanau) attention of one query per row, the tutorial's BahdanauAttention:
 *   q (n, H) = Wa h + ba, computed by the caller; keys_u (rows_kv, S, H) = Ua k + bu, once;
 *   score_s = va . tanh(q + keys_u[s]) + bva, softmax over the keys not masked by key_bias
 *   (rows_kv, S) (NULL: none); row r reads kv_row[r]
 *   -> weights (n, S) and context (n, F) = sum_s weight_s keys[s], keys (rows_kv, S, F). */
typedef struct {
    int n, hidden, s, f;
    const float *q, *keys_u, *keys, *va, *key_bias;
    float bva;
    const int *kv_row;
} nn_infer_additive_geom;
void nn_infer_additive_attention(const nn_infer_additive_geom *a, float *weights, float *context);

/* rows of `row_floats` floats: dst row i = src row from[i] (beam search keeping the rows its
 * surviving hypotheses came from); dst and src must not overlap. */
void nn_infer_gather_rows(const float *src, const int *from, int n, size_t row_floats, float *dst);

#endif
