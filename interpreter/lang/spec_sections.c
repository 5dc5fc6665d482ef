/* The key tables of the top level, train (optimizers, schedules), loss, report and sweep
 * sections (see spec_tables.h). Their parsers (spec_parse.c, spec_parse_train.c, sweep.c)
 * keep their own key lists for now; tests/test_spec_tables.c checks that those and these
 * agree (keys, names, defaults), so the schema and spec.yaml describe what the parser does. */
#include "layer_table.h"
#include "nn/optim.h"
#include "spec_tables.h"
#include <stddef.h>

/* ---- top level ---------------------------------------------------------------------------------- */
const opt_def spec_top_opts[] = {
    {"name", OT_STR, 0, 0, NULL, .doc = "run name; the run folder is runs/<name>/ (default: the file name)"},
    {"description", OT_STR, 0, 0, NULL, .doc = "free text"},
    {"seed", OT_INT, 0, 2147483647, "1", .doc = "fixes initialisation, shuffling, dropout and noise"},
    {"output", OT_PATH, 0, 0, NULL, .doc = "the run folder instead of runs/<name>"},
    {"extends", OT_PATH, 0, 0, NULL, .flags = OPT_RESOLVED,
     .doc = "parent spec, relative to this file: this spec is merged over it (maps key by key; lists and ~ replace)"},
    {"data", OT_SECTION, 0, 0, NULL, .flags = OPT_REQUIRED, .sub = data_opts, .doc = "the datasets"},
    {"model", OT_SECTION, 0, 0, NULL, .flags = OPT_PRESENCE | OPT_PROGRAM, .sub = model_opts, .doc = "the network (or several: nets)"},
    {"nets", OT_NETS, 1, SPEC_MAX_NETS, NULL, .flags = OPT_PROGRAM, .sub = model_opts,
     .doc = "several networks by name, each like model:, called in losses as D(G), D(data), G.code"},
    {"loss", OT_TERMS, 0, SPEC_MAX_LOSSES, NULL, .flags = OPT_PROGRAM, .kinds = loss_choices,
     .doc = "what is minimised: a term {KIND: {options}}, a list of terms, or one mapping of several (or: losses)"},
    {"losses", OT_GROUPS, 1, SPEC_MAX_GROUPS, NULL, .flags = OPT_PROGRAM, .kinds = loss_choices,
     .doc = "named loss groups, each terms as in loss:; train.steps says which step minimises which"},
    {"train", OT_SECTION, 0, 0, NULL, .flags = OPT_PROGRAM, .sub = train_opts, .doc = "optimizer, schedule, batches and epochs (every key has a default)"},
    {"report", OT_CHOICE_LIST, 0, SPEC_MAX_REPORTS, NULL, .kinds = report_choices, .doc = "figures of the run folder's report.html"},
    {"sweep", OT_SECTION, 0, 0, NULL, .flags = OPT_PRESENCE | OPT_PROGRAM, .sub = sweep_opts, .doc = "a grid of runs, one per combination"},
    {0}};

int spec_tree_is_data_study(const ynode *tree)
{
    return tree && tree->kind == YN_MAP && !ymap_get(tree, "model") && !ymap_get(tree, "nets");
}

