/* `nnrun sample RUN_DIR --prime "the " --length 300`: text from a trained character model.
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
#include "../run/data_setup.h"
#include "../build/model_build.h"
#include "nn/text.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: nnrun sample RUN_DIR [--prime TEXT] [--length N] [--temperature T] [--seed N]\n"
    "Writes text with the character model trained in RUN_DIR (a spec with `dataset: chars`): the prime\n"
    "(default \"the \"; mapped to the model's 27 symbols as its dataset maps text: a-z with upper case folded,\n"
    "anything else a space or dropped) followed by N generated characters (default 300), each drawn from\n"
    "the softmax of the model's output divided by T (default 1; 0 takes the most likely character).\n"
    "Each character is predicted from the last characters, at most the model's input length, as in\n"
    "training. --seed (default 1) makes a draw repeatable.\n";

typedef struct {
    const char *run, *prime;
    long length, seed;
    double temperature;
} sample_args;

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

/* Returns 0, 1 after --help, 2 on bad usage (message printed). */
static int parse_args(int argc, char **argv, sample_args *a)
{
    *a = (sample_args){NULL, "the ", 300, 1, 1.0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(o, "--prime") == 0 && has_value) a->prime = argv[++i];
        else if (strcmp(o, "--length") == 0 && has_value) {
            if (cli_whole_number("sample", o, argv[++i], 1, 1000000, &a->length) < 0) return 2;
        } else if (strcmp(o, "--temperature") == 0 && has_value) {
            if (parse_number(o, argv[++i], 0, 1000, &a->temperature) < 0) return 2;
        } else if (strcmp(o, "--seed") == 0 && has_value) {
            if (cli_whole_number("sample", o, argv[++i], 0, 9000000000000000L, &a->seed) < 0) return 2;
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

int cmd_sample(int argc, char **argv)
{
    sample_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    if (check_run_dir(a.run) < 0) return 2;
    char path[1100], err[1024];
    snprintf(path, sizeof path, "%s/spec.yaml", a.run);
    diag dg;
    diag_init(&dg);
    spec *s = spec_load(path, NULL, 0, &dg);
    data_info info;
    model_graph *m = NULL;
    unsigned char *text = NULL;
    rc = 2;
    if (!s || data_describe(s, &info, &dg) < 0) goto done;
    nn_rng init;
    nn_rng_seed(&init, s->seed);
    if (!(m = model_build(s, &info, 1, 0, NULL, &init, &dg))) goto done;
    int logits = char_logits(s, m, a.run);
    if (logits < 0 || model_plan(m, &logits, 1) < 0) goto done;
    rc = 1;
    snprintf(path, sizeof path, "%s/model.safetensors", a.run);
    if (checkpoint_load_weights(m, path, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun sample: %s\n", err);
        goto done;
    }
    size_t plen = strlen(a.prime);
    if (!(text = malloc(plen + (size_t)a.length + 1))) goto done;
    int n = char_prime_ids(a.prime, s->data.train.fold_drop, text, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "nnrun sample: %s\n", err);
        rc = 2;
        goto done;
    }
    generate(m, logits, text, (size_t)n, &a);
    for (size_t i = 0; i < (size_t)n + (size_t)a.length; i++) putchar(nn_char_of_symbol(text[i]));
    putchar('\n');
    rc = 0;
done:
    diag_print(&dg, stderr);
    if (diag_count(&dg)) rc = 2;
    free(text);
    model_free(m);
    spec_free(s);
    diag_free(&dg);
    return rc;
}
