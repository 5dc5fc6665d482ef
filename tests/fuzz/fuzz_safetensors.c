/* Fuzz harness: the safetensors reader (nn_st_open, nn/safetensors.h), on any bytes as the
 * file. A file it accepts keeps every promise of the header: each tensor found by its name,
 * with numel(shape) readable floats, and string metadata. */
#include "fuzz_util.h"
#include "nn/safetensors.h"

static void check_file(const nn_st_file *f)
{
    volatile float sink = 0;
    for (int i = 0; i < nn_st_count(f); i++) {
        const char *name = nn_st_name(f, i);
        FUZZ_ASSERT(name && nn_st_find(f, name) == i && nn_st_dtype(f, i));
        nn_shape s = nn_st_shape(f, i);
        FUZZ_ASSERT(s.ndim >= 1 && s.ndim <= NN_MAX_DIMS);
        const float *v = nn_st_data(f, i);
        size_t n = nn_shape_numel(&s);
        FUZZ_ASSERT(v || n == 0);
        for (size_t k = 0; k < n; k++) sink += v[k];   /* ASan: every float is inside the file */
    }
    for (int i = 0; i < nn_st_meta_count(f); i++) {
        nn_st_meta m = nn_st_meta_at(f, i);
        FUZZ_ASSERT(m.key && m.value && nn_st_meta_get(f, m.key) == m.value);
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_LEN], err[1024];
    fuzz_write_file(fuzz_path("fuzz.safetensors", path), data, size);
    nn_st_file *f = nn_st_open(path, err, sizeof err);
    if (!f) {
        FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0);   /* the message names the file */
        return 0;
    }
    check_file(f);
    nn_st_close(f);
    return 0;
}
