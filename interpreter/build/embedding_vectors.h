/* embedding_vectors.h — pre-trained word vectors into embedding layers (`vectors: FILE`). */
#ifndef NNRUN_EMBEDDING_VECTORS_H
#define NNRUN_EMBEDDING_VECTORS_H

#include "../lang/diag.h"
#include "model_build.h"
#include "nn/text.h"
#include "../lang/spec.h"

/* Loads every embedding layer's `vectors` file into its table, by the words of vocab; prints
 * how many were found. Errors (no word vocabulary, unreadable or malformed file) go to d at
 * the layer. Returns 0 or -1. */
int embedding_vectors_load(const spec *s, model_graph *m, const nn_vocab *vocab, diag *d);

#endif
