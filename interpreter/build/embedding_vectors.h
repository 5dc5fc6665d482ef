/* embedding_vectors.h — pre-trained word vectors into embedding layers (`vectors: FILE`). */
#ifndef NNRUN_EMBEDDING_VECTORS_H
#define NNRUN_EMBEDDING_VECTORS_H

#include "../lang/diag.h"
#include "model_build.h"
#include "nn/text.h"
#include "../lang/spec.h"

/* For every embedding layer of every net m calls: checks that its table holds the ids of the
 * data's vocabulary its `words:` names (vocab[EMB_WORDS_SOURCE], vocab[EMB_WORDS_TARGET]; size 0:
 * none), and loads its `vectors` file into the table by that vocabulary's words, printing how
 * many were found. Errors (a table too small, no such vocabulary, an unreadable or malformed
 * file) go to d at the layer. Returns 0 or -1. */
int embedding_vectors_load(const spec *s, model_graph *m, const nn_vocab *vocab, diag *d);

#endif
