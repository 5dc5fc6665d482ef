/* nn/runtime.h — process-wide set-up of the runtime library. */
#ifndef NN_RUNTIME_H
#define NN_RUNTIME_H

/* Applies the threading policy of runtime/core/parallel.h: every core for large GEMMs, one for
 * small ones (unless OPENBLAS_NUM_THREADS is set), OpenMP for large elementwise loops; parallel
 * regions always get the threads they ask for (OMP_DYNAMIC off), so that the same thread count
 * gives the same bytes. */
void nn_runtime_init(void);

#endif
