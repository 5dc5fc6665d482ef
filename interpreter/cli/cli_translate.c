/* `nnrun translate RUN [SENTENCE...] [--beam N]`: a trained translation model (a run folder of
 * a spec on translation data) translates the sentences given, or the lines of standard input
 * when none is: each is normalised as the data was (nn_pair_normalize), encoded with the run's
 * source vocabulary (vocab_source.txt; unknown words become <unk>), decoded by greedy search or
 * beam search (seq_search.h) and printed as the target vocabulary's words; --attention draws,
 * for each, the weights of the decoder's last attention over the source at every output step. */
#include "cli.h"
#include "../run/checkpoint.h"
#include "../run/data_setup.h"
#include "../run/seq_search.h"
#include "../run/translate_eval.h"
#include "../out/report.h"
#include "nn/text.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRANSLATE_BATCH 64

static const char usage[] =
    "usage: nnrun translate RUN_DIR [SENTENCE...] [--beam N] [--attention FILE.png]\n"
    "Translates each SENTENCE (or each line of standard input when none is given) with the trained model of\n"
    "RUN_DIR, a run of a spec on translation data: normalised as the data was, encoded with the run's source\n"
    "vocabulary, decoded by greedy search or, with --beam N (2..64), beam search with length normalisation.\n"
    "Prints one translation per line. --attention FILE.png (greedy search) draws the weights of the decoder's last\n"
    "attention over the source for each output word (several sentences: FILE_1.png, FILE_2.png, ...).\n";

typedef struct {
    const char *run;
    char **sentences;
    int n_sentences;
    long beam;
    const char *attention;   /* PNG of the attention maps, or NULL */
} translate_args;

static int parse_args(int argc, char **argv, translate_args *a)
{
    a->beam = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strcmp(argv[i], "--beam") == 0 && i + 1 < argc) {
            if (cli_whole_number("translate", "--beam", argv[++i], 1, 64, &a->beam) < 0) return 2;
        } else if (strcmp(argv[i], "--attention") == 0 && i + 1 < argc) {
            a->attention = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "nnrun translate: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (!a->run) a->run = argv[i];
        else a->sentences[a->n_sentences++] = argv[i];
    }
    if (!a->run) {
        fputs(usage, stderr);
        return 2;
    }
    if (a->attention && a->beam > 1) {
        fprintf(stderr, "nnrun translate: --attention draws greedy search's steps; give it without --beam\n");
        return 2;
    }
    return 0;
}

/* A trained model and its two vocabularies. */
typedef struct {
    spec *s;
    model_graph *m;
    run_data rd;           /* the vocabularies only */
    step_decoder *sd;
    int words;             /* source ids per sentence */
} translator;

static int translator_open(translator *tr, const char *run, int beams, diag *d)
{
    char path[PATH_MAX], err[1024];
    memset(tr, 0, sizeof *tr);
    snprintf(path, sizeof path, "%s/spec.yaml", run);
    tr->s = spec_load(path, NULL, 0, d);
    data_info info;
    if (!tr->s || data_describe(tr->s, &info, d) < 0) return 2;
    if (tr->s->data.train.kind != DS_TRANSLATION) {
        fprintf(stderr, "nnrun translate: %s is not a run on translation data\n", run);
        return 2;
    }
    static const char *const files[2] = {"vocab_source.txt", "vocab_target.txt"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", run, files[k]);
        if (nn_vocab_load(path, &tr->rd.vocab[k], err, sizeof err) < 0) {
            fprintf(stderr, "nnrun translate: %s\n", err);
            return 1;
        }
    }
    nn_rng r;
    nn_rng_seed(&r, tr->s->seed);
    tr->m = model_build(tr->s, &info, TRANSLATE_BATCH, 0, NULL, &r, d);
    if (!tr->m) return 2;
    snprintf(path, sizeof path, "%s/model.safetensors", run);
    if (checkpoint_load_weights(tr->m, path, err, sizeof err) < 0 ||
        !(tr->sd = step_decoder_new(tr->m, translate_pred_layer(tr->s), beams, err, sizeof err))) {
        fprintf(stderr, "nnrun translate: %s\n", err);
        return 1;
    }
    tr->words = info.sample.d[0];
    return 0;
}

static void translator_close(translator *tr)
{
    step_decoder_free(tr->sd);
    model_free(tr->m);
    data_release(&tr->rd);
    spec_free(tr->s);
}

/* Sentence -> source ids (words, then PAD); a longer one keeps its first words, saying so. */
static void encode(const translator *tr, const char *sentence, float *x)
{
    size_t len = strlen(sentence);
    char *norm = malloc(2 * len + 1);
    int *ids = malloc((size_t)tr->words * sizeof *ids), n = 0;
    if (norm && ids) {
        nn_pair_normalize(sentence, len, norm);
        n = nn_vocab_encode(&tr->rd.vocab[EMB_WORDS_SOURCE], norm, ids, tr->words);
        if (n > tr->words) fprintf(stderr, "nnrun translate: '%s' has %d words; the model reads the first %d\n", sentence, n, tr->words);
    }
    for (int t = 0; t < tr->words; t++) x[t] = ids && t < n ? (float)ids[t] : 0.0f;
    free(norm);
    free(ids);
}

