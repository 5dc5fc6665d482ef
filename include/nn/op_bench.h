/* nn/op_bench.h — the per-op benchmark: one registry op's forward and backward timed on its own
 * fixture (nn_op_def.gradcheck) scaled up, the numbers `nnrun ops --bench` prints.
 *
 * The fixture is built at the given scale and run in training mode (dropout and noise draw).
 * Planning, allocation and one full run happen before any timing. Timed are:
 *   forward  : the op's forward function on the first node of the op the fixture builds;
 *   backward : the nodes the op's backward rule emits for a random output gradient, in plan
 *              order, for the inputs a training step differentiates (inputs and parameters
 *              that are not no_grad, and what is computed from them: not labels, masks or
 *              constants), whatever ops they are.
 * A gradient-only op (NN_OPS_GRAD_ONLY in runtime/ops/op_list.h: an RNN's backpropagation
 * through time, attention_grad) has no fixture and no backward: it is timed where it runs, in
 * the backward of the first registry op whose fixture's backward emits it (`via`), and its
 * forward time is the time of its nodes there.
 * Each time is the median of `samples` samples after a warm-up; a sample is the mean over
 * enough back-to-back repetitions to last min_sample_ms, so that the clock's resolution and
 * its call do not weigh on small ops. */
#ifndef NN_OP_BENCH_H
#define NN_OP_BENCH_H

#include <stddef.h>

typedef struct {
    int scale;              /* fixture scale, >= 1 (nn_op_def.gradcheck) */
    int samples;            /* samples per median, >= 1 */
    double min_sample_ms;   /* a sample repeats the timed nodes until it lasts this long, >= 0 */
} nn_op_bench_config;

#define NN_OP_BENCH_SHAPES 256

typedef struct {
    int op;                            /* registry index */
    int via;                           /* the op whose fixture ran: op, or the fused op a gradient-only op runs in */
    char inputs[NN_OP_BENCH_SHAPES];   /* the timed node's input shapes, e.g. "[96, 160] [128, 160] [128]" */
    double forward_ms;                 /* median per forward */
    double backward_ms;                /* median per backward; < 0: no node to time (no gradient, gradient-only op) */
    double forward_flops;              /* per forward by the op's FLOP count; 0: the op has none */
    double backward_flops;             /* per backward, nn_node_flops over its nodes; 0 without a count or a backward */
} nn_op_bench_result;

/* Times registry op `op`; returns 0, or -1 with a message in err (a bad argument, a fixture
 * that fails, out of memory). */
int nn_op_bench(int op, const nn_op_bench_config *cfg, nn_op_bench_result *out, char *err, size_t errlen);

#endif
