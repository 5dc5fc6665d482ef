/* The equations of each layer kind and activation: one row per kind, templates in the LaTeX
 * subset of latex_mathml.h with placeholders (model_math_vars.c) filled from the built model.
 *
 * Placeholders: @i the layer's number; symbols @x @x2 (its inputs; @x2 is @x when it has one:
 * attention over itself), @y (its output), @m @mm @am (its masks), @k (what a gru attends), @h0 @c0
 * (initial states, or 0), each taking an {index}: @x{t} is x_{1,t}; functions of an {argument}:
 * @act (the act: option), @bias (the argument when the layer has a bias), @ffact; sizes @in0..2
 * and @out0..2 (per-sample axes of the input and output), @inshape @outshape, @D (the input's
 * last axis), @T (its first: steps), @Tm1 (T - 1), @lead (the positions before the
 * last axis), @red (the axis max_over / mean_over remove), @Tk (the steps of @x2), @S @F (what a
 * gru attends: steps, features); options @units @heads @dk (D / heads) @ff @pad @k0 @k1
 * @s @p0 @p1 @op0 @op1 @f @p @sigma @eps @mom @steps @fill @axis @vectors; pieces @rnnact
 * @xin @ht @M @Mm @scale @sum @cat @catsizes. */
#include "model_math_internal.h"
#include "../lang/layer_table.h"

/* The rows every recurrent kind ends with: what it outputs, the reverse direction, the mask. */
#define RECURRENT_OUTPUT_ROWS                                                                                          \
    EQ(MC_OUT_LAST, MC_BIDIRECTIONAL, "@y", "=", "h_{@T}"),                                                            \
        EQ(MC_OUT_LAST | MC_BIDIRECTIONAL, 0, "@y", "=", "[h_{@T} ; \\overleftarrow{h}_{1}]"),                        \
        EQ(MC_OUT_ALL, 0, "@y{t}", "=", "@ht"),                                                                         \
        EQ(MC_OUT_MEAN, MC_MASK, "@y", "=", "\\frac{1}{@T} \\sum_{t=1}^{@T} @ht"),                                     \
        EQ(MC_OUT_MEAN | MC_MASK, 0, "@y", "=", "\\frac{1}{|R|} \\sum_{t \\in R} @ht"),                                \
        EQ(MC_OUT_MAX, MC_MASK, "@y", "=", "\\max_{1 \\le t \\le @T} @ht"),                                            \
        EQ(MC_OUT_MAX | MC_MASK, 0, "@y", "=", "\\max_{t \\in R} @ht"),                                                \
        EQ(MC_OUT_POOLED | MC_MASK, 0, "R", "=", "\\{t : @m{t} > 0\\}"),                                               \
        NOTE(0, 0, "for $t = 1, \\ldots, @T$"),                                                                        \
        NOTE(MC_MASK, 0, "steps where $@m{t} = 0$ (padding) keep the state ($h_t = h_{t-1}$) and output 0"),           \
        NOTE(MC_BIDIRECTIONAL, 0,                                                                                      \
             "the reverse direction $\\overleftarrow{h}_t$ runs the same equations from $t = @T$ down to 1, from zeros, "  \
             "with weights of its own ($\\overleftarrow{W}$, $\\overleftarrow{b}$)")

static const math_row dense_rows[] = {
    EQ(0, MC_SEQUENCE, "@y", "=", "@act{W^{(@i)} @x@bias{ + b^{(@i)}}}"),
    EQ(MC_SEQUENCE, 0, "@y{t}", "=", "@act{W^{(@i)} @x{t}@bias{ + b^{(@i)}}}"),
    NOTE(MC_SEQUENCE, 0, "at each of the $@lead$ positions $t$ before the last axis"),
    ROWS_END};
static const math_param_row weight_bias[] = {{"weight", "W^{(@i)}", NULL}, {"bias", "b^{(@i)}", NULL}, {NULL, NULL, NULL}};

static const math_row activation_rows[] = {EQ(0, 0, "@y", "=", "@act{@x}"), ROWS_END};

static const math_row dropout_rows[] = {
    EQ(0, 0, "@y", "=", "\\frac{1}{1 - @p} \\, r \\odot @x"),
    EQ(0, 0, "r_j", "\\sim", "\\operatorname{Bernoulli}(1 - @p)"),
    NOTE(0, 0, "in training; at evaluation $@y = @x$"),
    ROWS_END};

static const math_row noise_rows[] = {
    EQ(0, 0, "@y", "=", "@x + \\epsilon"),
    EQ(0, 0, "\\epsilon", "\\sim", "\\mathcal{N}(0, @sigma^{2} I)"),
    NOTE(0, MC_EVAL, "in training; at evaluation $@y = @x$"),
    NOTE(MC_EVAL, 0, "in training and at evaluation"),
    ROWS_END};

