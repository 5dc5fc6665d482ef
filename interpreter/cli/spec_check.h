/* spec_check.h — what `nnrun check` does to a spec file, without training and without loading
 * its data: the one function the command, the tests and the fuzz harness (tests/fuzz/) share. */
#ifndef NNRUN_SPEC_CHECK_H
#define NNRUN_SPEC_CHECK_H

#include "../build/model_build.h"
#include "../lang/spec.h"

/* Loads and validates file (extends, --set overrides, schema, references), describes its data
 * (CSV files that exist are scanned for their columns and class ids), checks its data reports
 * against the data (a data study has nothing more: *out stays NULL), builds its graph for one
 * sample (every shape inferred) into *out and checks the class ids on disk against it. Returns
 * the spec (NULL when it did not load) with *out set when the graph was built (else NULL);
 * problems are in d: the spec is valid when d holds no error. The caller frees both. */
spec *spec_check_build(const char *file, const char *const *overrides, int n_overrides, model_graph **out, diag *d);

#endif
