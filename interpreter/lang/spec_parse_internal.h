/* spec_parse_internal.h — the sections of the schema pass (spec_parse*.c), one file each. */
#ifndef NNRUN_SPEC_PARSE_INTERNAL_H
#define NNRUN_SPEC_PARSE_INTERNAL_H
#include "spec.h"

static inline spec_pos pos_of(const ynode *n) { return (spec_pos){n ? n->file : "", n ? n->line : 0, n ? n->col : 0}; }

/* Each reads its section (n may be NULL: absent; top is the spec, for positions) into the
 * spec, reporting every problem to d. */
void parse_data(diag *d, const ynode *top, const ynode *n, data_spec *ds);
void parse_model(diag *d, const ynode *top, const ynode *n, model_spec *m);
/* nets: {NAME: {input: SHAPE or {name: SHAPE, ...}, layers: [...], ...}, ...} */
void parse_nets(diag *d, const ynode *n, spec *s);
void parse_losses(diag *d, const ynode *n, loss_group *g);    /* `loss:` or one group of `losses:` */
void parse_loss_groups(diag *d, const ynode *n, spec *s);     /* `losses:` */
/* train (n may be NULL); its optimizer, schedule, warmup and clip_* go to dflt, every step's
 * defaults. Then train.steps (or one step over every net) once nets and groups are known. */
void parse_train(diag *d, const ynode *top, const ynode *n, train_spec *t, step_spec *dflt);
void parse_steps(diag *d, const ynode *train, spec *s, const step_spec *dflt);
void parse_reports(diag *d, const ynode *n, spec *s);

#endif
