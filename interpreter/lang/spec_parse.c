/* YAML tree -> validated spec: the schema pass (one file per section: spec_parse_data.c,
 * spec_parse_model.c, spec_parse_train.c), then the cross-field pass over names. Every
 * problem is reported (not just the first) with its file:line:column; nothing unknown is
 * ignored. */
#include "spec_merge.h"
#include "spec_parse_internal.h"
#include "call_expr.h"
#include "schema.h"
#include "spec_tables.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cross-field pass: every name used refers to something ---------------------------------- */
int net_find_layer(const model_spec *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

int spec_find_layer(const spec *s, const char *name) { return s->n_nets ? net_find_layer(&s->nets[0], name) : -1; }

int spec_pred_is_logits(const spec *s, const char *pred)
{
    for (int g = 0; g < s->n_groups; g++)
        for (int k = 0; k < s->groups[g].n_terms; k++)
            if (s->groups[g].terms[k].kind == LOSS_BCE_LOGITS && strcmp(s->groups[g].terms[k].pred, pred) == 0) return 1;
    return 0;
}

int spec_find_net(const spec *s, const char *name)
{
    for (int i = 0; i < s->n_nets; i++)
        if (strcmp(s->nets[i].name, name) == 0) return i;
    return -1;
}

int spec_find_group(const spec *s, const char *name)
{
    for (int i = 0; i < s->n_groups; i++)
        if (strcmp(s->groups[i].name, name) == 0) return i;
    return -1;
}

static void unknown_name(diag *d, spec_pos at, const char *what, const char *name, const char *const *names)
{
    char msg[1024];
    schema_unknown_msg(msg, sizeof msg, what, name, NULL, names);
    diag_error_at(d, at.file, at.line, at.col, "%s", msg);
}

static void unknown_net(diag *d, const spec *s, spec_pos at, const char *name)
{
    const char *names[SPEC_MAX_NETS + 1];
    for (int k = 0; k < s->n_nets; k++) names[k] = s->nets[k].name;
    names[s->n_nets] = NULL;
    unknown_name(d, at, "net", name, names);
}

/* A layer's `from:` or a layer its options name (layer_spec.refs) inside net m: one of its inputs or an earlier layer, or
 * in a spec's single model the data's targets (`target`: a decoder's input, shifted). */
static void check_layer_ref(diag *d, const spec *s, const model_spec *m, const char *name, int upto, spec_pos at)
{
    if (!name[0] || (s->single && strcmp(name, "target") == 0)) return;
    for (int k = 0; k < m->n_inputs; k++)
        if (strcmp(m->inputs[k].name, name) == 0) return;
    int i = net_find_layer(m, name);
    if (i >= 0 && i < upto) return;
    if (i >= upto) {
        diag_error_at(d, at.file, at.line, at.col, "layer '%s' comes later in the model; a layer reads earlier ones", name);
        return;
    }
    const char *names[1024];
    int n = 0;
    for (int k = 0; k < m->n_inputs; k++) names[n++] = m->inputs[k].name;
    if (s->single) names[n++] = "target";
    for (int k = 0; k < upto && n < 1023; k++) names[n++] = m->layers[k].name;
    names[n] = NULL;
    unknown_name(d, at, "layer", name, names);
}

/* Is name a net input of some net (a source bound by name: data, target, noise...)? */
static int is_input_name(const spec *s, const char *name)
{
    if (strcmp(name, "input") == 0 || strcmp(name, "data") == 0 || strcmp(name, "target") == 0) return 1;
    for (int i = 0; i < s->n_nets; i++)
        for (int k = 0; k < s->nets[i].n_inputs; k++)
            if (strcmp(s->nets[i].inputs[k].name, name) == 0) return 1;
    return 0;
}

/* Every name an expression may use at its top level, for did-you-mean. */
static int expr_names(const spec *s, const char **names, int cap)
{
    int n = 0;
    static const char *const sources[] = {"input", "target"};
    for (int i = 0; i < 2; i++) names[n++] = sources[i];
    for (int i = 0; i < s->n_nets && n < cap - 1; i++) names[n++] = s->nets[i].name;
    if (s->single)
        for (int i = 0; i < s->nets[0].n_layers && n < cap - 1; i++) names[n++] = s->nets[0].layers[i].name;
    names[n] = NULL;
    return n;
}

static void check_expr_node(diag *d, const spec *s, const cx_expr *e, int i, spec_pos at)
{
    const cx_node *x = &e->n[i];
    spec_pos here = {at.file, at.line, at.col + x->col};
    if (x->kind == CX_NUMBER) return;
    int net = spec_find_net(s, x->name);
    if (x->kind == CX_CALL) {
        if (net < 0) {
            unknown_net(d, s, here, x->name);
            return;
        }
        if (x->n_args > s->nets[net].n_inputs)
            diag_error_at(d, here.file, here.line, here.col, "%s takes %d input%s (%s%s) but is called with %d", x->name,
                          s->nets[net].n_inputs, s->nets[net].n_inputs == 1 ? "" : "s", s->nets[net].inputs[0].name,
                          s->nets[net].n_inputs > 1 ? ", ..." : "", x->n_args);
        for (int a = 0; a < x->n_args; a++) check_expr_node(d, s, e, x->args[a], at);
    } else if (net < 0 && !is_input_name(s, x->name) && !(s->single && spec_find_layer(s, x->name) >= 0)) {
        const char *names[1100];
        expr_names(s, names, 1100);
        if (!s->single) {   /* a layer of some net: say how to name it */
            for (int k = 0; k < s->n_nets; k++)
                if (net_find_layer(&s->nets[k], x->name) >= 0) {
                    diag_error_at(d, here.file, here.line, here.col, "'%s' is a layer of net %s: write %s.%s", x->name,
                                  s->nets[k].name, s->nets[k].name, x->name);
                    return;
                }
        }
        unknown_name(d, here, s->single ? "layer" : "name", x->name, names);
        return;
    }
    if (x->layer[0]) {
        if (net < 0) {
            diag_error_at(d, here.file, here.line, here.col, "'%s.%s': only a net has layers to name after '.'", x->name, x->layer);
            return;
        }
        if (net_find_layer(&s->nets[net], x->layer) < 0) {
            const char *names[1024];
            int n = 0;
            for (int k = 0; k < s->nets[net].n_layers && n < 1023; k++) names[n++] = s->nets[net].layers[k].name;
            names[n] = NULL;
            unknown_name(d, here, "layer", x->layer, names);
        }
    }
}

/* A call expression (call_expr.h) in a loss, metric or report. */
static void check_expr(diag *d, const spec *s, const char *text, spec_pos at)
{
    if (!text[0]) return;
    cx_expr e;
    char err[128];
    int col;
    if (cx_parse(text, &e, err, sizeof err, &col) < 0) {
        int cut = strcmp(err, "missing ')'") == 0;   /* YAML split `{pred: D(G, data)}` at the comma */
        diag_error_at(d, at.file, at.line, at.col + col, "'%s': %s%s", text, err,
                      cut ? " (inside { } a comma ends the value: quote a call with several arguments, \"D(G, data)\")" : "");
        return;
    }
    check_expr_node(d, s, &e, e.root, at);
}

static void check_references(diag *d, const spec *s)
{
    for (int n = 0; n < s->n_nets; n++) {
        const model_spec *m = &s->nets[n];
        for (int i = 0; i < m->n_layers; i++) {
            for (int k = 0; k < m->layers[i].n_from; k++) check_layer_ref(d, s, m, m->layers[i].from[k], i, m->layers[i].from_pos);
            for (int r = 0; r < REF_COUNT; r++) check_layer_ref(d, s, m, m->layers[i].refs[r].name, i, m->layers[i].refs[r].pos);
        }
    }
    for (int g = 0; g < s->n_groups; g++)
        for (int k = 0; k < s->groups[g].n_terms; k++) {
            const loss_spec *l = &s->groups[g].terms[k];
            check_expr(d, s, l->kind == LOSS_KL_NORMAL ? l->mean : l->pred, l->pred_pos);
            check_expr(d, s, l->kind == LOSS_KL_NORMAL ? l->logvar : l->target, l->target_pos);
            if (l->critic[0] && spec_find_net(s, l->critic) < 0) unknown_net(d, s, l->critic_pos, l->critic);   /* gradient_penalty */
        }
    for (int k = 0; k < s->n_reports; k++) {
        check_expr(d, s, s->reports[k].layer, s->reports[k].pos);
        for (int j = 0; j < s->reports[k].n_layers; j++) check_expr(d, s, s->reports[k].layers[j], s->reports[k].pos);
    }
    check_expr(d, s, s->train.metric_pred, (spec_pos){s->file, 1, 1});
}

/* ---- a data study: no model: or nets: -------------------------------------------------------- */
/* "attention_lookup, ...": the report kinds that read the data alone */
static void data_report_names(char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (const choice_def *c = report_choices; c->name && k < len; c++)
        if (c->flags & CHOICE_DATA) k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? ", " : "", c->name);
}

