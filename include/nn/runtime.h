/* nn/runtime.h — process-wide set-up of the runtime library. */
#ifndef NN_RUNTIME_H
#define NN_RUNTIME_H

/* Applies the threading policy of runtime/core/parallel.h: every core for large GEMMs, one for
 * small ones (unless OPENBLAS_NUM_THREADS is set), OpenMP for large elementwise loops; parallel
 * regions always get the threads they ask for (OMP_DYNAMIC off), so that the same thread count
 * gives the same bytes. With several ranks on one machine (nn/dist.h; call nn_dist_init first),
 * each rank takes its share of the cores unless OMP_NUM_THREADS says otherwise. */
void nn_runtime_init(void);
/* What runs the GEMMs: OpenBLAS's kernel ("Cooperlake", "Haswell": OPENBLAS_CORETYPE can pin
 * it) and the threads a split GEMM uses, e.g. "OpenBLAS Cooperlake, 2 threads". */
const char *nn_blas_description(void);

#endif
