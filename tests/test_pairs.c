/* Sentence pairs for translation (runtime/data/data_pairs*.c, nn/text.h): MD5, the tutorial's
 * normalisation, pairing the packages' files (alignment checked), the length filter, the split
 * (no target sentence in two parts, seeded, sizes), sentence vocabularies (min count, unknown
 * id, the vocabulary file), encoding and decoding, and wink's JSON word vectors as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "nn/text.h"
#include "tmpdir.h"
#include "pair_files.h"

static char err[1024];

/* ---- MD5 ---- */

/* RFC 1321's test suite, and lengths around the padding's block boundary (55, 56, 64 bytes). */
static void md5_gives_the_rfc_test_vectors(void **state)
{
    (void)state;
    static const struct { const char *text, *md5; } cases[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ef1772b6dff9a122358552954ad0df65"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "3b0c8ac703f828b04c6c197006d17218"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "014842d480b571495a4a0363793f7367"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char hex[33];
        nn_md5_hex(cases[i].text, strlen(cases[i].text), hex);
        assert_string_equal(hex, cases[i].md5);
    }
}

/* ---- normalisation ---- */

static void expect_normal(const char *in, const char *want)
{
    char out[512];
    size_t n = nn_pair_normalize(in, strlen(in), out);
    if (strcmp(out, want) != 0) fail_msg("normalise \"%s\": got \"%s\", want \"%s\"", in, out, want);
    assert_int_equal(n, strlen(want));
}

/* Lines of the tutorial's eng-fra data, as its normalizeString gives them (the current tutorial
 * drops '.', keeps ! and ? after a space). */
static void normalisation_gives_the_tutorials_results(void **state)
{
    (void)state;
    expect_normal("Go.", "go");
    expect_normal("Va !", "va !");
    expect_normal("Wow!", "wow !");
    expect_normal("I'm OK.", "i m ok");
    expect_normal("J'ai 19 ans.", "j ai ans");
    expect_normal("Qu'est-ce que c'est ?", "qu est ce que c est ?");
    expect_normal("Je suis très content de te voir.", "je suis tres content de te voir");
    expect_normal("  Ça va?  Très bien.  ", "ca va ? tres bien");
}

/* Accents of Latin-1, Extended-A, -B and Additional go to their base letter, upper case too;
 * letters NFD leaves alone (ø, ß, œ, æ, ł, đ) and other scripts separate words; a combining
 * mark is dropped without separating (e + U+0301 is é, hence e). */
static void normalisation_strips_accents_and_lowers_case(void **state)
{
    (void)state;
    expect_normal("ÀÉÎÕÜ àéîõü ÿ Ç ñ", "aeiou aeiou y c n");
    expect_normal("Łódź Ørsted Straße cœur", "odz rsted stra e c ur");
    expect_normal("Ștefan Țara ǫ", "stefan tara o");
    expect_normal("Ḥadīth ṣūfī Việt", "hadith sufi viet");
    expect_normal("cafe\xcc\x81 na\xcc\x88ive", "cafe naive");
    expect_normal("Αθήνα Moscow Москва", "moscow");
    expect_normal("ÉCOLE", "ecole");
}

/* ! and ? get a space before them but not after ("a?b" stays one token after the space, as in
 * the tutorial); '.', digits, apostrophes, dashes and runs of them are one space; an invalid
 * UTF-8 byte separates too; the worst case doubles the length ("!!!" -> "! ! !"). */
static void normalisation_splits_punctuation_as_the_tutorial(void **state)
{
    (void)state;
    expect_normal("What?! No...", "what ? ! no");
    expect_normal("a?b", "a ?b");
    expect_normal("U.S.A. 2024", "u s a");
    expect_normal("l'homme -- 42 -- rit", "l homme rit");
    expect_normal("bad\xff" "byte", "bad byte");
    expect_normal("!!!", "! ! !");
    expect_normal("...", "");
    expect_normal("", "");
    assert_int_equal(nn_pair_tokens("what ? ! no"), 4);
    assert_int_equal(nn_pair_tokens("go"), 1);
    assert_int_equal(nn_pair_tokens(""), 0);
}

/* ---- pairing ---- */

