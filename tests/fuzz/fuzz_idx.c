/* Fuzz harness: the IDX reader (nn_load_idx, nn/data.h), raw or gzip. An input is
 *   byte 0      flags: bit 0 labels given, bit 1 the images file is found as PATH.gz
 *   bytes 1..4  the images file's length n, little-endian (cut to what the input holds)
 *   then        n bytes of the images file, and the rest is the labels file.
 * A dataset it accepts has n images of [1, rows, cols] pixels in [0, 1] and, with labels, a
 * class id below n_classes for each. */
#include "fuzz_util.h"
#include "nn/data.h"

enum { FLAG_LABELS = 1, FLAG_GZ_NAME = 2 };

static void check_dataset(const nn_dataset *d, int labels)
{
    FUZZ_ASSERT(d->n > 0 && d->sample.ndim == 3 && d->sample.d[0] == 1);
    size_t pixels = (size_t)d->n * nn_dataset_sample_size(d);
    for (size_t k = 0; k < pixels; k++) FUZZ_ASSERT(d->x[k] >= 0 && d->x[k] <= 1);
    FUZZ_ASSERT(!labels == !d->y);
    for (int i = 0; labels && i < d->n; i++) FUZZ_ASSERT(d->y[i] >= 0 && d->y[i] < d->n_classes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    int flags = data[0];
    size_t n = fuzz_le32(data + 1);
    data += 5, size -= 5;
    if (n > size) n = size;
    char images[FUZZ_PATH_LEN], written[FUZZ_PATH_LEN], labels[FUZZ_PATH_LEN], err[1024];
    fuzz_path("images-idx3-ubyte", images);
    fuzz_path(flags & FLAG_GZ_NAME ? "images-idx3-ubyte.gz" : "images-idx3-ubyte", written);
    unlink(images);
    unlink(written);
    fuzz_write_file(written, data, n);
    fuzz_write_file(fuzz_path("labels-idx1-ubyte", labels), data + n, size - n);
    int with_labels = flags & FLAG_LABELS;
    nn_dataset d;
    if (nn_load_idx(images, with_labels ? labels : NULL, &d, err, sizeof err) == 0) check_dataset(&d, with_labels);
    else FUZZ_ASSERT(err[0] && d.n == 0 && !d.x && !d.y);
    nn_dataset_free(&d);
    return 0;
}