static const math_row masking_noise_rows[] = {
    EQ(0, 0, "@y", "=", "r \\odot @x"),
    EQ(0, 0, "r_j", "\\sim", "\\operatorname{Bernoulli}(1 - @p)"),
    NOTE(0, MC_EVAL, "in training; at evaluation $@y = @x$"),
    NOTE(MC_EVAL, 0, "in training and at evaluation"),
    ROWS_END};

static const math_row flatten_rows[] = {
    EQ(0, 0, "@y", "=", "\\operatorname{vec}(@x)"),
    NOTE(0, 0, "$\\mathbb{R}^{@inshape} \\to \\mathbb{R}^{@outshape}$, in row-major order"),
    ROWS_END};

static const math_row reshape_rows[] = {
    EQ(0, 0, "@y", "=", "\\operatorname{reshape}(@x)"),
    NOTE(0, 0, "$\\mathbb{R}^{@inshape} \\to \\mathbb{R}^{@outshape}$, in row-major order"),
    ROWS_END};

static const math_row add_rows[] = {EQ(0, 0, "@y", "=", "@sum"), ROWS_END};

static const math_row concat_rows[] = {
    EQ(0, 0, "@y", "=", "@cat"),
    NOTE(0, 0, "joined along the first axis (the channels): $@catsizes$"),
    ROWS_END};

static const math_row sample_gaussian_rows[] = {
    EQ(0, 0, "@y", "=", "@x + \\exp\\left(\\frac{1}{2} @x2\\right) \\odot \\epsilon"),
    EQ(0, 0, "\\epsilon", "\\sim", "\\mathcal{N}(0, I)"),
    NOTE(0, MC_EVAL, "the reparameterisation of the mean $@x$ and log-variance $@x2$; at evaluation $\\epsilon = 0$"),
    NOTE(MC_EVAL, 0, "the reparameterisation of the mean $@x$ and log-variance $@x2$; also sampled at evaluation"),
    ROWS_END};

#define OUT_SIZE_ROW(axis, in, pad, kernel, out)                                                                       \
    EQ(0, 0, axis "_{\\mathrm{out}}", "=", "\\left\\lfloor \\frac{" in " + 2 \\cdot " pad " - " kernel "}{@s} \\right\\rfloor + 1 = " out)
static const math_row conv_rows[] = {
    EQ(0, 0, "@y", "=", "@act{W^{(@i)} \\star @x@bias{ + b^{(@i)}}}"),
    OUT_SIZE_ROW("H", "@in1", "@p0", "@k0", "@out1"),
    OUT_SIZE_ROW("W", "@in2", "@p1", "@k1", "@out2"),
    NOTE(0, 0, "$\\star$: cross-correlation of the $@in0$ input channels with each of the $@units$ filters "
               "($@k0 \\times @k1$, stride $@s$, padding $@p0$, $@p1$)"),
    NOTE(MC_SAME, 0, "pad: same keeps the height and width"),
    ROWS_END};

static const math_row conv_transpose_rows[] = {
    EQ(0, 0, "@y", "=", "@act{W^{(@i)} \\star^{\\top} @x@bias{ + b^{(@i)}}}"),
    EQ(0, 0, "H_{\\mathrm{out}}", "=", "(@in1 - 1) \\cdot @s - 2 \\cdot @p0 + @k0 + @op0 = @out1"),
    EQ(0, 0, "W_{\\mathrm{out}}", "=", "(@in2 - 1) \\cdot @s - 2 \\cdot @p1 + @k1 + @op1 = @out2"),
    NOTE(0, 0, "$\\star^{\\top}$: the transposed convolution (the gradient of a convolution with respect to its input) "
               "of the $@in0$ input channels into $@units$ ($@k0 \\times @k1$, stride $@s$)"),
    ROWS_END};

#define POOL_SIZE_ROWS                                                                                                 \
    EQ(0, 0, "(K, s, p)", "=", "(@k0, @s, @p0)"), OUT_SIZE_ROW("H", "@in1", "@p0", "@k0", "@out1"),                    \
        OUT_SIZE_ROW("W", "@in2", "@p0", "@k0", "@out2")
static const math_row maxpool_rows[] = {
    EQ(0, 0, "@y{c,h,w}", "=", "\\max_{0 \\le a, b < K} @x{c,\\, s h + a - p,\\, s w + b - p}"),
    POOL_SIZE_ROWS,
    NOTE(MC_PADDED, 0, "the padding never wins"),
    ROWS_END};

static const math_row avgpool_rows[] = {
    EQ(0, 0, "@y{c,h,w}", "=", "\\frac{1}{K^{2}} \\sum_{a=0}^{K-1} \\sum_{b=0}^{K-1} @x{c,\\, s h + a - p,\\, s w + b - p}"),
    POOL_SIZE_ROWS,
    NOTE(MC_PADDED, 0, "the padding counts as zeros (PyTorch's count_include_pad)"),
    ROWS_END};

static const math_row global_avgpool_rows[] = {
    EQ(0, 0, "@y{c}", "=", "\\frac{1}{@in1 \\cdot @in2} \\sum_{h=1}^{@in1} \\sum_{w=1}^{@in2} @x{c,h,w}"),
    ROWS_END};