static const char *const en0[] = {"Go.", "I'm very happy!", "Thank you.", "Café au lait?"};
static const char *const fr0[] = {"Va !", "Je suis très heureux !", "Merci.", "Café au lait ?"};
static const char *const en1[] = {"Thank you.", "Wait."};
static const char *const fr1[] = {"Merci beaucoup.", "Attends."};

/* Two files of each package: pairs in file then position order, normalised (source French,
 * target English); the non-ASCII English line's MD5 differs (as the package's do) and it is
 * paired all the same, only not counted as verified. */
static void pairs_come_by_file_and_position(void **state)
{
    (void)state;
    const char *const md5[] = {NULL, NULL, NULL, "00000000000000000000000000000000"};
    write_pair_file("p", 0, en0, fr0, md5, 4);
    write_pair_file("p", 1, en1, fr1, NULL, 2);
    nn_pair_set s;
    assert_int_equal(nn_pairs_load("p", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.n_verified, 5);
    static const char *const src[] = {"va !", "je suis tres heureux !", "merci", "cafe au lait ?", "merci beaucoup", "attends"};
    static const char *const tgt[] = {"go", "i m very happy !", "thank you", "cafe au lait ?", "thank you", "wait"};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(s.source[i], src[i]);
        assert_string_equal(s.target[i], tgt[i]);
    }
    nn_pair_set_free(&s);
    assert_null(s.source);
}

static void expect_load_error(const char *dir, const char *what, const char *where)
{
    nn_pair_set s;
    assert_int_equal(nn_pairs_load(dir, &s, err, sizeof err), -1);
    if (!strstr(err, what) || !strstr(err, where)) fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err, what, where);
    assert_null(s.source);
    assert_int_equal(s.n, 0);
}

/* Misalignment is an error naming the file: an ASCII English line whose MD5 is not the one its
 * French entry gives, files of different lengths, a French file with no English one; so are a
 * malformed entry and a missing folder (with the hint to run make data). */
static void misaligned_or_malformed_files_are_errors(void **state)
{
    (void)state;
    const char *const wrong[] = {NULL, NULL, "0cc175b9c0f1b6a831c399e269772661", NULL};
    write_pair_file("m1", 0, en0, fr0, wrong, 4);
    expect_load_error("m1", "not aligned", "m1/fr/doc-0.json");
    write_pair_file("m2", 0, en0, fr0, NULL, 4);
    write_pair_file("m2", 1, en1, fr1, NULL, 2);
    write_file("m2/en/doc-1.json", "[\"Thank you.\"]");
    expect_load_error("m2", "has 2 entries but m2/en/doc-1.json has 1", "m2/fr/doc-1.json");
    write_pair_file("m3", 0, en0, fr0, NULL, 4);
    write_file("m3/fr/doc-1.json", "[]");
    expect_load_error("m3", "no English counterpart", "m3/fr/doc-1.json");
    write_pair_file("m4", 0, en0, fr0, NULL, 4);
    char go_md5[33], text[256];
    nn_md5_hex("Go.", 3, go_md5);
    snprintf(text, sizeof text, "[[\"Va !\", \"%s\"], [\"Merci.\"], [\"a\", \"b\"], [\"c\", \"d\"]]", go_md5);
    write_file("m4/fr/doc-0.json", text);
    expect_load_error("m4", "entry 1 is not [\"french\", \"md5 of the english\"]", "m4/fr/doc-0.json: byte 47");
    write_pair_file("m5", 0, en0, fr0, NULL, 4);
    write_file("m5/en/doc-0.json", "[\"Go.\", ");
    expect_load_error("m5", "m5/en/doc-0.json", "byte");
    expect_load_error("missing", "missing/en/doc-0.json", "make data");
}

/* ---- length filter and split ---- */

/* A set viewing the given sentences (arrays owned, strings not). */
static nn_pair_set view(const char *const *src, const char *const *tgt, int n)
{
    nn_pair_set s = {.n = n, .source = malloc((size_t)n * sizeof(char *)), .target = malloc((size_t)n * sizeof(char *))};
    for (int i = 0; i < n; i++) s.source[i] = src[i], s.target[i] = tgt[i];
    return s;
}

/* Both sides under max_words tokens (the tutorial's "< MAX_LENGTH"), both non-empty; with a part
 * array only that part's pairs, in order. */
