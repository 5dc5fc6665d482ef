/* Corpus BLEU as sacreBLEU 2.x: each sentence's clipped n-gram matches and lengths summed
 * (nn_bleu_add), then one score from the sums (nn_bleu_corpus). A sentence's tokens are given
 * ids by sorting them (equal strings, equal ids), so that its n-grams are tuples of ids, counted
 * by sorting too: no hash table, O(T log T) per sentence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/bleu.h"

void nn_bleu_stats_init(nn_bleu_stats *s)
{
    memset(s, 0, sizeof *s);
}

void nn_bleu_stats_merge(nn_bleu_stats *s, const nn_bleu_stats *t)
{
    if (!t->sentences) return;
    if (!s->sentences || t->min_refs < s->min_refs) s->min_refs = t->min_refs;
    if (!s->sentences || t->max_refs > s->max_refs) s->max_refs = t->max_refs;
    s->hyp_len += t->hyp_len, s->ref_len += t->ref_len, s->sentences += t->sentences;
    for (int n = 0; n < NN_BLEU_ORDER; n++) s->correct[n] += t->correct[n], s->total[n] += t->total[n];
}

/* ---- one sentence's tokens as ids --------------------------------------------------------- */

typedef struct {
    const char *p;
    size_t len;
    int *id;          /* where the token's id goes */
} token_ref;

static int cmp_token(const void *a, const void *b)
{
    const token_ref *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A tokenized text (tokens separated by single spaces) split into its tokens. */
typedef struct {
    char *text;
    int n;            /* tokens */
    int *id;          /* n token ids */
} sequence;

static int count_tokens(const char *t)
{
    if (!*t) return 0;
    int n = 1;
    for (; *t; t++) n += *t == ' ';
    return n;
}

/* Tokenizes s (after its trailing spaces) into q; -1 when out of memory. */
static int sequence_of(const char *s, sequence *q)
{
    q->text = nn_bleu_tokenize_13a(s, nn_bleu_rstrip_len(s, strlen(s)), NULL);
    q->n = q->text ? count_tokens(q->text) : 0;
    q->id = q->text ? malloc(((size_t)q->n + 1) * sizeof *q->id) : NULL;
    return q->id ? 0 : -1;
}

/* Gives the tokens of the k sequences ids: equal strings, equal ids. */
static int assign_ids(sequence *q, int k)
{
    size_t total = 0;
    for (int i = 0; i < k; i++) total += (size_t)q[i].n;
    token_ref *t = malloc((total + 1) * sizeof *t);
    if (!t) return -1;
    size_t m = 0;
    for (int i = 0; i < k; i++) {
        const char *p = q[i].text;
        for (int j = 0; j < q[i].n; j++) {
            const char *e = strchr(p, ' ');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            t[m++] = (token_ref){p, len, &q[i].id[j]};
            p += len + 1;
        }
    }
    qsort(t, m, sizeof *t, cmp_token);
    int id = -1;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || cmp_token(&t[i - 1], &t[i])) id++;
        *t[i].id = id;
    }
    free(t);
    return 0;
}

/* ---- n-gram counts ------------------------------------------------------------------------ */

typedef struct {
    int id[NN_BLEU_ORDER];   /* the n-gram's token ids, -1 past its order */
} gram;

static int cmp_gram(const void *a, const void *b)
{
    const gram *x = a, *y = b;
    for (int i = 0; i < NN_BLEU_ORDER; i++)
        if (x->id[i] != y->id[i]) return (x->id[i] > y->id[i]) - (x->id[i] < y->id[i]);
    return 0;
}

/* The n-grams of q, sorted, into g (room for q->n); returns how many. */
static int sorted_grams(const sequence *q, int n, gram *g)
{
    int m = q->n - n + 1 > 0 ? q->n - n + 1 : 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < NN_BLEU_ORDER; j++) g[i].id[j] = j < n ? q->id[i + j] : -1;
    qsort(g, (size_t)m, sizeof *g, cmp_gram);
    return m;
}

/* How many times g occurs in the sorted r[0..m), from *pos on (g visited in sorted order). */
static int count_from(const gram *g, const gram *r, int m, int *pos)
{
    while (*pos < m && cmp_gram(&r[*pos], g) < 0) (*pos)++;
    int c = 0;
    while (*pos + c < m && cmp_gram(&r[*pos + c], g) == 0) c++;
    return c;
}

/* Adds the order-n matches of hyp against the references: each distinct hypothesis n-gram
 * counts min(its count, its largest count in one reference). scratch has room for
 * 2 x the longest sequence. */
