/* Corpus BLEU as sacreBLEU 2.x: the issue's test vectors and sacreBLEU's own (its test suite's
 * corpus, statistics and scoring cases), the brevity penalty both ways, 'exp' smoothing,
 * clipping, several references, sums rather than means over a corpus, and the 13a tokenizer's
 * rules one by one, then against Python's re on tests/golden/bleu_13a.txt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/bleu.h"

/* The corpus statistics of n sentences, one reference each. */
static nn_bleu_stats corpus(const char *const *hyp, const char *const *ref, int n)
{
    nn_bleu_stats s;
    nn_bleu_stats_init(&s);
    for (int i = 0; i < n; i++) assert_int_equal(nn_bleu_add(&s, hyp[i], &ref[i], 1), 0);
    return s;
}

static double bleu1(const char *hyp, const char *ref)
{
    nn_bleu_stats s = corpus(&hyp, &ref, 1);
    return nn_bleu_corpus(&s).score;
}

static void expect_tokens(const char *line, const char *want)
{
    size_t n = 0;
    char *t = nn_bleu_tokenize_13a(line, strlen(line), &n);
    assert_non_null(t);
    assert_string_equal(t, want);
    assert_int_equal(n, strlen(want));
    free(t);
}

/* ---- scores ------------------------------------------------------------------------------- */

static void test_the_issue_vectors_score_as_sacrebleu(void **state)
{
    (void)state;
    assert_float_equal(bleu1("the cat sat on the mat", "the cat is on the mat"), 37.9918, 5e-5);
    assert_float_equal(bleu1("The cat sat on the mat.", "The cat is on the mat."), 48.8923, 5e-5);
}

/* "the cat sat on the mat" vs "the cat is on the mat": 5/6 unigrams, 3/5 bigrams, 1/4 trigrams,
 * 0/3 four-grams, smoothed to 1/2 of a match over 3. */
static void test_the_statistics_are_the_clipped_counts(void **state)
{
    (void)state;
    const char *h = "the cat sat on the mat", *r = "the cat is on the mat";
    nn_bleu_stats s = corpus(&h, &r, 1);
    const long long correct[4] = {5, 3, 1, 0}, total[4] = {6, 5, 4, 3};
    for (int n = 0; n < 4; n++) assert_int_equal(s.correct[n], correct[n]), assert_int_equal(s.total[n], total[n]);
    assert_int_equal(s.hyp_len, 6);
    assert_int_equal(s.ref_len, 6);
    nn_bleu_score b = nn_bleu_corpus(&s);
    assert_float_equal(b.precision[3], 100.0 / 6, 1e-12);
    assert_float_equal(b.score, pow(500.0 / 6 * 60 * 25 * (100.0 / 6), 0.25), 1e-10);
}

/* sacreBLEU's test_statistics case: "am I am a character sequence" vs "I am a symbol string
 * sequence a a" counts [4, 2, 1, 0] of [6, 5, 4, 3]. */
static void test_sacrebleu_statistics_case(void **state)
{
    (void)state;
    const char *h = "am I am a character sequence", *r = "I am a symbol string sequence a a";
    nn_bleu_stats s = corpus(&h, &r, 1);
    const long long correct[4] = {4, 2, 1, 0}, total[4] = {6, 5, 4, 3};
    for (int n = 0; n < 4; n++) assert_int_equal(s.correct[n], correct[n]), assert_int_equal(s.total[n], total[n]);
}

/* sacreBLEU's test_scoring case: counts [9, 7, 5, 3] of [10, 8, 6, 4], lengths 11 and 11. */
static void test_sacrebleu_scoring_case(void **state)
{
    (void)state;
    nn_bleu_stats s = {.hyp_len = 11, .ref_len = 11, .correct = {9, 7, 5, 3}, .total = {10, 8, 6, 4}, .sentences = 1};
    assert_float_equal(nn_bleu_corpus(&s).score, 83.75922397, 1e-8);
}

