/* The layer and activation tables (see layer_table.h) and the readers of their options that
 * fill more than one field. */
#include "layer_table.h"
#include "schema.h"
#include "spec_parse_internal.h"
#include <stdio.h>
#include <string.h>

#define LS(m) OPT_FIELD(layer_spec, m)

/* ---- option readers ------------------------------------------------------------------------ */
/* pad: same: PyTorch's padding='same' — conv (stride 1, odd kernel) keeps H and W; conv1d
 * (stride 1) keeps T with K - 1 zeros in all, the odd one on the right for an even kernel. */
static int pad_same(diag *d, const ynode *p, layer_spec *l)
{
    l->same = 1;
    if (l->kind == LY_CONV_T) {
        diag_error(d, p, "pad: same is for conv; give conv_transpose its padding");
        return -1;
    }
    if (l->kind == LY_CONV1D) {
        if (l->stride != 1) diag_error(d, p, "pad: same needs stride 1 (here %d), as in PyTorch; give the padding as a number", l->stride);
        l->pad[0] = (l->kernel[0] - 1) / 2;
        l->pad[1] = l->kernel[0] - 1 - l->pad[0];
        return 1;
    }
    if (l->stride != 1 || l->kernel[0] % 2 == 0 || l->kernel[1] % 2 == 0)
        diag_error(d, p, "pad: same needs stride 1 and an odd kernel (here stride %d, kernel %dx%d)", l->stride, l->kernel[0],
                   l->kernel[1]);
    l->pad[0] = (l->kernel[0] - 1) / 2;
    l->pad[1] = (l->kernel[1] - 1) / 2;
    return 1;
}

/* pad of conv, conv_transpose (P or [PH, PW]) and conv1d (P, both ends); valid = 0; same as
 * above. Reads kernel and stride, so it comes after them in the table. */
static int read_pad(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    if (v->kind == YN_SCALAR && !v->quoted && (strcmp(v->str, "valid") == 0 || strcmp(v->str, "same") == 0)) {
        l->pad[0] = l->pad[1] = 0;
        return v->str[0] == 's' ? pad_same(d, v, l) : 1;
    }
    if (l->kind != LY_CONV1D) return read_size2(d, v, what, (long)o->lo, (long)o->hi, l->pad);
    int r = schema_node_int(d, v, what, (long)o->lo, (long)o->hi, &l->pad[0]);
    l->pad[1] = l->pad[0];
    return r;
}

/* pool size: a size x size window moving by size (stride, read next, may change that) */
static int read_pool_size(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    int r = schema_node_int(d, v, what, (long)o->lo, (long)o->hi, &l->kernel[0]);
    l->kernel[1] = l->stride = l->kernel[0];
    return r;
}

static int read_trainable(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    int trainable = 1, r = schema_node_bool(d, v, what, &trainable);
    (void)o;
    ((layer_spec *)base)->frozen = !trainable;
    return r;
}

/* mask:, attend:, initial_state:, ...: a layer name into the row's layer_ref, with where the
 * spec wrote it (the references are checked once every layer is read) */
static int read_ref(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_ref *ref = (layer_ref *)((char *)base + o->off);
    int r = schema_node_str(d, v, what, ref->name, sizeof ref->name);
    if (r > 0) ref->pos = pos_of(v);
    return r;
}
#define LAYER_REF(key_, ref_, doc_) {key_, OT_LAYER, 0, 0, NULL, LS(refs[ref_]), .read = read_ref, .doc = doc_}

/* reshape: [8, 7, 7], a per-sample shape */
static int read_shape(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    if (v->kind != YN_SEQ || v->n < 1 || v->n > NN_MAX_DIMS - 1) {
        diag_error(d, v, "%s is a per-sample shape: a list of 1 to %d sizes, e.g. [8, 7, 7]", what, NN_MAX_DIMS - 1);
        return -1;
    }
    l->shape.ndim = v->n;
    for (int i = 0; i < v->n; i++) schema_node_int(d, v->items[i], "reshape size", (long)o->lo, (long)o->hi, &l->shape.d[i]);
    return 1;
}

/* from: NAME or [NAME, ...]; add, concat: [NAME, NAME, ...] — into from[], n_from, from_pos */
static int read_inputs(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    int lo = (int)o->lo, hi = (int)o->hi;
    l->from_pos = pos_of(v);
    if (v->kind == YN_SCALAR && (o->flags & OPT_ONE_OK)) {
        l->n_from = 1;
        return schema_node_str(d, v, what, l->from[0], sizeof l->from[0]);
    }
    if (v->kind != YN_SEQ || v->n < lo || v->n > hi) {
        diag_error(d, v, "%s takes %s%d to %d layer names", what, (o->flags & OPT_ONE_OK) ? "a layer name or a list of " : "a list of ",
                   lo, hi);
        return -1;
    }
    for (int i = 0; i < v->n; i++)
        if (schema_node_str(d, v->items[i], "a layer name", l->from[i], sizeof l->from[i]) < 0) return -1;
    l->n_from = v->n;
    return 1;
}

/* ---- cross-field rules --------------------------------------------------------------------- */
static void check_output_padding(diag *d, const ynode *v, layer_spec *l)
{
    const ynode *op = ymap_get(v, "output_padding");
    if (l->out_pad[0] >= l->stride || l->out_pad[1] >= l->stride)
        diag_error(d, op ? op : v, "output_padding must be smaller than the stride (%d)", l->stride);
}

