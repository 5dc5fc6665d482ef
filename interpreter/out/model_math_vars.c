/* A layer's placeholders and conditions (model_math_layers.c's templates read them): its
 * inputs' symbols and per-sample sizes from the built graph, its options from the spec. */
#include "model_math_internal.h"
#include "model_layers.h"
#include <stdio.h>
#include <string.h>

int layer_env_init(layer_env *e, const spec *s, const model_graph *m, int net, const net_call *call, int li, char *err,
                   size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->s = s, e->m = m, e->net = net, e->ns = &s->nets[net], e->call = call, e->li = li;
    const layer_spec *l = e->l = &e->ns->layers[li];
    const char *names[SPEC_MAX_FROM];
    e->n_in = l->n_from ? l->n_from : 1;
    if (l->n_from == 0) names[0] = li == 0 ? e->ns->inputs[0].name : e->ns->layers[li - 1].name;
    for (int k = 0; k < l->n_from; k++) names[k] = l->from[k];
    for (int k = 0; k < e->n_in; k++) {
        int node = call_source_node(m, call, e->ns, li, names[k]);
        if (node < 0) return snprintf(err, errlen, "layer '%s': its input '%s' is not in the graph", l->name, names[k]), -1;
        e->in_shape[k] = per_sample_shape(m->g, node);
        source_symbol(s, e->ns, names[k], &e->in[k]);
    }
    snprintf(e->out.base, sizeof e->out.base, "x");
    snprintf(e->out.index, sizeof e->out.index, "%d", li + 1);
    e->out_shape = per_sample_shape(m->g, call->out[li]);
    e->attend_shape.ndim = -1;
    if (l->refs[REF_ATTEND].name[0]) {
        int node = call_source_node(m, call, e->ns, li, l->refs[REF_ATTEND].name);
        if (node >= 0) e->attend_shape = per_sample_shape(m->g, node);
    }
    return 0;
}

/* ---- conditions --------------------------------------------------------------------------------- */
static int has_ref(const layer_env *e, layer_ref_kind r) { return e->l->refs[r].name[0] != 0; }
static int recurrent_output(const layer_env *e, int mode) { return layer_is_recurrent(e->l->kind) && e->l->rnn_output == mode; }
static int c_sequence(const layer_env *e) { return e->in_shape[0].ndim >= 2; }
static int c_out_sequence(const layer_env *e) { return e->out_shape.ndim >= 2; }
static int c_mask(const layer_env *e) { return has_ref(e, REF_MASK); }
static int c_memory_mask(const layer_env *e) { return has_ref(e, REF_MEMORY_MASK); }
static int c_attend(const layer_env *e) { return has_ref(e, REF_ATTEND); }
static int c_attend_mask(const layer_env *e) { return has_ref(e, REF_ATTEND_MASK); }
static int c_bidirectional(const layer_env *e) { return e->l->rnn_bidir; }
static int c_out_all(const layer_env *e) { return recurrent_output(e, RNN_OUT_ALL); }
static int c_out_last(const layer_env *e) { return recurrent_output(e, RNN_OUT_LAST); }
static int c_out_mean(const layer_env *e) { return recurrent_output(e, RNN_OUT_MEAN); }
static int c_out_max(const layer_env *e) { return recurrent_output(e, RNN_OUT_MAX); }
static int c_out_pooled(const layer_env *e) { return c_out_mean(e) || c_out_max(e); }
static int c_norm_first(const layer_env *e) { return e->l->norm_first; }
static int c_causal(const layer_env *e) { return e->l->causal; }
static int c_learned(const layer_env *e) { return e->l->learned; }
static int c_eval(const layer_env *e) { return e->l->noise_at_eval; }
static int c_padding_id(const layer_env *e) { return e->l->padding_id >= 0; }
static int c_frozen(const layer_env *e) { return e->l->frozen; }
static int c_vectors(const layer_env *e) { return e->l->vectors[0] != 0; }
static int c_same(const layer_env *e) { return e->l->same; }
static int c_padded(const layer_env *e) { return e->l->pad[0] > 0; }
static int c_dropout(const layer_env *e) { return e->l->p > 0; }

