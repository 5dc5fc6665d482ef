/* The list of registered ops, in registry order. Adding an op: one line here, one
 * `const nn_op_def nn_def_<name>` in a runtime/op_<family>.c file. */
#ifndef NN_OP_LIST_H
#define NN_OP_LIST_H
#include "nn/ops.h"

#define NN_OP_LIST(X) \
    X(matmul) X(dense) \
    X(add) X(sub) X(mul) X(div) X(sum_to) X(broadcast_to) \
    X(sum) X(mean) X(sum_rows) X(reshape) \
    X(affine) X(exp) X(log) X(sqrt) X(pow) X(abs) X(sign) X(square) \
    X(relu) X(leaky_relu) X(leaky_relu_grad) X(elu) X(selu) X(elu_grad) X(gelu) X(gelu_grad) \
    X(sigmoid) X(sigmoid_grad) X(tanh) X(tanh_grad) X(softmax) X(softmax_grad) \
    X(log_softmax) X(log_softmax_grad) X(step) \
    X(dropout_mask) X(noise) \
    X(scale) X(mse) X(l1) X(bce_with_logits) X(bce_grad) X(cross_entropy) X(ce_grad) X(one_hot)

#define NN_OP_ENUM(name) NN_OP_##name,
enum nn_op_id { NN_OP_LIST(NN_OP_ENUM) NN_OP_COUNT };
#undef NN_OP_ENUM

#define NN_OP_DECLARE(name) extern const nn_op_def nn_def_##name;
NN_OP_LIST(NN_OP_DECLARE)
#undef NN_OP_DECLARE

/* Elements above which elementwise loops split across threads. */
#define NN_PAR_MIN 32768

/* for (size_t i = 0; i < n; i++) { body }: always vectorised, split across threads only above
 * NN_PAR_MIN. Not `parallel for simd if (n > NN_PAR_MIN)`: under OpenMP 5 a bare if clause
 * applies to the simd part too, so every small tensor ran scalar (3-10x slower); and even
 * `if (parallel : ...)` pays a GOMP_parallel call per small tensor. */
#define NN_PAR_SIMD_FOR(i, n, ...)                                                    \
    do {                                                                              \
        size_t nn_count_ = (n);                                                       \
        if (nn_count_ > NN_PAR_MIN) {                                                 \
            _Pragma("omp parallel for simd")                                          \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        } else {                                                                      \
            _Pragma("omp simd")                                                       \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        }                                                                             \
    } while (0)
#define NN_PRAGMA(x) _Pragma(#x)
/* The same for a sum into the (double or float) variable acc. */
#define NN_PAR_SIMD_SUM(acc, i, n, ...)                                               \
    do {                                                                              \
        size_t nn_count_ = (n);                                                       \
        if (nn_count_ > NN_PAR_MIN) {                                                 \
            NN_PRAGMA(omp parallel for simd reduction(+ : acc))                       \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        } else {                                                                      \
            NN_PRAGMA(omp simd reduction(+ : acc))                                    \
            for (size_t i = 0; i < nn_count_; i++) { __VA_ARGS__ }                    \
        }                                                                             \
    } while (0)

#endif
