/* nn/dist.h — data-parallel training over processes: the same program on N ranks (`mpirun -np
 * N`), each on its own share of the data, their gradients summed every step (MPI_Allreduce).
 *
 * Built with MPI when its headers are found (pkg-config ompi-c; `make MPI=0` builds without);
 * MPI is started only when the process was launched by mpirun (Open MPI's or a PMI/PMIx
 * launcher's environment says so): a plain run is one rank and never touches MPI. Every call
 * below is then a no-op on one rank. Only the thread that called nn_dist_init calls MPI
 * (MPI_THREAD_FUNNELED). Counts and seconds of communication are kept for --profile. */
#ifndef NN_DIST_H
#define NN_DIST_H

#include <stddef.h>

/* Starts MPI when launched by mpirun. 0, or -1 with err (MPI refused to start). */
int nn_dist_init(int *argc, char ***argv, char *err, size_t errlen);
void nn_dist_finalize(void);
/* Ends every rank with status code (a rank that cannot go on: the others must not wait for it). */
void nn_dist_abort(int code);

int nn_dist_rank(void);          /* 0 .. size - 1 */
int nn_dist_size(void);          /* 1 without mpirun */
int nn_dist_local_size(void);    /* ranks on this machine */
/* "MPI, 2 ranks" or "one process" (for headers and --version). */
const char *nn_dist_description(void);

/* In place, over every rank: v = the sum of every rank's v (floats: gradients; doubles: sums
 * of losses and counts), or the largest value. */
void nn_dist_sum_floats(float *v, size_t n);
void nn_dist_sum_doubles(double *v, size_t n);
long nn_dist_max_long(long v);
long nn_dist_min_long(long v);
/* v from rank root to every rank. */
void nn_dist_broadcast_floats(float *v, size_t n, int root);

/* Communication so far: bytes reduced or broadcast by this rank, seconds spent in the calls. */
double nn_dist_bytes(void);
double nn_dist_seconds(void);

#endif
