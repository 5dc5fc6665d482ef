/* Error messages into caller buffers (see fail.h). */
#include "fail.h"
#include <stdarg.h>
#include <stdio.h>

int nn_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
