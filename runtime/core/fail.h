/* fail.h — the runtime's one way to report an error into a caller's buffer. */
#ifndef NN_FAIL_H
#define NN_FAIL_H
#include <stddef.h>

/* Formats the message into err (when err and errlen are given) and returns -1. */
int nn_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