static void check_pool_pad(diag *d, const ynode *v, layer_spec *l)
{
    if (l->pad[0] * 2 > l->kernel[0]) diag_error(d, v, "pad must be at most half the window (PyTorch's rule)");
}

static void check_sample_gaussian(diag *d, const ynode *v, layer_spec *l)
{
    (void)d;
    l->n_from = 2;   /* from = {mean, logvar} */
    l->from_pos = pos_of(v);
}

/* rnn, lstm, gru: what an initial state and attention go with. Each rule names the option to
 * change; the error is at that option, or at the one it is about when it is not written. */
static int given(const layer_spec *l, layer_ref_kind r) { return l->refs[r].name[0] != 0; }
static int bidir_with_state(const layer_spec *l) { return l->rnn_bidir && given(l, REF_INITIAL_STATE); }
static int bidir_with_cell(const layer_spec *l) { return l->rnn_bidir && given(l, REF_INITIAL_CELL); }
static int attend_bidir(const layer_spec *l) { return given(l, REF_ATTEND) && l->rnn_bidir; }
static int attend_not_all(const layer_spec *l) { return given(l, REF_ATTEND) && l->rnn_output != RNN_OUT_ALL; }
static int attend_with_mask(const layer_spec *l) { return given(l, REF_ATTEND) && given(l, REF_MASK); }
static int attend_mask_alone(const layer_spec *l) { return given(l, REF_ATTEND_MASK) && !given(l, REF_ATTEND); }

static const struct {
    int (*broken)(const layer_spec *l);
    const char *key, *about, *message;
} recurrent_rules[] = {
    {bidir_with_state, "initial_state", NULL, "a bidirectional layer starts both directions from zeros: initial_state is for one direction"},
    {bidir_with_cell, "initial_cell", NULL, "a bidirectional layer starts both directions from zeros: initial_cell is for one direction"},
    {attend_bidir, "bidirectional", NULL, "a gru that attends runs forward only (its steps read the previous state): drop bidirectional"},
    {attend_not_all, "output", "attend", "a gru that attends gives every step's output: write output: all"},
    {attend_with_mask, "mask", NULL,
     "a gru that attends takes no mask of its own steps (targets are right-padded and the loss ignores the padding); "
     "attend_mask marks the real steps of what it attends to"},
    {attend_mask_alone, "attend_mask", NULL, "attend_mask marks the real steps of attend: give attend too"},
};

static void check_recurrent(diag *d, const ynode *v, layer_spec *l)
{
    for (size_t k = 0; k < sizeof recurrent_rules / sizeof recurrent_rules[0]; k++) {
        if (!recurrent_rules[k].broken(l)) continue;
        const ynode *at = ymap_get(v, recurrent_rules[k].key);
        if (!at && recurrent_rules[k].about) at = ymap_get(v, recurrent_rules[k].about);
        diag_error(d, at ? at : v, "%s", recurrent_rules[k].message);
    }
}

/* ---- the options of each layer --------------------------------------------------------------- */
static const opt_def dense_opts[] = {
    {"units", OT_INT, 1, 1 << 24, NULL, LS(units), .flags = OPT_REQUIRED, .doc = "output features"},
    {0}};
static const opt_def dropout_opts[] = {
    {"p", OT_FLOAT, 0, 0.99, NULL, LS(p), .flags = OPT_REQUIRED, .doc = "probability of zeroing a value in training (the rest scaled by 1/(1-p))"},
    {0}};
#define NOISE_EVAL {"eval", OT_BOOL, 0, 0, "false", LS(noise_at_eval), .doc = "also corrupt at evaluation (and in the figures)"}
static const opt_def gaussian_noise_opts[] = {
    {"sigma", OT_FLOAT, 0, 1e6, "0", LS(sigma), .doc = "standard deviation of the noise added"},
    NOISE_EVAL,
    {0}};
static const opt_def masking_noise_opts[] = {
    {"p", OT_FLOAT, 0, 0.99, "0", LS(p), .doc = "probability of zeroing each value"},
    NOISE_EVAL,
    {0}};
static const opt_def reshape_opts[] = {
    {"shape", OT_SHAPE, 1, 1 << 30, NULL, .read = read_shape, .flags = OPT_REQUIRED, .doc = "the per-sample shape, e.g. [8, 7, 7]"},
    {0}};
static const opt_def join_opts[] = {
    {"layers", OT_LAYERS, 2, SPEC_MAX_FROM, NULL, .read = read_inputs, .flags = OPT_REQUIRED, .doc = "the layers joined"},
    {0}};
static const opt_def sample_gaussian_opts[] = {
    {"mean", OT_LAYER, 0, 0, NULL, LS(from[0]), .flags = OPT_REQUIRED, .doc = "the layer giving the mean"},
    {"logvar", OT_LAYER, 0, 0, NULL, LS(from[1]), .flags = OPT_REQUIRED, .doc = "the layer giving log(variance)"},
    {"eval", OT_BOOL, 0, 0, "false", LS(noise_at_eval),
     .doc = "also sample at evaluation, as pytorch/examples' VAE does for its test loss (default: the mean)"},
    {0}};
