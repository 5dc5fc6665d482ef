/* dataset: translation — French -> English sentence pairs (runtime/data/data_pairs*.c): all the
 * pairs cut into parts by `splits` with split_seed, no English sentence in two parts; then each
 * part's pairs with both sides under max_words tokens; the vocabularies of the training part's
 * French and English (words seen min_count times); every part encoded to x [max_words] French
 * ids and y [max_words] English ids ending with EOS.
 *
 * The split is made before the length filter, so a part holds the same sentences whatever
 * max_words is, and make data's French vectors, trained on the training part of all lengths
 * (split_seed 1), have never seen a validation or test sentence. */
#include "data_setup.h"
#include "nn/text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies of the sentences of one side of sel (BLEU's references, samples of translations). */
static char **copy_sentences(const char *const *side, int n)
{
    char **out = calloc((size_t)(n > 0 ? n : 1), sizeof *out);
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(side[i]))) {
            while (i-- > 0) free(out[i]);
            free(out);
            return NULL;
        }
    return out;
}

/* The pairs of part k under max_words, encoded with the vocabularies; text (NULL: not wanted)
 * gets copies of their sentences, sources then targets. */
static int encode_part(const data_source *tr, const nn_pair_set *all, const int *part, int k, const nn_vocab *vocab,
                       nn_dataset *out, char **text[2], const data_source *at, const char *which, diag *d)
{
    char err[1024];
    nn_pair_set sel;
    int rc = nn_pairs_select(all, part, k, tr->max_words, &sel, err, sizeof err);
    if (rc == 0) rc = nn_pairs_encode(&sel, &vocab[EMB_WORDS_SOURCE], &vocab[EMB_WORDS_TARGET], tr->max_words, out, err, sizeof err);
    if (rc == 0 && text) {
        text[0] = copy_sentences(sel.source, sel.n);
        text[1] = copy_sentences(sel.target, sel.n);
        if (!text[0] || !text[1]) rc = -1, snprintf(err, sizeof err, "out of memory");
    }
    if (rc < 0) data_source_error(d, at, which, err);
    nn_pair_set_free(&sel);
    return rc;
}

/* The training part's vocabularies (source French, target English) into vocab[0], vocab[1]. */
static int build_vocabularies(const data_source *tr, const nn_pair_set *all, const int *part, nn_vocab *vocab, diag *d)
{
    char err[1024];
    nn_pair_set train;
    int rc = nn_pairs_select(all, part, 0, tr->max_words, &train, err, sizeof err);
    if (rc == 0) rc = nn_vocab_build_sentences(train.source, train.n, tr->min_count, &vocab[EMB_WORDS_SOURCE], err, sizeof err);
    if (rc == 0) rc = nn_vocab_build_sentences(train.target, train.n, tr->min_count, &vocab[EMB_WORDS_TARGET], err, sizeof err);
    if (rc < 0) data_source_error(d, tr, "train", err);
    nn_pair_set_free(&train);
    return rc;
}

int translation_setup(const spec *s, run_data *rd, diag *d)
{
    const data_source *tr = &s->data.train, *te = &s->data.test;
    int itr, ite;
    if (data_split_parts(s, &itr, &ite, d) < 0) return -1;
    char err[1024], dir[SPEC_PATH_LEN];
    snprintf(dir, sizeof dir, "%s", tr->path[0] ? tr->path : "data/translation");
    nn_pair_set all;
    if (nn_pairs_load(dir, &all, err, sizeof err) < 0) {
        data_source_error(d, tr, "train", err);
        return -1;
    }
    int *part = malloc((size_t)(all.n > 0 ? all.n : 1) * sizeof *part);
    int rc = part ? nn_pairs_split(&all, tr->splits, tr->n_splits, (uint64_t)tr->split_seed, part, err, sizeof err)
                  : (snprintf(err, sizeof err, "out of memory"), -1);
    if (rc < 0) data_source_error(d, tr, "train", err);
    if (rc == 0) rc = build_vocabularies(tr, &all, part, rd->vocab, d);
    if (rc == 0) rc = encode_part(tr, &all, part, itr, rd->vocab, &rd->train, NULL, tr, "train", d);
    if (rc == 0 && ite >= 0) rc = encode_part(tr, &all, part, ite, rd->vocab, &rd->test, rd->test_text, te, "test", d);
    if (rc == 0) {
        rd->has_test = ite >= 0;
        if (ite >= 0 && strcmp(te->split, "validation") == 0) rd->test_name = "validation";
        printf("translation: %d pairs (%d MD5-verified) in %s; under %d words: %d %s", all.n, all.n_verified, dir, tr->max_words,
               rd->train.n, tr->split);
        if (ite >= 0) printf(", %d %s", rd->test.n, te->split);
        printf("; vocabularies: %d French, %d English ids\n", rd->vocab[EMB_WORDS_SOURCE].size, rd->vocab[EMB_WORDS_TARGET].size);
    }
    free(part);
    nn_pair_set_free(&all);
    return rc;
}