static const struct {
    unsigned bit;
    int (*holds)(const layer_env *e);
} conditions[] = {
    {MC_SEQUENCE, c_sequence}, {MC_OUT_SEQUENCE, c_out_sequence}, {MC_MASK, c_mask}, {MC_MEMORY_MASK, c_memory_mask},
    {MC_ATTEND, c_attend}, {MC_ATTEND_MASK, c_attend_mask}, {MC_BIDIRECTIONAL, c_bidirectional}, {MC_OUT_ALL, c_out_all},
    {MC_OUT_LAST, c_out_last}, {MC_OUT_MEAN, c_out_mean}, {MC_OUT_MAX, c_out_max}, {MC_OUT_POOLED, c_out_pooled},
    {MC_NORM_FIRST, c_norm_first}, {MC_CAUSAL, c_causal}, {MC_LEARNED, c_learned}, {MC_EVAL, c_eval},
    {MC_PADDING_ID, c_padding_id}, {MC_FROZEN, c_frozen}, {MC_VECTORS, c_vectors}, {MC_SAME, c_same},
    {MC_PADDED, c_padded}, {MC_DROPOUT, c_dropout},
};

unsigned layer_conditions(const layer_env *e)
{
    unsigned c = 0;
    for (size_t k = 0; k < sizeof conditions / sizeof conditions[0]; k++)
        if (conditions[k].holds(e)) c |= conditions[k].bit;
    return c;
}

/* ---- placeholders ------------------------------------------------------------------------------- */
static int dim(const nn_shape *s, int k) { return k < s->ndim ? s->d[k] : 1; }
static int last_dim(const nn_shape *s) { return s->ndim > 0 ? s->d[s->ndim - 1] : 1; }
static const nn_shape *kv_shape(const layer_env *e) { return &e->in_shape[e->n_in > 1 ? 1 : 0]; }

/* The symbol of what option `ref` names ("" when the option is absent: \mathrm{} then, which
 * the converter refuses, so a template reading an absent option fails its test). */
static void ref_symbol(const layer_env *e, layer_ref_kind ref, const char *arg, char *buf, size_t len)
{
    math_symbol sym;
    source_symbol(e->s, e->ns, e->l->refs[ref].name, &sym);
    tex_symbol(&sym, arg, buf, len);
}

/* An activation's symbol applied to arg, the activation noted as used. */
static void apply_act(layer_env *e, act_kind a, const char *arg, char *buf, size_t len)
{
    const act_math_def *def = act_math_def_of(a);
    char symbol[128], err[256];
    if (!def) {
        snprintf(buf, len, "%s", arg);
        return;
    }
    e->acts_used |= 1u << a;
    if (math_expand(def->symbol, layer_vars, e, symbol, sizeof symbol, err, sizeof err) < 0) snprintf(symbol, sizeof symbol, "?");
    snprintf(buf, len, "%s(%s)", symbol, arg);
}

#define VAR_FN(fn) static void fn(void *ctx, const char *arg, char *buf, size_t len)
#define ENV                                                                                                            \
    layer_env *e = ctx;                                                                                                \
    (void)arg
/* A number placeholder: its value is expr, over e (the layer env) and l (its spec). */
#define NUMBER_VAR(fn, expr)                                                                                           \
    VAR_FN(fn)                                                                                                         \
    {                                                                                                                  \
        ENV;                                                                                                           \
        const layer_spec *l = e->l;                                                                                    \
        (void)l;                                                                                                       \
        tex_number((double)(expr), buf, len);                                                                          \
    }