#define CONV_FILTERS {"filters", OT_INT, 1, 1 << 20, NULL, LS(units), .flags = OPT_REQUIRED, .doc = "output channels"}
#define CONV_STRIDE {"stride", OT_INT, 1, 64, "1", LS(stride), .doc = "step between windows"}
#define CONV_PAD(type, doc_) {"pad", type, 0, 4096, "0", .read = read_pad, .doc = doc_}
static const opt_def conv_opts[] = {
    CONV_FILTERS,
    {"kernel", OT_SIZE2, 1, 4096, NULL, LS(kernel), .flags = OPT_REQUIRED, .doc = "window: K or [KH, KW]"},
    CONV_STRIDE,
    CONV_PAD(OT_PAD2, "zeros around the input: P, [PH, PW], valid (0) or same (keeps H, W: stride 1, odd kernel)"),
    {0}};
static const opt_def conv_t_opts[] = {
    CONV_FILTERS,
    {"kernel", OT_SIZE2, 1, 4096, NULL, LS(kernel), .flags = OPT_REQUIRED, .doc = "window: K or [KH, KW]"},
    CONV_STRIDE,
    CONV_PAD(OT_PAD2, "PyTorch's padding: P or [PH, PW] (crops the output)"),
    {"output_padding", OT_SIZE2, 0, 4096, "0", LS(out_pad), .doc = "extra rows/columns on one side, smaller than the stride"},
    {0}};
static const opt_def conv1d_opts[] = {
    CONV_FILTERS,
    {"kernel", OT_INT, 1, 4096, NULL, LS(kernel[0]), .flags = OPT_REQUIRED, .doc = "window in steps"},
    CONV_STRIDE,
    CONV_PAD(OT_PAD1, "zeros at both ends: P, valid (0) or same (keeps T: stride 1, the odd zero on the right)"),
    {0}};
#define POOL_SIZE(doc_) {"size", OT_INT, 1, 4096, "2", .read = read_pool_size, .doc = doc_}
#define POOL_STRIDE {"stride", OT_INT, 1, 4096, NULL, LS(stride), .doc = "step between windows (default: size)"}
static const opt_def pool_opts[] = {
    POOL_SIZE("window: size x size"),
    POOL_STRIDE,
    {"pad", OT_INT, 0, 4096, "0", LS(pad[0]), .doc = "padding on each side, at most half the window"},
    {0}};
static const opt_def pool1d_opts[] = {POOL_SIZE("window in steps"), POOL_STRIDE, {0}};
static const opt_def upsample_opts[] = {
    {"factor", OT_INT, 1, 64, "2", LS(factor), .doc = "each value repeated factor x factor times"},
    {0}};
static const opt_def batchnorm_opts[] = {
    {"momentum", OT_FLOAT, 0, 1, "0.1", LS(momentum), .doc = "running statistics: r = (1 - m) r + m batch"},
    {"eps", OT_FLOAT, 0, 1, "1e-5", LS(eps), .doc = "added to the variance"},
    {0}};
static const opt_def embedding_opts[] = {
    {"vocab", OT_INT, 1, 1 << 24, NULL, LS(vocab), .flags = OPT_REQUIRED, .doc = "number of token ids"},
    {"dim", OT_INT, 1, 1 << 16, NULL, LS(units), .flags = OPT_REQUIRED, .doc = "vector size D"},
    {"padding_id", OT_INT, -1, 1 << 24, "-1", LS(padding_id), .doc = "the id that reads zeros and gets no gradient (-1: none)"},
    {"vectors", OT_PATH, 0, 0, NULL, LS(vectors), .doc = "pre-trained vectors (GloVe / word2vec text) for the vocabulary's words"},
    {"words", OT_ENUM, 0, 0, "source", LS(words), .choices = (const char *const[]){"source", "target", NULL},
     .doc = "the data's vocabulary the ids are in: source (x's words) or target (translation's English)"},
    {"trainable", OT_BOOL, 0, 0, "true", .read = read_trainable, .doc = "false freezes the table"},
    {0}};
static const opt_def one_hot_opts[] = {
    {"symbols", OT_INT, 1, 1 << 16, NULL, LS(units), .flags = OPT_REQUIRED, .doc = "number of symbols C"},
    {0}};
static const opt_def over_opts[] = {
    {"axis", OT_INT, 0, NN_MAX_DIMS - 2, "0", LS(axis), .doc = "per-sample axis reduced and removed (0: time)"},
    LAYER_REF("mask", REF_MASK, "over time only: a layer whose values > 0 mark the real steps (token ids: padding 0)"),
    {0}};
static const opt_def last_over_opts[] = {
    LAYER_REF("mask", REF_MASK, "a layer whose values > 0 mark the real steps (token ids: padding 0); without it, the last step"),
    {0}};
static const char *const rnn_acts[] = {"tanh", "relu", NULL}, *const rnn_outputs[] = {"all", "last", "mean", "max", NULL};
#define RNN_UNITS {"units", OT_INT, 1, 1 << 16, NULL, LS(units), .flags = OPT_REQUIRED, .doc = "state size H"}
#define RNN_REST                                                                                                               \
    {"output", OT_ENUM, 0, 0, "last", LS(rnn_output), .choices = rnn_outputs,                                                  \
     .doc = "every step [T, H], or the last real step's state, mean or max over real steps [H]"},                                \
        LAYER_REF("mask", REF_MASK, "a layer whose values > 0 mark real steps (input: padding id 0)"),                            \
        {"bidirectional", OT_BOOL, 0, 0, "false", LS(rnn_bidir), .doc = "add a reverse direction: 2H features"},                 \
        LAYER_REF("initial_state", REF_INITIAL_STATE, "a layer giving each sequence's state [H] before its first step (default zeros)")
