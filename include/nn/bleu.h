/* nn/bleu.h — corpus BLEU exactly as sacreBLEU 2.x computes it by default: the 13a tokenizer
 * (mteval-v13a's rules), case kept, n-grams 1..4 clipped by the reference counts, 'exp'
 * smoothing (mteval's: the k-th order with no match counts 1 / 2^k matches), the brevity
 * penalty, no effective order. Corpus BLEU sums the statistics of every sentence and scores
 * the sums once; it is not the mean of sentence scores.
 *
 *     nn_bleu_stats s;
 *     nn_bleu_stats_init(&s);
 *     for (int i = 0; i < n; i++)
 *         if (nn_bleu_add(&s, hyp[i], &ref[i], 1) < 0) ...   // an empty reference
 *     nn_bleu_score b = nn_bleu_corpus(&s);                   // b.score in 0..100
 *     char sig[NN_BLEU_SIGNATURE_LEN];
 *     printf("BLEU|%s = %.4f\n", nn_bleu_signature(&s, sig, sizeof sig), b.score);
 *
 * Strings are UTF-8 (sacreBLEU decodes its files as UTF-8; nn_bleu_read_lines checks it, and
 * here a byte that is not part of a valid sequence is an ordinary non-space character). "Space"
 * is Python's str.isspace(): ASCII \t \n \v \f \r, 0x1c..0x1f and ' ', and U+0085, U+00A0,
 * U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. */
#ifndef NN_BLEU_H
#define NN_BLEU_H

#include <stddef.h>

#define NN_BLEU_ORDER 4              /* n-grams 1..4 */
#define NN_BLEU_SIGNATURE_LEN 96     /* room for any signature nn_bleu_signature writes */
/* The sacreBLEU release whose behaviour this matches (the signature's version field). */
#define NN_BLEU_SACREBLEU_VERSION "2.5.1"

/* The sufficient statistics of a corpus, summed over its sentences. */
typedef struct {
    long long hyp_len;                   /* hypothesis tokens */
    long long ref_len;                   /* tokens of each sentence's closest reference */
    long long correct[NN_BLEU_ORDER];    /* [n-1]: hypothesis n-grams matched, clipped */
    long long total[NN_BLEU_ORDER];      /* [n-1]: hypothesis n-grams */
    long long sentences;
    int min_refs, max_refs;              /* references per sentence (empty ones dropped) */
} nn_bleu_stats;

typedef struct {
    double score;                        /* 0..100 */
    double precision[NN_BLEU_ORDER];     /* percent, smoothed ('exp'); 0 past an order with no n-grams */
    double bp;                           /* brevity penalty, 0..1 */
    double ratio;                        /* hyp_len / ref_len (0 when ref_len is 0) */
} nn_bleu_score;

void nn_bleu_stats_init(nn_bleu_stats *s);

/* Adds one sentence: hypothesis hyp against n_refs references. Each string is first stripped of
 * trailing spaces (sacreBLEU's rstrip), then tokenized with 13a. A reference that is empty
 * after the strip is dropped (sacreBLEU's variable references); when all are, nothing is added
 * and -1 is returned (sacreBLEU refuses such a corpus). Returns 0 otherwise. */
int nn_bleu_add(nn_bleu_stats *s, const char *hyp, const char *const *refs, int n_refs);

/* s + t, sentence by sentence (statistics gathered in parts: threads, ranks, batches). */
void nn_bleu_stats_merge(nn_bleu_stats *s, const nn_bleu_stats *t);

/* The corpus score of the summed statistics. */
nn_bleu_score nn_bleu_corpus(const nn_bleu_stats *s);

/* sacreBLEU's signature of the score, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.5.1"
 * (nrefs:var when sentences had different numbers of references), written into buf; returns
 * buf. */
const char *nn_bleu_signature(const nn_bleu_stats *s, char *buf, size_t len);

/* ---- sentence files ----------------------------------------------------------------------- */

/* The lines of a text file as sacreBLEU reads them: split at '\n' only (a '\r' stays, and is
 * a trailing space), the last line counted without its '\n', an empty file has no line. */
typedef struct {
    long n;
    char **line;            /* n NUL-terminated lines without their '\n' */
} nn_bleu_lines;

/* Reads path ("-": standard input) into out. Fails, with "PATH:LINE: ..." in err, on a byte
 * sequence that is not UTF-8 or a NUL byte (sacreBLEU could not decode it either), or when the
 * file cannot be read. Returns 0 or -1; out is empty (safe to free) on failure. */
int nn_bleu_read_lines(const char *path, nn_bleu_lines *out, char *err, size_t errlen);
void nn_bleu_lines_free(nn_bleu_lines *l);

/* ---- the 13a tokenizer -------------------------------------------------------------------- */

/* sacreBLEU's tokenizer_13a on line[0..len): "<skipped>" removed, "-\n" joined, other newlines
 * made spaces, &quot; &amp; &lt; &gt; unescaped (one pass each, in that order); then ASCII
 * punctuation other than ' , - . split off, '.' and ',' split off unless between digits ("1,000"
 * and "3.14" stay whole; "end." and ".5" do not), '-' split off after a digit; tokens are
 * the runs of non-space characters. Returns the tokens joined by single spaces, NUL-terminated
 * (malloc'd; the caller frees it), or NULL when out of memory. *out_len (if given) is its
 * length. */
char *nn_bleu_tokenize_13a(const char *line, size_t len, size_t *out_len);

/* The length of s[0..len) without its trailing spaces (Python's str.rstrip()). */
size_t nn_bleu_rstrip_len(const char *s, size_t len);

#endif
