/* spec.h — a validated experiment spec (what spec_parse() makes of the YAML tree).
 *
 * Everything here has been checked against the schema: known keys, types, ranges. Names of
 * layers are unique; references between layers are checked later, when the graph is built
 * (model_build.c), because that needs shapes. Positions point back into the YAML files so
 * later errors can still name the spec line. See docs/spec.md for the language. */
#ifndef NNRUN_SPEC_H
#define NNRUN_SPEC_H

#include "diag.h"
#include "nn/graph.h"
#include "nn/init.h"
#include "nn/optim.h"
#include "ydoc.h"

#define SPEC_NAME_LEN 64
#define SPEC_PATH_LEN 512
#define SPEC_MAX_CLASS_NAMES 256
#define SPEC_CLASS_NAME_LEN 32
#define SPEC_MAX_FROM 4
#define SPEC_MAX_LOSSES 8
#define SPEC_MAX_REPORTS 16
#define SPEC_MAX_NETS 8
#define SPEC_MAX_NET_INPUTS 4
#define SPEC_MAX_GROUPS 8
#define SPEC_MAX_STEPS 8
#define SPEC_EXPR_LEN 160               /* a call expression: D(G(noise, label), label).hidden */

typedef struct {
    const char *file;
    int line, col;
} spec_pos;

/* ---- data ------------------------------------------------------------------------------ */
typedef enum { DS_NONE, DS_MNIST, DS_FASHION_MNIST, DS_CSV, DS_FUNCTION, DS_POINTS, DS_IMDB, DS_CHARS, DS_TRANSLATION } ds_kind;

typedef struct {
    ds_kind kind;
    spec_pos pos;
    char split[16];                 /* mnist/fashion_mnist: train | test; imdb, chars, translation: train | validation | test */
    char path[SPEC_PATH_LEN];       /* folder (IDX, translation) or file (CSV, chars' `file`); default under data/ */
    char classes[SPEC_MAX_CLASS_NAMES][SPEC_CLASS_NAME_LEN];   /* `classes:` the class ids' names */
    int n_class_names;
    /* csv */
    int header;                     /* -1 auto, 0 no, 1 yes */
    int label_col;                  /* -1: no label column */
    float scale;                    /* features multiplied by this */
    /* function */
    char expr[SPEC_PATH_LEN];
    spec_pos expr_pos;
    double lo, hi;
    int n;
    int random;                     /* random points instead of a grid */
    float noise;                    /* Gaussian sigma added to y */
    /* points */
    char points[16];                /* parabola | uniform_cube | gaussian */
    int dim;
    /* imdb: a seeded split of the 50,000 reviews by fractions; vocabulary from the train part */
    int vocab;                      /* top words kept (ids 0 pad, 1 unknown, words from 2) */
    int length;                     /* tokens per review */
    int chars;                      /* tokens are characters, not words */
    int keep_first, pad_back;       /* truncation keeps the first tokens / padding goes at the back */
    int clean;                      /* CLEAN_* rules applied before tokenising (default all) */
    double splits[3];               /* train, [validation,] test fractions */
    /* chars: a text file as 27 symbols, split into consecutive parts by `splits` (held-out text
     * is the book's tail), each cut into windows of `length` (x) and the next characters (y) */
    int stride;                     /* training windows start every stride symbols (0 = length) */
    int fold_drop;                  /* other characters are dropped (else they become spaces) */
    int n_splits;
    /* translation: French -> English sentence pairs, split by `splits` with `split_seed` (no
     * English sentence in two parts), then pairs with both sides under max_words tokens kept;
     * x and y are [max_words] ids (y ends with EOS); words seen fewer than min_count times in the
     * training part are unknown */
    int max_words, min_count, split_seed;
    /* subsets, applied in this order */
    int first;                      /* keep the first N (0 = all) */
    int random_subset;              /* keep N chosen at random with the spec's seed */
    int per_class;                  /* keep N of each class */
} data_source;

typedef struct {
    data_source train, test;
    float validation_fraction;      /* carve a validation split off train (0 = none) */
} data_spec;

/* ---- model ----------------------------------------------------------------------------- */
/* The data's vocabularies, in the order of an embedding's `words:` choices: x's words (imdb,
 * translation's source), translation's target. */
enum { EMB_WORDS_SOURCE, EMB_WORDS_TARGET, EMB_WORDS_COUNT };

/* imdb clean-up rules (data_source.clean), in the order of the spec's names */
enum { CLEAN_HTML = 1, CLEAN_MENTIONS = 2, CLEAN_URLS = 4, CLEAN_LOWER = 8, CLEAN_ALL = 15 };

/* A layer that an option of another names (mask:, attend:, initial_state:, ...): its name
 * ("" when the option is absent) and where the spec wrote it. */
