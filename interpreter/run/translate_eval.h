/* translate_eval.h — a translation model scored as translations: its test sources decoded by
 * greedy or beam search (seq_search.h), the outputs turned back into words, and sacreBLEU's
 * corpus BLEU against the references (nn/bleu.h). The trainer's per-epoch `test_bleu` column
 * (greedy) and the run's final scores and sample translations come from here. */
#ifndef NNRUN_TRANSLATE_EVAL_H
#define NNRUN_TRANSLATE_EVAL_H

#include "data_setup.h"
#include "trainer.h"
#include "nn/bleu.h"

typedef struct {
    double bleu;                               /* 0..100 */
    char signature[NN_BLEU_SIGNATURE_LEN];
    int sentences;
} translate_score;

/* The layer whose logits a spec's model decodes: the first loss term's prediction; -1 if none. */
int translate_pred_layer(const spec *s);

/* Decodes the first n test sentences of rd (n < 0: all) with m, an evaluation graph of the
 * trained model, with `beams` beams (1: greedy); outputs (NULL: not wanted) gets each
 * output's words, malloc'd strings. Returns 0 or -1 (message in err). */
int translate_test(model_graph *m, const run_data *rd, int beams, int n, char **outputs, translate_score *sc, char *err,
                   size_t errlen);
/* Frees outputs' n strings (NULL entries allowed) and the array. */
void translate_outputs_free(char **outputs, int n);

/* For a spec on translation data whose model decodes step by step: adds the trainer's
 * test_bleu column (greedy search over the test part after every epoch). A model that cannot
 * be decoded so gets a line saying why, and trains without it. Returns 0 or -1 (no room). */
int translate_add_metric(trainer *t);

#endif
