/* sweep.h — running a spec's `sweep:` grid (see docs/spec.md). */
#ifndef NNRUN_SWEEP_H
#define NNRUN_SWEEP_H

#include "../lang/diag.h"
#include "../lang/ydoc.h"

int sweep_present(const ynode *tree);
/* Validates every combination, trains each, writes sweep.csv and sweep.png. Returns the exit
 * status (2: a combination is invalid; errors in d). */
int sweep_run(ynode *tree, const char *file, int quiet, diag *d);

#endif
