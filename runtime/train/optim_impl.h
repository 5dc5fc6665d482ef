/* Internal to the optimizer: the optimizer object and its per-slice update kernels
 * (runtime/train/optim.c owns the object, runtime/kernels/fastmath/kern_optim.c the
 * arithmetic). */
#ifndef NN_OPTIM_IMPL_H
#define NN_OPTIM_IMPL_H

#include "nn/optim.h"

#define NN_OPT_MAX_STATE 3

struct nn_optimizer {
    nn_opt_config cfg;
    nn_param_slice *slices;
    size_t *offset;                       /* [n_slices] start of slice i in each state buffer */
    int n_slices;
    size_t total;                         /* floats per state buffer = sum of slice lengths */
    long steps;
    int n_state;
    const char *state_name[NN_OPT_MAX_STATE];
    float *state[NN_OPT_MAX_STATE];       /* carved from block */
    float *block;                         /* the one state allocation: n_state * total floats */
};

/* Constants of one step, computed once per step so the inner loops stay cheap. */
typedef struct {
    float lr, wd, mu;                     /* wd already 0 for slices without decay */
    float b1, b2, eps, alpha;
    float c1, c2, calpha;                 /* 1 - b1, 1 - b2, 1 - alpha, rounded from double */
    float step_size, inv_sqrt_bc2;       /* Adam: lr / (1 - b1^t), 1 / sqrt(1 - b2^t) */
    float decoupled_mul;                 /* AdamW: 1 - lr*wd (1 for slices without decay) */
} nn_opt_coef;

/* p, g, and state buffers (NULL when unused) all of length n. */
void nn_opt_sgd_slice(float *p, const float *g, float *buf, size_t n, const nn_opt_coef *k, int nesterov);
void nn_opt_adam_slice(float *p, const float *g, float *m, float *v, size_t n, const nn_opt_coef *k);
void nn_opt_rmsprop_slice(float *p, const float *g, float *sq, float *buf, float *gavg, size_t n,
                          const nn_opt_coef *k);

#endif
