/* Text datasets: the reviews JSON reader (escapes, malformed input), clean-up, word and
 * character tokens, vocabulary order and ids, fixed-length encoding, the character corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nn/text.h"
#include "tmpdir.h"

static char err[1024];

static int parse(const char *json, nn_text_set *s)
{
    return nn_parse_reviews_json(json, strlen(json), "r.json", s, err, sizeof err);
}

/* A set viewing the given strings and labels (nothing owned but the arrays). */
static nn_text_set make_set(const char **texts, const int *labels, int n)
{
    nn_text_set s = {.n = n, .text = malloc((size_t)n * sizeof(char *)), .len = malloc((size_t)n * sizeof(size_t)),
                     .label = malloc((size_t)n * sizeof(int))};
    for (int i = 0; i < n; i++) {
        s.text[i] = texts[i];
        s.len[i] = strlen(texts[i]);
        s.label[i] = labels[i];
    }
    return s;
}

/* ---- JSON ---- */

static void json_decodes_every_escape_and_surrogate_pair(void **state)
{
    (void)state;
    nn_text_set s;
    const char *json = "[{\"t\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00\", \"s\": 1},\n"
                       " {\"s\": 0, \"t\": \"plain caf\xc3\xa9\"}]";
    assert_int_equal(parse(json, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.text[0], "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80");
    assert_int_equal(s.len[0], strlen(s.text[0]));
    assert_int_equal(s.label[0], 1);
    assert_string_equal(s.text[1], "plain caf\xc3\xa9");
    assert_int_equal(s.label[1], 0);
    nn_text_set_free(&s);
    assert_null(s.text);
}

static void expect_parse_error(const char *json, const char *what, const char *where)
{
    nn_text_set s;
    assert_int_equal(parse(json, &s), -1);
    assert_non_null(strstr(err, "r.json"));
    if (!strstr(err, what) || !strstr(err, where)) fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err, what, where);
    assert_null(s.text);
    nn_text_set_free(&s);
}

static void json_malformed_input_fails_with_byte_offset(void **state)
{
    (void)state;
    expect_parse_error("[{\"t\": \"abc", "unterminated string", "byte 11");
    expect_parse_error("[{\"t\": \"a\", \"s\": 1}", "unterminated array", "byte");
    expect_parse_error("[{\"t\": \"a\\x\", \"s\": 1}]", "unknown escape", "byte 11");
    expect_parse_error("[{\"t\": \"\\ud83d\", \"s\": 1}]", "surrogate", "byte");
    expect_parse_error("[{\"t\": 5, \"s\": 1}]", "\"t\" must be a string", "byte 7");
    expect_parse_error("[{\"t\": \"a\", \"s\": 2}]", "\"s\" must be 0 or 1", "byte 17");
    expect_parse_error("[{\"t\": \"a\", \"s\": \"1\"}]", "\"s\" must be 0 or 1", "byte 17");
    expect_parse_error("[{\"t\": \"a\"}]", "has no \"s\"", "byte 1");
    expect_parse_error("[{\"t\": \"a\", \"s\": 0, \"x\": 1}]", "unexpected key \"x\"", "byte");
    expect_parse_error("[1]", "review 0 is not an object", "byte 1");
    expect_parse_error("{\"t\": \"a\"}", "expected an array", "byte 0");
    expect_parse_error("", "unexpected end", "byte 0");
}

