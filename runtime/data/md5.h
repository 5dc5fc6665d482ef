/* md5.h — the MD5 digest (RFC 1321), for checking that two files were made from the same
 * text (fr-corpus names each French line by the MD5 of its English original). Not for
 * security. Internal to runtime/data/. */
#ifndef NN_MD5_H
#define NN_MD5_H

#include <stddef.h>

/* The digest of data[0..len) as 32 lower-case hex digits and a NUL into hex[33]. */
void nn_md5_hex(const void *data, size_t len, char hex[33]);

#endif
