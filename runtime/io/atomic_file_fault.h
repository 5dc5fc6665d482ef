/* atomic_file_fault.h — for tests only: makes one step of nn_atomic_commit(_all) fail as if the
 * system call had returned err_no, so that the clean-up after each step can be checked, also
 * for the steps a test cannot make fail for real (fsync, close, the directory's fsync). */
#ifndef NN_ATOMIC_FILE_FAULT_H
#define NN_ATOMIC_FILE_FAULT_H
#include "nn/atomic_file.h"

typedef enum {
    NN_ATOMIC_OK,        /* no fault */
    NN_ATOMIC_WRITE,     /* every write() of the temporary file, from now on */
    NN_ATOMIC_FSYNC,     /* the fsync of the temporary file */
    NN_ATOMIC_CLOSE,     /* its close (the descriptor is still closed) */
    NN_ATOMIC_RENAME,    /* the rename over the destination */
    NN_ATOMIC_DIRSYNC,   /* the fsync of the directory, after the rename */
} nn_atomic_step;

void nn_atomic_fail_at(nn_atomic_file *af, nn_atomic_step step, int err_no);
/* The same for the next handle opened on a path ending in path_suffix, for a test that cannot
 * reach the handle (a checkpoint's files); once. NULL disarms it. */
void nn_atomic_fail_next(const char *path_suffix, nn_atomic_step step, int err_no);

#endif