static const opt_def rnn_opts[] = {
    RNN_UNITS,
    {"act", OT_ENUM, 0, 0, "tanh", LS(rnn_relu), .choices = rnn_acts, .doc = "the cell's activation"},
    RNN_REST,
    {0}};
static const opt_def lstm_opts[] = {
    RNN_UNITS, RNN_REST,
    LAYER_REF("initial_cell", REF_INITIAL_CELL, "a layer giving each sequence's cell [H] before its first step (default zeros)"),
    {0}};
static const opt_def gru_opts[] = {
    RNN_UNITS, RNN_REST,
    LAYER_REF("attend", REF_ATTEND,
              "a sequence [S, F] (an encoder's every-step outputs) attended to at each step (Bahdanau): the context joins the input"),
    LAYER_REF("attend_mask", REF_ATTEND_MASK, "a layer whose values > 0 mark the real steps of attend (the source ids)"),
    {0}};
static const opt_def layer_norm_opts[] = {
    {"eps", OT_FLOAT, 0, 1, "1e-5", LS(eps), .doc = "added to the variance"},
    {0}};
static const char *const positional_kinds[] = {"sinusoidal", "learned", NULL};
static const opt_def positional_opts[] = {
    {"kind", OT_ENUM, 0, 0, "sinusoidal", LS(learned), .choices = positional_kinds,
     .doc = "sin/cos of the position (Vaswani et al.) or a trained table [T, D] starting N(0, 1)"},
    {"scale", OT_BOOL, 0, 0, "false", LS(scale_input), .doc = "multiply x by sqrt(D) first (Attention Is All You Need)"},
    {0}};
#define ATTN_HEADS {"heads", OT_INT, 1, 1024, "1", LS(heads), .doc = "heads; D must divide by it"}
#define ATTN_MASK LAYER_REF("mask", REF_MASK, "a layer whose values > 0 mark real keys (token ids: padding 0)")
#define ATTN_CAUSAL(dflt) {"causal", OT_BOOL, 0, 0, dflt, LS(causal), .doc = "a query sees no later key"}
static const opt_def attention_opts[] = {
    ATTN_HEADS, ATTN_MASK, ATTN_CAUSAL("false"),
    {"dropout", OT_FLOAT, 0, 0.99, "0", LS(p), .doc = "dropout on the attention weights in training"},
    {0}};
static const opt_def shift_opts[] = {
    {"steps", OT_INT, 1, 1 << 20, "1", LS(units), .doc = "how far along time each value moves"},
    {"fill", OT_FLOAT, -1e30, 1e30, "0", LS(fill), .doc = "the value of the first steps (a decoder's start-of-sentence id)"},
    {0}};
static const char *const ff_acts[] = {"relu", "gelu", NULL};
#define TRANSFORMER_OPTS                                                                                                   \
    ATTN_HEADS,                                                                                                              \
        {"ff", OT_INT, 1, 1 << 20, "2048", LS(units), .doc = "width of the feed-forward layer (PyTorch's dim_feedforward)"}, \
        {"dropout", OT_FLOAT, 0, 0.99, "0.1", LS(p), .doc = "dropout on attention weights, sublayer outputs and feed-forward"}, \
        {"activation", OT_ENUM, 0, 0, "relu", LS(ff_gelu), .choices = ff_acts, .doc = "the feed-forward activation"},        \
        {"norm_first", OT_BOOL, 0, 0, "false", LS(norm_first), .doc = "layer norm before each sublayer (else after, PyTorch's default)"}, \
        {"eps", OT_FLOAT, 0, 1, "1e-5", LS(eps), .doc = "the layer norms' eps"}
static const opt_def encoder_opts[] = {TRANSFORMER_OPTS, ATTN_MASK, ATTN_CAUSAL("false"), {0}};
static const opt_def decoder_opts[] = {
    TRANSFORMER_OPTS,
    LAYER_REF("mask", REF_MASK, "a layer whose values > 0 mark real target steps"),
    ATTN_CAUSAL("true"),
    LAYER_REF("memory_mask", REF_MEMORY_MASK, "a layer whose values > 0 mark real memory steps (the source ids)"),
    {0}};

