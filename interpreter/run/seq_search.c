/* seq_search.c — beam search (greedy with one beam) over a step decoder; see seq_search.h.
 * Shapes: n sentences, K beams, R = n K rows (row r: sentence r / K), T steps, V classes. */
#include "seq_search.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float score;   /* summed log-probability */
    int row, id;   /* the row it extends and its new token */
} candidate;

/* A sentence's ended hypotheses: at most K, with their length-normalised scores. */
typedef struct {
    int n;
    float *norm;   /* (K) */
    int *tokens;   /* (K, T) */
} ended_list;

typedef struct {
    int n, K, T, V, R, eos;
    float *score;        /* (R) summed log-probability of each row's hypothesis; -inf: none */
    int *tokens;         /* (R, T) each row's tokens so far */
    int *next_tokens;    /* (R, T) scratch for the reordered rows */
    int *from, *input;   /* (R) */
    float *next_score;   /* (R) */
    candidate *best;     /* (2K) a sentence's best candidates of a step, best first */
    ended_list *ended;   /* (n) */
    float *ended_norm;
    int *ended_tokens;
    int *done;           /* (n) K hypotheses have ended */
} search;

static void search_free(search *s)
{
    free(s->score), free(s->tokens), free(s->next_tokens), free(s->from), free(s->input), free(s->next_score);
    free(s->best), free(s->ended), free(s->ended_norm), free(s->ended_tokens), free(s->done);
}

static int search_init(search *s, int n, int K, int T, int V, int eos)
{
    memset(s, 0, sizeof *s);
    s->n = n, s->K = K, s->T = T, s->V = V, s->R = n * K, s->eos = eos;
    size_t R = (size_t)s->R;
    s->score = malloc(R * sizeof(float));
    s->next_score = malloc(R * sizeof(float));
    s->tokens = calloc(R * (size_t)T, sizeof(int));
    s->next_tokens = calloc(R * (size_t)T, sizeof(int));
    s->from = malloc(R * sizeof(int));
    s->input = malloc(R * sizeof(int));
    s->best = malloc(2 * (size_t)K * sizeof(candidate));
    s->ended = calloc((size_t)n, sizeof(ended_list));
    s->ended_norm = malloc(R * sizeof(float));
    s->ended_tokens = calloc(R * (size_t)T, sizeof(int));
    s->done = calloc((size_t)n, sizeof(int));
    if (!s->score || !s->next_score || !s->tokens || !s->next_tokens || !s->from || !s->input || !s->best || !s->ended ||
        !s->ended_norm || !s->ended_tokens || !s->done)
        return -1;
    for (int i = 0; i < n; i++) s->ended[i].norm = s->ended_norm + (size_t)i * K, s->ended[i].tokens = s->ended_tokens + (size_t)i * K * T;
    for (size_t r = 0; r < R; r++) s->score[r] = r % (size_t)K == 0 ? 0.0f : -INFINITY;   /* one hypothesis to start */
    return 0;
}

/* Inserts c into best[0..*n) (best first, at most cap kept). */
static void keep_best(candidate *best, int *n, int cap, candidate c)
{
    if (*n == cap && c.score <= best[cap - 1].score) return;
    int i = *n < cap ? (*n)++ : cap - 1;
    while (i > 0 && best[i - 1].score < c.score) {
        best[i] = best[i - 1];
        i--;
    }
    best[i] = c;
}

/* The 2K best extensions of sentence i's hypotheses from the step's logits (R, V). */
static int best_extensions(search *s, int i, const float *logits)
{
    int n = 0, cap = 2 * s->K;
    for (int r = i * s->K; r < (i + 1) * s->K; r++) {
        if (s->score[r] == -INFINITY) continue;
        const float *z = logits + (size_t)r * s->V;
        float m = z[0];
        for (int v = 1; v < s->V; v++) m = z[v] > m ? z[v] : m;
        double sum = 0;
        for (int v = 0; v < s->V; v++) sum += exp((double)(z[v] - m));
        float lse = m + (float)log(sum);
        for (int v = 0; v < s->V; v++) keep_best(s->best, &n, cap, (candidate){s->score[r] + z[v] - lse, r, v});
    }
    return n;
}

