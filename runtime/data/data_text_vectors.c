/* Pre-trained word vectors (GloVe's or word2vec's text format) copied into the rows of an
 * embedding table for the words of a vocabulary.
 *
 * Format: one word per line, "word v1 v2 ... vD", separated by spaces; word2vec's optional
 * first line "COUNT D" is skipped. Words not in the vocabulary are skipped (a file usually
 * holds far more words than a vocabulary), and a word's row is written once, by its first
 * line. Any line of the wrong width or with a value that is not a number is an error naming
 * the line: a truncated or mismatched file must not silently half-initialise a model. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

/* Is line "COUNT D" (two integers), word2vec's header? */
static int is_word2vec_header(const char *line)
{
    long a, b;
    char rest;
    return sscanf(line, "%ld %ld %c", &a, &b, &rest) == 2;
}

/* Parses dim floats from s into row (NULL: only validates). Returns the count parsed, which is
 * dim + 1 when there are too many and less than dim on a bad value or too few. */
static int parse_values(const char *s, float *row, int dim)
{
    int k = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '\0' || *s == '\n' || *s == '\r') return k;
        if (k == dim) return dim + 1;
        char *end;
        errno = 0;
        float v = strtof(s, &end);
        if (end == s || errno == ERANGE || !isfinite(v) || (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r'))
            return -1 - k;
        if (row) row[k] = v;
        k++;
        s = end;
    }
}

int nn_word_vectors_load(const char *path, const nn_vocab *v, float *table, int rows, int dim, int *found,
                         char *err, size_t errlen)
{
    *found = 0;
    FILE *f = nn_data_fopen(path, err, errlen);
    if (!f) return -1;
    unsigned char *seen = calloc((size_t)rows, 1);
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = seen ? 0 : nn_fail(err, errlen, "%s: out of memory", path);
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (lineno == 1 && is_word2vec_header(line)) continue;
        size_t wlen = strcspn(line, " \t\r\n");
        if (wlen == 0 && strspn(line, " \t\r\n") == strlen(line)) continue;   /* blank line */
        int id = nn_vocab_id(v, line, wlen);
        int take = id >= v->first_word && id < rows && !seen[id];
        int n = parse_values(line + wlen, take ? table + (size_t)id * dim : NULL, dim);
        if (n < 0)
            rc = nn_fail(err, errlen, "%s:%ld: value %d of '%.*s' is not a finite number", path, lineno, -n,
                         (int)(wlen < 40 ? wlen : 40), line);
        else if (n != dim)
            rc = nn_fail(err, errlen, "%s:%ld: '%.*s' has %s%d values, the embedding has %d dimensions", path, lineno,
                         (int)(wlen < 40 ? wlen : 40), line, n > dim ? "more than " : "", n > dim ? dim : n, dim);
        else if (take) {
            seen[id] = 1;
            (*found)++;
        }
    }
    if (rc == 0 && ferror(f)) rc = nn_fail(err, errlen, "%s: read error", path);
    if (rc == 0 && lineno == 0) rc = nn_fail(err, errlen, "%s: the word-vector file is empty", path);
    free(line);
    free(seen);
    fclose(f);
    return rc;
}
