/* Fuzz harness: the reviews JSON reader (nn_parse_reviews_json, nn/text.h), on any bytes as the
 * file's content; a set it accepts then goes through what a sentiment spec does with it: the
 * vocabulary (clean-up and word tokens) and the encoding to fixed-length ids, words and
 * characters. */
#include "fuzz_util.h"
#include "nn/text.h"

static void check_set(const nn_text_set *s)
{
    for (int i = 0; i < s->n; i++) {
        FUZZ_ASSERT(s->text[i][s->len[i]] == 0);
        FUZZ_ASSERT(s->label[i] == 0 || s->label[i] == 1);
    }
}

/* Every id of an encoded sample is a vocabulary id (or a character's, 2 + symbol). */
static void check_encoding(const nn_text_set *s, const nn_vocab *v, int chars)
{
    char err[512];
    nn_text_encode_options o = nn_text_encode_defaults();
    o.length = 16;
    o.chars = chars;
    nn_dataset enc;
    if (nn_text_encode(s, chars ? NULL : v, &o, &enc, err, sizeof err) == 0) {
        int top = chars ? 2 + NN_CHAR_SYMBOLS : v->size;
        FUZZ_ASSERT(enc.n == s->n);
        for (size_t k = 0; k < (size_t)enc.n * (size_t)o.length; k++) FUZZ_ASSERT(enc.x[k] >= 0 && enc.x[k] < top);
    }
    nn_dataset_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    nn_text_set s;
    if (nn_parse_reviews_json((const char *)data, size, "fuzz.json", &s, err, sizeof err) < 0) {
        FUZZ_ASSERT(err[0] != 0 && s.n == 0);
        return 0;
    }
    check_set(&s);
    nn_vocab v;
    if (nn_vocab_build(&s, 20, NULL, &v, err, sizeof err) == 0) {
        check_encoding(&s, &v, 0);
        nn_vocab_free(&v);
    }
    check_encoding(&s, NULL, 1);
    nn_text_set_free(&s);
    return 0;
}