VAR_FN(var_x) { ENV; tex_symbol(&e->in[0], arg, buf, len); }
VAR_FN(var_x2) { ENV; tex_symbol(&e->in[e->n_in > 1 ? 1 : 0], arg, buf, len); }
VAR_FN(var_y) { ENV; tex_symbol(&e->out, arg, buf, len); }
VAR_FN(var_mask) { ENV; ref_symbol(e, REF_MASK, arg, buf, len); }
VAR_FN(var_memory_mask) { ENV; ref_symbol(e, REF_MEMORY_MASK, arg, buf, len); }
VAR_FN(var_attend_mask) { ENV; ref_symbol(e, REF_ATTEND_MASK, arg, buf, len); }
VAR_FN(var_attend) { ENV; ref_symbol(e, REF_ATTEND, arg, buf, len); }
VAR_FN(var_h0)
{
    ENV;
    if (has_ref(e, REF_INITIAL_STATE)) ref_symbol(e, REF_INITIAL_STATE, arg, buf, len);
    else snprintf(buf, len, "0");
}
VAR_FN(var_c0)
{
    ENV;
    if (has_ref(e, REF_INITIAL_CELL)) ref_symbol(e, REF_INITIAL_CELL, arg, buf, len);
    else snprintf(buf, len, "0");
}
VAR_FN(var_act) { ENV; apply_act(e, e->l->act, arg, buf, len); }
VAR_FN(var_ffact) { ENV; apply_act(e, e->l->ff_gelu ? ACT_GELU : ACT_RELU, arg, buf, len); }
VAR_FN(var_bias)
{
    ENV;
    snprintf(buf, len, "%s", e->l->bias ? arg : "");
}
VAR_FN(var_rnnact)
{
    ENV;
    act_kind a = e->l->rnn_relu ? ACT_RELU : ACT_TANH;
    e->acts_used |= 1u << a;
    snprintf(buf, len, "%s", act_math_def_of(a)->symbol);
}
/* the cell's input at step t: x_t, or [x_t ; c_t] with attention */
VAR_FN(var_xin)
{
    ENV;
    char x[128];
    tex_symbol(&e->in[0], "t", x, sizeof x);
    if (has_ref(e, REF_ATTEND)) snprintf(buf, len, "[%s ; c_t]", x);
    else snprintf(buf, len, "%s", x);
}
/* what a recurrent layer gives at step t: h_t, or both directions */
VAR_FN(var_ht)
{
    ENV;
    snprintf(buf, len, "%s", e->l->rnn_bidir ? "[h_t ; \\overleftarrow{h}_t]" : "h_t");
}
VAR_FN(var_mask_term) { ENV; snprintf(buf, len, "%s", has_ref(e, REF_MASK) || e->l->causal ? " + M" : ""); }
VAR_FN(var_memory_mask_term) { ENV; snprintf(buf, len, "%s", has_ref(e, REF_MEMORY_MASK) ? " + \\tilde{M}" : ""); }
VAR_FN(var_scale)
{
    ENV;
    if (e->l->scale_input) snprintf(buf, len, "\\sqrt{%d} \\, ", last_dim(&e->in_shape[0]));
    else buf[0] = 0;
}
/* the inputs joined by `sep` between `open` and `close` */
static void join_inputs(const layer_env *e, const char *open, const char *sep, const char *close, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s", open);
    for (int k = 0; k < e->n_in && n < len; k++) {
        char x[128];
        tex_symbol(&e->in[k], NULL, x, sizeof x);
        n += (size_t)snprintf(buf + n, len - n, "%s%s", k ? sep : "", x);
    }
    if (n < len) snprintf(buf + n, len - n, "%s", close);
}
VAR_FN(var_sum) { ENV; join_inputs(e, "", " + ", "", buf, len); }
VAR_FN(var_cat) { ENV; join_inputs(e, "[", " ; ", "]", buf, len); }
VAR_FN(var_catsizes)
{
    ENV;
    size_t n = 0;
    int total = 0;
    buf[0] = 0;
    for (int k = 0; k < e->n_in && n < len; k++) {
        total += dim(&e->in_shape[k], 0);
        n += (size_t)snprintf(buf + n, len - n, "%s%d", k ? " + " : "", dim(&e->in_shape[k], 0));
    }
    if (n < len) snprintf(buf + n, len - n, " = %d", total);
}
VAR_FN(var_inshape) { ENV; tex_shape(&e->in_shape[0], buf, len); }
VAR_FN(var_outshape) { ENV; tex_shape(&e->out_shape, buf, len); }
VAR_FN(var_vectors) { ENV; snprintf(buf, len, "%s", e->l->vectors); }

