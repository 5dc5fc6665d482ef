/* Helpers shared by the elementwise, activation, random, loss and max op files. */
#ifndef NN_EW_UTIL_H
#define NN_EW_UTIL_H
#include "nn/graph.h"

/* infer: output has the shape of input 0 */
int nn_ew_same_infer(nn_graph *g, nn_node *n);
/* infer: inputs 0 and 1 must have the same shape; output has it */
int nn_ew_pair_infer(nn_graph *g, nn_node *n);
/* Gradcheck input whose values have |v| in [lo, hi) and a random sign: keeps finite
 * differences away from the kink at 0 of relu, abs, sign, step, elu. */
int nn_ew_test_input_away(nn_graph *g, nn_shape s, nn_rng *r, float lo, float hi);
/* Gradcheck input of distinct values spaced 0.05 apart in random order: finite differences
 * (eps 0.01) never move an argmax (max pooling, max_over). */
int nn_ew_test_input_distinct(nn_graph *g, nn_shape s, nn_rng *r);
/* The elementwise fixtures' shape: (3, 4), each axis times scale (nn_op_def.gradcheck). */
static inline nn_shape nn_ew_test_shape(int scale) { return nn_shape2(3 * scale, 4 * scale); }
/* s with its last dimension set to 1: the shape of per-row sums, broadcastable back to s */
nn_shape nn_ew_rows_keep(nn_shape s);
/* Number of rows and the row length when the last dimension is the row. */
void nn_ew_rows(const nn_shape *s, size_t *rows, size_t *cols);
/* Node reading: the op's input k */
static inline nn_node *nn_ew_in(nn_graph *g, const nn_node *n, int k) { return &g->nodes[n->in[k]]; }

#endif
