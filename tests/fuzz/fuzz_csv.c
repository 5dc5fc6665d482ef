/* Fuzz harness: the CSV reader (nn_load_csv and nn_csv_scan, nn/data.h). The first byte of an
 * input chooses the reader's options (bits below), the rest is the file. Both readers see the
 * same file; what the load accepts the scan accepts too, with the same rows, features and
 * classes, and every class id is below the class count (and the model's). */
#include "fuzz_util.h"
#include "nn/data.h"

/* Option bits of the first byte. */
enum {
    OPT_HEADER = 3,          /* 0: data, 1: a header, 2 and 3: auto */
    OPT_LABEL = 3 << 2,      /* label column 0, none (-1), 1 or 2 */
    OPT_REGRESSION = 1 << 4, /* a real-valued target instead of class ids */
    OPT_MODEL = 1 << 5,      /* the model predicts 3 classes */
    OPT_SEMICOLON = 1 << 6,  /* ';' separates fields */
    OPT_SHAPED = 1 << 7,     /* each row's features shaped [1, 2, 2] */
};

static nn_csv_options options_of(uint8_t b)
{
    static const int label_cols[4] = {0, -1, 1, 2};
    nn_csv_options o = nn_csv_defaults();
    int header = b & OPT_HEADER;
    o.header = header < 2 ? header : -1;
    o.label_col = label_cols[(b & OPT_LABEL) >> 2];
    o.classes = !(b & OPT_REGRESSION);
    o.model_classes = b & OPT_MODEL ? 3 : 0;
    o.delim = b & OPT_SEMICOLON ? ';' : ',';
    if (b & OPT_SHAPED) o.sample = (nn_shape){3, {1, 2, 2}};
    return o;
}

static void check_dataset(const nn_dataset *d, const nn_csv_options *o, const nn_csv_info *info)
{
    size_t feat = nn_dataset_sample_size(d);
    FUZZ_ASSERT(d->n == info->n_rows && (int)feat == info->n_features && d->n_classes == info->n_classes);
    volatile float sink = 0;
    for (size_t k = 0; k < (size_t)d->n * feat; k++) sink += d->x[k];
    for (int i = 0; d->y && i < d->n; i++) {
        sink += d->y[i];
        if (o->classes) FUZZ_ASSERT(d->y[i] >= 0 && d->y[i] < d->n_classes);
        if (o->classes && o->model_classes) FUZZ_ASSERT(d->y[i] < o->model_classes);
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    nn_csv_options o = options_of(data[0]);
    char path[FUZZ_PATH_LEN], err[1024];
    fuzz_write_file(fuzz_path("fuzz.csv", path), data + 1, size - 1);
    nn_csv_info info;
    int scanned = nn_csv_scan(path, &o, &info, err, sizeof err) == 0;
    nn_dataset d;
    if (nn_load_csv(path, &o, &d, err, sizeof err) == 0) {
        FUZZ_ASSERT(scanned);
        check_dataset(&d, &o, &info);
    } else {
        FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0 && d.n == 0 && !d.x);
    }
    nn_dataset_free(&d);
    return 0;
}