static void the_length_filter_keeps_pairs_under_max_words(void **state)
{
    (void)state;
    static const char *const src[] = {"a b", "a b c", "a", "", "a b", "a"};
    static const char *const tgt[] = {"x y", "x", "x y z", "x", "", "x ?"};
    nn_pair_set s = view(src, tgt, 6), sel;
    assert_int_equal(nn_pairs_select(&s, NULL, 0, 3, &sel, err, sizeof err), 0);
    assert_int_equal(sel.n, 2);   /* "a b"/"x y" and "a"/"x ?" */
    assert_string_equal(sel.source[0], "a b");
    assert_string_equal(sel.target[1], "x ?");
    nn_pair_set_free(&sel);
    assert_int_equal(nn_pairs_select(&s, NULL, 0, 0, &sel, err, sizeof err), 0);
    assert_int_equal(sel.n, 4);   /* every non-empty pair */
    nn_pair_set_free(&sel);
    const int part[] = {1, 0, 1, 1, 1, 0};
    assert_int_equal(nn_pairs_select(&s, part, 1, 4, &sel, err, sizeof err), 0);
    assert_int_equal(sel.n, 2);
    assert_string_equal(sel.source[0], "a b");
    assert_string_equal(sel.source[1], "a");
    assert_string_equal(sel.target[1], "x y z");
    nn_pair_set_free(&sel);
    free(s.source), free(s.target);
}

#define SPLIT_N 1000

/* 1,000 pairs whose targets repeat (target i % 377, so groups of 2 or 3): no target in two parts,
 * each part within one group of 80/10/10, the same parts for the same seed, others for another. */
static void the_split_keeps_each_target_in_one_part(void **state)
{
    (void)state;
    static char text[SPLIT_N][16], tgt_text[SPLIT_N][16];
    const char *src[SPLIT_N], *tgt[SPLIT_N];
    for (int i = 0; i < SPLIT_N; i++) {
        snprintf(text[i], sizeof text[i], "s%d", i), src[i] = text[i];
        snprintf(tgt_text[i], sizeof tgt_text[i], "t%d", i % 377), tgt[i] = tgt_text[i];
    }
    nn_pair_set s = view(src, tgt, SPLIT_N);
    int part[SPLIT_N], again[SPLIT_N], other[SPLIT_N];
    const double frac[] = {0.8, 0.1, 0.1};
    assert_int_equal(nn_pairs_split(&s, frac, 3, 7, part, err, sizeof err), 0);
    assert_int_equal(nn_pairs_split(&s, frac, 3, 7, again, err, sizeof err), 0);
    assert_int_equal(nn_pairs_split(&s, frac, 3, 8, other, err, sizeof err), 0);
    assert_memory_equal(part, again, sizeof part);
    assert_memory_not_equal(part, other, sizeof part);
    int size[3] = {0};
    for (int i = 0; i < SPLIT_N; i++) {
        size[part[i]]++;
        assert_int_equal(part[i], part[i % 377]);   /* pair i has pair (i % 377)'s target */
    }
    assert_in_range(size[0], 800 - 3, 800 + 3);
    assert_in_range(size[1], 100 - 3, 100 + 3);
    assert_in_range(size[2], 100 - 3, 100 + 3);
    free(s.source), free(s.target);
}

/* With every target distinct the sizes are exact (80/10/10 of 1,000), and two parts work too. */
static void the_split_sizes_follow_the_fractions(void **state)
{
    (void)state;
    static char text[SPLIT_N][16];
    const char *src[SPLIT_N];
    for (int i = 0; i < SPLIT_N; i++) snprintf(text[i], sizeof text[i], "w%d", i), src[i] = text[i];
    nn_pair_set s = view(src, src, SPLIT_N);
    int part[SPLIT_N], size[3] = {0};
    assert_int_equal(nn_pairs_split(&s, (const double[]){0.8, 0.1, 0.1}, 3, 1, part, err, sizeof err), 0);
    for (int i = 0; i < SPLIT_N; i++) size[part[i]]++;
    assert_int_equal(size[0], 800);
    assert_int_equal(size[1], 100);
    assert_int_equal(size[2], 100);
    memset(size, 0, sizeof size);
    assert_int_equal(nn_pairs_split(&s, (const double[]){0.75, 0.25}, 2, 1, part, err, sizeof err), 0);
    for (int i = 0; i < SPLIT_N; i++) size[part[i]]++;
    assert_int_equal(size[0], 750);
    assert_int_equal(size[1], 250);
    assert_int_equal(nn_pairs_split(&s, (const double[]){0.8, 0.3}, 2, 1, part, err, sizeof err), -1);
    assert_non_null(strstr(err, "sum to 1.1"));
    free(s.source), free(s.target);
}

