/* The named results of a run: a name per field. */
#include "run_results.h"
#include <math.h>
#include <stddef.h>
#include <string.h>

static const struct {
    const char *name;
    size_t offset;
} fields[] = {
    {"ae_train", offsetof(run_results, ae_train)},
    {"ae_test", offsetof(run_results, ae_test)},
    {"pca_train", offsetof(run_results, pca_train)},
    {"pca_test", offsetof(run_results, pca_test)},
    {"next_char_accuracy", offsetof(run_results, next_char_accuracy)},
    {"fd", offsetof(run_results, fd)},
    {"fd_floor", offsetof(run_results, fd_floor)},
    {"fd_ceiling", offsetof(run_results, fd_ceiling)},
    {"judge_label_accuracy", offsetof(run_results, judge_label_accuracy)},
    {"cube_r", offsetof(run_results, cube_r)},
    {"bce_floor", offsetof(run_results, bce_floor)},
    {"test_loss_mean", offsetof(run_results, test_loss_mean)},
};

run_results run_results_none(void) { return (run_results){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN}; }

const double *run_results_find(const run_results *r, const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (strcmp(fields[i].name, name) == 0) return (const double *)((const char *)r + fields[i].offset);
    return NULL;
}
