/* trainer_dist.h — the trainer on several ranks (trainer_dist.c; nn/dist.h). */
#ifndef NNRUN_TRAINER_DIST_H
#define NNRUN_TRAINER_DIST_H

#include "trainer.h"

int dist_ranks(void);
/* This rank writes the run folder, prints progress and draws the figures (rank 0). */
int dist_is_writer(void);
/* The batches of an epoch this rank runs, of `batches` in all; and the epoch's index of this
 * rank's local-th batch. */
int dist_local_batches(int batches);
int dist_batch_index(int local);
/* Rank 0's weights (and running statistics) on every rank. */
void dist_share_weights(trainer *t);
/* Step k's gradients: their mean over the ranks, in place. */
void dist_sum_gradients(trainer *t, int k);
/* At an epoch's end: the epoch's loss, term and accuracy sums over every rank, and the mean
 * of the running statistics. */
void dist_sum_epoch(trainer *t);
/* Interrupted mid-epoch: the epoch's sums so far over every rank into rank 0's, which its
 * checkpoint keeps; the other ranks' are cleared. A resumed rank other than 0 clears the sums
 * it read (dist_forget_partial_epoch): rank 0's hold every rank's. */
void dist_gather_partial_epoch(trainer *t);
void dist_forget_partial_epoch(trainer *t);
/* Whether flag is set on any rank (1 rank: flag). */
int dist_any(int flag);
/* The largest v of any rank (1 rank: v). */
long dist_max(long v);
/* Every CHECK_EVERY steps: 0 when every rank holds the same weights, else -1 and err names
 * the step. */
int dist_check_weights(trainer *t, char *err, size_t errlen);
/* The noise a graph run draws from: the run's stream on one rank; on several, a stream of this
 * rank's own derived from the run's, which moves on the same on every rank (so a checkpoint
 * of rank 0's stream resumes every rank). */
void dist_noise_stream(trainer *t, nn_rng *out);
void dist_print_setup(const trainer *t);
/* --profile: bytes and seconds of communication. */
void dist_print_profile(const trainer *t);

#endif