/* sacreBLEU's README corpus (its test_corpus_bleu): three sentences, two references each,
 * 48.530827; three empty hypotheses score 0. */
static void test_sacrebleu_two_reference_corpus(void **state)
{
    (void)state;
    const char *hyp[3] = {"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."};
    const char *refs[3][2] = {{"The dog bit the man.", "The dog had bit the man."},
                              {"It was not unexpected.", "No one was surprised."},
                              {"The man bit him first.", "The man had bitten the dog."}};
    nn_bleu_stats s, e;
    nn_bleu_stats_init(&s), nn_bleu_stats_init(&e);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(nn_bleu_add(&s, hyp[i], refs[i], 2), 0);
        assert_int_equal(nn_bleu_add(&e, "", refs[i], 2), 0);
    }
    assert_float_equal(nn_bleu_corpus(&s).score, 48.530827, 1e-6);
    assert_float_equal(nn_bleu_corpus(&e).score, 0.0, 0);
    char sig[NN_BLEU_SIGNATURE_LEN];
    assert_string_equal(nn_bleu_signature(&s, sig, sizeof sig), "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:" NN_BLEU_SACREBLEU_VERSION);
}

/* sacreBLEU's test_sentence_bleu case (its issue #98, Romanian): 8.493 with 'exp' smoothing.
 * "producţia" (U+0163) and "Producția" (U+021B) differ, "alb;" splits into "alb ;": 5/14
 * unigrams, 2/13 bigrams, no trigram or 4-gram. */
static void test_sacrebleu_romanian_sentence(void **state)
{
    (void)state;
    const char *h = "Produc\u021bia de zah\u0103r prim\u0103 va fi exprimat\u0103 \u00een ceea ce prive\u0219te zah\u0103rul alb;";
    const char *r = "produc\u0163ia de zah\u0103r brut se exprim\u0103 \u00een zah\u0103r alb;";
    nn_bleu_stats s = corpus(&h, &r, 1);
    assert_int_equal(s.correct[0], 5);
    assert_int_equal(s.total[0], 14);
    assert_int_equal(s.correct[1], 2);
    assert_float_equal(nn_bleu_corpus(&s).score, 8.493, 1e-3);
}

static void test_an_empty_hypothesis_scores_zero_with_no_brevity(void **state)
{
    (void)state;
    const char *h = "", *r = "the cat is on the mat";
    nn_bleu_stats s = corpus(&h, &r, 1);
    nn_bleu_score b = nn_bleu_corpus(&s);
    assert_int_equal(s.hyp_len, 0);
    assert_int_equal(s.ref_len, 6);
    assert_float_equal(b.score, 0, 0);
    assert_float_equal(b.bp, 0, 0);
}

/* Shorter than the reference: BP = exp(1 - r/h) multiplies the geometric mean of the
 * precisions; longer: BP = 1, the extra n-grams lowering the precisions instead. */
static void test_the_brevity_penalty_applies_to_short_hypotheses_only(void **state)
{
    (void)state;
    const char *h = "the cat is on", *r = "the cat is on the mat";   /* 4/4, 3/3, 2/2, 1/1 */
    nn_bleu_stats s = corpus(&h, &r, 1);
    nn_bleu_score b = nn_bleu_corpus(&s);
    assert_float_equal(b.bp, exp(1 - 6.0 / 4), 1e-15);
    assert_float_equal(b.score, 100 * exp(1 - 6.0 / 4), 1e-10);
    assert_float_equal(b.ratio, 4.0 / 6, 1e-15);

    const char *longer = "the cat is on the mat today";   /* 6/7, 5/6, 4/5, 3/4 */
    s = corpus(&longer, &r, 1);
    b = nn_bleu_corpus(&s);
    assert_float_equal(b.bp, 1, 0);
    assert_float_equal(b.score, 100 * pow(6.0 / 7 * 5 / 6 * 4 / 5 * 3 / 4, 0.25), 1e-10);
}

