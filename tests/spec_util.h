/* spec_util.h — what the spec-level tests share: the messages the check passes give a spec
 * file, and a training run of a spec into a folder through the run folder's hooks (include
 * after cmocka.h). */
#ifndef NNRUN_TEST_SPEC_UTIL_H
#define NNRUN_TEST_SPEC_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_setup.h"
#include "model_build.h"
#include "nn/safetensors.h"
#include "report.h"
#include "run_files.h"
#include "spec.h"
#include "spec_check.h"
#include "trainer.h"

/* Everything the check passes (schema, references, the data reports against the data,
 * shapes) report for FILE (caller frees), as `nnrun check` runs them. Not inlined: gcc 12 then
 * takes open_memstream's buffer for a pointer to the local. */
__attribute__((noinline, unused)) static char *spec_check_messages(const char *file, const char *const *sets, int n_sets)
{
    diag d;
    diag_init(&d);
    model_graph *m = NULL;
    spec *s = spec_check_build(file, sets, n_sets, &m, &d);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    diag_print(&d, f);
    fclose(f);
    model_free(m);
    spec_free(s);
    diag_free(&d);
    return out;
}

/* A spec's model as the layer tests read it: the graph for `batch` samples (training or
 * evaluation), its parameters initialised from seed 3. */
typedef struct {
    spec *s;
    model_graph *m;
} spec_model;

/* FILE's model (its data described, not loaded); fails the test with the messages when it
 * cannot be built. Free with spec_model_free. */
static inline spec_model spec_model_build(const char *file, int batch, int training)
{
    diag d;
    diag_init(&d);
    spec_model b = {spec_load(file, NULL, 0, &d), NULL};
    if (!b.s) diag_print(&d, stderr);
    assert_non_null(b.s);
    data_info info;
    assert_int_equal(data_describe(b.s, &info, &d), 0);
    nn_rng r;
    nn_rng_seed(&r, 3);
    b.m = model_build(b.s, &info, batch, training, NULL, &r, &d);
    if (!b.m) diag_print(&d, stderr);
    assert_non_null(b.m);
    diag_free(&d);
    return b;
}

static inline void spec_model_free(spec_model *b)
{
    model_free(b->m);
    spec_free(b->s);
}

/* Loads a PyTorch fixture's weights into b's parameters, found by their names (every one but
 * the logits layer's must be there with PyTorch's shape): returns how many were loaded. */
static inline int spec_model_load_fixture(spec_model *b, const nn_st_file *f)
{
    int loaded = 0;
    for (int k = 0; k < b->m->n_params; k++) {
        const nn_node *p = &b->m->g->nodes[b->m->params[k]];
        if (strncmp(p->label, "logits.", 7) == 0) continue;
        int i = nn_st_find(f, p->label);
        if (i < 0) fail_msg("the fixture has no %s (PyTorch names it otherwise)", p->label);
        nn_shape s = nn_st_shape(f, i);
        assert_true(nn_shape_eq(&s, &p->shape));
        memcpy(p->data, nn_st_data(f, i), nn_shape_numel(&s) * sizeof(float));
        loaded++;
    }
    return loaded;
}

/* The index of the layer called name in the spec's model. */
static inline int spec_model_layer(const spec_model *b, const char *name)
{
    int i = spec_find_layer(b->s, name);
    assert_true(i >= 0);
    return i;
}

/* A spec trained into a run folder; read t, then spec_run_free. */
typedef struct {
    spec *s;
    trainer t;
    int status;
    run_results results;            /* what the report computed (NaN: nothing) */
} spec_run;

/* Trains FILE into OUT (optionally resuming, optionally "interrupted" after step interrupt_at),
 * writing the run folder as `nnrun SPEC` does. */
static inline void spec_run_train(spec_run *r, const char *file, const char *out, const char *const *sets, int n_sets,
                                  int resume, long interrupt_at)
{
    diag d;
    diag_init(&d);
    r->s = spec_load(file, sets, n_sets, &d);
    if (!r->s) diag_print(&d, stderr);
    assert_non_null(r->s);
    snprintf(r->s->out_dir, sizeof r->s->out_dir, "%s", out);
    char err[512];
    int rc = trainer_init(&r->t, r->s, &d);
    if (rc == 0 && (rc = report_add_metrics(&r->t, err, sizeof err)) < 0) fprintf(stderr, "%s\n", err);
    if (rc == 0 && resume) rc = trainer_resume(&r->t, &d);
    if (rc) diag_print(&d, stderr);
    assert_int_equal(rc, 0);
    diag_free(&d);
    r->t.interrupt_at_step = interrupt_at;
    assert_int_equal(run_files_begin(&r->t, err, sizeof err), 0);
    run_files_saver saver;
    trainer_hooks hooks = run_files_hooks(&saver);
    r->status = trainer_run(&r->t, &hooks, 1);
    r->results = run_results_none();
    if (r->status == 0) assert_int_equal(run_files_finish_results(&r->t, &r->results, err, sizeof err), 0);
}

static inline void spec_run_free(spec_run *r)
{
    trainer_free(&r->t);
    spec_free(r->s);
}

#endif
