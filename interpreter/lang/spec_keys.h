/* spec_keys.h — a spec section's keys as a table: one row per key with its type, range,
 * default and a one-line description.
 *
 * The same row drives the parser (opts_read: unknown keys, types, ranges, defaults, required
 * keys), the defaults written to a run's spec.yaml (spec_defaults.c), `nnrun layers` and the
 * JSON Schema (`nnrun schema`), so none of them can disagree with another. A default is YAML
 * text ("0.1", "last", "[-1, 1]") applied by the very reader that reads the user's value, so
 * the default shown is bit for bit the default used.
 *
 * A row with a field (OPT_FIELD) is read into it by its type's reader; a row with a `read`
 * hook is read by the hook (values that fill several fields, or need earlier ones); a row
 * with neither is read by the section's own code and is here for the key list, the docs and
 * the schema. Rows are read in table order, so a hook can use the fields of earlier rows. */
#ifndef NNRUN_SPEC_KEYS_H
#define NNRUN_SPEC_KEYS_H

#include <stddef.h>
#include "diag.h"
#include "ydoc.h"

typedef enum {
    OT_INT,        /* a whole number in [lo, hi] -> int */
    OT_FLOAT,      /* a number in [lo, hi] -> float */
    OT_DOUBLE,     /* a number in [lo, hi] -> double */
    OT_BOOL,       /* true | false -> int */
    OT_STR,        /* text -> char[size] */
    OT_PATH,       /* a file or folder name -> char[size] */
    OT_LAYER,      /* a layer name -> char[size] */
    OT_LAYERS,     /* a list of lo to hi layer names (OPT_ONE_OK: or one name) */
    OT_ENUM,       /* one of choices -> int (its index) */
    OT_WORD,       /* one of choices -> char[size] (its text) */
    OT_SIZE2,      /* a number or a pair [a, b], each in [lo, hi] -> int[2] */
    OT_PAD2,       /* OT_SIZE2, or valid | same */
    OT_PAD1,       /* a number in [lo, hi], or valid | same */
    OT_SHAPE,      /* a list of 1 to NN_MAX_DIMS - 1 sizes in [lo, hi] (OPT_ONE_OK: or one size) */
    OT_RANGE,      /* [lo, hi]: two numbers, the first smaller */
    OT_FRACTIONS,  /* a list of 2 or 3 fractions in [lo, hi] adding up to at most 1 */
    OT_CLEAN,      /* true, false or a list of choices */
    OT_LIST,       /* a list of choices */
    OT_NAMES,      /* a list of lo to hi names (free text) */
    OT_ONE_OR_LIST,/* one of choices, or a list of 1 to hi of them */
    OT_ACT,        /* an activation name (layer_table.c) */
    OT_BETAS,      /* [beta1, beta2], each in [lo, hi] -> two adjacent doubles */
    OT_PIECES,     /* a list of 1 to hi [from_epoch, factor] pairs */
    OT_HEADER,     /* true | false | auto -> int 1 | 0 | -1 */
    OT_SECTION,    /* a mapping whose keys are the table sub */
    OT_CHOICE,     /* one of the kinds table: NAME, or {NAME: {its options}} */
    OT_CHOICE_LIST,/* a list of OT_CHOICE items */
    OT_TERMS,      /* loss terms: {KIND: {...}}, a list of them, or one mapping of several */
    OT_SOURCE,     /* a data source: {dataset: KIND, its options}; the key is its role */
    OT_LAYER_LIST, /* the model's layers (layer_table.c) */
    OT_PATCH,      /* model.patch: edits of an inherited layer list by name */
    OT_GRID,       /* sweep.grid: {key.path: [values]} */
    OT_RESERVED,   /* designed but not run by this nnrun: any value is an error */
    OT_EXPR,       /* a call expression (call_expr.h: a layer, D(G), G.code) or a number */
    OT_INPUTS,     /* a net's input: a shape, or {NAME: shape, ...} */
    OT_NETS,       /* nets: {NAME: a net (the table sub), ...}, lo to hi of them */
    OT_GROUPS,     /* losses: {NAME: loss terms (kinds), ...}, lo to hi of them */
    OT_STEPS,      /* train.steps: a list of lo to hi steps (the table sub) */
    OT_NUMBERS,    /* a number in [lo, hi] (lo > 0) or a list of them -> float[size / sizeof(float)], 0 after the last */
} opt_type;

enum {
    OPT_REQUIRED = 1,   /* "X needs 'key'" when absent */
    OPT_ROLE_DEF = 2,   /* the default is the data source's role (train or test) */
    OPT_HELD_OUT = 4,   /* a data key a held-out source of a split dataset still takes (split) */
    OPT_ONE_OK = 8,     /* OT_LAYERS, OT_SHAPE: one item may be written without the list */
    OPT_RESOLVED = 16,  /* gone once the spec is resolved (extends, model.patch): in the schema
                           of a spec file, not in the keys the parser takes */
    OPT_PRESENCE = 32,  /* a section whose presence changes the run (sweep): its defaults are
                           written out only where it is written */
    OPT_PROGRAM = 64,   /* a top-level key of a spec that trains (model, loss, train, ...): a data
                           study (no model: or nets:) has none, and its spec.yaml gets no defaults of them */
};