typedef struct {
    char name[SPEC_NAME_LEN];
    spec_pos pos;
} layer_ref;

/* The options that name layers, in the order of layer_spec.refs. */
typedef enum {
    REF_MASK,            /* rnn, lstm, gru, max_over, mean_over, last_over, attention, Transformer layers: values > 0 mark real steps (keys) */
    REF_MEMORY_MASK,     /* transformer_decoder: values > 0 mark real memory steps */
    REF_INITIAL_STATE,   /* rnn, lstm, gru: h0 (N,H) */
    REF_INITIAL_CELL,    /* lstm: c0 (N,H) */
    REF_ATTEND,          /* gru: the keys and values (N,S,F) of additive attention */
    REF_ATTEND_MASK,     /* gru: values > 0 mark the real steps of `attend` */
    REF_COUNT,
} layer_ref_kind;

typedef enum {
    LY_DENSE, LY_ACTIVATION, LY_DROPOUT, LY_NOISE, LY_FLATTEN, LY_RESHAPE, LY_ADD, LY_CONCAT,
    LY_SAMPLE_GAUSSIAN, LY_CONV, LY_CONV_T, LY_MAXPOOL, LY_AVGPOOL, LY_GLOBAL_AVGPOOL, LY_UPSAMPLE,
    LY_BATCHNORM, LY_MASKING_NOISE, LY_EMBEDDING, LY_MAX_OVER, LY_MEAN_OVER, LY_RNN, LY_LSTM, LY_GRU, LY_ONE_HOT,
    LY_CONV1D, LY_MAXPOOL1D, LY_LAYER_NORM, LY_POSITIONAL, LY_ATTENTION, LY_TRANSFORMER_ENCODER,
    LY_TRANSFORMER_DECODER, LY_SHIFT, LY_LAST_OVER,
} layer_kind;

/* What a recurrent layer gives, in the order of the spec's `output:` choices: every step's
 * output (N,T,H), the state after each sequence's last real step (N,H), or the mean or the
 * maximum over the real steps (N,H). */
typedef enum { RNN_OUT_ALL, RNN_OUT_LAST, RNN_OUT_MEAN, RNN_OUT_MAX } rnn_output_mode;

typedef enum {
    ACT_NONE, ACT_RELU, ACT_LEAKY_RELU, ACT_ELU, ACT_SELU, ACT_GELU, ACT_SIGMOID, ACT_TANH,
    ACT_SOFTMAX, ACT_LOG_SOFTMAX,
} act_kind;

typedef struct {
    layer_kind kind;
    spec_pos pos;
    char name[SPEC_NAME_LEN];          /* given or generated ("dense_3") */
    int named;                         /* the user gave the name */
    char from[SPEC_MAX_FROM][SPEC_NAME_LEN];  /* inputs by name; none = previous layer */
    spec_pos from_pos;
    int n_from;
    /* dense: units; conv, conv_transpose: units = filters */
    int units;
    int kernel[2], stride, pad[2], same, out_pad[2];   /* conv, conv_transpose, pooling (kernel = size);
                                                          conv1d: kernel[0], pad = {left, right} */
    int factor;                                          /* upsample */
    int vocab, padding_id;                               /* embedding (units = dim) */
    int frozen;                                          /* embedding: trainable: false */
    char vectors[SPEC_PATH_LEN];                         /* embedding: pre-trained word vectors file */
    int words;                                           /* embedding: the data's vocabulary its ids are in (EMB_WORDS_*) */
    /* one_hot: units = the number of symbols */
    int axis;                                            /* max_over, mean_over: per-sample axis */
    int rnn_relu;                                        /* rnn: relu (else tanh) */
    int rnn_output;                                      /* rnn, lstm: an rnn_output_mode */
    int rnn_bidir;                                       /* rnn, lstm: both directions, 2H features */
    layer_ref refs[REF_COUNT];                           /* the layers its options name (layer_ref_kind) */
    float momentum, eps;                                 /* batchnorm; eps: layer_norm, transformer layers */
    /* attention, transformer_encoder, transformer_decoder (units = the feed-forward width; p =
       dropout) */
    int heads;
    int ff_gelu;                                         /* the feed-forward activation: gelu (else relu) */
    int causal;                                          /* queries see no later key */
    int norm_first;                                      /* pre-norm (else PyTorch's default post-norm) */
    int learned;                                         /* positional_encoding: a trained table (else sinusoidal) */
    int scale_input;                                     /* positional_encoding: x * sqrt(D) first */
    float fill;                                          /* shift: the value of the steps shifted in (units = steps) */
    int bias;
    nn_init init, bias_init;
    int has_init, has_bias_init;
    float l1, l2;                      /* weight penalties on this layer's weights */
    /* activation (a layer of its own, or fused after dense via act:) */
    act_kind act;
    float act_param;                   /* leaky slope, elu alpha */
    /* dropout / noise / masking_noise */
    float p;
    float sigma;
    int noise_at_eval;
    /* reshape */
    nn_shape shape;
} layer_spec;

