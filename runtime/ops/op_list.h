/* The list of registered ops, in registry order. Adding an op: one line here, one
 * `const nn_op_def nn_def_<name>` in an op_<family>.c file of this folder (runtime/ops/). */
#ifndef NN_OP_LIST_H
#define NN_OP_LIST_H
#include "nn/ops.h"

#define NN_OP_LIST(X) \
    X(matmul) X(matmul_acc) X(matmul_act_grad) X(dense) \
    X(add) X(sub) X(mul) X(div) X(sum_to) X(broadcast_to) \
    X(sum) X(mean) X(sum_rows) X(reshape) \
    X(affine) X(exp) X(log) X(sqrt) X(pow) X(abs) X(sign) X(square) \
    X(relu) X(leaky_relu) X(leaky_relu_grad) X(elu) X(selu) X(elu_grad) X(elu_grad_y) X(gelu) X(gelu_grad) \
    X(sigmoid) X(sigmoid_grad) X(tanh) X(tanh_grad) X(softmax) X(softmax_grad) \
    X(log_softmax) X(log_softmax_grad) X(step) \
    X(dropout_mask) X(noise) X(uniform_noise) \
    X(scale) X(mse) X(l1) X(bce_with_logits) X(bce_grad) X(cross_entropy) X(ce_grad) X(one_hot) \
    NN_OPS_CONV(X) \
    NN_OPS_POOL(X) \
    NN_OPS_SEQ(X) \
    NN_OPS_RNN(X) \
    NN_OPS_CONV1D(X) \
    NN_OPS_ATTENTION(X)

/* Convolutions (op_conv.c): conv2d, conv_transpose2d and the weight-gradient op; each
 * one's backward is built from the others. A first layer's convolution, activation and 2x2
 * max pool as one op, and its weight gradient (op_conv_pool.c); the gradients of a convolution
 * whose output is 2x2 max pooled, from the pooled gradient (op_conv_pooled.c). */
#define NN_OPS_CONV(X) \
    X(conv2d) X(conv_transpose2d) X(conv2d_wgrad) X(conv_bias_grad) \
    /* op_conv_pool.c */ X(conv2d_maxpool) X(conv_maxpool_wgrad) \
    /* op_conv_pooled.c */ X(conv2d_wgrad_pooled) X(conv_transpose2d_pooled)



/* Pooling, upsampling, concatenation, slicing and running statistics (op_pool_max.c,
 * op_pool_avg.c, op_upsample.c, op_concat.c, op_stats.c). */
#define NN_OPS_POOL(X) \
    /* op_pool_max.c */ X(maxpool2d) X(max_select) X(max_route) \
    /* op_pool_avg.c */ X(avgpool2d) X(avgpool2d_grad) X(global_avgpool) X(global_avgpool_grad) \
    /* op_upsample.c */ X(upsample_nearest) X(block_sum) \
    /* op_concat.c */ X(concat) X(slice) X(pad_axis) \
    /* op_stats.c */ X(ema_update)

/* Sequence models (op_embedding.c, op_max_over.c, op_mean_over.c, op_flip.c): embedding
 * lookup, reductions over one axis, each with the ops its gradients are made of, and reversal
 * of an axis. */
#define NN_OPS_SEQ(X) \
    /* op_embedding.c */ X(embedding) X(embedding_grad) \
    /* op_max_over.c */ X(max_over) X(max_over_select) X(max_over_route) \
    /* op_mean_over.c */ X(mean_over) X(mean_over_grad) \
    /* op_flip.c */ X(flip)

/* Recurrent layers (op_rnn.c, op_lstm.c, op_gru.c): the state sequence of a simple RNN, an
 * LSTM or a GRU and the ops each one's gradient is made of (the input projection is a dense
 * op, see nn_rnn, nn_lstm and nn_gru). */
#define NN_OPS_RNN(X) \
    /* op_rnn.c */ X(rnn_states) X(rnn_grad) X(rnn_whh_grad) \
    /* op_lstm.c */ X(lstm_states) X(lstm_grad) X(lstm_whh_grad) \
    /* op_gru.c */ X(gru_states) X(gru_grad) X(gru_whh_grad) X(gru_bhh_grad)

/* 1-D convolution and pooling over sequences (N,T,C), channels-last (op_conv1d.c):
 * unfold1d copies each window of K steps into one row of K*C floats and fold1d is its adjoint;
 * nn_conv1d is unfold1d + one dense GEMM over all N*T_out windows (the PyTorch-layout weight read
 * through transpose_last2, op_shape.c), nn_maxpool1d is unfold1d + max_over. */
#define NN_OPS_CONV1D(X) \
    X(transpose_last2) X(unfold1d) X(fold1d)

/* Transformers and attention (op_batch_matmul.c, op_shape.c, op_layer_norm.c, op_mask.c,
 * op_attention.c): batched matrix products, axis permutations, layer norm, the masked softmax
 * and its padding masks, and fused scaled dot-product attention. */
#define NN_OPS_ATTENTION(X) \
    /* op_batch_matmul.c */ X(batch_matmul) \
    /* op_shape.c */ X(permute) \
    /* op_layer_norm.c */ X(layer_norm) X(layer_norm_grad) \
    /* op_mask.c */ X(softmax_masked) X(pad_mask) \
    /* op_attention.c */ X(attention) X(attention_grad)

/* Gradient-only ops: rows of NN_OP_LIST that compute the gradient of a fused op (an RNN's
 * backpropagation through time) and have no backward of their own, so gradients of gradients
 * stop there with a clear error instead of being silently wrong. Each names the fused layer it
 * belongs to, for that message. Every other row must have a backward and a gradcheck fixture
 * (tests/test_gradcheck.c); these are checked through their fused op's fixture instead. */
#define NN_OPS_GRAD_ONLY(X) \
    X(rnn_grad, "recurrent layers") X(rnn_whh_grad, "recurrent layers") \
    X(lstm_grad, "recurrent layers") X(lstm_whh_grad, "recurrent layers") \
    X(gru_grad, "recurrent layers") X(gru_whh_grad, "recurrent layers") X(gru_bhh_grad, "recurrent layers") \
    X(attention_grad, "fused attention (its composition from batch_matmul and softmax_masked has them)")

#define NN_OP_ENUM(name) NN_OP_##name,
enum nn_op_id { NN_OP_LIST(NN_OP_ENUM) NN_OP_COUNT };
#undef NN_OP_ENUM

#define NN_OP_DECLARE(name) extern const nn_op_def nn_def_##name;
NN_OP_LIST(NN_OP_DECLARE)
#undef NN_OP_DECLARE

#endif