/* ---- the layers, indexed by layer_kind ------------------------------------------------------- */
#define W (LF_ACT | LF_WEIGHTS)
static const layer_def layers[LAYER_KIND_COUNT] = {
    [LY_DENSE] = {"dense", LY_DENSE, LV_VALUE | LV_MAP, W, dense_opts, NULL, "(..., units): x W^T + b over the last axis"},
    [LY_ACTIVATION] = {"activation", LY_ACTIVATION, 0, LF_BY_ACT, NULL, NULL, "same shape"},
    [LY_DROPOUT] = {"dropout", LY_DROPOUT, LV_VALUE, 0, dropout_opts, NULL, "same shape (identity at evaluation)"},
    [LY_NOISE] = {"gaussian_noise", LY_NOISE, LV_VALUE | LV_MAP, 0, gaussian_noise_opts, NULL,
                  "x + N(0, sigma^2) (training; also evaluation with `eval`)"},
    [LY_FLATTEN] = {"flatten", LY_FLATTEN, LV_NONE, 0, NULL, NULL, "(batch, features)"},
    [LY_RESHAPE] = {"reshape", LY_RESHAPE, LV_VALUE, 0, reshape_opts, NULL, "the given per-sample shape (as many values)"},
    [LY_ADD] = {"add", LY_ADD, LV_VALUE, LF_OWN_INPUTS, join_opts, NULL, "elementwise sum (same shapes)"},
    [LY_CONCAT] = {"concat", LY_CONCAT, LV_VALUE, LF_OWN_INPUTS, join_opts, NULL, "joined along the channels (axis 1)"},
    [LY_SAMPLE_GAUSSIAN] = {"sample_gaussian", LY_SAMPLE_GAUSSIAN, LV_MAP, LF_OWN_INPUTS, sample_gaussian_opts,
                            check_sample_gaussian, "mean + exp(logvar/2) * eps (eps = 0 at evaluation unless eval)"},
    [LY_CONV] = {"conv", LY_CONV, LV_MAP, W, conv_opts, NULL,
                 "(filters, OH, OW), OH = floor((H + 2*pad - kernel)/stride) + 1; PyTorch weight (F, C, KH, KW)"},
    [LY_CONV_T] = {"conv_transpose", LY_CONV_T, LV_MAP, W, conv_t_opts, check_output_padding,
                   "(filters, (H-1)*stride - 2*pad + kernel + output_padding, ...); weight (C, F, KH, KW)"},
    [LY_MAXPOOL] = {"maxpool", LY_MAXPOOL, LV_NONE | LV_VALUE | LV_MAP, 0, pool_opts, check_pool_pad,
                    "the maximum of each window: floor((H + 2*pad - size)/stride) + 1"},
    [LY_AVGPOOL] = {"avgpool", LY_AVGPOOL, LV_NONE | LV_VALUE | LV_MAP, 0, pool_opts, check_pool_pad,
                    "the mean of each window: floor((H + 2*pad - size)/stride) + 1"},
    [LY_GLOBAL_AVGPOOL] = {"global_avgpool", LY_GLOBAL_AVGPOOL, LV_NONE, 0, NULL, NULL, "(channels): the mean over H and W"},
    [LY_UPSAMPLE] = {"upsample", LY_UPSAMPLE, LV_NONE | LV_VALUE, 0, upsample_opts, NULL, "nearest neighbour, (C, H*f, W*f)"},
    [LY_BATCHNORM] = {"batchnorm", LY_BATCHNORM, LV_NONE | LV_MAP, 0, batchnorm_opts, NULL,
                      "normalised per channel: batch statistics in training, running ones in evaluation"},
    [LY_MASKING_NOISE] = {"masking_noise", LY_MASKING_NOISE, LV_VALUE | LV_MAP, 0, masking_noise_opts, NULL,
                          "each value zeroed with probability p (training; also evaluation with `eval`)"},
    [LY_EMBEDDING] = {"embedding", LY_EMBEDDING, LV_MAP, LF_WEIGHTS, embedding_opts, NULL,
                      "token ids [T] -> [T, D]; rows start N(0, 1), or from `vectors` for the words the file has"},
    [LY_MAX_OVER] = {"max_over", LY_MAX_OVER, LV_NONE | LV_VALUE | LV_MAP, 0, over_opts, NULL,
                     "the maximum over that axis, which is removed ([T, D] -> [D])"},
    [LY_MEAN_OVER] = {"mean_over", LY_MEAN_OVER, LV_NONE | LV_VALUE | LV_MAP, 0, over_opts, NULL,
                      "the mean over that axis, which is removed ([T, D] -> [D])"},
    [LY_RNN] = {"rnn", LY_RNN, LV_MAP, LF_WEIGHTS, rnn_opts, check_recurrent,
                "a simple recurrent layer fused over time: [T, D] -> [H] or [T, H] (output: all); 2H when bidirectional"},
    [LY_LSTM] = {"lstm", LY_LSTM, LV_MAP, LF_WEIGHTS, lstm_opts, check_recurrent, "an LSTM (PyTorch's gates i, f, g, o), like rnn"},
    [LY_GRU] = {"gru", LY_GRU, LV_MAP, LF_WEIGHTS, gru_opts, check_recurrent,
                "a GRU (PyTorch's equations, gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn))), like rnn; with attend, "
                "the input of step t is [x_t ; context_t], the attention-weighted sum of attend's steps"},
    [LY_ONE_HOT] = {"one_hot", LY_ONE_HOT, LV_VALUE, 0, one_hot_opts, NULL,
                    "ids [T] -> [T, C] of 0/1 (no weights; an id outside 0..C-1 gives NaN, which stops the run)"},
    [LY_CONV1D] = {"conv1d", LY_CONV1D, LV_MAP, W, conv1d_opts, NULL,
                   "[T, C] -> [T_out, filters], T_out = floor((T + pad_left + pad_right - kernel)/stride) + 1; weight (F, C, K)"},
    [LY_MAXPOOL1D] = {"maxpool1d", LY_MAXPOOL1D, LV_NONE | LV_VALUE | LV_MAP, 0, pool1d_opts, NULL,
                      "[T, C] -> [floor((T - size)/stride) + 1, C]: the maximum of each window per channel"},
    [LY_LAYER_NORM] = {"layer_norm", LY_LAYER_NORM, LV_NONE | LV_MAP, 0, layer_norm_opts, NULL,
                       "same shape: each position normalised over its last axis, times weight plus bias (PyTorch's LayerNorm)"},
    [LY_POSITIONAL] = {"positional_encoding", LY_POSITIONAL, LV_NONE | LV_MAP, 0, positional_opts, NULL,
                       "[T, D] + the encoding of each position [T, D]"},
    [LY_ATTENTION] = {"attention", LY_ATTENTION, LV_NONE | LV_MAP, LF_WEIGHTS | LF_FROM_PAIR, attention_opts, NULL,
                      "[Tq, D]: multi-head scaled dot-product attention of from[0] over from[1] (or itself); PyTorch's MultiheadAttention"},
    [LY_TRANSFORMER_ENCODER] = {"transformer_encoder", LY_TRANSFORMER_ENCODER, LV_MAP, LF_WEIGHTS, encoder_opts,
                                NULL, "[T, D]: self-attention and feed-forward with residuals and layer norms (PyTorch's TransformerEncoderLayer)"},
    [LY_TRANSFORMER_DECODER] = {"transformer_decoder", LY_TRANSFORMER_DECODER, LV_MAP, LF_WEIGHTS | LF_FROM_TWO, decoder_opts,
                                NULL, "[T, D]: causal self-attention, attention over the memory, feed-forward (PyTorch's TransformerDecoderLayer); from: [target, memory]"},
    [LY_SHIFT] = {"shift", LY_SHIFT, LV_NONE | LV_VALUE | LV_MAP, 0, shift_opts, NULL,
                  "same shape, moved later in time: step t holds step t - steps, the first steps `fill` (a decoder's input: "
                  "the target ids after the start id)"},
    [LY_LAST_OVER] = {"last_over", LY_LAST_OVER, LV_NONE | LV_VALUE | LV_MAP, 0, last_over_opts, NULL,
                      "[T, F] -> [F]: each sequence's value at its last real step (0 with none), e.g. an encoder's final state"},
};
#undef W