/* A hypothesis of sentence i ends: row's tokens, then id (eos, or the last token at step T-1). */
static void end_hypothesis(search *s, int i, const candidate *c, int t)
{
    ended_list *e = &s->ended[i];
    if (e->n == s->K) return;
    int *tok = e->tokens + (size_t)e->n * s->T;
    memcpy(tok, s->tokens + (size_t)c->row * s->T, (size_t)t * sizeof(int));
    tok[t] = c->id;
    e->norm[e->n++] = c->score / (float)(t + 1);
}

/* Step t of sentence i: its ended hypotheses and its next K rows (from, next_score, next_tokens). */
static void advance_sentence(search *s, int i, const float *logits, int t)
{
    int n = best_extensions(s, i, logits), kept = 0;
    for (int k = 0; k < n && kept < s->K; k++) {
        const candidate *c = &s->best[k];
        if (c->id == s->eos || t == s->T - 1) {
            end_hypothesis(s, i, c, t);
            continue;
        }
        int r = i * s->K + kept++;
        s->from[r] = c->row;
        s->next_score[r] = c->score;
        memcpy(s->next_tokens + (size_t)r * s->T, s->tokens + (size_t)c->row * s->T, (size_t)t * sizeof(int));
        s->next_tokens[(size_t)r * s->T + t] = c->id;
    }
    for (; kept < s->K; kept++) {   /* fewer live hypotheses than beams: empty rows */
        int r = i * s->K + kept;
        s->from[r] = r;
        s->next_score[r] = -INFINITY;
    }
    s->done[i] = s->ended[i].n == s->K || t == s->T - 1;
}

static void write_best(const search *s, int *out)
{
    for (int i = 0; i < s->n; i++) {
        const ended_list *e = &s->ended[i];
        int b = 0;
        for (int k = 1; k < e->n; k++)
            if (e->norm[k] > e->norm[b]) b = k;
        int *o = out + (size_t)i * s->T;
        memset(o, 0, (size_t)s->T * sizeof(int));
        if (e->n == 0) continue;
        const int *tok = e->tokens + (size_t)b * s->T;
        for (int t = 0; t < s->T; t++) {
            o[t] = tok[t];
            if (tok[t] == s->eos) break;
        }
    }
}

/* Step t's attention weights of the sentences still searching, into attention (n, T, S). */
static void keep_attention(const search *s, step_decoder *sd, int t, float *attention)
{
    int S;
    const float *w = step_decoder_attention(sd, &S);
    for (int i = 0; w && i < s->n; i++)
        if (!s->done[i]) memcpy(attention + ((size_t)i * s->T + t) * S, w + (size_t)i * S, (size_t)S * sizeof(float));
}

int seq_search(step_decoder *sd, const float *sources, int n, int beams, int eos, int *out, float *attention, char *err,
               size_t errlen)
{
    search s;
    int T = step_decoder_steps(sd), rc = -1;
    if (search_init(&s, n, beams, T, step_decoder_classes(sd), eos) < 0) {
        snprintf(err, errlen, "out of memory for a search of %d sentences x %d beams", n, beams);
        goto out;
    }
    if (step_decoder_begin(sd, sources, n, beams, err, errlen) < 0) goto out;
    int start = step_decoder_start_id(sd), all_done = 0, S;
    if (attention) {
        step_decoder_attention(sd, &S);
        memset(attention, 0, (size_t)n * T * S * sizeof(float));
    }
    for (int t = 0; t < T && !all_done; t++) {
        for (int r = 0; r < s.R; r++) s.input[r] = t == 0 ? start : s.tokens[(size_t)r * T + t - 1];
        const float *logits = step_decoder_step(sd, s.input, t);
        if (attention && beams == 1) keep_attention(&s, sd, t, attention);
        all_done = 1;
        for (int i = 0; i < n; i++) {
            if (!s.done[i]) advance_sentence(&s, i, logits, t);
            else
                for (int k = 0; k < beams; k++) s.from[i * beams + k] = i * beams + k, s.next_score[i * beams + k] = -INFINITY;
            all_done &= s.done[i];
        }
        int *swap = s.tokens;
        s.tokens = s.next_tokens, s.next_tokens = swap;
        memcpy(s.score, s.next_score, (size_t)s.R * sizeof(float));
        if (beams > 1) step_decoder_reorder(sd, s.from);
    }
    write_best(&s, out);
    rc = 0;
out:
    search_free(&s);
    return rc;
}
