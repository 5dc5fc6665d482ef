/* layer_table.h — every layer kind and every activation of the spec language, one row each.
 *
 * A layer's row says how it is written (its key, whether it may stand alone as `- flatten`,
 * what a single value means, its option keys with types, ranges, defaults and descriptions,
 * whether it takes `act:` and the weight keys) and what it computes. The parser
 * (spec_parse_model.c), `nnrun layers`, docs/spec.md's layer table and the JSON Schema all
 * read these rows. Adding a layer kind: its layer_kind (spec.h), its row here (indexed by the
 * kind), its builder and initialiser in build/layer_build.c's table, its equations in
 * out/model_math_layers.c's table; `make test` checks docs/spec.md against `nnrun layers --markdown`. */
#ifndef NNRUN_LAYER_TABLE_H
#define NNRUN_LAYER_TABLE_H

#include <stdio.h>
#include "spec.h"
#include "spec_keys.h"

#define LAYER_KIND_COUNT (LY_LAST_OVER + 1)   /* the last layer_kind + 1 (a new kind moves this) */
#define ACT_KIND_COUNT (ACT_LOG_SOFTMAX + 1)  /* the last act_kind + 1 */

/* What a layer's value may be. */
enum {
    LV_NONE = 1,    /* nothing: `- flatten`, `{upsample: }` (the options' defaults) */
    LV_VALUE = 2,   /* one value, which sets the first option: `{dense: 64}`, `{reshape: [8, 7, 7]}` */
    LV_MAP = 4,     /* a mapping of the options: `{conv: {filters: 8, kernel: 3}}` */
};

enum {
    LF_ACT = 1,         /* takes `act:` (an activation applied to its output) */
    LF_WEIGHTS = 2,     /* has weights: takes init, bias_init, bias, l1, l2 */
    LF_OWN_INPUTS = 4,  /* names its inputs itself (add, concat, sample_gaussian): no `from:` */
    LF_BY_ACT = 8,      /* written as an activation's name (relu, tanh, ...): LY_ACTIVATION */
    LF_FROM_PAIR = 16,  /* `from:` names one layer or two (attention: [queries, memory]) */
    LF_FROM_TWO = 32,   /* `from:` names exactly two (transformer_decoder: [target, memory]) */
};

typedef struct {
    const char *key;     /* the spec's type key */
    layer_kind kind;
    unsigned forms;      /* LV_* */
    unsigned flags;      /* LF_* */
    const opt_def *opts; /* its options (NULL: none); a single value sets the first */
    /* Cross-field rules once the options are read (v: the value, NULL when bare); may be NULL. */
    void (*check)(diag *d, const ynode *v, layer_spec *l);
    const char *doc;     /* what it gives: docs/spec.md's output column */
} layer_def;

typedef struct {
    const char *name;
    act_kind kind;
    const opt_def *opts; /* its parameter (leaky_relu's slope, elu's alpha), or NULL */
    const char *doc;
} act_def;

const layer_def *layer_def_of(layer_kind k);
const layer_def *layer_def_find(const char *key);   /* by type key; NULL for activations */
const act_def *act_def_of(act_kind a);
const act_def *act_def_find(const char *name);      /* "none" included (act: none) */
unsigned act_forms(const act_def *a);               /* LV_* of an activation written as a layer */
/* Every key that names a layer type (layer keys with the activations in their place), then
 * more (may be NULL), NULL-terminated; returns the count. */
int layer_type_keys(const opt_def *more, const char **keys, int cap);

/* "no value, size (int 1..4096) or {size: 2, stride, pad: 0}" */
void layer_forms_text(unsigned forms, const opt_def *opts, char *buf, size_t len);

/* Whether a layer with flags LF_* takes the common key: from unless it names its inputs
 * itself, act with LF_ACT, init, bias_init, bias, l1, l2 with LF_WEIGHTS, name always. */
int layer_takes_key(unsigned flags, const char *key);

/* Keys every layer may have besides its type (read by spec_parse_model.c). */
extern const opt_def layer_common_opts[];
/* The model section's keys. */
extern const opt_def model_opts[];
/* Initialisers (init:, bias_init:), with the runtime's defaults. */
extern const choice_def init_choices[];

/* `nnrun layers`: each layer with its options, types and defaults; markdown: docs/spec.md's
 * layer table. */
void layers_print(FILE *out, int markdown);

#endif