/* ---- activations, indexed by act_kind -------------------------------------------------------- */
static const opt_def leaky_opts[] = {
    {"slope", OT_FLOAT, -1e6, 1e6, "0.01", LS(act_param), .doc = "slope for x < 0"},
    {0}};
static const opt_def elu_opts[] = {
    {"alpha", OT_FLOAT, -1e6, 1e6, "1", LS(act_param), .doc = "alpha * (exp(x) - 1) for x < 0"},
    {0}};
static const act_def acts[ACT_KIND_COUNT] = {
    [ACT_NONE] = {"none", ACT_NONE, NULL, "no activation (act: none)"},
    [ACT_RELU] = {"relu", ACT_RELU, NULL, "max(0, x)"},
    [ACT_LEAKY_RELU] = {"leaky_relu", ACT_LEAKY_RELU, leaky_opts, "x for x > 0, slope * x otherwise"},
    [ACT_ELU] = {"elu", ACT_ELU, elu_opts, "x for x > 0, alpha * (exp(x) - 1) otherwise"},
    [ACT_SELU] = {"selu", ACT_SELU, NULL, "scale * elu(x, alpha), PyTorch's constants"},
    [ACT_GELU] = {"gelu", ACT_GELU, NULL, "x * Phi(x) (exact, erf)"},
    [ACT_SIGMOID] = {"sigmoid", ACT_SIGMOID, NULL, "1 / (1 + exp(-x))"},
    [ACT_TANH] = {"tanh", ACT_TANH, NULL, "tanh(x)"},
    [ACT_SOFTMAX] = {"softmax", ACT_SOFTMAX, NULL, "exp(x) / sum exp(x) over the last axis"},
    [ACT_LOG_SOFTMAX] = {"log_softmax", ACT_LOG_SOFTMAX, NULL, "x - log sum exp(x) over the last axis"},
};

const layer_def *layer_def_of(layer_kind k) { return (unsigned)k < LAYER_KIND_COUNT ? &layers[k] : NULL; }
const act_def *act_def_of(act_kind a) { return (unsigned)a < ACT_KIND_COUNT ? &acts[a] : NULL; }
const char *layer_kind_name(layer_kind k) { return layers[k].key; }
const char *act_kind_name(act_kind a) { return acts[a].name; }
unsigned act_forms(const act_def *a) { return a->opts ? LV_NONE | LV_VALUE | LV_MAP : LV_NONE; }

const layer_def *layer_def_find(const char *key)
{
    for (int k = 0; k < LAYER_KIND_COUNT; k++)
        if (!(layers[k].flags & LF_BY_ACT) && strcmp(layers[k].key, key) == 0) return &layers[k];
    return NULL;
}

const act_def *act_def_find(const char *name)
{
    for (int a = 0; a < ACT_KIND_COUNT; a++)
        if (strcmp(acts[a].name, name) == 0) return &acts[a];
    return NULL;
}

int layer_type_keys(const opt_def *more, const char **keys, int cap)
{
    int n = 0;
    for (int k = 0; k < LAYER_KIND_COUNT && n < cap - 1; k++) {
        if (!(layers[k].flags & LF_BY_ACT)) keys[n++] = layers[k].key;
        else
            for (int a = ACT_NONE + 1; a < ACT_KIND_COUNT && n < cap - 1; a++) keys[n++] = acts[a].name;
    }
    for (int i = 0; more && more[i].key && n < cap - 1; i++) keys[n++] = more[i].key;
    keys[n] = NULL;
    return n;
}

