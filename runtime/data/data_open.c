/* Opening a data file (data_util.h): only a regular file, so a FIFO or a directory given as data
 * is refused at once instead of blocking or failing half-way; a missing file gets the hint. */
#include "data_util.h"
#include "nn/regular_file.h"
#include <errno.h>

FILE *nn_data_fopen(const char *path, char *err, size_t errlen)
{
    char why[NN_WHY_LEN];
    FILE *f = nn_fopen_regular(path, why, sizeof why);
    if (!f) nn_fail(err, errlen, "%s: %s%s", path, why, errno == ENOENT ? "; " NN_DATA_HINT : "");
    return f;
}