static const math_row upsample_rows[] = {
    EQ(0, 0, "@y{c,h,w}", "=", "@x{c,\\, \\lfloor h / @f \\rfloor,\\, \\lfloor w / @f \\rfloor}"),
    NOTE(0, 0, "nearest neighbour: each value repeated $@f \\times @f$ times"),
    ROWS_END};

static const math_row batchnorm_rows[] = {
    EQ(0, 0, "@y", "=", "\\gamma^{(@i)} \\odot \\frac{@x - \\mu}{\\sqrt{\\sigma^{2} + @eps}} + \\beta^{(@i)}"),
    NOTE(0, 0, "per channel ($@in0$): in training $\\mu$, $\\sigma^{2}$ are the batch's mean and variance over every axis "
               "but the channels, and the running estimates move a fraction $@mom$ towards them; at evaluation "
               "$\\mu = \\hat{\\mu}^{(@i)}$, $\\sigma^{2} = \\hat{v}^{(@i)}$"),
    ROWS_END};
static const math_param_row batchnorm_params[] = {
    {"weight", "\\gamma^{(@i)}", NULL},
    {"bias", "\\beta^{(@i)}", NULL},
    {"running_mean", "\\hat{\\mu}^{(@i)}", "not trained: a running estimate"},
    {"running_var", "\\hat{v}^{(@i)}", "not trained: a running estimate (unbiased)"},
    {NULL, NULL, NULL}};

static const math_row embedding_rows[] = {
    EQ(0, MC_OUT_SEQUENCE, "@y", "=", "E^{(@i)}_{@x}"),
    EQ(MC_OUT_SEQUENCE, 0, "@y{t}", "=", "E^{(@i)}_{@x{t}}"),
    NOTE(MC_OUT_SEQUENCE, 0, "row $@x{t}$ of the table, for each of the $@in0$ ids"),
    NOTE(MC_PADDING_ID, 0, "the padding id $@pad$ reads zeros and gets no gradient"),
    NOTE(MC_VECTORS, 0, "rows start from the vectors of @vectors for the words it has"),
    NOTE(MC_FROZEN, 0, "the table is frozen (trainable: false)"),
    ROWS_END};
static const math_param_row embedding_params[] = {{"weight", "E^{(@i)}", NULL}, {NULL, NULL, NULL}};

static const math_row max_over_rows[] = {
    EQ(0, MC_MASK, "@y", "=", "\\max_{1 \\le t \\le @red} @x{t}"),
    EQ(MC_MASK, 0, "@y", "=", "\\max_{t \\in R} @x{t}"),
    EQ(MC_MASK, 0, "R", "=", "\\{t : @m{t} > 0\\}"),
    NOTE(MC_MASK, 0, "over the real steps; a sequence with none gives 0"),
    NOTE(0, 0, "over axis @axis of $\\mathbb{R}^{@inshape}$"),
    ROWS_END};

static const math_row mean_over_rows[] = {
    EQ(0, MC_MASK, "@y", "=", "\\frac{1}{@red} \\sum_{t=1}^{@red} @x{t}"),
    EQ(MC_MASK, 0, "@y", "=", "\\frac{1}{|R|} \\sum_{t \\in R} @x{t}"),
    EQ(MC_MASK, 0, "R", "=", "\\{t : @m{t} > 0\\}"),
    NOTE(MC_MASK, 0, "over the real steps; a sequence with none gives 0"),
    NOTE(0, 0, "over axis @axis of $\\mathbb{R}^{@inshape}$"),
    ROWS_END};

static const math_row last_over_rows[] = {
    EQ(0, MC_MASK, "@y", "=", "@x{@T}"),
    EQ(MC_MASK, 0, "@y", "=", "@x{\\tau}"),
    EQ(MC_MASK, 0, "\\tau", "=", "\\max \\{t : @m{t} > 0\\}"),
    NOTE(MC_MASK, 0, "each sequence's last real step; one with none gives 0"),
    ROWS_END};

static const math_row rnn_rows[] = {
    EQ(0, 0, "h_t", "=", "@rnnact(W^{(@i)}_{ih} @x{t} + W^{(@i)}_{hh} h_{t-1} + b^{(@i)})"),
    EQ(0, 0, "h_0", "=", "@h0"),
    RECURRENT_OUTPUT_ROWS,
    EQ(0, 0, "h_t", "\\in", "\\mathbb{R}^{@units}"),
    ROWS_END};
/* A parameter of the forward direction, base^{(i)}_{sub}, and of the reverse one, under an arrow. */
#define RECURRENT_PARAM(what, base, sub, note)                                                                         \
    {what, base "^{(@i)}" sub, note}, { what "_reverse", "\\overleftarrow{" base "}^{(@i)}" sub, note }
