/* The list of registered ops, in registry order. Adding an op: one line here, one
 * `const nn_op_def nn_def_<name>` in a runtime/op_<family>.c file. */
#ifndef NN_OP_LIST_H
#define NN_OP_LIST_H
#include "nn/ops.h"

#define NN_OP_LIST(X) \
    X(matmul) X(dense) \
    X(add) X(sub) X(mul) X(div) X(sum_to) X(broadcast_to) \
    X(sum) X(mean) X(sum_rows) X(reshape) \
    X(affine)

#define NN_OP_ENUM(name) NN_OP_##name,
enum nn_op_id { NN_OP_LIST(NN_OP_ENUM) NN_OP_COUNT };
#undef NN_OP_ENUM

#define NN_OP_DECLARE(name) extern const nn_op_def nn_def_##name;
NN_OP_LIST(NN_OP_DECLARE)
#undef NN_OP_DECLARE

/* Elements above which elementwise loops split across threads. */
#define NN_PAR_MIN 32768

#endif
