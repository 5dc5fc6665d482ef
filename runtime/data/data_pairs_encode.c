/* Sentences to ids and back (nn_vocab_encode, nn_vocab_decode) and sentence pairs to a
 * dataset of fixed-length id sequences (nn_pairs_encode), as nn/text.h describes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_util.h"
#include "nn/text.h"

int nn_vocab_encode(const nn_vocab *v, const char *sentence, int *ids, int cap)
{
    int n = 0;
    for (const char *s = sentence; *s;) {
        size_t wl = strcspn(s, " ");
        if (wl) {
            if (n < cap) ids[n] = nn_vocab_id(v, s, wl);
            n++;
        }
        s += wl + (s[wl] == ' ');
    }
    return n;
}

/* Appends text to out[*at ..) within cap (always NUL-terminated); *at counts the whole length. */
static void append(char *out, size_t cap, size_t *at, const char *text)
{
    size_t len = strlen(text);
    if (*at + 1 < cap) {
        size_t room = cap - *at - 1, k = len < room ? len : room;
        memcpy(out + *at, text, k);
        out[*at + k] = '\0';
    }
    *at += len;
}

size_t nn_vocab_decode(const nn_vocab *v, const int *ids, int n, char *out, size_t cap)
{
    int sentences = v->layout == NN_VOCAB_SENTENCES;
    size_t at = 0;
    if (cap > 0) out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (sentences && ids[i] == NN_PAIR_EOS) break;
        if (ids[i] == NN_VOCAB_PAD || (sentences && ids[i] == NN_PAIR_SOS)) continue;
        char unknown_id[32];
        const char *w = nn_vocab_word(v, ids[i], NULL);
        if (!w) snprintf(unknown_id, sizeof unknown_id, "<id %d>", ids[i]), w = unknown_id;
        if (at > 0) append(out, cap, &at, " ");
        append(out, cap, &at, w);
    }
    return at;
}

/* The ids of sentence into row[0..length), then `end` (EOS, or PAD for none), then PAD. */
static int encode_row(const nn_vocab *v, const char *sentence, int length, int end, int *ids, float *row)
{
    int n = nn_vocab_encode(v, sentence, ids, length);
    if (n + (end != NN_VOCAB_PAD) > length) return -1;
    for (int t = 0; t < length; t++) row[t] = t < n ? (float)ids[t] : t == n ? (float)end : (float)NN_VOCAB_PAD;
    return 0;
}

int nn_pairs_encode(const nn_pair_set *s, const nn_vocab *source, const nn_vocab *target, int length,
                    nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (length < 2) return nn_fail(err, errlen, "pair encoding: length %d, need at least 2", length);
    if (source->layout != NN_VOCAB_SENTENCES || target->layout != NN_VOCAB_SENTENCES)
        return nn_fail(err, errlen, "pair encoding: the vocabularies must be sentence vocabularies (nn_vocab_build_sentences)");
    nn_shape shape = {.ndim = 1, .d = {length}};
    if (nn_dataset_alloc(out, s->n, shape, length, err, errlen)) return -1;
    int *ids = malloc((size_t)length * sizeof *ids);
    if (!ids) {
        nn_dataset_free(out);
        return nn_fail(err, errlen, "out of memory");
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < s->n; i++) {
        float *x = out->x + (size_t)i * length, *y = out->y + (size_t)i * length;
        if (encode_row(source, s->source[i], length, NN_VOCAB_PAD, ids, x))
            rc = nn_fail(err, errlen, "pair %d: the source \"%.60s\" has more than %d words", i, s->source[i], length);
        else if (encode_row(target, s->target[i], length, NN_PAIR_EOS, ids, y))
            rc = nn_fail(err, errlen, "pair %d: the target \"%.60s\" and its end do not fit %d ids", i, s->target[i], length);
    }
    free(ids);
    if (rc) nn_dataset_free(out);
    else out->n_classes = target->size;
    return rc;
}
