#ifndef NNRUN_VERSION_H
#define NNRUN_VERSION_H
#define NNRUN_VERSION "0.1.0"
const char *nnrun_version(void);
#endif
