/* Data-parallel training (nn/dist.h): what the trainer does differently on N ranks. Every rank
 * holds the whole model and the whole data; each epoch's one seeded permutation is cut into
 * batches and rank r takes batches r, r + N, r + 2N, ... (the tail that would give some ranks
 * one batch more is dropped, so every rank runs as many steps: a rank waiting in an allreduce
 * for a step the others never take would hang). After each step's backward the gradients are
 * summed over the ranks and divided by N, so every rank takes the same optimizer step from the
 * same weights; the losses, counts and evaluation sums are summed at the epoch's end. Rank 0
 * alone writes the run folder. With one rank every function here does nothing. */
#include "trainer_dist.h"
#include "nn/dist.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHECK_EVERY 200   /* steps between checksums of the weights across ranks */

int dist_ranks(void) { return nn_dist_size(); }
int dist_is_writer(void) { return nn_dist_rank() == 0; }

int dist_local_batches(int batches) { return nn_dist_size() > 1 ? batches / nn_dist_size() : batches; }
int dist_batch_index(int local) { return local * nn_dist_size() + nn_dist_rank(); }

void dist_share_weights(trainer *t)
{
    if (nn_dist_size() == 1) return;
    nn_graph *g = trainer_weights(t)->g;
    nn_dist_broadcast_floats(g->param_block, g->n_param_floats, 0);
}

void dist_sum_gradients(trainer *t, int k)
{
    if (nn_dist_size() == 1) return;
    const step_graph *sg = &t->train_full->steps[k];
    nn_dist_sum_floats(sg->grad_block, sg->n_grad_floats);
    float inv = 1.0f / (float)nn_dist_size();
    for (size_t i = 0; i < sg->n_grad_floats; i++) sg->grad_block[i] *= inv;
}

/* The running statistics (batch norm's means and variances: parameters without gradients) are
 * each rank's own during an epoch: their mean is taken before evaluating. */
static void average_running_statistics(trainer *t)
{
    nn_graph *g = trainer_weights(t)->g;
    float inv = 1.0f / (float)nn_dist_size();
    for (int i = 0; i < g->n; i++) {
        if (g->nodes[i].kind != NN_NODE_PARAM || !g->nodes[i].no_grad) continue;
        float *v = nn_data(g, i);
        size_t n = nn_numel(g, i);
        nn_dist_sum_floats(v, n);
        for (size_t j = 0; j < n; j++) v[j] *= inv;
    }
}

static void sum_epoch_sums(trainer *t)
{
    enum { G = SPEC_MAX_GROUPS, K = SPEC_MAX_LOSSES };
    double v[2 * G + 1 + 3 * G * K];
    int n = 0;
    for (int g = 0; g < G; g++) v[n++] = t->epoch_loss_sum[g], v[n++] = (double)t->epoch_loss_rows[g];
    v[n++] = t->epoch_correct;
    for (int g = 0; g < G; g++)
        for (int k = 0; k < K; k++) {
            const term_sums *s = &t->epoch_terms[g][k];
            v[n++] = s->value, v[n++] = s->right, v[n++] = s->seen;
        }
    nn_dist_sum_doubles(v, (size_t)n);
    n = 0;
    for (int g = 0; g < G; g++) t->epoch_loss_sum[g] = v[n++], t->epoch_loss_rows[g] = (long)v[n++];
    t->epoch_correct = v[n++];
    for (int g = 0; g < G; g++)
        for (int k = 0; k < K; k++) {
            term_sums *s = &t->epoch_terms[g][k];
            s->value = v[n++], s->right = v[n++], s->seen = v[n++];
        }
}

void dist_sum_epoch(trainer *t)
{
    if (nn_dist_size() == 1) return;
    sum_epoch_sums(t);
    average_running_statistics(t);
}

void dist_gather_partial_epoch(trainer *t)
{
    if (nn_dist_size() == 1) return;
    sum_epoch_sums(t);
    if (!dist_is_writer()) dist_forget_partial_epoch(t);
}

void dist_forget_partial_epoch(trainer *t)
{
    memset(t->epoch_loss_sum, 0, sizeof t->epoch_loss_sum);
    memset(t->epoch_loss_rows, 0, sizeof t->epoch_loss_rows);
    memset(t->epoch_terms, 0, sizeof t->epoch_terms);
    t->epoch_correct = 0;
}

int dist_any(int flag) { return nn_dist_size() == 1 ? flag : nn_dist_max_long(flag) != 0; }
long dist_max(long v) { return nn_dist_size() == 1 ? v : nn_dist_max_long(v); }

/* A sum of the weights with position-dependent factors, in double: any difference between
 * ranks' weights changes it (up to rounding of equal inputs, which is exact: same values, same
 * order). */
static double weights_checksum(const nn_graph *g)
{
    double s = 0;
    for (size_t i = 0; i < g->n_param_floats; i++) s += (double)g->param_block[i] * (double)(1 + (i % 1021));
    return s;
}

int dist_check_weights(trainer *t, char *err, size_t errlen)
{
    if (nn_dist_size() == 1 || t->step % CHECK_EVERY != 0) return 0;
    double c = weights_checksum(trainer_weights(t)->g);
    long bits;
    memcpy(&bits, &c, sizeof bits);
    if (nn_dist_max_long(bits) == nn_dist_min_long(bits)) return 0;
    snprintf(err, errlen, "the ranks' weights differ at step %ld (rank %d's checksum %.17g): the ranks have diverged "
                          "(a rank ran on other data, another nnrun or another machine's arithmetic)",
             t->step, nn_dist_rank(), c);
    return -1;
}

void dist_noise_stream(trainer *t, nn_rng *out)
{
    if (nn_dist_size() == 1) {
        *out = t->noise_rng;
        return;
    }
    nn_rng step = nn_rng_split(&t->noise_rng);   /* the same on every rank; the shared stream moves on */
    for (int r = 0; r <= nn_dist_rank(); r++) *out = nn_rng_split(&step);
}

void dist_print_setup(const trainer *t)
{
    int n = nn_dist_size();
    if (n == 1 || !dist_is_writer()) return;
    printf("%s: %d ranks, each a batch of %d: a global batch of %d (%s)\n", t->s->name, n, t->train_full->batch,
           n * t->train_full->batch,
           t->s->train.scale_lr_with_ranks ? "train.scale_lr_with_ranks: the learning rates times the ranks"
                                           : "the learning rate as the spec says; train.scale_lr_with_ranks scales it");
}

void dist_print_profile(const trainer *t)
{
    if (nn_dist_size() == 1 || t->step == 0) return;
    printf("communication (rank %d): %.3g MB per iteration reduced or broadcast, %.2f s in MPI calls (%.1f ms per iteration)\n",
           nn_dist_rank(), nn_dist_bytes() / (double)t->step / 1e6, nn_dist_seconds(), 1e3 * nn_dist_seconds() / (double)t->step);
}
