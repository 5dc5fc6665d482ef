/* nn/quality.h — how close generated samples are to a known target distribution, as numbers
 * in units of the target's own spread (the generative issue's quality measures). */
#ifndef NN_QUALITY_H
#define NN_QUALITY_H

#include <stdint.h>

/* The distance r of n samples x (n x d, row-major) from the uniform cube U[-1, 1]^d, in units of
 * a coordinate's standard deviation 1/sqrt(3): r = max(m, s), where
 *   m = the largest over coordinates of the W1 distance between the sorted coordinate and the
 *       exact uniform quantiles q_i = -1 + (2i - 1)/n, i = 1..n (the marginals), and
 *   s = the mean over 64 unit directions of the W1 distance between the sample projected on
 *       the direction and a reference sample of U[-1, 1]^d of the same size projected alike
 *       (the joint law: correlations, corners), both drawn from nn_rng seeded with seed
 *       (the reference first, then the directions as normalised Gaussian vectors),
 * each W1 of two sorted sets of n values being the mean of their absolute differences.
 * Exact uniform samples of 10,000 score about 0.02; a cube 5% too narrow about 0.05. The same
 * x and seed give the same r. m and s (may be NULL) receive the two parts. NaN if n < 1, d < 1,
 * x holds a NaN or an infinity, or memory runs out. */
double nn_uniform_cube_r(const float *x, int n, int d, uint64_t seed, double *m, double *s);

#endif
