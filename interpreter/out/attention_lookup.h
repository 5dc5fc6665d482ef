/* attention_lookup.h — scaled dot-product attention on raw data, with no training (the
 * attention_lookup report). Sources (keys and values): one sample per class, drawn with a seed;
 * a query: a sample of a chosen class that is not its class's source. Shapes: K classes (one
 * source each), D values per sample, n_temps temperatures.
 *
 *   weights (K) = softmax(q . k_j / (sqrt(D) * temperature))    the weighted sum (D) = sum_j w_j k_j
 *
 * computed by the runtime's attention ops (nn_attention with its weights, nn_attention_weights:
 * the ops the Transformer layers use), and over many draws of fresh sources and a query of
 * every class the mean weights (K, K): row = the query's class, column = the source's. */
#ifndef NNRUN_ATTENTION_LOOKUP_H
#define NNRUN_ATTENTION_LOOKUP_H

#include "../build/model_build.h"
#include "../lang/spec.h"
#include "nn/data.h"
#include <stddef.h>

#define ATTN_MAX_CLASSES 20          /* one source per class: a figure row of K + 2 images */

typedef struct {
    int n_classes;                   /* K */
    size_t dim;                      /* D */
    int n_temps;
    float temperature[REPORT_MAX_TEMPERATURES];
    int query_class;
    int draws;
    int query_row;                   /* the example's rows in the dataset */
    int source_rows[ATTN_MAX_CLASSES];
    float *query;                    /* (D) */
    float *sources;                  /* (K, D): the keys and the values, source j of class j */
    float *weights;                  /* (n_temps, K): the query's weights at each temperature */
    float *sum;                      /* (n_temps, D): the weighted sum of the sources */
    float *mean_weights;             /* (n_temps, K, K): over the draws; rows sum to 1 */
    double diagonal[REPORT_MAX_TEMPERATURES];   /* the mean of each matrix's diagonal */
} attention_lookup;

/* The temperatures r asks for (its list ends at the first 0). */
int attention_lookup_temperatures(const report_spec *r);
/* What data r needs, known before loading it (`nnrun check`): one class id per sample, 2 to
 * ATTN_MAX_CLASSES classes, r's query one of them. 0, or -1 with the reason at r's line. */
int attention_lookup_check(const report_spec *r, const data_info *info, diag *d);
/* The example and the mean weights of r over ds's samples, drawn with seed (the same seed, the
 * same draws). Each class needs two samples (a query and a source that differ). 0, or -1 with
 * a message. */
int attention_lookup_compute(const nn_dataset *ds, const report_spec *r, uint64_t seed, attention_lookup *a, char *err,
                             size_t errlen);
void attention_lookup_free(attention_lookup *a);

#endif
