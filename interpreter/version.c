#include "version.h"
const char *nnrun_version(void) { return NNRUN_VERSION; }
#ifndef NNRUN_COMMIT
#define NNRUN_COMMIT "unknown"
#endif
const char *nnrun_commit(void) { return NNRUN_COMMIT; }