#define RECURRENT_BIAS_NOTE "PyTorch's $b_{ih} + b_{hh}$, which always add up"
static const math_param_row rnn_params[] = {
    RECURRENT_PARAM("weight_ih", "W", "_{ih}", NULL),
    RECURRENT_PARAM("weight_hh", "W", "_{hh}", NULL),
    RECURRENT_PARAM("bias", "b", "", RECURRENT_BIAS_NOTE),
    {NULL, NULL, NULL}};

static const math_row lstm_rows[] = {
    EQ(0, 0, "i_t", "=", "\\sigma(W^{(@i)}_{ii} @x{t} + W^{(@i)}_{hi} h_{t-1} + b^{(@i)}_{i})"),
    EQ(0, 0, "f_t", "=", "\\sigma(W^{(@i)}_{if} @x{t} + W^{(@i)}_{hf} h_{t-1} + b^{(@i)}_{f})"),
    EQ(0, 0, "g_t", "=", "\\tanh(W^{(@i)}_{ig} @x{t} + W^{(@i)}_{hg} h_{t-1} + b^{(@i)}_{g})"),
    EQ(0, 0, "o_t", "=", "\\sigma(W^{(@i)}_{io} @x{t} + W^{(@i)}_{ho} h_{t-1} + b^{(@i)}_{o})"),
    EQ(0, 0, "c_t", "=", "f_t \\odot c_{t-1} + i_t \\odot g_t"),
    EQ(0, 0, "h_t", "=", "o_t \\odot \\tanh(c_t)"),
    EQ(0, 0, "(h_0, c_0)", "=", "(@h0, @c0)"),
    RECURRENT_OUTPUT_ROWS,
    EQ(0, 0, "i_t, f_t, g_t, o_t, c_t, h_t", "\\in", "\\mathbb{R}^{@units}"),
    ROWS_END};
static const math_param_row lstm_params[] = {
    RECURRENT_PARAM("weight_ih", "W", "_{ih}", "the rows of $W_{ii}, W_{if}, W_{ig}, W_{io}$ stacked"),
    RECURRENT_PARAM("weight_hh", "W", "_{hh}", "the rows of $W_{hi}, W_{hf}, W_{hg}, W_{ho}$ stacked"),
    RECURRENT_PARAM("bias", "b", "", "$b_i, b_f, b_g, b_o$ stacked: " RECURRENT_BIAS_NOTE),
    {NULL, NULL, NULL}};

static const math_row gru_rows[] = {
    EQ(MC_ATTEND, 0, "e_{t,s}", "=",
       "v^{(@i)\\top}_{a} \\tanh(W^{(@i)}_{a} h_{t-1} + b^{(@i)}_{a} + U^{(@i)}_{a} @k{s} + b^{(@i)}_{ua}) + b^{(@i)}_{va}"),
    EQ(MC_ATTEND, MC_ATTEND_MASK, "\\alpha_{t}", "=", "\\operatorname{softmax}_{s}(e_{t,s})"),
    EQ(MC_ATTEND | MC_ATTEND_MASK, 0, "\\alpha_{t}", "=", "\\operatorname{softmax}_{s}(e_{t,s} + M_s)"),
    EQ(MC_ATTEND, 0, "c_t", "=", "\\sum_{s=1}^{@S} \\alpha_{t,s} @k{s}"),
    NOTE(MC_ATTEND, 0, "Bahdanau attention over the $@S$ steps of $@k$ at every step; the cell reads $[@x{t} ; c_t]$"),
    NOTE(MC_ATTEND | MC_ATTEND_MASK, 0, "$M_s = -\\infty$ where $@am{s} = 0$ (padding), else 0"),
    EQ(0, 0, "r_t", "=", "\\sigma(W^{(@i)}_{ir} @xin + b^{(@i)}_{ir} + W^{(@i)}_{hr} h_{t-1} + b^{(@i)}_{hr})"),
    EQ(0, 0, "z_t", "=", "\\sigma(W^{(@i)}_{iz} @xin + b^{(@i)}_{iz} + W^{(@i)}_{hz} h_{t-1} + b^{(@i)}_{hz})"),
    EQ(0, 0, "n_t", "=", "\\tanh(W^{(@i)}_{in} @xin + b^{(@i)}_{in} + r_t \\odot (W^{(@i)}_{hn} h_{t-1} + b^{(@i)}_{hn}))"),
    EQ(0, 0, "h_t", "=", "(1 - z_t) \\odot n_t + z_t \\odot h_{t-1}"),
    EQ(0, 0, "h_0", "=", "@h0"),
    RECURRENT_OUTPUT_ROWS,
    EQ(0, 0, "r_t, z_t, n_t, h_t", "\\in", "\\mathbb{R}^{@units}"),
    EQ(MC_ATTEND, 0, "e_t, \\alpha_t", "\\in", "\\mathbb{R}^{@S}, \\quad c_t \\in \\mathbb{R}^{@F}"),
    ROWS_END};