/* A named input of a net: bound by name to the data (input, data), its targets (target) or,
 * for any other name, to noise drawn from N(0, I) each step — unless a call passes it. */
typedef struct {
    char name[SPEC_NAME_LEN];
    nn_shape shape;                    /* per-sample shape */
    spec_pos pos;
} net_input;

/* One network. A spec's `model:` is the net "model" with one input, "input". */
typedef struct {
    char name[SPEC_NAME_LEN];
    spec_pos pos;
    net_input inputs[SPEC_MAX_NET_INPUTS];
    int n_inputs;
    layer_spec *layers;
    int n_layers;
    nn_init init, bias_init;           /* defaults for every dense layer */
    float l1, l2;                      /* defaults for every dense layer */
    float ema;                         /* decay of the moving average of its weights (0: none) */
} model_spec;

/* ---- losses ---------------------------------------------------------------------------- */
typedef enum {
    LOSS_MSE, LOSS_L1, LOSS_BCE_LOGITS, LOSS_CROSS_ENTROPY, LOSS_KL_NORMAL, LOSS_MEAN, LOSS_GRADIENT_PENALTY,
} loss_kind;
#define LOSS_KIND_COUNT (LOSS_GRADIENT_PENALTY + 1)   /* the last loss_kind + 1 */

typedef struct {
    loss_kind kind;
    spec_pos pos;
    char name[SPEC_NAME_LEN];          /* given, else its kind's (kl_normal; a repeated kind: bce_with_logits_2) */
    int named;                         /* the spec gave the name */
    char pred[SPEC_EXPR_LEN];          /* call expressions (call_expr.h): a layer, D(G), ...;
                                          gradient_penalty: its fake batch */
    char target[SPEC_EXPR_LEN];        /* 'input', 'target', a layer, a call or a number ("": none,
                                          mean); gradient_penalty: its real batch (default data) */
    char mean[SPEC_EXPR_LEN], logvar[SPEC_EXPR_LEN];  /* kl_normal */
    char critic[SPEC_NAME_LEN];        /* gradient_penalty: the net differentiated */
    float center;                      /* gradient_penalty: the gradient norm aimed at */
    int ignore;                        /* cross_entropy: the class id whose rows are left out (-1: none) */
    spec_pos pred_pos, target_pos, critic_pos;
    int reduce;                        /* NN_REDUCE_* */
    float weight;
} loss_spec;

/* A named group of terms, minimised together by a training step. `loss:` is the group "loss". */
typedef struct {
    char name[SPEC_NAME_LEN];
    spec_pos pos;
    loss_spec terms[SPEC_MAX_LOSSES];
    int n_terms;
} loss_group;

/* ---- training -------------------------------------------------------------------------- */
/* One training step: minimise a loss group over the parameters of some nets, `repeat` times
 * per iteration, with its own optimizer, schedule and clipping. train.optimizer, schedule,
 * warmup and clip_* are the defaults of every step (and the one step of a `model:` spec). */
typedef struct {
    char name[SPEC_NAME_LEN];          /* its group's name unless given */
    spec_pos pos;
    int group;                         /* index into spec.groups */
    int nets[SPEC_MAX_NETS];           /* indices into spec.nets whose parameters it updates */
    int n_nets;
    int repeat;
    nn_opt_config opt;
    spec_pos opt_pos;
    nn_schedule sched;
    float clip_norm, clip_value;       /* 0 = off */
} step_spec;

typedef struct {
    int batch, epochs;
    int shuffle;
    int drop_last;
    int scale_lr_with_ranks;           /* on N MPI ranks, every learning rate times N */
    int log_every;                     /* steps between progress lines off a terminal (0 = per epoch) */
    int limit_batches;                 /* stop each epoch after N batches (0 = all) */
    float checkpoint_seconds;          /* at least this long between checkpoints after epochs (0 = each) */
    int accuracy;                      /* report classification accuracy */
    int rel_l2;                        /* report relative L2 error of pred vs target */
    char metric_pred[SPEC_EXPR_LEN];   /* layer the metrics read (default: first loss' pred) */
} train_spec;

