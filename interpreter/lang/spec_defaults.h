/* spec_defaults.h — a resolved spec with every default written out (for diff and spec.yaml). */
#ifndef NNRUN_SPEC_DEFAULTS_H
#define NNRUN_SPEC_DEFAULTS_H

#include "diag.h"
#include "ydoc.h"

/* A new tree: tree over the key tables' defaults (top level, data sources, model, train, a
 * sweep, the options of optimizers, schedules and initialisers). Values keep their positions;
 * filled-in ones say "<defaults>". */
ynode *spec_with_defaults(const ynode *tree, diag *d);

#endif