/* Orders without a match: the first counts 1/2 of a match, the second 1/4 ('exp'). */
static void test_exp_smoothing_halves_for_each_order_without_a_match(void **state)
{
    (void)state;
    const char *h = "a b x c d y", *r = "a b c d";   /* unigrams 4/6, bigrams 2/5, trigrams 0/4, 4-grams 0/3 */
    nn_bleu_stats s = corpus(&h, &r, 1);
    nn_bleu_score b = nn_bleu_corpus(&s);
    assert_int_equal(s.correct[2], 0);
    assert_int_equal(s.correct[3], 0);
    assert_float_equal(b.precision[0], 400.0 / 6, 1e-12);
    assert_float_equal(b.precision[1], 40.0, 1e-12);
    assert_float_equal(b.precision[2], 100.0 / (2 * 4), 1e-12);
    assert_float_equal(b.precision[3], 100.0 / (4 * 3), 1e-12);
    assert_float_equal(b.score, pow(400.0 / 6 * 40 * 12.5 * (100.0 / 12), 0.25), 1e-10);
}

/* No match at all is 0 without smoothing; a corpus with no 4-gram (every sentence under four
 * tokens) is 0 whatever its matches. */
static void test_no_match_or_no_four_gram_scores_zero(void **state)
{
    (void)state;
    assert_float_equal(bleu1("this is a cat", "okay thanks"), 0, 0);
    const char *h = "the cat", *r = "the cat";
    nn_bleu_stats s = corpus(&h, &r, 1);
    assert_int_equal(s.correct[0], 2);
    assert_int_equal(s.total[3], 0);
    assert_float_equal(nn_bleu_corpus(&s).score, 0, 0);
    assert_float_equal(bleu1("this is a test", "this is a test"), 100, 1e-12);
}

/* A hypothesis word counts at most as often as the reference has it. */
static void test_matches_are_clipped_by_the_reference_count(void **state)
{
    (void)state;
    const char *h = "the the the the the the the", *r = "the cat is on the mat";
    nn_bleu_stats s = corpus(&h, &r, 1);
    assert_int_equal(s.correct[0], 2);
    assert_int_equal(s.total[0], 7);
    assert_int_equal(s.correct[1], 0);
}

/* Corpus BLEU scores the summed statistics, not the mean of the sentences' scores: "the dog"
 * alone has no 4-gram and scores 0, yet its matches raise the corpus's precisions. */
static void test_a_corpus_sums_statistics_rather_than_averaging_scores(void **state)
{
    (void)state;
    const char *hyp[2] = {"the cat sat on the mat", "the dog"};
    const char *ref[2] = {"the cat is on the mat", "the dog"};
    nn_bleu_stats both = corpus(hyp, ref, 2), one = corpus(hyp, ref, 1), two = corpus(hyp + 1, ref + 1, 1);
    nn_bleu_stats merged = one;
    nn_bleu_stats_merge(&merged, &two);
    assert_memory_equal(&merged, &both, sizeof both);
    assert_float_equal(nn_bleu_corpus(&two).score, 0, 0);
    double mean = (nn_bleu_corpus(&one).score + nn_bleu_corpus(&two).score) / 2, score = nn_bleu_corpus(&both).score;
    assert_true(score > mean + 15);
    /* 5+2 of 6+2 unigrams, 3+1 of 5+1 bigrams, 1 of 4 trigrams, 0 of 3 four-grams (1/2 of one) */
    assert_float_equal(score, 100 * pow(7.0 / 8 * 4.0 / 6 * 1.0 / 4 * 0.5 / 3, 0.25), 1e-10);
}

/* Several references: counts clipped by the largest count in any one, the closest length (the
 * shorter on a tie); an empty reference is dropped, and all empty is refused. */