static void json_file_missing_suggests_make_data(void **state)
{
    (void)state;
    nn_text_set s;
    assert_int_equal(nn_load_reviews_json("no-such.json", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such.json"));
    assert_non_null(strstr(err, "make data"));
    write_file("two.json", "[{\"t\":\"x\",\"s\":1},{\"t\":\"y\",\"s\":0}]\n");
    assert_int_equal(nn_load_reviews_json("two.json", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.text[1], "y");
    nn_text_set_free(&s);
}

/* ---- split ---- */

static void split_by_fractions_covers_every_text_once(void **state)
{
    (void)state;
    const char *t[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    int l[10] = {0};
    nn_text_set s = make_set(t, l, 10), p[3];
    nn_rng r;
    nn_rng_seed(&r, 7);
    assert_int_equal(nn_text_split(&s, (double[]){0.6, 0.2, 0.2}, 3, &r, p, err, sizeof err), 0);
    assert_int_equal(p[0].n, 6);
    assert_int_equal(p[1].n, 2);
    assert_int_equal(p[2].n, 2);
    int seen[10] = {0}, moved = 0;
    for (int j = 0, k = 0; j < 3; j++)
        for (int i = 0; i < p[j].n; i++, k++) {
            int v = p[j].text[i][0] - '0';
            seen[v]++;
            moved += v != k;
        }
    for (int i = 0; i < 10; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 0);                   /* shuffled */
    for (int j = 0; j < 3; j++) nn_text_set_free(&p[j]);
    assert_int_equal(nn_text_split(&s, (double[]){0.5, 0.2}, 2, NULL, p, err, sizeof err), -1);
    assert_non_null(strstr(err, "sum to 0.7"));
    assert_int_equal(nn_text_split(&s, (double[]){0.3, 0.7}, 2, NULL, p, err, sizeof err), 0);
    assert_string_equal(p[1].text[0], "3");   /* unshuffled: consecutive */
    for (int j = 0; j < 2; j++) nn_text_set_free(&p[j]);
    nn_text_set_free(&s);
}

/* ---- clean-up and tokens ---- */

static void clean_up_rules_each_optional(void **state)
{
    (void)state;
    const char *in = "Great<br />Movie @bob_1 see http://x.org/a?b=1 or WWW.y.com! a<b c@ caf\xc3\x89";
    char out[256];
    nn_text_clean_options o = nn_text_clean_defaults();
    size_t n = nn_text_clean(in, strlen(in), &o, out);
    assert_string_equal(out, "great movie   see   or   a<b c@ caf\xc3\x89");
    assert_int_equal(n, strlen(out));
    o = (nn_text_clean_options){0};
    nn_text_clean(in, strlen(in), &o, out);
    assert_string_equal(out, in);
    o.strip_html = 1;
    nn_text_clean("x<i>y</i>", 9, &o, out);
    assert_string_equal(out, "x y ");
    o = (nn_text_clean_options){.strip_mentions = 1};
    nn_text_clean("hi @Ann!", 8, &o, out);
    assert_string_equal(out, "hi  !");
    o = (nn_text_clean_options){.strip_urls = 1};
    nn_text_clean("a https://q.r/s b", 17, &o, out);
    assert_string_equal(out, "a   b");
    o = (nn_text_clean_options){.lower = 1};
    nn_text_clean("AbZ<BR>", 7, &o, out);
    assert_string_equal(out, "abz<br>");
}

static void words_are_runs_of_lowercase_letters(void **state)
{
    (void)state;
    const char *s = "  it's 42 GREAT-fun\xc3\xa9x!";
    size_t pos = 0, start, n;
    const char *want[] = {"it", "s", "fun", "x"};
    for (int i = 0; i < 4; i++) {
        n = nn_text_next_word(s, strlen(s), &pos, &start);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(s + start, want[i], n);
    }
    assert_int_equal(nn_text_next_word(s, strlen(s), &pos, &start), 0);
}

static void char_map_folds_case_and_collapses_spaces(void **state)
{
    (void)state;
    unsigned char out[32];
    const char *s = "Ab,  c\n\nz's";
    size_t n = nn_char_map(s, strlen(s), 0, out);
    const unsigned char want[] = {1, 2, 0, 3, 0, 26, 0, 19};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
    n = nn_char_map(s, strlen(s), 1, out);   /* punctuation dropped: "ab c z" then "s" joins "z" */
    const unsigned char want_drop[] = {1, 2, 0, 3, 0, 26, 19};
    assert_int_equal(n, sizeof want_drop);
    assert_memory_equal(out, want_drop, n);
    assert_int_equal(nn_char_symbol(' '), 0);
    assert_int_equal(nn_char_symbol('Q'), 17);
    assert_int_equal(nn_char_symbol('-'), -1);
    assert_int_equal(nn_char_of_symbol(0), ' ');
    assert_int_equal(nn_char_of_symbol(26), 'z');
}

/* ---- vocabulary ---- */

static void vocabulary_ranks_by_count_then_first_occurrence(void **state)
{
    (void)state;
    const char *t[] = {"Bee cat <br /> ant", "ant DOG cat", "dog emu"};
    int l[] = {0, 1, 0};
    nn_text_set s = make_set(t, l, 3);
    nn_vocab v;
    assert_int_equal(nn_vocab_build(&s, 3, NULL, &v, err, sizeof err), 0);
    /* counts: cat 2, ant 2, dog 2, bee 1, emu 1; first seen: bee, cat, ant, dog, emu; br stripped */
    assert_int_equal(v.size, 5);
    assert_int_equal(v.n_entries, 5);
    int c;
    assert_string_equal(nn_vocab_word(&v, 2, &c), "cat");
    assert_int_equal(c, 2);
    assert_string_equal(nn_vocab_word(&v, 3, NULL), "ant");
    assert_string_equal(nn_vocab_word(&v, 4, NULL), "dog");
    assert_null(nn_vocab_word(&v, 5, NULL));
    assert_string_equal(nn_vocab_word(&v, 0, NULL), "<pad>");
    assert_string_equal(nn_vocab_word(&v, 1, NULL), "<unk>");
    assert_int_equal(nn_vocab_id(&v, "dog", 3), 4);
    assert_int_equal(nn_vocab_id(&v, "bee", 3), NN_VOCAB_UNKNOWN);   /* counted, beyond top 3 */
    assert_int_equal(nn_vocab_id(&v, "yak", 3), NN_VOCAB_UNKNOWN);
    assert_int_equal(nn_vocab_id(&v, "br", 2), NN_VOCAB_UNKNOWN);
    nn_vocab_free(&v);
    nn_text_set_free(&s);
}

static void vocabulary_survives_table_growth(void **state)
{
    (void)state;
    enum { N = 5000 };
    char *buf = malloc(N * 8), *p = buf;
    for (int i = 0; i < N; i++) {            /* distinct words "aaa".."hhh", word i repeated i % 3 + 1 times */
        char w[4] = {(char)('a' + i % 26), (char)('a' + i / 26 % 26), (char)('a' + i / 676), 0};
        for (int k = 0; k <= i % 3; k++) p += sprintf(p, "%s ", w);
    }
    const char *t[] = {buf};
    int l[] = {1};
    nn_text_set s = make_set(t, l, 1);
    nn_vocab v;
    assert_int_equal(nn_vocab_build(&s, 0, NULL, &v, err, sizeof err), 0);
    assert_int_equal(v.n_entries, N);
    assert_int_equal(v.size, N + 2);
    assert_string_equal(nn_vocab_word(&v, 2, NULL), "caa");   /* word 2: first with count 3 */
    assert_string_equal(nn_vocab_word(&v, 3, NULL), "faa");   /* word 5 */
    assert_int_equal(nn_vocab_id(&v, "aaa", 3), 2 + 1666 + 1667);   /* first of the count-1 words */
    nn_vocab_free(&v);
    nn_text_set_free(&s);
    free(buf);
}

/* ---- encoding ---- */

static void encoding_truncates_and_pads_either_end(void **state)
{
    (void)state;
    const char *t[] = {"a b c d e", "b c", "zz"};
    int l[] = {1, 0, 1};
    nn_text_set s = make_set(t, l, 3);
    nn_vocab v;
    assert_int_equal(nn_vocab_build(&s, 0, NULL, &v, err, sizeof err), 0);   /* b 2, c 3, a 4, d 5, e 6, zz 7 */
    assert_int_equal(nn_vocab_id(&v, "b", 1), 2);
    nn_text_encode_options o = nn_text_encode_defaults();
    o.length = 3;
    nn_dataset d;
    struct { int keep_first, pad_back; float x0[3], x1[3]; } cases[] = {
        {0, 0, {3, 5, 6}, {0, 2, 3}},
        {1, 0, {4, 2, 3}, {0, 2, 3}},
        {0, 1, {3, 5, 6}, {2, 3, 0}},
        {1, 1, {4, 2, 3}, {2, 3, 0}},
    };
    for (int k = 0; k < 4; k++) {
        o.keep_first = cases[k].keep_first;
        o.pad_back = cases[k].pad_back;
        assert_int_equal(nn_text_encode(&s, &v, &o, &d, err, sizeof err), 0);
        assert_int_equal(d.n, 3);
        assert_int_equal(d.sample.ndim, 1);
        assert_int_equal(d.sample.d[0], 3);
        assert_int_equal(d.n_classes, 2);
        assert_memory_equal(d.x, cases[k].x0, sizeof cases[k].x0);
        assert_memory_equal(d.x + 3, cases[k].x1, sizeof cases[k].x1);
        assert_true(d.y[0] == 1 && d.y[1] == 0 && d.y[2] == 1);
        nn_dataset_free(&d);
    }
    o.chars = 1;
    o.keep_first = o.pad_back = 0;
    o.length = 4;
    assert_int_equal(nn_text_encode(&s, NULL, &o, &d, err, sizeof err), 0);
    const float want[] = {2 + 0, 2 + 4, 2 + 0, 2 + 5, 0, 2 + 2, 2 + 0, 2 + 3};   /* " d e", "b c" as 2 + symbol */
    assert_memory_equal(d.x, want, sizeof want);
    nn_dataset_free(&d);
    o.chars = 0;
    assert_int_equal(nn_text_encode(&s, NULL, &o, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "vocabulary"));
    nn_vocab_free(&v);
    nn_text_set_free(&s);
}

/* ---- pre-trained word vectors ---- */

/* GloVe/word2vec text: the header line is skipped, unknown words are skipped, the first line of
 * a repeated word wins, rows of words the file lacks are left alone, and ids beyond the table
 * (a vocabulary larger than the embedding) are not written. */
static void word_vectors_fill_the_rows_of_known_words(void **state)
{
    (void)state;
    const char *t[] = {"b b b c c a"};
    int l[] = {0};
    nn_text_set s = make_set(t, l, 1);
    nn_vocab v;
    assert_int_equal(nn_vocab_build(&s, 0, NULL, &v, err, sizeof err), 0);   /* b 2, c 3, a 4 */
    write_file("vec.txt", "4 2\nzebra 7 7\nc 0.5 -2e-1\n\nb 1 2\nc 9 9\na 3 3\n");
    float table[4 * 2];
    for (int i = 0; i < 8; i++) table[i] = -5;
    int found = -1;
    assert_int_equal(nn_word_vectors_load("vec.txt", &v, table, 4, 2, &found, err, sizeof err), 0);
    const float want[] = {-5, -5, -5, -5, 1, 2, 0.5f, -0.2f};   /* pad, unknown untouched; a (id 4) beyond 4 rows */
    assert_memory_equal(table, want, sizeof want);
    assert_int_equal(found, 2);
    nn_vocab_free(&v);
    nn_text_set_free(&s);
}

/* Wrong widths, non-numbers, an empty or missing file: errors naming the file and line. */
static void word_vectors_reject_malformed_files(void **state)
{
    (void)state;
    const char *t[] = {"b a"};
    int l[] = {0};
    nn_text_set s = make_set(t, l, 1);
    nn_vocab v;
    assert_int_equal(nn_vocab_build(&s, 0, NULL, &v, err, sizeof err), 0);
    float table[4 * 3];
    int found;
    static const struct { const char *text, *msg; } cases[] = {
        {"a 1 2 3\nb 1 2\n", "v.txt:2: 'b' has 2 values, the embedding has 3 dimensions"},
        {"zzz 1 2 3 4\n", "v.txt:1: 'zzz' has more than 3 values"},
        {"a 1 x 3\n", "v.txt:1: value 2 of 'a' is not a finite number"},
        {"a 1 nan 3\n", "v.txt:1: value 2 of 'a' is not a finite number"},
        {"", "the word-vector file is empty"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        write_file("v.txt", cases[k].text);
        assert_int_equal(nn_word_vectors_load("v.txt", &v, table, 4, 3, &found, err, sizeof err), -1);
        if (!strstr(err, cases[k].msg)) print_error("case %zu: %s\n", k, err);
        assert_non_null(strstr(err, cases[k].msg));
    }
    assert_int_equal(nn_word_vectors_load("missing.txt", &v, table, 4, 3, &found, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.txt: cannot open"));
    nn_vocab_free(&v);
    nn_text_set_free(&s);
}

/* ---- character corpus ---- */

static void char_corpus_windows_predict_the_next_character(void **state)
{
    (void)state;
    write_file("book.txt", "Ab  C\nd-e");
    unsigned char *ids;
    size_t n;
    assert_int_equal(nn_char_corpus_load("book.txt", 0, &ids, &n, err, sizeof err), 0);
    const unsigned char want[] = {1, 2, 0, 3, 0, 4, 0, 5};   /* "ab c d e" */
    assert_int_equal(n, sizeof want);
    assert_memory_equal(ids, want, n);
    nn_dataset d;
    assert_int_equal(nn_char_windows(ids, n, 3, 2, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 3);                /* starts 0, 2, 4; start 6 has no target for its last */
    assert_int_equal(d.y_dim, 3);
    assert_int_equal(d.n_classes, NN_CHAR_SYMBOLS);
    const float x1[] = {0, 3, 0}, y1[] = {3, 0, 4};
    assert_memory_equal(d.x + 3, x1, sizeof x1);
    assert_memory_equal(d.y + 3, y1, sizeof y1);
    assert_true(d.y[8] == 5 && d.x[6] == 0 && d.x[8] == 0);
    nn_dataset_free(&d);
    assert_int_equal(nn_char_windows(ids, n, 8, 1, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "at least 9"));
    free(ids);
    assert_int_equal(nn_char_corpus_load("missing.txt", 0, &ids, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.txt"));
    assert_null(ids);
}

/* A FIFO given as a reviews file, word vectors or a book is refused before a read could wait
 * for a writer (the alarm fails the test instead of hanging it). */
static void fifo_text_files_are_refused_at_once(void **state)
{
    (void)state;
    assert_int_equal(mkfifo("pipe", 0600), 0);
    const char *want = "pipe: is a FIFO, not a regular file";
    nn_text_set s;
    unsigned char *ids;
    size_t n;
    nn_vocab v = {0};
    float table[8];
    int found;
    alarm(10);
    assert_int_equal(nn_load_reviews_json("pipe", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    assert_int_equal(nn_char_corpus_load("pipe", 0, &ids, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    assert_int_equal(nn_word_vectors_load("pipe", &v, table, 4, 2, &found, err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_decodes_every_escape_and_surrogate_pair),
        cmocka_unit_test(json_malformed_input_fails_with_byte_offset),
        cmocka_unit_test(json_file_missing_suggests_make_data),
        cmocka_unit_test(split_by_fractions_covers_every_text_once),
        cmocka_unit_test(clean_up_rules_each_optional),
        cmocka_unit_test(words_are_runs_of_lowercase_letters),
        cmocka_unit_test(char_map_folds_case_and_collapses_spaces),
        cmocka_unit_test(vocabulary_ranks_by_count_then_first_occurrence),
        cmocka_unit_test(vocabulary_survives_table_growth),
        cmocka_unit_test(encoding_truncates_and_pads_either_end),
        cmocka_unit_test(word_vectors_fill_the_rows_of_known_words),
        cmocka_unit_test(word_vectors_reject_malformed_files),
        cmocka_unit_test(char_corpus_windows_predict_the_next_character),
        cmocka_unit_test(fifo_text_files_are_refused_at_once),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