/* ---- initialisers ---------------------------------------------------------------------------- */
static void init_defaults(int kind, void *base) { nn_init_defaults((nn_init_kind)kind, base); }

#define NI(m) OPT_FIELD(nn_init, m)
#define GAIN {"gain", OT_FLOAT, 0, 1e6, NULL, NI(gain), .doc = "scale (default: the kind's gain)"}
static const opt_def gain_opts[] = {GAIN, {0}};
static const opt_def constant_opts[] = {{"value", OT_FLOAT, -1e30, 1e30, NULL, NI(value), .doc = "every value"}, {0}};
static const opt_def normal_opts[] = {
    {"std", OT_FLOAT, 0, 1e6, NULL, NI(std), .doc = "standard deviation"},
    {"mean", OT_FLOAT, -1e30, 1e30, NULL, NI(mean), .doc = "mean"},
    {0}};
static const opt_def uniform_opts[] = {
    {"low", OT_FLOAT, -1e30, 1e30, NULL, NI(lo), .doc = "lower bound"},
    {"high", OT_FLOAT, -1e30, 1e30, NULL, NI(hi), .doc = "upper bound"},
    {0}};
#define INIT(name, kind, opts, flags, doc) {name, kind, opts, CHOICE_BARE | (flags), init_defaults, doc}
const choice_def init_choices[] = {
    INIT("zeros", NN_INIT_ZEROS, NULL, 0, "0"),
    INIT("constant", NN_INIT_CONSTANT, constant_opts, CHOICE_NUMBER, "a constant ({constant: 0.1})"),
    INIT("normal", NN_INIT_NORMAL, normal_opts, CHOICE_NUMBER, "N(mean, std^2) ({normal: 0.02} gives std)"),
    INIT("uniform", NN_INIT_UNIFORM, uniform_opts, 0, "U(low, high)"),
    INIT("xavier_normal", NN_INIT_XAVIER_NORMAL, gain_opts, 0, "std = gain * sqrt(2 / (fan_in + fan_out))"),
    INIT("xavier_uniform", NN_INIT_XAVIER_UNIFORM, gain_opts, 0, "bound = gain * sqrt(6 / (fan_in + fan_out))"),
    INIT("he_normal", NN_INIT_HE_NORMAL, gain_opts, 0, "std = gain / sqrt(fan_in), gain sqrt(2) (kaiming_normal_)"),
    INIT("he_uniform", NN_INIT_HE_UNIFORM, gain_opts, 0, "bound = sqrt(3) * gain / sqrt(fan_in) (kaiming_uniform_)"),
    INIT("orthogonal", NN_INIT_ORTHOGONAL, gain_opts, 0, "gain * an orthogonal matrix (orthogonal_)"),
    INIT("lecun_normal", NN_INIT_LECUN_NORMAL, gain_opts, 0, "std = gain / sqrt(fan_in), gain 1"),
    INIT("torch_default", NN_INIT_TORCH_DEFAULT, gain_opts, 0, "PyTorch's nn.Linear / nn.Conv default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))"),
    INIT("glorot_normal", NN_INIT_XAVIER_NORMAL, gain_opts, 0, "xavier_normal"),
    INIT("glorot_uniform", NN_INIT_XAVIER_UNIFORM, gain_opts, 0, "xavier_uniform"),
    INIT("kaiming_normal", NN_INIT_HE_NORMAL, gain_opts, 0, "he_normal"),
    INIT("kaiming_uniform", NN_INIT_HE_UNIFORM, gain_opts, 0, "he_uniform"),
    {0}};

/* init, bias_init: into the nn_init field of the row */
static int read_init(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    (void)what;
    return choice_read(d, v, "initialiser", init_choices, (char *)base + o->off) ? 1 : -1;
}

/* ---- the keys every layer may have ----------------------------------------------------------- */
static int read_name(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    (void)o;
    int r = schema_node_str(d, v, what, l->name, sizeof l->name);
    l->named = r > 0;
    return r;
}

/* act: NAME, with the activation's default parameter */
static int read_act(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    const char *names[ACT_KIND_COUNT + 1];
    int a;
    (void)o, (void)what;
    for (a = 0; a < ACT_KIND_COUNT; a++) names[a] = acts[a].name;
    names[a] = NULL;
    if (schema_node_enum(d, v, "activation", names, &a) < 0) return -1;
    l->act = (act_kind)a;
    opts_defaults(d, acts[a].opts, l);
    return 1;
}

static int read_layer_init(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    layer_spec *l = base;
    int r = read_init(d, o, v, what, base);
    if (r > 0 && o->off == offsetof(layer_spec, init)) l->has_init = 1;
    if (r > 0 && o->off == offsetof(layer_spec, bias_init)) l->has_bias_init = 1;
    return r;
}

