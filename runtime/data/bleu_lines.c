/* Sentence files for BLEU, one sentence a line, read as sacreBLEU reads them: UTF-8, lines
 * ended by '\n' alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/fail.h"
#include "../io/json_lite.h"
#include "nn/bleu.h"
#include "nn/regular_file.h"

void nn_bleu_lines_free(nn_bleu_lines *l)
{
    for (long i = 0; i < l->n; i++) free(l->line[i]);
    free(l->line);
    memset(l, 0, sizeof *l);
}

/* Checks line number lineno (1-based) of path, s[0..len): UTF-8 without NUL bytes. */
static int check_line(const char *path, long lineno, const char *s, size_t len, char *err, size_t errlen)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        int k = jl_utf8_seq_len(u + i, len - i);
        if (!k) return nn_fail(err, errlen, "%s:%ld: not UTF-8 text (byte 0x%02x at byte %zu of the line)", path, lineno, u[i], i + 1);
        if (u[i] == 0) return nn_fail(err, errlen, "%s:%ld: a NUL byte at byte %zu of the line", path, lineno, i + 1);
        i += (size_t)k;
    }
    return 0;
}

/* Appends the line s (its own storage) to out. */
static int append(nn_bleu_lines *out, long *cap, char *s)
{
    if (out->n == *cap) {
        long c = *cap ? 2 * *cap : 256;
        char **p = realloc(out->line, (size_t)c * sizeof *p);
        if (!p) return -1;
        out->line = p, *cap = c;
    }
    out->line[out->n++] = s;
    return 0;
}

int nn_bleu_read_lines(const char *path, nn_bleu_lines *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int is_stdin = strcmp(path, "-") == 0;
    char why[NN_WHY_LEN];
    FILE *f = is_stdin ? stdin : nn_fopen_regular(path, why, sizeof why);
    if (!f) return nn_fail(err, errlen, "%s: %s", path, why);
    const char *name = is_stdin ? "(standard input)" : path;
    char *buf = NULL;
    size_t cap = 0;
    long lines_cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&buf, &cap, f)) > 0) {
        size_t len = (size_t)n - (buf[n - 1] == '\n');
        char *s = NULL;
        if (check_line(name, out->n + 1, buf, len, err, errlen) < 0) rc = -1;
        else if (!(s = malloc(len + 1)) || append(out, &lines_cap, s) < 0) rc = nn_fail(err, errlen, "%s: out of memory", name);
        if (rc) free(s);
        else memcpy(s, buf, len), s[len] = '\0';
    }
    if (rc == 0 && ferror(f)) rc = nn_fail(err, errlen, "%s: read error", name);
    free(buf);
    if (!is_stdin) fclose(f);
    if (rc) nn_bleu_lines_free(out);
    return rc;
}
