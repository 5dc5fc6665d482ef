/* What `nnrun compare` takes from a translation run: its model's greedy BLEU over its test
 * part, and its outputs for a few test sentences that every translation run translates (the
 * first translation run picks them, seeded, so the choice depends on no run's own seed). */
#include "compare.h"
#include "../run/translate_eval.h"
#include "nn/rng.h"
#include <stdlib.h>
#include <string.h>

static char *copy_of(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

/* The first translation run: count of its test sentences, seeded, with their references. */
static int pick_sentences(const trainer *t, compare_texts *tx, int count)
{
    int n = t->data.test.n, *all = malloc((size_t)(n > 0 ? n : 1) * sizeof *all);
    tx->n = count < n ? count : n;
    tx->source = calloc((size_t)(tx->n > 0 ? tx->n : 1), sizeof *tx->source);
    tx->reference = calloc((size_t)(tx->n > 0 ? tx->n : 1), sizeof *tx->reference);
    if (!all || !tx->source || !tx->reference) {
        free(all);
        return -1;
    }
    for (int i = 0; i < n; i++) all[i] = i;
    nn_rng rng;
    nn_rng_seed(&rng, COMPARE_PICK_SEED);
    nn_rng_shuffle(&rng, all, n);
    int rc = 0;
    for (int i = 0; i < tx->n && rc == 0; i++) {
        tx->source[i] = copy_of(t->data.test_text[0][all[i]]);
        tx->reference[i] = copy_of(t->data.test_text[1][all[i]]);
        if (!tx->source[i] || !tx->reference[i]) rc = -1;
    }
    free(all);
    return rc;
}

/* The index of source among the run's test sources, or -1 (another length limit or split). */
static int find_source(const trainer *t, const char *source)
{
    for (int i = 0; i < t->data.test.n; i++)
        if (strcmp(t->data.test_text[0][i], source) == 0) return i;
    return -1;
}

int compare_collect_translations(trainer *t, compare_run *r, compare_texts *tx, int count, int index, char *err,
                                 size_t errlen)
{
    int n = t->data.test.n, rc = 0;
    char **outputs = calloc((size_t)(n > 0 ? n : 1), sizeof *outputs);
    translate_score sc;
    if (!outputs) rc = -1, snprintf(err, errlen, "out of memory");
    if (rc == 0) rc = translate_test(t->eval_full, &t->data, 1, n, outputs, &sc, err, errlen);
    if (rc == 0) {
        r->has_bleu = 1;
        r->bleu = sc.bleu;
        r->bleu_sentences = sc.sentences;
        snprintf(r->bleu_signature, sizeof r->bleu_signature, "%s", sc.signature);
        printf("%s: %s BLEU %.2f, greedy search over %d sentences (BLEU|%s)\n", r->label, t->data.test_name, sc.bleu,
               sc.sentences, sc.signature);
    }
    if (rc == 0 && !tx->source && pick_sentences(t, tx, count) < 0) rc = -1, snprintf(err, errlen, "out of memory");
    if (rc == 0 && !(tx->output[index] = calloc((size_t)(tx->n > 0 ? tx->n : 1), sizeof **tx->output)))
        rc = -1, snprintf(err, errlen, "out of memory");
    int missing = 0;
    for (int i = 0; rc == 0 && i < tx->n; i++) {
        int at = find_source(t, tx->source[i]);
        if (at < 0) missing++;
        else tx->output[index][i] = outputs[at], outputs[at] = NULL;   /* taken over */
    }
    if (missing)
        compare_note(r, "%d of the %d sentences shown are not in its %s part (another split or length limit)", missing, tx->n,
                     t->data.test_name);
    translate_outputs_free(outputs, n);
    if (rc < 0 && !err[0]) snprintf(err, errlen, "decoding the test sentences failed");
    if (rc < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "%s: %s", r->dir, msg);
    }
    return rc < 0 ? 1 : 0;
}

void compare_texts_free(compare_texts *tx)
{
    for (int k = 0; k < COMPARE_MAX_RUNS; k++) translate_outputs_free(tx->output[k], tx->n);
    translate_outputs_free(tx->source, tx->n);
    translate_outputs_free(tx->reference, tx->n);
    memset(tx, 0, sizeof *tx);
}
