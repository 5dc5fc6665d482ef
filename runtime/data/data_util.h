/* Helpers shared by the files of runtime/data/ (not public). */
#ifndef NN_DATA_UTIL_H
#define NN_DATA_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* Writes a printf-style message into err (if any) and returns -1. */
#include "../core/fail.h"

/* The hint appended to "file not found" messages. */
#define NN_DATA_HINT "run 'make data' to fetch the standard datasets, or check the path"

/* Opens a data file for reading ("rb"), only if it is a regular file; NULL with "PATH: reason"
 * in err (and the hint when the file does not exist). */
FILE *nn_data_fopen(const char *path, char *err, size_t errlen);
/* Reads a whole data file (opened as nn_data_fopen does) into *buf (malloc'd, NUL-terminated,
 * *len bytes before the NUL). 0, or -1 with the message in err and *buf NULL. */
int nn_data_read_all(const char *path, char **buf, size_t *len, char *err, size_t errlen);

#endif
