/* `nnrun check`'s passes over a spec file, up to its graph for one sample. */
#include "spec_check.h"
#include "../run/data_setup.h"
#include "../out/report.h"

spec *spec_check_build(const char *file, const char *const *overrides, int n_overrides, model_graph **out, diag *d)
{
    *out = NULL;
    spec *s = spec_load(file, overrides, n_overrides, d);
    data_info info;
    if (!s || data_describe(s, &info, d) < 0) return s;
    report_check_data(s, &info, d);
    if (!s->n_nets) return s;   /* a data study: its data reports are what there is to check */
    nn_rng r;
    nn_rng_seed(&r, s->seed);
    *out = model_build(s, &info, 1, 0, NULL, &r, d);
    if (*out) data_check_classes_on_disk(s, &info, (*out)->label_classes, d);
    return s;
}
