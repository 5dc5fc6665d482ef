/* nn/regular_file.h — opening a file the program reads (a spec, a data file, weights), only if
 * it is a regular file.
 *
 *     char why[NN_WHY_LEN];
 *     FILE *f = nn_fopen_regular("data/x.csv", why, sizeof why);
 *     if (!f) return nn_fail(err, errlen, "data/x.csv: %s", why);
 *
 * A FIFO opened for reading blocks until someone writes to it, a device may never end and a
 * directory reads as an error half-way: each is refused before the first read, with a reason
 * that names what the path is ("is a FIFO, not a regular file"). The file is opened with
 * O_NONBLOCK, checked with fstat on the descriptor (no window between the check and the open)
 * and then switched back to blocking reads.
 *
 * On failure why holds the reason, written to follow the path and a colon: "cannot open: No
 * such file or directory" or "is a directory, not a regular file". errno is open()'s (ENOENT
 * when the path does not exist, so a caller may add a hint), or EINVAL for a path that exists
 * but is not a regular file. */
#ifndef NN_REGULAR_FILE_H
#define NN_REGULAR_FILE_H

#include <stdio.h>

#define NN_WHY_LEN 160   /* room for any reason these functions write */

/* A read-only descriptor (close-on-exec) of the regular file at path, or -1. */
int nn_open_regular(const char *path, char *why, size_t whylen);

/* The same as a stdio stream opened for reading ("rb"), or NULL. */
FILE *nn_fopen_regular(const char *path, char *why, size_t whylen);

#endif
