/* char_sample.h — the pieces of `nnrun sample` that do not need a model: the prime mapped to
 * the 27 character symbols, and one symbol drawn from a step's logits. */
#ifndef NNRUN_CHAR_SAMPLE_H
#define NNRUN_CHAR_SAMPLE_H

#include "nn/rng.h"
#include <stddef.h>

/* Maps text to symbol ids as the chars dataset does (nn_char_map: upper case folded, other
 * characters spaces or dropped by drop_other, runs of spaces one); out has room for
 * strlen(text) ids. Fails (message in err) when the text has no letter: the model would be
 * primed with nothing it can read. Returns the number of ids or -1. */
int char_prime_ids(const char *text, int drop_other, unsigned char *out, char *err, size_t errlen);

/* One symbol drawn from softmax(logits / temperature) over classes logits, using r;
 * temperature 0 takes the argmax (the first on ties) and draws nothing. */
int char_sample_next(const float *logits, int classes, float temperature, nn_rng *r);

#endif
