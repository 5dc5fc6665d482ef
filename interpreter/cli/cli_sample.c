/* `nnrun sample RUN_DIR --prime "the " --length 300`: text from a trained character model; on
 * any other run, new items of a generator or a decoder (cli_sample_images.c).
 *
 * The run's effective spec and weights are loaded into a batch-1 evaluation graph of the
 * model's own input length T. For each new character the graph is run on the last (at most T)
 * characters so far, from the zero state, and the next one is drawn from the softmax of the
 * logits at the last of them. That is exact for a causal model and is how it was trained:
 * every prediction it learnt saw at most T characters from a zero state, so a ReLU state run
 * far past T is never relied on; the cost per character stays fixed and the spec's graph is
 * used as it is. */
#include "../run/char_sample.h"
#include "../run/checkpoint.h"
#include "cli.h"
#include "cli_sample.h"
#include "../run/data_setup.h"
#include "../build/model_build.h"
#include "nn/text.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: nnrun sample RUN_DIR [--prime TEXT] [--length N] [--temperature T] [--seed N]\n"
    "       nnrun sample RUN_DIR [--count N] [--of EXPR] [--from LAYER] [--class C] [--seed N] [--out FILE.png]\n"
    "With a character model (a spec with `dataset: chars`) writes text: the prime\n"
    "(default \"the \"; mapped to the model's 27 symbols as its dataset maps text: a-z with upper case folded,\n"
    "anything else a space or dropped) followed by N generated characters (default 300), each drawn from\n"
    "the softmax of the model's output divided by T (default 1; 0 takes the most likely character).\n"
    "Each character is predicted from the last characters, at most the model's input length, as in\n"
    "training.\n"
    "With any other model draws N new items (1..10000, default 10): the output of a generator on fresh\n"
    "noise (--of G), or of a decoder whose layer --from is fed draws from N(0, I) (--of recon --from z: a\n"
    "VAE's samples); both default to the first samples, judge or manifold figure of the run's spec.\n"
    "A conditional generator (one reading the class, e.g. a cGAN's label input) draws class C (--class)\n"
    "or the classes in turn. Writes the grid to RUN_DIR/samples.png (--out) and the values, in the\n"
    "data's range, beside it as samples.safetensors (tensor samples and, conditional, labels).\n"
    "--seed (default 1) makes a draw repeatable.\n";

static int parse_number(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "nnrun sample: %s takes a number from %g to %g, not '%s'\n", opt, lo, hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* The options one mode takes, by bit: SAMPLE_PRIME is bit 0, ... (cli_sample.h). */
static const char *const mode_options[] = {"--prime", "--length", "--temperature", "--count", "--of", "--from", "--class",
                                           "--out"};
#define N_MODE_OPTIONS (int)(sizeof mode_options / sizeof mode_options[0])

/* An option with its value v into a: 0, 2 on a bad value (message printed), or -1 when o is no
 * such option. */
static int parse_option(const char *o, const char *v, sample_args *a)
{
    int rc = 0;
    if (strcmp(o, "--prime") == 0) a->prime = v;
    else if (strcmp(o, "--length") == 0) rc = cli_whole_number("sample", o, v, 1, 1000000, &a->length);
    else if (strcmp(o, "--temperature") == 0) rc = parse_number(o, v, 0, 1000, &a->temperature);
    else if (strcmp(o, "--seed") == 0) rc = cli_whole_number("sample", o, v, 0, 9000000000000000L, &a->seed);
    else if (strcmp(o, "--count") == 0) rc = cli_whole_number("sample", o, v, 1, 10000, &a->count);
    else if (strcmp(o, "--class") == 0) rc = cli_whole_number("sample", o, v, 0, INT_MAX, &a->cls);
    else if (strcmp(o, "--of") == 0) a->of = v;
    else if (strcmp(o, "--from") == 0) a->from = v;
    else if (strcmp(o, "--out") == 0) a->out = v;
    else return -1;
    for (int k = 0; k < N_MODE_OPTIONS; k++)
        if (strcmp(o, mode_options[k]) == 0) a->given |= 1u << k;
    return rc < 0 ? 2 : 0;
}

/* Returns 0, 1 after --help, 2 on bad usage (message printed). */
static int parse_args(int argc, char **argv, sample_args *a)
{
    *a = (sample_args){.seed = 1, .prime = "the ", .length = 300, .temperature = 1.0, .count = 10};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int rc = i + 1 < argc ? parse_option(o, argv[i + 1], a) : -1;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (rc >= 0) {
            if (rc) return rc;
            i++;
        } else if (o[0] != '-' && !a->run) a->run = o;
        else {
            fprintf(stderr, "nnrun sample: unexpected argument '%s' (see --help)\n", o);
            return 2;
        }
    }
    if (!a->run) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}

/* The first of the options in `bits` that were given, or NULL. */
static const char *first_given(const sample_args *a, unsigned bits)
{
    for (int k = 0; k < N_MODE_OPTIONS; k++)
        if (a->given & bits & (1u << k)) return mode_options[k];
    return NULL;
}

