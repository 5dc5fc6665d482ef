/* seq_search.h — greedy and beam search over a step decoder (step_decoder.h): the output
 * sequences of a batch of sources, each up to T tokens, ending at `eos`.
 *
 * Beam search keeps the `beams` best hypotheses of each sentence by summed log-probability;
 * a hypothesis ends when it emits eos (or reaches T tokens), and the result is the ended one
 * with the best score divided by its length in tokens (eos counted): length normalisation, so
 * that short outputs are not preferred merely for having fewer factors below 1. A sentence
 * stops searching once `beams` hypotheses have ended. With beams 1 it is greedy search. */
#ifndef NNRUN_SEQ_SEARCH_H
#define NNRUN_SEQ_SEARCH_H

#include "step_decoder.h"

/* Decodes the n sources (n x the model's input floats; n at most the decoder's batch) into out
 * (n, T): each sentence's tokens, eos included when it was emitted, then 0. With one beam,
 * attention (NULL: not wanted) gets (n, T, S) the weights over the source of each output step
 * (step_decoder_attention; zeros after the end). Returns 0 or -1 (message in err). */
int seq_search(step_decoder *sd, const float *sources, int n, int beams, int eos, int *out, float *attention, char *err,
               size_t errlen);

#endif
