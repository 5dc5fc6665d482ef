/* checkpoint.h — weights and resume state of a run, as safetensors files in the run folder. */
#ifndef NNRUN_CHECKPOINT_H
#define NNRUN_CHECKPOINT_H

#include "../build/model_build.h"
#include <stddef.h>

/* Loads weights saved by a run into m's parameters, matching them by name and shape. */
int checkpoint_load_weights(model_graph *m, const char *path, char *err, size_t errlen);

#endif