/* The options fit the mode the run's data picks: 0, or 2 with a message. */
static int check_mode(const sample_args *a, const spec *s)
{
    int chars = s->data.train.kind == DS_CHARS;
    const char *o = first_given(a, chars ? SAMPLE_IMAGE_OPTIONS : SAMPLE_TEXT_OPTIONS);
    if (!o) return 0;
    if (chars)
        fprintf(stderr, "nnrun sample: %s is for generators and decoders; %s is a character model, which writes text "
                        "(--prime, --length, --temperature, --seed)\n", o, a->run);
    else
        fprintf(stderr, "nnrun sample: %s is for character models; %s is not one (its data is not `dataset: chars`), so it "
                        "draws images (--count, --of, --from, --class, --seed, --out)\n", o, a->run);
    return 2;
}

/* The run folder holds a trained run: spec.yaml and model.safetensors. */
static int check_run_dir(const char *run)
{
    struct stat st;
    char path[1100];
    if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "nnrun sample: no run folder '%s' (train one with `nnrun SPEC`; runs go to runs/<name>)\n", run);
        return -1;
    }
    snprintf(path, sizeof path, "%s/spec.yaml", run);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "nnrun sample: '%s' has no spec.yaml; is it a run folder?\n", run);
        return -1;
    }
    return 0;
}

/* The logits layer of a character model: the first loss' prediction, (1, T, 27). */
static int char_logits(const spec *s, const model_graph *m, const char *run)
{
    int li = spec_find_layer(s, spec_first_loss(s)->pred);
    const nn_shape *sh = li >= 0 ? &m->g->nodes[m->out[li]].shape : NULL;
    if (s->data.train.kind != DS_CHARS || !sh || sh->ndim != 3 || sh->d[2] != NN_CHAR_SYMBOLS) {
        fprintf(stderr, "nnrun sample: %s is not a character model (it needs `dataset: chars` data and a first loss "
                        "predicting %d symbols at every step)\n", run, NN_CHAR_SYMBOLS);
        return -1;
    }
    return m->out[li];
}

/* Appends a.length characters to text[0..n) (room for n + a.length), running m each time. */
static void generate(model_graph *m, int logits, unsigned char *text, size_t n, const sample_args *a)
{
    nn_graph *g = m->g;
    size_t T = nn_numel(g, m->x);
    float *x = nn_data(g, m->x);
    nn_rng r;
    nn_rng_seed(&r, (uint64_t)a->seed);
    for (long k = 0; k < a->length; k++, n++) {
        size_t w = n < T ? n : T;   /* the window: the last w characters, at positions 0..w-1 */
        for (size_t t = 0; t < T; t++) x[t] = t < w ? (float)text[n - w + t] : 0.0f;
        nn_plan_run(g, m->plan);
        text[n] = (unsigned char)char_sample_next(nn_data(g, logits) + (w - 1) * NN_CHAR_SYMBOLS, NN_CHAR_SYMBOLS,
                                                  (float)a->temperature, &r);
    }
}

/* Text from the character model of spec s: the exit status (spec errors go to dg). */
static int sample_text(const sample_args *a, const spec *s, const data_info *info, diag *dg)
{
    char path[1100], err[1024];
    unsigned char *text = NULL;
    nn_rng init;
    nn_rng_seed(&init, s->seed);
    model_graph *m = model_build(s, info, 1, 0, NULL, &init, dg);
    int rc = 2;
    if (!m) return rc;
    int logits = char_logits(s, m, a->run);
    if (logits < 0 || model_plan(m, &logits, 1) < 0) goto done;
    rc = 1;
    snprintf(path, sizeof path, "%s/model.safetensors", a->run);
    if (checkpoint_load_weights(m, path, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun sample: %s\n", err);
        goto done;
    }
    size_t plen = strlen(a->prime);
    if (!(text = malloc(plen + (size_t)a->length + 1))) goto done;
    int n = char_prime_ids(a->prime, s->data.train.fold_drop, text, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "nnrun sample: %s\n", err);
        rc = 2;
        goto done;
    }
    generate(m, logits, text, (size_t)n, a);
    for (size_t i = 0; i < (size_t)n + (size_t)a->length; i++) putchar(nn_char_of_symbol(text[i]));
    putchar('\n');
    rc = 0;
done:
    free(text);
    model_free(m);
    return rc;
}

int cmd_sample(int argc, char **argv)
{
    sample_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    if (check_run_dir(a.run) < 0) return 2;
    char path[1100];
    snprintf(path, sizeof path, "%s/spec.yaml", a.run);
    diag dg;
    diag_init(&dg);
    spec *s = spec_load(path, NULL, 0, &dg);
    data_info info;
    rc = 2;
    if (s && data_describe(s, &info, &dg) == 0 && check_mode(&a, s) == 0)
        rc = s->data.train.kind == DS_CHARS ? sample_text(&a, s, &info, &dg) : sample_images(&a, s, &info);
    diag_print(&dg, stderr);
    if (diag_count(&dg)) rc = 2;
    spec_free(s);
    diag_free(&dg);
    return rc;
}