#define OPT_NO_FIELD ((size_t)-1)
/* Where a row's value goes: the member m of the section's struct T. */
#define OPT_FIELD(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)

typedef struct opt_def {
    const char *key;
    opt_type type;
    double lo, hi;               /* numbers: inclusive range; OT_LIST/OT_ONE_OR_LIST: hi = most items */
    const char *def;             /* the default as YAML text; NULL: none (absent means off, or see doc) */
    const char *const *choices;  /* OT_ENUM, OT_WORD, OT_CLEAN, OT_LIST, OT_ONE_OR_LIST: NULL-terminated */
    size_t off, size;            /* the field (OPT_FIELD); size 0: read by `read` or by the section */
    /* Reads v into the section's struct base; what names the value in messages. */
    int (*read)(diag *d, const struct opt_def *o, const ynode *v, const char *what, void *base);
    unsigned flags;              /* OPT_* */
    const struct opt_def *sub;   /* OT_SECTION: the nested section's keys */
    const struct choice_def *kinds;  /* OT_CHOICE, OT_CHOICE_LIST, OT_TERMS: the kinds */
    const char *doc;             /* one line: what the key means (and its default when not text) */
} opt_def;

/* One of several kinds a key names (an optimizer, a schedule, a loss term, a report figure),
 * each with its own options. */
typedef struct choice_def {
    const char *name;
    int id;                      /* the kind's enum value (nn_opt_kind, loss_kind, ...) */
    const opt_def *opts;         /* NULL: takes no options */
    unsigned flags;              /* CHOICE_* */
    /* Fills base with the defaults the runtime owns (nn_opt_defaults): rows without a def
     * show these. NULL: the rows' def. */
    void (*runtime_defaults)(int id, void *base);
    const char *doc;
} choice_def;

enum {
    CHOICE_BARE = 1,             /* may be written as its name alone */
    CHOICE_LIST = 2,             /* its value is a list (piecewise), not a mapping */
    CHOICE_NUMBER = 4,           /* its value may be one number, which sets its first option */
    CHOICE_DATA = 8,             /* a report kind that reads the data alone: it runs in a data study */
    CHOICE_TABLE = 16,           /* a report kind whose options are read through its table (data reports too) */
};

const opt_def *opts_find(const opt_def *opts, const char *key);
/* The keys the parser takes (no OPT_RESOLVED rows) of opts, then of more (may be NULL), into
 * keys[], NULL-terminated; returns the count. */
int opts_keys(const opt_def *opts, const opt_def *more, const char **keys, int cap);

/* Sets every field of opts that has a default to it. */
void opts_defaults(diag *d, const opt_def *opts, void *base);
/* Reads one row's value (present in the spec) into base. what names it in messages. */
int opt_read(diag *d, const opt_def *o, const ynode *v, const char *what, void *base);
/* Reads the keys of map present in opts (rows with a field or a hook), in table order. */
void opts_read_values(diag *d, const ynode *map, const opt_def *opts, void *base);
/* Reports "WHO needs 'key' (doc)" for each required row absent from map; returns how many. */
int opts_check_required(diag *d, const ynode *map, const char *who, const opt_def *opts);
/* Everything for one mapping: unknown keys (ctx names it), defaults, values, required keys. */
void opts_read(diag *d, const ynode *map, const char *ctx, const opt_def *opts, void *base);

/* The default as shown in docs and written to spec.yaml, into buf; 0 if the row has none.
 * c: the choice the row belongs to (its runtime defaults), or NULL; role: the data source's
 * role for OPT_ROLE_DEF rows. */
int opt_default_text(const opt_def *o, const choice_def *c, const char *role, char *buf, size_t len);
/* "int 1..64", "number", "true|false", "tanh|relu", "int or [a, b]", ... for docs. */
void opt_type_text(const opt_def *o, char *buf, size_t len);
/* A number or a pair [a, b] (kernel sizes, paddings), each in [lo, hi], into out[2]. */
int read_size2(diag *d, const ynode *v, const char *what, long lo, long hi, int *out);
/* A null or an empty mapping: a key written without a value. */
int ynode_is_empty(const ynode *v);

/* "{filters, kernel, stride: 1, pad: 0}": the keys, with their defaults where they have one. */
void opts_summary(const opt_def *opts, char *buf, size_t len);
/* NAME or {NAME: options} (CHOICE_NUMBER: or {NAME: number}): finds the choice, fills base
 * with its defaults, then reads its options. what names the kind in messages ("initialiser").
 * Returns the choice, or NULL if the name is unknown or the form wrong (reported). */
const choice_def *choice_read(diag *d, const ynode *n, const char *what, const choice_def *choices, void *base);

/* A choice of a table by name, or NULL. */
const choice_def *choice_find(const choice_def *choices, const char *name);
int choices_names(const choice_def *choices, const char **names, int cap);

#endif