static const math_param_row gru_params[] = {
    RECURRENT_PARAM("weight_ih", "W", "_{ih}", "the rows of $W_{ir}, W_{iz}, W_{in}$ stacked"),
    RECURRENT_PARAM("weight_hh", "W", "_{hh}", "the rows of $W_{hr}, W_{hz}, W_{hn}$ stacked"),
    RECURRENT_PARAM("bias_ih", "b", "_{ih}", "$b_{ir}, b_{iz}, b_{in}$ stacked"),
    RECURRENT_PARAM("bias_hh", "b", "_{hh}", "$b_{hr}, b_{hz}, b_{hn}$ stacked"),
    {"attention.Wa.weight", "W^{(@i)}_{a}", NULL},
    {"attention.Wa.bias", "b^{(@i)}_{a}", NULL},
    {"attention.Ua.weight", "U^{(@i)}_{a}", NULL},
    {"attention.Ua.bias", "b^{(@i)}_{ua}", NULL},
    {"attention.Va.weight", "v^{(@i)\\top}_{a}", NULL},
    {"attention.Va.bias", "b^{(@i)}_{va}", NULL},
    {NULL, NULL, NULL}};

static const math_row one_hot_rows[] = {
    EQ(0, MC_OUT_SEQUENCE, "@y", "=", "e_{@x}"),
    EQ(MC_OUT_SEQUENCE, 0, "@y{t}", "=", "e_{@x{t}}"),
    NOTE(0, 0, "$e_k \\in \\{0, 1\\}^{@units}$: 1 at symbol $k$ alone (an id outside $0, \\ldots, @units - 1$ gives NaN)"),
    ROWS_END};

static const math_row conv1d_rows[] = {
    EQ(0, 0, "@y", "=", "@act{W^{(@i)} \\star @x@bias{ + b^{(@i)}}}"),
    EQ(0, 0, "T_{\\mathrm{out}}", "=", "\\left\\lfloor \\frac{@in0 + @p0 + @p1 - @k0}{@s} \\right\\rfloor + 1 = @out0"),
    NOTE(0, 0, "$\\star$: cross-correlation along time of the $@in1$ input channels with each of the $@units$ filters "
               "(width $@k0$, stride $@s$, $@p0$ and $@p1$ zeros at the two ends)"),
    NOTE(MC_SAME, 0, "pad: same keeps the length"),
    ROWS_END};

static const math_row maxpool1d_rows[] = {
    EQ(0, 0, "@y{t}", "=", "\\max_{0 \\le k < K} @x{s t + k}"),
    EQ(0, 0, "(K, s)", "=", "(@k0, @s)"),
    EQ(0, 0, "T_{\\mathrm{out}}", "=", "\\left\\lfloor \\frac{@in0 - @k0}{@s} \\right\\rfloor + 1 = @out0"),
    NOTE(0, 0, "per channel ($@in1$)"),
    ROWS_END};

static const math_row layer_norm_rows[] = {
    EQ(0, 0, "@y", "=", "\\gamma^{(@i)} \\odot \\frac{@x - \\mu}{\\sqrt{\\sigma^{2} + @eps}}@bias{ + \\beta^{(@i)}}"),
    NOTE(0, 0, "$\\mu$, $\\sigma^{2}$: the mean and variance of each position's $@D$ features (the last axis)"),
    ROWS_END};
static const math_param_row norm_params[] = {{"weight", "\\gamma^{(@i)}", NULL}, {"bias", "\\beta^{(@i)}", NULL}, {NULL, NULL, NULL}};

static const math_row positional_rows[] = {
    EQ(0, MC_LEARNED, "@y{t}", "=", "@scale@x{t} + P_{t}"),
    EQ(MC_LEARNED, 0, "@y{t}", "=", "@scale@x{t} + P^{(@i)}_{t}"),
    EQ(0, MC_LEARNED, "P_{t,2j}", "=", "\\sin(t / 10000^{2j / @D})"),
    EQ(0, MC_LEARNED, "P_{t,2j+1}", "=", "\\cos(t / 10000^{2j / @D})"),
    NOTE(0, 0, "positions $t = 0, \\ldots, @Tm1$"),
    NOTE(MC_LEARNED, 0, "a learned table, one row per position, started $\\mathcal{N}(0, 1)$"),
    ROWS_END};
static const math_param_row positional_params[] = {{"weight", "P^{(@i)}", NULL}, {NULL, NULL, NULL}};

/* Multi-head attention `op`(X, Z) of queries X over keys and values Z (rows are positions), its
 * weights and biases written W and B (W, b or \tilde{W}, \tilde{b}), its mask term `mask`. */
