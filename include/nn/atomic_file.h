/* nn/atomic_file.h — writing a file so that a reader, a crash or a full disk never sees half
 * of it: the content goes to a temporary file next to the destination, which replaces the
 * destination only once every byte is on disk.
 *
 *     nn_atomic_file *af = nn_atomic_open("runs/x/metrics.csv", err, errlen);
 *     if (!af) return -1;
 *     fprintf(nn_atomic_stream(af), "epoch,loss\n");   (any stdio call, unchecked)
 *     return nn_atomic_commit(af, err, errlen);        (0, or -1 with the reason in err)
 *
 * The temporary file is PATH.tmp-XXXXXX, created with mode 0644 less the umask (as fopen
 * would). Writes through the stream need no checks: the first failed write is remembered and
 * nn_atomic_commit reports it. nn_atomic_commit flushes and fsyncs the file, closes it,
 * renames it over path and fsyncs the directory. If anything before the rename fails
 * (a write, ENOSPC, fsync, close, rename) the destination keeps its previous content (or stays
 * absent) and the temporary file is removed. Only when the final directory fsync fails is the
 * new content already in place; that is still reported as a failure, since the rename may
 * not survive a crash.
 *
 * Files that belong together (a checkpoint's weights and optimizer state) commit as one unit,
 * nn_atomic_commit_all: every one is written out and fsynced under its temporary name before
 * the first rename, so a full disk or a failed write replaces none of them. Only a crash (or a
 * failed rename) between the renames can leave the unit half in place; the rest of it then
 * waits, whole, in its temporary files, which a reader finds with nn_atomic_each_leftover and
 * puts in place with nn_atomic_adopt. Temporary files of writers killed earlier are removed by
 * nn_atomic_remove_leftovers.
 *
 * Messages (one line into err, errlen bytes; NN_ERR_LEN from nn/graph.h is a good size) name
 * the destination, the step and strerror, e.g. "runs/x/metrics.csv: write of the temporary
 * file failed: No space left on device (disk full or quota reached: the file system holding
 * runs/x); the previous file is unchanged". Nothing is printed, nothing exits. A handle
 * belongs to one thread at a time; different handles may be used from different threads. */
#ifndef NN_ATOMIC_FILE_H
#define NN_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct nn_atomic_file nn_atomic_file;

/* Creates the temporary file next to path. NULL (with the reason in err) when it cannot be
 * created, e.g. the directory does not exist or is not writable. */
nn_atomic_file *nn_atomic_open(const char *path, char *err, size_t errlen);

/* The stream to write through, valid until commit or abort. Do not fclose it. */
FILE *nn_atomic_stream(nn_atomic_file *af);
/* The destination af was opened for. */
const char *nn_atomic_path(const nn_atomic_file *af);

/* Puts the content in place (see above) and releases af, whatever the outcome. 0 or -1. */
int nn_atomic_commit(nn_atomic_file *af, char *err, size_t errlen);

/* The n files as one unit: each flushed, fsynced and closed, then, only if all of them got that
 * far, renamed in the order given, then their directories fsynced. A failure before the
 * renames leaves every destination as it was and removes every temporary file; a failed rename
 * after the first leaves the rest in their temporary files (the message names the one). Releases
 * every handle, whatever the outcome. 0 or -1. */
int nn_atomic_commit_all(nn_atomic_file *const *af, int n, char *err, size_t errlen);

/* Gives up: removes the temporary file and releases af; the destination is untouched.
 * NULL does nothing. */
void nn_atomic_abort(nn_atomic_file *af);

/* Calls fn(tmp, ctx) for each temporary file next to path (PATH.tmp-XXXXXX: what a writer
 * killed before its rename left, whole or not, or the rest of a unit a crash cut between its
 * renames); stops at the first non-zero return of fn and returns it, else 0. */
int nn_atomic_each_leftover(const char *path, int (*fn)(const char *tmp, void *ctx), void *ctx);
/* Renames the temporary file tmp over path and fsyncs the directory: finishes a unit's commit. */
int nn_atomic_adopt(const char *tmp, const char *path, char *err, size_t errlen);
/* Removes every temporary file in dir (of any destination); returns how many. For the owner of
 * a folder, when no writer of its own is running. */
int nn_atomic_remove_leftovers(const char *dir);

#endif
