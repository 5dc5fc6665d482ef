/* pair_files.h — the translation packages' files written by a test: DIR/en/doc-K.json (an array
 * of English strings, as nlp-corpus ships them) and DIR/fr/doc-K.json (an array of
 * [french, MD5 of the english], as fr-corpus does), from made-up sentences (include after
 * cmocka.h). */
#ifndef NNRUN_TEST_PAIR_FILES_H
#define NNRUN_TEST_PAIR_FILES_H
#include <stdio.h>
#include <sys/stat.h>
#include "../runtime/data/md5.h"

/* A JSON string literal of s (quotes and backslashes escaped; the rest as it is). */
static inline void pair_files_put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* File K of the pair with the n sentences en[i], fr[i]; md5[i] (NULL: the English's real MD5)
 * stands in for a wrong or differently computed hash. */
static inline void write_pair_file(const char *dir, int k, const char *const *en, const char *const *fr,
                                   const char *const *md5, int n)
{
    char path[512], hex[33];
    snprintf(path, sizeof path, "%s/en", dir);
    mkdir(dir, 0777), mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/fr", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/en/doc-%d.json", dir, k);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[\n", f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ",\n  " : "  ", f);
        pair_files_put_string(f, en[i]);
    }
    fputs("\n]", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/fr/doc-%d.json", dir, k);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[\n", f);
    for (int i = 0; i < n; i++) {
        nn_md5_hex(en[i], strlen(en[i]), hex);
        fputs(i ? ",\n  [" : "  [", f);
        pair_files_put_string(f, fr[i]);
        fputs(", ", f);
        pair_files_put_string(f, md5 && md5[i] ? md5[i] : hex);
        fputc(']', f);
    }
    fputs("\n]", f);
    fclose(f);
}
#endif
