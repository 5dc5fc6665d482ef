/* nn/runtime.h — process-wide set-up of the runtime library. */
#ifndef NN_RUNTIME_H
#define NN_RUNTIME_H
#include <stddef.h>

/* Applies the threading policy of runtime/core/parallel.h: OpenBLAS single-threaded (unless
 * OPENBLAS_NUM_THREADS is set), and the runtime's thread pool started, with
 * omp_get_max_threads() threads (OMP_NUM_THREADS), for large GEMMs, convolutions, recurrent
 * layers, attention and elementwise loops. With several ranks on one machine (nn/dist.h; call
 * nn_dist_init first), each rank takes its share of the cores unless OMP_NUM_THREADS says
 * otherwise. */
void nn_runtime_init(void);
/* What runs the GEMMs: OpenBLAS's kernel ("Cooperlake", "Haswell": OPENBLAS_CORETYPE can pin
 * it) and the threads a split GEMM uses, e.g. "OpenBLAS Cooperlake, 2 threads". */
const char *nn_blas_description(void);

/* The instruction set the runtime's own hot loops run with (runtime/core/kernel_isa.h): "avx512",
 * "avx2" or "base" (SSE4.2), by default the best this CPU supports. */
const char *nn_kernels_name(void);
/* Chooses them by that name, for the whole process: 0, or -1 with a message in err when the
 * name is unknown or this CPU cannot run them. Results differ from another choice in the last
 * bits of some sums. */
int nn_kernels_choose(const char *name, char *err, size_t errlen);

#endif
