/* Process-wide set-up: the threading policy (see runtime/parallel.h for the measurements). */
#include "nn/runtime.h"
#include <cblas.h>
#include <stdlib.h>

void nn_runtime_init(void)
{
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
}
