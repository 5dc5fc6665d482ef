/* step_decoder.h — a trained sequence decoder run one step at a time, for greedy and beam
 * search (seq_search.h): the layers of a single model from the `shift` layer that reads the
 * targets (the decoder's input: the start id, then the targets one step later) to the logits.
 *
 * Training runs the decoder on whole target sequences (teacher forcing), every step at once.
 * Decoding cannot: step t's input is the token chosen at step t - 1. Re-running the graph on
 * each prefix would cost O(T^2) steps; instead each layer kind here applies its evaluation
 * forward to one new step (nn/infer.h), keeping what later steps read:
 *   - causal self-attention (transformer_decoder, attention with causal: true, a causal
 *     transformer_encoder): the keys and values of the earlier steps (a KV cache);
 *   - attention over a memory (the encoder's output): its keys and values, projected once;
 *   - positional_encoding: the row of step t.
 * Everything outside that chain (the encoder, the source masks) comes from one run of the
 * evaluation graph on the sources. Layers that see later steps cannot be decoded so and are
 * refused by name. tests/test_step_decoder.c checks the logits against the graph's
 * teacher-forced ones.
 *
 * Rows: the sequences decoded at once, sentences x beams; row r decodes sentence r / beams. */
#ifndef NNRUN_STEP_DECODER_H
#define NNRUN_STEP_DECODER_H

#include "../build/model_build.h"
#include <stddef.h>

typedef struct step_decoder step_decoder;

/* The decoder of m (an evaluation graph of a spec's single model; pred: the layer giving the
 * logits) for up to m->batch sentences of up to beams_max beams. Re-plans m so that a run
 * keeps what the steps read. NULL with a message naming the layer at fault. */
step_decoder *step_decoder_new(model_graph *m, int pred, int beams_max, char *err, size_t errlen);
void step_decoder_free(step_decoder *sd);

int step_decoder_start_id(const step_decoder *sd);   /* the shift layer's fill: the first input */
int step_decoder_steps(const step_decoder *sd);      /* T, the steps of a target sequence */
int step_decoder_classes(const step_decoder *sd);    /* V, logits per step */

/* Feeds n source rows (sources: n x the model's input floats) through m and starts n x beams
 * sequences. Returns 0 or -1 (message in err). */
int step_decoder_begin(step_decoder *sd, const float *sources, int n, int beams, char *err, size_t errlen);

/* Step t of every row, token[r] its input: the logits (rows, V), valid until the next call. */
const float *step_decoder_step(step_decoder *sd, const int *token, int t);

/* The weights of the chain's last attention over a memory (the source) at the last step,
 * averaged over its heads: (rows, S), S in *len; NULL (and 0) when the chain has none. */
const float *step_decoder_attention(const step_decoder *sd, int *len);

/* Row r continues from what row from[r] was (beam search keeps the rows its best hypotheses
 * came from); from: rows entries. */
void step_decoder_reorder(step_decoder *sd, const int *from);

#endif
