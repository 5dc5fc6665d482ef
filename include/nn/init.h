/* nn/init.h — weight initialisers as in torch.nn.init, over plain float arrays.
 *
 * A weight is a rows x cols row-major matrix, rows = fan_out and cols = fan_in (PyTorch's
 * Linear weight (out, in)). A convolution weight (out, in, kh, kw) is the matrix
 * out x (in*kh*kw) with PyTorch's fans fan_in = in*kh*kw, fan_out = out*kh*kw
 * (nn_init_fill_conv). Every draw comes from the given nn_rng, so one seed fixes them all.
 *
 * Scale of each kind (gain g defaults per kind, see nn_init_default_gain):
 *   normal           N(mean, std)             uniform          U(lo, hi)
 *   xavier_normal    std = g*sqrt(2/(fan_in+fan_out))       xavier_uniform  bound = sqrt(3)*std
 *   he_normal        std = g/sqrt(fan_in), g = sqrt(2)      he_uniform      bound = sqrt(3)*std
 *                    (kaiming_*_, mode fan_in, nonlinearity relu)
 *   lecun_normal     std = g/sqrt(fan_in), g = 1 (plain normal; what SELU nets want)
 *   torch_default    U(-b, b), b = sqrt(3)*g/sqrt(fan_in) with g = sqrt(1/3), i.e.
 *                    1/sqrt(fan_in): nn.Linear/Conv's kaiming_uniform_(a=sqrt(5))
 *   orthogonal       g * Q, Q from the QR of a Gaussian matrix, columns sign-fixed by diag(R)
 *                    (torch.nn.init.orthogonal_); orthonormal rows if rows < cols, else columns
 */
#ifndef NN_INIT_H
#define NN_INIT_H

#include <stddef.h>
#include "nn/rng.h"

typedef enum {
    NN_INIT_ZEROS,
    NN_INIT_CONSTANT,
    NN_INIT_NORMAL,
    NN_INIT_UNIFORM,
    NN_INIT_XAVIER_NORMAL,
    NN_INIT_XAVIER_UNIFORM,
    NN_INIT_HE_NORMAL,
    NN_INIT_HE_UNIFORM,
    NN_INIT_ORTHOGONAL,
    NN_INIT_LECUN_NORMAL,
    NN_INIT_TORCH_DEFAULT,
    NN_INIT_KIND_COUNT
} nn_init_kind;

typedef struct {
    nn_init_kind kind;
    float value;   /* constant */
    float mean;    /* normal */
    float std;     /* normal */
    float lo, hi;  /* uniform */
    float gain;    /* xavier, he, lecun, orthogonal, torch_default; <= 0 means the kind's default */
} nn_init;

/* torch.nn.init's defaults: normal N(0, 1), uniform U(0, 1), value 0, gain = the kind's. */
void nn_init_defaults(nn_init_kind kind, nn_init *init);
/* The gain a kind uses when init->gain <= 0: sqrt(2) for he_*, sqrt(1/3) for torch_default,
 * 1 otherwise. */
float nn_init_default_gain(nn_init_kind kind);
/* "zeros", "constant", "normal", "uniform", "xavier_normal", "xavier_uniform", "he_normal",
 * "he_uniform", "orthogonal", "lecun_normal", "torch_default"; "?" if out of range. */
const char *nn_init_kind_name(nn_init_kind kind);
/* The kind for a name, also accepting glorot_{normal,uniform} and kaiming_{normal,uniform};
 * -1 if unknown (list the valid ones with nn_init_kind_name over kind < NN_INIT_KIND_COUNT). */
int nn_init_kind_from_name(const char *name);
/* Checks the fields a kind reads (std >= 0, lo <= hi, finite values). 0, or -1 and err. */
int nn_init_check(const nn_init *init, char *err, size_t errlen);

/* Fills w, fan_out x fan_in (row-major), per init. Returns 0, or -1 with a message in err
 * (bad sizes or fields, missing rng for a random kind, LAPACK failure or out of memory for
 * orthogonal). */
int nn_init_fill(float *w, int fan_out, int fan_in, const nn_init *init, nn_rng *r, char *err, size_t errlen);
/* A convolution weight (out_ch, in_ch, ksize) where ksize = kh*kw (or the kernel volume):
 * fans in_ch*ksize and out_ch*ksize; orthogonal treats it as out_ch x (in_ch*ksize). */
int nn_init_fill_conv(float *w, int out_ch, int in_ch, int ksize, const nn_init *init, nn_rng *r,
                      char *err, size_t errlen);
/* A bias of n floats for a layer with that fan_in. torch_default draws U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) like nn.Linear's bias; zeros, constant, normal and uniform fill elementwise;
 * the fan-based kinds (xavier, he, lecun, orthogonal) are an error (they describe matrices). */
int nn_init_fill_bias(float *b, int n, int fan_in, const nn_init *init, nn_rng *r, char *err, size_t errlen);

#endif