NUMBER_VAR(var_i, e->li + 1)
NUMBER_VAR(var_units, l->units)
NUMBER_VAR(var_heads, l->heads)
NUMBER_VAR(var_dk, l->heads > 0 ? last_dim(&e->in_shape[0]) / l->heads : 0)
NUMBER_VAR(var_pad, l->padding_id)
NUMBER_VAR(var_k0, l->kernel[0])
NUMBER_VAR(var_k1, l->kernel[1])
NUMBER_VAR(var_s, l->stride)
NUMBER_VAR(var_p0, l->pad[0])
NUMBER_VAR(var_p1, l->pad[1])
NUMBER_VAR(var_op0, l->out_pad[0])
NUMBER_VAR(var_op1, l->out_pad[1])
NUMBER_VAR(var_f, l->factor)
NUMBER_VAR(var_p, l->p)
NUMBER_VAR(var_sigma, l->sigma)
NUMBER_VAR(var_eps, l->eps)
NUMBER_VAR(var_mom, l->momentum)
NUMBER_VAR(var_fill, l->fill)
NUMBER_VAR(var_axis, l->axis)
NUMBER_VAR(var_a, l->act_param)
NUMBER_VAR(var_in0, dim(&e->in_shape[0], 0))
NUMBER_VAR(var_in1, dim(&e->in_shape[0], 1))
NUMBER_VAR(var_in2, dim(&e->in_shape[0], 2))
NUMBER_VAR(var_out0, dim(&e->out_shape, 0))
NUMBER_VAR(var_out1, dim(&e->out_shape, 1))
NUMBER_VAR(var_out2, dim(&e->out_shape, 2))
NUMBER_VAR(var_D, last_dim(&e->in_shape[0]))
NUMBER_VAR(var_T, dim(&e->in_shape[0], 0))
NUMBER_VAR(var_Tm1, dim(&e->in_shape[0], 0) - 1)
NUMBER_VAR(var_lead, nn_shape_numel(&e->in_shape[0]) / (size_t)last_dim(&e->in_shape[0]))
NUMBER_VAR(var_red, dim(&e->in_shape[0], l->axis))
NUMBER_VAR(var_Tk, dim(kv_shape(e), 0))
NUMBER_VAR(var_S, dim(&e->attend_shape, 0))
NUMBER_VAR(var_F, dim(&e->attend_shape, 1))

const math_var layer_vars[] = {
    {"x", VAR_SYMBOL, var_x}, {"x2", VAR_SYMBOL, var_x2}, {"y", VAR_SYMBOL, var_y},
    {"m", VAR_SYMBOL, var_mask}, {"mm", VAR_SYMBOL, var_memory_mask}, {"am", VAR_SYMBOL, var_attend_mask},
    {"k", VAR_SYMBOL, var_attend}, {"h0", VAR_SYMBOL, var_h0}, {"c0", VAR_SYMBOL, var_c0},
    {"act", VAR_WRAP, var_act}, {"ffact", VAR_WRAP, var_ffact}, {"bias", VAR_WRAP, var_bias},
    {"rnnact", VAR_TEX, var_rnnact}, {"xin", VAR_TEX, var_xin}, {"ht", VAR_TEX, var_ht}, {"M", VAR_TEX, var_mask_term},
    {"Mm", VAR_TEX, var_memory_mask_term}, {"scale", VAR_TEX, var_scale}, {"sum", VAR_TEX, var_sum},
    {"cat", VAR_TEX, var_cat}, {"catsizes", VAR_TEX, var_catsizes}, {"inshape", VAR_TEX, var_inshape},
    {"outshape", VAR_TEX, var_outshape}, {"vectors", VAR_TEX, var_vectors},
    {"i", VAR_NUMBER, var_i}, {"units", VAR_NUMBER, var_units}, {"ff", VAR_NUMBER, var_units},
    {"steps", VAR_NUMBER, var_units}, {"heads", VAR_NUMBER, var_heads}, {"dk", VAR_NUMBER, var_dk},
    {"pad", VAR_NUMBER, var_pad}, {"k0", VAR_NUMBER, var_k0}, {"k1", VAR_NUMBER, var_k1},
    {"s", VAR_NUMBER, var_s}, {"p0", VAR_NUMBER, var_p0}, {"p1", VAR_NUMBER, var_p1}, {"op0", VAR_NUMBER, var_op0},
    {"op1", VAR_NUMBER, var_op1}, {"f", VAR_NUMBER, var_f}, {"p", VAR_NUMBER, var_p}, {"sigma", VAR_NUMBER, var_sigma},
    {"eps", VAR_NUMBER, var_eps}, {"mom", VAR_NUMBER, var_mom}, {"fill", VAR_NUMBER, var_fill},
    {"axis", VAR_NUMBER, var_axis}, {"a", VAR_NUMBER, var_a}, {"in0", VAR_NUMBER, var_in0}, {"in1", VAR_NUMBER, var_in1},
    {"in2", VAR_NUMBER, var_in2}, {"out0", VAR_NUMBER, var_out0}, {"out1", VAR_NUMBER, var_out1},
    {"out2", VAR_NUMBER, var_out2}, {"D", VAR_NUMBER, var_D}, {"T", VAR_NUMBER, var_T},
    {"Tm1", VAR_NUMBER, var_Tm1}, {"lead", VAR_NUMBER, var_lead}, {"red", VAR_NUMBER, var_red}, {"Tk", VAR_NUMBER, var_Tk},
    {"S", VAR_NUMBER, var_S}, {"F", VAR_NUMBER, var_F},
    {NULL, VAR_TEX, NULL},
};