/* ---- vocabularies, encoding, decoding ---- */

/* Ids from 4 by count, ties to the word seen first; words seen once are unknown (3); the
 * specials have their names and PAD (0) is never a word. */
static void a_sentence_vocabulary_maps_rare_words_to_unknown(void **state)
{
    (void)state;
    const char *const sentences[] = {"the cat ?", "the dog", "a cat ?", "the bird"};
    nn_vocab v;
    assert_int_equal(nn_vocab_build_sentences(sentences, 4, 2, &v, err, sizeof err), 0);
    assert_int_equal(v.size, 4 + 3);   /* the (3), cat (2), ? (2) */
    assert_int_equal(nn_vocab_id(&v, "the", 3), 4);
    assert_int_equal(nn_vocab_id(&v, "cat", 3), 5);
    assert_int_equal(nn_vocab_id(&v, "?", 1), 6);
    assert_int_equal(nn_vocab_id(&v, "dog", 3), NN_PAIR_UNKNOWN);
    assert_int_equal(nn_vocab_id(&v, "zebra", 5), NN_PAIR_UNKNOWN);
    static const char *const specials[] = {"<pad>", "<sos>", "<eos>", "<unk>"};
    for (int id = 0; id < 4; id++) assert_string_equal(nn_vocab_word(&v, id, NULL), specials[id]);
    int count;
    assert_string_equal(nn_vocab_word(&v, 5, &count), "cat");
    assert_int_equal(count, 2);
    assert_null(nn_vocab_word(&v, 7, NULL));
    nn_vocab_free(&v);
    assert_int_equal(nn_vocab_build_sentences(sentences, 4, 1, &v, err, sizeof err), 0);
    assert_int_equal(v.size, 4 + 6);   /* every word */
    nn_vocab_free(&v);
}

/* x is the source's ids then PAD, y the target's ids, EOS, then PAD; a target with no room for
 * its EOS fails naming the pair. */
static void pairs_encode_to_padded_ids_with_eos(void **state)
{
    (void)state;
    const char *const src[] = {"le chat", "le chien noir"}, *const tgt[] = {"the cat", "the black dog"};
    nn_pair_set s = view(src, tgt, 2);
    nn_vocab fr, en;
    assert_int_equal(nn_vocab_build_sentences(src, 2, 1, &fr, err, sizeof err), 0);   /* le 4, chat 5, chien 6, noir 7 */
    assert_int_equal(nn_vocab_build_sentences(tgt, 2, 1, &en, err, sizeof err), 0);   /* the 4, cat 5, black 6, dog 7 */
    nn_dataset d;
    assert_int_equal(nn_pairs_encode(&s, &fr, &en, 5, &d, err, sizeof err), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.y_dim, 5);
    assert_int_equal(d.n_classes, 8);
    const float x[] = {4, 5, 0, 0, 0, 4, 6, 7, 0, 0}, y[] = {4, 5, 2, 0, 0, 4, 6, 7, 2, 0};
    assert_memory_equal(d.x, x, sizeof x);
    assert_memory_equal(d.y, y, sizeof y);
    nn_dataset_free(&d);
    assert_int_equal(nn_pairs_encode(&s, &fr, &en, 3, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "pair 1: the target \"the black dog\""));
    assert_null(d.x);
    nn_vocab_free(&fr), nn_vocab_free(&en);
    free(s.source), free(s.target);
}

/* Decoding stops at EOS and skips PAD and SOS; an unknown word reads <unk>, an id out of range
 * <id N>; a short buffer is cut but the whole length is returned. Normalised text whose words
 * are all known comes back as it was. */