static const choice_def *report_choice_of(report_kind kind)
{
    for (const choice_def *c = report_choices; c->name; c++)
        if (c->id == (int)kind) return c;
    return NULL;
}

/* A data study has none of the keys of a spec that trains, and one or more reports, all of
 * them data reports. */
static void check_data_study(diag *d, const ynode *tree, const spec *s)
{
    char names[256];
    data_report_names(names, sizeof names);
    for (const opt_def *o = spec_top_opts; o->key; o++) {
        int k = (o->flags & OPT_PROGRAM) ? ymap_index(tree, o->key) : -1;
        if (k >= 0)
            diag_error_at(d, tree->file, tree->key_line[k], tree->key_col[k],
                          "'%s' needs a network, and the spec has no 'model:' (or 'nets:'): a spec without one is a data "
                          "study, which only runs data reports (%s)", o->key, names);
    }
    if (s->n_reports == 0)
        diag_error(d, tree, "the spec has no model: add 'model:' (or 'nets:') and a loss, or make it a data study by "
                            "asking for data reports (%s)", names);
    for (int i = 0; i < s->n_reports; i++) {
        const choice_def *c = report_choice_of(s->reports[i].kind);
        if (c && !(c->flags & CHOICE_DATA))
            diag_error_at(d, s->reports[i].pos.file, s->reports[i].pos.line, s->reports[i].pos.col,
                          "the spec has no model: only data reports (%s) run without one, and %s reads a model", names,
                          c->name);
    }
}

