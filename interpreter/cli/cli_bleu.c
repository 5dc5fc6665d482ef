/* `nnrun bleu HYP REF...`: corpus BLEU of any system's output, the number sacreBLEU gives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "nn/bleu.h"

static const char usage[] =
    "usage: nnrun bleu HYP.txt REF.txt [REF2.txt ...]\n"
    "Corpus BLEU of the hypotheses in HYP.txt (one sentence a line; - reads standard input)\n"
    "against the references on the same lines of REF.txt (and of more reference files), as\n"
    "sacreBLEU " NN_BLEU_SACREBLEU_VERSION " computes it by default: 13a tokenizer, case kept, 4-grams, 'exp'\n"
    "smoothing, brevity penalty. Prints sacreBLEU's line: the signature, the score, the n-gram\n"
    "precisions, the brevity penalty and the lengths. Every file needs the same number of lines;\n"
    "exit status 2 when they differ or a file is not UTF-8 text.\n";

/* Reads the hypotheses and the k references (files[0..k]) into lines[0..k] and checks that
 * they have the same number of lines; a message on stderr and -1 otherwise. */
static int read_all(char **files, int k, nn_bleu_lines *lines)
{
    char err[512];
    for (int i = 0; i <= k; i++) {
        if (nn_bleu_read_lines(files[i], &lines[i], err, sizeof err) < 0) {
            fprintf(stderr, "nnrun bleu: %s\n", err);
            return -1;
        }
        if (i && lines[i].n != lines[0].n) {
            fprintf(stderr, "nnrun bleu: %s has %ld lines but %s has %ld: one sentence a line in each, the same count\n",
                    files[0], lines[0].n, files[i], lines[i].n);
            return -1;
        }
    }
    if (lines[0].n == 0) {
        fprintf(stderr, "nnrun bleu: %s has no line: no sentence to score\n", files[0]);
        return -1;
    }
    return 0;
}

/* The statistics of every line; -1 with a message on a line whose references are all empty. */
static int score_lines(char **files, int k, const nn_bleu_lines *lines, nn_bleu_stats *s)
{
    const char **refs = malloc((size_t)k * sizeof *refs);
    if (!refs) return -1;
    nn_bleu_stats_init(s);
    int rc = 0;
    for (long i = 0; i < lines[0].n && rc == 0; i++) {
        for (int j = 0; j < k; j++) refs[j] = lines[1 + j].line[i];
        if (nn_bleu_add(s, lines[0].line[i], refs, k) == 0) continue;
        if (k == 1) fprintf(stderr, "nnrun bleu: %s:%ld: the reference is empty (sacreBLEU refuses empty references)\n", files[1], i + 1);
        else fprintf(stderr, "nnrun bleu: line %ld is empty in all %d reference files (sacreBLEU refuses that)\n", i + 1, k);
        rc = -1;
    }
    free(refs);
    return rc;
}

int cmd_bleu(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "nnrun bleu: unknown option %s\n%s", argv[i], usage);
            return 2;
        }
    if (argc < 3) {
        fputs(usage, stderr);
        return 2;
    }
    int k = argc - 2;   /* reference files */
    nn_bleu_lines *lines = calloc((size_t)k + 1, sizeof *lines);
    if (!lines) return 1;
    nn_bleu_stats s;
    int rc = read_all(argv + 1, k, lines) < 0 || score_lines(argv + 1, k, lines, &s) < 0 ? 2 : 0;
    if (rc == 0) {
        nn_bleu_score b = nn_bleu_corpus(&s);
        char sig[NN_BLEU_SIGNATURE_LEN];
        printf("BLEU|%s = %.4f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld ref_len = %lld)\n",
               nn_bleu_signature(&s, sig, sizeof sig), b.score, b.precision[0], b.precision[1], b.precision[2],
               b.precision[3], b.bp, b.ratio, s.hyp_len, s.ref_len);
    }
    for (int i = 0; i <= k; i++) nn_bleu_lines_free(&lines[i]);
    free(lines);
    return rc;
}