/* ---- train -------------------------------------------------------------------------------------- */
static const char *const train_metrics[] = {"loss", "accuracy", "rel_l2", NULL};
/* one training step; optimizer, schedule, warmup and clip_* default to train's */
static const opt_def train_step_opts[] = {
    {"name", OT_STR, 0, 0, NULL, .doc = "the step's name in metrics and checkpoints (default: the group's)"},
    {"minimize", OT_STR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the loss group this step minimises"},
    {"update", OT_LAYERS, 1, SPEC_MAX_NETS, NULL, .flags = OPT_REQUIRED | OPT_ONE_OK,
     .doc = "the net(s) whose parameters it changes"},
    {"repeat", OT_INT, 1, 1000, "1", .doc = "runs per iteration (k critic steps per generator step)"},
    {"optimizer", OT_CHOICE, 0, 0, NULL, .kinds = optimizer_choices, .doc = "its optimizer (default: train.optimizer)"},
    {"schedule", OT_CHOICE, 0, 0, NULL, .kinds = schedule_choices, .doc = "its schedule (default: train.schedule)"},
    {"warmup", OT_INT, 0, 1 << 30, NULL, .doc = "its warm-up steps (default: train.warmup)"},
    {"clip_grad_norm", OT_FLOAT, 0, 1e9, NULL, .doc = "its gradient norm clip (default: train's)"},
    {"clip_grad_value", OT_FLOAT, 0, 1e9, NULL, .doc = "its gradient value clip (default: train's)"},
    {0}};
const opt_def train_opts[] = {
    {"optimizer", OT_CHOICE, 0, 0, "adam", .kinds = optimizer_choices, .doc = "the optimizer, with PyTorch's defaults"},
    {"batch", OT_INT, 1, 1 << 20, "32", .doc = "samples per step"},
    {"epochs", OT_INT, 1, 1 << 20, "1", .doc = "passes over the training data"},
    {"shuffle", OT_BOOL, 0, 0, "true", .doc = "reshuffle the training data every epoch (seeded)"},
    {"drop_last", OT_BOOL, 0, 0, "false", .doc = "skip the last partial batch"},
    {"scale_lr_with_ranks", OT_BOOL, 0, 0, "false",
     .doc = "on N MPI ranks (a global batch N times train.batch), every learning rate times N (Goyal et al.'s linear rule)"},
    {"schedule", OT_CHOICE, 0, 0, "constant", .kinds = schedule_choices, .doc = "how the learning rate changes"},
    {"warmup", OT_INT, 0, 1 << 30, "0", .doc = "linear warm-up over the first N steps"},
    {"clip_grad_norm", OT_FLOAT, 0, 1e9, "0", .doc = "scale the gradients down to this global L2 norm (0: off)"},
    {"clip_grad_value", OT_FLOAT, 0, 1e9, "0", .doc = "clip each gradient value to [-v, v] (0: off)"},
    {"log_every", OT_INT, 0, 1 << 30, "0", .doc = "off a terminal, a progress line every N steps (0: per epoch)"},
    {"limit_batches", OT_INT, 0, 1 << 30, "0", .doc = "at most N batches per epoch and per evaluation (0: all)"},
    {"checkpoint_seconds", OT_FLOAT, 0, 1e9, "10",
     .doc = "seconds at least between the metrics and checkpoints written after epochs (0: after every epoch; the last "
            "epoch and Ctrl-C always write them)"},
    {"metrics", OT_LIST, 0, 3, NULL, .choices = train_metrics, .doc = "reported besides the loss (always reported)"},
    {"metric_layer", OT_EXPR, 0, 0, NULL, .doc = "the layer the metrics read (default: the first loss term's pred)"},
    {"steps", OT_STEPS, 1, SPEC_MAX_STEPS, NULL, .sub = train_step_opts,
     .doc = "training steps run in order every iteration (default: one minimising the only group over every net)"},
    {0}};

/* ---- optimizers: defaults from the runtime (nn_opt_defaults, PyTorch's) ---------------------- */
#define OC(m) OPT_FIELD(nn_opt_config, m)
_Static_assert(offsetof(nn_opt_config, beta2) == offsetof(nn_opt_config, beta1) + sizeof(double),
               "OT_BETAS reads beta1 and beta2 as two adjacent doubles");
static void opt_defaults(int kind, void *base) { nn_opt_defaults((nn_opt_kind)kind, base); }

#define LR {"lr", OT_DOUBLE, 0, 1e6, NULL, OC(lr), .doc = "learning rate"}
#define EPS {"eps", OT_DOUBLE, 0, 1, NULL, OC(eps), .doc = "added to the denominator"}
#define MOMENTUM {"momentum", OT_DOUBLE, 0, 1, NULL, OC(momentum), .doc = "momentum (0: off)"}
#define DECAY(doc_) {"weight_decay", OT_DOUBLE, 0, 1e6, NULL, OC(weight_decay), .doc = doc_}
static const opt_def sgd_opts[] = {
    LR, MOMENTUM,
    {"nesterov", OT_BOOL, 0, 0, NULL, OC(nesterov), .doc = "Nesterov momentum (needs momentum > 0)"},
    DECAY("L2 penalty added to the gradient"),
    {0}};
static const opt_def adam_opts[] = {
    LR,
    {"betas", OT_BETAS, 0, 0.999999, NULL, OC(beta1), .doc = "decay rates of the first and second moment estimates"},
    EPS, DECAY("L2 penalty added to the gradient (adamw: decoupled, p -= lr * wd * p)"),
    {0}};
static const opt_def rmsprop_opts[] = {
    LR,
    {"alpha", OT_DOUBLE, 0, 1, NULL, OC(alpha), .doc = "smoothing of the squared gradients' average"},
    EPS, MOMENTUM, DECAY("L2 penalty added to the gradient"),
    {0}};
const choice_def optimizer_choices[] = {
    {"sgd", NN_OPT_SGD, sgd_opts, CHOICE_BARE, opt_defaults, "stochastic gradient descent (torch.optim.SGD)"},
    {"adam", NN_OPT_ADAM, adam_opts, CHOICE_BARE, opt_defaults, "Adam (torch.optim.Adam)"},
    {"adamw", NN_OPT_ADAMW, adam_opts, CHOICE_BARE, opt_defaults, "AdamW: Adam with decoupled weight decay"},
    {"rmsprop", NN_OPT_RMSPROP, rmsprop_opts, CHOICE_BARE, opt_defaults, "RMSprop (torch.optim.RMSprop)"},
    {0}};

/* ---- schedules ---------------------------------------------------------------------------------- */
#define GAMMA {"gamma", OT_DOUBLE, 0, 10, "0.1", .doc = "the factor"}
static const opt_def step_opts[] = {
    {"every", OT_INT, 1, 1 << 30, NULL, .flags = OPT_REQUIRED, .doc = "epochs between two decays"}, GAMMA, {0}};
static const opt_def exponential_opts[] = {GAMMA, {0}};
static const opt_def cosine_opts[] = {
    {"min_lr", OT_DOUBLE, 0, 1e6, "0", .doc = "the learning rate at the end"},
    {"epochs", OT_INT, 1, 1 << 30, NULL, .doc = "epochs of the decay (default: train.epochs)"},
    {0}};
static const opt_def piecewise_opts[] = {
    {"pieces", OT_PIECES, 0, 16, NULL, .doc = "from epoch e on, lr = base * factor: [[0, 1.0], [10, 0.1]]"}, {0}};
const choice_def schedule_choices[] = {
    {"constant", NN_SCHED_CONSTANT, NULL, CHOICE_BARE, NULL, "the base learning rate throughout"},
    {"step", NN_SCHED_STEP, step_opts, 0, NULL, "lr *= gamma every `every` epochs"},
    {"exponential", NN_SCHED_EXPONENTIAL, exponential_opts, 0, NULL, "lr *= gamma after every epoch"},
    {"cosine", NN_SCHED_COSINE, cosine_opts, 0, NULL, "from lr to min_lr along a half cosine, per step"},
    {"piecewise", NN_SCHED_PIECEWISE, piecewise_opts, CHOICE_LIST, NULL, "a list of [from_epoch, lr_factor] pieces"},
    {0}};

/* ---- loss terms --------------------------------------------------------------------------------- */
static const char *const reduces[] = {"mean", "sum_per_sample", "sum", NULL};
#define REDUCE(def_) {"reduce", OT_ENUM, 0, 0, def_, .choices = reduces, .doc = "mean over all elements, sum / batch, or sum"}
#define TERM_NAME {"name", OT_STR, 0, 0, NULL, .doc = "the term's name in metrics.csv and the progress lines (default: its kind)"}
#define WEIGHT {"weight", OT_FLOAT, -1e9, 1e9, "1", .doc = "the term's factor in the total loss"}, TERM_NAME
static const opt_def pair_opts[] = {
    {"pred", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the layer (or call, D(G)) whose output is compared"},
    {"target", OT_EXPR, 0, 0, "target", .doc = "target (the dataset's), input (the data), a layer, a call or a number"},
    REDUCE("mean"), WEIGHT, {0}};
static const opt_def ce_opts[] = {
    {"pred", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the layer (or call) giving the logits"},
    {"target", OT_EXPR, 0, 0, "target", .doc = "class ids: target (the dataset's), a layer or a call"},
    {"ignore", OT_INT, -1, 1 << 24, "-1", .doc = "a class id whose rows count for nothing: the padding of target sequences "
                                                 "(PyTorch's ignore_index; -1: none)"},
    REDUCE("mean"), WEIGHT, {0}};
static const opt_def kl_opts[] = {
    {"mean", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the layer giving the mean"},
    {"logvar", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the layer giving log(variance)"},
    REDUCE("sum_per_sample"), WEIGHT, {0}};
static const opt_def mean_opts[] = {
    {"pred", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the layer (or call, D(G)) averaged"}, WEIGHT, {0}};
static const opt_def penalty_opts[] = {
    {"critic", OT_STR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the net whose gradient is penalised (D)"},
    {"real", OT_EXPR, 0, 0, "data", .doc = "the real batch (a call expression)"},
    {"fake", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "the generated batch (G)"},
    {"weight", OT_FLOAT, -1e9, 1e9, "10", .doc = "lambda: the term's factor in the total loss"},
    {"center", OT_FLOAT, 0, 1e9, "1", .doc = "the gradient norm aimed at"},
    TERM_NAME,
    {0}};
const choice_def loss_choices[] = {
    {"mse", LOSS_MSE, pair_opts, 0, NULL, "mean squared error"},
    {"l1", LOSS_L1, pair_opts, 0, NULL, "mean absolute error"},
    {"bce_with_logits", LOSS_BCE_LOGITS, pair_opts, 0, NULL, "binary cross-entropy of sigmoid(pred), computed stably"},
    {"cross_entropy", LOSS_CROSS_ENTROPY, ce_opts, 0, NULL,
     "softmax cross-entropy of logits [batch, classes] or [batch, steps, classes] against class ids; mean over the rows counted"},
    {"kl_normal", LOSS_KL_NORMAL, kl_opts, 0, NULL, "KL(N(mean, exp(logvar)) || N(0, I))"},
    {"mean", LOSS_MEAN, mean_opts, 0, NULL, "weight * the mean of pred over all elements (Wasserstein terms)"},
    {"gradient_penalty", LOSS_GRADIENT_PENALTY, penalty_opts, 0, NULL,
     "weight * mean over the batch of (||d critic(x) / dx|| - center)^2 at x = a real + (1 - a) fake, a ~ U[0, 1] per sample"},
    {0}};

/* ---- report figures ----------------------------------------------------------------------------- */
#define R_LAYER(flags_) {"layer", OT_LAYER, 0, 0, NULL, .flags = flags_, .doc = "the layer shown"}
#define R_LAYERS(flags_) \
    {"layers", OT_LAYERS, 1, REPORT_MAX_LAYERS, NULL, .flags = flags_, .doc = "layers drawn together (input included)"}
#define R_REST                                                                    \
    {"count", OT_INT, 1, 1000, "10", .doc = "images shown"},                      \
        {"sigmoid", OT_BOOL, 0, 0, "false", .doc = "apply a sigmoid (to logits) before display"}, \
        {"during_training", OT_BOOL, 0, 0, "false",                                                     \
         .doc = "points: also drawn after epochs 1, 2, 5, 10, 20, 50, ...; samples: after every epoch"}
static const opt_def report_opts[] = {R_LAYER(0), R_LAYERS(0), R_REST, {0}};
static const opt_def report_layer_opts[] = {R_LAYER(OPT_REQUIRED), R_LAYERS(0), R_REST, {0}};
static const opt_def report_points_opts[] = {R_LAYER(0), R_LAYERS(OPT_REQUIRED), R_REST, {0}};
static const char *const embedding_methods[] = {"pca", "tsne", NULL};   /* embedding_method's order */
static const opt_def report_embedding_opts[] = {
    R_LAYER(OPT_REQUIRED), R_LAYERS(0), R_REST,
    {"method", OT_ENUM, 0, 0, "pca", embedding_methods, OPT_FIELD(report_spec, method),
     .doc = "how codes wider than 3 units are drawn in 2-D: pca (the first two principal components) or tsne (t-SNE, "
            "on at most 5,000 codes; 3 units too)"},
    {"perplexity", OT_FLOAT, 2, 100, "30", NULL, OPT_FIELD(report_spec, perplexity), .doc = "t-SNE's perplexity: about the number of neighbours each code keeps"},
    {0}};
#define R_OF {"of", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "what is drawn: a generator (G) or a decoder's output layer"}
static const opt_def report_samples_opts[] = {
    R_OF,
    {"from", OT_EXPR, 0, 0, NULL, .doc = "a layer fed with N(0, I) draws instead of what precedes it (a VAE's z)"},
    {"count", OT_INT, 1, 1000, "64", .doc = "samples drawn (a conditional generator: one row per class)"},
    {"during_training", OT_BOOL, 0, 0, "false", .doc = "also drawn after every epoch, from the same noise"},
    {0}};
static const opt_def report_manifold_opts[] = {
    R_OF,
    {"from", OT_EXPR, 0, 0, NULL, .flags = OPT_REQUIRED, .doc = "a layer of 2 units, fed with the grid"},
    {"size", OT_INT, 2, 40, "15", .doc = "points per side of the grid"},
    {0}};
static const opt_def report_judge_opts[] = {
    R_OF,
    {"from", OT_EXPR, 0, 0, NULL, .doc = "a layer fed with N(0, I) draws (a VAE's z)"},
    {"run", OT_PATH, 0, 0, "runs/judge_fashion", .doc = "the run folder of the judging classifier (specs/judge_fashion.yaml)"},
    {"count", OT_INT, 2, 100000, "10000", .doc = "samples judged (a conditional generator: classes in turn)"},
    {0}};
#define RA(m) OPT_FIELD(report_spec, m)
static const opt_def report_attention_opts[] = {
    {"query", OT_INT, 0, SPEC_MAX_CLASS_NAMES - 1, "5", RA(query), .doc = "the query's class (one of the data's class ids)"},
    {"temperature", OT_NUMBERS, 1e-4, 1e4, "[1]", RA(temperature),
     .doc = "the scores q.k / sqrt(D) are divided by it; a list: one row of the figure and one matrix each"},
    {"draws", OT_INT, 1, 100000, "1000", RA(draws),
     .doc = "draws of fresh sources and queries the mean weights of the class matrix average over"},
    {0}};
static const opt_def report_translations_opts[] = {
    {"beam", OT_INT, 1, 64, "5", RA(beam), .doc = "beams of the beam search scored beside greedy search (1: greedy alone)"},
    {"count", OT_INT, 0, 50, "8", RA(count), .doc = "test sentences shown with their reference and both outputs"},
    {"maps", OT_INT, 0, 10, "3", RA(maps), .doc = "attention maps drawn (output words over source words), for the first sentences shown"},
    {0}};
static const opt_def report_cube_opts[] = {
    R_OF,
    {"count", OT_INT, 100, 1000000, "10000", .doc = "samples drawn after every epoch (the same noise each time)"},
    {0}};
const choice_def report_choices[] = {
    {"loss_curve", REP_LOSS_CURVE, report_opts, CHOICE_BARE, NULL, "training loss per iteration, smoothed (raw values light), and test loss per epoch, on an axis of epochs"},
    {"reconstructions", REP_RECONSTRUCTIONS, report_opts, CHOICE_BARE, NULL, "originals above their reconstructions"},
    {"embedding", REP_EMBEDDING, report_embedding_opts, 0, NULL,
     "a layer's codes coloured by class: 2 or 3 units as they are, wider ones projected (PCA or t-SNE)"},
    {"function_fit", REP_FUNCTION_FIT, report_opts, CHOICE_BARE, NULL, "truth, training points and prediction"},
    {"dead_units", REP_DEAD_UNITS, report_opts, CHOICE_BARE, NULL, "ReLU units that never activate"},
    {"confusion_matrix", REP_CONFUSION_MATRIX, report_opts, CHOICE_BARE, NULL, "counts and per-class accuracy"},
    {"filters", REP_FILTERS, report_layer_opts, 0, NULL, "a convolution's filters as images"},
    {"class_examples", REP_CLASS_EXAMPLES, report_opts, CHOICE_BARE, NULL, "one sample per class over its reconstruction"},
    {"points", REP_POINTS, report_points_opts, 0, NULL, "2-D points as several layers give them"},
    {"pca_baseline", REP_PCA_BASELINE, report_layer_opts, 0, NULL,
     "reconstruction error of the net and of PCA with as many components as the layer has units"},
    {"samples", REP_SAMPLES, report_samples_opts, 0, NULL, "new items from a generator, or a decoder fed N(0, I)"},
    {"manifold", REP_MANIFOLD, report_manifold_opts, 0, NULL,
     "a decoder's output over a grid of a 2-unit layer at the N(0, 1) quantiles of evenly spaced probabilities"},
    {"judge", REP_JUDGE, report_judge_opts, 0, NULL,
     "samples against the test images in a trained classifier's features: Frechet distance, class histogram"},
    {"cube_error", REP_CUBE_ERROR, report_cube_opts, 0, NULL,
     "after every epoch, the distance r of a generator's samples from U[-1, 1]^d (column cube_r) and when r <= 0.05 first held"},
    {"attention_lookup", REP_ATTENTION_LOOKUP, report_attention_opts, CHOICE_BARE | CHOICE_DATA, NULL,
     "scaled dot-product attention of a query image over one source image per class, on the raw pixels: the weights, "
     "their weighted sum, and the mean weights of every class's queries on every class's sources"},
    {"translations", REP_TRANSLATIONS, report_translations_opts, CHOICE_BARE | CHOICE_TABLE, NULL,
     "a translation model's test part translated by greedy and beam search: corpus BLEU of each (sacreBLEU's), "
     "BLEU per epoch, sample translations, attention maps; the outputs as text files"},
    {0}};

/* ---- sweep (sweep.c: at most 4 keys, 256 runs, 4 metrics) --------------------------------------- */
static const char *const sweep_metrics[] = {"train_loss", "test_loss", "accuracy", "rel_l2", "ae_train", "ae_test",
                                            "pca_train", "pca_test", "cube_r", "fd", NULL};
const opt_def sweep_opts[] = {
    {"grid", OT_GRID, 1, 4, NULL, .flags = OPT_REQUIRED,
     .doc = "key paths with their values, e.g. model.init: [he_normal, xavier_normal]; at most 256 runs"},
    {"metric", OT_ONE_OR_LIST, 0, 4, "rel_l2", .choices = sweep_metrics,
     .doc = "the final-epoch metric plotted (pca_baseline results too); a list draws one curve per metric"},
    {"x", OT_STR, 0, 0, NULL, .doc = "the grid key on the plot's x axis (default: the first)"},
    {0}};
