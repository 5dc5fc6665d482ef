/* nn/runtime.h — process-wide set-up of the runtime library. */
#ifndef NN_RUNTIME_H
#define NN_RUNTIME_H

/* Applies the threading policy of runtime/parallel.h: OpenBLAS single-threaded unless the
 * environment sets OPENBLAS_NUM_THREADS. Call once before training. */
void nn_runtime_init(void);

#endif