static void test_several_references(void **state)
{
    (void)state;
    const char *refs[3] = {"a a b", "a b c d e", "a"};
    nn_bleu_stats s;
    nn_bleu_stats_init(&s);
    assert_int_equal(nn_bleu_add(&s, "a a a", refs, 3), 0);   /* lengths 3, 5, 1: 3 is closest */
    assert_int_equal(s.correct[0], 2);
    assert_int_equal(s.ref_len, 3);
    nn_bleu_stats_init(&s);
    assert_int_equal(nn_bleu_add(&s, "a b c d", refs, 3), 0);   /* 3 and 5 both 1 away: 3 */
    assert_int_equal(s.ref_len, 3);
    char sig[NN_BLEU_SIGNATURE_LEN];
    const char *some_empty[2] = {"a b c d", " \t"}, *all_empty[2] = {"", "\u3000"};
    assert_int_equal(nn_bleu_add(&s, "a b", some_empty, 2), 0);
    assert_int_equal(s.min_refs, 1);
    assert_int_equal(s.max_refs, 3);
    assert_non_null(strstr(nn_bleu_signature(&s, sig, sizeof sig), "nrefs:var|"));
    nn_bleu_stats before = s;
    assert_int_equal(nn_bleu_add(&s, "a b", all_empty, 2), -1);
    assert_memory_equal(&s, &before, sizeof s);
}

static void test_the_signature_is_sacrebleus(void **state)
{
    (void)state;
    const char *h = "x", *r = "y";
    nn_bleu_stats s = corpus(&h, &r, 1);
    char sig[NN_BLEU_SIGNATURE_LEN];
    assert_string_equal(nn_bleu_signature(&s, sig, sizeof sig), "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.5.1");
}

/* Trailing spaces (Python's) go before tokenizing: "a-\n" is "a-", not "a" joined. */
static void test_trailing_spaces_are_stripped_first(void **state)
{
    (void)state;
    assert_int_equal(nn_bleu_rstrip_len("ab \t\u00a0\u3000\r", strlen("ab \t\u00a0\u3000\r")), 2);
    assert_int_equal(nn_bleu_rstrip_len(" \u200b", strlen(" \u200b")), strlen(" \u200b"));   /* U+200B is no space */
    assert_int_equal(nn_bleu_rstrip_len("", 0), 0);
    const char *h = "well-\n", *r = "well-";
    nn_bleu_stats s = corpus(&h, &r, 1);
    assert_int_equal(s.correct[0], 1);
    assert_int_equal(s.hyp_len, 1);
}

/* ---- the 13a tokenizer, rule by rule ------------------------------------------------------ */

static void test_tokenizer_removes_skipped_tags_in_one_pass(void **state)
{
    (void)state;
    expect_tokens("a<skipped>b <skipped>", "ab");
    expect_tokens("<skip<skipped>ped>", "< skipped >");   /* what the removal joins stays */
}

static void test_tokenizer_joins_dash_newline_and_makes_newlines_spaces(void **state)
{
    (void)state;
    expect_tokens("hyphen-\nated line\nbreak", "hyphenated line break");
}

static void test_tokenizer_unescapes_entities_in_order(void **state)
{
    (void)state;
    expect_tokens("&quot;x&quot; &lt;y&gt; a&amp;b", "\" x \" < y > a & b");
    expect_tokens("&amp;lt;", "<");              /* &amp; first makes &lt;, unescaped next */
    expect_tokens("&amp;quot;", "& quot ;");     /* &quot; went before &amp; made it */
}

static void test_tokenizer_splits_punctuation_but_apostrophes_dashes_periods_commas(void **state)
{
    (void)state;
    expect_tokens("(a)[b]{c}!?;:\"#$%*+/<=>@\\^_`|~", "( a ) [ b ] { c } ! ? ; : \" # $ % * + / < = > @ \\ ^ _ ` | ~");
    expect_tokens("don't e-mail", "don't e-mail");
}

static void test_tokenizer_keeps_periods_and_commas_between_digits(void **state)
{
    (void)state;
    expect_tokens("1,000.50 and 3.14", "1,000.50 and 3.14");
    expect_tokens("end. x,y 5. .5 a.b", "end . x , y 5 . . 5 a . b");
    expect_tokens("...", ". . .");
}