/* ---- report ---------------------------------------------------------------------------- */
typedef enum {
    REP_LOSS_CURVE, REP_RECONSTRUCTIONS, REP_EMBEDDING, REP_FUNCTION_FIT, REP_DEAD_UNITS, REP_CONFUSION_MATRIX,
    REP_FILTERS, REP_CLASS_EXAMPLES, REP_POINTS, REP_PCA_BASELINE, REP_SAMPLES, REP_MANIFOLD, REP_JUDGE,
    REP_CUBE_ERROR, REP_ATTENTION_LOOKUP, REP_TRANSLATIONS,
} report_kind;
#define REPORT_KIND_COUNT (REP_TRANSLATIONS + 1)   /* the last report_kind + 1 (a new kind moves this) */
#define REPORT_MAX_LAYERS 4
#define REPORT_MAX_TEMPERATURES 4

typedef struct {
    report_kind kind;
    spec_pos pos;
    char layer[SPEC_EXPR_LEN];         /* embedding / reconstructions / filters layer */
    char layers[REPORT_MAX_LAYERS][SPEC_EXPR_LEN];   /* points: layers (or calls) drawn together */
    int n_layers;
    int count;                         /* images shown */
    int sigmoid;                       /* apply a sigmoid to the layer (logits) before display */
    int during;                        /* also drawn during training (points: after epochs 1, 2, 5, 10, 20,
                                          50, ...; samples: after every epoch) */
    char of[SPEC_EXPR_LEN];            /* samples, manifold: what is drawn (G, a decoder's output layer) */
    char from[SPEC_EXPR_LEN];          /* ... fed with N(0, I) draws (samples) or a grid (manifold); "" = none */
    int size;                          /* manifold: points per side of the grid */
    char run[SPEC_PATH_LEN];           /* judge: the classifier's run folder */
    int method;                        /* embedding: how codes wider than 3 units (t-SNE: 3) are projected */
    float perplexity;                  /* embedding: t-SNE's perplexity */
    /* attention_lookup (a data report: it reads the data alone) */
    int query;                         /* the query's class */
    float temperature[REPORT_MAX_TEMPERATURES];   /* the scores divided by each; 0 after the last */
    int draws;                         /* draws of sources and queries averaged in the mean weights */
    /* translations (count: the test sentences shown) */
    int beam;                          /* beams of the beam search scored beside greedy search */
    int maps;                          /* attention maps drawn */
} report_spec;
typedef enum { EMBED_PCA, EMBED_TSNE } embedding_method;   /* report_spec.method */

typedef struct {
    char name[SPEC_NAME_LEN];
    char file[SPEC_PATH_LEN];          /* the spec file given on the command line */
    char out_dir[SPEC_PATH_LEN];       /* runs/<name> unless overridden */
    uint64_t seed;
    data_spec data;
    model_spec nets[SPEC_MAX_NETS];    /* `model:` is nets[0], named "model" */
    int n_nets;                        /* 0: a data study (data and data reports only) */
    int single;                        /* one net: its layers are named bare, its weights "<layer>.weight" */
    loss_group groups[SPEC_MAX_GROUPS];   /* `loss:` is groups[0], named "loss" */
    int n_groups;
    step_spec steps[SPEC_MAX_STEPS];   /* `train.optimizer` alone is steps[0] */
    int n_steps;
    train_spec train;
    report_spec reports[SPEC_MAX_REPORTS];
    int n_reports;
    ynode *tree;                       /* the resolved tree (extends + overrides applied) */
} spec;

/* Loads FILE, resolves extends, applies overrides ("a.b=v"), validates. Returns NULL with every
 * problem reported in d. */
spec *spec_load(const char *file, const char *const *overrides, int n_overrides, diag *d);
/* The resolved tree alone (extends and overrides applied), before validation. */
ynode *spec_load_tree(const char *file, const char *const *overrides, int n_overrides, diag *d);
/* Validates an already-resolved tree (used by spec_load and by `nnrun eval` on a run folder). */
spec *spec_from_tree(ynode *tree, const char *file, diag *d);
void spec_free(spec *s);

const char *act_kind_name(act_kind a);
const char *layer_kind_name(layer_kind k);
const char *loss_kind_name(loss_kind k);   /* "kl_normal"; NULL past the last kind */
/* rnn, lstm or gru: the fused recurrent layers, which share their keys, builder and init */
static inline int layer_is_recurrent(layer_kind k) { return k == LY_RNN || k == LY_LSTM || k == LY_GRU; }
int spec_find_layer(const spec *s, const char *name);   /* a layer of nets[0]: index or -1 */
int spec_find_net(const spec *s, const char *name);     /* index or -1 */
int spec_find_group(const spec *s, const char *name);   /* index or -1 */
int net_find_layer(const model_spec *m, const char *name);   /* index or -1 */
/* A bce_with_logits term predicts `pred` (a layer or call, as written): its values are logits,
 * shown and sampled through a sigmoid. */
int spec_pred_is_logits(const spec *s, const char *pred);
/* The first loss term of the first group: what metrics and most figures read. */
static inline const loss_spec *spec_first_loss(const spec *s) { return &s->groups[0].terms[0]; }

#endif