/* Sentence `index` (from 1) of `count`'s attention map: FILE.png itself for one sentence, else
 * FILE_<index>.png. */
static int draw_attention(const translator *tr, const char *file, int index, int count, const char *sentence, const int *tokens,
                          const float *att, char *err, size_t errlen)
{
    char png[1100], title[256];
    size_t len = strlen(file), stem = len > 4 && strcmp(file + len - 4, ".png") == 0 ? len - 4 : len;
    if (count == 1) snprintf(png, sizeof png, "%s", file);
    else snprintf(png, sizeof png, "%.*s_%d.png", (int)stem, file, index);
    snprintf(title, sizeof title, "%s: attention over \"%.150s\"", tr->s->name, sentence);
    int S;
    step_decoder_attention(tr->sd, &S);
    char norm[1024];
    nn_pair_normalize(sentence, strlen(sentence) < 500 ? strlen(sentence) : 500, norm);
    return report_attention_map(png, title, norm, tokens, att, step_decoder_steps(tr->sd), S, &tr->rd.vocab[EMB_WORDS_TARGET], err,
                                errlen);
}

/* Translates n sentences (the first of them number `first` of `count`) and prints them. */
static int translate_batch(translator *tr, char *const *sentences, int n, int beams, const char *attention, int first, int count)
{
    int T = step_decoder_steps(tr->sd), S = 0;
    if (attention && !step_decoder_attention(tr->sd, &S)) {
        fprintf(stderr, "nnrun translate: --attention: the model's decoder has no attention over the source\n");
        return 2;
    }
    float *x = calloc((size_t)n * tr->words, sizeof *x), *att = attention ? malloc((size_t)n * T * S * sizeof *att) : NULL;
    int *out = malloc((size_t)n * T * sizeof *out), rc = 0;
    char err[512], line[4096];
    if (!x || !out || (attention && !att)) rc = -1, snprintf(err, sizeof err, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) encode(tr, sentences[i], x + (size_t)i * tr->words);
    if (rc == 0) rc = seq_search(tr->sd, x, n, beams, NN_PAIR_EOS, out, att, err, sizeof err);
    for (int i = 0; rc == 0 && i < n; i++) {
        nn_vocab_decode(&tr->rd.vocab[EMB_WORDS_TARGET], out + (size_t)i * T, T, line, sizeof line);
        printf("%s\n", line);
        if (attention)
            rc = draw_attention(tr, attention, first + i, count, sentences[i], out + (size_t)i * T, att + (size_t)i * T * S, err,
                                sizeof err);
    }
    if (rc < 0) fprintf(stderr, "nnrun translate: %s\n", err);
    free(x);
    free(out);
    free(att);
    return rc < 0 ? 1 : 0;
}

/* Lines of standard input, TRANSLATE_BATCH at a time. */
static int translate_stdin(translator *tr, int beams)
{
    char *lines[TRANSLATE_BATCH] = {0}, *buf = NULL;
    size_t cap = 0;
    int n = 0, rc = 0;
    ssize_t len;
    while (rc == 0 && (len = getline(&buf, &cap, stdin)) >= 0) {
        if (len > 0 && buf[len - 1] == '\n') buf[len - 1] = '\0';
        if (!(lines[n++] = strdup(buf))) rc = 1;
        if (rc == 0 && n == TRANSLATE_BATCH) {
            rc = translate_batch(tr, lines, n, beams, NULL, 0, 0);
            while (n > 0) free(lines[--n]);
        }
    }
    if (rc == 0 && n > 0) rc = translate_batch(tr, lines, n, beams, NULL, 0, 0);
    while (n > 0) free(lines[--n]);
    free(buf);
    return rc;
}

int cmd_translate(int argc, char **argv)
{
    translate_args a = {0};
    a.sentences = calloc((size_t)argc, sizeof *a.sentences);
    if (!a.sentences) return 1;
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        free(a.sentences);
        return rc == 1 ? 0 : rc;
    }
    diag d;
    diag_init(&d);
    translator tr;
    rc = translator_open(&tr, a.run, (int)a.beam, &d);
    diag_print(&d, stderr);
    for (int i = 0; rc == 0 && i < a.n_sentences; i += TRANSLATE_BATCH)
        rc = translate_batch(&tr, a.sentences + i, a.n_sentences - i < TRANSLATE_BATCH ? a.n_sentences - i : TRANSLATE_BATCH, (int)a.beam,
                             a.attention, i + 1, a.n_sentences);
    if (rc == 0 && a.n_sentences == 0) {
        if (a.attention) fprintf(stderr, "nnrun translate: --attention draws the sentences given on the command line, not standard input's\n");
        rc = a.attention ? 2 : translate_stdin(&tr, (int)a.beam);
    }
    translator_close(&tr);
    diag_free(&d);
    free(a.sentences);
    return rc;
}
