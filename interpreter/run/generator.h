/* generator.h — new samples from a trained model: a generator's output on fresh noise
 * (`of: G`), or what a decoder makes of draws of one of its layers from N(0, I) (`of: recon,
 * from: z`: a VAE's samples). Every draw is seeded: the same seed gives the same noise whatever
 * the weights, so the grids drawn after each epoch show one fixed set of noise vectors.
 *
 * The generator has its own evaluation graph, `batch` rows, sharing the weights of the model it
 * is opened on. A conditional generator (one whose output reads the dataset's targets, e.g. a
 * `label` input bound to them one-hot) is given a class id per sample. */
#ifndef NNRUN_GENERATOR_H
#define NNRUN_GENERATOR_H

#include "../build/model_build.h"

typedef struct {
    model_graph *m;
    int out;              /* the node drawn, (batch, ...) */
    int from;             /* the node fed with N(0, I) draws, or -1 */
    int logits;           /* a bce_with_logits loss reads `of`: samples are sigmoid(out) */
    int conditional;      /* out depends on the targets: each sample needs a class id */
    int n_classes;        /* the dataset's classes (conditional generators) */
    size_t width;         /* floats per sample */
    nn_shape sample;      /* the per-sample shape of out */
} generator;

/* Builds the generator; 0, or -1 with a message in err (an unknown name, `of` depending on the
 * data, `from` not before `of` or bypassed by a skip connection). `from` may be NULL. */
int generator_open(generator *gen, const spec *s, const data_info *di, const model_graph *weights, const char *of,
                   const char *from, int batch, char *err, size_t errlen);
/* n samples into out (n x width floats): noise drawn from a stream seeded with `seed`; labels
 * (n class ids) for a conditional generator, else ignored (may be NULL). 0 or -1 (labels
 * missing or out of range, message in err). */
int generator_draw(generator *gen, uint64_t seed, const int *labels, int n, float *out, char *err, size_t errlen);
/* The same with chosen values of `from` (n x generator_from_width floats): a latent grid. */
int generator_decode(generator *gen, const float *z, const int *labels, int n, float *out, char *err, size_t errlen);
size_t generator_from_width(const generator *gen);   /* 0 without `from` */
void generator_close(generator *gen);

#endif
