#include "version.h"
const char *nnrun_version(void) { return NNRUN_VERSION; }