#define MHA_ROWS(op, W, B, mask)                                                                                       \
    EQ(0, 0, op "(X, Z)", "=", "[A_1, \\ldots, A_{@heads}] " W "^{(@i)\\top}_{O}@bias{ + " B "^{(@i)}_{O}}"),          \
        EQ(0, 0, "A_j", "=", "\\operatorname{softmax}\\left(\\frac{Q_j K_j^{\\top}}{\\sqrt{@dk}}" mask "\\right) V_j"),  \
        EQ(0, 0, "(Q, K, V)", "=",                                                                                     \
           "(X " W "^{(@i)\\top}_{Q}@bias{ + " B "^{(@i)}_{Q}}, \\; Z " W "^{(@i)\\top}_{K}@bias{ + " B                  \
           "^{(@i)}_{K}}, \\; Z " W "^{(@i)\\top}_{V}@bias{ + " B "^{(@i)}_{V}})")
#define MHA_NOTE "$Q_j, K_j, V_j$: the $j$-th of the $@heads$ blocks of $@dk$ columns, $j = 1, \\ldots, @heads$"
#define MASK_NOTES(mask, causal)                                                                                       \
    NOTE(MC_MASK, 0, "$" mask "_{ts} = -\\infty$ where $@m{s} = 0$ (padding keys), else 0"),                           \
        NOTE(MC_CAUSAL, 0, "$" causal "_{ts} = -\\infty$ for $s > t$: no query sees a later key")
#define MHA_PARAMS(prefix, W, B)                                                                                       \
    {prefix "in_proj_weight", "[" W "^{(@i)}_{Q} ; " W "^{(@i)}_{K} ; " W "^{(@i)}_{V}]", NULL},                          \
        {prefix "in_proj_bias", "[" B "^{(@i)}_{Q} ; " B "^{(@i)}_{K} ; " B "^{(@i)}_{V}]", NULL},                        \
        {prefix "out_proj.weight", W "^{(@i)}_{O}", NULL}, { prefix "out_proj.bias", B "^{(@i)}_{O}", NULL }

static const math_row attention_rows[] = {
    EQ(0, 0, "@y", "=", "\\operatorname{MHA}(@x, @x2)"),
    MHA_ROWS("\\operatorname{MHA}", "W", "b", "@M"),
    NOTE(0, 0, MHA_NOTE),
    MASK_NOTES("M", "M"),
    NOTE(MC_DROPOUT, 0, "dropout $@p$ on the attention weights in training"),
    EQ(0, 0, "Q_j", "\\in", "\\mathbb{R}^{@T \\times @dk}, \\quad K_j, V_j \\in \\mathbb{R}^{@Tk \\times @dk}"),
    ROWS_END};
static const math_param_row attention_params[] = {MHA_PARAMS("", "W", "b"), {NULL, NULL, NULL}};

#define FF_ROW                                                                                                         \
    EQ(0, 0, "\\operatorname{FF}(U)", "=",                                                                             \
       "@ffact{U W^{(@i)\\top}_{1}@bias{ + b^{(@i)}_{1}}} W^{(@i)\\top}_{2}@bias{ + b^{(@i)}_{2}}")
#define LN_ROW                                                                                                         \
    EQ(0, 0, "\\operatorname{LN}_{k}(U)", "=",                                                                         \
       "\\gamma^{(@i)}_{k} \\odot \\frac{U - \\mu}{\\sqrt{\\sigma^{2} + @eps}}@bias{ + \\beta^{(@i)}_{k}}")
#define TRANSFORMER_NOTES                                                                                              \
    NOTE(0, 0, "$\\mu$, $\\sigma^{2}$: each position's mean and variance over its $@D$ features"),                     \
        NOTE(MC_DROPOUT, 0, "in training, dropout $@p$ on the attention weights, on each sublayer's output and inside FF")
#define TRANSFORMER_PARAMS                                                                                             \
    {"linear1.weight", "W^{(@i)}_{1}", NULL}, {"linear1.bias", "b^{(@i)}_{1}", NULL},                                  \
        {"linear2.weight", "W^{(@i)}_{2}", NULL}, {"linear2.bias", "b^{(@i)}_{2}", NULL},                              \
        {"norm1.weight", "\\gamma^{(@i)}_{1}", NULL}, {"norm1.bias", "\\beta^{(@i)}_{1}", NULL},                       \
        {"norm2.weight", "\\gamma^{(@i)}_{2}", NULL}, {"norm2.bias", "\\beta^{(@i)}_{2}", NULL},                       \
        {"norm3.weight", "\\gamma^{(@i)}_{3}", NULL}, { "norm3.bias", "\\beta^{(@i)}_{3}", NULL }