/* ---- top level ------------------------------------------------------------------------------ */
/* model: / loss: or nets: / losses: (either of each), train, then the steps over them; none of
 * them in a data study (check_data_study) */
static void parse_program(diag *d, ynode *tree, spec *s)
{
    const ynode *model = ymap_get(tree, "model"), *nets = ymap_get(tree, "nets");
    const ynode *loss = ymap_get(tree, "loss"), *losses = ymap_get(tree, "losses");
    step_spec dflt = {0};
    if (spec_tree_is_data_study(tree)) {
        parse_train(d, tree, NULL, &s->train, &dflt);   /* its defaults; a data study trains nothing */
        return;
    }
    if (model && nets) diag_error(d, nets, "a spec has either 'model:' (one net) or 'nets:', not both");
    if (loss && losses) diag_error(d, losses, "a spec has either 'loss:' (one group) or 'losses:', not both");
    if (nets) parse_nets(d, nets, s);
    else {
        parse_model(d, tree, model, &s->nets[0]);
        s->n_nets = 1;
    }
    if (losses) parse_loss_groups(d, losses, s);
    else if (!loss) diag_error(d, tree, "the spec has no 'loss' section (or 'losses:')");
    else {
        snprintf(s->groups[0].name, sizeof s->groups[0].name, "loss");
        parse_losses(d, loss, &s->groups[0]);
        s->n_groups = 1;
    }
    parse_train(d, tree, ymap_get(tree, "train"), &s->train, &dflt);
    s->single = s->n_nets == 1;   /* one net: layers named bare, weights "<layer>.weight" */
    if (s->n_groups) parse_steps(d, ymap_get(tree, "train"), s, &dflt);
    for (int i = 0; i < s->n_steps; i++)
        if (s->steps[i].sched.kind == NN_SCHED_COSINE && !s->steps[i].sched.total_epochs)
            s->steps[i].sched.total_epochs = s->train.epochs;
}

spec *spec_from_tree(ynode *tree, const char *file, diag *d)
{
    static const char *const keys[] = {"name", "description", "seed", "output", "data", "model", "nets", "loss", "losses",
                                       "train", "report", "sweep", NULL};
    int before = diag_count(d);
    if (schema_expect(d, tree, YN_MAP, "a spec") < 0) return NULL;
    spec *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->tree = tree;
    snprintf(s->file, sizeof s->file, "%s", file);
    schema_check_keys(d, tree, "spec", keys);
    if (schema_str(d, tree, "name", s->name, sizeof s->name) == 0) {
        const char *base = strrchr(file, '/');
        snprintf(s->name, sizeof s->name, "%.*s", (int)strcspn(base ? base + 1 : file, "."), base ? base + 1 : file);
    }
    int seed = 1;
    schema_int(d, tree, "seed", 0, 2147483647, &seed);
    s->seed = (uint64_t)seed;
    if (schema_str(d, tree, "output", s->out_dir, sizeof s->out_dir) == 0) snprintf(s->out_dir, sizeof s->out_dir, "runs/%s", s->name);
    parse_data(d, tree, ymap_get(tree, "data"), &s->data);
    parse_program(d, tree, s);
    parse_reports(d, ymap_get(tree, "report"), s);
    if (spec_tree_is_data_study(tree)) check_data_study(d, tree, s);
    if (diag_count(d) == before) check_references(d, s);
    if (diag_count(d) > before) {
        s->tree = NULL;
        spec_free(s);
        return NULL;
    }
    return s;
}

ynode *spec_load_tree(const char *file, const char *const *overrides, int n_overrides, diag *d)
{
    ynode *tree = spec_load_resolved(file, d);
    for (int i = 0; tree && i < n_overrides; i++)
        if (spec_apply_set(&tree, overrides[i], d) < 0) {
            ynode_free(tree);
            return NULL;
        }
    return tree;
}

spec *spec_load(const char *file, const char *const *overrides, int n_overrides, diag *d)
{
    ynode *tree = spec_load_tree(file, overrides, n_overrides, d);
    if (!tree) return NULL;
    spec *s = spec_from_tree(tree, file, d);
    if (!s) ynode_free(tree);
    return s;
}

void spec_free(spec *s)
{
    if (!s) return;
    for (int i = 0; i < SPEC_MAX_NETS; i++) free(s->nets[i].layers);
    ynode_free(s->tree);
    free(s);
}
