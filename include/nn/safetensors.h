/* nn/safetensors.h — checkpoints in the safetensors format (read by PyTorch and numpy).
 *
 * File layout: u64 little-endian N, then N bytes of UTF-8 JSON
 *   {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
 * then the data buffer; offsets are relative to its start, tensors are row-major little-endian.
 *
 * Writing is atomic: a crash or a full disk never leaves a half-written checkpoint under the
 * final name. Reading treats the file as hostile: everything is validated before any tensor is
 * handed out, and every failure is a message naming the file, never a crash.
 *
 * Every function that can fail takes err/errlen and writes one line there
 * ("runs/x/model.safetensors: tensor 'w': data_offsets [0, 12] hold 12 bytes but shape [2, 3]
 * of F32 needs 24"); NN_ERR_LEN from nn/graph.h is a good size. */
#ifndef NN_SAFETENSORS_H
#define NN_SAFETENSORS_H

#include <stddef.h>
#include "nn/atomic_file.h"
#include "nn/graph.h"

/* Largest JSON header accepted (the limit of the reference implementation). */
#define NN_ST_MAX_HEADER 100000000ull

typedef struct {
    const char *name;     /* UTF-8, unique, not "__metadata__" */
    nn_shape shape;       /* ndim 0..NN_MAX_DIMS; ndim 0 is written as a scalar (shape []) */
    const float *data;    /* numel(shape) floats, written as F32 */
} nn_st_tensor;

typedef struct {
    const char *key;      /* UTF-8, unique */
    const char *value;    /* UTF-8 */
} nn_st_meta;

/* Writes tensors (in the given order, data packed back to back) and string metadata to path.
 * Atomic: writes PATH.tmp-XXXXXX in the same directory, flushes and fsyncs it, renames it
 * over path, then fsyncs the directory. On any failure (bad argument, no such directory,
 * ENOSPC, ...) returns -1 with the reason in err, the previous file at path is untouched and
 * the temporary file is removed. Returns 0 on success. */
int nn_st_write(const char *path, const nn_st_tensor *t, int n, const nn_st_meta *meta, int n_meta,
                char *err, size_t errlen);
/* The same content into af (nn_atomic_open), left for the caller to commit, e.g. together with
 * other files as one unit (nn_atomic_commit_all). Returns -1 with the reason in err on a bad
 * argument or no memory (af is then still open: abort it); a failed write shows at the commit. */
int nn_st_write_into(nn_atomic_file *af, const nn_st_tensor *t, int n, const nn_st_meta *meta, int n_meta, char *err,
                     size_t errlen);

typedef struct nn_st_file nn_st_file;

/* Reads the whole file once and validates it: header length, strict JSON, entry fields and
 * types, dtype (F32; F64, F16 and BF16 are converted to float), shape (at most NN_MAX_DIMS dims;
 * a 0-d scalar becomes shape [1]), sizes, offsets (in range, no overlap, no hole: the buffer
 * must be covered exactly), unique names, string-only metadata.
 * Returns NULL with the reason in err on failure. */
nn_st_file *nn_st_open(const char *path, char *err, size_t errlen);
void nn_st_close(nn_st_file *f);

/* Tensors are numbered 0..count-1 in header order. */
int nn_st_count(const nn_st_file *f);
const char *nn_st_name(const nn_st_file *f, int i);
nn_shape nn_st_shape(const nn_st_file *f, int i);
/* The dtype stored in the file ("F32", "F16", ...), before conversion. */
const char *nn_st_dtype(const nn_st_file *f, int i);
/* Index of the tensor called name, or -1. */
int nn_st_find(const nn_st_file *f, const char *name);
/* numel(shape) floats, valid until nn_st_close(). */
const float *nn_st_data(const nn_st_file *f, int i);

/* Metadata value for key, or NULL if absent. */
const char *nn_st_meta_get(const nn_st_file *f, const char *key);
int nn_st_meta_count(const nn_st_file *f);
nn_st_meta nn_st_meta_at(const nn_st_file *f, int i);

#endif