static void decoding_reverses_encoding(void **state)
{
    (void)state;
    const char *const sentences[] = {"i am tired !", "i am here", "you are tired ?"};
    nn_vocab v;
    assert_int_equal(nn_vocab_build_sentences(sentences, 3, 1, &v, err, sizeof err), 0);
    char norm[128], out[128];
    nn_pair_normalize("You are TIRED?", 14, norm);
    int ids[16];
    int n = nn_vocab_encode(&v, norm, ids, 16);
    assert_int_equal(n, 4);
    assert_int_equal(nn_vocab_decode(&v, ids, n, out, sizeof out), strlen(norm));
    assert_string_equal(out, "you are tired ?");
    int with_specials[] = {NN_PAIR_SOS, ids[0], ids[1], NN_VOCAB_PAD, NN_PAIR_UNKNOWN, NN_PAIR_EOS, ids[2]};
    nn_vocab_decode(&v, with_specials, 7, out, sizeof out);
    assert_string_equal(out, "you are <unk>");
    int bad[] = {ids[0], 99};
    nn_vocab_decode(&v, bad, 2, out, sizeof out);
    assert_string_equal(out, "you <id 99>");
    assert_int_equal(nn_vocab_decode(&v, ids, n, out, 6), strlen("you are tired ?"));
    assert_string_equal(out, "you a");
    assert_int_equal(nn_vocab_encode(&v, "you are tired ? really", ids, 2), 5);   /* counts all, writes 2 */
    nn_vocab_free(&v);
}

/* The vocabulary file: written and read back, the same ids both ways; a file that does not
 * start with a layout's specials, or repeats a word, is an error naming the line. */
