/* Opening a data file (data_util.h): only a regular file, so a FIFO or a directory given as data
 * is refused at once instead of blocking or failing half-way; a missing file gets the hint. */
#include "data_util.h"
#include "nn/regular_file.h"
#include <errno.h>
#include <stdlib.h>

FILE *nn_data_fopen(const char *path, char *err, size_t errlen)
{
    char why[NN_WHY_LEN];
    FILE *f = nn_fopen_regular(path, why, sizeof why);
    if (!f) nn_fail(err, errlen, "%s: %s%s", path, why, errno == ENOENT ? "; " NN_DATA_HINT : "");
    return f;
}

int nn_data_read_all(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    FILE *f = nn_data_fopen(path, err, errlen);
    if (!f) return -1;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    int rc = size >= 0 && fseek(f, 0, SEEK_SET) == 0 ? 0 : nn_fail(err, errlen, "%s: cannot find its size", path);
    if (rc == 0 && !(*buf = malloc((size_t)size + 1))) rc = nn_fail(err, errlen, "%s: out of memory", path);
    if (rc == 0 && fread(*buf, 1, (size_t)size, f) != (size_t)size) rc = nn_fail(err, errlen, "%s: read error", path);
    fclose(f);
    if (rc == 0) {
        (*buf)[size] = '\0';
        *len = (size_t)size;
    } else {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}
