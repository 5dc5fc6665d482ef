/* nn/rng.h — seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64).
 * One seed fixes every draw; the state is plain data so a checkpoint can save and restore it. */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
    int has_spare;      /* Box-Muller produces normals in pairs */
    float spare;
} nn_rng;

void nn_rng_seed(nn_rng *r, uint64_t seed);
uint64_t nn_rng_u64(nn_rng *r);
float nn_rng_uniform(nn_rng *r);                  /* [0, 1) */
float nn_rng_range(nn_rng *r, float lo, float hi);/* [lo, hi) */
float nn_rng_normal(nn_rng *r);                   /* N(0, 1) */
uint32_t nn_rng_below(nn_rng *r, uint32_t n);     /* uniform in [0, n), unbiased */
void nn_rng_shuffle(nn_rng *r, int *a, int n);    /* Fisher-Yates */
/* An independent stream derived from r (for parallel or per-purpose use). */
nn_rng nn_rng_split(nn_rng *r);

/* splitmix64's output function: draw i of a counter-based stream is
 * nn_rng_mix64(key + (i + 1) * NN_RNG_GAMMA). Each draw depends only on (key, i), so long
 * streams fill in vectorised or split loops; seeding uses the same stream. */
#define NN_RNG_GAMMA 0x9e3779b97f4a7c15ULL
static inline uint64_t nn_rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
