/* spec_tables.h — the key tables of the spec's sections other than the model's
 * (layer_table.h): the top level, data and its source kinds, train with its optimizers and
 * schedules, loss terms, report figures, sweeps. spec_defaults.c writes their defaults,
 * `nnrun schema` turns them into a JSON Schema.
 *
 * The data section and its source kinds are read through these tables (spec_parse_data.c),
 * and so are the options of data reports (report kinds with CHOICE_DATA).
 * The top level, loss, train, report and sweep sections are still read by their own code
 * (spec_parse.c, spec_parse_train.c, sweep.c); their tables here describe them, and
 * tests/test_spec_tables.c checks that the keys, names and defaults of both agree. */
#ifndef NNRUN_SPEC_TABLES_H
#define NNRUN_SPEC_TABLES_H

#include <stdio.h>
#include "spec.h"
#include "spec_keys.h"

/* ---- data (spec_parse_data.c) ---- */
enum {
    DK_SUBSETS = 1,   /* takes first, random_subset, per_class */
    DK_SPLIT = 2,     /* one file split by `splits`: a test source only names its part (split) */
};

typedef struct {
    const char *name;     /* dataset: NAME */
    ds_kind kind;
    const opt_def *opts;  /* its keys besides dataset (and the subset keys) */
    unsigned flags;       /* DK_* */
    /* Cross-field rules once the keys are read (n: the source mapping); may be NULL. */
    void (*check)(diag *d, const ynode *n, data_source *src);
    const char *doc;
} data_kind_def;

extern const data_kind_def data_kinds[];    /* ends with a NULL name */
extern const opt_def subset_opts[];         /* first, random_subset, per_class */
extern const opt_def data_opts[];           /* train, test, validation */
const data_kind_def *data_kind_find(const char *name);
/* The keys a source of kind k takes in role ("train" or "test"), besides dataset, into
 * out[cap] (NULL-key terminated); returns the count. */
int data_source_opts(const data_kind_def *k, const char *role, opt_def *out, int cap);

/* ---- the other sections (spec_sections.c) ---- */
extern const opt_def spec_top_opts[];       /* name, seed, data, model, loss, train, ... */
/* A resolved spec with neither model: nor nets: is a data study: data and data reports
 * (CHOICE_DATA) only, none of the OPT_PROGRAM keys. */
int spec_tree_is_data_study(const ynode *tree);
extern const opt_def train_opts[];
extern const opt_def sweep_opts[];
extern const choice_def optimizer_choices[];
extern const choice_def schedule_choices[];
extern const choice_def loss_choices[];
extern const choice_def report_choices[];

/* ---- generators ---- */
/* The spec language as a JSON Schema (draft 2020-12), from the tables (spec_schema.c). */
void spec_json_schema(FILE *out);

#endif
