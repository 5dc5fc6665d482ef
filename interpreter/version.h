#ifndef NNRUN_VERSION_H
#define NNRUN_VERSION_H
#define NNRUN_VERSION "0.1.0"
const char *nnrun_version(void);
/* The commit it was built from (`git describe --always --dirty` at build time), or "unknown". */
const char *nnrun_commit(void);
#endif