const opt_def layer_common_opts[] = {
    {"name", OT_STR, 0, 0, NULL, .read = read_name, .doc = "the name other layers, losses and reports use (default: <type>_<n>)"},
    {"from", OT_LAYERS, 1, SPEC_MAX_FROM, NULL, .read = read_inputs, .flags = OPT_ONE_OK,
     .doc = "input layer(s) by name, or input (default: the layer before)"},
    {"act", OT_ACT, 0, 0, NULL, .read = read_act, .doc = "activation applied to the output (dense and convolutions)"},
    {"init", OT_CHOICE, 0, 0, NULL, LS(init), .read = read_layer_init, .kinds = init_choices,
     .doc = "initialiser of the weights (default: the model's init)"},
    {"bias_init", OT_CHOICE, 0, 0, NULL, LS(bias_init), .read = read_layer_init, .kinds = init_choices,
     .doc = "initialiser of the bias (default: the model's bias_init)"},
    {"bias", OT_BOOL, 0, 0, "true", LS(bias), .doc = "false drops the bias"},
    {"l1", OT_FLOAT, 0, 1e6, NULL, LS(l1), .doc = "L1 penalty on the layer's weight tensors, not biases (default: the model's l1 on dense layers)"},
    {"l2", OT_FLOAT, 0, 1e6, NULL, LS(l2), .doc = "L2 penalty on the layer's weight tensors, not biases (default: the model's l2 on dense layers)"},
    {0}};

int layer_takes_key(unsigned flags, const char *key)
{
    if (strcmp(key, "from") == 0) return !(flags & LF_OWN_INPUTS);
    if (strcmp(key, "act") == 0) return (flags & LF_ACT) != 0;
    if (strcmp(key, "name") == 0) return 1;
    return (flags & LF_WEIGHTS) != 0;   /* init, bias_init, bias, l1, l2 */
}

/* ---- the model section ----------------------------------------------------------------------- */
/* A per-sample shape: 784 or [1, 28, 28]. */
static int read_sample_shape(diag *d, const opt_def *o, const ynode *v, const char *what, nn_shape *out)
{
    if (v->kind == YN_SCALAR) {
        out->ndim = 1;
        return schema_node_int(d, v, "input size", (long)o->lo, (long)o->hi, &out->d[0]);
    }
    if (v->kind != YN_SEQ || v->n < 1 || v->n > NN_MAX_DIMS - 1) {
        diag_error(d, v, "%s is the shape of one sample: a list of 1 to %d sizes", what, NN_MAX_DIMS - 1);
        return -1;
    }
    out->ndim = v->n;
    for (int i = 0; i < v->n; i++) schema_node_int(d, v->items[i], "input size", (long)o->lo, (long)o->hi, &out->d[i]);
    return 1;
}

/* input: SHAPE (one input named "input") or {NAME: SHAPE, ...} (a net's named inputs) */
static int read_input(diag *d, const opt_def *o, const ynode *v, const char *what, void *base)
{
    model_spec *m = base;
    if (v->kind != YN_MAP) {
        net_input *x = &m->inputs[m->n_inputs++];
        snprintf(x->name, sizeof x->name, "input");
        x->pos = pos_of(v);
        return read_sample_shape(d, o, v, what, &x->shape);
    }
    if (v->n < 1 || v->n > SPEC_MAX_NET_INPUTS) {
        diag_error(d, v, "a net has 1 to %d named inputs", SPEC_MAX_NET_INPUTS);
        return -1;
    }
    for (int i = 0; i < v->n; i++) {
        net_input *x = &m->inputs[m->n_inputs++];
        snprintf(x->name, sizeof x->name, "%s", v->keys[i]);
        x->pos = (spec_pos){v->file, v->key_line[i], v->key_col[i]};
        if (read_sample_shape(d, o, v->items[i], v->keys[i], &x->shape) < 0) return -1;
    }
    return 1;
}

#define MS(m) OPT_FIELD(model_spec, m)
const opt_def model_opts[] = {
    {"input", OT_INPUTS, 1, 1 << 30, NULL, .read = read_input, .flags = OPT_REQUIRED | OPT_ONE_OK,
     .doc = "the shape of one sample, e.g. [784] or [1, 28, 28]; a net of nets: may name several, {noise: [100], label: [10]}"},
    {"layers", OT_LAYER_LIST, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the layers, in order (repeat blocks expand in place)"},
    {"init", OT_CHOICE, 0, 0, "torch_default", MS(init), .read = read_init, .kinds = init_choices,
     .doc = "default initialiser of every layer's weights"},
    {"bias_init", OT_CHOICE, 0, 0, "torch_default", MS(bias_init), .read = read_init, .kinds = init_choices,
     .doc = "default initialiser of every layer's bias"},
    {"l1", OT_FLOAT, 0, 1e6, "0", MS(l1), .doc = "default L1 penalty on every dense layer's weight"},
    {"l2", OT_FLOAT, 0, 1e6, "0", MS(l2), .doc = "default L2 penalty on every dense layer's weight"},
    {"ema", OT_FLOAT, 0, 0.999999, "0", MS(ema),
     .doc = "keep an exponential moving average of the weights with this decay (e.g. 0.999): evaluation, figures, "
            "model.safetensors and sampling use it (0: none)"},
    {"patch", OT_PATCH, 0, 0, NULL, .flags = OPT_RESOLVED, .doc = "edits of the inherited layer list by name (a child spec)"},
    {0}};

/* ---- value forms as text (messages and docs) -------------------------------------------------- */
void layer_forms_text(unsigned forms, const opt_def *opts, char *buf, size_t len)
{
    const char *part[3];
    char one[128], map[512], type[96];
    int n = 0;
    if (forms & LV_NONE) part[n++] = "no value";
    if (forms & LV_VALUE) {
        opt_type_text(&opts[0], type, sizeof type);
        snprintf(one, sizeof one, "%s (%s)", opts[0].key, type);
        part[n++] = one;
    }
    if (forms & LV_MAP) {
        opts_summary(opts, map, sizeof map);
        part[n++] = map;
    }
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", part[i]);
}