static const math_row encoder_rows[] = {
    EQ(0, MC_NORM_FIRST, "u", "=", "\\operatorname{LN}_{1}(@x + \\operatorname{MHA}(@x, @x))"),
    EQ(0, MC_NORM_FIRST, "@y", "=", "\\operatorname{LN}_{2}(u + \\operatorname{FF}(u))"),
    EQ(MC_NORM_FIRST, 0, "u", "=", "@x + \\operatorname{MHA}(\\operatorname{LN}_{1}(@x), \\operatorname{LN}_{1}(@x))"),
    EQ(MC_NORM_FIRST, 0, "@y", "=", "u + \\operatorname{FF}(\\operatorname{LN}_{2}(u))"),
    NOTE(0, MC_NORM_FIRST, "post-norm (PyTorch's default): each sublayer's residual sum normalised"),
    NOTE(MC_NORM_FIRST, 0, "pre-norm (norm_first): each sublayer reads its input normalised"),
    MHA_ROWS("\\operatorname{MHA}", "W", "b", "@M"),
    NOTE(0, 0, MHA_NOTE),
    MASK_NOTES("M", "M"),
    FF_ROW,
    LN_ROW,
    TRANSFORMER_NOTES,
    EQ(0, 0, "Q_j, K_j, V_j", "\\in", "\\mathbb{R}^{@T \\times @dk}, \\quad A_j \\in \\mathbb{R}^{@T \\times @dk}"),
    EQ(0, 0, "u", "\\in", "\\mathbb{R}^{@T \\times @D}, \\quad \\text{FF's hidden } \\in \\mathbb{R}^{@T \\times @ff}"),
    ROWS_END};
static const math_param_row encoder_params[] = {MHA_PARAMS("self_attn.", "W", "b"), TRANSFORMER_PARAMS, {NULL, NULL, NULL}};

static const math_row decoder_rows[] = {
    EQ(0, MC_NORM_FIRST, "u_1", "=", "\\operatorname{LN}_{1}(@x + \\operatorname{MHA}(@x, @x))"),
    EQ(0, MC_NORM_FIRST, "u_2", "=", "\\operatorname{LN}_{2}(u_1 + \\tilde{\\operatorname{MHA}}(u_1, @x2))"),
    EQ(0, MC_NORM_FIRST, "@y", "=", "\\operatorname{LN}_{3}(u_2 + \\operatorname{FF}(u_2))"),
    EQ(MC_NORM_FIRST, 0, "u_1", "=", "@x + \\operatorname{MHA}(\\operatorname{LN}_{1}(@x), \\operatorname{LN}_{1}(@x))"),
    EQ(MC_NORM_FIRST, 0, "u_2", "=", "u_1 + \\tilde{\\operatorname{MHA}}(\\operatorname{LN}_{2}(u_1), @x2)"),
    EQ(MC_NORM_FIRST, 0, "@y", "=", "u_2 + \\operatorname{FF}(\\operatorname{LN}_{3}(u_2))"),
    NOTE(0, MC_NORM_FIRST, "post-norm (PyTorch's default): each sublayer's residual sum normalised"),
    NOTE(MC_NORM_FIRST, 0, "pre-norm (norm_first): each sublayer reads its input normalised"),
    MHA_ROWS("\\operatorname{MHA}", "W", "b", "@M"),
    MASK_NOTES("M", "M"),
    MHA_ROWS("\\tilde{\\operatorname{MHA}}", "\\tilde{W}", "\\tilde{b}", "@Mm"),
    NOTE(0, 0, "$\\tilde{\\operatorname{MHA}}$: attention over the memory $@x2$ ($@Tk$ steps), with weights of its own"),
    NOTE(0, 0, MHA_NOTE),
    NOTE(MC_MEMORY_MASK, 0, "$\\tilde{M}_{ts} = -\\infty$ where $@mm{s} = 0$ (padding in the memory), else 0"),
    FF_ROW,
    LN_ROW,
    TRANSFORMER_NOTES,
    EQ(0, 0, "Q_j", "\\in", "\\mathbb{R}^{@T \\times @dk}, \\quad \\tilde{K}_j, \\tilde{V}_j \\in \\mathbb{R}^{@Tk \\times @dk}"),
    EQ(0, 0, "u_1, u_2", "\\in", "\\mathbb{R}^{@T \\times @D}, \\quad \\text{FF's hidden } \\in \\mathbb{R}^{@T \\times @ff}"),
    ROWS_END};
static const math_param_row decoder_params[] = {
    MHA_PARAMS("self_attn.", "W", "b"), MHA_PARAMS("multihead_attn.", "\\tilde{W}", "\\tilde{b}"), TRANSFORMER_PARAMS, {NULL, NULL, NULL}};

static const math_row shift_rows[] = {
    EQ(0, 0, "@y{t}", "=", "@x{t - @steps}, \\quad t > @steps"),
    EQ(0, 0, "@y{t}", "=", "@fill, \\quad t \\le @steps"),
    NOTE(0, 0, "moved $@steps$ step(s) later in time (a decoder's input: the targets after the start id)"),
    ROWS_END};

