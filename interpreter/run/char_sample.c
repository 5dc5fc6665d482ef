/* Prime mapping and temperature sampling for `nnrun sample` (see char_sample.h). */
#include "char_sample.h"
#include "nn/text.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

int char_prime_ids(const char *text, int drop_other, unsigned char *out, char *err, size_t errlen)
{
    size_t n = nn_char_map(text, strlen(text), drop_other, out);
    for (size_t i = 0; i < n; i++)
        if (out[i] != 0) return (int)n;   /* symbol 0 is the space */
    snprintf(err, errlen, "the prime \"%s\" has no letter; a character model reads only a-z (any case) and spaces", text);
    return -1;
}

int char_sample_next(const float *logits, int classes, float temperature, nn_rng *r)
{
    int best = 0;
    for (int i = 1; i < classes; i++)
        if (logits[i] > logits[best]) best = i;
    if (temperature <= 0) return best;
    /* p_i = exp((z_i - z_max) / T) / sum: shifted by the maximum so nothing overflows */
    double total = 0;
    for (int i = 0; i < classes; i++) total += exp((double)(logits[i] - logits[best]) / temperature);
    double u = nn_rng_uniform(r) * total, acc = 0;
    for (int i = 0; i < classes; i++) {
        acc += exp((double)(logits[i] - logits[best]) / temperature);
        if (u < acc) return i;
    }
    return best;   /* u landed on the rounding error at the very top */
}