static void a_vocabulary_file_reads_back_the_same_ids(void **state)
{
    (void)state;
    const char *const sentences[] = {"the cat sat", "the cat ran", "a dog"};
    nn_vocab v, back;
    assert_int_equal(nn_vocab_build_sentences(sentences, 3, 1, &v, err, sizeof err), 0);
    FILE *f = fopen("vocab.txt", "w");
    nn_vocab_write(&v, f);
    fclose(f);
    assert_int_equal(nn_vocab_load("vocab.txt", &back, err, sizeof err), 0);
    assert_int_equal(back.size, v.size);
    assert_int_equal(back.layout, NN_VOCAB_SENTENCES);
    for (int id = 0; id < v.size; id++) {
        const char *w = nn_vocab_word(&v, id, NULL);
        assert_string_equal(nn_vocab_word(&back, id, NULL), w);
        if (id >= NN_PAIR_FIRST_WORD) assert_int_equal(nn_vocab_id(&back, w, strlen(w)), id);
    }
    assert_int_equal(nn_vocab_id(&back, "zebra", 5), NN_PAIR_UNKNOWN);
    nn_vocab_free(&back);
    nn_vocab_free(&v);
    write_file("text.txt", "<pad>\n<unk>\ngood\nbad\n");
    assert_int_equal(nn_vocab_load("text.txt", &back, err, sizeof err), 0);
    assert_int_equal(back.layout, NN_VOCAB_TEXT);
    assert_int_equal(nn_vocab_id(&back, "bad", 3), 3);
    assert_int_equal(nn_vocab_id(&back, "ugly", 4), NN_VOCAB_UNKNOWN);
    nn_vocab_free(&back);
    write_file("bad1.txt", "<pad>\nthe\n");
    assert_int_equal(nn_vocab_load("bad1.txt", &back, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad1.txt:1:"));
    write_file("bad2.txt", "<pad>\n<sos>\n<eos>\n<unk>\nthe\ncat\nthe\n");
    assert_int_equal(nn_vocab_load("bad2.txt", &back, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad2.txt:7: 'the' is already word 4"));
    write_file("bad3.txt", "<pad>\n<sos>\n<eos>\n<unk>\nthe cat\n");
    assert_int_equal(nn_vocab_load("bad3.txt", &back, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad3.txt:5:"));
}

/* GloVe text into a sentence vocabulary's table: words from id 4; the specials' rows untouched. */
static void word_vectors_fill_sentence_vocabulary_rows(void **state)
{
    (void)state;
    const char *const sentences[] = {"b b a"};
    nn_vocab v;
    assert_int_equal(nn_vocab_build_sentences(sentences, 1, 1, &v, err, sizeof err), 0);   /* b 4, a 5 */
    write_file("v.txt", "<unk> 9\na 1\nb 2\n");
    float table[6];
    for (int i = 0; i < 6; i++) table[i] = -1;
    int found;
    assert_int_equal(nn_word_vectors_load("v.txt", &v, table, 6, 1, &found, err, sizeof err), 0);
    const float want[] = {-1, -1, -1, -1, 2, 1};
    assert_memory_equal(table, want, sizeof want);
    assert_int_equal(found, 2);
    nn_vocab_free(&v);
}

/* ---- wink's JSON word vectors ---- */

static char *convert(const char *json, int *words, int *dim, int *rc)
{
    write_file("wink.json", json);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    *rc = nn_word_vectors_from_wink("wink.json", out, words, dim, err, sizeof err);
    fclose(out);
    return text;
}

/* The vectors' values copied as written, in the file's order, without norm and index; other
 * members (arrays of strings with escapes, nested values, true/null) skipped; escaped words
 * decoded. */
static void wink_vectors_become_glove_text(void **state)
{
    (void)state;
    int words, dim, rc;
    char *text = convert("{\"precision\": 8, \"size\": 3, \"dimensions\": 2, \"words\": [\"the\", \"\\\"\", \"caf\\u00e9\"],\n"
                         " \"nested\": {\"a\": [true, null, {\"b\": -1.5e+3}]},\n"
                         " \"vectors\": {\"the\": [-0.038194, 1e-3, 5.82, 0], \"\\\"\": [0, -2.5E2, 1, 1],"
                         " \"caf\\u00e9\": [1.0, 2, 3, 2]}, \"unkVector\": [0, 0, 0, -1]}\n",
                         &words, &dim, &rc);
    if (rc) fail_msg("%s", err);
    assert_int_equal(words, 3);
    assert_int_equal(dim, 2);
    assert_string_equal(text, "the -0.038194 1e-3\n\" 0 -2.5E2\ncaf\xc3\xa9 1.0 2\n");
    free(text);
}

static void expect_wink_error(const char *json, const char *what)
{
    int words, dim, rc;
    free(convert(json, &words, &dim, &rc));
    assert_int_equal(rc, -1);
    if (!strstr(err, what) || !strstr(err, "wink.json")) fail_msg("message \"%s\" lacks \"%s\"", err, what);
}

/* A vector of the wrong length, vectors before dimensions, a bad number, a truncated file, a
 * word holding a space: errors naming the file and the byte. */
static void malformed_wink_files_are_errors(void **state)
{
    (void)state;
    expect_wink_error("{\"dimensions\": 2, \"vectors\": {\"a\": [1, 2, 3]}}", "byte 35: the vector of 'a' has 3 numbers, expected 4");
    expect_wink_error("{\"vectors\": {\"a\": [1, 2, 3, 4]}, \"dimensions\": 2}", "\"vectors\" comes before \"dimensions\"");
    expect_wink_error("{\"dimensions\": 2, \"vectors\": {\"a\": [1, 2., 3, 4]}}", "no digits after its '.'");
    expect_wink_error("{\"dimensions\": 2, \"vectors\": {\"a\": [1, 2", "expected ',' or ']'");
    expect_wink_error("{\"dimensions\": 2, \"vectors\": {\"a b\": [1, 2, 3, 4]}}", "holds white space");
    expect_wink_error("{\"dimensions\": 2, \"vectors\": {}}", "no \"vectors\"");
    expect_wink_error("[1, 2]", "byte 0: expected a JSON object");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(md5_gives_the_rfc_test_vectors),
        cmocka_unit_test(normalisation_gives_the_tutorials_results),
        cmocka_unit_test(normalisation_strips_accents_and_lowers_case),
        cmocka_unit_test(normalisation_splits_punctuation_as_the_tutorial),
        cmocka_unit_test(pairs_come_by_file_and_position),
        cmocka_unit_test(misaligned_or_malformed_files_are_errors),
        cmocka_unit_test(the_length_filter_keeps_pairs_under_max_words),
        cmocka_unit_test(the_split_keeps_each_target_in_one_part),
        cmocka_unit_test(the_split_sizes_follow_the_fractions),
        cmocka_unit_test(a_sentence_vocabulary_maps_rare_words_to_unknown),
        cmocka_unit_test(pairs_encode_to_padded_ids_with_eos),
        cmocka_unit_test(decoding_reverses_encoding),
        cmocka_unit_test(a_vocabulary_file_reads_back_the_same_ids),
        cmocka_unit_test(word_vectors_fill_sentence_vocabulary_rows),
        cmocka_unit_test(wink_vectors_become_glove_text),
        cmocka_unit_test(malformed_wink_files_are_errors),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
