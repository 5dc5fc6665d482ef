/* Unary math kernels: exp, log, sqrt, pow (vectorised through libmvec; see kern.h). */
#include "kern.h"
#include "../../core/parallel.h"
#include "kern_mvec.h"

typedef struct {
    const float *x;
    float *y;
    float p;
} unary_ctx;

NN_PAR_CHUNK_FN(exp_chunk, unary_ctx, c, i, c->y[i] = expf(c->x[i]);)
NN_PAR_CHUNK_FN(log_chunk, unary_ctx, c, i, c->y[i] = logf(c->x[i]);)
NN_PAR_CHUNK_FN(sqrt_chunk, unary_ctx, c, i, c->y[i] = sqrtf(c->x[i]);)
NN_PAR_CHUNK_FN(pow_chunk, unary_ctx, c, i, c->y[i] = powf(c->x[i], c->p);)

void nn_k_exp(const float *x, float *y, size_t n) { nn_par_for(n, exp_chunk, &(unary_ctx){x, y, 0}); }
void nn_k_log(const float *x, float *y, size_t n) { nn_par_for(n, log_chunk, &(unary_ctx){x, y, 0}); }
void nn_k_sqrt(const float *x, float *y, size_t n) { nn_par_for(n, sqrt_chunk, &(unary_ctx){x, y, 0}); }
void nn_k_pow(const float *x, float p, float *y, size_t n) { nn_par_for(n, pow_chunk, &(unary_ctx){x, y, p}); }