static void test_tokenizer_splits_a_dash_after_a_digit(void **state)
{
    (void)state;
    expect_tokens("10-20 a-b 3-", "10 - 20 a-b 3 -");
    expect_tokens("-5 x-1", "-5 x-1");
}

static void test_tokenizer_splits_on_pythons_spaces_only(void **state)
{
    (void)state;
    expect_tokens("a\u00a0b\u3000c\u2009d\xc2\x85" "e\x1c" "f\tg\rh", "a b c d e f g h");   /* U+0085: \xc2\x85 */
    expect_tokens("a\u200bb \u00e9t\u00e9.", "a\u200bb \u00e9t\u00e9 .");   /* zero-width space is no space */
    expect_tokens(" \t ", "");
}

/* Every case of tests/golden/bleu_13a.txt (lines tokenized by Python's re and str.split():
 * tests/bleu_13a_golden.py) tokenizes the same. */
static void test_tokenizer_agrees_with_pythons_regexes(void **state)
{
    (void)state;
    FILE *f = fopen("tests/golden/bleu_13a.txt", "rb");
    assert_non_null(f);
    char *line = NULL, *in = NULL;
    size_t cap = 0;
    ssize_t n;
    int cases = 0, lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] == '\n') line[--n] = '\0';
        if (strncmp(line, "in  ", 4) == 0) {
            free(in);
            in = strdup(line + 4);
            continue;
        }
        assert_non_null(in);
        assert_int_equal(strncmp(line, "out ", 4), 0);
        char *t = nn_bleu_tokenize_13a(in, strlen(in), NULL);
        if (strcmp(t, line + 4) != 0) fail_msg("tests/golden/bleu_13a.txt:%d: [%s] -> [%s], Python gives [%s]", lineno, in, t, line + 4);
        free(t);
        cases++;
    }
    free(line), free(in);
    fclose(f);
    assert_true(cases >= 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_issue_vectors_score_as_sacrebleu),
        cmocka_unit_test(test_the_statistics_are_the_clipped_counts),
        cmocka_unit_test(test_sacrebleu_statistics_case),
        cmocka_unit_test(test_sacrebleu_scoring_case),
        cmocka_unit_test(test_sacrebleu_two_reference_corpus),
        cmocka_unit_test(test_sacrebleu_romanian_sentence),
        cmocka_unit_test(test_an_empty_hypothesis_scores_zero_with_no_brevity),
        cmocka_unit_test(test_the_brevity_penalty_applies_to_short_hypotheses_only),
        cmocka_unit_test(test_exp_smoothing_halves_for_each_order_without_a_match),
        cmocka_unit_test(test_no_match_or_no_four_gram_scores_zero),
        cmocka_unit_test(test_matches_are_clipped_by_the_reference_count),
        cmocka_unit_test(test_a_corpus_sums_statistics_rather_than_averaging_scores),
        cmocka_unit_test(test_several_references),
        cmocka_unit_test(test_the_signature_is_sacrebleus),
        cmocka_unit_test(test_trailing_spaces_are_stripped_first),
        cmocka_unit_test(test_tokenizer_removes_skipped_tags_in_one_pass),
        cmocka_unit_test(test_tokenizer_joins_dash_newline_and_makes_newlines_spaces),
        cmocka_unit_test(test_tokenizer_unescapes_entities_in_order),
        cmocka_unit_test(test_tokenizer_splits_punctuation_but_apostrophes_dashes_periods_commas),
        cmocka_unit_test(test_tokenizer_keeps_periods_and_commas_between_digits),
        cmocka_unit_test(test_tokenizer_splits_a_dash_after_a_digit),
        cmocka_unit_test(test_tokenizer_splits_on_pythons_spaces_only),
        cmocka_unit_test(test_tokenizer_agrees_with_pythons_regexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
