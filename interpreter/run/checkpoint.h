/* checkpoint.h — weights and resume state of a run, as safetensors files in the run folder. */
#ifndef NNRUN_CHECKPOINT_H
#define NNRUN_CHECKPOINT_H

#include "../build/model_build.h"
#include <stddef.h>

/* Loads weights saved by a run into m's parameters, matching them by name and shape; refuses
 * a NaN or an infinity, naming the tensor and how to recover. */
int checkpoint_load_weights(model_graph *m, const char *path, char *err, size_t errlen);

/* The index of the first NaN or infinity of v[0..n), or n. */
size_t checkpoint_first_non_finite(const float *v, size_t n);

#endif