static void add_order(nn_bleu_stats *s, int n, const sequence *hyp, const sequence *refs, int k, gram *scratch,
                      int *best)
{
    gram *h = scratch, *r = scratch + (hyp->n + 1);
    int mh = sorted_grams(hyp, n, h);
    s->total[n - 1] += mh;
    for (int i = 0; i < mh; i++) best[i] = 0;
    for (int j = 0; j < k; j++) {
        int mr = sorted_grams(&refs[j], n, r), pos = 0;
        for (int i = 0; i < mh; i++) {
            if (i && cmp_gram(&h[i - 1], &h[i]) == 0) continue;
            int c = count_from(&h[i], r, mr, &pos);
            if (c > best[i]) best[i] = c;
        }
    }
    for (int i = 0, run; i < mh; i += run) {
        for (run = 1; i + run < mh && cmp_gram(&h[i], &h[i + run]) == 0; run++) {}
        s->correct[n - 1] += run < best[i] ? run : best[i];
    }
}

/* sacreBLEU's closest reference length: the nearest to the hypothesis's, the shorter on a tie. */
static int closest_length(int hyp_len, const sequence *refs, int k)
{
    int best = -1, len = 0;
    for (int j = 0; j < k; j++) {
        int d = abs(hyp_len - refs[j].n);
        if (best < 0 || d < best || (d == best && refs[j].n < len)) best = d, len = refs[j].n;
    }
    return len;
}

static void free_sequences(sequence *q, int k)
{
    for (int i = 0; i < k; i++) free(q[i].text), free(q[i].id);
    free(q);
}

int nn_bleu_add(nn_bleu_stats *s, const char *hyp, const char *const *refs, int n_refs)
{
    sequence *q = calloc((size_t)n_refs + 1, sizeof *q);   /* q[0] the hypothesis, then the references */
    if (!q) return -1;
    int k = 0, longest = 0, rc = -1;
    for (int j = 0; j < n_refs; j++) {
        if (nn_bleu_rstrip_len(refs[j], strlen(refs[j])) == 0) continue;   /* dropped, as sacreBLEU drops "" */
        if (sequence_of(refs[j], &q[1 + k++]) < 0) goto done;
    }
    if (k == 0 || sequence_of(hyp, &q[0]) < 0 || assign_ids(q, k + 1) < 0) goto done;
    for (int i = 0; i <= k; i++)
        if (q[i].n > longest) longest = q[i].n;
    gram *scratch = malloc(2 * ((size_t)longest + 1) * sizeof *scratch);
    int *best = malloc(((size_t)q[0].n + 1) * sizeof *best);
    if (scratch && best) {
        for (int n = 1; n <= NN_BLEU_ORDER; n++) add_order(s, n, &q[0], q + 1, k, scratch, best);
        s->hyp_len += q[0].n;
        s->ref_len += closest_length(q[0].n, q + 1, k);
        if (!s->sentences || k < s->min_refs) s->min_refs = k;
        if (!s->sentences || k > s->max_refs) s->max_refs = k;
        s->sentences++;
        rc = 0;
    }
    free(scratch), free(best);
done:
    free_sequences(q, n_refs + 1);
    return rc;
}

/* ---- the score ---------------------------------------------------------------------------- */

nn_bleu_score nn_bleu_corpus(const nn_bleu_stats *s)
{
    nn_bleu_score b = {0};
    if (s->hyp_len < s->ref_len) b.bp = s->hyp_len > 0 ? exp(1.0 - (double)s->ref_len / (double)s->hyp_len) : 0.0;
    else b.bp = 1.0;
    b.ratio = s->ref_len ? (double)s->hyp_len / (double)s->ref_len : 0.0;
    int any = 0;
    for (int n = 0; n < NN_BLEU_ORDER; n++) any |= s->correct[n] > 0;
    if (!any) return b;   /* no match at all: 0, unsmoothed (sacreBLEU #141) */
    /* 'exp' smoothing: the k-th order without a match (k = 1, 2, ...) counts 1 / 2^k matches */
    double smooth = 1.0, log_sum = 0.0;
    int zero = 0;
    for (int n = 0; n < NN_BLEU_ORDER; n++) {
        if (s->total[n] == 0) {   /* no n-grams of this order or higher: the score is 0 */
            zero = 1;
            break;
        }
        if (s->correct[n] == 0) {
            smooth *= 2;
            b.precision[n] = 100.0 / (smooth * (double)s->total[n]);
        } else {
            b.precision[n] = 100.0 * (double)s->correct[n] / (double)s->total[n];
        }
        log_sum += log(b.precision[n]);
    }
    b.score = zero ? 0.0 : b.bp * exp(log_sum / NN_BLEU_ORDER);
    return b;
}

const char *nn_bleu_signature(const nn_bleu_stats *s, char *buf, size_t len)
{
    char nrefs[16];
    if (s->min_refs == s->max_refs) snprintf(nrefs, sizeof nrefs, "%d", s->max_refs);
    else snprintf(nrefs, sizeof nrefs, "var");
    snprintf(buf, len, "nrefs:%s|case:mixed|eff:no|tok:13a|smooth:exp|version:%s", nrefs, NN_BLEU_SACREBLEU_VERSION);
    return buf;
}
