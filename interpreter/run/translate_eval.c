/* translate_eval.c — test BLEU of a translation model (translate_eval.h). */
#include "translate_eval.h"
#include "seq_search.h"
#include "step_decoder.h"
#include "nn/text.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int translate_pred_layer(const spec *s)
{
    for (int gi = 0; gi < s->n_groups; gi++)
        for (int k = 0; k < s->groups[gi].n_terms; k++)
            if (s->groups[gi].terms[k].pred[0]) return spec_find_layer(s, s->groups[gi].terms[k].pred);
    return -1;
}

/* The words of tokens (T) in the target vocabulary: a malloc'd string. */
static char *words_of(const nn_vocab *v, const int *tokens, int steps)
{
    size_t need = nn_vocab_decode(v, tokens, steps, NULL, 0) + 1;
    char *s = malloc(need);
    if (s) nn_vocab_decode(v, tokens, steps, s, need);
    return s;
}

int translate_test(model_graph *m, const run_data *rd, int beams, int n, char **outputs, translate_score *sc, char *err,
                   size_t errlen)
{
    const nn_dataset *ds = &rd->test;
    const nn_vocab *vocab = &rd->vocab[EMB_WORDS_TARGET];
    if (!rd->test_text[1] || vocab->size == 0) {
        snprintf(err, errlen, "no test sentences to translate (the data is not translation, or has no test part)");
        return -1;
    }
    if (n < 0 || n > ds->n) n = ds->n;
    step_decoder *sd = step_decoder_new(m, translate_pred_layer(m->s), beams, err, errlen);
    if (!sd) return -1;
    int T = step_decoder_steps(sd), B = m->batch, rc = 0;
    int *tokens = malloc((size_t)B * T * sizeof *tokens);
    size_t xn = nn_shape_numel(&ds->sample);
    nn_bleu_stats stats;
    nn_bleu_stats_init(&stats);
    for (int start = 0; rc == 0 && start < n; start += B) {
        int k = n - start < B ? n - start : B;
        if (!tokens) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        rc = seq_search(sd, ds->x + (size_t)start * xn, k, beams, NN_PAIR_EOS, tokens, NULL, err, errlen);
        for (int i = 0; rc == 0 && i < k; i++) {
            char *hyp = words_of(vocab, tokens + (size_t)i * T, T);
            if (!hyp) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            const char *ref = rd->test_text[1][start + i];
            nn_bleu_add(&stats, hyp, &ref, 1);
            if (outputs) outputs[start + i] = hyp;
            else free(hyp);
        }
    }
    free(tokens);
    step_decoder_free(sd);
    if (rc < 0) return -1;
    sc->bleu = nn_bleu_corpus(&stats).score;
    sc->sentences = n;
    nn_bleu_signature(&stats, sc->signature, sizeof sc->signature);
    return 0;
}

void translate_outputs_free(char **outputs, int n)
{
    for (int i = 0; outputs && i < n; i++) free(outputs[i]);
    free(outputs);
}

static double test_bleu(void *ctx, trainer *t)
{
    (void)ctx;
    translate_score sc;
    char err[512];
    if (translate_test(t->eval_full, &t->data, 1, -1, NULL, &sc, err, sizeof err) < 0) {
        fprintf(stderr, "test_bleu: %s\n", err);
        return NAN;
    }
    return sc.bleu;
}

int translate_add_metric(trainer *t)
{
    if (!t->data.test_text[1] || !t->eval_full) return 0;
    char err[512];
    step_decoder *sd = step_decoder_new(t->eval_full, translate_pred_layer(t->s), 1, err, sizeof err);
    if (!sd) {
        printf("test BLEU: not measured: %s\n", err);
        return 0;
    }
    step_decoder_free(sd);
    return trainer_add_metric(t, "test_bleu", 0, test_bleu, NULL) < 0 ? -1 : 0;
}