#define GATE_ACTS (1u << ACT_SIGMOID | 1u << ACT_TANH)
static const layer_math_def layer_math[LAYER_KIND_COUNT] = {
    [LY_DENSE] = {.rows = dense_rows, .params = weight_bias},
    [LY_ACTIVATION] = {.rows = activation_rows},
    [LY_DROPOUT] = {.rows = dropout_rows},
    [LY_NOISE] = {.rows = noise_rows},
    [LY_FLATTEN] = {.rows = flatten_rows},
    [LY_RESHAPE] = {.rows = reshape_rows},
    [LY_ADD] = {.rows = add_rows},
    [LY_CONCAT] = {.rows = concat_rows},
    [LY_SAMPLE_GAUSSIAN] = {.rows = sample_gaussian_rows},
    [LY_CONV] = {.rows = conv_rows, .params = weight_bias},
    [LY_CONV_T] = {.rows = conv_transpose_rows, .params = weight_bias},
    [LY_MAXPOOL] = {.rows = maxpool_rows},
    [LY_AVGPOOL] = {.rows = avgpool_rows},
    [LY_GLOBAL_AVGPOOL] = {.rows = global_avgpool_rows},
    [LY_UPSAMPLE] = {.rows = upsample_rows},
    [LY_BATCHNORM] = {.rows = batchnorm_rows, .params = batchnorm_params},
    [LY_MASKING_NOISE] = {.rows = masking_noise_rows},
    [LY_EMBEDDING] = {.rows = embedding_rows, .params = embedding_params},
    [LY_MAX_OVER] = {.rows = max_over_rows},
    [LY_MEAN_OVER] = {.rows = mean_over_rows},
    [LY_RNN] = {.rows = rnn_rows, .params = rnn_params},
    [LY_LSTM] = {.rows = lstm_rows, .params = lstm_params, .acts = GATE_ACTS},
    [LY_GRU] = {.rows = gru_rows, .params = gru_params, .acts = GATE_ACTS},
    [LY_ONE_HOT] = {.rows = one_hot_rows},
    [LY_CONV1D] = {.rows = conv1d_rows, .params = weight_bias},
    [LY_MAXPOOL1D] = {.rows = maxpool1d_rows},
    [LY_LAYER_NORM] = {.rows = layer_norm_rows, .params = norm_params},
    [LY_POSITIONAL] = {.rows = positional_rows, .params = positional_params},
    [LY_ATTENTION] = {.rows = attention_rows, .params = attention_params},
    [LY_TRANSFORMER_ENCODER] = {.rows = encoder_rows, .params = encoder_params},
    [LY_TRANSFORMER_DECODER] = {.rows = decoder_rows, .params = decoder_params},
    [LY_SHIFT] = {.rows = shift_rows},
    [LY_LAST_OVER] = {.rows = last_over_rows},
};

/* The activations: leaky_relu and elu carry their parameter (@a) in the symbol, so that two
 * layers with different slopes read apart; the definitions are for any value of it. */
static const act_math_def act_math[ACT_KIND_COUNT] = {
    [ACT_RELU] = {"\\operatorname{relu}", "\\operatorname{relu}(u)", "\\max(0, u)"},
    [ACT_LEAKY_RELU] = {"\\operatorname{lrelu}_{@a}", "\\operatorname{lrelu}_{a}(u)", "u \\text{ for } u > 0, \\; a u \\text{ otherwise}"},
    [ACT_ELU] = {"\\operatorname{elu}_{@a}", "\\operatorname{elu}_{a}(u)", "u \\text{ for } u > 0, \\; a (e^{u} - 1) \\text{ otherwise}"},
    [ACT_SELU] = {"\\operatorname{selu}", "\\operatorname{selu}(u)",
                  "\\lambda u \\text{ for } u > 0, \\; \\lambda \\alpha (e^{u} - 1) \\text{ otherwise}, \\quad \\lambda \\approx 1.0507, "
                  "\\; \\alpha \\approx 1.6733"},
    [ACT_GELU] = {"\\operatorname{gelu}", "\\operatorname{gelu}(u)", "u \\, \\Phi(u) \\quad (\\Phi: \\text{the standard normal CDF})"},
    [ACT_SIGMOID] = {"\\sigma", "\\sigma(u)", "\\frac{1}{1 + e^{-u}}"},
    [ACT_TANH] = {"\\tanh", "\\tanh(u)", "\\frac{e^{u} - e^{-u}}{e^{u} + e^{-u}}"},
    [ACT_SOFTMAX] = {"\\operatorname{softmax}", "\\operatorname{softmax}(u)_j", "\\frac{e^{u_j}}{\\sum_k e^{u_k}} \\quad \\text{(over the last axis)}"},
    [ACT_LOG_SOFTMAX] = {"\\operatorname{logsoftmax}", "\\operatorname{logsoftmax}(u)_j",
                         "u_j - \\log \\sum_k e^{u_k} \\quad \\text{(over the last axis)}"},
};

const layer_math_def *layer_math_def_of(layer_kind k)
{
    return (unsigned)k < LAYER_KIND_COUNT && layer_math[k].rows ? &layer_math[k] : NULL;
}

const act_math_def *act_math_def_of(act_kind a) { return (unsigned)a < ACT_KIND_COUNT && act_math[a].symbol ? &act_math[a] : NULL; }

int layer_kind_has_math(layer_kind k) { return layer_math_def_of(k) != NULL; }
int act_kind_has_math(act_kind a) { return a == ACT_NONE || act_math_def_of(a) != NULL; }
