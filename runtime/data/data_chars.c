/* The character corpus: a text file mapped to 27 symbols (nn_char_map) and cut into windows
 * whose targets are the next characters, for character-level sequence models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

int nn_char_corpus_load(const char *path, int drop_other, unsigned char **ids, size_t *n, char *err,
                        size_t errlen)
{
    *ids = NULL;
    *n = 0;
    char *buf;
    size_t size;
    if (nn_data_read_all(path, &buf, &size, err, errlen) < 0) return -1;
    int rc = (*ids = malloc(size + 1)) ? 0 : nn_fail(err, errlen, "%s: out of memory", path);
    if (rc == 0) *n = nn_char_map(buf, size, drop_other, *ids);
    free(buf);
    return rc;
}

int nn_char_windows(const unsigned char *ids, size_t n, int T, int stride, nn_dataset *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (T < 1 || stride < 1) return nn_fail(err, errlen, "character windows: length %d and stride %d must be >= 1", T, stride);
    if (n < (size_t)T + 1)
        return nn_fail(err, errlen, "character windows: the corpus has %zu symbols, windows of %d need at least %d",
                       n, T, T + 1);
    size_t count = (n - (size_t)T - 1) / (size_t)stride + 1;
    if (count > 0x7fffffff) return nn_fail(err, errlen, "character windows: %zu windows are too many; use a larger stride", count);
    nn_shape shape = {.ndim = 1, .d = {T}};
    if (nn_dataset_alloc(out, (int)count, shape, T, err, errlen)) return -1;
    out->n_classes = NN_CHAR_SYMBOLS;
    for (size_t w = 0; w < count; w++) {
        const unsigned char *src = ids + w * (size_t)stride;
        float *x = out->x + w * (size_t)T, *y = out->y + w * (size_t)T;
        for (int t = 0; t < T; t++) {
            x[t] = src[t];
            y[t] = src[t + 1];
        }
    }
    return 0;
}
